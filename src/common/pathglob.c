/* SPDX-License-Identifier: MIT */
/* pathglob.c - whole-path shell patterns (pathglob.h). */
#include "pathglob.h"

#include <string.h>

/* The one-byte element of the pattern at *pp (not a '*') against byte c:
 * 1 if it matches; *pp moves past it.  A '[' without its ']' is plain. */
static int elem_match(const char **pp, const char *pe, unsigned char c)
{
	const char *p = *pp;

	if (*p == '?') {
		*pp = p + 1;
		return 1;
	}
	if (*p == '\\' && p + 1 < pe) {
		*pp = p + 2;
		return (unsigned char)p[1] == c;
	}
	if (*p == '[') {
		const char *q = p + 1, *first;
		int neg = 0, hit = 0;

		if (q < pe && (*q == '!' || *q == '^')) {
			neg = 1;
			q++;
		}
		first = q;
		while (q < pe && (*q != ']' || q == first)) {
			unsigned char lo, hi;
			if (*q == '\\' && q + 1 < pe)
				q++;
			lo = hi = (unsigned char)*q++;
			if (q + 1 < pe && *q == '-' && q[1] != ']') {
				q++;
				if (*q == '\\' && q + 1 < pe)
					q++;
				hi = (unsigned char)*q++;
			}
			if (c >= lo && c <= hi)
				hit = 1;
		}
		if (q < pe) {
			*pp = q + 1;
			return hit != neg;
		}
	}
	*pp = p + 1;
	return (unsigned char)*p == c;
}

int pathglob_match(const char *p, size_t plen, const char *s)
{
	const char *pe = p + plen, *star_p = NULL, *star_s = NULL;

	for (;;) {
		if (p < pe && *p == '*') {
			while (p < pe && *p == '*')
				p++;
			star_p = p;
			star_s = s;
			continue;
		}
		if (!*s && p == pe)
			return 1;
		if (*s && p < pe) {
			const char *q = p;
			if (elem_match(&q, pe, (unsigned char)*s)) {
				p = q;
				s++;
				continue;
			}
		}
		/* back to the last star, which takes one byte more */
		if (!star_p || !*star_s)
			return 0;
		p = star_p;
		s = ++star_s;
	}
}

int pathglob_match_list(const char *list, const char *s)
{
	while (list && *list) {
		const char *end = strchr(list, ':');
		size_t n = end ? (size_t)(end - list) : strlen(list);
		if (n && pathglob_match(list, n, s))
			return 1;
		list = end ? end + 1 : NULL;
	}
	return 0;
}
