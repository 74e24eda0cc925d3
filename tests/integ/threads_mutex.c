/* SPDX-License-Identifier: MIT */
/*
 * threads_mutex.c - eight workers and a producer share a 64 MiB buffer
 * under one mutex and two condition variables across a checkpoint.
 */
#include "mt_test.h"

#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

const char *test_doc =
	"8 threads mutate a 64 MiB buffer under a mutex and condition variables "
	"with a checksum kept alongside; main holds a recursive (twice) and an "
	"error-checking mutex across the checkpoint; pid, tids, pthread_kill and "
	"the buffer must survive.";

#define NWORKERS 8
#define BUF_BYTES (64u << 20)
#define NWORDS (BUF_BYTES / sizeof(uint64_t))
#define TICKETS_LOW 64
#define TICKETS_HIGH 1024
#define KILL_FROM 0
#define KILL_TO 5
#define WAIT_S 15

struct worker {
	pthread_t th;
	int idx;
	pid_t tid_before, tid_after;
	uint64_t rng;
	int kill_rc;
};

static uint64_t *buf;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t more_work = PTHREAD_COND_INITIALIZER;
static pthread_cond_t need_work = PTHREAD_COND_INITIALIZER;
static pthread_cond_t progress = PTHREAD_COND_INITIALIZER;
static uint64_t tickets, done_ops, sum, wsum;
static int stop, kill_request, producer_started;
static struct worker workers[NWORKERS];
static pthread_t producer;
static pid_t producer_tid_before, producer_tid_after;

static pthread_mutex_t rec_mutex, ec_mutex;

static volatile sig_atomic_t usr2_count;
static volatile pid_t usr2_tid;
static sem_t usr2_sem;

static void usr2_handler(int sig)
{
	(void)sig;
	usr2_tid = mt_gettid();
	usr2_count++;
	sem_post(&usr2_sem);
}

static uint64_t xorshift(uint64_t *s)
{
	uint64_t x = *s;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return *s = x;
}

static struct timespec deadline(int secs)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += secs;
	return ts;
}

/* Adds new - old to the plain and the position-weighted sums. */
static void account(uint64_t i, uint64_t old, uint64_t new)
{
	sum += new - old;
	wsum += (i + 1) * (new - old);
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;

	w->tid_before = mt_gettid();
	for (;;) {
		int do_kill = 0;

		pthread_mutex_lock(&lock);
		while (!stop && !tickets && !(w->idx == KILL_FROM && kill_request))
			pthread_cond_wait(&more_work, &lock);
		if (stop) {
			pthread_mutex_unlock(&lock);
			break;
		}
		if (w->idx == KILL_FROM && kill_request) {
			kill_request = 0;
			do_kill = 1;
		}
		if (tickets) {
			tickets--;
			if (tickets < TICKETS_LOW)
				pthread_cond_signal(&need_work);
			for (int k = 0; k < 16; k++) {
				uint64_t i = xorshift(&w->rng) % NWORDS;
				uint64_t v = xorshift(&w->rng);
				account(i, buf[i], v);
				buf[i] = v;
			}
			if (++done_ops % 1024 == 0)
				pthread_cond_broadcast(&progress);
		}
		pthread_mutex_unlock(&lock);
		if (do_kill)
			w->kill_rc = pthread_kill(workers[KILL_TO].th, SIGUSR2);
	}
	w->tid_after = mt_gettid();
	return NULL;
}

static void *producer_main(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&lock);
	producer_tid_before = mt_gettid();
	producer_started = 1;
	for (;;) {
		while (!stop && tickets >= TICKETS_HIGH)
			pthread_cond_wait(&need_work, &lock);
		if (stop)
			break;
		tickets += 256;
		pthread_cond_broadcast(&more_work);
	}
	producer_tid_after = mt_gettid();
	pthread_mutex_unlock(&lock);
	return NULL;
}

/* Waits until done_ops reaches target; fails after WAIT_S seconds. */
static void wait_ops(uint64_t target, const char *when)
{
	struct timespec dl = deadline(WAIT_S);

	pthread_mutex_lock(&lock);
	while (done_ops < target) {
		int rc = pthread_cond_timedwait(&progress, &lock, &dl);
		if (rc == ETIMEDOUT && done_ops < target)
			fail("%s: the workers did only %llu of %llu operations in %d s", when,
			     (unsigned long long)done_ops, (unsigned long long)target, WAIT_S);
	}
	pthread_mutex_unlock(&lock);
}

static void check_sums(const char *when)
{
	uint64_t s = 0, ws = 0;

	for (uint64_t i = 0; i < NWORDS; i++) {
		s += buf[i];
		ws += (i + 1) * buf[i];
	}
	if (s != sum || ws != wsum)
		fail("%s: buffer checksum %016llx/%016llx, maintained %016llx/%016llx", when,
		     (unsigned long long)s, (unsigned long long)ws, (unsigned long long)sum,
		     (unsigned long long)wsum);
}

