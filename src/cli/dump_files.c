/*
 * dump: the files that are not entry chains (indexes, producer snapshots,
 * checkpoints, properties, markers), plus --index-sanity-check and
 * --verify-index-only.  Each file's kind comes from its content first
 * (ksd_sniff_kind), so a producer .snapshot and a KRaft .checkpoint cannot
 * be confused; when the name says otherwise the output says both.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "dump.h"
#include "ksd/files.h"

static void jw_line_begin(dump_ctx *d, const char *type)
{
	ksd_jw_obj_begin(&d->jw);
	ksd_jw_kv_str(&d->jw, "type", type);
}

static void jw_line_end(dump_ctx *d)
{
	ksd_jw_obj_end(&d->jw);
	fputc('\n', d->out);
	ksd_jw_init(&d->jw, d->jw.sink);
}

static void file_line(dump_ctx *d, ksd_file_kind kind, ksd_file_kind by_name, uint64_t size)
{
	if (!d->o.json) {
		fprintf(d->out, "Dumping %s\n", d->path);
		if (by_name != kind && by_name != KSD_FILE_UNKNOWN)
			fprintf(d->out, "Note: the name says %s, the content is a %s\n",
				ksd_file_kind_name(by_name), ksd_file_kind_name(kind));
		return;
	}
	jw_line_begin(d, "file");
	ksd_jw_kv_str(&d->jw, "path", d->path);
	ksd_jw_kv_str(&d->jw, "kind", ksd_file_kind_name(kind));
	if (by_name != kind)
		ksd_jw_kv_str(&d->jw, "kind_by_name", ksd_file_kind_name(by_name));
	ksd_jw_kv_uint(&d->jw, "bytes", size);
	jw_line_end(d);
}

static int64_t name_offset(const char *leaf)
{
	ksd_file_name fn = ksd_classify_file(leaf);
	return fn.offset;
}

/* --- indexes -------------------------------------------------------------- */

static void dump_index_entries(dump_ctx *d, ksd_index_kind k, const ksd_file_image *im,
			       const ksd_index_analysis *a, int64_t base)
{
	for (uint64_t i = 0; i < a->entries; i++) {
		ksd_offset_entry oe;
		ksd_time_entry te;
		ksd_txn_entry xe;
		if (k == KSD_INDEX_OFFSET && ksd_offset_entry_at(im, i, &oe)) {
			if (!d->o.json) {
				fprintf(d->out, "offset: %" PRId64 " position: %" PRId32 "\n",
					base + oe.relative_offset, oe.position);
				continue;
			}
			jw_line_begin(d, "index_entry");
			ksd_jw_kv_uint(&d->jw, "slot", i);
			ksd_jw_kv_int(&d->jw, "offset", base + oe.relative_offset);
			ksd_jw_kv_int(&d->jw, "relative_offset", oe.relative_offset);
			ksd_jw_kv_int(&d->jw, "position", oe.position);
			jw_line_end(d);
		} else if (k == KSD_INDEX_TIME && ksd_time_entry_at(im, i, &te)) {
			if (!d->o.json) {
				fprintf(d->out, "timestamp: %" PRId64 " offset: %" PRId64 "\n",
					te.timestamp, base + te.relative_offset);
				continue;
			}
			jw_line_begin(d, "timeindex_entry");
			ksd_jw_kv_uint(&d->jw, "slot", i);
			ksd_jw_kv_int(&d->jw, "timestamp", te.timestamp);
			ksd_jw_kv_int(&d->jw, "offset", base + te.relative_offset);
			ksd_jw_kv_int(&d->jw, "relative_offset", te.relative_offset);
			jw_line_end(d);
		} else if (k == KSD_INDEX_TXN && ksd_txn_entry_at(im, i, &xe)) {
			if (!d->o.json) {
				fprintf(d->out, "version: %d producerId: %" PRId64 " firstOffset: %" PRId64
					" lastOffset: %" PRId64 " lastStableOffset: %" PRId64 "\n",
					xe.version, xe.producer_id, xe.first_offset, xe.last_offset,
					xe.last_stable_offset);
				continue;
			}
			jw_line_begin(d, "txnindex_entry");
			ksd_jw_kv_uint(&d->jw, "slot", i);
			ksd_jw_kv_int(&d->jw, "version", xe.version);
			ksd_jw_kv_int(&d->jw, "producer_id", xe.producer_id);
			ksd_jw_kv_int(&d->jw, "first_offset", xe.first_offset);
			ksd_jw_kv_int(&d->jw, "last_offset", xe.last_offset);
			ksd_jw_kv_int(&d->jw, "last_stable_offset", xe.last_stable_offset);
			jw_line_end(d);
		}
	}
}

