/*
 * The schema-table interpreter (see kschema.h).  It follows the order of
 * Kafka's generated readers (MessageDataGenerator.generateClassReader):
 * untagged fields present in the version, then one tagged-fields section per
 * struct in flexible versions.
 */
#include "kschema.h"

static bool fields_json(const ksd_kschema *s, int version, ksd_kr *r, ksd_jw *w);

static bool field_present(const ksd_kfield *f, int version)
{
	return version >= f->vmin && version <= f->vmax;
}

static bool field_nullable(const ksd_kfield *f, int version)
{
	return f->nullable_from >= 0 && version >= f->nullable_from;
}

static void write_uuid(ksd_jw *w, const uint8_t *u)
{
	char b[23];
	ksd_uuid_b64url(u, b);
	ksd_jw_str(w, b);
}

/* Smallest encoding of one array element, to bound counts by bytes left. */
static size_t elem_min(ksd_ktype t, bool flex)
{
	switch (t) {
	case KSD_KT_I32S:
		return 4;
	case KSD_KT_UUIDS:
		return 16;
	case KSD_KT_STRS:
		return flex ? 1 : 2;
	default:
		return 1;
	}
}

static bool array_json(const ksd_kfield *f, int version, ksd_kr *r, ksd_jw *w)
{
	int32_t n;
	if (!ksd_kr_array(r, field_nullable(f, version), elem_min(f->type, r->flex), &n))
		return false;
	if (n < 0) {
		ksd_jw_null(w);
		return true;
	}
	ksd_jw_arr_begin(w);
	for (int32_t i = 0; i < n && ksd_kr_ok(r); i++) {
		ksd_kstr s;
		switch (f->type) {
		case KSD_KT_I32S:
			ksd_jw_int(w, ksd_kr_i32(r));
			break;
		case KSD_KT_STRS:
			if (ksd_kr_str(r, false, &s))
				ksd_jw_kstr(w, s);
			break;
		case KSD_KT_UUIDS: {
			const uint8_t *u = ksd_kr_uuid(r);
			if (u)
				write_uuid(w, u);
			break;
		}
		default: /* KSD_KT_STRUCTS */
			ksd_jw_obj_begin(w);
			fields_json(f->sub, version, r, w);
			ksd_jw_obj_end(w);
			break;
		}
	}
	ksd_jw_arr_end(w);
	return ksd_kr_ok(r);
}

/*
 * A nullable struct is preceded by a presence marker: int8 (< 0 = null)
 * when untagged, uvarint (0 = null) when tagged (generateStructReader).
 */
static bool struct_json(const ksd_kfield *f, int version, bool tagged, ksd_kr *r, ksd_jw *w)
{
	if (field_nullable(f, version)) {
		bool present = tagged ? ksd_kr_uvarint(r) > 0 : ksd_kr_i8(r) >= 0;
		if (!ksd_kr_ok(r))
			return false;
		if (!present) {
			ksd_jw_null(w);
			return true;
		}
	}
	ksd_jw_obj_begin(w);
	bool ok = fields_json(f->sub, version, r, w);
	ksd_jw_obj_end(w);
	return ok;
}

/* Writes an embedded int16-versioned message (ConsumerProtocol*). */
static void embedded_write(const ksd_kschema *s, ksd_kstr b, uint64_t origin, ksd_jw *w)
{
	ksd_decode_err err = {0};
	ksd_kr r;
	ksd_kr_init(&r, b.p, (size_t)b.len, false, &err);
	r.c.origin = origin;
	int16_t v = ksd_kr_i16(&r);
	/* ConsumerProtocol.checkSubscriptionVersion: newer versions are read
	 * with the newest known layout, whose fields they must keep. */
	int use = v > s->vmax ? s->vmax : v;
	ksd_jw_obj_begin(w);
	ksd_jw_kv_int(w, "version", v);
	fields_json(s, use, &r, w);
	ksd_jw_obj_end(w);
}

static bool embedded_decodes(const ksd_kschema *s, ksd_kstr b, uint64_t origin)
{
	ksd_decode_err err = {0};
	ksd_jw sink;
	ksd_jw_init_discard(&sink);
	ksd_kr r;
	ksd_kr_init(&r, b.p, (size_t)b.len, false, &err);
	r.c.origin = origin;
	int16_t v = ksd_kr_i16(&r);
	if (!ksd_kr_ok(&r) || v < s->vmin)
		return false;
	return fields_json(s, v > s->vmax ? s->vmax : v, &r, &sink);
}

