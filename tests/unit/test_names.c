/*
 * Unit tests for ksd/names.h: file names (LogFileUtils: 20-digit offsets,
 * transitional suffixes, KRaft snapshot names, fixed names) and partition
 * directory names (UnifiedLog.parseTopicPartitionName, including the
 * -delete/-future/-stray forms and Java Integer.parseInt's quirks).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "ksd/names.h"

#define Z20 "00000000000000000000"

typedef struct file_case {
	const char *name;
	ksd_file_kind kind;
	ksd_file_state state;
	int64_t offset;
	int32_t epoch;
} file_case;

static void check_file(const file_case *fc)
{
	ksd_file_name fn = ksd_classify_file(fc->name);
	if (fn.kind != fc->kind || fn.state != fc->state || fn.offset != fc->offset ||
	    fn.epoch != fc->epoch)
		print_error("%s: got kind %s state %d offset %lld epoch %d\n", fc->name,
			    ksd_file_kind_name(fn.kind), (int)fn.state,
			    (long long)fn.offset, (int)fn.epoch);
	assert_int_equal(fn.kind, fc->kind);
	assert_int_equal(fn.state, fc->state);
	assert_true(fn.offset == fc->offset);
	assert_int_equal(fn.epoch, fc->epoch);
}

static void test_segment_files(void **state)
{
	(void)state;
	static const file_case cases[] = {
		{Z20 ".log", KSD_FILE_LOG, KSD_STATE_LIVE, 0, -1},
		{Z20 ".index", KSD_FILE_INDEX, KSD_STATE_LIVE, 0, -1},
		{Z20 ".timeindex", KSD_FILE_TIMEINDEX, KSD_STATE_LIVE, 0, -1},
		{Z20 ".txnindex", KSD_FILE_TXNINDEX, KSD_STATE_LIVE, 0, -1},
		{Z20 ".snapshot", KSD_FILE_SNAPSHOT, KSD_STATE_LIVE, 0, -1},
		{"00000000000000012345.log", KSD_FILE_LOG, KSD_STATE_LIVE, 12345, -1},
		{"00000000000002147483658.log", KSD_FILE_UNKNOWN, KSD_STATE_LIVE, -1, -1},
		{"00000000002147483658.index", KSD_FILE_INDEX, KSD_STATE_LIVE, 2147483658ll, -1},
		{"09223372036854775807.log", KSD_FILE_LOG, KSD_STATE_LIVE, INT64_MAX, -1},
		/* transitional suffixes */
		{Z20 ".log.deleted", KSD_FILE_LOG, KSD_STATE_DELETED, 0, -1},
		{Z20 ".index.deleted", KSD_FILE_INDEX, KSD_STATE_DELETED, 0, -1},
		{"00000000000000000042.log.cleaned", KSD_FILE_LOG, KSD_STATE_CLEANED, 42, -1},
		{"00000000000000000042.timeindex.cleaned", KSD_FILE_TIMEINDEX, KSD_STATE_CLEANED, 42, -1},
		{"00000000000000000042.log.swap", KSD_FILE_LOG, KSD_STATE_SWAP, 42, -1},
		{"00000000000000000042.txnindex.swap", KSD_FILE_TXNINDEX, KSD_STATE_SWAP, 42, -1},
		{"00000000000000000042.snapshot.deleted", KSD_FILE_SNAPSHOT, KSD_STATE_DELETED, 42, -1},
		/* only one transitional suffix is stripped */
		{Z20 ".log.deleted.swap", KSD_FILE_UNKNOWN, KSD_STATE_LIVE, -1, -1},
		{Z20 ".deleted", KSD_FILE_UNKNOWN, KSD_STATE_LIVE, -1, -1},
		/* bad digit counts and characters */
		{"0000000000000000000.log", KSD_FILE_UNKNOWN, KSD_STATE_LIVE, -1, -1},
		{"000000000000000000000.log", KSD_FILE_UNKNOWN, KSD_STATE_LIVE, -1, -1},
		{"100000000000000000000.log", KSD_FILE_UNKNOWN, KSD_STATE_LIVE, -1, -1},
		{"0.log", KSD_FILE_UNKNOWN, KSD_STATE_LIVE, -1, -1},
		{".log", KSD_FILE_UNKNOWN, KSD_STATE_LIVE, -1, -1},
		{"0000000000000000000a.log", KSD_FILE_UNKNOWN, KSD_STATE_LIVE, -1, -1},
		{"-0000000000000000001.log", KSD_FILE_UNKNOWN, KSD_STATE_LIVE, -1, -1},
		{"+0000000000000000001.log", KSD_FILE_UNKNOWN, KSD_STATE_LIVE, -1, -1},
		{" 0000000000000000001.log", KSD_FILE_UNKNOWN, KSD_STATE_LIVE, -1, -1},
		/* wrong extensions */
		{Z20 ".LOG", KSD_FILE_UNKNOWN, KSD_STATE_LIVE, -1, -1},
		{Z20 ".log~", KSD_FILE_UNKNOWN, KSD_STATE_LIVE, -1, -1},
		{Z20 ".logx", KSD_FILE_UNKNOWN, KSD_STATE_LIVE, -1, -1},
		{Z20 ".lo", KSD_FILE_UNKNOWN, KSD_STATE_LIVE, -1, -1},
		{Z20 ".", KSD_FILE_UNKNOWN, KSD_STATE_LIVE, -1, -1},
		{Z20, KSD_FILE_UNKNOWN, KSD_STATE_LIVE, -1, -1},
		{Z20 "log", KSD_FILE_UNKNOWN, KSD_STATE_LIVE, -1, -1},
		{Z20 ".log.tmp", KSD_FILE_LOG, KSD_STATE_TMP, 0, -1},
		{"", KSD_FILE_UNKNOWN, KSD_STATE_LIVE, -1, -1},
		{"foo.deleted", KSD_FILE_UNKNOWN, KSD_STATE_LIVE, -1, -1},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
		check_file(&cases[i]);
}

