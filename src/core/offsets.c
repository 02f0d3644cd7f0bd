/*
 * Committed consumer offsets from __consumer_offsets (see ksd/offsets.h).
 * Rules follow GroupMetadataManager.loadGroupsAndOffsets (Kafka 0.11-3.x;
 * the 3.7+/4.x group coordinator replays the same records the same way).
 */
#include "ksd/offsets.h"

#include <stdlib.h>
#include <string.h>

#include "ksd/internal_topics.h"
#include "ksd/logreader.h"
#include "ksd/records.h"

/* --- a map from (group, topic, partition) to an index ------------------- */

typedef struct slot {
	uint64_t hash;
	size_t index; /* into the owner's array; SIZE_MAX = empty */
} slot;

typedef struct keymap {
	slot *slots;
	size_t cap, n;
} keymap;

static uint64_t hash_bytes(uint64_t h, const void *p, size_t n)
{
	const uint8_t *b = p;
	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 0x100000001B3ull;
	return h;
}

static uint64_t key_hash(ksd_kstr g, ksd_kstr t, int32_t part)
{
	uint64_t h = 0xCBF29CE484222325ull;
	int32_t gl = g.len, tl = t.len;
	h = hash_bytes(h, &gl, sizeof gl);
	h = hash_bytes(h, g.p, g.len > 0 ? (size_t)g.len : 0);
	h = hash_bytes(h, &tl, sizeof tl);
	h = hash_bytes(h, t.p, t.len > 0 ? (size_t)t.len : 0);
	return hash_bytes(h, &part, sizeof part);
}

static bool keymap_grow(keymap *m)
{
	size_t cap = m->cap ? m->cap * 2 : 256;
	slot *s = malloc(cap * sizeof *s);
	if (!s)
		return false;
	for (size_t i = 0; i < cap; i++)
		s[i].index = SIZE_MAX;
	for (size_t i = 0; i < m->cap; i++) {
		if (m->slots[i].index == SIZE_MAX)
			continue;
		size_t j = m->slots[i].hash & (cap - 1);
		while (s[j].index != SIZE_MAX)
			j = (j + 1) & (cap - 1);
		s[j] = m->slots[i];
	}
	free(m->slots);
	m->slots = s;
	m->cap = cap;
	return true;
}

/* Adds (h -> index); false when memory ran out. */
static bool keymap_insert(keymap *m, uint64_t h, size_t index)
{
	if ((m->n + 1) * 10 > m->cap * 7 && !keymap_grow(m))
		return false;
	size_t j = h & (m->cap - 1);
	while (m->slots[j].index != SIZE_MAX)
		j = (j + 1) & (m->cap - 1);
	m->slots[j].hash = h;
	m->slots[j].index = index;
	m->n++;
	return true;
}

/* --- the state ------------------------------------------------------------- */

typedef struct pending {
	int64_t producer_id;
	ksd_committed *v; /* group/topic/partition; offset < 0 marks a tombstone */
	size_t n, cap;
} pending;

struct ksd_offsets {
	ksd_committed *c;     /* committed entries; offset -2 = deleted */
	size_t n, cap;
	keymap map;
	pending *pend;
	size_t npend;
	ksd_group_seen *groups;
	size_t ngroups, groups_cap;
	ksd_offsets_stats st;
	ksd_decoder *decoder;
	ksd_readbuf rb;
	bool sorted;
};

#define DELETED (-2)

ksd_err ksd_offsets_new(ksd_offsets **out)
{
	ksd_offsets *o = calloc(1, sizeof *o);
	if (!o || ksd_decoder_new(&KSD_DECODER_DEFAULT_LIMITS, &o->decoder) != KSD_OK ||
	    ksd_readbuf_init(&o->rb, 4u << 20, 256u << 20) != KSD_OK) {
		if (o)
			ksd_decoder_free(o->decoder);
		free(o);
		return KSD_ERR_NOMEM;
	}
	*out = o;
	return KSD_OK;
}

