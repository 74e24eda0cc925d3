/* SPDX-License-Identifier: MIT */
/*
 * stats.h: the median, minimum and maximum of a point's runs.
 */
#ifndef MB_STATS_H
#define MB_STATS_H

#include <stddef.h>

#define MB_STAT_MAX 1024 /* values looked at (--runs is at most 1000) */

struct mb_stat {
	size_t n;		/* values that were not NAN */
	double med, min, max;	/* NAN when n == 0 */
};

/*
 * The statistics of the n values of v, NAN values left out (a figure that
 * was not measured in a run); only the first MB_STAT_MAX values count. The
 * median of an even count is the mean of the two middle values. v is not
 * changed.
 */
void mb_stat_of(const double *v, size_t n, struct mb_stat *s);

/* a / b, or NAN when either is NAN or b is not positive */
double mb_ratio(double a, double b);

/*
 * The least-squares slope of y against x over the n pairs where neither is
 * NAN; NAN if fewer than 2 such pairs or their x are all equal.
 */
double mb_slope(const double *x, const double *y, size_t n);

#endif
