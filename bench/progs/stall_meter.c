/* SPDX-License-Identifier: MIT */
/*
 * stall_meter.c: the stall meter of stall_meter.h. One thread sleeps 1 ms
 * (clock_nanosleep, relative, CLOCK_MONOTONIC), reads the clock, and keeps
 * the largest difference between two consecutive wake-ups. A sleep cut
 * short by a signal (the checkpoint signal makes it return EINTR) counts as
 * a wake-up like any other: the gap then spans the suspension. The thread
 * does no I/O and takes no lock, so nothing of its own lengthens a gap. It
 * inherits its creator's signal mask: a program blocks its own signals
 * before starting it (blocking everything here would also block the
 * checkpoint signal, and the checkpoint would fail).
 */
#include "stall_meter.h"

#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

static _Atomic uint64_t max_gap;   /* ns, since the last reset */
static _Atomic uint64_t last_wake; /* CLOCK_MONOTONIC ns of the last wake-up, 0: none yet */
static _Atomic uint64_t wakes;     /* wake-ups since the last reset */
static atomic_flag started = ATOMIC_FLAG_INIT;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void *meter(void *arg)
{
	uint64_t prev = now_ns();

	(void)arg;
	for (;;) {
		const struct timespec ms = { 0, 1000000 };
		uint64_t t, gap, cur;

		clock_nanosleep(CLOCK_MONOTONIC, 0, &ms, NULL); /* EINTR too */
		t = now_ns();
		gap = t - prev;
		prev = t;
		cur = atomic_load(&max_gap);
		/* a reset between the load and the exchange makes it retry */
		while (gap > cur && !atomic_compare_exchange_weak(&max_gap, &cur, gap))
			;
		atomic_fetch_add(&wakes, 1);
		atomic_store(&last_wake, t);
	}
	return NULL;
}

int stall_meter_start(void)
{
	pthread_t t;
	int err;

	if (atomic_flag_test_and_set(&started))
		return 0;
	err = pthread_create(&t, NULL, meter, NULL);
	if (err) {
		atomic_flag_clear(&started);
		return err;
	}
	pthread_setname_np(t, "stall-meter");
	pthread_detach(t);
	return 0;
}

void stall_meter_reset(void)
{
	atomic_store(&max_gap, 0);
	atomic_store(&wakes, 0);
}

uint64_t stall_meter_max_ns(void)
{
	uint64_t asked = now_ns();

	/* one wake-up after the question closes the gap the question follows */
	for (int i = 0; i < 10000 && atomic_load(&last_wake) <= asked; i++) {
		const struct timespec t = { 0, 100000 };

		nanosleep(&t, NULL);
	}
	return atomic_load(&max_gap);
}

uint64_t stall_meter_wakeups(void)
{
	return atomic_load(&wakes);
}
