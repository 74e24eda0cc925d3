/* SPDX-License-Identifier: MIT */
/*
 * mode_incremental.c: `mtcp-bench memory --incremental PCT,...` (issue 11,
 * incremental images). Per point (the percentage of pages rewritten
 * between checkpoints) and side of --cow, each run starts bench_prog
 * random M under mtcp_launch (MTCP_VERBOSE=1, MTCP_FULL_EVERY=N+1, one
 * directory of its own, --keep 2), takes a full checkpoint, then N
 * incremental ones, each after `rewrite PCT`, then one more (full: the
 * same memory in one image); later it restarts from the last increment
 * (its chain), from that full image and from the chain flattened by
 * mtcp_restart --flatten, the cache dropped each time. Then
 * the scan rows: --scan-mb M MiB, 1% rewritten as random pages and as one
 * window, the library's scan figure. What is measured: incr.h; the
 * library's lines: incrout.h.
 */
#include "modes.h"

#include "baseline.h"
#include "bprog.h"
#include "cow.h"
#include "ctx.h"
#include "incr.h"
#include "incrout.h"
#include "log.h"
#include "proc.h"
#include "runplan.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* a run's cost besides its MiB (start, tools, fsyncs), in MiB-equivalents */
#define RUN_OVERHEAD_MIB 64.0
/* how long the library may take to print its lines after mtcp_checkpoint returned */
#define LINES_WAIT 10.0

static struct mb_incr_results res;

/* one checkpoint of it */
struct ckpt {
	char img[PATH_MAX];
	double pause_s, reported_s, todisk_s;
	long long image_bytes;
	struct mb_incr_ckpt lib; /* the library's lines (lib.type MB_IC_NONE: none) */
};

static const char *side_text(enum mb_side s)
{
	return mb_side_name(s) ? mb_side_name(s) : "-";
}

static double ms(double v)
{
	return v < 0 ? NAN : v / 1e3;
}

/* bench_prog random MIB under mtcp_launch in c->work/NAME; "ready" read */
static int prog_start(struct mb_ctx *c, struct bprog_own *p, const char *name, enum mb_side side,
		      long mib, unsigned chain, long long *data_bytes)
{
	char full_every[40], mibs[24];
	char *work[] = { "random", mibs, NULL };
	const char *force[3];
	size_t nforce = 0;

	/* chain images (a full one and its increments), then a full image again
	 * (issue 11's policy: a full image every MTCP_FULL_EVERY) */
	snprintf(full_every, sizeof full_every, "MTCP_FULL_EVERY=%u", chain);
	if (mb_side_cow_var(side))
		force[nforce++] = mb_side_cow_var(side);
	force[nforce++] = "MTCP_VERBOSE=1";
	force[nforce++] = full_every;
	snprintf(mibs, sizeof mibs, "%ld", mib);
	return bprog_own_start(c, p, name, force, nforce, work, data_bytes);
}

/*
 * One checkpoint: reset the meter, mtcp_checkpoint --wait (timed), the
 * longest stall, then the library's lines about this image.
 */
