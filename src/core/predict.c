/*
 * Restart prediction: LogManager.loadLogs / LogLoader.load replayed on the
 * scan's model (kafka-facts.md §2.6, §2.7, §3.7, §5.1-5.4; docs/recovery.md).
 *
 * Per partition, in the broker's order:
 *   1. loadSegmentFiles: a segment without .index, with a .txnindex the
 *      loader rejects, or (0.9-2.2) with an index failing its sanity check
 *      is recovered on the spot (recoverSegment): it may be truncated, but
 *      no other segment is touched;
 *   2. recoverLog, after an unclean shutdown only (and never in a -delete
 *      dir): every segment from the one holding the recovery point on, in
 *      order; the first one truncated ends the loop and every later
 *      unflushed segment is deleted ("Corruption found in segment ...");
 *   3. deleteSegmentsIfLogStartGreaterThanLogEnd;
 *   4. rebuildProducerState (§5.4).  Each recoverSegment first rebuilds
 *      producer state up to the segment's base from the newest snapshot
 *      (or the log start) and takes a snapshot after it, so the replay
 *      reads only what lies between snapshots and recovered segments.
 * The time is the bytes each partition re-reads (recovery + replay),
 * scheduled longest-first onto the log dir's recovery threads.
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ksd/files.h"
#include "ksd/predict.h"
#include "scan_internal.h"

typedef struct predict_ctx {
	const ksd_scan *scan;
	ksd_prediction *pr;
	ksd_bytes buf; /* index and snapshot files, one at a time */
} predict_ctx;

/* An unknown version means a current broker: every "since" holds. */
static bool since(const ksd_prediction *pr, int major, int minor, int patch)
{
	return pr->version_assumed || ksd_kversion_at_least(&pr->version, major, minor, patch, 0);
}

const char *ksd_recover_reason_name(unsigned bit)
{
	switch (bit) {
	case KSD_RR_UNFLUSHED: return "unflushed";
	case KSD_RR_MISSING_INDEX: return "missing-index";
	case KSD_RR_TXNINDEX_CORRUPT: return "txnindex-corrupt";
	case KSD_RR_INDEX_SANITY: return "index-sanity-check";
	case KSD_RR_METADATA_LOG: return "metadata-log";
	default: return "?";
	}
}

const char *ksd_replay_kind_name(ksd_replay_kind k)
{
	static const char *const names[] = {
		[KSD_REPLAY_NONE] = "none",
		[KSD_REPLAY_NOT_APPLICABLE] = "not-applicable",
		[KSD_REPLAY_SKIPPED_CLEAN] = "skipped-clean-shutdown",
		[KSD_REPLAY_SKIPPED_LEGACY] = "skipped-legacy-format",
		[KSD_REPLAY_FROM_SNAPSHOT] = "from-snapshot",
		[KSD_REPLAY_FROM_LOG_START] = "from-log-start",
	};
	return (unsigned)k < sizeof names / sizeof names[0] ? names[k] : "?";
}

/* --- findings the scan already made ------------------------------------- */

static const ksd_finding *seg_finding(const ksd_segment *s, ksd_problem code)
{
	for (size_t i = 0; s->findings && i < s->findings->n; i++)
		if (s->findings->v[i].problem == code)
			return &s->findings->v[i];
	return NULL;
}

static const ksd_field *field_of(const ksd_finding *f, const char *name)
{
	for (unsigned i = 0; f && i < f->nfields; i++)
		if (strcmp(f->fields[i].name, name) == 0)
			return &f->fields[i];
	return NULL;
}

static bool field_str_is(const ksd_finding *f, const char *name, const char *v)
{
	const ksd_field *fl = field_of(f, name);
	return fl && fl->type == KSD_F_STR && fl->v.s && strcmp(fl->v.s, v) == 0;
}

static int64_t field_int(const ksd_finding *f, const char *name, int64_t dflt)
{
	const ksd_field *fl = field_of(f, name);
	if (!fl)
		return dflt;
	if (fl->type == KSD_F_INT)
		return fl->v.i;
	if (fl->type == KSD_F_UINT && fl->v.u <= INT64_MAX)
		return (int64_t)fl->v.u;
	return dflt;
}

