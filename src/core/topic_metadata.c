/*
 * KRaft __cluster_metadata records (kafka-facts.md §6.4), in the metadata log
 * and in snapshots (<offset>-<epoch>.checkpoint, bootstrap.checkpoint).
 *
 * The value is framed by AbstractApiMessageSerde: uvarint frame version (1;
 * 0 was the 2.8 preview format, refused since), uvarint apiKey, uvarint
 * version, then the message, which is flexible in every version.  Kafka
 * fails a record with bytes left after the message ("byte(s) of garbage"),
 * and so does this.  The tables transcribe metadata/src/main/resources/
 * common/metadata/<Name>Record.json (trunk 2024-10, plus ClearElrRecord).
 */
#include <string.h>

#include "ksd/internal_topics.h"
#include "kproto.h"
#include "kschema.h"
#include "topics_internal.h"

/* Highest value AbstractApiMessageSerde accepts for the three varints. */
#define FRAME_FIELD_MAX 0x7fff

static const ksd_kfield endpoint_f[] = {
	KF("name", KSD_KT_STR, 0, KSD_V_MAX),
	KF("host", KSD_KT_STR, 0, KSD_V_MAX),
	KF("port", KSD_KT_U16, 0, KSD_V_MAX),
	KF("security_protocol", KSD_KT_I16, 0, KSD_V_MAX),
};
KSCHEMA(endpoint_s, "Endpoint", 0, 3, 0, endpoint_f);

static const ksd_kfield feature_f[] = {
	KF("name", KSD_KT_STR, 0, KSD_V_MAX),
	KF("min_supported_version", KSD_KT_I16, 0, KSD_V_MAX),
	KF("max_supported_version", KSD_KT_I16, 0, KSD_V_MAX),
};
KSCHEMA(feature_s, "Feature", 0, 3, 0, feature_f);

/* v1 InControlledShutdown, v2 IsMigratingZkBroker (KIP-866), v3 LogDirs (KIP-858). */
static const ksd_kfield register_broker_f[] = {
	KF("broker_id", KSD_KT_I32, 0, KSD_V_MAX),
	KF("is_migrating_zk_broker", KSD_KT_BOOL, 2, KSD_V_MAX),
	KF("incarnation_id", KSD_KT_UUID, 0, KSD_V_MAX),
	KF("broker_epoch", KSD_KT_I64, 0, KSD_V_MAX),
	KFS("end_points", 0, KSD_V_MAX, endpoint_s),
	KFS("features", 0, KSD_V_MAX, feature_s),
	KFN("rack", KSD_KT_STR, 0, KSD_V_MAX, 0),
	KF("fenced", KSD_KT_BOOL, 0, KSD_V_MAX),
	KF("in_controlled_shutdown", KSD_KT_BOOL, 1, KSD_V_MAX),
	KFT("log_dirs", KSD_KT_UUIDS, 3, 0),
};
KSCHEMA(register_broker_s, "RegisterBrokerRecord", 0, 3, 0, register_broker_f);

static const ksd_kfield broker_epoch_f[] = {
	KF("broker_id", KSD_KT_I32, 0, KSD_V_MAX),
	KF("broker_epoch", KSD_KT_I64, 0, KSD_V_MAX),
};
KSCHEMA(unregister_broker_s, "UnregisterBrokerRecord", 0, 0, 0, broker_epoch_f);

static const ksd_kfield topic_f[] = {
	KF("name", KSD_KT_STR, 0, KSD_V_MAX),
	KF("topic_id", KSD_KT_UUID, 0, KSD_V_MAX),
};
KSCHEMA(topic_s, "TopicRecord", 0, 0, 0, topic_f);

