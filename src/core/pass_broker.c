/*
 * Pass 4: across the log dirs of one broker (after pass 3), into the scan's
 * broker-scope findings.  What one broker's log.dirs must agree on before it
 * starts: meta.properties (cluster and broker identity, §3.3), one live copy
 * of each partition (LogManager.loadLogs), one topic id per topic name
 * (partition.metadata, KIP-516).  Reads nothing: meta.properties and topic
 * ids were loaded with the checkpoints.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scan_internal.h"

/* --- meta-properties-mismatch ----------------------------------------------- */

static void report_unparsable_meta(ksd_scan *scan, const ksd_logdir *ld)
{
	char *path = ksd_path_join(ld->path, "meta.properties");
	ksd_finding *f = ksd_report(
		&scan->findings, KSD_P_META_PROPERTIES_MISMATCH, path ? path : ld->path, -1,
		"%s/meta.properties is invalid (%s at line %" PRIu32 ": %s): the broker cannot load "
		"this log dir's identity and rejects the dir at startup (or refuses to start)",
		ld->path, ksd_text_status_text((ksd_text_status)ld->meta.status), ld->meta.bad_line,
		ld->meta.bad_what ? ld->meta.bad_what : "?");
	ksd_finding_uint(f, "line", ld->meta.bad_line);
	ksd_finding_str(f, "rule", "MetaProperties: version 0 or 1, node.id and cluster.id "
				   "required in version 1, directory.id a valid Uuid (3.7+)");
	free(path);
}

/* The id a broker reads: node.id in KRaft (version 1), broker.id before. */
static bool meta_broker_id(const ksd_logdir_meta *m, int32_t *id)
{
	if (m->has_node_id) {
		*id = m->node_id;
		return true;
	}
	if (m->has_broker_id) {
		*id = m->broker_id;
		return true;
	}
	return false;
}

static ksd_finding *report_meta_pair(ksd_scan *scan, const ksd_logdir *a, const ksd_logdir *b,
				     const char *what, const char *va, const char *vb,
				     const char *consequence, const char *rule)
{
	char *path = ksd_path_join(b->path, "meta.properties");
	ksd_finding *f = ksd_report(
		&scan->findings, KSD_P_META_PROPERTIES_MISMATCH, path ? path : b->path, -1,
		"%s differs between log dirs: \"%s\" in %s/meta.properties, \"%s\" in "
		"%s/meta.properties: %s", what, va, a->path, vb, b->path, consequence);
	ksd_finding_str(f, "field", what);
	ksd_finding_str(f, "other_log_dir", a->path);
	ksd_finding_str(f, "rule", rule);
	free(path);
	return f;
}

/*
 * Compares log dir b with the first earlier one (a) that has each value.
 * cluster.id: 2.4+ ZooKeeper brokers and KRaft compare it across dirs (an
 * empty "cluster.id=" is a value too: Properties keeps "" and both
 * BrokerMetadata (2.x) and MetaPropertiesEnsemble.verify (3.7+) compare
 * strings); a dir without the key is filled in, not a mismatch.
 */
static void compare_meta(ksd_scan *scan, const ksd_logdir *a, const ksd_logdir *b)
{
	const ksd_logdir_meta *x = &a->meta, *y = &b->meta;
	char s1[32], s2[32];
	if (x->has_cluster_id && y->has_cluster_id && strcmp(x->cluster_id, y->cluster_id) != 0)
		report_meta_pair(scan, a, b, "cluster.id", x->cluster_id, y->cluster_id,
				 "the broker refuses to start (InconsistentClusterIdException / "
				 "InconsistentBrokerMetadataException; MetaPropertiesEnsemble.verify "
				 "from 3.7)",
				 "all log dirs must carry the same cluster.id (2.4+ ZooKeeper, KRaft)");
	int32_t ia, ib;
	if (meta_broker_id(x, &ia) && meta_broker_id(y, &ib) && ia != ib) {
		snprintf(s1, sizeof s1, "%" PRId32, ia);
		snprintf(s2, sizeof s2, "%" PRId32, ib);
		report_meta_pair(scan, a, b, "broker.id/node.id", s1, s2,
				 "the broker refuses to start (InconsistentBrokerIdException; "
				 "MetaPropertiesEnsemble.verify from 3.7)",
				 "all log dirs must carry the same broker.id / node.id (all versions)");
	}
	if (x->version != y->version) {
		snprintf(s1, sizeof s1, "%d", x->version);
		snprintf(s2, sizeof s2, "%d", y->version);
		report_meta_pair(scan, a, b, "version", s1, s2,
				 "one dir was written in ZooKeeper mode (0), the other in KRaft mode "
				 "(1): a ZooKeeper broker that is not migrating accepts only version 0 "
				 "and a KRaft broker requires node.id in every dir",
				 "MetaProperties: version 0 = ZooKeeper mode, 1 = KRaft (2.8+)");
	}
	if (x->has_directory_id && y->has_directory_id &&
	    strcmp(x->directory_id, y->directory_id) == 0)
		report_meta_pair(scan, a, b, "directory.id (duplicate)", x->directory_id,
				 y->directory_id,
				 "every log dir needs its own directory.id: the broker refuses to "
				 "start (MetaPropertiesEnsemble.verify, 3.7+, KIP-858); a copied "
				 "volume is the usual cause",
				 "MetaPropertiesEnsemble: directory.id must be unique (3.7+, KIP-858)");
}

