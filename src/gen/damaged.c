/*
 * gen/damaged.c - partitions carrying exactly one defect each, with the
 * defect's file and byte position reported in `note`.  Content comes from
 * the fixed-size builders (parts.h) so positions are the same every run:
 * an "orders" batch of 10 records is 1151 bytes, a v1 "clicks" message is
 * 134 bytes.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "gen/parts.h"

static void note_printf(char *note, size_t cap, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void note_printf(char *note, size_t cap, const char *fmt, ...)
{
	if (!note || cap == 0)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(note, cap, fmt, ap);
	va_end(ap);
}

/* Finishes the partition (closing its files) before damage is applied. */
static ksd_err finish_or_free(gen_part *p, ksd_err err)
{
	if (err) {
		gen_part_free(p);
		return err;
	}
	return gen_part_finish(p);
}

/* Path of segment `base`'s .log, and its name relative to the log dir. */
static ksd_err log_path(const gen_part *p, int64_t base, char *path,
			size_t cap, const char **rel)
{
	ksd_err err = gen_part_file(p, base, ".log", path, cap);
	*rel = path + strlen(p->ld->root) + 1;
	return err;
}

/* orders: 3 segments (0, 100, 200) of 10 batches; batch 5 of segment 100
 * (offsets 150..159) gets one flipped bit in its last record's value. */
ksd_err gen_part_crc_mismatch(gen_logdir *ld, gen_env *env, const char *topic,
			      int32_t partition, char *note, size_t cap)
{
	gen_part p;
	gen_placed hit = { 0 };
	ksd_err err = gen_part_begin(&p, ld, env->ctx, topic, partition,
				     GEN_ERA_MODERN, 0);
	if (!err)
		err = gen_orders_batches(&p, env, 10, GEN_ORDERS_RECORDS);
	if (!err)
		err = gen_part_roll(&p, 100);
	if (!err)
		err = gen_orders_batches(&p, env, 6, GEN_ORDERS_RECORDS);
	hit = p.last;
	if (!err)
		err = gen_orders_batches(&p, env, 4, GEN_ORDERS_RECORDS);
	if (!err)
		err = gen_part_roll(&p, 200);
	if (!err)
		err = gen_orders_batches(&p, env, 10, GEN_ORDERS_RECORDS);
	char path[GEN_PATH_MAX];
	const char *rel = "";
	err = finish_or_free(&p, err);
	if (!err)
		err = log_path(&p, hit.segment_base, path, sizeof(path), &rel);
	/* The byte before the last (header count 0) is the value's last
	 * byte: the record still decodes, only the CRC-32C disagrees. */
	uint64_t pos = hit.position + hit.info.size - 2;
	if (!err)
		err = ksd_gen_damage_flip_bit(path, pos, 0);
	if (!err)
		note_printf(note, cap,
		    "%s: v2 batch at position %llu (offsets %lld..%lld, %zu "
		    "bytes): bit 0 of byte %llu flipped",
		    rel, (unsigned long long)hit.position,
		    (long long)hit.info.base_offset,
		    (long long)hit.info.last_offset, hit.info.size,
		    (unsigned long long)pos);
	return err;
}

/* clicks (v1 messages, 0.10-era): segments 0 and 60 of 60 messages; the
 * message at offset 30 gets one flipped bit in its value's last byte. */
ksd_err gen_part_crc_mismatch_v1(gen_logdir *ld, gen_env *env,
				 const char *topic, int32_t partition,
				 char *note, size_t cap)
{
	gen_part p;
	gen_placed hit = { 0 };
	ksd_err err = gen_part_begin(&p, ld, env->ctx, topic, partition,
				     GEN_ERA_0_10, 0);
	if (!err)
		err = gen_v1_messages(&p, env, 31);
	hit = p.last;
	if (!err)
		err = gen_v1_messages(&p, env, 29);
	if (!err)
		err = gen_part_roll(&p, 60);
	if (!err)
		err = gen_v1_messages(&p, env, 60);
	char path[GEN_PATH_MAX];
	const char *rel = "";
	err = finish_or_free(&p, err);
	if (!err)
		err = log_path(&p, hit.segment_base, path, sizeof(path), &rel);
	uint64_t pos = hit.position + hit.info.size - 1;
	if (!err)
		err = ksd_gen_damage_flip_bit(path, pos, 0);
	if (!err)
		note_printf(note, cap,
		    "%s: v1 message at position %llu (offset %lld, %zu bytes): "
		    "bit 0 of byte %llu flipped",
		    rel, (unsigned long long)hit.position,
		    (long long)hit.info.last_offset, hit.info.size,
		    (unsigned long long)pos);
	return err;
}

