/* SPDX-License-Identifier: MIT */
/*
 * writer_probe.c - finds and watches a checkpoint's writer process for the
 * tests in tests/cow (writer_lib.sh), without sleeping: inotify on the
 * gate FIFO and pidfds, each wait with a deadline.
 *
 *   writer_probe find GATE PROG MS [UNTIL]
 *       Waits until a process holds GATE (the FIFO named by
 *       MTCP_TEST_WRITER_GATE) open read-only, which the writer does while
 *       it is held there, and prints its pid.  Exit 0: found, and it is a
 *       child of PROG; 5: found, but its parent is not PROG (printed: "PID
 *       PPID"); 3: no writer yet when process UNTIL ended (the checkpoint
 *       was taken without one); 4: PROG ended; 1: none within MS ms.
 *   writer_probe killwait PROG W MS
 *       SIGKILLs PROG (a pidfd: no pid reuse) and waits until both PROG and
 *       W are gone.  Exit 0: both within MS ms (prints how long W took); 1:
 *       W still runs; 2: W was not PROG's child when PROG was killed.
 *   writer_probe gone PID MS
 *       Exit 0 when PID has ended (or does not exist), 1 after MS ms.
 *
 * Usage errors and failed system calls: exit 99.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_send_signal
#define SYS_pidfd_send_signal 424
#endif

static char gate[PATH_MAX];
static pid_t ancestors[64];
static int nancestors;

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static int pidfd_open(pid_t pid)
{
	return (int)syscall(SYS_pidfd_open, pid, 0);
}

static pid_t parent_of(pid_t pid)
{
	char path[64], buf[1024], *p;
	ssize_t n;
	int fd, ppid;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	p = strrchr(buf, ')');
	if (!p || sscanf(p + 1, " %*c %d", &ppid) != 1)
		return -1;
	return ppid;
}

/* 1 if pid holds GATE open read-only (the driver holds it read-write) */
static int holds_gate(pid_t pid)
{
	char dpath[64], lpath[PATH_MAX], target[PATH_MAX];
	struct dirent *de;
	int found = 0;
	DIR *d;

	snprintf(dpath, sizeof(dpath), "/proc/%d/fd", (int)pid);
	if (!(d = opendir(dpath)))
		return 0;
	while (!found && (de = readdir(d))) {
		char ipath[320], line[128];
		ssize_t n;
		FILE *f;

		if (de->d_name[0] < '0' || de->d_name[0] > '9')
			continue;
		snprintf(lpath, sizeof(lpath), "%s/%s", dpath, de->d_name);
		n = readlink(lpath, target, sizeof(target) - 1);
		if (n <= 0)
			continue;
		target[n] = '\0';
		if (strcmp(target, gate))
			continue;
		snprintf(ipath, sizeof(ipath), "/proc/%d/fdinfo/%s", (int)pid, de->d_name);
		if (!(f = fopen(ipath, "re")))
			continue;
		while (fgets(line, sizeof(line), f)) {
			unsigned flags;
			if (sscanf(line, "flags: %o", &flags) == 1) {
				found = (flags & O_ACCMODE) == O_RDONLY;
				break;
			}
		}
		fclose(f);
	}
	closedir(d);
	return found;
}

static int is_ancestor(pid_t pid)
{
	for (int i = 0; i < nancestors; i++)
		if (ancestors[i] == pid)
			return 1;
	return 0;
}

/* The first process (not us or one of our ancestors) that holds the gate:
 * PROG's children first, then every process. */
