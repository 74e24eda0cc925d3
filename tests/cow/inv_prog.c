/* SPDX-License-Identifier: MIT */
/*
 * inv_prog.c - the program of the tests/cow invisibility, writer and
 * fallback tests (inv_program.sh, writer_props.sh, writer_modes.sh,
 * fallback_nproc.sh, fallback_memory.sh): it links libmtcp-fast, calls
 * mtcp_init() and then does what it is told, so that a checkpoint's
 * writer process can be looked at from inside the program.
 *
 *   inv_prog init       only mtcp_init(NULL): prints "init RC" on stdout
 *                       and exits 0 if RC is 0, 3 if it is not
 *   inv_prog [MIB]      the program: MIB MiB of pseudo-random data (default
 *                       8), a thread of its own that blocks, and:
 *                       - a SIGCHLD handler and pthread_atfork handlers that
 *                         count (the atfork child handler creates the file
 *                         INV_DIR/atfork_child: it would run in a child);
 *                       - a file fd at offset 4321 (INV_DIR/data);
 *                       - a pipe, both ends;
 *                       - INV_DIR/lock, open and flock(LOCK_EX)ed;
 *                       - a socketpair, both ends.
 *
 * The test's driver talks to it through the environment's INV_REPLY (a
 * FIFO the driver holds open for reading and writing: each reply line is
 * one open, write, close, so no FIFO fd is open at a checkpoint) and
 * INV_CMD (a file holding one command; SIGUSR1 says it is there).  The
 * main thread waits in sigsuspend(); when something else interrupts it
 * (a checkpoint's signal, or a restart) it replies "woke PID PPID".
 *
 * Commands, each answered with one line "WORD-ok ..." or "WORD-fail WHY":
 *   ping          pong PID sigchld=N prepare=N parent=N child=0|1 offset=N
 *                 (no -ok/-fail: the driver judges the counters)
 *   held W        while the writer W is held at its gate: nothing to
 *                 reap, W not among our threads, no SIGCHLD, no atfork
 *                 handler, offset unchanged; then closes the pipe's write
 *                 end, the socketpair's first end and the locked file, and
 *                 checks that the read end, the peer and a new open of the
 *                 file see it at once (the writer holds no copy)
 *   after         after the checkpoint: the same counters and offset,
 *                 nothing to reap and no child left
 *   restored      in a process restarted from the image: everything as at
 *                 the pause (both pipe ends, the socketpair, the lock file's
 *                 fd, offset, counters, the data's checksum)
 *   nproc         RLIMIT_NPROC lowered to the number of this user's tasks
 *                 (1 if that is not low enough), and checked: a new thread
 *                 cannot be made
 *   exit          exits 0
 */
#include "mtcp.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define OFFSET 4321
#define MAX_TIDS 64

static volatile sig_atomic_t got_usr1;
static int sigchld_count, prepare_count, parent_count;
static char child_marker[4096];

static int data_fd = -1, pipe_fd[2] = { -1, -1 }, lock_fd = -1, sock_fd[2] = { -1, -1 };
static char data_path[4096], lock_path[4096];
static unsigned char *mem;
static size_t mem_len;
static uint64_t mem_sum;
static int tids0[MAX_TIDS], ntids0;

static pthread_mutex_t idle_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t idle_cond = PTHREAD_COND_INITIALIZER;

/* The failures of one command, joined with "; ". */
static char why[2048];

