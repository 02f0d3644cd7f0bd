/*
 * Unit tests for ksd/batch.h: the entry header parser on hand-built bytes,
 * one rule per case, in the order the broker applies them
 * (FileLogInputStream.nextBatch, then DefaultRecordBatch / LegacyRecord):
 * end of data, header torn, size < 14, body past EOF, magic, per-magic
 * minimum sizes, v2 count/delta sanity, codec ids; plus the fields a
 * successful parse fills and the checksum it computes.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdbool.h>
#include <string.h>

#include "ksd/batch.h"
#include "ksd/codec.h"
#include "tbatch.h"

static ksd_entry_status parse_all(const tb_buf *b, size_t pos, ksd_batch *out)
{
	memset(out, 0xa5, sizeof *out);
	return ksd_batch_parse(b->d + pos, b->len - pos, b->len - pos, 1000 + pos, out);
}

static void set_be32(tb_buf *b, size_t at, uint32_t v) { tb_store_be(b->d + at, v, 4); }

static void test_end_and_torn_header(void **state)
{
	(void)state;
	tb_buf b;
	tb_init(&b);
	tb_v2_simple(&b, 0, 1);
	ksd_batch bt;
	assert_int_equal(ksd_batch_parse(b.d, 0, 0, 0, &bt), KSD_ENTRY_END);
	/* 1..17 bytes: nextBatch returns null while position >= end - 17, so
	 * even exactly 17 bytes (offset, size, crc/epoch, magic) are no entry */
	for (size_t n = 1; n <= KSD_HEADER_UP_TO_MAGIC; n++)
		assert_int_equal(ksd_batch_parse(b.d, n, n, 0, &bt), KSD_ENTRY_TORN_HEADER);
	/* ... not even when their size field is below 14 (no corrupt entry) */
	tb_store_be(b.d + 8, 5, 4);
	assert_int_equal(ksd_batch_parse(b.d, 17, 17, 0, &bt), KSD_ENTRY_TORN_HEADER);
	assert_int_equal(ksd_batch_parse(b.d, 18, 18, 0, &bt), KSD_ENTRY_SIZE_TOO_SMALL);
	/* enough in the file but the caller handed fewer than 17 bytes */
	assert_int_equal(ksd_batch_parse(b.d, 16, b.len, 0, &bt), KSD_ENTRY_TORN_HEADER);
}

static void test_size_checks(void **state)
{
	(void)state;
	tb_buf b;
	ksd_batch bt;
	/* size 13 < RECORD_OVERHEAD_V0: corrupt, checked before EOF and magic */
	tb_init(&b);
	tb_legacy_simple(&b, 0, 5);
	set_be32(&b, 8, 13);
	assert_int_equal(parse_all(&b, 0, &bt), KSD_ENTRY_SIZE_TOO_SMALL);
	assert_int_equal(bt.size_field, 13);
	b.d[16] = 7; /* even with a bad magic, size is judged first */
	assert_int_equal(parse_all(&b, 0, &bt), KSD_ENTRY_SIZE_TOO_SMALL);
	/* zero and negative sizes */
	set_be32(&b, 8, 0);
	assert_int_equal(parse_all(&b, 0, &bt), KSD_ENTRY_SIZE_TOO_SMALL);
	set_be32(&b, 8, 0xffffffffu);
	assert_int_equal(parse_all(&b, 0, &bt), KSD_ENTRY_SIZE_TOO_SMALL);
	assert_int_equal(bt.size_field, -1);
	set_be32(&b, 8, 0x80000000u);
	assert_int_equal(parse_all(&b, 0, &bt), KSD_ENTRY_SIZE_TOO_SMALL);

	/* v0 at exactly 14 (null key, null value) is the smallest message */
	tb_init(&b);
	tb_legacy_append(&b, 0, 9, 0, -1, NULL, -1, NULL, -1);
	assert_int_equal(b.len, 26);
	assert_int_equal(parse_all(&b, 0, &bt), KSD_ENTRY_OK);
	assert_int_equal(bt.entry_len, 26);

	/* v1 minimum is 22 */
	tb_init(&b);
	tb_legacy_append(&b, 1, 9, 0, 5, NULL, -1, NULL, -1);
	assert_int_equal(b.len, 34);
	assert_int_equal(parse_all(&b, 0, &bt), KSD_ENTRY_OK);
	set_be32(&b, 8, 21);
	assert_int_equal(parse_all(&b, 0, &bt), KSD_ENTRY_SIZE_TOO_SMALL);

	/* v2: batchLength 48 < 49 is too small; 49 is an empty batch */
	tb_init(&b);
	tb_v2 s = tb_v2_spec(0, 0);
	tb_v2_append(&b, &s);
	assert_int_equal(b.len, KSD_V2_OVERHEAD);
	assert_int_equal(parse_all(&b, 0, &bt), KSD_ENTRY_OK);
	assert_int_equal(bt.size_field, 49);
	assert_int_equal(bt.records_count, 0);
	set_be32(&b, 8, 48);
	assert_int_equal(parse_all(&b, 0, &bt), KSD_ENTRY_SIZE_TOO_SMALL);
	/* 14..48 with magic 2 likewise */
	set_be32(&b, 8, 14);
	assert_int_equal(parse_all(&b, 0, &bt), KSD_ENTRY_SIZE_TOO_SMALL);
}

