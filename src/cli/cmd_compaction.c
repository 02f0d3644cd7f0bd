/*
 * ksegdoctor compaction: "why is this compacted topic huge?"  Runs the scan
 * (header level unless --level crc: the analysis decodes and CRC-checks
 * every batch of the compacted partitions itself), then reports per
 * compacted partition, largest first, what it holds, what a full clean
 * would remove, its dirty ratio, and what stops the cleaner.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "ksd/compaction.h"
#include "ksd/jsonw.h"
#include "render.h"
#include "scan_common.h"

enum {
	OPT_HELP = 'h',
	OPT_JSON = 256,
	OPT_TOP,
	OPT_MAX_KEYS,
	OPT_MIN_RATIO,
};

static const cli_opt compaction_opts[] = {
	{OPT_JSON, "json", 0, NULL, "one JSON document on stdout instead of the text report"},
	SCAN_FAIL_ON_OPT,
	{OPT_TOP, "top", 0, "N", "report only the N largest compacted partitions (default 20; 0 = all)"},
	{OPT_MAX_KEYS, "max-keys", 0, "N", "distinct keys tracked per partition (default 16000000, about 12 bytes/slot, <= 384 MiB per worker); beyond it key counts are lower bounds"},
	{OPT_MIN_RATIO, "min-cleanable-ratio", 0, "F", "the topic's min.cleanable.dirty.ratio (default 0.5)"},
	SCAN_COMMON_OPTS,
	{OPT_HELP, "help", 'h', NULL, "show this help"},
	{0, NULL, 0, NULL, NULL},
};

static const cli_cmd compaction_cmd = {
	"compaction", "[options] PATH...",
	"Explains why compacted partitions (__consumer_offsets, __transaction_state,\n"
	"--compacted-topic) are large: records, distinct and live keys, tombstones,\n"
	"what a full clean would remove, the dirty ratio the cleaner judges by, and\n"
	"what blocks the cleaner. PATH as for scan. Read-only.",
	"Every record of the compacted partitions is decoded (all codecs); keys are\n"
	"tracked by 64-bit hash. The scan part runs at header level unless --level crc\n"
	"is given; the analysis verifies each batch's CRC itself and leaves damaged\n"
	"batches out of the counts. Reclaimable bytes are an estimate (records of\n"
	"compressed batches get a proportional share). min.compaction.lag.ms and\n"
	"per-topic overrides cannot be known offline. See docs/compaction.md.\n\n"
	"Exit status (OR-ed): 0, 4 scan findings at or above --fail-on, 8 operational\n"
	"error, 16 usage error.\n",
	compaction_opts,
};

typedef struct comp_state {
	scan_common sc;
	bool json;
	unsigned top;
	ksd_compaction_opts co;
} comp_state;

static bool parse_u64(const char *s, uint64_t max, uint64_t *out)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || end == s || *end || s[0] == '-' || v > max)
		return false;
	*out = v;
	return true;
}

static bool on_opt(void *ud, int id, const char *arg)
{
	comp_state *st = ud;
	uint64_t v;
	switch (id) {
	case OPT_JSON: st->json = true; return true;
	case OPT_TOP:
		if (parse_u64(arg, 1000000000, &v)) {
			st->top = (unsigned)v;
			return true;
		}
		cli_usage_error(&compaction_cmd, "--top takes a number, not '%s'", arg);
		return false;
	case OPT_MAX_KEYS:
		/* 2^31 keys = 4 Gi slots x 12 bytes: a hard ceiling on memory. */
		if (parse_u64(arg, (uint64_t)1 << 31, &v) && v > 0) {
			st->co.max_keys = v;
			return true;
		}
		cli_usage_error(&compaction_cmd, "--max-keys takes a number from 1 to 2147483648, not '%s'", arg);
		return false;
	case OPT_MIN_RATIO: {
		char *end;
		double d = strtod(arg, &end);
		if (end != arg && !*end && d >= 0 && d <= 1) {
			st->co.min_cleanable_ratio = d;
			return true;
		}
		cli_usage_error(&compaction_cmd, "--min-cleanable-ratio takes a number from 0 to 1, not '%s'", arg);
		return false;
	}
	}
	return scan_common_opt(&st->sc, &compaction_cmd, id, arg) == 1;
}

/* --- blocker wording ---------------------------------------------------------- */

