/*
 * gen/segment.c - segment builder: a .log image plus the .index and
 * .timeindex a broker would have built for it.
 *
 * The index rule is LogSegment.append / recover (kafka-facts.md §2.5):
 * before an append, if more than index.interval.bytes were written since
 * the last entry, add an offset entry (key = the batch's last offset since
 * 2.0, KAFKA-6530; first offset before) pointing at the batch's position,
 * and offer the time index the max timestamp seen so far (TimeIndex.
 * maybeAppend keeps it only if it grew).  On close Kafka appends the final
 * max-timestamp entry (onBecomeInactiveSegment/close, §2.2) and trims both
 * files; a segment that never closed keeps its preallocated size (§2.4).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gen/internal.h"

#define LOG_FLUSH_BYTES (8u << 20) /* large buffered writes */
#define OFFSET_ENTRY 8
#define TIME_ENTRY 12

ksd_err ksd_gen_segment_path(char *out, size_t cap, const char *dir,
			     int64_t base_offset, const char *suffix)
{
	int n = snprintf(out, cap, "%s/%020" PRId64 "%s", dir, base_offset,
			 suffix);
	return n < 0 || (size_t)n >= cap ? KSD_ERR_OVERFLOW : KSD_OK;
}

static void apply_defaults(ksd_gen_segment_opts *o)
{
	if (o->index_interval_bytes <= 0)
		o->index_interval_bytes = KSD_GEN_INDEX_INTERVAL_DEFAULT;
	if (o->max_index_bytes <= 0)
		o->max_index_bytes = KSD_GEN_MAX_INDEX_BYTES_DEFAULT;
}

static ksd_err open_log_file(ksd_gen_segment *seg)
{
	char path[4096];
	ksd_err err = ksd_gen_segment_path(path, sizeof(path), seg->dir,
					   seg->base_offset, ".log");
	if (err)
		return err;
	seg->log_fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
			   0644);
	return seg->log_fd < 0 ? KSD_ERR_IO : KSD_OK;
}

ksd_err ksd_gen_segment_open(ksd_gen_segment *seg, const char *dir,
			     int64_t base_offset,
			     const ksd_gen_segment_opts *opts)
{
	memset(seg, 0, sizeof(*seg));
	seg->log_fd = -1;
	seg->base_offset = base_offset;
	if (opts)
		seg->opts = *opts;
	apply_defaults(&seg->opts);
	ksd_gen_buf_init(&seg->log);
	ksd_gen_buf_init(&seg->index);
	ksd_gen_buf_init(&seg->timeindex);
	/* An empty TimeIndex reports lastEntry = (NO_TIMESTAMP, baseOffset). */
	seg->max_timestamp = -1;
	seg->offset_of_max_timestamp = base_offset;
	seg->last_time_timestamp = -1;
	seg->last_time_offset = base_offset;
	seg->last_index_offset = -1;
	seg->next_offset = base_offset;
	if (!dir)
		return KSD_OK;
	seg->dir = strdup(dir);
	if (!seg->dir)
		return KSD_ERR_NOMEM;
	return open_log_file(seg);
}

/* Relative offset as AbstractIndex.toRelative: must fit [0, Int.MaxValue]. */
static bool relative_offset(const ksd_gen_segment *seg, int64_t offset,
			    int32_t *rel)
{
	if (offset < seg->base_offset ||
	    offset - seg->base_offset > INT32_MAX)
		return false;
	*rel = (int32_t)(offset - seg->base_offset);
	return true;
}

static void offset_index_append(ksd_gen_segment *seg, int64_t key,
				uint64_t position)
{
	int32_t rel;
	/* Entries the broker could not have written are left out: it throws
	 * on non-increasing keys (InvalidOffsetException) and on relative
	 * offsets that overflow (IndexOffsetOverflowException). */
	if (!relative_offset(seg, key, &rel) || position > INT32_MAX)
		return;
	if (seg->last_index_offset >= 0 && key <= seg->last_index_offset)
		return;
	ksd_gen_buf_put_be32(&seg->index, (uint32_t)rel);
	ksd_gen_buf_put_be32(&seg->index, (uint32_t)position);
	seg->last_index_offset = key;
}

static void time_index_maybe_append(ksd_gen_segment *seg, int64_t timestamp,
				    int64_t offset)
{
	int32_t rel;
	if (timestamp <= seg->last_time_timestamp ||
	    !relative_offset(seg, offset, &rel))
		return;
	ksd_gen_buf_put_be64(&seg->timeindex, (uint64_t)timestamp);
	ksd_gen_buf_put_be32(&seg->timeindex, (uint32_t)rel);
	seg->last_time_timestamp = timestamp;
	seg->last_time_offset = offset;
}

static void account_append(ksd_gen_segment *seg, uint64_t position,
			   const ksd_gen_batch_info *info)
{
	if (info->max_timestamp > seg->max_timestamp) {
		seg->max_timestamp = info->max_timestamp;
		seg->offset_of_max_timestamp = info->offset_of_max_timestamp;
	}
	if (seg->bytes_since_index_entry >
	    (uint64_t)seg->opts.index_interval_bytes) {
		int64_t key = seg->opts.index_first_offset ? info->base_offset
							   : info->last_offset;
		offset_index_append(seg, key, position);
		time_index_maybe_append(seg, seg->max_timestamp,
					seg->offset_of_max_timestamp);
		seg->bytes_since_index_entry = 0;
	}
	seg->bytes_since_index_entry += info->size;
	if (info->last_offset >= seg->next_offset)
		seg->next_offset = info->last_offset + 1;
}

