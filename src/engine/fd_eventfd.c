/* SPDX-License-Identifier: MIT */
/*
 * fd_eventfd.c - save half of eventfds: the counter and EFD_SEMAPHORE,
 * from /proc/self/fdinfo ("eventfd-count:" in hex, "eventfd-semaphore:"
 * since Linux 6.6).  O_NONBLOCK is in the FD record's flags.
 */
#include "engine.h"
#include "fd_save.h"

#include <stdio.h>
#include <string.h>

int fdk_eventfd_save(struct fd_save *s)
{
	struct engine *e = &mtcp_engine;
	char *info = e->scratch + SCRATCH_FD_INFO_OFF;
	struct mtcp_rec_eventfd r;
	int found = 0;
	long n = fd_read_fdinfo(s->e->fd, info, SCRATCH_FD_INFO_LEN);

	memset(&r, 0, sizeof(r));
	if (n >= 0)
		r.count = fd_info_u64(info, "eventfd-count:", 16, &found);
	if (n < 0 || !found)
		return fd_save_unsupported(s, "its counter cannot be read");
	if (fd_info_u64(info, "eventfd-semaphore:", 10, &found))
		r.flags |= MTCP_EVENTFD_SEMAPHORE;
	if (!found)
		/* before Linux 6.6 nothing shows the flag without consuming */
		degraded_add(s->e->fd, s->e->ino, "fd %d (eventfd): this kernel does not say "
			     "whether it was made with EFD_SEMAPHORE; after a restart it is a "
			     "plain counter", s->e->fd);
	return fd_emit(s, s->link, MTCP_REC_EVENTFD, &r, sizeof(r), NULL, 0);
}
