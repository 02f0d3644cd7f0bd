/*
 * Pass 1: walk one segment's entry chain.
 *
 * Establishes for the later passes: each segment's first and last offset,
 * batch and record counts, max timestamp, and where (if anywhere) the bytes
 * stop being what the broker's recovery would accept.  Reports crc-mismatch,
 * torn-tail, preallocated-tail, corrupt-entry, offset-overflow and
 * base-offset-mismatch; and for the segment's indexes index-corrupt,
 * timeindex-corrupt, txnindex-corrupt and index-preallocated: the offset and
 * time index are joined with the walk batch by batch (ksd/files.h), the
 * transaction index is checked after it, against the offsets it found.
 *
 * The walk applies the broker's own order of tests (FileLogInputStream
 * .nextBatch, then ensureValid): end of data, size < 14, entry past EOF,
 * magic, then CRC.  Unlike the broker and kafka-dump-log it does not stop at
 * the first bad entry: it searches forward for the next batch that parses and
 * passes its CRC, so the report can say how much valid data recovery would
 * throw away.
 */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ksd/batch.h"
#include "ksd/cursor.h"
#include "ksd/logreader.h"
#include "ksd/predict.h"
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
	ksd_index_verifier *ixv; /* never NULL during the walk */
	uint64_t batches_end;    /* the byte after the last batch parsed */
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
	if (b->magic < 2) {
		s->legacy_bytes += b->entry_len;
		if (b->magic == 0)
			s->v0_bytes += b->entry_len;
	} else if (ksd_batch_is_transactional(b))
		s->txn_batches++;
	w->batches_end = b->position + b->entry_len;
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
	ksd_finding_str(f, "rule", b->magic >= 2
		? "DefaultRecordBatch.isValid: CRC-32C over attributes..end, checked when LogSegment.recover reads the batch (0.11+)"
		: "LegacyRecord.isValid: CRC-32 over magic..end, checked when LogSegment.recover reads the message (all versions)");
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
		ksd_finding_str(f, "rule", "LogFileUtils: a segment is named after its first offset; "
				"AbstractIndex.toRelative rejects offsets below it (all versions)");
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
			ksd_finding_str(f, "rule", "AbstractIndex.toRelative: offset - base must fit an int32 "
					"(all versions); split on recovery or cleaning from 2.0 (KAFKA-6264)");
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
	ksd_finding_str(f, "rule", "FileLogInputStream.nextBatch: an entry size below 14 is corruption; "
			"LogSegment.recover truncates there (all versions)");
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
	ksd_finding_str(f, "rule", "FileLogInputStream.nextBatch: 17 bytes or fewer left, or an entry past "
			"the end of the file, ends the log; LogSegment.recover truncates there (all versions)");
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
	ksd_finding_str(f, "rule", "FileLogInputStream.nextBatch and DefaultRecordBatch.ensureValid: size "
			"below 14, magic above 2, a v2 batch below 61 bytes (all versions)");
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
			/* Index entries into the damage are the log's problem. */
			ksd_ixv_skip(w->ixv, ev.resume_at >= 0 ? (uint64_t)ev.resume_at : UINT64_MAX);
			continue;
		}
		if (ev.crc_checked && !ev.crc_valid)
			report_crc_mismatch(w, &ev.batch, ev.computed_crc);
		check_offsets(w, &ev.batch);
		/* Before accounting, the segment's last offset and max timestamp
		 * are the previous batches'; one branch unless an entry is due. */
		ksd_ixv_batch(w->ixv, &ev.batch, w->seg->last_offset, w->seg->max_timestamp);
		account_batch(w, &ev.batch, !ev.crc_checked || ev.crc_valid);
		if ((w->seg->batches & 255) == 0)
			progress(w);
	}
}

void ksd_walk_segment(const ksd_config *cfg, ksd_source *src, ksd_partition *p,
		      ksd_segment *seg, uint64_t *bytes_done)
{
	ksd_walk_segment_ixv(cfg, src, p, seg, bytes_done, NULL);
}

