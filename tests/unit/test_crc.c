/*
 * Unit tests for ksd/crc.h: CRC-32C known answers (RFC 3720 B.4) for the
 * software path, the SSE4.2 path when the CPU has it, and the dispatcher;
 * chaining at every split point; software and hardware agree on random
 * buffers at unaligned starts and odd lengths; CRC-32 (IEEE) known answers.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ksd/crc.h"

typedef uint32_t (*crc_fn)(uint32_t crc, const void *buf, size_t len);

typedef struct impl {
	const char *name;
	crc_fn fn;
} impl;

/* The implementations to check on this machine. */
static size_t crc32c_impls(impl out[3])
{
	size_t n = 0;
	out[n++] = (impl){"sw", ksd_crc32c_sw};
	if (ksd_crc32c_hw_available())
		out[n++] = (impl){"hw", ksd_crc32c_hw};
	else
		print_message("SSE4.2 not available: hardware CRC-32C not tested\n");
	out[n++] = (impl){"dispatch", ksd_crc32c};
	return n;
}

/* Deterministic xorshift64*, so failures reproduce. */
static uint64_t rng_next(uint64_t *s)
{
	uint64_t x = *s;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 0x2545F4914F6CDD1Dull;
}

static void fill_random(uint8_t *p, size_t n, uint64_t seed)
{
	uint64_t s = seed ? seed : 1;
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(rng_next(&s) >> 56);
}

static void test_crc32c_known_answers(void **state)
{
	(void)state;
	uint8_t zeros[32], ones[32], asc[32], desc[32];
	memset(zeros, 0, sizeof zeros);
	memset(ones, 0xff, sizeof ones);
	for (int i = 0; i < 32; i++) {
		asc[i] = (uint8_t)i;
		desc[i] = (uint8_t)(31 - i);
	}
	/* RFC 3720 B.4: iSCSI SCSI Read (10) command PDU */
	static const uint8_t read_pdu[48] = {
		0x01, 0xc0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
		0x00, 0x00, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0x00,
		0x00, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x18, 0x28, 0x00, 0x00, 0x00,
		0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	};
	impl impls[3];
	size_t n = crc32c_impls(impls);
	for (size_t i = 0; i < n; i++) {
		crc_fn f = impls[i].fn;
		print_message("checking %s\n", impls[i].name);
		assert_int_equal(f(0, "123456789", 9), 0xE3069283u);
		assert_int_equal(f(0, zeros, 32), 0x8A9136AAu);
		assert_int_equal(f(0, ones, 32), 0x62A8AB43u);
		assert_int_equal(f(0, asc, 32), 0x46DD794Eu);
		assert_int_equal(f(0, desc, 32), 0x113FDB5Cu);
		assert_int_equal(f(0, read_pdu, sizeof read_pdu), 0xD9963A56u);
		/* Empty input leaves the value unchanged. */
		assert_int_equal(f(0, "", 0), 0);
		assert_int_equal(f(0x12345678u, NULL, 0), 0x12345678u);
		/* Single bytes go through the byte loop only. */
		assert_int_equal(f(0, "a", 1), 0xC1D04330u);
	}
}

/* crc(crc(0, a), b) == crc(0, a||b) at every split point. */
static void test_crc32c_chaining(void **state)
{
	(void)state;
	enum { LEN = 300 };
	uint8_t buf[LEN];
	fill_random(buf, LEN, 42);
	impl impls[3];
	size_t n = crc32c_impls(impls);
	for (size_t i = 0; i < n; i++) {
		crc_fn f = impls[i].fn;
		const uint32_t whole = f(0, buf, LEN);
		assert_int_equal(whole, ksd_crc32c_sw(0, buf, LEN));
		for (size_t split = 0; split <= LEN; split++)
			assert_int_equal(f(f(0, buf, split), buf + split, LEN - split), whole);
		/* Three pieces, including empty ones. */
		for (size_t a = 0; a <= LEN; a += 7)
			for (size_t b = a; b <= LEN; b += 13) {
				uint32_t c = f(0, buf, a);
				c = f(c, buf + a, b - a);
				c = f(c, buf + b, LEN - b);
				assert_int_equal(c, whole);
			}
		/* "123456789" in two pieces. */
		assert_int_equal(f(f(0, "1234", 4), "56789", 5), 0xE3069283u);
	}
}

