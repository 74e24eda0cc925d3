/* SPDX-License-Identifier: MIT */
/*
 * objects_sockets.c - epoll sets, unix sockets, a TCP listener and an
 * inotify watch with state in them, checked exactly after the checkpoint
 * (and the restarts).
 */
#include "mt_test.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/inotify.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

const char *test_doc =
	"an epoll set of 5 fds with distinct data (one registered through an fd "
	"since closed and its number reused, one an epoll set itself) reports the "
	"same fds ready; a stream socketpair keeps the bytes queued both ways, a "
	"seqpacket and a datagram pair keep their queued messages and boundaries, "
	"a shut-down end stays shut; a unix listener on a path and one on an "
	"abstract name listen again, their accepted connections keep their queued "
	"bytes, and a client not yet accepted is accepted after; a TCP listener "
	"listens on its port again and a UDP socket is bound to its port again; "
	"an unconnected datagram socket keeps its queue, one connected one way "
	"stays connected and keeps its queue; an inotify watch keeps its wd and "
	"reports new files.";

#define Q1_LEN 100000u /* stream bytes queued on sp1[0] */
#define Q2_LEN 5000u   /* and on sp1[1] */

static const unsigned seq_sizes[] = { 1, 100, 7000, 3 };
static const unsigned dg_sizes[] = { 17, 0, 4000, 65000 };
#define DG_MORE 20u

/* Everything the checks need: fd numbers and the expected values. */
static struct {
	int ep, ep2, ep3, ydup, y1, sp1[2], sq[2], dg[2], sp3[2], xdup, xnum, tcp, ino_fd, wd_dir, wd_b;
	int l1, c1, a1, p1, l2, c2, a2, d1, d2, d3, udp;
	int tcp_port, udp_port;
	char l1_path[108], d1_path[108], d2_path[108], d3_path[108], abs_name[64];
	char dir[PATH_MAX], dir_b[PATH_MAX];
	socklen_t abs_len;
} g;

static unsigned char pat(unsigned i, unsigned seed)
{
	return (unsigned char)((i * 2654435761u + seed * 97u) >> 13);
}

static void fill(unsigned char *b, unsigned len, unsigned seed)
{
	for (unsigned i = 0; i < len; i++)
		b[i] = pat(i, seed);
}

static void send_all(int fd, const void *b, size_t len, const char *what)
{
	const char *p = b;
	while (len) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			fail("send %s: %s", what, strerror(errno));
		p += n;
		len -= (size_t)n;
	}
}

static void send_msg(int fd, unsigned len, unsigned seed, const char *what)
{
	static unsigned char b[70000];
	fill(b, len, seed);
	if (send(fd, b, len, MSG_NOSIGNAL) != (ssize_t)len)
		fail("send %s (%u bytes): %s", what, len, strerror(errno));
}

/* Reads exactly len bytes that must be pattern `seed`, then nothing. */
static void expect_stream(int fd, unsigned len, unsigned seed, const char *what)
{
	static unsigned char b[Q1_LEN + 1];
	unsigned got = 0;

	while (got < len) {
		ssize_t n = recv(fd, b + got, len + 1 - got, MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			fail("%s: %u of %u bytes, then %s", what, got, len,
			     n ? strerror(errno) : "end of file");
		got += (unsigned)n;
	}
	if (got != len)
		fail("%s: %u bytes queued, expected %u", what, got, len);
	for (unsigned i = 0; i < len; i++)
		if (b[i] != pat(i, seed))
			fail("%s: byte %u differs", what, i);
	if (recv(fd, b, 1, MSG_DONTWAIT) != -1 || errno != EAGAIN)
		fail("%s: more than the %u bytes queued", what, len);
}

/* Reads one message of exactly len bytes of pattern seed. */
static void expect_msg(int fd, unsigned len, unsigned seed, const char *what)
{
	static unsigned char b[70001];
	ssize_t n = recv(fd, b, sizeof(b), MSG_DONTWAIT);
	if (n < 0)
		fail("%s: no message of %u bytes: %s", what, len, strerror(errno));
	if ((unsigned)n != len)
		fail("%s: a message of %zd bytes, expected %u", what, n, len);
	for (unsigned i = 0; i < len; i++)
		if (b[i] != pat(i, seed))
			fail("%s: byte %u differs", what, i);
}

static void expect_text(int fd, const char *text, const char *what)
{
	char b[256];
	ssize_t n = recv(fd, b, sizeof(b) - 1, MSG_DONTWAIT);
	if (n < 0)
		fail("%s: nothing to read: %s", what, strerror(errno));
	b[n] = '\0';
	if (strcmp(b, text))
		fail("%s: read '%s', expected '%s'", what, b, text);
}

static void expect_empty(int fd, const char *what)
{
	char b[16];
	if (recv(fd, b, sizeof(b), MSG_DONTWAIT) != -1 || errno != EAGAIN)
		fail("%s: not empty", what);
}

static socklen_t un_addr(struct sockaddr_un *a, const char *name, size_t len)
{
	memset(a, 0, sizeof(*a));
	a->sun_family = AF_UNIX;
	memcpy(a->sun_path, name, len);
	return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len);
}

