/*
 * gen/parts.h - whole partitions of known shape, used by the scenarios and
 * the demo.  Every builder is deterministic: the same call writes the same
 * bytes.
 */
#ifndef KSD_GEN_PARTS_H
#define KSD_GEN_PARTS_H

#include "gen/content.h"

typedef struct gen_env {
	ksd_gen_ctx *ctx;
	gen_batch_arena *arena;
} gen_env;

ksd_err gen_env_init(gen_env *env);
void gen_env_free(gen_env *env);

/* The headline span: last offset of the sparse segment 0 (§4.3). */
#define GEN_HEADLINE_LAST INT64_C(1232493226)

/* Healthy v2 events: `batches` batches of 5-40 records cycling codecs
 * none/gzip/snappy/lz4/zstd, record headers, some null keys, leader epoch 0
 * then 1 from the middle on; rolls at segment_bytes. */
ksd_err gen_build_events(gen_logdir *ld, gen_env *env, const char *topic,
			 int32_t partition, int batches,
			 uint64_t segment_bytes);

/* Healthy transactional partition: producer 1000 (epoch 3) writes
 * `transactions` transactions of 2-3 lz4/zstd batches each, each closed
 * by a COMMIT marker (coordinator epoch 7); rolls at 16 KiB; producer
 * snapshots at every segment base and at the log end. */
ksd_err gen_build_txn(gen_logdir *ld, gen_env *env, const char *topic,
		      int32_t partition, int transactions);

/* Healthy compacted __consumer_offsets-<partition>: two cleaned segments
 * (00..0 and 00..1500) with offset holes whose first batches start above
 * the file-name base (30 and 1510), a transactional empty batch (count 0)
 * plus its COMMIT marker, then a dense active segment 00..3000 with a
 * tombstone; cleaner-offset-checkpoint = 3000. */
ksd_err gen_build_offsets_compacted(gen_logdir *ld, gen_env *env,
				    int32_t partition);

/* Healthy mixed-magic partition: v0 messages and v0 gzip/snappy/lz4
 * wrappers (lz4 with the KAFKA-3160 header checksum), then v1 messages and
 * v1 gzip/snappy/lz4 wrappers (one with LogAppendTime), null and empty
 * values; two segments (0 and 122). */
ksd_err gen_build_legacy_mixed(gen_logdir *ld, gen_env *env,
			       const char *topic, int32_t partition);

/* Sparse compacted __consumer_offsets-<partition>: segment 0 whose offsets
 * spread from 0 to exactly GEN_HEADLINE_LAST, then a dense segment named
 * GEN_HEADLINE_LAST + 1.  magic 0: 3000 v0 offset commits (0.9-era
 * partition); magic 2: 1000 v2 batches of 3 records (modern). */
ksd_err gen_build_sparse_offsets(gen_logdir *ld, gen_env *env,
				 int32_t partition, int magic);

/* Fixed-size v2 batches for exact damage positions: n batches of `records`
 * uncompressed records (gen_fixed_records) at p->next_offset; a batch of
 * 10 records is GEN_ORDERS_BATCH_BYTES long. */
#define GEN_ORDERS_RECORDS 10
#define GEN_ORDERS_BATCH_BYTES 1151
ksd_err gen_orders_batches(gen_part *p, gen_env *env, int n, int32_t records);
/* The spec of the next such batch (records in env->arena), not placed. */
void gen_orders_spec(gen_part *p, gen_env *env, int32_t records,
		     ksd_gen_batch_spec *s);

/* Fixed-size v1 messages (10-byte key, 90-byte value) = 134 bytes each. */
#define GEN_V1_MESSAGE_BYTES 134
ksd_err gen_v1_messages(gen_part *p, gen_env *env, int n);

/* v2 offset-commit batches (value v3) of `records` records at
 * p->next_offset for groups of this __consumer_offsets partition. */
ksd_err gen_offset_commit_batches(gen_part *p, gen_env *env, int batches,
				  int records);

/* ---- partitions with exactly one defect (damaged.c) -------------------
 * Each writes the partition, applies the defect to the closed files and
 * puts one line into note saying which file and byte position. */
ksd_err gen_part_crc_mismatch(gen_logdir *ld, gen_env *env, const char *topic,
			      int32_t partition, char *note, size_t cap);
ksd_err gen_part_crc_mismatch_v1(gen_logdir *ld, gen_env *env,
				 const char *topic, int32_t partition,
				 char *note, size_t cap);
ksd_err gen_part_torn_tail(gen_logdir *ld, gen_env *env, const char *topic,
			   int32_t partition, char *note, size_t cap);
ksd_err gen_part_corrupt_entry(gen_logdir *ld, gen_env *env,
			       const char *topic, int32_t partition,
			       char *note, size_t cap);
ksd_err gen_part_unknown_magic(gen_logdir *ld, gen_env *env,
			       const char *topic, int32_t partition,
			       char *note, size_t cap);
ksd_err gen_part_offset_overflow(gen_logdir *ld, gen_env *env,
				 int32_t partition, char *note, size_t cap);
ksd_err gen_part_segment_overlap(gen_logdir *ld, gen_env *env,
				 const char *topic, int32_t partition,
				 char *note, size_t cap);
ksd_err gen_part_base_offset_mismatch(gen_logdir *ld, gen_env *env,
				      const char *topic, int32_t partition,
				      char *note, size_t cap);
ksd_err gen_part_zero_tail(gen_logdir *ld, gen_env *env, const char *topic,
			   int32_t partition, char *note, size_t cap);

#endif
