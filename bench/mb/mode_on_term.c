/* SPDX-License-Identifier: MIT */
/*
 * mode_on_term.c: `mtcp-bench memory --on-term [PCT,...]` (issue 12: "the
 * time from SIGTERM to a durable image for the 1 GiB workloads, against the
 * 30 s grace periods"). Per row (a full image of random bytes, of heap
 * objects; an increment of random bytes per PCT) and side of --cow, each run
 * starts bench_prog under mtcp_launch with MTCP_ON_TERM=1, (increments:
 * takes one checkpoint and rewrites PCT% of the pages,) sends it SIGTERM
 * and times until its exit is reaped: the library takes the final
 * checkpoint, makes it durable, says so on stderr and only then passes the
 * signal on, which bench_prog's handler turns into an exit. The baseline,
 * in the same run: write()+fsync of the image's bytes. Afterwards, not
 * timed against anything: mtcp_restart --verify of the final image (full,
 * or an increment) and a restart from it that checks every byte. What is
 * measured: term.h; the library's line: termout.h.
 */
#include "modes.h"

#include "baseline.h"
#include "bprog.h"
#include "cow.h"
#include "ctx.h"
#include "log.h"
#include "proc.h"
#include "runplan.h"
#include "term.h"
#include "termout.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* a run's cost besides its MiB (start, tools, fsyncs), in MiB-equivalents */
#define RUN_OVERHEAD_MIB 64.0
/* how long the final checkpoint may take before the program is killed */
#define TERM_TIMEOUT (BPROG_TIMEOUT + 60)

static struct mb_term_results res;

/* a side's images of one run, for the check afterwards */
struct unit {
	char dir[PATH_MAX]; /* "": nothing to check */
	char img[PATH_MAX]; /* the final image ("": none) */
};

/*
 * The first half of a side's unit: bench_prog under mtcp_launch with
 * MTCP_ON_TERM=1 (for an increment: one checkpoint, then `rewrite PCT`),
 * then SIGTERM, timed to its exit; the library's line read back.
 */
static int term_unit(struct mb_ctx *c, const struct mb_term_key *k, unsigned run,
		     struct mb_term_run *r, struct unit *u)
{
	static char said[32768];
	char name[96], mibs[24], pct[24], side[8];
	char *work[] = { (char *)k->kind, mibs, NULL };
	const char *force[4];
	size_t nforce = 0;
	struct bprog_own p;
	struct mb_term_line line;
	struct stat sb;
	long long mark;
	double t0, paused;
	int rc, st, end;

