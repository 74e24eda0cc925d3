/* SPDX-License-Identifier: MIT */
/*
 * progress.h: the estimated time left, the figures as text, and the
 * summary table printed at the end.
 */
#ifndef MB_PROGRESS_H
#define MB_PROGRESS_H

#include "result.h"
#include "sweep.h"

#include <stddef.h>

/*
 * Work is counted in units the mode chooses (memory: MiB + a constant per
 * run; threads: threads + a constant; npb: the class's grid points times
 * iterations): the time left is the time so far per unit done, times the
 * units left.
 */
struct mb_progress {
	double t0, total, done;
};

void mb_progress_init(struct mb_progress *p, double total_units);
void mb_progress_add(struct mb_progress *p, double units);

/* "about 12 min left", "about 40 s left", "estimating the time left" */
void mb_progress_left(const struct mb_progress *p, char *buf, size_t n);

/* "52.1 ms", "1.234 s", "-" for NAN */
void mb_fmt_secs(double s, char *buf, size_t n);

/* "512 B", "12.3 KiB", "64.0 MiB", "-" for < 0 */
void mb_fmt_bytes(long long b, char *buf, size_t n);

/* the npct percentages of a mode's plan line: "1%, 10%, 50%" (cut to fit n) */
void mb_fmt_pcts(const double *pct, size_t npct, char *buf, size_t n);

/* The points done so far, for the table at the end. */
struct mb_table {
	size_t n;
	struct mb_key key[MB_POINTS_MAX];
	struct mb_point point[MB_POINTS_MAX];
};

void mb_table_add(struct mb_table *t, const struct mb_key *k, const struct mb_point *p);

/* The summary on stdout: medians [min..max], the baselines, the ratios. */
void mb_table_print(const struct mb_table *t);

#endif
