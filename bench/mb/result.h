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
	/* npb --interval (the slowdown runs): the program run to its end with a
	 * checkpoint every interval_s; run_time_s is the plain run of the same run */
	double interval_s;
	long long ckpts;	   /* checkpoints it took (-1: not counted) */
	double wall_s;		   /* its wall time, start to exit */
	double slowdown;	   /* wall_s / run_time_s */
	double mean_pause_s, max_pause_s; /* of its checkpoints (NAN: none) */
	long long npauses;	   /* the checkpoints whose pause is known (not in the CSV) */
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
	/* npb --interval */
	double interval_s;	/* the last run's */
	struct mb_stat ckpts;	/* of the runs' ckpts */
	long long ckpts_med;	/* ckpts.med, rounded; -1 if none */
	struct mb_stat wall, slowdown;
	double mean_pause_s;	/* over every checkpoint of every run */
	double max_pause_s;	/* the longest of them */
};

/* A run with nothing measured yet (ok = 1: nothing failed yet). */
void mb_run_init(struct mb_run *r, unsigned run);

/*
 * The point of n runs: medians (min, max) of every figure, ratios of the
 * medians, residual_ok and ok set only if every run had them set. Sizes
 * are medians too (rounded). data_bytes, base_bytes and interval_s: the
 * last run's. The slowdown's statistics are of the runs' own ratios (each
 * against the plain run of the same run); mean_pause_s weighs each run's
 * mean by its checkpoints.
 */
void mb_point_of(const struct mb_run *runs, size_t n, struct mb_point *p);

#endif
