/*
 * The scan driver: owns the model, runs the passes in order, spreads pass 1
 * and pass 2 over worker threads, and reports progress from the caller's
 * thread.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "scan_internal.h"

#define READBUF_INITIAL (4u << 20)  /* one sequential read */
#define READBUF_MAX (64u << 20)     /* largest batch held whole */
#define MAX_JOBS 64

ksd_err ksd_worker_init(ksd_worker *w)
{
	memset(w, 0, sizeof *w);
	return ksd_readbuf_init(&w->rb, READBUF_INITIAL, READBUF_MAX);
}

void ksd_worker_free(ksd_worker *w)
{
	ksd_readbuf_free(&w->rb);
	ksd_bytes_free(&w->ix[0]);
	ksd_bytes_free(&w->ix[1]);
	if (w->decoder)
		ksd_decoder_free(w->decoder);
	w->decoder = NULL;
}

bool ksd_topic_is_compacted(const ksd_config *cfg, const char *topic)
{
	/* Internal topics are always compacted (cleanup.policy=compact). */
	if (strcmp(topic, "__consumer_offsets") == 0 ||
	    strcmp(topic, "__transaction_state") == 0)
		return true;
	for (size_t i = 0; i < cfg->ncompacted_topics; i++)
		if (strcmp(cfg->compacted_topics[i], topic) == 0)
			return true;
	return false;
}

ksd_findings *ksd_segment_findings(const ksd_config *cfg, ksd_segment *seg)
{
	if (!seg->findings) {
		seg->findings = malloc(sizeof *seg->findings);
		if (seg->findings)
			ksd_findings_init(seg->findings, cfg->max_findings_per_problem);
	}
	return seg->findings;
}

ksd_err ksd_scan_new(const ksd_config *cfg, ksd_scan **out)
{
	ksd_scan *s = calloc(1, sizeof *s);
	if (!s)
		return KSD_ERR_NOMEM;
	s->cfg = *cfg;
	ksd_config_resolve_defaults(&s->cfg);
	ksd_findings_init(&s->findings, s->cfg.max_findings_per_problem);
	if (s->cfg.now_ms == 0) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		s->cfg.now_ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	}
	*out = s;
	return KSD_OK;
}

static void partition_free(ksd_partition *p)
{
	for (size_t i = 0; i < p->nsegments; i++) {
		free(p->segments[i].log_path);
		if (p->segments[i].findings) {
			ksd_findings_free(p->segments[i].findings);
			free(p->segments[i].findings);
		}
	}
	free(p->segments);
	free(p->snapshots);
	free(p->snapshot_accepted);
	free(p->path);
	free(p->dir_name);
	ksd_findings_free(&p->findings);
}

void ksd_scan_free(ksd_scan *scan)
{
	if (!scan)
		return;
	for (size_t i = 0; i < scan->nlogdirs; i++) {
		ksd_logdir *ld = &scan->logdirs[i];
		for (size_t j = 0; j < ld->npartitions; j++)
			partition_free(&ld->partitions[j]);
		free(ld->partitions);
		free(ld->path);
		free(ld->real_path);
		ksd_findings_free(&ld->findings);
	}
	free(scan->logdirs);
	ksd_findings_free(&scan->findings);
	for (size_t i = 0; i < scan->nerrors; i++)
		free(scan->errors[i].path);
	free(scan->errors);
	free(scan);
}

/* --- parallel execution ---------------------------------------------------- */

typedef struct seg_task {
	ksd_partition *p;
	ksd_segment *seg;
} seg_task;

typedef struct pool {
	const ksd_config *cfg;
	seg_task *tasks;       /* pass 1 */
	ksd_partition **parts; /* pass 2 */
	size_t ntasks, nparts;
	size_t next;           /* atomic: next task index */
	uint64_t bytes_done;   /* atomic */
	uint64_t items_done;   /* atomic */
	int pass;
	unsigned running;
	pthread_mutex_t mu;
	pthread_cond_t cv;
} pool;

static void *pool_worker(void *arg)
{
	pool *pl = arg;
	ksd_worker w;
	if (ksd_worker_init(&w) == KSD_OK) {
		size_t n = pl->pass == 1 ? pl->ntasks : pl->nparts;
		for (;;) {
			size_t i = __atomic_fetch_add(&pl->next, 1, __ATOMIC_RELAXED);
			if (i >= n)
				break;
			if (pl->pass == 1)
				ksd_pass_segment(pl->cfg, &w, pl->tasks[i].p, pl->tasks[i].seg,
						 &pl->bytes_done);
			else
				ksd_pass_partition(pl->cfg, &w, pl->parts[i]);
			__atomic_fetch_add(&pl->items_done, 1, __ATOMIC_RELAXED);
		}
		ksd_worker_free(&w);
	}
	pthread_mutex_lock(&pl->mu);
	pl->running--;
	pthread_cond_signal(&pl->cv);
	pthread_mutex_unlock(&pl->mu);
	return NULL;
}

