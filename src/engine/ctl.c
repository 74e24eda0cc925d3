/* SPDX-License-Identifier: MIT */
/*
 * ctl.c - the control thread: waits for a request (mtcp_checkpoint() in
 * the program, `mtcp_checkpoint PID` on the control socket) or for the
 * interval to pass, takes the checkpoint, and answers everyone who asked.
 * The protocol is in ctl-proto.h.
 *
 * It blocks every signal except the checkpoint signal, which it unblocks
 * only inside ppoll(): in-process requesters wake it with that signal
 * (no fd is needed, so nothing is left dangling across a restart).
 */
#include "engine.h"
#include "ctl-proto.h"
#include "syscall.h"
#include "mtcp.h"

#include <errno.h>
#include <stddef.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define MAX_CLIENTS 64

struct client {
	int fd;
	size_t got;
	char buf[32];
	int accepted; /* ACCEPTED sent: waits for the result */
};

static struct client clients[MAX_CLIENTS];
static int nclients;
static uint32_t served_req;

int ctl_owns_fd(int fd)
{
	for (int i = 0; i < nclients; i++)
		if (clients[i].fd == fd)
			return 1;
	return 0;
}

void ctl_forget_fds(void)
{
	nclients = 0;
}

void ctl_wake(void)
{
	struct engine *e = &mtcp_engine;
	if (e->ctl_tid)
		raw_syscall3(SYS_tgkill, e->pid, e->ctl_tid, e->cfg.signal);
}

static int listen_on(int pid)
{
	struct sockaddr_un a;
	socklen_t len;
	int fd, n;

	memset(&a, 0, sizeof(a));
	a.sun_family = AF_UNIX;
	n = snprintf(a.sun_path + 1, sizeof(a.sun_path) - 1, MTCP_CTL_NAME_FMT, pid);
	len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + (size_t)n);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&a, len) || listen(fd, 64)) {
		int rc = -errno;
		close(fd);
		return rc;
	}
	return fd;
}

/* Listens as "mtcp-fast.<pid>"; after a restart also for each alias the
 * restorer left (the pid of the mtcp_restart that restored us). */
int ctl_listen(void)
{
	struct engine *e = &mtcp_engine;
	int pids[1 + MTCP_MAX_ALIASES], np = 0;

	pids[np++] = e->pid;
	for (int i = 0; i < MTCP_MAX_ALIASES; i++) {
		int a = mtcp_restart_info.aliases[i];
		int dup = 0;
		for (int j = 0; j < np; j++)
			dup |= pids[j] == a;
		if (a > 0 && !dup)
			pids[np++] = a;
	}
	e->nlisten = 0;
	for (int i = 0; i < np; i++) {
		int fd = listen_on(pids[i]);
		if (fd >= 0)
			e->listen_fd[e->nlisten++] = fd;
		else
			util_log("warning: cannot listen for checkpoint requests as pid %d: %s",
				 pids[i], strerror(-fd));
	}
	return e->nlisten ? 0 : -EADDRINUSE;
}

/* One more name to listen as (the program's pid outside its pid namespace). */
static void add_alias(int pid)
{
	struct engine *e = &mtcp_engine;
	int fd;

	if (pid <= 0 || e->nlisten >= 1 + MTCP_MAX_ALIASES)
		return;
	for (int i = 0; i < MTCP_MAX_ALIASES; i++)
		if (mtcp_restart_info.aliases[i] == pid)
			return;
	fd = listen_on(pid);
	if (fd < 0)
		return;
	e->listen_fd[e->nlisten++] = fd;
	for (int i = 0; i < MTCP_MAX_ALIASES; i++)
		if (!mtcp_restart_info.aliases[i]) {
			mtcp_restart_info.aliases[i] = pid;
			break;
		}
}

static void send_line(int fd, const char *a, const char *b)
{
	char line[MTCP_CTL_LINE_MAX];
	int n = snprintf(line, sizeof(line), "%s%s\n", a, b);
	if (n > 0)
		send(fd, line, (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1,
		     MSG_NOSIGNAL | MSG_DONTWAIT);
}

static void drop_client(int i)
{
	close(clients[i].fd);
	clients[i] = clients[--nclients];
}

static void accept_all(void)
{
	struct engine *e = &mtcp_engine;

	for (int l = 0; l < e->nlisten; l++) {
		for (;;) {
			struct ucred cr;
			socklen_t cl = sizeof(cr);
			int fd = accept4(e->listen_fd[l], NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
			if (fd < 0)
				break;
			if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &cl) ||
			    (cr.uid != 0 && cr.uid != getuid()) || nclients == MAX_CLIENTS) {
				send_line(fd, MTCP_CTL_ERR, "permission denied or too many requests");
				close(fd);
				continue;
			}
			memset(&clients[nclients], 0, sizeof(clients[0]));
			clients[nclients++].fd = fd;
		}
	}
}

/* Reads requests; returns how many clients now wait for a result. */
static int read_requests(void)
{
	int waiting = 0;

	for (int i = 0; i < nclients;) {
		struct client *c = &clients[i];
		if (!c->accepted) {
			ssize_t n = recv(c->fd, c->buf + c->got, sizeof(c->buf) - 1 - c->got,
					 MSG_DONTWAIT);
			if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
				drop_client(i);
				continue;
			}
			if (n > 0)
				c->got += (size_t)n;
			c->buf[c->got] = '\0';
			if (strchr(c->buf, '\n')) {
				if (!strncmp(c->buf, MTCP_CTL_ALIAS, strlen(MTCP_CTL_ALIAS))) {
					add_alias(atoi(c->buf + strlen(MTCP_CTL_ALIAS)));
					send_line(c->fd, "OK", "");
					drop_client(i);
					continue;
				}
				if (strcmp(c->buf, MTCP_CTL_REQUEST)) {
					send_line(c->fd, MTCP_CTL_ERR, "unknown request");
					drop_client(i);
					continue;
				}
				send_line(c->fd, MTCP_CTL_ACCEPTED, "");
				c->accepted = 1;
			} else if (c->got >= sizeof(c->buf) - 1) {
				drop_client(i);
				continue;
			}
		}
		waiting += c->accepted;
		i++;
	}
	return waiting;
}

