/* SPDX-License-Identifier: MIT */
/*
 * term_report.c: memory --on-term's rows, CSV files and table (term.h; the
 * columns: bench/mb/README.md).
 */
#include "term.h"

#include "csv.h"
#include "log.h"
#include "targets.h"
#include "termout.h"

#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#define MIB 1048576.0

const char mb_term_point_header[] =
	"mode,kind,image,rewrite_pct,cow,runs,data_bytes,rewritten_bytes,image_bytes,"
	"image_min_bytes,image_max_bytes,depth,term_med_s,term_min_s,term_max_s,paused_med_s,"
	"paused_min_s,paused_max_s,prior_todisk_med_s,restart_med_s,restart_min_s,restart_max_s,"
	"base_bytes,write_base_med_s,write_base_min_s,write_base_max_s,term_ratio,grace_s,"
	"grace_share,fit_gib,disk_fit_gib,ok";

const char mb_term_run_header[] =
	"mode,kind,image,rewrite_pct,cow,run,order,data_bytes,rewritten_bytes,prior_todisk_s,"
	"prior_image_bytes,term_s,paused_s,image_bytes,depth,exit_status,restart_s,base_bytes,"
	"write_base_s,ok";

void mb_term_run_init(struct mb_term_run *r, unsigned run)
{
	memset(r, 0, sizeof *r);
	r->run = run;
	r->data_bytes = r->rewritten_bytes = r->prior_image_bytes = r->image_bytes = -1;
	r->depth = r->base_bytes = -1;
	r->exit_status = -1;
	r->prior_todisk_s = r->term_s = r->paused_s = r->restart_s = r->write_base_s = NAN;
	r->ok = 1;
}

void mb_term_point_of(const struct mb_term_run *runs, size_t n, double grace,
		      struct mb_term_point *p)
{
	memset(p, 0, sizeof *p);
	p->runs = (unsigned)n;
	p->data_bytes = MB_STAT_SIZE(runs, n, data_bytes, NULL);
	p->rewritten_bytes = MB_STAT_SIZE(runs, n, rewritten_bytes, NULL);
	p->depth = MB_STAT_SIZE(runs, n, depth, NULL);
	p->base_bytes = MB_STAT_SIZE(runs, n, base_bytes, NULL);
	MB_STAT_FIELD(runs, n, term_s, &p->term);
	MB_STAT_FIELD(runs, n, paused_s, &p->paused);
	MB_STAT_SIZE(runs, n, image_bytes, &p->image);
	MB_STAT_FIELD(runs, n, prior_todisk_s, &p->prior_todisk);
	MB_STAT_FIELD(runs, n, restart_s, &p->restart);
	MB_STAT_FIELD(runs, n, write_base_s, &p->write_base);
	p->term_ratio = mb_ratio(p->term.med, p->write_base.med);
	p->grace_s = grace;
	p->grace_share = mb_term_share(p->term.med, grace);
	p->fit_gib = mb_term_fit_gib((double)p->data_bytes, p->term.med, grace);
	p->disk_fit_gib = mb_term_fit_gib((double)p->base_bytes, p->write_base.med, grace);
	p->ok = 1;
	for (size_t i = 0; i < n; i++)
		p->ok &= runs[i].ok;
}

static void key(FILE *f, const struct mb_term_key *k)
{
	fprintf(f, "on-term,%s,%s,", k->kind, k->incremental ? "incremental" : "full");
	if (k->incremental)
		fprintf(f, "%g", k->pct);
	fputc(',', f);
	mb_csv_text(f, mb_side_name(k->side));
}

int mb_term_csv_run(FILE *f, const struct mb_term_key *k, const struct mb_term_run *r)
{
	key(f, k);
	fprintf(f, ",%u,", r->run);
	mb_csv_text(f, r->order);
	mb_csv_next_int(f, r->data_bytes);
	mb_csv_next_int(f, r->rewritten_bytes);
	mb_csv_next_time(f, r->prior_todisk_s);
	mb_csv_next_int(f, r->prior_image_bytes);
	mb_csv_next_time(f, r->term_s);
	mb_csv_next_time(f, r->paused_s);
	mb_csv_next_int(f, r->image_bytes);
	mb_csv_next_int(f, r->depth);
	mb_csv_next_int(f, r->exit_status);
	mb_csv_next_time(f, r->restart_s);
	mb_csv_next_int(f, r->base_bytes);
	mb_csv_next_time(f, r->write_base_s);
	mb_csv_next_int(f, r->ok);
	return mb_csv_end_row(f);
}

int mb_term_csv_point(FILE *f, const struct mb_term_key *k, const struct mb_term_point *p)
{
	key(f, k);
	fprintf(f, ",%u", p->runs);
	mb_csv_next_int(f, p->data_bytes);
	mb_csv_next_int(f, p->rewritten_bytes);
	mb_csv_next_stat(f, &p->image, mb_csv_next_size);
	mb_csv_next_int(f, p->depth);
	mb_csv_next_stat(f, &p->term, mb_csv_next_time);
	mb_csv_next_stat(f, &p->paused, mb_csv_next_time);
	mb_csv_next_time(f, p->prior_todisk.med);
	mb_csv_next_stat(f, &p->restart, mb_csv_next_time);
	mb_csv_next_int(f, p->base_bytes);
	mb_csv_next_stat(f, &p->write_base, mb_csv_next_time);
	mb_csv_next_ratio(f, p->term_ratio);
	mb_csv_next_time(f, p->grace_s);
	mb_csv_next_ratio(f, p->grace_share);
	mb_csv_next_ratio(f, p->fit_gib);
	mb_csv_next_ratio(f, p->disk_fit_gib);
	mb_csv_next_int(f, p->ok);
	return mb_csv_end_row(f);
}

