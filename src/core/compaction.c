/*
 * Compacted partitions: what they hold, what a full clean would remove, the
 * dirty ratio the cleaner judges them by, and what keeps it from cleaning.
 *
 * The cleaner's rules (kafka-facts.md §4.6-4.8; LogCleaner.shouldRetainRecord,
 * LogCleanerManager.cleanableOffsets / grabFilthiestCompactedLog):
 *  - a record with a key survives only when no later record has that key;
 *  - a record without a key is dropped ("invalid message"; brokers reject
 *    keyless appends to compacted topics since 0.9.0, KAFKA-1755, so only
 *    old data has them);
 *  - a tombstone (null value) that is the last record of its key survives
 *    until delete.retention.ms has passed;
 *  - dirty ratio = dirty bytes / (clean + dirty bytes), clean = segments
 *    below the first dirty offset (the cleaner-offset-checkpoint entry, or
 *    log start when absent, below log start, or above log end), dirty = from
 *    there to the first uncleanable offset (the active segment's base, or an
 *    earlier open transaction: the last stable offset); a log is picked when
 *    the ratio is strictly above min.cleanable.dirty.ratio.
 *
 * Keys are tracked by a 64-bit hash: two distinct keys collide with
 * probability about n^2 / 2^65 (n = 16 M keys: 7e-6), and a collision only
 * merges two keys in the counts.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ksd/compaction.h"
#include "ksd/keyhash.h"
#include "ksd/logreader.h"
#include "ksd/records.h"
#include "scan_internal.h"

void ksd_compaction_opts_init(ksd_compaction_opts *o)
{
	o->max_keys = KSD_COMPACTION_DEFAULT_MAX_KEYS;
	o->jobs = 0;
	o->min_cleanable_ratio = KSD_COMPACTION_DEFAULT_MIN_RATIO;
}

const char *ksd_blocker_name(ksd_blocker_kind k)
{
	static const char *const names[KSD_BLOCK__COUNT] = {
		[KSD_BLOCK_CLEANER_DISABLED] = "cleaner_disabled",
		[KSD_BLOCK_MAP_OVERFLOW] = "cleaner_map_overflow",
		[KSD_BLOCK_HANGING_TXN] = "hanging_transaction",
		[KSD_BLOCK_OPEN_TXN] = "open_transaction",
		[KSD_BLOCK_CHECKPOINT_RESET] = "checkpoint_reset",
		[KSD_BLOCK_NO_CHECKPOINT] = "no_checkpoint",
		[KSD_BLOCK_BELOW_RATIO] = "below_min_dirty_ratio",
		[KSD_BLOCK_ACTIVE_SEGMENT] = "active_segment",
		[KSD_BLOCK_LIVE_TOMBSTONES] = "live_tombstones",
		[KSD_BLOCK_DAMAGE] = "damaged_batches",
		[KSD_BLOCK_METADATA_LOG] = "metadata_log",
	};
	return (unsigned)k < KSD_BLOCK__COUNT ? names[k] : "?";
}

/* --- the key table ---------------------------------------------------------- */

/*
 * Open addressing, linear probing, two parallel arrays so a slot costs 12
 * bytes: the key's hash (0 = empty) and meta = what the key's latest record
 * is: tombstone bit, record-type bits, and its (estimated) size in bytes,
 * saturated, so superseding it credits those bytes as reclaimable.
 */
#define META_TOMB 0x80000000u
#define META_TYPE_SHIFT 29
#define META_TYPE_MASK 0x60000000u
#define META_SIZE_MASK 0x1FFFFFFFu
#define LOAD_NUM 7
#define LOAD_DEN 10

enum { KT_COMMIT = 0, KT_GROUP = 1, KT_OTHER = 2 };

typedef struct keytab {
	uint64_t *hash;
	uint32_t *meta;
	size_t cap, n;
	size_t max_cap;   /* slots allowed by max_keys */
	uint64_t max_keys;
	bool capped;      /* a new key was refused */
} keytab;

static void keytab_init(keytab *t, uint64_t max_keys)
{
	memset(t, 0, sizeof *t);
	t->max_keys = max_keys;
	uint64_t need = max_keys / LOAD_NUM * LOAD_DEN + LOAD_DEN;
	size_t cap = 1024;
	while (cap < need && cap < ((size_t)1 << 40))
		cap *= 2;
	t->max_cap = cap;
}

