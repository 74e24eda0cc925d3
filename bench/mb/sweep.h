/* SPDX-License-Identifier: MIT */
/*
 * sweep.h: the points a mode measures, in increasing order.
 */
#ifndef MB_SWEEP_H
#define MB_SWEEP_H

#include <stddef.h>

#define MB_POINTS_MAX 64 /* enough for 1..MB_MIB_MAX doubling (21) and 1-2-5 to 16000 (14) */

/*
 * from, 2 from, 4 from, ... while at most to; to itself is added when the
 * doubling misses it (4..8: 4, 8; 3..10: 3, 6, 10).
 * @return the number of points written to out (at most max); 0 if
 * from < 1 or from > to.
 */
size_t mb_sweep_doubling(long from, long to, long *out, size_t max);

/*
 * from, the values of 1, 2, 5, 10, 20, 50, ... strictly between from and
 * to, and to (1..1000: 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000;
 * 1..4: 1, 2, 4; 3..3: 3). Same @return as mb_sweep_doubling().
 */
size_t mb_sweep_125(long from, long to, long *out, size_t max);

#endif
