/*
 * Unit tests for ksd/kversion.h and the scan configuration: version parsing
 * and ordering, the cleaner's dedupe map capacity (SkimpyOffsetMap,
 * kafka-facts.md §4.1), per-version cleaner defaults (KAFKA-2988) and
 * reading a broker's server.properties.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ksd/kversion.h"
#include "ksd/scan.h"

#define MIB (1024ull * 1024ull)
#define GIB (1024ull * MIB)

/* --- versions ----------------------------------------------------------- */

static void expect_version(const char *s, int ma, int mi, int pa, int fx)
{
	ksd_kversion v;
	if (!ksd_kversion_parse(s, &v))
		fail_msg("\"%s\" should parse", s);
	assert_true(v.known);
	assert_int_equal(v.major, ma);
	assert_int_equal(v.minor, mi);
	assert_int_equal(v.patch, pa);
	assert_int_equal(v.fix, fx);
	assert_string_equal(v.text, s);
}

static void test_kversion_parse(void **state)
{
	(void)state;
	expect_version("0.9.0.1", 0, 9, 0, 1);
	expect_version("0.9.0.0", 0, 9, 0, 0);
	expect_version("0.10.0", 0, 10, 0, 0);
	expect_version("0.10.2.2", 0, 10, 2, 2);
	expect_version("2.8", 2, 8, 0, 0);
	expect_version("3.7.0-IV1", 3, 7, 0, 0);
	expect_version("7.4.0-cp2", 7, 4, 0, 0);
	expect_version("4.0", 4, 0, 0, 0);
	expect_version("4.0.0", 4, 0, 0, 0);
	expect_version("3.9.0-SNAPSHOT", 3, 9, 0, 0);
	expect_version("3.9.0+build.5", 3, 9, 0, 0);

	static const char *const junk[] = {
		"", "junk", "4", "4.", "4.0.", ".4", "v3.7.0", "3.7.0 ", " 3.7",
		"3..7", "3.7.x", "1.2.3.4.5", "1.2.3.4.", "3,7", "-1.0", "3.7.0_IV1",
		"100001.0", "99999999999.0",
	};
	for (size_t i = 0; i < sizeof junk / sizeof *junk; i++) {
		ksd_kversion v;
		v.known = true;
		if (ksd_kversion_parse(junk[i], &v))
			fail_msg("\"%s\" should not parse", junk[i]);
		assert_false(v.known);
	}
}

static ksd_kversion ver(const char *s)
{
	ksd_kversion v;
	assert_true(ksd_kversion_parse(s, &v));
	return v;
}

static void test_kversion_cmp(void **state)
{
	(void)state;
	/* ascending */
	static const char *const order[] = {
		"0.8.2.2", "0.9.0.0", "0.9.0.1", "0.10.0", "0.10.0.1", "0.10.2.1",
		"0.10.2.2", "0.11.0", "1.0", "2.0.0", "2.8.2", "3.7.0", "3.10.0", "4.0",
	};
	const size_t n = sizeof order / sizeof *order;
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < n; j++) {
			ksd_kversion a = ver(order[i]), b = ver(order[j]);
			int c = ksd_kversion_cmp(&a, &b);
			if (i < j)
				assert_true(c < 0);
			else if (i > j)
				assert_true(c > 0);
			else
				assert_int_equal(c, 0);
		}
	/* Suffixes do not count; trailing zeros do not either. */
	ksd_kversion a = ver("3.7.0-IV1"), b = ver("3.7.0"), c = ver("3.7");
	assert_int_equal(ksd_kversion_cmp(&a, &b), 0);
	assert_int_equal(ksd_kversion_cmp(&b, &c), 0);
	/* Unknown sorts below everything, and equals unknown. */
	ksd_kversion unknown;
	memset(&unknown, 0, sizeof unknown);
	ksd_kversion zero = ver("0.0");
	assert_true(ksd_kversion_cmp(&unknown, &zero) < 0);
	assert_true(ksd_kversion_cmp(&zero, &unknown) > 0);
	assert_int_equal(ksd_kversion_cmp(&unknown, &unknown), 0);
}

