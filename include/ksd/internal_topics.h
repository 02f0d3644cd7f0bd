/*
 * ksd/internal_topics.h - decoders for Kafka's internal topics and for
 * control records (kafka-facts.md §1.7 and §6).
 *
 *   __consumer_offsets   key and value each start with an int16 version; the
 *                        key's version is the record type (0/1 offset commit,
 *                        2 group metadata, 3-8 KIP-848, 9-15 KIP-932, 16
 *                        consumer-group regex).  GroupCoordinatorRecordSerde.
 *   __transaction_state  TransactionLogKey v0 + TransactionLogValue v0/v1.
 *   __cluster_metadata   value = uvarint frame version (1) + uvarint apiKey +
 *                        uvarint version + flexible body; null key
 *                        (AbstractApiMessageSerde).
 *   control records      key int16 version + int16 type; see ksd_control_*.
 *
 * Two layers.  The structured parsers fill plain structs whose strings point
 * into the caller's bytes (zero copy, valid as long as those bytes are); the
 * later `offsets` command computes committed offsets from them.  The JSON
 * renderers write exactly one JSON value each through a ksd_jw, in the shape
 * docs/dump-format.md gives for `key_decoded`, `value_decoded` and
 * `control`.  A payload that does not decode is rendered as
 * {"error":"<static text>","at":<byte offset in the key/value>} and the
 * renderer returns false; nothing is ever written half-way, because every
 * payload is first checked in full with output discarded.
 *
 * All reads are bounded by the given lengths; counts read from the bytes are
 * bounded by the bytes left, so hostile payloads cost no more than their
 * size.  No allocation, no global state.
 */
#ifndef KSD_INTERNAL_TOPICS_H
#define KSD_INTERNAL_TOPICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ksd/cursor.h"
#include "ksd/jsonw.h"

/* A Kafka string or bytes field: points into the decoded bytes; len -1 = null. */
typedef struct ksd_kstr {
	const uint8_t *p;
	int32_t len;
} ksd_kstr;

/* Why a payload did not decode: static text and the byte offset in it. */
typedef struct ksd_decode_err {
	const char *what;
	uint64_t at;
} ksd_decode_err;

/* --- which decoder a topic gets ------------------------------------------ */

typedef enum ksd_topic_decoder {
	KSD_DECODER_NONE = 0,
	KSD_DECODER_CONSUMER_OFFSETS,
	KSD_DECODER_TRANSACTION_STATE,
	KSD_DECODER_CLUSTER_METADATA,
} ksd_topic_decoder;

/* The decoder Kafka's own tools would pick for a topic name, or NONE. */
ksd_topic_decoder ksd_topic_decoder_for_topic(const char *topic);
/* "none", "offsets", "transaction-log", "cluster-metadata". */
const char *ksd_topic_decoder_name(ksd_topic_decoder d);

/*
 * Writes exactly one JSON value for a record key: null for a null key
 * (klen < 0), else {"type":…,"version":N,"data":{…}}; for
 * __cluster_metadata (whose records have no key) a non-null key is an error.
 * Returns false (after writing an error object) when the key does not decode.
 */
bool ksd_decode_key_json(ksd_topic_decoder d, ksd_jw *w, const uint8_t *key, int64_t klen);

/*
 * Writes exactly one JSON value for a record value: null for a tombstone
 * (vlen < 0); else {"version":N,"data":{…}} for __consumer_offsets and
 * __transaction_state (the key says which record type the value is), and
 * {"type":"TOPIC_RECORD","api_key":2,"frame_version":1,"version":0,"data":{…}}
 * for __cluster_metadata.  Record types that exist but are not decoded here
 * (future __consumer_offsets types) give {"version":N,"skipped":"…"} and
 * true.  Returns false after writing an error object.  Control records are
 * not values of these topics: use ksd_control_json for them.
 */
bool ksd_decode_value_json(ksd_topic_decoder d, ksd_jw *w, const uint8_t *key, int64_t klen,
			   const uint8_t *value, int64_t vlen);

