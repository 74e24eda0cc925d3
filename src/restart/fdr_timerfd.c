/* SPDX-License-Identifier: MIT */
/*
 * fdr_timerfd.c - restore half of timerfd fds (not written yet).
 */
#include "fd_restore.h"
#include "image_reader.h"

int fdr_timerfd_open(struct fdr_ctx *c, const struct img_fd *f)
{
	return fdr_fail(c, "fd %u: timerfd fds cannot be restored by this mtcp_restart", f->rec.fd);
}

