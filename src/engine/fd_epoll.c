/* SPDX-License-Identifier: MIT */
/*
 * fd_epoll.c - save half of epoll fds: an EPOLL record with one entry per
 * registration (docs/format.md, "EPOLL").
 *
 * /proc/self/fdinfo/N of an epoll fd has one line per registration:
 *
 *   tfd:        5 events:       19 data: 0000000000000005  pos:0 ino:61 sdev:7
 *
 * tfd is the fd number the file was registered with: the registration's
 * key, which epoll keeps after that fd is closed as long as the file stays
 * open through another fd (a dup).  So each entry names an fd of the
 * program that holds the same file (its target): tfd itself while it still
 * does, otherwise another fd on the same inode that kcmp(KCMP_EPOLL_TFD)
 * says is the very file.  An entry whose file is held by no fd of the
 * program (only by another process, or by a message in flight) cannot be
 * registered again: a degraded note.
 */
#include "engine.h"
#include "fd_save.h"
#include "syscall.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <linux/kcmp.h>

/* 1 if fd is the file registered in epfd as (tfd, toff); 0 if not; -1 if
 * kcmp cannot tell (not built into this kernel, or refused). */
static int same_target(long me, int epfd, int fd, int tfd, int toff)
{
	struct kcmp_epoll_slot slot = { (uint32_t)epfd, (uint32_t)tfd, (uint32_t)toff };
	long r = raw_syscall5(SYS_kcmp, me, me, KCMP_EPOLL_TFD, fd, (long)&slot);

	if (r == 0)
		return 1;
	if (r > 0 || r == -EBADF || r == -ENOENT)
		return 0;
	return -1;
}

/* The fd of the program that holds the registered file, or -1. */
static int find_target(const struct fd_save *s, long me, int tfd, int toff, uint64_t dev,
		       uint64_t ino)
{
	const struct fd_table *t = s->all;
	const struct fd_entry *x = fd_find(t, tfd);
	int r;

	if (x && x->ino == ino && x->dev == dev) {
		r = same_target(me, s->e->fd, tfd, tfd, toff);
		if (r != 0) /* the same file, or kcmp cannot say: trust the inode */
			return tfd;
	}
	for (int i = 0; i < t->n; i++) {
		x = &t->v[i];
		if (x->fd == tfd || x->ino != ino || x->dev != dev)
			continue;
		r = same_target(me, s->e->fd, x->fd, tfd, toff);
		if (r == 1 || (r < 0 && !fd_find(t, tfd)))
			return x->fd;
	}
	return -1;
}

int fdk_epoll_save(struct fd_save *s)
{
	struct engine *e = &mtcp_engine;
	char *info = e->scratch + SCRATCH_FD_INFO_OFF;
	struct mtcp_epoll_entry *v = (struct mtcp_epoll_entry *)(e->scratch + SCRATCH_FD_DATA_OFF);
	const uint32_t max = SCRATCH_FD_DATA_LEN / sizeof(*v);
	struct mtcp_rec_epoll r = { 0, 0 };
	long me = raw_syscall0(SYS_getpid);
	long n = fd_read_fdinfo(s->e->fd, info, SCRATCH_FD_INFO_LEN);

	if (n < 0) {
		snprintf(s->err, s->errlen, "cannot read /proc/self/fdinfo/%d (epoll): %s",
			 s->e->fd, strerror((int)-n));
		return (int)n;
	}
	for (const char *p = info; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		int ok[5], toff = 0;
		if (strncmp(p, "tfd:", 4))
			continue;
		int tfd = (int)fd_line_u64(p, "tfd:", 10, &ok[0]);
		uint32_t events = (uint32_t)fd_line_u64(p, "events:", 16, &ok[1]);
		uint64_t data = fd_line_u64(p, "data:", 16, &ok[2]);
		uint64_t ino = fd_line_u64(p, " ino:", 16, &ok[3]);
		uint32_t kdev = (uint32_t)fd_line_u64(p, "sdev:", 16, &ok[4]);
		if (!ok[0] || !ok[1] || !ok[2]) {
			snprintf(s->err, s->errlen, "fd %d (epoll): unexpected fdinfo line", s->e->fd);
			return -EINVAL;
		}
		if (r.nentries == max) {
			snprintf(s->err, s->errlen, "fd %d (epoll): more than %u registrations",
				 s->e->fd, max);
			return -E2BIG;
		}
		/* the kernel's dev_t (major << 20 | minor) as stat() gives it */
		uint64_t dev = makedev(kdev >> 20, kdev & 0xfffff);
		/* the same tfd may be registered more than once (a dup closed,
		 * its number reused): kcmp tells them apart by their rank among
		 * the entries of that number, which is fdinfo's order */
		for (uint32_t i = 0; i < r.nentries; i++)
			toff += v[i].tfd == tfd;
		int target = ok[3] && ok[4] ? find_target(s, me, tfd, toff, dev, ino)
					    : fd_find(s->all, tfd) ? tfd : -1;
		if (target < 0)
			degraded_add(s->e->fd, s->e->ino, "fd %d (epoll): the file registered as fd %d "
				     "(inode %llu) is not open in the process; it is not watched "
				     "after a restart", s->e->fd, tfd, (unsigned long long)ino);
		v[r.nentries].tfd = tfd;
		v[r.nentries].target_fd = target;
		v[r.nentries].events = events;
		v[r.nentries].reserved = 0;
		v[r.nentries].data = data;
		r.nentries++;
	}
	return fd_emit(s, s->link, MTCP_REC_EPOLL, &r, sizeof(r), v,
		       (size_t)r.nentries * sizeof(*v));
}