static void keytab_reset(keytab *t)
{
	if (t->n) {
		memset(t->hash, 0, t->cap * sizeof *t->hash);
		memset(t->meta, 0, t->cap * sizeof *t->meta);
	}
	t->n = 0;
	t->capped = false;
}

static void keytab_free(keytab *t)
{
	free(t->hash);
	free(t->meta);
	t->hash = NULL;
	t->meta = NULL;
}

static bool keytab_grow(keytab *t)
{
	size_t cap = t->cap ? t->cap * 2 : 1024;
	if (cap > t->max_cap)
		return false;
	uint64_t *h = calloc(cap, sizeof *h);
	uint32_t *m = malloc(cap * sizeof *m);
	if (!h || !m) {
		free(h);
		free(m);
		return false;
	}
	for (size_t i = 0; i < t->cap; i++) {
		if (!t->hash[i])
			continue;
		size_t j = t->hash[i] & (cap - 1);
		while (h[j])
			j = (j + 1) & (cap - 1);
		h[j] = t->hash[i];
		m[j] = t->meta[i];
	}
	keytab_free(t);
	t->hash = h;
	t->meta = m;
	t->cap = cap;
	return true;
}

/*
 * Records that key `h`'s latest record is `meta`.  Returns the previous
 * latest record's meta with bit 0 of *found set when the key was known;
 * when the table is at its limit a new key is not stored (t->capped).
 */
static uint32_t keytab_put(keytab *t, uint64_t h, uint32_t meta, bool *found)
{
	*found = false;
	if (t->cap) {
		size_t j = h & (t->cap - 1);
		while (t->hash[j]) {
			if (t->hash[j] == h) {
				uint32_t old = t->meta[j];
				t->meta[j] = meta;
				*found = true;
				return old;
			}
			j = (j + 1) & (t->cap - 1);
		}
	}
	if (t->n >= t->max_keys ||
	    ((t->n + 1) * LOAD_DEN > t->cap * LOAD_NUM && !keytab_grow(t))) {
		t->capped = true;
		return 0;
	}
	size_t j = h & (t->cap - 1);
	while (t->hash[j])
		j = (j + 1) & (t->cap - 1);
	t->hash[j] = h;
	t->meta[j] = meta;
	t->n++;
	return 0;
}

/* --- open transactions: producer id -> first offset ------------------------ */

typedef struct txn_slot {
	int64_t pid;      /* -1 = empty */
	int64_t first;
} txn_slot;

typedef struct txntab {
	txn_slot *v;
	size_t cap, n;
} txntab;

#define TXN_MAX_SLOTS ((size_t)1 << 20)

static size_t txn_home(const txntab *t, int64_t pid)
{
	return (size_t)(((uint64_t)pid * 0x9E3779B97F4A7C15ull) >> 20) & (t->cap - 1);
}

static bool txn_grow(txntab *t)
{
	size_t cap = t->cap ? t->cap * 2 : 64;
	if (cap > TXN_MAX_SLOTS)
		return false;
	txn_slot *v = malloc(cap * sizeof *v);
	if (!v)
		return false;
	for (size_t i = 0; i < cap; i++)
		v[i].pid = -1;
	txntab nt = {v, cap, 0};
	for (size_t i = 0; i < t->cap; i++) {
		if (t->v[i].pid < 0)
			continue;
		size_t j = txn_home(&nt, t->v[i].pid);
		while (v[j].pid >= 0)
			j = (j + 1) & (cap - 1);
		v[j] = t->v[i];
		nt.n++;
	}
	free(t->v);
	*t = nt;
	return true;
}

static size_t txn_find(const txntab *t, int64_t pid)
{
	if (!t->cap)
		return SIZE_MAX;
	size_t j = txn_home(t, pid);
	while (t->v[j].pid >= 0) {
		if (t->v[j].pid == pid)
			return j;
		j = (j + 1) & (t->cap - 1);
	}
	return SIZE_MAX;
}

/* The first transactional batch of a producer opens its transaction. */
static void txn_open(txntab *t, int64_t pid, int64_t offset)
{
	if (pid < 0 || txn_find(t, pid) != SIZE_MAX)
		return;
	if ((t->n + 1) * 2 > t->cap && !txn_grow(t))
		return;
	size_t j = txn_home(t, pid);
	while (t->v[j].pid >= 0)
		j = (j + 1) & (t->cap - 1);
	t->v[j] = (txn_slot){pid, offset};
	t->n++;
}

