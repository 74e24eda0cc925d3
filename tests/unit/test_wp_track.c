/* SPDX-License-Identifier: MIT */
/*
 * test_wp_track.c - written-page tracking (src/writer/wp_track.c) on this
 * process's own memory: exact runs, kernel writes (read() from a pipe),
 * never-touched pages, MADV_DONTNEED, a raw clone() child (the
 * copy-on-write snapshot), a second userfaultfd (EBUSY), wp_del.
 *
 * Every test skips, with one line saying why, where the kernel lacks
 * UFFD_FEATURE_WP_ASYNC (older than 6.7) or refuses userfaultfd.
 * Mappings are MADV_NOHUGEPAGE so that runs are counted in 4 KiB pages.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "wp_track.h"

#define PG 4096ul
#define NPAGES 64

/*-************************************
 *  Collected runs
 **************************************/

struct runs {
	unsigned n;
	uint64_t s[64], e[64];
};

static int collect(void *arg, uint64_t start, uint64_t end)
{
	struct runs *r = arg;

	assert_true(r->n < 64);
	r->s[r->n] = start;
	r->e[r->n] = end;
	r->n++;
	return 0;
}

static struct runs scan(struct wp_track *t, char *p, size_t pages)
{
	struct runs r = { 0 };

	assert_int_equal(wp_scan(t, (uint64_t)(uintptr_t)p, (uint64_t)(uintptr_t)(p + pages * PG),
				 collect, &r),
			 0);
	return r;
}

/* Run i is pages [first, last] of p. */
static void assert_run(const struct runs *r, unsigned i, char *p, unsigned first, unsigned last)
{
	assert_true(i < r->n);
	assert_int_equal(r->s[i], (uint64_t)(uintptr_t)(p + first * PG));
	assert_int_equal(r->e[i], (uint64_t)(uintptr_t)(p + (last + 1) * PG));
}

/*-************************************
 *  Fixture: a tracker and a 64-page region
 **************************************/

struct fixture {
	struct wp_track t;
	char *p;
};