void mb_term_label(const struct mb_term_key *k, char *buf, size_t n)
{
	const char *side = mb_side_name(k->side);
	char what[48];

	if (k->incremental)
		snprintf(what, sizeof what, "%g%% incr", k->pct);
	else
		snprintf(what, sizeof what, "full");
	snprintf(buf, n, "%s %s%s%s%s", k->kind, what, side ? " [" : "", side ? side : "",
		 side ? "]" : "");
}

/* ---------------------------------------------------------------- the table */

/* "1024.0 MiB", "10.44 MiB" */
static void fmt_size(double b, char *buf, size_t n)
{
	if (isnan(b) || b < 0)
		snprintf(buf, n, "-");
	else if (b >= 100 * MIB)
		snprintf(buf, n, "%.1f MiB", b / MIB);
	else
		snprintf(buf, n, "%.2f MiB", b / MIB);
}

static void rows(const struct mb_term_key *k, const struct mb_term_point *p, double grace)
{
	char name[96], l[160], meas[112], base[64], lim[48], a[32];

	mb_term_label(k, name, sizeof name);
	snprintf(l, sizeof l, "%s: SIGTERM", name);
	fmt_size((double)p->base_bytes, a, sizeof a);
	snprintf(base, sizeof base, "write+fsync %s", a);
	snprintf(lim, sizeof lim, "<= %g s (grace)", grace);
	tg_trow(l, &p->term, base, p->write_base.med, TG_L_LE, grace, lim, p->paused.med);
	snprintf(l, sizeof l, "%s: image", name);
	tg_fmt_stat(&p->image, fmt_size, meas, sizeof meas);
	if (k->incremental) {
		fmt_size((double)p->rewritten_bytes, a, sizeof a);
		snprintf(base, sizeof base, "rewritten %s", a);
	} else {
		fmt_size((double)p->data_bytes, a, sizeof a);
		snprintf(base, sizeof base, "data %s", a);
	}
	tg_row(l, meas, base, p->image.n ? p->image.med : NAN,
	       (double)(k->incremental ? p->rewritten_bytes : p->data_bytes), TG_L_INFO, 0, "-",
	       NAN);
	if (k->incremental) {
		snprintf(l, sizeof l, "%s: 1st ckpt", name);
		tg_trow(l, &p->prior_todisk, "", NAN, TG_L_INFO, 0, "-", NAN);
	}
	snprintf(l, sizeof l, "%s: restart", name);
	tg_trow(l, &p->restart, "", NAN, TG_L_INFO, 0, "-", NAN);
}

void mb_term_table_print(const struct mb_term_results *t, const struct mb_opts *o)
{
	const struct mb_term_point *disk = NULL;
	char name[96], a[32], b[32];

	tg_head();
	for (size_t i = 0; i < t->nrows; i++)
		for (size_t s = 0; t->done[i] && s < t->nsides; s++)
			rows(&t->key[i][s], &t->p[i][s], o->grace);
	mb_say(" ");
	mb_say("against the %g s grace period (Slurm's KillWait, Kubernetes'"
	       " terminationGracePeriodSeconds): the median SIGTERM to exit, its share, and the"
	       " resident memory that would take the whole period at the same rate (a linear"
	       " extrapolation from %ld MiB)", o->grace, o->size_mb);
	for (size_t i = 0; i < t->nrows; i++)
		for (size_t s = 0; t->done[i] && s < t->nsides; s++) {
			const struct mb_term_point *p = &t->p[i][s];

			mb_term_label(&t->key[i][s], name, sizeof name);
			tg_fmt_t(p->term.med, a, sizeof a);
			mb_say("  %-24s %10s = %.*f%% of %g s; at this rate about %.1f GiB in %g s",
			       name, a, p->grace_share < 0.01 ? 2 : 1, p->grace_share * 100, o->grace,
			       p->fit_gib, o->grace);
			if (!disk && !t->key[i][s].incremental && !strcmp(t->key[i][s].kind, "random") &&
			    p->write_base.n)
				disk = p;
		}
	if (disk) {
		fmt_size((double)disk->base_bytes, a, sizeof a);
		tg_fmt_t(disk->write_base.med, b, sizeof b);
		mb_say("  the disk here: write()+fsync of %s (the full random image's bytes, same"
		       " runs) took %s, %.0f MiB/s: about %.1f GiB in %g s", a, b,
		       (double)disk->base_bytes / MIB / disk->write_base.med, disk->disk_fit_gib,
		       o->grace);
	}
	mb_say(" ");
	mb_say("SIGTERM: from kill(PID, SIGTERM) until waitpid reaps the program; the library"
	       " passes the signal on once the final image is durable (fsync'ed and renamed), and"
	       " bench_prog's handler then exits at once. paused (tool): the library's \"paused X"
	       " ms\" of that line, median. Baseline: write() + fsync of the image's bytes (rounded"
	       " up to a MiB) to the same directory, in the same run. image: the final image, against"
	       " the program's data (full) or the bytes rewritten (incr). 1st ckpt: the ordinary"
	       " checkpoint before an increment (mtcp_checkpoint --wait; full). restart: after the"
	       " run, as a check: mtcp_restart --verify of the final image (full or an increment, as"
	       " the row says), then a restart from it (cache dropped) until the program answers,"
	       " and every byte checked");
	if (o->size_mb != MB_TERM_SIZE)
		mb_say("note: not the issue's size (--size-mb 1024)");
}
