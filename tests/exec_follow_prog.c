/* SPDX-License-Identifier: MIT */
/*
 * exec_follow_prog.c - the program of tests/exec_follow.sh, started
 * through a #! wrapper that execs it.
 *
 *   exec_follow_prog [--timer] [--spawn]   prints "start PID wrapped=W"
 *       (W: 1 if the wrapper set FOLLOW_WRAPPED=1), then "count N", N = 1,
 *       2, 3 ..., one line every 20 ms, until killed.  A restarted copy
 *       goes on from the N it was checkpointed at.
 *   --timer       holds a POSIX timer (timer_create, SIGEV_NONE), made
 *                 again in a round that finds it gone: a restarted copy
 *                 (whose timers are not restored) has one again, so its
 *                 checkpoints have a timer to warn about
 *   --spawn       first starts `sh -c 'exec PROG child'` (fork + exec) and
 *                 prints "child PID": a process the program starts
 *   exec_follow_prog child   waits until its parent is gone
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

static void say(const char *word, long a, const char *more)
{
	char line[128];
	int n = snprintf(line, sizeof(line), "%s %ld%s\n", word, a, more);

	/* one write per line: the reader never sees half a line */
	if (n > 0 && write(1, line, (size_t)n) != n)
		exit(3);
}

static int child(pid_t parent)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		return 0;
	for (;;)
		pause();
}

int main(int argc, char **argv)
{
	const char *w = getenv("FOLLOW_WRAPPED");
	struct sigevent none = { .sigev_notify = SIGEV_NONE };
	int spawn = 0, timer = 0;
	timer_t t = 0;
	long n = 0;

	if (argc == 3 && !strcmp(argv[1], "child"))
		return child((pid_t)atol(argv[2]));
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--timer"))
			timer = 1;
		else if (!strcmp(argv[i], "--spawn"))
			spawn = 1;
		else {
			fprintf(stderr, "usage: exec_follow_prog [--timer] [--spawn] | child PPID\n");
			return 2;
		}
	}
	if (timer && timer_create(CLOCK_MONOTONIC, &none, &t)) {
		perror("timer_create");
		return 1;
	}
	say("start", (long)getpid(), w && !strcmp(w, "1") ? " wrapped=1" : " wrapped=0");
	if (spawn) {
		char me[32], exe[4096];
		ssize_t len = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
		pid_t c;
		if (len <= 0) {
			perror("/proc/self/exe");
			return 1;
		}
		exe[len] = '\0';
		snprintf(me, sizeof(me), "%ld", (long)getpid());
		c = fork();
		if (c < 0) {
			perror("fork");
			return 1;
		}
		if (c == 0) {
			execl("/bin/sh", "sh", "-c", "exec \"$0\" child \"$1\"", exe, me,
			      (char *)NULL);
			_exit(127);
		}
		say("child", (long)c, "");
	}
	for (;;) {
		struct timespec ts = { 0, 20 * 1000 * 1000 };
		struct itimerspec its;
		if (timer && timer_gettime(t, &its) && timer_create(CLOCK_MONOTONIC, &none, &t)) {
			perror("timer_create");
			return 1;
		}
		say("count", ++n, "");
		/* a checkpoint interrupts the sleep (EINTR): the next round is
		 * just early */
		nanosleep(&ts, NULL);
	}
}