static void test_kversion_at_least(void **state)
{
	(void)state;
	ksd_kversion v = ver("0.9.0.1");
	assert_true(ksd_kversion_at_least(&v, 0, 9, 0, 1));
	assert_true(ksd_kversion_at_least(&v, 0, 9, 0, 0));
	assert_true(ksd_kversion_at_least(&v, 0, 8, 2, 2));
	assert_false(ksd_kversion_at_least(&v, 0, 9, 0, 2));
	assert_false(ksd_kversion_at_least(&v, 0, 10, 0, 0));
	v = ver("0.10.0");
	assert_true(ksd_kversion_at_least(&v, 0, 9, 0, 1));
	assert_false(ksd_kversion_at_least(&v, 0, 10, 1, 0));
	v = ver("4.0");
	assert_true(ksd_kversion_at_least(&v, 3, 99, 99, 99));
	assert_true(ksd_kversion_at_least(&v, 4, 0, 0, 0));
	/* An unknown version is at least nothing. */
	memset(&v, 0, sizeof v);
	assert_false(ksd_kversion_at_least(&v, 0, 0, 0, 0));
}

/* --- cleaner capacity ----------------------------------------------------- */

static uint64_t capacity(uint64_t buffer, int threads, double lf)
{
	ksd_cleaner_settings s;
	memset(&s, 0, sizeof s);
	s.dedupe_buffer_size = buffer;
	s.threads = threads;
	s.load_factor = lf;
	s.enabled = true;
	return ksd_cleaner_capacity(&s);
}

static void test_cleaner_capacity(void **state)
{
	(void)state;
	/* kafka-facts.md §4.1 worked numbers */
	assert_int_equal(capacity(128 * MIB, 1, 0.9), 5033164);
	assert_int_equal(capacity(500 * MIB, 1, 0.9), 19660799);
	/* 2 GiB is one byte over Int.MaxValue: capped to 2^31-1 */
	assert_int_equal(capacity(2147483648ull, 1, 0.9), 80530636);
	assert_int_equal(capacity(2147483647ull, 1, 0.9), 80530636);
	/* per-thread cap applies after dividing by threads */
	assert_int_equal(capacity(4 * GIB, 2, 0.9), 80530636);
	assert_int_equal(capacity(8 * GIB, 2, 0.9), 80530636);
	assert_int_equal(capacity(256 * MIB, 2, 0.9), 5033164);
	assert_int_equal(capacity(256 * MIB, 4, 0.9), 2516581);
	/* load factor 1.0: every slot usable */
	assert_int_equal(capacity(128 * MIB, 1, 1.0), 5592405);
	assert_int_equal(capacity(2 * GIB, 1, 1.0), 89478485);
	assert_int_equal(capacity(128 * MIB, 1, 0.5), 2796202);
	/* tiny buffers */
	assert_int_equal(capacity(23, 1, 0.9), 0);
	assert_int_equal(capacity(24, 1, 1.0), 1);
	assert_int_equal(capacity(0, 1, 0.9), 0);
	/* threads <= 0 counts as one thread rather than dividing by zero */
	assert_int_equal(capacity(128 * MIB, 0, 0.9), 5033164);
	assert_int_equal(capacity(128 * MIB, -3, 0.9), 5033164);
}

/* --- per-version defaults ---------------------------------------------- */

static void test_resolve_defaults(void **state)
{
	(void)state;
	ksd_config cfg;
	ksd_config_init(&cfg);
	assert_false(cfg.kafka_version.known);
	assert_int_equal(cfg.level, KSD_LEVEL_CRC);
	ksd_config_resolve_defaults(&cfg);
	assert_int_equal(cfg.cleaner.dedupe_buffer_size, 128 * MIB);
	assert_true(cfg.cleaner.enabled);
	assert_int_equal(cfg.cleaner.threads, 1);
	assert_true(cfg.cleaner.load_factor == 0.9);

	/* 0.9.0.0: 500 MiB, cleaner off by default (KAFKA-2988 changed both) */
	ksd_config_init(&cfg);
	assert_true(ksd_kversion_parse("0.9.0.0", &cfg.kafka_version));
	ksd_config_resolve_defaults(&cfg);
	assert_int_equal(cfg.cleaner.dedupe_buffer_size, 500 * MIB);
	assert_false(cfg.cleaner.enabled);
	assert_int_equal(ksd_cleaner_capacity(&cfg.cleaner), 19660799);

	ksd_config_init(&cfg);
	assert_true(ksd_kversion_parse("0.8.2.2", &cfg.kafka_version));
	ksd_config_resolve_defaults(&cfg);
	assert_int_equal(cfg.cleaner.dedupe_buffer_size, 500 * MIB);
	assert_false(cfg.cleaner.enabled);

	ksd_config_init(&cfg);
	assert_true(ksd_kversion_parse("0.9.0.1", &cfg.kafka_version));
	ksd_config_resolve_defaults(&cfg);
	assert_int_equal(cfg.cleaner.dedupe_buffer_size, 128 * MIB);
	assert_true(cfg.cleaner.enabled);
	assert_int_equal(ksd_cleaner_capacity(&cfg.cleaner), 5033164);

	ksd_config_init(&cfg);
	assert_true(ksd_kversion_parse("3.7.0", &cfg.kafka_version));
	ksd_config_resolve_defaults(&cfg);
	assert_int_equal(cfg.cleaner.dedupe_buffer_size, 128 * MIB);
	assert_true(cfg.cleaner.enabled);

	/* Explicit settings survive the version defaults. */
	ksd_config_init(&cfg);
	assert_true(ksd_kversion_parse("0.9.0.0", &cfg.kafka_version));
	cfg.cleaner.dedupe_buffer_size = 2 * GIB;
	cfg.cleaner.buffer_given = true;
	cfg.cleaner.enabled = true;
	cfg.cleaner.enabled_given = true;
	cfg.cleaner.threads = 4;
	cfg.cleaner.threads_given = true;
	cfg.cleaner.load_factor = 0.5;
	cfg.cleaner.load_factor_given = true;
	ksd_config_resolve_defaults(&cfg);
	assert_int_equal(cfg.cleaner.dedupe_buffer_size, 2 * GIB);
	assert_true(cfg.cleaner.enabled);
	assert_int_equal(cfg.cleaner.threads, 4);
	assert_true(cfg.cleaner.load_factor == 0.5);
}

