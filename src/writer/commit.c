/* SPDX-License-Identifier: MIT */
/* commit.c - temporary file, fsync, rename, keep the last N. */
#include "commit.h"
#include "syscall.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>

int commit_names(const char *dir, const char *prog, int pid, uint64_t seq,
		 char *final, char *tmp, size_t len)
{
	int a = snprintf(final, len, "%s/%s.%d.%llu.mtcp", dir, prog, pid,
			 (unsigned long long)seq);
	int b = snprintf(tmp, len, "%s/.%s.%d.%llu.mtcp.tmp", dir, prog, pid,
			 (unsigned long long)seq);
	if (a < 0 || b < 0 || (size_t)a >= len || (size_t)b >= len)
		return -ENAMETOOLONG;
	return 0;
}

int commit_open_tmp(const char *tmp)
{
	long fd;

	/* a temporary left by a checkpoint that died is ours to replace */
	raw_syscall3(SYS_unlinkat, AT_FDCWD, (long)tmp, 0);
	fd = raw_syscall4(SYS_openat, AT_FDCWD, (long)tmp,
			  O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	return (int)fd;
}

int commit_finish(int fd, const char *tmp, const char *final, const char *dir)
{
	long rc = raw_syscall1(SYS_fsync, fd);
	long dfd;

	if (rc) {
		commit_abort(fd, tmp);
		return (int)rc;
	}
	raw_syscall1(SYS_close, fd);
	rc = raw_syscall4(SYS_renameat, AT_FDCWD, (long)tmp, AT_FDCWD, (long)final);
	if (rc) {
		raw_syscall3(SYS_unlinkat, AT_FDCWD, (long)tmp, 0);
		return (int)rc;
	}
	/* the rename itself must survive a crash */
	dfd = raw_syscall4(SYS_openat, AT_FDCWD, (long)dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
	if (dfd >= 0) {
		raw_syscall1(SYS_fsync, dfd);
		raw_syscall1(SYS_close, dfd);
	}
	return 0;
}

int commit_rename_first(int fd, const char *tmp, const char *final)
{
	long rc = raw_syscall4(SYS_renameat, AT_FDCWD, (long)tmp, AT_FDCWD, (long)final);

	if (rc) {
		commit_abort(fd, tmp);
		return (int)rc;
	}
	return 0;
}

int commit_settle(int fd, const char *dir)
{
	long rc = raw_syscall1(SYS_fsync, fd);
	long dfd;

	raw_syscall1(SYS_close, fd);
	dfd = raw_syscall4(SYS_openat, AT_FDCWD, (long)dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
	if (dfd >= 0) {
		raw_syscall1(SYS_fsync, dfd);
		raw_syscall1(SYS_close, dfd);
	}
	return (int)rc;
}

void commit_abort(int fd, const char *tmp)
{
	if (fd >= 0)
		raw_syscall1(SYS_close, fd);
	raw_syscall3(SYS_unlinkat, AT_FDCWD, (long)tmp, 0);
}

void commit_prune(char (*ring)[4096], int *n, int keep)
{
	int drop = *n - keep;

	if (drop <= 0)
		return;
	for (int i = 0; i < drop; i++)
		raw_syscall3(SYS_unlinkat, AT_FDCWD, (long)ring[i], 0);
	memmove(ring[0], ring[drop], (size_t)(*n - drop) * sizeof(ring[0]));
	*n -= drop;
}
