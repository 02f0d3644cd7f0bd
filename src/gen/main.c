/*
 * gen/main.c - `ksd-gen`, the fixture generator program.
 *
 *   ksd-gen demo DIR
 *   ksd-gen scenario NAME DIR
 *   ksd-gen scenario --list
 *   ksd-gen bench DIR --bytes N [--partitions P] [--batch-bytes B]
 *                     [--codec none|gzip|snappy|lz4|zstd] [--seed S]
 *                     [--segment-bytes S]
 *
 * Exit codes: 0 success, 1 generation failed, 2 usage error.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gen/scenario.h"

enum { EXIT_GEN_FAILED = 1, EXIT_USAGE = 2 };

static void usage(FILE *out)
{
	size_t n;
	const ksd_gen_scenario_info *sc = ksd_gen_scenarios(&n);
	fprintf(out,
		"usage: ksd-gen demo DIR\n"
		"       ksd-gen scenario NAME DIR\n"
		"       ksd-gen scenario --list\n"
		"       ksd-gen bench DIR --bytes N [--partitions P] "
		"[--batch-bytes B]\n"
		"                [--codec none|gzip|snappy|lz4|zstd] [--seed S] "
		"[--segment-bytes S]\n"
		"\n"
		"Writes Kafka log dirs for tests, `make demo` and benchmarks.\n"
		"  demo      DIR/kafka-logs-1 and DIR/kafka-logs-2 of one "
		"sample broker\n"
		"  scenario  DIR is one log dir root holding exactly one "
		"pathology:\n");
	for (size_t i = 0; i < n; i++)
		fprintf(out, "    %-24s %s\n", sc[i].name, sc[i].summary);
	fprintf(out,
		"  bench     a large healthy log dir of N bytes (sizes accept "
		"K, M, G)\n"
		"\n"
		"Exit status: 0 success, 1 generation failed, 2 usage error.\n");
}

static int fail(const char *what, ksd_err err)
{
	int saved = errno;
	if (err == KSD_ERR_IO)
		fprintf(stderr, "ksd-gen: %s: %s (%s)\n", what,
			ksd_strerror(err), strerror(saved));
	else
		fprintf(stderr, "ksd-gen: %s: %s\n", what, ksd_strerror(err));
	return EXIT_GEN_FAILED;
}

static int usage_error(const char *msg, const char *arg)
{
	fprintf(stderr, "ksd-gen: %s%s%s\n", msg, arg ? ": " : "",
		arg ? arg : "");
	fprintf(stderr, "try 'ksd-gen --help'\n");
	return EXIT_USAGE;
}

/* "123", "16K", "256M", "1G" (binary multiples). */
static bool parse_size(const char *s, uint64_t *out)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || end == s || *s == '-')
		return false;
	unsigned shift = 0;
	switch (*end) {
	case '\0': break;
	case 'k': case 'K': shift = 10; end++; break;
	case 'm': case 'M': shift = 20; end++; break;
	case 'g': case 'G': shift = 30; end++; break;
	default: return false;
	}
	if (*end != '\0' || v > (UINT64_MAX >> shift))
		return false;
	*out = (uint64_t)v << shift;
	return true;
}

static bool parse_codec(const char *s, ksd_codec *out)
{
	static const char *const names[] = { "none", "gzip", "snappy", "lz4",
					     "zstd" };
	for (int i = 0; i < 5; i++) {
		if (strcmp(s, names[i]) == 0) {
			*out = (ksd_codec)i;
			return true;
		}
	}
	return false;
}

static int cmd_demo(int argc, char **argv)
{
	if (argc != 3)
		return usage_error("demo takes exactly one DIR", NULL);
	ksd_err err = ksd_gen_demo(argv[2]);
	if (err)
		return fail("demo", err);
	printf("ksd-gen: demo broker written to %s (kafka-logs-1, "
	       "kafka-logs-2)\n", argv[2]);
	return 0;
}

