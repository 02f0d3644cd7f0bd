/*
 * Decompression of Kafka batch payloads with Kafka's exact framing
 * (kafka-facts.md §1.9).  Each codec accepts what Kafka's own reader
 * accepts, not merely what the codec's reference format allows:
 *
 *  - gzip: RFC 1952 members; further members are read on as JDK
 *    GZIPInputStream does, and bytes after the last member that do not
 *    start a new member are ignored, as the JDK ignores them.  Members
 *    are inflated whole by libdeflate; zlib decodes those it refuses.
 *  - snappy: xerial snappy-java stream framing, with snappy-java's raw
 *    snappy fallback.
 *  - lz4: the LZ4 frame is parsed here, because liblz4's frame decoder
 *    rejects the broken header checksum of magic-0 batches (KAFKA-3160);
 *    blocks go to LZ4_decompress_safe.
 *  - zstd: streaming decoder, frames with or without a content size, one
 *    or more frames (zstd-jni's reader), magic 2 only (KIP-110).
 *
 * Output goes into one buffer owned by the decoder.  It grows
 * geometrically and is reused, so steady state allocates nothing
 * (perf-limits.md: first touch of fresh memory runs at 0.3 GB/s).  Every
 * output size is checked against the call's limit before it is written:
 * min(max_output, the ratio bound), so a decompression bomb stops as soon
 * as it crosses the limit, and a size declared in the data (zstd content
 * size, snappy preamble) is refused before anything is allocated for it.
 *
 * On failure, *out and *out_len still describe the bytes decoded before the
 * problem was noticed (possibly none), so a caller can salvage records.
 */
#include "ksd/codec.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <libdeflate.h>
#include <lz4.h>
#include <snappy-c.h>
#include <zlib.h>
#include <zstd.h>
#include <zstd_errors.h>

#define KIB ((size_t)1 << 10)
#define MIB ((size_t)1 << 20)

const ksd_decoder_limits KSD_DECODER_DEFAULT_LIMITS = {
	.max_output = 256 * MIB,
	.ratio_floor = 16 * MIB,
	.max_ratio = 1000,
};

/* First size of the output buffer; it then doubles up to the limit. */
#define OUT_INITIAL_CAP (64 * KIB)

/*
 * libzstd's default window limit (ZSTD_WINDOWLOG_LIMIT_DEFAULT, 2^27 =
 * 128 MiB).  zstd-jni, and so Kafka, keeps it, so a frame declaring a
 * larger window is unreadable to Kafka too.  Set explicitly to make the
 * bound on libzstd's own allocation visible here.
 */
#define ZSTD_WINDOW_LOG_MAX 27

typedef enum lz4_hc_kind {
	LZ4_HC_STANDARD,
	LZ4_HC_LEGACY, /* pre-0.10 Kafka, KAFKA-3160 */
	LZ4_HC_BAD,
} lz4_hc_kind;

struct ksd_decoder {
	ksd_decoder_limits limits;
	uint8_t *buf; /* decoded payload, reused across calls */
	size_t cap;
	uint8_t *block; /* lz4 block scratch, only used close to the limit */
	size_t block_cap;
	/* lz4: the last FLG, BD and HC seen in a frame without content size
	 * (FLG | BD << 8 | HC << 16 | 1 << 24; 0: none yet), and what
	 * lz4_check_hc made of them.  Kafka writes the same descriptor into
	 * every batch, and its two XXH32 cost ~8 ns of the ~30 ns a real
	 * 70-byte lz4 batch takes to decode (tests/bench/codec_bench.c). */
	uint32_t lz4_hc_key;
	lz4_hc_kind lz4_hc_verdict;
	struct libdeflate_decompressor *deflate; /* gzip, whole members */
	z_stream zs; /* gzip members libdeflate refuses: exact diagnosis */
	ZSTD_DCtx *zstd;
};

/* ---------------------------------------------------------------------
 * Names
 */

const char *ksd_codec_name(int codec_id)
{
	static const char *const names[] = {
		[KSD_CODEC_NONE] = "none",     [KSD_CODEC_GZIP] = "gzip",
		[KSD_CODEC_SNAPPY] = "snappy", [KSD_CODEC_LZ4] = "lz4",
		[KSD_CODEC_ZSTD] = "zstd",
	};
	if (codec_id < 0 || codec_id > KSD_CODEC_ZSTD)
		return NULL;
	return names[codec_id];
}

const char *ksd_decode_status_name(ksd_decode_status st)
{
	switch (st) {
	case KSD_DECODE_OK:
		return "ok";
	case KSD_DECODE_CORRUPT:
		return "corrupt";
	case KSD_DECODE_TRUNCATED:
		return "truncated";
	case KSD_DECODE_OVER_CAP:
		return "over-cap";
	case KSD_DECODE_RATIO:
		return "ratio";
	case KSD_DECODE_UNSUPPORTED:
		return "unsupported";
	case KSD_DECODE_NOMEM:
		return "nomem";
	}
	return "unknown";
}

/* ---------------------------------------------------------------------
 * XXH32, for the LZ4 frame header and block checksums.  liblz4 keeps its
 * copy private and libxxhash has no headers on our build hosts, so it is
 * implemented here (it is small) and declared in ksd/codec.h.
 */

