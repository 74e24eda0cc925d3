/* SPDX-License-Identifier: MIT */
/*
 * progress.c: the time left, figures as text, the summary table.
 */
#include "progress.h"

#include "log.h"
#include "proc.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

void mb_progress_init(struct mb_progress *p, double total_units)
{
	p->t0 = mb_now();
	p->total = total_units;
	p->done = 0;
}

void mb_progress_add(struct mb_progress *p, double units)
{
	p->done += units;
}

void mb_progress_left(const struct mb_progress *p, char *buf, size_t n)
{
	double left;

	if (p->done <= 0) {
		snprintf(buf, n, "estimating the time left");
		return;
	}
	left = (mb_now() - p->t0) / p->done * (p->total - p->done);
	if (left < 0.5)
		snprintf(buf, n, "almost done");
	else if (left < 90)
		snprintf(buf, n, "about %.0f s left", left);
	else if (left < 5400)
		snprintf(buf, n, "about %.0f min left", left / 60);
	else
		snprintf(buf, n, "about %.1f h left", left / 3600);
}

void mb_fmt_secs(double s, char *buf, size_t n)
{
	if (isnan(s))
		snprintf(buf, n, "-");
	else if (s < 1)
		snprintf(buf, n, "%.1f ms", s * 1e3);
	else
		snprintf(buf, n, "%.3f s", s);
}

void mb_fmt_bytes(long long b, char *buf, size_t n)
{
	if (b < 0)
		snprintf(buf, n, "-");
	else if (b < 1024)
		snprintf(buf, n, "%lld B", b);
	else if (b < 1048576)
		snprintf(buf, n, "%.1f KiB", (double)b / 1024);
	else
		snprintf(buf, n, "%.1f MiB", (double)b / 1048576);
}

void mb_fmt_pcts(const double *pct, size_t npct, char *buf, size_t n)
{
	size_t at = 0;

	if (n)
		buf[0] = 0;
	for (size_t i = 0; i < npct && at < n; i++)
		at += (size_t)snprintf(buf + at, n - at, "%s%g%%", i ? ", " : "", pct[i]);
}

void mb_table_add(struct mb_table *t, const struct mb_key *k, const struct mb_point *p)
{
	if (t->n == MB_POINTS_MAX)
		return;
	t->key[t->n] = *k;
	t->point[t->n++] = *p;
}

/* "52.1 ms [50.0..60.2]": min and max in the median's unit */
static void fmt_stat(const struct mb_stat *s, char *buf, size_t n)
{
	int ms = s->n && s->med < 1;
	double k = ms ? 1e3 : 1;

	if (!s->n)
		snprintf(buf, n, "-");
	else if (s->n == 1)
		mb_fmt_secs(s->med, buf, n);
	else
		snprintf(buf, n, ms ? "%.1f ms [%.1f..%.1f]" : "%.3f s [%.3f..%.3f]", s->med * k,
			 s->min * k, s->max * k);
}

static void fmt_ratio(double r, char *buf, size_t n)
{
	if (isnan(r))
		snprintf(buf, n, "-");
	else
		snprintf(buf, n, "%.2f", r);
}

/* npb --interval: per class and side, the slowdown against no checkpoint */
static void print_interval(const struct mb_table *t)
{
	mb_say(" ");
	mb_say("%-6s %-5s %4s %11s  %-30s %-12s %-26s %-11s %-11s %s", "class", "side", "runs",
	       "checkpoints", "wall time", "no ckpt", "slowdown", "mean pause", "max pause", "ok");
	for (size_t i = 0; i < t->n; i++) {
		const struct mb_point *p = &t->point[i];
		char ck[24] = "-", wall[64], plain[32], sd[64] = "-", mp[32], xp[32];

		if (p->ckpts_med >= 0)
			snprintf(ck, sizeof ck, "%lld", p->ckpts_med);
		fmt_stat(&p->wall, wall, sizeof wall);
		mb_fmt_secs(p->run_time_s, plain, sizeof plain);
		if (p->slowdown.n == 1)
			snprintf(sd, sizeof sd, "%.4f", p->slowdown.med);
		else if (p->slowdown.n)
			snprintf(sd, sizeof sd, "%.4f [%.4f..%.4f]", p->slowdown.med, p->slowdown.min,
				 p->slowdown.max);
		mb_fmt_secs(p->mean_pause_s, mp, sizeof mp);
		mb_fmt_secs(p->max_pause_s, xp, sizeof xp);
		mb_say("%-6s %-5s %4u %11s  %-30s %-12s %-26s %-11s %-11s %s", t->key[i].point,
		       t->key[i].cow ? t->key[i].cow : "-", p->runs, ck, wall, plain, sd, mp, xp,
		       p->ok ? "yes" : "NO");
	}
	mb_say("a checkpoint every %.9g s; wall time: npb_lu to its end under mtcp_launch --interval,"
	       " median [min..max]; no ckpt: the runs without the library (median); slowdown: each"
	       " run's wall time / its run without the library, median [min..max]; checkpoints:"
	       " median count; pauses: the library's own figures (MTCP_VERBOSE)",
	       t->n ? t->point[0].interval_s : NAN);
}