static pid_t scan(pid_t prog)
{
	char path[64], buf[4096];
	struct dirent *de;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/task", (int)prog);
	if ((d = opendir(path))) {
		while ((de = readdir(d))) {
			char cpath[384];
			ssize_t n;
			int fd;

			if (de->d_name[0] < '0' || de->d_name[0] > '9')
				continue;
			snprintf(cpath, sizeof(cpath), "%s/%s/children", path, de->d_name);
			if ((fd = open(cpath, O_RDONLY | O_CLOEXEC)) < 0)
				continue;
			n = read(fd, buf, sizeof(buf) - 1);
			close(fd);
			if (n <= 0)
				continue;
			buf[n] = '\0';
			for (char *s = strtok(buf, " \n"); s; s = strtok(NULL, " \n")) {
				pid_t c = atoi(s);
				if (c > 0 && holds_gate(c)) {
					closedir(d);
					return c;
				}
			}
		}
		closedir(d);
	}
	if (!(d = opendir("/proc")))
		return 0;
	while ((de = readdir(d))) {
		pid_t p;
		if (de->d_name[0] < '0' || de->d_name[0] > '9')
			continue;
		p = atoi(de->d_name);
		if (p != getpid() && !is_ancestor(p) && holds_gate(p)) {
			closedir(d);
			return p;
		}
	}
	closedir(d);
	return 0;
}

static void list_children(pid_t prog)
{
	char path[64], buf[4096];
	struct dirent *de;
	DIR *d;

	fprintf(stderr, "writer_probe: children of %d:", (int)prog);
	snprintf(path, sizeof(path), "/proc/%d/task", (int)prog);
	if ((d = opendir(path))) {
		while ((de = readdir(d))) {
			char cpath[384];
			ssize_t n;
			int fd;
			if (de->d_name[0] < '0' || de->d_name[0] > '9')
				continue;
			snprintf(cpath, sizeof(cpath), "%s/%s/children", path, de->d_name);
			if ((fd = open(cpath, O_RDONLY | O_CLOEXEC)) < 0)
				continue;
			n = read(fd, buf, sizeof(buf) - 1);
			close(fd);
			if (n > 0) {
				buf[n] = '\0';
				fprintf(stderr, " %s", buf);
			}
		}
		closedir(d);
	}
	fprintf(stderr, "\n");
}

/* 1 if the pidfd says its process ended */
static int ended(int pidfd)
{
	struct pollfd p = { .fd = pidfd, .events = POLLIN };

	return poll(&p, 1, 0) > 0;
}

static int cmd_find(pid_t prog, int ms, pid_t until)
{
	uint64_t deadline = now_ms() + (uint64_t)ms;
	int in, pfd, ufd = -1;
	pid_t w, a = getppid();

	/* ourselves and our ancestors hold the gate read-write, or may */
	while (a > 1 && nancestors < 64) {
		ancestors[nancestors++] = a;
		a = parent_of(a);
	}
	in = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
	if (in < 0 || inotify_add_watch(in, gate, IN_OPEN | IN_ACCESS | IN_CLOSE) < 0) {
		perror("writer_probe: inotify");
		return 99;
	}
	pfd = pidfd_open(prog);
	if (pfd < 0) {
		fprintf(stderr, "writer_probe: process %d: %s\n", (int)prog, strerror(errno));
		return 4;
	}
	if (until > 0 && (ufd = pidfd_open(until)) < 0 && errno != ESRCH) {
		perror("writer_probe: pidfd_open");
		return 99;
	}
	for (;;) {
		struct pollfd p[3] = { { .fd = in, .events = POLLIN },
				       { .fd = pfd, .events = POLLIN },
				       { .fd = ufd, .events = POLLIN } };
		char ev[4096];
		uint64_t t;
		/* with the watch in place, an open before it is seen here */
		if ((w = scan(prog))) {
			pid_t pp = parent_of(w);
			printf("%d\n", (int)w);
			if (pp != prog) {
				fprintf(stderr, "writer_probe: process %d holds the gate; its parent "
						"is %d, not %d\n", (int)w, (int)pp, (int)prog);
				printf("%d %d\n", (int)w, (int)pp);
				return 5;
			}
			return 0;
		}
		if (until > 0 && (ufd < 0 || ended(ufd)))
			return 3;
		if (ended(pfd)) {
			fprintf(stderr, "writer_probe: process %d ended\n", (int)prog);
			return 4;
		}
		t = now_ms();
		if (t >= deadline) {
			fprintf(stderr, "writer_probe: no process held %s within %d ms\n", gate, ms);
			list_children(prog);
			return 1;
		}
		if (poll(p, ufd >= 0 ? 3 : 2, (int)(deadline - t)) < 0 && errno != EINTR) {
			perror("writer_probe: poll");
			return 99;
		}
		while (read(in, ev, sizeof(ev)) > 0)
			;
	}
}

