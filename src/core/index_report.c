/*
 * Index findings, and what each Kafka version does with the file at
 * startup (kafka-facts.md §2.6, checked against the sources):
 *
 *  - 0.8.x   sanity-checks every offset index after loading; a failed
 *            `require` aborts startup.  Last offset must be > base.
 *  - 0.9-1.1 the same check, but a failure deletes the index files and
 *            rebuilds them by recovering the segment.  0.10.1+ also check
 *            the time index (last timestamp >= first, last offset >= base).
 *  - 2.0-2.2 as above with last offset >= base (OffsetIndex, 2.0.0).
 *  - 2.3+    indexes are mapped lazily and offset/time index checks are
 *            skipped (KAFKA-7283): a bad index is used as is unless the
 *            segment is recovered anyway.  The .txnindex is still checked
 *            in every version from 0.11.
 *
 * The check reads only the length, slot 0 and the last slot, taking every
 * slot as valid (AbstractIndex), so an untrimmed zero tail is what it sees.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "ksd/files.h"

#define MSG_MAX 900 /* ksd_report keeps 1023 bytes of a message */

static const char *const rule_codes[KSD_IXR__COUNT] = {
	[KSD_IXR_PARTIAL_ENTRY] = "partial-entry",
	[KSD_IXR_NEGATIVE] = "negative",
	[KSD_IXR_OFFSET_ORDER] = "offset-order",
	[KSD_IXR_POSITION_ORDER] = "position-order",
	[KSD_IXR_TIMESTAMP_ORDER] = "timestamp-order",
	[KSD_IXR_TXN_VERSION] = "version",
	[KSD_IXR_TXN_BELOW_BASE] = "below-base",
	[KSD_IXR_TXN_RANGE] = "first-above-last",
	[KSD_IXR_TXN_BEYOND_LOG] = "beyond-log",
	[KSD_IXR_NOT_BATCH_START] = "not-batch-start",
	[KSD_IXR_PAST_END] = "past-end",
	[KSD_IXR_KEY_BELOW_BATCH] = "key-below-batch",
	[KSD_IXR_KEY_ABOVE_APPEND] = "key-above-append",
	[KSD_IXR_TIME_NOT_IN_BATCH] = "offset-between-batches",
	[KSD_IXR_TIME_AHEAD] = "timestamp-ahead",
};

static const unsigned regime_order[] = {
	KSD_REGIME_08, KSD_REGIME_09_11, KSD_REGIME_20_22, KSD_REGIME_23,
};
#define NREGIMES (sizeof regime_order / sizeof regime_order[0])

unsigned ksd_index_regimes(const ksd_kversion *v, uint32_t magic_mask, bool has_timeindex)
{
	if (v->known) {
		if (ksd_kversion_at_least(v, 2, 3, 0, 0))
			return KSD_REGIME_23;
		if (ksd_kversion_at_least(v, 2, 0, 0, 0))
			return KSD_REGIME_20_22;
		if (ksd_kversion_at_least(v, 0, 9, 0, 0))
			return KSD_REGIME_09_11;
		return KSD_REGIME_08;
	}
	unsigned all = KSD_REGIME_08 | KSD_REGIME_09_11 | KSD_REGIME_20_22 | KSD_REGIME_23;
	/* Magic 1 needs 0.10+, magic 2 0.11+, a time index 0.10.1+. */
	if ((magic_mask & 6u) || has_timeindex)
		all &= ~(unsigned)KSD_REGIME_08;
	return all;
}

static ksd_severity sev_max(ksd_severity a, ksd_severity b) { return a > b ? a : b; }
static ksd_severity sev_min(ksd_severity a, ksd_severity b) { return a < b ? a : b; }

/* --- what the broker does with the file at startup --------------------------- */

typedef enum behaviour {
	B_ABORT,     /* startup fails */
	B_REBUILD,   /* deletes the index files, recovers the segment */
	B_UNCHECKED, /* loads it as is */
	B_NOT_READ,  /* the version predates the file kind */
} behaviour;

