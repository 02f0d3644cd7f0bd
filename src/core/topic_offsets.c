/*
 * __consumer_offsets records (kafka-facts.md §6.1): every key and value
 * starts with an int16 version, and the key's version is the record type
 * (GroupCoordinatorRecordSerde.apiMessageKeyFor/apiMessageValueFor).  The
 * tables below transcribe group-coordinator/src/main/resources/common/
 * message/<Name>{Key,Value}.json; the KIP-848 (3-8, 16) and KIP-932 (9-14) values follow the
 * schemas as of trunk 2024-10 plus the tagged fields added since (tagged
 * fields are how KIP-915 lets these records grow).  Type 15
 * (ShareGroupStatePartitionMetadata) is named but its value is not decoded:
 * its layout was still changing while share groups were in preview.
 *
 * Also here: the group -> partition mapping of GroupMetadataManager.
 */
#include <string.h>

#include "ksd/internal_topics.h"
#include "kproto.h"
#include "kschema.h"
#include "topics_internal.h"

/* --- the embedded consumer protocol (ConsumerProtocol{Subscription,Assignment}.json) */

static const ksd_kfield topic_partitions_f[] = {
	KF("topic", KSD_KT_STR, 0, KSD_V_MAX),
	KF("partitions", KSD_KT_I32S, 0, KSD_V_MAX),
};
KSCHEMA(topic_partitions_s, "TopicPartition", 0, 3, -1, topic_partitions_f);

static const ksd_kfield subscription_f[] = {
	KF("topics", KSD_KT_STRS, 0, KSD_V_MAX),
	KFN("user_data", KSD_KT_BYTES, 0, KSD_V_MAX, 0),
	KFS("owned_partitions", 1, KSD_V_MAX, topic_partitions_s),
	KF("generation_id", KSD_KT_I32, 2, KSD_V_MAX),
	KFN("rack_id", KSD_KT_STR, 3, KSD_V_MAX, 3),
};
KSCHEMA(subscription_s, "ConsumerProtocolSubscription", 0, 3, -1, subscription_f);

static const ksd_kfield assignment_f[] = {
	KFS("assigned_partitions", 0, KSD_V_MAX, topic_partitions_s),
	KFN("user_data", KSD_KT_BYTES, 0, KSD_V_MAX, 0),
};
KSCHEMA(assignment_s, "ConsumerProtocolAssignment", 0, 3, -1, assignment_f);

/* --- values ------------------------------------------------------------ */

/* OffsetCommitValue: v1 adds expire (0.9-2.0), v3 leader epoch (KIP-320),
 * v4 is the first flexible version (KIP-915). */
static const ksd_kfield offset_commit_f[] = {
	KF("offset", KSD_KT_I64, 0, KSD_V_MAX),
	KF("leader_epoch", KSD_KT_I32, 3, KSD_V_MAX),
	KF("metadata", KSD_KT_STR, 0, KSD_V_MAX),
	KF("commit_timestamp", KSD_KT_I64, 0, KSD_V_MAX),
	KF("expire_timestamp", KSD_KT_I64, 1, 1),
};
KSCHEMA(offset_commit_s, "OffsetCommitValue", 0, 4, 4, offset_commit_f);

static const ksd_kfield member_f[] = {
	KF("member_id", KSD_KT_STR, 0, KSD_V_MAX),
	KFN("group_instance_id", KSD_KT_STR, 3, KSD_V_MAX, 3), /* KIP-345 */
	KF("client_id", KSD_KT_STR, 0, KSD_V_MAX),
	KF("client_host", KSD_KT_STR, 0, KSD_V_MAX),
	KF("rebalance_timeout", KSD_KT_I32, 1, KSD_V_MAX),
	KF("session_timeout", KSD_KT_I32, 0, KSD_V_MAX),
	{.name = "subscription", .type = KSD_KT_EMBEDDED, .vmin = 0, .vmax = KSD_V_MAX,
	 .nullable_from = -1, .tag = -1, .sub = &subscription_s},
	{.name = "assignment", .type = KSD_KT_EMBEDDED, .vmin = 0, .vmax = KSD_V_MAX,
	 .nullable_from = -1, .tag = -1, .sub = &assignment_s},
};
KSCHEMA(member_s, "MemberMetadata", 0, 4, 4, member_f);

