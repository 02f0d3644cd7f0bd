/*
 * ksegdoctor recovery: scan, then say what the broker does at its next
 * start (ksd/predict.h; docs/recovery.md): segments recovered and why,
 * indexes rebuilt, overflowed segments split, bytes and offsets truncated
 * or deleted, producer-state replay, and how long it takes.
 *
 * Exit status follows scan: bit 4 from the scan's findings at or above
 * --fail-on.  Data a recovery would discard is already an error or warning
 * finding of the scan (crc-mismatch, corrupt-entry, torn-tail,
 * checkpoint-mismatch), so the prediction adds no exit condition of its own.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "ksd/jsonw.h"
#include "ksd/predict.h"
#include "render.h"
#include "scan_common.h"

enum {
	OPT_HELP = 'h',
	OPT_JSON = 256,
	OPT_VERBOSE = 'v',
};

static const cli_opt recovery_opts[] = {
	{OPT_JSON, "json", 0, NULL, "one JSON document on stdout instead of the text report"},
	SCAN_FAIL_ON_OPT,
	SCAN_COMMON_OPTS,
	{OPT_VERBOSE, "verbose", 'v', NULL, "list every partition, not just those the broker acts on"},
	{OPT_HELP, "help", 'h', NULL, "show this help"},
	{0, NULL, 0, NULL, NULL},
};

static const cli_cmd recovery_cmd = {
	"recovery", "[options] PATH...",
	"Predicts what the broker does with these log dirs at its next start, read-only:\n"
	"which segments it recovers and why, which indexes it rebuilds, which overflowed\n"
	"segments it splits, what it truncates or deletes, how much producer state it\n"
	"replays, and how long that takes. PATH forms are those of `scan`.",
	"Rules follow --kafka-version; when it is not given a current broker is assumed\n"
	"(2.3+ index loading, KAFKA-7283; 2.0+ splits, KAFKA-6264; 4.x producer state).\n"
	"Time = the busiest recovery thread's bytes / rate, per log dir (one pool of\n"
	"num.recovery.threads.per.data.dir threads each, one job per partition, longest\n"
	"first), the maximum over log dirs. The rate is --recovery-rate, else this scan's\n"
	"own CRC throughput (an optimistic bound: warm cache, no index writes), else after\n"
	"--quick a conservative 100 MB/s. See docs/recovery.md.\n\n"
	"Exit status (OR-ed): 0 no scan finding at or above --fail-on, 4 some, 8 operational\n"
	"error, 16 usage error. Data recovery would discard is always a scan finding too.\n",
	recovery_opts,
};

typedef struct recovery_state {
	scan_common sc;
	bool json, verbose;
} recovery_state;

static bool on_recovery_opt(void *ud, int id, const char *arg)
{
	recovery_state *st = ud;
	switch (id) {
	case OPT_JSON: st->json = true; return true;
	case OPT_VERBOSE: st->verbose = true; return true;
	}
	return scan_common_opt(&st->sc, &recovery_cmd, id, arg) == 1;
}

/* --- text ------------------------------------------------------------- */

static const char *leaf(const char *path)
{
	const char *s = path ? strrchr(path, '/') : NULL;
	return s ? s + 1 : path ? path : "";
}

static const char *fmt_duration(double s, char *buf, size_t len)
{
	if (s < 10)
		snprintf(buf, len, "%.3f s", s);
	else if (s < 60)
		snprintf(buf, len, "%.1f s", s);
	else if (s < 3600)
		snprintf(buf, len, "%d min %02d s", (int)(s / 60), (int)s % 60);
	else
		snprintf(buf, len, "%d h %02d min", (int)(s / 3600), (int)(s / 60) % 60);
	return buf;
}

static const char *fmt_rate(double r, char *buf, size_t len)
{
	snprintf(buf, len, "%.1f MB/s", r / 1e6);
	return buf;
}

static const char *reasons_text(unsigned reasons, char *buf, size_t len)
{
	buf[0] = '\0';
	for (unsigned bit = 1; bit <= KSD_RR_METADATA_LOG; bit <<= 1)
		if (reasons & bit)
			snprintf(buf + strlen(buf), len - strlen(buf), "%s%s", buf[0] ? ", " : "",
				 ksd_recover_reason_name(bit));
	return buf;
}

