/* SPDX-License-Identifier: MIT */
/*
 * mode_npb_interval.c: npb --interval S, the slowdown runs (issue 10).
 *
 * Each run times npb_lu CLASS to its end without the library (the plain
 * run), and under `mtcp_launch --interval S` on each side of --cow:
 * stop-the-world (MTCP_COW=0) and copy-on-write (MTCP_COW=1). The units
 * of a run go in the order of runplan.h, the plain run in the baseline's
 * place: odd runs stw, cow, plain; even runs plain, cow, stw. Every run
 * must end with the residuals of the first plain run (lu_compare). A
 * side's slowdown in a run is its wall time over the plain run's, of
 * the same run.
 *
 * The checkpoints are counted from the library's own lines: the sides run
 * with MTCP_VERBOSE=1, whose "mtcp: stop-the-world PATH: pause X ms,
 * durable Y ms" (or copy-on-write) line comes once per completed
 * checkpoint (interval.h). Their stderr goes to the error log like every
 * child's; what a run added to it is read back from the offset the log
 * had when it started. Each side's run gets a fresh image directory
 * (--keep 1: one image on disk at a time, as a user checkpointing every S
 * seconds would keep); the SEQ of the image left there (the number of the
 * last checkpoint) completes the count when the program's exit cut off
 * the last line (mb_iv_count), and the directory is removed. Environment: ours, OMP_NUM_THREADS=2 added unless set; MTCP_COW
 * and MTCP_VERBOSE replaced on the sides.
 */
#include "modes.h"

#include "../progs/npb/lu.h"
#include "cow.h"
#include "ctx.h"
#include "interval.h"
#include "log.h"
#include "npbout.h"
#include "proc.h"
#include "result.h"
#include "runplan.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define LU_OUT_MAX (1u << 20) /* npb_lu prints a few KiB */
#define REL_TOL 1e-12
#define OMP_DEFAULT "OMP_NUM_THREADS=2"

extern char **environ;

/* one run of npb_lu to its end */
struct iv_unit {
	double secs;	  /* wall time, start to exit */
	int status;	  /* its exit status (shell style) */
	struct npb_out out;
	struct mb_iv_log log; /* sides: the library's lines */
	long long image_bytes; /* sides: the image left, -1 if none */
	long image_seq;	  /* its SEQ, -1 if none */
};

struct iv_job {
	char cls_arg[2];
	char label[32]; /* "npb B" */
	char ivtext[32]; /* the interval for mtcp_launch */
	struct mb_key key[MB_SIDES_MAX];
	enum mb_side side[MB_SIDES_MAX];
	size_t nsides;
	char **env_plain, **env_side[MB_SIDES_MAX];
	double units;
	int have_ref;
	struct npb_out ref;
	double timeout;
};

static void fail_note(struct mb_ctx *c, const char *what, int code)
{
	char tail[512];

	proc_errtail(tail, sizeof tail);
	mb_err("%s: %s (status %d; stderr: %s)", c->where, what, code, tail);
}

static void set_where(struct mb_ctx *c, const struct iv_job *j, const char *side, unsigned run)
{
	snprintf(c->where, sizeof c->where, "%s%s%s%s run %u/%u", j->label, side ? " [" : "",
		 side ? side : "", side ? "]" : "", run, c->o->runs);
}

/* argv with envp to its end: time, status, npb_lu's lines */
static int run_to_end(struct mb_ctx *c, const struct iv_job *j, char *const argv[],
		      char *const envp[], struct iv_unit *u)
{
	struct mb_buf out = { .max = LU_OUT_MAX };
	struct mb_chan ch;
	double t0, end;
	pid_t pid;
	int rc, st;

	if ((rc = chan_open(&ch, 0)))
		return rc;
	t0 = mb_now();
	end = t0 + j->timeout;
	if ((rc = proc_spawn_env(argv, envp, -1, ch.cout, &pid))) {
		mb_err("%s: cannot start %s: %s", c->where, argv[0], strerror(-rc));
		chan_close(&ch);
		return -EIO;
	}
	chan_spawned(&ch);
	rc = chan_collect(&ch, &out, end);
	if (!rc)
		rc = proc_wait(pid, end - mb_now(), &st);
	u->secs = mb_now() - t0;
	chan_close(&ch);
	if (rc) {
		proc_kill(pid);
		buf_free(&out);
		if (rc != -EINTR)
			mb_err("%s: %s did not end within %.0f s", c->where, argv[0], j->timeout);
		return rc == -EINTR ? rc : -EIO;
	}
	u->status = proc_code(st);
	npb_scan(out.p, out.len, &u->out);
	buf_free(&out);
	return 0;
}