/* A COMMIT or ABORT marker closes it: delete with backward shift. */
static void txn_close(txntab *t, int64_t pid)
{
	size_t i = txn_find(t, pid);
	if (i == SIZE_MAX)
		return;
	t->v[i].pid = -1;
	t->n--;
	for (size_t j = (i + 1) & (t->cap - 1); t->v[j].pid >= 0; j = (j + 1) & (t->cap - 1)) {
		size_t home = txn_home(t, t->v[j].pid);
		/* Move v[j] into the hole when its home is not in (i, j]. */
		bool stays = i <= j ? (home > i && home <= j) : (home > i || home <= j);
		if (!stays) {
			t->v[i] = t->v[j];
			t->v[j].pid = -1;
			i = j;
		}
	}
}

static void txn_reset(txntab *t)
{
	for (size_t i = 0; i < t->cap; i++)
		t->v[i].pid = -1;
	t->n = 0;
}

static int64_t txn_oldest(const txntab *t)
{
	int64_t oldest = -1;
	for (size_t i = 0; i < t->cap; i++)
		if (t->v[i].pid >= 0 && (oldest < 0 || t->v[i].first < oldest))
			oldest = t->v[i].first;
	return oldest;
}

/* --- one worker ---------------------------------------------------------------- */

typedef struct cworker {
	ksd_readbuf rb;
	ksd_decoder *decoder;
	keytab keys;
	txntab txns;
} cworker;

static ksd_err cworker_init(cworker *w, uint64_t max_keys)
{
	memset(w, 0, sizeof *w);
	keytab_init(&w->keys, max_keys);
	if (ksd_readbuf_init(&w->rb, 4u << 20, 256u << 20) != KSD_OK)
		return KSD_ERR_NOMEM;
	if (ksd_decoder_new(&KSD_DECODER_DEFAULT_LIMITS, &w->decoder) != KSD_OK) {
		ksd_readbuf_free(&w->rb);
		return KSD_ERR_NOMEM;
	}
	return KSD_OK;
}

static void cworker_free(cworker *w)
{
	ksd_readbuf_free(&w->rb);
	ksd_decoder_free(w->decoder);
	keytab_free(&w->keys);
	free(w->txns.v);
}

static bool is_topic(const ksd_partition *p, const char *topic)
{
	return strcmp(p->name.topic, topic) == 0;
}

/* __consumer_offsets key version = record type (kafka-facts.md §6.1). */
static uint32_t offsets_key_type(const ksd_record *r)
{
	if (r->key_len < 2)
		return KT_OTHER;
	int v = (int16_t)(r->key[0] << 8 | r->key[1]);
	return v == 0 || v == 1 ? KT_COMMIT : v == 2 ? KT_GROUP : KT_OTHER;
}

/* One data record: supersede the key's previous record, if any. */
static void account_record(cworker *w, ksd_compaction_part *cp, const ksd_record *r,
			   uint64_t bytes)
{
	cp->records++;
	if (r->key_len < 0) {
		cp->null_key_records++;
		cp->reclaimable_bytes += bytes;
		return;
	}
	bool tomb = r->value_len < 0;
	cp->tombstones += tomb;
	uint32_t type = cp->offsets_topic ? offsets_key_type(r) : KT_OTHER;
	uint32_t meta = (tomb ? META_TOMB : 0) | type << META_TYPE_SHIFT |
			(bytes > META_SIZE_MASK ? META_SIZE_MASK : (uint32_t)bytes);
	bool found;
	uint32_t old = keytab_put(&w->keys, ksd_key_hash(r->key, (size_t)r->key_len), meta, &found);
	if (found) {
		cp->superseded_records++;
		cp->superseded_bytes += old & META_SIZE_MASK;
	}
}

/*
 * A batch's records, each credited with its proportional share of the
 * entry: its bytes in the (decompressed) records area scaled by entry
 * length / area length, so an uncompressed batch's shares are its records'
 * own bytes plus a share of the header, and a compressed batch's add up to
 * its compressed size.
 */
