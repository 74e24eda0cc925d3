/* SPDX-License-Identifier: MIT */
/*
 * lu.c - the SSOR solver of lu.h: residual, lower and upper wavefront
 * sweeps of 5x5 blocks, norms.  OpenMP when built with it; without it
 * the pragmas vanish and the same code runs serially, with the same
 * results.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lu.h"

#ifdef _OPENMP
#define LU_OMP(x) _Pragma(#x)
#else
#define LU_OMP(x)
#endif

#define NV LU_NVAR

/*
 * The physics.  nu is large against the convection (h/2 |J_d| is about
 * nu for class S, a tenth of it for class B), so the sweeps converge
 * without a pseudo-time term: the error falls tenfold every 5 iterations
 * for class S, every 45 for W.  A and B, like NPB's, are still far from
 * converged at the end (errors about 4e-3 and 2e-2), so their last
 * values depend on every iteration.  OMEGA is NPB LU's relaxation factor.
 */
#define NU	0.1
#define GAMMA	0.5
#define KAPPA	0.05
#define OMEGA	1.2

static const struct lu_class classes[] = {
	{ 'S', 12, 50 },
	{ 'W', 33, 300 },
	{ 'A', 64, 250 },
	{ 'B', 102, 250 },
};

struct lu_grid {
	int n;
	double h;
	double *u;	/* 5 a point: the iterate; exact on the boundary */
	double *rsd;	/* 5 a point: residual, then the sweeps' v and z; 0 on the boundary */
	double *frct;	/* 5 a point: the forcing term f */
	double *rho_i;	/* 1 / u_0 */
	double *qs;	/* |u|^2 */
	double (*part)[2][NV];	/* per k-plane sums of lu_norms() */
	double m[3][NV][NV];	/* M_x, M_y, M_z */
	double k[NV][NV];	/* the reaction's linear part K */
};

const struct lu_class *lu_class_find(const char *name)
{
	if (!name || !name[0] || name[1])
		return NULL;
	for (size_t c = 0; c < sizeof(classes) / sizeof(classes[0]); c++)
		if (name[0] == classes[c].name || name[0] == classes[c].name - 'A' + 'a')
			return &classes[c];
	return NULL;
}

static inline size_t pt(const struct lu_grid *g, int i, int j, int k)
{
	return ((size_t)k * g->n + j) * g->n + i;
}

/* The exact solution, smooth and with u_0 >= 0.6 (it divides). */
static void exact(double x, double y, double z, double ue[NV])
{
	static const double base[NV] = { 1.0, 0.5, -0.3, 0.4, 2.0 };
	static const double amp[NV] = { 0.15, 0.4, 0.3, 0.35, 0.5 };
	static const double kx[NV] = { 1.0, 1.5, 0.5, 1.0, 2.0 };
	static const double ky[NV] = { 0.5, 1.0, 1.5, 0.5, 1.0 };
	static const double lin[NV] = { 0.1, 0.2, -0.2, 0.3, 0.5 };

	for (int m = 0; m < NV; m++)
		ue[m] = base[m] + amp[m] * sin(M_PI * (kx[m] * x + 0.25 * m)) *
				cos(M_PI * ky[m] * y) * (1.0 + 0.5 * z * z) +
			lin[m] * (x - y + 2.0 * z) * 0.25;
}

/* M_d: advection along d on the diagonal, and the Euler-like couplings of
 * density, momentum d and energy; K: damping, a rotation of the momenta,
 * energy fed by density. */
static void set_matrices(struct lu_grid *g)
{
	static const double adv[3] = { 0.3, -0.2, 0.25 };

	memset(g->m, 0, sizeof(g->m));
	memset(g->k, 0, sizeof(g->k));
	for (int d = 0; d < 3; d++) {
		for (int m = 0; m < NV; m++)
			g->m[d][m][m] = adv[d];
		g->m[d][0][d + 1] = 1.0;
		g->m[d][d + 1][4] = 0.4;
		g->m[d][4][d + 1] = 0.5;
		g->m[d][d + 1][0] = -0.2;
	}
	for (int m = 0; m < NV; m++)
		g->k[m][m] = 1.0;
	g->k[1][2] = 0.3;
	g->k[2][1] = -0.3;
	g->k[2][3] = 0.2;
	g->k[3][2] = -0.2;
	g->k[4][0] = 0.1;
}

/* F_d at point p. */
static inline void flux(const struct lu_grid *g, int d, size_t p, double f[NV])
{
	const double *u = &g->u[p * NV];
	double v = GAMMA * u[d + 1] * g->rho_i[p];

	for (int m = 0; m < NV; m++) {
		double s = v * u[m];
		for (int l = 0; l < NV; l++)
			s += g->m[d][m][l] * u[l];
		f[m] = s;
	}
}