/* the error log's size now: where the next child's lines will start */
static off_t log_size(const struct mb_ctx *c)
{
	struct stat sb;

	return stat(c->errlog, &sb) ? 0 : sb.st_size;
}

/* the library's lines the error log got from offset off on */
static int read_log(struct mb_ctx *c, off_t off, struct mb_iv_log *l)
{
	char *line = NULL;
	size_t cap = 0;
	FILE *f;

	mb_iv_log_init(l);
	if (!(f = fopen(c->errlog, "r")) || fseeko(f, off, SEEK_SET)) {
		mb_err("%s: cannot read %s: %s", c->where, c->errlog, strerror(errno));
		if (f)
			fclose(f);
		return -EIO;
	}
	while (getline(&line, &cap, f) > 0)
		mb_iv_line(l, line);
	free(line);
	fclose(f);
	return 0;
}

/* the image left in dir (the highest SEQ): its SEQ and size */
static void find_image(const char *dir, struct iv_unit *u)
{
	struct dirent *e;
	DIR *d;

	u->image_seq = u->image_bytes = -1;
	if (!(d = opendir(dir)))
		return;
	while ((e = readdir(d))) {
		long seq = mb_iv_image_seq(e->d_name);
		struct stat sb;

		if (seq > u->image_seq && !fstatat(dirfd(d), e->d_name, &sb, AT_SYMLINK_NOFOLLOW) &&
		    S_ISREG(sb.st_mode)) {
			u->image_seq = seq;
			u->image_bytes = (long long)sb.st_size;
		}
	}
	closedir(d);
}

/* npb_lu under mtcp_launch --interval on side s, in a fresh image directory */
static int side_unit(struct mb_ctx *c, const struct iv_job *j, size_t s, unsigned run,
		     struct iv_unit *u)
{
	char dir[PATH_MAX], name[32];
	char *argv[] = { c->tools.path[T_LAUNCH], "--dir", dir, "--keep", "1", "--interval",
			 (char *)j->ivtext, "--", c->tools.path[T_NPB], (char *)j->cls_arg, NULL };
	off_t off;
	int rc;

	snprintf(name, sizeof name, "interval-%u-%s", run, mb_side_name(j->side[s]));
	errno = 0;
	if (mb_work_file(c, name, dir, sizeof dir) || mkdir(dir, 0700)) {
		mb_err("%s: cannot create a directory in %s: %s", c->where, c->work,
		       strerror(errno ? errno : ENAMETOOLONG));
		return -EIO;
	}
	off = log_size(c);
	rc = run_to_end(c, j, argv, j->env_side[s], u);
	if (!rc)
		rc = read_log(c, off, &u->log);
	if (!rc)
		find_image(dir, u);
	mb_rm_tree(dir);
	return rc;
}

/* the first plain run: the reference every run's end must equal */
static int reference(struct mb_ctx *c, struct iv_job *j, const struct iv_unit *u)
{
	if (u->status) {
		fail_note(c, "npb_lu failed", u->status);
		return -EIO;
	}
	if (!u->out.has_residuals || u->out.iters < 1) {
		mb_err("%s: npb_lu printed no residuals line or no iteration", c->where);
		return -EIO;
	}
	j->ref = u->out;
	j->have_ref = 1;
	/* a run with checkpoints may take longer; a hung one must end some day */
	j->timeout = 3 * u->secs + 600;
	mb_say("%s: reference run %.3f s, %ld iterations, residuals %.6e %.6e %.6e %.6e %.6e,"
	       " memory %lld KiB", j->label, u->secs, u->out.iters, u->out.res[0], u->out.res[1],
	       u->out.res[2], u->out.res[3], u->out.res[4], u->out.memory_kib);
	return 0;
}

/* why u's end is not the reference's ("" if it is) */
static void end_check(const struct iv_job *j, const struct iv_unit *u, char *why, size_t n)
{
	*why = 0;
	if (u->status)
		snprintf(why, n, "exited with status %d", u->status);
	else if (!u->out.has_residuals)
		snprintf(why, n, "printed no residuals line");
	else
		lu_compare(j->ref.res, u->out.res, LU_NVAR, REL_TOL, why, n);
}

/* r from side s's unit u: figures, then its checks */
static void side_result(struct mb_ctx *c, const struct iv_job *j, size_t s,
			const struct iv_unit *u, const struct iv_unit *plain, int plain_ok,
			struct mb_run *r)
{
	int stw = j->side[s] == MB_SIDE_STW;
	unsigned other = stw ? u->log.cow : u->log.stw;
	char why[256];