/* The txnindex finding with rule `rule`, if any. */
static const ksd_finding *txn_rule(const ksd_segment *s, const char *rule)
{
	for (size_t i = 0; s->findings && i < s->findings->n; i++) {
		const ksd_finding *f = &s->findings->v[i];
		if (f->problem == KSD_P_TXNINDEX_CORRUPT && field_str_is(f, "rule", rule))
			return f;
	}
	return NULL;
}

/* --- which segments are recovered --------------------------------------- */

static bool is_metadata_log(const ksd_partition *p)
{
	return strcmp(p->name.topic, "__cluster_metadata") == 0;
}

/* LogSegments.values(recoveryPoint, MAX): from the floor segment of the
 * recovery point on, i.e. the last segment or one whose successor starts
 * above the recovery point. */
static bool at_or_above_recovery_point(const ksd_partition *p, const ksd_segment *seg)
{
	int64_t rp = p->recovery_point < 0 ? 0 : p->recovery_point;
	const ksd_segment *next = NULL;
	for (size_t i = 0; i < p->nsegments; i++)
		if (p->segments[i].base_offset > seg->base_offset && p->segments[i].log_path &&
		    (!next || p->segments[i].base_offset < next->base_offset))
			next = &p->segments[i];
	return !next || next->base_offset > rp;
}

/*
 * The KRaft metadata log is opened with recoveryPoint 0 and
 * lastShutdownClean false (KafkaMetadataLog): recovered at every start.
 */
bool ksd_segment_recovered_at_startup(const ksd_partition *p, const ksd_segment *seg,
				      bool clean_shutdown)
{
	if (is_metadata_log(p))
		return true;
	if (!seg->has_index)
		return true; /* LogLoader: a missing .index recovers the segment */
	if (clean_shutdown || !p->logdir)
		return false;
	return at_or_above_recovery_point(p, seg);
}

/* <base>.log -> <base><suffix>, malloc'ed. */
static char *sibling(const char *log_path, const char *suffix)
{
	size_t n = strlen(log_path);
	if (n < 4 || strcmp(log_path + n - 4, ".log") != 0)
		return NULL;
	char *s = malloc(n - 4 + strlen(suffix) + 1);
	if (s) {
		memcpy(s, log_path, n - 4);
		strcpy(s + n - 4, suffix);
	}
	return s;
}

static bool load_index(predict_ctx *c, const ksd_segment *seg, ksd_index_kind kind,
		       ksd_index_analysis *a)
{
	char *path = sibling(seg->log_path, kind == KSD_INDEX_OFFSET ? ".index" : ".timeindex");
	ksd_file_image im;
	bool ok = path && ksd_file_load(path, KSD_FILE_READ_CAP, &c->buf, &im) == KSD_OK;
	if (ok)
		ksd_index_analyze(kind, seg->base_offset, &im, -1, a);
	free(path);
	return ok;
}

/*
 * The load-time sanity checks of 0.8-2.2 (index_report.c has the same
 * rules for its findings): the offset index's length must be whole entries
 * and its last entry above the base (>= from 2.0); from 0.10.1 the time
 * index's last timestamp must not be below its first.  Only the files the
 * scan already flagged can fail them.
 */
static bool index_sanity_fails(predict_ctx *c, const ksd_segment *seg, bool strict)
{
	if (!seg_finding(seg, KSD_P_INDEX_CORRUPT) && !seg_finding(seg, KSD_P_TIMEINDEX_CORRUPT) &&
	    !seg_finding(seg, KSD_P_INDEX_PREALLOCATED))
		return false;
	ksd_index_analysis a;
	if (seg->has_index && load_index(c, seg, KSD_INDEX_OFFSET, &a) &&
	    (a.partial_bytes || (a.slots > 0 && (strict ? a.last_relative <= 0
							: a.last_relative < 0))))
		return true;
	if (!seg->has_timeindex || !since(c->pr, 0, 10, 1) || !load_index(c, seg, KSD_INDEX_TIME, &a))
		return false;
	return a.partial_bytes ||
	       (a.slots > 0 && (a.last_timestamp < a.first_timestamp || a.last_relative < 0));
}

