/* SPDX-License-Identifier: MIT */
/*
 * tty.c - a program on a terminal (run with run_integ.sh --pty): its
 * stdio is a terminal before and after the restart, and a descriptor it
 * opened on /dev/tty is one again.
 */
#include "mt_test.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

const char *test_doc =
	"stdin, stdout and stderr are terminals before and after the restart, "
	"the terminal works (termios, writes), and an fd opened on /dev/tty is "
	"a working terminal again after the restart.";

static void check_ttys(const char *when, int ttyfd)
{
	struct termios t;

	for (int fd = 0; fd <= 2; fd++)
		if (!isatty(fd))
			fail("%s: fd %d is not a terminal", when, fd);
	if (!isatty(ttyfd))
		fail("%s: fd %d (/dev/tty) is not a terminal", when, ttyfd);
	if (tcgetattr(0, &t))
		fail("%s: tcgetattr(0): %s", when, strerror(errno));
	if (tcgetattr(ttyfd, &t))
		fail("%s: tcgetattr(/dev/tty fd): %s", when, strerror(errno));
	if (!ttyname(1))
		fail("%s: ttyname(1): %s", when, strerror(errno));
}

int main(int argc, char **argv)
{
	char line[128];
	int ttyfd, n;

	mt_test_init(argc, argv);

	/* setup */
	if (!isatty(0) || !isatty(1) || !isatty(2))
		skip("not run on a terminal (use run_integ.sh --pty)");
	ttyfd = open("/dev/tty", O_RDWR | O_NOCTTY);
	if (ttyfd < 0)
		fail("open /dev/tty: %s", strerror(errno));
	check_ttys("before", ttyfd);
	printf("tty before: stdout %s\n", ttyname(1));

	mt_test_ready();

	/* verify */
	check_ttys("after", ttyfd);
	printf("tty after: stdout %s\n", ttyname(1));
	n = snprintf(line, sizeof(line), "tty fd %d works after the restart\n", ttyfd);
	if (write(ttyfd, line, (size_t)n) != n)
		fail("writing to /dev/tty fd: %s", strerror(errno));
	if (write(2, "stderr works after the restart\n", 31) != 31)
		fail("writing to stderr: %s", strerror(errno));
	pass();
}
