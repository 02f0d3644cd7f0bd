/*
 * Unit tests for pass 1, the segment walk (src/core/pass_segment.c), over
 * hand-built segments held in memory: for each finding the walk can make,
 * one segment that must produce it and one that must not, with the exact
 * positions, fields and severities; plus the segment statistics the later
 * passes rely on.  A last group walks a real file through the pread
 * backend with a tiny buffer, where the walker's pointers into the buffer
 * go stale when it is refilled or grown.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/scan_internal.h"
#include "ksd/batch.h"
#include "tbatch.h"

#define SEG_PATH "/fake/logdir/topic-0/00000000000000000000.log"
#define TWO31 2147483648ll

/* --- fixture -------------------------------------------------------------- */

typedef struct fx {
	ksd_config cfg;
	ksd_partition part;
	ksd_segment segs[2]; /* segs[1] is the partition's last (active) segment */
	ksd_segment *seg;    /* the one under test */
	uint64_t bytes_done;
} fx;

static void seg_init(ksd_segment *s, int64_t base)
{
	memset(s, 0, sizeof *s);
	s->base_offset = base;
	s->log_path = (char *)SEG_PATH;
	/* as discovery leaves them */
	s->first_offset = s->last_offset = s->max_timestamp = -1;
	s->first_damage = -1;
}

/* active: the segment is the partition's last one. */
static void fx_init(fx *f, int64_t base, bool active)
{
	memset(f, 0, sizeof *f);
	ksd_config_init(&f->cfg);
	f->part.path = (char *)"/fake/logdir/topic-0";
	f->part.dir_name = (char *)"topic-0";
	assert_true(ksd_parse_partition_dir("topic-0", &f->part.name));
	f->part.segments = f->segs;
	f->part.nsegments = 2;
	ksd_findings_init(&f->part.findings, f->cfg.max_findings_per_problem);
	seg_init(&f->segs[0], active ? base - 1000 : base);
	seg_init(&f->segs[1], active ? base : base + 1000000);
	f->seg = active ? &f->segs[1] : &f->segs[0];
}

static void fx_walk(fx *f, const uint8_t *data, size_t len)
{
	ksd_source src;
	ksd_source_from_memory(&src, data, len);
	ksd_walk_segment(&f->cfg, &src, &f->part, f->seg, &f->bytes_done);
	ksd_source_close(&src);
	assert_true(f->seg->walked);
	assert_int_equal(f->seg->log_size, len);
	assert_int_equal(f->bytes_done, len);
}

static void fx_walk_buf(fx *f, const tb_buf *b)
{
	fx_walk(f, b->d, b->len);
}

static void fx_free(fx *f)
{
	for (int i = 0; i < 2; i++)
		if (f->segs[i].findings) {
			ksd_findings_free(f->segs[i].findings);
			free(f->segs[i].findings);
		}
	ksd_findings_free(&f->part.findings);
}

/* --- finding lookup -------------------------------------------------------- */

static size_t nfindings(const ksd_segment *s)
{
	return s->findings ? s->findings->n : 0;
}

static size_t count_problem(const ksd_segment *s, ksd_problem p)
{
	size_t n = 0;
	for (size_t i = 0; i < nfindings(s); i++)
		n += s->findings->v[i].problem == p;
	return n;
}

/* The only finding of problem p (fails the test unless exactly one). */
static const ksd_finding *one(const ksd_segment *s, ksd_problem p)
{
	if (count_problem(s, p) != 1)
		fail_msg("expected one %s finding, have %zu", ksd_problem_get(p)->code,
			 count_problem(s, p));
	for (size_t i = 0; i < nfindings(s); i++)
		if (s->findings->v[i].problem == p)
			return &s->findings->v[i];
	return NULL;
}

static const ksd_field *field(const ksd_finding *f, const char *name)
{
	for (unsigned i = 0; i < f->nfields; i++)
		if (strcmp(f->fields[i].name, name) == 0)
			return &f->fields[i];
	return NULL;
}

static const ksd_field *need_field(const ksd_finding *f, const char *name, ksd_field_type t)
{
	const ksd_field *fl = field(f, name);
	if (!fl)
		fail_msg("finding %s has no field %s", ksd_problem_get(f->problem)->code, name);
	assert_int_equal(fl->type, t);
	return fl;
}

static int64_t fint(const ksd_finding *f, const char *name)
{
	return need_field(f, name, KSD_F_INT)->v.i;
}

static uint64_t fuint(const ksd_finding *f, const char *name)
{
	return need_field(f, name, KSD_F_UINT)->v.u;
}

static uint32_t fhex(const ksd_finding *f, const char *name)
{
	return (uint32_t)need_field(f, name, KSD_F_HEX32)->v.u;
}

static bool fbool(const ksd_finding *f, const char *name)
{
	return need_field(f, name, KSD_F_BOOL)->v.b;
}

static const char *fstr(const ksd_finding *f, const char *name)
{
	return need_field(f, name, KSD_F_STR)->v.s;
}

static void assert_clean(const ksd_segment *s)
{
	for (size_t i = 0; i < nfindings(s); i++)
		print_error("unexpected finding: %s: %s\n",
			    ksd_problem_get(s->findings->v[i].problem)->code,
			    s->findings->v[i].message);
	assert_int_equal(nfindings(s), 0);
	assert_int_equal(s->first_damage, -1);
	assert_int_equal(s->valid_bytes, s->log_size);
}

