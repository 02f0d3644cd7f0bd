/*
 * codec_bench - how close ksd_decode and the record iterator come to the
 * codec libraries themselves, on the same batch payloads (issue 3).
 *
 *   codec_bench [--rounds N] [--min-seconds S] [--codec C] [--crc] PATH...
 *
 * PATH is a .log file or a directory searched recursively for them.  Every
 * batch is loaded into memory once; batches are grouped by codec.  For each
 * codec, one round times each mode once over all of its batches (repeated
 * until a pass lasts --min-seconds), modes interleaved A B C, C B A, ... so
 * drift on a shared host hits every mode alike:
 *
 *   lib      the bare library call on each payload, into one reused buffer:
 *            zlib inflate (and libdeflate_gzip_decompress_ex) per gzip
 *            member, snappy_uncompress per xerial chunk, LZ4_decompress_safe
 *            per frame block, ZSTD_decompressStream per payload
 *   decode   ksd_decode on the same payloads, one reused decoder
 *   deep     ksd_records_begin/next over every record, touching each key
 *            and value, with the same decoder
 *
 * Reported: medians over rounds of MB/s of compressed payload bytes (the
 * records area of a v2 batch, the wrapper value of a v0/v1 one) and of
 * decoded bytes, and the median over rounds of each mode's speed relative
 * to the library in the same round (perf-limits.md: quote ratios).
 * --codec limits the run to one codec; --crc adds zlib crc32 vs
 * libdeflate_crc32 over every loaded entry.  Single-threaded.  Output lines starting with "row " are for
 * scripts/bench-codecs.sh.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <libdeflate.h>
#include <lz4.h>
#include <snappy-c.h>
#include <zlib.h>
#include <zstd.h>

#include "ksd/batch.h"
#include "ksd/codec.h"
#include "ksd/records.h"

#define N_CODECS 5
#define MAX_MODES 4
#define MAX_ROUNDS 64
#define LIB_MIN_BUF ((size_t)64 << 10)

/* One batch kept in memory: its header and where its payload is. */
typedef struct bench_batch {
	ksd_batch b;
	const uint8_t *entry;
	const uint8_t *payload;
	size_t payload_len;
} bench_batch;

typedef struct batch_list {
	bench_batch *v;
	size_t n, cap;
	uint64_t in_bytes;  /* compressed payload bytes */
	uint64_t out_bytes; /* decoded bytes, from a checked ksd_decode pass */
	uint64_t records;
	size_t max_out;
} batch_list;

/* What every mode needs: the reused buffers and contexts. */
typedef struct bench_ctx {
	uint8_t *buf;
	size_t cap;
	z_stream zs;
	struct libdeflate_decompressor *ldd;
	ZSTD_DCtx *zstd;
	ksd_decoder *dec;
	uint64_t sink; /* folded results, printed so nothing is optimised out */
} bench_ctx;

/* A mode runs over every batch of a list; returns decoded bytes or -1. */
typedef long long (*mode_fn)(bench_ctx *c, const batch_list *l);

typedef struct mode {
	const char *name;
	mode_fn run;
	bool is_lib;
} mode;

static void die(const char *what)
{
	fprintf(stderr, "codec_bench: %s\n", what);
	exit(1);
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

/* --- loading ---------------------------------------------------------------- */

static void list_push(batch_list *l, const bench_batch *bb)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 1024;
		l->v = realloc(l->v, l->cap * sizeof *l->v);
		if (!l->v)
			die("out of memory");
	}
	l->v[l->n++] = *bb;
}

/* The compressed value of a v0/v1 wrapper message, or false. */
static bool legacy_payload(const ksd_batch *b, const uint8_t *e, bench_batch *bb)
{
	size_t at = KSD_LOG_OVERHEAD + 4 + 2 + (b->magic == 1 ? 8 : 0);
	if (at + 4 > b->entry_len)
		return false;
	int32_t klen = (int32_t)be32(e + at);
	at += 4 + (klen > 0 ? (size_t)klen : 0);
	if (at + 4 > b->entry_len)
		return false;
	int32_t vlen = (int32_t)be32(e + at);
	at += 4;
	if (vlen < 0 || at + (size_t)vlen > b->entry_len)
		return false;
	bb->payload = e + at;
	bb->payload_len = (size_t)vlen;
	return true;
}

