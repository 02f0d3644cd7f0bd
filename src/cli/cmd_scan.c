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

enum {
	OPT_HELP = 'h',
	OPT_JSON = 256,
	OPT_FAIL_ON,
	OPT_KAFKA_VERSION,
	OPT_DEDUPE,
	OPT_THREADS,
	OPT_LOAD_FACTOR,
	OPT_BROKER_CONFIG,
	OPT_COMPACTED,
	OPT_QUICK,
	OPT_LEVEL,
	OPT_IO,
	OPT_JOBS,
	OPT_PROGRESS,
	OPT_NO_PROGRESS,
	OPT_MAX_FINDINGS,
	OPT_VERBOSE = 'v',
};

static const cli_opt scan_opts[] = {
	{OPT_JSON, "json", 0, NULL, "one JSON document on stdout instead of the text report"},
	{OPT_FAIL_ON, "fail-on", 0, "LEVEL", "exit 4 when a finding is at or above LEVEL: info, warning, error (default error)"},
	{OPT_KAFKA_VERSION, "kafka-version", 0, "VER", "the broker's Kafka version, e.g. 0.9.0.1 or 3.7.0 (version-dependent checks)"},
	{OPT_DEDUPE, "dedupe-buffer-size", 0, "SIZE", "log.cleaner.dedupe.buffer.size (bytes; K/M/G suffixes ok)"},
	{OPT_THREADS, "cleaner-threads", 0, "N", "log.cleaner.threads (default 1)"},
	{OPT_LOAD_FACTOR, "cleaner-load-factor", 0, "F", "log.cleaner.io.buffer.load.factor (default 0.9)"},
	{OPT_BROKER_CONFIG, "broker-config", 0, "FILE", "read cleaner settings (and log.dirs when no PATH) from server.properties"},
	{OPT_COMPACTED, "compacted-topic", 0, "TOPIC", "treat TOPIC as compacted (repeatable; internal topics always are)"},
	{OPT_QUICK, "quick", 0, NULL, "walk batch headers only, no CRC verification (same as --level headers)"},
	{OPT_LEVEL, "level", 0, "LEVEL", "headers or crc (default crc)"},
	{OPT_IO, "io", 0, "MODE", "how CRC-level reads files: pread (default) or mmap"},
	{OPT_JOBS, "jobs", 'j', "N", "worker threads (default: online CPUs)"},
	{OPT_PROGRESS, "progress", 0, NULL, "show progress on stderr even when it is not a terminal"},
	{OPT_NO_PROGRESS, "no-progress", 0, NULL, "never show progress"},
	{OPT_MAX_FINDINGS, "max-findings", 0, "N", "findings kept per problem per segment/partition/log dir (default 50)"},
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
	ksd_config cfg;
	bool json, verbose;
	int progress; /* -1 auto, 0 off, 1 on */
	ksd_severity fail_on;
	const char *broker_config;
	const char **compacted;
	size_t ncompacted;
} scan_opts_state;

static bool parse_uint(const char *s, unsigned long max, unsigned long *out)
{
	char *end;
	errno = 0;
	unsigned long v = strtoul(s, &end, 10);
	if (errno || end == s || *end || s[0] == '-' || v > max)
		return false;
	*out = v;
	return true;
}

static bool add_compacted(scan_opts_state *st, const char *topic)
{
	const char **v = realloc(st->compacted, (st->ncompacted + 1) * sizeof *v);
	if (!v)
		return false;
	v[st->ncompacted++] = topic;
	st->compacted = v;
	return true;
}

static bool on_scan_opt(void *ud, int id, const char *arg)
{
	scan_opts_state *st = ud;
	ksd_config *c = &st->cfg;
	unsigned long n;
	switch (id) {
	case OPT_JSON: st->json = true; return true;
	case OPT_VERBOSE: st->verbose = true; return true;
	case OPT_PROGRESS: st->progress = 1; return true;
	case OPT_NO_PROGRESS: st->progress = 0; return true;
	case OPT_QUICK: c->level = KSD_LEVEL_HEADERS; return true;
	case OPT_FAIL_ON:
		if (ksd_severity_parse(arg, &st->fail_on))
			return true;
		cli_usage_error(&scan_cmd, "--fail-on takes info, warning or error, not '%s'", arg);
		return false;
	case OPT_KAFKA_VERSION:
		if (ksd_kversion_parse(arg, &c->kafka_version))
			return true;
		cli_usage_error(&scan_cmd, "--kafka-version '%s' is not a version like 0.9.0.1 or 3.7.0", arg);
		return false;
	case OPT_DEDUPE:
		if (cli_parse_size(arg, &c->cleaner.dedupe_buffer_size) && c->cleaner.dedupe_buffer_size > 0) {
			c->cleaner.buffer_given = true;
			return true;
		}
		cli_usage_error(&scan_cmd, "--dedupe-buffer-size '%s' is not a size", arg);
		return false;
	case OPT_THREADS:
		if (parse_uint(arg, 1024, &n) && n > 0) {
			c->cleaner.threads = (int)n;
			c->cleaner.threads_given = true;
			return true;
		}
		cli_usage_error(&scan_cmd, "--cleaner-threads takes 1..1024, not '%s'", arg);
		return false;
	case OPT_LOAD_FACTOR: {
		char *end;
		double d = strtod(arg, &end);
		if (end != arg && !*end && d > 0 && d <= 1) {
			c->cleaner.load_factor = d;
			c->cleaner.load_factor_given = true;
			return true;
		}
		cli_usage_error(&scan_cmd, "--cleaner-load-factor takes a number in (0, 1], not '%s'", arg);
		return false;
	}
	case OPT_BROKER_CONFIG: st->broker_config = arg; return true;
	case OPT_COMPACTED: return add_compacted(st, arg);
	case OPT_LEVEL:
		if (strcmp(arg, "headers") == 0 || strcmp(arg, "crc") == 0) {
			c->level = arg[0] == 'h' ? KSD_LEVEL_HEADERS : KSD_LEVEL_CRC;
			return true;
		}
		cli_usage_error(&scan_cmd, "--level takes headers or crc, not '%s'", arg);
		return false;
	case OPT_IO:
		if (strcmp(arg, "pread") == 0 || strcmp(arg, "mmap") == 0) {
			c->io_mode = arg[0] == 'm' ? KSD_IO_MMAP : KSD_IO_PREAD;
			c->io_mode_given = true;
			return true;
		}
		cli_usage_error(&scan_cmd, "--io takes pread or mmap, not '%s'", arg);
		return false;
	case OPT_JOBS:
		if (parse_uint(arg, 64, &n) && n > 0) {
			c->jobs = (unsigned)n;
			return true;
		}
		cli_usage_error(&scan_cmd, "--jobs takes 1..64, not '%s'", arg);
		return false;
	case OPT_MAX_FINDINGS:
		if (parse_uint(arg, 1000000, &n) && n > 0) {
			c->max_findings_per_problem = (unsigned)n;
			return true;
		}
		cli_usage_error(&scan_cmd, "--max-findings takes a positive number, not '%s'", arg);
		return false;
	}
	return false;
}

