/* SPDX-License-Identifier: MIT */
/*
 * fd_sockdiag.h - what sock_diag (NETLINK_SOCK_DIAG) says about the
 * program's sockets, for fd_unix.c and fd_socket.c: raw system calls, no
 * malloc; the answers are read into the SCRATCH_FD_INFO piece.
 */
#ifndef MTCP_FD_SOCKDIAG_H
#define MTCP_FD_SOCKDIAG_H

#include <stdint.h>

/* One AF_UNIX socket, as unix_diag describes it. */
struct sockdiag_unix {
	uint32_t ino;
	uint8_t type;          /* SOCK_STREAM ... */
	uint8_t state;         /* TCP_LISTEN, TCP_ESTABLISHED, TCP_CLOSE */
	uint8_t shutdown;      /* RCV_SHUTDOWN 1 | SEND_SHUTDOWN 2 */
	uint8_t has_peer;      /* it has (or had: peer_ino 0) a peer */
	uint32_t peer_ino;     /* 0: the peer is gone, or a connection not accepted yet */
	uint8_t has_rqlen, has_vfs, pad[2];
	uint32_t rqueue;       /* listener: connections waiting; others: bytes queued */
	uint32_t wqueue;       /* listener: its backlog; others: bytes sent not read */
	uint32_t vfs_ino, vfs_dev; /* a socket bound to a path: the path's inode */
	uint32_t name_len;     /* bytes of sun_path (a leading NUL: abstract), 0: unbound */
	char name[108];
	uint32_t nicons;       /* listener: inodes of the clients of its waiting
	                          connections, in the order accept() takes them */
	const uint32_t *icons; /* into the scratch answer: valid until the next query */
};

/* The socket with inode `ino`: 0, -ENOENT (none), or -errno (no sock_diag). */
int sockdiag_unix_get(uint32_t ino, struct sockdiag_unix *out);

/* The listen() backlog of the listening inet socket with inode `ino`
 * (family AF_INET or AF_INET6, protocol IPPROTO_TCP), and the connections
 * waiting in it: 0, or -errno. */
int sockdiag_inet_backlog(int family, int protocol, uint64_t ino, uint32_t *backlog,
			  uint32_t *waiting);

#endif