static bool account_batch(cworker *w, ksd_compaction_part *cp, const ksd_lr_event *ev)
{
	const ksd_batch *b = &ev->batch;
	ksd_record_iter it;
	ksd_record r;
	if (!ev->entry || (ev->crc_checked && !ev->crc_valid) ||
	    ksd_records_begin(&it, b, ev->entry, w->decoder) != KSD_RECS_OK)
		return false;
	if (ksd_batch_is_control(b)) {
		while (ksd_records_next(&it, &r) == KSD_RECS_OK)
			cp->control_records++;
		txn_close(&w->txns, b->producer_id);
		return true;
	}
	if (ksd_batch_is_transactional(b))
		txn_open(&w->txns, b->producer_id, b->base_offset);
	size_t area = it.cur.len ? it.cur.len : 1, prev = it.cur.pos;
	ksd_recs_status st;
	while ((st = ksd_records_next(&it, &r)) == KSD_RECS_OK) {
		uint64_t bytes = it.legacy_single ? b->entry_len
						  : (uint64_t)(it.cur.pos - prev) * b->entry_len / area;
		prev = it.cur.pos;
		account_record(w, cp, &r, bytes);
	}
	return st == KSD_RECS_END;
}

static void read_segment(cworker *w, ksd_compaction_part *cp, const ksd_segment *s,
			 uint64_t *bytes_read)
{
	ksd_source src;
	if (ksd_source_open(&src, s->log_path, KSD_IO_PREAD, &w->rb) != KSD_OK) {
		cp->damaged_batches++;
		return;
	}
	ksd_lr_opts lo = {true, true, true, 0, 0, s->base_offset};
	ksd_log_reader lr;
	ksd_lr_event ev;
	ksd_lr_init(&lr, &src, &lo);
	ksd_lr_kind k;
	while ((k = ksd_lr_next(&lr, &ev)) == KSD_LR_BATCH || k == KSD_LR_CORRUPT) {
		if (k == KSD_LR_CORRUPT) {
			/* A zero-filled preallocated tail holds no data. */
			cp->damaged_batches += ev.code != KSD_P_PREALLOCATED_TAIL;
			continue;
		}
		cp->batches++;
		if (!account_batch(w, cp, &ev))
			cp->damaged_batches++;
	}
	if (k == KSD_LR_IO_ERROR)
		cp->damaged_batches++;
	*bytes_read += src.size;
	ksd_source_close(&src);
}

/* --- dirty ratio ------------------------------------------------------------- */

static const ksd_segment *active_segment(const ksd_partition *p)
{
	for (size_t i = p->nsegments; i-- > 0;)
		if (p->segments[i].log_path)
			return &p->segments[i];
	return NULL;
}

static int64_t segment_end(const ksd_segment *s)
{
	return s->last_offset >= s->base_offset ? s->last_offset + 1 : s->base_offset;
}

/* The offset of the first hanging-transaction finding, or -1. */
static int64_t finding_offset(const ksd_finding *f)
{
	static const char *const names[] = {"first_offset", "start_offset", "offset",
					    "segment_base_offset"};
	for (size_t n = 0; n < sizeof names / sizeof *names; n++)
		for (unsigned i = 0; i < f->nfields; i++)
			if (strcmp(f->fields[i].name, names[n]) == 0 &&
			    (f->fields[i].type == KSD_F_INT || f->fields[i].type == KSD_F_UINT))
				return f->fields[i].v.i;
	return -1;
}

typedef struct found_findings {
	unsigned count;
	int64_t offset;
	bool any_error;
} found_findings;

static found_findings partition_findings(const ksd_partition *p, ksd_problem problem)
{
	found_findings ff = {0, -1, false};
	for (size_t i = 0; i < p->findings.n; i++) {
		const ksd_finding *f = &p->findings.v[i];
		if (f->problem != problem)
			continue;
		int64_t off = finding_offset(f);
		if (!ff.count || (off >= 0 && (ff.offset < 0 || off < ff.offset)))
			ff.offset = off;
		ff.count++;
		ff.any_error |= f->severity == KSD_SEV_ERROR;
	}
	ff.count += (unsigned)p->findings.suppressed[problem];
	return ff;
}

/* LogSegments(from, to): segments from the one holding `from` to base < to. */
static uint64_t bytes_between(const ksd_partition *p, int64_t from, int64_t to)
{
	uint64_t sum = 0;
	if (from >= to)
		return 0;
	for (size_t i = 0; i < p->nsegments; i++) {
		const ksd_segment *s = &p->segments[i], *next = NULL;
		if (!s->log_path)
			continue;
		for (size_t j = i + 1; j < p->nsegments && !next; j++)
			if (p->segments[j].log_path)
				next = &p->segments[j];
		bool holds_from = s->base_offset <= from && (!next || next->base_offset > from);
		if ((s->base_offset >= from || holds_from) && s->base_offset < to)
			sum += s->log_size;
	}
	return sum;
}

