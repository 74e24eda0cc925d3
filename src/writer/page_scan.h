/* SPDX-License-Identifier: MIT */
/*
 * page_scan.h - what the kernel knows about each page of a range of the
 * calling process: present, swapped out, a page-cache (file) page, or the
 * shared zero page.  Never-touched pages are not reported at all.
 *
 * Two back ends give the same answer:
 *   the PAGEMAP_SCAN ioctl (Linux 6.7+): the kernel walks the page tables
 *     and returns runs of pages with equal flags; holes cost nothing;
 *   /proc/self/pagemap: 8 bytes per page read and folded into the same
 *     runs.  Used where the ioctl is missing, or when forced (so that both
 *     are tested).  It tells the zero page only where the PFN is visible
 *     (CAP_SYS_ADMIN); elsewhere such pages are PS_PRESENT and the zero
 *     check finds them.
 * mincore is never used: it reports a swapped-out anonymous page as not
 * resident, which would lose it.
 * Guard pages (MADV_GUARD_INSTALL) hold no data and fault when read: they
 * are not reported.  Linux 6.15+ marks them; on 6.13 and 6.14 nothing
 * tells them from swapped pages, and they are reported PS_SWAPPED.
 *
 * Raw system calls only, no allocation: it runs while the program is
 * parked.
 */
#ifndef MTCP_PAGE_SCAN_H
#define MTCP_PAGE_SCAN_H

#include <stddef.h>
#include <stdint.h>

/* Page flags of a run. */
#define PS_PRESENT (1u << 0) /* mapped in the page tables */
#define PS_SWAPPED (1u << 1) /* swapped out (or migrating): the data exists */
#define PS_FILE (1u << 2)    /* a page-cache page, not a private anonymous copy */
#define PS_ZEROPFN (1u << 3) /* the kernel's shared zero page (read, never written) */

enum ps_backend { PS_BACKEND_SCAN_IOCTL = 1, PS_BACKEND_PAGEMAP = 2 };

struct ps_run {
	uint64_t start, end; /* page aligned, end exclusive */
	uint32_t flags;      /* PS_*, never 0 */
};

struct page_scan {
	int fd;                  /* /proc/self/pagemap */
	enum ps_backend backend;
	uint64_t zero_pfn;       /* the zero page's PFN, 0: unknown */
	uint64_t scan_exclude;   /* ioctl categories never reported (guard pages) */
	void *buf;               /* caller's scratch for either back end */
	size_t buflen;
	int no_file;             /* set by the caller per scan: PS_FILE is not needed
	                            (anonymous memory holds no page-cache page).  The
	                            ioctl then looks up no page: 1.2 ms per GiB of
	                            present pages instead of 7.5 here */
};

/*
 * Opens /proc/self/pagemap and picks the back end: the ioctl where the
 * kernel has it, unless force_pagemap.  buf (at least 64 KiB, 8-byte
 * aligned) is scratch kept by the scanner.  Returns 0 or -errno.
 */
int ps_open(struct page_scan *ps, int force_pagemap, void *buf, size_t buflen);
void ps_close(struct page_scan *ps);

/*
 * Calls cb for each maximal run of pages in [start, end) with the same
 * non-zero flags, in address order; pages with no flag (never touched)
 * are skipped.  Stops at the first non-zero return of cb and returns it;
 * otherwise 0, or -errno if the kernel refused.
 */
typedef int (*ps_run_cb)(void *arg, const struct ps_run *run);
int ps_scan(struct page_scan *ps, uint64_t start, uint64_t end, ps_run_cb cb, void *arg);

#endif
