/*
 * Internal interfaces between the scan's modules (not installed).
 */
#ifndef KSD_SCAN_INTERNAL_H
#define KSD_SCAN_INTERNAL_H

#include "ksd/codec.h"
#include "ksd/files.h"
#include "ksd/scan.h"
#include "ksd/source.h"

/* Per-worker scratch: reused buffers so steady state allocates nothing.
 * ix[0] holds a segment's .index (later its .txnindex, or a producer
 * snapshot in pass 2), ix[1] its .timeindex, for the whole walk. */
typedef struct ksd_worker {
	ksd_readbuf rb;
	ksd_decoder *decoder;
	ksd_bytes ix[2];
} ksd_worker;

ksd_err ksd_worker_init(ksd_worker *w);
void ksd_worker_free(ksd_worker *w);

char *ksd_path_join(const char *dir, const char *name);
void ksd_scan_op_error(ksd_scan *scan, const char *path, ksd_err err, int sys_errno);
bool ksd_topic_is_compacted(const ksd_config *cfg, const char *topic);
void ksd_note_foreign_dir(ksd_logdir *ld, const char *path, const char *name);

/* Findings of a segment; allocates the list on first use (NULL on OOM). */
ksd_findings *ksd_segment_findings(const ksd_config *cfg, ksd_segment *seg);

/* Pass 1: one segment.  bytes_done is advanced as the walk proceeds. */
void ksd_pass_segment(const ksd_config *cfg, ksd_worker *w, ksd_partition *p,
		      ksd_segment *seg, uint64_t *bytes_done);

/* Pass 1 over an open source (memory sources for tests and fuzzing). */
void ksd_walk_segment(const ksd_config *cfg, ksd_source *src, ksd_partition *p,
		      ksd_segment *seg, uint64_t *bytes_done);
/* The same, feeding every batch to an index verifier (may be NULL). */
void ksd_walk_segment_ixv(const ksd_config *cfg, ksd_source *src, ksd_partition *p,
			  ksd_segment *seg, uint64_t *bytes_done, ksd_index_verifier *ixv);

/*
 * What the broker will do with a segment at its next start (§2.6, §5.1),
 * for grading index findings: whether the log dir was shut down cleanly,
 * and whether this segment is recovered anyway (unclean shutdown and at or
 * above the recovery point, a missing .index, or the KRaft metadata log,
 * which is recovered at every start).  Reads the log dir's marker and
 * recovery-point checkpoint, so call it only when there is a finding.
 */
void ksd_segment_index_ctx(const ksd_config *cfg, const ksd_partition *p,
			   const ksd_segment *seg, const char *path, ksd_index_ctx *ctx);
/* The partition's last segment with a .log (its active segment). */
bool ksd_segment_is_active(const ksd_partition *p, const ksd_segment *seg);
/* True when the log dir holds .kafka_cleanshutdown. */
bool ksd_logdir_clean_shutdown(const ksd_partition *p);

/* Pass 2: a partition's producer snapshots (snapshot-corrupt). */
void ksd_check_partition_snapshots(ksd_worker *w, ksd_partition *p);

/* Pass 2: one partition, after all its segments went through pass 1. */
void ksd_pass_partition(const ksd_config *cfg, ksd_worker *w, ksd_partition *p);

/* 1 when another process holds <logdir>/.lock, 0 free, -1 unknown. */
int ksd_probe_lock(const char *logdir, int *pid);
void ksd_probe_logdir_lock(ksd_logdir *ld);

/* Pass 3: one log dir. */
void ksd_pass_logdir(const ksd_config *cfg, ksd_logdir *ld);

/* Reads the log dir's recovery-point and cleaner checkpoints once and sets
 * each live partition's recovery_point / cleaner_checkpoint (-1 = none). */
void ksd_load_logdir_checkpoints(ksd_logdir *ld);

/*
 * Decodes every record of a segment (decompressing as needed) and counts
 * records and distinct non-null keys.  Counting distinct keys stops at
 * key_limit + 1 to bound memory.  False when some batch could not be
 * decoded (the counts then cover what could).
 */
typedef struct ksd_key_count {
	uint64_t records;
	uint64_t distinct_keys;
	bool keys_capped;  /* distinct_keys stopped at key_limit + 1 */
	bool complete;     /* every batch decoded */
} ksd_key_count;

void ksd_segment_count_keys(ksd_worker *w, const ksd_segment *seg, uint64_t key_limit,
			    ksd_key_count *out);

/* Pass 2, data-level findings of one partition (pass_data.c). */
void ksd_check_legacy_format(const ksd_config *cfg, ksd_partition *p);
/* future-timestamp and expired-timestamp (time retention). */
void ksd_check_timestamps(const ksd_config *cfg, ksd_partition *p);
/* producer-state-rebuild; `snapshot` is the newest usable producer snapshot
 * at or below the log end, -1 when there is none. */
void ksd_check_producer_rebuild(const ksd_config *cfg, ksd_partition *p, int64_t snapshot);
/* Pass 2: hanging-transaction (pass_txn.c); re-reads the partition's
 * segments at header level when pass 1 saw transactional batches. */
void ksd_check_transactions(const ksd_config *cfg, ksd_worker *w, ksd_partition *p);
/* The offset after the last batch of the last .log; -1 with no .log. */
int64_t ksd_partition_log_end(const ksd_partition *p);
/* 1700000000000 -> "2023-11-14T22:13:20.000Z" (UTC). */
const char *ksd_fmt_iso_ms(int64_t ms, char *buf, size_t len);
/* 900000 -> "15 min", for messages. */
const char *ksd_fmt_duration_ms(int64_t ms, char *buf, size_t len);

/* Pass 3, directory level (pass_dirchecks.c): unclean-shutdown,
 * missing-index, orphan-file, checkpoint-mismatch, from the model. */
void ksd_check_logdir_files(const ksd_config *cfg, ksd_logdir *ld);

/* After pass 3 (pass_broker.c): checks across log dirs, into scan->findings:
 * meta-properties-mismatch, duplicate-partition, topic-id-mismatch. */
void ksd_pass_broker(ksd_scan *scan);

#endif
