/* SPDX-License-Identifier: MIT */
/*
 * targets_table.c: the table of `mtcp-bench targets`: each figure's median
 * [min..max], its baseline, their ratio, the limit and PASS or MISS.
 */
#include "targets.h"

#include "log.h"
#include "stats.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define MIB 1048576.0
#define GIB (1024.0 * MIB)

#define ROW_FMT "%-32s %-38s %-28s %6s  %-16s %-7s %s"

void tg_fmt_t(double s, char *buf, size_t n)
{
	if (isnan(s))
		snprintf(buf, n, "-");
	else if (s < 1)
		snprintf(buf, n, "%.1f ms", s * 1e3);
	else
		snprintf(buf, n, "%.3f s", s);
}

static void fmt_b(double b, char *buf, size_t n)
{
	if (isnan(b) || b < 0)
		snprintf(buf, n, "-");
	else
		snprintf(buf, n, "%.0f B", b);
}

static void fmt_mib(double b, char *buf, size_t n)
{
	if (isnan(b) || b < 0)
		snprintf(buf, n, "-");
	else
		snprintf(buf, n, "%.1f MiB", b / MIB);
}

void tg_fmt_stat(const struct mb_stat *s, void (*f)(double, char *, size_t), char *buf,
		 size_t n)
{
	char a[32], b[32], c[32];

	if (!s || !s->n) {
		snprintf(buf, n, "no data");
		return;
	}
	f(s->med, a, sizeof a);
	if (s->n == 1) {
		snprintf(buf, n, "%s", a);
		return;
	}
	f(s->min, b, sizeof b);
	f(s->max, c, sizeof c);
	snprintf(buf, n, "%s [%s..%s]", a, b, c);
}

/* one row: m the median judged, b its baseline (NAN: none), rep the tool's pause */
void tg_row(const char *label, const char *meas, const char *base, double m, double b,
		enum tg_lim k, double lim, const char *ltext, double rep)
{
	char ratio[16] = "-", r[32] = "-";
	const char *verdict = "-";
	double q = NAN;

	if (!isnan(m) && !isnan(b) && b > 0) {
		q = m / b;
		snprintf(ratio, sizeof ratio, "%.2f", q);
	}
	if (k == TG_L_INFO)
		verdict = "info";
	else if (k == TG_L_LT && !isnan(m))
		verdict = m < lim ? "PASS" : "MISS";
	else if (k == TG_L_LE && !isnan(m))
		verdict = m <= lim ? "PASS" : "MISS";
	else if (k == TG_L_REL && !isnan(q))
		verdict = q <= lim ? "PASS" : "MISS";
	if (!isnan(rep))
		tg_fmt_t(rep, r, sizeof r);
	mb_say(ROW_FMT, label, meas, base, ratio, ltext, verdict, r);
}

/* a time row: the stat s against base (blabel "": none) */
void tg_trow(const char *label, const struct mb_stat *s, const char *blabel, double base,
		 enum tg_lim k, double lim, const char *ltext, double rep)
{
	char meas[112], b[64] = "-", v[32];

	tg_fmt_stat(s, tg_fmt_t, meas, sizeof meas);
	if (*blabel) {
		tg_fmt_t(base, v, sizeof v);
		snprintf(b, sizeof b, "%s %s", blabel, isnan(base) ? "not run" : v);
	}
	tg_row(label, meas, b, s && s->n ? s->med : NAN, *blabel ? base : NAN, k, lim, ltext, rep);
}

/* a size row (bytes) */
void tg_brow(const char *label, const struct mb_stat *s, const char *blabel, double base,
		 enum tg_lim k, double lim, const char *ltext)
{
	char meas[112], b[64] = "-", v[32];

	tg_fmt_stat(s, fmt_b, meas, sizeof meas);
	if (*blabel) {
		fmt_b(base, v, sizeof v);
		snprintf(b, sizeof b, "%s %s", blabel, base < 0 || isnan(base) ? "not run" : v);
	}
	tg_row(label, meas, b, s && s->n ? s->med : NAN, *blabel && base >= 0 ? base : NAN, k, lim,
	    ltext, NAN);
}

/* a memory row (bytes, shown in MiB) against base (bytes; < 0: not run), not judged */
static void mrow(const char *label, const struct mb_stat *s, const char *blabel, double base)
{
	char meas[112], b[64], v[32];

	tg_fmt_stat(s, fmt_mib, meas, sizeof meas);
	fmt_mib(base, v, sizeof v);
	snprintf(b, sizeof b, "%s %s", blabel, base < 0 || isnan(base) ? "not run" : v);
	tg_row(label, meas, b, s && s->n ? s->med : NAN, base >= 0 ? base : NAN, TG_L_INFO, 0, "-", NAN);
}

