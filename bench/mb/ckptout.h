/* SPDX-License-Identifier: MIT */
/*
 * ckptout.h: what `mtcp_checkpoint --wait PID` says on stderr (pure:
 * unit-tested). Since copy-on-write checkpoints (issue 10) a line
 *   paused X.XXX ms
 * comes before "complete" (or "degraded: ..."): how long the library held
 * the program's threads, as it measured it. Older tools print no such line.
 */
#ifndef MB_CKPTOUT_H
#define MB_CKPTOUT_H

/*
 * The pause of the first line of text (NUL-terminated, lines split on
 * '\n') that is exactly "paused NUMBER ms" (NUMBER: digits with at most
 * one '.'), in seconds; NAN if there is none.
 */
double mb_ckpt_paused_secs(const char *text);

#endif