static const ksd_kfield group_metadata_f[] = {
	KF("protocol_type", KSD_KT_STR, 0, KSD_V_MAX),
	KF("generation", KSD_KT_I32, 0, KSD_V_MAX),
	KFN("protocol", KSD_KT_STR, 0, KSD_V_MAX, 0),
	KFN("leader", KSD_KT_STR, 0, KSD_V_MAX, 0),
	KF("current_state_timestamp", KSD_KT_I64, 2, KSD_V_MAX),
	KFS("members", 0, KSD_V_MAX, member_s),
};
KSCHEMA(group_metadata_s, "GroupMetadataValue", 0, 4, 4, group_metadata_f);

/* KIP-848 consumer groups (new group coordinator, 3.7 early access, 4.0 GA). */
static const ksd_kfield cg_metadata_f[] = {
	KF("epoch", KSD_KT_I32, 0, KSD_V_MAX),
	KFT("metadata_hash", KSD_KT_I64, 0, 0),     /* 4.1, KIP-1101 */
	KFT("creation_time_ms", KSD_KT_I64, 0, 1),  /* KIP-1282 */
};
KSCHEMA(cg_metadata_s, "ConsumerGroupMetadataValue", 0, 0, 0, cg_metadata_f);

static const ksd_kfield partition_racks_f[] = {
	KF("partition", KSD_KT_I32, 0, KSD_V_MAX),
	KF("racks", KSD_KT_STRS, 0, KSD_V_MAX),
};
KSCHEMA(partition_racks_s, "PartitionMetadata", 0, 0, 0, partition_racks_f);

static const ksd_kfield topic_metadata_f[] = {
	KF("topic_id", KSD_KT_UUID, 0, KSD_V_MAX),
	KF("topic_name", KSD_KT_STR, 0, KSD_V_MAX),
	KF("num_partitions", KSD_KT_I32, 0, KSD_V_MAX),
	KFS("partition_metadata", 0, KSD_V_MAX, partition_racks_s),
};
KSCHEMA(topic_metadata_s, "TopicMetadata", 0, 0, 0, topic_metadata_f);

static const ksd_kfield group_partition_metadata_f[] = {
	KFS("topics", 0, KSD_V_MAX, topic_metadata_s),
};
KSCHEMA(cg_partition_metadata_s, "ConsumerGroupPartitionMetadataValue", 0, 0, 0,
	group_partition_metadata_f);
KSCHEMA(sg_partition_metadata_s, "ShareGroupPartitionMetadataValue", 0, 0, 0,
	group_partition_metadata_f);

static const ksd_kfield classic_protocol_f[] = {
	KF("name", KSD_KT_STR, 0, KSD_V_MAX),
	KF("metadata", KSD_KT_BYTES, 0, KSD_V_MAX),
};
KSCHEMA(classic_protocol_s, "ClassicProtocol", 0, 0, 0, classic_protocol_f);

static const ksd_kfield classic_member_f[] = {
	KF("session_timeout_ms", KSD_KT_I32, 0, KSD_V_MAX),
	KFS("supported_protocols", 0, KSD_V_MAX, classic_protocol_s),
};
KSCHEMA(classic_member_s, "ClassicMemberMetadata", 0, 0, 0, classic_member_f);

