/*
 * ksd/batch.h - the entry chain of a .log file: v0/v1 messages and v2
 * record batches, read header by header (kafka-facts.md §1.1-1.5).
 *
 * Every entry starts with offset int64, size int32, and has its magic at
 * byte 16, so a walker can step from entry to entry without decoding
 * records and can mix magics in one file.  Parsing a header never reads
 * past the bytes handed in; the caller supplies at least the header.
 */
#ifndef KSD_BATCH_H
#define KSD_BATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define KSD_LOG_OVERHEAD 12          /* offset + size */
#define KSD_HEADER_UP_TO_MAGIC 17    /* Records.HEADER_SIZE_UP_TO_MAGIC */
#define KSD_MIN_LEGACY_SIZE 14       /* LegacyRecord.RECORD_OVERHEAD_V0 */
#define KSD_V1_MIN_SIZE 22           /* v1 header (14) + key len + value len */
#define KSD_V2_OVERHEAD 61           /* DefaultRecordBatch.RECORD_BATCH_OVERHEAD */
#define KSD_V2_MIN_SIZE (KSD_V2_OVERHEAD - KSD_LOG_OVERHEAD) /* batchLength >= 49 */
/* Bytes a header parse needs: the whole v2 header, or less if the entry is shorter. */
#define KSD_BATCH_HEADER_BYTES KSD_V2_OVERHEAD

/* v2 attribute bits (kafka-facts.md §1.5) */
#define KSD_ATTR_CODEC_MASK 0x07
#define KSD_ATTR_LOG_APPEND_TIME 0x08
#define KSD_ATTR_TRANSACTIONAL 0x10
#define KSD_ATTR_CONTROL 0x20
#define KSD_ATTR_DELETE_HORIZON 0x40 /* KIP-534, 3.1.0 */

typedef struct ksd_batch {
	uint64_t position;    /* file position of the entry's first byte */
	uint64_t entry_len;   /* 12 + size field */
	int64_t base_offset;  /* v2 baseOffset; legacy: the entry's offset */
	int64_t last_offset;  /* v2 base+lastOffsetDelta; legacy: entry offset */
	int32_t size_field;   /* the int32 at byte 8, as stored */
	int8_t magic;
	uint16_t attributes;  /* v2 int16 attributes; legacy int8 attributes */
	int codec;            /* attributes & 7 */
	uint32_t stored_crc;
	int32_t leader_epoch; /* v2 only, else -1 */
	int64_t base_timestamp; /* v2; v1 message timestamp; v0 -1 */
	int64_t max_timestamp;  /* v2; v1 message timestamp; v0 -1 */
	int64_t producer_id;  /* v2 only, else -1 */
	int16_t producer_epoch;
	int32_t base_sequence;
	int32_t records_count; /* v2 count; legacy uncompressed 1; wrapper -1 */
} ksd_batch;

static inline bool ksd_batch_is_control(const ksd_batch *b)
{
	return b->magic >= 2 && (b->attributes & KSD_ATTR_CONTROL);
}

static inline bool ksd_batch_is_transactional(const ksd_batch *b)
{
	return b->magic >= 2 && (b->attributes & KSD_ATTR_TRANSACTIONAL);
}

/* Why an entry could not be accepted as a batch. */
typedef enum ksd_entry_status {
	KSD_ENTRY_OK = 0,
	KSD_ENTRY_END,          /* exactly at end of data */
	KSD_ENTRY_TORN_HEADER,  /* 17 bytes or fewer left (nextBatch: end of log) */
	KSD_ENTRY_TORN_BODY,    /* 12+size runs past the end */
	KSD_ENTRY_SIZE_TOO_SMALL, /* size < 14 (or < 22 for v1, < 49 for v2) */
	KSD_ENTRY_BAD_MAGIC,    /* magic not 0, 1 or 2 */
	KSD_ENTRY_BAD_V2_COUNT, /* v2 recordsCount < 0 */
	KSD_ENTRY_BAD_V2_DELTA, /* v2 lastOffsetDelta < 0 */
	KSD_ENTRY_BAD_CODEC,    /* codec id 5-7, or zstd below magic 2 */
} ksd_entry_status;

const char *ksd_entry_status_text(ksd_entry_status st);

/*
 * Parses the entry header at `p` (avail bytes available there, which are the
 * rest of the file: file_left).  Checks the rules the broker's reader applies
 * before it looks at records (FileLogInputStream.nextBatch,
 * DefaultRecordBatch.ensureValid's size test).  On KSD_ENTRY_OK *b is filled.
 * `avail` may be less than file_left (header-only reads); it must be at least
 * min(file_left, KSD_BATCH_HEADER_BYTES).
 */
ksd_entry_status ksd_batch_parse(const uint8_t *p, size_t avail, uint64_t file_left,
				 uint64_t position, ksd_batch *b);

/*
 * Checksummed byte range of an entry, relative to its first byte:
 * v2 [21, entry_len), v0/v1 [16, entry_len) (kafka-facts.md §1.8).
 */
static inline uint64_t ksd_batch_crc_start(const ksd_batch *b)
{
	return b->magic >= 2 ? 21 : 16;
}

/* Computes the checksum of the whole entry at `entry` (entry_len bytes). */
uint32_t ksd_batch_compute_crc(const ksd_batch *b, const uint8_t *entry);

const char *ksd_timestamp_type_name(const ksd_batch *b);

#endif