const struct mb_point *tg_side(const struct tg_result *r, enum mb_side s)
{
	for (size_t i = 0; r->done && i < r->nsides; i++)
		if (r->side[i] == s ||
		    (s == MB_SIDE_COW && (r->side[i] == MB_SIDE_COW || r->side[i] == MB_SIDE_AUTO)))
			return &r->p[i];
	return NULL;
}

/* "random [stw]: pause" */
static void label(char *buf, size_t n, const char *target, enum mb_side s, const char *what)
{
	const char *name = mb_side_name(s);

	snprintf(buf, n, "%s%s%s%s: %s", target, name ? " [" : "", name ? name : "",
		 name ? "]" : "", what);
}

/* the rows of workload t, on side i */
static void work_rows(const struct tg_results *t, enum mb_target w, size_t i)
{
	const struct tg_result *r = &t->work[w];
	const struct mb_point *p = &r->p[i], *rnd = tg_side(&t->work[TG_RANDOM], r->side[i]);
	const char *name = mb_target_name(w);
	double rep = p->reported_pause.med;
	char l[4][64];

	label(l[0], sizeof l[0], name, r->side[i], "pause");
	label(l[1], sizeof l[1], name, r->side[i], "restart");
	label(l[2], sizeof l[2], name, r->side[i], "image");
	label(l[3], sizeof l[3], name, r->side[i], "durable");
	switch (w) {
	case TG_RANDOM:
		tg_trow(l[0], &p->pause, "write+fsync", p->write_base_med_s, TG_L_REL, 1.00,
		     "<= 1.00 x base", rep);
		tg_trow(l[1], &p->restart, "read-back", p->read_base_med_s, TG_L_REL, 1.25,
		     "<= 1.25 x base", NAN);
		tg_brow(l[2], &p->image, "data", (double)p->data_bytes, TG_L_INFO, 0, "-");
		break;
	case TG_ZERO:
		tg_brow(l[2], &p->image, "", NAN, TG_L_LT, MIB, "< 1 MiB");
		tg_trow(l[0], &p->pause, "", NAN, TG_L_LT, 0.15, "< 0.15 s", rep);
		tg_trow(l[1], &p->restart, "", NAN, TG_L_INFO, 0, "-", NAN);
		break;
	case TG_SPARSE:
		tg_brow(l[2], &p->image, "", NAN, TG_L_LT, 2 * MIB, "< 2 MiB");
		tg_trow(l[0], &p->pause, "", NAN, TG_L_LT, 0.1, "< 0.1 s", rep);
		tg_trow(l[1], &p->restart, "", NAN, TG_L_INFO, 0, "-", NAN);
		break;
	case TG_THREADS:
		tg_brow(l[2], &p->image, "", NAN, TG_L_LT, 8 * MIB, "< 8 MiB");
		tg_trow(l[0], &p->pause, "", NAN, TG_L_LT, 0.25, "< 0.25 s", rep);
		tg_trow(l[1], &p->restart, "", NAN, TG_L_LT, 0.25, "< 0.25 s", NAN);
		break;
	case TG_LIBS:
		tg_brow(l[2], &p->image, "data", (double)p->data_bytes, TG_L_REL, 0.50, "<= 0.50 x data");
		tg_trow(l[0], &p->pause, "random pause", rnd ? rnd->pause.med : NAN, TG_L_REL, 1.00,
		     "<= 1.00 x random", rep);
		tg_trow(l[1], &p->restart, "", NAN, TG_L_INFO, 0, "-", NAN);
		break;
	case TG_REWRITE:
		/* the worst case of copy-on-write: against random on the same side */
		tg_trow(l[0], &p->pause, "random pause", rnd ? rnd->pause.med : NAN, TG_L_INFO, 0, "-",
		     rep);
		tg_trow(l[3], &p->todisk, "random durable", rnd ? rnd->todisk.med : NAN, TG_L_INFO, 0, "-",
		     NAN);
		tg_trow(l[1], &p->restart, "", NAN, TG_L_INFO, 0, "-", NAN);
		tg_brow(l[2], &p->image, "data", (double)p->data_bytes, TG_L_INFO, 0, "-");
		break;
	case TG_EMPTY:
		tg_brow(l[2], &p->image, "", NAN, TG_L_LT, MIB, "< 1 MiB");
		tg_trow(l[0], &p->pause, "", NAN, TG_L_LT, 0.010, "< 10 ms", rep);
		tg_trow(l[1], &p->restart, "", NAN, TG_L_INFO, 0, "-", NAN);
		break;
	default:
		break;
	}
}

