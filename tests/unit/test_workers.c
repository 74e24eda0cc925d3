/* SPDX-License-Identifier: MIT */
/*
 * test_workers.c - the writer's raw-clone helper threads: with 0, 1, 3
 * and more helpers than allowed, hundreds of jobs queued into every slot
 * and waited for in order, each result compared with chunk_encode run
 * directly on the same memory; helpers finishing jobs while the caller
 * does not help (a lost wake-up hangs there); wk_is_helper; the helpers'
 * signal mask; wk_stop bounded by an alarm, the threads gone from
 * /proc/self/task afterwards, and a restart after a stop.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "chunk.h"
#include "workers.h"

#define PG 4096u
#define POOL_PAGES 2048u /* 8 MiB of mixed memory the jobs read */

#include "test_rng.h"

/*-************************************
 *  Shared state: the workers' memory, the pool, the reference
 **************************************/

static char *area;
static struct wk_memory mem;
static struct workers w;
static unsigned char *pool;
static struct chunk_job *ref;
static char *ref_out;
static void *ref_state;

/* Why the alarm would ring. */
static const char *volatile watchdog_what = "";

static void on_alarm(int sig)
{
	static const char m1[] = "test_workers: timed out: ";
	(void)sig;
	/* the test cannot go on: whatever hangs, hangs in this process */
	if (write(2, m1, sizeof(m1) - 1) < 0 ||
	    write(2, watchdog_what, strlen(watchdog_what)) < 0 || write(2, "\n", 1) < 0)
		_exit(1);
	_exit(1);
}

static void watchdog(unsigned seconds, const char *what)
{
	watchdog_what = what;
	alarm(seconds);
}

static void text(unsigned char *p, size_t n)
{
	static const char w8[] = "the page extent lz4 of memory region and image restart ";
	for (size_t i = 0; i < n; i++)
		p[i] = (unsigned char)w8[(i * 7 + (i >> 9)) % (sizeof(w8) - 1)];
	p[0] = 'T';
}

