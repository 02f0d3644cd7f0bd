/*
 * Unit tests for the internal-topic and control-record decoders
 * (include/ksd/internal_topics.h).
 *
 * Most vectors are built by hand here, field by field from Kafka's message
 * schemas (group-coordinator/…/OffsetCommitValue.json, GroupMetadataValue.json,
 * TransactionLogValue.json, metadata/…/PartitionRecord.json, …), and the JSON
 * is compared byte for byte.  The last test decodes every record of every
 * internal-topic file under ../shared/realdata (real brokers, 0.10 to 4.x)
 * and checks the per-file counts against that folder's MANIFEST.md: record
 * types and versions, tombstones, metadata record types and control types,
 * with zero decode errors; and that every group and transactional id sits in
 * the partition Kafka's hash gives it.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/kproto.h"
#include "ksd/batch.h"
#include "ksd/codec.h"
#include "ksd/internal_topics.h"
#include "ksd/records.h"

/* --- a byte builder ------------------------------------------------------- */

typedef struct bb {
	uint8_t b[4096];
	size_t n;
} bb;

static void u8(bb *x, unsigned v) { x->b[x->n++] = (uint8_t)v; }
static void be16(bb *x, int v) { u8(x, (unsigned)v >> 8 & 0xff); u8(x, (unsigned)v & 0xff); }
static void be32(bb *x, int32_t v)
{
	be16(x, (int16_t)((uint32_t)v >> 16));
	be16(x, (int16_t)((uint32_t)v & 0xffff));
}
static void be64(bb *x, int64_t v)
{
	be32(x, (int32_t)((uint64_t)v >> 32));
	be32(x, (int32_t)((uint64_t)v & 0xffffffffu));
}
static void uv(bb *x, uint32_t v)
{
	while (v >= 0x80) {
		u8(x, (v & 0x7f) | 0x80);
		v >>= 7;
	}
	u8(x, v);
}
static void raw(bb *x, const void *p, size_t n)
{
	memcpy(x->b + x->n, p, n);
	x->n += n;
}
/* Classic string: int16 length. */
static void str(bb *x, const char *s)
{
	be16(x, (int)strlen(s));
	raw(x, s, strlen(s));
}
/* Compact string: uvarint length + 1. */
static void cstr(bb *x, const char *s)
{
	uv(x, (uint32_t)strlen(s) + 1);
	raw(x, s, strlen(s));
}
/* Uuid whose 16 bytes are all `v` except the last, which is `last`. */
static void uuid(bb *x, uint8_t v, uint8_t last)
{
	for (int i = 0; i < 15; i++)
		u8(x, v);
	u8(x, last);
}

/* --- JSON into a string ---------------------------------------------------- */

typedef struct sbuf {
	char s[16384];
	size_t n;
} sbuf;

static void sb_write(void *ud, const char *p, size_t n)
{
	sbuf *b = ud;
	assert_true(b->n + n < sizeof b->s);
	memcpy(b->s + b->n, p, n);
	b->n += n;
	b->s[b->n] = '\0';
}

static ksd_jw jw_into(sbuf *b)
{
	ksd_jw w;
	ksd_sink s = {sb_write, b};
	b->n = 0;
	b->s[0] = '\0';
	ksd_jw_init(&w, s);
	return w;
}

/* Renders a key; asserts the returned success and the exact JSON. */
static void check_key(ksd_topic_decoder d, const bb *k, bool ok, const char *json)
{
	sbuf b;
	ksd_jw w = jw_into(&b);
	assert_int_equal(ksd_decode_key_json(d, &w, k ? k->b : NULL, k ? (int64_t)k->n : -1), ok);
	assert_string_equal(b.s, json);
	assert_int_equal(w.depth, 0);
}

static void check_value(ksd_topic_decoder d, const bb *k, const bb *v, bool ok, const char *json)
{
	sbuf b;
	ksd_jw w = jw_into(&b);
	assert_int_equal(ksd_decode_value_json(d, &w, k ? k->b : NULL, k ? (int64_t)k->n : -1,
					       v ? v->b : NULL, v ? (int64_t)v->n : -1),
			 ok);
	assert_string_equal(b.s, json);
	assert_int_equal(w.depth, 0);
}

static void check_control(const bb *k, const bb *v, bool ok, const char *json)
{
	sbuf b;
	ksd_jw w = jw_into(&b);
	assert_int_equal(ksd_control_json(&w, k ? k->b : NULL, k ? (int64_t)k->n : -1,
					  v ? v->b : NULL, v ? (int64_t)v->n : -1),
			 ok);
	assert_string_equal(b.s, json);
	assert_int_equal(w.depth, 0);
}

#define CO KSD_DECODER_CONSUMER_OFFSETS
#define TS KSD_DECODER_TRANSACTION_STATE
#define CM KSD_DECODER_CLUSTER_METADATA

/* --- the coordinator partition -------------------------------------------- */

static void test_coordinator_partition(void **state)
{
	(void)state;
	/* kafka-facts.md §6.2 vectors, 50 partitions. */
	assert_int_equal(ksd_coordinator_partition("test", 4, 50), 48);
	assert_int_equal(ksd_coordinator_partition("my-group", 8, 50), 12);
	/* hashCode is Integer.MIN_VALUE: Utils.abs gives 0, Math.abs would not. */
	assert_int_equal(ksd_coordinator_partition("polygenelubricants", 18, 50), 0);
	assert_int_equal(ksd_coordinator_partition("grp-\xc3\xa9", 6, 50), 47);
	/* U+1F600 is two UTF-16 code units (a surrogate pair) in Java. */
	assert_int_equal(ksd_coordinator_partition("\xf0\x9f\x98\x80", 4, 50), 49);
	assert_int_equal(ksd_coordinator_partition("", 0, 50), 0);
	assert_int_equal(ksd_coordinator_partition("test", 4, 0), -1);
	/* A byte that is not UTF-8 counts as U+FFFD, as Java's decoder makes it. */
	assert_int_equal(ksd_coordinator_partition("\xff", 1, 1000), 0xfffd % 1000);
}

/* --- protocol primitives --------------------------------------------------- */

static void test_primitives_classic(void **state)
{
	(void)state;
	bb x = {.n = 0};
	str(&x, "ab");
	be16(&x, -1);        /* null string */
	be32(&x, 3);         /* bytes */
	raw(&x, "xyz", 3);
	be32(&x, 2);         /* array of 2 */
	ksd_decode_err e = {0};
	ksd_kr r;
	ksd_kstr s;
	int32_t n;
	ksd_kr_init(&r, x.b, x.n, false, &e);
	assert_true(ksd_kr_str(&r, false, &s));
	assert_int_equal(s.len, 2);
	assert_memory_equal(s.p, "ab", 2);
	assert_true(ksd_kr_str(&r, true, &s));
	assert_int_equal(s.len, -1);
	assert_true(ksd_kr_bytes(&r, false, &s));
	assert_int_equal(s.len, 3);
	/* two elements of at least 4 bytes cannot fit in the 0 bytes left */
	assert_false(ksd_kr_array(&r, false, 4, &n));
	assert_string_equal(e.what, "array longer than the bytes left");
	assert_int_equal(e.at, 13);

	/* null in a non-nullable field names the length's position */
	e = (ksd_decode_err){0};
	ksd_kr_init(&r, x.b, x.n, false, &e);
	assert_true(ksd_kr_str(&r, false, &s));
	assert_false(ksd_kr_str(&r, false, &s));
	assert_string_equal(e.what, "null in a non-nullable field");
	assert_int_equal(e.at, 4);
	/* errors are sticky and the first one is kept */
	assert_false(ksd_kr_bytes(&r, true, &s));
	assert_int_equal(e.at, 4);
}

static void test_primitives_compact(void **state)
{
	(void)state;
	bb x = {.n = 0};
	cstr(&x, "hi");
	u8(&x, 0);           /* compact null */
	uv(&x, 300 + 1);     /* a 300-byte compact string: two-byte varint, truncated */
	ksd_decode_err e = {0};
	ksd_kr r;
	ksd_kstr s;
	ksd_kr_init(&r, x.b, x.n, true, &e);
	assert_true(ksd_kr_str(&r, false, &s));
	assert_int_equal(s.len, 2);
	assert_true(ksd_kr_str(&r, true, &s));
	assert_int_equal(s.len, -1);
	assert_false(ksd_kr_str(&r, false, &s));
	assert_string_equal(e.what, "truncated");
	assert_int_equal(e.at, 6);

	/* compact strings over 0x7fff bytes are refused (generated readers) */
	x.n = 0;
	uv(&x, 0x8000 + 1);
	e = (ksd_decode_err){0};
	ksd_kr_init(&r, x.b, x.n, true, &e);
	assert_false(ksd_kr_str(&r, false, &s));
	assert_string_equal(e.what, "string longer than 32767 bytes");

	/* varints: 5 bytes at most */
	static const uint8_t long_varint[] = {0x80, 0x80, 0x80, 0x80, 0x80, 0x01};
	e = (ksd_decode_err){0};
	ksd_kr_init(&r, long_varint, sizeof long_varint, true, &e);
	ksd_kr_uvarint(&r);
	assert_false(ksd_kr_ok(&r));
	assert_string_equal(e.what, "varint longer than 5 bytes");
	assert_int_equal(e.at, 0);
	static const uint8_t max_varint[] = {0xff, 0xff, 0xff, 0xff, 0x0f};
	e = (ksd_decode_err){0};
	ksd_kr_init(&r, max_varint, sizeof max_varint, true, &e);
	assert_true(ksd_kr_uvarint(&r) == 0xffffffffu);
	assert_true(ksd_kr_ok(&r));
	e = (ksd_decode_err){0};
	ksd_kr_init(&r, max_varint, 3, true, &e);
	ksd_kr_uvarint(&r);
	assert_string_equal(e.what, "truncated");
	assert_int_equal(e.at, 0);
}

