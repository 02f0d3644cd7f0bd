/*
 * Index lookups for dump's --from-offset / --from-timestamp (ksd/seek.h),
 * over the same reader and analysis the index checks use (ksd/files.h):
 * indexes are read with pread, never mapped (a live broker trims them), and
 * only the ordered, non-preallocated entries are searched.
 */
#include "ksd/seek.h"

#include "ksd/files.h"

typedef struct index_view {
	ksd_bytes buf;
	ksd_file_image im;
	uint64_t n; /* searchable entries */
} index_view;

static bool index_open(index_view *v, const char *path, ksd_index_kind kind, int64_t base)
{
	v->buf = (ksd_bytes){NULL, 0};
	v->n = 0;
	if (!path || ksd_file_load(path, KSD_FILE_READ_CAP, &v->buf, &v->im) != KSD_OK)
		return false;
	ksd_index_analysis a;
	ksd_index_analyze(kind, base, &v->im, -1, &a);
	/* Binary search needs order: stop at the first violation. */
	v->n = a.ordered_entries < a.entries ? a.ordered_entries : a.entries;
	return true;
}

uint64_t ksd_seek_offset(const char *index_path, int64_t base_offset, int64_t target)
{
	index_view v;
	if (!index_open(&v, index_path, KSD_INDEX_OFFSET, base_offset))
		return 0;
	int64_t rel_target = target - base_offset;
	ksd_offset_entry e;
	/* The last entry with relative offset <= target (OffsetIndex.lookup). */
	uint64_t lo = 0, hi = v.n;
	while (lo < hi) {
		uint64_t mid = lo + (hi - lo) / 2;
		if (ksd_offset_entry_at(&v.im, mid, &e) && e.relative_offset <= rel_target)
			lo = mid + 1;
		else
			hi = mid;
	}
	uint64_t pos = 0;
	if (lo > 0 && ksd_offset_entry_at(&v.im, lo - 1, &e) && e.position > 0)
		pos = (uint64_t)e.position;
	ksd_bytes_free(&v.buf);
	return pos;
}

int64_t ksd_seek_timestamp(const char *timeindex_path, int64_t base_offset, int64_t target,
			   int64_t *largest)
{
	index_view v;
	*largest = -1;
	if (!index_open(&v, timeindex_path, KSD_INDEX_TIME, base_offset))
		return base_offset;
	ksd_time_entry e;
	if (v.n > 0 && ksd_time_entry_at(&v.im, v.n - 1, &e))
		*largest = e.timestamp;
	/* The last entry with timestamp <= target (TimeIndex.lookup). */
	uint64_t lo = 0, hi = v.n;
	while (lo < hi) {
		uint64_t mid = lo + (hi - lo) / 2;
		if (ksd_time_entry_at(&v.im, mid, &e) && e.timestamp <= target)
			lo = mid + 1;
		else
			hi = mid;
	}
	int64_t off = base_offset;
	if (lo > 0 && ksd_time_entry_at(&v.im, lo - 1, &e))
		off = base_offset + e.relative_offset;
	ksd_bytes_free(&v.buf);
	return off;
}
