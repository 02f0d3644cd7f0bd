/*
 * __transaction_state records (kafka-facts.md §6.3): TransactionLogKey v0
 * (int16 version + TransactionalId) and TransactionLogValue v0, or v1 (3.5+,
 * KIP-915) which is flexible and carries PreviousProducerId (tag 0),
 * NextProducerId (tag 1) and ClientTransactionVersion (tag 2, KIP-890).
 * transaction-coordinator/src/main/resources/common/message/TransactionLog*.json.
 */
#include <string.h>

#include "ksd/internal_topics.h"
#include "kproto.h"
#include "kschema.h"
#include "topics_internal.h"

/* TransactionState ids (TransactionState.java / TransactionMetadata.scala). */
static const char *const status_names[] = {
	"Empty", "Ongoing", "PrepareCommit", "PrepareAbort",
	"CompleteCommit", "CompleteAbort", "Dead", "PrepareEpochFence",
};

const char *ksd_txn_status_name(int status)
{
	if (status < 0 || (size_t)status >= KSD_ARRAY_LEN(status_names))
		return NULL;
	return status_names[status];
}

static const ksd_kfield txn_key_f[] = {
	KF("transactional_id", KSD_KT_STR, 0, KSD_V_MAX),
};
KSCHEMA(txn_key_s, "TransactionLogKey", 0, 0, -1, txn_key_f);

static const ksd_kfield txn_partitions_f[] = {
	KF("topic", KSD_KT_STR, 0, KSD_V_MAX),
	KF("partition_ids", KSD_KT_I32S, 0, KSD_V_MAX),
};
KSCHEMA(txn_partitions_s, "PartitionsSchema", 0, 1, 1, txn_partitions_f);

static const ksd_kfield txn_value_f[] = {
	KF("producer_id", KSD_KT_I64, 0, KSD_V_MAX),
	KFT("previous_producer_id", KSD_KT_I64, 1, 0),
	KFT("next_producer_id", KSD_KT_I64, 1, 1),
	KF("producer_epoch", KSD_KT_I16, 0, KSD_V_MAX),
	KF("transaction_timeout_ms", KSD_KT_I32, 0, KSD_V_MAX),
	{.name = "transaction_status", .type = KSD_KT_I8, .vmin = 0, .vmax = KSD_V_MAX,
	 .nullable_from = -1, .tag = -1, .names_key = "transaction_status_name",
	 .name_of = ksd_txn_status_name},
	{.name = "transaction_partitions", .type = KSD_KT_STRUCTS, .vmin = 0, .vmax = KSD_V_MAX,
	 .nullable_from = 0, .tag = -1, .sub = &txn_partitions_s},
	KF("transaction_last_update_timestamp_ms", KSD_KT_I64, 0, KSD_V_MAX),
	KF("transaction_start_timestamp_ms", KSD_KT_I64, 0, KSD_V_MAX),
	KFT("client_transaction_version", KSD_KT_I16, 1, 2),
};
KSCHEMA(txn_value_s, "TransactionLogValue", 0, 1, 1, txn_value_f);

bool ksd_txn_key_parse(const uint8_t *key, size_t len, ksd_txn_key *out, ksd_decode_err *err)
{
	ksd_kr r;
	*err = (ksd_decode_err){0};
	memset(out, 0, sizeof *out);
	out->transactional_id.len = -1;
	ksd_kr_init(&r, key, len, false, err);
	out->version = ksd_kr_i16(&r);
	if (!ksd_kr_ok(&r))
		return false;
	if (out->version != 0)
		return ksd_kr_fail(&r, "unsupported version");
	return ksd_kr_str(&r, false, &out->transactional_id);
}

/* One element of TransactionPartitions. */
static bool txn_topic_read(ksd_kr *r, ksd_txn_topic *t)
{
	ksd_kr_str(r, false, &t->topic);
	if (!ksd_kr_array(r, false, 4, &t->partition_count))
		return false;
	t->partitions_be32 = ksd_kr_take(r, (size_t)t->partition_count * 4);
	if (r->flex && ksd_kr_ok(r))
		ksd_kr_skip_tags(r);
	return ksd_kr_ok(r);
}

