/* SPDX-License-Identifier: MIT */
/* test_mb_runplan.c - the order of a run's units in mtcp-bench
 * (bench/mb/runplan.c): sides and baseline, odd and even runs, the text. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "../../bench/mb/runplan.h"

static const char *const names[] = { "stw", "cow" };

/* the text of run's order */
static const char *plan(unsigned run, size_t nsides, int with_base)
{
	static char buf[64];
	int order[3];
	size_t n = mb_plan(run, nsides, with_base, order);

	assert_int_equal(n, nsides + (with_base != 0));
	mb_plan_text(order, n, names, "base", buf, sizeof buf);
	return buf;
}

static void test_one_side(void **state)
{
	(void)state;
	/* the old order (targets.sh's, mtcp-bench's): checkpoint first in odd runs */
	assert_string_equal(plan(1, 1, 1), "stw-base");
	assert_string_equal(plan(2, 1, 1), "base-stw");
	assert_string_equal(plan(3, 1, 1), "stw-base");
	assert_string_equal(plan(1, 1, 0), "stw");
	assert_string_equal(plan(2, 1, 0), "stw");
}

static void test_two_sides(void **state)
{
	(void)state;
	/* every pair swaps from one run to the next */
	assert_string_equal(plan(1, 2, 1), "stw-cow-base");
	assert_string_equal(plan(2, 2, 1), "base-cow-stw");
	assert_string_equal(plan(5, 2, 1), "stw-cow-base");
	assert_string_equal(plan(6, 2, 1), "base-cow-stw");
	assert_string_equal(plan(1, 2, 0), "stw-cow");
	assert_string_equal(plan(2, 2, 0), "cow-stw");
}

static void test_indexes(void **state)
{
	int order[3];

	(void)state;
	assert_int_equal(mb_plan(2, 2, 1, order), 3);
	assert_int_equal(order[0], MB_UNIT_BASE);
	assert_int_equal(order[1], 1);
	assert_int_equal(order[2], 0);
}

static void test_text_cut(void **state)
{
	int order[] = { 0, 1, MB_UNIT_BASE };
	char buf[8];

	(void)state;
	mb_plan_text(order, 3, names, "fork", buf, sizeof buf);
	assert_string_equal(buf, "stw-cow"); /* cut to fit, NUL-terminated */
	mb_plan_text(order, 0, names, "fork", buf, sizeof buf);
	assert_string_equal(buf, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_one_side),
		cmocka_unit_test(test_two_sides),
		cmocka_unit_test(test_indexes),
		cmocka_unit_test(test_text_cut),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