/* orders: segment 0 (0..99), active segment 100 with 9 whole batches
 * (100..189) and the first half of the 10th (190..199).  The indexes never
 * saw the torn batch; recovery point and high watermark are 190. */
ksd_err gen_part_torn_tail(gen_logdir *ld, gen_env *env, const char *topic,
			   int32_t partition, char *note, size_t cap)
{
	gen_part p;
	ksd_gen_batch_info info = { 0 };
	uint64_t pos = 0;
	ksd_err err = gen_part_begin(&p, ld, env->ctx, topic, partition,
				     GEN_ERA_MODERN, 0);
	if (!err)
		err = gen_orders_batches(&p, env, 10, GEN_ORDERS_RECORDS);
	if (!err)
		err = gen_part_roll(&p, 100);
	if (!err)
		err = gen_orders_batches(&p, env, 9, GEN_ORDERS_RECORDS);
	if (!err) {
		ksd_gen_batch_spec s;
		gen_orders_spec(&p, env, GEN_ORDERS_RECORDS, &s);
		ksd_gen_buf_clear(&p.stage);
		err = ksd_gen_encode_v2(env->ctx, &p.stage, &s, &info);
		pos = ksd_gen_segment_position(&p.seg);
	}
	if (!err)
		err = gen_part_append_raw(&p, p.stage.data, info.size / 2);
	char path[GEN_PATH_MAX];
	const char *rel = "";
	err = finish_or_free(&p, err);
	if (!err)
		err = log_path(&p, 100, path, sizeof(path), &rel);
	if (!err)
		note_printf(note, cap,
		    "%s: last batch at position %llu (offsets %lld..%lld) torn: "
		    "%zu of %zu bytes present, file size %llu",
		    rel, (unsigned long long)pos, (long long)info.base_offset,
		    (long long)info.last_offset, info.size / 2, info.size,
		    (unsigned long long)(pos + info.size / 2));
	return err;
}

/* orders: segments 0 and 100 of 10 batches; in segment 0 batch 5 (offsets
 * 50..59) is damaged by `how`, batches 6..9 after it are intact. */
enum entry_damage { DAMAGE_SIZE_5, DAMAGE_MAGIC_7 };

static ksd_err damaged_entry(gen_logdir *ld, gen_env *env, const char *topic,
			     int32_t partition, enum entry_damage how,
			     char *note, size_t cap)
{
	gen_part p;
	gen_placed hit = { 0 };
	ksd_err err = gen_part_begin(&p, ld, env->ctx, topic, partition,
				     GEN_ERA_MODERN, 0);
	if (!err)
		err = gen_orders_batches(&p, env, 6, GEN_ORDERS_RECORDS);
	hit = p.last;
	if (!err)
		err = gen_orders_batches(&p, env, 4, GEN_ORDERS_RECORDS);
	if (!err)
		err = gen_part_roll(&p, 100);
	if (!err)
		err = gen_orders_batches(&p, env, 10, GEN_ORDERS_RECORDS);
	char path[GEN_PATH_MAX];
	const char *rel = "";
	err = finish_or_free(&p, err);
	if (!err)
		err = log_path(&p, 0, path, sizeof(path), &rel);
	if (!err)
		err = how == DAMAGE_SIZE_5
			      ? ksd_gen_damage_set_size(path, hit.position, 5)
			      : ksd_gen_damage_set_magic(path, hit.position, 7);
	if (!err)
		note_printf(note, cap,
		    "%s: entry at position %llu (was offsets %lld..%lld, %zu "
		    "bytes) has %s; 4 valid batches follow at %llu",
		    rel, (unsigned long long)hit.position,
		    (long long)hit.info.base_offset,
		    (long long)hit.info.last_offset, hit.info.size,
		    how == DAMAGE_SIZE_5 ? "size field 5" : "magic byte 7",
		    (unsigned long long)(hit.position + hit.info.size));
	return err;
}

ksd_err gen_part_corrupt_entry(gen_logdir *ld, gen_env *env,
			       const char *topic, int32_t partition,
			       char *note, size_t cap)
{
	return damaged_entry(ld, env, topic, partition, DAMAGE_SIZE_5, note,
			     cap);
}

ksd_err gen_part_unknown_magic(gen_logdir *ld, gen_env *env,
			       const char *topic, int32_t partition,
			       char *note, size_t cap)
{
	return damaged_entry(ld, env, topic, partition, DAMAGE_MAGIC_7, note,
			     cap);
}

/* __consumer_offsets-<p>: segment 0 holds offsets 0..99 and then a batch
 * 2147483649..2147483658 (last offset 2^31 + 10, relative offset beyond
 * Int.MaxValue).  Its max timestamp does not exceed the earlier one, so no
 * time-index entry refers to it; the offset index skips it as the broker
 * could not have written that entry. */