static void dirty_ratio(const ksd_partition *p, ksd_compaction_part *cp, int64_t hanging_offset)
{
	const ksd_segment *active = active_segment(p);
	const ksd_segment *first = NULL;
	for (size_t i = 0; i < p->nsegments && !first; i++)
		if (p->segments[i].log_path)
			first = &p->segments[i];
	cp->checkpoint = p->cleaner_checkpoint;
	cp->first_dirty = cp->first_uncleanable = cp->log_start = cp->log_end = -1;
	if (!active)
		return;
	cp->log_start = first->base_offset;
	cp->log_end = segment_end(active);
	if (p->log_start_checkpoint > cp->log_start && p->log_start_checkpoint <= cp->log_end)
		cp->log_start = p->log_start_checkpoint;
	cp->active_bytes = active->log_size;
	/* Absent: from log start.  Below log start or above log end: reset to
	 * log start (cleanableOffsets; the log end case since 2.x). */
	int64_t c = p->cleaner_checkpoint;
	cp->checkpoint_reset = c >= 0 && (c < cp->log_start || c > cp->log_end);
	cp->first_dirty = c < 0 || cp->checkpoint_reset ? cp->log_start : c;
	/* Uncleanable from the active segment, or an earlier open transaction
	 * (the last stable offset). */
	int64_t fu = active->base_offset;
	if (cp->open_txn_offset >= 0 && cp->open_txn_offset < fu)
		fu = cp->open_txn_offset;
	if (hanging_offset >= 0 && hanging_offset < fu)
		fu = hanging_offset;
	cp->first_uncleanable = fu > cp->first_dirty ? fu : cp->first_dirty;
	cp->clean_bytes = bytes_between(p, INT64_MIN, cp->first_dirty);
	cp->dirty_bytes = bytes_between(p, cp->first_dirty, cp->first_uncleanable);
	uint64_t total = cp->clean_bytes + cp->dirty_bytes;
	cp->dirty_ratio = total ? (double)cp->dirty_bytes / (double)total : 0.0;
}

/* --- blockers -------------------------------------------------------------- */

static void add_blocker(ksd_compaction_part *cp, ksd_blocker_kind k, const char *code,
			int64_t offset, uint64_t count, bool stops)
{
	if (cp->nblockers < KSD_COMPACTION_MAX_BLOCKERS)
		cp->blockers[cp->nblockers++] = (ksd_compaction_blocker){k, code, offset, count, stops};
}

static const char *damage_code(const ksd_partition *p)
{
	static const ksd_problem damage[] = {KSD_P_CRC_MISMATCH, KSD_P_CORRUPT_ENTRY,
					     KSD_P_TORN_TAIL};
	for (size_t d = 0; d < sizeof damage / sizeof *damage; d++)
		for (size_t i = 0; i < p->nsegments; i++) {
			const ksd_findings *f = p->segments[i].findings;
			if (f && (f->count_by_problem[damage[d]] || f->suppressed[damage[d]]))
				return ksd_problem_get(damage[d])->code;
		}
	return NULL;
}

