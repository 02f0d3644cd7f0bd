/*
 * Which decoder a topic gets, and the JSON entry points for record keys and
 * values (see ksd/internal_topics.h).  DumpLogSegments has the same three
 * decoders (--offsets-decoder, --transaction-log-decoder,
 * --cluster-metadata-decoder); here they are also chosen from the topic.
 */
#include <string.h>

#include "ksd/internal_topics.h"
#include "kproto.h"
#include "topics_internal.h"

ksd_topic_decoder ksd_topic_decoder_for_topic(const char *topic)
{
	if (!topic)
		return KSD_DECODER_NONE;
	if (strcmp(topic, "__consumer_offsets") == 0)
		return KSD_DECODER_CONSUMER_OFFSETS;
	if (strcmp(topic, "__transaction_state") == 0)
		return KSD_DECODER_TRANSACTION_STATE;
	if (strcmp(topic, "__cluster_metadata") == 0)
		return KSD_DECODER_CLUSTER_METADATA;
	return KSD_DECODER_NONE;
}

const char *ksd_topic_decoder_name(ksd_topic_decoder d)
{
	switch (d) {
	case KSD_DECODER_CONSUMER_OFFSETS:
		return "offsets";
	case KSD_DECODER_TRANSACTION_STATE:
		return "transaction-log";
	case KSD_DECODER_CLUSTER_METADATA:
		return "cluster-metadata";
	default:
		return "none";
	}
}

static bool error_json(ksd_jw *w, const char *what)
{
	ksd_decode_err err = {what, 0};
	ksd_jw_decode_error(w, &err);
	return false;
}

bool ksd_decode_key_json(ksd_topic_decoder d, ksd_jw *w, const uint8_t *key, int64_t klen)
{
	if (klen < 0) {
		/* Both coordinators refuse records without a key. */
		if (d == KSD_DECODER_CONSUMER_OFFSETS || d == KSD_DECODER_TRANSACTION_STATE)
			return error_json(w, "record without a key");
		ksd_jw_null(w);
		return true;
	}
	switch (d) {
	case KSD_DECODER_CONSUMER_OFFSETS:
		return ksd_offsets_key_json(w, key, (size_t)klen);
	case KSD_DECODER_TRANSACTION_STATE:
		return ksd_txn_key_json(w, key, (size_t)klen);
	case KSD_DECODER_CLUSTER_METADATA:
		return error_json(w, "metadata records have no key");
	default:
		return error_json(w, "no decoder");
	}
}

bool ksd_decode_value_json(ksd_topic_decoder d, ksd_jw *w, const uint8_t *key, int64_t klen,
			   const uint8_t *value, int64_t vlen)
{
	if (vlen < 0) {
		ksd_jw_null(w);
		/* A metadata record always has a value; elsewhere null is a tombstone. */
		return d != KSD_DECODER_CLUSTER_METADATA;
	}
	switch (d) {
	case KSD_DECODER_CONSUMER_OFFSETS:
		return ksd_offsets_value_json(w, key, klen, value, (size_t)vlen);
	case KSD_DECODER_TRANSACTION_STATE:
		return ksd_txn_value_json(w, value, (size_t)vlen);
	case KSD_DECODER_CLUSTER_METADATA:
		return ksd_metadata_value_json(w, value, (size_t)vlen);
	default:
		return error_json(w, "no decoder");
	}
}
