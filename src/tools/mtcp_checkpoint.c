/* SPDX-License-Identifier: MIT */
/* mtcp_checkpoint.c - ask a process running under libmtcp-fast for a checkpoint. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "ctl-proto.h"
#include "options.h"

#ifndef MTCP_VERSION_STRING
#define MTCP_VERSION_STRING "unknown"
#endif

#define PROG "mtcp_checkpoint"

#define EXIT_FAILED 1
#define EXIT_USAGE 2

/* The control thread answers ACCEPTED at once; if it has not after this
 * long, it is stuck (or the process is stopped). */
#define ACCEPT_TIMEOUT_S 10.0
#define ACCEPT_TIMEOUT_STR "10"
/* Pause between connect attempts while the listen backlog is full. */
#define CONNECT_RETRY_NS 10000000L

enum {
	OPT_WAIT = 256,
	OPT_TIMEOUT,
	OPT_VERSION,
};

static const struct option long_options[] = {
	{ "wait", no_argument, NULL, OPT_WAIT },
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ NULL, 0, NULL, 0 },
};

/* What the messages need to know. */
static int target_pid;
static const char *timeout_str = ACCEPT_TIMEOUT_STR;

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: " PROG " [--wait] [--timeout SECONDS] PID\n"
		"Ask process PID, running under libmtcp-fast, to take a checkpoint now.\n"
		"\n"
		"  --wait             wait until the image is written and print its path\n"
		"  --timeout SECONDS  give up after SECONDS (default: 10 for the request\n"
		"                     to be accepted, no limit for --wait)\n"
		"  -h, --help         show this help and exit\n"
		"      --version      show the version and exit\n"
		"\n"
		"Exit status: 0 on success, 1 if the checkpoint failed or could not be\n"
		"requested, 2 for a usage error.\n");
}

static void die(int status, const char *fmt, ...) __attribute__((noreturn, format(printf, 2, 3)));

static void die(int status, const char *fmt, ...)
{
	va_list ap;

	fputs(PROG ": ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(status);
}

static void die_timeout(void) __attribute__((noreturn));

static void die_timeout(void)
{
	die(EXIT_FAILED, "timed out after %s s waiting for %d", timeout_str, target_pid);
}

/* 0 if the process exists (ours or not), else -errno of kill(pid, 0). */
static int probe_process(int pid)
{
	return kill(pid, 0) ? -errno : 0;
}

/* The connection ended before the answer: say why as well as we can. */
static void die_eof(int accepted) __attribute__((noreturn));

static void die_eof(int accepted)
{
	int rc = probe_process(target_pid);

	/* The control thread serves only its own uid (or root). */
	if (!accepted && rc == -EPERM)
		die(EXIT_FAILED, "permission denied: process %d belongs to another user",
		    target_pid);
	if (!accepted && rc == 0)
		die(EXIT_FAILED, "process %d closed the connection without answering",
		    target_pid);
	die(EXIT_FAILED, "process %d exited before the checkpoint completed", target_pid);
}

static struct timespec monotonic_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts;
}

static struct timespec deadline_after(double seconds)
{
	struct timespec t = monotonic_now();
	time_t whole = (time_t)seconds;

	t.tv_sec += whole;
	t.tv_nsec += (long)((seconds - (double)whole) * 1e9);
	if (t.tv_nsec >= 1000000000L) {
		t.tv_sec++;
		t.tv_nsec -= 1000000000L;
	}
	return t;
}

/* Milliseconds left until *deadline (NULL: none), rounded up so poll()
 * does not wake early; -1 for no deadline; capped to INT_MAX, so a caller
 * whose poll() times out must look at the clock again. */
static int remaining_ms(const struct timespec *deadline)
{
	struct timespec now;
	long long ns;

	if (!deadline)
		return -1;
	now = monotonic_now();
	ns = (long long)(deadline->tv_sec - now.tv_sec) * 1000000000LL +
	     (deadline->tv_nsec - now.tv_nsec);
	if (ns <= 0)
		return 0;
	ns = (ns + 999999) / 1000000;
	return ns > INT_MAX ? INT_MAX : (int)ns;
}

/* Waits for `events` on fd: 0 when ready, -ETIMEDOUT at the deadline, or
 * -errno. */
static int wait_fd(int fd, short events, const struct timespec *deadline)
{
	for (;;) {
		struct pollfd p = { .fd = fd, .events = events };
		int ms = remaining_ms(deadline);
		int n;

		if (ms == 0)
			return -ETIMEDOUT;
		n = poll(&p, 1, ms);
		if (n > 0)
			return 0; /* POLLHUP and POLLERR too: the next call reports them */
		if (n < 0 && errno != EINTR)
			return -errno;
	}
}