int main(int argc, char **argv)
{
	pthread_mutexattr_t ma;
	struct sigaction sa;
	uint64_t ops_at_go;
	int rc, new_ids;

	mt_test_init(argc, argv);

	/* setup */
	buf = malloc(BUF_BYTES);
	if (!buf)
		fail("cannot allocate %u bytes", BUF_BYTES);
	for (uint64_t i = 0; i < NWORDS; i++) {
		buf[i] = (i + 1) * 0x9E3779B97F4A7C15ull;
		account(i, 0, buf[i]);
	}
	if (sem_init(&usr2_sem, 0, 0))
		fail("sem_init: %s", strerror(errno));
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = usr2_handler;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGUSR2, &sa, NULL))
		fail("sigaction(SIGUSR2): %s", strerror(errno));

	pthread_mutexattr_init(&ma);
	pthread_mutexattr_settype(&ma, PTHREAD_MUTEX_RECURSIVE);
	pthread_mutex_init(&rec_mutex, &ma);
	pthread_mutexattr_settype(&ma, PTHREAD_MUTEX_ERRORCHECK);
	pthread_mutex_init(&ec_mutex, &ma);
	pthread_mutexattr_destroy(&ma);
	if ((rc = pthread_mutex_lock(&rec_mutex)) || (rc = pthread_mutex_lock(&rec_mutex)))
		fail("locking the recursive mutex: %s", strerror(rc));
	if ((rc = pthread_mutex_lock(&ec_mutex)))
		fail("locking the error-checking mutex: %s", strerror(rc));
	if ((rc = pthread_mutex_lock(&ec_mutex)) != EDEADLK)
		fail("relocking the error-checking mutex gave %d, not EDEADLK", rc);

	if ((rc = pthread_create(&producer, NULL, producer_main, NULL)))
		fail("pthread_create: %s", strerror(rc));
	for (int i = 0; i < NWORKERS; i++) {
		workers[i].idx = i;
		workers[i].rng = 0x1234567ull * (uint64_t)(i + 1) + 1;
		if ((rc = pthread_create(&workers[i].th, NULL, worker_main, &workers[i])))
			fail("pthread_create: %s", strerror(rc));
	}
	/* all threads run and have recorded their tids once work has flowed */
	wait_ops(20000, "before the checkpoint");
	pthread_mutex_lock(&lock);
	for (int i = 0; i < NWORKERS; i++)
		if (!workers[i].tid_before)
			fail("worker %d has not started", i);
	if (!producer_started)
		fail("the producer has not started");
	pthread_mutex_unlock(&lock);
	mt_note("workers running: %llu operations so far", (unsigned long long)done_ops);

	mt_test_ready();

	/* verify */
	new_ids = mt_expect_new_ids();
	if ((rc = pthread_mutex_unlock(&ec_mutex)))
		fail("unlocking the error-checking mutex: %s", strerror(rc));
	if ((rc = pthread_mutex_unlock(&ec_mutex)) != EPERM)
		fail("unlocking the unlocked error-checking mutex gave %d, not EPERM", rc);
	if ((rc = pthread_mutex_unlock(&rec_mutex)))
		fail("unlocking the recursive mutex (1st): %s", strerror(rc));
	if ((rc = pthread_mutex_unlock(&rec_mutex)))
		fail("unlocking the recursive mutex (2nd): %s", strerror(rc));
	if ((rc = pthread_mutex_unlock(&rec_mutex)) != EPERM)
		fail("unlocking the unlocked recursive mutex gave %d, not EPERM", rc);

	/* the workers go on */
	pthread_mutex_lock(&lock);
	ops_at_go = done_ops;
	pthread_mutex_unlock(&lock);
	wait_ops(ops_at_go + 20000, "after the checkpoint");

	/* one restored thread signals another */
	pthread_mutex_lock(&lock);
	kill_request = 1;
	pthread_cond_broadcast(&more_work);
	pthread_mutex_unlock(&lock);
	{
		struct timespec dl = deadline(WAIT_S);
		while ((rc = sem_timedwait(&usr2_sem, &dl)) && errno == EINTR)
			;
		if (rc)
			fail("SIGUSR2 from worker %d to worker %d never arrived (pthread_kill: %s)",
			     KILL_FROM, KILL_TO, strerror(workers[KILL_FROM].kill_rc));
	}

	pthread_mutex_lock(&lock);
	stop = 1;
	pthread_cond_broadcast(&more_work);
	pthread_cond_broadcast(&need_work);
	pthread_mutex_unlock(&lock);
	for (int i = 0; i < NWORKERS; i++) {
		struct timespec dl = deadline(WAIT_S);
		if ((rc = pthread_timedjoin_np(workers[i].th, NULL, &dl)))
			fail("joining worker %d: %s", i, strerror(rc));
	}
	{
		struct timespec dl = deadline(WAIT_S);
		if ((rc = pthread_timedjoin_np(producer, NULL, &dl)))
			fail("joining the producer: %s", strerror(rc));
	}
	if (workers[KILL_FROM].kill_rc)
		fail("pthread_kill: %s", strerror(workers[KILL_FROM].kill_rc));
	if (usr2_count != 1)
		fail("SIGUSR2 handled %d times, expected once", (int)usr2_count);
	if (usr2_tid != workers[KILL_TO].tid_after)
		fail("SIGUSR2 for worker %d (tid %d) ran in tid %d", KILL_TO,
		     (int)workers[KILL_TO].tid_after, (int)usr2_tid);
	check_sums("after the checkpoint");

	if (new_ids) {
		mt_note("the restart gave new pid and thread ids (pid %d, was %d): "
			"their equality is not checked", (int)getpid(), (int)mt_pid0);
	} else {
		if (getpid() != mt_pid0)
			fail("pid %d, was %d", (int)getpid(), (int)mt_pid0);
		if (mt_gettid() != mt_pid0)
			fail("main thread tid %d, was %d", (int)mt_gettid(), (int)mt_pid0);
		if (producer_tid_after != producer_tid_before)
			fail("producer tid %d, was %d", (int)producer_tid_after,
			     (int)producer_tid_before);
		for (int i = 0; i < NWORKERS; i++)
			if (workers[i].tid_after != workers[i].tid_before)
				fail("worker %d tid %d, was %d", i, (int)workers[i].tid_after,
				     (int)workers[i].tid_before);
		mt_note("pid %d and all %d thread ids unchanged", (int)getpid(), NWORKERS + 2);
	}
	mt_note("%llu operations in all", (unsigned long long)done_ops);
	pass();
}
