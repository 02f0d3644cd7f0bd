/*
 * Pass 1: walk one segment's entry chain.
 *
 * Establishes for the later passes: each segment's first and last offset,
 * batch and record counts, max timestamp, and where (if anywhere) the bytes
 * stop being what the broker's recovery would accept.  Reports crc-mismatch,
 * torn-tail, preallocated-tail, corrupt-entry, offset-overflow and
 * base-offset-mismatch.
 *
 * The walk applies the broker's own order of tests (FileLogInputStream
 * .nextBatch, then ensureValid): end of data, size < 14, entry past EOF,
 * magic, then CRC.  Unlike the broker and kafka-dump-log it does not stop at
 * the first bad entry: it searches forward for the next batch that parses and
 * passes its CRC, so the report can say how much valid data recovery would
 * throw away.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ksd/batch.h"
#include "ksd/cursor.h"
#include "ksd/logreader.h"
#include "scan_internal.h"


typedef struct walk {
	const ksd_config *cfg;
	ksd_source src;
	ksd_partition *part;
	ksd_segment *seg;
	ksd_findings *findings; /* lazily allocated */
	bool is_active;         /* last segment of its partition */
	bool verify_crc;
	uint64_t pos;
	uint64_t *bytes_done;
	uint64_t reported_done;
	/* offsets */
	bool base_mismatch_seen;
	uint64_t overflow_batches;
	/* after the first damage */
	bool damaged;
	ssize_t first_damage_finding; /* index in findings, -1 none */
	uint64_t beyond_bytes, beyond_batches, beyond_records;
	int64_t beyond_first, beyond_last;
} walk;

static ksd_findings *walk_findings(walk *w)
{
	if (!w->findings)
		w->findings = ksd_segment_findings(w->cfg, w->seg);
	return w->findings;
}

static void progress(walk *w)
{
	uint64_t done = w->pos < w->src.size ? w->pos : w->src.size;
	if (done > w->reported_done) {
		__atomic_fetch_add(w->bytes_done, done - w->reported_done, __ATOMIC_RELAXED);
		w->reported_done = done;
	}
}

/* Marks the first point recovery would truncate at. */
static void note_damage(walk *w, uint64_t pos)
{
	if (w->damaged)
		return;
	w->damaged = true;
	w->seg->first_damage = (int64_t)pos;
	w->seg->valid_bytes = pos;
	ksd_findings *f = walk_findings(w);
	w->first_damage_finding = f ? (ssize_t)f->n - 1 : -1;
}

/* crc_ok: the checksum matched, or was not verified (header level). */
static void account_batch(walk *w, const ksd_batch *b, bool crc_ok)
{
	ksd_segment *s = w->seg;
	s->batches++;
	if (b->records_count >= 0)
		s->records += (uint64_t)b->records_count;
	else
		s->records_exact = false;
	if (s->first_offset < 0 || b->base_offset < s->first_offset)
		s->first_offset = b->base_offset;
	if (b->last_offset > s->last_offset)
		s->last_offset = b->last_offset;
	if (b->max_timestamp > s->max_timestamp)
		s->max_timestamp = b->max_timestamp;
	s->magic_mask |= 1u << b->magic;
	s->codec_mask |= 1u << b->codec;
	/* Damaged batches (the first one or later ones) are not "valid data
	 * beyond" the damage. */
	if (w->damaged && crc_ok) {
		w->beyond_bytes += b->entry_len;
		w->beyond_batches++;
		if (b->records_count > 0)
			w->beyond_records += (uint64_t)b->records_count;
		if (w->beyond_first < 0)
			w->beyond_first = b->base_offset;
		w->beyond_last = b->last_offset;
	}
}

static void report_crc_mismatch(walk *w, const ksd_batch *b, uint32_t computed)
{
	ksd_finding *f = ksd_report(walk_findings(w), KSD_P_CRC_MISMATCH, w->seg->log_path,
		(int64_t)b->position,
		"batch at byte %" PRIu64 " (offsets %" PRId64 "..%" PRId64 ", magic %d, %" PRIu64
		" bytes) stores %s 0x%08x but its bytes give 0x%08x",
		b->position, b->base_offset, b->last_offset, b->magic, b->entry_len,
		b->magic >= 2 ? "CRC-32C" : "CRC-32", b->stored_crc, computed);
	ksd_finding_int(f, "base_offset", b->base_offset);
	ksd_finding_int(f, "last_offset", b->last_offset);
	ksd_finding_int(f, "magic", b->magic);
	ksd_finding_uint(f, "batch_bytes", b->entry_len);
	ksd_finding_hex32(f, "stored_crc", b->stored_crc);
	ksd_finding_hex32(f, "computed_crc", computed);
	note_damage(w, b->position);
}