static int cmd_scenario(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[2], "--list") == 0) {
		size_t n;
		const ksd_gen_scenario_info *sc = ksd_gen_scenarios(&n);
		for (size_t i = 0; i < n; i++)
			printf("%s\n", sc[i].name);
		return 0;
	}
	if (argc != 4)
		return usage_error("scenario takes NAME and DIR", NULL);
	char note[512] = "";
	ksd_err err = ksd_gen_scenario(argv[2], argv[3], note, sizeof(note));
	if (err == KSD_ERR_NOENT)
		return usage_error("unknown scenario", argv[2]);
	if (err)
		return fail(argv[2], err);
	printf("%s: %s\n", argv[2], note);
	return 0;
}

/* Declarative option table for `bench`: name, kind, destination. */
enum opt_kind { OPT_SIZE, OPT_INT, OPT_CODEC };

typedef struct bench_cli {
	ksd_gen_bench_opts o;
	uint64_t partitions, batch_bytes;
	bool have_bytes;
} bench_cli;

static bool bench_option(bench_cli *c, const char *name, const char *val)
{
	static const struct {
		const char *name;
		enum opt_kind kind;
		size_t off;
	} opts[] = {
		{ "--bytes", OPT_SIZE, offsetof(bench_cli, o.total_bytes) },
		{ "--partitions", OPT_INT, offsetof(bench_cli, partitions) },
		{ "--batch-bytes", OPT_SIZE, offsetof(bench_cli, batch_bytes) },
		{ "--seed", OPT_INT, offsetof(bench_cli, o.seed) },
		{ "--segment-bytes", OPT_SIZE,
		  offsetof(bench_cli, o.segment_bytes) },
		{ "--codec", OPT_CODEC, offsetof(bench_cli, o.codec) },
	};
	for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++) {
		if (strcmp(name, opts[i].name) != 0)
			continue;
		void *dst = (char *)c + opts[i].off;
		if (opts[i].kind == OPT_CODEC)
			return parse_codec(val, dst);
		if (opts[i].kind == OPT_INT && strpbrk(val, "kKmMgG"))
			return false;
		if (strcmp(name, "--bytes") == 0)
			c->have_bytes = true;
		return parse_size(val, dst);
	}
	return false;
}

static double now_seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmd_bench(int argc, char **argv)
{
	bench_cli c = { .partitions = 8, .batch_bytes = 16384 };
	ksd_gen_bench_opts_init(&c.o);
	if (argc < 3 || argv[2][0] == '-')
		return usage_error("bench takes DIR first", NULL);
	for (int i = 3; i < argc; i += 2) {
		if (i + 1 >= argc)
			return usage_error("option needs a value", argv[i]);
		if (!bench_option(&c, argv[i], argv[i + 1]))
			return usage_error("bad option or value", argv[i]);
	}
	if (!c.have_bytes)
		return usage_error("bench needs --bytes N", NULL);
	if (c.partitions == 0 || c.partitions > 256)
		return usage_error("--partitions must be 1..256", NULL);
	c.o.partitions = (int)c.partitions;
	c.o.batch_bytes = (size_t)c.batch_bytes;
	ksd_gen_bench_stats st;
	double t0 = now_seconds();
	ksd_err err = ksd_gen_bench(argv[2], &c.o, &st);
	if (err)
		return fail("bench", err);
	double secs = now_seconds() - t0;
	printf("ksd-gen: bench wrote %llu log bytes, %llu batches, %llu "
	       "records, %u segments in %.2f s (%.0f MB/s)\n",
	       (unsigned long long)st.log_bytes,
	       (unsigned long long)st.batches,
	       (unsigned long long)st.records, st.segments, secs,
	       secs > 0 ? (double)st.log_bytes / secs / 1e6 : 0.0);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return usage_error("missing command", NULL);
	const char *cmd = argv[1];
	if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 ||
	    strcmp(cmd, "help") == 0) {
		usage(stdout);
		return 0;
	}
	if (strcmp(cmd, "demo") == 0)
		return cmd_demo(argc, argv);
	if (strcmp(cmd, "scenario") == 0)
		return cmd_scenario(argc, argv);
	if (strcmp(cmd, "bench") == 0)
		return cmd_bench(argc, argv);
	return usage_error("unknown command", cmd);
}
