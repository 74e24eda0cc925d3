/* SPDX-License-Identifier: MIT */
/*
 * fdr_eventfd.c - restore half of eventfd fds (not written yet).
 */
#include "fd_restore.h"
#include "image_reader.h"

int fdr_eventfd_open(struct fdr_ctx *c, const struct img_fd *f)
{
	return fdr_fail(c, "fd %u: eventfd fds cannot be restored by this mtcp_restart", f->rec.fd);
}

