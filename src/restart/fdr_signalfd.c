/* SPDX-License-Identifier: MIT */
/*
 * fdr_signalfd.c - restore half of signalfds: a new one with the saved
 * mask.  The signals it reads are the restored process's pending ones.
 */
#include "fd_restore.h"
#include "image_reader.h"

#include <errno.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <unistd.h>

int fdr_signalfd_open(struct fdr_ctx *c, const struct img_fd *f)
{
	struct mtcp_rec_signalfd r;
	long fd;

	if (!f->obj || f->obj_type != MTCP_REC_SIGNALFD || f->obj_len != sizeof(r))
		return fdr_fail(c, "fd %u: no SIGNALFD record", f->rec.fd);
	memcpy(&r, f->obj, sizeof(r));
	/* the kernel's sigset: 64 bits, bit n-1 for signal n, as saved */
	fd = syscall(SYS_signalfd4, -1, &r.mask, sizeof(r.mask), SFD_CLOEXEC | SFD_NONBLOCK);
	if (fd < 0)
		return fdr_fail(c, "fd %u: cannot make a signalfd for mask %#llx: %s", f->rec.fd,
				(unsigned long long)r.mask, strerror(errno));
	return (int)fd;
}