static int group_setup(void **state)
{
	struct sigaction sa;
	size_t i = 0;

	(void)state;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	sigaction(SIGALRM, &sa, NULL);
	area = mmap(NULL, wk_memory_size(), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		    -1, 0);
	pool = mmap(NULL, (size_t)POOL_PAGES * PG, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ref = calloc(1, sizeof(*ref));
	ref_out = malloc(CHUNK_OUT_CAP);
	ref_state = aligned_alloc(64, CHUNK_LZ4_STATE);
	if (area == MAP_FAILED || pool == MAP_FAILED || !ref || !ref_out || !ref_state)
		return -1;
	wk_memory_carve(&mem, area);
	/* runs of zero, random and text pages */
	rng_state = 1;
	while (i < POOL_PAGES) {
		size_t n = 1 + rnd() % 40, kind = rnd() % 3;
		for (; n && i < POOL_PAGES; n--, i++) {
			unsigned char *p = pool + i * PG;
			if (kind == 1) {
				for (unsigned k = 0; k < PG; k += 8) {
					uint64_t v = rnd();
					memcpy(p + k, &v, 8);
				}
			} else if (kind == 2) {
				text(p, PG);
			}
		}
	}
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	munmap(area, wk_memory_size());
	munmap(pool, (size_t)POOL_PAGES * PG);
	free(ref);
	free(ref_out);
	free(ref_state);
	return 0;
}

/*-************************************
 *  Jobs and their checks
 **************************************/

struct params {
	uint64_t addr, len;
	uint32_t flags;
	int accel;
};

static struct params random_params(void)
{
	uint64_t npages = 1 + rnd() % (CHUNK_MAX / PG);
	uint64_t first = rnd() % (POOL_PAGES - npages + 1);

	return (struct params){ (uint64_t)(uintptr_t)(pool + first * PG), npages * PG,
				(uint32_t)(rnd() % 16), 1 + (int)(rnd() % 3) };
}

static void fill_job(int slot, const struct params *p)
{
	struct chunk_job *j = w.slots[slot].job;

	assert_ptr_equal(j, &mem.jobs[slot]);
	/* junk in the outputs: the encoder must set each of them */
	memset(j, 0x5a, sizeof(*j));
	j->addr = p->addr;
	j->nruns = 0;
	j->len = p->len;
	j->flags = p->flags;
	j->lz4_accel = p->accel;
	j->out = mem.out[slot];
}

/* The slot's result is what chunk_encode gives on the same input. */
static void check_job(int slot, const struct params *p)
{
	const struct chunk_job *j = w.slots[slot].job;

	assert_int_equal(__atomic_load_n(&w.slots[slot].state, __ATOMIC_ACQUIRE), WK_DONE);
	memset(ref, 0, sizeof(*ref));
	ref->addr = p->addr;
	ref->nruns = 0;
	ref->len = p->len;
	ref->flags = p->flags;
	ref->lz4_accel = p->accel;
	ref->out = ref_out;
	chunk_encode(ref, ref_state);
	assert_int_equal(j->addr, p->addr);
	assert_int_equal(j->len, p->len);
	assert_int_equal(j->npieces, ref->npieces);
	assert_int_equal(j->out_used, ref->out_used);
	assert_int_equal(j->zero_bytes, ref->zero_bytes);
	assert_int_equal(j->lz4_in, ref->lz4_in);
	assert_int_equal(j->lz4_out, ref->lz4_out);
	for (uint32_t i = 0; i < j->npieces; i++) {
		const struct chunk_piece *a = &j->pieces[i], *b = &ref->pieces[i];

		assert_int_equal(a->addr, b->addr);
		assert_int_equal(a->len, b->len);
		assert_int_equal(a->enc, b->enc);
		assert_int_equal(a->data_len, b->data_len);
		assert_int_equal(a->crc, b->crc);
		assert_int_equal(a->direct, b->direct);
		assert_int_equal(a->out_off, b->out_off);
		assert_int_equal(a->out_len, b->out_len);
		/* a direct piece's header is left for the writer to fill */
		if (!a->direct)
			assert_memory_equal(j->out + a->out_off, ref_out + b->out_off, a->out_len);
	}
}

/* n jobs through every slot, queued ahead, waited for in order. */
static void run_jobs(int n, uint64_t seed)
{
	static struct params p[WK_NSLOTS];
	int queued = 0, done = 0;

	rng_state = seed;
	while (done < n) {
		while (queued < n && queued - done < WK_NSLOTS) {
			int slot = queued % WK_NSLOTS;
			assert_int_equal(w.slots[slot].state, WK_FREE);
			p[slot] = random_params();
			fill_job(slot, &p[slot]);
			wk_queue(&w, slot);
			queued++;
		}
		int slot = done % WK_NSLOTS;
		wk_wait_done(&w, slot);
		check_job(slot, &p[slot]);
		w.slots[slot].state = WK_FREE;
		done++;
	}
	/* nothing left behind */
	assert_int_equal(wk_help(&w), 0);
}

/* Helpers alone (the caller only watches): each queued job gets done. */
static void helpers_alone(int rounds, uint64_t seed)
{
	static struct params p[WK_NSLOTS];

	rng_state = seed;
	for (int r = 0; r < rounds; r++) {
		/* one job, then every slot at once */
		int nq = r % 2 ? WK_NSLOTS : 1;
		struct timespec t0, t;

		for (int s = 0; s < nq; s++) {
			p[s] = random_params();
			p[s].len = p[s].len > 64 * PG ? 64 * PG : p[s].len;
			fill_job(s, &p[s]);
			wk_queue(&w, s);
		}
		clock_gettime(CLOCK_MONOTONIC, &t0);
		for (int s = 0; s < nq; s++) {
			while (__atomic_load_n(&w.slots[s].state, __ATOMIC_ACQUIRE) != WK_DONE) {
				clock_gettime(CLOCK_MONOTONIC, &t);
				if (t.tv_sec - t0.tv_sec > 10)
					fail_msg("round %d: slot %d not done by the helpers in 10 s "
						 "(state %d)", r, s, w.slots[s].state);
				usleep(50);
			}
		}
		for (int s = 0; s < nq; s++) {
			check_job(s, &p[s]);
			w.slots[s].state = WK_FREE;
		}
	}
}

/*-************************************
 *  Threads
 **************************************/

static int gettid_(void)
{
	return (int)syscall(SYS_gettid);
}

static int task_exists(int tid)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/self/task/%d", tid);
	return access(path, F_OK) == 0;
}

