/*
 * ksd/scan.h - the scan: what the CLI asks for, and the model it gets back.
 *
 * A scan resolves paths into log dirs, partitions and segments (discovery),
 * then runs passes, each establishing facts for the next (e2fsck style):
 *   1. segment pass (parallel over segments): walks every entry of each
 *      .log, verifies CRCs, finds torn tails, corrupt entries and offset
 *      overflow; records each segment's offset range and counts;
 *   2. partition pass (parallel over partitions): relations between a
 *      partition's segments (overlap) and cleaner feasibility, using the
 *      ranges from pass 1 and the log dir's cleaner checkpoint;
 *   3. log dir pass: the root's own entries (foreign directories, unknown
 *      files) and the broker lock.
 * The core never prints: findings hang off the model, and the CLI renders
 * them.
 */
#ifndef KSD_SCAN_H
#define KSD_SCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ksd/error.h"
#include "ksd/kversion.h"
#include "ksd/names.h"
#include "ksd/problem.h"
#include "ksd/source.h"

typedef enum ksd_level {
	KSD_LEVEL_HEADERS = 0, /* walk entry headers only: no payload pages */
	KSD_LEVEL_CRC = 1,     /* also verify every batch CRC (default) */
} ksd_level;

/* Settings that decide the cleaner's dedupe map (kafka-facts.md §4.1). */
typedef struct ksd_cleaner_settings {
	uint64_t dedupe_buffer_size; /* log.cleaner.dedupe.buffer.size */
	int threads;                 /* log.cleaner.threads */
	double load_factor;          /* log.cleaner.io.buffer.load.factor */
	bool enabled;                /* log.cleaner.enable */
	/* Which of the above came from the user rather than version defaults. */
	bool buffer_given, threads_given, load_factor_given, enabled_given;
} ksd_cleaner_settings;

typedef struct ksd_config {
	ksd_kversion kafka_version; /* .known false = unknown */
	ksd_cleaner_settings cleaner;
	const char *const *compacted_topics; /* extra compacted topics */
	size_t ncompacted_topics;
	ksd_level level;
	ksd_io_mode io_mode;  /* backend for full reads (CRC level) */
	bool io_mode_given;
	unsigned jobs;        /* worker threads; 0 = online CPUs */
	unsigned max_findings_per_problem; /* per segment/partition/log dir */
	/* Time-dependent checks (retention, open transactions). */
	int64_t now_ms;            /* the clock they use; 0 = wall clock at scan start */
	int64_t retention_ms;      /* log.retention.{ms,minutes,hours}; -1 = unlimited */
	int retention_rank;        /* which key set it: 0 default, 1 hours, 2 minutes, 3 ms, 4 user */
	int64_t txn_timeout_ms;    /* transaction.max.timeout.ms (default 900000) */
	/* Restart prediction. */
	unsigned recovery_threads; /* num.recovery.threads.per.data.dir; 0 = version default */
	bool recovery_threads_given;
	double recovery_rate;      /* bytes/s recovery re-reads at; 0 = measure this scan */
} ksd_config;

/* Defaults: unknown version, Kafka's cleaner defaults, CRC level. */
void ksd_config_init(ksd_config *cfg);

/*
 * Fills cleaner settings not given explicitly with the defaults of the
 * configured Kafka version (0.9.0.0 had a 500 MiB buffer and the cleaner off
 * by default; 128 MiB and on from 0.9.0.1, KAFKA-2988).
 */
void ksd_config_resolve_defaults(ksd_config *cfg);

/*
 * Reads cleaner settings and log.dirs from a broker's server.properties.
 * Explicit settings already in cfg win.  *log_dirs (may be NULL) receives a
 * malloc'ed, comma-split list of log.dirs/log.dir when present.
 */
ksd_err ksd_config_load_properties(ksd_config *cfg, const char *path,
				   char ***log_dirs, size_t *nlog_dirs,
				   char *errbuf, size_t errlen);

/* num.recovery.threads.per.data.dir: the given one, else 1 (2 from 4.0). */
unsigned ksd_config_recovery_threads(const ksd_config *cfg);

/* floor(floor(min(buffer/threads, 2^31-1)/24) * loadFactor): SkimpyOffsetMap. */
uint64_t ksd_cleaner_capacity(const ksd_cleaner_settings *s);

/* --- the model -------------------------------------------------------- */

typedef struct ksd_segment {
	int64_t base_offset;  /* from the file name */
	char *log_path;       /* NULL when only indexes exist */
	uint64_t log_size;
	bool has_index, has_timeindex, has_txnindex;
	/* pass 1 results */
	bool walked;
	uint64_t batches;
	uint64_t records;      /* v2 counts + uncompressed legacy messages */
	bool records_exact;    /* false when legacy compressed wrappers exist */
	int64_t first_offset;  /* lowest batch base offset, -1 if none */
	int64_t last_offset;   /* highest batch last offset, -1 if none */
	int64_t max_timestamp; /* -1 if none */
	uint32_t magic_mask;   /* bit m set when magic m seen */
	uint32_t codec_mask;   /* bit c set when codec c seen */
	uint64_t legacy_bytes; /* bytes of magic 0/1 entries (legacy-format) */
	uint64_t txn_batches;  /* v2 transactional batches, data and control */
	int64_t mtime_ms;      /* the .log's mtime (retention without timestamps) */
	uint64_t valid_bytes;  /* bytes before the first damage */
	int64_t first_damage;  /* file position of the first damage, or -1 */
	int io_errno;          /* errno when the file could not be read */
	ksd_findings *findings; /* allocated on first finding */
	uint64_t v0_bytes;     /* the magic 0 part of legacy_bytes (legacy-format) */
} ksd_segment;

