/*
 * Fuzz target: the three index decoders, their checks and the merge-join
 * verifier.  The input carries a header, the bytes of an offset, a time and
 * a transaction index, and a list of synthetic batches (positions, offsets,
 * timestamps, magics) that the verifier is fed as the walk would feed it.
 * Every analysis is reported under several contexts (versions, active or
 * not, running broker, recovered at startup) so every message path runs.
 *
 * Layout: flags u8 | base u32 | len_o u16 | len_t u16 | len_x u16 |
 *         index bytes... | batches: [len u16, last_delta u8, gap u8
 *         (bit 7: damage skipped before it), ts_delta u16, magic u8] ...
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ksd/cursor.h"
#include "ksd/files.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define HEADER 11
#define BATCH_DESC 7
#define MAX_BATCHES 512

static void check(bool ok)
{
	if (!ok)
		abort();
}

static void check_analysis(const ksd_index_analysis *a)
{
	check(a->ordered_entries <= a->entries);
	check(a->entries <= a->slots || a->capped);
	if (!a->capped && a->kind != KSD_INDEX_TXN)
		check(a->entries + a->zero_slots == a->slots);
	check(a->partial_bytes < ksd_index_entry_bytes(a->kind));
	for (unsigned r = 0; r < KSD_IXR__COUNT; r++)
		if (a->issue[r].count)
			check(a->issue[r].slot <= a->slots);
}

static void check_findings(const ksd_findings *f)
{
	for (size_t i = 0; i < f->n; i++) {
		check(f->v[i].message != NULL && strlen(f->v[i].message) < 1024);
		check(f->v[i].severity <= KSD_SEV_ERROR);
		check(f->v[i].nfields <= KSD_FINDING_MAX_FIELDS);
	}
}

static const char *const versions[] = {NULL, "0.8.2.2", "0.10.1.0", "1.1.1", "2.0.0", "2.2.2",
				       "3.7.0"};

static void report_all(const ksd_index_analysis *a, uint8_t flags)
{
	for (size_t v = 0; v < sizeof versions / sizeof *versions; v++) {
		ksd_index_ctx c;
		memset(&c, 0, sizeof c);
		c.path = "/fuzz/t-0/00000000000000000000.index";
		if (versions[v])
			check(ksd_kversion_parse(versions[v], &c.kafka_version));
		c.magic_mask = flags & 7u;
		c.has_timeindex = flags & 8u;
		c.active = v & 1;
		c.log_empty = flags & 16u;
		c.compacted = v & 2;
		c.clean_shutdown = flags & 32u;
		c.rebuilt_at_startup = (flags & 64u) && v == 3;
		c.broker_running = (flags & 128u) && v == 5;
		ksd_findings f;
		ksd_findings_init(&f, 8);
		ksd_index_report(a, &c, &f);
		check_findings(&f);
		ksd_findings_free(&f);
	}
}

typedef struct fbatch {
	uint64_t pos, len;
	int64_t base, last, ts;
	int magic;
	bool skip; /* damage before it: the walk resynced here */
} fbatch;

/* Batches in file order with increasing offsets, from the descriptors. */
static size_t make_batches(ksd_cursor *c, int64_t base, fbatch *out)
{
	size_t n = 0;
	uint64_t pos = 0;
	int64_t prev_last = base - 1, ts = 1700000000000;
	while (n < MAX_BATCHES && ksd_cur_left(c) >= BATCH_DESC) {
		uint16_t len = ksd_cur_be16(c);
		uint8_t last_delta = ksd_cur_u8(c);
		uint8_t gap = ksd_cur_u8(c);
		uint16_t ts_delta = ksd_cur_be16(c);
		uint8_t magic = ksd_cur_u8(c) % 3;
		fbatch *b = &out[n++];
		b->pos = pos;
		b->len = 26u + len;
		b->base = prev_last + 1 + (gap & 7);
		b->last = b->base + last_delta;
		ts += (int16_t)ts_delta; /* may go backwards, as CreateTime can */
		b->ts = ts;
		b->magic = magic;
		b->skip = gap & 0x80;
		pos += b->len;
		prev_last = b->last;
	}
	return n;
}

