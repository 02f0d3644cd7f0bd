/*
 * Pass 3, directory level: what the broker's log loading will do with each
 * log dir and partition, from the model alone (pass 1's offsets, discovery's
 * file lists, the checkpoints read before pass 1).  No .log is read again;
 * the only files opened are the small leader-epoch-checkpoints.
 *
 *   unclean-shutdown      no .kafka_cleanshutdown: how much LogLoader recovers
 *   missing-index         a .log without .index (recovered) or .timeindex
 *   orphan-file           indexes without a .log, producer snapshots startup deletes
 *   checkpoint-mismatch   checkpoints beyond the log end (kafka-facts.md §3.2, §5.1)
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ksd/files.h"
#include "scan_internal.h"

/* The KRaft metadata log is recovered at every start (§3.8). */
static bool is_metadata_log(const ksd_partition *p)
{
	return strcmp(p->name.topic, "__cluster_metadata") == 0;
}

/* Log end offset as the loader finds it: the last segment with a .log ends
 * one past its last batch, or at its base when it holds none; -1 when the
 * partition has no .log at all. */
static int64_t dir_log_end(const ksd_partition *p)
{
	for (size_t i = p->nsegments; i-- > 0;) {
		const ksd_segment *s = &p->segments[i];
		if (s->log_path)
			return s->last_offset >= 0 ? s->last_offset + 1 : s->base_offset;
	}
	return -1;
}

static const ksd_segment *next_log_segment(const ksd_partition *p, size_t i)
{
	for (size_t j = i + 1; j < p->nsegments; j++)
		if (p->segments[j].log_path)
			return &p->segments[j];
	return NULL;
}

/* --- unclean-shutdown ------------------------------------------------------ */

typedef struct recovery_volume {
	uint64_t partitions, segments, bytes;
	uint64_t partitions_total;
	bool metadata_log;
} recovery_volume;

/*
 * LogLoader.recoverLog after an unclean shutdown: every segment that may
 * hold offsets at or above the recovery point (0 when the partition is not
 * in recovery-point-offset-checkpoint), i.e. whose next segment starts above
 * it, or the last one.  Segments are sorted by base offset (discovery).
 */
static void add_partition_volume(const ksd_partition *p, recovery_volume *v)
{
	int64_t rp = p->recovery_point < 0 ? 0 : p->recovery_point;
	bool any = false;
	for (size_t i = 0; i < p->nsegments; i++) {
		const ksd_segment *s = &p->segments[i];
		if (!s->log_path)
			continue;
		const ksd_segment *next = next_log_segment(p, i);
		if (next && next->base_offset <= rp)
			continue;
		v->segments++;
		v->bytes += s->log_size;
		any = true;
	}
	v->partitions += any;
}

static void check_unclean_shutdown(ksd_logdir *ld)
{
	/* A running broker has deleted the marker itself (2.8+, KAFKA-10471)
	 * or not written it yet: broker-running says what matters.  A dir that
	 * merely holds partition dirs the user named is no log dir root. */
	if (ld->clean_shutdown != 0 || !ld->is_logdir || ld->lock_state == 1)
		return;
	recovery_volume v;
	memset(&v, 0, sizeof v);
	for (size_t i = 0; i < ld->npartitions; i++) {
		const ksd_partition *p = &ld->partitions[i];
		if (p->only_files)
			continue;
		if (is_metadata_log(p)) {
			v.metadata_log = true;
			continue;
		}
		v.partitions_total++;
		add_partition_volume(p, &v);
	}
	char b1[32], b2[32], b3[32], b4[32];
	ksd_finding *f = ksd_report(
		&ld->findings, KSD_P_UNCLEAN_SHUTDOWN, ld->path, -1,
		"no .kafka_cleanshutdown in %s: the last shutdown was unclean (or a 2.8+ broker "
		"stopped while loading: it deletes the marker first, KAFKA-10471); at the next start "
		"LogLoader recovers %s of %s partitions scanned, %s segments, %s bytes at or above "
		"their recovery points (re-read, CRC-checked, indexes rebuilt)%s",
		ld->path, ksd_fmt_count(v.partitions, b1, sizeof b1),
		ksd_fmt_count(v.partitions_total, b2, sizeof b2),
		ksd_fmt_count(v.segments, b3, sizeof b3), ksd_fmt_count(v.bytes, b4, sizeof b4),
		v.metadata_log ? "; __cluster_metadata-0 is recovered at every start anyway" : "");
	ksd_finding_uint(f, "partitions", v.partitions);
	ksd_finding_uint(f, "partitions_scanned", v.partitions_total);
	ksd_finding_uint(f, "segments", v.segments);
	ksd_finding_uint(f, "bytes", v.bytes);
	ksd_finding_str(f, "rule", "LogLoader: without .kafka_cleanshutdown every segment from the "
				   "recovery point on is recovered (all versions; marker deleted at "
				   "load start from 2.8, KAFKA-10471)");
}

