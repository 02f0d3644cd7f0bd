/*
 * The three index files of a segment (kafka-facts.md §2.1-2.4): decoding,
 * the checks that need only the file, and the merge-join verifier that
 * checks offset and time index entries against the segment walk.
 *
 * Kafka loads an index by taking every slot of the file as valid
 * (AbstractIndex: entries = length / entrySize), so a preallocated file that
 * was never trimmed reads as full, its tail as zero entries.  The analysis
 * keeps both views: `slots` (what Kafka loads) and `entries` (the real ones
 * before the trailing zero run).  What Kafka makes of the file at startup is
 * decided in index_report.c.
 */
#include <string.h>

#include "ksd/cursor.h"
#include "ksd/files.h"

size_t ksd_index_entry_bytes(ksd_index_kind k)
{
	switch (k) {
	case KSD_INDEX_OFFSET: return KSD_OFFSET_ENTRY_BYTES;
	case KSD_INDEX_TIME: return KSD_TIME_ENTRY_BYTES;
	case KSD_INDEX_TXN: return KSD_TXN_ENTRY_BYTES;
	}
	return KSD_OFFSET_ENTRY_BYTES;
}

const char *ksd_index_kind_name(ksd_index_kind k)
{
	switch (k) {
	case KSD_INDEX_OFFSET: return "offset index";
	case KSD_INDEX_TIME: return "time index";
	case KSD_INDEX_TXN: return "transaction index";
	}
	return "index";
}

bool ksd_index_kind_of(ksd_file_kind fk, ksd_index_kind *out)
{
	switch (fk) {
	case KSD_FILE_INDEX: *out = KSD_INDEX_OFFSET; return true;
	case KSD_FILE_TIMEINDEX: *out = KSD_INDEX_TIME; return true;
	case KSD_FILE_TXNINDEX: *out = KSD_INDEX_TXN; return true;
	default: return false;
	}
}

static const char *const rule_texts[KSD_IXR__COUNT] = {
	[KSD_IXR_PARTIAL_ENTRY] = "length not a multiple of the entry size",
	[KSD_IXR_NEGATIVE] = "negative relative offset or position",
	[KSD_IXR_OFFSET_ORDER] = "offsets not increasing",
	[KSD_IXR_POSITION_ORDER] = "positions not increasing",
	[KSD_IXR_TIMESTAMP_ORDER] = "timestamps going backwards",
	[KSD_IXR_TXN_VERSION] = "entry version not 0",
	[KSD_IXR_TXN_BELOW_BASE] = "last offset below the segment base",
	[KSD_IXR_TXN_RANGE] = "first offset above last offset",
	[KSD_IXR_TXN_BEYOND_LOG] = "last offset beyond the log",
	[KSD_IXR_NOT_BATCH_START] = "not at a batch start",
	[KSD_IXR_PAST_END] = "past the end of the log",
	[KSD_IXR_KEY_BELOW_BATCH] = "key below the batch it points at",
	[KSD_IXR_KEY_ABOVE_APPEND] = "key beyond the batches it covers",
	[KSD_IXR_TIME_NOT_IN_BATCH] = "offset between batches",
	[KSD_IXR_TIME_AHEAD] = "timestamp ahead of the log",
};

const char *ksd_index_rule_text(ksd_index_rule r)
{
	return (unsigned)r < KSD_IXR__COUNT ? rule_texts[r] : "?";
}

/* --- entries ---------------------------------------------------------------- */

/*
 * Copies slot `slot` into buf.  A slot may straddle the end of the bytes
 * read when the rest of the file is a known hole (SEEK_HOLE boundaries are
 * block-aligned, 12- and 34-byte entries are not): those bytes are zero.
 */
static bool slot_bytes(const ksd_file_image *im, uint64_t slot, size_t size, uint8_t *buf)
{
	if (slot > im->file_size / size)
		return false;
	uint64_t start = slot * size;
	if (start + size > im->file_size)
		return false;
	size_t have = 0;
	if (start < im->len)
		have = im->len - start < size ? (size_t)(im->len - start) : size;
	if (have < size && !im->tail_zero)
		return false;
	if (have)
		memcpy(buf, im->data + start, have);
	memset(buf + have, 0, size - have);
	return true;
}

