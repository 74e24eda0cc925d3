/* SPDX-License-Identifier: MIT */
/*
 * modes.h: the three experiments and the targets. Each returns 0 when
 * every run was taken (failed checks are counted in c->failed), -EIO after
 * saying why, or -EINTR when a stop signal came.
 */
#ifndef MB_MODES_H
#define MB_MODES_H

struct mb_ctx;

int mb_mode_memory(struct mb_ctx *c);  /* figures 2 and 6 */
int mb_mode_incremental(struct mb_ctx *c); /* memory --incremental: issue 11's rows */
int mb_mode_on_term(struct mb_ctx *c); /* memory --on-term: issue 12's SIGTERM to durable */
int mb_mode_threads(struct mb_ctx *c); /* figure 3 */
int mb_mode_npb(struct mb_ctx *c);     /* figure 4; with --interval, the one below */
int mb_mode_npb_interval(struct mb_ctx *c); /* npb --interval: the slowdown runs */
int mb_mode_targets(struct mb_ctx *c); /* the project's targets, PASS/MISS */

/* npb: a class's progress units (grid points x iterations / 1e5, plus
 * the overhead of a run); for the time-left estimate only */
double mb_npb_class_units(char cls);

#endif
