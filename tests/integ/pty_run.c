/* SPDX-License-Identifier: MIT */
/*
 * pty_run.c - `pty_run PROGRAM [ARGS...]`: runs PROGRAM in a new session
 * whose controlling terminal is a fresh pseudo-terminal, with stdin,
 * stdout and stderr on it; copies what it writes to our stdout and exits
 * with its status (128+N if it was killed by signal N).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

static void write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		p += w;
		n -= (size_t)w;
	}
}

int main(int argc, char **argv)
{
	struct termios t;
	const char *name;
	char buf[4096];
	int master, slave, status;
	pid_t child;

	if (argc < 2) {
		fprintf(stderr, "usage: pty_run PROGRAM [ARGS...]\n");
		return 2;
	}
	master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (master < 0 || grantpt(master) || unlockpt(master) || !(name = ptsname(master))) {
		fprintf(stderr, "pty_run: cannot open a pseudo-terminal: %s\n", strerror(errno));
		return 2;
	}
	fflush(NULL);
	child = fork();
	if (child < 0) {
		fprintf(stderr, "pty_run: fork: %s\n", strerror(errno));
		return 2;
	}
	if (child == 0) {
		if (setsid() < 0)
			_exit(126);
		slave = open(name, O_RDWR);
		if (slave < 0 || ioctl(slave, TIOCSCTTY, 0) < 0) {
			fprintf(stderr, "pty_run: %s: %s\n", name, strerror(errno));
			_exit(126);
		}
		/* plain newlines in the copy */
		if (!tcgetattr(slave, &t)) {
			t.c_oflag &= ~(tcflag_t)ONLCR;
			tcsetattr(slave, TCSANOW, &t);
		}
		if (dup2(slave, 0) < 0 || dup2(slave, 1) < 0 || dup2(slave, 2) < 0)
			_exit(126);
		if (slave > 2)
			close(slave);
		execvp(argv[1], argv + 1);
		fprintf(stderr, "pty_run: %s: %s\n", argv[1], strerror(errno));
		_exit(127);
	}
	/* copy until every holder of the slave side has closed it (EIO) */
	for (;;) {
		ssize_t n = read(master, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		write_all(1, buf, (size_t)n);
	}
	while (waitpid(child, &status, 0) < 0)
		if (errno != EINTR)
			return 2;
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}