/* --- missing-index ----------------------------------------------------------- */

/* Whether <base>.log's sibling <base><suffix> exists.  Discovery lists the
 * whole dir, except when the user named single files (it then adds only
 * the named file and its .log): look on disk for those. */
static bool sibling_exists(const ksd_partition *p, const ksd_segment *s, const char *suffix,
			   bool listed)
{
	if (!p->only_files)
		return listed;
	if (listed)
		return true;
	size_t n = strlen(s->log_path);
	if (n < 4)
		return false;
	char *path = malloc(n - 4 + strlen(suffix) + 1);
	if (!path)
		return true; /* no memory: say nothing rather than something false */
	memcpy(path, s->log_path, n - 4);
	strcpy(path + n - 4, suffix);
	struct stat st;
	bool ok = stat(path, &st) == 0;
	free(path);
	return ok;
}

static void report_missing_offset_index(const ksd_config *cfg, ksd_segment *s)
{
	char b[32];
	ksd_finding *f = ksd_report(
		ksd_segment_findings(cfg, s), KSD_P_MISSING_INDEX, s->log_path, -1,
		"no .index for this segment: at the next start LogLoader recovers it even after a "
		"clean shutdown, re-reading its %s bytes and rewriting .index, .timeindex and "
		".txnindex (it truncates at the first invalid batch)",
		ksd_fmt_count(s->log_size, b, sizeof b));
	ksd_finding_str(f, "missing", ".index");
	ksd_finding_uint(f, "bytes_reread", s->log_size);
	ksd_finding_str(f, "rule", "LogLoader: a .log without .index is recovered at load "
				   "(LogSegment.sanityCheck NoSuchFileException; all versions)");
}

static void report_missing_time_index(const ksd_config *cfg, ksd_segment *s)
{
	ksd_finding *f = ksd_report(
		ksd_segment_findings(cfg, s), KSD_P_MISSING_INDEX, s->log_path, -1,
		"no .timeindex for this segment of v%s data: the broker creates it empty, without "
		"rebuilding it, so timestamp lookups (offsetsForTimes) skip this segment and time "
		"retention uses the file's mtime instead of its largest timestamp",
		(s->magic_mask & 4) ? "2" : "1");
	ksd_finding_str(f, "missing", ".timeindex");
	ksd_finding_uint(f, "bytes_reread", 0);
	ksd_finding_str(f, "rule", "LogLoader: a missing .timeindex next to an .index is created "
				   "empty (timeIndexFileNewlyCreated, resize(0)), not rebuilt; time "
				   "indexes exist from 0.10.1 (KIP-33)");
}

/*
 * Empty .log files are left out: the broker recovers them too, but that
 * reads nothing and changes nothing.  A time index exists from 0.10.1
 * (KIP-33); only v1/v2 data carries timestamps worth indexing.
 */
static void check_missing_index(const ksd_config *cfg, ksd_partition *p)
{
	bool time_index_era = !cfg->kafka_version.known ||
			      ksd_kversion_at_least(&cfg->kafka_version, 0, 10, 1, 0);
	for (size_t i = 0; i < p->nsegments; i++) {
		ksd_segment *s = &p->segments[i];
		if (!s->log_path || s->log_size == 0 || s->io_errno)
			continue;
		if (!sibling_exists(p, s, ".index", s->has_index))
			report_missing_offset_index(cfg, s);
		else if (time_index_era && (s->magic_mask & 6) &&
			 !sibling_exists(p, s, ".timeindex", s->has_timeindex))
			report_missing_time_index(cfg, s);
	}
}

/* --- orphan-file ------------------------------------------------------------- */