	mb_iv_fill(r, c->o->interval, u->secs, plain->secs, &u->log, u->image_seq);
	r->data_bytes = j->ref.memory_kib >= 0 ? j->ref.memory_kib * 1024 : -1;
	r->image_bytes = u->image_bytes;
	set_where(c, j, mb_side_name(j->side[s]), r->run);
	end_check(j, u, why, sizeof why);
	r->residual_ok = !*why;
	if (*why) {
		r->ok = 0;
		mb_fail_check(c, "%s: the run with a checkpoint every %s s %s", c->where, j->ivtext,
			      why);
	}
	if (u->log.failed) {
		r->ok = 0;
		mb_fail_check(c, "%s: %u checkpoint(s) failed; the first: %s", c->where,
			      u->log.failed, u->log.first_failure);
	}
	if (other) {
		r->ok = 0;
		mb_fail_check(c, "%s: %u of its %u checkpoints were %s, not %s", c->where, other,
			      u->log.ckpts, stw ? "copy-on-write" : "stop-the-world",
			      stw ? "stop-the-world (MTCP_COW=0)" : "copy-on-write (MTCP_COW=1)");
	}
	if (!plain_ok)
		r->ok = 0; /* its slowdown is against a plain run that went wrong */
	if (u->image_seq >= 0 && u->image_seq != r->ckpts && !u->log.failed)
		mb_say("%s: note: the image left is checkpoint number %ld, but the library"
		       " reported %u checkpoint(s) on stderr", c->where, u->image_seq, u->log.ckpts);
	if (!r->ckpts)
		mb_say("%s: note: no checkpoint completed before the program ended (the first is"
		       " due %s s after its start; a copy-on-write one still being written when it"
		       " exits is lost)", c->where, j->ivtext);
}

static void run_line(struct mb_ctx *c, const struct iv_job *j, size_t s, const struct iv_unit *u,
		     const struct mb_run *r)
{
	char wall[32], plain[32], mp[32], xp[32], md[32], img[32], left[64];

	mb_fmt_secs(r->wall_s, wall, sizeof wall);
	mb_fmt_secs(r->run_time_s, plain, sizeof plain);
	mb_fmt_secs(r->mean_pause_s, mp, sizeof mp);
	mb_fmt_secs(r->max_pause_s, xp, sizeof xp);
	mb_fmt_secs(mb_iv_mean_durable(&u->log), md, sizeof md);
	mb_fmt_bytes(r->image_bytes, img, sizeof img);
	mb_progress_left(&c->progress, left, sizeof left);
	mb_say("%s [%s] run %u/%u (%s): %s with %lld checkpoint(s) every %s s (pause mean %s,"
	       " max %s; durable mean %s; image %s); without the library %s: slowdown %.4f; %s; %s",
	       j->label, mb_side_name(j->side[s]), r->run, c->o->runs, r->order, wall, r->ckpts,
	       j->ivtext, mp, xp, md, img, plain, r->slowdown,
	       r->ok ? "residuals equal" : "CHECK FAILED", left);
}

/* run i: its units in the run's order, then the figures and checks */
static int one_run(struct mb_ctx *c, struct iv_job *j, unsigned i, struct mb_run **runs)
{
	static char *plain_argv[3];
	struct iv_unit units[MB_SIDES_MAX], plain;
	int order[MB_SIDES_MAX + 1], rc, plain_ok = 1;
	const char *names[MB_SIDES_MAX];
	char text[48], why[256];
	size_t k;

	plain_argv[0] = c->tools.path[T_NPB];
	plain_argv[1] = j->cls_arg;
	plain_argv[2] = NULL;
	k = mb_plan(i + 1, j->nsides, 1, order);
	for (size_t s = 0; s < j->nsides; s++)
		names[s] = mb_side_label(j->side[s]);
	mb_plan_text(order, k, names, "plain", text, sizeof text);
	for (size_t u = 0; u < k; u++) {
		if (order[u] == MB_UNIT_BASE) {
			set_where(c, j, NULL, i + 1);
			rc = run_to_end(c, j, plain_argv, j->env_plain, &plain);
		} else {
			set_where(c, j, mb_side_name(j->side[order[u]]), i + 1);
			rc = side_unit(c, j, (size_t)order[u], i + 1, &units[order[u]]);
		}
		if (rc)
			return rc;
	}
	set_where(c, j, NULL, i + 1);
	if (!j->have_ref) {
		if ((rc = reference(c, j, &plain)))
			return rc;
	} else {
		end_check(j, &plain, why, sizeof why);
		if (*why) {
			plain_ok = 0;
			mb_fail_check(c, "%s: the run without the library %s (unlike the first)",
				      c->where, why);
		}
	}
	for (size_t s = 0; s < j->nsides; s++) {
		struct mb_run *r = &runs[s][i];

		mb_run_init(r, i + 1);
		snprintf(r->order, sizeof r->order, "%s", text);
		side_result(c, j, s, &units[s], &plain, plain_ok, r);
	}
	mb_progress_add(&c->progress, (double)(1 + j->nsides) * j->units);
	for (size_t s = 0; s < j->nsides; s++) {
		if ((rc = mb_emit_run(c, &j->key[s], &runs[s][i])))
			return rc;
		run_line(c, j, s, &units[s], &runs[s][i]);
	}
	return 0;
}

