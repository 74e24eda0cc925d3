/* SPDX-License-Identifier: MIT */
/*
 * wp_track.h - which pages of given ranges of the calling process were
 * written since the last look: userfaultfd asynchronous write-protection
 * (UFFD_FEATURE_WP_ASYNC, Linux 6.7+) plus the PAGEMAP_SCAN ioctl.
 *
 * Incremental images (src/engine/track.c) are built on it.
 *
 * How it works.  wp_add registers a range with the tracker's own
 * userfaultfd in write-protect mode and protects every page of it,
 * populated or not (WP_UNPOPULATED puts a marker in empty page-table
 * entries).  With WP_ASYNC no fault handler exists: the first write to a
 * protected page, by the program or by the kernel on its behalf (read()
 * into a buffer, ...), makes the kernel drop the protection of that page
 * and carry on.  wp_scan then finds the pages whose protection is gone
 * (PAGE_IS_WRITTEN), reports them, and protects them again, in one
 * PAGEMAP_SCAN call per batch of runs.
 *
 * Limits, as measured on Linux 6.18 (tests/unit/test_wp_track.c):
 *  - Only private and anonymous memory the userfaultfd can register.
 *    A range already registered with another userfaultfd (the program's
 *    own) gives -EBUSY: the caller must save such a range whole.
 *  - Do not infer dropped pages (MADV_DONTNEED, MADV_FREE) from the scan:
 *    read the page map for that.  A page zapped by MADV_DONTNEED after it
 *    was scanned is reported written by the next scan on 6.18 (the
 *    dropped entry has no protection left), yet it holds no data; what
 *    the scan says for such entries depends on the mask and the kernel.
 *    A zapped page merely read before the scan is reported too (the read
 *    maps the zero page, unprotected).
 *  - The tracking belongs to this process's memory: a child made by a
 *    raw clone() (no CLONE_VM; the copy-on-write snapshot of issue 10)
 *    does not inherit it, and the parent's tracking goes on unchanged.
 *
 * Raw system calls only, no allocation, no libc: it runs while the
 * program is parked.  Every function returns 0 (or a count) or -errno.
 * Not thread-safe: one caller at a time per struct wp_track.
 */
#ifndef MTCP_WP_TRACK_H
#define MTCP_WP_TRACK_H

#include <stdint.h>

/* Runs fetched per PAGEMAP_SCAN call (the scratch vector below). */
#define WP_VEC_RUNS 128

struct wp_track {
	int uffd;             /* the tracker's userfaultfd, -1: none */
	int pagemap_fd;       /* /proc/self/pagemap, -1: none */
	int user_mode_only;   /* 1: opened with UFFD_USER_MODE_ONLY */
	uint64_t features;    /* UFFD_FEATURE_* bits the kernel offers (0: unknown) */
	const char *why;      /* after a failed wp_open: one line saying why, else NULL */
	int uffd_err;         /* after wp_open: -errno of userfaultfd(2) itself (its
	                         failure is what refused the tracker), else 0 */
	uint64_t vec[WP_VEC_RUNS * 3]; /* scratch for PAGEMAP_SCAN: start, end, categories */
};

/*
 * Opens the tracker: a userfaultfd (O_CLOEXEC | O_NONBLOCK), first with
 * UFFD_USER_MODE_ONLY (all an unprivileged user gets when
 * vm.unprivileged_userfaultfd is 0; kernel-mode writes are still resolved,
 * by WP_ASYNC), then, if that fails, without it; the API handshake with
 * UFFD_FEATURE_WP_ASYNC | UFFD_FEATURE_WP_UNPOPULATED; /proc/self/pagemap.
 * Returns 0, or -errno with t->why set to one line for the verbose output:
 *   -EOPNOTSUPP  the kernel lacks WP_ASYNC or WP_UNPOPULATED (older than
 *                6.7); t->features then holds what it offers;
 *   -EPERM, -ENOSYS, ...  userfaultfd refused (seccomp, sysctl, LSM);
 *   other        the handshake or opening pagemap failed.
 * On failure nothing stays open and wp_close is harmless.
 */
int wp_open(struct wp_track *t);

/*
 * Starts tracking [start, end) (page aligned, wholly mapped): registers it
 * for write-protection and protects every page.  Writes from then on are
 * reported by the next wp_scan.  Adding a range again re-protects it: its
 * earlier writes are forgotten.
 * Returns 0, -EBUSY when part of the range is registered with another
 * userfaultfd (the program's own), -EINVAL for a range that is not page
 * aligned or memory that cannot be registered (shared, hugetlb without
 * support, VM_PFNMAP, ...), -ENOMEM for a hole, or another -errno.  On
 * failure the range is left unregistered by this tracker.
 */
int wp_add(struct wp_track *t, uint64_t start, uint64_t end);

/*
 * Called for each run [start, end) of pages written since the range was
 * added or last scanned, in address order; adjacent runs are merged, so
 * each call is one maximal run.  A non-zero return stops the scan.
 */
typedef int (*wp_run_cb)(void *arg, uint64_t start, uint64_t end);

/*
 * Reports the written runs of [start, end) (page aligned; every mapping in
 * it must be tracked) and protects them again in the same ioctl, so each
 * write is reported once.
 * Returns 0, the first non-zero return of cb (the pages of the batch then
 * under way are protected again but not all reported: treat the whole
 * range as written), -EPERM when part of the range is not tracked
 * (PM_SCAN_CHECK_WPASYNC), or another -errno.
 */
int wp_scan(struct wp_track *t, uint64_t start, uint64_t end, wp_run_cb cb, void *arg);

/*
 * Stops tracking [start, end): unregisters it, which drops its
 * protection.  Scanning it afterwards gives -EPERM.  Returns 0 or -errno.
 */
int wp_del(struct wp_track *t, uint64_t start, uint64_t end);

/* Bytes of [start, end) that are present or swapped out (one
 * PAGEMAP_SCAN walk, no protection changed), or -errno. */
long wp_present_bytes(struct wp_track *t, uint64_t start, uint64_t end);

/* Closes both fds; every range still tracked is released by the kernel. */
void wp_close(struct wp_track *t);

#endif
