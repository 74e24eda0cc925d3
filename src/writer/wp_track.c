/* SPDX-License-Identifier: MIT */
/* wp_track.c - written-page tracking by userfaultfd WP_ASYNC and PAGEMAP_SCAN. */
#include "wp_track.h"
#include "syscall.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>

#define PAGE 4096ull

/*
 * The userfaultfd interface, declared from
 * Documentation/admin-guide/mm/userfaultfd.rst and the kernel's UAPI
 * (Debian 12's headers are Linux 6.1: no WP_UNPOPULATED, no WP_ASYNC).
 */
#define K_UFFD_USER_MODE_ONLY 1
#define K_UFFD_API 0xAAull
#define K_UFFD_FEATURE_WP_UNPOPULATED (1ull << 13) /* Linux 6.4 */
#define K_UFFD_FEATURE_WP_ASYNC (1ull << 15)       /* Linux 6.7 */
#define K_UFFDIO_REGISTER_MODE_WP 2ull
#define K_UFFDIO_WRITEPROTECT_MODE_WP 1ull

struct k_uffdio_api {
	uint64_t api, features, ioctls;
};
struct k_uffdio_range {
	uint64_t start, len;
};
struct k_uffdio_register {
	struct k_uffdio_range range;
	uint64_t mode, ioctls;
};
struct k_uffdio_writeprotect {
	struct k_uffdio_range range;
	uint64_t mode;
};

#define K_UFFDIO 0xAA
#define K_UFFDIO_NR_WRITEPROTECT 0x06
#define K_UFFDIO_API _IOWR(K_UFFDIO, 0x3F, struct k_uffdio_api)
#define K_UFFDIO_REGISTER _IOWR(K_UFFDIO, 0x00, struct k_uffdio_register)
#define K_UFFDIO_UNREGISTER _IOR(K_UFFDIO, 0x01, struct k_uffdio_range)
#define K_UFFDIO_WRITEPROTECT _IOWR(K_UFFDIO, K_UFFDIO_NR_WRITEPROTECT, struct k_uffdio_writeprotect)

/* PAGEMAP_SCAN (Documentation/admin-guide/mm/pagemap.rst, Linux 6.7). */
struct k_pm_scan_arg {
	uint64_t size, flags, start, end, walk_end, vec, vec_len, max_pages;
	uint64_t category_inverted, category_mask, category_anyof_mask, return_mask;
};
#define K_PAGEMAP_SCAN _IOWR('f', 16, struct k_pm_scan_arg)
#define K_PM_SCAN_WP_MATCHING (1ull << 0)
#define K_PM_SCAN_CHECK_WPASYNC (1ull << 1)
#define K_PAGE_IS_WRITTEN (1ull << 1)

static long xioctl(int fd, unsigned long req, void *arg)
{
	long r;

	do
		r = raw_syscall3(SYS_ioctl, fd, (long)req, (long)arg);
	while (r == -EINTR);
	return r;
}

static void xclose(int *fd)
{
	if (*fd >= 0)
		raw_syscall1(SYS_close, *fd);
	*fd = -1;
}

static long open_uffd(int user_mode_only)
{
	return raw_syscall1(SYS_userfaultfd,
			    O_CLOEXEC | O_NONBLOCK | (user_mode_only ? K_UFFD_USER_MODE_ONLY : 0));
}

/* What the kernel offers: a handshake asking nothing, on a fresh fd (a
 * userfaultfd takes one successful handshake only). */
static uint64_t probe_features(int user_mode_only)
{
	struct k_uffdio_api api = { .api = K_UFFD_API, .features = 0, .ioctls = 0 };
	long fd = open_uffd(user_mode_only);
	uint64_t f = 0;

	if (fd < 0)
		return 0;
	if (xioctl((int)fd, K_UFFDIO_API, &api) == 0)
		f = api.features;
	raw_syscall1(SYS_close, fd);
	return f;
}