static bool partition_has_actions(const ksd_partition_prediction *pp)
{
	return pp->recovered_segments || pp->deleted_segments || pp->truncated_bytes ||
	       pp->split_segments || pp->overflow_unsplit || pp->damage_kept_segments ||
	       pp->replay_bytes || pp->leftover_deleted_files || pp->leftover_swap_files ||
	       pp->startup_failure;
}

static void print_truncation(FILE *out, const ksd_partition_prediction *pp,
			     const ksd_segment_prediction *sp)
{
	char a[32], b[32];
	const ksd_segment *s = sp->seg;
	fprintf(out, "  %s: truncate %s at byte %s, dropping %s bytes", pp->part->dir_name,
		leaf(s->log_path), fmt_count(sp->truncate_to, a, sizeof a),
		fmt_count(sp->truncated_bytes, b, sizeof b));
	if (sp->truncate_offset >= 0 && s->last_offset >= sp->truncate_offset)
		fprintf(out, " (offsets %" PRId64 "..%" PRId64 ")", sp->truncate_offset,
			s->last_offset);
	else
		fputs(" (an incomplete or zeroed tail: no complete batch)", out);
	fputc('\n', out);
}

static void print_deletion(FILE *out, const ksd_partition_prediction *pp,
			   const ksd_segment_prediction *sp)
{
	char a[32];
	const ksd_segment *s = sp->seg;
	fprintf(out, "  %s: delete %s, %s bytes", pp->part->dir_name, leaf(s->log_path),
		fmt_count(s->log_size, a, sizeof a));
	if (s->first_offset >= 0)
		fprintf(out, " (offsets %" PRId64 "..%" PRId64 ")", s->first_offset, s->last_offset);
	fprintf(out, ": %s\n", sp->deleted == KSD_DEL_LOG_START
		? "log-start-offset-checkpoint is above the log end (LogLoader deletes all segments)"
		: "a later unflushed segment after a truncation (LogLoader.recoverLog)");
}

typedef void (*segment_fn)(FILE *out, const ksd_partition_prediction *pp,
			   const ksd_segment_prediction *sp);

/* Calls fn for every segment of every partition that pred selects. */
static unsigned each_segment(FILE *out, const ksd_prediction *pr,
			     bool (*pred)(const ksd_segment_prediction *), segment_fn fn)
{
	unsigned n = 0;
	for (size_t i = 0; i < pr->nlogdirs; i++)
		for (size_t j = 0; j < pr->logdirs[i].nparts; j++) {
			const ksd_partition_prediction *pp = &pr->logdirs[i].parts[j];
			for (size_t k = 0; k < pp->nsegs; k++)
				if (pp->segs[k].seg && pred(&pp->segs[k])) {
					if (fn)
						fn(out, pp, &pp->segs[k]);
					n++;
				}
		}
	return n;
}

static bool is_truncated(const ksd_segment_prediction *sp) { return sp->truncated && !sp->deleted; }
static bool is_deleted(const ksd_segment_prediction *sp) { return sp->deleted != KSD_DEL_NONE; }
static bool is_damage_kept(const ksd_segment_prediction *sp) { return sp->damage_kept; }

static void print_kept(FILE *out, const ksd_partition_prediction *pp,
		       const ksd_segment_prediction *sp)
{
	char a[32];
	fprintf(out, "  %s: %s is damaged at byte %s but is not recovered (flushed, clean "
		"shutdown): startup keeps it, and fetches fail there\n", pp->part->dir_name,
		leaf(sp->seg->log_path), fmt_count((uint64_t)sp->seg->first_damage, a, sizeof a));
}

