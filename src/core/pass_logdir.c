/*
 * Pass 3 (and the lock probe that runs before pass 1): the log dir itself.
 *
 * The lock probe establishes whether a broker is running, which decides how
 * pass 1 reads files (no mmap under a live broker: a truncation would raise
 * SIGBUS).  Foreign directories and unknown files were noted by discovery.
 * Pass 3 proper (pass_dirchecks.c) says what loading will do with the log
 * dir and each partition: recovery, missing and orphan files, checkpoints.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "scan_internal.h"

void ksd_note_foreign_dir(ksd_logdir *ld, const char *path, const char *name)
{
	ksd_finding *f = ksd_report(&ld->findings, KSD_P_FOREIGN_DIRECTORY, path, -1,
		"directory %s in log dir root %s is not in the form topic-partition or "
		"topic-partition.uniqueId-delete/-future/-stray; the broker refuses to start",
		name, ld->path);
	ksd_finding_str(f, "rule", "LogManager.loadLogs parses every subdirectory of a log dir as a "
			"partition (UnifiedLog.parseTopicPartitionName; all versions)");
}

/*
 * Kafka locks <logdir>/.lock with FileChannel.tryLock(), which OpenJDK
 * implements as a POSIX fcntl record lock on Linux: flock() would not see it.
 * F_GETLK reports both classic and OFD locks held by other processes.
 */
int ksd_probe_lock(const char *logdir, int *pid)
{
	char *path = ksd_path_join(logdir, ".lock");
	if (!path)
		return -1;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	free(path);
	*pid = 0;
	if (fd < 0)
		return errno == ENOENT ? 0 : -1;
	struct flock fl;
	memset(&fl, 0, sizeof fl);
	fl.l_type = F_WRLCK;
	fl.l_whence = SEEK_SET;
	fl.l_start = 0;
	fl.l_len = 0;
	int rc = fcntl(fd, F_GETLK, &fl);
	close(fd);
	if (rc != 0)
		return -1;
	if (fl.l_type == F_UNLCK)
		return 0;
	*pid = fl.l_pid;
	return 1;
}

void ksd_probe_logdir_lock(ksd_logdir *ld)
{
	ld->lock_state = ksd_probe_lock(ld->path, &ld->lock_pid);
	if (ld->lock_state != 1)
		return;
	char who[64] = "another process";
	if (ld->lock_pid > 0)
		snprintf(who, sizeof who, "process %d", ld->lock_pid);
	ksd_finding *f = ksd_report(&ld->findings, KSD_P_BROKER_RUNNING, ld->path, -1,
		"%s holds the fcntl lock on %s/.lock: a broker is running on this log dir; "
		"the scan ran read-only and findings may describe files that are changing",
		who, ld->path);
	ksd_finding_int(f, "pid", ld->lock_pid);
	ksd_finding_str(f, "rule", "the broker holds FileChannel.tryLock on <logdir>/.lock, a POSIX "
			"fcntl lock on Linux (all versions)");
}

void ksd_pass_logdir(const ksd_config *cfg, ksd_logdir *ld)
{
	ksd_check_logdir_files(cfg, ld);
}
