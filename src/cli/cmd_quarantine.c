/*
 * ksegdoctor quarantine: scan, select targets (by finding code or path),
 * show the plan and what it would lose, and on --apply move the targets
 * out of the log dir through the engine (ksd/qops.h), then re-scan to show
 * the targeted findings gone.  docs/quarantine.md has the safety model.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "ksd/jsonw.h"
#include "ksd/qops.h"
#include "ksd/qplan.h"
#include "qfault.h"
#include "render.h"
#include "scan_common.h"

enum {
	OPT_HELP = 'h',
	OPT_YES = 'y',
	OPT_JSON = 256,
	OPT_FINDING,
	OPT_SEGMENT,
	OPT_CUT_TAIL,
	OPT_DROP_INDEX,
	OPT_QDIR,
	OPT_ALLOW_ACTIVE,
	OPT_ALLOW_GAP,
	OPT_ACCEPT_LOSS,
	OPT_DELETE,
	OPT_APPLY,
};

/* fsck: 1 = errors corrected; 32 = cancelled by the user. */
enum { EXIT_FIXED = 1, EXIT_CANCELLED = 32 };

static const cli_opt q_opts[] = {
	{OPT_FINDING, "finding", 0, "CODE", "target what every finding of CODE names (repeatable)"},
	{OPT_SEGMENT, "segment", 0, "PATH", "move this segment's whole family (.log/.index/.timeindex/.txnindex; repeatable)"},
	{OPT_CUT_TAIL, "cut-tail", 0, "PATH", "cut this segment's .log at its first damage (repeatable)"},
	{OPT_DROP_INDEX, "drop-index", 0, "PATH", "move this segment's .index and .timeindex: the broker rebuilds them (repeatable)"},
	{OPT_QDIR, "quarantine-dir", 0, "DIR", "where operations go (default: <parent of the log dir>/ksegdoctor-quarantine)"},
	{OPT_ALLOW_ACTIVE, "allow-active", 0, NULL, "allow touching the last segment of a partition (lowers its log end)"},
	{OPT_ALLOW_GAP, "allow-gap", 0, NULL, "allow a middle segment of a delete-policy topic (leaves an offset hole)"},
	{OPT_ACCEPT_LOSS, "accept-loss", 0, NULL, "apply even though the loss proof lists data that would be gone"},
	{OPT_DELETE, "delete", 0, NULL, "delete instead of keeping: quarantine, then purge the operation"},
	{OPT_APPLY, "apply", 0, NULL, "carry the plan out (after a confirmation prompt)"},
	{OPT_YES, "yes", 'y', NULL, "answer yes to the prompt"},
	{OPT_JSON, "json", 0, NULL, "one JSON document on stdout"},
	SCAN_COMMON_OPTS,
	{OPT_HELP, "help", 'h', NULL, "show this help"},
	{0, NULL, 0, NULL, NULL},
};

static const cli_cmd q_cmd = {
	"quarantine", "[options] (--finding CODE | --segment PATH | --cut-tail PATH | --drop-index PATH)... PATH...",
	"Moves damaged or blocking segments, tails or indexes out of a stopped broker's\n"
	"log dirs into a journaled quarantine, from where `ksegdoctor restore` puts them\n"
	"back byte for byte. Without --apply it only shows the plan and what would be lost.",
	"Targets by finding: cleaner-map-overflow moves the segment it names;\n"
	"crc-mismatch, corrupt-entry, torn-tail and preallocated-tail cut the tail at the\n"
	"first damage (use --segment for the whole segment); index-corrupt,\n"
	"timeindex-corrupt and index-preallocated drop the indexes.\n\n"
	"Guards: a broker holding .lock, __cluster_metadata, anything that is not a\n"
	"segment family, the active segment (--allow-active), a log end below the\n"
	"log-start-offset-checkpoint, a middle segment of a delete-policy topic\n"
	"(--allow-gap), data loss (--accept-loss). See docs/quarantine.md.\n\n"
	"Exit status: 0 nothing to do, 1 applied and the targeted findings are gone,\n"
	"4 plan shown (not applied), refused, or a targeted finding remains,\n"
	"8 operational error, 16 usage error, 32 cancelled (or no terminal and no -y).\n",
	q_opts,
};

typedef struct strlist {
	const char **v;
	size_t n;
} strlist;

typedef struct q_state {
	scan_common sc;
	strlist codes, segments, tails, indexes;
	const char *qdir;
	bool allow_active, allow_gap, accept_loss, del, apply, yes, json;
} q_state;

