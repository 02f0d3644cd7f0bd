/*
 * The human report: grouped log dir -> partition -> segment, then a summary
 * and, once per finding code seen, what it means and what to do.
 */
#include <inttypes.h>
#include <string.h>
#include <time.h>

#include "render.h"

static const char *sev_label(ksd_severity s)
{
	switch (s) {
	case KSD_SEV_ERROR: return "ERROR  ";
	case KSD_SEV_WARNING: return "WARNING";
	default: return "info   ";
	}
}

static const char *leaf(const char *path)
{
	const char *s = path ? strrchr(path, '/') : NULL;
	return s ? s + 1 : (path ? path : "");
}

static const char *field_str(const ksd_finding *f, const char *name)
{
	for (unsigned i = 0; i < f->nfields; i++)
		if (f->fields[i].type == KSD_F_STR && strcmp(f->fields[i].name, name) == 0)
			return f->fields[i].v.s;
	return NULL;
}

/* -v adds the Kafka rule behind each finding. */
static void print_finding(FILE *out, const char *indent, const ksd_finding *f, bool verbose)
{
	const ksd_problem_info *pi = ksd_problem_get(f->problem);
	fprintf(out, "%s%s %s: %s\n", indent, sev_label(f->severity), pi->code, f->message);
	const char *rule = verbose ? field_str(f, "rule") : NULL;
	if (rule)
		fprintf(out, "%s        rule: %s\n", indent, rule);
}

static void print_list(FILE *out, const char *indent, const ksd_findings *f, bool verbose)
{
	if (!f)
		return;
	for (size_t i = 0; i < f->n; i++)
		print_finding(out, indent, &f->v[i], verbose);
	for (unsigned p = 0; p < KSD_P__COUNT; p++)
		if (f->suppressed[p])
			fprintf(out, "%s(%" PRIu64 " more %s findings not shown; raise --max-findings)\n",
				indent, f->suppressed[p], ksd_problem_get(p)->code);
}

static bool list_empty(const ksd_findings *f)
{
	return !f || f->n == 0;
}

static bool partition_has_findings(const ksd_partition *p)
{
	if (!list_empty(&p->findings))
		return true;
	for (size_t i = 0; i < p->nsegments; i++)
		if (!list_empty(p->segments[i].findings))
			return true;
	return false;
}

static void print_segment(FILE *out, const ksd_segment *s, bool verbose)
{
	if (!s->log_path || (!verbose && list_empty(s->findings)))
		return;
	char b[32], r[32];
	fprintf(out, "    %s  %s, %s batches, %s records%s, offsets ", leaf(s->log_path),
		fmt_bytes(s->log_size, b, sizeof b), fmt_count(s->batches, r, sizeof r),
		fmt_count(s->records, r, sizeof r), s->records_exact ? "" : "+");
	if (s->first_offset >= 0)
		fprintf(out, "%" PRId64 "..%" PRId64 "\n", s->first_offset, s->last_offset);
	else
		fprintf(out, "none\n");
	print_list(out, "      ", s->findings, verbose);
}

static void print_partition(FILE *out, const ksd_partition *p, bool verbose)
{
	if (!verbose && !partition_has_findings(p))
		return;
	fprintf(out, "  %s/%s%s\n", p->dir_name, p->compacted ? "  (compacted)" : "",
		p->name.state != KSD_PART_LIVE ? "" : "");
	print_list(out, "    ", &p->findings, verbose);
	for (size_t i = 0; i < p->nsegments; i++)
		print_segment(out, &p->segments[i], verbose);
}

static void print_logdir(FILE *out, const ksd_logdir *ld, bool verbose)
{
	size_t clean = 0;
	fprintf(out, "%s\n", ld->path);
	print_list(out, "  ", &ld->findings, verbose);
	for (size_t i = 0; i < ld->npartitions; i++) {
		if (!partition_has_findings(&ld->partitions[i]))
			clean++;
		print_partition(out, &ld->partitions[i], verbose);
	}
	fprintf(out, "  %zu of %zu partition%s clean\n\n", clean, ld->npartitions,
		ld->npartitions == 1 ? "" : "s");
}

typedef struct seen_codes {
	bool seen[KSD_P__COUNT];
} seen_codes;

static void note_code(void *ud, const ksd_logdir *ld, const ksd_partition *p,
		      const ksd_segment *s, const ksd_finding *f)
{
	(void)ld, (void)p, (void)s;
	((seen_codes *)ud)->seen[f->problem] = true;
}

