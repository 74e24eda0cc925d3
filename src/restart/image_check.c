/* SPDX-License-Identifier: MIT */
/*
 * image_check.c - the checks across records, run once every record is
 * read (image_reader.h): after the point of no return a bad address
 * would kill the half-restored process, so every address the restorer
 * writes to or jumps to, and every one the resumed threads depend on at
 * once, must lie in a saved region with the right protection.
 */
#include "image_reader.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ULL(x) ((unsigned long long)(x))
#define USER_TOP 0x800000000000ull

#define PROT_W 2u
#define PROT_X 4u
#define SA_RESTORER_FLAG 0x04000000ull

/* The kernel's struct ucontext on x86_64 (uc_flags, uc_link, uc_stack,
 * struct sigcontext, 8-byte uc_sigmask): what rt_sigreturn reads from an
 * application thread's resume address. */
#define KERNEL_UCONTEXT_SIZE 304
/* struct mtcp_restart_info of the v1 and v2 library (before the pid
 * namespace and broker fields). */
#define RESTART_INFO_V2_SIZE 56

enum need { NEED_WRITE, NEED_EXEC };

/* Region kinds the restorer maps and fills itself: what it may write to. */
static int saved_kind(uint32_t k)
{
	return k == MTCP_RGN_ANON || k == MTCP_RGN_FILE_PRIVATE || k == MTCP_RGN_SHARED_ANON;
}

static int region_fits(const struct mtcp_rec_region *r, enum need need)
{
	if (need == NEED_WRITE)
		return (r->prot & PROT_W) && saved_kind(r->kind);
	/* code: saved memory or a shared file mapping, never the kernel's own */
	return (r->prot & PROT_X) && (saved_kind(r->kind) || r->kind == MTCP_RGN_FILE_SHARED);
}

/* The region holding addr (regions are sorted and disjoint), or -1. */
static long find_region(const struct image *img, uint64_t addr)
{
	uint32_t lo = 0, hi = img->nregions;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		const struct mtcp_rec_region *r = &img->regions[mid].rec;
		if (addr < r->start)
			hi = mid;
		else if (addr >= r->end)
			lo = mid + 1;
		else
			return mid;
	}
	return -1;
}

/* 1 if [addr, addr + len) lies in adjacent regions that each fit need. */
static int covered(const struct image *img, uint64_t addr, uint64_t len, enum need need)
{
	long i;

	if (addr >= USER_TOP || len > USER_TOP - addr)
		return 0;
	i = find_region(img, addr);
	if (i < 0)
		return 0;
	for (uint64_t end = addr + len; (uint32_t)i < img->nregions; i++) {
		const struct mtcp_rec_region *r = &img->regions[i].rec;
		if (r->start > addr || !region_fits(r, need))
			return 0;
		if (end <= r->end)
			return 1;
		addr = r->end;
	}
	return 0;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return (x > y) - (x < y);
}

/* Thread ids: the main thread's is the pid; none twice. */
static int check_tids(const struct image *img, char *err, size_t errlen)
{
	uint32_t *tids;
	int rc = 0;

	for (uint32_t i = 0; i < img->nthreads; i++)
		if ((img->threads[i].flags & MTCP_THREADF_MAIN) &&
		    img->threads[i].tid != img->proc.pid) {
			snprintf(err, errlen, "corrupt: main thread's tid is not the pid");
			return -EINVAL;
		}
	tids = malloc((img->nthreads ? img->nthreads : 1) * sizeof(*tids));
	if (!tids) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	for (uint32_t i = 0; i < img->nthreads; i++)
		tids[i] = img->threads[i].tid;
	qsort(tids, img->nthreads, sizeof(*tids), cmp_u32);
	for (uint32_t i = 1; i < img->nthreads && !rc; i++)
		if (tids[i] == tids[i - 1]) {
			snprintf(err, errlen, "corrupt: thread id %u appears twice", tids[i]);
			rc = -EINVAL;
		}
	free(tids);
	return rc;
}

