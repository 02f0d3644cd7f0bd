/*
 * libFuzzer target for ksd_decode (src/core/codec.c).
 *
 * Byte 0 steers the run, the rest is the payload:
 *   bits 0-2  codec id (0-7: ids 5-7 must come back UNSUPPORTED)
 *   bits 3-4  batch magic (0-3: lz4 header checksum rules, zstd magic 2 only)
 *   bit  5    tight limits (64 KiB cap, 20x above 4 KiB) instead of loose ones
 *   bit  6    round trip: the payload is plaintext; encode it with the
 *             reference library (zlib, xerial-framed snappy, liblz4 frame
 *             with independent blocks, zstd) and the decode must give it
 *             back exactly
 *
 * The decoders live across inputs on purpose, as in the scanner, so that
 * buffer reuse between calls is exercised too.  Invariants that hold for
 * any input are checked with __builtin_trap().
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <lz4frame.h>
#include <snappy-c.h>
#include <zlib.h>
#include <zstd.h>

#include "ksd/codec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                        \
	do {                               \
		if (!(cond))               \
			__builtin_trap();  \
	} while (0)

static const ksd_decoder_limits LOOSE = { 4u << 20, 1u << 20, 1000 };
static const ksd_decoder_limits TIGHT = { 64u << 10, 4u << 10, 20 };

static ksd_decoder *decoder(bool tight)
{
	static ksd_decoder *loose_dec, *tight_dec;
	ksd_decoder **slot = tight ? &tight_dec : &loose_dec;
	if (!*slot)
		CHECK(ksd_decoder_new(tight ? &TIGHT : &LOOSE, slot) == KSD_OK);
	return *slot;
}

/* Reads every output byte, so ASan sees a length that overstates the
 * buffer. */
static void touch(const uint8_t *p, size_t n)
{
	volatile uint8_t acc = 0;
	for (size_t i = 0; i < n; i++)
		acc ^= p[i];
	(void)acc;
}

static void check_invariants(const ksd_decoder_limits *lim, int codec,
			     size_t in_len, ksd_decode_status st,
			     const uint8_t *out, size_t out_len,
			     const ksd_decode_info *info)
{
	CHECK(info->detail != NULL);
	CHECK(out != NULL);
	if (codec < 0 || codec > KSD_CODEC_ZSTD)
		CHECK(st == KSD_DECODE_UNSUPPORTED);
	if (codec != KSD_CODEC_NONE)
		CHECK(out_len <= lim->max_output);
	if (st != KSD_DECODE_OK)
		CHECK(info->error_offset <= in_len);
	if (st == KSD_DECODE_OK && codec == KSD_CODEC_NONE)
		CHECK(out_len == in_len);
	touch(out, out_len);
}

/* --- reference encoders for the round trip ---------------------------- */

static uint8_t *gzip_encode(const uint8_t *src, size_t n, size_t *len)
{
	z_stream zs;
	memset(&zs, 0, sizeof zs);
	if (deflateInit2(&zs, 6, Z_DEFLATED, 16 + MAX_WBITS, 8,
			 Z_DEFAULT_STRATEGY) != Z_OK)
		return NULL;
	size_t bound = deflateBound(&zs, n);
	uint8_t *dst = malloc(bound);
	if (dst) {
		zs.next_in = (Bytef *)src;
		zs.avail_in = (uInt)n;
		zs.next_out = dst;
		zs.avail_out = (uInt)bound;
		CHECK(deflate(&zs, Z_FINISH) == Z_STREAM_END);
		*len = bound - zs.avail_out;
	}
	deflateEnd(&zs);
	return dst;
}