/* The blocked signals of a thread, from /proc/self/task/TID/status. */
static uint64_t sigblk(int tid)
{
	char path[64], line[256];
	unsigned long long v = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/task/%d/status", tid);
	f = fopen(path, "r");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "SigBlk: %llx", &v) == 1)
			break;
	fclose(f);
	return v;
}

static void start_checked(int want)
{
	int expect = want > WK_MAX_HELPERS ? WK_MAX_HELPERS : want, me = gettid_();
	sigset_t before, after;

	memset(&before, 0, sizeof(before)); /* glibc fills only the kernel's 8 bytes */
	memset(&after, 0, sizeof(after));
	sigprocmask(SIG_SETMASK, NULL, &before);
	assert_int_equal(wk_start(&w, &mem, want), expect);
	sigprocmask(SIG_SETMASK, NULL, &after);
	/* the caller's mask is given back */
	assert_memory_equal(&before, &after, sizeof(before));
	assert_int_equal(w.nhelpers, expect);
	assert_false(wk_is_helper(&w, me));
	assert_false(wk_is_helper(&w, 0));
	for (int i = 0; i < expect; i++) {
		uint64_t blk;

		assert_true(w.tids[i] > 0);
		assert_int_not_equal(w.tids[i], me);
		assert_true(wk_is_helper(&w, w.tids[i]));
		assert_int_equal(w.alive[i], w.tids[i]);
		for (int k = 0; k < i; k++)
			assert_int_not_equal(w.tids[i], w.tids[k]);
		assert_true(task_exists(w.tids[i]));
		/* born with every signal blocked */
		blk = sigblk(w.tids[i]);
		for (int sig = 1; sig <= 64; sig++)
			if (sig != SIGKILL && sig != SIGSTOP && !(blk >> (sig - 1) & 1))
				fail_msg("helper %d does not block signal %d (SigBlk %llx)",
					 w.tids[i], sig, (unsigned long long)blk);
	}
}

static void stop_checked(void)
{
	int32_t tids[WK_MAX_HELPERS];
	int n = w.nhelpers;
	struct timespec t0, t;

	memcpy(tids, w.tids, sizeof(tids));
	watchdog(10, "wk_stop did not return in 10 s");
	wk_stop(&w);
	alarm(0);
	assert_int_equal(w.nhelpers, 0);
	for (int i = 0; i < n; i++) {
		assert_int_equal(w.alive[i], 0);
		assert_false(wk_is_helper(&w, tids[i]));
	}
	/* the kernel clears the tid (what wk_stop waits for) a little before
	 * the thread leaves the thread group: wait for that, bounded */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int i = 0; i < n; i++) {
		while (task_exists(tids[i])) {
			clock_gettime(CLOCK_MONOTONIC, &t);
			if (t.tv_sec - t0.tv_sec > 2)
				fail_msg("helper %d still in /proc/self/task 2 s after wk_stop",
					 tids[i]);
			usleep(100);
		}
	}
}

/*-************************************
 *  Cases
 **************************************/

static void no_helpers(void **state)
{
	(void)state;
	start_checked(0);
	run_jobs(500, 100);
	stop_checked();
}

static void one_helper(void **state)
{
	(void)state;
	start_checked(1);
	helpers_alone(100, 200);
	run_jobs(500, 201);
	stop_checked();
}

static void three_helpers(void **state)
{
	(void)state;
	start_checked(3);
	helpers_alone(100, 300);
	run_jobs(500, 301);
	stop_checked();
}

/* Stopped and started again, several times, with work in between. */
static void restart(void **state)
{
	(void)state;
	for (int i = 0; i < 5; i++) {
		start_checked(i % 2 ? 1 : 3);
		helpers_alone(10, 400 + (uint64_t)i);
		run_jobs(50, 410 + (uint64_t)i);
		stop_checked();
	}
	/* stopped at once, without work */
	start_checked(2);
	stop_checked();
}