/* --- healthy segments -------------------------------------------------------- */

static void test_healthy_v2(void **state)
{
	(void)state;
	tb_buf b;
	tb_init(&b);
	tb_v2_simple(&b, 0, 3);
	tb_v2_simple(&b, 3, 1);
	tb_v2 s = tb_v2_spec(4, 5);
	s.max_timestamp = 1800000000000ll;
	tb_v2_append(&b, &s);
	/* an empty batch kept by the cleaner (count 0, delta kept) */
	s = tb_v2_spec(9, 0);
	s.last_delta = 2;
	tb_v2_append(&b, &s);

	fx f;
	fx_init(&f, 0, true);
	fx_walk_buf(&f, &b);
	assert_clean(f.seg);
	assert_int_equal(f.seg->batches, 4);
	assert_int_equal(f.seg->records, 9);
	assert_true(f.seg->records_exact);
	assert_int_equal(f.seg->first_offset, 0);
	assert_int_equal(f.seg->last_offset, 11);
	assert_true(f.seg->max_timestamp == 1800000000000ll);
	assert_int_equal(f.seg->magic_mask, 1u << 2);
	assert_int_equal(f.seg->codec_mask, 1u << 0);
	fx_free(&f);
}

static void test_healthy_mixed_magic(void **state)
{
	(void)state;
	/* After a message-format upgrade one segment holds v0, v1 and v2. */
	tb_buf b;
	tb_init(&b);
	tb_legacy_simple(&b, 0, 100);
	tb_legacy_simple(&b, 0, 101);
	tb_legacy_append(&b, 1, 102, 0, 1500000000000ll, "key", 3, "value", 5);
	tb_legacy_append(&b, 1, 103, 0, 1500000000001ll, NULL, -1, NULL, -1);
	tb_v2_simple(&b, 104, 4);
	tb_v2_simple(&b, 108, 2);

	fx f;
	fx_init(&f, 100, false);
	fx_walk_buf(&f, &b);
	assert_clean(f.seg);
	assert_int_equal(f.seg->batches, 6);
	assert_int_equal(f.seg->records, 10);
	assert_true(f.seg->records_exact);
	assert_int_equal(f.seg->first_offset, 100);
	assert_int_equal(f.seg->last_offset, 109);
	assert_int_equal(f.seg->magic_mask, 7u);
	fx_free(&f);

	/* A compressed v1 wrapper: the header walk cannot count its records. */
	tb_init(&b);
	tb_legacy_simple(&b, 1, 100);
	tb_legacy_append(&b, 1, 105, KSD_CODEC_GZIP, 1, NULL, -1, "not-really-gzip", 15);
	fx_init(&f, 100, false);
	fx_walk_buf(&f, &b);
	assert_clean(f.seg);
	assert_int_equal(f.seg->batches, 2);
	assert_false(f.seg->records_exact);
	assert_int_equal(f.seg->last_offset, 105);
	assert_int_equal(f.seg->codec_mask, (1u << 0) | (1u << KSD_CODEC_GZIP));
	fx_free(&f);
}

static void test_empty_segment(void **state)
{
	(void)state;
	fx f;
	fx_init(&f, 500, true);
	fx_walk(&f, NULL, 0);
	assert_clean(f.seg);
	assert_int_equal(f.seg->batches, 0);
	assert_int_equal(f.seg->first_offset, -1);
	assert_int_equal(f.seg->last_offset, -1);
	fx_free(&f);
}

/* --- crc-mismatch ------------------------------------------------------------ */

static void test_crc_mismatch_v2(void **state)
{
	(void)state;
	tb_buf b;
	tb_init(&b);
	tb_v2_simple(&b, 0, 3);
	const size_t bad = tb_v2_simple(&b, 3, 3);
	const size_t next = tb_v2_simple(&b, 6, 3);
	const uint32_t stored = tb_load_be32(b.d + bad + 17);
	b.d[next - 5] ^= 0x04; /* one bit in the last record's value */

	fx f;
	fx_init(&f, 0, true);
	fx_walk_buf(&f, &b);
	assert_int_equal(nfindings(f.seg), 1);
	const ksd_finding *fi = one(f.seg, KSD_P_CRC_MISMATCH);
	assert_int_equal(fi->severity, KSD_SEV_ERROR);
	assert_int_equal(fi->position, bad);
	assert_string_equal(fi->path, SEG_PATH);
	assert_int_equal(fint(fi, "base_offset"), 3);
	assert_int_equal(fint(fi, "last_offset"), 5);
	assert_int_equal(fint(fi, "magic"), 2);
	assert_int_equal(fuint(fi, "batch_bytes"), next - bad);
	assert_int_equal(fhex(fi, "stored_crc"), stored);
	assert_int_equal(fhex(fi, "computed_crc"),
			 ksd_crc32c(0, b.d + bad + 21, next - bad - 21));
	assert_int_not_equal(fhex(fi, "computed_crc"), stored);
	assert_non_null(strstr(fi->message, "CRC-32C"));
	/* Recovery would truncate at the bad batch; what lies beyond is the
	 * one good batch after it, not the bad one itself. */
	assert_int_equal(f.seg->first_damage, bad);
	assert_int_equal(f.seg->valid_bytes, bad);
	assert_int_equal(fuint(fi, "valid_batches_beyond"), 1);
	assert_int_equal(fuint(fi, "valid_bytes_beyond"), b.len - next);
	assert_int_equal(fint(fi, "beyond_first_offset"), 6);
	assert_int_equal(fint(fi, "beyond_last_offset"), 8);
	/* The header was fine: the batch still counts in the statistics. */
	assert_int_equal(f.seg->batches, 3);
	assert_int_equal(f.seg->last_offset, 8);
	fx_free(&f);
}

