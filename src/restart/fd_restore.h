/* SPDX-License-Identifier: MIT */
/*
 * fd_restore.h - rebuilding the program's fds at restart, in the process
 * that becomes the program, before the point of no return (libc is still
 * there).  fd_restore.c is the dispatcher: it puts FILEDATA contents back,
 * opens each open file description with the restore half of its kind (one
 * file per kind: fdr_file.c, fdr_pipe.c, fdr_eventfd.c, fdr_epoll.c,
 * fdr_timerfd.c, fdr_signalfd.c, fdr_unix.c, fdr_socket.c, fdr_inotify.c),
 * places it at its number, dups the fds that shared it, and lets the
 * kinds finish what needs every fd in place (epoll registrations, queued
 * data).  An error is one line in c->err and a non-zero return: the
 * restart stops there, before the point of no return.
 */
#ifndef MTCP_FD_RESTORE_H
#define MTCP_FD_RESTORE_H

#include <stddef.h>
#include <stdint.h>
#include "image-format.h"
#include "rst-args.h"

struct image;
struct img_fd;

/* mtcp_restart's options for fds (docs/tools.md). */
#define FDR_MAX_REDIRECT 64
struct fdr_options {
	int refuse_changed;    /* --refuse-changed: a written file that changed since
	                          the checkpoint stops the restart */
	int nredirect;
	struct {
		int fd;            /* --fd N=PATH: fd N (an end of a pipe or a socket
		                      to outside) is PATH opened instead */
		const char *path;
	} redirect[FDR_MAX_REDIRECT];
};

/* Pairs made for one fd and kept for another (the other end of a pipe or
 * of a socket pair), by key; their fds sit at or above stash_base. */
struct fdr_stash {
	uint64_t key;
	int kind;              /* MTCP_FD_* of the maker */
	int fd;
};

#define FDR_MAX_TIMERFDS 1024
struct fdr_ctx {
	const struct image *img;
	const struct fdr_options *opt;
	int stash_base;        /* temporary fds live at or above (above every image fd) */
	struct fdr_stash *stash;
	int nstash, stash_cap;
	/* timerfds are armed by the restorer, last (rst-args.h) */
	struct rst_timerfd timerfds[FDR_MAX_TIMERFDS];
	uint32_t ntimerfds;
	int log_fd;            /* mtcp_restart's stderr (fd 2 may be the program's) */
	const char *image_path;
	char *err;
	size_t errlen;
};

/*
 * Rebuilds every fd of the image; fds 0-2 are kept as mtcp_restart got them
 * where they were a terminal, or a pipe or socket whose other end was
 * outside the process.  0, or -1 with c->err filled in.
 */
int fdr_restore_all(struct fdr_ctx *c);
/* 1 if image fd f keeps mtcp_restart's own fd of that number (0-2). */
int fdr_keeps_stdio(const struct img_fd *f);

/* Helpers for the kinds. */
int fdr_fail(struct fdr_ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* "mtcp_restart: IMAGE: warning: ..." on mtcp_restart's stderr */
void fdr_warn(const struct fdr_ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int fdr_stash_put(struct fdr_ctx *c, uint64_t key, int kind, int fd); /* moves fd up */
int fdr_stash_take(struct fdr_ctx *c, uint64_t key, int kind);        /* -1: none */
const struct img_fd *fdr_find_fd(const struct image *img, int fd);
/* The --fd redirection for image fd `fd`, or NULL. */
const char *fdr_redirect(const struct fdr_ctx *c, int fd);

/*
 * The restore halves.  open: returns a new fd (any number) for the open
 * file description of image fd f (f->rec.same_as == 0), or -1 with c->err
 * filled in.  finish: runs once every fd is in place, for the kinds that
 * need other fds (0 or -1).
 */
int fdr_file_open(struct fdr_ctx *c, const struct img_fd *f);
int fdr_pipe_open(struct fdr_ctx *c, const struct img_fd *f);
int fdr_eventfd_open(struct fdr_ctx *c, const struct img_fd *f);
int fdr_epoll_open(struct fdr_ctx *c, const struct img_fd *f);
int fdr_epoll_finish(struct fdr_ctx *c, const struct img_fd *f);
int fdr_timerfd_open(struct fdr_ctx *c, const struct img_fd *f);
int fdr_signalfd_open(struct fdr_ctx *c, const struct img_fd *f);
int fdr_unix_open(struct fdr_ctx *c, const struct img_fd *f);
int fdr_unix_finish(struct fdr_ctx *c, const struct img_fd *f);
int fdr_socket_open(struct fdr_ctx *c, const struct img_fd *f);
int fdr_inotify_open(struct fdr_ctx *c, const struct img_fd *f);
/* fdr_file.c: FILEDATA contents put back before any fd is opened, and
 * written files that changed since the checkpoint (warned, or refused
 * with --refuse-changed). */
int fdr_files_put_back(struct fdr_ctx *c);
/* Whether image fd f (0-2) reconnects to mtcp_restart's: per kind. */
int fdr_pipe_is_outside(const struct img_fd *f);
int fdr_unix_is_outside(const struct img_fd *f);

#endif
