/* SPDX-License-Identifier: MIT */
/*
 * mode_npb.c: the paper's figure 4: a long computation (npb_lu CLASS, or
 * any --binary) checkpointed mid-run, killed, restarted, and run to its
 * end, which must be the end an uninterrupted run reached.
 *
 * Holding npb_lu at half of its iterations: a small class runs in a few
 * milliseconds, less than asking for a checkpoint takes. Its stdout is a
 * pipe of one page (F_SETPIPE_SZ 4096) that we fill beforehand with
 * 4096 - O bytes, O being what the reference run had printed up to and
 * including "iter HALF/TOTAL". npb_lu prints each line with one write();
 * the line after that one does not fit, so it blocks there until we read,
 * and we never do: once the pipe holds 4096 bytes and npb_lu sits in that
 * write (/proc/PID/syscall), it has done HALF + 1 iterations and is
 * checkpointed. A restarted copy writes its pending
 * line into its new stdout at once: that line ends the restart time.
 */
#include "modes.h"

#include "../progs/npb/lu.h"
#include "baseline.h"
#include "criu.h"
#include "ctx.h"
#include "log.h"
#include "npbout.h"
#include "proc.h"
#include "result.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#define HOLD_PIPE 4096		 /* bytes of the held stdout pipe: one page */
#define HOLD_SLACK 64		 /* npb_lu's iter lines are shorter than this */
#define LU_OUT_MAX (1u << 20)	 /* npb_lu prints a few KiB */
#define BIN_OUT_MAX (64u << 20)	 /* output kept of a --binary program */
#define ARGS_MAX 256
#define REL_TOL 1e-12
#define RUN_OVERHEAD_UNITS 20.0 /* start, tools, fsyncs: in units of 1e5 point-iterations */

struct npb_job {
	struct mb_key key;
	char *argv[ARGS_MAX + 1]; /* the program and its arguments */
	char label[96];		  /* "npb A", "npb ./prog" */
	int lu;
	double units;		  /* progress units of one run of the program */
	double ref_time;	  /* the reference run (binary: mean of two) */
	double first_time;	  /* the first run's uninterrupted time */
	int ref_status;
	struct mb_buf ref_out;
	int deterministic;	  /* binary: both reference runs printed the same */
	struct npb_out ref;	  /* lu: residuals, iterations, memory */
	long half;		  /* lu: the iteration to checkpoint after */
	long long hold_off;	  /* lu: bytes printed up to "iter half/" (-1: unknown) */
	double timeout;		  /* for one whole run of the program */
	long resumed;		  /* lu: the first iteration a restarted copy printed */
};

/* NPB LU's grid sides and iterations, for the time-left estimate only */
double mb_npb_class_units(char cls)
{
	static const struct {
		char name;
		int n, iters;
	} classes[] = { { 'S', 12, 50 }, { 'W', 33, 300 }, { 'A', 64, 250 }, { 'B', 102, 250 } };

	for (size_t i = 0; i < sizeof classes / sizeof classes[0]; i++)
		if (classes[i].name == cls)
			return (double)classes[i].n * classes[i].n * classes[i].n *
				       classes[i].iters / 1e5 + RUN_OVERHEAD_UNITS;
	return RUN_OVERHEAD_UNITS;
}

static void fail_note(struct mb_ctx *c, const char *what, int code)
{
	char tail[512];

	proc_errtail(tail, sizeof tail);
	mb_err("%s: %s (status %d; stderr: %s)", c->where, what, code, tail);
}

