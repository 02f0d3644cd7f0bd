/*
 * gen/legacy.c - message formats v0 and v1 (kafka-facts.md §1.2-1.3) and
 * their compressed wrapper messages, as LegacyRecord.write and the
 * pre-0.11 broker's message-set rewriting produced them.
 */
#include <string.h>

#include "gen/internal.h"
#include "ksd/crc.h"

#define LEGACY_CRC_OFFSET 12
#define LEGACY_MAGIC_OFFSET 16
#define ATTR_CODEC_MASK 0x07
#define ATTR_LOG_APPEND_TIME 0x08

static void put_bytes32(ksd_gen_buf *b, const void *p, int32_t len)
{
	ksd_gen_buf_put_be32(b, (uint32_t)(len < 0 ? -1 : len));
	if (len > 0)
		ksd_gen_buf_put(b, p, (size_t)len);
}

/* Writes offset|size|crc|magic|attr|[timestamp] and returns the entry start;
 * the caller appends key and value and then calls finish_message(). */
static size_t begin_message(ksd_gen_buf *b, int magic, int64_t offset,
			    uint8_t attributes, int64_t timestamp)
{
	size_t start = b->len;
	ksd_gen_buf_put_be64(b, (uint64_t)offset);
	ksd_gen_buf_put_be32(b, 0); /* size, patched */
	ksd_gen_buf_put_be32(b, 0); /* crc, patched */
	ksd_gen_buf_put_u8(b, (uint8_t)magic);
	ksd_gen_buf_put_u8(b, attributes);
	if (magic == 1)
		ksd_gen_buf_put_be64(b, (uint64_t)timestamp);
	return start;
}

/* Patches size and CRC-32 (over magic..end, §1.8). */
static ksd_err finish_message(ksd_gen_buf *b, size_t start)
{
	ksd_err err = ksd_gen_buf_status(b);
	if (err)
		return err;
	size_t size = b->len - start - 12;
	if (size > INT32_MAX)
		return KSD_ERR_OVERFLOW;
	uint8_t *e = b->data + start;
	ksd_gen_store_be32(e + 8, (uint32_t)size);
	uint32_t crc = ksd_crc32(0, e + LEGACY_MAGIC_OFFSET,
				 b->len - start - LEGACY_MAGIC_OFFSET);
	ksd_gen_store_be32(e + LEGACY_CRC_OFFSET, crc);
	return KSD_OK;
}

static ksd_err put_message(ksd_gen_buf *b, int magic, int64_t offset,
			   const ksd_gen_message *m, uint8_t attributes)
{
	size_t start = begin_message(b, magic, offset, attributes,
				     m->timestamp);
	put_bytes32(b, m->key, m->key_len);
	put_bytes32(b, m->value, m->value_len);
	return finish_message(b, start);
}

ksd_err ksd_gen_encode_legacy(ksd_gen_buf *out, int magic,
			      const ksd_gen_message *m, uint8_t attributes,
			      ksd_gen_batch_info *info)
{
	if ((magic != 0 && magic != 1) || m->key_len < KSD_GEN_NULL ||
	    m->value_len < KSD_GEN_NULL)
		return KSD_ERR_INVAL;
	size_t start = out->len;
	ksd_err err = put_message(out, magic, m->offset, m, attributes);
	if (err) {
		out->len = start;
		return err;
	}
	if (info) {
		info->base_offset = info->last_offset = m->offset;
		info->offset_of_max_timestamp = m->offset;
		info->max_timestamp = magic == 1 ? m->timestamp : -1;
		info->size = out->len - start;
		info->magic = magic;
		info->record_count = 1;
	}
	return KSD_OK;
}

static ksd_err check_wrapper(const ksd_gen_wrapper_spec *s)
{
	if ((s->magic != 0 && s->magic != 1) || s->count == 0 ||
	    !s->messages)
		return KSD_ERR_INVAL;
	/* zstd is v2-only (KIP-110); codecs 5-7 do not exist. */
	if (s->codec != KSD_CODEC_GZIP && s->codec != KSD_CODEC_SNAPPY &&
	    s->codec != KSD_CODEC_LZ4)
		return KSD_ERR_INVAL;
	for (size_t i = 0; i < s->count; i++) {
		const ksd_gen_message *m = &s->messages[i];
		if (m->key_len < KSD_GEN_NULL || m->value_len < KSD_GEN_NULL)
			return KSD_ERR_INVAL;
		if (i && m->offset <= s->messages[i - 1].offset)
			return KSD_ERR_INVAL;
	}
	return KSD_OK;
}

