/* SPDX-License-Identifier: MIT */
/*
 * term_prog MODE MIB DIR [SIG]: a program that is sent its termination
 * signal (SIGTERM, or SIG by name) under MTCP_ON_TERM (tests/onterm).
 *
 * Two worker threads rewrite MIB MiB, each its half: in round r every word
 * of its pages becomes r.  The main thread writes the workers' rounds to
 * DIR/progress, and on a stop (the file DIR/stop, or the signal in the
 * modes that stop on it) lets the workers finish their round, checks every
 * word, prints one line and exits:
 *     verified rounds=A,B got=N from=PID code=C images=K pending=P status=S
 * got: how many times the signal reached the program (its handler ran or a
 * sigwait returned it); from/code: the siginfo it saw; images: the *.mtcp
 * files in DIR when it arrived (the final image is there before the
 * program sees the signal).  Exit status S: 0 after DIR/stop, 42 after the
 * handler, 43 after a sigwait.
 *
 * MODE, for the signal:
 *   dfl         default disposition: the process ends by it
 *   handler     an SA_SIGINFO handler; the program stops on it
 *   reset       the same handler with SA_RESETHAND|SA_NODEFER, no SA_SIGINFO
 *   ignore      SIG_IGN: the program goes on
 *   sigwait     blocked everywhere; a thread waits in sigwait()
 *   sigtimedwait blocked everywhere; the main thread polls with
 *               sigtimedwait(10 ms) between its other work
 *   blocked     blocked everywhere and never waited for: it stays pending
 *   late        the handler of "handler", but the signal blocked everywhere
 *               until DIR/unblock appears (then the main thread unblocks it)
 * The line also says pending=0|1: the signal is pending (sigpending()).
 *
 * With TERM_PROG_API=1 in the environment the program turns MTCP_ON_TERM on
 * itself, through the library's mtcp_init() (MTCP_OPT_ON_TERM), after
 * checking that a signal that does not end a program is refused.
 */
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "mtcp.h"

#define NWORKERS 2

static const char *dir;
static int term_sig = SIGTERM;
static uint64_t *mem;
static size_t words_per_worker;
static volatile uint64_t rounds[NWORKERS];
static volatile int stop_workers, stop_main, exit_status;
static volatile int got;
static volatile long from_pid, from_code, images_at_signal = -1;

static void die(const char *what)
{
	fprintf(stderr, "term_prog: %s: %s\n", what, strerror(errno));
	exit(99);
}

/* *.mtcp files in dir: raw getdents, safe in a handler. */
static long count_images(void)
{
	char buf[8192];
	long n = 0, fd = syscall(SYS_openat, AT_FDCWD, dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	for (;;) {
		long len = syscall(SYS_getdents64, fd, buf, sizeof(buf));
		if (len <= 0)
			break;
		for (long off = 0; off < len;) {
			unsigned short reclen;
			const char *name = buf + off + 19;
			size_t l = strlen(name);
			memcpy(&reclen, buf + off + 16, sizeof(reclen));
			if (l > 5 && !strcmp(name + l - 5, ".mtcp"))
				n++;
			off += reclen;
		}
	}
	close((int)fd);
	return n;
}

static void note_signal(const siginfo_t *si, int status)
{
	if (got++ == 0) {
		from_pid = si ? si->si_pid : -1;
		from_code = si ? si->si_code : -99;
		images_at_signal = count_images();
	}
	exit_status = status;
	stop_main = 1;
}

static void on_signal_info(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	note_signal(si, 42);
}

static void on_signal_plain(int sig)
{
	(void)sig;
	note_signal(NULL, 42);
}

static void *worker(void *arg)
{
	int w = (int)(intptr_t)arg;
	uint64_t *p = mem + (size_t)w * words_per_worker;

	while (!stop_workers) {
		uint64_t r = rounds[w] + 1;
		for (size_t i = 0; i < words_per_worker; i++)
			p[i] = r;
		__atomic_store_n(&rounds[w], r, __ATOMIC_RELEASE);
	}
	return NULL;
}

static void *waiter(void *arg)
{
	sigset_t set;
	int sig;

	(void)arg;
	sigemptyset(&set);
	sigaddset(&set, term_sig);
	for (;;) {
		int rc = sigwait(&set, &sig);
		if (rc) {
			errno = rc;
			die("sigwait");
		}
		if (sig == term_sig) {
			/* sigwait gives no siginfo: from and code stay -1 */
			note_signal(NULL, 43);
			return NULL;
		}
	}
}

static void write_progress(int fd)
{
	char line[64];
	int n = snprintf(line, sizeof(line), "%llu %llu\n", (unsigned long long)rounds[0],
			 (unsigned long long)rounds[1]);
	if (pwrite(fd, line, (size_t)n, 0) != n || ftruncate(fd, n))
		die("progress");
}

static int stop_file(void)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/stop", dir);
	return access(path, F_OK) == 0;
}

