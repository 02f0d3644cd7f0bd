/*
 * Rendering a finished scan: text for people, JSON for machines.
 */
#ifndef KSD_RENDER_H
#define KSD_RENDER_H

#include <stdio.h>

#include "cli.h"
#include "ksd/jsonw.h"

typedef struct render_opts {
	bool verbose;
	ksd_severity fail_on;
	double elapsed;
	int exit_code;
} render_opts;

void render_scan_text(const ksd_scan *scan, const render_opts *ro, FILE *out);
void render_scan_json(const ksd_scan *scan, const render_opts *ro, FILE *out);

typedef struct progress_state {
	double t0;
	bool drawn;
} progress_state;

/* ksd_jw sink writing to a FILE * (ud). */
void jw_sink_file(void *ud, const char *p, size_t n);
/* A ksd_finding_visit_fn writing one finding object to the ksd_jw in ud,
 * with the fields of `scan --json`'s findings. */
void jw_finding(void *ud, const ksd_logdir *ld, const ksd_partition *p, const ksd_segment *s,
		const ksd_finding *f);

void progress_draw(void *ud, uint64_t done, uint64_t total, uint64_t segs_done,
		   uint64_t segs_total);
void progress_clear(progress_state *ps);

#endif
