/* SPDX-License-Identifier: MIT */
/*
 * restorer.c - rebuilds the process from struct rst_args, without libc.
 *
 * Algorithm.  mtcp_restart has validated the image, restored fds, cwd and
 * umask, blocked every signal, dropped its rseq registration, copied this
 * blob and its arguments into a hole that no image region uses, and jumped
 * to rst_entry on a stack in that hole.  From here on nothing of
 * mtcp_restart may be touched (it is about to be unmapped):
 *
 *   1. unmap every mapping of mtcp_restart except the hole and the vdso;
 *   2. move [vvar][vvar_vclock][vdso] as one block to the image's address
 *      (through a staging spot in the hole, since the two may overlap);
 *   3. map each region with MAP_FIXED_NOREPLACE (a clash is an error, not
 *      a silent overwrite), writable for now; file regions from their file;
 *   4. read every extent into place (raw) or decode it there (lz4),
 *      checking its crc32c;
 *   5. set the final protections, the mm bookkeeping (PR_SET_MM_MAP: brk,
 *      arg/env/auxv, exe), signal dispositions, interval timers;
 *   6. tell the library it was restarted (struct mtcp_restart_info);
 *   7. create every other thread with clone3 (with its old tid when
 *      allowed), each restoring its own kernel state (fs, clear_child_tid,
 *      robust list, rseq, sigaltstack, name, affinity);
 *      and, when root restarts another user's image, each thread then
 *      takes the writer's ids (credentials are per thread); the main
 *      thread last, after every clone3; each keeps only the capabilities
 *      the writer had; then the rlimits (as the writer:
 *      no hard limit above what it could set) and PR_SET_DUMPABLE;
 *   8. when all are ready: close the helper fds, tell mtcp_restart "R",
 *      re-raise pending signals, and resume: program threads through the
 *      library's resume stub (rt_sigreturn on their signal frame), the
 *      control thread through its saved context.
 * A failure after step 1 prints a message and ends the process with
 * status 1; nothing of the program has run by then.
 */
#include "sys.h"
#include "log.h"
#include "rst-args.h"
#include "crc32c.h"
#include "lz4_block.h"
#include "uring_read.h"

#include <asm/mman.h>
#include <linux/mman.h>
#include <linux/futex.h>
#include <linux/prctl.h>
#include <linux/sched.h>

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif
#ifndef MAP_SHARED
#define MAP_SHARED 0x01
#define MAP_PRIVATE 0x02
#endif
#define MREMAP_MAYMOVE 1
#define MREMAP_FIXED 2
#define ARCH_SET_FS 0x1002
#define SS_DISABLE 2
#define SIG_SETMASK 2
#define RSTR_STACK_SIZE (16u << 10)

void rst_main(struct rst_args *a) __attribute__((noreturn, used));
void *memset(void *dst, int c, uint64_t n);
void *memcpy(void *dst, const void *src, uint64_t n);
long rst_clone3(struct clone_args *ca, uint64_t size, void (*fn)(void *), void *arg);
void rst_jump_ctx(uint64_t ctx) __attribute__((noreturn));
void rst_jump_stub(uint64_t stub, uint64_t uc, volatile int32_t *left) __attribute__((noreturn));

struct ksigaction {
	uint64_t handler, flags, restorer, mask;
};

struct kitimerval {
	long interval_sec, interval_usec, value_sec, value_usec;
};

struct kstack {
	uint64_t sp;
	int32_t flags;
	int32_t pad;
	uint64_t size;
};

static void move_vdso(struct rst_args *a)
{
	struct rst_vdso *v = &a->vdso;
	uint64_t len = v->cur_end - v->cur_start;
	long r;

	if (!len || v->cur_start == v->img_start)
		return;
	/* each piece moves separately: the block is several special mappings */
	for (int pass = 0; pass < 2; pass++) {
		uint64_t from = pass ? v->stage : v->cur_start;
		uint64_t to = pass ? v->img_start : v->stage;
		for (uint64_t off = 0; off < len;) {
			uint64_t piece = 0;
			for (uint32_t i = 0; i < 3 && !piece; i++)
				piece = a->vdso_piece[i].start - v->cur_start == off
						? a->vdso_piece[i].end - a->vdso_piece[i].start
						: 0;
			if (!piece)
				rst_die(a, "vdso block layout is inconsistent", from + off, 0);
			r = sys_mremap(from + off, piece, MREMAP_MAYMOVE | MREMAP_FIXED, to + off);
			if (r < 0)
				rst_die(a, "cannot move the vdso block", to + off, r);
			off += piece;
		}
	}
}

