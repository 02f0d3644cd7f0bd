/*
 * ksegdoctor explain: the problem table for people.  `--markdown` renders
 * docs/checks.md, which `make docs` regenerates and a test keeps in sync.
 */
#include <string.h>

#include "cli.h"

enum { OPT_HELP = 'h', OPT_MARKDOWN = 256 };

static const cli_opt explain_opts[] = {
	{OPT_MARKDOWN, "markdown", 0, NULL, "print the whole table as docs/checks.md"},
	{OPT_HELP, "help", 'h', NULL, "show this help"},
	{0, NULL, 0, NULL, NULL},
};

static const cli_cmd explain_cmd = {
	"explain", "[--markdown] [CODE...]",
	"Explains finding codes: severity, scope, why it matters (with the Kafka\n"
	"versions and JIRA/KIP behind it), what the broker does, and the fix.\n"
	"Without CODE, lists every code.",
	NULL,
	explain_opts,
};

static bool on_explain_opt(void *ud, int id, const char *arg)
{
	(void)arg;
	if (id == OPT_MARKDOWN)
		*(bool *)ud = true;
	return true;
}

static void print_text(const ksd_problem_info *pi)
{
	printf("%s (%s, %s scope)\n  %s\n  why:    %s\n  broker: %s\n  fix:    %s\n\n",
	       pi->code, ksd_severity_name(pi->severity), ksd_scope_name(pi->scope),
	       pi->summary, pi->why, pi->broker, pi->fix);
}

static void print_markdown(void)
{
	printf("# ksegdoctor finding codes\n\n"
	       "Generated from the problem table (`include/ksd/problems.def`) by\n"
	       "`ksegdoctor explain --markdown`; `make docs` regenerates it and the tests\n"
	       "fail when it is stale. Codes are stable: JSON output, tests and scripts\n"
	       "key on them. The severity shown is the default; a finding may be raised\n"
	       "or lowered with a reason in its message (e.g. a torn tail outside the\n"
	       "active segment is an error; cleaner-map-overflow is a warning when the\n"
	       "Kafka version is unknown).\n\n"
	       "| code | severity | scope | summary |\n|---|---|---|---|\n");
	for (unsigned i = 0; i < KSD_P__COUNT; i++) {
		const ksd_problem_info *pi = ksd_problem_get(i);
		printf("| [`%s`](#%s) | %s | %s | %s |\n", pi->code, pi->code,
		       ksd_severity_name(pi->severity), ksd_scope_name(pi->scope), pi->summary);
	}
	for (unsigned i = 0; i < KSD_P__COUNT; i++) {
		const ksd_problem_info *pi = ksd_problem_get(i);
		printf("\n## %s\n\n%s.\n\n- **Severity:** %s. **Scope:** %s.\n"
		       "- **Why it matters:** %s\n- **What the broker does:** %s\n- **Fix:** %s\n",
		       pi->code, pi->summary, ksd_severity_name(pi->severity),
		       ksd_scope_name(pi->scope), pi->why, pi->broker, pi->fix);
	}
}

int cmd_explain(int argc, char **argv)
{
	bool markdown = false;
	int first = 0;
	int rc = cli_parse(&explain_cmd, argc, argv, on_explain_opt, &markdown, &first);
	if (rc != KSD_EXIT_OK)
		return rc < 0 ? KSD_EXIT_OK : rc;
	if (markdown) {
		print_markdown();
		return KSD_EXIT_OK;
	}
	if (first == argc) {
		for (unsigned i = 0; i < KSD_P__COUNT; i++)
			print_text(ksd_problem_get(i));
		return KSD_EXIT_OK;
	}
	for (int i = first; i < argc; i++) {
		const ksd_problem_info *pi = ksd_problem_by_code(argv[i]);
		if (!pi) {
			cli_usage_error(&explain_cmd, "unknown finding code '%s'", argv[i]);
			return KSD_EXIT_USAGE;
		}
		print_text(pi);
	}
	return KSD_EXIT_OK;
}