/*
 * The broker's own sanityCheck (OffsetIndex/TimeIndex/TransactionIndex),
 * as DumpLogSegments --index-sanity-check runs it: 2.0+ semantics
 * (offset index: last offset >= base; earlier versions required >).
 */
static const char *sanity_failure(const ksd_index_analysis *a)
{
	if (a->partial_bytes)
		return "the file length is not a multiple of the entry size";
	if (a->kind == KSD_INDEX_OFFSET && a->slots > 0 && a->last_relative < 0)
		return "the last offset is below the base offset";
	if (a->kind == KSD_INDEX_TIME && a->slots > 0) {
		if (a->last_timestamp < a->first_timestamp)
			return "the last timestamp is below the first";
		if (a->last_relative < 0)
			return "the last offset is below the base offset";
	}
	if (a->kind == KSD_INDEX_TXN && a->issue[KSD_IXR_TXN_BELOW_BASE].count)
		return "an aborted transaction ends below the base offset";
	return NULL;
}

static int dump_index(dump_ctx *d, ksd_index_kind k, const ksd_file_image *im,
		      const char *leaf, ksd_findings *findings)
{
	int64_t base = name_offset(leaf);
	if (base < 0)
		base = 0;
	ksd_index_analysis a;
	ksd_index_analyze(k, base, im, -1, &a);
	if (d->o.index_sanity) {
		const char *why = sanity_failure(&a);
		if (why)
			fprintf(d->out, "%s failed sanity check: %s\n", d->path, why);
		else
			fprintf(d->out, "%s passed sanity check.\n", d->path);
		return why ? KSD_EXIT_FINDINGS : KSD_EXIT_OK;
	}
	if (!d->o.verify_index_only)
		dump_index_entries(d, k, im, &a, base);
	ksd_index_ctx ctx = {0};
	ctx.path = d->path;
	ksd_index_report(&a, &ctx, findings);
	return KSD_EXIT_OK;
}

/* --- producer snapshots ----------------------------------------------------- */

static void producer_entry_line(dump_ctx *d, const ksd_producer_entry *e)
{
	if (!d->o.json) {
		fprintf(d->out, "producerId: %" PRId64 " producerEpoch: %d coordinatorEpoch: %" PRId32
			" currentTxnFirstOffset: %" PRId64 " lastTimestamp: %" PRId64
			" lastSequence: %" PRId32 " lastOffset: %" PRId64 " offsetDelta: %" PRId32 "\n",
			e->producer_id, e->producer_epoch, e->coordinator_epoch,
			e->current_txn_first_offset, e->timestamp, e->last_sequence, e->last_offset,
			e->offset_delta);
		return;
	}
	jw_line_begin(d, "producer_entry");
	ksd_jw_kv_int(&d->jw, "producer_id", e->producer_id);
	ksd_jw_kv_int(&d->jw, "producer_epoch", e->producer_epoch);
	ksd_jw_kv_int(&d->jw, "last_sequence", e->last_sequence);
	ksd_jw_kv_int(&d->jw, "last_offset", e->last_offset);
	ksd_jw_kv_int(&d->jw, "offset_delta", e->offset_delta);
	ksd_jw_kv_int(&d->jw, "timestamp", e->timestamp);
	ksd_jw_kv_int(&d->jw, "coordinator_epoch", e->coordinator_epoch);
	ksd_jw_kv_int(&d->jw, "current_txn_first_offset", e->current_txn_first_offset);
	jw_line_end(d);
}

