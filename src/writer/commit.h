/* SPDX-License-Identifier: MIT */
/*
 * commit.h - an image becomes visible only whole, and never in another
 * file's place (docs/format.md, "Lineages and names").
 *
 * It is written into an unnamed file in the image directory (O_TMPFILE,
 * mode 0600), fsync'ed, and linked under its final name with
 * linkat("/proc/self/fd/N", AT_SYMLINK_FOLLOW), which fails with EEXIST
 * rather than replace anything; then the directory is fsync'ed, and the
 * oldest images of this lineage beyond the last N are removed.  A writer
 * killed half-way leaves nothing: the kernel frees an unnamed file with
 * its last descriptor.
 *
 * Where the file system refuses O_TMPFILE, the file is named
 * ".STEM.NONCE.mtcp.tmp" (O_CREAT|O_EXCL|O_NOFOLLOW: a planted name or
 * symlink is never followed or reused), held with flock(LOCK_EX) while it
 * is written, and renamed with RENAME_NOREPLACE.  A writer that died
 * leaves it behind unlocked: commit_clean_stale() removes it at the next
 * start.
 *
 * Raw system calls only: everything but commit_clean_stale() runs while
 * the program's threads are parked.
 */
#ifndef MTCP_COMMIT_H
#define MTCP_COMMIT_H

#include <stddef.h>
#include <stdint.h>

#define COMMIT_PATH_MAX 4096

/* One image being written. */
struct commit_file {
	int fd;                     /* open for writing; -1: none */
	int named;                  /* 1: a named temporary, tmp is its path */
	char tmp[COMMIT_PATH_MAX];
};

/* "<dir>/<stem>.<seq>.mtcp" into final; 0 or -ENAMETOOLONG. */
int commit_name(char *final, size_t len, const char *dir, const char *stem, uint64_t seq);

/*
 * Opens a new, empty image file in dir: unnamed if try_tmpfile and the
 * file system allows it, else named ".<stem>.<nonce in hex>.mtcp.tmp".
 * Returns the fd (also in f->fd) or -errno.
 */
int commit_open(struct commit_file *f, const char *dir, const char *stem, uint64_t nonce,
		int try_tmpfile);
/* 1 if O_TMPFILE's refusal err means "not on this file system". */
int commit_tmpfile_unsupported(int err);
/* A second descriptor of the same file with other flags (O_DIRECT),
 * through /proc/self/fd: never by a name someone else could change. */
int commit_reopen(const struct commit_file *f, int flags);

/* fsync, link under final, close, fsync the directory.  An existing file
 * under final is never replaced: the image then takes the name
 * commit_alt_name() makes (final is rewritten: the caller says so), and
 * -EEXIST only if those are taken too.  On failure the file is gone
 * (commit_abort). */
#define MTCP_COMMIT_PATH_MAX 4096
int commit_finish(struct commit_file *f, char *final, size_t len, const char *dir);
int commit_alt_name(char *final, size_t len, uint64_t rnd);
/* MTCP_FSYNC=async: link now (the fd stays open); once the program runs
 * again, commit_settle() fsyncs the file and the directory and closes the
 * fd.  Until it returns, a crash may leave the new image short or empty
 * (the checksums then refuse it), never a mix. */
int commit_link_first(struct commit_file *f, char *final, size_t len);
int commit_settle(struct commit_file *f, const char *dir);
/* Close, and remove the named temporary if there is one. */
void commit_abort(struct commit_file *f);
/* Another process (a copy-on-write writer) committed or dropped the file
 * f named: forget it without touching it (fd already closed). */
void commit_forget(struct commit_file *f);

/* Remove from ring[0..*n) the oldest entries beyond `keep` (files deleted). */
void commit_prune(char (*ring)[COMMIT_PATH_MAX], int *n, int keep);

/*
 * Removes ".*.mtcp.tmp" files in dir that the effective uid owns and whose
 * flock can be taken (their writer is dead).  Returns how many, or -errno
 * if dir cannot be read.
 */
int commit_clean_stale(const char *dir);

#endif
