/*
 * gen/batch_v2.c - RecordBatch v2 encoder (KIP-98, kafka-facts.md §1.4-1.7).
 *
 * Layout follows DefaultRecordBatch.writeHeader / DefaultRecord.writeTo:
 * a 61-byte header, then recordsCount records (compressed as one stream when
 * the codec is not none), CRC-32C over [21, end).
 */
#include <string.h>

#include "gen/internal.h"
#include "ksd/crc.h"

#define V2_OVERHEAD 61
#define V2_CRC_OFFSET 17
#define V2_ATTR_OFFSET 21

/* attribute bits, §1.5 */
#define ATTR_LOG_APPEND_TIME 0x08
#define ATTR_TRANSACTIONAL 0x10
#define ATTR_CONTROL 0x20
#define ATTR_DELETE_HORIZON 0x40

void ksd_gen_batch_spec_init(ksd_gen_batch_spec *spec)
{
	memset(spec, 0, sizeof(*spec));
	spec->producer_id = -1;
	spec->producer_epoch = -1;
	spec->base_sequence = -1;
}

static size_t bytes_field_size(int32_t len)
{
	return ksd_gen_varint_size(len) + (len > 0 ? (size_t)len : 0);
}

/* Size of a record after its length varint (DefaultRecord.sizeOfBodyInBytes). */
static size_t record_body_size(const ksd_gen_record *r, int32_t offset_delta)
{
	size_t n = 1 + ksd_gen_varint_size(r->timestamp_delta) +
		   ksd_gen_varint_size(offset_delta) +
		   bytes_field_size(r->key_len) +
		   bytes_field_size(r->value_len) +
		   ksd_gen_varint_size(r->header_count);
	for (int32_t i = 0; i < r->header_count; i++) {
		const ksd_gen_header *h = &r->headers[i];
		n += bytes_field_size((int32_t)strlen(h->key));
		n += bytes_field_size(h->value_len);
	}
	return n;
}

static void put_bytes_field(ksd_gen_buf *b, const void *p, int32_t len)
{
	ksd_gen_buf_put_varint(b, len < 0 ? -1 : len);
	if (len > 0)
		ksd_gen_buf_put(b, p, (size_t)len);
}

static void put_record(ksd_gen_buf *b, const ksd_gen_record *r,
		       int32_t offset_delta)
{
	ksd_gen_buf_put_varint(b, (int64_t)record_body_size(r, offset_delta));
	ksd_gen_buf_put_u8(b, 0); /* record attributes: unused */
	ksd_gen_buf_put_varint(b, r->timestamp_delta);
	ksd_gen_buf_put_varint(b, offset_delta);
	put_bytes_field(b, r->key, r->key_len);
	put_bytes_field(b, r->value, r->value_len);
	ksd_gen_buf_put_varint(b, r->header_count);
	for (int32_t i = 0; i < r->header_count; i++) {
		const ksd_gen_header *h = &r->headers[i];
		put_bytes_field(b, h->key, (int32_t)strlen(h->key));
		put_bytes_field(b, h->value, h->value_len);
	}
}

static int32_t record_offset_delta(const ksd_gen_batch_spec *s, int32_t i)
{
	return s->explicit_offset_deltas ? s->records[i].offset_delta : i;
}

static ksd_err check_spec(const ksd_gen_batch_spec *s)
{
	if (s->record_count < 0 || (s->record_count > 0 && !s->records))
		return KSD_ERR_INVAL;
	if (s->record_count == 0 && !s->set_last_offset_delta)
		return KSD_ERR_INVAL; /* an empty batch keeps an explicit delta */
	if ((unsigned)s->codec > KSD_CODEC_ZSTD)
		return KSD_ERR_INVAL;
	for (int32_t i = 0; i < s->record_count; i++) {
		const ksd_gen_record *r = &s->records[i];
		if (r->key_len < KSD_GEN_NULL || r->value_len < KSD_GEN_NULL ||
		    r->header_count < 0)
			return KSD_ERR_INVAL;
	}
	return KSD_OK;
}

static void put_records(ksd_gen_buf *b, const ksd_gen_batch_spec *s)
{
	for (int32_t i = 0; i < s->record_count; i++)
		put_record(b, &s->records[i], record_offset_delta(s, i));
}

static uint16_t batch_attributes(const ksd_gen_batch_spec *s)
{
	uint16_t a = (uint16_t)s->codec | s->extra_attributes;
	if (s->log_append_time)
		a |= ATTR_LOG_APPEND_TIME;
	if (s->transactional)
		a |= ATTR_TRANSACTIONAL;
	if (s->control)
		a |= ATTR_CONTROL;
	if (s->delete_horizon)
		a |= ATTR_DELETE_HORIZON;
	return a;
}

static int32_t last_offset_delta(const ksd_gen_batch_spec *s)
{
	if (s->set_last_offset_delta)
		return s->last_offset_delta;
	int32_t max = 0;
	for (int32_t i = 0; i < s->record_count; i++) {
		int32_t d = record_offset_delta(s, i);
		if (d > max)
			max = d;
	}
	return max;
}

static int64_t max_timestamp(const ksd_gen_batch_spec *s)
{
	if (s->set_max_timestamp)
		return s->max_timestamp;
	int64_t max_delta = 0;
	for (int32_t i = 0; i < s->record_count; i++)
		if (s->records[i].timestamp_delta > max_delta)
			max_delta = s->records[i].timestamp_delta;
	return s->base_timestamp + max_delta;
}

