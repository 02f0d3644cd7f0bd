/*
 * ksegdoctor sizes: partitions by bytes per log dir and topic, largest
 * first, from directory listings only (no file is opened), and a draft
 * kafka-reassign-partitions plan for the largest ones.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "ksd/jsonw.h"

enum {
	OPT_HELP = 'h',
	OPT_JSON = 256,
	OPT_TOP,
	OPT_TOPIC,
	OPT_TO_BROKERS,
	OPT_LOG_DIRS,
	OPT_APPARENT,
};

static const cli_opt sizes_opts[] = {
	{OPT_JSON, "json", 0, NULL, "one JSON document instead of tables"},
	{OPT_TOP, "top", 0, "N", "list only the N largest partitions per log dir (default 20; 0 = all)"},
	{OPT_TOPIC, "topic", 0, "TOPIC", "only partitions of TOPIC (repeatable)"},
	{OPT_TO_BROKERS, "to-brokers", 0, "IDS", "draft a kafka-reassign-partitions plan moving the listed partitions to these broker ids (e.g. 4,5,6)"},
	{OPT_LOG_DIRS, "log-dirs", 0, "DIRS", "absolute target log dirs for the plan, one per broker in --to-brokers (default any)"},
	{OPT_APPARENT, "apparent-size", 0, NULL, "count file sizes instead of allocated disk blocks"},
	{OPT_HELP, "help", 'h', NULL, "show this help"},
	{0, NULL, 0, NULL, NULL},
};

static const cli_cmd sizes_cmd = {
	"sizes", "[options] LOGDIR|PARTITION_DIR...",
	"Lists partitions by size per log dir, and topics by total size, largest\n"
	"first: what operators list by hand before moving partitions. Reads\n"
	"directory listings only. Sizes are allocated disk bytes (as du reports;\n"
	"preallocated sparse indexes count for what they hold) unless --apparent-size.",
	"The plan printed with --to-brokers is a draft for kafka-reassign-partitions\n"
	"--reassignment-json-file: offline we see one broker's disks, not the\n"
	"cluster's replica sets, so review the replica lists before executing it.\n",
	sizes_opts,
};

typedef struct sizes_state {
	bool json, apparent;
	unsigned top;
	const char **topics;
	size_t ntopics;
	int32_t *brokers;
	size_t nbrokers;
	char **log_dirs;
	size_t nlog_dirs;
} sizes_state;

static bool push_str(const char ***v, size_t *n, const char *s)
{
	const char **nv = realloc(*v, (*n + 1) * sizeof *nv);
	if (!nv)
		return false;
	nv[(*n)++] = s;
	*v = nv;
	return true;
}

static bool parse_brokers(sizes_state *st, const char *arg)
{
	char *copy = strdup(arg), *save = NULL;
	bool ok = copy != NULL;
	for (char *t = ok ? strtok_r(copy, ",", &save) : NULL; t && ok; t = strtok_r(NULL, ",", &save)) {
		char *end;
		errno = 0;
		long v = strtol(t, &end, 10);
		int32_t *nb = realloc(st->brokers, (st->nbrokers + 1) * sizeof *nb);
		ok = !errno && end != t && !*end && v >= 0 && v <= INT32_MAX && nb;
		if (nb)
			st->brokers = nb;
		if (ok)
			st->brokers[st->nbrokers++] = (int32_t)v;
	}
	free(copy);
	return ok && st->nbrokers > 0;
}

static bool parse_log_dirs(sizes_state *st, const char *arg)
{
	char *copy = strdup(arg), *save = NULL;
	if (!copy)
		return false;
	for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		char **nv = realloc(st->log_dirs, (st->nlog_dirs + 1) * sizeof *nv);
		if (nv)
			st->log_dirs = nv;
		/* reassign-partitions wants absolute paths (or "any") */
		if (!nv || t[0] != '/' || !(st->log_dirs[st->nlog_dirs] = strdup(t))) {
			free(copy);
			return false;
		}
		st->nlog_dirs++;
	}
	free(copy);
	return true;
}