/* the growth rows: pause against a bare fork per size, then the slopes */
static void growth_rows(const struct tg_results *t)
{
	enum mb_side sides[MB_SIDES_MAX];
	size_t nsides = 0;

	for (size_t g = 0; g < t->ngrowth; g++)
		if (t->growth[g].done) {
			nsides = t->growth[g].nsides;
			memcpy(sides, t->growth[g].side, sizeof sides);
			break;
		}
	for (size_t i = 0; i < nsides; i++) {
		double x[MB_GROWTH_MAX], yp[MB_GROWTH_MAX], yf[MB_GROWTH_MAX], sp, sf;
		char l[64], what[32], meas[48], base[48];

		for (size_t g = 0; g < t->ngrowth; g++) {
			const struct tg_result *r = &t->growth[g];
			const struct mb_point *p = r->done ? &r->p[i] : NULL;

			x[g] = (double)t->growth_mib[g] * MIB / GIB;
			yp[g] = p && p->pause.n ? p->pause.med : NAN;
			yf[g] = p ? p->fork_base_med_s : NAN;
			if (!p)
				continue;
			snprintf(what, sizeof what, "growth %ld MiB", t->growth_mib[g]);
			label(l, sizeof l, what, sides[i], "pause");
			tg_trow(l, &p->pause, "bare fork", p->fork_base_med_s, TG_L_INFO, 0, "-",
			     p->reported_pause.med);
		}
		sp = mb_slope(x, yp, t->ngrowth);
		sf = mb_slope(x, yf, t->ngrowth);
		snprintf(meas, sizeof meas, isnan(sp) ? "- (needs 2 sizes)" : "%.1f ms per GiB",
			 sp * 1e3);
		snprintf(base, sizeof base, isnan(sf) ? "bare fork -" : "bare fork %.1f ms per GiB",
			 sf * 1e3);
		label(l, sizeof l, "growth", sides[i], "pause slope");
		tg_row(l, meas, base, sp, sf, sides[i] == MB_SIDE_STW ? TG_L_INFO : TG_L_REL, 1.00,
		    sides[i] == MB_SIDE_STW ? "-" : "<= 1.00 x fork", NAN);
	}
}

/*
 * issue 10's memory: what the writer process held alone at its end (the
 * library's "extra memory", MTCP_VERBOSE=1) against the data, while the
 * program idles (random) and while it rewrites every page (rewrite); then
 * rewrite's copy-on-write side against its stop-the-world side
 */
static void rewrite_rows(const struct tg_results *t)
{
	static const enum mb_target mem[] = { TG_RANDOM, TG_REWRITE };
	const struct tg_result *rw = &t->work[TG_REWRITE];
	const struct mb_point *stw = tg_side(rw, MB_SIDE_STW), *cow = tg_side(rw, MB_SIDE_COW);
	char l[64];

	for (size_t i = 0; i < sizeof mem / sizeof mem[0]; i++) {
		const struct tg_result *r = &t->work[mem[i]];
		const struct mb_point *a = tg_side(r, MB_SIDE_COW);

		if (!a)
			continue;
		label(l, sizeof l, mb_target_name(mem[i]), r->side[a - r->p], "extra memory");
		mrow(l, &a->extra, "data", (double)a->data_bytes);
	}
	if (stw && cow) {
		tg_trow("rewrite: cow pause vs stw", &cow->pause, "stw pause", stw->pause.med, TG_L_INFO, 0,
		     "-", cow->reported_pause.med);
		tg_trow("rewrite: cow durable vs stw", &cow->todisk, "stw durable", stw->todisk.med,
		     TG_L_INFO, 0, "-", NAN);
	}
}