static void blocker_text(const ksd_compaction_part *cp, const ksd_compaction_blocker *b,
			 const comp_state *st, char *buf, size_t len)
{
	char a[32], c[32];
	switch (b->kind) {
	case KSD_BLOCK_METADATA_LOG:
		snprintf(buf, len, "the KRaft metadata log is never compacted by the log cleaner: "
			 "the controller trims it with snapshots (metadata.log.max.record.bytes."
			 "between.snapshots, metadata.max.retention.bytes/.ms)");
		return;
	case KSD_BLOCK_CLEANER_DISABLED:
		snprintf(buf, len, "log.cleaner.enable=false or log.cleaner.threads=0 for this broker "
			 "(0.9.0.0 and earlier default to off): nothing is compacted; set "
			 "log.cleaner.enable=true (default from 0.9.0.1, KAFKA-2988) and restart");
		return;
	case KSD_BLOCK_MAP_OVERFLOW:
		snprintf(buf, len, "%" PRIu64 " finding%s from segment %" PRId64 ": the cleaner %s "
			 "at that segment (until 2.0 the thread dies and all compaction stops; 2.1+ "
			 "marks the partition uncleanable, KIP-346); the finding below says which "
			 "buffer or upgrade fixes it", b->count, b->count == 1 ? "" : "s", b->offset,
			 b->stops_cleaning ? "fails" : "would fail once the checkpoint is lost");
		return;
	case KSD_BLOCK_HANGING_TXN:
		snprintf(buf, len, "an open transaction from offset %" PRId64 " pins the last stable "
			 "offset: nothing from there on is cleaned (dirty bytes stop there); abort it "
			 "with kafka-transactions.sh abort (3.0+, KIP-664)", b->offset);
		return;
	case KSD_BLOCK_OPEN_TXN:
		snprintf(buf, len, "transactional data from offset %" PRId64 " has no COMMIT/ABORT "
			 "marker yet: the last stable offset stays there and the cleaner stops at it; "
			 "`ksegdoctor scan` reports hanging-transaction once it is older than "
			 "--txn-timeout", b->offset);
		return;
	case KSD_BLOCK_CHECKPOINT_RESET:
		snprintf(buf, len, "cleaner-offset-checkpoint says %" PRId64 ", outside the log "
			 "[%" PRId64 ", %" PRId64 "]: the broker resets it to log start and treats the "
			 "whole log as dirty (LogCleanerManager.cleanableOffsets); this is what "
			 "re-examines already-cleaned sparse segments", b->offset, cp->log_start,
			 cp->log_end);
		return;
	case KSD_BLOCK_NO_CHECKPOINT:
		snprintf(buf, len, "no cleaner-offset-checkpoint entry (never cleaned on this broker, "
			 "a new replica, or the file was lost): the whole log from offset %" PRId64
			 " counts as dirty", cp->log_start);
		return;
	case KSD_BLOCK_BELOW_RATIO:
		snprintf(buf, len, "dirty ratio %.2f is not above min.cleanable.dirty.ratio %.2f: "
			 "the cleaner does not pick this log yet (a lower per-topic ratio, or "
			 "max.compaction.lag.ms from 2.3, KIP-354, would make it)",
			 cp->dirty_ratio, st->co.min_cleanable_ratio);
		return;
	case KSD_BLOCK_ACTIVE_SEGMENT:
		snprintf(buf, len, "the active segment (base %" PRId64 ") holds %s of %s: it is never "
			 "cleaned until it rolls at segment.bytes or segment.ms (__consumer_offsets: "
			 "offsets.topic.segment.bytes, 100 MiB)", b->offset,
			 fmt_bytes(b->count, a, sizeof a), fmt_bytes(cp->bytes, c, sizeof c));
		return;
	case KSD_BLOCK_LIVE_TOMBSTONES:
		snprintf(buf, len, "%s key%s end%s in a tombstone: a clean keeps each for "
			 "delete.retention.ms (default 1 day) before dropping it (§4.8)",
			 fmt_count(b->count, a, sizeof a), b->count == 1 ? "" : "s",
			 b->count == 1 ? "s" : "");
		return;
	case KSD_BLOCK_DAMAGE:
		snprintf(buf, len, "%s damaged or unreadable batch%s left out of these counts%s%s%s",
			 fmt_count(b->count, a, sizeof a), b->count == 1 ? "" : "es",
			 b->finding_code ? " (scan finding " : "; run `ksegdoctor scan` for details",
			 b->finding_code ? b->finding_code : "", b->finding_code ? ")" : "");
		return;
	case KSD_BLOCK__COUNT:
		break;
	}
	snprintf(buf, len, "?");
}

