/* SPDX-License-Identifier: MIT */
/*
 * bprog.c: checkpointing and restarting bench_prog, and what it answers
 * (its commands: bench/progs/bench_prog.c).
 */
#include "bprog.h"

#include "baseline.h"
#include "ckptout.h"
#include "ctx.h"
#include "interval.h"
#include "log.h"
#include "proc.h"
#include "result.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define ARGS_MAX 16

double bprog_stall_secs(const char *line)
{
	char *end;
	unsigned long long ns;

	if (strncmp(line, "stall ", 6))
		return NAN;
	ns = strtoull(line + 6, &end, 10);
	return end == line + 6 ? NAN : (double)ns / 1e9;
}

long long bprog_ready_bytes(const char *line)
{
	const char *b = strstr(line, " bytes=");

	return b ? strtoll(b + 7, NULL, 10) : -1;
}

int bprog_expect(struct mb_ctx *c, struct mb_chan *ch, const char *word, double timeout,
		  char *line, size_t n)
{
	size_t wl = strlen(word);
	int rc = chan_line(ch, timeout, line, n);
	char tail[512];

	if (rc == -EINTR)
		return rc;
	if (!rc && !strncmp(line, word, wl) && (line[wl] == 0 || line[wl] == ' '))
		return 0;
	if (!rc && !strncmp(line, "FAIL", 4)) {
		mb_fail_check(c, "%s: the program found its data changed: %s", c->where, line);
		return -EBADMSG;
	}
	proc_errtail(tail, sizeof tail);
	if (!rc)
		mb_err("%s: expected '%s' from the program, got '%s'", c->where, word, line);
	else if (rc == -EPIPE)
		mb_err("%s: the program ended before answering '%s' (stderr: %s)", c->where, word,
		       tail);
	else
		mb_err("%s: no '%s' from the program within %.0f s (stderr: %s)", c->where, word,
		       timeout, tail);
	return -EIO;
}

int bprog_ask(struct mb_ctx *c, struct mb_chan *ch, const char *cmd, const char *word,
	       double timeout, char *line, size_t n)
{
	if (chan_send(ch, cmd)) {
		mb_err("%s: cannot send '%s' to the program: %s", c->where, cmd, strerror(errno));
		return -EIO;
	}
	return bprog_expect(c, ch, word, timeout, line, n);
}

int bprog_verify(struct mb_ctx *c, struct mb_chan *ch, int *ok, int *expect_status)
{
	char line[512];
	int rc = bprog_ask(c, ch, "verify", "ok", BPROG_TIMEOUT, line, sizeof line);

	if (rc == -EBADMSG) {
		*ok = 0;
		*expect_status = 1;
		return 0;
	}
	return rc;
}

int bprog_quit(struct mb_ctx *c, struct mb_chan *ch, pid_t pid, int expect_status)
{
	char tail[512];
	int st, rc;

	if (!expect_status)
		chan_send(ch, "quit");
	rc = proc_wait(pid, BPROG_ANSWER_TIMEOUT, &st);
	if (rc == -EINTR)
		return rc;
	if (rc) {
		mb_err("%s: the program did not end within %.0f s of quit", c->where,
		       BPROG_ANSWER_TIMEOUT);
		return -EIO;
	}
	if (proc_code(st) != expect_status) {
		proc_errtail(tail, sizeof tail);
		mb_err("%s: the program ended with status %d (stderr: %s)", c->where,
		       proc_code(st), tail);
		return -EIO;
	}
	return 0;
}

extern char **environ;

int bprog_own_start(struct mb_ctx *c, struct bprog_own *p, const char *name,
		    const char *const *force, size_t nforce, char *const work[],
		    long long *data_bytes)
{
	char *argv[ARGS_MAX + 10], line[512];
	int k = 0, rc;

	memset(p, 0, sizeof *p);
	p->pid = -1;
	p->ch.wfd = p->ch.rfd = p->ch.cin = p->ch.cout = -1;
	if (mb_work_file(c, name, p->dir, sizeof p->dir) || (mkdir(p->dir, 0700) && errno != EEXIST)) {
		mb_err("%s: cannot make a directory in %s: %s", c->where, c->work, strerror(errno));
		return -EIO;
	}
	argv[k++] = c->tools.path[T_LAUNCH];
	argv[k++] = "--dir";
	argv[k++] = p->dir;
	argv[k++] = "--keep";
	argv[k++] = "2";
	argv[k++] = "--interval";
	argv[k++] = "0";
	argv[k++] = "--";
	argv[k++] = c->tools.path[T_PROG];
	for (int i = 0; work[i] && i < ARGS_MAX; i++)
		argv[k++] = work[i];
	argv[k] = NULL;
	if (!(p->env = mb_iv_env(environ, force, nforce, NULL, 0))) {
		mb_err("%s: out of memory for the environment", c->where);
		return -EIO;
	}
	if ((rc = chan_open(&p->ch, 1)) ||
	    (rc = proc_spawn_env(argv, p->env, p->ch.cin, p->ch.cout, &p->pid))) {
		mb_err("%s: cannot start %s: %s", c->where, argv[0], strerror(-rc));
		return -EIO;
	}
	chan_spawned(&p->ch);
	if ((rc = bprog_expect(c, &p->ch, "ready", BPROG_TIMEOUT, line, sizeof line)))
		return rc == -EBADMSG ? -EIO : rc;
	*data_bytes = bprog_ready_bytes(line);
	return 0;
}

