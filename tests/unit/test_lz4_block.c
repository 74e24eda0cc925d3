/* SPDX-License-Identifier: MIT */
/*
 * test_lz4_block.c - our LZ4 block decoder against liblz4's compressors
 * (round trips), against a plain byte-at-a-time reference decoder and
 * liblz4's own decoder (on random well-formed blocks, truncations, byte
 * flips and garbage).  Every source and destination sits in a malloc'd
 * buffer of exactly its size, so that under ASan any access out of bounds
 * stops the test.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lz4.h>
#include <lz4hc.h>

#include "lz4_block.h"

#define MIB (1u << 20)

#include "test_rng.h"

/* uniform enough in [0, n) for n > 0 */
static size_t rnd_below(size_t n)
{
	return rnd() % n;
}

/* A copy of p in a buffer of exactly n bytes (malloc(0) for n == 0). */
static unsigned char *dup_exact(const void *p, size_t n)
{
	unsigned char *b = malloc(n);
	assert_non_null(b);
	if (n)
		memcpy(b, p, n);
	return b;
}

/* Why ref_decode() last returned -1: an offset of 0, or anything else. */
static enum { REF_OK, REF_OFFSET0, REF_OTHER } ref_why;

/*
 * The reference: the format description, one byte at a time.  Lengths
 * cannot overflow here: inputs are small.  Same verdicts as
 * lz4_block_decode(): end-of-block rules are not enforced.
 */
static long ref_decode(const unsigned char *s, size_t n, unsigned char *d, size_t cap)
{
	size_t i = 0, o = 0;

	ref_why = REF_OTHER;
	if (n == 0)
		return -1;
	for (;;) {
		size_t lit, ml, off;
		unsigned t, b;

		if (i >= n)
			return -1;
		t = s[i++];
		lit = t >> 4;
		if (lit == 15) {
			do {
				if (i >= n)
					return -1;
				b = s[i++];
				lit += b;
			} while (b == 255);
		}
		if (lit > n - i || lit > cap - o)
			return -1;
		while (lit--)
			d[o++] = s[i++];
		if (i == n) {
			ref_why = REF_OK;
			return (long)o;
		}
		if (n - i < 2)
			return -1;
		off = s[i] | (size_t)s[i + 1] << 8;
		i += 2;
		if (off == 0)
			ref_why = REF_OFFSET0;
		if (off == 0 || off > o)
			return -1;
		ml = t & 15;
		if (ml == 15) {
			do {
				if (i >= n)
					return -1;
				b = s[i++];
				ml += b;
			} while (b == 255);
		}
		ml += 4;
		if (ml > cap - o)
			return -1;
		for (; ml; ml--, o++)
			d[o] = d[o - off];
	}
}

/*
 * Decodes src (n bytes) with cap bytes of room, with our decoder, the
 * reference and liblz4, each into its own exactly-sized buffer.  Ours must
 * agree with the reference on the result and the bytes.  Where liblz4
 * accepts the block (it enforces the end-of-block rules, we do not), ours
 * must agree with it too, except on an offset of 0: liblz4 1.9.4 lets it
 * through, the format calls it invalid.  Returns our result.
 */
static long check_decode(const unsigned char *src, size_t n, size_t cap)
{
	unsigned char *s = dup_exact(src, n);
	unsigned char *d = malloc(cap), *r = malloc(cap), *l = malloc(cap);
	long got, want, lib;

	assert_non_null(d);
	assert_non_null(r);
	assert_non_null(l);
	got = lz4_block_decode(s, n, d, cap);
	want = ref_decode(s, n, r, cap);
	assert_int_equal(got, want);
	assert_true(got >= -1 && got <= (long)cap);
	if (got > 0)
		assert_memory_equal(d, r, (size_t)got);
	if (cap <= INT32_MAX && n <= INT32_MAX) {
		lib = LZ4_decompress_safe((const char *)s, (char *)l, (int)n, (int)cap);
		if (lib >= 0 && !(got == -1 && ref_why == REF_OFFSET0)) {
			assert_int_equal(got, lib);
			if (lib > 0)
				assert_memory_equal(d, l, (size_t)lib);
		}
	}
	free(s);
	free(d);
	free(r);
	free(l);
	return got;
}

