/* SPDX-License-Identifier: MIT */
/*
 * fdr_unix.c - restore half of AF_UNIX sockets (docs/format.md, "UNIX").
 *
 *   LISTEN       a new socket bound to the same name (a stale socket file
 *                at the path is replaced; anything else there, or a live
 *                socket, is an error), listening with the same backlog.
 *                Its finish connects the program's own clients that were
 *                waiting to be accepted, in the order of their inodes.
 *   CONNECTED    both ends in the image: one socketpair(), made by the
 *                first end to be opened, the other end kept in the stash
 *                under the lower inode.  A datagram socket connected one
 *                way is connected to its peer's name in finish.  A client
 *                whose peer is a listener waits for that listener's finish.
 *   CLOSED       a socketpair whose other end is closed at once, after
 *                the saved queue was sent through it: what was queued is
 *                read, then end-of-file (stream, seqpacket); a write gets
 *                EPIPE and SIGPIPE; a datagram send ECONNREFUSED.
 *   UNCONNECTED  a new socket, bound again if it was.
 *
 * Queues go back in finish, once both ends exist, each end's through its
 * peer (one send per saved message, so datagrams keep their boundaries),
 * then the shutdown() states.  A datagram socket connected one way gets its
 * queue from its peer, sent to its name; an unconnected one from a
 * temporary socket (the original senders' names are lost, and at most
 * net.unix.max_dgram_qlen + 1 messages fit).
 */
#include "fd_restore.h"
#include "image_reader.h"
#include "sock_text.h"

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

struct urec {
	struct mtcp_rec_unix r;
	const char *name;   /* r.name_len bytes */
	const char *queue;  /* r.queue_len bytes: mtcp_unix_msg + bytes, nqueued times */
};

static int parse(const struct img_fd *f, struct urec *u)
{
	if (!f || f->rec.kind != MTCP_FD_UNIX || f->rec.same_as || !f->obj ||
	    f->obj_len < sizeof(u->r))
		return -1;
	memcpy(&u->r, f->obj, sizeof(u->r));
	u->name = (const char *)f->obj + sizeof(u->r);
	u->queue = u->name + u->r.name_len;
	return 0;
}

static socklen_t make_addr(const char *name, uint32_t len, struct sockaddr_un *a)
{
	memset(a, 0, sizeof(*a));
	a->sun_family = AF_UNIX;
	memcpy(a->sun_path, name, len);
	if (len && name[0] && len < sizeof(a->sun_path))
		return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len + 1);
	return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len);
}

/* A relative path name is relative to the program's cwd, which is not
 * ours yet: go there for the time of fn (0 or -1 with errno). */
static int at_cwd(struct fdr_ctx *c, const struct sockaddr_un *a, int (*fn)(void *), void *arg)
{
	int here, rc, e;

	if (!a->sun_path[0] || a->sun_path[0] == '/' || !c->img->cwd || !c->img->cwd[0])
		return fn(arg);
	here = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (here < 0 || chdir(c->img->cwd) < 0) {
		e = errno;
		if (here >= 0)
			close(here);
		errno = e;
		return -1;
	}
	rc = fn(arg);
	e = errno;
	if (fchdir(here) < 0)
		e = e ? e : errno;
	close(here);
	errno = e;
	return rc;
}

struct bind_op {
	struct fdr_ctx *c;
	const struct img_fd *f;
	const struct urec *u;
	int fd;
	const struct sockaddr_un *a;
	socklen_t alen;
};

/* Binds op->fd to its name; a stale socket file at the path is replaced
 * (its mode and owner kept).  0, or -1 with c->err filled in. */
