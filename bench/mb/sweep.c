/* SPDX-License-Identifier: MIT */
/*
 * sweep.c: the points of the memory (doubling) and threads (1-2-5) sweeps.
 */
#include "sweep.h"

#include <limits.h>

size_t mb_sweep_doubling(long from, long to, long *out, size_t max)
{
	size_t n = 0;
	long v;

	if (from < 1 || from > to)
		return 0;
	for (v = from; n < max; v *= 2) {
		out[n++] = v;
		if (v > to / 2)
			break;
	}
	if (n < max && out[n - 1] != to)
		out[n++] = to;
	return n;
}

size_t mb_sweep_125(long from, long to, long *out, size_t max)
{
	static const long steps[] = { 1, 2, 5 };
	size_t n = 0;

	if (from < 1 || from > to || max == 0)
		return 0;
	out[n++] = from;
	for (long decade = 1; decade <= to; decade *= 10) {
		for (int i = 0; i < 3; i++) {
			long v = steps[i] * decade;

			if (v > from && v < to && n < max)
				out[n++] = v;
		}
		if (decade > LONG_MAX / 10)
			break;
	}
	if (to != from && n < max)
		out[n++] = to;
	return n;
}
