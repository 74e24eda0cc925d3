/* SPDX-License-Identifier: MIT */
/*
 * cow.h: the --cow axis: which way the checkpointed program takes its
 * checkpoints, set through MTCP_COW in its environment (issue 10):
 *   stw   MTCP_COW=0     stop-the-world: the threads wait for the disk
 *   cow   MTCP_COW=1     copy-on-write: a snapshot, written in the background
 *   auto  MTCP_COW=auto  the library's default (copy-on-write unless memory
 *                        is short)
 * Without --cow (memory, threads, npb), MTCP_COW is left as the environment
 * has it (the side MB_SIDE_ENV, an empty cow column).
 */
#ifndef MB_COW_H
#define MB_COW_H

#include <stddef.h>

enum mb_side { MB_SIDE_ENV, MB_SIDE_STW, MB_SIDE_COW, MB_SIDE_AUTO, MB_SIDE_COUNT };

#define MB_SIDES_MAX 2 /* sides measured in one run: stw and one copy-on-write side */

/*
 * The sides of --cow's mask (MB_COW_STW, MB_COW_COW of args.h; 0: not
 * given) into out (MB_SIDES_MAX entries), stop-the-world first; the
 * copy-on-write side is MB_SIDE_AUTO if cow_is_auto, else MB_SIDE_COW. A
 * mask of 0 gives MB_SIDE_ENV alone.
 * @return the number of sides (1 or 2).
 */
size_t mb_sides(unsigned mask, int cow_is_auto, enum mb_side *out);

/* "stw", "cow", "auto"; NULL for MB_SIDE_ENV (an empty CSV field). */
const char *mb_side_name(enum mb_side s);

/* The name in a progress line or an order: the above, "ckpt" for MB_SIDE_ENV. */
const char *mb_side_label(enum mb_side s);

/*
 * The variable that puts a program on side s, for a forced environment
 * (bprog_own_start): "MTCP_COW=0", "MTCP_COW=1", "MTCP_COW=auto"; NULL for
 * MB_SIDE_ENV (the environment's is kept).
 */
const char *mb_side_cow_var(enum mb_side s);

/*
 * The environment of a program launched on side s: ours, with MTCP_COW
 * replaced by the side's value (MB_SIDE_ENV: ours as it is). Built once
 * per side and kept. NULL only if memory ran out.
 */
char **mb_side_env(enum mb_side s);

/*
 * The same, with MTCP_VERBOSE=1 as well (the library then says on the
 * program's stderr what each checkpoint took: ckptout.h). Built once per
 * side and kept. NULL only if memory ran out.
 */
char **mb_side_env_verbose(enum mb_side s);

/* 1 for the copy-on-write sides (cow, auto), else 0. */
int mb_side_is_cow(enum mb_side s);

#endif
