/* SPDX-License-Identifier: MIT */
/*
 * fd_filedata.c - FILEDATA records (docs/format.md): contents of files
 * that mtcp_restart puts back before it opens any fd.  Two kinds:
 *
 *  - MTCP_SAVE_FILES=GLOB[:GLOB...]: every regular file the program has
 *    open whose path matches (the whole path, '*' matching '/' too:
 *    pathglob.h), up to SAVE_FILES_MAX bytes each; a larger one is a
 *    degraded note.  Put back at every restart, whatever is there then.
 *    And for each directory of such a file, the names in it that match
 *    (SAVE_DIR): a restart removes the matching files made there since.
 *  - small shared file mappings (MAP_SHARED of a regular file) under /tmp/
 *    and /dev/shm/, such as the JVM's /tmp/hsperfdata_USER/PID, which the
 *    restarted program deletes when it exits: up to SHARED_MAP_MAX bytes
 *    each and SHARED_MAP_TOTAL in all (larger ones are left out: the image
 *    then needs the file, as for any shared mapping).  Recreated at restart
 *    only if gone.
 *
 * A file is saved once, however many fds or mappings refer to it.  Runs at
 * the end of the fd pass while the program is parked: raw system calls,
 * buffers from the fd pass's scratch pieces (fd_save.h).
 */
#include "engine.h"
#include "fd_save.h"
#include "image_writer.h"
#include "maps.h"
#include "pathglob.h"
#include "syscall.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>

#define SAVE_FILES_MAX (1ull << 30)    /* per file matching MTCP_SAVE_FILES */
#define SHARED_MAP_MAX (1ull << 20)    /* per mapped file under /tmp, /dev/shm */
#define SHARED_MAP_TOTAL (16ull << 20) /* all of those together */
#define MAX_SAVED 4096                 /* files saved in one image */

#define MAX_DIRS 64                    /* directories of saved files */

/* SCRATCH_FD_INFO: a window on /proc/self/maps (or a directory's entries),
 * the saved files, the directories of the saved files */
#define MAPS_WIN_LEN (64u << 10)
struct saved_file {
	uint64_t dev, ino;
};
#define DIRS_OFF (MAPS_WIN_LEN + MAX_SAVED * sizeof(struct saved_file))
_Static_assert(DIRS_OFF + MAX_DIRS * MTCP_MAX_PATH <= SCRATCH_FD_INFO_LEN, "filedata scratch");
/* SCRATCH_FD_DATA: the contents, in pieces of */
#define CONTENTS_CHUNK (4u << 20)
_Static_assert(CONTENTS_CHUNK <= SCRATCH_FD_DATA_LEN, "filedata chunk");

struct fdata {
	struct img_writer *w;
	const char *image;
	char *err;
	size_t errlen;
	struct saved_file *saved;
	int nsaved;
	int full_noted;
	char (*dirs)[MTCP_MAX_PATH]; /* of the files saved for MTCP_SAVE_FILES */
	int ndirs;
	uint64_t shared_total;
};

static int is_saved(const struct fdata *c, uint64_t dev, uint64_t ino)
{
	for (int i = 0; i < c->nsaved; i++)
		if (c->saved[i].ino == ino && c->saved[i].dev == dev)
			return 1;
	return 0;
}

static uint64_t mtime_ns(const struct stat *st)
{
	return (uint64_t)st->st_mtim.tv_sec * 1000000000ull + (uint64_t)st->st_mtim.tv_nsec;
}

/* One FILEDATA record: the file open on fd (readable; `direct`: with
 * O_DIRECT, so read in whole pages), as st says it is. */