static void test_crc_mismatch_last_batch(void **state)
{
	(void)state;
	tb_buf b;
	tb_init(&b);
	tb_v2_simple(&b, 0, 2);
	const size_t bad = tb_v2_simple(&b, 2, 2);
	b.d[bad + 30] ^= 0x80; /* baseTimestamp: inside the CRC */
	fx f;
	fx_init(&f, 0, true);
	fx_walk_buf(&f, &b);
	const ksd_finding *fi = one(f.seg, KSD_P_CRC_MISMATCH);
	assert_int_equal(fi->position, bad);
	assert_int_equal(fuint(fi, "valid_batches_beyond"), 0);
	assert_int_equal(fuint(fi, "valid_bytes_beyond"), 0);
	assert_null(field(fi, "beyond_first_offset"));
	fx_free(&f);
}

/* A later batch with a bad CRC is not "valid data beyond" either. */
static void test_crc_mismatch_twice(void **state)
{
	(void)state;
	tb_buf b;
	tb_init(&b);
	tb_v2_simple(&b, 0, 2);
	const size_t bad1 = tb_v2_simple(&b, 2, 2);
	const size_t good = tb_v2_simple(&b, 4, 2);
	const size_t bad2 = tb_v2_simple(&b, 6, 2);
	const size_t last = tb_v2_simple(&b, 8, 2);
	b.d[bad1 + 50] ^= 0x01;
	b.d[bad2 + 50] ^= 0x01;
	fx f;
	fx_init(&f, 0, true);
	fx_walk_buf(&f, &b);
	assert_int_equal(count_problem(f.seg, KSD_P_CRC_MISMATCH), 2);
	const ksd_finding *first = &f.seg->findings->v[0];
	assert_int_equal(first->position, bad1);
	assert_int_equal(f.seg->findings->v[1].position, bad2);
	assert_int_equal(f.seg->first_damage, bad1);
	assert_int_equal(fuint(first, "valid_batches_beyond"), 2);
	assert_int_equal(fuint(first, "valid_bytes_beyond"), (bad2 - good) + (b.len - last));
	assert_int_equal(fint(first, "beyond_first_offset"), 4);
	assert_int_equal(fint(first, "beyond_last_offset"), 9);
	assert_null(field(&f.seg->findings->v[1], "valid_batches_beyond"));
	assert_int_equal(f.seg->batches, 5);
	fx_free(&f);
}

static void test_crc_mismatch_v1(void **state)
{
	(void)state;
	tb_buf b;
	tb_init(&b);
	tb_legacy_simple(&b, 1, 10);
	const size_t bad = tb_legacy_append(&b, 1, 11, 0, 1600000000000ll, "k", 1, "hello", 5);
	tb_legacy_simple(&b, 1, 12);
	b.d[bad + 12 + 4 + 1 + 1 + 8 + 4 + 1 + 4] ^= 0x01; /* 'h' of the value */

	fx f;
	fx_init(&f, 10, false);
	fx_walk_buf(&f, &b);
	assert_int_equal(nfindings(f.seg), 1);
	const ksd_finding *fi = one(f.seg, KSD_P_CRC_MISMATCH);
	assert_int_equal(fi->position, bad);
	assert_int_equal(fint(fi, "magic"), 1);
	assert_int_equal(fint(fi, "base_offset"), 11);
	assert_non_null(strstr(fi->message, "CRC-32 "));
	assert_int_equal(fuint(fi, "valid_batches_beyond"), 1);
	fx_free(&f);

	/* v0 too */
	tb_init(&b);
	const size_t bad0 = tb_legacy_simple(&b, 0, 10);
	b.d[bad0 + 17] ^= 0x02; /* attributes byte, covered */
	fx_init(&f, 10, false);
	fx_walk_buf(&f, &b);
	fi = one(f.seg, KSD_P_CRC_MISMATCH);
	assert_int_equal(fint(fi, "magic"), 0);
	fx_free(&f);
}

/* Bytes outside the checksums may change without a crc-mismatch. */
static void test_crc_not_covered(void **state)
{
	(void)state;
	tb_buf b;
	tb_init(&b);
	const size_t p0 = tb_v2_simple(&b, 0, 2);
	const size_t p1 = tb_legacy_simple(&b, 1, 2);
	b.d[p0 + 13] ^= 0x55; /* v2 partitionLeaderEpoch */
	b.d[p1 + 7] = 7;      /* legacy offset 2 -> 7 */
	fx f;
	fx_init(&f, 0, true);
	fx_walk_buf(&f, &b);
	assert_clean(f.seg);
	assert_int_equal(f.seg->last_offset, 7);
	fx_free(&f);
}

