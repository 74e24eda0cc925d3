/* SPDX-License-Identifier: MIT */
/* sink.c - the image's writes, through io_uring or pwrite (see sink.h). */
#include "sink.h"
#include "io_all.h"
#include "syscall.h"

#include <errno.h>
#include <string.h>
#include <sys/syscall.h>

/* A write done synchronously; O_DIRECT refused falls back to the page cache. */
static int write_sync(struct sink *s, int direct, const void *buf, uint64_t len, uint64_t off)
{
	int rc;

	if (direct && s->dfd >= 0) {
		rc = io_pwrite_all(s->dfd, buf, len, off);
		if (rc != -EINVAL)
			return rc;
		s->dfd = -1;
	}
	return io_pwrite_all(s->fd, buf, len, off);
}

static void fail(struct sink *s, int rc)
{
	if (rc && !s->err)
		s->err = rc;
}

void sink_open(struct sink *s, int fd, int dfd, int want_uring, const struct iovec *bufs,
	       int nbufs, int32_t *slot_inflight)
{
	memset(s, 0, sizeof(*s));
	s->fd = fd;
	s->dfd = dfd;
	s->slot_inflight = slot_inflight;
	s->bufs = bufs;
	s->nbufs = nbufs;
	for (int i = 0; i < SINK_DEPTH; i++)
		s->free_ids[i] = i;
	s->nfree = SINK_DEPTH;
	if (!want_uring)
		return;
	s->uring_err = io_uring_queue_init(SINK_DEPTH, &s->ring, 0); /* 0 or -errno */
	if (s->uring_err)
		return;
	s->uring = 1;
	/* registered buffers spare the kernel a page walk per write; they are
	 * charged to RLIMIT_MEMLOCK, and optional */
	if (nbufs && io_uring_register_buffers(&s->ring, bufs, (unsigned)nbufs) == 0)
		s->fixed = 1;
}

static int buf_index(const struct sink *s, const void *buf, size_t len)
{
	const char *b = buf;

	for (int i = 0; i < s->nbufs; i++) {
		const char *base = s->bufs[i].iov_base;
		if (b >= base && b + len <= base + s->bufs[i].iov_len)
			return i;
	}
	return -1;
}

static void complete(struct sink *s, int id, int res)
{
	struct sink_req *r = &s->reqs[id];

	if (res < 0 && res == -EINVAL && r->direct) {
		/* O_DIRECT refused here: this one and the rest via the page cache */
		s->dfd = -1;
		fail(s, io_pwrite_all(s->fd, r->buf, r->len, r->off));
	} else if (res == -ECANCELED || res == -EAGAIN) {
		/* the ring could not run it: a buffered write waits for an
		 * io-wq worker, and the kernel cannot make one when the user's
		 * RLIMIT_NPROC is reached.  This one and the rest plainly. */
		s->sync_only = 1;
		fail(s, write_sync(s, r->direct, r->buf, r->len, r->off));
	} else if (res < 0) {
		fail(s, res);
	} else if ((uint64_t)res < r->len) {
		/* a short write: the rest, synchronously */
		fail(s, write_sync(s, r->direct, (const char *)r->buf + res, r->len - (uint64_t)res,
				   r->off + (uint64_t)res));
	}
	if (r->slot >= 0)
		s->slot_inflight[r->slot]--;
	s->free_ids[s->nfree++] = id;
	s->inflight--;
}

int sink_reap(struct sink *s, int wait)
{
	struct io_uring_cqe *cqe;

	if (!s->uring || !s->inflight)
		return s->err;
	if (wait) {
		int rc;
		do
			rc = io_uring_wait_cqe(&s->ring, &cqe);
		while (rc == -EINTR);
		if (rc < 0) {
			fail(s, rc);
			return s->err;
		}
	}
	while (io_uring_peek_cqe(&s->ring, &cqe) == 0) {
		int id = (int)io_uring_cqe_get_data64(cqe);
		int res = cqe->res;
		io_uring_cqe_seen(&s->ring, cqe);
		complete(s, id, res);
	}
	return s->err;
}

int sink_submit(struct sink *s)
{
	if (s->uring && io_uring_sq_ready(&s->ring)) {
		int rc;
		do
			rc = io_uring_submit(&s->ring);
		while (rc == -EINTR);
		if (rc < 0)
			fail(s, rc);
	}
	return s->err;
}

int sink_write(struct sink *s, int direct, const void *buf, size_t len, uint64_t off, int slot)
{
	struct io_uring_sqe *sqe;
	int id, idx, fd;

	if (s->err)
		return s->err;
	if (!len)
		return 0;
	s->bytes += len;
	if (!s->uring || s->sync_only) {
		fail(s, write_sync(s, direct, buf, len, off));
		return s->err;
	}
	while (!s->nfree || !(sqe = io_uring_get_sqe(&s->ring))) {
		sink_submit(s);
		if (sink_reap(s, 1))
			return s->err;
	}
	/* after the reaps above: one of them may have turned O_DIRECT off */
	direct = direct && s->dfd >= 0;
	id = s->free_ids[--s->nfree];
	s->reqs[id] = (struct sink_req){ buf, len, off, direct, slot };
	fd = direct ? s->dfd : s->fd;
	idx = s->fixed ? buf_index(s, buf, len) : -1;
	if (idx >= 0)
		io_uring_prep_write_fixed(sqe, fd, buf, (unsigned)len, off, idx);
	else
		io_uring_prep_write(sqe, fd, buf, (unsigned)len, off);
	io_uring_sqe_set_data64(sqe, (uint64_t)id);
	if (slot >= 0)
		s->slot_inflight[slot]++;
	s->inflight++;
	return 0;
}

int sink_drain(struct sink *s)
{
	sink_submit(s);
	/* every write the kernel has is waited for, even after an error: the
	 * buffers must not be reused while it may still read them.  Entries a
	 * failed submit left in the ring never reached it. */
	while (s->uring && s->inflight > (int)io_uring_sq_ready(&s->ring)) {
		int before = s->inflight;
		sink_reap(s, 1);
		if (s->inflight == before)
			break; /* the ring itself failed */
	}
	return s->err;
}

int sink_close(struct sink *s)
{
	int rc = sink_drain(s);

	if (s->uring) {
		io_uring_queue_exit(&s->ring);
		s->uring = 0;
	}
	return rc;
}

int sink_mappings(const struct sink *s, uint64_t (*ranges)[2])
{
	int n = 0;

	if (!s->uring)
		return 0;
	ranges[n][0] = (uint64_t)(uintptr_t)s->ring.sq.ring_ptr;
	ranges[n++][1] = (uint64_t)(uintptr_t)s->ring.sq.ring_ptr + s->ring.sq.ring_sz;
	if (s->ring.cq.ring_ptr != s->ring.sq.ring_ptr) {
		ranges[n][0] = (uint64_t)(uintptr_t)s->ring.cq.ring_ptr;
		ranges[n++][1] = (uint64_t)(uintptr_t)s->ring.cq.ring_ptr + s->ring.cq.ring_sz;
	}
	ranges[n][0] = (uint64_t)(uintptr_t)s->ring.sq.sqes;
	ranges[n++][1] = (uint64_t)(uintptr_t)s->ring.sq.sqes +
			 s->ring.sq.ring_entries * sizeof(struct io_uring_sqe);
	return n;
}
