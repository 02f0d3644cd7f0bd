/*
 * The loss proof: what a quarantine plan takes away from the broker.
 *
 * Per partition with SEGMENT or TAIL units (dropping indexes loses nothing:
 * the broker rebuilds them from the .log, kafka-facts.md §2.6):
 *  - the records, bytes, offset and time range in the targeted bytes (for a
 *    tail: the valid batches beyond the damage, which a resyncing reader
 *    still finds);
 *  - compacted topics: every key whose latest record lies in the targets.
 *    The cleaner keeps only a key's latest record (§4.6), so removing it
 *    either loses the key (nothing older remains), reverts it to an older
 *    value, or, for a removed tombstone, brings a deleted value back.
 *    Keys are tracked by a 64-bit hash in a bounded table (as
 *    compaction.c does): a collision merges two keys, probability about
 *    n^2/2^65;
 *  - __consumer_offsets: the committed offsets replayed with and without
 *    the targets (ksd_offsets_load_partition) and diffed; a removed
 *    tombstone shows up as an offset that returns;
 *  - transaction markers: a removed COMMIT/ABORT whose transaction's data
 *    stays leaves that transaction open (hanging: the last stable offset
 *    stops there, read_committed consumers stall, the cleaner stops;
 *    KIP-664).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <time.h>
#include <unistd.h>

#include "ksd/codec.h"
#include "ksd/internal_topics.h"
#include "ksd/keyhash.h"
#include "ksd/logreader.h"
#include "ksd/offsets.h"
#include "ksd/qplan.h"
#include "ksd/records.h"

#define DEFAULT_MAX_KEYS (64ull << 20)
#define MAX_MARKERS 1000

/* --- key table: hash -> latest offset and where it lives ------------------ */

enum {
	K_LATEST_TARGET = 1, /* the key's latest record is in the targets */
	K_LATEST_TOMB = 2,   /* ... and it is a tombstone */
	K_KEPT = 4,          /* some record of the key stays */
	K_KEPT_TOMB = 8,     /* the latest one that stays is a tombstone */
	K_CLASSIFIED = 16,   /* lost, reverted or returning: list it */
};

typedef struct keytab {
	uint64_t *hash;
	int64_t *latest;
	uint8_t *flags;
	size_t cap, n;
	uint64_t max_keys;
	bool capped;
} keytab;

static void keytab_free(keytab *t)
{
	free(t->hash);
	free(t->latest);
	free(t->flags);
	memset(t, 0, sizeof *t);
}

static bool keytab_grow(keytab *t)
{
	size_t cap = t->cap ? t->cap * 2 : 4096;
	uint64_t *h = calloc(cap, sizeof *h);
	int64_t *l = malloc(cap * sizeof *l);
	uint8_t *f = malloc(cap);
	if (!h || !l || !f) {
		free(h);
		free(l);
		free(f);
		return false;
	}
	for (size_t i = 0; i < t->cap; i++) {
		if (!t->hash[i])
			continue;
		size_t j = t->hash[i] & (cap - 1);
		while (h[j])
			j = (j + 1) & (cap - 1);
		h[j] = t->hash[i];
		l[j] = t->latest[i];
		f[j] = t->flags[i];
	}
	free(t->hash);
	free(t->latest);
	free(t->flags);
	t->hash = h;
	t->latest = l;
	t->flags = f;
	t->cap = cap;
	return true;
}

/* The slot of h, inserting it; SIZE_MAX when the table is full. */
static size_t keytab_slot(keytab *t, uint64_t h, bool insert)
{
	if (t->cap) {
		size_t j = h & (t->cap - 1);
		while (t->hash[j]) {
			if (t->hash[j] == h)
				return j;
			j = (j + 1) & (t->cap - 1);
		}
	}
	if (!insert)
		return SIZE_MAX;
	if (t->n >= t->max_keys || ((t->n + 1) * 10 > t->cap * 7 && !keytab_grow(t))) {
		t->capped = true;
		return SIZE_MAX;
	}
	size_t j = h & (t->cap - 1);
	while (t->hash[j])
		j = (j + 1) & (t->cap - 1);
	t->hash[j] = h;
	t->flags[j] = 0;
	t->latest[j] = -1;
	t->n++;
	return j;
}

/* --- producers with open transactions ------------------------------------- */

typedef struct txn_open {
	int64_t pid;
	bool kept_data; /* some data batch of the open transaction stays */
} txn_open;

typedef struct txns {
	txn_open *v;
	size_t n, cap;
} txns;