/* --- text ------------------------------------------------------------------- */

static double pct(uint64_t part, uint64_t whole)
{
	return whole ? 100.0 * (double)part / (double)whole : 0.0;
}

static void print_keys(const ksd_compaction_part *cp)
{
	char a[32], b[32], c[32], d[32], e[32];
	const char *lb = cp->keys_capped ? "at least " : "";
	printf("  keys: %s%s distinct, %s%s live, %s%s ending in a tombstone; %s tombstone "
	       "records, %s records without a key\n",
	       lb, fmt_count(cp->distinct_keys, a, sizeof a), lb, fmt_count(cp->live_keys, b, sizeof b),
	       lb, fmt_count(cp->live_tombstones, c, sizeof c), fmt_count(cp->tombstones, d, sizeof d),
	       fmt_count(cp->null_key_records, e, sizeof e));
	if (cp->offsets_topic)
		printf("  by record type: %s offset-commit keys, %s group-metadata keys, %s other\n",
		       fmt_count(cp->offset_commit_keys, a, sizeof a),
		       fmt_count(cp->group_keys, b, sizeof b), fmt_count(cp->other_keys, c, sizeof c));
	if (cp->keys_capped)
		printf("  (more distinct keys than --max-keys: counts are lower bounds)\n");
}

static void print_part(const ksd_compaction_part *cp, const comp_state *st)
{
	char a[32], b[32], c[32], d[32];
	const ksd_partition *p = cp->p;
	printf("%s  %s in %" PRIu64 " segment%s  (%s)\n", p->dir_name, fmt_bytes(cp->bytes, a, sizeof a),
	       cp->segments, cp->segments == 1 ? "" : "s", p->path);
	printf("  records: %s in %s batches (+%s control records)\n",
	       fmt_count(cp->records, a, sizeof a), fmt_count(cp->batches, b, sizeof b),
	       fmt_count(cp->control_records, c, sizeof c));
	print_keys(cp);
	printf("  %.1f%% of the records are superseded by a later record of their key; a full "
	       "clean would remove %s records, about %s (%.1f%% of the bytes; estimate)\n",
	       pct(cp->superseded_records, cp->records), fmt_count(cp->reclaimable_records, a, sizeof a),
	       fmt_bytes(cp->reclaimable_bytes, b, sizeof b), pct(cp->reclaimable_bytes, cp->bytes));
	printf("  dirty ratio %.2f: clean %s below offset %" PRId64 ", dirty %s up to offset %" PRId64
	       ", active segment %s; %s min.cleanable.dirty.ratio %.2f\n",
	       cp->dirty_ratio, fmt_bytes(cp->clean_bytes, a, sizeof a), cp->first_dirty,
	       fmt_bytes(cp->dirty_bytes, b, sizeof b), cp->first_uncleanable,
	       fmt_bytes(cp->active_bytes, d, sizeof d),
	       cp->dirty_ratio > st->co.min_cleanable_ratio ? "above" : "not above",
	       st->co.min_cleanable_ratio);
	printf("  cleaner: %s\n", !cp->bytes ? "empty log, nothing to clean"
				   : cp->would_clean ? "would pick this log now"
						     : "would not clean this log now");
	for (size_t i = 0; i < cp->nblockers; i++) {
		char text[512];
		const ksd_compaction_blocker *bl = &cp->blockers[i];
		blocker_text(cp, bl, st, text, sizeof text);
		printf("    %s [%s%s%s] %s\n", bl->stops_cleaning ? "x" : "-",
		       ksd_blocker_name(bl->kind), bl->finding_code ? ", finding " : "",
		       bl->finding_code ? bl->finding_code : "", text);
	}
	(void)c;
	putchar('\n');
}

static void print_finding(void *ud, const ksd_logdir *ld, const ksd_partition *p,
			  const ksd_segment *s, const ksd_finding *f)
{
	unsigned *shown = ud;
	(void)ld, (void)p, (void)s;
	if (f->severity < KSD_SEV_WARNING || ++*shown > 30)
		return;
	printf("  %-7s %-22s %s: %s\n", ksd_severity_name(f->severity),
	       ksd_problem_get(f->problem)->code, f->path ? f->path : "-", f->message);
}

