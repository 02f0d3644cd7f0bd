/*
 * tests/unit/tbatch.h - a tiny, independent entry builder for the walker's
 * unit tests and the fuzz seed corpus.
 *
 * Deliberately separate from src/gen (the fixture writer): these tests check
 * the core against hand-laid bytes from kafka-facts.md §1.2 and §1.4 rather
 * than against a second encoder written by the same team.  Everything is
 * static inline so each test includes only what it uses.
 */
#ifndef KSD_TEST_TBATCH_H
#define KSD_TEST_TBATCH_H

#include <assert.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "ksd/crc.h"

#define TB_CAP 16384

typedef struct tb_buf {
	uint8_t d[TB_CAP];
	size_t len;
} tb_buf;

static inline void tb_init(tb_buf *b)
{
	b->len = 0;
}

static inline uint8_t *tb_grow(tb_buf *b, size_t n)
{
	assert(n <= TB_CAP - b->len);
	uint8_t *p = b->d + b->len;
	b->len += n;
	return p;
}

static inline void tb_u8(tb_buf *b, uint8_t v)
{
	*tb_grow(b, 1) = v;
}

static inline void tb_store_be(uint8_t *p, uint64_t v, int n)
{
	for (int i = n - 1; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

static inline void tb_be16(tb_buf *b, uint16_t v) { tb_store_be(tb_grow(b, 2), v, 2); }
static inline void tb_be32(tb_buf *b, uint32_t v) { tb_store_be(tb_grow(b, 4), v, 4); }
static inline void tb_be64(tb_buf *b, uint64_t v) { tb_store_be(tb_grow(b, 8), v, 8); }

static inline void tb_bytes(tb_buf *b, const void *p, size_t n)
{
	if (n)
		memcpy(tb_grow(b, n), p, n);
}

/* Zig-zag varint (ByteUtils.writeVarlong). */
static inline void tb_varint(tb_buf *b, int64_t v)
{
	uint64_t u = ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
	while (u >= 0x80) {
		tb_u8(b, (uint8_t)(u | 0x80));
		u >>= 7;
	}
	tb_u8(b, (uint8_t)u);
}

static inline uint32_t tb_load_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* --- v2 record batches (kafka-facts.md §1.4) ------------------------------ */

typedef struct tb_v2 {
	int64_t base_offset;
	int32_t nrecords;        /* records actually written */
	int32_t records_count;   /* the stored count field */
	int32_t last_delta;      /* lastOffsetDelta */
	uint16_t attributes;
	int32_t leader_epoch;
	int64_t base_timestamp;
	int64_t max_timestamp;
	int64_t producer_id;
	int16_t producer_epoch;
	int32_t base_sequence;
	size_t value_len;        /* bytes of each record's value */
} tb_v2;

/* n records at consecutive offsets, no compression, CreateTime. */
static inline tb_v2 tb_v2_spec(int64_t base_offset, int32_t n)
{
	tb_v2 s;
	memset(&s, 0, sizeof s);
	s.base_offset = base_offset;
	s.nrecords = n;
	s.records_count = n;
	s.last_delta = n > 0 ? n - 1 : 0;
	s.leader_epoch = 3;
	s.base_timestamp = 1700000000000ll;
	s.max_timestamp = s.base_timestamp + (n > 0 ? n - 1 : 0);
	s.producer_id = -1;
	s.producer_epoch = -1;
	s.base_sequence = -1;
	s.value_len = 10;
	return s;
}

/* Recomputes the CRC-32C of the v2 batch at b->d[pos] ([21, end)). */
static inline void tb_v2_fix_crc(tb_buf *b, size_t pos)
{
	uint32_t size = tb_load_be32(b->d + pos + 8);
	uint32_t crc = ksd_crc32c(0, b->d + pos + 21, (size_t)size + 12 - 21);
	tb_store_be(b->d + pos + 17, crc, 4);
}

/* Appends a v2 batch with a correct CRC; returns its position. */
static inline size_t tb_v2_append(tb_buf *b, const tb_v2 *s)
{
	const size_t pos = b->len;
	tb_be64(b, (uint64_t)s->base_offset);
	tb_be32(b, 0); /* batchLength, patched below */
	tb_be32(b, (uint32_t)s->leader_epoch);
	tb_u8(b, 2);
	tb_be32(b, 0); /* crc, patched below */
	tb_be16(b, s->attributes);
	tb_be32(b, (uint32_t)s->last_delta);
	tb_be64(b, (uint64_t)s->base_timestamp);
	tb_be64(b, (uint64_t)s->max_timestamp);
	tb_be64(b, (uint64_t)s->producer_id);
	tb_be16(b, (uint16_t)s->producer_epoch);
	tb_be32(b, (uint32_t)s->base_sequence);
	tb_be32(b, (uint32_t)s->records_count);
	for (int32_t i = 0; i < s->nrecords; i++) {
		/* attributes, timestampDelta, offsetDelta, key -1, value, 0 headers */
		tb_buf rec;
		tb_init(&rec);
		tb_u8(&rec, 0);
		tb_varint(&rec, i);
		tb_varint(&rec, i);
		tb_varint(&rec, -1);
		tb_varint(&rec, (int64_t)s->value_len);
		for (size_t k = 0; k < s->value_len; k++)
			tb_u8(&rec, (uint8_t)('a' + (i + (int32_t)k) % 26));
		tb_varint(&rec, 0);
		tb_varint(b, (int64_t)rec.len);
		tb_bytes(b, rec.d, rec.len);
	}
	tb_store_be(b->d + pos + 8, b->len - pos - 12, 4);
	tb_v2_fix_crc(b, pos);
	return pos;
}

/* Shorthand: n one-byte-valued records from base_offset. */
static inline size_t tb_v2_simple(tb_buf *b, int64_t base_offset, int32_t n)
{
	tb_v2 s = tb_v2_spec(base_offset, n);
	return tb_v2_append(b, &s);
}

/* --- v0/v1 messages (kafka-facts.md §1.2) -------------------------------- */

/* Recomputes the CRC-32 of the legacy message at b->d[pos] ([16, end)). */
static inline void tb_legacy_fix_crc(tb_buf *b, size_t pos)
{
	uint32_t size = tb_load_be32(b->d + pos + 8);
	uint32_t crc = ksd_crc32(0, b->d + pos + 16, (size_t)size + 12 - 16);
	tb_store_be(b->d + pos + 12, crc, 4);
}

/* Appends one v0/v1 message (key/value NULL with len -1 = null). */
static inline size_t tb_legacy_append(tb_buf *b, int magic, int64_t offset, uint8_t attrs,
				      int64_t timestamp, const void *key, int32_t key_len,
				      const void *value, int32_t value_len)
{
	const size_t pos = b->len;
	tb_be64(b, (uint64_t)offset);
	tb_be32(b, 0); /* size */
	tb_be32(b, 0); /* crc */
	tb_u8(b, (uint8_t)magic);
	tb_u8(b, attrs);
	if (magic == 1)
		tb_be64(b, (uint64_t)timestamp);
	tb_be32(b, (uint32_t)key_len);
	if (key_len > 0)
		tb_bytes(b, key, (size_t)key_len);
	tb_be32(b, (uint32_t)value_len);
	if (value_len > 0)
		tb_bytes(b, value, (size_t)value_len);
	tb_store_be(b->d + pos + 8, b->len - pos - 12, 4);
	tb_legacy_fix_crc(b, pos);
	return pos;
}

static inline size_t tb_legacy_simple(tb_buf *b, int magic, int64_t offset)
{
	return tb_legacy_append(b, magic, offset, 0, magic == 1 ? 1600000000000ll : -1,
				NULL, -1, "value", 5);
}

#endif