int wp_open(struct wp_track *t)
{
	struct k_uffdio_api api = { .api = K_UFFD_API,
				    .features = K_UFFD_FEATURE_WP_ASYNC |
						K_UFFD_FEATURE_WP_UNPOPULATED,
				    .ioctls = 0 };
	long fd, r;

	t->uffd = t->pagemap_fd = -1;
	t->user_mode_only = 1;
	t->features = 0;
	t->why = 0;
	t->uffd_err = 0;

	fd = open_uffd(1);
	if (fd < 0) {
		/* Kernels before 5.11 do not know UFFD_USER_MODE_ONLY (EINVAL);
		 * a privileged caller may still get the plain kind. */
		t->user_mode_only = 0;
		fd = open_uffd(0);
	}
	if (fd < 0) {
		t->uffd_err = (int)fd;
		t->why = fd == -ENOSYS ? "userfaultfd refused (ENOSYS: seccomp or no CONFIG_USERFAULTFD)"
			 : fd == -EPERM ? "userfaultfd refused (EPERM: vm.unprivileged_userfaultfd, "
					  "seccomp or LSM)"
					: "userfaultfd refused";
		return (int)fd;
	}
	t->uffd = (int)fd;

	r = xioctl(t->uffd, K_UFFDIO_API, &api);
	if (r < 0) {
		xclose(&t->uffd);
		if (r != -EINVAL) {
			t->why = "userfaultfd API handshake failed";
			return (int)r;
		}
		/* EINVAL: a feature asked for is unknown; find which. */
		t->features = probe_features(t->user_mode_only);
		if (!t->features) {
			t->why = "userfaultfd API handshake refused (EINVAL)";
			return (int)r;
		}
		t->why = !(t->features & K_UFFD_FEATURE_WP_ASYNC)
				 ? (!(t->features & K_UFFD_FEATURE_WP_UNPOPULATED)
					    ? "kernel lacks userfaultfd WP_ASYNC and WP_UNPOPULATED "
					      "(Linux 6.7+ needed)"
					    : "kernel lacks userfaultfd WP_ASYNC (Linux 6.7+ needed)")
				 : !(t->features & K_UFFD_FEATURE_WP_UNPOPULATED)
				 ? "kernel lacks userfaultfd WP_UNPOPULATED"
				 : "userfaultfd API handshake refused (EINVAL)";
		return (t->features & K_UFFD_FEATURE_WP_ASYNC) &&
				       (t->features & K_UFFD_FEATURE_WP_UNPOPULATED)
			       ? (int)r
			       : -EOPNOTSUPP;
	}
	t->features = api.features;

	fd = raw_syscall4(SYS_openat, AT_FDCWD, (long)"/proc/self/pagemap", O_RDONLY | O_CLOEXEC,
			  0);
	if (fd < 0) {
		xclose(&t->uffd);
		t->why = "cannot open /proc/self/pagemap";
		return (int)fd;
	}
	t->pagemap_fd = (int)fd;
	return 0;
}

static int bad_range(const struct wp_track *t, uint64_t start, uint64_t end)
{
	return t->uffd < 0 || (start | end) & (PAGE - 1) || end <= start;
}

int wp_add(struct wp_track *t, uint64_t start, uint64_t end)
{
	struct k_uffdio_register reg = { .range = { start, end - start },
					 .mode = K_UFFDIO_REGISTER_MODE_WP,
					 .ioctls = 0 };
	struct k_uffdio_writeprotect wp = { .range = { start, end - start },
					    .mode = K_UFFDIO_WRITEPROTECT_MODE_WP };
	struct k_uffdio_range rng = { start, end - start };
	long r;

	if (bad_range(t, start, end))
		return -EINVAL;
	r = xioctl(t->uffd, K_UFFDIO_REGISTER, &reg);
	if (r < 0)
		return (int)r;
	if (!(reg.ioctls & (1ull << K_UFFDIO_NR_WRITEPROTECT)))
		r = -EINVAL; /* memory that cannot be write-protected */
	else
		r = xioctl(t->uffd, K_UFFDIO_WRITEPROTECT, &wp);
	if (r < 0)
		xioctl(t->uffd, K_UFFDIO_UNREGISTER, &rng);
	return (int)r;
}

