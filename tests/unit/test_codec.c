/*
 * Unit tests for src/core/codec.c: round trips for every codec built with
 * the reference libraries, Kafka's framing quirks (xerial snappy, the
 * KAFKA-3160 lz4 header checksum, zstd in magic 2 only), damaged inputs
 * with one defect each, and the output cap and bomb guard.
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

#include <lz4.h>
#include <lz4frame.h>
#include <snappy-c.h>
#include <zlib.h>
#include <zstd.h>

#include "ksd/codec.h"

/* Internal to codec.c, exported for these known-answer tests only. */
uint32_t ksd_codec_xxh32(const void *data, size_t len, uint32_t seed);

#define KIB ((size_t)1 << 10)
#define MIB ((size_t)1 << 20)

/*
 * Cross-check bytes from independent implementations, generated once with
 * Debian's python3-lz4 4.0.2 and python3-kafka 2.0.2 (python-snappy):
 *
 *   payload = b"".join(b"record-%03d:ksegdoctor cross-check;" % i
 *                      for i in range(12))                  # 408 bytes
 *   lz4.frame.compress(payload, block_size=lz4.frame.BLOCKSIZE_MAX64KB,
 *                      block_linked=False, content_checksum=True,
 *                      block_checksum=True, store_size=True,
 *                      compression_level=0)
 *   kafka.codec.snappy_encode(payload, xerial_compatible=True,
 *                             xerial_blocksize=128)
 *
 * The lz4 frame sets every optional FLG bit (block and content checksums,
 * content size) with a standard header checksum; the xerial stream has
 * four chunks.
 */
static const uint8_t PY_LZ4_FRAME[130] = {
	0x04, 0x22, 0x4d, 0x18, 0x7c, 0x40, 0x98, 0x01, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x3e, 0x63, 0x00, 0x00, 0x00, 0xf5, 0x13, 0x72, 0x65, 0x63,
	0x6f, 0x72, 0x64, 0x2d, 0x30, 0x30, 0x30, 0x3a, 0x6b, 0x73, 0x65, 0x67,
	0x64, 0x6f, 0x63, 0x74, 0x6f, 0x72, 0x20, 0x63, 0x72, 0x6f, 0x73, 0x73,
	0x2d, 0x63, 0x68, 0x65, 0x63, 0x6b, 0x3b, 0x22, 0x00, 0x1f, 0x31, 0x22,
	0x00, 0x0e, 0x1f, 0x32, 0x22, 0x00, 0x0e, 0x1f, 0x33, 0x22, 0x00, 0x0e,
	0x1f, 0x34, 0x22, 0x00, 0x0e, 0x1f, 0x35, 0x22, 0x00, 0x0e, 0x1f, 0x36,
	0x22, 0x00, 0x0e, 0x1f, 0x37, 0x22, 0x00, 0x0e, 0x1f, 0x38, 0x22, 0x00,
	0x0e, 0x1f, 0x39, 0x22, 0x00, 0x0d, 0x1f, 0x31, 0x54, 0x01, 0x0e, 0x1f,
	0x31, 0x54, 0x01, 0x01, 0x50, 0x68, 0x65, 0x63, 0x6b, 0x3b, 0xa5, 0x8e,
	0x61, 0xe2, 0x00, 0x00, 0x00, 0x00, 0x21, 0xf9, 0xd7, 0x00,
};

static const uint8_t PY_KAFKA_XERIAL[228] = {
	0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00, 0x00, 0x00, 0x00, 0x01,
	0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x37, 0x80, 0x01, 0x88, 0x72,
	0x65, 0x63, 0x6f, 0x72, 0x64, 0x2d, 0x30, 0x30, 0x30, 0x3a, 0x6b, 0x73,
	0x65, 0x67, 0x64, 0x6f, 0x63, 0x74, 0x6f, 0x72, 0x20, 0x63, 0x72, 0x6f,
	0x73, 0x73, 0x2d, 0x63, 0x68, 0x65, 0x63, 0x6b, 0x3b, 0x72, 0x11, 0x22,
	0x00, 0x31, 0x82, 0x22, 0x00, 0x00, 0x32, 0x82, 0x22, 0x00, 0x00, 0x33,
	0x3e, 0x22, 0x00, 0x00, 0x00, 0x00, 0x3d, 0x80, 0x01, 0x88, 0x73, 0x2d,
	0x63, 0x68, 0x65, 0x63, 0x6b, 0x3b, 0x72, 0x65, 0x63, 0x6f, 0x72, 0x64,
	0x2d, 0x30, 0x30, 0x34, 0x3a, 0x6b, 0x73, 0x65, 0x67, 0x64, 0x6f, 0x63,
	0x74, 0x6f, 0x72, 0x20, 0x63, 0x72, 0x6f, 0x73, 0x73, 0x3e, 0x22, 0x00,
	0x00, 0x35, 0x82, 0x22, 0x00, 0x00, 0x36, 0x82, 0x22, 0x00, 0x20, 0x37,
	0x3a, 0x6b, 0x73, 0x65, 0x67, 0x64, 0x6f, 0x63, 0x00, 0x00, 0x00, 0x36,
	0x80, 0x01, 0x88, 0x74, 0x6f, 0x72, 0x20, 0x63, 0x72, 0x6f, 0x73, 0x73,
	0x2d, 0x63, 0x68, 0x65, 0x63, 0x6b, 0x3b, 0x72, 0x65, 0x63, 0x6f, 0x72,
	0x64, 0x2d, 0x30, 0x30, 0x38, 0x3a, 0x6b, 0x73, 0x65, 0x67, 0x64, 0x6f,
	0x63, 0x74, 0x5e, 0x22, 0x00, 0x00, 0x39, 0x7e, 0x22, 0x00, 0x04, 0x31,
	0x30, 0x82, 0x22, 0x00, 0x00, 0x31, 0x00, 0x00, 0x00, 0x1a, 0x18, 0x5c,
	0x3a, 0x6b, 0x73, 0x65, 0x67, 0x64, 0x6f, 0x63, 0x74, 0x6f, 0x72, 0x20,
	0x63, 0x72, 0x6f, 0x73, 0x73, 0x2d, 0x63, 0x68, 0x65, 0x63, 0x6b, 0x3b,
};


static size_t xcheck_payload(uint8_t *buf, size_t cap)
{
	size_t len = 0;
	for (int i = 0; i < 12; i++) {
		int n = snprintf((char *)buf + len, cap - len,
				 "record-%03d:ksegdoctor cross-check;", i);
		len += (size_t)n;
	}
	return len;
}

/* --- byte builders --------------------------------------------------- */

typedef struct bytes {
	uint8_t *p;
	size_t len, cap;
} bytes;

static void bytes_reserve(bytes *b, size_t n)
{
	if (b->len + n <= b->cap)
		return;
	size_t cap = b->cap ? b->cap : 256;
	while (cap < b->len + n)
		cap *= 2;
	b->p = realloc(b->p, cap);
	assert_non_null(b->p);
	b->cap = cap;
}

static void put(bytes *b, const void *src, size_t n)
{
	bytes_reserve(b, n);
	if (n)
		memcpy(b->p + b->len, src, n);
	b->len += n;
}

static void put_u8(bytes *b, uint8_t v)
{
	put(b, &v, 1);
}

static void put_be32(bytes *b, uint32_t v)
{
	uint8_t x[4] = { v >> 24, v >> 16, v >> 8, v };
	put(b, x, 4);
}

static void put_le32(bytes *b, uint32_t v)
{
	uint8_t x[4] = { v, v >> 8, v >> 16, v >> 24 };
	put(b, x, 4);
}