static unsigned recover_reasons(predict_ctx *c, const ksd_partition *p, const ksd_segment *seg,
				bool clean, ksd_partition_prediction *pp)
{
	const ksd_prediction *pr = c->pr;
	unsigned r = 0;
	if (is_metadata_log(p))
		r |= KSD_RR_METADATA_LOG;
	if (!seg->has_index)
		r |= KSD_RR_MISSING_INDEX;
	/* LogLoader.load skips recoverLog for a -delete dir (deleted after loading). */
	if (!clean && p->logdir && p->name.state != KSD_PART_DELETE &&
	    at_or_above_recovery_point(p, seg))
		r |= KSD_RR_UNFLUSHED;
	/* TransactionIndex.sanityCheck (0.11+): an entry below the base throws
	 * CorruptIndexException (recover); a version byte it does not know
	 * throws KafkaException (the broker stops). */
	if (since(pr, 0, 11, 0) && txn_rule(seg, "below-base"))
		r |= KSD_RR_TXNINDEX_CORRUPT;
	const ksd_finding *tv = txn_rule(seg, "version");
	if (since(pr, 0, 11, 0) && tv && tv->severity == KSD_SEV_ERROR)
		pp->startup_failure = "a .txnindex entry has a version Kafka does not know: loading "
				      "fails with \"Unexpected aborted transaction version\" "
				      "(TransactionIndex.sanityCheck) and the broker stops";
	/* 2.3+ skip the offset/time index checks at startup (KAFKA-7283). */
	if (!pr->version_assumed && !since(pr, 2, 3, 0) && seg->has_index) {
		bool strict = !since(pr, 2, 0, 0); /* last > base through 1.1.x */
		if (index_sanity_fails(c, seg, strict)) {
			if (since(pr, 0, 9, 0))
				r |= KSD_RR_INDEX_SANITY;
			else
				pp->startup_failure = "0.8.x: an offset index fails its sanity check "
						      "and startup aborts (\"Corrupt index found\")";
		}
	}
	return r;
}

/* --- truncation --------------------------------------------------------- */

/* The finding that marked the first damage (pass 1's note_damage). */
static const ksd_finding *first_damage_finding(const ksd_segment *s)
{
	for (size_t i = 0; s->findings && i < s->findings->n; i++) {
		const ksd_finding *f = &s->findings->v[i];
		if (f->position == s->first_damage &&
		    (f->problem == KSD_P_CRC_MISMATCH || f->problem == KSD_P_CORRUPT_ENTRY ||
		     f->problem == KSD_P_TORN_TAIL || f->problem == KSD_P_PREALLOCATED_TAIL))
			return f;
	}
	return NULL;
}

/*
 * First offset a truncation drops: the damaged batch's base (crc-mismatch),
 * else the first valid batch beyond the damage (an upper bound after a
 * corrupt header); -1 when no complete batch is lost (a torn or zero tail).
 */
static int64_t first_dropped_offset(const ksd_segment *s)
{
	const ksd_finding *f = first_damage_finding(s);
	if (f && f->problem == KSD_P_CRC_MISMATCH)
		return field_int(f, "base_offset", -1);
	return field_int(f, "beyond_first_offset", -1);
}

static void predict_truncation(const ksd_segment *s, ksd_segment_prediction *sp)
{
	sp->read_bytes = s->log_size;
	sp->truncate_offset = -1;
	if (s->first_damage < 0 || s->valid_bytes >= s->log_size)
		return;
	sp->truncated = true;
	sp->truncate_to = s->valid_bytes;
	sp->truncated_bytes = s->log_size - s->valid_bytes;
	sp->truncate_offset = first_dropped_offset(s);
	sp->read_bytes = s->valid_bytes; /* recovery stops at the invalid batch */
}

/* readNextOffset after recovery; for a truncated segment with an unknown
 * first dropped offset its last offset + 1 is an upper bound. */
static int64_t next_offset(const ksd_segment *s, const ksd_segment_prediction *sp)
{
	if (sp->truncated && sp->truncate_offset >= 0)
		return sp->truncate_offset;
	return s->last_offset >= 0 ? s->last_offset + 1 : s->base_offset;
}

/* --- one partition ------------------------------------------------------ */

static void note_overflow(const ksd_prediction *pr, ksd_partition_prediction *pp,
			  ksd_segment_prediction *sp)
{
	sp->overflow = seg_finding(sp->seg, KSD_P_OFFSET_OVERFLOW) != NULL;
	if (!sp->overflow)
		return;
	if (!sp->recovered) {
		pp->overflow_unsplit++;
	} else if (since(pr, 2, 0, 0)) {
		sp->split = true; /* LogLoader.retryOnOffsetOverflow, KAFKA-6264 */
		pp->split_segments++;
	} else {
		pp->overflow_unsplit++;
		pp->startup_failure = "before 2.0 the broker cannot split a segment whose offsets "
				      "overflow its base (KAFKA-6264): recovering it fails on the "
				      "index offset overflow";
	}
}

