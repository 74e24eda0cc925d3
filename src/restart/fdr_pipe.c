/* SPDX-License-Identifier: MIT */
/*
 * fdr_pipe.c - restore half of pipes and FIFOs (docs/format.md, "PIPE").
 *
 * Anonymous pipe: the first of its descriptions that is rebuilt here
 * makes the pipe (pipe2, packet mode if its bytes were in packets), sizes
 * it, writes the saved bytes into it, keeps its own end and stashes the
 * other; the first description of the other end takes that one, and any
 * further description of an end (a FIFO opened twice, a reopen through
 * /proc/self/fd) opens the first one's /proc/self/fd link again.  An end
 * nobody takes (its peer was outside the process) is closed by the
 * dispatcher at the end: readers read the saved bytes, then EOF; writers
 * get EPIPE.
 *
 * FIFO: opened again by its path.  The first description opens a holder
 * (O_RDWR | O_NONBLOCK, so that no open blocks and the pipe exists),
 * sizes it and writes the saved bytes through it; every description opens
 * the path with its own access mode; the dispatcher drops the holder at
 * the end (a FIFO the program's user may only read: a reader holds it,
 * and its saved bytes are lost, with a warning).  A FIFO that is gone is
 * made again (mkfifo, 0600) with a warning; a path that is now something
 * else stops the restart.
 */
#include "fd_restore.h"
#include "image_reader.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define PIPE_PACKET 4096 /* PIPE_BUF */

static int reads(const struct img_fd *f)
{
	return (f->rec.open_flags & O_ACCMODE) != O_WRONLY;
}

static int writes(const struct img_fd *f)
{
	return (f->rec.open_flags & O_ACCMODE) != O_RDONLY;
}

static void pipe_rec(const struct img_fd *f, struct mtcp_rec_pipe *r)
{
	memcpy(r, f->obj, sizeof(*r));
}

int fdr_pipe_is_outside(const struct img_fd *f)
{
	struct mtcp_rec_pipe r;

	if (!f->obj || f->obj_type != MTCP_REC_PIPE || f->obj_len < sizeof(r))
		return 1;
	pipe_rec(f, &r);
	if (r.flags & MTCP_PIPEF_PEER_GONE)
		return 0; /* its other end was closed: it comes back that way */
	return (!writes(f) && (r.flags & MTCP_PIPEF_NO_WRITER)) ||
	       (!reads(f) && (r.flags & MTCP_PIPEF_NO_READER));
}

/* The image's descriptions of the pipe `ino` that are rebuilt by this
 * file (not --fd, not left to mtcp_restart's stdio), in fd order. */
static int rebuilt_here(const struct fdr_ctx *c, const struct img_fd *g)
{
	return !g->rec.same_as && (g->rec.kind == MTCP_FD_PIPE || g->rec.kind == MTCP_FD_FIFO) &&
	       g->obj && !fdr_redirect(c, (int)g->rec.fd) &&
	       !(g->rec.fd <= 2 && fdr_keeps_stdio(g));
}

static uint64_t ino_of(const struct img_fd *g)
{
	struct mtcp_rec_pipe r;
	pipe_rec(g, &r);
	return r.pipe_ino;
}

/* The first description of pipe `ino` rebuilt here, or NULL. */
static const struct img_fd *first_of(const struct fdr_ctx *c, uint64_t ino, uint32_t kind)
{
	for (uint32_t i = 0; i < c->img->nfds; i++) {
		const struct img_fd *g = &c->img->fds[i];
		if (g->rec.kind == kind && rebuilt_here(c, g) && ino_of(g) == ino)
			return g;
	}
	return NULL;
}

/* The description of pipe `ino` kept as mtcp_restart's own fd 0-2, or NULL. */
static const struct img_fd *kept_stdio_of(const struct fdr_ctx *c, uint64_t ino, uint32_t kind)
{
	for (uint32_t i = 0; i < c->img->nfds && i < 3; i++) {
		const struct img_fd *g = &c->img->fds[i];
		if (g->rec.fd <= 2 && g->rec.kind == kind && !g->rec.same_as && g->obj &&
		    !fdr_redirect(c, (int)g->rec.fd) && fdr_keeps_stdio(g) && ino_of(g) == ino)
			return g;
	}
	return NULL;
}

