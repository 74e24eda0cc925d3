/* SPDX-License-Identifier: MIT */
/*
 * ctl-proto.h - the protocol between `mtcp_checkpoint PID` and the control
 * thread of a process running under libmtcp-fast.
 *
 * The control thread listens on an abstract unix stream socket named
 * "\0mtcp-fast.<PID>" (MTCP_CTL_NAME_FMT), for its own pid and, after a
 * restart, also for the pid of the mtcp_restart that restored it.  Only
 * peers with the same uid (or root) are served (SO_PEERCRED).
 *
 *   client -> "CKPT\n"
 *   server -> "ACCEPTED\n"            at once
 *   server -> "OK <image path>\n"     when the image is complete, or
 *             "ERR <one-line reason>\n"
 *
 *   client -> "ALIAS <pid>\n"        (mtcp_restart, in a pid namespace)
 *   server -> "OK\n"                  and listens as "mtcp-fast.<pid>" too
 *
 * A client that does not wait may close after ACCEPTED.  A request that
 * arrives while a checkpoint runs is answered with that checkpoint's
 * result.  EOF before the answer means the process died (or was
 * restarted from this very checkpoint's image by someone else).
 */
#ifndef MTCP_CTL_PROTO_H
#define MTCP_CTL_PROTO_H

#define MTCP_CTL_NAME_FMT "mtcp-fast.%d" /* after a leading NUL byte */
#define MTCP_CTL_REQUEST "CKPT\n"
#define MTCP_CTL_ALIAS "ALIAS "
#define MTCP_CTL_ACCEPTED "ACCEPTED"
#define MTCP_CTL_OK "OK "
#define MTCP_CTL_ERR "ERR "
#define MTCP_CTL_LINE_MAX 4200

#endif