static int write_record(struct fdata *c, int fd, int direct, const struct stat *st,
			const char *path, uint32_t why)
{
	char *buf = mtcp_engine.scratch + SCRATCH_FD_DATA_OFF;
	struct mtcp_rec_filedata r;
	int rc, read_rc = 0;

	memset(&r, 0, sizeof(r));
	r.dev = st->st_dev;
	r.ino = st->st_ino;
	r.size = (uint64_t)st->st_size;
	r.mtime_ns = mtime_ns(st);
	r.mode = st->st_mode & 07777;
	r.why = why;
	r.path_len = (uint32_t)strlen(path);
	r.data_len = r.size;
	rc = iw_begin(c->w, MTCP_REC_FILEDATA);
	if (!rc)
		rc = iw_append(c->w, &r, sizeof(r));
	if (!rc)
		rc = iw_append(c->w, path, r.path_len);
	for (uint64_t off = 0; !rc && off < r.size;) {
		size_t want = r.size - off < CONTENTS_CHUNK ? (size_t)(r.size - off) : CONTENTS_CHUNK;
		size_t ask = direct ? (want + 4095) & ~(size_t)4095 : want;
		long got = raw_syscall4(SYS_pread64, fd, (long)buf, (long)ask, (long)off);
		if (got == -EINTR)
			continue;
		if (got < 0) {
			rc = read_rc = (int)got;
			break;
		}
		if (got == 0 || (direct && (size_t)got < want)) {
			/* shrank meanwhile (another process): the size stays */
			memset(buf + got, 0, want - (size_t)got);
			got = (long)want;
		}
		if ((size_t)got > want)
			got = (long)want;
		rc = iw_append(c->w, buf, (size_t)got);
		off += (uint64_t)got;
	}
	if (!rc)
		rc = iw_end(c->w);
	if (read_rc)
		snprintf(c->err, c->errlen, "cannot save the contents of %s into %s: reading it: %s",
			 path, c->image, strerror(-read_rc));
	else if (rc)
		snprintf(c->err, c->errlen, "cannot write %s: %s (while saving the contents of %s)",
			 c->image, strerror(-rc), path);
	if (!rc) {
		c->saved[c->nsaved].dev = r.dev;
		c->saved[c->nsaved].ino = r.ino;
		c->nsaved++;
	}
	return rc;
}

/* 1 if the program holds a lock through one of its fds on (dev, ino). */
static int inode_locked(const struct fd_table *t, uint64_t dev, uint64_t ino)
{
	/* not the maps window: this runs while it is being read */
	char *info = mtcp_engine.scratch + SCRATCH_FD_DATA_OFF;

	for (int i = 0; i < t->n; i++) {
		long n;
		if (t->v[i].ino != ino || t->v[i].dev != dev)
			continue;
		n = fd_read_fdinfo(t->v[i].fd, info, MAPS_WIN_LEN);
		if (n == -EFBIG || (n > 0 && strstr(info, "\nlock:")))
			return 1;
	}
	return 0;
}

/*
 * An fd to read the file (dev, ino) from, without touching the program's
 * POSIX locks (closing any fd of a process on a file drops every POSIX lock
 * the process holds on it, so a database's lock would go): one of the
 * program's own fds on it that can read, if any (*own 0); else a new one
 * from `path`, opened with `flags` (*own 1: close it), unless the program
 * holds a lock on the file (-EDEADLK).  *direct: it reads with O_DIRECT.
 */
static long reader_for(const struct fd_table *t, uint64_t dev, uint64_t ino, const char *path,
		       int flags, int *own, int *direct)
{
	int any = 0;

	*own = *direct = 0;
	for (int i = 0; i < t->n; i++) {
		const struct fd_entry *x = &t->v[i];
		if (x->ino != ino || x->dev != dev || x->kind != MTCP_FD_REGULAR)
			continue;
		any = 1;
		if ((x->open_flags & O_ACCMODE) != O_WRONLY) {
			*direct = !!(x->open_flags & O_DIRECT);
			return x->fd;
		}
	}
	if (any && inode_locked(t, dev, ino))
		return -EDEADLK;
	*own = 1;
	return raw_syscall4(SYS_openat, AT_FDCWD, (long)path,
			    flags | O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK, 0);
}

/* Room for one more file; a degraded note the first time there is not. */
static int have_room(struct fdata *c, int fd, uint64_t ino, const char *path)
{
	if (c->nsaved < MAX_SAVED)
		return 1;
	if (!c->full_noted)
		degraded_add(fd, ino, "%s and later files: more than %d files to save "
			     "(MTCP_SAVE_FILES); not saved", path, MAX_SAVED);
	c->full_noted = 1;
	return 0;
}

