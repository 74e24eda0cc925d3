/* SPDX-License-Identifier: MIT */
/* test_mb_incrout.c - the library's verbose lines about incremental
 * checkpoints, as `mtcp-bench memory --incremental` reads them
 * (bench/mb/incrout.c): the lines of the image asked for only, full and
 * incremental, both ways of taking it, the "not used" line, and a missing
 * line reported. The lines are those src/engine/checkpoint.c prints. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <string.h>

#include "../../bench/mb/incrout.h"

static void near(double got, double want)
{
	if (fabs(got - want) > 1e-9)
		fail_msg("got %.9f, want %.9f", got, want);
}

static const char *two =
	"mtcp: checkpoint /d/p.1.a.1.mtcp: 1 bytes of memory ...\n"
	"mtcp: full /d/p.1.a.1.mtcp; tracking 0 MiB from now on: scan 0.187 ms, protect 67.662 ms "
	"(40 new mappings, 1027 MiB)\n"
	"mtcp: copy-on-write /d/p.1.a.1.mtcp: pause 90.735 ms, durable 4958.559 ms, extra memory "
	"12596 KiB, copied 0 KiB, writer 7195\n"
	"mtcp: incremental /d/p.1.a.2.mtcp: depth 1 after p.1.a.1.mtcp; written 10452 KiB in 2586 "
	"runs of 1027 MiB tracked, 1039848 KiB inherited; scan 43.096 ms, protect 0.000 ms (0 new "
	"mappings, 0 MiB)\n"
	"mtcp: copy-on-write /d/p.1.a.2.mtcp: pause 57.357 ms, durable 180.939 ms, copied 10588 KiB "
	"while parked (47.711 ms), no writer process\n";

static void test_full_then_incremental(void **state)
{
	struct mb_incr_ckpt c;
	(void)state;

	assert_int_equal(mb_incr_parse(two, "/d/p.1.a.1.mtcp", &c), 0);
	assert_int_equal(c.type, MB_IC_FULL);
	assert_int_equal(c.way, MB_IC_COW);
	near(c.protect_ms, 67.662);
	assert_int_equal(c.new_maps, 40);
	assert_int_equal(c.new_mib, 1027);
	near(c.pause_ms, 90.735);
	near(c.durable_ms, 4958.559);
	assert_string_equal(c.full_why, "");

	assert_int_equal(mb_incr_parse(two, "/d/p.1.a.2.mtcp", &c), 0);
	assert_int_equal(c.type, MB_IC_INCR);
	assert_int_equal(c.depth, 1);
	assert_int_equal(c.written_kib, 10452);
	assert_int_equal(c.runs, 2586);
	assert_int_equal(c.tracked_mib, 1027);
	assert_int_equal(c.inherited_kib, 1039848);
	near(c.scan_ms, 43.096);
	near(c.pause_ms, 57.357);
	near(c.durable_ms, 180.939);
}

static void test_stw_why_and_not_used(void **state)
{
	struct mb_incr_ckpt c;
	const char *t =
		"mtcp: incremental images not used: the kernel lacks WP_ASYNC; every image is full\n"
		"mtcp: full /d/q.9.mtcp: MTCP_FULL_EVERY reached; tracking 67 MiB from now on: scan "
		"1.417 ms, protect 0.000 ms (0 new mappings, 0 MiB)\n"
		"mtcp: stop-the-world /d/q.9.mtcp: pause 35.056 ms, durable 35.133 ms\n";
	(void)state;

	assert_int_equal(mb_incr_parse(t, "/d/q.9.mtcp", &c), 0);
	assert_int_equal(c.type, MB_IC_FULL);
	assert_int_equal(c.way, MB_IC_STW);
	assert_string_equal(c.full_why, "MTCP_FULL_EVERY reached");
	assert_int_equal(c.tracked_mib, 67);
	near(c.scan_ms, 1.417);
	near(c.pause_ms, 35.056);
	assert_non_null(strstr(c.not_used, "WP_ASYNC"));
}

static void test_missing(void **state)
{
	struct mb_incr_ckpt c;
	(void)state;

	/* another image's lines only */
	assert_int_equal(mb_incr_parse(two, "/d/p.1.a.3.mtcp", &c), -1);
	assert_int_equal(c.type, MB_IC_NONE);
	/* the way line without the full/incremental one */
	assert_int_equal(mb_incr_parse("mtcp: stop-the-world /d/x: pause 1.000 ms, durable 2.000 ms\n",
				       "/d/x", &c), -1);
	assert_int_equal(c.way, MB_IC_STW);
	assert_int_equal(mb_incr_parse("", "/d/x", &c), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full_then_incremental),
		cmocka_unit_test(test_stw_why_and_not_used),
		cmocka_unit_test(test_missing),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
