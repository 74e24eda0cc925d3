/* SPDX-License-Identifier: MIT */
/*
 * ctl.c - the control thread: waits for a request (mtcp_checkpoint() in
 * the program, `mtcp_checkpoint PID` on the control socket) or for the
 * interval to pass, takes the checkpoint, and answers everyone who asked.
 * The protocol is in ctl-proto.h, the socket names and their checks in
 * ctl_path.h.  It serves peers whose effective uid is ours, or root; in a
 * pid namespace it takes clients that mtcp_restart checked outside
 * (broker_fd).  A client has MTCP_CTL_IDLE_S seconds to send its request,
 * so that idle connections cannot hold every slot for long.
 *
 * It blocks every signal except the checkpoint signal, which it unblocks
 * only inside ppoll(): in-process requesters wake it with that signal
 * (no fd is needed, so nothing is left dangling across a restart).
 */
#include "engine.h"
#include "owned.h"
#include "ctl-proto.h"
#include "ctl_path.h"
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

#define MAX_CLIENTS MTCP_CTL_MAX_CLIENTS
#define IDLE_NS ((uint64_t)MTCP_CTL_IDLE_S * 1000000000ull)
#define MAX_NAMES (1 + MTCP_MAX_ALIASES)

struct client {
	int fd;
	size_t got;
	char buf[32];
	int accepted;      /* ACCEPTED sent: waits for the result */
	int in_run;        /* accepted before the running checkpoint's snapshot:
	                      its result is this client's */
	uint64_t deadline; /* monotonic ns: the request must be complete by then */
};

static struct client clients[MAX_CLIENTS];
static int nclients;
static uint32_t served_req;
/* Clients authenticated by mtcp_restart outside our user namespace come
 * over this socket (mtcp_restart_info.broker_fd), or -1. */
static int broker_fd = -1;
/* The names this process bound, removed at exit; after a restart, the
 * previous incarnation's (stale ones are removed once ours are bound). */
static struct ctl_name names[MAX_NAMES];
static struct ctl_name old_names[MAX_NAMES];

/* Every fd of ours is in owned.h's set: the listening sockets, the
 * broker, and each client (their number is bounded here). */
_Static_assert(MAX_NAMES + 1 + MAX_CLIENTS <= OWNED_MAX_FDS - 8,
	       "owned.h cannot hold the control thread's fds");

/* After a restart: the numbers of the checkpointed process's fds mean
 * nothing here (they may be the program's now): forget, never close.
 * (checkpoint.c emptied the owned set already.) */
static void forget_after_restart(void)
{
	mtcp_engine.nlisten = 0;
	nclients = 0;
	broker_fd = -1;
	memcpy(old_names, names, sizeof(names));
	memset(names, 0, sizeof(names));
}

void ctl_wake(void)
{
	struct engine *e = &mtcp_engine;
	if (e->ctl_tid)
		raw_syscall3(SYS_tgkill, e->pid, e->ctl_tid, e->cfg.signal);
}

/* The names of the previous incarnation that nobody serves any more. */
static void remove_old_names(void)
{
	for (int i = 0; i < MAX_NAMES; i++) {
		int reused = 0;
		if (!old_names[i].bound_by)
			continue;
		for (int j = 0; j < MAX_NAMES; j++)
			reused |= names[j].bound_by && !strcmp(names[j].path, old_names[i].path);
		if (!reused && ctl_name_is_stale(old_names[i].path, geteuid()))
			unlink(old_names[i].path);
		old_names[i].bound_by = 0;
	}
}

/*
 * Listens as ctl.<pid> and ctl.<alias> for each alias the restorer left
 * (the pid of the mtcp_restart that restored us), in /tmp/mtcp-<euid>/;
 * restored in a pid namespace, binds nothing and takes its clients from
 * the broker instead.  Returns 0 if some client can reach us.
 */