static void add_file_batches(batch_list lists[N_CODECS], const uint8_t *data,
			     size_t size)
{
	for (uint64_t pos = 0; pos < size;) {
		bench_batch bb = { .entry = data + pos };
		if (ksd_batch_parse(data + pos, size - pos, size - pos, pos, &bb.b) !=
		    KSD_ENTRY_OK)
			return;
		if (bb.b.magic >= 2) {
			bb.payload = bb.entry + KSD_V2_OVERHEAD;
			bb.payload_len = (size_t)bb.b.entry_len - KSD_V2_OVERHEAD;
		} else if (bb.b.codec != KSD_CODEC_NONE &&
			   !legacy_payload(&bb.b, bb.entry, &bb)) {
			return;
		}
		if (bb.b.codec >= 0 && bb.b.codec < N_CODECS)
			list_push(&lists[bb.b.codec], &bb);
		pos += bb.b.entry_len;
	}
}

/* Reads a whole file; the memory stays for the run (batches point in). */
static void load_file(batch_list lists[N_CODECS], const char *path)
{
	int fd = open(path, O_RDONLY);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) != 0) {
		perror(path);
		exit(1);
	}
	size_t size = (size_t)st.st_size, got = 0;
	uint8_t *data = malloc(size ? size : 1);
	if (!data)
		die("out of memory");
	while (got < size) {
		ssize_t n = read(fd, data + got, size - got);
		if (n <= 0)
			die("short read");
		got += (size_t)n;
	}
	close(fd);
	add_file_batches(lists, data, size);
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && strcmp(s + n - m, suffix) == 0;
}

static void load_path(batch_list lists[N_CODECS], const char *path)
{
	struct stat st;
	if (stat(path, &st) != 0) {
		perror(path);
		exit(1);
	}
	if (!S_ISDIR(st.st_mode)) {
		load_file(lists, path);
		return;
	}
	struct dirent **names;
	int n = scandir(path, &names, NULL, alphasort);
	if (n < 0) {
		perror(path);
		exit(1);
	}
	for (int i = 0; i < n; i++) {
		const char *name = names[i]->d_name;
		char sub[4096];
		if (name[0] != '.' &&
		    (size_t)snprintf(sub, sizeof sub, "%s/%s", path, name) < sizeof sub) {
			struct stat ss;
			if (stat(sub, &ss) == 0 &&
			    (S_ISDIR(ss.st_mode) || ends_with(name, ".log")))
				load_path(lists, sub);
		}
		free(names[i]);
	}
	free(names);
}

/* --- lib modes: the bare library calls -------------------------------------- */

static bool gzip_member_follows(const uint8_t *p, size_t left)
{
	return left >= 10 && p[0] == 0x1f && p[1] == 0x8b && p[2] == 8;
}

/* zlib inflate with the whole member in one call (Z_FINISH: no window
 * copy), members concatenated as GZIPInputStream reads them. */
static long long zlib_payload(bench_ctx *c, const uint8_t *in, size_t n)
{
	size_t out = 0, pos = 0;
	do {
		if (inflateReset(&c->zs) != Z_OK)
			return -1;
		c->zs.next_in = (Bytef *)(in + pos);
		c->zs.avail_in = (uInt)(n - pos);
		c->zs.next_out = c->buf + out;
		c->zs.avail_out = (uInt)(c->cap - out);
		if (inflate(&c->zs, Z_FINISH) != Z_STREAM_END)
			return -1;
		out = c->cap - c->zs.avail_out;
		pos = n - c->zs.avail_in;
	} while (gzip_member_follows(in + pos, n - pos));
	return (long long)out;
}

static long long libdeflate_payload(bench_ctx *c, const uint8_t *in, size_t n)
{
	size_t out = 0, pos = 0;
	do {
		size_t used, got;
		if (libdeflate_gzip_decompress_ex(c->ldd, in + pos, n - pos, c->buf + out,
						  c->cap - out, &used,
						  &got) != LIBDEFLATE_SUCCESS)
			return -1;
		out += got;
		pos += used;
	} while (gzip_member_follows(in + pos, n - pos));
	return (long long)out;
}

