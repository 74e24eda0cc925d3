/* SPDX-License-Identifier: MIT */
/*
 * criu.c: the --compare criu runs.
 */
#include "criu.h"

#include "baseline.h"
#include "bprog.h"
#include "ctx.h"
#include "log.h"
#include "proc.h"
#include "result.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define ARGS_MAX 16
#define CRIU_TIMEOUT 1200.0

void mb_criu_setup(struct mb_ctx *c)
{
	static char path[PATH_MAX];
	const char *env = getenv("PATH");
	char *dirs, *save = NULL;

	c->criu = NULL;
	if (!c->o->criu)
		return;
	if (geteuid() != 0) {
		mb_say("criu comparison skipped: criu dump and restore need root");
		return;
	}
	dirs = strdup(env && *env ? env : "/usr/sbin:/usr/bin:/sbin:/bin");
	for (char *d = dirs ? strtok_r(dirs, ":", &save) : NULL; d; d = strtok_r(NULL, ":", &save)) {
		snprintf(path, sizeof path, "%s/criu", *d ? d : ".");
		if (!access(path, X_OK)) {
			c->criu = path;
			break;
		}
	}
	free(dirs);
	if (!c->criu)
		mb_say("criu comparison skipped: no criu on PATH");
}

__attribute__((format(printf, 2, 3))) static void criu_off(struct mb_ctx *c, const char *fmt,
							  ...)
{
	char why[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof why, fmt, ap);
	va_end(ap);
	mb_say("criu comparison skipped from here on (%s): %s", c->where, why);
	c->criu = NULL;
}

/* criu's first error of its own in log (not a helper's exit status) */
static void criu_error(const char *log, char *buf, size_t n)
{
	FILE *f = fopen(log, "r");
	char line[1024];

	snprintf(buf, n, "criu gave no error message");
	if (!f)
		return;
	while (fgets(line, sizeof line, f)) {
		char *p = strstr(line, "Error"), *q;

		if (!p || strstr(line, "exited, status="))
			continue;
		if ((q = strstr(p, "): ")))
			p = q + 3;
		p[strcspn(p, "\n")] = 0;
		snprintf(buf, n, "%s", p);
		break;
	}
	fclose(f);
}



/* bytes of the regular files in dir; each dropped from the page cache */
static long long dir_bytes_dropped(struct mb_ctx *c, const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	long long sum = 0;

	if (!d)
		return -1;
	while ((e = readdir(d))) {
		char p[PATH_MAX];
		struct stat sb;

		snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
		if (stat(p, &sb) || !S_ISREG(sb.st_mode))
			continue;
		sum += sb.st_size;
		mb_drop_cache(c, p);
	}
	closedir(d);
	return sum;
}

/* lines of the file at path that start with prefix */
static int count_lines(const char *path, const char *prefix, int *fail)
{
	FILE *f = fopen(path, "r");
	char line[1024];
	int n = 0;

	if (!f)
		return 0;
	while (fgets(line, sizeof line, f)) {
		n += !strncmp(line, prefix, strlen(prefix));
		*fail |= !strncmp(line, "FAIL", 4);
	}
	fclose(f);
	return n;
}

/* waits until count lines of path start with prefix; 0, -ETIMEDOUT, -EBADMSG (FAIL), -EINTR */
static int wait_lines(const char *path, const char *prefix, int count, double timeout)
{
	double end = mb_now() + timeout;

	while (mb_now() < end) {
		int fail = 0;

		if (count_lines(path, prefix, &fail) >= count)
			return 0;
		if (fail)
			return -EBADMSG;
		if (proc_signal())
			return -EINTR;
		proc_nap(0.01);
	}
	return -ETIMEDOUT;
}

/* the last line of path that starts with prefix, in buf */
static void last_line(const char *path, const char *prefix, char *buf, size_t n)
{
	FILE *f = fopen(path, "r");
	char line[1024];

	*buf = 0;
	if (!f)
		return;
	while (fgets(line, sizeof line, f))
		if (!strncmp(line, prefix, strlen(prefix))) {
			line[strcspn(line, "\n")] = 0;
			snprintf(buf, n, "%s", line);
		}
	fclose(f);
}

struct criu_paths {
	char out[PATH_MAX], img[PATH_MAX], work[PATH_MAX], log[PATH_MAX + 16];
};

