/*
 * Control records (kafka-facts.md §1.7): the records of control batches.
 *
 * Key: int16 version (0) + int16 type (ControlRecordType.parseTypeId: at
 * least 4 bytes, version >= 0; a newer version is read as version 0).
 *
 * ABORT/COMMIT value: EndTransactionMarker, int16 version + int32
 * coordinatorEpoch (deserializeValue: at least 6 bytes, version >= 0; a
 * newer version is read as version 0).
 *
 * KRaft values (types 2-6): the message serialised by MessageUtil.toByteBuffer
 * at the fixed version ControlRecordUtils.*_CURRENT_VERSION (0), so no
 * version is added in front of it; but each of these schemas
 * (LeaderChangeMessage, SnapshotHeaderRecord, SnapshotFooterRecord,
 * KRaftVersionRecord, VotersRecord) has an int16 `Version` as its first
 * field, so the value does start with an int16 version, followed by the
 * flexible body.  Kafka reads them back at version 0 whatever that field says
 * (ControlRecordUtils.deserialize*), and so does this: it is printed as
 * "version".  Kafka ignores bytes after the message; they are shown as
 * "trailing_bytes".
 */
#include <string.h>

#include "ksd/internal_topics.h"
#include "kproto.h"
#include "kschema.h"

static const ksd_kfield voter_id_f[] = {
	KF("voter_id", KSD_KT_I32, 0, KSD_V_MAX),
};
KSCHEMA(voter_id_s, "Voter", 0, 0, 0, voter_id_f);

static const ksd_kfield leader_change_f[] = {
	KF("version", KSD_KT_I16, 0, KSD_V_MAX),
	KF("leader_id", KSD_KT_I32, 0, KSD_V_MAX),
	KFS("voters", 0, KSD_V_MAX, voter_id_s),
	KFS("granting_voters", 0, KSD_V_MAX, voter_id_s),
};
KSCHEMA(leader_change_s, "LeaderChangeMessage", 0, 0, 0, leader_change_f);

static const ksd_kfield snapshot_header_f[] = {
	KF("version", KSD_KT_I16, 0, KSD_V_MAX),
	KF("last_contained_log_timestamp", KSD_KT_I64, 0, KSD_V_MAX),
};
KSCHEMA(snapshot_header_s, "SnapshotHeaderRecord", 0, 0, 0, snapshot_header_f);

static const ksd_kfield snapshot_footer_f[] = {
	KF("version", KSD_KT_I16, 0, KSD_V_MAX),
};
KSCHEMA(snapshot_footer_s, "SnapshotFooterRecord", 0, 0, 0, snapshot_footer_f);

/* KIP-853 (3.9): dynamic KRaft quorums. */
static const ksd_kfield kraft_version_f[] = {
	KF("version", KSD_KT_I16, 0, KSD_V_MAX),
	KF("kraft_version", KSD_KT_I16, 0, KSD_V_MAX),
};
KSCHEMA(kraft_version_s, "KRaftVersionRecord", 0, 0, 0, kraft_version_f);

static const ksd_kfield voter_endpoint_f[] = {
	KF("name", KSD_KT_STR, 0, KSD_V_MAX),
	KF("host", KSD_KT_STR, 0, KSD_V_MAX),
	KF("port", KSD_KT_U16, 0, KSD_V_MAX),
};
KSCHEMA(voter_endpoint_s, "Endpoint", 0, 0, 0, voter_endpoint_f);

static const ksd_kfield version_range_f[] = {
	KF("min_supported_version", KSD_KT_I16, 0, KSD_V_MAX),
	KF("max_supported_version", KSD_KT_I16, 0, KSD_V_MAX),
};
KSCHEMA(version_range_s, "KRaftVersionFeature", 0, 0, 0, version_range_f);

static const ksd_kfield voter_f[] = {
	KF("voter_id", KSD_KT_I32, 0, KSD_V_MAX),
	KF("voter_directory_id", KSD_KT_UUID, 0, KSD_V_MAX),
	KFS("endpoints", 0, KSD_V_MAX, voter_endpoint_s),
	{.name = "kraft_version_feature", .type = KSD_KT_STRUCT, .vmin = 0, .vmax = KSD_V_MAX,
	 .nullable_from = -1, .tag = -1, .sub = &version_range_s},
};
KSCHEMA(voter_s, "Voter", 0, 0, 0, voter_f);

static const ksd_kfield voters_f[] = {
	KF("version", KSD_KT_I16, 0, KSD_V_MAX),
	KFS("voters", 0, KSD_V_MAX, voter_s),
};
KSCHEMA(voters_s, "VotersRecord", 0, 0, 0, voters_f);

/* Indexed by type id; NULL for the transaction markers. */
static const ksd_kschema *const control_schemas[] = {
	NULL, NULL, &leader_change_s, &snapshot_header_s, &snapshot_footer_s,
	&kraft_version_s, &voters_s,
};

static const char *const control_names[] = {
	"ABORT", "COMMIT", "LEADER_CHANGE", "SNAPSHOT_HEADER", "SNAPSHOT_FOOTER",
	"KRAFT_VERSION", "KRAFT_VOTERS",
};

const char *ksd_control_type_name(ksd_control_type t)
{
	if (t < 0 || (size_t)t >= KSD_ARRAY_LEN(control_names))
		return "UNKNOWN";
	return control_names[t];
}