static txn_open *txn_get(txns *t, int64_t pid, bool create)
{
	for (size_t i = 0; i < t->n; i++)
		if (t->v[i].pid == pid)
			return &t->v[i];
	if (!create || t->n >= (1u << 16))
		return NULL;
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 16;
		txn_open *v = realloc(t->v, cap * sizeof *v);
		if (!v)
			return NULL;
		t->v = v;
		t->cap = cap;
	}
	t->v[t->n] = (txn_open){pid, false};
	return &t->v[t->n++];
}

static void txn_close(txns *t, int64_t pid)
{
	for (size_t i = 0; i < t->n; i++)
		if (t->v[i].pid == pid) {
			t->v[i] = t->v[--t->n];
			return;
		}
}

/* --- what is targeted in a partition ------------------------------------- */

typedef struct seg_target {
	const ksd_segment *s;
	int mode;        /* 0 kept, 1 whole segment, 2 from cut_at */
	uint64_t cut_at;
} seg_target;

typedef struct reader {
	ksd_readbuf rb;
	ksd_decoder *dec;
	keytab keys;
	txns tx;
	uint64_t bytes_read;
	size_t listed_keys;  /* keys listed per partition */
} reader;

static bool batch_targeted(const seg_target *st, const ksd_batch *b)
{
	return st->mode == 1 || (st->mode == 2 && b->position >= st->cut_at);
}

static void note_range(ksd_qloss_part *lp, const ksd_batch *b, uint64_t records)
{
	lp->batches++;
	lp->records += records;
	lp->bytes += b->entry_len;
	if (lp->first_offset < 0 || b->base_offset < lp->first_offset)
		lp->first_offset = b->base_offset;
	if (b->last_offset > lp->last_offset)
		lp->last_offset = b->last_offset;
	if (b->max_timestamp >= 0) {
		if (lp->min_timestamp < 0 || b->max_timestamp < lp->min_timestamp)
			lp->min_timestamp = b->max_timestamp;
		if (b->max_timestamp > lp->max_timestamp)
			lp->max_timestamp = b->max_timestamp;
	}
}

static void add_marker(ksd_qloss_part *lp, const ksd_batch *b, ksd_control_type type,
		       bool hanging)
{
	lp->markers_total++;
	if (!hanging && lp->nmarkers >= MAX_MARKERS / 2)
		return;
	if (lp->nmarkers >= MAX_MARKERS)
		return;
	ksd_qloss_marker *v = realloc(lp->markers, (lp->nmarkers + 1) * sizeof *v);
	if (!v)
		return;
	lp->markers = v;
	v[lp->nmarkers++] = (ksd_qloss_marker){b->producer_id, b->base_offset,
					       type == KSD_CONTROL_COMMIT ? "COMMIT" : "ABORT",
					       hanging};
	lp->loses |= hanging;
}

static void control_batch(reader *r, ksd_qloss_part *lp, ksd_record_iter *it, const ksd_batch *b,
			  bool targeted)
{
	ksd_record rec;
	if (ksd_records_next(it, &rec) != KSD_RECS_OK)
		return;
	ksd_control c;
	ksd_decode_err de;
	if (!ksd_control_parse(rec.key, rec.key_len, rec.value, rec.value_len, &c, &de))
		return;
	if (c.type != KSD_CONTROL_COMMIT && c.type != KSD_CONTROL_ABORT)
		return;
	txn_open *o = txn_get(&r->tx, b->producer_id, false);
	if (targeted)
		add_marker(lp, b, c.type, o && o->kept_data);
	txn_close(&r->tx, b->producer_id);
}

static void key_seen(reader *r, const ksd_record *rec, bool targeted)
{
	if (rec->key_len < 0)
		return;
	size_t j = keytab_slot(&r->keys, ksd_key_hash(rec->key, (size_t)rec->key_len), true);
	if (j == SIZE_MAX)
		return;
	bool tomb = rec->value_len < 0;
	uint8_t f = r->keys.flags[j] & (K_KEPT | K_KEPT_TOMB);
	if (targeted) {
		f |= K_LATEST_TARGET | (tomb ? K_LATEST_TOMB : 0);
	} else {
		f = (uint8_t)(K_KEPT | (tomb ? K_KEPT_TOMB : 0));
	}
	r->keys.flags[j] = f;
	r->keys.latest[j] = rec->offset;
}

