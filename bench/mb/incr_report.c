/* SPDX-License-Identifier: MIT */
/*
 * incr_report.c: memory --incremental's points, CSV rows and table
 * (incr.h; the columns: bench/mb/README.md).
 */
#include "incr.h"

#include "csv.h"
#include "log.h"
#include "targets.h"

#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#define KIB 1024.0
#define MIB 1048576.0
#define IMAGE_SLACK (256 * KIB) /* issue 11: increment <= 1.1 x rewritten + 256 KiB */
#define IMAGE_FACTOR 1.1

static const char *const kind_names[MB_INCR_KINDS] = { "random", "scan-random", "scan-window" };

const char *mb_incr_kind_name(enum mb_incr_kind k)
{
	return kind_names[k];
}

const char mb_incr_point_header[] =
	"mode,kind,point,unit,cow,runs,data_bytes,increments,policy_fulls,rewritten_bytes,"
	"image_limit_bytes,image_bytes,image_min_bytes,image_max_bytes,image_ratio,pause_med_s,"
	"pause_min_s,pause_max_s,reported_pause_med_s,todisk_med_s,todisk_min_s,todisk_max_s,"
	"scan_med_s,scan_min_s,scan_max_s,tracked_bytes,written_bytes,inherited_bytes,"
	"full_pause_med_s,full_pause_min_s,full_pause_max_s,full_todisk_med_s,full_image_bytes,"
	"protect_med_s,protect_min_s,protect_max_s,protected_bytes,depth,restart_med_s,"
	"restart_min_s,restart_max_s,restart_full_med_s,restart_full_min_s,restart_full_max_s,"
	"restart_ratio,flatten_med_s,restart_flat_med_s,restart_flat_min_s,restart_flat_max_s,ok";

const char mb_incr_run_header[] =
	"mode,kind,point,unit,cow,run,order,data_bytes,increments,policy_fulls,rewritten_bytes,"
	"image_bytes,pause_s,reported_pause_s,todisk_s,scan_s,tracked_bytes,written_bytes,"
	"inherited_bytes,full_pause_s,full_todisk_s,full_image_bytes,protect_s,protected_bytes,"
	"depth,restart_s,restart_full_s,flatten_s,restart_flat_s,ok";

void mb_incr_run_init(struct mb_incr_run *r, unsigned run)
{
	memset(r, 0, sizeof *r);
	r->run = run;
	r->data_bytes = r->increments = r->policy_fulls = r->rewritten_bytes = r->image_bytes = -1;
	r->tracked_bytes = r->written_bytes = r->inherited_bytes = -1;
	r->full_image_bytes = r->protected_bytes = r->depth = -1;
	r->pause_s = r->reported_pause_s = r->todisk_s = r->scan_s = NAN;
	r->full_pause_s = r->full_todisk_s = r->protect_s = NAN;
	r->restart_s = r->restart_full_s = r->flatten_s = r->restart_flat_s = NAN;
	r->ok = 1;
}

void mb_incr_point_of(const struct mb_incr_run *runs, size_t n, struct mb_incr_point *p)
{
	memset(p, 0, sizeof *p);
	p->runs = (unsigned)n;
	p->data_bytes = n ? runs[n - 1].data_bytes : -1;
	p->increments = MB_STAT_SIZE(runs, n, increments, NULL);
	p->policy_fulls = -1;
	for (size_t i = 0; i < n; i++)
		if (runs[i].policy_fulls > p->policy_fulls)
			p->policy_fulls = runs[i].policy_fulls;
	p->rewritten_bytes = MB_STAT_SIZE(runs, n, rewritten_bytes, NULL);
	p->image_limit_bytes = p->rewritten_bytes < 0 ? -1 :
			       llround(IMAGE_FACTOR * (double)p->rewritten_bytes + IMAGE_SLACK);
	MB_STAT_SIZE(runs, n, image_bytes, &p->image);
	MB_STAT_FIELD(runs, n, pause_s, &p->pause);
	MB_STAT_FIELD(runs, n, reported_pause_s, &p->reported_pause);
	MB_STAT_FIELD(runs, n, todisk_s, &p->todisk);
	MB_STAT_FIELD(runs, n, scan_s, &p->scan);
	p->tracked_bytes = MB_STAT_SIZE(runs, n, tracked_bytes, NULL);
	p->written_bytes = MB_STAT_SIZE(runs, n, written_bytes, NULL);
	p->inherited_bytes = MB_STAT_SIZE(runs, n, inherited_bytes, NULL);
	MB_STAT_FIELD(runs, n, full_pause_s, &p->full_pause);
	MB_STAT_FIELD(runs, n, full_todisk_s, &p->full_todisk);
	MB_STAT_FIELD(runs, n, protect_s, &p->protect);
	p->full_image_bytes = MB_STAT_SIZE(runs, n, full_image_bytes, NULL);
	p->protected_bytes = MB_STAT_SIZE(runs, n, protected_bytes, NULL);
	p->depth = MB_STAT_SIZE(runs, n, depth, NULL);
	MB_STAT_FIELD(runs, n, restart_s, &p->restart);
	MB_STAT_FIELD(runs, n, restart_full_s, &p->restart_full);
	MB_STAT_FIELD(runs, n, flatten_s, &p->flatten);
	MB_STAT_FIELD(runs, n, restart_flat_s, &p->restart_flat);
	p->image_ratio = p->image.n ? mb_ratio(p->image.med, (double)p->rewritten_bytes) : NAN;
	p->restart_ratio = mb_ratio(p->restart.med, p->restart_full.med);
	p->ok = 1;
	for (size_t i = 0; i < n; i++)
		p->ok &= runs[i].ok;
}

