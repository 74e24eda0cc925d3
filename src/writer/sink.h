/* SPDX-License-Identifier: MIT */
/*
 * sink.h - where the image's bytes go: writes at explicit file offsets,
 * several in flight through io_uring, or one after the other with
 * pwrite() where io_uring is unavailable (kernel.io_uring_disabled,
 * seccomp, or forced with MTCP_WRITE=plain).  Both paths take the same
 * calls, so the rest of the writer does not know which one runs.
 *
 * A write is "direct" when it goes through the image opened with O_DIRECT:
 * page-aligned memory, offset and length.  If the file system refuses it
 * (EINVAL), that write and every later one goes through the page cache.
 *
 * Writes name the slot whose buffer they come from (or -1): slot_inflight
 * [slot] counts that slot's writes not yet completed, so the caller knows
 * when a buffer may be reused.  The first error is kept and returned by
 * every later call.
 */
#ifndef MTCP_SINK_H
#define MTCP_SINK_H

#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>
#include <liburing.h>

#define SINK_DEPTH 64

struct sink_req {
	const void *buf;
	uint64_t len, off;
	int32_t direct, slot;
};

struct sink {
	int fd, dfd;         /* buffered and O_DIRECT descriptors (dfd -1: none) */
	int uring;           /* 1: io_uring is used */
	int uring_err;       /* -errno of io_uring's setup when it was wanted
	                        and refused (mtcp_check says why), else 0 */
	int sync_only;       /* 1: the ring could not run a request (its kernel
	                        worker could not be made): the rest is written
	                        plainly */
	int fixed;           /* 1: the slot buffers are registered with the ring */
	int err;             /* first error, -errno */
	int inflight;
	int32_t *slot_inflight;
	const struct iovec *bufs;
	int nbufs;
	uint64_t bytes;      /* bytes written */
	struct io_uring ring;
	struct sink_req reqs[SINK_DEPTH];
	int free_ids[SINK_DEPTH], nfree;
};

/*
 * want_uring 0 forces plain writes.  bufs (nbufs, may be 0) are registered
 * with the ring where the kernel and RLIMIT_MEMLOCK allow.  Never fails:
 * without io_uring it writes plainly.
 */
void sink_open(struct sink *s, int fd, int dfd, int want_uring, const struct iovec *bufs,
	       int nbufs, int32_t *slot_inflight);
/* Queues (or, plainly, does) a write of len bytes from buf at off. */
int sink_write(struct sink *s, int direct, const void *buf, size_t len, uint64_t off, int slot);
/* Hands queued writes to the kernel (io_uring); no-op when plain. */
int sink_submit(struct sink *s);
/* Reaps completions; with wait, blocks until at least one. */
int sink_reap(struct sink *s, int wait);
/* Waits for every write; returns the first error or 0. */
int sink_drain(struct sink *s);
/* Drains and frees the ring. */
int sink_close(struct sink *s);
/* The ring's own mappings, which are never saved: returns how many (<= 3). */
int sink_mappings(const struct sink *s, uint64_t (*ranges)[2]);

#endif