/*
 * DumpLogSegments decodes the members' subscription and assignment when the
 * group's protocol type is "consumer" and keeps the raw bytes when that
 * fails; so does this, and a failure here is not an error of the record.
 */
static bool embedded_json(const ksd_kfield *f, int version, ksd_kr *r, ksd_jw *w)
{
	ksd_kstr b;
	if (!ksd_kr_bytes(r, field_nullable(f, version), &b))
		return false;
	uint64_t origin = ksd_kr_pos(r) - (b.len > 0 ? (uint64_t)b.len : 0);
	if (b.len >= 0 && (r->flags & KSD_KR_CONSUMER_PROTOCOL) && embedded_decodes(f->sub, b, origin))
		embedded_write(f->sub, b, origin, w);
	else
		ksd_jw_bytes(w, b.p, b.len, KSD_ENC_BASE64);
	return true;
}

static bool value_json(const ksd_kfield *f, int version, bool tagged, ksd_kr *r, ksd_jw *w)
{
	ksd_kstr s;
	const uint8_t *u;
	int64_t v;
	switch ((ksd_ktype)f->type) {
	case KSD_KT_I8:
		v = ksd_kr_i8(r);
		break;
	case KSD_KT_I16:
		v = ksd_kr_i16(r);
		break;
	case KSD_KT_U16:
		v = ksd_kr_u16(r);
		break;
	case KSD_KT_I32:
		v = ksd_kr_i32(r);
		break;
	case KSD_KT_I64:
		v = ksd_kr_i64(r);
		break;
	case KSD_KT_BOOL:
		ksd_jw_bool(w, ksd_kr_bool(r));
		return ksd_kr_ok(r);
	case KSD_KT_F64:
		ksd_jw_real(w, ksd_kr_f64(r));
		return ksd_kr_ok(r);
	case KSD_KT_UUID:
		if ((u = ksd_kr_uuid(r)) == NULL)
			return false;
		write_uuid(w, u);
		return true;
	case KSD_KT_STR:
		if (!ksd_kr_str(r, field_nullable(f, version), &s))
			return false;
		ksd_jw_kstr(w, s);
		return true;
	case KSD_KT_BYTES:
		if (!ksd_kr_bytes(r, field_nullable(f, version), &s))
			return false;
		ksd_jw_bytes(w, s.p, s.len, KSD_ENC_BASE64);
		return true;
	case KSD_KT_STRUCT:
		return struct_json(f, version, tagged, r, w);
	case KSD_KT_EMBEDDED:
		return embedded_json(f, version, r, w);
	default:
		return array_json(f, version, r, w);
	}
	ksd_jw_int(w, v);
	if (f->name_of && ksd_kr_ok(r)) {
		const char *name = f->name_of((int)v);
		ksd_jw_kv_str(w, f->names_key, name);
	}
	return ksd_kr_ok(r);
}

static const ksd_kfield *find_tag(const ksd_kschema *s, uint32_t tag)
{
	for (unsigned i = 0; i < s->nfields; i++) {
		const ksd_kfield *f = &s->fields[i];
		if (f->tag >= 0 && (uint32_t)f->tag == tag)
			return f;
	}
	return NULL;
}

/* One known tagged field, decoded inside its declared size. */
static bool tagged_field_json(const ksd_kfield *f, int version, ksd_kr *field, ksd_jw *w)
{
	if (!field_present(f, version))
		return ksd_kr_fail(field, "tag not valid for this version");
	ksd_jw_key(w, f->name);
	if (!value_json(f, version, true, field, w))
		return false;
	if (!ksd_cur_at_end(&field->c))
		return ksd_kr_fail(field, "tagged field shorter than its size");
	return true;
}

static void unknown_tag_json(uint32_t tag, const ksd_kr *field, ksd_jw *w)
{
	ksd_jw_obj_begin(w);
	ksd_jw_kv_uint(w, "tag", tag);
	ksd_jw_key(w, "data");
	ksd_jw_bytes(w, field->c.base, (int64_t)field->c.len, KSD_ENC_BASE64);
	ksd_jw_obj_end(w);
}

/*
 * The tagged-fields section, read twice from the same start: known tags as
 * object keys first, then the unknown ones in one "unknown_tagged_fields"
 * array (a streaming writer cannot reopen an array).  A tag seen twice is
 * refused: Kafka would keep the last, but JSON keys must be unique.
 */
