/* SPDX-License-Identifier: MIT */
/*
 * fdr_socket.c - restore half of sockets of other families than AF_UNIX
 * (docs/format.md, "SOCKET").
 *
 *   LISTEN  a new socket of the same family, type and protocol, with
 *           SO_REUSEADDR (connections of the old process may linger in
 *           TIME_WAIT), bound to the same address and port, listening.
 *   CLOSED  a connection closed by its peer.  TCP: a real TCP connection
 *           over the loopback interface whose other end is closed and
 *           which is shut down for writing: reads give 0, writes EPIPE
 *           and SIGPIPE, and the fd is still an AF_INET(6) stream socket.
 *           Where loopback cannot be used, and for a connected datagram
 *           socket, an AF_UNIX socketpair of the same type whose other
 *           end is closed (then SO_DOMAIN says AF_UNIX).
 *   OTHER   a new socket, bound to the same address if it was bound (a
 *           port of the ephemeral range that is taken now is left to the
 *           kernel, with a warning; any other port is an error); netlink:
 *           bound to the same groups.
 */
#include "fd_restore.h"
#include "image_reader.h"
#include "sock_text.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int inet_port(const struct sockaddr_storage *a)
{
	if (a->ss_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)a)->sin_port);
	if (a->ss_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)a)->sin6_port);
	return -1;
}

/* A port the kernel hands out by itself (ip_local_port_range). */
static int ephemeral(int port)
{
	int lo = 32768, hi = 60999;
	FILE *f = fopen("/proc/sys/net/ipv4/ip_local_port_range", "re");

	if (f) {
		if (fscanf(f, "%d %d", &lo, &hi) != 2) {
			lo = 32768;
			hi = 60999;
		}
		fclose(f);
	}
	return port >= lo && port <= hi;
}

/* A TCP connection over loopback, closed by its peer and shut down for
 * writing; -1 if loopback cannot be used. */
static int closed_tcp(int family)
{
	struct sockaddr_storage a;
	socklen_t al;
	int l = -1, s = -1, p = -1;

	memset(&a, 0, sizeof(a));
	if (family == AF_INET) {
		struct sockaddr_in *in = (struct sockaddr_in *)&a;
		in->sin_family = AF_INET;
		in->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		al = sizeof(*in);
	} else {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&a;
		in6->sin6_family = AF_INET6;
		in6->sin6_addr = in6addr_loopback;
		al = sizeof(*in6);
	}
	l = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (l < 0 || bind(l, (struct sockaddr *)&a, al) < 0 || listen(l, 1) < 0 ||
	    getsockname(l, (struct sockaddr *)&a, &al) < 0)
		goto fail;
	s = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0 || connect(s, (struct sockaddr *)&a, al) < 0)
		goto fail;
	p = accept4(l, NULL, NULL, SOCK_CLOEXEC);
	if (p < 0)
		goto fail;
	close(l);
	close(p);
	/* the peer's FIN arrives at once over loopback; wait for it a little */
	struct pollfd pf = { s, POLLRDHUP, 0 };
	poll(&pf, 1, 1000);
	shutdown(s, SHUT_WR);
	return s;
fail:
	if (l >= 0)
		close(l);
	if (s >= 0)
		close(s);
	return -1;
}

static int closed_pair(struct fdr_ctx *c, const struct img_fd *f, int type)
{
	int sv[2];

	if (socketpair(AF_UNIX, type | SOCK_CLOEXEC, 0, sv) < 0)
		return fdr_fail(c, "fd %u: socketpair: %s", f->rec.fd, strerror(errno));
	close(sv[1]);
	if (type != SOCK_DGRAM)
		shutdown(sv[0], SHUT_WR);
	return sv[0];
}

/* The options the socket had, before it is bound (REUSEPORT and V6ONLY
 * matter to bind); one that cannot be set is a warning. */