static int prog_ckpt(struct mb_ctx *c, struct bprog_own *p, struct ckpt *k)
{
	static char said[32768];
	char line[512];
	long long mark;
	double t0;
	int rc;

	memset(k, 0, sizeof *k);
	k->pause_s = k->reported_s = k->todisk_s = NAN;
	k->image_bytes = -1;
	if ((rc = bprog_ask(c, &p->ch, "reset", "reset", BPROG_ANSWER_TIMEOUT, line, sizeof line)))
		return rc == -EBADMSG ? -EIO : rc;
	mark = proc_errlog_size();
	if ((rc = bprog_ckpt_wait(c, p->pid, &k->todisk_s, &k->reported_s, k->img, sizeof k->img,
				  &k->image_bytes)))
		return rc;
	if ((rc = bprog_ask(c, &p->ch, "report", "stall", BPROG_ANSWER_TIMEOUT, line, sizeof line)))
		return rc == -EBADMSG ? -EIO : rc;
	k->pause_s = bprog_stall_secs(line);
	/* the library prints its lines once the image is durable, about when it answers */
	for (t0 = mb_now();; proc_nap(0.02)) {
		proc_errlog_since(mark, said, sizeof said);
		if (!mb_incr_parse(said, k->img, &k->lib) || k->lib.not_used[0] ||
		    mb_now() - t0 > LINES_WAIT || proc_signal())
			break;
	}
	if (proc_signal())
		return -EINTR;
	if (k->lib.not_used[0]) {
		mb_err("%s: the library says: incremental images not used: %s", c->where,
		       k->lib.not_used);
		return -EIO;
	}
	if (k->lib.type == MB_IC_NONE || k->lib.way == MB_IC_WAY_NONE)
		mb_fail_check(c, "%s: no MTCP_VERBOSE line of the library about %s within %.0f s",
			      c->where, k->img, LINES_WAIT);
	return 0;
}

/* the median of v[0..n) (NAN values left out); sizes: -1 for none */
static double med(const double *v, size_t n)
{
	struct mb_stat s;

	mb_stat_of(v, n, &s);
	return s.med;
}

static long long med_size(const double *v, size_t n)
{
	double m = med(v, n);

	return isnan(m) ? -1 : llround(m);
}

/* the first checkpoint's figures into r; it must be full */
static void take_full(struct mb_ctx *c, const struct ckpt *k, struct mb_incr_run *r)
{
	r->full_pause_s = k->pause_s;
	r->full_todisk_s = k->todisk_s;
	r->full_image_bytes = k->image_bytes;
	r->protect_s = ms(k->lib.protect_ms);
	r->protected_bytes = k->lib.new_mib < 0 ? -1 : k->lib.new_mib << 20;
	if (k->lib.type == MB_IC_INCR) {
		mb_fail_check(c, "%s: the first checkpoint was incremental", c->where);
		r->ok = 0;
	}
}

/* the samples of the increments of one run */
struct samples {
	size_t n;
	double pause[MB_INCREMENTS_MAX + 2], rep[MB_INCREMENTS_MAX + 2], disk[MB_INCREMENTS_MAX + 2],
		scan[MB_INCREMENTS_MAX + 2], image[MB_INCREMENTS_MAX + 2],
		rewr[MB_INCREMENTS_MAX + 2], tracked[MB_INCREMENTS_MAX + 2],
		written[MB_INCREMENTS_MAX + 2], inherited[MB_INCREMENTS_MAX + 2];
};

static double sz(long long v, long long unit)
{
	return v < 0 ? NAN : (double)v * (double)unit;
}

static void add_sample(struct samples *s, const struct ckpt *k, long long rewritten)
{
	size_t i = s->n++;

	s->pause[i] = k->pause_s;
	s->rep[i] = k->reported_s;
	s->disk[i] = k->todisk_s;
	s->scan[i] = ms(k->lib.scan_ms);
	s->image[i] = sz(k->image_bytes, 1);
	s->rewr[i] = sz(rewritten, 1);
	s->tracked[i] = sz(k->lib.tracked_mib, 1 << 20);
	s->written[i] = sz(k->lib.written_kib, 1024);
	s->inherited[i] = sz(k->lib.inherited_kib, 1024);
}

static void fill_run(const struct samples *s, struct mb_incr_run *r)
{
	r->increments = (long long)s->n;
	if (!s->n)
		return;
	r->pause_s = med(s->pause, s->n);
	r->reported_pause_s = med(s->rep, s->n);
	r->todisk_s = med(s->disk, s->n);
	r->scan_s = med(s->scan, s->n);
	r->image_bytes = med_size(s->image, s->n);
	r->rewritten_bytes = med_size(s->rewr, s->n);
	r->tracked_bytes = med_size(s->tracked, s->n);
	r->written_bytes = med_size(s->written, s->n);
	r->inherited_bytes = med_size(s->inherited, s->n);
}

