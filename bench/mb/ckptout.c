/* SPDX-License-Identifier: MIT */
/*
 * ckptout.c: the "paused X.XXX ms" line of mtcp_checkpoint --wait, and the
 * extra memory of the library's "mtcp: copy-on-write" line.
 */
#include "ckptout.h"

#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define PREFIX "paused "
#define SUFFIX " ms"

/* the line [p, end) as "paused NUMBER ms": its ms, or -1 */
static double one_line(const char *p, const char *end)
{
	size_t plen = sizeof PREFIX - 1, slen = sizeof SUFFIX - 1;
	const char *num, *num_end;
	int digits = 0, dots = 0;

	if (end > p && end[-1] == '\r')
		end--;
	if ((size_t)(end - p) < plen + slen + 1 || strncmp(p, PREFIX, plen) ||
	    strncmp(end - slen, SUFFIX, slen))
		return -1;
	num = p + plen;
	num_end = end - slen;
	for (const char *q = num; q < num_end; q++) {
		if (*q == '.')
			dots++;
		else if (*q >= '0' && *q <= '9')
			digits++;
		else
			return -1;
	}
	if (!digits || dots > 1)
		return -1;
	return strtod(num, NULL);
}

double mb_ckpt_paused_secs(const char *text)
{
	const char *p = text;

	while (p && *p) {
		const char *nl = strchr(p, '\n'), *end = nl ? nl : p + strlen(p);
		double ms = one_line(p, end);

		if (ms >= 0)
			return ms / 1e3;
		p = nl ? nl + 1 : NULL;
	}
	return NAN;
}

#define COW_PREFIX "mtcp: copy-on-write "
#define EXTRA ", extra memory "
#define KIB_SUFFIX " KiB,"

/* the line [p, end) as a copy-on-write line: its extra memory, or -1 */
static long long extra_line(const char *p, const char *end)
{
	size_t plen = sizeof COW_PREFIX - 1, elen = sizeof EXTRA - 1;
	const char *q, *num, *last = NULL;
	long long v = 0;

	if ((size_t)(end - p) < plen || strncmp(p, COW_PREFIX, plen))
		return -1;
	/* the last ", extra memory " of the line: the path before it is anything */
	for (q = p + plen; (size_t)(end - q) >= elen; q++)
		if (!strncmp(q, EXTRA, elen))
			last = q;
	if (!last)
		return -1;
	num = q = last + elen;
	for (; q < end && *q >= '0' && *q <= '9'; q++) {
		if (v > (LLONG_MAX - 9) / 10)
			return -1;
		v = v * 10 + (*q - '0');
	}
	if (q == num || (size_t)(end - q) < sizeof KIB_SUFFIX - 1 ||
	    strncmp(q, KIB_SUFFIX, sizeof KIB_SUFFIX - 1))
		return -1;
	return v;
}

long long mb_cow_extra_kib(const char *text)
{
	const char *p = text;
	long long found = -1;

	while (p && *p) {
		const char *nl = strchr(p, '\n'), *end = nl ? nl : p + strlen(p);
		long long v = extra_line(p, end);

		if (v >= 0)
			found = v;
		p = nl ? nl + 1 : NULL;
	}
	return found;
}