/* --- __consumer_offsets ---------------------------------------------------- */

/*
 * partition = Utils.abs(String.hashCode()) % partitions, with the hash taken
 * over the UTF-16 code units of the UTF-8 input (GroupMetadataManager /
 * TransactionStateManager; kafka-facts.md §6.2).  Invalid UTF-8 bytes count
 * as U+FFFD, as Java's decoder replaces them.  -1 if partitions <= 0.
 */
int32_t ksd_coordinator_partition(const char *utf8, size_t len, int32_t partitions);

typedef struct ksd_offsets_key {
	int16_t version;      /* the record type */
	bool known;           /* false: a record type this build does not know */
	const char *type;     /* "offset_commit", "group_metadata", …, "unknown" */
	ksd_kstr group;       /* every known type */
	ksd_kstr topic;       /* offset_commit only, else null */
	int32_t partition;    /* offset_commit only, else -1 */
	ksd_kstr member_id;   /* member-scoped KIP-848/932 types, else null */
	ksd_kstr regex;       /* consumer_group_regular_expression, else null */
} ksd_offsets_key;

/*
 * Parses a __consumer_offsets key.  Unknown record types parse (known =
 * false, only version set): Kafka skips them.  Bytes after the key's fields
 * are ignored, as Kafka's reader does.
 */
bool ksd_offsets_key_parse(const uint8_t *key, size_t len, ksd_offsets_key *out,
			   ksd_decode_err *err);

typedef struct ksd_offset_commit_value {
	int16_t version;          /* 0-4 (OffsetCommitValue.json) */
	int64_t offset;
	int32_t leader_epoch;     /* v3+, else -1 (KIP-320) */
	ksd_kstr metadata;
	int64_t commit_timestamp;
	int64_t expire_timestamp; /* v1 only, else -1 */
} ksd_offset_commit_value;

bool ksd_offset_commit_value_parse(const uint8_t *value, size_t len,
				   ksd_offset_commit_value *out, ksd_decode_err *err);

typedef struct ksd_group_member {
	ksd_kstr member_id;
	ksd_kstr group_instance_id;  /* v3+ (KIP-345), else null */
	ksd_kstr client_id;
	ksd_kstr client_host;
	int32_t rebalance_timeout;   /* v1+, else -1 */
	int32_t session_timeout;
	ksd_kstr subscription;       /* protocol bytes, e.g. ConsumerProtocolSubscription */
	ksd_kstr assignment;
} ksd_group_member;

typedef struct ksd_group_metadata {
	int16_t version;             /* 0-4 (GroupMetadataValue.json) */
	ksd_kstr protocol_type;
	int32_t generation;
	ksd_kstr protocol;
	ksd_kstr leader;
	int64_t current_state_timestamp; /* v2+, else -1 */
	int32_t member_count;
	/* iteration state for ksd_group_member_next */
	ksd_cursor members;
	int32_t members_left;
} ksd_group_metadata;

/* Parses and checks the whole value, members included. */
bool ksd_group_metadata_parse(const uint8_t *value, size_t len, ksd_group_metadata *out,
			      ksd_decode_err *err);
/* Next member of a value that ksd_group_metadata_parse accepted; false at the end. */
bool ksd_group_member_next(ksd_group_metadata *g, ksd_group_member *m);

/* --- __transaction_state --------------------------------------------------- */

typedef struct ksd_txn_key {
	int16_t version;            /* 0 */
	ksd_kstr transactional_id;
} ksd_txn_key;

typedef struct ksd_txn_value {
	int16_t version;            /* 0-1 (TransactionLogValue.json) */
	int64_t producer_id;
	int16_t producer_epoch;
	int32_t timeout_ms;
	int8_t status;              /* see ksd_txn_status_name */
	int32_t topic_count;        /* TransactionPartitions; -1 = null */
	int64_t last_update_timestamp;
	int64_t start_timestamp;
	int64_t previous_producer_id;       /* v1 tag 0, else -1 */
	int64_t next_producer_id;           /* v1 tag 1, else -1 */
	int16_t client_transaction_version; /* v1 tag 2, else 0 */
	/* iteration state for ksd_txn_topic_next */
	ksd_cursor topics;
	int32_t topics_left;
} ksd_txn_value;

