/*
 * ksd/names.h - Kafka's file and directory name grammar.
 *
 * Segment files are named by their base offset as 20 zero-padded decimal
 * digits (LogFileUtils.filenamePrefixFromOffset); partition dirs are
 * "topic-N", or "topic-N.<uniqueId>-delete|-future|-stray"
 * (UnifiedLog.parseTopicPartitionName).  Nothing here touches the disk.
 */
#ifndef KSD_NAMES_H
#define KSD_NAMES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum ksd_file_kind {
	KSD_FILE_UNKNOWN = 0,
	KSD_FILE_LOG,        /* <base>.log */
	KSD_FILE_INDEX,      /* <base>.index */
	KSD_FILE_TIMEINDEX,  /* <base>.timeindex (0.10.1+, KIP-33) */
	KSD_FILE_TXNINDEX,   /* <base>.txnindex (0.11+) */
	KSD_FILE_SNAPSHOT,   /* <offset>.snapshot: producer state (0.11+) */
	KSD_FILE_KRAFT_SNAPSHOT, /* <offset>-<epoch>.checkpoint (KRaft) */
	/* per-partition text files */
	KSD_FILE_LEADER_EPOCH_CHECKPOINT,
	KSD_FILE_PARTITION_METADATA,
	KSD_FILE_QUORUM_STATE,
	/* log dir root files */
	KSD_FILE_META_PROPERTIES,
	KSD_FILE_LOCK,
	KSD_FILE_CLEAN_SHUTDOWN,
	KSD_FILE_RECOVERY_CHECKPOINT,
	KSD_FILE_REPLICATION_CHECKPOINT,
	KSD_FILE_LOG_START_CHECKPOINT,
	KSD_FILE_CLEANER_CHECKPOINT,
	KSD_FILE_BOOTSTRAP_CHECKPOINT,
	KSD_FILE__COUNT
} ksd_file_kind;

/* Transitional suffixes appended by the broker (kafka-facts.md §3.7). */
typedef enum ksd_file_state {
	KSD_STATE_LIVE = 0,
	KSD_STATE_DELETED, /* .deleted: pending async delete */
	KSD_STATE_CLEANED, /* .cleaned: cleaner/split output in progress */
	KSD_STATE_SWAP,    /* .swap: finished output awaiting rename */
	KSD_STATE_TMP,     /* .tmp: interrupted atomic write */
	KSD_STATE_PARTIAL, /* .checkpoint.part: KRaft snapshot being written */
} ksd_file_state;

typedef struct ksd_file_name {
	ksd_file_kind kind;
	ksd_file_state state;
	int64_t offset; /* base/end offset from the name, or -1 */
	int32_t epoch;  /* KRaft snapshot epoch, or -1 */
} ksd_file_name;

/* Classifies a file name (no directory part). Returns kind UNKNOWN for
 * names that are not part of Kafka's layout. */
ksd_file_name ksd_classify_file(const char *name);

const char *ksd_file_kind_name(ksd_file_kind k);

/* True iff `s` is exactly 20 decimal digits that fit an int64. */
bool ksd_parse_offset20(const char *s, size_t len, int64_t *out);

typedef enum ksd_partition_state {
	KSD_PART_LIVE = 0,
	KSD_PART_DELETE, /* topic-N.<id>-delete (0.10.2+) */
	KSD_PART_FUTURE, /* topic-N.<id>-future (1.1+, KIP-113) */
	KSD_PART_STRAY,  /* topic-N.<id>-stray (3.7+) */
} ksd_partition_state;

typedef struct ksd_partition_name {
	char topic[256]; /* Kafka topics are at most 249 chars */
	int32_t partition;
	ksd_partition_state state;
} ksd_partition_name;

/*
 * Parses a directory name the way the broker does at startup.  Returns false
 * when the broker would refuse it (the foreign-directory case).
 */
bool ksd_parse_partition_dir(const char *name, ksd_partition_name *out);

const char *ksd_partition_state_name(ksd_partition_state s);

#endif
