/* SPDX-License-Identifier: MIT */
/*
 * on_term.c - a final checkpoint when the termination signal arrives
 * (MTCP_ON_TERM, mtcp_launch --on-term): Slurm and Kubernetes send SIGTERM
 * and then, after a grace period, SIGKILL.
 *
 * The library installs its own handler for the signal and keeps the
 * program's disposition aside (the interposed sigaction() reads and sets
 * that one, as for the checkpoint signal).  A signal from outside the
 * process is a request: the handler marks it and wakes the control thread,
 * which takes a checkpoint, waits until the image is durable, and then
 * sends the signal to the process itself.  A signal the process sent
 * itself is the program's business and acts at once as the program set it:
 * its handler runs (with the siginfo of the signal from outside when it is
 * the one passed on), SIG_IGN does nothing, and SIG_DFL is re-raised with
 * the default disposition installed, so that the process ends by it.
 *
 * The states, one word:
 *   IDLE       nothing asked;
 *   REQUESTED  a signal from outside arrived; the control thread takes the
 *              checkpoint; more signals from outside are absorbed;
 *   DELIVERING the image is written (or the checkpoint failed) and the
 *              signal was sent to the process (rt_sigqueueinfo, with a
 *              mark in si_value); the program is owed one signal: the first
 *              taker of the mark, or of another signal from outside (the
 *              kernel keeps one pending instance of a signal below
 *              SIGRTMIN, so ours may have merged into it), gives it to the
 *              program and returns the state to IDLE.  A mark taken in IDLE
 *              was paid already and is dropped.
 * The control thread keeps the signal blocked while DELIVERING, so that it
 * never takes its own signal and runs the program's handler.
 *
 * A program that blocks the signal and waits for it with sigwait(),
 * sigwaitinfo() or sigtimedwait() gets it through the interposed functions
 * (interpose.c): a signal from outside there becomes a request too, and the
 * wait goes on until the signal comes back from the control thread.
 *
 * No image holds the signal pending (on_term_pending_mask()), and a restart
 * starts IDLE: a restarted program is not told again.
 */
#include "engine.h"
#include "options.h"
#include "syscall.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>

enum { TERM_IDLE = 0, TERM_REQUESTED, TERM_DELIVERING };

static volatile int term_state;
/* The program's disposition of the signal, as it believes it installed it. */
static struct sigaction app_action;
/* The first signal from outside: what the program's handler sees. */
static siginfo_t term_info;

int on_term_signal(void)
{
	struct engine *e = &mtcp_engine;
	return e->initialised || e->inert ? e->cfg.on_term : 0;
}

uint64_t on_term_pending_mask(void)
{
	int sig = mtcp_engine.cfg.on_term;
	return sig ? 1ull << (sig - 1) : 0;
}

/* si_value of the signal the control thread sends: ours, not the program's */
#define TERM_MARK ((void *)&term_state)

static int from_self(const siginfo_t *si)
{
	/* si_code <= 0: sent by a process (kill, tgkill, sigqueue); > 0: by
	 * the kernel (SIGXCPU at RLIMIT_CPU, ...), which is outside too */
	return si->si_code <= 0 && si->si_pid == (pid_t)raw_syscall0(SYS_getpid);
}

static void term_handler(int sig, siginfo_t *si, void *uc);

/* Our handler, with the program's mask and the flags that change how
 * the interrupted thread goes on (SA_RESTART, SA_ONSTACK, SA_NODEFER);
 * SA_RESETHAND is done by hand (act_as_program) or our handler would go. */
static int install_real(int sig)
{
	struct sigaction sa;
	int app_handles = app_action.sa_handler != SIG_DFL && app_action.sa_handler != SIG_IGN;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = term_handler;
	sa.sa_mask = app_action.sa_mask;
	sigdelset(&sa.sa_mask, mtcp_engine.cfg.signal);
	sa.sa_flags = SA_SIGINFO |
		      (app_handles ? app_action.sa_flags & (SA_RESTART | SA_ONSTACK | SA_NODEFER)
				   : SA_RESTART);
	return real_sigaction(sig, &sa, NULL) < 0 ? -errno : 0;
}

int on_term_install(int sig)
{
	struct sigaction old;

	if (real_sigaction(sig, NULL, &old) < 0)
		return -errno;
	/* SIG_IGN survives exec: a program started with the signal ignored
	 * keeps it ignored */
	app_action = old;
	return install_real(sig);
}

int on_term_switch(int old_sig, int new_sig)
{
	if (old_sig && real_sigaction(old_sig, &app_action, NULL) < 0)
		return -errno;
	__atomic_store_n(&term_state, TERM_IDLE, __ATOMIC_RELEASE);
	return new_sig ? on_term_install(new_sig) : 0;
}

