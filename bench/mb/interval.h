/* SPDX-License-Identifier: MIT */
/*
 * interval.h: the pure parts of `mtcp-bench npb --interval S` (the slowdown
 * runs, issue 10; mode_npb_interval.c): the library's MTCP_VERBOSE lines,
 * the image names, the children's environment and a run's figures.
 * Unit-tested (tests/unit/test_mb_interval.c).
 *
 * With MTCP_VERBOSE=1 the library prints on stderr, once per checkpoint
 * that completed (src/engine/checkpoint.c):
 *   mtcp: stop-the-world PATH: pause X ms, durable Y ms
 *   mtcp: copy-on-write PATH: pause X ms, durable Y ms, extra memory ...
 * and, for one that failed (src/engine/ctl.c):
 *   mtcp: checkpoint failed: REASON
 */
#ifndef MB_INTERVAL_H
#define MB_INTERVAL_H

#include "result.h"

#include <stddef.h>

/* what mb_iv_line() saw */
enum { MB_IV_OTHER, MB_IV_STW, MB_IV_COW, MB_IV_FAILED };

/* The checkpoints of one run, from its stderr lines. */
struct mb_iv_log {
	unsigned ckpts;		/* "pause X ms" lines, either way */
	unsigned stw, cow;	/* of them: stop-the-world, copy-on-write */
	unsigned failed;	/* "checkpoint failed:" lines */
	double pause_sum_s, pause_max_s, durable_sum_s; /* pause_max_s NAN: no checkpoint */
	char first_failure[256]; /* the first failure's reason */
};

void mb_iv_log_init(struct mb_iv_log *l);

/*
 * Adds one line of stderr (NUL-terminated, a final '\n' or "\r\n" allowed)
 * to l. A checkpoint line must have a pause that is digits with at most
 * one '.', then " ms"; its durable part is optional (0 if missing).
 * @return MB_IV_STW or MB_IV_COW (a checkpoint), MB_IV_FAILED, or
 * MB_IV_OTHER (any other line, left out).
 */
int mb_iv_line(struct mb_iv_log *l, const char *line);

/* Mean pause and mean durable time of l's checkpoints, seconds; NAN if none. */
double mb_iv_mean_pause(const struct mb_iv_log *l);
double mb_iv_mean_durable(const struct mb_iv_log *l);

/*
 * SEQ of an image's file name, "PROG.PID.LINEAGE.SEQ.mtcp" (docs/format.md,
 * "Lineages and names"): PID decimal, LINEAGE 8 hex digits, SEQ decimal
 * and at least 1. @return SEQ, or -1 for any other name.
 */
long mb_iv_image_seq(const char *name);

/*
 * A new environment: the entries of base (NULL-terminated) but those
 * whose name one of force sets, then force's nforce "NAME=VALUE" entries,
 * then those of dflt's ndflt whose name base does not have. Names
 * compare up to the '='. The strings are not copied: free() the array
 * alone. @return NULL if memory ran out.
 */
char **mb_iv_env(char *const *base, const char *const *force, size_t nforce,
		 const char *const *dflt, size_t ndflt);

/*
 * The checkpoints a run took: l's lines, or image_seq (the SEQ of the
 * image left with --keep 1; -1: none) when it is one more and no
 * checkpoint failed. A checkpoint's line comes after its image is in
 * place and the program released: a program that ends right then has
 * its last checkpoint taken, the line cut off.
 */
unsigned mb_iv_count(const struct mb_iv_log *l, long image_seq);

/*
 * A run's slowdown figures into r: interval_s, wall_s, run_time_s (plain:
 * the run without the library, of the same run), slowdown (wall / plain,
 * NAN unless both are positive numbers), ckpts (mb_iv_count), and from
 * l's lines npauses, mean_pause_s and max_pause_s (NAN without a line).
 */
void mb_iv_fill(struct mb_run *r, double interval, double wall, double plain,
		const struct mb_iv_log *l, long image_seq);

#endif