static void expect_opt(int fd, int level, int opt, int want, const char *what)
{
	int v = -1;
	socklen_t l = sizeof(v);
	if (getsockopt(fd, level, opt, &v, &l) || !!v != want)
		fail("%s is %d, expected %d", what, v, want);
}

static int un_listen(const char *name, size_t len)
{
	struct sockaddr_un a;
	socklen_t al = un_addr(&a, name, len);
	int s = socket(AF_UNIX, SOCK_STREAM, 0);
	if (s < 0 || bind(s, (struct sockaddr *)&a, al) || listen(s, 8))
		fail("unix listener %s: %s", name[0] ? name : name + 1, strerror(errno));
	return s;
}

static int un_connect(const char *name, size_t len, int type)
{
	struct sockaddr_un a;
	socklen_t al = un_addr(&a, name, len);
	int s = socket(AF_UNIX, type, 0);
	if (s < 0 || connect(s, (struct sockaddr *)&a, al))
		fail("connect to %s: %s", name[0] ? name : name + 1, strerror(errno));
	return s;
}

static void ep_add(int ep, int fd, uint64_t data)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = data };
	if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev))
		fail("epoll_ctl ADD %d: %s", fd, strerror(errno));
}

/* The data of the ready registrations of ep, as a bit set of 1..7 (data
 * 0x1111 * k sets bit k). */
static unsigned ready_set(int ep)
{
	struct epoll_event ev[16];
	unsigned set = 0;
	int n = epoll_wait(ep, ev, 16, 0);
	if (n < 0)
		fail("epoll_wait: %s", strerror(errno));
	for (int i = 0; i < n; i++) {
		uint64_t k = ev[i].data.u64 / 0x1111;
		if (k * 0x1111 != ev[i].data.u64 || k < 1 || k > 7)
			fail("epoll_wait: unexpected data %#llx", (unsigned long long)ev[i].data.u64);
		set |= 1u << k;
	}
	return set;
}

/* /proc/self/fdinfo/ep has a registration (tfd, data). */
static int has_registration(int ep, int tfd, uint64_t data)
{
	char path[64], line[256];
	int found = 0, n = 0;
	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", ep);
	FILE *f = fopen(path, "r");
	if (!f)
		fail("%s: %s", path, strerror(errno));
	while (fgets(line, sizeof(line), f)) {
		int t;
		unsigned ev;
		unsigned long long d;
		if (sscanf(line, "tfd: %d events: %x data: %llx", &t, &ev, &d) != 3)
			continue;
		n++;
		if (t == tfd && d == data)
			found = 1;
	}
	fclose(f);
	return found ? n : -n;
}

