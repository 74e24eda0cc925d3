/* SPDX-License-Identifier: MIT */
/*
 * test_page_scan.c - page_scan on crafted mappings, once per back end (the
 * PAGEMAP_SCAN ioctl and /proc/self/pagemap must give the same runs), and
 * zero_check against a byte loop.
 *
 * Every mapping is MADV_NOHUGEPAGE: a read fault must map the 4 KiB zero
 * page, not the huge zero page (whose PFN pagemap does not match zero_pfn).
 * File mappings are MADV_RANDOM over a file whose page cache was dropped:
 * no readahead, so fault-around (which maps every cached page of the 64 KiB
 * window around a read fault) maps only the pages the test touched.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/statfs.h>
#include <sys/utsname.h>
#include <unistd.h>
#include <linux/magic.h>

#include "page_scan.h"
#include "zero_check.h"

#define PG 4096ul
#define SCAN_BUF (256u << 10)
#define ALL_FLAGS (PS_PRESENT | PS_SWAPPED | PS_FILE | PS_ZEROPFN)

#ifndef MADV_GUARD_INSTALL
#define MADV_GUARD_INSTALL 102 /* Linux 6.13 */
#endif
#define PM_SWAPPED (1ull << 62)
#define PM_GUARD_REGION (1ull << 58) /* Linux 6.15 */

/*-************************************
 *  Fixture: one scanner per back end
 **************************************/

struct backend {
	int force_pagemap;
};
static struct backend be_auto = { 0 }, be_pagemap = { 1 };

struct fixture {
	struct page_scan ps;
	int force_pagemap;
	void *buf;
};

static int fx_setup(void **state)
{
	const struct backend *be = *state;
	struct fixture *fx = calloc(1, sizeof(*fx));

	if (!fx)
		return -1;
	fx->force_pagemap = be->force_pagemap;
	fx->buf = aligned_alloc(4096, SCAN_BUF);
	if (!fx->buf || ps_open(&fx->ps, be->force_pagemap, fx->buf, SCAN_BUF) != 0) {
		free(fx->buf);
		free(fx);
		return -1;
	}
	*state = fx;
	return 0;
}

static int fx_teardown(void **state)
{
	struct fixture *fx = *state;

	ps_close(&fx->ps);
	free(fx->buf);
	free(fx);
	return 0;
}

static const char *backend_name(const struct page_scan *ps)
{
	return ps->backend == PS_BACKEND_SCAN_IOCTL ? "ioctl" : "pagemap";
}

/* Whether this kernel maps the shared zero page on a read fault: two
 * pages only read show one PFN (visible as root).  Some kernels give each
 * read fault a page of its own; without root we cannot tell, and assume
 * the usual zero page. */
static int kernel_maps_zero_page(void)
{
	char *m = mmap(NULL, 2 * PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint64_t e[2] = { 0, 0 };
	int fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC), same = 1;

	assert_true(m != MAP_FAILED && fd >= 0);
	(void)*(volatile char *)m;
	(void)*(volatile char *)(m + PG);
	assert_int_equal(pread(fd, e, sizeof(e), (off_t)((uintptr_t)m / PG * 8)), sizeof(e));
	if ((e[0] & ((1ull << 55) - 1)) && (e[1] & ((1ull << 55) - 1)))
		same = (e[0] & ((1ull << 55) - 1)) == (e[1] & ((1ull << 55) - 1));
	close(fd);
	munmap(m, 2 * PG);
	return same;
}

/* What a page mapped to the zero page looks like: the ioctl always knows;
 * pagemap only where the PFN is visible (CAP_SYS_ADMIN). */
static uint32_t zero_page_flags(const struct fixture *fx)
{
	if (!kernel_maps_zero_page())
		return PS_PRESENT;
	if (fx->ps.backend == PS_BACKEND_SCAN_IOCTL || fx->ps.zero_pfn)
		return PS_PRESENT | PS_ZEROPFN;
	return PS_PRESENT;
}

/*-************************************
 *  Collecting and checking runs
 **************************************/

struct runs {
	struct ps_run *r;
	size_t n, cap;
	size_t calls;
	size_t stop_at; /* return stop_rc from call number stop_at (1-based); 0: never */
	int stop_rc;
};

