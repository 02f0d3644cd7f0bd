/*
 * Planning a quarantine: which segment families, tails or indexes to move,
 * and which guards stop a target (kafka-facts.md §3.6-3.8, §5.1, §5.5, §8).
 *
 * Guards, each for a Kafka reason:
 *  - broker-running: a process holds <logdir>/.lock (FileLock.tryLock, §3.6);
 *    a running broker appends, rolls and deletes under us.
 *  - cluster-metadata: __cluster_metadata-0 is the KRaft log; its snapshots
 *    and log start are checked at startup (KafkaMetadataLog.recoverSnapshots,
 *    §3.8): never edited.
 *  - not-a-segment: only segment families inside a partition dir move;
 *    meta.properties, checkpoints and anything else are never touched.
 *  - active-segment: removing or shortening the last segment lowers the log
 *    end; the high watermark, leader-epoch entries and replicas' offsets
 *    above it refer to records that no longer exist (§5.1 step 6).
 *  - log-start: a log end below log-start-offset-checkpoint makes the broker
 *    delete every segment ("Deleting all segments because logEndOffset ...",
 *    LogLoader, §5.1 step 5).  No override.
 *  - offset-gap: a middle segment of a delete-policy topic leaves an offset
 *    hole (§5.5); compacted logs have holes by design.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ksd/files.h"
#include "ksd/logreader.h"
#include "ksd/qplan.h"

const char *ksd_qunit_kind_name(ksd_qunit_kind k)
{
	switch (k) {
	case KSD_QU_SEGMENT: return "segment";
	case KSD_QU_TAIL: return "tail";
	case KSD_QU_DROP_INDEX: return "drop-index";
	}
	return "?";
}

int ksd_qplan_code_action(const char *code)
{
	static const struct {
		const char *code;
		int action;
	} map[] = {
		{"cleaner-map-overflow", KSD_QU_SEGMENT},
		{"crc-mismatch", KSD_QU_TAIL},
		{"corrupt-entry", KSD_QU_TAIL},
		{"torn-tail", KSD_QU_TAIL},
		{"preallocated-tail", KSD_QU_TAIL},
		{"index-corrupt", KSD_QU_DROP_INDEX},
		{"timeindex-corrupt", KSD_QU_DROP_INDEX},
		{"index-preallocated", KSD_QU_DROP_INDEX},
	};
	for (size_t i = 0; i < sizeof map / sizeof *map; i++)
		if (strcmp(map[i].code, code) == 0)
			return map[i].action;
	return -1;
}

/* --- small helpers ------------------------------------------------------ */

