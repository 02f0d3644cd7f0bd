/*
 * Streaming JSON writer (see ksd/jsonw.h).
 */
#include "ksd/jsonw.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

static void put(ksd_jw *w, const char *p, size_t n)
{
	w->sink.write(w->sink.ud, p, n);
}

static void puts_(ksd_jw *w, const char *s)
{
	put(w, s, strlen(s));
}

void ksd_jw_init(ksd_jw *w, ksd_sink sink)
{
	memset(w, 0, sizeof *w);
	w->sink = sink;
	w->first[0] = true;
}

/* Separator before a value: a comma unless first or right after a key. */
static void before_value(ksd_jw *w)
{
	if (w->after_key) {
		w->after_key = false;
		return;
	}
	if (!w->first[w->depth])
		put(w, ",", 1);
	w->first[w->depth] = false;
}

static void open_container(ksd_jw *w, char c)
{
	before_value(w);
	put(w, &c, 1);
	if (w->depth + 1 >= KSD_JW_MAX_DEPTH) {
		w->overflow = true;
		return;
	}
	w->depth++;
	w->first[w->depth] = true;
}

static void close_container(ksd_jw *w, char c)
{
	if (w->depth > 0)
		w->depth--;
	put(w, &c, 1);
}

void ksd_jw_obj_begin(ksd_jw *w) { open_container(w, '{'); }
void ksd_jw_obj_end(ksd_jw *w) { close_container(w, '}'); }
void ksd_jw_arr_begin(ksd_jw *w) { open_container(w, '['); }
void ksd_jw_arr_end(ksd_jw *w) { close_container(w, ']'); }