static void data_batch(reader *r, ksd_qloss_part *lp, ksd_record_iter *it, const ksd_batch *b,
		       bool targeted)
{
	if (ksd_batch_is_transactional(b)) {
		txn_open *o = txn_get(&r->tx, b->producer_id, true);
		if (o && !targeted)
			o->kept_data = true;
	}
	uint64_t n = 0;
	ksd_record rec;
	if (!lp->compacted && b->records_count >= 0) {
		n = (uint64_t)b->records_count;
	} else {
		while (ksd_records_next(it, &rec) == KSD_RECS_OK) {
			n++;
			if (lp->compacted)
				key_seen(r, &rec, targeted);
		}
	}
	if (targeted)
		note_range(lp, b, n);
}

static void read_segment(reader *r, ksd_qloss_part *lp, const seg_target *st)
{
	ksd_source src;
	if (!st->s->log_path || ksd_source_open(&src, st->s->log_path, KSD_IO_PREAD, &r->rb) != KSD_OK)
		return;
	ksd_lr_opts lo = {true, true, true, 0, 0, st->s->base_offset};
	ksd_log_reader lr;
	ksd_lr_event ev;
	ksd_lr_init(&lr, &src, &lo);
	ksd_lr_kind k;
	while ((k = ksd_lr_next(&lr, &ev)) == KSD_LR_BATCH || k == KSD_LR_CORRUPT) {
		if (k == KSD_LR_CORRUPT) {
			if (st->mode == 1 || (st->mode == 2 && ev.position >= st->cut_at)) {
				uint64_t end = ev.resume_at >= 0 ? (uint64_t)ev.resume_at : src.size;
				lp->damaged_bytes += end > ev.position ? end - ev.position : 0;
			}
			continue;
		}
		const ksd_batch *b = &ev.batch;
		bool targeted = batch_targeted(st, b);
		ksd_record_iter it;
		if (!ev.entry || (ev.crc_checked && !ev.crc_valid) ||
		    ksd_records_begin(&it, b, ev.entry, r->dec) != KSD_RECS_OK) {
			if (targeted)
				lp->damaged_bytes += b->entry_len;
			continue;
		}
		if (ksd_batch_is_control(b))
			control_batch(r, lp, &it, b, targeted);
		else
			data_batch(r, lp, &it, b, targeted);
	}
	r->bytes_read += src.size;
	ksd_source_close(&src);
}

/* --- key verdicts and samples -------------------------------------------- */

static void tally_keys(keytab *t, ksd_qloss_part *lp)
{
	for (size_t i = 0; i < t->cap; i++) {
		uint8_t f = t->flags[i];
		if (!t->hash[i] || !(f & K_LATEST_TARGET))
			continue;
		bool kept = f & K_KEPT, kept_tomb = f & K_KEPT_TOMB;
		if (!(f & K_LATEST_TOMB)) {
			if (!kept || kept_tomb)
				lp->keys_lost++;
			else
				lp->keys_reverted++;
		} else if (kept && !kept_tomb) {
			lp->keys_returning++;
		} else {
			continue;
		}
		t->flags[i] |= K_CLASSIFIED;
	}
	lp->keys_capped = t->capped;
	lp->loses |= lp->keys_lost || lp->keys_reverted || lp->keys_returning;
}

/* Key bytes as text: printable ASCII kept, the rest as \xNN, at most 80. */
static char *escape_key(const uint8_t *k, int32_t len)
{
	size_t n = len > 0 ? (size_t)len : 0, cap = 80;
	char *out = malloc(cap * 4 + 8);
	if (!out)
		return NULL;
	size_t o = 0;
	for (size_t i = 0; i < n && i < cap; i++) {
		if (k[i] >= 0x20 && k[i] < 0x7f && k[i] != '\\')
			out[o++] = (char)k[i];
		else
			o += (size_t)sprintf(out + o, "\\x%02x", k[i]);
	}
	if (n > cap)
		o += (size_t)sprintf(out + o, "...");
	out[o] = 0;
	return out;
}

/* __consumer_offsets keys read better decoded: group, or group/topic/partition. */
static char *describe_key(const ksd_qloss_part *lp, const ksd_record *rec)
{
	ksd_offsets_key ok;
	ksd_decode_err de;
	if (lp->offsets_topic && ksd_offsets_key_parse(rec->key, (size_t)rec->key_len, &ok, &de) &&
	    ok.known && ok.group.len >= 0) {
		char *s = NULL;
		int rc = ok.topic.len >= 0
				 ? asprintf(&s, "%s group=%.*s topic=%.*s partition=%d", ok.type,
					    ok.group.len, (const char *)ok.group.p, ok.topic.len,
					    (const char *)ok.topic.p, (int)ok.partition)
				 : asprintf(&s, "%s group=%.*s", ok.type, ok.group.len,
					    (const char *)ok.group.p);
		return rc < 0 ? NULL : s;
	}
	return escape_key(rec->key, rec->key_len);
}