/* R(u) at interior point (i, j, k), scaled by h^2: diffusion, central
 * differences of the fluxes, reaction. */
static void operator_at(const struct lu_grid *g, int i, int j, int k, double r[NV])
{
	size_t p = pt(g, i, j, k);
	size_t nb[3][2] = {
		{ p - 1, p + 1 },
		{ pt(g, i, j - 1, k), pt(g, i, j + 1, k) },
		{ pt(g, i, j, k - 1), pt(g, i, j, k + 1) },
	};
	const double *u = &g->u[p * NV];
	double hh = g->h * g->h, q = g->qs[p];

	for (int m = 0; m < NV; m++) {
		double s = 6.0 * u[m];
		for (int d = 0; d < 3; d++)
			s -= g->u[nb[d][0] * NV + m] + g->u[nb[d][1] * NV + m];
		double react = KAPPA * q * u[m];
		for (int l = 0; l < NV; l++)
			react += g->k[m][l] * u[l];
		r[m] = NU * s + hh * react;
	}
	for (int d = 0; d < 3; d++) {
		double fm[NV], fp[NV];
		flux(g, d, nb[d][0], fm);
		flux(g, d, nb[d][1], fp);
		for (int m = 0; m < NV; m++)
			r[m] += 0.5 * g->h * (fp[m] - fm[m]);
	}
}

/* 1/u_0 and |u|^2 of every point, boundary included (neighbours read them). */
static void derived(struct lu_grid *g)
{
	int n = g->n;

	LU_OMP(omp for schedule(static))
	for (int k = 0; k < n; k++)
		for (size_t p = pt(g, 0, 0, k); p < pt(g, 0, 0, k + 1); p++) {
			const double *u = &g->u[p * NV];
			double q = 0.0;
			for (int m = 0; m < NV; m++)
				q += u[m] * u[m];
			g->rho_i[p] = 1.0 / u[0];
			g->qs[p] = q;
		}
}

/* rsd = f - R(u) on the interior; f = NULL: rsd = R(u). */
static void residual(struct lu_grid *g, const double *f, double *out)
{
	int last = g->n - 2;

	LU_OMP(omp parallel)
	{
		derived(g);
		LU_OMP(omp for schedule(static))
		for (int k = 1; k <= last; k++)
			for (int j = 1; j <= last; j++)
				for (int i = 1; i <= last; i++) {
					size_t p = pt(g, i, j, k);
					double r[NV];
					operator_at(g, i, j, k, r);
					for (int m = 0; m < NV; m++)
						out[p * NV + m] = f ? f[p * NV + m] - r[m] : r[m];
				}
	}
}

/*
 * The off-diagonal block of R at p for its neighbour q along d, on the
 * side sign (-1: q = p - e_d, +1: q = p + e_d):
 * -nu I + sign h/2 J_d(u_q), with
 * J_d = M_d + gamma (v I + u dv^T), v = u_{d+1} / u_0, whose gradient dv
 * is (-u_{d+1} / u_0^2, .., 1 / u_0 at d+1, ..).
 */
static void off_block(const struct lu_grid *g, int d, int sign, size_t q, double b[NV][NV])
{
	const double *u = &g->u[q * NV];
	double ri = g->rho_i[q], c = sign * 0.5 * g->h;
	double v = u[d + 1] * ri;
	double dv0 = -u[d + 1] * ri * ri, dvd = ri;

	for (int m = 0; m < NV; m++)
		for (int l = 0; l < NV; l++)
			b[m][l] = c * g->m[d][m][l];
	for (int m = 0; m < NV; m++) {
		b[m][m] += c * GAMMA * v - NU;
		b[m][0] += c * GAMMA * u[m] * dv0;
		b[m][d + 1] += c * GAMMA * u[m] * dvd;
	}
}

/*
 * The diagonal block at p, LU-factored in place (no pivoting: 6 nu
 * dominates the h^2 terms): 6 nu I + h^2 (K + kappa (|u|^2 I + 2 u u^T)).
 */
static void diag_factor(const struct lu_grid *g, size_t p, double a[NV][NV])
{
	const double *u = &g->u[p * NV];
	double hh = g->h * g->h, q = g->qs[p];

	for (int m = 0; m < NV; m++)
		for (int l = 0; l < NV; l++)
			a[m][l] = hh * (g->k[m][l] + 2.0 * KAPPA * u[m] * u[l]);
	for (int m = 0; m < NV; m++)
		a[m][m] += 6.0 * NU + hh * KAPPA * q;
	for (int c = 0; c < NV; c++) {
		double inv = 1.0 / a[c][c];
		for (int m = c + 1; m < NV; m++) {
			double f = a[m][c] * inv;
			a[m][c] = f;
			for (int l = c + 1; l < NV; l++)
				a[m][l] -= f * a[c][l];
		}
	}
}