static void put_le64(bytes *b, uint64_t v)
{
	put_le32(b, (uint32_t)v);
	put_le32(b, (uint32_t)(v >> 32));
}

static void bytes_free(bytes *b)
{
	free(b->p);
	*b = (bytes){ 0 };
}

/* Mostly text with stretches of noise: compresses a few times, not 1000x. */
static uint8_t *make_payload(size_t n, uint32_t seed)
{
	static const char text[] = "kafka log segment record batch ";
	uint8_t *p = malloc(n ? n : 1);
	assert_non_null(p);
	uint32_t x = seed * 2654435761u + 1;
	for (size_t i = 0; i < n; i++) {
		x = x * 1103515245u + 12345u;
		p[i] = (i / 64) % 4 == 3 ? (uint8_t)(x >> 24)
					 : (uint8_t)text[i % (sizeof text - 1)];
	}
	return p;
}

/* --- encoders built on the reference libraries -------------------------- */

static void gzip_append(bytes *b, const uint8_t *src, size_t n, int level)
{
	z_stream zs = { 0 };
	assert_int_equal(deflateInit2(&zs, level, Z_DEFLATED, 16 + MAX_WBITS, 8,
				      Z_DEFAULT_STRATEGY),
			 Z_OK);
	size_t bound = deflateBound(&zs, n);
	bytes_reserve(b, bound);
	zs.next_in = (Bytef *)src;
	zs.avail_in = (uInt)n;
	zs.next_out = b->p + b->len;
	zs.avail_out = (uInt)bound;
	assert_int_equal(deflate(&zs, Z_FINISH), Z_STREAM_END);
	b->len += bound - zs.avail_out;
	deflateEnd(&zs);
}

static const uint8_t XERIAL_MAGIC[8] = { 0x82, 'S', 'N', 'A', 'P', 'P', 'Y', 0 };

static void xerial_header(bytes *b, int32_t version)
{
	put(b, XERIAL_MAGIC, 8);
	put_be32(b, (uint32_t)version);
	put_be32(b, 1);
}

static void snappy_raw_append(bytes *b, const uint8_t *src, size_t n)
{
	size_t clen = snappy_max_compressed_length(n);
	bytes_reserve(b, clen);
	assert_int_equal(snappy_compress((const char *)src, n,
					 (char *)b->p + b->len, &clen),
			 SNAPPY_OK);
	b->len += clen;
}

/* xerial chunks: int32 BE length + raw snappy block per `block` bytes. */
static void xerial_chunks(bytes *b, const uint8_t *src, size_t n, size_t block)
{
	for (size_t off = 0; off < n; off += block) {
		size_t len = n - off < block ? n - off : block;
		size_t at = b->len;
		put_be32(b, 0);
		snappy_raw_append(b, src + off, len);
		uint32_t clen = (uint32_t)(b->len - at - 4);
		b->p[at] = clen >> 24;
		b->p[at + 1] = clen >> 16;
		b->p[at + 2] = clen >> 8;
		b->p[at + 3] = clen;
	}
}

enum hc_kind { HC_STANDARD, HC_LEGACY, HC_BAD };

typedef struct lz4_opts {
	uint8_t flg_extra; /* 0x10 block csum, 0x08 content size, 0x04 content csum */
	unsigned bd_code;  /* 4..7; 0 means 4 */
	enum hc_kind hc;
	bool store;        /* write blocks uncompressed (high bit) */
	size_t block;      /* input bytes per block; 0 means the max block */
	bool no_end_mark;
} lz4_opts;

static uint8_t lz4_hc(const bytes *b, size_t start, enum hc_kind kind)
{
	const uint8_t *f = b->p + start;
	size_t desc_end = b->len - start;
	uint8_t standard = (ksd_codec_xxh32(f + 4, desc_end - 4, 0) >> 8) & 0xFF;
	uint8_t legacy = (ksd_codec_xxh32(f, desc_end, 0) >> 8) & 0xFF;
	if (kind == HC_STANDARD)
		return standard;
	if (kind == HC_LEGACY)
		return legacy;
	uint8_t bad = standard + 1;
	while (bad == standard || bad == legacy)
		bad++;
	return bad;
}

static void lz4_block_append(bytes *b, const uint8_t *src, size_t n,
			     const lz4_opts *o)
{
	size_t at = b->len;
	if (o->store) {
		put_le32(b, (uint32_t)n | 0x80000000u);
		put(b, src, n);
	} else {
		int bound = LZ4_compressBound((int)n);
		put_le32(b, 0);
		bytes_reserve(b, (size_t)bound);
		int c = LZ4_compress_default((const char *)src,
					     (char *)b->p + b->len, (int)n, bound);
		assert_true(c > 0);
		b->len += (size_t)c;
		b->p[at] = (uint8_t)c;
		b->p[at + 1] = (uint8_t)(c >> 8);
		b->p[at + 2] = (uint8_t)(c >> 16);
		b->p[at + 3] = (uint8_t)(c >> 24);
	}
	if (o->flg_extra & 0x10)
		put_le32(b, ksd_codec_xxh32(b->p + at + 4, b->len - at - 4, 0));
}

/* An LZ4 frame the way Kafka's Lz4BlockOutputStream writes one, with
 * knobs for everything the reader has to cope with. */
static void lz4_build(bytes *b, const uint8_t *src, size_t n, const lz4_opts *o)
{
	unsigned code = o->bd_code ? o->bd_code : 4;
	size_t max_block = (size_t)1 << (8 + 2 * code);
	size_t block = o->block ? o->block : max_block;
	size_t start = b->len;
	put_le32(b, 0x184D2204u);
	put_u8(b, 0x40 | 0x20 | o->flg_extra);
	put_u8(b, (uint8_t)(code << 4));
	if (o->flg_extra & 0x08)
		put_le64(b, n);
	put_u8(b, lz4_hc(b, start, o->hc));
	for (size_t off = 0; off < n; off += block)
		lz4_block_append(b, src + off, n - off < block ? n - off : block, o);
	if (o->no_end_mark)
		return;
	put_le32(b, 0);
	if (o->flg_extra & 0x04)
		put_le32(b, ksd_codec_xxh32(src, n, 0));
}

static void zstd_append(bytes *b, const uint8_t *src, size_t n)
{
	size_t bound = ZSTD_compressBound(n);
	bytes_reserve(b, bound);
	size_t c = ZSTD_compress(b->p + b->len, bound, src, n, 3);
	assert_false(ZSTD_isError(c));
	b->len += c;
}

/* As zstd-jni's ZstdOutputStream writes: streaming, no content size. */
static void zstd_stream_append(bytes *b, const uint8_t *src, size_t n)
{
	ZSTD_CCtx *c = ZSTD_createCCtx();
	assert_non_null(c);
	assert_false(ZSTD_isError(ZSTD_CCtx_setParameter(c, ZSTD_c_contentSizeFlag, 0)));
	ZSTD_inBuffer in = { src, n, 0 };
	for (ZSTD_EndDirective mode = ZSTD_e_continue;;) {
		bytes_reserve(b, ZSTD_CStreamOutSize());
		ZSTD_outBuffer out = { b->p + b->len, ZSTD_CStreamOutSize(), 0 };
		size_t left = ZSTD_compressStream2(c, &out, &in, mode);
		assert_false(ZSTD_isError(left));
		b->len += out.pos;
		if (mode == ZSTD_e_end && left == 0)
			break;
		if (in.pos == in.size)
			mode = ZSTD_e_end;
	}
	ZSTD_freeCCtx(c);
}

/* --- decode helpers ---------------------------------------------------- */