static int do_bind(void *arg)
{
	struct bind_op *op = arg;
	struct fdr_ctx *c = op->c;
	const char *path = op->a->sun_path;
	char txt[128];
	struct stat st;
	int stale = 0;

	sock_unix_name_text(op->u->name, op->u->r.name_len, txt, sizeof(txt));
	if (path[0] && lstat(path, &st) == 0) {
		int p, live;
		if (!S_ISSOCK(st.st_mode))
			return fdr_fail(c, "fd %u: cannot bind a unix socket to %s again: it exists "
					"and is not a socket", op->f->rec.fd, txt);
		/* a socket file nobody listens on any more refuses connections */
		p = socket(AF_UNIX, (int)op->u->r.type | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
		if (p < 0)
			return fdr_fail(c, "fd %u: socket: %s", op->f->rec.fd, strerror(errno));
		live = connect(p, (const struct sockaddr *)op->a, op->alen) == 0 ? 0 : errno;
		close(p);
		if (live != ECONNREFUSED)
			return fdr_fail(c, "fd %u: cannot bind a unix socket to %s again: %s",
					op->f->rec.fd, txt,
					!live || live == EAGAIN || live == EPROTOTYPE
						? "a live socket is bound there"
						: strerror(live));
		if (unlink(path) < 0 && errno != ENOENT)
			return fdr_fail(c, "fd %u: cannot replace the stale socket %s: %s",
					op->f->rec.fd, txt, strerror(errno));
		stale = 1;
	}
	if (bind(op->fd, (const struct sockaddr *)op->a, op->alen) < 0)
		return fdr_fail(c, "fd %u: cannot bind a unix %s socket to %s again: %s",
				op->f->rec.fd, sock_type_name(op->u->r.type), txt, strerror(errno));
	if (path[0]) {
		/* as the original's: the stale file's mode and owner, or the
		 * program's umask */
		if (op->u->r.mode) {
			chmod(path, op->u->r.mode); /* as it was at the checkpoint */
			if (stale && (st.st_uid != geteuid() || st.st_gid != getegid()))
				(void)!lchown(path, st.st_uid, st.st_gid);
		} else if (stale) {
			chmod(path, st.st_mode & 07777);
			if (st.st_uid != geteuid() || st.st_gid != getegid())
				(void)!lchown(path, st.st_uid, st.st_gid);
		} else {
			chmod(path, 0777 & ~(mode_t)c->img->proc.umask);
		}
	}
	return 0;
}

static int bind_name(struct fdr_ctx *c, const struct img_fd *f, const struct urec *u, int fd)
{
	struct sockaddr_un a;
	struct bind_op op = { c, f, u, fd, &a, make_addr(u->name, u->r.name_len, &a) };
	int rc;

	c->err[0] = '\0';
	rc = at_cwd(c, &a, do_bind, &op);
	if (rc && !c->err[0])
		return fdr_fail(c, "fd %u: cannot go to %s to bind %.*s: %s", f->rec.fd,
				c->img->cwd, (int)u->r.name_len, u->name, strerror(errno));
	return rc;
}

struct conn_op {
	int fd;
	const struct sockaddr_un *a;
	socklen_t alen;
};

static int do_connect(void *arg)
{
	struct conn_op *op = arg;
	return connect(op->fd, (const struct sockaddr *)op->a, op->alen);
}

/* connect() that never blocks: a full backlog is an error, not a hang. */
static int connect_name(struct fdr_ctx *c, int fd, const struct sockaddr_un *a, socklen_t alen)
{
	struct conn_op op = { fd, a, alen };
	int fl = fcntl(fd, F_GETFL), rc, e;

	if (fl >= 0 && !(fl & O_NONBLOCK))
		fcntl(fd, F_SETFL, fl | O_NONBLOCK);
	rc = at_cwd(c, a, do_connect, &op);
	e = errno;
	if (fl >= 0 && !(fl & O_NONBLOCK))
		fcntl(fd, F_SETFL, fl);
	errno = e;
	return rc;
}

/* SO_SNDBUF/SO_RCVBUF as recorded (the kernel doubles what it is given:
 * the recorded values are doubled ones), SO_PASSCRED. */
static void set_buf(int fd, int opt, int force, int val)
{
	int cur = 0, half = val / 2;
	socklen_t l = sizeof(cur);

	if (val <= 0 || (getsockopt(fd, SOL_SOCKET, opt, &cur, &l) == 0 && cur == val))
		return;
	if (setsockopt(fd, SOL_SOCKET, force, &half, sizeof(half)) < 0)
		setsockopt(fd, SOL_SOCKET, opt, &half, sizeof(half));
}

static void set_opts(int fd, const struct urec *u)
{
	set_buf(fd, SO_SNDBUF, SO_SNDBUFFORCE, u->r.sndbuf);
	set_buf(fd, SO_RCVBUF, SO_RCVBUFFORCE, u->r.rcvbuf);
	if (u->r.flags & MTCP_UNIXF_PASSCRED) {
		int one = 1;
		setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof(one));
	}
}

