/*
 * ksd/files.h - every file a broker writes besides .log segments: the three
 * indexes, producer state snapshots, the text checkpoints and properties,
 * and what a file is by its content (kafka-facts.md §2, §3).
 *
 * Decoders read untrusted bytes through the bounded cursor and never trust
 * a size from the file; nothing here prints, exits or writes.  Checks turn
 * what they find into findings (ksd/problem.h) that say, for the configured
 * Kafka version (or for each version range when it is unknown), what the
 * broker does with the file at startup (§2.6).
 */
#ifndef KSD_FILES_H
#define KSD_FILES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ksd/batch.h"
#include "ksd/error.h"
#include "ksd/kversion.h"
#include "ksd/names.h"
#include "ksd/problem.h"

/* ======================================================================
 * Reading a small file whole, with a cap
 * ==================================================================== */

/* A buffer reused across files (one per worker), grown on demand. */
typedef struct ksd_bytes {
	uint8_t *data;
	size_t cap;
} ksd_bytes;

void ksd_bytes_free(ksd_bytes *b);

/*
 * What was read of a file: data[0..len) are its first bytes.  When len <
 * file_size the rest is either a known hole (tail_zero: a sparse
 * preallocated index, found with SEEK_DATA/SEEK_HOLE so 10 MiB of zeros
 * cost nothing to read) or was not read because of the cap (capped).
 */
typedef struct ksd_file_image {
	const uint8_t *data;
	size_t len;
	uint64_t file_size;
	bool tail_zero;
	bool capped;
} ksd_file_image;

/* Indexes are 10 MiB by default (segment.index.bytes); never read more. */
#define KSD_FILE_READ_CAP ((size_t)64 << 20)

/*
 * Reads up to `cap` bytes of `path` with pread (never mmap: a running broker
 * trims indexes, which would SIGBUS a mapping) into `buf`.  KSD_ERR_IO with
 * errno set when the file cannot be opened or read.
 */
ksd_err ksd_file_load(const char *path, size_t cap, ksd_bytes *buf, ksd_file_image *out);

/* An image over bytes already in memory (tests, fuzzing): all of them. */
ksd_file_image ksd_file_image_mem(const void *data, size_t len);

/* ======================================================================
 * Indexes (§2.1-2.6)
 * ==================================================================== */

typedef enum ksd_index_kind {
	KSD_INDEX_OFFSET = 0, /* .index: int32 relative offset, int32 position */
	KSD_INDEX_TIME,       /* .timeindex: int64 timestamp, int32 relative offset */
	KSD_INDEX_TXN,        /* .txnindex: int16 version, int64 pid, first, last, LSO */
} ksd_index_kind;

#define KSD_OFFSET_ENTRY_BYTES 8
#define KSD_TIME_ENTRY_BYTES 12
#define KSD_TXN_ENTRY_BYTES 34
/* segment.index.bytes / log.index.size.max.bytes default (§2.4). */
#define KSD_INDEX_MAX_BYTES_DEFAULT 10485760u

size_t ksd_index_entry_bytes(ksd_index_kind k);
/* "offset index", "time index", "transaction index" */
const char *ksd_index_kind_name(ksd_index_kind k);
/* The index kind of a file kind; false for other kinds. */
bool ksd_index_kind_of(ksd_file_kind fk, ksd_index_kind *out);

typedef struct ksd_offset_entry {
	int32_t relative_offset;
	int32_t position;
} ksd_offset_entry;

typedef struct ksd_time_entry {
	int64_t timestamp;
	int32_t relative_offset;
} ksd_time_entry;

typedef struct ksd_txn_entry {
	int16_t version;
	int64_t producer_id;
	int64_t first_offset;
	int64_t last_offset;
	int64_t last_stable_offset;
} ksd_txn_entry;

/* Slot `slot` of an index image; false when it lies beyond the bytes read
 * (slots in a known-zero tail read as zeros). */
bool ksd_offset_entry_at(const ksd_file_image *im, uint64_t slot, ksd_offset_entry *out);
bool ksd_time_entry_at(const ksd_file_image *im, uint64_t slot, ksd_time_entry *out);
bool ksd_txn_entry_at(const ksd_file_image *im, uint64_t slot, ksd_txn_entry *out);

