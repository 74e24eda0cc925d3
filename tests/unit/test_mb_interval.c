/* SPDX-License-Identifier: MIT */
/* test_mb_interval.c - the pure parts of mtcp-bench npb --interval
 * (bench/mb/interval.c): the library's checkpoint lines, image names, the
 * children's environment, a run's slowdown and a point's figures
 * (result.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../bench/mb/interval.h"
#include "../../bench/mb/result.h"

#define NEAR(a, b) (fabs((a) - (b)) < 1e-12)

static void test_lines(void **state)
{
	struct mb_iv_log l;

	(void)state;
	mb_iv_log_init(&l);
	assert_int_equal(l.ckpts, 0);
	assert_true(isnan(mb_iv_mean_pause(&l)) && isnan(l.pause_max_s));
	/* as src/engine/checkpoint.c prints them */
	assert_int_equal(mb_iv_line(&l, "mtcp: stop-the-world /d/npb_lu.12.0a1b2c3d.1.mtcp: "
				      "pause 16.122 ms, durable 21.317 ms\n"), MB_IV_STW);
	assert_int_equal(mb_iv_line(&l, "mtcp: copy-on-write /d/npb_lu.12.0a1b2c3d.2.mtcp: pause "
				      "3.878 ms, durable 67.927 ms, extra memory 7024 KiB, copied "
				      "0 KiB, writer 22717"), MB_IV_COW);
	assert_int_equal(l.ckpts, 2);
	assert_int_equal(l.stw, 1);
	assert_int_equal(l.cow, 1);
	assert_true(NEAR(l.pause_sum_s, 0.020));
	assert_true(NEAR(l.pause_max_s, 0.016122));
	assert_true(NEAR(mb_iv_mean_pause(&l), 0.010));
	assert_true(NEAR(mb_iv_mean_durable(&l), (0.021317 + 0.067927) / 2));
	/* a PATH holding ": pause " itself: the last one counts */
	assert_int_equal(mb_iv_line(&l, "mtcp: stop-the-world /d/a: pause 9 ms/p.1.mtcp: pause 4 "
				      "ms, durable 5 ms\r\n"), MB_IV_STW);
	assert_int_equal(l.ckpts, 3);
	assert_true(NEAR(l.pause_sum_s, 0.024));
	/* no durable part: still a checkpoint */
	assert_int_equal(mb_iv_line(&l, "mtcp: stop-the-world /p: pause 2 ms"), MB_IV_STW);
	assert_int_equal(l.ckpts, 4);

	/* failures: counted, the first reason kept */
	assert_int_equal(mb_iv_line(&l, "mtcp: checkpoint failed: cannot write /d/x: No space left"
				      " on device\n"), MB_IV_FAILED);
	assert_int_equal(mb_iv_line(&l, "mtcp: checkpoint failed: other\n"), MB_IV_FAILED);
	assert_int_equal(l.failed, 2);
	assert_string_equal(l.first_failure, "cannot write /d/x: No space left on device");
	assert_int_equal(l.ckpts, 4);
}

static void test_other_lines(void **state)
{
	static const char *const others[] = {
		"",
		"\n",
		/* the per-phase line of the same checkpoint */
		"mtcp: checkpoint /d/p.1.0a1b2c3d.1.mtcp: 100 bytes of memory in 10 bytes (zero 0, "
		"lz4 0->0), 1 extents, 3 threads, 2 helpers, pagemap, pwrite; suspend 1.000 ms, "
		"state 1.000 ms, memory 1.000 ms, finish 1.000 ms, fsync+link 1.000 ms",
		"mtcp: warning: fd 5: something",
		"mtcp: stop-the-world /p: pause ms, durable 1 ms",
		"mtcp: stop-the-world /p: pause 1..2 ms",
		"mtcp: stop-the-world /p: pause -1 ms",
		"mtcp: stop-the-world /p: pause 1e3 ms",
		"mtcp: stop-the-world /p: pause 12 s",
		"mtcp: stop-the-world /p: pause 12 ms and more",
		"mtcp: stop-the-world /p: pause 12 ms, durable x ms",
		"mtcp: stop-the-world : pause 12 ms",  /* no PATH */
		"mtcp: stop-the-world /p pause 12 ms", /* no ": pause " */
		"mtcp: stop-the-world /p: pause 12 ms\nmtcp: more",
		"xmtcp: stop-the-world /p: pause 12 ms",
		"mtcp: copy-on-write-ish /p: pause 12 ms",
		"stop-the-world /p: pause 12 ms",
		"npb_lu: residuals",
	};
	size_t bad = 0;

	(void)state;
	for (size_t i = 0; i < sizeof others / sizeof others[0]; i++) {
		struct mb_iv_log l;
		int rc;

		mb_iv_log_init(&l);
		rc = mb_iv_line(&l, others[i]);
		if (rc != MB_IV_OTHER || l.ckpts || l.failed) {
			print_error("\"%s\": %d (%u checkpoints); want MB_IV_OTHER\n", others[i], rc,
				    l.ckpts);
			bad++;
		}
	}
	assert_int_equal(bad, 0);
}