static void find_blockers(const ksd_config *cfg, const ksd_compaction_opts *o,
			  const ksd_partition *p, ksd_compaction_part *cp,
			  const found_findings *hanging)
{
	/* An empty log has nothing to clean; the cleaner skips it (totalBytes > 0). */
	if (cp->bytes == 0) {
		cp->would_clean = false;
		return;
	}
	if (cp->metadata_log)
		add_blocker(cp, KSD_BLOCK_METADATA_LOG, NULL, -1, 0, true);
	if (!cfg->cleaner.enabled || cfg->cleaner.threads <= 0)
		add_blocker(cp, KSD_BLOCK_CLEANER_DISABLED, NULL, -1, 0, true);
	found_findings mo = partition_findings(p, KSD_P_CLEANER_MAP_OVERFLOW);
	if (mo.count)
		add_blocker(cp, KSD_BLOCK_MAP_OVERFLOW, ksd_problem_get(KSD_P_CLEANER_MAP_OVERFLOW)->code,
			    mo.offset, mo.count, mo.any_error);
	if (hanging->count)
		add_blocker(cp, KSD_BLOCK_HANGING_TXN, ksd_problem_get(KSD_P_HANGING_TRANSACTION)->code,
			    hanging->offset, hanging->count, false);
	else if (cp->open_txn_offset >= 0)
		add_blocker(cp, KSD_BLOCK_OPEN_TXN, NULL, cp->open_txn_offset, 1, false);
	if (cp->checkpoint_reset)
		add_blocker(cp, KSD_BLOCK_CHECKPOINT_RESET, NULL, cp->checkpoint, 0, false);
	else if (cp->checkpoint < 0)
		add_blocker(cp, KSD_BLOCK_NO_CHECKPOINT, NULL, -1, 0, false);
	bool picked = cp->dirty_ratio > o->min_cleanable_ratio;
	if (!picked)
		add_blocker(cp, KSD_BLOCK_BELOW_RATIO, NULL, cp->first_dirty, 0, true);
	if (cp->active_bytes * 2 > cp->bytes)
		add_blocker(cp, KSD_BLOCK_ACTIVE_SEGMENT, NULL, active_segment(p)->base_offset,
			    cp->active_bytes, false);
	if (cp->live_tombstones)
		add_blocker(cp, KSD_BLOCK_LIVE_TOMBSTONES, NULL, -1, cp->live_tombstones, false);
	if (cp->damaged_batches)
		add_blocker(cp, KSD_BLOCK_DAMAGE, damage_code(p), -1, cp->damaged_batches, false);
	cp->would_clean = true;
	for (size_t i = 0; i < cp->nblockers; i++)
		cp->would_clean &= !cp->blockers[i].stops_cleaning;
}

/* --- one partition ------------------------------------------------------------ */

static void tally_keys(const keytab *t, ksd_compaction_part *cp)
{
	cp->distinct_keys = t->n;
	for (size_t i = 0; i < t->cap; i++) {
		if (!t->hash[i])
			continue;
		uint32_t m = t->meta[i];
		cp->live_tombstones += (m & META_TOMB) != 0;
		uint32_t type = (m & META_TYPE_MASK) >> META_TYPE_SHIFT;
		cp->offset_commit_keys += type == KT_COMMIT;
		cp->group_keys += type == KT_GROUP;
		cp->other_keys += type == KT_OTHER;
	}
	cp->live_keys = cp->distinct_keys - cp->live_tombstones;
	cp->keys_capped = t->capped;
}

static void analyse_partition(const ksd_config *cfg, const ksd_compaction_opts *o, cworker *w,
			      ksd_compaction_part *cp, uint64_t *bytes_read)
{
	const ksd_partition *p = cp->p;
	keytab_reset(&w->keys);
	txn_reset(&w->txns);
	cp->offsets_topic = is_topic(p, "__consumer_offsets");
	cp->metadata_log = is_topic(p, "__cluster_metadata");
	for (size_t i = 0; i < p->nsegments; i++) {
		const ksd_segment *s = &p->segments[i];
		if (!s->log_path)
			continue;
		cp->segments++;
		read_segment(w, cp, s, bytes_read);
	}
	tally_keys(&w->keys, cp);
	if (!cp->offsets_topic)
		cp->offset_commit_keys = cp->group_keys = cp->other_keys = 0;
	cp->open_txn_offset = txn_oldest(&w->txns);
	cp->reclaimable_records = cp->superseded_records + cp->null_key_records;
	cp->reclaimable_bytes += cp->superseded_bytes;
	if (cp->reclaimable_bytes > cp->bytes)
		cp->reclaimable_bytes = cp->bytes;
	found_findings hanging = partition_findings(p, KSD_P_HANGING_TRANSACTION);
	dirty_ratio(p, cp, hanging.count ? hanging.offset : -1);
	cp->complete = !cp->damaged_batches && !cp->keys_capped;
	find_blockers(cfg, o, p, cp, &hanging);
}

/* --- the run: a small pool over partitions, largest first ------------------- */

typedef struct pool {
	const ksd_config *cfg;
	const ksd_compaction_opts *opts;
	ksd_compaction *c;
	atomic_size_t next;
	atomic_uint_fast64_t bytes_read;
	atomic_int workers_ok;
} pool;

static void *pool_worker(void *ud)
{
	pool *pl = ud;
	cworker w;
	if (cworker_init(&w, pl->opts->max_keys) != KSD_OK)
		return NULL;
	atomic_fetch_add(&pl->workers_ok, 1);
	uint64_t read = 0;
	size_t i;
	while ((i = atomic_fetch_add(&pl->next, 1)) < pl->c->nparts)
		analyse_partition(pl->cfg, pl->opts, &w, &pl->c->parts[i], &read);
	atomic_fetch_add(&pl->bytes_read, read);
	cworker_free(&w);
	return NULL;
}