static void report_orphan_indexes(ksd_partition *p, const ksd_segment *s)
{
	char names[64] = "";
	if (s->has_index)
		strcat(names, ".index ");
	if (s->has_timeindex)
		strcat(names, ".timeindex ");
	if (s->has_txnindex)
		strcat(names, ".txnindex ");
	names[strlen(names) - 1] = '\0';
	char *dir_path = p->path;
	ksd_finding *f = ksd_report(
		&p->findings, KSD_P_ORPHAN_FILE, dir_path, -1,
		"%020" PRId64 " has %s but no .log: LogLoader deletes these index files at startup",
		s->base_offset, names);
	ksd_finding_int(f, "base_offset", s->base_offset);
	ksd_finding_str(f, "kind", "index");
	ksd_finding_str(f, "rule", "LogLoader.loadSegmentFiles: index files without a .log are "
				   "deleted (all versions)");
}

static bool is_log_base(const ksd_partition *p, int64_t off)
{
	for (size_t i = 0; i < p->nsegments; i++)
		if (p->segments[i].log_path && p->segments[i].base_offset == off)
			return true;
	return false;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return x < y ? -1 : x > y;
}

static void report_orphan_snapshot(ksd_partition *p, int64_t off, int64_t log_end,
				   const char *why, const char *rule)
{
	char name[48];
	snprintf(name, sizeof name, "%020" PRId64 ".snapshot", off);
	char *path = ksd_path_join(p->path, name);
	ksd_finding *f = ksd_report(&p->findings, KSD_P_ORPHAN_FILE, path ? path : p->path, -1,
				    "producer snapshot %s %s (log end %" PRId64 "): the broker "
				    "deletes it when it loads the partition",
				    name, why, log_end);
	ksd_finding_int(f, "snapshot_offset", off);
	ksd_finding_int(f, "log_end_offset", log_end);
	ksd_finding_str(f, "kind", "snapshot");
	ksd_finding_str(f, "rule", rule);
	free(path);
}

/*
 * What LogLoader.load does with producer snapshots once the segments are
 * known: removeStraySnapshots keeps, of the snapshots matching no segment
 * base, only the largest and only when it is not below the last segment's
 * base; then truncateAndReload deletes those above the log end.  With no
 * .log at all the loader first creates an empty segment at the log start.
 */
static void check_orphan_snapshots(ksd_partition *p)
{
	if (p->nsnapshots == 0 || p->only_files)
		return;
	int64_t *v = malloc(p->nsnapshots * sizeof *v);
	if (!v)
		return;
	memcpy(v, p->snapshots, p->nsnapshots * sizeof *v);
	if (p->nsnapshots > 1)
		qsort(v, p->nsnapshots, sizeof *v, cmp_i64);
	int64_t log_end = dir_log_end(p);
	int64_t max_base = -1;
	for (size_t i = 0; i < p->nsegments; i++)
		if (p->segments[i].log_path)
			max_base = p->segments[i].base_offset;
	bool no_log = log_end < 0;
	if (no_log) /* the loader creates an empty segment at the log start */
		log_end = max_base = p->log_start_checkpoint > 0 ? p->log_start_checkpoint : 0;
	size_t largest_stray = SIZE_MAX;
	for (size_t i = 0; i < p->nsnapshots; i++)
		if (!(no_log ? v[i] == max_base : is_log_base(p, v[i])))
			largest_stray = i;
	static const char *const stray_rule =
		"ProducerStateManager.removeStraySnapshots: snapshots matching no segment base are "
		"deleted except the largest, kept only when not below the last segment's base";
	static const char *const end_rule =
		"ProducerStateManager.truncateAndReload: snapshots above the log end are deleted";
	for (size_t i = 0; i < p->nsnapshots; i++) {
		bool stray = !(no_log ? v[i] == max_base : is_log_base(p, v[i]));
		if (stray && (i != largest_stray || v[i] < max_base))
			report_orphan_snapshot(p, v[i], log_end,
					       "matches no segment base offset and is not the newest "
					       "snapshot at or above the last segment's base",
					       stray_rule);
		else if (v[i] > log_end)
			report_orphan_snapshot(p, v[i], log_end, "lies above the log end", end_rule);
	}
	free(v);
}