static void mark_deleted(ksd_partition_prediction *pp, ksd_segment_prediction *sp,
			 ksd_delete_cause cause)
{
	sp->deleted = cause;
	sp->truncated = false;
	pp->deleted_segments++;
	pp->deleted_bytes += sp->seg->log_size;
}

static void count_recovered(ksd_partition_prediction *pp, const ksd_segment_prediction *sp)
{
	pp->recovered_segments++;
	pp->recovered_bytes += sp->read_bytes;
	const ksd_segment *s = sp->seg;
	/* recover() rewrites all three (the txn index only from 0.11, and only
	 * when there are aborted transactions; counted when present). */
	pp->rebuilt_index_files += 2u + (s->has_txnindex ? 1u : 0u);
}

static void predict_segments(predict_ctx *c, const ksd_partition *p, bool clean,
			     ksd_partition_prediction *pp)
{
	bool unflushed_truncated = false;
	for (size_t i = 0; i < p->nsegments; i++) {
		const ksd_segment *s = &p->segments[i];
		ksd_segment_prediction *sp = &pp->segs[i];
		sp->seg = s;
		sp->truncate_offset = -1;
		if (!s->log_path)
			continue; /* index files without a .log: orphans, deleted */
		sp->reasons = recover_reasons(c, p, s, clean, pp);
		unsigned in_recover_log = sp->reasons & (KSD_RR_UNFLUSHED | KSD_RR_METADATA_LOG);
		if (unflushed_truncated && in_recover_log) {
			/* "if any bytes are truncated, all later unflushed segments
			 * are deleted" (LogLoader.recoverLog); one recovered at load
			 * was read first. */
			sp->recovered = (sp->reasons & KSD_RR_AT_LOAD) != 0;
			sp->read_bytes = sp->recovered ? s->log_size : 0;
			if (sp->recovered)
				count_recovered(pp, sp);
			mark_deleted(pp, sp, KSD_DEL_AFTER_TRUNCATION);
			continue;
		}
		sp->recovered = sp->reasons != 0;
		if (sp->recovered) {
			predict_truncation(s, sp);
			count_recovered(pp, sp);
			pp->truncated_bytes += sp->truncated_bytes;
			/* Truncated already at load, recoverLog finds nothing left to
			 * truncate and deletes nothing. */
			if (sp->truncated && in_recover_log && !(sp->reasons & KSD_RR_AT_LOAD))
				unflushed_truncated = true;
		} else if (s->first_damage >= 0) {
			sp->damage_kept = true;
			pp->damage_kept_segments++;
		}
		note_overflow(c->pr, pp, sp);
	}
}

static const ksd_segment_prediction *last_kept(const ksd_partition_prediction *pp)
{
	for (size_t i = pp->nsegs; i-- > 0;)
		if (pp->segs[i].seg && pp->segs[i].seg->log_path && !pp->segs[i].deleted)
			return &pp->segs[i];
	return NULL;
}

/* LogLoader.deleteSegmentsIfLogStartGreaterThanLogEnd (KIP-107 checkpoint, 0.11+). */
static void predict_log_start(const ksd_prediction *pr, const ksd_partition *p,
			      ksd_partition_prediction *pp)
{
	const ksd_segment_prediction *last = last_kept(pp);
	pp->log_end = last ? next_offset(last->seg, last) : -1;
	if (!last || p->log_start_checkpoint < 0 || !since(pr, 0, 11, 0) ||
	    p->name.state == KSD_PART_DELETE || pp->log_end >= p->log_start_checkpoint)
		return;
	pp->delete_all = true;
	for (size_t i = 0; i < pp->nsegs; i++) {
		ksd_segment_prediction *sp = &pp->segs[i];
		if (sp->seg && sp->seg->log_path && !sp->deleted) {
			pp->truncated_bytes -= sp->truncated ? sp->truncated_bytes : 0;
			mark_deleted(pp, sp, KSD_DEL_LOG_START);
		}
	}
}