/* a side's images of one run, for its restarts */
struct chain {
	char dir[PATH_MAX];
	char last[PATH_MAX]; /* the last increment ("": none) */
	char full[PATH_MAX]; /* the full image after it ("": none) */
};

/*
 * The first half of a unit: the chain of one side. A full checkpoint, the
 * increments, one more checkpoint for the full image; the images stay in
 * ch->dir for the restarts.
 */
static int chain_unit(struct mb_ctx *c, double pct, enum mb_side side, unsigned run,
		      struct mb_incr_run *r, struct chain *ch)
{
	static struct samples s;
	char name[64];
	struct bprog_own p;
	struct ckpt k;
	int rc, last_incr = 0;

	memset(ch, 0, sizeof *ch);
	snprintf(name, sizeof name, "incr-%g-%s-%u", pct, side_text(side), run);
	rc = prog_start(c, &p, name, side, c->o->size_mb, c->o->increments + 1, &r->data_bytes);
	snprintf(ch->dir, sizeof ch->dir, "%s", p.dir);
	if (rc || (rc = prog_ckpt(c, &p, &k)))
		goto out;
	take_full(c, &k, r);
	memset(&s, 0, sizeof s);
	r->policy_fulls = 0;
	for (unsigned i = 0; i < c->o->increments; i++) {
		long long bytes;

		if ((rc = bprog_rewrite(c, &p.ch, pct, 0, &bytes)) || (rc = prog_ckpt(c, &p, &k)))
			goto out;
		last_incr = k.lib.type == MB_IC_INCR;
		if (last_incr) {
			add_sample(&s, &k, bytes);
			r->depth = k.lib.depth;
			snprintf(ch->last, sizeof ch->last, "%s", k.img);
		} else { /* a new chain: the older increment may go with --keep 2 */
			r->policy_fulls++;
			r->depth = -1;
			ch->last[0] = 0;
		}
	}
	fill_run(&s, r);
	if (last_incr) { /* the same memory, one full image */
		if ((rc = prog_ckpt(c, &p, &k)))
			goto out;
		if (k.lib.type == MB_IC_FULL)
			snprintf(ch->full, sizeof ch->full, "%s", k.img);
		else
			mb_say("  note: %s: the checkpoint after the last increment was not full (depth"
			       " %u): the chain's restart is compared with its flattened image only",
			       c->where, k.lib.depth);
	}
out:
	{
		int end = bprog_own_end(c, &p, rc != 0, &r->ok);

		return rc ? rc : end;
	}
}

/*
 * One timed restart, every image of dir out of the page cache first; a
 * restart that fails is a failed check, not the end of the benchmark.
 */
static int restart_one(struct mb_ctx *c, const char *dir, const char *img, const char *what,
		       double *secs, int *ok)
{
	int rc;

	if ((rc = mb_drop_dir(c, dir)))
		return rc;
	rc = bprog_restart_timed(c, img, secs, ok);
	if (rc == -EIO) {
		*secs = NAN;
		*ok = 0;
		mb_fail_check(c, "%s: the restart from %s (%s) failed", c->where, what, img);
		return 0;
	}
	return rc;
}

/*
 * mtcp_restart --flatten LAST DIR/flat.mtcp, timed (the chain's files
 * dropped from the page cache first); a failure is a failed check. The
 * output's path in out ("" if none).
 */
