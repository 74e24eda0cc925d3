/* SPDX-License-Identifier: MIT */
/* page_scan.c - page flags of a range, by PAGEMAP_SCAN or /proc/self/pagemap. */
#include "page_scan.h"
#include "syscall.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#define PAGE 4096ull

/*
 * The PAGEMAP_SCAN interface (include/uapi/linux/fs.h of Linux 6.7),
 * declared here because Debian 12's kernel headers predate it.
 */
struct mtcp_pm_scan_arg {
	uint64_t size, flags, start, end, walk_end, vec, vec_len, max_pages;
	uint64_t category_inverted, category_mask, category_anyof_mask, return_mask;
};
struct mtcp_page_region {
	uint64_t start, end, categories;
};
#define MTCP_PAGEMAP_SCAN _IOWR('f', 16, struct mtcp_pm_scan_arg)
#define KPAGE_IS_FILE (1ull << 2)
#define KPAGE_IS_PRESENT (1ull << 3)
#define KPAGE_IS_SWAPPED (1ull << 4)
#define KPAGE_IS_PFNZERO (1ull << 5)
#define KPAGE_IS_GUARD (1ull << 8) /* Linux 6.15 */

/* /proc/self/pagemap entry bits (Documentation/admin-guide/mm/pagemap.rst) */
#define PM_PRESENT (1ull << 63)
#define PM_SWAPPED (1ull << 62)
#define PM_FILE (1ull << 61)
#define PM_GUARD_REGION (1ull << 58) /* Linux 6.15 */
#define PM_PFN_MASK ((1ull << 55) - 1)

static long scan_ioctl(struct page_scan *ps, uint64_t start, uint64_t end, uint64_t *walk_end)
{
	struct mtcp_pm_scan_arg a;
	long n;

	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.start = start;
	a.end = end;
	a.vec = (uint64_t)(uintptr_t)ps->buf;
	a.vec_len = ps->buflen / sizeof(struct mtcp_page_region);
	/* inverted and required: the category must be absent */
	a.category_inverted = ps->scan_exclude;
	a.category_mask = ps->scan_exclude;
	a.category_anyof_mask = KPAGE_IS_PRESENT | KPAGE_IS_SWAPPED;
	a.return_mask = KPAGE_IS_PRESENT | KPAGE_IS_SWAPPED | KPAGE_IS_PFNZERO |
			(ps->no_file ? 0 : KPAGE_IS_FILE);
	do
		n = raw_syscall3(SYS_ioctl, ps->fd, MTCP_PAGEMAP_SCAN, (long)&a);
	while (n == -EINTR);
	*walk_end = a.walk_end;
	return n;
}

/* The zero page's PFN, read from the pagemap entries of two pages only
 * read: visible with CAP_SYS_ADMIN, 0 otherwise.  Both must show the same
 * PFN: a kernel that gives a read fault a page of its own (not every
 * kernel maps the zero page there) would otherwise name a real page, which
 * is freed at once and may then hold the program's data. */
static uint64_t find_zero_pfn(int fd)
{
	long p = raw_syscall6(SYS_mmap, 0, 2 * PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1,
			      0);
	uint64_t e[2] = { 0, 0 };

	if (p < 0 && p > -4096)
		return 0;
	(void)*(volatile const char *)p;
	(void)*(volatile const char *)(p + PAGE);
	if (raw_syscall4(SYS_pread64, fd, (long)e, 16, (long)((uint64_t)p / PAGE * 8)) != 16)
		e[0] = e[1] = 0;
	raw_syscall2(SYS_munmap, p, 2 * PAGE);
	if (!(e[0] & PM_PRESENT) || !(e[1] & PM_PRESENT) ||
	    (e[0] & PM_PFN_MASK) != (e[1] & PM_PFN_MASK))
		return 0;
	return e[0] & PM_PFN_MASK;
}

int ps_open(struct page_scan *ps, int force_pagemap, void *buf, size_t buflen)
{
	long fd = raw_syscall4(SYS_openat, AT_FDCWD, (long)"/proc/self/pagemap",
			       O_RDONLY | O_CLOEXEC, 0);

	memset(ps, 0, sizeof(*ps));
	ps->fd = -1;
	if (fd < 0)
		return (int)fd;
	if (buflen < sizeof(struct mtcp_page_region) * 64) {
		raw_syscall1(SYS_close, fd);
		return -EINVAL;
	}
	ps->fd = (int)fd;
	ps->buf = buf;
	ps->buflen = buflen;
	ps->backend = PS_BACKEND_PAGEMAP;
	if (!force_pagemap) {
		/* probe with a scan of one page of our own stack; kernels
		 * before 6.15 refuse the guard category with -EINVAL */
		uint64_t here = (uint64_t)(uintptr_t)&fd & ~(PAGE - 1), walk_end;
		long rc;

		ps->scan_exclude = KPAGE_IS_GUARD;
		rc = scan_ioctl(ps, here, here + PAGE, &walk_end);
		if (rc == -EINVAL) {
			ps->scan_exclude = 0;
			rc = scan_ioctl(ps, here, here + PAGE, &walk_end);
		}
		if (rc >= 0)
			ps->backend = PS_BACKEND_SCAN_IOCTL;
	}
	if (ps->backend == PS_BACKEND_PAGEMAP)
		ps->zero_pfn = find_zero_pfn(ps->fd);
	return 0;
}