/* the program without the library, to its end: its output, status and time */
static int run_plain(struct mb_ctx *c, struct npb_job *j, struct mb_buf *out, int *status,
		     double *secs)
{
	struct mb_chan ch;
	double t0, end;
	pid_t pid;
	int rc, st;

	if ((rc = chan_open(&ch, 0)))
		return rc;
	t0 = mb_now();
	end = t0 + j->timeout;
	if ((rc = proc_spawn(j->argv, -1, ch.cout, &pid))) {
		mb_err("%s: cannot start %s: %s", c->where, j->argv[0], strerror(-rc));
		chan_close(&ch);
		return -EIO;
	}
	chan_spawned(&ch);
	rc = chan_collect(&ch, out, end);
	if (!rc)
		rc = proc_wait(pid, end - mb_now(), &st);
	*secs = mb_now() - t0;
	chan_close(&ch);
	if (rc) {
		proc_kill(pid);
		if (rc != -EINTR)
			mb_err("%s: %s did not end within %.0f s", c->where, j->argv[0], j->timeout);
		return rc == -EINTR ? rc : -EIO;
	}
	*status = proc_code(st);
	return 0;
}

static int reference(struct mb_ctx *c, struct npb_job *j)
{
	struct mb_buf second = { .max = BIN_OUT_MAX };
	double t[2];
	int st[2], rc;

	j->ref_out.max = j->lu ? LU_OUT_MAX : BIN_OUT_MAX;
	if ((rc = run_plain(c, j, &j->ref_out, &st[0], &t[0])))
		return rc;
	j->first_time = t[0];
	if (j->lu) {
		char how[96];

		if (st[0]) {
			fail_note(c, "npb_lu failed", st[0]);
			return -EIO;
		}
		npb_scan(j->ref_out.p, j->ref_out.len, &j->ref);
		if (!j->ref.has_residuals || j->ref.iters < 2) {
			mb_err("%s: npb_lu printed no residuals line or fewer than 2 iterations",
			       c->where);
			return -EIO;
		}
		j->ref_time = t[0];
		j->half = j->ref.iters / 2;
		j->hold_off = npb_offset_after(j->ref_out.p, j->ref_out.len, j->half);
		if (c->o->delay > 0)
			snprintf(how, sizeof how, "after %.3f s (--delay)", c->o->delay);
		else
			snprintf(how, sizeof how, "after iteration %ld%s", j->half,
				 j->hold_off >= 0 && j->hold_off <= HOLD_PIPE ?
					 " (held there by its stdout pipe)" : "");
		mb_say("%s: reference run %.3f s, %ld iterations, residuals %.6e %.6e %.6e %.6e"
		       " %.6e, memory %lld KiB; checkpoints %s", j->label, t[0], j->ref.iters,
		       j->ref.res[0], j->ref.res[1], j->ref.res[2], j->ref.res[3], j->ref.res[4],
		       j->ref.memory_kib, how);
		return 0;
	}
	rc = run_plain(c, j, &second, &st[1], &t[1]);
	if (!rc && st[1] != st[0]) {
		mb_err("%s: %s exited with status %d, then %d: its status cannot be checked",
		       c->where, j->argv[0], st[0], st[1]);
		rc = -EIO;
	}
	j->deterministic = !rc && !j->ref_out.truncated && !second.truncated &&
			   second.len == j->ref_out.len &&
			   (!second.len || !memcmp(second.p, j->ref_out.p, second.len));
	buf_free(&second);
	if (rc)
		return rc;
	j->ref_status = st[0];
	j->ref_time = (t[0] + t[1]) / 2;
	mb_say("%s: reference runs %.3f s and %.3f s, exit status %d, %zu bytes of output (%s);"
	       " checkpoints after %.3f s", j->label, t[0], t[1], st[0], j->ref_out.len,
	       j->deterministic ? "the same twice: checked" : "not the same twice: not checked",
	       c->o->delay);
	if (c->o->delay >= j->ref_time * 0.9)
		mb_say("%s: warning: --delay %.3f s is close to the run time: the program may end"
		       " before its checkpoint", j->label, c->o->delay);
	return 0;
}

