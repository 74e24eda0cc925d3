/* SPDX-License-Identifier: MIT */
/*
 * fd_socket.c - save half of sockets of families other than AF_UNIX: a
 * SOCKET record (docs/format.md, "SOCKET").
 *
 * A connection's state lives in its peer too, which the checkpoint does
 * not have: connections (TCP in any state but LISTEN and CLOSE, a UDP
 * socket connect()ed to a peer) are recorded as CLOSED and come back as
 * connections closed by their peer.  A TCP listener is recorded with its
 * address and backlog and listens again at restart; an unconnected inet
 * datagram or stream socket comes back as a fresh socket bound to the same
 * address; a netlink socket as a fresh one bound to the same multicast
 * groups (requests in progress are lost: a degraded note).  Other
 * families (packet, vsock, alg...) are not saved.
 */
#include "engine.h"
#include "fd_save.h"
#include "fd_sockdiag.h"
#include "syscall.h"
#include "sock_text.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <linux/netlink.h>
#include <linux/tcp.h>

/* The options a restart sets again (MTCP_SOCKOPT_*). */
static uint32_t socket_options(int fd, int family, int protocol)
{
	static const struct {
		int level, opt;
		uint32_t bit;
	} o[] = {
		{ SOL_SOCKET, SO_REUSEADDR, MTCP_SOCKOPT_REUSEADDR },
		{ SOL_SOCKET, SO_REUSEPORT, MTCP_SOCKOPT_REUSEPORT },
		{ IPPROTO_IPV6, IPV6_V6ONLY, MTCP_SOCKOPT_V6ONLY },
		{ SOL_SOCKET, SO_KEEPALIVE, MTCP_SOCKOPT_KEEPALIVE },
		{ IPPROTO_TCP, TCP_NODELAY, MTCP_SOCKOPT_NODELAY },
		{ SOL_SOCKET, SO_BROADCAST, MTCP_SOCKOPT_BROADCAST },
	};
	uint32_t on = 0;

	for (size_t i = 0; i < sizeof(o) / sizeof(o[0]); i++) {
		int v = 0;
		if (o[i].level == IPPROTO_IPV6 && family != AF_INET6)
			continue;
		if (o[i].level == IPPROTO_TCP && protocol != IPPROTO_TCP && protocol != 0)
			continue;
		if (!fd_sockopt_int(fd, o[i].level, o[i].opt, &v) && v)
			on |= o[i].bit;
	}
	return on;
}

static const char *proto_name(int type, int protocol)
{
	if (type == SOCK_STREAM)
		return protocol == IPPROTO_TCP || protocol == 0 ? "TCP" : "stream";
	if (type == SOCK_DGRAM)
		return protocol == IPPROTO_UDP || protocol == 0 ? "UDP" : "datagram";
	return "socket";
}

/*
 * Socket options that no record keeps, set away from their defaults: each
 * is named (a restart gives the default).  The options the records do
 * keep are not looked at here.
 */
void fd_note_unsaved_sockopts(const struct fd_save *s)
{
	static const struct {
		int opt;
		const char *name;
	} tv[] = { { SO_RCVTIMEO, "SO_RCVTIMEO" }, { SO_SNDTIMEO, "SO_SNDTIMEO" } };
	struct timeval t;
	struct linger lg;
	socklen_t l;
	int v, fd = s->e->fd;

	for (size_t i = 0; i < sizeof(tv) / sizeof(tv[0]); i++) {
		l = sizeof(t);
		memset(&t, 0, sizeof(t));
		if (!raw_syscall5(SYS_getsockopt, fd, SOL_SOCKET, tv[i].opt, (long)&t, (long)&l) &&
		    (t.tv_sec || t.tv_usec))
			degraded_add(fd, s->e->ino, "fd %d (%s): its %s (%ld.%06ld s) is not kept; "
				     "after a restart it has none", fd, s->link, tv[i].name,
				     (long)t.tv_sec, (long)t.tv_usec);
	}
	l = sizeof(lg);
	memset(&lg, 0, sizeof(lg));
	if (!raw_syscall5(SYS_getsockopt, fd, SOL_SOCKET, SO_LINGER, (long)&lg, (long)&l) &&
	    lg.l_onoff)
		degraded_add(fd, s->e->ino, "fd %d (%s): its SO_LINGER (%d s) is not kept", fd,
			     s->link, lg.l_linger);
	if (!fd_sockopt_int(fd, SOL_SOCKET, SO_RCVLOWAT, &v) && v > 1)
		degraded_add(fd, s->e->ino, "fd %d (%s): its SO_RCVLOWAT (%d) is not kept", fd,
			     s->link, v);
	if (!fd_sockopt_int(fd, SOL_SOCKET, SO_PRIORITY, &v) && v)
		degraded_add(fd, s->e->ino, "fd %d (%s): its SO_PRIORITY (%d) is not kept", fd,
			     s->link, v);
}