int bprog_own_end(struct mb_ctx *c, struct bprog_own *p, int failed, int *ok)
{
	int rc = 0;

	if (!failed && p->pid > 0) {
		if ((rc = bprog_verify(c, &p->ch, ok, &p->status)) ||
		    (rc = bprog_quit(c, &p->ch, p->pid, p->status)))
			rc = rc == -EBADMSG ? -EIO : rc;
		else
			p->pid = -1;
	}
	if (p->pid > 0)
		proc_kill(p->pid);
	p->pid = -1;
	chan_close(&p->ch);
	free(p->env);
	p->env = NULL;
	return rc;
}

int bprog_rewrite(struct mb_ctx *c, struct mb_chan *ch, double pct, int window,
		  long long *bytes)
{
	char cmd[64], line[512];
	unsigned long long pages, b;
	int rc;

	snprintf(cmd, sizeof cmd, "rewrite %g%s", pct, window ? " window" : "");
	if ((rc = bprog_ask(c, ch, cmd, "rewritten", BPROG_TIMEOUT, line, sizeof line)))
		return rc == -EBADMSG ? -EIO : rc;
	if (sscanf(line, "rewritten %llu %llu", &pages, &b) != 2) {
		mb_err("%s: the program answered '%s' to '%s'", c->where, line, cmd);
		return -EIO;
	}
	*bytes = (long long)b;
	return 0;
}

int bprog_ckpt_wait(struct mb_ctx *c, pid_t pid, double *secs, double *paused, char *img,
		    size_t n, long long *bytes)
{
	char pidbuf[16], out[PATH_MAX + 64], errout[4096], tail[512];
	char *argv[] = { c->tools.path[T_CHECKPOINT], "--wait", "--timeout", "1200", pidbuf, NULL };
	struct stat sb;
	int rc, st;

	snprintf(pidbuf, sizeof pidbuf, "%d", (int)pid);
	rc = proc_capture_err(argv, BPROG_TIMEOUT + 60, out, sizeof out, errout, sizeof errout, &st,
			      secs);
	if (rc || proc_code(st)) {
		proc_errtail(tail, sizeof tail);
		if (rc == -EINTR)
			return rc;
		if (rc)
			mb_err("%s: mtcp_checkpoint --wait %s: %s (stderr: %s)", c->where, pidbuf,
			       strerror(-rc), tail);
		else
			mb_err("%s: mtcp_checkpoint --wait %s failed with status %d (stderr: %s)",
			       c->where, pidbuf, proc_code(st), tail);
		return -EIO;
	}
	*paused = mb_ckpt_paused_secs(errout);
	out[strcspn(out, "\n")] = 0;
	if (snprintf(img, n, "%s", out) >= (int)n || stat(img, &sb) || !S_ISREG(sb.st_mode)) {
		mb_err("%s: mtcp_checkpoint printed '%s', which is not a file", c->where, out);
		return -EIO;
	}
	*bytes = (long long)sb.st_size;
	return 0;
}

int bprog_checkpoint(struct mb_ctx *c, char *const args[], enum mb_side side, int verbose,
		     struct mb_run *r, char *img, size_t n)
{
	char *argv[ARGS_MAX + 10], pidbuf[16], out[PATH_MAX + 64], line[512], tail[512];
	char errout[4096];
	static char said[16384];
	char **env = verbose && mb_side_is_cow(side) ? mb_side_env_verbose(side) : mb_side_env(side);
	long long mark;
	char *ckpt[] = { c->tools.path[T_CHECKPOINT], "--wait", "--timeout", "1200", pidbuf, NULL };
	int k = 0, st, rc, status = 0;
	struct mb_chan ch;
	struct stat sb;
	pid_t pid = -1;
	double secs;