static bool offset_check_fails(const ksd_index_analysis *a, bool strict)
{
	if (a->partial_bytes)
		return true;
	return a->slots > 0 && (strict ? a->last_relative <= 0 : a->last_relative < 0);
}

static bool time_check_fails(const ksd_index_analysis *a)
{
	if (a->partial_bytes)
		return true;
	return a->slots > 0 && (a->last_timestamp < a->first_timestamp || a->last_relative < 0);
}

static bool time_index_unknown_to(const ksd_index_ctx *ctx)
{
	return ctx->kafka_version.known &&
	       !ksd_kversion_at_least(&ctx->kafka_version, 0, 10, 1, 0);
}

static behaviour regime_behaviour(const ksd_index_analysis *a, const ksd_index_ctx *ctx,
				  unsigned regime)
{
	if (a->kind == KSD_INDEX_TIME) {
		if (regime == KSD_REGIME_08 || time_index_unknown_to(ctx))
			return B_NOT_READ;
		if (regime == KSD_REGIME_23)
			return B_UNCHECKED;
		return time_check_fails(a) ? B_REBUILD : B_UNCHECKED;
	}
	switch (regime) {
	case KSD_REGIME_08:
		return offset_check_fails(a, true) ? B_ABORT : B_UNCHECKED;
	case KSD_REGIME_09_11:
		return offset_check_fails(a, true) ? B_REBUILD : B_UNCHECKED;
	case KSD_REGIME_20_22:
		return offset_check_fails(a, false) ? B_REBUILD : B_UNCHECKED;
	default:
		return B_UNCHECKED;
	}
}

static const char *behaviour_text(behaviour b, unsigned regime, bool plural)
{
	switch (b) {
	case B_ABORT:
		return "aborts startup (sanity check: \"Corrupt index found\")";
	case B_REBUILD:
		return plural ? "fail its sanity check and rebuild the indexes by recovering the segment"
			      : "fails its sanity check and rebuilds the indexes by recovering the segment";
	case B_NOT_READ:
		return plural ? "do not read time indexes (0.10.1+, KIP-33)"
			      : "does not read time indexes (0.10.1+, KIP-33)";
	case B_UNCHECKED:
		if (regime == KSD_REGIME_23)
			return plural ? "load it unchecked (KAFKA-7283 skips index checks at startup)"
				      : "loads it unchecked (KAFKA-7283 skips index checks at startup)";
		return plural ? "pass it (the check reads only the length and the last entry)"
			      : "passes it (the check reads only the length and the last entry)";
	}
	return "";
}

/* "0.9-2.2", "2.0+", "0.8.x": a label for consecutive regimes lo..hi. */
static void regime_label(unsigned lo, unsigned hi, bool time_index, char *buf, size_t len)
{
	const char *from = lo == KSD_REGIME_08 ? "0.8" : lo == KSD_REGIME_09_11
			   ? (time_index ? "0.10.1" : "0.9") : lo == KSD_REGIME_20_22 ? "2.0" : "2.3";
	if (hi == KSD_REGIME_23) {
		snprintf(buf, len, "%s+", from);
		return;
	}
	if (lo == hi && lo == KSD_REGIME_08) {
		snprintf(buf, len, "0.8.x");
		return;
	}
	const char *to = hi == KSD_REGIME_08 ? "0.8.x" : hi == KSD_REGIME_09_11 ? "1.1" : "2.2";
	snprintf(buf, len, "%s-%s", from, to);
}

/*
 * "At startup 0.8.x aborts ...; 0.9-1.1 rebuild ...; 2.0+ load it unchecked"
 * for the plausible regimes, grouping neighbours that behave alike.
 */
