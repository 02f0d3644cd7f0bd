/*
 * The problem table (rows in ksd/problems.def) and the findings list.
 */
#include "ksd/problem.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const ksd_problem_info problem_table[KSD_P__COUNT] = {
#define KSD_PROBLEM(id, code, sev, scope, summary, why, broker, fix) \
	[KSD_P_##id] = {KSD_P_##id, code, KSD_SEV_##sev, KSD_SCOPE_##scope, \
			summary, why, broker, fix},
#include "ksd/problems.def"
#undef KSD_PROBLEM
};

const ksd_problem_info *ksd_problem_get(ksd_problem id)
{
	if ((unsigned)id >= KSD_P__COUNT)
		return NULL;
	return &problem_table[id];
}

const ksd_problem_info *ksd_problem_by_code(const char *code)
{
	for (unsigned i = 0; i < KSD_P__COUNT; i++)
		if (strcmp(problem_table[i].code, code) == 0)
			return &problem_table[i];
	return NULL;
}

static const char *const severity_names[] = {"info", "warning", "error"};

const char *ksd_severity_name(ksd_severity s)
{
	return (unsigned)s < 3 ? severity_names[s] : "?";
}

bool ksd_severity_parse(const char *s, ksd_severity *out)
{
	for (unsigned i = 0; i < 3; i++) {
		if (strcmp(s, severity_names[i]) == 0) {
			*out = (ksd_severity)i;
			return true;
		}
	}
	return false;
}

const char *ksd_scope_name(ksd_scope s)
{
	switch (s) {
	case KSD_SCOPE_SEGMENT: return "segment";
	case KSD_SCOPE_PARTITION: return "partition";
	case KSD_SCOPE_LOGDIR: return "log-dir";
	case KSD_SCOPE_BROKER: return "broker";
	}
	return "?";
}

void ksd_findings_init(ksd_findings *f, unsigned limit_per_problem)
{
	memset(f, 0, sizeof *f);
	f->limit_per_problem = limit_per_problem;
}

void ksd_findings_free(ksd_findings *f)
{
	for (size_t i = 0; i < f->n; i++) {
		free(f->v[i].path);
		free(f->v[i].message);
	}
	free(f->v);
	memset(f, 0, sizeof *f);
}

static bool findings_grow(ksd_findings *f)
{
	if (f->n < f->cap)
		return true;
	size_t cap = f->cap ? f->cap * 2 : 8;
	ksd_finding *v = realloc(f->v, cap * sizeof *v);
	if (!v)
		return false;
	f->v = v;
	f->cap = cap;
	return true;
}

ksd_finding *ksd_report(ksd_findings *f, ksd_problem problem, const char *path,
			int64_t position, const char *fmt, ...)
{
	if (f->limit_per_problem &&
	    f->count_by_problem[problem] >= f->limit_per_problem) {
		f->suppressed[problem]++;
		return NULL;
	}
	if (!findings_grow(f))
		return NULL;
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);

	ksd_finding *fi = &f->v[f->n];
	memset(fi, 0, sizeof *fi);
	fi->problem = problem;
	fi->severity = problem_table[problem].severity;
	fi->position = position;
	fi->path = path ? strdup(path) : NULL;
	fi->message = strdup(msg);
	if ((path && !fi->path) || !fi->message) {
		free(fi->path);
		free(fi->message);
		return NULL;
	}
	f->n++;
	f->count_by_problem[problem]++;
	return fi;
}

static ksd_field *finding_field(ksd_finding *fi, const char *name,
				ksd_field_type type)
{
	if (!fi || fi->nfields >= KSD_FINDING_MAX_FIELDS)
		return NULL;
	ksd_field *fl = &fi->fields[fi->nfields++];
	fl->name = name;
	fl->type = type;
	return fl;
}

void ksd_finding_int(ksd_finding *fi, const char *name, int64_t v)
{
	ksd_field *fl = finding_field(fi, name, KSD_F_INT);
	if (fl)
		fl->v.i = v;
}

void ksd_finding_uint(ksd_finding *fi, const char *name, uint64_t v)
{
	ksd_field *fl = finding_field(fi, name, KSD_F_UINT);
	if (fl)
		fl->v.u = v;
}

void ksd_finding_hex32(ksd_finding *fi, const char *name, uint32_t v)
{
	ksd_field *fl = finding_field(fi, name, KSD_F_HEX32);
	if (fl)
		fl->v.u = v;
}

void ksd_finding_bool(ksd_finding *fi, const char *name, bool v)
{
	ksd_field *fl = finding_field(fi, name, KSD_F_BOOL);
	if (fl)
		fl->v.b = v;
}

void ksd_finding_str(ksd_finding *fi, const char *name, const char *v)
{
	ksd_field *fl = finding_field(fi, name, KSD_F_STR);
	if (fl)
		fl->v.s = v;
}

void ksd_finding_real(ksd_finding *fi, const char *name, double v)
{
	ksd_field *fl = finding_field(fi, name, KSD_F_REAL);
	if (fl)
		fl->v.d = v;
}