/* --- server.properties --------------------------------------------------- */

typedef struct tmp_path {
	char path[64];
} tmp_path;

static void write_tmp(tmp_path *t, const char *text)
{
	snprintf(t->path, sizeof t->path, "/tmp/ksd-test-props-XXXXXX");
	int fd = mkstemp(t->path);
	assert_true(fd >= 0);
	size_t n = strlen(text);
	assert_int_equal(write(fd, text, n), (ssize_t)n);
	close(fd);
}

static void free_dirs(char **dirs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(dirs[i]);
	free(dirs);
}

static ksd_err load(ksd_config *cfg, const char *text, char ***dirs, size_t *ndirs,
		    char *errbuf, size_t errlen)
{
	tmp_path t;
	write_tmp(&t, text);
	ksd_err err = ksd_config_load_properties(cfg, t.path, dirs, ndirs, errbuf, errlen);
	unlink(t.path);
	return err;
}

static void test_properties_basic(void **state)
{
	(void)state;
	ksd_config cfg;
	ksd_config_init(&cfg);
	char **dirs = NULL;
	size_t ndirs = 99;
	char err[256] = "";
	ksd_err rc = load(&cfg,
		"# Licensed to the Apache Software Foundation\n"
		"! a bang comment: log.cleaner.threads=7\n"
		"\n"
		"broker.id=0\n"
		"   log.dirs=/a,/b\n"
		"log.cleaner.dedupe.buffer.size=536870912\n"
		"log.cleaner.threads:2\n"
		"log.cleaner.io.buffer.load.factor = 0.75\n"
		"log.cleaner.enable   false\n"
		"#log.cleaner.threads=9\n"
		"num.network.threads=3\n",
		&dirs, &ndirs, err, sizeof err);
	assert_int_equal(rc, KSD_OK);
	assert_int_equal(ndirs, 2);
	assert_string_equal(dirs[0], "/a");
	assert_string_equal(dirs[1], "/b");
	free_dirs(dirs, ndirs);
	assert_int_equal(cfg.cleaner.dedupe_buffer_size, 512 * MIB);
	assert_true(cfg.cleaner.buffer_given);
	assert_int_equal(cfg.cleaner.threads, 2);
	assert_true(cfg.cleaner.threads_given);
	assert_true(cfg.cleaner.load_factor == 0.75);
	assert_true(cfg.cleaner.load_factor_given);
	assert_false(cfg.cleaner.enabled);
	assert_true(cfg.cleaner.enabled_given);
	/* Values from the file are not replaced by version defaults. */
	assert_true(ksd_kversion_parse("0.9.0.0", &cfg.kafka_version));
	ksd_config_resolve_defaults(&cfg);
	assert_int_equal(cfg.cleaner.dedupe_buffer_size, 512 * MIB);
	assert_int_equal(cfg.cleaner.threads, 2);
	/* 256 MiB per thread, x0.75 */
	assert_int_equal(ksd_cleaner_capacity(&cfg.cleaner), 8388607);
}