static ksd_control_type control_type_of(int16_t id)
{
	if (id < 0 || (size_t)id >= KSD_ARRAY_LEN(control_names))
		return KSD_CONTROL_UNKNOWN;
	return (ksd_control_type)id;
}

static bool is_marker(ksd_control_type t)
{
	return t == KSD_CONTROL_ABORT || t == KSD_CONTROL_COMMIT;
}

static bool control_key_parse(const uint8_t *key, int64_t klen, ksd_control *out,
			      ksd_decode_err *err)
{
	ksd_kr r;
	if (klen < 0) {
		*err = (ksd_decode_err){"control record without a key", 0};
		return false;
	}
	ksd_kr_init(&r, key, (size_t)klen, false, err);
	out->key_version = ksd_kr_i16(&r);
	if (ksd_kr_ok(&r) && out->key_version < 0) {
		r.c.pos = 0;
		return ksd_kr_fail(&r, "negative control key version");
	}
	int16_t id = ksd_kr_i16(&r);
	if (!ksd_kr_ok(&r))
		return false;
	out->type_id = id;
	out->type = control_type_of(id);
	return true;
}

/* EndTransactionMarker.deserializeValue */
static bool marker_value_parse(const uint8_t *value, int64_t vlen, ksd_control *out,
			       ksd_decode_err *err)
{
	ksd_kr r;
	if (vlen < 0) {
		*err = (ksd_decode_err){"transaction marker without a value", 0};
		return false;
	}
	ksd_kr_init(&r, value, (size_t)vlen, false, err);
	out->value_version = ksd_kr_i16(&r);
	if (ksd_kr_ok(&r) && out->value_version < 0) {
		r.c.pos = 0;
		return ksd_kr_fail(&r, "negative transaction marker version");
	}
	out->coordinator_epoch = ksd_kr_i32(&r);
	return ksd_kr_ok(&r);
}

bool ksd_control_parse(const uint8_t *key, int64_t klen, const uint8_t *value, int64_t vlen,
		       ksd_control *out, ksd_decode_err *err)
{
	*err = (ksd_decode_err){0};
	memset(out, 0, sizeof *out);
	out->type = KSD_CONTROL_UNKNOWN;
	out->value_version = -1;
	out->coordinator_epoch = -1;
	if (!control_key_parse(key, klen, out, err))
		return false;
	if (is_marker(out->type))
		return marker_value_parse(value, vlen, out, err);
	return true;
}

static bool key_error_json(ksd_jw *w, const ksd_decode_err *err)
{
	ksd_jw_decode_error(w, err);
	return false;
}

/* {"type":…,"error":…,"at":…}: the key decoded, the value did not. */
static bool value_error_json(ksd_jw *w, const ksd_control *c, const ksd_decode_err *err)
{
	ksd_jw_obj_begin(w);
	ksd_jw_kv_str(w, "type", ksd_control_type_name(c->type));
	ksd_jw_kv_str(w, "error", err->what);
	ksd_jw_kv_uint(w, "at", err->at);
	ksd_jw_obj_end(w);
	return false;
}

static void control_head_json(ksd_jw *w, const ksd_control *c)
{
	ksd_jw_kv_str(w, "type", ksd_control_type_name(c->type));
	if (c->type == KSD_CONTROL_UNKNOWN)
		ksd_jw_kv_int(w, "type_id", c->type_id);
	if (c->key_version != 0)
		ksd_jw_kv_int(w, "key_version", c->key_version);
}

static bool kraft_control_json(ksd_jw *w, const ksd_control *c, const uint8_t *value,
			       int64_t vlen)
{
	const ksd_kschema *s = control_schemas[c->type];
	ksd_decode_err err = {0};
	if (vlen < 0) {
		err.what = "control record without a value";
		return value_error_json(w, c, &err);
	}
	if (!ksd_kschema_check(s, 0, value, (size_t)vlen, 0, 0, false, &err))
		return value_error_json(w, c, &err);
	ksd_kr r;
	ksd_kr_init(&r, value, (size_t)vlen, true, &err);
	ksd_jw_obj_begin(w);
	control_head_json(w, c);
	ksd_kschema_json(s, 0, &r, w, false);
	if (ksd_kr_left(&r) > 0)
		ksd_jw_kv_uint(w, "trailing_bytes", ksd_kr_left(&r));
	ksd_jw_obj_end(w);
	return true;
}

bool ksd_control_json(ksd_jw *w, const uint8_t *key, int64_t klen, const uint8_t *value,
		      int64_t vlen)
{
	ksd_control c;
	ksd_decode_err err = {0};
	memset(&c, 0, sizeof c);
	c.type = KSD_CONTROL_UNKNOWN;
	if (!control_key_parse(key, klen, &c, &err))
		return key_error_json(w, &err);
	if (c.type != KSD_CONTROL_UNKNOWN && !is_marker(c.type))
		return kraft_control_json(w, &c, value, vlen);
	if (is_marker(c.type) && !marker_value_parse(value, vlen, &c, &err))
		return value_error_json(w, &c, &err);
	ksd_jw_obj_begin(w);
	control_head_json(w, &c);
	if (is_marker(c.type)) {
		ksd_jw_kv_int(w, "version", c.value_version);
		ksd_jw_kv_int(w, "coordinator_epoch", c.coordinator_epoch);
	}
	ksd_jw_obj_end(w);
	return true;
}
