/*
 * kproto.h - Kafka protocol primitives over a bounded cursor (internal).
 *
 * The "classic" forms: int16-length strings, int32-length bytes, int32-count
 * arrays, -1 meaning null.  The compact forms of flexible versions (KIP-482):
 * unsigned varint length+1 (0 = null) and a tagged-fields section ending
 * every struct (uvarint count, then per field uvarint tag, uvarint size,
 * data).  A reader picks the form with its `flex` flag, so one decoder serves
 * both kinds of versions.
 *
 * The checks mirror Kafka's generated readers (MessageDataGenerator): a
 * non-nullable field read as null fails, a compact string longer than 0x7fff
 * fails, an array claiming more elements than there are bytes left fails.
 * Every error is recorded once, with its byte position, in a slot shared by
 * a reader and the sub-readers made for tagged fields.
 */
#ifndef KSD_KPROTO_H
#define KSD_KPROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ksd/cursor.h"
#include "ksd/internal_topics.h"

/* Flags a reader passes on to its sub-readers. */
#define KSD_KR_CONSUMER_PROTOCOL 0x1u /* decode embedded consumer-protocol bytes */

typedef struct ksd_kr {
	ksd_cursor c;          /* origin = offset of base[0] in the whole payload */
	bool flex;             /* compact forms and tagged fields */
	unsigned flags;
	ksd_decode_err *err;   /* shared: first error wins */
} ksd_kr;

void ksd_kr_init(ksd_kr *r, const uint8_t *p, size_t n, bool flex, ksd_decode_err *err);
/* Fails the reader and records `why` at the current position unless an
 * earlier error is recorded.  Always returns false. */
bool ksd_kr_fail(ksd_kr *r, const char *why);
static inline bool ksd_kr_ok(const ksd_kr *r) { return !r->c.failed; }
static inline size_t ksd_kr_left(const ksd_kr *r) { return ksd_cur_left(&r->c); }
static inline uint64_t ksd_kr_pos(const ksd_kr *r) { return ksd_cur_filepos(&r->c); }

/* NULL (and the reader failed with "truncated") when fewer than n bytes are left. */
const uint8_t *ksd_kr_take(ksd_kr *r, size_t n);
int8_t ksd_kr_i8(ksd_kr *r);
int16_t ksd_kr_i16(ksd_kr *r);
uint16_t ksd_kr_u16(ksd_kr *r);
int32_t ksd_kr_i32(ksd_kr *r);
int64_t ksd_kr_i64(ksd_kr *r);
double ksd_kr_f64(ksd_kr *r);
bool ksd_kr_bool(ksd_kr *r);           /* any non-zero byte is true (readByte() != 0) */
const uint8_t *ksd_kr_uuid(ksd_kr *r); /* 16 bytes */
/* Unsigned varint of at most 5 bytes (ByteUtils.readUnsignedVarint). */
uint32_t ksd_kr_uvarint(ksd_kr *r);

bool ksd_kr_str(ksd_kr *r, bool nullable, ksd_kstr *out);
bool ksd_kr_bytes(ksd_kr *r, bool nullable, ksd_kstr *out);
/*
 * Reads an array count (-1 = null) and checks that `count * min_elem` bytes
 * are left, so no later loop runs longer than the bytes allow.
 */
bool ksd_kr_array(ksd_kr *r, bool nullable, size_t min_elem, int32_t *count);

/* Tagged fields: the count, then each field as a sub-reader over its bytes. */
bool ksd_kr_tags_begin(ksd_kr *r, uint32_t *count);
bool ksd_kr_tag_next(ksd_kr *r, uint32_t *tag, ksd_kr *field);
/* Skips a whole tagged-fields section (none are known to the caller). */
bool ksd_kr_skip_tags(ksd_kr *r);

/* Kafka's Uuid.toString: URL-safe base64 without padding (22 chars + NUL). */
void ksd_uuid_b64url(const uint8_t u[16], char out[23]);

/* --- JSON helpers for decoders -------------------------------------------- */

/* A sink that drops everything: a decoder runs with it first to validate. */
void ksd_jw_init_discard(ksd_jw *w);
/* {"error":what,"at":at} */
void ksd_jw_decode_error(ksd_jw *w, const ksd_decode_err *e);
/* Kafka string as JSON string or null. */
void ksd_jw_kstr(ksd_jw *w, ksd_kstr s);
void ksd_jw_kv_kstr(ksd_jw *w, const char *key, ksd_kstr s);

#endif