static unsigned job_count(const ksd_config *cfg, size_t items)
{
	long n = cfg->jobs ? (long)cfg->jobs : sysconf(_SC_NPROCESSORS_ONLN);
	if (n < 1)
		n = 1;
	if (n > MAX_JOBS)
		n = MAX_JOBS;
	if ((size_t)n > items)
		n = items ? (long)items : 1;
	return (unsigned)n;
}

static void pool_wait(pool *pl, const ksd_scan *scan, ksd_progress_fn progress, void *ud)
{
	pthread_mutex_lock(&pl->mu);
	while (pl->running > 0) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 250 * 1000 * 1000;
		if (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
		pthread_cond_timedwait(&pl->cv, &pl->mu, &ts);
		if (progress && pl->pass == 1 && pl->running > 0) {
			pthread_mutex_unlock(&pl->mu);
			progress(ud, __atomic_load_n(&pl->bytes_done, __ATOMIC_RELAXED),
				 scan->bytes_total,
				 __atomic_load_n(&pl->items_done, __ATOMIC_RELAXED), pl->ntasks);
			pthread_mutex_lock(&pl->mu);
		}
	}
	pthread_mutex_unlock(&pl->mu);
}

static ksd_err pool_run(pool *pl, int pass, const ksd_scan *scan,
			ksd_progress_fn progress, void *ud)
{
	size_t items = pass == 1 ? pl->ntasks : pl->nparts;
	unsigned jobs = job_count(pl->cfg, items);
	pthread_t th[MAX_JOBS];
	pl->pass = pass;
	pl->next = 0;
	pl->items_done = 0;
	pl->running = 0;
	unsigned started = 0;
	for (; started < jobs; started++) {
		pthread_mutex_lock(&pl->mu);
		pl->running++;
		pthread_mutex_unlock(&pl->mu);
		if (pthread_create(&th[started], NULL, pool_worker, pl) != 0) {
			pthread_mutex_lock(&pl->mu);
			pl->running--;
			pthread_mutex_unlock(&pl->mu);
			break;
		}
	}
	if (started == 0)
		return KSD_ERR_NOMEM;
	pool_wait(pl, scan, progress, ud);
	for (unsigned i = 0; i < started; i++)
		pthread_join(th[i], NULL);
	if (progress && pass == 1)
		progress(ud, pl->bytes_done, scan->bytes_total, pl->items_done, pl->ntasks);
	return KSD_OK;
}

static int task_cmp(const void *a, const void *b)
{
	const seg_task *x = a, *y = b;
	/* Largest first: the longest walks start early, the pool ends together. */
	return x->seg->log_size < y->seg->log_size ? 1 : x->seg->log_size > y->seg->log_size ? -1 : 0;
}

static int partition_cmp(const void *a, const void *b)
{
	const ksd_partition *x = a, *y = b;
	int c = strcmp(x->name.topic, y->name.topic);
	if (c)
		return c;
	if (x->name.partition != y->name.partition)
		return x->name.partition < y->name.partition ? -1 : 1;
	return strcmp(x->dir_name, y->dir_name);
}

void ksd_scan_finish_discovery(ksd_scan *scan)
{
	for (size_t i = 0; i < scan->nlogdirs; i++) {
		ksd_logdir *ld = &scan->logdirs[i];
		if (ld->npartitions > 1) /* qsort(NULL, 0) is undefined */
			qsort(ld->partitions, ld->npartitions, sizeof(ksd_partition), partition_cmp);
		for (size_t j = 0; j < ld->npartitions; j++)
			ld->partitions[j].logdir = ld; /* arrays are final now */
	}
}

static ksd_err build_tasks(ksd_scan *scan, pool *pl)
{
	size_t nt = 0, np = 0;
	ksd_scan_finish_discovery(scan);
	for (size_t i = 0; i < scan->nlogdirs; i++) {
		ksd_logdir *ld = &scan->logdirs[i];
		np += ld->npartitions;
		for (size_t j = 0; j < ld->npartitions; j++)
			nt += ld->partitions[j].nsegments;
	}
	pl->tasks = calloc(nt ? nt : 1, sizeof *pl->tasks);
	pl->parts = calloc(np ? np : 1, sizeof *pl->parts);
	if (!pl->tasks || !pl->parts)
		return KSD_ERR_NOMEM;
	for (size_t i = 0; i < scan->nlogdirs; i++) {
		ksd_logdir *ld = &scan->logdirs[i];
		for (size_t j = 0; j < ld->npartitions; j++) {
			ksd_partition *p = &ld->partitions[j];
			pl->parts[pl->nparts++] = p;
			for (size_t k = 0; k < p->nsegments; k++) {
				if (!p->segments[k].log_path)
					continue;
				pl->tasks[pl->ntasks].p = p;
				pl->tasks[pl->ntasks++].seg = &p->segments[k];
				scan->bytes_total += p->segments[k].log_size;
			}
		}
	}
	if (pl->ntasks > 1) /* qsort(NULL, 0) is undefined */
		qsort(pl->tasks, pl->ntasks, sizeof *pl->tasks, task_cmp);
	return KSD_OK;
}