int ctl_listen(void)
{
	struct engine *e = &mtcp_engine;
	struct mtcp_restart_info *ri = &mtcp_restart_info;
	int pids[MAX_NAMES], np = 0, dirfd;
	uid_t uid = geteuid();
	char dir[CTL_PATH_MAX], err[1024];

	e->nlisten = 0;
	broker_fd = ri->broker_fd >= 0 ? ri->broker_fd : -1;
	if (broker_fd >= 0)
		owned_fd_add(broker_fd);
	if (ri->in_pidns) {
		/* our pid means nothing outside; mtcp_restart binds for us */
		remove_old_names();
		return broker_fd >= 0 ? 0 : -ENOTCONN;
	}
	pids[np++] = e->pid;
	for (int i = 0; i < MTCP_MAX_ALIASES; i++) {
		int a = ri->aliases[i];
		int dup = 0;
		for (int j = 0; j < np; j++)
			dup |= pids[j] == a;
		if (a > 0 && !dup)
			pids[np++] = a;
	}
	dirfd = ctl_dir_open(uid, 1, err, sizeof(err));
	if (dirfd < 0) {
		util_log("%s (mtcp_checkpoint cannot reach this process)", err);
		remove_old_names();
		return broker_fd >= 0 ? 0 : dirfd;
	}
	ctl_dir_path(uid, dir, sizeof(dir));
	/* names of killed processes (kill -9 leaves the file behind) */
	ctl_sweep_stale(dirfd, uid, 256);
	for (int i = 0; i < np; i++) {
		int fd = ctl_listen_at(dirfd, dir, pids[i], uid, &names[e->nlisten], err, sizeof(err));
		if (fd >= 0 && owned_fd_add(fd)) {
			ctl_unlink_name(&names[e->nlisten]);
			close(fd);
			snprintf(err, sizeof(err), "the library holds too many fds");
			fd = -1;
		}
		if (fd >= 0)
			e->listen_fd[e->nlisten++] = fd;
		else
			util_log("warning: not reachable as pid %d: %s", pids[i], err);
	}
	close(dirfd);
	remove_old_names();
	return e->nlisten || broker_fd >= 0 ? 0 : -EADDRINUSE;
}

/* At exit: our socket files go (the kernel removes only the sockets). */
static void remove_names_at_exit(void)
{
	for (int i = 0; i < MAX_NAMES; i++)
		ctl_unlink_name(&names[i]);
}

/* In a fork()ed child (inert): the parent's clients are not ours; api.c
 * closes the listening sockets. */
static void forget_in_child(void)
{
	for (int i = 0; i < nclients; i++)
		close(clients[i].fd);
	nclients = 0;
	if (broker_fd >= 0)
		close(broker_fd);
	broker_fd = -1;
	memset(names, 0, sizeof(names));
	/* the listening sockets went in api.c's handler, which ran first:
	 * nothing here is the library's any more */
	owned_forget();
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
	owned_fd_del(clients[i].fd);
	close(clients[i].fd);
	clients[i] = clients[--nclients];
}

/* A connection that passed the peer check (ours, or the broker's). */
static void add_client(int fd)
{
	if (nclients == MAX_CLIENTS || owned_fd_add(fd)) {
		send_line(fd, MTCP_CTL_ERR, MTCP_CTL_ERR_BUSY);
		close(fd);
		return;
	}
	memset(&clients[nclients], 0, sizeof(clients[0]));
	clients[nclients].fd = fd;
	clients[nclients++].deadline = util_now_ns() + IDLE_NS;
}

static void accept_all(void)
{
	struct engine *e = &mtcp_engine;
	uid_t me = geteuid();

	for (int l = 0; l < e->nlisten; l++) {
		for (;;) {
			struct ucred cr;
			socklen_t cl = sizeof(cr);
			int fd = accept4(e->listen_fd[l], NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
			if (fd < 0)
				break;
			/* the effective uid only: a setuid program does not serve
			 * the user who started it */
			if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &cl) ||
			    (cr.uid != 0 && cr.uid != me)) {
				send_line(fd, MTCP_CTL_ERR, MTCP_CTL_ERR_DENIED);
				close(fd);
				continue;
			}
			add_client(fd);
		}
	}
}

/*
 * Clients from the broker: one fd per message (SCM_RIGHTS).  No peer
 * check here: in our user namespace SO_PEERCRED is translated (root shows
 * as the overflow uid), and mtcp_restart checked it in the host's terms.
 */
