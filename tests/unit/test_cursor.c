/*
 * Unit tests for ksd/cursor.h: every reader at the exact end of its span
 * succeeds and one byte short fails; failures are sticky and read as zero;
 * big-endian loads; Kafka's zig-zag varints (ByteUtils.readVarint/Varlong)
 * including over-long encodings; child cursors narrow and carry origin.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdbool.h>
#include <string.h>

#include "ksd/cursor.h"

static const uint8_t SEQ[16] = {
	0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,
	0x89, 0x8a, 0x8b, 0x8c, 0x8d, 0x8e, 0x8f, 0x90,
};

static void test_init_and_accessors(void **state)
{
	(void)state;
	ksd_cursor c;
	ksd_cur_init(&c, SEQ, sizeof SEQ, 1000);
	assert_true(ksd_cur_ok(&c));
	assert_int_equal(ksd_cur_left(&c), 16);
	assert_false(ksd_cur_at_end(&c));
	assert_int_equal(ksd_cur_filepos(&c), 1000);
	assert_true(ksd_cur_skip(&c, 16));
	assert_true(ksd_cur_at_end(&c));
	assert_int_equal(ksd_cur_left(&c), 0);
	assert_int_equal(ksd_cur_filepos(&c), 1016);
	assert_true(ksd_cur_ok(&c));
	/* ksd_cur_fail reports false so parsers can `return ksd_cur_fail(c)`. */
	assert_false(ksd_cur_fail(&c));
	assert_false(ksd_cur_ok(&c));
}

static void test_big_endian(void **state)
{
	(void)state;
	ksd_cursor c;
	ksd_cur_init(&c, SEQ, sizeof SEQ, 0);
	assert_int_equal(ksd_cur_u8(&c), 0x01);
	assert_int_equal(ksd_cur_be16(&c), 0x0203);
	assert_int_equal(ksd_cur_be32(&c), 0x04050607);
	assert_int_equal(ksd_cur_u8(&c), 0x08);
	assert_int_equal(ksd_cur_be64(&c), 0x898a8b8c8d8e8f90ull);
	assert_true(ksd_cur_ok(&c));
	assert_true(ksd_cur_at_end(&c));

	/* Signed readers: two's complement of the same bits. */
	ksd_cur_init(&c, SEQ + 8, 8, 0);
	assert_int_equal(ksd_cur_i16(&c), (int16_t)0x898a);
	assert_true(ksd_cur_i16(&c) < 0);
	ksd_cur_init(&c, SEQ + 8, 8, 0);
	assert_int_equal(ksd_cur_i32(&c), (int32_t)0x898a8b8c);
	ksd_cur_init(&c, SEQ + 8, 8, 0);
	assert_true(ksd_cur_i64(&c) == (int64_t)0x898a8b8c8d8e8f90ull);
	assert_true(ksd_cur_i64(&c) == 0); /* past the end */

	static const uint8_t minus_one[8] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
	ksd_cur_init(&c, minus_one, 8, 0);
	assert_true(ksd_cur_i64(&c) == -1);
	ksd_cur_init(&c, minus_one, 8, 0);
	assert_int_equal(ksd_cur_i32(&c), -1);
	assert_int_equal(ksd_cur_i16(&c), -1);
	assert_int_equal(ksd_cur_u8(&c), 0xff);

	assert_int_equal(ksd_load_be32(SEQ), 0x01020304);
	assert_true(ksd_load_be64(SEQ) == 0x0102030405060708ull);
	assert_true(ksd_load_be64(SEQ + 8) == 0x898a8b8c8d8e8f90ull);
}