static ksd_decoder *new_decoder(size_t max_output, size_t ratio_floor,
				unsigned max_ratio)
{
	ksd_decoder_limits lim = { max_output, ratio_floor, max_ratio };
	ksd_decoder *d = NULL;
	assert_int_equal(ksd_decoder_new(&lim, &d), KSD_OK);
	assert_non_null(d);
	return d;
}

static ksd_decoder *default_decoder(void)
{
	ksd_decoder *d = NULL;
	assert_int_equal(ksd_decoder_new(NULL, &d), KSD_OK);
	assert_non_null(d);
	return d;
}

static ksd_decode_status decode(ksd_decoder *d, int codec, int magic,
				const uint8_t *in, size_t in_len,
				ksd_decode_info *info, size_t *out_len)
{
	const uint8_t *out = NULL;
	size_t len = 0;
	ksd_decode_info local;
	if (!info)
		info = &local;
	ksd_decode_status st =
		ksd_decode(d, codec, magic, in, in_len, &out, &len, info);
	/* Invariants of every call, whatever the input. */
	assert_non_null(info->detail);
	assert_non_null(out);
	if (st != KSD_DECODE_OK)
		assert_true(info->error_offset <= in_len);
	if (out_len)
		*out_len = len;
	return st;
}

static void expect_payload(ksd_decoder *d, int codec, int magic,
			   const uint8_t *in, size_t in_len,
			   const uint8_t *want, size_t want_len,
			   ksd_decode_info *info)
{
	const uint8_t *out = NULL;
	size_t len = 0;
	ksd_decode_info local;
	if (!info)
		info = &local;
	ksd_decode_status st =
		ksd_decode(d, codec, magic, in, in_len, &out, &len, info);
	if (st != KSD_DECODE_OK)
		fail_msg("status %s: %s at %zu", ksd_decode_status_name(st),
			 info->detail, info->error_offset);
	assert_string_equal(info->detail, "ok");
	assert_int_equal(len, want_len);
	if (want_len)
		assert_memory_equal(out, want, want_len);
}

static void expect_status(ksd_decoder *d, int codec, int magic,
			  const uint8_t *in, size_t in_len,
			  ksd_decode_status want)
{
	ksd_decode_info info;
	ksd_decode_status st = decode(d, codec, magic, in, in_len, &info, NULL);
	if (st != want)
		fail_msg("want %s, got %s (%s at %zu)", ksd_decode_status_name(want),
			 ksd_decode_status_name(st), info.detail, info.error_offset);
}

/* Every strict prefix of a valid stream is TRUNCATED. */
static void expect_prefixes_truncated(ksd_decoder *d, int codec, int magic,
				      const bytes *b)
{
	for (size_t n = 0; n < b->len; n++) {
		ksd_decode_info info;
		ksd_decode_status st = decode(d, codec, magic, b->p, n, &info, NULL);
		if (st != KSD_DECODE_TRUNCATED)
			fail_msg("prefix %zu/%zu: %s (%s)", n, b->len,
				 ksd_decode_status_name(st), info.detail);
	}
}

/* --- names, XXH32, pass-through ---------------------------------------- */

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(ksd_codec_name(0), "none");
	assert_string_equal(ksd_codec_name(1), "gzip");
	assert_string_equal(ksd_codec_name(2), "snappy");
	assert_string_equal(ksd_codec_name(3), "lz4");
	assert_string_equal(ksd_codec_name(4), "zstd");
	assert_null(ksd_codec_name(5));
	assert_null(ksd_codec_name(-1));
	for (int st = KSD_DECODE_OK; st <= KSD_DECODE_NOMEM; st++)
		assert_string_not_equal(ksd_decode_status_name(st), "unknown");
	assert_string_equal(ksd_decode_status_name(KSD_DECODE_OVER_CAP), "over-cap");
	assert_string_equal(ksd_decode_status_name((ksd_decode_status)99), "unknown");
}

static void test_default_limits(void **state)
{
	(void)state;
	assert_int_equal(KSD_DECODER_DEFAULT_LIMITS.max_output, 256 * MIB);
	assert_int_equal(KSD_DECODER_DEFAULT_LIMITS.ratio_floor, 16 * MIB);
	assert_int_equal(KSD_DECODER_DEFAULT_LIMITS.max_ratio, 1000);
	assert_int_equal(ksd_decoder_new(NULL, NULL), KSD_ERR_INVAL);
	ksd_decoder_free(NULL);
}

static void test_xxh32_vectors(void **state)
{
	(void)state;
	assert_int_equal(ksd_codec_xxh32("", 0, 0), 0x02CC5D05u);
	assert_int_equal(ksd_codec_xxh32("a", 1, 0), 0x550D7456u);
	assert_int_equal(ksd_codec_xxh32("abc", 3, 0), 0x32D153FFu);
	/* Longer inputs (the 16-byte stripe path) against liblz4's own XXH32:
	 * the frame's content checksum is XXH32(content, seed 0). */
	for (size_t n = 1; n <= 1000; n += 37) {
		uint8_t *src = make_payload(n, (uint32_t)n);
		LZ4F_preferences_t prefs = { 0 };
		prefs.frameInfo.contentChecksumFlag = LZ4F_contentChecksumEnabled;
		size_t bound = LZ4F_compressFrameBound(n, &prefs);
		uint8_t *f = malloc(bound);
		assert_non_null(f);
		size_t flen = LZ4F_compressFrame(f, bound, src, n, &prefs);
		assert_false(LZ4F_isError(flen));
		uint32_t want = (uint32_t)f[flen - 4] | (uint32_t)f[flen - 3] << 8 |
				(uint32_t)f[flen - 2] << 16 | (uint32_t)f[flen - 1] << 24;
		assert_int_equal(ksd_codec_xxh32(src, n, 0), want);
		free(f);
		free(src);
	}
}

static void test_none_passthrough(void **state)
{
	(void)state;
	ksd_decoder *d = default_decoder();
	static const uint8_t in[] = "plain bytes";
	const uint8_t *out = NULL;
	size_t len = 0;
	ksd_decode_info info;
	assert_int_equal(ksd_decode(d, KSD_CODEC_NONE, 2, in, sizeof in, &out,
				    &len, &info),
			 KSD_DECODE_OK);
	assert_ptr_equal(out, in);
	assert_int_equal(len, sizeof in);
	assert_string_equal(info.detail, "ok");
	ksd_decoder_free(d);
}

static void test_unknown_codec(void **state)
{
	(void)state;
	ksd_decoder *d = default_decoder();
	static const uint8_t in[] = { 1, 2, 3 };
	expect_status(d, 5, 2, in, sizeof in, KSD_DECODE_UNSUPPORTED);
	expect_status(d, 7, 1, in, sizeof in, KSD_DECODE_UNSUPPORTED);
	expect_status(d, -1, 2, in, sizeof in, KSD_DECODE_UNSUPPORTED);
	ksd_decoder_free(d);
}

/* --- gzip -------------------------------------------------------------- */

static void test_gzip_roundtrip(void **state)
{
	(void)state;
	ksd_decoder *d = default_decoder();
	static const size_t sizes[] = { 0, 1, 1000, 200 * KIB };
	for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
		uint8_t *src = make_payload(sizes[i], 1);
		bytes b = { 0 };
		gzip_append(&b, src, sizes[i], 6);
		ksd_decode_info info;
		expect_payload(d, KSD_CODEC_GZIP, 2, b.p, b.len, src, sizes[i], &info);
		assert_false(info.gzip_multi_member);
		bytes_free(&b);
		free(src);
	}
	ksd_decoder_free(d);
}