static void setup(void)
{
	const char *tmp = mt_tmpdir();
	unsigned char big[Q1_LEN];
	int x[2];

	if (!tmp)
		skip("MT_TMPDIR is not set");

	/* a stream pair with bytes queued both ways */
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, g.sp1))
		fail("socketpair: %s", strerror(errno));
	/* room for Q1_LEN in flight */
	int big_buf = 1 << 20;
	setsockopt(g.sp1[1], SOL_SOCKET, SO_SNDBUF, &big_buf, sizeof(big_buf));
	fill(big, Q1_LEN, 1);
	send_all(g.sp1[1], big, Q1_LEN, "sp1[1]");
	fill(big, Q2_LEN, 2);
	send_all(g.sp1[0], big, Q2_LEN, "sp1[0]");

	/* seqpacket and datagram pairs with messages queued */
	if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, g.sq) || socketpair(AF_UNIX, SOCK_DGRAM, 0, g.dg))
		fail("socketpair: %s", strerror(errno));
	for (unsigned i = 0; i < sizeof(seq_sizes) / sizeof(seq_sizes[0]); i++)
		send_msg(g.sq[1], seq_sizes[i], 10 + i, "sq[1]");
	send_msg(g.sq[0], 42, 20, "sq[0]");
	for (unsigned i = 0; i < sizeof(dg_sizes) / sizeof(dg_sizes[0]); i++)
		send_msg(g.dg[1], dg_sizes[i], 30 + i, "dg[1]");
	/* more than net.unix.max_dgram_qlen (10 by default): a peer may */
	for (unsigned i = 0; i < DG_MORE; i++)
		send_msg(g.dg[1], 5 + i, 50 + i, "dg[1]");

	/* a pair one end of which is shut down for writing after "tail" */
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, g.sp3))
		fail("socketpair: %s", strerror(errno));
	send_all(g.sp3[1], "tail", 4, "sp3[1]");
	if (shutdown(g.sp3[1], SHUT_WR))
		fail("shutdown: %s", strerror(errno));

	/* a listener on a path (mode 0600): an accepted connection with bytes
	 * both ways, and a client not accepted yet */
	snprintf(g.l1_path, sizeof(g.l1_path), "%s/l1.sock", tmp);
	g.l1 = un_listen(g.l1_path, strlen(g.l1_path) + 1);
	if (chmod(g.l1_path, 0600))
		fail("chmod %s: %s", g.l1_path, strerror(errno));
	g.c1 = un_connect(g.l1_path, strlen(g.l1_path) + 1, SOCK_STREAM);
	g.a1 = accept(g.l1, NULL, NULL);
	if (g.a1 < 0)
		fail("accept: %s", strerror(errno));
	send_all(g.c1, "ping", 4, "c1");
	send_all(g.a1, "pong", 4, "a1");
	g.p1 = un_connect(g.l1_path, strlen(g.l1_path) + 1, SOCK_STREAM);

	/* a listener on an abstract name */
	g.abs_len = (socklen_t)(1 + snprintf(g.abs_name + 1, sizeof(g.abs_name) - 1,
					      "mtcp-objs-%d", (int)mt_pid0));
	g.l2 = un_listen(g.abs_name, g.abs_len);
	g.c2 = un_connect(g.abs_name, g.abs_len, SOCK_STREAM);
	g.a2 = accept(g.l2, NULL, NULL);
	if (g.a2 < 0)
		fail("accept: %s", strerror(errno));
	send_all(g.c2, "abs-hello", 9, "c2");

	/* an unconnected datagram socket on a path with 5 messages queued */
	{
		struct sockaddr_un a;
		socklen_t al;
		int t = socket(AF_UNIX, SOCK_DGRAM, 0);
		snprintf(g.d1_path, sizeof(g.d1_path), "%s/d1.sock", tmp);
		al = un_addr(&a, g.d1_path, strlen(g.d1_path) + 1);
		g.d1 = socket(AF_UNIX, SOCK_DGRAM, 0);
		if (g.d1 < 0 || t < 0 || bind(g.d1, (struct sockaddr *)&a, al))
			fail("datagram socket %s: %s", g.d1_path, strerror(errno));
		for (int i = 1; i <= 5; i++) {
			char m[8];
			int n = snprintf(m, sizeof(m), "m%d", i);
			if (sendto(t, m, (size_t)n, 0, (struct sockaddr *)&a, al) != n)
				fail("sendto %s: %s", g.d1_path, strerror(errno));
		}
		close(t);
	}

	/* d3 connected one way to d2 (both bound): d2 queued 2 messages on
	 * d3, d3 one on d2 */
	{
		struct sockaddr_un a2, a3;
		socklen_t l2, l3;
		snprintf(g.d2_path, sizeof(g.d2_path), "%s/d2.sock", tmp);
		snprintf(g.d3_path, sizeof(g.d3_path), "%s/d3.sock", tmp);
		l2 = un_addr(&a2, g.d2_path, strlen(g.d2_path) + 1);
		l3 = un_addr(&a3, g.d3_path, strlen(g.d3_path) + 1);
		g.d2 = socket(AF_UNIX, SOCK_DGRAM, 0);
		g.d3 = socket(AF_UNIX, SOCK_DGRAM, 0);
		if (g.d2 < 0 || g.d3 < 0 || bind(g.d2, (struct sockaddr *)&a2, l2) ||
		    bind(g.d3, (struct sockaddr *)&a3, l3) || connect(g.d3, (struct sockaddr *)&a2, l2))
			fail("datagram sockets d2, d3: %s", strerror(errno));
		if (sendto(g.d2, "to-d3-a", 7, 0, (struct sockaddr *)&a3, l3) != 7 ||
		    sendto(g.d2, "to-d3-b", 7, 0, (struct sockaddr *)&a3, l3) != 7 ||
		    send(g.d3, "to-d2", 5, 0) != 5)
			fail("datagrams between d2 and d3: %s", strerror(errno));
	}

	/* a UDP socket bound to 127.0.0.1, port chosen by the kernel */
	{
		struct sockaddr_in in = { .sin_family = AF_INET };
		socklen_t il = sizeof(in);
		in.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		int one = 1;
		g.udp = socket(AF_INET, SOCK_DGRAM, 0);
		if (g.udp < 0 ||
		    setsockopt(g.udp, SOL_SOCKET, SO_BROADCAST, &one, sizeof(one)) ||
		    bind(g.udp, (struct sockaddr *)&in, il) ||
		    getsockname(g.udp, (struct sockaddr *)&in, &il))
			fail("UDP socket: %s", strerror(errno));
		g.udp_port = ntohs(in.sin_port);
	}

	/* a TCP listener on 127.0.0.1, port chosen by the kernel */
	{
		struct sockaddr_in in = { .sin_family = AF_INET };
		socklen_t il = sizeof(in);
		in.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		int one = 1;
		g.tcp = socket(AF_INET, SOCK_STREAM, 0);
		if (g.tcp < 0 ||
		    setsockopt(g.tcp, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) ||
		    setsockopt(g.tcp, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one)) ||
		    setsockopt(g.tcp, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) ||
		    bind(g.tcp, (struct sockaddr *)&in, il) || listen(g.tcp, 16) ||
		    getsockname(g.tcp, (struct sockaddr *)&in, &il))
			fail("TCP listener: %s", strerror(errno));
		g.tcp_port = ntohs(in.sin_port);
	}

	/* inotify: a watch on dir_b, one on dir */
	snprintf(g.dir, sizeof(g.dir), "%s/watched", tmp);
	snprintf(g.dir_b, sizeof(g.dir_b), "%s/watched_b", tmp);
	if ((mkdir(g.dir, 0755) && errno != EEXIST) || (mkdir(g.dir_b, 0755) && errno != EEXIST))
		fail("mkdir: %s", strerror(errno));
	g.ino_fd = inotify_init1(IN_NONBLOCK);
	if (g.ino_fd < 0)
		fail("inotify_init1: %s", strerror(errno));
	/* wds 1..20 added and removed: the kept ones are 21 and 22 (fdinfo
	 * gives them in hex) */
	int w1 = -1;
	for (int i = 0; i < 20; i++) {
		w1 = inotify_add_watch(g.ino_fd, g.dir, IN_CREATE);
		if (w1 < 0 || inotify_rm_watch(g.ino_fd, w1))
			fail("inotify: %s", strerror(errno));
	}
	g.wd_b = inotify_add_watch(g.ino_fd, g.dir_b, IN_DELETE);
	/* added by a relative path: recorded absolute */
	if (chdir(tmp))
		fail("chdir: %s", strerror(errno));
	g.wd_dir = inotify_add_watch(g.ino_fd, "watched", IN_CREATE | IN_ONLYDIR);
	if (g.wd_b != 21 || g.wd_dir != 22)
		fail("inotify_add_watch: wds %d and %d, expected 21 and 22 (%s)", g.wd_b, g.wd_dir,
		     strerror(errno));
	{
		char b[4096];
		while (read(g.ino_fd, b, sizeof(b)) > 0) /* the IN_IGNORED events */
			;
	}

	/* epoll: 5 registrations with data 0x1111 * k */
	g.ep = epoll_create1(0);
	g.ep2 = epoll_create1(EPOLL_CLOEXEC);
	if (g.ep < 0 || g.ep2 < 0)
		fail("epoll_create1: %s", strerror(errno));
	ep_add(g.ep, g.sp1[0], 0x1111);      /* 1: bytes queued: ready */
	ep_add(g.ep, g.tcp, 0x2222);         /* 2: no connection yet */
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, x))
		fail("socketpair: %s", strerror(errno));
	ep_add(g.ep, x[0], 0x3333);          /* 3: registered as x[0] ... */
	g.xdup = dup(x[0]);                  /* ... which lives on as xdup */
	g.xnum = x[0];
	close(x[0]);
	{
		/* and x[0]'s number is taken by something else (close-on-exec) */
		int n = open("/dev/null", O_RDONLY | O_CLOEXEC);
		if (n != g.xnum)
			fail("/dev/null got fd %d, not %d", n, g.xnum);
	}
	send_all(x[1], "x", 1, "x[1]");      /* ready */
	ep_add(g.ep2, g.sq[0], 0x5555);      /* in ep2: sq[0] has messages */
	ep_add(g.ep, g.ep2, 0x4444);         /* 4: an epoll set: ready */
	ep_add(g.ep, g.ino_fd, 0x6666);      /* 6: no event yet */

	/* ep3 lives on the number its only registration was made with: y[0],
	 * since closed (the registration lives on through ydup) */
	{
		int y[2], e3 = epoll_create1(0);
		if (e3 < 0 || socketpair(AF_UNIX, SOCK_STREAM, 0, y))
			fail("epoll_create1, socketpair: %s", strerror(errno));
		ep_add(e3, y[0], 0x7777);
		g.ydup = dup(y[0]);
		if (dup2(e3, y[0]) != y[0])
			fail("dup2: %s", strerror(errno));
		close(e3);
		g.ep3 = y[0];
		g.y1 = y[1];
	}
	/* x[1] stays open: the one byte stays queued */
}