static void test_primitives_tags(void **state)
{
	(void)state;
	bb x = {.n = 0};
	uv(&x, 2);                     /* two tagged fields */
	uv(&x, 0), uv(&x, 1), u8(&x, 7);
	uv(&x, 9), uv(&x, 2), be16(&x, 513);
	ksd_decode_err e = {0};
	ksd_kr r, f;
	uint32_t n, tag;
	ksd_kr_init(&r, x.b, x.n, true, &e);
	assert_true(ksd_kr_tags_begin(&r, &n));
	assert_int_equal(n, 2);
	assert_true(ksd_kr_tag_next(&r, &tag, &f));
	assert_int_equal(tag, 0);
	assert_int_equal(ksd_kr_i8(&f), 7);
	assert_true(ksd_kr_tag_next(&r, &tag, &f));
	assert_int_equal(tag, 9);
	assert_int_equal(ksd_kr_pos(&f), 6); /* sub-readers keep payload positions */
	assert_int_equal(ksd_kr_i16(&f), 513);
	assert_true(ksd_cur_at_end(&r.c));

	/* a count larger than the bytes could hold */
	static const uint8_t many[] = {0x7f, 0, 0};
	e = (ksd_decode_err){0};
	ksd_kr_init(&r, many, sizeof many, true, &e);
	assert_false(ksd_kr_tags_begin(&r, &n));
	assert_string_equal(e.what, "more tagged fields than bytes left");
	/* a field whose size runs past the end */
	static const uint8_t big[] = {1, 0, 5, 1};
	e = (ksd_decode_err){0};
	ksd_kr_init(&r, big, sizeof big, true, &e);
	assert_false(ksd_kr_skip_tags(&r));
	assert_string_equal(e.what, "truncated");
	assert_int_equal(e.at, 3);
}

static void test_uuid_b64url(void **state)
{
	(void)state;
	uint8_t u[16] = {0};
	char s[23];
	u[15] = 1;
	ksd_uuid_b64url(u, s); /* the metadata topic's id, Uuid.METADATA_TOPIC_ID */
	assert_string_equal(s, "AAAAAAAAAAAAAAAAAAAAAQ");
	memset(u, 0xff, sizeof u);
	ksd_uuid_b64url(u, s); /* URL-safe alphabet: '_' for 63 */
	assert_string_equal(s, "_____________________w");
	memset(u, 0xfb, sizeof u);
	ksd_uuid_b64url(u, s);
	assert_string_equal(s, "-_v7-_v7-_v7-_v7-_v7-w");
}

/* --- __consumer_offsets keys ----------------------------------------------- */

static bb offset_key(int version, const char *g, const char *t, int32_t p)
{
	bb k = {.n = 0};
	be16(&k, version);
	str(&k, g);
	str(&k, t);
	be32(&k, p);
	return k;
}

static void test_offsets_keys(void **state)
{
	(void)state;
	ksd_offsets_key k;
	ksd_decode_err e;
	bb x = offset_key(1, "g", "orders", 7);
	assert_true(ksd_offsets_key_parse(x.b, x.n, &k, &e));
	assert_true(k.known);
	assert_int_equal(k.version, 1);
	assert_string_equal(k.type, "offset_commit");
	assert_int_equal(k.group.len, 1);
	assert_memory_equal(k.topic.p, "orders", 6);
	assert_int_equal(k.partition, 7);
	assert_int_equal(k.member_id.len, -1);
	check_key(CO, &x, true,
		  "{\"type\":\"offset_commit\",\"version\":1,"
		  "\"data\":{\"group\":\"g\",\"topic\":\"orders\",\"partition\":7}}");
	/* 0.8.2 wrote version 0 with the same layout */
	x = offset_key(0, "g", "t", 0);
	check_key(CO, &x, true,
		  "{\"type\":\"offset_commit\",\"version\":0,"
		  "\"data\":{\"group\":\"g\",\"topic\":\"t\",\"partition\":0}}");

	x.n = 0;
	be16(&x, 2);
	str(&x, "my-group");
	assert_true(ksd_offsets_key_parse(x.b, x.n, &k, &e));
	assert_string_equal(k.type, "group_metadata");
	assert_int_equal(k.partition, -1);
	check_key(CO, &x, true,
		  "{\"type\":\"group_metadata\",\"version\":2,\"data\":{\"group\":\"my-group\"}}");

	/* KIP-848: ConsumerGroupMemberMetadataKey (5) = GroupId + MemberId */
	x.n = 0;
	be16(&x, 5);
	str(&x, "cg");
	str(&x, "m1");
	assert_true(ksd_offsets_key_parse(x.b, x.n, &k, &e));
	assert_string_equal(k.type, "consumer_group_member_metadata");
	assert_memory_equal(k.member_id.p, "m1", 2);
	check_key(CO, &x, true,
		  "{\"type\":\"consumer_group_member_metadata\",\"version\":5,"
		  "\"data\":{\"group_id\":\"cg\",\"member_id\":\"m1\"}}");
	/* KIP-932: ShareGroupMetadataKey (11) = GroupId */
	x.n = 0;
	be16(&x, 11);
	str(&x, "sg");
	check_key(CO, &x, true,
		  "{\"type\":\"share_group_metadata\",\"version\":11,\"data\":{\"group_id\":\"sg\"}}");
	/* ConsumerGroupRegularExpressionKey (16) */
	x.n = 0;
	be16(&x, 16);
	str(&x, "cg");
	str(&x, "t.*");
	assert_true(ksd_offsets_key_parse(x.b, x.n, &k, &e));
	assert_memory_equal(k.regex.p, "t.*", 3);
	check_key(CO, &x, true,
		  "{\"type\":\"consumer_group_regular_expression\",\"version\":16,"
		  "\"data\":{\"group_id\":\"cg\",\"regular_expression\":\"t.*\"}}");

	/* an unknown record type parses (Kafka skips it) */
	x.n = 0;
	be16(&x, 99);
	assert_true(ksd_offsets_key_parse(x.b, x.n, &k, &e));
	assert_false(k.known);
	check_key(CO, &x, true, "{\"type\":\"unknown\",\"version\":99}");

	/* truncated keys: the error names the byte where the field starts */
	x = offset_key(1, "g", "orders", 7);
	x.n -= 2;
	assert_false(ksd_offsets_key_parse(x.b, x.n, &k, &e));
	assert_string_equal(e.what, "truncated");
	assert_int_equal(e.at, 13);
	check_key(CO, &x, false,
		  "{\"type\":\"offset_commit\",\"version\":1,\"error\":\"truncated\",\"at\":13}");
	x.n = 1;
	check_key(CO, &x, false, "{\"error\":\"truncated\",\"at\":0}");
	check_key(CO, NULL, false, "{\"error\":\"record without a key\",\"at\":0}");
}

/* --- offset commit values --------------------------------------------------- */