/* One reader of n bytes, type-erased so every reader runs the same checks. */
typedef uint64_t (*reader_fn)(ksd_cursor *c);
static uint64_t rd_u8(ksd_cursor *c) { return ksd_cur_u8(c); }
static uint64_t rd_be16(ksd_cursor *c) { return ksd_cur_be16(c); }
static uint64_t rd_be32(ksd_cursor *c) { return ksd_cur_be32(c); }
static uint64_t rd_be64(ksd_cursor *c) { return ksd_cur_be64(c); }
static uint64_t rd_i16(ksd_cursor *c) { return (uint64_t)(int64_t)ksd_cur_i16(c); }
static uint64_t rd_i32(ksd_cursor *c) { return (uint64_t)(int64_t)ksd_cur_i32(c); }
static uint64_t rd_i64(ksd_cursor *c) { return (uint64_t)ksd_cur_i64(c); }
static uint64_t rd_skip3(ksd_cursor *c) { return ksd_cur_skip(c, 3) ? 1 : 0; }

static const struct {
	const char *name;
	reader_fn fn;
	size_t width;
} READERS[] = {
	{"u8", rd_u8, 1},     {"be16", rd_be16, 2}, {"be32", rd_be32, 4},
	{"be64", rd_be64, 8}, {"i16", rd_i16, 2},   {"i32", rd_i32, 4},
	{"i64", rd_i64, 8},   {"skip3", rd_skip3, 3},
};

/*
 * Each reader: with exactly `width` bytes left it succeeds and lands at the
 * end; with width-1 left it fails, returns 0, and leaves pos where it was
 * (a failed read consumes nothing, so error positions stay exact).
 */
static void test_reader_bounds(void **state)
{
	(void)state;
	static const uint8_t ff[16] = {
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	};
	for (size_t i = 0; i < sizeof READERS / sizeof *READERS; i++) {
		const size_t w = READERS[i].width;
		ksd_cursor c;
		/* exact end: 5 bytes of lead-in, then exactly w */
		ksd_cur_init(&c, ff, 5 + w, 0);
		assert_true(ksd_cur_skip(&c, 5));
		assert_int_not_equal(READERS[i].fn(&c), 0);
		assert_true(ksd_cur_ok(&c));
		assert_true(ksd_cur_at_end(&c));
		/* ... and nothing after */
		assert_int_equal(READERS[i].fn(&c), 0);
		assert_false(ksd_cur_ok(&c));
		assert_int_equal(c.pos, 5 + w);

		/* one byte short */
		ksd_cur_init(&c, ff, 5 + w - 1, 0);
		assert_true(ksd_cur_skip(&c, 5));
		uint64_t v = READERS[i].fn(&c);
		if (v != 0)
			print_error("reader %s returned nonzero on failure\n", READERS[i].name);
		assert_int_equal(v, 0);
		assert_false(ksd_cur_ok(&c));
		assert_int_equal(c.pos, 5);

		/* empty span */
		ksd_cur_init(&c, NULL, 0, 0);
		assert_int_equal(READERS[i].fn(&c), 0);
		assert_false(ksd_cur_ok(&c));
		assert_int_equal(c.pos, 0);
	}
}

static void test_sticky_failure(void **state)
{
	(void)state;
	ksd_cursor c;
	ksd_cur_init(&c, SEQ, sizeof SEQ, 0);
	assert_int_equal(ksd_cur_be32(&c), 0x01020304);
	assert_false(ksd_cur_skip(&c, 13)); /* 12 left */
	assert_false(ksd_cur_ok(&c));
	/* Bytes remain, but every later read fails and returns zero. */
	assert_int_equal(ksd_cur_left(&c), 12);
	assert_int_equal(ksd_cur_u8(&c), 0);
	assert_int_equal(ksd_cur_be16(&c), 0);
	assert_int_equal(ksd_cur_be32(&c), 0);
	assert_true(ksd_cur_be64(&c) == 0);
	assert_int_equal(ksd_cur_varint(&c), 0);
	assert_true(ksd_cur_varlong(&c) == 0);
	assert_true(ksd_cur_uvarint(&c, 10) == 0);
	const uint8_t *p = SEQ;
	assert_false(ksd_cur_take(&c, 0, &p));
	assert_null(p);
	assert_false(ksd_cur_skip(&c, 0));
	assert_int_equal(c.pos, 4);
	assert_false(ksd_cur_ok(&c));

	/* An explicit fail is sticky too. */
	ksd_cur_init(&c, SEQ, sizeof SEQ, 0);
	ksd_cur_fail(&c);
	assert_int_equal(ksd_cur_u8(&c), 0);
	assert_int_equal(c.pos, 0);
}

