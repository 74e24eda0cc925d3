/* SPDX-License-Identifier: MIT */
/*
 * fdr_file.c - restore half of the fds that name a file: regular files,
 * directories and devices reopened by path, the controlling terminal,
 * deleted files and memfds recreated with their saved contents (and a
 * memfd's name and seals).
 */
#include "fd_restore.h"
#include "image_reader.h"
#include "pathglob.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
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

/*
 * Written files: a regular file the program had open for writing that is
 * not what it was at the checkpoint (another file at the path, another
 * size or modification time) is named in a warning, or, with
 * --refuse-changed, stops the restart.  Files the restart puts back from
 * the image are left to fdr_put_back().  Each path once.
 */
static int check_written(struct fdr_ctx *c)
{
	const struct image *img = c->img;

	for (uint32_t i = 0; i < img->nfds; i++) {
		const struct img_fd *f = &img->fds[i];
		char what[160];
		struct stat st;
		uint64_t mt;
		int seen = 0;

		if (f->rec.kind != MTCP_FD_REGULAR || f->rec.same_as ||
		    (f->rec.open_flags & O_ACCMODE) == O_RDONLY || fdr_redirect(c, (int)f->rec.fd) ||
		    image_put_back(img, f->path))
			continue;
		for (uint32_t j = 0; j < i && !seen; j++)
			seen = img->fds[j].rec.kind == MTCP_FD_REGULAR && !img->fds[j].rec.same_as &&
			       (img->fds[j].rec.open_flags & O_ACCMODE) != O_RDONLY &&
			       !strcmp(img->fds[j].path, f->path);
		if (seen)
			continue;
		if (stat(f->path, &st)) {
			snprintf(what, sizeof(what), "is gone (%s)", strerror(errno));
		} else {
			mt = (uint64_t)st.st_mtim.tv_sec * 1000000000ull + (uint64_t)st.st_mtim.tv_nsec;
			if (st.st_dev != f->rec.dev || st.st_ino != f->rec.ino)
				snprintf(what, sizeof(what), "is another file now (inode %llu, was %llu)",
					 (unsigned long long)st.st_ino, (unsigned long long)f->rec.ino);
			else if ((uint64_t)st.st_size != f->rec.size)
				snprintf(what, sizeof(what), "has %llu bytes, %llu at the checkpoint",
					 (unsigned long long)st.st_size,
					 (unsigned long long)f->rec.size);
			else if (mt != f->rec.mtime_ns)
				snprintf(what, sizeof(what), "was modified after the checkpoint");
			else
				continue;
		}
		if (c->opt && c->opt->refuse_changed)
			return fdr_fail(c, "refused (--refuse-changed): %s (fd %u, open for writing) "
					"changed since the checkpoint: it %s", f->path, f->rec.fd, what);
		fdr_warn(c, "%s (fd %u, open for writing) changed since the checkpoint: it %s; "
			 "the program goes on with it as it is now", f->path, f->rec.fd, what);
	}
	return 0;
}

/*
 * The directory that holds path's last component, opened from "/" one
 * component at a time without following a symbolic link (the restart
 * writes where the image says, never where a link planted since points);
 * with `make`, missing directories are created, mode 0700.  An O_PATH fd
 * and *last, or -1 with errno set.
 */