static void startup_text(const ksd_index_analysis *a, const ksd_index_ctx *ctx,
			 unsigned regimes, char *buf, size_t len)
{
	size_t o = 0;
	buf[0] = '\0';
	if (ctx->kafka_version.known) {
		unsigned r = regimes;
		behaviour b = regime_behaviour(a, ctx, r);
		snprintf(buf, len, "at startup Kafka %s %s", ctx->kafka_version.text,
			 behaviour_text(b, r, false));
		return;
	}
	for (size_t i = 0; i < NREGIMES; i++) {
		unsigned r = regime_order[i];
		if (!(regimes & r))
			continue;
		behaviour b = regime_behaviour(a, ctx, r);
		size_t j = i;
		while (j + 1 < NREGIMES && (regimes & regime_order[j + 1]) &&
		       regime_behaviour(a, ctx, regime_order[j + 1]) == b &&
		       strcmp(behaviour_text(b, r, true),
			      behaviour_text(b, regime_order[j + 1], true)) == 0)
			j++;
		char label[32];
		regime_label(r, regime_order[j], a->kind == KSD_INDEX_TIME, label, sizeof label);
		bool plural = strcmp(label, "0.8.x") != 0;
		int n = snprintf(buf + o, len - o, "%s%s %s",
				 o ? "; " : "at startup (Kafka version unknown) ", label,
				 behaviour_text(b, regime_order[j], plural));
		if (n < 0 || (size_t)n >= len - o)
			return;
		o += (size_t)n;
		i = j;
	}
}

/* --- severities -------------------------------------------------------------- */

static ksd_severity behaviour_severity(behaviour b, ksd_severity unchecked, bool prealloc)
{
	switch (b) {
	case B_ABORT: return KSD_SEV_ERROR;
	case B_REBUILD: return prealloc ? KSD_SEV_INFO : KSD_SEV_WARNING;
	case B_NOT_READ: return KSD_SEV_INFO;
	case B_UNCHECKED: return unchecked;
	}
	return unchecked;
}

/*
 * A known version: its regime.  Unknown: the newest plausible regime, but at
 * least a warning when an older plausible one would fail startup, so an
 * unknown-version scan neither cries wolf on modern dirs nor stays silent
 * about a 0.8 broker that will not start.
 */
static ksd_severity combined_severity(const ksd_index_analysis *a, const ksd_index_ctx *ctx,
				      unsigned regimes, ksd_severity unchecked, bool prealloc)
{
	ksd_severity newest = KSD_SEV_INFO, older = KSD_SEV_INFO;
	bool have_newest = false;
	for (size_t i = NREGIMES; i-- > 0;) {
		unsigned r = regime_order[i];
		if (!(regimes & r))
			continue;
		ksd_severity s = behaviour_severity(regime_behaviour(a, ctx, r), unchecked, prealloc);
		if (!have_newest) {
			newest = s;
			have_newest = true;
		} else {
			older = sev_max(older, s);
		}
	}
	if (older == KSD_SEV_ERROR)
		newest = sev_max(newest, KSD_SEV_WARNING);
	return newest;
}

/* The broker rebuilds this segment's indexes anyway, or owns it right now. */
static ksd_severity cap_for_state(const ksd_index_ctx *ctx, ksd_severity s, bool prealloc,
				  char *note, size_t len)
{
	note[0] = '\0';
	if (ctx->broker_running && ctx->active) {
		snprintf(note, len, " A running broker holds the log dir's lock and writes this "
			 "segment: its indexes are preallocated and moving.");
		return prealloc ? KSD_SEV_INFO : sev_min(s, KSD_SEV_WARNING);
	}
	if (ctx->rebuilt_at_startup) {
		snprintf(note, len, " The broker recovers this segment at its next start anyway "
			 "(unclean shutdown at or above the recovery point, a missing .index, or "
			 "the KRaft metadata log), rebuilding its indexes.");
		return prealloc ? KSD_SEV_INFO : sev_min(s, KSD_SEV_WARNING);
	}
	return s;
}

/* --- consequences of using a bad index as is --------------------------------- */

