/* SPDX-License-Identifier: MIT */
/*
 * holder.c - a program that holds an object no checkpoint can save (a
 * pidfd: the kernel offers no way to make one for a process that is not
 * ours after a restart), for degraded.sh.
 *
 *   SIGUSR1: a pidfd of a new child is put at fd 10 ("opened 10")
 *   SIGUSR2: fd 10 is replaced by a pidfd of another child ("replaced 10")
 *   SIGHUP:  fd 10 is a new pidfd of the last child again ("reopened 10"):
 *            the same object (same pidfs inode) as before
 * Each child's pid is printed ("child PID"): they outlive the program.
 *   SIGTERM: exits 0
 * It prints "ready" first, then "tick N" lines as it runs.  With the
 * argument "sockopt" it also holds a socket pair one of whose ends has a
 * receive timeout (SO_RCVTIMEO 1.5 s), an option no record keeps.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t want;
static pid_t last_child;

static void on_sig(int sig)
{
	want = sig;
}

static void pidfd_at_10(pid_t child)
{
	int pfd = (int)syscall(SYS_pidfd_open, child, 0);
	if (pfd < 0 || dup2(pfd, 10) != 10) {
		fprintf(stderr, "FAIL: pidfd_open: %s\n", strerror(errno));
		exit(1);
	}
	close(pfd);
}

/* A child that waits (killed by degraded.sh), and a pidfd of it at fd 10. */
static void new_pidfd(void)
{
	pid_t child = fork();
	if (child < 0) {
		perror("fork");
		exit(1);
	}
	if (child == 0) {
		for (;;)
			pause();
	}
	printf("child %d\n", (int)child);
	last_child = child;
	pidfd_at_10(child);
}

int main(int argc, char **argv)
{
	struct sigaction sa;
	unsigned long n = 0;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sig;
	sigaction(SIGUSR1, &sa, NULL);
	sigaction(SIGUSR2, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc > 1 && !strcmp(argv[1], "sockopt")) {
		int sv[2];
		struct timeval tv = { 1, 500000 };
		if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) ||
		    setsockopt(sv[0], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv))) {
			perror("socketpair");
			return 1;
		}
	}
	printf("ready %d\n", (int)getpid());
	for (;;) {
		struct timespec ts = { 0, 20 * 1000 * 1000 };
		nanosleep(&ts, NULL);
		switch (want) {
		case SIGUSR1:
			new_pidfd();
			printf("opened 10\n");
			break;
		case SIGUSR2:
			new_pidfd();
			printf("replaced 10\n");
			break;
		case SIGHUP:
			pidfd_at_10(last_child);
			printf("reopened 10\n");
			break;
		case SIGTERM:
			printf("done\n");
			return 0;
		}
		want = 0;
		if (++n % 50 == 0)
			printf("tick %lu\n", n / 50);
	}
}
