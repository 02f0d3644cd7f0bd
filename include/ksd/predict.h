/*
 * ksd/predict.h - what the broker will do at its next start, from a
 * finished scan (kafka-facts.md §2.6, §2.7, §3.7, §5.1-5.4).
 *
 * The prediction replays LogManager.loadLogs / LogLoader.load on the model:
 * per log dir (one pool of num.recovery.threads.per.data.dir threads, one
 * job per partition), per partition, per segment:
 *   - which segments are recovered (re-read, CRC-checked, indexes rebuilt)
 *     and why: unflushed after an unclean shutdown, a missing .index, a
 *     .txnindex the loader rejects, a 0.9-2.2 index sanity-check failure,
 *     or the KRaft metadata log (recovered at every start);
 *   - which overflowed segments are split (2.0+, KAFKA-6264);
 *   - what is truncated and deleted: a recovered segment is truncated at its
 *     first damage, and when that happens in recoverLog every later unflushed
 *     segment is deleted; a log-start-offset checkpoint above the log end
 *     deletes every segment;
 *   - how much of the log producer-state rebuilding replays (§5.4);
 *   - and how long it takes: bytes re-read, scheduled longest-first onto the
 *     recovery threads, divided by a rate.
 * Nothing here prints or touches a file other than reading producer
 * snapshots and (for 0.9-2.2) index files already named in findings.
 */
#ifndef KSD_PREDICT_H
#define KSD_PREDICT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ksd/error.h"
#include "ksd/scan.h"

/* Why a segment is recovered (a set). */
enum {
	KSD_RR_UNFLUSHED = 1u,        /* unclean shutdown, at/above the recovery point */
	KSD_RR_MISSING_INDEX = 2u,    /* no .index: recovered even after a clean shutdown */
	KSD_RR_TXNINDEX_CORRUPT = 4u, /* TransactionIndex.sanityCheck: CorruptIndexException */
	KSD_RR_INDEX_SANITY = 8u,     /* 0.9-2.2: offset/time index fails its sanity check */
	KSD_RR_METADATA_LOG = 16u,    /* __cluster_metadata-0: recovered at every start */
};
/* Reasons LogLoader.loadSegmentFiles acts on (before recoverLog). */
#define KSD_RR_AT_LOAD (KSD_RR_MISSING_INDEX | KSD_RR_TXNINDEX_CORRUPT | KSD_RR_INDEX_SANITY)

/* "unflushed", "missing-index", ... for one reason bit. */
const char *ksd_recover_reason_name(unsigned bit);

typedef enum ksd_delete_cause {
	KSD_DEL_NONE = 0,
	KSD_DEL_AFTER_TRUNCATION, /* a later unflushed segment after a truncation */
	KSD_DEL_LOG_START,        /* log-start-offset-checkpoint above the log end */
} ksd_delete_cause;

typedef struct ksd_segment_prediction {
	const ksd_segment *seg;
	unsigned reasons;         /* KSD_RR_* */
	bool recovered;           /* read by the broker's recovery */
	uint64_t read_bytes;      /* bytes recovery reads (up to the truncation) */
	/* truncation at the first damage (ksd_segment.first_damage) */
	bool truncated;
	uint64_t truncate_to;     /* new size in bytes */
	uint64_t truncated_bytes;
	int64_t truncate_offset;  /* first offset dropped, -1 when unknown */
	/* deletion */
	ksd_delete_cause deleted;
	/* offset overflow (offset-overflow finding) */
	bool overflow;
	bool split;               /* recovered by a 2.0+ broker: split (KAFKA-6264) */
	/* damage the broker keeps (segment not recovered) */
	bool damage_kept;
} ksd_segment_prediction;

typedef enum ksd_replay_kind {
	KSD_REPLAY_NONE = 0,         /* nothing to replay (state at log end) */
	KSD_REPLAY_NOT_APPLICABLE,   /* pre-0.11 broker, or -delete dir, or all deleted */
	KSD_REPLAY_SKIPPED_CLEAN,    /* clean shutdown and no snapshot: empty snapshots written */
	KSD_REPLAY_SKIPPED_LEGACY,   /* < 4.0 and no v2 data: record version < 2 */
	KSD_REPLAY_FROM_SNAPSHOT,    /* from a valid snapshot's offset */
	KSD_REPLAY_FROM_LOG_START,   /* no valid snapshot: full replay */
} ksd_replay_kind;

const char *ksd_replay_kind_name(ksd_replay_kind k);

