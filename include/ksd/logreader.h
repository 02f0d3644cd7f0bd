/*
 * ksd/logreader.h - a .log entry chain as a stream of batches and
 * corruption events, for dump and other readers that want every batch.
 *
 * Applies the broker's tests in the broker's order (end of data, size < 14,
 * entry past the end, magic, codec, then CRC), and unlike the broker does
 * not stop at damage: it reports it and resumes at the next entry that
 * parses and passes its CRC (or ends, if none does).  Works on a window of a
 * file (start..end), so message sets embedded in other files (a captured
 * FetchResponse) read the same way.
 */
#ifndef KSD_LOGREADER_H
#define KSD_LOGREADER_H

#include <stdbool.h>
#include <stdint.h>

#include "ksd/batch.h"
#include "ksd/problem.h"
#include "ksd/source.h"

typedef struct ksd_lr_opts {
	bool verify_crc;     /* compute each batch's CRC */
	bool want_entry;     /* hand out the whole entry's bytes (for records) */
	bool resync;         /* search for the next valid batch after damage */
	uint64_t start;      /* first byte of the entry chain */
	uint64_t end;        /* one past the last byte; 0 = end of file */
	int64_t base_offset; /* segment base (resync rejects offsets below it); -1 = none */
} ksd_lr_opts;

typedef enum ksd_lr_kind {
	KSD_LR_BATCH = 0,
	KSD_LR_CORRUPT,   /* damage at `position`; reading resumes at resume_at */
	KSD_LR_END,
	KSD_LR_IO_ERROR,  /* src->saved_errno says why */
} ksd_lr_kind;

typedef struct ksd_lr_event {
	ksd_lr_kind kind;
	/* KSD_LR_BATCH */
	ksd_batch batch;
	bool crc_checked, crc_valid;
	uint32_t computed_crc;
	const uint8_t *entry; /* want_entry: entry_len bytes, valid until next call;
			       * NULL when the entry exceeds the read buffer's cap */
	/* KSD_LR_CORRUPT */
	ksd_problem code;     /* corrupt-entry, torn-tail, preallocated-tail */
	uint64_t position;
	int64_t resume_at;    /* -1 when nothing valid follows */
	ksd_entry_status status; /* why the entry was rejected */
	int32_t size_field;
	int magic;
	int64_t offset;          /* the entry's offset field, if it had 8 bytes */
	uint64_t declared_len;   /* 12 + size field, if it had 12 bytes */
	uint64_t remaining;      /* bytes from `position` to the end */
	char message[256];
} ksd_lr_event;

typedef struct ksd_log_reader {
	ksd_source *src;
	ksd_lr_opts opts;
	uint64_t pos, end;
	bool done;
} ksd_log_reader;

void ksd_lr_init(ksd_log_reader *r, ksd_source *src, const ksd_lr_opts *opts);
ksd_lr_kind ksd_lr_next(ksd_log_reader *r, ksd_lr_event *ev);

/*
 * Finds the next entry at or after `from` (before `end`) that parses and
 * passes its CRC.  Candidates whose offset is below base_offset (>= 0) or
 * more than 2^31-1 above it are skipped before any CRC is computed.
 * CRC work is bounded, so hostile files cannot make it quadratic.
 */
bool ksd_lr_resync(ksd_source *src, uint64_t from, uint64_t end, int64_t base_offset,
		   uint64_t *found);

#endif
