/*
 * gen/content.h - building blocks for whole log dirs: a log dir under
 * construction (collects checkpoint entries), a partition writer (rolls
 * segments, tracks producer state, writes the per-partition files) and
 * deterministic record content.  Used by scenario.c, demo.c and bench.c.
 */
#ifndef KSD_GEN_CONTENT_H
#define KSD_GEN_CONTENT_H

#include <limits.h>

#include "gen/writer.h"

#define GEN_PATH_MAX 4096
#define GEN_MAX_PARTITIONS 256
#define GEN_TOPIC_MAX 250
#define GEN_MAX_EPOCHS 8

/* Fixed clock for fixtures: 2023-11-14T22:13:20Z in ms. */
#define GEN_BASE_TS INT64_C(1700000000000)
/* A 0.9-era clock (2016-04) for v0 data. */
#define GEN_OLD_TS INT64_C(1460000000000)

/* xorshift64* - cheap, deterministic, good enough for fixture content. */
typedef struct gen_rng {
	uint64_t s;
} gen_rng;

void gen_rng_seed(gen_rng *r, uint64_t seed);
uint64_t gen_rng_next(gen_rng *r);
uint32_t gen_rng_below(gen_rng *r, uint32_t n);

/* Deterministic version-4-style UUID from a name (topic ids, cluster id). */
void gen_uuid_from_name(const char *name, uint8_t out[16]);

typedef struct gen_tp {
	char topic[GEN_TOPIC_MAX];
	int32_t partition;
	int64_t offset;
} gen_tp;

/* A log dir root being written. */
typedef struct gen_logdir {
	char root[GEN_PATH_MAX];
	gen_tp log_end[GEN_MAX_PARTITIONS]; /* recovery point = high watermark */
	size_t n_log_end;
	gen_tp cleaner[GEN_MAX_PARTITIONS]; /* first dirty offsets */
	size_t n_cleaner;
} gen_logdir;

/* Creates root with meta.properties (v0, broker.id=1, the fixtures'
 * cluster.id) and .lock. */
ksd_err gen_logdir_begin(gen_logdir *ld, const char *root);
/* Sets a partition's recovery point/high watermark (default: log end). */
ksd_err gen_logdir_set_log_end(gen_logdir *ld, const char *topic,
			       int32_t partition, int64_t offset);
ksd_err gen_logdir_set_cleaner(gen_logdir *ld, const char *topic,
			       int32_t partition, int64_t offset);
/* Writes the four checkpoints and .kafka_cleanshutdown. */
ksd_err gen_logdir_finish(gen_logdir *ld);

/* Era of the broker that wrote a partition: decides which extra files
 * exist (leader-epoch-checkpoint 0.11+, partition.metadata 2.8+) and the
 * index key semantics (first offset <= 1.1, last offset 2.0+). */
typedef enum gen_era {
	GEN_ERA_MODERN = 0, /* 2.8+ */
	GEN_ERA_0_10,       /* v0/v1 data, written by 0.10.x-1.1, read by 2.x */
	GEN_ERA_0_9,        /* no leader epochs, no partition.metadata */
	/* (.timeindex is written for every era: brokers >= 0.10.1 create an
	 * empty one for older segments at load.) */
} gen_era;

typedef struct gen_producer {
	int64_t producer_id;
	int16_t epoch;
	int32_t next_sequence;
	int32_t last_sequence;
	int64_t last_offset;
	int32_t offset_delta;
	int64_t timestamp;
	int32_t coordinator_epoch;
	int64_t txn_first_offset; /* -1 = no open transaction */
} gen_producer;

/* One batch as placed in the log, for damage and reporting. */
typedef struct gen_placed {
	int64_t segment_base;
	uint64_t position;
	ksd_gen_batch_info info;
} gen_placed;