static int collect(void *arg, const struct ps_run *run)
{
	struct runs *rs = arg;

	rs->calls++;
	if (rs->n == rs->cap) {
		rs->cap = rs->cap ? rs->cap * 2 : 64;
		rs->r = realloc(rs->r, rs->cap * sizeof(*rs->r));
		if (!rs->r)
			abort();
	}
	rs->r[rs->n++] = *run;
	if (rs->stop_at && rs->calls == rs->stop_at)
		return rs->stop_rc;
	return 0;
}

/* What holds for any scan: aligned, in range, in order, known non-zero
 * flags, and maximal (two touching runs never have the same flags). */
static void check_invariants(const struct runs *rs, uint64_t start, uint64_t end)
{
	for (size_t i = 0; i < rs->n; i++) {
		const struct ps_run *r = &rs->r[i];

		assert_true(r->start < r->end);
		assert_true(((r->start | r->end) & (PG - 1)) == 0);
		assert_true(r->start >= start && r->end <= end);
		assert_true(r->flags != 0 && (r->flags & ~ALL_FLAGS) == 0);
		/* present and swapped are exclusive, as is zero page with file */
		assert_false((r->flags & PS_PRESENT) && (r->flags & PS_SWAPPED));
		assert_false((r->flags & PS_ZEROPFN) && (r->flags & (PS_FILE | PS_SWAPPED)));
		if (i) {
			const struct ps_run *q = &rs->r[i - 1];
			assert_true(q->end <= r->start);
			if (q->end == r->start && q->flags == r->flags) {
				print_error("runs %#llx-%#llx and %#llx-%#llx (flags %#x) not merged\n",
					    (unsigned long long)q->start, (unsigned long long)q->end,
					    (unsigned long long)r->start, (unsigned long long)r->end,
					    r->flags);
				fail();
			}
		}
	}
}

/* An expected run, in pages from the mapping's base. */
struct exp {
	size_t first, end;
	uint32_t flags;
};

static void scan_into(struct page_scan *ps, uint64_t start, uint64_t end, struct runs *rs)
{
	memset(rs, 0, sizeof(*rs));
	assert_int_equal(ps_scan(ps, start, end, collect, rs), 0);
	assert_int_equal(rs->calls, rs->n);
	check_invariants(rs, start, end);
}

static void compare_runs(const struct page_scan *ps, const struct runs *rs, uint64_t base,
			 const struct exp *e, size_t ne)
{
	int same = rs->n == ne;

	for (size_t i = 0; same && i < ne; i++)
		same = rs->r[i].start == base + e[i].first * PG &&
		       rs->r[i].end == base + e[i].end * PG && rs->r[i].flags == e[i].flags;
	if (same)
		return;
	print_error("back end %s: expected %zu runs, got %zu\n", backend_name(ps), ne, rs->n);
	for (size_t i = 0; i < ne && i < 40; i++)
		print_error("  expected [%zu,%zu) %#x\n", e[i].first, e[i].end, e[i].flags);
	for (size_t i = 0; i < rs->n && i < 40; i++)
		print_error("  got      [%lld,%lld) %#x\n",
			    (long long)(rs->r[i].start - base) / (long long)PG,
			    (long long)(rs->r[i].end - base) / (long long)PG, rs->r[i].flags);
	fail();
}

/* Scan pages [from, to) of base and compare with e[0..ne). */
static void expect_runs_in(struct fixture *fx, const void *base, size_t from, size_t to,
			   const struct exp *e, size_t ne)
{
	uint64_t b = (uint64_t)(uintptr_t)base;
	struct runs rs;

	scan_into(&fx->ps, b + from * PG, b + to * PG, &rs);
	compare_runs(&fx->ps, &rs, b, e, ne);
	free(rs.r);
}

#define EXPECT_RUNS(fx, base, npages, ...)                                                  \
	expect_runs_in(fx, base, 0, npages, (const struct exp[]){ __VA_ARGS__ },            \
		       sizeof((const struct exp[]){ __VA_ARGS__ }) / sizeof(struct exp))