/* KSD_LEVEL_HEADERS walks headers only: no checksum, no crc-mismatch. */
static void test_header_level_skips_crc(void **state)
{
	(void)state;
	tb_buf b;
	tb_init(&b);
	tb_v2_simple(&b, 0, 3);
	const size_t bad = tb_v2_simple(&b, 3, 3);
	tb_v2_simple(&b, 6, 3);
	b.d[bad + 70] ^= 0x01;
	fx f;
	fx_init(&f, 0, true);
	f.cfg.level = KSD_LEVEL_HEADERS;
	fx_walk_buf(&f, &b);
	assert_clean(f.seg);
	assert_int_equal(f.seg->batches, 3);
	assert_int_equal(f.seg->records, 9);
	fx_free(&f);

	/* ... while header damage is still found at that level */
	tb_init(&b);
	tb_v2_simple(&b, 0, 3);
	const size_t cut = tb_v2_simple(&b, 3, 3);
	b.len -= 7;
	fx_init(&f, 0, true);
	f.cfg.level = KSD_LEVEL_HEADERS;
	fx_walk_buf(&f, &b);
	assert_int_equal(one(f.seg, KSD_P_TORN_TAIL)->position, cut);
	fx_free(&f);
}

/* --- torn-tail --------------------------------------------------------------- */

static void build_torn(tb_buf *b, size_t *cut_at, size_t cut_bytes)
{
	tb_init(b);
	tb_v2_simple(b, 0, 2);
	tb_v2_simple(b, 2, 2);
	*cut_at = tb_v2_simple(b, 4, 5);
	b->len -= cut_bytes;
}

static void test_torn_tail_active(void **state)
{
	(void)state;
	tb_buf b;
	size_t cut;
	build_torn(&b, &cut, 9);
	const size_t full = b.len + 9 - cut;
	fx f;
	fx_init(&f, 0, true);
	fx_walk_buf(&f, &b);
	assert_int_equal(nfindings(f.seg), 1);
	const ksd_finding *fi = one(f.seg, KSD_P_TORN_TAIL);
	/* expected after a crash in the active segment */
	assert_int_equal(fi->severity, KSD_SEV_WARNING);
	assert_int_equal(fi->position, cut);
	assert_int_equal(fuint(fi, "torn_bytes"), b.len - cut);
	assert_int_equal(fuint(fi, "truncate_to"), cut);
	assert_int_equal(fuint(fi, "declared_bytes"), full);
	assert_int_equal(fint(fi, "offset"), 4);
	assert_true(fbool(fi, "active_segment"));
	assert_int_equal(f.seg->first_damage, cut);
	assert_int_equal(f.seg->valid_bytes, cut);
	assert_int_equal(f.seg->batches, 2);
	assert_int_equal(f.seg->last_offset, 3);
	fx_free(&f);
}

static void test_torn_tail_older_segment(void **state)
{
	(void)state;
	tb_buf b;
	size_t cut;
	build_torn(&b, &cut, 1);
	fx f;
	fx_init(&f, 0, false);
	fx_walk_buf(&f, &b);
	const ksd_finding *fi = one(f.seg, KSD_P_TORN_TAIL);
	/* in an older segment it means lost data */
	assert_int_equal(fi->severity, KSD_SEV_ERROR);
	assert_false(fbool(fi, "active_segment"));
	fx_free(&f);

	/* Files named one by one have no "active" segment. */
	build_torn(&b, &cut, 1);
	fx_init(&f, 0, true);
	f.part.only_files = true;
	fx_walk_buf(&f, &b);
	assert_int_equal(one(f.seg, KSD_P_TORN_TAIL)->severity, KSD_SEV_ERROR);
	fx_free(&f);
}

static void test_torn_header(void **state)
{
	(void)state;
	/* 1..17 trailing non-zero bytes are too few for an entry */
	for (size_t extra = 1; extra <= 17; extra++) {
		tb_buf b;
		tb_init(&b);
		tb_v2_simple(&b, 0, 2);
		const size_t end = b.len;
		for (size_t i = 0; i < extra; i++)
			tb_u8(&b, (uint8_t)(0x41 + i));
		fx f;
		fx_init(&f, 0, true);
		fx_walk_buf(&f, &b);
		assert_int_equal(nfindings(f.seg), 1);
		const ksd_finding *fi = one(f.seg, KSD_P_TORN_TAIL);
		assert_int_equal(fi->position, end);
		assert_int_equal(fuint(fi, "torn_bytes"), extra);
		assert_int_equal(fuint(fi, "truncate_to"), end);
		assert_null(field(fi, "declared_bytes"));
		assert_int_equal(f.seg->batches, 1);
		fx_free(&f);
	}
	/* Exactly 17 bytes whose size field is below 14: still the end of the
	 * log for the broker (nextBatch returns null), not a corrupt entry. */
	tb_buf b;
	tb_init(&b);
	tb_v2_simple(&b, 0, 2);
	const size_t end = b.len;
	tb_be64(&b, 5);
	tb_be32(&b, 3);
	tb_bytes(&b, "abcde", 5);
	fx f;
	fx_init(&f, 0, true);
	fx_walk_buf(&f, &b);
	assert_int_equal(count_problem(f.seg, KSD_P_CORRUPT_ENTRY), 0);
	assert_int_equal(one(f.seg, KSD_P_TORN_TAIL)->position, end);
	fx_free(&f);
}

