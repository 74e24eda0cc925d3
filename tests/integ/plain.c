/* SPDX-License-Identifier: MIT */
/*
 * plain.c - an ordinary program (no libmtcp-fast calls; run under
 * mtcp_launch) with 4 computing threads; the rounds computed across the
 * checkpoint are recomputed and compared.
 */
#include "mt_test.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

const char *test_doc =
	"4 threads compute deterministic rounds over their own buffers; after "
	"the restart they go on, and every round done around the checkpoint "
	"must equal its recomputation.";

#define NTHREADS 4
#define NWORDS 8192          /* 64 KiB per thread */
#define STEPS 250000
#define MAX_ROUNDS (1u << 15)
#define MORE_ROUNDS 20
#define MARGIN 8             /* rounds before the first wakeup also checked */
#define WAIT_S 20

struct comp {
	pthread_t th;
	int idx;
	uint64_t *buf;
	uint32_t *result; /* result[r]: crc of round r */
	uint32_t rounds;  /* completed */
	uint32_t at_wake; /* rounds completed at the first wakeup */
};

static struct comp c[NTHREADS];
static int stop;
static int woke_seen;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t progress = PTHREAD_COND_INITIALIZER;

static uint32_t run_round(uint64_t *buf, int idx, uint32_t r)
{
	uint64_t x = ((uint64_t)idx << 32 | r) * 0x9E3779B97F4A7C15ull + 1;

	for (uint32_t i = 0; i < NWORDS; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		buf[i] = x;
	}
	for (uint32_t s = 0; s < STEPS; s++) {
		uint32_t j = (uint32_t)(x >> 20) % NWORDS;
		buf[j] = buf[j] * 6364136223846793005ull + x;
		x ^= buf[(j * 7 + 3) % NWORDS] + s;
	}
	return mt_crc32(0, buf, NWORDS * sizeof(uint64_t));
}

static void *comp_main(void *p)
{
	struct comp *k = p;

	while (!__atomic_load_n(&stop, __ATOMIC_ACQUIRE)) {
		uint32_t r = __atomic_load_n(&k->rounds, __ATOMIC_RELAXED);
		if (r == MAX_ROUNDS)
			break;
		k->result[r] = run_round(k->buf, k->idx, r);
		pthread_mutex_lock(&lock);
		__atomic_store_n(&k->rounds, r + 1, __ATOMIC_RELEASE);
		pthread_cond_broadcast(&progress);
		pthread_mutex_unlock(&lock);
	}
	return NULL;
}

static void on_woke(void)
{
	if (woke_seen++)
		return;
	for (int i = 0; i < NTHREADS; i++)
		c[i].at_wake = __atomic_load_n(&c[i].rounds, __ATOMIC_ACQUIRE);
}

static void wait_rounds(const uint32_t *target, const char *when)
{
	struct timespec dl;

	clock_gettime(CLOCK_REALTIME, &dl);
	dl.tv_sec += WAIT_S;
	pthread_mutex_lock(&lock);
	for (int i = 0; i < NTHREADS; i++)
		while (c[i].rounds < target[i])
			if (pthread_cond_timedwait(&progress, &lock, &dl) == ETIMEDOUT)
				fail("%s: thread %d did %u of %u rounds in %d s", when, i, c[i].rounds,
				     target[i], WAIT_S);
	pthread_mutex_unlock(&lock);
}

int main(int argc, char **argv)
{
	uint32_t target[NTHREADS];
	uint64_t *check;
	unsigned checked = 0;
	int rc;

	mt_test_init(argc, argv);

	/* setup */
	for (int i = 0; i < NTHREADS; i++) {
		c[i].idx = i;
		c[i].buf = malloc(NWORDS * sizeof(uint64_t));
		c[i].result = calloc(MAX_ROUNDS, sizeof(uint32_t));
		if (!c[i].buf || !c[i].result)
			fail("out of memory");
		if ((rc = pthread_create(&c[i].th, NULL, comp_main, &c[i])))
			fail("pthread_create: %s", strerror(rc));
		target[i] = 2;
	}
	wait_rounds(target, "before the checkpoint");
	mt_test_set_woke_hook(on_woke);
	printf("computing\n");

	mt_test_ready();

	/* verify: they go on */
	if (!woke_seen)
		fail("no wakeup: the checkpoint did not interrupt the wait");
	for (int i = 0; i < NTHREADS; i++)
		target[i] = __atomic_load_n(&c[i].rounds, __ATOMIC_ACQUIRE) + MORE_ROUNDS;
	wait_rounds(target, "after the restart");
	__atomic_store_n(&stop, 1, __ATOMIC_RELEASE);
	for (int i = 0; i < NTHREADS; i++) {
		struct timespec dl;
		clock_gettime(CLOCK_REALTIME, &dl);
		dl.tv_sec += WAIT_S;
		if ((rc = pthread_timedjoin_np(c[i].th, NULL, &dl)))
			fail("joining thread %d: %s", i, strerror(rc));
	}

	/* every round from a little before the first wakeup to the end */
	check = malloc(NWORDS * sizeof(uint64_t));
	if (!check)
		fail("out of memory");
	for (int i = 0; i < NTHREADS; i++) {
		uint32_t from = c[i].at_wake > MARGIN ? c[i].at_wake - MARGIN : 0;
		for (uint32_t r = from; r < c[i].rounds; r++, checked++)
			if (run_round(check, i, r) != c[i].result[r])
				fail("thread %d round %u: result %08x, recomputed %08x", i, r,
				     c[i].result[r], run_round(check, i, r));
		printf("thread %d: %u rounds, %u..%u rechecked\n", i, c[i].rounds, from,
		       c[i].rounds - 1);
	}
	mt_note("%u rounds recomputed and equal", checked);
	pass();
}