/* Stopped with jobs queued: none is lost, the caller finishes them. */
static void stop_with_queued_jobs(void **state)
{
	static struct params p[WK_NSLOTS];

	(void)state;
	rng_state = 500;
	for (int r = 0; r < 20; r++) {
		start_checked(3);
		for (int s = 0; s < WK_NSLOTS; s++) {
			p[s] = random_params();
			fill_job(s, &p[s]);
			wk_queue(&w, s);
		}
		stop_checked();
		for (int s = 0; s < WK_NSLOTS; s++) {
			wk_wait_done(&w, s);
			check_job(s, &p[s]);
			w.slots[s].state = WK_FREE;
		}
	}
}

/* More helpers than WK_MAX_HELPERS asked: WK_MAX_HELPERS start. */
static void too_many(void **state)
{
	(void)state;
	start_checked(3 * WK_MAX_HELPERS);
	helpers_alone(10, 600);
	run_jobs(60, 601);
	stop_checked();
}

/*
 * wk_stage: a staged job's runs are read from /proc/self/mem into its bounce
 * buffer, one after another, including a run the program cannot read
 * (PROT_NONE: the kernel reads it anyway, as the image needs).  A read
 * that fails leaves the job unstaged: it then reads the memory itself.
 */
static void stage(void **state)
{
	size_t n = 8 * 4096;
	unsigned char *m = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *bounce = aligned_alloc(4096, CHUNK_MAX);
	struct chunk_job *j = calloc(1, sizeof(*j));
	int fd = open("/proc/self/mem", O_RDONLY | O_CLOEXEC);

	(void)state;
	assert_true(m != MAP_FAILED);
	assert_non_null(bounce);
	assert_non_null(j);
	assert_true(fd >= 0);
	for (size_t i = 0; i < n; i++)
		m[i] = (unsigned char)(i * 31 + (i >> 12));
	assert_int_equal(mprotect(m + 6 * 4096, 2 * 4096, PROT_NONE), 0);
	j->nruns = 3;
	j->runs[0] = (struct chunk_run){ (uint64_t)(uintptr_t)(m + 4096), 4096 };
	j->runs[1] = (struct chunk_run){ (uint64_t)(uintptr_t)(m + 3 * 4096), 2 * 4096 };
	j->runs[2] = (struct chunk_run){ (uint64_t)(uintptr_t)(m + 6 * 4096), 2 * 4096 };
	j->bounce = bounce;
	j->stage_fd = fd;
	j->flags = CHUNK_F_STAGED;
	memset(bounce, 0, CHUNK_MAX);
	wk_stage(j);
	assert_true(j->flags & CHUNK_F_STAGED);
	assert_int_equal(mprotect(m + 6 * 4096, 2 * 4096, PROT_READ), 0);
	assert_memory_equal(bounce, m + 4096, 4096);
	assert_memory_equal(bounce + 4096, m + 3 * 4096, 2 * 4096);
	assert_memory_equal(bounce + 3 * 4096, m + 6 * 4096, 2 * 4096);
	/* a single run (nruns 0) */
	memset(j, 0, sizeof(*j));
	j->addr = (uint64_t)(uintptr_t)m;
	j->len = n;
	j->bounce = bounce;
	j->stage_fd = fd;
	j->flags = CHUNK_F_STAGED | CHUNK_F_ZERO;
	memset(bounce, 0, CHUNK_MAX);
	wk_stage(j);
	assert_int_equal(j->flags, CHUNK_F_STAGED | CHUNK_F_ZERO);
	assert_memory_equal(bounce, m, n);
	/* unmapped memory, or no fd: not staged */
	assert_int_equal(munmap(m + 7 * 4096, 4096), 0);
	wk_stage(j);
	assert_int_equal(j->flags, CHUNK_F_ZERO);
	j->flags = CHUNK_F_STAGED;
	j->len = 4096;
	j->stage_fd = -1;
	wk_stage(j);
	assert_int_equal(j->flags, 0);
	/* without the flag nothing is read */
	j->stage_fd = fd;
	memset(bounce, 0x5a, 4096);
	wk_stage(j);
	assert_int_equal((unsigned char)bounce[0], 0x5a);
	close(fd);
	free(j);
	free(bounce);
	munmap(m, 7 * 4096);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(no_helpers),
		cmocka_unit_test(one_helper),
		cmocka_unit_test(three_helpers),
		cmocka_unit_test(restart),
		cmocka_unit_test(stop_with_queued_jobs),
		cmocka_unit_test(too_many),
		cmocka_unit_test(stage),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
