/* SPDX-License-Identifier: MIT */
/*
 * image_objects.c - the shape of the v4 kernel object records
 * (docs/format.md, "Kernel objects"): fixed part, counts, lengths and
 * reserved fields, checked before anything is built from them.  What the
 * values mean is for the restore half of each kind (src/restart/fdr_*.c).
 */
#include "image_reader.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define BAD(...)                                   \
	do {                                       \
		snprintf(err, errlen, __VA_ARGS__); \
		return -EINVAL;                    \
	} while (0)

uint32_t image_fd_object_type(uint32_t kind)
{
	switch (kind) {
	case MTCP_FD_PIPE:
	case MTCP_FD_FIFO: return MTCP_REC_PIPE;
	case MTCP_FD_EVENTFD: return MTCP_REC_EVENTFD;
	case MTCP_FD_EPOLL: return MTCP_REC_EPOLL;
	case MTCP_FD_TIMERFD: return MTCP_REC_TIMERFD;
	case MTCP_FD_SIGNALFD: return MTCP_REC_SIGNALFD;
	case MTCP_FD_UNIX: return MTCP_REC_UNIX;
	case MTCP_FD_SOCKET: return MTCP_REC_SOCKET;
	case MTCP_FD_INOTIFY: return MTCP_REC_INOTIFY;
	case MTCP_FD_MEMFD: return MTCP_REC_MEMFD;
	default: return 0;
	}
}

const char *image_fd_kind_name(uint32_t kind)
{
	static const char *const names[] = {
		[MTCP_FD_REGULAR] = "file", [MTCP_FD_DELETED] = "deleted file",
		[MTCP_FD_TTY] = "terminal", [MTCP_FD_DIR] = "directory",
		[MTCP_FD_DEVICE] = "device", [MTCP_FD_OTHER] = "unsupported",
		[MTCP_FD_PIPE] = "pipe", [MTCP_FD_FIFO] = "fifo",
		[MTCP_FD_EVENTFD] = "eventfd", [MTCP_FD_EPOLL] = "epoll",
		[MTCP_FD_TIMERFD] = "timerfd", [MTCP_FD_SIGNALFD] = "signalfd",
		[MTCP_FD_UNIX] = "unix socket", [MTCP_FD_SOCKET] = "socket",
		[MTCP_FD_INOTIFY] = "inotify", [MTCP_FD_MEMFD] = "memfd",
	};
	return kind < sizeof(names) / sizeof(names[0]) && names[kind] ? names[kind] : "?";
}

/* The n-th variable-length piece: len bytes at *pos, within total. */
static int take(uint64_t *pos, uint64_t len, uint64_t total)
{
	if (len > total - *pos)
		return -1;
	*pos += len;
	return 0;
}