static void print_text(const ksd_scan *scan, const ksd_compaction *c, const comp_state *st)
{
	char a[32], b[32], d[32];
	size_t shown = st->top && st->top < c->nparts ? st->top : c->nparts;
	if (!c->nparts)
		printf("No compacted partitions found (internal topics are; add others with "
		       "--compacted-topic TOPIC).\n\n");
	for (size_t i = 0; i < shown; i++)
		print_part(&c->parts[i], st);
	if (shown < c->nparts)
		printf("... %zu smaller compacted partitions (--top 0 lists all)\n\n", c->nparts - shown);
	size_t blocked = 0;
	for (size_t i = 0; i < c->nparts; i++)
		blocked += !c->parts[i].would_clean && c->parts[i].bytes;
	printf("Summary: %zu compacted partition%s, %s, %s records; a full clean would remove "
	       "about %s (%.1f%%, estimate); %zu non-empty would not be cleaned now.\n",
	       c->nparts, c->nparts == 1 ? "" : "s", fmt_bytes(c->bytes, a, sizeof a),
	       fmt_count(c->records, b, sizeof b), fmt_bytes(c->reclaimable_bytes, d, sizeof d),
	       pct(c->reclaimable_bytes, c->bytes), blocked);
	printf("Not knowable offline: min.compaction.lag.ms (0.10.1+, KIP-58) and per-topic "
	       "overrides of min.cleanable.dirty.ratio/delete.retention.ms; the broker's "
	       "log-cleaner.log says what it last did.\n");
	const ksd_totals *t = &scan->totals;
	if (t->findings_by_severity[KSD_SEV_ERROR] + t->findings_by_severity[KSD_SEV_WARNING]) {
		printf("Scan findings (%" PRIu64 " errors, %" PRIu64 " warnings; `ksegdoctor scan` "
		       "explains them):\n", t->findings_by_severity[KSD_SEV_ERROR],
		       t->findings_by_severity[KSD_SEV_WARNING]);
		unsigned n = 0;
		ksd_scan_visit_findings(scan, print_finding, &n);
		if (n > 30)
			printf("  ... %u more\n", n - 30);
	}
	for (size_t i = 0; i < scan->nerrors; i++)
		printf("cannot read %s: %s\n", scan->errors[i].path, ksd_strerror(scan->errors[i].err));
}

/* --- JSON ------------------------------------------------------------------ */

static void kv_real(ksd_jw *w, const char *k, double v)
{
	ksd_jw_key(w, k);
	ksd_jw_real(w, v);
}

static void json_blockers(ksd_jw *w, const ksd_compaction_part *cp, const comp_state *st)
{
	ksd_jw_key(w, "blockers");
	ksd_jw_arr_begin(w);
	for (size_t i = 0; i < cp->nblockers; i++) {
		const ksd_compaction_blocker *b = &cp->blockers[i];
		char text[512];
		blocker_text(cp, b, st, text, sizeof text);
		ksd_jw_obj_begin(w);
		ksd_jw_kv_str(w, "kind", ksd_blocker_name(b->kind));
		ksd_jw_kv_str(w, "finding_code", b->finding_code);
		ksd_jw_key(w, "offset");
		if (b->offset >= 0)
			ksd_jw_int(w, b->offset);
		else
			ksd_jw_null(w);
		ksd_jw_kv_uint(w, "count", b->count);
		ksd_jw_kv_bool(w, "stops_cleaning", b->stops_cleaning);
		ksd_jw_kv_str(w, "message", text);
		ksd_jw_obj_end(w);
	}
	ksd_jw_arr_end(w);
}

