/*
 * ksd/records.h - the records inside one batch: v2 records (varints,
 * headers) and v0/v1 messages, including the inner messages of compressed
 * wrappers (kafka-facts.md §1.2-1.6).
 *
 * Zero copy: key, value and headers point into the entry bytes or into the
 * decoder's reused output buffer, valid until the next batch is begun on the
 * same decoder.  Nesting is bounded: an inner message that is itself
 * compressed is reported, never decompressed (Kafka forbids it).
 */
#ifndef KSD_RECORDS_H
#define KSD_RECORDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ksd/batch.h"
#include "ksd/codec.h"
#include "ksd/cursor.h"

typedef struct ksd_record {
	int64_t offset;
	int64_t timestamp;      /* -1 when none (v0) */
	int8_t magic;           /* of the message itself (legacy inner may differ) */
	const uint8_t *key;
	int32_t key_len;        /* -1 = null */
	const uint8_t *value;
	int32_t value_len;      /* -1 = null (a tombstone) */
	int32_t header_count;   /* v2 only */
	const uint8_t *headers; /* raw v2 header bytes */
	size_t headers_len;
	bool crc_ok;            /* legacy messages: own CRC-32; v2: true */
	uint32_t stored_crc;    /* legacy messages */
} ksd_record;

typedef enum ksd_recs_status {
	KSD_RECS_OK = 0,
	KSD_RECS_END,
	KSD_RECS_CORRUPT,  /* structure inside the batch is inconsistent */
	KSD_RECS_DECODE,   /* decompression failed: see decode_status */
} ksd_recs_status;

typedef struct ksd_record_iter {
	const ksd_batch *batch;
	ksd_cursor cur;           /* over the (decompressed) records */
	int32_t remaining;        /* v2: records still to read */
	bool legacy_single;       /* an uncompressed v0/v1 message */
	bool legacy_done;
	const uint8_t *entry;
	int64_t legacy_rel_base;  /* v1 wrapper: absolute = rel_base + inner */
	bool legacy_relative;
	ksd_decode_status decode_status;
	ksd_decode_info decode_info;
	const char *error;        /* static detail for CORRUPT/DECODE */
	uint64_t error_pos;       /* position within the records area */
} ksd_record_iter;

/*
 * Starts iterating the batch `b` whose whole entry is at `entry`
 * (b->entry_len bytes).  Decompresses with `d` when the batch is compressed.
 */
ksd_recs_status ksd_records_begin(ksd_record_iter *it, const ksd_batch *b,
				  const uint8_t *entry, ksd_decoder *d);
ksd_recs_status ksd_records_next(ksd_record_iter *it, ksd_record *out);

#endif