/* The saved bytes of pipe `ino` (in its first read end's record). */
static const char *saved_bytes(const struct fdr_ctx *c, uint64_t ino, uint32_t kind,
			       struct mtcp_rec_pipe *with)
{
	for (uint32_t i = 0; i < c->img->nfds; i++) {
		const struct img_fd *g = &c->img->fds[i];
		if (g->rec.kind != kind || g->rec.same_as || !g->obj)
			continue;
		pipe_rec(g, with);
		if (with->pipe_ino == ino && with->data_len)
			return (const char *)g->obj + sizeof(*with);
	}
	memset(with, 0, sizeof(*with));
	return NULL;
}

/* Sizes pipe fd w (its write side) and writes the saved bytes of `ino`. */
static int fill(struct fdr_ctx *c, const struct img_fd *f, int w, uint64_t ino,
		uint32_t pipe_size)
{
	struct mtcp_rec_pipe d;
	const char *p = saved_bytes(c, ino, f->rec.kind, &d);
	int got = fcntl(w, F_SETPIPE_SZ, (int)pipe_size);
	int e = errno;
	size_t off = 0;

	if (got < 0) {
		got = fcntl(w, F_GETPIPE_SZ);
		fdr_warn(c, "fd %u (%s): cannot make the pipe %u bytes large (%s); it has %d",
			 f->rec.fd, f->path, pipe_size, strerror(e), got);
	}
	while (p && off < d.data_len) {
		size_t n = d.data_len - off;
		if ((d.flags & MTCP_PIPEF_PACKETS) && n > PIPE_PACKET)
			n = PIPE_PACKET;
		ssize_t put = write(w, p + off, n);
		if (put < 0 && errno == EINTR)
			continue;
		if (put <= 0)
			return fdr_fail(c, "fd %u (%s): cannot put back the %llu bytes that were in "
					"the pipe (%d bytes large): %s", f->rec.fd, f->path,
					(unsigned long long)d.data_len, got,
					put < 0 ? strerror(errno) : "no progress");
		off += (size_t)put;
	}
	return 0;
}

