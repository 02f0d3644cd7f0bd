/*
 * gen/parts.c - builders of whole partitions of known shape (see parts.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gen/parts.h"

#define OFFSETS_TOPIC "__consumer_offsets"
#define OFFSETS_PARTITIONS 50 /* offsets.topic.num.partitions default */

ksd_err gen_env_init(gen_env *env)
{
	env->arena = malloc(sizeof(*env->arena));
	if (!env->arena)
		return KSD_ERR_NOMEM;
	ksd_err err = ksd_gen_ctx_new(&env->ctx);
	if (err) {
		free(env->arena);
		env->arena = NULL;
	}
	return err;
}

void gen_env_free(gen_env *env)
{
	ksd_gen_ctx_free(env->ctx);
	free(env->arena);
	env->ctx = NULL;
	env->arena = NULL;
}

/* Common tail of every builder: finish on success, release on error. */
static ksd_err end_part(gen_part *p, ksd_err err)
{
	if (err) {
		gen_part_free(p);
		return err;
	}
	return gen_part_finish(p);
}

static const void *arena_copy(gen_batch_arena *a, const ksd_gen_buf *b)
{
	if (b->oom || b->len > sizeof(a->text) - a->used)
		return NULL;
	void *dst = a->text + a->used;
	memcpy(dst, b->data, b->len);
	a->used += b->len;
	return dst;
}

/* ---- healthy v2 events ------------------------------------------------- */

ksd_err gen_build_events(gen_logdir *ld, gen_env *env, const char *topic,
			 int32_t partition, int batches,
			 uint64_t segment_bytes)
{
	static const ksd_codec codecs[] = { KSD_CODEC_NONE, KSD_CODEC_GZIP,
					    KSD_CODEC_SNAPPY, KSD_CODEC_LZ4,
					    KSD_CODEC_ZSTD };
	gen_part p;
	ksd_err err = gen_part_begin(&p, ld, env->ctx, topic, partition,
				     GEN_ERA_MODERN, 0);
	p.segment_bytes = segment_bytes;
	for (int b = 0; !err && b < batches; b++) {
		int32_t n = 5 + (int32_t)gen_rng_below(&p.rng, 36);
		gen_event_records(env->arena, &p.rng, n, true);
		ksd_gen_batch_spec s;
		ksd_gen_batch_spec_init(&s);
		s.base_offset = p.next_offset;
		/* a leader change half way: epoch 1 starts there */
		s.partition_leader_epoch = b >= batches / 2 ? 1 : 0;
		s.codec = codecs[b % 5];
		s.base_timestamp = p.clock;
		s.records = env->arena->recs;
		s.record_count = n;
		err = gen_part_append_v2(&p, &s);
		p.clock += n + gen_rng_below(&p.rng, 2000);
	}
	return end_part(&p, err);
}

/* ---- healthy transactions ---------------------------------------------- */

static ksd_err txn_batch(gen_part *p, gen_env *env, ksd_codec codec)
{
	int32_t n = 5 + (int32_t)gen_rng_below(&p->rng, 20);
	gen_event_records(env->arena, &p->rng, n, false);
	ksd_gen_batch_spec s;
	ksd_gen_batch_spec_init(&s);
	s.base_offset = p->next_offset;
	s.codec = codec;
	s.transactional = true;
	s.producer_id = p->producer.producer_id;
	s.producer_epoch = p->producer.epoch;
	s.base_sequence = p->producer.next_sequence;
	s.base_timestamp = p->clock;
	s.records = env->arena->recs;
	s.record_count = n;
	p->clock += n + gen_rng_below(&p->rng, 50);
	return gen_part_append_v2(p, &s);
}

ksd_err gen_build_txn(gen_logdir *ld, gen_env *env, const char *topic,
		      int32_t partition, int transactions)
{
	gen_part p;
	ksd_err err = gen_part_begin(&p, ld, env->ctx, topic, partition,
				     GEN_ERA_MODERN, 0);
	p.segment_bytes = 16384;
	p.producer.producer_id = 1000;
	p.producer.epoch = 3;
	for (int t = 0; !err && t < transactions; t++) {
		int nb = 2 + (int)gen_rng_below(&p.rng, 2);
		for (int k = 0; !err && k < nb; k++)
			err = txn_batch(&p, env,
					k % 2 ? KSD_CODEC_ZSTD : KSD_CODEC_LZ4);
		if (!err)
			err = gen_part_append_marker(&p, KSD_GEN_CONTROL_COMMIT,
						     7);
		p.clock += 5;
	}
	return end_part(&p, err);
}

