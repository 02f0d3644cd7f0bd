/*
 * Pass 2: one partition, from the segment ranges pass 1 established.
 *
 * Reports segment-overlap, cleaner-map-overflow and snapshot-corrupt (the
 * producer state snapshots, read whole into the worker's buffer), then the
 * data-level findings: legacy-format, future-/expired-timestamp,
 * producer-state-rebuild (pass_data.c) and hanging-transaction (pass_txn.c).
 * Establishes nothing for later passes.
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scan_internal.h"

const char *ksd_fmt_count(uint64_t v, char *buf, size_t len)
{
	char digits[32];
	int n = snprintf(digits, sizeof digits, "%" PRIu64, v);
	size_t o = 0;
	for (int i = 0; i < n && o + 2 < len; i++) {
		if (i > 0 && (n - i) % 3 == 0)
			buf[o++] = ',';
		buf[o++] = digits[i];
	}
	buf[o] = '\0';
	return buf;
}

static const char *leaf_name(const char *path)
{
	const char *s = path ? strrchr(path, '/') : NULL;
	return s ? s + 1 : (path ? path : "?");
}

static void check_overlap(const ksd_config *cfg, ksd_partition *p)
{
	for (size_t i = 0; i + 1 < p->nsegments; i++) {
		const ksd_segment *s = &p->segments[i], *next = &p->segments[i + 1];
		if (!s->log_path || !next->log_path || s->last_offset < next->base_offset)
			continue;
		ksd_finding *f = ksd_report(&p->findings, KSD_P_SEGMENT_OVERLAP, s->log_path, -1,
			"%s holds offsets up to %" PRId64 ", reaching into %s, which starts at %"
			PRId64 " (%" PRId64 " offsets overlap)",
			leaf_name(s->log_path), s->last_offset, leaf_name(next->log_path),
			next->base_offset, s->last_offset - next->base_offset + 1);
		ksd_finding_int(f, "last_offset", s->last_offset);
		ksd_finding_int(f, "next_segment_base_offset", next->base_offset);
		ksd_finding_str(f, "next_segment", next->log_path);
		ksd_finding_str(f, "rule", "segments own disjoint, increasing offset ranges; the log finds "
				"an offset's segment by its base (floorEntry; all versions)");
		(void)cfg;
	}
}

/* --- cleaner-map-overflow ------------------------------------------------ */

typedef enum cleaner_rule {
	RULE_NONE,       /* version not affected */
	RULE_SPAN,       /* 0.9.0.x: offset span of every dirty segment */
	RULE_FIRST_KEYS, /* 0.10.0.x: distinct keys of the first dirty segment */
	RULE_UNKNOWN,    /* version unknown: the 0.9 rule, as a warning */
} cleaner_rule;

static cleaner_rule cleaner_rule_for(const ksd_kversion *v)
{
	if (!v->known)
		return RULE_UNKNOWN;
	/* KAFKA-3894 (0.10.1.0) cleans partial segments: no whole-segment rule. */
	if (ksd_kversion_at_least(v, 0, 10, 1, 0))
		return RULE_NONE;
	if (ksd_kversion_at_least(v, 0, 10, 0, 0))
		return RULE_FIRST_KEYS; /* KAFKA-3587 */
	if (ksd_kversion_at_least(v, 0, 9, 0, 0))
		return RULE_SPAN;       /* KAFKA-2235 */
	/* 0.8.x has no up-front check; its failure mode differs (§4.2). */
	return RULE_NONE;
}

/* segment.nextOffset() - baseOffset, as 0.9's LogCleaner.scala:584 computes it. */
static uint64_t span_estimate(const ksd_segment *s)
{
	if (s->last_offset < s->base_offset)
		return 0;
	return (uint64_t)(s->last_offset - s->base_offset) + 1;
}

/* Smallest buffer giving `need` usable entries with these threads/lf. */
static uint64_t buffer_needed(uint64_t need, const ksd_cleaner_settings *c)
{
	double slots = ceil((double)need / c->load_factor);
	return (uint64_t)slots * 24u * (uint64_t)(c->threads > 0 ? c->threads : 1);
}

typedef struct cleaner_ctx {
	const ksd_config *cfg;
	ksd_worker *w;
	ksd_partition *p;
	cleaner_rule rule;
	uint64_t capacity;     /* with the configured settings */
	uint64_t max_capacity; /* at the 2 GiB per-thread cap */
	int64_t first_dirty;
	bool checkpoint_found;
} cleaner_ctx;

static int64_t first_dirty_offset(const ksd_partition *p, bool *found)
{
	int64_t log_start = p->segments[0].base_offset;
	int64_t cp = p->cleaner_checkpoint;
	*found = false;
	/* Absent, or below log start: the whole log is dirty (§4.7). */
	if (cp < log_start)
		return log_start;
	*found = true;
	return cp;
}