void ksd_walk_segment_ixv(const ksd_config *cfg, ksd_source *src, ksd_partition *p,
			  ksd_segment *seg, uint64_t *bytes_done, ksd_index_verifier *ixv)
{
	walk w;
	ksd_index_verifier idle;
	memset(&w, 0, sizeof w);
	if (!ixv)
		ksd_ixv_init(&idle, seg->base_offset, NULL, NULL, NULL, NULL);
	w.ixv = ixv ? ixv : &idle;
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
	if (ixv)
		ksd_ixv_finish(ixv, w.batches_end, seg->last_offset);
	w.pos = w.src.size;
	progress(&w);
	*src = w.src; /* buffer position and errno */
	seg->walked = src->saved_errno == 0;
	seg->io_errno = src->saved_errno;
}

/* --- the segment's indexes ---------------------------------------------- */

bool ksd_segment_is_active(const ksd_partition *p, const ksd_segment *seg)
{
	for (size_t i = p->nsegments; i-- > 0;)
		if (p->segments[i].log_path)
			return &p->segments[i] == seg;
	return false;
}

/* A single named file: active when no later .log sits beside it. */
static bool only_file_is_active(const ksd_segment *seg)
{
	const char *slash = strrchr(seg->log_path, '/');
	char *dir = slash ? strndup(seg->log_path, slash > seg->log_path
				    ? (size_t)(slash - seg->log_path) : 1) : strdup(".");
	DIR *d = dir ? opendir(dir) : NULL;
	bool later = false;
	struct dirent *e;
	while (d && !later && (e = readdir(d)) != NULL) {
		ksd_file_name fn = ksd_classify_file(e->d_name);
		later = fn.kind == KSD_FILE_LOG && fn.state == KSD_STATE_LIVE &&
			fn.offset > seg->base_offset;
	}
	if (d)
		closedir(d);
	free(dir);
	return !later;
}

static bool logdir_has(const ksd_partition *p, const char *name)
{
	if (!p->logdir || !p->logdir->path)
		return false;
	char *path = ksd_path_join(p->logdir->path, name);
	struct stat st;
	bool ok = path && stat(path, &st) == 0;
	free(path);
	return ok;
}

bool ksd_logdir_clean_shutdown(const ksd_partition *p)
{
	if (p->logdir && p->logdir->clean_shutdown >= 0)
		return p->logdir->clean_shutdown == 1;
	return logdir_has(p, ".kafka_cleanshutdown");
}

void ksd_segment_index_ctx(const ksd_config *cfg, const ksd_partition *p,
			   const ksd_segment *seg, const char *path, ksd_index_ctx *ctx)
{
	memset(ctx, 0, sizeof *ctx);
	ctx->path = path;
	ctx->kafka_version = cfg->kafka_version;
	ctx->magic_mask = seg->magic_mask;
	ctx->has_timeindex = seg->has_timeindex;
	ctx->active = p->only_files ? only_file_is_active(seg) : ksd_segment_is_active(p, seg);
	ctx->log_empty = seg->log_size == 0;
	ctx->compacted = p->compacted;
	ctx->clean_shutdown = ksd_logdir_clean_shutdown(p);
	ctx->broker_running = p->logdir && p->logdir->lock_state == 1;
	ctx->rebuilt_at_startup = ksd_segment_recovered_at_startup(p, seg, ctx->clean_shutdown);
}

/* <base>.log -> <base><suffix>, malloc'ed. */
static char *sibling_path(const char *log_path, const char *suffix)
{
	size_t n = strlen(log_path);
	if (n < 4 || strcmp(log_path + n - 4, ".log") != 0)
		return NULL;
	size_t sl = strlen(suffix);
	char *p = malloc(n - 4 + sl + 1);
	if (!p)
		return NULL;
	memcpy(p, log_path, n - 4);
	memcpy(p + n - 4, suffix, sl + 1);
	return p;
}

typedef struct seg_index {
	ksd_index_kind kind;
	char *path;
	ksd_file_image im;
	ksd_index_analysis a;
	bool loaded;
} seg_index;

