/*
 * dump's output: DumpLogSegments-style text, or JSON Lines
 * (docs/dump-format.md), one line per object, streamed.
 */
#include <inttypes.h>
#include <string.h>

#include "dump.h"
#include "ksd/codec.h"

static void end_line(dump_ctx *d)
{
	fputc('\n', d->out);
}

static void jw_begin(dump_ctx *d, const char *type)
{
	ksd_jw_obj_begin(&d->jw);
	ksd_jw_kv_str(&d->jw, "type", type);
}

static void jw_end(dump_ctx *d)
{
	ksd_jw_obj_end(&d->jw);
	end_line(d);
	ksd_jw_init(&d->jw, d->jw.sink);
}

void dump_file_header(dump_ctx *d, const char *kind, uint64_t bytes, int64_t base_offset)
{
	if (!d->o.json) {
		fprintf(d->out, "Dumping %s\n", d->path);
		if (base_offset >= 0)
			fprintf(d->out, "Log starting offset: %" PRId64 "\n", base_offset);
		return;
	}
	jw_begin(d, "file");
	ksd_jw_kv_str(&d->jw, "path", d->path);
	ksd_jw_kv_str(&d->jw, "kind", kind);
	ksd_jw_kv_uint(&d->jw, "bytes", bytes);
	if (base_offset >= 0)
		ksd_jw_kv_int(&d->jw, "base_offset", base_offset);
	jw_end(d);
}

static const char *codec_name(int c)
{
	const char *n = ksd_codec_name(c);
	return n ? n : "unknown";
}

static int32_t last_sequence(const ksd_batch *b)
{
	if (b->base_sequence < 0)
		return -1;
	/* DefaultRecordBatch.incrementSequence: wraps at Integer.MAX_VALUE. */
	int64_t delta = b->last_offset - b->base_offset;
	int64_t s = (int64_t)b->base_sequence + delta;
	return (int32_t)(s > INT32_MAX ? s - INT32_MAX - 1 : s);
}

static void batch_json(dump_ctx *d, const ksd_lr_event *ev, int32_t inner_count)
{
	const ksd_batch *b = &ev->batch;
	ksd_jw *w = &d->jw;
	char crc[16];
	snprintf(crc, sizeof crc, "0x%08" PRIx32, b->stored_crc);
	jw_begin(d, "batch");
	ksd_jw_kv_uint(w, "position", b->position);
	ksd_jw_kv_int(w, "base_offset", b->base_offset);
	ksd_jw_kv_int(w, "last_offset", b->last_offset);
	if (b->magic >= 2)
		ksd_jw_kv_int(w, "count", b->records_count);
	else if (inner_count >= 0)
		ksd_jw_kv_int(w, "count", inner_count);
	else if (b->codec == KSD_CODEC_NONE)
		ksd_jw_kv_int(w, "count", 1); /* a plain v0/v1 message (dump-format.md) */
	ksd_jw_kv_int(w, "magic", b->magic);
	ksd_jw_kv_uint(w, "size", b->entry_len);
	ksd_jw_kv_str(w, "crc", crc);
	if (ev->crc_checked)
		ksd_jw_kv_bool(w, "crc_valid", ev->crc_valid);
	ksd_jw_kv_str(w, "codec", codec_name(b->codec));
	ksd_jw_kv_int(w, "attributes", b->attributes);
	ksd_jw_kv_str(w, "timestamp_type", ksd_timestamp_type_name(b));
	if (b->magic >= 2) {
		bool horizon = b->attributes & KSD_ATTR_DELETE_HORIZON;
		ksd_jw_kv_int(w, "base_timestamp", b->base_timestamp);
		ksd_jw_kv_int(w, "max_timestamp", b->max_timestamp);
		ksd_jw_key(w, "delete_horizon_ms");
		if (horizon)
			ksd_jw_int(w, b->base_timestamp);
		else
			ksd_jw_null(w);
		ksd_jw_kv_int(w, "partition_leader_epoch", b->leader_epoch);
		ksd_jw_kv_int(w, "producer_id", b->producer_id);
		ksd_jw_kv_int(w, "producer_epoch", b->producer_epoch);
		ksd_jw_kv_int(w, "base_sequence", b->base_sequence);
		ksd_jw_kv_int(w, "last_sequence", last_sequence(b));
		ksd_jw_kv_bool(w, "is_transactional", ksd_batch_is_transactional(b));
		ksd_jw_kv_bool(w, "is_control", ksd_batch_is_control(b));
	} else if (b->magic == 1) {
		ksd_jw_kv_int(w, "max_timestamp", b->max_timestamp);
	}
	jw_end(d);
}

