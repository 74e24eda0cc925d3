/* SPDX-License-Identifier: MIT */
/*
 * io_all.h - write() and pwrite() until every byte is written, with raw
 * system calls (the writer runs while the program is parked): 0 or -errno;
 * -EIO if the kernel writes nothing.
 */
#ifndef MTCP_IO_ALL_H
#define MTCP_IO_ALL_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/syscall.h>
#include "syscall.h"

static inline int io_write_all(int fd, const void *p, size_t len)
{
	const char *c = p;

	while (len) {
		long n = raw_syscall3(SYS_write, fd, (long)c, (long)len);
		if (n == -EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? (int)n : -EIO;
		c += n;
		len -= (size_t)n;
	}
	return 0;
}

static inline int io_pwrite_all(int fd, const void *p, size_t len, uint64_t off)
{
	const char *c = p;

	while (len) {
		long n = raw_syscall4(SYS_pwrite64, fd, (long)c, (long)len, (long)off);
		if (n == -EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? (int)n : -EIO;
		c += n;
		off += (uint64_t)n;
		len -= (size_t)n;
	}
	return 0;
}

#endif
