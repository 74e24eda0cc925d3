/* SPDX-License-Identifier: MIT */
/*
 * util.c - small helpers that are safe while the program's threads are
 * parked: raw system calls only, no malloc, no stdio, no libc lock.
 */
#include "engine.h"
#include "syscall.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>

struct timespec *util_timeout_until(uint64_t at, uint64_t now, struct timespec *ts)
{
	uint64_t d;

	if (!at)
		return NULL;
	d = at > now ? at - now : 0;
	ts->tv_sec = (time_t)(d / 1000000000ull);
	ts->tv_nsec = (long)(d % 1000000000ull);
	return ts;
}

uint64_t util_now_ns(void)
{
	struct timespec ts;
	/* the vDSO clock_gettime takes no lock */
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

long util_read_file(const char *path, char *buf, size_t len)
{
	long fd = raw_syscall4(SYS_openat, AT_FDCWD, (long)path, O_RDONLY | O_CLOEXEC, 0);
	size_t got = 0;

	if (fd < 0)
		return fd;
	while (got < len) {
		long n = raw_syscall3(SYS_read, fd, (long)(buf + got), (long)(len - got));
		if (n == -EINTR)
			continue;
		if (n < 0) {
			raw_syscall1(SYS_close, fd);
			return n;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	raw_syscall1(SYS_close, fd);
	if (got == len)
		return -EFBIG;
	buf[got] = '\0';
	return (long)got;
}

/* vsnprintf into a local buffer creates a string stream with no lock;
 * the message goes out with one raw write so it cannot interleave. */
void util_log(const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	int n;

	memcpy(buf, LOG_PREFIX_ENGINE, sizeof(LOG_PREFIX_ENGINE) - 1);
	va_start(ap, fmt);
	n = vsnprintf(buf + sizeof(LOG_PREFIX_ENGINE) - 1,
		      sizeof(buf) - sizeof(LOG_PREFIX_ENGINE), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	n += (int)sizeof(LOG_PREFIX_ENGINE) - 1;
	if (n > (int)sizeof(buf) - 2)
		n = (int)sizeof(buf) - 2;
	buf[n++] = '\n';
	raw_syscall3(SYS_write, 2, (long)buf, n);
}

int util_excluded_add(uint64_t start, uint64_t len)
{
	struct engine *e = &mtcp_engine;

	if (e->nexcluded == MAX_EXCLUDED)
		return -ENOSPC;
	e->excluded[e->nexcluded].start = start;
	e->excluded[e->nexcluded].end = start + len;
	e->nexcluded++;
	return 0;
}

/* Every reservation, so that a restarted process can make them again:
 * they are never saved, so they do not exist after a restart. */
#define MAX_RESERVED 8
static struct {
	void **where;
	size_t len;
} reserved[MAX_RESERVED];
static int nreserved;

static void *map_reserved(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	madvise(p, len, MADV_DONTFORK);
	if (util_excluded_add((uint64_t)(uintptr_t)p, len)) {
		munmap(p, len);
		return NULL;
	}
	return p;
}

/* Memory of the library's own: never saved (excluded), not inherited by
 * fork()ed children, and distinct vm flags keep the kernel from merging
 * it with the program's anonymous mappings.  *where receives it. */
void *util_reserve(void **where, size_t len)
{
	len = (len + 4095) & ~(size_t)4095;
	if (nreserved == MAX_RESERVED)
		return NULL;
	*where = map_reserved(len);
	if (*where) {
		reserved[nreserved].where = where;
		reserved[nreserved++].len = len;
	}
	return *where;
}

int util_reserve_again(void)
{
	mtcp_engine.nexcluded = 0;
	for (int i = 0; i < nreserved; i++) {
		*reserved[i].where = map_reserved(reserved[i].len);
		if (!*reserved[i].where)
			return -ENOMEM;
	}
	return 0;
}

/* In a copy-on-write writer process (cow.h): the reservations are
 * MADV_DONTFORK, so the clone has none of them.  Map each again at its
 * address, empty, so that every pointer into them stays good. */
int util_reserve_in_child(void)
{
	for (int i = 0; i < nreserved; i++) {
		void *want = *reserved[i].where;
		long p = raw_syscall6(SYS_mmap, (long)want, (long)reserved[i].len,
				      PROT_READ | PROT_WRITE,
				      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED_NOREPLACE,
				      -1, 0);
		if (p < 0 && p > -4096)
			return (int)p;
		if ((void *)p != want) {
			raw_syscall2(SYS_munmap, p, (long)reserved[i].len);
			return -EEXIST;
		}
	}
	return 0;
}
