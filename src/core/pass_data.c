/*
 * Pass 2, data-level findings of one partition, from the facts pass 1
 * established per segment (magics, byte counts, largest timestamps, mtimes)
 * and the producer snapshots pass 2 just checked:
 *   legacy-format          v0/v1 data still stored (KIP-724, KAFKA-13093);
 *   future-timestamp       a largest timestamp that keeps time retention away;
 *   expired-timestamp      the prefix time retention deletes after startup;
 *   producer-state-rebuild the replay an unclean shutdown without a usable
 *                          snapshot costs (UnifiedLog.rebuildProducerState).
 * Touches only its own partition (pass 2 runs partitions in parallel).
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "scan_internal.h"

/*
 * Tolerance for timestamps ahead of --now.  Kafka 3.6+ rejects produce
 * requests whose timestamps are more than log.message.timestamp.after.max.ms
 * ahead of the broker clock (KIP-937); the default was Long.MAX_VALUE until
 * 4.0 and is 1 hour from 4.0 (KIP-1030).  One hour is what a 4.0 broker
 * would have accepted, and absorbs ordinary clock skew between producers
 * and the machine the scan runs on.
 */
#define FUTURE_TOLERANCE_MS (3600LL * 1000)

static const char *leaf(const char *path)
{
	const char *s = path ? strrchr(path, '/') : NULL;
	return s ? s + 1 : (path ? path : "?");
}

const char *ksd_fmt_iso_ms(int64_t ms, char *buf, size_t len)
{
	/* Years beyond 9999 (or before 1970) do not fit ISO-8601's basic
	 * form; say so rather than print a wrapped date. */
	if (ms < 0 || ms > 253402300799999LL) {
		snprintf(buf, len, "%s", ms < 0 ? "before 1970" : "after year 9999");
		return buf;
	}
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	if (!gmtime_r(&t, &tm)) {
		snprintf(buf, len, "?");
		return buf;
	}
	snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
		 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(ms % 1000));
	return buf;
}

/* "15 min", "3.5 hours", "12.0 days": for messages only. */
const char *ksd_fmt_duration_ms(int64_t ms, char *buf, size_t len)
{
	if (ms < 0)
		ms = 0;
	double m = (double)ms;
	if (ms >= 2LL * 86400000)
		snprintf(buf, len, "%.1f days", m / 86400000.0);
	else if (ms >= 2LL * 3600000)
		snprintf(buf, len, "%.1f hours", m / 3600000.0);
	else if (ms >= 60000)
		snprintf(buf, len, "%" PRId64 " min", ms / 60000);
	else
		snprintf(buf, len, "%" PRId64 " ms", ms);
	return buf;
}

static int64_t sat_add(int64_t a, int64_t b)
{
	int64_t r;
	return __builtin_add_overflow(a, b, &r) ? (b > 0 ? INT64_MAX : INT64_MIN) : r;
}

int64_t ksd_partition_log_end(const ksd_partition *p)
{
	for (size_t i = p->nsegments; i-- > 0;) {
		const ksd_segment *s = &p->segments[i];
		if (!s->log_path)
			continue;
		return s->last_offset >= 0 ? s->last_offset + 1 : s->base_offset;
	}
	return -1;
}

/* The last segment with a .log: the one the broker appends to. */
static const ksd_segment *active_segment(const ksd_partition *p)
{
	for (size_t i = p->nsegments; i-- > 0;)
		if (p->segments[i].log_path)
			return &p->segments[i];
	return NULL;
}

/* --- legacy-format ------------------------------------------------------ */

