/* SPDX-License-Identifier: MIT */
/*
 * signals.c - signal handlers, masks, pending signals, an alarm, interval
 * timers and a thread's alternate signal stack across a restart.
 */
#include "mt_test.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

const char *test_doc =
	"a SA_SIGINFO handler, a blocked pending signal (process- and thread-"
	"directed), an alarm that fires after the restart, ITIMER_REAL (the "
	"alarm's timer), ITIMER_VIRTUAL and ITIMER_PROF with its interval, a "
	"thread's sigaltstack and signal mask survive; old threads exit and new "
	"ones start after the restart.";

#define ALARM_S 6
#define ALARM_SLACK_S 10
#define ALT_SIZE (64u << 10)
#define VIRT_S 1000
#define PROF_INTERVAL_S 500
#define WAIT_S 15

static volatile sig_atomic_t usr2_count, usr2_signo, usr2_code;
static volatile pid_t usr2_pid;
static volatile sig_atomic_t hup_count, pwr_count, alrm_count, rt_count;
static void *volatile rt_addr;
static volatile pid_t rt_tid;

static void usr2_action(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	usr2_count++;
	usr2_signo = sig;
	usr2_code = si->si_code;
	usr2_pid = si->si_pid;
}

static void hup_handler(int sig)
{
	(void)sig;
	hup_count++;
}

static void pwr_handler(int sig)
{
	(void)sig;
	pwr_count++;
}

static void alrm_handler(int sig)
{
	(void)sig;
	alrm_count++;
}

static void rt_action(int sig, siginfo_t *si, void *uc)
{
	char local;
	(void)sig;
	(void)si;
	(void)uc;
	rt_addr = &local;
	rt_tid = mt_gettid();
	rt_count++;
}

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static int alt_ready, alt_go;
static char *alt_mem;
static const char *alt_err;

/* Runs the SA_ONSTACK handler on this thread; checks it used the altstack. */
static const char *check_on_altstack(void)
{
	int before = rt_count;

	raise(SIGRTMIN + 2);
	if (rt_count != before + 1)
		return "the SIGRTMIN+2 handler did not run";
	if (rt_tid != mt_gettid())
		return "the SIGRTMIN+2 handler ran in another thread";
	if ((char *)rt_addr < alt_mem || (char *)rt_addr >= alt_mem + ALT_SIZE)
		return "the SA_ONSTACK handler did not run on the alternate stack";
	return NULL;
}

static void *alt_thread(void *arg)
{
	stack_t ss, cur;
	sigset_t m, cur_m;
	const char *err;

	(void)arg;
	memset(&ss, 0, sizeof(ss));
	ss.ss_sp = alt_mem;
	ss.ss_size = ALT_SIZE;
	if (sigaltstack(&ss, NULL))
		err = "sigaltstack failed";
	else
		err = check_on_altstack();
	sigemptyset(&m);
	sigaddset(&m, SIGWINCH);
	pthread_sigmask(SIG_BLOCK, &m, NULL);

	pthread_mutex_lock(&lock);
	alt_err = err;
	alt_ready = 1;
	pthread_cond_broadcast(&cond);
	while (!alt_go)
		pthread_cond_wait(&cond, &lock);
	pthread_mutex_unlock(&lock);
	if (err)
		return (void *)err;

	/* after the restart */
	if (sigaltstack(NULL, &cur))
		return (void *)"sigaltstack query failed";
	if (cur.ss_sp != alt_mem || cur.ss_size != ALT_SIZE || (cur.ss_flags & SS_DISABLE))
		return (void *)"the alternate signal stack changed";
	pthread_sigmask(SIG_BLOCK, NULL, &cur_m);
	if (!sigismember(&cur_m, SIGWINCH) || !sigismember(&cur_m, SIGHUP) ||
	    !sigismember(&cur_m, SIGUSR1) || sigismember(&cur_m, SIGUSR2))
		return (void *)"the thread's signal mask changed";
	if ((err = check_on_altstack()))
		return (void *)err;
	return (void *)"ok";
}

/*
 * A thread that blocks every signal, through both calls a program may use:
 * the library must keep its checkpoint signal out of the mask (the
 * interposed sigprocmask and pthread_sigmask), or no checkpoint can park
 * this thread and the test fails at the checkpoint.
 */
static volatile int blocker_ready;

static void *blocker_thread(void *arg)
{
	sigset_t all, cur;

	(void)arg;
	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
	pthread_mutex_lock(&lock);
	blocker_ready = 1;
	pthread_cond_broadcast(&cond);
	while (!alt_go)
		pthread_cond_wait(&cond, &lock);
	pthread_mutex_unlock(&lock);
	/* after the restart: still everything the program asked for */
	pthread_sigmask(SIG_BLOCK, NULL, &cur);
	if (!sigismember(&cur, SIGUSR2) || !sigismember(&cur, SIGTERM) ||
	    !sigismember(&cur, SIGRTMIN + 2))
		return (void *)"the blocker thread's mask changed";
	return (void *)"ok";
}