static bool on_sizes_opt(void *ud, int id, const char *arg)
{
	sizes_state *st = ud;
	char *end;
	switch (id) {
	case OPT_JSON: st->json = true; return true;
	case OPT_APPARENT: st->apparent = true; return true;
	case OPT_TOPIC: return push_str(&st->topics, &st->ntopics, arg);
	case OPT_TOP: {
		unsigned long v = strtoul(arg, &end, 10);
		if (end != arg && !*end && arg[0] != '-' && v <= 1000000) {
			st->top = (unsigned)v;
			return true;
		}
		cli_usage_error(&sizes_cmd, "--top takes a number, not '%s'", arg);
		return false;
	}
	case OPT_TO_BROKERS:
		if (parse_brokers(st, arg))
			return true;
		cli_usage_error(&sizes_cmd, "--to-brokers takes broker ids like 4,5,6, not '%s'", arg);
		return false;
	case OPT_LOG_DIRS:
		if (parse_log_dirs(st, arg))
			return true;
		cli_usage_error(&sizes_cmd, "--log-dirs takes absolute paths separated by commas");
		return false;
	}
	return false;
}

typedef struct part_ref {
	const ksd_partition *p;
	uint64_t bytes;
} part_ref;

typedef struct topic_sum {
	const char *topic;
	uint64_t bytes;
	unsigned partitions;
} topic_sum;

static int part_cmp(const void *a, const void *b)
{
	const part_ref *x = a, *y = b;
	if (x->bytes != y->bytes)
		return x->bytes < y->bytes ? 1 : -1;
	return strcmp(x->p->dir_name, y->p->dir_name);
}

static int topic_cmp(const void *a, const void *b)
{
	const topic_sum *x = a, *y = b;
	if (x->bytes != y->bytes)
		return x->bytes < y->bytes ? 1 : -1;
	return strcmp(x->topic, y->topic);
}

static bool wanted(const sizes_state *st, const ksd_partition *p)
{
	if (st->ntopics == 0)
		return true;
	for (size_t i = 0; i < st->ntopics; i++)
		if (strcmp(st->topics[i], p->name.topic) == 0)
			return true;
	return false;
}

/* Partitions of one log dir, largest first; topic totals alongside. */
static size_t collect(const sizes_state *st, const ksd_logdir *ld, part_ref *parts,
		      topic_sum *topics, size_t *ntopics, uint64_t *total)
{
	size_t n = 0;
	*ntopics = 0;
	*total = 0;
	for (size_t i = 0; i < ld->npartitions; i++) {
		const ksd_partition *p = &ld->partitions[i];
		if (!wanted(st, p))
			continue;
		uint64_t b = st->apparent ? p->file_bytes : p->disk_bytes;
		parts[n].p = p;
		parts[n++].bytes = b;
		*total += b;
		size_t t = 0;
		while (t < *ntopics && strcmp(topics[t].topic, p->name.topic) != 0)
			t++;
		if (t == *ntopics)
			topics[(*ntopics)++] = (topic_sum){p->name.topic, 0, 0};
		topics[t].bytes += b;
		topics[t].partitions++;
	}
	if (n > 1) /* qsort(NULL, 0) is undefined */
		qsort(parts, n, sizeof *parts, part_cmp);
	if (*ntopics > 1) /* qsort(NULL, 0) is undefined */
		qsort(topics, *ntopics, sizeof *topics, topic_cmp);
	return n;
}

