/* SPDX-License-Identifier: MIT */
/*
 * proc.c: starting, waiting for, talking to and killing child processes.
 */
#include "proc.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* how long a wait sleeps at most before it looks at the stop flag again */
#define SLICE_MS 100

extern char **environ;

static volatile sig_atomic_t stop_sig;
static int err_fd = -1;

double mb_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void on_stop(int sig)
{
	if (!stop_sig)
		stop_sig = sig;
}

int proc_setup(int errfd)
{
	/* no SA_RESTART: a blocking call returns EINTR and the loop sees the flag */
	struct sigaction sa = { .sa_handler = on_stop };
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT };

	err_fd = errfd;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
		if (sigaction(sigs[i], &sa, NULL))
			return -errno;
	signal(SIGPIPE, SIG_IGN); /* a child that died: EPIPE on its stdin */
	if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0))
		return -errno;
	return 0;
}

int proc_signal(void)
{
	return stop_sig;
}

void proc_nap(double secs)
{
	double end = mb_now() + secs;

	while (!stop_sig) {
		double left = end - mb_now();
		struct timespec ts;

		if (left <= 0)
			return;
		if (left > SLICE_MS / 1e3)
			left = SLICE_MS / 1e3;
		ts.tv_sec = (time_t)left;
		ts.tv_nsec = (long)((left - (double)ts.tv_sec) * 1e9);
		nanosleep(&ts, NULL);
	}
}

/* argv with envp, stdin in, stdout out, stderr err (-1: the error log) */
static int spawn(char *const argv[], char *const envp[], int in, int out, int err, pid_t *pid)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	sigset_t none, dfl;
	int rc;

	sigemptyset(&none);
	sigemptyset(&dfl);
	sigaddset(&dfl, SIGPIPE);
	sigaddset(&dfl, SIGINT);
	sigaddset(&dfl, SIGTERM);
	sigaddset(&dfl, SIGHUP);
	sigaddset(&dfl, SIGQUIT);
	posix_spawn_file_actions_init(&fa);
	posix_spawnattr_init(&at);
	if (in >= 0)
		posix_spawn_file_actions_adddup2(&fa, in, 0);
	else
		posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	if (out >= 0)
		posix_spawn_file_actions_adddup2(&fa, out, 1);
	else
		posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	if (err >= 0)
		posix_spawn_file_actions_adddup2(&fa, err, 2);
	else if (err_fd >= 0)
		posix_spawn_file_actions_adddup2(&fa, err_fd, 2);
	/* nothing else: no fd we inherited (a checkpointed program would warn about it) */
	posix_spawn_file_actions_addclosefrom_np(&fa, 3);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK |
					      POSIX_SPAWN_SETSIGDEF);
	posix_spawnattr_setpgroup(&at, 0);
	posix_spawnattr_setsigmask(&at, &none);
	posix_spawnattr_setsigdefault(&at, &dfl);
	rc = posix_spawn(pid, argv[0], &fa, &at, argv, envp ? envp : environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	return -rc;
}

int proc_spawn(char *const argv[], int in, int out, pid_t *pid)
{
	return spawn(argv, NULL, in, out, -1, pid);
}

int proc_spawn_env(char *const argv[], char *const envp[], int in, int out, pid_t *pid)
{
	return spawn(argv, envp, in, out, -1, pid);
}

static int pidfd_open(pid_t pid)
{
	return (int)syscall(SYS_pidfd_open, pid, 0);
}

int proc_wait(pid_t pid, double timeout, int *status)
{
	double end = mb_now() + timeout;
	int pfd = pidfd_open(pid), rc = -ETIMEDOUT;

	for (;;) {
		pid_t r = waitpid(pid, status, WNOHANG);
		double left = end - mb_now();
		struct pollfd p = { .fd = pfd, .events = POLLIN };
		int ms;

		if (r == pid) {
			rc = 0;
			break;
		}
		if (r < 0 && errno != EINTR) {
			rc = -errno;
			break;
		}
		if (stop_sig) {
			rc = -EINTR;
			break;
		}
		if (left <= 0)
			break;
		ms = left * 1e3 > SLICE_MS ? SLICE_MS : (int)(left * 1e3) + 1;
		if (pfd >= 0)
			poll(&p, 1, ms); /* readable once it has ended */
		else
			proc_nap(0.002); /* no pidfd: poll by the clock */
	}
	if (pfd >= 0)
		close(pfd);
	return rc;
}

