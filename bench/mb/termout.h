/* SPDX-License-Identifier: MIT */
/*
 * termout.h: what `mtcp-bench memory --on-term` reads (pure: unit-tested,
 * tests/unit/test_mb_termout.c), and its figures against a grace period.
 *
 * With MTCP_ON_TERM set, the library says on the program's stderr, once the
 * final checkpoint a termination signal from outside asked for is durable
 * (or has failed), and before it passes the signal on (src/engine/on_term.c):
 *   mtcp: SIGTERM: final checkpoint PATH is durable (paused X ms); SIGTERM goes
 *     to the program now
 *   mtcp: SIGTERM: the final checkpoint failed: WHY; SIGTERM goes to the program now
 * (one line each; the signal's name is the one MTCP_ON_TERM picked).
 *
 * `mtcp_restart --verify IMAGE` prints "IMAGE: ok: ..." and, for an
 * increment, its chain, newest first, one line per image:
 *   chain K NAME depth D id ID size BYTES data BYTES [inherits BYTES]
 * (nothing more for a full image).
 */
#ifndef MB_TERMOUT_H
#define MB_TERMOUT_H

#include <limits.h>
#include <stddef.h>

enum { MB_TERM_NONE, MB_TERM_DURABLE, MB_TERM_FAILED };

struct mb_term_line {
	int state;	     /* MB_TERM_*: what the last such line said */
	char sig[24];	     /* "SIGTERM" */
	char path[PATH_MAX]; /* durable: the final image */
	double paused_ms;    /* durable: the library's pause; NAN if not a number */
	char why[256];	     /* failed: the reason */
};

/*
 * The last final-checkpoint line of text (NUL-terminated, lines split on
 * '\n') into out (cleared first).
 * @return out->state.
 */
int mb_term_parse(const char *text, struct mb_term_line *out);

/*
 * The output of `mtcp_restart --verify path`: the depth of the image
 * itself in its chain (the "chain 0" line), 0 for a full image (no chain
 * lines).
 * @return the depth; -1 if there is no "PATH: ok:" line for path.
 */
long mb_term_verify_depth(const char *text, const char *path);

/* secs / grace; NAN unless both are positive numbers */
double mb_term_share(double secs, double grace);

/*
 * The GiB that would take grace seconds at the rate bytes per secs (a
 * linear extrapolation); NAN unless all three are positive numbers.
 */
double mb_term_fit_gib(double bytes, double secs, double grace);

#endif
