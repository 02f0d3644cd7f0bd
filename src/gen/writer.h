/*
 * gen/writer.h - the project's own writer of Kafka on-disk fixtures.
 *
 * Used by unit tests, `ksd-gen` (scenarios, `make demo`, benchmarks) and the
 * fuzz seed corpus.  It writes bytes exactly as a broker would (see
 * shared/docs/kafka-facts.md, cited as §n below) and, on request, damages
 * them in one precise way each, so a test can assert one exact finding.
 *
 * Conventions:
 *  - every public symbol is prefixed ksd_gen_;
 *  - functions return a ksd_err (never exit, never print);
 *  - a `ksd_gen_ctx *` argument may be NULL: a temporary context is made;
 *    pass a long-lived one in loops (it holds the reusable scratch buffers
 *    and compressor states, so steady-state encoding does not allocate);
 *  - lengths of keys/values use KSD_GEN_NULL (-1) for a null field;
 *  - everything is deterministic: no clock, no global state.
 */
#ifndef KSD_GEN_WRITER_H
#define KSD_GEN_WRITER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ksd/codec.h"
#include "ksd/error.h"

/* Length value that encodes a null key/value/header value. */
#define KSD_GEN_NULL (-1)

/* ------------------------------------------------------------------------
 * Growable byte buffer.  Appends never fail visibly: on allocation failure
 * the buffer turns sticky-`oom` and later appends are dropped, so encoders
 * check once with ksd_gen_buf_status() at the end.
 * ---------------------------------------------------------------------- */
typedef struct ksd_gen_buf {
	uint8_t *data;
	size_t len;
	size_t cap;
	bool oom;
} ksd_gen_buf;

