/*
 * CRC-32C and CRC-32 for Kafka's on-disk formats (kafka-facts.md §1.8).
 *
 * CRC-32C: the SSE4.2 `crc32` instruction when the CPU has it (9 GB/s on
 * this machine kind, perf-limits.md), else a slicing-by-8 table (~1-2 GB/s).
 * The choice is made once per call site through a cached CPUID probe; the
 * table is built at compile time so there is no init race between threads.
 */
#include "ksd/crc.h"

#include <pthread.h>
#include <stdbool.h>
#include <string.h>
#include <libdeflate.h>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#include <nmmintrin.h>
#define KSD_HAVE_X86 1
#endif

/* Reflected Castagnoli polynomial. */
#define CRC32C_POLY 0x82F63B78u

/* Slicing-by-8 tables, generated once on first use of the software path. */
static uint32_t crc32c_table[8][256];
static pthread_once_t crc32c_table_once = PTHREAD_ONCE_INIT;

static void crc32c_build_table(void)
{
	for (uint32_t n = 0; n < 256; n++) {
		uint32_t c = n;
		for (int k = 0; k < 8; k++)
			c = c & 1 ? (c >> 1) ^ CRC32C_POLY : c >> 1;
		crc32c_table[0][n] = c;
	}
	for (uint32_t n = 0; n < 256; n++) {
		uint32_t c = crc32c_table[0][n];
		for (int t = 1; t < 8; t++) {
			c = crc32c_table[0][c & 0xff] ^ (c >> 8);
			crc32c_table[t][n] = c;
		}
	}
}

uint32_t ksd_crc32c_sw(uint32_t crc, const void *buf, size_t len)
{
	pthread_once(&crc32c_table_once, crc32c_build_table);
	const uint8_t *p = buf;
	uint32_t c = ~crc;
	while (len >= 8) {
		uint32_t lo, hi;
		memcpy(&lo, p, 4);
		memcpy(&hi, p + 4, 4);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
		lo = __builtin_bswap32(lo);
		hi = __builtin_bswap32(hi);
#endif
		lo ^= c;
		c = crc32c_table[7][lo & 0xff] ^ crc32c_table[6][(lo >> 8) & 0xff] ^
		    crc32c_table[5][(lo >> 16) & 0xff] ^ crc32c_table[4][lo >> 24] ^
		    crc32c_table[3][hi & 0xff] ^ crc32c_table[2][(hi >> 8) & 0xff] ^
		    crc32c_table[1][(hi >> 16) & 0xff] ^ crc32c_table[0][hi >> 24];
		p += 8;
		len -= 8;
	}
	while (len--)
		c = crc32c_table[0][(c ^ *p++) & 0xff] ^ (c >> 8);
	return ~c;
}

#ifdef KSD_HAVE_X86
__attribute__((target("sse4.2")))
uint32_t ksd_crc32c_hw(uint32_t crc, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	uint64_t c = ~crc;
	while (len && ((uintptr_t)p & 7)) {
		c = _mm_crc32_u8((uint32_t)c, *p++);
		len--;
	}
	while (len >= 8) {
		uint64_t w;
		memcpy(&w, p, 8);
		c = _mm_crc32_u64(c, w);
		p += 8;
		len -= 8;
	}
	while (len--)
		c = _mm_crc32_u8((uint32_t)c, *p++);
	return ~(uint32_t)c;
}

int ksd_crc32c_hw_available(void)
{
	static int cached = -1;
	int v = __atomic_load_n(&cached, __ATOMIC_RELAXED);
	if (v < 0) {
		unsigned a, b, c, d;
		v = __get_cpuid(1, &a, &b, &c, &d) && (c & bit_SSE4_2) ? 1 : 0;
		__atomic_store_n(&cached, v, __ATOMIC_RELAXED);
	}
	return v;
}
#else
uint32_t ksd_crc32c_hw(uint32_t crc, const void *buf, size_t len)
{
	return ksd_crc32c_sw(crc, buf, len);
}

int ksd_crc32c_hw_available(void) { return 0; }
#endif

uint32_t ksd_crc32c(uint32_t crc, const void *buf, size_t len)
{
	if (ksd_crc32c_hw_available())
		return ksd_crc32c_hw(crc, buf, len);
	return ksd_crc32c_sw(crc, buf, len);
}

/* libdeflate's CRC-32 (PCLMULQDQ folding where the CPU has it): 2.2x
 * zlib's on 16 KiB batches, 6x on 300-byte v0/v1 messages (README, "Why
 * libdeflate").  Same polynomial and conventions as java.util.zip.CRC32. */
uint32_t ksd_crc32(uint32_t crc, const void *buf, size_t len)
{
	return libdeflate_crc32(crc, buf, len);
}
