/* SPDX-License-Identifier: MIT */
/*
 * fdr_signalfd.c - restore half of signalfd fds (not written yet).
 */
#include "fd_restore.h"
#include "image_reader.h"

int fdr_signalfd_open(struct fdr_ctx *c, const struct img_fd *f)
{
	return fdr_fail(c, "fd %u: signalfd fds cannot be restored by this mtcp_restart", f->rec.fd);
}

