/* SPDX-License-Identifier: MIT */
/*
 * cow_out.h - what the programs the cow drivers run share: the monotonic
 * clock in ns, one line on stdout in one write() (several threads
 * answer; the drivers read whole lines), a failed set-up said there, and
 * the loop that hands each line of stdin, the driver's commands, to the
 * program.
 */
#ifndef COW_OUT_H
#define COW_OUT_H

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static inline uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void out(const char *fmt, ...) __attribute__((format(printf, 1, 2), unused));
static void out(const char *fmt, ...)
{
	char line[4200];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n > sizeof(line) - 2)
		n = (int)sizeof(line) - 2;
	line[n++] = '\n';
	for (char *p = line; n > 0;) {
		ssize_t w = write(STDOUT_FILENO, p, (size_t)n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		p += w;
		n -= (int)w;
	}
}

/* "FAIL setup: WHY" on stdout, where the driver reads it, and exit 1. */
static void die(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2), unused));
static void die(const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	out("FAIL setup: %s", msg);
	exit(1);
}

/* Each line of stdin (without its newline) to command(); a line too
 * long for the buffer is dropped.  Returns 3 when the driver is gone. */
static int command_loop(void (*command)(const char *line)) __attribute__((unused));
static int command_loop(void (*command)(const char *line))
{
	char buf[512];
	size_t len = 0;

	for (;;) {
		ssize_t n = read(STDIN_FILENO, buf + len, sizeof(buf) - 1 - len);
		char *nl;

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return 3; /* the driver is gone */
		len += (size_t)n;
		while ((nl = memchr(buf, '\n', len))) {
			*nl = '\0';
			command(buf);
			len -= (size_t)(nl + 1 - buf);
			memmove(buf, nl + 1, len);
		}
		if (len == sizeof(buf) - 1)
			len = 0; /* a line too long: dropped */
	}
}

#endif
