/* SPDX-License-Identifier: MIT */
/*
 * runplan.c: the order of a run's units.
 */
#include "runplan.h"

#include <stdio.h>

size_t mb_plan(unsigned run, size_t nsides, int with_base, int *out)
{
	size_t k = 0;
	int odd = run % 2;

	if (with_base && !odd)
		out[k++] = MB_UNIT_BASE;
	for (size_t i = 0; i < nsides; i++)
		out[k++] = (int)(odd ? i : nsides - 1 - i);
	if (with_base && odd)
		out[k++] = MB_UNIT_BASE;
	return k;
}

void mb_plan_text(const int *order, size_t n, const char *const *names, const char *base,
		  char *buf, size_t len)
{
	size_t at = 0;

	if (!len)
		return;
	buf[0] = 0;
	for (size_t i = 0; i < n && at < len; i++) {
		int w = snprintf(buf + at, len - at, "%s%s", i ? "-" : "",
				 order[i] == MB_UNIT_BASE ? base : names[order[i]]);

		if (w < 0)
			break;
		at += (size_t)w;
	}
}
