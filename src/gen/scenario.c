/*
 * gen/scenario.c - named log dirs with exactly one pathology each (or none:
 * `healthy`), so CLI tests can assert exact finding codes.  `dir` is the
 * log dir root; every scenario also writes meta.properties, the four
 * checkpoints, .kafka_cleanshutdown and .lock.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "gen/parts.h"
#include "gen/scenario.h"

typedef ksd_err (*scenario_fn)(gen_logdir *ld, gen_env *env, char *note,
			       size_t cap);

/* events-0 (all codecs, 3+ segments, 2 leader epochs), events-1
 * (transactions + COMMIT markers + producer snapshots), compacted
 * __consumer_offsets-12 with holes and an empty batch, legacy-0 (v0/v1). */
static ksd_err healthy_set(gen_logdir *ld, gen_env *env)
{
	ksd_err err = gen_build_events(ld, env, "events", 0, 60, 32768);
	if (!err)
		err = gen_build_txn(ld, env, "events", 1, 25);
	if (!err)
		err = gen_build_offsets_compacted(ld, env, 12);
	if (!err)
		err = gen_build_legacy_mixed(ld, env, "legacy", 0);
	return err;
}

static ksd_err sc_healthy(gen_logdir *ld, gen_env *env, char *note,
			  size_t cap)
{
	snprintf(note, cap, "events-0, events-1, __consumer_offsets-12, "
			    "legacy-0; no defect");
	return healthy_set(ld, env);
}

static ksd_err sc_headline(gen_logdir *ld, gen_env *env, char *note,
			   size_t cap)
{
	snprintf(note, cap,
		 "__consumer_offsets-17/00000000000000000000.log: 3000 v0 "
		 "offset commits, offsets 0..1232493226; next segment "
		 "00000000001232493227.log");
	return gen_build_sparse_offsets(ld, env, 17, 0);
}

static ksd_err sc_large_span_new(gen_logdir *ld, gen_env *env, char *note,
				 size_t cap)
{
	snprintf(note, cap,
		 "__consumer_offsets-17/00000000000000000000.log: 1000 v2 "
		 "batches, offsets 0..1232493226; next segment "
		 "00000000001232493227.log");
	return gen_build_sparse_offsets(ld, env, 17, 2);
}

static ksd_err sc_crc_mismatch(gen_logdir *ld, gen_env *env, char *note,
			       size_t cap)
{
	return gen_part_crc_mismatch(ld, env, "orders", 0, note, cap);
}

static ksd_err sc_crc_mismatch_v1(gen_logdir *ld, gen_env *env, char *note,
				  size_t cap)
{
	return gen_part_crc_mismatch_v1(ld, env, "clicks", 0, note, cap);
}

static ksd_err sc_torn_tail(gen_logdir *ld, gen_env *env, char *note,
			    size_t cap)
{
	return gen_part_torn_tail(ld, env, "orders", 0, note, cap);
}

static ksd_err sc_corrupt_entry(gen_logdir *ld, gen_env *env, char *note,
				size_t cap)
{
	return gen_part_corrupt_entry(ld, env, "orders", 0, note, cap);
}

static ksd_err sc_unknown_magic(gen_logdir *ld, gen_env *env, char *note,
				size_t cap)
{
	return gen_part_unknown_magic(ld, env, "orders", 0, note, cap);
}

static ksd_err sc_offset_overflow(gen_logdir *ld, gen_env *env, char *note,
				  size_t cap)
{
	return gen_part_offset_overflow(ld, env, 5, note, cap);
}

static ksd_err sc_segment_overlap(gen_logdir *ld, gen_env *env, char *note,
				  size_t cap)
{
	return gen_part_segment_overlap(ld, env, "orders", 0, note, cap);
}

static ksd_err sc_base_offset_mismatch(gen_logdir *ld, gen_env *env,
				       char *note, size_t cap)
{
	return gen_part_base_offset_mismatch(ld, env, "orders", 0, note, cap);
}