/* What can be wrong with an index; each becomes at most one finding per
 * file, with the count of entries affected and the first one's numbers. */
typedef enum ksd_index_rule {
	KSD_IXR_PARTIAL_ENTRY = 0, /* length not a multiple of the entry size */
	KSD_IXR_NEGATIVE,          /* relative offset or position below zero */
	KSD_IXR_OFFSET_ORDER,      /* offsets go backwards */
	KSD_IXR_POSITION_ORDER,    /* offset index: positions do not increase */
	KSD_IXR_TIMESTAMP_ORDER,   /* time index: timestamps go backwards */
	KSD_IXR_TXN_VERSION,       /* txn entry version is not 0 */
	KSD_IXR_TXN_BELOW_BASE,    /* txn lastOffset below the segment base */
	KSD_IXR_TXN_RANGE,         /* txn firstOffset above its lastOffset */
	KSD_IXR_TXN_BEYOND_LOG,    /* txn lastOffset above the log's last offset */
	/* against the .log (the verifier) */
	KSD_IXR_NOT_BATCH_START,   /* position is not where a batch starts */
	KSD_IXR_PAST_END,          /* position/offset beyond the log's data */
	KSD_IXR_KEY_BELOW_BATCH,   /* key below the first offset at its position */
	KSD_IXR_KEY_ABOVE_APPEND,  /* key above every offset before the next entry */
	KSD_IXR_TIME_NOT_IN_BATCH, /* time entry offset falls between batches */
	KSD_IXR_TIME_AHEAD,        /* timestamp above the log's max up to its offset */
	KSD_IXR__COUNT
} ksd_index_rule;

/* Short text of a rule, e.g. "not at a batch start". */
const char *ksd_index_rule_text(ksd_index_rule r);

typedef struct ksd_index_issue {
	uint64_t count;  /* entries affected */
	uint64_t slot;   /* first one */
	int64_t a, b, c; /* its numbers, per rule (see index.c describe_issue) */
} ksd_index_issue;

/* The analysis of one index file, filled by ksd_index_analyze and, for the
 * offset and time index, completed by the verifier during the log walk. */
typedef struct ksd_index_analysis {
	ksd_index_kind kind;
	int64_t base_offset;
	uint64_t file_size;
	uint64_t slots;         /* whole entries in the file: what Kafka loads */
	uint64_t entries;       /* real entries: slots before a trailing zero run */
	uint64_t zero_slots;    /* trailing all-zero slots (preallocation) */
	uint64_t partial_bytes; /* file_size % entry size */
	bool capped;            /* only the first KSD_FILE_READ_CAP bytes checked */
	/* Kafka's own view (it takes every slot as valid, §2.4): */
	int64_t first_timestamp, last_timestamp; /* time index slots 0 and last */
	int64_t last_relative;  /* relative offset in the last slot, or 0 */
	uint8_t txn_version_byte; /* AbortedTxn.version() reads one byte */
	/* Entries before the first ordering violation: what the verifier joins. */
	uint64_t ordered_entries;
	bool verified;          /* the verifier ran against the log */
	ksd_index_issue issue[KSD_IXR__COUNT];
} ksd_index_analysis;

/*
 * Decodes an index image and applies every rule that needs only the file
 * (sizes, monotonic entries, txn versions, the zero tail).  `log_last_offset`
 * (txn index only) is the segment's last offset from the walk, or -1.
 */
void ksd_index_analyze(ksd_index_kind kind, int64_t base_offset, const ksd_file_image *im,
		       int64_t log_last_offset, ksd_index_analysis *out);

/* Any rule fired, or a zero tail, or the image was capped. */
bool ksd_index_has_news(const ksd_index_analysis *a);