static void map_regions(struct rst_args *a)
{
	for (uint32_t i = 0; i < a->nregions; i++) {
		struct rst_region *g = &a->regions[i];
		uint64_t len = g->end - g->start;
		int prot = PROT_READ | PROT_WRITE, flags = MAP_FIXED_NOREPLACE, fd = -1;
		uint64_t off = 0;
		long r;

		switch (g->kind) {
		case MTCP_RGN_VDSO:
		case MTCP_RGN_VVAR:
		case MTCP_RGN_VVAR_VCLOCK:
			continue;
		case MTCP_RGN_ANON:
			flags |= MAP_PRIVATE | MAP_ANONYMOUS;
			/* the main stack keeps growing on demand after a restart */
			if (g->flags & MTCP_RGNF_STACK)
				flags |= MAP_GROWSDOWN;
			break;
		case MTCP_RGN_SHARED_ANON:
			/* one object mapped more than once, or also held by an
			 * fd: its memfd (restore_child.c, shared_objects) */
			flags |= MAP_SHARED | (g->fd >= 0 ? 0 : MAP_ANONYMOUS);
			fd = g->fd;
			off = g->fd >= 0 ? g->file_offset : 0;
			break;
		case MTCP_RGN_FILE_PRIVATE:
			flags |= MAP_PRIVATE;
			fd = g->fd;
			off = g->file_offset;
			break;
		case MTCP_RGN_FILE_SHARED:
			flags |= MAP_SHARED;
			fd = g->fd;
			off = g->file_offset;
			prot = (int)g->prot;
			break;
		default:
			rst_die(a, "unknown region kind", g->start, 0);
		}
		/* regions that are never written need no commit charge */
		if (!(g->prot & PROT_WRITE) && g->kind != MTCP_RGN_FILE_SHARED)
			flags |= MAP_NORESERVE;
		r = sys_mmap(g->start, len, prot, flags, fd, off);
		if (r < 0)
			rst_die(a, "cannot map a region", g->start, r);
		if ((uint64_t)r != g->start)
			rst_die(a, "region mapped at the wrong address", g->start, 0);
	}
}

static void read_fully(struct rst_args *a, int fd, void *dst, uint64_t len, uint64_t off,
		       uint64_t addr)
{
	uint64_t done = 0;

	while (done < len) {
		long n = sys_pread(fd, (char *)dst + done, len - done, off + done);
		if (n == -4 /* EINTR */)
			continue;
		if (n <= 0)
			rst_die(a, "cannot read the image (truncated?) for memory", addr, n);
		done += (uint64_t)n;
	}
}

/* Extent x's memory, decoded and checked, at dst (len bytes). */
static void read_extent(struct rst_args *a, struct rst_extent *x, uint8_t *dst)
{
	int fd = a->image_fds[x->img], dfd = a->image_dfds[x->img];

	if (x->enc == MTCP_EXT_LZ4) {
		if (x->data_len > a->lz4_max)
			rst_die(a, "image is corrupt: lz4 extent larger than announced", x->addr, 0);
		read_fully(a, fd, a->lz4_buf, x->data_len, x->file_off, x->addr);
		if (crc32c(0, a->lz4_buf, x->data_len) != x->crc)
			rst_die(a, "image is corrupt: checksum mismatch in memory data", x->addr, 0);
		if (lz4_block_decode(a->lz4_buf, x->data_len, dst, x->len) != (long)x->len)
			rst_die(a, "image is corrupt: lz4 data does not decode", x->addr, 0);
		return;
	}
	if (dfd >= 0 && !(x->file_off & 4095) && !((uint64_t)dst & 4095)) {
		long n = sys_pread(dfd, dst, x->len, x->file_off);
		if (n == (long)x->len)
			goto check;
		if (n == -22 /* EINVAL: not here */)
			a->image_dfds[x->img] = -1;
	}
	read_fully(a, fd, dst, x->len, x->file_off, x->addr);
check:
	if (crc32c(0, dst, x->len) != x->crc)
		rst_die(a, "image is corrupt: checksum mismatch in memory data", x->addr, 0);
}

