/*
 * Fuzz target: arbitrary bytes through every text-file parser (offset and
 * leader-epoch checkpoints, Java properties, meta.properties,
 * partition.metadata, .kafka_cleanshutdown, quorum-state), the JSON
 * validator, and the kind sniffer under each name Kafka gives its files.
 * Parsed structures must point inside the input and stay within bounds.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ksd/files.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(bool ok)
{
	if (!ok)
		abort();
}

static void check_result(const ksd_text_result *r, size_t size)
{
	check(r->byte <= size);
	check(r->status == KSD_TEXT_OK || r->what != NULL);
}

static void checkpoints(const char *t, size_t size)
{
	ksd_tp_offset e[4];
	ksd_checkpoint_info ci;
	ksd_text_status st = ksd_parse_offset_checkpoint(t, size, e, 4, &ci);
	check(ci.stored <= 4 && ci.stored <= ci.entries);
	for (size_t i = 0; i < ci.stored; i++)
		check(e[i].topic >= t && e[i].topic + e[i].topic_len <= t + size);
	if (st == KSD_TEXT_OK && ci.count >= 0)
		check(ci.entries == (uint64_t)ci.count);
	check_result(&ci.res, size);

	ksd_epoch_entry ep[4];
	ksd_epoch_checkpoint_info ei;
	st = ksd_parse_leader_epoch_checkpoint(t, size, ep, 4, &ei);
	check(ei.cp.stored <= 4);
	for (size_t i = 0; i < ei.cp.stored; i++)
		check(ep[i].epoch >= 0 && ep[i].start_offset >= 0);
	check(ei.monotonic == (ei.first_non_monotonic_line == 0));
	(void)st;
}

static void properties(const char *t, size_t size)
{
	ksd_prop p[4];
	size_t n = 0;
	bool dropped = false;
	ksd_text_result r;
	ksd_parse_properties(t, size, p, 4, &n, &dropped, &r);
	check(n <= 4);
	for (size_t i = 0; i < n; i++)
		check(strlen(p[i].key) < KSD_PROP_TEXT_MAX && strlen(p[i].value) < KSD_PROP_TEXT_MAX);
	static ksd_meta_properties m;
	ksd_text_status st = ksd_parse_meta_properties(t, size, &m);
	check(m.nprops <= KSD_PROPS_MAX && strlen(m.cluster_id) < sizeof m.cluster_id);
	if (st == KSD_TEXT_OK)
		check(m.version == 0 || m.version == 1);
	if (st == KSD_TEXT_OK && m.version == 1)
		check(m.has_node_id && m.has_cluster_id);
}

static void small_files(const char *t, size_t size)
{
	ksd_partition_metadata pm;
	if (ksd_parse_partition_metadata(t, size, &pm) == KSD_TEXT_OK) {
		char s[23];
		uint8_t back[16];
		ksd_format_uuid(pm.topic_id, s);
		check(ksd_parse_uuid(s, 22, back) && memcmp(back, pm.topic_id, 16) == 0);
		check(pm.version >= 0);
	}
	check_result(&pm.res, size);
	ksd_clean_shutdown cs;
	ksd_parse_clean_shutdown(t, size, &cs);
	check(cs.empty == (size == 0));
	ksd_quorum_state q;
	if (ksd_parse_quorum_state(t, size, &q) == KSD_TEXT_OK)
		check((q.data_version == 0 || q.data_version == 1) && q.json_len <= size);
	size_t end = 0;
	bool ok = ksd_json_validate(t, size, &end);
	check(end <= size);
	(void)ok;
	uint8_t id[16];
	(void)ksd_parse_uuid(t, size < 30 ? size : 30, id);
}

static const char *const names[] = {
	NULL, "recovery-point-offset-checkpoint", "replication-offset-checkpoint",
	"log-start-offset-checkpoint", "cleaner-offset-checkpoint", "leader-epoch-checkpoint",
	"meta.properties", "partition.metadata", ".kafka_cleanshutdown", "quorum-state",
	"00000000000000000000.index", "00000000000000000000.timeindex",
	"00000000000000000000.txnindex", "00000000000000000000.log",
	"00000000000000000007.snapshot", "00000000000000000007-0000000001.checkpoint",
	"bootstrap.checkpoint", "notes.txt",
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *t = (const char *)data;
	checkpoints(t, size);
	properties(t, size);
	small_files(t, size);
	for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
		ksd_file_kind k = ksd_sniff_kind(data, size, size, names[i]);
		check(k < KSD_FILE__COUNT);
		/* a head shorter than the file never reads past the head */
		k = ksd_sniff_kind(data, size / 2, size, names[i]);
		check(k < KSD_FILE__COUNT);
	}
	return 0;
}
