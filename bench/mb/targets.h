/* SPDX-License-Identifier: MIT */
/*
 * targets.h: what `mtcp-bench targets` measured (mode_targets.c), for the
 * table of verdicts (targets_table.c).
 */
#ifndef MB_TARGETS_H
#define MB_TARGETS_H

#include "args.h"
#include "cow.h"
#include "result.h"

#include <stddef.h>

/* one workload (or one growth size): a point per side */
struct tg_result {
	int done; /* measured */
	size_t nsides;
	enum mb_side side[MB_SIDES_MAX];
	struct mb_point p[MB_SIDES_MAX];
};

struct tg_results {
	struct tg_result work[TG_COUNT]; /* TG_GROWTH's is not used */
	size_t ngrowth;
	long growth_mib[MB_GROWTH_MAX];
	struct tg_result growth[MB_GROWTH_MAX];
};

/* The point of side s in r (any copy-on-write side for MB_SIDE_COW), or NULL. */
const struct mb_point *tg_side(const struct tg_result *r, enum mb_side s);

/*
 * The table on stdout: one row per target and side (the limits),
 * then issue 10's copy-on-write rows where both sides were measured, then
 * CRIU's figures if any.
 */
void tg_table_print(const struct tg_results *t, const struct mb_opts *o);

/*
 * The rows of a table of verdicts (targets_table.c; also the tables of
 * memory --incremental and memory --on-term): target, measured median
 * [min..max], baseline, ratio, limit, verdict, paused (tool).
 */
enum tg_lim {
	TG_L_INFO, /* shown, not judged */
	TG_L_LT,   /* median < limit */
	TG_L_LE,   /* median <= limit */
	TG_L_REL,  /* median / baseline <= limit (unrounded) */
};

/* the header line (after an empty line) */
void tg_head(void);

/* "52.1 ms", "1.234 s", "-" for NAN */
void tg_fmt_t(double s, char *buf, size_t n);

/*
 * The measured column: "median [min..max]", each figure formatted by f
 * (tg_fmt_t, or a mode's own size format); only the median for one value;
 * "no data" for none (s NULL or empty).
 */
void tg_fmt_stat(const struct mb_stat *s, void (*f)(double, char *, size_t), char *buf,
		 size_t n);

/* one row: m the median judged, b its baseline (NAN: none), rep the tool's pause */
void tg_row(const char *label, const char *meas, const char *base, double m, double b,
	    enum tg_lim k, double lim, const char *ltext, double rep);

/* a time row: the stat s against base (blabel "": none) */
void tg_trow(const char *label, const struct mb_stat *s, const char *blabel, double base,
	     enum tg_lim k, double lim, const char *ltext, double rep);

/* a size row (bytes) */
void tg_brow(const char *label, const struct mb_stat *s, const char *blabel, double base,
	     enum tg_lim k, double lim, const char *ltext);

#endif
