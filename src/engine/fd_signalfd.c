/* SPDX-License-Identifier: MIT */
/*
 * fd_signalfd.c - save half of signalfds: the mask, from /proc/self/fdinfo
 * ("sigmask:", hex).  The signals pending for it are the process's and the
 * threads' own, saved with them.
 */
#include "engine.h"
#include "fd_save.h"

#include <string.h>

int fdk_signalfd_save(struct fd_save *s)
{
	struct engine *e = &mtcp_engine;
	char *info = e->scratch + SCRATCH_FD_INFO_OFF;
	struct mtcp_rec_signalfd r;
	int found = 0;
	long n = fd_read_fdinfo(s->e->fd, info, SCRATCH_FD_INFO_LEN);

	memset(&r, 0, sizeof(r));
	if (n >= 0)
		r.mask = fd_info_u64(info, "sigmask:", 16, &found);
	if (!found)
		return fd_save_unsupported(s, "its mask cannot be read");
	return fd_emit(s, s->link, MTCP_REC_SIGNALFD, &r, sizeof(r), NULL, 0);
}
