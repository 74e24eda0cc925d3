/* SPDX-License-Identifier: MIT */
/*
 * fd_socket.c - save half of socket fds (not written yet: named as unsupported).
 */
#include "fd_save.h"

int fdk_socket_save(struct fd_save *s)
{
	return fd_save_unsupported(s, "");
}
