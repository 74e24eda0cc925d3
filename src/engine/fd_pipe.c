/* SPDX-License-Identifier: MIT */
/*
 * fd_pipe.c - save half of pipe fds (not written yet: named as unsupported).
 */
#include "fd_save.h"

int fdk_pipe_save(struct fd_save *s)
{
	return fd_save_unsupported(s, "");
}
