/*
 * gen/content.c - log dir and partition writers shared by the scenarios,
 * the demo and the benchmark generator (see content.h).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gen/content.h"

/* Cluster id shared by every fixture log dir (JBOD dirs must agree). */
#define GEN_CLUSTER_NAME "ksegdoctor-fixtures"

void gen_rng_seed(gen_rng *r, uint64_t seed)
{
	r->s = seed ? seed : 0x9E3779B97F4A7C15u;
}

uint64_t gen_rng_next(gen_rng *r)
{
	uint64_t x = r->s;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	r->s = x;
	return x * 0x2545F4914F6CDD1Du;
}

uint32_t gen_rng_below(gen_rng *r, uint32_t n)
{
	return n ? (uint32_t)((gen_rng_next(r) >> 32) % n) : 0;
}

void gen_uuid_from_name(const char *name, uint8_t out[16])
{
	size_t n = strlen(name);
	for (uint32_t i = 0; i < 4; i++)
		ksd_gen_store_be32(out + 4 * i, ksd_gen_xxh32(name, n, i + 1));
	out[6] = (uint8_t)((out[6] & 0x0F) | 0x40); /* version 4 */
	out[8] = (uint8_t)((out[8] & 0x3F) | 0x80); /* IETF variant */
}

/* ---- log dir ------------------------------------------------------------ */

ksd_err gen_logdir_begin(gen_logdir *ld, const char *root)
{
	memset(ld, 0, sizeof(*ld));
	if (strlen(root) >= sizeof(ld->root))
		return KSD_ERR_OVERFLOW;
	strcpy(ld->root, root);
	ksd_err err = ksd_gen_mkdirs(root);
	if (err)
		return err;
	uint8_t id[16];
	char cluster[23];
	gen_uuid_from_name(GEN_CLUSTER_NAME, id);
	ksd_gen_uuid_base64url(id, cluster);
	err = ksd_gen_write_meta_properties(root, 0, 1, cluster);
	return err ? err : ksd_gen_write_lock_file(root);
}

static ksd_err set_tp(gen_tp *arr, size_t *n, const char *topic,
		      int32_t partition, int64_t offset)
{
	for (size_t i = 0; i < *n; i++) {
		if (arr[i].partition == partition &&
		    strcmp(arr[i].topic, topic) == 0) {
			arr[i].offset = offset;
			return KSD_OK;
		}
	}
	if (*n >= GEN_MAX_PARTITIONS || strlen(topic) >= GEN_TOPIC_MAX)
		return KSD_ERR_OVERFLOW;
	strcpy(arr[*n].topic, topic);
	arr[*n].partition = partition;
	arr[*n].offset = offset;
	(*n)++;
	return KSD_OK;
}

ksd_err gen_logdir_set_log_end(gen_logdir *ld, const char *topic,
			       int32_t partition, int64_t offset)
{
	return set_tp(ld->log_end, &ld->n_log_end, topic, partition, offset);
}

ksd_err gen_logdir_set_cleaner(gen_logdir *ld, const char *topic,
			       int32_t partition, int64_t offset)
{
	return set_tp(ld->cleaner, &ld->n_cleaner, topic, partition, offset);
}

static ksd_err write_tp_checkpoint(const gen_logdir *ld, const char *name,
				   const gen_tp *arr, size_t n)
{
	ksd_gen_tp_offset *e = calloc(n ? n : 1, sizeof(*e));
	if (!e)
		return KSD_ERR_NOMEM;
	for (size_t i = 0; i < n; i++)
		e[i] = (ksd_gen_tp_offset){ arr[i].topic, arr[i].partition,
					    arr[i].offset };
	ksd_err err = ksd_gen_write_checkpoint(ld->root, name, e, n);
	free(e);
	return err;
}

ksd_err gen_logdir_finish(gen_logdir *ld)
{
	/* After a clean shutdown everything is flushed (recovery point = log
	 * end) and, on a single broker, the high watermark is the log end.
	 * log-start-offset-checkpoint only lists logs whose start moved above
	 * their first segment's base (DeleteRecords): none here. */
	ksd_err err = write_tp_checkpoint(ld, "recovery-point-offset-checkpoint",
					  ld->log_end, ld->n_log_end);
	if (!err)
		err = write_tp_checkpoint(ld, "replication-offset-checkpoint",
					  ld->log_end, ld->n_log_end);
	if (!err)
		err = write_tp_checkpoint(ld, "log-start-offset-checkpoint",
					  NULL, 0);
	if (!err)
		err = write_tp_checkpoint(ld, "cleaner-offset-checkpoint",
					  ld->cleaner, ld->n_cleaner);
	return err ? err : ksd_gen_write_clean_shutdown(ld->root);
}