static int cmd_killwait(pid_t prog, pid_t w, int ms)
{
	uint64_t t0, deadline;
	int wfd = pidfd_open(w), pfd = pidfd_open(prog);
	int w_gone = 0, p_gone = 0;
	pid_t pp;

	if (wfd < 0 || pfd < 0) {
		fprintf(stderr, "writer_probe: pidfd_open(%d or %d): %s\n", (int)w, (int)prog,
			strerror(errno));
		return 99;
	}
	/* both pidfds held: neither pid can be reused by now */
	pp = parent_of(w);
	if (pp != prog) {
		fprintf(stderr, "writer_probe: the writer %d has parent %d, not %d\n", (int)w,
			(int)pp, (int)prog);
		return 2;
	}
	if (syscall(SYS_pidfd_send_signal, pfd, SIGKILL, NULL, 0)) {
		perror("writer_probe: pidfd_send_signal");
		return 99;
	}
	t0 = now_ms();
	deadline = t0 + (uint64_t)ms;
	while (!w_gone || !p_gone) {
		struct pollfd p[2] = { { .fd = wfd, .events = POLLIN }, { .fd = pfd, .events = POLLIN } };
		uint64_t t = now_ms();
		if (t >= deadline)
			break;
		if (poll(p, 2, (int)(deadline - t)) < 0 && errno != EINTR) {
			perror("writer_probe: poll");
			return 99;
		}
		if (p[0].revents && !w_gone) {
			w_gone = 1;
			printf("the writer %d ended %llu ms after the program was killed\n", (int)w,
			       (unsigned long long)(now_ms() - t0));
		}
		p_gone |= p[1].revents != 0;
	}
	if (!p_gone)
		fprintf(stderr, "writer_probe: the program %d still runs %d ms after SIGKILL\n",
			(int)prog, ms);
	if (!w_gone)
		fprintf(stderr, "writer_probe: the writer %d still runs %d ms after its program %d "
				"was killed\n", (int)w, ms, (int)prog);
	return w_gone && p_gone ? 0 : 1;
}

static int cmd_gone(pid_t pid, int ms)
{
	struct pollfd p = { .events = POLLIN };
	uint64_t deadline = now_ms() + (uint64_t)ms;

	p.fd = pidfd_open(pid);
	if (p.fd < 0)
		return errno == ESRCH ? 0 : 99;
	for (;;) {
		uint64_t t = now_ms();
		if (t >= deadline)
			return 1;
		if (poll(&p, 1, (int)(deadline - t)) > 0)
			return 0;
	}
}

int main(int argc, char **argv)
{
	if (argc >= 5 && !strcmp(argv[1], "find")) {
		if (!realpath(argv[2], gate)) {
			fprintf(stderr, "writer_probe: %s: %s\n", argv[2], strerror(errno));
			return 99;
		}
		setvbuf(stdout, NULL, _IOLBF, 0);
		return cmd_find(atoi(argv[3]), atoi(argv[4]), argc > 5 ? atoi(argv[5]) : 0);
	}
	if (argc == 5 && !strcmp(argv[1], "killwait"))
		return cmd_killwait(atoi(argv[2]), atoi(argv[3]), atoi(argv[4]));
	if (argc == 4 && !strcmp(argv[1], "gone"))
		return cmd_gone(atoi(argv[2]), atoi(argv[3]));
	fprintf(stderr, "usage: writer_probe find GATE PROG MS [UNTIL] | killwait PROG W MS | "
			"gone PID MS\n");
	return 99;
}