#define EXPECT_NO_RUNS(fx, base, npages) expect_runs_in(fx, base, 0, npages, NULL, 0)

/*-************************************
 *  Mappings
 **************************************/

static char *map_anon(size_t npages, int shared)
{
	void *p = mmap(NULL, npages * PG, PROT_READ | PROT_WRITE,
		       (shared ? MAP_SHARED : MAP_PRIVATE) | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	assert_true(p != MAP_FAILED);
	assert_int_equal(madvise(p, npages * PG, MADV_NOHUGEPAGE), 0);
	return p;
}

static void touch_read(const char *p)
{
	(void)*(const volatile char *)p;
}

static void touch_write(char *p, char v)
{
	*(volatile char *)p = v;
}

/* A file on a disk file system (not tmpfs: shmem behaves like anonymous
 * shared memory), npages pages, page i filled with byte i+1, its page
 * cache dropped.  Returns the fd; *path and *dir to remove afterwards. */
static int make_file(size_t npages, char *dir, char *path)
{
	struct statfs sf;
	char *page = malloc(PG);
	int fd;

	strcpy(dir, "/var/tmp/mtcp-ps.XXXXXX");
	assert_non_null(mkdtemp(dir));
	assert_int_equal(statfs(dir, &sf), 0);
	if (sf.f_type == TMPFS_MAGIC) {
		rmdir(dir);
		free(page);
		print_message("/var/tmp is tmpfs: no disk file system for the file mapping\n");
		skip();
	}
	snprintf(path, 256, "%s/f", dir);
	fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	for (size_t i = 0; i < npages; i++) {
		memset(page, (int)(i + 1), PG);
		assert_int_equal(pwrite(fd, page, PG, (off_t)(i * PG)), (ssize_t)PG);
	}
	free(page);
	assert_int_equal(fsync(fd), 0);
	assert_int_equal(posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED), 0);
	return fd;
}

static void remove_file(int fd, const char *dir, const char *path)
{
	close(fd);
	unlink(path);
	rmdir(dir);
}

/* Maps the file, no readahead, and checks that none of it is cached (so
 * that fault-around cannot map a page the test did not touch). */
static char *map_file(int fd, size_t npages, int shared)
{
	unsigned char vec[256];
	char *p = mmap(NULL, npages * PG, PROT_READ | PROT_WRITE, shared ? MAP_SHARED : MAP_PRIVATE,
		       fd, 0);

	assert_true(p != MAP_FAILED);
	assert_true(npages <= sizeof(vec));
	assert_int_equal(madvise(p, npages * PG, MADV_RANDOM), 0);
	assert_int_equal(mincore(p, npages * PG, vec), 0);
	for (size_t i = 0; i < npages; i++)
		if (vec[i] & 1) {
			print_error("page %zu of the file is still cached after fadvise\n", i);
			fail();
		}
	return p;
}

/*-************************************
 *  Back end choice and bad arguments
 **************************************/

struct pm_scan_arg {
	uint64_t size, flags, start, end, walk_end, vec, vec_len, max_pages;
	uint64_t category_inverted, category_mask, category_anyof_mask, return_mask;
};

/* Our own probe: does this kernel have PAGEMAP_SCAN (6.7+)? */
static int kernel_has_scan_ioctl(void)
{
	uint64_t vec[3 * 4];
	struct pm_scan_arg a;
	int fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC), rc;

	if (fd < 0)
		return 0;
	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.start = (uint64_t)(uintptr_t)vec & ~(PG - 1);
	a.end = a.start + PG;
	a.vec = (uint64_t)(uintptr_t)vec;
	a.vec_len = 4;
	a.return_mask = 1u << 3; /* PAGE_IS_PRESENT */
	rc = ioctl(fd, _IOWR('f', 16, struct pm_scan_arg), &a);
	close(fd);
	return rc >= 0;
}