static void count_leftovers(const ksd_partition *p, ksd_partition_prediction *pp)
{
	for (size_t i = 0; i < p->findings.n; i++) {
		const ksd_finding *f = &p->findings.v[i];
		if (f->problem != KSD_P_LEFTOVER_FILE)
			continue;
		const ksd_field *size = field_of(f, "size");
		uint64_t bytes = size && size->type == KSD_F_UINT ? size->v.u : 0;
		if (field_str_is(f, "state", "swap")) {
			pp->leftover_swap_files++;
			pp->leftover_swap_bytes += bytes;
		} else {
			pp->leftover_deleted_files++;
			pp->leftover_deleted_bytes += bytes;
		}
	}
}

/* --- producer state (§5.4) ---------------------------------------------- */

typedef struct snapset {
	int64_t *v; /* valid snapshot offsets, ascending */
	size_t n, cap;
	bool any_file; /* latestSnapshotOffset is not empty */
} snapset;

static void snapset_add(snapset *ss, int64_t off)
{
	if (ss->n == ss->cap) {
		size_t cap = ss->cap ? ss->cap * 2 : 8;
		int64_t *v = realloc(ss->v, cap * sizeof *v);
		if (!v)
			return;
		ss->v = v;
		ss->cap = cap;
	}
	size_t i = ss->n++;
	while (i > 0 && ss->v[i - 1] > off) {
		ss->v[i] = ss->v[i - 1];
		i--;
	}
	ss->v[i] = off;
	ss->any_file = true;
}

/* Newest valid snapshot at or below `target`, or -1. */
static int64_t snapset_floor(const snapset *ss, int64_t target)
{
	int64_t best = -1;
	for (size_t i = 0; i < ss->n; i++)
		if (ss->v[i] <= target)
			best = ss->v[i];
	return best;
}

static bool is_segment_base(const ksd_partition *p, int64_t off)
{
	for (size_t i = 0; i < p->nsegments; i++)
		if (p->segments[i].log_path && p->segments[i].base_offset == off)
			return true;
	return false;
}

/* Pass 2's verdict on snapshot i; one it could not read is not counted on. */
static bool snapshot_valid(const ksd_partition *p, size_t i)
{
	return p->snapshot_accepted && p->snapshot_accepted[i] == 1;
}

/*
 * Snapshots the loader can use: readable ones Kafka accepts; stray ones
 * (no segment starts at their offset) are deleted except the newest
 * (ProducerStateManager.removeStraySnapshots).
 */
static void load_snapshots(predict_ctx *c, const ksd_partition *p, snapset *ss,
			   ksd_partition_prediction *pp)
{
	int64_t newest = -1;
	for (size_t i = 0; i < p->nsnapshots; i++)
		if (p->snapshots[i] > newest)
			newest = p->snapshots[i];
	ss->any_file = p->nsnapshots > 0;
	for (size_t i = 0; i < p->nsnapshots; i++) {
		int64_t off = p->snapshots[i];
		if ((off == newest || is_segment_base(p, off)) && snapshot_valid(p, i)) {
			snapset_add(ss, off);
			pp->valid_snapshots++;
		}
	}
}

/* Bytes the replay reads for offsets [from, to): whole segments, and a
 * share by offsets of a segment cut by either end. */
static uint64_t bytes_between(const ksd_partition_prediction *pp, int64_t from, int64_t to)
{
	uint64_t sum = 0;
	for (size_t i = 0; i < pp->nsegs; i++) {
		const ksd_segment_prediction *sp = &pp->segs[i];
		const ksd_segment *s = sp->seg;
		if (!s || !s->log_path || sp->deleted)
			continue;
		int64_t lo = s->base_offset, hi = next_offset(s, sp);
		for (size_t j = i + 1; j < pp->nsegs; j++)
			if (pp->segs[j].seg && pp->segs[j].seg->log_path && !pp->segs[j].deleted) {
				hi = pp->segs[j].seg->base_offset;
				break;
			}
		int64_t a = lo > from ? lo : from, b = hi < to ? hi : to;
		if (b <= a || hi <= lo)
			continue;
		uint64_t size = sp->truncated ? sp->truncate_to : s->log_size;
		sum += (uint64_t)((double)size * ((double)(b - a) / (double)(hi - lo)));
	}
	return sum;
}