/* xerial framing: 16-byte header, then big-endian length + raw block. */
static long long snappy_payload(bench_ctx *c, const uint8_t *in, size_t n)
{
	size_t out = 0;
	for (size_t pos = 16; pos + 4 <= n;) {
		size_t len = be32(in + pos), ulen;
		const char *blk = (const char *)in + pos + 4;
		if (len > n - pos - 4 ||
		    snappy_uncompressed_length(blk, len, &ulen) != SNAPPY_OK ||
		    ulen > c->cap - out ||
		    snappy_uncompress(blk, len, (char *)c->buf + out, &ulen) != SNAPPY_OK)
			return -1;
		out += ulen;
		pos += 4 + len;
	}
	return (long long)out;
}

/* LZ4 frame: header (content size optional), blocks, end mark. */
static long long lz4_payload(bench_ctx *c, const uint8_t *in, size_t n)
{
	if (n < 7)
		return -1;
	uint8_t flg = in[4];
	size_t pos = 7 + (flg & 0x08 ? 8 : 0), csum = flg & 0x10 ? 4 : 0, out = 0;
	while (pos + 4 <= n) {
		uint32_t word = le32(in + pos);
		size_t len = word & 0x7fffffffu;
		if (len == 0)
			return (long long)out;
		const uint8_t *blk = in + pos + 4;
		if (len > n - pos - 4)
			return -1;
		if (word & 0x80000000u) {
			memcpy(c->buf + out, blk, len);
			out += len;
		} else {
			int got = LZ4_decompress_safe((const char *)blk, (char *)c->buf + out,
						      (int)len, (int)(c->cap - out));
			if (got < 0)
				return -1;
			out += (size_t)got;
		}
		pos += 4 + len + csum;
	}
	return -1;
}

static long long zstd_payload(bench_ctx *c, const uint8_t *in, size_t n)
{
	ZSTD_DCtx_reset(c->zstd, ZSTD_reset_session_only);
	ZSTD_inBuffer zin = { in, n, 0 };
	ZSTD_outBuffer zout = { c->buf, c->cap, 0 };
	while (zin.pos < zin.size) {
		size_t rc = ZSTD_decompressStream(c->zstd, &zout, &zin);
		if (ZSTD_isError(rc) || (zout.pos == zout.size && rc != 0))
			return -1;
	}
	return (long long)zout.pos;
}

typedef long long (*payload_fn)(bench_ctx *c, const uint8_t *in, size_t n);

static long long each_payload(bench_ctx *c, const batch_list *l, payload_fn f)
{
	long long total = 0;
	for (size_t i = 0; i < l->n; i++) {
		long long got = f(c, l->v[i].payload, l->v[i].payload_len);
		if (got < 0)
			return -1;
		total += got;
		c->sink += got ? c->buf[got - 1] : 0;
	}
	return total;
}

static long long run_zlib(bench_ctx *c, const batch_list *l)
{
	return each_payload(c, l, zlib_payload);
}

static long long run_libdeflate(bench_ctx *c, const batch_list *l)
{
	return each_payload(c, l, libdeflate_payload);
}

static long long run_snappy(bench_ctx *c, const batch_list *l)
{
	return each_payload(c, l, snappy_payload);
}

static long long run_lz4(bench_ctx *c, const batch_list *l)
{
	return each_payload(c, l, lz4_payload);
}

static long long run_zstd(bench_ctx *c, const batch_list *l)
{
	return each_payload(c, l, zstd_payload);
}

/* --- ksd modes ---------------------------------------------------------------- */

static long long run_decode(bench_ctx *c, const batch_list *l)
{
	long long total = 0;
	for (size_t i = 0; i < l->n; i++) {
		const bench_batch *bb = &l->v[i];
		const uint8_t *out;
		size_t out_len;
		ksd_decode_info info;
		if (ksd_decode(c->dec, bb->b.codec, bb->b.magic, bb->payload,
			       bb->payload_len, &out, &out_len, &info) != KSD_DECODE_OK)
			return -1;
		total += (long long)out_len;
		c->sink += out_len ? out[out_len - 1] : 0;
	}
	return total;
}