#define K_PAGE_IS_PRESENT (1ull << 3)
#define K_PAGE_IS_SWAPPED (1ull << 4)

/* PAGEMAP_SCAN over [start, end) in batches of WP_VEC_RUNS runs, each run
 * to fn in address order; stops at fn's first non-zero return. */
static int scan_loop(struct wp_track *t, uint64_t start, uint64_t end, uint64_t flags,
		     uint64_t mask, uint64_t anyof, uint64_t ret,
		     int (*fn)(void *arg, uint64_t s, uint64_t e), void *arg)
{
	struct k_pm_scan_arg a;
	uint64_t pos = start;
	long n, i;
	int rc;

	if (bad_range(t, start, end) || t->pagemap_fd < 0)
		return -EINVAL;
	while (pos < end) {
		uint64_t next;

		a = (struct k_pm_scan_arg){ 0 };
		a.size = sizeof(a);
		a.flags = flags;
		a.start = pos;
		a.end = end;
		a.vec = (uint64_t)(uintptr_t)t->vec;
		a.vec_len = WP_VEC_RUNS;
		a.category_mask = mask;
		a.category_anyof_mask = anyof;
		a.return_mask = ret;
		n = xioctl(t->pagemap_fd, K_PAGEMAP_SCAN, &a);
		if (n < 0)
			return (int)n;
		next = a.walk_end;
		for (i = 0; i < n; i++) {
			uint64_t s = t->vec[3 * i], e = t->vec[3 * i + 1];

			if ((rc = fn(arg, s, e)) != 0)
				return rc;
			if (e > next)
				next = e;
		}
		/* walk_end can stop short of end although every match came back:
		 * resume past it, and past the last run returned. */
		if (next <= pos)
			return -EIO; /* no progress: never seen, but never loop */
		pos = next;
	}
	return 0;
}

/* wp_scan's runs, adjacent ones merged before they reach the caller */
struct merge {
	wp_run_cb cb;
	void *arg;
	uint64_t s, e; /* e == 0: no run pending */
};

static int merge_run(void *arg, uint64_t s, uint64_t e)
{
	struct merge *mg = arg;
	int rc;

	if (mg->e && s == mg->e) {
		mg->e = e;
		return 0;
	}
	if (mg->e && (rc = mg->cb(mg->arg, mg->s, mg->e)) != 0)
		return rc;
	mg->s = s;
	mg->e = e;
	return 0;
}

int wp_scan(struct wp_track *t, uint64_t start, uint64_t end, wp_run_cb cb, void *arg)
{
	struct merge mg = { cb, arg, 0, 0 };
	int rc = scan_loop(t, start, end, K_PM_SCAN_WP_MATCHING | K_PM_SCAN_CHECK_WPASYNC,
			   K_PAGE_IS_WRITTEN, 0, K_PAGE_IS_WRITTEN, merge_run, &mg);

	if (!rc && mg.e)
		rc = cb(arg, mg.s, mg.e);
	return rc;
}

static int add_bytes(void *arg, uint64_t s, uint64_t e)
{
	*(uint64_t *)arg += e - s;
	return 0;
}

long wp_present_bytes(struct wp_track *t, uint64_t start, uint64_t end)
{
	uint64_t bytes = 0;
	int rc = scan_loop(t, start, end, 0, 0, K_PAGE_IS_PRESENT | K_PAGE_IS_SWAPPED,
			   K_PAGE_IS_PRESENT | K_PAGE_IS_SWAPPED, add_bytes, &bytes);

	return rc ? rc : (long)bytes;
}

int wp_del(struct wp_track *t, uint64_t start, uint64_t end)
{
	struct k_uffdio_range rng = { start, end - start };

	if (bad_range(t, start, end))
		return -EINVAL;
	return (int)xioctl(t->uffd, K_UFFDIO_UNREGISTER, &rng);
}

void wp_close(struct wp_track *t)
{
	xclose(&t->uffd);
	xclose(&t->pagemap_fd);
}
