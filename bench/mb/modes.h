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
int mb_mode_threads(struct mb_ctx *c); /* figure 3 */
int mb_mode_npb(struct mb_ctx *c);     /* figure 4 */
int mb_mode_targets(struct mb_ctx *c); /* the project's targets, PASS/MISS */

#endif
