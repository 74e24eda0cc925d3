/* SPDX-License-Identifier: MIT */
/*
 * demo.c - a plain multithreaded program that knows nothing of
 * checkpoints: four threads each add up 1, 2, 3, ... into their own slot
 * of a 32 MiB table; the main thread prints each second how far they got
 * and checks every slot against the closed form n(n+1)/2.  After a
 * restart it goes on counting from where it was, and the check still holds.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#define NTHREADS 4
#define SLOTS (32u << 20) / sizeof(uint64_t) / NTHREADS

struct worker {
	pthread_t t;
	pthread_mutex_t lock;
	uint64_t n, *table; /* table[i % SLOTS] += i, sum kept in table[0..] */
	uint64_t sum;
};

static struct worker w[NTHREADS];

static void *work(void *arg)
{
	struct worker *me = arg;
	for (;;) {
		pthread_mutex_lock(&me->lock);
		me->n++;
		me->table[me->n % SLOTS] += me->n;
		me->sum += me->n;
		pthread_mutex_unlock(&me->lock);
	}
	return NULL;
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("demo: pid %d, %d threads counting\n", getpid(), NTHREADS);
	for (int i = 0; i < NTHREADS; i++) {
		w[i].table = calloc(SLOTS, sizeof(uint64_t));
		pthread_mutex_init(&w[i].lock, NULL);
		pthread_create(&w[i].t, NULL, work, &w[i]);
	}
	for (int second = 1;; second++) {
		struct timespec ts = { 1, 0 };
		uint64_t total = 0;
		int ok = 1;
		while (nanosleep(&ts, &ts)) /* a checkpoint interrupts it: go on */
			;
		for (int i = 0; i < NTHREADS; i++) {
			uint64_t table_sum = 0;
			pthread_mutex_lock(&w[i].lock);
			for (uint64_t s = 0; s < SLOTS; s++)
				table_sum += w[i].table[s];
			ok &= w[i].sum == w[i].n * (w[i].n + 1) / 2 && table_sum == w[i].sum;
			total += w[i].n;
			pthread_mutex_unlock(&w[i].lock);
		}
		printf("demo: pid %d, second %d: %llu additions so far, memory %s\n", getpid(), second,
		       (unsigned long long)total, ok ? "consistent" : "CORRUPT");
		if (!ok)
			return 1;
	}
}