static const ksd_kfield cg_member_f[] = {
	KFN("instance_id", KSD_KT_STR, 0, KSD_V_MAX, 0),
	KFN("rack_id", KSD_KT_STR, 0, KSD_V_MAX, 0),
	KF("client_id", KSD_KT_STR, 0, KSD_V_MAX),
	KF("client_host", KSD_KT_STR, 0, KSD_V_MAX),
	KF("subscribed_topic_names", KSD_KT_STRS, 0, KSD_V_MAX),
	KFN("subscribed_topic_regex", KSD_KT_STR, 0, KSD_V_MAX, 0),
	KF("rebalance_timeout_ms", KSD_KT_I32, 0, KSD_V_MAX),
	KFN("server_assignor", KSD_KT_STR, 0, KSD_V_MAX, 0),
	{.name = "classic_member_metadata", .type = KSD_KT_STRUCT, .vmin = 0, .vmax = KSD_V_MAX,
	 .nullable_from = 0, .tag = 0, .sub = &classic_member_s},
};
KSCHEMA(cg_member_s, "ConsumerGroupMemberMetadataValue", 0, 0, 0, cg_member_f);

static const ksd_kfield assignment_epoch_f[] = {
	KF("assignment_epoch", KSD_KT_I32, 0, KSD_V_MAX),
};
KSCHEMA(cg_target_metadata_s, "ConsumerGroupTargetAssignmentMetadataValue", 0, 0, 0,
	assignment_epoch_f);
KSCHEMA(sg_target_metadata_s, "ShareGroupTargetAssignmentMetadataValue", 0, 0, 0,
	assignment_epoch_f);

static const ksd_kfield topic_id_partitions_f[] = {
	KF("topic_id", KSD_KT_UUID, 0, KSD_V_MAX),
	KF("partitions", KSD_KT_I32S, 0, KSD_V_MAX),
};
KSCHEMA(topic_id_partitions_s, "TopicPartition", 0, 0, 0, topic_id_partitions_f);

/* ConsumerGroupCurrentMemberAssignmentValue's own TopicPartitions struct. */
static const ksd_kfield current_partitions_f[] = {
	KF("topic_id", KSD_KT_UUID, 0, KSD_V_MAX),
	KF("partitions", KSD_KT_I32S, 0, KSD_V_MAX),
	KFTN("assignment_epochs", KSD_KT_I32S, 0, 0), /* KIP-1251 */
};
KSCHEMA(current_partitions_s, "TopicPartitions", 0, 0, 0, current_partitions_f);

static const ksd_kfield target_member_f[] = {
	KFS("topic_partitions", 0, KSD_V_MAX, topic_id_partitions_s),
};
KSCHEMA(cg_target_member_s, "ConsumerGroupTargetAssignmentMemberValue", 0, 0, 0,
	target_member_f);
KSCHEMA(sg_target_member_s, "ShareGroupTargetAssignmentMemberValue", 0, 0, 0, target_member_f);

static const ksd_kfield cg_current_f[] = {
	KF("member_epoch", KSD_KT_I32, 0, KSD_V_MAX),
	KF("previous_member_epoch", KSD_KT_I32, 0, KSD_V_MAX),
	KF("state", KSD_KT_I8, 0, KSD_V_MAX),
	KFS("assigned_partitions", 0, KSD_V_MAX, current_partitions_s),
	KFS("partitions_pending_revocation", 0, KSD_V_MAX, current_partitions_s),
};
KSCHEMA(cg_current_s, "ConsumerGroupCurrentMemberAssignmentValue", 0, 0, 0, cg_current_f);

/* KIP-932 share groups (early access 4.0). */
static const ksd_kfield sg_member_f[] = {
	KFN("rack_id", KSD_KT_STR, 0, KSD_V_MAX, 0),
	KF("client_id", KSD_KT_STR, 0, KSD_V_MAX),
	KF("client_host", KSD_KT_STR, 0, KSD_V_MAX),
	KF("subscribed_topic_names", KSD_KT_STRS, 0, KSD_V_MAX),
};
KSCHEMA(sg_member_s, "ShareGroupMemberMetadataValue", 0, 0, 0, sg_member_f);

