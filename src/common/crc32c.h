/* SPDX-License-Identifier: MIT */
/*
 * crc32c.h - CRC-32C (Castagnoli) with the SSE4.2 crc32 instruction.
 * Header-only so that the libc-free restorer and the hosted code use the
 * same function.  Every x86_64 CPU since 2008 (Nehalem, Bulldozer) has
 * SSE4.2; mtcp_restart and the library check CPUID once and refuse to run
 * without it (crc32c_supported()).
 *
 * One dependent crc32q chain runs at about 8 bytes per 3 cycles (the
 * instruction's latency), a third of what the unit can do.  Long buffers
 * are therefore cut into rounds of three 8 KiB lanes computed at once; the
 * first lane's crc is then moved past the next lane's bytes (a carry-less
 * multiply by x^(8*8192-33) mod P, reduced by one crc32q) and xored with
 * that lane's crc, twice.  That needs PCLMULQDQ (every CPU since 2010),
 * checked by CPUID per long call (the restorer has no memory to keep a
 * flag in); without it, one chain.
 *
 * Convention: crc32c(0, buf, len) is the standard CRC-32C of buf (initial
 * value ~0, final xor ~0); pass a previous result as `crc` to continue.
 */
#ifndef MTCP_CRC32C_H
#define MTCP_CRC32C_H

#include <stdint.h>
#include <stddef.h>

static inline int crc32c_supported(void)
{
	uint32_t a, b, c, d;
	__asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(1), "c"(0));
	return (c >> 20) & 1; /* CPUID.1:ECX.SSE4_2 */
}

#define CRC32C_LANE 8192u
/* x^(8 * CRC32C_LANE - 33) mod P, bit-reflected (computed once, offline,
 * with GF(2) square-and-multiply; tests/unit/test_crc32c.c checks the
 * result against a bitwise CRC) */
#define CRC32C_K_LANE 0x54a86326u

static inline int crc32c_have_clmul(void)
{
	uint32_t a, b, c, d;
	__asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(1), "c"(0));
	return (c >> 1) & 1; /* CPUID.1:ECX.PCLMULQDQ */
}

/* The raw crc register c, moved past CRC32C_LANE zero bytes. */
static inline uint64_t crc32c_shift_lane(uint64_t c)
{
	typedef long long v2di __attribute__((vector_size(16)));
	v2di x = { (long long)c, 0 }, k = { (long long)CRC32C_K_LANE, 0 };
	uint64_t r = 0;

	__asm__("pclmulqdq $0x00, %1, %0" : "+x"(x) : "x"(k));
	__asm__("crc32q %1, %0" : "+r"(r) : "r"((uint64_t)x[0]));
	return r;
}

static inline uint32_t crc32c(uint32_t crc, const void *buf, size_t len)
{
	const unsigned char *p = buf;
	uint64_t c = (uint32_t)~crc;

	while (len && ((uintptr_t)p & 7)) {
		uint32_t c32 = (uint32_t)c;
		__asm__("crc32b %1, %0" : "+r"(c32) : "rm"(*p));
		c = c32;
		p++, len--;
	}
	if (len >= 3 * CRC32C_LANE && crc32c_have_clmul()) {
		while (len >= 3 * CRC32C_LANE) {
			const uint64_t *a = (const uint64_t *)(const void *)p;
			const uint64_t *b = a + CRC32C_LANE / 8, *d = b + CRC32C_LANE / 8;
			uint64_t c1 = 0, c2 = 0;

			for (size_t i = 0; i < CRC32C_LANE / 8; i++) {
				__asm__("crc32q %1, %0" : "+r"(c) : "rm"(a[i]));
				__asm__("crc32q %1, %0" : "+r"(c1) : "rm"(b[i]));
				__asm__("crc32q %1, %0" : "+r"(c2) : "rm"(d[i]));
			}
			c = crc32c_shift_lane(c) ^ c1;
			c = crc32c_shift_lane(c) ^ c2;
			p += 3 * CRC32C_LANE, len -= 3 * CRC32C_LANE;
		}
	}
	while (len >= 8) {
		__asm__("crc32q %1, %0" : "+r"(c) : "rm"(*(const uint64_t *)p));
		p += 8, len -= 8;
	}
	while (len) {
		uint32_t c32 = (uint32_t)c;
		__asm__("crc32b %1, %0" : "+r"(c32) : "rm"(*p));
		c = c32;
		p++, len--;
	}
	return ~(uint32_t)c;
}

#endif