static char *fmt_alloc(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *fmt_alloc(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *s = NULL;
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	return s;
}

static int64_t seg_end(const ksd_segment *s)
{
	return s->last_offset >= s->base_offset ? s->last_offset + 1 : s->base_offset;
}

static bool is_metadata_log(const ksd_partition *p)
{
	return strcmp(p->name.topic, "__cluster_metadata") == 0;
}

static const ksd_segment *last_live(const ksd_partition *p)
{
	for (size_t i = p->nsegments; i-- > 0;)
		if (p->segments[i].log_path)
			return &p->segments[i];
	return NULL;
}

/* --- candidates ---------------------------------------------------------- */

typedef struct cand {
	const ksd_logdir *ld;
	const ksd_partition *p;
	const ksd_segment *s;
	ksd_qunit_kind kind;
	const char *code;
	bool refused;
	int64_t kept_end;
	char *note; /* consequences accepted by an override (owned) */
} cand;

typedef struct builder {
	const ksd_scan *scan;
	const ksd_qsel *sel;
	ksd_qplan *plan;
	cand *c;
	size_t nc, capc;
	bool oom;
} builder;

static void refuse(builder *b, const char *guard, const char *override, const char *target,
		   char *why)
{
	ksd_qplan *pl = b->plan;
	for (size_t i = 0; i < pl->nrefusals; i++)
		if (strcmp(pl->refusals[i].guard, guard) == 0 &&
		    strcmp(pl->refusals[i].target, target) == 0) {
			free(why);
			return;
		}
	ksd_qrefusal *v = realloc(pl->refusals, (pl->nrefusals + 1) * sizeof *v);
	char *t = strdup(target);
	if (!v || !t || !why) {
		b->oom = true;
		if (v)
			pl->refusals = v;
		free(t);
		free(why);
		return;
	}
	pl->refusals = v;
	v[pl->nrefusals++] = (ksd_qrefusal){guard, override, t, why};
}

static int kind_rank(ksd_qunit_kind k)
{
	return k == KSD_QU_SEGMENT ? 3 : k == KSD_QU_TAIL ? 2 : 1;
}

static void add_cand(builder *b, const ksd_logdir *ld, const ksd_partition *p,
		     const ksd_segment *s, ksd_qunit_kind kind, const char *code)
{
	for (size_t i = 0; i < b->nc; i++)
		if (b->c[i].s == s) {
			if (kind_rank(kind) > kind_rank(b->c[i].kind)) {
				b->c[i].kind = kind;
				b->c[i].code = code;
			}
			return;
		}
	if (b->nc == b->capc) {
		size_t cap = b->capc ? b->capc * 2 : 16;
		cand *v = realloc(b->c, cap * sizeof *v);
		if (!v) {
			b->oom = true;
			return;
		}
		b->c = v;
		b->capc = cap;
	}
	b->c[b->nc++] = (cand){ld, p, s, kind, code, false, -1, NULL};
}

/* The segment a finding is about: its own, the one its
 * segment_base_offset field names, or the one whose .log is its path. */
static const ksd_segment *finding_segment(const ksd_partition *p, const ksd_segment *s,
					  const ksd_finding *f)
{
	if (s)
		return s;
	if (!p)
		return NULL;
	for (unsigned i = 0; i < f->nfields; i++)
		if (strcmp(f->fields[i].name, "segment_base_offset") == 0)
			for (size_t j = 0; j < p->nsegments; j++)
				if (p->segments[j].base_offset == f->fields[i].v.i)
					return &p->segments[j];
	for (size_t j = 0; j < p->nsegments; j++)
		if (p->segments[j].log_path && f->path && strcmp(p->segments[j].log_path, f->path) == 0)
			return &p->segments[j];
	return NULL;
}

static bool code_selected(const ksd_qsel *sel, const char *code)
{
	for (size_t i = 0; i < sel->ncodes; i++)
		if (strcmp(sel->codes[i], code) == 0)
			return true;
	return false;
}

static void visit_finding(void *ud, const ksd_logdir *ld, const ksd_partition *p,
			  const ksd_segment *s, const ksd_finding *f)
{
	builder *b = ud;
	const ksd_problem_info *pi = ksd_problem_get(f->problem);
	if (!code_selected(b->sel, pi->code))
		return;
	const char *where = f->path ? f->path : pi->code;
	int action = ksd_qplan_code_action(pi->code);
	if (action < 0) {
		refuse(b, "not-quarantinable", NULL, where,
		       fmt_alloc("%s is not something a quarantine fixes: %s", pi->code, pi->fix));
		return;
	}
	const ksd_segment *seg = finding_segment(p, s, f);
	if (!seg || !p || !ld) {
		refuse(b, "not-a-segment", NULL, where,
		       fmt_alloc("the %s finding at %s names no segment of a partition", pi->code,
				 where));
		return;
	}
	add_cand(b, ld, p, seg, (ksd_qunit_kind)action, pi->code);
}

/* "<dir>/<20 digits>" for any family file; NULL when path is not one. */
static char *family_stem(const char *path)
{
	char real[PATH_MAX];
	if (!realpath(path, real))
		return NULL;
	static const char *const exts[] = {".log", ".index", ".timeindex", ".txnindex"};
	size_t n = strlen(real);
	for (size_t i = 0; i < sizeof exts / sizeof *exts; i++) {
		size_t e = strlen(exts[i]);
		if (n > e && strcmp(real + n - e, exts[i]) == 0) {
			real[n - e] = 0;
			return strdup(real);
		}
	}
	return NULL;
}

static bool resolve_path(const ksd_scan *scan, const char *path, const ksd_logdir **ld,
			 const ksd_partition **p, const ksd_segment **s)
{
	char *stem = family_stem(path);
	if (!stem)
		return false;
	char real[PATH_MAX];
	bool found = false;
	for (size_t l = 0; l < scan->nlogdirs && !found; l++) {
		const ksd_logdir *d = &scan->logdirs[l];
		for (size_t i = 0; i < d->npartitions && !found; i++) {
			const ksd_partition *pp = &d->partitions[i];
			if (!realpath(pp->path, real))
				continue;
			size_t rl = strlen(real);
			if (strncmp(stem, real, rl) != 0 || stem[rl] != '/')
				continue;
			char *end;
			long long base = strtoll(stem + rl + 1, &end, 10);
			for (size_t j = 0; j < pp->nsegments && !found; j++)
				if (!*end && pp->segments[j].base_offset == base) {
					*ld = d;
					*p = pp;
					*s = &pp->segments[j];
					found = true;
				}
		}
	}
	free(stem);
	return found;
}

static void add_paths(builder *b, const char *const *paths, size_t n, ksd_qunit_kind kind)
{
	for (size_t i = 0; i < n; i++) {
		const ksd_logdir *ld;
		const ksd_partition *p;
		const ksd_segment *s;
		if (!resolve_path(b->scan, paths[i], &ld, &p, &s)) {
			refuse(b, "not-a-segment", NULL, paths[i],
			       fmt_alloc("%s is not a segment file (.log/.index/.timeindex/.txnindex) "
					 "of a partition in the scanned paths: only segment families "
					 "are ever moved (meta.properties, checkpoints and other files "
					 "are never touched)", paths[i]));
			continue;
		}
		add_cand(b, ld, p, s, kind, "explicit");
	}
}

/* --- reading what a tail cut keeps --------------------------------------- */

/* The log end of the bytes [0, cut_at): last offset of the last batch + 1. */
static int64_t kept_end_of(const ksd_segment *s, uint64_t cut_at)
{
	int64_t end = s->base_offset;
	if (!s->log_path || cut_at == 0)
		return end;
	ksd_readbuf rb;
	if (ksd_readbuf_init(&rb, 1u << 20, 256u << 20) != KSD_OK)
		return end;
	ksd_source src;
	if (ksd_source_open(&src, s->log_path, KSD_IO_PREAD, &rb) == KSD_OK) {
		src.readahead = KSD_SPARSE_READAHEAD;
		ksd_lr_opts lo = {false, false, false, 0, cut_at, s->base_offset};
		ksd_log_reader lr;
		ksd_lr_event ev;
		ksd_lr_init(&lr, &src, &lo);
		while (ksd_lr_next(&lr, &ev) == KSD_LR_BATCH)
			if (ev.batch.last_offset + 1 > end)
				end = ev.batch.last_offset + 1;
		ksd_source_close(&src);
	}
	ksd_readbuf_free(&rb);
	return end;
}

/* --- per partition guards ------------------------------------------------- */

static cand *cand_for(builder *b, const ksd_segment *s)
{
	for (size_t i = 0; i < b->nc; i++)
		if (b->c[i].s == s && !b->c[i].refused)
			return &b->c[i];
	return NULL;
}

static const char *seg_name(const ksd_segment *s, char *buf, size_t len)
{
	snprintf(buf, len, "%020lld.log", (long long)s->base_offset);
	return buf;
}

/* Log start and end once the partition's remaining candidates apply. */
static void effect_of(builder *b, const ksd_partition *p, ksd_qpart_effect *e)
{
	const ksd_segment *last = last_live(p);
	e->p = p;
	e->log_end_before = last ? seg_end(last) : -1;
	e->log_start_before = -1;
	e->log_start_after = e->log_end_after = -1;
	for (size_t i = 0; i < p->nsegments; i++) {
		const ksd_segment *s = &p->segments[i];
		if (!s->log_path)
			continue;
		if (e->log_start_before < 0)
			e->log_start_before = s->base_offset;
		cand *c = cand_for(b, s);
		if (c && c->kind == KSD_QU_SEGMENT)
			continue;
		if (e->log_start_after < 0)
			e->log_start_after = s->base_offset;
		e->log_end_after = c && c->kind == KSD_QU_TAIL ? c->kept_end : seg_end(s);
	}
	e->high_watermark = p->high_watermark;
	e->log_start_checkpoint = p->log_start_checkpoint;
	if (p->log_start_checkpoint > e->log_start_before)
		e->log_start_before = p->log_start_checkpoint;
	if (e->log_start_after >= 0 && p->log_start_checkpoint > e->log_start_after)
		e->log_start_after = p->log_start_checkpoint;
}

static void epochs_beyond(const ksd_partition *p, int64_t end, ksd_qpart_effect *e)
{
	e->epochs_beyond = 0;
	e->first_epoch_beyond = -1;
	e->first_epoch_beyond_start = -1;
	char *path = fmt_alloc("%s/leader-epoch-checkpoint", p->path);
	ksd_bytes buf = {0};
	ksd_file_image im;
	enum { CAP = 4096 };
	ksd_epoch_entry *ent = malloc(CAP * sizeof *ent);
	if (path && ent && ksd_file_load(path, KSD_FILE_READ_CAP, &buf, &im) == KSD_OK) {
		ksd_epoch_checkpoint_info info;
		ksd_parse_leader_epoch_checkpoint((const char *)im.data, im.len, ent, CAP, &info);
		for (size_t i = 0; i < info.cp.stored; i++)
			if (end < 0 || ent[i].start_offset >= end) {
				if (!e->epochs_beyond++) {
					e->first_epoch_beyond = ent[i].epoch;
					e->first_epoch_beyond_start = ent[i].start_offset;
				}
			}
	}
	free(ent);
	free(path);
	ksd_bytes_free(&buf);
}

/* The consequences of lowering the log end, with the numbers. */
static char *active_consequences(const ksd_qpart_effect *e, const char *what)
{
	char hw[256] = "", ep[320] = "";
	if (e->high_watermark > e->log_end_after)
		snprintf(hw, sizeof hw,
			 "; the high watermark %lld (replication-offset-checkpoint) is above it: "
			 "records consumers may have read are gone, and if this replica becomes "
			 "leader its followers truncate to its shorter log",
			 (long long)e->high_watermark);
	if (e->epochs_beyond)
		snprintf(ep, sizeof ep,
			 "; %zu leader-epoch-checkpoint entr%s start at or beyond it (first: epoch "
			 "%d at offset %lld): the broker truncates them from the epoch cache",
			 e->epochs_beyond, e->epochs_beyond == 1 ? "y" : "ies",
			 (int)e->first_epoch_beyond, (long long)e->first_epoch_beyond_start);
	if (e->log_end_after < 0)
		return fmt_alloc("%s removes every segment of %s: the broker starts it empty at "
				 "offset %lld%s%s", what, e->p->dir_name,
				 (long long)(e->log_start_checkpoint > 0 ? e->log_start_checkpoint : 0),
				 hw, ep);
	return fmt_alloc("%s lowers the log end of %s from %lld to %lld%s%s", what,
			 e->p->dir_name, (long long)e->log_end_before,
			 (long long)e->log_end_after, hw, ep);
}

static void add_note(builder *b, size_t unit, char *text)
{
	ksd_qplan *pl = b->plan;
	ksd_qnote *v = realloc(pl->notes, (pl->nnotes + 1) * sizeof *v);
	if (!v || !text) {
		free(text);
		b->oom = true;
		return;
	}
	pl->notes = v;
	v[pl->nnotes++] = (ksd_qnote){unit, text};
}

static void refuse_cand(builder *b, cand *c, const char *guard, const char *override, char *why)
{
	c->refused = true;
	refuse(b, guard, override, c->s->log_path ? c->s->log_path : c->p->path, why);
}

static void guard_partition(builder *b, const ksd_partition *p, const ksd_logdir *ld)
{
	char nb[32];
	const ksd_segment *last = last_live(p);
	for (size_t i = 0; i < b->nc; i++) {
		cand *c = &b->c[i];
		if (c->p != p || c->refused)
			continue;
		if (ld->lock_state == 1) {
			refuse_cand(b, c, "broker-running", NULL,
				    fmt_alloc("process %d holds %s/.lock: a broker is running on this "
					      "log dir; stop it first (Kafka locks .lock with "
					      "FileLock.tryLock, kafka-facts.md §3.6)",
					      ld->lock_pid, ld->path));
		} else if (is_metadata_log(p)) {
			refuse_cand(b, c, "cluster-metadata", NULL,
				    fmt_alloc("%s is the KRaft metadata log: the controller checks its "
					      "snapshots against its log start at startup "
					      "(KafkaMetadataLog.recoverSnapshots); it is never edited",
					      p->dir_name));
		} else if (c->kind == KSD_QU_TAIL && c->s->first_damage < 0) {
			refuse_cand(b, c, "nothing-to-cut", NULL,
				    fmt_alloc("%s has no damage: there is no tail to cut",
					      seg_name(c->s, nb, sizeof nb)));
		} else if (c->kind == KSD_QU_DROP_INDEX && !c->s->has_index && !c->s->has_timeindex) {
			refuse_cand(b, c, "no-index", NULL,
				    fmt_alloc("%s has no .index or .timeindex to drop",
					      seg_name(c->s, nb, sizeof nb)));
		} else if (c->kind == KSD_QU_TAIL) {
			c->kept_end = kept_end_of(c->s, (uint64_t)c->s->first_damage);
		}
	}
	/* Active: the last segment, removed, or cut so that the log end drops. */
	ksd_qpart_effect e;
	for (size_t i = 0; i < b->nc; i++) {
		cand *c = &b->c[i];
		if (c->p != p || c->refused || c->s != last)
			continue;
		bool lowers = c->kind == KSD_QU_SEGMENT ||
			      (c->kind == KSD_QU_TAIL && c->kept_end < seg_end(last));
		if (!lowers)
			continue;
		effect_of(b, p, &e);
		epochs_beyond(p, e.log_end_after, &e);
		char *what = fmt_alloc("%s the active segment %s",
				       c->kind == KSD_QU_SEGMENT ? "removing" : "cutting the tail of",
				       seg_name(c->s, nb, sizeof nb));
		char *why = active_consequences(&e, what ? what : "this");
		free(what);
		if (!b->sel->allow_active) {
			refuse_cand(b, c, "active-segment", "--allow-active", why);
		} else {
			free(c->note); /* accepted: the consequences go with the unit */
			c->note = why;
		}
	}
	/* Middle segments of delete-policy topics leave offset holes. */
	if (!p->compacted) {
		for (size_t i = 0; i < p->nsegments; i++) {
			const ksd_segment *s = &p->segments[i];
			cand *c = cand_for(b, s);
			if (!s->log_path || !c || c->kind == KSD_QU_DROP_INDEX)
				continue;
			bool kept_before = false, kept_after = false;
			for (size_t j = 0; j < p->nsegments; j++) {
				const ksd_segment *o = &p->segments[j];
				cand *oc = cand_for(b, o);
				if (!o->log_path || (oc && oc->kind == KSD_QU_SEGMENT) || o == s)
					continue;
				if (j < i)
					kept_before = true;
				else
					kept_after = true;
			}
			bool gap = c->kind == KSD_QU_SEGMENT ? kept_before && kept_after : kept_after;
			const ksd_segment *next = NULL;
			for (size_t j = i + 1; j < p->nsegments && !next; j++)
				if (p->segments[j].log_path)
					next = &p->segments[j];
			if (c->kind == KSD_QU_TAIL && gap)
				gap = next && c->kept_end < next->base_offset;
			if (!gap || b->sel->allow_gap)
				continue;
			if (c->kind == KSD_QU_TAIL)
				refuse_cand(b, c, "offset-gap", "--allow-gap",
					    fmt_alloc("cutting the tail of %s leaves offsets %lld..%lld of "
						      "the delete-policy topic %s missing before the next "
						      "segment: an offset hole consumers and followers do "
						      "not expect (kafka-facts.md §5.5)",
						      seg_name(s, nb, sizeof nb), (long long)c->kept_end,
						      (long long)(next->base_offset - 1), p->dir_name));
			else
				refuse_cand(b, c, "offset-gap", "--allow-gap",
					    fmt_alloc("%s of %s is not at the front of a delete-policy "
						      "topic: removing it leaves offsets %lld..%lld "
						      "missing, a hole consumers and followers do not "
						      "expect (kafka-facts.md §5.5); quarantine from the "
						      "front instead",
						      seg_name(s, nb, sizeof nb), p->dir_name,
						      (long long)s->base_offset,
						      (long long)(next ? next->base_offset - 1 : seg_end(s) - 1)));
		}
	}
	/* Never below the log start checkpoint: the broker would delete all. */
	effect_of(b, p, &e);
	if (e.log_end_after >= 0 && p->log_start_checkpoint > e.log_end_after) {
		for (size_t i = 0; i < b->nc; i++) {
			cand *c = &b->c[i];
			if (c->p == p && !c->refused && c->kind != KSD_QU_DROP_INDEX)
				refuse_cand(b, c, "log-start", NULL,
					    fmt_alloc("the log end of %s would fall to %lld, below its "
						      "log-start-offset-checkpoint %lld: the broker then "
						      "deletes every segment (LogLoader: \"Deleting all "
						      "segments because logEndOffset is smaller than "
						      "logStartOffset\", kafka-facts.md §5.1)",
						      p->dir_name, (long long)e.log_end_after,
						      (long long)p->log_start_checkpoint));
		}
	}
}

/* --- units ---------------------------------------------------------------- */

static ksd_err add_file(ksd_qunit *u, const char *path, bool cut, char *errbuf, size_t errlen)
{
	if (access(path, F_OK) != 0)
		return KSD_OK; /* this family has no such file */
	ksd_qfile *v = realloc(u->files, (u->nfiles + 1) * sizeof *v);
	if (!v)
		return KSD_ERR_NOMEM;
	u->files = v;
	ksd_qfile *f = &v[u->nfiles];
	memset(f, 0, sizeof *f);
	ksd_err err = ksd_qfile_stat(path, f);
	if (err != KSD_OK) {
		snprintf(errbuf, errlen, "%s: %s (%s)", path, ksd_strerror(err), strerror(errno));
		free(f->path);
		return err;
	}
	f->cut = cut;
	u->nfiles++;
	return KSD_OK;
}

static ksd_err build_unit(const cand *c, ksd_qunit *u, char *errbuf, size_t errlen)
{
	memset(u, 0, sizeof *u);
	u->kind = c->kind;
	u->logdir = strdup(c->ld->real_path);
	u->partition = strdup(c->p->dir_name);
	u->base_offset = c->s->base_offset;
	u->cut_at = c->kind == KSD_QU_TAIL ? (uint64_t)c->s->first_damage : 0;
	u->reason = c->code;
	char real[PATH_MAX];
	if (!u->logdir || !u->partition)
		return KSD_ERR_NOMEM;
	if (!realpath(c->p->path, real)) {
		snprintf(errbuf, errlen, "%s: %s", c->p->path, strerror(errno));
		return KSD_ERR_IO;
	}
	static const char *const family[] = {"log", "index", "timeindex", "txnindex"};
	for (size_t i = 0; i < sizeof family / sizeof *family; i++) {
		bool is_log = i == 0, is_offset_or_time = i == 1 || i == 2;
		if (c->kind == KSD_QU_DROP_INDEX && !is_offset_or_time)
			continue;
		char *path = fmt_alloc("%s/%020lld.%s", real, (long long)c->s->base_offset, family[i]);
		if (!path)
			return KSD_ERR_NOMEM;
		ksd_err err = add_file(u, path, is_log && c->kind == KSD_QU_TAIL, errbuf, errlen);
		free(path);
		if (err != KSD_OK)
			return err;
	}
	return KSD_OK;
}

static ksd_err add_logdir(ksd_qplan *pl, const char *dir)
{
	for (size_t i = 0; i < pl->nlogdirs; i++)
		if (strcmp(pl->logdirs[i], dir) == 0)
			return KSD_OK;
	char **v = realloc(pl->logdirs, (pl->nlogdirs + 1) * sizeof *v);
	if (!v)
		return KSD_ERR_NOMEM;
	pl->logdirs = v;
	if (!(v[pl->nlogdirs] = strdup(dir)))
		return KSD_ERR_NOMEM;
	pl->nlogdirs++;
	return KSD_OK;
}

/* Units in scan order: log dir, partition, base offset. */
static ksd_err emit_units(builder *b, char *errbuf, size_t errlen)
{
	ksd_qplan *pl = b->plan;
	const ksd_scan *scan = b->scan;
	for (size_t l = 0; l < scan->nlogdirs; l++)
		for (size_t i = 0; i < scan->logdirs[l].npartitions; i++) {
			const ksd_partition *p = &scan->logdirs[l].partitions[i];
			bool touched = false;
			for (size_t j = 0; j < p->nsegments; j++) {
				cand *c = cand_for(b, &p->segments[j]);
				if (!c)
					continue;
				ksd_qunit *uv = realloc(pl->units, (pl->nunits + 1) * sizeof *uv);
				ksd_qtarget *tv = realloc(pl->targets, (pl->nunits + 1) * sizeof *tv);
				if (uv)
					pl->units = uv;
				if (tv)
					pl->targets = tv;
				if (!uv || !tv)
					return KSD_ERR_NOMEM;
				ksd_err err = build_unit(c, &uv[pl->nunits], errbuf, errlen);
				if (err != KSD_OK) {
					ksd_qunit_free(&uv[pl->nunits]);
					return err;
				}
				tv[pl->nunits] = (ksd_qtarget){p, c->s, c->code, c->s == last_live(p), -1,
							       c->kept_end};
				if (c->note) {
					add_note(b, pl->nunits, c->note);
					c->note = NULL;
				}
				pl->nunits++;
				touched = true;
				if ((err = add_logdir(pl, c->ld->real_path)) != KSD_OK)
					return err;
			}
			if (!touched)
				continue;
			ksd_qpart_effect *ev = realloc(pl->parts, (pl->nparts + 1) * sizeof *ev);
			if (!ev)
				return KSD_ERR_NOMEM;
			pl->parts = ev;
			effect_of(b, p, &ev[pl->nparts]);
			epochs_beyond(p, ev[pl->nparts].log_end_after, &ev[pl->nparts]);
			pl->nparts++;
		}
	return b->oom ? KSD_ERR_NOMEM : KSD_OK;
}

ksd_err ksd_qplan_build(const ksd_scan *scan, const ksd_qsel *sel, ksd_qplan *plan,
			char *errbuf, size_t errlen)
{
	memset(plan, 0, sizeof *plan);
	if (errlen)
		errbuf[0] = 0;
	builder b = {scan, sel, plan, NULL, 0, 0, false};
	for (size_t i = 0; i < sel->ncodes; i++)
		if (!ksd_problem_by_code(sel->codes[i])) {
			snprintf(errbuf, errlen, "unknown finding code '%s' (see ksegdoctor explain)",
				 sel->codes[i]);
			return KSD_ERR_INVAL;
		}
	ksd_scan_visit_findings(scan, visit_finding, &b);
	add_paths(&b, sel->segments, sel->nsegments, KSD_QU_SEGMENT);
	add_paths(&b, sel->tails, sel->ntails, KSD_QU_TAIL);
	add_paths(&b, sel->indexes, sel->nindexes, KSD_QU_DROP_INDEX);
	/* Guards per partition, in scan order. */
	for (size_t l = 0; l < scan->nlogdirs; l++)
		for (size_t i = 0; i < scan->logdirs[l].npartitions; i++) {
			const ksd_partition *p = &scan->logdirs[l].partitions[i];
			for (size_t k = 0; k < b.nc; k++)
				if (b.c[k].p == p) {
					guard_partition(&b, p, &scan->logdirs[l]);
					break;
				}
		}
	ksd_err err = b.oom ? KSD_ERR_NOMEM : emit_units(&b, errbuf, errlen);
	for (size_t i = 0; i < b.nc; i++)
		free(b.c[i].note);
	free(b.c);
	if (err != KSD_OK && errlen && !errbuf[0])
		snprintf(errbuf, errlen, "%s", ksd_strerror(err));
	return err;
}

void ksd_qplan_free(ksd_qplan *plan)
{
	if (!plan)
		return;
	for (size_t i = 0; i < plan->nunits; i++)
		ksd_qunit_free(&plan->units[i]);
	free(plan->units);
	free(plan->targets);
	for (size_t i = 0; i < plan->nrefusals; i++) {
		free(plan->refusals[i].target);
		free(plan->refusals[i].why);
	}
	free(plan->refusals);
	for (size_t i = 0; i < plan->nnotes; i++)
		free(plan->notes[i].text);
	free(plan->notes);
	free(plan->parts);
	for (size_t i = 0; i < plan->nlogdirs; i++)
		free(plan->logdirs[i]);
	free(plan->logdirs);
	memset(plan, 0, sizeof *plan);
}
