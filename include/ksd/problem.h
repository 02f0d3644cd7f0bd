/*
 * ksd/problem.h - the problem table and the findings built from it.
 *
 * Every check reports through this table (e2fsck's problem.c, git fsck's
 * message ids): a finding names its row, carries a message with its numbers
 * and the same numbers as typed fields for JSON, and where in the tree it is.
 * Checks only report; they never decide what to do about a finding.
 */
#ifndef KSD_PROBLEM_H
#define KSD_PROBLEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ksd/error.h"

typedef enum ksd_severity {
	KSD_SEV_INFO = 0,
	KSD_SEV_WARNING = 1,
	KSD_SEV_ERROR = 2,
} ksd_severity;

typedef enum ksd_scope {
	KSD_SCOPE_SEGMENT,
	KSD_SCOPE_PARTITION,
	KSD_SCOPE_LOGDIR,
	KSD_SCOPE_BROKER,
} ksd_scope;

typedef enum ksd_problem {
#define KSD_PROBLEM(id, code, sev, scope, summary, why, broker, fix) KSD_P_##id,
#include "ksd/problems.def"
#undef KSD_PROBLEM
	KSD_P__COUNT
} ksd_problem;

typedef struct ksd_problem_info {
	ksd_problem id;
	const char *code;     /* stable kebab-case id */
	ksd_severity severity; /* default; a check may lower or raise it */
	ksd_scope scope;
	const char *summary;
	const char *why;
	const char *broker;   /* what the broker does with it */
	const char *fix;
} ksd_problem_info;

const ksd_problem_info *ksd_problem_get(ksd_problem id);
/* NULL when no row has that code. */
const ksd_problem_info *ksd_problem_by_code(const char *code);

const char *ksd_severity_name(ksd_severity s);
/* Parses "info", "warning", "error"; false on anything else. */
bool ksd_severity_parse(const char *s, ksd_severity *out);
const char *ksd_scope_name(ksd_scope s);

/* --- findings --------------------------------------------------------- */

typedef enum ksd_field_type {
	KSD_F_INT,  /* int64 */
	KSD_F_UINT, /* uint64 (byte counts, positions) */
	KSD_F_HEX32, /* uint32 shown as 0x%08x, e.g. CRCs */
	KSD_F_BOOL,
	KSD_F_STR,  /* must outlive the report: static or owned by the config */
	KSD_F_REAL,
} ksd_field_type;

typedef struct ksd_field {
	const char *name; /* static JSON key, snake_case */
	ksd_field_type type;
	union {
		int64_t i;
		uint64_t u;
		bool b;
		const char *s;
		double d;
	} v;
} ksd_field;

#define KSD_FINDING_MAX_FIELDS 16

typedef struct ksd_finding {
	ksd_problem problem;
	ksd_severity severity;
	char *path;        /* file or directory the finding is about (owned) */
	int64_t position;  /* byte position in path, or -1 */
	char *message;     /* one line with the numbers (owned) */
	unsigned nfields;
	ksd_field fields[KSD_FINDING_MAX_FIELDS];
} ksd_finding;

/*
 * An append-only list of findings.  Each partition and log dir owns one, so
 * parallel workers never share a list.  `limit_per_problem` bounds memory on
 * hostile input (a file of a million bad batches): further findings of a
 * problem already at the limit are only counted in `suppressed`.
 */
typedef struct ksd_findings {
	ksd_finding *v;
	size_t n, cap;
	unsigned limit_per_problem;
	unsigned count_by_problem[KSD_P__COUNT];
	uint64_t suppressed[KSD_P__COUNT];
} ksd_findings;

void ksd_findings_init(ksd_findings *f, unsigned limit_per_problem);
void ksd_findings_free(ksd_findings *f);

/*
 * Starts a finding of `problem` at its default severity.  Returns NULL when
 * the list is at its limit for that problem (the finding is counted as
 * suppressed) or memory ran out; callers then skip adding fields.
 * `fmt` formats the message.
 */
ksd_finding *ksd_report(ksd_findings *f, ksd_problem problem, const char *path,
			int64_t position, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

void ksd_finding_int(ksd_finding *fi, const char *name, int64_t v);
void ksd_finding_uint(ksd_finding *fi, const char *name, uint64_t v);
void ksd_finding_hex32(ksd_finding *fi, const char *name, uint32_t v);
void ksd_finding_bool(ksd_finding *fi, const char *name, bool v);
void ksd_finding_str(ksd_finding *fi, const char *name, const char *v);
void ksd_finding_real(ksd_finding *fi, const char *name, double v);

#endif
