/*
 * Unit tests for ksd/problem.h: the problem table's rows are complete and
 * their codes stable-looking (kebab-case, unique, found by code), and the
 * findings list keeps its per-problem limit, counting what it suppresses.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ksd/problem.h"

static bool is_kebab(const char *s)
{
	/* [a-z0-9]+(-[a-z0-9]+)* */
	if (!*s || *s == '-')
		return false;
	for (const char *p = s; *p; p++) {
		bool alnum = (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9');
		if (!alnum && *p != '-')
			return false;
		if (*p == '-' && (p[1] == '-' || p[1] == '\0'))
			return false;
	}
	return true;
}

static void test_kebab_helper(void **state)
{
	(void)state;
	assert_true(is_kebab("crc-mismatch"));
	assert_true(is_kebab("a"));
	assert_false(is_kebab(""));
	assert_false(is_kebab("-a"));
	assert_false(is_kebab("a-"));
	assert_false(is_kebab("a--b"));
	assert_false(is_kebab("A-b"));
	assert_false(is_kebab("a_b"));
	assert_false(is_kebab("a b"));
}

static void test_table_rows(void **state)
{
	(void)state;
	assert_true(KSD_P__COUNT > 0);
	for (unsigned i = 0; i < KSD_P__COUNT; i++) {
		const ksd_problem_info *p = ksd_problem_get((ksd_problem)i);
		assert_non_null(p);
		assert_int_equal(p->id, i);
		assert_non_null(p->code);
		if (!is_kebab(p->code))
			fail_msg("row %u: code \"%s\" is not kebab-case", i, p->code);
		const char *texts[] = {p->summary, p->why, p->broker, p->fix};
		for (size_t t = 0; t < 4; t++) {
			assert_non_null(texts[t]);
			if (strlen(texts[t]) < 10)
				fail_msg("%s: text %zu is empty or too short", p->code, t);
		}
		assert_true(p->severity >= KSD_SEV_INFO && p->severity <= KSD_SEV_ERROR);
		assert_string_not_equal(ksd_severity_name(p->severity), "?");
		assert_string_not_equal(ksd_scope_name(p->scope), "?");
		/* summaries are one line */
		assert_null(strchr(p->summary, '\n'));
		for (unsigned j = 0; j < i; j++)
			if (strcmp(p->code, ksd_problem_get((ksd_problem)j)->code) == 0)
				fail_msg("code \"%s\" used by rows %u and %u", p->code, j, i);
	}
	assert_null(ksd_problem_get(KSD_P__COUNT));
	assert_null(ksd_problem_get((ksd_problem)-1));
}

static void test_by_code(void **state)
{
	(void)state;
	for (unsigned i = 0; i < KSD_P__COUNT; i++) {
		const ksd_problem_info *p = ksd_problem_get((ksd_problem)i);
		assert_ptr_equal(ksd_problem_by_code(p->code), p);
	}
	/* a few codes the docs and JSON consumers key on */
	static const struct {
		const char *code;
		ksd_problem id;
	} known[] = {
		{"crc-mismatch", KSD_P_CRC_MISMATCH},
		{"torn-tail", KSD_P_TORN_TAIL},
		{"corrupt-entry", KSD_P_CORRUPT_ENTRY},
		{"preallocated-tail", KSD_P_PREALLOCATED_TAIL},
		{"offset-overflow", KSD_P_OFFSET_OVERFLOW},
		{"base-offset-mismatch", KSD_P_BASE_OFFSET_MISMATCH},
		{"segment-overlap", KSD_P_SEGMENT_OVERLAP},
		{"cleaner-map-overflow", KSD_P_CLEANER_MAP_OVERFLOW},
		{"foreign-directory", KSD_P_FOREIGN_DIRECTORY},
	};
	for (size_t i = 0; i < sizeof known / sizeof *known; i++) {
		const ksd_problem_info *p = ksd_problem_by_code(known[i].code);
		assert_non_null(p);
		assert_int_equal(p->id, known[i].id);
	}
	assert_null(ksd_problem_by_code(""));
	assert_null(ksd_problem_by_code("crc"));
	assert_null(ksd_problem_by_code("CRC-MISMATCH"));
	assert_null(ksd_problem_by_code("crc-mismatch "));
}