static void check_meta_properties(ksd_scan *scan)
{
	const ksd_logdir *first = NULL;
	for (size_t i = 0; i < scan->nlogdirs; i++) {
		const ksd_logdir *ld = &scan->logdirs[i];
		if (ld->meta.status < 0)
			continue;
		if (ld->meta.status != KSD_TEXT_OK) {
			report_unparsable_meta(scan, ld);
			continue;
		}
		if (!first)
			first = ld;
		else
			compare_meta(scan, first, ld);
	}
}

/* --- duplicate-partition and topic-id-mismatch ------------------------------ */

static int part_ptr_cmp(const void *a, const void *b)
{
	const ksd_partition *x = *(const ksd_partition *const *)a;
	const ksd_partition *y = *(const ksd_partition *const *)b;
	int c = strcmp(x->name.topic, y->name.topic);
	if (c)
		return c;
	if (x->name.partition != y->name.partition)
		return x->name.partition < y->name.partition ? -1 : 1;
	return strcmp(x->path, y->path);
}

/* Every named partition of the scan, sorted by topic, partition, path. */
static ksd_partition **all_partitions(ksd_scan *scan, size_t *n)
{
	size_t total = 0;
	for (size_t i = 0; i < scan->nlogdirs; i++)
		total += scan->logdirs[i].npartitions;
	*n = 0;
	ksd_partition **v = malloc((total ? total : 1) * sizeof *v);
	if (!v)
		return NULL;
	for (size_t i = 0; i < scan->nlogdirs; i++)
		for (size_t j = 0; j < scan->logdirs[i].npartitions; j++)
			if (scan->logdirs[i].partitions[j].name.partition >= 0)
				v[(*n)++] = &scan->logdirs[i].partitions[j];
	if (*n > 1)
		qsort(v, *n, sizeof *v, part_ptr_cmp);
	return v;
}

static int64_t copy_log_end(const ksd_partition *p)
{
	for (size_t i = p->nsegments; i-- > 0;)
		if (p->segments[i].log_path)
			return p->segments[i].last_offset >= 0 ? p->segments[i].last_offset + 1
							       : p->segments[i].base_offset;
	return -1;
}

static uint64_t copy_bytes(const ksd_partition *p)
{
	uint64_t b = 0;
	for (size_t i = 0; i < p->nsegments; i++)
		b += p->segments[i].log_path ? p->segments[i].log_size : 0;
	return b;
}

static void report_duplicate(ksd_scan *scan, const ksd_partition *a, const ksd_partition *b)
{
	bool future_pair = (a->name.state == KSD_PART_FUTURE) != (b->name.state == KSD_PART_FUTURE);
	bool both_future = a->name.state == KSD_PART_FUTURE && b->name.state == KSD_PART_FUTURE;
	char b1[32], b2[32];
	int64_t le_a = copy_log_end(a), le_b = copy_log_end(b);
	uint64_t sz_a = copy_bytes(a), sz_b = copy_bytes(b);
	ksd_finding *f = ksd_report(
		&scan->findings, KSD_P_DUPLICATE_PARTITION, b->path, -1,
		"%s-%" PRId32 " has %s: %s (log end %" PRId64 ", %s bytes, high watermark %" PRId64
		") and %s (log end %" PRId64 ", %s bytes, high watermark %" PRId64 "): %s",
		a->name.topic, a->name.partition,
		future_pair ? "a live copy and a -future copy"
		: both_future ? "two -future copies" : "two live copies",
		a->path, le_a, ksd_fmt_count(sz_a, b1, sizeof b1), a->high_watermark, b->path, le_b,
		ksd_fmt_count(sz_b, b2, sizeof b2), b->high_watermark,
		future_pair ? "an unfinished intra-broker move (alterReplicaLogDirs): the broker "
			      "resumes it and replaces the live copy when the future one catches up"
			    : "LogManager.loadLogs throws IllegalStateException \"Duplicate log "
			      "directories\" and the broker does not start; keep the copy with the "
			      "higher log end and high watermark");
	if (!f)
		return;
	if (future_pair)
		f->severity = KSD_SEV_INFO;
	ksd_finding_str(f, "other_path", a->path);
	ksd_finding_int(f, "log_end_offset", le_b);
	ksd_finding_int(f, "other_log_end_offset", le_a);
	ksd_finding_uint(f, "bytes", sz_b);
	ksd_finding_uint(f, "other_bytes", sz_a);
	ksd_finding_str(f, "rule", future_pair
		? "LogManager: one live and one -future log per partition during a move (1.1+, KIP-113)"
		: "LogManager.loadLogs: two live (or two -future) logs of one partition are "
		  "\"Duplicate log directories\" (all versions)");
}

