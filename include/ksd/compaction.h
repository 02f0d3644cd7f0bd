/*
 * ksd/compaction.h - "why is this compacted topic huge?": what a finished
 * scan's compacted partitions hold, what a full clean would remove, whether
 * the cleaner would pick them now, and what stops it.
 *
 * Every record of every compacted partition is decoded (all codecs) and each
 * key is tracked by a 64-bit hash in a bounded open-addressing table, so the
 * last record per key decides (LogCleaner's rule: a record is kept only when
 * no later record has its key; a key whose last record has a null value is a
 * tombstone).  Memory is bounded by max_keys per worker; when a partition
 * holds more distinct keys the counts become lower bounds (keys_capped).
 * The core never prints: results are numbers and blocker kinds.
 */
#ifndef KSD_COMPACTION_H
#define KSD_COMPACTION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ksd/error.h"
#include "ksd/scan.h"

/* Default distinct keys tracked per partition: 2^25 slots x 12 bytes =
 * 384 MiB at most per worker. */
#define KSD_COMPACTION_DEFAULT_MAX_KEYS (16u * 1000u * 1000u)
/* min.cleanable.dirty.ratio / log.cleaner.min.cleanable.ratio default. */
#define KSD_COMPACTION_DEFAULT_MIN_RATIO 0.5

typedef struct ksd_compaction_opts {
	uint64_t max_keys;        /* distinct keys tracked per partition */
	unsigned jobs;            /* partitions analysed in parallel; 0 = cfg jobs */
	double min_cleanable_ratio;
} ksd_compaction_opts;

void ksd_compaction_opts_init(ksd_compaction_opts *o);

/* Why the cleaner leaves (part of) a partition alone, or keeps what it keeps. */
typedef enum ksd_blocker_kind {
	KSD_BLOCK_CLEANER_DISABLED,   /* log.cleaner.enable=false or 0 threads */
	KSD_BLOCK_MAP_OVERFLOW,       /* a cleaner-map-overflow finding */
	KSD_BLOCK_HANGING_TXN,        /* a hanging-transaction finding */
	KSD_BLOCK_OPEN_TXN,           /* an open transaction pins the last stable offset */
	KSD_BLOCK_CHECKPOINT_RESET,   /* checkpoint below log start / above log end */
	KSD_BLOCK_NO_CHECKPOINT,      /* never cleaned (or checkpoint lost): all dirty */
	KSD_BLOCK_BELOW_RATIO,        /* dirty ratio not above min.cleanable.dirty.ratio */
	KSD_BLOCK_ACTIVE_SEGMENT,     /* the active segment holds most bytes */
	KSD_BLOCK_LIVE_TOMBSTONES,    /* delete.retention.ms keeps tombstones */
	KSD_BLOCK_DAMAGE,             /* batches that cannot be read */
	KSD_BLOCK_METADATA_LOG,       /* __cluster_metadata: never cleaned by the log cleaner */
	KSD_BLOCK__COUNT
} ksd_blocker_kind;

typedef struct ksd_compaction_blocker {
	ksd_blocker_kind kind;
	const char *finding_code; /* the scan finding it comes from, or NULL */
	int64_t offset;           /* where it bites (offset), or -1 */
	uint64_t count;           /* findings, tombstones, batches... per kind */
	bool stops_cleaning;      /* false: it only limits what a clean removes */
} ksd_compaction_blocker;

/* Stable snake_case name ("cleaner_disabled", ...). */
const char *ksd_blocker_name(ksd_blocker_kind k);

#define KSD_COMPACTION_MAX_BLOCKERS KSD_BLOCK__COUNT

typedef struct ksd_compaction_part {
	const ksd_partition *p;
	/* inventory */
	uint64_t bytes;            /* sum of .log sizes */
	uint64_t segments, batches, records;
	uint64_t control_records;  /* transaction markers (not keyed data) */
	/* keys (data records only) */
	uint64_t null_key_records; /* the cleaner drops them (invalid in a compacted log) */
	uint64_t tombstones;       /* records with a key and a null value */
	uint64_t distinct_keys;
	uint64_t live_keys;        /* keys whose last record has a value */
	uint64_t live_tombstones;  /* keys whose last record is a tombstone */
	bool keys_capped;          /* more than max_keys: key counts are lower bounds */
	/* what a full clean removes (estimate: compressed batches by proportional share) */
	uint64_t superseded_records, superseded_bytes;
	uint64_t reclaimable_records, reclaimable_bytes; /* superseded + null keys */
	/* __consumer_offsets: distinct keys by record type (key version) */
	bool offsets_topic;
	uint64_t offset_commit_keys, group_keys, other_keys;
	/* dirty ratio (kafka-facts.md §4.6-4.7) */
	int64_t log_start, log_end;
	int64_t checkpoint;        /* cleaner-offset-checkpoint entry, -1 = none */
	bool checkpoint_reset;     /* present but below log start / above log end */
	int64_t first_dirty, first_uncleanable;
	int64_t open_txn_offset;   /* first offset of the oldest open transaction, -1 */
	uint64_t clean_bytes, dirty_bytes, active_bytes;
	double dirty_ratio;        /* dirty / (clean + dirty); 0 when both are 0 */
	bool would_clean;          /* ratio above the minimum and the cleaner can run */
	/* reading */
	uint64_t damaged_batches;  /* skipped: bad CRC, corrupt or undecodable */
	bool complete;             /* every byte decoded, keys not capped */
	bool metadata_log;         /* __cluster_metadata */
	ksd_compaction_blocker blockers[KSD_COMPACTION_MAX_BLOCKERS];
	size_t nblockers;
} ksd_compaction_part;

typedef struct ksd_compaction {
	ksd_compaction_opts opts;
	ksd_compaction_part *parts; /* largest (bytes) first */
	size_t nparts;
	uint64_t bytes, records, reclaimable_records, reclaimable_bytes;
	uint64_t bytes_read;        /* for throughput */
} ksd_compaction;

/*
 * Analyses every compacted partition of a finished scan (p->compacted, and
 * __cluster_metadata when listed with --compacted-topic, marked as such).
 * Partitions are processed in parallel, each by one worker.
 */
ksd_err ksd_compaction_run(const ksd_scan *scan, const ksd_compaction_opts *opts,
			   ksd_compaction **out);
void ksd_compaction_free(ksd_compaction *c);

#endif