static bool push(strlist *l, const char *s)
{
	const char **v = realloc(l->v, (l->n + 1) * sizeof *v);
	if (!v)
		return false;
	l->v = v;
	v[l->n++] = s;
	return true;
}

static bool on_q_opt(void *ud, int id, const char *arg)
{
	q_state *st = ud;
	switch (id) {
	case OPT_FINDING: return push(&st->codes, arg);
	case OPT_SEGMENT: return push(&st->segments, arg);
	case OPT_CUT_TAIL: return push(&st->tails, arg);
	case OPT_DROP_INDEX: return push(&st->indexes, arg);
	case OPT_QDIR: st->qdir = arg; return true;
	case OPT_ALLOW_ACTIVE: st->allow_active = true; return true;
	case OPT_ALLOW_GAP: st->allow_gap = true; return true;
	case OPT_ACCEPT_LOSS: st->accept_loss = true; return true;
	case OPT_DELETE: st->del = true; return true;
	case OPT_APPLY: st->apply = true; return true;
	case OPT_YES: st->yes = true; return true;
	case OPT_JSON: st->json = true; return true;
	}
	return scan_common_opt(&st->sc, &q_cmd, id, arg) == 1;
}

/* --- what happened, for both renderings ------------------------------------ */

typedef struct q_run {
	const ksd_scan *scan;
	ksd_qplan plan;
	ksd_qloss loss;
	char *root;             /* quarantine root (owned) */
	const char *root_why;   /* set when the root is refused */
	const char *verdict;    /* one word: nothing-to-do, planned, refused, ... */
	char message[1536];     /* the verdict in a sentence */
	bool applied, purged;
	ksd_qop_result res;
	ksd_err apply_err, purge_err;
	/* after apply: per unit, does its finding remain? -1 unknown/explicit */
	int *remains;
	size_t files_total;
	uint64_t bytes_total;
} q_run;

static const char *leaf(const char *p)
{
	const char *s = strrchr(p, '/');
	return s ? s + 1 : p;
}

static uint64_t file_bytes(const ksd_qunit *u, const ksd_qfile *f)
{
	return f->cut ? f->size - (u->cut_at < f->size ? u->cut_at : f->size) : f->size;
}

/* --- text ------------------------------------------------------------------ */

static void text_units(const q_run *r, FILE *out)
{
	char b1[32], b2[32], b3[32];
	for (size_t i = 0; i < r->plan.nunits; i++) {
		const ksd_qunit *u = &r->plan.units[i];
		const ksd_qtarget *t = &r->plan.targets[i];
		fprintf(out, "  %s  %s %020lld%s  (%s)\n", u->partition, ksd_qunit_kind_name(u->kind),
			(long long)u->base_offset, t->active ? " [active segment]" : "", u->reason);
		for (size_t k = 0; k < u->nfiles; k++) {
			const ksd_qfile *f = &u->files[k];
			if (f->cut)
				fprintf(out, "      cut   %-28s at byte %s of %s: %s bytes to quarantine "
					"(keeps offsets below %lld)\n",
					leaf(f->path), fmt_count(u->cut_at, b1, sizeof b1),
					fmt_count(f->size, b2, sizeof b2),
					fmt_count(file_bytes(u, f), b3, sizeof b3),
					(long long)t->kept_end);
			else
				fprintf(out, "      move  %-28s %s bytes\n", leaf(f->path),
					fmt_count(f->size, b1, sizeof b1));
		}
	}
}

static void text_effects(const q_run *r, FILE *out)
{
	for (size_t i = 0; i < r->plan.nparts; i++) {
		const ksd_qpart_effect *e = &r->plan.parts[i];
		fprintf(out, "  %s: log start %lld -> %lld, log end %lld -> %lld\n", e->p->dir_name,
			(long long)e->log_start_before, (long long)e->log_start_after,
			(long long)e->log_end_before, (long long)e->log_end_after);
	}
	for (size_t i = 0; i < r->plan.nnotes; i++)
		fprintf(out, "  accepted (--allow-active): %s\n", r->plan.notes[i].text);
}

