/*
 * gen/compress.c - compression with the exact framings Kafka writes
 * (kafka-facts.md §1.9), plus the encoder context that keeps compressor
 * states and scratch buffers alive between batches.
 */
#include <stdlib.h>
#include <string.h>

#include <lz4.h>
#include <snappy-c.h>
#include <zlib.h>
#include <zstd.h>

#include "gen/internal.h"

struct ksd_gen_ctx {
	z_stream zs;
	gz_header gz_hdr; /* zlib reads it lazily during deflate() */
	bool zs_ready;
	ZSTD_CCtx *zstd;
	ksd_gen_buf scratch[GEN_SCRATCH__COUNT];
};

ksd_err ksd_gen_ctx_new(ksd_gen_ctx **out)
{
	ksd_gen_ctx *ctx = calloc(1, sizeof(*ctx));
	if (!ctx)
		return KSD_ERR_NOMEM;
	for (int i = 0; i < GEN_SCRATCH__COUNT; i++)
		ksd_gen_buf_init(&ctx->scratch[i]);
	*out = ctx;
	return KSD_OK;
}

void ksd_gen_ctx_free(ksd_gen_ctx *ctx)
{
	if (!ctx)
		return;
	if (ctx->zs_ready)
		deflateEnd(&ctx->zs);
	ZSTD_freeCCtx(ctx->zstd);
	for (int i = 0; i < GEN_SCRATCH__COUNT; i++)
		ksd_gen_buf_free(&ctx->scratch[i]);
	free(ctx);
}

ksd_gen_buf *gen_ctx_scratch(ksd_gen_ctx *ctx, enum gen_scratch which)
{
	ksd_gen_buf *b = &ctx->scratch[which];
	ksd_gen_buf_clear(b);
	return b;
}

ksd_err gen_ctx_use(ksd_gen_ctx *ctx, ksd_gen_ctx **tmp, ksd_gen_ctx **use)
{
	*tmp = NULL;
	if (ctx) {
		*use = ctx;
		return KSD_OK;
	}
	ksd_err err = ksd_gen_ctx_new(tmp);
	*use = *tmp;
	return err;
}

/* XXH32 for the LZ4 frame header: the core's implementation (liblz4 keeps
 * its own private), so writer and reader cannot drift apart. */
uint32_t ksd_gen_xxh32(const void *data, size_t n, uint32_t seed)
{
	return ksd_codec_xxh32(data, n, seed);
}

/* ---- gzip -------------------------------------------------------------- */
static ksd_err gzip_prepare(ksd_gen_ctx *ctx)
{
	if (!ctx->zs_ready) {
		/* windowBits 15+16 = gzip wrapper; level 6 = JDK's
		 * Deflater.DEFAULT_COMPRESSION, Kafka's default (KIP-390). */
		if (deflateInit2(&ctx->zs, 6, Z_DEFLATED, 15 + 16, 8,
				 Z_DEFAULT_STRATEGY) != Z_OK)
			return KSD_ERR_NOMEM;
		ctx->zs_ready = true;
	} else if (deflateReset(&ctx->zs) != Z_OK) {
		return KSD_ERR_INVAL;
	}
	/* JDK GZIPOutputStream header: mtime 0, XFL 0, OS 255 (JDK >= 16). */
	memset(&ctx->gz_hdr, 0, sizeof(ctx->gz_hdr));
	ctx->gz_hdr.os = 255;
	deflateSetHeader(&ctx->zs, &ctx->gz_hdr);
	return KSD_OK;
}

static ksd_err compress_gzip(ksd_gen_ctx *ctx, const uint8_t *in, size_t n,
			     ksd_gen_buf *out)
{
	if (n > UINT32_MAX)
		return KSD_ERR_OVERFLOW;
	ksd_err err = gzip_prepare(ctx);
	if (err)
		return err;
	size_t bound = deflateBound(&ctx->zs, (uLong)n) + 32;
	size_t start = out->len;
	uint8_t *dst = ksd_gen_buf_grow(out, bound);
	if (!dst)
		return KSD_ERR_NOMEM;
	ctx->zs.next_in = (Bytef *)in;
	ctx->zs.avail_in = (uInt)n;
	ctx->zs.next_out = dst;
	ctx->zs.avail_out = (uInt)bound;
	int rc = deflate(&ctx->zs, Z_FINISH);
	if (rc != Z_STREAM_END) {
		out->len = start;
		return KSD_ERR_FORMAT;
	}
	out->len = start + (bound - ctx->zs.avail_out);
	return KSD_OK;
}

/* ---- snappy (xerial snappy-java stream framing) ------------------------ */
#define XERIAL_BLOCK 32768 /* snappy-java default block size */

static const uint8_t xerial_header[16] = {
	0x82, 'S', 'N', 'A', 'P', 'P', 'Y', 0x00, /* magic */
	0, 0, 0, 1,                               /* version */
	0, 0, 0, 1,                               /* min compatible version */
};

static ksd_err compress_snappy(const uint8_t *in, size_t n, ksd_gen_buf *out)
{
	ksd_gen_buf_put(out, xerial_header, sizeof(xerial_header));
	for (size_t off = 0; off < n; off += XERIAL_BLOCK) {
		size_t chunk = n - off < XERIAL_BLOCK ? n - off : XERIAL_BLOCK;
		size_t bound = snappy_max_compressed_length(chunk);
		size_t at = out->len;
		uint8_t *dst = ksd_gen_buf_grow(out, 4 + bound);
		if (!dst)
			return KSD_ERR_NOMEM;
		size_t clen = bound;
		if (snappy_compress((const char *)in + off, chunk,
				    (char *)dst + 4, &clen) != SNAPPY_OK)
			return KSD_ERR_FORMAT;
		ksd_gen_store_be32(dst, (uint32_t)clen);
		out->len = at + 4 + clen;
	}
	return ksd_gen_buf_status(out);
}