static int open_parent(const char *path, int make, const char **last)
{
	char comp[NAME_MAX + 1];
	const char *p = path;
	int dfd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);

	while (dfd >= 0) {
		const char *slash;
		size_t n;
		int nfd;

		while (*p == '/')
			p++;
		slash = strchr(p, '/');
		if (!slash) {
			*last = p;
			return dfd;
		}
		n = (size_t)(slash - p);
		if (n > NAME_MAX || (n == 1 && p[0] == '.') || (n == 2 && !memcmp(p, "..", 2))) {
			close(dfd);
			errno = EINVAL;
			return -1;
		}
		memcpy(comp, p, n);
		comp[n] = '\0';
		nfd = openat(dfd, comp, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (nfd < 0 && errno == ENOENT && make &&
		    (!mkdirat(dfd, comp, 0700) || errno == EEXIST))
			nfd = openat(dfd, comp, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (nfd < 0) {
			int e = errno;
			close(dfd);
			errno = e;
			return -1;
		}
		close(dfd);
		dfd = nfd;
		p = slash + 1;
	}
	return -1;
}

/* The saved contents written at f's path (created if missing, with its
 * mode), its size and modification time as at the checkpoint. */
static int put_back_one(struct fdr_ctx *c, const struct img_file *f)
{
	const int fl = O_WRONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC;
	int shared = f->rec.why == MTCP_FILEDATA_SHARED_MAP;
	struct timespec times[2] = { { 0, UTIME_OMIT },
				     { (time_t)(f->rec.mtime_ns / 1000000000ull),
				       (long)(f->rec.mtime_ns % 1000000000ull) } };
	const char *last = NULL;
	int dfd, fd, created = 1, rc = 0;
	struct stat st;
	char *buf = NULL;

	dfd = open_parent(f->path, shared, &last);
	if (dfd < 0)
		return fdr_fail(c, "cannot put back %s from the image: %s%s", f->path,
				strerror(errno),
				errno == ENOENT ? " (a directory on its path is gone)" :
				errno == ENOTDIR ? " (a directory on its path is a symbolic link, "
				"which is not followed, or not a directory)" : "");
	fd = openat(dfd, last, fl | O_CREAT | O_EXCL, (mode_t)f->rec.mode);
	if (fd < 0 && errno == EEXIST && shared) {
		close(dfd);
		return 0; /* made meanwhile: shared with whoever made it */
	}
	if (fd < 0 && errno == EEXIST) {
		created = 0;
		fd = openat(dfd, last, fl);
	}
	{
		int e = errno;
		close(dfd);
		errno = e;
	}
	if (fd < 0)
		return fdr_fail(c, "cannot put back %s from the image: %s%s", f->path,
				strerror(errno), errno == ELOOP ? " (a symbolic link: not followed)"
								: "");
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		close(fd);
		return fdr_fail(c, "cannot put back %s from the image: not a regular file",
				f->path);
	}
	if ((created || (st.st_mode & 07777) != f->rec.mode) && fchmod(fd, (mode_t)f->rec.mode))
		fdr_warn(c, "%s is put back with mode %04o, not %04o: %s", f->path,
			 (unsigned)(st.st_mode & 07777), f->rec.mode, strerror(errno));
	buf = malloc(1 << 20);
	if (!buf) {
		close(fd);
		return fdr_fail(c, "out of memory");
	}
	for (uint64_t off = 0; off < f->rec.size && !rc;) {
		size_t n = f->rec.size - off < (1 << 20) ? (size_t)(f->rec.size - off)
							   : (size_t)(1 << 20);
		ssize_t got = pread(c->img->fd, buf, n, (off_t)(f->data_off + off));
		if (got <= 0)
			rc = fdr_fail(c, "cannot read the saved contents of %s: %s", f->path,
				      got < 0 ? strerror(errno) : "short read");
		else if (pwrite(fd, buf, (size_t)got, (off_t)off) != got)
			rc = fdr_fail(c, "cannot put back %s from the image: writing: %s", f->path,
				      strerror(errno));
		else
			off += (uint64_t)got;
	}
	free(buf);
	if (!rc && ftruncate(fd, (off_t)f->rec.size))
		rc = fdr_fail(c, "cannot put back %s from the image: truncating: %s", f->path,
			      strerror(errno));
	if (!rc && futimens(fd, times))
		fdr_warn(c, "%s is put back, but its modification time is now's: %s", f->path,
			 strerror(errno));
	close(fd);
	return rc;
}

/* 1 if `name` is one of the names d held at the checkpoint. */
static int was_there(const struct img_file *d, const char *name)
{
	for (uint32_t i = 0; i < d->nnames; i++)
		if (!strcmp(d->names[i], name))
			return 1;
	return 0;
}

/*
 * A directory of files saved for MTCP_SAVE_FILES: the regular files in it
 * that match the patterns and that it did not hold at the checkpoint were
 * made since (an SQLite journal left by the killed program, which SQLite
 * would play back into the database put back); they are removed, each
 * named.  Nothing else is touched; a directory that is gone is left so.
 */
