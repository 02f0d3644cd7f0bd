/*
 * Fuzz target: arbitrary bytes as a file name and as a partition directory
 * name (ksd/names.h), on a NUL-terminated copy.  Checks what a result must
 * satisfy: a segment file name round-trips through its offset, a parsed
 * partition dir starts with its topic followed by '-'.
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ksd/names.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(bool ok)
{
	if (!ok)
		abort();
}

static const char *const KIND_SUFFIX[KSD_FILE__COUNT] = {
	[KSD_FILE_LOG] = ".log",
	[KSD_FILE_INDEX] = ".index",
	[KSD_FILE_TIMEINDEX] = ".timeindex",
	[KSD_FILE_TXNINDEX] = ".txnindex",
	[KSD_FILE_SNAPSHOT] = ".snapshot",
};

static void check_file_name(const char *name)
{
	ksd_file_name fn = ksd_classify_file(name);
	check((unsigned)fn.kind < KSD_FILE__COUNT);
	check(ksd_file_kind_name(fn.kind) != NULL);
	if (fn.kind == KSD_FILE_UNKNOWN) {
		check(fn.offset == -1 && fn.epoch == -1 && fn.state == KSD_STATE_LIVE);
		return;
	}
	const size_t len = strlen(name);
	if (KIND_SUFFIX[fn.kind]) {
		/* <offset:20><suffix>[.state]: rebuild and compare the prefix */
		check(fn.offset >= 0 && fn.epoch == -1);
		char rebuilt[64];
		int n = snprintf(rebuilt, sizeof rebuilt, "%020" PRId64 "%s", fn.offset,
				 KIND_SUFFIX[fn.kind]);
		check(n > 0 && (size_t)n <= len && memcmp(rebuilt, name, (size_t)n) == 0);
		check((fn.state == KSD_STATE_LIVE) == ((size_t)n == len));
	} else if (fn.kind == KSD_FILE_KRAFT_SNAPSHOT) {
		check(fn.offset >= 0 && fn.epoch >= 0);
		char rebuilt[64];
		int n = snprintf(rebuilt, sizeof rebuilt, "%020" PRId64 "-%010" PRId32 ".checkpoint",
				 fn.offset, fn.epoch);
		check(n > 0 && (size_t)n <= len && memcmp(rebuilt, name, (size_t)n) == 0);
	} else {
		check(fn.offset == -1 && fn.epoch == -1);
	}
}

static void check_dir_name(const char *name)
{
	ksd_partition_name pn;
	bool ok = ksd_parse_partition_dir(name, &pn);
	check(ksd_partition_state_name(pn.state) != NULL);
	if (!ok)
		return;
	size_t tlen = strnlen(pn.topic, sizeof pn.topic);
	check(tlen > 0 && tlen < sizeof pn.topic);
	check(strncmp(name, pn.topic, tlen) == 0 && name[tlen] == '-');
	/* split at the last '-' (before the uniqueId): no sign but '+' left */
	check(pn.partition >= 0);
	check(pn.state != KSD_PART_LIVE || strchr(name + tlen + 1, '-') == NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	if (!s)
		return 0;
	if (size)
		memcpy(s, data, size);
	s[size] = '\0';
	check_file_name(s);
	check_dir_name(s);
	free(s);
	return 0;
}
