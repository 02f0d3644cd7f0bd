/*
 * ksd/cursor.h - a bounded, read-only cursor over untrusted bytes.
 *
 * Every read checks `n <= len - pos` before touching memory, so no read can
 * leave the span, whatever the file says.  Errors are sticky: after the first
 * failed read every later read fails too and returns zeroes, so a parser can
 * read a whole header and test ksd_cur_ok() once.  Positions are relative to
 * the span; `origin` carries the span's position in its file so findings can
 * name absolute byte positions without a second coordinate system in the
 * parsers (the hazard STYLE.md warns about).
 */
#ifndef KSD_CURSOR_H
#define KSD_CURSOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef struct ksd_cursor {
	const uint8_t *base; /* first byte of the span */
	size_t len;          /* bytes in the span */
	size_t pos;          /* next byte to read, 0..len */
	uint64_t origin;     /* file position of base[0] */
	bool failed;         /* sticky: a read ran past the end or was invalid */
} ksd_cursor;

static inline void ksd_cur_init(ksd_cursor *c, const void *base, size_t len,
				uint64_t origin)
{
	c->base = (const uint8_t *)base;
	c->len = len;
	c->pos = 0;
	c->origin = origin;
	c->failed = false;
}

static inline bool ksd_cur_ok(const ksd_cursor *c) { return !c->failed; }
static inline size_t ksd_cur_left(const ksd_cursor *c) { return c->len - c->pos; }
static inline bool ksd_cur_at_end(const ksd_cursor *c) { return c->pos == c->len; }
/* Absolute file position of the next byte. */
static inline uint64_t ksd_cur_filepos(const ksd_cursor *c) { return c->origin + c->pos; }

/* Marks the cursor failed; returns false so callers can `return ksd_cur_fail(c)`. */
static inline bool ksd_cur_fail(ksd_cursor *c)
{
	c->failed = true;
	return false;
}

/* True and advances iff n bytes remain; on success *out points at them. */
static inline bool ksd_cur_take(ksd_cursor *c, size_t n, const uint8_t **out)
{
	if (c->failed || n > c->len - c->pos) {
		c->failed = true;
		*out = NULL;
		return false;
	}
	*out = c->base + c->pos;
	c->pos += n;
	return true;
}

static inline bool ksd_cur_skip(ksd_cursor *c, size_t n)
{
	const uint8_t *p;
	return ksd_cur_take(c, n, &p);
}

static inline uint8_t ksd_cur_u8(ksd_cursor *c)
{
	const uint8_t *p;
	return ksd_cur_take(c, 1, &p) ? p[0] : 0;
}

static inline uint16_t ksd_cur_be16(ksd_cursor *c)
{
	const uint8_t *p;
	if (!ksd_cur_take(c, 2, &p))
		return 0;
	return (uint16_t)((uint16_t)p[0] << 8 | p[1]);
}

static inline uint32_t ksd_cur_be32(ksd_cursor *c)
{
	const uint8_t *p;
	if (!ksd_cur_take(c, 4, &p))
		return 0;
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

/* One 8-byte take, so a short read returns 0 and consumes nothing (two
 * 4-byte reads returned the high word and moved pos on by 4). */
static inline uint64_t ksd_cur_be64(ksd_cursor *c)
{
	const uint8_t *p;
	if (!ksd_cur_take(c, 8, &p))
		return 0;
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

static inline int16_t ksd_cur_i16(ksd_cursor *c) { return (int16_t)ksd_cur_be16(c); }
static inline int32_t ksd_cur_i32(ksd_cursor *c) { return (int32_t)ksd_cur_be32(c); }
static inline int64_t ksd_cur_i64(ksd_cursor *c) { return (int64_t)ksd_cur_be64(c); }

/*
 * Unsigned LEB128 varint of at most max_bytes (5 for 32-bit, 10 for 64-bit
 * values, as Kafka's ByteUtils).  A longer encoding fails the cursor.
 */
static inline uint64_t ksd_cur_uvarint(ksd_cursor *c, unsigned max_bytes)
{
	uint64_t v = 0;
	for (unsigned i = 0; i < max_bytes; i++) {
		uint8_t b = ksd_cur_u8(c);
		if (c->failed)
			return 0;
		v |= (uint64_t)(b & 0x7f) << (7 * i);
		if (!(b & 0x80))
			return v;
	}
	ksd_cur_fail(c);
	return 0;
}

/* Zig-zag signed varints (protobuf sint32/sint64), as in Kafka v2 records. */
static inline int32_t ksd_cur_varint(ksd_cursor *c)
{
	uint32_t u = (uint32_t)ksd_cur_uvarint(c, 5);
	return (int32_t)(u >> 1) ^ -(int32_t)(u & 1);
}

static inline int64_t ksd_cur_varlong(ksd_cursor *c)
{
	uint64_t u = ksd_cur_uvarint(c, 10);
	return (int64_t)(u >> 1) ^ -(int64_t)(u & 1);
}

/*
 * Narrows a child cursor to the next n bytes and advances the parent past
 * them.  The child's origin is the absolute file position of its first byte.
 */
static inline bool ksd_cur_sub(ksd_cursor *c, size_t n, ksd_cursor *child)
{
	const uint8_t *p;
	uint64_t origin = ksd_cur_filepos(c);
	if (!ksd_cur_take(c, n, &p)) {
		ksd_cur_init(child, NULL, 0, origin);
		child->failed = true;
		return false;
	}
	ksd_cur_init(child, p, n, origin);
	return true;
}

/* Big-endian loads from a span already bounds-checked by the caller. */
static inline uint32_t ksd_load_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static inline uint64_t ksd_load_be64(const uint8_t *p)
{
	return (uint64_t)ksd_load_be32(p) << 32 | ksd_load_be32(p + 4);
}

#endif
