/*
 * Log-dir checkpoints the passes need (recovery points, cleaner's first
 * dirty offsets, high watermarks, log start offsets) and the clean-shutdown
 * marker, read once per log dir before pass 1 with the same strict
 * parser `dump` uses (ksd_parse_offset_checkpoint), and attached to each
 * partition.  Kafka ignores a malformed recovery-point checkpoint with a
 * warning (§3.2), so a file that does not parse attaches nothing.
 *
 * Also read here, once, for the directory-level checks of pass 3 and the
 * broker-scope pass: the root's meta.properties and each partition's topic
 * id (partition.metadata).  A checkpoint entry naming a partition with no
 * directory in a log dir the user named whole is reported here (it is a
 * fact about the root's file, known only while the entries are at hand).
 */
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
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
	ksd_partition *future = NULL;
	for (size_t i = lo; i < ld->npartitions && tp_cmp(k, &ld->partitions[i]) == 0; i++) {
		if (ld->partitions[i].name.state == KSD_PART_LIVE)
			return &ld->partitions[i];
		if (ld->partitions[i].name.state == KSD_PART_FUTURE)
			future = &ld->partitions[i];
	}
	/* A -future log (KIP-113) is checkpointed in its own log dir under the
	 * plain topic-partition key (LogManager checkpoints future logs too). */
	return future;
}

/* True when some dir of the log dir (a -delete or -stray one) has the key. */
static bool any_dir(const ksd_logdir *ld, const tp_key *k)
{
	for (size_t i = 0; i < ld->npartitions; i++)
		if (tp_cmp(k, &ld->partitions[i]) == 0)
			return true;
	return false;
}

/* Entries of one root checkpoint that name no live partition dir. */
typedef struct absent_list {
	uint64_t n, n_deleted_dir, n_nonzero, n_lost;
	char example[3][64];
	unsigned nexample;
} absent_list;

static void absent_note(absent_list *a, const ksd_logdir *ld, const ksd_tp_offset *e)
{
	tp_key k = {e->topic, e->topic_len, e->partition};
	a->n++;
	bool dir = any_dir(ld, &k);
	a->n_deleted_dir += dir;
	a->n_nonzero += e->offset > 0;
	a->n_lost += e->offset > 0 && !dir; /* held data, and no dir at all */
	if (a->nexample < 3) {
		int tl = e->topic_len > 40 ? 40 : (int)e->topic_len; /* examples only */
		snprintf(a->example[a->nexample++], sizeof a->example[0], "%.*s-%" PRId32 "=%" PRId64,
			 tl, e->topic, e->partition, e->offset);
	}
}

/*
 * Kafka only looks checkpoint entries up by the logs it loaded: an entry
 * without a directory is ignored and dropped at the next checkpoint write
 * (LogManager writes the files from its current logs: high watermarks every
 * 5 s, recovery points every 60 s and at shutdown).  An entry at offset 0
 * without a dir is an empty partition dir lost on the way (git and some copy
 * tools drop empty dirs; realdata Niloufar1171__LDI-POC has
 * __consumer_offsets-14=0 so).  A non-zero offset with no dir at all (not
 * even a -delete one, which a deletion leaves for a minute) means data this
 * broker held is not in this log dir: a lost or renamed dir, or a partition
 * moved away just before a crash.  Either way the broker only ignores the
 * entry, so this stays info; lost_dirs counts the entries worth a look.
 */
static void report_absent(ksd_logdir *ld, const char *file, const absent_list *a)
{
	if (a->n == 0)
		return;
	char *path = ksd_path_join(ld->path, file);
	ksd_finding *f = ksd_report(
		&ld->findings, KSD_P_CHECKPOINT_MISMATCH, path ? path : ld->path, -1,
		"%s names %" PRIu64 " partition%s with no live directory in this log dir "
		"(%" PRIu64 " with a non-zero offset and no dir at all, %" PRIu64 " with only a "
		"-delete/-stray dir; "
		"e.g. %s%s%s%s%s): the broker ignores these entries and drops them at its next "
		"checkpoint write; if such a partition should be on this broker its directory is "
		"missing and the broker will re-replicate it from the leader",
		file, a->n, a->n == 1 ? "" : "s", a->n_lost, a->n_deleted_dir, a->example[0],
		a->nexample > 1 ? ", " : "", a->nexample > 1 ? a->example[1] : "",
		a->nexample > 2 ? ", " : "", a->nexample > 2 ? a->example[2] : "");
	if (f) {
		f->severity = KSD_SEV_INFO;
		ksd_finding_str(f, "checkpoint", file);
		ksd_finding_uint(f, "entries_without_dir", a->n);
		ksd_finding_uint(f, "nonzero_offsets", a->n_nonzero);
		ksd_finding_uint(f, "lost_dirs", a->n_lost);
		ksd_finding_uint(f, "deleted_or_stray_dirs", a->n_deleted_dir);
		ksd_finding_str(f, "rule", "LogManager: checkpoint entries are looked up by loaded "
					   "logs; others are ignored and dropped at the next write "
					   "(all versions)");
	}
	free(path);
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
	absent_list absent;
	memset(&absent, 0, sizeof absent);
	for (size_t i = 0; i < info.stored; i++) {
		tp_key k = {v[i].topic, v[i].topic_len, v[i].partition};
		ksd_partition *p = find_live(ld, &k);
		if (p)
			*(int64_t *)((char *)p + field) = v[i].offset;
		else
			absent_note(&absent, ld, &v[i]);
	}
	/* Only a root the user named whole lists all its partitions: with
	 * partition globs, an entry without a dir is merely not scanned. */
	if (ld->root_given)
		report_absent(ld, file, &absent);
	free(v);
}

