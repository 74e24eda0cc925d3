/* SPDX-License-Identifier: MIT */
/*
 * fd_pipe.c - save half of pipes and FIFOs: one PIPE record per open file
 * description of an end (docs/format.md, "PIPE").  The ends of one pipe
 * share its inode, so the table of all fds says which ends the process
 * holds; the first read end's record also carries the bytes in flight,
 * copied without consuming them: tee() into a scratch pipe of the same
 * size, then read from there.  The program is parked: raw system calls,
 * the buffer is the scratch piece SCRATCH_FD_DATA.
 */
#include "engine.h"
#include "fd_save.h"
#include "syscall.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>

#ifndef F_GETPIPE_SZ
#define F_SETPIPE_SZ 1031
#define F_GETPIPE_SZ 1032
#endif
#ifndef SPLICE_F_NONBLOCK
#define SPLICE_F_NONBLOCK 2
#endif
#define PIPE_PACKET 4096 /* PIPE_BUF: the packets a packet-mode writer makes */

static int reads(uint32_t open_flags)
{
	return (open_flags & O_ACCMODE) != O_WRONLY;
}

static int writes(uint32_t open_flags)
{
	return (open_flags & O_ACCMODE) != O_RDONLY;
}

/* What the process holds of the pipe of entry e. */
struct pipe_ends {
	int has_reader, has_writer;
	int first_reader;   /* fd of the first read end's description, -1: none */
};

static void find_ends(const struct fd_table *t, const struct fd_entry *e, struct pipe_ends *p)
{
	p->has_reader = p->has_writer = 0;
	p->first_reader = -1;
	for (int i = 0; i < t->n; i++) {
		const struct fd_entry *x = &t->v[i];
		if (x->ino != e->ino || x->dev != e->dev)
			continue;
		if (reads(x->open_flags)) {
			p->has_reader = 1;
			if (p->first_reader < 0 && x->same_as < 0)
				p->first_reader = x->fd;
		}
		if (writes(x->open_flags))
			p->has_writer = 1;
	}
}

/*
 * The bytes in the pipe of read end fd, up to `size` (the pipe's size),
 * into buf (cap bytes): their number, or -errno with *why naming the step.
 * *packets is set when they were written in packets (a packet-mode
 * writer, O_DIRECT), *odd_packets when some packet but the last is not
 * PIPE_PACKET bytes long: a restart writes them back in such packets.
 */
static long copy_in_flight(int fd, uint32_t size, char *buf, size_t cap, const char **why,
			   int *packets, int *odd_packets)
{
	int sp[2];
	long n = 0, rc;
	size_t got = 0;

	*packets = *odd_packets = 0;
	*why = "a scratch pipe";
	rc = raw_syscall2(SYS_pipe2, (long)sp, O_CLOEXEC | O_NONBLOCK);
	if (rc < 0)
		return rc;
	*why = "sizing a scratch pipe";
	rc = raw_syscall3(SYS_fcntl, sp[1], F_SETPIPE_SZ, size);
	if (rc >= 0) {
		/* the same number of slots: tee() copies buffers, not bytes */
		*why = "tee";
		n = raw_syscall4(SYS_tee, fd, sp[1], size, SPLICE_F_NONBLOCK);
		if (n == -EAGAIN)
			n = 0; /* empty, and writers remain */
		rc = n;
		if (n > 0 && (size_t)n > cap) {
			*why = "more bytes than the scratch area holds";
			rc = -EFBIG;
		}
	}
	while (rc > 0 && got < (size_t)n) {
		long r = raw_syscall3(SYS_read, sp[0], (long)(buf + got), (long)((size_t)n - got));
		if (r == -EINTR)
			continue;
		if (r <= 0) {
			*why = "reading a scratch pipe";
			rc = r < 0 ? r : -EIO;
			break;
		}
		/* a packet-mode buffer is read alone: a short read, more left */
		if (got + (size_t)r < (size_t)n) {
			*packets = 1;
			if (r != PIPE_PACKET)
				*odd_packets = 1;
		}
		got += (size_t)r;
	}
	raw_syscall1(SYS_close, sp[0]);
	raw_syscall1(SYS_close, sp[1]);
	return rc < 0 ? rc : (long)got;
}