static void test_gzip_two_members(void **state)
{
	(void)state;
	ksd_decoder *d = default_decoder();
	uint8_t *src = make_payload(50000, 2);
	bytes b = { 0 };
	gzip_append(&b, src, 20000, 6);
	gzip_append(&b, src + 20000, 30000, 1);
	ksd_decode_info info;
	expect_payload(d, KSD_CODEC_GZIP, 1, b.p, b.len, src, 50000, &info);
	assert_true(info.gzip_multi_member);
	/* The second member cut short is still a truncated stream. */
	expect_status(d, KSD_CODEC_GZIP, 1, b.p, b.len - 5, KSD_DECODE_TRUNCATED);
	bytes_free(&b);
	free(src);
	ksd_decoder_free(d);
}

static void test_gzip_trailing_bytes(void **state)
{
	(void)state;
	ksd_decoder *d = default_decoder();
	uint8_t *src = make_payload(3000, 3);
	bytes b = { 0 };
	gzip_append(&b, src, 3000, 6);
	put(&b, "junk after the member", 21);
	/* GZIPInputStream ignores bytes that do not start a new member. */
	const uint8_t *out;
	size_t len;
	ksd_decode_info info;
	assert_int_equal(ksd_decode(d, KSD_CODEC_GZIP, 2, b.p, b.len, &out, &len,
				    &info),
			 KSD_DECODE_OK);
	assert_int_equal(len, 3000);
	assert_memory_equal(out, src, 3000);
	assert_false(info.gzip_multi_member);
	assert_non_null(strstr(info.detail, "ignored"));
	bytes_free(&b);
	free(src);
	ksd_decoder_free(d);
}

static void test_gzip_truncated(void **state)
{
	(void)state;
	ksd_decoder *d = default_decoder();
	uint8_t *src = make_payload(700, 4);
	bytes b = { 0 };
	gzip_append(&b, src, 700, 6);
	expect_prefixes_truncated(d, KSD_CODEC_GZIP, 2, &b);
	bytes_free(&b);
	free(src);
	ksd_decoder_free(d);
}

static void test_gzip_corrupt(void **state)
{
	(void)state;
	ksd_decoder *d = default_decoder();
	uint8_t *src = make_payload(5000, 5);
	bytes b = { 0 };
	gzip_append(&b, src, 5000, 6);
	/* A CRC-32 trailer bit flip. */
	b.p[b.len - 6] ^= 0x01;
	ksd_decode_info info;
	assert_int_equal(decode(d, KSD_CODEC_GZIP, 2, b.p, b.len, &info, NULL),
			 KSD_DECODE_CORRUPT);
	assert_true(info.error_offset > 0);
	b.p[b.len - 6] ^= 0x01;
	/* Not a gzip header at all. */
	b.p[0] = 0x1e;
	expect_status(d, KSD_CODEC_GZIP, 2, b.p, b.len, KSD_DECODE_CORRUPT);
	b.p[0] = 0x1f;
	/* Compression method other than deflate. */
	b.p[2] = 7;
	expect_status(d, KSD_CODEC_GZIP, 2, b.p, b.len, KSD_DECODE_CORRUPT);
	bytes_free(&b);
	free(src);
	ksd_decoder_free(d);
}

/* --- snappy (xerial framing) --------------------------------------------- */

static void test_snappy_xerial_roundtrip(void **state)
{
	(void)state;
	ksd_decoder *d = default_decoder();
	uint8_t *src = make_payload(100 * KIB, 6);
	bytes b = { 0 };
	xerial_header(&b, 1);
	xerial_chunks(&b, src, 100 * KIB, 32 * KIB);
	ksd_decode_info info;
	expect_payload(d, KSD_CODEC_SNAPPY, 2, b.p, b.len, src, 100 * KIB, &info);
	assert_false(info.snappy_raw);
	/* The 1 KiB blocks of Kafka <= 0.10.2. */
	bytes_free(&b);
	xerial_header(&b, 1);
	xerial_chunks(&b, src, 10 * KIB, 1 * KIB);
	expect_payload(d, KSD_CODEC_SNAPPY, 0, b.p, b.len, src, 10 * KIB, NULL);
	/* A header alone is an empty stream. */
	bytes_free(&b);
	xerial_header(&b, 1);
	expect_payload(d, KSD_CODEC_SNAPPY, 1, b.p, b.len, src, 0, NULL);
	bytes_free(&b);
	free(src);
	ksd_decoder_free(d);
}

static void test_snappy_repeated_header(void **state)
{
	(void)state;
	ksd_decoder *d = default_decoder();
	uint8_t *src = make_payload(9000, 7);
	bytes b = { 0 };
	xerial_header(&b, 1);
	xerial_chunks(&b, src, 4000, 1500);
	xerial_header(&b, 1); /* two xerial streams concatenated */
	xerial_chunks(&b, src + 4000, 5000, 2000);
	expect_payload(d, KSD_CODEC_SNAPPY, 2, b.p, b.len, src, 9000, NULL);

	/* Cut inside the repeated header: snappy-java wants all 16 bytes. */
	bytes c = { 0 };
	xerial_header(&c, 1);
	xerial_chunks(&c, src, 4000, 1500);
	size_t cut = c.len;
	xerial_header(&c, 1);
	expect_status(d, KSD_CODEC_SNAPPY, 2, c.p, cut + 10, KSD_DECODE_TRUNCATED);
	/* A repeated header with version 0 is refused. */
	c.p[cut + 11] = 0;
	expect_status(d, KSD_CODEC_SNAPPY, 2, c.p, c.len, KSD_DECODE_CORRUPT);
	/* Magic's first 4 bytes only: snappy-java ends the stream there. */
	c.p[cut + 11] = 1;
	c.p[cut + 6] = 'X';
	put(&c, "more", 4);
	const uint8_t *out;
	size_t len;
	ksd_decode_info info;
	assert_int_equal(ksd_decode(d, KSD_CODEC_SNAPPY, 2, c.p, c.len, &out, &len,
				    &info),
			 KSD_DECODE_OK);
	assert_int_equal(len, 4000);
	assert_non_null(strstr(info.detail, "damaged"));
	bytes_free(&c);
	bytes_free(&b);
	free(src);
	ksd_decoder_free(d);
}

static void test_snappy_raw(void **state)
{
	(void)state;
	ksd_decoder *d = default_decoder();
	uint8_t *src = make_payload(70000, 8);
	bytes b = { 0 };
	snappy_raw_append(&b, src, 70000);
	ksd_decode_info info;
	expect_payload(d, KSD_CODEC_SNAPPY, 1, b.p, b.len, src, 70000, &info);
	assert_true(info.snappy_raw);
	/* An empty raw block, first thing a fresh decoder sees. */
	ksd_decoder *fresh = default_decoder();
	expect_payload(fresh, KSD_CODEC_SNAPPY, 2, (const uint8_t *)"", 1, NULL, 0,
		       &info);
	assert_true(info.snappy_raw);
	ksd_decoder_free(fresh);
	/* Shorter than a xerial header: raw too. */
	bytes_free(&b);
	snappy_raw_append(&b, (const uint8_t *)"tiny", 4);
	assert_true(b.len < 16);
	expect_payload(d, KSD_CODEC_SNAPPY, 0, b.p, b.len,
		       (const uint8_t *)"tiny", 4, &info);
	assert_true(info.snappy_raw);
	bytes_free(&b);
	free(src);
	ksd_decoder_free(d);
}

