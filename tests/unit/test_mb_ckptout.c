/* SPDX-License-Identifier: MIT */
/* test_mb_ckptout.c - the "paused X ms" line of mtcp_checkpoint --wait's
 * stderr, and the library's "mtcp: copy-on-write ... extra memory N KiB"
 * line, as mtcp-bench reads them (bench/mb/ckptout.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>

#include "../../bench/mb/ckptout.h"

static void near(double got, double want)
{
	if (fabs(got - want) > 1e-12)
		fail_msg("got %.9f, want %.9f", got, want);
}

static void test_found(void **state)
{
	(void)state;
	near(mb_ckpt_paused_secs("paused 12.345 ms\ncomplete\n"), 0.012345);
	near(mb_ckpt_paused_secs("mtcp: a warning\npaused 0.500 ms\ncomplete"), 0.0005);
	near(mb_ckpt_paused_secs("paused 1234 ms"), 1.234);
	near(mb_ckpt_paused_secs("paused 7.25 ms\r\ndegraded: x\r\n"), 0.00725);
	/* the first such line counts */
	near(mb_ckpt_paused_secs("paused 1.000 ms\npaused 2.000 ms\n"), 0.001);
}

static void test_absent(void **state)
{
	static const char *const texts[] = {
		"",
		"complete\n",
		"degraded: some fd was not saved\n",
		"paused ms\n",
		"paused -1.0 ms\n",
		"paused 1.2.3 ms\n",
		"paused 12.3 s\n",
		"paused 12.3 ms extra\n",
		" paused 12.3 ms\n",
		"mtcp: copy-on-write PATH: pause 1.000 ms, durable 2.000 ms\n",
		"paused 1e3 ms\n",
	};

	(void)state;
	for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++)
		if (!isnan(mb_ckpt_paused_secs(texts[i])))
			fail_msg("\"%s\" gave a pause", texts[i]);
}

#define COW_LINE(path, kib)                                                                  \
	"mtcp: copy-on-write " path ": pause 3.210 ms, durable 45.678 ms, extra memory " kib   \
	" KiB, copied 0 KiB, writer 4242"

static void test_extra(void **state)
{
	(void)state;
	assert_int_equal(mb_cow_extra_kib(COW_LINE("/var/tmp/x/ckpt_prog_1.mtcp", "28688") "\n"),
			 28688);
	assert_int_equal(mb_cow_extra_kib("mtcp: checkpoint /d/a.mtcp: 16 MiB in 40 ms\n"
					  COW_LINE("/d/a.mtcp", "0")),
			 0);
	/* the last such line counts; a path may hold the words */
	assert_int_equal(mb_cow_extra_kib(COW_LINE("/a", "1") "\n" COW_LINE("/b", "2") "\r\n"), 2);
	assert_int_equal(mb_cow_extra_kib(COW_LINE("/d, extra memory 5 KiB,/e", "1048576")),
			 1048576);
	assert_int_equal(mb_cow_extra_kib(""), -1);
	assert_int_equal(mb_cow_extra_kib("paused 1.000 ms\ncomplete\n"), -1);
	assert_int_equal(mb_cow_extra_kib("mtcp: stop-the-world /d/a.mtcp: pause 9.000 ms, durable"
					  " 9.000 ms\n"), -1);
	assert_int_equal(mb_cow_extra_kib(" " COW_LINE("/a", "7")), -1);
	assert_int_equal(mb_cow_extra_kib(COW_LINE("/a", "") "\n"), -1);
	assert_int_equal(mb_cow_extra_kib(COW_LINE("/a", "-7")), -1);
	assert_int_equal(mb_cow_extra_kib("mtcp: copy-on-write /a: pause 1 ms, extra memory 7 MiB,"),
			 -1);
	assert_int_equal(mb_cow_extra_kib(COW_LINE("/a", "99999999999999999999999")), -1);
	/* a line cut short (the log's tail) */
	assert_int_equal(mb_cow_extra_kib("mtcp: copy-on-write /a: pause 1 ms, extra memory 12"),
			 -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_found),
		cmocka_unit_test(test_absent),
		cmocka_unit_test(test_extra),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
