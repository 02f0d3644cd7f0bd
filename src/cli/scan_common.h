/*
 * The options every scan-based command shares (scan, recovery, preflight,
 * compaction): Kafka version, cleaner and retention settings, level, I/O,
 * jobs, progress; and running the scan over the operands or log.dirs.
 */
#ifndef KSD_SCAN_COMMON_H
#define KSD_SCAN_COMMON_H

#include "cli.h"

enum {
	SCO_KAFKA_VERSION = 300,
	SCO_DEDUPE,
	SCO_THREADS,
	SCO_LOAD_FACTOR,
	SCO_BROKER_CONFIG,
	SCO_COMPACTED,
	SCO_QUICK,
	SCO_LEVEL,
	SCO_IO,
	SCO_JOBS,
	SCO_PROGRESS,
	SCO_NO_PROGRESS,
	SCO_MAX_FINDINGS,
	SCO_NOW,
	SCO_RETENTION,
	SCO_TXN_TIMEOUT,
	SCO_RECOVERY_THREADS,
	SCO_RECOVERY_RATE,
	SCO_FAIL_ON,
};

/* For commands whose exit status follows the scan's findings (scan,
 * recovery, compaction): put this row in the option table. */
#define SCAN_FAIL_ON_OPT \
	{SCO_FAIL_ON, "fail-on", 0, "LEVEL", "exit 4 when a finding is at or above LEVEL: info, warning, error (default error)"}

/* The rows a command puts in its option table, in --help order. */
#define SCAN_COMMON_OPTS \
	{SCO_KAFKA_VERSION, "kafka-version", 0, "VER", "the broker's Kafka version, e.g. 0.9.0.1 or 3.7.0 (version-dependent checks)"}, \
	{SCO_BROKER_CONFIG, "broker-config", 0, "FILE", "read log.dirs (when no PATH), cleaner, retention and recovery settings from server.properties"}, \
	{SCO_DEDUPE, "dedupe-buffer-size", 0, "SIZE", "log.cleaner.dedupe.buffer.size (bytes; K/M/G suffixes ok)"}, \
	{SCO_THREADS, "cleaner-threads", 0, "N", "log.cleaner.threads (default 1)"}, \
	{SCO_LOAD_FACTOR, "cleaner-load-factor", 0, "F", "log.cleaner.io.buffer.load.factor (default 0.9)"}, \
	{SCO_COMPACTED, "compacted-topic", 0, "TOPIC", "treat TOPIC as compacted (repeatable; internal topics always are)"}, \
	{SCO_RETENTION, "retention", 0, "DURATION", "log.retention for delete-policy topics: 7d, 168h, 90m, 3600000 (ms), or -1 unlimited (default 168h)"}, \
	{SCO_TXN_TIMEOUT, "txn-timeout", 0, "DURATION", "transaction.max.timeout.ms: an open transaction older than this is hanging (default 15m)"}, \
	{SCO_RECOVERY_THREADS, "recovery-threads", 0, "N", "num.recovery.threads.per.data.dir (default 1; 2 from Kafka 4.0)"}, \
	{SCO_RECOVERY_RATE, "recovery-rate", 0, "RATE", "bytes/s the broker re-reads at, e.g. 200M (default: measured by this scan)"}, \
	{SCO_NOW, "now", 0, "TIME", "judge timestamps as of TIME (epoch ms or YYYY-MM-DDTHH:MM:SSZ; default now)"}, \
	{SCO_QUICK, "quick", 0, NULL, "walk batch headers only, no CRC verification (same as --level headers)"}, \
	{SCO_LEVEL, "level", 0, "LEVEL", "headers or crc (default crc)"}, \
	{SCO_IO, "io", 0, "MODE", "how CRC-level reads files: pread (default) or mmap"}, \
	{SCO_JOBS, "jobs", 'j', "N", "worker threads (default: online CPUs)"}, \
	{SCO_PROGRESS, "progress", 0, NULL, "show progress on stderr even when it is not a terminal"}, \
	{SCO_NO_PROGRESS, "no-progress", 0, NULL, "never show progress"}, \
	{SCO_MAX_FINDINGS, "max-findings", 0, "N", "findings kept per problem per segment/partition/log dir (default 50)"}

typedef struct scan_common {
	ksd_config cfg;
	int progress; /* -1 auto, 0 off, 1 on */
	const char *broker_config;
	const char **compacted;
	size_t ncompacted;
	bool retention_given;
	ksd_severity fail_on;  /* --fail-on, default error */
} scan_common;

void scan_common_init(scan_common *sc);
void scan_common_free(scan_common *sc);

/* 1: handled; 0: rejected (usage error printed); -1: not a common option. */
int scan_common_opt(scan_common *sc, const cli_cmd *cmd, int id, const char *arg);

/* Parses 7d, 168h, 90m, 30s, 1500ms, a bare number of ms, or -1 (-1 only
 * when allow_unlimited). */
bool cli_parse_duration_ms(const char *s, bool allow_unlimited, int64_t *out);

/*
 * Loads --broker-config, then scans the operands (or its log.dirs when
 * there are none), drawing progress on stderr.  On success *out is the
 * finished scan and the return value holds KSD_EXIT_OPERATIONAL when some
 * path could not be read; on failure *out is NULL and the return value is
 * the exit status.  *elapsed gets the scan's wall time in seconds.
 */
int scan_common_run(scan_common *sc, const cli_cmd *cmd, char **operands, size_t noperands,
		    ksd_scan **out, double *elapsed);

/* KSD_EXIT_FINDINGS when a finding is at or above --fail-on, else 0. */
int scan_common_findings_exit(const scan_common *sc, const ksd_scan *scan);

#endif