static void backend_choice(void **state)
{
	static char buf[64 << 10] __attribute__((aligned(64)));
	struct page_scan ps;
	struct utsname u;

	(void)state;
	assert_int_equal(ps_open(&ps, 1, buf, sizeof(buf)), 0);
	assert_int_equal(ps.backend, PS_BACKEND_PAGEMAP);
	/* root sees PFNs, so the zero page's is known (where the kernel maps
	 * one on a read fault); others see 0 */
	if (geteuid() == 0)
		assert_true((ps.zero_pfn != 0) == kernel_maps_zero_page());
	ps_close(&ps);
	assert_int_equal(ps.fd, -1);

	/* the buffer must hold 64 regions */
	assert_int_equal(ps_open(&ps, 0, buf, 64 * 24 - 8), -EINVAL);
	assert_int_equal(ps.fd, -1);

	assert_int_equal(ps_open(&ps, 0, buf, sizeof(buf)), 0);
	uname(&u);
	if (!kernel_has_scan_ioctl()) {
		print_message("kernel %s has no PAGEMAP_SCAN ioctl (6.7+): back end %s, not asserted\n",
			      u.release, backend_name(&ps));
		ps_close(&ps);
		skip();
	}
	assert_int_equal(ps.backend, PS_BACKEND_SCAN_IOCTL);
	ps_close(&ps);
}

static void bad_arguments(void **state)
{
	struct fixture *fx = *state;
	char *m = map_anon(16, 0);
	uint64_t b = (uint64_t)(uintptr_t)m;
	struct runs rs;

	for (size_t i = 0; i < 8; i += 2)
		touch_write(m + i * PG, 1); /* runs at 0, 2, 4, 6 */
	memset(&rs, 0, sizeof(rs));
	assert_int_equal(ps_scan(&fx->ps, b + 1, b + 16 * PG, collect, &rs), -EINVAL);
	assert_int_equal(ps_scan(&fx->ps, b, b + 16 * PG - 1, collect, &rs), -EINVAL);
	assert_int_equal(ps_scan(&fx->ps, b + 2 * PG, b + PG, collect, &rs), -EINVAL);
	assert_int_equal(rs.calls, 0);
	/* an empty range: nothing, and no error */
	assert_int_equal(ps_scan(&fx->ps, b, b, collect, &rs), 0);
	assert_int_equal(rs.calls, 0);

	/* a non-zero return stops the scan and is returned: in the middle,
	 * on the first run, and on the last (handed on after the walk) */
	rs.stop_at = 2, rs.stop_rc = 42;
	assert_int_equal(ps_scan(&fx->ps, b, b + 16 * PG, collect, &rs), 42);
	assert_int_equal(rs.calls, 2);
	free(rs.r);
	memset(&rs, 0, sizeof(rs));
	rs.stop_at = 1, rs.stop_rc = -ENOSPC;
	assert_int_equal(ps_scan(&fx->ps, b, b + 16 * PG, collect, &rs), -ENOSPC);
	assert_int_equal(rs.calls, 1);
	free(rs.r);
	memset(&rs, 0, sizeof(rs));
	rs.stop_at = 4, rs.stop_rc = 7;
	assert_int_equal(ps_scan(&fx->ps, b, b + 16 * PG, collect, &rs), 7);
	assert_int_equal(rs.calls, 4);
	assert_true(rs.r[3].start == b + 6 * PG && rs.r[3].end == b + 7 * PG);
	free(rs.r);

	/* a closed scanner */
	{
		struct page_scan ps;
		memset(&rs, 0, sizeof(rs));
		assert_int_equal(ps_open(&ps, fx->force_pagemap, fx->buf, SCAN_BUF), 0);
		ps_close(&ps);
		assert_int_equal(ps_scan(&ps, b, b + 16 * PG, collect, &rs), -EBADF);
		assert_int_equal(rs.calls, 0);
	}
	munmap(m, 16 * PG);
}

/*-************************************
 *  Private anonymous memory
 **************************************/

static void anon_untouched(void **state)
{
	struct fixture *fx = *state;
	char *m = map_anon(16, 0);

	EXPECT_NO_RUNS(fx, m, 16);
	munmap(m, 16 * PG);
}

