/*
 * Scan configuration: defaults, server.properties, cleaner capacity.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ksd/scan.h"

#define MIB (1024ull * 1024ull)

void ksd_config_init(ksd_config *cfg)
{
	memset(cfg, 0, sizeof *cfg);
	cfg->level = KSD_LEVEL_CRC;
	cfg->io_mode = KSD_IO_PREAD;
	cfg->max_findings_per_problem = 50;
	cfg->cleaner.threads = 1;
	cfg->cleaner.load_factor = 0.9;
	cfg->cleaner.dedupe_buffer_size = 128 * MIB;
	cfg->cleaner.enabled = true;
	cfg->retention_ms = 168LL * 3600 * 1000; /* log.retention.hours=168 */
	cfg->txn_timeout_ms = 900000;             /* transaction.max.timeout.ms */
}

unsigned ksd_config_recovery_threads(const ksd_config *cfg)
{
	if (cfg->recovery_threads_given && cfg->recovery_threads > 0)
		return cfg->recovery_threads;
	/* KIP-1030: the default went from 1 to 2 in 4.0. */
	const ksd_kversion *v = &cfg->kafka_version;
	return v->known && ksd_kversion_at_least(v, 4, 0, 0, 0) ? 2 : 1;
}

void ksd_config_resolve_defaults(ksd_config *cfg)
{
	ksd_cleaner_settings *c = &cfg->cleaner;
	const ksd_kversion *v = &cfg->kafka_version;
	/* KAFKA-2988 (0.9.0.1): buffer 500 MiB -> 128 MiB, cleaner enabled. */
	bool pre_0901 = v->known && !ksd_kversion_at_least(v, 0, 9, 0, 1);
	if (!c->buffer_given)
		c->dedupe_buffer_size = pre_0901 ? 500 * MIB : 128 * MIB;
	if (!c->enabled_given)
		c->enabled = !pre_0901;
	if (!c->threads_given)
		c->threads = 1;
	if (!c->load_factor_given)
		c->load_factor = 0.9;
}

uint64_t ksd_cleaner_capacity(const ksd_cleaner_settings *s)
{
	int threads = s->threads > 0 ? s->threads : 1;
	uint64_t per_thread = s->dedupe_buffer_size / (uint64_t)threads;
	/* "Cannot use more than 2G of cleaner buffer space per cleaner thread" */
	if (per_thread > INT32_MAX)
		per_thread = INT32_MAX;
	uint64_t slots = per_thread / 24; /* MD5 (16 bytes) + offset (8) */
	/* Scala: (slots * loadFactor).toInt truncates toward zero. */
	double usable = floor((double)slots * s->load_factor);
	if (usable < 0)
		usable = 0;
	return (uint64_t)usable;
}

/* --- server.properties -------------------------------------------------- */

static char *trim(char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	char *e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

static bool parse_u64(const char *s, uint64_t *out)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || end == s || *trim(end) != '\0' || s[0] == '-')
		return false;
	*out = v;
	return true;
}

