/* SPDX-License-Identifier: MIT */
/*
 * npb_lu.c - npb_lu CLASS [--threads N] [--quiet]: solve class S, W, A or
 * B of the LU-shaped problem (lu.h) and print the norms, the time and the
 * peak memory; the output is described in lu.h.  The program that
 * mtcp-bench npb checkpoints mid-run and restarts.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "lu.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: npb_lu CLASS [--threads N] [--quiet]   (CLASS: S, W, A or B)\n");
}

static int bad(const char *what, const char *arg)
{
	fprintf(stderr, "npb_lu: %s '%s' (npb_lu --help)\n", what, arg);
	return 2;
}

/* VmHWM in KiB: the most the process ever had resident. */
static long peak_kib(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long kib = 0;

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmHWM: %ld kB", &kib) == 1)
			break;
	fclose(f);
	return kib;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void print_norms(const char *key, const double v[LU_NVAR])
{
	printf("%s", key);
	for (int m = 0; m < LU_NVAR; m++)
		printf(" %.17e", v[m]);
	printf("\n");
}

int main(int argc, char **argv)
{
	const struct lu_class *cls = NULL;
	int quiet = 0, threads = 0, nthreads = 1;
	double res[LU_NVAR], err[LU_NVAR], t0;
	struct lu_grid *g;

	for (int a = 1; a < argc; a++) {
		if (!strcmp(argv[a], "--help") || !strcmp(argv[a], "-h")) {
			usage(stdout);
			return 0;
		} else if (!strcmp(argv[a], "--quiet")) {
			quiet = 1;
		} else if (!strcmp(argv[a], "--threads")) {
			char *end;
			long v;

			if (a + 1 == argc) {
				fprintf(stderr, "npb_lu: --threads needs a number (npb_lu --help)\n");
				return 2;
			}
			v = strtol(argv[++a], &end, 10);
			if (end == argv[a] || *end || v < 1 || v > 1024)
				return bad("--threads takes 1 to 1024, not", argv[a]);
			threads = (int)v;
		} else if (argv[a][0] == '-') {
			return bad("unknown option", argv[a]);
		} else if (cls) {
			return bad("one class only, extra argument", argv[a]);
		} else if (!(cls = lu_class_find(argv[a]))) {
			return bad("no such class (S, W, A or B)", argv[a]);
		}
	}
	if (!cls) {
		fprintf(stderr, "npb_lu: which class? (S, W, A or B; npb_lu --help)\n");
		return 2;
	}
#ifdef _OPENMP
	if (threads)
		omp_set_num_threads(threads);
	nthreads = omp_get_max_threads();
#else
	/* a serial build runs one thread whatever --threads says */
	(void)threads;
#endif
	/* the driver reads the lines as they come, through a pipe */
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!quiet)
		printf("npb_lu class %c n %d iterations %d threads %d\n",
		       cls->name, cls->n, cls->iters, nthreads);

	t0 = now();
	g = lu_grid_new(cls->n);
	if (!g) {
		fprintf(stderr, "npb_lu: no memory for class %c (%d^3 points)\n",
			cls->name, cls->n);
		return 1;
	}
	for (int it = 1; it <= cls->iters; it++) {
		lu_step(g);
		if (!quiet) {
			printf("iter %d/%d\n", it, cls->iters);
			fflush(stdout);
		}
	}
	lu_norms(g, res, err);
	lu_grid_free(g);

	print_norms("residuals", res);
	print_norms("errors", err);
	printf("time %.3f\n", now() - t0);
	printf("memory %ld\n", peak_kib());
	fflush(stdout);
	return 0;
}
