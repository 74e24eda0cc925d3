/* SPDX-License-Identifier: MIT */
/*
 * ckptout.h: what `mtcp_checkpoint --wait PID` says on stderr (pure:
 * unit-tested). Since copy-on-write checkpoints (issue 10) a line
 *   paused X.XXX ms
 * comes before "complete" (or "degraded: ..."): how long the library held
 * the program's threads, as it measured it. Older tools print no such line.
 * And one line of the library's own (MTCP_VERBOSE=1) on the program's stderr.
 */
#ifndef MB_CKPTOUT_H
#define MB_CKPTOUT_H

/*
 * The pause of the first line of text (NUL-terminated, lines split on
 * '\n') that is exactly "paused NUMBER ms" (NUMBER: digits with at most
 * one '.'), in seconds; NAN if there is none.
 */
double mb_ckpt_paused_secs(const char *text);

/*
 * What the library says on the program's stderr after a copy-on-write
 * checkpoint when MTCP_VERBOSE=1 (src/engine/checkpoint.c):
 *   mtcp: copy-on-write PATH: pause X ms, durable Y ms, extra memory N KiB,
 *   copied M KiB, writer PID
 * (one line). The N of the last such line of text (lines split on '\n'),
 * in KiB; -1 if there is none.
 */
long long mb_cow_extra_kib(const char *text);

#endif