static int flatten(struct mb_ctx *c, const struct chain *ch, double *secs, int *ok, char *out,
		   size_t n)
{
	char *argv[] = { c->tools.path[T_RESTART], "--flatten", (char *)ch->last, out, NULL };
	char text[256], tail[512];
	int rc, st;

	if (snprintf(out, n, "%s/flat.mtcp", ch->dir) >= (int)n) {
		*out = 0;
		return 0;
	}
	if ((rc = mb_drop_dir(c, ch->dir)))
		return rc;
	rc = proc_capture(argv, BPROG_TIMEOUT, text, sizeof text, &st, secs);
	if (rc == -EINTR)
		return rc;
	if (rc || proc_code(st)) {
		proc_errtail(tail, sizeof tail);
		mb_fail_check(c, "%s: mtcp_restart --flatten %s failed (stderr: %s)", c->where,
			      ch->last, tail);
		*secs = NAN;
		*ok = 0;
		*out = 0;
	}
	return 0;
}

/* the second half of a unit: the restarts, in the run's order, then the images go */
static int restart_unit(struct mb_ctx *c, const struct chain *ch, unsigned run,
			struct mb_incr_run *r)
{
	char flat[PATH_MAX] = "";
	int rc = 0;

	if (ch->last[0])
		rc = flatten(c, ch, &r->flatten_s, &r->ok, flat, sizeof flat);
	/* odd runs: the chain, the full image, the flattened one; even runs the other way */
	for (int i = 0; i < 3 && !rc && ch->last[0]; i++) {
		int which = run % 2 ? i : 2 - i;

		if (which == 0)
			rc = restart_one(c, ch->dir, ch->last, "the last increment", &r->restart_s,
					 &r->ok);
		else if (which == 1 && ch->full[0])
			rc = restart_one(c, ch->dir, ch->full, "the full image", &r->restart_full_s,
					 &r->ok);
		else if (flat[0])
			rc = restart_one(c, ch->dir, flat, "the flattened chain", &r->restart_flat_s,
					 &r->ok);
	}
	if (ch->dir[0])
		mb_rm_tree(ch->dir);
	return rc;
}

/* "incremental 1% [cow] run 2/5" in c->where */
static void set_where(struct mb_ctx *c, const char *what, enum mb_side s, unsigned run)
{
	snprintf(c->where, sizeof c->where, "%s [%s] run %u/%u", what, side_text(s), run,
		 c->o->runs);
}

static void run_line(struct mb_ctx *c, const char *what, unsigned idx, unsigned count,
		     enum mb_side s, const struct mb_incr_run *r)
{
	char a[32], b[32], d[32], e[32], f[32], g[32], h[32], img[32], rw[32], left[64];
	char rst[160] = "";

	mb_fmt_secs(r->full_pause_s, a, sizeof a);
	mb_fmt_secs(r->protect_s, b, sizeof b);
	mb_fmt_bytes(r->image_bytes, img, sizeof img);
	mb_fmt_bytes(r->rewritten_bytes, rw, sizeof rw);
	mb_fmt_secs(r->pause_s, d, sizeof d);
	mb_fmt_secs(r->reported_pause_s, e, sizeof e);
	mb_fmt_secs(r->scan_s, f, sizeof f);
	mb_fmt_secs(r->todisk_s, g, sizeof g);
	if (!isnan(r->restart_s) || !isnan(r->restart_full_s)) {
		mb_fmt_secs(r->restart_s, h, sizeof h);
		mb_fmt_secs(r->restart_full_s, b, sizeof b);
		snprintf(rst, sizeof rst, "; restart depth %lld %s, full %s", r->depth, h, b);
		if (!isnan(r->restart_flat_s)) {
			size_t at = strlen(rst);

			mb_fmt_secs(r->restart_flat_s, h, sizeof h);
			mb_fmt_secs(r->flatten_s, b, sizeof b);
			snprintf(rst + at, sizeof rst - at, ", flattened %s (flatten %s)", h, b);
		}
		mb_fmt_secs(r->protect_s, b, sizeof b);
	}
	mb_progress_left(&c->progress, left, sizeof left);
	mb_say("%s [%s] [point %u/%u] run %u/%u (%s): full pause %s (protect %s); %lld"
	       " increment(s): image %s (rewritten %s), pause %s (paused %s), scan %s, durable"
	       " %s%s%s; %s", what, side_text(s), idx, count, r->run, c->o->runs, r->order, a, b,
	       r->increments, img, rw, d, e, f, g, rst, r->ok ? "" : "; CHECK FAILED", left);
}

