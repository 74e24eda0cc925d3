/* SPDX-License-Identifier: MIT */
/*
 * suspend.c - stopping every thread of the program and letting it go.
 *
 * The control thread lists /proc/self/task, sends each thread it has not
 * seen the checkpoint signal (rt_tgsigqueueinfo, with the thread's slot
 * index in si_value), and repeats until a listing finds nothing new and
 * every thread is parked: a parked thread creates no threads, so this
 * converges.  Each thread, in the handler, records its kernel-held state
 * into its slot, counts itself parked and waits on a futex until the
 * control thread bumps release_gen.  Only raw system calls are used from
 * here on: a parked thread may hold any libc lock.
 *
 * Threads that never take the signal: an exiting thread (glibc blocks all
 * signals in its exit path) disappears and is marked GONE; a thread that
 * keeps every signal blocked (glibc's timer_create(SIGEV_THREAD) helper)
 * makes the checkpoint fail after SUSPEND_TIMEOUT_NS with its name.
 */
#include "engine.h"
#include "syscall.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

#define SLOT_MAGIC 0x6d746370ull /* "mtcp" in si_value's high half */
#define SUSPEND_TIMEOUT_NS (5ull * 1000000000ull)
#define BLOCKED_RETRY_NS (20ull * 1000000ull)
#define ARCH_GET_FS_CODE 0x1003
#define RSEQ_SIG_GLIBC 0x53053053u

extern __thread int mtcp_disable_depth;
extern __thread int mtcp_deferred_slot;

/* tid -> slot index, open addressing; reset at each checkpoint. */
#define TID_HASH_SIZE (2 * MTCP_MAX_THREADS)
static int32_t *tid_hash; /* slot index + 1, 0 = empty */

static unsigned tid_bucket(pid_t tid)
{
	return ((uint32_t)tid * 2654435761u) % TID_HASH_SIZE;
}

static int slot_find(pid_t tid)
{
	for (unsigned b = tid_bucket(tid);; b = (b + 1) % TID_HASH_SIZE) {
		int32_t v = tid_hash[b];
		if (!v)
			return -1;
		if (mtcp_engine.slots[v - 1].tid == tid)
			return v - 1;
	}
}

static void slot_index(pid_t tid, int idx)
{
	unsigned b = tid_bucket(tid);
	while (tid_hash[b])
		b = (b + 1) % TID_HASH_SIZE;
	tid_hash[b] = idx + 1;
}

static long send_slot_signal(pid_t tid, int idx)
{
	struct engine *e = &mtcp_engine;
	siginfo_t si;

	memset(&si, 0, sizeof(si));
	si.si_signo = e->cfg.signal;
	si.si_code = SI_QUEUE;
	si.si_pid = e->pid;
	si.si_uid = (uid_t)raw_syscall0(SYS_getuid);
	si.si_value.sival_ptr = (void *)(uintptr_t)((SLOT_MAGIC << 32) | (uint32_t)idx);
	return raw_syscall4(SYS_rt_tgsigqueueinfo, e->pid, tid, e->cfg.signal, (long)&si);
}

void suspend_redeliver(int idx)
{
	send_slot_signal((pid_t)raw_syscall0(SYS_gettid), idx);
}

/* Kernel-held state of the calling thread that memory does not hold
 * (DESIGN.md, Threads).  The signal mask is the caller's to fill. */