static void key(FILE *f, const struct mb_incr_key *k)
{
	char pt[32];

	snprintf(pt, sizeof pt, "%g", k->pct);
	fprintf(f, "incremental,%s,%s,%%,", kind_names[k->kind], pt);
	mb_csv_text(f, mb_side_name(k->side));
}

int mb_incr_csv_run(FILE *f, const struct mb_incr_key *k, const struct mb_incr_run *r)
{
	key(f, k);
	fprintf(f, ",%u,", r->run);
	mb_csv_text(f, r->order);
	mb_csv_next_int(f, r->data_bytes);
	mb_csv_next_int(f, r->increments);
	mb_csv_next_int(f, r->policy_fulls);
	mb_csv_next_int(f, r->rewritten_bytes);
	mb_csv_next_int(f, r->image_bytes);
	mb_csv_next_time(f, r->pause_s);
	mb_csv_next_time(f, r->reported_pause_s);
	mb_csv_next_time(f, r->todisk_s);
	mb_csv_next_time(f, r->scan_s);
	mb_csv_next_int(f, r->tracked_bytes);
	mb_csv_next_int(f, r->written_bytes);
	mb_csv_next_int(f, r->inherited_bytes);
	mb_csv_next_time(f, r->full_pause_s);
	mb_csv_next_time(f, r->full_todisk_s);
	mb_csv_next_int(f, r->full_image_bytes);
	mb_csv_next_time(f, r->protect_s);
	mb_csv_next_int(f, r->protected_bytes);
	mb_csv_next_int(f, r->depth);
	mb_csv_next_time(f, r->restart_s);
	mb_csv_next_time(f, r->restart_full_s);
	mb_csv_next_time(f, r->flatten_s);
	mb_csv_next_time(f, r->restart_flat_s);
	mb_csv_next_int(f, r->ok);
	return mb_csv_end_row(f);
}

int mb_incr_csv_point(FILE *f, const struct mb_incr_key *k, const struct mb_incr_point *p)
{
	key(f, k);
	fprintf(f, ",%u", p->runs);
	mb_csv_next_int(f, p->data_bytes);
	mb_csv_next_int(f, p->increments);
	mb_csv_next_int(f, p->policy_fulls);
	mb_csv_next_int(f, p->rewritten_bytes);
	mb_csv_next_int(f, p->image_limit_bytes);
	mb_csv_next_stat(f, &p->image, mb_csv_next_size);
	mb_csv_next_ratio(f, p->image_ratio);
	mb_csv_next_stat(f, &p->pause, mb_csv_next_time);
	mb_csv_next_time(f, p->reported_pause.med);
	mb_csv_next_stat(f, &p->todisk, mb_csv_next_time);
	mb_csv_next_stat(f, &p->scan, mb_csv_next_time);
	mb_csv_next_int(f, p->tracked_bytes);
	mb_csv_next_int(f, p->written_bytes);
	mb_csv_next_int(f, p->inherited_bytes);
	mb_csv_next_stat(f, &p->full_pause, mb_csv_next_time);
	mb_csv_next_time(f, p->full_todisk.med);
	mb_csv_next_int(f, p->full_image_bytes);
	mb_csv_next_stat(f, &p->protect, mb_csv_next_time);
	mb_csv_next_int(f, p->protected_bytes);
	mb_csv_next_int(f, p->depth);
	mb_csv_next_stat(f, &p->restart, mb_csv_next_time);
	mb_csv_next_stat(f, &p->restart_full, mb_csv_next_time);
	mb_csv_next_ratio(f, p->restart_ratio);
	mb_csv_next_time(f, p->flatten.med);
	mb_csv_next_stat(f, &p->restart_flat, mb_csv_next_time);
	mb_csv_next_int(f, p->ok);
	return mb_csv_end_row(f);
}

