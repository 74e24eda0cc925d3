/* SPDX-License-Identifier: MIT */
/* owned.c - see owned.h. */
#include "owned.h"
#include "syscall.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <sys/syscall.h>

/* Each set: values + 1 (0: a free entry), so that a zeroed set is empty. */
struct owned_set {
	int32_t v[OWNED_MAX_FDS];
};

static struct owned_set fds, tids;
_Static_assert(OWNED_MAX_TIDS <= OWNED_MAX_FDS, "a set holds OWNED_MAX_FDS entries");

static int set_has(const struct owned_set *s, int cap, int32_t x)
{
	for (int i = 0; i < cap; i++)
		if (__atomic_load_n(&s->v[i], __ATOMIC_ACQUIRE) == x + 1)
			return 1;
	return 0;
}

static int set_add(struct owned_set *s, int cap, int32_t x)
{
	int free_at = -1;

	for (int i = 0; i < cap; i++) {
		int32_t v = __atomic_load_n(&s->v[i], __ATOMIC_ACQUIRE);
		if (v == x + 1)
			return 0;
		if (!v && free_at < 0)
			free_at = i;
	}
	if (free_at < 0)
		return -ENOSPC;
	__atomic_store_n(&s->v[free_at], x + 1, __ATOMIC_RELEASE);
	return 0;
}

static void set_del(struct owned_set *s, int cap, int32_t x)
{
	for (int i = 0; i < cap; i++)
		if (__atomic_load_n(&s->v[i], __ATOMIC_ACQUIRE) == x + 1)
			__atomic_store_n(&s->v[i], 0, __ATOMIC_RELEASE);
}

int owned_fd_add(int fd)
{
	long fl;

	if (fd < 0)
		return -EBADF;
	/* never handed to a program the process executes */
	fl = raw_syscall2(SYS_fcntl, fd, F_GETFD);
	if (fl >= 0 && !(fl & FD_CLOEXEC))
		raw_syscall3(SYS_fcntl, fd, F_SETFD, fl | FD_CLOEXEC);
	return set_add(&fds, OWNED_MAX_FDS, fd);
}

void owned_fd_del(int fd)
{
	if (fd >= 0)
		set_del(&fds, OWNED_MAX_FDS, fd);
}

int owned_fd_is(int fd)
{
	return fd >= 0 && set_has(&fds, OWNED_MAX_FDS, fd);
}

int owned_tid_add(pid_t tid)
{
	return tid > 0 ? set_add(&tids, OWNED_MAX_TIDS, tid) : -ESRCH;
}

void owned_tid_del(pid_t tid)
{
	if (tid > 0)
		set_del(&tids, OWNED_MAX_TIDS, tid);
}

int owned_tid_is(pid_t tid)
{
	return tid > 0 && set_has(&tids, OWNED_MAX_TIDS, tid);
}

void owned_forget(void)
{
	for (int i = 0; i < OWNED_MAX_FDS; i++) {
		__atomic_store_n(&fds.v[i], 0, __ATOMIC_RELEASE);
		__atomic_store_n(&tids.v[i], 0, __ATOMIC_RELEASE);
	}
}
