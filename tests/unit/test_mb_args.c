/* SPDX-License-Identifier: MIT */
/* test_mb_args.c - mtcp-bench's command line (bench/mb/args.c), case by case. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../bench/mb/args.h"

#define ARGV_MAX 32

/* parses the words of line (split on spaces); err gets the message */
static int parse(const char *line, struct mb_opts *o, char *err, size_t n)
{
	static char buf[512];
	char *argv[ARGV_MAX + 1], *save = NULL;
	int argc = 0;

	strcpy(buf, line);
	argv[argc++] = "mtcp-bench";
	for (char *w = strtok_r(buf, " ", &save); w && argc < ARGV_MAX;
	     w = strtok_r(NULL, " ", &save))
		argv[argc++] = w;
	argv[argc] = NULL;
	return mb_args_parse(argc, argv, o, err, n);
}

struct bad_case {
	const char *line;
	const char *msg; /* a part of the message */
};

static void test_bad(void **state)
{
	static const struct bad_case cases[] = {
		{ "", "no mode given" },
		{ "fast", "unknown mode 'fast'" },
		{ "memory --from 0", "invalid --from '0'" },
		{ "memory --from -4", "invalid --from '-4'" },
		{ "memory --from 4x", "invalid --from '4x'" },
		{ "memory --to 1048577", "invalid --to '1048577'" },
		{ "memory --from 8 --to 4", "--from 8 is above --to 4" },
		{ "memory --kind ones", "invalid --kind 'ones'" },
		{ "memory --runs 0", "invalid --runs '0'" },
		{ "memory --runs 1001", "invalid --runs '1001'" },
		{ "memory --runs", "--runs needs a value" },
		{ "memory --bogus 1", "unknown option '--bogus'" },
		{ "memory --from=", "invalid --from ''" },
		{ "memory stray", "unexpected argument 'stray'" },
		{ "memory --class S", "--class is not an option of memory" },
		{ "threads --kind zero", "--kind is not an option of threads" },
		{ "threads --to 16001", "invalid --to '16001'" },
		{ "npb --from 1", "--from is not an option of npb" },
		{ "npb --class S,S", "invalid --class 'S,S'" },
		{ "npb --class C", "invalid --class 'C'" },
		{ "npb --class S,", "invalid --class 'S,'" },
		{ "npb --class ,S", "invalid --class ',S'" },
		{ "npb --class S,W --binary /bin/true", "exclude each other" },
		{ "npb -- x", "'--' comes only after --binary" },
		{ "npb --delay 0", "invalid --delay '0'" },
		{ "npb --delay 1e3", "invalid --delay '1e3'" },
		{ "npb --delay 1..2", "invalid --delay '1..2'" },
		{ "npb --delay 86401", "invalid --delay '86401'" },
		{ "memory --compare dmtcp", "invalid --compare 'dmtcp'" },
		{ "memory --dir", "--dir needs a value" },
		{ "memory --cow sometimes", "invalid --cow 'sometimes'" },
		{ "memory --cow", "--cow needs a value" },
		{ "npb --cow stw", "--cow in npb goes with --interval" },
		{ "npb --interval 0", "invalid --interval '0'" },
		{ "npb --interval -1", "invalid --interval '-1'" },
		{ "npb --interval 1e1", "invalid --interval '1e1'" },
		{ "npb --interval 86401", "invalid --interval '86401'" },
		{ "npb --interval", "--interval needs a value" },
		{ "npb --interval 10 --binary /bin/true", "--interval and --binary exclude" },
		{ "npb --interval 10 --delay 1", "--interval and --delay exclude" },
		{ "npb --interval 10 --compare criu", "--compare criu does not go with --interval" },
		{ "npb --interval 10 --cow sometimes", "invalid --cow 'sometimes'" },
		{ "memory --interval 10", "--interval is not an option of memory" },
		{ "targets --interval 10", "--interval is not an option of targets" },
		{ "memory --only random", "--only is not an option of memory" },
		{ "threads --growth-sizes 4", "--growth-sizes is not an option of threads" },
		{ "targets --only random,bogus", "invalid --only 'random,bogus'" },
		{ "targets --only random,random", "invalid --only 'random,random'" },
		{ "targets --only random,", "invalid --only 'random,'" },
		{ "targets --only heap", "invalid --only 'heap'" },
		{ "targets --size-mb 0", "invalid --size-mb '0'" },
		{ "targets --size-mb 262145", "invalid --size-mb '262145'" },
		{ "targets --threads 16001", "invalid --threads '16001'" },
		{ "targets --growth-sizes 256,128", "invalid --growth-sizes '256,128'" },
		{ "targets --growth-sizes 256,256", "invalid --growth-sizes '256,256'" },
		{ "targets --growth-sizes 256,,1024", "invalid --growth-sizes '256,,1024'" },
		{ "targets --growth-sizes 0", "invalid --growth-sizes '0'" },
		{ "targets --growth-sizes 1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17",
		  "invalid --growth-sizes" },
		{ "targets --kind zero", "--kind is not an option of targets" },
		{ "memory --on-term 0", "invalid --on-term '0'" },
		{ "memory --on-term 10,1", "invalid --on-term '10,1'" },
		{ "memory --on-term 101", "invalid --on-term '101'" },
		{ "memory --on-term --incremental", "--incremental and --on-term exclude" },
		{ "memory --on-term --from 4", "--from does not go with --on-term" },
		{ "memory --on-term --kind heap", "--kind does not go with --on-term" },
		{ "memory --on-term --increments 2", "--increments does not go with --on-term" },
		{ "memory --on-term --compare criu", "--compare criu does not go with --on-term" },
		{ "memory --on-term --grace 0", "invalid --grace '0'" },
		{ "memory --on-term --grace 86401", "invalid --grace '86401'" },
		{ "memory --grace 30", "--grace in memory goes with --on-term" },
		{ "memory --size-mb 8", "--size-mb in memory goes with --incremental or --on-term" },
		{ "threads --on-term", "--on-term is not an option of threads" },
		{ "npb --grace 30", "--grace is not an option of npb" },
	};
	size_t bad = 0;

	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct mb_opts o;
		char err[256];
		int rc = parse(cases[i].line, &o, err, sizeof err);

		if (rc != -EINVAL || !strstr(err, cases[i].msg)) {
			print_error("\"%s\": rc %d, \"%s\"; want -EINVAL, \"...%s...\"\n",
				    cases[i].line, rc, err, cases[i].msg);
			bad++;
		}
	}
	assert_int_equal(bad, 0);
}

