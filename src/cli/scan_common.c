/*
 * Options shared by the scan-based commands, and running their scan.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "render.h"
#include "scan_common.h"

void scan_common_init(scan_common *sc)
{
	memset(sc, 0, sizeof *sc);
	ksd_config_init(&sc->cfg);
	sc->progress = -1;
	sc->fail_on = KSD_SEV_ERROR;
}

int scan_common_findings_exit(const scan_common *sc, const ksd_scan *scan)
{
	return ksd_scan_worst_severity(scan) >= (int)sc->fail_on ? KSD_EXIT_FINDINGS : KSD_EXIT_OK;
}

void scan_common_free(scan_common *sc)
{
	free(sc->compacted);
	sc->compacted = NULL;
	sc->ncompacted = 0;
}

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

bool cli_parse_duration_ms(const char *s, bool allow_unlimited, int64_t *out)
{
	if (strcmp(s, "-1") == 0) {
		*out = -1;
		return allow_unlimited;
	}
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || end == s || v < 0 || s[0] == '-')
		return false;
	double unit = 1;
	if (strcmp(end, "ms") == 0 || *end == '\0')
		unit = 1;
	else if (strcmp(end, "s") == 0)
		unit = 1e3;
	else if (strcmp(end, "m") == 0 || strcmp(end, "min") == 0)
		unit = 60e3;
	else if (strcmp(end, "h") == 0)
		unit = 3600e3;
	else if (strcmp(end, "d") == 0)
		unit = 86400e3;
	else
		return false;
	if (v * unit > 9.2e18)
		return false;
	*out = (int64_t)(v * unit);
	return true;
}

/* Epoch milliseconds, or an ISO-8601 UTC time (date alone = midnight). */
static bool parse_time_ms(const char *s, int64_t *out)
{
	char *end;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (!errno && end != s && *end == '\0' && v > 0) {
		*out = v;
		return true;
	}
	struct tm tm;
	memset(&tm, 0, sizeof tm);
	const char *rest = strptime(s, "%Y-%m-%d", &tm);
	if (!rest)
		return false;
	if (*rest == 'T' || *rest == ' ') {
		rest = strptime(rest + 1, "%H:%M:%S", &tm);
		if (!rest)
			return false;
	}
	if (*rest == 'Z')
		rest++;
	if (*rest)
		return false;
	time_t t = timegm(&tm);
	if (t == (time_t)-1)
		return false;
	*out = (int64_t)t * 1000;
	return true;
}

static bool add_compacted(scan_common *sc, const char *topic)
{
	const char **v = realloc(sc->compacted, (sc->ncompacted + 1) * sizeof *v);
	if (!v)
		return false;
	v[sc->ncompacted++] = topic;
	sc->compacted = v;
	return true;
}

static int opt_cleaner(scan_common *sc, const cli_cmd *cmd, int id, const char *arg)
{
	ksd_cleaner_settings *c = &sc->cfg.cleaner;
	unsigned long n;
	if (id == SCO_DEDUPE) {
		if (cli_parse_size(arg, &c->dedupe_buffer_size) && c->dedupe_buffer_size > 0) {
			c->buffer_given = true;
			return 1;
		}
		cli_usage_error(cmd, "--dedupe-buffer-size '%s' is not a size", arg);
		return 0;
	}
	if (id == SCO_THREADS) {
		if (parse_uint(arg, 1024, &n) && n > 0) {
			c->threads = (int)n;
			c->threads_given = true;
			return 1;
		}
		cli_usage_error(cmd, "--cleaner-threads takes 1..1024, not '%s'", arg);
		return 0;
	}
	char *end;
	double d = strtod(arg, &end);
	if (end != arg && !*end && d > 0 && d <= 1) {
		c->load_factor = d;
		c->load_factor_given = true;
		return 1;
	}
	cli_usage_error(cmd, "--cleaner-load-factor takes a number in (0, 1], not '%s'", arg);
	return 0;
}

