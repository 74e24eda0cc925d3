/* SPDX-License-Identifier: MIT */
/*
 * fd_unix.c - save half of AF_UNIX sockets: a UNIX record (docs/format.md,
 * "UNIX").
 *
 * sock_diag (fd_sockdiag.c) gives what /proc does not: the peer's inode,
 * the shutdown state, a listener's backlog and the clients waiting on it.
 * The state recorded:
 *   LISTEN       a listener, bound again at restart;
 *   CONNECTED    its peer is an fd of the program (peer_fd): a socketpair,
 *                or both ends of a connection to its own listener, or a
 *                datagram socket connect()ed to another one of the
 *                program's; or a client whose connection a listener of the
 *                program has not accepted yet (peer_fd is the listener);
 *   CLOSED       connected to a socket outside the process, or to one
 *                that is gone: it comes back as a connection whose peer
 *                closed;
 *   UNCONNECTED  the rest (datagram sockets, fresh sockets), bound again.
 *
 * The receive queue is read without consuming it: SO_PEEK_OFF at 0, then
 * MSG_PEEK reads, each going on where the last stopped (one message per
 * read for datagrams and seqpackets, so their boundaries are kept).  Only
 * where a restart can put it back: a queue on a socket restored through a
 * pair (CONNECTED both ways, CLOSED), or a datagram socket's with a name
 * to send to.  Descriptors in flight (SCM_RIGHTS) are not saved: peeking
 * them with no room for control messages does not install them, and
 * MSG_CTRUNC says they were there.
 */
#include "engine.h"
#include "fd_save.h"
#include "fd_sockdiag.h"
#include "syscall.h"
#include "sock_text.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>

#ifndef SO_PASSPIDFD
#define SO_PASSPIDFD 76
#endif
#ifndef SIOCOUTQ
#define SIOCOUTQ 0x5411 /* TIOCOUTQ */
#endif

#define TCP_LISTEN_STATE 10

static void setopt_int(int fd, int level, int opt, int val)
{
	raw_syscall5(SYS_setsockopt, fd, level, opt, (long)&val, sizeof(val));
}

/*
 * Reads the receive queue of fd into out (cap bytes): mtcp_unix_msg
 * headers, each followed by its bytes.  *n and *len say what was read;
 * *fds is set if descriptors were queued.  0, -E2BIG if it does not fit,
 * or -errno.
 */
static int peek_queue(int fd, int type, int rcv_shut, char *out, size_t cap, uint32_t *n,
		      uint64_t *len, int *fds)
{
	static const int pass_opts[3] = { SO_PASSCRED, SO_PASSSEC, SO_PASSPIDFD };
	int was[3], off = -1, rc = 0;
	size_t used = 0;

	*n = 0;
	*len = 0;
	/* with these off, a control message can only be SCM_RIGHTS: MSG_CTRUNC
	 * then means descriptors were there (and none was installed) */
	for (int i = 0; i < 3; i++) {
		if (fd_sockopt_int(fd, SOL_SOCKET, pass_opts[i], &was[i]))
			was[i] = 0;
		if (was[i])
			setopt_int(fd, SOL_SOCKET, pass_opts[i], 0);
	}
	fd_sockopt_int(fd, SOL_SOCKET, SO_PEEK_OFF, &off);
	setopt_int(fd, SOL_SOCKET, SO_PEEK_OFF, 0);
	for (uint32_t guard = 0; guard < (1u << 20); guard++) {
		struct mtcp_unix_msg m = { 0, 0 };
		struct iovec iov;
		struct msghdr mh;

		if (cap - used < sizeof(m) + 1) {
			rc = -E2BIG;
			break;
		}
		iov.iov_base = out + used + sizeof(m);
		iov.iov_len = cap - used - sizeof(m);
		memset(&mh, 0, sizeof(mh));
		mh.msg_iov = &iov;
		mh.msg_iovlen = 1;
		long got = raw_syscall3(SYS_recvmsg, fd, (long)&mh, MSG_PEEK | MSG_DONTWAIT);
		if (got == -EINTR)
			continue;
		if (got == -EAGAIN)
			break;
		if (got < 0) {
			rc = (int)got;
			break;
		}
		/* stream: 0 is the end; datagrams: 0 is an empty message, or the
		 * end once the peer is gone (then empty messages are lost) */
		if (got == 0 && (type == SOCK_STREAM || rcv_shut))
			break;
		if (mh.msg_flags & MSG_CTRUNC)
			*fds = 1;
		if (mh.msg_flags & MSG_TRUNC) {
			rc = -E2BIG;
			break;
		}
		m.len = (uint32_t)got;
		memcpy(out + used, &m, sizeof(m));
		used += sizeof(m) + (size_t)got;
		(*n)++;
	}
	setopt_int(fd, SOL_SOCKET, SO_PEEK_OFF, off);
	for (int i = 0; i < 3; i++)
		if (was[i])
			setopt_int(fd, SOL_SOCKET, pass_opts[i], was[i]);
	*len = used;
	return rc;
}