static void print_discard(FILE *out, const ksd_prediction *pr)
{
	char a[32], b[32];
	if (pr->truncated_segments || pr->deleted_segments) {
		fprintf(out, "Data recovery would discard: %s bytes truncated in %" PRIu64
			" segment(s), %s bytes in %" PRIu64 " deleted segment(s)\n",
			fmt_count(pr->truncated_bytes, a, sizeof a), pr->truncated_segments,
			fmt_count(pr->deleted_bytes, b, sizeof b), pr->deleted_segments);
		each_segment(out, pr, is_truncated, print_truncation);
		each_segment(out, pr, is_deleted, print_deletion);
		fputc('\n', out);
	}
	if (pr->damage_kept_segments) {
		fputs("Damage startup leaves in place:\n", out);
		each_segment(out, pr, is_damage_kept, print_kept);
		fputc('\n', out);
	}
	if (pr->startup_failures) {
		fputs("Startup fails:\n", out);
		for (size_t i = 0; i < pr->nlogdirs; i++)
			for (size_t j = 0; j < pr->logdirs[i].nparts; j++) {
				const ksd_partition_prediction *pp = &pr->logdirs[i].parts[j];
				if (pp->startup_failure)
					fprintf(out, "  %s: %s\n", pp->part->dir_name, pp->startup_failure);
			}
		fputc('\n', out);
	}
}

static void print_headline(FILE *out, const ksd_logdir_prediction *lp)
{
	char a[32], b[32];
	fprintf(out, "Log dir %s: ", lp->ld->path);
	if (lp->clean_shutdown && lp->recovered_segments == 0)
		fputs("clean shutdown: nothing is recovered", out);
	else if (lp->clean_shutdown)
		fprintf(out, "clean shutdown: only %" PRIu64 " segment(s) with missing or rejected "
			"indexes are recovered, %s re-read", lp->recovered_segments,
			fmt_bytes(lp->recovered_bytes, a, sizeof a));
	else
		fprintf(out, "unclean shutdown (no .kafka_cleanshutdown): %s segment(s) in %" PRIu64
			" partition(s) recovered, %s re-read", fmt_count(lp->recovered_segments, b, sizeof b),
			lp->recovered_partitions, fmt_bytes(lp->recovered_bytes, a, sizeof a));
	if (lp->replay_bytes)
		fprintf(out, "; producer-state replay reads %s more",
			fmt_bytes(lp->replay_bytes, a, sizeof a));
	fputc('\n', out);
}

static void print_recovered(FILE *out, const ksd_segment_prediction *sp)
{
	char a[32], r[128];
	const ksd_segment *s = sp->seg;
	fprintf(out, "    recover %s (%s bytes): %s; rebuild .index .timeindex%s\n",
		leaf(s->log_path), fmt_count(sp->read_bytes, a, sizeof a),
		reasons_text(sp->reasons, r, sizeof r), s->has_txnindex ? " .txnindex" : "");
	if (sp->split)
		fputs("    split it: offsets overflow its base (2.0+, KAFKA-6264)\n", out);
	if (sp->truncated)
		fprintf(out, "    truncate it to %s bytes\n", fmt_count(sp->truncate_to, a, sizeof a));
}

static void print_replay(FILE *out, const ksd_partition_prediction *pp)
{
	char a[32];
	switch (pp->replay) {
	case KSD_REPLAY_FROM_LOG_START:
		fprintf(out, "    producer state: FULL replay from the log start (offset %" PRId64
			"), %s bytes: no valid snapshot below the recovered data (%u valid)\n",
			pp->replay_from, fmt_count(pp->replay_bytes, a, sizeof a), pp->valid_snapshots);
		break;
	case KSD_REPLAY_FROM_SNAPSHOT:
		fprintf(out, "    producer state: replay from snapshot %" PRId64 ", %s bytes\n",
			pp->replay_from, fmt_count(pp->replay_bytes, a, sizeof a));
		break;
	default:
		break;
	}
}

