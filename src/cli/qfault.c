/*
 * qfault.c - KSEGDOCTOR_FAULT / KSEGDOCTOR_FAULT_TRACE (see qfault.h).
 * Process-wide by nature: one command runs one operation.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "qfault.h"

enum { MAX_RULES = 8 };

typedef struct fault_rule {
	char step[32];
	unsigned long nth; /* 1-based call to fail */
	int err;           /* 0: SIGKILL */
} fault_rule;

typedef struct fault_state {
	fault_rule rules[MAX_RULES];
	size_t nrules;
	const char *trace;
	struct {
		char step[32];
		unsigned long calls;
	} counts[32];
	size_t ncounts;
} fault_state;

static fault_state g_fault;

static const struct {
	const char *name;
	int value;
} errno_names[] = {
	{"EIO", EIO},       {"ENOSPC", ENOSPC}, {"EXDEV", EXDEV},   {"EACCES", EACCES},
	{"EPERM", EPERM},   {"EROFS", EROFS},   {"EDQUOT", EDQUOT}, {"ENOENT", ENOENT},
	{"EINTR", EINTR},   {"EBUSY", EBUSY},
};

static int parse_errno(const char *s)
{
	for (size_t i = 0; i < sizeof errno_names / sizeof *errno_names; i++)
		if (strcmp(s, errno_names[i].name) == 0)
			return errno_names[i].value;
	char *end;
	long v = strtol(s, &end, 10);
	return *s && !*end && v > 0 && v < 4096 ? (int)v : -1;
}

/* "step:N[:ERRNO|kill]" */
static bool parse_rule(char *spec, fault_rule *r)
{
	char *step = strtok(spec, ":");
	char *nth = strtok(NULL, ":");
	char *what = strtok(NULL, ":");
	if (!step || !nth || strlen(step) >= sizeof r->step)
		return false;
	char *end;
	unsigned long n = strtoul(nth, &end, 10);
	if (*end || n == 0)
		return false;
	snprintf(r->step, sizeof r->step, "%s", step);
	r->nth = n;
	r->err = EIO;
	if (what && strcmp(what, "kill") == 0)
		r->err = 0;
	else if (what && (r->err = parse_errno(what)) < 0)
		return false;
	return true;
}

static unsigned long count_call(fault_state *s, const char *step)
{
	for (size_t i = 0; i < s->ncounts; i++)
		if (strcmp(s->counts[i].step, step) == 0)
			return ++s->counts[i].calls;
	if (s->ncounts == sizeof s->counts / sizeof *s->counts)
		return 0;
	snprintf(s->counts[s->ncounts].step, sizeof s->counts[0].step, "%s", step);
	s->counts[s->ncounts].calls = 1;
	return s->counts[s->ncounts++].calls;
}

static void trace(const fault_state *s, const char *step, const char *path)
{
	if (!s->trace)
		return;
	FILE *f = fopen(s->trace, "ae");
	if (!f)
		return;
	fprintf(f, "%s\t%s\n", step, path ? path : "");
	fclose(f);
}

static int fault_hook(void *ud, const char *step, const char *path)
{
	fault_state *s = ud;
	unsigned long n = count_call(s, step);
	trace(s, step, path);
	for (size_t i = 0; i < s->nrules; i++) {
		const fault_rule *r = &s->rules[i];
		if (r->nth != n || strcmp(r->step, step) != 0)
			continue;
		if (r->err == 0) {
			fflush(NULL);
			kill(getpid(), SIGKILL);
			_exit(137); /* not reached */
		}
		return r->err;
	}
	return 0;
}

void qfault_install(ksd_qop_opts *o)
{
	const char *spec = getenv("KSEGDOCTOR_FAULT");
	const char *tr = getenv("KSEGDOCTOR_FAULT_TRACE");
	if ((!spec || !*spec) && (!tr || !*tr))
		return;
	fault_state *s = &g_fault;
	memset(s, 0, sizeof *s);
	s->trace = tr && *tr ? tr : NULL;
	if (spec && *spec) {
		char buf[512];
		snprintf(buf, sizeof buf, "%s", spec);
		char *save = NULL;
		for (char *one = strtok_r(buf, ",", &save); one && s->nrules < MAX_RULES;
		     one = strtok_r(NULL, ",", &save)) {
			char rule[128];
			snprintf(rule, sizeof rule, "%s", one);
			if (parse_rule(rule, &s->rules[s->nrules]))
				s->nrules++;
			else
				fprintf(stderr, "ksegdoctor: ignoring bad KSEGDOCTOR_FAULT rule '%s'\n", one);
		}
	}
	o->fault = fault_hook;
	o->fault_ud = s;
}
