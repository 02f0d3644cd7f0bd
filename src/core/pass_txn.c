/*
 * Pass 2: hanging-transaction.  Re-walks a partition that holds
 * transactional batches (pass 1 counted them) at header level, in offset
 * order, the way ProducerStateManager replays the log: a transactional data
 * batch opens (or extends) its producer's transaction, a COMMIT or ABORT
 * control record from that producer ends it.  What is still open at the log
 * end pins the last stable offset (KIP-98, KIP-664).
 *
 * Bounded: one small entry per producer, at most MAX_PRODUCERS of them;
 * damaged entries are skipped by the log reader's resync, as in pass 1.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ksd/internal_topics.h"
#include "ksd/logreader.h"
#include "ksd/records.h"
#include "scan_internal.h"

#define MAX_PRODUCERS 1000000u
/* Control batches are a few dozen bytes; anything larger is not decoded. */
#define MAX_CONTROL_ENTRY (1u << 20)

typedef struct producer {
	int64_t pid;            /* -1 = free slot */
	int16_t epoch;
	bool open;
	int64_t first_offset;   /* of the open transaction */
	int64_t last_offset;
	int64_t last_timestamp; /* max timestamp of its last data batch */
	uint64_t batches;       /* data batches of the open transaction */
	int last_marker;        /* ksd_control_type of the last marker, -2 = none */
	int64_t last_marker_offset;
} producer;

typedef struct producer_map {
	producer *v;
	size_t cap, n;
	bool capped;            /* MAX_PRODUCERS reached: later producers ignored */
} producer_map;

static size_t slot_of(int64_t pid, size_t cap)
{
	uint64_t h = (uint64_t)pid * 0x9E3779B97F4A7C15ull;
	return (size_t)(h >> 17) & (cap - 1);
}

static bool map_grow(producer_map *m)
{
	size_t cap = m->cap ? m->cap * 2 : 64;
	producer *v = malloc(cap * sizeof *v);
	if (!v)
		return false;
	for (size_t i = 0; i < cap; i++)
		v[i].pid = -1;
	for (size_t i = 0; i < m->cap; i++) {
		if (m->v[i].pid < 0)
			continue;
		size_t j = slot_of(m->v[i].pid, cap);
		while (v[j].pid >= 0)
			j = (j + 1) & (cap - 1);
		v[j] = m->v[i];
	}
	free(m->v);
	m->v = v;
	m->cap = cap;
	return true;
}

/* The producer's entry; created when `create`.  NULL when absent or full. */
static producer *map_get(producer_map *m, int64_t pid, bool create)
{
	if (m->cap) {
		size_t j = slot_of(pid, m->cap);
		while (m->v[j].pid >= 0) {
			if (m->v[j].pid == pid)
				return &m->v[j];
			j = (j + 1) & (m->cap - 1);
		}
	}
	if (!create)
		return NULL;
	if (m->n >= MAX_PRODUCERS) {
		m->capped = true;
		return NULL;
	}
	if ((m->n + 1) * 2 > m->cap && !map_grow(m)) {
		m->capped = true;
		return NULL;
	}
	size_t j = slot_of(pid, m->cap);
	while (m->v[j].pid >= 0)
		j = (j + 1) & (m->cap - 1);
	producer *p = &m->v[j];
	memset(p, 0, sizeof *p);
	p->pid = pid;
	p->first_offset = p->last_offset = p->last_timestamp = p->last_marker_offset = -1;
	p->last_marker = -2;
	m->n++;
	return p;
}

/* The control record's type: COMMIT, ABORT, another type, or UNKNOWN when
 * the batch cannot be read (too large, compressed badly, truncated). */
static ksd_control_type control_type(ksd_worker *w, ksd_source *src, const ksd_batch *b)
{
	if (b->entry_len > MAX_CONTROL_ENTRY)
		return KSD_CONTROL_UNKNOWN;
	if (b->codec != KSD_CODEC_NONE && !w->decoder &&
	    ksd_decoder_new(&KSD_DECODER_DEFAULT_LIMITS, &w->decoder) != KSD_OK)
		return KSD_CONTROL_UNKNOWN;
	size_t got;
	const uint8_t *entry = ksd_source_peek(src, b->position, (size_t)b->entry_len, &got);
	if (!entry || got < b->entry_len)
		return KSD_CONTROL_UNKNOWN;
	ksd_record_iter it;
	ksd_record r;
	if (ksd_records_begin(&it, b, entry, w->decoder) != KSD_RECS_OK ||
	    ksd_records_next(&it, &r) != KSD_RECS_OK || !r.key)
		return KSD_CONTROL_UNKNOWN;
	ksd_control c;
	ksd_decode_err err;
	if (!ksd_control_parse(r.key, r.key_len, r.value, r.value_len, &c, &err))
		return KSD_CONTROL_UNKNOWN;
	return c.type;
}

