/*
 * Unit tests for the index checks (src/core/index.c, index_report.c): each
 * rule once where it must fire and once where it must not, on segments the
 * fixture writer builds exactly as a broker does (src/gen: index entries by
 * index.interval.bytes, keys by first or last offset, preallocated files),
 * then damaged by hand one way at a time.  The verifier runs through the
 * real pass-1 walk over memory sources.
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

#include "core/scan_internal.h"
#include "gen/content.h"
#include "gen/writer.h"
#include "ksd/files.h"

#define TS0 INT64_C(1700000000000)
#define BATCH_BYTES 1151 /* 10 fixed records (GEN_ORDERS_BATCH_BYTES) */
#define NBATCH 20

/* --- fixture: a segment as a broker writes it --------------------------------- */

typedef struct built {
	ksd_gen_segment g;
	uint8_t *index, *timeindex; /* mutable copies */
	size_t index_len, timeindex_len;
} built;

static void copy_out(const ksd_gen_buf *b, uint8_t **out, size_t *len)
{
	*len = b->len;
	*out = malloc(b->len ? b->len : 1);
	assert_non_null(*out);
	if (b->len)
		memcpy(*out, b->data, b->len);
}

/* NBATCH batches of 10 records at base + 10 i, max timestamp TS0 + 100 i + 9;
 * with interval 1000 every batch after the first gets an index entry. */
static void build(built *b, int64_t base, int32_t interval, bool first_key, bool prealloc)
{
	gen_batch_arena *a = malloc(sizeof *a);
	assert_non_null(a);
	ksd_gen_segment_opts o = {.index_interval_bytes = interval,
				  .index_first_offset = first_key,
				  .preallocate = prealloc};
	assert_int_equal(ksd_gen_segment_open(&b->g, NULL, base, &o), KSD_OK);
	for (int i = 0; i < NBATCH; i++) {
		gen_fixed_records(a, base + 10 * i, 10);
		ksd_gen_batch_spec s;
		ksd_gen_batch_spec_init(&s);
		s.base_offset = base + 10 * i;
		s.base_timestamp = TS0 + 100 * i;
		s.records = a->recs;
		s.record_count = 10;
		assert_int_equal(ksd_gen_segment_append_v2(&b->g, NULL, &s, NULL), KSD_OK);
	}
	assert_int_equal(ksd_gen_segment_close(&b->g), KSD_OK);
	free(a);
	copy_out(&b->g.index, &b->index, &b->index_len);
	copy_out(&b->g.timeindex, &b->timeindex, &b->timeindex_len);
}