static void test_snappy_xcheck_python_kafka(void **state)
{
	(void)state;
	ksd_decoder *d = default_decoder();
	uint8_t want[512];
	size_t want_len = xcheck_payload(want, sizeof want);
	assert_int_equal(want_len, 408);
	ksd_decode_info info;
	expect_payload(d, KSD_CODEC_SNAPPY, 1, PY_KAFKA_XERIAL,
		       sizeof PY_KAFKA_XERIAL, want, want_len, &info);
	assert_false(info.snappy_raw);
	ksd_decoder_free(d);
}

static void test_snappy_damaged(void **state)
{
	(void)state;
	ksd_decoder *d = default_decoder();
	uint8_t *src = make_payload(6000, 9);
	bytes b = { 0 };
	xerial_header(&b, 1);
	xerial_chunks(&b, src, 6000, 2000);
	size_t first_chunk_len = 4 + (size_t)(b.p[16] << 24 | b.p[17] << 16 |
					      b.p[18] << 8 | b.p[19]);

	/* Cut inside a chunk. */
	expect_status(d, KSD_CODEC_SNAPPY, 2, b.p, b.len - 1, KSD_DECODE_TRUNCATED);
	expect_status(d, KSD_CODEC_SNAPPY, 2, b.p, 16 + 10, KSD_DECODE_TRUNCATED);
	/* Cut right after a chunk: a shorter, valid stream. */
	size_t len;
	assert_int_equal(decode(d, KSD_CODEC_SNAPPY, 2, b.p, 16 + first_chunk_len,
				NULL, &len),
			 KSD_DECODE_OK);
	assert_int_equal(len, 2000);
	/* 1-3 bytes of a length word: snappy-java reads that as the end. */
	ksd_decode_info info;
	assert_int_equal(decode(d, KSD_CODEC_SNAPPY, 2, b.p, 16 + first_chunk_len + 2,
				&info, &len),
			 KSD_DECODE_OK);
	assert_int_equal(len, 2000);
	assert_non_null(strstr(info.detail, "ignored"));

	/* Negative chunk length. */
	bytes c = { 0 };
	xerial_header(&c, 1);
	put_be32(&c, 0xFFFFFFF0u);
	put(&c, "abcdefgh", 8);
	assert_int_equal(decode(d, KSD_CODEC_SNAPPY, 2, c.p, c.len, &info, NULL),
			 KSD_DECODE_CORRUPT);
	assert_int_equal(info.error_offset, 16);
	/* Above snappy-java's 512 MiB chunk limit. */
	c.p[16] = 0x20;
	c.p[17] = 0x00;
	c.p[18] = 0x00;
	c.p[19] = 0x01;
	expect_status(d, KSD_CODEC_SNAPPY, 2, c.p, c.len, KSD_DECODE_CORRUPT);
	/* A chunk of length 0 is not a snappy block. */
	bytes_free(&c);
	xerial_header(&c, 1);
	put_be32(&c, 0);
	expect_status(d, KSD_CODEC_SNAPPY, 2, c.p, c.len, KSD_DECODE_CORRUPT);
	/* Garbage inside a chunk. */
	memcpy(b.p + 21, "\xff\xff\xff\xff\xff\xff", 6);
	expect_status(d, KSD_CODEC_SNAPPY, 2, b.p, b.len, KSD_DECODE_CORRUPT);
	/* Raw garbage, and empty input. */
	expect_status(d, KSD_CODEC_SNAPPY, 2, (const uint8_t *)"\x05zz", 3,
		      KSD_DECODE_CORRUPT);
	expect_status(d, KSD_CODEC_SNAPPY, 2, NULL, 0, KSD_DECODE_TRUNCATED);
	/* A raw preamble claiming 4 GiB is refused before any allocation. */
	static const uint8_t huge[] = { 0xff, 0xff, 0xff, 0xff, 0x0f, 0x00 };
	expect_status(d, KSD_CODEC_SNAPPY, 2, huge, sizeof huge, KSD_DECODE_OVER_CAP);
	bytes_free(&c);
	bytes_free(&b);
	free(src);
	ksd_decoder_free(d);
}

/* --- lz4 ------------------------------------------------------------------ */

static void lz4_expect(ksd_decoder *d, int magic, const lz4_opts *o,
		       size_t n, bool legacy_flag, bool bad_flag)
{
	uint8_t *src = make_payload(n, (uint32_t)n);
	bytes b = { 0 };
	lz4_build(&b, src, n, o);
	ksd_decode_info info;
	expect_payload(d, KSD_CODEC_LZ4, magic, b.p, b.len, src, n, &info);
	assert_int_equal(info.lz4_legacy_header_checksum, legacy_flag);
	assert_int_equal(info.lz4_bad_header_checksum, bad_flag);
	bytes_free(&b);
	free(src);
}

static void test_lz4_header_checksums(void **state)
{
	(void)state;
	ksd_decoder *d = default_decoder();
	lz4_opts std_hc = { .hc = HC_STANDARD };
	lz4_opts legacy_hc = { .hc = HC_LEGACY };
	lz4_opts bad_hc = { .hc = HC_BAD };
	/* magic 0: Kafka >= 0.10 writes the legacy HC (KAFKA-3160). */
	lz4_expect(d, 0, &legacy_hc, 100000, true, false);
	lz4_expect(d, 0, &std_hc, 100000, false, false);
	lz4_expect(d, 0, &bad_hc, 5000, false, true);
	/* magic >= 1: standard HC; others are decoded but flagged. */
	lz4_expect(d, 2, &std_hc, 100000, false, false);
	lz4_expect(d, 1, &std_hc, 3000, false, false);
	lz4_expect(d, 2, &legacy_hc, 3000, true, false);
	lz4_expect(d, 1, &bad_hc, 3000, false, true);
	ksd_decoder_free(d);
}

static void test_lz4_frame_options(void **state)
{
	(void)state;
	ksd_decoder *d = default_decoder();
	lz4_opts o = { .flg_extra = 0x10 };
	lz4_expect(d, 2, &o, 150000, false, false); /* block checksums */
	o = (lz4_opts){ .flg_extra = 0x08 | 0x04 };
	lz4_expect(d, 2, &o, 150000, false, false); /* size + content csum */
	o = (lz4_opts){ .flg_extra = 0x1c, .hc = HC_LEGACY };
	lz4_expect(d, 0, &o, 70000, true, false);
	o = (lz4_opts){ .store = true, .block = 10000 };
	lz4_expect(d, 2, &o, 25000, false, false); /* stored blocks */
	o = (lz4_opts){ .store = true, .flg_extra = 0x10 };
	lz4_expect(d, 1, &o, 2000, false, false);
	for (unsigned code = 4; code <= 7; code++) {
		o = (lz4_opts){ .bd_code = code };
		lz4_expect(d, 2, &o, 5 * MIB + 7, false, false);
	}
	o = (lz4_opts){ 0 };
	lz4_expect(d, 2, &o, 0, false, false); /* empty frame */

	/* Mixed stored and compressed blocks in one frame. */
	uint8_t *src = make_payload(30000, 10);
	bytes b = { 0 };
	o = (lz4_opts){ .block = 10000, .no_end_mark = true };
	lz4_build(&b, src, 20000, &o);
	lz4_opts st = { .store = true };
	lz4_block_append(&b, src + 20000, 10000, &st);
	put_le32(&b, 0);
	expect_payload(d, KSD_CODEC_LZ4, 2, b.p, b.len, src, 30000, NULL);
	/* Kafka masks the stored bit before testing for the end mark. */
	b.p[b.len - 1] = 0x80;
	expect_payload(d, KSD_CODEC_LZ4, 2, b.p, b.len, src, 30000, NULL);
	bytes_free(&b);
	free(src);
	ksd_decoder_free(d);
}