/* ---- __consumer_offsets content ---------------------------------------- */

#define KEY_TOPICS 5
#define KEY_PARTITIONS 10
static const char *const key_topics[KEY_TOPICS] = { "events", "orders",
						    "payments", "clicks",
						    "audit" };

/* The i-th distinct offset-commit key of a __consumer_offsets partition:
 * groups that really hash there x 5 topics x 10 partitions. */
typedef struct offsets_keys {
	char groups[64][40];
	int n_groups;
} offsets_keys;

static void offsets_keys_init(offsets_keys *k, int32_t partition, int groups)
{
	k->n_groups = groups > 64 ? 64 : groups;
	for (int g = 0; g < k->n_groups; g++)
		gen_group_for_partition(partition, g, k->groups[g],
					sizeof(k->groups[g]));
}

static int offsets_keys_count(const offsets_keys *k)
{
	return k->n_groups * KEY_TOPICS * KEY_PARTITIONS;
}

/* Encodes key i and a value into the arena as one record's key/value. */
static void commit_record(gen_batch_arena *a, ksd_gen_buf *tmp,
			  const offsets_keys *k, int i, int value_version,
			  int64_t consumer_offset, int64_t commit_ts,
			  const void **key, int32_t *key_len,
			  const void **value, int32_t *value_len)
{
	int per_group = KEY_TOPICS * KEY_PARTITIONS;
	i %= offsets_keys_count(k);
	ksd_gen_buf_clear(tmp);
	ksd_gen_offset_commit_key(tmp, k->groups[i / per_group],
				  key_topics[(i % per_group) / KEY_PARTITIONS],
				  i % KEY_PARTITIONS);
	*key = arena_copy(a, tmp);
	*key_len = (int32_t)tmp->len;
	ksd_gen_buf_clear(tmp);
	if (value_version == 1) /* 0.9-2.0 */
		ksd_gen_offset_commit_value_v1(tmp, consumer_offset, "",
					       commit_ts,
					       commit_ts + 86400000);
	else /* KIP-320, 2.1+ */
		ksd_gen_offset_commit_value_v3(tmp, consumer_offset, 0, "",
					       commit_ts);
	*value = arena_copy(a, tmp);
	*value_len = (int32_t)tmp->len;
}

ksd_err gen_offset_commit_batches(gen_part *p, gen_env *env, int batches,
				  int records)
{
	offsets_keys keys;
	ksd_gen_buf tmp;
	ksd_err err = KSD_OK;
	offsets_keys_init(&keys, p->partition, 4);
	ksd_gen_buf_init(&tmp);
	for (int b = 0; !err && b < batches; b++) {
		gen_batch_arena *a = env->arena;
		a->used = 0;
		for (int r = 0; r < records && r < GEN_MAX_BATCH_RECORDS; r++) {
			ksd_gen_record *rec = &a->recs[r];
			memset(rec, 0, sizeof(*rec));
			rec->timestamp_delta = r;
			commit_record(a, &tmp, &keys, b * records + r, 3,
				      1000 + b, p->clock + r, &rec->key,
				      &rec->key_len, &rec->value,
				      &rec->value_len);
		}
		ksd_gen_batch_spec s;
		ksd_gen_batch_spec_init(&s);
		s.base_offset = p->next_offset;
		s.base_timestamp = p->clock;
		s.records = a->recs;
		s.record_count = records;
		err = gen_part_append_v2(p, &s);
		p->clock += 1000;
	}
	ksd_gen_buf_free(&tmp);
	return err;
}

/* One cleaned batch: original batch `orig` covered offsets orig*10 ..
 * orig*10+9; the deltas in keep[] survived.  The cleaner keeps the
 * original base offset and lastOffsetDelta (overrideLastOffset, so
 * producer sequences stay intact) and recomputes timestamps from the
 * retained records (MemoryRecords.filterTo). */
