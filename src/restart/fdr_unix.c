/* SPDX-License-Identifier: MIT */
/*
 * fdr_unix.c - restore half of unix fds (not written yet).
 */
#include "fd_restore.h"
#include "image_reader.h"

int fdr_unix_open(struct fdr_ctx *c, const struct img_fd *f)
{
	return fdr_fail(c, "fd %u: unix fds cannot be restored by this mtcp_restart", f->rec.fd);
}

int fdr_unix_finish(struct fdr_ctx *c, const struct img_fd *f)
{
	(void)c;
	(void)f;
	return 0;
}

int fdr_unix_is_outside(const struct img_fd *f)
{
	(void)f;
	return 1;
}