static void batch_text(dump_ctx *d, const ksd_lr_event *ev, int32_t inner_count)
{
	const ksd_batch *b = &ev->batch;
	FILE *o = d->out;
	const char *valid = ev->crc_checked ? (ev->crc_valid ? "true" : "false") : "unchecked";
	if (b->magic >= 2) {
		fprintf(o, "baseOffset: %" PRId64 " lastOffset: %" PRId64 " count: %" PRId32
			" baseSequence: %" PRId32 " lastSequence: %" PRId32 " producerId: %" PRId64
			" producerEpoch: %d partitionLeaderEpoch: %" PRId32
			" isTransactional: %s isControl: %s deleteHorizonMs: ",
			b->base_offset, b->last_offset, b->records_count, b->base_sequence,
			last_sequence(b), b->producer_id, b->producer_epoch, b->leader_epoch,
			ksd_batch_is_transactional(b) ? "true" : "false",
			ksd_batch_is_control(b) ? "true" : "false");
		if (b->attributes & KSD_ATTR_DELETE_HORIZON)
			fprintf(o, "%" PRId64, b->base_timestamp);
		else
			fputs("none", o);
		fprintf(o, " position: %" PRIu64 " %s: %" PRId64 " size: %" PRIu64
			" magic: 2 compresscodec: %s crc: %" PRIu32 " isvalid: %s\n",
			b->position, ksd_timestamp_type_name(b), b->max_timestamp, b->entry_len,
			codec_name(b->codec), b->stored_crc, valid);
		return;
	}
	fprintf(o, "offset: %" PRId64 " position: %" PRIu64 " %s: %" PRId64 " size: %" PRIu64
		" magic: %d compresscodec: %s crc: %" PRIu32 " isvalid: %s",
		b->last_offset, b->position, ksd_timestamp_type_name(b), b->max_timestamp,
		b->entry_len, b->magic, codec_name(b->codec), b->stored_crc, valid);
	if (inner_count >= 0 && b->codec != KSD_CODEC_NONE)
		fprintf(o, " innerCount: %" PRId32, inner_count);
	fputc('\n', o);
}

void dump_batch(dump_ctx *d, const ksd_lr_event *ev, int32_t inner_count)
{
	d->batches++;
	if (d->o.skip_meta)
		return;
	if (d->o.json)
		batch_json(d, ev, inner_count);
	else
		batch_text(d, ev, inner_count);
}

static void file_write(void *ud, const char *p, size_t n)
{
	fwrite(p, 1, n, (FILE *)ud);
}

/* Text mode bytes: printable UTF-8 as is, everything else \xNN, "\" as "\\". */
static void text_bytes(FILE *o, const uint8_t *p, int32_t len, ksd_bytes_encoding enc)
{
	if (len < 0) {
		fputs("null", o);
		return;
	}
	if (enc != KSD_ENC_TEXT) {
		ksd_write_encoded((ksd_sink){file_write, o}, p, (size_t)len, enc);
		return;
	}
	for (int32_t i = 0; i < len;) {
		size_t n = ksd_utf8_seq_len(p + i, (size_t)(len - i));
		if (n == 1 && (p[i] < 0x20 || p[i] == 0x7F || p[i] == '\\'))
			n = 0;
		if (n == 0) {
			if (p[i] == '\\')
				fputs("\\\\", o);
			else
				fprintf(o, "\\x%02x", p[i]);
			i++;
		} else {
			fwrite(p + i, 1, n, o);
			i += (int32_t)n;
		}
	}
}

static void header_keys_text(FILE *o, const ksd_record *r)
{
	ksd_cursor c;
	ksd_cur_init(&c, r->headers, r->headers_len, 0);
	fputc('[', o);
	for (int32_t i = 0; i < r->header_count; i++) {
		int32_t kl = ksd_cur_varint(&c);
		const uint8_t *k = NULL;
		if (kl < 0 || !ksd_cur_take(&c, (size_t)kl, &k))
			break;
		int32_t vl = ksd_cur_varint(&c);
		const uint8_t *v;
		if (vl > 0 && !ksd_cur_take(&c, (size_t)vl, &v))
			break;
		if (i)
			fputc(',', o);
		text_bytes(o, k, kl, KSD_ENC_TEXT);
	}
	fputc(']', o);
}

static void headers_json(dump_ctx *d, const ksd_record *r)
{
	ksd_cursor c;
	ksd_cur_init(&c, r->headers, r->headers_len, 0);
	ksd_jw_key(&d->jw, "headers");
	ksd_jw_arr_begin(&d->jw);
	for (int32_t i = 0; i < r->header_count; i++) {
		int32_t kl = ksd_cur_varint(&c);
		const uint8_t *k = NULL, *v = NULL;
		if (kl < 0 || !ksd_cur_take(&c, (size_t)kl, &k))
			break;
		int32_t vl = ksd_cur_varint(&c);
		if (vl > 0 && !ksd_cur_take(&c, (size_t)vl, &v))
			break;
		ksd_jw_obj_begin(&d->jw);
		ksd_jw_key(&d->jw, "key");
		ksd_jw_strn(&d->jw, k, (size_t)kl);
		ksd_jw_key(&d->jw, "value");
		ksd_jw_bytes(&d->jw, vl == 0 ? (const uint8_t *)"" : v, vl, d->o.enc);
		ksd_jw_obj_end(&d->jw);
	}
	ksd_jw_arr_end(&d->jw);
}