static void test_severity_and_scope_names(void **state)
{
	(void)state;
	assert_string_equal(ksd_severity_name(KSD_SEV_INFO), "info");
	assert_string_equal(ksd_severity_name(KSD_SEV_WARNING), "warning");
	assert_string_equal(ksd_severity_name(KSD_SEV_ERROR), "error");
	assert_string_equal(ksd_severity_name((ksd_severity)3), "?");
	for (int s = KSD_SEV_INFO; s <= KSD_SEV_ERROR; s++) {
		ksd_severity out = (ksd_severity)-1;
		assert_true(ksd_severity_parse(ksd_severity_name((ksd_severity)s), &out));
		assert_int_equal(out, s);
	}
	ksd_severity out = KSD_SEV_INFO;
	assert_false(ksd_severity_parse("warn", &out));
	assert_false(ksd_severity_parse("ERROR", &out));
	assert_false(ksd_severity_parse("", &out));
	assert_int_equal(out, KSD_SEV_INFO);
	assert_string_equal(ksd_scope_name(KSD_SCOPE_SEGMENT), "segment");
	assert_string_equal(ksd_scope_name(KSD_SCOPE_PARTITION), "partition");
	assert_string_equal(ksd_scope_name(KSD_SCOPE_LOGDIR), "log-dir");
	assert_string_equal(ksd_scope_name(KSD_SCOPE_BROKER), "broker");
	assert_string_equal(ksd_scope_name((ksd_scope)99), "?");
}

