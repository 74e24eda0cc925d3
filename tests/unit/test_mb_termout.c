/* SPDX-License-Identifier: MIT */
/* test_mb_termout.c - what `mtcp-bench memory --on-term` reads
 * (bench/mb/termout.c): the library's final-checkpoint line after a
 * termination signal (the lines src/engine/on_term.c prints), durable or
 * failed, the last one counting, other lines and near misses left out;
 * the depth of an image from mtcp_restart --verify's output; the share of a
 * grace period and the memory that would fit in it. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <string.h>

#include "../../bench/mb/termout.h"

static void near(double got, double want)
{
	if (fabs(got - want) > 1e-9)
		fail_msg("got %.9f, want %.9f", got, want);
}

static void test_durable(void **state)
{
	struct mb_term_line l;
	const char *t =
		"mtcp: stop-the-world /d/p.1.a.1.mtcp: pause 35.056 ms, durable 35.133 ms\n"
		"mtcp: SIGTERM: final checkpoint /d/bench_prog.77.1a2b3c4d.2.mtcp is durable (paused "
		"1234.567 ms); SIGTERM goes to the program now\n";
	(void)state;

	assert_int_equal(mb_term_parse(t, &l), MB_TERM_DURABLE);
	assert_string_equal(l.sig, "SIGTERM");
	assert_string_equal(l.path, "/d/bench_prog.77.1a2b3c4d.2.mtcp");
	near(l.paused_ms, 1234.567);
	/* no final '\n'; another signal (MTCP_ON_TERM=SIGUSR1); an integer pause */
	t = "mtcp: SIGUSR1: final checkpoint /x y/p.mtcp is durable (paused 12 ms); SIGUSR1 goes to"
	    " the program now";
	assert_int_equal(mb_term_parse(t, &l), MB_TERM_DURABLE);
	assert_string_equal(l.sig, "SIGUSR1");
	assert_string_equal(l.path, "/x y/p.mtcp");
	near(l.paused_ms, 12);
}

static void test_failed_and_last(void **state)
{
	struct mb_term_line l;
	const char *t =
		"mtcp: SIGTERM: final checkpoint /d/a.mtcp is durable (paused 1.000 ms); SIGTERM goes "
		"to the program now\n"
		"mtcp: SIGTERM: the final checkpoint failed: No space left on device; SIGTERM goes to "
		"the program now\n";
	(void)state;

	assert_int_equal(mb_term_parse(t, &l), MB_TERM_FAILED);
	assert_string_equal(l.why, "No space left on device");
	assert_string_equal(l.path, "");
	assert_true(isnan(l.paused_ms));
	/* the last line counts: durable after a failure */
	t = "mtcp: SIGTERM: the final checkpoint failed: x; SIGTERM goes to the program now\n"
	    "mtcp: SIGTERM: final checkpoint /d/b.mtcp is durable (paused 2.5 ms); SIGTERM goes to "
	    "the program now\n";
	assert_int_equal(mb_term_parse(t, &l), MB_TERM_DURABLE);
	assert_string_equal(l.path, "/d/b.mtcp");
	near(l.paused_ms, 2.5);
}

static void test_other_lines(void **state)
{
	static const char *const none[] = {
		"",
		"mtcp: checkpoint failed: x\n",
		"SIGTERM: final checkpoint /d/a.mtcp is durable (paused 1 ms); SIGTERM goes\n",
		"mtcp: TERM: final checkpoint /d/a.mtcp is durable (paused 1 ms); TERM goes\n",
		"mtcp: SIGTERM: final checkpoint  is durable (paused 1 ms); SIGTERM goes\n",
		"mtcp: SIGTERM: final checkpoint /d/a.mtcp is written\n",
		"mtcp: SIGTERM: something else\n",
	};
	struct mb_term_line l;
	(void)state;

	for (size_t i = 0; i < sizeof none / sizeof none[0]; i++)
		if (mb_term_parse(none[i], &l) != MB_TERM_NONE)
			fail_msg("line %zu taken: %s", i, none[i]);
	/* a pause that is not a number: the line counts, the pause does not */
	assert_int_equal(mb_term_parse("mtcp: SIGTERM: final checkpoint /d/a.mtcp is durable "
				       "(paused 1.2.3 ms); SIGTERM goes to the program now",
				       &l),
			 MB_TERM_DURABLE);
	assert_true(isnan(l.paused_ms));
}

static void test_verify_depth(void **state)
{
	const char *full =
		"/d/p.5.a.1.mtcp: ok: pid 5, 2 threads, 3 fds, 20 regions, 1030 extents (4 lz4), "
		"1073741824 bytes of memory ...; complete\n";
	const char *incr =
		"/d/p.5.a.2.mtcp: ok: pid 5, 2 threads, ...; complete\n"
		"chain 0 p.5.a.2.mtcp depth 1 id 0123456789abcdef size 10954752 data 10747904 "
		"inherits 1063256064\n"
		"chain 1 p.5.a.1.mtcp depth 0 id fedcba9876543210 size 1075838976 data 1073741824\n";
	(void)state;

	assert_int_equal(mb_term_verify_depth(full, "/d/p.5.a.1.mtcp"), 0);
	assert_int_equal(mb_term_verify_depth(incr, "/d/p.5.a.2.mtcp"), 1);
	/* another image's line, or none */
	assert_int_equal(mb_term_verify_depth(incr, "/d/p.5.a.1.mtcp"), -1);
	assert_int_equal(mb_term_verify_depth("", "/d/x.mtcp"), -1);
	assert_int_equal(mb_term_verify_depth("/d/x.mtcp: corrupt: y\n", "/d/x.mtcp"), -1);
	/* a chain line without a depth leaves it full */
	assert_int_equal(mb_term_verify_depth("/d/x.mtcp: ok: z\nchain 0 x.mtcp\n", "/d/x.mtcp"), 0);
}

static void test_figures(void **state)
{
	(void)state;
	near(mb_term_share(4.5, 30), 0.15);
	assert_true(isnan(mb_term_share(NAN, 30)));
	assert_true(isnan(mb_term_share(1, 0)));
	assert_true(isnan(mb_term_share(0, 30)));
	/* 1 GiB in 3 s: 10 GiB in 30 s */
	near(mb_term_fit_gib(1073741824.0, 3, 30), 10);
	near(mb_term_fit_gib(536870912.0, 30, 30), 0.5);
	assert_true(isnan(mb_term_fit_gib(-1, 3, 30)));
	assert_true(isnan(mb_term_fit_gib(1e9, NAN, 30)));
	assert_true(isnan(mb_term_fit_gib(INFINITY, 3, 30)));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_durable),	   cmocka_unit_test(test_failed_and_last),
		cmocka_unit_test(test_other_lines), cmocka_unit_test(test_verify_depth),
		cmocka_unit_test(test_figures),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