#define XXH_P1 2654435761u
#define XXH_P2 2246822519u
#define XXH_P3 3266489917u
#define XXH_P4 668265263u
#define XXH_P5 374761393u

static uint32_t rotl32(uint32_t x, unsigned r)
{
	return (x << r) | (x >> (32 - r));
}

static uint32_t read_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static uint32_t read_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static uint32_t xxh32_round(uint32_t acc, uint32_t lane)
{
	return rotl32(acc + lane * XXH_P2, 13) * XXH_P1;
}

/* The 16-byte stripes; returns the merged accumulator. */
static uint32_t xxh32_stripes(const uint8_t **pp, size_t *left, uint32_t seed)
{
	uint32_t v1 = seed + XXH_P1 + XXH_P2, v2 = seed + XXH_P2;
	uint32_t v3 = seed, v4 = seed - XXH_P1;
	const uint8_t *p = *pp;
	for (; *left >= 16; *left -= 16, p += 16) {
		v1 = xxh32_round(v1, read_le32(p));
		v2 = xxh32_round(v2, read_le32(p + 4));
		v3 = xxh32_round(v3, read_le32(p + 8));
		v4 = xxh32_round(v4, read_le32(p + 12));
	}
	*pp = p;
	return rotl32(v1, 1) + rotl32(v2, 7) + rotl32(v3, 12) + rotl32(v4, 18);
}

uint32_t ksd_codec_xxh32(const void *data, size_t len, uint32_t seed)
{
	const uint8_t *p = data;
	size_t left = len;
	uint32_t h = len >= 16 ? xxh32_stripes(&p, &left, seed) : seed + XXH_P5;

	h += (uint32_t)len; /* the algorithm adds the length modulo 2^32 */
	for (; left >= 4; left -= 4, p += 4)
		h = rotl32(h + read_le32(p) * XXH_P3, 17) * XXH_P4;
	for (; left > 0; left--, p++)
		h = rotl32(h + *p * XXH_P5, 11) * XXH_P1;
	h ^= h >> 15;
	h *= XXH_P2;
	h ^= h >> 13;
	h *= XXH_P3;
	h ^= h >> 16;
	return h;
}

/* ---------------------------------------------------------------------
 * Decoder lifetime
 */

ksd_err ksd_decoder_new(const ksd_decoder_limits *limits, ksd_decoder **out)
{
	if (!out)
		return KSD_ERR_INVAL;
	*out = NULL;
	ksd_decoder *d = calloc(1, sizeof *d);
	if (!d)
		return KSD_ERR_NOMEM;
	d->limits = limits ? *limits : KSD_DECODER_DEFAULT_LIMITS;
	/* 16 + MAX_WBITS: gzip wrapper only, as GZIPInputStream. */
	if (inflateInit2(&d->zs, 16 + MAX_WBITS) != Z_OK) {
		free(d);
		return KSD_ERR_NOMEM;
	}
	d->deflate = libdeflate_alloc_decompressor();
	d->zstd = ZSTD_createDCtx();
	if (!d->deflate || !d->zstd ||
	    ZSTD_isError(ZSTD_DCtx_setParameter(d->zstd, ZSTD_d_windowLogMax,
						ZSTD_WINDOW_LOG_MAX))) {
		ksd_decoder_free(d);
		return KSD_ERR_NOMEM;
	}
	*out = d;
	return KSD_OK;
}

void ksd_decoder_free(ksd_decoder *d)
{
	if (!d)
		return;
	inflateEnd(&d->zs);
	libdeflate_free_decompressor(d->deflate);
	ZSTD_freeDCtx(d->zstd);
	free(d->block);
	free(d->buf);
	free(d);
}

/* ---------------------------------------------------------------------
 * The output sink of one call: where decoded bytes go and how many may.
 */

typedef struct sink {
	ksd_decoder *d;
	size_t len;   /* bytes decoded so far in this call */
	size_t limit; /* min(max_output, ratio bound) for this call */
	/* Window lent to a streaming decoder: the scratch byte when the
	 * buffer is at the limit, so one more output byte proves excess. */
	bool probing;
	uint8_t scratch;
	ksd_decode_info *info;
	const uint8_t *in; /* start of the compressed input, for offsets */
} sink;

/* max(ratio_floor, max_ratio * in_len), saturating instead of wrapping. */
static size_t ratio_bound(const ksd_decoder_limits *lim, size_t in_len)
{
	size_t scaled; /* no division: this runs once per batch */
	if (__builtin_mul_overflow((size_t)lim->max_ratio, in_len, &scaled))
		scaled = SIZE_MAX;
	return scaled > lim->ratio_floor ? scaled : lim->ratio_floor;
}

static void sink_init(sink *s, ksd_decoder *d, const uint8_t *in,
		      size_t in_len, ksd_decode_info *info)
{
	size_t bound = ratio_bound(&d->limits, in_len);
	*s = (sink){ .d = d, .info = info, .in = in };
	s->limit = bound < d->limits.max_output ? bound : d->limits.max_output;
}

