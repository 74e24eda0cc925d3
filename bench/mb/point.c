/* SPDX-License-Identifier: MIT */
/*
 * point.c: the runs of one bench_prog point.
 */
#include "point.h"

#include "baseline.h"
#include "bprog.h"
#include "criu.h"
#include "ctx.h"
#include "log.h"
#include "result.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

/* the figures of a run, as its progress line shows them */
static void run_line(struct mb_ctx *c, const struct mb_bprog_point *pp, const struct mb_run *r)
{
	char pause[32], disk[32], img[32], rst[32], wb[32], rb[32], left[64], criu[160] = "";

	mb_fmt_secs(r->pause_s, pause, sizeof pause);
	mb_fmt_secs(r->todisk_s, disk, sizeof disk);
	mb_fmt_bytes(r->image_bytes, img, sizeof img);
	mb_fmt_secs(r->restart_s, rst, sizeof rst);
	mb_fmt_secs(r->write_base_s, wb, sizeof wb);
	mb_fmt_secs(r->read_base_s, rb, sizeof rb);
	if (!isnan(r->criu_todisk_s)) {
		char a[32], b[32], d[32];

		mb_fmt_secs(r->criu_pause_s, a, sizeof a);
		mb_fmt_secs(r->criu_todisk_s, b, sizeof b);
		mb_fmt_secs(r->criu_restart_s, d, sizeof d);
		snprintf(criu, sizeof criu, "; criu: pause %s, dump %s, restore %s", a, b, d);
	}
	mb_progress_left(&c->progress, left, sizeof left);
	mb_say("%s [point %u/%u] run %u/%u (%s): pause %s, to disk %s, image %s, restart %s;"
	       " write+fsync %s, read-back %s%s%s; %s", pp->label, pp->index, pp->count, r->run,
	       c->o->runs, r->order, pause, disk, img, rst, wb, rb, criu,
	       r->ok ? "" : "; CHECK FAILED", left);
}

/* one run in the order its number says */
static int one_run(struct mb_ctx *c, const struct mb_bprog_point *pp, struct mb_run *r,
		   long long prev_image)
{
	char img[PATH_MAX];
	int rc;

	if (r->run % 2) {
		r->order = "ckpt-first";
		if ((rc = bprog_checkpoint(c, pp->args, r, img, sizeof img)))
			return rc;
		r->base_bytes = mb_base_bytes(pp->base_bytes >= 0 ? pp->base_bytes : r->image_bytes);
		if ((rc = mb_base_write(c, r->base_bytes, &r->write_base_s)) ||
		    (rc = bprog_restart(c, img, r)) || (rc = mb_base_read(c, &r->read_base_s)))
			return rc;
	} else {
		r->order = "base-first";
		r->base_bytes = mb_base_bytes(pp->base_bytes >= 0 ? pp->base_bytes : prev_image);
		if ((rc = mb_base_write(c, r->base_bytes, &r->write_base_s)) ||
		    (rc = bprog_checkpoint(c, pp->args, r, img, sizeof img)) ||
		    (rc = mb_base_read(c, &r->read_base_s)) || (rc = bprog_restart(c, img, r)))
			return rc;
	}
	if (c->criu)
		return mb_criu_bprog(c, pp->args, r);
	return 0;
}

int mb_bprog_point(struct mb_ctx *c, const struct mb_bprog_point *pp)
{
	struct mb_run runs[MB_RUNS_MAX];
	struct mb_point p;
	long long prev_image = -1;
	int rc;

	for (unsigned i = 0; i < c->o->runs; i++) {
		struct mb_run *r = &runs[i];

		snprintf(c->where, sizeof c->where, "%s run %u/%u", pp->label, i + 1, c->o->runs);
		mb_run_init(r, i + 1);
		if ((rc = one_run(c, pp, r, prev_image)))
			return rc;
		prev_image = r->image_bytes;
		mb_progress_add(&c->progress, pp->units);
		if ((rc = mb_emit_run(c, pp->key, r)))
			return rc;
		run_line(c, pp, r);
	}
	mb_point_of(runs, c->o->runs, &p);
	return mb_emit_point(c, pp->key, &p);
}
