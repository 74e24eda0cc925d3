/* SPDX-License-Identifier: MIT */
/*
 * objects_outside.c - connections to peers outside the process come back
 * closed by their peer (run with --mode restart or chain, and
 * --expect-ckpt degraded).
 */
#include "mt_test.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

const char *test_doc =
	"a unix stream socket and a TCP connection whose peers are in a child "
	"process come back as connections closed by their peer: the bytes the "
	"peer had sent are read, then end of file; a write fails with EPIPE and "
	"raises SIGPIPE; the TCP one is still an AF_INET socket.";

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

int main(int argc, char **argv)
{
	struct sigaction sa;
	struct sockaddr_in in = { .sin_family = AF_INET };
	socklen_t il = sizeof(in);
	int sp[2], sync[2], tl, tc;
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
	mt_test_ready();
	expect_closed(sp[0], "bye", AF_UNIX, "unix stream socket");
	expect_closed(tc, "", AF_INET, "TCP connection");
	pass();
}
