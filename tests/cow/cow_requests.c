/* SPDX-License-Identifier: MIT */
/*
 * cow_requests.c - one checkpoint at a time (issue 10): a request that
 * arrives while an image is written is served by a new snapshot, taken
 * once that image is done; mtcp_checkpoint() in a program thread returns
 * when its image is durable, while the other threads run on.  Driven by
 * cow_requests.sh.
 *
 * Links libmtcp-fast and calls mtcp_init() (MTCP_* from the environment).
 * A counting thread adds 1 to `count` as fast as it can; when
 * mtcp_restart_count() changes it keeps the count it had then in
 * `count_at_restart` (the count of the snapshot, or one more).  `marker`
 * changes only when the driver says so.
 *
 * Commands on stdin (one a line), answers on stdout:
 *   marker V      -> "marker V"
 *   count         -> "count C"
 *   waitcount C   -> "count C'" once C' >= C ("timeout C'" after 20 s)
 *   ckpt          -> "requesting": a new thread calls mtcp_checkpoint();
 *                    when it returns it prints
 *                    "selfckpt rc RC count C image PATH" (C: the count
 *                    right after the return; PATH: mtcp_last_image())
 *   inreq         -> "inreq yes" once that thread waits inside
 *                    mtcp_checkpoint() (it sleeps in a futex there: the
 *                    request was made), else "inreq no ..." after 20 s
 *   status        -> "status STATE rc RC" (STATE 0: no call, 1: in
 *                    mtcp_checkpoint(), 2: returned)
 *   show          -> "show marker M restarts R count_at_restart C"
 *   quit          -> exits 0
 * At start: "ready PID PPID restarts R".
 */
#include <mtcp.h>

#include "cow_out.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define WAIT_S 20

static uint64_t marker;
static uint64_t count;
static uint64_t count_at_restart;
static int req_state;
static int req_rc;
static pid_t req_tid;

/* The interval of a poll that has its own deadline. */
static void pace_ms(long ms)
{
	struct timespec ts = { 0, ms * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static void *count_main(void *arg)
{
	unsigned long seen = mtcp_restart_count();

	(void)arg;
	for (;;) {
		unsigned long r = mtcp_restart_count();
		uint64_t c = __atomic_load_n(&count, __ATOMIC_RELAXED);

		if (r != seen) {
			__atomic_store_n(&count_at_restart, c, __ATOMIC_RELEASE);
			seen = r;
		}
		__atomic_store_n(&count, c + 1, __ATOMIC_RELAXED);
	}
	return NULL;
}

static void *request_main(void *arg)
{
	char image[4096];
	uint64_t c;
	int rc;

	(void)arg;
	__atomic_store_n(&req_tid, (pid_t)syscall(SYS_gettid), __ATOMIC_RELEASE);
	__atomic_store_n(&req_state, 1, __ATOMIC_RELEASE);
	rc = mtcp_checkpoint();
	c = __atomic_load_n(&count, __ATOMIC_RELAXED);
	image[0] = '\0';
	mtcp_last_image(image, sizeof(image));
	__atomic_store_n(&req_rc, rc, __ATOMIC_RELEASE);
	__atomic_store_n(&req_state, 2, __ATOMIC_RELEASE);
	out("selfckpt rc %d count %llu image %s", rc, (unsigned long long)c, image);
	return NULL;
}

/* The system call thread tid sleeps in (-1: running or unknown). */
static long in_syscall(pid_t tid)
{
	char path[64], buf[128];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/self/task/%d/syscall", (int)tid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0 || buf[0] < '0' || buf[0] > '9')
		return -1;
	buf[n] = '\0';
	return atol(buf);
}

static void command(const char *line)
{
	unsigned long long v;
	uint64_t dl = now_ns() + (uint64_t)WAIT_S * 1000000000ull;

	if (sscanf(line, "marker %llu", &v) == 1) {
		__atomic_store_n(&marker, (uint64_t)v, __ATOMIC_RELEASE);
		out("marker %llu", v);
	} else if (!strcmp(line, "count")) {
		out("count %llu", (unsigned long long)__atomic_load_n(&count, __ATOMIC_RELAXED));
	} else if (sscanf(line, "waitcount %llu", &v) == 1) {
		while (__atomic_load_n(&count, __ATOMIC_RELAXED) < v && now_ns() < dl)
			pace_ms(1);
		out("%s %llu", __atomic_load_n(&count, __ATOMIC_RELAXED) >= v ? "count" : "timeout",
		    (unsigned long long)__atomic_load_n(&count, __ATOMIC_RELAXED));
	} else if (!strcmp(line, "ckpt")) {
		pthread_t t;
		int rc;

		if (__atomic_load_n(&req_state, __ATOMIC_ACQUIRE) != 0) {
			out("FAIL ckpt asked for twice");
			return;
		}
		if ((rc = pthread_create(&t, NULL, request_main, NULL))) {
			out("FAIL pthread_create: %s", strerror(rc));
			return;
		}
		pthread_detach(t);
		out("requesting");
	} else if (!strcmp(line, "inreq")) {
		long sc = -1;
		int st;

		while ((st = __atomic_load_n(&req_state, __ATOMIC_ACQUIRE)) != 1 ||
		       (sc = in_syscall(__atomic_load_n(&req_tid, __ATOMIC_ACQUIRE))) != SYS_futex) {
			if (st == 2 || now_ns() > dl)
				break;
			pace_ms(1);
		}
		if (st == 1 && sc == SYS_futex)
			out("inreq yes");
		else
			out("inreq no: state %d, system call %ld", st, sc);
	} else if (!strcmp(line, "status")) {
		out("status %d rc %d", __atomic_load_n(&req_state, __ATOMIC_ACQUIRE),
		    __atomic_load_n(&req_rc, __ATOMIC_ACQUIRE));
	} else if (!strcmp(line, "show")) {
		out("show marker %llu restarts %lu count_at_restart %llu",
		    (unsigned long long)__atomic_load_n(&marker, __ATOMIC_ACQUIRE), mtcp_restart_count(),
		    (unsigned long long)__atomic_load_n(&count_at_restart, __ATOMIC_ACQUIRE));
	} else if (!strcmp(line, "quit")) {
		out("bye");
		exit(0);
	} else {
		out("unknown command '%.100s'", line);
	}
}

int main(void)
{
	pthread_t t;
	int rc;

	signal(SIGPIPE, SIG_IGN);
	if ((rc = mtcp_init(NULL))) {
		out("FAIL mtcp_init: %s", strerror(-rc));
		return 1;
	}
	if ((rc = pthread_create(&t, NULL, count_main, NULL))) {
		out("FAIL pthread_create: %s", strerror(rc));
		return 1;
	}
	out("ready %d %d restarts %lu", (int)getpid(), (int)getppid(), mtcp_restart_count());
	return command_loop(command);
}