static void test_properties_separators_and_dirs(void **state)
{
	(void)state;
	ksd_config cfg;
	char **dirs = NULL;
	size_t ndirs = 0;

	/* ':' and whitespace separators; spaces around log.dirs entries; empty
	 * entries skipped; Windows line endings. */
	ksd_config_init(&cfg);
	assert_int_equal(load(&cfg,
		"log.dirs : /data/k1 , /data/k2,,/data/k3 \r\n"
		"log.cleaner.threads 3\r\n",
		&dirs, &ndirs, NULL, 0), KSD_OK);
	assert_int_equal(ndirs, 3);
	assert_string_equal(dirs[0], "/data/k1");
	assert_string_equal(dirs[1], "/data/k2");
	assert_string_equal(dirs[2], "/data/k3");
	free_dirs(dirs, ndirs);
	assert_int_equal(cfg.cleaner.threads, 3);

	/* log.dir alone is used ... */
	ksd_config_init(&cfg);
	assert_int_equal(load(&cfg, "log.dir=/only\n", &dirs, &ndirs, NULL, 0), KSD_OK);
	assert_int_equal(ndirs, 1);
	assert_string_equal(dirs[0], "/only");
	free_dirs(dirs, ndirs);

	/* ... but log.dirs wins over log.dir in either order (KafkaConfig) */
	ksd_config_init(&cfg);
	assert_int_equal(load(&cfg, "log.dir=/single\nlog.dirs=/x,/y\n",
			      &dirs, &ndirs, NULL, 0), KSD_OK);
	assert_int_equal(ndirs, 2);
	assert_string_equal(dirs[0], "/x");
	free_dirs(dirs, ndirs);
	ksd_config_init(&cfg);
	assert_int_equal(load(&cfg, "log.dirs=/x,/y\nlog.dir=/single\n",
			      &dirs, &ndirs, NULL, 0), KSD_OK);
	assert_int_equal(ndirs, 2);
	assert_string_equal(dirs[1], "/y");
	free_dirs(dirs, ndirs);

	/* A repeated key takes its last value (java.util.Properties). */
	ksd_config_init(&cfg);
	assert_int_equal(load(&cfg, "log.dir=/first\nlog.dir=/second\n",
			      &dirs, &ndirs, NULL, 0), KSD_OK);
	assert_int_equal(ndirs, 1);
	assert_string_equal(dirs[0], "/second");
	free_dirs(dirs, ndirs);
	ksd_config_init(&cfg);
	assert_int_equal(load(&cfg, "log.dirs=/a\nlog.dirs=/b,/c\n",
			      &dirs, &ndirs, NULL, 0), KSD_OK);
	assert_int_equal(ndirs, 2);
	assert_string_equal(dirs[0], "/b");
	free_dirs(dirs, ndirs);

	/* No log.dirs at all: an empty list. */
	ksd_config_init(&cfg);
	static char *sentinel[1];
	dirs = sentinel; /* must be overwritten */
	ndirs = 5;
	assert_int_equal(load(&cfg, "broker.id=1\n", &dirs, &ndirs, NULL, 0), KSD_OK);
	assert_null(dirs);
	assert_int_equal(ndirs, 0);

	/* log_dirs may be NULL when the caller only wants cleaner settings. */
	ksd_config_init(&cfg);
	assert_int_equal(load(&cfg, "log.dirs=/a\nlog.cleaner.threads=5\n", NULL, NULL,
			      NULL, 0), KSD_OK);
	assert_int_equal(cfg.cleaner.threads, 5);
}

static void test_properties_enable_values(void **state)
{
	(void)state;
	ksd_config cfg;
	/* ConfigDef BOOLEAN ignores case */
	ksd_config_init(&cfg);
	cfg.cleaner.enabled = false;
	assert_int_equal(load(&cfg, "log.cleaner.enable=True\n", NULL, NULL, NULL, 0), KSD_OK);
	assert_true(cfg.cleaner.enabled);
	ksd_config_init(&cfg);
	assert_int_equal(load(&cfg, "log.cleaner.enable=FALSE\n", NULL, NULL, NULL, 0), KSD_OK);
	assert_false(cfg.cleaner.enabled);
	/* and refuses anything else */
	ksd_config_init(&cfg);
	assert_int_equal(load(&cfg, "log.cleaner.enable=yes\n", NULL, NULL, NULL, 0),
			 KSD_ERR_INVAL);
}