static void test_offset_commit_values(void **state)
{
	(void)state;
	bb k = offset_key(1, "g", "t", 0);
	ksd_offset_commit_value v;
	ksd_decode_err e;

	bb x = {.n = 0}; /* v0 (0.8.2): offset, metadata, timestamp */
	be16(&x, 0), be64(&x, 42), str(&x, "m"), be64(&x, 1000);
	assert_true(ksd_offset_commit_value_parse(x.b, x.n, &v, &e));
	assert_int_equal(v.offset, 42);
	assert_int_equal(v.leader_epoch, -1);
	assert_int_equal(v.expire_timestamp, -1);
	check_value(CO, &k, &x, true,
		    "{\"version\":0,\"data\":{\"offset\":42,\"metadata\":\"m\","
		    "\"commit_timestamp\":1000}}");

	x.n = 0; /* v1: + expire timestamp */
	be16(&x, 1), be64(&x, 42), str(&x, ""), be64(&x, 1000), be64(&x, 2000);
	assert_true(ksd_offset_commit_value_parse(x.b, x.n, &v, &e));
	assert_int_equal(v.expire_timestamp, 2000);
	check_value(CO, &k, &x, true,
		    "{\"version\":1,\"data\":{\"offset\":42,\"metadata\":\"\","
		    "\"commit_timestamp\":1000,\"expire_timestamp\":2000}}");

	x.n = 0; /* v2: no expire */
	be16(&x, 2), be64(&x, 5), str(&x, ""), be64(&x, 1000);
	check_value(CO, &k, &x, true,
		    "{\"version\":2,\"data\":{\"offset\":5,\"metadata\":\"\","
		    "\"commit_timestamp\":1000}}");

	x.n = 0; /* v3: leader epoch after the offset (KIP-320) */
	be16(&x, 3), be64(&x, 5), be32(&x, 9), str(&x, ""), be64(&x, 1000);
	assert_true(ksd_offset_commit_value_parse(x.b, x.n, &v, &e));
	assert_int_equal(v.leader_epoch, 9);
	check_value(CO, &k, &x, true,
		    "{\"version\":3,\"data\":{\"offset\":5,\"leader_epoch\":9,\"metadata\":\"\","
		    "\"commit_timestamp\":1000}}");

	x.n = 0; /* v4: flexible, compact metadata, an unknown tagged field */
	be16(&x, 4), be64(&x, 5), be32(&x, -1), cstr(&x, "md"), be64(&x, 1000);
	uv(&x, 1), uv(&x, 3), uv(&x, 2), u8(&x, 0xfb), u8(&x, 0xff);
	assert_true(ksd_offset_commit_value_parse(x.b, x.n, &v, &e));
	assert_int_equal(v.metadata.len, 2);
	assert_true(v.commit_timestamp == 1000);
	check_value(CO, &k, &x, true,
		    "{\"version\":4,\"data\":{\"offset\":5,\"leader_epoch\":-1,\"metadata\":\"md\","
		    "\"commit_timestamp\":1000,\"unknown_tagged_fields\":[{\"tag\":3,\"data\":\"+/8=\"}]}}");

	/* a tombstone */
	check_value(CO, &k, NULL, true, "null");
	/* version 5 does not exist: Kafka's reader refuses it */
	x.n = 0;
	be16(&x, 5), be64(&x, 5);
	assert_false(ksd_offset_commit_value_parse(x.b, x.n, &v, &e));
	assert_string_equal(e.what, "unsupported version");
	check_value(CO, &k, &x, false,
		    "{\"version\":5,\"error\":\"unsupported version\",\"at\":2}");
	/* truncated inside the metadata string */
	x.n = 0;
	be16(&x, 3), be64(&x, 5), be32(&x, 9), be16(&x, 4), raw(&x, "ab", 2);
	check_value(CO, &k, &x, false, "{\"version\":3,\"error\":\"truncated\",\"at\":16}");
	/* bytes after the message are ignored by Kafka and shown */
	x.n = 0;
	be16(&x, 2), be64(&x, 5), str(&x, ""), be64(&x, 1000), u8(&x, 0);
	check_value(CO, &k, &x, true,
		    "{\"version\":2,\"data\":{\"offset\":5,\"metadata\":\"\","
		    "\"commit_timestamp\":1000},\"trailing_bytes\":1}");
	/* without a decodable key the value's type is unknown */
	check_value(CO, NULL, &x, false,
		    "{\"error\":\"record type unknown: the key does not decode\",\"at\":0}");
}

/* --- group metadata ---------------------------------------------------------- */

/* ConsumerProtocolSubscription v1: topics, user data, owned partitions. */
static void subscription_v1(bb *x)
{
	bb s = {.n = 0};
	be16(&s, 1);
	be32(&s, 1), str(&s, "orders");
	be32(&s, -1);                                /* null user data */
	be32(&s, 1), str(&s, "orders"), be32(&s, 1), be32(&s, 3);
	be32(x, (int32_t)s.n);
	raw(x, s.b, s.n);
}

/* ConsumerProtocolAssignment v0: orders [0, 1], 2 bytes of user data. */
static void assignment_v0(bb *x)
{
	bb a = {.n = 0};
	be16(&a, 0);
	be32(&a, 1), str(&a, "orders"), be32(&a, 2), be32(&a, 0), be32(&a, 1);
	be32(&a, 2), u8(&a, 0xde), u8(&a, 0xad);
	be32(x, (int32_t)a.n);
	raw(x, a.b, a.n);
}

static bb group_value_v3(const char *protocol_type)
{
	bb x = {.n = 0};
	be16(&x, 3);
	str(&x, protocol_type), be32(&x, 4), str(&x, "range"), str(&x, "m1");
	be64(&x, 1650755594652);
	be32(&x, 1); /* one member */
	str(&x, "m1"), be16(&x, -1), str(&x, "c1"), str(&x, "/10.0.0.1");
	be32(&x, 300000), be32(&x, 10000);
	subscription_v1(&x);
	assignment_v0(&x);
	return x;
}

static void test_group_metadata_structured(void **state)
{
	(void)state;
	bb x = group_value_v3("consumer");
	ksd_group_metadata g;
	ksd_group_member m;
	ksd_decode_err e;
	assert_true(ksd_group_metadata_parse(x.b, x.n, &g, &e));
	assert_int_equal(g.version, 3);
	assert_int_equal(g.generation, 4);
	assert_memory_equal(g.protocol.p, "range", 5);
	assert_true(g.current_state_timestamp == 1650755594652);
	assert_int_equal(g.member_count, 1);
	assert_true(ksd_group_member_next(&g, &m));
	assert_memory_equal(m.member_id.p, "m1", 2);
	assert_int_equal(m.group_instance_id.len, -1);
	assert_int_equal(m.rebalance_timeout, 300000);
	assert_int_equal(m.session_timeout, 10000);
	assert_int_equal(m.subscription.len, 2 + 4 + 8 + 4 + 4 + 8 + 4 + 4);
	assert_int_equal(m.assignment.len, 2 + 4 + 8 + 4 + 8 + 4 + 2);
	assert_false(ksd_group_member_next(&g, &m));

	/* v0 (0.9): no rebalance timeout, no state timestamp, no instance id */
	bb y = {.n = 0};
	be16(&y, 0);
	str(&y, "consumer"), be32(&y, 1), str(&y, "range"), str(&y, "m1");
	be32(&y, 1);
	str(&y, "m1"), str(&y, "c1"), str(&y, "h"), be32(&y, 30000);
	be32(&y, 0), be32(&y, 0);
	assert_true(ksd_group_metadata_parse(y.b, y.n, &g, &e));
	assert_true(ksd_group_member_next(&g, &m));
	assert_int_equal(m.rebalance_timeout, -1);
	assert_int_equal(m.session_timeout, 30000);
	assert_int_equal(g.current_state_timestamp, -1);
	/* a member count the bytes cannot hold */
	y.n = 0;
	be16(&y, 0);
	str(&y, "consumer"), be32(&y, 1), str(&y, "r"), str(&y, "m"), be32(&y, 1000);
	assert_false(ksd_group_metadata_parse(y.b, y.n, &g, &e));
	assert_string_equal(e.what, "array longer than the bytes left");
	assert_int_equal(e.at, 22);
}

static void test_group_metadata_json(void **state)
{
	(void)state;
	bb k = {.n = 0};
	be16(&k, 2), str(&k, "g");
	bb x = group_value_v3("consumer");
	/* protocol type "consumer": subscription and assignment decoded */
	check_value(CO, &k, &x, true,
		    "{\"version\":3,\"data\":{\"protocol_type\":\"consumer\",\"generation\":4,"
		    "\"protocol\":\"range\",\"leader\":\"m1\",\"current_state_timestamp\":1650755594652,"
		    "\"members\":[{\"member_id\":\"m1\",\"group_instance_id\":null,\"client_id\":\"c1\","
		    "\"client_host\":\"/10.0.0.1\",\"rebalance_timeout\":300000,\"session_timeout\":10000,"
		    "\"subscription\":{\"version\":1,\"topics\":[\"orders\"],\"user_data\":null,"
		    "\"owned_partitions\":[{\"topic\":\"orders\",\"partitions\":[3]}]},"
		    "\"assignment\":{\"version\":0,\"assigned_partitions\":[{\"topic\":\"orders\","
		    "\"partitions\":[0,1]}],\"user_data\":\"3q0=\"}}]}}");
	/* other protocol types keep the bytes, as base64 */
	x = group_value_v3("connect");
	sbuf b;
	ksd_jw w = jw_into(&b);
	assert_true(ksd_decode_value_json(CO, &w, k.b, (int64_t)k.n, x.b, (int64_t)x.n));
	assert_non_null(strstr(b.s, "\"subscription\":\"AAEAAAABAAZvcmRlcnP/////AAAAAQAGb3JkZXJzAAAAAQAAAAM=\""));

	/* v4: the flexible form (KIP-915), one empty member */
	bb y = {.n = 0};
	be16(&y, 4);
	cstr(&y, "consumer"), be32(&y, 2), u8(&y, 0), u8(&y, 0), be64(&y, -1);
	uv(&y, 2); /* one member */
	cstr(&y, "m"), cstr(&y, "i"), cstr(&y, "c"), cstr(&y, "h");
	be32(&y, 1), be32(&y, 2), uv(&y, 1), uv(&y, 1), uv(&y, 0); /* empty bytes, no tags */
	uv(&y, 0);                                                   /* group tags */
	check_value(CO, &k, &y, true,
		    "{\"version\":4,\"data\":{\"protocol_type\":\"consumer\",\"generation\":2,"
		    "\"protocol\":null,\"leader\":null,\"current_state_timestamp\":-1,"
		    "\"members\":[{\"member_id\":\"m\",\"group_instance_id\":\"i\",\"client_id\":\"c\","
		    "\"client_host\":\"h\",\"rebalance_timeout\":1,\"session_timeout\":2,"
		    "\"subscription\":\"\",\"assignment\":\"\"}]}}");
	ksd_group_metadata g;
	ksd_group_member m;
	ksd_decode_err e;
	assert_true(ksd_group_metadata_parse(y.b, y.n, &g, &e));
	assert_true(ksd_group_member_next(&g, &m));
	assert_int_equal(m.group_instance_id.len, 1);
	assert_int_equal(m.subscription.len, 0);
}