static bool root_file_exists(const ksd_logdir *ld, const char *name)
{
	char *path = ksd_path_join(ld->path, name);
	struct stat st;
	bool ok = path && stat(path, &st) == 0 && S_ISREG(st.st_mode);
	free(path);
	return ok;
}

/* A directory is a log dir root when the broker wrote its own files there
 * (discovery also takes a dir of partition dirs named by the user). */
static bool looks_like_logdir(const ksd_logdir *ld)
{
	static const char *const root_files[] = {
		"meta.properties", "recovery-point-offset-checkpoint", "replication-offset-checkpoint",
		"log-start-offset-checkpoint", "cleaner-offset-checkpoint", ".lock",
		".kafka_cleanshutdown"};
	for (size_t i = 0; i < sizeof root_files / sizeof root_files[0]; i++)
		if (root_file_exists(ld, root_files[i]))
			return true;
	return ld->root_given && ld->npartitions > 0;
}

static void load_meta(ksd_logdir *ld, ksd_bytes *buf)
{
	ksd_logdir_meta *m = &ld->meta;
	memset(m, 0, sizeof *m);
	m->status = -1;
	char *path = ksd_path_join(ld->path, "meta.properties");
	ksd_file_image im;
	if (!path || ksd_file_load(path, KSD_FILE_READ_CAP, buf, &im) != KSD_OK) {
		free(path);
		return;
	}
	free(path);
	ksd_meta_properties *mp = malloc(sizeof *mp); /* ~16 KiB: not on the stack */
	if (!mp)
		return;
	m->status = (int)ksd_parse_meta_properties((const char *)im.data, im.len, mp);
	m->version = mp->version;
	m->has_broker_id = mp->has_broker_id;
	m->has_node_id = mp->has_node_id;
	m->has_cluster_id = mp->has_cluster_id;
	m->has_directory_id = mp->has_directory_id;
	m->broker_id = mp->broker_id;
	m->node_id = mp->node_id;
	snprintf(m->cluster_id, sizeof m->cluster_id, "%s", mp->cluster_id);
	if (mp->has_directory_id)
		ksd_format_uuid(mp->directory_id, m->directory_id);
	m->bad_line = mp->res.line;
	m->bad_what = mp->res.what;
	free(mp);
}

/* partition.metadata (2.8+, KIP-516); an invalid file leaves no id. */
static void load_topic_id(ksd_partition *p, ksd_bytes *buf)
{
	p->topic_id[0] = '\0';
	char *path = ksd_path_join(p->path, "partition.metadata");
	ksd_file_image im;
	ksd_partition_metadata pm;
	if (path && ksd_file_load(path, KSD_FILE_READ_CAP, buf, &im) == KSD_OK &&
	    ksd_parse_partition_metadata((const char *)im.data, im.len, &pm) == KSD_TEXT_OK)
		ksd_format_uuid(pm.topic_id, p->topic_id);
	free(path);
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
	ld->is_logdir = looks_like_logdir(ld);
	load_meta(ld, &buf);
	for (size_t i = 0; i < ld->npartitions; i++)
		load_topic_id(&ld->partitions[i], &buf);
	attach(ld, "recovery-point-offset-checkpoint",
	       offsetof(ksd_partition, recovery_point), &buf);
	attach(ld, "cleaner-offset-checkpoint", offsetof(ksd_partition, cleaner_checkpoint), &buf);
	attach(ld, "replication-offset-checkpoint", offsetof(ksd_partition, high_watermark), &buf);
	attach(ld, "log-start-offset-checkpoint",
	       offsetof(ksd_partition, log_start_checkpoint), &buf);
	ksd_bytes_free(&buf);
}