/* ---- partition ----------------------------------------------------------- */

ksd_err gen_part_file(const gen_part *p, int64_t base, const char *suffix,
		      char *out, size_t cap)
{
	return ksd_gen_segment_path(out, cap, p->dir, base, suffix);
}

static ksd_err open_segment(gen_part *p, int64_t base)
{
	ksd_err err = ksd_gen_segment_open(&p->seg, p->dir, base, &p->seg_opts);
	p->seg_open = err == KSD_OK;
	if (!p->seg_open)
		ksd_gen_segment_free(&p->seg);
	return err;
}

ksd_err gen_part_begin(gen_part *p, gen_logdir *ld, ksd_gen_ctx *ctx,
		       const char *topic, int32_t partition, gen_era era,
		       int64_t base_offset)
{
	memset(p, 0, sizeof(*p));
	p->ld = ld;
	p->ctx = ctx;
	p->partition = partition;
	p->era = era;
	p->segment_bytes = 1u << 30; /* segment.bytes default 1 GiB */
	p->next_offset = base_offset;
	p->first_base = base_offset;
	p->clock = era == GEN_ERA_MODERN ? GEN_BASE_TS : GEN_OLD_TS;
	p->producer.producer_id = -1;
	p->producer.txn_first_offset = -1;
	/* Brokers <= 1.1 keyed index entries by the first offset. */
	p->seg_opts.index_first_offset = era != GEN_ERA_MODERN;
	ksd_gen_buf_init(&p->stage);
	gen_rng_seed(&p->rng, ksd_gen_xxh32(topic, strlen(topic),
					    (uint32_t)partition) |
				      (uint64_t)1 << 40);
	int n = snprintf(p->dir, sizeof(p->dir), "%s/%s-%d", ld->root, topic,
			 (int)partition);
	if (n < 0 || (size_t)n >= sizeof(p->dir) ||
	    strlen(topic) >= sizeof(p->topic))
		return KSD_ERR_OVERFLOW;
	strcpy(p->topic, topic);
	ksd_err err = ksd_gen_mkdirs(p->dir);
	return err ? err : open_segment(p, base_offset);
}

/* A snapshot is taken at every roll, named after the new segment's base
 * (ProducerStateManager.takeSnapshot on roll), and at clean shutdown. */
static ksd_err write_snapshot(const gen_part *p, int64_t offset)
{
	const gen_producer *s = &p->producer;
	if (s->producer_id < 0)
		return KSD_OK;
	ksd_gen_producer_entry e = {
		.producer_id = s->producer_id,
		.producer_epoch = s->epoch,
		.last_sequence = s->last_sequence,
		.last_offset = s->last_offset,
		.offset_delta = s->offset_delta,
		.timestamp = s->timestamp,
		.coordinator_epoch = s->coordinator_epoch,
		.current_txn_first_offset = s->txn_first_offset,
	};
	return ksd_gen_write_producer_snapshot(p->dir, offset, &e, 1);
}

ksd_err gen_part_roll(gen_part *p, int64_t base_offset)
{
	ksd_err err = KSD_OK;
	if (p->seg_open) {
		err = ksd_gen_segment_close(&p->seg);
		ksd_gen_segment_free(&p->seg);
		p->seg_open = false;
	}
	if (!err)
		err = write_snapshot(p, base_offset);
	return err ? err : open_segment(p, base_offset);
}

static void track_producer(gen_part *p, const ksd_gen_batch_spec *s,
			   const ksd_gen_batch_info *info)
{
	gen_producer *pr = &p->producer;
	if (s->producer_id < 0 || s->producer_id != pr->producer_id)
		return;
	int32_t lod = (int32_t)(info->last_offset - info->base_offset);
	pr->epoch = s->producer_epoch;
	pr->last_sequence = s->base_sequence + lod;
	pr->last_offset = info->last_offset;
	pr->offset_delta = lod;
	pr->timestamp = info->max_timestamp;
	pr->next_sequence = pr->last_sequence + 1;
	if (s->transactional && pr->txn_first_offset < 0)
		pr->txn_first_offset = info->base_offset;
}