static void check_epoll(void)
{
	unsigned want = 1u << 1 | 1u << 3 | 1u << 4, got = ready_set(g.ep);
	char link[64], path[64];
	ssize_t n;
	int fl;

	if (got != want)
		fail("epoll: ready set %#x, expected %#x", got, want);
	if (ready_set(g.ep2) != 1u << 5)
		fail("inner epoll: ready set %#x, expected 0x20", ready_set(g.ep2));
	int regs[][2] = { { g.sp1[0], 0x1111 }, { g.tcp, 0x2222 }, { g.xnum, 0x3333 },
			  { g.ep2, 0x4444 }, { g.ino_fd, 0x6666 } };
	for (unsigned i = 0; i < 5; i++) {
		int r = has_registration(g.ep, regs[i][0], (uint64_t)regs[i][1]);
		if (r != 5)
			fail("epoll: %s registration (tfd %d, data %#x) among %d", r > 0 ? "5 expected, a" : "no",
			     regs[i][0], regs[i][1], r < 0 ? -r : r);
	}
	/* the stale number holds /dev/null again, still close-on-exec */
	snprintf(path, sizeof(path), "/proc/self/fd/%d", g.xnum);
	n = readlink(path, link, sizeof(link) - 1);
	link[n > 0 ? n : 0] = '\0';
	fl = fcntl(g.xnum, F_GETFD);
	if (strcmp(link, "/dev/null") || fl != FD_CLOEXEC)
		fail("fd %d: '%s' flags %d, expected /dev/null, close-on-exec", g.xnum, link, fl);
	if (fcntl(g.ep2, F_GETFD) != FD_CLOEXEC || fcntl(g.ep, F_GETFD) != 0)
		fail("epoll fds: close-on-exec flags changed");
	/* ep3, on the number of its own registration */
	if (has_registration(g.ep3, g.ep3, 0x7777) != 1)
		fail("epoll ep3: its registration under fd %d is not there", g.ep3);
	if (ready_set(g.ep3) != 0)
		fail("epoll ep3: ready before anything was sent");
}

