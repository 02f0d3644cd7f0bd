/*
 * Log-dir checkpoints the passes need (recovery points, cleaner's first
 * dirty offsets, high watermarks, log start offsets) and the clean-shutdown
 * marker, read once per log dir before pass 1 with the same strict
 * parser `dump` uses (ksd_parse_offset_checkpoint), and attached to each
 * partition.  Kafka ignores a malformed recovery-point checkpoint with a
 * warning (§3.2), so a file that does not parse attaches nothing.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ksd/files.h"
#include "scan_internal.h"

typedef struct tp_key {
	const char *topic;
	size_t topic_len;
	int32_t partition;
} tp_key;

static int tp_cmp(const tp_key *k, const ksd_partition *p)
{
	size_t plen = strlen(p->name.topic);
	size_t n = k->topic_len < plen ? k->topic_len : plen;
	int c = memcmp(k->topic, p->name.topic, n);
	if (c)
		return c;
	if (k->topic_len != plen)
		return k->topic_len < plen ? -1 : 1;
	return k->partition < p->name.partition ? -1 : k->partition > p->name.partition;
}

/* Partitions are sorted by topic then partition (ksd_scan_finish_discovery);
 * -delete/-future twins share a key, and only the live one takes the value. */
static ksd_partition *find_live(ksd_logdir *ld, const tp_key *k)
{
	size_t lo = 0, hi = ld->npartitions;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (tp_cmp(k, &ld->partitions[mid]) > 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (size_t i = lo; i < ld->npartitions && tp_cmp(k, &ld->partitions[i]) == 0; i++)
		if (ld->partitions[i].name.state == KSD_PART_LIVE)
			return &ld->partitions[i];
	return NULL;
}

static void attach(ksd_logdir *ld, const char *file, size_t field, ksd_bytes *buf)
{
	char *path = ksd_path_join(ld->path, file);
	ksd_file_image im;
	ksd_checkpoint_info info;
	if (!path || ksd_file_load(path, KSD_FILE_READ_CAP, buf, &im) != KSD_OK) {
		free(path);
		return;
	}
	free(path);
	/* First pass counts, second stores: no cap on how many partitions. */
	if (ksd_parse_offset_checkpoint((const char *)im.data, im.len, NULL, 0, &info) !=
		    KSD_TEXT_OK || info.entries == 0)
		return;
	ksd_tp_offset *v = calloc(info.entries, sizeof *v);
	if (!v)
		return;
	ksd_parse_offset_checkpoint((const char *)im.data, im.len, v, info.entries, &info);
	for (size_t i = 0; i < info.stored; i++) {
		tp_key k = {v[i].topic, v[i].topic_len, v[i].partition};
		ksd_partition *p = find_live(ld, &k);
		if (p)
			*(int64_t *)((char *)p + field) = v[i].offset;
	}
	free(v);
}

void ksd_load_logdir_checkpoints(ksd_logdir *ld)
{
	ksd_bytes buf = {NULL, 0};
	for (size_t i = 0; i < ld->npartitions; i++) {
		ld->partitions[i].recovery_point = -1;
		ld->partitions[i].cleaner_checkpoint = -1;
		ld->partitions[i].high_watermark = -1;
		ld->partitions[i].log_start_checkpoint = -1;
	}
	char *marker = ksd_path_join(ld->path, ".kafka_cleanshutdown");
	struct stat st;
	ld->clean_shutdown = marker && stat(marker, &st) == 0;
	free(marker);
	attach(ld, "recovery-point-offset-checkpoint",
	       offsetof(ksd_partition, recovery_point), &buf);
	attach(ld, "cleaner-offset-checkpoint", offsetof(ksd_partition, cleaner_checkpoint), &buf);
	attach(ld, "replication-offset-checkpoint", offsetof(ksd_partition, high_watermark), &buf);
	attach(ld, "log-start-offset-checkpoint",
	       offsetof(ksd_partition, log_start_checkpoint), &buf);
	ksd_bytes_free(&buf);
}
