/* SPDX-License-Identifier: MIT */
/*
 * job_prog --steps N: the "simulation" of the preemption examples
 * (examples/slurm, examples/k8s, examples/systemd; tests/preempt).
 *
 * Two worker threads keep adding into their halves of a 16 MiB table;
 * every 10 ms the main thread takes a step: it checks each half against
 * the workers' counters (table[i] == count for every word they finished)
 * and prints "step S pid P" on stdout.  The first line of a run is
 * "start pid P"; after step N it prints "done steps=N" and exits 0.  A
 * resumed run prints no "start": its steps go on from the image's.
 * The termination signal keeps its default disposition.
 */
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define WORDS ((16u << 20) / 8)
#define HALF (WORDS / 2)

static uint64_t table[WORDS];
static pthread_mutex_t lock[2] = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER };
static uint64_t passes[2];
/* the main thread's turn: workers wait between passes (a mutex alone
 * would let them take it back at once, and a step would take 70 ms) */
static volatile int pausing;

static void *worker(void *arg)
{
	int w = (int)(intptr_t)arg;
	uint64_t *half = table + (size_t)w * HALF;

	for (;;) {
		while (__atomic_load_n(&pausing, __ATOMIC_ACQUIRE))
			sched_yield();
		pthread_mutex_lock(&lock[w]);
		for (size_t i = 0; i < HALF; i++)
			half[i]++;
		passes[w]++;
		pthread_mutex_unlock(&lock[w]);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	unsigned long steps;
	pthread_t t[2];

	if (argc != 3 || strcmp(argv[1], "--steps") || !(steps = strtoul(argv[2], NULL, 10))) {
		fprintf(stderr, "usage: job_prog --steps N\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("start pid %d\n", (int)getpid());
	for (int w = 0; w < 2; w++)
		if (pthread_create(&t[w], NULL, worker, (void *)(intptr_t)w))
			return 1;
	for (unsigned long s = 1; s <= steps; s++) {
		struct timespec ts = { 0, 10 * 1000 * 1000 };
		nanosleep(&ts, NULL);
		__atomic_store_n(&pausing, 1, __ATOMIC_RELEASE);
		for (int w = 0; w < 2; w++) {
			pthread_mutex_lock(&lock[w]);
			for (size_t i = 0; i < HALF; i++)
				if (table[(size_t)w * HALF + i] != passes[w]) {
					printf("BAD step %lu: word %zu is %llu, passes %llu\n", s,
					       (size_t)w * HALF + i,
					       (unsigned long long)table[(size_t)w * HALF + i],
					       (unsigned long long)passes[w]);
					return 3;
				}
			pthread_mutex_unlock(&lock[w]);
		}
		__atomic_store_n(&pausing, 0, __ATOMIC_RELEASE);
		printf("step %lu pid %d\n", s, (int)getpid());
	}
	printf("done steps=%lu\n", steps);
	return 0;
}