static void index_load(seg_index *x, const ksd_segment *seg, ksd_index_kind kind,
		       ksd_bytes *buf, int64_t log_last_offset)
{
	static const char *const suffix[] = {".index", ".timeindex", ".txnindex"};
	memset(x, 0, sizeof *x);
	x->kind = kind;
	x->path = sibling_path(seg->log_path, suffix[kind]);
	/* Unreadable or vanished (a running broker deletes and renames):
	 * nothing to check; missing indexes are another check's business. */
	if (!x->path || ksd_file_load(x->path, KSD_FILE_READ_CAP, buf, &x->im) != KSD_OK)
		return;
	x->loaded = true;
	ksd_index_analyze(kind, seg->base_offset, &x->im, log_last_offset, &x->a);
}

/* After an I/O error the walk did not see every batch: drop what the
 * join concluded and keep the file-only rules. */
static void drop_join_results(ksd_index_analysis *a)
{
	for (unsigned r = KSD_IXR_NOT_BATCH_START; r < KSD_IXR__COUNT; r++)
		memset(&a->issue[r], 0, sizeof a->issue[r]);
	a->verified = false;
}

/*
 * Every offset from the base to the last one is a record: nothing was
 * compacted away.  Cleaned segments can keep time-index entries that name
 * removed batches with their timestamps (seen in a Kafka 4.x
 * __consumer_offsets segment: an entry for offset 20 in a segment whose
 * batches are 23 and 24), so the time index is joined with the log only
 * for dense segments.
 */
static bool segment_is_dense(const ksd_segment *s)
{
	return s->records_exact && s->first_offset == s->base_offset &&
	       s->last_offset >= s->first_offset &&
	       s->records == (uint64_t)(s->last_offset - s->base_offset) + 1;
}

static void index_report(const ksd_config *cfg, ksd_partition *p, ksd_segment *seg,
			 seg_index *x)
{
	if (!x->loaded)
		return;
	if (!seg->walked || (x->kind == KSD_INDEX_TIME && !segment_is_dense(seg)))
		drop_join_results(&x->a);
	if (!ksd_index_has_news(&x->a))
		return;
	ksd_findings *f = ksd_segment_findings(cfg, seg);
	if (!f)
		return;
	ksd_index_ctx ctx;
	ksd_segment_index_ctx(cfg, p, seg, x->path, &ctx);
	ksd_index_report(&x->a, &ctx, f);
}

/* Opens the .log and walks it, feeding the verifier. */
static void walk_log(const ksd_config *cfg, ksd_worker *wk, ksd_partition *p, ksd_segment *seg,
		     uint64_t *bytes_done, ksd_index_verifier *ixv)
{
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
	ksd_walk_segment_ixv(cfg, &src, p, seg, bytes_done, ixv);
	ksd_source_close(&src);
}

void ksd_pass_segment(const ksd_config *cfg, ksd_worker *wk, ksd_partition *p,
		      ksd_segment *seg, uint64_t *bytes_done)
{
	if (!seg->log_path)
		return;
	seg_index oix, tix, xix;
	memset(&oix, 0, sizeof oix);
	memset(&tix, 0, sizeof tix);
	if (seg->has_index)
		index_load(&oix, seg, KSD_INDEX_OFFSET, &wk->ix[0], -1);
	if (seg->has_timeindex)
		index_load(&tix, seg, KSD_INDEX_TIME, &wk->ix[1], -1);
	ksd_index_verifier ixv;
	ksd_ixv_init(&ixv, seg->base_offset, oix.loaded ? &oix.im : NULL, &oix.a,
		     tix.loaded ? &tix.im : NULL, &tix.a);
	walk_log(cfg, wk, p, seg, bytes_done, &ixv);
	if (seg->io_errno)
		goto out; /* an operational error; its indexes prove nothing */
	index_report(cfg, p, seg, &oix);
	index_report(cfg, p, seg, &tix);
	if (seg->has_txnindex) {
		/* The offset index's buffer is free again. */
		index_load(&xix, seg, KSD_INDEX_TXN, &wk->ix[0], seg->walked ? seg->last_offset : -1);
		index_report(cfg, p, seg, &xix);
		free(xix.path);
	}
out:
	free(oix.path);
	free(tix.path);
}