bool ksd_offset_entry_at(const ksd_file_image *im, uint64_t slot, ksd_offset_entry *out)
{
	uint8_t b[KSD_OFFSET_ENTRY_BYTES];
	if (!slot_bytes(im, slot, sizeof b, b))
		return false;
	ksd_cursor c;
	ksd_cur_init(&c, b, sizeof b, slot * sizeof b);
	out->relative_offset = ksd_cur_i32(&c);
	out->position = ksd_cur_i32(&c);
	return ksd_cur_ok(&c);
}

bool ksd_time_entry_at(const ksd_file_image *im, uint64_t slot, ksd_time_entry *out)
{
	uint8_t b[KSD_TIME_ENTRY_BYTES];
	if (!slot_bytes(im, slot, sizeof b, b))
		return false;
	ksd_cursor c;
	ksd_cur_init(&c, b, sizeof b, slot * sizeof b);
	out->timestamp = ksd_cur_i64(&c);
	out->relative_offset = ksd_cur_i32(&c);
	return ksd_cur_ok(&c);
}

bool ksd_txn_entry_at(const ksd_file_image *im, uint64_t slot, ksd_txn_entry *out)
{
	uint8_t b[KSD_TXN_ENTRY_BYTES];
	if (!slot_bytes(im, slot, sizeof b, b))
		return false;
	ksd_cursor c;
	ksd_cur_init(&c, b, sizeof b, slot * sizeof b);
	out->version = ksd_cur_i16(&c);
	out->producer_id = ksd_cur_i64(&c);
	out->first_offset = ksd_cur_i64(&c);
	out->last_offset = ksd_cur_i64(&c);
	out->last_stable_offset = ksd_cur_i64(&c);
	return ksd_cur_ok(&c);
}

/* --- analysis ---------------------------------------------------------------- */

static void note(ksd_index_analysis *a, ksd_index_rule r, uint64_t slot, int64_t x,
		 int64_t y, int64_t z)
{
	ksd_index_issue *is = &a->issue[r];
	if (is->count++ == 0) {
		is->slot = slot;
		is->a = x;
		is->b = y;
		is->c = z;
	}
}

/* base + rel, saturating: names never exceed int64 but be safe. */
static int64_t absolute(int64_t base, int32_t rel)
{
	if (rel > 0 && base > INT64_MAX - rel)
		return INT64_MAX;
	return base + rel;
}

/* Bytes of data before the trailing run of zero bytes. */
static size_t nonzero_prefix(const uint8_t *p, size_t n)
{
	while (n >= 8) {
		uint64_t w;
		memcpy(&w, p + n - 8, 8);
		if (w)
			break;
		n -= 8;
	}
	while (n > 0 && p[n - 1] == 0)
		n--;
	return n;
}

/*
 * Slots Kafka loads, and the real entries before a trailing zero run.  The
 * zero run is only known when every byte after the real entries was seen
 * or is a hole; a capped read of a dense file claims no zero tail.  A time
 * index of exactly one zero slot is a real entry: (timestamp 0, base) is
 * what a segment whose only indexed batch has timestamp 0 gets.
 */
static void measure(ksd_index_analysis *a, const ksd_file_image *im, size_t esize)
{
	a->slots = im->file_size / esize;
	a->partial_bytes = im->file_size % esize;
	a->capped = im->capped;
	uint64_t readable = im->tail_zero ? a->slots : im->len / esize;
	if (im->capped && !im->tail_zero) {
		a->entries = readable;
		return;
	}
	size_t nz = nonzero_prefix(im->data, im->len);
	uint64_t real = (nz + esize - 1) / esize;
	if (real > a->slots)
		real = a->slots; /* nonzero bytes only in the partial tail */
	if (a->kind == KSD_INDEX_TXN)
		real = readable; /* not preallocated: zeros are entries (§2.3) */
	else if (a->kind == KSD_INDEX_TIME && real == 0 && a->slots == 1)
		real = 1;
	a->entries = real;
	a->zero_slots = a->kind == KSD_INDEX_TXN ? 0 : a->slots - real;
}