/*
 * Raw extents are read straight into place; lz4 ones into lz4_buf, checked,
 * and decoded into place.  An ancestor's extent of which only some pages
 * are inherited (part_end set) is read and checked whole in scratch, and
 * only that part copied into place.  Memory with no extent is left alone:
 * it was never touched or all zero, and is mapped anonymous, so it costs
 * nothing until the program touches it.
 */
static void fill_extents(struct rst_args *a)
{
	rst_uring_fill(a);
	for (uint32_t i = 0; i < a->nextents; i++) {
		struct rst_extent *x = &a->extents[i];

		if (x->pad)
			continue; /* read and checked by rst_uring_fill */
		if (x->img >= a->nimages)
			rst_die(a, "bad image index", x->addr, 0);
		if (!x->part_end) {
			read_extent(a, x, (uint8_t *)x->addr);
			continue;
		}
		if (x->len > a->scratch_len || x->part_start < x->addr ||
		    x->part_end > x->addr + x->len || x->part_start >= x->part_end)
			rst_die(a, "bad part of an extent", x->addr, 0);
		read_extent(a, x, a->scratch);
		memcpy((void *)x->part_start, a->scratch + (x->part_start - x->addr),
		       x->part_end - x->part_start);
	}
}

static void protect_regions(struct rst_args *a)
{
	for (uint32_t i = 0; i < a->nregions; i++) {
		struct rst_region *g = &a->regions[i];
		long r;
		if (g->kind == MTCP_RGN_FILE_SHARED || g->kind == MTCP_RGN_VDSO ||
		    g->kind == MTCP_RGN_VVAR || g->kind == MTCP_RGN_VVAR_VCLOCK)
			continue;
		if (g->prot == (PROT_READ | PROT_WRITE))
			continue;
		r = sys_mprotect(g->start, g->end - g->start, (int)g->prot);
		if (r < 0)
			rst_die(a, "cannot set the protection of a region", g->start, r);
	}
}

static void restore_mm(struct rst_args *a)
{
	struct mtcp_rec_proc *p = &a->proc;
	struct prctl_mm_map m;
	long r;

	m.start_code = p->start_code;
	m.end_code = p->end_code;
	m.start_data = p->start_data;
	m.end_data = p->end_data;
	m.start_brk = p->start_brk;
	m.brk = p->brk;
	m.start_stack = p->start_stack;
	m.arg_start = p->arg_start;
	m.arg_end = p->arg_end;
	m.env_start = p->env_start;
	m.env_end = p->env_end;
	m.auxv = (__u64 *)(void *)p->auxv;
	m.auxv_size = (uint32_t)(p->auxv_words * 8);
	m.exe_fd = (uint32_t)a->exe_fd;
	r = sys_prctl(PR_SET_MM, PR_SET_MM_MAP, (uint64_t)&m, sizeof(m));
	if (r < 0 && a->exe_fd >= 0) {
		m.exe_fd = (uint32_t)-1;
		r = sys_prctl(PR_SET_MM, PR_SET_MM_MAP, (uint64_t)&m, sizeof(m));
	}
	if (r < 0)
		rst_warn(a, "cannot restore brk and arg/env/auxv (PR_SET_MM_MAP); malloc may "
			 "misbehave", 0, r);
}

static void arm_timerfds(struct rst_args *a);

static void restore_process_state(struct rst_args *a)
{
	struct mtcp_rec_proc *p = &a->proc;

	for (int s = 1; s <= MTCP_NSIG; s++) {
		struct ksigaction k;
		if (s == 9 || s == 19)
			continue;
		k.handler = a->sigact[s - 1].handler;
		k.flags = a->sigact[s - 1].flags;
		k.restorer = a->sigact[s - 1].restorer;
		k.mask = a->sigact[s - 1].mask;
		sys_rt_sigaction(s, &k);
	}
	for (int t = 0; t < 3; t++) {
		struct kitimerval it;
		it.interval_sec = (long)(p->itimers[t].interval_us / 1000000);
		it.interval_usec = (long)(p->itimers[t].interval_us % 1000000);
		it.value_sec = (long)(p->itimers[t].value_us / 1000000);
		it.value_usec = (long)(p->itimers[t].value_us % 1000000);
		sys_setitimer(t, &it);
	}
	arm_timerfds(a);
}

