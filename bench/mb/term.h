/* SPDX-License-Identifier: MIT */
/*
 * term.h: `mtcp-bench memory --on-term` (issue 12: from SIGTERM to a
 * durable image, against the grace periods of Slurm and Kubernetes): what
 * one run measures, a row summed up from its runs, its CSV files (their own
 * columns: bench/mb/README.md) and its table. The runs: mode_on_term.c;
 * the rest: term_report.c; the library's line: termout.h.
 */
#ifndef MB_TERM_H
#define MB_TERM_H

#include "args.h"
#include "cow.h"
#include "stats.h"

#include <stdio.h>

/* the rows: two full images, then an increment per percentage; each per side */
#define MB_TERM_ROWS_MAX (2 + MB_INCR_MAX)

/* what a row is about */
struct mb_term_key {
	const char *kind; /* bench_prog's workload: "random", "heap" */
	int incremental;  /* 0: the first image of the launch (full); 1: an increment */
	double pct;	  /* incremental: % of the pages rewritten after the checkpoint before */
	enum mb_side side;
};

/*
 * One run of a row on one side. A figure not measured: NAN, or -1 for
 * sizes, counts and the exit status (an empty CSV field).
 */
struct mb_term_run {
	unsigned run;	 /* 1..N */
	char order[48];	 /* the units in the order they ran: "stw-cow-base" */
	long long data_bytes;
	long long rewritten_bytes;   /* incremental: bytes given new values before SIGTERM */
	double prior_todisk_s;	     /* incremental: mtcp_checkpoint --wait of the checkpoint before */
	long long prior_image_bytes; /* its image */
	double term_s;		     /* SIGTERM sent -> the program's exit reaped (waitpid) */
	double paused_s;	     /* the library's "paused X ms" of its final line */
	long long image_bytes;	     /* the final image the line named */
	long long depth;	     /* mtcp_restart --verify: 0 a full image, D an increment */
	int exit_status;	     /* the program's (bench_prog's SIGTERM handler: 0) */
	double restart_s;	     /* restart from the final image, cache dropped, until pong */
	long long base_bytes;	     /* write()+fsync of this many bytes (the image's, in MiB) */
	double write_base_s;
	int ok; /* the line said durable, the image is what it should be, it restarts, its data verify */
};

struct mb_term_point {
	unsigned runs;
	long long data_bytes, rewritten_bytes, depth, base_bytes;
	struct mb_stat term, paused, image, prior_todisk, restart, write_base;
	double term_ratio;   /* term.med / write_base.med */
	double grace_s;	     /* --grace */
	double grace_share;  /* term.med / grace_s */
	double fit_gib;	     /* GiB of such memory that would take grace_s at term.med's rate */
	double disk_fit_gib; /* GiB write()+fsync would write in grace_s at the baseline's rate */
	int ok;
};

extern const char mb_term_point_header[]; /* FILE.csv's first line, without '\n' */
extern const char mb_term_run_header[];	  /* FILE-runs.csv's */

/* A run with nothing measured yet (ok = 1). */
void mb_term_run_init(struct mb_term_run *r, unsigned run);

/* The row of n runs: medians [min..max], sizes medians (rounded); ok if every run's. */
void mb_term_point_of(const struct mb_term_run *runs, size_t n, double grace,
		      struct mb_term_point *p);

/* One row with its '\n'. 0, or -EIO if f has an error. */
int mb_term_csv_run(FILE *f, const struct mb_term_key *k, const struct mb_term_run *r);
int mb_term_csv_point(FILE *f, const struct mb_term_key *k, const struct mb_term_point *p);

/* "random full [stw]", "random 1% incremental [cow]" */
void mb_term_label(const struct mb_term_key *k, char *buf, size_t n);

/* Everything measured, for the table. */
struct mb_term_results {
	size_t nrows, nsides;
	struct mb_term_key key[MB_TERM_ROWS_MAX][MB_SIDES_MAX];
	struct mb_term_point p[MB_TERM_ROWS_MAX][MB_SIDES_MAX];
	int done[MB_TERM_ROWS_MAX];
};

/* The table on stdout: per row and side, SIGTERM to exit against the grace period. */
void mb_term_table_print(const struct mb_term_results *t, const struct mb_opts *o);

#endif