static void problem(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void problem(const char *fmt, ...)
{
	size_t len = strlen(why);
	va_list ap;

	if (len && len < sizeof(why) - 3) {
		memcpy(why + len, "; ", 3);
		len += 2;
	}
	va_start(ap, fmt);
	vsnprintf(why + len, sizeof(why) - len, fmt, ap);
	va_end(ap);
}

static void reply(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void reply(const char *fmt, ...)
{
	const char *path = getenv("INV_REPLY");
	char line[3072];
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
	/* also on stdout, the test's log */
	fwrite(line, 1, (size_t)n, stdout);
	fflush(stdout);
	if (!path)
		return;
	/* the driver holds the FIFO open for reading and writing: neither the
	 * open nor a write below PIPE_BUF bytes blocks */
	do
		fd = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
	while (fd < 0 && errno == EINTR);
	if (fd < 0) {
		fprintf(stderr, "inv_prog: cannot open %s: %s\n", path, strerror(errno));
		return;
	}
	if (write(fd, line, (size_t)n) != n)
		fprintf(stderr, "inv_prog: cannot write to %s: %s\n", path, strerror(errno));
	close(fd);
}

static void die(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
static void die(const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	reply("fatal %s", buf);
	fprintf(stderr, "inv_prog: %s\n", buf);
	exit(1);
}

static void on_usr1(int sig)
{
	(void)sig;
	got_usr1 = 1;
}

static void on_sigchld(int sig)
{
	(void)sig;
	__atomic_fetch_add(&sigchld_count, 1, __ATOMIC_RELAXED);
}

static void atfork_prepare(void)
{
	__atomic_fetch_add(&prepare_count, 1, __ATOMIC_RELAXED);
}

static void atfork_parent(void)
{
	__atomic_fetch_add(&parent_count, 1, __ATOMIC_RELAXED);
}

/* Runs in a child: its counters would be the child's, so it leaves a
 * file the program can see (open() is async-signal-safe). */
static void atfork_child(void)
{
	int fd = open(child_marker, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);

	if (fd >= 0)
		close(fd);
}

static void *idle_main(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&idle_lock);
	for (;;)
		pthread_cond_wait(&idle_cond, &idle_lock);
	return NULL;
}

static uint64_t checksum(const unsigned char *p, size_t len)
{
	uint64_t h = 1469598103934665603ull;

	for (size_t i = 0; i < len; i += 8) {
		uint64_t v;
		memcpy(&v, p + i, 8);
		h = (h ^ v) * 1099511628211ull;
	}
	return h;
}

/* The tids of /proc/self/task; -1 on error. */
static int read_tids(int *out, int max)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *de;
	int n = 0;

	if (!d)
		return -1;
	while ((de = readdir(d))) {
		if (de->d_name[0] < '0' || de->d_name[0] > '9')
			continue;
		if (n < max)
			out[n] = atoi(de->d_name);
		n++;
	}
	closedir(d);
	return n;
}

static void task_comm(int tid, char *buf, size_t len)
{
	char path[64];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/self/task/%d/comm", tid);
	buf[0] = '\0';
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		n = 0;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
}

/* The children of every thread of ours, in text ("" if none). */
static void children_text(char *out, size_t len)
{
	int tids[MAX_TIDS], n = read_tids(tids, MAX_TIDS);
	size_t used = 0;

	out[0] = '\0';
	for (int i = 0; i < n && i < MAX_TIDS; i++) {
		char path[64], buf[512];
		ssize_t r;
		int fd;

		snprintf(path, sizeof(path), "/proc/self/task/%d/children", tids[i]);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		r = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (r <= 0)
			continue;
		buf[r] = '\0';
		used += (size_t)snprintf(out + used, used < len ? len - used : 0, "%s", buf);
		if (used >= len)
			return;
	}
	/* the kernel's list ends each pid with a space */
	while (used && used < len && out[used - 1] == ' ')
		out[--used] = '\0';
}

static void check_nothing_to_reap(void)
{
	int st;
	pid_t p;

	errno = 0;
	p = waitpid(-1, &st, WNOHANG);
	if (p == 0) {
		/* wait() would block: do not call it */
		problem("waitpid(-1, WNOHANG) returned 0: there is a child to wait for");
		return;
	}
	if (p > 0) {
		problem("waitpid(-1, WNOHANG) reaped process %d (status 0x%x)", (int)p, st);
		return;
	}
	if (errno != ECHILD)
		problem("waitpid(-1, WNOHANG) failed with %s, not ECHILD", strerror(errno));
	errno = 0;
	p = wait(&st);
	if (p >= 0)
		problem("wait() reaped process %d (status 0x%x)", (int)p, st);
	else if (errno != ECHILD)
		problem("wait() failed with %s, not ECHILD", strerror(errno));
}

static void check_counters(void)
{
	int n;

	if ((n = __atomic_load_n(&sigchld_count, __ATOMIC_RELAXED)))
		problem("%d SIGCHLD received", n);
	if ((n = __atomic_load_n(&prepare_count, __ATOMIC_RELAXED)))
		problem("the atfork prepare handler ran %d times", n);
	if ((n = __atomic_load_n(&parent_count, __ATOMIC_RELAXED)))
		problem("the atfork parent handler ran %d times", n);
	if (!access(child_marker, F_OK))
		problem("the atfork child handler ran (in a child of ours)");
}

static void check_offset(void)
{
	off_t o = lseek(data_fd, 0, SEEK_CUR);

	if (o != OFFSET)
		problem("the data file's offset is %lld, not %d", (long long)o, OFFSET);
}

/* poll one fd for at most ms: the revents */
static short poll_one(int fd, short events, int ms)
{
	struct pollfd p = { .fd = fd, .events = events };
	int rc;

	do
		rc = poll(&p, 1, ms);
	while (rc < 0 && errno == EINTR);
	return rc > 0 ? p.revents : 0;
}

static void cmd_held(int writer)
{
	int tids[MAX_TIDS], n, lk;
	char b, comm[64];
	short ev;

	check_nothing_to_reap();
	n = read_tids(tids, MAX_TIDS);
	if (n < 0)
		problem("cannot read /proc/self/task: %s", strerror(errno));
	for (int i = 0; i < n && i < MAX_TIDS; i++) {
		int known = 0;
		for (int j = 0; j < ntids0; j++)
			known |= tids[i] == tids0[j];
		task_comm(tids[i], comm, sizeof(comm));
		if (tids[i] == writer)
			problem("the writer %d is a thread of ours", writer);
		else if (!known)
			problem("thread %d (%s) was not ours before the checkpoint", tids[i], comm);
		else if (!strcmp(comm, "mtcp-writer"))
			problem("our thread %d is named mtcp-writer", tids[i]);
	}
	check_counters();
	check_offset();

	/* the pipe: only the writer could keep its write end open */
	close(pipe_fd[1]);
	pipe_fd[1] = -1;
	ev = poll_one(pipe_fd[0], POLLIN, 0);
	if (!(ev & POLLHUP)) {
		ev = poll_one(pipe_fd[0], POLLIN, 1000);
		problem("the pipe's read end saw no EOF when we closed the write end (%s)",
			(ev & POLLHUP) ? "it came within 1 s" : "not within 1 s either");
	} else if (read(pipe_fd[0], &b, 1) != 0) {
		problem("the pipe's read end did not read EOF");
	}

	/* the socketpair */
	close(sock_fd[0]);
	sock_fd[0] = -1;
	ev = poll_one(sock_fd[1], POLLIN, 0);
	if (!(ev & (POLLHUP | POLLRDHUP | POLLIN)))
		problem("the socketpair's peer saw nothing when we closed the other end");
	else if (recv(sock_fd[1], &b, 1, MSG_DONTWAIT) != 0)
		problem("the socketpair's peer did not read EOF: %s", strerror(errno));

	/* the lock: released with our only fd, so a new open takes it */
	close(lock_fd);
	lock_fd = -1;
	lk = open(lock_path, O_RDONLY | O_CLOEXEC);
	if (lk < 0) {
		problem("cannot open %s again: %s", lock_path, strerror(errno));
	} else {
		if (flock(lk, LOCK_EX | LOCK_NB))
			problem("flock(LOCK_EX|LOCK_NB) on a new open of the file we closed: %s",
				strerror(errno));
		close(lk); /* unlocks */
	}
}

static void cmd_after(void)
{
	char kids[1024];

	check_nothing_to_reap();
	check_counters();
	check_offset();
	children_text(kids, sizeof(kids));
	if (kids[0])
		problem("children left after the checkpoint: %s", kids);
}

static void cmd_restored(void)
{
	struct stat a, b;
	char c = 0;

	check_counters();
	check_offset();
	check_nothing_to_reap();
	if (checksum(mem, mem_len) != mem_sum)
		problem("the data's checksum differs from the pause's");
	if (write(pipe_fd[1], "p", 1) != 1)
		problem("the pipe's write end: %s", strerror(errno));
	else if (poll_one(pipe_fd[0], POLLIN, 2000) != POLLIN || read(pipe_fd[0], &c, 1) != 1 ||
		 c != 'p')
		problem("the pipe's read end did not get the byte written");
	if (send(sock_fd[0], "s", 1, MSG_DONTWAIT) != 1)
		problem("the socketpair's first end: %s", strerror(errno));
	else if (poll_one(sock_fd[1], POLLIN, 2000) != POLLIN ||
		 recv(sock_fd[1], &c, 1, MSG_DONTWAIT) != 1 || c != 's')
		problem("the socketpair's second end did not get the byte sent");
	if (fstat(lock_fd, &a) || stat(lock_path, &b) || a.st_ino != b.st_ino ||
	    a.st_dev != b.st_dev)
		problem("the lock file's fd %d is not %s", lock_fd, lock_path);
}

/* The number of tasks whose real uid is ours. */
static int user_tasks(void)
{
	DIR *d = opendir("/proc"), *t;
	struct dirent *de, *te;
	uid_t me = getuid();
	int n = 0;

	if (!d)
		return -1;
	while ((de = readdir(d))) {
		char path[300];
		if (de->d_name[0] < '0' || de->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/task", de->d_name);
		if (!(t = opendir(path)))
			continue;
		while ((te = readdir(t))) {
			char spath[600], line[256];
			FILE *f;
			if (te->d_name[0] < '0' || te->d_name[0] > '9')
				continue;
			snprintf(spath, sizeof(spath), "%s/%s/status", path, te->d_name);
			if (!(f = fopen(spath, "re")))
				continue;
			while (fgets(line, sizeof(line), f)) {
				unsigned long ruid;
				if (sscanf(line, "Uid: %lu", &ruid) == 1) {
					n += ruid == me;
					break;
				}
			}
			fclose(f);
		}
		closedir(t);
	}
	closedir(d);
	return n;
}

static void *nothing(void *arg)
{
	return arg;
}

/* 0 if a thread can no longer be made under the limit set */
static int thread_refused(void)
{
	pthread_t t;
	int rc = pthread_create(&t, NULL, nothing, NULL);

	if (!rc) {
		pthread_join(t, NULL);
		return -1;
	}
	return rc == EAGAIN ? 0 : rc;
}

static void cmd_nproc(void)
{
	int count = user_tasks(), rc;
	struct rlimit rl;

	if (count < 1) {
		reply("nproc-fail cannot count the tasks of uid %d", (int)getuid());
		return;
	}
	rl.rlim_cur = rl.rlim_max = (rlim_t)count;
	if (setrlimit(RLIMIT_NPROC, &rl)) {
		reply("nproc-fail setrlimit(RLIMIT_NPROC, %d): %s", count, strerror(errno));
		return;
	}
	if ((rc = thread_refused()) < 0) {
		/* a task of the user went meanwhile */
		rl.rlim_cur = rl.rlim_max = 1;
		if (setrlimit(RLIMIT_NPROC, &rl)) {
			reply("nproc-fail setrlimit(RLIMIT_NPROC, 1): %s", strerror(errno));
			return;
		}
		rc = thread_refused();
	}
	if (rc) {
		reply("nproc-fail with RLIMIT_NPROC %lu a new thread %s", (unsigned long)rl.rlim_cur,
		      rc < 0 ? "was still made" : strerror(rc));
		return;
	}
	reply("nproc-ok limit=%lu tasks=%d uid=%d", (unsigned long)rl.rlim_cur, count,
	      (int)getuid());
}

static void read_cmd(char *buf, size_t len)
{
	const char *path = getenv("INV_CMD");
	ssize_t n = -1;
	int fd = path ? open(path, O_RDONLY | O_CLOEXEC) : -1;

	if (fd >= 0) {
		n = read(fd, buf, len - 1);
		close(fd);
	}
	if (n < 0)
		n = 0;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
}

static void run(const char *cmd)
{
	why[0] = '\0';
	if (!strcmp(cmd, "ping")) {
		reply("pong %d sigchld=%d prepare=%d parent=%d child=%d offset=%lld", (int)getpid(),
		      __atomic_load_n(&sigchld_count, __ATOMIC_RELAXED),
		      __atomic_load_n(&prepare_count, __ATOMIC_RELAXED),
		      __atomic_load_n(&parent_count, __ATOMIC_RELAXED),
		      !access(child_marker, F_OK), (long long)lseek(data_fd, 0, SEEK_CUR));
		return;
	}
	if (!strncmp(cmd, "held ", 5))
		cmd_held(atoi(cmd + 5));
	else if (!strcmp(cmd, "after"))
		cmd_after();
	else if (!strcmp(cmd, "restored"))
		cmd_restored();
	else if (!strcmp(cmd, "nproc")) {
		cmd_nproc(); /* its own reply */
		return;
	} else if (!strcmp(cmd, "exit"))
		exit(0);
	else
		problem("unknown command '%s'", cmd);
	{
		char word[32];
		snprintf(word, sizeof(word), "%.*s", (int)strcspn(cmd, " "), cmd);
		if (why[0])
			reply("%s-fail %s", word, why);
		else
			reply("%s-ok", word);
	}
}

static void setup(const char *dir, size_t mib)
{
	char buf[OFFSET + 1000];
	uint64_t x = 0x9e3779b97f4a7c15ull;
	pthread_t idle;
	int rc;

	snprintf(child_marker, sizeof(child_marker), "%s/atfork_child", dir);
	snprintf(data_path, sizeof(data_path), "%s/data", dir);
	snprintf(lock_path, sizeof(lock_path), "%s/lock", dir);

	mem_len = mib << 20;
	mem = mmap(NULL, mem_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		die("mmap %zu MiB: %s", mib, strerror(errno));
	for (size_t i = 0; i < mem_len; i += 8) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		memcpy(mem + i, &x, 8);
	}
	mem_sum = checksum(mem, mem_len);

	if ((rc = pthread_create(&idle, NULL, idle_main, NULL)))
		die("pthread_create: %s", strerror(rc));

	memset(buf, 'd', sizeof(buf));
	data_fd = open(data_path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (data_fd < 0 || write(data_fd, buf, sizeof(buf)) != (ssize_t)sizeof(buf) ||
	    lseek(data_fd, OFFSET, SEEK_SET) != OFFSET)
		die("%s: %s", data_path, strerror(errno));
	if (pipe2(pipe_fd, O_CLOEXEC))
		die("pipe2: %s", strerror(errno));
	lock_fd = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (lock_fd < 0 || flock(lock_fd, LOCK_EX | LOCK_NB))
		die("%s: %s", lock_path, strerror(errno));
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sock_fd))
		die("socketpair: %s", strerror(errno));
}

int main(int argc, char **argv)
{
	struct sigaction sa;
	sigset_t block, wait_mask;
	const char *dir = getenv("INV_DIR");
	size_t mib = 8;
	int rc;

	if (argc > 1 && !strcmp(argv[1], "init")) {
		rc = mtcp_init(NULL);
		printf("init %d\n", rc);
		return rc ? 3 : 0;
	}
	if (argc > 1)
		mib = strtoul(argv[1], NULL, 10);
	if (!dir || !getenv("INV_REPLY") || !getenv("INV_CMD"))
		die("INV_DIR, INV_REPLY and INV_CMD must be set");

	/* SIGUSR1 only in sigsuspend(), in the main thread */
	sigemptyset(&block);
	sigaddset(&block, SIGUSR1);
	sigprocmask(SIG_BLOCK, &block, &wait_mask);
	sigdelset(&wait_mask, SIGUSR1);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_usr1;
	sigaction(SIGUSR1, &sa, NULL);
	sa.sa_handler = on_sigchld;
	sa.sa_flags = SA_RESTART;
	sigaction(SIGCHLD, &sa, NULL);
	if ((rc = pthread_atfork(atfork_prepare, atfork_parent, atfork_child)))
		die("pthread_atfork: %s", strerror(rc));

	if ((rc = mtcp_init(NULL)))
		die("mtcp_init: %s", strerror(-rc));
	setup(dir, mib);
	ntids0 = read_tids(tids0, MAX_TIDS);
	if (ntids0 < 2 || ntids0 > MAX_TIDS)
		die("%d threads after the set-up", ntids0);

	reply("ready %d %d", (int)getpid(), (int)getppid());
	for (;;) {
		char cmd[256];

		sigsuspend(&wait_mask);
		if (!got_usr1) {
			reply("woke %d %d", (int)getpid(), (int)getppid());
			continue;
		}
		got_usr1 = 0;
		read_cmd(cmd, sizeof(cmd));
		run(cmd);
	}
}
