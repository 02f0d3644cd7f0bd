/*
 * kschema.h - Kafka message schemas as tables, rendered to JSON (internal).
 *
 * Kafka describes every internal-topic record, metadata record and KRaft
 * control record in a JSON schema (fields with types, "versions",
 * "nullableVersions", "taggedVersions"/"tag") and generates its readers from
 * them.  The decoders here keep a table per schema, transcribed by hand from
 * those files, and one interpreter walks the bytes field by field: the
 * untagged fields in order, then, in flexible versions, the tagged-fields
 * section (known tags decoded, unknown ones listed as base64).  JSON keys
 * are the schema names in snake_case.
 *
 * A table covers the schema's versions vmin..vmax; a version outside that
 * range fails like Kafka's "Can't read version N" (UnsupportedVersionException).
 */
#ifndef KSD_KSCHEMA_H
#define KSD_KSCHEMA_H

#include <stdbool.h>
#include <stdint.h>

#include "kproto.h"

#define KSD_V_MAX 0x7f /* "N+" in a schema */

typedef enum ksd_ktype {
	KSD_KT_I8,
	KSD_KT_I16,
	KSD_KT_U16,
	KSD_KT_I32,
	KSD_KT_I64,
	KSD_KT_BOOL,
	KSD_KT_F64,
	KSD_KT_UUID,
	KSD_KT_STR,
	KSD_KT_BYTES,
	KSD_KT_I32S,    /* []int32 */
	KSD_KT_STRS,    /* []string */
	KSD_KT_UUIDS,   /* []uuid */
	KSD_KT_STRUCTS, /* []Struct, described by `sub` */
	KSD_KT_STRUCT,  /* one Struct */
	/* bytes holding an int16 version + a `sub` message (the consumer protocol
	 * inside GroupMetadataValue): decoded when the reader has
	 * KSD_KR_CONSUMER_PROTOCOL and the bytes decode, else base64 */
	KSD_KT_EMBEDDED,
} ksd_ktype;

struct ksd_kschema;

typedef struct ksd_kfield {
	const char *name;       /* JSON key */
	uint8_t type;           /* ksd_ktype */
	int8_t vmin, vmax;      /* "versions" */
	int8_t nullable_from;   /* "nullableVersions" N+, or -1 */
	int16_t tag;            /* "tag" when tagged, or -1 */
	const struct ksd_kschema *sub;
	/* Optional: also write names_key with the name of an integer value. */
	const char *names_key;
	const char *(*name_of)(int value);
} ksd_kfield;

typedef struct ksd_kschema {
	const char *name;       /* Kafka's message name */
	int8_t vmin, vmax;      /* "validVersions" */
	int8_t flex_from;       /* "flexibleVersions" N+, or -1 for none */
	uint8_t nfields;
	const ksd_kfield *fields;
} ksd_kschema;

#define KSD_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* Table shorthands: plain, nullable, tagged, tagged+nullable, struct arrays. */
#define KF(n, t, lo, hi) {.name = n, .type = t, .vmin = lo, .vmax = hi, .nullable_from = -1, .tag = -1}
#define KFN(n, t, lo, hi, nul) \
	{.name = n, .type = t, .vmin = lo, .vmax = hi, .nullable_from = nul, .tag = -1}
#define KFT(n, t, lo, tg) \
	{.name = n, .type = t, .vmin = lo, .vmax = KSD_V_MAX, .nullable_from = -1, .tag = tg}
#define KFTN(n, t, lo, tg) \
	{.name = n, .type = t, .vmin = lo, .vmax = KSD_V_MAX, .nullable_from = lo, .tag = tg}
#define KFS(n, lo, hi, s) \
	{.name = n, .type = KSD_KT_STRUCTS, .vmin = lo, .vmax = hi, .nullable_from = -1, .tag = -1, \
	 .sub = &(s)}
#define KSCHEMA(var, kname, lo, hi, flex, fieldtab) \
	static const ksd_kschema var = {kname, lo, hi, flex, (uint8_t)KSD_ARRAY_LEN(fieldtab), fieldtab}

static inline bool ksd_kschema_flexible(const ksd_kschema *s, int version)
{
	return s->flex_from >= 0 && version >= s->flex_from;
}

/*
 * Reads a whole message of `version` from r (whose `flex` is set here) and
 * writes its fields into the JSON object the caller has open.  With
 * `require_end`, bytes left after the message fail the read.
 */
bool ksd_kschema_json(const ksd_kschema *s, int version, ksd_kr *r, ksd_jw *w, bool require_end);

/*
 * Checks that p..p+n holds a whole message of `version` by decoding it with
 * the output discarded; `origin` is the offset of p in the payload, for
 * error positions.  Renderers call this first and write only when it
 * passed, so a payload is never rendered half-way.  On failure *err holds
 * the first error.
 */
bool ksd_kschema_check(const ksd_kschema *s, int version, const uint8_t *p, size_t n,
		       uint64_t origin, unsigned flags, bool require_end, ksd_decode_err *err);

/*
 * An int16 version followed by the message at that version, as the group and
 * transaction coordinators store values (MessageUtil.toVersionPrefixedBytes):
 * writes {"version":N,"data":{…}} (plus "trailing_bytes" when bytes follow
 * the message), or the error object and returns false.
 */
bool ksd_kschema_versioned_json(ksd_jw *w, const ksd_kschema *s, const uint8_t *p, size_t n,
				unsigned flags);

#endif
