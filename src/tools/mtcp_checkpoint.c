/* SPDX-License-Identifier: MIT */
/*
 * mtcp_checkpoint.c - ask a process running under libmtcp-fast for a
 * checkpoint.
 *
 * The control socket of PID is /tmp/mtcp-<euid>/ctl.<PID>, where euid is
 * PID's effective uid as /proc/PID/status shows it (ctl_path.h).  Before
 * anything is sent, the server that answered is checked (SO_PEERCRED): it
 * must run as that uid and be PID itself, a process descended from it (the
 * program that an mtcp_restart PID restored) or a close ancestor (the
 * mtcp_restart that serves for a program it restored in a pid namespace).
 */
#include "cli.h"
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
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "ctl-proto.h"
#include "ctl_path.h"
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
/* Pause before asking again when every client slot is taken. */
#define BUSY_RETRY_NS 100000000L
/* How far the peer check walks the parent chain: down from PID to a
 * restored program (mtcp_restart, its namespace's init, the program, with
 * room to spare), and up from PID to the mtcp_restart serving for it. */
#define MAX_DESCENT 16
#define MAX_ASCENT 3

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

#define die(status, ...) cli_die(PROG, status, __VA_ARGS__)

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

	/* (another user's process was refused before connecting) */
	if (!accepted && (rc == 0 || rc == -EPERM))
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

/* A number from a "Key:\tN ..." line of /proc/PID/status: field 0 is the
 * first number.  0 with *out set, -ENOENT if the process is gone, -EINVAL
 * if the line is missing. */
static int status_field(int pid, const char *key, int field, long *out)
{
	char path[64], line[256];
	size_t klen = strlen(key);
	FILE *f;
	int rc = -EINVAL;

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	f = fopen(path, "re");
	if (!f)
		return errno == ENOENT || errno == ESRCH ? -ENOENT : -errno;
	while (fgets(line, sizeof(line), f)) {
		char *p = line + klen, *end;
		long v = 0;
		if (strncmp(line, key, klen))
			continue;
		for (int i = 0; i <= field; i++) {
			v = strtol(p, &end, 10);
			if (end == p)
				break;
			p = end;
			if (i == field)
				rc = 0;
		}
		if (!rc)
			*out = v;
		break;
	}
	fclose(f);
	return rc;
}

/* The effective uid of pid (the second field of Uid:). */
static int euid_of(int pid, uid_t *uid)
{
	long v;
	int rc = status_field(pid, "Uid:", 1, &v);

	if (!rc)
		*uid = (uid_t)v;
	return rc;
}

static int ppid_of(int pid)
{
	long v;

	return status_field(pid, "PPid:", 0, &v) ? 0 : (int)v;
}

/* 1 if `anc` is `pid` or one of its first `levels` ancestors. */
static int has_ancestor(int pid, int anc, int levels)
{
	for (int i = 0; i <= levels && pid > 0; i++) {
		if (pid == anc)
			return 1;
		pid = ppid_of(pid);
	}
	return 0;
}

static uid_t overflow_uid(void)
{
	FILE *f = fopen("/proc/sys/kernel/overflowuid", "re");
	unsigned v = 65534;

	if (f) {
		if (fscanf(f, "%u", &v) != 1)
			v = 65534;
		fclose(f);
	}
	return (uid_t)v;
}

/*
 * Opens the control directory of `owner` if it holds ctl.<pid>: 0 with
 * *dirfd set; -ENOENT (no directory or no socket), -EACCES (owner is
 * another user and we are not root) or -EPERM (the directory fails its
 * checks: err says why).
 */
static int find_socket(uid_t owner, int pid, int *dirfd, char *err, size_t errlen)
{
	char name[32];
	struct stat st;
	int fd;

	if (geteuid() != 0 && geteuid() != owner)
		return -EACCES;
	fd = ctl_dir_open(owner, 0, err, errlen);
	if (fd < 0)
		return fd;
	snprintf(name, sizeof(name), "ctl.%d", pid);
	if (fstatat(fd, name, &st, AT_SYMLINK_NOFOLLOW) || !S_ISSOCK(st.st_mode)) {
		close(fd);
		return -ENOENT;
	}
	*dirfd = fd;
	return 0;
}

