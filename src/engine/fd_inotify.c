/* SPDX-License-Identifier: MIT */
/*
 * fd_inotify.c - save half of inotify fds: an INOTIFY record with one
 * entry per watch (docs/format.md, "INOTIFY"), and the table of watched
 * paths it needs.
 *
 * /proc/self/fdinfo/N of an inotify fd has one line per watch:
 *
 *   inotify wd:1 ino:7a2 sdev:800001 mask:fce ignored_mask:0 fhandle-bytes:...
 *
 * (numbers in hex): the watched inode, not its path.  Opening by handle
 * needs CAP_DAC_READ_SEARCH, so the library records the path instead:
 * inotify_add_watch() is interposed (interpose.c) and each watch's
 * absolute path kept here, per (fd, wd), with the inode it named then.
 * At the checkpoint each fdinfo watch is paired with its recorded path by
 * wd and inode (the fd number may have changed through dup + close).
 *
 * The table is library memory with a fixed size (no malloc on the parked
 * path); it is saved and restored with the program, and stays right
 * because a restart keeps the fd and wd numbers.  A slot is written by
 * one program thread at a time (claimed with a compare-and-swap) and is
 * read by the checkpoint only when published: a thread parked in the
 * middle of an update leaves its watch unrecorded (a degraded note).
 */
#include "engine.h"
#include "fd_save.h"
#include "syscall.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>

#define WATCH_SLOTS 1024
#define WATCH_PATH 1024

enum { W_FREE = 0, W_BUSY = 1, W_READY = 2 };

struct watch_slot {
	int state;            /* W_*, changed atomically */
	int fd, wd;
	uint32_t flags;       /* IN_DONT_FOLLOW, IN_ONLYDIR as asked */
	uint64_t ino, dev;    /* what the path named when the watch was added */
	char path[WATCH_PATH];
};

static struct watch_slot watches[WATCH_SLOTS];

static int claim(struct watch_slot *w, int from)
{
	int expect = from;
	return __atomic_compare_exchange_n(&w->state, &expect, W_BUSY, 0, __ATOMIC_ACQUIRE,
					   __ATOMIC_RELAXED);
}

static void publish(struct watch_slot *w, int state)
{
	__atomic_store_n(&w->state, state, __ATOMIC_RELEASE);
}

void inotify_note_rm(int fd, int wd)
{
	for (int i = 0; i < WATCH_SLOTS; i++) {
		struct watch_slot *w = &watches[i];
		if (__atomic_load_n(&w->state, __ATOMIC_ACQUIRE) == W_READY && w->fd == fd &&
		    w->wd == wd && claim(w, W_READY))
			publish(w, W_FREE);
	}
}

void inotify_note_add(int fd, int wd, const char *path, uint32_t mask)
{
	char abs[WATCH_PATH];
	struct stat st;
	size_t n = 0, pl = strlen(path);
	struct watch_slot *w = NULL;

	/* an earlier watch of (fd, wd) is replaced: the same inode again, or
	 * a new inotify fd on the same number */
	inotify_note_rm(fd, wd);
	if (path[0] != '/') {
		long got = raw_syscall2(SYS_getcwd, (long)abs, sizeof(abs));
		if (got <= 0)
			return;
		n = strlen(abs);
		if (n > 1)
			abs[n++] = '/';
		else
			n = 1;
	}
	if (n + pl >= sizeof(abs))
		return; /* too long to record: a degraded note at the checkpoint */
	memcpy(abs + n, path, pl + 1);
	if (raw_syscall4(SYS_newfstatat, AT_FDCWD, (long)abs, (long)&st,
			 mask & IN_DONT_FOLLOW ? AT_SYMLINK_NOFOLLOW : 0))
		return;
	for (int pass = 0; pass < 2 && !w; pass++) {
		for (int i = 0; i < WATCH_SLOTS && !w; i++)
			if (__atomic_load_n(&watches[i].state, __ATOMIC_RELAXED) == W_FREE &&
			    claim(&watches[i], W_FREE))
				w = &watches[i];
		if (w || pass)
			break;
		/* full: forget the watches of fds that are closed */
		for (int i = 0; i < WATCH_SLOTS; i++) {
			struct watch_slot *x = &watches[i];
			if (__atomic_load_n(&x->state, __ATOMIC_ACQUIRE) == W_READY &&
			    raw_syscall2(SYS_fcntl, x->fd, F_GETFD) < 0 && claim(x, W_READY))
				publish(x, W_FREE);
		}
	}
	if (!w)
		return;
	w->fd = fd;
	w->wd = wd;
	w->flags = mask & (IN_DONT_FOLLOW | IN_ONLYDIR);
	w->ino = st.st_ino;
	w->dev = st.st_dev;
	memcpy(w->path, abs, n + pl + 1);
	publish(w, W_READY);
}