static int64_t log_start_of(const ksd_partition *p, const ksd_partition_prediction *pp)
{
	int64_t first = -1;
	for (size_t i = 0; i < pp->nsegs && first < 0; i++)
		if (pp->segs[i].seg && pp->segs[i].seg->log_path && !pp->segs[i].deleted)
			first = pp->segs[i].seg->base_offset;
	return p->log_start_checkpoint > first ? p->log_start_checkpoint : first;
}

/* One rebuildProducerState up to `target`: replays from the newest usable
 * snapshot, or from the log start when there is none (*from_start). */
static uint64_t replay_to(const ksd_partition *p, ksd_partition_prediction *pp,
			  const snapset *ss, int64_t target, bool *from_start)
{
	int64_t start = snapset_floor(ss, target);
	int64_t log_start = log_start_of(p, pp);
	*from_start = start < 0 || start < log_start;
	if (*from_start)
		start = log_start;
	uint64_t bytes = bytes_between(pp, start, target);
	if (bytes > 0 && pp->replay_bytes == 0)
		pp->replay_from = start;
	pp->replay_bytes += bytes;
	return bytes;
}

static bool partition_has_v2(const ksd_partition *p)
{
	for (size_t i = 0; i < p->nsegments; i++)
		if (p->segments[i].magic_mask & 4u)
			return true;
	return false;
}

static ksd_replay_kind replay_not_needed(const ksd_prediction *pr, const ksd_partition *p,
					 const ksd_partition_prediction *pp)
{
	if (!since(pr, 0, 11, 0) || p->name.state == KSD_PART_DELETE || pp->delete_all ||
	    !last_kept(pp))
		return KSD_REPLAY_NOT_APPLICABLE;
	/* Up to 3.x a topic whose record version is below 2 writes empty
	 * snapshots instead (UnifiedLog.rebuildProducerState); no v2 batch on
	 * disk is our evidence of that.  4.0 dropped the check (KIP-724). */
	if (!partition_has_v2(p) && !since(pr, 4, 0, 0))
		return KSD_REPLAY_SKIPPED_LEGACY;
	return KSD_REPLAY_NONE;
}

static void predict_producer_state(predict_ctx *c, const ksd_partition *p, bool clean,
				   ksd_partition_prediction *pp)
{
	pp->replay_from = -1;
	pp->replay = replay_not_needed(c->pr, p, pp);
	if (pp->replay != KSD_REPLAY_NONE)
		return;
	snapset ss = {0};
	load_snapshots(c, p, &ss, pp);
	bool any_from_start = false, from_start;
	/* recoverSegment: rebuild up to the segment's base, snapshot after it. */
	for (size_t i = 0; i < pp->nsegs; i++) {
		ksd_segment_prediction *sp = &pp->segs[i];
		if (!sp->recovered || sp->deleted)
			continue;
		uint64_t n = replay_to(p, pp, &ss, sp->seg->base_offset, &from_start);
		any_from_start |= from_start && n > 0;
		snapset_add(&ss, next_offset(sp->seg, sp));
	}
	/* The final rebuild to the log end: skipped after a clean shutdown when
	 * there is no snapshot at all. */
	if (clean && !ss.any_file) {
		pp->replay = KSD_REPLAY_SKIPPED_CLEAN;
	} else {
		uint64_t n = replay_to(p, pp, &ss, pp->log_end, &from_start);
		any_from_start |= from_start && n > 0;
		pp->replay = pp->replay_bytes == 0 ? KSD_REPLAY_NONE
			     : any_from_start     ? KSD_REPLAY_FROM_LOG_START
						  : KSD_REPLAY_FROM_SNAPSHOT;
	}
	free(ss.v);
}

static void predict_partition(predict_ctx *c, const ksd_partition *p, bool clean,
			      ksd_partition_prediction *pp)
{
	pp->part = p;
	pp->nsegs = p->nsegments;
	predict_segments(c, p, clean, pp);
	predict_log_start(c->pr, p, pp);
	count_leftovers(p, pp);
	predict_producer_state(c, p, clean, pp);
	pp->work_bytes = pp->recovered_bytes + pp->replay_bytes;
}

/* --- scheduling --------------------------------------------------------- */

static int desc_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? 1 : x > y ? -1 : 0;
}