/* What the report needs to know about the segment and the broker. */
typedef struct ksd_index_ctx {
	const char *path;           /* the index file */
	ksd_kversion kafka_version; /* .known false = unknown */
	uint32_t magic_mask;        /* magics seen in the segment (version evidence) */
	bool has_timeindex;         /* a .timeindex exists: 0.10.1+ wrote this segment */
	bool active;                /* the partition's last segment */
	bool log_empty;             /* the .log has no bytes */
	bool compacted;             /* cleanup.policy=compact: no time retention */
	bool clean_shutdown;        /* .kafka_cleanshutdown present in the log dir */
	bool rebuilt_at_startup;    /* the broker recovers this segment anyway */
	bool broker_running;        /* the log dir's .lock is held */
} ksd_index_ctx;

/*
 * Turns an analysis into findings: index-corrupt / timeindex-corrupt /
 * txnindex-corrupt (one per rule that fired) and index-preallocated (a zero
 * tail), each saying what the configured Kafka version does at startup.
 */
void ksd_index_report(const ksd_index_analysis *a, const ksd_index_ctx *ctx,
		      ksd_findings *out);

/* Standalone checks: analyze + report in one call, for one file. */
void ksd_check_offset_index(const ksd_index_ctx *ctx, int64_t base_offset,
			    const ksd_file_image *im, ksd_findings *out);
void ksd_check_time_index(const ksd_index_ctx *ctx, int64_t base_offset,
			  const ksd_file_image *im, ksd_findings *out);
void ksd_check_txn_index(const ksd_index_ctx *ctx, int64_t base_offset,
			 const ksd_file_image *im, int64_t log_last_offset,
			 ksd_findings *out);

/*
 * Kafka's index-loading regimes (§2.6), as a set.  The offset index check
 * required last offset > base through 1.1.x (OffsetIndex.sanityCheck) and
 * last offset >= base from 2.0, so an all-zero tail fails it before 2.0.
 */
enum {
	KSD_REGIME_08 = 1u,    /* 0.8.x: a failed check aborts startup */
	KSD_REGIME_09_11 = 2u, /* 0.9-1.1: failure deletes and rebuilds; last > base */
	KSD_REGIME_20_22 = 4u, /* 2.0-2.2: same, last >= base */
	KSD_REGIME_23 = 8u,    /* 2.3+ (KAFKA-7283): offset/time index unchecked */
};
/* The regime of a known version; for an unknown one every regime the
 * evidence allows (magic 1/2 or a time index rule out 0.8.x). */
unsigned ksd_index_regimes(const ksd_kversion *v, uint32_t magic_mask, bool has_timeindex);

/* ----------------------------------------------------------------------
 * The merge-join verifier: index entries against the segment walk.
 *
 * Pass 1 walks batches in file order; offset-index entries are sorted by
 * position and time-index entries by offset, so both can be joined with the
 * walk in one pass and no allocation.  The walk calls ksd_ixv_batch for
 * every batch it parses, with what it already tracks (the previous batches'
 * largest last offset and timestamp); while no entry is due that is one
 * branch on two comparisons and no state change.
 * ------------------------------------------------------------------- */
typedef struct ksd_index_verifier {
	int64_t base_offset;
	/* the offset index */
	const ksd_file_image *oim;
	ksd_index_analysis *oa;
	uint64_t o_next;        /* next slot to join */
	uint64_t gate_pos;      /* its position; UINT64_MAX when none is due */
	int64_t o_key;          /* its absolute key */
	bool o_open;            /* a matched entry whose key lies further on */
	int64_t o_open_key;
	uint64_t o_open_slot, o_open_pos;
	/* the time index */
	const ksd_file_image *tim;
	ksd_index_analysis *ta;
	uint64_t t_next;
	int64_t t_off;          /* offset of the next due entry; INT64_MAX when none */
	int64_t t_ts;
	/* min(t_off, open key): a batch reaching it takes the slow path */
	int64_t gate_off;
} ksd_index_verifier;

/* Either image/analysis pair may be NULL.  The analyses must come from
 * ksd_index_analyze of the same images. */
void ksd_ixv_init(ksd_index_verifier *v, int64_t base_offset,
		  const ksd_file_image *oim, ksd_index_analysis *oa,
		  const ksd_file_image *tim, ksd_index_analysis *ta);