/* Connects to the abstract socket of `pid`: 0 with *fd set, or -errno. */
static int connect_ctl(int pid, const struct timespec *deadline, int *fd)
{
	struct sockaddr_un addr;
	socklen_t addr_len;
	int s, n, rc;

	memset(&addr, 0, sizeof(addr));
	addr.sun_family = AF_UNIX;
	/* Abstract name: a NUL, then the name, without a trailing NUL. */
	n = snprintf(addr.sun_path + 1, sizeof(addr.sun_path) - 1, MTCP_CTL_NAME_FMT, pid);
	if (n < 0 || (size_t)n >= sizeof(addr.sun_path) - 1)
		return -ENAMETOOLONG;
	addr_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + (size_t)n);

	/* Non-blocking: a full listen backlog would block connect() forever. */
	s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (s < 0)
		return -errno;
	/* With stdout closed the socket would be fd 1 and printf() would send
	 * the path to the process instead of failing. */
	if (s <= STDERR_FILENO) {
		int high = fcntl(s, F_DUPFD_CLOEXEC, STDERR_FILENO + 1);
		rc = high < 0 ? -errno : 0;
		close(s);
		if (rc)
			return rc;
		s = high;
	}
	for (;;) {
		if (!connect(s, (struct sockaddr *)&addr, addr_len))
			break;
		rc = -errno;
		if (rc == -EINTR)
			continue;
		if (rc == -EAGAIN) {
			struct timespec pause = { 0, CONNECT_RETRY_NS };
			if (remaining_ms(deadline) == 0) {
				rc = -ETIMEDOUT;
				goto fail;
			}
			nanosleep(&pause, NULL);
			continue;
		}
		if (rc == -EINPROGRESS) {
			int err = 0;
			socklen_t len = sizeof(err);
			rc = wait_fd(s, POLLOUT, deadline);
			if (rc)
				goto fail;
			if (getsockopt(s, SOL_SOCKET, SO_ERROR, &err, &len)) {
				rc = -errno;
				goto fail;
			}
			if (err) {
				rc = -err;
				goto fail;
			}
			break;
		}
		goto fail;
	}
	*fd = s;
	return 0;
fail:
	close(s);
	return rc;
}