static void test_image_seq(void **state)
{
	static const struct {
		const char *name;
		long seq;
	} cases[] = {
		{ "npb_lu.22686.93290e92.11.mtcp", 11 },
		{ "npb_lu.1.00000000.1.mtcp", 1 },
		{ "a.b.c.1.0a1b2c3d.7.mtcp", 7 }, /* a PROG with dots */
		{ "npb_lu.22686.93290e92.0.mtcp", -1 },
		{ "npb_lu.22686.93290e92.11.mtcp.tmp", -1 },
		{ "npb_lu.22686.93290E92.11.mtcp", -1 }, /* lowercase hex */
		{ "npb_lu.22686.93290e9.11.mtcp", -1 },	 /* 7 digits */
		{ "npb_lu.x.93290e92.11.mtcp", -1 },
		{ "npb_lu.22686.93290e92..mtcp", -1 },
		{ ".22686.93290e92.11.mtcp", -1 },	 /* no PROG */
		{ "22686.93290e92.11.mtcp", -1 },
		{ "npb_lu.22686.93290e92.1x.mtcp", -1 },
		{ ".mtcp", -1 },
		{ "", -1 },
		{ "stderr.log", -1 },
	};
	size_t bad = 0;

	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		long got = mb_iv_image_seq(cases[i].name);

		if (got != cases[i].seq) {
			print_error("\"%s\": %ld; want %ld\n", cases[i].name, got, cases[i].seq);
			bad++;
		}
	}
	assert_int_equal(bad, 0);
}

static int has(char **env, const char *entry)
{
	for (; *env; env++)
		if (!strcmp(*env, entry))
			return 1;
	return 0;
}

static size_t count(char **env)
{
	size_t n = 0;

	while (env[n])
		n++;
	return n;
}

static void test_env(void **state)
{
	char *base[] = { "PATH=/bin", "MTCP_COW=auto", "MTCP_COWX=1", "OMP_NUM_THREADS=4",
			 "MTCP_VERBOSE", NULL };
	char *bare[] = { "PATH=/bin", NULL };
	const char *force[] = { "MTCP_COW=0", "MTCP_VERBOSE=1" };
	const char *dflt[] = { "OMP_NUM_THREADS=2" };
	char **env;

	(void)state;
	/* forced ones replace, the default stays out when the name is there */
	env = mb_iv_env(base, force, 2, dflt, 1);
	assert_non_null(env);
	assert_int_equal(count(env), 5);
	assert_true(has(env, "PATH=/bin") && has(env, "MTCP_COWX=1"));
	assert_true(has(env, "MTCP_COW=0") && !has(env, "MTCP_COW=auto"));
	assert_true(has(env, "MTCP_VERBOSE=1") && !has(env, "MTCP_VERBOSE"));
	assert_true(has(env, "OMP_NUM_THREADS=4") && !has(env, "OMP_NUM_THREADS=2"));
	free(env);
	/* the default comes in when the name is missing */
	env = mb_iv_env(bare, NULL, 0, dflt, 1);
	assert_non_null(env);
	assert_int_equal(count(env), 2);
	assert_true(has(env, "PATH=/bin") && has(env, "OMP_NUM_THREADS=2"));
	free(env);
	/* a forced name wins over a default of the same name */
	env = mb_iv_env(bare, dflt, 1, (const char *[]){ "OMP_NUM_THREADS=8" }, 1);
	assert_int_equal(count(env), 2);
	assert_true(has(env, "OMP_NUM_THREADS=2"));
	free(env);
	env = mb_iv_env((char *[]){ NULL }, NULL, 0, NULL, 0);
	assert_non_null(env);
	assert_null(env[0]);
	free(env);
}

static void test_fill(void **state)
{
	struct mb_iv_log l;
	struct mb_run r;

	(void)state;
	mb_iv_log_init(&l);
	mb_iv_line(&l, "mtcp: copy-on-write /p: pause 4 ms, durable 900 ms, extra memory 1 KiB");
	mb_iv_line(&l, "mtcp: copy-on-write /p: pause 2 ms, durable 800 ms, extra memory 1 KiB");
	mb_run_init(&r, 1);
	mb_iv_fill(&r, 10, 315, 300, &l, 2);
	assert_true(r.interval_s == 10);
	assert_true(r.wall_s == 315 && r.run_time_s == 300);
	assert_true(NEAR(r.slowdown, 1.05));
	assert_int_equal(r.ckpts, 2);
	assert_int_equal(r.npauses, 2);
	assert_true(NEAR(r.mean_pause_s, 0.003));
	assert_true(NEAR(r.max_pause_s, 0.004));

	/* no checkpoint: a count of 0, no pauses; the slowdown all the same */
	mb_iv_log_init(&l);
	mb_iv_fill(&r, 0.05, 0.2, 0.1, &l, -1);
	assert_int_equal(r.ckpts, 0);
	assert_true(isnan(r.mean_pause_s) && isnan(r.max_pause_s));
	assert_true(NEAR(r.slowdown, 2));
	/* no ratio without a positive plain time or wall time */
	mb_iv_fill(&r, 1, 5, 0, &l, -1);
	assert_true(isnan(r.slowdown));
	mb_iv_fill(&r, 1, 5, NAN, &l, -1);
	assert_true(isnan(r.slowdown));
	mb_iv_fill(&r, 1, NAN, 5, &l, -1);
	assert_true(isnan(r.slowdown));
	mb_iv_fill(&r, 1, INFINITY, 5, &l, -1);
	assert_true(isnan(r.slowdown));
	mb_iv_fill(&r, 1, 5, INFINITY, &l, -1);
	assert_true(isnan(r.slowdown));
}

