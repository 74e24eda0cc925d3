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

#endif
