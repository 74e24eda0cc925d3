/* SPDX-License-Identifier: MIT */
/*
 * test_broker.c - mtcp_restart's control broker (src/restart/broker.c)
 * without mtcp_restart: this process is the broker's side, a forked child
 * plays the restored program (it takes clients from program_fd and
 * answers them as a control thread would).
 *
 *   test_broker MTCP_CHECKPOINT
 *
 * Run with MTCP_CTL_DIR set to an empty directory (ctl_channel.sh does).
 * Checks, in order:
 *   - a stale socket left at one of the names is taken over;
 *   - a client reaches the program through ctl.<program> and ctl.<broker>,
 *     and the server it sees (SO_PEERCRED) is the broker;
 *   - the real mtcp_checkpoint --wait accepts the broker for both pids (it
 *     is the program's parent here, its grandparent in mtcp_restart);
 *   - as root: a client of another uid is refused by the broker with
 *     "ERR permission denied" (the directory is opened up for that);
 *   - when the program dies, the broker stops and removes its names;
 *   - broker_stop() after that is harmless, and twice too.
 * Exit 0 (pass), 1 (fail, with a message), 77 (skip).
 */
#include "broker.h"
#include "ctl-proto.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define FAKE_IMAGE "/fake/brokered.mtcp"

static void fail(const char *what, const char *detail)
{
	fprintf(stderr, "test_broker: FAIL: %s%s%s\n", what, detail ? ": " : "",
		detail ? detail : "");
	exit(1);
}

/* The restored program's side: every fd that comes is a client. */
static void program(int fd)
{
	for (;;) {
		union {
			struct cmsghdr h;
			char space[CMSG_SPACE(sizeof(int))];
		} u;
		char byte, line[64];
		struct iovec iov = { &byte, 1 };
		struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.space,
				    .msg_controllen = sizeof(u.space) };
		struct cmsghdr *c;
		const char *answer = MTCP_CTL_ACCEPTED "\n" MTCP_CTL_OK FAKE_IMAGE "\n";
		ssize_t n = recvmsg(fd, &m, 0);
		int client;

		if (n <= 0)
			_exit(0);
		c = CMSG_FIRSTHDR(&m);
		if (!c || c->cmsg_type != SCM_RIGHTS)
			_exit(3);
		memcpy(&client, CMSG_DATA(c), sizeof(int));
		fcntl(client, F_SETFL, 0);
		n = recv(client, line, sizeof(line), 0);
		if (n > 0)
			send(client, answer, strlen(answer), MSG_NOSIGNAL);
		close(client);
	}
}

static int connect_name(const char *dir, pid_t pid)
{
	struct sockaddr_un a;
	int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	memset(&a, 0, sizeof(a));
	a.sun_family = AF_UNIX;
	if ((size_t)snprintf(a.sun_path, sizeof(a.sun_path), "%s/ctl.%d", dir, (int)pid) >=
	    sizeof(a.sun_path))
		fail("the control directory's path is too long", dir);
	if (s < 0 || connect(s, (struct sockaddr *)&a, sizeof(a))) {
		if (s >= 0)
			close(s);
		return -1;
	}
	return s;
}