/*
 * Sends u's saved queue from fd `from` (to its peer, or to `to`), one send
 * per message.  A send buffer too small for what the original held is
 * made large for the time of it, then set back to `sndbuf`.  0, or -1 with
 * c->err filled in.
 */
static int send_queue(struct fdr_ctx *c, const struct img_fd *f, const struct urec *u, int from,
		      const struct sockaddr_un *to, socklen_t tolen, int sndbuf)
{
	const char *p = u->queue;
	int bumped = 0;

	for (uint32_t i = 0; i < u->r.nqueued; i++) {
		struct mtcp_unix_msg m;
		size_t done = 0;
		memcpy(&m, p, sizeof(m));
		p += sizeof(m);
		do {
			ssize_t n = sendto(from, p + done, m.len - done, MSG_DONTWAIT | MSG_NOSIGNAL,
					   (const struct sockaddr *)to, to ? tolen : 0);
			if (n >= 0) {
				done += (size_t)n;
				continue;
			}
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN && !bumped) {
				int big = 1 << 30;
				if (setsockopt(from, SOL_SOCKET, SO_SNDBUFFORCE, &big, sizeof(big)) < 0)
					setsockopt(from, SOL_SOCKET, SO_SNDBUF, &big, sizeof(big));
				bumped = 1;
				continue;
			}
			return fdr_fail(c, "fd %u: cannot put back the %u messages (%llu bytes) "
					"queued on its unix %s socket: %s", f->rec.fd, u->r.nqueued,
					(unsigned long long)u->r.queue_len, sock_type_name(u->r.type),
					strerror(errno));
		} while (done < m.len);
		p += m.len;
	}
	if (bumped && sndbuf > 0) {
		int half = sndbuf / 2;
		if (setsockopt(from, SOL_SOCKET, SO_SNDBUFFORCE, &half, sizeof(half)) < 0)
			setsockopt(from, SOL_SOCKET, SO_SNDBUF, &half, sizeof(half));
	}
	return 0;
}

/*
 * An unconnected datagram socket's queue, sent to its own name from a
 * temporary socket.  Only net.unix.max_dgram_qlen + 1 messages get in that
 * way (a socket's peer is not limited, but connecting the socket to the
 * helper and away again would empty its queue): the rest is warned about.
 */
struct name_op {
	struct fdr_ctx *c;
	const struct img_fd *f;
	const struct urec *u;
	int from;
	const struct sockaddr_un *a;
	socklen_t alen;
	int sndbuf;
	uint32_t sent;
};

static int do_send_to_name(void *arg)
{
	struct name_op *op = arg;
	const char *p = op->u->queue;

	for (op->sent = 0; op->sent < op->u->r.nqueued; op->sent++) {
		struct mtcp_unix_msg m;
		ssize_t n;
		memcpy(&m, p, sizeof(m));
		p += sizeof(m);
		do
			n = sendto(op->from, p, m.len, MSG_DONTWAIT | MSG_NOSIGNAL,
				   (const struct sockaddr *)op->a, op->alen);
		while (n < 0 && errno == EINTR);
		if (n != (ssize_t)m.len)
			return -1;
		p += m.len;
	}
	return 0;
}

