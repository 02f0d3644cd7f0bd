/*
 * ksegdoctor dump: shared state of the command and its renderers.
 */
#ifndef KSD_DUMP_H
#define KSD_DUMP_H

#include <stdio.h>

#include "cli.h"
#include "ksd/batch.h"
#include "ksd/codec.h"
#include "ksd/jsonw.h"
#include "ksd/logreader.h"
#include "ksd/names.h"
#include "ksd/records.h"
#include "ksd/source.h"

typedef enum dump_decoder {
	DEC_AUTO = -1,
	DEC_NONE = 0,
	DEC_OFFSETS,
	DEC_TRANSACTIONS,
	DEC_METADATA,
} dump_decoder;

typedef struct dump_opts {
	bool deep, print_data, json, skip_meta, resync;
	bool verify_index_only, index_sanity;
	ksd_bytes_encoding enc;
	dump_decoder decoder;
	uint64_t max_bytes;       /* 0 = unlimited */
	int64_t from_offset, to_offset; /* -1 = unset */
	int64_t from_ts;          /* INT64_MIN = unset */
} dump_opts;

typedef struct dump_ctx {
	dump_opts o;
	FILE *out;
	ksd_jw jw;
	ksd_decoder *decoder;
	ksd_readbuf rb;
	dump_decoder active_decoder; /* resolved for the current file */
	/* per file */
	const char *path;
	uint64_t batches, records, corruptions, bytes_out;
	/* whole run */
	uint64_t total_corruptions, files;
	int rc;
} dump_ctx;

/* Renderers (dump_render.c). */
void dump_file_header(dump_ctx *d, const char *kind, uint64_t bytes, int64_t base_offset);
void dump_batch(dump_ctx *d, const ksd_lr_event *ev, int32_t inner_count);
void dump_record(dump_ctx *d, const ksd_batch *b, const ksd_record *r);
void dump_corruption(dump_ctx *d, const char *code, uint64_t position, int64_t resume_at,
		     const char *message);
void dump_summary(dump_ctx *d, uint64_t bytes, uint64_t valid_bytes, bool cut_short);

/* Internal-topic and control-record decoding (dump_decode.c): write
 * key_decoded/value_decoded/control into the current JSON record, or the
 * decoded JSON as text; the text variant returns true when it printed. */
void dump_decoded_json(dump_ctx *d, const ksd_batch *b, const ksd_record *r);
bool dump_decoded_text(dump_ctx *d, const ksd_batch *b, const ksd_record *r);
dump_decoder dump_decoder_for_path(const dump_ctx *d, const char *path);

/* Readers (dump_log.c). */
int dump_log_window(dump_ctx *d, const char *path, uint64_t start, uint64_t end,
		    int64_t base_offset, const char *kind);
int dump_partition_dir(dump_ctx *d, const char *dir);
int dump_path(dump_ctx *d, const char *path);

/* Indexes, snapshots, checkpoints and other non-log files (dump_files.c). */
int dump_other_file(dump_ctx *d, const char *path, ksd_file_kind kind);

#endif