/* Records a failure and where in the input it was noticed. */
static ksd_decode_status fail(sink *s, ksd_decode_status st,
			      const uint8_t *at, const char *detail)
{
	s->info->error_offset = at ? (size_t)(at - s->in) : 0;
	s->info->detail = detail;
	return st;
}

/* The status for an output of `total` bytes: the absolute cap wins over
 * the ratio guard when both are crossed. */
static ksd_decode_status size_status(const sink *s, size_t total)
{
	if (total <= s->limit)
		return KSD_DECODE_OK;
	return total > s->d->limits.max_output ? KSD_DECODE_OVER_CAP
					       : KSD_DECODE_RATIO;
}

static ksd_decode_status size_fail(sink *s, size_t total, const uint8_t *at)
{
	ksd_decode_status st = size_status(s, total);
	return fail(s, st, at,
		    st == KSD_DECODE_OVER_CAP
			    ? "decoded size exceeds the output cap"
			    : "decoded/compressed ratio exceeds the bomb guard");
}

/* Grows the buffer to hold `total` bytes (total <= limit): doubling from
 * OUT_INITIAL_CAP, never past the limit.  The buffer always exists after
 * a success, even for 0 bytes, so callers never offset a null pointer. */
static bool sink_realloc(sink *s, size_t total)
{
	ksd_decoder *d = s->d;
	size_t cap = d->cap ? d->cap : OUT_INITIAL_CAP;
	while (cap < total)
		cap = cap > SIZE_MAX / 2 ? SIZE_MAX : cap * 2;
	if (cap > s->limit)
		cap = s->limit ? s->limit : 1;
	uint8_t *nb = realloc(d->buf, cap);
	if (!nb)
		return false;
	d->buf = nb;
	d->cap = cap;
	return true;
}

/* The common case, a buffer already big enough, stays inline. */
static inline bool sink_grow(sink *s, size_t total)
{
	if (s->d->buf && total <= s->d->cap)
		return true;
	return sink_realloc(s, total);
}

/* Makes room for `n` more bytes at the end of the output, or fails with
 * OVER_CAP/RATIO (checked before any allocation) or NOMEM. */
static ksd_decode_status sink_reserve(sink *s, size_t n, const uint8_t *at)
{
	size_t total = n > SIZE_MAX - s->len ? SIZE_MAX : s->len + n;
	if (size_status(s, total) != KSD_DECODE_OK)
		return size_fail(s, total, at);
	if (!sink_grow(s, s->len + n))
		return fail(s, KSD_DECODE_NOMEM, at, "out of memory");
	return KSD_DECODE_OK;
}

static uint8_t *sink_end(const sink *s)
{
	return s->d->buf + s->len;
}

/*
 * Lends the window a streaming decoder may write into: the free part of
 * the buffer below the limit, grown if needed.  At the limit it lends the
 * one scratch byte instead: if the decoder fills it, the output exceeds
 * the limit; if not, the stream may still end right at the limit.
 */
static ksd_decode_status sink_window(sink *s, uint8_t **p, size_t *room)
{
	ksd_decoder *d = s->d;
	if (s->len >= d->cap && s->len < s->limit && !sink_grow(s, s->len + 1))
		return fail(s, KSD_DECODE_NOMEM, NULL, "out of memory");
	size_t end = d->cap < s->limit ? d->cap : s->limit;
	s->probing = s->len >= end;
	if (s->probing) {
		*p = &s->scratch;
		*room = 1;
	} else {
		*p = sink_end(s);
		*room = end - s->len;
	}
	return KSD_DECODE_OK;
}

/* Accounts for `produced` bytes written into the lent window. */
static ksd_decode_status sink_commit(sink *s, size_t produced,
				     const uint8_t *at)
{
	if (!s->probing) {
		s->len += produced;
		return KSD_DECODE_OK;
	}
	return produced ? size_fail(s, s->limit + 1, at) : KSD_DECODE_OK;
}

/* ---------------------------------------------------------------------
 * gzip: JDK GZIPInputStream semantics, over libdeflate with zlib behind it.
 *
 * libdeflate inflates a whole member in one call, 2.4x as fast as zlib's
 * streaming inflate on 16 KiB batches (README, "Why libdeflate").  It
 * needs an output window big enough for the whole member, so the window
 * is the buffer below the call's limit, grown and retried when too small.
 * Whatever libdeflate does not accept -- bad or cut data, a member that
 * does not fit below the limit, a header CRC (FHCRC) it would not check --
 * is decoded again from the member's start by zlib's streaming inflate,
 * which gives the exact status, error offset and partial output: failures
 * read exactly as they did with zlib alone.
 *
 * One known difference remains: libdeflate accepts a few deflate
 * constructs that zlib (and so the JDK) rejects and no compressor writes
 * -- more than 286 literal/length or 30 distance codes in a dynamic
 * header, the unused codes 286-287 and 30-31, a repeat running past the
 * code lengths, an incomplete precode, a match with an empty distance
 * code.  A hand-made payload relying on one of them decodes here where
 * Kafka's reader would refuse it.
 */

/* A next member is read only if its header starts like one; otherwise the
 * JDK treats what follows as end of stream (GZIPInputStream.readTrailer
 * swallows the header error), and so do we. */
static bool gzip_member_starts(const uint8_t *p, size_t left)
{
	return left >= 10 && p[0] == 0x1f && p[1] == 0x8b && p[2] == 8;
}