/*
 * Finds the control socket of pid: in the directory of its effective uid;
 * failing that, in the directory of a child of pid that runs as another
 * uid (root's mtcp_restart PID, which restored a user's image: the
 * program serves ctl.<PID> as that user).  0 with *owner and *dirfd set,
 * or find_socket()'s error for pid's own uid.
 */
static int locate_socket(int pid, uid_t *owner, int *dirfd, char *err, size_t errlen)
{
	char path[96], other[1024];
	uid_t uid;
	FILE *f;
	int rc, child;

	rc = euid_of(pid, &uid);
	if (rc)
		return rc == -ENOENT ? -ESRCH : rc;
	*owner = uid;
	rc = find_socket(uid, pid, dirfd, err, errlen);
	if (rc != -ENOENT && rc != -EACCES)
		return rc;
	snprintf(path, sizeof(path), "/proc/%d/task/%d/children", pid, pid);
	f = fopen(path, "re");
	if (!f)
		return rc;
	while (fscanf(f, "%d", &child) == 1) {
		uid_t cu;
		if (euid_of(child, &cu) || cu == uid)
			continue;
		if (!find_socket(cu, pid, dirfd, other, sizeof(other))) {
			*owner = cu;
			fclose(f);
			return 0;
		}
	}
	fclose(f);
	return rc;
}

/* Connects to ctl.<pid> in the directory open as dirfd: 0 with *fd set,
 * or -errno. */
static int connect_ctl(int dirfd, int pid, const struct timespec *deadline, int *fd)
{
	struct sockaddr_un addr;
	socklen_t addr_len;
	int s, rc;

	/* through /proc/self/fd/DIRFD: the directory that was checked */
	rc = ctl_sock_addr(dirfd, pid, &addr, &addr_len);
	if (rc)
		return rc;

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

/* The second line of defence: is the server that answered the one that
 * may answer for target_pid?  Exits with a message if not. */
static void check_peer(int fd, uid_t owner)
{
	char who[300], want[300];
	struct ucred cr;
	socklen_t len = sizeof(cr);
	uid_t nobody = overflow_uid();

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len))
		die(EXIT_FAILED, "cannot check who serves process %d: %s", target_pid,
		    strerror(errno));
	/* pid 0: not in our pid namespace; the overflow uid: not mapped in
	 * our user namespace (unless that is the owner, seen from the
	 * initial namespace, where every uid is mapped) */
	if (cr.pid <= 0 || (cr.uid == nobody && (owner != nobody || !ctl_in_initial_userns())))
		die(EXIT_FAILED, "the process answering for %d is outside our namespaces "
		    "(it shows as uid %u, pid %d); refusing it", target_pid, (unsigned)cr.uid,
		    (int)cr.pid);
	if (cr.uid != owner)
		die(EXIT_FAILED, "impostor: the control socket of process %d is served by %s, "
		    "not by the process's owner, %s; refusing it", target_pid,
		    ctl_user_desc(cr.uid, who, sizeof(who)), ctl_user_desc(owner, want, sizeof(want)));
	if (cr.pid != target_pid && !has_ancestor(cr.pid, target_pid, MAX_DESCENT) &&
	    !has_ancestor(target_pid, cr.pid, MAX_ASCENT))
		die(EXIT_FAILED, "impostor: the control socket of process %d is served by process "
		    "%d, which is neither %d, a process it restored, nor the mtcp_restart that "
		    "restored it; refusing it", target_pid, (int)cr.pid, target_pid);
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


enum { ASK_DONE = 0, ASK_BUSY = 1 };

/* Finds, connects to and checks the control socket of target_pid; exits
 * with a message if that fails.  Returns the connected socket. */
