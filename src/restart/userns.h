/* SPDX-License-Identifier: MIT */
/*
 * userns.h - restarting with the old pid and tids without privileges: a
 * new user, pid and mount namespace in which this user may choose pids.
 */
#ifndef MTCP_USERNS_H
#define MTCP_USERNS_H

#include <stddef.h>

/* 1 if this process may not pick pids in its own pid namespace. */
int userns_needed(void);
/* Enters the namespaces; returns 0, or -errno with a reason. */
int userns_enter(char *err, size_t errlen);
/* In the namespace's first process: a private /proc of the new pid namespace. */
int userns_mount_proc(char *err, size_t errlen);

#endif
