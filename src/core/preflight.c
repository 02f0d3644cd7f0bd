/*
 * Upgrade preflight: grade a finished scan for a target Kafka version.
 *
 * A scan finding answers "what is wrong"; the preflight answers "does it
 * stand in the way of this upgrade".  The same finding can block one target
 * and be fixed by another (cleaner-map-overflow ends with 0.10.1, KAFKA-3894;
 * offset overflow is split by 2.0+, KAFKA-6264), so every grade is a rule of
 * (finding, target, current version).  Findings of one code and grade become
 * one item, blockers first.  Two checks exist only here: ZooKeeper-mode log
 * dirs for a KRaft-only target (4.0+), and the supported upgrade path.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ksd/preflight.h"

typedef struct grade {
	ksd_pf_level level;
	const char *why;
	const char *action;
} grade;

typedef struct pf_ctx {
	const ksd_kversion *target, *current;
	ksd_preflight *pf;
	ksd_err err;
} pf_ctx;

const char *ksd_pf_level_name(ksd_pf_level l)
{
	return l == KSD_PF_BLOCKER ? "blocker" : l == KSD_PF_WARNING ? "warning" : "note";
}

static bool target_at_least(const pf_ctx *c, int a, int b, int d)
{
	return ksd_kversion_at_least(c->target, a, b, d, 0);
}

static const char *const WHY_DAMAGE =
	"Damage already on disk: if the target's first start recovers this segment (unclean "
	"shutdown, missing index) it truncates here and deletes every later unflushed segment, "
	"and the loss will look like an upgrade regression.";
static const char *const ACT_DAMAGE =
	"Fix it on the current version first (re-replicate the partition from a healthy replica), "
	"then run the preflight again.";
static const char *const WHY_STARTUP =
	"Every Kafka version refuses to start with this on disk, so the upgraded broker would not "
	"come up.";

static grade grade_blocking(const ksd_finding *f)
{
	grade g = {KSD_PF_BLOCKER, WHY_STARTUP, NULL};
	switch (f->problem) {
	case KSD_P_BROKER_RUNNING:
		g.why = "A broker holds the log dir's .lock: the files are changing under the scan, "
			"and the binary cannot be replaced under a running broker.";
		g.action = "Stop the broker with a controlled shutdown, then run the preflight again.";
		break;
	case KSD_P_FOREIGN_DIRECTORY:
		g.action = "Move the directory out of the log dir root.";
		break;
	case KSD_P_META_PROPERTIES_MISMATCH:
		g.action = "Find the log dir that came from another broker or cluster and restore its "
			   "own meta.properties or remove it from log.dirs.";
		break;
	default:
		g.level = KSD_PF_WARNING;
		break;
	}
	return g;
}

static grade grade_checkpoint(const ksd_finding *f)
{
	if (f->severity == KSD_SEV_ERROR)
		return (grade){KSD_PF_BLOCKER,
			"The first start of any version deletes every segment of the partition "
			"(log-start-offset-checkpoint above the log end, LogLoader).",
			"Restore the missing segments, or let the partition re-replicate before the "
			"upgrade."};
	return (grade){KSD_PF_WARNING,
		"A checkpoint is ahead of the data on disk: records were lost or a copy is stale, "
		"and the upgraded broker will act on it at startup.",
		"Find the missing data (quarantine, backup) or re-replicate the partition first."};
}

static grade grade_versioned(const pf_ctx *c, const ksd_finding *f, const ksd_partition *p)
{
	switch (f->problem) {
	case KSD_P_OFFSET_OVERFLOW:
		if (target_at_least(c, 2, 0, 0))
			return (grade){KSD_PF_WARNING,
				"The target splits an overflowed segment when it recovers or cleans it "
				"(KAFKA-6264, 2.0+), writing .cleaned and .swap files; expect that work "
				"on the first start.",
				"None required; or re-replicate the partition before the upgrade."};
		return (grade){KSD_PF_BLOCKER,
			"Before 2.0 appends, recovery and cleaning of this segment fail with "
			"IndexOffsetOverflowException (KAFKA-5413, KAFKA-6264).",
			"Target 2.0 or later, or re-replicate the partition."};
	case KSD_P_CLEANER_MAP_OVERFLOW:
		if (target_at_least(c, 0, 10, 1))
			return (grade){KSD_PF_NOTE,
				"The target cleans partial segments (KAFKA-3894, 0.10.1.0+): this cleaner "
				"hazard ends with the upgrade.",
				"None: the upgrade is the fix."};
		return (grade){KSD_PF_WARNING,
			"The target still requires a whole segment to fit the dedupe map; the cleaner "
			"thread dies on this segment after the upgrade as before.",
			"Target 0.10.1.0 or later."};
	case KSD_P_TOPIC_ID_MISMATCH:
		if (target_at_least(c, 2, 8, 0))
			return (grade){KSD_PF_BLOCKER,
				"From 2.8 (KIP-516) the broker checks partition.metadata against the "
				"controller's topic id and rejects or deletes the partition that differs.",
				"Quarantine the dirs with the stale topic id before upgrading."};
		return (grade){KSD_PF_NOTE, "The target predates topic ids (KIP-516, 2.8).", "None."};
	case KSD_P_LEGACY_FORMAT:
		if (target_at_least(c, 4, 0, 0) && p && p->compacted)
			return (grade){KSD_PF_WARNING,
				"4.x still serves stored v0/v1 batches, but its cleaner rewrites a "
				"compacted partition's v0/v1 data to v2 (KAFKA-13093): each uncompressed "
				"legacy message becomes its own batch, so the partition can grow; and "
				"clients older than 0.11 cannot fetch at all (KIP-896).",
				"Check free space for the rewrite and that no pre-0.11 client reads this "
				"topic."};
		return (grade){KSD_PF_NOTE,
			target_at_least(c, 3, 0, 0)
				? "Message formats v0/v1 are deprecated (KIP-724) but still read and served; "
				  "delete-policy data ages out by retention."
				: "The target reads and writes v0/v1 data.",
			"None required."};
	default:
		return (grade){KSD_PF_NOTE, NULL, NULL};
	}
}

static grade grade_finding(const pf_ctx *c, const ksd_finding *f, const ksd_partition *p)
{
	grade g;
	switch (f->problem) {
	case KSD_P_BROKER_RUNNING:
	case KSD_P_FOREIGN_DIRECTORY:
	case KSD_P_META_PROPERTIES_MISMATCH:
		return grade_blocking(f);
	case KSD_P_DUPLICATE_PARTITION:
		if (f->severity == KSD_SEV_ERROR)
			return (grade){KSD_PF_BLOCKER, WHY_STARTUP,
				"Keep the copy with the higher log end offset and quarantine the other."};
		return (grade){KSD_PF_NOTE,
			"An unfinished intra-broker move (KIP-113): the target resumes it.", "None."};
	case KSD_P_CHECKPOINT_MISMATCH:
		return grade_checkpoint(f);
	case KSD_P_TXNINDEX_CORRUPT:
		if (f->severity == KSD_SEV_ERROR)
			return (grade){KSD_PF_BLOCKER,
				"Every version checks .txnindex files at startup: a bad version byte stops "
				"log loading (KafkaException), other damage forces a rebuild.",
				"Delete the segment's .index while stopped so the segment is rebuilt, on the "
				"current version first."};
		return (grade){KSD_PF_NOTE, NULL, NULL};
	case KSD_P_CRC_MISMATCH:
	case KSD_P_CORRUPT_ENTRY:
	case KSD_P_SEGMENT_OVERLAP:
	case KSD_P_BASE_OFFSET_MISMATCH:
	case KSD_P_INDEX_CORRUPT:
	case KSD_P_TIMEINDEX_CORRUPT:
		return (grade){KSD_PF_WARNING, WHY_DAMAGE, ACT_DAMAGE};
	case KSD_P_TORN_TAIL:
		if (f->severity == KSD_SEV_ERROR)
			return (grade){KSD_PF_WARNING, WHY_DAMAGE, ACT_DAMAGE};
		return (grade){KSD_PF_NOTE, NULL, NULL};
	case KSD_P_LEFTOVER_FILE:
		return (grade){KSD_PF_WARNING,
			"The previous broker stopped in the middle of a clean, split or delete; the "
			"target's startup completes or rolls it back with its own rules.",
			"Start and stop the current version cleanly once, so it finishes its own work, "
			"then upgrade."};
	case KSD_P_UNCLEAN_SHUTDOWN:
		return (grade){KSD_PF_WARNING,
			"Without a clean shutdown the target's first start also recovers the log dir: "
			"a long first start, and any damage it finds looks like an upgrade problem.",
			"Start the current version, let it recover, and stop it with a controlled "
			"shutdown before upgrading."};
	case KSD_P_HANGING_TRANSACTION:
		if (f->severity >= KSD_SEV_WARNING)
			return (grade){KSD_PF_WARNING,
				"A hanging transaction survives the upgrade: it keeps pinning the last "
				"stable offset and the cleaner (KIP-664).",
				"Abort it with kafka-transactions.sh (see the scan finding) before or after "
				"the upgrade."};
		return (grade){KSD_PF_NOTE, NULL, NULL};
	default:
		g = grade_versioned(c, f, p);
		return g;
	}
}

/* --- items ---------------------------------------------------------------- */

