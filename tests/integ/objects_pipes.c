/* SPDX-License-Identifier: MIT */
/*
 * objects_pipes.c - kernel objects whose every end is in the process, with
 * state in them, across a restart (docs/format.md, "Kernel objects"):
 * pipes and a FIFO with bytes in flight, eventfds, timerfds, a signalfd, a
 * sealed memfd and an O_TMPFILE file.
 *
 * The timers are judged against time the program was alive, measured by a
 * watcher thread: it polls every 5 ms and counts the time between two looks
 * unless it is longer than GAP_NS (then the program was down, or parked).
 * An ITIMER_REAL armed with the relative timerfd is frozen the same way
 * (its remaining time is saved and armed again): the two must fire
 * together.
 */
#include "mt_test.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

const char *test_doc =
	"pipes (60 KiB in flight in a 128 KiB pipe, O_NONBLOCK on one end, a dup, "
	"packet mode, a reader whose writer is closed, a second description of each "
	"end), a FIFO opened three times with bytes in it, eventfds (count 7, "
	"semaphore, a count above 2^32), timerfds (relative with an interval, "
	"frozen while down; two expirations unread; absolute), a signalfd with a "
	"pending signal, a sealed memfd and an O_TMPFILE file come back with "
	"their state.";

#define KiB 1024u
#define MS 1000000ull
#define SEC 1000000000ull
#define A_BYTES (60 * KiB)
#define A_SIZE (128 * KiB)
#define B_BYTES 5000u
#define E_BYTES 3000u
#define FIFO_BYTES 7000u
#define MEMFD_BYTES (100 * KiB + 17)
#define MEMFD_POS 4321
#define MEMFD_NAME "mtcp-objs memfd"
#define TMP_BYTES (50 * KiB)
#define TMP_POS 777
#define BIG_COUNT 0x123456789ull
#define T1_VALUE (1500 * MS)
#define T1_INTERVAL (200 * MS)
#define T2_INTERVAL (600 * SEC)
#define T3_AFTER (2500 * MS)
#define GAP_NS (80 * MS)
#define WATCH_MAX_ALIVE (12 * SEC)

/* ---- helpers ---------------------------------------------------------- */

static unsigned char pat(uint64_t i, unsigned seed)
{
	uint64_t x = (i + 1) * 0x9E3779B97F4A7C15ull ^ (seed * 0x51ull);
	return (unsigned char)(x >> 31);
}

static void fill(unsigned char *b, size_t n, unsigned seed)
{
	for (size_t i = 0; i < n; i++)
		b[i] = pat(i, seed);
}

static void put(int fd, const void *b, size_t n, const char *what)
{
	const char *p = b;
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			fail("writing %s: %s", what, strerror(errno));
		p += w;
		n -= (size_t)w;
	}
}

