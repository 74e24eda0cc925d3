/* SPDX-License-Identifier: MIT */
/*
 * resume_prog.c - the program of tests/resume.sh: a counter the test
 * drives, and worker threads that count on their own.
 *
 *   resume_prog TAG   starts 3 worker threads, each adding 1 to its own
 *                     counter every 2 ms; then for each line read on stdin
 *                     adds 1 to the main counter N and prints
 *                     "count N pid PID tag TAG workers W" (W: how many
 *                     workers counted since the line before); exits 0 at
 *                     end of input.
 *
 * The state of N at a checkpoint is exactly the number of lines answered
 * before it, so a restarted copy's first answer says which image it came
 * from; TAG and PID are its original ones whatever a restart is given.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define NWORKERS 3

static atomic_ulong counts[NWORKERS];

static void *worker(void *arg)
{
	atomic_ulong *c = arg;

	for (;;) {
		struct timespec ts = { 0, 2 * 1000 * 1000 };
		atomic_fetch_add(c, 1);
		nanosleep(&ts, NULL);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	static char tag[64];
	unsigned long seen[NWORKERS] = { 0 };
	char line[256];
	unsigned long n = 0;

	snprintf(tag, sizeof(tag), "%s", argc > 1 ? argv[1] : "-");
	for (int i = 0; i < NWORKERS; i++) {
		pthread_t t;
		if (pthread_create(&t, NULL, worker, &counts[i]))
			return 1;
	}
	while (fgets(line, sizeof(line), stdin)) {
		char out[256];
		int w = 0, len;

		n++;
		for (int i = 0; i < NWORKERS; i++) {
			unsigned long c = atomic_load(&counts[i]);
			w += c != seen[i];
			seen[i] = c;
		}
		len = snprintf(out, sizeof(out), "count %lu pid %d tag %s workers %d\n", n,
			       (int)getpid(), tag, w);
		/* one write per line: the reader never sees half a line */
		if (len < 0 || write(1, out, (size_t)len) != len)
			return 3;
	}
	return 0;
}