int fdk_pipe_save(struct fd_save *s)
{
	static const char del[] = " (deleted)";
	struct engine *e = &mtcp_engine;
	char *buf = e->scratch + SCRATCH_FD_DATA_OFF;
	size_t cap = SCRATCH_FD_DATA_LEN;
	struct mtcp_rec_pipe r;
	struct pipe_ends p;
	const char *what = s->rec.kind == MTCP_FD_FIFO ? "FIFO" : "pipe";
	int fd = s->e->fd, outside;
	size_t ll = strlen(s->link);
	long n;

	if (cap > MTCP_MAX_OBJ_PAYLOAD - sizeof(r))
		cap = MTCP_MAX_OBJ_PAYLOAD - sizeof(r);
	/* a FIFO removed from its directory is a pipe by now: nothing can
	 * open it by name any more, and a restart must not make the name */
	if (s->rec.kind == MTCP_FD_FIFO && ll > sizeof(del) - 1 &&
	    !strcmp(s->link + ll - (sizeof(del) - 1), del))
		s->rec.kind = MTCP_FD_PIPE;

	memset(&r, 0, sizeof(r));
	r.pipe_ino = s->e->ino;
	n = raw_syscall2(SYS_fcntl, fd, F_GETPIPE_SZ);
	r.pipe_size = n >= 4096 ? (uint32_t)n : 65536;
	find_ends(s->all, s->e, &p);
	if (!p.has_reader)
		r.flags |= MTCP_PIPEF_NO_READER;
	if (!p.has_writer)
		r.flags |= MTCP_PIPEF_NO_WRITER;
	/* an end the process lacks is outside it, or closed everywhere:
	 * then the kernel says so (POLLHUP: no writer; POLLERR: no reader) */
	outside = (!reads(s->e->open_flags) && !p.has_reader) ||
		  (!writes(s->e->open_flags) && !p.has_writer);
	if (outside) {
		struct pollfd pf = { fd, 0, 0 };
		short gone = reads(s->e->open_flags) ? POLLHUP : POLLERR;
		if (raw_syscall3(SYS_poll, (long)&pf, 1, 0) == 1 && (pf.revents & gone)) {
			r.flags |= MTCP_PIPEF_PEER_GONE;
			outside = 0;
		}
	}

	if (outside && fd <= 2 && s->rec.kind == MTCP_FD_PIPE) {
		/* the restored program gets mtcp_restart's own fd here: what is
		 * in flight stays in the pipe it came from */
	} else if (outside && s->rec.kind == MTCP_FD_PIPE) {
		degraded_add(fd, s->e->ino, "fd %d (%s): its other end is outside the process; "
			     "after a restart it %s; mtcp_restart --fd %d=PATH connects it to a "
			     "file instead", fd, s->link,
			     reads(s->e->open_flags) ? "reads what was in the pipe, then EOF"
						     : "gets EPIPE (SIGPIPE) on write", fd);
	} else if (outside && fd > 2) {
		degraded_add(fd, s->e->ino, "fd %d (FIFO %s): its other end is outside the "
			     "process; after a restart the FIFO is opened again by its path, and "
			     "the outside process must open it again too", fd, s->link);
	}

	if (p.first_reader == fd && !(outside && fd <= 2)) {
		const char *why;
		int packets, odd;
		n = copy_in_flight(fd, r.pipe_size, buf, cap, &why, &packets, &odd);
		if (n < 0) {
			r.flags |= MTCP_PIPEF_DATA_LOST;
			degraded_add(fd, s->e->ino, "fd %d (%s): the bytes in the %s cannot be "
				     "saved (%s: %s); after a restart it is empty", fd, s->link,
				     what, why, strerror((int)-n));
		} else {
			r.data_len = (uint64_t)n;
			if (packets)
				r.flags |= MTCP_PIPEF_PACKETS;
			if (odd)
				degraded_add(fd, s->e->ino, "fd %d (%s): the %ld bytes in the %s "
					     "were written in packets (O_DIRECT) of sizes a restart "
					     "cannot make again: they come back in packets of %d "
					     "bytes", fd, s->link, n, what, PIPE_PACKET);
		}
	}
	return fd_emit(s, s->link, MTCP_REC_PIPE, &r, sizeof(r), buf, (size_t)r.data_len);
}