static void test_torn_body(void **state)
{
	(void)state;
	tb_buf b;
	ksd_batch bt;
	tb_init(&b);
	tb_v2_simple(&b, 100, 3);
	const size_t full = b.len;
	/* every cut from 18 bytes to one short of the end */
	for (size_t cut = KSD_HEADER_UP_TO_MAGIC + 1; cut < full; cut++) {
		ksd_entry_status st = ksd_batch_parse(b.d, cut, cut, 0, &bt);
		assert_int_equal(st, KSD_ENTRY_TORN_BODY);
		assert_int_equal(bt.entry_len, full);
	}
	assert_int_equal(ksd_batch_parse(b.d, full, full, 0, &bt), KSD_ENTRY_OK);
	/* past EOF wins over a bad magic (nextBatch returns null before magic) */
	b.d[16] = 9;
	assert_int_equal(ksd_batch_parse(b.d, full - 1, full - 1, 0, &bt), KSD_ENTRY_TORN_BODY);
	/* a huge size on a short file */
	tb_init(&b);
	tb_legacy_simple(&b, 1, 0);
	set_be32(&b, 8, 0x7fffffff);
	assert_int_equal(parse_all(&b, 0, &bt), KSD_ENTRY_TORN_BODY);
	assert_int_equal(bt.entry_len, 12ull + 0x7fffffffull);
}

static void test_bad_magic(void **state)
{
	(void)state;
	static const uint8_t magics[] = {3, 0xff, 0x80, 0x7f};
	for (size_t i = 0; i < sizeof magics; i++) {
		tb_buf b;
		ksd_batch bt;
		tb_init(&b);
		tb_v2_simple(&b, 0, 1);
		b.d[16] = magics[i];
		assert_int_equal(parse_all(&b, 0, &bt), KSD_ENTRY_BAD_MAGIC);
		assert_int_equal(bt.magic, (int8_t)magics[i]);
	}
}

static void test_v2_count_and_delta(void **state)
{
	(void)state;
	tb_buf b;
	ksd_batch bt;
	tb_init(&b);
	tb_v2 s = tb_v2_spec(10, 2);
	s.records_count = -1;
	tb_v2_append(&b, &s);
	assert_int_equal(parse_all(&b, 0, &bt), KSD_ENTRY_BAD_V2_COUNT);

	tb_init(&b);
	s = tb_v2_spec(10, 2);
	s.last_delta = -1;
	tb_v2_append(&b, &s);
	assert_int_equal(parse_all(&b, 0, &bt), KSD_ENTRY_BAD_V2_DELTA);

	tb_init(&b);
	s = tb_v2_spec(10, 2);
	s.last_delta = INT32_MIN;
	tb_v2_append(&b, &s);
	assert_int_equal(parse_all(&b, 0, &bt), KSD_ENTRY_BAD_V2_DELTA);

	/* A count of records different from what the payload holds is not a
	 * header matter: the header parse accepts it. */
	tb_init(&b);
	s = tb_v2_spec(10, 2);
	s.records_count = 1000;
	tb_v2_append(&b, &s);
	assert_int_equal(parse_all(&b, 0, &bt), KSD_ENTRY_OK);
	assert_int_equal(bt.records_count, 1000);
}