static ksd_decode_status gzip_zlib_error(sink *s, int rc)
{
	const uint8_t *at = s->d->zs.next_in;
	if (rc == Z_MEM_ERROR)
		return fail(s, KSD_DECODE_NOMEM, at, "out of memory");
	if (rc == Z_NEED_DICT)
		return fail(s, KSD_DECODE_CORRUPT, at,
			    "gzip: deflate stream asks for a preset dictionary");
	return fail(s, KSD_DECODE_CORRUPT, at,
		    "gzip: invalid header, deflate data or trailer checksum");
}

/* One inflate() step into the sink's window; sets *ended at member end. */
static ksd_decode_status gzip_step(sink *s, const uint8_t *in_end, bool *ended)
{
	z_stream *zs = &s->d->zs;
	uint8_t *win;
	size_t room;
	ksd_decode_status st = sink_window(s, &win, &room);
	if (st != KSD_DECODE_OK)
		return st;
	if (zs->avail_in == 0) {
		size_t left = (size_t)(in_end - zs->next_in);
		zs->avail_in = left > UINT_MAX ? UINT_MAX : (uInt)left;
	}
	zs->next_out = win;
	zs->avail_out = room > UINT_MAX ? UINT_MAX : (uInt)room;
	uInt before = zs->avail_out;
	int rc = inflate(zs, Z_NO_FLUSH);
	st = sink_commit(s, before - zs->avail_out, zs->next_in);
	if (st != KSD_DECODE_OK)
		return st;
	if (rc == Z_STREAM_END) {
		*ended = true;
		return KSD_DECODE_OK;
	}
	if (rc != Z_OK && rc != Z_BUF_ERROR)
		return gzip_zlib_error(s, rc);
	/* All input used and room left over: the member needs more bytes. */
	if (zs->avail_out > 0 && zs->avail_in == 0 && zs->next_in == in_end)
		return fail(s, KSD_DECODE_TRUNCATED, in_end,
			    "gzip: stream ends inside a member");
	return KSD_DECODE_OK;
}

/*
 * One member with libdeflate, into the buffer below the limit, growing it
 * (doubling, as sink_window would) while the member does not fit.  False
 * when libdeflate cannot give the final answer: the caller then decodes
 * the member with zlib.
 */
static bool gzip_member_whole(sink *s, const uint8_t **pos, const uint8_t *in_end)
{
	ksd_decoder *d = s->d;
	const uint8_t *p = *pos;
	size_t left = (size_t)(in_end - p);
	/* FLG.FHCRC: zlib and the JDK check the header CRC-16, libdeflate
	 * skips it (Java's GZIPOutputStream never sets it). */
	if (left < 4 || (p[3] & 0x02) || !sink_grow(s, s->len))
		return false;
	for (;;) {
		size_t end = d->cap < s->limit ? d->cap : s->limit;
		size_t room = end > s->len ? end - s->len : 0;
		size_t used, got;
		enum libdeflate_result r = libdeflate_gzip_decompress_ex(
			d->deflate, p, left, sink_end(s), room, &used, &got);
		if (r == LIBDEFLATE_SUCCESS) {
			s->len += got;
			*pos = p + used;
			return true;
		}
		if (r != LIBDEFLATE_INSUFFICIENT_SPACE || end >= s->limit ||
		    !sink_grow(s, d->cap + 1))
			return false;
	}
}

static ksd_decode_status gzip_member_zlib(sink *s, const uint8_t **pos,
					  const uint8_t *in_end)
{
	z_stream *zs = &s->d->zs;
	if (inflateReset(zs) != Z_OK)
		return fail(s, KSD_DECODE_CORRUPT, *pos, "gzip: zlib reset failed");
	zs->next_in = (z_const Bytef *)*pos;
	zs->avail_in = 0;
	bool ended = false;
	while (!ended) {
		ksd_decode_status st = gzip_step(s, in_end, &ended);
		if (st != KSD_DECODE_OK)
			return st;
	}
	*pos = zs->next_in;
	return KSD_DECODE_OK;
}

static ksd_decode_status decode_gzip(sink *s, const uint8_t *in, size_t in_len)
{
	const uint8_t *pos = in, *end = in + in_len;
	if (in_len == 0)
		return fail(s, KSD_DECODE_TRUNCATED, in, "gzip: empty input");
	for (unsigned members = 0;; members++) {
		if (members > 0 && !gzip_member_starts(pos, (size_t)(end - pos))) {
			if (pos != end)
				s->info->detail = "ok; bytes after the last gzip "
						  "member ignored, as GZIPInputStream does";
			return KSD_DECODE_OK;
		}
		if (members == 1)
			s->info->gzip_multi_member = true;
		if (gzip_member_whole(s, &pos, end))
			continue;
		ksd_decode_status st = gzip_member_zlib(s, &pos, end);
		if (st != KSD_DECODE_OK)
			return st;
	}
}

/* ---------------------------------------------------------------------
 * snappy: xerial snappy-java stream framing (SnappyInputStream).
 */