static void print_partition(FILE *out, const ksd_partition_prediction *pp)
{
	char a[32];
	fprintf(out, "  %s (recovery point %" PRId64 ")\n", pp->part->dir_name,
		pp->part->recovery_point);
	for (size_t k = 0; k < pp->nsegs; k++) {
		const ksd_segment_prediction *sp = &pp->segs[k];
		if (sp->seg && sp->recovered)
			print_recovered(out, sp);
		if (sp->seg && sp->deleted)
			fprintf(out, "    delete %s (%s bytes)\n", leaf(sp->seg->log_path),
				fmt_count(sp->seg->log_size, a, sizeof a));
		if (sp->overflow && !sp->split)
			fprintf(out, "    %s overflows its base and is not split at this start\n",
				leaf(sp->seg->log_path));
	}
	if (pp->leftover_deleted_files)
		fprintf(out, "    delete %" PRIu64 " leftover .deleted/.cleaned file(s), %s bytes\n",
			pp->leftover_deleted_files, fmt_count(pp->leftover_deleted_bytes, a, sizeof a));
	if (pp->leftover_swap_files)
		fprintf(out, "    complete %" PRIu64 " .swap file(s), %s bytes (see leftover-file)\n",
			pp->leftover_swap_files, fmt_count(pp->leftover_swap_bytes, a, sizeof a));
	print_replay(out, pp);
}

static void print_time(FILE *out, const ksd_prediction *pr)
{
	char a[32], b[32], c[32], d[32], e[32], f[32];
	fputs("Time estimate:\n", out);
	switch (pr->rate_source) {
	case KSD_RATE_GIVEN:
		fprintf(out, "  rate %s, given with --recovery-rate\n", fmt_rate(pr->rate, a, sizeof a));
		break;
	case KSD_RATE_MEASURED:
		fprintf(out, "  rate %s per thread, measured by this scan (%s CRC-checked in %.3f s "
			"by %u worker(s)); an optimistic bound: warm page cache, no index writes\n",
			fmt_rate(pr->rate, a, sizeof a), fmt_bytes(pr->measured_bytes, b, sizeof b),
			pr->measured_seconds, pr->scan_workers);
		break;
	case KSD_RATE_DEFAULT:
		fprintf(out, "  rate %s, a conservative DEFAULT: this scan measured nothing "
			"(--quick, or no data); pass --recovery-rate\n", fmt_rate(pr->rate, a, sizeof a));
		break;
	}
	for (size_t i = 0; i < pr->nlogdirs; i++) {
		const ksd_logdir_prediction *lp = &pr->logdirs[i];
		fprintf(out, "  %s: %s re-read (%s recovery + %s replay); busiest of %u thread(s): "
			"%s bytes / %s = %s", lp->ld->path, fmt_bytes(lp->work_bytes, a, sizeof a),
			fmt_bytes(lp->recovered_bytes, b, sizeof b),
			fmt_bytes(lp->replay_bytes, c, sizeof c), lp->threads,
			fmt_count(lp->makespan_bytes, d, sizeof d), fmt_rate(pr->rate, e, sizeof e),
			fmt_duration(lp->seconds, f, sizeof f));
		if (lp->makespan_bound_bytes > lp->makespan_bytes)
			fprintf(out, " (up to %s in the broker's listing order)",
				fmt_duration(lp->seconds_bound, f, sizeof f));
		fputc('\n', out);
	}
	fprintf(out, "  total: %s", fmt_duration(pr->seconds, a, sizeof a));
	if (pr->seconds_bound > pr->seconds)
		fprintf(out, " to %s", fmt_duration(pr->seconds_bound, a, sizeof a));
	fprintf(out, " (log dirs load in parallel: the slowest one; partitions run longest first "
		"on num.recovery.threads.per.data.dir = %u%s)\n", pr->threads,
		pr->seconds_bound > pr->seconds
			? "; the broker takes them in listing order, which can reach the second figure"
			: "");
}