typedef struct ksd_partition_prediction {
	const ksd_partition *part;
	ksd_segment_prediction *segs; /* parallel to part->segments */
	size_t nsegs;
	uint64_t recovered_segments, recovered_bytes;
	uint64_t rebuilt_index_files;  /* index files rewritten by the recoveries */
	uint64_t truncated_bytes;
	uint64_t deleted_segments, deleted_bytes;
	uint64_t split_segments;
	uint64_t overflow_unsplit;     /* overflowed segments left as they are */
	uint64_t damage_kept_segments;
	int64_t log_end;               /* next offset after recovery, -1 unknown/empty */
	bool delete_all;               /* log start checkpoint > log end */
	/* leftover-file findings (what startup deletes or completes) */
	uint64_t leftover_deleted_files, leftover_deleted_bytes; /* .deleted/.cleaned */
	uint64_t leftover_swap_files, leftover_swap_bytes;
	/* producer state (§5.4) */
	ksd_replay_kind replay;
	int64_t replay_from;           /* offset the (first) replay starts at */
	uint64_t replay_bytes;
	unsigned valid_snapshots;
	/* startup fails on this partition (0.8 index check, txnindex version,
	 * overflow before 2.0); static text or NULL */
	const char *startup_failure;
	uint64_t work_bytes;           /* recovered + replayed bytes */
} ksd_partition_prediction;

typedef struct ksd_logdir_prediction {
	const ksd_logdir *ld;
	bool clean_shutdown;
	ksd_partition_prediction *parts; /* parallel to ld->partitions */
	size_t nparts;
	uint64_t recovered_segments, recovered_bytes, recovered_partitions;
	uint64_t missing_index_segments;
	uint64_t replay_bytes, full_replay_partitions;
	uint64_t truncated_bytes, truncated_segments, deleted_segments, deleted_bytes;
	uint64_t work_bytes;
	unsigned threads;
	uint64_t makespan_bytes;       /* the busiest thread's bytes, longest first */
	uint64_t makespan_bound_bytes; /* any job order: sum/T + (1 - 1/T) x largest */
	double seconds, seconds_bound;
} ksd_logdir_prediction;

typedef enum ksd_rate_source {
	KSD_RATE_GIVEN = 0,    /* --recovery-rate */
	KSD_RATE_MEASURED,     /* this scan's CRC-level throughput */
	KSD_RATE_DEFAULT,      /* nothing measured: KSD_RECOVERY_RATE_DEFAULT */
} ksd_rate_source;

/* A deliberately conservative 100 MB/s when nothing was measured. */
#define KSD_RECOVERY_RATE_DEFAULT 100e6

typedef struct ksd_predict_opts {
	double scan_seconds;   /* the scan's wall time, for the measured rate */
} ksd_predict_opts;

typedef struct ksd_prediction {
	ksd_kversion version;  /* the rules applied */
	bool version_assumed;  /* unknown: a current broker (2.3+, 4.x rules) */
	ksd_logdir_prediction *logdirs;
	size_t nlogdirs;
	unsigned threads;
	double rate;           /* bytes per second */
	ksd_rate_source rate_source;
	uint64_t measured_bytes; /* for KSD_RATE_MEASURED */
	double measured_seconds;
	unsigned scan_workers;   /* the measured rate is per worker of the scan */
	double seconds;        /* max over log dirs, longest-first schedule */
	double seconds_bound;  /* max over log dirs, any job order (Graham) */
	/* totals over log dirs */
	uint64_t recovered_segments, recovered_bytes, replay_bytes, work_bytes;
	uint64_t truncated_segments, truncated_bytes, deleted_segments, deleted_bytes;
	uint64_t damage_kept_segments, split_segments;
	uint64_t startup_failures;
} ksd_prediction;

ksd_err ksd_predict_recovery(const ksd_scan *scan, const ksd_predict_opts *opts,
			     ksd_prediction **out);
void ksd_prediction_free(ksd_prediction *pr);

/*
 * LogLoader's per-segment rule without the index and txnindex files: the
 * KRaft metadata log always, a missing .index always, and after an unclean
 * shutdown every segment from the one holding the recovery point on (a
 * partition missing from the checkpoint starts at 0).  pass_segment.c grades
 * index findings with it.
 */
bool ksd_segment_recovered_at_startup(const ksd_partition *p, const ksd_segment *seg,
				      bool clean_shutdown);

/* Longest-processing-time-first: jobs sorted by size, each to the least
 * loaded of `threads` workers; returns the largest worker total.  `work` is
 * reordered.  LogManager.loadLogs runs one job per partition dir, like
 * this, but in listing order: its makespan can be longer, up to
 * ksd_schedule_bound. */
uint64_t ksd_schedule_makespan(uint64_t *work, size_t n, unsigned threads);

/* Graham's bound for list scheduling in any order (the broker's listing
 * order): sum/T + (1 - 1/T) x the largest job, rounded up; never below the
 * longest-first makespan of the same jobs. */
uint64_t ksd_schedule_bound(const uint64_t *work, size_t n, unsigned threads);

#endif