#define NEED(addr, len, need, ...)                                  \
	do {                                                        \
		if (!covered(img, (addr), (len), (need))) {         \
			snprintf(err, errlen, __VA_ARGS__);         \
			return -EINVAL;                             \
		}                                                   \
	} while (0)

static int check_thread_addrs(const struct image *img, const struct mtcp_rec_thread *t,
			      char *err, size_t errlen)
{
	int ctl = !!(t->flags & MTCP_THREADF_CTL);

	NEED(t->resume_addr, ctl ? sizeof(struct mtcp_ctx) : KERNEL_UCONTEXT_SIZE, NEED_WRITE,
	     "corrupt: thread %u: resume address %llx is not inside a writable region", t->tid,
	     ULL(t->resume_addr));
	/* fs:0 holds the thread pointer itself (x86_64 TLS ABI) */
	NEED(t->fs_base, 8, NEED_WRITE,
	     "corrupt: thread %u: fs base %llx is not inside a writable region", t->tid,
	     ULL(t->fs_base));
	if (t->clear_tid)
		NEED(t->clear_tid, 4, NEED_WRITE,
		     "corrupt: thread %u: clear_child_tid %llx is not inside a writable region",
		     t->tid, ULL(t->clear_tid));
	if (t->robust_head)
		NEED(t->robust_head, 3 * sizeof(uint64_t), NEED_WRITE,
		     "corrupt: thread %u: robust list head %llx is not inside a writable region",
		     t->tid, ULL(t->robust_head));
	if (t->rseq_addr)
		NEED(t->rseq_addr, t->rseq_len ? t->rseq_len : 32, NEED_WRITE,
		     "corrupt: thread %u: rseq area %llx (%u bytes) is not inside a writable "
		     "region", t->tid, ULL(t->rseq_addr), t->rseq_len);
	return 0;
}

static int check_sigact(const struct image *img, char *err, size_t errlen)
{
	for (int s = 1; s <= MTCP_NSIG; s++) {
		const struct mtcp_rec_sigact *a = &img->sigact[s - 1];
		if (a->handler <= 1) /* SIG_DFL, SIG_IGN */
			continue;
		NEED(a->handler, 1, NEED_EXEC,
		     "corrupt: signal %d: handler %llx is not inside an executable region", s,
		     ULL(a->handler));
		if (a->flags & SA_RESTORER_FLAG)
			NEED(a->restorer, 1, NEED_EXEC,
			     "corrupt: signal %d: sa_restorer %llx is not inside an executable "
			     "region", s, ULL(a->restorer));
	}
	return 0;
}

int image_check_pointers(const struct image *img, char *err, size_t errlen)
{
	const struct mtcp_rec_proc *p = &img->proc;
	uint64_t ri_size = img->hdr.version >= 3 ? sizeof(struct mtcp_restart_info)
						 : RESTART_INFO_V2_SIZE;
	int rc = check_tids(img, err, errlen);

	if (rc)
		return rc;
	NEED(p->restart_info, ri_size, NEED_WRITE,
	     "corrupt: restart_info %llx is not inside a saved writable region",
	     ULL(p->restart_info));
	NEED(p->resume_stub, 1, NEED_EXEC,
	     "corrupt: resume stub %llx is not inside an executable region", ULL(p->resume_stub));
	for (uint32_t i = 0; i < img->nthreads; i++) {
		rc = check_thread_addrs(img, &img->threads[i], err, errlen);
		if (rc)
			return rc;
	}
	return check_sigact(img, err, errlen);
}

int image_check_tid_patch(const struct image *img, int tid_offset, char *err, size_t errlen)
{
	for (uint32_t i = 0; i < img->nthreads; i++) {
		const struct mtcp_rec_thread *t = &img->threads[i];
		if (tid_offset <= 0 || t->fs_base > USER_TOP - (uint64_t)tid_offset ||
		    !covered(img, t->fs_base + (uint64_t)tid_offset, 4, NEED_WRITE)) {
			snprintf(err, errlen, "corrupt: thread %u: its thread descriptor (fs base "
				 "%llx + %d) is not inside a writable region", t->tid,
				 ULL(t->fs_base), tid_offset);
			return -EINVAL;
		}
	}
	return 0;
}