/* Sends the whole request: 0, -EPIPE if the peer is gone, or -errno. */
static int send_request(int fd, const struct timespec *deadline)
{
	const char *req = MTCP_CTL_REQUEST;
	size_t left = strlen(req);

	while (left) {
		/* MSG_NOSIGNAL: a dead peer is an error code, not SIGPIPE. */
		ssize_t n = send(fd, req, left, MSG_NOSIGNAL);
		if (n > 0) {
			req += n;
			left -= (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN) {
			int rc = wait_fd(fd, POLLOUT, deadline);
			if (rc)
				return rc;
			continue;
		}
		if (n < 0 && errno == ECONNRESET)
			return -EPIPE;
		return n < 0 ? -errno : -EPIPE;
	}
	return 0;
}

static int starts_with(const char *s, const char *prefix)
{
	return !strncmp(s, prefix, strlen(prefix));
}

/* The word getopt_long() complained about, for the message. */
static const char *bad_option(char **argv)
{
	static char short_opt[3];

	/* Long options have values >= 256 (or 'h' for --help=...), and
	 * getopt has stepped past their word. */
	if (optopt > 0 && optopt < 256 && optopt != 'h') {
		short_opt[0] = '-';
		short_opt[1] = (char)optopt;
		return short_opt;
	}
	return argv[optind - 1];
}

int main(int argc, char **argv)
{
	static char line[MTCP_CTL_LINE_MAX + 1];
	size_t len = 0;
	int want_wait = 0, have_timeout = 0, accepted = 0, fd = -1, opt, rc;
	double timeout = 0;
	struct timespec accept_deadline, final_deadline = { 0, 0 };
	const struct timespec *deadline;

	opterr = 0; /* getopt's messages would start with argv[0], not PROG */
	while ((opt = getopt_long(argc, argv, ":h", long_options, NULL)) != -1) {
		switch (opt) {
		case OPT_WAIT:
			want_wait = 1;
			break;
		case OPT_TIMEOUT:
			if (opt_parse_timeout(optarg, &timeout))
				die(EXIT_USAGE,
				    "invalid --timeout '%s' (seconds, more than 0 and at most %.0f)",
				    optarg, OPT_SECONDS_MAX);
			have_timeout = 1;
			timeout_str = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case OPT_VERSION:
			printf(PROG " (libmtcp-fast) " MTCP_VERSION_STRING "\n");
			return 0;
		case ':':
			die(EXIT_USAGE, "option '%s' needs a value (see --help)", bad_option(argv));
		default:
			die(EXIT_USAGE, "invalid option '%s' (see --help)", bad_option(argv));
		}
	}
	if (optind >= argc)
		die(EXIT_USAGE, "no PID given (see --help)");
	if (optind + 1 < argc)
		die(EXIT_USAGE, "one PID only, got '%s' too (see --help)", argv[optind + 1]);
	if (opt_parse_pid(argv[optind], &target_pid))
		die(EXIT_USAGE, "invalid PID '%s'", argv[optind]);

	signal(SIGPIPE, SIG_IGN); /* in case anything writes to a dead peer */

	if (probe_process(target_pid) == -ESRCH)
		die(EXIT_FAILED, "no process %d", target_pid);

	/* --timeout bounds the whole exchange; without it only the ACCEPTED
	 * answer has a limit. */
	if (have_timeout) {
		accept_deadline = deadline_after(timeout);
		final_deadline = accept_deadline;
	} else {
		accept_deadline = deadline_after(ACCEPT_TIMEOUT_S);
	}

	rc = connect_ctl(target_pid, &accept_deadline, &fd);
	if (rc == -ECONNREFUSED || rc == -ENOENT) {
		/* It may have exited since the probe. */
		if (probe_process(target_pid) == -ESRCH)
			die(EXIT_FAILED, "no process %d", target_pid);
		die(EXIT_FAILED, "process %d is not running under libmtcp-fast", target_pid);
	}
	if (rc == -EACCES || rc == -EPERM)
		die(EXIT_FAILED, "permission denied connecting to process %d", target_pid);
	if (rc == -ETIMEDOUT)
		die_timeout();
	if (rc)
		die(EXIT_FAILED, "cannot connect to process %d: %s", target_pid, strerror(-rc));

	rc = send_request(fd, &accept_deadline);
	if (rc == -EPIPE)
		die_eof(0);
	if (rc == -ETIMEDOUT)
		die_timeout();
	if (rc)
		die(EXIT_FAILED, "cannot send to process %d: %s", target_pid, strerror(-rc));

	for (;;) {
		char *nl;
		ssize_t n;

		/* Answers may arrive in pieces: handle each complete line. */
		while ((nl = memchr(line, '\n', len))) {
			size_t used = (size_t)(nl - line) + 1;
			*nl = '\0';
			if (!strcmp(line, MTCP_CTL_ACCEPTED)) {
				accepted = 1;
				if (!want_wait)
					return 0;
			} else if (starts_with(line, MTCP_CTL_OK)) {
				if (want_wait) {
					printf("%s\n", line + strlen(MTCP_CTL_OK));
					if (fflush(stdout) || ferror(stdout))
						die(EXIT_FAILED, "cannot write to standard output: %s",
						    strerror(errno));
				}
				return 0;
			} else if (starts_with(line, MTCP_CTL_ERR)) {
				die(EXIT_FAILED, "checkpoint of %d failed: %s", target_pid,
				    line + strlen(MTCP_CTL_ERR));
			} else {
				die(EXIT_FAILED, "unexpected answer from process %d: '%.80s'",
				    target_pid, line);
			}
			memmove(line, line + used, len - used);
			len -= used;
		}
		if (len == sizeof(line))
			die(EXIT_FAILED, "unexpected answer from process %d: line too long",
			    target_pid);

		deadline = accepted ? (have_timeout ? &final_deadline : NULL) : &accept_deadline;
		rc = wait_fd(fd, POLLIN, deadline);
		if (rc == -ETIMEDOUT)
			die_timeout();
		if (rc)
			die(EXIT_FAILED, "cannot wait for process %d: %s", target_pid, strerror(-rc));
		n = recv(fd, line + len, sizeof(line) - len, 0);
		if (n > 0) {
			len += (size_t)n;
			continue;
		}
		if (n == 0 || errno == ECONNRESET)
			die_eof(accepted);
		if (errno != EINTR && errno != EAGAIN)
			die(EXIT_FAILED, "cannot read from process %d: %s", target_pid,
			    strerror(errno));
	}
}