static const char *key_verdict(uint8_t f)
{
	if (!(f & K_LATEST_TOMB))
		return (f & K_KEPT) && !(f & K_KEPT_TOMB) ? "reverts" : "lost";
	return "returns";
}

static bool list_key(ksd_qloss_part *lp, size_t limit, char *text, uint8_t flags)
{
	if (lp->nkeys >= limit) {
		lp->keys_truncated = true;
		free(text);
		return false;
	}
	/* Capacity 16, then doubling: full exactly when nkeys is 16, 32, 64... */
	if (lp->nkeys == 0 || (lp->nkeys >= 16 && (lp->nkeys & (lp->nkeys - 1)) == 0)) {
		size_t cap = lp->nkeys ? lp->nkeys * 2 : 16;
		ksd_qloss_key *v = realloc(lp->keys, cap * sizeof *v);
		if (!v) {
			free(text);
			return false;
		}
		lp->keys = v;
	}
	lp->keys[lp->nkeys].key = text;
	lp->keys[lp->nkeys].verdict = key_verdict(flags);
	lp->nkeys++;
	return true;
}

/* Lists each classified key once: at its latest record, which the targets hold. */
static void list_keys(reader *r, ksd_qloss_part *lp, const seg_target *st, size_t limit)
{
	ksd_source src;
	if (!st->s->log_path || ksd_source_open(&src, st->s->log_path, KSD_IO_PREAD, &r->rb) != KSD_OK)
		return;
	ksd_lr_opts lo = {true, true, true, st->mode == 2 ? st->cut_at : 0, 0, st->s->base_offset};
	ksd_log_reader lr;
	ksd_lr_event ev;
	ksd_lr_init(&lr, &src, &lo);
	ksd_lr_kind k;
	while (!lp->keys_truncated &&
	       ((k = ksd_lr_next(&lr, &ev)) == KSD_LR_BATCH || k == KSD_LR_CORRUPT)) {
		ksd_record_iter it;
		ksd_record rec;
		if (k != KSD_LR_BATCH || ksd_batch_is_control(&ev.batch) || !ev.entry ||
		    (ev.crc_checked && !ev.crc_valid) ||
		    ksd_records_begin(&it, &ev.batch, ev.entry, r->dec) != KSD_RECS_OK)
			continue;
		while (!lp->keys_truncated && ksd_records_next(&it, &rec) == KSD_RECS_OK) {
			if (rec.key_len < 0)
				continue;
			size_t j = keytab_slot(&r->keys, ksd_key_hash(rec.key, (size_t)rec.key_len), false);
			if (j == SIZE_MAX || !(r->keys.flags[j] & K_CLASSIFIED) ||
			    r->keys.latest[j] != rec.offset)
				continue;
			char *text = describe_key(lp, &rec);
			if (text)
				list_key(lp, limit, text, r->keys.flags[j]);
		}
	}
	ksd_source_close(&src);
}

/* --- __consumer_offsets: replay with and without ------------------------- */

/* A temporary copy of the first cut_at bytes, for replaying a cut log. */
static char *prefix_copy(const char *path, uint64_t cut_at)
{
	const char *tmp = getenv("TMPDIR");
	char *name = NULL;
	if (asprintf(&name, "%s/ksegdoctor-prefix-XXXXXX", tmp && *tmp ? tmp : "/tmp") < 0)
		return NULL;
	int out = mkstemp(name);
	int in = open(path, O_RDONLY | O_CLOEXEC);
	bool ok = out >= 0 && in >= 0;
	off_t off = 0;
	while (ok && (uint64_t)off < cut_at) {
		ssize_t n = sendfile(out, in, &off, (size_t)(cut_at - (uint64_t)off));
		if (n <= 0)
			ok = false;
	}
	if (in >= 0)
		close(in);
	if (out >= 0)
		close(out);
	if (!ok) {
		if (out >= 0)
			unlink(name);
		free(name);
		return NULL;
	}
	return name;
}

