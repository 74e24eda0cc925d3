/* SPDX-License-Identifier: MIT */
/* test_npb_lu.c - bench/progs/npb: lu_compare, the norm-line parser, and a small
 * solve that must repeat bit for bit and converge. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "../../bench/progs/npb/lu.h"

static int cmp1(double a, double b, double tol)
{
	return lu_compare(&a, &b, 1, tol, NULL, 0);
}

static void compare_equal(void **state)
{
	double a[5] = { 1.5e-3, 2.0, -3.25, 4e-200, 5e100 };
	double b[5];
	char why[128] = "junk";

	(void)state;
	memcpy(b, a, sizeof(a));
	assert_int_equal(lu_compare(a, b, 5, 1e-12, why, sizeof(why)), 0);
	assert_string_equal(why, "");
	assert_int_equal(lu_compare(a, b, 5, 0.0, why, sizeof(why)), 0);
	assert_int_equal(lu_compare(a, b, 0, 1e-12, why, sizeof(why)), 0);
}

static void compare_tolerance(void **state)
{
	char why[128];
	double a[3] = { 1.0, 2.0, 3.0 }, b[3] = { 1.0, 2.0, 3.0 * (1 + 3e-12) };

	(void)state;
	assert_int_equal(cmp1(1.0, 1.0 + 5e-13, 1e-12), 0);
	assert_int_equal(cmp1(1e-7, 1e-7 * (1 + 9e-13), 1e-12), 0);
	assert_int_equal(cmp1(1.0, 1.0 + 2e-12, 1e-12), -1);
	assert_int_equal(cmp1(1e-7, 1e-7 * (1 + 2e-12), 1e-12), -1);
	/* the scale is the larger of the two, whichever side it is on */
	assert_int_equal(cmp1(1.0 + 5e-13, 1.0, 1e-12), 0);
	/* the first disagreement is named, 1-based */
	assert_int_equal(lu_compare(a, b, 3, 1e-12, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "value 3"));
	assert_int_equal(lu_compare(a, b, 3, 1e-11, why, sizeof(why)), 0);
	/* a short buffer is cut, not overrun */
	why[5] = 'x';
	assert_int_equal(lu_compare(a, b, 3, 1e-12, why, 4), -1);
	assert_int_equal(strlen(why), 3);
	assert_int_equal(why[5], 'x');
}

static void compare_signs_and_zeros(void **state)
{
	(void)state;
	assert_int_equal(cmp1(-2.0, -2.0 * (1 + 1e-13), 1e-12), 0);
	assert_int_equal(cmp1(1e-5, -1e-5, 1e-12), -1);
	/* |diff| is twice the larger: only a tolerance of 2 lets it through */
	assert_int_equal(cmp1(1e-5, -1e-5, 1.0), -1);
	assert_int_equal(cmp1(1e-5, -1e-5, 2.0), 0);
	assert_int_equal(cmp1(0.0, 0.0, 1e-12), 0);
	assert_int_equal(cmp1(0.0, -0.0, 0.0), 0);
	assert_int_equal(cmp1(0.0, 1e-300, 1e-12), -1);
	assert_int_equal(cmp1(-4.9e-324, 0.0, 1e-12), -1);
	assert_int_equal(cmp1(INFINITY, INFINITY, 1e-12), 0);
	assert_int_equal(cmp1(INFINITY, -INFINITY, 1e-12), -1);
	assert_int_equal(cmp1(INFINITY, 1e308, 1e-12), -1);
}

static void compare_nan_and_bad_tolerance(void **state)
{
	double a[2] = { 1.0, NAN }, b[2] = { 1.0, NAN };
	char why[128];

	(void)state;
	assert_int_equal(lu_compare(a, b, 2, 1e-12, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "value 2"));
	assert_int_equal(cmp1(NAN, 1.0, 1e-12), -1);
	assert_int_equal(cmp1(1.0, NAN, 1e300), -1);
	assert_int_equal(cmp1(1.0, 1.0, -1e-12), -1);
	assert_int_equal(cmp1(1.0, 1.0, NAN), -1);
	assert_int_equal(lu_compare(a, b, -1, 1e-12, why, sizeof(why)), -1);
}

static void parse_good(void **state)
{
	const double v[5] = { 6.22242912119302126e-12, 1.0, -0.0, 1.234567890123456789e+300,
			      4.9e-324 };
	double out[5];
	char line[256];
	int len = 0;

	(void)state;
	/* what npb_lu prints comes back bit for bit */
	len += snprintf(line + len, sizeof(line) - len, "residuals");
	for (int m = 0; m < 5; m++)
		len += snprintf(line + len, sizeof(line) - len, " %.17e", v[m]);
	snprintf(line + len, sizeof(line) - len, "\n");
	assert_int_equal(lu_parse_residuals(line, out), 0);
	assert_memory_equal(out, v, sizeof(v));

	assert_int_equal(lu_parse_residuals("residuals 1 2 3 4 5", out), 0);
	assert_true(out[0] == 1.0 && out[4] == 5.0);
	assert_int_equal(lu_parse_residuals("residuals\t1  2 3 4 5 \r\n", out), 0);
	assert_int_equal(lu_parse_norms("errors 1e-3 2 3 4 5\n", "errors", out), 0);
	assert_true(out[0] == 1e-3);
	/* NaN parses; lu_compare is the one that refuses it */
	assert_int_equal(lu_parse_residuals("residuals nan 2 3 4 5", out), 0);
	assert_true(isnan(out[0]));
}

