/* SPDX-License-Identifier: MIT */
/*
 * interpose.c - keeps the program from blocking or replacing the
 * checkpoint signal.  sigaction/signal on it are accepted and remembered
 * but not installed; masks (sigprocmask, pthread_sigmask, sigsuspend, and
 * every handler's sa_mask) have it removed.  Raw rt_sigprocmask system
 * calls are not seen (docs/architecture.md).
 *
 * Also inotify_add_watch/inotify_rm_watch: the kernel tells a checkpoint
 * which inode a watch is on, not by which path; the path is recorded here
 * (fd_inotify.c).  Watches added by raw system calls are not seen.
 *
 * With MTCP_ON_TERM, sigaction() on the termination signal sets the
 * program's disposition, which the library keeps aside (on_term.c), and
 * sigwait(), sigwaitinfo() and sigtimedwait() hand a termination signal
 * from outside to the control thread and wait on until it comes back after
 * the final checkpoint.  A raw rt_sigtimedwait or a signalfd is not seen:
 * it may take the signal first, and then no final checkpoint is taken.
 *
 * And ioctl(UFFDIO_REGISTER): a range the library tracks for incremental
 * images is registered with the library's own userfaultfd, and the
 * program's registration of it would fail with EBUSY.  Where it does, the
 * library gives the range up (saved whole from then on, track.h) and the
 * call is made again.  A registration by a raw system call still fails.
 */
#define MTCP_BUILDING_LIBRARY 1
#include "engine.h"

#include "syscall.h"

#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <stdarg.h>
#include <sys/syscall.h>

#include "track.h"

#define EXPORT __attribute__((visibility("default")))

typedef int (*sigaction_fn)(int, const struct sigaction *, struct sigaction *);
typedef int (*sigmask_fn)(int, const sigset_t *, sigset_t *);
typedef int (*sigsuspend_fn)(const sigset_t *);
typedef int (*sigtimedwait_fn)(const sigset_t *, siginfo_t *, const struct timespec *);
typedef int (*sigwait_fn)(const sigset_t *, int *);

static sigaction_fn next_sigaction;
static sigmask_fn next_sigprocmask, next_pthread_sigmask;
static sigsuspend_fn next_sigsuspend;
static sigtimedwait_fn next_sigtimedwait;
static sigwait_fn next_sigwait;

/* What the program believes is installed for the checkpoint signal. */
static struct sigaction app_ckpt_action;

int interpose_init(void)
{
	next_sigaction = (sigaction_fn)dlsym(RTLD_NEXT, "sigaction");
	next_sigprocmask = (sigmask_fn)dlsym(RTLD_NEXT, "sigprocmask");
	next_pthread_sigmask = (sigmask_fn)dlsym(RTLD_NEXT, "pthread_sigmask");
	next_sigsuspend = (sigsuspend_fn)dlsym(RTLD_NEXT, "sigsuspend");
	next_sigtimedwait = (sigtimedwait_fn)dlsym(RTLD_NEXT, "sigtimedwait");
	next_sigwait = (sigwait_fn)dlsym(RTLD_NEXT, "sigwait");
	if (!next_sigaction || !next_sigprocmask || !next_pthread_sigmask || !next_sigsuspend ||
	    !next_sigtimedwait || !next_sigwait)
		return -ENOSYS;
	return 0;
}

int real_sigaction(int sig, const struct sigaction *act, struct sigaction *old)
{
	if (!next_sigaction)
		next_sigaction = (sigaction_fn)dlsym(RTLD_NEXT, "sigaction");
	return next_sigaction(sig, act, old);
}

static int ckpt_signal(void)
{
	struct engine *e = &mtcp_engine;
	return e->initialised && !e->inert ? e->cfg.signal : 0;
}

EXPORT int sigaction(int sig, const struct sigaction *act, struct sigaction *old)
{
	int cs = ckpt_signal();
	struct sigaction copy;

	if (cs && sig == cs) {
		if (old)
			*old = app_ckpt_action;
		if (act)
			app_ckpt_action = *act;
		return 0;
	}
	if (act && cs && sigismember(&act->sa_mask, cs)) {
		copy = *act;
		sigdelset(&copy.sa_mask, cs);
		act = &copy;
	}
	if (sig > 0 && sig == on_term_signal())
		return on_term_sigaction(sig, act, old);
	return real_sigaction(sig, act, old);
}

/* glibc's signal() calls its internal sigaction directly, so it needs its
 * own wrapper: BSD semantics, as glibc gives them. */
EXPORT sighandler_t signal(int sig, sighandler_t handler)
{
	struct sigaction act, old;

	memset(&act, 0, sizeof(act));
	act.sa_handler = handler;
	sigemptyset(&act.sa_mask);
	sigaddset(&act.sa_mask, sig);
	act.sa_flags = SA_RESTART;
	if (sigaction(sig, &act, &old) < 0)
		return SIG_ERR;
	return old.sa_handler;
}

