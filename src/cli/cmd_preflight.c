/*
 * ksegdoctor preflight: is this broker's data ready for a target version?
 * Runs the scan, grades it with ksd_preflight_build, prints one verdict
 * with the blockers first.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "ksd/preflight.h"
#include "render.h"
#include "scan_common.h"

enum {
	OPT_HELP = 'h',
	OPT_JSON = 256,
	OPT_TARGET,
	OPT_FAIL_ON,
};

static const cli_opt preflight_opts[] = {
	{OPT_TARGET, "target", 't', "VER", "the Kafka version to upgrade to, e.g. 4.0.0 (required)"},
	{OPT_JSON, "json", 0, NULL, "one JSON document on stdout instead of the text report"},
	{OPT_FAIL_ON, "fail-on", 0, "LEVEL", "exit 4 when an item is at or above LEVEL: note, warning, blocker (default blocker)"},
	SCAN_COMMON_OPTS,
	{OPT_HELP, "help", 'h', NULL, "show this help"},
	{0, NULL, 0, NULL, NULL},
};

static const cli_cmd preflight_cmd = {
	"preflight", "--target VER [--kafka-version CURRENT] [options] PATH...",
	"Upgrade preflight, read-only: scans the log dirs (as `scan` does) and grades\n"
	"every finding for the upgrade to --target, with --kafka-version as the current\n"
	"version when known. Prints one verdict: BLOCKED (do not upgrade), READY WITH\n"
	"WARNINGS, or READY; blockers first, each with why and what to do.",
	"Checks only an upgrade raises: ZooKeeper-mode log dirs (meta.properties version 0)\n"
	"for a KRaft-only target (4.0+), and the supported upgrade path (4.x from 3.3+).\n"
	"Grades follow the target: cleaner-map-overflow is a note for targets that clean\n"
	"partial segments (0.10.1+, KAFKA-3894); offset overflow blocks targets before\n"
	"2.0 (KAFKA-6264); v0/v1 data in compacted topics is a warning for 4.x, whose\n"
	"cleaner rewrites it (KAFKA-13093).\n\n"
	"Exit status (OR-ed): 0 nothing at or above --fail-on, 4 items at or above it,\n"
	"8 operational error, 16 usage error.\n",
	preflight_opts,
};

typedef struct preflight_state {
	scan_common sc;
	ksd_kversion target;
	bool json;
	ksd_pf_level fail_on;
} preflight_state;

static bool parse_level(const char *s, ksd_pf_level *out)
{
	static const char *const names[] = {"note", "warning", "blocker"};
	for (int i = 0; i < 3; i++)
		if (strcmp(s, names[i]) == 0) {
			*out = (ksd_pf_level)i;
			return true;
		}
	return false;
}

static bool on_preflight_opt(void *ud, int id, const char *arg)
{
	preflight_state *st = ud;
	switch (id) {
	case OPT_JSON: st->json = true; return true;
	case OPT_TARGET:
		if (ksd_kversion_parse(arg, &st->target))
			return true;
		cli_usage_error(&preflight_cmd, "--target '%s' is not a version like 3.9.1 or 4.0.0", arg);
		return false;
	case OPT_FAIL_ON:
		if (parse_level(arg, &st->fail_on))
			return true;
		cli_usage_error(&preflight_cmd, "--fail-on takes note, warning or blocker, not '%s'", arg);
		return false;
	}
	return scan_common_opt(&st->sc, &preflight_cmd, id, arg) == 1;
}

static const char *verdict_text(const ksd_preflight *pf)
{
	return pf->verdict == KSD_PF_BLOCKER ? "BLOCKED"
	       : pf->verdict == KSD_PF_WARNING ? "READY WITH WARNINGS" : "READY";
}

static const char *verdict_id(const ksd_preflight *pf)
{
	return pf->verdict == KSD_PF_BLOCKER ? "blocked"
	       : pf->verdict == KSD_PF_WARNING ? "ready-with-warnings" : "ready";
}

/* --- text ----------------------------------------------------------------- */

static void print_item(FILE *out, const ksd_pf_item *it)
{
	fprintf(out, "  [%s] %s", it->code, it->headline);
	if (it->count > 1)
		fprintf(out, " (+%" PRIu64 " more like it)", it->count - 1);
	fputc('\n', out);
	for (size_t i = 0; i < it->npaths; i++)
		fprintf(out, "      %s\n", it->paths[i]);
	if (it->why)
		fprintf(out, "    why: %s\n", it->why);
	if (it->action)
		fprintf(out, "    do:  %s\n", it->action);
}

static void print_level(FILE *out, const ksd_preflight *pf, ksd_pf_level level,
			const char *title)
{
	if (!pf->by_level[level])
		return;
	fprintf(out, "\n%s:\n", title);
	for (size_t i = 0; i < pf->nitems; i++)
		if (pf->items[i].level == level)
			print_item(out, &pf->items[i]);
}