static void on_batch(ksd_worker *w, ksd_source *src, producer_map *m, const ksd_batch *b)
{
	if (b->magic < 2 || b->producer_id < 0 || !ksd_batch_is_transactional(b))
		return;
	if (ksd_batch_is_control(b)) {
		producer *p = map_get(m, b->producer_id, false);
		if (!p)
			return;
		ksd_control_type t = control_type(w, src, b);
		/* ProducerAppendInfo ends the transaction on COMMIT/ABORT only; a
		 * marker we cannot read is taken as ending it too (no false alarm). */
		if (t == KSD_CONTROL_COMMIT || t == KSD_CONTROL_ABORT || t == KSD_CONTROL_UNKNOWN) {
			p->open = false;
			p->batches = 0;
			p->last_marker = t;
			p->last_marker_offset = b->base_offset;
		}
		return;
	}
	producer *p = map_get(m, b->producer_id, true);
	if (!p)
		return;
	if (!p->open) {
		p->open = true;
		p->first_offset = b->base_offset;
		p->batches = 0;
	}
	p->epoch = b->producer_epoch;
	p->batches++;
	p->last_offset = b->last_offset;
	p->last_timestamp = b->max_timestamp;
}

static void walk_segment(ksd_worker *w, const ksd_segment *s, producer_map *m)
{
	ksd_source src;
	if (ksd_source_open(&src, s->log_path, KSD_IO_PREAD, &w->rb) != KSD_OK)
		return;
	src.readahead = KSD_SPARSE_READAHEAD;
	ksd_lr_opts lo = {false, false, true, 0, 0, s->base_offset};
	ksd_log_reader r;
	ksd_lr_event ev;
	ksd_lr_init(&r, &src, &lo);
	for (;;) {
		ksd_lr_kind k = ksd_lr_next(&r, &ev);
		if (k == KSD_LR_END || k == KSD_LR_IO_ERROR)
			break;
		if (k == KSD_LR_BATCH)
			on_batch(w, &src, m, &ev.batch);
	}
	ksd_source_close(&src);
}

static int by_first_offset(const void *a, const void *b)
{
	const producer *x = *(const producer *const *)a, *y = *(const producer *const *)b;
	return x->first_offset < y->first_offset ? -1 : x->first_offset > y->first_offset;
}

static int64_t partition_max_timestamp(const ksd_partition *p)
{
	int64_t ts = -1;
	for (size_t i = 0; i < p->nsegments; i++)
		if (p->segments[i].max_timestamp > ts)
			ts = p->segments[i].max_timestamp;
	return ts;
}

/* Open longer than the timeout before the partition's newest data: the
 * coordinator would have aborted it (transaction.timeout.ms is capped by
 * transaction.max.timeout.ms), so no marker is coming. */
static bool is_hanging(const ksd_config *cfg, const producer *pr, int64_t newest)
{
	if (pr->last_timestamp < 0 || newest < 0 || newest <= pr->last_timestamp)
		return false;
	return (uint64_t)newest - (uint64_t)pr->last_timestamp > (uint64_t)cfg->txn_timeout_ms;
}

/* a - b when a > b, else 0; saturated: offsets and timestamps are file input. */
static int64_t gap(int64_t a, int64_t b)
{
	int64_t d;
	if (a <= b)
		return 0;
	return __builtin_sub_overflow(a, b, &d) ? INT64_MAX : d;
}