static void anon_read_is_zero_page(void **state)
{
	struct fixture *fx = *state;
	char *m = map_anon(16, 0);
	uint32_t z = zero_page_flags(fx);

	if (fx->ps.backend == PS_BACKEND_PAGEMAP && geteuid() == 0)
		assert_true((fx->ps.zero_pfn != 0) == kernel_maps_zero_page());
	for (size_t i = 0; i < 4; i++)
		touch_read(m + i * PG);
	touch_read(m + 8 * PG + 100);
	/* ioctl: PAGE_IS_PFNZERO; pagemap as root: the PFN is zero_pfn.
	 * Never PS_FILE: the zero page is no page-cache page. */
	EXPECT_RUNS(fx, m, 16, { 0, 4, z }, { 8, 9, z });
	assert_true(zc_page_is_zero(m));
	munmap(m, 16 * PG);
}

static void anon_written_zeros(void **state)
{
	struct fixture *fx = *state;
	char *m = map_anon(16, 0);

	/* a write fault allocates a page of its own, even to store a zero */
	for (size_t i = 2; i < 6; i++)
		touch_write(m + i * PG + 17, 0);
	EXPECT_RUNS(fx, m, 16, { 2, 6, PS_PRESENT });
	for (size_t i = 2; i < 6; i++)
		assert_true(zc_page_is_zero(m + i * PG));
	assert_int_equal(zc_zero_run(m + 2 * PG, 4), 4);
	assert_int_equal(zc_data_run(m + 2 * PG, 4), 0);
	munmap(m, 16 * PG);
}

static void anon_data_pattern(void **state)
{
	struct fixture *fx = *state;
	char *m = map_anon(16, 0);
	uint32_t z = zero_page_flags(fx);

	touch_write(m + 0 * PG, 1);
	touch_write(m + 1 * PG, 2);
	/* 2, 3 untouched */
	touch_write(m + 4 * PG, 3);
	touch_read(m + 5 * PG);
	touch_write(m + 6 * PG, 0);
	touch_write(m + 7 * PG + 4095, 4);
	/* 8..15 untouched */
	if (z & PS_ZEROPFN)
		EXPECT_RUNS(fx, m, 16, { 0, 2, PS_PRESENT }, { 4, 5, PS_PRESENT }, { 5, 6, z },
			    { 6, 8, PS_PRESENT });
	else
		EXPECT_RUNS(fx, m, 16, { 0, 2, PS_PRESENT }, { 4, 8, PS_PRESENT });

	/* a range that cuts runs gets them cut at its ends */
	if (z & PS_ZEROPFN)
		expect_runs_in(fx, m, 1, 7,
			       (const struct exp[]){ { 1, 2, PS_PRESENT }, { 4, 5, PS_PRESENT },
						     { 5, 6, z }, { 6, 7, PS_PRESENT } },
			       4);
	/* single pages */
	expect_runs_in(fx, m, 7, 8, (const struct exp[]){ { 7, 8, PS_PRESENT } }, 1);
	expect_runs_in(fx, m, 3, 4, NULL, 0);
	munmap(m, 16 * PG);
}

/* The scanner reports pages, not mappings: equal pages of two adjacent
 * mappings make one run; a hole in between ends it. */
static void anon_across_mappings(void **state)
{
	struct fixture *fx = *state;
	char *m = map_anon(16, 0);

	for (size_t i = 0; i < 16; i++)
		touch_write(m + i * PG, (char)i);
	assert_int_equal(mprotect(m + 3 * PG, PG, PROT_READ), 0);
	assert_int_equal(munmap(m + 8 * PG, 3 * PG), 0);
	EXPECT_RUNS(fx, m, 16, { 0, 8, PS_PRESENT }, { 11, 16, PS_PRESENT });
	munmap(m, 16 * PG);
}

/*
 * A 256 MiB span with 17409 runs, scanned with buffers of many sizes: the
 * batches of the ioctl (64 KiB: 2730 regions) and of pagemap (64 KiB: 8192
 * pages) end in many places, and within one ioctl the kernel refills its
 * own 512-region buffer, after which 6.18 returns a stale walk_end (regions
 * came back twice before page_scan.c resumed past the last one returned).
 * Per 2 MiB chunk (512 pages, q is the page in the chunk):
 *   q = 510, 511 and 0, 1: written, so a run of 4 crosses each chunk (and
 *     so each pagemap batch) boundary;
 *   q = 4, 8, ..., 508: written, single pages (127 runs);
 *   q = 5 + 64k (k = 0..7): read only, the zero page, a run next to q-1
 *     with other flags (8 runs).
 * Runs: 128 chunks * 135, plus 127 crossing runs, plus [0,2) of the first
 * chunk and [510,512) of the last: 17409.  Where the zero page is not
 * known (pagemap without CAP_SYS_ADMIN), q = 4, 5 merge: 16385.
 */
