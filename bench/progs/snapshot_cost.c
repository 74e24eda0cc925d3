/* SPDX-License-Identifier: MIT */
/*
 * snapshot_cost.c MIB [RUNS] - what each way of taking a copy-on-write
 * snapshot of memory costs (issue 10), measured on MIB MiB of resident,
 * written 4 KiB pages, RUNS times (default 5), printing the median and
 * range of each:
 *
 *   clone      a raw clone() with no exit signal (DMTCP's forked
 *              checkpointing): the page tables are copied; the child
 *              exits at once, reaped with __WALL
 *   rewrite    then the parent writes one byte of every page: each write
 *              copies the page the child shared
 *   baseline   the same writes with no snapshot taken
 *   uffd-wp    userfaultfd write-protect of the range (register + protect;
 *              UFFD_USER_MODE_ONLY where not privileged), then unprotect
 *
 * Everything is in the one process, one after the other, alternating the
 * order run by run.  Not a test: bench/README.md says how it is run.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PAGE 4096ul
#define MAX_RUNS 64

static double now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static void report(const char *what, double *v, int n)
{
	if (!n) {
		printf("%-9s not measured\n", what);
		return;
	}
	qsort(v, (size_t)n, sizeof(*v), cmp_d);
	printf("%-9s %8.2f ms [%.2f..%.2f]\n", what, v[n / 2], v[0], v[n - 1]);
}

static void touch_all(volatile unsigned char *p, size_t len, unsigned char v)
{
	for (size_t o = 0; o < len; o += PAGE)
		p[o] = v;
}

/* clone() without an exit signal: the child is invisible to wait(-1). */
static double clone_once(void)
{
	double t0 = now_ms();
	long pid = syscall(SYS_clone, 0L, 0L, 0L, 0L, 0L);
	if (pid == 0)
		_exit(0);
	double t = now_ms() - t0;
	if (pid < 0) {
		perror("clone");
		exit(1);
	}
	siginfo_t si;
	if (waitid(P_PID, (id_t)pid, &si, WEXITED | __WALL)) {
		perror("waitid");
		exit(1);
	}
	return t;
}

/* A child that stays (so the pages stay shared) until released. */
static long clone_hold(int *release)
{
	int p[2];
	if (pipe(p))
		return -1;
	long pid = syscall(SYS_clone, 0L, 0L, 0L, 0L, 0L);
	if (pid == 0) {
		char c;
		close(p[1]);
		(void)!read(p[0], &c, 1);
		_exit(0);
	}
	close(p[0]);
	*release = p[1];
	return pid;
}

static int uffd_open(void)
{
	int fd = (int)syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		fd = (int)syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK | UFFD_USER_MODE_ONLY);
	if (fd < 0)
		return -1;
	struct uffdio_api api = { .api = UFFD_API, .features = UFFD_FEATURE_PAGEFAULT_FLAG_WP };
	if (ioctl(fd, UFFDIO_API, &api)) {
		close(fd);
		return -1;
	}
	return fd;
}

static double uffd_once(unsigned char *p, size_t len, int *ok)
{
	int fd = uffd_open();
	double t = 0;
	*ok = 0;
	if (fd < 0)
		return 0;
	double t0 = now_ms();
	struct uffdio_register reg = { .range = { (uintptr_t)p, len }, .mode = UFFDIO_REGISTER_MODE_WP };
	struct uffdio_writeprotect wp = { .range = { (uintptr_t)p, len },
					  .mode = UFFDIO_WRITEPROTECT_MODE_WP };
	if (!ioctl(fd, UFFDIO_REGISTER, &reg) && !ioctl(fd, UFFDIO_WRITEPROTECT, &wp)) {
		t = now_ms() - t0;
		*ok = 1;
		wp.mode = 0;
		ioctl(fd, UFFDIO_WRITEPROTECT, &wp);
		struct uffdio_range r = { (uintptr_t)p, len };
		ioctl(fd, UFFDIO_UNREGISTER, &r);
	}
	close(fd);
	return t;
}

int main(int argc, char **argv)
{
	size_t mib = argc > 1 ? strtoul(argv[1], NULL, 10) : 1024;
	int runs = argc > 2 ? atoi(argv[2]) : 5;
	double c[MAX_RUNS], rw[MAX_RUNS], base[MAX_RUNS], uf[MAX_RUNS];
	int nuf = 0;

	if (!mib || runs < 1 || runs > MAX_RUNS) {
		fprintf(stderr, "usage: snapshot_cost MIB [RUNS 1..%d]\n", MAX_RUNS);
		return 2;
	}
	size_t len = mib << 20;
	unsigned char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
				-1, 0);
	if (p == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	madvise(p, len, MADV_NOHUGEPAGE); /* 4 KiB pages, as the brief measures */
	touch_all(p, len, 1);
	for (int r = 0; r < runs; r++) {
		int ok, rel = -1;
		if (r % 2) {
			uf[nuf] = uffd_once(p, len, &ok);
			nuf += ok;
		}
		c[r] = clone_once();
		/* rewrite with a snapshot held, then without */
		long pid = clone_hold(&rel);
		if (pid < 0) {
			perror("clone");
			return 1;
		}
		double t0 = now_ms();
		touch_all(p, len, (unsigned char)(r + 2));
		rw[r] = now_ms() - t0;
		close(rel);
		siginfo_t si;
		waitid(P_PID, (id_t)pid, &si, WEXITED | __WALL);
		t0 = now_ms();
		touch_all(p, len, (unsigned char)(r + 3));
		base[r] = now_ms() - t0;
		if (!(r % 2)) {
			uf[nuf] = uffd_once(p, len, &ok);
			nuf += ok;
		}
	}
	printf("%zu MiB resident in 4 KiB pages, %d runs, median [min..max]\n", mib, runs);
	report("clone", c, runs);
	report("rewrite", rw, runs);
	report("baseline", base, runs);
	report("uffd-wp", uf, nuf);
	return 0;
}
