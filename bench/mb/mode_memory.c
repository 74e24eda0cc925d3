/* SPDX-License-Identifier: MIT */
/*
 * mode_memory.c: the paper's figures 2 and 6: checkpoint and restart
 * times against the memory a single-threaded program holds.
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

/* a run's cost besides its MiB (start, tools, fsyncs), in MiB-equivalents */
#define RUN_OVERHEAD_MIB 64.0
/* sparse: a byte in every SPARSE_STRIDE-th page (the targets' stride, mode_targets.c) */
#define SPARSE_STRIDE "64"

int mb_mode_memory(struct mb_ctx *c)
{
	long pts[MB_POINTS_MAX];
	size_t n = mb_sweep_doubling(c->o->from, c->o->to, pts, MB_POINTS_MAX);
	const char *kind = mb_kind_name(c->o->kind);
	enum mb_side sides[MB_SIDES_MAX];
	size_t nsides = mb_sides(c->o->cow, 0, sides);
	double total = 0;
	int rc;

	for (size_t i = 0; i < n; i++)
		total += (pts[i] + RUN_OVERHEAD_MIB) * c->o->runs * nsides;
	mb_progress_init(&c->progress, total);
	mb_say("memory, kind %s: %zu point(s) from %ld to %ld MiB, %u run(s) each", kind, n,
	       pts[0], pts[n - 1], c->o->runs);
	for (size_t i = 0; i < n; i++) {
		char mib[24], label[64];
		char *args[] = { (char *)kind, mib, SPARSE_STRIDE, NULL };
		struct mb_key key = { .mode = "memory", .kind = kind, .unit = "MiB" };
		struct mb_bprog_point pp = {
			.key = &key,
			.args = args,
			.base = MB_BASE_DISK,
			.base_bytes = (long long)pts[i] << 20,
			.restart = 1,
			.nsides = nsides,
			.units = (pts[i] + RUN_OVERHEAD_MIB) * nsides,
			.label = label,
			.index = (unsigned)i + 1,
			.count = (unsigned)n,
		};

		snprintf(mib, sizeof mib, "%ld", pts[i]);
		snprintf(key.point, sizeof key.point, "%ld", pts[i]);
		snprintf(label, sizeof label, "memory %s %ld MiB", kind, pts[i]);
		if (c->o->kind != MB_SPARSE)
			args[2] = NULL;
		memcpy(pp.side, sides, sizeof sides);
		if ((rc = mb_bprog_point(c, &pp)))
			return rc;
	}
	return 0;
}