#define BIG_CHUNKS 128
#define BIG_PAGES (BIG_CHUNKS * 512)

static int big_page_kind(size_t i) /* 0 untouched, 'w' written, 'r' read */
{
	size_t q = i % 512;

	if (q == 510 || q == 511 || q == 0 || q == 1)
		return 'w';
	if (q % 4 == 0)
		return 'w';
	if (q % 64 == 5)
		return 'r';
	return 0;
}

static void big_mapping_batches(void **state)
{
	struct fixture *fx = *state;
	size_t len = (size_t)BIG_PAGES * PG, align = 2u << 20;
	char *raw = map_anon(BIG_PAGES + 512, 0), *m;
	uint32_t z = zero_page_flags(fx);
	struct exp *e = calloc(BIG_PAGES, sizeof(*e));
	size_t ne = 0;
	static const size_t vec_lens[] = { 64, 65, 66, 67, 100, 127, 128, 129, 170, 171, 255,
					   256, 257, 511, 512, 513, 1000, 1023, 1024, 1025 };

	assert_non_null(e);
	m = (char *)(((uintptr_t)raw + align - 1) & ~(uintptr_t)(align - 1));
	for (size_t i = 0; i < BIG_PAGES; i++) {
		int k = big_page_kind(i);
		uint32_t f = k == 'w' ? PS_PRESENT : k == 'r' ? z : 0;

		if (k == 'w')
			touch_write(m + i * PG, (char)(i | 1));
		else if (k == 'r')
			touch_read(m + i * PG);
		if (!f)
			continue;
		if (ne && e[ne - 1].end == i && e[ne - 1].flags == f)
			e[ne - 1].end = i + 1;
		else
			e[ne++] = (struct exp){ i, i + 1, f };
	}
	assert_int_equal(ne, (z & PS_ZEROPFN) ? 17409 : 16385);

	/* the fixture's buffer, then 64 KiB, then many small sizes: every
	 * size puts the batch boundaries somewhere else */
	expect_runs_in(fx, m, 0, BIG_PAGES, e, ne);
	for (size_t s = 0; s <= sizeof(vec_lens) / sizeof(vec_lens[0]); s++) {
		size_t buflen = s ? vec_lens[s - 1] * 24 : 64u << 10;
		struct page_scan ps;
		struct runs rs;

		assert_int_equal(ps_open(&ps, fx->force_pagemap, fx->buf, buflen), 0);
		assert_int_equal(ps.backend, fx->ps.backend);
		scan_into(&ps, (uint64_t)(uintptr_t)m, (uint64_t)(uintptr_t)m + len, &rs);
		compare_runs(&ps, &rs, (uint64_t)(uintptr_t)m, e, ne);
		free(rs.r);
		ps_close(&ps);
	}
	free(e);
	munmap(raw, (size_t)(BIG_PAGES + 512) * PG);
}

/*-************************************
 *  File and shared memory
 **************************************/

static void file_private(void **state)
{
	struct fixture *fx = *state;
	char dir[64], path[256];
	int fd = make_file(64, dir, path);
	char *m = map_file(fd, 64, 0);

	for (size_t i = 0; i < 4; i++)
		touch_read(m + i * PG);
	touch_write(m + 4 * PG, 'x'); /* copy on write: a private anonymous page */
	touch_read(m + 20 * PG);
	/* read pages map the page cache: PS_FILE; the COW copy is anonymous */
	EXPECT_RUNS(fx, m, 64, { 0, 4, PS_PRESENT | PS_FILE }, { 4, 5, PS_PRESENT },
		    { 20, 21, PS_PRESENT | PS_FILE });
	assert_int_equal(m[0], 1);
	assert_int_equal(m[3 * PG + 7], 4);
	assert_int_equal(m[4 * PG], 'x');
	assert_int_equal(m[4 * PG + 1], 5);
	assert_int_equal(m[20 * PG], 21);
	munmap(m, 64 * PG);
	remove_file(fd, dir, path);
}

