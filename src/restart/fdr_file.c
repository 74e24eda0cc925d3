/* SPDX-License-Identifier: MIT */
/*
 * fdr_file.c - restore half of the fds that name a file: regular files,
 * directories and devices reopened by path, the controlling terminal,
 * deleted files and memfds recreated with their saved contents (and a
 * memfd's name and seals).
 */
#include "fd_restore.h"
#include "image_reader.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#ifndef F_ADD_SEALS
#define F_ADD_SEALS 1033
#endif
#ifndef MFD_ALLOW_SEALING
#define MFD_ALLOW_SEALING 2u
#endif
#ifndef MFD_NOEXEC_SEAL
#define MFD_NOEXEC_SEAL 8u
#endif
#ifndef F_SEAL_EXEC
#define F_SEAL_EXEC 0x20
#endif

/*
 * A deleted file or memfd that an earlier fd of the image has open through
 * another description (e.g. a read-only reopen of /proc/self/fd/N): the
 * same file, opened again with f's access mode.  -2: none.
 */
static int open_shared(struct fdr_ctx *c, const struct img_fd *f)
{
	char proc[64];
	int fd;

	for (uint32_t i = 0; i < c->img->nfds && &c->img->fds[i] != f; i++) {
		const struct img_fd *g = &c->img->fds[i];
		if (g->rec.same_as || g->rec.kind != f->rec.kind || g->rec.dev != f->rec.dev ||
		    g->rec.ino != f->rec.ino || fdr_redirect(c, (int)g->rec.fd) ||
		    (g->rec.fd <= 2 && fdr_keeps_stdio(g)))
			continue;
		snprintf(proc, sizeof(proc), "/proc/self/fd/%u", g->rec.fd);
		fd = open(proc, (int)(f->rec.open_flags & O_ACCMODE));
		if (fd < 0)
			return fdr_fail(c, "cannot open %s (fd %u) again for fd %u: %s", f->path,
					g->rec.fd, f->rec.fd, strerror(errno));
		if (lseek(fd, (off_t)f->rec.offset, SEEK_SET) < 0) {
			int e = errno;
			close(fd);
			return fdr_fail(c, "cannot seek fd %u: %s", f->rec.fd, strerror(e));
		}
		return fd;
	}
	return -2;
}

/* memfd_create and O_TMPFILE make O_RDWR files: a description that was
 * read-only or write-only is that file opened again so. */
static int with_access(struct fdr_ctx *c, const struct img_fd *f, int fd)
{
	int acc = (int)(f->rec.open_flags & O_ACCMODE), again;
	char proc[64];

	if (fd < 0 || acc == O_RDWR)
		return fd;
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	again = open(proc, acc);
	close(fd);
	if (again < 0)
		return fdr_fail(c, "cannot open %s (fd %u) again: %s", f->path, f->rec.fd,
				strerror(errno));
	if (lseek(again, (off_t)f->rec.offset, SEEK_SET) < 0) {
		int e = errno;
		close(again);
		return fdr_fail(c, "cannot seek fd %u: %s", f->rec.fd, strerror(e));
	}
	return again;
}

static int copy_contents(struct fdr_ctx *c, const struct img_fd *f, int fd)
{
	char *buf = malloc(1 << 20);

	if (!buf)
		return fdr_fail(c, "out of memory");
	for (uint64_t off = 0; off < f->rec.data_len;) {
		size_t n = f->rec.data_len - off < (1 << 20) ? (size_t)(f->rec.data_len - off)
							      : (size_t)(1 << 20);
		ssize_t got = pread(c->img->fd, buf, n, (off_t)(f->data_off + off));
		if (got <= 0 || write(fd, buf, (size_t)got) != got) {
			free(buf);
			return fdr_fail(c, "cannot recreate %s (fd %u): %s", f->path, f->rec.fd,
					got < 0 ? strerror(errno) : "short read or write");
		}
		off += (uint64_t)got;
	}
	free(buf);
	return 0;
}

