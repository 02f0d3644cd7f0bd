/*
 * Producer state snapshots <offset>.snapshot (kafka-facts.md §3.1), read the
 * way ProducerStateManager.readSnapshot does: the version first (1 only,
 * unchanged since 0.11.0), then the schema (crc, a count and that many
 * 46-byte entries, or the read fails), then CRC-32C over bytes 6..EOF.
 * Bytes after the entries are not part of the schema and the generated
 * reader ignores them; the CRC covers them, so a file with trailing bytes
 * and a matching CRC loads.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "ksd/crc.h"
#include "ksd/cursor.h"
#include "ksd/files.h"

#define SNAPSHOT_VERSION 1
#define CRC_OFFSET 2
#define ENTRIES_CRC_START 6 /* PRODUCER_ENTRIES_OFFSET: the CRC covers from here */

const char *ksd_snapshot_status_text(ksd_snapshot_status st)
{
	switch (st) {
	case KSD_SNAP_OK: return "valid";
	case KSD_SNAP_TOO_SHORT: return "shorter than its 10-byte header";
	case KSD_SNAP_BAD_VERSION: return "unknown version";
	case KSD_SNAP_BAD_COUNT: return "entry count does not fit the file";
	case KSD_SNAP_BAD_CRC: return "CRC-32C mismatch";
	case KSD_SNAP_TRAILING: return "bytes after the last entry";
	}
	return "?";
}

static void compute_crc(const uint8_t *data, size_t len, ksd_snapshot_info *out)
{
	if (len < ENTRIES_CRC_START)
		return;
	out->crc_checked = true;
	out->computed_crc = ksd_crc32c(0, data + ENTRIES_CRC_START, len - ENTRIES_CRC_START);
}

/* Header and count, as the generated ProducerSnapshot reader takes them. */
static ksd_snapshot_status parse_schema(ksd_cursor *c, size_t len, ksd_snapshot_info *out)
{
	out->version = ksd_cur_i16(c);
	if (!ksd_cur_ok(c)) {
		out->error_pos = 0;
		return KSD_SNAP_TOO_SHORT;
	}
	if (out->version != SNAPSHOT_VERSION) {
		out->error_pos = 0;
		return KSD_SNAP_BAD_VERSION;
	}
	out->stored_crc = ksd_cur_be32(c);
	out->count = ksd_cur_i32(c);
	if (!ksd_cur_ok(c)) {
		out->error_pos = ksd_cur_filepos(c);
		return KSD_SNAP_TOO_SHORT;
	}
	uint64_t room = (len - KSD_SNAPSHOT_HEADER_BYTES) / KSD_SNAPSHOT_ENTRY_BYTES;
	out->entries = out->count < 0 ? 0 : (uint64_t)out->count < room ? (uint64_t)out->count
									  : room;
	/* "non-nullable field producerEntries was serialized as null", or an
	 * array longer than the bytes left: schema validation fails. */
	if (out->count < 0 || (uint64_t)out->count > room) {
		out->error_pos = 6;
		return KSD_SNAP_BAD_COUNT;
	}
	return KSD_SNAP_OK;
}

ksd_snapshot_status ksd_snapshot_parse(const uint8_t *data, size_t len, ksd_snapshot_info *out)
{
	memset(out, 0, sizeof *out);
	ksd_cursor c;
	ksd_cur_init(&c, data, len, 0);
	compute_crc(data, len, out);
	ksd_snapshot_status st = parse_schema(&c, len, out);
	if (st == KSD_SNAP_OK && out->computed_crc != out->stored_crc) {
		out->error_pos = CRC_OFFSET;
		st = KSD_SNAP_BAD_CRC;
	}
	if (st == KSD_SNAP_OK) {
		uint64_t used = KSD_SNAPSHOT_HEADER_BYTES +
				(uint64_t)out->count * KSD_SNAPSHOT_ENTRY_BYTES;
		out->trailing_bytes = len - used;
		out->kafka_accepts = true;
		if (out->trailing_bytes) {
			out->error_pos = used;
			st = KSD_SNAP_TRAILING;
		}
	}
	out->status = st;
	return st;
}

bool ksd_snapshot_entry_at(const uint8_t *data, size_t len, uint64_t i, ksd_producer_entry *out)
{
	if (len < KSD_SNAPSHOT_HEADER_BYTES ||
	    i >= (len - KSD_SNAPSHOT_HEADER_BYTES) / KSD_SNAPSHOT_ENTRY_BYTES)
		return false;
	ksd_cursor c;
	uint64_t pos = KSD_SNAPSHOT_HEADER_BYTES + i * KSD_SNAPSHOT_ENTRY_BYTES;
	ksd_cur_init(&c, data + pos, KSD_SNAPSHOT_ENTRY_BYTES, pos);
	out->producer_id = ksd_cur_i64(&c);
	out->producer_epoch = ksd_cur_i16(&c);
	out->last_sequence = ksd_cur_i32(&c);
	out->last_offset = ksd_cur_i64(&c);
	out->offset_delta = ksd_cur_i32(&c);
	out->timestamp = ksd_cur_i64(&c);
	out->coordinator_epoch = ksd_cur_i32(&c);
	out->current_txn_first_offset = ksd_cur_i64(&c);
	return ksd_cur_ok(&c);
}