static void text_groups(const ksd_qloss_part *lp, FILE *out)
{
	/* Distinct groups losing or changing offsets, in sorted order. */
	size_t shown = 0, ngroups = 0;
	const char *prev = NULL;
	for (size_t k = 0; k < lp->noffsets; k++) {
		if (prev && strcmp(prev, lp->offsets[k].group) == 0)
			continue;
		prev = lp->offsets[k].group;
		ngroups++;
	}
	fprintf(out, "      consumer groups whose committed offsets change (%zu):", ngroups);
	prev = NULL;
	for (size_t k = 0; k < lp->noffsets && shown < 20; k++) {
		if (prev && strcmp(prev, lp->offsets[k].group) == 0)
			continue;
		prev = lp->offsets[k].group;
		fprintf(out, "%s %s", shown ? "," : "", prev);
		shown++;
	}
	fprintf(out, "%s\n", ngroups > shown ? ", ..." : "");
	for (size_t k = 0; k < lp->noffsets && k < 20; k++) {
		const ksd_qloss_offset *o = &lp->offsets[k];
		char before[32] = "none", after[32] = "none";
		if (o->before >= 0)
			snprintf(before, sizeof before, "%lld", (long long)o->before);
		if (o->after >= 0)
			snprintf(after, sizeof after, "%lld", (long long)o->after);
		fprintf(out, "        group %s topic %s partition %d: %s -> %s (%s%s)\n", o->group,
			o->topic, (int)o->partition, before, after, o->change,
			strcmp(o->change, "returns") == 0 ? ": a removed tombstone brings it back" : "");
	}
	if (lp->noffsets > 20)
		fprintf(out, "        ... %zu more (--json lists all)\n", lp->noffsets - 20);
}

static void text_loss_part(const ksd_qloss_part *lp, FILE *out)
{
	char b1[32], b2[32], b3[32];
	fprintf(out, "  %s (%s):\n", lp->p->dir_name,
		lp->compacted ? "compacted" : "delete policy");
	if (lp->records)
		fprintf(out, "      targets hold %s records, %s bytes, offsets %lld..%lld%s\n",
			fmt_count(lp->records, b1, sizeof b1), fmt_count(lp->bytes, b2, sizeof b2),
			(long long)lp->first_offset, (long long)lp->last_offset,
			lp->compacted ? " (superseded ones lose nothing)" : ": all of them are lost");
	if (lp->max_timestamp >= 0)
		fprintf(out, "      timestamps %lld..%lld\n", (long long)lp->min_timestamp,
			(long long)lp->max_timestamp);
	if (lp->damaged_bytes)
		fprintf(out, "      %s bytes hold no readable batch (damage or zero fill: nothing to lose)\n",
			fmt_count(lp->damaged_bytes, b1, sizeof b1));
	if (lp->compacted)
		fprintf(out, "      keys whose latest record is only in the targets: %s lost, %s "
			"revert to an older value, %s return (their tombstone is removed)%s\n",
			fmt_count(lp->keys_lost, b1, sizeof b1), fmt_count(lp->keys_reverted, b2, sizeof b2),
			fmt_count(lp->keys_returning, b3, sizeof b3),
			lp->keys_capped ? " (key table full: at least)" : "");
	for (size_t k = 0; k < lp->nkeys && k < 10; k++)
		fprintf(out, "        e.g. %s (%s)\n", lp->keys[k].key, lp->keys[k].verdict);
	if (lp->nkeys > 10)
		fprintf(out, "        ... %zu%s more keys (--json lists them)\n", lp->nkeys - 10,
			lp->keys_truncated ? "+" : "");
	if (lp->offsets_topic) {
		text_groups(lp, out);
		for (size_t k = 0; k < lp->ngroups_gone; k++)
			fprintf(out, "      group %s disappears (its last group record is removed)\n",
				lp->groups_gone[k]);
	}
	if (lp->markers_total) {
		fprintf(out, "      %s transaction marker%s removed\n",
			fmt_count(lp->markers_total, b1, sizeof b1), lp->markers_total == 1 ? "" : "s");
		for (size_t k = 0; k < lp->nmarkers; k++)
			if (lp->markers[k].hanging)
				fprintf(out, "        %s marker of producer %lld at offset %lld: its "
					"transaction's data stays, so it is left open (hanging)\n",
					lp->markers[k].type, (long long)lp->markers[k].producer_id,
					(long long)lp->markers[k].offset);
	}
	if (!lp->loses)
		fprintf(out, "      nothing is lost\n");
}