static void set_options(const struct fdr_ctx *c, const struct img_fd *f, int fd, uint32_t on)
{
	static const struct {
		int level, opt;
		uint32_t bit;
		const char *name;
	} o[] = {
		{ SOL_SOCKET, SO_REUSEADDR, MTCP_SOCKOPT_REUSEADDR, "SO_REUSEADDR" },
		{ SOL_SOCKET, SO_REUSEPORT, MTCP_SOCKOPT_REUSEPORT, "SO_REUSEPORT" },
		{ IPPROTO_IPV6, IPV6_V6ONLY, MTCP_SOCKOPT_V6ONLY, "IPV6_V6ONLY" },
		{ SOL_SOCKET, SO_KEEPALIVE, MTCP_SOCKOPT_KEEPALIVE, "SO_KEEPALIVE" },
		{ IPPROTO_TCP, TCP_NODELAY, MTCP_SOCKOPT_NODELAY, "TCP_NODELAY" },
		{ SOL_SOCKET, SO_BROADCAST, MTCP_SOCKOPT_BROADCAST, "SO_BROADCAST" },
	};
	int one = 1;

	for (size_t i = 0; i < sizeof(o) / sizeof(o[0]); i++)
		if ((on & o[i].bit) && setsockopt(fd, o[i].level, o[i].opt, &one, sizeof(one)))
			fdr_warn(c, "fd %u: cannot set %s again: %s", f->rec.fd, o[i].name,
				 strerror(errno));
}

int fdr_socket_open(struct fdr_ctx *c, const struct img_fd *f)
{
	struct mtcp_rec_socket r;
	struct sockaddr_storage a;
	char txt[96];
	int fd, one = 1;

	memcpy(&r, f->obj, sizeof(r));
	memset(&a, 0, sizeof(a));
	memcpy(&a, (const char *)f->obj + sizeof(r),
	       r.name_len < sizeof(a) ? r.name_len : sizeof(a));
	sock_inet_text(&a, txt, sizeof(txt));

	if (r.state == MTCP_SOCKET_CLOSED) {
		if (r.type == SOCK_STREAM && (r.family == AF_INET || r.family == AF_INET6)) {
			fd = closed_tcp((int)r.family);
			if (fd >= 0)
				return fd;
		}
		return closed_pair(c, f, r.type == SOCK_STREAM ? SOCK_STREAM : SOCK_DGRAM);
	}
	fd = socket((int)r.family, (int)r.type | SOCK_CLOEXEC, (int)r.protocol);
	if (fd < 0)
		return fdr_fail(c, "fd %u: cannot make a socket of family %u, type %u, protocol "
				"%u: %s", f->rec.fd, r.family, r.type, r.protocol, strerror(errno));
	set_options(c, f, fd, r.options);
	if (r.state == MTCP_SOCKET_LISTEN) {
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(fd, (struct sockaddr *)&a, r.name_len) < 0 ||
		    listen(fd, (int)r.backlog) < 0) {
			int e = errno;
			close(fd);
			return fdr_fail(c, "fd %u: cannot listen on %s again: %s", f->rec.fd, txt,
					strerror(e));
		}
		return fd;
	}
	/* OTHER: bound again if it was */
	if (!r.name_len || (inet_port(&a) == 0 &&
			    (r.family == AF_INET || r.family == AF_INET6)))
		return fd;
	if (bind(fd, (struct sockaddr *)&a, r.name_len) < 0) {
		int e = errno;
		if ((r.family == AF_INET || r.family == AF_INET6) && e == EADDRINUSE &&
		    ephemeral(inet_port(&a))) {
			fdr_warn(c, "fd %u: %s is taken now; the socket is not bound to it", f->rec.fd,
				 txt);
			return fd;
		}
		close(fd);
		return fdr_fail(c, "fd %u: cannot bind a socket to %s again: %s", f->rec.fd,
				r.family == AF_NETLINK ? "its netlink groups" : txt, strerror(e));
	}
	return fd;
}