static void check_offsets(walk *w, const ksd_batch *b)
{
	ksd_segment *s = w->seg;
	/* Legacy wrappers carry their last offset; it is all a header walk has. */
	if (b->base_offset < s->base_offset && !w->base_mismatch_seen) {
		w->base_mismatch_seen = true;
		ksd_finding *f = ksd_report(walk_findings(w), KSD_P_BASE_OFFSET_MISMATCH,
			s->log_path, (int64_t)b->position,
			"batch at byte %" PRIu64 " starts at offset %" PRId64
			", below the file name's base offset %" PRId64,
			b->position, b->base_offset, s->base_offset);
		ksd_finding_int(f, "batch_offset", b->base_offset);
		ksd_finding_int(f, "segment_base_offset", s->base_offset);
	}
	/* AbstractIndex.toRelative: offset - base must fit an int32. */
	if (b->last_offset > s->base_offset &&
	    (uint64_t)b->last_offset - (uint64_t)s->base_offset > (uint64_t)INT32_MAX) {
		if (w->overflow_batches++ == 0) {
			uint64_t rel = (uint64_t)b->last_offset - (uint64_t)s->base_offset;
			ksd_finding *f = ksd_report(walk_findings(w), KSD_P_OFFSET_OVERFLOW,
				s->log_path, (int64_t)b->position,
				"batch at byte %" PRIu64 " has last offset %" PRId64 ", %" PRIu64
				" above the segment base %" PRId64 " (an int32 relative offset "
				"holds at most 2147483647)",
				b->position, b->last_offset, rel, s->base_offset);
			ksd_finding_int(f, "last_offset", b->last_offset);
			ksd_finding_int(f, "segment_base_offset", s->base_offset);
			ksd_finding_uint(f, "relative_offset", rel);
		}
	}
}

static void report_zero_tail(walk *w, uint64_t pos)
{
	uint64_t n = w->src.size - pos;
	ksd_finding *f = ksd_report(walk_findings(w), KSD_P_PREALLOCATED_TAIL,
		w->seg->log_path, (int64_t)pos,
		"%" PRIu64 " zero bytes from byte %" PRIu64 " to the end of the file: a "
		"preallocated segment that was not trimmed; recovery truncates it to %"
		PRIu64 " bytes",
		n, pos, pos);
	ksd_finding_uint(f, "zero_bytes", n);
	ksd_finding_uint(f, "truncate_to", pos);
	note_damage(w, pos);
}

static void report_torn(walk *w, const ksd_lr_event *ev)
{
	uint64_t pos = ev->position, left = ev->remaining;
	ksd_finding *f;
	if (ev->status == KSD_ENTRY_TORN_HEADER) {
		f = ksd_report(walk_findings(w), KSD_P_TORN_TAIL, w->seg->log_path, (int64_t)pos,
			"%" PRIu64 " bytes at byte %" PRIu64 " are too few for an entry (the "
			"broker reads one only when more than 17 bytes remain); recovery "
			"truncates the segment to %" PRIu64 " bytes, dropping them",
			left, pos, pos);
	} else {
		f = ksd_report(walk_findings(w), KSD_P_TORN_TAIL, w->seg->log_path, (int64_t)pos,
			"entry at byte %" PRIu64 " (offset %" PRId64 ") declares %" PRIu64
			" bytes but only %" PRIu64 " remain; recovery truncates the segment to %"
			PRIu64 " bytes, dropping %" PRIu64,
			pos, ev->offset, ev->declared_len, left, pos, left);
		ksd_finding_int(f, "offset", ev->offset);
		ksd_finding_uint(f, "declared_bytes", ev->declared_len);
	}
	ksd_finding_uint(f, "torn_bytes", left);
	ksd_finding_uint(f, "truncate_to", pos);
	ksd_finding_bool(f, "active_segment", w->is_active);
	/* Expected only at the end of the active segment after a crash. */
	if (f && !w->is_active)
		f->severity = KSD_SEV_ERROR;
	note_damage(w, pos);
}

static void report_corrupt(walk *w, const ksd_lr_event *ev)
{
	char tail[160];
	uint64_t pos = ev->position;
	if (ev->resume_at >= 0)
		snprintf(tail, sizeof tail, "next valid batch at byte %" PRId64
			 " after %" PRIu64 " unreadable bytes", ev->resume_at,
			 (uint64_t)ev->resume_at - pos);
	else
		snprintf(tail, sizeof tail, "no valid batch follows in the remaining %"
			 PRIu64 " bytes", ev->remaining);
	ksd_finding *f = ksd_report(walk_findings(w), KSD_P_CORRUPT_ENTRY, w->seg->log_path,
		(int64_t)pos, "%s at byte %" PRIu64 " (size field %" PRId32 ", magic %d); %s",
		ksd_entry_status_text(ev->status), pos, ev->size_field, ev->magic, tail);
	ksd_finding_str(f, "reason", ksd_entry_status_text(ev->status));
	ksd_finding_int(f, "size_field", ev->size_field);
	ksd_finding_int(f, "magic", ev->magic);
	ksd_finding_uint(f, "skipped_bytes",
			 ev->resume_at >= 0 ? (uint64_t)ev->resume_at - pos : ev->remaining);
	note_damage(w, pos);
}