static void test_defaults(void **state)
{
	struct mb_opts o;
	char err[256];

	(void)state;
	assert_int_equal(parse("memory", &o, err, sizeof err), 0);
	assert_int_equal(o.mode, MB_MEMORY);
	assert_int_equal(o.from, 64);
	assert_int_equal(o.to, 2048);
	assert_int_equal(o.kind, MB_RANDOM);
	assert_int_equal(o.runs, 5);
	assert_string_equal(o.dir, "/var/tmp");
	assert_null(o.out);
	assert_int_equal(o.criu, 0);
	assert_null(o.tools);

	assert_int_equal(parse("threads", &o, err, sizeof err), 0);
	assert_int_equal(o.mode, MB_THREADS);
	assert_int_equal(o.from, 1);
	assert_int_equal(o.to, 1000);

	assert_int_equal(parse("npb", &o, err, sizeof err), 0);
	assert_int_equal(o.mode, MB_NPB);
	assert_string_equal(o.classes, "SWAB");
	assert_null(o.binary);
	assert_true(o.delay < 0); /* half of the iterations */
	assert_int_equal(o.cow, 0); /* MTCP_COW left alone */
	assert_true(o.interval == 0); /* no slowdown runs */

	assert_int_equal(parse("targets", &o, err, sizeof err), 0);
	assert_int_equal(o.mode, MB_TARGETS);
	assert_int_equal(o.cow, MB_COW_BOTH);
	assert_int_equal(o.only, (1u << TG_COUNT) - 1);
	assert_int_equal(o.size_mb, 1024);
	assert_int_equal(o.threads, 1000);
	assert_int_equal(o.ngrowth, 4);
	assert_int_equal(o.growth[0], 256);
	assert_int_equal(o.growth[1], 1024);
	assert_int_equal(o.growth[2], 4096);
	assert_int_equal(o.growth[3], 8192);
	assert_int_equal(o.runs, 5);
}