uint64_t ksd_schedule_makespan(uint64_t *work, size_t n, unsigned threads)
{
	if (n == 0)
		return 0;
	if (threads == 0)
		threads = 1;
	qsort(work, n, sizeof *work, desc_u64);
	uint64_t *load = calloc(threads, sizeof *load);
	if (!load) { /* one thread: the sum */
		uint64_t sum = 0;
		for (size_t i = 0; i < n; i++)
			sum += work[i];
		return sum;
	}
	for (size_t i = 0; i < n; i++) {
		unsigned best = 0;
		for (unsigned t = 1; t < threads; t++)
			if (load[t] < load[best])
				best = t;
		load[best] += work[i];
	}
	uint64_t max = 0;
	for (unsigned t = 0; t < threads; t++)
		if (load[t] > max)
			max = load[t];
	free(load);
	return max;
}

uint64_t ksd_schedule_bound(const uint64_t *work, size_t n, unsigned threads)
{
	if (threads == 0)
		threads = 1;
	uint64_t sum = 0, max = 0;
	for (size_t i = 0; i < n; i++) {
		sum = sum + work[i] < sum ? UINT64_MAX : sum + work[i];
		if (work[i] > max)
			max = work[i];
	}
	/* In doubles: the bound is an estimate, and sums of file sizes are far
	 * below 2^53 bytes in practice. */
	double b = (double)sum / threads + (double)max * (threads - 1) / threads;
	return b >= 1.8e19 ? UINT64_MAX : (uint64_t)ceil(b);
}

/* --- log dirs and totals ------------------------------------------------ */

static void add_partition_totals(ksd_logdir_prediction *lp, const ksd_partition_prediction *pp)
{
	lp->recovered_segments += pp->recovered_segments;
	lp->recovered_bytes += pp->recovered_bytes;
	lp->recovered_partitions += pp->recovered_segments > 0;
	lp->replay_bytes += pp->replay_bytes;
	lp->full_replay_partitions += pp->replay == KSD_REPLAY_FROM_LOG_START;
	lp->truncated_bytes += pp->truncated_bytes;
	lp->deleted_segments += pp->deleted_segments;
	lp->deleted_bytes += pp->deleted_bytes;
	lp->work_bytes += pp->work_bytes;
	for (size_t i = 0; i < pp->nsegs; i++) {
		const ksd_segment_prediction *sp = &pp->segs[i];
		lp->truncated_segments += sp->truncated;
		lp->missing_index_segments += (sp->reasons & KSD_RR_MISSING_INDEX) != 0;
	}
}

static ksd_err predict_logdir(predict_ctx *c, const ksd_logdir *ld, ksd_logdir_prediction *lp)
{
	lp->ld = ld;
	/* Partitions named directly (-1): the marker in their parent decides. */
	bool clean = ld->clean_shutdown >= 0 ? ld->clean_shutdown == 1
		     : ld->npartitions > 0 && ksd_logdir_clean_shutdown(&ld->partitions[0]);
	lp->clean_shutdown = clean;
	lp->nparts = ld->npartitions;
	lp->parts = calloc(ld->npartitions ? ld->npartitions : 1, sizeof *lp->parts);
	uint64_t *work = calloc(ld->npartitions ? ld->npartitions : 1, sizeof *work);
	if (!lp->parts || !work) {
		free(work);
		return KSD_ERR_NOMEM;
	}
	for (size_t i = 0; i < ld->npartitions; i++) {
		const ksd_partition *p = &ld->partitions[i];
		ksd_partition_prediction *pp = &lp->parts[i];
		pp->segs = calloc(p->nsegments ? p->nsegments : 1, sizeof *pp->segs);
		if (!pp->segs) {
			free(work);
			return KSD_ERR_NOMEM;
		}
		predict_partition(c, p, clean, pp);
		add_partition_totals(lp, pp);
		work[i] = pp->work_bytes;
	}
	lp->threads = c->pr->threads;
	lp->makespan_bound_bytes = ksd_schedule_bound(work, ld->npartitions, lp->threads);
	lp->makespan_bytes = ksd_schedule_makespan(work, ld->npartitions, lp->threads);
	if (lp->makespan_bound_bytes < lp->makespan_bytes)
		lp->makespan_bound_bytes = lp->makespan_bytes;
	lp->seconds = (double)lp->makespan_bytes / c->pr->rate;
	lp->seconds_bound = (double)lp->makespan_bound_bytes / c->pr->rate;
	free(work);
	return KSD_OK;
}