static void render_text(const q_run *r, const q_state *st, FILE *out)
{
	char b1[32];
	if (r->plan.nunits) {
		fprintf(out, "Quarantine plan: %zu unit%s, %zu file%s, %s bytes, into %s\n",
			r->plan.nunits, r->plan.nunits == 1 ? "" : "s", r->files_total,
			r->files_total == 1 ? "" : "s", fmt_count(r->bytes_total, b1, sizeof b1),
			r->root ? r->root : "?");
		text_units(r, out);
		fprintf(out, "  Producer snapshots stay: the broker deletes those below the new log "
			"start and beyond the new log end itself.\n");
		fprintf(out, "Effect:\n");
		text_effects(r, out);
	}
	if (r->plan.nrefusals || r->root_why) {
		fprintf(out, "Refused:\n");
		for (size_t i = 0; i < r->plan.nrefusals; i++) {
			const ksd_qrefusal *f = &r->plan.refusals[i];
			fprintf(out, "  [%s] %s: %s%s%s%s\n", f->guard, f->target, f->why,
				f->override ? " (override: " : "", f->override ? f->override : "",
				f->override ? ")" : "");
		}
		if (r->root_why)
			fprintf(out, "  [quarantine-dir] %s: %s\n", r->root, r->root_why);
	}
	if (r->loss.nparts) {
		fprintf(out, "What would be lost%s:\n", r->applied ? " (was accepted)" : "");
		for (size_t i = 0; i < r->loss.nparts; i++)
			text_loss_part(&r->loss.parts[i], out);
		fprintf(out, "  (loss proof read %s in %.2f s)\n",
			fmt_bytes(r->loss.bytes_read, b1, sizeof b1), r->loss.seconds);
	}
	if (r->applied) {
		fprintf(out, "%s %zu unit%s (%s bytes) into %s\n", r->purged ? "Deleted" : "Quarantined",
			r->res.units_done, r->res.units_done == 1 ? "" : "s",
			fmt_count(r->res.bytes_moved, b1, sizeof b1), r->res.opdir ? r->res.opdir : "?");
		if (!r->purged && r->res.opdir)
			fprintf(out, "  undo: ksegdoctor restore --apply %s\n", r->res.opdir);
		for (size_t i = 0; r->remains && i < r->plan.nunits; i++)
			if (r->remains[i] >= 0)
				fprintf(out, "  re-scan: %s in %s %020lld: %s\n", r->plan.units[i].reason,
					r->plan.units[i].partition, (long long)r->plan.units[i].base_offset,
					r->remains[i] ? "STILL THERE" : "gone");
	}
	fprintf(out, "%s\n", r->message);
	(void)st;
}

/* --- JSON ------------------------------------------------------------------ */

static void json_units(ksd_jw *w, const q_run *r)
{
	ksd_jw_key(w, "units");
	ksd_jw_arr_begin(w);
	for (size_t i = 0; i < r->plan.nunits; i++) {
		const ksd_qunit *u = &r->plan.units[i];
		const ksd_qtarget *t = &r->plan.targets[i];
		ksd_jw_obj_begin(w);
		ksd_jw_kv_str(w, "kind", ksd_qunit_kind_name(u->kind));
		ksd_jw_kv_str(w, "log_dir", u->logdir);
		ksd_jw_kv_str(w, "partition", u->partition);
		ksd_jw_kv_int(w, "base_offset", u->base_offset);
		ksd_jw_kv_str(w, "reason", u->reason);
		ksd_jw_kv_bool(w, "active", t->active);
		if (u->kind == KSD_QU_TAIL) {
			ksd_jw_kv_uint(w, "cut_at", u->cut_at);
			ksd_jw_kv_int(w, "kept_log_end", t->kept_end);
		}
		if (r->remains) {
			ksd_jw_key(w, "finding_after_apply");
			if (r->remains[i] < 0)
				ksd_jw_null(w);
			else
				ksd_jw_str(w, r->remains[i] ? "remains" : "gone");
		}
		ksd_jw_key(w, "files");
		ksd_jw_arr_begin(w);
		for (size_t k = 0; k < u->nfiles; k++) {
			const ksd_qfile *f = &u->files[k];
			char hex[65];
			ksd_sha256_hex(f->sha256, hex);
			ksd_jw_obj_begin(w);
			ksd_jw_kv_str(w, "path", f->path);
			ksd_jw_kv_str(w, "action", f->cut ? "cut" : "move");
			ksd_jw_kv_uint(w, "size", f->size);
			ksd_jw_kv_uint(w, "quarantined_bytes", file_bytes(u, f));
			ksd_jw_kv_str(w, "sha256", hex);
			ksd_jw_obj_end(w);
		}
		ksd_jw_arr_end(w);
		ksd_jw_obj_end(w);
	}
	ksd_jw_arr_end(w);
}