static void receive_from_broker(void)
{
	while (broker_fd >= 0) {
		union {
			struct cmsghdr h;
			char space[CMSG_SPACE(4 * sizeof(int))];
		} u;
		char byte;
		struct iovec iov = { &byte, 1 };
		struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1,
				    .msg_control = u.space, .msg_controllen = sizeof(u.space) };
		ssize_t n = recvmsg(broker_fd, &m, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);

		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		for (struct cmsghdr *c = n > 0 ? CMSG_FIRSTHDR(&m) : NULL; c; c = CMSG_NXTHDR(&m, c)) {
			size_t nfd;
			if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
				continue;
			nfd = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
			for (size_t k = 0; k < nfd; k++) {
				int fd;
				memcpy(&fd, CMSG_DATA(c) + k * sizeof(int), sizeof(int));
				fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
				add_client(fd);
			}
		}
		if (n <= 0) {
			/* mtcp_restart is gone (we will be too: PDEATHSIG) */
			owned_fd_del(broker_fd);
			close(broker_fd);
			broker_fd = -1;
		}
	}
}

/* Reads requests; returns how many clients now wait for a result.
 * Drops those that had MTCP_CTL_IDLE_S and sent no complete request. */
static int read_requests(void)
{
	uint64_t now = util_now_ns();
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
				if (strcmp(c->buf, MTCP_CTL_REQUEST)) {
					send_line(c->fd, MTCP_CTL_ERR, MTCP_CTL_ERR_UNKNOWN);
					drop_client(i);
					continue;
				}
				send_line(c->fd, MTCP_CTL_ACCEPTED, "");
				c->accepted = 1;
			} else if (c->got >= sizeof(c->buf) - 1) {
				send_line(c->fd, MTCP_CTL_ERR, MTCP_CTL_ERR_UNKNOWN);
				drop_client(i);
				continue;
			} else if (now >= c->deadline) {
				send_line(c->fd, MTCP_CTL_ERR, MTCP_CTL_ERR_TIMEOUT);
				drop_client(i);
				continue;
			}
		}
		waiting += c->accepted;
		i++;
	}
	return waiting;
}

/* The earliest idle deadline of a client, or 0 if none. */
static uint64_t next_idle_deadline(void)
{
	uint64_t d = 0;

	for (int i = 0; i < nclients; i++)
		if (!clients[i].accepted && (!d || clients[i].deadline < d))
			d = clients[i].deadline;
	return d;
}

static void answer_all(int result, const char *err)
{
	struct engine *e = &mtcp_engine;

	for (int i = 0; i < nclients;) {
		if (!clients[i].accepted || !clients[i].in_run) {
			i++;
			continue;
		}
		if (result == MTCP_CHECKPOINTED) {
			char ns[24];
			snprintf(ns, sizeof(ns), "%llu", (unsigned long long)e->last_pause_ns);
			send_line(clients[i].fd, MTCP_CTL_PAUSE, ns);
		}
		if (result == MTCP_CHECKPOINTED && e->last_degraded) {
			char n[16];
			snprintf(n, sizeof(n), "%u", e->last_degraded);
			send_line(clients[i].fd, MTCP_CTL_DEGRADED, n);
		}
		if (result == MTCP_CHECKPOINTED)
			send_line(clients[i].fd, MTCP_CTL_OK, e->last_image);
		else
			send_line(clients[i].fd, MTCP_CTL_ERR, err);
		drop_client(i);
	}
}

/* The fds the control thread waits on, from pfd[np]: its names, the
 * broker, its clients.  Returns the new count. */
static int poll_set(struct pollfd *pfd, int np)
{
	struct engine *e = &mtcp_engine;

	for (int i = 0; i < e->nlisten; i++)
		pfd[np++] = (struct pollfd){ .fd = e->listen_fd[i], .events = POLLIN };
	if (broker_fd >= 0)
		pfd[np++] = (struct pollfd){ .fd = broker_fd, .events = POLLIN };
	for (int i = 0; i < nclients; i++)
		pfd[np++] = (struct pollfd){ .fd = clients[i].fd, .events = POLLIN };
	return np;
}

/*
 * While a copy-on-write writer works (the program runs): new clients are
 * accepted and acknowledged, to be answered by the next checkpoint, until
 * fd (the writer's pidfd) says it has exited.  Without this a client
 * would wait for ACCEPTED as long as the image takes to write.
 */