static ksd_err sc_zero_tail(gen_logdir *ld, gen_env *env, char *note,
			    size_t cap)
{
	return gen_part_zero_tail(ld, env, "orders", 0, note, cap);
}

/* The broker refuses to start on any sub-directory that is not a
 * topic-partition (§3.7), e.g. the lost+found mkfs creates. */
static ksd_err sc_foreign_directory(gen_logdir *ld, gen_env *env, char *note,
				    size_t cap)
{
	ksd_err err = healthy_set(ld, env);
	if (err)
		return err;
	char path[GEN_PATH_MAX];
	int n = snprintf(path, sizeof(path), "%s/lost+found", ld->root);
	if (n < 0 || (size_t)n >= sizeof(path))
		return KSD_ERR_OVERFLOW;
	if (mkdir(path, 0700) != 0 && errno != EEXIST)
		return KSD_ERR_IO;
	snprintf(note, cap, "lost+found/: foreign directory in the log dir "
			    "root (plus the healthy partitions)");
	return KSD_OK;
}

/* Two parallel tables so the public one can be handed out as is. */
static const ksd_gen_scenario_info infos[] = {
	{ "healthy", "v2 (all codecs, txn, compacted offsets) + v0/v1; "
		     "no finding" },
	{ "headline", "sparse v0 __consumer_offsets-17 segment spanning "
		      "0..1232493226" },
	{ "crc-mismatch", "v2 batch with one flipped payload bit" },
	{ "crc-mismatch-v1", "v1 message with one flipped bit" },
	{ "torn-tail", "last batch of the last segment cut in half" },
	{ "corrupt-entry", "entry with size field 5, then valid batches" },
	{ "unknown-magic", "entry with magic byte 7, then valid batches" },
	{ "offset-overflow", "segment 0 with a batch whose last offset is "
			     "2^31+10" },
	{ "segment-overlap", "segment 0 ends at 150, next segment named 100" },
	{ "base-offset-mismatch", "segment named 100 whose first batch starts "
				  "at 50" },
	{ "foreign-directory", "healthy dir plus lost+found/" },
	{ "cleaner-large-span-new", "sparse v2 __consumer_offsets-17 spanning "
				    "0..1232493226" },
	{ "zero-tail", "active segment ends in 8192 zero bytes" },
};

static const scenario_fn fns[] = {
	sc_healthy,         sc_headline,         sc_crc_mismatch,
	sc_crc_mismatch_v1, sc_torn_tail,        sc_corrupt_entry,
	sc_unknown_magic,   sc_offset_overflow,  sc_segment_overlap,
	sc_base_offset_mismatch, sc_foreign_directory, sc_large_span_new,
	sc_zero_tail,
};

#define N_SCENARIOS (sizeof(infos) / sizeof(infos[0]))
_Static_assert(sizeof(fns) / sizeof(fns[0]) == N_SCENARIOS,
	       "one function per scenario");

const ksd_gen_scenario_info *ksd_gen_scenarios(size_t *n)
{
	*n = N_SCENARIOS;
	return infos;
}

ksd_err ksd_gen_scenario(const char *name, const char *dir, char *note,
			 size_t note_cap)
{
	scenario_fn fn = NULL;
	char scratch[512];
	for (size_t i = 0; i < N_SCENARIOS && !fn; i++)
		if (strcmp(infos[i].name, name) == 0)
			fn = fns[i];
	if (!fn)
		return KSD_ERR_NOENT;
	if (!note || note_cap == 0) {
		note = scratch;
		note_cap = sizeof(scratch);
	}
	gen_logdir *ld = malloc(sizeof(*ld));
	gen_env env = { 0 };
	ksd_err err = ld ? gen_env_init(&env) : KSD_ERR_NOMEM;
	if (!err)
		err = gen_logdir_begin(ld, dir);
	if (!err)
		err = fn(ld, &env, note, note_cap);
	if (!err)
		err = gen_logdir_finish(ld);
	gen_env_free(&env);
	free(ld);
	return err;
}