static void committed_free(ksd_committed *c)
{
	free(c->group);
	free(c->topic);
	free(c->metadata);
}

void ksd_offsets_free(ksd_offsets *o)
{
	if (!o)
		return;
	for (size_t i = 0; i < o->n; i++)
		committed_free(&o->c[i]);
	free(o->c);
	free(o->map.slots);
	for (size_t i = 0; i < o->npend; i++) {
		for (size_t j = 0; j < o->pend[i].n; j++)
			committed_free(&o->pend[i].v[j]);
		free(o->pend[i].v);
	}
	free(o->pend);
	for (size_t i = 0; i < o->ngroups; i++)
		free(o->groups[i].group);
	free(o->groups);
	ksd_decoder_free(o->decoder);
	ksd_readbuf_free(&o->rb);
	free(o);
}

static char *kstr_dup(ksd_kstr s)
{
	if (s.len < 0 || !s.p)
		return NULL;
	char *p = malloc((size_t)s.len + 1);
	if (p) {
		memcpy(p, s.p, (size_t)s.len);
		p[s.len] = '\0';
	}
	return p;
}

static bool kstr_eq(ksd_kstr a, const char *b)
{
	return b && a.len >= 0 && strlen(b) == (size_t)a.len && memcmp(a.p, b, (size_t)a.len) == 0;
}

static bool same_key(const ksd_committed *c, const ksd_offsets_key *k)
{
	return c->partition == k->partition && kstr_eq(k->group, c->group) &&
	       kstr_eq(k->topic, c->topic);
}

/* The committed entry for a key, created empty (DELETED) when absent. */
static ksd_committed *entry_for(ksd_offsets *o, const ksd_offsets_key *k)
{
	if ((o->map.n + 1) * 10 > o->map.cap * 7 && !keymap_grow(&o->map))
		return NULL;
	uint64_t h = key_hash(k->group, k->topic, k->partition);
	size_t j = h & (o->map.cap - 1);
	for (; o->map.slots[j].index != SIZE_MAX; j = (j + 1) & (o->map.cap - 1)) {
		ksd_committed *c = &o->c[o->map.slots[j].index];
		if (o->map.slots[j].hash == h && same_key(c, k))
			return c;
	}
	if (o->n == o->cap) {
		size_t cap = o->cap ? o->cap * 2 : 256;
		ksd_committed *v = realloc(o->c, cap * sizeof *v);
		if (!v)
			return NULL;
		o->c = v;
		o->cap = cap;
	}
	ksd_committed *c = &o->c[o->n];
	memset(c, 0, sizeof *c);
	c->group = kstr_dup(k->group);
	c->topic = kstr_dup(k->topic);
	c->partition = k->partition;
	c->offset = DELETED;
	if (!c->group || !c->topic) {
		committed_free(c);
		return NULL;
	}
	o->map.slots[j].hash = h;
	o->map.slots[j].index = o->n++;
	o->map.n++;
	o->sorted = false;
	return c;
}

static void set_value(ksd_committed *c, const ksd_offset_commit_value *v, int64_t batch_offset,
		      int32_t found_in, bool txn)
{
	free(c->metadata);
	c->metadata = kstr_dup(v->metadata);
	c->offset = v->offset;
	c->leader_epoch = v->leader_epoch;
	c->commit_timestamp = v->commit_timestamp;
	c->expire_timestamp = v->expire_timestamp;
	c->value_version = v->version;
	c->record_offset = batch_offset;
	c->found_in = found_in;
	c->transactional = txn;
}

static pending *pending_for(ksd_offsets *o, int64_t pid, bool create)
{
	for (size_t i = 0; i < o->npend; i++)
		if (o->pend[i].producer_id == pid)
			return &o->pend[i];
	if (!create)
		return NULL;
	pending *v = realloc(o->pend, (o->npend + 1) * sizeof *v);
	if (!v)
		return NULL;
	o->pend = v;
	memset(&v[o->npend], 0, sizeof *v);
	v[o->npend].producer_id = pid;
	return &v[o->npend++];
}