void ksd_ixv_batch_slow(ksd_index_verifier *v, const ksd_batch *b, int64_t prev_last,
			int64_t prev_max_ts);

/*
 * One parsed batch of the walk, in file order.  prev_last / prev_max_ts:
 * the largest last offset and max timestamp of the batches before it (-1
 * when none).  For v0/v1 entries base_offset is the entry's (last) offset:
 * a wrapper's first offset is unknown without decompressing, so the
 * verifier takes such a batch as covering (prev_last, last_offset].
 */
static inline void ksd_ixv_batch(ksd_index_verifier *v, const ksd_batch *b, int64_t prev_last,
				 int64_t prev_max_ts)
{
	if (b->position >= v->gate_pos || b->last_offset >= v->gate_off)
		ksd_ixv_batch_slow(v, b, prev_last, prev_max_ts);
}

/* The walk skipped damaged bytes up to `upto` (or to the end): entries
 * pointing into them say nothing about the index (the log finding does),
 * so they are passed over without a verdict. */
void ksd_ixv_skip(ksd_index_verifier *v, uint64_t upto);

/* Ends the join: entries not reached lie past the end of the log's data.
 * batches_end: the byte after the last batch the walk parsed; last_offset:
 * the largest last offset it saw (-1 when none). */
void ksd_ixv_finish(ksd_index_verifier *v, uint64_t batches_end, int64_t last_offset);

/* ======================================================================
 * Producer state snapshots <offset>.snapshot (§3.1)
 * ==================================================================== */

#define KSD_SNAPSHOT_HEADER_BYTES 10 /* version, crc, count */
#define KSD_SNAPSHOT_ENTRY_BYTES 46

typedef struct ksd_producer_entry {
	int64_t producer_id;
	int16_t producer_epoch;
	int32_t last_sequence;
	int64_t last_offset;
	int32_t offset_delta;
	int64_t timestamp;
	int32_t coordinator_epoch;
	int64_t current_txn_first_offset; /* -1 = none */
} ksd_producer_entry;

typedef enum ksd_snapshot_status {
	KSD_SNAP_OK = 0,
	KSD_SNAP_TOO_SHORT,   /* fewer than 10 bytes */
	KSD_SNAP_BAD_VERSION, /* version is not 1 */
	KSD_SNAP_BAD_COUNT,   /* count negative or larger than the bytes hold */
	KSD_SNAP_BAD_CRC,     /* CRC-32C over bytes 6..EOF does not match */
	KSD_SNAP_TRAILING,    /* bytes after the entries: Kafka accepts the file */
} ksd_snapshot_status;

const char *ksd_snapshot_status_text(ksd_snapshot_status st);

typedef struct ksd_snapshot_info {
	ksd_snapshot_status status;
	bool kafka_accepts;  /* ProducerStateManager.readSnapshot would load it */
	int16_t version;
	uint32_t stored_crc, computed_crc;
	bool crc_checked;    /* the file was long enough to have a CRC */
	int32_t count;       /* as stored */
	uint64_t entries;    /* whole entries present (<= count when truncated) */
	uint64_t trailing_bytes;
	uint64_t error_pos;  /* byte where the file stops being valid */
} ksd_snapshot_info;

/* Parses in Kafka's order: version, then schema (count and entries), then
 * the CRC (readSnapshot).  Never fails: the status says what is wrong. */
ksd_snapshot_status ksd_snapshot_parse(const uint8_t *data, size_t len,
				       ksd_snapshot_info *out);

/* Entry i (0-based) of a parsed snapshot; false beyond the bytes. */
bool ksd_snapshot_entry_at(const uint8_t *data, size_t len, uint64_t i,
			   ksd_producer_entry *out);

typedef struct ksd_snapshot_ctx {
	const char *path;
	int64_t offset;          /* from the file name */
	bool newest;             /* the highest-offset snapshot of the partition */
	unsigned older_valid;    /* valid snapshots below this one */
	bool clean_shutdown;     /* .kafka_cleanshutdown present */
} ksd_snapshot_ctx;

/* snapshot-corrupt when Kafka would reject the file (or, at info, when it
 * holds bytes Kafka ignores). */
