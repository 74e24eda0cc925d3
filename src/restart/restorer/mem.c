/* SPDX-License-Identifier: MIT */
/*
 * mem.c - memcpy, memmove, memset and memcmp for the restorer: gcc emits
 * calls to them even with -ffreestanding (x86_64 only, as the restorer).  Built with
 * -fno-tree-loop-distribute-patterns so gcc does not turn these loops back
 * into calls to themselves.
 */
#ifndef MTCP_NOLIBC
#error "restorer code is built only without libc"
#endif

#include <stddef.h>

/* rep movsb: the CPU's own fast copy (ERMSB); the restorer copies the
 * parts of ancestor extents that an increment inherits, megabytes of them */
void *memcpy(void *dst, const void *src, size_t n)
{
	void *d = dst;
	__asm__ volatile("rep movsb" : "+D"(d), "+S"(src), "+c"(n) : : "memory");
	return dst;
}

void *memmove(void *dst, const void *src, size_t n)
{
	unsigned char *d = dst;
	const unsigned char *s = src;
	if (d < s) {
		while (n--)
			*d++ = *s++;
	} else {
		while (n--)
			d[n] = s[n];
	}
	return dst;
}

void *memset(void *dst, int c, size_t n)
{
	unsigned char *d = dst;
	while (n--)
		*d++ = (unsigned char)c;
	return dst;
}

int memcmp(const void *a, const void *b, size_t n)
{
	const unsigned char *x = a, *y = b;
	for (; n; n--, x++, y++)
		if (*x != *y)
			return *x < *y ? -1 : 1;
	return 0;
}