static void json_plan_rest(ksd_jw *w, const q_run *r)
{
	ksd_jw_key(w, "partitions");
	ksd_jw_arr_begin(w);
	for (size_t i = 0; i < r->plan.nparts; i++) {
		const ksd_qpart_effect *e = &r->plan.parts[i];
		ksd_jw_obj_begin(w);
		ksd_jw_kv_str(w, "partition", e->p->dir_name);
		ksd_jw_kv_int(w, "log_start_before", e->log_start_before);
		ksd_jw_kv_int(w, "log_start_after", e->log_start_after);
		ksd_jw_kv_int(w, "log_end_before", e->log_end_before);
		ksd_jw_kv_int(w, "log_end_after", e->log_end_after);
		ksd_jw_kv_int(w, "high_watermark", e->high_watermark);
		ksd_jw_kv_int(w, "log_start_checkpoint", e->log_start_checkpoint);
		ksd_jw_kv_uint(w, "leader_epochs_beyond", e->epochs_beyond);
		ksd_jw_obj_end(w);
	}
	ksd_jw_arr_end(w);
	ksd_jw_key(w, "notes");
	ksd_jw_arr_begin(w);
	for (size_t i = 0; i < r->plan.nnotes; i++)
		ksd_jw_str(w, r->plan.notes[i].text);
	ksd_jw_arr_end(w);
	ksd_jw_key(w, "refusals");
	ksd_jw_arr_begin(w);
	for (size_t i = 0; i < r->plan.nrefusals; i++) {
		const ksd_qrefusal *f = &r->plan.refusals[i];
		ksd_jw_obj_begin(w);
		ksd_jw_kv_str(w, "guard", f->guard);
		ksd_jw_kv_str(w, "target", f->target);
		ksd_jw_kv_str(w, "why", f->why);
		ksd_jw_kv_str(w, "override", f->override);
		ksd_jw_obj_end(w);
	}
	if (r->root_why) {
		ksd_jw_obj_begin(w);
		ksd_jw_kv_str(w, "guard", "quarantine-dir");
		ksd_jw_kv_str(w, "target", r->root);
		ksd_jw_kv_str(w, "why", r->root_why);
		ksd_jw_kv_str(w, "override", NULL);
		ksd_jw_obj_end(w);
	}
	ksd_jw_arr_end(w);
}

static void json_loss_part(ksd_jw *w, const ksd_qloss_part *lp)
{
	ksd_jw_obj_begin(w);
	ksd_jw_kv_str(w, "partition", lp->p->dir_name);
	ksd_jw_kv_bool(w, "compacted", lp->compacted);
	ksd_jw_kv_bool(w, "loses", lp->loses);
	ksd_jw_kv_uint(w, "records", lp->records);
	ksd_jw_kv_uint(w, "batches", lp->batches);
	ksd_jw_kv_uint(w, "bytes", lp->bytes);
	ksd_jw_kv_int(w, "first_offset", lp->first_offset);
	ksd_jw_kv_int(w, "last_offset", lp->last_offset);
	ksd_jw_kv_int(w, "min_timestamp", lp->min_timestamp);
	ksd_jw_kv_int(w, "max_timestamp", lp->max_timestamp);
	ksd_jw_kv_uint(w, "damaged_bytes", lp->damaged_bytes);
	ksd_jw_kv_uint(w, "keys_lost", lp->keys_lost);
	ksd_jw_kv_uint(w, "keys_reverted", lp->keys_reverted);
	ksd_jw_kv_uint(w, "keys_returning", lp->keys_returning);
	ksd_jw_kv_bool(w, "keys_capped", lp->keys_capped);
	ksd_jw_key(w, "keys");
	ksd_jw_arr_begin(w);
	for (size_t k = 0; k < lp->nkeys; k++) {
		ksd_jw_obj_begin(w);
		ksd_jw_kv_str(w, "key", lp->keys[k].key);
		ksd_jw_kv_str(w, "verdict", lp->keys[k].verdict);
		ksd_jw_obj_end(w);
	}
	ksd_jw_arr_end(w);
	ksd_jw_kv_bool(w, "keys_truncated", lp->keys_truncated);
	ksd_jw_key(w, "offsets");
	ksd_jw_arr_begin(w);
	for (size_t k = 0; k < lp->noffsets; k++) {
		const ksd_qloss_offset *o = &lp->offsets[k];
		ksd_jw_obj_begin(w);
		ksd_jw_kv_str(w, "group", o->group);
		ksd_jw_kv_str(w, "topic", o->topic);
		ksd_jw_kv_int(w, "partition", o->partition);
		ksd_jw_kv_int(w, "before", o->before);
		ksd_jw_kv_int(w, "after", o->after);
		ksd_jw_kv_str(w, "change", o->change);
		ksd_jw_obj_end(w);
	}
	ksd_jw_arr_end(w);
	ksd_jw_key(w, "groups_gone");
	ksd_jw_arr_begin(w);
	for (size_t k = 0; k < lp->ngroups_gone; k++)
		ksd_jw_str(w, lp->groups_gone[k]);
	ksd_jw_arr_end(w);
	ksd_jw_kv_uint(w, "markers_removed", lp->markers_total);
	ksd_jw_key(w, "markers");
	ksd_jw_arr_begin(w);
	for (size_t k = 0; k < lp->nmarkers; k++) {
		ksd_jw_obj_begin(w);
		ksd_jw_kv_str(w, "type", lp->markers[k].type);
		ksd_jw_kv_int(w, "producer_id", lp->markers[k].producer_id);
		ksd_jw_kv_int(w, "offset", lp->markers[k].offset);
		ksd_jw_kv_bool(w, "hanging", lp->markers[k].hanging);
		ksd_jw_obj_end(w);
	}
	ksd_jw_arr_end(w);
	ksd_jw_obj_end(w);
}