/* The directory of `path`, once in c->dirs. */
static void note_dir(struct fdata *c, int fd, uint64_t ino, const char *path)
{
	const char *slash = strrchr(path, '/');
	size_t n = slash == path ? 1 : (size_t)(slash - path);

	for (int i = 0; i < c->ndirs; i++)
		if (strlen(c->dirs[i]) == n && !memcmp(c->dirs[i], path, n))
			return;
	if (c->ndirs == MAX_DIRS) {
		degraded_add(fd, ino, "%s: its directory is one too many (more than %d) to list: "
			     "files that match MTCP_SAVE_FILES made there after the checkpoint stay "
			     "at a restart", path, MAX_DIRS);
		return;
	}
	memcpy(c->dirs[c->ndirs], path, n);
	c->dirs[c->ndirs][n] = '\0';
	c->ndirs++;
}

/* MTCP_SAVE_FILES: the program's regular files whose path matches. */
static int save_matching(struct fdata *c, const struct fd_table *t, const char *globs)
{
	static char path[MTCP_MAX_PATH];
	int rc = 0;

	for (int i = 0; i < t->n && !rc; i++) {
		const struct fd_entry *x = &t->v[i];
		char proc[64];
		struct stat st;
		int own, direct;
		long n, fd;

		if (x->kind != MTCP_FD_REGULAR || is_saved(c, x->dev, x->ino))
			continue;
		snprintf(proc, sizeof(proc), "/proc/self/fd/%d", x->fd);
		n = raw_syscall4(SYS_readlinkat, AT_FDCWD, (long)proc, (long)path,
				 sizeof(path) - 1);
		if (n <= 0)
			continue;
		path[n] = '\0';
		if (path[0] != '/' || !pathglob_match_list(globs, path) ||
		    !have_room(c, x->fd, x->ino, path))
			continue;
		/* the program's fd if one can read, else /proc/self/fd/N again */
		fd = reader_for(t, x->dev, x->ino, proc, 0, &own, &direct);
		if (fd < 0) {
			degraded_add(x->fd, x->ino, "fd %d (%s): cannot read it to save it "
				     "(MTCP_SAVE_FILES): %s", x->fd, path, fd == -EDEADLK ?
				     "open for writing only, and locked: another fd would drop "
				     "the lock" : strerror((int)-fd));
			continue;
		}
		if (raw_syscall2(SYS_fstat, fd, (long)&st) || !S_ISREG(st.st_mode) ||
		    st.st_ino != x->ino || st.st_dev != x->dev) {
			if (own)
				raw_syscall1(SYS_close, fd);
			continue;
		}
		if ((uint64_t)st.st_size > SAVE_FILES_MAX)
			degraded_add(x->fd, x->ino, "fd %d (%s): %llu bytes, more than the 1 GiB "
				     "MTCP_SAVE_FILES saves of a file; not saved: a restart finds "
				     "it as it is then", x->fd, path, (unsigned long long)st.st_size);
		else
			rc = write_record(c, (int)fd, direct, &st, path, MTCP_FILEDATA_SAVE_FILES);
		if (own)
			raw_syscall1(SYS_close, fd);
		if (!rc)
			note_dir(c, x->fd, x->ino, path);
	}
	return rc;
}

/*
 * A SAVE_DIR record for directory `dir`: the patterns, then the names of
 * the regular files in it that match them now, so that a restart can
 * tell those made after the checkpoint (docs/format.md).
 */