void ksd_check_snapshot(const ksd_snapshot_ctx *ctx, const ksd_file_image *im,
			ksd_findings *out);

/* ======================================================================
 * Text files (§3.2-3.8), parsed exactly as strictly as Kafka reads them
 * ==================================================================== */

typedef enum ksd_text_status {
	KSD_TEXT_OK = 0,
	KSD_TEXT_BAD_VERSION,    /* a version Kafka does not accept */
	KSD_TEXT_MALFORMED,      /* a line Kafka cannot parse */
	KSD_TEXT_COUNT_MISMATCH, /* CheckpointFile: entries != declared count */
	KSD_TEXT_INVALID,        /* parsed, but a value Kafka rejects */
	KSD_TEXT_MISSING,        /* a required key or line is absent */
} ksd_text_status;

const char *ksd_text_status_text(ksd_text_status st);

/* Where parsing stopped: 1-based line and byte position; `what` is static. */
typedef struct ksd_text_result {
	ksd_text_status status;
	uint32_t line;
	uint64_t byte;
	const char *what;
} ksd_text_result;

/* One "topic partition offset" line; topic points into the input text
 * (not NUL-terminated). */
typedef struct ksd_tp_offset {
	const char *topic;
	size_t topic_len;
	int32_t partition;
	int64_t offset;
} ksd_tp_offset;

typedef struct ksd_checkpoint_info {
	int32_t version;   /* -1 when the file is empty */
	int32_t count;     /* declared; -1 when absent */
	uint64_t entries;  /* entry lines read (all are validated) */
	size_t stored;     /* entries stored in the caller's array (<= cap) */
	ksd_text_result res;
} ksd_checkpoint_info;

/*
 * recovery-point-offset-checkpoint, replication-offset-checkpoint,
 * log-start-offset-checkpoint, cleaner-offset-checkpoint (CheckpointFile +
 * OffsetCheckpointFile.Formatter): version line must be 0, count line, then
 * `topic partition offset` split on \s+, and as many lines as declared.
 * An empty file, or one holding only the version, reads as no entries.
 */
ksd_text_status ksd_parse_offset_checkpoint(const char *text, size_t len,
					    ksd_tp_offset *out, size_t cap,
					    ksd_checkpoint_info *info);

typedef struct ksd_epoch_entry {
	int32_t epoch;
	int64_t start_offset;
} ksd_epoch_entry;

typedef struct ksd_epoch_checkpoint_info {
	ksd_checkpoint_info cp;
	/* LeaderEpochFileCache accepts non-monotonic entries but drops the
	 * conflicting earlier ones (maybeTruncateNonMonotonicEntries). */
	bool monotonic;
	uint32_t first_non_monotonic_line; /* 0 when monotonic */
} ksd_epoch_checkpoint_info;

/* leader-epoch-checkpoint: version 0, count, `epoch startOffset`; negative
 * epochs or offsets are KSD_TEXT_INVALID (LeaderEpochFileCache.assign throws). */
ksd_text_status ksd_parse_leader_epoch_checkpoint(const char *text, size_t len,
						  ksd_epoch_entry *out, size_t cap,
						  ksd_epoch_checkpoint_info *info);

/* java.util.Properties, bounded: keys and values longer than
 * KSD_PROP_TEXT_MAX - 1 bytes are cut (and flagged). */
#define KSD_PROPS_MAX 32
#define KSD_PROP_TEXT_MAX 256

typedef struct ksd_prop {
	char key[KSD_PROP_TEXT_MAX];
	char value[KSD_PROP_TEXT_MAX];
	bool truncated;
} ksd_prop;

/* Parses Java properties (comments, `=`/`:`/space separators, line
 * continuations, \uXXXX escapes) into props[0..*n); a later duplicate key
 * replaces the earlier value, as Properties.load does. */
ksd_text_status ksd_parse_properties(const char *text, size_t len, ksd_prop *props,
				     size_t cap, size_t *n, bool *dropped,
				     ksd_text_result *res);