static ksd_err flush_log(ksd_gen_segment *seg)
{
	if (seg->log_fd < 0 || seg->log.len == 0)
		return ksd_gen_buf_status(&seg->log);
	ksd_err err = gen_write_all(seg->log_fd, seg->log.data, seg->log.len);
	ksd_gen_buf_clear(&seg->log);
	return err;
}

static ksd_err maybe_flush(ksd_gen_segment *seg)
{
	if (seg->log.oom)
		return KSD_ERR_NOMEM;
	return seg->log.len >= LOG_FLUSH_BYTES ? flush_log(seg) : KSD_OK;
}

ksd_err ksd_gen_segment_append(ksd_gen_segment *seg, const void *entry,
			       size_t len, const ksd_gen_batch_info *info)
{
	if (seg->closed || !info || info->size != len)
		return KSD_ERR_INVAL;
	account_append(seg, seg->log_size, info);
	ksd_gen_buf_put(&seg->log, entry, len);
	seg->log_size += len;
	return maybe_flush(seg);
}

ksd_err ksd_gen_segment_append_v2(ksd_gen_segment *seg, ksd_gen_ctx *ctx,
				  const ksd_gen_batch_spec *spec,
				  ksd_gen_batch_info *info)
{
	ksd_gen_batch_info local;
	if (seg->closed)
		return KSD_ERR_INVAL;
	if (!info)
		info = &local;
	ksd_err err = ksd_gen_encode_v2(ctx, &seg->log, spec, info);
	if (err)
		return err;
	account_append(seg, seg->log_size, info);
	seg->log_size += info->size;
	return maybe_flush(seg);
}

ksd_err ksd_gen_segment_append_raw(ksd_gen_segment *seg, const void *p,
				   size_t len)
{
	if (seg->closed)
		return KSD_ERR_INVAL;
	ksd_gen_buf_put(&seg->log, p, len);
	seg->log_size += len;
	return maybe_flush(seg);
}

uint64_t ksd_gen_segment_position(const ksd_gen_segment *seg)
{
	return seg->log_size;
}

static size_t round_down(size_t n, size_t unit)
{
	return n / unit * unit;
}

/* Writes one index file; a preallocated one is extended with a hole to its
 * full size, as RandomAccessFile.setLength does for the broker. */
static ksd_err write_index(const ksd_gen_segment *seg, const char *suffix,
			   const ksd_gen_buf *b, size_t full_size)
{
	char path[4096];
	ksd_err err = ksd_gen_segment_path(path, sizeof(path), seg->dir,
					   seg->base_offset, suffix);
	if (err)
		return err;
	err = ksd_gen_write_file(path, b->data, b->len);
	if (err || !seg->opts.preallocate || full_size <= b->len)
		return err;
	return truncate(path, (off_t)full_size) ? KSD_ERR_IO : KSD_OK;
}

static ksd_err write_files(ksd_gen_segment *seg, size_t index_full,
			   size_t time_full)
{
	ksd_err err = flush_log(seg);
	if (!err && close(seg->log_fd) != 0)
		err = KSD_ERR_IO;
	seg->log_fd = -1;
	if (!err)
		err = write_index(seg, ".index", &seg->index, index_full);
	if (!err && !seg->opts.omit_timeindex)
		err = write_index(seg, ".timeindex", &seg->timeindex,
				  time_full);
	return err;
}

ksd_err ksd_gen_segment_close(ksd_gen_segment *seg)
{
	if (seg->closed)
		return KSD_ERR_INVAL;
	seg->closed = true;
	size_t index_full = round_down((size_t)seg->opts.max_index_bytes,
				       OFFSET_ENTRY);
	size_t time_full = round_down((size_t)seg->opts.max_index_bytes,
				      TIME_ENTRY);
	if (!seg->opts.preallocate)
		time_index_maybe_append(seg, seg->max_timestamp,
					seg->offset_of_max_timestamp);
	ksd_err err = ksd_gen_buf_status(&seg->index);
	if (!err)
		err = ksd_gen_buf_status(&seg->timeindex);
	if (err)
		return err;
	if (seg->dir)
		return write_files(seg, index_full, time_full);
	if (seg->opts.preallocate) {
		if (index_full > seg->index.len)
			ksd_gen_buf_put_zeros(&seg->index,
					      index_full - seg->index.len);
		if (time_full > seg->timeindex.len)
			ksd_gen_buf_put_zeros(&seg->timeindex,
					      time_full - seg->timeindex.len);
	}
	err = ksd_gen_buf_status(&seg->index);
	return err ? err : ksd_gen_buf_status(&seg->timeindex);
}

void ksd_gen_segment_free(ksd_gen_segment *seg)
{
	if (seg->log_fd >= 0)
		close(seg->log_fd);
	seg->log_fd = -1;
	ksd_gen_buf_free(&seg->log);
	ksd_gen_buf_free(&seg->index);
	ksd_gen_buf_free(&seg->timeindex);
	free(seg->dir);
	seg->dir = NULL;
}
