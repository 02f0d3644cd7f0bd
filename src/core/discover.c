/*
 * Discovery: turns command-line paths into log dirs, partitions and segment
 * sets, from directory listings and file names only (no file is opened).
 *
 * A directory is a log dir root when it holds a root file (meta.properties,
 * a root checkpoint, .lock, .kafka_cleanshutdown) or partition dirs; it is a
 * partition dir when its name parses as one and it holds partition files or
 * nothing.  Content decides before the name does: "kafka-logs-1" parses as
 * topic "kafka-logs", partition 1.
 */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <libgen.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ksd/scan.h"
#include "scan_internal.h"

static bool is_root_file_kind(ksd_file_kind k)
{
	switch (k) {
	case KSD_FILE_META_PROPERTIES:
	case KSD_FILE_LOCK:
	case KSD_FILE_CLEAN_SHUTDOWN:
	case KSD_FILE_RECOVERY_CHECKPOINT:
	case KSD_FILE_REPLICATION_CHECKPOINT:
	case KSD_FILE_LOG_START_CHECKPOINT:
	case KSD_FILE_CLEANER_CHECKPOINT:
	case KSD_FILE_BOOTSTRAP_CHECKPOINT:
		return true;
	default:
		return false;
	}
}

static bool is_partition_file_kind(ksd_file_kind k)
{
	switch (k) {
	case KSD_FILE_LOG:
	case KSD_FILE_INDEX:
	case KSD_FILE_TIMEINDEX:
	case KSD_FILE_TXNINDEX:
	case KSD_FILE_SNAPSHOT:
	case KSD_FILE_KRAFT_SNAPSHOT:
	case KSD_FILE_LEADER_EPOCH_CHECKPOINT:
	case KSD_FILE_PARTITION_METADATA:
	case KSD_FILE_QUORUM_STATE:
		return true;
	default:
		return false;
	}
}

char *ksd_path_join(const char *dir, const char *name)
{
	size_t dl = strlen(dir), nl = strlen(name);
	bool slash = dl > 0 && dir[dl - 1] == '/';
	char *p = malloc(dl + nl + 2);
	if (!p)
		return NULL;
	memcpy(p, dir, dl);
	if (!slash)
		p[dl++] = '/';
	memcpy(p + dl, name, nl + 1);
	return p;
}

/* The user's spelling without trailing slashes ("/" stays "/"). */
static char *normalize_display(const char *path)
{
	size_t len = strlen(path);
	while (len > 1 && path[len - 1] == '/')
		len--;
	return strndup(path, len);
}

static bool is_dir(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

typedef struct dir_survey {
	bool root_files, partition_files, partition_dirs, empty;
} dir_survey;

static dir_survey survey_dir(const char *path)
{
	dir_survey s = {false, false, false, true};
	DIR *d = opendir(path);
	if (!d)
		return s;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		s.empty = false;
		ksd_file_name fn = ksd_classify_file(e->d_name);
		if (is_root_file_kind(fn.kind))
			s.root_files = true;
		else if (is_partition_file_kind(fn.kind))
			s.partition_files = true;
		ksd_partition_name pn;
		if ((e->d_type == DT_DIR || e->d_type == DT_UNKNOWN) &&
		    ksd_parse_partition_dir(e->d_name, &pn)) {
			char *sub = ksd_path_join(path, e->d_name);
			if (sub && is_dir(sub))
				s.partition_dirs = true;
			free(sub);
		}
	}
	closedir(d);
	return s;
}

void ksd_scan_op_error(ksd_scan *scan, const char *path, ksd_err err, int sys_errno)
{
	ksd_op_error *v = realloc(scan->errors, (scan->nerrors + 1) * sizeof *v);
	if (!v)
		return;
	scan->errors = v;
	v[scan->nerrors].path = strdup(path);
	v[scan->nerrors].err = err;
	v[scan->nerrors].sys_errno = sys_errno;
	scan->nerrors++;
}