static ksd_err cleaned_batch(gen_part *p, gen_env *env, ksd_gen_buf *tmp,
			     const offsets_keys *k, int64_t orig,
			     const int *keep, int n_keep, int *next_key)
{
	gen_batch_arena *a = env->arena;
	int64_t orig_ts = p->clock;
	a->used = 0;
	for (int r = 0; r < n_keep; r++) {
		ksd_gen_record *rec = &a->recs[r];
		memset(rec, 0, sizeof(*rec));
		rec->offset_delta = keep[r];
		rec->timestamp_delta = keep[r] - keep[0];
		commit_record(a, tmp, k, (*next_key)++, 3, 500 + orig,
			      orig_ts + keep[r], &rec->key, &rec->key_len,
			      &rec->value, &rec->value_len);
	}
	ksd_gen_batch_spec s;
	ksd_gen_batch_spec_init(&s);
	s.base_offset = orig * 10;
	s.base_timestamp = orig_ts + keep[0];
	s.explicit_offset_deltas = true;
	s.set_last_offset_delta = true;
	s.last_offset_delta = 9;
	s.records = a->recs;
	s.record_count = n_keep;
	p->clock += 10 + gen_rng_below(&p->rng, 100);
	return gen_part_append_v2(p, &s);
}

/* A transaction whose records were all cleaned away: the empty batch is
 * kept to preserve the producer's sequence state (§1.4, KAFKA-5793),
 * followed by its COMMIT marker. */
static ksd_err empty_txn_batch(gen_part *p, int64_t base)
{
	ksd_gen_batch_spec s;
	ksd_gen_batch_spec_init(&s);
	s.base_offset = base;
	s.transactional = true;
	s.producer_id = p->producer.producer_id;
	s.producer_epoch = p->producer.epoch;
	s.base_sequence = 0;
	s.set_last_offset_delta = true;
	s.last_offset_delta = 2;
	s.base_timestamp = -1; /* writeEmptyHeader: no base timestamp */
	s.set_max_timestamp = true;
	s.max_timestamp = p->clock;
	ksd_err err = gen_part_append_v2(p, &s);
	if (!err)
		err = gen_part_append_marker(p, KSD_GEN_CONTROL_COMMIT, 2);
	p->clock += 100;
	return err;
}

/* Which of an original batch's 10 records survive (about 30%). */
static int pick_survivors(gen_rng *rng, int64_t orig, int *keep)
{
	int n = 0;
	for (int d = 0; d < 10; d++) {
		bool first = orig == 3; /* 30..36 cleaned: first record is 37 */
		if (first ? (d == 7 || d == 9) : gen_rng_below(rng, 10) < 3)
			keep[n++] = d;
	}
	return n;
}

static ksd_err cleaned_region(gen_part *p, gen_env *env, ksd_gen_buf *tmp,
			      const offsets_keys *k)
{
	int next_key = 0, keep[10];
	ksd_err err = KSD_OK;
	/* originals 0-2 (offsets 0-29) were cleaned away completely */
	for (int64_t orig = 3; !err && orig < 300; orig++) {
		if (orig == 150) /* cleaned away: segment 1500 starts at 1510 */
			err = gen_part_roll(p, 1500);
		else if (orig == 100)
			err = empty_txn_batch(p, 1000);
		else {
			int n = pick_survivors(&p->rng, orig, keep);
			if (n > 0)
				err = cleaned_batch(p, env, tmp, k, orig, keep,
						    n, &next_key);
		}
	}
	return err;
}

/* Dirty active segment: repeated keys, one group-metadata tombstone. */
static ksd_err active_offsets_segment(gen_part *p, gen_env *env,
				      ksd_gen_buf *tmp, const offsets_keys *k)
{
	ksd_err err = KSD_OK;
	for (int b = 0; !err && b < 20; b++) {
		gen_batch_arena *a = env->arena;
		a->used = 0;
		for (int r = 0; r < 5; r++) {
			ksd_gen_record *rec = &a->recs[r];
			memset(rec, 0, sizeof(*rec));
			rec->timestamp_delta = r;
			commit_record(a, tmp, k, (b * 5 + r) % 40, 3,
				      900 + b, p->clock + r, &rec->key,
				      &rec->key_len, &rec->value,
				      &rec->value_len);
		}
		if (b == 10) { /* group deleted: null value on its key */
			ksd_gen_buf_clear(tmp);
			ksd_gen_group_metadata_key(tmp, k->groups[0]);
			a->recs[0].key = arena_copy(a, tmp);
			a->recs[0].key_len = (int32_t)tmp->len;
			a->recs[0].value = NULL;
			a->recs[0].value_len = KSD_GEN_NULL;
		}
		ksd_gen_batch_spec s;
		ksd_gen_batch_spec_init(&s);
		s.base_offset = p->next_offset;
		s.base_timestamp = p->clock;
		s.records = a->recs;
		s.record_count = 5;
		err = gen_part_append_v2(p, &s);
		p->clock += 1000;
	}
	return err;
}