/* Sends CKPT on ctl.<pid> and returns the whole answer in buf. */
static void ask(const char *dir, pid_t pid, char *buf, size_t len, pid_t *server)
{
	struct ucred cr;
	socklen_t cl = sizeof(cr);
	size_t got = 0;
	int s = connect_name(dir, pid);

	if (s < 0)
		fail("cannot connect to a brokered name", strerror(errno));
	if (getsockopt(s, SOL_SOCKET, SO_PEERCRED, &cr, &cl))
		fail("SO_PEERCRED", strerror(errno));
	*server = cr.pid;
	send(s, MTCP_CTL_REQUEST, strlen(MTCP_CTL_REQUEST), MSG_NOSIGNAL);
	for (;;) {
		struct pollfd p = { .fd = s, .events = POLLIN };
		ssize_t n;
		if (poll(&p, 1, 5000) <= 0)
			fail("no answer through the broker within 5 s", NULL);
		n = recv(s, buf + got, len - 1 - got, 0);
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	buf[got] = '\0';
	close(s);
}

/* Runs cmd (a shell line) and returns its first output line in out. */
static int run(const char *cmd, char *out, size_t len)
{
	FILE *f = popen(cmd, "r");
	int st;

	out[0] = '\0';
	if (!f)
		fail("popen", strerror(errno));
	if (!fgets(out, (int)len, f))
		out[0] = '\0';
	out[strcspn(out, "\n")] = '\0';
	st = pclose(f);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

static int exists(const char *dir, pid_t pid)
{
	char path[CTL_PATH_MAX + 32];
	struct stat st;

	snprintf(path, sizeof(path), "%s/ctl.%d", dir, (int)pid);
	return lstat(path, &st) == 0;
}

int main(int argc, char **argv)
{
	char dir[CTL_PATH_MAX], err[1024], answer[256], cmd[1024], out[512];
	struct broker b;
	pid_t prog, me = getpid(), pids[2], server;
	struct sockaddr_un a;
	int rc, stale;

	if (argc != 2)
		fail("usage: test_broker MTCP_CHECKPOINT", NULL);
	if (!getenv(CTL_DIR_ENV)) {
		printf("SKIP: set " CTL_DIR_ENV "\n");
		return 77;
	}
	umask(0); /* sockets open to all: the broker's own check must hold */
	signal(SIGPIPE, SIG_IGN);
	ctl_dir_path(geteuid(), dir, sizeof(dir));
	rc = ctl_dir_open(geteuid(), 1, err, sizeof(err));
	if (rc < 0)
		fail(err, NULL);
	close(rc);

	/* a stale socket at ctl.<me>: bound, then its server went away */
	stale = socket(AF_UNIX, SOCK_STREAM, 0);
	memset(&a, 0, sizeof(a));
	a.sun_family = AF_UNIX;
	if ((size_t)snprintf(a.sun_path, sizeof(a.sun_path), "%s/ctl.%d", dir, (int)me) >=
	    sizeof(a.sun_path))
		fail("the control directory's path is too long", dir);
	if (bind(stale, (struct sockaddr *)&a, sizeof(a)) || listen(stale, 1))
		fail("cannot make a stale socket", strerror(errno));
	close(stale);

	if (broker_prepare(&b, err, sizeof(err)))
		fail(err, NULL);
	prog = fork();
	if (prog < 0)
		fail("fork", strerror(errno));
	if (prog == 0) {
		broker_child_side(&b);
		program(b.program_fd);
	}
	broker_parent_side(&b);
	pids[0] = prog;
	pids[1] = me;
	rc = broker_start(&b, geteuid(), pids, 2, err, sizeof(err));
	if (rc)
		fail("broker_start", err);
	printf("ok: the broker serves ctl.%d and ctl.%d (the stale one taken over)\n", (int)prog,
	       (int)me);

	for (int i = 0; i < 2; i++) {
		ask(dir, pids[i], answer, sizeof(answer), &server);
		if (strcmp(answer, MTCP_CTL_ACCEPTED "\n" MTCP_CTL_OK FAKE_IMAGE "\n"))
			fail("unexpected answer through the broker", answer);
		if (server != me)
			fail("the server seen through SO_PEERCRED is not the broker", NULL);
	}
	printf("ok: clients of ctl.%d and ctl.%d reach the program through the broker\n",
	       (int)prog, (int)me);

	for (int i = 0; i < 2; i++) {
		snprintf(cmd, sizeof(cmd), "'%s' --wait --timeout 10 %d 2>/dev/null", argv[1], (int)pids[i]);
		rc = run(cmd, out, sizeof(out));
		/* stdout: the path alone (stderr says "complete") */
		if (rc != 0 || strcmp(out, FAKE_IMAGE))
			fail("mtcp_checkpoint --wait through the broker", out);
	}
	printf("ok: mtcp_checkpoint --wait accepts the broker for the program's pid and its own\n");

	if (geteuid() == 0) {
		/* the directory open to all, so that only the broker's check stands */
		chmod(dir, 0711);
		pid_t c = fork();
		if (c == 0) {
			char line[64] = "";
			ssize_t n;
			int s;
			if (setresgid(65534, 65534, 65534) || setresuid(65534, 65534, 65534))
				_exit(2);
			s = connect_name(dir, prog);
			if (s < 0)
				_exit(3);
			send(s, MTCP_CTL_REQUEST, strlen(MTCP_CTL_REQUEST), MSG_NOSIGNAL);
			n = recv(s, line, sizeof(line) - 1, 0);
			line[n > 0 ? n : 0] = '\0';
			_exit(strcmp(line, MTCP_CTL_ERR MTCP_CTL_ERR_DENIED "\n") ? 4 : 0);
		}
		waitpid(c, &rc, 0);
		chmod(dir, 0700);
		if (!WIFEXITED(rc) || WEXITSTATUS(rc))
			fail("uid 65534 was not refused by the broker with 'ERR permission denied'",
			     NULL);
		printf("ok: another uid is refused by the broker\n");
	}

	kill(prog, SIGKILL);
	waitpid(prog, NULL, 0);
	for (int i = 0; i < 500 && (exists(dir, prog) || exists(dir, me)); i++) {
		struct timespec ts = { 0, 10 * 1000 * 1000 };
		nanosleep(&ts, NULL); /* bounded polling for the broker's reaction */
	}
	if (exists(dir, prog) || exists(dir, me))
		fail("the names are still there 5 s after the program died", NULL);
	printf("ok: the broker stopped and removed its names when the program died\n");
	broker_stop(&b);
	broker_stop(&b);
	printf("PASS\n");
	return 0;
}
