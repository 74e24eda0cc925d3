/* SPDX-License-Identifier: MIT */
/*
 * objects_outside.c - what a checkpoint cannot bring back as it was, and
 * says so (run with --expect-ckpt degraded): connections to peers outside
 * the process come back closed by their peer; descriptors in flight in a
 * unix socket are lost, their bytes are not; a netlink socket comes back
 * bound to its groups.  In --mode continue, the checkpoint changed nothing.
 */
#include "mt_test.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

const char *test_doc =
	"a unix stream socket and a TCP connection whose peers are in a child "
	"process come back as connections closed by their peer: the bytes the "
	"peer had sent are read, then end of file; a write fails with EPIPE and "
	"raises SIGPIPE; the TCP one is still an AF_INET socket.  A message "
	"carrying a descriptor comes back without it; a netlink socket is bound "
	"to its groups and answers.  Without a restart, nothing changed (and the "
	"checkpoint installed no descriptor while reading the queue).";

static volatile sig_atomic_t pipes;

static void on_sigpipe(int sig)
{
	(void)sig;
	pipes++;
}

static void expect_closed(int fd, const char *queued, int family, const char *what)
{
	char b[64];
	ssize_t n = 0;
	int dom = -1, before = pipes;
	socklen_t l = sizeof(dom);
	size_t ql = strlen(queued);

	if (ql) {
		n = recv(fd, b, sizeof(b) - 1, MSG_DONTWAIT);
		if (n != (ssize_t)ql || memcmp(b, queued, ql))
			fail("%s: the peer's last bytes are not there (%zd: %s)", what, n,
			     n < 0 ? strerror(errno) : "other bytes");
	}
	n = recv(fd, b, sizeof(b), MSG_DONTWAIT);
	if (n != 0)
		fail("%s: read gives %zd (%s), not end of file", what, n,
		     n < 0 ? strerror(errno) : "bytes");
	if (write(fd, "x", 1) != -1 || errno != EPIPE)
		fail("%s: a write did not fail with EPIPE", what);
	if (pipes != before + 1)
		fail("%s: the write raised %d SIGPIPE, not 1", what, pipes - before);
	if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &dom, &l) || dom != family)
		fail("%s: SO_DOMAIN %d, expected %d", what, dom, family);
}

/* The open fds, as a bitmap of the first 1024 (the library's included:
 * its control thread holds one for a moment while it starts, and a
 * client's socket until it has answered it). */
#define FD_BITS 1024
static void open_fds(unsigned char set[FD_BITS / 8])
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	if (!d)
		fail("/proc/self/fd: %s", strerror(errno));
	memset(set, 0, FD_BITS / 8);
	while ((e = readdir(d))) {
		int fd = atoi(e->d_name);
		if (e->d_name[0] >= '0' && e->d_name[0] <= '9' && fd != dirfd(d) && fd < FD_BITS)
			set[fd / 8] |= (unsigned char)(1u << (fd % 8));
	}
	closedir(d);
}

/* An fd open now that was not before, on the file that is in flight
 * (dev, ino): one a MSG_PEEK installed.  Other new fds are the library's
 * own, for a moment. */
static int new_fd(const unsigned char before[FD_BITS / 8], dev_t dev, ino_t ino)
{
	unsigned char now[FD_BITS / 8];
	struct stat st;
	open_fds(now);
	for (int fd = 0; fd < FD_BITS; fd++)
		if ((now[fd / 8] & ~before[fd / 8]) & (1u << (fd % 8)) && !fstat(fd, &st) &&
		    st.st_dev == dev && st.st_ino == ino)
			return fd;
	return -1;
}

/* One message of sr: its bytes and how many descriptors came with it. */
static int recv_with_fds(int fd, char *b, size_t len, ssize_t *n)
{
	union {
		struct cmsghdr h;
		char space[CMSG_SPACE(4 * sizeof(int))];
	} ctl;
	struct iovec iov = { b, len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = &ctl,
			     .msg_controllen = sizeof(ctl) };
	int nfds = 0;

	*n = recvmsg(fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); *n >= 0 && c; c = CMSG_NXTHDR(&mh, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
			int k = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
			for (int i = 0; i < k; i++) {
				int x;
				memcpy(&x, CMSG_DATA(c) + i * sizeof(int), sizeof(x));
				close(x);
			}
			nfds += k;
		}
	return nfds;
}

/* A netlink route socket answers a dump of the links. */
static void expect_netlink(int nl)
{
	struct {
		struct nlmsghdr h;
		struct ifinfomsg i;
	} req;
	struct sockaddr_nl a;
	socklen_t al = sizeof(a);
	char b[16384];

	if (getsockname(nl, (struct sockaddr *)&a, &al) || a.nl_groups != RTMGRP_LINK)
		fail("netlink socket: not bound to RTMGRP_LINK any more");
	memset(&req, 0, sizeof(req));
	req.h.nlmsg_len = sizeof(req);
	req.h.nlmsg_type = RTM_GETLINK;
	req.h.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	req.h.nlmsg_seq = 7;
	req.i.ifi_family = AF_UNSPEC;
	if (send(nl, &req, sizeof(req), 0) != (ssize_t)sizeof(req))
		fail("netlink socket: send: %s", strerror(errno));
	ssize_t n = recv(nl, b, sizeof(b), 0);
	struct nlmsghdr *h = (struct nlmsghdr *)b;
	if (n < (ssize_t)sizeof(*h) || h->nlmsg_seq != 7)
		fail("netlink socket: no answer to RTM_GETLINK (%zd)", n);
}

