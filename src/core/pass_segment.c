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
#include "scan_internal.h"

/* Resync budget: bounded work on hostile files (positions tried, CRC bytes). */
#define RESYNC_MAX_CRC_BYTES (512ull << 20)

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

static bool batch_crc(walk *w, const ksd_batch *b, uint32_t *computed)
{
	uint64_t start = ksd_batch_crc_start(b);
	return ksd_source_crc(&w->src, b->position + start, b->entry_len - start,
			      b->magic >= 2, computed);
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

/*
 * Looks for the next entry at or after `from` that parses and passes its
 * checksum: evidence that valid data follows the damage.  A candidate's
 * offsets must be representable relative to the segment base, which rejects
 * nearly all false starts before any CRC is computed.
 */
static bool resync(walk *w, uint64_t from, uint64_t *found)
{
	uint64_t crc_budget = RESYNC_MAX_CRC_BYTES;
	const uint64_t size = w->src.size;
	const int64_t base = w->seg->base_offset;
	for (uint64_t q = from; q + KSD_HEADER_UP_TO_MAGIC <= size; q++) {
		size_t got;
		const uint8_t *p = ksd_source_peek(&w->src, q, KSD_BATCH_HEADER_BYTES, &got);
		if (!p || got < KSD_HEADER_UP_TO_MAGIC)
			return false;
		if (p[16] > 2)
			continue;
		int64_t off = (int64_t)ksd_load_be64(p);
		if (off < base || (uint64_t)off - (uint64_t)base > (uint64_t)INT32_MAX)
			continue;
		ksd_batch b;
		if (ksd_batch_parse(p, got, size - q, q, &b) != KSD_ENTRY_OK)
			continue;
		if (b.entry_len > crc_budget)
			return false;
		crc_budget -= b.entry_len;
		uint32_t crc;
		if (batch_crc(w, &b, &crc) && crc == b.stored_crc) {
			*found = q;
			return true;
		}
	}
	return false;
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

static void report_torn(walk *w, const ksd_batch *b, ksd_entry_status st)
{
	uint64_t left = w->src.size - w->pos;
	ksd_finding *f;
	if (st == KSD_ENTRY_TORN_HEADER) {
		f = ksd_report(walk_findings(w), KSD_P_TORN_TAIL, w->seg->log_path,
			(int64_t)w->pos,
			"%" PRIu64 " bytes at byte %" PRIu64 " are too few for an entry (the "
			"broker reads one only when more than 17 bytes remain); recovery "
			"truncates the segment to %" PRIu64 " bytes, dropping them",
			left, w->pos, w->pos);
	} else {
		f = ksd_report(walk_findings(w), KSD_P_TORN_TAIL, w->seg->log_path,
			(int64_t)w->pos,
			"entry at byte %" PRIu64 " (offset %" PRId64 ") declares %" PRIu64
			" bytes but only %" PRIu64 " remain; recovery truncates the segment to %"
			PRIu64 " bytes, dropping %" PRIu64,
			w->pos, b->base_offset, b->entry_len, left, w->pos, left);
		ksd_finding_int(f, "offset", b->base_offset);
		ksd_finding_uint(f, "declared_bytes", b->entry_len);
	}
	ksd_finding_uint(f, "torn_bytes", left);
	ksd_finding_uint(f, "truncate_to", w->pos);
	ksd_finding_bool(f, "active_segment", w->is_active);
	/* Expected only at the end of the active segment after a crash. */
	if (f && !w->is_active)
		f->severity = KSD_SEV_ERROR;
	note_damage(w, w->pos);
}

static void report_corrupt(walk *w, const uint8_t *p, size_t got, ksd_entry_status st,
			   bool found, uint64_t next)
{
	int32_t size_field = got >= 12 ? (int32_t)ksd_load_be32(p + 8) : -1;
	int magic = got > 16 ? (int8_t)p[16] : -1;
	char tail[160];
	if (found)
		snprintf(tail, sizeof tail, "next valid batch at byte %" PRIu64
			 " after %" PRIu64 " unreadable bytes", next, next - w->pos);
	else
		snprintf(tail, sizeof tail, "no valid batch follows in the remaining %"
			 PRIu64 " bytes", w->src.size - w->pos);
	ksd_finding *f = ksd_report(walk_findings(w), KSD_P_CORRUPT_ENTRY, w->seg->log_path,
		(int64_t)w->pos, "%s at byte %" PRIu64 " (size field %" PRId32 ", magic %d); %s",
		ksd_entry_status_text(st), w->pos, size_field, magic, tail);
	ksd_finding_str(f, "reason", ksd_entry_status_text(st));
	ksd_finding_int(f, "size_field", size_field);
	ksd_finding_int(f, "magic", magic);
	ksd_finding_uint(f, "skipped_bytes", (found ? next : w->src.size) - w->pos);
	note_damage(w, w->pos);
}

/* Handles an entry the broker would reject; returns false to stop the walk. */
static bool handle_bad_entry(walk *w, const uint8_t *p, size_t got,
			     const ksd_batch *b, ksd_entry_status st)
{
	/* p points into the source's buffer, which the zero-tail test and the
	 * resync refill or even reallocate in pread mode: keep the header
	 * bytes the report quotes. */
	uint8_t head[KSD_HEADER_UP_TO_MAGIC];
	size_t head_len = got < sizeof head ? got : sizeof head;
	memcpy(head, p, head_len);
	if (ksd_source_zero_tail(&w->src, w->pos)) {
		report_zero_tail(w, w->pos);
		return false;
	}
	uint64_t next = 0;
	bool found = resync(w, w->pos + 1, &next);
	bool torn = st == KSD_ENTRY_TORN_HEADER || st == KSD_ENTRY_TORN_BODY;
	/* A size running past EOF is a torn tail only when nothing valid follows. */
	if (torn && !found) {
		report_torn(w, b, st);
		return false;
	}
	report_corrupt(w, head, head_len, st, found, next);
	if (!found)
		return false;
	w->pos = next;
	return true;
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

static void walk_entries(walk *w)
{
	const uint64_t size = w->src.size;
	while (w->pos < size) {
		size_t got;
		const uint8_t *p = ksd_source_peek(&w->src, w->pos, KSD_BATCH_HEADER_BYTES, &got);
		if (!p)
			return;
		ksd_batch b;
		ksd_entry_status st = ksd_batch_parse(p, got, size - w->pos, w->pos, &b);
		if (st == KSD_ENTRY_END)
			break;
		if (st != KSD_ENTRY_OK) {
			if (!handle_bad_entry(w, p, got, &b, st))
				break;
			continue;
		}
		bool crc_ok = true;
		if (w->verify_crc) {
			uint32_t crc;
			if (!batch_crc(w, &b, &crc))
				return; /* I/O error: saved in src */
			crc_ok = crc == b.stored_crc;
			if (!crc_ok)
				report_crc_mismatch(w, &b, crc);
		}
		check_offsets(w, &b);
		account_batch(w, &b, crc_ok);
		w->pos += b.entry_len;
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