/* ---------------------------------------------------------------- the table */

/* "12.3 MiB", "840 KiB" */
static void fmt_size(double b, char *buf, size_t n)
{
	if (isnan(b) || b < 0)
		snprintf(buf, n, "-");
	else if (b >= MIB)
		snprintf(buf, n, "%.2f MiB", b / MIB);
	else
		snprintf(buf, n, "%.0f KiB", b / KIB);
}

/* a time row whose baseline column is text (base), not a figure */
static void trow_text(const char *l, const struct mb_stat *st, const char *base, enum tg_lim k,
		      double lim, const char *ltext, double rep)
{
	char meas[112];

	tg_fmt_stat(st, tg_fmt_t, meas, sizeof meas);
	tg_row(l, meas, base, st->n ? st->med : NAN, NAN, k, lim, ltext, rep);
}

/* "1% [cow]: pause" */
static void label(char *buf, size_t n, double pct, enum mb_side s, const char *what)
{
	const char *name = mb_side_name(s);

	snprintf(buf, n, "%g%%%s%s%s: %s", pct, name ? " [" : "", name ? name : "", name ? "]" : "",
		 what);
}

/* the pause limit at 1% for side s (seconds) */
static double pause_limit(enum mb_side s)
{
	return mb_side_is_cow(s) ? 0.020 : 0.060;
}

static void point_rows(const struct mb_incr_point *p, double pct, enum mb_side s,
		       unsigned increments)
{
	int judged = pct == MB_INCR_SCAN_PCT; /* the limits are for 1% */
	char l[128], meas[112], base[64], lim[48], a[32];

	label(l, sizeof l, pct, s, "image");
	tg_fmt_stat(&p->image, fmt_size, meas, sizeof meas);
	fmt_size((double)p->rewritten_bytes, a, sizeof a);
	snprintf(base, sizeof base, "rewritten %s", a);
	fmt_size((double)p->image_limit_bytes, a, sizeof a);
	snprintf(lim, sizeof lim, "<= %s", a);
	tg_row(l, meas, base, p->image.n ? p->image.med : NAN,
	       p->rewritten_bytes > 0 ? (double)p->rewritten_bytes : NAN, TG_L_LE,
	       (double)p->image_limit_bytes, lim, NAN);
	label(l, sizeof l, pct, s, "pause");
	snprintf(lim, sizeof lim, "<= %.0f ms", pause_limit(s) * 1e3);
	tg_trow(l, &p->pause, "", NAN, judged ? TG_L_LE : TG_L_INFO, pause_limit(s),
		judged ? lim : "-", p->reported_pause.med);
	label(l, sizeof l, pct, s, "scan (library)");
	fmt_size((double)p->tracked_bytes, a, sizeof a);
	snprintf(base, sizeof base, "%s tracked", a);
	trow_text(l, &p->scan, base, TG_L_INFO, 0, "-", NAN);
	label(l, sizeof l, pct, s, "durable");
	tg_trow(l, &p->todisk, "", NAN, TG_L_INFO, 0, "-", NAN);
	if (p->restart.n || p->restart_full.n) {
		char what[48];

		snprintf(what, sizeof what, "restart, depth %lld", p->depth);
		label(l, sizeof l, pct, s, what);
		/* the limit: the 8th image of a chain (depth 7), at 1% */
		judged = judged && p->depth == (long long)increments;
		tg_trow(l, &p->restart, "full image", p->restart_full.med,
			judged ? TG_L_REL : TG_L_INFO, 1.30, judged ? "<= 1.30 x full" : "-", NAN);
		if (p->restart_flat.n) {
			snprintf(what, sizeof what, "restart, depth %lld", p->depth);
			label(l, sizeof l, pct, s, what);
			tg_trow(l, &p->restart, "flattened", p->restart_flat.med, TG_L_INFO, 0, "-",
				NAN);
		}
		if (p->flatten.n) {
			label(l, sizeof l, pct, s, "mtcp_restart --flatten");
			trow_text(l, &p->flatten, "the chain, offline", TG_L_INFO, 0, "-", NAN);
		}
	}
	if (p->policy_fulls > 0)
		mb_say("  note: %g%% [%s]: %lld checkpoint(s) meant as increments came out full (the"
		       " chain's images passed twice the resident memory): not counted above",
		       pct, mb_side_name(s) ? mb_side_name(s) : "-", p->policy_fulls);
}