/* The listener of the program (its first fd) on which client `ino` waits
 * to be accepted, or -1. */
static int waiting_on(const struct fd_save *s, uint32_t ino)
{
	const struct fd_table *t = s->all;

	for (int i = 0; i < t->n; i++) {
		const struct fd_entry *x = &t->v[i];
		struct sockdiag_unix l;
		int acc = 0;
		if (x->kind != MTCP_FD_UNIX || x->same_as >= 0 || x->fd == s->e->fd ||
		    fd_sockopt_int(x->fd, SOL_SOCKET, SO_ACCEPTCONN, &acc) || !acc ||
		    sockdiag_unix_get((uint32_t)x->ino, &l))
			continue;
		for (uint32_t k = 0; k < l.nicons; k++)
			if (l.icons[k] == ino)
				return x->fd;
	}
	return -1;
}

/* The socket file with inode `ino` in directory `dir` (a program may
 * rename the file after bind: the JVM binds .java_pidN.tmp, then renames
 * it): its name into out, and its st_mode.  0 if found. */
static int find_in_dir(const char *dir, uint64_t ino, char *out, size_t outlen, uint32_t *mode)
{
	char buf[4096];
	long dfd = raw_syscall4(SYS_openat, AT_FDCWD, (long)dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC,
				0);
	int found = -1, entries = 0;

	if (dfd < 0)
		return -1;
	while (found && entries < 100000) {
		long got = raw_syscall3(SYS_getdents64, dfd, (long)buf, sizeof(buf));
		if (got <= 0)
			break;
		for (long off = 0; off < got && found; entries++) {
			uint64_t d_ino;
			unsigned short reclen;
			unsigned char type = (unsigned char)buf[off + 18];
			const char *name = buf + off + 19;
			struct stat st;
			memcpy(&d_ino, buf + off, sizeof(d_ino));
			memcpy(&reclen, buf + off + 16, sizeof(reclen));
			off += reclen;
			if (d_ino != ino || (type != DT_SOCK && type != DT_UNKNOWN))
				continue;
			if (raw_syscall4(SYS_newfstatat, dfd, (long)name, (long)&st,
					 AT_SYMLINK_NOFOLLOW) || !S_ISSOCK(st.st_mode) || st.st_ino != ino)
				continue;
			if ((size_t)snprintf(out, outlen, "%s/%s", dir, name) >= outlen)
				continue;
			*mode = st.st_mode & 07777;
			found = 0;
		}
	}
	raw_syscall1(SYS_close, dfd);
	return found;
}

/*
 * A path name: the name its socket file has now, and that file's mode.
 * The file may have been renamed since bind (the name sock_diag gives is
 * the one bound): then it is looked for in the same directory.  Unlinked
 * or replaced, nobody can reach the socket by a name: 1 (it comes back
 * unnamed).  0 otherwise (abstract, relative and unknown names kept).
 */
static int name_current(struct sockdiag_unix *d, uint32_t *mode)
{
	char path[sizeof(d->name) + 1], now[sizeof(d->name) + 1];
	char *slash;
	struct stat st;

	*mode = 0;
	if (!d->name_len || d->name[0] == '\0' || d->name[0] != '/' || !d->has_vfs)
		return 0; /* abstract, relative (the cwd may have changed), unknown */
	memcpy(path, d->name, d->name_len);
	path[d->name_len] = '\0';
	if (!raw_syscall4(SYS_newfstatat, AT_FDCWD, (long)path, (long)&st, AT_SYMLINK_NOFOLLOW) &&
	    st.st_ino == d->vfs_ino && S_ISSOCK(st.st_mode)) {
		*mode = st.st_mode & 07777;
		return 0;
	}
	slash = strrchr(path, '/');
	if (slash == path)
		slash[1] = '\0';
	else
		*slash = '\0';
	if (find_in_dir(path, d->vfs_ino, now, sizeof(now), mode))
		return 1;
	d->name_len = (uint32_t)strlen(now);
	memcpy(d->name, now, d->name_len);
	return 0;
}

