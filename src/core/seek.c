/*
 * Index lookups for dump's --from-offset / --from-timestamp (ksd/seek.h).
 */
#include "ksd/seek.h"

#include <stdlib.h>

#include "ksd/cursor.h"
#include "ksd/source.h"

/* Indexes are 10 MiB by default (segment.index.bytes); never trust more. */
#define SEEK_MAX_INDEX_BYTES (256u << 20)

typedef struct index_view {
	ksd_source src;
	const uint8_t *p;
	size_t n; /* entries */
} index_view;

static bool index_open(index_view *v, const char *path, size_t entry_size)
{
	v->p = NULL;
	v->n = 0;
	if (!path || ksd_source_open(&v->src, path, KSD_IO_MMAP, NULL) != KSD_OK)
		return false;
	size_t got = 0;
	uint64_t size = v->src.size > SEEK_MAX_INDEX_BYTES ? SEEK_MAX_INDEX_BYTES : v->src.size;
	v->p = size ? ksd_source_peek(&v->src, 0, (size_t)size, &got) : NULL;
	v->n = v->p ? got / entry_size : 0;
	return true;
}

static void index_close(index_view *v)
{
	ksd_source_close(&v->src);
}

/* Entries past the first all-zero slot (after slot 0) are preallocation. */
static size_t used_entries(const index_view *v, size_t entry_size)
{
	for (size_t i = 1; i < v->n; i++) {
		const uint8_t *e = v->p + i * entry_size;
		bool zero = true;
		for (size_t k = 0; k < entry_size && zero; k++)
			zero = e[k] == 0;
		if (zero)
			return i;
	}
	return v->n;
}

uint64_t ksd_seek_offset(const char *index_path, int64_t base_offset, int64_t target)
{
	index_view v;
	if (!index_open(&v, index_path, 8))
		return 0;
	size_t n = used_entries(&v, 8);
	uint64_t pos = 0;
	int64_t rel_target = target - base_offset;
	/* Binary search for the last entry with relative offset <= target. */
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int32_t rel = (int32_t)ksd_load_be32(v.p + mid * 8);
		if (rel <= rel_target)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo > 0) {
		int32_t p = (int32_t)ksd_load_be32(v.p + (lo - 1) * 8 + 4);
		pos = p > 0 ? (uint64_t)p : 0;
	}
	index_close(&v);
	return pos;
}

int64_t ksd_seek_timestamp(const char *timeindex_path, int64_t base_offset, int64_t target,
			   int64_t *largest)
{
	index_view v;
	*largest = -1;
	if (!index_open(&v, timeindex_path, 12))
		return base_offset;
	size_t n = used_entries(&v, 12);
	if (n > 0)
		*largest = (int64_t)ksd_load_be64(v.p + (n - 1) * 12);
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int64_t ts = (int64_t)ksd_load_be64(v.p + mid * 12);
		if (ts <= target)
			lo = mid + 1;
		else
			hi = mid;
	}
	int64_t off = base_offset;
	if (lo > 0)
		off = base_offset + (int32_t)ksd_load_be32(v.p + (lo - 1) * 12 + 8);
	index_close(&v);
	return off;
}