void mb_incr_table_print(const struct mb_incr_results *t, const struct mb_opts *o)
{
	char l[128], base[64], a[32];

	tg_head();
	for (size_t i = 0; i < t->npts; i++)
		for (size_t s = 0; t->done[i] && s < t->nsides; s++)
			point_rows(&t->p[i][s], t->pct[i], t->side[s], o->increments);
	mb_say(" ");
	mb_say("the first checkpoint of every run: full, it starts the tracking (its first"
	       " protection is in its pause)");
	for (size_t s = 0; s < t->nsides; s++) {
		const char *name = mb_side_name(t->side[s]);
		int cow = mb_side_is_cow(t->side[s]);
		double gib = (double)t->protected_bytes[s] / (1024 * MIB);

		snprintf(l, sizeof l, "full [%s]: pause", name ? name : "-");
		tg_fmt_t(t->protect[s].med, a, sizeof a);
		snprintf(base, sizeof base, "of which protect %s", a);
		/* issue 10's copy-on-write limit, now with the first protection in it */
		trow_text(l, &t->full_pause[s], base, cow ? TG_L_LE : TG_L_INFO, 0.060,
			  cow ? "<= 60 ms (issue 10)" : "-", NAN);
		snprintf(l, sizeof l, "full [%s]: first protection", name ? name : "-");
		fmt_size((double)t->protected_bytes[s], a, sizeof a);
		if (gib > 0 && t->protect[s].n)
			snprintf(base, sizeof base, "%s: %.1f ms per GiB", a,
				 t->protect[s].med * 1e3 / gib);
		else
			snprintf(base, sizeof base, "%s", a);
		trow_text(l, &t->protect[s], base, TG_L_INFO, 0, "-", NAN);
	}
	if (t->scan_done) {
		static const char *const what[] = { "random pages", "one window" };
		const char *name = mb_side_name(t->scan_side);

		mb_say(" ");
		mb_say("the scan and re-protect of %ld MiB tracked, 1%% written (the library's 'scan'"
		       " figure; one PAGEMAP_SCAN per range)", o->scan_mb);
		for (int k = 0; k < 2; k++) {
			const struct mb_incr_point *p = &t->scan[k];

			snprintf(l, sizeof l, "scan %ld MiB, %s [%s]", o->scan_mb, what[k],
				 name ? name : "-");
			fmt_size((double)p->written_bytes, a, sizeof a);
			snprintf(base, sizeof base, "written %s", a);
			trow_text(l, &p->scan, base, TG_L_LE, 0.015, "<= 15 ms", NAN);
		}
		snprintf(l, sizeof l, "scan %ld MiB: first protection", o->scan_mb);
		fmt_size((double)t->scan[0].protected_bytes, a, sizeof a);
		snprintf(base, sizeof base, "%s", a);
		trow_text(l, &t->scan[0].protect, base, TG_L_INFO, 0, "-", NAN);
		snprintf(l, sizeof l, "scan %ld MiB: full pause [%s]", o->scan_mb, name ? name : "-");
		trow_text(l, &t->scan[0].full_pause, "", TG_L_INFO, 0, "-", NAN);
	}
	mb_say(" ");
	mb_say("image: the increment's file against the bytes rewritten before it (limit 1.1 x"
	       " rewritten + 256 KiB); pause: the stall meter's longest gap; paused (tool): what"
	       " mtcp_checkpoint --wait printed; scan: the library's own (MTCP_VERBOSE=1); restart:"
	       " cache dropped, until the program answers, from the last increment (its whole"
	       " chain) against the full image of the same memory taken right after it (and, info,"
	       " the chain flattened by mtcp_restart --flatten)");
	mb_say("medians over the runs of each run's median over its %u increment(s); the pause"
	       " and restart limits are the issue's at 1%% (other points: info)", o->increments);
	if (o->size_mb != MB_INCR_SIZE || (o->scan_mb && o->scan_mb != MB_INCR_SCAN_MB) ||
	    o->increments != MB_INCREMENTS)
		mb_say("note: not the issue's sizes (--size-mb 1024, --scan-mb 4096, --increments 7);"
		       " the limits are the issue's, for its sizes");
}