/* Finds or creates the log dir entry for `root` (display spelling). */
static ksd_logdir *logdir_get(ksd_scan *scan, const char *root)
{
	char real[PATH_MAX];
	const char *key = realpath(root, real) ? real : root;
	for (size_t i = 0; i < scan->nlogdirs; i++)
		if (strcmp(scan->logdirs[i].real_path, key) == 0)
			return &scan->logdirs[i];
	ksd_logdir *v = realloc(scan->logdirs, (scan->nlogdirs + 1) * sizeof *v);
	if (!v)
		return NULL;
	scan->logdirs = v;
	ksd_logdir *ld = &v[scan->nlogdirs];
	memset(ld, 0, sizeof *ld);
	ld->path = normalize_display(root);
	ld->real_path = strdup(key);
	ld->lock_state = -1;
	ld->clean_shutdown = -1; /* known after ksd_load_logdir_checkpoints */
	ksd_findings_init(&ld->findings, scan->cfg.max_findings_per_problem);
	if (!ld->path || !ld->real_path) {
		free(ld->path);
		free(ld->real_path);
		return NULL;
	}
	scan->nlogdirs++;
	return ld;
}

static ksd_partition *partition_find(ksd_logdir *ld, const char *dir_name)
{
	for (size_t i = 0; i < ld->npartitions; i++)
		if (strcmp(ld->partitions[i].dir_name, dir_name) == 0)
			return &ld->partitions[i];
	return NULL;
}

static ksd_partition *partition_add(ksd_scan *scan, ksd_logdir *ld,
				    const char *path, const char *dir_name)
{
	ksd_partition *p = partition_find(ld, dir_name);
	if (p)
		return p;
	ksd_partition *v = realloc(ld->partitions, (ld->npartitions + 1) * sizeof *v);
	if (!v)
		return NULL;
	ld->partitions = v;
	p = &v[ld->npartitions];
	memset(p, 0, sizeof *p);
	p->path = normalize_display(path);
	p->dir_name = strdup(dir_name);
	if (!p->path || !p->dir_name) {
		free(p->path);
		free(p->dir_name);
		return NULL;
	}
	if (!ksd_parse_partition_dir(dir_name, &p->name)) {
		/* A loose file's directory: still scanned, but nameless. */
		p->name.partition = -1;
		p->name.topic[0] = '\0';
	}
	p->compacted = ksd_topic_is_compacted(&scan->cfg, p->name.topic);
	ksd_findings_init(&p->findings, scan->cfg.max_findings_per_problem);
	p->recovery_point = p->cleaner_checkpoint = -1;
	p->high_watermark = p->log_start_checkpoint = -1;
	ld->npartitions++;
	return p;
}

static ksd_segment *segment_get(ksd_partition *p, int64_t base)
{
	for (size_t i = 0; i < p->nsegments; i++)
		if (p->segments[i].base_offset == base)
			return &p->segments[i];
	ksd_segment *v = realloc(p->segments, (p->nsegments + 1) * sizeof *v);
	if (!v)
		return NULL;
	p->segments = v;
	ksd_segment *s = &v[p->nsegments++];
	memset(s, 0, sizeof *s);
	s->base_offset = base;
	s->first_offset = s->last_offset = s->max_timestamp = -1;
	s->first_damage = -1;
	return s;
}

/* Producer snapshots are checked by pass 2 (§3.1). */
static bool partition_note_snapshot(ksd_partition *p, int64_t offset)
{
	int64_t *v = realloc(p->snapshots, (p->nsnapshots + 1) * sizeof *v);
	if (!v)
		return false;
	p->snapshots = v;
	v[p->nsnapshots++] = offset;
	return true;
}

static const char *leftover_action(const ksd_file_name *fn)
{
	switch (fn->state) {
	case KSD_STATE_DELETED:
		return "the broker deletes it at startup";
	case KSD_STATE_CLEANED:
		return "the broker deletes it at startup, with every .swap at or above its base "
		       "offset (an incomplete clean or split)";
	case KSD_STATE_SWAP:
		return "the broker completes the swap at startup: live files whose base offset lies "
		       "in its range are deleted and it becomes live";
	default:
		return "the broker ignores it";
	}
}

