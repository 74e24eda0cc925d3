/* SPDX-License-Identifier: MIT */
/*
 * ctl_peer.c - the other end of a control socket, for ctl_channel.sh.
 *
 *   ctl_peer serve PID [UID]
 *                           an impostor: binds ctl.PID in the control
 *                           directory of UID (default: our euid; root can
 *                           bind in anyone's), prints "listening PATH", answers
 *                           every client "ACCEPTED" and "OK /fake/impostor.mtcp"
 *                           until killed
 *   ctl_peer flood PID N    opens N idle connections to ctl.PID, then one
 *                           more, which must be answered "ERR too many
 *                           clients" (prints "busy"); then each idle one must
 *                           be answered "ERR timeout" and closed, not before
 *                           2 s (prints "dropped N")
 *
 * Directories are under $MTCP_CTL_DIR or /tmp; flood uses our euid's.
 * Exit 0 on success, 1 with a message on stderr otherwise.
 */
#include "ctl-proto.h"
#include "ctl_path.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define FLOOD_MAX 256

static void fail(const char *fmt, const char *arg)
{
	fprintf(stderr, "ctl_peer: ");
	fprintf(stderr, fmt, arg);
	fputc('\n', stderr);
	exit(1);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int open_dir(uid_t uid, int create)
{
	char err[1024];
	int fd = ctl_dir_open(uid, create, err, sizeof(err));

	if (fd < 0)
		fail("%s", err);
	return fd;
}

/* Reads until a newline, EOF or `seconds`: the bytes read (NUL-terminated). */
static ssize_t read_line(int fd, char *buf, size_t len, double seconds)
{
	double end = now_s() + seconds;
	size_t got = 0;

	while (got < len - 1 && !memchr(buf, '\n', got)) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		double left = end - now_s();
		ssize_t n;
		if (left <= 0 || poll(&p, 1, (int)(left * 1000) + 1) <= 0)
			break;
		n = recv(fd, buf + got, len - 1 - got, MSG_DONTWAIT);
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	buf[got] = '\0';
	return (ssize_t)got;
}

static int serve(pid_t pid, uid_t uid) __attribute__((noreturn));

static int serve(pid_t pid, uid_t uid)
{
	struct ctl_name name;
	char dir[CTL_PATH_MAX], err[1024];
	int dirfd = open_dir(uid, 1), l;

	ctl_dir_path(uid, dir, sizeof(dir));
	l = ctl_listen_at(dirfd, dir, pid, uid, &name, err, sizeof(err));
	if (l < 0)
		fail("%s", err);
	printf("listening %s\n", name.path);
	fflush(stdout);
	for (;;) {
		struct pollfd p = { .fd = l, .events = POLLIN };
		const char *answer = MTCP_CTL_ACCEPTED "\n" MTCP_CTL_OK "/fake/impostor.mtcp\n";
		char line[64];
		int c;

		if (poll(&p, 1, -1) < 0 && errno != EINTR)
			fail("poll: %s", strerror(errno));
		c = accept(l, NULL, NULL);
		if (c < 0)
			continue;
		read_line(c, line, sizeof(line), 2);
		send(c, answer, strlen(answer), MSG_NOSIGNAL);
		close(c);
	}
}

static int connect_to(int dirfd, pid_t pid)
{
	struct sockaddr_un a;
	socklen_t len;
	int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (s < 0 || ctl_sock_addr(dirfd, pid, &a, &len) || connect(s, (struct sockaddr *)&a, len))
		fail("cannot connect: %s", strerror(errno));
	return s;
}

static int flood(pid_t pid, int n)
{
	static int fds[FLOOD_MAX];
	char line[128], count[32];
	int dirfd = open_dir(geteuid(), 0), extra, dropped = 0;
	double start = now_s();

	for (int i = 0; i < n; i++)
		fds[i] = connect_to(dirfd, pid);
	/* accepted in order: this one comes after every idle one */
	extra = connect_to(dirfd, pid);
	read_line(extra, line, sizeof(line), 2);
	if (strcmp(line, MTCP_CTL_ERR MTCP_CTL_ERR_BUSY "\n"))
		fail("connection %s got no 'ERR too many clients'", "65") ;
	close(extra);
	printf("busy\n");
	fflush(stdout);
	for (int i = 0; i < n; i++) {
		read_line(fds[i], line, sizeof(line), 10);
		if (strcmp(line, MTCP_CTL_ERR MTCP_CTL_ERR_TIMEOUT "\n"))
			fail("an idle connection got '%s', not 'ERR timeout'", line);
		/* then EOF */
		if (read_line(fds[i], line, sizeof(line), 2) != 0)
			fail("an idle connection was not closed after 'ERR timeout': '%s'", line);
		close(fds[i]);
		dropped++;
	}
	if (now_s() - start < MTCP_CTL_IDLE_S - 1)
		fail("idle connections dropped after %s, too early", "less than 2 s");
	snprintf(count, sizeof(count), "%d", dropped);
	printf("dropped %s\n", count);
	return 0;
}

int main(int argc, char **argv)
{
	pid_t pid;

	signal(SIGPIPE, SIG_IGN);
	if (argc < 3 || (pid = (pid_t)atoi(argv[2])) <= 0)
		fail("usage: ctl_peer serve PID [UID] | flood PID N%s", "");
	if (!strcmp(argv[1], "serve") && argc <= 4)
		return serve(pid, argc == 4 ? (uid_t)atoi(argv[3]) : geteuid());
	if (!strcmp(argv[1], "flood") && argc == 4 && atoi(argv[3]) > 0 &&
	    atoi(argv[3]) <= FLOOD_MAX)
		return flood(pid, atoi(argv[3]));
	fail("usage: ctl_peer serve PID [UID] | flood PID N%s", "");
	return 1;
}