typedef struct ksd_txn_topic {
	ksd_kstr topic;
	int32_t partition_count;
	const uint8_t *partitions_be32; /* partition_count big-endian int32s */
} ksd_txn_topic;

bool ksd_txn_key_parse(const uint8_t *key, size_t len, ksd_txn_key *out, ksd_decode_err *err);
bool ksd_txn_value_parse(const uint8_t *value, size_t len, ksd_txn_value *out,
			 ksd_decode_err *err);
bool ksd_txn_topic_next(ksd_txn_value *v, ksd_txn_topic *t);
/* "Empty", "Ongoing", … "PrepareEpochFence" (TransactionState ids), or NULL. */
const char *ksd_txn_status_name(int status);

/* --- __cluster_metadata ---------------------------------------------------- */

typedef struct ksd_metadata_frame {
	uint16_t frame_version;  /* 1; 0 is the 2.8 preview format */
	uint16_t api_key;
	uint16_t version;
	const uint8_t *body;
	size_t body_len;
	size_t body_at;          /* offset of the body in the value */
} ksd_metadata_frame;

/*
 * Reads the three uvarints in front of a metadata record body.  Fails on a
 * frame version other than 1, as MetadataRecordSerde does.
 */
bool ksd_metadata_frame_parse(const uint8_t *value, size_t len, ksd_metadata_frame *out,
			      ksd_decode_err *err);
/* Kafka's MetadataRecordType name ("TOPIC_RECORD", …) or "UNKNOWN". */
const char *ksd_metadata_type_name(int api_key);

/* --- control records ------------------------------------------------------- */

typedef enum ksd_control_type {
	KSD_CONTROL_UNKNOWN = -1,
	KSD_CONTROL_ABORT = 0,
	KSD_CONTROL_COMMIT = 1,
	KSD_CONTROL_LEADER_CHANGE = 2,
	KSD_CONTROL_SNAPSHOT_HEADER = 3,
	KSD_CONTROL_SNAPSHOT_FOOTER = 4,
	KSD_CONTROL_KRAFT_VERSION = 5,
	KSD_CONTROL_KRAFT_VOTERS = 6,
} ksd_control_type;

typedef struct ksd_control {
	int16_t key_version;     /* 0 */
	int16_t type_id;         /* as stored */
	ksd_control_type type;   /* UNKNOWN for ids Kafka does not know */
	int16_t value_version;   /* markers: the EndTransactionMarker version; -1 otherwise */
	int32_t coordinator_epoch; /* markers only, else -1 */
} ksd_control;

/* "ABORT", "COMMIT", … "KRAFT_VOTERS", or "UNKNOWN". */
const char *ksd_control_type_name(ksd_control_type t);

/*
 * Parses a control record: the key (ControlRecordType.parseTypeId: >= 4
 * bytes, version >= 0) and, for ABORT/COMMIT, the transaction marker value
 * (EndTransactionMarker.deserializeValue: >= 6 bytes, version >= 0).  Other
 * types' values are not looked at here (ksd_control_json decodes them).
 */
bool ksd_control_parse(const uint8_t *key, int64_t klen, const uint8_t *value, int64_t vlen,
		       ksd_control *out, ksd_decode_err *err);

/*
 * Writes one JSON object for a control record, e.g.
 * {"type":"COMMIT","version":0,"coordinator_epoch":5} or
 * {"type":"LEADER_CHANGE","version":0,"leader_id":1,"voters":[…],…};
 * {"type":"UNKNOWN","type_id":N} for unknown types.  False (after an error
 * object) when the key or value does not decode.
 */
bool ksd_control_json(ksd_jw *w, const uint8_t *key, int64_t klen, const uint8_t *value,
		      int64_t vlen);

#endif