static void count_findings(ksd_scan *scan, const ksd_findings *f)
{
	if (!f)
		return;
	for (size_t i = 0; i < f->n; i++)
		scan->totals.findings_by_severity[f->v[i].severity]++;
	for (unsigned p = 0; p < KSD_P__COUNT; p++)
		scan->totals.suppressed += f->suppressed[p];
}

static void collect_totals(ksd_scan *scan)
{
	ksd_totals *t = &scan->totals;
	memset(t, 0, sizeof *t);
	t->logdirs = scan->nlogdirs;
	count_findings(scan, &scan->findings);
	for (size_t i = 0; i < scan->nlogdirs; i++) {
		ksd_logdir *ld = &scan->logdirs[i];
		count_findings(scan, &ld->findings);
		t->partitions += ld->npartitions;
		for (size_t j = 0; j < ld->npartitions; j++) {
			ksd_partition *p = &ld->partitions[j];
			count_findings(scan, &p->findings);
			for (size_t k = 0; k < p->nsegments; k++) {
				ksd_segment *s = &p->segments[k];
				count_findings(scan, s->findings);
				if (!s->log_path)
					continue;
				t->segments++;
				t->log_bytes += s->log_size;
				t->batches += s->batches;
				t->records += s->records;
				if (s->io_errno)
					ksd_scan_op_error(scan, s->log_path, KSD_ERR_IO, s->io_errno);
			}
		}
	}
}

ksd_err ksd_scan_run(ksd_scan *scan, ksd_progress_fn progress, void *ud)
{
	pool pl;
	memset(&pl, 0, sizeof pl);
	pl.cfg = &scan->cfg;
	pthread_mutex_init(&pl.mu, NULL);
	pthread_cond_init(&pl.cv, NULL);
	ksd_err err = build_tasks(scan, &pl);
	for (size_t i = 0; err == KSD_OK && i < scan->nlogdirs; i++)
		ksd_probe_logdir_lock(&scan->logdirs[i]);
	for (size_t i = 0; err == KSD_OK && i < scan->nlogdirs; i++)
		ksd_load_logdir_checkpoints(&scan->logdirs[i]);
	if (err == KSD_OK)
		err = pool_run(&pl, 1, scan, progress, ud);
	if (err == KSD_OK)
		err = pool_run(&pl, 2, scan, NULL, NULL);
	for (size_t i = 0; err == KSD_OK && i < scan->nlogdirs; i++)
		ksd_pass_logdir(&scan->cfg, &scan->logdirs[i]);
	if (err == KSD_OK)
		ksd_pass_broker(scan);
	collect_totals(scan);
	free(pl.tasks);
	free(pl.parts);
	pthread_mutex_destroy(&pl.mu);
	pthread_cond_destroy(&pl.cv);
	return err;
}

static void visit_list(const ksd_findings *f, ksd_finding_visit_fn fn, void *ud,
		       const ksd_logdir *ld, const ksd_partition *p, const ksd_segment *s)
{
	if (!f)
		return;
	for (size_t i = 0; i < f->n; i++)
		fn(ud, ld, p, s, &f->v[i]);
}

void ksd_scan_visit_findings(const ksd_scan *scan, ksd_finding_visit_fn fn, void *ud)
{
	visit_list(&scan->findings, fn, ud, NULL, NULL, NULL);
	for (size_t i = 0; i < scan->nlogdirs; i++) {
		const ksd_logdir *ld = &scan->logdirs[i];
		visit_list(&ld->findings, fn, ud, ld, NULL, NULL);
		for (size_t j = 0; j < ld->npartitions; j++) {
			const ksd_partition *p = &ld->partitions[j];
			visit_list(&p->findings, fn, ud, ld, p, NULL);
			for (size_t k = 0; k < p->nsegments; k++)
				visit_list(p->segments[k].findings, fn, ud, ld, p, &p->segments[k]);
		}
	}
}

int ksd_scan_worst_severity(const ksd_scan *scan)
{
	for (int s = KSD_SEV_ERROR; s >= KSD_SEV_INFO; s--)
		if (scan->totals.findings_by_severity[s])
			return s;
	return -1;
}
