/* SPDX-License-Identifier: MIT */
/*
 * args.h: the command line of mtcp-bench (the usage text is in args.c).
 * Parsing is pure: no file is looked at and nothing is printed, so the unit
 * tests can feed it any argv.
 */
#ifndef MB_ARGS_H
#define MB_ARGS_H

#include <stddef.h>
#include <stdio.h>

enum mb_mode { MB_MEMORY, MB_THREADS, MB_NPB, MB_TARGETS, MB_MODES };
enum mb_kind { MB_RANDOM, MB_ZERO, MB_HEAP, MB_SPARSE };

/* The targets' workloads, in the order they run (--only picks some). */
enum mb_target { TG_RANDOM, TG_ZERO, TG_SPARSE, TG_THREADS, TG_LIBS, TG_REWRITE, TG_EMPTY,
		 TG_GROWTH, TG_COUNT };

/* --cow: the sides measured (a mask; 0: --cow not given, MTCP_COW left alone) */
#define MB_COW_STW 1u
#define MB_COW_COW 2u
#define MB_COW_BOTH (MB_COW_STW | MB_COW_COW)

/* Bounds of the options (bench_prog's own limits for sizes and threads). */
#define MB_MIB_MAX 1048576L   /* memory --from/--to: 1 TiB */
#define MB_THREADS_MAX 16000L /* threads --from/--to */
#define MB_RUNS_MAX 1000u
#define MB_DELAY_MAX 86400.0 /* npb --delay: a day */
#define MB_INTERVAL_MAX 86400.0 /* npb --interval: a day */
#define MB_CLASSES_MAX 4     /* npb --class: S, W, A, B, each at most once */
#define MB_SIZE_MAX 262144L  /* targets --size-mb: 256 GiB (sparse maps 4 x that) */
#define MB_GROWTH_MAX 16     /* targets --growth-sizes: sizes given */
#define MB_INCR_MAX 8	     /* memory --incremental: percentages given */
#define MB_INCREMENTS_MAX 30 /* memory --increments (MTCP_FULL_EVERY is at most 31 here) */
#define MB_GRACE_MAX 86400.0 /* memory --on-term --grace: a day */

/* Defaults: the paper's sweeps. */
#define MB_MEMORY_FROM 64L
#define MB_MEMORY_TO 2048L
#define MB_THREADS_FROM 1L
#define MB_THREADS_TO 1000L
#define MB_RUNS 5u
#define MB_DIR "/var/tmp"
#define MB_CLASSES "SWAB"
#define MB_BINARY_DELAY 1.0
#define MB_TARGET_SIZE 1024L	/* targets --size-mb: issue 10's 1 GiB */
#define MB_TARGET_THREADS 1000L /* targets --threads */
#define MB_GROWTH_SIZES { 256L, 1024L, 4096L, 8192L }
#define MB_INCR_POINTS "0.1,1,10,50" /* memory --incremental: % of the pages rewritten */
#define MB_INCR_SIZE 1024L	     /* memory --incremental --size-mb: issue 11's 1 GiB */
#define MB_INCR_SCAN_MB 4096L	     /* --scan-mb: issue 11's 4 GiB tracked */
#define MB_INCREMENTS 7u	     /* --increments: a chain of 8 images, MTCP_FULL_EVERY's default */
#define MB_TERM_POINTS "1,10"	     /* memory --on-term: % of the pages rewritten before an increment */
#define MB_TERM_SIZE 1024L	     /* memory --on-term --size-mb: issue 12's 1 GiB */
#define MB_GRACE 30.0		     /* --grace: Slurm's KillWait, Kubernetes' terminationGracePeriodSeconds */

struct mb_opts {
	enum mb_mode mode;
	int help;	   /* --help: print the usage of the mode (or all) */
	long from, to;	   /* memory: MiB; threads: threads */
	enum mb_kind kind; /* memory */
	unsigned runs;
	const char *dir;   /* images and baseline files go to a directory made here */
	const char *out;   /* the summary CSV; NULL: mtcp-bench-MODE.csv */
	int criu;	   /* --compare criu */
	const char *tools; /* --tools DIR; NULL: MTCP_BENCH_TOOLS or the build tree */
	char classes[MB_CLASSES_MAX + 1]; /* npb: class letters in order, "SWAB" */
	const char *binary;		  /* npb --binary PATH */
	char **bin_args;		  /* its ARGS (after --), bin_nargs of them */
	int bin_nargs;
	double delay; /* npb: seconds before the checkpoint; < 0: half of the iterations */
	double interval; /* npb --interval: seconds between checkpoints (the slowdown runs); 0: not given */
	unsigned cow; /* memory, threads, targets, npb --interval: MB_COW_* mask; 0: not given */
	unsigned only;	    /* targets: mask of 1u << TG_* */
	long size_mb;	    /* targets: random, zero, libs, rewrite MiB (sparse: 4 x) */
	long threads;	    /* targets: threads of the threads workload */
	long growth[MB_GROWTH_MAX]; /* targets: the growth rows' MiB, increasing */
	size_t ngrowth;
	/* memory --incremental (issue 11): size_mb is the program's MiB */
	int incremental;
	double incr_pct[MB_INCR_MAX]; /* the percentages of pages rewritten, increasing */
	size_t nincr;
	long scan_mb;	     /* --scan-mb: the scan rows' program; 0: no scan rows */
	unsigned increments; /* --increments: incremental checkpoints per chain */
	/* memory --on-term (issue 12): size_mb is the program's MiB */
	int on_term;
	double term_pct[MB_INCR_MAX]; /* the increments' percentages of pages rewritten, increasing */
	size_t nterm;
	double grace; /* --grace: the grace period the times are set against (s) */
};

/*
 * Parses argv (argv[0] is the program) into o. argv[1] is the mode
 * ("memory", "threads", "npb", "targets"), or --help / -h alone.
 * @return 0; -EINVAL with a one-line reason in err (at most n bytes).
 * o->help set: only the usage is wanted (the other fields hold defaults).
 * o->bin_args points into argv.
 */
int mb_args_parse(int argc, char **argv, struct mb_opts *o, char *err, size_t n);

/* "memory", "threads", "npb", "targets"; "random", "zero", "heap", "sparse";
 * "random", "zero", "sparse", "threads", "libs", "rewrite", "empty", "growth". */
const char *mb_mode_name(enum mb_mode m);
const char *mb_kind_name(enum mb_kind k);
const char *mb_target_name(enum mb_target t);

/* The usage: of one mode (all: -1). */
void mb_usage(FILE *f, int mode);

#endif
