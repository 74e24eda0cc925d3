/* SPDX-License-Identifier: MIT */
/*
 * fdr_epoll.c - restore half of epoll fds (docs/format.md, "EPOLL").
 *
 * open makes an empty epoll instance; finish, once every fd of the image
 * is in place, adds each registration again under its key, the fd number
 * it was registered with (tfd).  Where that number no longer held the file
 * at the checkpoint (the program had dup'ed it and closed the original),
 * the target is put at number tfd for the time of the EPOLL_CTL_ADD and
 * whatever was there goes back afterwards, so that the program's later
 * EPOLL_CTL_MOD/DEL calls name the registration as before.  An epoll set
 * watching another one is added like any file: the other set's own
 * registrations may come later.
 */
#include "fd_restore.h"
#include "image_reader.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

int fdr_epoll_open(struct fdr_ctx *c, const struct img_fd *f)
{
	int fd = epoll_create1(EPOLL_CLOEXEC);

	if (fd < 0)
		return fdr_fail(c, "cannot create the epoll set of fd %u: %s", f->rec.fd,
				strerror(errno));
	return fd;
}

/* EPOLL_CTL_ADD with key tfd for the file at fd `target` (!= tfd): tfd is
 * made to hold that file meanwhile, and what it held is put back.  0; -1
 * with errno from epoll_ctl; -2 with c->err filled in. */
static int add_stale(struct fdr_ctx *c, int epfd, const struct mtcp_epoll_entry *e,
		     struct epoll_event *ev)
{
	int flags = fcntl(e->tfd, F_GETFD);
	int saved = -1, ep = epfd, rc, err;

	if (flags >= 0) {
		saved = fcntl(e->tfd, F_DUPFD_CLOEXEC, c->stash_base);
		if (saved < 0)
			return fdr_fail(c, "fd %d (epoll): cannot move fd %d aside: %s", epfd, e->tfd,
					strerror(errno)) - 1;
		if (e->tfd == epfd) /* the set itself sits on the stale number */
			ep = saved;
	}
	if (dup2(e->target_fd, e->tfd) < 0) {
		err = errno;
		if (saved >= 0)
			close(saved);
		return fdr_fail(c, "fd %d (epoll): cannot put fd %d at %d: %s", epfd, e->target_fd,
				e->tfd, strerror(err)) - 1;
	}
	rc = epoll_ctl(ep, EPOLL_CTL_ADD, e->tfd, ev);
	err = errno;
	if (saved >= 0) {
		if (dup2(saved, e->tfd) < 0 || fcntl(e->tfd, F_SETFD, flags) < 0) {
			int e2 = errno;
			close(saved);
			return fdr_fail(c, "fd %d (epoll): cannot put fd %d back: %s", epfd, e->tfd,
					strerror(e2)) - 1;
		}
		close(saved);
	} else {
		close(e->tfd);
	}
	errno = err;
	return rc;
}

/* The kind an image fd has (a dup's is its first fd's); 0 if not in the image. */
static uint32_t kind_at(const struct image *img, int fd)
{
	const struct img_fd *t = fdr_find_fd(img, fd);

	if (t && t->rec.same_as)
		t = fdr_find_fd(img, (int)t->rec.same_as - 1);
	return t ? t->rec.kind : 0;
}

int fdr_epoll_finish(struct fdr_ctx *c, const struct img_fd *f)
{
	struct mtcp_rec_epoll r;
	int epfd = (int)f->rec.fd;

	memcpy(&r, f->obj, sizeof(r));
	for (uint32_t i = 0; i < r.nentries; i++) {
		struct mtcp_epoll_entry e;
		struct epoll_event ev;
		uint32_t kind;
		int rc;

		memcpy(&e, (const char *)f->obj + sizeof(r) + i * sizeof(e), sizeof(e));
		if (e.target_fd < 0)
			continue; /* named in a DEGRADED note at the checkpoint */
		kind = kind_at(c->img, e.target_fd);
		if (!kind)
			return fdr_fail(c, "corrupt: fd %d (epoll): its target fd %d is not in the "
					"image", epfd, e.target_fd);
		if (kind == MTCP_FD_OTHER && !fdr_redirect(c, e.target_fd)) {
			fdr_warn(c, "fd %d (epoll): fd %d, which it watched, could not be restored; "
				 "it is not watched", epfd, e.target_fd);
			continue;
		}
		memset(&ev, 0, sizeof(ev));
		ev.events = e.events;
		ev.data.u64 = e.data;
		if (e.target_fd == e.tfd)
			rc = epoll_ctl(epfd, EPOLL_CTL_ADD, e.tfd, &ev);
		else
			rc = add_stale(c, epfd, &e, &ev);
		if (rc == 0)
			continue;
		if (rc == -2)
			return -1;
		if (errno == EPERM) {
			/* the fd became something epoll cannot watch (a regular
			 * file where mtcp_restart's stdio replaced a pipe) */
			fdr_warn(c, "fd %d (epoll): fd %d cannot be watched any more (%s); it is "
				 "not watched", epfd, e.target_fd, strerror(errno));
			continue;
		}
		return fdr_fail(c, "fd %d (epoll): cannot watch fd %d again (as %d): %s", epfd,
				e.target_fd, e.tfd, strerror(errno));
	}
	return 0;
}
