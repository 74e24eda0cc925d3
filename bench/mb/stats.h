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
/* The statistics of one double field (at byte offset off) of n records of
 * stride bytes each (at most MB_STAT_MAX are used). */
void mb_stat_of_field(const void *recs, size_t stride, size_t n, size_t off, struct mb_stat *s);
/* The same for a long long field where -1 means not measured: returns the
 * median rounded, or -1; the statistics go to *s (s may be NULL). */
long long mb_stat_of_size(const void *recs, size_t stride, size_t n, size_t off,
			  struct mb_stat *s);

/*
 * The two above for field f of the n records of the array recs, its stride
 * and f's offset taken from recs' own type (for a mode's runs summed up
 * into a point: result.c, incr_report.c, term_report.c). f must be a
 * double (MB_STAT_FIELD) or a long long (MB_STAT_SIZE): checked when built.
 */
#define MB_STAT_FIELD(recs, n, f, s)                                                   \
	(MB_STAT_TYPE_(recs, f, double),                                               \
	 mb_stat_of_field((recs), sizeof *(recs), (n), offsetof(__typeof__(*(recs)), f), (s)))
#define MB_STAT_SIZE(recs, n, f, s)                                                    \
	(MB_STAT_TYPE_(recs, f, long long),                                            \
	 mb_stat_of_size((recs), sizeof *(recs), (n), offsetof(__typeof__(*(recs)), f), (s)))
#define MB_STAT_TYPE_(recs, f, type) \
	((void)sizeof(char[__builtin_types_compatible_p(__typeof__((recs)->f), type) ? 1 : -1]))

/* a / b, or NAN when either is NAN or b is not positive */
double mb_ratio(double a, double b);

/*
 * The least-squares slope of y against x over the n pairs where neither is
 * NAN; NAN if fewer than 2 such pairs or their x are all equal.
 */
double mb_slope(const double *x, const double *y, size_t n);

#endif
