// SPDX-License-Identifier: MIT
// numbered MODE OUT STOP: writes numbered lines ("%08u\n", 1, 2, 3, ...),
// about one a millisecond, until the file STOP exists; then "END %08u\n"
// and exit 0.  Where the lines go (MODE):
//   stdout  fd 1 as it was given (the shell's "> OUT"; OUT unused)
//   dup2    OUT is opened (created, truncated) and dup2'ed onto fd 1 by the
//           program itself, as `sort -o OUT` does, and fd 1 is written
//   file    OUT is opened and written through its own fd (not 0-2)
// Every line has the same width, so a restored process, which goes on from
// the checkpoint's file offset, writes the same bytes at the same place
// again: the file ends as the uninterrupted run's would.  Used by
// stdout_file.sh and wrapper_exec.sh.
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static void die(const char *what)
{
	fprintf(stderr, "numbered: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void put(int fd, const char *s, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, s, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			die("write");
		s += w;
		n -= (size_t)w;
	}
}

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: numbered stdout|dup2|file OUT STOP\n");
		return 2;
	}
	const char *mode = argv[1], *out = argv[2], *stop = argv[3];
	int fd = 1;
	if (strcmp(mode, "dup2") == 0 || strcmp(mode, "file") == 0) {
		fd = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (fd < 0)
			die(out);
		if (strcmp(mode, "dup2") == 0) {
			if (dup2(fd, 1) < 0)
				die("dup2");
			close(fd);
			fd = 1;
		}
	} else if (strcmp(mode, "stdout") != 0) {
		fprintf(stderr, "numbered: unknown mode '%s'\n", mode);
		return 2;
	}
	char line[32];
	for (unsigned i = 1;; i++) {
		if (access(stop, F_OK) == 0) {
			int n = snprintf(line, sizeof line, "END %08u\n", i - 1);
			put(fd, line, (size_t)n);
			return 0;
		}
		int n = snprintf(line, sizeof line, "%08u\n", i);
		put(fd, line, (size_t)n);
		struct timespec t = {0, 1000000};
		while (nanosleep(&t, &t) < 0 && errno == EINTR)
			;
	}
}