	memset(u, 0, sizeof *u);
	snprintf(pct, sizeof pct, "%g", k->pct);
	snprintf(side, sizeof side, "%s", mb_side_label(k->side));
	snprintf(name, sizeof name, "term-%s-%s-%s-%u", k->kind, k->incremental ? pct : "full",
		 side, run);
	snprintf(mibs, sizeof mibs, "%ld", c->o->size_mb);
	if (mb_side_cow_var(k->side))
		force[nforce++] = mb_side_cow_var(k->side);
	force[nforce++] = "MTCP_ON_TERM=1";
	/* the second image of the launch is an increment (the library's default) */
	force[nforce++] = "MTCP_FULL_EVERY=8";
	/* verbose, a copy-on-write writer measures its memory before it reports */
	force[nforce++] = "MTCP_VERBOSE=0";
	rc = bprog_own_start(c, &p, name, force, nforce, work, &r->data_bytes);
	snprintf(u->dir, sizeof u->dir, "%s", p.dir);
	if (!rc && k->incremental &&
	    !(rc = bprog_ckpt_wait(c, p.pid, &r->prior_todisk_s, &paused, u->img, sizeof u->img,
				   &r->prior_image_bytes)))
		rc = bprog_rewrite(c, &p.ch, k->pct, 0, &r->rewritten_bytes);
	u->img[0] = 0;
	if (rc)
		goto out;
	mark = proc_errlog_size();
	t0 = mb_now();
	if (kill(p.pid, SIGTERM)) {
		mb_err("%s: cannot send SIGTERM to %d: %s", c->where, (int)p.pid, strerror(errno));
		rc = -EIO;
		goto out;
	}
	rc = proc_wait(p.pid, TERM_TIMEOUT, &st);
	if (rc == -ETIMEDOUT)
		mb_err("%s: the program did not end within %.0f s of SIGTERM", c->where,
		       TERM_TIMEOUT);
	else if (rc && rc != -EINTR)
		mb_err("%s: waitpid %d: %s", c->where, (int)p.pid, strerror(-rc));
	if (rc)
		goto out;
	r->term_s = mb_now() - t0;
	p.pid = -1; /* reaped */
	r->exit_status = proc_code(st);
	proc_errlog_since(mark, said, sizeof said);
	switch (mb_term_parse(said, &line)) {
	case MB_TERM_DURABLE:
		r->paused_s = line.paused_ms / 1e3;
		if (snprintf(u->img, sizeof u->img, "%s", line.path) >= (int)sizeof u->img ||
		    strncmp(line.path, u->dir, strlen(u->dir)) || stat(u->img, &sb) ||
		    !S_ISREG(sb.st_mode)) {
			mb_fail_check(c, "%s: the library named %s as its final image: not a file in %s",
				      c->where, line.path, u->dir);
			u->img[0] = 0;
			r->ok = 0;
		} else {
			r->image_bytes = (long long)sb.st_size;
		}
		break;
	case MB_TERM_FAILED:
		mb_fail_check(c, "%s: the library says: the final checkpoint failed: %s", c->where,
			      line.why);
		r->ok = 0;
		break;
	default: {
		char tail[512];

		proc_errtail(tail, sizeof tail);
		mb_fail_check(c, "%s: no final-checkpoint line of the library after SIGTERM (stderr:"
			      " %s)", c->where, tail);
		r->ok = 0;
	}
	}
	if (r->exit_status != 0) { /* bench_prog's SIGTERM handler: _exit(0) */
		mb_fail_check(c, "%s: the program ended with status %d after SIGTERM, not 0 (its"
			      " handler's)", c->where, r->exit_status);
		r->ok = 0;
	}
out:
	end = bprog_own_end(c, &p, rc != 0, &r->ok);
	return rc ? rc : end;
}

/*
 * The second half: mtcp_restart --verify of the final image (full or an
 * increment, as the row says), then a restart from it, every image of its
 * directory out of the page cache, that checks every byte; then the
 * directory goes. A failure here is a failed check, not the end.
 */
static int check_unit(struct mb_ctx *c, const struct mb_term_key *k, struct mb_term_run *r,
		      struct unit *u)
{
	static char out[16384];
	char *argv[] = { c->tools.path[T_RESTART], "--verify", u->img, NULL };
	char tail[512];
	double secs;
	int rc = 0, st;

	if (!u->img[0])
		goto out;
	rc = proc_capture(argv, BPROG_TIMEOUT, out, sizeof out, &st, &secs);
	if (rc == -EINTR)
		return rc;
	if (rc || proc_code(st)) {
		proc_errtail(tail, sizeof tail);
		mb_fail_check(c, "%s: mtcp_restart --verify %s failed (stderr: %s)", c->where, u->img,
			      tail);
		r->ok = 0;
		rc = 0;
		goto out;
	}
	r->depth = mb_term_verify_depth(out, u->img);
	if (k->incremental ? r->depth < 1 : r->depth != 0) {
		mb_fail_check(c, "%s: the final image %s is %s, not %s", c->where, u->img,
			      r->depth < 0 ? "not verified" : r->depth ? "an increment" : "full",
			      k->incremental ? "an increment" : "full");
		r->ok = 0;
	}
	if ((rc = mb_drop_dir(c, u->dir)))
		goto out;
	rc = bprog_restart_timed(c, u->img, &r->restart_s, &r->ok);
	if (rc == -EIO) {
		mb_fail_check(c, "%s: the restart from the final image %s failed", c->where, u->img);
		r->restart_s = NAN;
		r->ok = 0;
		rc = 0;
	}
out:
	if (u->dir[0])
		mb_rm_tree(u->dir);
	u->dir[0] = 0;
	return rc;
}

/* "memory --on-term random full [stw] run 2/5" in c->where */
static void set_where(struct mb_ctx *c, const struct mb_term_key *k, unsigned run)
{
	char l[96];

	if (k)
		mb_term_label(k, l, sizeof l);
	else
		snprintf(l, sizeof l, "baseline");
	snprintf(c->where, sizeof c->where, "on-term %s run %u/%u", l, run, c->o->runs);
}