static ksd_severity offset_consequence(ksd_index_rule r, const char **text)
{
	switch (r) {
	case KSD_IXR_NOT_BATCH_START:
		*text = "Fetches whose lookup lands on it read from the middle of a batch and fail "
			"(CorruptRecordException): consumers and followers stall there.";
		return KSD_SEV_ERROR;
	case KSD_IXR_PAST_END:
		*text = "Fetches whose lookup lands on it start beyond the data and return nothing "
			"for offsets the log holds.";
		return KSD_SEV_ERROR;
	case KSD_IXR_KEY_BELOW_BATCH:
		*text = "A fetch for an offset between the key and that batch starts at the batch "
			"and silently skips the offsets before it.";
		return KSD_SEV_ERROR;
	case KSD_IXR_KEY_ABOVE_APPEND:
		*text = "Lookups below the key fall back to earlier entries: slower fetches, no "
			"wrong data.";
		return KSD_SEV_WARNING;
	case KSD_IXR_PARTIAL_ENTRY:
		*text = "Kafka ignores the partial entry (entries = length / 8).";
		return KSD_SEV_WARNING;
	default:
		*text = "Lookups binary-search the entries: out of order they return a position "
			"after the wanted offset (fetches skip data) or before it (slower).";
		return KSD_SEV_ERROR;
	}
}

static ksd_severity time_consequence(ksd_index_rule r, const char **text)
{
	switch (r) {
	case KSD_IXR_PARTIAL_ENTRY:
		*text = "Kafka ignores the partial entry (entries = length / 12).";
		return KSD_SEV_WARNING;
	case KSD_IXR_TIME_NOT_IN_BATCH:
	case KSD_IXR_PAST_END:
		*text = "ListOffsets by timestamp (offsetsForTimes) can answer with an offset the "
			"log does not hold.";
		return KSD_SEV_WARNING;
	case KSD_IXR_TIME_AHEAD:
		*text = "offsetsForTimes answers too early or too late, and the last entry's "
			"timestamp is what time retention takes as the segment's largest.";
		return KSD_SEV_WARNING;
	default:
		*text = "offsetsForTimes binary-searches the entries and answers wrongly, and time "
			"retention takes the last entry's timestamp as the segment's largest "
			"(KAFKA-10207).";
		return KSD_SEV_WARNING;
	}
}

/* --- one finding per rule ------------------------------------------------------ */

static ksd_problem corrupt_code(ksd_index_kind k)
{
	return k == KSD_INDEX_OFFSET ? KSD_P_INDEX_CORRUPT
	       : k == KSD_INDEX_TIME ? KSD_P_TIMEINDEX_CORRUPT : KSD_P_TXNINDEX_CORRUPT;
}

static const char *leaf(const char *path)
{
	const char *s = path ? strrchr(path, '/') : NULL;
	return s ? s + 1 : (path ? path : "?");
}