/* KIP-848 values: member metadata with the tagged classic metadata, and the
 * current assignment with a tagged field inside its array elements. */
static void test_kip848_values(void **state)
{
	(void)state;
	bb k = {.n = 0};
	be16(&k, 5), str(&k, "cg"), str(&k, "m1");
	bb x = {.n = 0};
	be16(&x, 0);
	u8(&x, 0), cstr(&x, "r1"), cstr(&x, "c"), cstr(&x, "h");
	uv(&x, 2), cstr(&x, "t1"); /* subscribed_topic_names */
	u8(&x, 0), be32(&x, 5000), cstr(&x, "uniform");
	bb cm = {.n = 0}; /* ClassicMemberMetadata, a tagged nullable struct */
	uv(&cm, 1);       /* present */
	be32(&cm, 45000);
	uv(&cm, 2), cstr(&cm, "range"), uv(&cm, 2), u8(&cm, 0xff), uv(&cm, 0);
	uv(&cm, 0);
	uv(&x, 1), uv(&x, 0), uv(&x, (uint32_t)cm.n), raw(&x, cm.b, cm.n);
	check_value(CO, &k, &x, true,
		    "{\"version\":0,\"data\":{\"instance_id\":null,\"rack_id\":\"r1\",\"client_id\":\"c\","
		    "\"client_host\":\"h\",\"subscribed_topic_names\":[\"t1\"],"
		    "\"subscribed_topic_regex\":null,\"rebalance_timeout_ms\":5000,"
		    "\"server_assignor\":\"uniform\",\"classic_member_metadata\":{\"session_timeout_ms\":45000,"
		    "\"supported_protocols\":[{\"name\":\"range\",\"metadata\":\"/w==\"}]}}}");

	k.n = 0;
	be16(&k, 8), str(&k, "cg"), str(&k, "m1");
	x.n = 0;
	be16(&x, 0);
	be32(&x, 3), be32(&x, 2), u8(&x, 0);
	uv(&x, 2), uuid(&x, 0, 1), uv(&x, 2), be32(&x, 4);
	uv(&x, 1), uv(&x, 0), uv(&x, 5), uv(&x, 2), be32(&x, 3); /* assignment_epochs [3] */
	uv(&x, 1);     /* nothing pending */
	uv(&x, 0);
	check_value(CO, &k, &x, true,
		    "{\"version\":0,\"data\":{\"member_epoch\":3,\"previous_member_epoch\":2,\"state\":0,"
		    "\"assigned_partitions\":[{\"topic_id\":\"AAAAAAAAAAAAAAAAAAAAAQ\",\"partitions\":[4],"
		    "\"assignment_epochs\":[3]}],\"partitions_pending_revocation\":[]}}");

	/* ShareGroupStatePartitionMetadata (15): named, value not decoded */
	k.n = 0;
	be16(&k, 15), str(&k, "sg");
	x.n = 0;
	be16(&x, 0), u8(&x, 1);
	check_value(CO, &k, &x, true,
		    "{\"version\":0,\"skipped\":\"record type not decoded\"}");
	k.n = 0;
	be16(&k, 42);
	check_value(CO, &k, &x, true, "{\"version\":0,\"skipped\":\"unknown record type\"}");
}

/* --- __transaction_state --------------------------------------------------- */

static void test_transaction_log(void **state)
{
	(void)state;
	bb k = {.n = 0};
	be16(&k, 0), str(&k, "tx-1");
	ksd_txn_key tk;
	ksd_decode_err e;
	assert_true(ksd_txn_key_parse(k.b, k.n, &tk, &e));
	assert_memory_equal(tk.transactional_id.p, "tx-1", 4);
	check_key(TS, &k, true,
		  "{\"type\":\"transaction_log\",\"version\":0,\"data\":{\"transactional_id\":\"tx-1\"}}");

	bb x = {.n = 0}; /* v0, Ongoing, two topics */
	be16(&x, 0), be64(&x, 1000), be16(&x, 3), be32(&x, 60000), u8(&x, 1);
	be32(&x, 2);
	str(&x, "a"), be32(&x, 2), be32(&x, 0), be32(&x, 1);
	str(&x, "b"), be32(&x, 0);
	be64(&x, 20), be64(&x, 10);
	ksd_txn_value v;
	ksd_txn_topic t;
	assert_true(ksd_txn_value_parse(x.b, x.n, &v, &e));
	assert_int_equal(v.producer_id, 1000);
	assert_int_equal(v.producer_epoch, 3);
	assert_int_equal(v.status, 1);
	assert_string_equal(ksd_txn_status_name(v.status), "Ongoing");
	assert_int_equal(v.topic_count, 2);
	assert_true(ksd_txn_topic_next(&v, &t));
	assert_int_equal(t.partition_count, 2);
	assert_int_equal(ksd_load_be32(t.partitions_be32 + 4), 1);
	assert_true(ksd_txn_topic_next(&v, &t));
	assert_int_equal(t.partition_count, 0);
	assert_false(ksd_txn_topic_next(&v, &t));
	assert_int_equal(v.previous_producer_id, -1);
	check_value(TS, &k, &x, true,
		    "{\"version\":0,\"data\":{\"producer_id\":1000,\"producer_epoch\":3,"
		    "\"transaction_timeout_ms\":60000,\"transaction_status\":1,"
		    "\"transaction_status_name\":\"Ongoing\",\"transaction_partitions\":["
		    "{\"topic\":\"a\",\"partition_ids\":[0,1]},{\"topic\":\"b\",\"partition_ids\":[]}],"
		    "\"transaction_last_update_timestamp_ms\":20,\"transaction_start_timestamp_ms\":10}}");

	x.n = 0; /* v1: flexible, null partitions, tagged producer ids and version */
	be16(&x, 1), be64(&x, 7), be16(&x, 0), be32(&x, 100), u8(&x, 7);
	u8(&x, 0);
	be64(&x, 20), be64(&x, -1);
	uv(&x, 4);
	uv(&x, 0), uv(&x, 8), be64(&x, 6);
	uv(&x, 1), uv(&x, 8), be64(&x, 8);
	uv(&x, 2), uv(&x, 2), be16(&x, 2);
	uv(&x, 40), uv(&x, 1), u8(&x, 0x01);
	assert_true(ksd_txn_value_parse(x.b, x.n, &v, &e));
	assert_int_equal(v.topic_count, -1);
	assert_int_equal(v.previous_producer_id, 6);
	assert_int_equal(v.next_producer_id, 8);
	assert_int_equal(v.client_transaction_version, 2);
	check_value(TS, &k, &x, true,
		    "{\"version\":1,\"data\":{\"producer_id\":7,\"producer_epoch\":0,"
		    "\"transaction_timeout_ms\":100,\"transaction_status\":7,"
		    "\"transaction_status_name\":\"PrepareEpochFence\",\"transaction_partitions\":null,"
		    "\"transaction_last_update_timestamp_ms\":20,\"transaction_start_timestamp_ms\":-1,"
		    "\"previous_producer_id\":6,\"next_producer_id\":8,\"client_transaction_version\":2,"
		    "\"unknown_tagged_fields\":[{\"tag\":40,\"data\":\"AQ==\"}]}}");
	assert_null(ksd_txn_status_name(8));
	assert_string_equal(ksd_txn_status_name(0), "Empty");

	/* a status id Kafka does not know: the name is null */
	x.n = 0;
	be16(&x, 0), be64(&x, 1), be16(&x, 0), be32(&x, 1), u8(&x, 9), be32(&x, -1);
	be64(&x, 0), be64(&x, 0);
	check_value(TS, &k, &x, true,
		    "{\"version\":0,\"data\":{\"producer_id\":1,\"producer_epoch\":0,"
		    "\"transaction_timeout_ms\":1,\"transaction_status\":9,"
		    "\"transaction_status_name\":null,\"transaction_partitions\":null,"
		    "\"transaction_last_update_timestamp_ms\":0,\"transaction_start_timestamp_ms\":0}}");
	/* key version 1 does not exist */
	k.n = 0;
	be16(&k, 1), str(&k, "x");
	check_key(TS, &k, false, "{\"error\":\"unsupported version\",\"at\":2}");
	check_value(TS, &k, NULL, true, "null");
}