static void check_orphans(ksd_partition *p)
{
	for (size_t i = 0; i < p->nsegments; i++) {
		const ksd_segment *s = &p->segments[i];
		if (!s->log_path && (s->has_index || s->has_timeindex || s->has_txnindex))
			report_orphan_indexes(p, s);
	}
	check_orphan_snapshots(p);
}

/* --- checkpoint-mismatch ---------------------------------------------------- */

static uint64_t log_bytes(const ksd_partition *p, size_t *nseg)
{
	uint64_t b = 0;
	*nseg = 0;
	for (size_t i = 0; i < p->nsegments; i++)
		if (p->segments[i].log_path) {
			b += p->segments[i].log_size;
			(*nseg)++;
		}
	return b;
}

static ksd_finding *report_beyond(ksd_partition *p, const char *file, int64_t value,
				  int64_t log_end, const char *what, const char *rule)
{
	char *path = ksd_path_join(p->logdir ? p->logdir->path : p->path, file);
	ksd_finding *f = ksd_report(&p->findings, KSD_P_CHECKPOINT_MISMATCH, path ? path : p->path,
				    -1, "%s says %" PRId64 " for %s but the log ends at %" PRId64
				    ": %s", file, value, p->dir_name, log_end, what);
	ksd_finding_str(f, "checkpoint", file);
	ksd_finding_int(f, "checkpoint_offset", value);
	ksd_finding_int(f, "log_end_offset", log_end);
	ksd_finding_str(f, "rule", rule);
	free(path);
	return f;
}

static void check_log_start(ksd_partition *p, int64_t log_end)
{
	if (p->log_start_checkpoint <= log_end)
		return;
	size_t nseg;
	uint64_t bytes = log_bytes(p, &nseg);
	char what[200], b[32];
	snprintf(what, sizeof what,
		 "LogLoader deletes all %zu segments (%s bytes) of this partition at startup "
		 "(\"logEndOffset is smaller than logStartOffset\")",
		 nseg, ksd_fmt_count(bytes, b, sizeof b));
	ksd_finding *f = report_beyond(p, "log-start-offset-checkpoint", p->log_start_checkpoint,
				       log_end, what,
				       "LogLoader: logStartOffset > logEndOffset deletes all segments "
				       "(0.11+, KIP-107)");
	if (f) {
		f->severity = KSD_SEV_ERROR;
		ksd_finding_uint(f, "segments_deleted", nseg);
		ksd_finding_uint(f, "bytes_deleted", bytes);
	}
}

/*
 * A high watermark or leader epoch beyond the log end is alarming only when
 * the files are known to be consistent: after a clean shutdown the broker
 * flushed every log before writing its checkpoints, so a shorter log means
 * segments were removed or restored afterwards.  After an unclean stop
 * (unflushed page cache lost with the machine) or in a copy taken while a
 * broker ran, a log behind its high watermark is the expected state and the
 * follower fetches the rest from the leader: realdata holds four such dirs
 * (CheyneeeWww__community: __consumer_offsets-28 ends at 4170, high
 * watermark 8787; Danielowo2000 kafka_data, Islene888).  Those are info.
 */
static bool files_consistent(const ksd_partition *p)
{
	return p->logdir && p->logdir->clean_shutdown == 1 && p->logdir->lock_state != 1;
}

static void grade_by_shutdown(const ksd_partition *p, ksd_finding *f)
{
	if (f && !files_consistent(p))
		f->severity = KSD_SEV_INFO;
	ksd_finding_bool(f, "clean_shutdown", files_consistent(p));
}

static void check_root_checkpoints(ksd_partition *p, int64_t log_end)
{
	char what[320];
	check_log_start(p, log_end);
	if (p->high_watermark > log_end) {
		snprintf(what, sizeof what,
			 "%" PRId64 " acknowledged offsets are missing on this replica (%s); the broker "
			 "lowers the high watermark to the log end, and if this replica becomes "
			 "leader before it catches up those records are lost",
			 p->high_watermark - log_end,
			 files_consistent(p) ? "the log dir was shut down cleanly, so segments were "
					       "removed or restored since"
					     : "expected after an unclean stop that lost unflushed data, "
					       "or in a copy taken while the broker ran");
		grade_by_shutdown(p, report_beyond(p, "replication-offset-checkpoint",
						   p->high_watermark, log_end, what,
						   "UnifiedLog: the high watermark is bounded by the log "
						   "end offset (all versions)"));
	}
	if (p->recovery_point > log_end)
		report_beyond(p, "recovery-point-offset-checkpoint", p->recovery_point, log_end,
			      "data the broker had flushed is missing; LogLoader lowers the "
			      "recovery point to the log end",
			      "LogLoader.recoverLog: the recovery point never exceeds the log end "
			      "offset (all versions)");
	if (p->cleaner_checkpoint > log_end) {
		ksd_finding *f = report_beyond(
			p, "cleaner-offset-checkpoint", p->cleaner_checkpoint, log_end,
			"the log cleaner finds the checkpoint out of range and resets it to the log "
			"start: it re-cleans the whole log",
			"LogCleanerManager.cleanableOffsets: a checkpoint outside [logStart, logEnd] "
			"is reset to the log start (all versions)");
		if (f)
			f->severity = KSD_SEV_INFO;
	}
}