static void test_codecs(void **state)
{
	(void)state;
	tb_buf b;
	ksd_batch bt;
	/* v2: 0..4 valid, 5..7 not */
	for (uint16_t codec = 0; codec < 8; codec++) {
		tb_init(&b);
		tb_v2 s = tb_v2_spec(0, 1);
		s.attributes = (uint16_t)(codec | KSD_ATTR_TRANSACTIONAL);
		tb_v2_append(&b, &s);
		ksd_entry_status st = parse_all(&b, 0, &bt);
		if (codec <= KSD_CODEC_ZSTD) {
			assert_int_equal(st, KSD_ENTRY_OK);
			assert_int_equal(bt.codec, codec);
		} else {
			assert_int_equal(st, KSD_ENTRY_BAD_CODEC);
		}
	}
	/* v0/v1: 0..3 valid; zstd (4) came with magic 2 only (KIP-110) */
	for (int magic = 0; magic <= 1; magic++)
		for (uint8_t codec = 0; codec < 8; codec++) {
			tb_init(&b);
			tb_legacy_append(&b, magic, 5, codec, 1, NULL, -1, "xyz", 3);
			ksd_entry_status st = parse_all(&b, 0, &bt);
			if (codec <= KSD_CODEC_LZ4) {
				assert_int_equal(st, KSD_ENTRY_OK);
				assert_int_equal(bt.codec, codec);
				/* a compressed wrapper's count is unknown from its header */
				assert_int_equal(bt.records_count, codec == 0 ? 1 : -1);
			} else {
				assert_int_equal(st, KSD_ENTRY_BAD_CODEC);
			}
		}
	/* Only the low three attribute bits are the codec. */
	tb_init(&b);
	tb_legacy_append(&b, 1, 5, 0x08 | KSD_CODEC_GZIP, 1, NULL, -1, "xyz", 3);
	assert_int_equal(parse_all(&b, 0, &bt), KSD_ENTRY_OK);
	assert_int_equal(bt.codec, KSD_CODEC_GZIP);
}

static void test_v2_fields(void **state)
{
	(void)state;
	tb_buf b;
	ksd_batch bt;
	tb_init(&b);
	tb_v2_simple(&b, 7, 1); /* something before, so position is not 0 */
	tb_v2 s = tb_v2_spec(5000, 3);
	s.last_delta = 9; /* compacted: holes after the records */
	s.attributes = KSD_ATTR_LOG_APPEND_TIME | KSD_ATTR_TRANSACTIONAL | KSD_CODEC_NONE;
	s.leader_epoch = 42;
	s.base_timestamp = 111;
	s.max_timestamp = 222;
	s.producer_id = 123456789012ll;
	s.producer_epoch = 7;
	s.base_sequence = 99;
	const size_t pos = tb_v2_append(&b, &s);
	assert_int_equal(parse_all(&b, pos, &bt), KSD_ENTRY_OK);
	assert_int_equal(bt.position, 1000 + pos);
	assert_int_equal(bt.entry_len, b.len - pos);
	assert_int_equal(bt.size_field, b.len - pos - 12);
	assert_int_equal(bt.magic, 2);
	assert_true(bt.base_offset == 5000);
	assert_true(bt.last_offset == 5009);
	assert_int_equal(bt.attributes, s.attributes);
	assert_int_equal(bt.codec, 0);
	assert_int_equal(bt.leader_epoch, 42);
	assert_true(bt.base_timestamp == 111);
	assert_true(bt.max_timestamp == 222);
	assert_true(bt.producer_id == 123456789012ll);
	assert_int_equal(bt.producer_epoch, 7);
	assert_int_equal(bt.base_sequence, 99);
	assert_int_equal(bt.records_count, 3);
	assert_int_equal(bt.stored_crc, tb_load_be32(b.d + pos + 17));
	assert_true(ksd_batch_is_transactional(&bt));
	assert_false(ksd_batch_is_control(&bt));
	assert_string_equal(ksd_timestamp_type_name(&bt), "LogAppendTime");

	/* control batch, CreateTime */
	tb_init(&b);
	s = tb_v2_spec(0, 1);
	s.attributes = KSD_ATTR_CONTROL | KSD_ATTR_TRANSACTIONAL;
	tb_v2_append(&b, &s);
	assert_int_equal(parse_all(&b, 0, &bt), KSD_ENTRY_OK);
	assert_true(ksd_batch_is_control(&bt));
	assert_string_equal(ksd_timestamp_type_name(&bt), "CreateTime");
}