/* x = A^-1 x with A from diag_factor(). */
static void diag_solve(double a[NV][NV], double x[NV])
{
	for (int m = 1; m < NV; m++)
		for (int l = 0; l < m; l++)
			x[m] -= a[m][l] * x[l];
	for (int m = NV - 1; m >= 0; m--) {
		for (int l = m + 1; l < NV; l++)
			x[m] -= a[m][l] * x[l];
		x[m] /= a[m][m];
	}
}

/* x -= w B y */
static inline void block_axpy(double b[NV][NV], const double *y, double w, double x[NV])
{
	for (int m = 0; m < NV; m++) {
		double s = 0.0;
		for (int l = 0; l < NV; l++)
			s += b[m][l] * y[l];
		x[m] -= w * s;
	}
}

/* Forward: v_p = D_p^-1 (r_p - w sum L v), i rising. */
static void lower_pencil(struct lu_grid *g, int j, int k)
{
	size_t step[3] = { 1, (size_t)g->n, (size_t)g->n * g->n };
	int at[3] = { 0, j, k };

	for (int i = 1; i <= g->n - 2; i++) {
		size_t p = pt(g, i, j, k);
		double x[NV], b[NV][NV];

		at[0] = i;
		memcpy(x, &g->rsd[p * NV], sizeof(x));
		for (int d = 0; d < 3; d++) {
			/* the boundary's v is 0 */
			if (at[d] == 1)
				continue;
			off_block(g, d, -1, p - step[d], b);
			block_axpy(b, &g->rsd[(p - step[d]) * NV], OMEGA, x);
		}
		diag_factor(g, p, b);
		diag_solve(b, x);
		memcpy(&g->rsd[p * NV], x, sizeof(x));
	}
}

/* Backward: z_p = v_p - w D_p^-1 sum U z, i falling. */
static void upper_pencil(struct lu_grid *g, int j, int k)
{
	size_t step[3] = { 1, (size_t)g->n, (size_t)g->n * g->n };
	int at[3] = { 0, j, k }, last = g->n - 2;

	for (int i = last; i >= 1; i--) {
		size_t p = pt(g, i, j, k);
		double s[NV] = { 0 }, b[NV][NV];

		at[0] = i;
		for (int d = 0; d < 3; d++) {
			if (at[d] == last)
				continue;
			off_block(g, d, +1, p + step[d], b);
			/* s -= -1 * U z, i.e. s += U z */
			block_axpy(b, &g->rsd[(p + step[d]) * NV], -1.0, s);
		}
		diag_factor(g, p, b);
		diag_solve(b, s);
		for (int m = 0; m < NV; m++)
			g->rsd[p * NV + m] -= OMEGA * s[m];
	}
}

/*
 * The wavefronts: pencil (j, k) needs (j-1, k) and (j, k-1) done (lower
 * sweep; the mirror for the upper), so one diagonal j + k = m at a time,
 * its pencils shared statically; the implied barrier of "omp for" closes
 * each diagonal.
 */
static void sweep_lower(struct lu_grid *g)
{
	int last = g->n - 2;

	LU_OMP(omp parallel)
	for (int m = 2; m <= 2 * last; m++) {
		int jlo = m - last > 1 ? m - last : 1, jhi = m - 1 < last ? m - 1 : last;
		LU_OMP(omp for schedule(static))
		for (int j = jlo; j <= jhi; j++)
			lower_pencil(g, j, m - j);
	}
}

static void sweep_upper(struct lu_grid *g)
{
	int last = g->n - 2;

	LU_OMP(omp parallel)
	for (int m = 2 * last; m >= 2; m--) {
		int jlo = m - last > 1 ? m - last : 1, jhi = m - 1 < last ? m - 1 : last;
		LU_OMP(omp for schedule(static))
		for (int j = jhi; j >= jlo; j--)
			upper_pencil(g, j, m - j);
	}
}

void lu_step(struct lu_grid *g)
{
	int last = g->n - 2;
	double w = OMEGA * (2.0 - OMEGA);

	residual(g, g->frct, g->rsd);
	sweep_lower(g);
	sweep_upper(g);
	LU_OMP(omp parallel for schedule(static))
	for (int k = 1; k <= last; k++)
		for (int j = 1; j <= last; j++)
			for (size_t p = pt(g, 1, j, k); p <= pt(g, last, j, k); p++)
				for (int m = 0; m < NV; m++)
					g->u[p * NV + m] += w * g->rsd[p * NV + m];
}

