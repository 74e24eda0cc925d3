/* SPDX-License-Identifier: MIT */
/*
 * fd_restore.c - the dispatcher of fd restoration (fd_restore.h): every
 * open file description of the image is rebuilt by its kind and placed at
 * its number, its dups follow it, and the kinds that refer to other fds
 * finish once all are in place.
 */
#include "fd_restore.h"
#include "image_reader.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int fdr_fail(struct fdr_ctx *c, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(c->err, c->errlen, fmt, ap);
	va_end(ap);
	return -1;
}

void fdr_warn(const struct fdr_ctx *c, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	dprintf(c->log_fd >= 0 ? c->log_fd : 2, "mtcp_restart: %s: warning: %s\n",
		c->image_path ? c->image_path : "", buf);
}

const struct img_fd *fdr_find_fd(const struct image *img, int fd)
{
	for (uint32_t i = 0; i < img->nfds; i++)
		if ((int)img->fds[i].rec.fd == fd)
			return &img->fds[i];
	return NULL;
}

const char *fdr_redirect(const struct fdr_ctx *c, int fd)
{
	if (!c->opt)
		return NULL;
	for (int i = 0; i < c->opt->nredirect; i++)
		if (c->opt->redirect[i].fd == fd)
			return c->opt->redirect[i].path;
	return NULL;
}

int fdr_stash_put(struct fdr_ctx *c, uint64_t key, int kind, int fd)
{
	int up = fcntl(fd, F_DUPFD_CLOEXEC, c->stash_base);

	if (up < 0)
		return fdr_fail(c, "cannot move fd %d above %d: %s", fd, c->stash_base,
				strerror(errno));
	close(fd);
	if (c->nstash == c->stash_cap) {
		int cap = c->stash_cap ? 2 * c->stash_cap : 16;
		struct fdr_stash *n = realloc(c->stash, (size_t)cap * sizeof(*n));
		if (!n) {
			close(up);
			return fdr_fail(c, "out of memory");
		}
		c->stash = n;
		c->stash_cap = cap;
	}
	c->stash[c->nstash].key = key;
	c->stash[c->nstash].kind = kind;
	c->stash[c->nstash].fd = up;
	c->nstash++;
	return 0;
}

int fdr_stash_take(struct fdr_ctx *c, uint64_t key, int kind)
{
	for (int i = 0; i < c->nstash; i++)
		if (c->stash[i].key == key && c->stash[i].kind == kind) {
			int fd = c->stash[i].fd;
			c->stash[i] = c->stash[--c->nstash];
			return fd;
		}
	return -1;
}

int fdr_keeps_stdio(const struct img_fd *f)
{
	switch (f->rec.kind) {
	case MTCP_FD_TTY:
	case MTCP_FD_OTHER:
		return 1;
	case MTCP_FD_PIPE:
	case MTCP_FD_FIFO:
		return fdr_pipe_is_outside(f);
	case MTCP_FD_UNIX:
		return fdr_unix_is_outside(f);
	case MTCP_FD_SOCKET: {
		struct mtcp_rec_socket r;
		if (!f->obj || f->obj_len < sizeof(r))
			return 1;
		memcpy(&r, f->obj, sizeof(r));
		return r.state != MTCP_SOCKET_LISTEN;
	}
	default:
		return 0;
	}
}

static int open_kind(struct fdr_ctx *c, const struct img_fd *f)
{
	switch (f->rec.kind) {
	case MTCP_FD_REGULAR:
	case MTCP_FD_DELETED:
	case MTCP_FD_MEMFD:
	case MTCP_FD_DIR:
	case MTCP_FD_DEVICE:
	case MTCP_FD_TTY:
		return fdr_file_open(c, f);
	case MTCP_FD_PIPE:
	case MTCP_FD_FIFO:
		return fdr_pipe_open(c, f);
	case MTCP_FD_EVENTFD:
		return fdr_eventfd_open(c, f);
	case MTCP_FD_EPOLL:
		return fdr_epoll_open(c, f);
	case MTCP_FD_TIMERFD:
		return fdr_timerfd_open(c, f);
	case MTCP_FD_SIGNALFD:
		return fdr_signalfd_open(c, f);
	case MTCP_FD_UNIX:
		return fdr_unix_open(c, f);
	case MTCP_FD_SOCKET:
		return fdr_socket_open(c, f);
	case MTCP_FD_INOTIFY:
		return fdr_inotify_open(c, f);
	default: {
		/* OTHER: named DEGRADED at the checkpoint */
		int fd = open("/dev/null", O_RDWR);
		if (fd < 0)
			return fdr_fail(c, "cannot open /dev/null for fd %u: %s", f->rec.fd,
					strerror(errno));
		return fd;
	}
	}
}