/* LeaderEpochFileCache.assign: a new entry when a batch carries a higher
 * epoch than the latest one, starting at that batch's base offset. */
static void note_epoch(gen_part *p, int32_t epoch, int64_t base_offset)
{
	if (p->n_epochs > 0 && epoch <= p->epochs[p->n_epochs - 1].epoch)
		return;
	if (p->n_epochs == GEN_MAX_EPOCHS)
		return;
	p->epochs[p->n_epochs++] = (ksd_gen_epoch_entry){ epoch, base_offset };
}

ksd_err gen_part_place_stage(gen_part *p, const ksd_gen_batch_info *info)
{
	if (!p->seg_open)
		return KSD_ERR_INVAL;
	uint64_t pos = ksd_gen_segment_position(&p->seg);
	/* Log.maybeRoll: roll when this append would overflow segment.bytes. */
	if (pos > 0 && pos + info->size > p->segment_bytes) {
		ksd_err err = gen_part_roll(p, info->base_offset);
		if (err)
			return err;
		pos = 0;
	}
	p->last = (gen_placed){ p->seg.base_offset, pos, *info };
	ksd_err err = ksd_gen_segment_append(&p->seg, p->stage.data,
					     p->stage.len, info);
	if (info->last_offset >= p->next_offset)
		p->next_offset = info->last_offset + 1;
	return err;
}

ksd_err gen_part_append_v2(gen_part *p, const ksd_gen_batch_spec *spec)
{
	ksd_gen_batch_info info;
	ksd_gen_buf_clear(&p->stage);
	ksd_err err = ksd_gen_encode_v2(p->ctx, &p->stage, spec, &info);
	if (err)
		return err;
	err = gen_part_place_stage(p, &info);
	if (err)
		return err;
	note_epoch(p, spec->partition_leader_epoch, info.base_offset);
	track_producer(p, spec, &info);
	return KSD_OK;
}

ksd_err gen_part_append_marker(gen_part *p, int type,
			       int32_t coordinator_epoch)
{
	gen_producer *pr = &p->producer;
	ksd_gen_batch_info info;
	if (pr->producer_id < 0)
		return KSD_ERR_INVAL;
	ksd_gen_buf_clear(&p->stage);
	ksd_err err = ksd_gen_encode_txn_marker(
		&p->stage, p->next_offset, pr->producer_id, pr->epoch, type,
		coordinator_epoch, p->clock, gen_part_epoch(p), &info);
	if (!err)
		err = gen_part_place_stage(p, &info);
	if (err)
		return err;
	/* The marker ends the transaction; the coordinator epoch is kept
	 * (ProducerAppendInfo.appendEndTxnMarker). */
	pr->txn_first_offset = -1;
	pr->coordinator_epoch = coordinator_epoch;
	return KSD_OK;
}

int32_t gen_part_epoch(const gen_part *p)
{
	return p->n_epochs ? p->epochs[p->n_epochs - 1].epoch : 0;
}

ksd_err gen_part_append_raw(gen_part *p, const void *data, size_t len)
{
	return p->seg_open ? ksd_gen_segment_append_raw(&p->seg, data, len)
			   : KSD_ERR_INVAL;
}

static ksd_err write_partition_files(const gen_part *p)
{
	if (p->era == GEN_ERA_0_9)
		return KSD_OK; /* neither file existed before 0.11 */
	/* leader-epoch-checkpoint (0.11+); v0/v1 batches carry no epoch, so a
	 * legacy-only partition has an empty one.  Loading truncates entries
	 * below the log start to start there (truncateFromStart). */
	ksd_gen_epoch_entry e[GEN_MAX_EPOCHS];
	for (size_t i = 0; i < p->n_epochs; i++) {
		e[i] = p->epochs[i];
		if (e[i].start_offset < p->first_base)
			e[i].start_offset = p->first_base;
	}
	ksd_err err = ksd_gen_write_leader_epoch_checkpoint(p->dir, e,
							    p->n_epochs);
	if (err || p->era != GEN_ERA_MODERN)
		return err;
	uint8_t id[16];
	gen_uuid_from_name(p->topic, id);
	return ksd_gen_write_partition_metadata(p->dir, id);
}