ksd_err gen_build_offsets_compacted(gen_logdir *ld, gen_env *env,
				    int32_t partition)
{
	offsets_keys keys;
	ksd_gen_buf tmp;
	gen_part p;
	offsets_keys_init(&keys, partition, 20); /* 1000 distinct keys */
	ksd_gen_buf_init(&tmp);
	ksd_err err = gen_part_begin(&p, ld, env->ctx, OFFSETS_TOPIC,
				     partition, GEN_ERA_MODERN, 0);
	p.producer.producer_id = 5000; /* a transactional offset committer */
	p.producer.epoch = 0;
	if (!err)
		err = cleaned_region(&p, env, &tmp, &keys);
	if (!err)
		err = gen_part_roll(&p, 3000);
	if (!err)
		err = active_offsets_segment(&p, env, &tmp, &keys);
	if (!err) /* cleaned up to the active segment */
		err = gen_logdir_set_cleaner(ld, OFFSETS_TOPIC, partition, 3000);
	ksd_gen_buf_free(&tmp);
	return end_part(&p, err);
}

/* ---- sparse __consumer_offsets (the headline) -------------------------- */

static ksd_err sparse_v0(gen_part *p, gen_env *env, ksd_gen_buf *tmp,
			 const offsets_keys *k, int64_t offset, int i)
{
	gen_batch_arena *a = env->arena;
	ksd_gen_message m = { .offset = offset, .timestamp = -1 };
	a->used = 0;
	commit_record(a, tmp, k, i, 1, 100000 + i, p->clock, &m.key,
		      &m.key_len, &m.value, &m.value_len);
	p->clock += 1000;
	ksd_gen_batch_info info;
	ksd_gen_buf_clear(&p->stage);
	ksd_err err = ksd_gen_encode_legacy(&p->stage, 0, &m, 0, &info);
	return err ? err : gen_part_place_stage(p, &info);
}

static ksd_err sparse_v2(gen_part *p, gen_env *env, ksd_gen_buf *tmp,
			 const offsets_keys *k, int64_t base, int j)
{
	gen_batch_arena *a = env->arena;
	/* three survivors of an original 10-offset batch; delta 9 is kept
	 * by overrideLastOffset even when its record is gone */
	int keep[3] = { (int)gen_rng_below(&p->rng, 3),
			3 + (int)gen_rng_below(&p->rng, 3),
			6 + (int)gen_rng_below(&p->rng, 4) };
	a->used = 0;
	for (int r = 0; r < 3; r++) {
		ksd_gen_record *rec = &a->recs[r];
		memset(rec, 0, sizeof(*rec));
		rec->offset_delta = keep[r];
		rec->timestamp_delta = keep[r] - keep[0];
		commit_record(a, tmp, k, 3 * j + r, 3, 100000 + j,
			      p->clock + keep[r], &rec->key, &rec->key_len,
			      &rec->value, &rec->value_len);
	}
	ksd_gen_batch_spec s;
	ksd_gen_batch_spec_init(&s);
	s.base_offset = base;
	s.base_timestamp = p->clock + keep[0];
	s.explicit_offset_deltas = true;
	s.set_last_offset_delta = true;
	s.last_offset_delta = 9;
	s.records = a->recs;
	s.record_count = 3;
	p->clock += 1000;
	return gen_part_append_v2(p, &s);
}