int main(int argc, char **argv)
{
	pthread_t t[NWORKERS], wt;
	const char *mode;
	char path[4096];
	size_t bytes;
	int pfd;

	if (argc < 4 || argc > 5) {
		fprintf(stderr, "usage: term_prog MODE MIB DIR [SIG]\n");
		return 2;
	}
	mode = argv[1];
	bytes = (size_t)atoi(argv[2]) << 20;
	dir = argv[3];
	if (argc == 5) {
		if (!strcmp(argv[4], "USR1"))
			term_sig = SIGUSR1;
		else if (strcmp(argv[4], "TERM"))
			return 2;
	}
	words_per_worker = bytes / 8 / NWORKERS;
	mem = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		die("mmap");

	if (!strcmp(mode, "handler") || !strcmp(mode, "reset") || !strcmp(mode, "late")) {
		struct sigaction sa;
		memset(&sa, 0, sizeof(sa));
		if (strcmp(mode, "reset")) {
			sa.sa_sigaction = on_signal_info;
			sa.sa_flags = SA_SIGINFO | SA_RESTART;
		} else {
			sa.sa_handler = on_signal_plain;
			sa.sa_flags = SA_RESETHAND | SA_NODEFER;
		}
		if (sigaction(term_sig, &sa, NULL))
			die("sigaction");
	} else if (!strcmp(mode, "ignore")) {
		if (signal(term_sig, SIG_IGN) == SIG_ERR)
			die("signal");
	}
	if (!strcmp(mode, "sigwait") || !strcmp(mode, "sigtimedwait") ||
	    !strcmp(mode, "blocked") || !strcmp(mode, "late")) {
		sigset_t set;
		sigemptyset(&set);
		sigaddset(&set, term_sig);
		/* before any thread: every thread blocks it */
		if (pthread_sigmask(SIG_BLOCK, &set, NULL))
			die("pthread_sigmask");
	} else if (strcmp(mode, "dfl") && strcmp(mode, "handler") && strcmp(mode, "reset") &&
		   strcmp(mode, "ignore")) {
		fprintf(stderr, "term_prog: unknown mode %s\n", mode);
		return 2;
	}
	if (getenv("TERM_PROG_API")) {
		int (*init)(const struct mtcp_options *) =
			(int (*)(const struct mtcp_options *))dlsym(RTLD_DEFAULT, "mtcp_init");
		struct mtcp_options o = MTCP_OPTIONS_INIT;
		int rc;
		if (!init) {
			fprintf(stderr, "term_prog: no mtcp_init: not under the library\n");
			return 96;
		}
		o.set = MTCP_OPT_ON_TERM;
		o.on_term = SIGWINCH;
		if ((rc = init(&o)) != -EINVAL) {
			fprintf(stderr, "term_prog: mtcp_init(on_term=SIGWINCH) = %d\n", rc);
			return 96;
		}
		o.on_term = term_sig;
		if ((rc = init(&o))) {
			fprintf(stderr, "term_prog: mtcp_init(on_term=%d) = %d\n", term_sig, rc);
			return 96;
		}
	}
	/* the disposition the program sees is the one it set */
	{
		struct sigaction cur;
		if (sigaction(term_sig, NULL, &cur))
			die("sigaction get");
		int want_ign = !strcmp(mode, "ignore");
		int want_dfl = !strcmp(mode, "dfl") || !strcmp(mode, "sigwait") ||
			       !strcmp(mode, "sigtimedwait") || !strcmp(mode, "blocked");
		if ((want_ign && cur.sa_handler != SIG_IGN) ||
		    (want_dfl && cur.sa_handler != SIG_DFL) ||
		    (!want_ign && !want_dfl && cur.sa_handler != SIG_IGN &&
		     cur.sa_handler != SIG_DFL &&
		     (void *)cur.sa_handler != (void *)on_signal_info &&
		     (void *)cur.sa_handler != (void *)on_signal_plain)) {
			fprintf(stderr, "term_prog: sigaction reports another disposition\n");
			return 98;
		}
	}

	snprintf(path, sizeof(path), "%s/progress", dir);
	pfd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (pfd < 0)
		die("progress");
	for (int w = 0; w < NWORKERS; w++)
		if (pthread_create(&t[w], NULL, worker, (void *)(intptr_t)w))
			die("pthread_create");
	if (!strcmp(mode, "sigwait") && pthread_create(&wt, NULL, waiter, NULL))
		die("pthread_create waiter");
	while (!rounds[0] || !rounds[1])
		sched_yield();
	printf("ready %d\n", (int)getpid());
	fflush(stdout);

	while (!stop_main && !stop_file()) {
		write_progress(pfd);
		if (!strcmp(mode, "late")) {
			char upath[4096];
			snprintf(upath, sizeof(upath), "%s/unblock", dir);
			if (access(upath, F_OK) == 0) {
				sigset_t set;
				sigemptyset(&set);
				sigaddset(&set, term_sig);
				pthread_sigmask(SIG_UNBLOCK, &set, NULL);
			}
		}
		if (!strcmp(mode, "sigtimedwait")) {
			sigset_t set;
			siginfo_t si;
			struct timespec ts = { 0, 10 * 1000 * 1000 };
			sigemptyset(&set);
			sigaddset(&set, term_sig);
			int s = sigtimedwait(&set, &si, &ts);
			if (s == term_sig)
				note_signal(&si, 43);
			else if (s < 0 && errno != EAGAIN && errno != EINTR)
				die("sigtimedwait");
		} else {
			struct timespec ts = { 0, 10 * 1000 * 1000 };
			nanosleep(&ts, NULL);
		}
	}
	stop_workers = 1;
	for (int w = 0; w < NWORKERS; w++)
		pthread_join(t[w], NULL);
	write_progress(pfd);
	for (int w = 0; w < NWORKERS; w++) {
		const uint64_t *p = mem + (size_t)w * words_per_worker;
		for (size_t i = 0; i < words_per_worker; i++)
			if (p[i] != rounds[w]) {
				printf("BAD worker %d word %zu: %llu, round %llu\n", w, i,
				       (unsigned long long)p[i], (unsigned long long)rounds[w]);
				return 97;
			}
	}
	{
		sigset_t pend;
		if (sigpending(&pend))
			die("sigpending");
		printf("verified rounds=%llu,%llu got=%d from=%ld code=%ld images=%ld pending=%d "
		       "status=%d\n", (unsigned long long)rounds[0], (unsigned long long)rounds[1],
		       got, from_pid, from_code, images_at_signal, sigismember(&pend, term_sig),
		       exit_status);
	}
	return exit_status;
}
