/* SPDX-License-Identifier: MIT */
/* restore_child.h - the hosted half of a restore, up to the restorer. */
#ifndef MTCP_RESTORE_CHILD_H
#define MTCP_RESTORE_CHILD_H

#include <stddef.h>
#include <stdint.h>
#include "image-format.h"
#include "rst-args.h"

struct image;
struct chain;
struct fdr_options;

struct restore_opts {
	int same_tids;        /* threads get their old tids (clone3 set_tid) */
	int tid_offset;       /* else: where glibc caches the tid, to patch */
	int status_fd;        /* write end of the status pipe */
	long rseq_offset;     /* glibc's rseq registration to drop */
	unsigned rseq_size;
	int32_t aliases[MTCP_MAX_ALIASES];
	int in_pidns;         /* restored in a new pid namespace */
	int broker_fd;        /* the program's end of the broker, or -1 */
	int outer_pid_fd;     /* -1, or a pipe that brings the program's pid
	                         outside its pid namespace (becomes aliases[1]) */
	struct rst_ids ids;   /* privilege.h */
	const struct fdr_options *fdo; /* fd_restore.h: --fd, --refuse-changed */
};

/* The image's [vvar][vvar_vclock][vdso] must match this kernel's. */
int restore_check_vdso(const struct image *img, char *err, size_t errlen);
/* Restores the chain's newest image (c->img[0]), reading memory from
 * every image of the chain as chain_resolve() said (c->reads).  Never
 * returns: the program resumes, or the process exits 1. */
void restore_child(const char *path, struct chain *c, const struct restore_opts *o)
	__attribute__((noreturn));

#endif