static void test_take(void **state)
{
	(void)state;
	ksd_cursor c;
	const uint8_t *p = NULL;
	ksd_cur_init(&c, SEQ, sizeof SEQ, 0);
	assert_true(ksd_cur_take(&c, 0, &p)); /* zero-length take is fine */
	assert_ptr_equal(p, SEQ);
	assert_true(ksd_cur_take(&c, 3, &p));
	assert_ptr_equal(p, SEQ);
	assert_true(ksd_cur_take(&c, 13, &p));
	assert_ptr_equal(p, SEQ + 3);
	assert_true(ksd_cur_take(&c, 0, &p)); /* at end, still fine */
	assert_ptr_equal(p, SEQ + 16);
	assert_false(ksd_cur_take(&c, 1, &p));
	assert_null(p);

	/* Sizes near SIZE_MAX must not wrap the bounds check. */
	ksd_cur_init(&c, SEQ, sizeof SEQ, 0);
	assert_true(ksd_cur_skip(&c, 1));
	assert_false(ksd_cur_take(&c, SIZE_MAX, &p));
	assert_int_equal(c.pos, 1);
	ksd_cur_init(&c, SEQ, sizeof SEQ, 0);
	assert_false(ksd_cur_skip(&c, SIZE_MAX - 1));
}

/* --- varints ------------------------------------------------------------- */

typedef struct vec32 {
	int32_t value;
	uint8_t bytes[10];
	size_t n;
} vec32;

/* Kafka ByteUtilsTest / protobuf sint32 encodings. */
static const vec32 VARINTS[] = {
	{0, {0x00}, 1},
	{-1, {0x01}, 1},
	{1, {0x02}, 1},
	{-2, {0x03}, 1},
	{2, {0x04}, 1},
	{63, {0x7e}, 1},
	{-64, {0x7f}, 1},
	{64, {0x80, 0x01}, 2},
	{-65, {0x81, 0x01}, 2},
	{300, {0xd8, 0x04}, 2},
	{INT32_MAX, {0xfe, 0xff, 0xff, 0xff, 0x0f}, 5},
	{INT32_MIN, {0xff, 0xff, 0xff, 0xff, 0x0f}, 5},
};

static void test_varint_vectors(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof VARINTS / sizeof *VARINTS; i++) {
		const vec32 *v = &VARINTS[i];
		ksd_cursor c;
		ksd_cur_init(&c, v->bytes, v->n, 0);
		assert_int_equal(ksd_cur_varint(&c), v->value);
		assert_true(ksd_cur_ok(&c));
		assert_true(ksd_cur_at_end(&c));
		/* Same bytes as a varlong give the same value. */
		ksd_cur_init(&c, v->bytes, v->n, 0);
		assert_true(ksd_cur_varlong(&c) == v->value);
		assert_true(ksd_cur_at_end(&c));
		/* Truncated: the last byte missing fails the read. */
		if (v->n > 1) {
			ksd_cur_init(&c, v->bytes, v->n - 1, 0);
			assert_int_equal(ksd_cur_varint(&c), 0);
			assert_false(ksd_cur_ok(&c));
		}
	}
}

typedef struct vec64 {
	int64_t value;
	uint8_t bytes[10];
	size_t n;
} vec64;

static const vec64 VARLONGS[] = {
	{0, {0x00}, 1},
	{-1, {0x01}, 1},
	{1, {0x02}, 1},
	{(int64_t)INT32_MAX + 1, {0x80, 0x80, 0x80, 0x80, 0x10}, 5},
	{(int64_t)INT32_MIN - 1, {0x81, 0x80, 0x80, 0x80, 0x10}, 5},
	{INT64_MAX, {0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}, 10},
	{INT64_MIN, {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}, 10},
};