/* the count: the lines, or the image left when its line was cut off */
static void test_count(void **state)
{
	struct mb_iv_log l;
	struct mb_run r;

	(void)state;
	mb_iv_log_init(&l);
	assert_int_equal(mb_iv_count(&l, -1), 0);
	assert_int_equal(mb_iv_count(&l, 1), 1); /* the only one, its line cut off */
	assert_int_equal(mb_iv_count(&l, 2), 0); /* not explained: the lines */
	mb_iv_line(&l, "mtcp: stop-the-world /p: pause 4 ms, durable 5 ms");
	mb_iv_line(&l, "mtcp: stop-the-world /p: pause 6 ms, durable 5 ms");
	assert_int_equal(mb_iv_count(&l, -1), 2); /* the image gone: the lines */
	assert_int_equal(mb_iv_count(&l, 2), 2);
	assert_int_equal(mb_iv_count(&l, 3), 3);
	assert_int_equal(mb_iv_count(&l, 4), 2);
	assert_int_equal(mb_iv_count(&l, 1), 2);
	/* the last image with 3 lines: the count, not the pauses */
	mb_run_init(&r, 1);
	mb_iv_fill(&r, 1, 2, 1, &l, 3);
	assert_int_equal(r.ckpts, 3);
	assert_int_equal(r.npauses, 2);
	assert_true(NEAR(r.mean_pause_s, 0.005));
	/* a failed checkpoint may have used a number up: the lines */
	mb_iv_line(&l, "mtcp: checkpoint failed: no space");
	assert_int_equal(mb_iv_count(&l, 3), 2);
}

/* a point of interval runs: medians of the runs' own ratios, weighted mean pause */
static void test_point(void **state)
{
	/* ratios 1.10, 1.00, 1.30, 1.20: median 1.15, not the ratio of the medians */
	const double wall[] = { 110, 200, 130, 360 }, plain[] = { 100, 200, 100, 300 };
	const long long ckpts[] = { 10, 0, 30, 20 };
	const double mean[] = { 0.010, NAN, 0.020, 0.005 }, max[] = { 0.05, NAN, 0.03, 0.01 };
	struct mb_run r[4];
	struct mb_point p;

	(void)state;
	for (unsigned i = 0; i < 4; i++) {
		mb_run_init(&r[i], i + 1);
		r[i].interval_s = 10;
		r[i].run_time_s = plain[i];
		r[i].wall_s = wall[i];
		r[i].slowdown = wall[i] / plain[i];
		r[i].ckpts = r[i].npauses = ckpts[i];
		r[i].mean_pause_s = mean[i];
		r[i].max_pause_s = max[i];
	}
	mb_point_of(r, 4, &p);
	assert_true(p.interval_s == 10);
	assert_true(NEAR(p.slowdown.med, 1.15)); /* 1.1 and 1.2; 165 / 150 would be 1.1 */
	assert_true(NEAR(p.slowdown.min, 1.0) && NEAR(p.slowdown.max, 1.3));
	assert_true(p.wall.med == 165 && p.wall.min == 110 && p.wall.max == 360);
	assert_true(p.run_time_s == 150);
	assert_int_equal(p.ckpts_med, 15); /* 10 and 20 */
	assert_true(p.ckpts.min == 0 && p.ckpts.max == 30);
	/* (10 x 0.010 + 30 x 0.020 + 20 x 0.005) / 60 */
	assert_true(NEAR(p.mean_pause_s, 0.8 / 60));
	assert_true(NEAR(p.max_pause_s, 0.05));
	/* weighed by the pauses known, not by the count */
	r[2].ckpts = 31;
	mb_point_of(r, 4, &p);
	assert_true(NEAR(p.mean_pause_s, 0.8 / 60));

	/* not an interval point: all empty */
	for (unsigned i = 0; i < 4; i++)
		mb_run_init(&r[i], i + 1);
	mb_point_of(r, 4, &p);
	assert_true(isnan(p.interval_s) && isnan(p.wall.med) && isnan(p.slowdown.med));
	assert_int_equal(p.ckpts_med, -1);
	assert_true(isnan(p.mean_pause_s) && isnan(p.max_pause_s));
	mb_point_of(r, 0, &p);
	assert_true(isnan(p.interval_s) && p.ckpts_med == -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lines),	  cmocka_unit_test(test_other_lines),
		cmocka_unit_test(test_image_seq), cmocka_unit_test(test_env),
		cmocka_unit_test(test_fill),	  cmocka_unit_test(test_count),
		cmocka_unit_test(test_point),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