static int opt_reading(scan_common *sc, const cli_cmd *cmd, int id, const char *arg)
{
	ksd_config *c = &sc->cfg;
	unsigned long n;
	switch (id) {
	case SCO_QUICK: c->level = KSD_LEVEL_HEADERS; return 1;
	case SCO_PROGRESS: sc->progress = 1; return 1;
	case SCO_NO_PROGRESS: sc->progress = 0; return 1;
	case SCO_LEVEL:
		if (strcmp(arg, "headers") == 0 || strcmp(arg, "crc") == 0) {
			c->level = arg[0] == 'h' ? KSD_LEVEL_HEADERS : KSD_LEVEL_CRC;
			return 1;
		}
		cli_usage_error(cmd, "--level takes headers or crc, not '%s'", arg);
		return 0;
	case SCO_IO:
		if (strcmp(arg, "pread") == 0 || strcmp(arg, "mmap") == 0) {
			c->io_mode = arg[0] == 'm' ? KSD_IO_MMAP : KSD_IO_PREAD;
			c->io_mode_given = true;
			return 1;
		}
		cli_usage_error(cmd, "--io takes pread or mmap, not '%s'", arg);
		return 0;
	case SCO_JOBS:
		if (parse_uint(arg, 64, &n) && n > 0) {
			c->jobs = (unsigned)n;
			return 1;
		}
		cli_usage_error(cmd, "--jobs takes 1..64, not '%s'", arg);
		return 0;
	case SCO_MAX_FINDINGS:
		if (parse_uint(arg, 1000000, &n) && n > 0) {
			c->max_findings_per_problem = (unsigned)n;
			return 1;
		}
		cli_usage_error(cmd, "--max-findings takes a positive number, not '%s'", arg);
		return 0;
	}
	return -1;
}

static int opt_time(scan_common *sc, const cli_cmd *cmd, int id, const char *arg)
{
	ksd_config *c = &sc->cfg;
	unsigned long n;
	uint64_t rate;
	switch (id) {
	case SCO_NOW:
		if (parse_time_ms(arg, &c->now_ms))
			return 1;
		cli_usage_error(cmd, "--now takes epoch milliseconds or YYYY-MM-DDTHH:MM:SSZ, not '%s'", arg);
		return 0;
	case SCO_RETENTION:
		if (cli_parse_duration_ms(arg, true, &c->retention_ms)) {
			c->retention_rank = 4;
			return 1;
		}
		cli_usage_error(cmd, "--retention takes a duration such as 7d, 168h or 3600000, or -1, not '%s'", arg);
		return 0;
	case SCO_TXN_TIMEOUT:
		if (cli_parse_duration_ms(arg, false, &c->txn_timeout_ms) && c->txn_timeout_ms > 0)
			return 1;
		cli_usage_error(cmd, "--txn-timeout takes a duration such as 15m or 900000, not '%s'", arg);
		return 0;
	case SCO_RECOVERY_THREADS:
		if (parse_uint(arg, 1024, &n) && n > 0) {
			c->recovery_threads = (unsigned)n;
			c->recovery_threads_given = true;
			return 1;
		}
		cli_usage_error(cmd, "--recovery-threads takes 1..1024, not '%s'", arg);
		return 0;
	case SCO_RECOVERY_RATE: {
		char buf[64];
		snprintf(buf, sizeof buf, "%s", arg);
		char *slash = strstr(buf, "/s");
		if (slash && slash[2] == '\0')
			*slash = '\0';
		if (cli_parse_size(buf, &rate) && rate > 0) {
			c->recovery_rate = (double)rate;
			return 1;
		}
		cli_usage_error(cmd, "--recovery-rate takes bytes per second such as 200M, not '%s'", arg);
		return 0;
	}
	}
	return -1;
}

