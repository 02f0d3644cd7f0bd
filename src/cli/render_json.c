/*
 * The machine report: one JSON document.  `findings` is a flat array (what
 * automation iterates); `log_dirs` is the inventory (what was scanned).
 * Every finding has code, severity, scope, path, partition, log_dir,
 * position and message, plus its numbers as typed fields.
 */
#include <inttypes.h>
#include <string.h>

#include "ksd/codec.h"
#include "render.h"

typedef struct json_ctx {
	FILE *out;
	bool first;
} json_ctx;

static void field(FILE *out, const ksd_field *fl)
{
	fputc(',', out);
	json_str(out, fl->name);
	fputc(':', out);
	switch (fl->type) {
	case KSD_F_INT: fprintf(out, "%" PRId64, fl->v.i); break;
	case KSD_F_UINT: fprintf(out, "%" PRIu64, fl->v.u); break;
	case KSD_F_HEX32: fprintf(out, "\"0x%08" PRIx32 "\"", (uint32_t)fl->v.u); break;
	case KSD_F_BOOL: fputs(fl->v.b ? "true" : "false", out); break;
	case KSD_F_STR: json_str(out, fl->v.s); break;
	case KSD_F_REAL: fprintf(out, "%.6g", fl->v.d); break;
	}
}

static void emit_finding(void *ud, const ksd_logdir *ld, const ksd_partition *p,
			 const ksd_segment *s, const ksd_finding *f)
{
	json_ctx *c = ud;
	FILE *out = c->out;
	const ksd_problem_info *pi = ksd_problem_get(f->problem);
	fputs(c->first ? "\n  {" : ",\n  {", out);
	c->first = false;
	fputs("\"code\":", out);
	json_str(out, pi->code);
	fprintf(out, ",\"severity\":\"%s\",\"scope\":\"%s\",\"path\":",
		ksd_severity_name(f->severity), ksd_scope_name(pi->scope));
	json_str(out, f->path);
	fputs(",\"partition\":", out);
	json_str(out, p ? p->dir_name : NULL);
	fputs(",\"log_dir\":", out);
	json_str(out, ld ? ld->path : NULL);
	fputs(",\"segment\":", out);
	if (s)
		fprintf(out, "%" PRId64, s->base_offset);
	else
		fputs("null", out);
	fputs(",\"position\":", out);
	if (f->position >= 0)
		fprintf(out, "%" PRId64, f->position);
	else
		fputs("null", out);
	fputs(",\"message\":", out);
	json_str(out, f->message);
	for (unsigned i = 0; i < f->nfields; i++)
		field(out, &f->fields[i]);
	fputc('}', out);
}

static void emit_masks(FILE *out, uint32_t magic_mask, uint32_t codec_mask)
{
	fputs(",\"magics\":[", out);
	bool first = true;
	for (int m = 0; m < 3; m++)
		if (magic_mask & (1u << m)) {
			fprintf(out, "%s%d", first ? "" : ",", m);
			first = false;
		}
	fputs("],\"codecs\":[", out);
	first = true;
	for (int c = 0; c < 5; c++)
		if (codec_mask & (1u << c)) {
			fprintf(out, "%s\"%s\"", first ? "" : ",", ksd_codec_name(c));
			first = false;
		}
	fputc(']', out);
}

static void emit_segment(FILE *out, const ksd_segment *s, bool first)
{
	fprintf(out, "%s{\"base_offset\":%" PRId64 ",\"path\":", first ? "" : ",", s->base_offset);
	json_str(out, s->log_path);
	fprintf(out, ",\"bytes\":%" PRIu64 ",\"batches\":%" PRIu64 ",\"records\":%" PRIu64
		",\"records_exact\":%s,\"first_offset\":%" PRId64 ",\"last_offset\":%" PRId64
		",\"max_timestamp\":%" PRId64 ",\"valid_bytes\":%" PRIu64 ",\"first_damage\":",
		s->log_size, s->batches, s->records, s->records_exact ? "true" : "false",
		s->first_offset, s->last_offset, s->max_timestamp, s->valid_bytes);
	if (s->first_damage >= 0)
		fprintf(out, "%" PRId64, s->first_damage);
	else
		fputs("null", out);
	fprintf(out, ",\"has_index\":%s,\"has_timeindex\":%s",
		s->has_index ? "true" : "false", s->has_timeindex ? "true" : "false");
	emit_masks(out, s->magic_mask, s->codec_mask);
	fputc('}', out);
}