static int send_to_name(struct fdr_ctx *c, const struct img_fd *f, const struct urec *u)
{
	struct sockaddr_un a;
	struct name_op op = { c, f, u, -1, &a, make_addr(u->name, u->r.name_len, &a), 0, 0 };

	if (!u->r.nqueued)
		return 0;
	op.from = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (op.from < 0)
		return fdr_fail(c, "fd %u: socket: %s", f->rec.fd, strerror(errno));
	if (at_cwd(c, &a, do_send_to_name, &op))
		fdr_warn(c, "fd %u: %u of the %u messages queued on its unix datagram socket are "
			 "lost (%s)", f->rec.fd, u->r.nqueued - op.sent, u->r.nqueued,
			 errno == EAGAIN ? "more than net.unix.max_dgram_qlen" : strerror(errno));
	close(op.from);
	return 0;
}

static int do_send_queue(void *arg)
{
	struct name_op *op = arg;
	return send_queue(op->c, op->f, op->u, op->from, op->a, op->alen, op->sndbuf);
}

/* bits 1 (SHUT_RD done) and 2 (SHUT_WR done) */
static int apply_shutdown(struct fdr_ctx *c, int fd, uint32_t bits)
{
	if (bits && shutdown(fd, (int)bits - 1) < 0 && errno != ENOTCONN)
		return fdr_fail(c, "fd %d: shutdown: %s", fd, strerror(errno));
	return 0;
}

/* A connection whose peer is gone: what was queued, then the peer's close. */
static int open_closed(struct fdr_ctx *c, const struct img_fd *f, const struct urec *u)
{
	int sv[2];

	if (socketpair(AF_UNIX, (int)u->r.type | SOCK_CLOEXEC, 0, sv) < 0)
		return fdr_fail(c, "fd %u: socketpair: %s", f->rec.fd, strerror(errno));
	set_opts(sv[0], u);
	if ((u->r.type == SOCK_DGRAM && u->r.name_len && bind_name(c, f, u, sv[0])) ||
	    send_queue(c, f, u, sv[1], NULL, 0, 0)) {
		close(sv[0]);
		close(sv[1]);
		return -1;
	}
	close(sv[1]);
	return sv[0];
}

/* Whether the peer of u (image fd u->r.peer_fd) is restored here as a
 * socket of ours: not when --fd replaces it. */
static const struct img_fd *peer_of(struct fdr_ctx *c, const struct urec *u, struct urec *pu)
{
	const struct img_fd *pf;

	if (u->r.peer_fd < 0 || fdr_redirect(c, u->r.peer_fd))
		return NULL;
	pf = fdr_find_fd(c->img, u->r.peer_fd);
	if (parse(pf, pu))
		return NULL;
	return pf;
}

