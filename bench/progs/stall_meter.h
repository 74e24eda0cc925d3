/* SPDX-License-Identifier: MIT */
/*
 * stall_meter.h: a thread that wakes every millisecond and records the
 * longest gap between two of its wake-ups: the pause a running program
 * sees while it is checkpointed (all its threads are suspended, so the
 * meter sees the whole suspension as one long gap).
 */
#ifndef STALL_METER_H
#define STALL_METER_H

#include <stdint.h>

/*
 * Starts the meter thread (once). It inherits the caller's signal mask:
 * block the program's own signals first, never the checkpoint signal.
 * 0, or an errno value.
 */
int stall_meter_start(void);

/*
 * Forgets the gaps seen so far: the next report covers what happens from
 * here on. Safe to call from any thread (not from a signal handler).
 */
void stall_meter_reset(void);

/*
 * The longest gap between two wake-ups since the last reset, in ns.
 * Waits until the meter has woken once after this call (at most 1 s), so
 * a stall that has just ended is counted even if the meter thread was
 * not scheduled yet.
 */
uint64_t stall_meter_max_ns(void);

/* Wake-ups since the last reset (to tell a meter that never ran). */
uint64_t stall_meter_wakeups(void);

#endif