/* Kafka's view: its sanity checks read slot 0 and the last slot. */
static void kafka_view(ksd_index_analysis *a, const ksd_file_image *im)
{
	if (a->slots == 0)
		return;
	if (a->kind == KSD_INDEX_OFFSET) {
		ksd_offset_entry e;
		if (ksd_offset_entry_at(im, a->slots - 1, &e))
			a->last_relative = e.relative_offset;
	} else if (a->kind == KSD_INDEX_TIME) {
		ksd_time_entry first, last;
		if (ksd_time_entry_at(im, 0, &first))
			a->first_timestamp = first.timestamp;
		if (ksd_time_entry_at(im, a->slots - 1, &last)) {
			a->last_timestamp = last.timestamp;
			a->last_relative = last.relative_offset;
		}
	}
}

static void scan_offset_entries(ksd_index_analysis *a, const ksd_file_image *im)
{
	ksd_offset_entry prev = {0, 0}, e;
	a->ordered_entries = a->entries;
	for (uint64_t i = 0; i < a->entries && ksd_offset_entry_at(im, i, &e); i++) {
		bool bad = false;
		if (e.relative_offset < 0 || e.position < 0) {
			note(a, KSD_IXR_NEGATIVE, i, e.relative_offset, e.position, 0);
			bad = true;
		}
		/* OffsetIndex.append: InvalidOffsetException unless keys increase;
		 * each entry marks a later append, so positions increase too. */
		if (i > 0 && e.relative_offset <= prev.relative_offset) {
			note(a, KSD_IXR_OFFSET_ORDER, i, absolute(a->base_offset, prev.relative_offset),
			     absolute(a->base_offset, e.relative_offset), 0);
			bad = true;
		}
		if (i > 0 && e.position <= prev.position) {
			note(a, KSD_IXR_POSITION_ORDER, i, prev.position, e.position, 0);
			bad = true;
		}
		if (bad && a->ordered_entries == a->entries)
			a->ordered_entries = i;
		prev = e;
	}
}

static void scan_time_entries(ksd_index_analysis *a, const ksd_file_image *im)
{
	ksd_time_entry prev = {0, 0}, e;
	a->ordered_entries = a->entries;
	for (uint64_t i = 0; i < a->entries && ksd_time_entry_at(im, i, &e); i++) {
		bool bad = false;
		if (e.relative_offset < 0) {
			note(a, KSD_IXR_NEGATIVE, i, e.relative_offset, e.timestamp, 0);
			bad = true;
		}
		/* TimeIndex.maybeAppend throws on an offset below the last one
		 * and on a smaller timestamp (it appends only larger ones). */
		if (i > 0 && e.relative_offset < prev.relative_offset) {
			note(a, KSD_IXR_OFFSET_ORDER, i, absolute(a->base_offset, prev.relative_offset),
			     absolute(a->base_offset, e.relative_offset), 0);
			bad = true;
		}
		if (i > 0 && e.timestamp < prev.timestamp) {
			note(a, KSD_IXR_TIMESTAMP_ORDER, i, prev.timestamp, e.timestamp, 0);
			bad = true;
		}
		if (bad && a->ordered_entries == a->entries)
			a->ordered_entries = i;
		prev = e;
	}
}

static void scan_txn_entries(ksd_index_analysis *a, const ksd_file_image *im,
			     int64_t log_last_offset)
{
	ksd_txn_entry prev, e;
	memset(&prev, 0, sizeof prev);
	for (uint64_t i = 0; i < a->entries && ksd_txn_entry_at(im, i, &e); i++) {
		if (e.version != 0) {
			/* AbortedTxn.version() reads the first byte only. */
			uint8_t first = (uint8_t)((uint16_t)e.version >> 8);
			if (a->issue[KSD_IXR_TXN_VERSION].count == 0 || (first >= 1 && first <= 127))
				a->txn_version_byte = first;
			note(a, KSD_IXR_TXN_VERSION, i, e.version, first, e.last_offset);
		}
		/* TransactionIndex.sanityCheck: lastOffset >= segment base. */
		if (e.last_offset < a->base_offset)
			note(a, KSD_IXR_TXN_BELOW_BASE, i, e.last_offset, a->base_offset, e.producer_id);
		if (e.first_offset > e.last_offset)
			note(a, KSD_IXR_TXN_RANGE, i, e.first_offset, e.last_offset, e.producer_id);
		/* TransactionIndex.append: last offsets must increase. */
		if (i > 0 && e.last_offset <= prev.last_offset)
			note(a, KSD_IXR_OFFSET_ORDER, i, prev.last_offset, e.last_offset, e.producer_id);
		/* Its ABORT marker lies in this segment, at lastOffset. */
		if (log_last_offset >= 0 && e.last_offset > log_last_offset)
			note(a, KSD_IXR_TXN_BEYOND_LOG, i, e.last_offset, log_last_offset, e.producer_id);
		prev = e;
	}
	a->ordered_entries = a->entries;
}