static void *new_thread(void *arg)
{
	stack_t cur;
	(void)arg;
	if (sigaltstack(NULL, &cur) || !(cur.ss_flags & SS_DISABLE))
		return (void *)"a new thread has an alternate stack";
	return (void *)"ok";
}

static void install(int sig, void (*h)(int), void (*a)(int, siginfo_t *, void *), int flags)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	if (a) {
		sa.sa_sigaction = a;
		sa.sa_flags = SA_SIGINFO | flags;
	} else {
		sa.sa_handler = h;
		sa.sa_flags = flags;
	}
	sigemptyset(&sa.sa_mask);
	if (sigaction(sig, &sa, NULL))
		fail("sigaction(%d): %s", sig, strerror(errno));
}

static int pending(int sig)
{
	sigset_t p;
	sigpending(&p);
	return sigismember(&p, sig);
}

static void join_ok(pthread_t t, const char *what)
{
	struct timespec dl;
	void *ret = NULL;
	int rc;

	clock_gettime(CLOCK_REALTIME, &dl);
	dl.tv_sec += WAIT_S;
	if ((rc = pthread_timedjoin_np(t, &ret, &dl)))
		fail("joining %s: %s", what, strerror(rc));
	if (!ret || strcmp((const char *)ret, "ok"))
		fail("%s: %s", what, ret ? (const char *)ret : "no result");
}