static void render_text(const ksd_scan *scan, const ksd_preflight *pf, int rc, FILE *out)
{
	const ksd_totals *t = &scan->totals;
	char b[32];
	fprintf(out, "Upgrade preflight: Kafka %s -> %s; %" PRIu64 " log dir%s, %" PRIu64
		" partitions, %s\n",
		pf->current.known ? pf->current.text : "(current version unknown)", pf->target.text,
		t->logdirs, t->logdirs == 1 ? "" : "s", t->partitions,
		fmt_bytes(t->log_bytes, b, sizeof b));
	fprintf(out, "Verdict: %s (%" PRIu64 " blocker%s, %" PRIu64 " warning%s, %" PRIu64
		" note%s)\n", verdict_text(pf),
		pf->by_level[KSD_PF_BLOCKER], pf->by_level[KSD_PF_BLOCKER] == 1 ? "" : "s",
		pf->by_level[KSD_PF_WARNING], pf->by_level[KSD_PF_WARNING] == 1 ? "" : "s",
		pf->by_level[KSD_PF_NOTE], pf->by_level[KSD_PF_NOTE] == 1 ? "" : "s");
	print_level(out, pf, KSD_PF_BLOCKER, "Blockers (fix before upgrading)");
	print_level(out, pf, KSD_PF_WARNING, "Warnings (review before upgrading)");
	print_level(out, pf, KSD_PF_NOTE, "Notes");
	for (size_t i = 0; i < scan->nerrors; i++)
		fprintf(out, "\ncannot scan %s: %s", scan->errors[i].path,
			ksd_strerror(scan->errors[i].err));
	fprintf(out, "\n%sRead-only: nothing was changed. `ksegdoctor scan` lists every finding.\n"
		"Exit status %d.\n", scan->nerrors ? "\n" : "", rc);
}

/* --- JSON ----------------------------------------------------------------- */

static void json_item(FILE *out, const ksd_pf_item *it, bool first)
{
	fputs(first ? "\n    {" : ",\n    {", out);
	fputs("\"code\":", out);
	json_str(out, it->code);
	fprintf(out, ",\"level\":\"%s\",\"count\":%" PRIu64 ",\"headline\":",
		ksd_pf_level_name(it->level), it->count);
	json_str(out, it->headline);
	fputs(",\"why\":", out);
	json_str(out, it->why);
	fputs(",\"action\":", out);
	json_str(out, it->action);
	fputs(",\"paths\":[", out);
	for (size_t i = 0; i < it->npaths; i++) {
		if (i)
			fputc(',', out);
		json_str(out, it->paths[i]);
	}
	fputs("]}", out);
}

static void render_json(const ksd_scan *scan, const ksd_preflight *pf, int rc, FILE *out)
{
	fputs("{\n  \"tool\":\"ksegdoctor\",\"command\":\"preflight\",\"version\":", out);
	json_str(out, KSD_VERSION);
	fputs(",\n  \"target\":", out);
	json_str(out, pf->target.text);
	fputs(",\"current\":", out);
	json_str(out, pf->current.known ? pf->current.text : NULL);
	fprintf(out, ",\n  \"verdict\":\"%s\",\"blockers\":%" PRIu64 ",\"warnings\":%" PRIu64
		",\"notes\":%" PRIu64 ",\"exit_code\":%d,",
		verdict_id(pf), pf->by_level[KSD_PF_BLOCKER], pf->by_level[KSD_PF_WARNING],
		pf->by_level[KSD_PF_NOTE], rc);
	fprintf(out, "\n  \"log_dirs\":%" PRIu64 ",\"partitions\":%" PRIu64
		",\"log_bytes\":%" PRIu64 ",\n  \"items\":[",
		scan->totals.logdirs, scan->totals.partitions, scan->totals.log_bytes);
	for (size_t i = 0; i < pf->nitems; i++)
		json_item(out, &pf->items[i], i == 0);
	fputs(pf->nitems ? "\n  ],\n  \"errors\":[" : "],\n  \"errors\":[", out);
	for (size_t i = 0; i < scan->nerrors; i++) {
		fputs(i ? ",{\"path\":" : "{\"path\":", out);
		json_str(out, scan->errors[i].path);
		fputs(",\"error\":", out);
		json_str(out, ksd_strerror(scan->errors[i].err));
		fputc('}', out);
	}
	fputs("]\n}\n", out);
}

int cmd_preflight(int argc, char **argv)
{
	preflight_state st;
	memset(&st, 0, sizeof st);
	scan_common_init(&st.sc);
	st.fail_on = KSD_PF_BLOCKER;
	int first = 0;
	int rc = cli_parse(&preflight_cmd, argc, argv, on_preflight_opt, &st, &first);
	if (rc == KSD_EXIT_OK && !st.target.known) {
		cli_usage_error(&preflight_cmd, "--target VER is required (the version to upgrade to)");
		rc = KSD_EXIT_USAGE;
	}
	if (rc != KSD_EXIT_OK) {
		scan_common_free(&st.sc);
		return rc < 0 ? KSD_EXIT_OK : rc;
	}
	ksd_scan *scan;
	double elapsed;
	rc = scan_common_run(&st.sc, &preflight_cmd, argv + first, (size_t)(argc - first), &scan,
			     &elapsed);
	if (scan) {
		ksd_preflight pf;
		if (ksd_preflight_build(scan, &st.target, &pf) != KSD_OK) {
			fprintf(stderr, "ksegdoctor preflight: out of memory\n");
			rc |= KSD_EXIT_OPERATIONAL;
		} else {
			if (pf.any_items && pf.verdict >= st.fail_on)
				rc |= KSD_EXIT_FINDINGS;
			if (st.json)
				render_json(scan, &pf, rc, stdout);
			else
				render_text(scan, &pf, rc, stdout);
			ksd_preflight_free(&pf);
		}
		ksd_scan_free(scan);
	}
	scan_common_free(&st.sc);
	return rc;
}