static void test_lz4_xcheck_independent(void **state)
{
	(void)state;
	ksd_decoder *d = default_decoder();
	uint8_t want[512];
	size_t want_len = xcheck_payload(want, sizeof want);
	ksd_decode_info info;
	expect_payload(d, KSD_CODEC_LZ4, 2, PY_LZ4_FRAME, sizeof PY_LZ4_FRAME,
		       want, want_len, &info);
	assert_false(info.lz4_legacy_header_checksum);
	assert_false(info.lz4_bad_header_checksum);

	/* liblz4's own frame encoder, every checksum on, 3 blocks. */
	size_t n = 150000;
	uint8_t *src = make_payload(n, 11);
	LZ4F_preferences_t prefs = { 0 };
	prefs.frameInfo.blockSizeID = LZ4F_max64KB;
	prefs.frameInfo.blockMode = LZ4F_blockIndependent;
	prefs.frameInfo.contentChecksumFlag = LZ4F_contentChecksumEnabled;
	prefs.frameInfo.blockChecksumFlag = LZ4F_blockChecksumEnabled;
	prefs.frameInfo.contentSize = n;
	size_t bound = LZ4F_compressFrameBound(n, &prefs);
	uint8_t *f = malloc(bound);
	assert_non_null(f);
	size_t flen = LZ4F_compressFrame(f, bound, src, n, &prefs);
	assert_false(LZ4F_isError(flen));
	expect_payload(d, KSD_CODEC_LZ4, 1, f, flen, src, n, &info);
	assert_false(info.lz4_bad_header_checksum);
	free(f);
	free(src);
	ksd_decoder_free(d);
}

static void test_lz4_truncated(void **state)
{
	(void)state;
	ksd_decoder *d = default_decoder();
	uint8_t *src = make_payload(3000, 12);
	bytes b = { 0 };
	lz4_opts o = { .flg_extra = 0x1c, .block = 1000 };
	lz4_build(&b, src, 3000, &o);
	expect_prefixes_truncated(d, KSD_CODEC_LZ4, 2, &b);
	bytes_free(&b);
	/* A frame without its end mark. */
	o = (lz4_opts){ .no_end_mark = true };
	lz4_build(&b, src, 3000, &o);
	ksd_decode_info info;
	size_t len;
	assert_int_equal(decode(d, KSD_CODEC_LZ4, 2, b.p, b.len, &info, &len),
			 KSD_DECODE_TRUNCATED);
	assert_int_equal(info.error_offset, b.len);
	assert_int_equal(len, 3000); /* what was decoded stays readable */
	bytes_free(&b);
	free(src);
	ksd_decoder_free(d);
}

static void test_lz4_corrupt(void **state)
{
	(void)state;
	ksd_decoder *d = default_decoder();
	uint8_t *src = make_payload(3000, 13);
	bytes b = { 0 };
	lz4_opts o = { .flg_extra = 0x10 };
	lz4_build(&b, src, 3000, &o);
	ksd_decode_info info;

	/* Block checksum mismatch: noticed at the checksum. */
	b.p[b.len - 5] ^= 0x40;
	assert_int_equal(decode(d, KSD_CODEC_LZ4, 2, b.p, b.len, &info, NULL),
			 KSD_DECODE_CORRUPT);
	assert_int_equal(info.error_offset, b.len - 8);
	b.p[b.len - 5] ^= 0x40;
	/* Block data damaged: caught by the block checksum too. */
	b.p[20] ^= 0xff;
	expect_status(d, KSD_CODEC_LZ4, 2, b.p, b.len, KSD_DECODE_CORRUPT);
	b.p[20] ^= 0xff;
	expect_payload(d, KSD_CODEC_LZ4, 2, b.p, b.len, src, 3000, NULL);

	struct {
		size_t at;
		uint8_t value;
	} defects[] = {
		{ 0, 0x05 },  /* magic */
		{ 4, 0x20 },  /* FLG version 00 */
		{ 4, 0xB0 },  /* FLG version 10 */
		{ 4, 0x70 | 0x01 }, /* dictionary id / reserved bit */
		{ 4, 0x50 },  /* dependent blocks */
		{ 5, 0x30 },  /* block max size code 3 */
		{ 5, 0x41 },  /* BD reserved bit */
		{ 5, 0xC0 },  /* BD high reserved bit */
	};
	for (size_t i = 0; i < sizeof defects / sizeof defects[0]; i++) {
		uint8_t keep = b.p[defects[i].at];
		b.p[defects[i].at] = defects[i].value;
		expect_status(d, KSD_CODEC_LZ4, 2, b.p, b.len, KSD_DECODE_CORRUPT);
		b.p[defects[i].at] = keep;
	}
	bytes_free(&b);

	/* A block bigger than the frame's max block size. */
	o = (lz4_opts){ .bd_code = 5 };
	lz4_build(&b, src, 3000, &o);
	b.p[5] = 0x40; /* now 64 KiB max... */
	b.p[7] = 0;    /* ...and the first block claims 3 * 2^16 */
	b.p[8] = 0x00;
	b.p[9] = 0x03;
	b.p[10] = 0x00;
	expect_status(d, KSD_CODEC_LZ4, 2, b.p, b.len, KSD_DECODE_CORRUPT);
	bytes_free(&b);

	/* Compressed block data that LZ4 cannot decode. */
	o = (lz4_opts){ 0 };
	lz4_build(&b, src, 3000, &o);
	memset(b.p + 11, 0xff, 16);
	expect_status(d, KSD_CODEC_LZ4, 2, b.p, b.len, KSD_DECODE_CORRUPT);
	/* Also when the block is decoded near a small cap (scratch path). */
	ksd_decoder *small = new_decoder(4096, SIZE_MAX, 1);
	expect_status(small, KSD_CODEC_LZ4, 2, b.p, b.len, KSD_DECODE_CORRUPT);
	ksd_decoder_free(small);
	bytes_free(&b);
	free(src);
	ksd_decoder_free(d);
}

/* Bytes after the end mark are ignored, as Kafka reads a single frame;
 * a missing content checksum is a truncation. */
static void test_lz4_after_end_mark(void **state)
{
	(void)state;
	ksd_decoder *d = default_decoder();
	uint8_t *src = make_payload(3000, 14);
	bytes b = { 0 };
	lz4_opts o = { 0 };
	lz4_build(&b, src, 3000, &o);
	put(&b, "trailing", 8);
	ksd_decode_info info;
	size_t len;
	assert_int_equal(decode(d, KSD_CODEC_LZ4, 2, b.p, b.len, &info, &len),
			 KSD_DECODE_OK);
	assert_int_equal(len, 3000);
	assert_non_null(strstr(info.detail, "ignored"));
	bytes_free(&b);
	o = (lz4_opts){ .flg_extra = 0x04 };
	lz4_build(&b, src, 3000, &o);
	expect_status(d, KSD_CODEC_LZ4, 2, b.p, b.len - 2, KSD_DECODE_TRUNCATED);
	/* The content checksum is skipped like Kafka does: a wrong one passes. */
	b.p[b.len - 1] ^= 1;
	expect_payload(d, KSD_CODEC_LZ4, 2, b.p, b.len, src, 3000, NULL);
	bytes_free(&b);
	free(src);
	ksd_decoder_free(d);
}

/* --- zstd ------------------------------------------------------------------ */