static const ksd_kfield epoch_f[] = {
	KF("epoch", KSD_KT_I32, 0, KSD_V_MAX),
};
KSCHEMA(sg_metadata_s, "ShareGroupMetadataValue", 0, 0, 0, epoch_f);

static const ksd_kfield sg_current_f[] = {
	KF("member_epoch", KSD_KT_I32, 0, KSD_V_MAX),
	KF("previous_member_epoch", KSD_KT_I32, 0, KSD_V_MAX),
	KF("state", KSD_KT_I8, 0, KSD_V_MAX),
	KFS("assigned_partitions", 0, KSD_V_MAX, topic_id_partitions_s),
};
KSCHEMA(sg_current_s, "ShareGroupCurrentMemberAssignmentValue", 0, 0, 0, sg_current_f);

static const ksd_kfield cg_regex_f[] = {
	KF("topics", KSD_KT_STRS, 0, KSD_V_MAX),
	KF("version", KSD_KT_I64, 0, KSD_V_MAX),
	KF("timestamp", KSD_KT_I64, 0, KSD_V_MAX),
};
KSCHEMA(cg_regex_s, "ConsumerGroupRegularExpressionValue", 0, 0, 0, cg_regex_f);

/* --- keys (never flexible; the version in front is the record type) --- */

static const ksd_kfield offset_commit_key_f[] = {
	KF("group", KSD_KT_STR, 0, KSD_V_MAX),
	KF("topic", KSD_KT_STR, 0, KSD_V_MAX),
	KF("partition", KSD_KT_I32, 0, KSD_V_MAX),
};
KSCHEMA(offset_commit_key_s, "OffsetCommitKey", 0, 0, -1, offset_commit_key_f);

static const ksd_kfield group_key_f[] = {
	KF("group", KSD_KT_STR, 0, KSD_V_MAX),
};
KSCHEMA(group_key_s, "GroupMetadataKey", 0, 0, -1, group_key_f);

static const ksd_kfield group_id_key_f[] = {
	KF("group_id", KSD_KT_STR, 0, KSD_V_MAX),
};
KSCHEMA(group_id_key_s, "GroupIdKey", 0, 0, -1, group_id_key_f);

static const ksd_kfield member_key_f[] = {
	KF("group_id", KSD_KT_STR, 0, KSD_V_MAX),
	KF("member_id", KSD_KT_STR, 0, KSD_V_MAX),
};
KSCHEMA(member_key_s, "GroupIdMemberIdKey", 0, 0, -1, member_key_f);

static const ksd_kfield regex_key_f[] = {
	KF("group_id", KSD_KT_STR, 0, KSD_V_MAX),
	KF("regular_expression", KSD_KT_STR, 0, KSD_V_MAX),
};
KSCHEMA(regex_key_s, "ConsumerGroupRegularExpressionKey", 0, 0, -1, regex_key_f);

/* What the key's second field is, for the structured parser. */
enum key_shape { KEY_GROUP, KEY_OFFSET, KEY_MEMBER, KEY_REGEX };

typedef struct record_type {
	const char *name;
	enum key_shape shape;
	const ksd_kschema *key;
	const ksd_kschema *value; /* NULL: value not decoded */
} record_type;