static void test_varlong_vectors(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof VARLONGS / sizeof *VARLONGS; i++) {
		const vec64 *v = &VARLONGS[i];
		ksd_cursor c;
		ksd_cur_init(&c, v->bytes, v->n, 0);
		assert_true(ksd_cur_varlong(&c) == v->value);
		assert_true(ksd_cur_ok(&c));
		assert_true(ksd_cur_at_end(&c));
		ksd_cur_init(&c, v->bytes, v->n - 1, 0);
		(void)ksd_cur_varlong(&c);
		if (v->n > 1)
			assert_false(ksd_cur_ok(&c));
	}
}

static void test_uvarint(void **state)
{
	(void)state;
	static const uint8_t b300[] = {0xac, 0x02};
	ksd_cursor c;
	ksd_cur_init(&c, b300, sizeof b300, 0);
	assert_true(ksd_cur_uvarint(&c, 5) == 300);
	assert_true(ksd_cur_at_end(&c));
	/* Non-minimal but in-length encodings are accepted, as Kafka does. */
	static const uint8_t padded_one[] = {0x81, 0x80, 0x80, 0x80, 0x00};
	ksd_cur_init(&c, padded_one, sizeof padded_one, 0);
	assert_true(ksd_cur_uvarint(&c, 5) == 1);
	assert_true(ksd_cur_ok(&c));
	/* A limit of 2 bytes refuses a 3-byte encoding. */
	static const uint8_t three[] = {0x80, 0x80, 0x01};
	ksd_cur_init(&c, three, sizeof three, 0);
	assert_true(ksd_cur_uvarint(&c, 2) == 0);
	assert_false(ksd_cur_ok(&c));
	/* Continuation bit set on the last byte of the span: truncated. */
	static const uint8_t cont[] = {0x80};
	ksd_cur_init(&c, cont, sizeof cont, 0);
	assert_true(ksd_cur_uvarint(&c, 5) == 0);
	assert_false(ksd_cur_ok(&c));
}

/*
 * Kafka's readVarint throws after 5 bytes and readVarlong after 10
 * (IllegalArgumentException "Varint is too long"); the cursor fails.
 */
static void test_overlong_varints(void **state)
{
	(void)state;
	static const uint8_t six[] = {0x80, 0x80, 0x80, 0x80, 0x80, 0x00};
	static const uint8_t eleven[] = {0x80, 0x80, 0x80, 0x80, 0x80, 0x80,
					 0x80, 0x80, 0x80, 0x80, 0x00};
	ksd_cursor c;
	ksd_cur_init(&c, six, sizeof six, 0);
	assert_int_equal(ksd_cur_varint(&c), 0);
	assert_false(ksd_cur_ok(&c));
	/* Six bytes are fine for a varlong. */
	ksd_cur_init(&c, six, sizeof six, 0);
	assert_true(ksd_cur_varlong(&c) == 0);
	assert_true(ksd_cur_ok(&c));
	assert_true(ksd_cur_at_end(&c));
	ksd_cur_init(&c, eleven, sizeof eleven, 0);
	assert_true(ksd_cur_varlong(&c) == 0);
	assert_false(ksd_cur_ok(&c));
	/* The failure is sticky: nothing more comes out. */
	assert_int_equal(ksd_cur_u8(&c), 0);

	/* 5 and 10 bytes of 0xff-ish with the stop bit in the last: accepted,
	 * the excess high bits dropped like Kafka's `b << 28` / `b << 63`. */
	static const uint8_t five_max[] = {0xff, 0xff, 0xff, 0xff, 0x7f};
	ksd_cur_init(&c, five_max, sizeof five_max, 0);
	assert_int_equal(ksd_cur_varint(&c), INT32_MIN);
	assert_true(ksd_cur_ok(&c));
}

/* --- child cursors ------------------------------------------------------- */