static void file_shared(void **state)
{
	struct fixture *fx = *state;
	char dir[64], path[256];
	int fd = make_file(64, dir, path);
	char *m = map_file(fd, 64, 1);

	touch_read(m + 0 * PG);
	touch_read(m + 1 * PG);
	touch_write(m + 2 * PG, 'y'); /* written in place: still the page cache */
	touch_write(m + 40 * PG, 'z');
	EXPECT_RUNS(fx, m, 64, { 0, 3, PS_PRESENT | PS_FILE }, { 40, 41, PS_PRESENT | PS_FILE });
	munmap(m, 64 * PG);
	remove_file(fd, dir, path);
}

/*
 * MAP_SHARED|MAP_ANONYMOUS is shmem: its pages are page-cache pages of an
 * unlinked tmpfs file, not PageAnon, so both back ends report PS_FILE
 * (the ioctl's PAGE_IS_FILE and pagemap's bit 61 both test !PageAnon).  A
 * read fault allocates a shmem page, it never maps the zero page: read
 * pages look exactly like written ones.  (Seen on 6.18: [0,2) and [5,6),
 * PS_PRESENT|PS_FILE, on both back ends.)
 *
 * The scanner sees this process's page tables only: a shmem page whose
 * entry is gone (MADV_DONTNEED here; also MADV_PAGEOUT or swap, which
 * clear shmem entries instead of leaving swap entries) is not reported,
 * although its data is still in the object.  Shared memory must be saved
 * from the object, not from these runs.
 */
static void shared_anon(void **state)
{
	struct fixture *fx = *state;
	char *m = map_anon(16, 1);

	touch_write(m + 0 * PG, 1);
	touch_write(m + 1 * PG, 0);
	touch_read(m + 5 * PG);
	EXPECT_RUNS(fx, m, 16, { 0, 2, PS_PRESENT | PS_FILE }, { 5, 6, PS_PRESENT | PS_FILE });

	assert_int_equal(madvise(m, 2 * PG, MADV_DONTNEED), 0);
	EXPECT_RUNS(fx, m, 16, { 5, 6, PS_PRESENT | PS_FILE });
	assert_int_equal(*(volatile char *)m, 1); /* the data was not lost */
	munmap(m, 16 * PG);
}

/*
 * Guard regions (MADV_GUARD_INSTALL, Linux 6.13) are swap-type entries of
 * the page table that fault with SIGSEGV; they hold no data.  They must
 * never be reported PS_SWAPPED (a writer would read them and fault).
 * Linux 6.15 marks them (pagemap bit 58, PAGE_IS_GUARD); 6.13 and 6.14
 * cannot tell them from swapped pages.
 */
static void guard_pages(void **state)
{
	struct fixture *fx = *state;
	char *m = map_anon(16, 0);
	uint64_t ent = 0;
	int fd;

	for (size_t i = 0; i < 16; i++)
		touch_write(m + i * PG, (char)(i + 1));
	if (madvise(m + 4 * PG, 2 * PG, MADV_GUARD_INSTALL) != 0) {
		print_message("no guard regions on this kernel (MADV_GUARD_INSTALL: %s)\n",
			      strerror(errno));
		munmap(m, 16 * PG);
		skip();
	}
	fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(pread(fd, &ent, 8, (off_t)((uintptr_t)(m + 4 * PG) / PG * 8)), 8);
	close(fd);
	assert_true(ent & PM_SWAPPED);
	if (!(ent & PM_GUARD_REGION)) {
		print_message("kernel marks no guard regions (6.13, 6.14): not tested\n");
		munmap(m, 16 * PG);
		skip();
	}
	EXPECT_RUNS(fx, m, 16, { 0, 4, PS_PRESENT }, { 6, 16, PS_PRESENT });
	munmap(m, 16 * PG);
}

/*-************************************
 *  zero_check
 **************************************/

