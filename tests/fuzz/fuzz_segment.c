/*
 * Fuzz target: arbitrary bytes walked as one .log segment by pass 1
 * (ksd_walk_segment), at CRC level and at header level, from memory; then
 * once more at CRC level through the pread backend with a tiny buffer, whose
 * result must be identical to the memory walk (the buffer is refilled many
 * times per entry, so any pointer the walker keeps into it goes stale).
 * The segment's base offset is the input's first 8 bytes, so the first
 * entry usually belongs to the segment and the offset checks run on real
 * values.  Invariants of the walk abort; findings are freed every run.
 */
#include <fcntl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/scan_internal.h"
#include "ksd/cursor.h"
#include "fuzz_scratch.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define SEG_PATH "/fuzz/topic-0/00000000000000000000.log"

typedef struct run {
	ksd_config cfg;
	ksd_partition part;
	ksd_segment segs[2]; /* segs[1]: the active segment, the one walked */
	uint64_t bytes_done;
} run;

static void run_init(run *r, int64_t base, ksd_level level)
{
	memset(r, 0, sizeof *r);
	ksd_config_init(&r->cfg);
	r->cfg.level = level;
	r->cfg.max_findings_per_problem = 16;
	r->part.path = (char *)"/fuzz/topic-0";
	r->part.dir_name = (char *)"topic-0";
	r->part.segments = r->segs;
	r->part.nsegments = 2;
	for (int i = 0; i < 2; i++) {
		ksd_segment *s = &r->segs[i];
		s->base_offset = i == 0 ? base / 2 : base;
		s->log_path = (char *)SEG_PATH;
		s->first_offset = s->last_offset = s->max_timestamp = -1;
		s->first_damage = -1;
	}
}

static void run_free(run *r)
{
	for (int i = 0; i < 2; i++)
		if (r->segs[i].findings) {
			ksd_findings_free(r->segs[i].findings);
			free(r->segs[i].findings);
			r->segs[i].findings = NULL;
		}
}

static void check(bool ok)
{
	if (!ok)
		abort();
}

/* What every walk must establish, whatever the bytes. */
static void check_walk(const run *r, size_t size)
{
	const ksd_segment *s = &r->segs[1];
	check(r->bytes_done == size);
	check(s->log_size == size);
	check(s->valid_bytes <= size);
	check(s->first_damage >= -1 && s->first_damage <= (int64_t)size);
	check(s->first_damage < 0 ? s->valid_bytes == size
				  : s->valid_bytes == (uint64_t)s->first_damage);
	/* every batch is at least 12 + 14 bytes */
	check(s->batches <= size / 26);
	/* (first_offset can be any file value, -1 included, once batches exist) */
	check(s->batches > 0 || (s->first_offset == -1 && s->magic_mask == 0));
	check(s->batches == 0 || s->magic_mask != 0);
	check((s->magic_mask & ~7u) == 0);
	check(s->batches == 0 || s->first_offset <= s->last_offset);
	if (s->findings) {
		const ksd_findings *f = s->findings;
		for (size_t i = 0; i < f->n; i++) {
			const ksd_finding *fi = &f->v[i];
			check((unsigned)fi->problem < KSD_P__COUNT);
			check(fi->message && fi->path && strcmp(fi->path, SEG_PATH) == 0);
			check(fi->position >= 0 && fi->position <= (int64_t)size);
			check(fi->nfields <= KSD_FINDING_MAX_FIELDS);
		}
		for (unsigned p = 0; p < KSD_P__COUNT; p++)
			check(f->count_by_problem[p] <= r->cfg.max_findings_per_problem);
	}
}

static void walk_memory(run *r, const uint8_t *data, size_t size)
{
	ksd_source src;
	ksd_source_from_memory(&src, data, size);
	ksd_walk_segment(&r->cfg, &src, &r->part, &r->segs[1], &r->bytes_done);
	ksd_source_close(&src);
	check(r->segs[1].walked);
}

static bool same_findings(const ksd_findings *a, const ksd_findings *b)
{
	size_t na = a ? a->n : 0, nb = b ? b->n : 0;
	if (na != nb)
		return false;
	for (size_t i = 0; i < na; i++) {
		const ksd_finding *x = &a->v[i], *y = &b->v[i];
		if (x->problem != y->problem || x->severity != y->severity ||
		    x->position != y->position || strcmp(x->message, y->message) != 0 ||
		    x->nfields != y->nfields)
			return false;
		for (unsigned k = 0; k < x->nfields; k++)
			if (strcmp(x->fields[k].name, y->fields[k].name) != 0 ||
			    memcmp(&x->fields[k].v, &y->fields[k].v, sizeof x->fields[k].v) != 0)
				return false;
	}
	return true;
}

/* The pread walk must see exactly what the memory walk saw. */
static void walk_pread_and_compare(const run *mem, const uint8_t *data, size_t size,
				   int64_t base)
{
	if (!fuzz_scratch_write("segment", data, size))
		return;
	ksd_readbuf rb;
	/* 64 bytes hold one v2 header (61); growth up to 256 bytes */
	if (ksd_readbuf_init(&rb, 64, 256) != KSD_OK)
		return;
	ksd_source src;
	if (ksd_source_open(&src, fuzz_scratch_path("segment"), KSD_IO_PREAD, &rb) != KSD_OK) {
		ksd_readbuf_free(&rb);
		return;
	}
	run r;
	run_init(&r, base, KSD_LEVEL_CRC);
	ksd_walk_segment(&r.cfg, &src, &r.part, &r.segs[1], &r.bytes_done);
	ksd_source_close(&src);
	ksd_readbuf_free(&rb);
	check(r.segs[1].walked);
	check_walk(&r, size);
	const ksd_segment *a = &mem->segs[1], *b = &r.segs[1];
	check(a->batches == b->batches && a->records == b->records &&
	      a->records_exact == b->records_exact && a->first_offset == b->first_offset &&
	      a->last_offset == b->last_offset && a->max_timestamp == b->max_timestamp &&
	      a->magic_mask == b->magic_mask && a->codec_mask == b->codec_mask &&
	      a->valid_bytes == b->valid_bytes && a->first_damage == b->first_damage);
	check(same_findings(a->findings, b->findings));
	run_free(&r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const int64_t base = size >= 8 ? (int64_t)ksd_load_be64(data) : 0;
	run r;

	run_init(&r, base, KSD_LEVEL_HEADERS);
	walk_memory(&r, data, size);
	check_walk(&r, size);
	run_free(&r);

	run_init(&r, base, KSD_LEVEL_CRC);
	walk_memory(&r, data, size);
	check_walk(&r, size);
	walk_pread_and_compare(&r, data, size, base);
	run_free(&r);
	return 0;
}