static void test_sub(void **state)
{
	(void)state;
	ksd_cursor c, child;
	ksd_cur_init(&c, SEQ, sizeof SEQ, 4096);
	assert_true(ksd_cur_skip(&c, 2));
	assert_true(ksd_cur_sub(&c, 6, &child));
	/* Parent moved past the child's window. */
	assert_int_equal(c.pos, 8);
	assert_int_equal(ksd_cur_filepos(&c), 4104);
	/* Child: its own 6 bytes, origin at their file position. */
	assert_int_equal(child.len, 6);
	assert_int_equal(child.pos, 0);
	assert_int_equal(child.origin, 4098);
	assert_int_equal(ksd_cur_filepos(&child), 4098);
	assert_int_equal(ksd_cur_be32(&child), 0x03040506);
	assert_int_equal(ksd_cur_filepos(&child), 4102);
	/* Narrowed: the parent still has bytes, the child does not. */
	assert_int_equal(ksd_cur_be32(&child), 0);
	assert_false(ksd_cur_ok(&child));
	assert_true(ksd_cur_ok(&c));
	assert_int_equal(ksd_cur_u8(&c), 0x89);

	/* Grandchild of a child: origins add up. */
	ksd_cursor gc;
	ksd_cur_init(&child, SEQ, sizeof SEQ, 100);
	assert_true(ksd_cur_skip(&child, 3));
	ksd_cursor mid;
	assert_true(ksd_cur_sub(&child, 10, &mid));
	assert_true(ksd_cur_skip(&mid, 4));
	assert_true(ksd_cur_sub(&mid, 6, &gc));
	assert_int_equal(gc.origin, 107);
	assert_int_equal(ksd_cur_u8(&gc), SEQ[7]);
	assert_true(ksd_cur_at_end(&mid));

	/* A zero-length child is valid and at its end. */
	ksd_cur_init(&c, SEQ, sizeof SEQ, 0);
	assert_true(ksd_cur_sub(&c, 0, &child));
	assert_true(ksd_cur_ok(&child));
	assert_true(ksd_cur_at_end(&child));
	assert_int_equal(ksd_cur_u8(&child), 0);
	assert_false(ksd_cur_ok(&child));
}

static void test_sub_failure(void **state)
{
	(void)state;
	ksd_cursor c, child;
	ksd_cur_init(&c, SEQ, sizeof SEQ, 50);
	assert_true(ksd_cur_skip(&c, 10));
	/* Asking for more than remains fails both, and the child is empty. */
	memset(&child, 0xa5, sizeof child);
	assert_false(ksd_cur_sub(&c, 7, &child));
	assert_false(ksd_cur_ok(&c));
	assert_false(ksd_cur_ok(&child));
	assert_int_equal(child.len, 0);
	assert_int_equal(child.origin, 60);
	assert_int_equal(ksd_cur_u8(&child), 0);
	assert_int_equal(c.pos, 10);
	/* A failed parent cannot hand out children. */
	assert_false(ksd_cur_sub(&c, 0, &child));
	assert_false(ksd_cur_ok(&child));

	/* Exactly what remains is fine. */
	ksd_cur_init(&c, SEQ, sizeof SEQ, 50);
	assert_true(ksd_cur_skip(&c, 10));
	assert_true(ksd_cur_sub(&c, 6, &child));
	assert_true(ksd_cur_at_end(&c));
	assert_int_equal(child.len, 6);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init_and_accessors),
		cmocka_unit_test(test_big_endian),
		cmocka_unit_test(test_reader_bounds),
		cmocka_unit_test(test_sticky_failure),
		cmocka_unit_test(test_take),
		cmocka_unit_test(test_varint_vectors),
		cmocka_unit_test(test_varlong_vectors),
		cmocka_unit_test(test_uvarint),
		cmocka_unit_test(test_overlong_varints),
		cmocka_unit_test(test_sub),
		cmocka_unit_test(test_sub_failure),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