static void render_text(const ksd_scan *scan, const ksd_prediction *pr, bool verbose, FILE *out)
{
	if (pr->version_assumed)
		fputs("Kafka version unknown: assuming a current broker (2.3+ index loading, "
		      "2.0+ splits, 4.x producer state); pass --kafka-version\n\n", out);
	else
		fprintf(out, "What Kafka %s does at its next start\n\n", pr->version.text);
	print_discard(out, pr);
	for (size_t i = 0; i < pr->nlogdirs; i++) {
		const ksd_logdir_prediction *lp = &pr->logdirs[i];
		print_headline(out, lp);
		for (size_t j = 0; j < lp->nparts; j++)
			if (verbose || partition_has_actions(&lp->parts[j]))
				print_partition(out, &lp->parts[j]);
	}
	fputc('\n', out);
	print_time(out, pr);
	const ksd_totals *t = &scan->totals;
	fprintf(out, "\nScan findings: %" PRIu64 " error(s), %" PRIu64 " warning(s), %" PRIu64
		" info (`ksegdoctor scan` lists them)\n", t->findings_by_severity[KSD_SEV_ERROR],
		t->findings_by_severity[KSD_SEV_WARNING], t->findings_by_severity[KSD_SEV_INFO]);
}

/* --- JSON ------------------------------------------------------------- */

static void json_reasons(ksd_jw *w, unsigned reasons)
{
	ksd_jw_key(w, "reasons");
	ksd_jw_arr_begin(w);
	for (unsigned bit = 1; bit <= KSD_RR_METADATA_LOG; bit <<= 1)
		if (reasons & bit)
			ksd_jw_str(w, ksd_recover_reason_name(bit));
	ksd_jw_arr_end(w);
}

static void json_segment(ksd_jw *w, const ksd_segment_prediction *sp)
{
	const ksd_segment *s = sp->seg;
	ksd_jw_obj_begin(w);
	ksd_jw_kv_int(w, "base_offset", s->base_offset);
	ksd_jw_kv_str(w, "file", leaf(s->log_path));
	ksd_jw_kv_uint(w, "bytes", s->log_size);
	ksd_jw_kv_int(w, "first_offset", s->first_offset);
	ksd_jw_kv_int(w, "last_offset", s->last_offset);
	ksd_jw_kv_bool(w, "recovered", sp->recovered);
	json_reasons(w, sp->reasons);
	ksd_jw_kv_uint(w, "read_bytes", sp->read_bytes);
	ksd_jw_kv_bool(w, "truncated", sp->truncated);
	if (sp->truncated) {
		ksd_jw_kv_uint(w, "truncate_to", sp->truncate_to);
		ksd_jw_kv_uint(w, "truncated_bytes", sp->truncated_bytes);
		ksd_jw_kv_int(w, "truncate_offset", sp->truncate_offset);
	}
	ksd_jw_key(w, "deleted");
	if (sp->deleted)
		ksd_jw_str(w, sp->deleted == KSD_DEL_LOG_START ? "log-start-above-log-end"
							     : "after-truncation");
	else
		ksd_jw_null(w);
	ksd_jw_kv_bool(w, "overflow", sp->overflow);
	ksd_jw_kv_bool(w, "split", sp->split);
	ksd_jw_kv_bool(w, "damage_kept", sp->damage_kept);
	ksd_jw_obj_end(w);
}