static void test_report_fields(void **state)
{
	(void)state;
	ksd_findings f;
	ksd_findings_init(&f, 0);
	ksd_finding *fi = ksd_report(&f, KSD_P_TORN_TAIL, "/x/00.log", 1234,
				     "%d bytes at %s", 17, "the end");
	assert_non_null(fi);
	assert_int_equal(f.n, 1);
	assert_int_equal(fi->problem, KSD_P_TORN_TAIL);
	/* default severity from the table; a check may change it */
	assert_int_equal(fi->severity, ksd_problem_get(KSD_P_TORN_TAIL)->severity);
	assert_string_equal(fi->path, "/x/00.log");
	assert_int_equal(fi->position, 1234);
	assert_string_equal(fi->message, "17 bytes at the end");
	ksd_finding_int(fi, "i", -5);
	ksd_finding_uint(fi, "u", UINT64_MAX);
	ksd_finding_hex32(fi, "h", 0xdeadbeef);
	ksd_finding_bool(fi, "b", true);
	ksd_finding_str(fi, "s", "static");
	ksd_finding_real(fi, "r", 0.25);
	assert_int_equal(fi->nfields, 6);
	assert_string_equal(fi->fields[0].name, "i");
	assert_int_equal(fi->fields[0].type, KSD_F_INT);
	assert_true(fi->fields[0].v.i == -5);
	assert_int_equal(fi->fields[1].type, KSD_F_UINT);
	assert_true(fi->fields[1].v.u == UINT64_MAX);
	assert_int_equal(fi->fields[2].type, KSD_F_HEX32);
	assert_true(fi->fields[2].v.u == 0xdeadbeef);
	assert_int_equal(fi->fields[3].type, KSD_F_BOOL);
	assert_true(fi->fields[3].v.b);
	assert_int_equal(fi->fields[4].type, KSD_F_STR);
	assert_string_equal(fi->fields[4].v.s, "static");
	assert_int_equal(fi->fields[5].type, KSD_F_REAL);
	assert_true(fi->fields[5].v.d == 0.25);
	/* at most KSD_FINDING_MAX_FIELDS; more are dropped, not overflowed */
	for (int i = 0; i < 20; i++)
		ksd_finding_int(fi, "extra", i);
	assert_int_equal(fi->nfields, KSD_FINDING_MAX_FIELDS);
	/* NULL finding (suppressed): the field helpers do nothing */
	ksd_finding_int(NULL, "x", 1);
	ksd_finding_uint(NULL, "x", 1);
	ksd_finding_hex32(NULL, "x", 1);
	ksd_finding_bool(NULL, "x", true);
	ksd_finding_str(NULL, "x", "y");
	ksd_finding_real(NULL, "x", 1.0);

	/* no path, no position */
	fi = ksd_report(&f, KSD_P_UNKNOWN_FILE, NULL, -1, "plain");
	assert_non_null(fi);
	assert_null(fi->path);
	assert_int_equal(fi->position, -1);
	/* a very long message is cut, not overflowed */
	char big[3000];
	memset(big, 'm', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	fi = ksd_report(&f, KSD_P_UNKNOWN_FILE, "p", 0, "%s", big);
	assert_non_null(fi);
	assert_true(strlen(fi->message) > 100);
	assert_true(strlen(fi->message) < sizeof big - 1);
	assert_int_equal(f.n, 3);
	ksd_findings_free(&f);
	assert_int_equal(f.n, 0);
	assert_null(f.v);
}

static void test_limit_suppresses_and_counts(void **state)
{
	(void)state;
	ksd_findings f;
	ksd_findings_init(&f, 3);
	for (int i = 0; i < 10; i++) {
		ksd_finding *fi = ksd_report(&f, KSD_P_CRC_MISMATCH, "seg", i, "bad %d", i);
		if (i < 3) {
			assert_non_null(fi);
			ksd_finding_int(fi, "n", i);
		} else {
			assert_null(fi);
			ksd_finding_int(fi, "n", i); /* harmless */
		}
	}
	assert_int_equal(f.n, 3);
	assert_int_equal(f.count_by_problem[KSD_P_CRC_MISMATCH], 3);
	assert_int_equal(f.suppressed[KSD_P_CRC_MISMATCH], 7);
	/* the kept ones are the first three, in order */
	for (int i = 0; i < 3; i++) {
		assert_int_equal(f.v[i].position, i);
		assert_true(f.v[i].fields[0].v.i == i);
	}
	/* the limit is per problem: another problem still gets its own three */
	for (int i = 0; i < 4; i++)
		(void)ksd_report(&f, KSD_P_TORN_TAIL, "seg", 100 + i, "torn");
	assert_int_equal(f.n, 6);
	assert_int_equal(f.count_by_problem[KSD_P_TORN_TAIL], 3);
	assert_int_equal(f.suppressed[KSD_P_TORN_TAIL], 1);
	assert_int_equal(f.suppressed[KSD_P_CRC_MISMATCH], 7);
	for (unsigned p = 0; p < KSD_P__COUNT; p++)
		if (p != KSD_P_TORN_TAIL && p != KSD_P_CRC_MISMATCH) {
			assert_int_equal(f.count_by_problem[p], 0);
			assert_int_equal(f.suppressed[p], 0);
		}
	ksd_findings_free(&f);

	/* limit 0: unlimited, and the list grows past its first allocation */
	ksd_findings_init(&f, 0);
	for (int i = 0; i < 1000; i++)
		assert_non_null(ksd_report(&f, KSD_P_UNKNOWN_FILE, "d", i, "file %d", i));
	assert_int_equal(f.n, 1000);
	assert_int_equal(f.suppressed[KSD_P_UNKNOWN_FILE], 0);
	assert_int_equal(f.v[999].position, 999);
	assert_string_equal(f.v[999].message, "file 999");
	ksd_findings_free(&f);

	/* limit 1 */
	ksd_findings_init(&f, 1);
	assert_non_null(ksd_report(&f, KSD_P_OFFSET_OVERFLOW, "s", 0, "a"));
	assert_null(ksd_report(&f, KSD_P_OFFSET_OVERFLOW, "s", 1, "b"));
	assert_int_equal(f.n, 1);
	assert_int_equal(f.suppressed[KSD_P_OFFSET_OVERFLOW], 1);
	ksd_findings_free(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kebab_helper),
		cmocka_unit_test(test_table_rows),
		cmocka_unit_test(test_by_code),
		cmocka_unit_test(test_severity_and_scope_names),
		cmocka_unit_test(test_report_fields),
		cmocka_unit_test(test_limit_suppresses_and_counts),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
