/* SPDX-License-Identifier: MIT */
/*
 * userns.h - restarting with the old pid and tids without privileges: a
 * new user, pid and mount namespace in which this user may choose pids.
 */
#ifndef MTCP_USERNS_H
#define MTCP_USERNS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/*
 * clone3() as fork(): a child with exit signal SIGCHLD, created with flags
 * (CLONE_NEWUSER | CLONE_NEWPID, or 0), and with pid want in the innermost
 * pid namespace (set_tid) if want > 0.  Returns as fork() does (errno set
 * on -1).  mtcp_restart and mtcp_check's probe both create processes so.
 */
pid_t userns_clone3(pid_t want, uint64_t flags);
/* 1 if this process may not pick pids in its own pid namespace. */
int userns_needed(void);
/*
 * The namespaces are made by clone3(CLONE_NEWUSER | CLONE_NEWPID) for the
 * namespace's first process, so that mtcp_restart itself stays outside,
 * in the initial user namespace (its control-socket broker must judge
 * clients there).  From outside, the parent maps the child's namespace:
 * the same uid and gid inside.  Returns 0, or -errno with a reason.
 */
int userns_map(pid_t child, char *err, size_t errlen);
/* In the namespace's first process: a private /proc of the new pid namespace. */
int userns_mount_proc(char *err, size_t errlen);

#endif