int fdr_unix_open(struct fdr_ctx *c, const struct img_fd *f)
{
	struct urec u, pu;
	const struct img_fd *pf;
	int fd = -1;

	if (parse(f, &u))
		return fdr_fail(c, "corrupt: fd %u: no UNIX record", f->rec.fd);
	switch (u.r.state) {
	case MTCP_UNIX_LISTEN:
	case MTCP_UNIX_UNCONNECTED:
		fd = socket(AF_UNIX, (int)u.r.type | SOCK_CLOEXEC, 0);
		if (fd < 0)
			return fdr_fail(c, "fd %u: socket: %s", f->rec.fd, strerror(errno));
		set_opts(fd, &u);
		if (u.r.name_len && bind_name(c, f, &u, fd))
			goto fail;
		if (u.r.state == MTCP_UNIX_LISTEN && listen(fd, (int)u.r.backlog) < 0) {
			fdr_fail(c, "fd %u: listen: %s", f->rec.fd, strerror(errno));
			goto fail;
		}
		if (u.r.state == MTCP_UNIX_UNCONNECTED && u.r.type == SOCK_DGRAM &&
		    send_to_name(c, f, &u))
			goto fail;
		return fd;
	case MTCP_UNIX_CONNECTED:
		pf = peer_of(c, &u, &pu);
		if (!pf)
			return open_closed(c, f, &u);
		if (pu.r.state == MTCP_UNIX_CONNECTED && pu.r.peer_ino == u.r.ino &&
		    u.r.peer_ino == pu.r.ino) {
			/* a pair: the first end makes it, the second takes it */
			uint64_t key = u.r.ino < pu.r.ino ? u.r.ino : pu.r.ino;
			fd = fdr_stash_take(c, key, MTCP_FD_UNIX);
			if (fd < 0) {
				int sv[2];
				if (socketpair(AF_UNIX, (int)u.r.type | SOCK_CLOEXEC, 0, sv) < 0)
					return fdr_fail(c, "fd %u: socketpair: %s", f->rec.fd,
							strerror(errno));
				if (fdr_stash_put(c, key, MTCP_FD_UNIX, sv[1])) {
					close(sv[0]);
					return -1;
				}
				fd = sv[0];
			}
			set_opts(fd, &u);
			if (u.r.type == SOCK_DGRAM && u.r.name_len && bind_name(c, f, &u, fd))
				goto fail;
			return fd;
		}
		/* a client waiting on a listener of ours, or a datagram socket
		 * connected one way: connected (and its queue put back) in finish */
		fd = socket(AF_UNIX, (int)u.r.type | SOCK_CLOEXEC, 0);
		if (fd < 0)
			return fdr_fail(c, "fd %u: socket: %s", f->rec.fd, strerror(errno));
		set_opts(fd, &u);
		if (u.r.type == SOCK_DGRAM && u.r.name_len && bind_name(c, f, &u, fd))
			goto fail;
		return fd;
	case MTCP_UNIX_CLOSED:
		return open_closed(c, f, &u);
	}
	return fdr_fail(c, "corrupt: fd %u: unix socket state %u", f->rec.fd, u.r.state);
fail:
	close(fd);
	return -1;
}

/* Image fd f is one of ours (not redirected, not mtcp_restart's stdio). */
static int restored_here(struct fdr_ctx *c, const struct img_fd *f)
{
	return !fdr_redirect(c, (int)f->rec.fd) && !((int)f->rec.fd <= 2 && fdr_keeps_stdio(f));
}

static int by_ino(const void *a, const void *b)
{
	const struct img_fd *const *x = a, *const *y = b;
	struct urec ux, uy;

	parse(*x, &ux);
	parse(*y, &uy);
	return ux.r.ino < uy.r.ino ? -1 : ux.r.ino > uy.r.ino;
}

/* The program's clients that were waiting on listener f, connected again
 * (in the order of their inodes: the order they were made in, as a rule). */
static int connect_waiting(struct fdr_ctx *c, const struct img_fd *f, const struct urec *u)
{
	const struct image *img = c->img;
	const struct img_fd **v;
	struct sockaddr_un a;
	socklen_t alen;
	uint32_t n = 0;
	int rc = 0;
	char txt[128];

	v = calloc(img->nfds ? img->nfds : 1, sizeof(*v));
	if (!v)
		return fdr_fail(c, "out of memory");
	for (uint32_t i = 0; i < img->nfds; i++) {
		struct urec cu;
		if (!parse(&img->fds[i], &cu) && cu.r.state == MTCP_UNIX_CONNECTED &&
		    cu.r.peer_fd == (int32_t)f->rec.fd && restored_here(c, &img->fds[i]))
			v[n++] = &img->fds[i];
	}
	if (!n)
		goto out;
	qsort(v, n, sizeof(*v), by_ino);
	if (u->r.name_len) {
		alen = make_addr(u->name, u->r.name_len, &a);
	} else { /* unnamed when saved: listen() autobound it */
		alen = sizeof(a);
		if (getsockname((int)f->rec.fd, (struct sockaddr *)&a, &alen) < 0)
			alen = 0;
	}
	sock_unix_name_text(a.sun_path, alen > offsetof(struct sockaddr_un, sun_path)
				      ? (uint32_t)(alen - offsetof(struct sockaddr_un, sun_path)) : 0,
		  txt, sizeof(txt));
	for (uint32_t i = 0; i < n && !rc; i++) {
		struct urec cu;
		parse(v[i], &cu);
		if (connect_name(c, (int)v[i]->rec.fd, &a, alen) < 0)
			rc = fdr_fail(c, "fd %u: cannot connect again to fd %u (listening on %s): %s",
				      v[i]->rec.fd, f->rec.fd, txt, strerror(errno));
		else
			rc = apply_shutdown(c, (int)v[i]->rec.fd, cu.r.shutdown);
	}
out:
	free(v);
	return rc;
}

