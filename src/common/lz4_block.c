/* SPDX-License-Identifier: MIT */
/*
 * lz4_block.c - LZ4 block decoder, written from lz4's block format
 * description.  A block is a series of sequences:
 *
 *   token  literal length (high 4 bits) and match length - 4 (low 4 bits);
 *          15 in either means "more": bytes follow, each added to the
 *          length, until one that is not 255
 *   literals
 *   offset 2 bytes, little-endian, 1..65535 back from the current output
 *   [extra bytes of the match length]
 *
 * and the last sequence stops after its literals, at the end of the block.
 *
 * Safety comes from checking every length against the room left on both
 * sides before copying.  Speed comes from "wild" copies in whole 8-byte
 * words, which may write up to 15 bytes past the end of a run: they are
 * used only where that much room is left in src and dst, exact copies
 * otherwise (near the ends of the buffers).  So dst past the returned
 * length may be overwritten.
 *
 * Words are moved through a may_alias type, never memcpy: the restorer's
 * memcpy is a byte loop.  Built freestanding, this file calls nothing at
 * any of -O0 to -O3 (nm -u is empty).
 */
#include <stddef.h>
#include <stdint.h>

#include "lz4_block.h"

/* An unaligned 8-byte word that may alias anything: plain mov on x86_64. */
typedef uint64_t __attribute__((may_alias, aligned(1))) lz4_word;

/* Room needed past a run for a wild copy: literals go 16 bytes at a time
 * (up to 15 bytes over), matches 8 (up to 7 over). */
#define LZ4_WILD_LIT 16
#define LZ4_WILD_MATCH 8
/* Room needed for the short-sequence shortcut in src (14 literals and an
 * offset) and in dst (14 literals, then an 18-byte match copied wild: 25). */
#define LZ4_FAST_SRC 16
#define LZ4_FAST_DST 48

static inline __attribute__((always_inline))
void copy8(unsigned char *d, const unsigned char *s)
{
	*(lz4_word *)d = *(const lz4_word *)s;
}

/*
 * Adds the extra length bytes at *ipp to *len.  -1 if src ends before the
 * last one, or if the length exceeds `room` (the output left): checking on
 * each byte also keeps the sum from overflowing.
 */
static inline __attribute__((always_inline))
int read_len(const unsigned char **ipp, const unsigned char *iend, size_t *len, size_t room)
{
	const unsigned char *ip = *ipp;
	size_t n = *len;
	unsigned b;

	do {
		if (ip == iend)
			return -1;
		b = *ip++;
		n += b;
		if (n > room)
			return -1;
	} while (b == 255);
	*ipp = ip;
	*len = n;
	return 0;
}

/* Copies n bytes exactly, src and dst apart; n is usually large here. */
static void copy_exact(unsigned char *d, const unsigned char *s, size_t n)
{
	unsigned char *const end = d + n;

	if (n >= 8) {
		for (; end - d >= 16; d += 16, s += 16) {
			copy8(d, s);
			copy8(d + 8, s + 8);
		}
		if (end - d >= 8) {
			copy8(d, s);
			d += 8, s += 8;
		}
		/* the last 0..7 bytes: one word ending at the end, overlapping */
		copy8(end - 8, s - (d - (end - 8)));
		return;
	}
	while (d < end)
		*d++ = *s++;
}

/*
 * Copies the match m (off bytes back) to op, len > 0 bytes, in words: it
 * writes [op, op + len + 7), which must be in dst.
 */
static inline __attribute__((always_inline))
void copy_match(unsigned char *op, const unsigned char *m, size_t off, size_t len)
{
	unsigned char *const mend = op + len;

	if (off >= 8) {
		/* each word read was written before (off >= 8) */
		do {
			copy8(op, m);
			op += 8, m += 8;
		} while (op < mend);
	} else {
		/*
		 * A pattern of period off: a byte loop writes its first 8
		 * bytes, then that word is stored every step bytes (the
		 * largest multiple of off <= 8), so that each store starts at
		 * the same phase of the pattern.
		 */
		static const unsigned char steps[8] = { 0, 8, 8, 6, 8, 5, 6, 7 };
		size_t step = steps[off];
		uint64_t pat;

		for (unsigned i = 0; i < 8; i++)
			op[i] = m[i];
		pat = *(const lz4_word *)op;
		for (op += step; op < mend; op += step)
			*(lz4_word *)op = pat;
	}
}