/* -delete and -stray copies are deleted by the broker: not duplicates. */
static bool loads_as_copy(const ksd_partition *p)
{
	return p->name.state == KSD_PART_LIVE || p->name.state == KSD_PART_FUTURE;
}

/* Each extra live copy against the first live one, each extra -future copy
 * against the first -future one, and the live/-future pair once. */
static void check_duplicates_in(ksd_scan *scan, ksd_partition **v, size_t lo, size_t hi)
{
	const ksd_partition *live = NULL, *future = NULL;
	for (size_t i = lo; i < hi; i++) {
		const ksd_partition **first = v[i]->name.state == KSD_PART_LIVE     ? &live
					      : v[i]->name.state == KSD_PART_FUTURE ? &future
										    : NULL;
		if (!first)
			continue;
		if (*first)
			report_duplicate(scan, *first, v[i]);
		else
			*first = v[i];
	}
	if (live && future)
		report_duplicate(scan, live, future);
}

static void check_duplicate_partitions(ksd_scan *scan, ksd_partition **v, size_t n)
{
	size_t lo = 0;
	while (lo < n) {
		size_t hi = lo + 1;
		while (hi < n && strcmp(v[hi]->name.topic, v[lo]->name.topic) == 0 &&
		       v[hi]->name.partition == v[lo]->name.partition)
			hi++;
		if (hi - lo > 1)
			check_duplicates_in(scan, v, lo, hi);
		lo = hi;
	}
}

/*
 * One finding per topic whose live (or -future) partitions carry more than
 * one topic id.  -delete dirs are left out: a topic deleted and re-created
 * under the same name leaves its old id in the -delete dir, legitimately;
 * -stray dirs are exactly the replicas the controller no longer knows.
 */
static void check_topic_ids_in(ksd_scan *scan, ksd_partition **v, size_t lo, size_t hi)
{
	const ksd_partition *first = NULL, *other = NULL;
	uint64_t n_first = 0, n_other = 0, n_ids = 0;
	for (size_t i = lo; i < hi; i++) {
		const ksd_partition *p = v[i];
		if (!loads_as_copy(p) || !p->topic_id[0])
			continue;
		if (!first) {
			first = p;
			n_ids = 1;
		}
		if (strcmp(p->topic_id, first->topic_id) == 0) {
			n_first++;
			continue;
		}
		if (!other) {
			other = p;
			n_ids = 2;
		}
		if (strcmp(p->topic_id, other->topic_id) == 0)
			n_other++;
		else
			n_ids = 3; /* "at least three" is all the message needs */
	}
	if (!other)
		return;
	ksd_finding *f = ksd_report(
		&scan->findings, KSD_P_TOPIC_ID_MISMATCH, other->path, -1,
		"topic %s has %s%" PRIu64 " topic ids in partition.metadata: %s in %" PRIu64
		" partition dir%s (e.g. %s), %s in %" PRIu64 " (e.g. %s): the broker rejects the "
		"partitions whose id differs from the controller's (InconsistentTopicIdException, "
		"2.8-3.6; stray and deleted in KRaft JBOD, 3.7+)",
		first->name.topic, n_ids > 2 ? "at least " : "", n_ids, first->topic_id, n_first,
		n_first == 1 ? "" : "s", first->path, other->topic_id, n_other, other->path);
	ksd_finding_str(f, "topic_id", first->topic_id);
	ksd_finding_str(f, "other_topic_id", other->topic_id);
	ksd_finding_uint(f, "partitions", n_first);
	ksd_finding_uint(f, "other_partitions", n_other);
	ksd_finding_str(f, "rule", "partition.metadata: one topic id per topic name (2.8+, KIP-516)");
}

static void check_topic_ids(ksd_scan *scan, ksd_partition **v, size_t n)
{
	size_t lo = 0;
	while (lo < n) {
		size_t hi = lo + 1;
		while (hi < n && strcmp(v[hi]->name.topic, v[lo]->name.topic) == 0)
			hi++;
		check_topic_ids_in(scan, v, lo, hi);
		lo = hi;
	}
}

void ksd_pass_broker(ksd_scan *scan)
{
	check_meta_properties(scan);
	size_t n;
	ksd_partition **v = all_partitions(scan, &n);
	if (!v)
		return;
	check_duplicate_partitions(scan, v, n);
	check_topic_ids(scan, v, n);
	free(v);
}