static int reach(const struct timespec *deadline)
{
	char err[1024], who[300];
	uid_t owner = 0;
	int dirfd = -1, fd = -1, rc;

	rc = locate_socket(target_pid, &owner, &dirfd, err, sizeof(err));
	if (rc == -ESRCH)
		die(EXIT_FAILED, "no process %d", target_pid);
	if (rc == -EACCES)
		die(EXIT_FAILED, "permission denied: process %d belongs to %s; only that user "
		    "and root may ask it for a checkpoint", target_pid,
		    ctl_user_desc(owner, who, sizeof(who)));
	if (rc == -EPERM)
		die(EXIT_FAILED, "%s", err);
	if (!rc) {
		rc = connect_ctl(dirfd, target_pid, deadline, &fd);
		close(dirfd);
	}
	if (rc == -ECONNREFUSED || rc == -ENOENT) {
		/* no socket, or a stale one; it may have exited meanwhile */
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
	check_peer(fd, owner);
	return fd;
}

/* One request: ASK_DONE (the answer was printed, or none was wanted) or
 * ASK_BUSY (every slot was taken: ask again).  Exits on any failure. */
static int ask(int want_wait, const struct timespec *accept_deadline,
	       const struct timespec *final_deadline)
{
	static char line[MTCP_CTL_LINE_MAX + 1];
	const struct timespec *deadline;
	size_t len = 0;
	int accepted = 0, fd, rc;
	unsigned long degraded = 0;

	fd = reach(accept_deadline);
	rc = send_request(fd, accept_deadline);
	/* -EPIPE: closed on us, but a refusal ("ERR too many clients") may
	 * wait to be read; EOF without it is reported below */
	if (rc == -ETIMEDOUT)
		die_timeout();
	if (rc && rc != -EPIPE)
		die(EXIT_FAILED, "cannot send to process %d: %s", target_pid, strerror(-rc));

	for (;;) {
		char *nl;
		ssize_t n;

		/* Answers may arrive in pieces: handle each complete line. */
		while ((nl = memchr(line, '\n', len))) {
			size_t used = (size_t)(nl - line) + 1;
			const char *why = line + strlen(MTCP_CTL_ERR);
			*nl = '\0';
			if (!strcmp(line, MTCP_CTL_ACCEPTED)) {
				accepted = 1;
				if (!want_wait)
					return ASK_DONE;
			} else if (starts_with(line, MTCP_CTL_PAUSE)) {
				/* how long the program stood still: with copy-on-write a
				 * few ms, however long the image took to write */
				if (want_wait)
					fprintf(stderr, "paused %.3f ms\n",
						strtoull(line + strlen(MTCP_CTL_PAUSE), NULL, 10) / 1e6);
			} else if (starts_with(line, MTCP_CTL_DEGRADED)) {
				degraded = strtoul(line + strlen(MTCP_CTL_DEGRADED), NULL, 10);
			} else if (starts_with(line, MTCP_CTL_OK)) {
				if (want_wait) {
					if (degraded)
						fprintf(stderr, "degraded: %lu object%s (mtcp_restart "
							"--verify lists them)\n", degraded,
							degraded == 1 ? "" : "s");
					else
						fprintf(stderr, "complete\n");
					printf("%s\n", line + strlen(MTCP_CTL_OK));
					if (fflush(stdout) || ferror(stdout))
						die(EXIT_FAILED, "cannot write to standard output: %s",
						    strerror(errno));
				}
				return ASK_DONE;
			} else if (!accepted && starts_with(line, MTCP_CTL_ERR) &&
				   !strcmp(why, MTCP_CTL_ERR_BUSY)) {
				close(fd);
				return ASK_BUSY;
			} else if (!accepted && starts_with(line, MTCP_CTL_ERR) &&
				   !strcmp(why, MTCP_CTL_ERR_DENIED)) {
				die(EXIT_FAILED, "permission denied: process %d refused the request",
				    target_pid);
			} else if (starts_with(line, MTCP_CTL_ERR)) {
				die(EXIT_FAILED, "checkpoint of %d failed: %s", target_pid, why);
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

		deadline = accepted ? final_deadline : accept_deadline;
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

int main(int argc, char **argv)
{
	int want_wait = 0, have_timeout = 0, opt;
	double timeout = 0;
	struct timespec accept_deadline, final_deadline = { 0, 0 };

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
			die(EXIT_USAGE, "option '%s' needs a value (see --help)", cli_bad_option(argv));
		default:
			die(EXIT_USAGE, "invalid option '%s' (see --help)", cli_bad_option(argv));
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

	while (ask(want_wait, &accept_deadline, have_timeout ? &final_deadline : NULL) == ASK_BUSY) {
		struct timespec pause = { 0, BUSY_RETRY_NS };
		if (remaining_ms(&accept_deadline) == 0)
			die(EXIT_FAILED, "process %d has too many clients; gave up after %s s",
			    target_pid, timeout_str);
		nanosleep(&pause, NULL);
	}
	return 0;
}