/* v1 Directories (KIP-858), v2 ELR (KIP-966). */
static const ksd_kfield partition_f[] = {
	KF("partition_id", KSD_KT_I32, 0, KSD_V_MAX),
	KF("topic_id", KSD_KT_UUID, 0, KSD_V_MAX),
	KF("replicas", KSD_KT_I32S, 0, KSD_V_MAX),
	KF("isr", KSD_KT_I32S, 0, KSD_V_MAX),
	KF("removing_replicas", KSD_KT_I32S, 0, KSD_V_MAX),
	KF("adding_replicas", KSD_KT_I32S, 0, KSD_V_MAX),
	KF("leader", KSD_KT_I32, 0, KSD_V_MAX),
	KFT("leader_recovery_state", KSD_KT_I8, 0, 0),
	KF("leader_epoch", KSD_KT_I32, 0, KSD_V_MAX),
	KF("partition_epoch", KSD_KT_I32, 0, KSD_V_MAX),
	KF("directories", KSD_KT_UUIDS, 1, KSD_V_MAX),
	KFTN("eligible_leader_replicas", KSD_KT_I32S, 2, 1),
	KFTN("last_known_elr", KSD_KT_I32S, 2, 2),
};
KSCHEMA(partition_s, "PartitionRecord", 0, 2, 0, partition_f);

static const ksd_kfield config_f[] = {
	KF("resource_type", KSD_KT_I8, 0, KSD_V_MAX),
	KF("resource_name", KSD_KT_STR, 0, KSD_V_MAX),
	KF("name", KSD_KT_STR, 0, KSD_V_MAX),
	KFN("value", KSD_KT_STR, 0, KSD_V_MAX, 0),
};
KSCHEMA(config_s, "ConfigRecord", 0, 0, 0, config_f);

/* Every change is a tagged field: absent means "did not change". */
static const ksd_kfield partition_change_f[] = {
	KF("partition_id", KSD_KT_I32, 0, KSD_V_MAX),
	KF("topic_id", KSD_KT_UUID, 0, KSD_V_MAX),
	KFTN("isr", KSD_KT_I32S, 0, 0),
	KFT("leader", KSD_KT_I32, 0, 1),
	KFTN("replicas", KSD_KT_I32S, 0, 2),
	KFTN("removing_replicas", KSD_KT_I32S, 0, 3),
	KFTN("adding_replicas", KSD_KT_I32S, 0, 4),
	KFT("leader_recovery_state", KSD_KT_I8, 0, 5),
	KFTN("directories", KSD_KT_UUIDS, 1, 8),
	KFTN("eligible_leader_replicas", KSD_KT_I32S, 2, 6),
	KFTN("last_known_elr", KSD_KT_I32S, 2, 7),
};
KSCHEMA(partition_change_s, "PartitionChangeRecord", 0, 2, 0, partition_change_f);

static const ksd_kfield id_epoch_f[] = {
	KF("id", KSD_KT_I32, 0, KSD_V_MAX),
	KF("epoch", KSD_KT_I64, 0, KSD_V_MAX),
};
KSCHEMA(fence_broker_s, "FenceBrokerRecord", 0, 0, 0, id_epoch_f);
KSCHEMA(unfence_broker_s, "UnfenceBrokerRecord", 0, 0, 0, id_epoch_f);

static const ksd_kfield topic_id_f[] = {
	KF("topic_id", KSD_KT_UUID, 0, KSD_V_MAX),
};
KSCHEMA(remove_topic_s, "RemoveTopicRecord", 0, 0, 0, topic_id_f);

static const ksd_kfield delegation_token_f[] = {
	KF("owner", KSD_KT_STR, 0, KSD_V_MAX),
	KF("requester", KSD_KT_STR, 0, KSD_V_MAX),
	KF("renewers", KSD_KT_STRS, 0, KSD_V_MAX),
	KF("issue_timestamp", KSD_KT_I64, 0, KSD_V_MAX),
	KF("max_timestamp", KSD_KT_I64, 0, KSD_V_MAX),
	KF("expiration_timestamp", KSD_KT_I64, 0, KSD_V_MAX),
	KF("token_id", KSD_KT_STR, 0, KSD_V_MAX),
};
KSCHEMA(delegation_token_s, "DelegationTokenRecord", 0, 0, 0, delegation_token_f);

static const ksd_kfield scram_f[] = {
	KF("name", KSD_KT_STR, 0, KSD_V_MAX),
	KF("mechanism", KSD_KT_I8, 0, KSD_V_MAX),
	KF("salt", KSD_KT_BYTES, 0, KSD_V_MAX),
	KF("stored_key", KSD_KT_BYTES, 0, KSD_V_MAX),
	KF("server_key", KSD_KT_BYTES, 0, KSD_V_MAX),
	KF("iterations", KSD_KT_I32, 0, KSD_V_MAX),
};
KSCHEMA(scram_s, "UserScramCredentialRecord", 0, 0, 0, scram_f);