void ksd_index_analyze(ksd_index_kind kind, int64_t base_offset, const ksd_file_image *im,
		       int64_t log_last_offset, ksd_index_analysis *out)
{
	memset(out, 0, sizeof *out);
	out->kind = kind;
	out->base_offset = base_offset;
	out->file_size = im->file_size;
	size_t esize = ksd_index_entry_bytes(kind);
	measure(out, im, esize);
	kafka_view(out, im);
	if (out->partial_bytes)
		note(out, KSD_IXR_PARTIAL_ENTRY, out->slots, (int64_t)out->partial_bytes,
		     (int64_t)out->file_size, 0);
	if (kind == KSD_INDEX_OFFSET)
		scan_offset_entries(out, im);
	else if (kind == KSD_INDEX_TIME)
		scan_time_entries(out, im);
	else
		scan_txn_entries(out, im, log_last_offset);
}

bool ksd_index_has_news(const ksd_index_analysis *a)
{
	if (a->zero_slots || a->capped)
		return true;
	for (unsigned r = 0; r < KSD_IXR__COUNT; r++)
		if (a->issue[r].count)
			return true;
	return false;
}

/* --- the merge-join verifier ------------------------------------------------ */

static void load_offset_gate(ksd_index_verifier *v)
{
	ksd_offset_entry e;
	v->gate_pos = UINT64_MAX;
	if (!v->oa || v->o_next >= v->oa->ordered_entries ||
	    !ksd_offset_entry_at(v->oim, v->o_next, &e))
		return;
	v->gate_pos = (uint64_t)e.position; /* >= 0: negatives end the ordered prefix */
	v->o_key = absolute(v->base_offset, e.relative_offset);
}

static void load_time_gate(ksd_index_verifier *v)
{
	ksd_time_entry e;
	v->t_off = INT64_MAX;
	if (!v->ta || v->t_next >= v->ta->ordered_entries ||
	    !ksd_time_entry_at(v->tim, v->t_next, &e))
		return;
	v->t_off = absolute(v->base_offset, e.relative_offset);
	v->t_ts = e.timestamp;
}

static void update_offset_gate(ksd_index_verifier *v)
{
	v->gate_off = v->t_off;
	if (v->o_open && v->o_open_key < v->gate_off)
		v->gate_off = v->o_open_key;
}

void ksd_ixv_init(ksd_index_verifier *v, int64_t base_offset,
		  const ksd_file_image *oim, ksd_index_analysis *oa,
		  const ksd_file_image *tim, ksd_index_analysis *ta)
{
	memset(v, 0, sizeof *v);
	v->base_offset = base_offset;
	v->oim = oim;
	v->oa = oim ? oa : NULL;
	v->tim = tim;
	v->ta = tim ? ta : NULL;
	load_offset_gate(v);
	load_time_gate(v);
	update_offset_gate(v);
}

/*
 * An entry's append ended (the next entry's position, or the end) without a
 * batch reaching its key.  Since 2.0 the key is the append's last offset
 * (KAFKA-6530); an append can hold several batches (a follower's fetched
 * chunk, a cleaner's retained run), so any batch before the next entry may
 * carry it.  `reached`: the last offset of the last batch before that.
 */
static void close_open_key(ksd_index_verifier *v, int64_t reached)
{
	if (!v->o_open)
		return;
	note(v->oa, KSD_IXR_KEY_ABOVE_APPEND, v->o_open_slot, v->o_open_key,
	     (int64_t)v->o_open_pos, reached);
	v->o_open = false;
}

