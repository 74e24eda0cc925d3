/* SPDX-License-Identifier: MIT */
/*
 * point.c: the runs of one bench_prog point, on each side of the --cow axis.
 */
#include "point.h"

#include "baseline.h"
#include "bprog.h"
#include "criu.h"
#include "ctx.h"
#include "log.h"
#include "result.h"
#include "runplan.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* "memory random 64 MiB [cow] run 2/5" in c->where */
static void set_where(struct mb_ctx *c, const struct mb_bprog_point *pp, enum mb_side s,
		      unsigned run)
{
	const char *name = mb_side_name(s);

	snprintf(c->where, sizeof c->where, "%s%s%s%s run %u/%u", pp->label, name ? " [" : "",
		 name ? name : "", name ? "]" : "", run, c->o->runs);
}

/* the figures of a run on one side, as its progress line shows them */
static void run_line(struct mb_ctx *c, const struct mb_bprog_point *pp, enum mb_side s,
		     const struct mb_run *r)
{
	char pause[32], paused[64] = "", disk[32], img[32], rst[48] = "", base[96] = "";
	char left[64], criu[160] = "", side[16] = "", extra[48] = "";
	const char *name = mb_side_name(s);

	mb_fmt_secs(r->pause_s, pause, sizeof pause);
	if (!isnan(r->reported_pause_s)) {
		char a[32];

		mb_fmt_secs(r->reported_pause_s, a, sizeof a);
		snprintf(paused, sizeof paused, " (mtcp_checkpoint: paused %s)", a);
	}
	mb_fmt_secs(r->todisk_s, disk, sizeof disk);
	mb_fmt_bytes(r->image_bytes, img, sizeof img);
	if (pp->restart) {
		char a[32];

		mb_fmt_secs(r->restart_s, a, sizeof a);
		snprintf(rst, sizeof rst, ", restart %s", a);
	}
	if (pp->base == MB_BASE_DISK) {
		char a[32], b[32];

		mb_fmt_secs(r->write_base_s, a, sizeof a);
		mb_fmt_secs(r->read_base_s, b, sizeof b);
		snprintf(base, sizeof base, "; write+fsync %s, read-back %s", a, b);
	} else if (pp->base == MB_BASE_FORK) {
		char a[32];

		mb_fmt_secs(r->fork_base_s, a, sizeof a);
		snprintf(base, sizeof base, "; bare fork %s", a);
	}
	if (!isnan(r->criu_todisk_s)) {
		char a[32], b[32], d[32];

		mb_fmt_secs(r->criu_pause_s, a, sizeof a);
		mb_fmt_secs(r->criu_todisk_s, b, sizeof b);
		mb_fmt_secs(r->criu_restart_s, d, sizeof d);
		snprintf(criu, sizeof criu, "; criu: pause %s, dump %s, restore %s", a, b, d);
	}
	if (r->extra_bytes >= 0) {
		char a[32];

		mb_fmt_bytes(r->extra_bytes, a, sizeof a);
		snprintf(extra, sizeof extra, ", extra memory %s", a);
	}
	if (name)
		snprintf(side, sizeof side, " [%s]", name);
	mb_progress_left(&c->progress, left, sizeof left);
	mb_say("%s%s [point %u/%u] run %u/%u (%s): pause %s%s, to disk %s, image %s%s%s%s%s%s; %s",
	       pp->label, side, pp->index, pp->count, r->run, c->o->runs, r->order, pause, paused,
	       disk, img, extra, rst, base, criu, r->ok ? "" : "; CHECK FAILED", left);
}

/* the baseline's bytes: given, or the first side's image (this run's, else the last one) */
static long long base_bytes(const struct mb_bprog_point *pp, const struct mb_run *first,
			    long long prev_image)
{
	if (pp->base_bytes >= 0)
		return mb_base_bytes(pp->base_bytes);
	return mb_base_bytes(first->image_bytes >= 0 ? first->image_bytes : prev_image);
}