static int dump_snapshot(dump_ctx *d, const ksd_file_image *im)
{
	ksd_snapshot_info si;
	ksd_snapshot_parse(im->data, im->len, &si);
	char crc[16];
	snprintf(crc, sizeof crc, "0x%08" PRIx32, si.stored_crc);
	if (d->o.json) {
		jw_line_begin(d, "producer_snapshot");
		ksd_jw_kv_int(&d->jw, "version", si.version);
		ksd_jw_kv_str(&d->jw, "crc", crc);
		ksd_jw_kv_bool(&d->jw, "crc_valid", si.crc_checked && si.stored_crc == si.computed_crc);
		ksd_jw_kv_int(&d->jw, "count", si.count);
		jw_line_end(d);
	} else {
		fprintf(d->out, "version: %d crc: %s count: %" PRId32 " status: %s\n", si.version,
			crc, si.count, ksd_snapshot_status_text(si.status));
	}
	for (uint64_t i = 0; i < si.entries; i++) {
		ksd_producer_entry e;
		if (ksd_snapshot_entry_at(im->data, im->len, i, &e))
			producer_entry_line(d, &e);
	}
	if (si.status != KSD_SNAP_OK && si.status != KSD_SNAP_TRAILING) {
		dump_corruption(d, "snapshot-corrupt", si.error_pos, -1,
				ksd_snapshot_status_text(si.status));
		return KSD_EXIT_FINDINGS;
	}
	return KSD_EXIT_OK;
}

/* --- text files --------------------------------------------------------------- */

static int text_problem(dump_ctx *d, const ksd_text_result *res)
{
	if (res->status == KSD_TEXT_OK)
		return KSD_EXIT_OK;
	char msg[256];
	snprintf(msg, sizeof msg, "line %" PRIu32 ": %s (%s)", res->line,
		 res->what ? res->what : "malformed", ksd_text_status_text(res->status));
	dump_corruption(d, "malformed", res->byte, -1, msg);
	return KSD_EXIT_FINDINGS;
}

#define MAX_LISTED 65536 /* entries printed per checkpoint; more are counted */

static int dump_offset_checkpoint(dump_ctx *d, const ksd_file_image *im, ksd_file_kind k)
{
	ksd_tp_offset *v = calloc(MAX_LISTED, sizeof *v);
	ksd_checkpoint_info info;
	if (!v)
		return KSD_EXIT_OPERATIONAL;
	ksd_parse_offset_checkpoint((const char *)im->data, im->len, v, MAX_LISTED, &info);
	if (d->o.json) {
		jw_line_begin(d, "checkpoint");
		ksd_jw_kv_str(&d->jw, "file_kind", ksd_file_kind_name(k));
		ksd_jw_kv_int(&d->jw, "version", info.version);
		ksd_jw_kv_int(&d->jw, "count", info.count);
		jw_line_end(d);
	} else {
		fprintf(d->out, "version: %" PRId32 " count: %" PRId32 "\n", info.version, info.count);
	}
	for (size_t i = 0; i < info.stored; i++) {
		if (!d->o.json) {
			fprintf(d->out, "%.*s %" PRId32 " %" PRId64 "\n", (int)v[i].topic_len,
				v[i].topic, v[i].partition, v[i].offset);
			continue;
		}
		jw_line_begin(d, "checkpoint_entry");
		ksd_jw_key(&d->jw, "topic");
		ksd_jw_strn(&d->jw, (const uint8_t *)v[i].topic, v[i].topic_len);
		ksd_jw_kv_int(&d->jw, "partition", v[i].partition);
		ksd_jw_kv_int(&d->jw, "offset", v[i].offset);
		jw_line_end(d);
	}
	free(v);
	return text_problem(d, &info.res);
}

static int dump_epoch_checkpoint(dump_ctx *d, const ksd_file_image *im)
{
	ksd_epoch_entry *v = calloc(MAX_LISTED, sizeof *v);
	ksd_epoch_checkpoint_info info;
	if (!v)
		return KSD_EXIT_OPERATIONAL;
	ksd_parse_leader_epoch_checkpoint((const char *)im->data, im->len, v, MAX_LISTED, &info);
	for (size_t i = 0; i < info.cp.stored; i++) {
		if (!d->o.json) {
			fprintf(d->out, "epoch: %" PRId32 " startOffset: %" PRId64 "\n", v[i].epoch,
				v[i].start_offset);
			continue;
		}
		jw_line_begin(d, "leader_epoch_entry");
		ksd_jw_kv_int(&d->jw, "epoch", v[i].epoch);
		ksd_jw_kv_int(&d->jw, "start_offset", v[i].start_offset);
		jw_line_end(d);
	}
	free(v);
	return text_problem(d, &info.cp.res);
}