static void test_values(void **state)
{
	struct mb_opts o;
	char err[256];

	(void)state;
	assert_int_equal(parse("memory --from 4 --to=8 --kind heap --runs 1 --dir /x --out r.csv"
			       " --compare criu --tools /t", &o, err, sizeof err), 0);
	assert_int_equal(o.from, 4);
	assert_int_equal(o.to, 8);
	assert_int_equal(o.kind, MB_HEAP);
	assert_int_equal(o.runs, 1);
	assert_string_equal(o.dir, "/x");
	assert_string_equal(o.out, "r.csv");
	assert_int_equal(o.criu, 1);
	assert_string_equal(o.tools, "/t");
	/* the last one counts */
	assert_int_equal(parse("memory --kind zero --kind sparse", &o, err, sizeof err), 0);
	assert_int_equal(o.kind, MB_SPARSE);
	/* --from alone above the default --to: --to follows it */
	assert_int_equal(parse("memory --from 4096", &o, err, sizeof err), 0);
	assert_int_equal(o.from, 4096);
	assert_int_equal(o.to, 4096);
	assert_int_equal(parse("threads --from 1 --to 4", &o, err, sizeof err), 0);
	assert_int_equal(o.to, 4);
	assert_int_equal(parse("npb --class b,s --delay .5", &o, err, sizeof err), 0);
	assert_string_equal(o.classes, "BS");
	assert_true(o.delay == 0.5);
	assert_int_equal(parse("memory --cow both", &o, err, sizeof err), 0);
	assert_int_equal(o.cow, MB_COW_BOTH);
	assert_int_equal(parse("threads --cow=cow", &o, err, sizeof err), 0);
	assert_int_equal(o.cow, MB_COW_COW);
	assert_int_equal(parse("targets --only empty,random --cow stw --size-mb 16 --threads 10"
			       " --growth-sizes 16,32 --runs 1", &o, err, sizeof err), 0);
	assert_int_equal(o.only, 1u << TG_RANDOM | 1u << TG_EMPTY);
	assert_int_equal(o.cow, MB_COW_STW);
	assert_int_equal(o.size_mb, 16);
	assert_int_equal(o.threads, 10);
	assert_int_equal(o.ngrowth, 2);
	assert_int_equal(o.growth[1], 32);
	assert_int_equal(o.runs, 1);
	assert_string_equal(mb_target_name(TG_GROWTH), "growth");
	assert_string_equal(mb_mode_name(MB_TARGETS), "targets");
	assert_int_equal(parse("targets --only rewrite,libs", &o, err, sizeof err), 0);
	assert_int_equal(o.only, 1u << TG_LIBS | 1u << TG_REWRITE);
	assert_string_equal(mb_target_name(TG_REWRITE), "rewrite");
}

static void test_binary(void **state)
{
	struct mb_opts o;
	char err[256];

	(void)state;
	assert_int_equal(parse("npb --binary /bin/prog --runs 2 -- -a --runs 9", &o, err,
			       sizeof err), 0);
	assert_string_equal(o.binary, "/bin/prog");
	assert_int_equal(o.runs, 2);
	assert_int_equal(o.bin_nargs, 3);
	assert_string_equal(o.bin_args[0], "-a");
	assert_string_equal(o.bin_args[2], "9");
	assert_string_equal(o.classes, "");
	assert_true(o.delay == 1.0); /* --binary's default */
	assert_int_equal(parse("npb --binary /bin/prog --delay 3", &o, err, sizeof err), 0);
	assert_int_equal(o.bin_nargs, 0);
	assert_true(o.delay == 3.0);
}

/* npb --interval: the slowdown runs, both sides unless --cow says */
static void test_interval(void **state)
{
	struct mb_opts o;
	char err[256];

	(void)state;
	assert_int_equal(parse("npb --class B --interval 10 --cow both --runs 3", &o, err,
			       sizeof err), 0);
	assert_string_equal(o.classes, "B");
	assert_true(o.interval == 10);
	assert_int_equal(o.cow, MB_COW_BOTH);
	assert_int_equal(o.runs, 3);
	assert_true(o.delay < 0);
	assert_int_equal(parse("npb --interval 0.05", &o, err, sizeof err), 0);
	assert_true(o.interval == 0.05);
	assert_int_equal(o.cow, MB_COW_BOTH); /* the default with --interval */
	assert_string_equal(o.classes, "SWAB");
	assert_int_equal(parse("npb --cow stw --interval=.5", &o, err, sizeof err), 0);
	assert_true(o.interval == 0.5);
	assert_int_equal(o.cow, MB_COW_STW);
	assert_int_equal(parse("npb --interval 2 --cow cow --class s", &o, err, sizeof err), 0);
	assert_int_equal(o.cow, MB_COW_COW);
	assert_string_equal(o.classes, "S");
	assert_int_equal(parse("npb --interval 86400", &o, err, sizeof err), 0);
}