static const sigset_t *without_ckpt(int how, const sigset_t *set, sigset_t *copy)
{
	int cs = ckpt_signal();

	if (!set || !cs || how == SIG_UNBLOCK || !sigismember(set, cs))
		return set;
	*copy = *set;
	sigdelset(copy, cs);
	return copy;
}

EXPORT int sigprocmask(int how, const sigset_t *set, sigset_t *old)
{
	sigset_t copy;

	if (!next_sigprocmask)
		interpose_init();
	return next_sigprocmask(how, without_ckpt(how, set, &copy), old);
}

EXPORT int pthread_sigmask(int how, const sigset_t *set, sigset_t *old)
{
	sigset_t copy;

	if (!next_pthread_sigmask)
		interpose_init();
	return next_pthread_sigmask(how, without_ckpt(how, set, &copy), old);
}

/* Programs linked against glibc before 2.32 ask for pthread_sigmask@GLIBC_2.2.5. */
EXPORT int mtcp_pthread_sigmask_compat(int how, const sigset_t *set, sigset_t *old);
__asm__(".symver mtcp_pthread_sigmask_compat, pthread_sigmask@GLIBC_2.2.5");
EXPORT int mtcp_pthread_sigmask_compat(int how, const sigset_t *set, sigset_t *old)
{
	return pthread_sigmask(how, set, old);
}


EXPORT int sigsuspend(const sigset_t *mask)
{
	sigset_t copy;

	if (!next_sigsuspend)
		interpose_init();
	return next_sigsuspend(without_ckpt(SIG_SETMASK, mask, &copy));
}

/* The termination signal of MTCP_ON_TERM is in the set: a signal from
 * outside becomes a request for the final checkpoint, and the wait goes on
 * (for what is left of ts) until the signal comes back from the control
 * thread, with the siginfo of the one from outside. */
static int wait_past_requests(int term, const sigset_t *set, siginfo_t *info,
			      const struct timespec *ts)
{
	uint64_t deadline = 0;

	if (ts)
		deadline = util_now_ns() + (uint64_t)ts->tv_sec * 1000000000ull +
			   (uint64_t)ts->tv_nsec;
	for (;;) {
		struct timespec left;
		siginfo_t si;
		/* deadline 0 (no ts) is no timeout */
		int r = next_sigtimedwait(set, &si, util_timeout_until(deadline, util_now_ns(), &left));

		if (r != term || on_term_take(&si)) {
			if (r > 0 && info)
				*info = si;
			return r;
		}
	}
}

static int term_in(const sigset_t *set)
{
	int term = on_term_signal();
	return term && set && sigismember(set, term) == 1 ? term : 0;
}

EXPORT int sigtimedwait(const sigset_t *set, siginfo_t *info, const struct timespec *ts)
{
	int term;

	if (!next_sigtimedwait)
		interpose_init();
	term = term_in(set);
	if (!term)
		return next_sigtimedwait(set, info, ts);
	return wait_past_requests(term, set, info, ts);
}

EXPORT int sigwaitinfo(const sigset_t *set, siginfo_t *info)
{
	return sigtimedwait(set, info, NULL);
}

EXPORT int sigwait(const sigset_t *set, int *sig)
{
	int term, r;

	if (!next_sigwait)
		interpose_init();
	term = term_in(set);
	if (!term)
		return next_sigwait(set, sig);
	/* glibc's sigwait: EINTR is not an answer; errors are returned */
	do
		r = wait_past_requests(term, set, NULL, NULL);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return errno;
	*sig = r;
	return 0;
}

EXPORT int inotify_add_watch(int fd, const char *path, uint32_t mask)
{
	long wd = raw_syscall3(SYS_inotify_add_watch, fd, (long)path, mask);

	if (wd < 0) {
		errno = (int)-wd;
		return -1;
	}
	inotify_note_add(fd, (int)wd, path, mask);
	return (int)wd;
}

EXPORT int inotify_rm_watch(int fd, int wd)
{
	long rc = raw_syscall2(SYS_inotify_rm_watch, fd, wd);

	if (rc < 0) {
		errno = (int)-rc;
		return -1;
	}
	inotify_note_rm(fd, wd);
	return 0;
}

/* _IOWR(0xAA, 0x00, struct uffdio_register): 32 bytes (linux/userfaultfd.h) */
#define UFFDIO_REGISTER_REQ 0xc020aa00ul

EXPORT int ioctl(int fd, unsigned long req, ...)
{
	va_list ap;
	void *arg;
	long rc;

	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);
	rc = raw_syscall3(SYS_ioctl, fd, (long)req, (long)arg);
	if (rc == -EBUSY && (unsigned int)req == UFFDIO_REGISTER_REQ && arg) {
		const uint64_t *range = arg; /* struct uffdio_range first: start, len */
		track_release(range[0], range[1]);
		rc = raw_syscall3(SYS_ioctl, fd, (long)req, (long)arg);
	}
	if (rc < 0) {
		errno = (int)-rc;
		return -1;
	}
	return (int)rc;
}