static void parse_missing(void **state)
{
	double out[5];

	(void)state;
	assert_int_equal(lu_parse_residuals("residuals 1 2 3 4", out), -EINVAL);
	assert_int_equal(lu_parse_residuals("residuals 1 2 3 4\n", out), -EINVAL);
	assert_int_equal(lu_parse_residuals("residuals", out), -EINVAL);
	assert_int_equal(lu_parse_residuals("residuals \n", out), -EINVAL);
	assert_int_equal(lu_parse_residuals("residuals 1 2 3 4\n5", out), -EINVAL);
	assert_int_equal(lu_parse_residuals("", out), -EINVAL);
}

static void parse_garbage(void **state)
{
	double out[5];

	(void)state;
	assert_int_equal(lu_parse_residuals("residuals 1 2 x 4 5", out), -EINVAL);
	assert_int_equal(lu_parse_residuals("residuals 1 2 3 4 5 6", out), -EINVAL);
	assert_int_equal(lu_parse_residuals("residuals 1 2 3 4 5 junk", out), -EINVAL);
	assert_int_equal(lu_parse_residuals("residuals 1,2,3,4,5", out), -EINVAL);
	assert_int_equal(lu_parse_residuals("residuals 1 2 3 4 5x", out), -EINVAL);
	assert_int_equal(lu_parse_residuals("residualsX 1 2 3 4 5", out), -EINVAL);
	assert_int_equal(lu_parse_residuals("residuals1 2 3 4 5 6", out), -EINVAL);
	assert_int_equal(lu_parse_residuals(" residuals 1 2 3 4 5", out), -EINVAL);
	assert_int_equal(lu_parse_residuals("errors 1 2 3 4 5", out), -EINVAL);
	assert_int_equal(lu_parse_residuals("iter 3/250", out), -EINVAL);
	assert_int_equal(lu_parse_residuals("residuals 1 2 3 4 5\n6", out), -EINVAL);
}

static void classes(void **state)
{
	(void)state;
	assert_int_equal(lu_class_find("S")->n, 12);
	assert_int_equal(lu_class_find("w")->iters, 300);
	assert_int_equal(lu_class_find("A")->n, 64);
	assert_int_equal(lu_class_find("B")->n, 102);
	assert_null(lu_class_find("C"));
	assert_null(lu_class_find("AA"));
	assert_null(lu_class_find(""));
}

/* n = 10, 20 iterations: 512 interior points, well under a second with the
 * sanitizers */
#define TN 10
#define TITERS 20

static void solve_repeats(void **state)
{
	double r1[5], e1[5], r2[5], e2[5];

	(void)state;
	assert_int_equal(lu_run(TN, TITERS, r1, e1), 0);
	assert_int_equal(lu_run(TN, TITERS, r2, e2), 0);
	assert_memory_equal(r1, r2, sizeof(r1));
	assert_memory_equal(e1, e2, sizeof(e1));
#ifdef _OPENMP
	/* and whatever the thread count: every point has one order of work */
	int old = omp_get_max_threads();
	for (int t = 1; t <= 3; t++) {
		omp_set_num_threads(t);
		assert_int_equal(lu_run(TN, TITERS, r2, e2), 0);
		assert_memory_equal(r1, r2, sizeof(r1));
		assert_memory_equal(e1, e2, sizeof(e1));
	}
	omp_set_num_threads(old);
#endif
	for (int m = 0; m < 5; m++)
		assert_true(isfinite(r1[m]) && r1[m] > 0.0);
}

static void solve_converges(void **state)
{
	double r0[5], e0[5], r1[5], e1[5], r2[5], e2[5];

	(void)state;
	assert_int_equal(lu_run(TN, 0, r0, e0), 0);
	assert_int_equal(lu_run(TN, 5, r1, e1), 0);
	assert_int_equal(lu_run(TN, TITERS, r2, e2), 0);
	for (int m = 0; m < 5; m++) {
		/* the first guess is off by percents; 5 iterations take off
		 * a factor of 5 to 60, the next 15 three orders or more
		 * (measured: 8.5e3 to 2.8e4 for the errors) */
		assert_true(e0[m] > 1e-2);
		assert_true(e1[m] < e0[m] / 3);
		assert_true(e2[m] < e1[m] / 1000);
		assert_true(r1[m] < r0[m] / 10);
		assert_true(r2[m] < r1[m] / 1000);
	}
	assert_int_equal(lu_run(3, 1, r0, e0), -EINVAL);
	assert_int_equal(lu_run(TN, -1, r0, e0), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(compare_equal),
		cmocka_unit_test(compare_tolerance),
		cmocka_unit_test(compare_signs_and_zeros),
		cmocka_unit_test(compare_nan_and_bad_tolerance),
		cmocka_unit_test(parse_good),
		cmocka_unit_test(parse_missing),
		cmocka_unit_test(parse_garbage),
		cmocka_unit_test(classes),
		cmocka_unit_test(solve_repeats),
		cmocka_unit_test(solve_converges),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