/* issue 10: copy-on-write against stop-the-world, in the same run */
static void cow_rows(const struct tg_results *t)
{
	static const enum mb_target same[] = { TG_ZERO, TG_SPARSE, TG_THREADS, TG_EMPTY };
	const struct mb_point *stw = tg_side(&t->work[TG_RANDOM], MB_SIDE_STW);
	const struct mb_point *cow = tg_side(&t->work[TG_RANDOM], MB_SIDE_COW);
	char l[64];

	if (cow) {
		tg_trow("random: cow pause", &cow->pause, "", NAN, TG_L_LE, 0.060, "<= 60 ms",
		     cow->reported_pause.med);
		if (stw) {
			tg_trow("random: cow pause vs stw", &cow->pause, "stw pause", stw->pause.med,
			     TG_L_REL, 0.10, "<= 0.10 x stw", NAN);
			tg_trow("random: cow durable vs stw", &cow->todisk, "stw durable",
			     stw->todisk.med, TG_L_REL, 1.20, "<= 1.20 x stw", NAN);
		}
	}
	rewrite_rows(t);
	growth_rows(t);
	for (size_t i = 0; i < sizeof same / sizeof same[0]; i++) {
		const struct tg_result *r = &t->work[same[i]];
		const struct mb_point *s = tg_side(r, MB_SIDE_STW), *a = tg_side(r, MB_SIDE_COW);
		const char *side = a ? mb_side_name(r->side[a - r->p]) : "";

		if (!s || !a)
			continue;
		snprintf(l, sizeof l, "%s: %s image vs stw", mb_target_name(same[i]), side);
		/* the same regions and extents; the compressed bytes of the
		 * stacks vary by a few hundred bytes from image to image */
		tg_brow(l, &a->image, "stw image+4K", (double)s->image_bytes + 4096, TG_L_REL, 1.00,
		     "<= stw + 4 KiB");
		snprintf(l, sizeof l, "%s: %s pause vs stw", mb_target_name(same[i]), side);
		tg_trow(l, &a->pause, "stw pause", s->pause.med, TG_L_REL, 1.10, "<= 1.10 x stw",
		     a->reported_pause.med);
	}
}

/* --compare criu: the first side's figures against criu's */
static void criu_rows(const struct tg_results *t)
{
	for (int w = 0; w < TG_GROWTH; w++) {
		const struct tg_result *r = &t->work[w];
		const struct mb_point *p = r->done ? &r->p[0] : NULL;
		char l[64];

		if (!p || isnan(p->criu_pause_s))
			continue;
		label(l, sizeof l, mb_target_name((enum mb_target)w), r->side[0], "pause");
		tg_trow(l, &p->pause, "criu", p->criu_pause_s, TG_L_INFO, 0, "vs criu dump", NAN);
		label(l, sizeof l, mb_target_name((enum mb_target)w), r->side[0], "image");
		tg_brow(l, &p->image, "criu", (double)p->criu_image_bytes, TG_L_INFO, 0, "vs criu dump");
		label(l, sizeof l, mb_target_name((enum mb_target)w), r->side[0], "restart");
		tg_trow(l, &p->restart, "criu", p->criu_restart_s, TG_L_INFO, 0, "vs criu restore", NAN);
	}
}

void tg_head(void)
{
	mb_say(" ");
	mb_say(ROW_FMT, "target", "measured median [min..max]", "baseline", "ratio", "limit",
	       "verdict", "paused (tool)");
}

void tg_table_print(const struct tg_results *t, const struct mb_opts *o)
{
	int any_cow = 0;

	tg_head();
	for (int w = 0; w < TG_GROWTH; w++)
		for (size_t i = 0; t->work[w].done && i < t->work[w].nsides; i++)
			work_rows(t, (enum mb_target)w, i);
	for (size_t g = 0; g < t->ngrowth; g++)
		any_cow |= t->growth[g].done;
	any_cow |= tg_side(&t->work[TG_RANDOM], MB_SIDE_COW) != NULL;
	any_cow |= tg_side(&t->work[TG_REWRITE], MB_SIDE_COW) != NULL;
	for (int w = TG_ZERO; w < TG_GROWTH; w++)
		any_cow |= tg_side(&t->work[w], MB_SIDE_STW) && tg_side(&t->work[w], MB_SIDE_COW);
	if (any_cow) {
		mb_say(" ");
		mb_say("copy-on-write (issue 10): the copy-on-write side against stop-the-world and a"
		       " bare fork, measured in the same runs");
		cow_rows(t);
	}
	criu_rows(t);
	mb_say(" ");
	mb_say("pause: the stall meter's longest gap; durable: mtcp_checkpoint --wait; paused"
	       " (tool): the \"paused X ms\" mtcp_checkpoint printed, median (\"-\": none)");
	if (tg_side(&t->work[TG_RANDOM], MB_SIDE_COW) || tg_side(&t->work[TG_REWRITE], MB_SIDE_COW))
		mb_say("extra memory: what the copy-on-write writer process held alone at its end"
		       " (MTCP_VERBOSE=1): the pages the program rewrote while the image was written"
		       " (each then exists twice), copies of shared memory made in the pause, the"
		       " writer's own buffers (about 12 MiB)");
	if (o->size_mb != MB_TARGET_SIZE || o->threads != MB_TARGET_THREADS)
		mb_say("note: smaller or larger than the issue's sizes (--size-mb 1024, --threads"
		       " 1000); the limits are the issue's, for its sizes");
}
