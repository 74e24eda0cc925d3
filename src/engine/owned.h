/* SPDX-License-Identifier: MIT */
/*
 * owned.h - what belongs to the library and not to the program: its file
 * descriptors and its threads.  One piece of engine state: each module
 * registers what it creates and removes what it closes or stops, and
 * whoever must tell the program's fds and threads from the library's
 * (the fd records, the suspension) asks here, without knowing who owns
 * what.
 *
 *   fds   the control socket's listening sockets and clients, the broker
 *         (ctl.c); the image being written, its O_DIRECT twin and the
 *         io_uring ring (checkpoint.c).  Never saved in an image, and
 *         close-on-exec: owned_fd_add() sets FD_CLOEXEC.
 *   tids  the writer's helper threads (checkpoint.c): never signalled,
 *         never saved.  The control thread is not here: it is saved (and
 *         recreated) like a program thread, and only not suspended
 *         (mtcp_engine.ctl_tid).
 *
 * A restarted process starts with nothing owned (owned_forget): the
 * numbers the checkpointed process had may be the program's now, and are
 * never closed.  A fork()ed child forgets too, after closing what it
 * inherited.
 *
 * Lock-free and raw (no libc), usable while the program is parked.  The
 * sets are written by one thread at a time (the control thread; before it
 * exists, or in a forked child, the only thread); the answers are read
 * with atomic loads.
 */
#ifndef MTCP_OWNED_H
#define MTCP_OWNED_H

#include <sys/types.h>

#define OWNED_MAX_FDS 128
#define OWNED_MAX_TIDS 16

/* 0, or -ENOSPC when OWNED_MAX_FDS are owned already (the caller closes
 * fd then).  Adding an fd twice is one entry. */
int owned_fd_add(int fd);
void owned_fd_del(int fd);
int owned_fd_is(int fd);

int owned_tid_add(pid_t tid);
void owned_tid_del(pid_t tid);
int owned_tid_is(pid_t tid);

/* Nothing is owned any more (after a restart; in a forked child). */
void owned_forget(void);

#endif