static void report_open(const ksd_config *cfg, ksd_partition *p, const producer *pr,
			int64_t newest, int64_t log_end, bool capped)
{
	bool hanging = is_hanging(cfg, pr, newest);
	int64_t pinned = gap(log_end, pr->first_offset);
	int64_t behind = gap(newest, pr->last_timestamp);
	char iso[40], age[32], tmo[32], prev[96] = "", pin[32], state[160];
	if (pr->last_marker == KSD_CONTROL_COMMIT || pr->last_marker == KSD_CONTROL_ABORT)
		snprintf(prev, sizeof prev, "; its previous transaction ended with %s at offset %" PRId64,
			 ksd_control_type_name((ksd_control_type)pr->last_marker),
			 pr->last_marker_offset);
	ksd_fmt_duration_ms(cfg->txn_timeout_ms, tmo, sizeof tmo);
	if (hanging)
		snprintf(state, sizeof state, "Hanging: open longer than transaction.max.timeout.ms "
			 "(%s), so the coordinator would have aborted it; no marker is coming.", tmo);
	else
		snprintf(state, sizeof state, "Open transaction, in flight when the broker stopped: "
			 "the coordinator completes or aborts it after restart.");
	ksd_finding *f = ksd_report(&p->findings, KSD_P_HANGING_TRANSACTION, p->path, -1,
		"producer %" PRId64 " (epoch %d) opened a transaction at offset %" PRId64 " and wrote %"
		PRIu64 " batch%s up to offset %" PRId64 " (last at %s, %s before the partition's newest "
		"timestamp) with no COMMIT or ABORT after it%s. %s It pins the last stable offset at %"
		PRId64 ": read_committed consumers see none of the %s offset%s up to the log end %" PRId64
		" and the cleaner cannot clean past it (KIP-664). %s: kafka-transactions.sh "
		"--bootstrap-server HOST:9092 abort --topic %s --partition %d --start-offset %" PRId64
		"%s",
		pr->pid, pr->epoch, pr->first_offset, pr->batches, pr->batches == 1 ? "" : "es",
		pr->last_offset, ksd_fmt_iso_ms(pr->last_timestamp, iso, sizeof iso),
		ksd_fmt_duration_ms(behind, age, sizeof age), prev, state, pr->first_offset,
		ksd_fmt_count((uint64_t)pinned, pin, sizeof pin), pinned == 1 ? "" : "s", log_end,
		hanging ? "Abort it (3.0+ brokers)" : "If it is still open after restart, abort it "
						      "(3.0+ brokers)",
		p->name.topic, p->name.partition, pr->first_offset,
		capped ? " (tracking stopped at 1,000,000 producers; later ones were not checked)" : "");
	if (!f)
		return;
	if (!hanging)
		f->severity = KSD_SEV_INFO;
	ksd_finding_int(f, "producer_id", pr->pid);
	ksd_finding_int(f, "producer_epoch", pr->epoch);
	ksd_finding_int(f, "first_offset", pr->first_offset);
	ksd_finding_int(f, "last_offset", pr->last_offset);
	ksd_finding_uint(f, "batches", pr->batches);
	ksd_finding_int(f, "last_timestamp", pr->last_timestamp);
	ksd_finding_int(f, "partition_max_timestamp", newest);
	ksd_finding_int(f, "txn_timeout_ms", cfg->txn_timeout_ms);
	ksd_finding_int(f, "log_end_offset", log_end);
	ksd_finding_int(f, "lso_pinned_offsets", pinned);
	ksd_finding_bool(f, "hanging", hanging);
	ksd_finding_bool(f, "producers_capped", capped);
	ksd_finding_str(f, "rule", "ProducerStateManager: a transactional batch opens its producer's "
		"transaction until a COMMIT/ABORT marker (0.11+, KIP-98); the first open offset is the "
		"LSO; the coordinator aborts after transaction.timeout.ms <= transaction.max.timeout.ms");
}

static uint64_t txn_batches(const ksd_partition *p)
{
	uint64_t n = 0;
	for (size_t i = 0; i < p->nsegments; i++)
		n += p->segments[i].txn_batches;
	return n;
}

void ksd_check_transactions(const ksd_config *cfg, ksd_worker *w, ksd_partition *p)
{
	if (p->only_files || txn_batches(p) == 0)
		return;
	producer_map m = {NULL, 0, 0, false};
	for (size_t i = 0; i < p->nsegments; i++)
		if (p->segments[i].log_path && p->segments[i].walked)
			walk_segment(w, &p->segments[i], &m);
	size_t nopen = 0;
	for (size_t i = 0; i < m.cap; i++)
		nopen += m.v[i].pid >= 0 && m.v[i].open;
	const producer **open = nopen ? malloc(nopen * sizeof *open) : NULL;
	if (open) {
		size_t k = 0;
		for (size_t i = 0; i < m.cap; i++)
			if (m.v[i].pid >= 0 && m.v[i].open)
				open[k++] = &m.v[i];
		if (nopen > 1)
			qsort(open, nopen, sizeof *open, by_first_offset);
		int64_t newest = partition_max_timestamp(p), log_end = ksd_partition_log_end(p);
		for (size_t i = 0; i < nopen; i++)
			report_open(cfg, p, open[i], newest, log_end, m.capped);
	}
	free(open);
	free(m.v);
}
