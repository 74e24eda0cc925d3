/* SPDX-License-Identifier: MIT */
/*
 * point.h: one point of the memory or threads sweep: N runs of bench_prog,
 * each with its baselines, the order alternating run by run.
 */
#ifndef MB_POINT_H
#define MB_POINT_H

struct mb_ctx;
struct mb_key;

struct mb_bprog_point {
	const struct mb_key *key;
	char *const *args;    /* bench_prog's workload words, NULL-terminated */
	long long base_bytes; /* the baselines' bytes; -1: the image's size */
	double units;	      /* progress units of one run */
	const char *label;    /* "memory random 64 MiB" */
	unsigned index, count; /* point index (1..count) */
};

/*
 * Runs the point: odd runs go checkpoint, write baseline, restart, read
 * baseline; even runs go write baseline, checkpoint, read baseline,
 * restart (freed memory goes back to the host: the side that runs right
 * after a big free gets cold memory, so each side goes first half of the
 * time). Then criu if it is on. A progress line per run; the rows go to
 * the CSV files.
 * @return 0 (failed checks are counted in c->failed); -EIO; -EINTR.
 */
int mb_bprog_point(struct mb_ctx *c, const struct mb_bprog_point *pp);

#endif
