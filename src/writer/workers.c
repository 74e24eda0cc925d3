/* SPDX-License-Identifier: MIT */
/* workers.c - the writer's helper threads (see workers.h). */
#include "workers.h"
#include "syscall.h"

#include <errno.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>

long wk_raw_clone(unsigned long flags, void *stack_top, int32_t *parent_tid,
		  volatile int32_t *child_tid, void (*fn)(void *), void *arg);

static size_t round_page(size_t n)
{
	return (n + 4095) & ~(size_t)4095;
}

size_t wk_memory_size(void)
{
	return WK_NSLOTS * round_page(CHUNK_OUT_CAP) + WK_NSLOTS * (size_t)CHUNK_MAX +
	       round_page(WK_NSLOTS * sizeof(struct chunk_job)) +
	       round_page((WK_MAX_HELPERS + 1) * (size_t)CHUNK_LZ4_STATE) +
	       (size_t)WK_MAX_HELPERS * WK_STACK;
}

void wk_memory_guard(const struct wk_memory *m)
{
	/* the lowest page of each helper stack: an overflow faults instead of
	 * writing over the neighbour's stack or the lz4 states */
	for (int i = 0; i < WK_MAX_HELPERS; i++)
		raw_syscall3(SYS_mprotect, (long)(m->stacks + (size_t)i * WK_STACK), 4096, PROT_NONE);
}

void wk_memory_carve(struct wk_memory *m, char *base)
{
	for (int i = 0; i < WK_NSLOTS; i++) {
		m->out[i] = base;
		base += round_page(CHUNK_OUT_CAP);
	}
	for (int i = 0; i < WK_NSLOTS; i++) {
		m->bounce[i] = base;
		base += CHUNK_MAX;
	}
	m->jobs = (struct chunk_job *)(void *)base;
	base += round_page(WK_NSLOTS * sizeof(struct chunk_job));
	m->lz4_states = base;
	base += round_page((WK_MAX_HELPERS + 1) * (size_t)CHUNK_LZ4_STATE);
	m->stacks = base;
}

static void futex_wait(volatile void *addr, uint32_t val)
{
	raw_syscall4(SYS_futex, (long)addr, RAW_FUTEX_WAIT | RAW_FUTEX_PRIVATE, (long)val, 0);
}

static void futex_wake(volatile void *addr, int n)
{
	raw_syscall3(SYS_futex, (long)addr, RAW_FUTEX_WAKE | RAW_FUTEX_PRIVATE, n);
}

/* Claims the oldest queued job and runs it with the given lz4 state. */
/* CHUNK_F_STAGED: the job's runs read through /proc/self/mem into its
 * bounce buffer, one after another.  The kernel copies each page from
 * the page itself: no page of ours is touched through its mapping, so a
 * copy-on-write writer does not pay a first-touch cost per page (about
 * 5 us a page on the project's virtual machines), and nothing is pinned
 * (a pin would copy a page shared with the program).  If the read fails
 * the job reads the memory directly. */
void wk_stage(struct chunk_job *j)
{
	uint32_t n = j->nruns ? j->nruns : 1;
	char *to = j->bounce;

	if (!(j->flags & CHUNK_F_STAGED))
		return;
	for (uint32_t i = 0; i < n; i++) {
		uint64_t a = j->nruns ? j->runs[i].addr : j->addr;
		uint64_t len = j->nruns ? j->runs[i].len : j->len;
		if ((j->flags & CHUNK_F_SRC) && j->nruns)
			a = j->runs[i].src;
		while (len) {
			long r = raw_syscall4(SYS_pread64, j->stage_fd, (long)to, (long)len, (long)a);
			if (r == -EINTR)
				continue;
			if (r <= 0) {
				/* a copy that cannot be read has no stand-in: the
				 * memory has changed since */
				if (j->flags & CHUNK_F_SRC)
					j->flags |= CHUNK_F_FAILED;
				j->flags &= ~CHUNK_F_STAGED;
				return;
			}
			to += r;
			a += (uint64_t)r;
			len -= (uint64_t)r;
		}
	}
}

