/* SPDX-License-Identifier: MIT */
/*
 * crc32c.h - CRC-32C (Castagnoli) with the SSE4.2 crc32 instruction.
 * Header-only so that the libc-free restorer and the hosted code use the
 * same function.  Every x86_64 CPU since 2008 (Nehalem, Bulldozer) has
 * SSE4.2; mtcp_restart and the library check CPUID once and refuse to run
 * without it (crc32c_supported()).
 *
 * One dependent crc32q chain runs at about 8 bytes per 3 cycles; a 3-way
 * interleave with a combine step is a later optimisation.
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