/* Indexed by record type (GroupCoordinatorRecordSerde; CoordinatorRecordType in 4.x). */
static const record_type record_types[] = {
	{"offset_commit", KEY_OFFSET, &offset_commit_key_s, &offset_commit_s},
	{"offset_commit", KEY_OFFSET, &offset_commit_key_s, &offset_commit_s},
	{"group_metadata", KEY_GROUP, &group_key_s, &group_metadata_s},
	{"consumer_group_metadata", KEY_GROUP, &group_id_key_s, &cg_metadata_s},
	{"consumer_group_partition_metadata", KEY_GROUP, &group_id_key_s, &cg_partition_metadata_s},
	{"consumer_group_member_metadata", KEY_MEMBER, &member_key_s, &cg_member_s},
	{"consumer_group_target_assignment_metadata", KEY_GROUP, &group_id_key_s,
	 &cg_target_metadata_s},
	{"consumer_group_target_assignment_member", KEY_MEMBER, &member_key_s, &cg_target_member_s},
	{"consumer_group_current_member_assignment", KEY_MEMBER, &member_key_s, &cg_current_s},
	{"share_group_partition_metadata", KEY_GROUP, &group_id_key_s, &sg_partition_metadata_s},
	{"share_group_member_metadata", KEY_MEMBER, &member_key_s, &sg_member_s},
	{"share_group_metadata", KEY_GROUP, &group_id_key_s, &sg_metadata_s},
	{"share_group_target_assignment_metadata", KEY_GROUP, &group_id_key_s,
	 &sg_target_metadata_s},
	{"share_group_target_assignment_member", KEY_MEMBER, &member_key_s, &sg_target_member_s},
	{"share_group_current_member_assignment", KEY_MEMBER, &member_key_s, &sg_current_s},
	{"share_group_state_partition_metadata", KEY_GROUP, &group_id_key_s, NULL},
	{"consumer_group_regular_expression", KEY_REGEX, &regex_key_s, &cg_regex_s},
};

static const record_type *record_type_of(int16_t version)
{
	if (version < 0 || (size_t)version >= KSD_ARRAY_LEN(record_types))
		return NULL;
	return &record_types[version];
}

/* --- structured parsers -------------------------------------------------- */

static void offsets_key_defaults(ksd_offsets_key *k)
{
	memset(k, 0, sizeof *k);
	k->type = "unknown";
	k->group.len = k->topic.len = k->member_id.len = k->regex.len = -1;
	k->partition = -1;
}

bool ksd_offsets_key_parse(const uint8_t *key, size_t len, ksd_offsets_key *out,
			   ksd_decode_err *err)
{
	ksd_kr r;
	*err = (ksd_decode_err){0};
	offsets_key_defaults(out);
	ksd_kr_init(&r, key, len, false, err);
	out->version = ksd_kr_i16(&r);
	const record_type *t = record_type_of(out->version);
	if (!ksd_kr_ok(&r) || !t)
		return ksd_kr_ok(&r); /* an unknown type: Kafka skips the record */
	out->known = true;
	out->type = t->name;
	ksd_kr_str(&r, false, &out->group);
	if (t->shape == KEY_OFFSET) {
		ksd_kr_str(&r, false, &out->topic);
		out->partition = ksd_kr_i32(&r);
	} else if (t->shape == KEY_MEMBER) {
		ksd_kr_str(&r, false, &out->member_id);
	} else if (t->shape == KEY_REGEX) {
		ksd_kr_str(&r, false, &out->regex);
	}
	return ksd_kr_ok(&r);
}

bool ksd_offset_commit_value_parse(const uint8_t *value, size_t len,
				   ksd_offset_commit_value *out, ksd_decode_err *err)
{
	ksd_kr r;
	*err = (ksd_decode_err){0};
	memset(out, 0, sizeof *out);
	out->leader_epoch = -1;
	out->expire_timestamp = -1;
	out->metadata.len = -1;
	ksd_kr_init(&r, value, len, false, err);
	out->version = ksd_kr_i16(&r);
	if (!ksd_kr_ok(&r))
		return false;
	if (out->version < 0 || out->version > 4)
		return ksd_kr_fail(&r, "unsupported version");
	r.flex = out->version >= 4;
	out->offset = ksd_kr_i64(&r);
	if (out->version >= 3)
		out->leader_epoch = ksd_kr_i32(&r);
	ksd_kr_str(&r, false, &out->metadata);
	out->commit_timestamp = ksd_kr_i64(&r);
	if (out->version == 1)
		out->expire_timestamp = ksd_kr_i64(&r);
	if (r.flex && ksd_kr_ok(&r))
		ksd_kr_skip_tags(&r);
	return ksd_kr_ok(&r);
}

