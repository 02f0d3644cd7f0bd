/*
 * ksd/preflight.h - upgrade preflight: is this broker's data ready for a
 * target Kafka version?
 *
 * Built from a finished scan: every finding is graded for the upgrade
 * (blocker, warning, note) by rules that depend on the target and, when
 * known, the current version; findings of one code and grade are grouped
 * into one item.  Checks that only an upgrade raises (ZooKeeper-mode log
 * dirs for a KRaft-only target, an unsupported upgrade path) are added as
 * items of their own.  The core never prints.
 */
#ifndef KSD_PREFLIGHT_H
#define KSD_PREFLIGHT_H

#include <stddef.h>
#include <stdint.h>

#include "ksd/kversion.h"
#include "ksd/scan.h"

typedef enum ksd_pf_level {
	KSD_PF_NOTE = 0,
	KSD_PF_WARNING = 1,
	KSD_PF_BLOCKER = 2,
} ksd_pf_level;

#define KSD_PF_MAX_PATHS 5

typedef struct ksd_pf_item {
	ksd_pf_level level;
	const char *code;     /* a finding code, or a preflight check id */
	char *headline;       /* what, with its numbers (owned) */
	const char *why;      /* why it matters for this upgrade (static) */
	const char *action;   /* what to do before upgrading (static) */
	uint64_t count;       /* findings (or log dirs) behind the item */
	const char *paths[KSD_PF_MAX_PATHS]; /* examples; owned by the scan */
	size_t npaths;
} ksd_pf_item;

typedef struct ksd_preflight {
	ksd_kversion target, current;
	ksd_pf_item *items;   /* blockers first, then warnings, then notes */
	size_t nitems;
	uint64_t by_level[3]; /* items per level */
	ksd_pf_level verdict; /* the worst level; NOTE when nothing stands in the way */
	bool any_items;
} ksd_preflight;

/* Grades the scan for an upgrade to target; cfg.kafka_version is the
 * current version (may be unknown). */
ksd_err ksd_preflight_build(const ksd_scan *scan, const ksd_kversion *target,
			    ksd_preflight *out);
void ksd_preflight_free(ksd_preflight *pf);

const char *ksd_pf_level_name(ksd_pf_level l);

#endif