static int open_deleted(struct fdr_ctx *c, const struct img_fd *f)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(f->path, '/');
	int fd = -1;

	if (slash && slash != f->path && (size_t)(slash - f->path) < sizeof(dir)) {
		memcpy(dir, f->path, (size_t)(slash - f->path));
		dir[slash - f->path] = '\0';
		fd = open(dir, O_TMPFILE | O_RDWR, 0600);
	}
	if (fd < 0)
		fd = memfd_create(slash ? slash + 1 : "mtcp-deleted", 0);
	if (fd < 0)
		return fdr_fail(c, "cannot recreate deleted file %s (fd %u): %s", f->path,
				f->rec.fd, strerror(errno));
	if (copy_contents(c, f, fd)) {
		close(fd);
		return -1;
	}
	if (lseek(fd, (off_t)f->rec.offset, SEEK_SET) < 0) {
		int e = errno;
		close(fd);
		return fdr_fail(c, "cannot seek fd %u (%s): %s", f->rec.fd, f->path, strerror(e));
	}
	return fd;
}

static int open_memfd(struct fdr_ctx *c, const struct img_fd *f)
{
	struct mtcp_rec_memfd m;
	char name[256];
	unsigned fl;
	int fd;

	memcpy(&m, f->obj, sizeof(m));
	memcpy(name, (const char *)f->obj + sizeof(m), m.name_len);
	name[m.name_len] = '\0';
	/* a memfd made without MFD_ALLOW_SEALING reports F_SEAL_SEAL alone;
	 * F_SEAL_EXEC comes from MFD_NOEXEC_SEAL, which also drops the x bits */
	fl = m.seals == 1 ? 0 : MFD_ALLOW_SEALING;
	if (m.seals & F_SEAL_EXEC)
		fl |= MFD_NOEXEC_SEAL;
	fd = memfd_create(name, fl);
	if (fd < 0 && (fl & MFD_NOEXEC_SEAL))
		fd = memfd_create(name, fl & ~MFD_NOEXEC_SEAL);
	if (fd < 0)
		return fdr_fail(c, "cannot recreate memfd %s (fd %u): %s", name, f->rec.fd,
				strerror(errno));
	if (copy_contents(c, f, fd) ||
	    (m.seals && m.seals != 1 && fcntl(fd, F_ADD_SEALS, (int)m.seals) < 0 &&
	     fdr_fail(c, "cannot seal memfd %s (fd %u): %s", name, f->rec.fd, strerror(errno)))) {
		close(fd);
		return -1;
	}
	return fd;
}

int fdr_file_open(struct fdr_ctx *c, const struct img_fd *f)
{
	int acc = (int)(f->rec.open_flags & O_ACCMODE);
	int keep = (int)(f->rec.open_flags & (O_APPEND | O_NONBLOCK | O_DIRECT | O_NOATIME |
					     O_SYNC | O_DSYNC));
	int fd = -1;

	switch (f->rec.kind) {
	case MTCP_FD_REGULAR:
	case MTCP_FD_DEVICE:
		fd = open(f->path, acc | keep | O_NOCTTY);
		break;
	case MTCP_FD_DIR:
		fd = open(f->path, O_RDONLY | O_DIRECTORY);
		break;
	case MTCP_FD_DELETED:
		fd = open_shared(c, f);
		return fd != -2 ? fd : with_access(c, f, open_deleted(c, f));
	case MTCP_FD_MEMFD:
		fd = open_shared(c, f);
		if (fd != -2)
			return fd;
		fd = open_memfd(c, f);
		if (fd >= 0 && lseek(fd, (off_t)f->rec.offset, SEEK_SET) < 0) {
			close(fd);
			return fdr_fail(c, "cannot seek fd %u: %s", f->rec.fd, strerror(errno));
		}
		return with_access(c, f, fd);
	case MTCP_FD_TTY:
		fd = open("/dev/tty", acc | O_NOCTTY);
		if (fd < 0) {
			fdr_warn(c, "fd %u was a terminal and there is no controlling terminal; "
				 "it is /dev/null now", f->rec.fd);
			fd = open("/dev/null", acc);
		}
		break;
	}
	if (fd < 0)
		return fdr_fail(c, "cannot reopen %s as fd %u: %s", f->path, f->rec.fd,
				strerror(errno));
	if (f->rec.kind == MTCP_FD_REGULAR && lseek(fd, (off_t)f->rec.offset, SEEK_SET) < 0) {
		int e = errno;
		close(fd);
		return fdr_fail(c, "cannot seek fd %u (%s): %s", f->rec.fd, f->path, strerror(e));
	}
	return fd;
}

int fdr_files_put_back(struct fdr_ctx *c)
{
	(void)c; /* FILEDATA: not written yet */
	return 0;
}