static void add_logdir_totals(ksd_prediction *pr, const ksd_logdir_prediction *lp)
{
	pr->recovered_segments += lp->recovered_segments;
	pr->recovered_bytes += lp->recovered_bytes;
	pr->replay_bytes += lp->replay_bytes;
	pr->work_bytes += lp->work_bytes;
	pr->truncated_segments += lp->truncated_segments;
	pr->truncated_bytes += lp->truncated_bytes;
	pr->deleted_segments += lp->deleted_segments;
	pr->deleted_bytes += lp->deleted_bytes;
	for (size_t i = 0; i < lp->nparts; i++) {
		pr->damage_kept_segments += lp->parts[i].damage_kept_segments;
		pr->split_segments += lp->parts[i].split_segments;
		pr->startup_failures += lp->parts[i].startup_failure != NULL;
	}
	if (lp->seconds > pr->seconds)
		pr->seconds = lp->seconds;
	if (lp->seconds_bound > pr->seconds_bound)
		pr->seconds_bound = lp->seconds_bound;
}

/*
 * --recovery-rate, else this scan's own CRC-level throughput (bytes it
 * read over its wall time: warm cache, no index writes, so an optimistic
 * bound), else, after a header-only scan, a conservative default.
 */
static void choose_rate(const ksd_scan *scan, const ksd_predict_opts *o, ksd_prediction *pr)
{
	if (scan->cfg.recovery_rate > 0) {
		pr->rate = scan->cfg.recovery_rate;
		pr->rate_source = KSD_RATE_GIVEN;
		return;
	}
	double secs = o ? o->scan_seconds : 0;
	if (scan->cfg.level >= KSD_LEVEL_CRC && secs > 0 && scan->totals.log_bytes > 0) {
		/* Recovery reads a partition on one thread: the scan's rate per
		 * worker it ran (cfg.jobs, else online CPUs, at most one per segment). */
		long cpus = sysconf(_SC_NPROCESSORS_ONLN);
		uint64_t workers = scan->cfg.jobs ? scan->cfg.jobs : cpus > 0 ? (uint64_t)cpus : 1;
		if (scan->totals.segments > 0 && scan->totals.segments < workers)
			workers = scan->totals.segments;
		pr->scan_workers = (unsigned)workers;
		pr->rate = (double)scan->totals.log_bytes / secs / (double)workers;
		pr->rate_source = KSD_RATE_MEASURED;
		pr->measured_bytes = scan->totals.log_bytes;
		pr->measured_seconds = secs;
		return;
	}
	pr->rate = KSD_RECOVERY_RATE_DEFAULT;
	pr->rate_source = KSD_RATE_DEFAULT;
}

ksd_err ksd_predict_recovery(const ksd_scan *scan, const ksd_predict_opts *opts,
			     ksd_prediction **out)
{
	*out = NULL;
	ksd_prediction *pr = calloc(1, sizeof *pr);
	if (!pr)
		return KSD_ERR_NOMEM;
	pr->version = scan->cfg.kafka_version;
	pr->version_assumed = !pr->version.known;
	pr->threads = ksd_config_recovery_threads(&scan->cfg);
	choose_rate(scan, opts, pr);
	pr->nlogdirs = scan->nlogdirs;
	pr->logdirs = calloc(scan->nlogdirs ? scan->nlogdirs : 1, sizeof *pr->logdirs);
	predict_ctx c = {scan, pr, {0}};
	ksd_err e = pr->logdirs ? KSD_OK : KSD_ERR_NOMEM;
	for (size_t i = 0; e == KSD_OK && i < scan->nlogdirs; i++) {
		e = predict_logdir(&c, &scan->logdirs[i], &pr->logdirs[i]);
		if (e == KSD_OK)
			add_logdir_totals(pr, &pr->logdirs[i]);
	}
	ksd_bytes_free(&c.buf);
	if (e != KSD_OK) {
		ksd_prediction_free(pr);
		return e;
	}
	*out = pr;
	return KSD_OK;
}

void ksd_prediction_free(ksd_prediction *pr)
{
	if (!pr)
		return;
	for (size_t i = 0; pr->logdirs && i < pr->nlogdirs; i++) {
		ksd_logdir_prediction *lp = &pr->logdirs[i];
		for (size_t j = 0; lp->parts && j < lp->nparts; j++)
			free(lp->parts[j].segs);
		free(lp->parts);
	}
	free(pr->logdirs);
	free(pr);
}
