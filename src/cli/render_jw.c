/*
 * Findings through the streaming JSON writer, for the commands that build
 * their documents with ksd_jw (recovery, compaction, quarantine): the same
 * object shape as `scan --json`'s findings array.
 */
#include <inttypes.h>
#include <stdio.h>

#include "render.h"

void jw_sink_file(void *ud, const char *p, size_t n)
{
	fwrite(p, 1, n, (FILE *)ud);
}

static void jw_field(ksd_jw *w, const ksd_field *fl)
{
	char hex[16];
	ksd_jw_key(w, fl->name);
	switch (fl->type) {
	case KSD_F_INT: ksd_jw_int(w, fl->v.i); break;
	case KSD_F_UINT: ksd_jw_uint(w, fl->v.u); break;
	case KSD_F_HEX32:
		snprintf(hex, sizeof hex, "0x%08" PRIx32, (uint32_t)fl->v.u);
		ksd_jw_str(w, hex);
		break;
	case KSD_F_BOOL: ksd_jw_bool(w, fl->v.b); break;
	case KSD_F_STR: ksd_jw_str(w, fl->v.s); break;
	case KSD_F_REAL: ksd_jw_real(w, fl->v.d); break;
	}
}

static void jw_int_or_null(ksd_jw *w, const char *key, bool present, int64_t v)
{
	ksd_jw_key(w, key);
	if (present)
		ksd_jw_int(w, v);
	else
		ksd_jw_null(w);
}

void jw_finding(void *ud, const ksd_logdir *ld, const ksd_partition *p, const ksd_segment *s,
		const ksd_finding *f)
{
	ksd_jw *w = ud;
	const ksd_problem_info *pi = ksd_problem_get(f->problem);
	ksd_jw_obj_begin(w);
	ksd_jw_kv_str(w, "code", pi->code);
	ksd_jw_kv_str(w, "severity", ksd_severity_name(f->severity));
	ksd_jw_kv_str(w, "scope", ksd_scope_name(pi->scope));
	ksd_jw_kv_str(w, "path", f->path);
	ksd_jw_kv_str(w, "partition", p ? p->dir_name : NULL);
	ksd_jw_kv_str(w, "log_dir", ld ? ld->path : NULL);
	jw_int_or_null(w, "segment", s != NULL, s ? s->base_offset : 0);
	jw_int_or_null(w, "position", f->position >= 0, f->position);
	ksd_jw_kv_str(w, "message", f->message);
	for (unsigned i = 0; i < f->nfields; i++)
		jw_field(w, &f->fields[i]);
	ksd_jw_obj_end(w);
}