int image_check_object(uint32_t type, const void *p, uint64_t len, uint32_t fd, char *err,
		       size_t errlen)
{
	const char *b = p;
	uint64_t pos = 0;

	switch (type) {
	case MTCP_REC_PIPE: {
		struct mtcp_rec_pipe r;
		if (len < sizeof(r))
			break;
		memcpy(&r, b, sizeof(r));
		if (len != sizeof(r) + r.data_len || r.pipe_size < 4096 ||
		    r.pipe_size > (1u << 30) || r.data_len > r.pipe_size || (r.flags & ~31u))
			BAD("corrupt: fd %u: bad PIPE record", fd);
		return 0;
	}
	case MTCP_REC_EVENTFD: {
		struct mtcp_rec_eventfd r;
		if (len != sizeof(r))
			break;
		memcpy(&r, b, sizeof(r));
		if (r.count == UINT64_MAX || (r.flags & ~MTCP_EVENTFD_SEMAPHORE) || r.reserved)
			BAD("corrupt: fd %u: bad EVENTFD record", fd);
		return 0;
	}
	case MTCP_REC_EPOLL: {
		struct mtcp_rec_epoll r;
		if (len < sizeof(r))
			break;
		memcpy(&r, b, sizeof(r));
		if (r.reserved || len != sizeof(r) + (uint64_t)r.nentries *
						       sizeof(struct mtcp_epoll_entry))
			BAD("corrupt: fd %u: bad EPOLL record", fd);
		for (uint32_t i = 0; i < r.nentries; i++) {
			struct mtcp_epoll_entry e;
			memcpy(&e, b + sizeof(r) + i * sizeof(e), sizeof(e));
			if (e.tfd < 0 || e.target_fd < -1 || e.reserved)
				BAD("corrupt: fd %u: bad EPOLL entry %u", fd, i);
		}
		return 0;
	}
	case MTCP_REC_TIMERFD: {
		struct mtcp_rec_timerfd r;
		if (len != sizeof(r))
			break;
		memcpy(&r, b, sizeof(r));
		if (r.clockid < 0 || r.clockid > 11 || (r.settime_flags & ~3u))
			BAD("corrupt: fd %u: bad TIMERFD record", fd);
		return 0;
	}
	case MTCP_REC_SIGNALFD:
		if (len != sizeof(struct mtcp_rec_signalfd))
			break;
		return 0;
	case MTCP_REC_UNIX: {
		struct mtcp_rec_unix r;
		if (len < sizeof(r))
			break;
		memcpy(&r, b, sizeof(r));
		pos = sizeof(r);
		if (r.state < MTCP_UNIX_UNCONNECTED || r.state > MTCP_UNIX_CLOSED ||
		    (r.type != 1 && r.type != 2 && r.type != 5) || r.name_len > 108 ||
		    r.peer_fd < -1 || (r.mode & ~07777u) || r.reserved || (r.flags & ~7u) || r.shutdown > 3 ||
		    take(&pos, r.name_len, len) || pos + r.queue_len != len)
			BAD("corrupt: fd %u: bad UNIX record", fd);
		for (uint32_t i = 0; i < r.nqueued; i++) {
			struct mtcp_unix_msg m;
			if (len - pos < sizeof(m))
				BAD("corrupt: fd %u: UNIX queue shorter than its %u messages", fd,
				    r.nqueued);
			memcpy(&m, b + pos, sizeof(m));
			pos += sizeof(m);
			if (m.reserved || take(&pos, m.len, len))
				BAD("corrupt: fd %u: bad UNIX queued message %u", fd, i);
		}
		if (pos != len)
			BAD("corrupt: fd %u: UNIX queue longer than its %u messages", fd, r.nqueued);
		return 0;
	}
	case MTCP_REC_SOCKET: {
		struct mtcp_rec_socket r;
		if (len < sizeof(r))
			break;
		memcpy(&r, b, sizeof(r));
		if (r.state < MTCP_SOCKET_LISTEN || r.state > MTCP_SOCKET_OTHER ||
		    r.name_len > 128 || len != sizeof(r) + r.name_len ||
		    (r.options & ~MTCP_SOCKOPT_ALL) || r.reserved)
			BAD("corrupt: fd %u: bad SOCKET record", fd);
		return 0;
	}
	case MTCP_REC_INOTIFY: {
		struct mtcp_rec_inotify r;
		if (len < sizeof(r))
			break;
		memcpy(&r, b, sizeof(r));
		pos = sizeof(r);
		if (r.reserved)
			BAD("corrupt: fd %u: bad INOTIFY record", fd);
		for (uint32_t i = 0; i < r.nwatches; i++) {
			struct mtcp_inotify_watch w;
			if (len - pos < sizeof(w))
				BAD("corrupt: fd %u: INOTIFY record shorter than its %u watches",
				    fd, r.nwatches);
			memcpy(&w, b + pos, sizeof(w));
			pos += sizeof(w);
			if (w.wd <= 0 || w.reserved || w.path_len == 0 ||
			    w.path_len > MTCP_MAX_PATH || take(&pos, w.path_len, len) ||
			    memchr(b + pos - w.path_len, '\0', w.path_len))
				BAD("corrupt: fd %u: bad INOTIFY watch %u", fd, i);
		}
		if (pos != len)
			BAD("corrupt: fd %u: INOTIFY record longer than its watches", fd);
		return 0;
	}
	case MTCP_REC_MEMFD: {
		struct mtcp_rec_memfd r;
		if (len < sizeof(r))
			break;
		memcpy(&r, b, sizeof(r));
		if (r.name_len > 249 || len != sizeof(r) + r.name_len ||
		    memchr(b + sizeof(r), '\0', r.name_len))
			BAD("corrupt: fd %u: bad MEMFD record", fd);
		return 0;
	}
	default:
		BAD("corrupt: fd %u: unknown object record type %u", fd, type);
	}
	BAD("corrupt: fd %u: object record of type %u has %llu bytes", fd, type,
	    (unsigned long long)len);
}