static ksd_pf_item *item_find(ksd_preflight *pf, const char *code, ksd_pf_level level)
{
	for (size_t i = 0; i < pf->nitems; i++)
		if (pf->items[i].level == level && strcmp(pf->items[i].code, code) == 0)
			return &pf->items[i];
	return NULL;
}

static ksd_pf_item *item_add(pf_ctx *c, const char *code, ksd_pf_level level, const char *why,
			     const char *action, const char *headline)
{
	ksd_preflight *pf = c->pf;
	ksd_pf_item *v = realloc(pf->items, (pf->nitems + 1) * sizeof *v);
	if (!v) {
		c->err = KSD_ERR_NOMEM;
		return NULL;
	}
	pf->items = v;
	ksd_pf_item *it = &v[pf->nitems];
	memset(it, 0, sizeof *it);
	it->level = level;
	it->code = code;
	it->why = why;
	it->action = action;
	it->headline = strdup(headline ? headline : "");
	if (!it->headline) {
		c->err = KSD_ERR_NOMEM;
		return NULL;
	}
	pf->nitems++;
	return it;
}

static void item_note_path(ksd_pf_item *it, const char *path)
{
	it->count++;
	if (!path || it->npaths >= KSD_PF_MAX_PATHS)
		return;
	for (size_t i = 0; i < it->npaths; i++)
		if (strcmp(it->paths[i], path) == 0)
			return;
	it->paths[it->npaths++] = path;
}