static int dump_meta_properties(dump_ctx *d, const ksd_file_image *im)
{
	ksd_meta_properties *mp = malloc(sizeof *mp);
	if (!mp)
		return KSD_EXIT_OPERATIONAL;
	ksd_parse_meta_properties((const char *)im->data, im->len, mp);
	if (d->o.json) {
		jw_line_begin(d, "properties");
		ksd_jw_key(&d->jw, "entries");
		ksd_jw_obj_begin(&d->jw);
		for (size_t i = 0; i < mp->nprops; i++)
			ksd_jw_kv_str(&d->jw, mp->props[i].key, mp->props[i].value);
		ksd_jw_obj_end(&d->jw);
		jw_line_end(d);
	} else {
		for (size_t i = 0; i < mp->nprops; i++)
			fprintf(d->out, "%s=%s\n", mp->props[i].key, mp->props[i].value);
	}
	int rc = text_problem(d, &mp->res);
	free(mp);
	return rc;
}

static int dump_partition_metadata(dump_ctx *d, const ksd_file_image *im)
{
	ksd_partition_metadata pm;
	char id[23] = "";
	ksd_parse_partition_metadata((const char *)im->data, im->len, &pm);
	if (pm.res.status == KSD_TEXT_OK)
		ksd_format_uuid(pm.topic_id, id);
	if (d->o.json) {
		jw_line_begin(d, "partition_metadata");
		ksd_jw_kv_int(&d->jw, "version", pm.version);
		ksd_jw_kv_str(&d->jw, "topic_id", id[0] ? id : NULL);
		jw_line_end(d);
	} else {
		fprintf(d->out, "version: %" PRId32 " topic_id: %s\n", pm.version, id);
	}
	return text_problem(d, &pm.res);
}

static int dump_clean_shutdown(dump_ctx *d, const ksd_file_image *im)
{
	ksd_clean_shutdown cs;
	ksd_parse_clean_shutdown((const char *)im->data, im->len, &cs);
	if (d->o.json) {
		jw_line_begin(d, "clean_shutdown");
		ksd_jw_kv_bool(&d->jw, "empty", cs.empty);
		if (cs.has_version)
			ksd_jw_kv_int(&d->jw, "version", cs.version);
		if (cs.has_broker_epoch)
			ksd_jw_kv_int(&d->jw, "broker_epoch", cs.broker_epoch);
		jw_line_end(d);
	} else if (cs.empty) {
		fprintf(d->out, "clean shutdown marker (empty, Kafka <= 3.6 form)\n");
	} else {
		fprintf(d->out, "clean shutdown marker: version %" PRId64 " brokerEpoch %" PRId64 "\n",
			cs.version, cs.broker_epoch);
	}
	return text_problem(d, &cs.res);
}

static int dump_quorum_state(dump_ctx *d, const ksd_file_image *im)
{
	ksd_quorum_state qs;
	ksd_parse_quorum_state((const char *)im->data, im->len, &qs);
	if (qs.res.status == KSD_TEXT_OK && d->o.json) {
		char *json = strndup((const char *)im->data, qs.json_len);
		jw_line_begin(d, "quorum_state");
		ksd_jw_key(&d->jw, "data");
		ksd_jw_raw(&d->jw, json ? json : "null"); /* validated by the parser */
		jw_line_end(d);
		free(json);
	} else if (qs.res.status == KSD_TEXT_OK) {
		fprintf(d->out, "%.*s\n", (int)qs.json_len, (const char *)im->data);
	}
	return text_problem(d, &qs.res);
}

/* --- dispatch -------------------------------------------------------------- */

static int dump_by_kind(dump_ctx *d, ksd_file_kind k, const ksd_file_image *im,
			const char *leaf, ksd_findings *findings)
{
	ksd_index_kind ik;
	if (ksd_index_kind_of(k, &ik))
		return dump_index(d, ik, im, leaf, findings);
	switch (k) {
	case KSD_FILE_SNAPSHOT: return dump_snapshot(d, im);
	case KSD_FILE_RECOVERY_CHECKPOINT:
	case KSD_FILE_REPLICATION_CHECKPOINT:
	case KSD_FILE_LOG_START_CHECKPOINT:
	case KSD_FILE_CLEANER_CHECKPOINT: return dump_offset_checkpoint(d, im, k);
	case KSD_FILE_LEADER_EPOCH_CHECKPOINT: return dump_epoch_checkpoint(d, im);
	case KSD_FILE_META_PROPERTIES: return dump_meta_properties(d, im);
	case KSD_FILE_PARTITION_METADATA: return dump_partition_metadata(d, im);
	case KSD_FILE_CLEAN_SHUTDOWN: return dump_clean_shutdown(d, im);
	case KSD_FILE_QUORUM_STATE: return dump_quorum_state(d, im);
	case KSD_FILE_LOCK:
		if (!d->o.json)
			fprintf(d->out, "the broker's lock file (%" PRIu64 " bytes; its fcntl lock is what counts)\n",
				im->file_size);
		return KSD_EXIT_OK;
	default:
		fprintf(stderr, "ksegdoctor dump: %s: not a file Kafka writes (unknown kind)\n", d->path);
		return KSD_EXIT_OPERATIONAL;
	}
}