void ksd_gen_buf_init(ksd_gen_buf *b);
void ksd_gen_buf_free(ksd_gen_buf *b);
/* Forget the content (len = 0) but keep the memory for reuse. */
void ksd_gen_buf_clear(ksd_gen_buf *b);
/* KSD_OK, or KSD_ERR_NOMEM once any append failed. */
ksd_err ksd_gen_buf_status(const ksd_gen_buf *b);
/* Make room for `extra` more bytes. */
ksd_err ksd_gen_buf_reserve(ksd_gen_buf *b, size_t extra);
/* Extend by n bytes and return a pointer to them (uninitialised), or NULL. */
uint8_t *ksd_gen_buf_grow(ksd_gen_buf *b, size_t n);
void ksd_gen_buf_put(ksd_gen_buf *b, const void *p, size_t n);
void ksd_gen_buf_put_zeros(ksd_gen_buf *b, size_t n);
void ksd_gen_buf_put_u8(ksd_gen_buf *b, uint8_t v);
void ksd_gen_buf_put_be16(ksd_gen_buf *b, uint16_t v);
void ksd_gen_buf_put_be32(ksd_gen_buf *b, uint32_t v);
void ksd_gen_buf_put_be64(ksd_gen_buf *b, uint64_t v);
void ksd_gen_buf_put_le32(ksd_gen_buf *b, uint32_t v);
/* Protobuf zig-zag varint/varlong as Kafka's ByteUtils.writeVarlong. */
void ksd_gen_buf_put_varint(ksd_gen_buf *b, int64_t v);
/* Kafka protocol string: int16 length + UTF-8; NULL writes length -1. */
void ksd_gen_buf_put_str16(ksd_gen_buf *b, const char *s);
/* Printf-style text append (checkpoints, properties). */
void ksd_gen_buf_printf(ksd_gen_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Overwrite 4 bytes at pos (pos + 4 <= len). */
void ksd_gen_buf_set_be32(ksd_gen_buf *b, size_t pos, uint32_t v);

/* Bytes the zig-zag varint encoding of v takes (1..10). */
size_t ksd_gen_varint_size(int64_t v);
void ksd_gen_store_be16(uint8_t *p, uint16_t v);
void ksd_gen_store_be32(uint8_t *p, uint32_t v);
void ksd_gen_store_be64(uint8_t *p, uint64_t v);
uint32_t ksd_gen_load_be32(const uint8_t *p);
uint64_t ksd_gen_load_be64(const uint8_t *p);

/* ------------------------------------------------------------------------
 * Compression with Kafka's exact framing (§1.9).
 * ---------------------------------------------------------------------- */
typedef struct ksd_gen_ctx ksd_gen_ctx;

ksd_err ksd_gen_ctx_new(ksd_gen_ctx **out);
void ksd_gen_ctx_free(ksd_gen_ctx *ctx);

/* Which LZ4 frame header checksum to write (KAFKA-3160, §1.9). */
typedef enum ksd_gen_lz4_hc {
	/* legacy for magic 0 (what Kafka >= 0.10 still writes), else standard */
	KSD_GEN_LZ4_HC_AUTO = 0,
	KSD_GEN_LZ4_HC_STANDARD, /* (XXH32(FLG..BD) >> 8) & 0xFF */
	KSD_GEN_LZ4_HC_LEGACY,   /* same over bytes 0..5 incl. magic */
} ksd_gen_lz4_hc;

/*
 * Appends the compressed form of in[0..n) to `out`:
 *  gzip   RFC 1952 member (zlib, level 6 = Deflater default);
 *  snappy xerial stream: 16-byte header, then per <= 32 KiB input chunk
 *         BE int32 length + raw snappy block;
 *  lz4    Kafka's frame: 04 22 4D 18, FLG 0x60, BD 0x40, HC, blocks of
 *         <= 64 KiB input (LE uint32 size, high bit = stored), end mark 0;
 *  zstd   one frame, level 3, no content size (as zstd-jni streaming).
 * lz4_hc must be STANDARD or LEGACY here (AUTO counts as STANDARD).
 */
ksd_err ksd_gen_compress(ksd_gen_ctx *ctx, ksd_codec codec, const void *in,
			 size_t n, ksd_gen_buf *out, ksd_gen_lz4_hc lz4_hc);

/* xxHash32 (used for the LZ4 frame header checksum). */
uint32_t ksd_gen_xxh32(const void *p, size_t n, uint32_t seed);

/* ------------------------------------------------------------------------
 * What an encoder appended: enough for the segment builder's indexes.
 * ---------------------------------------------------------------------- */
typedef struct ksd_gen_batch_info {
	int64_t base_offset; /* first offset (v2 baseOffset, legacy first inner) */
	int64_t last_offset; /* v2 base+lastOffsetDelta, legacy outer offset */
	int64_t max_timestamp; /* -1 when none (v0) */
	/* Offset the time index pairs with max_timestamp: the batch's last
	 * offset ("shallow" offset, as brokers since 2.0 use). */
	int64_t offset_of_max_timestamp;
	size_t size;          /* bytes appended (12 + size field) */
	int magic;
	int32_t record_count; /* records written (inner messages for wrappers) */
} ksd_gen_batch_info;

/* ------------------------------------------------------------------------
 * RecordBatch v2 (§1.4-1.7).
 * ---------------------------------------------------------------------- */
typedef struct ksd_gen_header {
	const char *key; /* non-null, UTF-8 */
	const void *value;
	int32_t value_len; /* KSD_GEN_NULL for a null value */
} ksd_gen_header;

typedef struct ksd_gen_record {
	int32_t offset_delta; /* used only with spec.explicit_offset_deltas */
	int64_t timestamp_delta;
	const void *key;
	int32_t key_len; /* KSD_GEN_NULL = null */
	const void *value;
	int32_t value_len; /* KSD_GEN_NULL = null (tombstone) */
	const ksd_gen_header *headers;
	int32_t header_count;
} ksd_gen_record;

typedef struct ksd_gen_batch_spec {
	int64_t base_offset;
	int32_t partition_leader_epoch;
	ksd_codec codec;
	bool log_append_time; /* attr bit 3 */
	bool transactional;   /* attr bit 4 */
	bool control;         /* attr bit 5 */
	bool delete_horizon;  /* attr bit 6 (3.1+, KIP-534) */
	uint16_t extra_attributes; /* OR-ed in as is (e.g. invalid codec 5) */
	int64_t base_timestamp;    /* or deleteHorizonMs with delete_horizon */
	/* Defaults computed from the records unless set_* is true. */
	bool set_max_timestamp;
	int64_t max_timestamp;
	bool set_last_offset_delta; /* needed for empty batches / trailing holes */
	int32_t last_offset_delta;
	bool set_records_count;     /* lie about recordsCount (damage tests) */
	int32_t records_count;
	int64_t producer_id;
	int16_t producer_epoch;
	int32_t base_sequence;
	/* Record i gets offset delta i unless this is set (compacted batches
	 * with holes keep their original deltas, §1.4). */
	bool explicit_offset_deltas;
	const ksd_gen_record *records;
	int32_t record_count;
	ksd_gen_lz4_hc lz4_hc; /* AUTO = standard for v2 */
} ksd_gen_batch_spec;

/* Defaults: everything 0 except producer id/epoch/base sequence = -1. */
void ksd_gen_batch_spec_init(ksd_gen_batch_spec *spec);

/* Appends one v2 batch to `out` with a correct CRC-32C over [21, end).
 * A compressed batch whose payload would not shrink is still written
 * compressed (what the broker stores is whatever the producer sent). */
ksd_err ksd_gen_encode_v2(ksd_gen_ctx *ctx, ksd_gen_buf *out,
			  const ksd_gen_batch_spec *spec,
			  ksd_gen_batch_info *info);

/* Control record types (§1.7). */
enum { KSD_GEN_CONTROL_ABORT = 0, KSD_GEN_CONTROL_COMMIT = 1 };

/* Appends a transaction marker batch (transactional + control, one record:
 * key = int16 0 + int16 type, value = int16 0 + int32 coordinatorEpoch). */
ksd_err ksd_gen_encode_txn_marker(ksd_gen_buf *out, int64_t offset,
				  int64_t producer_id, int16_t producer_epoch,
				  int type, int32_t coordinator_epoch,
				  int64_t timestamp, int32_t leader_epoch,
				  ksd_gen_batch_info *info);

/* ------------------------------------------------------------------------
 * Message formats v0/v1 (§1.2-1.3).
 * ---------------------------------------------------------------------- */
typedef struct ksd_gen_message {
	int64_t offset;    /* absolute */
	int64_t timestamp; /* v1 only; -1 = none */
	const void *key;
	int32_t key_len;   /* KSD_GEN_NULL = null */
	const void *value;
	int32_t value_len; /* KSD_GEN_NULL = null */
} ksd_gen_message;

/* One uncompressed message; `attributes` is written as is (codec bits must
 * be 0; bit 3 = LogAppendTime for v1).  CRC-32 over [16, end). */
ksd_err ksd_gen_encode_legacy(ksd_gen_buf *out, int magic,
			      const ksd_gen_message *m, uint8_t attributes,
			      ksd_gen_batch_info *info);

typedef struct ksd_gen_wrapper_spec {
	int magic;       /* 0 or 1 */
	ksd_codec codec; /* gzip, snappy or lz4 */
	const ksd_gen_message *messages; /* absolute, increasing offsets */
	size_t count;                    /* >= 1 */
	bool log_append_time;            /* v1: attr bit 3 on the wrapper */
	/* v1 wrapper timestamp: with log_append_time this value, else the max
	 * inner timestamp (§1.3). */
	int64_t log_append_timestamp;
	ksd_gen_lz4_hc lz4_hc; /* AUTO: legacy HC for magic 0 (KAFKA-3160) */
} ksd_gen_wrapper_spec;

/* A compressed wrapper message: v0 inner offsets absolute, v1 inner offsets
 * relative to the first message; wrapper offset = last absolute offset. */
ksd_err ksd_gen_encode_wrapper(ksd_gen_ctx *ctx, ksd_gen_buf *out,
			       const ksd_gen_wrapper_spec *spec,
			       ksd_gen_batch_info *info);

/* ------------------------------------------------------------------------
 * Segment builder: a .log image plus .index/.timeindex as the broker builds
 * them (§2.1, §2.2, §2.5).
 * ---------------------------------------------------------------------- */
#define KSD_GEN_INDEX_INTERVAL_DEFAULT 4096
#define KSD_GEN_MAX_INDEX_BYTES_DEFAULT 10485760

typedef struct ksd_gen_segment_opts {
	int32_t index_interval_bytes; /* 0 = 4096 (index.interval.bytes) */
	/* Index key = first offset of the append, as brokers <= 1.1 did;
	 * default is the batch's last offset (2.0+, KAFKA-6530). */
	bool index_first_offset;
	/* Leave both indexes at full preallocated size (zero tail) and skip
	 * the final time-index entry: a segment never closed (crash or live
	 * broker), §2.4. */
	bool preallocate;
	int32_t max_index_bytes; /* 0 = 10485760 (segment.index.bytes) */
	bool omit_timeindex;     /* pre-0.10.1 layout: no .timeindex file */
} ksd_gen_segment_opts;

typedef struct ksd_gen_segment {
	int64_t base_offset;
	ksd_gen_segment_opts opts;
	ksd_gen_buf log;       /* log bytes not yet written to log_fd */
	uint64_t log_size;     /* all bytes appended so far */
	int log_fd;            /* -1: memory-only segment */
	ksd_gen_buf index;     /* 8-byte entries (trimmed) */
	ksd_gen_buf timeindex; /* 12-byte entries (trimmed) */
	uint64_t bytes_since_index_entry;
	int64_t max_timestamp;          /* -1 until a batch carries one */
	int64_t offset_of_max_timestamp;
	int64_t last_index_offset;      /* -1 = no entry yet */
	int64_t last_time_timestamp;    /* -1 = no entry yet */
	int64_t last_time_offset;
	int64_t next_offset;            /* last appended offset + 1 */
	bool closed;
	char *dir;                      /* partition dir or NULL */
} ksd_gen_segment;

/* Starts a segment.  dir != NULL: <dir>/<base 20 digits>.log is created now
 * and written through a large buffer; indexes are written at close.
 * dir == NULL: everything stays in memory (seg->log holds the image). */
ksd_err ksd_gen_segment_open(ksd_gen_segment *seg, const char *dir,
			     int64_t base_offset,
			     const ksd_gen_segment_opts *opts);
/* Appends one encoded entry (bytes + what the encoder reported) and applies
 * the index.interval.bytes rule. */
ksd_err ksd_gen_segment_append(ksd_gen_segment *seg, const void *entry,
			       size_t len, const ksd_gen_batch_info *info);
/* Encodes a v2 batch straight into the segment (no copy). */
ksd_err ksd_gen_segment_append_v2(ksd_gen_segment *seg, ksd_gen_ctx *ctx,
				  const ksd_gen_batch_spec *spec,
				  ksd_gen_batch_info *info);
/* Appends bytes the broker's indexes never saw (a torn write, garbage). */
ksd_err ksd_gen_segment_append_raw(ksd_gen_segment *seg, const void *p,
				   size_t len);
/* Current .log size = byte position of the next append. */
uint64_t ksd_gen_segment_position(const ksd_gen_segment *seg);
/* Finishes the indexes (final time entry unless preallocated; padding if
 * preallocated) and, with a dir, flushes .log and writes .index/.timeindex.
 * Memory-only segments keep the results in seg->log/index/timeindex. */
ksd_err ksd_gen_segment_close(ksd_gen_segment *seg);
/* Releases memory and an unclosed file descriptor.  Safe after close. */
void ksd_gen_segment_free(ksd_gen_segment *seg);

/* <dir>/<20-digit base><suffix>, e.g. suffix ".log".  KSD_ERR_OVERFLOW if
 * it does not fit. */
ksd_err ksd_gen_segment_path(char *out, size_t cap, const char *dir,
			     int64_t base_offset, const char *suffix);

/* ------------------------------------------------------------------------
 * Log dir and partition dir files (§3).
 * ---------------------------------------------------------------------- */
ksd_err ksd_gen_mkdirs(const char *path);
ksd_err ksd_gen_write_file(const char *path, const void *data, size_t len);
ksd_err ksd_gen_write_file_in(const char *dir, const char *name,
			      const void *data, size_t len);

/* version 0: version=0, broker.id, cluster.id (ZK mode);
 * version 1: version=1, node.id, cluster.id (KRaft). */
ksd_err ksd_gen_write_meta_properties(const char *logdir, int version,
				      int32_t id, const char *cluster_id);

typedef struct ksd_gen_tp_offset {
	const char *topic;
	int32_t partition;
	int64_t offset;
} ksd_gen_tp_offset;

/* "0\n<count>\n<topic> <partition> <offset>\n..." into logdir/name, e.g.
 * recovery-point-offset-checkpoint, replication-offset-checkpoint,
 * log-start-offset-checkpoint, cleaner-offset-checkpoint (§3.2). */
ksd_err ksd_gen_write_checkpoint(const char *logdir, const char *name,
				 const ksd_gen_tp_offset *entries, size_t n);

typedef struct ksd_gen_epoch_entry {
	int32_t epoch;
	int64_t start_offset;
} ksd_gen_epoch_entry;

ksd_err ksd_gen_write_leader_epoch_checkpoint(const char *partdir,
					      const ksd_gen_epoch_entry *e,
					      size_t n);

/* 22-char unpadded base64url of a 16-byte UUID, NUL-terminated. */
void ksd_gen_uuid_base64url(const uint8_t id[16], char out[23]);
/* "version: 0\ntopic_id: <base64url>\n" (§3.4). */
ksd_err ksd_gen_write_partition_metadata(const char *partdir,
					 const uint8_t topic_id[16]);
/* Empty .kafka_cleanshutdown (the <= 3.6 form, §3.5). */
ksd_err ksd_gen_write_clean_shutdown(const char *logdir);
/* Empty .lock (§3.6); nothing holds a lock on it. */
ksd_err ksd_gen_write_lock_file(const char *logdir);

typedef struct ksd_gen_producer_entry {
	int64_t producer_id;
	int16_t producer_epoch;
	int32_t last_sequence;
	int64_t last_offset;
	int32_t offset_delta;
	int64_t timestamp;
	int32_t coordinator_epoch;
	int64_t current_txn_first_offset; /* -1 = none */
} ksd_gen_producer_entry;

/* Producer state snapshot v1 (§3.1): int16 1 | uint32 crc32c(bytes 6..) |
 * int32 count | 46-byte entries.  Appended to out. */
void ksd_gen_encode_producer_snapshot(ksd_gen_buf *out,
				      const ksd_gen_producer_entry *e,
				      size_t n);
/* Writes <partdir>/<offset 20 digits>.snapshot. */
ksd_err ksd_gen_write_producer_snapshot(const char *partdir, int64_t offset,
					const ksd_gen_producer_entry *e,
					size_t n);

/* ------------------------------------------------------------------------
 * Damage: one defect each, applied to a file in place (or to memory).
 * Positions are byte offsets in the file; entry_pos is the start of an
 * entry (its offset field).
 * ---------------------------------------------------------------------- */
ksd_err ksd_gen_damage_flip_bit(const char *path, uint64_t pos, unsigned bit);
/* Torn tail: cut the file to new_size bytes. */
ksd_err ksd_gen_damage_truncate(const char *path, uint64_t new_size);
/* Overwrite the size field (entry bytes 8-11), e.g. 5 (< 14) or a length
 * that runs past EOF. */
ksd_err ksd_gen_damage_set_size(const char *path, uint64_t entry_pos,
				int32_t size);
/* Overwrite the magic byte (entry byte 16), e.g. 7. */
ksd_err ksd_gen_damage_set_magic(const char *path, uint64_t entry_pos,
				 uint8_t magic);
/* Append n zero bytes (preallocated segment left by a crash, §1.10). */
ksd_err ksd_gen_damage_append_zeros(const char *path, uint64_t n);

/* In-memory twins for unit tests; KSD_ERR_INVAL when out of range. */
ksd_err ksd_gen_damage_mem_flip_bit(uint8_t *data, size_t len, size_t pos,
				    unsigned bit);
ksd_err ksd_gen_damage_mem_set_size(uint8_t *data, size_t len,
				    size_t entry_pos, int32_t size);
ksd_err ksd_gen_damage_mem_set_magic(uint8_t *data, size_t len,
				     size_t entry_pos, uint8_t magic);

/* ------------------------------------------------------------------------
 * __consumer_offsets records (§6.1).  Strings are int16 length + UTF-8.
 * ---------------------------------------------------------------------- */
/* Offset commit key, version 1: int16 1, group, topic, int32 partition. */
void ksd_gen_offset_commit_key(ksd_gen_buf *out, const char *group,
			       const char *topic, int32_t partition);
/* Value v1: int16 1, offset, metadata, commit_timestamp, expire_timestamp. */
void ksd_gen_offset_commit_value_v1(ksd_gen_buf *out, int64_t offset,
				    const char *metadata, int64_t commit_ts,
				    int64_t expire_ts);
/* Value v3: int16 3, offset, leader_epoch, metadata, commit_timestamp. */
void ksd_gen_offset_commit_value_v3(ksd_gen_buf *out, int64_t offset,
				    int32_t leader_epoch, const char *metadata,
				    int64_t commit_ts);
/* Group metadata key, version 2: int16 2, group. */
void ksd_gen_group_metadata_key(ksd_gen_buf *out, const char *group);

/* Java String.hashCode over the UTF-16 form of a UTF-8 string, and the
 * __consumer_offsets partition of a group: Utils.abs(hash) % partitions
 * (§6.2). */
int32_t ksd_gen_java_string_hash(const char *utf8);
int32_t ksd_gen_group_partition(const char *group, int32_t partitions);

#endif