/* the first full checkpoints of every run, per side, pooled over the points */
static double full_pause[MB_SIDES_MAX][MB_STAT_MAX], full_protect[MB_SIDES_MAX][MB_STAT_MAX];
static size_t nfull[MB_SIDES_MAX];

static double point_units(const struct mb_opts *o, double pct)
{
	/* the first full image, the increments (rewrite, checksum, image), the full one, the
	 * flatten and the three restarts */
	return (double)o->size_mb * (6.0 + o->increments * (pct / 50.0 + 0.3)) + RUN_OVERHEAD_MIB;
}

static int run_point(struct mb_ctx *c, size_t i)
{
	const struct mb_opts *o = c->o;
	double pct = o->incr_pct[i];
	struct mb_incr_run *runs[MB_SIDES_MAX] = { NULL };
	struct chain chains[MB_SIDES_MAX];
	const char *names[MB_SIDES_MAX];
	char what[64];
	int rc = 0;

	snprintf(what, sizeof what, "incremental %g%%", pct);
	for (size_t s = 0; s < res.nsides; s++) {
		names[s] = mb_side_label(res.side[s]);
		if (!(runs[s] = calloc(o->runs, sizeof *runs[s]))) {
			mb_err("%s: out of memory", what);
			rc = -ENOMEM;
			goto out;
		}
	}
	for (unsigned run = 1; run <= o->runs && !rc; run++) {
		int order[MB_SIDES_MAX + 1];
		char text[48];
		size_t k = mb_plan(run, res.nsides, 0, order);

		mb_plan_text(order, k, names, "", text, sizeof text);
		for (size_t s = 0; s < res.nsides; s++) {
			mb_incr_run_init(&runs[s][run - 1], run);
			snprintf(runs[s][run - 1].order, sizeof runs[s][run - 1].order, "%s", text);
		}
		memset(chains, 0, sizeof chains);
		for (size_t u = 0; u < k && !rc; u++) {
			int s = order[u];

			set_where(c, what, res.side[s], run);
			rc = chain_unit(c, pct, res.side[s], run, &runs[s][run - 1], &chains[s]);
		}
		for (size_t u = 0; u < k && !rc; u++) {
			int s = order[u];

			set_where(c, what, res.side[s], run);
			rc = restart_unit(c, &chains[s], run, &runs[s][run - 1]);
		}
		for (size_t s = 0; s < res.nsides; s++)
			if (chains[s].dir[0])
				mb_rm_tree(chains[s].dir);
		if (rc)
			break;
		mb_progress_add(&c->progress, point_units(o, pct) * (double)res.nsides);
		for (size_t s = 0; s < res.nsides; s++) {
			struct mb_incr_key key = { MB_INCR_RANDOM, pct, res.side[s] };
			const struct mb_incr_run *r = &runs[s][run - 1];

			if (mb_incr_csv_run(c->runs_csv, &key, r)) {
				mb_err("cannot write %s", c->runs_path);
				rc = -EIO;
				break;
			}
			fflush(c->runs_csv);
			run_line(c, what, (unsigned)i + 1, (unsigned)o->nincr, res.side[s], r);
			if (nfull[s] < MB_STAT_MAX) {
				full_pause[s][nfull[s]] = r->full_pause_s;
				full_protect[s][nfull[s]++] = r->protect_s;
			}
			if (r->protected_bytes > res.protected_bytes[s])
				res.protected_bytes[s] = r->protected_bytes;
		}
	}
	if (rc)
		goto out;
	for (size_t s = 0; s < res.nsides; s++) {
		struct mb_incr_key key = { MB_INCR_RANDOM, pct, res.side[s] };

		mb_incr_point_of(runs[s], o->runs, &res.p[i][s]);
		if (mb_incr_csv_point(c->csv, &key, &res.p[i][s])) {
			mb_err("cannot write %s", c->csv_path);
			rc = -EIO;
			goto out;
		}
		fflush(c->csv);
	}
	res.done[i] = 1;
out:
	for (size_t s = 0; s < res.nsides; s++)
		free(runs[s]);
	return rc;
}