static ksd_file_image image(const uint8_t *p, size_t len, uint8_t flags)
{
	ksd_file_image im = ksd_file_image_mem(p, len);
	/* sometimes a known-zero hole after the bytes, sometimes a cap */
	if (flags & 64u) {
		im.file_size = len + (flags & 0x3fu) * 13u;
		im.tail_zero = true;
	} else if ((flags & 0xc0u) == 0x80u) {
		im.file_size = len + 4096;
		im.capped = true;
	}
	return im;
}

static void entries_roundtrip(const ksd_file_image *o, const ksd_file_image *t,
			      const ksd_file_image *x)
{
	ksd_offset_entry oe;
	ksd_time_entry te;
	ksd_txn_entry xe;
	for (uint64_t i = 0; i < 4; i++) {
		(void)ksd_offset_entry_at(o, i, &oe);
		(void)ksd_time_entry_at(t, i, &te);
		(void)ksd_txn_entry_at(x, i, &xe);
	}
	check(!ksd_offset_entry_at(o, o->file_size / 8 + 1, &oe));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < HEADER)
		return 0;
	ksd_cursor c;
	ksd_cur_init(&c, data, size, 0);
	uint8_t flags = ksd_cur_u8(&c);
	int64_t base = ksd_cur_be32(&c) & 0x7fffffff;
	size_t lo = ksd_cur_be16(&c), lt = ksd_cur_be16(&c), lx = ksd_cur_be16(&c);
	const uint8_t *po = NULL, *pt = NULL, *px = NULL;
	lo = lo < ksd_cur_left(&c) ? lo : ksd_cur_left(&c);
	ksd_cur_take(&c, lo, &po);
	lt = lt < ksd_cur_left(&c) ? lt : ksd_cur_left(&c);
	ksd_cur_take(&c, lt, &pt);
	lx = lx < ksd_cur_left(&c) ? lx : ksd_cur_left(&c);
	ksd_cur_take(&c, lx, &px);

	static fbatch batches[MAX_BATCHES];
	size_t nb = make_batches(&c, base, batches);
	int64_t log_last = nb ? batches[nb - 1].last : -1;

	ksd_file_image oim = image(po, lo, flags), tim = image(pt, lt, (uint8_t)(flags >> 1));
	ksd_file_image xim = ksd_file_image_mem(px, lx);
	ksd_index_analysis oa, ta, xa;
	ksd_index_analyze(KSD_INDEX_OFFSET, base, &oim, -1, &oa);
	ksd_index_analyze(KSD_INDEX_TIME, base, &tim, -1, &ta);
	ksd_index_analyze(KSD_INDEX_TXN, base, &xim, log_last, &xa);

	ksd_index_verifier v;
	ksd_ixv_init(&v, base, &oim, &oa, &tim, &ta);
	int64_t prev_last = -1, prev_max = -1;
	for (size_t i = 0; i < nb; i++) {
		if (batches[i].skip)
			ksd_ixv_skip(&v, batches[i].pos);
		ksd_batch b;
		memset(&b, 0, sizeof b);
		b.position = batches[i].pos;
		b.entry_len = batches[i].len;
		b.base_offset = batches[i].base;
		b.last_offset = batches[i].last;
		b.max_timestamp = batches[i].ts;
		b.magic = (int8_t)batches[i].magic;
		ksd_ixv_batch(&v, &b, prev_last, prev_max);
		prev_last = b.last_offset > prev_last ? b.last_offset : prev_last;
		prev_max = b.max_timestamp > prev_max ? b.max_timestamp : prev_max;
	}
	ksd_ixv_finish(&v, nb ? batches[nb - 1].pos + batches[nb - 1].len : 0, prev_last);
	check(oa.verified && ta.verified);

	check_analysis(&oa);
	check_analysis(&ta);
	check_analysis(&xa);
	report_all(&oa, flags);
	report_all(&ta, flags);
	report_all(&xa, flags);
	entries_roundtrip(&oim, &tim, &xim);

	/* the standalone checks agree with analyze + report */
	ksd_index_ctx ctx;
	memset(&ctx, 0, sizeof ctx);
	ctx.path = "/fuzz/x.index";
	ksd_findings f;
	ksd_findings_init(&f, 4);
	ksd_check_offset_index(&ctx, base, &oim, &f);
	ksd_check_time_index(&ctx, base, &tim, &f);
	ksd_check_txn_index(&ctx, base, &xim, log_last, &f);
	check_findings(&f);
	ksd_findings_free(&f);
	return 0;
}
