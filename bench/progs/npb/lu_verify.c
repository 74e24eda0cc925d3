/* SPDX-License-Identifier: MIT */
/*
 * lu_verify.c - comparing and parsing npb_lu's norm lines (lu.h).  No
 * OpenMP and no solver: the driver links this file alone.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lu.h"

static void say(char *why, size_t whylen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void say(char *why, size_t whylen, const char *fmt, ...)
{
	va_list ap;

	if (!why || !whylen)
		return;
	va_start(ap, fmt);
	vsnprintf(why, whylen, fmt, ap);
	va_end(ap);
}

int lu_compare(const double *a, const double *b, int n, double rel_tol,
	       char *why, size_t whylen)
{
	if (n < 0 || !(rel_tol >= 0.0)) {
		say(why, whylen, "bad comparison: %d values, tolerance %g", n, rel_tol);
		return -1;
	}
	for (int i = 0; i < n; i++) {
		double x = a[i], y = b[i];

		if (isnan(x) || isnan(y)) {
			say(why, whylen, "value %d: %.17g vs %.17g (NaN)", i + 1, x, y);
			return -1;
		}
		/* covers +0 == -0 and equal infinities, which the relative
		 * test below cannot (inf - inf is NaN) */
		if (x == y)
			continue;
		if (isinf(x) || isinf(y)) {
			say(why, whylen, "value %d: %.17g vs %.17g (infinite)", i + 1, x, y);
			return -1;
		}
		double diff = fabs(x - y), scale = fmax(fabs(x), fabs(y));
		if (!(diff <= rel_tol * scale)) {
			say(why, whylen, "value %d: %.17g vs %.17g (relative difference %.3g > %g)",
			    i + 1, x, y, diff / scale, rel_tol);
			return -1;
		}
	}
	say(why, whylen, "%s", "");
	return 0;
}

int lu_parse_norms(const char *line, const char *key, double out[LU_NVAR])
{
	size_t klen = strlen(key);
	const char *s = line;

	if (!klen || strncmp(s, key, klen) != 0)
		return -EINVAL;
	s += klen;
	for (int m = 0; m < LU_NVAR; m++) {
		char *end;

		/* a blank before each value */
		if (*s != ' ' && *s != '\t')
			return -EINVAL;
		while (*s == ' ' || *s == '\t')
			s++;
		/* strtod would skip a newline too: the values are on one line */
		if (isspace((unsigned char)*s))
			return -EINVAL;
		out[m] = strtod(s, &end);
		/* ERANGE on underflow still gives the nearest value: a
		 * subnormal norm is a norm; overflow gives inf, left to
		 * lu_compare */
		if (end == s)
			return -EINVAL;
		s = end;
	}
	while (*s == ' ' || *s == '\t')
		s++;
	if (*s == '\r')
		s++;
	if (*s == '\n')
		s++;
	return *s ? -EINVAL : 0;
}

int lu_parse_residuals(const char *line, double out[LU_NVAR])
{
	return lu_parse_norms(line, "residuals", out);
}