void mb_table_print(const struct mb_table *t)
{
	int npb = t->n && !strcmp(t->key[0].mode, "npb");

	if (!t->n)
		return;
	if (npb && !strcmp(t->key[0].kind, "lu-interval")) {
		print_interval(t);
		return;
	}
	mb_say(" ");
	mb_say("%-14s %-26s %-26s %-10s %-26s %-11s %-11s %6s %6s %6s  %s", "point",
	       npb ? "run time" : "pause", "to disk (checkpoint)", "image", "restart",
	       "write+fsync", "read-back", npb ? "" : "p/w", "d/w", "r/r", "ok");
	for (size_t i = 0; i < t->n; i++) {
		const struct mb_key *k = &t->key[i];
		const struct mb_point *p = &t->point[i];
		char pt[80], first[64], disk[64], img[32], rst[64], wb[32], rb[32];
		char r1[16], r2[16], r3[16];
		int label = !strcmp(k->unit, "class") || !strcmp(k->unit, "program");

		snprintf(pt, sizeof pt, "%s%s%s%s%s", k->point, label ? "" : " ", label ? "" : k->unit,
			 k->cow ? " " : "", k->cow ? k->cow : "");
		if (npb)
			mb_fmt_secs(p->run_time_s, first, sizeof first);
		else
			fmt_stat(&p->pause, first, sizeof first);
		fmt_stat(&p->todisk, disk, sizeof disk);
		mb_fmt_bytes(p->image_bytes, img, sizeof img);
		fmt_stat(&p->restart, rst, sizeof rst);
		mb_fmt_secs(p->write_base_med_s, wb, sizeof wb);
		mb_fmt_secs(p->read_base_med_s, rb, sizeof rb);
		fmt_ratio(p->pause_ratio, r1, sizeof r1);
		fmt_ratio(p->todisk_ratio, r2, sizeof r2);
		fmt_ratio(p->restart_ratio, r3, sizeof r3);
		mb_say("%-14s %-26s %-26s %-10s %-26s %-11s %-11s %6s %6s %6s  %s", pt, first, disk,
		       img, rst, wb, rb, r1, r2, r3, p->ok ? "yes" : "NO");
	}
	for (size_t i = 0; i < t->n; i++) {
		const struct mb_point *p = &t->point[i];
		char a[32], b[32], c[32];

		if (isnan(p->criu_todisk_s))
			continue;
		mb_fmt_secs(p->criu_pause_s, a, sizeof a);
		mb_fmt_secs(p->criu_todisk_s, b, sizeof b);
		mb_fmt_secs(p->criu_restart_s, c, sizeof c);
		mb_say("%s %s%s%s, criu: pause %s, dump %s, restore %s (libmtcp-fast: %.3f s, %.3f s,"
		       " %.3f s)", t->key[i].point, t->key[i].unit, t->key[i].cow ? " " : "",
		       t->key[i].cow ? t->key[i].cow : "", a, b, c, p->pause.med,
		       p->todisk.med, p->restart.med);
	}
	mb_say("p/w: pause / write+fsync; d/w: to disk / write+fsync; r/r: restart / read-back"
	       " (medians)");
}