static void test_zstd_roundtrip(void **state)
{
	(void)state;
	ksd_decoder *d = default_decoder();
	uint8_t *src = make_payload(300 * KIB, 15);
	bytes b = { 0 };
	/* One-shot: the frame carries its content size. */
	zstd_append(&b, src, 300 * KIB);
	assert_int_equal(ZSTD_getFrameContentSize(b.p, b.len), 300 * KIB);
	expect_payload(d, KSD_CODEC_ZSTD, 2, b.p, b.len, src, 300 * KIB, NULL);
	bytes_free(&b);
	/* Streaming as zstd-jni writes: no content size. */
	zstd_stream_append(&b, src, 300 * KIB);
	assert_true(ZSTD_getFrameContentSize(b.p, b.len) == ZSTD_CONTENTSIZE_UNKNOWN);
	expect_payload(d, KSD_CODEC_ZSTD, 2, b.p, b.len, src, 300 * KIB, NULL);
	/* Two frames concatenated, one of each kind, and an empty one. */
	zstd_append(&b, src, 1000);
	zstd_stream_append(&b, src, 0);
	uint8_t *both = malloc(300 * KIB + 1000);
	assert_non_null(both);
	memcpy(both, src, 300 * KIB);
	memcpy(both + 300 * KIB, src, 1000);
	expect_payload(d, KSD_CODEC_ZSTD, 2, b.p, b.len, both, 300 * KIB + 1000, NULL);
	/* A skippable frame in between is allowed by the zstd format. */
	static const uint8_t skippable[] = { 0x50, 0x2a, 0x4d, 0x18, 3, 0, 0, 0,
					     'x', 'y', 'z' };
	put(&b, skippable, sizeof skippable);
	zstd_append(&b, src, 10);
	uint8_t *three = malloc(300 * KIB + 1010);
	assert_non_null(three);
	memcpy(three, both, 300 * KIB + 1000);
	memcpy(three + 300 * KIB + 1000, src, 10);
	expect_payload(d, KSD_CODEC_ZSTD, 2, b.p, b.len, three, 300 * KIB + 1010, NULL);
	free(three);
	free(both);
	bytes_free(&b);
	free(src);
	ksd_decoder_free(d);
}

static void test_zstd_magic(void **state)
{
	(void)state;
	ksd_decoder *d = default_decoder();
	uint8_t *src = make_payload(1000, 16);
	bytes b = { 0 };
	zstd_append(&b, src, 1000);
	ksd_decode_info info;
	assert_int_equal(decode(d, KSD_CODEC_ZSTD, 1, b.p, b.len, &info, NULL),
			 KSD_DECODE_UNSUPPORTED);
	assert_non_null(strstr(info.detail, "KIP-110"));
	expect_status(d, KSD_CODEC_ZSTD, 0, b.p, b.len, KSD_DECODE_UNSUPPORTED);
	bytes_free(&b);
	free(src);
	ksd_decoder_free(d);
}

static void test_zstd_truncated(void **state)
{
	(void)state;
	ksd_decoder *d = default_decoder();
	uint8_t *src = make_payload(2000, 17);
	bytes b = { 0 };
	zstd_stream_append(&b, src, 2000);
	expect_prefixes_truncated(d, KSD_CODEC_ZSTD, 2, &b);
	bytes_free(&b);
	zstd_append(&b, src, 2000);
	expect_prefixes_truncated(d, KSD_CODEC_ZSTD, 2, &b);
	bytes_free(&b);
	free(src);
	ksd_decoder_free(d);
}

static void test_zstd_corrupt(void **state)
{
	(void)state;
	ksd_decoder *d = default_decoder();
	uint8_t *src = make_payload(2000, 18);
	bytes b = { 0 };
	zstd_append(&b, src, 2000);
	/* Not a zstd frame. */
	b.p[0] ^= 0xff;
	expect_status(d, KSD_CODEC_ZSTD, 2, b.p, b.len, KSD_DECODE_CORRUPT);
	b.p[0] ^= 0xff;
	/* Trailing garbage: zstd-jni reads it as a next frame and fails. */
	put(&b, "garbage!", 8);
	expect_status(d, KSD_CODEC_ZSTD, 2, b.p, b.len, KSD_DECODE_CORRUPT);
	/* Reserved bit in the frame header descriptor. */
	b.len -= 8;
	b.p[4] |= 0x08;
	expect_status(d, KSD_CODEC_ZSTD, 2, b.p, b.len, KSD_DECODE_CORRUPT);
	bytes_free(&b);
	free(src);
	ksd_decoder_free(d);
}

/*
 * Hand-made frames whose header lies about the content size: "hello" in
 * one raw block.  FHD 0xE0 = 8-byte content size, single segment; FHD
 * 0xC0 = 8-byte content size with a 1 MiB window descriptor.
 */
static void zstd_lying_frame(bytes *b, uint8_t fhd, uint64_t claimed)
{
	put_le32(b, 0xFD2FB528u);
	put_u8(b, fhd);
	if (!(fhd & 0x20))
		put_u8(b, 0x50); /* window log 10 + 10 = 20 */
	put_le64(b, claimed);
	put_u8(b, (5 << 3) | 1); /* raw block, last, 5 bytes */
	put_u8(b, 0);
	put_u8(b, 0);
	put(b, "hello", 5);
}

static void test_zstd_lying_content_size(void **state)
{
	(void)state;
	ksd_decoder *d = default_decoder();
	bytes b = { 0 };
	zstd_lying_frame(&b, 0xE0, 5);
	expect_payload(d, KSD_CODEC_ZSTD, 2, b.p, b.len, (const uint8_t *)"hello",
		       5, NULL);
	bytes_free(&b);
	/* 1 TB claimed: refused from the header, nothing decoded. */
	zstd_lying_frame(&b, 0xE0, (uint64_t)1 << 40);
	ksd_decode_info info;
	size_t len;
	assert_int_equal(decode(d, KSD_CODEC_ZSTD, 2, b.p, b.len, &info, &len),
			 KSD_DECODE_OVER_CAP);
	assert_int_equal(len, 0);
	assert_int_equal(info.error_offset, 0);
	bytes_free(&b);
	zstd_lying_frame(&b, 0xC0, (uint64_t)1 << 40);
	expect_status(d, KSD_CODEC_ZSTD, 2, b.p, b.len, KSD_DECODE_OVER_CAP);
	bytes_free(&b);
	/* Claims 3 bytes, has 5: libzstd catches it. */
	zstd_lying_frame(&b, 0xC0, 3);
	expect_status(d, KSD_CODEC_ZSTD, 2, b.p, b.len, KSD_DECODE_CORRUPT);
	bytes_free(&b);
	/* Claims 20 MiB: below the cap but above 1000x of 22 bytes. */
	zstd_lying_frame(&b, 0xC0, 20 * MIB);
	expect_status(d, KSD_CODEC_ZSTD, 2, b.p, b.len, KSD_DECODE_RATIO);
	bytes_free(&b);
	ksd_decoder_free(d);
}

/* --- caps and the bomb guard -------------------------------------------- */

/* Encodes n bytes of payload with codec variant v (0..7). */
static int encode_variant(bytes *b, unsigned v, const uint8_t *src, size_t n)
{
	lz4_opts o = { 0 };
	switch (v) {
	case 0:
		gzip_append(b, src, n, 6);
		return KSD_CODEC_GZIP;
	case 1:
		xerial_header(b, 1);
		xerial_chunks(b, src, n, 1500);
		return KSD_CODEC_SNAPPY;
	case 2:
		snappy_raw_append(b, src, n);
		return KSD_CODEC_SNAPPY;
	case 3:
		lz4_build(b, src, n, &o);
		return KSD_CODEC_LZ4;
	case 4:
		o.store = true;
		o.block = 1500;
		lz4_build(b, src, n, &o);
		return KSD_CODEC_LZ4;
	case 5:
		zstd_append(b, src, n);
		return KSD_CODEC_ZSTD;
	case 6:
		zstd_stream_append(b, src, n);
		return KSD_CODEC_ZSTD;
	default:
		o.block = 1000;
		lz4_build(b, src, n, &o);
		return KSD_CODEC_LZ4;
	}
}