void ps_close(struct page_scan *ps)
{
	if (ps->fd >= 0)
		raw_syscall1(SYS_close, ps->fd);
	ps->fd = -1;
}

static uint32_t flags_of_categories(uint64_t c)
{
	return ((c & KPAGE_IS_PRESENT) ? PS_PRESENT : 0) | ((c & KPAGE_IS_SWAPPED) ? PS_SWAPPED : 0) |
	       ((c & KPAGE_IS_FILE) ? PS_FILE : 0) | ((c & KPAGE_IS_PFNZERO) ? PS_ZEROPFN : 0);
}

static uint32_t flags_of_entry(const struct page_scan *ps, uint64_t e)
{
	uint32_t f = 0;

	if (e & PM_PRESENT) {
		f |= PS_PRESENT;
		if (ps->zero_pfn && (e & PM_PFN_MASK) == ps->zero_pfn)
			f |= PS_ZEROPFN;
	} else if ((e & PM_SWAPPED) && !(e & PM_GUARD_REGION)) {
		f |= PS_SWAPPED;
	}
	if (f && (e & PM_FILE))
		f |= PS_FILE;
	return f;
}

/* Runs are handed on only once they can grow no more, so that two kernel
 * batches that split a run still give one. */
struct folder {
	struct ps_run cur;
	ps_run_cb cb;
	void *arg;
};

static int fold(struct folder *f, uint64_t start, uint64_t end, uint32_t flags)
{
	int rc = 0;

	if (f->cur.flags == flags && f->cur.end == start) {
		f->cur.end = end;
		return 0;
	}
	if (f->cur.flags)
		rc = f->cb(f->arg, &f->cur);
	f->cur.start = start;
	f->cur.end = end;
	f->cur.flags = flags;
	return rc;
}

static int scan_by_ioctl(struct page_scan *ps, uint64_t start, uint64_t end, struct folder *f)
{
	const struct mtcp_page_region *v = ps->buf;

	while (start < end) {
		uint64_t walk_end = end;
		long n = scan_ioctl(ps, start, end, &walk_end);
		int rc;

		if (n < 0)
			return (int)n;
		for (long i = 0; i < n; i++) {
			rc = fold(f, v[i].start, v[i].end, flags_of_categories(v[i].categories));
			if (rc)
				return rc;
		}
		/*
		 * walk_end is exact only when our vector filled up.  The
		 * kernel also stops when its own buffer (512 regions) fills,
		 * sets walk_end there and goes on; if it then completes the
		 * walk, walk_end keeps that earlier address (seen on 6.18):
		 * resuming there would report regions twice.  Every page
		 * before the last region's end has been walked.
		 */
		if (n > 0 && v[n - 1].end > walk_end)
			walk_end = v[n - 1].end;
		if (walk_end <= start)
			return -EIO; /* no progress: never loop forever */
		start = walk_end;
	}
	return 0;
}

static int scan_by_pagemap(struct page_scan *ps, uint64_t start, uint64_t end, struct folder *f)
{
	uint64_t *e = ps->buf;
	size_t max = ps->buflen / 8;

	while (start < end) {
		size_t n = (size_t)((end - start) / PAGE);
		long got;

		if (n > max)
			n = max;
		do
			got = raw_syscall4(SYS_pread64, ps->fd, (long)e, (long)(n * 8),
					   (long)(start / PAGE * 8));
		while (got == -EINTR);
		if (got < 0)
			return (int)got;
		if (got < 8)
			return -EIO;
		n = (size_t)got / 8;
		for (size_t i = 0; i < n; i++) {
			uint32_t fl = flags_of_entry(ps, e[i]);
			int rc;
			if (!fl)
				continue;
			rc = fold(f, start + i * PAGE, start + (i + 1) * PAGE, fl);
			if (rc)
				return rc;
		}
		start += n * PAGE;
	}
	return 0;
}

int ps_scan(struct page_scan *ps, uint64_t start, uint64_t end, ps_run_cb cb, void *arg)
{
	struct folder f = { .cb = cb, .arg = arg };
	int rc;

	if (ps->fd < 0)
		return -EBADF;
	if ((start | end) & (PAGE - 1) || end < start)
		return -EINVAL;
	if (ps->backend == PS_BACKEND_SCAN_IOCTL)
		rc = scan_by_ioctl(ps, start, end, &f);
	else
		rc = scan_by_pagemap(ps, start, end, &f);
	if (!rc && f.cur.flags)
		rc = cb(arg, &f.cur);
	return rc;
}