/* The recorded watch for (wd, inode) of inotify fd `fd`: recorded on fd
 * itself, or on another fd number (the program dup'ed it and closed the
 * first). */
static const struct watch_slot *find_watch(int fd, int wd, uint64_t ino, uint64_t dev)
{
	const struct watch_slot *other = NULL;

	for (int i = 0; i < WATCH_SLOTS; i++) {
		const struct watch_slot *w = &watches[i];
		if (__atomic_load_n(&w->state, __ATOMIC_ACQUIRE) != W_READY || w->wd != wd ||
		    w->ino != ino || w->dev != dev)
			continue;
		if (w->fd == fd)
			return w;
		other = w;
	}
	return other;
}

int fdk_inotify_save(struct fd_save *s)
{
	struct engine *e = &mtcp_engine;
	char *info = e->scratch + SCRATCH_FD_INFO_OFF;
	char *buf = e->scratch + SCRATCH_FD_DATA_OFF;
	size_t used = 0;
	struct mtcp_rec_inotify r = { 0, 0 };
	int fd = s->e->fd;
	long n = fd_read_fdinfo(fd, info, SCRATCH_FD_INFO_LEN);

	if (n < 0) {
		snprintf(s->err, s->errlen, "cannot read /proc/self/fdinfo/%d (inotify): %s", fd,
			 strerror((int)-n));
		return (int)n;
	}
	for (const char *p = info; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		int ok[4];
		if (strncmp(p, "inotify ", 8))
			continue;
		int wd = (int)fd_line_u64(p, " wd:", 16, &ok[0]);
		uint64_t ino = fd_line_u64(p, " ino:", 16, &ok[1]);
		uint32_t kdev = (uint32_t)fd_line_u64(p, " sdev:", 16, &ok[2]);
		uint32_t mask = (uint32_t)fd_line_u64(p, " mask:", 16, &ok[3]);
		if (!ok[0] || !ok[1] || !ok[2] || !ok[3]) {
			snprintf(s->err, s->errlen, "fd %d (inotify): unexpected fdinfo line", fd);
			return -EINVAL;
		}
		uint64_t dev = makedev(kdev >> 20, kdev & 0xfffff);
		const struct watch_slot *w = find_watch(fd, wd, ino, dev);
		if (!w) {
			degraded_add(fd, s->e->ino, "fd %d (inotify): watch %d (inode %llu) was added "
				     "without the library seeing its path; it is not watched after a "
				     "restart", fd, wd, (unsigned long long)ino);
			continue;
		}
		struct mtcp_inotify_watch x;
		struct stat st;
		size_t pl = strlen(w->path);
		if (used + sizeof(x) + pl > SCRATCH_FD_DATA_LEN) {
			snprintf(s->err, s->errlen, "fd %d (inotify): too many watches", fd);
			return -E2BIG;
		}
		if (raw_syscall4(SYS_newfstatat, AT_FDCWD, (long)w->path, (long)&st,
				 w->flags & IN_DONT_FOLLOW ? AT_SYMLINK_NOFOLLOW : 0) ||
		    st.st_ino != ino || st.st_dev != dev)
			degraded_add(fd, s->e->ino, "fd %d (inotify): watch %d was added on %s, which "
				     "names another file now (or nothing); after a restart it "
				     "watches what %s names then", fd, wd, w->path, w->path);
		memset(&x, 0, sizeof(x));
		x.wd = wd;
		x.mask = mask | (w->flags & (IN_DONT_FOLLOW | IN_ONLYDIR));
		x.ino = ino;
		x.dev = dev;
		x.path_len = (uint32_t)pl;
		memcpy(buf + used, &x, sizeof(x));
		memcpy(buf + used + sizeof(x), w->path, pl);
		used += sizeof(x) + pl;
		r.nwatches++;
	}
	return fd_emit(s, s->link, MTCP_REC_INOTIFY, &r, sizeof(r), buf, used);
}