static void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* xerial framing around 1 KiB snappy blocks (Kafka <= 0.10.2 sizes). */
static uint8_t *snappy_encode(const uint8_t *src, size_t n, size_t *len)
{
	static const uint8_t header[16] = { 0x82, 'S', 'N', 'A', 'P', 'P', 'Y', 0,
					    0, 0, 0, 1, 0, 0, 0, 1 };
	const size_t block = 1024;
	size_t blocks = n / block + 1;
	size_t cap = 16 + blocks * (4 + snappy_max_compressed_length(block));
	uint8_t *dst = malloc(cap);
	if (!dst)
		return NULL;
	memcpy(dst, header, 16);
	size_t pos = 16;
	for (size_t off = 0; off < n; off += block) {
		size_t chunk = n - off < block ? n - off : block;
		size_t clen = cap - pos - 4;
		CHECK(snappy_compress((const char *)src + off, chunk,
				      (char *)dst + pos + 4, &clen) == SNAPPY_OK);
		put_be32(dst + pos, (uint32_t)clen);
		pos += 4 + clen;
	}
	*len = pos;
	return dst;
}

static uint8_t *lz4_encode(const uint8_t *src, size_t n, size_t *len)
{
	LZ4F_preferences_t prefs;
	memset(&prefs, 0, sizeof prefs);
	/* Kafka refuses dependent blocks; checksums exercise XXH32. */
	prefs.frameInfo.blockMode = LZ4F_blockIndependent;
	prefs.frameInfo.blockChecksumFlag = n & 1 ? LZ4F_blockChecksumEnabled
						  : LZ4F_noBlockChecksum;
	prefs.frameInfo.contentChecksumFlag = LZ4F_contentChecksumEnabled;
	size_t bound = LZ4F_compressFrameBound(n, &prefs);
	uint8_t *dst = malloc(bound);
	if (!dst)
		return NULL;
	size_t r = LZ4F_compressFrame(dst, bound, src, n, &prefs);
	CHECK(!LZ4F_isError(r));
	*len = r;
	return dst;
}

static uint8_t *zstd_encode(const uint8_t *src, size_t n, size_t *len)
{
	size_t bound = ZSTD_compressBound(n);
	uint8_t *dst = malloc(bound);
	if (!dst)
		return NULL;
	size_t r = ZSTD_compress(dst, bound, src, n, 1);
	CHECK(!ZSTD_isError(r));
	*len = r;
	return dst;
}

static void round_trip(int codec, const uint8_t *plain, size_t n)
{
	uint8_t *enc = NULL;
	size_t enc_len = 0;
	switch (codec) {
	case KSD_CODEC_GZIP:
		enc = gzip_encode(plain, n, &enc_len);
		break;
	case KSD_CODEC_SNAPPY:
		enc = snappy_encode(plain, n, &enc_len);
		break;
	case KSD_CODEC_LZ4:
		enc = lz4_encode(plain, n, &enc_len);
		break;
	case KSD_CODEC_ZSTD:
		enc = zstd_encode(plain, n, &enc_len);
		break;
	default:
		return;
	}
	if (!enc)
		return;
	/* Inputs stay far below the loose limits, so the decode must work;
	 * magic 2 is valid for every codec. */
	const uint8_t *out = NULL;
	size_t out_len = 0;
	ksd_decode_info info;
	ksd_decode_status st = ksd_decode(decoder(false), codec, 2, enc, enc_len,
					  &out, &out_len, &info);
	if (n <= LOOSE.ratio_floor) {
		CHECK(st == KSD_DECODE_OK);
		CHECK(out_len == n);
		CHECK(n == 0 || memcmp(out, plain, n) == 0);
	}
	free(enc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	int codec = data[0] & 7;
	int magic = (data[0] >> 3) & 3;
	bool tight = data[0] & 0x20;
	const uint8_t *in = data + 1;
	size_t in_len = size - 1;
	if (data[0] & 0x40) {
		round_trip(codec, in, in_len);
		return 0;
	}
	const uint8_t *out = NULL;
	size_t out_len = 0;
	ksd_decode_info info;
	ksd_decode_status st = ksd_decode(decoder(tight), codec, magic, in,
					  in_len, &out, &out_len, &info);
	check_invariants(tight ? &TIGHT : &LOOSE, codec, in_len, st, out, out_len,
			 &info);
	return 0;
}
