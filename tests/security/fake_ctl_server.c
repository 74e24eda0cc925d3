/* SPDX-License-Identifier: MIT */
/*
 * fake_ctl_server.c: the impostor of multiuser.sh. Run by another user
 * ("bob"), it listens where a process's control socket is looked for and
 * answers every request as a process under libmtcp-fast would, with an
 * image path of its own choosing:
 *
 *   fake_ctl_server --image FAKEPATH [--path SOCKETPATH] [--abstract NAME]
 *
 * --path binds a socket file (e.g. /tmp/mtcp-UID/ctl.PID in a directory
 * bob made first); --abstract binds the abstract name NAME (the control
 * socket's name before issue 8, "mtcp-fast.PID"). It prints "bound WHAT"
 * or "cannot bind WHAT: REASON" for each, then "listening" (or exits 1
 * when nothing could be bound), and "served" for each client it answered:
 * "ACCEPTED" then "OK FAKEPATH". It runs until killed.
 */
#include <errno.h>
#include <poll.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static int listen_at(const char *name, int abstract)
{
	struct sockaddr_un a;
	size_t n = strlen(name);
	socklen_t len;
	int fd;

	memset(&a, 0, sizeof(a));
	a.sun_family = AF_UNIX;
	if (n + 2 > sizeof(a.sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(a.sun_path + (abstract ? 1 : 0), name, n);
	/* an abstract name is exactly its bytes after the leading NUL */
	len = abstract ? (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + n)
		       : (socklen_t)sizeof(a);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (bind(fd, (struct sockaddr *)&a, len) ||
	    listen(fd, 16)) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

int main(int argc, char **argv)
{
	const char *image = NULL, *path = NULL, *abstract = NULL;
	struct pollfd p[2];
	int np = 0;

	for (int i = 1; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--image"))
			image = argv[i + 1];
		else if (!strcmp(argv[i], "--path"))
			path = argv[i + 1];
		else if (!strcmp(argv[i], "--abstract"))
			abstract = argv[i + 1];
	}
	if (!image || (!path && !abstract)) {
		fprintf(stderr, "usage: fake_ctl_server --image FAKEPATH [--path P] [--abstract NAME]\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (path) {
		int fd = listen_at(path, 0);
		if (fd >= 0) {
			p[np++].fd = fd;
			printf("bound %s\n", path);
		} else {
			printf("cannot bind %s: %s\n", path, strerror(errno));
		}
	}
	if (abstract) {
		int fd = listen_at(abstract, 1);
		if (fd >= 0) {
			p[np++].fd = fd;
			printf("bound @%s\n", abstract);
		} else {
			printf("cannot bind @%s: %s\n", abstract, strerror(errno));
		}
	}
	if (!np)
		return 1;
	printf("listening\n");
	for (;;) {
		for (int i = 0; i < np; i++)
			p[i].events = POLLIN;
		if (poll(p, (nfds_t)np, -1) < 0)
			continue;
		for (int i = 0; i < np; i++) {
			char buf[256], answer[4200];
			struct pollfd c;
			int fd, n;

			if (!(p[i].revents & POLLIN))
				continue;
			fd = accept4(p[i].fd, NULL, NULL, SOCK_CLOEXEC);
			if (fd < 0)
				continue;
			/* whatever the request, a second at most to send it */
			c.fd = fd;
			c.events = POLLIN;
			if (poll(&c, 1, 1000) == 1)
				(void)!read(fd, buf, sizeof(buf));
			n = snprintf(answer, sizeof(answer), "ACCEPTED\nOK %s\n", image);
			if (n > 0 && write(fd, answer, (size_t)n) == n)
				printf("served\n");
			close(fd);
		}
	}
}
