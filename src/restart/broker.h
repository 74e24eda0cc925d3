/* SPDX-License-Identifier: MIT */
/*
 * broker.h - mtcp_restart's control-socket broker for a program restored
 * in a new user and pid namespace (an unprivileged restart).
 *
 * In there the program cannot judge its clients: SO_PEERCRED is
 * translated into its user namespace, where every uid but the owner's is
 * the overflow uid (root too), and its pid means nothing outside.  So the
 * program binds nothing (mtcp_restart_info.in_pidns = 1), and mtcp_restart,
 * outside, does it for it:
 *
 *   - binds /tmp/mtcp-<owner>/ctl.<pid> for each pid it is given (the
 *     program's pid as the host sees it, mtcp_restart's own pid), with the
 *     checks of ctl_path.h;
 *   - accepts in a thread of its own, checks SO_PEERCRED in the host's
 *     terms (uid == owner, or 0), answers "ERR permission denied" to
 *     anyone else;
 *   - passes each accepted connection to the program over a socketpair
 *     (SOCK_SEQPACKET, one fd per message, SCM_RIGHTS) and closes its own
 *     copy.  The program's control thread (src/engine/ctl.c) takes it like
 *     a connection of its own.  If the program does not take them fast
 *     enough, the client gets "ERR too many clients".
 *
 * The broker never blocks its caller, and stops by itself when the
 * program's end of the socketpair is closed (the program died): it
 * removes its names then.  mtcp_checkpoint accepts the broker as the
 * peer for the program's pid because it is the program's ancestor, and
 * for mtcp_restart's pid because it is that pid (docs/tools.md).
 *
 * It must run outside the program's user namespace (that is the point):
 * broker_start() refuses when it finds itself in a user namespace other
 * than the initial one that the program shares.
 *
 * Use, in mtcp_restart:
 *
 *   struct broker b;
 *   broker_prepare(&b, err, sizeof(err));        before the clone
 *   ...  the restored program gets b.program_fd as
 *        mtcp_restart_info.broker_fd (and in_pidns = 1); the restorer
 *        must not close it.  In every child of mtcp_restart:
 *        broker_child_side(&b).  In mtcp_restart, after the clone:
 *        broker_parent_side(&b);
 *   ...  once the program runs ("R" on the status pipe):
 *   pid_t pids[2] = { program_pid_outside, getpid() };
 *   rc = broker_start(&b, geteuid(), pids, 2, err, sizeof(err));
 *        rc < 0: nothing bound (say why); rc > 0: some names not bound
 *   ...  supervise
 *   broker_stop(&b);                              before exiting
 *
 * Functions that can fail return -errno (or as described) and put one
 * line in err.
 */
#ifndef MTCP_BROKER_H
#define MTCP_BROKER_H

#include <pthread.h>
#include <stddef.h>
#include <sys/types.h>

#include "ctl_path.h"

#define BROKER_MAX_PIDS 4

struct broker {
	int program_fd;          /* the program's end of the socketpair, or -1 */
	/* the rest is the broker's own */
	int own_fd;              /* our end, or -1 */
	int stop_fd[2];          /* a pipe: broker_stop() wakes the thread */
	int listen_fd[BROKER_MAX_PIDS];
	struct ctl_name names[BROKER_MAX_PIDS];
	int nlisten;
	uid_t owner;
	pthread_t thread;
	int running;             /* the thread was started and not joined */
};

/* Makes the socketpair.  b->program_fd goes to the restored program.
 * Every other field is set too: broker_stop() is safe after this. */
int broker_prepare(struct broker *b, char *err, size_t errlen);

/* In mtcp_restart after the clone: closes its copy of the program's end
 * (otherwise the program's death would not be seen). */
void broker_parent_side(struct broker *b);

/* In a child of mtcp_restart (the namespace's init, the program before
 * it is restored): closes the broker's end, keeps program_fd. */
void broker_child_side(struct broker *b);

/*
 * Binds ctl.<pid> in /tmp/mtcp-<owner>/ for each of the npids pids
 * (at most BROKER_MAX_PIDS; 0 and duplicates are skipped) and starts the
 * accepting thread, with every signal blocked.  Returns 0 when every name
 * is bound, the number of names that could not be (> 0: err says why for
 * the last one; the others are served), or -errno when none could (no
 * thread runs).
 */
int broker_start(struct broker *b, uid_t owner, const pid_t *pids, int npids, char *err,
		 size_t errlen);

/* Stops the thread (if it runs), removes the names, closes every fd.
 * Idempotent. */
void broker_stop(struct broker *b);

#endif
