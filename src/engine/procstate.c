/* SPDX-License-Identifier: MIT */
/*
 * procstate.c - process-wide state for the PROC and SIGACT records: mm
 * bookkeeping (brk, arg/env/auxv), rlimits, interval timers, signal
 * dispositions and pending signals, umask, cwd, executable.  Raw system
 * calls and /proc reads only (threads are parked).
 */
#include "engine.h"
#include "syscall.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <fcntl.h>

struct ksigaction {
	uint64_t handler, flags, restorer, mask;
};

/* Fields of /proc/self/stat, counted from 1 like proc(5). */
static int stat_fields(const char *buf, uint64_t *out, int first, int last)
{
	const char *p = strrchr(buf, ')');
	int field = 2;

	if (!p)
		return -EINVAL;
	p++;
	while (*p && field < last) {
		while (*p == ' ')
			p++;
		field++;
		if (field >= first && field <= last)
			out[field - first] = strtoull(p, NULL, 10);
		while (*p && *p != ' ')
			p++;
	}
	return field == last ? 0 : -EINVAL;
}

uint64_t procstate_sigset_from_status(const char *status, const char *key)
{
	const char *p = strstr(status, key);
	if (!p)
		return 0;
	return strtoull(p + strlen(key), NULL, 16);
}

static uint64_t tv_us(struct timeval tv)
{
	return (uint64_t)tv.tv_sec * 1000000ull + (uint64_t)tv.tv_usec;
}

int procstate_capture(struct mtcp_rec_proc *p, char *cwd, char *exe,
		      struct mtcp_rec_sigact *sa, char *err, size_t errlen)
{
	struct engine *e = &mtcp_engine;
	char *buf = e->scratch + (26u << 20);
	uint64_t f[64];
	long n;

	memset(p, 0, sizeof(*p));
	p->pid = (uint32_t)e->pid;
	n = util_read_file("/proc/self/stat", buf, 4096);
	if (n < 0 || stat_fields(buf, f, 26, 51)) {
		snprintf(err, errlen, "cannot read /proc/self/stat");
		return n < 0 ? (int)n : -EINVAL;
	}
	p->start_code = f[26 - 26];
	p->end_code = f[27 - 26];
	p->start_stack = f[28 - 26];
	p->start_data = f[45 - 26];
	p->end_data = f[46 - 26];
	p->start_brk = f[47 - 26];
	p->arg_start = f[48 - 26];
	p->arg_end = f[49 - 26];
	p->env_start = f[50 - 26];
	p->env_end = f[51 - 26];
	p->brk = (uint64_t)raw_syscall1(SYS_brk, 0);

	n = util_read_file("/proc/self/auxv", buf, sizeof(p->auxv) + 1);
	if (n < 0 || n % 16) {
		snprintf(err, errlen, "cannot read /proc/self/auxv");
		return n < 0 ? (int)n : -EINVAL;
	}
	memcpy(p->auxv, buf, (size_t)n);
	p->auxv_words = (uint64_t)n / 8;

	n = util_read_file("/proc/self/status", buf, 1 << 16);
	if (n < 0) {
		snprintf(err, errlen, "cannot read /proc/self/status");
		return (int)n;
	}
	/* a termination signal (MTCP_ON_TERM) is this checkpoint's reason or
	 * is absorbed by it: a restart must not deliver it again */
	p->pending_shared = procstate_sigset_from_status(buf, "ShdPnd:") & ~on_term_pending_mask();

	for (int r = 0; r < MTCP_NRLIMITS; r++) {
		struct rlimit rl;
		if (raw_syscall4(SYS_prlimit64, 0, r, 0, (long)&rl) == 0) {
			p->rlimits[r].cur = rl.rlim_cur;
			p->rlimits[r].max = rl.rlim_max;
		} else {
			p->rlimits[r].cur = p->rlimits[r].max = UINT64_MAX;
		}
	}
	for (int t = 0; t < 3; t++) {
		struct itimerval it;
		if (raw_syscall2(SYS_getitimer, t, (long)&it) == 0) {
			p->itimers[t].interval_us = tv_us(it.it_interval);
			p->itimers[t].value_us = tv_us(it.it_value);
		}
	}
	memset(sa, 0, sizeof(*sa) * MTCP_NSIG);
	for (int s = 1; s <= MTCP_NSIG; s++) {
		struct ksigaction k;
		if (s == SIGKILL || s == SIGSTOP)
			continue;
		if (raw_syscall4(SYS_rt_sigaction, s, 0, (long)&k, 8) == 0) {
			sa[s - 1].handler = k.handler;
			sa[s - 1].flags = k.flags;
			sa[s - 1].restorer = k.restorer;
			sa[s - 1].mask = k.mask;
		}
	}
	p->umask = (uint32_t)raw_syscall1(SYS_umask, 022);
	raw_syscall1(SYS_umask, p->umask);

	n = raw_syscall2(SYS_getcwd, (long)cwd, MTCP_MAX_PATH);
	if (n < 0) {
		snprintf(err, errlen, "cannot get the current directory: %s", strerror((int)-n));
		return (int)n;
	}
	p->cwd_len = (uint32_t)strlen(cwd);
	n = raw_syscall4(SYS_readlinkat, AT_FDCWD, (long)"/proc/self/exe", (long)exe,
			 MTCP_MAX_PATH - 1);
	if (n < 0)
		n = 0;
	exe[n] = '\0';
	p->exe_len = (uint32_t)n;
	n = util_read_file("/proc/self/comm", buf, 64);
	if (n > 0) {
		if (buf[n - 1] == '\n')
			buf[--n] = '\0';
		memcpy(p->comm, buf, (size_t)(n < 15 ? n : 15));
	}
	p->ckpt_signal = (uint32_t)e->cfg.signal;
	p->restart_info = (uint64_t)(uintptr_t)&mtcp_restart_info;
	p->resume_stub = (uint64_t)(uintptr_t)mtcp_resume_stub;
	return 0;
}