static int fx_setup(void **state)
{
	static struct fixture fx;

	memset(&fx, 0, sizeof(fx));
	fx.p = mmap(NULL, NPAGES * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (fx.p == MAP_FAILED)
		return -1;
	madvise(fx.p, NPAGES * PG, MADV_NOHUGEPAGE);
	*state = &fx;
	return 0;
}

static int fx_teardown(void **state)
{
	struct fixture *fx = *state;

	wp_close(&fx->t);
	munmap(fx->p, NPAGES * PG);
	return 0;
}

/* Opens the tracker, or skips the test with the reason. */
static void open_or_skip(struct wp_track *t)
{
	int r = wp_open(t);

	if (r == -EOPNOTSUPP || r == -EPERM || r == -ENOSYS) {
		printf("# SKIP: %s (%s)\n", t->why ? t->why : "?", strerror(-r));
		skip();
	}
	assert_int_equal(r, 0);
	assert_null(t->why);
}

static uint64_t a(const char *p)
{
	return (uint64_t)(uintptr_t)p;
}

/*-************************************
 *  Tests
 **************************************/

/* (1) Exact runs: nothing after wp_add, then pages 3 and 7-9, then nothing. */
static void test_exact_runs(void **state)
{
	struct fixture *fx = *state;
	struct runs r;

	open_or_skip(&fx->t);
	memset(fx->p, 0x11, NPAGES * PG); /* populated before tracking */
	assert_int_equal(wp_add(&fx->t, a(fx->p), a(fx->p + NPAGES * PG)), 0);
	r = scan(&fx->t, fx->p, NPAGES);
	assert_int_equal(r.n, 0);
	/* UFFD_USER_MODE_ONLY is accepted wherever WP_ASYNC exists (5.11+) */
	assert_int_equal(fx->t.user_mode_only, 1);

	fx->p[3 * PG + 100] = 1;
	fx->p[7 * PG] = 2;
	fx->p[8 * PG + 4095] = 3;
	fx->p[9 * PG + 7] = 4;
	(void)*(volatile char *)(fx->p + 20 * PG); /* reads are not writes */
	r = scan(&fx->t, fx->p, NPAGES);
	assert_int_equal(r.n, 2);
	assert_run(&r, 0, fx->p, 3, 3);
	assert_run(&r, 1, fx->p, 7, 9);

	r = scan(&fx->t, fx->p, NPAGES);
	assert_int_equal(r.n, 0);
	/* the data is untouched by the protection */
	assert_int_equal(fx->p[3 * PG + 100], 1);
	assert_int_equal(fx->p[3 * PG + 101], 0x11);
}

/* (2) A kernel write: read() from a pipe into a protected page works
 * (WP_ASYNC resolves it in the kernel: no EFAULT, even with
 * UFFD_USER_MODE_ONLY) and the page is reported written. */
static void test_pipe_read(void **state)
{
	struct fixture *fx = *state;
	struct runs r;
	int pfd[2];
	char msg[100];

	open_or_skip(&fx->t);
	memset(fx->p, 0x22, NPAGES * PG);
	assert_int_equal(wp_add(&fx->t, a(fx->p), a(fx->p + NPAGES * PG)), 0);
	assert_int_equal(scan(&fx->t, fx->p, NPAGES).n, 0);

	memset(msg, 'k', sizeof(msg));
	assert_int_equal(pipe(pfd), 0);
	assert_int_equal(write(pfd[1], msg, sizeof(msg)), sizeof(msg));
	assert_int_equal(read(pfd[0], fx->p + 12 * PG + 50, sizeof(msg)), sizeof(msg));
	close(pfd[0]);
	close(pfd[1]);
	assert_memory_equal(fx->p + 12 * PG + 50, msg, sizeof(msg));

	r = scan(&fx->t, fx->p, NPAGES);
	assert_int_equal(r.n, 1);
	assert_run(&r, 0, fx->p, 12, 12);
}

/* (3) Never-touched pages written after wp_add are reported
 * (WP_UNPOPULATED protects empty entries with a marker). */
static void test_unpopulated(void **state)
{
	struct fixture *fx = *state;
	struct runs r;

	open_or_skip(&fx->t);
	/* nothing of fx->p was ever touched */
	assert_int_equal(wp_add(&fx->t, a(fx->p), a(fx->p + NPAGES * PG)), 0);
	assert_int_equal(scan(&fx->t, fx->p, NPAGES).n, 0);

	fx->p[0] = 1;
	fx->p[40 * PG] = 1;
	fx->p[41 * PG] = 1;
	fx->p[63 * PG + 4095] = 1;
	r = scan(&fx->t, fx->p, NPAGES);
	assert_int_equal(r.n, 3);
	assert_run(&r, 0, fx->p, 0, 0);
	assert_run(&r, 1, fx->p, 40, 41);
	assert_run(&r, 2, fx->p, 63, 63);
	assert_int_equal(scan(&fx->t, fx->p, NPAGES).n, 0);
}

/* (4) MADV_DONTNEED on a page that was written and then scanned (so
 * protected again): what does the next scan say?
 *
 * Observed on Linux 6.18: the zapped page IS reported written, although
 * nothing wrote it and it now reads as zeros.  Zapping anonymous memory
 * drops the whole page-table entry, uffd-wp bit included (no marker is
 * left for anonymous memory), and an entry without protection counts as
 * PAGE_IS_WRITTEN.  The scan then protects it again, so the scan after
 * reports nothing.  A page zapped before it was ever scanned (still
 * unprotected) would equally be reported.  So the scan does not tell a
 * zap from a write (it says "written" and the page holds zeros), and a
 * zap of a page that is then read faults in the zero page, unprotected:
 * "written" again.  This is why issue 11 says not to infer zaps from the
 * scan but to record which pages are present in each increment. */
static void test_dontneed(void **state)
{
	struct fixture *fx = *state;
	struct runs r;

	open_or_skip(&fx->t);
	memset(fx->p, 0x44, NPAGES * PG);
	assert_int_equal(wp_add(&fx->t, a(fx->p), a(fx->p + NPAGES * PG)), 0);
	fx->p[5 * PG] = 1;
	r = scan(&fx->t, fx->p, NPAGES);
	assert_int_equal(r.n, 1);
	assert_run(&r, 0, fx->p, 5, 5);

	/* page 5: written and rescanned (protected again); page 30: never
	 * written since wp_add (protected since then). */
	assert_int_equal(madvise(fx->p + 5 * PG, PG, MADV_DONTNEED), 0);
	assert_int_equal(madvise(fx->p + 30 * PG, PG, MADV_DONTNEED), 0);
	r = scan(&fx->t, fx->p, NPAGES);
	/* the observed behaviour (see above): both zapped pages come back
	 * as "written" */
	assert_int_equal(r.n, 2);
	assert_run(&r, 0, fx->p, 5, 5);
	assert_run(&r, 1, fx->p, 30, 30);
	assert_int_equal(fx->p[5 * PG], 0); /* a zero page now (this read maps it) */

	/* Re-protected by that scan; the read of page 5 just above mapped
	 * the zero page in an entry that had been re-protected with a marker:
	 * the next scan reports nothing. */
	r = scan(&fx->t, fx->p, NPAGES);
	assert_int_equal(r.n, 0);

	/* A zap followed by a mere read before the scan: the read maps the
	 * zero page in the emptied entry, without protection: "written". */
	assert_int_equal(madvise(fx->p + 40 * PG, PG, MADV_DONTNEED), 0);
	assert_int_equal(*(volatile char *)(fx->p + 40 * PG), 0);
	r = scan(&fx->t, fx->p, NPAGES);
	assert_int_equal(r.n, 1);
	assert_run(&r, 0, fx->p, 40, 40);
}

/* (5) The copy-on-write snapshot is a raw clone() (no CLONE_VM, no exit
 * signal).  After wp_add, a child that only exits; then the parent writes:
 * its tracking survived the clone. */
static void test_clone(void **state)
{
	struct fixture *fx = *state;
	struct runs r;
	long pid;
	int st = 0;

	open_or_skip(&fx->t);
	memset(fx->p, 0x55, NPAGES * PG);
	assert_int_equal(wp_add(&fx->t, a(fx->p), a(fx->p + NPAGES * PG)), 0);
	assert_int_equal(scan(&fx->t, fx->p, NPAGES).n, 0);

	pid = syscall(SYS_clone, 0, 0, 0, 0, 0);
	if (pid == 0)
		_exit(fx->p[0] == 0x55 ? 7 : 8); /* sees the data, writes nothing */
	assert_true(pid > 0);
	assert_int_equal(waitpid((pid_t)pid, &st, __WCLONE), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 7);

	/* the clone alone (the pages were made copy-on-write) is no write */
	assert_int_equal(scan(&fx->t, fx->p, NPAGES).n, 0);
	fx->p[2 * PG] = 1;
	fx->p[50 * PG] = 1;
	fx->p[51 * PG] = 1;
	r = scan(&fx->t, fx->p, NPAGES);
	assert_int_equal(r.n, 2);
	assert_run(&r, 0, fx->p, 2, 2);
	assert_run(&r, 1, fx->p, 50, 51);

	/* and a write while the child still lives (its copy keeps the old
	 * page: the parent's write breaks the copy-on-write) */
	pid = syscall(SYS_clone, 0, 0, 0, 0, 0);
	if (pid == 0) {
		struct timespec ts = { 0, 50 * 1000 * 1000 };
		nanosleep(&ts, NULL);
		_exit(fx->p[33 * PG] == 0x55 ? 7 : 8);
	}
	assert_true(pid > 0);
	fx->p[33 * PG] = 1;
	assert_int_equal(waitpid((pid_t)pid, &st, __WCLONE), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 7);
	r = scan(&fx->t, fx->p, NPAGES);
	assert_int_equal(r.n, 1);
	assert_run(&r, 0, fx->p, 33, 33);
}

/* (6) A second userfaultfd registering the same range gets EBUSY. */
static void test_ebusy(void **state)
{
	struct fixture *fx = *state;
	struct wp_track other;

	open_or_skip(&fx->t);
	assert_int_equal(wp_add(&fx->t, a(fx->p), a(fx->p + NPAGES * PG)), 0);
	assert_int_equal(wp_open(&other), 0);
	assert_int_equal(wp_add(&other, a(fx->p + 10 * PG), a(fx->p + 20 * PG)), -EBUSY);
	wp_close(&other);
	/* ours is unharmed */
	fx->p[15 * PG] = 1;
	assert_int_equal(scan(&fx->t, fx->p, NPAGES).n, 1);
}

/* (7) After wp_del the range is no longer tracked: scanning it gives
 * -EPERM (PM_SCAN_CHECK_WPASYNC), and another userfaultfd may take it. */
static void test_del(void **state)
{
	struct fixture *fx = *state;
	struct wp_track other;
	struct runs r = { 0 };

	open_or_skip(&fx->t);
	memset(fx->p, 0x77, NPAGES * PG);
	assert_int_equal(wp_add(&fx->t, a(fx->p), a(fx->p + NPAGES * PG)), 0);
	fx->p[4 * PG] = 1;
	assert_int_equal(wp_del(&fx->t, a(fx->p), a(fx->p + NPAGES * PG)), 0);
	fx->p[6 * PG] = 1;
	assert_int_equal(wp_scan(&fx->t, a(fx->p), a(fx->p + NPAGES * PG), collect, &r), -EPERM);
	assert_int_equal(r.n, 0);

	/* part of it deleted: the rest is still tracked */
	assert_int_equal(wp_add(&fx->t, a(fx->p), a(fx->p + NPAGES * PG)), 0);
	assert_int_equal(wp_del(&fx->t, a(fx->p + 32 * PG), a(fx->p + NPAGES * PG)), 0);
	fx->p[1 * PG] = 1;
	fx->p[40 * PG] = 1;
	r = scan(&fx->t, fx->p, 32);
	assert_int_equal(r.n, 1);
	assert_run(&r, 0, fx->p, 1, 1);

	assert_int_equal(wp_open(&other), 0);
	assert_int_equal(wp_add(&other, a(fx->p + 32 * PG), a(fx->p + NPAGES * PG)), 0);
	wp_close(&other);
}

/* Many runs: more than one PAGEMAP_SCAN batch (WP_VEC_RUNS), every other
 * page of 1024 written: 512 one-page runs, each once, in order. */
struct counter {
	uint64_t base, next; /* the page expected next */
	size_t n;
};

static int count_runs(void *arg, uint64_t start, uint64_t end)
{
	struct counter *c = arg;

	assert_int_equal(start, c->next);
	assert_int_equal(end, start + PG);
	c->next = start + 2 * PG;
	c->n++;
	return 0;
}

static void test_many_runs(void **state)
{
	struct fixture *fx = *state;
	size_t pages = 1024, i, round;
	char *q;

	open_or_skip(&fx->t);
	q = mmap(NULL, pages * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(q != MAP_FAILED);
	madvise(q, pages * PG, MADV_NOHUGEPAGE);
	assert_int_equal(wp_add(&fx->t, a(q), a(q + pages * PG)), 0);
	for (round = 0; round < 2; round++) {
		struct counter c = { a(q), a(q), 0 };

		for (i = 0; i < pages; i += 2)
			q[i * PG] = (char)(round + 1);
		assert_int_equal(wp_scan(&fx->t, a(q), a(q + pages * PG), count_runs, &c), 0);
		assert_true(pages / 2 > WP_VEC_RUNS);
		assert_int_equal(c.n, pages / 2);
	}
	munmap(q, pages * PG);
}

/* (9) wp_present_bytes: pages present or swapped, counted without
 * touching the protection.  Before tracking: the 5 touched of 64.  After
 * wp_add every page counts: the WP_UNPOPULATED markers of the untouched
 * ones are swap entries to PAGEMAP_SCAN (and to /proc/self/pagemap), so
 * the page map cannot tell them from swapped pages (memory.h,
 * MEM_F_NO_SWAP).  An anonymous page zapped by MADV_DONTNEED loses its
 * entry, marker and all. */
static void test_present_bytes(void **state)
{
	struct fixture *fx = *state;
	uint64_t s, e;

	open_or_skip(&fx->t);
	s = a(fx->p);
	e = a(fx->p + NPAGES * PG);
	assert_int_equal(wp_present_bytes(&fx->t, s, e), 0);
	for (int i = 0; i < 5; i++)
		fx->p[(10 + 3 * i) * PG] = 1;
	assert_int_equal(wp_present_bytes(&fx->t, s, e), 5 * PG);
	assert_int_equal(wp_add(&fx->t, s, e), 0);
	assert_int_equal(wp_present_bytes(&fx->t, s, e), NPAGES * PG);
	assert_int_equal(madvise(fx->p + 10 * PG, PG, MADV_DONTNEED), 0);
	assert_int_equal(wp_present_bytes(&fx->t, s, e), (NPAGES - 1) * PG);
	/* a range that is not page aligned */
	assert_int_equal(wp_present_bytes(&fx->t, s + 1, a(fx->p + PG)), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_exact_runs, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_pipe_read, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_unpopulated, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_dontneed, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_clone, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_ebusy, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_del, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_many_runs, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_present_bytes, fx_setup, fx_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
