/*
 * Kafka protocol primitives (see kproto.h).
 */
#include "kproto.h"

#include <string.h>

/* Compact strings longer than this are rejected by Kafka's generated readers. */
#define KPROTO_MAX_STRING 0x7fff

void ksd_kr_init(ksd_kr *r, const uint8_t *p, size_t n, bool flex, ksd_decode_err *err)
{
	ksd_cur_init(&r->c, p, n, 0);
	r->flex = flex;
	r->flags = 0;
	r->err = err;
}

bool ksd_kr_fail(ksd_kr *r, const char *why)
{
	if (!r->err->what) {
		r->err->what = why ? why : "truncated";
		r->err->at = ksd_kr_pos(r);
	}
	return ksd_cur_fail(&r->c);
}

const uint8_t *ksd_kr_take(ksd_kr *r, size_t n)
{
	/* A successful take never returns NULL, even of 0 bytes of a NULL span,
	 * so callers can test the pointer alone. */
	static const uint8_t nothing[1];
	const uint8_t *p;
	if (r->c.failed)
		return NULL;
	if (!ksd_cur_take(&r->c, n, &p)) {
		r->c.failed = false; /* ksd_kr_fail records the position, then fails */
		ksd_kr_fail(r, "truncated");
		return NULL;
	}
	return p ? p : nothing;
}

int8_t ksd_kr_i8(ksd_kr *r)
{
	const uint8_t *p = ksd_kr_take(r, 1);
	return p ? (int8_t)p[0] : 0;
}

int16_t ksd_kr_i16(ksd_kr *r)
{
	return (int16_t)ksd_kr_u16(r);
}

uint16_t ksd_kr_u16(ksd_kr *r)
{
	const uint8_t *p = ksd_kr_take(r, 2);
	return p ? (uint16_t)((uint16_t)p[0] << 8 | p[1]) : 0;
}

int32_t ksd_kr_i32(ksd_kr *r)
{
	const uint8_t *p = ksd_kr_take(r, 4);
	return p ? (int32_t)ksd_load_be32(p) : 0;
}

int64_t ksd_kr_i64(ksd_kr *r)
{
	const uint8_t *p = ksd_kr_take(r, 8);
	return p ? (int64_t)ksd_load_be64(p) : 0;
}

double ksd_kr_f64(ksd_kr *r)
{
	const uint8_t *p = ksd_kr_take(r, 8);
	double d = 0;
	if (p) {
		uint64_t bits = ksd_load_be64(p);
		memcpy(&d, &bits, sizeof d);
	}
	return d;
}

bool ksd_kr_bool(ksd_kr *r)
{
	return ksd_kr_i8(r) != 0;
}

const uint8_t *ksd_kr_uuid(ksd_kr *r)
{
	return ksd_kr_take(r, 16);
}

uint32_t ksd_kr_uvarint(ksd_kr *r)
{
	if (r->c.failed)
		return 0;
	size_t start = r->c.pos;
	uint64_t v = 0;
	for (unsigned i = 0; i < 5; i++) {
		if (ksd_cur_left(&r->c) == 0) {
			r->c.pos = start; /* errors name the varint's first byte */
			ksd_kr_fail(r, "truncated");
			return 0;
		}
		uint8_t b = ksd_cur_u8(&r->c);
		v |= (uint64_t)(b & 0x7f) << (7 * i);
		if (!(b & 0x80))
			return (uint32_t)v; /* Java keeps the low 32 bits */
	}
	r->c.pos = start;
	ksd_kr_fail(r, "varint longer than 5 bytes");
	return 0;
}

/* Length of a string or bytes field: -1 for null; -2 after an error. */
static int64_t read_length(ksd_kr *r, bool four_byte_classic)
{
	if (r->flex)
		return (int64_t)ksd_kr_uvarint(r) - 1;
	return four_byte_classic ? (int64_t)ksd_kr_i32(r) : (int64_t)ksd_kr_i16(r);
}

static bool read_span(ksd_kr *r, bool nullable, bool is_string, ksd_kstr *out)
{
	out->p = NULL;
	out->len = -1;
	uint64_t at = ksd_kr_pos(r);
	int64_t len = read_length(r, !is_string);
	if (!ksd_kr_ok(r))
		return false;
	if (len < 0) {
		if (nullable)
			return true;
		r->c.pos -= (size_t)(ksd_kr_pos(r) - at);
		return ksd_kr_fail(r, "null in a non-nullable field");
	}
	if (is_string && len > KPROTO_MAX_STRING)
		return ksd_kr_fail(r, "string longer than 32767 bytes");
	if (len > INT32_MAX)
		return ksd_kr_fail(r, "length out of range");
	const uint8_t *p = ksd_kr_take(r, (size_t)len);
	if (!p)
		return false;
	out->p = p;
	out->len = (int32_t)len;
	return true;
}