/* Every record of one batch; touches the first byte of each key and value. */
static long long deep_batch(bench_ctx *c, const bench_batch *bb)
{
	ksd_record_iter it;
	ksd_record r;
	if (ksd_records_begin(&it, &bb->b, bb->entry, c->dec) != KSD_RECS_OK)
		return -1;
	long long n = 0;
	ksd_recs_status st;
	while ((st = ksd_records_next(&it, &r)) == KSD_RECS_OK) {
		n++;
		if (r.key_len > 0)
			c->sink += r.key[0];
		if (r.value_len > 0)
			c->sink += r.value[0] ^ r.value[r.value_len - 1];
	}
	return st == KSD_RECS_END ? n : -1;
}

/* Returns records, not bytes: the caller knows the decoded size. */
static long long run_deep(bench_ctx *c, const batch_list *l)
{
	long long records = 0;
	for (size_t i = 0; i < l->n; i++) {
		long long n = deep_batch(c, &l->v[i]);
		if (n < 0)
			return -1;
		records += n;
	}
	return records;
}

/* --- measurement -------------------------------------------------------------- */

static int modes_for(int codec, mode out[MAX_MODES])
{
	int n = 0;
	switch (codec) {
	case KSD_CODEC_GZIP:
		out[n++] = (mode){ "zlib", run_zlib, true };
		out[n++] = (mode){ "libdeflate", run_libdeflate, true };
		break;
	case KSD_CODEC_SNAPPY:
		out[n++] = (mode){ "snappy", run_snappy, true };
		break;
	case KSD_CODEC_LZ4:
		out[n++] = (mode){ "lz4", run_lz4, true };
		break;
	case KSD_CODEC_ZSTD:
		out[n++] = (mode){ "zstd", run_zstd, true };
		break;
	default:
		break;
	}
	if (codec != KSD_CODEC_NONE)
		out[n++] = (mode){ "ksd_decode", run_decode, false };
	out[n++] = (mode){ "deep", run_deep, false };
	return n;
}