static void print_text(const sizes_state *st, const ksd_logdir *ld, const part_ref *parts,
		       size_t n, const topic_sum *topics, size_t nt, uint64_t total)
{
	char a[32], b[32];
	printf("%s: %s in %zu partitions\n", ld->path, fmt_bytes(total, a, sizeof a), n);
	size_t shown = st->top && st->top < n ? st->top : n;
	printf("  %-12s %6s  %-9s %s\n", "size", "share", "segments", "partition");
	for (size_t i = 0; i < shown; i++)
		printf("  %-12s %5.1f%%  %-9zu %s\n", fmt_bytes(parts[i].bytes, a, sizeof a),
		       total ? 100.0 * (double)parts[i].bytes / (double)total : 0.0,
		       parts[i].p->nsegments, parts[i].p->dir_name);
	if (shown < n)
		printf("  ... %zu smaller partitions (--top 0 lists all)\n", n - shown);
	printf("  by topic:\n");
	for (size_t i = 0; i < nt && (!st->top || i < st->top); i++)
		printf("  %-12s %5.1f%%  %-9u %s\n", fmt_bytes(topics[i].bytes, b, sizeof b),
		       total ? 100.0 * (double)topics[i].bytes / (double)total : 0.0,
		       topics[i].partitions, topics[i].topic);
	putchar('\n');
}

static void sink_stdout(void *ud, const char *p, size_t n)
{
	fwrite(p, 1, n, (FILE *)ud);
}

static void json_logdir(ksd_jw *w, const sizes_state *st, const ksd_logdir *ld,
			const part_ref *parts, size_t n, const topic_sum *topics, size_t nt,
			uint64_t total)
{
	ksd_jw_obj_begin(w);
	ksd_jw_kv_str(w, "path", ld->path);
	ksd_jw_kv_uint(w, "bytes", total);
	ksd_jw_key(w, "partitions");
	ksd_jw_arr_begin(w);
	for (size_t i = 0; i < n && (!st->top || i < st->top); i++) {
		ksd_jw_obj_begin(w);
		ksd_jw_kv_str(w, "name", parts[i].p->dir_name);
		ksd_jw_kv_str(w, "topic", parts[i].p->name.topic);
		ksd_jw_kv_int(w, "partition", parts[i].p->name.partition);
		ksd_jw_kv_uint(w, "bytes", parts[i].bytes);
		ksd_jw_kv_uint(w, "segments", parts[i].p->nsegments);
		ksd_jw_obj_end(w);
	}
	ksd_jw_arr_end(w);
	ksd_jw_key(w, "topics");
	ksd_jw_arr_begin(w);
	for (size_t i = 0; i < nt; i++) {
		ksd_jw_obj_begin(w);
		ksd_jw_kv_str(w, "topic", topics[i].topic);
		ksd_jw_kv_uint(w, "bytes", topics[i].bytes);
		ksd_jw_kv_uint(w, "partitions", topics[i].partitions);
		ksd_jw_obj_end(w);
	}
	ksd_jw_arr_end(w);
	ksd_jw_obj_end(w);
}

/* {"version":1,"partitions":[{"topic","partition","replicas","log_dirs"}]} */
static void reassign_plan(ksd_jw *w, const sizes_state *st, const part_ref *parts, size_t n)
{
	ksd_jw_obj_begin(w);
	ksd_jw_kv_int(w, "version", 1);
	ksd_jw_key(w, "partitions");
	ksd_jw_arr_begin(w);
	for (size_t i = 0; i < n; i++) {
		ksd_jw_obj_begin(w);
		ksd_jw_kv_str(w, "topic", parts[i].p->name.topic);
		ksd_jw_kv_int(w, "partition", parts[i].p->name.partition);
		ksd_jw_key(w, "replicas");
		ksd_jw_arr_begin(w);
		for (size_t b = 0; b < st->nbrokers; b++)
			ksd_jw_int(w, st->brokers[b]);
		ksd_jw_arr_end(w);
		ksd_jw_key(w, "log_dirs");
		ksd_jw_arr_begin(w);
		for (size_t b = 0; b < st->nbrokers; b++)
			ksd_jw_str(w, st->nlog_dirs ? st->log_dirs[b] : "any");
		ksd_jw_arr_end(w);
		ksd_jw_obj_end(w);
	}
	ksd_jw_arr_end(w);
	ksd_jw_obj_end(w);
}