/* Segment 0: offsets spread evenly from 0 to exactly GEN_HEADLINE_LAST. */
static ksd_err sparse_segment(gen_part *p, gen_env *env, ksd_gen_buf *tmp,
			      const offsets_keys *k, int magic)
{
	ksd_err err = KSD_OK;
	if (magic == 0) {
		for (int i = 0; !err && i < 3000; i++)
			err = sparse_v0(p, env, tmp, k,
					i * GEN_HEADLINE_LAST / 2999, i);
		return err;
	}
	for (int j = 0; !err && j < 1000; j++)
		err = sparse_v2(p, env, tmp, k,
				j * (GEN_HEADLINE_LAST - 9) / 999, j);
	return err;
}

/* The next segment: dense, continuing at GEN_HEADLINE_LAST + 1. */
static ksd_err dense_after_sparse(gen_part *p, gen_env *env,
				  ksd_gen_buf *tmp, const offsets_keys *k,
				  int magic)
{
	ksd_err err = gen_part_roll(p, GEN_HEADLINE_LAST + 1);
	if (magic != 0)
		return err ? err : gen_offset_commit_batches(p, env, 50, 10);
	for (int i = 0; !err && i < 500; i++)
		err = sparse_v0(p, env, tmp, k, p->next_offset, i);
	return err;
}

ksd_err gen_build_sparse_offsets(gen_logdir *ld, gen_env *env,
				 int32_t partition, int magic)
{
	offsets_keys keys;
	ksd_gen_buf tmp;
	gen_part p;
	offsets_keys_init(&keys, partition, 60); /* 3000 distinct keys */
	ksd_gen_buf_init(&tmp);
	ksd_err err = gen_part_begin(&p, ld, env->ctx, OFFSETS_TOPIC,
				     partition,
				     magic == 0 ? GEN_ERA_0_9 : GEN_ERA_MODERN,
				     0);
	if (!err)
		err = sparse_segment(&p, env, &tmp, &keys, magic);
	if (!err)
		err = dense_after_sparse(&p, env, &tmp, &keys, magic);
	ksd_gen_buf_free(&tmp);
	return end_part(&p, err);
}

/* ---- mixed v0/v1 ---------------------------------------------------------- */

#define LEGACY_RUN_MAX 64

/* A run of n messages at p->next_offset: one entry per message when
 * uncompressed, else one wrapper.  Every 4th key is null. */
static ksd_err legacy_run(gen_part *p, gen_env *env, int magic,
			  ksd_codec codec, int n, bool log_append_time)
{
	ksd_gen_message m[LEGACY_RUN_MAX];
	gen_batch_arena *a = env->arena;
	ksd_err err = KSD_OK;
	a->used = 0;
	for (int i = 0; i < n && i < LEGACY_RUN_MAX; i++) {
		size_t len = 0;
		int64_t off = p->next_offset + i;
		const char *k = gen_arena_text(a, &len, "k-%05lld",
					       (long long)off);
		m[i] = (ksd_gen_message){ .offset = off, .key = k,
					  .key_len = off % 4 ? (int32_t)len
							     : KSD_GEN_NULL,
					  .timestamp = magic ? p->clock + i
							     : -1 };
		m[i].value = gen_arena_text(
			a, &len, "legacy message %lld v%d: %s %s", (long long)off,
			magic, "the quick brown fox jumps over the lazy dog",
			codec ? "(compressed)" : "");
		m[i].value_len = (int32_t)len;
	}
	p->clock += n + 100;
	ksd_gen_batch_info info;
	for (int i = 0; !err && codec == KSD_CODEC_NONE && i < n; i++) {
		ksd_gen_buf_clear(&p->stage);
		err = ksd_gen_encode_legacy(&p->stage, magic, &m[i], 0, &info);
		if (!err)
			err = gen_part_place_stage(p, &info);
	}
	if (err || codec == KSD_CODEC_NONE)
		return err;
	ksd_gen_wrapper_spec w = { .magic = magic, .codec = codec,
				   .messages = m, .count = (size_t)n,
				   .log_append_time = log_append_time,
				   .log_append_timestamp = p->clock };
	ksd_gen_buf_clear(&p->stage);
	err = ksd_gen_encode_wrapper(env->ctx, &p->stage, &w, &info);
	return err ? err : gen_part_place_stage(p, &info);
}

