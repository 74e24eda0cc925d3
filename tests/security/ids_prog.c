/* SPDX-License-Identifier: MIT */
/*
 * ids_prog.c [NTHREADS [FILE]]: the program multiuser.sh checkpoints and
 * restarts. It opens FILE for reading, if given, and keeps it open (so a
 * restart must open it again). It starts NTHREADS (default 3) threads
 * that sleep in a loop, prints "ready PID", then "tick PID N" every 100 ms
 * (so a restarted copy shows that it runs). On SIGUSR1 it prints a report between "report-begin"
 * and "report-end": the Uid:, Gid:, Groups: and CapEff: lines of
 * /proc/self/status and of every thread's /proc/self/task/TID/status, and
 * whether /etc/shadow can be opened for reading ("shadow: opened" or
 * "shadow: refused (errno name)"). It never exits by itself.
 * It does not use the library: it runs under mtcp_launch.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t want_report;

static void on_usr1(int sig)
{
	(void)sig;
	want_report = 1;
}

static void *sleeper(void *arg)
{
	(void)arg;
	for (;;) {
		struct timespec ts = { 0, 50 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
	return NULL;
}

/* The id lines of one status file, each prefixed with WHO. */
static void print_ids(const char *path, const char *who)
{
	char line[512];
	FILE *f = fopen(path, "re");

	if (!f) {
		printf("%s: cannot open %s: %s\n", who, path, strerror(errno));
		return;
	}
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "Uid:", 4) || !strncmp(line, "Gid:", 4) ||
		    !strncmp(line, "Groups:", 7) || !strncmp(line, "CapEff:", 7))
			printf("%s %s", who, line);
	fclose(f);
}

static void report(void)
{
	char path[300], who[300];
	struct dirent *d;
	DIR *dir;
	int fd;

	printf("report-begin %d\n", (int)getpid());
	print_ids("/proc/self/status", "process");
	dir = opendir("/proc/self/task");
	while (dir && (d = readdir(dir))) {
		if (d->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/self/task/%s/status", d->d_name);
		snprintf(who, sizeof(who), "thread %s", d->d_name);
		print_ids(path, who);
	}
	if (dir)
		closedir(dir);
	fd = open("/etc/shadow", O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		printf("shadow: opened\n");
		close(fd);
	} else {
		printf("shadow: refused (%s)\n", strerrorname_np(errno));
	}
	printf("report-end\n");
	fflush(stdout);
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 3;
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_usr1;
	sigaction(SIGUSR1, &sa, NULL);
	if (argc > 2 && open(argv[2], O_RDONLY) < 0) {
		printf("cannot open %s: %s\n", argv[2], strerror(errno));
		return 1;
	}
	for (int i = 0; i < n && i < 64; i++) {
		pthread_t t;
		if (pthread_create(&t, NULL, sleeper, NULL)) {
			printf("cannot create a thread\n");
			return 1;
		}
	}
	printf("ready %d\n", (int)getpid());
	fflush(stdout);
	for (unsigned long k = 0;; k++) {
		struct timespec ts = { 0, 100 * 1000 * 1000 };
		if (want_report) {
			want_report = 0;
			report();
		}
		nanosleep(&ts, NULL);
		printf("tick %d %lu\n", (int)getpid(), k);
		fflush(stdout);
	}
}
