/*
 * Entry-chain reader with resync (see ksd/logreader.h).
 */
#include "ksd/logreader.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "ksd/cursor.h"

#define RESYNC_MAX_CRC_BYTES (512ull << 20)

void ksd_lr_init(ksd_log_reader *r, ksd_source *src, const ksd_lr_opts *opts)
{
	memset(r, 0, sizeof *r);
	r->src = src;
	r->opts = *opts;
	r->pos = opts->start;
	r->end = opts->end && opts->end < src->size ? opts->end : src->size;
}

static bool entry_crc(ksd_source *src, const ksd_batch *b, uint32_t *out)
{
	uint64_t start = ksd_batch_crc_start(b);
	return ksd_source_crc(src, b->position + start, b->entry_len - start, b->magic >= 2, out);
}

bool ksd_lr_resync(ksd_source *src, uint64_t from, uint64_t end, int64_t base_offset,
		   uint64_t *found)
{
	uint64_t budget = RESYNC_MAX_CRC_BYTES;
	for (uint64_t q = from; q + KSD_HEADER_UP_TO_MAGIC < end; q++) {
		size_t got;
		const uint8_t *p = ksd_source_peek(src, q, KSD_BATCH_HEADER_BYTES, &got);
		if (!p || got < KSD_HEADER_UP_TO_MAGIC)
			return false;
		if (p[16] > 2)
			continue;
		int64_t off = (int64_t)ksd_load_be64(p);
		if (base_offset >= 0 && (off < base_offset ||
		    (uint64_t)off - (uint64_t)base_offset > (uint64_t)INT32_MAX))
			continue;
		ksd_batch b;
		if (ksd_batch_parse(p, got, end - q, q, &b) != KSD_ENTRY_OK)
			continue;
		if (b.entry_len > budget)
			return false;
		budget -= b.entry_len;
		uint32_t crc;
		if (entry_crc(src, &b, &crc) && crc == b.stored_crc) {
			*found = q;
			return true;
		}
	}
	return false;
}

static bool zero_until(ksd_source *src, uint64_t pos, uint64_t end)
{
	while (pos < end) {
		size_t got;
		uint64_t left = end - pos;
		const uint8_t *p = ksd_source_peek(src, pos, left < (1u << 20) ? (size_t)left : 1u << 20, &got);
		if (!p || got == 0)
			return false;
		for (size_t i = 0; i < got; i++)
			if (p[i])
				return false;
		pos += got;
	}
	return true;
}

static ksd_lr_kind report_bad(ksd_log_reader *r, ksd_lr_event *ev, ksd_entry_status st,
			      const uint8_t head[KSD_HEADER_UP_TO_MAGIC], size_t head_len)
{
	uint64_t left = r->end - r->pos;
	ev->kind = KSD_LR_CORRUPT;
	ev->position = r->pos;
	ev->status = st;
	ev->size_field = head_len >= 12 ? (int32_t)ksd_load_be32(head + 8) : -1;
	ev->magic = head_len > 16 ? (int8_t)head[16] : -1;
	ev->offset = head_len >= 8 ? (int64_t)ksd_load_be64(head) : -1;
	ev->declared_len = head_len >= 12 ? KSD_LOG_OVERHEAD + (uint64_t)(uint32_t)ev->size_field : 0;
	ev->remaining = left;
	ev->resume_at = -1;
	if (zero_until(r->src, r->pos, r->end)) {
		ev->code = KSD_P_PREALLOCATED_TAIL;
		snprintf(ev->message, sizeof ev->message, "%" PRIu64 " zero bytes from byte %"
			 PRIu64 " to the end: preallocated and never trimmed", left, r->pos);
		r->done = true;
		return ev->kind;
	}
	uint64_t next = 0;
	bool found = r->opts.resync &&
		     ksd_lr_resync(r->src, r->pos + 1, r->end, r->opts.base_offset, &next);
	bool torn = st == KSD_ENTRY_TORN_HEADER || st == KSD_ENTRY_TORN_BODY;
	if (torn && !found) {
		ev->code = KSD_P_TORN_TAIL;
		snprintf(ev->message, sizeof ev->message, "incomplete entry: %" PRIu64
			 " bytes at byte %" PRIu64 " (%s); recovery truncates here",
			 left, r->pos, ksd_entry_status_text(st));
		r->done = true;
		return ev->kind;
	}
	ev->code = KSD_P_CORRUPT_ENTRY;
	if (found) {
		ev->resume_at = (int64_t)next;
		snprintf(ev->message, sizeof ev->message, "%s at byte %" PRIu64
			 " (size field %" PRId32 ", magic %d); next valid batch at byte %" PRIu64,
			 ksd_entry_status_text(st), r->pos, ev->size_field, ev->magic, next);
		r->pos = next;
	} else {
		snprintf(ev->message, sizeof ev->message, "%s at byte %" PRIu64
			 " (size field %" PRId32 ", magic %d); %s",
			 ksd_entry_status_text(st), r->pos, ev->size_field, ev->magic,
			 r->opts.resync ? "no valid batch follows"
					: "not searching further (resync off)");
		r->done = true;
	}
	return ev->kind;
}

static ksd_lr_kind read_batch(ksd_log_reader *r, ksd_lr_event *ev)
{
	ksd_batch *b = &ev->batch;
	if (r->opts.verify_crc) {
		if (!entry_crc(r->src, b, &ev->computed_crc))
			return ev->kind = KSD_LR_IO_ERROR;
		ev->crc_checked = true;
		ev->crc_valid = ev->computed_crc == b->stored_crc;
	}
	if (r->opts.want_entry) {
		size_t got;
		const uint8_t *p = ksd_source_peek(r->src, b->position, (size_t)b->entry_len, &got);
		if (!p && r->src->saved_errno)
			return ev->kind = KSD_LR_IO_ERROR;
		ev->entry = p && got == b->entry_len ? p : NULL;
	}
	r->pos += b->entry_len;
	return ev->kind = KSD_LR_BATCH;
}

ksd_lr_kind ksd_lr_next(ksd_log_reader *r, ksd_lr_event *ev)
{
	memset(ev, 0, sizeof *ev);
	if (r->done || r->pos >= r->end)
		return ev->kind = KSD_LR_END;
	size_t got;
	const uint8_t *p = ksd_source_peek(r->src, r->pos, KSD_BATCH_HEADER_BYTES, &got);
	if (!p)
		return ev->kind = KSD_LR_IO_ERROR;
	uint64_t left = r->end - r->pos;
	if (got > left)
		got = (size_t)left;
	ksd_entry_status st = ksd_batch_parse(p, got, left, r->pos, &ev->batch);
	if (st == KSD_ENTRY_END)
		return ev->kind = KSD_LR_END;
	if (st != KSD_ENTRY_OK) {
		/* Copy the header first: the zero-tail test and resync refill the
		 * buffer `p` points into. */
		uint8_t head[KSD_HEADER_UP_TO_MAGIC];
		size_t hl = got < sizeof head ? got : sizeof head;
		memcpy(head, p, hl);
		return report_bad(r, ev, st, head, hl);
	}
	return read_batch(r, ev);
}