/* A size running past EOF with valid batches after it is no torn tail. */
static void test_size_past_eof_midfile(void **state)
{
	(void)state;
	tb_buf b;
	tb_init(&b);
	tb_v2_simple(&b, 0, 2);
	const size_t bad = tb_v2_simple(&b, 2, 2);
	const size_t next = tb_v2_simple(&b, 4, 2);
	tb_v2_simple(&b, 6, 2);
	tb_store_be(b.d + bad + 8, 0x00100000, 4); /* 1 MiB: past the end */
	fx f;
	fx_init(&f, 0, true);
	fx_walk_buf(&f, &b);
	assert_int_equal(count_problem(f.seg, KSD_P_TORN_TAIL), 0);
	const ksd_finding *fi = one(f.seg, KSD_P_CORRUPT_ENTRY);
	assert_int_equal(fi->position, bad);
	assert_string_equal(fstr(fi, "reason"), ksd_entry_status_text(KSD_ENTRY_TORN_BODY));
	assert_int_equal(fuint(fi, "skipped_bytes"), next - bad);
	assert_int_equal(fuint(fi, "valid_batches_beyond"), 2);
	fx_free(&f);
}

/* --- preallocated-tail ----------------------------------------------------- */

static void test_preallocated_tail(void **state)
{
	(void)state;
	tb_buf b;
	tb_init(&b);
	tb_v2_simple(&b, 0, 2);
	tb_v2_simple(&b, 2, 2);
	const size_t end = b.len;
	memset(tb_grow(&b, 4096), 0, 4096);
	fx f;
	fx_init(&f, 0, true);
	fx_walk_buf(&f, &b);
	assert_int_equal(nfindings(f.seg), 1);
	const ksd_finding *fi = one(f.seg, KSD_P_PREALLOCATED_TAIL);
	assert_int_equal(fi->severity, KSD_SEV_WARNING);
	assert_int_equal(fi->position, end);
	assert_int_equal(fuint(fi, "zero_bytes"), 4096);
	assert_int_equal(fuint(fi, "truncate_to"), end);
	assert_int_equal(f.seg->first_damage, end);
	assert_int_equal(f.seg->batches, 2);
	fx_free(&f);

	/* A few zero bytes (fewer than a header) are a zero tail too. */
	tb_init(&b);
	tb_v2_simple(&b, 0, 2);
	memset(tb_grow(&b, 5), 0, 5);
	fx_init(&f, 0, true);
	fx_walk_buf(&f, &b);
	assert_int_equal(one(f.seg, KSD_P_PREALLOCATED_TAIL)->position, b.len - 5);
	assert_int_equal(count_problem(f.seg, KSD_P_TORN_TAIL), 0);
	fx_free(&f);

	/* A whole file of zeros. */
	tb_init(&b);
	memset(tb_grow(&b, 1000), 0, 1000);
	fx_init(&f, 0, true);
	fx_walk_buf(&f, &b);
	assert_int_equal(one(f.seg, KSD_P_PREALLOCATED_TAIL)->position, 0);
	assert_int_equal(f.seg->batches, 0);
	fx_free(&f);
}

static void test_zeros_then_data_is_not_preallocated(void **state)
{
	(void)state;
	/* Zeros followed by a non-zero byte are not an untrimmed tail. */
	tb_buf b;
	tb_init(&b);
	tb_v2_simple(&b, 0, 2);
	const size_t end = b.len;
	memset(tb_grow(&b, 100), 0, 100);
	tb_u8(&b, 1);
	fx f;
	fx_init(&f, 0, true);
	fx_walk_buf(&f, &b);
	assert_int_equal(count_problem(f.seg, KSD_P_PREALLOCATED_TAIL), 0);
	const ksd_finding *fi = one(f.seg, KSD_P_CORRUPT_ENTRY);
	assert_int_equal(fi->position, end);
	assert_int_equal(fint(fi, "size_field"), 0);
	assert_int_equal(fuint(fi, "skipped_bytes"), 101);
	assert_int_equal(fuint(fi, "valid_batches_beyond"), 0);
	fx_free(&f);
}

/* --- corrupt-entry ------------------------------------------------------------ */

