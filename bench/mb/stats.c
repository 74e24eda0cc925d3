/* SPDX-License-Identifier: MIT */
/*
 * stats.c: median, minimum and maximum (a point has at most MB_STAT_MAX
 * runs: insertion sort of a copy is all it needs).
 */
#include "stats.h"

#include <math.h>
#include <string.h>

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

double mb_slope(const double *x, const double *y, size_t n)
{
	double sx = 0, sy = 0, sxx = 0, sxy = 0, k = 0, d;

	for (size_t i = 0; i < n; i++) {
		if (isnan(x[i]) || isnan(y[i]))
			continue;
		sx += x[i];
		sy += y[i];
		sxx += x[i] * x[i];
		sxy += x[i] * y[i];
		k++;
	}
	if (k < 2)
		return NAN;
	d = k * sxx - sx * sx;
	if (!(fabs(d) > 1e-12 * (sxx > 1 ? sxx * k : k)))
		return NAN;
	return (k * sxy - sx * sy) / d;
}

void mb_stat_of_field(const void *recs, size_t stride, size_t n, size_t off, struct mb_stat *s)
{
	double v[MB_STAT_MAX];

	if (n > MB_STAT_MAX)
		n = MB_STAT_MAX;
	for (size_t i = 0; i < n; i++)
		memcpy(&v[i], (const char *)recs + i * stride + off, sizeof v[i]);
	mb_stat_of(v, n, s);
}

long long mb_stat_of_size(const void *recs, size_t stride, size_t n, size_t off,
			  struct mb_stat *s)
{
	double v[MB_STAT_MAX];
	struct mb_stat tmp;

	if (!s)
		s = &tmp;
	if (n > MB_STAT_MAX)
		n = MB_STAT_MAX;
	for (size_t i = 0; i < n; i++) {
		long long x;

		memcpy(&x, (const char *)recs + i * stride + off, sizeof x);
		v[i] = x < 0 ? NAN : (double)x;
	}
	mb_stat_of(v, n, s);
	return s->n ? llround(s->med) : -1;
}