static void answer_all(int result, const char *err)
{
	struct engine *e = &mtcp_engine;

	for (int i = 0; i < nclients;) {
		if (!clients[i].accepted) {
			i++;
			continue;
		}
		if (result == MTCP_CHECKPOINTED)
			send_line(clients[i].fd, MTCP_CTL_OK, e->last_image);
		else
			send_line(clients[i].fd, MTCP_CTL_ERR, err);
		drop_client(i);
	}
}

static uint64_t interval_ns(void)
{
	double iv = mtcp_engine.cfg.interval;
	return iv > 0 ? (uint64_t)llround(iv * 1e9) : 0;
}

static void *ctl_main(void *arg)
{
	struct engine *e = &mtcp_engine;
	uint64_t next_due = 0, all = ~0ull;
	char err[512];

	(void)arg;
	{
		/* our stack changes while it is written out */
		pthread_attr_t at;
		void *sa;
		size_t ss;
		if (!pthread_getattr_np(pthread_self(), &at)) {
			if (!pthread_attr_getstack(&at, &sa, &ss) && e->nvolatile < 8) {
				e->volatile_r[e->nvolatile].start = (uint64_t)(uintptr_t)sa;
				e->volatile_r[e->nvolatile++].end = (uint64_t)(uintptr_t)sa + ss;
			}
			pthread_attr_destroy(&at);
		}
	}
	__atomic_store_n(&e->ctl_tid, (pid_t)raw_syscall0(SYS_gettid), __ATOMIC_RELEASE);
	raw_syscall4(SYS_rt_sigprocmask, SIG_SETMASK, (long)&all, 0, 8);
	raw_syscall2(SYS_prctl, 15 /* PR_SET_NAME */, (long)"mtcp-ctl");
	ctl_listen();
	served_req = __atomic_load_n(&e->req_gen, __ATOMIC_ACQUIRE);

	for (;;) {
		struct pollfd pfd[1 + MTCP_MAX_ALIASES + MAX_CLIENTS];
		uint64_t iv = interval_ns(), now = util_now_ns();
		uint64_t open_mask = all & ~(1ull << (e->cfg.signal - 1));
		struct timespec ts, *tsp = NULL;
		int np = 0, waiting, due, result;

		if (iv && !next_due)
			next_due = now + iv;
		if (!iv)
			next_due = 0;
		for (int i = 0; i < e->nlisten; i++)
			pfd[np++] = (struct pollfd){ .fd = e->listen_fd[i], .events = POLLIN };
		for (int i = 0; i < nclients; i++)
			pfd[np++] = (struct pollfd){ .fd = clients[i].fd, .events = POLLIN };
		if (next_due) {
			uint64_t d = next_due > now ? next_due - now : 0;
			ts.tv_sec = (time_t)(d / 1000000000ull);
			ts.tv_nsec = (long)(d % 1000000000ull);
			tsp = &ts;
		}
		if (__atomic_load_n(&e->req_gen, __ATOMIC_ACQUIRE) == served_req)
			raw_syscall5(SYS_ppoll, (long)pfd, np, (long)tsp, (long)&open_mask, 8);
		accept_all();
		waiting = read_requests();
		due = next_due && util_now_ns() >= next_due;
		if (!waiting && !due &&
		    __atomic_load_n(&e->req_gen, __ATOMIC_ACQUIRE) == served_req)
			continue;

		served_req = __atomic_load_n(&e->req_gen, __ATOMIC_ACQUIRE);
		result = checkpoint_run(err, sizeof(err));
		if (result == MTCP_RESTARTED) {
			/* a new process: listen again, as itself and its aliases */
			ctl_listen();
			served_req = __atomic_load_n(&e->req_gen, __ATOMIC_ACQUIRE);
			next_due = 0;
			e->last_result = MTCP_RESTARTED;
		} else {
			if (result < 0)
				util_log("checkpoint failed: %s", err);
			e->last_result = result;
			/* requests that arrived meanwhile are served by this one */
			accept_all();
			read_requests();
			answer_all(result, err);
			next_due = iv ? util_now_ns() + iv : 0;
		}
		__atomic_fetch_add(&e->done_gen, 1, __ATOMIC_ACQ_REL);
		raw_syscall3(SYS_futex, (long)&e->done_gen, RAW_FUTEX_WAKE | RAW_FUTEX_PRIVATE,
			     0x7fffffff);
	}
	return NULL;
}

int ctl_start(void)
{
	pthread_attr_t attr;
	pthread_t t;
	int rc;

	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, 256 * 1024);
	rc = pthread_create(&t, &attr, ctl_main, NULL);
	pthread_attr_destroy(&attr);
	if (rc)
		return -rc;
	/* wait until it can be woken and checkpointed */
	while (!__atomic_load_n(&mtcp_engine.ctl_tid, __ATOMIC_ACQUIRE))
		sched_yield();
	return 0;
}