typedef struct gen_part {
	gen_logdir *ld;
	ksd_gen_ctx *ctx;
	char topic[GEN_TOPIC_MAX];
	int32_t partition;
	char dir[GEN_PATH_MAX];
	gen_era era;
	ksd_gen_segment seg;
	bool seg_open;
	ksd_gen_segment_opts seg_opts;
	uint64_t segment_bytes; /* roll before an append that would exceed */
	int64_t next_offset;    /* next offset to assign = log end */
	int64_t clock;          /* timestamp clock in ms */
	gen_rng rng;
	ksd_gen_buf stage;      /* one encoded entry before it is placed */
	gen_producer producer;  /* producer_id < 0: no producer state */
	int64_t first_base;     /* base of the first segment = log start */
	ksd_gen_epoch_entry epochs[GEN_MAX_EPOCHS]; /* leader epoch cache */
	size_t n_epochs;
	gen_placed last;        /* where the last append went */
} gen_part;

/* Opens a partition dir and its first segment at base_offset. */
ksd_err gen_part_begin(gen_part *p, gen_logdir *ld, ksd_gen_ctx *ctx,
		       const char *topic, int32_t partition, gen_era era,
		       int64_t base_offset);
/* Closes the current segment and starts one named base_offset. */
ksd_err gen_part_roll(gen_part *p, int64_t base_offset);
/* Encodes and places a v2 batch (rolls first if segment_bytes would be
 * exceeded); p->last tells where it went. */
ksd_err gen_part_append_v2(gen_part *p, const ksd_gen_batch_spec *spec);
/* Latest leader epoch written (0 if none). */
int32_t gen_part_epoch(const gen_part *p);
/* Appends a COMMIT/ABORT marker for p->producer at p->next_offset, stamped
 * p->clock and the current leader epoch. */
ksd_err gen_part_append_marker(gen_part *p, int type,
			       int32_t coordinator_epoch);
/* Places an entry the caller encoded into p->stage. */
ksd_err gen_part_place_stage(gen_part *p, const ksd_gen_batch_info *info);
/* Appends bytes the indexes never saw (torn write). */
ksd_err gen_part_append_raw(gen_part *p, const void *data, size_t len);
/* Closes the segment, writes leader-epoch-checkpoint/partition.metadata/
 * producer snapshot as the era has them, records the log end. */
ksd_err gen_part_finish(gen_part *p);
/* Releases memory after an error (finish also releases). */
void gen_part_free(gen_part *p);
/* Path of a file of segment `base` with `suffix` in this partition. */
ksd_err gen_part_file(const gen_part *p, int64_t base, const char *suffix,
		      char *out, size_t cap);

/* ---- record content ---------------------------------------------------- */

/* Arena for the keys/values of one batch, so pointers stay valid. */
#define GEN_MAX_BATCH_RECORDS 4096

typedef struct gen_batch_arena {
	ksd_gen_record recs[GEN_MAX_BATCH_RECORDS];
	ksd_gen_header hdrs[4];
	char text[1 << 20];
	size_t used;
} gen_batch_arena;

/* Appends text to the arena, returns a pointer to it (NULL if full). */
const char *gen_arena_text(gen_batch_arena *a, size_t *len, const char *fmt,
			   ...) __attribute__((format(printf, 3, 4)));

/* Event-like JSON values, keys "user-NNNNN" (some null), a header on some
 * records; timestamps 1..n ms apart.  Fills a->recs[0..n). */
void gen_event_records(gen_batch_arena *a, gen_rng *rng, int32_t n,
		       bool with_headers);
/* Fixed-size records (10-byte key, 90-byte value, deltas 0..n-1 ms) so a
 * batch of n records has the same size everywhere: exact byte positions
 * for damage scenarios. */
void gen_fixed_records(gen_batch_arena *a, int64_t first_offset, int32_t n);

/* Groups whose __consumer_offsets partition (of 50) is `partition`:
 * writes the i-th such group name ("console-consumer-N"). */
void gen_group_for_partition(int32_t partition, int index, char *out,
			     size_t cap);

#endif