static void test_corrupt_entry_resync(void **state)
{
	(void)state;
	tb_buf b;
	tb_init(&b);
	tb_v2_simple(&b, 0, 3);
	const size_t bad = b.len;
	tb_be64(&b, 3);
	tb_be32(&b, 5); /* size 5 < 14 */
	tb_bytes(&b, "XXXXX", 5);
	const size_t resume = b.len;
	tb_v2_simple(&b, 3, 2);
	tb_legacy_simple(&b, 1, 5);
	tb_v2_simple(&b, 6, 4);

	fx f;
	fx_init(&f, 0, true);
	fx_walk_buf(&f, &b);
	assert_int_equal(nfindings(f.seg), 1);
	const ksd_finding *fi = one(f.seg, KSD_P_CORRUPT_ENTRY);
	assert_int_equal(fi->severity, KSD_SEV_ERROR);
	assert_int_equal(fi->position, bad);
	assert_string_equal(fstr(fi, "reason"),
			    ksd_entry_status_text(KSD_ENTRY_SIZE_TOO_SMALL));
	assert_int_equal(fint(fi, "size_field"), 5);
	assert_int_equal(fint(fi, "magic"), 'X');
	assert_int_equal(fuint(fi, "skipped_bytes"), resume - bad);
	char where[64];
	snprintf(where, sizeof where, "next valid batch at byte %zu", resume);
	assert_non_null(strstr(fi->message, where));
	/* What recovery (truncating at `bad`) would throw away. */
	assert_int_equal(fuint(fi, "valid_batches_beyond"), 3);
	assert_int_equal(fuint(fi, "valid_bytes_beyond"), b.len - resume);
	assert_int_equal(fint(fi, "beyond_first_offset"), 3);
	assert_int_equal(fint(fi, "beyond_last_offset"), 9);
	assert_non_null(strstr(fi->message, "would discard them"));
	assert_int_equal(f.seg->first_damage, bad);
	assert_int_equal(f.seg->valid_bytes, bad);
	/* The walk went on: every valid batch is in the statistics. */
	assert_int_equal(f.seg->batches, 4);
	assert_int_equal(f.seg->records, 3 + 2 + 1 + 4);
	assert_int_equal(f.seg->last_offset, 9);
	fx_free(&f);
}

static void test_corrupt_entry_nothing_follows(void **state)
{
	(void)state;
	tb_buf b;
	tb_init(&b);
	tb_v2_simple(&b, 0, 3);
	const size_t bad = b.len;
	tb_be64(&b, 3);
	tb_be32(&b, 13);
	tb_bytes(&b, "0123456789abcdefghij", 20);
	fx f;
	fx_init(&f, 0, true);
	fx_walk_buf(&f, &b);
	const ksd_finding *fi = one(f.seg, KSD_P_CORRUPT_ENTRY);
	assert_int_equal(fi->position, bad);
	assert_int_equal(fint(fi, "size_field"), 13);
	assert_int_equal(fuint(fi, "skipped_bytes"), b.len - bad);
	assert_non_null(strstr(fi->message, "no valid batch follows"));
	assert_int_equal(fuint(fi, "valid_batches_beyond"), 0);
	assert_int_equal(f.seg->batches, 1);
	fx_free(&f);
}

/* Resync ignores look-alike headers whose offsets cannot belong here. */
static void test_corrupt_entry_resync_skips_foreign_offsets(void **state)
{
	(void)state;
	tb_buf b;
	tb_init(&b);
	tb_v2_simple(&b, 1000, 1);
	const size_t bad = b.len;
	tb_be64(&b, 0);
	tb_be32(&b, 2);
	tb_bytes(&b, "zz", 2);
	tb_v2_simple(&b, 5, 1); /* valid bytes, but below the segment base */
	const size_t resume = tb_v2_simple(&b, 1001, 1);
	fx f;
	fx_init(&f, 1000, true);
	fx_walk_buf(&f, &b);
	const ksd_finding *fi = one(f.seg, KSD_P_CORRUPT_ENTRY);
	assert_int_equal(fuint(fi, "skipped_bytes"), resume - bad);
	assert_int_equal(fuint(fi, "valid_batches_beyond"), 1);
	assert_int_equal(count_problem(f.seg, KSD_P_BASE_OFFSET_MISMATCH), 0);
	fx_free(&f);
}

/* --- unknown magic ------------------------------------------------------------ */

static void test_unknown_magic(void **state)
{
	(void)state;
	static const uint8_t magics[] = {3, 0xff, 0x7f};
	for (size_t i = 0; i < sizeof magics; i++) {
		tb_buf b;
		tb_init(&b);
		tb_v2_simple(&b, 0, 2);
		const size_t bad = tb_v2_simple(&b, 2, 2);
		const size_t next = tb_v2_simple(&b, 4, 2);
		b.d[bad + 16] = magics[i];
		fx f;
		fx_init(&f, 0, true);
		fx_walk_buf(&f, &b);
		assert_int_equal(nfindings(f.seg), 1);
		const ksd_finding *fi = one(f.seg, KSD_P_CORRUPT_ENTRY);
		assert_int_equal(fi->position, bad);
		assert_string_equal(fstr(fi, "reason"), ksd_entry_status_text(KSD_ENTRY_BAD_MAGIC));
		assert_int_equal(fint(fi, "magic"), (int8_t)magics[i]);
		assert_int_equal(fuint(fi, "skipped_bytes"), next - bad);
		assert_int_equal(fuint(fi, "valid_batches_beyond"), 1);
		assert_int_equal(f.seg->batches, 2);
		fx_free(&f);
	}
	/* Known magics in any order are fine (covered by the mixed segment);
	 * a v2 header with a bad codec is corrupt too. */
	tb_buf b;
	tb_init(&b);
	tb_v2 s = tb_v2_spec(0, 2);
	s.attributes = 5;
	const size_t bad = tb_v2_append(&b, &s);
	tb_v2_simple(&b, 2, 2);
	fx f;
	fx_init(&f, 0, true);
	fx_walk_buf(&f, &b);
	const ksd_finding *fi = one(f.seg, KSD_P_CORRUPT_ENTRY);
	assert_int_equal(fi->position, bad);
	assert_string_equal(fstr(fi, "reason"), ksd_entry_status_text(KSD_ENTRY_BAD_CODEC));
	fx_free(&f);
}

