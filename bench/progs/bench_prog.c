/* SPDX-License-Identifier: MIT */
/*
 * bench_prog.c WORKLOAD ARGS...: the program mtcp-bench (bench/mb) checkpoints.
 * It builds a workload (bench_workload.h: random, zero, heap, sparse,
 * libs, rewrite, threads, empty), starts the stall meter (stall_meter.h),
 * prints
 *   ready pid=P workload=W bytes=B sum=S rss_kib=R
 * and then answers commands, one per line on standard input, with one line
 * on standard output each:
 *   reset    forget the stalls seen so far     -> reset
 *   report   the longest stall since the reset -> stall NS wakeups N
 *   verify   check the workload                -> ok SUM, or FAIL WHY and exit 1
 *   ping     prove the program runs            -> pong
 *   rewrite PCT [window]                       -> rewritten PAGES BYTES
 *            (the random workload: PCT percent of its pages get new random
 *            bytes, whole pages, chosen at random or, with window, one
 *            contiguous run; the checksum verify uses is taken again;
 *            mtcp-bench memory --incremental) or error WHY
 *   quit     exit 0
 * At the end of standard input (e.g. </dev/null, for checkpointers that do
 * not keep pipes, like CRIU) it waits for signals instead: SIGUSR1 is
 * reset, SIGUSR2 is report and then verify. SIGTERM always ends it with
 * status 0 (a shell prints no notice for that, as it does for a kill).
 */
#include "bench_workload.h"
#include "stall_meter.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* one line on stdout with a single write (atomic on a pipe) */
__attribute__((format(printf, 1, 2))) static void say(const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof buf - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n > sizeof buf - 2)
		n = sizeof buf - 2;
	buf[n++] = '\n';
	for (int off = 0; off < n;) {
		ssize_t w = write(1, buf + off, (size_t)(n - off));

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			exit(3);
		off += (int)w;
	}
}

static long rss_kib(void)
{
	long size = 0, res = 0;
	FILE *f = fopen("/proc/self/statm", "r");

	if (f) {
		if (fscanf(f, "%ld %ld", &size, &res) != 2)
			res = 0;
		fclose(f);
	}
	return res * (sysconf(_SC_PAGESIZE) / 1024);
}

static void report(void)
{
	uint64_t ns = stall_meter_max_ns();

	say("stall %llu wakeups %llu", (unsigned long long)ns,
	    (unsigned long long)stall_meter_wakeups());
}

static void verify(void)
{
	char why[256] = "";

	if (workload_verify(why, sizeof why)) {
		say("FAIL %s", why);
		exit(1);
	}
	say("ok %016llx", (unsigned long long)workload_sum());
}

/* "rewrite PCT [window]" */
static void rewrite(const char *args)
{
	char why[256], *end;
	double pct = strtod(args, &end);
	size_t pages = 0;
	int window = 0;

	if (end == args || (*end && *end != ' ')) {
		say("error rewrite: PCT [window]");
		return;
	}
	while (*end == ' ')
		end++;
	if (!strcmp(end, "window"))
		window = 1;
	else if (*end) {
		say("error rewrite: PCT [window]");
		return;
	}
	if (workload_rewrite(pct, window, &pages, why, sizeof why)) {
		say("error %s", why);
		return;
	}
	say("rewritten %zu %zu", pages, pages * (size_t)sysconf(_SC_PAGESIZE));
}

/* one command; 1 to stop */
static int command(const char *c)
{
	if (!strcmp(c, "reset")) {
		stall_meter_reset();
		say("reset");
	} else if (!strcmp(c, "report")) {
		report();
	} else if (!strcmp(c, "verify")) {
		verify();
	} else if (!strcmp(c, "ping")) {
		say("pong");
	} else if (!strncmp(c, "rewrite ", 8)) {
		rewrite(c + 8);
	} else if (!strcmp(c, "quit")) {
		return 1;
	} else if (*c) {
		say("error unknown command '%s'", c);
	}
	return 0;
}

/* the commands of standard input, until its end or quit; 1 after quit */
static int read_commands(void)
{
	char buf[256];
	size_t len = 0;

	for (;;) {
		ssize_t r = read(0, buf + len, sizeof buf - len);
		char *nl;

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return 0;
		len += (size_t)r;
		while ((nl = memchr(buf, '\n', len))) {
			*nl = 0;
			if (command(buf))
				return 1;
			len -= (size_t)(nl + 1 - buf);
			memmove(buf, nl + 1, len);
		}
		if (len == sizeof buf)
			len = 0; /* an overlong line: dropped */
	}
}

static void on_term(int sig)
{
	(void)sig;
	_exit(0);
}

int main(int argc, char **argv)
{
	struct sigaction term = { .sa_handler = on_term };
	sigset_t usr;
	int err;

	/* blocked before any thread exists, so only sigwaitinfo takes them */
	sigemptyset(&usr);
	sigaddset(&usr, SIGUSR1);
	sigaddset(&usr, SIGUSR2);
	pthread_sigmask(SIG_BLOCK, &usr, NULL);
	sigaction(SIGTERM, &term, NULL);
	if (argc < 2) {
		fprintf(stderr, "usage: bench_prog random MIB | zero MIB | heap MIB | sparse MIB STRIDE_PAGES"
				" | libs MIB | rewrite MIB | threads N | empty\n");
		return 2;
	}
	if (workload_init(argc - 1, argv + 1))
		return 2;
	if ((err = stall_meter_start())) {
		fprintf(stderr, "bench_prog: stall meter thread: %s\n", strerror(err));
		return 2;
	}
	say("ready pid=%d workload=%s bytes=%zu sum=%016llx rss_kib=%ld", (int)getpid(), argv[1],
	    workload_bytes(), (unsigned long long)workload_sum(), rss_kib());
	if (read_commands())
		return 0;
	for (;;) {
		int sig = sigwaitinfo(&usr, NULL);

		if (sig == SIGUSR1) {
			stall_meter_reset();
			say("reset");
		} else if (sig == SIGUSR2) {
			report();
			verify();
		}
	}
}
