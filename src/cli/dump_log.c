/*
 * dump: reading entry chains (segments, KRaft snapshots, captured message
 * sets) and partition dirs.  Streams: one batch in memory at a time.
 */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "dump.h"
#include "ksd/cursor.h"
#include "ksd/names.h"
#include "ksd/seek.h"

/* Offsets range: is any of [first, last] inside [from, to]? */
static bool batch_in_range(const dump_opts *o, const ksd_batch *b)
{
	if (o->from_offset >= 0 && b->last_offset < o->from_offset)
		return false;
	return true;
}

/* Past the end of the range: a v2 or plain legacy batch starting above `to`. */
static bool batch_past_range(const dump_opts *o, const ksd_batch *b)
{
	if (o->to_offset < 0)
		return false;
	bool first_known = b->magic >= 2 || b->codec == KSD_CODEC_NONE;
	return first_known && b->base_offset > o->to_offset;
}

static bool record_in_range(const dump_opts *o, const ksd_record *r)
{
	if (o->from_offset >= 0 && r->offset < o->from_offset)
		return false;
	if (o->to_offset >= 0 && r->offset > o->to_offset)
		return false;
	return true;
}

static void dump_records(dump_ctx *d, const ksd_lr_event *ev, int32_t *inner_count,
			 int64_t *inner_first, bool emit)
{
	const ksd_batch *b = &ev->batch;
	ksd_record_iter it;
	ksd_record r;
	*inner_count = -1;
	if (!ev->entry) {
		if (emit)
			dump_corruption(d, "record-corrupt", b->position, -1,
					"batch larger than the read buffer cap; records not decoded");
		return;
	}
	ksd_recs_status st = ksd_records_begin(&it, b, ev->entry, d->decoder);
	int32_t n = 0;
	while (st == KSD_RECS_OK && (st = ksd_records_next(&it, &r)) == KSD_RECS_OK) {
		if (n++ == 0 && inner_first)
			*inner_first = r.offset;
		if (emit && record_in_range(&d->o, &r))
			dump_record(d, b, &r);
	}
	*inner_count = n;
	if (st != KSD_RECS_END && emit) {
		char msg[200];
		snprintf(msg, sizeof msg, "%s", it.error ? it.error : "records are inconsistent");
		dump_corruption(d, st == KSD_RECS_DECODE ? "decompress-failed" : "record-corrupt",
				b->position, -1, msg);
	}
}

/* Legacy wrappers need decompressing to know their record count for the
 * batch line, so records are decoded first and printed after the batch. */
static void dump_one_batch(dump_ctx *d, const ksd_lr_event *ev)
{
	const ksd_batch *b = &ev->batch;
	int32_t inner = -1;
	int64_t first = b->base_offset;
	bool deep = d->o.deep || d->o.print_data || d->active_decoder != DEC_NONE;
	if (deep && b->magic < 2 && b->codec != KSD_CODEC_NONE)
		dump_records(d, ev, &inner, &first, false); /* count only */
	ksd_lr_event shown = *ev;
	shown.batch.base_offset = first; /* a wrapper's first inner offset */
	dump_batch(d, &shown, inner);
	if (ev->crc_checked && !ev->crc_valid) {
		char msg[160];
		snprintf(msg, sizeof msg, "stored CRC 0x%08" PRIx32 " but the bytes give 0x%08" PRIx32,
			 b->stored_crc, ev->computed_crc);
		dump_corruption(d, "crc-mismatch", b->position,
				(int64_t)(b->position + b->entry_len), msg);
	}
	if (deep)
		dump_records(d, ev, &inner, NULL, true);
}

/* Start position for --from-offset / --from-timestamp within one segment. */
static uint64_t start_position(dump_ctx *d, const char *path, int64_t base_offset)
{
	if (base_offset < 0 || (d->o.from_offset < 0 && d->o.from_ts == INT64_MIN))
		return 0;
	size_t len = strlen(path);
	if (len < 4 || strcmp(path + len - 4, ".log") != 0)
		return 0;
	char idx[4096], tix[4096];
	snprintf(idx, sizeof idx, "%.*s.index", (int)(len - 4), path);
	snprintf(tix, sizeof tix, "%.*s.timeindex", (int)(len - 4), path);
	int64_t target = d->o.from_offset;
	if (d->o.from_ts != INT64_MIN) {
		int64_t largest;
		int64_t off = ksd_seek_timestamp(tix, base_offset, d->o.from_ts, &largest);
		if (off > target)
			target = off;
	}
	return target >= 0 ? ksd_seek_offset(idx, base_offset, target) : 0;
}

/* A stale or damaged index may point anywhere: only a position holding a
 * valid entry header is used, else the segment is read from its start. */
