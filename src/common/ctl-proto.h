/* SPDX-License-Identifier: MIT */
/*
 * ctl-proto.h - the protocol between `mtcp_checkpoint PID` and the control
 * thread of a process running under libmtcp-fast.
 *
 * The control thread listens on the unix stream socket
 * /tmp/mtcp-<euid>/ctl.<pid> (ctl_path.h: the directory is checked, and
 * the reasons are in docs/security.md), for its own pid and, after a
 * restart, for the pid of the mtcp_restart that restored it.  Restored in
 * a user and pid namespace, it binds nothing: mtcp_restart, outside,
 * binds the names, checks each client there and passes it on over
 * mtcp_restart_info.broker_fd (src/restart/broker.h).  Only peers whose
 * effective uid is the process's effective uid, or root, are served
 * (SO_PEERCRED).
 *
 *   client -> "CKPT\n"
 *   server -> "ACCEPTED\n"            at once
 *   server -> "PAUSE <ns>\n"           first: how long the program's threads
 *                                     were parked for this checkpoint
 *   server -> "DEGRADED <n>\n"         then, if n objects will not come back
 *                                     as they were (mtcp_restart --verify
 *                                     lists them); nothing if complete
 *   server -> "OK <image path>\n"     when the image is written, or
 *             "ERR <one-line reason>\n"
 *
 * A client that does not wait may close after ACCEPTED.  A request that
 * arrives while a checkpoint runs (a copy-on-write image being written)
 * is answered by the next checkpoint, whose snapshot is taken once this
 * one is done: an answer never comes from a snapshot taken before the
 * request.  EOF before the answer means the process died (or was
 * restarted from this very checkpoint's image by someone else).
 *
 * Refusals, each sent before the connection is closed:
 *   "ERR permission denied"   the peer is neither the process's euid nor root
 *   "ERR too many clients"    every slot is taken (try again later)
 *   "ERR timeout"             no complete request within MTCP_CTL_IDLE_S
 *   "ERR unknown request"     anything but CKPT
 */
#ifndef MTCP_CTL_PROTO_H
#define MTCP_CTL_PROTO_H

#define MTCP_CTL_REQUEST "CKPT\n"
#define MTCP_CTL_ACCEPTED "ACCEPTED"
#define MTCP_CTL_OK "OK "
#define MTCP_CTL_DEGRADED "DEGRADED "
#define MTCP_CTL_PAUSE "PAUSE "
#define MTCP_CTL_ERR "ERR "
#define MTCP_CTL_LINE_MAX 4200

#define MTCP_CTL_ERR_DENIED "permission denied"
#define MTCP_CTL_ERR_BUSY "too many clients"
#define MTCP_CTL_ERR_TIMEOUT "timeout"
#define MTCP_CTL_ERR_UNKNOWN "unknown request"

/* Seconds a client has to send a complete request. */
#define MTCP_CTL_IDLE_S 3
/* Clients served at once (connected, or waiting for a result). */
#define MTCP_CTL_MAX_CLIENTS 64


#endif
