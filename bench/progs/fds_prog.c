/* SPDX-License-Identifier: MIT */
/*
 * fds_prog.c N - a program that holds N of each kernel object a
 * checkpoint saves with its state (bench/fds_pause.sh): pipes with 4 KiB
 * in flight, stream socket pairs with 4 KiB queued each way, eventfds,
 * timerfds, and one epoll set watching all of them.  Prints "ready PID"
 * and waits.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <unistd.h>

static void watch(int ep, int fd)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = fd };
	if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev)) {
		perror("epoll_ctl");
		exit(1);
	}
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 100;
	static char data[4096];
	int ep = epoll_create1(0);

	memset(data, 'x', sizeof(data));
	for (int i = 0; i < n; i++) {
		int p[2], s[2], e, t;
		struct itimerspec its = { { 1000, 0 }, { 1000, 0 } };
		if (pipe(p) || socketpair(AF_UNIX, SOCK_STREAM, 0, s) ||
		    (e = eventfd((unsigned)i, 0)) < 0 ||
		    (t = timerfd_create(CLOCK_MONOTONIC, 0)) < 0 ||
		    timerfd_settime(t, 0, &its, NULL) ||
		    write(p[1], data, sizeof(data)) != sizeof(data) ||
		    write(s[0], data, sizeof(data)) != sizeof(data) ||
		    write(s[1], data, sizeof(data)) != sizeof(data)) {
			perror("setup (raise ulimit -n?)");
			return 1;
		}
		watch(ep, p[0]);
		watch(ep, s[0]);
		watch(ep, e);
		watch(ep, t);
	}
	printf("ready %d\n", (int)getpid());
	fflush(stdout);
	for (;;)
		pause();
}