size_t ksd_utf8_seq_len(const uint8_t *p, size_t n)
{
	uint8_t c = p[0];
	if (c < 0x80)
		return 1;
	size_t len;
	uint32_t min;
	if ((c & 0xE0) == 0xC0)
		len = 2, min = 0x80;
	else if ((c & 0xF0) == 0xE0)
		len = 3, min = 0x800;
	else if ((c & 0xF8) == 0xF0)
		len = 4, min = 0x10000;
	else
		return 0;
	if (len > n)
		return 0;
	uint32_t cp = c & (0x7F >> len);
	for (size_t i = 1; i < len; i++) {
		if ((p[i] & 0xC0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3F);
	}
	/* Overlong forms, surrogates and values past U+10FFFF are not UTF-8. */
	if (cp < min || (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF)
		return 0;
	return len;
}

static void write_string_body(ksd_jw *w, const uint8_t *s, size_t n)
{
	char esc[8];
	size_t run = 0; /* bytes of s[i-run, i) that pass through verbatim */
	for (size_t i = 0; i < n;) {
		uint8_t c = s[i];
		size_t len = ksd_utf8_seq_len(s + i, n - i);
		const char *e = NULL;
		if (c == '"')
			e = "\\\"";
		else if (c == '\\')
			e = "\\\\";
		else if (c == '\n')
			e = "\\n";
		else if (c == '\r')
			e = "\\r";
		else if (c == '\t')
			e = "\\t";
		else if (c < 0x20 || c == 0x7F) {
			snprintf(esc, sizeof esc, "\\u%04x", c);
			e = esc;
		} else if (len == 0) {
			snprintf(esc, sizeof esc, "\\udc%02x", c); /* surrogateescape */
			e = esc;
		}
		if (e) {
			if (run)
				put(w, (const char *)s + i - run, run);
			run = 0;
			puts_(w, e);
			i++;
			continue;
		}
		run += len;
		i += len;
	}
	if (run)
		put(w, (const char *)s + n - run, run);
}

void ksd_jw_key(ksd_jw *w, const char *key)
{
	before_value(w);
	put(w, "\"", 1);
	write_string_body(w, (const uint8_t *)key, strlen(key));
	put(w, "\":", 2);
	w->after_key = true;
}

void ksd_jw_strn(ksd_jw *w, const uint8_t *s, size_t n)
{
	before_value(w);
	put(w, "\"", 1);
	write_string_body(w, s, n);
	put(w, "\"", 1);
}

void ksd_jw_str(ksd_jw *w, const char *s)
{
	if (!s) {
		ksd_jw_null(w);
		return;
	}
	ksd_jw_strn(w, (const uint8_t *)s, strlen(s));
}

void ksd_jw_int(ksd_jw *w, int64_t v)
{
	char b[32];
	before_value(w);
	put(w, b, (size_t)snprintf(b, sizeof b, "%" PRId64, v));
}

void ksd_jw_uint(ksd_jw *w, uint64_t v)
{
	char b[32];
	before_value(w);
	put(w, b, (size_t)snprintf(b, sizeof b, "%" PRIu64, v));
}

void ksd_jw_bool(ksd_jw *w, bool v)
{
	before_value(w);
	puts_(w, v ? "true" : "false");
}

void ksd_jw_null(ksd_jw *w)
{
	before_value(w);
	puts_(w, "null");
}

void ksd_jw_real(ksd_jw *w, double v)
{
	char b[40];
	before_value(w);
	if (!isfinite(v)) {
		puts_(w, "null"); /* JSON has no NaN/Infinity */
		return;
	}
	put(w, b, (size_t)snprintf(b, sizeof b, "%.17g", v));
}

void ksd_jw_raw(ksd_jw *w, const char *json)
{
	before_value(w);
	puts_(w, json);
}

static void write_hex(ksd_sink *w, const uint8_t *p, size_t n)
{
	static const char digits[] = "0123456789abcdef";
	char buf[256];
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		buf[o++] = digits[p[i] >> 4];
		buf[o++] = digits[p[i] & 15];
		if (o == sizeof buf) {
			w->write(w->ud, buf, o);
			o = 0;
		}
	}
	w->write(w->ud, buf, o);
}

static void write_base64(ksd_sink *w, const uint8_t *p, size_t n)
{
	static const char tbl[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	char buf[256];
	size_t o = 0, i = 0;
	for (; i + 3 <= n; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
		buf[o++] = tbl[v >> 18];
		buf[o++] = tbl[(v >> 12) & 63];
		buf[o++] = tbl[(v >> 6) & 63];
		buf[o++] = tbl[v & 63];
		if (o + 4 > sizeof buf) {
			w->write(w->ud, buf, o);
			o = 0;
		}
	}
	if (i < n) {
		uint32_t v = (uint32_t)p[i] << 16 | (i + 1 < n ? (uint32_t)p[i + 1] << 8 : 0);
		buf[o++] = tbl[v >> 18];
		buf[o++] = tbl[(v >> 12) & 63];
		buf[o++] = i + 1 < n ? tbl[(v >> 6) & 63] : '=';
		buf[o++] = '=';
	}
	w->write(w->ud, buf, o);
}

void ksd_write_encoded(ksd_sink sink, const uint8_t *p, size_t n, ksd_bytes_encoding enc)
{
	if (enc == KSD_ENC_HEX)
		write_hex(&sink, p, n);
	else if (enc == KSD_ENC_BASE64)
		write_base64(&sink, p, n);
	else
		sink.write(sink.ud, (const char *)p, n);
}

void ksd_jw_bytes(ksd_jw *w, const uint8_t *p, int64_t len, ksd_bytes_encoding enc)
{
	if (len < 0 || (!p && len > 0)) {
		ksd_jw_null(w);
		return;
	}
	if (enc == KSD_ENC_TEXT) {
		ksd_jw_strn(w, p, (size_t)len);
		return;
	}
	before_value(w);
	put(w, "\"", 1);
	ksd_write_encoded(w->sink, p, (size_t)len, enc);
	put(w, "\"", 1);
}

void ksd_jw_kv_str(ksd_jw *w, const char *key, const char *v)
{
	ksd_jw_key(w, key);
	ksd_jw_str(w, v);
}

void ksd_jw_kv_int(ksd_jw *w, const char *key, int64_t v)
{
	ksd_jw_key(w, key);
	ksd_jw_int(w, v);
}

void ksd_jw_kv_uint(ksd_jw *w, const char *key, uint64_t v)
{
	ksd_jw_key(w, key);
	ksd_jw_uint(w, v);
}

void ksd_jw_kv_bool(ksd_jw *w, const char *key, bool v)
{
	ksd_jw_key(w, key);
	ksd_jw_bool(w, v);
}