	k = mb_launch_argv(c, argv);
	argv[k++] = c->tools.path[T_PROG];
	for (int i = 0; args[i] && i < ARGS_MAX; i++)
		argv[k++] = args[i];
	argv[k] = NULL;
	if (!env) {
		mb_err("%s: out of memory for the environment", c->where);
		return -EIO;
	}
	if ((rc = chan_open(&ch, 1)) || (rc = proc_spawn_env(argv, env, ch.cin, ch.cout, &pid))) {
		mb_err("%s: cannot start %s: %s", c->where, argv[0], strerror(-rc));
		chan_close(&ch);
		return -EIO;
	}
	chan_spawned(&ch);
	if ((rc = bprog_expect(c, &ch, "ready", BPROG_TIMEOUT, line, sizeof line)))
		goto out_kill;
	r->data_bytes = bprog_ready_bytes(line);
	if ((rc = bprog_ask(c, &ch, "reset", "reset", BPROG_ANSWER_TIMEOUT, line, sizeof line)))
		goto out_kill;
	snprintf(pidbuf, sizeof pidbuf, "%d", (int)pid);
	mark = proc_errlog_size();
	rc = proc_capture_err(ckpt, BPROG_TIMEOUT + 60, out, sizeof out, errout, sizeof errout, &st,
			      &secs);
	if (rc || proc_code(st)) {
		proc_errtail(tail, sizeof tail);
		if (rc == -ETIMEDOUT)
			mb_err("%s: mtcp_checkpoint --wait %s did not end in time (stderr: %s)",
			       c->where, pidbuf, tail);
		else if (rc == 0)
			mb_err("%s: mtcp_checkpoint --wait %s failed with status %d (stderr: %s)",
			       c->where, pidbuf, proc_code(st), tail);
		else if (rc != -EINTR)
			mb_err("%s: cannot run mtcp_checkpoint: %s", c->where, strerror(-rc));
		rc = rc == -EINTR ? rc : -EIO;
		goto out_kill;
	}
	r->todisk_s = secs;
	r->reported_pause_s = mb_ckpt_paused_secs(errout);
	if (mb_side_is_cow(side)) {
		long long kib;

		/* the library wrote it before it answered mtcp_checkpoint */
		proc_errlog_since(mark, said, sizeof said);
		kib = mb_cow_extra_kib(said);
		r->extra_bytes = kib < 0 ? -1 : kib * 1024;
	}
	out[strcspn(out, "\n")] = 0;
	if (snprintf(img, n, "%s", out) >= (int)n) {
		mb_err("%s: mtcp_checkpoint printed a path longer than %zu bytes", c->where, n);
		rc = -EIO;
		goto out_kill;
	}
	if ((rc = bprog_ask(c, &ch, "report", "stall", BPROG_ANSWER_TIMEOUT, line, sizeof line)))
		goto out_kill;
	r->pause_s = bprog_stall_secs(line);
	if ((rc = bprog_verify(c, &ch, &r->ok, &status)) || (rc = bprog_quit(c, &ch, pid, status)))
		goto out_kill;
	chan_close(&ch);
	if (stat(img, &sb) || !S_ISREG(sb.st_mode)) {
		mb_err("%s: mtcp_checkpoint printed '%s', which is not a file", c->where, img);
		return -EIO;
	}
	r->image_bytes = (long long)sb.st_size;
	return 0;
out_kill:
	proc_kill(pid);
	chan_close(&ch);
	return rc == -EBADMSG ? -EIO : rc;
}

int bprog_restart(struct mb_ctx *c, const char *img, struct mb_run *r)
{
	int rc;

	if ((rc = mb_drop_cache(c, img)) || (rc = bprog_restart_timed(c, img, &r->restart_s, &r->ok)))
		return rc;
	unlink(img);
	return 0;
}

int bprog_restart_timed(struct mb_ctx *c, const char *img, double *secs, int *ok)
{
	char *argv[] = { c->tools.path[T_RESTART], (char *)img, NULL };
	char line[512];
	int rc, status = 0;
	struct mb_chan ch;
	pid_t pid = -1;
	double t0;

	if ((rc = chan_open(&ch, 1)) || (rc = chan_send(&ch, "ping"))) {
		mb_err("%s: cannot make a pipe: %s", c->where, strerror(-rc));
		chan_close(&ch);
		return -EIO;
	}
	t0 = mb_now();
	if ((rc = proc_spawn(argv, ch.cin, ch.cout, &pid))) {
		mb_err("%s: cannot start %s: %s", c->where, argv[0], strerror(-rc));
		chan_close(&ch);
		return -EIO;
	}
	chan_spawned(&ch);
	if ((rc = bprog_expect(c, &ch, "pong", BPROG_TIMEOUT, line, sizeof line)))
		goto out_kill;
	*secs = mb_now() - t0;
	if ((rc = bprog_verify(c, &ch, ok, &status)) || (rc = bprog_quit(c, &ch, pid, status)))
		goto out_kill;
	chan_close(&ch);
	return 0;
out_kill:
	proc_kill(pid);
	chan_close(&ch);
	return rc == -EBADMSG ? -EIO : rc;
}