static const uint8_t XERIAL_MAGIC[8] = { 0x82, 'S', 'N', 'A', 'P', 'P', 'Y', 0 };
#define XERIAL_HEADER_LEN 16
/* SnappyInputStream.MAX_CHUNK_SIZE. */
#define XERIAL_MAX_CHUNK ((uint32_t)512 * 1024 * 1024)

/* One raw snappy block appended to the output; the length preamble is
 * checked against the limit before anything is allocated for it. */
static ksd_decode_status snappy_block(sink *s, const uint8_t *p, size_t n)
{
	size_t ulen;
	if (snappy_uncompressed_length((const char *)p, n, &ulen) != SNAPPY_OK)
		return fail(s, KSD_DECODE_CORRUPT, p,
			    "snappy: invalid block length preamble");
	ksd_decode_status st = sink_reserve(s, ulen, p);
	if (st != KSD_DECODE_OK)
		return st;
	size_t got = ulen;
	if (snappy_uncompress((const char *)p, n, (char *)sink_end(s), &got) !=
		    SNAPPY_OK ||
	    got != ulen)
		return fail(s, KSD_DECODE_CORRUPT, p, "snappy: invalid block data");
	s->len += got;
	return KSD_DECODE_OK;
}

/*
 * A header repeated mid-stream (streams concatenated): the length word
 * equal to the magic's first 4 bytes announces it.  snappy-java then
 * needs the whole 16 bytes; a version below 1 is an error, while a
 * header whose remaining magic bytes differ silently ends the stream
 * (SnappyInputStream.hasNextChunk/isValidHeader).  *stop says so.
 */
static ksd_decode_status snappy_repeated_header(sink *s, const uint8_t *p,
						size_t left, bool *stop)
{
	if (left < XERIAL_HEADER_LEN)
		return fail(s, KSD_DECODE_TRUNCATED, p,
			    "snappy: repeated xerial header cut short");
	if (memcmp(p, XERIAL_MAGIC, sizeof XERIAL_MAGIC) != 0) {
		*stop = true;
		s->info->detail = "ok; stream ends at a damaged repeated xerial "
				  "header, as snappy-java stops there";
		return KSD_DECODE_OK;
	}
	if ((int32_t)read_be32(p + 8) < 1)
		return fail(s, KSD_DECODE_CORRUPT, p + 8,
			    "snappy: repeated xerial header has version < 1");
	return KSD_DECODE_OK;
}

/* One length-prefixed chunk at *pos; advances *pos or sets *stop. */
static ksd_decode_status snappy_chunk(sink *s, const uint8_t **pos,
				      const uint8_t *end, bool *stop)
{
	const uint8_t *p = *pos;
	size_t left = (size_t)(end - p);
	if (left < 4) {
		/* snappy-java reads a short length word as end of stream. */
		*stop = true;
		s->info->detail = "ok; 1-3 bytes after the last xerial chunk "
				  "ignored, as snappy-java does";
		return KSD_DECODE_OK;
	}
	uint32_t word = read_be32(p);
	if (word == read_be32(XERIAL_MAGIC)) {
		ksd_decode_status st = snappy_repeated_header(s, p, left, stop);
		*pos = p + XERIAL_HEADER_LEN;
		return st;
	}
	if (word & 0x80000000u)
		return fail(s, KSD_DECODE_CORRUPT, p,
			    "snappy: negative xerial chunk length");
	if (word > XERIAL_MAX_CHUNK)
		return fail(s, KSD_DECODE_CORRUPT, p,
			    "snappy: xerial chunk length above 512 MiB");
	if (word > left - 4)
		return fail(s, KSD_DECODE_TRUNCATED, p,
			    "snappy: xerial chunk runs past the input");
	*pos = p + 4 + word;
	return snappy_block(s, p + 4, word);
}

static ksd_decode_status decode_snappy(sink *s, const uint8_t *in,
				       size_t in_len)
{
	if (in_len == 0) /* snappy-java: "Cannot decompress empty stream" */
		return fail(s, KSD_DECODE_TRUNCATED, in, "snappy: empty input");
	/* Not xerial-framed: snappy-java decodes it as one raw block. */
	if (in_len < XERIAL_HEADER_LEN ||
	    memcmp(in, XERIAL_MAGIC, sizeof XERIAL_MAGIC) != 0) {
		s->info->snappy_raw = true;
		return snappy_block(s, in, in_len);
	}
	/* snappy-java checks no version in the first header. */
	const uint8_t *pos = in + XERIAL_HEADER_LEN, *end = in + in_len;
	bool stop = false;
	while (pos < end && !stop) {
		ksd_decode_status st = snappy_chunk(s, &pos, end, &stop);
		if (st != KSD_DECODE_OK)
			return st;
	}
	return KSD_DECODE_OK;
}

/* ---------------------------------------------------------------------
 * lz4: the LZ4 frame as Kafka's Lz4BlockInputStream reads it.
 */

#define LZ4_FRAME_MAGIC 0x184D2204u
#define LZ4_FLG_VERSION_MASK 0xC0
#define LZ4_FLG_VERSION_01 0x40
#define LZ4_FLG_BLOCK_INDEP 0x20
#define LZ4_FLG_BLOCK_CSUM 0x10
#define LZ4_FLG_CONTENT_SIZE 0x08
#define LZ4_FLG_CONTENT_CSUM 0x04
#define LZ4_FLG_RESERVED 0x03 /* Kafka also refuses the dictID bit */
#define LZ4_BD_RESERVED 0x8F
#define LZ4_BLOCK_STORED 0x80000000u