/* runs 2..N: the uninterrupted run again, which must end as the first did */
static int again(struct mb_ctx *c, struct npb_job *j, struct mb_run *r)
{
	struct mb_buf out = { .max = j->lu ? LU_OUT_MAX : BIN_OUT_MAX };
	char why[256] = "";
	struct npb_out got;
	int rc, st;

	if ((rc = run_plain(c, j, &out, &st, &r->run_time_s)))
		return rc;
	if (j->lu) {
		npb_scan(out.p, out.len, &got);
		if (st)
			snprintf(why, sizeof why, "exited with status %d", st);
		else if (!got.has_residuals)
			snprintf(why, sizeof why, "printed no residuals line");
		else
			lu_compare(j->ref.res, got.res, LU_NVAR, REL_TOL, why, sizeof why);
	} else if (st != j->ref_status) {
		snprintf(why, sizeof why, "exited with status %d, not %d", st, j->ref_status);
	}
	buf_free(&out);
	if (*why) {
		r->ok = 0;
		mb_fail_check(c, "%s: the uninterrupted run %s (unlike the first)", c->where, why);
	}
	return 0;
}

/* the launched program has ended before its checkpoint */
static int ended_early(struct mb_ctx *c, struct npb_job *j, double t0)
{
	mb_err("%s: %s ended after %.3f s, before its checkpoint%s", c->where, j->argv[0],
	       mb_now() - t0, j->lu ? "" : " (give a smaller --delay)");
	return -EIO;
}

/* 1 if pid's main thread is in write(1, ...), 0 if not, -1 if we cannot tell */
static int in_stdout_write(pid_t pid)
{
	char path[64], buf[128];
	unsigned long fd;
	FILE *f;
	long nr;
	int rc = -1;

	snprintf(path, sizeof path, "/proc/%d/syscall", (int)pid);
	if (!(f = fopen(path, "r")))
		return -1;
	if (fgets(buf, sizeof buf, f))
		rc = sscanf(buf, "%ld 0x%lx", &nr, &fd) == 2 ? nr == SYS_write && fd == 1 :
		     !strncmp(buf, "running", 7) ? 0 : -1;
	fclose(f);
	return rc;
}

/*
 * lu held at half (see the top): waits until its stdout pipe is full and it
 * is blocked writing to it. Should its lines not be the reference run's to
 * the byte, the pipe ends up a little less than full, which is fine as
 * long as it blocks; where /proc/PID/syscall cannot tell, a full pipe, or
 * a nearly full one unchanged for three iterations, will do.
 */
static int wait_held(struct mb_ctx *c, struct npb_job *j, struct mb_chan *ch, pid_t pid,
		     double t0)
{
	double settle = 3 * j->ref_time / (double)j->ref.iters + 0.02, since = 0;
	int last = -1;

	for (;;) {
		int n = chan_pending(ch), w = n >= HOLD_PIPE - HOLD_SLACK ? in_stdout_write(pid) : 0;

		if (w == 1 || (w < 0 && n >= HOLD_PIPE))
			return 0;
		if (n != last) {
			last = n;
			since = mb_now();
		} else if (n >= HOLD_PIPE - HOLD_SLACK && mb_now() - since > settle) {
			return 0;
		}
		if (proc_signal())
			return -EINTR;
		if (proc_ended(pid))
			return ended_early(c, j, t0);
		proc_nap(0.001);
		if (mb_now() - t0 > j->timeout) {
			mb_err("%s: npb_lu did not reach iteration %ld within %.0f s", c->where,
			       j->half, j->timeout);
			return -EIO;
		}
	}
}

/* lu not held: reads its lines until "iter K/" with K >= half */
static int wait_half(struct mb_ctx *c, struct npb_job *j, struct mb_chan *ch, double t0)
{
	char line[512];

	for (;;) {
		long k, t;
		int rc = chan_line(ch, t0 + j->timeout - mb_now(), line, sizeof line);

		if (rc == -EPIPE)
			return ended_early(c, j, t0);
		if (rc) {
			if (rc != -EINTR)
				mb_err("%s: npb_lu did not reach iteration %ld within %.0f s",
				       c->where, j->half, j->timeout);
			return rc == -EINTR ? rc : -EIO;
		}
		if (!npb_iter_line(line, &k, &t) && k >= j->half)
			return 0;
	}
}

