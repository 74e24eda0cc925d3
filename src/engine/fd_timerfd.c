/* SPDX-License-Identifier: MIT */
/*
 * fd_timerfd.c - save half of timerfd fds (not written yet: named as unsupported).
 */
#include "fd_save.h"

int fdk_timerfd_save(struct fd_save *s)
{
	return fd_save_unsupported(s, "");
}