/* Fills the 61-byte header at hdr for a batch of total length `size`. */
static void write_header(uint8_t *hdr, const ksd_gen_batch_spec *s,
			 size_t size, int32_t lod, int64_t max_ts)
{
	ksd_gen_store_be64(hdr + 0, (uint64_t)s->base_offset);
	ksd_gen_store_be32(hdr + 8, (uint32_t)(size - 12));
	ksd_gen_store_be32(hdr + 12, (uint32_t)s->partition_leader_epoch);
	hdr[16] = 2;
	ksd_gen_store_be16(hdr + 21, batch_attributes(s));
	ksd_gen_store_be32(hdr + 23, (uint32_t)lod);
	ksd_gen_store_be64(hdr + 27, (uint64_t)s->base_timestamp);
	ksd_gen_store_be64(hdr + 35, (uint64_t)max_ts);
	ksd_gen_store_be64(hdr + 43, (uint64_t)s->producer_id);
	ksd_gen_store_be16(hdr + 51, (uint16_t)s->producer_epoch);
	ksd_gen_store_be32(hdr + 53, (uint32_t)s->base_sequence);
	ksd_gen_store_be32(hdr + 57, (uint32_t)(s->set_records_count
							? s->records_count
							: s->record_count));
	/* partitionLeaderEpoch (12..15) is outside the CRC on purpose: the
	 * leader stamps it after the producer computed the CRC. */
	uint32_t crc = ksd_crc32c(0, hdr + V2_ATTR_OFFSET,
				  size - V2_ATTR_OFFSET);
	ksd_gen_store_be32(hdr + V2_CRC_OFFSET, crc);
}

static ksd_err encode_body(ksd_gen_ctx *ctx, ksd_gen_buf *out,
			   const ksd_gen_batch_spec *s)
{
	if (s->codec == KSD_CODEC_NONE) {
		put_records(out, s);
		return ksd_gen_buf_status(out);
	}
	ksd_gen_ctx *tmp, *use;
	ksd_err err = gen_ctx_use(ctx, &tmp, &use);
	if (err)
		return err;
	ksd_gen_buf *raw = gen_ctx_scratch(use, GEN_SCRATCH_RECORDS);
	put_records(raw, s);
	err = ksd_gen_buf_status(raw);
	if (!err) {
		ksd_gen_lz4_hc hc = s->lz4_hc == KSD_GEN_LZ4_HC_LEGACY
					    ? KSD_GEN_LZ4_HC_LEGACY
					    : KSD_GEN_LZ4_HC_STANDARD;
		err = ksd_gen_compress(use, s->codec, raw->data, raw->len, out,
				       hc);
	}
	ksd_gen_ctx_free(tmp);
	return err;
}

ksd_err ksd_gen_encode_v2(ksd_gen_ctx *ctx, ksd_gen_buf *out,
			  const ksd_gen_batch_spec *spec,
			  ksd_gen_batch_info *info)
{
	ksd_err err = check_spec(spec);
	if (err)
		return err;
	size_t start = out->len;
	if (!ksd_gen_buf_grow(out, V2_OVERHEAD))
		return KSD_ERR_NOMEM;
	err = encode_body(ctx, out, spec);
	size_t size = out->len - start;
	if (!err && size - 12 > INT32_MAX)
		err = KSD_ERR_OVERFLOW;
	if (err) {
		out->len = start;
		return err;
	}
	int32_t lod = last_offset_delta(spec);
	int64_t max_ts = max_timestamp(spec);
	memset(out->data + start, 0, V2_OVERHEAD);
	write_header(out->data + start, spec, size, lod, max_ts);
	if (info) {
		info->base_offset = spec->base_offset;
		info->last_offset = spec->base_offset + lod;
		info->max_timestamp = max_ts;
		info->offset_of_max_timestamp = info->last_offset;
		info->size = size;
		info->magic = 2;
		info->record_count = spec->record_count;
	}
	return KSD_OK;
}

ksd_err ksd_gen_encode_txn_marker(ksd_gen_buf *out, int64_t offset,
				  int64_t producer_id, int16_t producer_epoch,
				  int type, int32_t coordinator_epoch,
				  int64_t timestamp, int32_t leader_epoch,
				  ksd_gen_batch_info *info)
{
	/* EndTransactionMarker: key = version 0 + type, value = version 0 +
	 * coordinatorEpoch (ControlRecordType / EndTransactionMarker). */
	uint8_t key[4], value[6];
	ksd_gen_store_be16(key, 0);
	ksd_gen_store_be16(key + 2, (uint16_t)type);
	ksd_gen_store_be16(value, 0);
	ksd_gen_store_be32(value + 2, (uint32_t)coordinator_epoch);
	ksd_gen_record rec = { .key = key, .key_len = 4, .value = value,
			       .value_len = 6 };
	ksd_gen_batch_spec s;
	ksd_gen_batch_spec_init(&s);
	s.base_offset = offset;
	s.partition_leader_epoch = leader_epoch;
	s.transactional = true;
	s.control = true;
	s.base_timestamp = timestamp;
	s.producer_id = producer_id;
	s.producer_epoch = producer_epoch;
	s.records = &rec;
	s.record_count = 1;
	return ksd_gen_encode_v2(NULL, out, &s, info);
}
