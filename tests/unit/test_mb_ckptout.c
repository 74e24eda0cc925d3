/* SPDX-License-Identifier: MIT */
/* test_mb_ckptout.c - the "paused X ms" line of mtcp_checkpoint --wait's
 * stderr, as mtcp-bench reads it (bench/mb/ckptout.c). */
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_found),
		cmocka_unit_test(test_absent),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
