/* SPDX-License-Identifier: MIT */
/*
 * commit.h - an image becomes visible only whole: written under a
 * temporary name (O_CREAT|O_EXCL|O_NOFOLLOW, mode 0600), fsync'ed, renamed
 * to its final name, the directory fsync'ed; then the oldest images beyond
 * the last N are removed.  Raw system calls only.
 */
#ifndef MTCP_COMMIT_H
#define MTCP_COMMIT_H

#include <stddef.h>
#include <stdint.h>

/* "<dir>/<prog>.<pid>.<seq>.mtcp" and "<dir>/.<prog>.<pid>.<seq>.mtcp.tmp" */
int commit_names(const char *dir, const char *prog, int pid, uint64_t seq,
		 char *final, char *tmp, size_t len);
/* Returns the open fd or -errno. */
int commit_open_tmp(const char *tmp);
int commit_finish(int fd, const char *tmp, const char *final, const char *dir);
/* MTCP_FSYNC=async: rename now (fd stays open), then, once the program
 * runs again, commit_settle() fsyncs the file and the directory and
 * closes fd.  Until it returns, a crash may leave the new image short or
 * empty (the checksums then refuse it), not a mix. */
int commit_rename_first(int fd, const char *tmp, const char *final);
int commit_settle(int fd, const char *dir);
void commit_abort(int fd, const char *tmp);
/* Remove from ring[0..*n) the oldest entries beyond `keep` (files deleted). */
void commit_prune(char (*ring)[4096], int *n, int keep);

#endif
