/* SPDX-License-Identifier: MIT */
/* mt_test.c - see mt_test.h. */
#include "mt_test.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

pid_t mt_pid0, mt_ppid0;
volatile int mt_wakeups;

static volatile sig_atomic_t got_usr1;
static void crc_init(void);
static void (*woke_hook)(void);

static void usr1_handler(int sig)
{
	int saved = errno;

	(void)sig;
	got_usr1 = 1;
	/* delivered to another thread that let it in: wake the main thread,
	 * which waits in sigsuspend() (the pid is the main thread's tid) */
	if (syscall(SYS_gettid) != getpid())
		syscall(SYS_tgkill, getpid(), getpid(), SIGUSR1);
	errno = saved;
}

static void vline(FILE *f, const char *prefix, const char *fmt, va_list ap)
{
	char buf[1024];

	vsnprintf(buf, sizeof(buf), fmt, ap);
	fprintf(f, "%s%s\n", prefix, buf);
	fflush(f);
}

void mt_note(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vline(stdout, "# ", fmt, ap);
	va_end(ap);
}

void mt_test_send(const char *fmt, ...)
{
	const char *path = getenv("MT_READY_FIFO");
	char line[1024];
	va_list ap;
	int n, fd;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n > sizeof(line) - 2)
		n = (int)sizeof(line) - 2;
	line[n++] = '\n';
	if (!path || !*path) {
		fwrite(line, 1, (size_t)n, stdout);
		fflush(stdout);
		return;
	}
	/* the runner holds the FIFO open for reading and writing: neither the
	 * open nor a write of less than PIPE_BUF bytes can block */
	do
		fd = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
	while (fd < 0 && errno == EINTR);
	if (fd < 0) {
		fprintf(stderr, "mt_test: cannot open %s: %s\n", path, strerror(errno));
		return;
	}
	if (write(fd, line, (size_t)n) != n)
		fprintf(stderr, "mt_test: cannot write to %s: %s\n", path, strerror(errno));
	close(fd);
}

void mt_test_init(int argc, char **argv)
{
	struct sigaction sa;
	sigset_t set;

	(void)argc;
	setvbuf(stdout, NULL, _IOLBF, 0);
	crc_init();
	mt_pid0 = getpid();
	mt_ppid0 = getppid();

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = usr1_handler;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGUSR1, &sa, NULL))
		fail("sigaction(SIGUSR1): %s", strerror(errno));
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	if (sigprocmask(SIG_BLOCK, &set, NULL))
		fail("sigprocmask: %s", strerror(errno));
	mt_note("%s: %s", argv && argv[0] ? argv[0] : "test", test_doc);
	mt_note("pid %d ppid %d", (int)mt_pid0, (int)mt_ppid0);
}

void mt_test_set_woke_hook(void (*fn)(void))
{
	woke_hook = fn;
}

void mt_test_ready(void)
{
	sigset_t wait_mask;

	if (sigprocmask(SIG_BLOCK, NULL, &wait_mask))
		fail("sigprocmask: %s", strerror(errno));
	sigdelset(&wait_mask, SIGUSR1);

	mt_test_send("ready %d %d", (int)getpid(), (int)getppid());
	while (!got_usr1) {
		sigsuspend(&wait_mask); /* always -1/EINTR once a handler ran */
		if (got_usr1)
			break;
		/* a checkpoint (or another handled signal) interrupted us: the
		 * program is live again, maybe in a restarted process */
		mt_wakeups++;
		if (woke_hook)
			woke_hook();
		mt_test_send("woke %d %d", (int)getpid(), (int)getppid());
	}
	got_usr1 = 0;
	mt_note("continuing: pid %d ppid %d, %d wakeup(s)", (int)getpid(), (int)getppid(),
		(int)mt_wakeups);
}

int mt_expect_new_ids(void)
{
	const char *v = getenv("MT_EXPECT_NEW_IDS");
	const char *path = getenv("MT_EXPECT_FILE");
	char c = 0;
	int fd;

	if (v && !strcmp(v, "1"))
		return 1;
	if (!path || !*path)
		return 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	if (read(fd, &c, 1) != 1)
		c = 0;
	close(fd);
	return c == '1';
}

const char *mt_tmpdir(void)
{
	const char *d = getenv("MT_TMPDIR");

	return d && *d ? d : NULL;
}

void pass(void)
{
	printf("PASS\n");
	fflush(NULL);
	mt_test_send("pass %d", (int)getpid());
	_exit(0);
}

void fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vline(stdout, "FAIL: ", fmt, ap);
	va_end(ap);
	fflush(NULL);
	mt_test_send("fail %d", (int)getpid());
	_exit(1);
}

void skip(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vline(stdout, "SKIP: ", fmt, ap);
	va_end(ap);
	fflush(NULL);
	mt_test_send("skip %d", (int)getpid());
	_exit(77);
}

/* Table-driven CRC-32, polynomial 0xEDB88320 (reflected 0x04C11DB7). */
static uint32_t crc_table[256];
static int crc_table_ready;

static void crc_init(void)
{
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i;
		for (int k = 0; k < 8; k++)
			c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
		crc_table[i] = c;
	}
	__atomic_store_n(&crc_table_ready, 1, __ATOMIC_RELEASE);
}

uint32_t mt_crc32(uint32_t crc, const void *buf, size_t len)
{
	const unsigned char *p = buf;

	if (!__atomic_load_n(&crc_table_ready, __ATOMIC_ACQUIRE))
		crc_init(); /* idempotent: racing threads write the same values */
	crc = ~crc;
	while (len--)
		crc = crc_table[(crc ^ *p++) & 0xff] ^ (crc >> 8);
	return ~crc;
}

uint64_t mt_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

pid_t mt_gettid(void)
{
	return (pid_t)syscall(SYS_gettid);
}