/* The first affected entry, in words. */
static void describe_issue(const ksd_index_analysis *a, ksd_index_rule r, char *buf, size_t len)
{
	const ksd_index_issue *is = &a->issue[r];
	bool time = a->kind == KSD_INDEX_TIME;
	switch (r) {
	case KSD_IXR_PARTIAL_ENTRY:
		snprintf(buf, len, "%" PRId64 " bytes: %" PRId64 " past the last whole %zu-byte entry",
			 is->b, is->a, ksd_index_entry_bytes(a->kind));
		return;
	case KSD_IXR_NEGATIVE:
		snprintf(buf, len, time ? "relative offset %" PRId64 ", timestamp %" PRId64
				       : "relative offset %" PRId64 ", position %" PRId64, is->a, is->b);
		return;
	case KSD_IXR_OFFSET_ORDER:
		snprintf(buf, len, "offset %" PRId64 " after %" PRId64, is->b, is->a);
		return;
	case KSD_IXR_POSITION_ORDER:
		snprintf(buf, len, "position %" PRId64 " after %" PRId64, is->b, is->a);
		return;
	case KSD_IXR_TIMESTAMP_ORDER:
		snprintf(buf, len, "timestamp %" PRId64 " after %" PRId64, is->b, is->a);
		return;
	case KSD_IXR_TXN_VERSION:
		snprintf(buf, len, "version %" PRId64 " (first byte %" PRId64 "), lastOffset %" PRId64,
			 is->a, is->b, is->c);
		return;
	case KSD_IXR_TXN_BELOW_BASE:
		snprintf(buf, len, "lastOffset %" PRId64 " below the segment base %" PRId64
			 ", producer %" PRId64, is->a, is->b, is->c);
		return;
	case KSD_IXR_TXN_RANGE:
		snprintf(buf, len, "firstOffset %" PRId64 " above lastOffset %" PRId64
			 ", producer %" PRId64, is->a, is->b, is->c);
		return;
	case KSD_IXR_TXN_BEYOND_LOG:
		snprintf(buf, len, "lastOffset %" PRId64 " beyond the log's last offset %" PRId64
			 ", producer %" PRId64, is->a, is->b, is->c);
		return;
	case KSD_IXR_NOT_BATCH_START:
		snprintf(buf, len, "offset %" PRId64 " at byte %" PRId64 ", where no batch starts",
			 is->a, is->b);
		return;
	case KSD_IXR_PAST_END:
		if (time)
			snprintf(buf, len, "offset %" PRId64 " (timestamp %" PRId64 ") above the log's "
				 "last offset %" PRId64, is->a, is->b, is->c);
		else
			snprintf(buf, len, "offset %" PRId64 " at byte %" PRId64 ", but the log's "
				 "batches end at byte %" PRId64, is->a, is->b, is->c);
		return;
	case KSD_IXR_KEY_BELOW_BATCH:
		snprintf(buf, len, "offset %" PRId64 " at byte %" PRId64 ", where the batch starts "
			 "at offset %" PRId64, is->a, is->b, is->c);
		return;
	case KSD_IXR_KEY_ABOVE_APPEND:
		snprintf(buf, len, "offset %" PRId64 " at byte %" PRId64 ", but the batches before "
			 "the next entry end at offset %" PRId64, is->a, is->b, is->c);
		return;
	case KSD_IXR_TIME_NOT_IN_BATCH:
		snprintf(buf, len, "offset %" PRId64 " (timestamp %" PRId64 ") before the batch "
			 "starting at offset %" PRId64, is->a, is->b, is->c);
		return;
	case KSD_IXR_TIME_AHEAD:
		snprintf(buf, len, "timestamp %" PRId64 " at offset %" PRId64 ", but the log's largest "
			 "timestamp up to there is %" PRId64, is->a, is->b, is->c);
		return;
	default:
		buf[0] = '\0';
	}
}

static void add_counts(ksd_finding *f, const ksd_index_analysis *a, ksd_index_rule r)
{
	const ksd_index_issue *is = &a->issue[r];
	ksd_finding_str(f, "rule", rule_codes[r]);
	ksd_finding_uint(f, "count", is->count);
	ksd_finding_uint(f, "slot", is->slot);
	ksd_finding_uint(f, "entries", a->entries);
	ksd_finding_uint(f, "slots", a->slots);
	ksd_finding_uint(f, "file_bytes", a->file_size);
	ksd_finding_int(f, "value_a", is->a);
	ksd_finding_int(f, "value_b", is->b);
	ksd_finding_int(f, "value_c", is->c);
}