static void describe_settings(const cleaner_ctx *c, char *buf, size_t len)
{
	const ksd_cleaner_settings *s = &c->cfg->cleaner;
	uint64_t b = s->dedupe_buffer_size;
	char size[32];
	if (b % (1u << 20) == 0)
		snprintf(size, sizeof size, "%" PRIu64 " MiB", b >> 20);
	else if (b % 1024 == 0)
		snprintf(size, sizeof size, "%" PRIu64 " KiB", b >> 10);
	else
		snprintf(size, sizeof size, "%" PRIu64 " bytes", b);
	snprintf(buf, len, "dedupe map (%s buffer, %d thread%s, load factor %.2f)", size,
		 s->threads, s->threads == 1 ? "" : "s", s->load_factor);
}

/* The first sentence: who estimates what, for which segment. */
static void describe_estimate(const cleaner_ctx *c, const ksd_segment *s,
			      const ksd_segment *next, uint64_t estimate,
			      const ksd_key_count *kc, char *buf, size_t len)
{
	char est[32], cap[32], settings[128], next_txt[64] = "";
	describe_settings(c, settings, sizeof settings);
	ksd_fmt_count(c->capacity, cap, sizeof cap);
	if (next)
		snprintf(next_txt, sizeof next_txt, "; next segment starts at %" PRId64,
			 next->base_offset);
	if (c->rule == RULE_FIRST_KEYS) {
		snprintf(buf, len, "Kafka %s's cleaner must fit the distinct keys of the first "
			 "dirty segment %s (offsets %" PRId64 "..%" PRId64 "%s) in its %s, which "
			 "holds only %s; the segment has %s%s distinct keys",
			 c->cfg->kafka_version.text, leaf_name(s->log_path), s->base_offset,
			 s->last_offset, next_txt, settings, cap,
			 kc->keys_capped ? "more than " : "",
			 ksd_fmt_count(kc->keys_capped ? c->capacity : estimate, est, sizeof est));
		return;
	}
	char version[48];
	snprintf(version, sizeof version, "Kafka %s", c->cfg->kafka_version.text);
	snprintf(buf, len, "%s's cleaner estimates %s messages for %s from its offset span "
		 "(offsets %" PRId64 "..%" PRId64 "%s), but its %s holds only %s",
		 c->rule == RULE_UNKNOWN ? "Kafka version unknown (pass --kafka-version); a 0.9.0.x broker"
					 : version,
		 ksd_fmt_count(estimate, est, sizeof est), leaf_name(s->log_path), s->base_offset,
		 s->last_offset, next_txt, settings, cap);
}

static void describe_real(const ksd_key_count *kc, char *buf, size_t len)
{
	char recs[32], keys[32];
	if (!kc->complete && !kc->records) {
		snprintf(buf, len, "its records could not be counted");
		return;
	}
	snprintf(buf, len, "it really holds %s records%s%s%s",
		 ksd_fmt_count(kc->records, recs, sizeof recs),
		 kc->distinct_keys ? " with " : "",
		 kc->distinct_keys ? ksd_fmt_count(kc->distinct_keys, keys, sizeof keys) : "",
		 kc->distinct_keys ? (kc->keys_capped ? "+ distinct keys" : " distinct keys") : "");
}