/* a one-page stdout pipe, filled up to where "iter half/" must end; 0 if held */
static int hold_pipe(struct npb_job *j, struct mb_chan *ch)
{
	char fill[HOLD_PIPE];
	size_t n;

	if (!j->lu || j->hold_off < 0 || j->hold_off > HOLD_PIPE ||
	    fcntl(ch->cout, F_SETPIPE_SZ, HOLD_PIPE) != HOLD_PIPE)
		return -1;
	n = HOLD_PIPE - (size_t)j->hold_off;
	memset(fill, '#', n);
	return n && write(ch->cout, fill, n) != (ssize_t)n ? -1 : 0;
}

/*
 * The program under mtcp_launch, checkpointed (at half, or after --delay),
 * then killed. What it printed in before (binary). r->todisk_s,
 * image_bytes; the image's path in img.
 */
static int npb_checkpoint(struct mb_ctx *c, struct npb_job *j, struct mb_run *r, char *img,
			  size_t n, struct mb_buf *before)
{
	char *argv[ARGS_MAX + 10], pidbuf[16], out[PATH_MAX + 64];
	char *ckpt[] = { c->tools.path[T_CHECKPOINT], "--wait", "--timeout", "1200", pidbuf, NULL };
	int k = 0, rc, st, held = 0;
	struct mb_chan ch;
	struct stat sb;
	double t0;
	pid_t pid;

	k = mb_launch_argv(c, argv);
	for (int i = 0; j->argv[i]; i++)
		argv[k++] = j->argv[i];
	argv[k] = NULL;
	if ((rc = chan_open(&ch, 0)))
		return rc;
	if (c->o->delay < 0)
		held = !hold_pipe(j, &ch);
	t0 = mb_now();
	if ((rc = proc_spawn(argv, -1, ch.cout, &pid))) {
		mb_err("%s: cannot start %s: %s", c->where, argv[0], strerror(-rc));
		chan_close(&ch);
		return -EIO;
	}
	chan_spawned(&ch);
	if (c->o->delay > 0) {
		rc = chan_collect(&ch, before, t0 + c->o->delay);
		rc = rc == -ETIMEDOUT ? 0 : rc ? rc : ended_early(c, j, t0);
	} else {
		rc = held ? wait_held(c, j, &ch, pid, t0) : wait_half(c, j, &ch, t0);
	}
	if (rc)
		goto out_kill;
	snprintf(pidbuf, sizeof pidbuf, "%d", (int)pid);
	rc = proc_capture(ckpt, 1260, out, sizeof out, &st, &r->todisk_s);
	if (rc || proc_code(st)) {
		if (rc == -ETIMEDOUT)
			fail_note(c, "mtcp_checkpoint --wait did not end in time", -1);
		else if (rc != -EINTR)
			fail_note(c, "mtcp_checkpoint --wait failed", rc ? rc : proc_code(st));
		rc = rc == -EINTR ? rc : -EIO;
		goto out_kill;
	}
	proc_kill(pid);
	if (!j->lu)
		chan_collect(&ch, before, mb_now() + 10); /* what it printed before the kill */
	chan_close(&ch);
	out[strcspn(out, "\n")] = 0;
	if (snprintf(img, n, "%s", out) >= (int)n) {
		mb_err("%s: mtcp_checkpoint printed a path longer than %zu bytes", c->where, n);
		return -EIO;
	}
	if (stat(img, &sb) || !S_ISREG(sb.st_mode)) {
		mb_err("%s: mtcp_checkpoint printed '%s', which is not a file", c->where, img);
		return -EIO;
	}
	r->image_bytes = (long long)sb.st_size;
	return 0;
out_kill:
	proc_kill(pid);
	chan_close(&ch);
	return rc;
}