static int ref_is_zero(const unsigned char *p)
{
	for (size_t i = 0; i < PG; i++)
		if (p[i])
			return 0;
	return 1;
}

static void zero_page_every_offset(void **state)
{
	static const unsigned char vals[] = { 1, 0x80, 0xff };
	unsigned char *buf = aligned_alloc(PG, 2 * PG);

	(void)state;
	assert_non_null(buf);
	memset(buf, 0, 2 * PG);
	assert_true(zc_page_is_zero(buf));
	/* only 16-byte alignment is required */
	assert_true(zc_page_is_zero(buf + 16));
	assert_true(zc_page_is_zero(buf + 1024 + 48));
	for (size_t v = 0; v < sizeof(vals); v++)
		for (size_t off = 0; off < PG; off++) {
			buf[off] = vals[v];
			if (zc_page_is_zero(buf)) {
				print_error("byte %#x at offset %zu not seen\n", vals[v], off);
				fail();
			}
			buf[off] = 0;
		}
	assert_true(zc_page_is_zero(buf));
	/* a non-zero byte just past the page, or in the page only when
	 * shifted, is judged by where the page is */
	buf[PG] = 1;
	assert_true(zc_page_is_zero(buf));
	assert_false(zc_page_is_zero(buf + 16));
	buf[PG] = 0;
	buf[15] = 1;
	assert_false(zc_page_is_zero(buf));
	assert_true(zc_page_is_zero(buf + 16));
	free(buf);
}

static void zero_and_data_runs(void **state)
{
	/* Z Z D Z D D D Z Z D: a data page's only non-zero byte is at an
	 * offset that differs page to page, the last byte included */
	static const char pattern[] = "ZZDZDDDZZD";
	static const size_t at[] = { 0, 0, 4095, 0, 64, 2048, 63, 0, 0, 256 };
	size_t n = sizeof(pattern) - 1;
	unsigned char *p = aligned_alloc(PG, n * PG);

	(void)state;
	assert_non_null(p);
	memset(p, 0, n * PG);
	for (size_t i = 0; i < n; i++)
		if (pattern[i] == 'D')
			p[i * PG + at[i]] = (unsigned char)(i + 1);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(zc_page_is_zero(p + i * PG), ref_is_zero(p + i * PG));
	for (size_t i = 0; i <= n; i++) {
		size_t zr = 0, dr = 0;
		while (i + zr < n && pattern[i + zr] == 'Z')
			zr++;
		while (i + dr < n && pattern[i + dr] == 'D')
			dr++;
		assert_int_equal(zc_zero_run(p + i * PG, n - i), zr);
		assert_int_equal(zc_data_run(p + i * PG, n - i), dr);
	}
	/* the count is bounded by npages */
	assert_int_equal(zc_zero_run(p, 1), 1);
	assert_int_equal(zc_zero_run(p, 0), 0);
	assert_int_equal(zc_data_run(p + 4 * PG, 2), 2);
	assert_int_equal(zc_data_run(p + 4 * PG, 0), 0);
	/* all zero, all data */
	memset(p, 0, n * PG);
	assert_int_equal(zc_zero_run(p, n), n);
	assert_int_equal(zc_data_run(p, n), 0);
	memset(p, 0xa5, n * PG);
	assert_int_equal(zc_zero_run(p, n), 0);
	assert_int_equal(zc_data_run(p, n), n);
	free(p);
}

#define BOTH(fn)                                                                          \
	{ #fn " (ioctl)", fn, fx_setup, fx_teardown, &be_auto },                           \
	{ #fn " (pagemap)", fn, fx_setup, fx_teardown, &be_pagemap }

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(zero_page_every_offset),
		cmocka_unit_test(zero_and_data_runs),
		cmocka_unit_test(backend_choice),
		BOTH(bad_arguments),
		BOTH(anon_untouched),
		BOTH(anon_read_is_zero_page),
		BOTH(anon_written_zeros),
		BOTH(anon_data_pattern),
		BOTH(anon_across_mappings),
		BOTH(big_mapping_batches),
		BOTH(file_private),
		BOTH(file_shared),
		BOTH(shared_anon),
		BOTH(guard_pages),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