/* TFD_IOC_SET_TICKS: _IOW('T', 0, __u64) */
#define RST_TFD_IOC_SET_TICKS 0x40085400ul

/* Timerfds were made disarmed (fdr_timerfd.c); their time left runs from
 * here, as the itimers' does.  A failure leaves one disarmed: logged. */
static void arm_timerfds(struct rst_args *a)
{
	for (uint32_t i = 0; i < a->ntimerfds; i++) {
		const struct rst_timerfd *t = &a->timerfds[i];
		struct { long is, ins, vs, vns; } its = {
			(long)(t->interval_ns / 1000000000ull), (long)(t->interval_ns % 1000000000ull),
			(long)(t->value_ns / 1000000000ull), (long)(t->value_ns % 1000000000ull)
		};
		long rc;
		if (t->value_ns && (rc = sys_timerfd_settime(t->fd, (int)t->flags, &its)) < 0)
			rst_warn(a, "cannot arm a timerfd; it stays disarmed: fd", (uint64_t)t->fd, rc);
		if (t->ticks && (rc = sys_ioctl(t->fd, RST_TFD_IOC_SET_TICKS, &t->ticks)) < 0)
			rst_warn(a, "cannot put back a timerfd's unread expirations: fd",
				 (uint64_t)t->fd, rc);
	}
}

/* After take_ids(): with the writer's ids a hard limit can only be raised
 * as far as the writer could have (a raise beyond just fails), even by a
 * hand-made image that root restarts. */
static void restore_rlimits(struct rst_args *a)
{
	for (int r = 0; r < MTCP_NRLIMITS; r++)
		sys_prlimit(r, &a->proc.rlimits[r]);
}

/* Kernel-held state each thread restores for itself. */
static void thread_setup(struct rst_thread *t, int is_main)
{
	struct rst_args *a = t->args;
	struct mtcp_rec_thread *r = &t->rec;
	long rc;

	if (is_main) {
		sys_arch_prctl(ARCH_SET_FS, r->fs_base);
		sys_set_tid_address(r->clear_tid);
	}
	t->new_tid = (int32_t)sys_gettid();
	if (!a->same_tids && a->tid_offset > 0)
		*(volatile int32_t *)(r->fs_base + (uint64_t)a->tid_offset) = t->new_tid;
	if (r->robust_head)
		sys_set_robust_list(r->robust_head, r->robust_len);
	if (!(r->altstack_flags & SS_DISABLE) && r->altstack_sp) {
		struct kstack ss = { r->altstack_sp, (int32_t)r->altstack_flags, 0, r->altstack_size };
		sys_sigaltstack(&ss);
	}
	if (r->rseq_addr) {
		rc = sys_rseq(r->rseq_addr, r->rseq_len, 0, r->rseq_sig);
		if (rc < 0)
			rst_warn(a, "cannot register rseq for a thread", r->rseq_addr, rc);
	}
	sys_prctl(PR_SET_NAME, (uint64_t)r->name, 0, 0);
	sys_sched_setaffinity(0, sizeof(r->affinity), r->affinity);
}

/*
 * This thread takes the writer's ids.  Groups and fsuid/fsgid were set by
 * mtcp_restart before the fork and were inherited by every clone; the
 * real, effective and saved ids are changed here, gid first (the uid
 * change gives up the right to change gids).  Read back: a thread that
 * kept root's ids must never run the program.
 */
static void take_ids(struct rst_args *a)
{
	const struct rst_ids *id = &a->ids;
	uint32_t r, e, s;
	long rc;

	if (!id->set)
		return;
	rc = sys_setresgid(id->gid[0], id->gid[1], id->gid[2]);
	if (rc < 0)
		rst_die(a, "cannot take the image's group ids (setresgid)", id->gid[1], rc);
	rc = sys_setresuid(id->uid[0], id->uid[1], id->uid[2]);
	if (rc < 0)
		rst_die(a, "cannot take the image's user ids (setresuid)", id->uid[1], rc);
	/* setres*id set fsuid/fsgid to the effective ids; the writer's may
	 * differ (setfsuid to one of our own ids needs no privilege) */
	sys_setfsgid(id->fsgid);
	sys_setfsuid(id->fsuid);
	if (sys_getresuid(&r, &e, &s) < 0 || r != id->uid[0] || e != id->uid[1] ||
	    s != id->uid[2])
		rst_die(a, "a thread did not take the image's user ids", e, 0);
	if (sys_getresgid(&r, &e, &s) < 0 || r != id->gid[0] || e != id->gid[1] ||
	    s != id->gid[2])
		rst_die(a, "a thread did not take the image's group ids", e, 0);
	if ((uint32_t)sys_setfsuid(0xffffffffu) != id->fsuid ||
	    (uint32_t)sys_setfsgid(0xffffffffu) != id->fsgid)
		rst_die(a, "a thread did not take the image's file system ids", id->fsuid, 0);
}

