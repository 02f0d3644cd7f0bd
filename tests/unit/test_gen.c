/*
 * Unit tests for the fixture writer (src/gen): exact bytes against vectors
 * produced by an independent encoder (Debian's python3-kafka 2.0.2), codec
 * framings decoded by the reference libraries, the index.interval.bytes
 * rule on a hand-computed sequence, the log-dir files, the damage helpers
 * and every scenario.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#define _XOPEN_SOURCE_EXTENDED 1
#include <ftw.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <lz4.h>
#include <lz4frame.h>
#include <snappy-c.h>
#include <zlib.h>
#include <zstd.h>

#include "gen/parts.h"
#include "gen/scenario.h"
#include "gen/writer.h"
#include "ksd/crc.h"

/* ---- helpers -------------------------------------------------------------- */

static int rm_entry(const char *path, const struct stat *st, int flag,
		    struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void rm_tree(const char *dir)
{
	nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static char *make_tmpdir(void)
{
	char *dir = strdup("/tmp/ksd-test-gen-XXXXXX");
	assert_non_null(dir);
	assert_non_null(mkdtemp(dir));
	return dir;
}

static void free_tmpdir(char *dir)
{
	rm_tree(dir);
	free(dir);
}

/* Reads a whole file into a fresh buffer. */
static uint8_t *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	uint8_t *p = malloc((size_t)n + 1);
	assert_non_null(p);
	assert_int_equal(fread(p, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	*len = (size_t)n;
	return p;
}

static char *slurp_text(const char *dir, const char *name)
{
	char path[4096];
	size_t len;
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	char *s = (char *)slurp(path, &len);
	s[len] = '\0';
	return s;
}

static int64_t be64_at(const uint8_t *p)
{
	return (int64_t)ksd_gen_load_be64(p);
}

static int32_t be32_at(const uint8_t *p)
{
	return (int32_t)ksd_gen_load_be32(p);
}

/* ---- vectors from python3-kafka ------------------------------------------
 *
 * Generated with Debian's python3-kafka 2.0.2 (/usr/bin/python3):
 *
 *   from kafka.record.default_records import DefaultRecordBatchBuilder
 *   b = DefaultRecordBatchBuilder(magic=2, compression_type=0,
 *           is_transactional=0, producer_id=-1, producer_epoch=-1,
 *           base_sequence=-1, batch_size=1<<20)
 *   b.append(0, 1700000000000, b"k1", b"hello", [])
 *   b.append(1, 1700000000005, None, b"world", [("h1", b"v1"), ("h2", None)])
 *   b.append(2, 1700000000003, b"", b"", [])
 *   b.append(3, 1700000000004, b"k3", None, [])
 *   bytes(b.build())
 */
static const uint8_t py_v2_batch[113] = {
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x65,
	0x00, 0x00, 0x00, 0x00, 0x02, 0xc9, 0xc1, 0x43, 0x83, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x03, 0x00, 0x00, 0x01, 0x8b, 0xcf, 0xe5, 0x68, 0x00, 0x00,
	0x00, 0x01, 0x8b, 0xcf, 0xe5, 0x68, 0x05, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00,
	0x04, 0x1a, 0x00, 0x00, 0x00, 0x04, 0x6b, 0x31, 0x0a, 0x68, 0x65, 0x6c,
	0x6c, 0x6f, 0x00, 0x2a, 0x00, 0x0a, 0x02, 0x01, 0x0a, 0x77, 0x6f, 0x72,
	0x6c, 0x64, 0x04, 0x04, 0x68, 0x31, 0x04, 0x76, 0x31, 0x04, 0x68, 0x32,
	0x01, 0x0c, 0x00, 0x06, 0x04, 0x00, 0x00, 0x00, 0x10, 0x00, 0x08, 0x06,
	0x04, 0x6b, 0x33, 0x01, 0x00,
};

/* Same builder with is_transactional=1, producer_id=1234, producer_epoch=5,
 * base_sequence=10:
 *   b.append(0, 1700000001000, b"tx", b"payload", [])
 *   b.append(1, 1700000001000, b"tx", b"payload2", [])
 */
static const uint8_t py_v2_txn_batch[94] = {
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x52,
	0x00, 0x00, 0x00, 0x00, 0x02, 0xea, 0x79, 0x9c, 0x1c, 0x00, 0x10, 0x00,
	0x00, 0x00, 0x01, 0x00, 0x00, 0x01, 0x8b, 0xcf, 0xe5, 0x6b, 0xe8, 0x00,
	0x00, 0x01, 0x8b, 0xcf, 0xe5, 0x6b, 0xe8, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x04, 0xd2, 0x00, 0x05, 0x00, 0x00, 0x00, 0x0a, 0x00, 0x00, 0x00,
	0x02, 0x1e, 0x00, 0x00, 0x00, 0x04, 0x74, 0x78, 0x0e, 0x70, 0x61, 0x79,
	0x6c, 0x6f, 0x61, 0x64, 0x00, 0x20, 0x00, 0x00, 0x02, 0x04, 0x74, 0x78,
	0x10, 0x70, 0x61, 0x79, 0x6c, 0x6f, 0x61, 0x64, 0x32, 0x00,
};

/*
 *   from kafka.record.legacy_records import LegacyRecordBatchBuilder
 *   l = LegacyRecordBatchBuilder(magic=M, compression_type=0,
 *                                batch_size=1<<20)
 *   l.append(0, 1700000000000, b"key", b"value")
 *   l.append(1, 1700000000001, None, b"v2")
 *   l.append(2, 1700000000002, b"k", None)
 *   bytes(l.build())           # M = 1, then M = 0
 */
static const uint8_t py_v1_messages[113] = {
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x1e,
	0x6a, 0xd0, 0x5d, 0xb8, 0x01, 0x00, 0x00, 0x00, 0x01, 0x8b, 0xcf, 0xe5,
	0x68, 0x00, 0x00, 0x00, 0x00, 0x03, 0x6b, 0x65, 0x79, 0x00, 0x00, 0x00,
	0x05, 0x76, 0x61, 0x6c, 0x75, 0x65, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x01, 0x00, 0x00, 0x00, 0x18, 0x32, 0xd2, 0x8e, 0x81, 0x01, 0x00,
	0x00, 0x00, 0x01, 0x8b, 0xcf, 0xe5, 0x68, 0x01, 0xff, 0xff, 0xff, 0xff,
	0x00, 0x00, 0x00, 0x02, 0x76, 0x32, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x02, 0x00, 0x00, 0x00, 0x17, 0x87, 0x1c, 0x41, 0xfb, 0x01, 0x00,
	0x00, 0x00, 0x01, 0x8b, 0xcf, 0xe5, 0x68, 0x02, 0x00, 0x00, 0x00, 0x01,
	0x6b, 0xff, 0xff, 0xff, 0xff,
};

static const uint8_t py_v0_messages[89] = {
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x16,
	0x23, 0x56, 0xc1, 0x37, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03, 0x6b, 0x65,
	0x79, 0x00, 0x00, 0x00, 0x05, 0x76, 0x61, 0x6c, 0x75, 0x65, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x10, 0xd5, 0x96,
	0x0a, 0x78, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x02,
	0x76, 0x32, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00,
	0x00, 0x0f, 0x90, 0x82, 0x04, 0xf6, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,
	0x6b, 0xff, 0xff, 0xff, 0xff,
};

#define TS0 INT64_C(1700000000000)

/* ---- primitives ------------------------------------------------------------ */

static void test_varints(void **state)
{
	(void)state;
	static const struct {
		int64_t v;
		uint8_t bytes[3];
		size_t n;
	} cases[] = {
		{ 0, { 0x00 }, 1 },	   { -1, { 0x01 }, 1 },
		{ 1, { 0x02 }, 1 },	   { 63, { 0x7e }, 1 },
		{ -64, { 0x7f }, 1 },	   { 64, { 0x80, 0x01 }, 2 },
		{ 300, { 0xd8, 0x04 }, 2 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ksd_gen_buf b;
		ksd_gen_buf_init(&b);
		ksd_gen_buf_put_varint(&b, cases[i].v);
		assert_int_equal(b.len, cases[i].n);
		assert_int_equal(ksd_gen_varint_size(cases[i].v), cases[i].n);
		assert_memory_equal(b.data, cases[i].bytes, cases[i].n);
		ksd_gen_buf_free(&b);
	}
	assert_int_equal(ksd_gen_varint_size(INT64_MIN), 10);
}

static void test_xxh32_vectors(void **state)
{
	(void)state;
	/* Reference values from the xxHash project / python-xxhash docs. */
	assert_int_equal(ksd_gen_xxh32("", 0, 0), 0x02CC5D05u);
	assert_int_equal(ksd_gen_xxh32("abc", 3, 0), 0x32D153FFu);
	const char *s = "Nobody inspects the spammish repetition";
	assert_int_equal(ksd_gen_xxh32(s, strlen(s), 0), 0xE2293B2Fu);
}

/* ---- v2 batches ----------------------------------------------------------- */

static void build_py_v2_example(ksd_gen_buf *out, ksd_gen_batch_info *info)
{
	static const ksd_gen_header hdrs[] = { { "h1", "v1", 2 },
					       { "h2", NULL, KSD_GEN_NULL } };
	const ksd_gen_record recs[] = {
		{ .timestamp_delta = 0, .key = "k1", .key_len = 2,
		  .value = "hello", .value_len = 5 },
		{ .timestamp_delta = 5, .key_len = KSD_GEN_NULL,
		  .value = "world", .value_len = 5, .headers = hdrs,
		  .header_count = 2 },
		{ .timestamp_delta = 3, .key = "", .key_len = 0, .value = "",
		  .value_len = 0 },
		{ .timestamp_delta = 4, .key = "k3", .key_len = 2,
		  .value_len = KSD_GEN_NULL },
	};
	ksd_gen_batch_spec s;
	ksd_gen_batch_spec_init(&s);
	s.base_timestamp = TS0;
	s.records = recs;
	s.record_count = 4;
	assert_int_equal(ksd_gen_encode_v2(NULL, out, &s, info), KSD_OK);
}

static void test_v2_matches_python(void **state)
{
	(void)state;
	ksd_gen_buf b;
	ksd_gen_batch_info info;
	ksd_gen_buf_init(&b);
	build_py_v2_example(&b, &info);
	assert_int_equal(b.len, sizeof(py_v2_batch));
	assert_memory_equal(b.data, py_v2_batch, sizeof(py_v2_batch));
	/* the CRC-32C at 17 covers [21, end) */
	assert_int_equal(ksd_gen_load_be32(b.data + 17),
			 ksd_crc32c(0, b.data + 21, b.len - 21));
	assert_int_equal(info.base_offset, 0);
	assert_int_equal(info.last_offset, 3);
	assert_int_equal(info.max_timestamp, TS0 + 5);
	assert_int_equal(info.size, 113);
	assert_int_equal(info.record_count, 4);
	ksd_gen_buf_free(&b);
}

static void test_v2_txn_matches_python(void **state)
{
	(void)state;
	const ksd_gen_record recs[] = {
		{ .key = "tx", .key_len = 2, .value = "payload",
		  .value_len = 7 },
		{ .key = "tx", .key_len = 2, .value = "payload2",
		  .value_len = 8 },
	};
	ksd_gen_batch_spec s;
	ksd_gen_batch_spec_init(&s);
	s.base_timestamp = TS0 + 1000;
	s.transactional = true;
	s.producer_id = 1234;
	s.producer_epoch = 5;
	s.base_sequence = 10;
	s.records = recs;
	s.record_count = 2;
	ksd_gen_buf b;
	ksd_gen_buf_init(&b);
	assert_int_equal(ksd_gen_encode_v2(NULL, &b, &s, NULL), KSD_OK);
	assert_int_equal(b.len, sizeof(py_v2_txn_batch));
	assert_memory_equal(b.data, py_v2_txn_batch, sizeof(py_v2_txn_batch));
	ksd_gen_buf_free(&b);
}

/* Header fields outside python's reach: epoch, offsets, attributes. */
static void test_v2_header_fields(void **state)
{
	(void)state;
	const ksd_gen_record recs[] = {
		{ .offset_delta = 2, .key_len = KSD_GEN_NULL, .value = "a",
		  .value_len = 1 },
		{ .offset_delta = 5, .key_len = KSD_GEN_NULL, .value = "b",
		  .value_len = 1 },
	};
	ksd_gen_batch_spec s;
	ksd_gen_batch_spec_init(&s);
	s.base_offset = 1000;
	s.partition_leader_epoch = 7;
	s.log_append_time = true;
	s.delete_horizon = true;
	s.base_timestamp = 42;
	s.set_max_timestamp = true;
	s.max_timestamp = 99;
	s.explicit_offset_deltas = true;
	s.set_last_offset_delta = true;
	s.last_offset_delta = 9; /* compacted: trailing hole */
	s.records = recs;
	s.record_count = 2;
	ksd_gen_buf b;
	ksd_gen_batch_info info;
	ksd_gen_buf_init(&b);
	assert_int_equal(ksd_gen_encode_v2(NULL, &b, &s, &info), KSD_OK);
	assert_int_equal(be64_at(b.data), 1000);
	assert_int_equal(be32_at(b.data + 8), (int32_t)b.len - 12);
	assert_int_equal(be32_at(b.data + 12), 7);
	assert_int_equal(b.data[16], 2);
	assert_int_equal(ksd_gen_load_be32(b.data + 21) >> 16, 0x48);
	assert_int_equal(be32_at(b.data + 23), 9);
	assert_int_equal(be64_at(b.data + 27), 42);
	assert_int_equal(be64_at(b.data + 35), 99);
	assert_int_equal(be32_at(b.data + 57), 2);
	assert_int_equal(info.last_offset, 1009);
	/* first record: length, attr, tsDelta 0, offsetDelta 2 -> zigzag 4 */
	assert_int_equal(b.data[61 + 3], 0x04);
	/* the leader epoch is outside the CRC: changing it keeps it valid */
	uint32_t crc = ksd_crc32c(0, b.data + 21, b.len - 21);
	b.data[15] ^= 0xff;
	assert_int_equal(ksd_gen_load_be32(b.data + 17), crc);
	ksd_gen_buf_free(&b);
}

static void test_v2_empty_batch(void **state)
{
	(void)state;
	ksd_gen_batch_spec s;
	ksd_gen_batch_spec_init(&s);
	s.base_offset = 50;
	ksd_gen_buf b;
	ksd_gen_buf_init(&b);
	/* an empty batch needs an explicit lastOffsetDelta */
	assert_int_equal(ksd_gen_encode_v2(NULL, &b, &s, NULL), KSD_ERR_INVAL);
	assert_int_equal(b.len, 0);
	s.set_last_offset_delta = true;
	s.last_offset_delta = 4;
	s.base_timestamp = -1;
	assert_int_equal(ksd_gen_encode_v2(NULL, &b, &s, NULL), KSD_OK);
	assert_int_equal(b.len, 61);
	assert_int_equal(be32_at(b.data + 8), 49); /* minimum batch length */
	assert_int_equal(be32_at(b.data + 23), 4);
	assert_int_equal(be32_at(b.data + 57), 0);
	ksd_gen_buf_free(&b);
}

static void test_txn_marker_layout(void **state)
{
	(void)state;
	ksd_gen_buf b;
	ksd_gen_batch_info info;
	ksd_gen_buf_init(&b);
	assert_int_equal(ksd_gen_encode_txn_marker(&b, 77, 1234, 5,
						   KSD_GEN_CONTROL_ABORT, 9,
						   TS0, 3, &info),
			 KSD_OK);
	assert_int_equal(ksd_gen_load_be32(b.data + 21) >> 16, 0x30);
	assert_int_equal(be64_at(b.data + 43), 1234);
	assert_int_equal(be32_at(b.data + 53), -1); /* markers: no sequence */
	/* record: len 16 (zz 32), attr, tsDelta, offDelta, keyLen 4 (zz 8),
	 * key 0/ABORT, valueLen 6 (zz 12), value 0/epoch 9, headers 0 */
	static const uint8_t rec[] = { 0x20, 0x00, 0x00, 0x00, 0x08,
				       0x00, 0x00, 0x00, 0x00, 0x0c,
				       0x00, 0x00, 0x00, 0x00, 0x00,
				       0x09, 0x00 };
	assert_int_equal(b.len, 61 + sizeof(rec));
	assert_memory_equal(b.data + 61, rec, sizeof(rec));
	assert_int_equal(info.base_offset, 77);
	assert_int_equal(info.last_offset, 77);
	ksd_gen_buf_free(&b);
}

/* The fixed "orders" batch behind the damage scenarios' positions. */
static void test_orders_batch_size(void **state)
{
	(void)state;
	gen_batch_arena *a = malloc(sizeof(*a));
	assert_non_null(a);
	gen_fixed_records(a, 150, GEN_ORDERS_RECORDS);
	ksd_gen_batch_spec s;
	ksd_gen_batch_spec_init(&s);
	s.base_offset = 150;
	s.records = a->recs;
	s.record_count = GEN_ORDERS_RECORDS;
	ksd_gen_buf b;
	ksd_gen_buf_init(&b);
	assert_int_equal(ksd_gen_encode_v2(NULL, &b, &s, NULL), KSD_OK);
	assert_int_equal(b.len, GEN_ORDERS_BATCH_BYTES);
	/* byte size-2 is the last value byte (header count 0 follows) */
	assert_int_equal(b.data[b.len - 1], 0x00);
	assert_int_equal(b.data[b.len - 2], 'u'); /* 73rd letter */
	ksd_gen_buf_free(&b);
	free(a);
}

/* ---- v0/v1 messages -------------------------------------------------------- */

static void encode_py_legacy_example(int magic, ksd_gen_buf *b)
{
	const ksd_gen_message m[] = {
		{ 0, TS0, "key", 3, "value", 5 },
		{ 1, TS0 + 1, NULL, KSD_GEN_NULL, "v2", 2 },
		{ 2, TS0 + 2, "k", 1, NULL, KSD_GEN_NULL },
	};
	for (int i = 0; i < 3; i++)
		assert_int_equal(ksd_gen_encode_legacy(b, magic, &m[i], 0, NULL),
				 KSD_OK);
}

static void test_v1_matches_python(void **state)
{
	(void)state;
	ksd_gen_buf b;
	ksd_gen_buf_init(&b);
	encode_py_legacy_example(1, &b);
	assert_int_equal(b.len, sizeof(py_v1_messages));
	assert_memory_equal(b.data, py_v1_messages, sizeof(py_v1_messages));
	ksd_gen_buf_free(&b);
}

static void test_v0_matches_python(void **state)
{
	(void)state;
	ksd_gen_buf b;
	ksd_gen_buf_init(&b);
	encode_py_legacy_example(0, &b);
	assert_int_equal(b.len, sizeof(py_v0_messages));
	assert_memory_equal(b.data, py_v0_messages, sizeof(py_v0_messages));
	/* CRC-32 over [16, end) of the first message */
	assert_int_equal(ksd_gen_load_be32(b.data + 12),
			 ksd_crc32(0, b.data + 16, 12 + 22 - 16));
	ksd_gen_buf_free(&b);
}

/* Inflates a gzip member into out (cap bytes); returns the length. */
static size_t gunzip(const uint8_t *in, size_t n, uint8_t *out, size_t cap)
{
	z_stream z;
	memset(&z, 0, sizeof(z));
	assert_int_equal(inflateInit2(&z, 15 + 16), Z_OK);
	z.next_in = (Bytef *)in;
	z.avail_in = (uInt)n;
	z.next_out = out;
	z.avail_out = (uInt)cap;
	assert_int_equal(inflate(&z, Z_FINISH), Z_STREAM_END);
	size_t len = cap - z.avail_out;
	inflateEnd(&z);
	return len;
}

static void check_wrapper_inner(int magic, const int64_t *expect_offsets)
{
	const ksd_gen_message m[] = {
		{ 100, TS0, "a", 1, "one", 3 },
		{ 103, TS0 + 7, "b", 1, "two", 3 },
		{ 104, TS0 + 2, NULL, KSD_GEN_NULL, "three", 5 },
	};
	ksd_gen_wrapper_spec w = { .magic = magic, .codec = KSD_CODEC_GZIP,
				   .messages = m, .count = 3 };
	ksd_gen_buf b;
	ksd_gen_batch_info info;
	ksd_gen_buf_init(&b);
	assert_int_equal(ksd_gen_encode_wrapper(NULL, &b, &w, &info), KSD_OK);
	size_t key_at = magic ? 26 : 18;
	assert_int_equal(be64_at(b.data), 104); /* last inner offset */
	assert_int_equal(b.data[17], 1);        /* gzip */
	assert_int_equal(be32_at(b.data + key_at), -1);
	assert_int_equal(ksd_gen_load_be32(b.data + 12),
			 ksd_crc32(0, b.data + 16, b.len - 16));
	if (magic)
		assert_int_equal(be64_at(b.data + 18), TS0 + 7); /* max */
	int32_t vlen = be32_at(b.data + key_at + 4);
	assert_int_equal((size_t)vlen, b.len - key_at - 8);
	uint8_t inner[1024];
	size_t n = gunzip(b.data + key_at + 8, (size_t)vlen, inner,
			  sizeof(inner));
	size_t pos = 0;
	for (int i = 0; i < 3; i++) {
		assert_true(pos + 12 <= n);
		assert_int_equal(be64_at(inner + pos), expect_offsets[i]);
		assert_int_equal(inner[pos + 16], magic);
		assert_int_equal(inner[pos + 17], 0); /* inner uncompressed */
		pos += 12 + (size_t)be32_at(inner + pos + 8);
	}
	assert_int_equal(pos, n);
	assert_int_equal(info.base_offset, 100);
	assert_int_equal(info.last_offset, 104);
	ksd_gen_buf_free(&b);
}

static void test_wrapper_offsets(void **state)
{
	(void)state;
	/* v0: absolute inner offsets; v1 (KIP-31): relative to the first */
	static const int64_t v0[] = { 100, 103, 104 }, v1[] = { 0, 3, 4 };
	check_wrapper_inner(0, v0);
	check_wrapper_inner(1, v1);
}

static void test_wrapper_rejects_zstd(void **state)
{
	(void)state;
	const ksd_gen_message m = { 0, TS0, "a", 1, "b", 1 };
	ksd_gen_wrapper_spec w = { .magic = 1, .codec = KSD_CODEC_ZSTD,
				   .messages = &m, .count = 1 };
	ksd_gen_buf b;
	ksd_gen_buf_init(&b);
	assert_int_equal(ksd_gen_encode_wrapper(NULL, &b, &w, NULL),
			 KSD_ERR_INVAL); /* KIP-110: zstd needs magic 2 */
	ksd_gen_buf_free(&b);
}

/* ---- codec framings --------------------------------------------------------- */

static uint8_t *sample_text(size_t n)
{
	uint8_t *p = malloc(n);
	assert_non_null(p);
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)("lorem ipsum dolor sit amet "[i % 27] +
				 (i % 1000 == 0));
	return p;
}

static void test_gzip_framing(void **state)
{
	(void)state;
	size_t n = 100000;
	uint8_t *in = sample_text(n), *out = malloc(n);
	ksd_gen_buf b;
	ksd_gen_buf_init(&b);
	assert_int_equal(ksd_gen_compress(NULL, KSD_CODEC_GZIP, in, n, &b,
					  KSD_GEN_LZ4_HC_STANDARD),
			 KSD_OK);
	assert_int_equal(b.data[0], 0x1f);
	assert_int_equal(b.data[1], 0x8b);
	assert_int_equal(b.data[9], 0xff); /* OS byte as JDK >= 16 writes */
	assert_int_equal(gunzip(b.data, b.len, out, n), n);
	assert_memory_equal(out, in, n);
	ksd_gen_buf_free(&b);
	free(in);
	free(out);
}

static void test_snappy_xerial_framing(void **state)
{
	(void)state;
	static const uint8_t hdr[16] = { 0x82, 'S', 'N', 'A', 'P', 'P', 'Y', 0,
					 0, 0, 0, 1, 0, 0, 0, 1 };
	size_t n = 70000; /* 32 KiB + 32 KiB + 4464 */
	uint8_t *in = sample_text(n), *out = malloc(n);
	ksd_gen_buf b;
	ksd_gen_buf_init(&b);
	assert_int_equal(ksd_gen_compress(NULL, KSD_CODEC_SNAPPY, in, n, &b,
					  KSD_GEN_LZ4_HC_STANDARD),
			 KSD_OK);
	assert_memory_equal(b.data, hdr, 16);
	size_t pos = 16, got = 0;
	int chunks = 0;
	while (pos < b.len) {
		size_t clen = ksd_gen_load_be32(b.data + pos), ulen = 0;
		pos += 4;
		assert_int_equal(snappy_uncompressed_length(
					 (const char *)b.data + pos, clen, &ulen),
				 SNAPPY_OK);
		assert_true(ulen <= 32768);
		assert_int_equal(snappy_uncompress((const char *)b.data + pos,
						   clen, (char *)out + got,
						   &ulen),
				 SNAPPY_OK);
		got += ulen;
		pos += clen;
		chunks++;
	}
	assert_int_equal(chunks, 3);
	assert_int_equal(got, n);
	assert_memory_equal(out, in, n);
	ksd_gen_buf_free(&b);
	free(in);
	free(out);
}

/* liblz4's own frame decoder checks the standard header checksum. */
static size_t lz4f_decode(const uint8_t *in, size_t n, uint8_t *out,
			  size_t cap, bool *ok)
{
	LZ4F_dctx *d;
	assert_false(LZ4F_isError(LZ4F_createDecompressionContext(
		&d, LZ4F_VERSION)));
	size_t dst = cap, src = n;
	size_t rc = LZ4F_decompress(d, out, &dst, in, &src, NULL);
	*ok = !LZ4F_isError(rc) && rc == 0 && src == n;
	LZ4F_freeDecompressionContext(d);
	return dst;
}

static void test_lz4_kafka_frame(void **state)
{
	(void)state;
	size_t n = 150000; /* 64 KiB + 64 KiB + rest */
	uint8_t *in = sample_text(n), *out = malloc(n);
	ksd_gen_buf b;
	bool ok;
	ksd_gen_buf_init(&b);
	assert_int_equal(ksd_gen_compress(NULL, KSD_CODEC_LZ4, in, n, &b,
					  KSD_GEN_LZ4_HC_STANDARD),
			 KSD_OK);
	/* magic, FLG 0x60, BD 0x40, HC 0x82 = (XXH32(60 40) >> 8) & 0xff */
	static const uint8_t hdr[7] = { 0x04, 0x22, 0x4d, 0x18,
					0x60, 0x40, 0x82 };
	assert_memory_equal(b.data, hdr, 7);
	assert_int_equal(ksd_gen_load_be32(b.data + b.len - 4), 0); /* end */
	assert_int_equal(lz4f_decode(b.data, b.len, out, n, &ok), n);
	assert_true(ok);
	assert_memory_equal(out, in, n);
	/* KAFKA-3160: the legacy HC hashes magic+FLG+BD; liblz4 refuses it */
	ksd_gen_buf_clear(&b);
	assert_int_equal(ksd_gen_compress(NULL, KSD_CODEC_LZ4, in, n, &b,
					  KSD_GEN_LZ4_HC_LEGACY),
			 KSD_OK);
	assert_int_equal(b.data[6],
			 (ksd_gen_xxh32(hdr, 6, 0) >> 8) & 0xff);
	assert_int_not_equal(b.data[6], 0x82);
	lz4f_decode(b.data, b.len, out, n, &ok);
	assert_false(ok);
	ksd_gen_buf_free(&b);
	free(in);
	free(out);
}

static void test_lz4_stored_block(void **state)
{
	(void)state;
	uint8_t in[256];
	for (size_t i = 0; i < sizeof(in); i++)
		in[i] = (uint8_t)(i * 197 + 13); /* incompressible */
	ksd_gen_buf b;
	ksd_gen_buf_init(&b);
	assert_int_equal(ksd_gen_compress(NULL, KSD_CODEC_LZ4, in, sizeof(in),
					  &b, KSD_GEN_LZ4_HC_STANDARD),
			 KSD_OK);
	/* LE size with the high "uncompressed" bit, raw bytes, end mark */
	assert_int_equal(b.len, 7 + 4 + sizeof(in) + 4);
	static const uint8_t size_le[4] = { 0x00, 0x01, 0x00, 0x80 };
	assert_memory_equal(b.data + 7, size_le, 4);
	assert_memory_equal(b.data + 11, in, sizeof(in));
	ksd_gen_buf_free(&b);
}

static void test_zstd_frame(void **state)
{
	(void)state;
	size_t n = 50000;
	uint8_t *in = sample_text(n), *out = malloc(n);
	ksd_gen_buf b;
	ksd_gen_buf_init(&b);
	assert_int_equal(ksd_gen_compress(NULL, KSD_CODEC_ZSTD, in, n, &b,
					  KSD_GEN_LZ4_HC_STANDARD),
			 KSD_OK);
	/* zstd-jni streaming: no content size in the frame header */
	assert_true(ZSTD_getFrameContentSize(b.data, b.len) ==
		    ZSTD_CONTENTSIZE_UNKNOWN);
	size_t got = ZSTD_decompress(out, n, b.data, b.len);
	assert_false(ZSTD_isError(got));
	assert_int_equal(got, n);
	assert_memory_equal(out, in, n);
	ksd_gen_buf_free(&b);
	free(in);
	free(out);
}

/* A compressed v2 batch: header as for none, payload = codec(records). */
static void test_v2_compressed_payload(void **state)
{
	(void)state;
	ksd_gen_buf plain, comp;
	ksd_gen_buf_init(&plain);
	ksd_gen_buf_init(&comp);
	build_py_v2_example(&plain, NULL);
	const ksd_gen_record recs[] = {
		{ .timestamp_delta = 0, .key = "k1", .key_len = 2,
		  .value = "hello", .value_len = 5 },
	};
	ksd_gen_batch_spec s;
	ksd_gen_batch_spec_init(&s);
	s.base_timestamp = TS0;
	s.codec = KSD_CODEC_GZIP;
	s.records = recs;
	s.record_count = 1;
	assert_int_equal(ksd_gen_encode_v2(NULL, &comp, &s, NULL), KSD_OK);
	assert_int_equal(ksd_gen_load_be32(comp.data + 21) >> 16, 1);
	uint8_t out[256];
	size_t n = gunzip(comp.data + 61, comp.len - 61, out, sizeof(out));
	/* the first record of the python vector is the same record */
	assert_int_equal(n, 14); /* length varint + 13 bytes */
	assert_memory_equal(out, py_v2_batch + 61, n);
	assert_int_equal(ksd_gen_load_be32(comp.data + 17),
			 ksd_crc32c(0, comp.data + 21, comp.len - 21));
	ksd_gen_buf_free(&plain);
	ksd_gen_buf_free(&comp);
}

/* ---- segment builder: the index.interval.bytes rule ------------------------
 *
 * Eleven fake batches (batch i holds offsets 10i..10i+9) with these sizes
 * and max timestamps, interval 4096:
 *
 *   i   size  pos    since-before  entry?           ts
 *   0   1000      0     0           no              1000
 *   1   1000   1000  1000           no              1001
 *   2   1000   2000  2000           no              1002
 *   3   1000   3000  3000           no              1003
 *   4     96   4000  4000           no              1004
 *   5    500   4096  4096           no (not >)      1005
 *   6   5000   4596  4596           yes (69, 4596)  1006  time (1006, 69)
 *   7     10   9596  5000           yes (79, 9596)   900  time: no growth
 *   8   4087   9606    10           no              1008
 *   9      1  13693  4097           yes (99, 13693) 1008  time (1008, 89)
 *  10      5  13694     1           no              1010
 * close: final time entry (1010, 109).
 */
static const uint32_t seq_sizes[11] = { 1000, 1000, 1000, 1000, 96, 500,
					5000, 10, 4087, 1, 5 };
static const int64_t seq_ts[11] = { 1000, 1001, 1002, 1003, 1004, 1005,
				    1006, 900, 1008, 1008, 1010 };

static void append_sequence(ksd_gen_segment *seg)
{
	static uint8_t junk[5000];
	for (int i = 0; i < 11; i++) {
		ksd_gen_batch_info info = { .base_offset = 10 * i,
					    .last_offset = 10 * i + 9,
					    .max_timestamp = seq_ts[i],
					    .offset_of_max_timestamp =
						    10 * i + 9,
					    .size = seq_sizes[i],
					    .magic = 2 };
		assert_int_equal(ksd_gen_segment_append(seg, junk,
							seq_sizes[i], &info),
				 KSD_OK);
	}
}

static void assert_entry8(const ksd_gen_buf *b, size_t i, int32_t rel,
			  int32_t pos)
{
	assert_int_equal(be32_at(b->data + 8 * i), rel);
	assert_int_equal(be32_at(b->data + 8 * i + 4), pos);
}

static void assert_entry12(const ksd_gen_buf *b, size_t i, int64_t ts,
			   int32_t rel)
{
	assert_int_equal(be64_at(b->data + 12 * i), ts);
	assert_int_equal(be32_at(b->data + 12 * i + 8), rel);
}

static void test_index_interval_rule(void **state)
{
	(void)state;
	ksd_gen_segment seg;
	assert_int_equal(ksd_gen_segment_open(&seg, NULL, 0, NULL), KSD_OK);
	append_sequence(&seg);
	assert_int_equal(ksd_gen_segment_close(&seg), KSD_OK);
	assert_int_equal(seg.log.len, 13699);
	assert_int_equal(seg.index.len, 3 * 8);
	assert_entry8(&seg.index, 0, 69, 4596);
	assert_entry8(&seg.index, 1, 79, 9596);
	assert_entry8(&seg.index, 2, 99, 13693);
	assert_int_equal(seg.timeindex.len, 3 * 12);
	assert_entry12(&seg.timeindex, 0, 1006, 69);
	assert_entry12(&seg.timeindex, 1, 1008, 89);
	assert_entry12(&seg.timeindex, 2, 1010, 109);
	ksd_gen_segment_free(&seg);
}

static void test_index_first_offset_and_base(void **state)
{
	(void)state;
	/* <= 1.1 keyed entries by the first offset (KAFKA-6530 changed it);
	 * with base 5 every relative offset shifts by 5. */
	ksd_gen_segment_opts o = { .index_first_offset = true };
	ksd_gen_segment seg;
	assert_int_equal(ksd_gen_segment_open(&seg, NULL, 5, &o), KSD_OK);
	append_sequence(&seg);
	assert_int_equal(ksd_gen_segment_close(&seg), KSD_OK);
	assert_int_equal(seg.index.len, 3 * 8);
	assert_entry8(&seg.index, 0, 55, 4596);
	assert_entry8(&seg.index, 1, 65, 9596);
	assert_entry8(&seg.index, 2, 85, 13693);
	assert_entry12(&seg.timeindex, 0, 1006, 64);
	ksd_gen_segment_free(&seg);
}

static void test_index_preallocated(void **state)
{
	(void)state;
	ksd_gen_segment_opts o = { .preallocate = true };
	ksd_gen_segment seg;
	assert_int_equal(ksd_gen_segment_open(&seg, NULL, 0, &o), KSD_OK);
	append_sequence(&seg);
	assert_int_equal(ksd_gen_segment_close(&seg), KSD_OK);
	/* full size rounded down to whole entries, zero tail */
	assert_int_equal(seg.index.len, 10485760);
	assert_int_equal(seg.timeindex.len, 10485756);
	assert_entry8(&seg.index, 2, 99, 13693);
	assert_entry8(&seg.index, 3, 0, 0);
	/* never closed: no final time entry */
	assert_entry12(&seg.timeindex, 1, 1008, 89);
	assert_entry12(&seg.timeindex, 2, 0, 0);
	ksd_gen_segment_free(&seg);
}

static off_t file_size(const char *dir, int64_t base, const char *suffix)
{
	char path[4096];
	struct stat st;
	assert_int_equal(ksd_gen_segment_path(path, sizeof(path), dir, base,
					      suffix),
			 KSD_OK);
	assert_int_equal(stat(path, &st), 0);
	return st.st_size;
}

/* On disk: <20-digit base>.log/.index/.timeindex; trimmed after close,
 * full size (sparse) when preallocated. */
static void write_segment(const char *dir, int64_t base, bool prealloc)
{
	ksd_gen_segment seg;
	ksd_gen_segment_opts o = { .preallocate = prealloc };
	gen_batch_arena *a = malloc(sizeof(*a));
	assert_non_null(a);
	assert_int_equal(ksd_gen_segment_open(&seg, dir, base, &o), KSD_OK);
	for (int i = 0; i < 20; i++) {
		gen_fixed_records(a, base + 10 * i, GEN_ORDERS_RECORDS);
		ksd_gen_batch_spec s;
		ksd_gen_batch_spec_init(&s);
		s.base_offset = base + 10 * i;
		s.base_timestamp = TS0 + i;
		s.records = a->recs;
		s.record_count = GEN_ORDERS_RECORDS;
		assert_int_equal(ksd_gen_segment_append_v2(&seg, NULL, &s, NULL),
				 KSD_OK);
	}
	assert_int_equal(ksd_gen_segment_close(&seg), KSD_OK);
	ksd_gen_segment_free(&seg);
	free(a);
}

static void test_segment_files(void **state)
{
	(void)state;
	char *dir = make_tmpdir();
	write_segment(dir, 1232493227, false);
	assert_int_equal(file_size(dir, 1232493227, ".log"),
			 20 * GEN_ORDERS_BATCH_BYTES);
	/* entries before batches 4, 8, 12, 16 (4 x 1151 > 4096) */
	assert_int_equal(file_size(dir, 1232493227, ".index"), 4 * 8);
	/* those 4 plus the final entry of close */
	assert_int_equal(file_size(dir, 1232493227, ".timeindex"), 5 * 12);
	write_segment(dir, 0, true);
	assert_int_equal(file_size(dir, 0, ".index"), 10485760);
	assert_int_equal(file_size(dir, 0, ".timeindex"), 10485756);
	free_tmpdir(dir);
}

/* ---- log dir files ----------------------------------------------------------- */

static void test_logdir_files(void **state)
{
	(void)state;
	char *dir = make_tmpdir();
	assert_int_equal(ksd_gen_write_meta_properties(dir, 1, 3, "abc"),
			 KSD_OK);
	char *s = slurp_text(dir, "meta.properties");
	assert_non_null(strstr(s, "\ncluster.id=abc\nversion=1\nnode.id=3\n"));
	free(s);
	const ksd_gen_tp_offset e[] = { { "__consumer_offsets", 17,
					  1232493227 },
					{ "events", 0, 42 } };
	assert_int_equal(ksd_gen_write_checkpoint(dir, "cleaner-offset-checkpoint",
						  e, 2),
			 KSD_OK);
	s = slurp_text(dir, "cleaner-offset-checkpoint");
	assert_string_equal(s, "0\n2\n__consumer_offsets 17 1232493227\n"
			       "events 0 42\n");
	free(s);
	const ksd_gen_epoch_entry ep[] = { { 0, 0 }, { 3, 120 } };
	assert_int_equal(ksd_gen_write_leader_epoch_checkpoint(dir, ep, 2),
			 KSD_OK);
	s = slurp_text(dir, "leader-epoch-checkpoint");
	assert_string_equal(s, "0\n2\n0 0\n3 120\n");
	free(s);
	uint8_t id[16];
	for (int i = 0; i < 16; i++)
		id[i] = (uint8_t)i;
	assert_int_equal(ksd_gen_write_partition_metadata(dir, id), KSD_OK);
	s = slurp_text(dir, "partition.metadata");
	/* python: base64.urlsafe_b64encode(bytes(range(16))).rstrip(b'=') */
	assert_string_equal(s, "version: 0\ntopic_id: AAECAwQFBgcICQoLDA0ODw\n");
	free(s);
	assert_int_equal(ksd_gen_write_clean_shutdown(dir), KSD_OK);
	assert_int_equal(ksd_gen_write_lock_file(dir), KSD_OK);
	s = slurp_text(dir, ".kafka_cleanshutdown");
	assert_string_equal(s, "");
	free(s);
	free_tmpdir(dir);
}

static void test_producer_snapshot(void **state)
{
	(void)state;
	const ksd_gen_producer_entry e[] = {
		{ 1000, 3, 41, 924, 12, TS0, 7, -1 },
		{ 2000, 0, 0, 5, 0, TS0 + 1, -1, 5 },
	};
	ksd_gen_buf b;
	ksd_gen_buf_init(&b);
	ksd_gen_encode_producer_snapshot(&b, e, 2);
	assert_int_equal(b.len, 10 + 2 * 46);
	assert_int_equal(b.data[0], 0);
	assert_int_equal(b.data[1], 1);
	assert_int_equal(ksd_gen_load_be32(b.data + 2),
			 ksd_crc32c(0, b.data + 6, b.len - 6));
	assert_int_equal(be32_at(b.data + 6), 2);
	assert_int_equal(be64_at(b.data + 10), 1000);
	assert_int_equal(be64_at(b.data + 10 + 46 - 8), -1);
	ksd_gen_buf_free(&b);
}

static void test_offsets_records(void **state)
{
	(void)state;
	ksd_gen_buf b;
	ksd_gen_buf_init(&b);
	ksd_gen_offset_commit_key(&b, "g", "t", 3);
	static const uint8_t key[] = { 0, 1, 0, 1, 'g', 0, 1, 't', 0, 0, 0, 3 };
	assert_int_equal(b.len, sizeof(key));
	assert_memory_equal(b.data, key, sizeof(key));
	ksd_gen_buf_clear(&b);
	ksd_gen_offset_commit_value_v3(&b, 5, -1, "", 7);
	static const uint8_t v3[] = { 0, 3, 0, 0, 0, 0, 0, 0, 0, 5,
				      0xff, 0xff, 0xff, 0xff, 0, 0,
				      0, 0, 0, 0, 0, 0, 0, 7 };
	assert_int_equal(b.len, sizeof(v3));
	assert_memory_equal(b.data, v3, sizeof(v3));
	ksd_gen_buf_clear(&b);
	ksd_gen_offset_commit_value_v1(&b, 5, "m", 7, 9);
	assert_int_equal(b.len, 2 + 8 + 3 + 8 + 8);
	ksd_gen_buf_clear(&b);
	ksd_gen_group_metadata_key(&b, "grp");
	static const uint8_t gk[] = { 0, 2, 0, 3, 'g', 'r', 'p' };
	assert_memory_equal(b.data, gk, sizeof(gk));
	ksd_gen_buf_free(&b);
}

static void test_group_partition(void **state)
{
	(void)state;
	/* kafka-facts.md §6.2 vectors, 50 partitions */
	assert_int_equal(ksd_gen_java_string_hash("test"), 3556498);
	assert_int_equal(ksd_gen_group_partition("test", 50), 48);
	assert_int_equal(ksd_gen_java_string_hash("my-group"), -1906497762);
	assert_int_equal(ksd_gen_group_partition("my-group", 50), 12);
	assert_int_equal(ksd_gen_java_string_hash("polygenelubricants"),
			 INT32_MIN);
	assert_int_equal(ksd_gen_group_partition("polygenelubricants", 50), 0);
	assert_int_equal(ksd_gen_java_string_hash("grp-\xc3\xa9"), 98628097);
	assert_int_equal(ksd_gen_group_partition("grp-\xc3\xa9", 50), 47);
	assert_int_equal(ksd_gen_java_string_hash("\xf0\x9f\x98\x80"),
			 1772899);
	assert_int_equal(ksd_gen_group_partition("\xf0\x9f\x98\x80", 50), 49);
}

/* ---- damage ------------------------------------------------------------------- */

static void test_damage_file(void **state)
{
	(void)state;
	char *dir = make_tmpdir();
	char path[4096];
	snprintf(path, sizeof(path), "%s/x.log", dir);
	assert_int_equal(ksd_gen_write_file(path, py_v2_batch,
					    sizeof(py_v2_batch)),
			 KSD_OK);
	assert_int_equal(ksd_gen_damage_flip_bit(path, 70, 3), KSD_OK);
	assert_int_equal(ksd_gen_damage_set_size(path, 0, 5), KSD_OK);
	assert_int_equal(ksd_gen_damage_set_magic(path, 0, 7), KSD_OK);
	assert_int_equal(ksd_gen_damage_append_zeros(path, 100), KSD_OK);
	size_t len;
	uint8_t *p = slurp(path, &len);
	assert_int_equal(len, sizeof(py_v2_batch) + 100);
	assert_int_equal(p[70], py_v2_batch[70] ^ 8);
	assert_int_equal(be32_at(p + 8), 5);
	assert_int_equal(p[16], 7);
	assert_int_equal(p[len - 1], 0);
	free(p);
	assert_int_equal(ksd_gen_damage_truncate(path, 50), KSD_OK);
	p = slurp(path, &len);
	assert_int_equal(len, 50);
	free(p);
	/* out of range: refused, file untouched */
	assert_int_equal(ksd_gen_damage_flip_bit(path, 50, 0), KSD_ERR_INVAL);
	assert_int_equal(ksd_gen_damage_truncate(path, 51), KSD_ERR_INVAL);
	assert_int_equal(ksd_gen_damage_set_size(path, 40, 1), KSD_ERR_INVAL);
	free_tmpdir(dir);
}

static void test_damage_mem(void **state)
{
	(void)state;
	uint8_t b[sizeof(py_v2_batch)];
	memcpy(b, py_v2_batch, sizeof(b));
	assert_int_equal(ksd_gen_damage_mem_flip_bit(b, sizeof(b), 100, 0),
			 KSD_OK);
	assert_int_not_equal(ksd_crc32c(0, b + 21, sizeof(b) - 21),
			     ksd_gen_load_be32(b + 17));
	assert_int_equal(ksd_gen_damage_mem_set_size(b, sizeof(b), 0, 13),
			 KSD_OK);
	assert_int_equal(be32_at(b + 8), 13);
	assert_int_equal(ksd_gen_damage_mem_set_magic(b, sizeof(b), 0, 3),
			 KSD_OK);
	assert_int_equal(b[16], 3);
	assert_int_equal(ksd_gen_damage_mem_set_magic(b, 16, 0, 3),
			 KSD_ERR_INVAL);
}

/* ---- scenarios ---------------------------------------------------------------- */

static void test_every_scenario_writes(void **state)
{
	(void)state;
	size_t n;
	const ksd_gen_scenario_info *sc = ksd_gen_scenarios(&n);
	assert_true(n >= 12);
	for (size_t i = 0; i < n; i++) {
		char *dir = make_tmpdir();
		char note[512] = "";
		assert_int_equal(ksd_gen_scenario(sc[i].name, dir, note,
						  sizeof(note)),
				 KSD_OK);
		assert_true(strlen(note) > 0);
		char *s = slurp_text(dir, "recovery-point-offset-checkpoint");
		assert_true(strncmp(s, "0\n", 2) == 0);
		free(s);
		free_tmpdir(dir);
	}
	assert_int_equal(ksd_gen_scenario("no-such", "/nonexistent", NULL, 0),
			 KSD_ERR_NOENT);
}

/* Exact positions the CLI tests rely on (see the scenario notes). */
static void test_scenario_positions(void **state)
{
	(void)state;
	char *dir = make_tmpdir();
	char path[4096];
	size_t len;
	assert_int_equal(ksd_gen_scenario("corrupt-entry", dir, NULL, 0),
			 KSD_OK);
	snprintf(path, sizeof(path),
		 "%s/orders-0/00000000000000000000.log", dir);
	uint8_t *p = slurp(path, &len);
	assert_int_equal(len, 10 * GEN_ORDERS_BATCH_BYTES);
	assert_int_equal(be32_at(p + 5755 + 8), 5);
	assert_int_equal(be64_at(p + 6906), 60);
	free(p);
	free_tmpdir(dir);

	dir = make_tmpdir();
	assert_int_equal(ksd_gen_scenario("torn-tail", dir, NULL, 0), KSD_OK);
	snprintf(path, sizeof(path),
		 "%s/orders-0/00000000000000000100.log", dir);
	p = slurp(path, &len);
	assert_int_equal(len, 10934);
	assert_int_equal(be64_at(p + 10359), 190);
	free(p);
	char *s = slurp_text(dir, "recovery-point-offset-checkpoint");
	assert_string_equal(s, "0\n1\norders 0 190\n");
	free(s);
	free_tmpdir(dir);

	dir = make_tmpdir();
	assert_int_equal(ksd_gen_scenario("headline", dir, NULL, 0), KSD_OK);
	snprintf(path, sizeof(path),
		 "%s/__consumer_offsets-17/00000000000000000000.log", dir);
	p = slurp(path, &len);
	/* the last entry's offset (v0: outer offset) is 1232493226 */
	size_t pos = 0, last = 0;
	while (pos + 12 <= len) {
		last = pos;
		pos += 12 + (size_t)be32_at(p + pos + 8);
	}
	assert_int_equal(pos, len);
	assert_int_equal(be64_at(p + last), GEN_HEADLINE_LAST);
	assert_int_equal(p[last + 16], 0);
	free(p);
	snprintf(path, sizeof(path),
		 "%s/__consumer_offsets-17/00000000001232493227.log", dir);
	p = slurp(path, &len);
	assert_int_equal(be64_at(p), GEN_HEADLINE_LAST + 1);
	free(p);
	free_tmpdir(dir);
}

static void test_demo_writes(void **state)
{
	(void)state;
	char *dir = make_tmpdir();
	assert_int_equal(ksd_gen_demo(dir), KSD_OK);
	char path[4096];
	struct stat st;
	snprintf(path, sizeof(path), "%s/kafka-logs-2/lost+found", dir);
	assert_int_equal(stat(path, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	snprintf(path, sizeof(path), "%s/kafka-logs-1/notes.txt", dir);
	assert_int_equal(stat(path, &st), 0);
	free_tmpdir(dir);
}

static void test_bench_small(void **state)
{
	(void)state;
	char *dir = make_tmpdir();
	ksd_gen_bench_opts o;
	ksd_gen_bench_stats st;
	ksd_gen_bench_opts_init(&o);
	o.total_bytes = 8u << 20;
	o.partitions = 2;
	o.codec = KSD_CODEC_LZ4;
	assert_int_equal(ksd_gen_bench(dir, &o, &st), KSD_OK);
	assert_true(st.log_bytes >= o.total_bytes);
	assert_true(st.segments >= 4); /* 1 MiB segments: several */
	assert_true(st.records > st.batches);
	free_tmpdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_varints),
		cmocka_unit_test(test_xxh32_vectors),
		cmocka_unit_test(test_v2_matches_python),
		cmocka_unit_test(test_v2_txn_matches_python),
		cmocka_unit_test(test_v2_header_fields),
		cmocka_unit_test(test_v2_empty_batch),
		cmocka_unit_test(test_txn_marker_layout),
		cmocka_unit_test(test_orders_batch_size),
		cmocka_unit_test(test_v1_matches_python),
		cmocka_unit_test(test_v0_matches_python),
		cmocka_unit_test(test_wrapper_offsets),
		cmocka_unit_test(test_wrapper_rejects_zstd),
		cmocka_unit_test(test_gzip_framing),
		cmocka_unit_test(test_snappy_xerial_framing),
		cmocka_unit_test(test_lz4_kafka_frame),
		cmocka_unit_test(test_lz4_stored_block),
		cmocka_unit_test(test_zstd_frame),
		cmocka_unit_test(test_v2_compressed_payload),
		cmocka_unit_test(test_index_interval_rule),
		cmocka_unit_test(test_index_first_offset_and_base),
		cmocka_unit_test(test_index_preallocated),
		cmocka_unit_test(test_segment_files),
		cmocka_unit_test(test_logdir_files),
		cmocka_unit_test(test_producer_snapshot),
		cmocka_unit_test(test_offsets_records),
		cmocka_unit_test(test_group_partition),
		cmocka_unit_test(test_damage_file),
		cmocka_unit_test(test_damage_mem),
		cmocka_unit_test(test_every_scenario_writes),
		cmocka_unit_test(test_scenario_positions),
		cmocka_unit_test(test_demo_writes),
		cmocka_unit_test(test_bench_small),
	};
	return cmocka_run_group_tests_name("gen", tests, NULL, NULL);
}
