/*
 * gen/demo.c - the sample broker of `make demo`: one broker (broker.id=1)
 * with two JBOD log dirs sharing a cluster.id.
 *
 * kafka-logs-1: the headline case (__consumer_offsets-17, sparse v0 segment
 *   spanning 0..1232493226), healthy events-0, clicks-0/1 (all codecs, a few
 *   MB), compacted __consumer_offsets-12, mixed v0/v1 legacy-0, and a stray
 *   notes.txt in the root.
 * kafka-logs-2: healthy transactional events-1; orders-0 with a CRC-damaged
 *   batch in its middle segment, orders-1 with a torn tail, orders-2 with a
 *   size-5 entry followed by valid batches; and lost+found/ in the root.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "gen/parts.h"
#include "gen/scenario.h"

static ksd_err subdir(const char *dir, const char *name, char *out,
		      size_t cap)
{
	int n = snprintf(out, cap, "%s/%s", dir, name);
	return n < 0 || (size_t)n >= cap ? KSD_ERR_OVERFLOW : KSD_OK;
}

static ksd_err demo_dir1(gen_logdir *ld, gen_env *env)
{
	static const char notes[] =
		"2023-11-14 moved payments-3 to /data3, see OPS-1234 -- jd\n";
	ksd_err err = gen_build_sparse_offsets(ld, env, 17, 0);
	if (!err)
		err = gen_build_events(ld, env, "events", 0, 60, 32768);
	for (int32_t p = 0; !err && p < 2; p++)
		err = gen_build_events(ld, env, "clicks", p, 1200, 1 << 20);
	if (!err)
		err = gen_build_offsets_compacted(ld, env, 12);
	if (!err)
		err = gen_build_legacy_mixed(ld, env, "legacy", 0);
	if (!err)
		err = ksd_gen_write_file_in(ld->root, "notes.txt", notes,
					    sizeof(notes) - 1);
	return err;
}

static ksd_err demo_dir2(gen_logdir *ld, gen_env *env)
{
	char note[512], path[GEN_PATH_MAX];
	ksd_err err = gen_build_txn(ld, env, "events", 1, 25);
	if (!err)
		err = gen_part_crc_mismatch(ld, env, "orders", 0, note,
					    sizeof(note));
	if (!err)
		err = gen_part_torn_tail(ld, env, "orders", 1, note,
					 sizeof(note));
	if (!err)
		err = gen_part_corrupt_entry(ld, env, "orders", 2, note,
					     sizeof(note));
	if (!err)
		err = subdir(ld->root, "lost+found", path, sizeof(path));
	if (!err && mkdir(path, 0700) != 0 && errno != EEXIST)
		err = KSD_ERR_IO;
	return err;
}

typedef ksd_err (*dir_fn)(gen_logdir *ld, gen_env *env);

static ksd_err demo_logdir(const char *dir, const char *name, dir_fn fn,
			   gen_env *env)
{
	char root[GEN_PATH_MAX];
	gen_logdir *ld = malloc(sizeof(*ld));
	ksd_err err = ld ? subdir(dir, name, root, sizeof(root))
			 : KSD_ERR_NOMEM;
	if (!err)
		err = gen_logdir_begin(ld, root);
	if (!err)
		err = fn(ld, env);
	if (!err)
		err = gen_logdir_finish(ld);
	free(ld);
	return err;
}

ksd_err ksd_gen_demo(const char *dir)
{
	gen_env env = { 0 };
	ksd_err err = gen_env_init(&env);
	if (!err)
		err = demo_logdir(dir, "kafka-logs-1", demo_dir1, &env);
	if (!err)
		err = demo_logdir(dir, "kafka-logs-2", demo_dir2, &env);
	gen_env_free(&env);
	return err;
}
