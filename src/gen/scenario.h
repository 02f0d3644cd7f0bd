/*
 * gen/scenario.h - whole log dirs: single-pathology scenarios for CLI tests,
 * the two-dir demo broker, and large healthy log dirs for benchmarks.
 */
#ifndef KSD_GEN_SCENARIO_H
#define KSD_GEN_SCENARIO_H

#include <stddef.h>
#include <stdint.h>

#include "gen/writer.h"

typedef struct ksd_gen_scenario_info {
	const char *name;
	const char *summary; /* one line for --help */
} ksd_gen_scenario_info;

/* The scenario table; *n receives its length. */
const ksd_gen_scenario_info *ksd_gen_scenarios(size_t *n);

/*
 * Writes scenario `name` with `dir` as the log dir root (meta.properties,
 * checkpoints, .kafka_cleanshutdown, .lock, partition dirs).  On success
 * `note` (if non-NULL) receives one line saying where the defect is.
 * KSD_ERR_NOENT for an unknown name.
 */
ksd_err ksd_gen_scenario(const char *name, const char *dir, char *note,
			 size_t note_cap);

/* The sample broker of `make demo`: dir/kafka-logs-1 and dir/kafka-logs-2. */
ksd_err ksd_gen_demo(const char *dir);

typedef struct ksd_gen_bench_opts {
	uint64_t total_bytes;   /* .log bytes to write in all */
	int partitions;         /* default 8 */
	size_t batch_bytes;     /* uncompressed batch target, default 16 KiB */
	ksd_codec codec;        /* default none */
	uint64_t seed;          /* default 1 */
	/* segment.bytes; 0 = 256 MiB, or a quarter of a partition's share
	 * when that is smaller (at least 1 MiB) so there are several. */
	uint64_t segment_bytes;
} ksd_gen_bench_opts;

typedef struct ksd_gen_bench_stats {
	uint64_t log_bytes;
	uint64_t batches;
	uint64_t records;
	uint32_t segments;
} ksd_gen_bench_stats;

void ksd_gen_bench_opts_init(ksd_gen_bench_opts *o);
/* A large healthy log dir at `dir` (bench-0 .. bench-<P-1>). */
ksd_err ksd_gen_bench(const char *dir, const ksd_gen_bench_opts *opts,
		      ksd_gen_bench_stats *stats);

#endif
