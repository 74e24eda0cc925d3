/* SPDX-License-Identifier: MIT */
/*
 * result.h: what one run measures, and a point summed up from its runs:
 * the rows of FILE-runs.csv and FILE.csv (bench/mb/README.md). A figure
 * that was not measured is NAN (times, ratios) or -1 (sizes, flags): an
 * empty field in the CSV.
 */
#ifndef MB_RESULT_H
#define MB_RESULT_H

#include "stats.h"

/* What a row is about: the first columns of both files. */
struct mb_key {
	const char *mode; /* memory, threads, npb */
	const char *kind; /* random, zero, heap, sparse; idle; lu, binary */
	char point[64];	  /* the x value: "64", "1000", "A", a program's name */
	const char *unit; /* MiB, threads, class, program */
	const char *cow;  /* the --cow side: stw, cow, auto; NULL: not set (empty) */
	char cls[2];	  /* npb: the class letter; "" otherwise */
};

struct mb_run {
	unsigned run;	   /* 1..N */
	char order[48]; /* the units in the order they ran: "ckpt-base", "base-cow-stw" (runplan.h) */
	long long data_bytes;
	double pause_s;
	double reported_pause_s; /* mtcp_checkpoint --wait's "paused X ms" (stderr) */
	double todisk_s;
	long long image_bytes;
	double restart_s, write_base_s, read_base_s;
	double fork_base_s; /* fork_baseline: a bare clone() of base_bytes */
	long long base_bytes;
	double criu_pause_s, criu_todisk_s;
	long long criu_image_bytes;
	double criu_restart_s;
	long long extra_bytes; /* copy-on-write, MTCP_VERBOSE=1: the library's "extra memory" */
	double run_time_s;
	int residual_ok; /* -1, 0, 1 */
	int ok;		 /* 0, 1 */
};

struct mb_point {
	unsigned runs;
	long long data_bytes;
	struct mb_stat pause, reported_pause, todisk, restart;
	struct mb_stat image; /* of image_bytes: bytes */
	long long image_bytes; /* image.med, rounded; -1 if none */
	double write_base_med_s, read_base_med_s, fork_base_med_s;
	long long base_bytes;
	double pause_ratio, todisk_ratio, restart_ratio;
	double criu_pause_s, criu_todisk_s;
	long long criu_image_bytes;
	double criu_restart_s;
	struct mb_stat extra; /* of extra_bytes: bytes */
	double run_time_s;
	int residual_ok, ok;
};

/* A run with nothing measured yet (ok = 1: nothing failed yet). */
void mb_run_init(struct mb_run *r, unsigned run);

/*
 * The point of n runs: medians (min, max) of every figure, ratios of the
 * medians, residual_ok and ok set only if every run had them set. Sizes
 * are medians too (rounded). data_bytes and base_bytes: the last run's.
 */
void mb_point_of(const struct mb_run *runs, size_t n, struct mb_point *p);

#endif