static void test_v2_last_offset(void **state)
{
	(void)state;
	tb_buf b;
	ksd_batch bt;
	/* base + lastOffsetDelta */
	tb_init(&b);
	tb_v2 s = tb_v2_spec(1000, 5);
	tb_v2_append(&b, &s);
	assert_int_equal(parse_all(&b, 0, &bt), KSD_ENTRY_OK);
	assert_true(bt.last_offset == 1004);
	/* largest delta */
	tb_init(&b);
	s = tb_v2_spec(10, 1);
	s.last_delta = INT32_MAX;
	tb_v2_append(&b, &s);
	assert_int_equal(parse_all(&b, 0, &bt), KSD_ENTRY_OK);
	assert_true(bt.last_offset == 10 + (int64_t)INT32_MAX);
	/* base near INT64_MAX: saturates instead of overflowing */
	tb_init(&b);
	s = tb_v2_spec(INT64_MAX - 5, 1);
	s.last_delta = 100;
	tb_v2_append(&b, &s);
	assert_int_equal(parse_all(&b, 0, &bt), KSD_ENTRY_OK);
	assert_true(bt.last_offset == INT64_MAX);
	/* negative base offsets are file values too */
	tb_init(&b);
	s = tb_v2_spec(-50, 3);
	tb_v2_append(&b, &s);
	assert_int_equal(parse_all(&b, 0, &bt), KSD_ENTRY_OK);
	assert_true(bt.base_offset == -50);
	assert_true(bt.last_offset == -48);
}

static void test_legacy_fields(void **state)
{
	(void)state;
	tb_buf b;
	ksd_batch bt;
	/* v0: no timestamp, no producer state, offset is base and last */
	tb_init(&b);
	tb_legacy_append(&b, 0, 77, 0, -1, "k", 1, "value", 5);
	assert_int_equal(parse_all(&b, 0, &bt), KSD_ENTRY_OK);
	assert_int_equal(bt.magic, 0);
	assert_true(bt.base_offset == 77);
	assert_true(bt.last_offset == 77);
	assert_int_equal(bt.entry_len, 12 + 4 + 1 + 1 + 4 + 1 + 4 + 5);
	assert_int_equal(bt.attributes, 0);
	assert_true(bt.base_timestamp == -1);
	assert_true(bt.max_timestamp == -1);
	assert_int_equal(bt.leader_epoch, -1);
	assert_true(bt.producer_id == -1);
	assert_int_equal(bt.producer_epoch, -1);
	assert_int_equal(bt.base_sequence, -1);
	assert_int_equal(bt.records_count, 1);
	assert_int_equal(bt.stored_crc, tb_load_be32(b.d + 12));
	assert_false(ksd_batch_is_control(&bt));
	assert_false(ksd_batch_is_transactional(&bt));
	assert_string_equal(ksd_timestamp_type_name(&bt), "NoTimestampType");

	/* v1: the message timestamp is both base and max */
	tb_init(&b);
	tb_legacy_append(&b, 1, 78, KSD_ATTR_LOG_APPEND_TIME, 1555555555555ll, NULL, -1,
			 "v", 1);
	assert_int_equal(parse_all(&b, 0, &bt), KSD_ENTRY_OK);
	assert_int_equal(bt.magic, 1);
	assert_true(bt.base_timestamp == 1555555555555ll);
	assert_true(bt.max_timestamp == 1555555555555ll);
	assert_string_equal(ksd_timestamp_type_name(&bt), "LogAppendTime");
	/* attribute bits 4-5 mean nothing in v0/v1: never control/transactional */
	tb_init(&b);
	tb_legacy_append(&b, 1, 78, 0x30, 1, NULL, -1, "v", 1);
	assert_int_equal(parse_all(&b, 0, &bt), KSD_ENTRY_OK);
	assert_false(ksd_batch_is_control(&bt));
	assert_false(ksd_batch_is_transactional(&bt));
}