static void visit(void *ud, const ksd_logdir *ld, const ksd_partition *p, const ksd_segment *s,
		  const ksd_finding *f)
{
	pf_ctx *c = ud;
	(void)ld, (void)s;
	if (c->err != KSD_OK)
		return;
	grade g = grade_finding(c, f, p);
	const ksd_problem_info *pi = ksd_problem_get(f->problem);
	ksd_pf_item *it = item_find(c->pf, pi->code, g.level);
	/* The first finding's message stands for the group; the scan lists all. */
	if (!it)
		it = item_add(c, pi->code, g.level, g.why ? g.why : pi->why,
			      g.action ? g.action : pi->fix, f->message);
	if (it)
		item_note_path(it, f->path);
}

/* --- checks only an upgrade raises ----------------------------------------- */

static bool scan_has_metadata_log(const ksd_scan *scan)
{
	for (size_t i = 0; i < scan->nlogdirs; i++)
		for (size_t j = 0; j < scan->logdirs[i].npartitions; j++)
			if (strcmp(scan->logdirs[i].partitions[j].name.topic, "__cluster_metadata") == 0)
				return true;
	return false;
}

typedef struct mode_census {
	size_t zk, kraft, unreadable, absent;
	const char *zk_paths[KSD_PF_MAX_PATHS];
	int32_t broker_id;
} mode_census;

/* From the meta.properties the scan read with the checkpoints. */
static void census_logdir(const ksd_logdir *ld, mode_census *mc)
{
	const ksd_logdir_meta *m = &ld->meta;
	if (m->status < 0) {
		mc->absent++;
	} else if (m->status != 0) {
		mc->unreadable++;
	} else if (m->version == 0) {
		if (mc->zk < KSD_PF_MAX_PATHS)
			mc->zk_paths[mc->zk] = ld->path;
		mc->broker_id = m->has_broker_id ? m->broker_id : -1;
		mc->zk++;
	} else {
		mc->kraft++;
	}
}

/*
 * Kafka 4.0 is KRaft-only: "Clusters in ZooKeeper mode have to be migrated
 * to KRaft mode before they can be upgraded" (upgrade notes, 4.0).  A
 * version 0 meta.properties was written by a ZooKeeper-mode broker.  When
 * a KRaft metadata log sits beside it the cluster is (or was) migrating
 * (KIP-866), which the files alone cannot settle: a warning to verify.
 */
