/*
 * ksegdoctor scan: options -> ksd_config, run the core scan, render, exit.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "render.h"
#include "scan_common.h"

enum {
	OPT_HELP = 'h',
	OPT_JSON = 256,
	OPT_VERBOSE = 'v',
};

static const cli_opt scan_opts[] = {
	{OPT_JSON, "json", 0, NULL, "one JSON document on stdout instead of the text report"},
	SCAN_FAIL_ON_OPT,
	SCAN_COMMON_OPTS,
	{OPT_VERBOSE, "verbose", 'v', NULL, "text report lists every partition and segment, not just those with findings"},
	{OPT_HELP, "help", 'h', NULL, "show this help"},
	{0, NULL, 0, NULL, NULL},
};

static const cli_cmd scan_cmd = {
	"scan", "[options] PATH...",
	"Checks Kafka log dirs, partition dirs or single segment files, read-only.\n"
	"PATH may be a log dir root, a partition dir (topic-N, also -delete/-future/-stray),\n"
	"or a .log/.index file; several log dirs (JBOD) and shell globs such as\n"
	"/var/kafka-logs/__consumer_offsets-* work.",
	"Levels: 'crc' (default) reads every byte and verifies every batch CRC, as the\n"
	"broker's recovery does; 'headers' (--quick) walks entry headers only, touching\n"
	"about one page per batch. CRC is the default because damage that only a CRC\n"
	"reveals is exactly what makes a restart truncate data.\n\n"
	"Exit status (OR-ed): 0 nothing at or above --fail-on, 4 findings at or above it,\n"
	"8 operational error (unreadable path, I/O error), 16 usage error.\n"
	"Finding codes are listed in docs/checks.md.\n",
	scan_opts,
};

typedef struct scan_opts_state {
	scan_common sc;
	bool json, verbose;
} scan_opts_state;

static bool on_scan_opt(void *ud, int id, const char *arg)
{
	scan_opts_state *st = ud;
	switch (id) {
	case OPT_JSON: st->json = true; return true;
	case OPT_VERBOSE: st->verbose = true; return true;
	}
	return scan_common_opt(&st->sc, &scan_cmd, id, arg) == 1;
}

int cmd_scan(int argc, char **argv)
{
	scan_opts_state st;
	memset(&st, 0, sizeof st);
	scan_common_init(&st.sc);
	int first = 0;
	int rc = cli_parse(&scan_cmd, argc, argv, on_scan_opt, &st, &first);
	if (rc != KSD_EXIT_OK) {
		scan_common_free(&st.sc);
		return rc < 0 ? KSD_EXIT_OK : rc;
	}
	ksd_scan *scan;
	double elapsed;
	rc = scan_common_run(&st.sc, &scan_cmd, argv + first, (size_t)(argc - first), &scan, &elapsed);
	if (scan) {
		rc |= scan_common_findings_exit(&st.sc, scan);
		render_opts ro = {st.verbose, st.sc.fail_on, elapsed, rc};
		if (st.json)
			render_scan_json(scan, &ro, stdout);
		else
			render_scan_text(scan, &ro, stdout);
		ksd_scan_free(scan);
	}
	scan_common_free(&st.sc);
	return rc;
}
