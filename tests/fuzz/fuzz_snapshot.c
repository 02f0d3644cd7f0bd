/*
 * Fuzz target: arbitrary bytes as a producer state snapshot (§3.1): the
 * parser, every entry the file claims, the check under each fallback
 * context, and the kind sniffer under the names operators confuse it with.
 * A valid parse must satisfy Kafka's size equation exactly.
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

static void check_info(const ksd_snapshot_info *si, size_t size)
{
	if (si->status == KSD_SNAP_OK) {
		check(si->kafka_accepts && si->count >= 0);
		check(size == KSD_SNAPSHOT_HEADER_BYTES +
			      (uint64_t)si->count * KSD_SNAPSHOT_ENTRY_BYTES);
		check(si->stored_crc == si->computed_crc);
	}
	if (si->status == KSD_SNAP_TRAILING)
		check(si->kafka_accepts && si->trailing_bytes > 0 && si->error_pos < size);
	if (si->kafka_accepts)
		check(si->status == KSD_SNAP_OK || si->status == KSD_SNAP_TRAILING);
	check(si->error_pos <= size);
	check(si->entries <= size / KSD_SNAPSHOT_ENTRY_BYTES);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	ksd_snapshot_info si;
	ksd_snapshot_parse(data, size, &si);
	check_info(&si, size);
	ksd_producer_entry e;
	for (uint64_t i = 0; i < si.entries; i++)
		check(ksd_snapshot_entry_at(data, size, i, &e));
	check(!ksd_snapshot_entry_at(data, size, size, &e));

	ksd_file_image im = ksd_file_image_mem(data, size);
	for (unsigned k = 0; k < 8; k++) {
		ksd_snapshot_ctx ctx = {"/fuzz/t-0/00000000000000000042.snapshot", 42, k & 1, k >> 1,
					(k & 4) != 0};
		ksd_findings f;
		ksd_findings_init(&f, 4);
		ksd_check_snapshot(&ctx, &im, &f);
		check(f.n <= 1);
		check((f.n == 1) == (si.status != KSD_SNAP_OK));
		for (size_t i = 0; i < f.n; i++)
			check(f.v[i].message && strlen(f.v[i].message) < 1024);
		ksd_findings_free(&f);
	}

	ksd_file_kind k1 = ksd_sniff_kind(data, size, size, "00000000000000000042.snapshot");
	ksd_file_kind k2 = ksd_sniff_kind(data, size, size, "00000000000000000042-0000000001.checkpoint");
	ksd_file_kind k3 = ksd_sniff_kind(data, size < 10 ? size : 10, size, NULL);
	check(k1 < KSD_FILE__COUNT && k2 < KSD_FILE__COUNT && k3 < KSD_FILE__COUNT);
	/* a snapshot Kafka loads is a snapshot whatever its name */
	if (si.status == KSD_SNAP_OK)
		check(k1 == KSD_FILE_SNAPSHOT && k2 == KSD_FILE_SNAPSHOT);
	return 0;
}