typedef struct ksd_meta_properties {
	int version;           /* 0 when absent (ZooKeeper mode) */
	bool has_broker_id, has_node_id, has_cluster_id, has_directory_id;
	int32_t broker_id, node_id;
	char cluster_id[KSD_PROP_TEXT_MAX];
	uint8_t directory_id[16];
	size_t nprops;
	bool props_dropped;    /* more than KSD_PROPS_MAX keys */
	ksd_prop props[KSD_PROPS_MAX];
	ksd_text_result res;
} ksd_meta_properties;

/* meta.properties (MetaProperties.Builder): version 0 (broker.id optional)
 * or 1 (node.id and cluster.id required); directory.id must be a Uuid. */
ksd_text_status ksd_parse_meta_properties(const char *text, size_t len,
					  ksd_meta_properties *out);

/* Kafka's Uuid.fromString: base64url of 16 bytes, at most 24 chars. */
bool ksd_parse_uuid(const char *s, size_t len, uint8_t out[16]);
/* 22-char base64url without padding, NUL-terminated (Uuid.toString). */
void ksd_format_uuid(const uint8_t id[16], char out[23]);

typedef struct ksd_partition_metadata {
	int32_t version;
	uint8_t topic_id[16];
	ksd_text_result res;
} ksd_partition_metadata;

/* partition.metadata (PartitionMetadataReadBuffer): "version: N" (N >= 0)
 * then "topic_id: <Uuid>" (not the zero Uuid), each split on ":\s+". */
ksd_text_status ksd_parse_partition_metadata(const char *text, size_t len,
					     ksd_partition_metadata *out);

typedef struct ksd_clean_shutdown {
	bool empty;            /* the <= 3.6 form */
	bool json;             /* parsed as a JSON object */
	bool has_version, has_broker_epoch;
	int64_t version, broker_epoch;
	ksd_text_result res;
} ksd_clean_shutdown;

/* .kafka_cleanshutdown: empty, or {"version":0,"brokerEpoch":N} (3.7+,
 * KIP-966).  Kafka only logs unreadable content: presence is what counts. */
ksd_text_status ksd_parse_clean_shutdown(const char *text, size_t len,
					 ksd_clean_shutdown *out);

typedef struct ksd_quorum_state {
	int data_version;
	int64_t leader_id, leader_epoch, voted_id, applied_offset;
	bool has_cluster_id, has_applied_offset, has_voted_directory_id;
	char cluster_id[KSD_PROP_TEXT_MAX];
	uint8_t voted_directory_id[16];
	int64_t voters;        /* currentVoters entries, -1 when null/absent */
	size_t json_len;       /* bytes of the first line's JSON value */
	ksd_text_result res;
} ksd_quorum_state;

/* quorum-state (FileQuorumStateStore): the first line is a JSON object with
 * data_version 0 or 1 and the fields QuorumStateData requires for it. */
ksd_text_status ksd_parse_quorum_state(const char *text, size_t len,
				       ksd_quorum_state *out);

/* Validates one JSON value (RFC 8259, nesting at most 64 deep) at text[0..len)
 * after optional whitespace; *end receives the byte after it.  False with
 * *end at the offending byte. */
bool ksd_json_validate(const char *text, size_t len, size_t *end);

/* ======================================================================
 * File kind by content
 * ==================================================================== */

/*
 * What `head` (the first n bytes of a file of file_size bytes) says the
 * file is.  Strong signatures first: a producer snapshot (version 1, size
 * 10 + 46 x count, CRC-32C valid when all of it is in head), a KRaft
 * snapshot (a v2 control batch whose first record is SNAPSHOT_HEADER), a
 * .log (an entry chain whose first entry's CRC holds), then text files,
 * then indexes (a size multiple of the entry and monotonic entries).  When
 * the content is ambiguous (empty, all zeros, several kinds fit) the name
 * decides; when name and content disagree the content wins and callers can
 * report both (ksd_classify_file gives the name's kind).  `name` may be
 * NULL.  Offset checkpoints are indistinguishable by content: the name picks
 * which of the four, recovery-point by default.
 */
ksd_file_kind ksd_sniff_kind(const uint8_t *head, size_t n, uint64_t file_size,
			     const char *name);

#endif
