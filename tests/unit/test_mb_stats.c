/* SPDX-License-Identifier: MIT */
/* test_mb_stats.c - median, min and max of mtcp-bench's runs (bench/mb/stats.c,
 * result.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <string.h>

#include "../../bench/mb/result.h"
#include "../../bench/mb/stats.h"

static void test_odd_even(void **state)
{
	const double odd[] = { 5, 1, 3 }, even[] = { 4, 1, 3, 2 }, one[] = { 7.5 };
	const double two[] = { 2, 1 }, same[] = { 2, 2, 2, 2 };
	struct mb_stat s;

	(void)state;
	mb_stat_of(odd, 3, &s);
	assert_int_equal(s.n, 3);
	assert_true(s.med == 3 && s.min == 1 && s.max == 5);
	mb_stat_of(even, 4, &s);
	assert_int_equal(s.n, 4);
	assert_true(s.med == 2.5 && s.min == 1 && s.max == 4);
	mb_stat_of(one, 1, &s);
	assert_true(s.n == 1 && s.med == 7.5 && s.min == 7.5 && s.max == 7.5);
	mb_stat_of(two, 2, &s);
	assert_true(s.med == 1.5 && s.min == 1 && s.max == 2);
	mb_stat_of(same, 4, &s);
	assert_true(s.med == 2 && s.min == 2 && s.max == 2);
}

static void test_nan_and_empty(void **state)
{
	const double v[] = { NAN, 3, NAN, 1 }, all_nan[] = { NAN, NAN };
	double in[] = { 3, 1, 2 };
	struct mb_stat s;

	(void)state;
	mb_stat_of(v, 4, &s); /* the NANs are left out: 1, 3 */
	assert_true(s.n == 2 && s.med == 2 && s.min == 1 && s.max == 3);
	mb_stat_of(all_nan, 2, &s);
	assert_true(s.n == 0 && isnan(s.med) && isnan(s.min) && isnan(s.max));
	mb_stat_of(NULL, 0, &s);
	assert_true(s.n == 0 && isnan(s.med));
	mb_stat_of(in, 3, &s); /* the input is not sorted in place */
	assert_true(in[0] == 3 && in[1] == 1 && in[2] == 2);
}

static void test_ratio(void **state)
{
	(void)state;
	assert_true(mb_ratio(1, 4) == 0.25);
	assert_true(isnan(mb_ratio(1, 0)));
	assert_true(isnan(mb_ratio(NAN, 1)));
	assert_true(isnan(mb_ratio(1, NAN)));
	assert_true(isnan(mb_ratio(1, -1)));
}

static void test_point(void **state)
{
	struct mb_run r[4];
	struct mb_point p;

	(void)state;
	for (unsigned i = 0; i < 4; i++) {
		mb_run_init(&r[i], i + 1);
		r[i].pause_s = 0.1 * (i + 1);	   /* 0.1 .. 0.4: median 0.25 */
		r[i].todisk_s = 1.0 + i;	   /* median 2.5 */
		r[i].restart_s = i == 2 ? NAN : 2; /* 3 values of 2 */
		r[i].image_bytes = 1000 + i;	   /* median 1001.5 -> 1002 */
		r[i].write_base_s = 0.5;
		r[i].read_base_s = 1;
		r[i].base_bytes = 1048576;
		r[i].data_bytes = 4096;
	}
	r[3].ok = 0;
	mb_point_of(r, 4, &p);
	assert_int_equal(p.runs, 4);
	assert_true(fabs(p.pause.med - 0.25) < 1e-12);
	assert_true(fabs(p.pause.min - 0.1) < 1e-12 && fabs(p.pause.max - 0.4) < 1e-12);
	assert_true(p.todisk.med == 2.5);
	assert_int_equal(p.restart.n, 3);
	assert_true(p.restart.med == 2);
	assert_int_equal(p.image_bytes, 1002);
	assert_true(fabs(p.pause_ratio - 0.5) < 1e-12);
	assert_true(p.todisk_ratio == 5);
	assert_true(p.restart_ratio == 2);
	assert_int_equal(p.data_bytes, 4096);
	assert_int_equal(p.base_bytes, 1048576);
	assert_true(isnan(p.criu_pause_s) && p.criu_image_bytes == -1);
	assert_int_equal(p.residual_ok, -1); /* not an npb point */
	assert_int_equal(p.ok, 0);	     /* one run failed */

	for (unsigned i = 0; i < 4; i++)
		r[i].residual_ok = 1;
	r[3].ok = 1;
	mb_point_of(r, 4, &p);
	assert_int_equal(p.residual_ok, 1);
	assert_int_equal(p.ok, 1);
	r[1].residual_ok = 0;
	mb_point_of(r, 4, &p);
	assert_int_equal(p.residual_ok, 0);

	mb_point_of(r, 0, &p);
	assert_int_equal(p.runs, 0);
	assert_int_equal(p.ok, 0);
	assert_true(isnan(p.pause.med));
	assert_int_equal(p.image_bytes, -1);
}

static void test_slope(void **state)
{
	const double x[] = { 0.25, 1, 4, 8 }, y[] = { 0.01125, 0.045, 0.180, 0.360 };
	const double xn[] = { 1, NAN, 3, 5 }, yn[] = { 2, 100, NAN, 6 };
	const double same[] = { 2, 2, 2 }, ys[] = { 1, 2, 3 };

	(void)state;
	/* y = 0.045 x exactly: the slope, whatever the spacing */
	assert_true(fabs(mb_slope(x, y, 4) - 0.045) < 1e-9);
	/* least squares through (1, 1), (2, 2), (3, 4): 1.5 */
	assert_true(fabs(mb_slope((double[]){ 1, 2, 3 }, (double[]){ 1, 2, 4 }, 3) - 1.5) < 1e-12);
	/* NAN pairs are left out: (1, 2), (5, 6) */
	assert_true(fabs(mb_slope(xn, yn, 4) - 1.0) < 1e-12);
	assert_true(isnan(mb_slope(x, y, 1)));
	assert_true(isnan(mb_slope(x, y, 0)));
	assert_true(isnan(mb_slope(same, ys, 3)));
}

/* a field of records: doubles, and sizes where -1 is not measured */
static void test_fields(void **state)
{
	struct rec {
		char pad[3];
		double d;
		long long sz;
	} r[4] = { { "", 3.0, 10 }, { "", 1.0, -1 }, { "", 2.0, 30 }, { "", NAN, 20 } };
	struct mb_stat s;
	(void)state;

	mb_stat_of_field(r, sizeof(r[0]), 4, offsetof(struct rec, d), &s);
	assert_int_equal(s.n, 3);
	assert_true(s.med == 2.0 && s.min == 1.0 && s.max == 3.0);
	assert_int_equal(mb_stat_of_size(r, sizeof(r[0]), 4, offsetof(struct rec, sz), &s), 20);
	assert_int_equal(s.n, 3);
	assert_int_equal(mb_stat_of_size(r, sizeof(r[0]), 1, offsetof(struct rec, sz), NULL), 10);
	assert_int_equal(mb_stat_of_size(&r[1], sizeof(r[0]), 1, offsetof(struct rec, sz), NULL), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_odd_even),
		cmocka_unit_test(test_nan_and_empty),
		cmocka_unit_test(test_ratio),
		cmocka_unit_test(test_point),
		cmocka_unit_test(test_slope),
		cmocka_unit_test(test_fields),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
