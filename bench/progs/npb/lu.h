/* SPDX-License-Identifier: MIT */
/*
 * lu.h - a solver in the shape of NPB LU (the MTCP paper's figure 4
 * workload), and the two functions that check its output.
 *
 * The problem: 5 unknowns per point of an N^3 grid on the unit cube, a
 * steady, mildly nonlinear convection-diffusion-reaction system
 *
 *	-nu lap(u) + sum_d d/dx_d F_d(u) + S(u) = f
 *
 * with F_d(u) = M_d u + gamma (u_{d+1} / u_0) u (an Euler-like convective
 * flux) and S(u) = K u + kappa |u|^2 u.  f is the discrete operator
 * applied to a smooth exact solution (lu.c, exact()), so the discrete
 * solution is that function on the grid and the error norms go to 0.
 * Dirichlet boundary: the exact solution, never updated.
 *
 * One iteration is one SSOR step of NPB's kind: the residual
 * r = f - R(u) (central differences, scaled by h^2); a lower-triangular
 * sweep (D + wL) v = r and an upper one (D + wU) z = D v, where D, L, U
 * are the 5x5 blocks of the Jacobian of R at the current u, formed point
 * by point; then u += w (2 - w) z.
 *
 * Determinism: the sweeps are Gauss-Seidel wavefronts.  A pencil (all i
 * for one j, k) depends on pencils (j-1, k) and (j, k-1), so the pencils of
 * one diagonal j + k = m are independent; OpenMP shares a diagonal's
 * pencils out and waits at the end of it.  Every point is computed by the
 * same code from the same inputs whatever the thread count or timing, and
 * the norms are summed per k-plane, then over the planes in order by one
 * thread.  So a build gives bit-identical results run to run, and for any
 * thread count.
 *
 * Memory: u, the residual, f (5 doubles each), 1/u_0 and |u|^2 (1 each):
 * 136 bytes a point, like NPB LU's arrays.  Class S 0.2 MiB, W 4.7 MiB,
 * A 34 MiB, B 138 MiB of arrays; peak resident (VmHWM, 2 threads) 2.7,
 * 7.0, 36 and 140 MiB.
 */
#ifndef MTCP_BENCH_LU_H
#define MTCP_BENCH_LU_H

#include <stddef.h>

#define LU_NVAR 5

/* NPB LU's classes: grid points per side and iterations. */
struct lu_class {
	char name;
	int n;
	int iters;
};

/* "S", "W", "A", "B" (or lower case) -> its class; NULL for anything else. */
const struct lu_class *lu_class_find(const char *name);

struct lu_grid;

/* A grid of n^3 points (4 <= n <= 1024) holding the exact boundary, the
 * forcing term and the initial guess.  NULL: bad n or out of memory. */
struct lu_grid *lu_grid_new(int n);
void lu_grid_free(struct lu_grid *g);

/* One SSOR iteration. */
void lu_step(struct lu_grid *g);

/* The L2 norm, per unknown and over the interior points, of the residual
 * f - R(u) (of the h^2-scaled equations) and of u - exact. */
void lu_norms(struct lu_grid *g, double res[LU_NVAR], double err[LU_NVAR]);

/* All of it: new grid, iters steps, norms, free.  0 or -ENOMEM / -EINVAL. */
int lu_run(int n, int iters, double res[LU_NVAR], double err[LU_NVAR]);

/*
 * The output of npb_lu, its interface with the driver (mtcp-bench npb):
 *
 *	npb_lu class A n 64 iterations 250 threads 2	(not with --quiet)
 *	iter 1/250					(one per iteration, flushed;
 *	...						 not with --quiet)
 *	iter 250/250
 *	residuals R1 R2 R3 R4 R5			(%.17e each)
 *	errors E1 E2 E3 E4 E5				(%.17e each)
 *	time SECONDS					(%.3f: allocation to norms, wall)
 *	memory KIB					(VmHWM, 0 if unreadable)
 *
 * "iter K" is printed after iteration K is complete.  The residuals
 * depend only on the build (not on the thread count or timing), so a run
 * checkpointed and restarted must print the residuals an uninterrupted
 * run printed: lu_compare(a, b, 5, 1e-12, ...) == 0 (in practice they are
 * bit-identical).  Exit status 0; 2 for bad arguments (one line on
 * stderr); 1 when the memory cannot be had.
 *
 * After a restart: the "iter" lines go on from the image (a line the
 * first process printed after the checkpoint, before the kill, comes
 * again: seen with W checkpointed at iter 101); "time" is
 * CLOCK_MONOTONIC from the first start, so it includes the time the
 * process was down; "memory" is the restored process's own peak.
 */

/*
 * lu_compare() - a and b, n values each, agree to rel_tol.
 *
 * Each pair must satisfy |a - b| <= rel_tol * max(|a|, |b|), or be equal
 * (so +0 and -0 match, an exact zero matches only a zero, equal
 * infinities match).  A NaN on either side never matches.
 *
 * @return 0 if all agree; -1 otherwise (or for n < 0, or a rel_tol that is
 * negative or NaN), with a one-line description of the first disagreement
 * in why (why may be NULL; on success why is set to "").
 */
int lu_compare(const double *a, const double *b, int n, double rel_tol,
	       char *why, size_t whylen);

/*
 * lu_parse_residuals() - the five values of a "residuals ..." line.
 *
 * The line is "residuals" then exactly five numbers (strtod syntax, so
 * "nan" and "inf" parse and are left to lu_compare to refuse), separated
 * by blanks; a trailing newline is allowed.
 *
 * @return 0, out filled; -EINVAL for another key, fewer or more values or
 * anything else on the line (out may then be partly written).
 */
int lu_parse_residuals(const char *line, double out[LU_NVAR]);

/* The same for any "KEY v1 .. v5" line ("errors"). */
int lu_parse_norms(const char *line, const char *key, double out[LU_NVAR]);

#endif