void ctl_serve_until(int fd)
{
	for (;;) {
		struct pollfd pfd[MAX_NAMES + 2 + MAX_CLIENTS];
		struct timespec ts;
		int np;
		long n;

		pfd[0] = (struct pollfd){ .fd = fd, .events = POLLIN };
		np = poll_set(pfd, 1);
		n = raw_syscall5(SYS_ppoll, (long)pfd, np,
				 (long)util_timeout_until(next_idle_deadline(), util_now_ns(), &ts), 0, 8);
		if (n < 0 && n != -EINTR)
			return;
		if (pfd[0].revents)
			return;
		accept_all();
		receive_from_broker();
		read_requests();
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
	/* Requests made from here on are new: read before ctl_start() lets
	 * mtcp_init() return (it waits for ctl_tid), or a mtcp_checkpoint()
	 * right after it could be counted as served while ctl_listen() runs,
	 * and its caller would wait forever. */
	served_req = __atomic_load_n(&e->req_gen, __ATOMIC_ACQUIRE);
	__atomic_store_n(&e->ctl_tid, (pid_t)raw_syscall0(SYS_gettid), __ATOMIC_RELEASE);
	raw_syscall4(SYS_rt_sigprocmask, SIG_SETMASK, (long)&all, 0, 8);
	raw_syscall2(SYS_prctl, 15 /* PR_SET_NAME */, (long)"mtcp-ctl");
	ctl_listen();

	for (;;) {
		struct pollfd pfd[MAX_NAMES + 1 + MAX_CLIENTS];
		uint64_t iv = interval_ns(), now = util_now_ns(), wake_at, idle;
		uint64_t open_mask = all & ~(1ull << (e->cfg.signal - 1));
		struct timespec ts, *tsp;
		int np = 0, waiting, due, result, term;

		/* the termination signal (MTCP_ON_TERM) too: when every program
		 * thread blocks it, this thread takes it (on_term.c) */
		if (on_term_ctl_may_take())
			open_mask &= ~on_term_pending_mask();

		if (iv && !next_due)
			next_due = now + iv;
		if (!iv)
			next_due = 0;
		np = poll_set(pfd, np);
		/* wake for the interval, or for the first idle client to drop */
		wake_at = next_due;
		idle = next_idle_deadline();
		if (idle && (!wake_at || idle < wake_at))
			wake_at = idle;
		tsp = util_timeout_until(wake_at, now, &ts);
		/* clients accepted while the last image was written wait for
		 * the next checkpoint: no sleeping then */
		waiting = 0;
		for (int i = 0; i < nclients; i++)
			waiting += clients[i].accepted;
		if (__atomic_load_n(&e->req_gen, __ATOMIC_ACQUIRE) == served_req && !waiting &&
		    !on_term_requested())
			raw_syscall5(SYS_ppoll, (long)pfd, np, (long)tsp, (long)&open_mask, 8);
		accept_all();
		receive_from_broker();
		waiting = read_requests();
		due = next_due && util_now_ns() >= next_due;
		/* read before the snapshot: a request after it needs another */
		term = on_term_requested();
		if (!waiting && !due && !term &&
		    __atomic_load_n(&e->req_gen, __ATOMIC_ACQUIRE) == served_req)
			continue;

		/* the clients this checkpoint answers: those that asked before
		 * its snapshot (one that asks while a copy-on-write image is
		 * written gets the next checkpoint, not this one) */
		for (int i = 0; i < nclients; i++)
			clients[i].in_run = clients[i].accepted;
		served_req = __atomic_load_n(&e->req_gen, __ATOMIC_ACQUIRE);
		result = checkpoint_run(term, err, sizeof(err));
		if (result == MTCP_RESTARTED) {
			/* a new process: listen again, as itself and its aliases
			 * (or through the broker); old names that nobody serves go */
			served_req = __atomic_load_n(&e->req_gen, __ATOMIC_ACQUIRE);
			forget_after_restart();
			/* the image was taken for a termination signal, perhaps:
			 * the restarted program is not told again */
			on_term_after_restart();
			ctl_listen();
			next_due = 0;
			e->last_result = MTCP_RESTARTED;
		} else {
			if (result < 0)
				util_log("checkpoint failed: %s", err);
			e->last_result = result;
			/* requests that arrived meanwhile are accepted now and served
			 * by the next checkpoint, which starts at once */
			accept_all();
			receive_from_broker();
			read_requests();
			answer_all(result, err);
			next_due = iv ? util_now_ns() + iv : 0;
			/* durable (or failed): now the program gets its signal */
			if (term)
				on_term_deliver(result, err);
		}
		__atomic_store_n(&e->served_req, served_req, __ATOMIC_RELEASE);
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

	/* a launch: no broker (the restorer sets both after a restart) */
	mtcp_restart_info.broker_fd = -1;
	mtcp_restart_info.in_pidns = 0;
	atexit(remove_names_at_exit);
	pthread_atfork(NULL, NULL, forget_in_child);

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