typedef struct ksd_partition {
	char *path;            /* the partition directory */
	char *dir_name;
	ksd_partition_name name;
	bool compacted;        /* by topic name or --compacted-topic */
	ksd_segment *segments; /* sorted by base offset */
	size_t nsegments;
	bool only_files;       /* the user named files, not the directory */
	uint64_t file_bytes;   /* sum of file sizes in the dir (discovery) */
	uint64_t disk_bytes;   /* allocated bytes (st_blocks), as du counts */
	int64_t recovery_point;     /* recovery-point-offset-checkpoint, -1 = none */
	int64_t cleaner_checkpoint; /* cleaner-offset-checkpoint, -1 = none */
	int64_t high_watermark;     /* replication-offset-checkpoint, -1 = none */
	int64_t log_start_checkpoint; /* log-start-offset-checkpoint, -1 = none */
	char topic_id[23];     /* partition.metadata's topic id, "" = none/invalid */
	int64_t *snapshots;    /* producer snapshot offsets (<offset>.snapshot); sorted by pass 2 */
	size_t nsnapshots;
	/* pass 2: per snapshot, whether the broker's loader accepts it
	 * (1), rejects it (0), or it could not be read (-1); NULL before */
	signed char *snapshot_accepted;
	ksd_findings findings;
	struct ksd_logdir *logdir;
} ksd_partition;

/* A log dir root's meta.properties, as ksd_load_logdir_checkpoints read it
 * (the broker-scope checks compare them across log dirs). */
typedef struct ksd_logdir_meta {
	int status;            /* -1 absent or unreadable, else a ksd_text_status (0 ok) */
	int version;           /* 0 ZooKeeper mode, 1 KRaft */
	bool has_broker_id, has_node_id, has_cluster_id, has_directory_id;
	int32_t broker_id, node_id;
	char cluster_id[256];
	char directory_id[23]; /* Uuid text, "" = none */
	uint32_t bad_line;     /* where parsing stopped when status != 0 */
	const char *bad_what;  /* static */
} ksd_logdir_meta;

typedef struct ksd_logdir {
	char *path;            /* as the user spelled it */
	char *real_path;       /* canonical, for grouping */
	bool root_given;       /* the root itself was named (vs. its partitions) */
	bool is_logdir;        /* has meta.properties/checkpoints or partitions */
	int lock_state;        /* 0 free, 1 held by another process, -1 unknown */
	int lock_pid;
	int clean_shutdown;    /* 1 .kafka_cleanshutdown present, 0 absent, -1 not a root */
	ksd_partition *partitions;
	size_t npartitions;
	ksd_findings findings;
	ksd_logdir_meta meta;  /* meta.properties (read with the checkpoints) */
} ksd_logdir;

/* An operational error: a path that could not be read. */
typedef struct ksd_op_error {
	char *path;
	ksd_err err;
	int sys_errno;
} ksd_op_error;

typedef struct ksd_totals {
	uint64_t logdirs, partitions, segments, log_bytes, batches, records;
	uint64_t findings_by_severity[3];
	uint64_t suppressed;
} ksd_totals;

typedef struct ksd_scan {
	ksd_config cfg;
	ksd_findings findings; /* broker scope: across log dirs */
	ksd_logdir *logdirs;
	size_t nlogdirs;
	ksd_op_error *errors;
	size_t nerrors;
	ksd_totals totals;
	uint64_t bytes_total; /* .log bytes to read, for progress */
} ksd_scan;

/*
 * Progress is reported from the calling thread (never from workers), about
 * four times a second, so a CLI can draw it without locking.
 */
typedef void (*ksd_progress_fn)(void *ud, uint64_t bytes_done, uint64_t bytes_total,
				uint64_t segments_done, uint64_t segments_total);

ksd_err ksd_scan_new(const ksd_config *cfg, ksd_scan **out);
void ksd_scan_free(ksd_scan *scan);

/*
 * Adds a path: a log dir root, a partition dir, or a segment/index file.
 * Unreadable or unrecognised paths become operational errors in the scan
 * (returned as well); nothing is read beyond directory listings yet.
 */
ksd_err ksd_scan_add_path(ksd_scan *scan, const char *path);

/* Runs every pass. */
ksd_err ksd_scan_run(ksd_scan *scan, ksd_progress_fn progress, void *ud);

/* Orders partitions (topic, then partition) and links them to their log
 * dir, without reading any file: enough for inventories such as `sizes`.
 * ksd_scan_run does this itself. */
void ksd_scan_finish_discovery(ksd_scan *scan);

/* Walks every finding in report order: broker scope (ld, p and s NULL),
 * then each log dir, its partitions, their segments. */
typedef void (*ksd_finding_visit_fn)(void *ud, const ksd_logdir *ld,
				     const ksd_partition *p, const ksd_segment *s,
				     const ksd_finding *f);
void ksd_scan_visit_findings(const ksd_scan *scan, ksd_finding_visit_fn fn, void *ud);

/* Formats 1234567 as "1,234,567" into buf; returns buf. */
const char *ksd_fmt_count(uint64_t v, char *buf, size_t len);

/* The most severe finding, or -1 when there is none. */
int ksd_scan_worst_severity(const ksd_scan *scan);

#endif