static void report_rule(const ksd_index_analysis *a, const ksd_index_ctx *ctx, ksd_index_rule r,
			ksd_findings *out)
{
	char what[200], startup[400], note[220];
	const char *consequence = "";
	unsigned regimes = ksd_index_regimes(&ctx->kafka_version, ctx->magic_mask, ctx->has_timeindex);
	ksd_severity unchecked = a->kind == KSD_INDEX_OFFSET ? offset_consequence(r, &consequence)
							     : time_consequence(r, &consequence);
	ksd_severity sev = combined_severity(a, ctx, regimes, unchecked, false);
	sev = cap_for_state(ctx, sev, false, note, sizeof note);
	startup_text(a, ctx, regimes, startup, sizeof startup);
	describe_issue(a, r, what, sizeof what);
	const ksd_index_issue *is = &a->issue[r];
	ksd_finding *f = ksd_report(out, corrupt_code(a->kind), ctx->path,
		(int64_t)(is->slot * ksd_index_entry_bytes(a->kind)),
		"%s %s: %" PRIu64 " entr%s %s, first slot %" PRIu64 " (%s); %s. %s%s",
		ksd_index_kind_name(a->kind), leaf(ctx->path), is->count, is->count == 1 ? "y" : "ies",
		ksd_index_rule_text(r), is->slot, what, startup, consequence, note);
	if (!f)
		return;
	f->severity = sev;
	add_counts(f, a, r);
}

/* --- the transaction index --------------------------------------------------- */

static ksd_severity txn_outcome(const ksd_index_analysis *a, ksd_index_rule r, const char **text)
{
	uint8_t vb = a->txn_version_byte;
	if (r == KSD_IXR_TXN_VERSION && vb >= 1 && vb <= 127) {
		*text = "Every Kafka from 0.11 fails to load this log at startup with KafkaException "
			"\"Unexpected aborted transaction version\" (TransactionIndex.sanityCheck), "
			"and the broker shuts down.";
		return KSD_SEV_ERROR;
	}
	if (r == KSD_IXR_TXN_VERSION) {
		*text = "Kafka reads only the first byte as the version (AbortedTxn.version) and "
			"accepts it, but it never writes this.";
		return KSD_SEV_WARNING;
	}
	if (r == KSD_IXR_TXN_BELOW_BASE) {
		*text = "At startup Kafka (0.11+) rejects it (CorruptIndexException), deletes the "
			"segment's indexes and recovers the segment, which needs producer state "
			"from earlier segments.";
		return KSD_SEV_WARNING;
	}
	if (r == KSD_IXR_PARTIAL_ENTRY) {
		*text = "Kafka reads only whole entries, but appends after the partial one, so every "
			"later entry is misaligned.";
		return KSD_SEV_WARNING;
	}
	if (r == KSD_IXR_TXN_BEYOND_LOG) {
		*text = "Kafka does not check this at startup; the ABORT marker is not in this "
			"segment, so read_committed fetches mark records as aborted wrongly.";
		return KSD_SEV_WARNING;
	}
	*text = "Kafka does not check this at startup; read_committed fetches walk these "
		"entries to find aborted transactions and may miss some, showing aborted records.";
	return KSD_SEV_ERROR;
}

static void report_txn_rule(const ksd_index_analysis *a, const ksd_index_ctx *ctx,
			    ksd_index_rule r, ksd_findings *out)
{
	char what[200], note[220];
	const char *text;
	ksd_severity sev = txn_outcome(a, r, &text);
	bool aborts = sev == KSD_SEV_ERROR && r == KSD_IXR_TXN_VERSION;
	/* The version check throws before any recovery could help. */
	if (!aborts)
		sev = cap_for_state(ctx, sev, false, note, sizeof note);
	else
		note[0] = '\0';
	describe_issue(a, r, what, sizeof what);
	const ksd_index_issue *is = &a->issue[r];
	ksd_finding *f = ksd_report(out, KSD_P_TXNINDEX_CORRUPT, ctx->path,
		(int64_t)(is->slot * KSD_TXN_ENTRY_BYTES),
		"transaction index %s: %" PRIu64 " entr%s %s, first slot %" PRIu64 " (%s). %s%s",
		leaf(ctx->path), is->count, is->count == 1 ? "y" : "ies", ksd_index_rule_text(r),
		is->slot, what, text, note);
	if (!f)
		return;
	f->severity = sev;
	add_counts(f, a, r);
}

