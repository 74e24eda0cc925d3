/* SPDX-License-Identifier: MIT */
/* test_mb_sweep.c - the points of mtcp-bench's sweeps (bench/mb/sweep.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "../../bench/mb/sweep.h"

struct sweep_case {
	long from, to;
	const char *want; /* the points, comma-separated; "" for none */
};

static void run_cases(const char *what, size_t (*fn)(long, long, long *, size_t),
		      const struct sweep_case *c, size_t n, size_t max)
{
	size_t bad = 0;

	for (size_t i = 0; i < n; i++) {
		long pts[MB_POINTS_MAX];
		char got[512] = "";
		size_t k = fn(c[i].from, c[i].to, pts, max), len = 0;

		for (size_t j = 0; j < k; j++)
			len += (size_t)snprintf(got + len, sizeof got - len, "%s%ld", j ? "," : "",
						pts[j]);
		if (strcmp(got, c[i].want)) {
			print_error("%s(%ld, %ld) = \"%s\"; want \"%s\"\n", what, c[i].from, c[i].to,
				    got, c[i].want);
			bad++;
		}
	}
	assert_int_equal(bad, 0);
}

static void test_doubling(void **state)
{
	static const struct sweep_case cases[] = {
		{ 64, 2048, "64,128,256,512,1024,2048" },
		{ 4, 8, "4,8" },
		{ 3, 10, "3,6,10" },
		{ 5, 5, "5" },
		{ 1, 1, "1" },
		{ 100, 300, "100,200,300" },
		{ 1, 1048576, "1,2,4,8,16,32,64,128,256,512,1024,2048,4096,8192,16384,32768,"
			       "65536,131072,262144,524288,1048576" },
		{ 8, 4, "" },
		{ 0, 4, "" },
	};

	(void)state;
	run_cases("mb_sweep_doubling", mb_sweep_doubling, cases, sizeof cases / sizeof cases[0],
		  MB_POINTS_MAX);
}

static void test_125(void **state)
{
	static const struct sweep_case cases[] = {
		{ 1, 1000, "1,2,5,10,20,50,100,200,500,1000" },
		{ 1, 4, "1,2,4" },
		{ 3, 3, "3" },
		{ 3, 60, "3,5,10,20,50,60" },
		{ 1, 2, "1,2" },
		{ 10, 16000, "10,20,50,100,200,500,1000,2000,5000,10000,16000" },
		{ 7, 9, "7,9" },
		{ 4, 1, "" },
	};

	(void)state;
	run_cases("mb_sweep_125", mb_sweep_125, cases, sizeof cases / sizeof cases[0],
		  MB_POINTS_MAX);
}

static void test_max(void **state)
{
	static const struct sweep_case cases[] = { { 1, 1000, "1,2,5" } };
	static const struct sweep_case dcases[] = { { 1, 1024, "1,2,4" } };

	(void)state;
	run_cases("mb_sweep_125 (max 3)", mb_sweep_125, cases, 1, 3);
	run_cases("mb_sweep_doubling (max 3)", mb_sweep_doubling, dcases, 1, 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_doubling),
		cmocka_unit_test(test_125),
		cmocka_unit_test(test_max),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