/*
 * Entry due at this batch's position.  Before 2.0 the key is the first
 * offset of the append, since 2.0 its last (KAFKA-6530): both are at or
 * above the first offset of the batch at that position.
 */
static void join_offset_entry(ksd_index_verifier *v, uint64_t position, int64_t first,
			      int64_t last, int64_t prev_last)
{
	close_open_key(v, prev_last);
	if (v->o_key < first) {
		note(v->oa, KSD_IXR_KEY_BELOW_BATCH, v->o_next, v->o_key, (int64_t)position, first);
	} else if (v->o_key > last) {
		v->o_open = true;
		v->o_open_key = v->o_key;
		v->o_open_slot = v->o_next;
		v->o_open_pos = position;
	}
	v->o_next++;
	load_offset_gate(v);
}

static void advance_offset_index(ksd_index_verifier *v, uint64_t position, int64_t first,
				 int64_t last, int64_t prev_last)
{
	/* Entries whose position the walk stepped over point inside a batch. */
	while (v->gate_pos < position) {
		note(v->oa, KSD_IXR_NOT_BATCH_START, v->o_next, v->o_key, (int64_t)v->gate_pos,
		     (int64_t)position);
		v->o_next++;
		load_offset_gate(v);
	}
	if (v->gate_pos == position)
		join_offset_entry(v, position, first, last, prev_last);
	else if (v->o_open && last >= v->o_open_key)
		v->o_open = false;
}

/* Time entries (T, O) with O in this batch: T is the largest timestamp
 * up to O (TimeIndex), so it cannot exceed the log's max through here. */
static void advance_time_index(ksd_index_verifier *v, int64_t first, int64_t last,
			       int64_t max_ts)
{
	while (v->t_off <= last) {
		if (v->t_off < first)
			note(v->ta, KSD_IXR_TIME_NOT_IN_BATCH, v->t_next, v->t_off, v->t_ts, first);
		else if (v->t_ts > max_ts)
			note(v->ta, KSD_IXR_TIME_AHEAD, v->t_next, v->t_ts, v->t_off, max_ts);
		v->t_next++;
		load_time_gate(v);
	}
}

void ksd_ixv_batch_slow(ksd_index_verifier *v, const ksd_batch *b, int64_t prev_last,
			int64_t prev_max_ts)
{
	/* A v0/v1 wrapper's first offset is unknown without decompressing:
	 * it covers everything after the previous batch. */
	int64_t first = b->magic >= 2 ? b->base_offset
				      : (prev_last < b->last_offset ? prev_last + 1 : b->last_offset);
	int64_t max_ts = b->max_timestamp > prev_max_ts ? b->max_timestamp : prev_max_ts;
	if (v->oa)
		advance_offset_index(v, b->position, first, b->last_offset, prev_last);
	if (v->ta)
		advance_time_index(v, first, b->last_offset, max_ts);
	update_offset_gate(v);
}

void ksd_ixv_skip(ksd_index_verifier *v, uint64_t upto)
{
	if (!v->oa)
		return;
	v->o_open = false;
	while (v->gate_pos < upto) {
		v->o_next++;
		load_offset_gate(v);
	}
	update_offset_gate(v);
}

void ksd_ixv_finish(ksd_index_verifier *v, uint64_t batches_end, int64_t last_offset)
{
	if (v->oa) {
		close_open_key(v, last_offset);
		for (; v->gate_pos != UINT64_MAX; v->o_next++, load_offset_gate(v)) {
			ksd_index_rule r = v->gate_pos >= batches_end ? KSD_IXR_PAST_END
								      : KSD_IXR_NOT_BATCH_START;
			note(v->oa, r, v->o_next, v->o_key, (int64_t)v->gate_pos, (int64_t)batches_end);
		}
		v->oa->verified = true;
	}
	if (v->ta) {
		for (; v->t_off != INT64_MAX; v->t_next++, load_time_gate(v))
			note(v->ta, KSD_IXR_PAST_END, v->t_next, v->t_off, v->t_ts, last_offset);
		v->ta->verified = true;
	}
	v->gate_pos = UINT64_MAX;
	v->gate_off = INT64_MAX;
}
