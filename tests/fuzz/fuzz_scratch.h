/*
 * A scratch file for fuzz targets that must go through a path: one per
 * process (named by target and pid), rewritten by every run, removed at
 * exit.  The only static state a target keeps.
 */
#ifndef KSD_FUZZ_SCRATCH_H
#define KSD_FUZZ_SCRATCH_H

#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static char fuzz_scratch[64];

static void fuzz_scratch_remove(void)
{
	unlink(fuzz_scratch);
}

static const char *fuzz_scratch_path(const char *target)
{
	if (!fuzz_scratch[0]) {
		snprintf(fuzz_scratch, sizeof fuzz_scratch, "/tmp/ksd-fuzz-%s-%ld", target,
			 (long)getpid());
		atexit(fuzz_scratch_remove);
	}
	return fuzz_scratch;
}

static bool fuzz_scratch_write(const char *target, const uint8_t *data, size_t size)
{
	int fd = open(fuzz_scratch_path(target), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return false;
	size_t done = 0;
	while (done < size) {
		ssize_t n = write(fd, data + done, size - done);
		if (n <= 0) {
			close(fd);
			return false;
		}
		done += (size_t)n;
	}
	close(fd);
	return true;
}

#endif
