/* SPDX-License-Identifier: MIT */
/* broker.c - see broker.h. */
#include "broker.h"
#include "ctl-proto.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

int broker_prepare(struct broker *b, char *err, size_t errlen)
{
	int sv[2], rc;

	memset(b, 0, sizeof(*b));
	b->program_fd = b->own_fd = b->stop_fd[0] = b->stop_fd[1] = -1;
	for (int i = 0; i < BROKER_MAX_PIDS; i++)
		b->listen_fd[i] = -1;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv)) {
		rc = -errno;
		snprintf(err, errlen, "cannot make the control broker's socketpair: %s",
			 strerror(-rc));
		return rc;
	}
	b->own_fd = sv[0];
	b->program_fd = sv[1];
	return 0;
}

void broker_parent_side(struct broker *b)
{
	close_fd(&b->program_fd);
}

void broker_child_side(struct broker *b)
{
	close_fd(&b->own_fd);
}

/* 1 if we share a user namespace other than the initial one with pid:
 * then SO_PEERCRED here is as translated as in the program. */
static int inside_programs_userns(pid_t pid)
{
	char path[64];
	struct stat self, prog;

	snprintf(path, sizeof(path), "/proc/%d/ns/user", (int)pid);
	if (stat("/proc/self/ns/user", &self) || stat(path, &prog) || self.st_ino != prog.st_ino ||
	    self.st_dev != prog.st_dev)
		return 0;
	return !ctl_in_initial_userns();
}

/* Passes fd to the program: 0, -EAGAIN (it is not taking them), or
 * -EPIPE (it is gone). */
static int pass_fd(int own_fd, int fd)
{
	union {
		struct cmsghdr h;
		char space[CMSG_SPACE(sizeof(int))];
	} u;
	char byte = 'C';
	struct iovec iov = { &byte, 1 };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.space,
			    .msg_controllen = sizeof(u.space) };
	struct cmsghdr *c = CMSG_FIRSTHDR(&m);

	memset(&u, 0, sizeof(u));
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	for (;;) {
		if (sendmsg(own_fd, &m, MSG_NOSIGNAL | MSG_DONTWAIT) == 1)
			return 0;
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == ENOBUFS || errno == ETOOMANYREFS)
			return -EAGAIN;
		return -EPIPE;
	}
}

static void refuse(int fd, const char *why)
{
	char line[64];
	int n = snprintf(line, sizeof(line), "%s%s\n", MTCP_CTL_ERR, why);

	send(fd, line, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT);
	close(fd);
}

/* Accepts what waits on listening socket l: 0, or -EPIPE when the program
 * is gone. */
static int accept_on(struct broker *b, int l)
{
	for (;;) {
		struct ucred cr;
		socklen_t cl = sizeof(cr);
		int fd = accept4(l, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK), rc;

		if (fd < 0)
			return 0;
		/* here, outside the program's user namespace, uids are the
		 * host's: root is 0, and nobody else maps onto the owner */
		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &cl) ||
		    (cr.uid != b->owner && cr.uid != 0)) {
			refuse(fd, MTCP_CTL_ERR_DENIED);
			continue;
		}
		rc = pass_fd(b->own_fd, fd);
		if (rc == -EAGAIN) {
			refuse(fd, MTCP_CTL_ERR_BUSY);
			continue;
		}
		close(fd);
		if (rc)
			return rc;
	}
}

static void unbind_all(struct broker *b)
{
	for (int i = 0; i < b->nlisten; i++) {
		ctl_unlink_name(&b->names[i]);
		close_fd(&b->listen_fd[i]);
	}
	b->nlisten = 0;
}

static void *broker_main(void *arg)
{
	struct broker *b = arg;

	for (;;) {
		struct pollfd p[BROKER_MAX_PIDS + 2];
		int n = 0;

		p[n++] = (struct pollfd){ .fd = b->stop_fd[0], .events = POLLIN };
		/* no events: POLLHUP and POLLERR come anyway when the program
		 * closed its end */
		p[n++] = (struct pollfd){ .fd = b->own_fd, .events = 0 };
		for (int i = 0; i < b->nlisten; i++)
			p[n++] = (struct pollfd){ .fd = b->listen_fd[i], .events = POLLIN };
		if (poll(p, (nfds_t)n, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (p[0].revents)
			return NULL; /* broker_stop() cleans up */
		if (p[1].revents & (POLLHUP | POLLERR | POLLNVAL))
			break;
		for (int i = 0; i < b->nlisten; i++)
			if (p[2 + i].revents && accept_on(b, b->listen_fd[i]))
				goto gone;
	}
gone:
	/* the program is gone: its names with it, so that clients hear
	 * "not running" rather than wait */
	unbind_all(b);
	return NULL;
}

int broker_start(struct broker *b, uid_t owner, const pid_t *pids, int npids, char *err,
		 size_t errlen)
{
	char dir[CTL_PATH_MAX], why[1024] = "";
	sigset_t all, old;
	int dirfd, failed = 0, rc;

	if (b->own_fd < 0 || b->running || npids < 1 || npids > BROKER_MAX_PIDS) {
		snprintf(err, errlen, "control broker: not prepared, already started, or a bad "
			 "number of pids (%d)", npids);
		return -EINVAL;
	}
	if (inside_programs_userns(pids[0])) {
		snprintf(err, errlen, "control broker: runs inside the program's user namespace, "
			 "where peer credentials are translated; it must run outside");
		return -EINVAL;
	}
	b->owner = owner;
	dirfd = ctl_dir_open(owner, owner == geteuid(), err, errlen);
	if (dirfd < 0)
		return dirfd;
	ctl_dir_path(owner, dir, sizeof(dir));
	for (int i = 0; i < npids; i++) {
		int dup = pids[i] <= 0, fd;
		for (int j = 0; j < i; j++)
			dup |= pids[j] == pids[i];
		if (dup)
			continue;
		fd = ctl_listen_at(dirfd, dir, pids[i], owner, &b->names[b->nlisten], why,
				   sizeof(why));
		if (fd < 0) {
			failed++;
			snprintf(err, errlen, "%s", why);
			continue;
		}
		b->listen_fd[b->nlisten++] = fd;
	}
	close(dirfd);
	if (!b->nlisten)
		return failed ? -EADDRINUSE : -EINVAL;
	if (pipe2(b->stop_fd, O_CLOEXEC)) {
		rc = -errno;
		snprintf(err, errlen, "control broker: pipe: %s", strerror(-rc));
		unbind_all(b);
		return rc;
	}
	/* signals are for the supervisor's sigwaitinfo(), never for us */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&b->thread, NULL, broker_main, b);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc) {
		snprintf(err, errlen, "control broker: cannot start its thread: %s", strerror(rc));
		close_fd(&b->stop_fd[0]);
		close_fd(&b->stop_fd[1]);
		unbind_all(b);
		return -rc;
	}
	b->running = 1;
	return failed;
}

void broker_stop(struct broker *b)
{
	if (b->running) {
		char c = 'S';
		while (write(b->stop_fd[1], &c, 1) < 0 && errno == EINTR)
			;
		pthread_join(b->thread, NULL);
		b->running = 0;
	}
	unbind_all(b);
	close_fd(&b->stop_fd[0]);
	close_fd(&b->stop_fd[1]);
	close_fd(&b->own_fd);
	close_fd(&b->program_fd);
}