static void json_part(ksd_jw *w, const ksd_compaction_part *cp, const comp_state *st)
{
	const ksd_partition *p = cp->p;
	ksd_jw_obj_begin(w);
	ksd_jw_kv_str(w, "name", p->dir_name);
	ksd_jw_kv_str(w, "topic", p->name.topic);
	ksd_jw_kv_int(w, "partition", p->name.partition);
	ksd_jw_kv_str(w, "path", p->path);
	ksd_jw_kv_str(w, "log_dir", p->logdir ? p->logdir->path : NULL);
	ksd_jw_kv_uint(w, "bytes", cp->bytes);
	ksd_jw_kv_uint(w, "segments", cp->segments);
	ksd_jw_kv_uint(w, "batches", cp->batches);
	ksd_jw_kv_uint(w, "records", cp->records);
	ksd_jw_kv_uint(w, "control_records", cp->control_records);
	ksd_jw_kv_uint(w, "distinct_keys", cp->distinct_keys);
	ksd_jw_kv_uint(w, "live_keys", cp->live_keys);
	ksd_jw_kv_uint(w, "live_tombstones", cp->live_tombstones);
	ksd_jw_kv_uint(w, "tombstones", cp->tombstones);
	ksd_jw_kv_uint(w, "null_key_records", cp->null_key_records);
	ksd_jw_kv_bool(w, "keys_lower_bound", cp->keys_capped);
	ksd_jw_kv_uint(w, "superseded_records", cp->superseded_records);
	ksd_jw_kv_uint(w, "superseded_bytes", cp->superseded_bytes);
	kv_real(w, "superseded_percent", pct(cp->superseded_records, cp->records));
	ksd_jw_kv_uint(w, "reclaimable_records", cp->reclaimable_records);
	ksd_jw_kv_uint(w, "reclaimable_bytes_estimate", cp->reclaimable_bytes);
	if (cp->offsets_topic) {
		ksd_jw_key(w, "keys_by_type");
		ksd_jw_obj_begin(w);
		ksd_jw_kv_uint(w, "offset_commit", cp->offset_commit_keys);
		ksd_jw_kv_uint(w, "group_metadata", cp->group_keys);
		ksd_jw_kv_uint(w, "other", cp->other_keys);
		ksd_jw_obj_end(w);
	}
	ksd_jw_kv_int(w, "log_start_offset", cp->log_start);
	ksd_jw_kv_int(w, "log_end_offset", cp->log_end);
	ksd_jw_key(w, "cleaner_checkpoint");
	if (cp->checkpoint >= 0)
		ksd_jw_int(w, cp->checkpoint);
	else
		ksd_jw_null(w);
	ksd_jw_kv_bool(w, "checkpoint_reset", cp->checkpoint_reset);
	ksd_jw_kv_int(w, "first_dirty_offset", cp->first_dirty);
	ksd_jw_kv_int(w, "first_uncleanable_offset", cp->first_uncleanable);
	ksd_jw_key(w, "open_transaction_offset");
	if (cp->open_txn_offset >= 0)
		ksd_jw_int(w, cp->open_txn_offset);
	else
		ksd_jw_null(w);
	ksd_jw_kv_uint(w, "clean_bytes", cp->clean_bytes);
	ksd_jw_kv_uint(w, "dirty_bytes", cp->dirty_bytes);
	ksd_jw_kv_uint(w, "active_segment_bytes", cp->active_bytes);
	kv_real(w, "dirty_ratio", cp->dirty_ratio);
	ksd_jw_kv_bool(w, "above_min_cleanable_ratio", cp->dirty_ratio > st->co.min_cleanable_ratio);
	ksd_jw_kv_bool(w, "would_clean", cp->would_clean);
	ksd_jw_kv_uint(w, "damaged_batches", cp->damaged_batches);
	ksd_jw_kv_bool(w, "complete", cp->complete);
	ksd_jw_kv_bool(w, "metadata_log", cp->metadata_log);
	json_blockers(w, cp, st);
	ksd_jw_obj_end(w);
}

static void json_summary(ksd_jw *w, const ksd_scan *scan, const ksd_compaction *c, int rc,
			 const comp_state *st, double elapsed)
{
	size_t blocked = 0;
	for (size_t i = 0; i < c->nparts; i++)
		blocked += !c->parts[i].would_clean && c->parts[i].bytes;
	const ksd_totals *t = &scan->totals;
	ksd_jw_key(w, "summary");
	ksd_jw_obj_begin(w);
	ksd_jw_kv_uint(w, "compacted_partitions", c->nparts);
	ksd_jw_kv_uint(w, "bytes", c->bytes);
	ksd_jw_kv_uint(w, "records", c->records);
	ksd_jw_kv_uint(w, "reclaimable_records", c->reclaimable_records);
	ksd_jw_kv_uint(w, "reclaimable_bytes_estimate", c->reclaimable_bytes);
	ksd_jw_kv_uint(w, "not_cleaned_now", blocked);
	ksd_jw_kv_uint(w, "errors", t->findings_by_severity[KSD_SEV_ERROR]);
	ksd_jw_kv_uint(w, "warnings", t->findings_by_severity[KSD_SEV_WARNING]);
	ksd_jw_kv_uint(w, "info", t->findings_by_severity[KSD_SEV_INFO]);
	ksd_jw_kv_uint(w, "operational_errors", scan->nerrors);
	ksd_jw_kv_str(w, "fail_on", ksd_severity_name(st->sc.fail_on));
	ksd_jw_kv_int(w, "exit_code", rc);
	kv_real(w, "elapsed_seconds", elapsed);
	ksd_jw_obj_end(w);
}