int fdk_unix_save(struct fd_save *s)
{
	struct engine *e = &mtcp_engine;
	char *buf = e->scratch + SCRATCH_FD_DATA_OFF;
	const size_t cap = SCRATCH_FD_DATA_LEN < MTCP_MAX_OBJ_PAYLOAD - 4096
				   ? SCRATCH_FD_DATA_LEN
				   : MTCP_MAX_OBJ_PAYLOAD - 4096;
	struct mtcp_rec_unix r;
	struct sockdiag_unix d;
	char what[160], peer_name[160];
	int fd = s->e->fd, type = 0, v = 0, drc, restorable = 0, fds = 0, off = -1;

	memset(&r, 0, sizeof(r));
	r.ino = s->e->ino;
	r.peer_fd = -1;
	fd_sockopt_int(fd, SOL_SOCKET, SO_TYPE, &type);
	if (type != SOCK_STREAM && type != SOCK_DGRAM && type != SOCK_SEQPACKET)
		return fd_save_unsupported(s, "a unix socket of an unknown type");
	r.type = (uint32_t)type;
	fd_sockopt_int(fd, SOL_SOCKET, SO_SNDBUF, &r.sndbuf);
	fd_sockopt_int(fd, SOL_SOCKET, SO_RCVBUF, &r.rcvbuf);
	if (!fd_sockopt_int(fd, SOL_SOCKET, SO_PASSCRED, &v) && v)
		r.flags |= MTCP_UNIXF_PASSCRED;

	drc = sockdiag_unix_get((uint32_t)s->e->ino, &d);
	if (drc) {
		/* no sock_diag (CONFIG_UNIX_DIAG off): what getsockopt and
		 * getsockname say; a connection's peer is unknown */
		struct sockaddr_un a;
		socklen_t al = sizeof(a);
		int acc = 0;
		memset(&d, 0, sizeof(d));
		d.ino = (uint32_t)s->e->ino;
		if (!raw_syscall3(SYS_getsockname, fd, (long)&a, (long)&al) &&
		    al > offsetof(struct sockaddr_un, sun_path)) {
			d.name_len = (uint32_t)(al - offsetof(struct sockaddr_un, sun_path));
			memcpy(d.name, a.sun_path, d.name_len);
		}
		if (!fd_sockopt_int(fd, SOL_SOCKET, SO_ACCEPTCONN, &acc) && acc) {
			d.state = TCP_LISTEN_STATE;
			d.wqueue = 128;
		}
		al = sizeof(a);
		if (!acc && !raw_syscall3(SYS_getpeername, fd, (long)&a, (long)&al))
			d.has_peer = 1; /* peer_ino 0: unknown, so CLOSED */
	}
	/* a path name comes with its NUL */
	if (d.name_len && d.name[0] && d.name[d.name_len - 1] == '\0')
		d.name_len = (uint32_t)strnlen(d.name, d.name_len);
	if (name_current(&d, &r.mode))
		d.name_len = 0; /* unreachable by name: comes back unnamed */
	r.shutdown = d.shutdown & 3u;
	sock_unix_name_text(d.name, d.name_len, what, sizeof(what));

	if (d.state == TCP_LISTEN_STATE) {
		uint32_t outside = 0;
		r.state = MTCP_UNIX_LISTEN;
		r.backlog = d.wqueue;
		for (uint32_t k = 0; k < d.nicons; k++)
			if (!fd_find_ino(s->all, s->e->dev, d.icons[k], -1))
				outside++;
		if (outside)
			degraded_add(fd, s->e->ino, "fd %d (unix %s socket listening on %s): %u "
				     "connection%s from outside the process not accepted yet %s lost",
				     fd, sock_type_name(type), what, outside, outside == 1 ? "" : "s",
				     outside == 1 ? "is" : "are");
	} else if (d.has_peer && d.peer_ino &&
		   fd_find_ino(s->all, s->e->dev, d.peer_ino, -1)) {
		const struct fd_entry *p = fd_find_ino(s->all, s->e->dev, d.peer_ino, -1);
		struct sockdiag_unix pd;
		r.state = MTCP_UNIX_CONNECTED;
		r.peer_ino = d.peer_ino;
		r.peer_fd = p->fd;
		if (type != SOCK_DGRAM)
			restorable = 1;
		else if (!sockdiag_unix_get(d.peer_ino, &pd) && pd.has_peer &&
			 pd.peer_ino == d.ino)
			restorable = 1; /* both ways: a pair */
		else
			restorable = d.name_len > 0; /* one way: sent to its name */
	} else if (d.has_peer && !d.peer_ino && type != SOCK_DGRAM &&
		   (r.peer_fd = waiting_on(s, d.ino)) >= 0) {
		/* its connection waits in a listener of the program: connected
		 * again to it at restart; what it sent is in the waiting
		 * connection, which has no fd to read it through */
		int outq = 0;
		r.state = MTCP_UNIX_CONNECTED;
		if (!raw_syscall3(SYS_ioctl, fd, SIOCOUTQ, (long)&outq) && outq > 0)
			degraded_add(fd, s->e->ino, "fd %d (unix %s socket): what it sent on its "
				     "connection not yet accepted by fd %d is lost", fd,
				     sock_type_name(type), r.peer_fd);
	} else if (d.has_peer) {
		struct sockaddr_un a;
		socklen_t al = sizeof(a);
		r.state = MTCP_UNIX_CLOSED;
		r.peer_ino = d.peer_ino;
		restorable = 1;
		if (!raw_syscall3(SYS_getpeername, fd, (long)&a, (long)&al) &&
		    al > offsetof(struct sockaddr_un, sun_path)) {
			uint32_t pl = (uint32_t)(al - offsetof(struct sockaddr_un, sun_path));
			if (a.sun_path[0])
				pl = (uint32_t)strnlen(a.sun_path, pl);
			sock_unix_name_text(a.sun_path, pl, peer_name, sizeof(peer_name));
		} else {
			peer_name[0] = '\0';
		}
		if (fd > 2) /* 0-2 become mtcp_restart's: nothing lost */
			degraded_add(fd, s->e->ino, "fd %d (unix %s socket connected to %s%s%s) "
				     "comes back as a connection closed by its peer", fd,
				     sock_type_name(type), peer_name[0] ? peer_name : "a socket",
				     peer_name[0] ? ", " : " ",
				     d.peer_ino ? "outside the process" : "that is gone");
	} else {
		r.state = MTCP_UNIX_UNCONNECTED;
		restorable = type != SOCK_STREAM && d.name_len > 0;
	}

	memcpy(buf, d.name, d.name_len);
	r.name_len = d.name_len;
	if (r.state != MTCP_UNIX_LISTEN && !(r.state == MTCP_UNIX_UNCONNECTED && type == SOCK_STREAM) &&
	    !(fd <= 2 && r.state == MTCP_UNIX_CLOSED)) {
		uint32_t nq = 0;
		uint64_t ql = 0;
		int prc;
		fd_sockopt_int(fd, SOL_SOCKET, SO_PEEK_OFF, &off);
		prc = peek_queue(fd, type, d.shutdown & 1, buf + r.name_len, cap - r.name_len, &nq,
				 &ql, &fds);
		if (off >= 0)
			degraded_add(fd, s->e->ino, "fd %d (unix %s socket): the program's peek "
				     "offset (SO_PEEK_OFF %d) is not kept", fd, sock_type_name(type), off);
		if (prc || (nq && !restorable)) {
			r.flags |= MTCP_UNIXF_QUEUE_LOST;
			degraded_add(fd, s->e->ino, "fd %d (unix %s socket): the messages queued on "
				     "it are lost (%s)", fd, sock_type_name(type),
				     prc == -E2BIG ? "too large to save"
				     : prc ? strerror(-prc) : "no name to send them to at restart");
		} else {
			r.nqueued = nq;
			r.queue_len = ql;
			if (fds) {
				r.flags |= MTCP_UNIXF_FDS_LOST;
				degraded_add(fd, s->e->ino, "fd %d (unix %s socket): descriptors "
					     "queued on it (SCM_RIGHTS) are lost; the bytes are kept",
					     fd, sock_type_name(type));
			}
		}
	}
	if (r.state != MTCP_UNIX_CLOSED)
		fd_note_unsaved_sockopts(s);
	return fd_emit(s, s->link, MTCP_REC_UNIX, &r, sizeof(r), buf,
		       (size_t)r.name_len + (size_t)r.queue_len);
}