static uint64_t checked_start(ksd_source *src, uint64_t pos)
{
	size_t got;
	ksd_batch b;
	const uint8_t *p = pos ? ksd_source_peek(src, pos, KSD_BATCH_HEADER_BYTES, &got) : NULL;
	if (!p || pos >= src->size ||
	    ksd_batch_parse(p, got, src->size - pos, pos, &b) != KSD_ENTRY_OK)
		return 0;
	return pos;
}

int dump_log_window(dump_ctx *d, const char *path, uint64_t start, uint64_t end,
		    int64_t base_offset, const char *kind)
{
	ksd_source src;
	ksd_err e = ksd_source_open(&src, path, KSD_IO_PREAD, &d->rb);
	if (e != KSD_OK) {
		fprintf(stderr, "ksegdoctor dump: %s: %s\n", path, strerror(errno));
		return KSD_EXIT_OPERATIONAL;
	}
	d->path = path;
	d->batches = d->records = d->corruptions = 0;
	d->active_decoder = dump_decoder_for_path(d, path);
	dump_file_header(d, kind, src.size, base_offset);
	uint64_t begin = start ? start : checked_start(&src, start_position(d, path, base_offset));
	ksd_lr_opts lo = {true, true, d->o.resync, begin, end, base_offset};
	ksd_log_reader r;
	ksd_lr_init(&r, &src, &lo);
	ksd_lr_event ev;
	uint64_t valid_end = begin, dumped = 0;
	bool damaged = false;
	int rc = KSD_EXIT_OK;
	for (;;) {
		ksd_lr_kind k = ksd_lr_next(&r, &ev);
		if (k == KSD_LR_END)
			break;
		if (k == KSD_LR_IO_ERROR) {
			fprintf(stderr, "ksegdoctor dump: %s: read error: %s\n", path,
				strerror(src.saved_errno));
			rc |= KSD_EXIT_OPERATIONAL;
			break;
		}
		if (k == KSD_LR_CORRUPT) {
			damaged = true;
			dump_corruption(d, ksd_problem_get(ev.code)->code, ev.position, ev.resume_at,
					ev.message);
			continue;
		}
		if (d->o.max_bytes && dumped + ev.batch.entry_len > d->o.max_bytes)
			break;
		if (ev.crc_checked && !ev.crc_valid)
			damaged = true; /* recovery truncates at this batch */
		if (!damaged)
			valid_end = ev.batch.position + ev.batch.entry_len;
		if (batch_past_range(&d->o, &ev.batch))
			break;
		if (d->o.from_ts != INT64_MIN && ev.batch.max_timestamp < d->o.from_ts &&
		    ev.batch.magic >= 1)
			continue;
		if (!batch_in_range(&d->o, &ev.batch))
			continue;
		dumped += ev.batch.entry_len;
		dump_one_batch(d, &ev);
	}
	/* Stopped early (--max-bytes, --to-offset) with no damage seen: how
	 * much of the rest is valid is unknown, not "invalid". */
	bool cut_short = !damaged && r.pos < r.end && !r.done;
	if (!damaged)
		valid_end = r.end;
	dump_summary(d, r.end, valid_end, cut_short);
	d->total_corruptions += d->corruptions;
	if (d->corruptions)
		rc |= KSD_EXIT_FINDINGS;
	ksd_source_close(&src);
	return rc;
}

/* --- partition dirs ------------------------------------------------------- */

typedef struct seg_file {
	int64_t base;
	char *path;
} seg_file;

static int seg_cmp(const void *a, const void *b)
{
	const seg_file *x = a, *y = b;
	return x->base < y->base ? -1 : x->base > y->base;
}

static size_t list_segments(const char *dir, seg_file **out)
{
	DIR *dp = opendir(dir);
	size_t n = 0, cap = 0;
	*out = NULL;
	if (!dp)
		return 0;
	struct dirent *e;
	while ((e = readdir(dp)) != NULL) {
		ksd_file_name fn = ksd_classify_file(e->d_name);
		if (fn.kind != KSD_FILE_LOG || fn.state != KSD_STATE_LIVE)
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			seg_file *v = realloc(*out, cap * sizeof *v);
			if (!v)
				break;
			*out = v;
		}
		size_t len = strlen(dir) + strlen(e->d_name) + 2;
		(*out)[n].path = malloc(len);
		if (!(*out)[n].path)
			break;
		snprintf((*out)[n].path, len, "%s/%s", dir, e->d_name);
		(*out)[n++].base = fn.offset;
	}
	closedir(dp);
	if (n > 1) /* qsort(NULL, 0) is undefined */
		qsort(*out, n, sizeof **out, seg_cmp);
	return n;
}

/* The broker's choice of first segment: floor by base offset for an
 * offset; the first segment whose largest timestamp reaches the target for
 * a timestamp (Log.fetchOffsetByTimestamp). */
