/*
 * Kafka's file and directory name grammar (kafka-facts.md §3.7, §3.8).
 */
#include "ksd/names.h"

#include <limits.h>
#include <string.h>

bool ksd_parse_offset20(const char *s, size_t len, int64_t *out)
{
	if (len != 20)
		return false;
	uint64_t v = 0;
	for (size_t i = 0; i < 20; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		uint64_t d = (uint64_t)(s[i] - '0');
		/* Checked before multiplying: 20 digits overflow uint64 too, and
		 * a wrapped value could land back in range (Long.parseLong throws). */
		if (v > ((uint64_t)INT64_MAX - d) / 10)
			return false;
		v = v * 10 + d;
	}
	*out = (int64_t)v;
	return true;
}

static bool parse_epoch10(const char *s, size_t len, int32_t *out)
{
	if (len != 10)
		return false;
	int64_t v = 0;
	for (size_t i = 0; i < 10; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (s[i] - '0');
	}
	if (v > INT32_MAX)
		return false;
	*out = (int32_t)v;
	return true;
}

struct suffix_kind {
	const char *suffix;
	ksd_file_kind kind;
};

static const struct suffix_kind segment_suffixes[] = {
	{".log", KSD_FILE_LOG},
	{".index", KSD_FILE_INDEX},
	{".timeindex", KSD_FILE_TIMEINDEX},
	{".txnindex", KSD_FILE_TXNINDEX},
	{".snapshot", KSD_FILE_SNAPSHOT},
};

struct state_suffix {
	const char *suffix;
	ksd_file_state state;
};

static const struct state_suffix state_suffixes[] = {
	{".deleted", KSD_STATE_DELETED},
	{".cleaned", KSD_STATE_CLEANED},
	{".swap", KSD_STATE_SWAP},
	{".tmp", KSD_STATE_TMP},
	{".part", KSD_STATE_PARTIAL},
};

/* Strips one transitional suffix from [name, name+*len). */
static ksd_file_state strip_state(const char *name, size_t *len)
{
	for (size_t i = 0; i < sizeof state_suffixes / sizeof *state_suffixes; i++) {
		size_t sl = strlen(state_suffixes[i].suffix);
		if (*len > sl && memcmp(name + *len - sl, state_suffixes[i].suffix, sl) == 0) {
			*len -= sl;
			return state_suffixes[i].state;
		}
	}
	return KSD_STATE_LIVE;
}

static bool classify_segment_file(const char *name, size_t len, ksd_file_name *fn)
{
	if (len < 21 || name[20] != '.')
		return false;
	if (!ksd_parse_offset20(name, 20, &fn->offset))
		return false;
	for (size_t i = 0; i < sizeof segment_suffixes / sizeof *segment_suffixes; i++) {
		const char *suf = segment_suffixes[i].suffix;
		if (len - 20 == strlen(suf) && memcmp(name + 20, suf, len - 20) == 0) {
			fn->kind = segment_suffixes[i].kind;
			return true;
		}
	}
	return false;
}

/* <endOffset:20>-<epoch:10>.checkpoint (KafkaMetadataLog, Snapshots.java) */
static bool classify_kraft_snapshot(const char *name, size_t len, ksd_file_name *fn)
{
	static const char suf[] = ".checkpoint";
	if (len != 20 + 1 + 10 + sizeof suf - 1 || name[20] != '-')
		return false;
	if (memcmp(name + 31, suf, sizeof suf - 1) != 0)
		return false;
	if (!ksd_parse_offset20(name, 20, &fn->offset) ||
	    !parse_epoch10(name + 21, 10, &fn->epoch))
		return false;
	fn->kind = KSD_FILE_KRAFT_SNAPSHOT;
	return true;
}

struct fixed_name {
	const char *name;
	ksd_file_kind kind;
};

static const struct fixed_name fixed_names[] = {
	{"leader-epoch-checkpoint", KSD_FILE_LEADER_EPOCH_CHECKPOINT},
	{"partition.metadata", KSD_FILE_PARTITION_METADATA},
	{"quorum-state", KSD_FILE_QUORUM_STATE},
	{"meta.properties", KSD_FILE_META_PROPERTIES},
	{".lock", KSD_FILE_LOCK},
	{".kafka_cleanshutdown", KSD_FILE_CLEAN_SHUTDOWN},
	{"recovery-point-offset-checkpoint", KSD_FILE_RECOVERY_CHECKPOINT},
	{"replication-offset-checkpoint", KSD_FILE_REPLICATION_CHECKPOINT},
	{"log-start-offset-checkpoint", KSD_FILE_LOG_START_CHECKPOINT},
	{"cleaner-offset-checkpoint", KSD_FILE_CLEANER_CHECKPOINT},
	{"bootstrap.checkpoint", KSD_FILE_BOOTSTRAP_CHECKPOINT},
};

ksd_file_name ksd_classify_file(const char *name)
{
	ksd_file_name fn = {KSD_FILE_UNKNOWN, KSD_STATE_LIVE, -1, -1};
	size_t len = strlen(name);
	fn.state = strip_state(name, &len);
	for (size_t i = 0; i < sizeof fixed_names / sizeof *fixed_names; i++) {
		if (strlen(fixed_names[i].name) == len &&
		    memcmp(name, fixed_names[i].name, len) == 0) {
			fn.kind = fixed_names[i].kind;
			return fn;
		}
	}
	if (classify_segment_file(name, len, &fn) ||
	    classify_kraft_snapshot(name, len, &fn))
		return fn;
	fn.kind = KSD_FILE_UNKNOWN;
	fn.state = KSD_STATE_LIVE;
	fn.offset = -1;
	fn.epoch = -1;
	return fn;
}

