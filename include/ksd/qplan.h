/*
 * ksd/qplan.h - from a scan and a selection to quarantine units, the
 * preconditions they must meet, and what applying them would lose.
 *
 * Planning only reads.  A plan is a list of ksd_qunit (ksd/quarantine.h)
 * with, per unit, the scan objects it came from; refusals say which guard
 * stopped a target and which option (if any) overrides it; notes carry the
 * consequences an operator must read before an override (log end, high
 * watermark, leader epochs).  The loss proof (ksd_qloss_*) re-reads the
 * targeted partitions and says which keys, committed offsets, transaction
 * markers and records would be gone (kafka-facts.md §5.5, §8.9-10).
 */
#ifndef KSD_QPLAN_H
#define KSD_QPLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ksd/quarantine.h"
#include "ksd/scan.h"

/* What the user asked for. */
typedef struct ksd_qsel {
	const char *const *codes;    /* --finding CODE */
	size_t ncodes;
	const char *const *segments; /* --segment PATH: the whole family */
	size_t nsegments;
	const char *const *tails;    /* --cut-tail PATH: cut at the first damage */
	size_t ntails;
	const char *const *indexes;  /* --drop-index PATH */
	size_t nindexes;
	bool allow_active;           /* the last segment may be touched */
	bool allow_gap;              /* a middle segment of a delete-policy topic */
} ksd_qsel;

/* A guard that stopped a target.  guard is a stable id (JSON, tests). */
typedef struct ksd_qrefusal {
	const char *guard;    /* "broker-running", "cluster-metadata", "not-a-segment",
			       * "active-segment", "log-start", "offset-gap",
			       * "not-quarantinable", "nothing-to-cut", "no-index" (static) */
	const char *override; /* "--allow-active", "--allow-gap", or NULL (static) */
	char *target;         /* path or finding code (owned) */
	char *why;            /* one line with the numbers (owned) */
} ksd_qrefusal;

/* A consequence of a unit the operator accepted by an override. */
typedef struct ksd_qnote {
	size_t unit;
	char *text;           /* owned */
} ksd_qnote;

/* Per unit: where in the scan it came from. */
typedef struct ksd_qtarget {
	const ksd_partition *p;
	const ksd_segment *s;
	const char *code;     /* finding code or "explicit" (static) */
	bool active;          /* the partition's last segment */
	int64_t cut_offset;   /* KSD_QU_TAIL: first offset at/after cut_at, -1 none */
	int64_t kept_end;     /* KSD_QU_TAIL: log end of the kept prefix */
} ksd_qtarget;

/* Per partition touched: its log end before and after. */
typedef struct ksd_qpart_effect {
	const ksd_partition *p;
	int64_t log_start_before, log_end_before;
	int64_t log_start_after, log_end_after; /* -1: no segment left */
	int64_t high_watermark;                 /* -1 none */
	int64_t log_start_checkpoint;           /* -1 none */
	size_t epochs_beyond;                   /* leader-epoch entries >= new log end */
	int32_t first_epoch_beyond;
	int64_t first_epoch_beyond_start;
} ksd_qpart_effect;

typedef struct ksd_qplan {
	ksd_qunit *units;
	ksd_qtarget *targets;   /* parallel to units */
	size_t nunits;
	ksd_qrefusal *refusals;
	size_t nrefusals;
	ksd_qnote *notes;
	size_t nnotes;
	ksd_qpart_effect *parts;
	size_t nparts;
	char **logdirs;         /* distinct unit log dirs (owned) */
	size_t nlogdirs;
} ksd_qplan;

/*
 * Builds the plan.  Files are stat'ed and hashed (ksd_qfile_stat); an I/O
 * error on one becomes KSD_ERR_IO with errbuf naming the file.  Targets a
 * guard stops become refusals, never units.
 */
ksd_err ksd_qplan_build(const ksd_scan *scan, const ksd_qsel *sel, ksd_qplan *plan,
			char *errbuf, size_t errlen);
void ksd_qplan_free(ksd_qplan *plan);

/* "segment", "tail", "drop-index". */
const char *ksd_qunit_kind_name(ksd_qunit_kind k);

/* What a finding code maps to: 0 segment, 1 tail, 2 drop-index, -1 refused
 * (the broker or an operator handles it, not a quarantine). */
int ksd_qplan_code_action(const char *code);

/* --- the loss proof ------------------------------------------------------- */

typedef struct ksd_qloss_offset {
	char *group, *topic;
	int32_t partition;
	int64_t before, after;  /* -1: none */
	const char *change;     /* "lost", "changed", "returns" (static) */
} ksd_qloss_offset;

typedef struct ksd_qloss_marker {
	int64_t producer_id, offset;
	const char *type;       /* "COMMIT" / "ABORT" */
	bool hanging;           /* its transaction's data stays: left open */
} ksd_qloss_marker;

/* Keys listed per partition by default (--json has them all up to this). */
#define KSD_QLOSS_LISTED_KEYS 10000

typedef struct ksd_qloss_key {
	char *key;              /* printable, escaped; __consumer_offsets keys decoded (owned) */
	const char *verdict;    /* "lost", "reverts", "returns" (static) */
} ksd_qloss_key;

typedef struct ksd_qloss_part {
	const ksd_partition *p;
	bool compacted, offsets_topic;
	/* records in the targeted ranges */
	uint64_t records, batches, bytes;
	int64_t first_offset, last_offset;   /* -1 none */
	int64_t min_timestamp, max_timestamp; /* -1 none */
	uint64_t damaged_bytes;              /* bytes in the ranges that do not parse */
	/* compacted: keys whose latest record is only in the targets */
	uint64_t keys_lost;       /* no record of the key remains */
	uint64_t keys_reverted;   /* an older value of the key becomes the latest */
	uint64_t keys_returning;  /* a removed tombstone lets an older value return */
	ksd_qloss_key *keys;      /* every such key, in log order, up to the listing limit */
	size_t nkeys;
	bool keys_truncated;      /* more keys than the listing limit */
	bool keys_capped;         /* the key table hit its limit: counts are lower bounds */
	/* __consumer_offsets: committed offsets with and without the targets */
	ksd_qloss_offset *offsets;
	size_t noffsets;
	char **groups_gone;       /* groups whose last group record disappears (owned) */
	size_t ngroups_gone;
	/* transaction markers removed */
	ksd_qloss_marker *markers;
	size_t nmarkers;
	uint64_t markers_total;
	bool loses;               /* anything here counts as loss */
} ksd_qloss_part;

typedef struct ksd_qloss {
	ksd_qloss_part *parts;
	size_t nparts;
	bool any;                 /* non-empty loss list: --accept-loss needed */
	uint64_t bytes_read;
	double seconds;
} ksd_qloss;

typedef struct ksd_qloss_opts {
	uint64_t max_keys;        /* per partition key table limit (0 = 64 M) */
	size_t max_listed_keys;   /* keys listed per partition (0 = KSD_QLOSS_LISTED_KEYS) */
} ksd_qloss_opts;

ksd_err ksd_qloss_compute(const ksd_scan *scan, const ksd_qplan *plan,
			  const ksd_qloss_opts *o, ksd_qloss *out);
void ksd_qloss_free(ksd_qloss *l);

#endif