/* leader-epoch-checkpoint (0.11+, KIP-101): entries starting beyond the log
 * end.  One starting exactly at the log end is normal (a leader elected
 * after the last append). */
static void check_leader_epochs(ksd_partition *p, int64_t log_end, ksd_bytes *buf)
{
	char *path = ksd_path_join(p->path, "leader-epoch-checkpoint");
	ksd_file_image im;
	ksd_epoch_checkpoint_info info;
	if (!path || ksd_file_load(path, KSD_FILE_READ_CAP, buf, &im) != KSD_OK ||
	    ksd_parse_leader_epoch_checkpoint((const char *)im.data, im.len, NULL, 0, &info) !=
		    KSD_TEXT_OK ||
	    info.cp.entries == 0) {
		free(path);
		return;
	}
	ksd_epoch_entry *v = calloc(info.cp.entries, sizeof *v);
	if (v) {
		ksd_parse_leader_epoch_checkpoint((const char *)im.data, im.len, v, info.cp.entries,
						  &info);
		uint64_t beyond = 0;
		size_t first = SIZE_MAX;
		for (size_t i = 0; i < info.cp.stored; i++)
			if (v[i].start_offset > log_end) {
				beyond++;
				if (first == SIZE_MAX)
					first = i;
			}
		if (beyond) {
			ksd_finding *f = ksd_report(
				&p->findings, KSD_P_CHECKPOINT_MISMATCH, path, -1,
				"%" PRIu64 " of %zu leader epoch entries start beyond the log end %" PRId64
				" (first: epoch %" PRId32 " at offset %" PRId64 "): offsets %" PRId64
				"..%" PRId64 " were in this log when that epoch began and are gone; "
				"the broker drops these entries at load",
				beyond, info.cp.stored, log_end, v[first].epoch, v[first].start_offset,
				log_end, v[first].start_offset - 1);
			ksd_finding_uint(f, "entries_beyond", beyond);
			ksd_finding_int(f, "epoch", v[first].epoch);
			ksd_finding_int(f, "start_offset", v[first].start_offset);
			ksd_finding_int(f, "log_end_offset", log_end);
			ksd_finding_str(f, "checkpoint", "leader-epoch-checkpoint");
			ksd_finding_str(f, "rule", "LogLoader: the leader epoch cache is truncated to "
						   "the log end at load (truncateFromEnd; 0.11+, KIP-101)");
			grade_by_shutdown(p, f);
		}
		free(v);
	}
	free(path);
}

/*
 * -delete and -stray dirs are not checkpointed (Kafka deletes them after
 * loading), and a partition named by single files has an unknown log end.
 */
static void check_checkpoints(ksd_partition *p, ksd_bytes *buf)
{
	if (p->only_files || p->name.state == KSD_PART_DELETE || p->name.state == KSD_PART_STRAY)
		return;
	int64_t log_end = dir_log_end(p);
	if (log_end < 0)
		return;
	check_root_checkpoints(p, log_end);
	check_leader_epochs(p, log_end, buf);
}

void ksd_check_logdir_files(const ksd_config *cfg, ksd_logdir *ld)
{
	ksd_bytes buf = {NULL, 0};
	check_unclean_shutdown(ld);
	for (size_t i = 0; i < ld->npartitions; i++) {
		ksd_partition *p = &ld->partitions[i];
		check_missing_index(cfg, p);
		check_orphans(p);
		check_checkpoints(p, &buf);
	}
	ksd_bytes_free(&buf);
}