static void report_overflow(cleaner_ctx *c, size_t idx, uint64_t estimate,
			    const ksd_key_count *kc, bool dirty)
{
	const ksd_segment *s = &c->p->segments[idx];
	const ksd_segment *next = idx + 1 < c->p->nsegments ? &c->p->segments[idx + 1] : NULL;
	const ksd_cleaner_settings *cs = &c->cfg->cleaner;
	char maxc[32], remedy[400], who[512], real[128];
	bool can_help = estimate <= c->max_capacity;
	uint64_t need = can_help ? buffer_needed(estimate, cs) : 0;
	if (can_help)
		snprintf(remedy, sizeof remedy, "raising log.cleaner.dedupe.buffer.size to at "
			 "least %" PRIu64 " bytes (%" PRIu64 " MiB) for %d thread%s would fit it; "
			 "upgrading to 0.10.1.0+ removes the rule",
			 need, (need + (1 << 20) - 1) >> 20, cs->threads, cs->threads == 1 ? "" : "s");
	else
		snprintf(remedy, sizeof remedy, "no buffer setting can help: that is %.1fx the %s "
			 "entries a cleaner thread can hold at the 2 GiB cap; upgrade to 0.10.1.0+ "
			 "(KAFKA-3894) or quarantine this segment after checking which keys only it holds",
			 (double)estimate / (double)(c->max_capacity ? c->max_capacity : 1),
			 ksd_fmt_count(c->max_capacity, maxc, sizeof maxc));
	describe_estimate(c, s, next, estimate, kc, who, sizeof who);
	describe_real(kc, real, sizeof real);

	ksd_finding *f = ksd_report(&c->p->findings, KSD_P_CLEANER_MAP_OVERFLOW, s->log_path, -1,
		"%s; %s. %s%s; %s", who, real,
		dirty ? "The cleaner thread dies when it reaches this segment"
		      : "The segment is below the cleaner checkpoint, so this fires again when the "
			"checkpoint is lost or on a new replica",
		c->cfg->cleaner.enabled ? "" : " (log.cleaner.enable=false: only once the cleaner is enabled)",
		remedy);
	if (!f)
		return;
	if (c->rule == RULE_UNKNOWN || !dirty || !c->cfg->cleaner.enabled)
		f->severity = KSD_SEV_WARNING;
	ksd_finding_uint(f, "estimate", estimate);
	ksd_finding_uint(f, "capacity", c->capacity);
	ksd_finding_uint(f, "max_capacity", c->max_capacity);
	ksd_finding_uint(f, "records", kc->records);
	if (kc->distinct_keys)
		ksd_finding_uint(f, "distinct_keys", kc->distinct_keys);
	ksd_finding_int(f, "segment_base_offset", s->base_offset);
	ksd_finding_int(f, "last_offset", s->last_offset);
	if (next)
		ksd_finding_int(f, "next_segment_base_offset", next->base_offset);
	ksd_finding_bool(f, "dirty", dirty);
	ksd_finding_bool(f, "buffer_can_help", can_help);
	ksd_finding_uint(f, "dedupe_buffer_size", cs->dedupe_buffer_size);
	ksd_finding_int(f, "cleaner_threads", cs->threads);
	ksd_finding_real(f, "load_factor", cs->load_factor);
	ksd_finding_str(f, "kafka_version",
			c->cfg->kafka_version.known ? c->cfg->kafka_version.text : "unknown");
	ksd_finding_str(f, "rule",
		c->rule == RULE_FIRST_KEYS
			? "0.10.0.x LogCleaner.buildOffsetMap: the distinct keys of the first dirty segment must fit the dedupe map (KAFKA-3587)"
		: c->rule == RULE_SPAN
			? "0.9.0.0-0.9.0.1 LogCleaner.buildOffsetMap: every dirty segment's offset span must fit the dedupe map (KAFKA-2235)"
			: "version unknown: the 0.9.0.x offset-span rule (KAFKA-2235); gone from 0.10.1.0 (KAFKA-3894)");
}

static bool partition_has_v2(const ksd_partition *p)
{
	for (size_t i = 0; i < p->nsegments; i++)
		if (p->segments[i].magic_mask & (1u << 2))
			return true;
	return false;
}

static void check_cleaner(const ksd_config *cfg, ksd_worker *w, ksd_partition *p)
{
	cleaner_ctx c = {cfg, w, p, cleaner_rule_for(&cfg->kafka_version), 0, 0, 0, false};
	if (!p->compacted || c.rule == RULE_NONE || p->nsegments < 2 || p->only_files)
		return;
	/* Version unknown, but v2 batches mean a 0.11+ broker wrote this log: a
	 * 0.9/0.10.0 cleaner could not even read it, so the rule cannot apply.
	 * Warning about it would be a false alarm on healthy modern dirs. */
	if (c.rule == RULE_UNKNOWN && partition_has_v2(p))
		return;
	c.capacity = ksd_cleaner_capacity(&cfg->cleaner);
	ksd_cleaner_settings max = cfg->cleaner;
	max.dedupe_buffer_size = INT32_MAX;
	max.threads = 1;
	c.max_capacity = ksd_cleaner_capacity(&max);
	c.first_dirty = first_dirty_offset(p, &c.checkpoint_found);
	/* The active (last) segment is never cleaned. */
	for (size_t i = 0; i + 1 < p->nsegments; i++) {
		const ksd_segment *s = &p->segments[i];
		if (!s->log_path || !s->walked)
			continue;
		bool dirty = s->last_offset >= c.first_dirty || s->base_offset >= c.first_dirty;
		bool first_dirty = dirty && (i == 0 || p->segments[i - 1].last_offset < c.first_dirty);
		uint64_t span = span_estimate(s);
		/* Distinct keys <= records <= span: nothing to decode below the cap. */
		if (span <= c.capacity)
			continue;
		if (c.rule == RULE_FIRST_KEYS && !first_dirty)
			continue;
		ksd_key_count kc = {0, 0, false, false};
		ksd_segment_count_keys(w, s, c.capacity, &kc);
		uint64_t estimate = span;
		if (c.rule == RULE_FIRST_KEYS) {
			/* Inconclusive when some batch could not be decoded and the
			 * keys seen so far fit: say nothing rather than guess. */
			if (kc.distinct_keys <= c.capacity)
				continue;
			estimate = kc.distinct_keys;
		}
		report_overflow(&c, i, estimate, &kc, dirty);
	}
}

