/*
 * ksegdoctor offsets: committed consumer offsets from __consumer_offsets,
 * as a table, JSON, or the CSV kafka-consumer-groups --reset-offsets
 * --from-file reads.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "ksd/internal_topics.h"
#include "ksd/jsonw.h"
#include "ksd/offsets.h"

enum {
	OPT_HELP = 'h',
	OPT_JSON = 256,
	OPT_CSV,
	OPT_GROUP,
	OPT_TOPIC,
	OPT_PARTITIONS,
};

static const cli_opt offsets_opts[] = {
	{OPT_GROUP, "group", 'g', "GROUP", "only this consumer group (repeatable)"},
	{OPT_TOPIC, "topic", 0, "TOPIC", "only offsets for this topic (repeatable)"},
	{OPT_JSON, "json", 0, NULL, "one JSON document"},
	{OPT_CSV, "csv", 0, NULL, "CSV for kafka-consumer-groups --reset-offsets --from-file (no header)"},
	{OPT_PARTITIONS, "offsets-partitions", 0, "N", "offsets.topic.num.partitions when the topic was created (default 50)"},
	{OPT_HELP, "help", 'h', NULL, "show this help"},
	{0, NULL, 0, NULL, NULL},
};

static const cli_cmd offsets_cmd = {
	"offsets", "[options] LOGDIR|__consumer_offsets-N...",
	"Computes every group's committed offsets from __consumer_offsets partitions,\n"
	"as the group coordinator loads them: the last record per key wins,\n"
	"tombstones delete, transactional commits count only once their COMMIT\n"
	"marker follows (aborted ones never), old and KIP-848 records both handled.\n"
	"Each group is checked against the partition Java's String.hashCode maps\n"
	"it to (Utils.abs(hash) % N); a group found elsewhere is flagged.",
	"--csv prints topic,partition,offset when exactly one --group is given and\n"
	"group,topic,partition,offset otherwise: the formats\n"
	"kafka-consumer-groups --reset-offsets --from-file reads with one --group\n"
	"and with several --group or --all-groups.\n\n"
	"Exit status: 0 ok, 4 misplaced groups or undecodable records, 8 a path could\n"
	"not be read, 16 usage error.\n",
	offsets_opts,
};

typedef struct offsets_state {
	bool json, csv;
	const char **groups, **topics;
	size_t ngroups, ntopics;
	int32_t partitions;
} offsets_state;

static bool push(const char ***v, size_t *n, const char *s)
{
	const char **nv = realloc(*v, (*n + 1) * sizeof *nv);
	if (!nv)
		return false;
	nv[(*n)++] = s;
	*v = nv;
	return true;
}

static bool on_offsets_opt(void *ud, int id, const char *arg)
{
	offsets_state *st = ud;
	switch (id) {
	case OPT_JSON: st->json = true; return true;
	case OPT_CSV: st->csv = true; return true;
	case OPT_GROUP: return push(&st->groups, &st->ngroups, arg);
	case OPT_TOPIC: return push(&st->topics, &st->ntopics, arg);
	case OPT_PARTITIONS: {
		char *end;
		errno = 0;
		long v = strtol(arg, &end, 10);
		if (!errno && end != arg && !*end && v > 0 && v <= 1000000) {
			st->partitions = (int32_t)v;
			return true;
		}
		cli_usage_error(&offsets_cmd, "--offsets-partitions takes a positive number, not '%s'", arg);
		return false;
	}
	}
	return false;
}

static bool in_list(const char *const *v, size_t n, const char *s)
{
	if (n == 0)
		return true;
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i], s) == 0)
			return true;
	return false;
}

static int32_t expected_partition(const offsets_state *st, const char *group)
{
	return ksd_coordinator_partition(group, strlen(group), st->partitions);
}

/* Loads every live __consumer_offsets partition the scan discovered. */
static int load_all(ksd_offsets *o, const ksd_scan *scan, size_t *loaded)
{
	int rc = KSD_EXIT_OK;
	*loaded = 0;
	for (size_t i = 0; i < scan->nlogdirs; i++) {
		const ksd_logdir *ld = &scan->logdirs[i];
		for (size_t j = 0; j < ld->npartitions; j++) {
			const ksd_partition *p = &ld->partitions[j];
			if (strcmp(p->name.topic, "__consumer_offsets") != 0 ||
			    p->name.state != KSD_PART_LIVE)
				continue;
			const char **paths = calloc(p->nsegments + 1, sizeof *paths);
			size_t n = 0;
			for (size_t k = 0; paths && k < p->nsegments; k++)
				if (p->segments[k].log_path)
					paths[n++] = p->segments[k].log_path;
			if (!paths || ksd_offsets_load_partition(o, p->name.partition, paths, n) != KSD_OK) {
				fprintf(stderr, "ksegdoctor offsets: cannot read %s\n", p->path);
				rc |= KSD_EXIT_OPERATIONAL;
			}
			free(paths);
			(*loaded)++;
		}
	}
	return rc;
}

