/*
 * dump: control records and internal-topic payloads, through the core's
 * decoders (ksd/internal_topics.h).  JSON output nests the decoded objects;
 * text output prints them as compact JSON, as kafka-dump-log's decoders do.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "dump.h"
#include "ksd/internal_topics.h"
#include "ksd/names.h"

dump_decoder dump_decoder_for_path(const dump_ctx *d, const char *path)
{
	if (d->o.decoder != DEC_AUTO)
		return d->o.decoder;
	/* The partition dir's topic picks the decoder, as operators expect. */
	char dir[4096];
	snprintf(dir, sizeof dir, "%s", path);
	char *slash = strrchr(dir, '/');
	if (!slash)
		return DEC_NONE;
	/* "dir//file" when the user typed "dir/": drop every trailing slash. */
	while (slash > dir && *slash == '/')
		*slash-- = '\0';
	const char *leaf = strrchr(dir, '/');
	leaf = leaf ? leaf + 1 : dir;
	ksd_partition_name pn;
	if (!ksd_parse_partition_dir(leaf, &pn))
		return DEC_NONE;
	switch (ksd_topic_decoder_for_topic(pn.topic)) {
	case KSD_DECODER_CONSUMER_OFFSETS: return DEC_OFFSETS;
	case KSD_DECODER_TRANSACTION_STATE: return DEC_TRANSACTIONS;
	case KSD_DECODER_CLUSTER_METADATA: return DEC_METADATA;
	default: return DEC_NONE;
	}
}

static ksd_topic_decoder core_decoder(dump_decoder d)
{
	switch (d) {
	case DEC_OFFSETS: return KSD_DECODER_CONSUMER_OFFSETS;
	case DEC_TRANSACTIONS: return KSD_DECODER_TRANSACTION_STATE;
	case DEC_METADATA: return KSD_DECODER_CLUSTER_METADATA;
	default: return KSD_DECODER_NONE;
	}
}

void dump_decoded_json(dump_ctx *d, const ksd_batch *b, const ksd_record *r)
{
	if (ksd_batch_is_control(b)) {
		ksd_jw_key(&d->jw, "control");
		ksd_control_json(&d->jw, r->key, r->key_len, r->value, r->value_len);
		return;
	}
	ksd_topic_decoder td = core_decoder(d->active_decoder);
	if (td == KSD_DECODER_NONE)
		return;
	ksd_jw_key(&d->jw, "key_decoded");
	ksd_decode_key_json(td, &d->jw, r->key, r->key_len);
	ksd_jw_key(&d->jw, "value_decoded");
	ksd_decode_value_json(td, &d->jw, r->key, r->key_len, r->value, r->value_len);
}

/* A growable buffer sink, reused for every record. */
typedef struct text_buf {
	char *p;
	size_t len, cap;
} text_buf;

static void buf_write(void *ud, const char *p, size_t n)
{
	text_buf *b = ud;
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 1024;
		while (cap < b->len + n + 1)
			cap *= 2;
		char *np = realloc(b->p, cap);
		if (!np)
			return;
		b->p = np;
		b->cap = cap;
	}
	memcpy(b->p + b->len, p, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static text_buf scratch; /* CLI-only; dump is single-threaded */

static const char *render(bool (*fn)(void *, ksd_jw *), void *arg)
{
	ksd_jw w;
	scratch.len = 0;
	buf_write(&scratch, "", 0);
	ksd_jw_init(&w, (ksd_sink){buf_write, &scratch});
	fn(arg, &w);
	return scratch.p ? scratch.p : "";
}

typedef struct rec_arg {
	ksd_topic_decoder td;
	const ksd_record *r;
} rec_arg;

static bool render_key(void *a, ksd_jw *w)
{
	rec_arg *ra = a;
	return ksd_decode_key_json(ra->td, w, ra->r->key, ra->r->key_len);
}

static bool render_value(void *a, ksd_jw *w)
{
	rec_arg *ra = a;
	return ksd_decode_value_json(ra->td, w, ra->r->key, ra->r->key_len, ra->r->value,
				     ra->r->value_len);
}

static bool render_control(void *a, ksd_jw *w)
{
	const ksd_record *r = ((rec_arg *)a)->r;
	return ksd_control_json(w, r->key, r->key_len, r->value, r->value_len);
}

/* kafka-dump-log: " endTxnMarker: COMMIT coordinatorEpoch: 5" for markers. */
static void control_text(dump_ctx *d, const ksd_record *r)
{
	ksd_control c;
	ksd_decode_err err;
	if (ksd_control_parse(r->key, r->key_len, r->value, r->value_len, &c, &err) &&
	    (c.type == KSD_CONTROL_COMMIT || c.type == KSD_CONTROL_ABORT)) {
		fprintf(d->out, " endTxnMarker: %s coordinatorEpoch: %" PRId32,
			ksd_control_type_name(c.type), c.coordinator_epoch);
		return;
	}
	rec_arg ra = {KSD_DECODER_NONE, r};
	fprintf(d->out, " control: %s", render(render_control, &ra));
}

bool dump_decoded_text(dump_ctx *d, const ksd_batch *b, const ksd_record *r)
{
	if (ksd_batch_is_control(b)) {
		control_text(d, r);
		return true;
	}
	ksd_topic_decoder td = core_decoder(d->active_decoder);
	if (td == KSD_DECODER_NONE)
		return false;
	rec_arg ra = {td, r};
	fprintf(d->out, "%skey: %s", d->o.skip_meta ? "" : " ", render(render_key, &ra));
	fprintf(d->out, " payload: %s", r->value_len < 0 ? "<DELETE>" : render(render_value, &ra));
	return true;
}