void suspend_capture_self(struct mtcp_rec_thread *r, pid_t tid, uint32_t flags,
			  uint64_t resume_addr)
{
	struct engine *e = &mtcp_engine;
	uint64_t v = 0, head = 0, len = 0;
	stack_t ss;

	memset(r, 0, sizeof(*r));
	r->tid = (uint32_t)tid;
	r->flags = flags;
	r->resume_addr = resume_addr;
	raw_syscall2(SYS_arch_prctl, ARCH_GET_FS_CODE, (long)&v);
	r->fs_base = v;
	v = 0;
	raw_syscall2(SYS_prctl, PR_GET_TID_ADDRESS, (long)&v);
	r->clear_tid = v;
	if (raw_syscall3(SYS_get_robust_list, 0, (long)&head, (long)&len) == 0) {
		r->robust_head = head;
		r->robust_len = len;
	}
	if (raw_syscall2(SYS_sigaltstack, 0, (long)&ss) == 0) {
		r->altstack_sp = (uint64_t)(uintptr_t)ss.ss_sp;
		r->altstack_size = ss.ss_size;
		r->altstack_flags = (uint32_t)(ss.ss_flags & ~SS_ONSTACK);
	} else {
		r->altstack_flags = SS_DISABLE;
	}
	raw_syscall2(SYS_prctl, PR_GET_NAME, (long)r->name);
	raw_syscall3(SYS_sched_getaffinity, 0, sizeof(r->affinity), (long)r->affinity);
	if (e->rseq_size) {
		r->rseq_addr = r->fs_base + (uint64_t)e->rseq_offset;
		r->rseq_len = e->rseq_size;
		r->rseq_sig = RSEQ_SIG_GLIBC;
	}
}

static void capture_thread(struct thread_slot *s, ucontext_t *uc)
{
	struct mtcp_rec_thread *r = &s->rec;

	suspend_capture_self(r, s->tid, s->tid == mtcp_engine.pid ? MTCP_THREADF_MAIN : 0,
			     (uint64_t)(uintptr_t)uc);
	memcpy(&r->sigmask, &uc->uc_sigmask, sizeof(r->sigmask));
}

static void park(struct thread_slot *s, ucontext_t *uc)
{
	struct engine *e = &mtcp_engine;
	uint32_t gen;

	capture_thread(s, uc);
	gen = __atomic_load_n(&e->release_gen, __ATOMIC_ACQUIRE);
	__atomic_store_n(&s->state, SLOT_PARKED, __ATOMIC_RELEASE);
	__atomic_fetch_add(&e->parked, 1, __ATOMIC_ACQ_REL);
	raw_syscall3(SYS_futex, (long)&e->parked, RAW_FUTEX_WAKE | RAW_FUTEX_PRIVATE, 1);
	while (__atomic_load_n(&e->release_gen, __ATOMIC_ACQUIRE) == gen)
		raw_syscall4(SYS_futex, (long)&e->release_gen, RAW_FUTEX_WAIT | RAW_FUTEX_PRIVATE,
			     gen, 0);
}

static void ckpt_handler(int sig, siginfo_t *si, void *ucv)
{
	struct engine *e = &mtcp_engine;
	uint64_t v = (uint64_t)(uintptr_t)si->si_value.sival_ptr;
	uint32_t idx = (uint32_t)v;
	struct thread_slot *s;

	(void)sig;
	/* A wake-up for the control thread, or a stray signal from outside. */
	if (si->si_code != SI_QUEUE || si->si_pid != e->pid || (v >> 32) != SLOT_MAGIC ||
	    !e->in_checkpoint || idx >= (uint32_t)e->nslots)
		return;
	s = &e->slots[idx];
	if (s->tid != (pid_t)raw_syscall0(SYS_gettid))
		return;
	if (mtcp_disable_depth > 0) {
		mtcp_deferred_slot = (int)idx + 1;
		__atomic_store_n(&s->state, SLOT_DEFERRED, __ATOMIC_RELEASE);
		return;
	}
	park(s, ucv);
}

int suspend_install_handler(int sig)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = ckpt_handler;
	/* SA_RESTART: read, write, futex and wait calls restart unseen.
	 * Full sa_mask: no other handler runs on top of a parked thread. */
	sa.sa_flags = SA_SIGINFO | SA_RESTART;
	sigfillset(&sa.sa_mask);
	if (real_sigaction(sig, &sa, NULL) < 0)
		return -errno;
	return 0;
}

