/* SPDX-License-Identifier: MIT */
/*
 * npbout.h: reading what npb_lu prints (its format: bench/progs/npb/lu.h), and
 * the output check of npb --binary. Pure functions over byte buffers.
 */
#ifndef MB_NPBOUT_H
#define MB_NPBOUT_H

#include <stddef.h>

#define NPB_NVAR 5 /* LU_NVAR */

struct npb_out {
	int has_residuals;
	double res[NPB_NVAR];
	long iters;		/* TOTAL of its "iter K/TOTAL" lines; 0 if none */
	long long memory_kib;	/* "memory KIB"; -1 if none */
};

/* "iter K/TOTAL" -> 0, *k and *total; -EINVAL for another line. */
int npb_iter_line(const char *line, long *k, long *total);

/* Scans npb_lu's whole output (len bytes, need not end in '\n'). */
void npb_scan(const char *out, size_t len, struct npb_out *o);

/*
 * The offset just after the line "iter K/..." in out (the bytes npb_lu
 * has written once it has printed iteration k), or -1 if there is none.
 */
long long npb_offset_after(const char *out, size_t len, long k);

/*
 * Did a checkpointed and restarted program print what an uninterrupted
 * run printed (full, flen bytes)? before: what the original printed up to
 * its kill (it may have gone on past the checkpoint); after: what the
 * restarted copy printed. True when full = before[0..s) + after for some
 * s <= blen.
 */
int npb_output_completes(const char *full, size_t flen, const char *before, size_t blen,
			 const char *after, size_t alen);

#endif