/* Every start alignment and many lengths: sw, hw and dispatcher agree. */
static void test_crc32c_sw_hw_equal(void **state)
{
	(void)state;
	enum { LEN = 4096 + 64 };
	uint8_t *buf = malloc(LEN);
	assert_non_null(buf);
	impl impls[3];
	size_t n = crc32c_impls(impls);
	for (uint64_t seed = 1; seed <= 8; seed++) {
		fill_random(buf, LEN, seed * 0x9E3779B97F4A7C15ull);
		for (size_t start = 0; start < 16; start++) {
			static const size_t lens[] = {0, 1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17,
						      31, 32, 33, 63, 64, 65, 255, 1000, 4096};
			for (size_t k = 0; k < sizeof lens / sizeof *lens; k++) {
				size_t len = lens[k];
				uint32_t ref = ksd_crc32c_sw(0, buf + start, len);
				for (size_t i = 0; i < n; i++)
					assert_int_equal(impls[i].fn(0, buf + start, len), ref);
				/* Chaining with a nonzero seed crosses alignments too. */
				uint32_t seed32 = (uint32_t)(seed * 2654435761u);
				uint32_t ref2 = ksd_crc32c_sw(seed32, buf + start, len);
				for (size_t i = 0; i < n; i++)
					assert_int_equal(impls[i].fn(seed32, buf + start, len), ref2);
			}
		}
		/* Random splits at random (unaligned) positions. */
		uint64_t s = seed;
		for (int round = 0; round < 200; round++) {
			size_t start = (size_t)(rng_next(&s) % 64);
			size_t len = (size_t)(rng_next(&s) % (LEN - start));
			size_t split = len ? (size_t)(rng_next(&s) % (len + 1)) : 0;
			uint32_t ref = ksd_crc32c_sw(0, buf + start, len);
			for (size_t i = 0; i < n; i++) {
				crc_fn f = impls[i].fn;
				uint32_t c = f(f(0, buf + start, split), buf + start + split,
					       len - split);
				assert_int_equal(c, ref);
			}
		}
	}
	free(buf);
}

/* A single flipped bit anywhere changes the CRC (the walker relies on it). */
static void test_crc32c_detects_bit_flips(void **state)
{
	(void)state;
	enum { LEN = 257 };
	uint8_t buf[LEN];
	fill_random(buf, LEN, 7);
	const uint32_t good = ksd_crc32c(0, buf, LEN);
	for (size_t i = 0; i < LEN; i++)
		for (int bit = 0; bit < 8; bit++) {
			buf[i] ^= (uint8_t)(1u << bit);
			assert_int_not_equal(ksd_crc32c(0, buf, LEN), good);
			buf[i] ^= (uint8_t)(1u << bit);
		}
	assert_int_equal(ksd_crc32c(0, buf, LEN), good);
}

static void test_crc32_ieee(void **state)
{
	(void)state;
	assert_int_equal(ksd_crc32(0, "123456789", 9), 0xCBF43926u);
	assert_int_equal(ksd_crc32(0, "", 0), 0);
	assert_int_equal(ksd_crc32(0, "a", 1), 0xE8B7BE43u);
	uint8_t zeros[32];
	memset(zeros, 0, sizeof zeros);
	assert_int_equal(ksd_crc32(0, zeros, 32), 0x190A55ADu);
	/* Chains like zlib's crc32. */
	assert_int_equal(ksd_crc32(ksd_crc32(0, "12345", 5), "6789", 4), 0xCBF43926u);
	enum { LEN = 200 };
	uint8_t buf[LEN];
	fill_random(buf, LEN, 99);
	const uint32_t whole = ksd_crc32(0, buf, LEN);
	for (size_t split = 0; split <= LEN; split++)
		assert_int_equal(ksd_crc32(ksd_crc32(0, buf, split), buf + split, LEN - split),
				 whole);
	/* The two algorithms differ (the walker picks one by magic). */
	assert_int_not_equal(ksd_crc32(0, buf, LEN), ksd_crc32c(0, buf, LEN));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_crc32c_known_answers),
		cmocka_unit_test(test_crc32c_chaining),
		cmocka_unit_test(test_crc32c_sw_hw_equal),
		cmocka_unit_test(test_crc32c_detects_bit_flips),
		cmocka_unit_test(test_crc32_ieee),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
