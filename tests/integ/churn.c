/* SPDX-License-Identifier: MIT */
/*
 * churn.c - threads are created and exit all the time while checkpoints
 * are taken; after the restart the churn goes on.
 */
#include "mt_test.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

const char *test_doc =
	"4 creator threads start short-lived threads in a loop (3 joined, 1 "
	"detached; with the argument 'joinable' all 4 joined) while many "
	"checkpoints are taken; after the restart each creator makes and reaps "
	"many more, and every thread computed right.";

#define NCREATORS 4
#define DETACHED_CREATOR 3
#define MAX_OUTSTANDING 4
#define BEFORE 200   /* threads made by all creators before ready */
#define AFTER 100    /* threads each creator makes after the restart */
#define WAIT_S 20

struct creator {
	pthread_t th;
	int idx;
	uint64_t made;     /* threads created, joined or finished */
	uint64_t eagain;   /* pthread_create said EAGAIN: retried */
	const char *err;
};

static struct creator cr[NCREATORS];
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t progress = PTHREAD_COND_INITIALIZER;
static pthread_cond_t slot_free = PTHREAD_COND_INITIALIZER;
static int stop, outstanding, detached_creator = DETACHED_CREATOR;
static uint64_t detached_done, detached_bad;

static uint64_t work(uint64_t arg)
{
	volatile uint64_t a[64];
	uint64_t s = 0;
	for (int i = 0; i < 64; i++)
		a[i] = arg * (uint64_t)(i + 1) ^ 0x5555;
	for (int i = 0; i < 64; i++)
		s += a[i];
	return s;
}

static void *short_joined(void *arg)
{
	return (void *)(uintptr_t)work((uintptr_t)arg);
}

struct dargs {
	uint64_t arg;
};

static void *short_detached(void *p)
{
	struct dargs *d = p;
	uint64_t expect = work(d->arg);
	uint64_t got = work(d->arg);
	free(d);
	pthread_mutex_lock(&lock);
	if (got != expect)
		detached_bad++;
	detached_done++;
	outstanding--;
	pthread_cond_broadcast(&slot_free);
	pthread_mutex_unlock(&lock);
	return NULL;
}

static int stopping(void)
{
	return __atomic_load_n(&stop, __ATOMIC_ACQUIRE);
}

static void made_one(struct creator *c)
{
	pthread_mutex_lock(&lock);
	c->made++;
	if (c->made % 16 == 0)
		pthread_cond_broadcast(&progress);
	pthread_mutex_unlock(&lock);
}

static void *creator_main(void *p)
{
	struct creator *c = p;
	pthread_attr_t det;
	uint64_t n = 0;

	pthread_attr_init(&det);
	pthread_attr_setdetachstate(&det, PTHREAD_CREATE_DETACHED);
	while (!stopping()) {
		uint64_t arg = ((uint64_t)c->idx << 40) | n++;
		pthread_t t;
		void *ret;
		int rc;

		if (c->idx == detached_creator) {
			struct dargs *d = malloc(sizeof(*d));
			if (!d) {
				c->err = "out of memory";
				break;
			}
			d->arg = arg;
			pthread_mutex_lock(&lock);
			while (outstanding >= MAX_OUTSTANDING)
				pthread_cond_wait(&slot_free, &lock);
			outstanding++;
			pthread_mutex_unlock(&lock);
			rc = pthread_create(&t, &det, short_detached, d);
			if (rc) {
				free(d);
				pthread_mutex_lock(&lock);
				outstanding--;
				pthread_mutex_unlock(&lock);
			}
		} else {
			rc = pthread_create(&t, NULL, short_joined, (void *)(uintptr_t)arg);
			if (!rc) {
				rc = pthread_join(t, &ret);
				if (rc) {
					c->err = "pthread_join failed";
					break;
				}
				if ((uintptr_t)ret != work(arg)) {
					c->err = "a short-lived thread computed a wrong value";
					break;
				}
			}
		}
		if (rc == EAGAIN) {
			c->eagain++;
			continue;
		}
		if (rc) {
			c->err = "pthread_create failed";
			break;
		}
		made_one(c);
	}
	pthread_attr_destroy(&det);
	return NULL;
}

static uint64_t total_made(void)
{
	uint64_t s = 0;
	for (int i = 0; i < NCREATORS; i++)
		s += cr[i].made;
	return s;
}

static struct timespec deadline(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += WAIT_S;
	return ts;
}

int main(int argc, char **argv)
{
	uint64_t at_go[NCREATORS];
	struct timespec dl;
	int rc;

	mt_test_init(argc, argv);
	if (argc > 1 && !strcmp(argv[1], "joinable"))
		detached_creator = -1;

	/* setup: the churn starts */
	for (int i = 0; i < NCREATORS; i++) {
		cr[i].idx = i;
		if ((rc = pthread_create(&cr[i].th, NULL, creator_main, &cr[i])))
			fail("pthread_create: %s", strerror(rc));
	}
	dl = deadline();
	pthread_mutex_lock(&lock);
	while (total_made() < BEFORE)
		if (pthread_cond_timedwait(&progress, &lock, &dl) == ETIMEDOUT)
			fail("only %llu threads made in %d s", (unsigned long long)total_made(),
			     WAIT_S);
	pthread_mutex_unlock(&lock);

	mt_test_ready();

	/* verify: every creator goes on making threads */
	pthread_mutex_lock(&lock);
	for (int i = 0; i < NCREATORS; i++)
		at_go[i] = cr[i].made;
	mt_note("%llu threads made before the go (%d wakeups)", (unsigned long long)total_made(),
		(int)mt_wakeups);
	dl = deadline();
	for (int i = 0; i < NCREATORS; i++) {
		while (cr[i].made < at_go[i] + AFTER) {
			if (cr[i].err)
				fail("creator %d: %s", i, cr[i].err);
			if (pthread_cond_timedwait(&progress, &lock, &dl) == ETIMEDOUT)
				fail("creator %d made only %llu threads after the restart in %d s", i,
				     (unsigned long long)(cr[i].made - at_go[i]), WAIT_S);
		}
	}
	pthread_mutex_unlock(&lock);

	__atomic_store_n(&stop, 1, __ATOMIC_RELEASE);
	for (int i = 0; i < NCREATORS; i++) {
		dl = deadline();
		if ((rc = pthread_timedjoin_np(cr[i].th, NULL, &dl)))
			fail("joining creator %d: %s", i, strerror(rc));
		if (cr[i].err)
			fail("creator %d: %s", i, cr[i].err);
	}
	/* the last detached threads finish */
	dl = deadline();
	pthread_mutex_lock(&lock);
	while (outstanding)
		if (pthread_cond_timedwait(&slot_free, &lock, &dl) == ETIMEDOUT)
			fail("%d detached threads never finished", outstanding);
	if (detached_bad)
		fail("%llu detached threads computed wrong values",
		     (unsigned long long)detached_bad);
	pthread_mutex_unlock(&lock);
	for (int i = 0; i < NCREATORS; i++)
		mt_note("creator %d: %llu threads (%llu after the go), %llu EAGAIN", i,
			(unsigned long long)cr[i].made, (unsigned long long)(cr[i].made - at_go[i]),
			(unsigned long long)cr[i].eagain);
	pass();
}