/* ------------------------------------------------------------------ */
/* Data and compressors                                                */

enum kind { K_RANDOM, K_ZERO, K_TEXT, K_ONE_BYTE, K_NR };
static const char *const kind_name[K_NR] = { "random", "zero", "text", "one-byte" };

static unsigned char *text_src;
static size_t text_len;

/* Text-like bytes: libc's, or made-up words if it cannot be read. */
static void text_load(void)
{
	FILE *f = fopen("/usr/lib/x86_64-linux-gnu/libc.so.6", "rb");
	static const char *const words[] = { "the ", "restorer ", "maps ", "each ",
		"region\n", "of ", "0x7ffd1000 ", "checkpoint ", "image, ", "thread " };

	if (text_src)
		return;
	text_src = malloc(4 * MIB);
	assert_non_null(text_src);
	if (f) {
		text_len = fread(text_src, 1, 4 * MIB, f);
		fclose(f);
	}
	if (text_len < 64 * 1024) {
		text_len = 0;
		while (text_len < 4 * MIB - 16) {
			const char *w = words[rnd_below(10)];
			memcpy(text_src + text_len, w, strlen(w));
			text_len += strlen(w);
		}
	}
}

static unsigned char *make_data(enum kind k, size_t n)
{
	unsigned char *b = malloc(n);

	assert_non_null(b);
	switch (k) {
	case K_RANDOM:
		for (size_t i = 0; i < n; i++)
			b[i] = (unsigned char)rnd();
		break;
	case K_ZERO:
	case K_ONE_BYTE:
		memset(b, 0, n);
		if (k == K_ONE_BYTE && n)
			b[rnd_below(n)] = (unsigned char)(1 + rnd_below(255));
		break;
	case K_TEXT:
		text_load();
		for (size_t i = 0; i < n; i += text_len)
			memcpy(b + i, text_src, n - i < text_len ? n - i : text_len);
		break;
	default:
		fail();
	}
	return b;
}

enum comp { C_DEFAULT, C_FAST1, C_FAST8, C_HC9, C_HC12, C_NR };

/* Compresses n bytes of data into an exactly-sized buffer. */
static unsigned char *compress(enum comp c, const unsigned char *data, size_t n, size_t *clen)
{
	int bound = LZ4_compressBound((int)n), r = 0;
	char *tmp = malloc((size_t)bound);
	unsigned char *out;

	assert_non_null(tmp);
	switch (c) {
	case C_DEFAULT:
		r = LZ4_compress_default((const char *)data, tmp, (int)n, bound);
		break;
	case C_FAST1:
		r = LZ4_compress_fast((const char *)data, tmp, (int)n, bound, 1);
		break;
	case C_FAST8:
		r = LZ4_compress_fast((const char *)data, tmp, (int)n, bound, 8);
		break;
	case C_HC9:
		r = LZ4_compress_HC((const char *)data, tmp, (int)n, bound, LZ4HC_CLEVEL_DEFAULT);
		break;
	case C_HC12:
		r = LZ4_compress_HC((const char *)data, tmp, (int)n, bound, LZ4HC_CLEVEL_MAX);
		break;
	default:
		fail();
	}
	assert_true(r > 0);
	*clen = (size_t)r;
	out = dup_exact(tmp, *clen);
	free(tmp);
	return out;
}

/* ------------------------------------------------------------------ */
/* Round trips                                                         */

static void round_trip(enum kind k, enum comp c, size_t n)
{
	unsigned char *data = make_data(k, n), *z, *d;
	size_t clen;
	long r;

	z = compress(c, data, n, &clen);

	/* dst_cap exactly the original size */
	d = malloc(n);
	assert_non_null(d);
	if (n)
		memset(d, 0xa5, n);
	r = lz4_block_decode(z, clen, d, n);
	if (r != (long)n)
		fail_msg("%s data, compressor %d, %zu bytes: decoded %ld", kind_name[k], c, n, r);
	if (n)
		assert_memory_equal(d, data, n);
	free(d);

	/* one byte short: -1 */
	if (n) {
		d = malloc(n - 1);
		assert_non_null(d);
		assert_int_equal(lz4_block_decode(z, clen, d, n - 1), -1);
		free(d);
	}

	/* more room than needed: the same bytes */
	d = malloc(n + 100);
	assert_non_null(d);
	assert_int_equal(lz4_block_decode(z, clen, d, n + 100), (long)n);
	if (n)
		assert_memory_equal(d, data, n);
	free(d);

	free(z);
	free(data);
}