static void note_leftover(ksd_partition *p, const char *name, const ksd_file_name *fn,
			  uint64_t size)
{
	bool segment_family = fn->kind == KSD_FILE_LOG || fn->kind == KSD_FILE_INDEX ||
			      fn->kind == KSD_FILE_TIMEINDEX || fn->kind == KSD_FILE_TXNINDEX ||
			      fn->kind == KSD_FILE_SNAPSHOT;
	/* .tmp checkpoints and .checkpoint.part snapshots are rewritten or
	 * removed by the broker as a matter of course: not leftovers. */
	if (!segment_family || (fn->state != KSD_STATE_DELETED && fn->state != KSD_STATE_CLEANED &&
				fn->state != KSD_STATE_SWAP))
		return;
	char *path = ksd_path_join(p->path, name);
	ksd_finding *f = ksd_report(&p->findings, KSD_P_LEFTOVER_FILE, path, -1,
				    "%s (%s, base offset %" PRId64 ", %" PRIu64 " bytes): %s", name,
				    ksd_file_kind_name(fn->kind), fn->offset, size,
				    leftover_action(fn));
	ksd_finding_int(f, "base_offset", fn->offset);
	ksd_finding_uint(f, "size", size);
	ksd_finding_str(f, "state", fn->state == KSD_STATE_DELETED   ? "deleted"
				    : fn->state == KSD_STATE_CLEANED ? "cleaned"
								     : "swap");
	ksd_finding_str(f, "rule", "LogLoader.removeTempFilesAndCollectSwapFiles: .deleted and .cleaned "
			"deleted, .swap completed over its offset range (swap rules of KAFKA-6264, 2.0+)");
	free(path);
}

/* Records one file of a partition dir; false only on out-of-memory. */
static bool partition_note_file(ksd_partition *p, const char *name, const struct stat *st)
{
	uint64_t size = (uint64_t)st->st_size;
	ksd_file_name fn = ksd_classify_file(name);
	if (fn.kind == KSD_FILE_UNKNOWN) {
		char *path = ksd_path_join(p->path, name);
		ksd_finding *f = ksd_report(&p->findings, KSD_P_UNKNOWN_FILE, path, -1,
					    "%s is not a file Kafka writes in a partition dir",
					    name);
		ksd_finding_uint(f, "size", size);
		ksd_finding_str(f, "rule", "LogLoader loads only the file names it knows and leaves "
				"other regular files alone (all versions)");
		free(path);
		return true;
	}
	/* Transitional files (.deleted, .cleaned, .swap) are not live segments,
	 * but startup acts on them (kafka-facts.md §3.7). */
	if (fn.state != KSD_STATE_LIVE) {
		note_leftover(p, name, &fn, size);
		return true;
	}
	ksd_segment *s;
	switch (fn.kind) {
	case KSD_FILE_LOG:
		if (!(s = segment_get(p, fn.offset)))
			return false;
		s->log_path = ksd_path_join(p->path, name);
		s->log_size = size;
		/* Retention falls back to mtime when a segment has no timestamps. */
		s->mtime_ms = (int64_t)st->st_mtim.tv_sec * 1000 + st->st_mtim.tv_nsec / 1000000;
		return s->log_path != NULL;
	case KSD_FILE_INDEX:
	case KSD_FILE_TIMEINDEX:
	case KSD_FILE_TXNINDEX:
		if (!(s = segment_get(p, fn.offset)))
			return false;
		s->has_index |= fn.kind == KSD_FILE_INDEX;
		s->has_timeindex |= fn.kind == KSD_FILE_TIMEINDEX;
		s->has_txnindex |= fn.kind == KSD_FILE_TXNINDEX;
		return true;
	case KSD_FILE_SNAPSHOT:
		return partition_note_snapshot(p, fn.offset);
	default:
		return true;
	}
}

static int segment_cmp(const void *a, const void *b)
{
	const ksd_segment *x = a, *y = b;
	return x->base_offset < y->base_offset ? -1 : x->base_offset > y->base_offset;
}