/* Lists /proc/self/task into tids[]; returns the count or -errno. */
static int list_tasks(pid_t *tids, int max)
{
	char buf[8192];
	long fd = raw_syscall4(SYS_openat, AT_FDCWD, (long)"/proc/self/task",
			       O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
	int n = 0;

	if (fd < 0)
		return (int)fd;
	for (;;) {
		long got = raw_syscall3(SYS_getdents64, fd, (long)buf, sizeof(buf));
		if (got <= 0) {
			raw_syscall1(SYS_close, fd);
			return got < 0 ? (int)got : n;
		}
		for (long off = 0; off < got;) {
			const char *name = buf + off + 19; /* d_name in linux_dirent64 */
			unsigned short reclen;
			memcpy(&reclen, buf + off + 16, sizeof(reclen));
			off += reclen;
			if (name[0] < '0' || name[0] > '9')
				continue;
			pid_t t = 0;
			for (const char *c = name; *c; c++)
				t = t * 10 + (*c - '0');
			if (n < max)
				tids[n++] = t;
		}
	}
}

static void thread_name(pid_t tid, char *out, size_t len)
{
	char path[64];
	long n;

	snprintf(path, sizeof(path), "/proc/self/task/%d/comm", tid);
	n = util_read_file(path, out, len);
	if (n <= 0)
		snprintf(out, len, "?");
	else if (out[n - 1] == '\n')
		out[n - 1] = '\0';
}

/*
 * Threads that are not the program's: the library's own (owned.h: the
 * writer's helpers), and the kernel's io_uring workers (iou-wrk-*,
 * iou-sqp-*), which live in the thread group but never run user code, so
 * they can never park.  Names are read once per checkpoint (a tid may be
 * reused between two).
 */
#define MAX_IO_WORKERS 64
static pid_t io_workers[MAX_IO_WORKERS];
static int nio_workers;

static int is_io_worker(pid_t tid)
{
	char name[32];

	for (int i = 0; i < nio_workers; i++)
		if (io_workers[i] == tid)
			return 1;
	thread_name(tid, name, sizeof(name));
	if (strncmp(name, "iou-wrk-", 8) && strncmp(name, "iou-sqp-", 8))
		return 0;
	if (nio_workers < MAX_IO_WORKERS)
		io_workers[nio_workers++] = tid;
	return 1;
}

static void blocked_message(pid_t tid, char *err, size_t errlen)
{
	char name[32];

	thread_name(tid, name, sizeof(name));
	snprintf(err, errlen, "thread %d (%s) does not take the checkpoint signal (it blocks "
		 "it; glibc's timer_create(SIGEV_THREAD) helper is not supported)", tid, name);
}

static int thread_blocks_signal(pid_t tid)
{
	struct engine *e = &mtcp_engine;
	char path[64], buf[4096];

	snprintf(path, sizeof(path), "/proc/self/task/%d/status", tid);
	if (util_read_file(path, buf, sizeof(buf)) <= 0)
		return 0;
	return (procstate_sigset_from_status(buf, "SigBlk:") >> (e->cfg.signal - 1)) & 1;
}

int suspend_all(char *err, size_t errlen)
{
	struct engine *e = &mtcp_engine;
	pid_t *tids = (pid_t *)(e->scratch + (e->scratch_len / 2));
	int stable = 0;

	if (!tid_hash) {
		util_reserve((void **)&tid_hash, sizeof(*tid_hash) * TID_HASH_SIZE);
		if (!tid_hash) {
			snprintf(err, errlen, "out of memory");
			return -ENOMEM;
		}
	}
	memset(tid_hash, 0, sizeof(*tid_hash) * TID_HASH_SIZE);
	nio_workers = 0;
	e->nslots = 0;
	__atomic_store_n(&e->parked, 0, __ATOMIC_RELEASE);
	__atomic_store_n(&e->in_checkpoint, 1, __ATOMIC_RELEASE);

	for (;;) {
		int n = list_tasks(tids, MTCP_MAX_THREADS);
		int fresh = 0, waiting = 0;
		uint64_t now = util_now_ns();
		uint32_t parked = __atomic_load_n(&e->parked, __ATOMIC_ACQUIRE);

		if (n < 0) {
			snprintf(err, errlen, "cannot list /proc/self/task: %s", strerror(-n));
			return n;
		}
		for (int i = 0; i < n; i++) {
			if (tids[i] == e->ctl_tid || slot_find(tids[i]) >= 0 ||
			    owned_tid_is(tids[i]) || is_io_worker(tids[i]))
				continue;
			if (e->nslots == MTCP_MAX_THREADS) {
				snprintf(err, errlen, "more than %d threads", MTCP_MAX_THREADS);
				return -E2BIG;
			}
			struct thread_slot *s = &e->slots[e->nslots];
			s->tid = tids[i];
			s->signalled_ns = now;
			__atomic_store_n(&s->state, SLOT_SIGNALLED, __ATOMIC_RELEASE);
			slot_index(tids[i], e->nslots);
			e->nslots++;
			if (send_slot_signal(tids[i], e->nslots - 1) == -ESRCH)
				s->state = SLOT_GONE;
			fresh++;
		}
		for (int i = 0; i < e->nslots; i++) {
			struct thread_slot *s = &e->slots[i];
			int st = __atomic_load_n(&s->state, __ATOMIC_ACQUIRE);
			if (st == SLOT_PARKED || st == SLOT_GONE)
				continue;
			if (raw_syscall3(SYS_tgkill, e->pid, s->tid, 0) == -ESRCH) {
				s->state = SLOT_GONE;
				continue;
			}
			waiting++;
			/* A thread that keeps the signal blocked may be waiting for a
			 * lock a parked thread holds (glibc's stack cache: an exiting
			 * thread blocks every signal, then takes it): let everyone go
			 * and try again (-EAGAIN to checkpoint_run). */
			if (st == SLOT_SIGNALLED && now - s->signalled_ns > BLOCKED_RETRY_NS &&
			    thread_blocks_signal(s->tid)) {
				blocked_message(s->tid, err, errlen);
				return -EAGAIN;
			}
			/* an mtcp_disable() section may last; anything else may not */
			if (st == SLOT_SIGNALLED && now - s->signalled_ns > SUSPEND_TIMEOUT_NS) {
				blocked_message(s->tid, err, errlen);
				return -ETIMEDOUT;
			}
		}
		if (!fresh && !waiting) {
			if (stable)
				break;
			stable = 1; /* one more listing to confirm */
			continue;
		}
		stable = 0;
		if (waiting) {
			struct timespec ts = { 0, 2 * 1000 * 1000 };
			raw_syscall4(SYS_futex, (long)&e->parked,
				     RAW_FUTEX_WAIT | RAW_FUTEX_PRIVATE, parked, (long)&ts);
		}
	}
	for (int i = 0; i < e->nslots; i++)
		if (e->slots[i].state == SLOT_PARKED && e->slots[i].tid == e->pid)
			return 0;
	snprintf(err, errlen, "the main thread has exited (pthread_exit from main is "
		 "not supported)");
	return -ESRCH;
}

void suspend_release_all(void)
{
	struct engine *e = &mtcp_engine;

	__atomic_store_n(&e->in_checkpoint, 0, __ATOMIC_RELEASE);
	__atomic_fetch_add(&e->release_gen, 1, __ATOMIC_ACQ_REL);
	raw_syscall3(SYS_futex, (long)&e->release_gen, RAW_FUTEX_WAKE | RAW_FUTEX_PRIVATE,
		     0x7fffffff);
}

void suspend_reset_after_restart(void)
{
	struct engine *e = &mtcp_engine;

	/* The restored threads resumed straight from their signal frames;
	 * none of them waits in park() any more. */
	__atomic_store_n(&e->parked, 0, __ATOMIC_RELEASE);
	__atomic_store_n(&e->in_checkpoint, 0, __ATOMIC_RELEASE);
	__atomic_fetch_add(&e->release_gen, 1, __ATOMIC_ACQ_REL);
}