static void print_json(const ksd_scan *scan, const ksd_compaction *c, const comp_state *st,
		       int rc, double elapsed)
{
	ksd_jw w;
	ksd_jw_init(&w, (ksd_sink){jw_sink_file, stdout});
	const ksd_config *cfg = &scan->cfg;
	ksd_jw_obj_begin(&w);
	ksd_jw_kv_str(&w, "tool", "ksegdoctor");
	ksd_jw_kv_str(&w, "version", KSD_VERSION);
	ksd_jw_kv_str(&w, "command", "compaction");
	ksd_jw_kv_str(&w, "kafka_version", cfg->kafka_version.known ? cfg->kafka_version.text : NULL);
	ksd_jw_kv_str(&w, "level", cfg->level == KSD_LEVEL_CRC ? "crc" : "headers");
	ksd_jw_key(&w, "cleaner");
	ksd_jw_obj_begin(&w);
	ksd_jw_kv_bool(&w, "enabled", cfg->cleaner.enabled);
	ksd_jw_kv_int(&w, "threads", cfg->cleaner.threads);
	ksd_jw_kv_uint(&w, "dedupe_buffer_size", cfg->cleaner.dedupe_buffer_size);
	kv_real(&w, "min_cleanable_ratio", st->co.min_cleanable_ratio);
	ksd_jw_obj_end(&w);
	ksd_jw_kv_uint(&w, "max_keys", st->co.max_keys);
	ksd_jw_key(&w, "partitions");
	ksd_jw_arr_begin(&w);
	for (size_t i = 0; i < c->nparts && (!st->top || i < st->top); i++)
		json_part(&w, &c->parts[i], st);
	ksd_jw_arr_end(&w);
	ksd_jw_key(&w, "findings");
	ksd_jw_arr_begin(&w);
	ksd_scan_visit_findings(scan, jw_finding, &w);
	ksd_jw_arr_end(&w);
	ksd_jw_key(&w, "errors");
	ksd_jw_arr_begin(&w);
	for (size_t i = 0; i < scan->nerrors; i++) {
		ksd_jw_obj_begin(&w);
		ksd_jw_kv_str(&w, "path", scan->errors[i].path);
		ksd_jw_kv_str(&w, "error", ksd_strerror(scan->errors[i].err));
		ksd_jw_obj_end(&w);
	}
	ksd_jw_arr_end(&w);
	json_summary(&w, scan, c, rc, st, elapsed);
	ksd_jw_obj_end(&w);
	putchar('\n');
}

int cmd_compaction(int argc, char **argv)
{
	comp_state st;
	memset(&st, 0, sizeof st);
	scan_common_init(&st.sc);
	/* The analysis decodes and CRC-checks every batch itself: the scan part
	 * needs only headers unless the user asks for --level crc. */
	st.sc.cfg.level = KSD_LEVEL_HEADERS;
	st.top = 20;
	ksd_compaction_opts_init(&st.co);
	int first = 0;
	int rc = cli_parse(&compaction_cmd, argc, argv, on_opt, &st, &first);
	if (rc != KSD_EXIT_OK) {
		scan_common_free(&st.sc);
		return rc < 0 ? KSD_EXIT_OK : rc;
	}
	st.co.jobs = st.sc.cfg.jobs;
	ksd_scan *scan;
	double elapsed;
	rc = scan_common_run(&st.sc, &compaction_cmd, argv + first, (size_t)(argc - first), &scan,
			     &elapsed);
	if (scan) {
		rc |= scan_common_findings_exit(&st.sc, scan);
		ksd_compaction *c = NULL;
		if (ksd_compaction_run(scan, &st.co, &c) != KSD_OK) {
			fprintf(stderr, "ksegdoctor compaction: out of memory\n");
			rc |= KSD_EXIT_OPERATIONAL;
		} else if (st.json) {
			print_json(scan, c, &st, rc, elapsed);
		} else {
			print_text(scan, c, &st);
		}
		ksd_compaction_free(c);
		ksd_scan_free(scan);
	}
	scan_common_free(&st.sc);
	return rc;
}