static int save_dir(struct fdata *c, const char *dir, const char *globs)
{
	static char full[MTCP_MAX_PATH];
	char *ents = mtcp_engine.scratch + SCRATCH_FD_INFO_OFF;
	char *out = mtcp_engine.scratch + SCRATCH_FD_DATA_OFF;
	size_t used = strlen(globs) + 1, dl = strlen(dir);
	struct mtcp_rec_filedata r;
	struct stat st;
	long dfd = raw_syscall4(SYS_openat, AT_FDCWD, (long)dir,
			       O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC, 0);
	int rc = 0, over = 0;

	if (dfd < 0 || raw_syscall2(SYS_fstat, dfd, (long)&st)) {
		degraded_add(-1, 0, "directory %s: cannot list it (%s): files that match "
			     "MTCP_SAVE_FILES made there after the checkpoint stay at a restart",
			     dir, strerror(dfd < 0 ? (int)-dfd : EIO));
		if (dfd >= 0)
			raw_syscall1(SYS_close, dfd);
		return 0;
	}
	memcpy(out, globs, used);
	for (;;) {
		long got = raw_syscall3(SYS_getdents64, dfd, (long)ents, MAPS_WIN_LEN);
		if (got <= 0)
			break;
		for (long off = 0; off < got;) {
			const char *name = ents + off + 19;
			unsigned char type = (unsigned char)ents[off + 18];
			unsigned short reclen;
			size_t nl = strlen(name);
			struct stat es;
			memcpy(&reclen, ents + off + 16, sizeof(reclen));
			off += reclen;
			if ((name[0] == '.' && (!name[1] || (name[1] == '.' && !name[2]))) ||
			    dl + 1 + nl >= sizeof(full))
				continue;
			memcpy(full, dir, dl);
			full[dl] = '/';
			memcpy(full + dl + 1, name, nl + 1);
			if (!pathglob_match_list(globs, dl == 1 ? full + 1 : full))
				continue;
			if (type == DT_UNKNOWN &&
			    (raw_syscall4(SYS_newfstatat, dfd, (long)name, (long)&es,
					  AT_SYMLINK_NOFOLLOW) || !S_ISREG(es.st_mode)))
				continue;
			if (type != DT_UNKNOWN && type != DT_REG)
				continue;
			if (used + nl + 1 > MTCP_MAX_META_PAYLOAD) {
				over = 1;
				break;
			}
			memcpy(out + used, name, nl + 1);
			used += nl + 1;
		}
		if (over)
			break;
	}
	raw_syscall1(SYS_close, dfd);
	if (over) {
		degraded_add(-1, 0, "directory %s: too many files match MTCP_SAVE_FILES to list "
			     "them: those made there after the checkpoint stay at a restart", dir);
		return 0;
	}
	memset(&r, 0, sizeof(r));
	r.dev = st.st_dev;
	r.ino = st.st_ino;
	r.size = r.data_len = used;
	r.mtime_ns = mtime_ns(&st);
	r.mode = st.st_mode & 07777;
	r.why = MTCP_FILEDATA_SAVE_DIR;
	r.path_len = (uint32_t)dl;
	rc = iw_begin(c->w, MTCP_REC_FILEDATA);
	if (!rc)
		rc = iw_append(c->w, &r, sizeof(r));
	if (!rc)
		rc = iw_append(c->w, dir, dl);
	if (!rc)
		rc = iw_append(c->w, out, used);
	if (!rc)
		rc = iw_end(c->w);
	if (rc)
		snprintf(c->err, c->errlen, "cannot write %s: %s (while saving directory %s)",
			 c->image, strerror(-rc), dir);
	return rc;
}

static int excluded(uint64_t start, uint64_t end)
{
	const struct engine *e = &mtcp_engine;

	for (int i = 0; i < e->nexcluded; i++)
		if (start < e->excluded[i].end && e->excluded[i].start < end)
			return 1;
	return 0;
}

static int under_tmp(const char *p, size_t len)
{
	return (len > 5 && !memcmp(p, "/tmp/", 5)) || (len > 9 && !memcmp(p, "/dev/shm/", 9));
}

/* One line of /proc/self/maps: a small shared mapping of a file under
 * /tmp or /dev/shm is saved (once). */