/* The v1 tagged fields; unknown ones are skipped. */
static bool txn_tags_read(ksd_kr *r, ksd_txn_value *v)
{
	uint32_t n, tag;
	if (!ksd_kr_tags_begin(r, &n))
		return false;
	for (uint32_t i = 0; i < n; i++) {
		ksd_kr f;
		if (!ksd_kr_tag_next(r, &tag, &f))
			return false;
		if (tag == 0)
			v->previous_producer_id = ksd_kr_i64(&f);
		else if (tag == 1)
			v->next_producer_id = ksd_kr_i64(&f);
		else if (tag == 2)
			v->client_transaction_version = ksd_kr_i16(&f);
		if (!ksd_kr_ok(&f))
			return ksd_cur_fail(&r->c);
	}
	return true;
}

static void txn_value_defaults(ksd_txn_value *v)
{
	memset(v, 0, sizeof *v);
	v->previous_producer_id = -1;
	v->next_producer_id = -1;
	v->topic_count = -1;
}

bool ksd_txn_value_parse(const uint8_t *value, size_t len, ksd_txn_value *v,
			 ksd_decode_err *err)
{
	ksd_kr r;
	*err = (ksd_decode_err){0};
	txn_value_defaults(v);
	ksd_kr_init(&r, value, len, false, err);
	v->version = ksd_kr_i16(&r);
	if (!ksd_kr_ok(&r))
		return false;
	if (v->version < 0 || v->version > 1)
		return ksd_kr_fail(&r, "unsupported version");
	r.flex = v->version >= 1;
	v->producer_id = ksd_kr_i64(&r);
	v->producer_epoch = ksd_kr_i16(&r);
	v->timeout_ms = ksd_kr_i32(&r);
	v->status = ksd_kr_i8(&r);
	if (!ksd_kr_array(&r, true, 1, &v->topic_count))
		return false;
	v->topics = r.c;
	v->topics_left = v->topic_count;
	ksd_txn_topic t;
	for (int32_t i = 0; i < v->topic_count; i++)
		if (!txn_topic_read(&r, &t))
			return false;
	v->last_update_timestamp = ksd_kr_i64(&r);
	v->start_timestamp = ksd_kr_i64(&r);
	if (r.flex && ksd_kr_ok(&r))
		txn_tags_read(&r, v);
	return ksd_kr_ok(&r);
}

bool ksd_txn_topic_next(ksd_txn_value *v, ksd_txn_topic *t)
{
	if (v->topics_left <= 0)
		return false;
	ksd_decode_err err = {0};
	ksd_kr r = {.c = v->topics, .flex = v->version >= 1, .err = &err};
	if (!txn_topic_read(&r, t))
		return false;
	v->topics = r.c;
	v->topics_left--;
	return true;
}

/* {"type":"transaction_log","version":0,"data":{"transactional_id":…}} */
bool ksd_txn_key_json(ksd_jw *w, const uint8_t *key, size_t klen)
{
	ksd_txn_key k;
	ksd_decode_err err;
	if (!ksd_txn_key_parse(key, klen, &k, &err)) {
		ksd_jw_decode_error(w, &err);
		return false;
	}
	ksd_jw_obj_begin(w);
	ksd_jw_kv_str(w, "type", "transaction_log");
	ksd_jw_kv_int(w, "version", k.version);
	ksd_jw_key(w, "data");
	ksd_jw_obj_begin(w);
	ksd_jw_kv_kstr(w, txn_key_s.fields[0].name, k.transactional_id);
	ksd_jw_obj_end(w);
	ksd_jw_obj_end(w);
	return true;
}

bool ksd_txn_value_json(ksd_jw *w, const uint8_t *value, size_t vlen)
{
	return ksd_kschema_versioned_json(w, &txn_value_s, value, vlen, 0);
}
