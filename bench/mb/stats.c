/* SPDX-License-Identifier: MIT */
/*
 * stats.c: median, minimum and maximum (a point has at most MB_STAT_MAX
 * runs: insertion sort of a copy is all it needs).
 */
#include "stats.h"

#include <math.h>

void mb_stat_of(const double *v, size_t n, struct mb_stat *s)
{
	double a[MB_STAT_MAX];
	size_t k = 0;

	s->n = 0;
	s->med = s->min = s->max = NAN;
	if (n > MB_STAT_MAX)
		n = MB_STAT_MAX;
	for (size_t i = 0; i < n; i++) {
		size_t j;

		if (isnan(v[i]))
			continue;
		for (j = k; j > 0 && a[j - 1] > v[i]; j--)
			a[j] = a[j - 1];
		a[j] = v[i];
		k++;
	}
	if (k) {
		s->n = k;
		s->min = a[0];
		s->max = a[k - 1];
		s->med = k % 2 ? a[k / 2] : (a[k / 2 - 1] + a[k / 2]) / 2;
	}
}

double mb_ratio(double a, double b)
{
	if (isnan(a) || isnan(b) || !(b > 0))
		return NAN;
	return a / b;
}