static void add_offset_change(ksd_qloss_part *lp, const ksd_committed *c, int64_t before,
			      int64_t after, const char *change)
{
	ksd_qloss_offset *v = realloc(lp->offsets, (lp->noffsets + 1) * sizeof *v);
	if (!v)
		return;
	lp->offsets = v;
	ksd_qloss_offset *o = &v[lp->noffsets];
	o->group = strdup(c->group);
	o->topic = strdup(c->topic);
	if (!o->group || !o->topic) {
		free(o->group);
		free(o->topic);
		return;
	}
	o->partition = c->partition;
	o->before = before;
	o->after = after;
	o->change = change;
	lp->noffsets++;
}

static int committed_cmp(const ksd_committed *x, const ksd_committed *y)
{
	int c = strcmp(x->group, y->group);
	if (!c)
		c = strcmp(x->topic, y->topic);
	if (!c)
		c = x->partition < y->partition ? -1 : x->partition > y->partition;
	return c;
}

static void diff_offsets(ksd_qloss_part *lp, ksd_offsets *before, ksd_offsets *after)
{
	size_t nb, na;
	const ksd_committed *b = ksd_offsets_committed(before, &nb);
	const ksd_committed *a = ksd_offsets_committed(after, &na);
	size_t i = 0, j = 0;
	while (i < nb || j < na) {
		int c = i >= nb ? 1 : j >= na ? -1 : committed_cmp(&b[i], &a[j]);
		if (c < 0) {
			add_offset_change(lp, &b[i], b[i].offset, -1, "lost");
			i++;
		} else if (c > 0) {
			add_offset_change(lp, &a[j], -1, a[j].offset, "returns");
			j++;
		} else {
			if (b[i].offset != a[j].offset)
				add_offset_change(lp, &b[i], b[i].offset, a[j].offset, "changed");
			i++;
			j++;
		}
	}
	size_t ngb, nga;
	const ksd_group_seen *gb = ksd_offsets_groups(before, &ngb);
	const ksd_group_seen *ga = ksd_offsets_groups(after, &nga);
	for (size_t x = 0; x < ngb; x++) {
		if (gb[x].deleted)
			continue;
		bool alive = false;
		for (size_t y = 0; y < nga && !alive; y++)
			alive = strcmp(ga[y].group, gb[x].group) == 0 && !ga[y].deleted;
		if (alive)
			continue;
		char **v = realloc(lp->groups_gone, (lp->ngroups_gone + 1) * sizeof *v);
		if (!v)
			break;
		lp->groups_gone = v;
		if ((v[lp->ngroups_gone] = strdup(gb[x].group)))
			lp->ngroups_gone++;
	}
	lp->loses |= lp->noffsets || lp->ngroups_gone;
}

static ksd_err offsets_diff(ksd_qloss_part *lp, const seg_target *st, size_t n)
{
	const char **all = calloc(n + 1, sizeof *all), **kept = calloc(n + 1, sizeof *kept);
	char **temps = calloc(n + 1, sizeof *temps);
	ksd_offsets *before = NULL, *after = NULL;
	ksd_err err = KSD_ERR_NOMEM;
	size_t na = 0, nk = 0;
	if (!all || !kept || !temps)
		goto out;
	for (size_t i = 0; i < n; i++) {
		if (!st[i].s->log_path)
			continue;
		all[na++] = st[i].s->log_path;
		if (st[i].mode == 1)
			continue;
		if (st[i].mode == 2) {
			if (!(temps[i] = prefix_copy(st[i].s->log_path, st[i].cut_at))) {
				err = KSD_ERR_IO;
				goto out;
			}
			kept[nk++] = temps[i];
		} else {
			kept[nk++] = st[i].s->log_path;
		}
	}
	if ((err = ksd_offsets_new(&before)) != KSD_OK || (err = ksd_offsets_new(&after)) != KSD_OK)
		goto out;
	int32_t cp = lp->p->name.partition;
	if ((err = ksd_offsets_load_partition(before, cp, all, na)) != KSD_OK ||
	    (err = ksd_offsets_load_partition(after, cp, kept, nk)) != KSD_OK)
		goto out;
	diff_offsets(lp, before, after);
out:
	ksd_offsets_free(before);
	ksd_offsets_free(after);
	for (size_t i = 0; temps && i < n; i++)
		if (temps[i]) {
			unlink(temps[i]);
			free(temps[i]);
		}
	free(temps);
	free(all);
	free(kept);
	return err;
}

/* --- one partition --------------------------------------------------------- */

static bool needs_reading(const ksd_qloss_part *lp, const seg_target *st)
{
	return st->mode || lp->compacted || st->s->txn_batches;
}