static void json_partition(ksd_jw *w, const ksd_partition_prediction *pp)
{
	ksd_jw_obj_begin(w);
	ksd_jw_kv_str(w, "partition", pp->part->dir_name);
	ksd_jw_kv_str(w, "path", pp->part->path);
	ksd_jw_kv_int(w, "recovery_point", pp->part->recovery_point);
	ksd_jw_kv_int(w, "log_start_checkpoint", pp->part->log_start_checkpoint);
	ksd_jw_kv_int(w, "log_end", pp->log_end);
	ksd_jw_kv_uint(w, "recovered_segments", pp->recovered_segments);
	ksd_jw_kv_uint(w, "recovered_bytes", pp->recovered_bytes);
	ksd_jw_kv_uint(w, "rebuilt_index_files", pp->rebuilt_index_files);
	ksd_jw_kv_uint(w, "split_segments", pp->split_segments);
	ksd_jw_kv_uint(w, "truncated_bytes", pp->truncated_bytes);
	ksd_jw_kv_uint(w, "deleted_segments", pp->deleted_segments);
	ksd_jw_kv_uint(w, "deleted_bytes", pp->deleted_bytes);
	ksd_jw_kv_bool(w, "delete_all", pp->delete_all);
	ksd_jw_kv_uint(w, "damage_kept_segments", pp->damage_kept_segments);
	ksd_jw_kv_uint(w, "leftover_deleted_files", pp->leftover_deleted_files);
	ksd_jw_kv_uint(w, "leftover_deleted_bytes", pp->leftover_deleted_bytes);
	ksd_jw_kv_uint(w, "leftover_swap_files", pp->leftover_swap_files);
	ksd_jw_kv_uint(w, "leftover_swap_bytes", pp->leftover_swap_bytes);
	ksd_jw_key(w, "producer_state");
	ksd_jw_obj_begin(w);
	ksd_jw_kv_str(w, "replay", ksd_replay_kind_name(pp->replay));
	ksd_jw_kv_int(w, "from_offset", pp->replay_from);
	ksd_jw_kv_uint(w, "bytes", pp->replay_bytes);
	ksd_jw_kv_uint(w, "valid_snapshots", pp->valid_snapshots);
	ksd_jw_obj_end(w);
	ksd_jw_kv_str(w, "startup_failure", pp->startup_failure);
	ksd_jw_kv_uint(w, "work_bytes", pp->work_bytes);
	ksd_jw_key(w, "segments");
	ksd_jw_arr_begin(w);
	for (size_t k = 0; k < pp->nsegs; k++) {
		const ksd_segment_prediction *sp = &pp->segs[k];
		if (sp->seg && sp->seg->log_path &&
		    (sp->recovered || sp->deleted || sp->damage_kept || sp->overflow))
			json_segment(w, sp);
	}
	ksd_jw_arr_end(w);
	ksd_jw_obj_end(w);
}

static void json_logdir(ksd_jw *w, const ksd_logdir_prediction *lp)
{
	ksd_jw_obj_begin(w);
	ksd_jw_kv_str(w, "path", lp->ld->path);
	ksd_jw_kv_bool(w, "clean_shutdown", lp->clean_shutdown);
	ksd_jw_kv_uint(w, "recovered_segments", lp->recovered_segments);
	ksd_jw_kv_uint(w, "recovered_partitions", lp->recovered_partitions);
	ksd_jw_kv_uint(w, "recovered_bytes", lp->recovered_bytes);
	ksd_jw_kv_uint(w, "missing_index_segments", lp->missing_index_segments);
	ksd_jw_kv_uint(w, "replay_bytes", lp->replay_bytes);
	ksd_jw_kv_uint(w, "full_replay_partitions", lp->full_replay_partitions);
	ksd_jw_kv_uint(w, "truncated_segments", lp->truncated_segments);
	ksd_jw_kv_uint(w, "truncated_bytes", lp->truncated_bytes);
	ksd_jw_kv_uint(w, "deleted_segments", lp->deleted_segments);
	ksd_jw_kv_uint(w, "deleted_bytes", lp->deleted_bytes);
	ksd_jw_kv_uint(w, "work_bytes", lp->work_bytes);
	ksd_jw_kv_uint(w, "threads", lp->threads);
	ksd_jw_kv_uint(w, "makespan_bytes", lp->makespan_bytes);
	ksd_jw_kv_uint(w, "makespan_bound_bytes", lp->makespan_bound_bytes);
	ksd_jw_key(w, "seconds");
	ksd_jw_real(w, lp->seconds);
	ksd_jw_key(w, "seconds_bound");
	ksd_jw_real(w, lp->seconds_bound);
	ksd_jw_key(w, "partitions");
	ksd_jw_arr_begin(w);
	for (size_t j = 0; j < lp->nparts; j++)
		json_partition(w, &lp->parts[j]);
	ksd_jw_arr_end(w);
	ksd_jw_obj_end(w);
}

