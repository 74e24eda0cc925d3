/* SPDX-License-Identifier: MIT */
/*
 * incr.h: `mtcp-bench memory --incremental` (issue 11, incremental images):
 * what one run measures, a point summed up from its runs, its CSV files
 * (their own columns: bench/mb/README.md) and its table of verdicts.
 * The runs: mode_incremental.c; the rest: incr_report.c.
 */
#ifndef MB_INCR_H
#define MB_INCR_H

#include "args.h"
#include "cow.h"
#include "stats.h"

#include <stdio.h>


/* the kinds of rows (the kind column) */
enum mb_incr_kind {
	MB_INCR_RANDOM,	 /* --size-mb, PCT% random whole pages between checkpoints */
	MB_INCR_SCAN,	 /* --scan-mb, 1% random whole pages: the scan */
	MB_INCR_WINDOW,	 /* --scan-mb, 1% in one contiguous window: the scan */
	MB_INCR_KINDS
};

#define MB_INCR_SCAN_PCT 1.0 /* the scan rows' percentage (issue 11: 1% of 4 GiB) */

/*
 * One run of a point on one side: a full checkpoint, the increments, and
 * (random) one more checkpoint, full, of the same memory. The increments'
 * figures are their medians. A figure not measured: NAN, or -1 for sizes
 * and counts (an empty CSV field).
 */
struct mb_incr_run {
	unsigned run;	   /* 1..N */
	char order[48];	   /* the sides in the order they ran: "stw-cow" */
	long long data_bytes;
	long long increments;	   /* incremental checkpoints taken (the medians are over these) */
	long long policy_fulls;	   /* checkpoints meant as increments that came out full */
	long long rewritten_bytes; /* bytes rewritten before each increment (median) */
	long long image_bytes;	   /* the increments' image files */
	double pause_s;		   /* the stall meter's longest gap across each increment */
	double reported_pause_s;   /* mtcp_checkpoint --wait's "paused X ms" */
	double todisk_s;	   /* mtcp_checkpoint --wait's wall time: durable */
	double scan_s;		   /* the library's scan (and re-protect) time */
	long long tracked_bytes, written_bytes, inherited_bytes; /* the library's figures */
	/* the first checkpoint: full, it starts the tracking */
	double full_pause_s, full_todisk_s, protect_s;
	long long full_image_bytes, protected_bytes;
	/* random: restart (cache dropped) from the last increment and from the full image after it */
	long long depth; /* the last increment's depth (its chain: depth + 1 images) */
	double restart_s, restart_full_s;
	/* mtcp_restart --flatten of the last increment (timed), and the restart from its output */
	double flatten_s, restart_flat_s;
	int ok; /* every verify passed, every checkpoint said what it was */
};

struct mb_incr_point {
	unsigned runs;
	long long data_bytes, increments, policy_fulls, rewritten_bytes;
	long long image_limit_bytes; /* 1.1 x rewritten + 256 KiB */
	struct mb_stat image, pause, reported_pause, todisk, scan;
	long long tracked_bytes, written_bytes, inherited_bytes;
	struct mb_stat full_pause, full_todisk, protect;
	long long full_image_bytes, protected_bytes, depth;
	struct mb_stat restart, restart_full, flatten, restart_flat;
	double image_ratio, restart_ratio; /* image / rewritten; restart / restart_full (medians) */
	int ok;
};

/* what a row is about */
struct mb_incr_key {
	enum mb_incr_kind kind;
	double pct;	 /* the point: percent of the pages rewritten */
	enum mb_side side;
};

extern const char mb_incr_point_header[]; /* FILE.csv's first line, without '\n' */
extern const char mb_incr_run_header[];	  /* FILE-runs.csv's */

/* "random", "scan-random", "scan-window" */
const char *mb_incr_kind_name(enum mb_incr_kind k);

/* A run with nothing measured yet (ok = 1). */
void mb_incr_run_init(struct mb_incr_run *r, unsigned run);

/* The point of n runs: medians [min..max]; sizes are medians (rounded); ok if every run's. */
void mb_incr_point_of(const struct mb_incr_run *runs, size_t n, struct mb_incr_point *p);

/* One row with its '\n'. 0, or -EIO if f has an error. */
int mb_incr_csv_run(FILE *f, const struct mb_incr_key *k, const struct mb_incr_run *r);
int mb_incr_csv_point(FILE *f, const struct mb_incr_key *k, const struct mb_incr_point *p);

/* Everything measured, for the table. */
struct mb_incr_results {
	size_t npts;
	double pct[MB_INCR_MAX];
	size_t nsides;
	enum mb_side side[MB_SIDES_MAX];
	int done[MB_INCR_MAX];				 /* point i measured */
	struct mb_incr_point p[MB_INCR_MAX][MB_SIDES_MAX]; /* [point][side] */
	int scan_done;
	enum mb_side scan_side;
	struct mb_incr_point scan[2]; /* MB_INCR_SCAN, MB_INCR_WINDOW */
	/* the first full checkpoint of every run of every point, per side */
	struct mb_stat full_pause[MB_SIDES_MAX], protect[MB_SIDES_MAX];
	long long protected_bytes[MB_SIDES_MAX];
};

/* The table on stdout: the rows with their limits, PASS/MISS. */
void mb_incr_table_print(const struct mb_incr_results *t, const struct mb_opts *o);

#endif