void ksd_check_legacy_format(const ksd_config *cfg, ksd_partition *p)
{
	uint64_t v0 = 0, v1 = 0, legacy = 0, total = 0;
	uint64_t v0_segs = 0, v1_segs = 0, legacy_segs = 0;
	const ksd_segment *oldest = NULL, *newest = NULL;
	(void)cfg;
	for (size_t i = 0; i < p->nsegments; i++) {
		const ksd_segment *s = &p->segments[i];
		if (!s->log_path || !s->walked)
			continue;
		total += s->log_size;
		if (!s->legacy_bytes)
			continue;
		legacy += s->legacy_bytes;
		v0 += s->v0_bytes;
		v1 += s->legacy_bytes - s->v0_bytes;
		legacy_segs++;
		v0_segs += (s->magic_mask & 1u) != 0;
		v1_segs += (s->magic_mask & 2u) != 0;
		if (!oldest)
			oldest = s;
		newest = s;
	}
	if (!legacy)
		return;
	char b0[32], b1[32], ts[80] = "";
	if (oldest->max_timestamp >= 0) {
		char iso[40];
		snprintf(ts, sizeof ts, " (newest timestamp there %s)",
			 ksd_fmt_iso_ms(oldest->max_timestamp, iso, sizeof iso));
	}
	ksd_finding *f = ksd_report(&p->findings, KSD_P_LEGACY_FORMAT, p->path, -1,
		"%s bytes of message format v0 in %" PRIu64 " segment%s and %s bytes of v1 in %"
		PRIu64 " segment%s (%" PRIu64 " of %" PRIu64 " segments hold v0/v1; oldest %s%s); %s",
		ksd_fmt_count(v0, b0, sizeof b0), v0_segs, v0_segs == 1 ? "" : "s",
		ksd_fmt_count(v1, b1, sizeof b1), v1_segs, v1_segs == 1 ? "" : "s",
		legacy_segs, (uint64_t)p->nsegments, leaf(oldest->log_path), ts,
		p->compacted ? "the topic is compacted: the 4.x cleaner rewrites it to v2 at its next "
			       "cleaning (KAFKA-13093)"
			     : "the topic uses delete retention: kept as v0/v1 until retention deletes it");
	if (!f)
		return;
	ksd_finding_uint(f, "legacy_bytes", legacy);
	ksd_finding_uint(f, "v0_bytes", v0);
	ksd_finding_uint(f, "v1_bytes", v1);
	ksd_finding_uint(f, "legacy_segments", legacy_segs);
	ksd_finding_uint(f, "v0_segments", v0_segs);
	ksd_finding_uint(f, "v1_segments", v1_segs);
	ksd_finding_uint(f, "log_bytes", total);
	ksd_finding_int(f, "oldest_segment_base_offset", oldest->base_offset);
	ksd_finding_int(f, "newest_legacy_segment_base_offset", newest->base_offset);
	ksd_finding_bool(f, "compacted", p->compacted);
	ksd_finding_str(f, "rule", "KIP-724: 3.0 deprecates v0/v1, 4.0 removes their produce/fetch "
		"versions (KIP-896) but serves stored batches; the 4.0 cleaner rewrites them to v2 "
		"(KAFKA-13093)");
}

/* --- time retention ------------------------------------------------------ */

/* Time retention applies: delete policy, a limit, a log the LogManager's
 * retention task owns (not the KRaft metadata log, which KafkaMetadataLog
 * trims by its snapshots). */
static bool time_retention_applies(const ksd_config *cfg, const ksd_partition *p)
{
	return !p->compacted && !p->only_files && cfg->retention_ms >= 0 &&
	       strcmp(p->name.topic, "__cluster_metadata") != 0;
}

/*
 * LogSegment.largestTimestamp: the largest timestamp of its batches (the
 * time index's last entry), or the file's mtime when it has none (v0 data,
 * or no batches).  Before 0.10.1 (KIP-33) retention only looked at mtime.
 */
static int64_t largest_timestamp(const ksd_config *cfg, const ksd_segment *s, bool *by_mtime)
{
	const ksd_kversion *v = &cfg->kafka_version;
	bool pre_kip33 = v->known && !ksd_kversion_at_least(v, 0, 10, 1, 0);
	*by_mtime = pre_kip33 || s->max_timestamp < 0;
	return *by_mtime ? s->mtime_ms : s->max_timestamp;
}

/* startMs - segment.largestTimestamp > retentionMs, without overflow. */
static bool retention_breached(int64_t now, int64_t largest, int64_t retention)
{
	if (largest <= 0 || largest >= now)
		return false; /* no usable time, or not in the past */
	return (uint64_t)now - (uint64_t)largest > (uint64_t)retention;
}