static const ksd_kfield feature_level_f[] = {
	KF("name", KSD_KT_STR, 0, KSD_V_MAX),
	KF("feature_level", KSD_KT_I16, 0, KSD_V_MAX),
};
KSCHEMA(feature_level_s, "FeatureLevelRecord", 0, 0, 0, feature_level_f);

static const ksd_kfield entity_f[] = {
	KF("entity_type", KSD_KT_STR, 0, KSD_V_MAX),
	KFN("entity_name", KSD_KT_STR, 0, KSD_V_MAX, 0),
};
KSCHEMA(entity_s, "EntityData", 0, 0, 0, entity_f);

static const ksd_kfield client_quota_f[] = {
	KFS("entity", 0, KSD_V_MAX, entity_s),
	KF("key", KSD_KT_STR, 0, KSD_V_MAX),
	KF("value", KSD_KT_F64, 0, KSD_V_MAX),
	KF("remove", KSD_KT_BOOL, 0, KSD_V_MAX),
};
KSCHEMA(client_quota_s, "ClientQuotaRecord", 0, 0, 0, client_quota_f);

static const ksd_kfield producer_ids_f[] = {
	KF("broker_id", KSD_KT_I32, 0, KSD_V_MAX),
	KF("broker_epoch", KSD_KT_I64, 0, KSD_V_MAX),
	KF("next_producer_id", KSD_KT_I64, 0, KSD_V_MAX),
};
KSCHEMA(producer_ids_s, "ProducerIdsRecord", 0, 0, 0, producer_ids_f);

/* Fenced: -1 unfenced, 0 no change, 1 fenced; v1 InControlledShutdown; v2 LogDirs. */
static const ksd_kfield broker_change_f[] = {
	KF("broker_id", KSD_KT_I32, 0, KSD_V_MAX),
	KF("broker_epoch", KSD_KT_I64, 0, KSD_V_MAX),
	KFT("fenced", KSD_KT_I8, 0, 0),
	KFT("in_controlled_shutdown", KSD_KT_I8, 1, 1),
	KFT("log_dirs", KSD_KT_UUIDS, 2, 2),
};
KSCHEMA(broker_change_s, "BrokerRegistrationChangeRecord", 0, 2, 0, broker_change_f);

static const ksd_kfield acl_f[] = {
	KF("id", KSD_KT_UUID, 0, KSD_V_MAX),
	KF("resource_type", KSD_KT_I8, 0, KSD_V_MAX),
	KF("resource_name", KSD_KT_STR, 0, KSD_V_MAX),
	KF("pattern_type", KSD_KT_I8, 0, KSD_V_MAX),
	KF("principal", KSD_KT_STR, 0, KSD_V_MAX),
	KF("host", KSD_KT_STR, 0, KSD_V_MAX),
	KF("operation", KSD_KT_I8, 0, KSD_V_MAX),
	KF("permission_type", KSD_KT_I8, 0, KSD_V_MAX),
};
KSCHEMA(acl_s, "AccessControlEntryRecord", 0, 0, 0, acl_f);

static const ksd_kfield id_f[] = {
	KF("id", KSD_KT_UUID, 0, KSD_V_MAX),
};
KSCHEMA(remove_acl_s, "RemoveAccessControlEntryRecord", 0, 0, 0, id_f);

/* Schemas without fields: only the tagged-fields section. */
static const ksd_kschema noop_s = {"NoOpRecord", 0, 0, 0, 0, NULL};
static const ksd_kschema end_txn_s = {"EndTransactionRecord", 0, 0, 0, 0, NULL};

/* 3.4 numbered 0 None, 1 PreMigration, 2 Migration, 3 PostMigration; 3.5 swapped 1 and 2. */
static const ksd_kfield zk_migration_f[] = {
	KF("zk_migration_state", KSD_KT_I8, 0, KSD_V_MAX),
};
KSCHEMA(zk_migration_s, "ZkMigrationStateRecord", 0, 0, 0, zk_migration_f);