static int run_one(struct workers *w, void *lz4_state)
{
	int best = -1;

	for (;;) {
		best = -1;
		for (int i = 0; i < WK_NSLOTS; i++)
			if (__atomic_load_n(&w->slots[i].state, __ATOMIC_ACQUIRE) == WK_QUEUED &&
			    (best < 0 || w->slots[i].seq < w->slots[best].seq))
				best = i;
		if (best < 0)
			return 0;
		int32_t expect = WK_QUEUED;
		if (__atomic_compare_exchange_n(&w->slots[best].state, &expect, WK_RUNNING, 0,
						__ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
			break;
	}
	wk_stage(w->slots[best].job);
	chunk_encode(w->slots[best].job, lz4_state);
	__atomic_store_n(&w->slots[best].state, WK_DONE, __ATOMIC_RELEASE);
	__atomic_add_fetch(&w->done_gen, 1, __ATOMIC_ACQ_REL);
	futex_wake(&w->done_gen, INT_MAX);
	return 1;
}

static void helper_main(void *p)
{
	struct wk_arg *a = p;
	struct workers *w = a->w;
	void *state = w->mem.lz4_states + (size_t)a->idx * CHUNK_LZ4_STATE;

	for (;;) {
		uint32_t gen = __atomic_load_n(&w->work_gen, __ATOMIC_ACQUIRE);
		if (__atomic_load_n(&w->quit, __ATOMIC_ACQUIRE))
			return;
		if (!run_one(w, state))
			futex_wait(&w->work_gen, gen);
	}
}

int wk_start(struct workers *w, const struct wk_memory *mem, int want)
{
	uint64_t all = ~0ull, old;

	memset(w, 0, sizeof(*w));
	w->mem = *mem;
	for (int i = 0; i < WK_NSLOTS; i++)
		w->slots[i].job = &w->mem.jobs[i];
	if (want > WK_MAX_HELPERS)
		want = WK_MAX_HELPERS;
	/* the helpers are born with every signal blocked */
	raw_syscall4(SYS_rt_sigprocmask, SIG_SETMASK, (long)&all, (long)&old, 8);
	for (int i = 0; i < want; i++) {
		char *top = w->mem.stacks + (size_t)(i + 1) * WK_STACK;
		long tid;

		w->args[i].w = w;
		w->args[i].idx = i;
		/* the kernel stores the tid in alive[i] before the thread can
		 * run, and clears it (with a futex wake) when the thread exits */
		tid = wk_raw_clone(CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD |
				   CLONE_SYSVSEM | CLONE_PARENT_SETTID | CLONE_CHILD_CLEARTID,
				   top, (int32_t *)&w->alive[i], &w->alive[i], helper_main, &w->args[i]);
		if (tid < 0)
			break;
		w->tids[i] = (int32_t)tid;
		w->nhelpers++;
	}
	raw_syscall4(SYS_rt_sigprocmask, SIG_SETMASK, (long)&old, 0, 8);
	return w->nhelpers;
}

void wk_stop(struct workers *w)
{
	__atomic_store_n(&w->quit, 1, __ATOMIC_RELEASE);
	__atomic_add_fetch(&w->work_gen, 1, __ATOMIC_ACQ_REL);
	futex_wake(&w->work_gen, INT_MAX);
	for (int i = 0; i < w->nhelpers; i++) {
		for (;;) {
			int32_t v = __atomic_load_n(&w->alive[i], __ATOMIC_ACQUIRE);
			if (!v)
				break;
			/* the kernel's wake at thread exit is a shared futex wake:
			 * a private wait would never see it */
			raw_syscall4(SYS_futex, (long)&w->alive[i], RAW_FUTEX_WAIT, v, 0);
		}
	}
	w->nhelpers = 0;
}

int wk_is_helper(const struct workers *w, int tid)
{
	for (int i = 0; i < w->nhelpers; i++)
		if (w->tids[i] == tid)
			return 1;
	return 0;
}

void wk_queue(struct workers *w, int slot)
{
	w->slots[slot].seq = w->next_seq++;
	__atomic_store_n(&w->slots[slot].state, WK_QUEUED, __ATOMIC_RELEASE);
	if (w->nhelpers) {
		__atomic_add_fetch(&w->work_gen, 1, __ATOMIC_ACQ_REL);
		futex_wake(&w->work_gen, 1);
	}
}

int wk_help(struct workers *w)
{
	return run_one(w, w->mem.lz4_states + (size_t)WK_MAX_HELPERS * CHUNK_LZ4_STATE);
}

void wk_wait_done(struct workers *w, int slot)
{
	for (;;) {
		uint32_t gen = __atomic_load_n(&w->done_gen, __ATOMIC_ACQUIRE);
		if (__atomic_load_n(&w->slots[slot].state, __ATOMIC_ACQUIRE) == WK_DONE)
			return;
		if (!wk_help(w))
			futex_wait(&w->done_gen, gen);
	}
}