static int save_mapping(struct fdata *c, const struct fd_table *t, const char *line, size_t len)
{
	static char path[MTCP_MAX_PATH];
	struct maps_entry m;
	struct stat st;
	int rc = 0, own, direct;
	long fd;

	if (maps_parse_line(line, len, &m) || !m.shared || m.deleted ||
	    m.path_len >= sizeof(path) || !under_tmp(m.path, m.path_len) ||
	    excluded(m.start, m.end) ||
	    is_saved(c, makedev(m.dev_major, m.dev_minor), m.inode))
		return 0;
	memcpy(path, m.path, m.path_len);
	path[m.path_len] = '\0';
	fd = reader_for(t, makedev(m.dev_major, m.dev_minor), m.inode, path, O_NOFOLLOW, &own,
			&direct);
	if (fd < 0)
		return 0; /* the image will need the file, as for any shared mapping */
	if (!raw_syscall2(SYS_fstat, fd, (long)&st) && S_ISREG(st.st_mode) &&
	    st.st_ino == m.inode && st.st_dev == makedev(m.dev_major, m.dev_minor) &&
	    (uint64_t)st.st_size <= SHARED_MAP_MAX &&
	    c->shared_total + (uint64_t)st.st_size <= SHARED_MAP_TOTAL &&
	    have_room(c, -1, st.st_ino, path)) {
		rc = write_record(c, (int)fd, direct, &st, path, MTCP_FILEDATA_SHARED_MAP);
		c->shared_total += (uint64_t)st.st_size;
	}
	if (own)
		raw_syscall1(SYS_close, fd);
	return rc;
}

/* /proc/self/maps, read through a window: each whole line to save_mapping. */
static int save_shared_maps(struct fdata *c, const struct fd_table *t)
{
	char *win = mtcp_engine.scratch + SCRATCH_FD_INFO_OFF;
	size_t have = 0;
	long mfd = raw_syscall4(SYS_openat, AT_FDCWD, (long)"/proc/self/maps",
				O_RDONLY | O_CLOEXEC, 0);
	int rc = 0;

	if (mfd < 0) {
		snprintf(c->err, c->errlen, "cannot read /proc/self/maps: %s", strerror((int)-mfd));
		return (int)mfd;
	}
	while (!rc) {
		long got = raw_syscall3(SYS_read, mfd, (long)(win + have), MAPS_WIN_LEN - have);
		size_t start = 0;
		if (got == -EINTR)
			continue;
		if (got < 0) {
			rc = (int)got;
			snprintf(c->err, c->errlen, "cannot read /proc/self/maps: %s",
				 strerror((int)-got));
			break;
		}
		if (got == 0)
			break;
		have += (size_t)got;
		for (char *nl; !rc && (nl = memchr(win + start, '\n', have - start));) {
			rc = save_mapping(c, t, win + start, (size_t)(nl - (win + start)));
			start = (size_t)(nl - win) + 1;
		}
		if (start == 0 && have == MAPS_WIN_LEN)
			start = have; /* a line longer than the window: not a file's */
		memmove(win, win + start, have - start);
		have -= start;
	}
	raw_syscall1(SYS_close, mfd);
	return rc;
}

int fd_filedata_write_all(struct img_writer *w, const char *image, const struct fd_table *t,
			  char *err, size_t errlen)
{
	struct fdata c;
	int rc = 0;

	memset(&c, 0, sizeof(c));
	c.w = w;
	c.image = image;
	c.err = err;
	c.errlen = errlen;
	c.saved = (struct saved_file *)(void *)(mtcp_engine.scratch + SCRATCH_FD_INFO_OFF +
						MAPS_WIN_LEN);
	c.dirs = (char (*)[MTCP_MAX_PATH])(void *)(mtcp_engine.scratch + SCRATCH_FD_INFO_OFF +
						   DIRS_OFF);
	if (mtcp_engine.cfg.save_files[0])
		rc = save_matching(&c, t, mtcp_engine.cfg.save_files);
	for (int i = 0; i < c.ndirs && !rc; i++)
		rc = save_dir(&c, c.dirs[i], mtcp_engine.cfg.save_files);
	if (!rc)
		rc = save_shared_maps(&c, t);
	return rc;
}