static void test_over_cap(void **state)
{
	(void)state;
	/* 4096-byte cap; ratio guard out of the way. */
	ksd_decoder *d = new_decoder(4096, SIZE_MAX, 1);
	uint8_t *src = make_payload(20000, 19);
	for (unsigned v = 0; v < 8; v++) {
		/* Exactly at the cap is fine; one byte more is not. */
		bytes b = { 0 };
		int codec = encode_variant(&b, v, src, 4096);
		expect_payload(d, codec, 2, b.p, b.len, src, 4096, NULL);
		bytes_free(&b);
		codec = encode_variant(&b, v, src, 4097);
		ksd_decode_info info;
		size_t len;
		ksd_decode_status st = decode(d, codec, 2, b.p, b.len, &info, &len);
		if (st != KSD_DECODE_OVER_CAP)
			fail_msg("variant %u: %s", v, ksd_decode_status_name(st));
		assert_true(len <= 4096);
		bytes_free(&b);
		codec = encode_variant(&b, v, src, 20000);
		expect_status(d, codec, 2, b.p, b.len, KSD_DECODE_OVER_CAP);
		bytes_free(&b);
	}
	free(src);
	ksd_decoder_free(d);
}

static void test_ratio_guard(void **state)
{
	(void)state;
	/* floor 4 KiB, 2x: text compresses a few times, so it trips. */
	ksd_decoder *d = new_decoder(256 * MIB, 4096, 2);
	uint8_t *src = make_payload(50000, 20);
	unsigned tried = 0;
	for (unsigned v = 0; v < 8; v++) {
		if (v == 2 || v == 4)
			continue; /* stored lz4 and raw snappy of noise: ratio ~1 */
		bytes b = { 0 };
		int codec = encode_variant(&b, v, src, 50000);
		if (50000 <= 2 * b.len) { /* this encoding did not compress enough */
			bytes_free(&b);
			continue;
		}
		ksd_decode_info info;
		size_t len;
		ksd_decode_status st = decode(d, codec, 2, b.p, b.len, &info, &len);
		if (st != KSD_DECODE_RATIO)
			fail_msg("variant %u: %s", v, ksd_decode_status_name(st));
		assert_true(len <= 2 * b.len);
		bytes_free(&b);
		tried++;
	}
	assert_true(tried >= 4);
	free(src);
	ksd_decoder_free(d);
}

/* 64 MiB of zeros in a ~65 KB gzip member: stopped at the ratio bound,
 * not after inflating everything. */
static void test_gzip_bomb(void **state)
{
	(void)state;
	size_t n = 64 * MIB;
	uint8_t *zeros = calloc(1, n);
	assert_non_null(zeros);
	bytes b = { 0 };
	gzip_append(&b, zeros, n, 9);
	free(zeros);
	assert_true(b.len < 100 * KIB);

	ksd_decoder *d = new_decoder(256 * MIB, 1 * MIB, 100);
	ksd_decode_info info;
	size_t len;
	assert_int_equal(decode(d, KSD_CODEC_GZIP, 2, b.p, b.len, &info, &len),
			 KSD_DECODE_RATIO);
	size_t bound = 100 * b.len > MIB ? 100 * b.len : MIB;
	assert_int_equal(len, bound);
	assert_true(info.error_offset < b.len);
	ksd_decoder_free(d);

	/* Under a 32 MiB cap with a lax guard, the cap trips instead. */
	d = new_decoder(32 * MIB, 1 * MIB, 100000);
	assert_int_equal(decode(d, KSD_CODEC_GZIP, 2, b.p, b.len, &info, &len),
			 KSD_DECODE_OVER_CAP);
	assert_int_equal(len, 32 * MIB);
	ksd_decoder_free(d);
	bytes_free(&b);
}

/* zstd squeezes 64 MiB of zeros into a few hundred bytes; the default
 * guard (1000x above 16 MiB) stops it at exactly 16 MiB. */
static void test_zstd_bomb_default_limits(void **state)
{
	(void)state;
	size_t n = 64 * MIB;
	uint8_t *zeros = calloc(1, n);
	assert_non_null(zeros);
	bytes b = { 0 };
	zstd_stream_append(&b, zeros, n);
	free(zeros);
	ksd_decoder *d = default_decoder();
	size_t len;
	assert_int_equal(decode(d, KSD_CODEC_ZSTD, 2, b.p, b.len, NULL, &len),
			 KSD_DECODE_RATIO);
	assert_int_equal(len, 16 * MIB);
	ksd_decoder_free(d);
	bytes_free(&b);
}

/* --- buffer reuse ---------------------------------------------------------- */

static void test_buffer_reused(void **state)
{
	(void)state;
	ksd_decoder *d = default_decoder();
	uint8_t *src = make_payload(500 * KIB, 21);
	const uint8_t *first, *out;
	size_t len;
	for (unsigned v = 0; v < 8; v++) {
		bytes b = { 0 };
		int codec = encode_variant(&b, v, src, 500 * KIB);
		assert_int_equal(ksd_decode(d, codec, 2, b.p, b.len, &first, &len, NULL),
				 KSD_DECODE_OK);
		/* Same or smaller payloads: the same buffer, no new allocation. */
		assert_int_equal(ksd_decode(d, codec, 2, b.p, b.len, &out, &len, NULL),
				 KSD_DECODE_OK);
		assert_ptr_equal(out, first);
		bytes_free(&b);
		codec = encode_variant(&b, v, src, 30 * KIB);
		assert_int_equal(ksd_decode(d, codec, 2, b.p, b.len, &out, &len, NULL),
				 KSD_DECODE_OK);
		assert_ptr_equal(out, first);
		assert_int_equal(len, 30 * KIB);
		assert_memory_equal(out, src, 30 * KIB);
		bytes_free(&b);
	}
	free(src);
	ksd_decoder_free(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_default_limits),
		cmocka_unit_test(test_xxh32_vectors),
		cmocka_unit_test(test_none_passthrough),
		cmocka_unit_test(test_unknown_codec),
		cmocka_unit_test(test_gzip_roundtrip),
		cmocka_unit_test(test_gzip_two_members),
		cmocka_unit_test(test_gzip_trailing_bytes),
		cmocka_unit_test(test_gzip_truncated),
		cmocka_unit_test(test_gzip_corrupt),
		cmocka_unit_test(test_snappy_xerial_roundtrip),
		cmocka_unit_test(test_snappy_repeated_header),
		cmocka_unit_test(test_snappy_raw),
		cmocka_unit_test(test_snappy_xcheck_python_kafka),
		cmocka_unit_test(test_snappy_damaged),
		cmocka_unit_test(test_lz4_header_checksums),
		cmocka_unit_test(test_lz4_frame_options),
		cmocka_unit_test(test_lz4_xcheck_independent),
		cmocka_unit_test(test_lz4_truncated),
		cmocka_unit_test(test_lz4_corrupt),
		cmocka_unit_test(test_lz4_after_end_mark),
		cmocka_unit_test(test_zstd_roundtrip),
		cmocka_unit_test(test_zstd_magic),
		cmocka_unit_test(test_zstd_truncated),
		cmocka_unit_test(test_zstd_corrupt),
		cmocka_unit_test(test_zstd_lying_content_size),
		cmocka_unit_test(test_over_cap),
		cmocka_unit_test(test_ratio_guard),
		cmocka_unit_test(test_gzip_bomb),
		cmocka_unit_test(test_zstd_bomb_default_limits),
		cmocka_unit_test(test_buffer_reused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
