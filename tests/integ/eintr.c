/* SPDX-License-Identifier: MIT */
/*
 * eintr.c - which blocking calls a checkpoint interrupts (run with
 * --mode continue: the same process goes on after the checkpoint).
 */
#include "mt_test.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

const char *test_doc =
	"threads blocked in pthread_mutex_lock, pthread_cond_wait, pthread_join, "
	"read on a pipe and waitpid must not see EINTR from a checkpoint; poll and "
	"nanosleep may, and their retry loops must still complete correctly.";

#define SLEEP_S 4
#define WAIT_S 15
#define MSG "8 bytes!"

enum { T_MUTEX, T_COND, T_TARGET, T_JOIN, T_READ, T_WAITPID, T_POLL, T_SLEEP, NT };

static const char *const tname[NT] = {
	"pthread_mutex_lock", "pthread_cond_wait", "join target", "pthread_join",
	"read", "waitpid", "poll", "nanosleep",
};

struct tstate {
	pthread_t th;
	pid_t tid;
	int result;      /* 0 ok, or an errno-like code */
	int eintr;       /* EINTR seen (and retried) */
	const char *err; /* what went wrong */
};

static struct tstate t[NT];
static pthread_mutex_t held = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t c_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t c_cond = PTHREAD_COND_INITIALIZER;
static int c_flag;
static int read_pipe[2], poll_pipe[2], child_pipe[2];
static pid_t child;
static uint64_t sleep_ns;

static void *thr_mutex(void *a)
{
	struct tstate *s = a;
	__atomic_store_n(&s->tid, mt_gettid(), __ATOMIC_RELEASE);
	s->result = pthread_mutex_lock(&held);
	if (s->result == EINTR)
		s->eintr++;
	if (!s->result)
		pthread_mutex_unlock(&held);
	return NULL;
}

static void *thr_cond(void *a)
{
	struct tstate *s = a;
	__atomic_store_n(&s->tid, mt_gettid(), __ATOMIC_RELEASE);
	pthread_mutex_lock(&c_lock);
	while (!c_flag) {
		int rc = pthread_cond_wait(&c_cond, &c_lock);
		if (rc == EINTR)
			s->eintr++;
		else if (rc)
			s->result = rc;
	}
	pthread_mutex_unlock(&c_lock);
	return NULL;
}

static void *thr_target(void *a)
{
	thr_cond(a);
	return (void *)0x42;
}

static void *thr_join(void *a)
{
	struct tstate *s = a;
	void *ret = NULL;
	__atomic_store_n(&s->tid, mt_gettid(), __ATOMIC_RELEASE);
	s->result = pthread_join(t[T_TARGET].th, &ret);
	if (s->result == EINTR)
		s->eintr++;
	if (!s->result && ret != (void *)0x42)
		s->err = "pthread_join returned the wrong value";
	return NULL;
}

static void *thr_read(void *a)
{
	struct tstate *s = a;
	char buf[sizeof(MSG)];
	ssize_t n;

	__atomic_store_n(&s->tid, mt_gettid(), __ATOMIC_RELEASE);
	for (;;) {
		n = read(read_pipe[0], buf, sizeof(MSG) - 1);
		if (n < 0 && errno == EINTR) {
			s->eintr++;
			continue;
		}
		break;
	}
	if (n != sizeof(MSG) - 1 || memcmp(buf, MSG, sizeof(MSG) - 1))
		s->err = "read returned the wrong data";
	return NULL;
}

static void *thr_waitpid(void *a)
{
	struct tstate *s = a;
	int st = 0;
	pid_t p;

	__atomic_store_n(&s->tid, mt_gettid(), __ATOMIC_RELEASE);
	for (;;) {
		p = waitpid(child, &st, 0);
		if (p < 0 && errno == EINTR) {
			s->eintr++;
			continue;
		}
		break;
	}
	if (p != child)
		s->err = "waitpid failed";
	else if (!WIFEXITED(st) || WEXITSTATUS(st) != 42)
		s->err = "waitpid returned the wrong status";
	return NULL;
}

static void *thr_poll(void *a)
{
	struct tstate *s = a;
	struct pollfd pfd = { .fd = poll_pipe[0], .events = POLLIN };
	char buf[sizeof(MSG)];
	int rc;

	__atomic_store_n(&s->tid, mt_gettid(), __ATOMIC_RELEASE);
	for (;;) {
		rc = poll(&pfd, 1, -1);
		if (rc < 0 && errno == EINTR) {
			s->eintr++;
			continue;
		}
		break;
	}
	if (rc != 1 || !(pfd.revents & POLLIN))
		s->err = "poll did not report the data";
	else if (read(poll_pipe[0], buf, sizeof(MSG) - 1) != sizeof(MSG) - 1 ||
		 memcmp(buf, MSG, sizeof(MSG) - 1))
		s->err = "the data after poll is wrong";
	return NULL;
}

static void *thr_sleep(void *a)
{
	struct tstate *s = a;
	struct timespec req = { SLEEP_S, 0 }, rem;
	uint64_t start = mt_now_ns();

	__atomic_store_n(&s->tid, mt_gettid(), __ATOMIC_RELEASE);
	while (nanosleep(&req, &rem)) {
		if (errno != EINTR) {
			s->err = "nanosleep failed";
			return NULL;
		}
		s->eintr++;
		req = rem;
	}
	sleep_ns = mt_now_ns() - start;
	if (sleep_ns < (uint64_t)SLEEP_S * 1000000000ull)
		s->err = "nanosleep ended early";
	return NULL;
}