static double now_seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int exit_code(const ksd_scan *scan, ksd_severity fail_on)
{
	int rc = KSD_EXIT_OK;
	if (ksd_scan_worst_severity(scan) >= (int)fail_on)
		rc |= KSD_EXIT_FINDINGS;
	if (scan->nerrors > 0)
		rc |= KSD_EXIT_OPERATIONAL;
	return rc;
}

/* Loads --broker-config; log.dirs from it become the paths when none given. */
static int load_broker_config(scan_opts_state *st, char ***dirs, size_t *ndirs)
{
	char err[512] = "";
	ksd_err e = ksd_config_load_properties(&st->cfg, st->broker_config, dirs, ndirs,
					       err, sizeof err);
	if (e == KSD_OK)
		return KSD_EXIT_OK;
	fprintf(stderr, "ksegdoctor scan: --broker-config: %s: %s\n", err, ksd_strerror(e));
	return e == KSD_ERR_INVAL ? KSD_EXIT_USAGE : KSD_EXIT_OPERATIONAL;
}

static int run_scan(scan_opts_state *st, char **paths, size_t npaths)
{
	ksd_scan *scan;
	if (ksd_scan_new(&st->cfg, &scan) != KSD_OK) {
		fprintf(stderr, "ksegdoctor scan: out of memory\n");
		return KSD_EXIT_OPERATIONAL;
	}
	double t0 = now_seconds();
	for (size_t i = 0; i < npaths; i++)
		ksd_scan_add_path(scan, paths[i]);
	bool show_progress = st->progress == 1 || (st->progress == -1 && isatty(2));
	progress_state ps = {t0, false};
	ksd_err e = ksd_scan_run(scan, show_progress ? progress_draw : NULL, &ps);
	progress_clear(&ps);
	double elapsed = now_seconds() - t0;
	int rc = exit_code(scan, st->fail_on);
	if (e != KSD_OK) {
		fprintf(stderr, "ksegdoctor scan: %s\n", ksd_strerror(e));
		rc |= KSD_EXIT_OPERATIONAL;
	}
	render_opts ro = {st->verbose, st->fail_on, elapsed, rc};
	if (st->json)
		render_scan_json(scan, &ro, stdout);
	else
		render_scan_text(scan, &ro, stdout);
	ksd_scan_free(scan);
	return rc;
}

int cmd_scan(int argc, char **argv)
{
	scan_opts_state st;
	memset(&st, 0, sizeof st);
	ksd_config_init(&st.cfg);
	st.progress = -1;
	st.fail_on = KSD_SEV_ERROR;
	int first = 0;
	int rc = cli_parse(&scan_cmd, argc, argv, on_scan_opt, &st, &first);
	if (rc != KSD_EXIT_OK) {
		free(st.compacted);
		return rc < 0 ? KSD_EXIT_OK : rc;
	}
	st.cfg.compacted_topics = st.compacted;
	st.cfg.ncompacted_topics = st.ncompacted;
	char **dirs = NULL;
	size_t ndirs = 0;
	if (st.broker_config && (rc = load_broker_config(&st, &dirs, &ndirs)) != KSD_EXIT_OK) {
		free(st.compacted);
		return rc;
	}
	char **paths = argv + first;
	size_t npaths = (size_t)(argc - first);
	if (npaths == 0 && ndirs > 0) {
		paths = dirs;
		npaths = ndirs;
	}
	if (npaths == 0) {
		cli_usage_error(&scan_cmd, "no PATH given (and no log.dirs from --broker-config)");
		rc = KSD_EXIT_USAGE;
	} else {
		rc = run_scan(&st, paths, npaths);
	}
	for (size_t i = 0; i < ndirs; i++)
		free(dirs[i]);
	free(dirs);
	free(st.compacted);
	return rc;
}