static void round_trips(void **state)
{
	static const size_t sizes[] = { 0, 1, 13, 4096, MIB, 4 * MIB };
	(void)state;

	rng_state = 1;
	for (enum kind k = 0; k < K_NR; k++)
		for (enum comp c = 0; c < C_NR; c++)
			for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
				round_trip(k, c, sizes[i]);
}

/* Odd sizes and the one-non-zero-byte page at its edges. */
static void round_trips_odd(void **state)
{
	(void)state;

	rng_state = 2;
	for (size_t n = 2; n < 300; n++)
		for (enum kind k = 0; k < K_NR; k++)
			round_trip(k, (enum comp)(n % C_NR), n);
	for (size_t i = 0; i < 200; i++)
		round_trip((enum kind)(i % K_NR), (enum comp)(i % C_NR), 1 + rnd_below(70000));

	for (enum comp c = 0; c < C_NR; c++) {
		static const size_t at[] = { 0, 1, 7, 8, 2047, 4088, 4091, 4095 };
		for (size_t i = 0; i < sizeof(at) / sizeof(at[0]); i++) {
			unsigned char page[4096] = { 0 }, d[4096];
			unsigned char *z;
			size_t clen;

			page[at[i]] = 0x5a;
			z = compress(c, page, sizeof(page), &clen);
			assert_int_equal(lz4_block_decode(z, clen, d, sizeof(d)), 4096);
			assert_memory_equal(d, page, sizeof(page));
			free(z);
		}
	}
}

/* ------------------------------------------------------------------ */
/* Hand-made blocks                                                    */

struct block_case {
	const char *what;
	unsigned char b[24];
	size_t len;
	size_t cap;
	long want;
	const char *out;
};

static void hand_made(void **state)
{
	static const struct block_case cases[] = {
		{ "empty input", {0}, 0, 16, -1, NULL },
		{ "empty block", {0x00}, 1, 0, 0, NULL },
		{ "empty block, room", {0x00}, 1, 16, 0, NULL },
		{ "literals only", {0x30, 'a', 'b', 'c'}, 4, 3, 3, "abc" },
		{ "literals, no room", {0x30, 'a', 'b', 'c'}, 4, 2, -1, NULL },
		{ "literals cut", {0x30, 'a', 'b'}, 3, 16, -1, NULL },
		{ "offset 1 run", {0x12, 'x', 1, 0, 0x00}, 5, 7, 7, "xxxxxxx" },
		{ "offset 2 run", {0x21, 'a', 'b', 2, 0, 0x00}, 6, 7, 7, "abababa" },
		{ "offset 0", {0x11, 'x', 0, 0, 0x00}, 5, 16, -1, NULL },
		{ "offset before dst", {0x11, 'x', 2, 0, 0x00}, 5, 16, -1, NULL },
		{ "block ends with a match", {0x10, 'x', 1, 0}, 4, 16, -1, NULL },
		{ "half an offset", {0x10, 'x', 1}, 3, 16, -1, NULL },
		{ "match one byte short of room", {0x10, 'x', 1, 0, 0x00}, 5, 4, -1, NULL },
		{ "match exactly fills room", {0x10, 'x', 1, 0, 0x00}, 5, 5, 5, "xxxxx" },
		{ "literal length cut", {0xf0}, 1, 64, -1, NULL },
		{ "literal length cut after 255", {0xf0, 255}, 2, 1000, -1, NULL },
		{ "literal length 15+0", {0xf0, 0, 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i',
		  'j', 'k', 'l', 'm', 'n', 'o'}, 17, 15, 15, "abcdefghijklmno" },
		{ "literal length past src", {0xf0, 1, 'a'}, 3, 100, -1, NULL },
		{ "huge literal length", {0xf0, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
		  255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255}, 24, 1000, -1, NULL },
		{ "match length cut", {0x1f, 'x', 1, 0}, 4, 100, -1, NULL },
		{ "match length 15+4+1", {0x1f, 'x', 1, 0, 1, 0x00}, 6, 21, 21,
		  "xxxxxxxxxxxxxxxxxxxxx" },
		{ "match length past dst", {0x1f, 'x', 1, 0, 255, 255, 0, 0x00}, 8, 100, -1, NULL },
	};
	(void)state;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct block_case *c = &cases[i];
		unsigned char *s = dup_exact(c->b, c->len), *d = malloc(c->cap);
		long r = lz4_block_decode(s, c->len, d, c->cap);

		if (r != c->want)
			fail_msg("%s: got %ld, want %ld", c->what, r, c->want);
		if (c->out)
			assert_memory_equal(d, c->out, (size_t)r);
		assert_int_equal(check_decode(c->b, c->len, c->cap), c->want);
		free(s);
		free(d);
	}
}