/* ---- lz4 (Kafka's Lz4BlockOutputStream frame) -------------------------- */
#define LZ4_KAFKA_BLOCK 65536 /* BD 0x40: block max size code 4 = 64 KiB */
#define LZ4_STORED_BIT 0x80000000u

static void lz4_frame_header(ksd_gen_buf *out, ksd_gen_lz4_hc hc_mode)
{
	uint8_t h[7] = { 0x04, 0x22, 0x4D, 0x18, /* magic 0x184D2204 LE */
			 0x60, /* FLG: version 01, independent blocks */
			 0x40, /* BD: max block 64 KiB */
			 0 };
	/* KAFKA-3160: Kafka < 0.10 hashed magic+FLG+BD (bytes 0..5); the
	 * LZ4 spec hashes FLG+BD only (bytes 4..5). */
	uint32_t x = hc_mode == KSD_GEN_LZ4_HC_LEGACY
			     ? ksd_gen_xxh32(h, 6, 0)
			     : ksd_gen_xxh32(h + 4, 2, 0);
	h[6] = (uint8_t)((x >> 8) & 0xFF);
	ksd_gen_buf_put(out, h, sizeof(h));
}

static ksd_err lz4_block(const uint8_t *src, size_t n, ksd_gen_buf *out)
{
	int bound = LZ4_compressBound((int)n);
	size_t at = out->len;
	uint8_t *dst = ksd_gen_buf_grow(out, 4 + (size_t)bound);
	if (!dst)
		return KSD_ERR_NOMEM;
	int clen = LZ4_compress_default((const char *)src, (char *)dst + 4,
					(int)n, bound);
	out->len = at;
	if (clen <= 0 || (size_t)clen >= n) {
		/* incompressible: stored block, as Kafka does */
		ksd_gen_buf_put_le32(out, (uint32_t)n | LZ4_STORED_BIT);
		ksd_gen_buf_put(out, src, n);
	} else {
		ksd_gen_buf_put_le32(out, (uint32_t)clen);
		out->len += (size_t)clen; /* bytes already in place */
	}
	return ksd_gen_buf_status(out);
}

static ksd_err compress_lz4(const uint8_t *in, size_t n, ksd_gen_buf *out,
			    ksd_gen_lz4_hc hc_mode)
{
	lz4_frame_header(out, hc_mode);
	for (size_t off = 0; off < n; off += LZ4_KAFKA_BLOCK) {
		size_t chunk = n - off < LZ4_KAFKA_BLOCK ? n - off
							 : LZ4_KAFKA_BLOCK;
		ksd_err err = lz4_block(in + off, chunk, out);
		if (err)
			return err;
	}
	ksd_gen_buf_put_le32(out, 0); /* end mark; no content checksum */
	return ksd_gen_buf_status(out);
}

/* ---- zstd -------------------------------------------------------------- */
static ksd_err compress_zstd(ksd_gen_ctx *ctx, const uint8_t *in, size_t n,
			     ksd_gen_buf *out)
{
	if (!ctx->zstd) {
		ctx->zstd = ZSTD_createCCtx();
		if (!ctx->zstd)
			return KSD_ERR_NOMEM;
		ZSTD_CCtx_setParameter(ctx->zstd, ZSTD_c_compressionLevel, 3);
		/* zstd-jni's streaming output carries no content size. */
		ZSTD_CCtx_setParameter(ctx->zstd, ZSTD_c_contentSizeFlag, 0);
	}
	size_t bound = ZSTD_compressBound(n);
	size_t at = out->len;
	uint8_t *dst = ksd_gen_buf_grow(out, bound);
	if (!dst)
		return KSD_ERR_NOMEM;
	size_t clen = ZSTD_compress2(ctx->zstd, dst, bound, in, n);
	if (ZSTD_isError(clen)) {
		out->len = at;
		return KSD_ERR_FORMAT;
	}
	out->len = at + clen;
	return KSD_OK;
}

ksd_err ksd_gen_compress(ksd_gen_ctx *ctx, ksd_codec codec, const void *in,
			 size_t n, ksd_gen_buf *out, ksd_gen_lz4_hc lz4_hc)
{
	ksd_gen_ctx *tmp, *use;
	ksd_err err = gen_ctx_use(ctx, &tmp, &use);
	if (err)
		return err;
	switch (codec) {
	case KSD_CODEC_NONE:
		ksd_gen_buf_put(out, in, n);
		err = ksd_gen_buf_status(out);
		break;
	case KSD_CODEC_GZIP:
		err = compress_gzip(use, in, n, out);
		break;
	case KSD_CODEC_SNAPPY:
		err = compress_snappy(in, n, out);
		break;
	case KSD_CODEC_LZ4:
		err = n > INT32_MAX / 2 ? KSD_ERR_OVERFLOW
					: compress_lz4(in, n, out, lz4_hc);
		break;
	case KSD_CODEC_ZSTD:
		err = compress_zstd(use, in, n, out);
		break;
	default:
		err = KSD_ERR_INVAL;
	}
	ksd_gen_ctx_free(tmp);
	return err;
}