typedef struct lz4_frame {
	uint8_t flg;
	size_t max_block;
	size_t header_len; /* magic .. HC inclusive */
} lz4_frame;

static ksd_decode_status lz4_check_descriptor(sink *s, const uint8_t *in,
					      lz4_frame *f)
{
	uint8_t flg = in[4], bd = in[5];
	if ((flg & LZ4_FLG_VERSION_MASK) != LZ4_FLG_VERSION_01)
		return fail(s, KSD_DECODE_CORRUPT, in + 4,
			    "lz4: frame version bits are not 01");
	if (flg & LZ4_FLG_RESERVED)
		return fail(s, KSD_DECODE_CORRUPT, in + 4,
			    "lz4: reserved FLG bits set (dictionary ids unsupported)");
	if (!(flg & LZ4_FLG_BLOCK_INDEP))
		return fail(s, KSD_DECODE_CORRUPT, in + 4,
			    "lz4: dependent blocks, which Kafka cannot read");
	unsigned code = (bd >> 4) & 7;
	if ((bd & LZ4_BD_RESERVED) || code < 4)
		return fail(s, KSD_DECODE_CORRUPT, in + 5,
			    "lz4: invalid BD byte (reserved bits or block size code)");
	f->flg = flg;
	f->max_block = (size_t)1 << (8 + 2 * code); /* 4..7: 64K..4M */
	return KSD_DECODE_OK;
}

/*
 * The header checksum, KAFKA-3160 / KIP-57: the standard HC hashes the
 * descriptor (FLG to end of descriptor); Kafka before 0.10 hashed from
 * the magic (offset 0) instead.  Since 0.10, Kafka writes the broken one
 * for magic 0 and ignores HC when reading magic 0, and writes and
 * verifies the standard one for magic >= 1.  So the HC never stops the
 * decode: a legacy or wrong HC only sets a flag, the same for every magic,
 * and the caller weighs it by magic (harmless in magic 0; in magic >= 1
 * Kafka would refuse the batch: warn, don't drop).
 */
static lz4_hc_kind lz4_hc_classify(const uint8_t *in, size_t desc_end)
{
	uint8_t hc = in[desc_end];
	if (hc == ((ksd_codec_xxh32(in + 4, desc_end - 4, 0) >> 8) & 0xFF))
		return LZ4_HC_STANDARD;
	if (hc == ((ksd_codec_xxh32(in, desc_end, 0) >> 8) & 0xFF))
		return LZ4_HC_LEGACY;
	return LZ4_HC_BAD;
}

/* The magic is checked already, so without a content size the verdict
 * depends only on FLG, BD and HC: the decoder keeps the last ones seen. */
static void lz4_check_hc(sink *s, const uint8_t *in, size_t desc_end)
{
	ksd_decoder *d = s->d;
	lz4_hc_kind kind;
	if (desc_end == 6) {
		uint32_t key = in[4] | (uint32_t)in[5] << 8 | (uint32_t)in[6] << 16 |
			       1u << 24;
		if (d->lz4_hc_key != key) {
			d->lz4_hc_key = key;
			d->lz4_hc_verdict = lz4_hc_classify(in, desc_end);
		}
		kind = d->lz4_hc_verdict;
	} else {
		kind = lz4_hc_classify(in, desc_end);
	}
	if (kind == LZ4_HC_LEGACY)
		s->info->lz4_legacy_header_checksum = true;
	else if (kind == LZ4_HC_BAD)
		s->info->lz4_bad_header_checksum = true;
}

static ksd_decode_status lz4_header(sink *s, const uint8_t *in, size_t in_len,
				    lz4_frame *f)
{
	/* Lz4BlockInputStream wants 6 bytes before it looks at the magic. */
	if (in_len < 6)
		return fail(s, KSD_DECODE_TRUNCATED, in, "lz4: frame header cut short");
	if (read_le32(in) != LZ4_FRAME_MAGIC)
		return fail(s, KSD_DECODE_CORRUPT, in, "lz4: bad frame magic");
	ksd_decode_status st = lz4_check_descriptor(s, in, f);
	if (st != KSD_DECODE_OK)
		return st;
	/* The optional content size is skipped, as Kafka skips it. */
	size_t desc_end = 6 + (f->flg & LZ4_FLG_CONTENT_SIZE ? 8 : 0);
	if (in_len < desc_end + 1)
		return fail(s, KSD_DECODE_TRUNCATED, in + 6,
			    "lz4: frame descriptor cut short");
	lz4_check_hc(s, in, desc_end);
	f->header_len = desc_end + 1;
	return KSD_DECODE_OK;
}

/*
 * A compressed block that might not fit below the limit: decode it into
 * scratch memory of at most one byte more than the room left, so neither
 * the block's declared max size nor a bomb makes us allocate past the
 * limit.  When even that fails, a partial decode tells "more than the
 * room" (over the limit) from "bad data" (corrupt).
 */