static void check_future(const ksd_config *cfg, ksd_partition *p)
{
	int64_t limit = sat_add(cfg->now_ms, FUTURE_TOLERANCE_MS);
	for (size_t i = 0; i < p->nsegments; i++) {
		const ksd_segment *s = &p->segments[i];
		if (!s->log_path || !s->walked || !s->batches || s->max_timestamp <= limit)
			continue;
		uint64_t later = 0, later_bytes = 0;
		for (size_t j = i + 1; j < p->nsegments; j++)
			if (p->segments[j].log_path) {
				later++;
				later_bytes += p->segments[j].log_size;
			}
		char iso[40], until[40], ahead[32], ret[32], lb[32];
		int64_t keep_until = sat_add(s->max_timestamp, cfg->retention_ms);
		ksd_finding *f = ksd_report(&p->findings, KSD_P_FUTURE_TIMESTAMP, s->log_path, -1,
			"%s (offsets %" PRId64 "..%" PRId64 ") has largest timestamp %" PRId64 " (%s), %s "
			"after --now: time retention (retention.ms %s) keeps it until %s, and with it the "
			"%" PRIu64 " later segment%s (%s bytes), since retention deletes only a prefix of "
			"the log",
			leaf(s->log_path), s->first_offset, s->last_offset, s->max_timestamp,
			ksd_fmt_iso_ms(s->max_timestamp, iso, sizeof iso),
			ksd_fmt_duration_ms(s->max_timestamp - cfg->now_ms, ahead, sizeof ahead),
			ksd_fmt_duration_ms(cfg->retention_ms, ret, sizeof ret),
			ksd_fmt_iso_ms(keep_until, until, sizeof until), later, later == 1 ? "" : "s",
			ksd_fmt_count(later_bytes, lb, sizeof lb));
		if (!f)
			return;
		ksd_finding_int(f, "segment_base_offset", s->base_offset);
		ksd_finding_int(f, "first_offset", s->first_offset);
		ksd_finding_int(f, "last_offset", s->last_offset);
		ksd_finding_int(f, "max_timestamp", s->max_timestamp);
		ksd_finding_int(f, "now_ms", cfg->now_ms);
		ksd_finding_int(f, "ahead_ms", s->max_timestamp - cfg->now_ms);
		ksd_finding_int(f, "tolerance_ms", FUTURE_TOLERANCE_MS);
		ksd_finding_int(f, "retention_ms", cfg->retention_ms);
		ksd_finding_int(f, "retained_until_ms", keep_until);
		ksd_finding_uint(f, "held_back_segments", later);
		ksd_finding_uint(f, "held_back_bytes", later_bytes);
		ksd_finding_str(f, "rule", "UnifiedLog.deleteRetentionMsBreachedSegments: now - "
			"largestTimestamp > retention.ms, on a prefix of the log (0.10.1+, KIP-33); "
			"tolerance 1 h = log.message.timestamp.after.max.ms default from 4.0 (KIP-1030)");
		return; /* the first one holds back everything after it */
	}
}

typedef struct expired_run {
	uint64_t segments, bytes;
	int64_t first_offset, last_offset;
	int64_t newest;         /* largest timestamp among them */
	bool includes_active, any_mtime;
	const ksd_segment *first, *last;
} expired_run;

/*
 * UnifiedLog.deletableSegments: from the oldest segment, while the
 * predicate holds; stops at the first segment it must keep, and never
 * takes an empty active segment.  When every segment goes, deleteSegments
 * rolls a new active segment first (so an expired, non-empty active
 * segment is deleted too).  The high-watermark bound is left out: after a
 * restart the leader's high watermark reaches the log end once the ISR has
 * caught up.
 */
static void find_expired(const ksd_config *cfg, const ksd_partition *p, expired_run *r)
{
	const ksd_segment *active = active_segment(p);
	memset(r, 0, sizeof *r);
	r->first_offset = r->last_offset = r->newest = -1;
	for (size_t i = 0; i < p->nsegments; i++) {
		const ksd_segment *s = &p->segments[i];
		if (!s->log_path)
			continue; /* index files alone are not a segment of the log */
		if (!s->walked || (s == active && s->log_size == 0))
			return;
		bool by_mtime;
		int64_t largest = largest_timestamp(cfg, s, &by_mtime);
		if (!retention_breached(cfg->now_ms, largest, cfg->retention_ms))
			return;
		if (!r->first)
			r->first = s;
		r->last = s;
		r->segments++;
		r->bytes += s->log_size;
		if (s->first_offset >= 0 && r->first_offset < 0)
			r->first_offset = s->first_offset;
		if (s->last_offset >= 0)
			r->last_offset = s->last_offset;
		if (largest > r->newest)
			r->newest = largest;
		r->any_mtime |= by_mtime;
		r->includes_active |= s == active;
	}
}