static void *(*const tfn[NT])(void *) = {
	thr_mutex, thr_cond, thr_target, thr_join, thr_read, thr_waitpid, thr_poll, thr_sleep,
};

/* 1 if thread tid is blocked in one of the system calls nr[]. */
static int blocked_in(pid_t tid, const long *nr, int n)
{
	char path[64], buf[256];
	ssize_t got;
	long cur;
	int fd;

	snprintf(path, sizeof(path), "/proc/self/task/%d/syscall", (int)tid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	got = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (got <= 0)
		return 0;
	buf[got] = '\0';
	if (sscanf(buf, "%ld", &cur) != 1)
		return 0; /* "running" */
	for (int i = 0; i < n; i++)
		if (cur == nr[i])
			return 1;
	return 0;
}

/* Waits (bounded) until every thread sits in its blocking system call. */
static void wait_all_blocked(void)
{
	static const long futex[] = { SYS_futex };
	static const long rd[] = { SYS_read };
	static const long wt[] = { SYS_wait4, SYS_waitid };
	static const long pl[] = { SYS_poll, SYS_ppoll };
	static const long sl[] = { SYS_nanosleep, SYS_clock_nanosleep };
	static const struct { const long *nr; int n; } want[NT] = {
		{ futex, 1 }, { futex, 1 }, { futex, 1 }, { futex, 1 },
		{ rd, 1 }, { wt, 2 }, { pl, 2 }, { sl, 2 },
	};
	uint64_t deadline = mt_now_ns() + (uint64_t)WAIT_S * 1000000000ull;

	for (int i = 0; i < NT; i++) {
		while (!__atomic_load_n(&t[i].tid, __ATOMIC_ACQUIRE) ||
		       !blocked_in(t[i].tid, want[i].nr, want[i].n)) {
			struct timespec pace = { 0, 1000000 };
			if (mt_now_ns() > deadline)
				fail("thread '%s' did not block within %d s", tname[i], WAIT_S);
			nanosleep(&pace, NULL); /* paces a bounded poll of /proc */
		}
	}
}

static void write_msg(int fd, const char *what)
{
	if (write(fd, MSG, sizeof(MSG) - 1) != sizeof(MSG) - 1)
		fail("writing to the %s pipe: %s", what, strerror(errno));
}

int main(int argc, char **argv)
{
	int rc;
	char c;

	mt_test_init(argc, argv);

	/* setup */
	if (pipe(read_pipe) || pipe(poll_pipe) || pipe(child_pipe))
		fail("pipe: %s", strerror(errno));
	child = fork();
	if (child < 0)
		fail("fork: %s", strerror(errno));
	if (child == 0) {
		/* exits once the parent writes, after the checkpoint */
		close(child_pipe[1]);
		while (read(child_pipe[0], &c, 1) < 0 && errno == EINTR)
			;
		_exit(42);
	}
	close(child_pipe[0]);
	pthread_mutex_lock(&held);
	for (int i = 0; i < NT; i++)
		if ((rc = pthread_create(&t[i].th, NULL, tfn[i], &t[i])))
			fail("pthread_create: %s", strerror(rc));
	wait_all_blocked();
	mt_note("all %d threads are blocked", NT);

	mt_test_ready();

	/* verify: nothing returned early */
	if (!mt_wakeups)
		fail("the wait was never interrupted: no checkpoint happened");
	for (int i = 0; i < NT; i++)
		if (i != T_SLEEP && (t[i].result || t[i].err))
			fail("%s returned before it was released: %s", tname[i],
			     t[i].err ? t[i].err : strerror(t[i].result));
	pthread_mutex_unlock(&held);
	pthread_mutex_lock(&c_lock);
	c_flag = 1;
	pthread_cond_broadcast(&c_cond);
	pthread_mutex_unlock(&c_lock);
	write_msg(read_pipe[1], "read");
	write_msg(poll_pipe[1], "poll");
	if (write(child_pipe[1], "x", 1) != 1)
		fail("writing to the child: %s", strerror(errno));

	for (int i = 0; i < NT; i++) {
		struct timespec dl;
		if (i == T_TARGET)
			continue; /* joined by T_JOIN */
		clock_gettime(CLOCK_REALTIME, &dl);
		dl.tv_sec += WAIT_S;
		if ((rc = pthread_timedjoin_np(t[i].th, NULL, &dl)))
			fail("%s did not finish: %s", tname[i], strerror(rc));
	}
	for (int i = 0; i < NT; i++) {
		mt_note("%-18s %s", tname[i], t[i].eintr ? "saw EINTR (retried)" : "no EINTR");
		if (t[i].result)
			fail("%s: %s", tname[i], strerror(t[i].result));
		if (t[i].err)
			fail("%s: %s", tname[i], t[i].err);
	}
	if (t[T_READ].eintr)
		fail("read on a pipe saw EINTR %d times", t[T_READ].eintr);
	if (t[T_WAITPID].eintr)
		fail("waitpid saw EINTR %d times", t[T_WAITPID].eintr);
	for (int i = T_MUTEX; i <= T_JOIN; i++)
		if (t[i].eintr)
			fail("%s returned EINTR", tname[i]);
	mt_note("nanosleep(%d s) took %.3f s", SLEEP_S, (double)sleep_ns / 1e9);
	pass();
}