static void json_totals(ksd_jw *w, const ksd_prediction *pr)
{
	static const char *const sources[] = {"given", "measured", "default"};
	ksd_jw_key(w, "rate");
	ksd_jw_obj_begin(w);
	ksd_jw_key(w, "bytes_per_second");
	ksd_jw_real(w, pr->rate);
	ksd_jw_kv_str(w, "source", sources[pr->rate_source]);
	ksd_jw_kv_uint(w, "measured_bytes", pr->measured_bytes);
	ksd_jw_key(w, "measured_seconds");
	ksd_jw_real(w, pr->measured_seconds);
	ksd_jw_kv_uint(w, "scan_workers", pr->scan_workers);
	ksd_jw_obj_end(w);
	ksd_jw_kv_uint(w, "threads", pr->threads);
	ksd_jw_key(w, "seconds");
	ksd_jw_real(w, pr->seconds);
	ksd_jw_key(w, "seconds_bound");
	ksd_jw_real(w, pr->seconds_bound);
	ksd_jw_kv_uint(w, "recovered_segments", pr->recovered_segments);
	ksd_jw_kv_uint(w, "recovered_bytes", pr->recovered_bytes);
	ksd_jw_kv_uint(w, "replay_bytes", pr->replay_bytes);
	ksd_jw_kv_uint(w, "work_bytes", pr->work_bytes);
	ksd_jw_kv_uint(w, "truncated_segments", pr->truncated_segments);
	ksd_jw_kv_uint(w, "truncated_bytes", pr->truncated_bytes);
	ksd_jw_kv_uint(w, "deleted_segments", pr->deleted_segments);
	ksd_jw_kv_uint(w, "deleted_bytes", pr->deleted_bytes);
	ksd_jw_kv_uint(w, "damage_kept_segments", pr->damage_kept_segments);
	ksd_jw_kv_uint(w, "split_segments", pr->split_segments);
	ksd_jw_kv_uint(w, "startup_failures", pr->startup_failures);
}

static void render_json(const ksd_scan *scan, const ksd_prediction *pr, int exit_code, FILE *out)
{
	ksd_jw w;
	ksd_jw_init(&w, (ksd_sink){jw_sink_file, out});
	ksd_jw_obj_begin(&w);
	ksd_jw_kv_str(&w, "tool", "ksegdoctor");
	ksd_jw_kv_str(&w, "version", KSD_VERSION);
	ksd_jw_kv_str(&w, "command", "recovery");
	ksd_jw_kv_str(&w, "kafka_version", pr->version_assumed ? NULL : pr->version.text);
	ksd_jw_kv_bool(&w, "version_assumed", pr->version_assumed);
	json_totals(&w, pr);
	ksd_jw_key(&w, "log_dirs");
	ksd_jw_arr_begin(&w);
	for (size_t i = 0; i < pr->nlogdirs; i++)
		json_logdir(&w, &pr->logdirs[i]);
	ksd_jw_arr_end(&w);
	ksd_jw_key(&w, "findings");
	ksd_jw_arr_begin(&w);
	ksd_scan_visit_findings(scan, jw_finding, &w);
	ksd_jw_arr_end(&w);
	ksd_jw_kv_int(&w, "exit_code", exit_code);
	ksd_jw_obj_end(&w);
	fputc('\n', out);
}

int cmd_recovery(int argc, char **argv)
{
	recovery_state st;
	memset(&st, 0, sizeof st);
	scan_common_init(&st.sc);
	int first = 0;
	int rc = cli_parse(&recovery_cmd, argc, argv, on_recovery_opt, &st, &first);
	if (rc != KSD_EXIT_OK) {
		scan_common_free(&st.sc);
		return rc < 0 ? KSD_EXIT_OK : rc;
	}
	ksd_scan *scan;
	double elapsed;
	rc = scan_common_run(&st.sc, &recovery_cmd, argv + first, (size_t)(argc - first), &scan,
			     &elapsed);
	if (scan) {
		rc |= scan_common_findings_exit(&st.sc, scan);
		ksd_predict_opts po = {elapsed};
		ksd_prediction *pr;
		if (ksd_predict_recovery(scan, &po, &pr) != KSD_OK) {
			fprintf(stderr, "ksegdoctor recovery: out of memory\n");
			rc |= KSD_EXIT_OPERATIONAL;
		} else if (st.json) {
			render_json(scan, pr, rc, stdout);
		} else {
			render_text(scan, pr, st.verbose, stdout);
		}
		ksd_prediction_free(pr);
		ksd_scan_free(scan);
	}
	scan_common_free(&st.sc);
	return rc;
}