/* lu: the restarted copy's lines: the first iter line ends the restart time */
static int restarted_lines(struct npb_job *j, struct mb_chan *ch, double t0, double end,
			   struct mb_run *r, struct npb_out *got)
{
	char line[1024];
	int rc;

	j->resumed = -1;
	while (!(rc = chan_line(ch, end - mb_now(), line, sizeof line))) {
		long k, t;

		if (isnan(r->restart_s) && !npb_iter_line(line, &k, &t)) {
			r->restart_s = mb_now() - t0;
			j->resumed = k;
		} else if (!lu_parse_residuals(line, got->res)) {
			got->has_residuals = 1;
		}
	}
	return rc == -EPIPE ? 0 : rc;
}

/* r->residual_ok and r->ok from what the restarted (or criu's) copy did */
static void check_end(struct mb_ctx *c, struct npb_job *j, struct mb_run *r, int status,
		      const struct npb_out *got, const struct mb_buf *before,
		      const struct mb_buf *after, const char *who)
{
	char why[256] = "";

	if (j->lu && status)
		snprintf(why, sizeof why, "exited with status %d", status);
	else if (j->lu && !got->has_residuals)
		snprintf(why, sizeof why, "printed no residuals line");
	else if (j->lu)
		lu_compare(j->ref.res, got->res, LU_NVAR, REL_TOL, why, sizeof why);
	else if (status != j->ref_status)
		snprintf(why, sizeof why, "exited with status %d, not %d", status, j->ref_status);
	else if (j->deterministic && after->truncated)
		snprintf(why, sizeof why, "printed more than %u bytes", BIN_OUT_MAX);
	else if (j->deterministic &&
		 !npb_output_completes(j->ref_out.p, j->ref_out.len, before->p, before->len,
				       after->p, after->len))
		snprintf(why, sizeof why, "its output is not the uninterrupted run's (%zu bytes"
			 " before the kill, %zu after the restart, %zu expected)", before->len,
			 after->len, j->ref_out.len);
	if (!strcmp(who, "criu")) { /* criu's result, not ours: reported only */
		if (*why)
			mb_say("%s: the copy criu restored %s", c->where, why);
		return;
	}
	if (!*why) {
		r->residual_ok = 1;
		return;
	}
	r->residual_ok = 0;
	r->ok = 0;
	mb_fail_check(c, "%s: the %s copy %s", c->where, who, why);
}

/* drops the image's cache, restarts it, runs it to its end, checks the end */
static int npb_restart(struct mb_ctx *c, struct npb_job *j, const char *img, struct mb_run *r,
		       const struct mb_buf *before)
{
	char *argv[] = { c->tools.path[T_RESTART], (char *)img, NULL };
	struct mb_buf after = { .max = BIN_OUT_MAX };
	struct npb_out got = { 0 };
	struct mb_chan ch;
	double t0, end;
	int rc, st;
	pid_t pid;

	if ((rc = mb_drop_cache(c, img)) || (rc = chan_open(&ch, 0)))
		return rc;
	t0 = mb_now();
	end = t0 + j->timeout;
	if ((rc = proc_spawn(argv, -1, ch.cout, &pid))) {
		mb_err("%s: cannot start %s: %s", c->where, argv[0], strerror(-rc));
		chan_close(&ch);
		return -EIO;
	}
	chan_spawned(&ch);
	rc = j->lu ? restarted_lines(j, &ch, t0, end, r, &got) : chan_collect(&ch, &after, end);
	if (!rc)
		rc = proc_wait(pid, end - mb_now(), &st);
	chan_close(&ch);
	if (rc) {
		proc_kill(pid);
		buf_free(&after);
		if (rc != -EINTR)
			mb_err("%s: the restarted program did not end within %.0f s", c->where,
			       j->timeout);
		return rc == -EINTR ? rc : -EIO;
	}
	if (j->lu && proc_code(st))
		fail_note(c, "the restarted npb_lu failed", proc_code(st));
	check_end(c, j, r, proc_code(st), &got, before, &after, "restarted");
	buf_free(&after);
	unlink(img);
	return 0;
}