static void pending_drop(ksd_offsets *o, pending *p)
{
	for (size_t j = 0; j < p->n; j++)
		committed_free(&p->v[j]);
	free(p->v);
	*p = o->pend[--o->npend];
}

/* Kafka keeps one pending commit per key per producer: the latest wins. */
static void pending_put(ksd_offsets *o, int64_t pid, const ksd_offsets_key *k,
			const ksd_offset_commit_value *v, int64_t batch_offset, int32_t found_in)
{
	pending *p = pending_for(o, pid, true);
	if (!p)
		return;
	ksd_committed *e = NULL;
	for (size_t i = 0; i < p->n && !e; i++)
		if (same_key(&p->v[i], k))
			e = &p->v[i];
	if (!e) {
		if (p->n == p->cap) {
			size_t cap = p->cap ? p->cap * 2 : 8;
			ksd_committed *nv = realloc(p->v, cap * sizeof *nv);
			if (!nv)
				return;
			p->v = nv;
			p->cap = cap;
		}
		e = &p->v[p->n++];
		memset(e, 0, sizeof *e);
		e->group = kstr_dup(k->group);
		e->topic = kstr_dup(k->topic);
		e->partition = k->partition;
	}
	if (v)
		set_value(e, v, batch_offset, found_in, true);
	else
		e->offset = DELETED; /* a transactional tombstone cancels it */
}

static void apply_commit_marker(ksd_offsets *o, pending *p)
{
	for (size_t i = 0; i < p->n; i++) {
		ksd_committed *e = &p->v[i];
		if (e->offset == DELETED)
			continue;
		ksd_offsets_key k = {0};
		k.group = (ksd_kstr){(const uint8_t *)e->group, (int32_t)strlen(e->group)};
		k.topic = (ksd_kstr){(const uint8_t *)e->topic, (int32_t)strlen(e->topic)};
		k.partition = e->partition;
		ksd_committed *c = entry_for(o, &k);
		if (!c)
			continue;
		/* CommitRecordMetadataAndOffset.olderThan: by appended batch offset */
		if (c->offset != DELETED && c->record_offset >= e->record_offset) {
			o->st.txn_commits_superseded++;
			continue;
		}
		ksd_offset_commit_value v = {e->value_version, e->offset, e->leader_epoch,
					     {(const uint8_t *)e->metadata,
					      e->metadata ? (int32_t)strlen(e->metadata) : -1},
					     e->commit_timestamp, e->expire_timestamp};
		set_value(c, &v, e->record_offset, e->found_in, true);
		o->st.txn_commits_applied++;
	}
}

static void note_group(ksd_offsets *o, ksd_kstr group, int32_t found_in, bool deleted,
		       bool consumer)
{
	ksd_group_seen *g = NULL;
	for (size_t i = 0; i < o->ngroups && !g; i++)
		if (kstr_eq(group, o->groups[i].group) && o->groups[i].found_in == found_in)
			g = &o->groups[i];
	if (!g) {
		if (o->ngroups == o->groups_cap) {
			size_t cap = o->groups_cap ? o->groups_cap * 2 : 32;
			ksd_group_seen *v = realloc(o->groups, cap * sizeof *v);
			if (!v)
				return;
			o->groups = v;
			o->groups_cap = cap;
		}
		g = &o->groups[o->ngroups];
		g->group = kstr_dup(group);
		if (!g->group)
			return;
		g->found_in = found_in;
		o->ngroups++;
	}
	g->deleted = deleted;
	g->consumer_protocol = consumer;
}

