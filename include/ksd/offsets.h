/*
 * ksd/offsets.h - committed consumer offsets, computed from
 * __consumer_offsets partitions the way the group coordinator loads them
 * (GroupMetadataManager.loadGroupsAndOffsets / GroupCoordinatorShard replay):
 *  - records are applied in log order; the last record per key wins and a
 *    tombstone deletes;
 *  - transactional offset commits (TxnOffsetCommit) wait per producer id
 *    until a COMMIT marker from that producer applies them, and then only
 *    over an older committed offset (CommitRecordMetadataAndOffset
 *    .olderThan); an ABORT marker drops them; commits still waiting at the
 *    end of the log are reported, never counted;
 *  - group records (key 2, and KIP-848 ConsumerGroupMetadata, key 3) track
 *    which groups exist; other record types are counted and skipped.
 */
#ifndef KSD_OFFSETS_H
#define KSD_OFFSETS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ksd/error.h"

typedef struct ksd_committed {
	char *group, *topic;
	int32_t partition;
	int64_t offset;
	int32_t leader_epoch;      /* -1 when not stored (value < v3) */
	char *metadata;            /* NULL when null */
	int64_t commit_timestamp;
	int64_t expire_timestamp;  /* v1 values only, else -1 */
	int16_t value_version;
	int64_t record_offset;     /* where in the log the winning record is */
	int32_t found_in;          /* __consumer_offsets partition it was read from */
	bool transactional;        /* applied by a COMMIT marker */
} ksd_committed;

typedef struct ksd_group_seen {
	char *group;
	int32_t found_in;
	bool deleted;              /* its last group record is a tombstone */
	bool consumer_protocol;    /* KIP-848 or protocol_type "consumer" */
} ksd_group_seen;

typedef struct ksd_offsets_stats {
	uint64_t segments, batches, records;
	uint64_t offset_commits, tombstones, group_records, other_records;
	uint64_t txn_commits_applied, txn_commits_aborted, txn_commits_pending;
	uint64_t txn_commits_superseded; /* committed but older than what was there */
	uint64_t decode_errors, corrupt_batches;
} ksd_offsets_stats;

typedef struct ksd_offsets ksd_offsets;

ksd_err ksd_offsets_new(ksd_offsets **out);
void ksd_offsets_free(ksd_offsets *o);

/*
 * Replays one __consumer_offsets partition: its segments' .log files in
 * base-offset order.  `coordinator_partition` is the N of
 * __consumer_offsets-N.  Damage inside a segment is skipped the way the
 * reader resyncs, and counted.
 */
ksd_err ksd_offsets_load_partition(ksd_offsets *o, int32_t coordinator_partition,
				   const char *const *segment_paths, size_t nsegments);

/* Results, valid until ksd_offsets_free: sorted by group, topic, partition. */
const ksd_committed *ksd_offsets_committed(ksd_offsets *o, size_t *n);
const ksd_group_seen *ksd_offsets_groups(ksd_offsets *o, size_t *n);
const ksd_offsets_stats *ksd_offsets_stats_get(const ksd_offsets *o);

#endif