/* run i on every side (runs[s][i]), the units in the order the run's number says */
static int one_run(struct mb_ctx *c, const struct mb_bprog_point *pp, struct mb_run **runs,
		   unsigned i, long long *prev_image)
{
	static char img[MB_SIDES_MAX][PATH_MAX];
	int order[MB_SIDES_MAX + 1];
	const char *names[MB_SIDES_MAX];
	double wb = NAN, rb = NAN, fk = NAN;
	long long bb = -1;
	char text[48];
	size_t k;
	int rc;

	k = mb_plan(i + 1, pp->nsides, pp->base != MB_BASE_NONE, order);
	for (size_t s = 0; s < pp->nsides; s++)
		names[s] = mb_side_label(pp->side[s]);
	mb_plan_text(order, k, names, pp->base == MB_BASE_FORK ? "fork" : "base", text, sizeof text);
	for (size_t s = 0; s < pp->nsides; s++)
		snprintf(runs[s][i].order, sizeof runs[s][i].order, "%s", text);
	for (size_t u = 0; u < k; u++) { /* first halves */
		int s = order[u];

		if (s != MB_UNIT_BASE) {
			set_where(c, pp, pp->side[s], i + 1);
			if ((rc = bprog_checkpoint(c, pp->args, pp->side[s], pp->verbose_cow,
						   &runs[s][i], img[s], sizeof img[s])))
				return rc;
			if (!pp->restart)
				unlink(img[s]);
			continue;
		}
		set_where(c, pp, MB_SIDE_ENV, i + 1);
		bb = base_bytes(pp, &runs[0][i], *prev_image);
		rc = pp->base == MB_BASE_FORK ? mb_base_fork(c, bb, &fk) : mb_base_write(c, bb, &wb);
		if (rc)
			return rc;
	}
	for (size_t u = 0; u < k; u++) { /* second halves */
		int s = order[u];

		if (s != MB_UNIT_BASE && pp->restart) {
			set_where(c, pp, pp->side[s], i + 1);
			if ((rc = bprog_restart(c, img[s], &runs[s][i])))
				return rc;
		} else if (s == MB_UNIT_BASE && pp->base == MB_BASE_DISK) {
			set_where(c, pp, MB_SIDE_ENV, i + 1);
			if ((rc = mb_base_read(c, &rb)))
				return rc;
		}
	}
	for (size_t s = 0; s < pp->nsides; s++) {
		runs[s][i].write_base_s = wb;
		runs[s][i].read_base_s = rb;
		runs[s][i].fork_base_s = fk;
		runs[s][i].base_bytes = bb;
	}
	*prev_image = runs[0][i].image_bytes;
	if (c->criu && !pp->no_criu) {
		set_where(c, pp, MB_SIDE_ENV, i + 1);
		return mb_criu_bprog(c, pp->args, &runs[0][i]);
	}
	return 0;
}

int mb_bprog_point(struct mb_ctx *c, const struct mb_bprog_point *pp)
{
	struct mb_run *runs[MB_SIDES_MAX] = { NULL };
	struct mb_key keys[MB_SIDES_MAX];
	long long prev_image = -1;
	unsigned n = c->o->runs;
	int rc = 0;

	for (size_t s = 0; s < pp->nsides; s++) {
		keys[s] = *pp->key;
		keys[s].cow = mb_side_name(pp->side[s]);
		if (!(runs[s] = calloc(n, sizeof *runs[s]))) {
			mb_err("%s: out of memory", pp->label);
			rc = -ENOMEM;
			goto out;
		}
	}
	for (unsigned i = 0; i < n; i++) {
		for (size_t s = 0; s < pp->nsides; s++)
			mb_run_init(&runs[s][i], i + 1);
		if ((rc = one_run(c, pp, runs, i, &prev_image)))
			goto out;
		mb_progress_add(&c->progress, pp->units);
		for (size_t s = 0; s < pp->nsides; s++) {
			if ((rc = mb_emit_run(c, &keys[s], &runs[s][i])))
				goto out;
			run_line(c, pp, pp->side[s], &runs[s][i]);
		}
	}
	for (size_t s = 0; s < pp->nsides; s++) {
		struct mb_point p;

		mb_point_of(runs[s], n, &p);
		if (pp->out)
			pp->out[s] = p;
		if ((rc = mb_emit_point(c, &keys[s], &p)))
			goto out;
	}
out:
	for (size_t s = 0; s < pp->nsides; s++)
		free(runs[s]);
	return rc;
}