/* fresh image and work directories, an empty output file opened for the program */
static int criu_prepare(struct mb_ctx *c, struct criu_paths *p, int *out_fd)
{
	if (mb_work_file(c, "criu.out", p->out, sizeof p->out) ||
	    mb_work_file(c, "criu-img", p->img, sizeof p->img) ||
	    mb_work_file(c, "criu-work", p->work, sizeof p->work))
		return -ENAMETOOLONG;
	mb_rm_tree(p->img);
	if ((mkdir(p->img, 0700) && errno != EEXIST) || (mkdir(p->work, 0700) && errno != EEXIST))
		return -errno;
	/* O_APPEND: the restored program goes on at the end of what it wrote */
	*out_fd = open(p->out, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0600);
	return *out_fd < 0 ? -errno : 0;
}

/* criu dump or restore; 0, or -EAGAIN after turning the comparison off */
static int criu_do(struct mb_ctx *c, struct criu_paths *p, const char *what, pid_t pid,
		   double *secs)
{
	char pidbuf[16], err[512], out[256], logname[32];
	char *dump[] = { (char *)c->criu, "dump", "-t", pidbuf, "-D", p->img, "-W", p->work,
			 "-o", logname, "--shell-job", NULL, NULL };
	char *restore[] = { (char *)c->criu, "restore", "-D", p->img, "-W", p->work, "-o",
			    logname, "--shell-job", "-d", NULL };
	int st, rc, is_dump = strncmp(what, "dump", 4) == 0;

	snprintf(pidbuf, sizeof pidbuf, "%d", (int)pid);
	snprintf(logname, sizeof logname, "%s.log", is_dump ? "dump" : "restore");
	if (snprintf(p->log, sizeof p->log, "%s/%s", p->work, logname) >= (int)sizeof p->log)
		return -ENAMETOOLONG;
	if (!strcmp(what, "dump --leave-running"))
		dump[11] = "--leave-running";
	rc = proc_capture(is_dump ? dump : restore, CRIU_TIMEOUT, out, sizeof out, &st, secs);
	if (rc == -EINTR)
		return rc;
	if (rc || proc_code(st)) {
		criu_error(p->log, err, sizeof err);
		criu_off(c, "criu %s failed: %s", is_dump ? "dump" : "restore", err);
		return -EAGAIN;
	}
	return 0;
}

/* ends our child pid (SIGTERM: bench_prog exits 0), at most 60 s */
static void criu_end(pid_t pid, int sig)
{
	int st;

	kill(pid, sig);
	if (proc_wait(pid, 60, &st))
		proc_kill(pid);
}

int mb_criu_bprog(struct mb_ctx *c, char *const args[], struct mb_run *r)
{
	char *argv[ARGS_MAX + 2], line[1024];
	struct criu_paths p;
	int fd, k = 0, rc, n, fail = 0;
	pid_t pid;
	double secs, t0;

	argv[k++] = c->tools.path[T_PROG];
	for (int i = 0; args[i] && i < ARGS_MAX; i++)
		argv[k++] = args[i];
	argv[k] = NULL;
	if ((rc = criu_prepare(c, &p, &fd))) {
		mb_err("%s: cannot prepare the criu run in %s: %s", c->where, c->work,
		       strerror(-rc));
		return -EIO;
	}
	rc = proc_spawn(argv, -1, fd, &pid);
	close(fd);
	if (rc) {
		mb_err("%s: cannot start %s: %s", c->where, argv[0], strerror(-rc));
		return -EIO;
	}
	if ((rc = wait_lines(p.out, "ready", 1, BPROG_TIMEOUT)))
		goto out_bad;
	kill(pid, SIGUSR1);
	if ((rc = wait_lines(p.out, "reset", 1, BPROG_ANSWER_TIMEOUT)))
		goto out_bad;
	if ((rc = criu_do(c, &p, "dump --leave-running", pid, &secs))) {
		criu_end(pid, SIGTERM);
		return rc == -EAGAIN ? 0 : rc;
	}
	r->criu_todisk_s = secs;
	kill(pid, SIGUSR2);
	if ((rc = wait_lines(p.out, "ok", 1, BPROG_TIMEOUT)))
		goto out_bad;
	last_line(p.out, "stall", line, sizeof line);
	r->criu_pause_s = bprog_stall_secs(line);
	criu_end(pid, SIGTERM);
	r->criu_image_bytes = dir_bytes_dropped(c, p.img);
	n = count_lines(p.out, "reset", &fail);
	t0 = mb_now();
	if ((rc = criu_do(c, &p, "restore", pid, &secs)))
		return rc == -EAGAIN ? 0 : rc;
	/* the restored program is ours now (we are its subreaper) */
	kill(pid, SIGUSR1);
	if ((rc = wait_lines(p.out, "reset", n + 1, BPROG_TIMEOUT)))
		goto out_bad;
	r->criu_restart_s = mb_now() - t0;
	kill(pid, SIGUSR2);
	if ((rc = wait_lines(p.out, "ok", 2, BPROG_TIMEOUT)))
		goto out_bad;
	criu_end(pid, SIGKILL);
	mb_rm_tree(p.img);
	return 0;
out_bad:
	proc_kill(pid);
	kill(pid, SIGKILL); /* a restored one that is not (yet) our child */
	if (rc == -EINTR)
		return rc;
	if (rc == -EBADMSG) {
		last_line(p.out, "FAIL", line, sizeof line);
		mb_fail_check(c, "%s (criu): the program found its data changed: %s", c->where,
			      line);
		r->ok = 0;
		return 0;
	}
	mb_err("%s (criu): the program did not answer in time", c->where);
	return -EIO;
}