static int remove_made_since(struct fdr_ctx *c, const struct img_file *d)
{
	char path[PATH_MAX];
	const char *last = NULL;
	struct dirent *de;
	int pfd, dfd;
	DIR *dir;

	pfd = open_parent(d->path, 0, &last);
	dfd = pfd < 0 ? -1
	      : *last ? openat(pfd, last, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
		      : fcntl(pfd, F_DUPFD_CLOEXEC, 0); /* "/" */
	if (pfd >= 0)
		close(pfd);
	if (dfd < 0 && (errno == ENOENT || errno == ENOTDIR || errno == ELOOP))
		return 0;
	if (dfd < 0 || !(dir = fdopendir(dfd))) {
		int e = errno;
		if (dfd >= 0)
			close(dfd);
		return fdr_fail(c, "cannot read directory %s to put its files back: %s", d->path,
				strerror(e));
	}
	while ((de = readdir(dir))) {
		struct stat st;
		int n = snprintf(path, sizeof(path), "%s/%s", strcmp(d->path, "/") ? d->path : "",
				 de->d_name);
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..") || n >= (int)sizeof(path) ||
		    !pathglob_match_list(d->patterns, path) || was_there(d, de->d_name) ||
		    fstatat(dirfd(dir), de->d_name, &st, AT_SYMLINK_NOFOLLOW) || !S_ISREG(st.st_mode))
			continue;
		if (unlinkat(dirfd(dir), de->d_name, 0)) {
			int e = errno;
			closedir(dir);
			return fdr_fail(c, "cannot remove %s, made after the checkpoint: %s", path,
					strerror(e));
		}
		dprintf(c->log_fd >= 0 ? c->log_fd : 2, "mtcp_restart: %s: removed %s: it matches "
			"MTCP_SAVE_FILES and was made after the checkpoint\n",
			c->image_path ? c->image_path : "", path);
	}
	closedir(dir);
	return 0;
}

/* What put_back_one would refuse, found before anything is written: a
 * symbolic link at the path or on it, something not a regular file there. */
static int can_put_back(struct fdr_ctx *c, const struct img_file *f)
{
	const char *last = NULL;
	struct stat st;
	int dfd = open_parent(f->path, 0, &last), e;

	if (dfd < 0) {
		if (errno == ENOENT && f->rec.why == MTCP_FILEDATA_SHARED_MAP)
			return 0; /* its directories are made */
		e = errno;
		return fdr_fail(c, "cannot put back %s from the image: %s%s", f->path, strerror(e),
				e == ENOENT ? " (a directory on its path is gone)" :
				e == ENOTDIR ? " (a directory on its path is a symbolic link, "
				"which is not followed, or not a directory)" : "");
	}
	e = fstatat(dfd, last, &st, AT_SYMLINK_NOFOLLOW) ? errno : 0;
	close(dfd);
	if (!e && S_ISLNK(st.st_mode))
		return fdr_fail(c, "cannot put back %s from the image: %s (a symbolic link: not "
				"followed)", f->path, strerror(ELOOP));
	if (!e && !S_ISREG(st.st_mode))
		return fdr_fail(c, "cannot put back %s from the image: not a regular file", f->path);
	if (e && e != ENOENT)
		return fdr_fail(c, "cannot put back %s from the image: %s", f->path, strerror(e));
	return 0;
}

int fdr_files_put_back(struct fdr_ctx *c)
{
	const struct image *img = c->img;

	/* before anything is written: a refusal leaves every file as it is */
	if (check_written(c))
		return -1;
	for (uint32_t i = 0; i < img->nfiles; i++)
		if (image_put_back(img, img->files[i].path) == &img->files[i] &&
		    can_put_back(c, &img->files[i]))
			return -1;
	for (uint32_t i = 0; i < img->nfiles; i++)
		if (image_put_back(img, img->files[i].path) == &img->files[i] &&
		    put_back_one(c, &img->files[i]))
			return -1;
	for (uint32_t i = 0; i < img->nfiles; i++)
		if (img->files[i].rec.why == MTCP_FILEDATA_SAVE_DIR &&
		    remove_made_since(c, &img->files[i]))
			return -1;
	return 0;
}