/* --- offset-overflow ---------------------------------------------------------- */

static void test_offset_overflow(void **state)
{
	(void)state;
	tb_buf b;
	tb_init(&b);
	tb_v2_simple(&b, 0, 2);
	tb_v2 s = tb_v2_spec(TWO31 + 5, 3);
	s.last_delta = 5; /* lastOffset = base + 2^31 + 10 */
	const size_t over = tb_v2_append(&b, &s);
	tb_v2_simple(&b, TWO31 + 20, 1); /* a second one: reported once */
	fx f;
	fx_init(&f, 0, true);
	fx_walk_buf(&f, &b);
	assert_int_equal(nfindings(f.seg), 1);
	const ksd_finding *fi = one(f.seg, KSD_P_OFFSET_OVERFLOW);
	assert_int_equal(fi->severity, KSD_SEV_ERROR);
	assert_int_equal(fi->position, over);
	assert_true(fint(fi, "last_offset") == TWO31 + 10);
	assert_int_equal(fint(fi, "segment_base_offset"), 0);
	assert_true(fuint(fi, "relative_offset") == (uint64_t)TWO31 + 10);
	/* not damage: recovery would not truncate for it */
	assert_int_equal(f.seg->first_damage, -1);
	assert_true(f.seg->last_offset == TWO31 + 20);
	fx_free(&f);

	/* Relative to a non-zero base: one above the int32 range fires ... */
	tb_init(&b);
	s = tb_v2_spec(1000 + TWO31, 1);
	tb_v2_append(&b, &s);
	fx_init(&f, 1000, true);
	fx_walk_buf(&f, &b);
	assert_true(one(f.seg, KSD_P_OFFSET_OVERFLOW) != NULL);
	fx_free(&f);
}

static void test_offset_overflow_boundary(void **state)
{
	(void)state;
	/* lastOffset - base == 2^31 - 1 still fits an int32: no finding. */
	tb_buf b;
	tb_init(&b);
	tb_v2_simple(&b, 1000, 1);
	tb_v2 s = tb_v2_spec(1000 + TWO31 - 10, 2);
	s.last_delta = 9;
	tb_v2_append(&b, &s);
	fx f;
	fx_init(&f, 1000, true);
	fx_walk_buf(&f, &b);
	assert_clean(f.seg);
	assert_true(f.seg->last_offset == 1000 + TWO31 - 1);
	fx_free(&f);
}

/* --- base-offset-mismatch ------------------------------------------------------ */

static void test_base_offset_mismatch(void **state)
{
	(void)state;
	tb_buf b;
	tb_init(&b);
	const size_t first = tb_v2_simple(&b, 50, 10);
	tb_v2_simple(&b, 60, 50); /* still below 100 in part: reported once */
	tb_v2_simple(&b, 110, 5);
	fx f;
	fx_init(&f, 100, true);
	fx_walk_buf(&f, &b);
	assert_int_equal(nfindings(f.seg), 1);
	const ksd_finding *fi = one(f.seg, KSD_P_BASE_OFFSET_MISMATCH);
	assert_int_equal(fi->severity, KSD_SEV_ERROR);
	assert_int_equal(fi->position, first);
	assert_int_equal(fint(fi, "batch_offset"), 50);
	assert_int_equal(fint(fi, "segment_base_offset"), 100);
	assert_int_equal(f.seg->first_offset, 50);
	fx_free(&f);

	/* legacy entries too */
	tb_init(&b);
	tb_legacy_simple(&b, 1, 99);
	fx_init(&f, 100, false);
	fx_walk_buf(&f, &b);
	assert_int_equal(fint(one(f.seg, KSD_P_BASE_OFFSET_MISMATCH), "batch_offset"), 99);
	fx_free(&f);
}

static void test_compacted_starts_above_base(void **state)
{
	(void)state;
	/* A compacted segment's first batch may start above its base. */
	tb_buf b;
	tb_init(&b);
	tb_v2_simple(&b, 150, 2);
	tb_v2 s = tb_v2_spec(400, 1);
	s.last_delta = 30;
	tb_v2_append(&b, &s);
	fx f;
	fx_init(&f, 100, false);
	f.part.compacted = true;
	fx_walk_buf(&f, &b);
	assert_clean(f.seg);
	assert_int_equal(f.seg->first_offset, 150);
	assert_int_equal(f.seg->last_offset, 430);
	fx_free(&f);

	/* Exactly at the base is fine as well. */
	tb_init(&b);
	tb_v2_simple(&b, 100, 2);
	fx_init(&f, 100, false);
	fx_walk_buf(&f, &b);
	assert_clean(f.seg);
	fx_free(&f);
}

/* --- several defects in one file ------------------------------------------------ */