static ksd_decode_status lz4_block_near_limit(sink *s, const lz4_frame *f,
					      const uint8_t *p, size_t n)
{
	ksd_decoder *d = s->d;
	size_t room = s->limit - s->len;
	size_t want = room < f->max_block ? room + 1 : f->max_block;
	if (d->block_cap < want) {
		uint8_t *nb = realloc(d->block, want);
		if (!nb)
			return fail(s, KSD_DECODE_NOMEM, p, "out of memory");
		d->block = nb;
		d->block_cap = want;
	}
	/* n and want are at most 4 MiB: int is safe. */
	const char *src = (const char *)p;
	char *dst = (char *)d->block;
	int got = LZ4_decompress_safe(src, dst, (int)n, (int)want);
	if (got < 0 && want < f->max_block &&
	    LZ4_decompress_safe_partial(src, dst, (int)n, (int)want, (int)want) ==
		    (int)want)
		return size_fail(s, s->len + want, p);
	if (got < 0)
		return fail(s, KSD_DECODE_CORRUPT, p, "lz4: invalid block data");
	/* got == room + 1 is over the limit: sink_reserve says so. */
	ksd_decode_status st = sink_reserve(s, (size_t)got, p);
	if (st != KSD_DECODE_OK)
		return st;
	memcpy(sink_end(s), d->block, (size_t)got);
	s->len += (size_t)got;
	return KSD_DECODE_OK;
}

static ksd_decode_status lz4_block(sink *s, const lz4_frame *f,
				   const uint8_t *p, size_t n, bool stored)
{
	if (stored) {
		ksd_decode_status st = sink_reserve(s, n, p);
		if (st != KSD_DECODE_OK)
			return st;
		memcpy(sink_end(s), p, n);
		s->len += n;
		return KSD_DECODE_OK;
	}
	if (size_status(s, s->len + f->max_block) != KSD_DECODE_OK)
		return lz4_block_near_limit(s, f, p, n);
	/* sink_reserve without its size check, just made. */
	if (!sink_grow(s, s->len + f->max_block))
		return fail(s, KSD_DECODE_NOMEM, p, "out of memory");
	/* n and max_block are at most 4 MiB: int is safe. */
	int got = LZ4_decompress_safe((const char *)p, (char *)sink_end(s),
				      (int)n, (int)f->max_block);
	if (got < 0)
		return fail(s, KSD_DECODE_CORRUPT, p, "lz4: invalid block data");
	s->len += (size_t)got;
	return KSD_DECODE_OK;
}

/* The end mark, then the optional content checksum: Kafka skips it
 * unverified (Lz4BlockInputStream.readBlock), and so do we. */
static ksd_decode_status lz4_end(sink *s, const lz4_frame *f,
				 const uint8_t *p, const uint8_t *end)
{
	size_t tail = f->flg & LZ4_FLG_CONTENT_CSUM ? 4 : 0;
	if ((size_t)(end - p) < tail)
		return fail(s, KSD_DECODE_TRUNCATED, p,
			    "lz4: content checksum cut short");
	if ((size_t)(end - p) > tail)
		s->info->detail = "ok; bytes after the lz4 end mark ignored, "
				  "as Kafka reads one frame";
	return KSD_DECODE_OK;
}

/* One block at *pos (size word, data, optional checksum); *done at end. */
static ksd_decode_status lz4_next(sink *s, const lz4_frame *f,
				  const uint8_t **pos, const uint8_t *end,
				  bool *done)
{
	const uint8_t *p = *pos;
	if (end - p < 4)
		return fail(s, KSD_DECODE_TRUNCATED, p, "lz4: no end mark");
	uint32_t word = read_le32(p);
	size_t n = word & ~LZ4_BLOCK_STORED;
	/* Kafka masks the stored bit before testing for the end mark, so
	 * 0x80000000 ends the frame too. */
	if (n == 0) {
		*done = true;
		return lz4_end(s, f, p + 4, end);
	}
	if (n > f->max_block)
		return fail(s, KSD_DECODE_CORRUPT, p,
			    "lz4: block larger than the frame's max block size");
	size_t csum = f->flg & LZ4_FLG_BLOCK_CSUM ? 4 : 0;
	if ((size_t)(end - p) - 4 < n + csum)
		return fail(s, KSD_DECODE_TRUNCATED, p, "lz4: block cut short");
	const uint8_t *data = p + 4;
	if (csum && ksd_codec_xxh32(data, n, 0) != read_le32(data + n))
		return fail(s, KSD_DECODE_CORRUPT, data + n,
			    "lz4: block checksum mismatch");
	*pos = data + n + csum;
	return lz4_block(s, f, data, n, word & LZ4_BLOCK_STORED);
}

/* magic does not change how the frame is read, only how a caller weighs
 * the header checksum flags (see lz4_check_hc). */
static ksd_decode_status decode_lz4(sink *s, const uint8_t *in, size_t in_len)
{
	lz4_frame f;
	ksd_decode_status st = lz4_header(s, in, in_len, &f);
	if (st != KSD_DECODE_OK)
		return st;
	const uint8_t *pos = in + f.header_len, *end = in + in_len;
	bool done = false;
	while (st == KSD_DECODE_OK && !done)
		st = lz4_next(s, &f, &pos, end, &done);
	return st;
}

