/* SPDX-License-Identifier: MIT */
/*
 * fd_unix.c - save half of unix fds (not written yet: named as unsupported).
 */
#include "fd_save.h"

int fdk_unix_save(struct fd_save *s)
{
	return fd_save_unsupported(s, "");
}
