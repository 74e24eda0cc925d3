/* SPDX-License-Identifier: MIT */
/*
 * fdr_inotify.c - restore half of inotify fds (docs/format.md, "INOTIFY").
 *
 * A new inotify instance gets each watch again by its recorded path, with
 * its watch descriptor (wd) kept: the kernel hands out wds cyclically
 * upwards from 1 (idr_alloc_cyclic), never reusing one until it wraps, so
 * the watches are added in ascending wd order, and where the kernel's
 * next wd is below the one wanted, a watch is added and removed again
 * until it is not.  Each such removal queues an IN_IGNORED event; the
 * queue is emptied before the program runs.  Events that were queued at
 * the checkpoint are lost.
 */
#include "fd_restore.h"
#include "image_reader.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

struct want {
	struct mtcp_inotify_watch w;
	char *path;
};

static int by_wd(const void *a, const void *b)
{
	const struct want *x = a, *y = b;
	return x->w.wd < y->w.wd ? -1 : x->w.wd > y->w.wd;
}

static void drain(int fd)
{
	char buf[4096] __attribute__((aligned(8)));
	while (read(fd, buf, sizeof(buf)) > 0)
		;
}

static int has(const int *v, uint32_t n, int wd)
{
	for (uint32_t i = 0; i < n; i++)
		if (v[i] == wd)
			return 1;
	return 0;
}

int fdr_inotify_open(struct fdr_ctx *c, const struct img_fd *f)
{
	struct mtcp_rec_inotify r;
	struct want *v;
	int *made, fd;
	const char *p;
	uint32_t nmade = 0;
	unsigned long burned = 0;

	memcpy(&r, f->obj, sizeof(r));
	fd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK); /* the fd's flags are set after */
	if (fd < 0)
		return fdr_fail(c, "fd %u: inotify_init1: %s", f->rec.fd, strerror(errno));
	v = calloc(r.nwatches ? r.nwatches : 1, sizeof(*v));
	made = calloc(r.nwatches ? r.nwatches : 1, sizeof(*made));
	if (!v || !made) {
		free(v);
		free(made);
		close(fd);
		return fdr_fail(c, "out of memory");
	}
	p = (const char *)f->obj + sizeof(r);
	for (uint32_t i = 0; i < r.nwatches; i++) {
		memcpy(&v[i].w, p, sizeof(v[i].w));
		p += sizeof(v[i].w);
		v[i].path = strndup(p, v[i].w.path_len);
		p += v[i].w.path_len;
	}
	qsort(v, r.nwatches, sizeof(*v), by_wd);
	for (uint32_t i = 0; i < r.nwatches; i++) {
		uint32_t mask = v[i].w.mask & ~(uint32_t)(IN_MASK_ADD | IN_MASK_CREATE);
		if (!v[i].path)
			continue;
		for (;;) {
			int wd = inotify_add_watch(fd, v[i].path, mask);
			if (wd < 0) {
				fdr_warn(c, "fd %u (inotify): cannot watch %s again (watch %d): %s; "
					 "it is not watched", f->rec.fd, v[i].path, v[i].w.wd,
					 strerror(errno));
				break;
			}
			if (wd == v[i].w.wd) {
				made[nmade++] = wd;
				break;
			}
			if (has(made, nmade, wd)) {
				/* the path names a file watched already */
				fdr_warn(c, "fd %u (inotify): %s (watch %d) is the file of watch %d "
					 "now; it is watched as that one", f->rec.fd, v[i].path,
					 v[i].w.wd, wd);
				break;
			}
			inotify_rm_watch(fd, wd);
			if (wd > v[i].w.wd) {
				/* past it: cannot happen in a new instance, unless
				 * the numbers wrapped */
				fdr_warn(c, "fd %u (inotify): %s cannot get watch number %d again; "
					 "it is not watched", f->rec.fd, v[i].path, v[i].w.wd);
				break;
			}
			if (++burned % 4096 == 0)
				drain(fd); /* keep the IN_IGNORED events from overflowing */
		}
	}
	drain(fd);
	for (uint32_t i = 0; i < r.nwatches; i++)
		free(v[i].path);
	free(v);
	free(made);
	return fd;
}
