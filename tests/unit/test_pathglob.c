/* SPDX-License-Identifier: MIT */
/*
 * test_pathglob.c - MTCP_SAVE_FILES's patterns (src/common/pathglob.c):
 * a table of cases, the ':'-separated lists, and the promise of
 * pathglob.h that a pattern means what fnmatch(3) with no flags makes of
 * it, checked against glibc on the table and on random patterns.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

#include "pathglob.h"

struct glob_case {
	const char *pat, *s;
	int want;
};

static const struct glob_case cases[] = {
	{ "*.db*", "/x/y/test.db", 1 },
	{ "*.db*", "test.db-journal", 1 },
	{ "*.db*", "/x/y/test.db-wal", 1 },
	{ "*.db*", "/x/y/test.sqlite", 0 },
	{ "/data/*", "/data/a/b/c", 1 },          /* '*' crosses '/' */
	{ "/data/*", "/database", 0 },
	{ "*", "", 1 },
	{ "", "", 1 },
	{ "", "a", 0 },
	{ "?", "", 0 },
	{ "/tmp/?.out", "/tmp/a.out", 1 },
	{ "/tmp/?.out", "/tmp/ab.out", 0 },
	{ "*/.hidden", "/home/u/.hidden", 1 },    /* a leading '.' is plain */
	{ "/r/[abc]x", "/r/bx", 1 },
	{ "/r/[abc]x", "/r/dx", 0 },
	{ "/r/[!abc]x", "/r/dx", 1 },
	{ "/r/[^abc]x", "/r/ax", 0 },
	{ "/r/[a-c]x", "/r/cx", 1 },
	{ "/r/[a-c]x", "/r/-x", 0 },
	{ "/r/[a-]x", "/r/-x", 1 },
	{ "/r/[]a]x", "/r/]x", 1 },
	{ "/r/[!]a]x", "/r/]x", 0 },
	{ "/r/[x", "/r/[x", 1 },                  /* no ']': a plain '[' */
	{ "/r/\\*", "/r/*", 1 },
	{ "/r/\\*", "/r/a", 0 },
	{ "*a*b*c", "xxaxxbxxcxxc", 1 },
	{ "*a*b*c", "xxaxxbxxcxxd", 0 },
	{ "**", "/any/thing", 1 },
	{ "a*", "b", 0 },
};

static void test_table(void **state)
{
	size_t bad = 0;
	(void)state;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct glob_case *c = &cases[i];
		int got = pathglob_match(c->pat, strlen(c->pat), c->s);
		int libc = fnmatch(c->pat, c->s, 0) == 0;
		if (got != c->want || libc != c->want) {
			print_error("'%s' on '%s': pathglob %d, fnmatch %d, want %d\n", c->pat, c->s,
				    got, libc, c->want);
			bad++;
		}
	}
	assert_int_equal(bad, 0);
}

static void test_list(void **state)
{
	(void)state;
	assert_int_equal(pathglob_match_list("*.db*:*.out", "/w/r.out"), 1);
	assert_int_equal(pathglob_match_list("*.db*:*.out", "/w/t.db-journal"), 1);
	assert_int_equal(pathglob_match_list("*.db*:*.out", "/w/t.log"), 0);
	/* the pattern stops at ':', and empty patterns match nothing */
	assert_int_equal(pathglob_match_list("/a/b:", "/a/b"), 1);
	assert_int_equal(pathglob_match_list("/a/b:", "/a/bc"), 0);
	assert_int_equal(pathglob_match_list("::", ""), 0);
	assert_int_equal(pathglob_match_list("", ""), 0);
	assert_int_equal(pathglob_match_list(NULL, "/a"), 0);
	assert_int_equal(pathglob_match_list("/x:/a*", "/ab"), 1);
}

/* Random patterns over a small alphabet, each against random strings:
 * pathglob and glibc's fnmatch (flags 0, C locale) agree. */
static void test_random_against_fnmatch(void **state)
{
	static const char pat_abc[] = "ab/.*?[]!^-\\";
	static const char str_abc[] = "ab/.-]!^\\";
	unsigned seed = 12345;
	size_t bad = 0;
	(void)state;

	for (int i = 0; i < 200000 && bad < 10; i++) {
		char p[12], s[12];
		int pl = (int)(rand_r(&seed) % 10), sl = (int)(rand_r(&seed) % 10);
		for (int k = 0; k < pl; k++)
			p[k] = pat_abc[rand_r(&seed) % (sizeof(pat_abc) - 1)];
		p[pl] = '\0';
		/* a trailing lone '\' is an error to fnmatch: not a pattern */
		if (pl && p[pl - 1] == '\\')
			continue;
		/* nor are POSIX's "[." "[=" "[:" inside a set (not supported) */
		if (strstr(p, "[.") || strstr(p, "[=") || strstr(p, "[:"))
			continue;
		for (int k = 0; k < sl; k++)
			s[k] = str_abc[rand_r(&seed) % (sizeof(str_abc) - 1)];
		s[sl] = '\0';
		int libc = fnmatch(p, s, 0);
		if (libc != 0 && libc != FNM_NOMATCH)
			continue; /* fnmatch says the pattern is malformed */
		if (pathglob_match(p, strlen(p), s) != (libc == 0)) {
			print_error("'%s' on '%s': pathglob %d, fnmatch %d\n", p, s,
				    pathglob_match(p, strlen(p), s), libc == 0);
			bad++;
		}
	}
	assert_int_equal(bad, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_list),
		cmocka_unit_test(test_random_against_fnmatch),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
