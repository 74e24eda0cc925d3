/* SPDX-License-Identifier: MIT */
/*
 * fdr_timerfd.c - restore half of timerfds: a new one on the saved clock,
 * disarmed; the restorer arms it last, just before the program resumes,
 * and puts back the expirations not yet read (TFD_IOC_SET_TICKS).  A
 * relative timer gets the time it had left at the checkpoint (frozen while
 * the program was down, as the itimers); a TFD_TIMER_ABSTIME timer its
 * absolute expiration, on its clock.
 */
#include "fd_restore.h"
#include "image_reader.h"

#include <errno.h>
#include <string.h>
#include <sys/timerfd.h>
#include <unistd.h>

int fdr_timerfd_open(struct fdr_ctx *c, const struct img_fd *f)
{
	struct mtcp_rec_timerfd r;
	struct rst_timerfd *t;
	int fd;

	if (!f->obj || f->obj_type != MTCP_REC_TIMERFD || f->obj_len != sizeof(r))
		return fdr_fail(c, "fd %u: no TIMERFD record", f->rec.fd);
	memcpy(&r, f->obj, sizeof(r));
	if (c->ntimerfds >= FDR_MAX_TIMERFDS)
		return fdr_fail(c, "fd %u: more than %d timerfds: this mtcp_restart restores at "
				"most %d", f->rec.fd, FDR_MAX_TIMERFDS, FDR_MAX_TIMERFDS);
	fd = timerfd_create(r.clockid, TFD_CLOEXEC | TFD_NONBLOCK);
	if (fd < 0)
		return fdr_fail(c, "fd %u: cannot make a timerfd on clock %d: %s", f->rec.fd,
				r.clockid, strerror(errno));
	t = &c->timerfds[c->ntimerfds++];
	memset(t, 0, sizeof(*t));
	t->fd = (int32_t)f->rec.fd; /* where the dispatcher puts it */
	t->flags = r.settime_flags;
	t->value_ns = (r.settime_flags & TFD_TIMER_ABSTIME) ? r.abs_ns : r.value_ns;
	t->interval_ns = r.interval_ns;
	t->ticks = r.ticks;
	return fd;
}