/* memory --on-term (issue 12): SIGTERM to a durable image */
static void test_on_term(void **state)
{
	struct mb_opts o;
	char err[256];

	(void)state;
	assert_int_equal(parse("memory --on-term", &o, err, sizeof err), 0);
	assert_true(o.on_term);
	assert_false(o.incremental);
	assert_int_equal(o.nterm, 2); /* the default increments: 1% and 10% */
	assert_true(o.term_pct[0] == 1 && o.term_pct[1] == 10);
	assert_int_equal(o.size_mb, 1024);
	assert_int_equal(o.cow, MB_COW_BOTH);
	assert_true(o.grace == 30);
	assert_int_equal(o.runs, 5);
	/* alone before another option: the default increments too */
	assert_int_equal(parse("memory --on-term --size-mb 32 --runs 1 --cow stw --grace 90", &o,
			       err, sizeof err), 0);
	assert_int_equal(o.nterm, 2);
	assert_int_equal(o.size_mb, 32);
	assert_int_equal(o.runs, 1);
	assert_int_equal(o.cow, MB_COW_STW);
	assert_true(o.grace == 90);
	assert_int_equal(parse("memory --on-term 0.5,1,50 --grace=2.5", &o, err, sizeof err), 0);
	assert_int_equal(o.nterm, 3);
	assert_true(o.term_pct[0] == 0.5 && o.term_pct[2] == 50);
	assert_true(o.grace == 2.5);
	assert_int_equal(parse("memory --on-term=1", &o, err, sizeof err), 0);
	assert_int_equal(o.nterm, 1);
	/* without it, memory is the paper's figure */
	assert_int_equal(parse("memory", &o, err, sizeof err), 0);
	assert_false(o.on_term);
	assert_int_equal(o.nterm, 0);
}

static void test_help(void **state)
{
	struct mb_opts o;
	char err[256];

	(void)state;
	assert_int_equal(parse("--help", &o, err, sizeof err), 0);
	assert_true(o.help);
	assert_int_equal(parse("threads -h", &o, err, sizeof err), 0);
	assert_true(o.help);
	assert_int_equal(o.mode, MB_THREADS);
	/* the values after --help are still checked */
	assert_int_equal(parse("npb --help --class X", &o, err, sizeof err), -EINVAL);
}

static void test_usage_text(void **state)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	(void)state;
	assert_non_null(f);
	mb_usage(f, MB_NPB);
	fclose(f);
	assert_non_null(strstr(text, "the better part of an hour on 2 cores"));
	assert_non_null(strstr(text, "extra_mem_max_bytes,class,run_time_s,residual_ok,ok"));
	assert_non_null(strstr(text, "criu_restart_s,extra_mem_bytes,class,run_time_s,residual_ok,ok"));
	assert_null(strstr(text, "figures 2 and 6")); /* only npb's part */
	assert_non_null(strstr(text, "--interval S (the slowdown runs"));
	assert_non_null(strstr(text, "slowdown_max,mean_pause_s,max_pause_s"));
	free(text);

	f = open_memstream(&text, &len);
	assert_non_null(f);
	mb_usage(f, MB_TARGETS);
	fclose(f);
	assert_non_null(strstr(text, "--growth-sizes"));
	assert_non_null(strstr(text, "MTCP_COW=auto"));
	assert_null(strstr(text, "the better part of an hour"));
	free(text);

	f = open_memstream(&text, &len);
	assert_non_null(f);
	mb_usage(f, MB_MEMORY);
	fclose(f);
	assert_non_null(strstr(text, "--on-term [PCT,...] [--size-mb M] [--grace S]"));
	assert_non_null(strstr(text, "SIGTERM to a durable image"));
	assert_non_null(strstr(text, "terminationGracePeriodSeconds"));
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bad),	cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_values),	cmocka_unit_test(test_binary),
		cmocka_unit_test(test_interval), cmocka_unit_test(test_on_term),
		cmocka_unit_test(test_help),
		cmocka_unit_test(test_usage_text),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