/* --- producer snapshots ------------------------------------------------- */

static int offset_cmp(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return x < y ? -1 : x > y;
}

static char *snapshot_path(const ksd_partition *p, int64_t offset)
{
	char name[32];
	snprintf(name, sizeof name, "%020" PRId64 ".snapshot", offset);
	return ksd_path_join(p->path, name);
}

enum { SNAP_UNREAD = -1, SNAP_REJECTED = 0, SNAP_VALID = 1, SNAP_ACCEPTED_ODD = 2 };

/* Unreadable files and files above the read cap are left alone. */
static int snapshot_state(ksd_worker *w, const char *path, ksd_file_image *im)
{
	if (!path || ksd_file_load(path, KSD_FILE_READ_CAP, &w->ix[0], im) != KSD_OK ||
	    im->capped || im->len != im->file_size)
		return SNAP_UNREAD;
	ksd_snapshot_info si;
	ksd_snapshot_status st = ksd_snapshot_parse(im->data, im->len, &si);
	return st == KSD_SNAP_OK ? SNAP_VALID : si.kafka_accepts ? SNAP_ACCEPTED_ODD : SNAP_REJECTED;
}

/* A snapshot the broker would load: valid, accepted with oddities, or one we
 * could not read (it may read it; no false alarm about a replay). */
static bool snapshot_usable(int state)
{
	return state != SNAP_REJECTED;
}

/*
 * ProducerStateManager.loadFromSnapshot tries the newest snapshot first and
 * falls back to older ones, deleting each it cannot read; what a bad one
 * costs depends on what is left below it.  Returns the newest usable
 * snapshot at or below `log_end` (snapshots above it are deleted at load),
 * -1 when there is none.
 */
static int64_t check_snapshots(ksd_worker *w, ksd_partition *p, int64_t log_end)
{
	if (p->nsnapshots == 0)
		return -1;
	if (p->nsnapshots > 1) /* qsort(NULL, 0) is undefined */
		qsort(p->snapshots, p->nsnapshots, sizeof *p->snapshots, offset_cmp);
	signed char *state = malloc(p->nsnapshots);
	if (!state)
		return -1;
	ksd_file_image im;
	for (size_t i = 0; i < p->nsnapshots; i++) {
		char *path = snapshot_path(p, p->snapshots[i]);
		state[i] = (signed char)snapshot_state(w, path, &im);
		free(path);
	}
	bool clean = ksd_logdir_clean_shutdown(p);
	unsigned valid_below = 0;
	int64_t newest_usable = -1;
	for (size_t i = 0; i < p->nsnapshots; i++) {
		char *path = snapshot_path(p, p->snapshots[i]);
		ksd_snapshot_ctx ctx = {path, p->snapshots[i], i + 1 == p->nsnapshots, valid_below,
					clean};
		/* Reload: the buffer holds only the last file read. */
		bool news = state[i] == SNAP_REJECTED || state[i] == SNAP_ACCEPTED_ODD;
		if (news && path && ksd_file_load(path, KSD_FILE_READ_CAP, &w->ix[0], &im) == KSD_OK)
			ksd_check_snapshot(&ctx, &im, &p->findings);
		valid_below += state[i] == SNAP_VALID || state[i] == SNAP_ACCEPTED_ODD;
		if (snapshot_usable(state[i]) && p->snapshots[i] <= log_end)
			newest_usable = p->snapshots[i];
		free(path);
	}
	/* Kept for later readers (the restart prediction): the same verdicts,
	 * without reading the files again. */
	for (size_t i = 0; i < p->nsnapshots; i++)
		state[i] = state[i] == SNAP_UNREAD ? -1 : state[i] != SNAP_REJECTED;
	free(p->snapshot_accepted);
	p->snapshot_accepted = state;
	return newest_usable;
}

void ksd_check_partition_snapshots(ksd_worker *w, ksd_partition *p)
{
	(void)check_snapshots(w, p, INT64_MAX);
}

void ksd_pass_partition(const ksd_config *cfg, ksd_worker *w, ksd_partition *p)
{
	int64_t snapshot = check_snapshots(w, p, ksd_partition_log_end(p));
	if (p->nsegments == 0)
		return;
	check_overlap(cfg, p);
	check_cleaner(cfg, w, p);
	ksd_check_legacy_format(cfg, p);
	ksd_check_timestamps(cfg, p);
	ksd_check_transactions(cfg, w, p);
	ksd_check_producer_rebuild(cfg, p, snapshot);
}