static ksd_err add_partition_dir(ksd_scan *scan, ksd_logdir *ld, const char *path,
				 const char *dir_name)
{
	ksd_partition *p = partition_add(scan, ld, path, dir_name);
	if (!p)
		return KSD_ERR_NOMEM;
	if (p->nsegments > 0 && !p->only_files)
		return KSD_OK; /* already listed (path given twice) */
	p->only_files = false;
	DIR *d = opendir(path);
	if (!d) {
		ksd_scan_op_error(scan, path, KSD_ERR_IO, errno);
		return KSD_ERR_IO;
	}
	struct dirent *e;
	ksd_err err = KSD_OK;
	while ((e = readdir(d)) != NULL && err == KSD_OK) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		char *fp = ksd_path_join(path, e->d_name);
		struct stat st;
		if (!fp) {
			err = KSD_ERR_NOMEM;
		} else if (lstat(fp, &st) != 0) {
			ksd_scan_op_error(scan, fp, KSD_ERR_IO, errno);
		} else if (S_ISDIR(st.st_mode)) {
			ksd_finding *f = ksd_report(&p->findings, KSD_P_UNKNOWN_FILE, fp, -1,
						    "unexpected directory %s inside a partition dir",
						    e->d_name);
			ksd_finding_str(f, "rule", "LogLoader lists only files in a partition dir; a "
					"subdirectory is left alone (all versions)");
		} else {
			/* Disk use as `du` counts it: allocated blocks, so a sparse
			 * preallocated index counts for what it really holds. */
			p->file_bytes += (uint64_t)st.st_size;
			p->disk_bytes += (uint64_t)st.st_blocks * 512u;
			if (!partition_note_file(p, e->d_name, &st))
				err = KSD_ERR_NOMEM;
		}
		free(fp);
	}
	closedir(d);
	if (p->nsegments > 1) /* qsort(NULL, 0) is undefined */
		qsort(p->segments, p->nsegments, sizeof *p->segments, segment_cmp);
	return err;
}

static ksd_err add_root_entry(ksd_scan *scan, ksd_logdir *ld, const char *name)
{
	char *fp = ksd_path_join(ld->path, name);
	if (!fp)
		return KSD_ERR_NOMEM;
	struct stat st;
	ksd_err err = KSD_OK;
	ksd_partition_name pn;
	if (stat(fp, &st) != 0) {
		ksd_scan_op_error(scan, fp, KSD_ERR_IO, errno);
	} else if (S_ISDIR(st.st_mode)) {
		if (ksd_parse_partition_dir(name, &pn))
			err = add_partition_dir(scan, ld, fp, name);
		else
			ksd_note_foreign_dir(ld, fp, name);
	} else if (ksd_classify_file(name).kind == KSD_FILE_UNKNOWN) {
		ksd_finding *f = ksd_report(&ld->findings, KSD_P_UNKNOWN_FILE, fp, -1,
					    "%s is not a file Kafka writes in a log dir root",
					    name);
		ksd_finding_uint(f, "size", (uint64_t)st.st_size);
		ksd_finding_str(f, "rule", "LogManager reads only the root files it knows and leaves "
				"other regular files alone (all versions)");
	}
	free(fp);
	return err;
}

static ksd_err add_logdir_root(ksd_scan *scan, const char *path)
{
	ksd_logdir *ld = logdir_get(scan, path);
	if (!ld)
		return KSD_ERR_NOMEM;
	if (ld->root_given)
		return KSD_OK;
	ld->root_given = true;
	DIR *d = opendir(path);
	if (!d) {
		ksd_scan_op_error(scan, path, KSD_ERR_IO, errno);
		return KSD_ERR_IO;
	}
	/* Names first, so partitions added later cannot move our dirent. */
	char **names = NULL;
	size_t n = 0;
	struct dirent *e;
	ksd_err err = KSD_OK;
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		char **nv = realloc(names, (n + 1) * sizeof *names);
		if (!nv || !(nv[n] = strdup(e->d_name))) {
			names = nv ? nv : names;
			err = KSD_ERR_NOMEM;
			break;
		}
		names = nv;
		n++;
	}
	closedir(d);
	for (size_t i = 0; i < n; i++) {
		if (err == KSD_OK)
			err = add_root_entry(scan, ld, names[i]);
		free(names[i]);
	}
	free(names);
	return err;
}

static char *parent_of(const char *path)
{
	char *copy = normalize_display(path);
	if (!copy)
		return NULL;
	char *slash = strrchr(copy, '/');
	if (!slash) {
		free(copy);
		return strdup(".");
	}
	if (slash == copy)
		slash[1] = '\0';
	else
		*slash = '\0';
	return copy;
}

static const char *base_of(const char *path)
{
	const char *slash = strrchr(path, '/');
	return slash ? slash + 1 : path;
}