static int32_t record_sequence(const ksd_batch *b, const ksd_record *r)
{
	if (b->magic < 2 || b->base_sequence < 0)
		return -1;
	int64_t s = (int64_t)b->base_sequence + (r->offset - b->base_offset);
	return (int32_t)(s > INT32_MAX ? s - INT32_MAX - 1 : s);
}

static void record_json(dump_ctx *d, const ksd_batch *b, const ksd_record *r)
{
	ksd_jw *w = &d->jw;
	jw_begin(d, "record");
	ksd_jw_kv_int(w, "offset", r->offset);
	if (r->magic >= 1)
		ksd_jw_kv_int(w, "timestamp", r->timestamp);
	if (b->magic >= 2) {
		ksd_jw_kv_int(w, "sequence", record_sequence(b, r));
	} else {
		char crc[16];
		snprintf(crc, sizeof crc, "0x%08" PRIx32, r->stored_crc);
		ksd_jw_kv_int(w, "magic", r->magic);
		ksd_jw_kv_str(w, "crc", crc);
		ksd_jw_kv_bool(w, "crc_valid", r->crc_ok);
	}
	ksd_jw_kv_int(w, "key_size", r->key_len);
	ksd_jw_kv_int(w, "value_size", r->value_len);
	if (d->o.print_data) {
		ksd_jw_key(w, "key");
		ksd_jw_bytes(w, r->key, r->key_len, d->o.enc);
		ksd_jw_key(w, "value");
		ksd_jw_bytes(w, r->value, r->value_len, d->o.enc);
	}
	if (b->magic >= 2 && (d->o.print_data || r->header_count > 0))
		headers_json(d, r);
	dump_decoded_json(d, b, r);
	jw_end(d);
}

static void record_text(dump_ctx *d, const ksd_batch *b, const ksd_record *r)
{
	FILE *o = d->out;
	if (!d->o.skip_meta) {
		fprintf(o, "| offset: %" PRId64 " %s: %" PRId64 " keySize: %" PRId32
			" valueSize: %" PRId32, r->offset, ksd_timestamp_type_name(b),
			r->timestamp, r->key_len, r->value_len);
		if (b->magic >= 2) {
			fprintf(o, " sequence: %" PRId32 " headerKeys: ", record_sequence(b, r));
			header_keys_text(o, r);
		} else {
			fprintf(o, " isValid: %s crc: %" PRIu32, r->crc_ok ? "true" : "false",
				r->stored_crc);
		}
	}
	if (dump_decoded_text(d, b, r)) {
		fputc('\n', o);
		return;
	}
	if (d->o.print_data) {
		fputs(d->o.skip_meta ? "key: " : " key: ", o);
		text_bytes(o, r->key, r->key_len, d->o.enc);
		fputs(" payload: ", o);
		text_bytes(o, r->value, r->value_len, d->o.enc);
	}
	fputc('\n', o);
}

void dump_record(dump_ctx *d, const ksd_batch *b, const ksd_record *r)
{
	d->records++;
	if (d->o.json)
		record_json(d, b, r);
	else
		record_text(d, b, r);
}

void dump_corruption(dump_ctx *d, const char *code, uint64_t position, int64_t resume_at,
		     const char *message)
{
	d->corruptions++;
	if (!d->o.json) {
		fprintf(d->out, "CORRUPTION %s at byte %" PRIu64 ": %s", code, position, message);
		if (resume_at >= 0)
			fprintf(d->out, " (resuming at byte %" PRId64 ")", resume_at);
		fputc('\n', d->out);
		return;
	}
	jw_begin(d, "corruption");
	ksd_jw_kv_str(&d->jw, "code", code);
	ksd_jw_kv_uint(&d->jw, "position", position);
	ksd_jw_kv_str(&d->jw, "message", message);
	ksd_jw_key(&d->jw, "resume_at");
	if (resume_at >= 0)
		ksd_jw_int(&d->jw, resume_at);
	else
		ksd_jw_null(&d->jw);
	jw_end(d);
}

void dump_summary(dump_ctx *d, uint64_t bytes, uint64_t valid_bytes, bool cut_short)
{
	if (!d->o.json) {
		/* Only a whole read knows; DumpLogSegments is silent under --max-bytes too. */
		if (valid_bytes < bytes && !cut_short)
			fprintf(d->out, "Found %" PRIu64 " invalid bytes at the end of %s\n",
				bytes - valid_bytes, d->path);
		return;
	}
	jw_begin(d, "summary");
	ksd_jw_kv_str(&d->jw, "path", d->path);
	ksd_jw_kv_uint(&d->jw, "batches", d->batches);
	ksd_jw_kv_uint(&d->jw, "records", d->records);
	ksd_jw_kv_uint(&d->jw, "bytes", bytes);
	/* A read stopped by --max-bytes/--to-offset did not look at the rest. */
	ksd_jw_key(&d->jw, "valid_bytes");
	if (cut_short)
		ksd_jw_null(&d->jw);
	else
		ksd_jw_uint(&d->jw, valid_bytes);
	ksd_jw_kv_bool(&d->jw, "complete", !cut_short);
	ksd_jw_kv_uint(&d->jw, "corruptions", d->corruptions);
	jw_end(d);
}