static bool tags_json(const ksd_kschema *s, int version, ksd_kr *r, ksd_jw *w)
{
	ksd_kr start = *r;
	uint32_t n, tag, unknown = 0;
	uint64_t seen = 0;
	if (!ksd_kr_tags_begin(r, &n))
		return false;
	for (uint32_t i = 0; i < n; i++) {
		ksd_kr field;
		if (!ksd_kr_tag_next(r, &tag, &field))
			return false;
		const ksd_kfield *f = find_tag(s, tag);
		if (!f) {
			unknown++;
			continue;
		}
		if (seen & (1ull << (tag & 63))) {
			ksd_kr_fail(&field, "tagged field repeated");
			return ksd_cur_fail(&r->c);
		}
		seen |= 1ull << (tag & 63);
		if (!tagged_field_json(f, version, &field, w))
			return ksd_cur_fail(&r->c);
	}
	if (unknown == 0)
		return true;
	ksd_kr again = start;
	ksd_kr_tags_begin(&again, &n);
	ksd_jw_key(w, "unknown_tagged_fields");
	ksd_jw_arr_begin(w);
	for (uint32_t i = 0; i < n; i++) {
		ksd_kr field;
		ksd_kr_tag_next(&again, &tag, &field);
		if (!find_tag(s, tag))
			unknown_tag_json(tag, &field, w);
	}
	ksd_jw_arr_end(w);
	return true;
}

static bool fields_json(const ksd_kschema *s, int version, ksd_kr *r, ksd_jw *w)
{
	for (unsigned i = 0; i < s->nfields && ksd_kr_ok(r); i++) {
		const ksd_kfield *f = &s->fields[i];
		if (f->tag >= 0 || !field_present(f, version))
			continue;
		ksd_jw_key(w, f->name);
		value_json(f, version, false, r, w);
	}
	if (ksd_kr_ok(r) && r->flex)
		tags_json(s, version, r, w);
	return ksd_kr_ok(r);
}

bool ksd_kschema_json(const ksd_kschema *s, int version, ksd_kr *r, ksd_jw *w, bool require_end)
{
	if (version < s->vmin || version > s->vmax)
		return ksd_kr_fail(r, "unsupported version");
	r->flex = ksd_kschema_flexible(s, version);
	if (!fields_json(s, version, r, w))
		return false;
	if (require_end && !ksd_cur_at_end(&r->c))
		return ksd_kr_fail(r, "bytes left after the message");
	return true;
}

bool ksd_kschema_check(const ksd_kschema *s, int version, const uint8_t *p, size_t n,
		       uint64_t origin, unsigned flags, bool require_end, ksd_decode_err *err)
{
	ksd_jw sink;
	ksd_kr r;
	ksd_jw_init_discard(&sink);
	ksd_kr_init(&r, p, n, false, err);
	r.c.origin = origin;
	r.flags = flags;
	ksd_jw_obj_begin(&sink);
	bool ok = ksd_kschema_json(s, version, &r, &sink, require_end);
	ksd_jw_obj_end(&sink);
	return ok;
}

/* {"version":N,"error":…,"at":…}: the version decoded, the message did not. */
static bool versioned_error_json(ksd_jw *w, int16_t version, const ksd_decode_err *err)
{
	ksd_jw_obj_begin(w);
	ksd_jw_kv_int(w, "version", version);
	ksd_jw_kv_str(w, "error", err->what);
	ksd_jw_kv_uint(w, "at", err->at);
	ksd_jw_obj_end(w);
	return false;
}

bool ksd_kschema_versioned_json(ksd_jw *w, const ksd_kschema *s, const uint8_t *p, size_t n,
				unsigned flags)
{
	ksd_decode_err err = {0};
	ksd_kr r;
	ksd_kr_init(&r, p, n, false, &err);
	int16_t version = ksd_kr_i16(&r);
	if (!ksd_kr_ok(&r)) {
		ksd_jw_decode_error(w, &err);
		return false;
	}
	if (!ksd_kschema_check(s, version, p + 2, n - 2, 2, flags, false, &err))
		return versioned_error_json(w, version, &err);
	r.flags = flags;
	ksd_jw_obj_begin(w);
	ksd_jw_kv_int(w, "version", version);
	ksd_jw_key(w, "data");
	ksd_jw_obj_begin(w);
	ksd_kschema_json(s, version, &r, w, false);
	ksd_jw_obj_end(w);
	/* The coordinators' readers ignore what follows the message
	 * (CoordinatorRecordSerde.readMessage); show that it is there. */
	if (ksd_kr_left(&r) > 0)
		ksd_jw_kv_uint(w, "trailing_bytes", ksd_kr_left(&r));
	ksd_jw_obj_end(w);
	return true;
}