static void check_metadata_mode(pf_ctx *c, const ksd_scan *scan)
{
	if (!target_at_least(c, 4, 0, 0))
		return;
	mode_census mc;
	memset(&mc, 0, sizeof mc);
	size_t roots = scan->nlogdirs;
	for (size_t i = 0; i < scan->nlogdirs; i++)
		census_logdir(&scan->logdirs[i], &mc);
	char line[512];
	if (mc.zk > 0) {
		bool migrating = scan_has_metadata_log(scan);
		snprintf(line, sizeof line, "%zu of %zu log dir%s hold%s a version 0 meta.properties "
			 "(written in ZooKeeper mode, broker.id=%" PRId32 ")%s",
			 mc.zk, roots, roots == 1 ? "" : "s", mc.zk == 1 ? "s" : "", mc.broker_id,
			 migrating ? "; a KRaft metadata log (__cluster_metadata-0) is present too" : "");
		ksd_pf_item *it = item_add(c, "zookeeper-mode",
			migrating ? KSD_PF_WARNING : KSD_PF_BLOCKER,
			"Kafka 4.x runs only in KRaft mode: a ZooKeeper-mode broker cannot start on it. "
			"The cluster must finish the ZooKeeper-to-KRaft migration on 3.x (KIP-866; 3.9 "
			"recommended) before the upgrade.",
			migrating ? "Confirm the migration is finalized (controllers out of migration "
				    "mode, brokers restarted in KRaft mode) before upgrading."
				  : "Migrate the cluster to KRaft on 3.x first, then upgrade.",
			line);
		/* One item: its headline counts the dirs, its paths name them. */
		for (size_t i = 0; it && i < mc.zk && i < KSD_PF_MAX_PATHS; i++)
			it->paths[it->npaths++] = mc.zk_paths[i];
		if (it)
			it->count = 1;
	} else if (roots > 0 && mc.kraft == 0 && mc.absent + mc.unreadable == roots) {
		snprintf(line, sizeof line, "none of the %zu log dir%s has a readable meta.properties: "
			 "ZooKeeper or KRaft mode cannot be told from the files", roots,
			 roots == 1 ? "" : "s");
		ksd_pf_item *it = item_add(c, "metadata-mode-unknown", KSD_PF_WARNING,
			"Kafka 4.x runs only in KRaft mode; a log dir without meta.properties gets one "
			"from the broker that next starts on it.",
			"Check the broker's process.roles / zookeeper.connect settings: a ZooKeeper-mode "
			"broker must be migrated to KRaft on 3.x first.", line);
		if (it)
			it->count = 1;
	}
}

/* Upgrade notes 4.x: "from any version 3.3.x", KRaft GA; older releases go
 * through 3.9 first.  Downgrades are outside a preflight's scope. */
static void check_upgrade_path(pf_ctx *c)
{
	const ksd_kversion *cur = c->current, *tgt = c->target;
	char line[256];
	if (!cur->known)
		return;
	if (ksd_kversion_cmp(tgt, cur) < 0) {
		snprintf(line, sizeof line, "target %s is older than the current version %s",
			 tgt->text, cur->text);
		ksd_pf_item *it = item_add(c, "downgrade", KSD_PF_BLOCKER,
			 "Downgrades are not what this preflight checks: on-disk formats, checkpoints "
			 "and metadata.version written by the newer version may not load in the older one.",
			 "Follow the target release's downgrade notes instead.", line);
		if (it)
			it->count = 1;
		return;
	}
	if (target_at_least(c, 4, 0, 0) && !ksd_kversion_at_least(cur, 3, 3, 0, 0)) {
		snprintf(line, sizeof line, "Kafka %s cannot be upgraded to %s directly", cur->text,
			 tgt->text);
		ksd_pf_item *it = item_add(c, "upgrade-path", KSD_PF_BLOCKER,
			 "4.x upgrades are supported from 3.3.x on (KRaft production-ready), with "
			 "software and metadata.version at least 3.3.",
			 "Upgrade to 3.9.x first (migrating to KRaft on the way if the cluster uses "
			 "ZooKeeper), then to the target.", line);
		if (it)
			it->count = 1;
	}
}

static int item_cmp(const void *a, const void *b)
{
	const ksd_pf_item *x = a, *y = b;
	if (x->level != y->level)
		return x->level > y->level ? -1 : 1;
	return strcmp(x->code, y->code);
}

ksd_err ksd_preflight_build(const ksd_scan *scan, const ksd_kversion *target,
			    ksd_preflight *out)
{
	memset(out, 0, sizeof *out);
	out->target = *target;
	out->current = scan->cfg.kafka_version;
	pf_ctx c = {&out->target, &out->current, out, KSD_OK};
	check_upgrade_path(&c);
	check_metadata_mode(&c, scan);
	ksd_scan_visit_findings(scan, visit, &c);
	if (c.err != KSD_OK) {
		ksd_preflight_free(out);
		return c.err;
	}
	if (out->nitems > 1)
		qsort(out->items, out->nitems, sizeof *out->items, item_cmp);
	out->verdict = KSD_PF_NOTE;
	for (size_t i = 0; i < out->nitems; i++) {
		out->by_level[out->items[i].level]++;
		if (out->items[i].level > out->verdict)
			out->verdict = out->items[i].level;
	}
	out->any_items = out->nitems > 0;
	return KSD_OK;
}

void ksd_preflight_free(ksd_preflight *pf)
{
	for (size_t i = 0; i < pf->nitems; i++)
		free(pf->items[i].headline);
	free(pf->items);
	pf->items = NULL;
	pf->nitems = 0;
}
