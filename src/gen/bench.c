/*
 * gen/bench.c - large healthy log dirs for benchmarks.
 *
 * Speed matters here (perf-limits.md): content comes from one text pool
 * built once per run and sliced by an xorshift generator, records point
 * into the pool (no copying, no per-batch malloc), batches are encoded into
 * one reused stage buffer and written through the segment builder's 8 MiB
 * write buffer.  Segments roll at segment_bytes like Log.maybeRoll.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gen/parts.h"
#include "gen/scenario.h"

#define POOL_BYTES (1u << 20)
#define KEY_POOL 4096
#define KEY_LEN 13 /* "user-NNNNNNNN" */

void ksd_gen_bench_opts_init(ksd_gen_bench_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->partitions = 8;
	o->batch_bytes = 16384;
	o->codec = KSD_CODEC_NONE;
	o->seed = 1;
	o->segment_bytes = 0; /* auto, see bench_segment_bytes() */
}

/* 256 MiB segments, smaller when a partition gets less than 1 GiB so that
 * every partition still has about four segments (several .index files and
 * rolls to check), but never below 1 MiB. */
static uint64_t bench_segment_bytes(const ksd_gen_bench_opts *o)
{
	if (o->segment_bytes)
		return o->segment_bytes;
	uint64_t per = o->total_bytes / (uint64_t)o->partitions / 4;
	uint64_t seg = (uint64_t)256 << 20;
	if (per < seg)
		seg = per < (1u << 20) ? (1u << 20) : per;
	return seg;
}

typedef struct bench_pool {
	char text[POOL_BYTES];
	char keys[KEY_POOL][KEY_LEN + 1];
} bench_pool;

static const char *const bench_words[] = {
	"order",   "created", "shipped", "customer", "amount", "EUR",
	"USD",     "status",  "pending", "paid",     "item",   "sku",
	"warehouse", "berlin", "lisbon", "osaka",   "retry",  "ok",
	"session", "device",  "android", "ios",     "web",    "latency",
};
#define N_BENCH_WORDS (sizeof(bench_words) / sizeof(bench_words[0]))

/* Printable, compressible, not constant: words, numbers and punctuation. */
static void pool_init(bench_pool *pool, gen_rng *rng)
{
	size_t at = 0;
	while (at < POOL_BYTES - 32) {
		uint64_t r = gen_rng_next(rng);
		const char *w = bench_words[r % N_BENCH_WORDS];
		size_t n = strlen(w);
		memcpy(pool->text + at, w, n);
		at += n;
		if ((r >> 8) % 4 == 0) {
			at += (size_t)snprintf(pool->text + at, 16, "=%u",
					       (unsigned)(r >> 16) % 100000);
		}
		pool->text[at++] = (r >> 40) % 8 == 0 ? ',' : ' ';
	}
	memset(pool->text + at, ' ', POOL_BYTES - at);
	for (int i = 0; i < KEY_POOL; i++)
		snprintf(pool->keys[i], sizeof(pool->keys[i]), "user-%08u",
			 (unsigned)(gen_rng_next(rng) % 100000000));
}

/* Fills records until about `target` payload bytes; returns the count. */
static int32_t bench_records(const bench_pool *pool, gen_rng *rng,
			     gen_batch_arena *a, size_t target)
{
	size_t bytes = 0;
	int32_t n = 0;
	while (bytes < target && n < GEN_MAX_BATCH_RECORDS) {
		uint64_t r = gen_rng_next(rng);
		uint32_t vlen = 100 + (uint32_t)(r % 601); /* 100..700 */
		uint32_t voff = (uint32_t)(r >> 20) % (POOL_BYTES - vlen);
		ksd_gen_record *rec = &a->recs[n];
		rec->offset_delta = 0;
		rec->timestamp_delta = n;
		rec->key = pool->keys[(r >> 50) % KEY_POOL];
		rec->key_len = KEY_LEN;
		rec->value = pool->text + voff;
		rec->value_len = (int32_t)vlen;
		rec->headers = NULL;
		rec->header_count = 0;
		bytes += KEY_LEN + vlen + 8;
		n++;
	}
	return n;
}

static ksd_err bench_partition(gen_logdir *ld, gen_env *env,
			       const bench_pool *pool,
			       const ksd_gen_bench_opts *o, int32_t partition,
			       uint64_t bytes, ksd_gen_bench_stats *st)
{
	gen_part p;
	gen_rng rng;
	gen_rng_seed(&rng, o->seed * 0x9E3779B97F4A7C15u + (uint64_t)partition);
	ksd_err err = gen_part_begin(&p, ld, env->ctx, "bench", partition,
				     GEN_ERA_MODERN, 0);
	p.segment_bytes = bench_segment_bytes(o);
	uint64_t written = 0;
	st->segments++;
	while (!err && written < bytes) {
		int32_t n = bench_records(pool, &rng, env->arena,
					  o->batch_bytes);
		ksd_gen_batch_spec s;
		ksd_gen_batch_spec_init(&s);
		s.base_offset = p.next_offset;
		s.codec = o->codec;
		s.base_timestamp = p.clock;
		s.records = env->arena->recs;
		s.record_count = n;
		int64_t base = p.seg.base_offset;
		err = gen_part_append_v2(&p, &s);
		st->segments += p.seg.base_offset != base;
		written += p.last.info.size;
		st->batches++;
		st->records += (uint64_t)n;
		p.clock += n;
	}
	st->log_bytes += written;
	if (err) {
		gen_part_free(&p);
		return err;
	}
	return gen_part_finish(&p);
}

ksd_err ksd_gen_bench(const char *dir, const ksd_gen_bench_opts *opts,
		      ksd_gen_bench_stats *stats)
{
	ksd_gen_bench_stats local;
	const ksd_gen_bench_opts *o = opts;
	if (!stats)
		stats = &local;
	memset(stats, 0, sizeof(*stats));
	if (o->partitions <= 0 || o->partitions > GEN_MAX_PARTITIONS ||
	    o->batch_bytes == 0 ||
	    (o->segment_bytes && o->segment_bytes < 4096) ||
	    o->segment_bytes > INT32_MAX || (unsigned)o->codec > KSD_CODEC_ZSTD)
		return KSD_ERR_INVAL;
	bench_pool *pool = malloc(sizeof(*pool));
	gen_logdir *ld = malloc(sizeof(*ld));
	gen_env env = { 0 };
	ksd_err err = pool && ld ? gen_env_init(&env) : KSD_ERR_NOMEM;
	if (!err) {
		gen_rng rng;
		gen_rng_seed(&rng, o->seed);
		pool_init(pool, &rng);
		err = gen_logdir_begin(ld, dir);
	}
	uint64_t share = o->total_bytes / (uint64_t)o->partitions;
	for (int32_t i = 0; !err && i < o->partitions; i++) {
		uint64_t bytes = i == o->partitions - 1
					 ? o->total_bytes - share * (uint64_t)i
					 : share;
		err = bench_partition(ld, &env, pool, o, i, bytes, stats);
	}
	if (!err)
		err = gen_logdir_finish(ld);
	gen_env_free(&env);
	free(ld);
	free(pool);
	return err;
}