static void test_multiple_defects(void **state)
{
	(void)state;
	tb_buf b;
	tb_init(&b);
	tb_v2_simple(&b, 0, 1);
	const size_t crc_bad = tb_v2_simple(&b, 1, 1);
	b.d[crc_bad + 40] ^= 1;
	const size_t corrupt = b.len;
	tb_be64(&b, 2);
	tb_be32(&b, 0);
	tb_bytes(&b, "junk!", 5);
	tb_v2_simple(&b, 2, 1);
	const size_t torn = tb_v2_simple(&b, 3, 4);
	b.len -= 3;
	fx f;
	fx_init(&f, 0, true);
	fx_walk_buf(&f, &b);
	assert_int_equal(one(f.seg, KSD_P_CRC_MISMATCH)->position, crc_bad);
	assert_int_equal(one(f.seg, KSD_P_CORRUPT_ENTRY)->position, corrupt);
	assert_int_equal(one(f.seg, KSD_P_TORN_TAIL)->position, torn);
	/* the first damage is where recovery stops, and the summary is on it */
	assert_int_equal(f.seg->first_damage, crc_bad);
	const ksd_finding *first = one(f.seg, KSD_P_CRC_MISMATCH);
	assert_int_equal(fuint(first, "valid_batches_beyond"), 1);
	assert_null(field(one(f.seg, KSD_P_CORRUPT_ENTRY), "valid_batches_beyond"));
	fx_free(&f);
}

/* --- pread backend ------------------------------------------------------------- */

/*
 * The corrupt-entry report quotes the bad header's size field and magic.
 * In pread mode those bytes live in the source's buffer, which the zero-tail
 * test and the resync refill (and may grow, freeing the old one) before the
 * report is written: the report must not read through a stale pointer.
 */
static void walk_file_pread(size_t cap, size_t max_cap)
{
	tb_buf b;
	tb_init(&b);
	tb_v2_simple(&b, 0, 2);
	const size_t bad = b.len;
	tb_be64(&b, 2);
	tb_be32(&b, 5);
	tb_bytes(&b, "QQQQQ", 5);
	tb_v2 s = tb_v2_spec(2, 40);
	s.value_len = 60;
	const size_t resume = tb_v2_append(&b, &s);
	tb_v2_simple(&b, 42, 3);
	assert_true(b.len > 3 * cap);

	char path[] = "/tmp/ksd-test-walk-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, b.d, b.len), (ssize_t)b.len);
	close(fd);

	ksd_readbuf rb;
	assert_int_equal(ksd_readbuf_init(&rb, cap, max_cap), KSD_OK);
	ksd_source src;
	assert_int_equal(ksd_source_open(&src, path, KSD_IO_PREAD, &rb), KSD_OK);
	unlink(path);
	fx f;
	fx_init(&f, 0, true);
	ksd_walk_segment(&f.cfg, &src, &f.part, f.seg, &f.bytes_done);
	ksd_source_close(&src);
	ksd_readbuf_free(&rb);

	assert_true(f.seg->walked);
	assert_int_equal(nfindings(f.seg), 1);
	const ksd_finding *fi = one(f.seg, KSD_P_CORRUPT_ENTRY);
	assert_int_equal(fi->position, bad);
	assert_int_equal(fint(fi, "size_field"), 5);
	assert_int_equal(fint(fi, "magic"), 'Q');
	assert_int_equal(fuint(fi, "skipped_bytes"), resume - bad);
	assert_int_equal(fuint(fi, "valid_batches_beyond"), 2);
	assert_int_equal(f.seg->batches, 3);
	assert_int_equal(f.seg->records, 2 + 40 + 3);
	fx_free(&f);
}

static void test_pread_buffer_refilled(void **state)
{
	(void)state;
	walk_file_pread(512, 512); /* cannot grow: refilled in place */
}

static void test_pread_buffer_grown(void **state)
{
	(void)state;
	walk_file_pread(512, 1 << 20); /* grows: the old buffer is freed */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_healthy_v2),
		cmocka_unit_test(test_healthy_mixed_magic),
		cmocka_unit_test(test_empty_segment),
		cmocka_unit_test(test_crc_mismatch_v2),
		cmocka_unit_test(test_crc_mismatch_last_batch),
		cmocka_unit_test(test_crc_mismatch_twice),
		cmocka_unit_test(test_crc_mismatch_v1),
		cmocka_unit_test(test_crc_not_covered),
		cmocka_unit_test(test_header_level_skips_crc),
		cmocka_unit_test(test_torn_tail_active),
		cmocka_unit_test(test_torn_tail_older_segment),
		cmocka_unit_test(test_torn_header),
		cmocka_unit_test(test_size_past_eof_midfile),
		cmocka_unit_test(test_preallocated_tail),
		cmocka_unit_test(test_zeros_then_data_is_not_preallocated),
		cmocka_unit_test(test_corrupt_entry_resync),
		cmocka_unit_test(test_corrupt_entry_nothing_follows),
		cmocka_unit_test(test_corrupt_entry_resync_skips_foreign_offsets),
		cmocka_unit_test(test_unknown_magic),
		cmocka_unit_test(test_offset_overflow),
		cmocka_unit_test(test_offset_overflow_boundary),
		cmocka_unit_test(test_base_offset_mismatch),
		cmocka_unit_test(test_compacted_starts_above_base),
		cmocka_unit_test(test_multiple_defects),
		cmocka_unit_test(test_pread_buffer_refilled),
		cmocka_unit_test(test_pread_buffer_grown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