/* Inner message set: v0 keeps absolute offsets, v1 (KIP-31) stores them
 * relative to the first one, so the wrapper offset (the last absolute
 * offset) minus the last relative offset gives the first (§1.3). */
static ksd_err put_inner_set(ksd_gen_buf *b, const ksd_gen_wrapper_spec *s)
{
	int64_t first = s->messages[0].offset;
	for (size_t i = 0; i < s->count; i++) {
		const ksd_gen_message *m = &s->messages[i];
		int64_t off = s->magic == 0 ? m->offset : m->offset - first;
		ksd_err err = put_message(b, s->magic, off, m, 0);
		if (err)
			return err;
	}
	return KSD_OK;
}

static int64_t wrapper_timestamp(const ksd_gen_wrapper_spec *s)
{
	if (s->magic == 0)
		return -1;
	if (s->log_append_time)
		return s->log_append_timestamp;
	int64_t max = -1;
	for (size_t i = 0; i < s->count; i++)
		if (s->messages[i].timestamp > max)
			max = s->messages[i].timestamp;
	return max;
}

static ksd_gen_lz4_hc wrapper_lz4_hc(const ksd_gen_wrapper_spec *s)
{
	/* Since 0.10.0 Kafka still writes the broken KAFKA-3160 checksum for
	 * magic 0 so that 0.8/0.9 consumers can read it. */
	if (s->lz4_hc == KSD_GEN_LZ4_HC_AUTO)
		return s->magic == 0 ? KSD_GEN_LZ4_HC_LEGACY
				     : KSD_GEN_LZ4_HC_STANDARD;
	return s->lz4_hc;
}

static ksd_err put_wrapper(ksd_gen_ctx *ctx, ksd_gen_buf *out,
			   const ksd_gen_wrapper_spec *s, int64_t ts)
{
	ksd_gen_buf *inner = gen_ctx_scratch(ctx, GEN_SCRATCH_RECORDS);
	ksd_err err = put_inner_set(inner, s);
	if (err)
		return err;
	uint8_t attr = (uint8_t)s->codec;
	if (s->magic == 1 && s->log_append_time)
		attr |= ATTR_LOG_APPEND_TIME;
	int64_t last = s->messages[s->count - 1].offset;
	size_t start = begin_message(out, s->magic, last, attr, ts);
	ksd_gen_buf_put_be32(out, UINT32_MAX); /* null key */
	size_t value_len_at = out->len;
	ksd_gen_buf_put_be32(out, 0);
	err = ksd_gen_buf_status(out);
	if (!err)
		err = ksd_gen_compress(ctx, s->codec, inner->data, inner->len,
				       out, wrapper_lz4_hc(s));
	if (err)
		return err;
	ksd_gen_buf_set_be32(out, value_len_at,
			     (uint32_t)(out->len - value_len_at - 4));
	return finish_message(out, start);
}

ksd_err ksd_gen_encode_wrapper(ksd_gen_ctx *ctx, ksd_gen_buf *out,
			       const ksd_gen_wrapper_spec *spec,
			       ksd_gen_batch_info *info)
{
	ksd_err err = check_wrapper(spec);
	if (err)
		return err;
	ksd_gen_ctx *tmp, *use;
	err = gen_ctx_use(ctx, &tmp, &use);
	if (err)
		return err;
	size_t start = out->len;
	int64_t ts = wrapper_timestamp(spec);
	err = put_wrapper(use, out, spec, ts);
	ksd_gen_ctx_free(tmp);
	if (err) {
		out->len = start;
		return err;
	}
	if (info) {
		info->base_offset = spec->messages[0].offset;
		info->last_offset = spec->messages[spec->count - 1].offset;
		info->max_timestamp = ts;
		info->offset_of_max_timestamp = info->last_offset;
		info->size = out->len - start;
		info->magic = spec->magic;
		info->record_count = (int32_t)spec->count;
	}
	return KSD_OK;
}
