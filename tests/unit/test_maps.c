/* SPDX-License-Identifier: MIT */
/* test_maps.c - /proc/PID/maps line parser and the exclusion of ranges. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <cmocka.h>

#include "maps.h"
#include "memory.h"

static void parse_ok(void **state)
{
	struct maps_entry e;
	const char *l = "7f00fd658000-7f00fd65c000 r-xp 0001a000 fe:01 332383    "
			"/usr/lib/x86_64-linux-gnu/libc.so.6\n";
	(void)state;
	assert_int_equal(maps_parse_line(l, strlen(l), &e), 0);
	assert_true(e.start == 0x7f00fd658000ull && e.end == 0x7f00fd65c000ull);
	assert_int_equal(e.prot, PROT_READ | PROT_EXEC);
	assert_int_equal(e.shared, 0);
	assert_true(e.offset == 0x1a000);
	assert_int_equal(e.dev_major, 0xfe);
	assert_int_equal(e.dev_minor, 1);
	assert_true(e.inode == 332383);
	assert_int_equal(e.path_len, strlen("/usr/lib/x86_64-linux-gnu/libc.so.6"));
	assert_memory_equal(e.path, "/usr/lib/x86_64-linux-gnu/libc.so.6", e.path_len);
	assert_int_equal(e.deleted, 0);
}

static void parse_special(void **state)
{
	struct maps_entry e;
	const char *a = "7ffd566a1000-7ffd566c2000 rw-p 00000000 00:00 0                          [stack]";
	const char *b = "ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0  [vsyscall]";
	const char *c = "7f0000000000-7f0000001000 rw-s 00000000 00:05 1234 /memfd:x (deleted)";
	const char *d = "55d000000000-55d000021000 ---p 00000000 00:00 0";
	(void)state;
	assert_int_equal(maps_parse_line(a, strlen(a), &e), 0);
	assert_true(maps_path_is(&e, "[stack]"));
	assert_false(maps_path_is(&e, "[stac"));
	assert_int_equal(maps_parse_line(b, strlen(b), &e), 0);
	assert_true(maps_path_is(&e, "[vsyscall]"));
	assert_int_equal(e.prot, PROT_EXEC);
	assert_int_equal(maps_parse_line(c, strlen(c), &e), 0);
	assert_int_equal(e.shared, 1);
	assert_int_equal(e.deleted, 1);
	assert_int_equal(e.path_len, strlen("/memfd:x"));
	assert_int_equal(maps_parse_line(d, strlen(d), &e), 0);
	assert_int_equal(e.prot, 0);
	assert_int_equal(e.path_len, 0);
}

static void parse_bad(void **state)
{
	static const char *bad[] = {
		"",
		"zzzz-1000 rw-p 00000000 00:00 0",
		"2000-1000 rw-p 00000000 00:00 0",      /* end before start */
		"1000-2000 rwxq 00000000 00:00 0",      /* bad sharing flag */
		"1000-2000 rw-p 00000000 00-00 0",      /* bad device */
		"1000-2000 rw-p",                       /* cut short */
		"1000-2000 r?-p 00000000 00:00 0",
		"10000000000000000-10000000000000001 rw-p 00000000 00:00 0", /* > 64 bits */
		"1000-2000 rw-p 00000000 00:00 x",
	};
	struct maps_entry e;
	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(maps_parse_line(bad[i], strlen(bad[i]), &e), -22);
}

static void subtract(void **state)
{
	struct mem_range ex[] = { { 0x3000, 0x5000 }, { 0x8000, 0x9000 }, { 0x4000, 0x6000 } };
	struct mem_range out[8];
	int n;
	(void)state;
	n = mem_subtract(0x1000, 0xa000, ex, 3, out, 8);
	assert_int_equal(n, 3);
	assert_true(out[0].start == 0x1000 && out[0].end == 0x3000);
	assert_true(out[1].start == 0x6000 && out[1].end == 0x8000);
	assert_true(out[2].start == 0x9000 && out[2].end == 0xa000);
	/* fully covered */
	n = mem_subtract(0x3000, 0x5000, ex, 3, out, 8);
	assert_int_equal(n, 0);
	/* nothing excluded */
	n = mem_subtract(0x10000, 0x20000, ex, 3, out, 8);
	assert_int_equal(n, 1);
	assert_true(out[0].start == 0x10000 && out[0].end == 0x20000);
	/* exclusion hanging over both ends */
	n = mem_subtract(0x4000, 0x8800, ex, 3, out, 8);
	assert_int_equal(n, 1);
	assert_true(out[0].start == 0x6000 && out[0].end == 0x8000);
}

/* maps_next_line: each line without its newline, an empty line too, a
 * last line with or without one, then NULL. */
static void next_line(void **state)
{
	const char text[] = "a\nbb\n\nccc", one[] = "x\n";
	const char *pos = text, *l;
	size_t n;

	(void)state;
	l = maps_next_line(&pos, text + strlen(text), &n);
	assert_true(l == text && n == 1);
	l = maps_next_line(&pos, text + strlen(text), &n);
	assert_true(l == text + 2 && n == 2);
	l = maps_next_line(&pos, text + strlen(text), &n);
	assert_true(l == text + 5 && n == 0);
	l = maps_next_line(&pos, text + strlen(text), &n);
	assert_true(l == text + 6 && n == 3);
	assert_null(maps_next_line(&pos, text + strlen(text), &n));
	pos = one;
	l = maps_next_line(&pos, one + strlen(one), &n);
	assert_true(l == one && n == 1);
	assert_null(maps_next_line(&pos, one + strlen(one), &n));
	pos = one;
	assert_null(maps_next_line(&pos, one, &n));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(parse_ok),
		cmocka_unit_test(parse_special),
		cmocka_unit_test(parse_bad),
		cmocka_unit_test(subtract),
		cmocka_unit_test(next_line),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