static void report_entry_damage(walk *w, const ksd_lr_event *ev)
{
	if (ev->code == KSD_P_PREALLOCATED_TAIL)
		report_zero_tail(w, ev->position);
	else if (ev->code == KSD_P_TORN_TAIL)
		report_torn(w, ev);
	else
		report_corrupt(w, ev);
}

/* Appends the "what recovery would discard" summary to the first damage. */
static void summarize_damage(walk *w)
{
	if (!w->damaged || w->first_damage_finding < 0 || !w->findings ||
	    (size_t)w->first_damage_finding >= w->findings->n)
		return;
	ksd_finding *f = &w->findings->v[w->first_damage_finding];
	ksd_finding_uint(f, "valid_bytes_beyond", w->beyond_bytes);
	ksd_finding_uint(f, "valid_batches_beyond", w->beyond_batches);
	if (w->beyond_batches == 0)
		return;
	ksd_finding_int(f, "beyond_first_offset", w->beyond_first);
	ksd_finding_int(f, "beyond_last_offset", w->beyond_last);
	char *msg = NULL;
	if (asprintf(&msg, "%s; %" PRIu64 " bytes of valid data in %" PRIu64
		     " batches (offsets %" PRId64 "..%" PRId64 ") lie beyond, and the "
		     "broker's recovery of this segment would discard them",
		     f->message, w->beyond_bytes, w->beyond_batches, w->beyond_first,
		     w->beyond_last) >= 0) {
		free(f->message);
		f->message = msg;
	}
}

/* The reader applies the broker's tests and resyncs after damage; the walk
 * turns what it reports into findings and per-segment facts. */
static void walk_entries(walk *w)
{
	ksd_lr_opts lo = {w->verify_crc, false, true, 0, 0, w->seg->base_offset};
	ksd_log_reader r;
	ksd_lr_event ev;
	ksd_lr_init(&r, &w->src, &lo);
	for (;;) {
		ksd_lr_kind k = ksd_lr_next(&r, &ev);
		if (k == KSD_LR_END || k == KSD_LR_IO_ERROR)
			break;
		w->pos = r.pos;
		if (k == KSD_LR_CORRUPT) {
			report_entry_damage(w, &ev);
			continue;
		}
		if (ev.crc_checked && !ev.crc_valid)
			report_crc_mismatch(w, &ev.batch, ev.computed_crc);
		check_offsets(w, &ev.batch);
		account_batch(w, &ev.batch, !ev.crc_checked || ev.crc_valid);
		if ((w->seg->batches & 255) == 0)
			progress(w);
	}
}

void ksd_walk_segment(const ksd_config *cfg, ksd_source *src, ksd_partition *p,
		      ksd_segment *seg, uint64_t *bytes_done)
{
	walk w;
	memset(&w, 0, sizeof w);
	w.cfg = cfg;
	w.src = *src;
	w.part = p;
	w.seg = seg;
	w.bytes_done = bytes_done;
	w.findings = seg->findings;
	w.first_damage_finding = -1;
	w.beyond_first = w.beyond_last = -1;
	w.verify_crc = cfg->level >= KSD_LEVEL_CRC;
	w.is_active = !p->only_files && p->nsegments > 0 &&
		      seg == &p->segments[p->nsegments - 1];
	seg->records_exact = true;
	seg->log_size = w.src.size;
	seg->valid_bytes = w.src.size;
	walk_entries(&w);
	summarize_damage(&w);
	w.pos = w.src.size;
	progress(&w);
	*src = w.src; /* buffer position and errno */
	seg->walked = src->saved_errno == 0;
	seg->io_errno = src->saved_errno;
}

void ksd_pass_segment(const ksd_config *cfg, ksd_worker *wk, ksd_partition *p,
		      ksd_segment *seg, uint64_t *bytes_done)
{
	if (!seg->log_path)
		return;
	/* mmap only while no broker can truncate the file under us (SIGBUS). */
	bool full = cfg->level >= KSD_LEVEL_CRC;
	ksd_io_mode mode = cfg->io_mode;
	if (p->logdir && p->logdir->lock_state != 0)
		mode = KSD_IO_PREAD;
	ksd_source src;
	if (ksd_source_open(&src, seg->log_path, mode, &wk->rb) != KSD_OK) {
		seg->walked = false;
		seg->io_errno = errno ? errno : EIO;
		return;
	}
	/* Header walks read about one page per batch (scripts/bench.sh: faster
	 * than mapping, whose fault-around touches the whole file anyway). */
	if (!full)
		src.readahead = KSD_SPARSE_READAHEAD;
	ksd_walk_segment(cfg, &src, p, seg, bytes_done);
	ksd_source_close(&src);
}