int proc_ended(pid_t pid)
{
	siginfo_t si = { 0 };

	return !waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) && si.si_pid == pid;
}

int proc_code(int status)
{
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return 255;
}

/* appends the descendants of pid (deepest last is not needed: all get SIGKILL) */
static void descendants(pid_t pid, pid_t *out, size_t *n, size_t max, int depth)
{
	char path[64];
	DIR *d;
	struct dirent *e;

	if (depth > 32)
		return;
	snprintf(path, sizeof path, "/proc/%d/task", (int)pid);
	if (!(d = opendir(path)))
		return;
	while ((e = readdir(d))) {
		char cpath[400];
		FILE *f;
		int c;

		if (e->d_name[0] == '.')
			continue;
		snprintf(cpath, sizeof cpath, "%s/%s/children", path, e->d_name);
		if (!(f = fopen(cpath, "r")))
			continue;
		while (*n < max && fscanf(f, "%d", &c) == 1) {
			out[(*n)++] = c;
			descendants(c, out, n, max, depth + 1);
		}
		fclose(f);
	}
	closedir(d);
}

#define KILL_MAX 65536

static void kill_tree(pid_t root)
{
	static pid_t all[KILL_MAX];
	size_t n = 0;

	descendants(root, all, &n, KILL_MAX, 0);
	for (size_t i = 0; i < n; i++)
		kill(all[i], SIGKILL);
}