int fdr_unix_finish(struct fdr_ctx *c, const struct img_fd *f)
{
	struct urec u, pu;
	const struct img_fd *pf;
	int me = (int)f->rec.fd;

	if (parse(f, &u))
		return fdr_fail(c, "corrupt: fd %u: no UNIX record", f->rec.fd);
	if (u.r.state == MTCP_UNIX_LISTEN)
		return connect_waiting(c, f, &u);
	if (u.r.state != MTCP_UNIX_CONNECTED || !(pf = peer_of(c, &u, &pu)))
		return 0;
	if (pu.r.state == MTCP_UNIX_LISTEN)
		return 0; /* the listener's finish */
	if (pu.r.state == MTCP_UNIX_CONNECTED && pu.r.peer_ino == u.r.ino &&
	    u.r.peer_ino == pu.r.ino) {
		/* a pair: its first end in fd order does both */
		int peer = (int)pf->rec.fd;
		if (peer < me && restored_here(c, pf))
			return 0;
		if (send_queue(c, f, &u, peer, NULL, 0, pu.r.sndbuf) ||
		    send_queue(c, pf, &pu, me, NULL, 0, u.r.sndbuf) ||
		    apply_shutdown(c, me, u.r.shutdown) || apply_shutdown(c, peer, pu.r.shutdown))
			return -1;
		return 0;
	}
	/* a datagram socket connected one way to another of ours */
	{
		struct sockaddr_un a;
		socklen_t alen;
		char txt[128];
		if (pu.r.name_len) {
			alen = make_addr(pu.name, pu.r.name_len, &a);
		} else {
			alen = sizeof(a);
			if (getsockname((int)pf->rec.fd, (struct sockaddr *)&a, &alen) < 0 ||
			    alen <= offsetof(struct sockaddr_un, sun_path)) {
				fdr_warn(c, "fd %d: its peer fd %u has no name to connect to; it is "
					 "not connected", me, pf->rec.fd);
				return 0;
			}
		}
		if (connect_name(c, me, &a, alen) < 0)
			return fdr_fail(c, "fd %d: cannot connect again to fd %u (%s): %s", me,
					pf->rec.fd, sock_unix_name_text(pu.name, pu.r.name_len, txt, sizeof(txt)),
					strerror(errno));
		/* its queue came from its peer (nobody else may send to it):
		 * sent by the peer again, to its name (it has one: the
		 * checkpoint saved no queue otherwise) */
		if (u.r.nqueued) {
			struct name_op op = { c, f, &u, (int)pf->rec.fd, &a,
					      make_addr(u.name, u.r.name_len, &a), pu.r.sndbuf, 0 };
			c->err[0] = '\0';
			if (at_cwd(c, &a, do_send_queue, &op))
				return c->err[0] ? -1
						 : fdr_fail(c, "fd %d: cannot go to %s: %s", me,
							    c->img->cwd, strerror(errno));
		}
		return apply_shutdown(c, me, u.r.shutdown);
	}
}

int fdr_unix_is_outside(const struct img_fd *f)
{
	struct urec u;

	if (parse(f, &u))
		return 1;
	return u.r.state == MTCP_UNIX_CLOSED;
}
