/* SPDX-License-Identifier: MIT */
/*
 * point.h: one point of the memory or threads sweep, or one row group of
 * the targets: N runs of bench_prog on each side of the --cow axis (cow.h),
 * with a baseline, in an order that alternates run by run (runplan.h).
 */
#ifndef MB_POINT_H
#define MB_POINT_H

#include "cow.h"

#include <stddef.h>

struct mb_ctx;
struct mb_key;
struct mb_point;

enum mb_base {
	MB_BASE_NONE,
	MB_BASE_DISK, /* write_baseline --keep, later readback_baseline */
	MB_BASE_FORK, /* fork_baseline */
};

struct mb_bprog_point {
	const struct mb_key *key; /* its cow is set per side */
	char *const *args;	  /* bench_prog's workload words, NULL-terminated */
	enum mb_base base;
	long long base_bytes; /* the baseline's bytes; -1: the image's size */
	int restart;	      /* 1: each image is restarted and checked; 0: removed */
	int no_criu;	      /* 1: no --compare criu runs for this point */
	int verbose_cow;      /* 1: MTCP_VERBOSE=1 on the copy-on-write side (its extra memory) */
	size_t nsides;	      /* 1..MB_SIDES_MAX */
	enum mb_side side[MB_SIDES_MAX];
	double units;	       /* progress units of one run */
	const char *label;     /* "memory random 64 MiB" */
	unsigned index, count; /* point index (1..count) */
	struct mb_point *out;  /* NULL, or nsides points: the results, by side */
};

/*
 * Runs the point: each run checkpoints the program once per side and
 * takes the baseline, the first halves of the units in the run's order,
 * then the second halves (the restarts, the read-back) in the same order
 * (runplan.h). Then criu if it is on (its figures go to the first side's
 * run). A progress line per run and side; the rows (one per side) go to
 * the CSV files.
 * @return 0 (failed checks are counted in c->failed); -EIO; -EINTR; -ENOMEM.
 */
int mb_bprog_point(struct mb_ctx *c, const struct mb_bprog_point *pp);

#endif
