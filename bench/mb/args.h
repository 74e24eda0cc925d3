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

enum mb_mode { MB_MEMORY, MB_THREADS, MB_NPB };
enum mb_kind { MB_RANDOM, MB_ZERO, MB_HEAP, MB_SPARSE };

/* Bounds of the options (bench_prog's own limits for sizes and threads). */
#define MB_MIB_MAX 1048576L   /* memory --from/--to: 1 TiB */
#define MB_THREADS_MAX 16000L /* threads --from/--to */
#define MB_RUNS_MAX 1000u
#define MB_DELAY_MAX 86400.0 /* npb --delay: a day */
#define MB_CLASSES_MAX 4     /* npb --class: S, W, A, B, each at most once */

/* Defaults: the paper's sweeps. */
#define MB_MEMORY_FROM 64L
#define MB_MEMORY_TO 2048L
#define MB_THREADS_FROM 1L
#define MB_THREADS_TO 1000L
#define MB_RUNS 5u
#define MB_DIR "/var/tmp"
#define MB_CLASSES "SWAB"
#define MB_BINARY_DELAY 1.0

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
};

/*
 * Parses argv (argv[0] is the program) into o. argv[1] is the mode
 * ("memory", "threads", "npb"), or --help / -h alone.
 * @return 0; -EINVAL with a one-line reason in err (at most n bytes).
 * o->help set: only the usage is wanted (the other fields hold defaults).
 * o->bin_args points into argv.
 */
int mb_args_parse(int argc, char **argv, struct mb_opts *o, char *err, size_t n);

/* "memory", "threads", "npb"; "random", "zero", "heap", "sparse". */
const char *mb_mode_name(enum mb_mode m);
const char *mb_kind_name(enum mb_kind k);

/* The usage: of one mode (all: -1). */
void mb_usage(FILE *f, int mode);

#endif