/*
 * This thread keeps only the capabilities the writer had: the bounding
 * and ambient sets lose what it lacked (before the capset below gives up
 * CAP_SETPCAP), then the effective, permitted and inheritable sets are
 * cut to the recorded ones, and read back.  Capabilities are per thread.
 */
#define CAP_V3 0x20080522u

struct cap_hdr {
	uint32_t version;
	int32_t pid;
};
struct cap_data {
	uint32_t eff, prm, inh;
};

static void limit_caps(struct rst_args *a)
{
	const struct rst_ids *id = &a->ids;
	struct cap_hdr h = { CAP_V3, 0 };
	struct cap_data d[2];
	long rc;

	if (id->no_new_privs)
		sys_prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0);
	if (!id->caps_set)
		return; /* nothing recorded, or nothing of ours beyond it */
	for (int c = 0; c < 64; c++) {
		uint32_t bit = 1u << (c % 32);
		if (!(id->cap_bnd[c / 32] & bit) && sys_prctl(PR_CAPBSET_READ, (uint64_t)c, 0, 0) == 1)
			sys_prctl(PR_CAPBSET_DROP, (uint64_t)c, 0, 0); /* EPERM: ours lacks it anyway */
		if (!(id->cap_amb[c / 32] & bit) &&
		    sys_prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, (uint64_t)c, 0) == 1)
			sys_prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_LOWER, (uint64_t)c, 0);
	}
	rc = sys_capget(&h, d);
	if (rc < 0)
		rst_die(a, "cannot read this thread's capabilities", 0, rc);
	for (int w = 0; w < 2; w++) {
		d[w].eff &= id->cap_eff[w];
		d[w].prm &= id->cap_prm[w];
		d[w].inh &= id->cap_inh[w];
	}
	h.version = CAP_V3;
	h.pid = 0;
	rc = sys_capset(&h, d);
	if (rc < 0)
		rst_die(a, "cannot give up capabilities the image's writer did not have", 0, rc);
	h.version = CAP_V3;
	h.pid = 0;
	if (sys_capget(&h, d) < 0)
		rst_die(a, "cannot read this thread's capabilities", 0, 0);
	for (int w = 0; w < 2; w++)
		if ((d[w].eff & ~id->cap_eff[w]) || (d[w].prm & ~id->cap_prm[w]))
			rst_die(a, "a thread kept capabilities the image's writer did not have", 0, 0);
}

static void __attribute__((noreturn)) thread_resume(struct rst_thread *t)
{
	struct rst_args *a = t->args;
	struct mtcp_restart_info *ri = (struct mtcp_restart_info *)a->proc.restart_info;
	int pid = (int)sys_getpid();

	for (int s = 1; s <= MTCP_NSIG; s++)
		if (t->rec.pending & (1ull << (s - 1)))
			sys_tgkill(pid, t->new_tid, s);
	if (t->rec.flags & MTCP_THREADF_CTL) {
		sys_rt_sigprocmask(SIG_SETMASK, &t->rec.sigmask);
		rst_jump_ctx(t->rec.resume_addr);
	}
	rst_jump_stub(a->proc.resume_stub, t->rec.resume_addr, &ri->left);
}

static void thread_wait_go(struct rst_args *a)
{
	__atomic_fetch_add(&a->ready, 1, __ATOMIC_ACQ_REL);
	sys_futex(&a->ready, FUTEX_WAKE, 1);
	while (!__atomic_load_n(&a->go, __ATOMIC_ACQUIRE))
		sys_futex(&a->go, FUTEX_WAIT, 0);
}

static void thread_main(void *arg)
{
	struct rst_thread *t = arg;

	thread_setup(t, 0);
	take_ids(t->args);
	limit_caps(t->args);
	thread_wait_go(t->args);
	thread_resume(t);
}

