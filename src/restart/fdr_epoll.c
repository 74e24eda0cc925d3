/* SPDX-License-Identifier: MIT */
/*
 * fdr_epoll.c - restore half of epoll fds (not written yet).
 */
#include "fd_restore.h"
#include "image_reader.h"

int fdr_epoll_open(struct fdr_ctx *c, const struct img_fd *f)
{
	return fdr_fail(c, "fd %u: epoll fds cannot be restored by this mtcp_restart", f->rec.fd);
}

int fdr_epoll_finish(struct fdr_ctx *c, const struct img_fd *f)
{
	(void)c;
	(void)f;
	return 0;
}