const char *ksd_file_kind_name(ksd_file_kind k)
{
	static const char *const names[KSD_FILE__COUNT] = {
		[KSD_FILE_UNKNOWN] = "unknown",
		[KSD_FILE_LOG] = "log",
		[KSD_FILE_INDEX] = "index",
		[KSD_FILE_TIMEINDEX] = "timeindex",
		[KSD_FILE_TXNINDEX] = "txnindex",
		[KSD_FILE_SNAPSHOT] = "producer-snapshot",
		[KSD_FILE_KRAFT_SNAPSHOT] = "kraft-snapshot",
		[KSD_FILE_LEADER_EPOCH_CHECKPOINT] = "leader-epoch-checkpoint",
		[KSD_FILE_PARTITION_METADATA] = "partition-metadata",
		[KSD_FILE_QUORUM_STATE] = "quorum-state",
		[KSD_FILE_META_PROPERTIES] = "meta-properties",
		[KSD_FILE_LOCK] = "lock",
		[KSD_FILE_CLEAN_SHUTDOWN] = "clean-shutdown",
		[KSD_FILE_RECOVERY_CHECKPOINT] = "recovery-point-offset-checkpoint",
		[KSD_FILE_REPLICATION_CHECKPOINT] = "replication-offset-checkpoint",
		[KSD_FILE_LOG_START_CHECKPOINT] = "log-start-offset-checkpoint",
		[KSD_FILE_CLEANER_CHECKPOINT] = "cleaner-offset-checkpoint",
		[KSD_FILE_BOOTSTRAP_CHECKPOINT] = "bootstrap-checkpoint",
	};
	return (unsigned)k < KSD_FILE__COUNT && names[k] ? names[k] : "unknown";
}

/* Java Integer.parseInt: optional sign, decimal digits, int32 range. */
static bool parse_java_int(const char *s, size_t len, int32_t *out)
{
	size_t i = 0;
	bool neg = false;
	if (len == 0)
		return false;
	if (s[0] == '+' || s[0] == '-') {
		neg = s[0] == '-';
		i = 1;
		if (len == 1)
			return false;
	}
	int64_t v = 0;
	for (; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (s[i] - '0');
		if (v > (int64_t)INT32_MAX + 1)
			return false;
	}
	if (neg)
		v = -v;
	if (v > INT32_MAX || v < INT32_MIN)
		return false;
	*out = (int32_t)v;
	return true;
}

/* Kafka's \S+: one or more non-whitespace characters. */
static bool all_nonspace(const char *s, size_t len)
{
	if (len == 0)
		return false;
	for (size_t i = 0; i < len; i++)
		if (s[i] == ' ' || (s[i] >= '\t' && s[i] <= '\r'))
			return false;
	return true;
}

/* topic-partition: split at the last '-' (UnifiedLog.parseTopicPartitionName). */
static bool parse_topic_partition(const char *s, size_t len, ksd_partition_name *out)
{
	const char *dash = NULL;
	for (size_t i = 0; i < len; i++)
		if (s[i] == '-')
			dash = s + i;
	if (!dash)
		return false;
	size_t tlen = (size_t)(dash - s);
	size_t plen = len - tlen - 1;
	if (tlen == 0 || plen == 0 || tlen >= sizeof out->topic)
		return false;
	if (!parse_java_int(dash + 1, plen, &out->partition))
		return false;
	memcpy(out->topic, s, tlen);
	out->topic[tlen] = '\0';
	return true;
}

struct dir_suffix {
	const char *suffix;
	ksd_partition_state state;
};

static const struct dir_suffix dir_suffixes[] = {
	{"-delete", KSD_PART_DELETE},
	{"-future", KSD_PART_FUTURE},
	{"-stray", KSD_PART_STRAY},
};

/*
 * "^(\S+)-(\S+)\.(\S+)-delete" and siblings: the last '.' before the suffix
 * separates the uniqueId.  Regex greed makes the topic take as much as it
 * can, so the partition is after the last '-' before that '.'.
 */
static bool parse_suffixed_dir(const char *name, size_t len, size_t suflen,
			       ksd_partition_name *out)
{
	size_t body = len - suflen;
	const char *dot = NULL;
	for (size_t i = 0; i < body; i++)
		if (name[i] == '.')
			dot = name + i;
	if (!dot || !all_nonspace(name, body))
		return false;
	size_t tp_len = (size_t)(dot - name);
	if (body - tp_len - 1 == 0)
		return false;
	return parse_topic_partition(name, tp_len, out);
}

bool ksd_parse_partition_dir(const char *name, ksd_partition_name *out)
{
	size_t len = strlen(name);
	memset(out, 0, sizeof *out);
	out->partition = -1;
	for (size_t i = 0; i < sizeof dir_suffixes / sizeof *dir_suffixes; i++) {
		size_t sl = strlen(dir_suffixes[i].suffix);
		if (len > sl && strcmp(name + len - sl, dir_suffixes[i].suffix) == 0) {
			out->state = dir_suffixes[i].state;
			return parse_suffixed_dir(name, len, sl, out);
		}
	}
	out->state = KSD_PART_LIVE;
	return parse_topic_partition(name, len, out);
}

const char *ksd_partition_state_name(ksd_partition_state s)
{
	switch (s) {
	case KSD_PART_LIVE: return "live";
	case KSD_PART_DELETE: return "delete";
	case KSD_PART_FUTURE: return "future";
	case KSD_PART_STRAY: return "stray";
	}
	return "?";
}