static void print_advice(const ksd_scan *scan, FILE *out)
{
	seen_codes sc;
	memset(&sc, 0, sizeof sc);
	ksd_scan_visit_findings(scan, note_code, &sc);
	bool header = false;
	for (unsigned i = 0; i < KSD_P__COUNT; i++) {
		const ksd_problem_info *pi = ksd_problem_get(i);
		if (!sc.seen[i] || pi->severity == KSD_SEV_INFO)
			continue;
		if (!header) {
			fprintf(out, "What the findings mean:\n");
			header = true;
		}
		fprintf(out, "  %s: %s\n    why:    %s\n    broker: %s\n    fix:    %s\n\n",
			pi->code, pi->summary, pi->why, pi->broker, pi->fix);
	}
}

static void print_errors(const ksd_scan *scan, FILE *out)
{
	for (size_t i = 0; i < scan->nerrors; i++) {
		const ksd_op_error *e = &scan->errors[i];
		fprintf(out, "cannot scan %s: %s%s%s\n", e->path, ksd_strerror(e->err),
			e->sys_errno ? ": " : "", e->sys_errno ? strerror(e->sys_errno) : "");
	}
	if (scan->nerrors)
		fputc('\n', out);
}

static void print_summary(const ksd_scan *scan, const render_opts *ro, FILE *out)
{
	const ksd_totals *t = &scan->totals;
	char b[32], n1[32], n2[32], rate[48] = "";
	if (ro->elapsed > 0 && t->log_bytes > 0)
		snprintf(rate, sizeof rate, ", %.0f MB/s", (double)t->log_bytes / ro->elapsed / 1e6);
	fprintf(out, "Summary: %" PRIu64 " error%s, %" PRIu64 " warning%s, %" PRIu64 " info",
		t->findings_by_severity[KSD_SEV_ERROR], t->findings_by_severity[KSD_SEV_ERROR] == 1 ? "" : "s",
		t->findings_by_severity[KSD_SEV_WARNING], t->findings_by_severity[KSD_SEV_WARNING] == 1 ? "" : "s",
		t->findings_by_severity[KSD_SEV_INFO]);
	if (scan->nerrors)
		fprintf(out, ", %zu path%s not scanned", scan->nerrors, scan->nerrors == 1 ? "" : "s");
	fprintf(out, "\n  %" PRIu64 " log dir%s, %" PRIu64 " partitions, %" PRIu64 " segments, %s in %s batches (%s records); %s in %.2f s%s\n",
		t->logdirs, t->logdirs == 1 ? "" : "s", t->partitions, t->segments,
		fmt_bytes(t->log_bytes, b, sizeof b), fmt_count(t->batches, n1, sizeof n1),
		fmt_count(t->records, n2, sizeof n2),
		scan->cfg.level == KSD_LEVEL_CRC ? "every CRC verified" : "headers only, CRCs not verified",
		ro->elapsed, rate);
	fprintf(out, "  Kafka version: %s. Read-only: nothing was changed.\n",
		scan->cfg.kafka_version.known ? scan->cfg.kafka_version.text
					      : "unknown (pass --kafka-version for version-specific verdicts)");
	fprintf(out, "Exit status %d:", ro->exit_code);
	if (ro->exit_code == 0)
		fprintf(out, " nothing at or above '%s'", ksd_severity_name(ro->fail_on));
	if (ro->exit_code & KSD_EXIT_FINDINGS)
		fprintf(out, " findings at or above '%s' (4)", ksd_severity_name(ro->fail_on));
	if (ro->exit_code & KSD_EXIT_OPERATIONAL)
		fprintf(out, "%s paths that could not be scanned (8)",
			ro->exit_code & KSD_EXIT_FINDINGS ? "," : "");
	fprintf(out, ".\n");
}

void render_scan_text(const ksd_scan *scan, const render_opts *ro, FILE *out)
{
	print_errors(scan, out);
	if (scan->findings.n) {
		fprintf(out, "Across log dirs\n");
		print_list(out, "  ", &scan->findings, ro->verbose);
		fputc('\n', out);
	}
	for (size_t i = 0; i < scan->nlogdirs; i++)
		print_logdir(out, &scan->logdirs[i], ro->verbose);
	print_advice(scan, out);
	print_summary(scan, ro, out);
}

void progress_draw(void *ud, uint64_t done, uint64_t total, uint64_t segs_done,
		   uint64_t segs_total)
{
	progress_state *ps = ud;
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	double el = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9 - ps->t0;
	char a[32], b[32];
	double pct = total ? 100.0 * (double)done / (double)total : 100.0;
	fprintf(stderr, "\r\033[Kscanning: %5.1f%%  %s of %s, %" PRIu64 "/%" PRIu64 " segments, %.0f MB/s",
		pct, fmt_bytes(done, a, sizeof a), fmt_bytes(total, b, sizeof b), segs_done,
		segs_total, el > 0 ? (double)done / el / 1e6 : 0.0);
	fflush(stderr);
	ps->drawn = true;
}

void progress_clear(progress_state *ps)
{
	if (ps->drawn)
		fprintf(stderr, "\r\033[K");
	ps->drawn = false;
}