/* ---------------------------------------------------------------------
 * zstd: zstd-jni's streaming reader semantics (KIP-110).
 */

static ksd_decode_status zstd_error(sink *s, size_t rc, const uint8_t *at)
{
	switch (ZSTD_getErrorCode(rc)) {
	case ZSTD_error_memory_allocation:
		return fail(s, KSD_DECODE_NOMEM, at, "out of memory");
	case ZSTD_error_frameParameter_windowTooLarge:
		return fail(s, KSD_DECODE_CORRUPT, at,
			    "zstd: frame window above 128 MiB, which Kafka refuses too");
	case ZSTD_error_prefix_unknown:
		return fail(s, KSD_DECODE_CORRUPT, at, "zstd: not a zstd frame");
	default:
		return fail(s, KSD_DECODE_CORRUPT, at, "zstd: invalid frame data");
	}
}

/*
 * At a frame boundary: a declared content size is checked against the
 * limit before decoding (a frame claiming 1 TB fails here, nothing is
 * allocated), and a plausible one sizes the buffer in one step.
 */
static ksd_decode_status zstd_frame_start(sink *s, const uint8_t *p, size_t left)
{
	unsigned long long fcs = ZSTD_getFrameContentSize(p, left);
	if (fcs == ZSTD_CONTENTSIZE_UNKNOWN || fcs == ZSTD_CONTENTSIZE_ERROR)
		return KSD_DECODE_OK; /* the decoder reports bad headers */
	if (fcs > SIZE_MAX - s->len)
		return size_fail(s, SIZE_MAX, p);
	return sink_reserve(s, (size_t)fcs, p);
}

static ksd_decode_status decode_zstd(sink *s, int magic, const uint8_t *in,
				     size_t in_len)
{
	if (magic != 2)
		return fail(s, KSD_DECODE_UNSUPPORTED, in,
			    "zstd is only valid in magic 2 batches (KIP-110)");
	if (in_len == 0)
		return fail(s, KSD_DECODE_TRUNCATED, in, "zstd: empty input");
	ZSTD_DCtx *z = s->d->zstd;
	ZSTD_DCtx_reset(z, ZSTD_reset_session_only);
	ZSTD_inBuffer zin = { in, in_len, 0 };
	size_t rc = 0; /* 0: at a frame boundary */
	for (;;) {
		ksd_decode_status st = KSD_DECODE_OK;
		if (rc == 0 && zin.pos == zin.size)
			return KSD_DECODE_OK;
		if (rc == 0)
			st = zstd_frame_start(s, in + zin.pos, in_len - zin.pos);
		uint8_t *win;
		size_t room;
		if (st == KSD_DECODE_OK)
			st = sink_window(s, &win, &room);
		if (st != KSD_DECODE_OK)
			return st;
		ZSTD_outBuffer zout = { win, room, 0 };
		rc = ZSTD_decompressStream(z, &zout, &zin);
		if (ZSTD_isError(rc))
			return zstd_error(s, rc, in + zin.pos);
		st = sink_commit(s, zout.pos, in + zin.pos);
		if (st != KSD_DECODE_OK)
			return st;
		/* Mid-frame, input used up, output not full: it is cut short. */
		if (rc != 0 && zin.pos == zin.size && zout.pos < zout.size)
			return fail(s, KSD_DECODE_TRUNCATED, in + in_len,
				    "zstd: stream ends inside a frame");
	}
}

/* ---------------------------------------------------------------------
 * Entry point
 */

static ksd_decode_status dispatch(sink *s, int codec, int magic,
				  const uint8_t *in, size_t in_len)
{
	switch (codec) {
	case KSD_CODEC_GZIP:
		return decode_gzip(s, in, in_len);
	case KSD_CODEC_SNAPPY:
		return decode_snappy(s, in, in_len);
	case KSD_CODEC_LZ4:
		return decode_lz4(s, in, in_len);
	case KSD_CODEC_ZSTD:
		return decode_zstd(s, magic, in, in_len);
	default:
		return fail(s, KSD_DECODE_UNSUPPORTED, in,
			    "unknown compression codec id");
	}
}

ksd_decode_status ksd_decode(ksd_decoder *d, int codec, int magic,
			     const uint8_t *in, size_t in_len,
			     const uint8_t **out, size_t *out_len,
			     ksd_decode_info *info)
{
	static const uint8_t empty[1];
	ksd_decode_info scratch_info;
	if (!info)
		info = &scratch_info;
	*info = (ksd_decode_info){ .detail = "ok" };
	if (!out || !out_len || !d || (!in && in_len)) {
		info->detail = "invalid arguments";
		return KSD_DECODE_UNSUPPORTED;
	}
	if (!in)
		in = empty; /* in_len is 0: keeps pointer arithmetic defined */
	if (codec == KSD_CODEC_NONE) {
		*out = in;
		*out_len = in_len;
		return KSD_DECODE_OK;
	}
	sink s;
	sink_init(&s, d, in, in_len, info);
	ksd_decode_status st = dispatch(&s, codec, magic, in, in_len);
	*out = s.len ? d->buf : empty;
	*out_len = s.len;
	return st;
}