void proc_kill(pid_t pid)
{
	int st;

	if (pid <= 0)
		return;
	kill_tree(pid);
	kill(pid, SIGKILL);
	if (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		waitpid(pid, &st, 0);
}

void proc_kill_all(void)
{
	double end = mb_now() + 5;

	do {
		int st;

		kill_tree(getpid());
		while (waitpid(-1, &st, WNOHANG) > 0)
			;
		if (waitpid(-1, &st, WNOHANG) < 0 && errno == ECHILD)
			return;
		nanosleep(&(struct timespec){ .tv_nsec = 10000000 }, NULL);
	} while (mb_now() < end);
}

/* appends r bytes of tmp to buf (size n, len *len), NUL-terminated, the rest dropped */
static void keep(char *buf, size_t n, size_t *len, const char *tmp, ssize_t r)
{
	for (ssize_t i = 0; i < r && *len + 1 < n; i++)
		buf[(*len)++] = tmp[i];
	if (n)
		buf[*len] = 0;
}

int proc_capture_err(char *const argv[], double timeout, char *out, size_t n, char *err,
		     size_t errn, int *status, double *secs)
{
	int fds[2], efds[2] = { -1, -1 }, pfd, rc = 0, done = 0, edone = !err;
	double t0, end;
	size_t len = 0, elen = 0;
	pid_t pid;

	if (n)
		out[0] = 0;
	if (err && errn)
		err[0] = 0;
	if (pipe2(fds, O_CLOEXEC))
		return -errno;
	if (err && pipe2(efds, O_CLOEXEC)) {
		rc = -errno;
		close(fds[0]);
		close(fds[1]);
		return rc;
	}
	t0 = mb_now();
	rc = spawn(argv, NULL, -1, fds[1], efds[1], &pid);
	close(fds[1]);
	if (efds[1] >= 0)
		close(efds[1]);
	if (rc) {
		close(fds[0]);
		if (efds[0] >= 0)
			close(efds[0]);
		return rc;
	}
	end = t0 + timeout;
	*secs = -1;
	pfd = pidfd_open(pid);
	while (!done || !edone || *secs < 0) {
		struct pollfd p[3] = { { .fd = done ? -1 : fds[0], .events = POLLIN },
				       { .fd = *secs < 0 ? pfd : -1, .events = POLLIN },
				       { .fd = edone ? -1 : efds[0], .events = POLLIN } };
		double left = end - mb_now();
		char tmp[4096];

		if (stop_sig || left <= 0) {
			rc = stop_sig ? -EINTR : -ETIMEDOUT;
			break;
		}
		if (pfd < 0 && *secs < 0 && waitpid(pid, status, WNOHANG) == pid) {
			*secs = mb_now() - t0; /* no pidfd: the exit is seen by polling */
			pid = -1;
		}
		if (poll(p, 3, left * 1e3 > SLICE_MS ? SLICE_MS : (int)(left * 1e3) + 1) <= 0)
			continue;
		if (p[1].revents)
			*secs = mb_now() - t0;
		if (p[0].revents) {
			ssize_t r = read(fds[0], tmp, sizeof tmp);

			if (r <= 0 && !(r < 0 && errno == EINTR))
				done = 1;
			else if (r > 0)
				keep(out, n, &len, tmp, r);
		}
		if (p[2].revents) {
			ssize_t r = read(efds[0], tmp, sizeof tmp);

			if (r <= 0 && !(r < 0 && errno == EINTR)) {
				edone = 1;
			} else if (r > 0) {
				ssize_t w = 0;

				keep(err, errn, &elen, tmp, r);
				/* the error log has it too, for the messages (best effort) */
				if (err_fd >= 0)
					w = write(err_fd, tmp, (size_t)r);
				(void)w;
			}
		}
	}
	if (pfd >= 0)
		close(pfd);
	close(fds[0]);
	if (efds[0] >= 0)
		close(efds[0]);
	if (rc) {
		if (pid > 0)
			proc_kill(pid);
		return rc;
	}
	if (pid > 0 && waitpid(pid, status, 0) != pid)
		return -errno;
	return 0;
}

int proc_capture(char *const argv[], double timeout, char *out, size_t n, int *status,
		 double *secs)
{
	return proc_capture_err(argv, timeout, out, n, NULL, 0, status, secs);
}

void proc_errtail(char *buf, size_t n)
{
	char tail[1024];
	off_t size;
	ssize_t r;
	int lines = 0;
	char *p;

	*buf = 0;
	if (err_fd < 0 || (size = lseek(err_fd, 0, SEEK_END)) <= 0)
		return;
	r = pread(err_fd, tail, sizeof tail - 1, size > (off_t)sizeof tail - 1 ?
							size - (off_t)sizeof tail + 1 : 0);
	if (r <= 0)
		return;
	tail[r] = 0;
	while (r > 0 && tail[r - 1] == '\n')
		tail[--r] = 0;
	for (p = tail + r; p > tail; p--)
		if (p[-1] == '\n' && ++lines == 3)
			break;
	snprintf(buf, n, "%s", p);
	for (char *q = buf; *q; q++)
		if (*q == '\n')
			*q = '|';
}

long long proc_errlog_size(void)
{
	off_t size;

	if (err_fd < 0 || (size = lseek(err_fd, 0, SEEK_END)) < 0)
		return -1;
	return (long long)size;
}

void proc_errlog_since(long long mark, char *buf, size_t n)
{
	long long size = proc_errlog_size(), off;
	size_t got = 0;

	if (!n)
		return;
	*buf = 0;
	if (mark < 0 || size <= mark)
		return;
	off = size - mark > (long long)(n - 1) ? size - (long long)(n - 1) : mark;
	while (got < (size_t)(size - off)) {
		ssize_t r = pread(err_fd, buf + got, (size_t)(size - off) - got,
				  (off_t)(off + (long long)got));

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	buf[got] = 0;
}

int chan_open(struct mb_chan *c, int with_stdin)
{
	int in[2] = { -1, -1 }, out[2];

	memset(c, 0, sizeof *c);
	c->wfd = c->rfd = c->cin = c->cout = -1;
	if (with_stdin && pipe2(in, O_CLOEXEC))
		return -errno;
	if (pipe2(out, O_CLOEXEC)) {
		int e = errno;

		if (with_stdin) {
			close(in[0]);
			close(in[1]);
		}
		return -e;
	}
	c->cin = in[0];
	c->wfd = in[1];
	c->rfd = out[0];
	c->cout = out[1];
	return 0;
}

void chan_spawned(struct mb_chan *c)
{
	if (c->cin >= 0)
		close(c->cin);
	if (c->cout >= 0)
		close(c->cout);
	c->cin = c->cout = -1;
}

void chan_close(struct mb_chan *c)
{
	chan_spawned(c);
	if (c->wfd >= 0)
		close(c->wfd);
	if (c->rfd >= 0)
		close(c->rfd);
	c->wfd = c->rfd = -1;
}

int chan_send(struct mb_chan *c, const char *line)
{
	char buf[256];
	int len = snprintf(buf, sizeof buf, "%s\n", line);

	if (len < 0 || (size_t)len >= sizeof buf)
		return -EINVAL;
	for (int off = 0; off < len;) {
		ssize_t w = write(c->wfd, buf + off, (size_t)(len - off));

		if (w < 0 && errno == EINTR && !stop_sig)
			continue;
		if (w <= 0)
			return w < 0 ? -errno : -EIO;
		off += (int)w;
	}
	return 0;
}

/* waits up to timeout s for c->rfd to be readable; 0, -ETIMEDOUT, -EINTR */
static int readable(struct mb_chan *c, double end)
{
	for (;;) {
		struct pollfd p = { .fd = c->rfd, .events = POLLIN };
		double left = end - mb_now();

		if (stop_sig)
			return -EINTR;
		if (left <= 0)
			return -ETIMEDOUT;
		if (poll(&p, 1, left * 1e3 > SLICE_MS ? SLICE_MS : (int)(left * 1e3) + 1) > 0)
			return 0;
	}
}

/* reads what is there into c->buf; 0, or -EPIPE at the end */
static int fill(struct mb_chan *c)
{
	ssize_t r;

	if (c->len == sizeof c->buf)
		return 0;
	r = read(c->rfd, c->buf + c->len, sizeof c->buf - c->len);
	if (r < 0 && errno == EINTR)
		return 0;
	if (r <= 0) {
		c->eof = 1;
		return -EPIPE;
	}
	c->len += (size_t)r;
	return 0;
}

int chan_line(struct mb_chan *c, double timeout, char *line, size_t n)
{
	double end = mb_now() + timeout;

	for (;;) {
		char *nl = memchr(c->buf, '\n', c->len);
		size_t take;
		int rc;

		if (nl || c->len == sizeof c->buf || (c->eof && c->len)) {
			take = nl ? (size_t)(nl - c->buf) : c->len; /* an overlong or last line */
			snprintf(line, n, "%.*s", (int)take, c->buf);
			if (nl)
				take++;
			c->len -= take;
			memmove(c->buf, c->buf + take, c->len);
			return 0;
		}
		if (c->eof)
			return -EPIPE;
		if ((rc = readable(c, end)))
			return rc;
		fill(c);
	}
}

static void buf_add(struct mb_buf *b, const char *p, size_t n)
{
	if (b->len + n > b->max) {
		b->truncated = 1;
		n = b->max - b->len;
	}
	if (b->len + n > b->cap) {
		size_t cap = b->cap ? b->cap : 65536;
		char *q;

		while (cap < b->len + n)
			cap *= 2;
		if (!(q = realloc(b->p, cap))) {
			b->truncated = 1;
			return;
		}
		b->p = q;
		b->cap = cap;
	}
	memcpy(b->p + b->len, p, n);
	b->len += n;
}

int chan_collect(struct mb_chan *c, struct mb_buf *b, double deadline)
{
	for (;;) {
		int rc;

		buf_add(b, c->buf, c->len); /* what chan_line() read ahead */
		c->len = 0;
		if (c->eof)
			return 0;
		if ((rc = readable(c, deadline)))
			return rc;
		fill(c);
	}
}

int chan_pending(const struct mb_chan *c)
{
	int n;

	return ioctl(c->rfd, FIONREAD, &n) ? -errno : n;
}

void buf_free(struct mb_buf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
}
