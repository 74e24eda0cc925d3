/* SPDX-License-Identifier: MIT */
/*
 * fd_eventfd.c - save half of eventfd fds (not written yet: named as unsupported).
 */
#include "fd_save.h"

int fdk_eventfd_save(struct fd_save *s)
{
	return fd_save_unsupported(s, "");
}