void lu_norms(struct lu_grid *g, double res[NV], double err[NV])
{
	int last = g->n - 2;
	double h = g->h, cnt = (double)last * last * last;

	residual(g, g->frct, g->rsd);
	/* per-plane sums in a fixed order, then the planes in order by one
	 * thread: the same bits for any thread count */
	LU_OMP(omp parallel for schedule(static))
	for (int k = 1; k <= last; k++) {
		double sr[NV] = { 0 }, se[NV] = { 0 };
		for (int j = 1; j <= last; j++)
			for (int i = 1; i <= last; i++) {
				size_t p = pt(g, i, j, k);
				double ue[NV];
				exact(i * h, j * h, k * h, ue);
				for (int m = 0; m < NV; m++) {
					double r = g->rsd[p * NV + m], e = g->u[p * NV + m] - ue[m];
					sr[m] += r * r;
					se[m] += e * e;
				}
			}
		memcpy(g->part[k][0], sr, sizeof(sr));
		memcpy(g->part[k][1], se, sizeof(se));
	}
	for (int m = 0; m < NV; m++) {
		res[m] = err[m] = 0.0;
		for (int k = 1; k <= last; k++) {
			res[m] += g->part[k][0][m];
			err[m] += g->part[k][1][m];
		}
		res[m] = sqrt(res[m] / cnt);
		err[m] = sqrt(err[m] / cnt);
	}
}

/*
 * f = R(exact) on the grid, the boundary exact, the interior first guessed
 * as the mean of the three linear interpolations between opposite faces
 * (a smooth guess that is off by O(0.1)).  The parallel loops also place
 * the pages (first touch).
 */
static void grid_init(struct lu_grid *g)
{
	int n = g->n, last = n - 1;
	double h = g->h;

	LU_OMP(omp parallel for schedule(static))
	for (int k = 0; k < n; k++)
		for (int j = 0; j < n; j++)
			for (int i = 0; i < n; i++) {
				size_t p = pt(g, i, j, k);
				exact(i * h, j * h, k * h, &g->u[p * NV]);
				memset(&g->rsd[p * NV], 0, NV * sizeof(double));
				memset(&g->frct[p * NV], 0, NV * sizeof(double));
			}
	residual(g, NULL, g->frct);
	LU_OMP(omp parallel for schedule(static))
	for (int k = 1; k < last; k++)
		for (int j = 1; j < last; j++)
			for (int i = 1; i < last; i++) {
				double x = i * h, y = j * h, z = k * h;
				double f0[NV], f1[NV], *u = &g->u[pt(g, i, j, k) * NV];
				for (int m = 0; m < NV; m++)
					u[m] = 0.0;
				exact(0.0, y, z, f0);
				exact(1.0, y, z, f1);
				for (int m = 0; m < NV; m++)
					u[m] += (1.0 - x) * f0[m] + x * f1[m];
				exact(x, 0.0, z, f0);
				exact(x, 1.0, z, f1);
				for (int m = 0; m < NV; m++)
					u[m] += (1.0 - y) * f0[m] + y * f1[m];
				exact(x, y, 0.0, f0);
				exact(x, y, 1.0, f1);
				for (int m = 0; m < NV; m++)
					u[m] = (u[m] + (1.0 - z) * f0[m] + z * f1[m]) / 3.0;
			}
}

struct lu_grid *lu_grid_new(int n)
{
	struct lu_grid *g;
	size_t pts;

	if (n < 4 || n > 1024) {
		errno = EINVAL;
		return NULL;
	}
	pts = (size_t)n * n * n;
	g = calloc(1, sizeof(*g));
	if (!g)
		return NULL;
	g->n = n;
	g->h = 1.0 / (n - 1);
	/* malloc, not calloc: grid_init writes every byte, in parallel */
	g->u = malloc(pts * NV * sizeof(double));
	g->rsd = malloc(pts * NV * sizeof(double));
	g->frct = malloc(pts * NV * sizeof(double));
	g->rho_i = malloc(pts * sizeof(double));
	g->qs = malloc(pts * sizeof(double));
	g->part = calloc((size_t)n, sizeof(*g->part));
	if (!g->u || !g->rsd || !g->frct || !g->rho_i || !g->qs || !g->part) {
		lu_grid_free(g);
		errno = ENOMEM;
		return NULL;
	}
	set_matrices(g);
	grid_init(g);
	return g;
}

void lu_grid_free(struct lu_grid *g)
{
	if (!g)
		return;
	free(g->u);
	free(g->rsd);
	free(g->frct);
	free(g->rho_i);
	free(g->qs);
	free(g->part);
	free(g);
}

int lu_run(int n, int iters, double res[NV], double err[NV])
{
	struct lu_grid *g;

	if (iters < 0)
		return -EINVAL;
	g = lu_grid_new(n);
	if (!g)
		return -errno;
	for (int it = 0; it < iters; it++)
		lu_step(g);
	lu_norms(g, res, err);
	lu_grid_free(g);
	return 0;
}