/* --fd N=PATH: read ends read PATH, write ends append to it (created 0600). */
static int open_redirect(struct fdr_ctx *c, const struct img_fd *f, const char *path)
{
	int acc = (int)(f->rec.open_flags & O_ACCMODE);
	int fl = acc == O_RDONLY ? O_RDONLY : acc | O_CREAT | O_APPEND;
	int fd = open(path, fl | O_NOCTTY | O_CLOEXEC, 0600);

	if (fd < 0)
		return fdr_fail(c, "cannot open %s for fd %u (--fd): %s", path, f->rec.fd,
				strerror(errno));
	return fd;
}

static int place(struct fdr_ctx *c, int fd, int want)
{
	if (fd != want) {
		if (dup2(fd, want) < 0) {
			int e = errno;
			close(fd);
			return fdr_fail(c, "cannot place fd %d: %s", want, strerror(e));
		}
		close(fd);
	}
	return 0;
}

int fdr_restore_all(struct fdr_ctx *c)
{
	const struct image *img = c->img;

	if (fdr_files_put_back(c))
		return -1;
	for (uint32_t i = 0; i < img->nfds; i++) {
		const struct img_fd *f = &img->fds[i];
		const struct img_fd *first = f;
		int want = (int)f->rec.fd, fd;
		const char *redir = fdr_redirect(c, want);

		if (f->rec.same_as)
			first = fdr_find_fd(img, (int)f->rec.same_as - 1);
		if (!first)
			return fdr_fail(c, "fd %d: no fd %u to share with", want, f->rec.same_as - 1);
		if (want <= 2 && !redir && fdr_keeps_stdio(first))
			continue; /* the program gets mtcp_restart's */
		if (redir)
			fd = open_redirect(c, f, redir);
		else if (f->rec.same_as)
			fd = fcntl((int)f->rec.same_as - 1, F_DUPFD_CLOEXEC, 0);
		else
			fd = open_kind(c, f);
		if (fd < 0 && want <= 2 && !redir && !f->rec.same_as &&
		    (f->rec.kind == MTCP_FD_REGULAR || f->rec.kind == MTCP_FD_DEVICE ||
		     f->rec.kind == MTCP_FD_DIR)) {
			/* e.g. a file the program's shell opened for it, which the
			 * program's user cannot open: its stdio stays mtcp_restart's */
			fdr_warn(c, "%s; fd %d stays mtcp_restart's", c->err, want);
			continue;
		}
		if (fd < 0) {
			if (f->rec.same_as)
				return fdr_fail(c, "cannot dup fd %u to %d: %s", f->rec.same_as - 1,
						want, strerror(errno));
			return -1;
		}
		if (place(c, fd, want))
			return -1;
		if (!f->rec.same_as && f->rec.kind != MTCP_FD_DIR && !redir) {
			/* the status flags the kind did not set itself (O_DIRECT
			 * too: on a pipe it is packet mode, and F_SETFL sets it);
			 * not on --fd's file, whose O_APPEND they would clear */
			int fl = (int)(f->rec.open_flags & (O_APPEND | O_NONBLOCK | O_NOATIME |
							    O_DIRECT));
			if (fcntl(want, F_SETFL, fl) < 0 && (fl & O_DIRECT))
				fcntl(want, F_SETFL, fl & ~O_DIRECT);
		}
		fcntl(want, F_SETFD, (int)f->rec.fd_flags & FD_CLOEXEC);
	}
	for (uint32_t i = 0; i < img->nfds; i++) {
		const struct img_fd *f = &img->fds[i];
		int rc = 0;
		if (f->rec.same_as || fdr_redirect(c, (int)f->rec.fd) ||
		    ((int)f->rec.fd <= 2 && fdr_keeps_stdio(f)))
			continue;
		if (f->rec.kind == MTCP_FD_EPOLL)
			rc = fdr_epoll_finish(c, f);
		else if (f->rec.kind == MTCP_FD_UNIX)
			rc = fdr_unix_finish(c, f);
		if (rc)
			return -1;
	}
	for (int i = 0; i < c->nstash; i++)
		close(c->stash[i].fd);
	c->nstash = 0;
	return 0;
}