/* ------------------------------------------------------------------ */
/* Random well-formed blocks, with every corner the compressors avoid:  */
/* matches up to the last byte, small offsets near the end, long        */
/* lengths at the 15 and 255 boundaries.                                */

static size_t rnd_len(void)
{
	switch (rnd_below(8)) {
	case 0:
		return 15 + 255 * rnd_below(3) + (rnd_below(2) ? 254 : rnd_below(3));
	case 1:
		return rnd_below(600);
	default:
		return rnd_below(18);
	}
}

static void put_len(unsigned char *b, size_t *pos, size_t extra)
{
	for (; extra >= 255; extra -= 255)
		b[(*pos)++] = 255;
	b[(*pos)++] = (unsigned char)extra;
}

/*
 * A block decoding to about `target` bytes (more for the last sequence's
 * lengths) into blk (blk_cap bytes); its length is returned, the decoded
 * length is in *out_len.
 */
static size_t gen_block(unsigned char *blk, size_t blk_cap, size_t target, size_t *out_len)
{
	size_t pos = 0, o = 0;

	for (;;) {
		size_t lit = rnd_len(), ml = 4 + rnd_len(), off;
		int last = o >= target || rnd_below(64) == 0;

		if (o + lit == 0)
			lit = 1;
		/* worst case: token, lengths, literals, offset */
		if (pos + 1 + 2 * (lit / 255 + 1) + lit + 2 + (ml / 255 + 1) > blk_cap)
			last = 1, lit = 0;
		blk[pos++] = (unsigned char)((lit < 15 ? lit : 15) << 4 |
					     (last ? 0 : ml - 4 < 15 ? ml - 4 : 15));
		if (lit >= 15)
			put_len(blk, &pos, lit - 15);
		for (size_t i = 0; i < lit; i++)
			blk[pos++] = (unsigned char)"abcdefgh"[rnd_below(rnd_below(2) ? 8 : 2)];
		o += lit;
		if (last)
			break;
		if (rnd_below(2))
			off = 1 + rnd_below(o < 20 ? o : 20);
		else
			off = 1 + rnd_below(o < 65535 ? o : 65535);
		blk[pos++] = (unsigned char)off;
		blk[pos++] = (unsigned char)(off >> 8);
		if (ml - 4 >= 15)
			put_len(blk, &pos, ml - 4 - 15);
		o += ml;
	}
	*out_len = o;
	return pos;
}

static void random_blocks(void **state)
{
	unsigned char *blk = malloc(300000);
	(void)state;

	assert_non_null(blk);
	rng_state = 3;
	for (int iter = 0; iter < 4000; iter++) {
		size_t target = iter % 10 == 0 ? rnd_below(100000) : rnd_below(3000);
		size_t out, len = gen_block(blk, 300000, target, &out);

		/* exactly the room needed, a little more, less */
		assert_int_equal(check_decode(blk, len, out), (long)out);
		assert_int_equal(check_decode(blk, len, out + 1 + rnd_below(40)), (long)out);
		if (out)
			assert_int_equal(check_decode(blk, len, rnd_below(out)), -1);

		/* damaged: 1 to 4 bytes changed */
		for (int k = 0; k < 2 && len; k++) {
			size_t flips = 1 + rnd_below(4);
			unsigned char keep[4];
			size_t at[4];

			for (size_t f = 0; f < flips; f++) {
				at[f] = rnd_below(len);
				keep[f] = blk[at[f]];
				blk[at[f]] ^= (unsigned char)(1 + rnd_below(255));
			}
			check_decode(blk, len, out);
			for (size_t f = flips; f-- > 0;)
				blk[at[f]] = keep[f];
		}
	}
	free(blk);
}

