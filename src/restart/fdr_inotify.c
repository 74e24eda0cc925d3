/* SPDX-License-Identifier: MIT */
/*
 * fdr_inotify.c - restore half of inotify fds (not written yet).
 */
#include "fd_restore.h"
#include "image_reader.h"

int fdr_inotify_open(struct fdr_ctx *c, const struct img_fd *f)
{
	return fdr_fail(c, "fd %u: inotify fds cannot be restored by this mtcp_restart", f->rec.fd);
}

