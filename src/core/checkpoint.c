/*
 * Text checkpoint files (kafka-facts.md §3.2): "0\n<count>\n" then one
 * "<topic> <partition> <offset>" line per entry, whitespace separated.
 * Kafka ignores a malformed recovery/log-start checkpoint with a warning,
 * so a lookup here treats malformed files as holding nothing.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scan_internal.h"

#define CHECKPOINT_MAX_LINE 1024

static bool parse_i64(const char *s, int64_t *out)
{
	char *end;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (errno || end == s || *end)
		return false;
	*out = v;
	return true;
}

int64_t ksd_checkpoint_lookup(const char *path, const char *topic, int32_t partition)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return -1;
	char line[CHECKPOINT_MAX_LINE];
	int64_t version = -1, count = -1, found = -1, seen = 0;
	bool ok = fgets(line, sizeof line, f) && sscanf(line, "%" SCNd64, &version) == 1 &&
		  version == 0 && fgets(line, sizeof line, f) &&
		  sscanf(line, "%" SCNd64, &count) == 1 && count >= 0;
	while (ok && fgets(line, sizeof line, f)) {
		char t[CHECKPOINT_MAX_LINE], ps[32], os[32];
		if (sscanf(line, "%1023s %31s %31s", t, ps, os) != 3) {
			ok = false;
			break;
		}
		int64_t pv, ov;
		if (!parse_i64(ps, &pv) || !parse_i64(os, &ov)) {
			ok = false;
			break;
		}
		seen++;
		if (strcmp(t, topic) == 0 && pv == partition)
			found = ov;
	}
	fclose(f);
	/* CheckpointFile rejects a count that does not match the entries. */
	if (!ok || seen != count)
		return -1;
	return found;
}
