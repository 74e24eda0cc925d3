/* SPDX-License-Identifier: MIT */
/*
 * fd_inotify.c - save half of inotify fds (not written yet: named as unsupported).
 */
#include "fd_save.h"

int fdk_inotify_save(struct fd_save *s)
{
	return fd_save_unsupported(s, "");
}