static int report_findings(dump_ctx *d, const ksd_findings *f)
{
	int rc = KSD_EXIT_OK;
	for (size_t i = 0; i < f->n; i++) {
		const ksd_finding *fi = &f->v[i];
		if (fi->severity >= KSD_SEV_WARNING)
			rc = KSD_EXIT_FINDINGS;
		dump_corruption(d, ksd_problem_get(fi->problem)->code,
				fi->position >= 0 ? (uint64_t)fi->position : 0, -1, fi->message);
	}
	return rc;
}

/* --verify-index-only on a .log or an index: the scan's merge join of the
 * index with the segment, reporting only what does not match. */
static int verify_index(dump_ctx *d, const char *path)
{
	ksd_config cfg;
	ksd_config_init(&cfg);
	ksd_scan *scan;
	if (ksd_scan_new(&cfg, &scan) != KSD_OK)
		return KSD_EXIT_OPERATIONAL;
	int rc = KSD_EXIT_OK;
	if (ksd_scan_add_path(scan, path) != KSD_OK || ksd_scan_run(scan, NULL, NULL) != KSD_OK)
		rc = KSD_EXIT_OPERATIONAL;
	d->path = path;
	size_t mismatches = 0;
	for (size_t i = 0; i < scan->nlogdirs; i++)
		for (size_t j = 0; j < scan->logdirs[i].npartitions; j++) {
			const ksd_partition *p = &scan->logdirs[i].partitions[j];
			for (size_t k = 0; k < p->nsegments; k++) {
				const ksd_findings *f = p->segments[k].findings;
				for (size_t n = 0; f && n < f->n; n++) {
					ksd_problem pr = f->v[n].problem;
					if (pr != KSD_P_INDEX_CORRUPT && pr != KSD_P_TIMEINDEX_CORRUPT &&
					    pr != KSD_P_TXNINDEX_CORRUPT)
						continue;
					mismatches++;
					dump_corruption(d, ksd_problem_get(pr)->code,
							f->v[n].position >= 0 ? (uint64_t)f->v[n].position : 0,
							-1, f->v[n].message);
				}
			}
		}
	if (!d->o.json && mismatches == 0 && rc == KSD_EXIT_OK)
		fprintf(d->out, "%s: index entries match the log\n", path);
	ksd_scan_free(scan);
	return rc | (mismatches ? KSD_EXIT_FINDINGS : KSD_EXIT_OK);
}

int dump_other_file(dump_ctx *d, const char *path, ksd_file_kind by_name)
{
	const char *leaf = strrchr(path, '/');
	leaf = leaf ? leaf + 1 : path;
	if (d->o.verify_index_only && (by_name == KSD_FILE_INDEX || by_name == KSD_FILE_TIMEINDEX))
		return verify_index(d, path);
	ksd_bytes buf = {NULL, 0};
	ksd_file_image im;
	if (ksd_file_load(path, KSD_FILE_READ_CAP, &buf, &im) != KSD_OK) {
		fprintf(stderr, "ksegdoctor dump: %s: %s\n", path, strerror(errno));
		return KSD_EXIT_OPERATIONAL;
	}
	ksd_file_kind kind = ksd_sniff_kind(im.data, im.len, im.file_size, leaf);
	d->path = path;
	d->corruptions = 0;
	int rc;
	if (kind == KSD_FILE_LOG || kind == KSD_FILE_KRAFT_SNAPSHOT) {
		/* named like something else, but an entry chain: read it as one */
		rc = dump_log_window(d, path, 0, 0, -1, ksd_file_kind_name(kind));
	} else {
		if (!d->o.index_sanity)
			file_line(d, kind, by_name, im.file_size);
		ksd_findings findings;
		ksd_findings_init(&findings, 50);
		rc = dump_by_kind(d, kind, &im, leaf, &findings);
		rc |= report_findings(d, &findings);
		ksd_findings_free(&findings);
		d->total_corruptions += d->corruptions;
	}
	ksd_bytes_free(&buf);
	return rc;
}