static int part_cmp(const void *a, const void *b)
{
	const ksd_compaction_part *x = a, *y = b;
	if (x->bytes != y->bytes)
		return x->bytes < y->bytes ? 1 : -1;
	int t = strcmp(x->p->path, y->p->path);
	return t;
}

static bool wanted(const ksd_config *cfg, const ksd_partition *p)
{
	if (p->compacted)
		return true;
	/* The KRaft metadata log is never compacted by the log cleaner; list it
	 * only when asked for, marked as such. */
	return is_topic(p, "__cluster_metadata") && ksd_topic_is_compacted(cfg, "__cluster_metadata");
}

static ksd_err collect(const ksd_scan *scan, ksd_compaction *c)
{
	size_t n = 0;
	for (size_t i = 0; i < scan->nlogdirs; i++)
		for (size_t j = 0; j < scan->logdirs[i].npartitions; j++)
			n += wanted(&scan->cfg, &scan->logdirs[i].partitions[j]);
	c->parts = calloc(n ? n : 1, sizeof *c->parts);
	if (!c->parts)
		return KSD_ERR_NOMEM;
	for (size_t i = 0; i < scan->nlogdirs; i++)
		for (size_t j = 0; j < scan->logdirs[i].npartitions; j++) {
			const ksd_partition *p = &scan->logdirs[i].partitions[j];
			if (!wanted(&scan->cfg, p))
				continue;
			ksd_compaction_part *cp = &c->parts[c->nparts++];
			cp->p = p;
			cp->open_txn_offset = -1;
			for (size_t k = 0; k < p->nsegments; k++)
				cp->bytes += p->segments[k].log_path ? p->segments[k].log_size : 0;
		}
	if (c->nparts > 1) /* qsort(NULL, 0) is undefined */
		qsort(c->parts, c->nparts, sizeof *c->parts, part_cmp);
	return KSD_OK;
}

static unsigned worker_count(const ksd_scan *scan, const ksd_compaction_opts *o, size_t nparts)
{
	unsigned jobs = o->jobs ? o->jobs : scan->cfg.jobs;
	if (!jobs) {
		long cpus = sysconf(_SC_NPROCESSORS_ONLN);
		jobs = cpus > 0 ? (unsigned)cpus : 1;
	}
	if (jobs > 64)
		jobs = 64;
	return nparts < jobs ? (unsigned)(nparts ? nparts : 1) : jobs;
}

ksd_err ksd_compaction_run(const ksd_scan *scan, const ksd_compaction_opts *opts,
			   ksd_compaction **out)
{
	*out = NULL;
	ksd_compaction *c = calloc(1, sizeof *c);
	if (!c)
		return KSD_ERR_NOMEM;
	c->opts = *opts;
	if (!c->opts.max_keys)
		c->opts.max_keys = 1;
	ksd_err e = collect(scan, c);
	if (e != KSD_OK) {
		ksd_compaction_free(c);
		return e;
	}
	pool pl = {&scan->cfg, &c->opts, c, 0, 0, 0};
	unsigned nw = worker_count(scan, &c->opts, c->nparts);
	pthread_t tids[64];
	unsigned started = 0;
	for (unsigned i = 1; i < nw; i++)
		started += pthread_create(&tids[started], NULL, pool_worker, &pl) == 0;
	pool_worker(&pl); /* the calling thread works too */
	for (unsigned i = 0; i < started; i++)
		pthread_join(tids[i], NULL);
	if (!atomic_load(&pl.workers_ok)) {
		ksd_compaction_free(c);
		return KSD_ERR_NOMEM;
	}
	c->bytes_read = atomic_load(&pl.bytes_read);
	for (size_t i = 0; i < c->nparts; i++) {
		c->bytes += c->parts[i].bytes;
		c->records += c->parts[i].records;
		c->reclaimable_records += c->parts[i].reclaimable_records;
		c->reclaimable_bytes += c->parts[i].reclaimable_bytes;
	}
	*out = c;
	return KSD_OK;
}

void ksd_compaction_free(ksd_compaction *c)
{
	if (!c)
		return;
	free(c->parts);
	free(c);
}