/* Reads exactly n bytes (blocking or not: it polls), in at most 5 s. */
static void get(int fd, void *b, size_t n, const char *what)
{
	char *p = b;
	size_t got = 0;
	while (got < n) {
		struct pollfd pf = { fd, POLLIN, 0 };
		ssize_t r;
		if (poll(&pf, 1, 5000) == 0)
			fail("%s: only %zu of %zu bytes came", what, got, n);
		r = read(fd, p + got, n - got);
		if (r < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (r < 0)
			fail("reading %s: %s", what, strerror(errno));
		if (r == 0)
			fail("%s: end of file after %zu of %zu bytes", what, got, n);
		got += (size_t)r;
	}
}

static void check_bytes(int fd, size_t n, unsigned seed, const char *what)
{
	unsigned char *b = malloc(n), *w = malloc(n);
	if (!b || !w)
		fail("out of memory");
	get(fd, b, n, what);
	fill(w, n, seed);
	for (size_t i = 0; i < n; i++)
		if (b[i] != w[i])
			fail("%s: byte %zu is %#x, was %#x", what, i, b[i], w[i]);
	free(b);
	free(w);
}

static void put_pattern(int fd, size_t n, unsigned seed, const char *what)
{
	unsigned char *b = malloc(n);
	if (!b)
		fail("out of memory");
	fill(b, n, seed);
	put(fd, b, n, what);
	free(b);
}

static int fionread(int fd)
{
	int n = -1;
	if (ioctl(fd, FIONREAD, &n))
		fail("FIONREAD on fd %d: %s", fd, strerror(errno));
	return n;
}

static int getfl(int fd)
{
	int fl = fcntl(fd, F_GETFL);
	if (fl < 0)
		fail("F_GETFL fd %d: %s", fd, strerror(errno));
	return fl & ~O_LARGEFILE;
}

static void link_of(int fd, char *out, size_t len)
{
	char proc[64];
	ssize_t n;
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	n = readlink(proc, out, len - 1);
	if (n < 0)
		fail("readlink %s: %s", proc, strerror(errno));
	out[n] = '\0';
}

/* The value of `key` in /proc/self/fdinfo/fd, as text. */
static void fdinfo(int fd, const char *key, char *out, size_t len)
{
	char path[64], buf[4096], *p;
	FILE *f;
	size_t n;
	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "r");
	if (!f)
		fail("%s: %s", path, strerror(errno));
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	for (p = buf; p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (!strncmp(p, key, strlen(key))) {
			p += strlen(key);
			while (*p == ' ' || *p == '\t')
				p++;
			snprintf(out, len, "%.*s", (int)strcspn(p, "\n"), p);
			return;
		}
	fail("fd %d: no '%s' in %s", fd, key, path);
}

static uint64_t clock_ns(clockid_t c)
{
	struct timespec ts;
	clock_gettime(c, &ts);
	return (uint64_t)ts.tv_sec * SEC + (uint64_t)ts.tv_nsec;
}

static struct timespec ts_of(uint64_t ns)
{
	struct timespec ts = { (time_t)(ns / SEC), (long)(ns % SEC) };
	return ts;
}

static uint64_t ns_of(struct timespec ts)
{
	return (uint64_t)ts.tv_sec * SEC + (uint64_t)ts.tv_nsec;
}

static uint64_t read_u64(int fd, const char *what)
{
	uint64_t v = 0;
	ssize_t n = read(fd, &v, sizeof(v));
	if (n != (ssize_t)sizeof(v))
		fail("reading %s: %s", what, n < 0 ? strerror(errno) : "short read");
	return v;
}

static void expect_eagain(int fd, const char *what)
{
	char b[256]; /* a signalfd reads whole siginfos (128 bytes) */
	ssize_t n = read(fd, b, sizeof(b));
	if (n >= 0 || errno != EAGAIN)
		fail("%s: a read should find nothing (EAGAIN), got %zd (%s)", what, n,
		     n < 0 ? strerror(errno) : "bytes");
}

/* ---- the watcher: time alive, and when each timer fired ---------------- */

static int t1, t3;                 /* timerfds it watches */
static uint64_t t3_abs;            /* T3's expiration, CLOCK_MONOTONIC */
static volatile sig_atomic_t alarm_seen;
static volatile int verifying;     /* set by main after the restart */
static struct {
	uint64_t alive;            /* ns alive so far */
	uint64_t last;             /* CLOCK_MONOTONIC at the last look */
	uint64_t seg_start;        /* ... at the first look of this stretch */
	int gaps;                  /* stretches the program was down or parked */
	int t1_fired, t3_fired, alarm_fired;
	uint64_t t1_alive, alarm_alive;
	uint64_t t3_mono, t3_seg_start;
} w;

static void alrm_handler(int sig)
{
	(void)sig;
	alarm_seen = 1;
}

static void look(void)
{
	uint64_t now = mt_now_ns();
	if (now - w.last > GAP_NS) {
		w.gaps++;
		w.seg_start = now;
	} else {
		w.alive += now - w.last;
	}
	w.last = now;
}

static void *watcher(void *arg)
{
	sigset_t alrm;

	(void)arg;
	sigemptyset(&alrm);
	sigaddset(&alrm, SIGALRM);
	pthread_sigmask(SIG_UNBLOCK, &alrm, NULL);
	while (!(verifying && w.t1_fired && w.t3_fired && w.alarm_fired) &&
	       w.alive < WATCH_MAX_ALIVE) {
		struct pollfd pf[2] = { { t1, POLLIN, 0 }, { t3, POLLIN, 0 } };
		/* a fired timer is left unread: its ticks are checked later */
		int n = poll(pf, 2, 5);
		look();
		if (alarm_seen && !w.alarm_fired) {
			w.alarm_fired = 1;
			w.alarm_alive = w.alive;
		}
		if (n > 0 && (pf[0].revents & POLLIN) && !w.t1_fired) {
			w.t1_fired = 1;
			w.t1_alive = w.alive;
		}
		if (n > 0 && (pf[1].revents & POLLIN) && !w.t3_fired) {
			w.t3_fired = 1;
			w.t3_mono = w.last;
			w.t3_seg_start = w.seg_start;
		}
		if (w.t1_fired && w.t3_fired) {
			/* nothing more to poll for: wait for main or the alarm */
			struct timespec d = { 0, 5 * 1000 * 1000 };
			nanosleep(&d, NULL);
		}
	}
	return NULL;
}

/* ---- the objects ------------------------------------------------------- */

struct snap {
	const char *name;
	int fd;
	int fl, fdfl;
};

#define NSNAP 32
static struct snap snaps[NSNAP];
static int nsnap;

static void remember(const char *name, int fd)
{
	if (fd < 0)
		fail("%s: %s", name, strerror(errno));
	snaps[nsnap].name = name;
	snaps[nsnap].fd = fd;
	snaps[nsnap].fl = getfl(fd);
	snaps[nsnap].fdfl = fcntl(fd, F_GETFD);
	nsnap++;
}

static int at(int fd, int where)
{
	int n = fcntl(fd, F_DUPFD, where);
	if (n < 0)
		fail("F_DUPFD %d: %s", where, strerror(errno));
	close(fd);
	return n;
}

/* Everything fd holds until end of file, as text (at most len - 1 bytes). */
static void slurp(int fd, char *out, size_t len, const char *what)
{
	size_t got = 0;
	for (;;) {
		ssize_t n = read(fd, out + got, len - 1 - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			fail("reading %s: %s", what, strerror(errno));
		if (n == 0 || got + (size_t)n == len - 1) {
			got += (size_t)n;
			break;
		}
		got += (size_t)n;
	}
	out[got] = '\0';
}

/*
 * `integ_objects_pipes outside` (tests/pipe_outside.sh): fd 7 and stdin
 * are pipes whose writers are outside the process, fd 9 one whose reader
 * is; fd 8 is a pipe whose writer the program closed.  After the restart
 * it prints what each one reads up to end of file, and what a write to
 * fd 9 gives.
 */
static void outside(void)
{
	const char *fifo = getenv("OBJS_FIFO");
	char b[4096];
	int p[2], q = -1;
	ssize_t n;
	struct stat st;

	if (fcntl(7, F_GETPIPE_SZ) < 0 || fcntl(0, F_GETPIPE_SZ) < 0 ||
	    fcntl(9, F_GETPIPE_SZ) < 0)
		fail("outside: fds 0, 7 and 9 must be pipes");
	signal(SIGPIPE, SIG_IGN);
	if (pipe(p))
		fail("pipe: %s", strerror(errno));
	/* both ends above 9 first: pipe() takes the lowest free fds, and
	 * one of them may be 8 itself (dup2 would then close the other end,
	 * or the close below fd 8), depending on what else the process holds */
	for (int k = 0; k < 2; k++) {
		int f = fcntl(p[k], F_DUPFD, 10);
		if (f < 0)
			fail("F_DUPFD: %s", strerror(errno));
		close(p[k]);
		p[k] = f;
	}
	if (dup2(p[0], 8) != 8)
		fail("dup2: %s", strerror(errno));
	close(p[0]);
	put(p[1], "closed-writer", 13, "fd 8");
	close(p[1]);
	/* OBJS_FIFO: a FIFO opened for reading and writing, bytes in it */
	if (fifo) {
		q = open(fifo, O_RDWR | O_NONBLOCK);
		if (q < 0)
			fail("open %s: %s", fifo, strerror(errno));
		put(q, "fifo-data", 9, "the FIFO");
	}
	mt_test_ready();
	if (q >= 0) {
		get(q, b, 9, "the FIFO");
		if (stat(fifo, &st) || !S_ISFIFO(st.st_mode))
			fail("%s is not a FIFO", fifo);
		printf("fifo: [%.9s] mode %o\n", b, (unsigned)st.st_mode & 0777);
	}
	slurp(7, b, sizeof(b), "fd 7");
	printf("fd 7: [%s]\n", b);
	slurp(0, b, sizeof(b), "stdin");
	printf("fd 0: [%s]\n", b);
	slurp(8, b, sizeof(b), "fd 8");
	printf("fd 8: [%s]\n", b);
	n = write(9, "written-after", 13);
	printf("fd 9: %s\n", n == 13 ? "wrote" : n < 0 && errno == EPIPE ? "EPIPE" : "?");
	pass();
}

int main(int argc, char **argv)
{
	static char fifo_path[PATH_MAX], link[PATH_MAX], want[PATH_MAX], tmpdir_link[PATH_MAX];
	int p[2], a_rd, a_wr, b_rd, b_wr, c_rd, c_dup, c_wr, d_rd, d_wr, e_rd, f_rd, f_wr, f_rd2,
		f_wr2, q_rd, q_wr, q_rd2, e7, esem, ebig, t2, sfd, mfd, mfd_ro, tfd, tfd_wo;
	char sigmask_before[64], sigmask_after[64];
	unsigned char buf[8192];
	sigset_t blk, pend;
	pthread_t wt;
	const char *dir;
	struct itimerspec its;
	struct itimerval itv;
	struct stat st;
	uint64_t v;

	mt_test_init(argc, argv);
	if (argc > 1 && !strcmp(argv[1], "outside"))
		outside();
	dir = mt_tmpdir();
	if (!dir)
		skip("MT_TMPDIR is not set");

	/* SIGUSR2 stays pending for the signalfd; SIGALRM is the watcher's */
	sigemptyset(&blk);
	sigaddset(&blk, SIGUSR2);
	sigaddset(&blk, SIGALRM);
	if (sigprocmask(SIG_BLOCK, &blk, NULL))
		fail("sigprocmask: %s", strerror(errno));
	signal(SIGALRM, alrm_handler);

	/* A: 60 KiB in flight in a 128 KiB pipe; the write end has the lower
	 * number, so the restart makes the pipe from it */
	if (pipe(p))
		fail("pipe: %s", strerror(errno));
	a_wr = at(p[1], 200);
	a_rd = at(p[0], 201);
	if (fcntl(a_wr, F_SETPIPE_SZ, A_SIZE) < (int)A_SIZE)
		fail("F_SETPIPE_SZ %u: %s", A_SIZE, strerror(errno));
	put_pattern(a_wr, A_BYTES, 1, "pipe A");
	remember("pipe A read end", a_rd);
	remember("pipe A write end", a_wr);

	/* B: O_NONBLOCK on the read end only */
	if (pipe(p))
		fail("pipe: %s", strerror(errno));
	b_rd = p[0];
	b_wr = p[1];
	fcntl(b_rd, F_SETFL, O_NONBLOCK);
	put_pattern(b_wr, B_BYTES, 2, "pipe B");
	remember("pipe B read end", b_rd);
	remember("pipe B write end", b_wr);

	/* C: a dup of the read end (one description) */
	if (pipe(p))
		fail("pipe: %s", strerror(errno));
	c_rd = p[0];
	c_wr = p[1];
	c_dup = dup(c_rd);
	remember("pipe C read end", c_rd);
	remember("pipe C read end's dup", c_dup);
	remember("pipe C write end", c_wr);

	/* D: packet mode, three packets */
	if (pipe2(p, O_DIRECT))
		fail("pipe2 O_DIRECT: %s", strerror(errno));
	d_rd = p[0];
	d_wr = p[1];
	fill(buf, sizeof(buf), 4);
	put(d_wr, buf, 4096, "pipe D");
	put(d_wr, buf + 4096, 4096, "pipe D");
	put(d_wr, buf, 1000, "pipe D");
	remember("pipe D read end", d_rd);
	remember("pipe D write end", d_wr);

	/* E: the writer wrote and closed: the bytes, then end of file */
	if (pipe(p))
		fail("pipe: %s", strerror(errno));
	e_rd = p[0];
	put_pattern(p[1], E_BYTES, 5, "pipe E");
	close(p[1]);
	remember("pipe E read end", e_rd);

	/* F: each end opened a second time through /proc/self/fd */
	if (pipe(p))
		fail("pipe: %s", strerror(errno));
	f_rd = p[0];
	f_wr = p[1];
	snprintf(link, sizeof(link), "/proc/self/fd/%d", f_rd);
	f_rd2 = open(link, O_RDONLY | O_NONBLOCK);
	snprintf(link, sizeof(link), "/proc/self/fd/%d", f_wr);
	f_wr2 = open(link, O_WRONLY);
	remember("pipe F read end", f_rd);
	remember("pipe F write end", f_wr);
	remember("pipe F read end, again", f_rd2);
	remember("pipe F write end, again", f_wr2);

	/* a FIFO opened for reading twice and for writing, with bytes in it */
	snprintf(fifo_path, sizeof(fifo_path), "%s/objs.fifo", dir);
	if (mkfifo(fifo_path, 0640))
		fail("mkfifo %s: %s", fifo_path, strerror(errno));
	q_rd = open(fifo_path, O_RDONLY | O_NONBLOCK);
	q_wr = open(fifo_path, O_WRONLY);
	q_rd2 = open(fifo_path, O_RDONLY);
	put_pattern(q_wr, FIFO_BYTES, 6, "the FIFO");
	remember("FIFO read end", q_rd);
	remember("FIFO write end", q_wr);
	remember("FIFO read end, again", q_rd2);

	/* eventfds */
	e7 = eventfd(7, EFD_NONBLOCK);
	esem = eventfd(3, EFD_SEMAPHORE | EFD_NONBLOCK | EFD_CLOEXEC);
	ebig = eventfd(0, 0);
	v = BIG_COUNT;
	put(ebig, &v, sizeof(v), "eventfd");
	remember("eventfd 7", e7);
	remember("eventfd semaphore", esem);
	remember("eventfd big", ebig);

	/* timerfds: T1 relative with an interval, and an itimer beside it;
	 * T2 two expirations behind (absolute, in the past, long interval);
	 * T3 absolute, one shot */
	t1 = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK);
	t2 = timerfd_create(CLOCK_REALTIME, 0);
	t3 = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (t1 < 0 || t2 < 0 || t3 < 0)
		fail("timerfd_create: %s", strerror(errno));
	its.it_interval = ts_of(T2_INTERVAL);
	its.it_value = ts_of(clock_ns(CLOCK_REALTIME) - T2_INTERVAL * 3 / 2);
	if (timerfd_settime(t2, TFD_TIMER_ABSTIME, &its, NULL))
		fail("timerfd_settime T2: %s", strerror(errno));
	t3_abs = clock_ns(CLOCK_MONOTONIC) + T3_AFTER;
	its.it_interval = ts_of(0);
	its.it_value = ts_of(t3_abs);
	if (timerfd_settime(t3, TFD_TIMER_ABSTIME, &its, NULL))
		fail("timerfd_settime T3: %s", strerror(errno));
	its.it_interval = ts_of(T1_INTERVAL);
	its.it_value = ts_of(T1_VALUE);
	itv.it_interval.tv_sec = 0;
	itv.it_interval.tv_usec = 0;
	itv.it_value.tv_sec = (time_t)(T1_VALUE / SEC);
	itv.it_value.tv_usec = (suseconds_t)(T1_VALUE % SEC / 1000);
	w.last = w.seg_start = mt_now_ns();
	if (timerfd_settime(t1, 0, &its, NULL) || setitimer(ITIMER_REAL, &itv, NULL))
		fail("timerfd_settime T1 / setitimer: %s", strerror(errno));
	if (pthread_create(&wt, NULL, watcher, NULL))
		fail("pthread_create");
	remember("timerfd T1", t1);
	remember("timerfd T2", t2);
	remember("timerfd T3", t3);

	/* a signalfd with SIGUSR2 pending (process-directed, blocked) */
	sigemptyset(&blk);
	sigaddset(&blk, SIGUSR2);
	sigaddset(&blk, SIGWINCH);
	sfd = signalfd(-1, &blk, SFD_NONBLOCK | SFD_CLOEXEC);
	remember("signalfd", sfd);
	fdinfo(sfd, "sigmask:", sigmask_before, sizeof(sigmask_before));
	if (kill(getpid(), SIGUSR2))
		fail("kill SIGUSR2: %s", strerror(errno));

	/* a sealed memfd, read partway */
	mfd = memfd_create(MEMFD_NAME, MFD_ALLOW_SEALING | MFD_CLOEXEC);
	if (mfd < 0)
		fail("memfd_create: %s", strerror(errno));
	put_pattern(mfd, MEMFD_BYTES, 7, "memfd");
	if (lseek(mfd, MEMFD_POS, SEEK_SET) != MEMFD_POS)
		fail("lseek memfd: %s", strerror(errno));
	if (fcntl(mfd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL))
		fail("F_ADD_SEALS: %s", strerror(errno));
	remember("memfd", mfd);
	/* ... and a read-only description of it, elsewhere in it */
	snprintf(link, sizeof(link), "/proc/self/fd/%d", mfd);
	mfd_ro = open(link, O_RDONLY);
	if (mfd_ro < 0 || lseek(mfd_ro, 100, SEEK_SET) != 100)
		fail("memfd read-only: %s", strerror(errno));
	remember("memfd, read-only", mfd_ro);

	/* an O_TMPFILE file */
	tfd = open(dir, O_TMPFILE | O_RDWR, 0600);
	if (tfd < 0)
		fail("O_TMPFILE in %s: %s", dir, strerror(errno));
	put_pattern(tfd, TMP_BYTES, 8, "O_TMPFILE file");
	if (lseek(tfd, TMP_POS, SEEK_SET) != TMP_POS)
		fail("lseek O_TMPFILE file: %s", strerror(errno));
	remember("O_TMPFILE file", tfd);
	/* ... and a write-only description of it */
	snprintf(link, sizeof(link), "/proc/self/fd/%d", tfd);
	tfd_wo = open(link, O_WRONLY);
	if (tfd_wo < 0 || lseek(tfd_wo, 10, SEEK_SET) != 10)
		fail("O_TMPFILE file write-only: %s", strerror(errno));
	remember("O_TMPFILE file, write-only", tfd_wo);
	link_of(tfd, tmpdir_link, sizeof(tmpdir_link));
	mt_note("O_TMPFILE file: %s", tmpdir_link);

	mt_test_ready();

	/* every fd has its status flags (access mode, O_NONBLOCK, O_DIRECT)
	 * and FD_CLOEXEC */
	for (int i = 0; i < nsnap; i++) {
		int fl = getfl(snaps[i].fd), fdfl = fcntl(snaps[i].fd, F_GETFD);
		if (fl != snaps[i].fl || fdfl != snaps[i].fdfl)
			fail("%s (fd %d): flags %#o, FD flags %d; were %#o, %d", snaps[i].name,
			     snaps[i].fd, fl, fdfl, snaps[i].fl, snaps[i].fdfl);
	}

	/* A */
	link_of(a_rd, link, sizeof(link));
	if (strncmp(link, "pipe:[", 6))
		fail("pipe A's read end is %s", link);
	if (fcntl(a_rd, F_GETPIPE_SZ) != (int)A_SIZE || fcntl(a_wr, F_GETPIPE_SZ) != (int)A_SIZE)
		fail("pipe A is %d bytes large, was %u", fcntl(a_rd, F_GETPIPE_SZ), A_SIZE);
	if (fionread(a_rd) != (int)A_BYTES)
		fail("pipe A holds %d bytes, held %u", fionread(a_rd), A_BYTES);
	check_bytes(a_rd, A_BYTES, 1, "pipe A");
	if (fionread(a_rd) != 0)
		fail("pipe A holds %d more bytes", fionread(a_rd));
	put_pattern(a_wr, 1000, 9, "pipe A after");
	check_bytes(a_rd, 1000, 9, "pipe A after");

	/* B */
	if (!(getfl(b_rd) & O_NONBLOCK) || (getfl(b_wr) & O_NONBLOCK))
		fail("pipe B: O_NONBLOCK is %d on the read end, %d on the write end",
		     !!(getfl(b_rd) & O_NONBLOCK), !!(getfl(b_wr) & O_NONBLOCK));
	check_bytes(b_rd, B_BYTES, 2, "pipe B");
	expect_eagain(b_rd, "pipe B");

	/* C: one description, so one set of flags */
	if (fcntl(c_rd, F_SETFL, O_NONBLOCK))
		fail("F_SETFL: %s", strerror(errno));
	if (!(getfl(c_dup) & O_NONBLOCK))
		fail("pipe C: O_NONBLOCK set on fd %d does not show on its dup %d", c_rd, c_dup);
	put(c_wr, "c", 1, "pipe C");
	get(c_dup, buf, 1, "pipe C's dup");
	if (buf[0] != 'c')
		fail("pipe C's dup read %#x", buf[0]);
	expect_eagain(c_rd, "pipe C");

	/* D: the packets as written */
	{
		static const ssize_t sizes[3] = { 4096, 4096, 1000 };
		unsigned char wantb[8192];
		fill(wantb, sizeof(wantb), 4);
		/* pipe2(O_DIRECT) sets it on the write end only */
		if (!(getfl(d_wr) & O_DIRECT))
			fail("pipe D's write end lost O_DIRECT");
		for (int i = 0; i < 3; i++) {
			ssize_t n = read(d_rd, buf, sizeof(buf));
			if (n != sizes[i])
				fail("pipe D: packet %d has %zd bytes, had %zd", i, n, sizes[i]);
			if (memcmp(buf, wantb + (i == 1 ? 4096 : 0), (size_t)n))
				fail("pipe D: packet %d differs", i);
		}
		put(d_wr, buf, 10, "pipe D");
		put(d_wr, buf, 20, "pipe D");
		if (read(d_rd, buf, sizeof(buf)) != 10)
			fail("pipe D is not in packet mode after the restart");
	}

	/* E: the bytes, then end of file */
	check_bytes(e_rd, E_BYTES, 5, "pipe E");
	{
		ssize_t n = read(e_rd, buf, sizeof(buf));
		if (n != 0)
			fail("pipe E: after its bytes, read gave %zd (%s), not end of file", n,
			     n < 0 ? strerror(errno) : "bytes");
	}

	/* F: both descriptions of each end on one pipe */
	if (fcntl(f_rd2, F_GETPIPE_SZ) < 0)
		fail("pipe F's second read end is not a pipe");
	put(f_wr2, "F2", 2, "pipe F");
	put(f_wr, "F1", 2, "pipe F");
	get(f_rd2, buf, 4, "pipe F, second read end");
	if (memcmp(buf, "F2F1", 4))
		fail("pipe F: read %.4s", (char *)buf);
	put(f_wr, "F3", 2, "pipe F");
	get(f_rd, buf, 2, "pipe F");
	if (memcmp(buf, "F3", 2))
		fail("pipe F: read %.2s", (char *)buf);

	/* the FIFO */
	link_of(q_rd, link, sizeof(link));
	if (strcmp(link, fifo_path))
		fail("the FIFO's fd is %s, was %s", link, fifo_path);
	if (stat(fifo_path, &st) || !S_ISFIFO(st.st_mode))
		fail("%s is not a FIFO any more", fifo_path);
	check_bytes(q_rd2, FIFO_BYTES, 6, "the FIFO");
	put(q_wr, "more", 4, "the FIFO");
	get(q_rd, buf, 4, "the FIFO");
	if (memcmp(buf, "more", 4))
		fail("the FIFO: read %.4s", (char *)buf);
	expect_eagain(q_rd, "the FIFO");

	/* eventfds */
	if ((v = read_u64(e7, "eventfd 7")) != 7)
		fail("eventfd: count %llu, was 7", (unsigned long long)v);
	expect_eagain(e7, "eventfd 7");
	for (int i = 0; i < 3; i++)
		if ((v = read_u64(esem, "semaphore eventfd")) != 1)
			fail("semaphore eventfd: read %d gave %llu, not 1", i, (unsigned long long)v);
	expect_eagain(esem, "semaphore eventfd");
	if ((v = read_u64(ebig, "eventfd")) != BIG_COUNT)
		fail("eventfd: count %#llx, was %#llx", (unsigned long long)v, BIG_COUNT);

	/* the signalfd: its mask, and SIGUSR2 still pending for it */
	fdinfo(sfd, "sigmask:", sigmask_after, sizeof(sigmask_after));
	if (strcmp(sigmask_before, sigmask_after))
		fail("signalfd: mask %s, was %s", sigmask_after, sigmask_before);
	if (sigpending(&pend) || !sigismember(&pend, SIGUSR2))
		fail("SIGUSR2 is no longer pending");
	{
		struct signalfd_siginfo si;
		ssize_t n = read(sfd, &si, sizeof(si));
		if (n != (ssize_t)sizeof(si) || si.ssi_signo != SIGUSR2)
			fail("signalfd: read %zd bytes, signal %u", n, n > 0 ? si.ssi_signo : 0);
		expect_eagain(sfd, "signalfd");
		if (sigpending(&pend) || sigismember(&pend, SIGUSR2))
			fail("SIGUSR2 still pending after the signalfd read it");
	}

	/* the memfd */
	link_of(mfd, link, sizeof(link));
	if (strcmp(link, "/memfd:" MEMFD_NAME " (deleted)"))
		fail("memfd is %s", link);
	if (fcntl(mfd, F_GET_SEALS) != (F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL))
		fail("memfd seals %#x", fcntl(mfd, F_GET_SEALS));
	if (lseek(mfd, 0, SEEK_CUR) != MEMFD_POS)
		fail("memfd at %lld, was %d", (long long)lseek(mfd, 0, SEEK_CUR), MEMFD_POS);
	if (fstat(mfd, &st) || st.st_size != MEMFD_BYTES)
		fail("memfd size %lld, was %u", (long long)st.st_size, MEMFD_BYTES);
	if (write(mfd, "x", 1) != -1 || errno != EPERM)
		fail("the sealed memfd took a write");
	lseek(mfd, 0, SEEK_SET);
	check_bytes(mfd, MEMFD_BYTES, 7, "memfd");
	{
		struct stat st2;
		if (fstat(mfd_ro, &st2) || st2.st_ino != st.st_ino || st2.st_dev != st.st_dev)
			fail("the memfd's read-only description is another file");
		if (lseek(mfd_ro, 0, SEEK_CUR) != 100)
			fail("memfd read-only at %lld, was 100", (long long)lseek(mfd_ro, 0, SEEK_CUR));
	}

	/* the O_TMPFILE file */
	link_of(tfd, link, sizeof(link));
	snprintf(want, sizeof(want), "%s/#", dir);
	if (strncmp(link, want, strlen(want)) || !strstr(link, " (deleted)"))
		fail("O_TMPFILE file is %s", link);
	if (fstat(tfd, &st) || st.st_nlink != 0 || st.st_size != TMP_BYTES)
		fail("O_TMPFILE file: %lu links, %lld bytes", (unsigned long)st.st_nlink,
		     (long long)st.st_size);
	if (lseek(tfd, 0, SEEK_CUR) != TMP_POS)
		fail("O_TMPFILE file at %lld, was %d", (long long)lseek(tfd, 0, SEEK_CUR), TMP_POS);
	lseek(tfd, 0, SEEK_SET);
	check_bytes(tfd, TMP_BYTES, 8, "O_TMPFILE file");
	/* the write-only description writes into that same file, at 10 */
	if (lseek(tfd_wo, 0, SEEK_CUR) != 10)
		fail("O_TMPFILE write-only at %lld, was 10", (long long)lseek(tfd_wo, 0, SEEK_CUR));
	put(tfd_wo, "W", 1, "O_TMPFILE write-only");
	if (pread(tfd, buf, 1, 10) != 1 || buf[0] != 'W')
		fail("the O_TMPFILE file's write-only description is another file");

	/* T2: two expirations unread, its interval, the next one 5 min on */
	if (timerfd_gettime(t2, &its))
		fail("timerfd_gettime T2: %s", strerror(errno));
	if (ns_of(its.it_interval) != T2_INTERVAL || ns_of(its.it_value) > T2_INTERVAL / 2 ||
	    ns_of(its.it_value) < T2_INTERVAL / 2 - 60 * SEC)
		fail("T2: next in %llu ns, interval %llu ns", (unsigned long long)ns_of(its.it_value),
		     (unsigned long long)ns_of(its.it_interval));
	if ((v = read_u64(t2, "T2")) != 2)
		fail("T2: %llu expirations unread, were 2", (unsigned long long)v);

	/* T1, T3 and the itimer: the watcher saw them fire (it stops once
	 * they all did: from here on this thread keeps the time alive) */
	verifying = 1;
	pthread_join(wt, NULL);
	mt_note("alive %.3f s in %d stretches; T1 at %.3f s, itimer at %.3f s",
		(double)w.alive / SEC, w.gaps + 1, (double)w.t1_alive / SEC,
		(double)w.alarm_alive / SEC);
	if (!w.t1_fired || !w.t3_fired || !w.alarm_fired)
		fail("after %.1f s alive: T1 fired %d, T3 fired %d, the itimer fired %d",
		     (double)w.alive / SEC, w.t1_fired, w.t3_fired, w.alarm_fired);
	/* frozen while down: fired after 1.5 s alive, with the itimer */
	if (w.t1_alive + 250 * MS < T1_VALUE || w.t1_alive > T1_VALUE + 600 * MS)
		fail("T1 fired after %.3f s alive, not %.3f s", (double)w.t1_alive / SEC,
		     (double)T1_VALUE / SEC);
	if (w.t1_alive > w.alarm_alive + 100 * MS || w.alarm_alive > w.t1_alive + 100 * MS)
		fail("T1 fired at %.3f s alive, the itimer armed with it at %.3f s",
		     (double)w.t1_alive / SEC, (double)w.alarm_alive / SEC);
	/* absolute: never before its time, at once if it passed while down */
	{
		uint64_t due = t3_abs > w.t3_seg_start ? t3_abs : w.t3_seg_start;
		if (w.t3_mono < t3_abs || w.t3_mono > due + 250 * MS)
			fail("T3 fired %+.3f s from its time (this stretch began %+.3f s from it)",
			     ((double)w.t3_mono - (double)t3_abs) / SEC,
			     ((double)w.t3_seg_start - (double)t3_abs) / SEC);
	}
	if ((v = read_u64(t3, "T3")) != 1)
		fail("T3: %llu expirations, not 1", (unsigned long long)v);
	/* T1's expirations since: one per 200 ms alive, then the interval */
	{
		uint64_t now_alive, expect, t_a, t_b, t_c;
		struct pollfd pf = { t1, POLLIN, 0 };
		look();
		now_alive = w.alive;
		v = read_u64(t1, "T1");
		t_a = mt_now_ns();
		expect = 1 + (now_alive - w.t1_alive) / T1_INTERVAL;
		if (v + 1 < expect || v > expect + 1)
			fail("T1: %llu expirations after %.3f s alive since the first, expected %llu",
			     (unsigned long long)v, (double)(now_alive - w.t1_alive) / SEC,
			     (unsigned long long)expect);
		if (timerfd_gettime(t1, &its) || ns_of(its.it_interval) != T1_INTERVAL)
			fail("T1: interval %llu ns", (unsigned long long)ns_of(its.it_interval));
		if (poll(&pf, 1, 2000) != 1)
			fail("T1 did not fire again");
		t_b = mt_now_ns();
		v = read_u64(t1, "T1");
		if (poll(&pf, 1, 2000) != 1)
			fail("T1 did not fire again");
		t_c = mt_now_ns();
		v += read_u64(t1, "T1");
		if (t_b - t_a > T1_INTERVAL + 100 * MS || t_c - t_b + 30 * MS < T1_INTERVAL ||
		    t_c - t_b > T1_INTERVAL + 100 * MS || v != 2)
			fail("T1: next expirations %.3f s and %.3f s apart (%llu), interval %.3f s",
			     (double)(t_b - t_a) / SEC, (double)(t_c - t_b) / SEC,
			     (unsigned long long)v, (double)T1_INTERVAL / SEC);
	}
	pass();
}
