/* SPDX-License-Identifier: MIT */
/*
 * uring_read.c - the restorer's fast path for raw extents: O_DIRECT reads
 * straight into place, several in flight through an io_uring set up with
 * raw system calls, each extent's checksum checked as it completes.
 *
 * One synchronous O_DIRECT read at a time leaves the disk idle while the
 * restorer faults in memory and checks sums; buffered reads keep the disk
 * busy through readahead, but cost a second copy of the image in fresh
 * page-cache memory.  Here the disk is kept busy and memory is touched
 * once.  Anything this path does not do (no io_uring, no O_DIRECT, an LZ4
 * extent, an unaligned one, a short read) is left to fill_extents().
 */
#ifndef MTCP_NOLIBC
#error "restorer code is built only without libc"
#endif

#include "uring_read.h"
#include "crc32c.h"
#include "log.h"
#include "sys.h"

#include <linux/io_uring.h>

void *memset(void *dst, int c, size_t n); /* mem.c */

#define QD 8u              /* reads in flight */
#define PROT_RW 3          /* PROT_READ | PROT_WRITE */
#define MAP_SHARED_POPULATE 0x8001 /* MAP_SHARED | MAP_POPULATE */

struct ring {
	int fd;
	uint32_t *sq_tail, *sq_mask, *sq_array;
	uint32_t *cq_head, *cq_tail, *cq_mask;
	struct io_uring_sqe *sqes;
	struct io_uring_cqe *cqes;
	uint64_t sq_ptr, sq_len, cq_ptr, cq_len, sqe_ptr, sqe_len;
};

static void ring_free(struct ring *r)
{
	if (r->sqe_ptr)
		sys_munmap(r->sqe_ptr, r->sqe_len);
	if (r->cq_ptr && r->cq_ptr != r->sq_ptr)
		sys_munmap(r->cq_ptr, r->cq_len);
	if (r->sq_ptr)
		sys_munmap(r->sq_ptr, r->sq_len);
	sys_close(r->fd);
}

static int ring_setup(struct ring *r)
{
	struct io_uring_params p;
	long fd, m;

	memset(r, 0, sizeof(*r));
	memset(&p, 0, sizeof(p));
	fd = raw_syscall2(__NR_io_uring_setup, QD, (long)&p);
	if (fd < 0)
		return -1;
	r->fd = (int)fd;
	r->sq_len = p.sq_off.array + p.sq_entries * sizeof(uint32_t);
	r->cq_len = p.cq_off.cqes + p.cq_entries * sizeof(struct io_uring_cqe);
	if (p.features & IORING_FEAT_SINGLE_MMAP) {
		if (r->cq_len > r->sq_len)
			r->sq_len = r->cq_len;
		r->cq_len = r->sq_len;
	}
	m = sys_mmap(0, r->sq_len, PROT_RW, MAP_SHARED_POPULATE, r->fd, IORING_OFF_SQ_RING);
	if (m < 0)
		goto fail;
	r->sq_ptr = (uint64_t)m;
	if (p.features & IORING_FEAT_SINGLE_MMAP) {
		r->cq_ptr = r->sq_ptr;
	} else {
		m = sys_mmap(0, r->cq_len, PROT_RW, MAP_SHARED_POPULATE, r->fd, IORING_OFF_CQ_RING);
		if (m < 0)
			goto fail;
		r->cq_ptr = (uint64_t)m;
	}
	r->sqe_len = p.sq_entries * sizeof(struct io_uring_sqe);
	m = sys_mmap(0, r->sqe_len, PROT_RW, MAP_SHARED_POPULATE, r->fd, IORING_OFF_SQES);
	if (m < 0)
		goto fail;
	r->sqe_ptr = (uint64_t)m;
	r->sqes = (struct io_uring_sqe *)r->sqe_ptr;
	r->sq_tail = (uint32_t *)(r->sq_ptr + p.sq_off.tail);
	r->sq_mask = (uint32_t *)(r->sq_ptr + p.sq_off.ring_mask);
	r->sq_array = (uint32_t *)(r->sq_ptr + p.sq_off.array);
	r->cq_head = (uint32_t *)(r->cq_ptr + p.cq_off.head);
	r->cq_tail = (uint32_t *)(r->cq_ptr + p.cq_off.tail);
	r->cq_mask = (uint32_t *)(r->cq_ptr + p.cq_off.ring_mask);
	r->cqes = (struct io_uring_cqe *)(r->cq_ptr + p.cq_off.cqes);
	return 0;
fail:
	ring_free(r);
	return -1;
}

static int submit_read(struct ring *r, int fd, struct rst_extent *x, uint32_t i)
{
	uint32_t tail = *r->sq_tail, idx = tail & *r->sq_mask;
	struct io_uring_sqe *sqe = &r->sqes[idx];

	memset(sqe, 0, sizeof(*sqe));
	sqe->opcode = IORING_OP_READ;
	/* issued from io_uring's worker threads: faulting in (zeroing) the
	 * destination pages then runs on another core while this thread
	 * checks the sums of the reads already done */
	sqe->flags = IOSQE_ASYNC;
	sqe->fd = fd;
	sqe->addr = x->addr;
	sqe->len = (uint32_t)x->len;
	sqe->off = x->file_off;
	sqe->user_data = i;
	r->sq_array[idx] = idx;
	__atomic_store_n(r->sq_tail, tail + 1, __ATOMIC_RELEASE);
	return raw_syscall6(__NR_io_uring_enter, r->fd, 1, 0, 0, 0, 0) == 1 ? 0 : -1;
}

int rst_uring_fill(struct rst_args *a)
{
	struct ring r;
	uint32_t next = 0, inflight = 0;
	int usable = 0;

	for (uint32_t k = 0; k < a->nimages; k++)
		usable |= a->image_dfds[k] >= 0;
	if (!usable || ring_setup(&r))
		return -1;
	while (next < a->nextents || inflight) {
		while (usable && inflight < QD && next < a->nextents) {
			struct rst_extent *x = &a->extents[next];
			/* whole raw extents of any image of the chain; a part of
			 * one goes through scratch (fill_extents) */
			if (x->enc == MTCP_EXT_RAW && !(x->file_off & 4095) && !(x->len & 4095) &&
			    !x->part_end && x->img < a->nimages && a->image_dfds[x->img] >= 0) {
				if (submit_read(&r, a->image_dfds[x->img], x, next)) {
					usable = 0; /* the rest the plain way */
					break;
				}
				inflight++;
			}
			next++;
		}
		if (!inflight)
			break;
		raw_syscall6(__NR_io_uring_enter, r.fd, 0, 1, IORING_ENTER_GETEVENTS, 0, 0);
		uint32_t head = *r.cq_head, tail = __atomic_load_n(r.cq_tail, __ATOMIC_ACQUIRE);
		for (; head != tail; head++) {
			struct io_uring_cqe *c = &r.cqes[head & *r.cq_mask];
			struct rst_extent *x = &a->extents[c->user_data];
			if (c->res == (int32_t)x->len) {
				if (crc32c(0, (const void *)x->addr, x->len) != x->crc)
					rst_die(a, "image is corrupt: checksum mismatch in memory data",
						x->addr, 0);
				x->pad = 1; /* done */
			} else if (c->res == -22 /* EINVAL */) {
				usable = 0; /* O_DIRECT refused: fill_extents reads it */
			}
			inflight--;
		}
		__atomic_store_n(r.cq_head, head, __ATOMIC_RELEASE);
	}
	ring_free(&r);
	return 0;
}
