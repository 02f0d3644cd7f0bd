/*
 * Fuzz target: the directory-level pipeline end to end on one hostile
 * partition.  The input becomes a log dir on disk (a private scratch dir per
 * process): one or two segments of a topic picked by the input
 * (an ordinary topic, __consumer_offsets or __transaction_state), with or
 * without the clean-shutdown marker and a recovery-point checkpoint; then
 * every analysis that reads it runs: the scan with all its passes
 * (including the hanging-transaction walk and the producer-state checks),
 * the restart prediction, the 4.0 preflight, the compaction statistics, and
 * a quarantine plan with its loss proof for every quarantinable finding.
 * Nothing is ever applied.  Crashes, leaks and UB are the findings here.
 *
 * Input layout: byte 0 flags (bits 0-1 topic, bit 2 clean shutdown, bit 3
 * two segments, bits 4-5 Kafka version, bit 6 recovery-point checkpoint),
 * bytes 1-2 split position (little endian, modulo the body), bytes 3-10
 * the second segment's base offset, the rest the segment bytes.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ksd/compaction.h"
#include "ksd/predict.h"
#include "ksd/preflight.h"
#include "ksd/qplan.h"
#include "ksd/scan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum { HEADER = 11 };

static char root[96];  /* /tmp/ksd-fuzz-diagnose-<pid> */
static char logs[128]; /* <root>/logs */

static void remove_tree(const char *dir)
{
	DIR *d = opendir(dir);
	if (!d)
		return;
	struct dirent *e;
	char path[512];
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
		struct stat st;
		if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode))
			remove_tree(path);
		else
			unlink(path);
	}
	closedir(d);
	rmdir(dir);
}

static void cleanup(void)
{
	remove_tree(root);
}

static bool write_file(const char *path, const void *data, size_t size)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return false;
	const uint8_t *p = data;
	size_t done = 0;
	while (done < size) {
		ssize_t n = write(fd, p + done, size - done);
		if (n <= 0) {
			close(fd);
			return false;
		}
		done += (size_t)n;
	}
	close(fd);
	return true;
}

/* Writes the log dir for this input; false when the disk refused. */
static bool build_tree(const uint8_t *data, size_t size, const char **topic_out)
{
	static const char *const topics[] = {"t-0", "__consumer_offsets-0",
					     "__transaction_state-0", "t-1"};
	if (!root[0]) {
		snprintf(root, sizeof root, "/tmp/ksd-fuzz-diagnose-%ld", (long)getpid());
		snprintf(logs, sizeof logs, "%s/logs", root);
		atexit(cleanup);
	}
	remove_tree(root);
	uint8_t flags = data[0];
	const char *topic = topics[flags & 3];
	*topic_out = topic;
	char pdir[256], path[512];
	snprintf(pdir, sizeof pdir, "%s/%s", logs, topic);
	if (mkdir(root, 0755) != 0 || mkdir(logs, 0755) != 0 || mkdir(pdir, 0755) != 0)
		return false;
	const uint8_t *body = data + HEADER;
	size_t blen = size - HEADER;
	size_t split = blen;
	if ((flags & 8) && blen > 0)
		split = (size_t)(data[1] | data[2] << 8) % blen;
	snprintf(path, sizeof path, "%s/00000000000000000000.log", pdir);
	if (!write_file(path, body, split))
		return false;
	if (split < blen) {
		uint64_t base = 0;
		memcpy(&base, data + 3, 8);
		base &= 0x7fffffffffffffffull; /* names are non-negative offsets */
		snprintf(path, sizeof path, "%s/%020llu.log", pdir, (unsigned long long)base);
		if (!write_file(path, body + split, blen - split))
			return false;
	}
	if (flags & 4) {
		snprintf(path, sizeof path, "%s/.kafka_cleanshutdown", logs);
		write_file(path, "", 0);
	}
	if (flags & 64) {
		char text[128];
		int n = snprintf(text, sizeof text, "0\n1\n%.*s 0 %u\n",
				 (int)(strchr(topic, '-') - topic), topic, (unsigned)data[1] * 7u);
		snprintf(path, sizeof path, "%s/recovery-point-offset-checkpoint", logs);
		write_file(path, text, (size_t)n);
	}
	return true;
}

static void plan_quarantine(const ksd_scan *scan)
{
	static const char *const codes[] = {"cleaner-map-overflow", "crc-mismatch", "torn-tail",
					    "corrupt-entry", "preallocated-tail", "index-corrupt"};
	ksd_qsel sel;
	memset(&sel, 0, sizeof sel);
	sel.codes = codes;
	sel.ncodes = sizeof codes / sizeof *codes;
	sel.allow_active = true;
	sel.allow_gap = true;
	ksd_qplan plan;
	char err[256];
	if (ksd_qplan_build(scan, &sel, &plan, err, sizeof err) != KSD_OK)
		return;
	ksd_qloss loss;
	ksd_qloss_opts lo = {.max_keys = 1u << 16};
	if (ksd_qloss_compute(scan, &plan, &lo, &loss) == KSD_OK)
		ksd_qloss_free(&loss);
	ksd_qplan_free(&plan);
}

static void analyse(const ksd_scan *scan)
{
	ksd_predict_opts po = {0.001};
	ksd_prediction *pr = NULL;
	if (ksd_predict_recovery(scan, &po, &pr) == KSD_OK)
		ksd_prediction_free(pr);
	ksd_kversion target;
	ksd_preflight pf;
	if (ksd_kversion_parse("4.0.0", &target) && ksd_preflight_build(scan, &target, &pf) == KSD_OK)
		ksd_preflight_free(&pf);
	ksd_compaction_opts co;
	ksd_compaction_opts_init(&co);
	co.jobs = 1;
	co.max_keys = 1u << 16;
	ksd_compaction *c = NULL;
	if (ksd_compaction_run(scan, &co, &c) == KSD_OK)
		ksd_compaction_free(c);
	plan_quarantine(scan);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const versions[] = {"0.9.0.1", "0.10.0.1", "2.8.0", "4.0.0"};
	const char *topic;
	if (size < HEADER || size > (1u << 20) || !build_tree(data, size, &topic))
		return 0;
	ksd_config cfg;
	ksd_config_init(&cfg);
	cfg.jobs = 1;
	cfg.max_findings_per_problem = 8;
	cfg.now_ms = 1700000000000;
	ksd_kversion_parse(versions[(data[0] >> 4) & 3], &cfg.kafka_version);
	const char *compacted[] = {"t"};
	if (strcmp(topic, "t-1") == 0) { /* an ordinary topic treated as compacted */
		cfg.compacted_topics = compacted;
		cfg.ncompacted_topics = 1;
	}
	ksd_scan *scan;
	if (ksd_scan_new(&cfg, &scan) != KSD_OK)
		return 0;
	ksd_scan_add_path(scan, logs);
	if (ksd_scan_run(scan, NULL, NULL) == KSD_OK)
		analyse(scan);
	ksd_scan_free(scan);
	return 0;
}
