/* SPDX-License-Identifier: MIT */
/*
 * mode_targets.c: `mtcp-bench targets`: the project's checkpoint targets
 * (the issues' limits), each workload on each side of --cow, then one
 * table of verdicts (targets_table.c). What each workload is: args.c's
 * usage and bench/README.md.
 */
#include "modes.h"

#include "cow.h"
#include "ctx.h"
#include "log.h"
#include "point.h"
#include "result.h"
#include "targets.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* a run's cost besides its MiB (start, tools, fsyncs), in MiB-equivalents */
#define RUN_OVERHEAD_MIB 64.0
#define SPARSE_STRIDE "64"

static struct tg_results res;

/* the workloads whose copy-on-write side is the default, MTCP_COW=auto */
static int cow_is_auto(enum mb_target w)
{
	return w == TG_ZERO || w == TG_SPARSE || w == TG_THREADS || w == TG_EMPTY;
}

/* progress units of one run of workload w (MiB-equivalents, each side) */
static double work_units(const struct mb_opts *o, enum mb_target w)
{
	switch (w) {
	case TG_RANDOM:
		return 2.0 * (double)o->size_mb + RUN_OVERHEAD_MIB; /* and the baselines */
	case TG_ZERO:
	case TG_LIBS:
	case TG_REWRITE:
		return (double)o->size_mb + RUN_OVERHEAD_MIB;
	case TG_SPARSE:
		return (double)o->size_mb / 16 + RUN_OVERHEAD_MIB;
	case TG_THREADS:
		return (double)o->threads / 10 + RUN_OVERHEAD_MIB;
	default:
		return RUN_OVERHEAD_MIB;
	}
}

static int run_work(struct mb_ctx *c, enum mb_target w, unsigned idx, unsigned count)
{
	const struct mb_opts *o = c->o;
	struct tg_result *r = &res.work[w];
	char a1[24] = "", label[96];
	int rc;
	char *args[] = { (char *)mb_target_name(w), a1, NULL, NULL };
	struct mb_key key = { .mode = "targets", .kind = mb_target_name(w), .unit = "MiB" };
	struct mb_bprog_point pp = {
		.key = &key,
		.args = args,
		.base = w == TG_RANDOM ? MB_BASE_DISK : MB_BASE_NONE,
		.base_bytes = (long long)o->size_mb << 20,
		.restart = 1,
		/* the library's "extra memory": the usual case and the worst */
		.verbose_cow = w == TG_RANDOM || w == TG_REWRITE,
		.label = label,
		.index = idx,
		.count = count,
		.out = r->p,
	};

	r->nsides = pp.nsides = mb_sides(o->cow, cow_is_auto(w), pp.side);
	memcpy(r->side, pp.side, sizeof r->side);
	pp.units = work_units(o, w) * (double)pp.nsides;
	switch (w) {
	case TG_SPARSE:
		snprintf(a1, sizeof a1, "%ld", 4 * o->size_mb);
		args[2] = SPARSE_STRIDE;
		break;
	case TG_THREADS:
		snprintf(a1, sizeof a1, "%ld", o->threads);
		key.unit = "threads";
		break;
	case TG_EMPTY:
		args[1] = NULL;
		snprintf(a1, sizeof a1, "0");
		break;
	default:
		snprintf(a1, sizeof a1, "%ld", o->size_mb);
		break;
	}
	snprintf(key.point, sizeof key.point, "%s", a1);
	if (w == TG_EMPTY)
		snprintf(label, sizeof label, "targets empty");
	else
		snprintf(label, sizeof label, "targets %s %s %s", mb_target_name(w), a1, key.unit);
	if ((rc = mb_bprog_point(c, &pp)))
		return rc;
	r->done = 1;
	return 0;
}

static int run_growth(struct mb_ctx *c, size_t g, unsigned idx, unsigned count)
{
	const struct mb_opts *o = c->o;
	struct tg_result *r = &res.growth[g];
	char mib[24], label[96];
	int rc;
	char *args[] = { "random", mib, NULL };
	struct mb_key key = { .mode = "targets", .kind = "growth", .unit = "MiB" };
	struct mb_bprog_point pp = {
		.key = &key,
		.args = args,
		.base = MB_BASE_FORK,
		.base_bytes = (long long)o->growth[g] << 20,
		.restart = 0,
		.no_criu = 1,
		.label = label,
		.index = idx,
		.count = count,
		.out = r->p,
	};

	r->nsides = pp.nsides = mb_sides(o->cow, 0, pp.side);
	memcpy(r->side, pp.side, sizeof r->side);
	pp.units = ((double)o->growth[g] + RUN_OVERHEAD_MIB) * (double)(pp.nsides + 1);
	snprintf(mib, sizeof mib, "%ld", o->growth[g]);
	snprintf(key.point, sizeof key.point, "%ld", o->growth[g]);
	snprintf(label, sizeof label, "targets growth %ld MiB", o->growth[g]);
	if ((rc = mb_bprog_point(c, &pp)))
		return rc;
	r->done = 1;
	return 0;
}

