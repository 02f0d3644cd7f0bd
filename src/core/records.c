/*
 * Record-level decoding for the checks that need keys (cleaner feasibility).
 * Placeholder until the record iterator lands: counts from headers only.
 */
#include "scan_internal.h"

void ksd_segment_count_keys(ksd_worker *w, const ksd_segment *seg, uint64_t key_limit,
			    ksd_key_count *out)
{
	(void)w;
	(void)key_limit;
	out->records = seg->records;
	out->distinct_keys = 0;
	out->keys_capped = false;
	out->complete = false;
}