static int run_sizes(sizes_state *st, ksd_scan *scan)
{
	ksd_jw w;
	ksd_jw_init(&w, (ksd_sink){sink_stdout, stdout});
	size_t maxp = 0;
	for (size_t i = 0; i < scan->nlogdirs; i++)
		maxp += scan->logdirs[i].npartitions;
	part_ref *parts = calloc(maxp + 1, sizeof *parts);
	part_ref *plan = calloc(maxp + 1, sizeof *plan);
	topic_sum *topics = calloc(maxp + 1, sizeof *topics);
	if (!parts || !topics || !plan) {
		free(parts), free(topics), free(plan);
		fprintf(stderr, "ksegdoctor sizes: out of memory\n");
		return KSD_EXIT_OPERATIONAL;
	}
	size_t nplan = 0;
	if (st->json) {
		ksd_jw_obj_begin(&w);
		ksd_jw_key(&w, "log_dirs");
		ksd_jw_arr_begin(&w);
	}
	for (size_t i = 0; i < scan->nlogdirs; i++) {
		size_t nt;
		uint64_t total;
		size_t n = collect(st, &scan->logdirs[i], parts, topics, &nt, &total);
		if (st->json)
			json_logdir(&w, st, &scan->logdirs[i], parts, n, topics, nt, total);
		else
			print_text(st, &scan->logdirs[i], parts, n, topics, nt, total);
		for (size_t k = 0; k < n && (!st->top || k < st->top); k++)
			plan[nplan++] = parts[k];
	}
	if (st->json) {
		ksd_jw_arr_end(&w);
		if (st->nbrokers) {
			ksd_jw_key(&w, "reassignment");
			reassign_plan(&w, st, plan, nplan);
		}
		ksd_jw_obj_end(&w);
		putchar('\n');
	} else if (st->nbrokers) {
		printf("Draft plan for kafka-reassign-partitions --reassignment-json-file "
		       "(review replica lists first):\n");
		reassign_plan(&w, st, plan, nplan);
		putchar('\n');
	}
	free(parts), free(topics), free(plan);
	return scan->nerrors ? KSD_EXIT_OPERATIONAL : KSD_EXIT_OK;
}

int cmd_sizes(int argc, char **argv)
{
	sizes_state st;
	memset(&st, 0, sizeof st);
	st.top = 20;
	int first = 0;
	int rc = cli_parse(&sizes_cmd, argc, argv, on_sizes_opt, &st, &first);
	if (rc == KSD_EXIT_OK && first == argc) {
		cli_usage_error(&sizes_cmd, "no LOGDIR or PARTITION_DIR given");
		rc = KSD_EXIT_USAGE;
	}
	if (rc == KSD_EXIT_OK && st.nlog_dirs && st.nlog_dirs != st.nbrokers) {
		cli_usage_error(&sizes_cmd, "--log-dirs needs one dir per broker in --to-brokers");
		rc = KSD_EXIT_USAGE;
	}
	ksd_config cfg;
	ksd_config_init(&cfg);
	ksd_scan *scan = NULL;
	if (rc == KSD_EXIT_OK && ksd_scan_new(&cfg, &scan) != KSD_OK)
		rc = KSD_EXIT_OPERATIONAL;
	if (rc == KSD_EXIT_OK) {
		for (int i = first; i < argc; i++)
			if (ksd_scan_add_path(scan, argv[i]) != KSD_OK)
				fprintf(stderr, "ksegdoctor sizes: cannot read %s\n", argv[i]);
		ksd_scan_finish_discovery(scan);
		rc = run_sizes(&st, scan);
	}
	ksd_scan_free(scan);
	free(st.topics);
	free(st.brokers);
	for (size_t i = 0; i < st.nlog_dirs; i++)
		free(st.log_dirs[i]);
	free(st.log_dirs);
	return rc < 0 ? KSD_EXIT_OK : rc;
}
