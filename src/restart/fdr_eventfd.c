/* SPDX-License-Identifier: MIT */
/*
 * fdr_eventfd.c - restore half of eventfds: a new one with the saved
 * EFD_SEMAPHORE, its counter written into it (a write adds to the count,
 * up to 2^64 - 2, so every saved value goes back as it was).
 */
#include "fd_restore.h"
#include "image_reader.h"

#include <errno.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

int fdr_eventfd_open(struct fdr_ctx *c, const struct img_fd *f)
{
	struct mtcp_rec_eventfd r;
	int fd;

	if (!f->obj || f->obj_type != MTCP_REC_EVENTFD || f->obj_len != sizeof(r))
		return fdr_fail(c, "fd %u: no EVENTFD record", f->rec.fd);
	memcpy(&r, f->obj, sizeof(r));
	fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK |
			    ((r.flags & MTCP_EVENTFD_SEMAPHORE) ? EFD_SEMAPHORE : 0));
	if (fd < 0)
		return fdr_fail(c, "fd %u: cannot make an eventfd: %s", f->rec.fd, strerror(errno));
	if (r.count && write(fd, &r.count, sizeof(r.count)) != (ssize_t)sizeof(r.count)) {
		int e = errno;
		close(fd);
		return fdr_fail(c, "fd %u: cannot set the eventfd's count to %llu: %s", f->rec.fd,
				(unsigned long long)r.count, strerror(e));
	}
	return fd; /* O_NONBLOCK as the FD record says: the dispatcher */
}