/* v1 message with a null value (a tombstone) and one with an empty value. */
static ksd_err legacy_null_and_empty(gen_part *p)
{
	ksd_gen_batch_info info;
	ksd_err err = KSD_OK;
	for (int i = 0; !err && i < 2; i++) {
		ksd_gen_message m = { .offset = p->next_offset,
				      .timestamp = p->clock, .key = "gone",
				      .key_len = 4, .value = "",
				      .value_len = i ? 0 : KSD_GEN_NULL };
		ksd_gen_buf_clear(&p->stage);
		err = ksd_gen_encode_legacy(&p->stage, 1, &m, 0, &info);
		if (!err)
			err = gen_part_place_stage(p, &info);
	}
	return err;
}

ksd_err gen_build_legacy_mixed(gen_logdir *ld, gen_env *env,
			       const char *topic, int32_t partition)
{
	static const struct {
		int magic;
		ksd_codec codec;
		int n;
		bool lat;
	} runs[] = {
		{ 0, KSD_CODEC_NONE, 20, false }, { 0, KSD_CODEC_GZIP, 10, false },
		{ 0, KSD_CODEC_SNAPPY, 10, false }, { 0, KSD_CODEC_LZ4, 10, false },
		{ 0, KSD_CODEC_NONE, 10, false }, /* 0..59: 0.9-era data */
		{ 1, KSD_CODEC_NONE, 20, false }, { 1, KSD_CODEC_GZIP, 10, false },
		{ 1, KSD_CODEC_SNAPPY, 10, false }, { 1, KSD_CODEC_LZ4, 10, false },
		{ 1, KSD_CODEC_GZIP, 10, true }, /* 60..119: after 0.10 */
	};
	gen_part p;
	ksd_err err = gen_part_begin(&p, ld, env->ctx, topic, partition,
				     GEN_ERA_0_10, 0);
	for (size_t i = 0; !err && i < sizeof(runs) / sizeof(runs[0]); i++)
		err = legacy_run(&p, env, runs[i].magic, runs[i].codec,
				 runs[i].n, runs[i].lat);
	if (!err)
		err = legacy_null_and_empty(&p); /* 120, 121 */
	if (!err)
		err = gen_part_roll(&p, 122);
	if (!err)
		err = legacy_run(&p, env, 1, KSD_CODEC_NONE, 30, false);
	if (!err)
		err = legacy_run(&p, env, 1, KSD_CODEC_SNAPPY, 10, false);
	if (!err)
		err = legacy_run(&p, env, 1, KSD_CODEC_LZ4, 10, false);
	if (!err)
		err = legacy_run(&p, env, 1, KSD_CODEC_NONE, 10, false);
	return end_part(&p, err);
}

/* ---- fixed-size content for damage scenarios ----------------------------- */

void gen_orders_spec(gen_part *p, gen_env *env, int32_t records,
		     ksd_gen_batch_spec *s)
{
	gen_fixed_records(env->arena, p->next_offset, records);
	ksd_gen_batch_spec_init(s);
	s->base_offset = p->next_offset;
	s->base_timestamp = p->clock;
	s->records = env->arena->recs;
	s->record_count = records;
	p->clock += 100;
}

ksd_err gen_orders_batches(gen_part *p, gen_env *env, int n, int32_t records)
{
	ksd_err err = KSD_OK;
	for (int b = 0; !err && b < n; b++) {
		ksd_gen_batch_spec s;
		gen_orders_spec(p, env, records, &s);
		err = gen_part_append_v2(p, &s);
	}
	return err;
}

ksd_err gen_v1_messages(gen_part *p, gen_env *env, int n)
{
	ksd_err err = KSD_OK;
	for (int i = 0; !err && i < n; i++) {
		gen_fixed_records(env->arena, p->next_offset, 1);
		const ksd_gen_record *r = &env->arena->recs[0];
		ksd_gen_message m = { .offset = p->next_offset,
				      .timestamp = p->clock, .key = r->key,
				      .key_len = r->key_len, .value = r->value,
				      .value_len = r->value_len };
		ksd_gen_batch_info info;
		ksd_gen_buf_clear(&p->stage);
		err = ksd_gen_encode_legacy(&p->stage, 1, &m, 0, &info);
		if (!err)
			err = gen_part_place_stage(p, &info);
		p->clock += 10;
	}
	return err;
}