static void csv_field(const char *s)
{
	if (!strpbrk(s, ",\"\r\n")) {
		fputs(s, stdout);
		return;
	}
	putchar('"');
	for (; *s; s++) {
		if (*s == '"')
			putchar('"');
		putchar(*s);
	}
	putchar('"');
}

/*
 * kafka-consumer-groups reads (and --export writes) topic,partition,offset
 * only when exactly one --group is given (isSingleGroupQuery); with several
 * --group options or --all-groups it expects group,topic,partition,offset.
 * So the form follows the --group options, not how many groups have offsets.
 */
static void print_csv(const ksd_committed *c, size_t n, const offsets_state *st)
{
	bool with_group = st->ngroups != 1;
	for (size_t i = 0; i < n; i++) {
		if (!in_list(st->groups, st->ngroups, c[i].group) ||
		    !in_list(st->topics, st->ntopics, c[i].topic))
			continue;
		if (with_group) {
			csv_field(c[i].group);
			putchar(',');
		}
		csv_field(c[i].topic);
		printf(",%" PRId32 ",%" PRId64 "\n", c[i].partition, c[i].offset);
	}
}

static const char *fmt_time(int64_t ms, char *buf, size_t len)
{
	if (ms < 0)
		return "-";
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
	return buf;
}

static void print_table(const ksd_committed *c, size_t n, const offsets_state *st)
{
	char ts[32];
	printf("%-30s %-30s %9s %14s %6s %-20s %s\n", "GROUP", "TOPIC", "PARTITION", "OFFSET",
	       "EPOCH", "COMMITTED (UTC)", "NOTE");
	for (size_t i = 0; i < n; i++) {
		if (!in_list(st->groups, st->ngroups, c[i].group) ||
		    !in_list(st->topics, st->ntopics, c[i].topic))
			continue;
		int32_t want = expected_partition(st, c[i].group);
		char note[96] = "";
		if (want != c[i].found_in)
			snprintf(note, sizeof note, "in __consumer_offsets-%" PRId32 ", expected -%" PRId32,
				 c[i].found_in, want);
		else if (c[i].transactional)
			snprintf(note, sizeof note, "transactional");
		printf("%-30s %-30s %9" PRId32 " %14" PRId64 " %6" PRId32 " %-20s %s\n",
		       c[i].group, c[i].topic, c[i].partition, c[i].offset, c[i].leader_epoch,
		       fmt_time(c[i].commit_timestamp, ts, sizeof ts), note);
	}
}

static void sink_stdout(void *ud, const char *p, size_t n)
{
	fwrite(p, 1, n, (FILE *)ud);
}