bool ksd_kr_str(ksd_kr *r, bool nullable, ksd_kstr *out)
{
	return read_span(r, nullable, true, out);
}

bool ksd_kr_bytes(ksd_kr *r, bool nullable, ksd_kstr *out)
{
	return read_span(r, nullable, false, out);
}

bool ksd_kr_array(ksd_kr *r, bool nullable, size_t min_elem, int32_t *count)
{
	*count = -1;
	uint64_t at = ksd_kr_pos(r);
	int64_t n = r->flex ? (int64_t)ksd_kr_uvarint(r) - 1 : (int64_t)ksd_kr_i32(r);
	if (!ksd_kr_ok(r))
		return false;
	if (n < 0) {
		if (nullable)
			return true;
		r->c.pos -= (size_t)(ksd_kr_pos(r) - at);
		return ksd_kr_fail(r, "null in a non-nullable field");
	}
	if (min_elem == 0)
		min_elem = 1;
	if ((uint64_t)n > ksd_kr_left(r) / min_elem || n > INT32_MAX) {
		r->c.pos -= (size_t)(ksd_kr_pos(r) - at); /* name the count */
		return ksd_kr_fail(r, "array longer than the bytes left");
	}
	*count = (int32_t)n;
	return true;
}

bool ksd_kr_tags_begin(ksd_kr *r, uint32_t *count)
{
	size_t start = r->c.pos;
	*count = ksd_kr_uvarint(r);
	if (!ksd_kr_ok(r))
		return false;
	/* Each tagged field takes at least two bytes (tag, size). */
	if (*count > ksd_kr_left(r) / 2) {
		r->c.pos = start;
		return ksd_kr_fail(r, "more tagged fields than bytes left");
	}
	return true;
}

bool ksd_kr_tag_next(ksd_kr *r, uint32_t *tag, ksd_kr *field)
{
	*tag = ksd_kr_uvarint(r);
	uint32_t size = ksd_kr_uvarint(r);
	uint64_t origin = ksd_kr_pos(r);
	const uint8_t *p = ksd_kr_ok(r) ? ksd_kr_take(r, size) : NULL;
	ksd_kr_init(field, p, p ? size : 0, true, r->err);
	field->c.origin = origin;
	field->flags = r->flags;
	if (!p) {
		field->c.failed = true;
		return false;
	}
	return true;
}

bool ksd_kr_skip_tags(ksd_kr *r)
{
	uint32_t n;
	if (!ksd_kr_tags_begin(r, &n))
		return false;
	for (uint32_t i = 0; i < n; i++) {
		uint32_t tag;
		ksd_kr field;
		if (!ksd_kr_tag_next(r, &tag, &field))
			return false;
	}
	return true;
}

void ksd_uuid_b64url(const uint8_t u[16], char out[23])
{
	static const char alphabet[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	size_t o = 0;
	for (size_t i = 0; i < 16; i += 3) {
		uint32_t v = (uint32_t)u[i] << 16;
		if (i + 1 < 16)
			v |= (uint32_t)u[i + 1] << 8;
		if (i + 2 < 16)
			v |= u[i + 2];
		out[o++] = alphabet[v >> 18 & 63];
		out[o++] = alphabet[v >> 12 & 63];
		if (i + 1 < 16)
			out[o++] = alphabet[v >> 6 & 63];
		if (i + 2 < 16)
			out[o++] = alphabet[v & 63];
	}
	out[o] = '\0';
}

static void discard(void *ud, const char *p, size_t n)
{
	(void)ud;
	(void)p;
	(void)n;
}

void ksd_jw_init_discard(ksd_jw *w)
{
	ksd_sink s = {discard, NULL};
	ksd_jw_init(w, s);
}

void ksd_jw_decode_error(ksd_jw *w, const ksd_decode_err *e)
{
	ksd_jw_obj_begin(w);
	ksd_jw_kv_str(w, "error", e->what ? e->what : "undecodable");
	ksd_jw_kv_uint(w, "at", e->at);
	ksd_jw_obj_end(w);
}

void ksd_jw_kstr(ksd_jw *w, ksd_kstr s)
{
	if (s.len < 0)
		ksd_jw_null(w);
	else
		ksd_jw_strn(w, s.p, (size_t)s.len);
}

void ksd_jw_kv_kstr(ksd_jw *w, const char *key, ksd_kstr s)
{
	ksd_jw_key(w, key);
	ksd_jw_kstr(w, s);
}