/* --- __cluster_metadata ------------------------------------------------------ */

static bb frame(unsigned api_key, unsigned version)
{
	bb x = {.n = 0};
	uv(&x, 1), uv(&x, api_key), uv(&x, version);
	return x;
}

static void test_metadata_records(void **state)
{
	(void)state;
	bb x = frame(2, 0); /* TopicRecord */
	cstr(&x, "orders"), uuid(&x, 0, 1), uv(&x, 0);
	ksd_metadata_frame f;
	ksd_decode_err e;
	assert_true(ksd_metadata_frame_parse(x.b, x.n, &f, &e));
	assert_int_equal(f.api_key, 2);
	assert_int_equal(f.body_at, 3);
	check_key(CM, NULL, true, "null");
	check_value(CM, NULL, &x, true,
		    "{\"type\":\"TOPIC_RECORD\",\"api_key\":2,\"frame_version\":1,\"version\":0,"
		    "\"data\":{\"name\":\"orders\",\"topic_id\":\"AAAAAAAAAAAAAAAAAAAAAQ\"}}");

	x = frame(3, 2); /* PartitionRecord v2: directories, tagged ELR fields */
	be32(&x, 0), uuid(&x, 0, 2);
	uv(&x, 2), be32(&x, 1);   /* replicas */
	uv(&x, 2), be32(&x, 1);   /* isr */
	uv(&x, 1), uv(&x, 1);     /* removing, adding */
	be32(&x, 1), be32(&x, 5), be32(&x, 6);
	uv(&x, 2), uuid(&x, 0, 3);
	uv(&x, 3);
	uv(&x, 0), uv(&x, 1), u8(&x, 1);  /* leader_recovery_state */
	uv(&x, 1), uv(&x, 1), u8(&x, 0);  /* eligible_leader_replicas: null */
	uv(&x, 2), uv(&x, 5), uv(&x, 2), be32(&x, 1);
	check_value(CM, NULL, &x, true,
		    "{\"type\":\"PARTITION_RECORD\",\"api_key\":3,\"frame_version\":1,\"version\":2,"
		    "\"data\":{\"partition_id\":0,\"topic_id\":\"AAAAAAAAAAAAAAAAAAAAAg\",\"replicas\":[1],"
		    "\"isr\":[1],\"removing_replicas\":[],\"adding_replicas\":[],\"leader\":1,"
		    "\"leader_epoch\":5,\"partition_epoch\":6,\"directories\":[\"AAAAAAAAAAAAAAAAAAAAAw\"],"
		    "\"leader_recovery_state\":1,\"eligible_leader_replicas\":null,\"last_known_elr\":[1]}}");

	x = frame(5, 0); /* PartitionChangeRecord: only the changes, as tagged fields */
	be32(&x, 3), uuid(&x, 0, 1);
	uv(&x, 2);
	uv(&x, 0), uv(&x, 9), uv(&x, 3), be32(&x, 1), be32(&x, 2);
	uv(&x, 1), uv(&x, 4), be32(&x, 2);
	check_value(CM, NULL, &x, true,
		    "{\"type\":\"PARTITION_CHANGE_RECORD\",\"api_key\":5,\"frame_version\":1,\"version\":0,"
		    "\"data\":{\"partition_id\":3,\"topic_id\":\"AAAAAAAAAAAAAAAAAAAAAQ\",\"isr\":[1,2],"
		    "\"leader\":2}}");

	x = frame(0, 3); /* RegisterBrokerRecord v3 */
	be32(&x, 1), u8(&x, 0), uuid(&x, 0, 9), be64(&x, 7);
	uv(&x, 2), cstr(&x, "PLAINTEXT"), cstr(&x, "h"), be16(&x, 9092), be16(&x, 0), uv(&x, 0);
	uv(&x, 2), cstr(&x, "metadata.version"), be16(&x, 1), be16(&x, 20), uv(&x, 0);
	u8(&x, 0), u8(&x, 1), u8(&x, 0);
	uv(&x, 1), uv(&x, 0), uv(&x, 17), uv(&x, 2), uuid(&x, 0, 4);
	check_value(CM, NULL, &x, true,
		    "{\"type\":\"REGISTER_BROKER_RECORD\",\"api_key\":0,\"frame_version\":1,\"version\":3,"
		    "\"data\":{\"broker_id\":1,\"is_migrating_zk_broker\":false,"
		    "\"incarnation_id\":\"AAAAAAAAAAAAAAAAAAAACQ\",\"broker_epoch\":7,\"end_points\":["
		    "{\"name\":\"PLAINTEXT\",\"host\":\"h\",\"port\":9092,\"security_protocol\":0}],"
		    "\"features\":[{\"name\":\"metadata.version\",\"min_supported_version\":1,"
		    "\"max_supported_version\":20}],\"rack\":null,\"fenced\":true,"
		    "\"in_controlled_shutdown\":false,\"log_dirs\":[\"AAAAAAAAAAAAAAAAAAAABA\"]}}");

	x = frame(20, 0); /* NoOpRecord */
	uv(&x, 0);
	check_value(CM, NULL, &x, true,
		    "{\"type\":\"NO_OP_RECORD\",\"api_key\":20,\"frame_version\":1,\"version\":0,\"data\":{}}");
	x = frame(4, 0); /* ConfigRecord with a null value (a deleted config) */
	u8(&x, 2), cstr(&x, "t"), cstr(&x, "retention.ms"), u8(&x, 0), uv(&x, 0);
	check_value(CM, NULL, &x, true,
		    "{\"type\":\"CONFIG_RECORD\",\"api_key\":4,\"frame_version\":1,\"version\":0,"
		    "\"data\":{\"resource_type\":2,\"resource_name\":\"t\",\"name\":\"retention.ms\","
		    "\"value\":null}}");
	x = frame(14, 0); /* ClientQuotaRecord: a float64 */
	uv(&x, 2), cstr(&x, "user"), u8(&x, 0), uv(&x, 0);
	cstr(&x, "producer_byte_rate");
	be64(&x, 0x40c3880000000000ll); /* 10000.0 */
	u8(&x, 0), uv(&x, 0);
	check_value(CM, NULL, &x, true,
		    "{\"type\":\"CLIENT_QUOTA_RECORD\",\"api_key\":14,\"frame_version\":1,\"version\":0,"
		    "\"data\":{\"entity\":[{\"entity_type\":\"user\",\"entity_name\":null}],"
		    "\"key\":\"producer_byte_rate\",\"value\":10000,\"remove\":false}}");
	x = frame(23, 0); /* BeginTransactionRecord: its only field is tagged */
	uv(&x, 1), uv(&x, 0), uv(&x, 3), cstr(&x, "ab");
	check_value(CM, NULL, &x, true,
		    "{\"type\":\"BEGIN_TRANSACTION_RECORD\",\"api_key\":23,\"frame_version\":1,"
		    "\"version\":0,\"data\":{\"name\":\"ab\"}}");
	x = frame(17, 2); /* BrokerRegistrationChangeRecord v2 */
	be32(&x, 1), be64(&x, 9);
	uv(&x, 2), uv(&x, 0), uv(&x, 1), u8(&x, 0xff), uv(&x, 1), uv(&x, 1), u8(&x, 1);
	check_value(CM, NULL, &x, true,
		    "{\"type\":\"BROKER_REGISTRATION_CHANGE_RECORD\",\"api_key\":17,\"frame_version\":1,"
		    "\"version\":2,\"data\":{\"broker_id\":1,\"broker_epoch\":9,\"fenced\":-1,"
		    "\"in_controlled_shutdown\":1}}");

	assert_string_equal(ksd_metadata_type_name(21), "ZK_MIGRATION_STATE_RECORD");
	assert_string_equal(ksd_metadata_type_name(27), "REGISTER_CONTROLLER_RECORD");
	assert_string_equal(ksd_metadata_type_name(6), "UNKNOWN");
	assert_string_equal(ksd_metadata_type_name(13), "UNKNOWN");
	assert_string_equal(ksd_metadata_type_name(99), "UNKNOWN");
}

