/*
 * gen/offsets.c - __consumer_offsets keys and values (kafka-facts.md §6.1)
 * and the group -> partition mapping (§6.2).
 */
#include "gen/internal.h"

void ksd_gen_offset_commit_key(ksd_gen_buf *out, const char *group,
			       const char *topic, int32_t partition)
{
	/* Key version 1 (0.9+; same layout as 0.8.2's version 0). */
	ksd_gen_buf_put_be16(out, 1);
	ksd_gen_buf_put_str16(out, group);
	ksd_gen_buf_put_str16(out, topic);
	ksd_gen_buf_put_be32(out, (uint32_t)partition);
}

void ksd_gen_offset_commit_value_v1(ksd_gen_buf *out, int64_t offset,
				    const char *metadata, int64_t commit_ts,
				    int64_t expire_ts)
{
	ksd_gen_buf_put_be16(out, 1);
	ksd_gen_buf_put_be64(out, (uint64_t)offset);
	ksd_gen_buf_put_str16(out, metadata ? metadata : "");
	ksd_gen_buf_put_be64(out, (uint64_t)commit_ts);
	ksd_gen_buf_put_be64(out, (uint64_t)expire_ts);
}

void ksd_gen_offset_commit_value_v3(ksd_gen_buf *out, int64_t offset,
				    int32_t leader_epoch, const char *metadata,
				    int64_t commit_ts)
{
	/* KIP-320 (IBP >= 2.1-IV1): leader_epoch between offset and metadata. */
	ksd_gen_buf_put_be16(out, 3);
	ksd_gen_buf_put_be64(out, (uint64_t)offset);
	ksd_gen_buf_put_be32(out, (uint32_t)leader_epoch);
	ksd_gen_buf_put_str16(out, metadata ? metadata : "");
	ksd_gen_buf_put_be64(out, (uint64_t)commit_ts);
}

void ksd_gen_group_metadata_key(ksd_gen_buf *out, const char *group)
{
	ksd_gen_buf_put_be16(out, 2);
	ksd_gen_buf_put_str16(out, group);
}

/* Decodes one UTF-8 sequence; malformed input yields U+FFFD for one byte,
 * as Java's decoder substitutes it. */
static uint32_t utf8_next(const unsigned char **sp)
{
	const unsigned char *s = *sp;
	uint32_t cp;
	int extra;
	if (s[0] < 0x80) {
		*sp = s + 1;
		return s[0];
	}
	if ((s[0] & 0xE0) == 0xC0) {
		cp = s[0] & 0x1F;
		extra = 1;
	} else if ((s[0] & 0xF0) == 0xE0) {
		cp = s[0] & 0x0F;
		extra = 2;
	} else if ((s[0] & 0xF8) == 0xF0) {
		cp = s[0] & 0x07;
		extra = 3;
	} else {
		*sp = s + 1;
		return 0xFFFD;
	}
	for (int i = 1; i <= extra; i++) {
		if ((s[i] & 0xC0) != 0x80) {
			*sp = s + 1;
			return 0xFFFD;
		}
		cp = cp << 6 | (s[i] & 0x3F);
	}
	*sp = s + 1 + extra;
	return cp;
}

int32_t ksd_gen_java_string_hash(const char *utf8)
{
	uint32_t h = 0; /* Java int arithmetic wraps: do it unsigned */
	const unsigned char *s = (const unsigned char *)utf8;
	while (*s) {
		uint32_t cp = utf8_next(&s);
		if (cp >= 0x10000) { /* surrogate pair: two UTF-16 units */
			cp -= 0x10000;
			h = 31 * h + (0xD800 + (cp >> 10));
			h = 31 * h + (0xDC00 + (cp & 0x3FF));
		} else {
			h = 31 * h + cp;
		}
	}
	return (int32_t)h;
}

int32_t ksd_gen_group_partition(const char *group, int32_t partitions)
{
	if (partitions <= 0)
		return -1;
	int32_t h = ksd_gen_java_string_hash(group);
	/* Kafka's Utils.abs maps Integer.MIN_VALUE to 0, unlike Math.abs. */
	int32_t a = h == INT32_MIN ? 0 : (h < 0 ? -h : h);
	return a % partitions;
}