static const ksd_kfield remove_scram_f[] = {
	KF("name", KSD_KT_STR, 0, KSD_V_MAX),
	KF("mechanism", KSD_KT_I8, 0, KSD_V_MAX),
};
KSCHEMA(remove_scram_s, "RemoveUserScramCredentialRecord", 0, 0, 0, remove_scram_f);

/* KIP-868 metadata transactions. */
static const ksd_kfield begin_txn_f[] = {
	KFTN("name", KSD_KT_STR, 0, 0),
};
KSCHEMA(begin_txn_s, "BeginTransactionRecord", 0, 0, 0, begin_txn_f);

static const ksd_kfield abort_txn_f[] = {
	KFTN("reason", KSD_KT_STR, 0, 0),
};
KSCHEMA(abort_txn_s, "AbortTransactionRecord", 0, 0, 0, abort_txn_f);

static const ksd_kfield token_id_f[] = {
	KF("token_id", KSD_KT_STR, 0, KSD_V_MAX),
};
KSCHEMA(remove_token_s, "RemoveDelegationTokenRecord", 0, 0, 0, token_id_f);

static const ksd_kfield register_controller_f[] = {
	KF("controller_id", KSD_KT_I32, 0, KSD_V_MAX),
	KF("incarnation_id", KSD_KT_UUID, 0, KSD_V_MAX),
	KF("zk_migration_ready", KSD_KT_BOOL, 0, KSD_V_MAX),
	KFS("end_points", 0, KSD_V_MAX, endpoint_s),
	KFS("features", 0, KSD_V_MAX, feature_s),
};
KSCHEMA(register_controller_s, "RegisterControllerRecord", 0, 0, 0, register_controller_f);

static const ksd_kfield clear_elr_f[] = {
	KF("topic_name", KSD_KT_STR, 0, KSD_V_MAX),
};
KSCHEMA(clear_elr_s, "ClearElrRecord", 0, 0, 0, clear_elr_f);

typedef struct metadata_type {
	const char *name;          /* MetadataRecordType.toString() */
	const ksd_kschema *schema; /* NULL: an id that was retired before any release */
} metadata_type;

/* Indexed by apiKey; 6, 13 and 16 were removed (AccessControlRecord, RemoveFeatureLevelRecord, …). */
static const metadata_type metadata_types[] = {
	{"REGISTER_BROKER_RECORD", &register_broker_s},
	{"UNREGISTER_BROKER_RECORD", &unregister_broker_s},
	{"TOPIC_RECORD", &topic_s},
	{"PARTITION_RECORD", &partition_s},
	{"CONFIG_RECORD", &config_s},
	{"PARTITION_CHANGE_RECORD", &partition_change_s},
	{NULL, NULL},
	{"FENCE_BROKER_RECORD", &fence_broker_s},
	{"UNFENCE_BROKER_RECORD", &unfence_broker_s},
	{"REMOVE_TOPIC_RECORD", &remove_topic_s},
	{"DELEGATION_TOKEN_RECORD", &delegation_token_s},
	{"USER_SCRAM_CREDENTIAL_RECORD", &scram_s},
	{"FEATURE_LEVEL_RECORD", &feature_level_s},
	{NULL, NULL},
	{"CLIENT_QUOTA_RECORD", &client_quota_s},
	{"PRODUCER_IDS_RECORD", &producer_ids_s},
	{NULL, NULL},
	{"BROKER_REGISTRATION_CHANGE_RECORD", &broker_change_s},
	{"ACCESS_CONTROL_ENTRY_RECORD", &acl_s},
	{"REMOVE_ACCESS_CONTROL_ENTRY_RECORD", &remove_acl_s},
	{"NO_OP_RECORD", &noop_s},
	{"ZK_MIGRATION_STATE_RECORD", &zk_migration_s},
	{"REMOVE_USER_SCRAM_CREDENTIAL_RECORD", &remove_scram_s},
	{"BEGIN_TRANSACTION_RECORD", &begin_txn_s},
	{"END_TRANSACTION_RECORD", &end_txn_s},
	{"ABORT_TRANSACTION_RECORD", &abort_txn_s},
	{"REMOVE_DELEGATION_TOKEN_RECORD", &remove_token_s},
	{"REGISTER_CONTROLLER_RECORD", &register_controller_s},
	{"CLEAR_ELR_RECORD", &clear_elr_s},
};