static void check_all(void)
{
	struct stat st;

	check_epoll();

	send_all(g.y1, "y", 1, "y1");
	if (ready_set(g.ep3) != 1u << 7)
		fail("epoll ep3: not ready after its target got a byte");
	expect_text(g.ydup, "y", "ydup");

	/* stream pair, both ways */
	expect_stream(g.sp1[0], Q1_LEN, 1, "sp1[0]");
	expect_stream(g.sp1[1], Q2_LEN, 2, "sp1[1]");
	send_all(g.sp1[1], "after", 5, "sp1[1]");
	expect_text(g.sp1[0], "after", "sp1[0] after");

	/* seqpacket and datagram boundaries */
	for (unsigned i = 0; i < sizeof(seq_sizes) / sizeof(seq_sizes[0]); i++)
		expect_msg(g.sq[0], seq_sizes[i], 10 + i, "sq[0]");
	expect_empty(g.sq[0], "sq[0]");
	expect_msg(g.sq[1], 42, 20, "sq[1]");
	for (unsigned i = 0; i < sizeof(dg_sizes) / sizeof(dg_sizes[0]); i++)
		expect_msg(g.dg[0], dg_sizes[i], 30 + i, "dg[0]");
	for (unsigned i = 0; i < DG_MORE; i++)
		expect_msg(g.dg[0], 5 + i, 50 + i, "dg[0]");
	expect_empty(g.dg[0], "dg[0]");
	send_msg(g.dg[0], 9, 99, "dg[0]");
	expect_msg(g.dg[1], 9, 99, "dg[1]");

	/* the shut-down pair: "tail", then end of file; its writer stays shut */
	{
		char b[8];
		expect_text(g.sp3[0], "tail", "sp3[0]");
		if (recv(g.sp3[0], b, sizeof(b), MSG_DONTWAIT) != 0)
			fail("sp3[0]: no end of file after 'tail'");
		if (send(g.sp3[1], "x", 1, MSG_NOSIGNAL) != -1 || errno != EPIPE)
			fail("sp3[1]: a write after shutdown did not fail with EPIPE");
	}

	/* listener on a path */
	if (lstat(g.l1_path, &st) || !S_ISSOCK(st.st_mode) || (st.st_mode & 0777) != 0600)
		fail("%s: not a socket of mode 0600", g.l1_path);
	expect_text(g.a1, "ping", "a1");
	expect_text(g.c1, "pong", "c1");
	{
		int pa = accept4(g.l1, NULL, NULL, SOCK_NONBLOCK);
		if (pa < 0)
			fail("the client waiting on %s was not accepted: %s", g.l1_path, strerror(errno));
		send_all(g.p1, "late", 4, "p1");
		expect_text(pa, "late", "accepted p1");
		send_all(pa, "back", 4, "pa");
		expect_text(g.p1, "back", "p1");
		close(pa);
		int c = un_connect(g.l1_path, strlen(g.l1_path) + 1, SOCK_STREAM);
		int a = accept(g.l1, NULL, NULL);
		if (a < 0)
			fail("accept on %s after the restart: %s", g.l1_path, strerror(errno));
		close(a);
		close(c);
	}

	/* listener on an abstract name */
	expect_text(g.a2, "abs-hello", "a2");
	expect_empty(g.c2, "c2");
	{
		int c = un_connect(g.abs_name, g.abs_len, SOCK_STREAM);
		int a = accept(g.l2, NULL, NULL);
		if (a < 0)
			fail("accept on @%s: %s", g.abs_name + 1, strerror(errno));
		send_all(c, "new", 3, "new client");
		expect_text(a, "new", "accepted new client");
		close(a);
		close(c);
	}

	/* the unconnected datagram socket */
	for (int i = 1; i <= 5; i++) {
		char m[8];
		snprintf(m, sizeof(m), "m%d", i);
		expect_text(g.d1, m, "d1");
	}
	expect_empty(g.d1, "d1");

	/* d3 is still connected to d2, and each has its messages */
	expect_text(g.d3, "to-d3-a", "d3");
	expect_text(g.d3, "to-d3-b", "d3");
	expect_empty(g.d3, "d3");
	expect_text(g.d2, "to-d2", "d2");
	expect_empty(g.d2, "d2");
	{
		struct sockaddr_un a;
		socklen_t al = sizeof(a);
		if (getpeername(g.d3, (struct sockaddr *)&a, &al) || strcmp(a.sun_path, g.d2_path))
			fail("d3: not connected to %s any more", g.d2_path);
		send_all(g.d3, "again", 5, "d3");
		expect_text(g.d2, "again", "d2");
	}

	/* UDP: the same port; a datagram sent to it arrives */
	{
		struct sockaddr_in in;
		socklen_t il = sizeof(in);
		if (getsockname(g.udp, (struct sockaddr *)&in, &il) || ntohs(in.sin_port) != g.udp_port)
			fail("UDP socket: not on port %d any more", g.udp_port);
		int c = socket(AF_INET, SOCK_DGRAM, 0);
		if (c < 0 || sendto(c, "udp", 3, 0, (struct sockaddr *)&in, il) != 3)
			fail("sendto 127.0.0.1:%d: %s", g.udp_port, strerror(errno));
		char b[8];
		if (recv(g.udp, b, sizeof(b), 0) != 3 || memcmp(b, "udp", 3))
			fail("UDP socket: the datagram did not arrive");
		close(c);
		expect_opt(g.udp, SOL_SOCKET, SO_BROADCAST, 1, "UDP SO_BROADCAST");
		expect_opt(g.udp, SOL_SOCKET, SO_REUSEPORT, 0, "UDP SO_REUSEPORT");
	}

	/* TCP: the same port; a connection is accepted and epoll sees it */
	{
		struct sockaddr_in in;
		socklen_t il = sizeof(in);
		if (getsockname(g.tcp, (struct sockaddr *)&in, &il) || ntohs(in.sin_port) != g.tcp_port)
			fail("TCP listener: not on port %d any more", g.tcp_port);
		expect_opt(g.tcp, SOL_SOCKET, SO_REUSEPORT, 1, "TCP listener SO_REUSEPORT");
		expect_opt(g.tcp, SOL_SOCKET, SO_KEEPALIVE, 1, "TCP listener SO_KEEPALIVE");
		expect_opt(g.tcp, IPPROTO_TCP, TCP_NODELAY, 1, "TCP listener TCP_NODELAY");
		in.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		int c = socket(AF_INET, SOCK_STREAM, 0);
		if (c < 0 || connect(c, (struct sockaddr *)&in, il))
			fail("connect to 127.0.0.1:%d: %s", g.tcp_port, strerror(errno));
		if (!(ready_set(g.ep) & 1u << 2))
			fail("epoll: the TCP listener is not ready after a connect");
		int a = accept(g.tcp, NULL, NULL);
		if (a < 0)
			fail("accept on 127.0.0.1:%d: %s", g.tcp_port, strerror(errno));
		close(a);
		close(c);
	}

	/* inotify: the same wds; a new file is reported */
	{
		char path[PATH_MAX + 16];
		char b[4096] __attribute__((aligned(8)));
		struct inotify_event *ev = (struct inotify_event *)b;
		if (ready_set(g.ep) & 1u << 6)
			fail("epoll: inotify ready before any event");
		snprintf(path, sizeof(path), "%s/new.txt", g.dir);
		int f = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0644);
		if (f < 0)
			fail("%s: %s", path, strerror(errno));
		close(f);
		if (!(ready_set(g.ep) & 1u << 6))
			fail("epoll: inotify not ready after a file was created");
		ssize_t n = read(g.ino_fd, b, sizeof(b));
		if (n < (ssize_t)sizeof(*ev))
			fail("inotify: no event after a file was created: %s", strerror(errno));
		if (ev->wd != g.wd_dir || !(ev->mask & IN_CREATE) || strcmp(ev->name, "new.txt"))
			fail("inotify: event wd %d mask %#x name '%s', expected wd %d IN_CREATE new.txt",
			     ev->wd, ev->mask, ev->len ? ev->name : "", g.wd_dir);
		if ((size_t)n != sizeof(*ev) + ev->len)
			fail("inotify: more than one event");
		unlink(path);
		if (read(g.ino_fd, b, sizeof(b)) >= 0)
			fail("inotify: an event for a delete in %s, which is not watched for it", g.dir);
		/* the same inode gives its wd back */
		int w = inotify_add_watch(g.ino_fd, g.dir_b, IN_DELETE);
		if (w != g.wd_b)
			fail("inotify: %s has wd %d, expected %d", g.dir_b, w, g.wd_b);
	}
}

int main(int argc, char **argv)
{
	mt_test_init(argc, argv);
	setup();
	check_epoll(); /* the expectations hold before the checkpoint */
	mt_test_ready();
	check_all();
	pass();
}