/* --compare criu: the same program dumped and restored by criu */
static int npb_criu(struct mb_ctx *c, struct npb_job *j, struct mb_run *r)
{
	struct mb_buf out = { .max = BIN_OUT_MAX }, none = { 0 };
	struct npb_out got;
	int rc, st = 0;

	rc = mb_criu_job(c, j->argv, j->lu && c->o->delay < 0 ? j->half : -1, c->o->delay, r,
			 &st, &out);
	if (!rc && !isnan(r->criu_todisk_s)) {
		npb_scan(out.p, out.len, &got);
		check_end(c, j, r, st, &got, &none, &out, "criu");
	}
	buf_free(&out);
	return rc;
}

static void run_line(struct mb_ctx *c, struct npb_job *j, unsigned idx, unsigned count,
		     const struct mb_run *r)
{
	char disk[32], img[32], rst[32], wb[32], rb[32], left[64], criu[160] = "", at[48] = "";
	char plain[32];

	mb_fmt_secs(r->run_time_s, plain, sizeof plain);
	mb_fmt_secs(r->todisk_s, disk, sizeof disk);
	mb_fmt_bytes(r->image_bytes, img, sizeof img);
	mb_fmt_secs(r->restart_s, rst, sizeof rst);
	mb_fmt_secs(r->write_base_s, wb, sizeof wb);
	mb_fmt_secs(r->read_base_s, rb, sizeof rb);
	if (!isnan(r->criu_todisk_s)) {
		char a[32], d[32];

		mb_fmt_secs(r->criu_todisk_s, a, sizeof a);
		mb_fmt_secs(r->criu_restart_s, d, sizeof d);
		snprintf(criu, sizeof criu, "; criu: dump %s, restore %s", a, d);
	}
	if (j->lu && j->resumed >= 0)
		snprintf(at, sizeof at, " (resumed at iteration %ld)", j->resumed);
	mb_progress_left(&c->progress, left, sizeof left);
	mb_say("%s [point %u/%u] run %u/%u (%s): uninterrupted %s; checkpoint %s, image %s,"
	       " restart %s%s, %s; write+fsync %s, read-back %s%s; %s", j->label, idx, count,
	       r->run, c->o->runs, r->order, plain, disk, img, rst, at,
	       r->ok ? (j->lu ? "residuals equal" : "same end") : "CHECK FAILED", wb, rb, criu,
	       left);
}

/* one run in the order its number says (see point.h) */
static int one_run(struct mb_ctx *c, struct npb_job *j, struct mb_run *r, long long prev_image)
{
	struct mb_buf before = { .max = BIN_OUT_MAX };
	char img[PATH_MAX];
	int rc;

	r->data_bytes = j->lu && j->ref.memory_kib >= 0 ? j->ref.memory_kib * 1024 : -1;
	if (r->run % 2) {
		snprintf(r->order, sizeof r->order, "ckpt-base");
		if (!(rc = npb_checkpoint(c, j, r, img, sizeof img, &before))) {
			r->base_bytes = mb_base_bytes(r->image_bytes);
			if (!(rc = mb_base_write(c, r->base_bytes, &r->write_base_s)) &&
			    !(rc = npb_restart(c, j, img, r, &before)))
				rc = mb_base_read(c, &r->read_base_s);
		}
	} else {
		snprintf(r->order, sizeof r->order, "base-ckpt");
		r->base_bytes = mb_base_bytes(prev_image);
		if (!(rc = mb_base_write(c, r->base_bytes, &r->write_base_s)) &&
		    !(rc = npb_checkpoint(c, j, r, img, sizeof img, &before)) &&
		    !(rc = mb_base_read(c, &r->read_base_s)))
			rc = npb_restart(c, j, img, r, &before);
	}
	buf_free(&before);
	if (!rc && c->criu)
		rc = npb_criu(c, j, r);
	return rc;
}

