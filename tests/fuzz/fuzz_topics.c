/*
 * Fuzz target: every internal-topic decoder, structured and JSON, on
 * arbitrary keys and values.
 *
 * Input: byte 0 = flags (bit 7: null value, bit 6: null key), bytes 1-2 =
 * key length (big-endian, capped by what is left), then the key, then the
 * value.  Each input goes through all three topic decoders and every
 * structured parser, so one corpus serves them all.  Checks: the JSON is one
 * balanced value whatever the bytes; a renderer that accepts a value implies
 * the structured parser accepts it too (the renderers are the stricter of
 * the two); iterators stop within their counts.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "fuzz_json_check.h"
#include "ksd/internal_topics.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(bool ok)
{
	if (!ok)
		abort();
}

static bool json_key(ksd_topic_decoder d, const uint8_t *k, int64_t kl)
{
	json_check c;
	ksd_jw w = json_check_begin(&c);
	bool ok = ksd_decode_key_json(d, &w, k, kl);
	json_check_end(&c, &w);
	return ok;
}

static bool json_value(ksd_topic_decoder d, const uint8_t *k, int64_t kl, const uint8_t *v,
		       int64_t vl)
{
	json_check c;
	ksd_jw w = json_check_begin(&c);
	bool ok = ksd_decode_value_json(d, &w, k, kl, v, vl);
	json_check_end(&c, &w);
	return ok;
}

static void offsets(const uint8_t *k, int64_t kl, const uint8_t *v, int64_t vl)
{
	ksd_decode_err e;
	ksd_offsets_key key;
	bool key_ok = json_key(KSD_DECODER_CONSUMER_OFFSETS, k, kl);
	bool value_ok = json_value(KSD_DECODER_CONSUMER_OFFSETS, k, kl, v, vl);
	if (kl < 0)
		return;
	check(ksd_offsets_key_parse(k, (size_t)kl, &key, &e) == key_ok);
	if (key_ok && key.known && key.group.len >= 0)
		check(ksd_coordinator_partition((const char *)key.group.p, (size_t)key.group.len, 50) <
		      50);
	if (vl < 0 || !value_ok || !key_ok || !key.known)
		return;
	if (key.version <= 1) {
		ksd_offset_commit_value oc;
		check(ksd_offset_commit_value_parse(v, (size_t)vl, &oc, &e));
	} else if (key.version == 2) {
		ksd_group_metadata g;
		ksd_group_member m;
		check(ksd_group_metadata_parse(v, (size_t)vl, &g, &e));
		int32_t n = 0;
		while (ksd_group_member_next(&g, &m))
			n++;
		check(n == g.member_count);
	}
}

static void transactions(const uint8_t *k, int64_t kl, const uint8_t *v, int64_t vl)
{
	ksd_decode_err e;
	bool key_ok = json_key(KSD_DECODER_TRANSACTION_STATE, k, kl);
	bool value_ok = json_value(KSD_DECODER_TRANSACTION_STATE, k, kl, v, vl);
	if (kl >= 0) {
		ksd_txn_key tk;
		check(ksd_txn_key_parse(k, (size_t)kl, &tk, &e) == key_ok);
	}
	if (vl >= 0) {
		ksd_txn_value tv;
		ksd_txn_topic t;
		bool parsed = ksd_txn_value_parse(v, (size_t)vl, &tv, &e);
		check(parsed || !value_ok);
		int32_t n = 0;
		while (parsed && ksd_txn_topic_next(&tv, &t))
			n++;
		check(!parsed || n == (tv.topic_count < 0 ? 0 : tv.topic_count));
		/* the structured parser can also name the status */
		(void)ksd_txn_status_name(tv.status);
	}
}

static void metadata(const uint8_t *k, int64_t kl, const uint8_t *v, int64_t vl)
{
	ksd_decode_err e;
	ksd_metadata_frame f;
	json_key(KSD_DECODER_CLUSTER_METADATA, k, kl);
	bool value_ok = json_value(KSD_DECODER_CLUSTER_METADATA, k, kl, v, vl);
	if (vl >= 0) {
		bool framed = ksd_metadata_frame_parse(v, (size_t)vl, &f, &e);
		check(framed || !value_ok);
		check(!framed || (f.body_at + f.body_len == (size_t)vl && f.frame_version == 1));
		check(ksd_metadata_type_name(framed ? f.api_key : -1) != NULL);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 3)
		return 0;
	uint8_t flags = data[0];
	size_t klen = (size_t)data[1] << 8 | data[2];
	const uint8_t *rest = data + 3;
	size_t left = size - 3;
	if (klen > left)
		klen = left;
	const uint8_t *k = rest, *v = rest + klen;
	int64_t kl = (flags & 0x40) ? -1 : (int64_t)klen;
	int64_t vl = (flags & 0x80) ? -1 : (int64_t)(left - klen);
	offsets(k, kl, v, vl);
	transactions(k, kl, v, vl);
	metadata(k, kl, v, vl);
	/* no decoder: always an error object or null */
	json_key(KSD_DECODER_NONE, k, kl);
	json_value(KSD_DECODER_NONE, k, kl, v, vl);
	return 0;
}