/* /proc/self/fd/N opened again with f's access mode (never blocks). */
static int reopen(struct fdr_ctx *c, const struct img_fd *f, int n)
{
	char proc[64];
	int fd;

	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", n);
	fd = open(proc, (int)(f->rec.open_flags & O_ACCMODE) | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return fdr_fail(c, "fd %u (%s): cannot open the pipe of fd %d again: %s", f->rec.fd,
				f->path, n, strerror(errno));
	return fd;
}

static int open_pipe(struct fdr_ctx *c, const struct img_fd *f, const struct mtcp_rec_pipe *r)
{
	const struct img_fd *first = first_of(c, r->pipe_ino, MTCP_FD_PIPE);
	const struct img_fd *kept = kept_stdio_of(c, r->pipe_ino, MTCP_FD_PIPE);
	int acc = (int)(f->rec.open_flags & O_ACCMODE), p[2], mine, fd;

	if (kept) {
		/* the other description is mtcp_restart's pipe now: this one too */
		fd = reopen(c, f, (int)kept->rec.fd);
		if (fd >= 0)
			return fd;
		fdr_warn(c, "%s; it gets a pipe of its own", c->err);
	}
	if (first && first != f) {
		int first_acc = (int)(first->rec.open_flags & O_ACCMODE);
		/* the first one stashed the end it did not keep */
		if (acc != O_RDWR && first_acc != O_RDWR && acc != first_acc) {
			fd = fdr_stash_take(c, r->pipe_ino, MTCP_FD_PIPE);
			if (fd >= 0)
				return fd;
		}
		return reopen(c, f, (int)first->rec.fd);
	}
	/* the first: the pipe is made here */
	if (pipe2(p, O_CLOEXEC | O_NONBLOCK | ((r->flags & MTCP_PIPEF_PACKETS) ? O_DIRECT : 0)))
		return fdr_fail(c, "fd %u: cannot make a pipe: %s", f->rec.fd, strerror(errno));
	if (fill(c, f, p[1], r->pipe_ino, r->pipe_size)) {
		close(p[0]);
		close(p[1]);
		return -1;
	}
	if (acc == O_RDWR) {
		mine = reopen(c, f, p[0]);
		close(p[0]);
		close(p[1]);
		return mine;
	}
	mine = acc == O_RDONLY ? p[0] : p[1];
	if (fdr_stash_put(c, r->pipe_ino, MTCP_FD_PIPE, acc == O_RDONLY ? p[1] : p[0])) {
		close(mine);
		return -1;
	}
	return mine;
}

/* The FIFO at f->path, there again: made if it is gone. */
static int fifo_holder(struct fdr_ctx *c, const struct img_fd *f)
{
	struct stat st;
	int fd;

	if (lstat(f->path, &st)) {
		if (errno == ENOENT) {
			if (mkfifo(f->path, 0600) && errno != EEXIST)
				return fdr_fail(c, "fd %u: the FIFO %s is gone and cannot be made "
						"again: %s", f->rec.fd, f->path, strerror(errno));
			fdr_warn(c, "fd %u: the FIFO %s was gone: made again, mode 0600",
				 f->rec.fd, f->path);
		}
		/* else the open below says why */
	} else if (!S_ISFIFO(st.st_mode)) {
		return fdr_fail(c, "fd %u: %s is not a FIFO any more", f->rec.fd, f->path);
	}
	fd = open(f->path, O_RDWR | O_NONBLOCK | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0 && errno == EACCES)
		/* a FIFO the program may only read: a reader holds it */
		fd = open(f->path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return fdr_fail(c, "fd %u: cannot open the FIFO %s: %s", f->rec.fd, f->path,
				strerror(errno));
	if (fstat(fd, &st) || !S_ISFIFO(st.st_mode)) {
		close(fd);
		return fdr_fail(c, "fd %u: %s is not a FIFO any more", f->rec.fd, f->path);
	}
	return fd;
}

static int open_fifo(struct fdr_ctx *c, const struct img_fd *f, const struct mtcp_rec_pipe *r)
{
	const struct img_fd *first = first_of(c, r->pipe_ino, MTCP_FD_FIFO);
	int fd;

	if (!first || first == f) {
		int h = fifo_holder(c, f);
		if (h < 0)
			return -1;
		if (r->flags & MTCP_PIPEF_PACKETS)
			fcntl(h, F_SETFL, O_NONBLOCK | O_DIRECT);
		if ((fcntl(h, F_GETFL) & O_ACCMODE) == O_RDONLY) {
			struct mtcp_rec_pipe d;
			if (saved_bytes(c, r->pipe_ino, MTCP_FD_FIFO, &d))
				fdr_warn(c, "fd %u: the FIFO %s can only be read: the %llu bytes that "
					 "were in it are lost", f->rec.fd, f->path,
					 (unsigned long long)d.data_len);
		} else if (fill(c, f, h, r->pipe_ino, r->pipe_size)) {
			close(h);
			return -1;
		}
		if (fdr_stash_put(c, r->pipe_ino, MTCP_FD_FIFO, h)) {
			close(h);
			return -1;
		}
	}
	/* the holder is a reader and a writer: this open cannot block */
	fd = open(f->path, (int)(f->rec.open_flags & O_ACCMODE) | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return fdr_fail(c, "fd %u: cannot open the FIFO %s: %s", f->rec.fd, f->path,
				strerror(errno));
	return fd;
}

int fdr_pipe_open(struct fdr_ctx *c, const struct img_fd *f)
{
	struct mtcp_rec_pipe r;

	if (!f->obj || f->obj_type != MTCP_REC_PIPE || f->obj_len < sizeof(r))
		return fdr_fail(c, "fd %u: no PIPE record", f->rec.fd);
	pipe_rec(f, &r);
	return f->rec.kind == MTCP_FD_FIFO ? open_fifo(c, f, &r) : open_pipe(c, f, &r);
}