static int job_point(struct mb_ctx *c, struct npb_job *j, unsigned idx, unsigned count)
{
	struct mb_run runs[MB_RUNS_MAX];
	long long prev_image = -1;
	struct mb_point p;
	int rc;

	for (unsigned i = 0; i < c->o->runs; i++) {
		struct mb_run *r = &runs[i];

		snprintf(c->where, sizeof c->where, "%s run %u/%u", j->label, i + 1, c->o->runs);
		mb_run_init(r, i + 1);
		if (i == 0) {
			if ((rc = reference(c, j)))
				return rc;
			r->run_time_s = j->first_time;
			/* a restarted run may take as long as an uninterrupted one, and more */
			j->timeout = 3 * j->ref_time + 600;
		} else if ((rc = again(c, j, r))) {
			return rc;
		}
		if ((rc = one_run(c, j, r, prev_image)))
			return rc;
		prev_image = r->image_bytes;
		mb_progress_add(&c->progress, 2 * j->units);
		if ((rc = mb_emit_run(c, &j->key, r)))
			return rc;
		run_line(c, j, idx, count, r);
	}
	mb_point_of(runs, c->o->runs, &p);
	return mb_emit_point(c, &j->key, &p);
}

static void job_init(struct mb_ctx *c, struct npb_job *j, char cls, char *cls_arg)
{
	const struct mb_opts *o = c->o;

	memset(j, 0, sizeof *j);
	j->key.mode = "npb";
	j->timeout = 4 * 3600; /* for the reference run */
	if (!o->binary) {
		j->lu = 1;
		j->key.kind = "lu";
		j->key.unit = "class";
		j->key.point[0] = j->key.cls[0] = cls;
		cls_arg[0] = cls;
		cls_arg[1] = 0;
		j->argv[0] = c->tools.path[T_NPB];
		j->argv[1] = cls_arg;
		j->units = mb_npb_class_units(cls);
		snprintf(j->label, sizeof j->label, "npb %c", cls);
		return;
	}
	j->key.kind = "binary";
	j->key.unit = "program";
	snprintf(j->key.point, sizeof j->key.point, "%s",
		 strrchr(o->binary, '/') ? strrchr(o->binary, '/') + 1 : o->binary);
	j->argv[0] = (char *)o->binary;
	for (int i = 0; i < o->bin_nargs && i < ARGS_MAX - 1; i++)
		j->argv[i + 1] = o->bin_args[i];
	j->units = 1;
	snprintf(j->label, sizeof j->label, "npb %s", j->key.point);
}

int mb_mode_npb(struct mb_ctx *c)
{
	static struct npb_job job; /* large: its argv */
	const struct mb_opts *o = c->o;
	size_t n = o->binary ? 1 : strlen(o->classes);
	double total = 0;
	char cls_arg[2];
	int rc = 0;

	if (o->interval > 0)
		return mb_mode_npb_interval(c);
	if (o->bin_nargs > ARGS_MAX - 1) {
		mb_err("--binary: more than %d arguments", ARGS_MAX - 1);
		return -EIO;
	}
	for (size_t i = 0; i < n; i++)
		total += (o->binary ? 1 : mb_npb_class_units(o->classes[i])) * o->runs * 2;
	mb_progress_init(&c->progress, total);
	mb_say("npb: %s%s, %u run(s) of each: an uninterrupted run (the first one's end is the"
	       " reference%s), then a checkpointed, killed and restarted one",
	       o->binary ? "--binary " : "class(es) ", o->binary ? o->binary : o->classes,
	       o->runs, o->binary ? "; the first run goes twice, to see if its output is"
	       " deterministic" : "");
	for (size_t i = 0; i < n && !rc; i++) {
		job_init(c, &job, o->binary ? 0 : o->classes[i], cls_arg);
		rc = job_point(c, &job, (unsigned)i + 1, (unsigned)n);
		buf_free(&job.ref_out);
	}
	return rc;
}
