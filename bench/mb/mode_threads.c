/* SPDX-License-Identifier: MIT */
/*
 * mode_threads.c: the paper's figure 3: checkpoint and restart times
 * against the number of threads (idle, with default stacks).
 */
#include "modes.h"

#include "cow.h"
#include "ctx.h"
#include "log.h"
#include "point.h"
#include "result.h"
#include "sweep.h"

#include <stdio.h>
#include <string.h>

/* a run's cost besides its threads, in thread-equivalents */
#define RUN_OVERHEAD_THREADS 100.0

int mb_mode_threads(struct mb_ctx *c)
{
	long pts[MB_POINTS_MAX];
	size_t n = mb_sweep_125(c->o->from, c->o->to, pts, MB_POINTS_MAX);
	enum mb_side sides[MB_SIDES_MAX];
	size_t nsides = mb_sides(c->o->cow, 0, sides);
	double total = 0;
	int rc;

	for (size_t i = 0; i < n; i++)
		total += (pts[i] + RUN_OVERHEAD_THREADS) * c->o->runs * nsides;
	mb_progress_init(&c->progress, total);
	mb_say("threads: %zu point(s) from %ld to %ld threads, %u run(s) each", n, pts[0],
	       pts[n - 1], c->o->runs);
	for (size_t i = 0; i < n; i++) {
		char count[24], label[64];
		char *args[] = { "threads", count, NULL };
		struct mb_key key = { .mode = "threads", .kind = "idle", .unit = "threads" };
		struct mb_bprog_point pp = {
			.key = &key,
			.args = args,
			.base = MB_BASE_DISK,
			.base_bytes = -1, /* the image's bytes */
			.restart = 1,
			.nsides = nsides,
			.units = (pts[i] + RUN_OVERHEAD_THREADS) * nsides,
			.label = label,
			.index = (unsigned)i + 1,
			.count = (unsigned)n,
		};

		snprintf(count, sizeof count, "%ld", pts[i]);
		snprintf(key.point, sizeof key.point, "%ld", pts[i]);
		snprintf(label, sizeof label, "threads %ld", pts[i]);
		memcpy(pp.side, sides, sizeof sides);
		if ((rc = mb_bprog_point(c, &pp)))
			return rc;
	}
	return 0;
}