static void create_threads(struct rst_args *a)
{
	for (uint32_t i = 0; i < a->nthreads; i++) {
		struct rst_thread *t = &a->threads[i];
		struct clone_args ca;
		uint64_t tid = t->rec.tid;
		long r;

		if (t->rec.flags & MTCP_THREADF_MAIN)
			continue;
		memset(&ca, 0, sizeof(ca));
		ca.flags = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD |
			   CLONE_SYSVSEM | CLONE_SETTLS | CLONE_CHILD_CLEARTID;
		ca.child_tid = t->rec.clear_tid;
		ca.tls = t->rec.fs_base;
		ca.stack = t->stack_top - RSTR_STACK_SIZE;
		ca.stack_size = RSTR_STACK_SIZE;
		if (a->same_tids) {
			ca.set_tid = (uint64_t)&tid;
			ca.set_tid_size = 1;
		}
		r = rst_clone3(&ca, sizeof(ca), thread_main, t);
		if (r < 0)
			rst_die(a, a->same_tids ? "cannot recreate a thread with its old tid "
					       "(is the tid in use?)"
					     : "cannot recreate a thread",
				tid, r);
	}
}

void rst_main(struct rst_args *a)
{
	struct mtcp_restart_info *ri;
	struct rst_thread *main_thread = 0;
	int32_t napp = 0;
	long r;

	for (uint32_t i = 0; i < a->nunmap; i++) {
		r = sys_munmap(a->unmap[i].start, a->unmap[i].end - a->unmap[i].start);
		if (r < 0)
			rst_die(a, "cannot unmap mtcp_restart's memory", a->unmap[i].start, r);
	}
	move_vdso(a);
	map_regions(a);
	fill_extents(a);
	protect_regions(a);
	restore_mm(a);
	restore_process_state(a);

	for (uint32_t i = 0; i < a->nthreads; i++) {
		a->threads[i].args = a;
		if (a->threads[i].rec.flags & MTCP_THREADF_MAIN)
			main_thread = &a->threads[i];
		if (!(a->threads[i].rec.flags & MTCP_THREADF_CTL))
			napp++;
	}
	ri = (struct mtcp_restart_info *)a->proc.restart_info;
	ri->generation++;
	ri->hole_start = a->hole_start;
	ri->hole_len = a->hole_len;
	ri->left = 0;
	ri->nthreads = napp;
	ri->same_tids = a->same_tids;
	for (int i = 0; i < MTCP_MAX_ALIASES; i++)
		ri->aliases[i] = a->aliases[i];
	ri->in_pidns = a->in_pidns;
	ri->broker_fd = a->broker_fd;
	for (int i = 0; i < MTCP_ID_LEN; i++) {
		ri->restored_from[i] = a->restored_from[i];
		ri->restored_lineage[i] = a->restored_lineage[i];
	}

	thread_setup(main_thread, 1);
	create_threads(a);
	take_ids(a);
	limit_caps(a);
	restore_rlimits(a);
	if (a->ids.set) {
		/* a change of credentials made the process undumpable and
		 * cleared this thread's parent-death signal */
		sys_prctl(PR_SET_PDEATHSIG, 9 /* SIGKILL */, 0, 0);
	}
	if (a->ids.dumpable >= 0)
		sys_prctl(PR_SET_DUMPABLE, (uint64_t)a->ids.dumpable, 0, 0);
	__atomic_fetch_add(&a->ready, 1, __ATOMIC_ACQ_REL);
	for (;;) {
		int32_t ready = __atomic_load_n(&a->ready, __ATOMIC_ACQUIRE);
		if (ready >= (int32_t)a->nthreads)
			break;
		sys_futex(&a->ready, FUTEX_WAIT, ready);
	}
	for (int fd = a->close_from; fd <= a->close_to; fd++)
		if (fd != a->status_fd && fd != a->broker_fd)
			sys_close(fd);
	if (a->status_fd >= 0) {
		sys_write(a->status_fd, "R", 1);
		sys_close(a->status_fd);
	}
	for (int s = 1; s <= MTCP_NSIG; s++)
		if (a->proc.pending_shared & (1ull << (s - 1)))
			sys_kill((int)sys_getpid(), s);
	__atomic_store_n(&a->go, 1, __ATOMIC_RELEASE);
	sys_futex(&a->go, FUTEX_WAKE, 0x7fffffff);
	thread_resume(main_thread);
}
