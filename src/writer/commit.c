/* SPDX-License-Identifier: MIT */
/* commit.c - the image's file: unnamed until whole, linked, never replacing. */
#include "commit.h"
#include "syscall.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#ifndef O_TMPFILE
#define O_TMPFILE (020000000 | O_DIRECTORY)
#endif
#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE (1 << 0)
#endif

static const char tmp_suffix[] = ".mtcp.tmp";

int commit_name(char *final, size_t len, const char *dir, const char *stem, uint64_t seq)
{
	int n = snprintf(final, len, "%s/%s.%llu.mtcp", dir, stem, (unsigned long long)seq);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

int commit_tmpfile_unsupported(int err)
{
	/* EISDIR: a kernel without O_TMPFILE sees O_DIRECTORY|O_WRONLY */
	return err == -EOPNOTSUPP || err == -EISDIR || err == -EINVAL;
}

static int same_file(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino;
}

/* A new named temporary, created here and locked by us: 0, or -errno. */
static int open_named(struct commit_file *f, const char *dir, const char *stem, uint64_t nonce)
{
	for (int attempt = 0; attempt < 4; attempt++) {
		struct stat fst, nst;
		long fd;
		int n = snprintf(f->tmp, sizeof(f->tmp), "%s/.%s.%016llx%s", dir, stem,
				 (unsigned long long)nonce, tmp_suffix);

		if (n < 0 || (size_t)n >= sizeof(f->tmp))
			return -ENAMETOOLONG;
		fd = raw_syscall4(SYS_openat, AT_FDCWD, (long)f->tmp,
				  O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd < 0)
			return (int)fd;
		/* Another process's start-up cleaning may have opened it in the
		 * moment before the lock: then it is gone or going, and a new
		 * name is taken.  Locked and still ours under its name, it
		 * stays ours. */
		if (!raw_syscall2(SYS_flock, fd, LOCK_EX | LOCK_NB) &&
		    !raw_syscall2(SYS_fstat, fd, (long)&fst) &&
		    !raw_syscall4(SYS_newfstatat, AT_FDCWD, (long)f->tmp, (long)&nst,
				  AT_SYMLINK_NOFOLLOW) &&
		    same_file(&fst, &nst)) {
			f->fd = (int)fd;
			f->named = 1;
			return (int)fd;
		}
		raw_syscall1(SYS_close, fd);
		/* splitmix64's step: another name */
		nonce += 0x9e3779b97f4a7c15ull;
		nonce = (nonce ^ (nonce >> 30)) * 0xbf58476d1ce4e5b9ull;
	}
	return -EBUSY;
}

int commit_open(struct commit_file *f, const char *dir, const char *stem, uint64_t nonce,
		int try_tmpfile)
{
	f->fd = -1;
	f->named = 0;
	f->tmp[0] = '\0';
	if (try_tmpfile) {
		long fd = raw_syscall4(SYS_openat, AT_FDCWD, (long)dir,
				       O_TMPFILE | O_WRONLY | O_CLOEXEC, 0600);
		if (fd >= 0) {
			f->fd = (int)fd;
			return (int)fd;
		}
		if (!commit_tmpfile_unsupported((int)fd))
			return (int)fd;
	}
	return open_named(f, dir, stem, nonce);
}

int commit_reopen(const struct commit_file *f, int flags)
{
	char self[64];

	snprintf(self, sizeof(self), "/proc/self/fd/%d", f->fd);
	return (int)raw_syscall4(SYS_openat, AT_FDCWD, (long)self, flags, 0);
}

/* The file gets the name final; an existing one is never replaced. */
static int link_once(struct commit_file *f, const char *final)
{
	char self[64];
	long rc;

	if (f->named) {
		rc = raw_syscall5(SYS_renameat2, AT_FDCWD, (long)f->tmp, AT_FDCWD, (long)final,
				  RENAME_NOREPLACE);
		if (rc != -EINVAL && rc != -ENOSYS)
			return (int)rc;
		/* no RENAME_NOREPLACE on this file system: link() never
		 * replaces either */
		rc = raw_syscall5(SYS_linkat, AT_FDCWD, (long)f->tmp, AT_FDCWD, (long)final, 0);
		if (!rc)
			raw_syscall3(SYS_unlinkat, AT_FDCWD, (long)f->tmp, 0);
		return (int)rc;
	}
	/* AT_EMPTY_PATH would need CAP_DAC_READ_SEARCH on many kernels; the
	 * /proc link does not.  Without /proc, try it anyway. */
	snprintf(self, sizeof(self), "/proc/self/fd/%d", f->fd);
	rc = raw_syscall5(SYS_linkat, AT_FDCWD, (long)self, AT_FDCWD, (long)final,
			  AT_SYMLINK_FOLLOW);
	if (rc == -ENOENT && raw_syscall3(SYS_faccessat, AT_FDCWD, (long)"/proc/self/fd", F_OK))
		rc = raw_syscall5(SYS_linkat, f->fd, (long)"", AT_FDCWD, (long)final,
				  AT_EMPTY_PATH);
	return (int)rc;
}

/*
 * "DIR/STEM.SEQ.mtcp" -> "DIR/STEM.SEQ.<16 random hex digits>.mtcp": the
 * name an image takes when someone else holds its usual one.  Nobody can
 * plant it in advance, so a directory full of planted names (a sticky
 * /tmp where others see this lineage's names) blocks no checkpoint.
 */
int commit_alt_name(char *final, size_t len, uint64_t rnd)
{
	size_t n = strlen(final), base = n - 5;
	static const char hex[] = "0123456789abcdef";

	if (n < 5 || strcmp(final + base, ".mtcp") || base + 1 + 16 + 5 >= len)
		return -ENAMETOOLONG;
	final[base] = '.';
	for (int i = 0; i < 16; i++)
		final[base + 1 + i] = hex[(rnd >> (60 - 4 * i)) & 15];
	memcpy(final + base + 17, ".mtcp", 6);
	return 0;
}

static int link_final(struct commit_file *f, char *final, size_t len)
{
	char alt[MTCP_COMMIT_PATH_MAX];
	int rc = link_once(f, final);

	for (int i = 0; rc == -EEXIST && i < 4; i++) {
		uint64_t rnd = 0;
		if (raw_syscall3(SYS_getrandom, (long)&rnd, sizeof(rnd), 0) != sizeof(rnd))
			return rc;
		if (strlen(final) >= sizeof(alt))
			return rc;
		strcpy(alt, final);
		if (commit_alt_name(alt, sizeof(alt) < len ? sizeof(alt) : len, rnd))
			return rc;
		rc = link_once(f, alt);
		if (!rc)
			strcpy(final, alt);
	}
	return rc;
}

static void fsync_dir(const char *dir)
{
	long dfd = raw_syscall4(SYS_openat, AT_FDCWD, (long)dir,
				O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);

	if (dfd >= 0) {
		raw_syscall1(SYS_fsync, dfd);
		raw_syscall1(SYS_close, dfd);
	}
}

int commit_finish(struct commit_file *f, char *final, size_t len, const char *dir)
{
	long rc = raw_syscall1(SYS_fsync, f->fd);

	if (!rc)
		rc = link_final(f, final, len);
	if (rc) {
		commit_abort(f);
		return (int)rc;
	}
	raw_syscall1(SYS_close, f->fd);
	f->fd = -1;
	/* the new name itself must survive a crash */
	fsync_dir(dir);
	return 0;
}

int commit_link_first(struct commit_file *f, char *final, size_t len)
{
	int rc = link_final(f, final, len);

	if (rc)
		commit_abort(f);
	return rc;
}

int commit_settle(struct commit_file *f, const char *dir)
{
	long rc = raw_syscall1(SYS_fsync, f->fd);

	raw_syscall1(SYS_close, f->fd);
	f->fd = -1;
	fsync_dir(dir);
	return (int)rc;
}

void commit_abort(struct commit_file *f)
{
	/* unlinked first: while we hold the lock, no cleaner takes it for
	 * a dead writer's */
	if (f->named && f->tmp[0])
		raw_syscall3(SYS_unlinkat, AT_FDCWD, (long)f->tmp, 0);
	if (f->fd >= 0)
		raw_syscall1(SYS_close, f->fd);
	f->fd = -1;
	f->named = 0;
	f->tmp[0] = '\0';
}

void commit_forget(struct commit_file *f)
{
	f->fd = -1;
	f->named = 0;
	f->tmp[0] = '\0';
}

void commit_prune(char (*ring)[COMMIT_PATH_MAX], int *n, int keep)
{
	int drop = *n - keep;

	if (drop <= 0)
		return;
	for (int i = 0; i < drop; i++)
		raw_syscall3(SYS_unlinkat, AT_FDCWD, (long)ring[i], 0);
	memmove(ring[0], ring[drop], (size_t)(*n - drop) * sizeof(ring[0]));
	*n -= drop;
}

static int is_tmp_name(const char *name)
{
	size_t l = strlen(name), s = sizeof(tmp_suffix) - 1;

	return name[0] == '.' && l > s + 1 && !memcmp(name + l - s, tmp_suffix, s);
}

/* One candidate: ours, a regular file, unlocked, still under that name. */
static int clean_one(long dfd, const char *name, long euid)
{
	struct stat fst, nst;
	long fd = raw_syscall4(SYS_openat, dfd, (long)name,
			       O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0);
	int removed = 0;

	if (fd < 0)
		return 0;
	if (!raw_syscall2(SYS_fstat, fd, (long)&fst) && S_ISREG(fst.st_mode) &&
	    (long)fst.st_uid == euid && !raw_syscall2(SYS_flock, fd, LOCK_EX | LOCK_NB) &&
	    !raw_syscall4(SYS_newfstatat, dfd, (long)name, (long)&nst, AT_SYMLINK_NOFOLLOW) &&
	    same_file(&fst, &nst))
		removed = raw_syscall3(SYS_unlinkat, dfd, (long)name, 0) == 0;
	raw_syscall1(SYS_close, fd);
	return removed;
}

int commit_clean_stale(const char *dir)
{
	char buf[4096];
	long dfd = raw_syscall4(SYS_openat, AT_FDCWD, (long)dir,
				O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
	long euid = raw_syscall0(SYS_geteuid);
	int removed = 0;

	if (dfd < 0)
		return (int)dfd;
	for (;;) {
		long got = raw_syscall3(SYS_getdents64, dfd, (long)buf, sizeof(buf));
		if (got <= 0)
			break;
		for (long off = 0; off < got;) {
			unsigned short reclen;
			const char *name = buf + off + 19; /* struct linux_dirent64's d_name */
			memcpy(&reclen, buf + off + 16, sizeof(reclen));
			off += reclen;
			if (is_tmp_name(name))
				removed += clean_one(dfd, name, euid);
		}
	}
	raw_syscall1(SYS_close, dfd);
	return removed;
}
