/* SPDX-License-Identifier: MIT */
/*
 * fd_epoll.c - save half of epoll fds (not written yet: named as unsupported).
 */
#include "fd_save.h"

int fdk_epoll_save(struct fd_save *s)
{
	return fd_save_unsupported(s, "");
}
