/* SPDX-License-Identifier: MIT */
/*
 * runplan.h: the order of the units of one run (pure: unit-tested).
 *
 * A run of a point has one unit per side of the --cow axis (a checkpoint
 * of the program on that side, then, later, its restart) and, optionally,
 * one baseline unit (write_baseline then readback_baseline, or
 * fork_baseline). The units' first halves run in the run's order, then
 * their second halves in the same order: odd runs go sides as listed, then
 * the baseline; even runs go baseline, then the sides in reverse. So every
 * pair of units swaps its order from one run to the next: this machine
 * returns freed memory to its host, and whoever runs right after a large
 * free gets cold memory; alternating shares that out. With one side and a
 * baseline this is checkpoint, write, restart, read-back, then write,
 * checkpoint, read-back, restart.
 */
#ifndef MB_RUNPLAN_H
#define MB_RUNPLAN_H

#include <stddef.h>

#define MB_UNIT_BASE (-1) /* the baseline unit in an order */

/*
 * Run run's (1..N) order of nsides sides (0..nsides-1) and, if with_base,
 * MB_UNIT_BASE, into out (nsides + 1 entries).
 * @return the number of units written.
 */
size_t mb_plan(unsigned run, size_t nsides, int with_base, int *out);

/*
 * The order as text: the units' names joined by '-' (a side's name from
 * names[i], the baseline's base), "stw-cow-base"; cut to fit len.
 */
void mb_plan_text(const int *order, size_t n, const char *const *names, const char *base,
		  char *buf, size_t len);

#endif
