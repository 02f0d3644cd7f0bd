/*
 * ksd/jsonw.h - a streaming JSON writer into a caller's sink.
 *
 * The core renders structured output (decoded records, internal-topic
 * payloads) through this writer without printing: the CLI supplies the sink
 * (stdout, a buffer).  Nothing is buffered here beyond one call, so output
 * of any size streams in bounded memory.
 *
 * Strings are written exactly: valid UTF-8 passes through (JSON-escaped);
 * each byte that is not part of valid UTF-8 becomes the lone surrogate
 * \uDC80-\uDCFF (Python's "surrogateescape"), so any byte string
 * round-trips: json.loads(s).encode("utf-8", "surrogateescape").
 */
#ifndef KSD_JSONW_H
#define KSD_JSONW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct ksd_sink {
	void (*write)(void *ud, const char *p, size_t n);
	void *ud;
} ksd_sink;

#define KSD_JW_MAX_DEPTH 64

typedef enum ksd_bytes_encoding {
	KSD_ENC_TEXT = 0, /* UTF-8 with surrogate escapes for other bytes */
	KSD_ENC_HEX,      /* lowercase hex */
	KSD_ENC_BASE64,   /* RFC 4648 with padding */
} ksd_bytes_encoding;

typedef struct ksd_jw {
	ksd_sink sink;
	int depth;
	bool first[KSD_JW_MAX_DEPTH]; /* next value is the first in its container */
	bool after_key;
	bool overflow;                /* nesting beyond KSD_JW_MAX_DEPTH was refused */
} ksd_jw;

void ksd_jw_init(ksd_jw *w, ksd_sink sink);
void ksd_jw_obj_begin(ksd_jw *w);
void ksd_jw_obj_end(ksd_jw *w);
void ksd_jw_arr_begin(ksd_jw *w);
void ksd_jw_arr_end(ksd_jw *w);
void ksd_jw_key(ksd_jw *w, const char *key);
void ksd_jw_str(ksd_jw *w, const char *s);            /* NULL -> null */
void ksd_jw_strn(ksd_jw *w, const uint8_t *s, size_t n);
void ksd_jw_int(ksd_jw *w, int64_t v);
void ksd_jw_uint(ksd_jw *w, uint64_t v);
void ksd_jw_bool(ksd_jw *w, bool v);
void ksd_jw_null(ksd_jw *w);
void ksd_jw_real(ksd_jw *w, double v);
/* Bytes in the chosen encoding; len < 0 writes null (distinct from ""). */
void ksd_jw_bytes(ksd_jw *w, const uint8_t *p, int64_t len, ksd_bytes_encoding enc);
/* Bytes as hex or base64 straight into a sink (no quotes); text writes
 * them unchanged.  Shared by JSON and the text renderers. */
void ksd_write_encoded(ksd_sink sink, const uint8_t *p, size_t n, ksd_bytes_encoding enc);

/* Raw JSON text, for values already rendered (caller guarantees validity). */
void ksd_jw_raw(ksd_jw *w, const char *json);

/* Convenience: key + value. */
void ksd_jw_kv_str(ksd_jw *w, const char *key, const char *v);
void ksd_jw_kv_int(ksd_jw *w, const char *key, int64_t v);
void ksd_jw_kv_uint(ksd_jw *w, const char *key, uint64_t v);
void ksd_jw_kv_bool(ksd_jw *w, const char *key, bool v);

/* Length of the valid UTF-8 sequence at p (n bytes available), or 0. */
size_t ksd_utf8_seq_len(const uint8_t *p, size_t n);

#endif