/* the scan rows: one program per run, a full checkpoint, then 1% random and 1% window */
static int run_scan(struct mb_ctx *c)
{
	const struct mb_opts *o = c->o;
	enum mb_side side = res.scan_side;
	struct mb_incr_run *runs[2] = { NULL };
	int rc = 0;

	for (int k = 0; k < 2; k++)
		if (!(runs[k] = calloc(o->runs, sizeof *runs[k]))) {
			mb_err("scan: out of memory");
			rc = -ENOMEM;
			goto out;
		}
	for (unsigned run = 1; run <= o->runs && !rc; run++) {
		char name[64], label[64];
		struct bprog_own p;
		struct ckpt k;
		int first = run % 2 ? 0 : 1; /* odd runs: random pages first */

		snprintf(name, sizeof name, "scan-%s-%u", side_text(side), run);
		snprintf(label, sizeof label, "scan %ld MiB 1%%", o->scan_mb);
		set_where(c, label, side, run);
		for (int w = 0; w < 2; w++) {
			mb_incr_run_init(&runs[w][run - 1], run);
			runs[w][run - 1].policy_fulls = 0;
			snprintf(runs[w][run - 1].order, sizeof runs[w][run - 1].order, "%s",
				 first ? "window-random" : "random-window");
		}
		/* a full image and two increments, whatever --increments says */
		rc = prog_start(c, &p, name, side, o->scan_mb, 3, &runs[0][run - 1].data_bytes);
		runs[1][run - 1].data_bytes = runs[0][run - 1].data_bytes;
		if (!rc && !(rc = prog_ckpt(c, &p, &k))) {
			take_full(c, &k, &runs[0][run - 1]);
			take_full(c, &k, &runs[1][run - 1]);
		}
		for (int j = 0; j < 2 && !rc; j++) {
			int w = j ^ first;
			struct mb_incr_run *r = &runs[w][run - 1];
			struct samples *s = calloc(1, sizeof *s);
			long long bytes;

			if (!s) {
				rc = -ENOMEM;
				break;
			}
			if (!(rc = bprog_rewrite(c, &p.ch, MB_INCR_SCAN_PCT, w, &bytes)) &&
			    !(rc = prog_ckpt(c, &p, &k))) {
				if (k.lib.type == MB_IC_INCR) {
					add_sample(s, &k, bytes);
					r->depth = k.lib.depth;
				} else {
					r->policy_fulls = 1;
				}
				fill_run(s, r);
			}
			free(s);
		}
		{
			int ok = 1, end = bprog_own_end(c, &p, rc != 0, &ok);

			rc = rc ? rc : end;
			runs[0][run - 1].ok &= ok;
			runs[1][run - 1].ok &= ok;
		}
		mb_rm_tree(p.dir);
		if (rc)
			break;
		mb_progress_add(&c->progress, (double)o->scan_mb * 2.0 + RUN_OVERHEAD_MIB);
		for (int w = 0; w < 2; w++) {
			struct mb_incr_key key = { w ? MB_INCR_WINDOW : MB_INCR_SCAN, MB_INCR_SCAN_PCT,
						   side };
			char a[32], b[32], d[32], left[64];
			const struct mb_incr_run *r = &runs[w][run - 1];

			if (mb_incr_csv_run(c->runs_csv, &key, r)) {
				mb_err("cannot write %s", c->runs_path);
				rc = -EIO;
				break;
			}
			fflush(c->runs_csv);
			mb_fmt_secs(r->scan_s, a, sizeof a);
			mb_fmt_bytes(r->written_bytes, b, sizeof b);
			mb_fmt_secs(r->protect_s, d, sizeof d);
			mb_progress_left(&c->progress, left, sizeof left);
			mb_say("%s, %s [%s] run %u/%u (%s): scan %s (written %s; first protection %s)%s;"
			       " %s", label, w ? "one window" : "random pages", side_text(side), run,
			       o->runs, r->order, a, b, d, r->ok ? "" : "; CHECK FAILED", left);
		}
	}
	if (rc)
		goto out;
	for (int w = 0; w < 2; w++) {
		struct mb_incr_key key = { w ? MB_INCR_WINDOW : MB_INCR_SCAN, MB_INCR_SCAN_PCT, side };

		mb_incr_point_of(runs[w], o->runs, &res.scan[w]);
		if (mb_incr_csv_point(c->csv, &key, &res.scan[w])) {
			mb_err("cannot write %s", c->csv_path);
			rc = -EIO;
			goto out;
		}
		fflush(c->csv);
	}
	res.scan_done = 1;
out:
	for (int k = 0; k < 2; k++)
		free(runs[k]);
	return rc;
}