int scan_common_opt(scan_common *sc, const cli_cmd *cmd, int id, const char *arg)
{
	switch (id) {
	case SCO_KAFKA_VERSION:
		if (ksd_kversion_parse(arg, &sc->cfg.kafka_version))
			return 1;
		cli_usage_error(cmd, "--kafka-version '%s' is not a version like 0.9.0.1 or 3.7.0", arg);
		return 0;
	case SCO_BROKER_CONFIG: sc->broker_config = arg; return 1;
	case SCO_FAIL_ON:
		if (ksd_severity_parse(arg, &sc->fail_on))
			return 1;
		cli_usage_error(cmd, "--fail-on takes info, warning or error, not '%s'", arg);
		return 0;
	case SCO_COMPACTED: return add_compacted(sc, arg) ? 1 : 0;
	case SCO_DEDUPE:
	case SCO_THREADS:
	case SCO_LOAD_FACTOR:
		return opt_cleaner(sc, cmd, id, arg);
	}
	int r = opt_reading(sc, cmd, id, arg);
	return r >= 0 ? r : opt_time(sc, cmd, id, arg);
}

static double now_seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Loads --broker-config; log.dirs from it become the paths when none given. */
static int load_broker_config(scan_common *sc, const cli_cmd *cmd, char ***dirs, size_t *ndirs)
{
	char err[512] = "";
	ksd_err e = ksd_config_load_properties(&sc->cfg, sc->broker_config, dirs, ndirs,
					       err, sizeof err);
	if (e == KSD_OK)
		return KSD_EXIT_OK;
	fprintf(stderr, "ksegdoctor %s: --broker-config: %s: %s\n", cmd->name, err, ksd_strerror(e));
	return e == KSD_ERR_INVAL ? KSD_EXIT_USAGE : KSD_EXIT_OPERATIONAL;
}

static void free_dirs(char **dirs, size_t ndirs)
{
	for (size_t i = 0; i < ndirs; i++)
		free(dirs[i]);
	free(dirs);
}

int scan_common_run(scan_common *sc, const cli_cmd *cmd, char **operands, size_t noperands,
		    ksd_scan **out, double *elapsed)
{
	*out = NULL;
	*elapsed = 0;
	sc->cfg.compacted_topics = sc->compacted;
	sc->cfg.ncompacted_topics = sc->ncompacted;
	char **dirs = NULL;
	size_t ndirs = 0;
	int rc;
	if (sc->broker_config && (rc = load_broker_config(sc, cmd, &dirs, &ndirs)) != KSD_EXIT_OK)
		return rc;
	if (noperands == 0 && ndirs > 0) {
		operands = dirs;
		noperands = ndirs;
	}
	if (noperands == 0) {
		cli_usage_error(cmd, "no PATH given (and no log.dirs from --broker-config)");
		free_dirs(dirs, ndirs);
		return KSD_EXIT_USAGE;
	}
	if (sc->cfg.now_ms == 0) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		sc->cfg.now_ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	}
	ksd_scan *scan;
	if (ksd_scan_new(&sc->cfg, &scan) != KSD_OK) {
		fprintf(stderr, "ksegdoctor %s: out of memory\n", cmd->name);
		free_dirs(dirs, ndirs);
		return KSD_EXIT_OPERATIONAL;
	}
	double t0 = now_seconds();
	for (size_t i = 0; i < noperands; i++)
		ksd_scan_add_path(scan, operands[i]);
	free_dirs(dirs, ndirs);
	bool show = sc->progress == 1 || (sc->progress == -1 && isatty(2));
	progress_state ps = {t0, false};
	ksd_err e = ksd_scan_run(scan, show ? progress_draw : NULL, &ps);
	progress_clear(&ps);
	*elapsed = now_seconds() - t0;
	rc = scan->nerrors > 0 ? KSD_EXIT_OPERATIONAL : KSD_EXIT_OK;
	if (e != KSD_OK) {
		fprintf(stderr, "ksegdoctor %s: %s\n", cmd->name, ksd_strerror(e));
		rc |= KSD_EXIT_OPERATIONAL;
	}
	*out = scan;
	return rc;
}
