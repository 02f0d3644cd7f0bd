/*
 * Unit tests for the recovery-time schedule (ksd/predict.h): the makespan of
 * partition jobs over num.recovery.threads.per.data.dir threads, longest
 * first, each to the least loaded thread.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "ksd/predict.h"

static void no_jobs_take_no_time(void **state)
{
	(void)state;
	uint64_t none[1] = {0};
	assert_int_equal(ksd_schedule_makespan(none, 0, 4), 0);
}

static void one_thread_is_the_sum(void **state)
{
	(void)state;
	uint64_t w[] = {5, 1, 9, 3};
	assert_int_equal(ksd_schedule_makespan(w, 4, 1), 18);
	uint64_t w0[] = {5, 1, 9, 3}; /* 0 threads is taken as 1 */
	assert_int_equal(ksd_schedule_makespan(w0, 4, 0), 18);
}

static void more_threads_than_jobs_is_the_largest_job(void **state)
{
	(void)state;
	uint64_t w[] = {700, 100, 250};
	assert_int_equal(ksd_schedule_makespan(w, 3, 8), 700);
}

static void longest_first_balances(void **state)
{
	(void)state;
	/* 7,7,6 open the three threads; 6 joins the 6, the 5s the 7s, the 4s
	 * one each: 16 everywhere, the optimum. */
	uint64_t w[] = {4, 5, 6, 7, 4, 5, 6, 7, 4};
	assert_int_equal(ksd_schedule_makespan(w, 9, 3), 16);
	/* The classic case where longest-first is not optimal (9 is): 5|4,
	 * 3 -> 4, 3 -> 5, 3 -> 7: 10. */
	uint64_t v[] = {3, 3, 5, 3, 4};
	assert_int_equal(ksd_schedule_makespan(v, 5, 2), 10);
}

static void large_partitions_do_not_overflow(void **state)
{
	(void)state;
	uint64_t w[] = {UINT64_C(1) << 61, UINT64_C(1) << 61, UINT64_C(1) << 60};
	assert_true(ksd_schedule_makespan(w, 3, 2) == (UINT64_C(1) << 61) + (UINT64_C(1) << 60));
}

static void any_order_stays_within_grahams_bound(void **state)
{
	(void)state;
	/* sum 18, largest 9, 2 threads: 18/2 + 9/2 = 13.5 -> 14. */
	uint64_t w[] = {5, 1, 9, 3};
	assert_int_equal(ksd_schedule_bound(w, 4, 2), 14);
	assert_int_equal(ksd_schedule_bound(w, 4, 1), 18);
	assert_int_equal(ksd_schedule_bound(w, 0, 3), 0);
	/* Listing order 1,3,5,9 on 2 threads: 1|3, 5 -> 1 (6), 9 -> 3 (12):
	 * 12, between the longest-first 9 and the bound 14. */
	uint64_t lpt[] = {5, 1, 9, 3};
	uint64_t best = ksd_schedule_makespan(lpt, 4, 2);
	assert_int_equal(best, 9);
	assert_true(best <= 12 && 12 <= ksd_schedule_bound(w, 4, 2));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(no_jobs_take_no_time),
		cmocka_unit_test(one_thread_is_the_sum),
		cmocka_unit_test(more_threads_than_jobs_is_the_largest_job),
		cmocka_unit_test(longest_first_balances),
		cmocka_unit_test(large_partitions_do_not_overflow),
		cmocka_unit_test(any_order_stays_within_grahams_bound),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
