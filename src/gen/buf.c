/*
 * gen/buf.c - growable byte buffer and the primitive encodings every Kafka
 * structure is built from (big-endian ints, zig-zag varints, int16 strings).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gen/writer.h"

void ksd_gen_buf_init(ksd_gen_buf *b)
{
	memset(b, 0, sizeof(*b));
}

void ksd_gen_buf_free(ksd_gen_buf *b)
{
	free(b->data);
	ksd_gen_buf_init(b);
}

void ksd_gen_buf_clear(ksd_gen_buf *b)
{
	b->len = 0;
	b->oom = false;
}

ksd_err ksd_gen_buf_status(const ksd_gen_buf *b)
{
	return b->oom ? KSD_ERR_NOMEM : KSD_OK;
}

ksd_err ksd_gen_buf_reserve(ksd_gen_buf *b, size_t extra)
{
	if (b->oom)
		return KSD_ERR_NOMEM;
	if (extra <= b->cap - b->len)
		return KSD_OK;
	if (extra > SIZE_MAX / 2 - b->len) {
		b->oom = true;
		return KSD_ERR_OVERFLOW;
	}
	size_t want = b->len + extra;
	size_t cap = b->cap ? b->cap : 256;
	while (cap < want)
		cap *= 2;
	uint8_t *p = realloc(b->data, cap);
	if (!p) {
		b->oom = true;
		return KSD_ERR_NOMEM;
	}
	b->data = p;
	b->cap = cap;
	return KSD_OK;
}

uint8_t *ksd_gen_buf_grow(ksd_gen_buf *b, size_t n)
{
	if (ksd_gen_buf_reserve(b, n) != KSD_OK)
		return NULL;
	uint8_t *p = b->data + b->len;
	b->len += n;
	return p;
}

void ksd_gen_buf_put(ksd_gen_buf *b, const void *p, size_t n)
{
	uint8_t *dst = ksd_gen_buf_grow(b, n);
	if (dst && n)
		memcpy(dst, p, n);
}

void ksd_gen_buf_put_zeros(ksd_gen_buf *b, size_t n)
{
	uint8_t *dst = ksd_gen_buf_grow(b, n);
	if (dst && n)
		memset(dst, 0, n);
}

void ksd_gen_buf_put_u8(ksd_gen_buf *b, uint8_t v)
{
	ksd_gen_buf_put(b, &v, 1);
}

void ksd_gen_store_be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

void ksd_gen_store_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

void ksd_gen_store_be64(uint8_t *p, uint64_t v)
{
	ksd_gen_store_be32(p, (uint32_t)(v >> 32));
	ksd_gen_store_be32(p + 4, (uint32_t)v);
}

uint32_t ksd_gen_load_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

uint64_t ksd_gen_load_be64(const uint8_t *p)
{
	return (uint64_t)ksd_gen_load_be32(p) << 32 | ksd_gen_load_be32(p + 4);
}

void ksd_gen_buf_put_be16(ksd_gen_buf *b, uint16_t v)
{
	uint8_t *p = ksd_gen_buf_grow(b, 2);
	if (p)
		ksd_gen_store_be16(p, v);
}

void ksd_gen_buf_put_be32(ksd_gen_buf *b, uint32_t v)
{
	uint8_t *p = ksd_gen_buf_grow(b, 4);
	if (p)
		ksd_gen_store_be32(p, v);
}

void ksd_gen_buf_put_be64(ksd_gen_buf *b, uint64_t v)
{
	uint8_t *p = ksd_gen_buf_grow(b, 8);
	if (p)
		ksd_gen_store_be64(p, v);
}

void ksd_gen_buf_put_le32(ksd_gen_buf *b, uint32_t v)
{
	uint8_t *p = ksd_gen_buf_grow(b, 4);
	if (!p)
		return;
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static uint64_t zigzag(int64_t v)
{
	/* sign mask without an arithmetic shift of a negative value */
	return ((uint64_t)v << 1) ^ (v < 0 ? UINT64_MAX : 0);
}

size_t ksd_gen_varint_size(int64_t v)
{
	uint64_t u = zigzag(v);
	size_t n = 1;
	while (u >= 0x80) {
		u >>= 7;
		n++;
	}
	return n;
}

void ksd_gen_buf_put_varint(ksd_gen_buf *b, int64_t v)
{
	uint8_t tmp[10];
	size_t n = 0;
	uint64_t u = zigzag(v);
	while (u >= 0x80) {
		tmp[n++] = (uint8_t)(u | 0x80);
		u >>= 7;
	}
	tmp[n++] = (uint8_t)u;
	ksd_gen_buf_put(b, tmp, n);
}

void ksd_gen_buf_put_str16(ksd_gen_buf *b, const char *s)
{
	if (!s) {
		ksd_gen_buf_put_be16(b, 0xFFFF);
		return;
	}
	size_t n = strlen(s);
	if (n > INT16_MAX) {
		b->oom = true; /* not representable: poison like a failed append */
		return;
	}
	ksd_gen_buf_put_be16(b, (uint16_t)n);
	ksd_gen_buf_put(b, s, n);
}

void ksd_gen_buf_printf(ksd_gen_buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0) {
		b->oom = true;
		return;
	}
	uint8_t *p = ksd_gen_buf_grow(b, (size_t)n + 1);
	if (!p)
		return;
	va_start(ap, fmt);
	vsnprintf((char *)p, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len--; /* drop the NUL vsnprintf needs */
}

void ksd_gen_buf_set_be32(ksd_gen_buf *b, size_t pos, uint32_t v)
{
	if (!b->oom && pos <= b->len && b->len - pos >= 4)
		ksd_gen_store_be32(b->data + pos, v);
}
