/* SPDX-License-Identifier: MIT */
/*
 * fdr_socket.c - restore half of socket fds (not written yet).
 */
#include "fd_restore.h"
#include "image_reader.h"

int fdr_socket_open(struct fdr_ctx *c, const struct img_fd *f)
{
	return fdr_fail(c, "fd %u: socket fds cannot be restored by this mtcp_restart", f->rec.fd);
}