static void emit_partition(FILE *out, const ksd_partition *p, bool first)
{
	fprintf(out, "%s\n      {\"name\":", first ? "" : ",");
	json_str(out, p->dir_name);
	fputs(",\"topic\":", out);
	json_str(out, p->name.topic);
	fprintf(out, ",\"partition\":%" PRId32 ",\"state\":\"%s\",\"compacted\":%s,\"path\":",
		p->name.partition, ksd_partition_state_name(p->name.state),
		p->compacted ? "true" : "false");
	json_str(out, p->path);
	fputs(",\"segments\":[", out);
	bool f = true;
	for (size_t i = 0; i < p->nsegments; i++) {
		if (!p->segments[i].log_path)
			continue;
		emit_segment(out, &p->segments[i], f);
		f = false;
	}
	fputs("]}", out);
}

static void emit_logdir(FILE *out, const ksd_logdir *ld, bool first)
{
	fprintf(out, "%s\n    {\"path\":", first ? "" : ",");
	json_str(out, ld->path);
	fprintf(out, ",\"broker_running\":%s,\"lock_pid\":%d,\"partitions\":[",
		ld->lock_state == 1 ? "true" : ld->lock_state == 0 ? "false" : "null",
		ld->lock_pid);
	for (size_t i = 0; i < ld->npartitions; i++)
		emit_partition(out, &ld->partitions[i], i == 0);
	fputs("]}", out);
}

static void emit_errors(FILE *out, const ksd_scan *scan)
{
	fputs(",\n  \"errors\":[", out);
	for (size_t i = 0; i < scan->nerrors; i++) {
		const ksd_op_error *e = &scan->errors[i];
		fputs(i ? ",{\"path\":" : "{\"path\":", out);
		json_str(out, e->path);
		fputs(",\"error\":", out);
		json_str(out, ksd_strerror(e->err));
		fputs(",\"detail\":", out);
		json_str(out, e->sys_errno ? strerror(e->sys_errno) : NULL);
		fputc('}', out);
	}
	fputc(']', out);
}

static void emit_config(FILE *out, const ksd_scan *scan)
{
	const ksd_config *c = &scan->cfg;
	fputs(",\n  \"kafka_version\":", out);
	json_str(out, c->kafka_version.known ? c->kafka_version.text : NULL);
	fprintf(out, ",\n  \"level\":\"%s\",\n  \"cleaner\":{\"dedupe_buffer_size\":%" PRIu64
		",\"threads\":%d,\"load_factor\":%.6g,\"enabled\":%s,\"capacity\":%" PRIu64 "}",
		c->level == KSD_LEVEL_CRC ? "crc" : "headers", c->cleaner.dedupe_buffer_size,
		c->cleaner.threads, c->cleaner.load_factor, c->cleaner.enabled ? "true" : "false",
		ksd_cleaner_capacity(&c->cleaner));
}

static void emit_summary(FILE *out, const ksd_scan *scan, const render_opts *ro)
{
	const ksd_totals *t = &scan->totals;
	fprintf(out, ",\n  \"summary\":{\"log_dirs\":%" PRIu64 ",\"partitions\":%" PRIu64
		",\"segments\":%" PRIu64 ",\"bytes\":%" PRIu64 ",\"batches\":%" PRIu64
		",\"records\":%" PRIu64 ",\"errors\":%" PRIu64 ",\"warnings\":%" PRIu64
		",\"info\":%" PRIu64 ",\"suppressed\":%" PRIu64 ",\"operational_errors\":%zu"
		",\"fail_on\":\"%s\",\"exit_code\":%d,\"elapsed_seconds\":%.3f}\n}\n",
		t->logdirs, t->partitions, t->segments, t->log_bytes, t->batches, t->records,
		t->findings_by_severity[KSD_SEV_ERROR], t->findings_by_severity[KSD_SEV_WARNING],
		t->findings_by_severity[KSD_SEV_INFO], t->suppressed, scan->nerrors,
		ksd_severity_name(ro->fail_on), ro->exit_code, ro->elapsed);
}

void render_scan_json(const ksd_scan *scan, const render_opts *ro, FILE *out)
{
	fprintf(out, "{\n  \"tool\":\"ksegdoctor\",\n  \"version\":\"%s\",\n  \"command\":\"scan\"",
		KSD_VERSION);
	emit_config(out, scan);
	fputs(",\n  \"findings\":[", out);
	json_ctx c = {out, true};
	ksd_scan_visit_findings(scan, emit_finding, &c);
	fputs(c.first ? "]" : "\n  ]", out);
	emit_errors(out, scan);
	fputs(",\n  \"log_dirs\":[", out);
	for (size_t i = 0; i < scan->nlogdirs; i++)
		emit_logdir(out, &scan->logdirs[i], i == 0);
	fputs("]", out);
	emit_summary(out, scan, ro);
}