static void test_properties_invalid(void **state)
{
	(void)state;
	static const char *const bad[] = {
		"log.cleaner.dedupe.buffer.size=lots\n",
		"log.cleaner.dedupe.buffer.size=-1\n",
		"log.cleaner.dedupe.buffer.size=12MB\n",
		"log.cleaner.dedupe.buffer.size=\n",
		"log.cleaner.dedupe.buffer.size=99999999999999999999999\n",
		"log.cleaner.threads=two\n",
		"log.cleaner.threads=0x2\n",
		"log.cleaner.io.buffer.load.factor=1.5\n",
		"log.cleaner.io.buffer.load.factor=0\n",
		"log.cleaner.io.buffer.load.factor=nan\n",
		"log.cleaner.io.buffer.load.factor=0.9x\n",
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		ksd_config cfg;
		ksd_config_init(&cfg);
		char err[256] = "";
		char text[256];
		snprintf(text, sizeof text, "# header\nbroker.id=0\n%s", bad[i]);
		char **dirs = NULL;
		size_t ndirs = 0;
		ksd_err rc = load(&cfg, text, &dirs, &ndirs, err, sizeof err);
		if (rc != KSD_ERR_INVAL)
			fail_msg("%s: expected KSD_ERR_INVAL, got %d", bad[i], rc);
		/* the message names the line */
		assert_non_null(strstr(err, ":3: invalid value"));
		assert_null(dirs);
		/* nothing from the bad line was applied */
		assert_int_equal(cfg.cleaner.dedupe_buffer_size, 128 * MIB);
		assert_int_equal(cfg.cleaner.threads, 1);
	}

	/* A missing file */
	ksd_config cfg;
	ksd_config_init(&cfg);
	char err[256] = "";
	assert_int_equal(ksd_config_load_properties(&cfg, "/nonexistent/ksd/server.properties",
						    NULL, NULL, err, sizeof err),
			 KSD_ERR_NOENT);
	assert_non_null(strstr(err, "cannot open"));
}

/* Settings given on the command line win over the file. */
static void test_properties_explicit_wins(void **state)
{
	(void)state;
	ksd_config cfg;
	ksd_config_init(&cfg);
	cfg.cleaner.dedupe_buffer_size = 4 * GIB;
	cfg.cleaner.buffer_given = true;
	cfg.cleaner.threads = 2;
	cfg.cleaner.threads_given = true;
	cfg.cleaner.load_factor = 1.0;
	cfg.cleaner.load_factor_given = true;
	cfg.cleaner.enabled = true;
	cfg.cleaner.enabled_given = true;
	assert_int_equal(load(&cfg,
		"log.cleaner.dedupe.buffer.size=134217728\n"
		"log.cleaner.threads=8\n"
		"log.cleaner.io.buffer.load.factor=0.5\n"
		"log.cleaner.enable=false\n",
		NULL, NULL, NULL, 0), KSD_OK);
	assert_int_equal(cfg.cleaner.dedupe_buffer_size, 4 * GIB);
	assert_int_equal(cfg.cleaner.threads, 2);
	assert_true(cfg.cleaner.load_factor == 1.0);
	assert_true(cfg.cleaner.enabled);
	ksd_config_resolve_defaults(&cfg);
	assert_int_equal(ksd_cleaner_capacity(&cfg.cleaner), 89478485);

	/* Partly given: the rest comes from the file. */
	ksd_config_init(&cfg);
	cfg.cleaner.threads = 2;
	cfg.cleaner.threads_given = true;
	assert_int_equal(load(&cfg,
		"log.cleaner.dedupe.buffer.size=268435456\n"
		"log.cleaner.threads=8\n",
		NULL, NULL, NULL, 0), KSD_OK);
	assert_int_equal(cfg.cleaner.dedupe_buffer_size, 256 * MIB);
	assert_int_equal(cfg.cleaner.threads, 2);
	ksd_config_resolve_defaults(&cfg);
	assert_int_equal(ksd_cleaner_capacity(&cfg.cleaner), 5033164);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kversion_parse),
		cmocka_unit_test(test_kversion_cmp),
		cmocka_unit_test(test_kversion_at_least),
		cmocka_unit_test(test_cleaner_capacity),
		cmocka_unit_test(test_resolve_defaults),
		cmocka_unit_test(test_properties_basic),
		cmocka_unit_test(test_properties_separators_and_dirs),
		cmocka_unit_test(test_properties_enable_values),
		cmocka_unit_test(test_properties_invalid),
		cmocka_unit_test(test_properties_explicit_wins),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