/* ------------------------------------------------------------------ */
/* Corrupt compressor output                                           */

/* Every truncation of z: -1, or a prefix of the original. */
static void truncations_of(const unsigned char *data, size_t n, const unsigned char *z, size_t clen)
{
	unsigned char *d = malloc(n);

	assert_non_null(d);
	for (size_t k = 0; k < clen; k++) {
		unsigned char *s = dup_exact(z, k);
		long r = lz4_block_decode(s, k, d, n);

		assert_true(r >= -1 && r <= (long)n);
		if (r > 0)
			assert_memory_equal(d, data, (size_t)r);
		free(s);
		if (k % 7 == 0)
			check_decode(z, k, n);
	}
	free(d);
}

static void truncations(void **state)
{
	static const struct { enum kind k; enum comp c; size_t n; } src[] = {
		{ K_TEXT, C_DEFAULT, 8192 }, { K_TEXT, C_HC12, 8192 }, { K_TEXT, C_FAST8, 8192 },
		{ K_ONE_BYTE, C_DEFAULT, 4096 }, { K_ZERO, C_HC9, 70000 },
		{ K_RANDOM, C_DEFAULT, 3000 },
	};
	size_t total = 0;
	(void)state;

	rng_state = 4;
	for (size_t i = 0; i < sizeof(src) / sizeof(src[0]); i++) {
		unsigned char *data = make_data(src[i].k, src[i].n), *z;
		size_t clen;

		z = compress(src[i].c, data, src[i].n, &clen);
		truncations_of(data, src[i].n, z, clen);
		total += clen;
		free(z);
		free(data);
	}
	print_message("# %zu truncations\n", total);
}

static void byte_flips(void **state)
{
	static const enum kind kinds[] = { K_TEXT, K_TEXT, K_ONE_BYTE, K_RANDOM };
	int count = 0;
	(void)state;

	rng_state = 5;
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		size_t n = 16384, clen;
		unsigned char *data = make_data(kinds[i], n);
		unsigned char *z = compress(i == 1 ? C_HC12 : C_DEFAULT, data, n, &clen);

		for (int iter = 0; iter < 1500; iter++, count++) {
			size_t flips = 1 + rnd_below(4), at[4];
			unsigned char keep[4];

			for (size_t f = 0; f < flips; f++) {
				at[f] = rnd_below(clen);
				keep[f] = z[at[f]];
				z[at[f]] ^= (unsigned char)(1 + rnd_below(255));
			}
			check_decode(z, clen, n);
			for (size_t f = flips; f-- > 0;)
				z[at[f]] = keep[f];
		}
		free(z);
		free(data);
	}
	print_message("# %d damaged blocks\n", count);
}

static void garbage(void **state)
{
	unsigned char buf[2048];
	(void)state;

	rng_state = 6;
	for (int iter = 0; iter < 20000; iter++) {
		size_t len = rnd_below(sizeof(buf)), cap = rnd_below(iter % 2 ? 64 : 8192);

		/* half of them low in entropy: small nibbles and offsets get further */
		for (size_t i = 0; i < len; i++)
			buf[i] = (unsigned char)(iter % 2 ? rnd() : rnd() & (rnd_below(2) ? 0x13 : 0xff));
		check_decode(buf, len, cap);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(hand_made),
		cmocka_unit_test(round_trips),
		cmocka_unit_test(round_trips_odd),
		cmocka_unit_test(random_blocks),
		cmocka_unit_test(truncations),
		cmocka_unit_test(byte_flips),
		cmocka_unit_test(garbage),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);

	free(text_src);
	return rc;
}