int on_term_sigaction(int sig, const struct sigaction *act, struct sigaction *old)
{
	struct sigaction prev = app_action;

	if (act) {
		app_action = *act;
		sigdelset(&app_action.sa_mask, mtcp_engine.cfg.signal);
		if (install_real(sig)) {
			int e = errno;
			app_action = prev;
			errno = e;
			return -1;
		}
	}
	if (old)
		*old = prev;
	return 0;
}

/* What the program's disposition does with the signal, in this thread. */
static void act_as_program(int sig, siginfo_t *si, void *uc)
{
	struct sigaction a = app_action;

	if (a.sa_handler == SIG_IGN)
		return;
	if (a.sa_handler == SIG_DFL) {
		struct sigaction dfl;
		memset(&dfl, 0, sizeof(dfl));
		dfl.sa_handler = SIG_DFL;
		real_sigaction(sig, &dfl, NULL);
		/* blocked in this handler (unless SA_NODEFER): acts when it
		 * returns, by the default action, which ends the process
		 * (opt_check_term_signal allows no other kind) */
		raw_syscall3(SYS_tgkill, raw_syscall0(SYS_getpid), raw_syscall0(SYS_gettid), sig);
		return;
	}
	if (a.sa_flags & SA_RESETHAND) {
		memset(&app_action, 0, sizeof(app_action));
		app_action.sa_handler = SIG_DFL;
		install_real(sig);
	}
	if (a.sa_flags & SA_SIGINFO)
		a.sa_sigaction(sig, si, uc);
	else
		a.sa_handler(sig);
}

/*
 * A signal taken by a handler or a sigwait: 1 if the program gets it now
 * (*si is what it sees), 0 if it became (or joined) a request.
 */
static int is_mark(const siginfo_t *si)
{
	return si->si_code == SI_QUEUE && si->si_value.sival_ptr == TERM_MARK && from_self(si);
}

int on_term_take(siginfo_t *si)
{
	siginfo_t saved = term_info;
	int st = TERM_DELIVERING;

	if (mtcp_engine.inert)
		return 1;
	/* the program is owed one: this is it (ours, or one from outside
	 * that ours merged into) */
	if ((is_mark(si) || !from_self(si)) &&
	    __atomic_compare_exchange_n(&term_state, &st, TERM_IDLE, 0, __ATOMIC_ACQ_REL,
					__ATOMIC_ACQUIRE)) {
		*si = saved;
		return 1;
	}
	/* ours, after one from outside paid the debt: nothing more */
	if (is_mark(si))
		return 0;
	/* the program's own (raise, kill(getpid())) acts as it would */
	if (from_self(si))
		return 1;
	st = TERM_IDLE;
	if (__atomic_compare_exchange_n(&term_state, &st, TERM_REQUESTED, 0, __ATOMIC_ACQ_REL,
					__ATOMIC_ACQUIRE)) {
		term_info = *si;
		ctl_wake();
	}
	/* else one is being taken: this one is absorbed */
	return 0;
}

static void term_handler(int sig, siginfo_t *si, void *uc)
{
	int saved_errno = errno;
	siginfo_t copy = *si;

	if (on_term_take(&copy))
		act_as_program(sig, &copy, uc);
	errno = saved_errno;
}

int on_term_requested(void)
{
	return __atomic_load_n(&term_state, __ATOMIC_ACQUIRE) == TERM_REQUESTED;
}

int on_term_ctl_may_take(void)
{
	return __atomic_load_n(&term_state, __ATOMIC_ACQUIRE) != TERM_DELIVERING;
}

void on_term_deliver(int result, const char *err)
{
	struct engine *e = &mtcp_engine;
	int sig = e->cfg.on_term;
	char name[32];

	opt_signal_name(sig, name, sizeof(name));
	if (result < 0)
		util_log("%s: the final checkpoint failed: %s; %s goes to the program now", name,
			 err, name);
	else
		util_log("%s: final checkpoint %s is durable (paused %.3f ms); %s goes to the "
			 "program now", name, e->last_image, e->last_pause_ns / 1e6, name);
	{
		siginfo_t si;
		memset(&si, 0, sizeof(si));
		si.si_signo = sig;
		si.si_code = SI_QUEUE;
		si.si_pid = (pid_t)raw_syscall0(SYS_getpid);
		si.si_uid = (uid_t)raw_syscall0(SYS_getuid);
		si.si_value.sival_ptr = TERM_MARK;
		__atomic_store_n(&term_state, TERM_DELIVERING, __ATOMIC_RELEASE);
		raw_syscall3(SYS_rt_sigqueueinfo, si.si_pid, sig, (long)&si);
	}
}

void on_term_after_restart(void)
{
	__atomic_store_n(&term_state, TERM_IDLE, __ATOMIC_RELEASE);
}