static void check_expired(const ksd_config *cfg, ksd_partition *p)
{
	expired_run r;
	find_expired(cfg, p, &r);
	if (!r.segments)
		return;
	char bytes[32], iso[40], ret[32], now[40], names[96];
	if (r.first == r.last)
		snprintf(names, sizeof names, "%s", leaf(r.first->log_path));
	else
		snprintf(names, sizeof names, "%s to %s", leaf(r.first->log_path), leaf(r.last->log_path));
	ksd_finding *f = ksd_report(&p->findings, KSD_P_EXPIRED_TIMESTAMP, p->path, -1,
		"%" PRIu64 " segment%s (%s), %s bytes, offsets %" PRId64 "..%" PRId64 ", newest "
		"timestamp %s%s, %s older than retention.ms %s at %s: deleted within minutes of "
		"startup (log.retention.check.interval.ms, 5 min)%s",
		r.segments, r.segments == 1 ? "" : "s", names,
		ksd_fmt_count(r.bytes, bytes, sizeof bytes), r.first_offset, r.last_offset,
		ksd_fmt_iso_ms(r.newest, iso, sizeof iso),
		r.any_mtime ? " (file mtime where batches carry no timestamp)" : "",
		r.segments == 1 ? "is" : "are", ksd_fmt_duration_ms(cfg->retention_ms, ret, sizeof ret), ksd_fmt_iso_ms(cfg->now_ms, now, sizeof now),
		r.includes_active ? "; this is the whole log, so the active segment is rolled first "
				    "and the partition is left empty at the same log end" : "");
	if (!f)
		return;
	ksd_finding_uint(f, "segments", r.segments);
	ksd_finding_uint(f, "bytes", r.bytes);
	ksd_finding_int(f, "first_offset", r.first_offset);
	ksd_finding_int(f, "last_offset", r.last_offset);
	ksd_finding_int(f, "first_segment_base_offset", r.first->base_offset);
	ksd_finding_int(f, "last_segment_base_offset", r.last->base_offset);
	ksd_finding_int(f, "newest_timestamp", r.newest);
	ksd_finding_int(f, "retention_ms", cfg->retention_ms);
	ksd_finding_int(f, "now_ms", cfg->now_ms);
	ksd_finding_bool(f, "includes_active", r.includes_active);
	ksd_finding_bool(f, "uses_mtime", r.any_mtime);
	ksd_finding_str(f, "rule", "UnifiedLog.deleteRetentionMsBreachedSegments: now - "
		"largestTimestamp (file mtime without timestamps) > retention.ms, prefix only; "
		"an expired non-empty active segment is rolled and deleted (deleteSegments)");
}

void ksd_check_timestamps(const ksd_config *cfg, ksd_partition *p)
{
	if (!time_retention_applies(cfg, p))
		return;
	check_future(cfg, p);
	check_expired(cfg, p);
}

/* --- producer-state-rebuild --------------------------------------------- */

static bool has_v2(const ksd_partition *p)
{
	for (size_t i = 0; i < p->nsegments; i++)
		if (p->segments[i].magic_mask & (1u << 2))
			return true;
	return false;
}

/*
 * UnifiedLog.rebuildProducerState (kafka-facts §5.4): after a clean
 * shutdown with no snapshot the broker writes empty snapshots and reads
 * nothing; otherwise it loads the newest usable snapshot at or below the
 * log end and replays every batch from there (or from the log start) to the
 * log end.  `snapshot` is that snapshot's offset, -1 when there is none.
 */
void ksd_check_producer_rebuild(const ksd_config *cfg, ksd_partition *p, int64_t snapshot)
{
	(void)cfg;
	if (p->only_files || ksd_logdir_clean_shutdown(p) || !has_v2(p) ||
	    strcmp(p->name.topic, "__cluster_metadata") == 0)
		return; /* the metadata log is re-read at every start anyway */
	int64_t log_end = ksd_partition_log_end(p);
	uint64_t bytes = 0, segs = 0;
	const ksd_segment *from = NULL;
	for (size_t i = 0; i < p->nsegments; i++) {
		const ksd_segment *s = &p->segments[i];
		/* Whole segments holding offsets at or after the snapshot. */
		if (!s->log_path || !s->log_size || (snapshot >= 0 && s->last_offset < snapshot))
			continue;
		if (!from)
			from = s;
		bytes += s->log_size;
		segs++;
	}
	if (!bytes || (snapshot >= 0 && snapshot >= log_end))
		return;
	char b[32], start[96];
	if (snapshot >= 0)
		snprintf(start, sizeof start, "from the newest valid snapshot at offset %" PRId64,
			 snapshot);
	else
		snprintf(start, sizeof start, "from the log start (no valid producer snapshot)");
	ksd_finding *f = ksd_report(&p->findings, KSD_P_PRODUCER_STATE_REBUILD, p->path, -1,
		"no clean-shutdown marker and v2 data: startup rebuilds producer state by reading "
		"every batch %s to the log end %" PRId64 ", %s bytes in %" PRIu64 " segment%s "
		"from %s on",
		start, log_end, ksd_fmt_count(bytes, b, sizeof b), segs, segs == 1 ? "" : "s",
		leaf(from->log_path));
	if (!f)
		return;
	ksd_finding_uint(f, "replay_bytes", bytes);
	ksd_finding_uint(f, "replay_segments", segs);
	ksd_finding_int(f, "replay_from_offset", snapshot >= 0 ? snapshot : from->base_offset);
	ksd_finding_int(f, "snapshot_offset", snapshot);
	ksd_finding_int(f, "log_end_offset", log_end);
	ksd_finding_str(f, "rule", "UnifiedLog.rebuildProducerState (0.11+): unclean shutdown "
		"replays from the newest valid snapshot <= log end, or the log start; a clean "
		"shutdown without snapshots replays nothing");
}