static void test_metadata_errors(void **state)
{
	(void)state;
	bb x = {.n = 0};
	uv(&x, 0), uv(&x, 2), uv(&x, 0); /* frame version 0: the 2.8 preview */
	ksd_metadata_frame f;
	ksd_decode_err e;
	assert_false(ksd_metadata_frame_parse(x.b, x.n, &f, &e));
	check_value(CM, NULL, &x, false,
		    "{\"error\":\"frame version 0 (the KRaft preview format of 2.8)\",\"at\":0}");
	x.n = 0;
	uv(&x, 2);
	check_value(CM, NULL, &x, false, "{\"error\":\"unknown frame version\",\"at\":0}");
	x.n = 0;
	uv(&x, 1), uv(&x, 40000);
	check_value(CM, NULL, &x, false, "{\"error\":\"frame field above 32767\",\"at\":1}");

	x = frame(2, 0); /* garbage after the message: MetadataRecordSerde refuses it */
	cstr(&x, "t"), uuid(&x, 0, 1), uv(&x, 0), u8(&x, 0);
	check_value(CM, NULL, &x, false,
		    "{\"type\":\"TOPIC_RECORD\",\"api_key\":2,\"frame_version\":1,\"version\":0,"
		    "\"error\":\"bytes left after the message\",\"at\":22}");
	x = frame(2, 1); /* TopicRecord has only version 0 */
	check_value(CM, NULL, &x, false,
		    "{\"type\":\"TOPIC_RECORD\",\"api_key\":2,\"frame_version\":1,\"version\":1,"
		    "\"error\":\"unsupported version\",\"at\":3}");
	x = frame(6, 0); /* a retired apiKey */
	check_value(CM, NULL, &x, false,
		    "{\"type\":\"UNKNOWN\",\"api_key\":6,\"frame_version\":1,\"version\":0,"
		    "\"error\":\"unknown metadata record type\",\"at\":1}");
	x = frame(2, 0); /* a compact string read as null in a non-nullable field */
	u8(&x, 0);
	check_value(CM, NULL, &x, false,
		    "{\"type\":\"TOPIC_RECORD\",\"api_key\":2,\"frame_version\":1,\"version\":0,"
		    "\"error\":\"null in a non-nullable field\",\"at\":3}");
	x = frame(5, 0); /* a known tag with the wrong size */
	be32(&x, 3), uuid(&x, 0, 1);
	uv(&x, 1), uv(&x, 1), uv(&x, 5), be32(&x, 2), u8(&x, 0);
	check_value(CM, NULL, &x, false,
		    "{\"type\":\"PARTITION_CHANGE_RECORD\",\"api_key\":5,\"frame_version\":1,\"version\":0,"
		    "\"error\":\"tagged field shorter than its size\",\"at\":30}");
	x = frame(5, 0); /* the same tag twice */
	be32(&x, 3), uuid(&x, 0, 1);
	uv(&x, 2), uv(&x, 1), uv(&x, 4), be32(&x, 2), uv(&x, 1), uv(&x, 4), be32(&x, 3);
	check_value(CM, NULL, &x, false,
		    "{\"type\":\"PARTITION_CHANGE_RECORD\",\"api_key\":5,\"frame_version\":1,\"version\":0,"
		    "\"error\":\"tagged field repeated\",\"at\":32}");
	x = frame(5, 0); /* a tag from a later version: "Tag 8 is not valid for version 0" */
	be32(&x, 3), uuid(&x, 0, 1);
	uv(&x, 1), uv(&x, 8), uv(&x, 1), u8(&x, 0);
	check_value(CM, NULL, &x, false,
		    "{\"type\":\"PARTITION_CHANGE_RECORD\",\"api_key\":5,\"frame_version\":1,\"version\":0,"
		    "\"error\":\"tag not valid for this version\",\"at\":26}");
	x = frame(2, 0); /* an unknown tag is listed, not refused */
	cstr(&x, "t"), uuid(&x, 0, 1), uv(&x, 1), uv(&x, 7), uv(&x, 0);
	check_value(CM, NULL, &x, true,
		    "{\"type\":\"TOPIC_RECORD\",\"api_key\":2,\"frame_version\":1,\"version\":0,"
		    "\"data\":{\"name\":\"t\",\"topic_id\":\"AAAAAAAAAAAAAAAAAAAAAQ\","
		    "\"unknown_tagged_fields\":[{\"tag\":7,\"data\":\"\"}]}}");
	/* a metadata record always has a value, and never a key */
	check_value(CM, NULL, NULL, false, "null");
	bb k = {.n = 1};
	check_key(CM, &k, false, "{\"error\":\"metadata records have no key\",\"at\":0}");
}

/* --- control records -------------------------------------------------------- */

static bb control_key(int version, int type)
{
	bb k = {.n = 0};
	be16(&k, version), be16(&k, type);
	return k;
}

static void test_control_markers(void **state)
{
	(void)state;
	bb k = control_key(0, 1);
	bb v = {.n = 0};
	be16(&v, 0), be32(&v, 5);
	ksd_control c;
	ksd_decode_err e;
	assert_true(ksd_control_parse(k.b, (int64_t)k.n, v.b, (int64_t)v.n, &c, &e));
	assert_int_equal(c.type, KSD_CONTROL_COMMIT);
	assert_int_equal(c.coordinator_epoch, 5);
	assert_int_equal(c.value_version, 0);
	check_control(&k, &v, true, "{\"type\":\"COMMIT\",\"version\":0,\"coordinator_epoch\":5}");
	k = control_key(0, 0);
	check_control(&k, &v, true, "{\"type\":\"ABORT\",\"version\":0,\"coordinator_epoch\":5}");
	/* newer versions are read as version 0 (debug log only in Kafka) */
	k = control_key(3, 0);
	v.n = 0;
	be16(&v, 1), be32(&v, 6), u8(&v, 0);
	check_control(&k, &v, true,
		      "{\"type\":\"ABORT\",\"key_version\":3,\"version\":1,\"coordinator_epoch\":6}");
	/* a marker value shorter than 6 bytes, or with a negative version */
	v.n = 4;
	assert_false(ksd_control_parse(k.b, (int64_t)k.n, v.b, (int64_t)v.n, &c, &e));
	check_control(&k, &v, false, "{\"type\":\"ABORT\",\"error\":\"truncated\",\"at\":2}");
	v.n = 0;
	be16(&v, -1), be32(&v, 6);
	check_control(&k, &v, false,
		      "{\"type\":\"ABORT\",\"error\":\"negative transaction marker version\",\"at\":0}");
	check_control(&k, NULL, false,
		      "{\"type\":\"ABORT\",\"error\":\"transaction marker without a value\",\"at\":0}");
	/* keys: at least 4 bytes, version >= 0 */
	k.n = 3;
	check_control(&k, &v, false, "{\"error\":\"truncated\",\"at\":2}");
	k = control_key(-1, 1);
	assert_false(ksd_control_parse(k.b, (int64_t)k.n, NULL, -1, &c, &e));
	check_control(&k, &v, false, "{\"error\":\"negative control key version\",\"at\":0}");
	check_control(NULL, &v, false, "{\"error\":\"control record without a key\",\"at\":0}");
	/* unknown types are not errors: Kafka ignores them */
	k = control_key(0, 9);
	assert_true(ksd_control_parse(k.b, (int64_t)k.n, NULL, -1, &c, &e));
	assert_int_equal(c.type, KSD_CONTROL_UNKNOWN);
	check_control(&k, NULL, true, "{\"type\":\"UNKNOWN\",\"type_id\":9}");
	assert_string_equal(ksd_control_type_name(KSD_CONTROL_KRAFT_VOTERS), "KRAFT_VOTERS");
}

static void test_control_kraft(void **state)
{
	(void)state;
	/* LeaderChangeMessage at version 0, its own Version field first */
	bb k = control_key(0, 2);
	bb v = {.n = 0};
	be16(&v, 0), be32(&v, 1);
	uv(&v, 2), be32(&v, 1), uv(&v, 0);
	uv(&v, 3), be32(&v, 1), uv(&v, 0), be32(&v, 2), uv(&v, 0);
	uv(&v, 0);
	check_control(&k, &v, true,
		      "{\"type\":\"LEADER_CHANGE\",\"version\":0,\"leader_id\":1,"
		      "\"voters\":[{\"voter_id\":1}],\"granting_voters\":[{\"voter_id\":1},{\"voter_id\":2}]}");
	k = control_key(0, 3);
	v.n = 0;
	be16(&v, 0), be64(&v, 1692288361969), uv(&v, 0);
	check_control(&k, &v, true,
		      "{\"type\":\"SNAPSHOT_HEADER\",\"version\":0,"
		      "\"last_contained_log_timestamp\":1692288361969}");
	k = control_key(0, 4);
	v.n = 0;
	be16(&v, 0), uv(&v, 0), u8(&v, 0);
	check_control(&k, &v, true, "{\"type\":\"SNAPSHOT_FOOTER\",\"version\":0,\"trailing_bytes\":1}");
	k = control_key(0, 5);
	v.n = 0;
	be16(&v, 0), be16(&v, 1), uv(&v, 0);
	check_control(&k, &v, true, "{\"type\":\"KRAFT_VERSION\",\"version\":0,\"kraft_version\":1}");
	k = control_key(0, 6); /* VotersRecord (KIP-853) */
	v.n = 0;
	be16(&v, 0);
	uv(&v, 2);
	be32(&v, 1), uuid(&v, 0, 5);
	uv(&v, 2), cstr(&v, "CONTROLLER"), cstr(&v, "c1"), be16(&v, 9093), uv(&v, 0);
	be16(&v, 0), be16(&v, 1), uv(&v, 0);
	uv(&v, 0);
	uv(&v, 0);
	check_control(&k, &v, true,
		      "{\"type\":\"KRAFT_VOTERS\",\"version\":0,\"voters\":[{\"voter_id\":1,"
		      "\"voter_directory_id\":\"AAAAAAAAAAAAAAAAAAAABQ\",\"endpoints\":[{\"name\":\"CONTROLLER\","
		      "\"host\":\"c1\",\"port\":9093}],\"kraft_version_feature\":{\"min_supported_version\":0,"
		      "\"max_supported_version\":1}}]}");
	/* a truncated snapshot header */
	k = control_key(0, 3);
	v.n = 5;
	check_control(&k, &v, false, "{\"type\":\"SNAPSHOT_HEADER\",\"error\":\"truncated\",\"at\":2}");
}