static void built_free(built *b)
{
	ksd_gen_segment_free(&b->g);
	free(b->index);
	free(b->timeindex);
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static void put64(uint8_t *p, uint64_t v)
{
	put32(p, (uint32_t)(v >> 32));
	put32(p + 4, (uint32_t)v);
}

static void set_oentry(uint8_t *ix, size_t slot, int32_t rel, int32_t pos)
{
	put32(ix + 8 * slot, (uint32_t)rel);
	put32(ix + 8 * slot + 4, (uint32_t)pos);
}

static void set_tentry(uint8_t *tix, size_t slot, int64_t ts, int32_t rel)
{
	put64(tix + 12 * slot, (uint64_t)ts);
	put32(tix + 12 * slot + 8, (uint32_t)rel);
}

/* --- running the verifier through the pass-1 walk ------------------------------ */

typedef struct verified {
	ksd_config cfg;
	ksd_partition part;
	ksd_segment segs[2];
	ksd_index_analysis oa, ta;
	ksd_findings findings;
} verified;

static void verify(verified *v, const built *b, int64_t base, const uint8_t *log, size_t log_len)
{
	memset(v, 0, sizeof *v);
	ksd_config_init(&v->cfg);
	v->part.path = (char *)"/fake/logdir/t-0";
	v->part.dir_name = (char *)"t-0";
	assert_true(ksd_parse_partition_dir("t-0", &v->part.name));
	v->part.segments = v->segs;
	v->part.nsegments = 2;
	ksd_findings_init(&v->part.findings, 50);
	ksd_findings_init(&v->findings, 50);
	for (int i = 0; i < 2; i++) {
		v->segs[i].base_offset = base + i * 1000000;
		v->segs[i].log_path = (char *)"/fake/logdir/t-0/x.log";
		v->segs[i].first_offset = v->segs[i].last_offset = v->segs[i].max_timestamp = -1;
		v->segs[i].first_damage = -1;
	}
	ksd_file_image oim = ksd_file_image_mem(b->index, b->index_len);
	ksd_file_image tim = ksd_file_image_mem(b->timeindex, b->timeindex_len);
	ksd_index_analyze(KSD_INDEX_OFFSET, base, &oim, -1, &v->oa);
	ksd_index_analyze(KSD_INDEX_TIME, base, &tim, -1, &v->ta);
	ksd_index_verifier ixv;
	ksd_ixv_init(&ixv, base, &oim, &v->oa, &tim, &v->ta);
	ksd_source src;
	uint64_t done = 0;
	ksd_source_from_memory(&src, log, log_len);
	ksd_walk_segment_ixv(&v->cfg, &src, &v->part, &v->segs[0], &done, &ixv);
	ksd_source_close(&src);
	assert_true(v->segs[0].walked);
	assert_true(v->oa.verified);
	assert_true(v->ta.verified);
}

static void verified_free(verified *v)
{
	ksd_findings_free(&v->part.findings);
	ksd_findings_free(&v->findings);
	if (v->segs[0].findings) {
		ksd_findings_free(v->segs[0].findings);
		free(v->segs[0].findings);
	}
}

static uint64_t issues(const ksd_index_analysis *a)
{
	uint64_t n = 0;
	for (unsigned r = 0; r < KSD_IXR__COUNT; r++)
		n += a->issue[r].count;
	return n;
}

static void ctx_init(ksd_index_ctx *c, const char *version)
{
	memset(c, 0, sizeof *c);
	c->path = "/fake/logdir/t-0/00000000000000000000.index";
	c->magic_mask = 1u << 2;
	c->has_timeindex = true;
	c->clean_shutdown = true;
	if (version)
		assert_true(ksd_kversion_parse(version, &c->kafka_version));
}

/* The findings of one analysis under one context. */
static const ksd_finding *report_one(ksd_findings *f, const ksd_index_analysis *a,
				     const ksd_index_ctx *c, ksd_problem code)
{
	ksd_findings_free(f);
	ksd_findings_init(f, 50);
	ksd_index_report(a, c, f);
	const ksd_finding *hit = NULL;
	for (size_t i = 0; i < f->n; i++)
		if (f->v[i].problem == code)
			hit = &f->v[i];
	return hit;
}

/* --- healthy segments: nothing fires --------------------------------------------- */

static void test_healthy_last_offset_keys(void **state)
{
	(void)state;
	built b;
	verified v;
	build(&b, 0, 1000, false, false);
	assert_int_equal(b.index_len, (NBATCH - 1) * 8);
	/* LogSegment.append takes the append's own max timestamp into the
	 * entry it adds, so close has nothing larger to append */
	assert_int_equal(b.timeindex_len, (NBATCH - 1) * 12);
	verify(&v, &b, 0, b.g.log.data, b.g.log.len);
	assert_int_equal(v.oa.entries, NBATCH - 1);
	assert_int_equal(v.oa.zero_slots, 0);
	assert_int_equal(issues(&v.oa), 0);
	assert_int_equal(issues(&v.ta), 0);
	assert_false(ksd_index_has_news(&v.oa));
	assert_false(ksd_index_has_news(&v.ta));
	verified_free(&v);
	built_free(&b);
}

static void test_healthy_first_offset_keys(void **state)
{
	(void)state;
	/* <= 1.1 keyed entries by the append's first offset (KAFKA-6530). */
	built b;
	verified v;
	build(&b, 5000, 1000, true, false);
	verify(&v, &b, 5000, b.g.log.data, b.g.log.len);
	assert_int_equal(issues(&v.oa), 0);
	assert_int_equal(issues(&v.ta), 0);
	verified_free(&v);
	built_free(&b);
}

static void test_healthy_sparse_default_interval(void **state)
{
	(void)state;
	built b;
	verified v;
	build(&b, 0, 0, false, false);
	assert_int_equal(b.index_len, 4 * 8);
	verify(&v, &b, 0, b.g.log.data, b.g.log.len);
	assert_int_equal(issues(&v.oa) + issues(&v.ta), 0);
	verified_free(&v);
	built_free(&b);
}

/* A follower appends a fetched chunk of several batches in one append: the
 * entry points at the chunk's first batch with the chunk's last offset. */
static void test_multi_batch_append_is_valid(void **state)
{
	(void)state;
	built b;
	verified v;
	build(&b, 0, 1000, false, false);
	/* Entry 0 (before batch 1): key = last offset of batch 3, batches
	 * 1..3 are one append, so the next entry moves to batch 4. */
	set_oentry(b.index, 0, 39, BATCH_BYTES);
	set_oentry(b.index, 1, 49, 4 * BATCH_BYTES);
	set_oentry(b.index, 2, 59, 5 * BATCH_BYTES);
	b.index_len = 3 * 8;
	verify(&v, &b, 0, b.g.log.data, b.g.log.len);
	assert_int_equal(issues(&v.oa), 0);
	verified_free(&v);
	built_free(&b);
}

/* --- offset index: file-only rules ------------------------------------------------ */

static void test_partial_entry(void **state)
{
	(void)state;
	built b;
	ksd_index_analysis a;
	ksd_findings f;
	ksd_index_ctx c;
	build(&b, 0, 1000, false, false);
	ksd_file_image im = ksd_file_image_mem(b.index, b.index_len - 3);
	ksd_index_analyze(KSD_INDEX_OFFSET, 0, &im, -1, &a);
	assert_int_equal(a.issue[KSD_IXR_PARTIAL_ENTRY].count, 1);
	assert_int_equal(a.partial_bytes, 5);
	ksd_findings_init(&f, 50);
	/* 0.8.x aborts startup on it; 2.x rebuilds; 2.3+ ignores the tail. */
	ctx_init(&c, "0.8.2.2");
	c.magic_mask = 1;
	const ksd_finding *fi = report_one(&f, &a, &c, KSD_P_INDEX_CORRUPT);
	assert_non_null(fi);
	assert_int_equal(fi->severity, KSD_SEV_ERROR);
	assert_non_null(strstr(fi->message, "aborts startup"));
	ctx_init(&c, "2.1.0");
	fi = report_one(&f, &a, &c, KSD_P_INDEX_CORRUPT);
	assert_int_equal(fi->severity, KSD_SEV_WARNING);
	assert_non_null(strstr(fi->message, "rebuilds"));
	ctx_init(&c, "3.7.0");
	fi = report_one(&f, &a, &c, KSD_P_INDEX_CORRUPT);
	assert_int_equal(fi->severity, KSD_SEV_WARNING);
	assert_non_null(strstr(fi->message, "Kafka 3.7.0 loads it unchecked"));
	/* a whole multiple does not fire */
	im = ksd_file_image_mem(b.index, b.index_len);
	ksd_index_analyze(KSD_INDEX_OFFSET, 0, &im, -1, &a);
	assert_int_equal(a.issue[KSD_IXR_PARTIAL_ENTRY].count, 0);
	ksd_findings_free(&f);
	built_free(&b);
}

static void test_swapped_entries(void **state)
{
	(void)state;
	built b;
	verified v;
	build(&b, 0, 1000, false, false);
	uint8_t tmp[8];
	memcpy(tmp, b.index + 8 * 3, 8);
	memcpy(b.index + 8 * 3, b.index + 8 * 4, 8);
	memcpy(b.index + 8 * 4, tmp, 8);
	verify(&v, &b, 0, b.g.log.data, b.g.log.len);
	assert_int_equal(v.oa.issue[KSD_IXR_OFFSET_ORDER].count, 1);
	assert_int_equal(v.oa.issue[KSD_IXR_OFFSET_ORDER].slot, 4);
	assert_int_equal(v.oa.issue[KSD_IXR_POSITION_ORDER].count, 1);
	/* the join stops where the order breaks: no false positives after */
	assert_int_equal(v.oa.ordered_entries, 4);
	assert_int_equal(v.oa.issue[KSD_IXR_NOT_BATCH_START].count, 0);
	ksd_index_ctx c;
	ctx_init(&c, "3.7.0");
	const ksd_finding *fi = report_one(&v.findings, &v.oa, &c, KSD_P_INDEX_CORRUPT);
	assert_non_null(fi);
	assert_int_equal(fi->severity, KSD_SEV_ERROR);
	verified_free(&v);
	built_free(&b);
}

static void test_negative_entry(void **state)
{
	(void)state;
	built b;
	ksd_index_analysis a;
	build(&b, 0, 1000, false, false);
	set_oentry(b.index, 0, -5, BATCH_BYTES);
	ksd_file_image im = ksd_file_image_mem(b.index, b.index_len);
	ksd_index_analyze(KSD_INDEX_OFFSET, 0, &im, -1, &a);
	assert_int_equal(a.issue[KSD_IXR_NEGATIVE].count, 1);
	assert_int_equal(a.ordered_entries, 0);
	built_free(&b);
}

/* --- offset index against the log ----------------------------------------------- */

static void test_entry_inside_a_batch(void **state)
{
	(void)state;
	built b;
	verified v;
	build(&b, 0, 1000, false, false);
	set_oentry(b.index, 5, 69, 6 * BATCH_BYTES + 100);
	verify(&v, &b, 0, b.g.log.data, b.g.log.len);
	const ksd_index_issue *is = &v.oa.issue[KSD_IXR_NOT_BATCH_START];
	assert_int_equal(is->count, 1);
	assert_int_equal(is->slot, 5);
	assert_int_equal(is->b, 6 * BATCH_BYTES + 100);
	assert_int_equal(issues(&v.oa), 1);
	ksd_index_ctx c;
	ctx_init(&c, NULL);
	const ksd_finding *fi = report_one(&v.findings, &v.oa, &c, KSD_P_INDEX_CORRUPT);
	assert_non_null(fi);
	assert_int_equal(fi->severity, KSD_SEV_ERROR);
	assert_non_null(strstr(fi->message, "not at a batch start"));
	assert_non_null(strstr(fi->message, "Kafka version unknown"));
	assert_int_equal(fi->position, 5 * 8);
	verified_free(&v);
	built_free(&b);
}

static void test_entry_past_the_end(void **state)
{
	(void)state;
	built b;
	verified v;
	build(&b, 0, 1000, false, false);
	/* the log lost its last two batches (power loss: the mmap'd index
	 * reached the disk, the log's pages did not) */
	size_t cut = (NBATCH - 2) * BATCH_BYTES;
	verify(&v, &b, 0, b.g.log.data, cut);
	const ksd_index_issue *is = &v.oa.issue[KSD_IXR_PAST_END];
	assert_int_equal(is->count, 2);
	assert_int_equal(is->b, (NBATCH - 2) * BATCH_BYTES);
	assert_int_equal(is->c, cut);
	assert_int_equal(v.ta.issue[KSD_IXR_PAST_END].count, 2);
	verified_free(&v);
	built_free(&b);
}

/* An entry pointing at a batch the walk found damaged is the log's
 * finding (corrupt-entry), not the index's. */
static void test_entry_into_damage_is_skipped(void **state)
{
	(void)state;
	built b;
	verified v;
	build(&b, 0, 1000, false, false);
	uint8_t *log = malloc(b.g.log.len);
	assert_non_null(log);
	memcpy(log, b.g.log.data, b.g.log.len);
	put32(log + 6 * BATCH_BYTES + 8, 5); /* batch 6: size field 5 < 14 */
	verify(&v, &b, 0, log, b.g.log.len);
	assert_int_equal(v.segs[0].first_damage, 6 * BATCH_BYTES);
	assert_int_equal(issues(&v.oa), 0);
	verified_free(&v);
	free(log);
	built_free(&b);
}

static void test_key_below_batch(void **state)
{
	(void)state;
	built b;
	verified v;
	/* default interval: entries at batches 4, 8, 12, 16 (keys 49, 89, ...) */
	build(&b, 0, 0, false, false);
	/* batch 8 holds 80..89: a key of 75 (still above 49) points after
	 * offsets 75..79, so a fetch for them would skip them */
	set_oentry(b.index, 1, 75, 8 * BATCH_BYTES);
	verify(&v, &b, 0, b.g.log.data, b.g.log.len);
	const ksd_index_issue *is = &v.oa.issue[KSD_IXR_KEY_BELOW_BATCH];
	assert_int_equal(is->count, 1);
	assert_int_equal(is->a, 75);
	assert_int_equal(is->c, 80);
	assert_int_equal(issues(&v.oa), 1);
	verified_free(&v);
	built_free(&b);
}

static void test_key_above_append(void **state)
{
	(void)state;
	built b;
	verified v;
	build(&b, 0, 1000, false, false);
	/* batch 7 (70..79) with key 85: no batch before the next entry
	 * (batch 8) reaches it */
	set_oentry(b.index, 6, 85, 7 * BATCH_BYTES);
	verify(&v, &b, 0, b.g.log.data, b.g.log.len);
	assert_int_equal(v.oa.issue[KSD_IXR_KEY_ABOVE_APPEND].count, 1);
	assert_int_equal(v.oa.issue[KSD_IXR_KEY_ABOVE_APPEND].c, 79);
	ksd_index_ctx c;
	ctx_init(&c, "3.7.0");
	const ksd_finding *fi = report_one(&v.findings, &v.oa, &c, KSD_P_INDEX_CORRUPT);
	assert_int_equal(fi->severity, KSD_SEV_WARNING); /* lookups only slower */
	verified_free(&v);
	built_free(&b);
}

/* v0/v1 wrappers carry only their last offset: the verifier must accept
 * keys anywhere after the previous batch (first inner offsets). */
static void test_legacy_wrappers(void **state)
{
	(void)state;
	ksd_gen_segment g;
	ksd_gen_segment_opts o = {.index_interval_bytes = 10, .index_first_offset = true};
	assert_int_equal(ksd_gen_segment_open(&g, NULL, 0, &o), KSD_OK);
	ksd_gen_buf e;
	ksd_gen_buf_init(&e);
	static const char val[200] = "v";
	for (int i = 0; i < 8; i++) {
		ksd_gen_message m[3];
		for (int k = 0; k < 3; k++)
			m[k] = (ksd_gen_message){10 * i + k, TS0 + i, "k", 1, val, 200};
		ksd_gen_wrapper_spec ws = {.magic = 1, .codec = KSD_CODEC_GZIP, .messages = m,
					   .count = 3};
		ksd_gen_batch_info info;
		ksd_gen_buf_clear(&e);
		assert_int_equal(ksd_gen_encode_wrapper(NULL, &e, &ws, &info), KSD_OK);
		assert_int_equal(ksd_gen_segment_append(&g, e.data, e.len, &info), KSD_OK);
	}
	assert_int_equal(ksd_gen_segment_close(&g), KSD_OK);
	built b = {g, NULL, NULL, 0, 0};
	copy_out(&g.index, &b.index, &b.index_len);
	copy_out(&g.timeindex, &b.timeindex, &b.timeindex_len);
	assert_true(b.index_len >= 8 * 4);
	verified v;
	verify(&v, &b, 0, g.log.data, g.log.len);
	assert_int_equal(issues(&v.oa), 0);
	assert_int_equal(issues(&v.ta), 0);
	verified_free(&v);
	ksd_gen_buf_free(&e);
	built_free(&b);
}

/* --- time index --------------------------------------------------------------------- */

static void test_time_rules_fire(void **state)
{
	(void)state;
	built b;
	verified v;
	build(&b, 0, 1000, false, false);
	/* slot 4 names batch 5 (last offset 59) with a timestamp the log only
	 * reaches later, slot 9 goes back in time */
	set_tentry(b.timeindex, 4, TS0 + 100 * 5 + 50, 59);
	set_tentry(b.timeindex, 9, TS0, 99);
	verify(&v, &b, 0, b.g.log.data, b.g.log.len);
	assert_int_equal(v.ta.issue[KSD_IXR_TIME_AHEAD].count, 1);
	assert_int_equal(v.ta.issue[KSD_IXR_TIME_AHEAD].c, TS0 + 100 * 5 + 9);
	assert_int_equal(v.ta.issue[KSD_IXR_TIMESTAMP_ORDER].count, 1);
	assert_int_equal(v.ta.issue[KSD_IXR_TIMESTAMP_ORDER].slot, 9);
	ksd_index_ctx c;
	ctx_init(&c, "2.1.0");
	c.path = "/x/00000000000000000000.timeindex";
	const ksd_finding *fi = report_one(&v.findings, &v.ta, &c, KSD_P_TIMEINDEX_CORRUPT);
	assert_non_null(fi);
	assert_int_equal(fi->severity, KSD_SEV_WARNING);
	verified_free(&v);
	built_free(&b);
}

static void test_time_offset_between_batches(void **state)
{
	(void)state;
	built b;
	build(&b, 0, 1000, false, false);
	/* drop batch 3 from the log: offsets 30..39 become a hole */
	size_t len = b.g.log.len;
	uint8_t *log = malloc(len);
	assert_non_null(log);
	memcpy(log, b.g.log.data, 3 * BATCH_BYTES);
	memcpy(log + 3 * BATCH_BYTES, b.g.log.data + 4 * BATCH_BYTES, len - 4 * BATCH_BYTES);
	b.index_len = 0;
	b.timeindex_len = 12;
	set_tentry(b.timeindex, 0, TS0 + 9, 35);
	verified v;
	verify(&v, &b, 0, log, len - BATCH_BYTES);
	assert_int_equal(v.ta.issue[KSD_IXR_TIME_NOT_IN_BATCH].count, 1);
	assert_int_equal(v.ta.issue[KSD_IXR_TIME_NOT_IN_BATCH].c, 40);
	verified_free(&v);
	free(log);
	built_free(&b);
}

static void test_time_single_zero_entry_is_real(void **state)
{
	(void)state;
	uint8_t z[12] = {0};
	ksd_file_image im = ksd_file_image_mem(z, sizeof z);
	ksd_index_analysis a;
	ksd_index_analyze(KSD_INDEX_TIME, 0, &im, -1, &a);
	assert_int_equal(a.entries, 1);
	assert_int_equal(a.zero_slots, 0);
	assert_false(ksd_index_has_news(&a));
	uint8_t z2[24] = {0};
	im = ksd_file_image_mem(z2, sizeof z2);
	ksd_index_analyze(KSD_INDEX_TIME, 0, &im, -1, &a);
	assert_int_equal(a.entries, 0);
	assert_int_equal(a.zero_slots, 2);
}

/* --- preallocated (untrimmed) indexes ------------------------------------------------ */

static void test_preallocated_active_is_info(void **state)
{
	(void)state;
	built b;
	build(&b, 0, 1000, false, true);
	assert_int_equal(b.index_len, KSD_INDEX_MAX_BYTES_DEFAULT);
	ksd_index_analysis oa, ta;
	ksd_file_image oim = ksd_file_image_mem(b.index, b.index_len);
	ksd_file_image tim = ksd_file_image_mem(b.timeindex, b.timeindex_len);
	ksd_index_analyze(KSD_INDEX_OFFSET, 0, &oim, -1, &oa);
	ksd_index_analyze(KSD_INDEX_TIME, 0, &tim, -1, &ta);
	assert_int_equal(oa.entries, NBATCH - 1);
	assert_int_equal(oa.slots, 1310720);
	assert_int_equal(oa.zero_slots, 1310720 - (NBATCH - 1));
	assert_int_equal(issues(&oa), 0);
	assert_int_equal(ta.entries, NBATCH - 1); /* never closed: no final entry */
	ksd_findings f;
	ksd_findings_init(&f, 50);
	ksd_index_ctx c;
	/* a crashed broker: no clean shutdown, recovery rebuilds it; normal,
	 * so no finding at all */
	ctx_init(&c, NULL);
	c.active = true;
	c.clean_shutdown = false;
	c.rebuilt_at_startup = true;
	const ksd_finding *fi = report_one(&f, &ta, &c, KSD_P_INDEX_PREALLOCATED);
	assert_null(fi);
	assert_int_equal(f.n, 0);
	/* a running broker: the same */
	ctx_init(&c, "3.7.0");
	c.active = true;
	c.broker_running = true;
	assert_null(report_one(&f, &ta, &c, KSD_P_INDEX_PREALLOCATED));
	/* an inactive segment the broker will recover: reported, at info */
	ctx_init(&c, NULL);
	c.rebuilt_at_startup = true;
	fi = report_one(&f, &ta, &c, KSD_P_INDEX_PREALLOCATED);
	assert_non_null(fi);
	assert_int_equal(fi->severity, KSD_SEV_INFO);
	/* the offset index of the active segment is harmless even when the
	 * broker will load it as is */
	ctx_init(&c, "3.7.0");
	c.active = true;
	fi = report_one(&f, &oa, &c, KSD_P_INDEX_PREALLOCATED);
	assert_int_equal(fi->severity, KSD_SEV_INFO);
	assert_non_null(strstr(fi->message, "19 real entries in 1310720 slots"));
	ksd_findings_free(&f);
	built_free(&b);
}

static void test_preallocated_time_index_hazards(void **state)
{
	(void)state;
	built b;
	build(&b, 0, 1000, false, true);
	ksd_index_analysis ta, oa;
	ksd_file_image tim = ksd_file_image_mem(b.timeindex, b.timeindex_len);
	ksd_file_image oim = ksd_file_image_mem(b.index, b.index_len);
	ksd_index_analyze(KSD_INDEX_TIME, 0, &tim, -1, &ta);
	ksd_index_analyze(KSD_INDEX_OFFSET, 0, &oim, -1, &oa);
	ksd_findings f;
	ksd_findings_init(&f, 50);
	ksd_index_ctx c;
	/* clean shutdown, active, not empty, 2.3+: the next roll overflows */
	ctx_init(&c, "3.7.0");
	c.active = true;
	const ksd_finding *fi = report_one(&f, &ta, &c, KSD_P_INDEX_PREALLOCATED);
	assert_int_equal(fi->severity, KSD_SEV_WARNING);
	assert_non_null(strstr(fi->message, "KAFKA-19200"));
	/* 2.2 rebuilds it: its sanity check sees last timestamp 0 < first */
	ctx_init(&c, "2.2.0");
	c.active = true;
	fi = report_one(&f, &ta, &c, KSD_P_INDEX_PREALLOCATED);
	assert_int_equal(fi->severity, KSD_SEV_INFO);
	/* an inactive segment: timestamp 0 makes retention delete it early */
	ctx_init(&c, "3.7.0");
	fi = report_one(&f, &ta, &c, KSD_P_INDEX_PREALLOCATED);
	assert_int_equal(fi->severity, KSD_SEV_ERROR);
	assert_non_null(strstr(fi->message, "KAFKA-10207"));
	c.compacted = true;
	fi = report_one(&f, &ta, &c, KSD_P_INDEX_PREALLOCATED);
	assert_int_equal(fi->severity, KSD_SEV_INFO);
	/* 0.8.x aborts on the offset index zero tail (last offset == base) */
	ctx_init(&c, "0.8.2.2");
	c.magic_mask = 1;
	c.has_timeindex = false;
	fi = report_one(&f, &oa, &c, KSD_P_INDEX_PREALLOCATED);
	assert_int_equal(fi->severity, KSD_SEV_ERROR);
	/* 1.1 rebuilds it (last offset > base required until 2.0) */
	ctx_init(&c, "1.1.1");
	fi = report_one(&f, &oa, &c, KSD_P_INDEX_PREALLOCATED);
	assert_int_equal(fi->severity, KSD_SEV_INFO);
	assert_non_null(strstr(fi->message, "rebuilds"));
	ksd_findings_free(&f);
	built_free(&b);
}

static void test_all_zero_index_of_empty_active_segment(void **state)
{
	(void)state;
	/* What realdata's stopped brokers hold: 10 MiB of zeros, a 0-byte log. */
	uint8_t *z = calloc(1, KSD_INDEX_MAX_BYTES_DEFAULT);
	assert_non_null(z);
	ksd_file_image im = ksd_file_image_mem(z, KSD_INDEX_MAX_BYTES_DEFAULT);
	ksd_index_analysis a;
	ksd_index_analyze(KSD_INDEX_OFFSET, 0, &im, -1, &a);
	assert_int_equal(a.entries, 0);
	assert_int_equal(issues(&a), 0);
	ksd_findings f;
	ksd_findings_init(&f, 50);
	ksd_index_ctx c;
	ctx_init(&c, NULL);
	c.active = true;
	c.log_empty = true;
	const ksd_finding *fi = report_one(&f, &a, &c, KSD_P_INDEX_PREALLOCATED);
	assert_int_equal(fi->severity, KSD_SEV_INFO);
	/* 2.0.0 cannot roll an empty segment whose index looks full (KAFKA-6388) */
	ctx_init(&c, "2.0.0");
	c.active = true;
	c.log_empty = true;
	fi = report_one(&f, &a, &c, KSD_P_INDEX_PREALLOCATED);
	assert_int_equal(fi->severity, KSD_SEV_WARNING);
	/* the same as a hole tail read with SEEK_HOLE */
	ksd_file_image hole = {z, 0, KSD_INDEX_MAX_BYTES_DEFAULT, true, false};
	ksd_index_analysis h;
	ksd_index_analyze(KSD_INDEX_OFFSET, 0, &hole, -1, &h);
	assert_int_equal(h.slots, a.slots);
	assert_int_equal(h.zero_slots, a.zero_slots);
	ksd_findings_free(&f);
	free(z);
}

static void test_capped_image(void **state)
{
	(void)state;
	uint8_t d[16] = {0, 0, 0, 1, 0, 0, 0, 9, 0, 0, 0, 2, 0, 0, 0, 20};
	ksd_file_image im = {d, sizeof d, (uint64_t)100 << 20, false, true};
	ksd_index_analysis a;
	ksd_index_analyze(KSD_INDEX_OFFSET, 0, &im, -1, &a);
	assert_true(a.capped);
	assert_int_equal(a.zero_slots, 0);
	ksd_findings f;
	ksd_findings_init(&f, 50);
	ksd_index_ctx c;
	ctx_init(&c, NULL);
	const ksd_finding *fi = report_one(&f, &a, &c, KSD_P_INDEX_CORRUPT);
	assert_int_equal(fi->severity, KSD_SEV_INFO);
	ksd_findings_free(&f);
}

/* --- transaction index ---------------------------------------------------------------- */

static void txn_put(uint8_t *p, int16_t version, int64_t pid, int64_t first, int64_t last,
		    int64_t lso)
{
	p[0] = (uint8_t)((uint16_t)version >> 8);
	p[1] = (uint8_t)version;
	put64(p + 2, (uint64_t)pid);
	put64(p + 10, (uint64_t)first);
	put64(p + 18, (uint64_t)last);
	put64(p + 26, (uint64_t)lso);
}

static ksd_severity txn_severity(const uint8_t *d, size_t len, int64_t base, int64_t log_last,
				 ksd_index_rule rule)
{
	ksd_file_image im = ksd_file_image_mem(d, len);
	ksd_index_analysis a;
	ksd_index_analyze(KSD_INDEX_TXN, base, &im, log_last, &a);
	assert_int_equal(a.issue[rule].count, 1);
	ksd_findings f;
	ksd_findings_init(&f, 50);
	ksd_index_ctx c;
	ctx_init(&c, "3.7.0");
	c.path = "/x/00000000000000000100.txnindex";
	const ksd_finding *fi = report_one(&f, &a, &c, KSD_P_TXNINDEX_CORRUPT);
	assert_non_null(fi);
	ksd_severity s = fi->severity;
	ksd_findings_free(&f);
	return s;
}

static void test_txn_index(void **state)
{
	(void)state;
	uint8_t d[3 * KSD_TXN_ENTRY_BYTES];
	txn_put(d, 0, 7, 90, 110, 90);
	txn_put(d + 34, 0, 8, 120, 130, 120);
	txn_put(d + 68, 0, 7, 140, 150, 140);
	ksd_file_image im = ksd_file_image_mem(d, sizeof d);
	ksd_index_analysis a;
	ksd_index_analyze(KSD_INDEX_TXN, 100, &im, 200, &a);
	assert_int_equal(a.entries, 3);
	assert_false(ksd_index_has_news(&a));
	ksd_txn_entry e;
	assert_true(ksd_txn_entry_at(&im, 1, &e));
	assert_int_equal(e.producer_id, 8);
	assert_int_equal(e.last_offset, 130);
	/* version byte 1..127 stops every broker from 0.11 */
	txn_put(d + 34, 0x0100, 8, 120, 130, 120);
	assert_int_equal(txn_severity(d, sizeof d, 100, 200, KSD_IXR_TXN_VERSION), KSD_SEV_ERROR);
	/* AbortedTxn.version() reads one byte: int16 1 reads as version 0 */
	txn_put(d + 34, 1, 8, 120, 130, 120);
	assert_int_equal(txn_severity(d, sizeof d, 100, 200, KSD_IXR_TXN_VERSION), KSD_SEV_WARNING);
	/* 0x80.. is read as a negative byte and accepted */
	txn_put(d + 34, (int16_t)0x8000, 8, 120, 130, 120);
	assert_int_equal(txn_severity(d, sizeof d, 100, 200, KSD_IXR_TXN_VERSION), KSD_SEV_WARNING);
	txn_put(d + 34, 0, 8, 120, 130, 120);
	/* below the base: rebuilt at startup */
	txn_put(d, 0, 7, 90, 99, 90);
	assert_int_equal(txn_severity(d, sizeof d, 100, 200, KSD_IXR_TXN_BELOW_BASE), KSD_SEV_WARNING);
	txn_put(d, 0, 7, 90, 110, 90);
	/* last offsets not increasing: read_committed may see aborted data */
	txn_put(d + 68, 0, 7, 125, 125, 125);
	assert_int_equal(txn_severity(d, sizeof d, 100, 200, KSD_IXR_OFFSET_ORDER), KSD_SEV_ERROR);
	txn_put(d + 68, 0, 7, 140, 150, 140);
	/* the marker beyond the log */
	assert_int_equal(txn_severity(d, sizeof d, 100, 145, KSD_IXR_TXN_BEYOND_LOG), KSD_SEV_WARNING);
	/* partial entry */
	assert_int_equal(txn_severity(d, sizeof d - 10, 100, 200, KSD_IXR_PARTIAL_ENTRY),
			 KSD_SEV_WARNING);
}

/* --- regimes --------------------------------------------------------------------------- */

static void test_regimes(void **state)
{
	(void)state;
	ksd_kversion v;
	assert_true(ksd_kversion_parse("0.8.2.2", &v));
	assert_int_equal(ksd_index_regimes(&v, 0, false), KSD_REGIME_08);
	assert_true(ksd_kversion_parse("0.10.1.0", &v));
	assert_int_equal(ksd_index_regimes(&v, 0, false), KSD_REGIME_09_11);
	assert_true(ksd_kversion_parse("2.2.2", &v));
	assert_int_equal(ksd_index_regimes(&v, 0, false), KSD_REGIME_20_22);
	assert_true(ksd_kversion_parse("2.3.0", &v));
	assert_int_equal(ksd_index_regimes(&v, 0, false), KSD_REGIME_23);
	memset(&v, 0, sizeof v);
	assert_int_equal(ksd_index_regimes(&v, 1u, false), 15u);
	assert_int_equal(ksd_index_regimes(&v, 1u << 2, false), 14u); /* v2: 0.11+ */
	assert_int_equal(ksd_index_regimes(&v, 1u, true), 14u);       /* time index: 0.10.1+ */
}

static void test_rebuilt_caps_severity(void **state)
{
	(void)state;
	built b;
	verified v;
	build(&b, 0, 1000, false, false);
	set_oentry(b.index, 5, 69, 6 * BATCH_BYTES + 100);
	verify(&v, &b, 0, b.g.log.data, b.g.log.len);
	ksd_index_ctx c;
	ctx_init(&c, "3.7.0");
	c.active = true;
	c.clean_shutdown = false;
	c.rebuilt_at_startup = true;
	const ksd_finding *fi = report_one(&v.findings, &v.oa, &c, KSD_P_INDEX_CORRUPT);
	assert_int_equal(fi->severity, KSD_SEV_WARNING);
	assert_non_null(strstr(fi->message, "recovers this segment"));
	verified_free(&v);
	built_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_healthy_last_offset_keys),
		cmocka_unit_test(test_healthy_first_offset_keys),
		cmocka_unit_test(test_healthy_sparse_default_interval),
		cmocka_unit_test(test_multi_batch_append_is_valid),
		cmocka_unit_test(test_partial_entry),
		cmocka_unit_test(test_swapped_entries),
		cmocka_unit_test(test_negative_entry),
		cmocka_unit_test(test_entry_inside_a_batch),
		cmocka_unit_test(test_entry_past_the_end),
		cmocka_unit_test(test_entry_into_damage_is_skipped),
		cmocka_unit_test(test_key_below_batch),
		cmocka_unit_test(test_key_above_append),
		cmocka_unit_test(test_legacy_wrappers),
		cmocka_unit_test(test_time_rules_fire),
		cmocka_unit_test(test_time_offset_between_batches),
		cmocka_unit_test(test_time_single_zero_entry_is_real),
		cmocka_unit_test(test_preallocated_active_is_info),
		cmocka_unit_test(test_preallocated_time_index_hazards),
		cmocka_unit_test(test_all_zero_index_of_empty_active_segment),
		cmocka_unit_test(test_capped_image),
		cmocka_unit_test(test_txn_index),
		cmocka_unit_test(test_regimes),
		cmocka_unit_test(test_rebuilt_caps_severity),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