static bool group_member_read(ksd_kr *r, int16_t version, ksd_group_member *m)
{
	memset(m, 0, sizeof *m);
	m->group_instance_id.len = -1;
	m->rebalance_timeout = -1;
	ksd_kr_str(r, false, &m->member_id);
	if (version >= 3)
		ksd_kr_str(r, true, &m->group_instance_id);
	ksd_kr_str(r, false, &m->client_id);
	ksd_kr_str(r, false, &m->client_host);
	if (version >= 1)
		m->rebalance_timeout = ksd_kr_i32(r);
	m->session_timeout = ksd_kr_i32(r);
	ksd_kr_bytes(r, false, &m->subscription);
	ksd_kr_bytes(r, false, &m->assignment);
	if (r->flex && ksd_kr_ok(r))
		ksd_kr_skip_tags(r);
	return ksd_kr_ok(r);
}

bool ksd_group_metadata_parse(const uint8_t *value, size_t len, ksd_group_metadata *g,
			      ksd_decode_err *err)
{
	ksd_kr r;
	*err = (ksd_decode_err){0};
	memset(g, 0, sizeof *g);
	g->current_state_timestamp = -1;
	ksd_kr_init(&r, value, len, false, err);
	g->version = ksd_kr_i16(&r);
	if (!ksd_kr_ok(&r))
		return false;
	if (g->version < 0 || g->version > 4)
		return ksd_kr_fail(&r, "unsupported version");
	r.flex = g->version >= 4;
	ksd_kr_str(&r, false, &g->protocol_type);
	g->generation = ksd_kr_i32(&r);
	ksd_kr_str(&r, true, &g->protocol);
	ksd_kr_str(&r, true, &g->leader);
	if (g->version >= 2)
		g->current_state_timestamp = ksd_kr_i64(&r);
	if (!ksd_kr_array(&r, false, 1, &g->member_count))
		return false;
	g->members = r.c;
	g->members_left = g->member_count;
	ksd_group_member m;
	for (int32_t i = 0; i < g->member_count; i++)
		if (!group_member_read(&r, g->version, &m))
			return false;
	if (r.flex)
		ksd_kr_skip_tags(&r);
	return ksd_kr_ok(&r);
}

bool ksd_group_member_next(ksd_group_metadata *g, ksd_group_member *m)
{
	if (g->members_left <= 0)
		return false;
	ksd_decode_err err = {0};
	ksd_kr r = {.c = g->members, .flex = g->version >= 4, .err = &err};
	if (!group_member_read(&r, g->version, m))
		return false;
	g->members = r.c;
	g->members_left--;
	return true;
}

/* --- the group -> partition mapping ------------------------------------ */

/* Next code point of UTF-8; a byte that starts no valid sequence is U+FFFD. */
static uint32_t next_code_point(const uint8_t *p, size_t n, size_t *used)
{
	size_t len = ksd_utf8_seq_len(p, n);
	if (len == 0) {
		*used = 1;
		return 0xfffd;
	}
	*used = len;
	if (len == 1)
		return p[0];
	uint32_t cp = p[0] & (0x7f >> len);
	for (size_t i = 1; i < len; i++)
		cp = cp << 6 | (p[i] & 0x3f);
	return cp;
}