static const metadata_type *metadata_type_of(int api_key)
{
	if (api_key < 0 || (size_t)api_key >= KSD_ARRAY_LEN(metadata_types) ||
	    !metadata_types[api_key].name)
		return NULL;
	return &metadata_types[api_key];
}

const char *ksd_metadata_type_name(int api_key)
{
	const metadata_type *t = metadata_type_of(api_key);
	return t ? t->name : "UNKNOWN";
}

/* One frame varint, refused above Short.MAX_VALUE (unsignedIntToShort). */
static uint16_t frame_field(ksd_kr *r)
{
	size_t start = r->c.pos;
	uint32_t v = ksd_kr_uvarint(r);
	if (ksd_kr_ok(r) && v > FRAME_FIELD_MAX) {
		r->c.pos = start; /* name the varint, not the byte after it */
		ksd_kr_fail(r, "frame field above 32767");
	}
	return (uint16_t)v;
}

bool ksd_metadata_frame_parse(const uint8_t *value, size_t len, ksd_metadata_frame *out,
			      ksd_decode_err *err)
{
	ksd_kr r;
	*err = (ksd_decode_err){0};
	memset(out, 0, sizeof *out);
	ksd_kr_init(&r, value, len, true, err);
	out->frame_version = frame_field(&r);
	if (ksd_kr_ok(&r) && out->frame_version != 1) {
		r.c.pos = 0;
		return ksd_kr_fail(&r, out->frame_version == 0
					       ? "frame version 0 (the KRaft preview format of 2.8)"
					       : "unknown frame version");
	}
	out->api_key = frame_field(&r);
	out->version = frame_field(&r);
	if (!ksd_kr_ok(&r))
		return false;
	out->body_at = r.c.pos;
	out->body = value + r.c.pos;
	out->body_len = len - r.c.pos;
	return true;
}

static void frame_header_json(ksd_jw *w, const ksd_metadata_frame *f)
{
	ksd_jw_kv_str(w, "type", ksd_metadata_type_name(f->api_key));
	ksd_jw_kv_uint(w, "api_key", f->api_key);
	ksd_jw_kv_uint(w, "frame_version", f->frame_version);
	ksd_jw_kv_uint(w, "version", f->version);
}

/* {"type":…,"api_key":…,"frame_version":1,"version":…,"error":…,"at":…} */
static bool frame_error_json(ksd_jw *w, const ksd_metadata_frame *f, const ksd_decode_err *err)
{
	ksd_jw_obj_begin(w);
	frame_header_json(w, f);
	ksd_jw_kv_str(w, "error", err->what);
	ksd_jw_kv_uint(w, "at", err->at);
	ksd_jw_obj_end(w);
	return false;
}

bool ksd_metadata_value_json(ksd_jw *w, const uint8_t *value, size_t vlen)
{
	ksd_metadata_frame f;
	ksd_decode_err err;
	if (!ksd_metadata_frame_parse(value, vlen, &f, &err)) {
		ksd_jw_decode_error(w, &err);
		return false;
	}
	const metadata_type *t = metadata_type_of(f.api_key);
	if (!t) {
		/* MetadataRecordSerde.apiMessageFor fails on ids it does not know. */
		err = (ksd_decode_err){"unknown metadata record type", 1};
		return frame_error_json(w, &f, &err);
	}
	if (!ksd_kschema_check(t->schema, f.version, f.body, f.body_len, f.body_at, 0, true, &err))
		return frame_error_json(w, &f, &err);
	ksd_kr r;
	ksd_kr_init(&r, f.body, f.body_len, true, &err);
	r.c.origin = f.body_at;
	ksd_jw_obj_begin(w);
	frame_header_json(w, &f);
	ksd_jw_key(w, "data");
	ksd_jw_obj_begin(w);
	ksd_kschema_json(t->schema, f.version, &r, w, true);
	ksd_jw_obj_end(w);
	ksd_jw_obj_end(w);
	return true;
}