int fdk_socket_save(struct fd_save *s)
{
	struct mtcp_rec_socket r;
	struct sockaddr_storage me, peer;
	socklen_t ml = sizeof(me), pl = sizeof(peer);
	char here[80], there[80];
	int fd = s->e->fd, family = 0, type = 0, protocol = 0, acc = 0, connected;

	memset(&r, 0, sizeof(r));
	memset(&me, 0, sizeof(me));
	fd_sockopt_int(fd, SOL_SOCKET, SO_DOMAIN, &family);
	fd_sockopt_int(fd, SOL_SOCKET, SO_TYPE, &type);
	fd_sockopt_int(fd, SOL_SOCKET, SO_PROTOCOL, &protocol);
	fd_sockopt_int(fd, SOL_SOCKET, SO_ACCEPTCONN, &acc);
	r.family = (uint32_t)family;
	r.type = (uint32_t)type;
	r.protocol = (uint32_t)protocol;
	if (raw_syscall3(SYS_getsockname, fd, (long)&me, (long)&ml) || ml > sizeof(me))
		ml = 0;
	connected = !raw_syscall3(SYS_getpeername, fd, (long)&peer, (long)&pl);

	if (family == AF_NETLINK) {
		struct sockaddr_nl *nl = (struct sockaddr_nl *)&me;
		r.state = MTCP_SOCKET_OTHER;
		if (ml >= sizeof(*nl)) {
			nl->nl_pid = 0; /* the kernel gives a new port id */
			r.name_len = sizeof(*nl);
		}
		degraded_add(fd, s->e->ino, "fd %d (netlink socket, protocol %d) comes back as a "
			     "new socket bound to the same groups; requests in progress and "
			     "messages queued on it are lost", fd, protocol);
		return fd_emit(s, s->link, MTCP_REC_SOCKET, &r, sizeof(r), &me, r.name_len);
	}
	if ((family != AF_INET && family != AF_INET6) ||
	    (type != SOCK_STREAM && type != SOCK_DGRAM)) {
		char what[64];
		snprintf(what, sizeof(what), "a socket of family %d, type %d", family, type);
		return fd_save_unsupported(s, what);
	}
	sock_inet_text(&me, here, sizeof(here));
	r.name_len = ml;
	r.options = socket_options(fd, family, protocol);
	if (type == SOCK_STREAM && acc) {
		uint32_t waiting = 0;
		r.state = MTCP_SOCKET_LISTEN;
		if (sockdiag_inet_backlog(family, protocol ? protocol : IPPROTO_TCP, s->e->ino,
					  &r.backlog, &waiting))
			r.backlog = 4096; /* unknown: the kernel caps it at somaxconn */
		if (waiting)
			degraded_add(fd, s->e->ino, "fd %d (%s listening on %s): %u connection%s "
				     "not accepted yet %s lost", fd, proto_name(type, protocol), here,
				     waiting, waiting == 1 ? "" : "s", waiting == 1 ? "is" : "are");
	} else if (type == SOCK_STREAM) {
		struct tcp_info ti;
		socklen_t tl = sizeof(ti);
		memset(&ti, 0, sizeof(ti));
		/* connecting, connected or closing: a connection; closed, but
		 * segments went out (a connection that ended, one restored
		 * closed): the same (TCP_CLOSE: 7) */
		if (connected ||
		    (protocol == IPPROTO_TCP &&
		     !raw_syscall5(SYS_getsockopt, fd, IPPROTO_TCP, TCP_INFO, (long)&ti, (long)&tl) &&
		     (ti.tcpi_state != 7 || ti.tcpi_segs_out || ti.tcpi_segs_in)))
			r.state = MTCP_SOCKET_CLOSED;
		else
			r.state = MTCP_SOCKET_OTHER;
	} else {
		int queued = 0;
		r.state = connected ? MTCP_SOCKET_CLOSED : MTCP_SOCKET_OTHER;
		if (!connected && !raw_syscall3(SYS_ioctl, fd, FIONREAD, (long)&queued) && queued > 0)
			degraded_add(fd, s->e->ino, "fd %d (%s socket on %s): the datagrams queued "
				     "on it are lost", fd, proto_name(type, protocol), here);
	}
	if (r.state == MTCP_SOCKET_CLOSED && fd > 2) { /* 0-2 become mtcp_restart's */
		if (connected)
			sock_inet_text(&peer, there, sizeof(there));
		else
			snprintf(there, sizeof(there), "(connecting)");
		degraded_add(fd, s->e->ino, "fd %d (%s connection %s -> %s) comes back as a "
			     "connection closed by its peer", fd, proto_name(type, protocol), here,
			     there);
	}
	if (r.state != MTCP_SOCKET_CLOSED)
		fd_note_unsaved_sockopts(s);
	return fd_emit(s, s->link, MTCP_REC_SOCKET, &r, sizeof(r), &me, r.name_len);
}
