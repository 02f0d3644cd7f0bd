/*
 * ksd/codec.h - decompression of Kafka batch payloads, with Kafka's exact
 * framing (kafka-facts.md §1.9) and hard output caps.
 *
 * A ksd_decoder owns reusable codec contexts and one output buffer that grows
 * geometrically up to `max_output` and is then reused for every later call,
 * so steady-state decoding allocates nothing (perf-limits.md: first touch of
 * fresh memory runs at 0.3 GB/s).  Sizes declared inside compressed data
 * (zstd content size, lz4 block sizes, xerial chunk lengths) are never used
 * to allocate: they are checked against the cap first.
 *
 * Decoded bytes stay valid until the next ksd_decode() on the same decoder.
 */
#ifndef KSD_CODEC_H
#define KSD_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ksd/error.h"

/* Codec ids as stored in attribute bits 0-2, identical for v0/v1 and v2. */
typedef enum ksd_codec {
	KSD_CODEC_NONE = 0,
	KSD_CODEC_GZIP = 1,
	KSD_CODEC_SNAPPY = 2,
	KSD_CODEC_LZ4 = 3,
	KSD_CODEC_ZSTD = 4,
} ksd_codec;

/* "none", "gzip", ... or "unknown(N)" is not returned: NULL for ids > 4. */
const char *ksd_codec_name(int codec_id);

typedef enum ksd_decode_status {
	KSD_DECODE_OK = 0,
	KSD_DECODE_CORRUPT,     /* the compressed stream is malformed */
	KSD_DECODE_TRUNCATED,   /* the stream ends early */
	KSD_DECODE_OVER_CAP,    /* output would exceed max_output */
	KSD_DECODE_RATIO,       /* output/input ratio beyond the bomb guard */
	KSD_DECODE_UNSUPPORTED, /* codec id unknown, or zstd in magic < 2 */
	KSD_DECODE_NOMEM,
} ksd_decode_status;

const char *ksd_decode_status_name(ksd_decode_status st);

/* What the decoder noticed besides success or failure. */
typedef struct ksd_decode_info {
	/* lz4: header checksum computed the pre-0.10 way (KAFKA-3160). */
	bool lz4_legacy_header_checksum;
	/* lz4: header checksum matches neither the standard nor the legacy way. */
	bool lz4_bad_header_checksum;
	/* snappy: input was not xerial-framed, decoded as one raw block. */
	bool snappy_raw;
	/* gzip: more than one member was concatenated. */
	bool gzip_multi_member;
	/* On failure: offset within the compressed input where it was noticed. */
	size_t error_offset;
	/* On failure: short static English detail, never NULL after a call. */
	const char *detail;
} ksd_decode_info;

typedef struct ksd_decoder_limits {
	size_t max_output; /* absolute cap on one decompressed payload */
	/* Bomb guard: fail with KSD_DECODE_RATIO when output exceeds both
	 * ratio_floor bytes and max_ratio times the input. */
	size_t ratio_floor;
	unsigned max_ratio;
} ksd_decoder_limits;

/* 256 MiB cap, ratio guard 1000x above 16 MiB. */
extern const ksd_decoder_limits KSD_DECODER_DEFAULT_LIMITS;

typedef struct ksd_decoder ksd_decoder;

ksd_err ksd_decoder_new(const ksd_decoder_limits *limits, ksd_decoder **out);
void ksd_decoder_free(ksd_decoder *d);

/*
 * Decompresses `in` as `codec` for a batch of the given magic (0, 1, 2).
 * magic matters for lz4 (KAFKA-3160: magic 0 accepts the legacy header
 * checksum) and zstd (only valid with magic 2, KIP-110).
 * On KSD_DECODE_OK, *out and *out_len give the payload (owned by the decoder).
 */
ksd_decode_status ksd_decode(ksd_decoder *d, int codec, int magic,
			     const uint8_t *in, size_t in_len,
			     const uint8_t **out, size_t *out_len,
			     ksd_decode_info *info);

/* XXH32 (xxHash spec), as the LZ4 frame format uses it for its header and
 * block checksums; liblz4 does not export its copy. */
uint32_t ksd_codec_xxh32(const void *data, size_t len, uint32_t seed);

#endif