static void render_json(const q_run *r, FILE *out)
{
	ksd_jw w;
	ksd_jw_init(&w, (ksd_sink){jw_sink_file, out});
	ksd_jw_obj_begin(&w);
	ksd_jw_kv_str(&w, "tool", "ksegdoctor");
	ksd_jw_kv_str(&w, "command", "quarantine");
	ksd_jw_kv_str(&w, "verdict", r->verdict);
	ksd_jw_kv_str(&w, "message", r->message);
	ksd_jw_kv_str(&w, "quarantine_root", r->root);
	json_units(&w, r);
	json_plan_rest(&w, r);
	ksd_jw_key(&w, "loss");
	ksd_jw_obj_begin(&w);
	ksd_jw_kv_bool(&w, "any", r->loss.any);
	ksd_jw_kv_uint(&w, "bytes_read", r->loss.bytes_read);
	ksd_jw_key(&w, "seconds");
	ksd_jw_real(&w, r->loss.seconds);
	ksd_jw_key(&w, "partitions");
	ksd_jw_arr_begin(&w);
	for (size_t i = 0; i < r->loss.nparts; i++)
		json_loss_part(&w, &r->loss.parts[i]);
	ksd_jw_arr_end(&w);
	ksd_jw_obj_end(&w);
	ksd_jw_kv_bool(&w, "applied", r->applied);
	ksd_jw_kv_bool(&w, "purged", r->purged);
	ksd_jw_kv_str(&w, "operation_dir", r->res.opdir);
	ksd_jw_kv_str(&w, "manifest", r->res.manifest);
	ksd_jw_kv_uint(&w, "units_done", r->res.units_done);
	ksd_jw_kv_uint(&w, "bytes_moved", r->res.bytes_moved);
	ksd_jw_obj_end(&w);
	fputc('\n', out);
}

/* --- steps ------------------------------------------------------------------- */