int main(int argc, char **argv)
{
	struct sigaction sa;
	struct sockaddr_in in = { .sin_family = AF_INET };
	struct sockaddr_nl nla = { .nl_family = AF_NETLINK, .nl_groups = RTMGRP_LINK };
	socklen_t il = sizeof(in);
	int sp[2], sr[2], sync[2], tl, tc, nl;
	static unsigned char fds_before[FD_BITS / 8];
	struct stat in_flight;
	pid_t child;
	char k;

	mt_test_init(argc, argv);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sigpipe;
	if (sigaction(SIGPIPE, &sa, NULL))
		fail("sigaction: %s", strerror(errno));
	in.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	tl = socket(AF_INET, SOCK_STREAM, 0);
	if (tl < 0 || bind(tl, (struct sockaddr *)&in, il) || listen(tl, 1) ||
	    getsockname(tl, (struct sockaddr *)&in, &il))
		fail("TCP listener: %s", strerror(errno));
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sp) || pipe(sync))
		fail("socketpair: %s", strerror(errno));
	child = fork();
	if (child < 0)
		fail("fork: %s", strerror(errno));
	if (child == 0) {
		/* the peers, outside the process; gone with it */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != mt_pid0)
			_exit(0);
		close(sp[0]);
		int a = accept(tl, NULL, NULL);
		if (a < 0 || send(sp[1], "bye", 3, 0) != 3 || write(sync[1], "k", 1) != 1)
			_exit(1);
		for (;;)
			pause();
	}
	close(sp[1]);
	close(tl);
	close(sync[1]);
	tc = socket(AF_INET, SOCK_STREAM, 0);
	if (tc < 0 || connect(tc, (struct sockaddr *)&in, il))
		fail("connect: %s", strerror(errno));
	if (read(sync[0], &k, 1) != 1)
		fail("the child did not accept");
	close(sync[0]);

	/* a message carrying a descriptor, queued on sr[0] */
	{
		int pass = open("/dev/null", O_RDONLY | O_CLOEXEC);
		union {
			struct cmsghdr h;
			char space[CMSG_SPACE(sizeof(int))];
		} ctl;
		struct iovec iov = { "with-fd", 7 };
		struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = &ctl,
				     .msg_controllen = sizeof(ctl) };
		struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
		if (pass < 0 || fstat(pass, &in_flight) ||
		    socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sr))
			fail("socketpair: %s", strerror(errno));
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &pass, sizeof(int));
		if (sendmsg(sr[1], &mh, 0) != 7)
			fail("sendmsg with SCM_RIGHTS: %s", strerror(errno));
		close(pass);
	}
	nl = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (nl < 0 || bind(nl, (struct sockaddr *)&nla, sizeof(nla)))
		fail("netlink socket: %s", strerror(errno));
	open_fds(fds_before);

	mt_test_ready();

	char b[64];
	ssize_t n;
	int nfds;
	if (getppid() == mt_ppid0) {
		/* continue: the checkpoint read the queues and changed nothing */
		int extra = new_fd(fds_before, in_flight.st_dev, in_flight.st_ino);
		if (extra >= 0)
			fail("the checkpoint left fd %d open on the descriptor in flight, which "
			     "was not before", extra);
		nfds = recv_with_fds(sr[0], b, sizeof(b), &n);
		if (n != 7 || memcmp(b, "with-fd", 7) || nfds != 1)
			fail("sr[0]: the message with a descriptor changed (%zd bytes, %d fds)", n,
			     nfds);
		n = recv(sp[0], b, sizeof(b), MSG_DONTWAIT);
		if (n != 3 || memcmp(b, "bye", 3))
			fail("unix stream socket: the peer's bytes changed");
		if (recv(sp[0], b, sizeof(b), MSG_DONTWAIT) != -1 || errno != EAGAIN ||
		    recv(tc, b, sizeof(b), MSG_DONTWAIT) != -1 || errno != EAGAIN)
			fail("a connection to the child is not open any more");
		expect_netlink(nl);
		pass();
	}
	expect_closed(sp[0], "bye", AF_UNIX, "unix stream socket");
	expect_closed(tc, "", AF_INET, "TCP connection");
	nfds = recv_with_fds(sr[0], b, sizeof(b), &n);
	if (n != 7 || memcmp(b, "with-fd", 7) || nfds != 0)
		fail("sr[0]: expected the bytes of the message without its descriptor (%zd bytes, "
		     "%d fds)", n, nfds);
	expect_netlink(nl);
	pass();
}