/* --- preallocated (untrimmed) indexes ---------------------------------------- */

/* A time index loaded as full whose last slot reads timestamp 0. */
static ksd_severity zero_time_consequence(const ksd_index_ctx *ctx, char *buf, size_t len)
{
	if (ctx->active && ctx->log_empty) {
		snprintf(buf, len, "It looks full, so the empty segment rolls at its next append and "
			 "the broker recreates it (KAFKA-6388, fixed in 2.1.1; earlier versions "
			 "fail that roll).");
		bool old = ctx->kafka_version.known &&
			   !ksd_kversion_at_least(&ctx->kafka_version, 2, 1, 1, 0);
		return old ? KSD_SEV_WARNING : KSD_SEV_INFO;
	}
	if (ctx->active) {
		snprintf(buf, len, "It looks full with last timestamp 0: the next roll appends the "
			 "segment's largest timestamp past the end of the mapped file and fails with "
			 "BufferOverflowException (KAFKA-19200, KAFKA-12734), failing appends and "
			 "replica fetches until the index is rebuilt.");
		return KSD_SEV_WARNING;
	}
	if (ctx->compacted) {
		snprintf(buf, len, "Its last slot reads timestamp 0, which time retention would take "
			 "as the segment's largest; a compacted topic is not time-retained.");
		return KSD_SEV_INFO;
	}
	snprintf(buf, len, "Its last slot reads timestamp 0, so the broker takes 1970 as the "
		 "segment's largest timestamp and time retention deletes it at the next check "
		 "whatever the age of its data (KAFKA-10207).");
	return KSD_SEV_ERROR;
}

static ksd_severity zero_offset_consequence(const ksd_index_analysis *a, const ksd_index_ctx *ctx,
					    char *buf, size_t len)
{
	if (ctx->active && ctx->log_empty) {
		snprintf(buf, len, "It looks full, so the empty segment rolls at its next append and "
			 "the broker recreates it (KAFKA-6388, fixed in 2.1.1; earlier versions "
			 "fail that roll).");
		bool old = ctx->kafka_version.known &&
			   !ksd_kversion_at_least(&ctx->kafka_version, 2, 1, 1, 0);
		return old ? KSD_SEV_WARNING : KSD_SEV_INFO;
	}
	if (ctx->active) {
		snprintf(buf, len, "It looks full, so the segment rolls at its next append (harmless: "
			 "a roll never appends to the offset index).");
		return KSD_SEV_INFO;
	}
	snprintf(buf, len, "Lookups beyond its %" PRIu64 " real entries land on zero slots and "
		 "scan the segment from its start: slower fetches, no wrong data.", a->entries);
	return KSD_SEV_INFO;
}