/* Header-only reads: avail covers the header, file_left the whole entry. */
static void test_header_only_avail(void **state)
{
	(void)state;
	tb_buf b;
	ksd_batch bt;
	tb_init(&b);
	tb_v2_simple(&b, 3, 20);
	assert_true(b.len > KSD_BATCH_HEADER_BYTES);
	assert_int_equal(ksd_batch_parse(b.d, KSD_BATCH_HEADER_BYTES, b.len, 0, &bt),
			 KSD_ENTRY_OK);
	assert_int_equal(bt.records_count, 20);
	assert_true(bt.last_offset == 22);
	tb_init(&b);
	tb_legacy_simple(&b, 1, 3);
	assert_int_equal(ksd_batch_parse(b.d, 34, b.len, 0, &bt), KSD_ENTRY_OK);
}

static void test_compute_crc(void **state)
{
	(void)state;
	tb_buf b;
	ksd_batch bt;
	tb_init(&b);
	const size_t p0 = tb_legacy_simple(&b, 0, 1);
	const size_t p1 = tb_legacy_simple(&b, 1, 2);
	const size_t p2 = tb_v2_simple(&b, 3, 4);
	const size_t pos[] = {p0, p1, p2};
	for (size_t i = 0; i < 3; i++) {
		assert_int_equal(parse_all(&b, pos[i], &bt), KSD_ENTRY_OK);
		assert_int_equal(bt.magic, (int)i);
		assert_int_equal(ksd_batch_crc_start(&bt), i == 2 ? 21 : 16);
		assert_int_equal(ksd_batch_compute_crc(&bt, b.d + pos[i]), bt.stored_crc);
		/* one flipped payload bit changes it */
		b.d[b.len - 1] ^= 0x10;
		if (i == 2)
			assert_int_not_equal(ksd_batch_compute_crc(&bt, b.d + pos[i]),
					     bt.stored_crc);
		b.d[b.len - 1] ^= 0x10;
	}
	/* v2: the leader epoch (bytes 12-15) is outside the CRC on purpose */
	b.d[p2 + 12] ^= 0xff;
	assert_int_equal(parse_all(&b, p2, &bt), KSD_ENTRY_OK);
	assert_int_equal(ksd_batch_compute_crc(&bt, b.d + p2), bt.stored_crc);
	/* ... the attributes (byte 21 on) are inside */
	b.d[p2 + 22] ^= 0x08;
	assert_int_equal(parse_all(&b, p2, &bt), KSD_ENTRY_OK);
	assert_int_not_equal(ksd_batch_compute_crc(&bt, b.d + p2), bt.stored_crc);
	/* v1: the offset is not covered, the magic byte is */
	b.d[p1 + 3] ^= 0x01;
	assert_int_equal(parse_all(&b, p1, &bt), KSD_ENTRY_OK);
	assert_int_equal(ksd_batch_compute_crc(&bt, b.d + p1), bt.stored_crc);
}

static void test_status_text(void **state)
{
	(void)state;
	for (int st = KSD_ENTRY_OK; st <= KSD_ENTRY_BAD_CODEC; st++) {
		const char *t = ksd_entry_status_text((ksd_entry_status)st);
		assert_non_null(t);
		assert_true(strlen(t) > 1);
		for (int o = KSD_ENTRY_OK; o < st; o++)
			assert_string_not_equal(t, ksd_entry_status_text((ksd_entry_status)o));
	}
	assert_string_equal(ksd_entry_status_text((ksd_entry_status)99), "?");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_end_and_torn_header),
		cmocka_unit_test(test_size_checks),
		cmocka_unit_test(test_torn_body),
		cmocka_unit_test(test_bad_magic),
		cmocka_unit_test(test_v2_count_and_delta),
		cmocka_unit_test(test_codecs),
		cmocka_unit_test(test_v2_fields),
		cmocka_unit_test(test_v2_last_offset),
		cmocka_unit_test(test_legacy_fields),
		cmocka_unit_test(test_header_only_avail),
		cmocka_unit_test(test_compute_crc),
		cmocka_unit_test(test_status_text),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