/* --- the check ---------------------------------------------------------------- */

static const char *leaf(const char *path)
{
	const char *s = path ? strrchr(path, '/') : NULL;
	return s ? s + 1 : (path ? path : "?");
}

static void describe_problem(const ksd_snapshot_info *si, uint64_t size, char *buf, size_t len)
{
	switch (si->status) {
	case KSD_SNAP_TOO_SHORT:
		snprintf(buf, len, "%" PRIu64 " bytes, fewer than the 10-byte header", size);
		break;
	case KSD_SNAP_BAD_VERSION:
		snprintf(buf, len, "version %d (only 1 exists)", si->version);
		break;
	case KSD_SNAP_BAD_COUNT:
		snprintf(buf, len, "count %" PRId32 " but %" PRIu64 " bytes hold %" PRIu64
			 " entries of 46 bytes", si->count, size, si->entries);
		break;
	case KSD_SNAP_BAD_CRC:
		snprintf(buf, len, "stored CRC-32C 0x%08x but bytes 6..%" PRIu64 " give 0x%08x",
			 si->stored_crc, size, si->computed_crc);
		break;
	case KSD_SNAP_TRAILING:
		snprintf(buf, len, "%" PRIu64 " bytes after its %" PRId32 " entries", si->trailing_bytes,
			 si->count);
		break;
	default:
		buf[0] = '\0';
	}
}

static void describe_fallback(const ksd_snapshot_ctx *ctx, char *buf, size_t len)
{
	const char *cost = ctx->clean_shutdown
		? "after this clean shutdown that replay covers only the log past the older snapshot"
		: "without a clean shutdown that can mean replaying the whole partition (§5.4)";
	if (!ctx->newest)
		snprintf(buf, len, "It is not the newest snapshot: the broker loads the newest "
			 "valid one and deletes this one as stale or corrupt when it reaches it.");
	else if (ctx->older_valid)
		snprintf(buf, len, "At startup the broker deletes it (CorruptSnapshotException) and "
			 "loads the next older of %u valid snapshots, replaying the log from there; "
			 "%s.", ctx->older_valid, cost);
	else
		snprintf(buf, len, "At startup the broker deletes it (CorruptSnapshotException) and, "
			 "with no older valid snapshot, rebuilds producer state by replaying the log "
			 "from its start; %s.", cost);
}

void ksd_check_snapshot(const ksd_snapshot_ctx *ctx, const ksd_file_image *im, ksd_findings *out)
{
	ksd_snapshot_info si;
	if (ksd_snapshot_parse(im->data, im->len, &si) == KSD_SNAP_OK)
		return;
	char what[160], fallback[400];
	describe_problem(&si, im->file_size, what, sizeof what);
	if (si.kafka_accepts)
		snprintf(fallback, sizeof fallback, "Kafka loads it anyway: the reader ignores bytes "
			 "after the entries and the CRC covers them.");
	else
		describe_fallback(ctx, fallback, sizeof fallback);
	ksd_finding *f = ksd_report(out, KSD_P_SNAPSHOT_CORRUPT, ctx->path, (int64_t)si.error_pos,
		"producer snapshot %s (offset %" PRId64 "): %s (%s). %s", leaf(ctx->path), ctx->offset,
		ksd_snapshot_status_text(si.status), what, fallback);
	if (!f)
		return;
	if (si.kafka_accepts || !ctx->newest)
		f->severity = KSD_SEV_INFO;
	ksd_finding_str(f, "reason", ksd_snapshot_status_text(si.status));
	ksd_finding_str(f, "rule", "ProducerStateManager.readSnapshot: version 1, CRC-32C over the "
			"rest, count entries of 46 bytes (0.11+)");
	ksd_finding_int(f, "snapshot_offset", ctx->offset);
	ksd_finding_int(f, "version", si.version);
	ksd_finding_int(f, "count", si.count);
	ksd_finding_uint(f, "file_bytes", im->file_size);
	if (si.crc_checked && si.version == SNAPSHOT_VERSION && si.status != KSD_SNAP_TOO_SHORT) {
		ksd_finding_hex32(f, "stored_crc", si.stored_crc);
		ksd_finding_hex32(f, "computed_crc", si.computed_crc);
	}
	ksd_finding_bool(f, "kafka_accepts", si.kafka_accepts);
	ksd_finding_bool(f, "newest", ctx->newest);
}
