/* SPDX-License-Identifier: MIT */
/*
 * fd_sockdiag.c - sock_diag queries for the save halves of sockets
 * (fd_sockdiag.h).  /proc/self/fdinfo says nothing of a socket's peer;
 * unix_diag does: UNIX_DIAG_PEER names the peer's inode, UNIX_DIAG_ICONS
 * the clients waiting on a listener, UNIX_DIAG_RQLEN a listener's backlog.
 * One netlink socket per query (a checkpoint makes a few), raw system
 * calls, the answer in the SCRATCH_FD_INFO piece.
 */
#include "engine.h"
#include "fd_save.h"
#include "fd_sockdiag.h"
#include "syscall.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <linux/unix_diag.h>

#define ANSWER_LEN (64u << 10) /* a dump's parts are at most 32 KiB */

/* Sends req and hands every answer message to fn until the answer ends
 * (one message, or NLMSG_DONE for a dump).  fn returns 0 to go on, 1 to
 * stop, or -errno.  0, or -errno (an NLMSG_ERROR's error included). */
static int query(void *req, size_t len, int dump,
		 int (*fn)(const struct nlmsghdr *h, void *arg), void *arg)
{
	char *buf = mtcp_engine.scratch + SCRATCH_FD_INFO_OFF;
	struct sockaddr_nl nl;
	struct nlmsghdr *rh = req;
	long fd = raw_syscall3(SYS_socket, AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC,
			       NETLINK_SOCK_DIAG);
	int rc = 0, done = 0;

	if (fd < 0)
		return (int)fd;
	memset(&nl, 0, sizeof(nl));
	nl.nl_family = AF_NETLINK;
	rh->nlmsg_len = (uint32_t)len;
	rh->nlmsg_type = SOCK_DIAG_BY_FAMILY;
	rh->nlmsg_flags = NLM_F_REQUEST | (dump ? NLM_F_DUMP : 0);
	rh->nlmsg_seq = 1;
	long n = raw_syscall6(SYS_sendto, fd, (long)req, (long)len, 0, (long)&nl, sizeof(nl));
	if (n < 0) {
		raw_syscall1(SYS_close, fd);
		return (int)n;
	}
	while (!done && !rc) {
		n = raw_syscall6(SYS_recvfrom, fd, (long)buf, ANSWER_LEN, 0, 0, 0);
		if (n == -EINTR)
			continue;
		if (n <= 0) {
			rc = n ? (int)n : -EIO;
			break;
		}
		for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, (unsigned long)n);
		     h = NLMSG_NEXT(h, n)) {
			if (h->nlmsg_type == NLMSG_DONE) {
				done = 1;
				break;
			}
			if (h->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e = NLMSG_DATA(h);
				rc = e->error ? e->error : 0;
				done = 1;
				break;
			}
			int r = fn(h, arg);
			if (r < 0)
				rc = r;
			if (r || !dump) {
				done = 1;
				break;
			}
		}
	}
	raw_syscall1(SYS_close, fd);
	return rc;
}

static int take_unix(const struct nlmsghdr *h, void *arg)
{
	struct sockdiag_unix *o = arg;
	const struct unix_diag_msg *m = NLMSG_DATA(h);
	long left = (long)h->nlmsg_len - (long)NLMSG_LENGTH(sizeof(*m));
	const struct nlattr *a = (const struct nlattr *)((const char *)m + NLMSG_ALIGN(sizeof(*m)));

	if (left < 0)
		return -EIO;
	o->ino = m->udiag_ino;
	o->type = m->udiag_type;
	o->state = m->udiag_state;
	for (; left >= (long)sizeof(*a) && a->nla_len >= sizeof(*a) && a->nla_len <= left;
	     left -= NLA_ALIGN(a->nla_len),
	     a = (const struct nlattr *)((const char *)a + NLA_ALIGN(a->nla_len))) {
		const void *d = (const char *)a + NLA_HDRLEN;
		uint32_t dl = a->nla_len - NLA_HDRLEN;
		switch (a->nla_type & NLA_TYPE_MASK) {
		case UNIX_DIAG_NAME:
			o->name_len = dl > sizeof(o->name) ? sizeof(o->name) : dl;
			memcpy(o->name, d, o->name_len);
			break;
		case UNIX_DIAG_VFS:
			if (dl >= sizeof(struct unix_diag_vfs)) {
				const struct unix_diag_vfs *v = d;
				o->vfs_ino = v->udiag_vfs_ino;
				o->vfs_dev = v->udiag_vfs_dev;
				o->has_vfs = 1;
			}
			break;
		case UNIX_DIAG_PEER:
			if (dl >= 4) {
				memcpy(&o->peer_ino, d, 4);
				o->has_peer = 1;
			}
			break;
		case UNIX_DIAG_ICONS:
			o->nicons = dl / 4;
			o->icons = d;
			break;
		case UNIX_DIAG_RQLEN:
			if (dl >= sizeof(struct unix_diag_rqlen)) {
				const struct unix_diag_rqlen *q = d;
				o->rqueue = q->udiag_rqueue;
				o->wqueue = q->udiag_wqueue;
				o->has_rqlen = 1;
			}
			break;
		case UNIX_DIAG_SHUTDOWN:
			if (dl >= 1)
				o->shutdown = *(const uint8_t *)d;
			break;
		}
	}
	return 1;
}

int sockdiag_unix_get(uint32_t ino, struct sockdiag_unix *out)
{
	struct {
		struct nlmsghdr h;
		struct unix_diag_req r;
	} req;

	memset(out, 0, sizeof(*out));
	memset(&req, 0, sizeof(req));
	req.r.sdiag_family = AF_UNIX;
	req.r.udiag_states = ~0u;
	req.r.udiag_ino = ino;
	req.r.udiag_show = UDIAG_SHOW_NAME | UDIAG_SHOW_VFS | UDIAG_SHOW_PEER | UDIAG_SHOW_ICONS |
			   UDIAG_SHOW_RQLEN;
	req.r.udiag_cookie[0] = req.r.udiag_cookie[1] = INET_DIAG_NOCOOKIE;
	int rc = query(&req, sizeof(req), 0, take_unix, out);
	if (!rc && out->ino != ino)
		rc = -ENOENT;
	return rc;
}

struct inet_find {
	uint64_t ino;
	uint32_t backlog, waiting;
	int found;
};

static int take_inet(const struct nlmsghdr *h, void *arg)
{
	struct inet_find *f = arg;
	const struct inet_diag_msg *m = NLMSG_DATA(h);

	if (h->nlmsg_len < NLMSG_LENGTH(sizeof(*m)) || m->idiag_inode != f->ino)
		return 0;
	f->backlog = m->idiag_wqueue; /* a listener's: sk_max_ack_backlog */
	f->waiting = m->idiag_rqueue; /* and sk_ack_backlog */
	f->found = 1;
	return 1;
}

int sockdiag_inet_backlog(int family, int protocol, uint64_t ino, uint32_t *backlog,
			  uint32_t *waiting)
{
	struct {
		struct nlmsghdr h;
		struct inet_diag_req_v2 r;
	} req;
	struct inet_find f = { ino, 0, 0, 0 };

	memset(&req, 0, sizeof(req));
	req.r.sdiag_family = (uint8_t)family;
	req.r.sdiag_protocol = (uint8_t)protocol;
	req.r.idiag_states = 1u << 10; /* TCP_LISTEN */
	int rc = query(&req, sizeof(req), 1, take_inet, &f);
	if (rc)
		return rc;
	if (!f.found)
		return -ENOENT;
	*backlog = f.backlog;
	*waiting = f.waiting;
	return 0;
}
