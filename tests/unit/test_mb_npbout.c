/* SPDX-License-Identifier: MIT */
/* test_mb_npbout.c - reading npb_lu's output and the --binary output check
 * (bench/mb/npbout.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "../../bench/mb/npbout.h"

static const char lu_out[] = "npb_lu class S n 12 iterations 4 threads 2\n"
			     "iter 1/4\n"
			     "iter 2/4\n"
			     "iter 3/4\n"
			     "iter 4/4\n"
			     "residuals 1.5e-12 2e-12 3e-12 4e-12 5.25e-12\n"
			     "errors 1e-10 2e-10 3e-10 4e-10 5e-10\n"
			     "time 0.043\n"
			     "memory 2704"; /* no '\n' at the end */

static void test_iter_line(void **state)
{
	long k = -1, t = -1;

	(void)state;
	assert_int_equal(npb_iter_line("iter 3/250", &k, &t), 0);
	assert_true(k == 3 && t == 250);
	assert_int_equal(npb_iter_line("iter 250/250\n", &k, &t), 0);
	assert_int_equal(npb_iter_line("iter 3", &k, &t), -EINVAL);
	assert_int_equal(npb_iter_line("iter /5", &k, &t), -EINVAL);
	assert_int_equal(npb_iter_line("iter 3/", &k, &t), -EINVAL);
	assert_int_equal(npb_iter_line("iter 3/5 x", &k, &t), -EINVAL);
	assert_int_equal(npb_iter_line("iter 3/0", &k, &t), -EINVAL);
	assert_int_equal(npb_iter_line("iters 3/5", &k, &t), -EINVAL);
}

static void test_scan(void **state)
{
	struct npb_out o;

	(void)state;
	npb_scan(lu_out, strlen(lu_out), &o);
	assert_true(o.has_residuals);
	assert_true(o.res[0] == 1.5e-12 && o.res[4] == 5.25e-12);
	assert_int_equal(o.iters, 4);
	assert_int_equal(o.memory_kib, 2704);
	npb_scan("iter 1/2\n", 9, &o);
	assert_false(o.has_residuals);
	assert_int_equal(o.memory_kib, -1);
	npb_scan("", 0, &o);
	assert_int_equal(o.iters, 0);
}

static void test_offset(void **state)
{
	const char *two = strstr(lu_out, "iter 3/4");

	(void)state;
	assert_int_equal(npb_offset_after(lu_out, strlen(lu_out), 2), two - lu_out);
	assert_int_equal(npb_offset_after(lu_out, strlen(lu_out), 4),
			 strstr(lu_out, "residuals") - lu_out);
	assert_int_equal(npb_offset_after(lu_out, strlen(lu_out), 5), -1);
	assert_int_equal(npb_offset_after("iter 1/1", 8, 1), 8); /* the last line, no '\n' */
}

static void test_completes(void **state)
{
	const char *full = "a\nb\nc\nd\n";

	(void)state;
	/* killed right at the checkpoint: before + after = full */
	assert_true(npb_output_completes(full, 8, "a\nb\n", 4, "c\nd\n", 4));
	/* the original went on past the checkpoint before the kill */
	assert_true(npb_output_completes(full, 8, "a\nb\nc\n", 6, "c\nd\n", 4));
	/* the checkpoint came before any output */
	assert_true(npb_output_completes(full, 8, "", 0, full, 8));
	assert_true(npb_output_completes("", 0, NULL, 0, NULL, 0));
	/* a line lost between the two */
	assert_false(npb_output_completes(full, 8, "a\n", 2, "c\nd\n", 4));
	/* a different end */
	assert_false(npb_output_completes(full, 8, "a\nb\n", 4, "c\nX\n", 4));
	/* a different beginning */
	assert_false(npb_output_completes(full, 8, "X\nb\n", 4, "c\nd\n", 4));
	/* more output after the restart than the whole run */
	assert_false(npb_output_completes(full, 8, "", 0, "a\nb\nc\nd\ne\n", 10));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_iter_line),
		cmocka_unit_test(test_scan),
		cmocka_unit_test(test_offset),
		cmocka_unit_test(test_completes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