static void test_decoder_for_topic(void **state)
{
	(void)state;
	assert_int_equal(ksd_topic_decoder_for_topic("__consumer_offsets"), CO);
	assert_int_equal(ksd_topic_decoder_for_topic("__transaction_state"), TS);
	assert_int_equal(ksd_topic_decoder_for_topic("__cluster_metadata"), CM);
	assert_int_equal(ksd_topic_decoder_for_topic("__consumer_offsets2"), KSD_DECODER_NONE);
	assert_int_equal(ksd_topic_decoder_for_topic(NULL), KSD_DECODER_NONE);
	assert_string_equal(ksd_topic_decoder_name(CM), "cluster-metadata");
	bb k = {.n = 2};
	check_key(KSD_DECODER_NONE, &k, false, "{\"error\":\"no decoder\",\"at\":0}");
	check_key(KSD_DECODER_NONE, NULL, true, "null");
}

/* Zero-length payloads, even at a NULL pointer, are truncated messages. */
static void test_empty_payloads(void **state)
{
	(void)state;
	sbuf b;
	ksd_jw w = jw_into(&b);
	assert_false(ksd_decode_value_json(CM, &w, NULL, -1, NULL, 0));
	assert_string_equal(b.s, "{\"error\":\"truncated\",\"at\":0}");
	w = jw_into(&b);
	assert_false(ksd_decode_key_json(TS, &w, NULL, 0));
	assert_string_equal(b.s, "{\"error\":\"truncated\",\"at\":0}");
	w = jw_into(&b);
	assert_false(ksd_control_json(&w, NULL, 0, NULL, 0));
	assert_string_equal(b.s, "{\"error\":\"truncated\",\"at\":0}");
	bb k = control_key(0, 4); /* a footer with an empty value */
	w = jw_into(&b);
	assert_false(ksd_control_json(&w, k.b, (int64_t)k.n, NULL, 0));
	assert_string_equal(b.s, "{\"type\":\"SNAPSHOT_FOOTER\",\"error\":\"truncated\",\"at\":0}");
	bb x = {.n = 0}; /* a group metadata value whose only member has empty bytes */
	ksd_group_metadata g;
	ksd_decode_err e;
	assert_false(ksd_group_metadata_parse(NULL, 0, &g, &e));
	ksd_offset_commit_value v;
	assert_false(ksd_offset_commit_value_parse(x.b, 0, &v, &e));
	assert_string_equal(e.what, "truncated");
}

/* --- real data --------------------------------------------------------------- */

#define REALDATA "../shared/realdata"
#define MAX_FILES 256

/* What MANIFEST.md says about one file, or what decoding it found. */
typedef struct file_counts {
	char path[1024];         /* relative to REALDATA */
	long records;
	long key_versions[20];   /* __consumer_offsets / __transaction_state */
	long nulls;
	long metadata[32][4];    /* [apiKey][version] */
	long control[8];         /* by control type id */
	bool matched;
} file_counts;

typedef struct realdata {
	file_counts expect[MAX_FILES];
	int nexpect;
	int files, decode_errors, mismatches, partition_errors;
	long records;
	ksd_decoder *dec;
} realdata;

/* MANIFEST's metadata record names (its "How the characterization was produced"). */
static int manifest_api_key(const char *name, size_t n)
{
	static const struct {
		const char *name;
		int key;
	} names[] = {
		{"RegisterBroker", 0}, {"Topic", 2}, {"Partition", 3}, {"Config", 4},
		{"PartitionChange", 5}, {"RemoveTopic", 9}, {"FeatureLevel", 12},
		{"ProducerIds", 15}, {"BrokerRegistrationChange", 17}, {"NoOp", 20},
		{"ZkMigrationState", 21}, {"BeginTransaction", 23}, {"EndTransaction", 24},
		{"RegisterController", 27},
	};
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (strlen(names[i].name) == n && memcmp(names[i].name, name, n) == 0)
			return names[i].key;
	return -1;
}

static int control_id(const char *name, size_t n)
{
	for (int t = 0; t <= 6; t++) {
		const char *s = ksd_control_type_name((ksd_control_type)t);
		if (strlen(s) == n && memcmp(s, name, n) == 0)
			return t;
	}
	return -1;
}

/* Parses "label={a:1, b:2}" inside s; calls add(name, count) for each pair. */
static void parse_map(const char *s, const char *label, file_counts *fc,
		      void (*add)(file_counts *, const char *, size_t, long))
{
	const char *p = strstr(s, label);
	if (!p)
		return;
	p += strlen(label);
	while (*p && *p != '}') {
		while (*p == ' ' || *p == ',')
			p++;
		const char *colon = strchr(p, ':');
		assert_non_null(colon);
		add(fc, p, (size_t)(colon - p), strtol(colon + 1, NULL, 10));
		p = colon + 1;
		while (*p && *p != ',' && *p != '}')
			p++;
	}
}

static void add_key_version(file_counts *fc, const char *s, size_t n, long c)
{
	(void)n;
	long v = strtol(s, NULL, 10);
	assert_true(v >= 0 && v < 20);
	fc->key_versions[v] += c;
}

static void add_metadata(file_counts *fc, const char *s, size_t n, long c)
{
	/* "PartitionChangev2" */
	assert_true(n >= 3 && s[n - 2] == 'v');
	int key = manifest_api_key(s, n - 2);
	assert_true(key >= 0);
	fc->metadata[key][s[n - 1] - '0'] += c;
}

static void add_control(file_counts *fc, const char *s, size_t n, long c)
{
	int t = control_id(s, n);
	assert_true(t >= 0);
	fc->control[t] += c;
}

static bool is_internal_path(const char *p)
{
	return strstr(p, "__consumer_offsets-") || strstr(p, "__transaction_state-") ||
	       strstr(p, "__cluster_metadata-0/") || strstr(p, "bootstrap.checkpoint");
}

/* One "| `path` | size | characterization |" row of a log dir's section. */
static void manifest_row(realdata *rd, const char *section, const char *line)
{
	const char *a = strchr(line, '`'), *b = a ? strchr(a + 1, '`') : NULL;
	if (!b || !strstr(line, "records=") || strchr(a, 0xc3 /* "×" rows */))
		return;
	char rel[400];
	snprintf(rel, sizeof rel, "%.*s", (int)(b - a - 1), a + 1);
	if (!is_internal_path(rel) || strchr(rel, ','))
		return;
	assert_true(rd->nexpect < MAX_FILES);
	file_counts *fc = &rd->expect[rd->nexpect++];
	memset(fc, 0, sizeof *fc);
	snprintf(fc->path, sizeof fc->path, "%s/%s", section, rel);
	const char *r = strstr(line, "records=");
	fc->records = strtol(r + 8, NULL, 10);
	const char *nv = strstr(line, "null values=");
	fc->nulls = nv ? strtol(nv + 12, NULL, 10) : 0;
	parse_map(line, "key versions={", fc, add_key_version);
	parse_map(line, "metadata records={", fc, add_metadata);
	parse_map(line, "control={", fc, add_control);
}

static bool read_manifest(realdata *rd)
{
	FILE *f = fopen(REALDATA "/MANIFEST.md", "r");
	if (!f)
		return false;
	char line[16384], section[256] = "";
	while (fgets(line, sizeof line, f)) {
		if (strncmp(line, "## ", 3) == 0) {
			snprintf(section, sizeof section, "%.255s", line + 3);
			section[strcspn(section, "\r\n")] = '\0';
		} else if (section[0] && strncmp(line, "| `", 3) == 0) {
			manifest_row(rd, section, line);
		}
	}
	fclose(f);
	return true;
}

static uint8_t *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	uint8_t *buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	*len = (size_t)n;
	return buf;
}