static int verdict(q_run *r, const char *word, int rc, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int verdict(q_run *r, const char *word, int rc, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(r->message, sizeof r->message, fmt, ap);
	va_end(ap);
	r->verdict = word;
	return rc;
}

static bool confirm(const q_state *st, const q_run *r, int *rc)
{
	if (st->yes)
		return true;
	if (!isatty(STDIN_FILENO)) {
		*rc = verdict((q_run *)r, "cancelled", EXIT_CANCELLED,
			      "Not applied: no terminal to ask and no -y; nothing assumed without a "
			      "terminal. Exit status 32.");
		return false;
	}
	char b1[32];
	fprintf(stderr, "%s %zu unit%s (%s bytes) of a stopped broker's log dir%s? [y/N] ",
		st->del ? "DELETE" : "Quarantine", r->plan.nunits, r->plan.nunits == 1 ? "" : "s",
		fmt_count(r->bytes_total, b1, sizeof b1), r->plan.nlogdirs == 1 ? "" : "s");
	fflush(stderr);
	char line[64];
	if (fgets(line, sizeof line, stdin) && (line[0] == 'y' || line[0] == 'Y'))
		return true;
	*rc = verdict((q_run *)r, "cancelled", EXIT_CANCELLED, "Cancelled: nothing was changed. "
		      "Exit status 32.");
	return false;
}

static int apply_err_exit(ksd_err e)
{
	return e == KSD_ERR_LOCKED || e == KSD_ERR_CHANGED || e == KSD_ERR_REFUSED ||
		       e == KSD_ERR_CONFLICT
		       ? KSD_EXIT_FINDINGS
		       : KSD_EXIT_OPERATIONAL;
}

typedef struct remain_ctx {
	const ksd_qunit *u;
	bool found;
} remain_ctx;

static void visit_remaining(void *ud, const ksd_logdir *ld, const ksd_partition *p,
			    const ksd_segment *s, const ksd_finding *f)
{
	remain_ctx *c = ud;
	if (!ld || !p || strcmp(ld->real_path, c->u->logdir) != 0 ||
	    strcmp(p->dir_name, c->u->partition) != 0 ||
	    strcmp(ksd_problem_get(f->problem)->code, c->u->reason) != 0)
		return;
	int64_t base = s ? s->base_offset : -1;
	for (unsigned i = 0; base < 0 && i < f->nfields; i++)
		if (strcmp(f->fields[i].name, "segment_base_offset") == 0)
			base = f->fields[i].v.i;
	c->found |= base == c->u->base_offset;
}

/* Re-scans the same paths; per unit with a finding code, is it still there? */
static int rescan(q_state *st, char **ops, size_t nops, q_run *r)
{
	ksd_scan *scan;
	double elapsed;
	int saved = st->sc.progress;
	st->sc.progress = 0;
	int rc = scan_common_run(&st->sc, &q_cmd, ops, nops, &scan, &elapsed);
	st->sc.progress = saved;
	if (!scan)
		return -1;
	r->remains = calloc(r->plan.nunits ? r->plan.nunits : 1, sizeof *r->remains);
	int remaining = 0;
	for (size_t i = 0; r->remains && i < r->plan.nunits; i++) {
		const ksd_qunit *u = &r->plan.units[i];
		if (strcmp(u->reason, "explicit") == 0) {
			r->remains[i] = -1;
			continue;
		}
		remain_ctx c = {u, false};
		ksd_scan_visit_findings(scan, visit_remaining, &c);
		r->remains[i] = c.found;
		remaining += c.found;
	}
	ksd_scan_free(scan);
	(void)rc;
	return remaining;
}

static int do_apply(q_state *st, char **ops, size_t nops, q_run *r, const char *label)
{
	int rc = 0;
	if (r->loss.any && !st->accept_loss)
		return verdict(r, "refused", KSD_EXIT_FINDINGS,
			       "Not applied: the loss proof above lists data that would be gone; "
			       "add --accept-loss after reading it. Nothing was changed.");
	if (!confirm(st, r, &rc))
		return rc;
	ksd_qop_opts o = {r->root, label, NULL, NULL};
	qfault_install(&o);
	r->apply_err = ksd_qop_apply(r->plan.units, r->plan.nunits, &o, &r->res);
	if (r->apply_err != KSD_OK)
		return verdict(r, "failed", apply_err_exit(r->apply_err),
			       "Quarantine failed (%s): %s", ksd_strerror(r->apply_err), r->res.msg);
	r->applied = true;
	if (st->del) {
		ksd_qop_result pr;
		memset(&pr, 0, sizeof pr);
		r->purge_err = ksd_qop_purge(r->res.opdir, false, &o, &pr);
		if (r->purge_err != KSD_OK) {
			rc = verdict(r, "failed", apply_err_exit(r->purge_err),
				     "Quarantined into %s, but the purge failed (%s): %s; the files are "
				     "still there: ksegdoctor purge --apply %s",
				     r->res.opdir, ksd_strerror(r->purge_err), pr.msg, r->res.opdir);
			ksd_qop_result_free(&pr);
			return rc;
		}
		ksd_qop_result_free(&pr);
		r->purged = true;
	}
	int remaining = rescan(st, ops, nops, r);
	if (remaining < 0)
		return verdict(r, "applied", EXIT_FIXED | KSD_EXIT_OPERATIONAL,
			       "Applied, but the re-scan failed.");
	if (remaining > 0)
		return verdict(r, "applied", KSD_EXIT_FINDINGS,
			       "Applied, but %d targeted finding%s remain%s (see above).", remaining,
			       remaining == 1 ? "" : "s", remaining == 1 ? "s" : "");
	return verdict(r, "applied", EXIT_FIXED,
		       "Applied: every targeted finding is gone from the re-scan.%s",
		       st->del ? " The quarantined files were deleted (purge)." : "");
}

static char *command_line(int argc, char **argv)
{
	size_t len = 32;
	for (int i = 0; i < argc; i++)
		len += strlen(argv[i]) + 1;
	char *s = malloc(len);
	if (!s)
		return NULL;
	strcpy(s, "ksegdoctor");
	for (int i = 0; i < argc; i++) {
		strcat(s, " ");
		strcat(s, argv[i]);
	}
	return s;
}

static int plan_and_maybe_apply(q_state *st, ksd_scan *scan, char **ops, size_t nops, q_run *r,
				const char *label)
{
	ksd_qsel sel = {st->codes.v, st->codes.n, st->segments.v, st->segments.n, st->tails.v,
			st->tails.n, st->indexes.v, st->indexes.n, st->allow_active, st->allow_gap};
	char err[1024];
	ksd_err e = ksd_qplan_build(scan, &sel, &r->plan, err, sizeof err);
	if (e != KSD_OK)
		return verdict(r, "error", e == KSD_ERR_INVAL ? KSD_EXIT_USAGE : KSD_EXIT_OPERATIONAL,
			       "ksegdoctor quarantine: %s", err);
	for (size_t i = 0; i < r->plan.nunits; i++)
		for (size_t k = 0; k < r->plan.units[i].nfiles; k++) {
			r->files_total++;
			r->bytes_total += file_bytes(&r->plan.units[i], &r->plan.units[i].files[k]);
		}
	if (r->plan.nunits) {
		r->root = st->qdir ? strdup(st->qdir) : ksd_quarantine_default_root(r->plan.logdirs[0]);
		const char *why = NULL;
		if (r->root && !ksd_quarantine_root_ok(r->root, (const char *const *)r->plan.logdirs,
						       r->plan.nlogdirs, &why))
			r->root_why = why;
		ksd_qloss_opts lo = {0};
		if ((e = ksd_qloss_compute(scan, &r->plan, &lo, &r->loss)) != KSD_OK)
			return verdict(r, "error", KSD_EXIT_OPERATIONAL,
				       "ksegdoctor quarantine: the loss proof failed: %s",
				       ksd_strerror(e));
	}
	if (r->plan.nrefusals || r->root_why)
		return verdict(r, "refused", KSD_EXIT_FINDINGS,
			       "Refused: %zu target%s stopped by a guard (listed above); nothing %s "
			       "applied. Narrow the selection or use the override named.",
			       r->plan.nrefusals + (r->root_why != NULL),
			       r->plan.nrefusals + (r->root_why != NULL) == 1 ? "" : "s",
			       st->apply ? "was" : "would be");
	if (!r->plan.nunits)
		return verdict(r, "nothing-to-do", KSD_EXIT_OK,
			       "Nothing to quarantine: no selected finding or path names a target.");
	if (!st->apply)
		return verdict(r, "planned", KSD_EXIT_FINDINGS,
			       "Nothing was changed. Run again with --apply%s to carry it out%s.",
			       r->loss.any ? " --accept-loss" : "",
			       st->del ? " (and delete)" : "");
	return do_apply(st, ops, nops, r, label);
}

int cmd_quarantine(int argc, char **argv)
{
	q_state st;
	memset(&st, 0, sizeof st);
	scan_common_init(&st.sc);
	int first = 0;
	int rc = cli_parse(&q_cmd, argc, argv, on_q_opt, &st, &first);
	if (rc == KSD_EXIT_OK && !st.codes.n && !st.segments.n && !st.tails.n && !st.indexes.n) {
		cli_usage_error(&q_cmd, "say what to quarantine: --finding, --segment, --cut-tail "
				"or --drop-index");
		rc = KSD_EXIT_USAGE;
	}
	ksd_scan *scan = NULL;
	double elapsed;
	char **ops = argv + first;
	size_t nops = (size_t)(argc - first);
	if (rc == KSD_EXIT_OK)
		rc = scan_common_run(&st.sc, &q_cmd, ops, nops, &scan, &elapsed);
	if (scan) {
		q_run r;
		memset(&r, 0, sizeof r);
		r.scan = scan;
		char *label = command_line(argc, argv);
		int prc = plan_and_maybe_apply(&st, scan, ops, nops, &r, label);
		if (st.json)
			render_json(&r, stdout);
		else
			render_text(&r, &st, stdout);
		/* An unreadable path makes the plan incomplete: keep 8 from the scan. */
		rc = prc | (rc & KSD_EXIT_OPERATIONAL);
		free(label);
		free(r.root);
		free(r.remains);
		ksd_qop_result_free(&r.res);
		ksd_qloss_free(&r.loss);
		ksd_qplan_free(&r.plan);
		ksd_scan_free(scan);
	}
	free(st.codes.v);
	free(st.segments.v);
	free(st.tails.v);
	free(st.indexes.v);
	scan_common_free(&st.sc);
	return rc < 0 ? KSD_EXIT_OK : rc;
}