ksd_err gen_part_finish(gen_part *p)
{
	ksd_err err = KSD_OK;
	if (p->seg_open) {
		err = ksd_gen_segment_close(&p->seg);
		p->seg_open = false;
	}
	if (!err)
		err = write_partition_files(p);
	if (!err)
		err = write_snapshot(p, p->next_offset);
	if (!err)
		err = gen_logdir_set_log_end(p->ld, p->topic, p->partition,
					     p->next_offset);
	gen_part_free(p);
	return err;
}

void gen_part_free(gen_part *p)
{
	ksd_gen_segment_free(&p->seg);
	p->seg_open = false;
	ksd_gen_buf_free(&p->stage);
}

/* ---- record content -------------------------------------------------------- */

const char *gen_arena_text(gen_batch_arena *a, size_t *len, const char *fmt,
			   ...)
{
	size_t room = sizeof(a->text) - a->used;
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(a->text + a->used, room, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= room)
		return NULL;
	const char *s = a->text + a->used;
	a->used += (size_t)n;
	*len = (size_t)n;
	return s;
}

static const char *const gen_words[] = {
	"click", "view", "cart", "checkout", "search", "login", "logout",
	"scroll", "share", "like", "comment", "play", "pause", "refund",
};
#define GEN_N_WORDS (sizeof(gen_words) / sizeof(gen_words[0]))

static void set_text(const char *s, size_t n, const void **p, int32_t *len)
{
	*p = s;
	*len = s ? (int32_t)n : KSD_GEN_NULL;
}

void gen_event_records(gen_batch_arena *a, gen_rng *rng, int32_t n,
		       bool with_headers)
{
	static const char trace[] = "00-4bf92f3577b34da6-00f067aa0ba902b7-01";
	a->used = 0;
	a->hdrs[0] = (ksd_gen_header){ "trace", trace, sizeof(trace) - 1 };
	a->hdrs[1] = (ksd_gen_header){ "origin", NULL, KSD_GEN_NULL };
	for (int32_t i = 0; i < n && i < GEN_MAX_BATCH_RECORDS; i++) {
		ksd_gen_record *r = &a->recs[i];
		uint32_t user = gen_rng_below(rng, 100000);
		size_t len = 0;
		memset(r, 0, sizeof(*r));
		r->timestamp_delta = i;
		/* every 7th record has a null key (round-robin producer) */
		const char *k = gen_rng_below(rng, 7) == 0
					? NULL
					: gen_arena_text(a, &len, "user-%05u",
							 user);
		set_text(k, len, &r->key, &r->key_len);
		const char *v = gen_arena_text(
			a, &len,
			"{\"user\":%u,\"action\":\"%s\",\"page\":\"/p/%u\","
			"\"ms\":%u,\"note\":\"%s %s %s\"}",
			user, gen_words[gen_rng_below(rng, GEN_N_WORDS)],
			gen_rng_below(rng, 5000), gen_rng_below(rng, 9000),
			gen_words[gen_rng_below(rng, GEN_N_WORDS)],
			gen_words[gen_rng_below(rng, GEN_N_WORDS)],
			gen_words[gen_rng_below(rng, GEN_N_WORDS)]);
		set_text(v, len, &r->value, &r->value_len);
		if (with_headers && i % 3 == 0) {
			r->headers = a->hdrs;
			r->header_count = i % 2 ? 2 : 1;
		}
	}
}

void gen_fixed_records(gen_batch_arena *a, int64_t first_offset, int32_t n)
{
	a->used = 0;
	for (int32_t i = 0; i < n && i < GEN_MAX_BATCH_RECORDS; i++) {
		ksd_gen_record *r = &a->recs[i];
		size_t len = 0;
		int64_t off = first_offset + i;
		memset(r, 0, sizeof(*r));
		r->timestamp_delta = i;
		const char *k = gen_arena_text(a, &len, "key-%06d",
					       (int)(off % 1000000));
		set_text(k, len, &r->key, &r->key_len);
		/* 90 bytes: "order NNNNNNNNNN " + 73 letters */
		const char *v = gen_arena_text(
			a, &len, "order %010lld %.73s", (long long)off,
			"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
			"abcdefghijklmnopqrstuvwxyz");
		set_text(v, len, &r->value, &r->value_len);
	}
}

void gen_group_for_partition(int32_t partition, int index, char *out,
			     size_t cap)
{
	int found = -1;
	for (int n = 0;; n++) {
		snprintf(out, cap, "console-consumer-%d", n);
		if (ksd_gen_group_partition(out, 50) == partition &&
		    ++found == index)
			return;
	}
}
