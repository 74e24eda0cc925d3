/* SPDX-License-Identifier: MIT */
/*
 * fd_signalfd.c - save half of signalfd fds (not written yet: named as unsupported).
 */
#include "fd_save.h"

int fdk_signalfd_save(struct fd_save *s)
{
	return fd_save_unsupported(s, "");
}
