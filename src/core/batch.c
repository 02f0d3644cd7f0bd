/*
 * Entry header parsing for .log files (kafka-facts.md §1.1-1.5).
 */
#include "ksd/batch.h"

#include "ksd/codec.h"
#include "ksd/crc.h"
#include "ksd/cursor.h"

const char *ksd_entry_status_text(ksd_entry_status st)
{
	switch (st) {
	case KSD_ENTRY_OK: return "ok";
	case KSD_ENTRY_END: return "end of data";
	case KSD_ENTRY_TORN_HEADER: return "17 bytes or fewer left: too few for an entry";
	case KSD_ENTRY_TORN_BODY: return "entry runs past the end of the file";
	case KSD_ENTRY_SIZE_TOO_SMALL: return "entry size below the minimum for its magic";
	case KSD_ENTRY_BAD_MAGIC: return "unknown magic byte";
	case KSD_ENTRY_BAD_V2_COUNT: return "negative v2 record count";
	case KSD_ENTRY_BAD_V2_DELTA: return "negative v2 lastOffsetDelta";
	case KSD_ENTRY_BAD_CODEC: return "invalid compression codec id";
	}
	return "?";
}

static ksd_entry_status parse_legacy(ksd_cursor *c, ksd_batch *b)
{
	/* c is positioned at byte 12: crc, magic, attributes[, timestamp] */
	if (b->magic == 1 && b->size_field < KSD_V1_MIN_SIZE)
		return KSD_ENTRY_SIZE_TOO_SMALL;
	b->stored_crc = ksd_cur_be32(c);
	ksd_cur_skip(c, 1); /* magic */
	b->attributes = ksd_cur_u8(c);
	b->codec = b->attributes & KSD_ATTR_CODEC_MASK;
	b->base_timestamp = b->max_timestamp = -1;
	if (b->magic == 1) {
		b->base_timestamp = ksd_cur_i64(c);
		b->max_timestamp = b->base_timestamp;
	}
	/* zstd (4) exists only for magic 2 (KIP-110); 5-7 never existed. */
	if (b->codec > KSD_CODEC_LZ4)
		return KSD_ENTRY_BAD_CODEC;
	b->last_offset = b->base_offset;
	b->records_count = b->codec == KSD_CODEC_NONE ? 1 : -1;
	return KSD_ENTRY_OK;
}

static ksd_entry_status parse_v2(ksd_cursor *c, ksd_batch *b)
{
	if (b->size_field < KSD_V2_MIN_SIZE)
		return KSD_ENTRY_SIZE_TOO_SMALL;
	/* c is positioned at byte 12 */
	b->leader_epoch = ksd_cur_i32(c);
	ksd_cur_skip(c, 1); /* magic */
	b->stored_crc = ksd_cur_be32(c);
	b->attributes = ksd_cur_be16(c);
	b->codec = b->attributes & KSD_ATTR_CODEC_MASK;
	int32_t last_delta = ksd_cur_i32(c);
	b->base_timestamp = ksd_cur_i64(c);
	b->max_timestamp = ksd_cur_i64(c);
	b->producer_id = ksd_cur_i64(c);
	b->producer_epoch = ksd_cur_i16(c);
	b->base_sequence = ksd_cur_i32(c);
	b->records_count = ksd_cur_i32(c);
	if (!ksd_cur_ok(c))
		return KSD_ENTRY_TORN_BODY;
	if (b->codec > KSD_CODEC_ZSTD)
		return KSD_ENTRY_BAD_CODEC;
	if (b->records_count < 0)
		return KSD_ENTRY_BAD_V2_COUNT;
	if (last_delta < 0)
		return KSD_ENTRY_BAD_V2_DELTA;
	/* base_offset is a file value: saturate rather than overflow. */
	if (b->base_offset > INT64_MAX - last_delta)
		b->last_offset = INT64_MAX;
	else
		b->last_offset = b->base_offset + last_delta;
	return KSD_ENTRY_OK;
}

ksd_entry_status ksd_batch_parse(const uint8_t *p, size_t avail, uint64_t file_left,
				 uint64_t position, ksd_batch *b)
{
	if (file_left == 0)
		return KSD_ENTRY_END;
	/* nextBatch stops when `position >= end - HEADER_SIZE_UP_TO_MAGIC`:
	 * exactly 17 bytes left is the end of the log too, whatever they say. */
	if (file_left <= KSD_HEADER_UP_TO_MAGIC || avail < KSD_HEADER_UP_TO_MAGIC)
		return KSD_ENTRY_TORN_HEADER;
	ksd_cursor c;
	ksd_cur_init(&c, p, avail, position);
	b->position = position;
	b->base_offset = ksd_cur_i64(&c);
	b->size_field = ksd_cur_i32(&c);
	b->magic = (int8_t)p[16];
	b->leader_epoch = -1;
	b->producer_id = -1;
	b->producer_epoch = -1;
	b->base_sequence = -1;
	b->entry_len = KSD_LOG_OVERHEAD + (uint64_t)(uint32_t)b->size_field;
	/* Size is checked before magic, as FileLogInputStream.nextBatch does. */
	if (b->size_field < KSD_MIN_LEGACY_SIZE)
		return KSD_ENTRY_SIZE_TOO_SMALL;
	if (b->entry_len > file_left)
		return KSD_ENTRY_TORN_BODY;
	if (b->magic < 0 || b->magic > 2)
		return KSD_ENTRY_BAD_MAGIC;
	if (b->magic < 2)
		return parse_legacy(&c, b);
	return parse_v2(&c, b);
}

uint32_t ksd_batch_compute_crc(const ksd_batch *b, const uint8_t *entry)
{
	uint64_t start = ksd_batch_crc_start(b);
	if (b->magic >= 2)
		return ksd_crc32c(0, entry + start, b->entry_len - start);
	return ksd_crc32(0, entry + start, b->entry_len - start);
}

const char *ksd_timestamp_type_name(const ksd_batch *b)
{
	if (b->magic == 0)
		return "NoTimestampType";
	return b->attributes & KSD_ATTR_LOG_APPEND_TIME ? "LogAppendTime" : "CreateTime";
}