static void apply_group_record(ksd_offsets *o, const ksd_offsets_key *k, const ksd_record *r,
			       int32_t found_in)
{
	o->st.group_records++;
	bool consumer = k->version >= 3; /* KIP-848 consumer groups */
	if (r->value_len >= 0 && k->version == 2) {
		ksd_group_metadata gm;
		ksd_decode_err err;
		if (ksd_group_metadata_parse(r->value, (size_t)r->value_len, &gm, &err))
			consumer = kstr_eq(gm.protocol_type, "consumer");
		else
			o->st.decode_errors++;
	}
	note_group(o, k->group, found_in, r->value_len < 0, consumer);
}

static void apply_record(ksd_offsets *o, const ksd_batch *b, const ksd_record *r,
			 int32_t found_in)
{
	ksd_offsets_key k;
	ksd_decode_err err;
	o->st.records++;
	if (r->key_len < 0 || !ksd_offsets_key_parse(r->key, (size_t)r->key_len, &k, &err)) {
		o->st.decode_errors++;
		return;
	}
	if (!k.known || (k.version != 0 && k.version != 1)) {
		/* group metadata (2) and KIP-848 ConsumerGroupMetadata (3) */
		if (k.known && (k.version == 2 || k.version == 3))
			apply_group_record(o, &k, r, found_in);
		else
			o->st.other_records++;
		return;
	}
	bool txn = ksd_batch_is_transactional(b);
	ksd_offset_commit_value v;
	bool tomb = r->value_len < 0;
	if (!tomb && !ksd_offset_commit_value_parse(r->value, (size_t)r->value_len, &v, &err)) {
		o->st.decode_errors++;
		return;
	}
	tomb ? o->st.tombstones++ : o->st.offset_commits++;
	if (txn) {
		pending_put(o, b->producer_id, &k, tomb ? NULL : &v, b->base_offset, found_in);
		return;
	}
	ksd_committed *c = entry_for(o, &k);
	if (!c)
		return;
	if (tomb)
		c->offset = DELETED;
	else
		set_value(c, &v, b->base_offset, found_in, false);
}

/*
 * The coordinator reads only the marker's key (ControlRecordType.parse) and
 * drops the producer's pending commits on any control record, applying
 * them first when it is a COMMIT.
 */
static void apply_control(ksd_offsets *o, const ksd_batch *b, const ksd_record *r)
{
	pending *p = pending_for(o, b->producer_id, false);
	if (r->key_len < 4) {
		o->st.decode_errors++;
		return;
	}
	int16_t version = (int16_t)(r->key[0] << 8 | r->key[1]);
	int16_t type = (int16_t)(r->key[2] << 8 | r->key[3]);
	if (version < 0) {
		o->st.decode_errors++;
		return;
	}
	if (!p)
		return;
	if (type == KSD_CONTROL_COMMIT) {
		apply_commit_marker(o, p);
	} else if (type == KSD_CONTROL_ABORT) {
		for (size_t i = 0; i < p->n; i++)
			o->st.txn_commits_aborted += p->v[i].offset != DELETED;
	}
	pending_drop(o, p);
}

static void replay_batch(ksd_offsets *o, const ksd_lr_event *ev, int32_t found_in)
{
	ksd_record_iter it;
	ksd_record r;
	o->st.batches++;
	if (!ev->entry || (ev->crc_checked && !ev->crc_valid) ||
	    ksd_records_begin(&it, &ev->batch, ev->entry, o->decoder) != KSD_RECS_OK) {
		o->st.corrupt_batches++;
		return;
	}
	ksd_recs_status st;
	bool control = ksd_batch_is_control(&ev->batch);
	/* A control batch carries one marker; the coordinator reads the first. */
	while ((st = ksd_records_next(&it, &r)) == KSD_RECS_OK) {
		if (control) {
			apply_control(o, &ev->batch, &r);
			break;
		}
		apply_record(o, &ev->batch, &r, found_in);
	}
	if (st != KSD_RECS_OK && st != KSD_RECS_END)
		o->st.corrupt_batches++;
}