static ksd_err analyse(reader *r, const ksd_qplan *plan, const ksd_partition *p,
		       ksd_qloss_part *lp)
{
	seg_target *st = calloc(p->nsegments ? p->nsegments : 1, sizeof *st);
	if (!st)
		return KSD_ERR_NOMEM;
	bool any = false;
	for (size_t i = 0; i < p->nsegments; i++) {
		st[i].s = &p->segments[i];
		for (size_t u = 0; u < plan->nunits; u++) {
			if (plan->targets[u].s != st[i].s || plan->units[u].kind == KSD_QU_DROP_INDEX)
				continue;
			st[i].mode = plan->units[u].kind == KSD_QU_SEGMENT ? 1 : 2;
			st[i].cut_at = plan->units[u].cut_at;
			any = true;
		}
	}
	if (!any) {
		free(st);
		return KSD_OK; /* only indexes dropped: nothing to lose, no entry */
	}
	lp->p = p;
	lp->compacted = p->compacted;
	lp->offsets_topic = strcmp(p->name.topic, "__consumer_offsets") == 0;
	lp->first_offset = lp->last_offset = lp->min_timestamp = lp->max_timestamp = -1;
	ksd_err err = KSD_OK;
	if (any) {
		r->keys.n = 0;
		r->keys.capped = false;
		if (r->keys.cap)
			memset(r->keys.hash, 0, r->keys.cap * sizeof *r->keys.hash);
		r->tx.n = 0;
		for (size_t i = 0; i < p->nsegments; i++)
			if (needs_reading(lp, &st[i]))
				read_segment(r, lp, &st[i]);
		if (lp->compacted) {
			tally_keys(&r->keys, lp);
			for (size_t i = 0; i < p->nsegments && !lp->keys_truncated; i++)
				if (st[i].mode)
					list_keys(r, lp, &st[i], r->listed_keys);
		} else {
			/* Delete policy: every record in the targets is gone. */
			lp->loses |= lp->records > 0;
		}
		if (lp->offsets_topic)
			err = offsets_diff(lp, st, p->nsegments);
	}
	free(st);
	return err;
}

ksd_err ksd_qloss_compute(const ksd_scan *scan, const ksd_qplan *plan,
			  const ksd_qloss_opts *o, ksd_qloss *out)
{
	(void)scan;
	memset(out, 0, sizeof *out);
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	reader r;
	memset(&r, 0, sizeof r);
	r.keys.max_keys = o && o->max_keys ? o->max_keys : DEFAULT_MAX_KEYS;
	r.listed_keys = o && o->max_listed_keys ? o->max_listed_keys : KSD_QLOSS_LISTED_KEYS;
	if (ksd_readbuf_init(&r.rb, 4u << 20, 256u << 20) != KSD_OK)
		return KSD_ERR_NOMEM;
	if (ksd_decoder_new(&KSD_DECODER_DEFAULT_LIMITS, &r.dec) != KSD_OK) {
		ksd_readbuf_free(&r.rb);
		return KSD_ERR_NOMEM;
	}
	ksd_err err = KSD_OK;
	out->parts = calloc(plan->nparts ? plan->nparts : 1, sizeof *out->parts);
	if (!out->parts)
		err = KSD_ERR_NOMEM;
	for (size_t i = 0; err == KSD_OK && i < plan->nparts; i++) {
		err = analyse(&r, plan, plan->parts[i].p, &out->parts[out->nparts]);
		if (!out->parts[out->nparts].p)
			continue;
		out->any |= out->parts[out->nparts].loses;
		out->nparts++;
	}
	out->bytes_read = r.bytes_read;
	keytab_free(&r.keys);
	free(r.tx.v);
	ksd_decoder_free(r.dec);
	ksd_readbuf_free(&r.rb);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	out->seconds = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	return err;
}

void ksd_qloss_free(ksd_qloss *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->nparts; i++) {
		ksd_qloss_part *p = &l->parts[i];
		for (size_t k = 0; k < p->nkeys; k++)
			free(p->keys[k].key);
		free(p->keys);
		for (size_t k = 0; k < p->noffsets; k++) {
			free(p->offsets[k].group);
			free(p->offsets[k].topic);
		}
		free(p->offsets);
		for (size_t k = 0; k < p->ngroups_gone; k++)
			free(p->groups_gone[k]);
		free(p->groups_gone);
		free(p->markers);
	}
	free(l->parts);
	memset(l, 0, sizeof *l);
}