/* appends the file at path to out */
static void slurp(const char *path, struct mb_buf *out)
{
	struct mb_chan ch = { .wfd = -1, .cin = -1, .cout = -1 };

	if ((ch.rfd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return;
	chan_collect(&ch, out, mb_now() + 60);
	close(ch.rfd);
}

/* has the program printed "iter K/" with K >= half yet? */
static int past_half(const char *path, long half)
{
	FILE *f = fopen(path, "r");
	char line[256];
	int found = 0;

	if (!f)
		return 0;
	while (!found && fgets(line, sizeof line, f)) {
		long k;

		found = sscanf(line, "iter %ld/", &k) == 1 && k >= half;
	}
	fclose(f);
	return found;
}

int mb_criu_job(struct mb_ctx *c, char *const argv[], long half, double delay,
		struct mb_run *r, int *status, struct mb_buf *out)
{
	struct criu_paths p;
	int fd, rc, st;
	pid_t pid;
	double dump_s, secs, t0, restart_s;
	long long image;

	if ((rc = criu_prepare(c, &p, &fd))) {
		mb_err("%s: cannot prepare the criu run in %s: %s", c->where, c->work,
		       strerror(-rc));
		return -EIO;
	}
	t0 = mb_now();
	rc = proc_spawn(argv, -1, fd, &pid);
	close(fd);
	if (rc) {
		mb_err("%s: cannot start %s: %s", c->where, argv[0], strerror(-rc));
		return -EIO;
	}
	while (half > 0 ? !past_half(p.out, half) : mb_now() - t0 < delay) {
		if (waitpid(pid, &st, WNOHANG) == pid) {
			criu_off(c, "%s ended before criu dump could be asked", argv[0]);
			return 0;
		}
		if (proc_signal()) {
			proc_kill(pid);
			return -EINTR;
		}
		proc_nap(0.01);
	}
	if ((rc = criu_do(c, &p, "dump", pid, &dump_s))) {
		proc_kill(pid);
		return rc == -EAGAIN ? 0 : rc;
	}
	proc_kill(pid); /* criu dump ended it; reap it */
	image = dir_bytes_dropped(c, p.img);
	t0 = mb_now();
	if ((rc = criu_do(c, &p, "restore", pid, &secs)))
		return rc == -EAGAIN ? 0 : rc;
	restart_s = mb_now() - t0;
	rc = proc_wait(pid, 4 * 3600, &st); /* ours: we are its subreaper */
	if (rc) {
		kill(pid, SIGKILL);
		proc_kill(pid);
		if (rc == -EINTR)
			return rc;
		mb_err("%s (criu): the restored program did not end", c->where);
		return -EIO;
	}
	r->criu_todisk_s = dump_s;
	r->criu_image_bytes = image;
	r->criu_restart_s = restart_s;
	*status = proc_code(st);
	slurp(p.out, out);
	mb_rm_tree(p.img);
	return 0;
}