static void say_plan(struct mb_ctx *c, unsigned count)
{
	const struct mb_opts *o = c->o;
	enum mb_side sides[MB_SIDES_MAX];
	size_t n = mb_sides(o->cow, 0, sides);
	char list[128] = "", sizes[128] = "", what[512] = "";
	size_t at = 0;
	const char *env = getenv("MTCP_COW");

	for (int w = 0; w < TG_COUNT; w++)
		if (o->only & (1u << w))
			at += (size_t)snprintf(list + at, at < sizeof list ? sizeof list - at : 0,
					       "%s%s", at ? ", " : "", mb_target_name((enum mb_target)w));
	at = 0;
	for (size_t g = 0; g < o->ngrowth; g++)
		at += (size_t)snprintf(sizes + at, at < sizeof sizes ? sizeof sizes - at : 0,
				       "%s%ld", g ? ", " : "", o->growth[g]);
	mb_say("targets: %s (%u row group(s)), %u run(s) each", list, count, o->runs);
	at = 0;
	for (int w = 0; w < TG_COUNT; w++) {
		char one[160];

		if (!(o->only & (1u << w)))
			continue;
		if (w == TG_SPARSE)
			snprintf(one, sizeof one, "sparse %ld MiB, a byte in every 64th page",
				 4 * o->size_mb);
		else if (w == TG_THREADS)
			snprintf(one, sizeof one, "threads %ld", o->threads);
		else if (w == TG_EMPTY)
			snprintf(one, sizeof one, "empty");
		else if (w == TG_GROWTH)
			snprintf(one, sizeof one, "growth %s MiB", sizes);
		else
			snprintf(one, sizeof one, "%s %ld MiB", mb_target_name((enum mb_target)w),
				 o->size_mb);
		at += (size_t)snprintf(what + at, at < sizeof what ? sizeof what - at : 0, "%s%s",
				       at ? "; " : "", one);
	}
	mb_say("sizes: %s", what);
	if (n == 2)
		mb_say("sides (--cow both): stw (MTCP_COW=0) and copy-on-write (MTCP_COW=1 for"
		       " random, libs, rewrite, growth; MTCP_COW=auto for zero, sparse, threads,"
		       " empty); odd runs go stw first, even runs the other side first");
	else
		mb_say("side (--cow %s): MTCP_COW=%s%s", mb_side_name(sides[0]),
		       sides[0] == MB_SIDE_STW ? "0" : "1",
		       sides[0] == MB_SIDE_STW ? "" : " (auto for zero, sparse, threads, empty)");
	if (env)
		mb_say("note: MTCP_COW=%s of the environment is replaced on each side", env);
	if ((o->only & (1u << TG_RANDOM | 1u << TG_REWRITE)) && (o->cow & MB_COW_COW))
		mb_say("the copy-on-write side of random and rewrite runs with MTCP_VERBOSE=1: the"
		       " library's \"extra memory\" line is read from the program's stderr");
	mb_say("random's baselines (write+fsync, read-back) and growth's bare fork are taken in"
	       " every run, first in even runs, last in odd ones; restarts and the read-back come"
	       " after every checkpoint of the run, in the same order");
}

int mb_mode_targets(struct mb_ctx *c)
{
	const struct mb_opts *o = c->o;
	enum mb_side sides[MB_SIDES_MAX];
	double nsides = (double)mb_sides(o->cow, 0, sides);
	unsigned count = 0, idx = 0;
	double total = 0;
	int rc = 0;

	memset(&res, 0, sizeof res);
	res.ngrowth = o->only & (1u << TG_GROWTH) ? o->ngrowth : 0;
	memcpy(res.growth_mib, o->growth, sizeof res.growth_mib);
	for (int w = 0; w < TG_GROWTH; w++)
		if (o->only & (1u << w)) {
			count++;
			total += work_units(o, (enum mb_target)w) * nsides * o->runs;
		}
	for (size_t g = 0; g < res.ngrowth; g++) {
		count++;
		total += ((double)o->growth[g] + RUN_OVERHEAD_MIB) * (nsides + 1) * o->runs;
	}
	mb_progress_init(&c->progress, total);
	say_plan(c, count);
	for (int w = 0; w < TG_GROWTH && !rc; w++)
		if (o->only & (1u << w))
			rc = run_work(c, (enum mb_target)w, ++idx, count);
	for (size_t g = 0; g < res.ngrowth && !rc; g++)
		rc = run_growth(c, g, ++idx, count);
	if (rc)
		return rc;
	tg_table_print(&res, o);
	return 0;
}