/* One untimed pass per mode: checks every mode agrees, counts records. */
static void check_modes(bench_ctx *c, batch_list *l, const mode *m, int n_modes)
{
	l->out_bytes = 0;
	l->max_out = 0;
	for (size_t i = 0; i < l->n; i++) {
		const bench_batch *bb = &l->v[i];
		const uint8_t *out;
		size_t out_len;
		if (ksd_decode(c->dec, bb->b.codec, bb->b.magic, bb->payload,
			       bb->payload_len, &out, &out_len, NULL) != KSD_DECODE_OK)
			die("ksd_decode failed on a batch");
		l->out_bytes += out_len;
		l->in_bytes += bb->payload_len;
		if (out_len > l->max_out)
			l->max_out = out_len;
	}
	/* At least the 64 KiB ksd_decode starts with: a tight buffer would
	 * push LZ4_decompress_safe onto its careful end-of-buffer path. */
	size_t want = l->max_out > LIB_MIN_BUF ? l->max_out : LIB_MIN_BUF;
	if (want > c->cap) {
		free(c->buf);
		c->cap = want;
		c->buf = malloc(c->cap);
		if (!c->buf)
			die("out of memory");
		memset(c->buf, 0, c->cap); /* first touch outside the timing */
	}
	for (int k = 0; k < n_modes; k++) {
		long long got = m[k].run(c, l);
		if (m[k].run == run_deep)
			l->records = (uint64_t)got;
		else if (got != (long long)l->out_bytes)
			die("a library mode disagrees with ksd_decode on the output size");
	}
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static double median(const double *v, int n)
{
	double s[MAX_ROUNDS];
	memcpy(s, v, (size_t)n * sizeof *s);
	qsort(s, (size_t)n, sizeof *s, cmp_double);
	return n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

/* Seconds for `reps` passes of one mode. */
static double time_mode(bench_ctx *c, const batch_list *l, const mode *m, int reps)
{
	double t0 = now();
	for (int r = 0; r < reps; r++)
		if (m->run(c, l) < 0)
			die("a mode failed during timing");
	return now() - t0;
}

static int calibrate(bench_ctx *c, const batch_list *l, const mode *m, double min_s)
{
	double t = time_mode(c, l, m, 1);
	int reps = t >= min_s ? 1 : (int)(min_s / (t > 1e-6 ? t : 1e-6)) + 1;
	return reps > 100000 ? 100000 : reps;
}

typedef struct results {
	double secs[MAX_MODES][MAX_ROUNDS]; /* per pass */
} results;

static void measure(bench_ctx *c, const batch_list *l, const mode *m, int n_modes,
		    int rounds, int reps, results *res)
{
	for (int r = 0; r < rounds; r++) {
		for (int j = 0; j < n_modes; j++) {
			int k = r % 2 ? n_modes - 1 - j : j; /* A B C, C B A, ... */
			res->secs[k][r] = time_mode(c, l, &m[k], reps) / reps;
		}
	}
}

/* Median over rounds of lib time / mode time, in percent. */
static double pct_of(const results *res, int mode_i, int lib_i, int rounds)
{
	double ratio[MAX_ROUNDS];
	for (int r = 0; r < rounds; r++)
		ratio[r] = 100.0 * res->secs[lib_i][r] / res->secs[mode_i][r];
	return median(ratio, rounds);
}

static void report(int codec, const batch_list *l, const mode *m, int n_modes,
		   int rounds, int reps, const results *res)
{
	const char *name = ksd_codec_name(codec);
	printf("\n%s: %zu batches, %.1f MB payload -> %.1f MB decoded (ratio %.2f), "
	       "%llu records; %d rounds x %d passes\n",
	       name, l->n, (double)l->in_bytes / 1e6, (double)l->out_bytes / 1e6,
	       l->in_bytes ? (double)l->out_bytes / (double)l->in_bytes : 0.0,
	       (unsigned long long)l->records, rounds, reps);
	printf("  %-12s %10s %10s %9s", "mode", "in MB/s", "out MB/s", "ns/batch");
	for (int j = 0; j < n_modes; j++)
		if (m[j].is_lib)
			printf(" %12s", m[j].name);
	printf("\n");
	for (int k = 0; k < n_modes; k++) {
		double t = median(res->secs[k], rounds);
		double in_mbs = (double)l->in_bytes / t / 1e6;
		double out_mbs = (double)l->out_bytes / t / 1e6;
		printf("  %-12s %10.1f %10.1f %9.0f", m[k].name, in_mbs, out_mbs,
		       t * 1e9 / (double)l->n);
		for (int j = 0; j < n_modes; j++)
			if (m[j].is_lib)
				printf(" %11.1f%%", pct_of(res, k, j, rounds));
		printf("\n");
	}
	/* Machine-readable: meta codec batches in_bytes out_bytes records, then
	 * row codec mode in_MBps out_MBps lib=pct_of_lib... */
	printf("meta %s %zu %llu %llu %llu\n", name, l->n, (unsigned long long)l->in_bytes,
	       (unsigned long long)l->out_bytes, (unsigned long long)l->records);
	for (int k = 0; k < n_modes; k++) {
		double t = median(res->secs[k], rounds);
		printf("row %s %s %.1f %.1f", name, m[k].name,
		       (double)l->in_bytes / t / 1e6, (double)l->out_bytes / t / 1e6);
		for (int j = 0; j < n_modes; j++)
			if (m[j].is_lib)
				printf(" %s=%.1f", m[j].name, pct_of(res, k, j, rounds));
		printf("\n");
	}
}

static void bench_codec(bench_ctx *c, int codec, batch_list *l, int rounds,
			double min_s)
{
	mode m[MAX_MODES];
	int n_modes = modes_for(codec, m);
	check_modes(c, l, m, n_modes);
	/* The slowest mode sets the passes per round: each timing >= min_s. */
	int reps = calibrate(c, l, &m[n_modes - 1], min_s);
	results res;
	measure(c, l, m, n_modes, rounds, reps, &res);
	report(codec, l, m, n_modes, rounds, reps, &res);
}

/* --- CRC-32: zlib vs libdeflate ---------------------------------------------------- */

/* CRC-32 over each entry from its v0/v1 checksummed start (byte 16), the
 * span a v0/v1 message's CRC covers; sizes are those of the batches. */
static long long crc_zlib(bench_ctx *c, const batch_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		c->sink += crc32(0, l->v[i].entry + 16, (uInt)(l->v[i].b.entry_len - 16));
	return 0;
}

static long long crc_libdeflate(bench_ctx *c, const batch_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		c->sink += libdeflate_crc32(0, l->v[i].entry + 16,
					    (size_t)l->v[i].b.entry_len - 16);
	return 0;
}

static void bench_crc(bench_ctx *c, const batch_list lists[N_CODECS], int rounds,
		      double min_s)
{
	batch_list all = { 0 };
	uint64_t bytes = 0;
	for (int k = 0; k < N_CODECS; k++)
		for (size_t i = 0; i < lists[k].n; i++) {
			list_push(&all, &lists[k].v[i]);
			bytes += lists[k].v[i].b.entry_len - 16;
		}
	for (size_t i = 0; i < all.n; i++)
		if (crc32(0, all.v[i].entry + 16, (uInt)(all.v[i].b.entry_len - 16)) !=
		    libdeflate_crc32(0, all.v[i].entry + 16, (size_t)all.v[i].b.entry_len - 16))
			die("zlib and libdeflate CRC-32 differ");
	mode m[2] = { { "crc32-zlib", crc_zlib, true },
		      { "crc32-libdeflate", crc_libdeflate, false } };
	int reps = calibrate(c, &all, &m[0], min_s);
	results res;
	measure(c, &all, m, 2, rounds, reps, &res);
	printf("\nCRC-32 over %zu entries (%.1f MB, %.0f B each); %d rounds x %d passes\n",
	       all.n, (double)bytes / 1e6, (double)bytes / (double)(all.n ? all.n : 1),
	       rounds, reps);
	for (int k = 0; k < 2; k++) {
		double gbs = (double)bytes / median(res.secs[k], rounds) / 1e9;
		double pct = pct_of(&res, k, 0, rounds);
		printf("  %-18s %8.2f GB/s %8.1f%% of zlib\n", m[k].name, gbs, pct);
		printf("row crc %s %.2f zlib=%.1f bytes=%.0f\n", m[k].name, gbs, pct,
		       (double)bytes / (double)(all.n ? all.n : 1));
	}
	free(all.v);
}

/* --- main ----------------------------------------------------------------------- */

static void ctx_init(bench_ctx *c)
{
	memset(c, 0, sizeof *c);
	if (inflateInit2(&c->zs, 16 + MAX_WBITS) != Z_OK)
		die("zlib init");
	c->ldd = libdeflate_alloc_decompressor();
	c->zstd = ZSTD_createDCtx();
	if (!c->ldd || !c->zstd ||
	    ksd_decoder_new(&KSD_DECODER_DEFAULT_LIMITS, &c->dec) != KSD_OK)
		die("out of memory");
}

static void ctx_free(bench_ctx *c)
{
	inflateEnd(&c->zs);
	libdeflate_free_decompressor(c->ldd);
	ZSTD_freeDCtx(c->zstd);
	ksd_decoder_free(c->dec);
	free(c->buf);
}

static void usage(void)
{
	fprintf(stderr, "usage: codec_bench [--rounds N] [--min-seconds S] [--codec C] [--crc] PATH...\n");
	exit(2);
}

int main(int argc, char **argv)
{
	int rounds = 5;
	double min_s = 0.3;
	batch_list lists[N_CODECS];
	memset(lists, 0, sizeof lists);
	int paths = 0;
	bool crc = false;
	const char *only = NULL;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--rounds") == 0 && i + 1 < argc)
			rounds = atoi(argv[++i]);
		else if (strcmp(argv[i], "--min-seconds") == 0 && i + 1 < argc)
			min_s = atof(argv[++i]);
		else if (strcmp(argv[i], "--codec") == 0 && i + 1 < argc)
			only = argv[++i];
		else if (strcmp(argv[i], "--crc") == 0)
			crc = true;
		else if (argv[i][0] == '-')
			usage();
		else
			load_path(lists, argv[i]), paths++;
	}
	if (!paths || rounds < 1 || rounds > MAX_ROUNDS)
		usage();
	bench_ctx c;
	ctx_init(&c);
	for (int codec = 0; codec < N_CODECS; codec++)
		if (lists[codec].n && (!only || strcmp(only, ksd_codec_name(codec)) == 0))
			bench_codec(&c, codec, &lists[codec], rounds, min_s);
	if (crc)
		bench_crc(&c, lists, rounds, min_s);
	fprintf(stderr, "(checksum %llu)\n", (unsigned long long)c.sink);
	ctx_free(&c);
	return 0;
}