static void report_preallocated(const ksd_index_analysis *a, const ksd_index_ctx *ctx,
				ksd_findings *out)
{
	char consequence[400], startup[400], note[220];
	unsigned regimes = ksd_index_regimes(&ctx->kafka_version, ctx->magic_mask, ctx->has_timeindex);
	bool time = a->kind == KSD_INDEX_TIME;
	ksd_severity unchecked = time ? zero_time_consequence(ctx, consequence, sizeof consequence)
				      : zero_offset_consequence(a, ctx, consequence, sizeof consequence);
	ksd_severity sev = combined_severity(a, ctx, regimes, unchecked, true);
	sev = cap_for_state(ctx, sev, true, note, sizeof note);
	startup_text(a, ctx, regimes, startup, sizeof startup);
	bool full = a->file_size == KSD_INDEX_MAX_BYTES_DEFAULT / ksd_index_entry_bytes(a->kind) *
				    ksd_index_entry_bytes(a->kind);
	ksd_finding *f = ksd_report(out, KSD_P_INDEX_PREALLOCATED, ctx->path,
		(int64_t)(a->entries * ksd_index_entry_bytes(a->kind)),
		"%s %s of the %s segment was not trimmed: %" PRIu64 " real entr%s in %" PRIu64
		" slots (%" PRIu64 " bytes%s), Kafka loads every slot; %s. %s%s",
		ksd_index_kind_name(a->kind), leaf(ctx->path), ctx->active ? "active" : "inactive",
		a->entries, a->entries == 1 ? "y" : "ies", a->slots, a->file_size,
		full ? ", the default preallocated size" : "", startup, consequence, note);
	if (!f)
		return;
	f->severity = sev;
	ksd_finding_str(f, "index", time ? "timeindex" : "index");
	ksd_finding_uint(f, "entries", a->entries);
	ksd_finding_uint(f, "slots", a->slots);
	ksd_finding_uint(f, "zero_slots", a->zero_slots);
	ksd_finding_uint(f, "file_bytes", a->file_size);
	ksd_finding_bool(f, "active_segment", ctx->active);
	ksd_finding_bool(f, "clean_shutdown", ctx->clean_shutdown);
	ksd_finding_bool(f, "rebuilt_at_startup", ctx->rebuilt_at_startup);
}

static void report_capped(const ksd_index_analysis *a, const ksd_index_ctx *ctx, ksd_findings *out)
{
	ksd_finding *f = ksd_report(out, corrupt_code(a->kind), ctx->path, -1,
		"%s %s is %" PRIu64 " bytes; only the first %zu MiB were checked",
		ksd_index_kind_name(a->kind), leaf(ctx->path), a->file_size, KSD_FILE_READ_CAP >> 20);
	if (!f)
		return;
	f->severity = KSD_SEV_INFO;
	ksd_finding_uint(f, "file_bytes", a->file_size);
	ksd_finding_uint(f, "checked_bytes", KSD_FILE_READ_CAP);
}

void ksd_index_report(const ksd_index_analysis *a, const ksd_index_ctx *ctx, ksd_findings *out)
{
	if (a->capped)
		report_capped(a, ctx, out);
	for (unsigned r = 0; r < KSD_IXR__COUNT; r++) {
		if (!a->issue[r].count)
			continue;
		if (a->kind == KSD_INDEX_TXN)
			report_txn_rule(a, ctx, (ksd_index_rule)r, out);
		else
			report_rule(a, ctx, (ksd_index_rule)r, out);
	}
	/* The active segment of a running broker, or of one that crashed (its
	 * recovery rebuilds the indexes), is preallocated by design: a finding
	 * per partition would only bury the real ones. */
	bool expected = ctx->active && (ctx->broker_running || ctx->rebuilt_at_startup);
	if (a->zero_slots && a->kind != KSD_INDEX_TXN && !expected)
		report_preallocated(a, ctx, out);
}

/* --- standalone checks -------------------------------------------------------- */

void ksd_check_offset_index(const ksd_index_ctx *ctx, int64_t base_offset,
			    const ksd_file_image *im, ksd_findings *out)
{
	ksd_index_analysis a;
	ksd_index_analyze(KSD_INDEX_OFFSET, base_offset, im, -1, &a);
	ksd_index_report(&a, ctx, out);
}

void ksd_check_time_index(const ksd_index_ctx *ctx, int64_t base_offset,
			  const ksd_file_image *im, ksd_findings *out)
{
	ksd_index_analysis a;
	ksd_index_analyze(KSD_INDEX_TIME, base_offset, im, -1, &a);
	ksd_index_report(&a, ctx, out);
}

void ksd_check_txn_index(const ksd_index_ctx *ctx, int64_t base_offset,
			 const ksd_file_image *im, int64_t log_last_offset,
			 ksd_findings *out)
{
	ksd_index_analysis a;
	ksd_index_analyze(KSD_INDEX_TXN, base_offset, im, log_last_offset, &a);
	ksd_index_report(&a, ctx, out);
}