static ksd_err replay_segment(ksd_offsets *o, const char *path, int32_t found_in)
{
	ksd_source src;
	ksd_err e = ksd_source_open(&src, path, KSD_IO_PREAD, &o->rb);
	if (e != KSD_OK)
		return e;
	ksd_lr_opts lo = {true, true, true, 0, 0, -1};
	ksd_log_reader lr;
	ksd_lr_event ev;
	ksd_lr_init(&lr, &src, &lo);
	ksd_lr_kind k;
	while ((k = ksd_lr_next(&lr, &ev)) != KSD_LR_END && k != KSD_LR_IO_ERROR) {
		if (k == KSD_LR_CORRUPT)
			o->st.corrupt_batches++;
		else
			replay_batch(o, &ev, found_in);
	}
	e = k == KSD_LR_IO_ERROR ? KSD_ERR_IO : KSD_OK;
	ksd_source_close(&src);
	o->st.segments++;
	return e;
}

ksd_err ksd_offsets_load_partition(ksd_offsets *o, int32_t coordinator_partition,
				   const char *const *segment_paths, size_t nsegments)
{
	ksd_err err = KSD_OK;
	for (size_t i = 0; i < nsegments && err == KSD_OK; i++)
		err = replay_segment(o, segment_paths[i], coordinator_partition);
	/* Commits whose marker never came: an open (or hanging) transaction. */
	for (size_t i = 0; i < o->npend; i++)
		for (size_t j = 0; j < o->pend[i].n; j++)
			o->st.txn_commits_pending += o->pend[i].v[j].offset != DELETED;
	while (o->npend)
		pending_drop(o, &o->pend[0]);
	return err;
}

static int committed_cmp(const void *a, const void *b)
{
	const ksd_committed *x = a, *y = b;
	int c = strcmp(x->group, y->group);
	if (!c)
		c = strcmp(x->topic, y->topic);
	if (!c)
		c = x->partition < y->partition ? -1 : x->partition > y->partition;
	return c;
}

static int group_cmp(const void *a, const void *b)
{
	const ksd_group_seen *x = a, *y = b;
	return strcmp(x->group, y->group);
}

/* Drops deleted keys and sorts; the map is rebuilt lazily if loading resumes. */
static void compact(ksd_offsets *o)
{
	if (o->sorted)
		return;
	size_t w = 0;
	for (size_t i = 0; i < o->n; i++) {
		if (o->c[i].offset == DELETED)
			committed_free(&o->c[i]);
		else
			o->c[w++] = o->c[i];
	}
	o->n = w;
	/* qsort's pointer must not be NULL, even for 0 elements (C11 7.22.5) */
	if (o->n > 1)
		qsort(o->c, o->n, sizeof *o->c, committed_cmp);
	if (o->ngroups > 1)
		qsort(o->groups, o->ngroups, sizeof *o->groups, group_cmp);
	/* Indexes moved: rebuild the map for any later load. */
	free(o->map.slots);
	memset(&o->map, 0, sizeof o->map);
	for (size_t i = 0; i < o->n; i++) {
		ksd_kstr g = {(const uint8_t *)o->c[i].group, (int32_t)strlen(o->c[i].group)};
		ksd_kstr t = {(const uint8_t *)o->c[i].topic, (int32_t)strlen(o->c[i].topic)};
		if (!keymap_insert(&o->map, key_hash(g, t, o->c[i].partition), i))
			break;
	}
	o->sorted = true;
}

const ksd_committed *ksd_offsets_committed(ksd_offsets *o, size_t *n)
{
	compact(o);
	*n = o->n;
	return o->c;
}

const ksd_group_seen *ksd_offsets_groups(ksd_offsets *o, size_t *n)
{
	compact(o);
	*n = o->ngroups;
	return o->groups;
}

const ksd_offsets_stats *ksd_offsets_stats_get(const ksd_offsets *o)
{
	return &o->st;
}