int main(int argc, char **argv)
{
	struct itimerval virt, prof, it;
	struct sigaction cur;
	pthread_t alt_th, blocker_th, new_th;
	sigset_t m, unblock;
	uint64_t alarm_set_ns, deadline_ns;
	int rc;

	mt_test_init(argc, argv);

	/* setup: handlers */
	install(SIGUSR2, NULL, usr2_action, 0);
	install(SIGHUP, hup_handler, NULL, 0);
	install(SIGPWR, pwr_handler, NULL, 0);
	install(SIGALRM, alrm_handler, NULL, 0);
	install(SIGRTMIN + 2, NULL, rt_action, SA_ONSTACK);

	/* blocked in every thread (all are created after this) */
	sigemptyset(&m);
	sigaddset(&m, SIGHUP);
	sigaddset(&m, SIGPWR);
	sigaddset(&m, SIGALRM);
	if (sigprocmask(SIG_BLOCK, &m, NULL))
		fail("sigprocmask: %s", strerror(errno));

	alt_mem = malloc(ALT_SIZE);
	if (!alt_mem)
		fail("out of memory");
	if ((rc = pthread_create(&alt_th, NULL, alt_thread, NULL)))
		fail("pthread_create: %s", strerror(rc));
	if ((rc = pthread_create(&blocker_th, NULL, blocker_thread, NULL)))
		fail("pthread_create: %s", strerror(rc));
	pthread_mutex_lock(&lock);
	while (!alt_ready || !blocker_ready)
		pthread_cond_wait(&cond, &lock);
	pthread_mutex_unlock(&lock);
	if (alt_err)
		fail("before the checkpoint: %s", alt_err);

	/* pending: SIGHUP to the process, SIGPWR to the main thread */
	if (kill(getpid(), SIGHUP) || raise(SIGPWR))
		fail("sending the pending signals: %s", strerror(errno));
	if (!pending(SIGHUP) || !pending(SIGPWR))
		fail("SIGHUP/SIGPWR are not pending before the checkpoint");

	/* timers: the alarm is ITIMER_REAL */
	memset(&virt, 0, sizeof(virt));
	virt.it_value.tv_sec = VIRT_S;
	if (setitimer(ITIMER_VIRTUAL, &virt, NULL))
		fail("setitimer(ITIMER_VIRTUAL): %s", strerror(errno));
	memset(&prof, 0, sizeof(prof));
	prof.it_value.tv_sec = VIRT_S;
	prof.it_interval.tv_sec = PROF_INTERVAL_S;
	if (setitimer(ITIMER_PROF, &prof, NULL))
		fail("setitimer(ITIMER_PROF): %s", strerror(errno));
	alarm_set_ns = mt_now_ns();
	alarm(ALARM_S);

	mt_test_ready();

	/* verify: the alarm is still armed (it expires after the restart) */
	if (getitimer(ITIMER_REAL, &it))
		fail("getitimer(ITIMER_REAL): %s", strerror(errno));
	if (it.it_value.tv_sec == 0 && it.it_value.tv_usec == 0) {
		if (pending(SIGALRM))
			fail("the alarm expired before the check after the restart (%.1f s after "
			     "alarm(%d)): the check of ITIMER_REAL is void",
			     (double)(mt_now_ns() - alarm_set_ns) / 1e9, ALARM_S);
		fail("ITIMER_REAL is disarmed after the restart (alarm(%d) %.1f s ago)",
		     ALARM_S, (double)(mt_now_ns() - alarm_set_ns) / 1e9);
	}
	if (it.it_value.tv_sec >= ALARM_S)
		fail("ITIMER_REAL has %ld.%06ld s left, the alarm was %d s",
		     (long)it.it_value.tv_sec, (long)it.it_value.tv_usec, ALARM_S);
	mt_note("ITIMER_REAL: %ld.%06ld s left", (long)it.it_value.tv_sec,
		(long)it.it_value.tv_usec);
	if (getitimer(ITIMER_VIRTUAL, &it))
		fail("getitimer(ITIMER_VIRTUAL): %s", strerror(errno));
	if ((it.it_value.tv_sec == 0 && it.it_value.tv_usec == 0) || it.it_value.tv_sec > VIRT_S)
		fail("ITIMER_VIRTUAL has %ld.%06ld s left, set to %d s", (long)it.it_value.tv_sec,
		     (long)it.it_value.tv_usec, VIRT_S);

	if (getitimer(ITIMER_PROF, &it))
		fail("getitimer(ITIMER_PROF): %s", strerror(errno));
	if ((it.it_value.tv_sec == 0 && it.it_value.tv_usec == 0) || it.it_value.tv_sec > VIRT_S ||
	    it.it_interval.tv_sec != PROF_INTERVAL_S || it.it_interval.tv_usec != 0)
		fail("ITIMER_PROF: %ld.%06ld s left, interval %ld.%06ld s; set to %d s, interval %d s",
		     (long)it.it_value.tv_sec, (long)it.it_value.tv_usec,
		     (long)it.it_interval.tv_sec, (long)it.it_interval.tv_usec, VIRT_S,
		     PROF_INTERVAL_S);

	/* the SA_SIGINFO handler is still installed and runs */
	if (sigaction(SIGUSR2, NULL, &cur) || !(cur.sa_flags & SA_SIGINFO) ||
	    cur.sa_sigaction != usr2_action)
		fail("the SIGUSR2 action changed");
	raise(SIGUSR2);
	if (usr2_count != 1 || usr2_signo != SIGUSR2 || usr2_code != SI_TKILL ||
	    usr2_pid != getpid())
		fail("SIGUSR2 handler: count %d signo %d code %d pid %d", (int)usr2_count,
		     (int)usr2_signo, (int)usr2_code, (int)usr2_pid);

	/* the pending signals are still pending, and delivered once unblocked */
	if (!pending(SIGHUP))
		fail("SIGHUP (sent to the process) is no longer pending");
	if (!pending(SIGPWR))
		fail("SIGPWR (sent to the main thread) is no longer pending");
	if (hup_count || pwr_count)
		fail("a blocked signal was delivered");
	sigemptyset(&unblock);
	sigaddset(&unblock, SIGHUP);
	sigaddset(&unblock, SIGPWR);
	pthread_sigmask(SIG_UNBLOCK, &unblock, NULL);
	if (hup_count != 1 || pwr_count != 1)
		fail("after unblocking: SIGHUP handled %d times, SIGPWR %d times",
		     (int)hup_count, (int)pwr_count);

	/* the thread from before: altstack and mask kept; it exits and is joined */
	pthread_mutex_lock(&lock);
	alt_go = 1;
	pthread_cond_broadcast(&cond);
	pthread_mutex_unlock(&lock);
	join_ok(alt_th, "the thread from before the checkpoint");
	join_ok(blocker_th, "the thread that blocks every signal");

	/* a thread created after the restart */
	if ((rc = pthread_create(&new_th, NULL, new_thread, NULL)))
		fail("pthread_create after the restart: %s", strerror(rc));
	join_ok(new_th, "a thread created after the restart");

	/* the alarm fires: wait for it, bounded */
	deadline_ns = alarm_set_ns + (uint64_t)(ALARM_S + ALARM_SLACK_S) * 1000000000ull;
	pthread_sigmask(SIG_BLOCK, NULL, &m);
	sigdelset(&m, SIGALRM);
	while (!alrm_count) {
		uint64_t now = mt_now_ns();
		struct timespec ts;
		if (now >= deadline_ns)
			fail("SIGALRM did not come within %d s of alarm(%d)",
			     ALARM_S + ALARM_SLACK_S, ALARM_S);
		ts.tv_sec = (time_t)((deadline_ns - now) / 1000000000ull);
		ts.tv_nsec = (long)((deadline_ns - now) % 1000000000ull);
		ppoll(NULL, 0, &ts, &m);
	}
	if (alrm_count != 1)
		fail("SIGALRM handled %d times", (int)alrm_count);
	mt_note("SIGALRM came %.2f s after alarm(%d)",
		(double)(mt_now_ns() - alarm_set_ns) / 1e9, ALARM_S);
	if (getppid() == mt_ppid0)
		mt_note("not restarted (same parent): a continue run");
	pass();
}