long lz4_block_decode(const void *src, size_t src_len, void *dst, size_t dst_cap)
{
	const unsigned char *ip = src, *iend;
	unsigned char *op = dst, *oend;

	if (src_len == 0)	/* not even a token */
		return -1;
	if (dst_cap > (size_t)__LONG_MAX__)	/* keep the result representable */
		dst_cap = __LONG_MAX__;
	iend = ip + src_len;
	oend = op + dst_cap;

	for (;;) {
		unsigned token;
		size_t lit, ml, off;
		const unsigned char *m;

		if (ip == iend)	/* ended after a match: no last literals */
			return -1;
		token = *ip++;
		lit = token >> 4;
		ml = (token & 15) + 4;

		/*
		 * The common case, up to 14 literals and a match of up to 18
		 * bytes, far from both ends: fixed-size copies, fewer checks.
		 * Since the offset is within src, this is not the last
		 * sequence.
		 */
		if (lit < 15 && ml < 19 &&
		    (size_t)(iend - ip) >= LZ4_FAST_SRC && (size_t)(oend - op) >= LZ4_FAST_DST) {
			copy8(op, ip);
			copy8(op + 8, ip + 8);
			ip += lit;
			op += lit;
			off = ip[0] | (size_t)ip[1] << 8;
			ip += 2;
			if (off == 0 || off > (size_t)(op - (unsigned char *)dst))
				return -1;
			m = op - off;
			if (off < 8)
				goto match_wild;
			copy8(op, m);
			copy8(op + 8, m + 8);
			copy8(op + 16, m + 16);
			op += ml;
			continue;
		}

		/* literals */
		if (lit == 15 && read_len(&ip, iend, &lit, (size_t)(oend - op)))
			return -1;
		if (lit > (size_t)(iend - ip) || lit > (size_t)(oend - op))
			return -1;
		if ((size_t)(iend - ip) - lit >= LZ4_WILD_LIT &&
		    (size_t)(oend - op) - lit >= LZ4_WILD_LIT) {
			size_t i = 0;
			do {
				copy8(op + i, ip + i);
				copy8(op + i + 8, ip + i + 8);
				i += 16;
			} while (i < lit);
		} else {
			copy_exact(op, ip, lit);
		}
		ip += lit;
		op += lit;
		if (ip == iend)	/* the last sequence */
			break;

		/* match */
		if (iend - ip < 2)
			return -1;
		off = ip[0] | (size_t)ip[1] << 8;
		ip += 2;
		if (off == 0 || off > (size_t)(op - (unsigned char *)dst))
			return -1;
		m = op - off;
		if (ml == 19 && read_len(&ip, iend, &ml, (size_t)(oend - op)))
			return -1;
		if (ml > (size_t)(oend - op))
			return -1;
		if ((size_t)(oend - op) - ml < LZ4_WILD_MATCH) {
			/*
			 * Near the end of dst: a long match (the rest of a
			 * zero-filled chunk is one) goes fast up to
			 * LZ4_WILD_MATCH bytes from the end, the rest byte by
			 * byte, which also handles overlap.
			 */
			if ((size_t)(oend - op) > LZ4_WILD_MATCH + 16) {
				size_t head = (size_t)(oend - op) - LZ4_WILD_MATCH;
				copy_match(op, m, off, head);
				op += head, m += head, ml -= head;
			}
			while (ml--)
				*op++ = *m++;
			continue;
		}
match_wild:
		copy_match(op, m, off, ml);
		op += ml;
	}
	return op - (unsigned char *)dst;
}