static void run_line(struct mb_ctx *c, const struct mb_term_key *k, size_t row,
		     const struct mb_term_run *r)
{
	char l[96], a[32], b[32], d[32], e[32], f[32], img[32], left[64], prior[96] = "";

	mb_term_label(k, l, sizeof l);
	mb_fmt_secs(r->term_s, a, sizeof a);
	mb_fmt_secs(r->paused_s, b, sizeof b);
	mb_fmt_bytes(r->image_bytes, img, sizeof img);
	mb_fmt_secs(r->write_base_s, d, sizeof d);
	mb_fmt_secs(r->restart_s, e, sizeof e);
	if (k->incremental) {
		mb_fmt_secs(r->prior_todisk_s, f, sizeof f);
		mb_fmt_bytes(r->rewritten_bytes, img, sizeof img);
		snprintf(prior, sizeof prior, "checkpoint before %s, rewritten %s; ", f, img);
		mb_fmt_bytes(r->image_bytes, img, sizeof img);
	}
	mb_progress_left(&c->progress, left, sizeof left);
	mb_say("on-term %s [row %zu/%zu] run %u/%u (%s): %sSIGTERM to exit %s (paused %s), image"
	       " %s (depth %lld), write+fsync %s; restart %s%s; %s", l, row + 1, res.nrows, r->run,
	       c->o->runs, r->order, prior, a, b, img, r->depth, d, e,
	       r->ok ? "" : "; CHECK FAILED", left);
}

static double row_units(const struct mb_opts *o, const struct mb_term_key *k)
{
	/* build, final image, verify, restart (and the checkpoint before); the baseline */
	return (double)o->size_mb * ((k->incremental ? 5.0 : 4.0) * (double)res.nsides + 1.0) +
	       RUN_OVERHEAD_MIB;
}

/* the baseline's bytes: this run's first image measured, else the last run's, else the data */
static long long base_bytes(const struct mb_term_run *const *runs, size_t nsides, unsigned i,
			    long long prev, long mib)
{
	for (size_t s = 0; s < nsides; s++)
		if (runs[s][i].image_bytes > 0)
			return mb_base_bytes(runs[s][i].image_bytes);
	return mb_base_bytes(prev > 0 ? prev : (long long)mib << 20);
}

static int run_row(struct mb_ctx *c, size_t row)
{
	const struct mb_opts *o = c->o;
	struct mb_term_run *runs[MB_SIDES_MAX] = { NULL };
	const char *names[MB_SIDES_MAX];
	struct unit units[MB_SIDES_MAX];
	long long prev = -1;
	int rc = 0;

	for (size_t s = 0; s < res.nsides; s++) {
		names[s] = mb_side_label(res.key[row][s].side);
		if (!(runs[s] = calloc(o->runs, sizeof *runs[s]))) {
			mb_err("on-term: out of memory");
			rc = -ENOMEM;
			goto out;
		}
	}
	for (unsigned run = 1, i = 0; run <= o->runs && !rc; run++, i++) {
		int order[MB_SIDES_MAX + 1];
		char text[48];
		size_t k = mb_plan(run, res.nsides, 1, order);
		double wb = NAN;
		long long bb = -1;

		mb_plan_text(order, k, names, "base", text, sizeof text);
		for (size_t s = 0; s < res.nsides; s++) {
			mb_term_run_init(&runs[s][i], run);
			snprintf(runs[s][i].order, sizeof runs[s][i].order, "%s", text);
		}
		memset(units, 0, sizeof units);
		for (size_t u = 0; u < k && !rc; u++) { /* first halves */
			int s = order[u];

			if (s == MB_UNIT_BASE) {
				set_where(c, NULL, run);
				bb = base_bytes((const struct mb_term_run *const *)runs, res.nsides, i,
						prev, o->size_mb);
				rc = mb_base_write(c, bb, &wb);
				mb_base_remove(c);
				continue;
			}
			set_where(c, &res.key[row][s], run);
			rc = term_unit(c, &res.key[row][s], run, &runs[s][i], &units[s]);
		}
		for (size_t u = 0; u < k && !rc; u++) { /* second halves */
			int s = order[u];

			if (s == MB_UNIT_BASE)
				continue;
			set_where(c, &res.key[row][s], run);
			rc = check_unit(c, &res.key[row][s], &runs[s][i], &units[s]);
		}
		for (size_t s = 0; s < res.nsides; s++) {
			if (units[s].dir[0])
				mb_rm_tree(units[s].dir);
			runs[s][i].base_bytes = bb;
			runs[s][i].write_base_s = wb;
			if (runs[s][i].image_bytes > 0)
				prev = runs[s][i].image_bytes;
		}
		if (rc)
			break;
		mb_progress_add(&c->progress, row_units(o, &res.key[row][0]));
		for (size_t s = 0; s < res.nsides; s++) {
			if (mb_term_csv_run(c->runs_csv, &res.key[row][s], &runs[s][i]) ||
			    fflush(c->runs_csv)) {
				mb_err("cannot write %s", c->runs_path);
				rc = -EIO;
				break;
			}
			run_line(c, &res.key[row][s], row, &runs[s][i]);
		}
	}
	if (rc)
		goto out;
	for (size_t s = 0; s < res.nsides; s++) {
		mb_term_point_of(runs[s], o->runs, o->grace, &res.p[row][s]);
		if (mb_term_csv_point(c->csv, &res.key[row][s], &res.p[row][s]) || fflush(c->csv)) {
			mb_err("cannot write %s", c->csv_path);
			rc = -EIO;
			goto out;
		}
	}
	res.done[row] = 1;
out:
	for (size_t s = 0; s < res.nsides; s++)
		free(runs[s]);
	return rc;
}