static void json_stats(ksd_jw *w, const ksd_offsets_stats *s)
{
	ksd_jw_key(w, "stats");
	ksd_jw_obj_begin(w);
	ksd_jw_kv_uint(w, "segments", s->segments);
	ksd_jw_kv_uint(w, "batches", s->batches);
	ksd_jw_kv_uint(w, "records", s->records);
	ksd_jw_kv_uint(w, "offset_commits", s->offset_commits);
	ksd_jw_kv_uint(w, "tombstones", s->tombstones);
	ksd_jw_kv_uint(w, "group_records", s->group_records);
	ksd_jw_kv_uint(w, "other_records", s->other_records);
	ksd_jw_kv_uint(w, "txn_commits_applied", s->txn_commits_applied);
	ksd_jw_kv_uint(w, "txn_commits_aborted", s->txn_commits_aborted);
	ksd_jw_kv_uint(w, "txn_commits_pending", s->txn_commits_pending);
	ksd_jw_kv_uint(w, "txn_commits_superseded", s->txn_commits_superseded);
	ksd_jw_kv_uint(w, "decode_errors", s->decode_errors);
	ksd_jw_kv_uint(w, "corrupt_batches", s->corrupt_batches);
	ksd_jw_obj_end(w);
}

static void print_json(ksd_offsets *o, const offsets_state *st)
{
	size_t n, ng;
	const ksd_committed *c = ksd_offsets_committed(o, &n);
	const ksd_group_seen *g = ksd_offsets_groups(o, &ng);
	ksd_jw w;
	ksd_jw_init(&w, (ksd_sink){sink_stdout, stdout});
	ksd_jw_obj_begin(&w);
	ksd_jw_kv_int(&w, "offsets_partitions", st->partitions);
	ksd_jw_key(&w, "offsets");
	ksd_jw_arr_begin(&w);
	for (size_t i = 0; i < n; i++) {
		if (!in_list(st->groups, st->ngroups, c[i].group) ||
		    !in_list(st->topics, st->ntopics, c[i].topic))
			continue;
		int32_t want = expected_partition(st, c[i].group);
		ksd_jw_obj_begin(&w);
		ksd_jw_kv_str(&w, "group", c[i].group);
		ksd_jw_kv_str(&w, "topic", c[i].topic);
		ksd_jw_kv_int(&w, "partition", c[i].partition);
		ksd_jw_kv_int(&w, "offset", c[i].offset);
		ksd_jw_kv_int(&w, "leader_epoch", c[i].leader_epoch);
		ksd_jw_kv_str(&w, "metadata", c[i].metadata);
		ksd_jw_kv_int(&w, "commit_timestamp", c[i].commit_timestamp);
		ksd_jw_kv_int(&w, "expire_timestamp", c[i].expire_timestamp);
		ksd_jw_kv_int(&w, "value_version", c[i].value_version);
		ksd_jw_kv_bool(&w, "transactional", c[i].transactional);
		ksd_jw_kv_int(&w, "record_offset", c[i].record_offset);
		ksd_jw_kv_int(&w, "found_in", c[i].found_in);
		ksd_jw_kv_int(&w, "expected_partition", want);
		ksd_jw_kv_bool(&w, "misplaced", want != c[i].found_in);
		ksd_jw_obj_end(&w);
	}
	ksd_jw_arr_end(&w);
	ksd_jw_key(&w, "groups");
	ksd_jw_arr_begin(&w);
	for (size_t i = 0; i < ng; i++) {
		if (!in_list(st->groups, st->ngroups, g[i].group))
			continue;
		ksd_jw_obj_begin(&w);
		ksd_jw_kv_str(&w, "group", g[i].group);
		ksd_jw_kv_int(&w, "found_in", g[i].found_in);
		ksd_jw_kv_int(&w, "expected_partition", expected_partition(st, g[i].group));
		ksd_jw_kv_bool(&w, "deleted", g[i].deleted);
		ksd_jw_kv_bool(&w, "consumer_protocol", g[i].consumer_protocol);
		ksd_jw_obj_end(&w);
	}
	ksd_jw_arr_end(&w);
	json_stats(&w, ksd_offsets_stats_get(o));
	ksd_jw_obj_end(&w);
	putchar('\n');
}

