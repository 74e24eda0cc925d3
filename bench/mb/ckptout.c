/* SPDX-License-Identifier: MIT */
/*
 * ckptout.c: the "paused X.XXX ms" line of mtcp_checkpoint --wait.
 */
#include "ckptout.h"

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