static void say_plan(struct mb_ctx *c)
{
	const struct mb_opts *o = c->o;
	char pts[128];

	mb_fmt_pcts(o->term_pct, o->nterm, pts, sizeof pts);
	mb_say("memory --on-term: SIGTERM to a durable image, %ld MiB: a full image of random"
	       " bytes and of heap objects; increments of random bytes after %s of the pages were"
	       " rewritten; %u run(s) each; against a grace period of %g s", o->size_mb, pts,
	       o->runs, o->grace);
	mb_say("each program: mtcp_launch --keep 2 --interval 0, MTCP_ON_TERM=1,"
	       " MTCP_FULL_EVERY=8, MTCP_VERBOSE=0%s; SIGTERM from the driver (kill), timed until"
	       " waitpid reaps it; then mtcp_restart --verify of the final image and a restart"
	       " from it (cache dropped) that checks every byte", res.nsides == 2 ?
	       "; sides stw (MTCP_COW=0) and cow (MTCP_COW=1), odd runs stw first" : "");
	if (getenv("MTCP_ON_TERM") || getenv("MTCP_FULL_EVERY") || getenv("MTCP_COW") ||
	    getenv("MTCP_VERBOSE"))
		mb_say("note: MTCP_ON_TERM, MTCP_FULL_EVERY, MTCP_COW and MTCP_VERBOSE of the"
		       " environment are replaced");
}

int mb_mode_on_term(struct mb_ctx *c)
{
	const struct mb_opts *o = c->o;
	enum mb_side sides[MB_SIDES_MAX];
	static const char *const full_kinds[] = { "random", "heap" };
	double total = 0;
	int rc = 0;

	memset(&res, 0, sizeof res);
	res.nsides = mb_sides(o->cow, 0, sides);
	for (size_t i = 0; i < 2 + o->nterm; i++) {
		for (size_t s = 0; s < res.nsides; s++) {
			struct mb_term_key *k = &res.key[i][s];

			k->kind = i < 2 ? full_kinds[i] : "random";
			k->incremental = i >= 2;
			k->pct = i >= 2 ? o->term_pct[i - 2] : 0;
			k->side = sides[s];
		}
		total += row_units(o, &res.key[i][0]) * o->runs;
	}
	res.nrows = 2 + o->nterm;
	mb_progress_init(&c->progress, total);
	say_plan(c);
	for (size_t i = 0; i < res.nrows && !rc; i++)
		rc = run_row(c, i);
	if (rc)
		return rc;
	mb_term_table_print(&res, o);
	return 0;
}