static ksd_err split_log_dirs(const char *value, char ***out, size_t *nout)
{
	char *copy = strdup(value);
	if (!copy)
		return KSD_ERR_NOMEM;
	size_t n = 0;
	char **v = NULL;
	for (char *save = NULL, *tok = strtok_r(copy, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		char *t = trim(tok);
		if (!*t)
			continue;
		char **nv = realloc(v, (n + 1) * sizeof *v);
		if (!nv || !(t = strdup(t))) {
			free(nv ? nv : v);
			free(copy);
			return KSD_ERR_NOMEM;
		}
		v = nv;
		v[n++] = t;
	}
	free(copy);
	*out = v;
	*nout = n;
	return KSD_OK;
}

static void set_err(char *errbuf, size_t errlen, const char *path, unsigned line)
{
	if (!errbuf || !errlen)
		return;
	if (line)
		snprintf(errbuf, errlen, "%s:%u: invalid value", path, line);
	else
		snprintf(errbuf, errlen, "cannot open %s", path);
}

/*
 * KafkaConfig.logRetentionTimeMillis: log.retention.ms wins over .minutes,
 * which wins over .hours, whatever their order in the file; a negative
 * value means unlimited.  A --retention given by the user wins over all.
 */
static bool apply_retention(ksd_config *cfg, const char *key, const char *value)
{
	int rank = key[14] == 'm' && key[15] == 's' ? 3 : key[14] == 'm' ? 2 : 1;
	int64_t unit = rank == 3 ? 1 : rank == 2 ? 60000 : 3600000;
	char *end;
	errno = 0;
	long long v = strtoll(value, &end, 10);
	if (errno || end == value || *trim(end))
		return false;
	if (rank <= cfg->retention_rank)
		return true;
	cfg->retention_rank = rank;
	if (v < 0)
		cfg->retention_ms = -1;
	else if (v > INT64_MAX / unit)
		cfg->retention_ms = INT64_MAX;
	else
		cfg->retention_ms = (int64_t)v * unit;
	return true;
}

/* Applies one key unless the user gave it on the command line. */
static bool apply_property(ksd_config *cfg, const char *key, const char *value)
{
	ksd_cleaner_settings *c = &cfg->cleaner;
	uint64_t u;
	if (strcmp(key, "log.cleaner.dedupe.buffer.size") == 0) {
		if (!parse_u64(value, &u))
			return false;
		if (!c->buffer_given)
			c->dedupe_buffer_size = u, c->buffer_given = true;
	} else if (strcmp(key, "log.cleaner.threads") == 0) {
		if (!parse_u64(value, &u) || u > 1024)
			return false;
		/* Kafka accepts 0 (at least 0): no cleaner thread runs at all. */
		if (u == 0 && !c->enabled_given)
			c->enabled = false, c->enabled_given = true;
		if (u > 0 && !c->threads_given)
			c->threads = (int)u, c->threads_given = true;
	} else if (strcmp(key, "log.cleaner.io.buffer.load.factor") == 0) {
		char *end;
		double d = strtod(value, &end);
		if (end == value || *trim(end) || !(d > 0 && d <= 1))
			return false;
		if (!c->load_factor_given)
			c->load_factor = d, c->load_factor_given = true;
	} else if (strcmp(key, "log.retention.ms") == 0 ||
		   strcmp(key, "log.retention.minutes") == 0 ||
		   strcmp(key, "log.retention.hours") == 0) {
		return apply_retention(cfg, key, value);
	} else if (strcmp(key, "num.recovery.threads.per.data.dir") == 0) {
		if (!parse_u64(value, &u) || u == 0 || u > 1024)
			return false;
		if (!cfg->recovery_threads_given)
			cfg->recovery_threads = (unsigned)u, cfg->recovery_threads_given = true;
	} else if (strcmp(key, "transaction.max.timeout.ms") == 0) {
		if (!parse_u64(value, &u) || u == 0 || u > INT64_MAX)
			return false;
		cfg->txn_timeout_ms = (int64_t)u;
	} else if (strcmp(key, "log.cleaner.enable") == 0) {
		/* ConfigDef BOOLEAN: "true"/"false" in any case, else the broker
		 * refuses to start (ConfigException). */
		bool on = strcasecmp(value, "true") == 0;
		if (!on && strcasecmp(value, "false") != 0)
			return false;
		if (!c->enabled_given) {
			c->enabled = on;
			c->enabled_given = true;
		}
	}
	return true;
}

/* Java properties: '#'/'!' comments, '=' or ':' or space separators.
 * Line continuations are rare in server.properties and are not joined. */
static bool split_property(char *line, char **key, char **value)
{
	char *s = trim(line);
	if (!*s || *s == '#' || *s == '!')
		return false;
	char *sep = s + strcspn(s, "=: \t");
	char *v = sep;
	if (*sep) {
		*sep = '\0';
		v = sep + 1;
	}
	*key = trim(s);
	*value = trim(v);
	if (**value == '=' || **value == ':')
		*value = trim(*value + 1);
	return true;
}

ksd_err ksd_config_load_properties(ksd_config *cfg, const char *path,
				   char ***log_dirs, size_t *nlog_dirs,
				   char *errbuf, size_t errlen)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		set_err(errbuf, errlen, path, 0);
		return errno == ENOENT ? KSD_ERR_NOENT : KSD_ERR_IO;
	}
	char line[8192];
	char dirs_value[8192] = "";
	bool have_dirs = false, have_plural = false;
	unsigned lineno = 0;
	ksd_err err = KSD_OK;
	while (fgets(line, sizeof line, f)) {
		char *key, *value;
		lineno++;
		if (!split_property(line, &key, &value))
			continue;
		bool plural = strcmp(key, "log.dirs") == 0;
		if (plural || strcmp(key, "log.dir") == 0) {
			/* log.dirs wins over log.dir (KafkaConfig.logDirs); a repeated
			 * key takes its last line (java.util.Properties). */
			if (plural || !have_plural)
				snprintf(dirs_value, sizeof dirs_value, "%s", value);
			have_plural |= plural;
			have_dirs = true;
		} else if (!apply_property(cfg, key, value)) {
			set_err(errbuf, errlen, path, lineno);
			err = KSD_ERR_INVAL;
			break;
		}
	}
	fclose(f);
	if (err == KSD_OK && log_dirs) {
		*log_dirs = NULL;
		*nlog_dirs = 0;
		if (have_dirs)
			err = split_log_dirs(dirs_value, log_dirs, nlog_dirs);
	}
	return err;
}