static size_t first_segment(dump_ctx *d, const seg_file *segs, size_t n)
{
	size_t first = 0;
	if (d->o.from_offset >= 0)
		for (size_t i = 0; i < n; i++)
			if (segs[i].base <= d->o.from_offset)
				first = i;
	if (d->o.from_ts == INT64_MIN)
		return first;
	for (size_t i = first; i < n; i++) {
		char tix[4096];
		size_t len = strlen(segs[i].path);
		snprintf(tix, sizeof tix, "%.*s.timeindex", (int)(len - 4), segs[i].path);
		int64_t largest;
		ksd_seek_timestamp(tix, segs[i].base, d->o.from_ts, &largest);
		/* No usable time index: let the walk decide (it skips by batch). */
		if (largest < 0 || largest >= d->o.from_ts)
			return i;
	}
	return n ? n - 1 : 0;
}

int dump_partition_dir(dump_ctx *d, const char *dir)
{
	seg_file *segs;
	size_t n = list_segments(dir, &segs);
	int rc = KSD_EXIT_OK;
	if (n == 0) {
		fprintf(stderr, "ksegdoctor dump: %s: no segment files\n", dir);
		free(segs);
		return KSD_EXIT_OPERATIONAL;
	}
	size_t first = first_segment(d, segs, n);
	for (size_t i = 0; i < n; i++) {
		/* Segments wholly above --to-offset hold nothing in range. */
		bool past = d->o.to_offset >= 0 && segs[i].base > d->o.to_offset;
		if (i >= first && !past)
			rc |= dump_log_window(d, segs[i].path, 0, 0, segs[i].base, "log");
		free(segs[i].path);
	}
	free(segs);
	return rc;
}

/* --- single files ------------------------------------------------------ */

/*
 * A FetchResponse v0 capture (kafka-rust test data): correlation id, one
 * topic, one partition, error code, high watermark, message-set size, then
 * the message set the broker sent verbatim.  Recognised only when every
 * count is 1 and the declared size matches the file exactly.
 */
static bool sniff_fetch_response(const char *path, uint64_t *start, uint64_t *end)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return false;
	uint8_t h[512];
	size_t n = fread(h, 1, sizeof h, f);
	fseek(f, 0, SEEK_END);
	long size = ftell(f);
	fclose(f);
	ksd_cursor c;
	ksd_cur_init(&c, h, n, 0);
	ksd_cur_skip(&c, 4); /* correlation id */
	int32_t topics = ksd_cur_i32(&c);
	int16_t tlen = ksd_cur_i16(&c);
	if (!ksd_cur_ok(&c) || topics != 1 || tlen <= 0 || !ksd_cur_skip(&c, (size_t)tlen))
		return false;
	int32_t parts = ksd_cur_i32(&c);
	ksd_cur_skip(&c, 4 + 2 + 8); /* partition, error code, high watermark */
	int32_t set_size = ksd_cur_i32(&c);
	if (!ksd_cur_ok(&c) || parts != 1 || set_size < 0 || size < 0)
		return false;
	*start = c.pos;
	*end = c.pos + (uint64_t)set_size;
	return *end == (uint64_t)size;
}

int dump_path(dump_ctx *d, const char *path)
{
	struct stat st;
	if (stat(path, &st) != 0) {
		fprintf(stderr, "ksegdoctor dump: %s: %s\n", path, strerror(errno));
		return KSD_EXIT_OPERATIONAL;
	}
	d->files++;
	if (S_ISDIR(st.st_mode))
		return dump_partition_dir(d, path);
	const char *leaf = strrchr(path, '/');
	leaf = leaf ? leaf + 1 : path;
	ksd_file_name fn = ksd_classify_file(leaf);
	switch (fn.kind) {
	case KSD_FILE_LOG:
		if (d->o.verify_index_only || d->o.index_sanity)
			return dump_other_file(d, path, fn.kind);
		return dump_log_window(d, path, 0, 0, fn.offset, "log");
	case KSD_FILE_KRAFT_SNAPSHOT:
		/* Operators confuse producer .snapshot and KRaft .checkpoint files:
		 * let the content decide (dump_other_file sniffs it). */
		return dump_other_file(d, path, fn.kind);
	case KSD_FILE_BOOTSTRAP_CHECKPOINT:
		return dump_log_window(d, path, 0, 0, -1, "bootstrap-checkpoint");
	default:
		break;
	}
	uint64_t start, end;
	if (fn.kind == KSD_FILE_UNKNOWN && sniff_fetch_response(path, &start, &end))
		return dump_log_window(d, path, start, end, -1, "fetch-response");
	return dump_other_file(d, path, fn.kind);
}