ksd_err gen_part_offset_overflow(gen_logdir *ld, gen_env *env,
				 int32_t partition, char *note, size_t cap)
{
	gen_part p;
	ksd_err err = gen_part_begin(&p, ld, env->ctx, "__consumer_offsets",
				     partition, GEN_ERA_MODERN, 0);
	if (!err)
		err = gen_offset_commit_batches(&p, env, 10, 10);
	p.next_offset = (INT64_C(1) << 31) + 1;
	p.clock -= 1000; /* same timestamps as the batch before */
	if (!err)
		err = gen_offset_commit_batches(&p, env, 1, 10);
	gen_placed hit = p.last;
	char path[GEN_PATH_MAX];
	const char *rel = "";
	err = finish_or_free(&p, err);
	if (!err)
		err = log_path(&p, 0, path, sizeof(path), &rel);
	if (!err)
		note_printf(note, cap,
		    "%s: batch at position %llu has offsets %lld..%lld "
		    "(relative %lld > 2147483647)",
		    rel, (unsigned long long)hit.position,
		    (long long)hit.info.base_offset,
		    (long long)hit.info.last_offset,
		    (long long)hit.info.last_offset);
	return err;
}

/* orders: segment 0 holds 0..150 (15 batches of 10 + one of 1 record),
 * the next segment is named 100 and holds 100..199. */
ksd_err gen_part_segment_overlap(gen_logdir *ld, gen_env *env,
				 const char *topic, int32_t partition,
				 char *note, size_t cap)
{
	gen_part p;
	ksd_err err = gen_part_begin(&p, ld, env->ctx, topic, partition,
				     GEN_ERA_MODERN, 0);
	if (!err)
		err = gen_orders_batches(&p, env, 15, GEN_ORDERS_RECORDS);
	if (!err)
		err = gen_orders_batches(&p, env, 1, 1);
	if (!err)
		err = gen_part_roll(&p, 100);
	p.next_offset = 100;
	if (!err)
		err = gen_orders_batches(&p, env, 10, GEN_ORDERS_RECORDS);
	char path[GEN_PATH_MAX];
	const char *rel = "";
	err = finish_or_free(&p, err);
	if (!err)
		err = log_path(&p, 100, path, sizeof(path), &rel);
	if (!err)
		note_printf(note, cap,
		    "%s: segment 0 ends at offset 150 but the next segment "
		    "is named 100 (holds 100..199)",
		    rel);
	return err;
}

/* orders: one segment named 100 whose batches hold offsets 50..149. */
ksd_err gen_part_base_offset_mismatch(gen_logdir *ld, gen_env *env,
				      const char *topic, int32_t partition,
				      char *note, size_t cap)
{
	gen_part p;
	ksd_err err = gen_part_begin(&p, ld, env->ctx, topic, partition,
				     GEN_ERA_MODERN, 100);
	p.next_offset = 50;
	if (!err)
		err = gen_orders_batches(&p, env, 10, GEN_ORDERS_RECORDS);
	char path[GEN_PATH_MAX];
	const char *rel = "";
	err = finish_or_free(&p, err);
	if (!err)
		err = log_path(&p, 100, path, sizeof(path), &rel);
	if (!err)
		note_printf(note, cap,
		    "%s: first batch at position 0 has base offset 50 "
		    "(offsets 50..149)",
		    rel);
	return err;
}

/* orders: segments 0 and 100 of 10 batches; the active segment ends with
 * 8192 zero bytes (log.preallocate left by a crash, §1.10). */
ksd_err gen_part_zero_tail(gen_logdir *ld, gen_env *env, const char *topic,
			   int32_t partition, char *note, size_t cap)
{
	gen_part p;
	ksd_err err = gen_part_begin(&p, ld, env->ctx, topic, partition,
				     GEN_ERA_MODERN, 0);
	if (!err)
		err = gen_orders_batches(&p, env, 10, GEN_ORDERS_RECORDS);
	if (!err)
		err = gen_part_roll(&p, 100);
	if (!err)
		err = gen_orders_batches(&p, env, 10, GEN_ORDERS_RECORDS);
	uint64_t end = ksd_gen_segment_position(&p.seg);
	char path[GEN_PATH_MAX];
	const char *rel = "";
	err = finish_or_free(&p, err);
	if (!err)
		err = log_path(&p, 100, path, sizeof(path), &rel);
	if (!err)
		err = ksd_gen_damage_append_zeros(path, 8192);
	if (!err)
		note_printf(note, cap, "%s: 8192 zero bytes from position %llu to EOF",
		    rel, (unsigned long long)end);
	return err;
}