static void say_plan(struct mb_ctx *c)
{
	const struct mb_opts *o = c->o;
	char pts[128];

	mb_fmt_pcts(o->incr_pct, o->nincr, pts, sizeof pts);
	mb_say("memory --incremental: %s of the pages of %ld MiB of random bytes rewritten (random"
	       " whole pages, new random bytes) before each of %u increment(s) after a full"
	       " image; %u run(s) each", pts, o->size_mb, o->increments, o->runs);
	mb_say("each program: mtcp_launch --keep 2, MTCP_VERBOSE=1, MTCP_FULL_EVERY=%u (a chain of"
	       " %u images, then a full one of the same memory); mtcp_restart --flatten of the"
	       " chain, then restarts (cache dropped) from the last increment, that full image and"
	       " the flattened chain, the order alternating run by run",
	       o->increments + 1, o->increments + 1);
	if (res.nsides == 2)
		mb_say("sides (--cow both): stw (MTCP_COW=0) and cow (MTCP_COW=1); odd runs stw"
		       " first");
	if (o->scan_mb)
		mb_say("then the scan: %ld MiB, 1%% rewritten as random pages and as one window, after"
		       " a full image (side %s)", o->scan_mb, side_text(res.scan_side));
	if (getenv("MTCP_FULL_EVERY") || getenv("MTCP_COW") || getenv("MTCP_VERBOSE"))
		mb_say("note: MTCP_FULL_EVERY, MTCP_COW and MTCP_VERBOSE of the environment are"
		       " replaced");
}

int mb_mode_incremental(struct mb_ctx *c)
{
	const struct mb_opts *o = c->o;
	double total = 0;
	int rc = 0;

	memset(&res, 0, sizeof res);
	memset(nfull, 0, sizeof nfull);
	res.nsides = mb_sides(o->cow, 0, res.side);
	res.scan_side = res.side[0];
	res.npts = o->nincr;
	memcpy(res.pct, o->incr_pct, sizeof res.pct);
	for (size_t i = 0; i < o->nincr; i++)
		total += point_units(o, o->incr_pct[i]) * (double)res.nsides * o->runs;
	if (o->scan_mb)
		total += ((double)o->scan_mb * 2.0 + RUN_OVERHEAD_MIB) * o->runs;
	mb_progress_init(&c->progress, total);
	say_plan(c);
	for (size_t i = 0; i < o->nincr && !rc; i++)
		rc = run_point(c, i);
	if (!rc && o->scan_mb)
		rc = run_scan(c);
	for (size_t s = 0; s < res.nsides; s++) {
		mb_stat_of(full_pause[s], nfull[s], &res.full_pause[s]);
		mb_stat_of(full_protect[s], nfull[s], &res.protect[s]);
	}
	if (rc)
		return rc;
	mb_incr_table_print(&res, o);
	return 0;
}
