/*
 * gen/internal.h - helpers shared by the fixture writer's own files only.
 */
#ifndef KSD_GEN_INTERNAL_H
#define KSD_GEN_INTERNAL_H

#include "gen/writer.h"

/* Reusable scratch buffers inside a context. */
enum gen_scratch {
	GEN_SCRATCH_RECORDS = 0, /* uncompressed records / inner message set */
	GEN_SCRATCH_AUX,         /* small keys/values built on the fly */
	GEN_SCRATCH__COUNT
};

ksd_gen_buf *gen_ctx_scratch(ksd_gen_ctx *ctx, enum gen_scratch which);

/* Returns ctx, or a fresh one stored in *tmp (free it with
 * ksd_gen_ctx_free(*tmp) when done; *tmp stays NULL if ctx was given). */
ksd_err gen_ctx_use(ksd_gen_ctx *ctx, ksd_gen_ctx **tmp, ksd_gen_ctx **use);

/* write() all of p[0..n), retrying on EINTR and short writes. */
ksd_err gen_write_all(int fd, const void *p, size_t n);

#endif