/* Misplaced groups and undecodable records make the exit status 4. */
static int verdict(ksd_offsets *o, const offsets_state *st, bool quiet)
{
	size_t n, ng;
	const ksd_committed *c = ksd_offsets_committed(o, &n);
	const ksd_group_seen *g = ksd_offsets_groups(o, &ng);
	const ksd_offsets_stats *s = ksd_offsets_stats_get(o);
	unsigned misplaced = 0;
	for (size_t i = 0; i < n; i++)
		if (in_list(st->groups, st->ngroups, c[i].group) &&
		    expected_partition(st, c[i].group) != c[i].found_in)
			misplaced++;
	for (size_t i = 0; i < ng; i++)
		if (in_list(st->groups, st->ngroups, g[i].group) &&
		    expected_partition(st, g[i].group) != g[i].found_in)
			misplaced++;
	if (!quiet)
		fprintf(stderr, "%" PRIu64 " records in %" PRIu64 " segments: %zu committed offsets; "
			"%" PRIu64 " transactional commits applied, %" PRIu64 " aborted, %" PRIu64
			" still pending (no marker yet)%s%s\n",
			s->records, s->segments, n, s->txn_commits_applied, s->txn_commits_aborted,
			s->txn_commits_pending, misplaced ? "; misplaced groups found: is "
			"--offsets-partitions right?" : "",
			s->decode_errors || s->corrupt_batches ? "; some records could not be decoded" : "");
	return misplaced || s->decode_errors || s->corrupt_batches ? KSD_EXIT_FINDINGS : KSD_EXIT_OK;
}

static int run_offsets(offsets_state *st, int argc, char **argv, int first)
{
	ksd_config cfg;
	ksd_config_init(&cfg);
	ksd_scan *scan = NULL;
	ksd_offsets *o = NULL;
	int rc = KSD_EXIT_OK;
	if (ksd_scan_new(&cfg, &scan) != KSD_OK || ksd_offsets_new(&o) != KSD_OK) {
		ksd_scan_free(scan);
		fprintf(stderr, "ksegdoctor offsets: out of memory\n");
		return KSD_EXIT_OPERATIONAL;
	}
	for (int i = first; i < argc; i++)
		if (ksd_scan_add_path(scan, argv[i]) != KSD_OK) {
			fprintf(stderr, "ksegdoctor offsets: cannot read %s\n", argv[i]);
			rc |= KSD_EXIT_OPERATIONAL;
		}
	ksd_scan_finish_discovery(scan);
	size_t loaded;
	rc |= load_all(o, scan, &loaded);
	if (loaded == 0) {
		fprintf(stderr, "ksegdoctor offsets: no __consumer_offsets partition found\n");
		rc |= KSD_EXIT_OPERATIONAL;
	}
	size_t n;
	const ksd_committed *c = ksd_offsets_committed(o, &n);
	if (st->json)
		print_json(o, st);
	else if (st->csv)
		print_csv(c, n, st);
	else
		print_table(c, n, st);
	rc |= verdict(o, st, st->json);
	ksd_offsets_free(o);
	ksd_scan_free(scan);
	return rc;
}

int cmd_offsets(int argc, char **argv)
{
	offsets_state st;
	memset(&st, 0, sizeof st);
	st.partitions = 50;
	int first = 0;
	int rc = cli_parse(&offsets_cmd, argc, argv, on_offsets_opt, &st, &first);
	if (rc == KSD_EXIT_OK && first == argc) {
		cli_usage_error(&offsets_cmd, "no LOGDIR or __consumer_offsets-N given");
		rc = KSD_EXIT_USAGE;
	}
	if (rc == KSD_EXIT_OK && st.json && st.csv) {
		cli_usage_error(&offsets_cmd, "--json and --csv exclude each other");
		rc = KSD_EXIT_USAGE;
	}
	if (rc == KSD_EXIT_OK)
		rc = run_offsets(&st, argc, argv, first);
	free(st.groups);
	free(st.topics);
	return rc < 0 ? KSD_EXIT_OK : rc;
}