static int job_point(struct mb_ctx *c, struct iv_job *j)
{
	struct mb_run *runs[MB_SIDES_MAX] = { NULL };
	int rc = 0;

	for (size_t s = 0; s < j->nsides; s++)
		if (!(runs[s] = calloc(c->o->runs, sizeof *runs[s]))) {
			mb_err("%s: out of memory", j->label);
			rc = -ENOMEM;
			goto out;
		}
	for (unsigned i = 0; i < c->o->runs && !rc; i++)
		rc = one_run(c, j, i, runs);
	for (size_t s = 0; s < j->nsides && !rc; s++) {
		struct mb_point p;

		mb_point_of(runs[s], c->o->runs, &p);
		rc = mb_emit_point(c, &j->key[s], &p);
	}
out:
	for (size_t s = 0; s < j->nsides; s++)
		free(runs[s]);
	return rc;
}

static void job_init(struct mb_ctx *c, struct iv_job *j, char cls)
{
	memset(&j->key, 0, sizeof j->key);
	j->cls_arg[0] = cls;
	j->cls_arg[1] = 0;
	snprintf(j->label, sizeof j->label, "npb %c", cls);
	j->units = mb_npb_class_units(cls);
	j->have_ref = 0;
	j->timeout = 4 * 3600; /* until the reference run has ended */
	for (size_t s = 0; s < j->nsides; s++) {
		j->key[s].mode = "npb";
		j->key[s].kind = "lu-interval";
		j->key[s].point[0] = j->key[s].cls[0] = cls;
		j->key[s].unit = "class";
		j->key[s].cow = mb_side_name(j->side[s]);
	}
	(void)c;
}

/* the environments: plain, and each side's */
static int make_envs(struct iv_job *j)
{
	static const char *const dflt[] = { OMP_DEFAULT };
	static const char *const stw[] = { "MTCP_COW=0", "MTCP_VERBOSE=1" };
	static const char *const cow[] = { "MTCP_COW=1", "MTCP_VERBOSE=1" };

	if (!(j->env_plain = mb_iv_env(environ, NULL, 0, dflt, 1)))
		return -ENOMEM;
	for (size_t s = 0; s < j->nsides; s++)
		if (!(j->env_side[s] = mb_iv_env(environ, j->side[s] == MB_SIDE_STW ? stw : cow, 2,
						 dflt, 1)))
			return -ENOMEM;
	return 0;
}

static void free_envs(struct iv_job *j)
{
	free(j->env_plain);
	for (size_t s = 0; s < j->nsides; s++)
		free(j->env_side[s]);
}

int mb_mode_npb_interval(struct mb_ctx *c)
{
	static struct iv_job job;
	const struct mb_opts *o = c->o;
	size_t n = strlen(o->classes);
	const char *omp = getenv("OMP_NUM_THREADS");
	double total = 0;
	int rc = 0;

	memset(&job, 0, sizeof job);
	job.nsides = mb_sides(o->cow, 0, job.side);
	snprintf(job.ivtext, sizeof job.ivtext, "%.9g", o->interval);
	if (make_envs(&job)) {
		mb_err("npb --interval: out of memory");
		free_envs(&job);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++)
		total += mb_npb_class_units(o->classes[i]) * o->runs * (double)(1 + job.nsides);
	mb_progress_init(&c->progress, total);
	mb_say("npb --interval %s: class(es) %s, %u run(s) of each: npb_lu to its end without the"
	       " library (plain; the first one's end is the reference) and under mtcp_launch"
	       " --interval %s with %s; OMP_NUM_THREADS=%s%s; the order: odd runs the sides, then"
	       " plain; even runs plain, then the sides in reverse", job.ivtext, o->classes, o->runs,
	       job.ivtext, job.nsides == 2 ? "MTCP_COW=0 (stw) and MTCP_COW=1 (cow)" :
	       job.side[0] == MB_SIDE_STW ? "MTCP_COW=0 (stw)" : "MTCP_COW=1 (cow)",
	       omp ? omp : "2", omp ? " (from the environment)" : "");
	for (size_t i = 0; i < n && !rc; i++) {
		job_init(c, &job, o->classes[i]);
		rc = job_point(c, &job);
	}
	free_envs(&job);
	return rc;
}