static ksd_err add_partition_path(ksd_scan *scan, const char *path)
{
	char *norm = normalize_display(path);
	char *parent = parent_of(path);
	ksd_err err = KSD_ERR_NOMEM;
	if (norm && parent) {
		ksd_logdir *ld = logdir_get(scan, parent);
		err = ld ? add_partition_dir(scan, ld, norm, base_of(norm)) : KSD_ERR_NOMEM;
	}
	free(norm);
	free(parent);
	return err;
}

/* An index names its segment: scan the .log of the same base with it. */
static ksd_err note_sibling_log(ksd_partition *p, const char *pdir, const char *name)
{
	ksd_file_name fn = ksd_classify_file(name);
	if (fn.kind == KSD_FILE_LOG || fn.offset < 0)
		return KSD_OK;
	char log_name[32];
	snprintf(log_name, sizeof log_name, "%020" PRId64 ".log", fn.offset);
	char *path = ksd_path_join(pdir, log_name);
	if (!path)
		return KSD_ERR_NOMEM;
	struct stat st;
	bool ok = true;
	if (stat(path, &st) == 0 && S_ISREG(st.st_mode))
		ok = partition_note_file(p, log_name, &st);
	free(path);
	return ok ? KSD_OK : KSD_ERR_NOMEM;
}

/* A single segment or index file: scan that segment only. */
static ksd_err add_file_path(ksd_scan *scan, const char *path, const struct stat *st)
{
	char *norm = normalize_display(path);
	char *pdir = norm ? parent_of(norm) : NULL;
	char *root = pdir ? parent_of(pdir) : NULL;
	ksd_err err = KSD_ERR_NOMEM;
	if (root) {
		ksd_logdir *ld = logdir_get(scan, root);
		ksd_partition *p = ld ? partition_add(scan, ld, pdir, base_of(pdir)) : NULL;
		if (p && (p->nsegments == 0 || p->only_files)) {
			p->only_files = true;
			err = partition_note_file(p, base_of(norm), st) ? KSD_OK : KSD_ERR_NOMEM;
			if (err == KSD_OK)
				err = note_sibling_log(p, pdir, base_of(norm));
			if (p->nsegments > 1) /* qsort(NULL, 0) is undefined */
				qsort(p->segments, p->nsegments, sizeof *p->segments, segment_cmp);
		} else if (p) {
			err = KSD_OK; /* its directory is scanned already */
		}
	}
	free(norm);
	free(pdir);
	free(root);
	return err;
}

static bool is_segment_kind(ksd_file_kind k)
{
	return k == KSD_FILE_LOG || k == KSD_FILE_INDEX || k == KSD_FILE_TIMEINDEX ||
	       k == KSD_FILE_TXNINDEX;
}

ksd_err ksd_scan_add_path(ksd_scan *scan, const char *path)
{
	struct stat st;
	if (stat(path, &st) != 0) {
		ksd_err err = errno == ENOENT ? KSD_ERR_NOENT : KSD_ERR_IO;
		ksd_scan_op_error(scan, path, err, errno);
		return err;
	}
	if (S_ISREG(st.st_mode)) {
		char *norm = normalize_display(path);
		ksd_file_name fn = ksd_classify_file(norm ? base_of(norm) : path);
		free(norm);
		if (is_segment_kind(fn.kind) && fn.state == KSD_STATE_LIVE)
			return add_file_path(scan, path, &st);
		ksd_scan_op_error(scan, path, KSD_ERR_NOTSUP, 0);
		return KSD_ERR_NOTSUP;
	}
	if (!S_ISDIR(st.st_mode)) {
		ksd_scan_op_error(scan, path, KSD_ERR_NOTSUP, 0);
		return KSD_ERR_NOTSUP;
	}
	dir_survey s = survey_dir(path);
	ksd_partition_name pn;
	char *norm = normalize_display(path);
	bool named_like_partition = norm && ksd_parse_partition_dir(base_of(norm), &pn);
	free(norm);
	if (s.root_files)
		return add_logdir_root(scan, path);
	if (named_like_partition && (s.partition_files || s.empty || !s.partition_dirs))
		return add_partition_path(scan, path);
	if (s.partition_dirs)
		return add_logdir_root(scan, path);
	ksd_scan_op_error(scan, path, KSD_ERR_NOTSUP, 0);
	return KSD_ERR_NOTSUP;
}
