/*
 * ksd/seek.h - where to start reading a segment for an offset or a
 * timestamp, the way the broker's fetch lookup does (OffsetIndex.lookup,
 * TimeIndex.lookup, LogSegment.translateOffset / findOffsetByTimestamp).
 *
 * The index is only a hint: the caller still walks forward from the
 * returned position and skips batches below the target, so a stale or
 * damaged index costs time, never correctness.  A position that does not
 * hold a valid entry header falls back to the start of the segment.
 */
#ifndef KSD_SEEK_H
#define KSD_SEEK_H

#include <stdint.h>

#include "ksd/error.h"

/*
 * Largest offset-index entry with offset <= target -> file position; 0 when
 * the index is missing, empty or has no such entry.  `index_path` may be
 * NULL.  Entries beyond the first zero slot of a preallocated index are
 * ignored, as Kafka's lookup ignores them once it trims.
 */
uint64_t ksd_seek_offset(const char *index_path, int64_t base_offset, int64_t target);

/*
 * Largest time-index entry with timestamp <= target -> its offset, or
 * base_offset when none.  *largest receives the last entry's timestamp
 * (the segment's largest timestamp as the broker sees it), or -1.
 */
int64_t ksd_seek_timestamp(const char *timeindex_path, int64_t base_offset, int64_t target,
			   int64_t *largest);

#endif
