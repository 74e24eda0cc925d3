/* SPDX-License-Identifier: MIT */
/* test_crc32c.c - the SSE4.2 CRC-32C against a bitwise reference. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include "crc32c.h"

static uint32_t crc32c_ref(const unsigned char *p, size_t n)
{
	uint32_t c = ~0u;
	while (n--) {
		c ^= *p++;
		for (int k = 0; k < 8; k++)
			c = (c >> 1) ^ (0x82f63b78u & (0u - (c & 1)));
	}
	return ~c;
}

static void known_value(void **state)
{
	(void)state;
	/* the standard check value of CRC-32C */
	assert_int_equal(crc32c(0, "123456789", 9), 0xe3069283u);
	assert_int_equal(crc32c(0, "", 0), 0);
}

static void random_lengths_and_alignments(void **state)
{
	unsigned char *buf = malloc(70000);
	(void)state;
	srand(42);
	for (size_t i = 0; i < 70000; i++)
		buf[i] = (unsigned char)rand();
	for (size_t off = 0; off < 9; off++)
		for (size_t len = 0; len < 300; len += 7)
			assert_int_equal(crc32c(0, buf + off, len), crc32c_ref(buf + off, len));
	assert_int_equal(crc32c(0, buf, 65537), crc32c_ref(buf, 65537));
	free(buf);
}

/* Buffers long enough for the three-lane rounds: one, two and three
 * rounds plus every kind of remainder, at odd alignments, and continued
 * from a previous crc. */
static void three_lanes(void **state)
{
	size_t round = 3 * CRC32C_LANE, max = 3 * round + 200;
	unsigned char *buf = malloc(max + 8);
	(void)state;
	srand(7);
	for (size_t i = 0; i < max + 8; i++)
		buf[i] = (unsigned char)rand();
	if (!crc32c_have_clmul())
		skip();
	const size_t lens[] = { round - 1, round, round + 1, round + 7, round + 8, 2 * round,
				2 * round + 100, 3 * round + 200 };
	for (size_t off = 0; off < 8; off += 3)
		for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++)
			assert_int_equal(crc32c(0, buf + off, lens[i]), crc32c_ref(buf + off, lens[i]));
	assert_int_equal(crc32c(crc32c(0, buf, 5), buf + 5, 2 * round),
			 crc32c_ref(buf, 2 * round + 5));
	free(buf);
}

static void continuation(void **state)
{
	const char *s = "the quick brown fox jumps over the lazy dog";
	(void)state;
	assert_int_equal(crc32c(crc32c(0, s, 10), s + 10, 33), crc32c(0, s, 43));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(known_value),
		cmocka_unit_test(random_lengths_and_alignments),
		cmocka_unit_test(continuation),
		cmocka_unit_test(three_lanes),
	};
	if (!crc32c_supported())
		return 77;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