int32_t ksd_coordinator_partition(const char *utf8, size_t len, int32_t partitions)
{
	if (partitions <= 0)
		return -1;
	const uint8_t *p = (const uint8_t *)utf8;
	uint32_t h = 0; /* String.hashCode over UTF-16 code units, wrapping */
	for (size_t i = 0, used; i < len; i += used) {
		uint32_t cp = next_code_point(p + i, len - i, &used);
		if (cp >= 0x10000) {
			cp -= 0x10000;
			h = 31 * h + (0xd800 + (cp >> 10));
			h = 31 * h + (0xdc00 + (cp & 0x3ff));
		} else {
			h = 31 * h + cp;
		}
	}
	/* Utils.abs maps Integer.MIN_VALUE to 0 (Math.abs would keep it negative). */
	int32_t s = (int32_t)h;
	int32_t a = s == INT32_MIN ? 0 : (s < 0 ? -s : s);
	return a % partitions;
}

/* --- JSON ----------------------------------------------------------------- */

static bool decode_failed(ksd_jw *w, const ksd_decode_err *err)
{
	ksd_jw_decode_error(w, err);
	return false;
}

bool ksd_offsets_key_json(ksd_jw *w, const uint8_t *key, size_t klen)
{
	ksd_decode_err err = {0};
	ksd_kr r;
	ksd_kr_init(&r, key, klen, false, &err);
	int16_t version = ksd_kr_i16(&r);
	if (!ksd_kr_ok(&r))
		return decode_failed(w, &err);
	const record_type *t = record_type_of(version);
	bool ok = !t || ksd_kschema_check(t->key, 0, key + 2, klen - 2, 2, 0, false, &err);
	ksd_jw_obj_begin(w);
	ksd_jw_kv_str(w, "type", t ? t->name : "unknown");
	ksd_jw_kv_int(w, "version", version);
	if (!ok) {
		ksd_jw_kv_str(w, "error", err.what);
		ksd_jw_kv_uint(w, "at", err.at);
	} else if (t) {
		ksd_jw_key(w, "data");
		ksd_jw_obj_begin(w);
		ksd_kschema_json(t->key, 0, &r, w, false);
		ksd_jw_obj_end(w);
	}
	ksd_jw_obj_end(w);
	return ok;
}

/* The group's protocol type, to know whether members carry the consumer protocol. */
static bool uses_consumer_protocol(const uint8_t *value, size_t vlen)
{
	ksd_decode_err err = {0};
	ksd_kr r;
	ksd_kstr pt;
	ksd_kr_init(&r, value, vlen, false, &err);
	int16_t v = ksd_kr_i16(&r);
	r.flex = v >= 4;
	return ksd_kr_str(&r, false, &pt) && pt.len == 8 && memcmp(pt.p, "consumer", 8) == 0;
}

static bool skipped_value_json(ksd_jw *w, const uint8_t *value, size_t vlen, const char *why)
{
	ksd_decode_err err = {0};
	ksd_kr r;
	ksd_kr_init(&r, value, vlen, false, &err);
	int16_t version = ksd_kr_i16(&r);
	if (!ksd_kr_ok(&r))
		return decode_failed(w, &err);
	ksd_jw_obj_begin(w);
	ksd_jw_kv_int(w, "version", version);
	ksd_jw_kv_str(w, "skipped", why);
	ksd_jw_obj_end(w);
	return true;
}

bool ksd_offsets_value_json(ksd_jw *w, const uint8_t *key, int64_t klen, const uint8_t *value,
			    size_t vlen)
{
	ksd_offsets_key k;
	ksd_decode_err err;
	if (klen < 0 || !ksd_offsets_key_parse(key, (size_t)klen, &k, &err)) {
		err = (ksd_decode_err){"record type unknown: the key does not decode", 0};
		return decode_failed(w, &err);
	}
	const record_type *t = record_type_of(k.version);
	if (!t)
		return skipped_value_json(w, value, vlen, "unknown record type");
	if (!t->value)
		return skipped_value_json(w, value, vlen, "record type not decoded");
	unsigned flags = 0;
	if (t->value == &group_metadata_s && uses_consumer_protocol(value, vlen))
		flags |= KSD_KR_CONSUMER_PROTOCOL;
	return ksd_kschema_versioned_json(w, t->value, value, vlen, flags);
}