/* The partition number of ".../__consumer_offsets-12/…", or -1. */
static int dir_partition(const char *path, const char *topic)
{
	const char *p = strstr(path, topic);
	return p ? atoi(p + strlen(topic) + 1) : -1;
}

/* Every key lives in the partition its group or transactional id hashes to
 * (50 partitions: the default, and what every dir here was created with). */
static void check_partition(realdata *rd, const char *path, ksd_topic_decoder d,
			    const ksd_record *r)
{
	ksd_decode_err e;
	ksd_kstr id = {NULL, -1};
	ksd_offsets_key ok;
	ksd_txn_key tk;
	int part;
	if (d == CO) {
		if (!ksd_offsets_key_parse(r->key, (size_t)r->key_len, &ok, &e))
			return;
		id = ok.group;
		part = dir_partition(path, "__consumer_offsets");
	} else {
		if (!ksd_txn_key_parse(r->key, (size_t)r->key_len, &tk, &e))
			return;
		id = tk.transactional_id;
		part = dir_partition(path, "__transaction_state");
	}
	if (ksd_coordinator_partition((const char *)id.p, (size_t)id.len, 50) != part) {
		print_message("%s: id %.*s is not in partition %d\n", path, (int)id.len, id.p, part);
		rd->partition_errors++;
	}
}

/* Decodes one record every way there is: structured, then JSON. */
static bool decode_record(realdata *rd, const char *path, ksd_topic_decoder d, const ksd_batch *b,
			  const ksd_record *r, file_counts *got)
{
	ksd_jw w;
	ksd_decode_err e;
	ksd_jw_init_discard(&w);
	got->records++;
	if (ksd_batch_is_control(b)) {
		ksd_control c;
		if (!ksd_control_parse(r->key, r->key_len, r->value, r->value_len, &c, &e))
			return false;
		got->control[c.type_id & 7]++;
		return ksd_control_json(&w, r->key, r->key_len, r->value, r->value_len);
	}
	bool ok = ksd_decode_key_json(d, &w, r->key, r->key_len) &&
		  ksd_decode_value_json(d, &w, r->key, r->key_len, r->value, r->value_len);
	if (r->value_len < 0)
		got->nulls++;
	if (d == CM) {
		ksd_metadata_frame f;
		if (!ksd_metadata_frame_parse(r->value, (size_t)r->value_len, &f, &e))
			return false;
		got->metadata[f.api_key & 31][f.version & 3]++;
		return ok;
	}
	if (r->key_len >= 2)
		got->key_versions[((unsigned)r->key[0] << 8 | r->key[1]) % 20]++;
	check_partition(rd, path, d, r);
	if (ok && d == CO) { /* the structured parsers agree with the renderers */
		ksd_offsets_key k;
		ksd_offset_commit_value v;
		ksd_group_metadata g;
		ok = ksd_offsets_key_parse(r->key, (size_t)r->key_len, &k, &e);
		if (ok && r->value_len >= 0 && k.version <= 1)
			ok = ksd_offset_commit_value_parse(r->value, (size_t)r->value_len, &v, &e);
		else if (ok && r->value_len >= 0 && k.version == 2)
			ok = ksd_group_metadata_parse(r->value, (size_t)r->value_len, &g, &e);
	} else if (ok && d == TS && r->value_len >= 0) {
		ksd_txn_value v;
		ok = ksd_txn_value_parse(r->value, (size_t)r->value_len, &v, &e);
	}
	return ok;
}

static void decode_file(realdata *rd, const char *rel, ksd_topic_decoder d, file_counts *got)
{
	char full[1100];
	size_t n;
	snprintf(full, sizeof full, "%s/%s", REALDATA, rel);
	uint8_t *buf = slurp(full, &n);
	uint64_t pos = 0;
	while (pos < n) {
		ksd_batch b;
		ksd_record_iter it;
		ksd_record r;
		assert_int_equal(ksd_batch_parse(buf + pos, n - pos, n - pos, pos, &b), KSD_ENTRY_OK);
		assert_int_equal(ksd_records_begin(&it, &b, buf + pos, rd->dec), KSD_RECS_OK);
		while (ksd_records_next(&it, &r) == KSD_RECS_OK) {
			if (!decode_record(rd, rel, d, &b, &r, got)) {
				print_message("%s: record %" PRId64 " does not decode\n", rel, r.offset);
				rd->decode_errors++;
			}
		}
		pos += b.entry_len;
	}
	free(buf);
}

static void compare_counts(realdata *rd, const file_counts *got)
{
	file_counts *want = NULL;
	for (int i = 0; i < rd->nexpect; i++)
		if (strcmp(rd->expect[i].path, got->path) == 0)
			want = &rd->expect[i];
	if (!want) {
		print_message("%s: not in MANIFEST.md\n", got->path);
		rd->mismatches++;
		return;
	}
	want->matched = true;
	if (want->records != got->records || want->nulls != got->nulls ||
	    memcmp(want->key_versions, got->key_versions, sizeof want->key_versions) != 0 ||
	    memcmp(want->metadata, got->metadata, sizeof want->metadata) != 0 ||
	    memcmp(want->control, got->control, sizeof want->control) != 0) {
		print_message("%s: counts differ from MANIFEST.md\n", got->path);
		rd->mismatches++;
	}
}

static ksd_topic_decoder decoder_for_path(const char *rel)
{
	if (strstr(rel, "__consumer_offsets-"))
		return CO;
	if (strstr(rel, "__transaction_state-"))
		return TS;
	return CM;
}

static bool is_segment_like(const char *name)
{
	size_t n = strlen(name);
	return (n > 4 && strcmp(name + n - 4, ".log") == 0) ||
	       (n > 11 && strcmp(name + n - 11, ".checkpoint") == 0);
}

static void walk(realdata *rd, const char *rel) /* rel: < 700 bytes */
{
	char dir[1100];
	snprintf(dir, sizeof dir, "%s/%s", REALDATA, rel);
	DIR *d = opendir(dir);
	assert_non_null(d);
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		char sub[1024], full[1100];
		struct stat st;
		snprintf(sub, sizeof sub, "%.700s%s%.256s", rel, rel[0] ? "/" : "", e->d_name);
		snprintf(full, sizeof full, "%s/%s", REALDATA, sub);
		assert_int_equal(stat(full, &st), 0);
		if (S_ISDIR(st.st_mode)) {
			walk(rd, sub);
		} else if (st.st_size > 0 && is_segment_like(e->d_name) && is_internal_path(sub)) {
			file_counts got;
			memset(&got, 0, sizeof got);
			snprintf(got.path, sizeof got.path, "%s", sub);
			decode_file(rd, sub, decoder_for_path(sub), &got);
			compare_counts(rd, &got);
			rd->files++;
			rd->records += got.records;
		}
	}
	closedir(d);
}

static void test_realdata(void **state)
{
	(void)state;
	struct stat st;
	if (stat(REALDATA "/MANIFEST.md", &st) != 0) {
		print_message("skipped: " REALDATA " is absent (run from the repo root)\n");
		skip();
	}
	realdata *rd = calloc(1, sizeof *rd);
	assert_non_null(rd);
	assert_true(read_manifest(rd));
	assert_int_equal(ksd_decoder_new(&KSD_DECODER_DEFAULT_LIMITS, &rd->dec), KSD_OK);
	walk(rd, "");
	int unmatched = 0;
	for (int i = 0; i < rd->nexpect; i++)
		if (!rd->expect[i].matched) {
			print_message("%s: in MANIFEST.md but not decoded\n", rd->expect[i].path);
			unmatched++;
		}
	print_message("realdata: %d internal-topic files, %ld records, %d decode errors\n",
		      rd->files, rd->records, rd->decode_errors);
	ksd_decoder_free(rd->dec);
	int files = rd->files, errors = rd->decode_errors, mism = rd->mismatches,
	    perr = rd->partition_errors;
	free(rd);
	assert_int_equal(errors, 0);
	assert_int_equal(mism, 0);
	assert_int_equal(unmatched, 0);
	assert_int_equal(perr, 0);
	assert_true(files >= 98);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_coordinator_partition),
		cmocka_unit_test(test_primitives_classic),
		cmocka_unit_test(test_primitives_compact),
		cmocka_unit_test(test_primitives_tags),
		cmocka_unit_test(test_uuid_b64url),
		cmocka_unit_test(test_offsets_keys),
		cmocka_unit_test(test_offset_commit_values),
		cmocka_unit_test(test_group_metadata_structured),
		cmocka_unit_test(test_group_metadata_json),
		cmocka_unit_test(test_kip848_values),
		cmocka_unit_test(test_transaction_log),
		cmocka_unit_test(test_metadata_records),
		cmocka_unit_test(test_metadata_errors),
		cmocka_unit_test(test_control_markers),
		cmocka_unit_test(test_control_kraft),
		cmocka_unit_test(test_decoder_for_topic),
		cmocka_unit_test(test_empty_payloads),
		cmocka_unit_test(test_realdata),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