/*
 * Offsets beyond int64 are not offsets (Long.parseLong throws).  20 digits
 * can hold values above 2^64 too: they must not wrap back into range.
 */
static void test_offset_range(void **state)
{
	(void)state;
	static const file_case cases[] = {
		{"09223372036854775808.log", KSD_FILE_UNKNOWN, KSD_STATE_LIVE, -1, -1},
		{"99999999999999999999.log", KSD_FILE_UNKNOWN, KSD_STATE_LIVE, -1, -1},
		/* 2e19 mod 2^64 = 1553255926290448384 would fit an int64 */
		{"20000000000000000000.log", KSD_FILE_UNKNOWN, KSD_STATE_LIVE, -1, -1},
		{"18446744073709551617.log", KSD_FILE_UNKNOWN, KSD_STATE_LIVE, -1, -1},
		{"27670116110564327423.index", KSD_FILE_UNKNOWN, KSD_STATE_LIVE, -1, -1},
		{"10000000000000000000.log", KSD_FILE_UNKNOWN, KSD_STATE_LIVE, -1, -1},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
		check_file(&cases[i]);

	int64_t v = 0;
	assert_true(ksd_parse_offset20("09223372036854775807", 20, &v));
	assert_true(v == INT64_MAX);
	assert_true(ksd_parse_offset20("09223372036854775806", 20, &v));
	assert_true(v == INT64_MAX - 1);
	v = 7;
	assert_false(ksd_parse_offset20("09223372036854775808", 20, &v));
	assert_false(ksd_parse_offset20("20000000000000000000", 20, &v));
	assert_false(ksd_parse_offset20("92233720368547758070", 20, &v));
	assert_true(v == 7); /* untouched on failure */
	assert_false(ksd_parse_offset20("0000000000000000001", 19, &v));
	assert_false(ksd_parse_offset20("000000000000000000001", 21, &v));
	assert_true(ksd_parse_offset20("00000000000000000001xyz", 20, &v));
	assert_true(v == 1);
}

static void test_kraft_snapshots(void **state)
{
	(void)state;
	static const file_case cases[] = {
		{"00000000000000000100-0000000002.checkpoint", KSD_FILE_KRAFT_SNAPSHOT,
		 KSD_STATE_LIVE, 100, 2},
		{"00000000000000000100-0000000002.checkpoint.part", KSD_FILE_KRAFT_SNAPSHOT,
		 KSD_STATE_PARTIAL, 100, 2},
		{"00000000000000000100-0000000002.checkpoint.deleted", KSD_FILE_KRAFT_SNAPSHOT,
		 KSD_STATE_DELETED, 100, 2},
		{"00000000000000000000-2147483647.checkpoint", KSD_FILE_KRAFT_SNAPSHOT,
		 KSD_STATE_LIVE, 0, INT32_MAX},
		{"00000000000000000000-2147483648.checkpoint", KSD_FILE_UNKNOWN,
		 KSD_STATE_LIVE, -1, -1},
		{"00000000000000000100-000000002.checkpoint", KSD_FILE_UNKNOWN,
		 KSD_STATE_LIVE, -1, -1},
		{"00000000000000000100-00000000002.checkpoint", KSD_FILE_UNKNOWN,
		 KSD_STATE_LIVE, -1, -1},
		{"0000000000000000100-0000000002.checkpoint", KSD_FILE_UNKNOWN,
		 KSD_STATE_LIVE, -1, -1},
		{"00000000000000000100_0000000002.checkpoint", KSD_FILE_UNKNOWN,
		 KSD_STATE_LIVE, -1, -1},
		{"00000000000000000100-000000000x.checkpoint", KSD_FILE_UNKNOWN,
		 KSD_STATE_LIVE, -1, -1},
		{"00000000000000000100-0000000002.checkpoinx", KSD_FILE_UNKNOWN,
		 KSD_STATE_LIVE, -1, -1},
		{"00000000000000000100.checkpoint", KSD_FILE_UNKNOWN, KSD_STATE_LIVE, -1, -1},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
		check_file(&cases[i]);
}

static void test_fixed_names(void **state)
{
	(void)state;
	static const file_case cases[] = {
		{"leader-epoch-checkpoint", KSD_FILE_LEADER_EPOCH_CHECKPOINT, KSD_STATE_LIVE, -1, -1},
		{"leader-epoch-checkpoint.tmp", KSD_FILE_LEADER_EPOCH_CHECKPOINT, KSD_STATE_TMP, -1, -1},
		{"partition.metadata", KSD_FILE_PARTITION_METADATA, KSD_STATE_LIVE, -1, -1},
		{"partition.metadata.tmp", KSD_FILE_PARTITION_METADATA, KSD_STATE_TMP, -1, -1},
		{"quorum-state", KSD_FILE_QUORUM_STATE, KSD_STATE_LIVE, -1, -1},
		{"meta.properties", KSD_FILE_META_PROPERTIES, KSD_STATE_LIVE, -1, -1},
		{".lock", KSD_FILE_LOCK, KSD_STATE_LIVE, -1, -1},
		{".kafka_cleanshutdown", KSD_FILE_CLEAN_SHUTDOWN, KSD_STATE_LIVE, -1, -1},
		{"recovery-point-offset-checkpoint", KSD_FILE_RECOVERY_CHECKPOINT, KSD_STATE_LIVE, -1, -1},
		{"recovery-point-offset-checkpoint.tmp", KSD_FILE_RECOVERY_CHECKPOINT, KSD_STATE_TMP, -1, -1},
		{"replication-offset-checkpoint", KSD_FILE_REPLICATION_CHECKPOINT, KSD_STATE_LIVE, -1, -1},
		{"log-start-offset-checkpoint", KSD_FILE_LOG_START_CHECKPOINT, KSD_STATE_LIVE, -1, -1},
		{"cleaner-offset-checkpoint", KSD_FILE_CLEANER_CHECKPOINT, KSD_STATE_LIVE, -1, -1},
		{"bootstrap.checkpoint", KSD_FILE_BOOTSTRAP_CHECKPOINT, KSD_STATE_LIVE, -1, -1},
		/* near misses */
		{"meta.properties~", KSD_FILE_UNKNOWN, KSD_STATE_LIVE, -1, -1},
		{"Meta.properties", KSD_FILE_UNKNOWN, KSD_STATE_LIVE, -1, -1},
		{"lock", KSD_FILE_UNKNOWN, KSD_STATE_LIVE, -1, -1},
		{"leader-epoch-checkpoint2", KSD_FILE_UNKNOWN, KSD_STATE_LIVE, -1, -1},
		{".tmp", KSD_FILE_UNKNOWN, KSD_STATE_LIVE, -1, -1},
		{"README", KSD_FILE_UNKNOWN, KSD_STATE_LIVE, -1, -1},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
		check_file(&cases[i]);
}

static void test_file_kind_names(void **state)
{
	(void)state;
	/* Every kind has a distinct, non-empty name. */
	for (int k = 0; k < KSD_FILE__COUNT; k++) {
		const char *n = ksd_file_kind_name((ksd_file_kind)k);
		assert_non_null(n);
		assert_true(n[0] != '\0');
		if (k != KSD_FILE_UNKNOWN)
			assert_string_not_equal(n, "unknown");
		for (int j = 0; j < k; j++)
			assert_string_not_equal(n, ksd_file_kind_name((ksd_file_kind)j));
	}
	assert_string_equal(ksd_file_kind_name(KSD_FILE_LOG), "log");
	assert_string_equal(ksd_file_kind_name(KSD_FILE__COUNT), "unknown");
	assert_string_equal(ksd_file_kind_name((ksd_file_kind)-1), "unknown");
}

/* --- partition directories ---------------------------------------------- */

typedef struct dir_case {
	const char *name;
	bool ok;
	const char *topic;
	int32_t partition;
	ksd_partition_state state;
} dir_case;

static void check_dir(const dir_case *dc)
{
	ksd_partition_name pn;
	memset(&pn, 0x5a, sizeof pn);
	bool ok = ksd_parse_partition_dir(dc->name, &pn);
	if (ok != dc->ok)
		print_error("%s: expected %s\n", dc->name, dc->ok ? "accepted" : "refused");
	assert_int_equal(ok, dc->ok);
	if (!ok)
		return;
	assert_string_equal(pn.topic, dc->topic);
	assert_int_equal(pn.partition, dc->partition);
	assert_int_equal(pn.state, dc->state);
}

#define UID "0123456789abcdef0123456789abcdef"

static void test_partition_dirs(void **state)
{
	(void)state;
	static const dir_case cases[] = {
		{"topic-0", true, "topic", 0, KSD_PART_LIVE},
		{"my-topic-12", true, "my-topic", 12, KSD_PART_LIVE},
		{"__consumer_offsets-49", true, "__consumer_offsets", 49, KSD_PART_LIVE},
		{"__cluster_metadata-0", true, "__cluster_metadata", 0, KSD_PART_LIVE},
		{"my.topic.v1-3", true, "my.topic.v1", 3, KSD_PART_LIVE},
		{"topic-01", true, "topic", 1, KSD_PART_LIVE},
		/* Java Integer.parseInt accepts a sign */
		{"topic-+5", true, "topic", 5, KSD_PART_LIVE},
		/* split at the last '-': the topic keeps the other dash */
		{"topic--5", true, "topic-", 5, KSD_PART_LIVE},
		{"topic-2147483647", true, "topic", INT32_MAX, KSD_PART_LIVE},
		{"topic-2147483648", false, NULL, 0, 0},
		{"topic-99999999999999999999", false, NULL, 0, 0},
		{"topic-+", false, NULL, 0, 0},
		{"topic-", false, NULL, 0, 0},
		{"-1", false, NULL, 0, 0},
		{"-", false, NULL, 0, 0},
		{"", false, NULL, 0, 0},
		{"nodash", false, NULL, 0, 0},
		{"lost+found", false, NULL, 0, 0},
		{"topic-abc", false, NULL, 0, 0},
		{"topic-1a", false, NULL, 0, 0},
		{"topic- 1", false, NULL, 0, 0},
		{"topic-0x10", false, NULL, 0, 0},
		/* deleted, future, stray */
		{"topic-0." UID "-delete", true, "topic", 0, KSD_PART_DELETE},
		{"topic-0." UID "-future", true, "topic", 0, KSD_PART_FUTURE},
		{"topic-0." UID "-stray", true, "topic", 0, KSD_PART_STRAY},
		{"my.topic-7." UID "-delete", true, "my.topic", 7, KSD_PART_DELETE},
		{"my-topic-7." UID "-future", true, "my-topic", 7, KSD_PART_FUTURE},
		{"__consumer_offsets-49." UID "-delete", true, "__consumer_offsets", 49,
		 KSD_PART_DELETE},
		/* a uniqueId containing '-' is still one \S+ */
		{"t-1.a-b-delete", true, "t", 1, KSD_PART_DELETE},
		/* malformed suffixed names: the broker refuses them */
		{"topic-0-delete", false, NULL, 0, 0},
		{"topic-0-future", false, NULL, 0, 0},
		{"topic-0-stray", false, NULL, 0, 0},
		{"topic-0.-delete", false, NULL, 0, 0},
		{"topic-x." UID "-delete", false, NULL, 0, 0},
		{"topic." UID "-delete", false, NULL, 0, 0},
		{"-0." UID "-delete", false, NULL, 0, 0},
		{"topic-0.a b-delete", false, NULL, 0, 0},
		{"topic-0.a\tb-future", false, NULL, 0, 0},
		{"topic-0.a.b-delete", false, NULL, 0, 0},
		{"-delete", false, NULL, 0, 0},
		{".-delete", false, NULL, 0, 0},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
		check_dir(&cases[i]);
}

static void test_partition_dir_topic_length(void **state)
{
	(void)state;
	/* Kafka topics are at most 249 characters. */
	char name[300];
	memset(name, 'a', 249);
	strcpy(name + 249, "-3");
	ksd_partition_name pn;
	assert_true(ksd_parse_partition_dir(name, &pn));
	assert_int_equal(strlen(pn.topic), 249);
	assert_int_equal(pn.partition, 3);
	/* A refused name leaves no stale partition behind. */
	assert_false(ksd_parse_partition_dir("lost+found", &pn));
	assert_int_equal(pn.partition, -1);
}

static void test_partition_state_names(void **state)
{
	(void)state;
	assert_string_equal(ksd_partition_state_name(KSD_PART_LIVE), "live");
	assert_string_equal(ksd_partition_state_name(KSD_PART_DELETE), "delete");
	assert_string_equal(ksd_partition_state_name(KSD_PART_FUTURE), "future");
	assert_string_equal(ksd_partition_state_name(KSD_PART_STRAY), "stray");
	assert_string_equal(ksd_partition_state_name((ksd_partition_state)99), "?");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_segment_files),
		cmocka_unit_test(test_offset_range),
		cmocka_unit_test(test_kraft_snapshots),
		cmocka_unit_test(test_fixed_names),
		cmocka_unit_test(test_file_kind_names),
		cmocka_unit_test(test_partition_dirs),
		cmocka_unit_test(test_partition_dir_topic_length),
		cmocka_unit_test(test_partition_state_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
