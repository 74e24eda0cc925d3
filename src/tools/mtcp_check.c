/* SPDX-License-Identifier: MIT */
/*
 * mtcp_check.c - what this kernel and machine offer libmtcp-fast, one line
 * per item, like `criu check` (docs/tools.md, "mtcp_check"):
 *
 *     ok    ITEM: what there is
 *     no    ITEM: what is missing or refused, and why; what that costs
 *
 * Each probe is the code the library or mtcp_restart runs itself, linked
 * from where it lives, so that the answer cannot drift from the behaviour:
 *
 *   PAGEMAP_SCAN           ps_open (src/writer/page_scan.c)
 *   userfaultfd, WP_ASYNC  wp_open, wp_add, wp_scan (src/writer/wp_track.c)
 *   io_uring               sink_open (src/writer/sink.c)
 *   O_TMPFILE, O_DIRECT    commit_open, commit_reopen (src/writer/commit.c)
 *   imgdir                 imgdir_check (src/common/imgdir.c)
 *   userns, set_tid        userns_needed, userns_clone3, userns_map,
 *                          userns_mount_proc (src/restart/userns.c), in
 *                          the order mtcp_restart calls them
 *
 * Every probe leaves nothing behind: its file is unnamed (or removed), its
 * children are reaped, its memory unmapped, its fds closed.
 */
#include "cli.h"
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "commit.h"
#include "imgdir.h"
#include "io_all.h"
#include "page_scan.h"
#include "sink.h"
#include "userns.h"
#include "wp_track.h"

#ifndef MTCP_VERSION_STRING
#define MTCP_VERSION_STRING "unknown"
#endif

#define PROG "mtcp_check"

#define EXIT_FALLBACK 1
#define EXIT_USAGE 2

#define PAGE 4096ul
/* How long the namespace probe's child may take before it is killed. */
#define NS_PROBE_TIMEOUT_MS 2000

/* What a restart without the old pid and tids loses (docs/architecture.md,
 * "Identity"). */
#define COST_NEW_PIDS                                                                        \
	"the program gets new pid and thread ids: a recursive or error-checking mutex held "  \
	"across the checkpoint cannot be unlocked, and pid files are stale"
#define COST_NO_INCREMENTS                                                                  \
	"no incremental images: every image is full and holds all of the program's memory"

enum {
	OPT_DIR = 256,
	OPT_VERSION,
};

static const struct option long_options[] = {
	{ "dir", required_argument, NULL, OPT_DIR },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ NULL, 0, NULL, 0 },
};

/* Every item, in the order of the lines (the test checks each appears once). */
static const char *const items[] = {
	"kernel", "PAGEMAP_SCAN", "userfaultfd", "WP_ASYNC", "io_uring", "imgdir",
	"fs",     "O_TMPFILE",    "O_DIRECT",    "userns",   "set_tid",
};

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: " PROG " [--dir D]\n"
		"Say what this kernel and machine offer libmtcp-fast, one line per item:\n"
		"\"ok    ITEM: ...\", or \"no    ITEM: ...; what that costs\".\n"
		"\n"
		"  --dir D            the image directory to check (default: the current\n"
		"                     directory)\n"
		"  -h, --help         show this help and exit\n"
		"      --version      show the version and exit\n"
		"\n"
		"Items:");
	for (size_t i = 0; i < sizeof(items) / sizeof(items[0]); i++)
		fprintf(f, " %s", items[i]);
	fprintf(f, "\n"
		"\n"
		"Exit status: 0 if every line is ok, 1 if some line says no (something\n"
		"falls back or is refused), 2 for a usage error.\n");
}

#define die(status, ...) cli_die(PROG, status, __VA_ARGS__)

/* The lines that said no. */
static int nfallback;

static void report(int ok, const char *item, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void report(int ok, const char *item, const char *fmt, ...)
{
	va_list ap;

	printf("%-6s%s: ", ok ? "ok" : "no", item);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	/* before any probe forks: nothing buffered twice */
	fflush(stdout);
	if (!ok)
		nfallback++;
}

/* "EPERM" for -EPERM: short, and what the kernel documentation names. */
static const char *errname(int neg_errno)
{
	const char *s = strerrorname_np(-neg_errno);

	return s ? s : strerror(-neg_errno);
}

/* A number in a /proc file (a sysctl): 0, or -errno (-ENOENT: no such knob). */
static int read_long(const char *path, long *v)
{
	FILE *f = fopen(path, "re");
	int rc = 0;

	if (!f)
		return -errno;
	if (fscanf(f, "%ld", v) != 1)
		rc = -EINVAL;
	fclose(f);
	return rc;
}

/* This process's seccomp mode (/proc/self/status): 0 none, 1 strict,
 * 2 filter; -1 unknown. */
static int seccomp_mode(void)
{
	FILE *f = fopen("/proc/self/status", "re");
	char line[256];
	int mode = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "Seccomp: %d", &mode) == 1)
			break;
	fclose(f);
	return mode;
}

static void check_kernel(void)
{
	struct utsname u;

	if (uname(&u))
		report(0, "kernel", "uname: %s; the other lines say what this kernel offers",
		       strerror(errno));
	else
		report(1, "kernel", "Linux %s %s", u.release, u.machine);
}

static void check_pagemap_scan(void)
{
	static uint64_t buf[8192]; /* 64 KiB, as ps_open wants */
	struct page_scan ps;
	int rc = ps_open(&ps, 0, buf, sizeof(buf)), ioctl_ok;

	if (rc) {
		report(0, "PAGEMAP_SCAN",
		       "cannot open /proc/self/pagemap (%s); checkpoints cannot read the page "
		       "tables and fail", errname(rc));
		return;
	}
	ioctl_ok = ps.backend == PS_BACKEND_SCAN_IOCTL;
	ps_close(&ps);
	if (ioctl_ok)
		report(1, "PAGEMAP_SCAN", "memory is classified with the PAGEMAP_SCAN ioctl");
	else
		report(0, "PAGEMAP_SCAN",
		       "the PAGEMAP_SCAN ioctl is refused (a kernel before 6.7); memory is "
		       "classified by reading /proc/self/pagemap, 8 bytes a page: slower on "
		       "large sparse memory (1 GiB with one page in 4096 touched: 1.45 ms "
		       "instead of 0.11 ms, docs/performance.md)");
}

struct wp_seen {
	uint64_t start, end;
	int runs;
};

static int wp_seen_run(void *arg, uint64_t start, uint64_t end)
{
	struct wp_seen *s = arg;

	s->start = start;
	s->end = end;
	s->runs++;
	return 0;
}

/*
 * What incremental images rest on, end to end: two pages of our own, the
 * first written before wp_add, the second (never touched) after.  The scan
 * must report the second page alone.  0, or -errno with what failed in err.
 */
static int wp_round_trip(struct wp_track *t, char *err, size_t errlen)
{
	struct wp_seen seen = { 0, 0, 0 };
	volatile char *p = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint64_t a = (uint64_t)(uintptr_t)p;
	int rc;

	if (p == MAP_FAILED) {
		rc = -errno;
		snprintf(err, errlen, "mmap: %s", errname(rc));
		return rc;
	}
	p[0] = 1;
	rc = wp_add(t, a, a + 2 * PAGE);
	if (rc) {
		snprintf(err, errlen, "write-protecting memory fails (%s)", errname(rc));
		goto out_unmap;
	}
	p[PAGE] = 1;
	rc = wp_scan(t, a, a + 2 * PAGE, wp_seen_run, &seen);
	if (rc)
		snprintf(err, errlen, "the PAGEMAP_SCAN of written pages fails (%s)",
			 errname(rc));
	else if (seen.runs != 1 || seen.start != a + PAGE || seen.end != a + 2 * PAGE) {
		snprintf(err, errlen, "a test write was not reported as the only one (%d runs)",
			 seen.runs);
		rc = -EIO;
	}
	wp_del(t, a, a + 2 * PAGE);
out_unmap:
	munmap((void *)p, 2 * PAGE);
	return rc;
}

static void check_userfaultfd(void)
{
	struct wp_track t;
	char sysctl[64] = "vm.unprivileged_userfaultfd";
	char err[160];
	long unpriv;
	int rc = wp_open(&t);

	if (!read_long("/proc/sys/vm/unprivileged_userfaultfd", &unpriv))
		snprintf(sysctl, sizeof(sysctl), "vm.unprivileged_userfaultfd=%ld", unpriv);
	if (t.uffd_err) {
		const char *why = seccomp_mode() == 2 ? ", under this process's seccomp filter "
							"(Docker's default profile refuses it)"
				  : t.uffd_err == -ENOSYS ? ": the kernel has no userfaultfd"
				  : t.uffd_err == -EPERM ? " (an LSM, or a kernel before 5.11 with "
							  "vm.unprivileged_userfaultfd=0)"
							: "";

		report(0, "userfaultfd", "userfaultfd(2) fails with %s%s; " COST_NO_INCREMENTS,
		       errname(t.uffd_err), why);
		report(0, "WP_ASYNC", "not usable without userfaultfd; " COST_NO_INCREMENTS);
		return;
	}
	if (t.user_mode_only)
		report(1, "userfaultfd",
		       "allowed with UFFD_USER_MODE_ONLY, which %s does not restrict (the "
		       "library uses the system call, never /dev/userfaultfd)", sysctl);
	else
		report(1, "userfaultfd",
		       "allowed, without UFFD_USER_MODE_ONLY (a kernel before 5.11; %s)", sysctl);
	if (rc) {
		report(0, "WP_ASYNC", "%s; " COST_NO_INCREMENTS, t.why ? t.why : errname(rc));
		return;
	}
	rc = wp_round_trip(&t, err, sizeof(err));
	wp_close(&t);
	if (rc)
		report(0, "WP_ASYNC", "the kernel offers it, but %s; " COST_NO_INCREMENTS, err);
	else
		report(1, "WP_ASYNC",
		       "written pages are tracked (userfaultfd WP_ASYNC and PAGEMAP_SCAN): "
		       "incremental images");
}

static void check_io_uring(void)
{
	static struct sink s;
	char why[160];
	long disabled = -1, group = -1;
	int ok, err;

	sink_open(&s, -1, -1, 1, NULL, 0, NULL);
	ok = s.uring;
	err = s.uring_err;
	sink_close(&s);
	if (ok) {
		report(1, "io_uring", "images are written, and read back at a restart, through "
		       "io_uring");
		return;
	}
	read_long("/proc/sys/kernel/io_uring_disabled", &disabled);
	read_long("/proc/sys/kernel/io_uring_group", &group);
	if (disabled == 2)
		snprintf(why, sizeof(why), "disabled by kernel.io_uring_disabled=2");
	else if (disabled == 1 && err == -EPERM)
		snprintf(why, sizeof(why), "kernel.io_uring_disabled=1 allows it only to root "
			 "and to the group kernel.io_uring_group=%ld", group);
	else if (seccomp_mode() == 2)
		snprintf(why, sizeof(why), "blocked by this process's seccomp filter");
	else if (err == -ENOSYS)
		snprintf(why, sizeof(why), "the kernel has no io_uring");
	else
		snprintf(why, sizeof(why), "refused");
	report(0, "io_uring",
	       "%s (io_uring_setup: %s); images are written with pwrite() (as fast on the "
	       "project's disk), and mtcp_restart reads raw extents one at a time (1 GiB: "
	       "about 1.2 s instead of 0.8 s, docs/performance.md)",
	       why, errname(err));
}

static void check_imgdir(const char *dir)
{
	struct stat st;
	char err[512];
	int tmpfile_ok;

	if (imgdir_check(dir, &tmpfile_ok, err, sizeof(err))) {
		report(0, "imgdir", "%s; mtcp_launch --dir refuses it (exit 1), and so does the "
		       "library at start", err);
		return;
	}
	if (stat(dir, &st))
		st.st_mode = 0;
	report(1, "imgdir", "%s (mode %04o%s) is accepted as an image directory", dir,
	       (unsigned)(st.st_mode & 07777),
	       (st.st_mode & (S_IWGRP | S_IWOTH)) ? ", sticky" : "");
}

/* A path of mountinfo, whose blanks and backslashes are octal escapes. */
static void unescape(char *s)
{
	char *out = s;

	while (*s) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
		    s[3] >= '0' && s[3] <= '7') {
			*out++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
			s += 4;
		} else {
			*out++ = *s++;
		}
	}
	*out = '\0';
}

/* 1 if mount point mp holds path (both absolute, canonical). */
static int under(const char *mp, const char *path)
{
	size_t n = strlen(mp);

	if (!strcmp(mp, "/"))
		return 1;
	return !strncmp(mp, path, n) && (path[n] == '/' || path[n] == '\0');
}

/*
 * The file system type of dir as mount(8) names it (ext4, xfs, tmpfs, ...):
 * the deepest mount in /proc/self/mountinfo that holds dir, preferring
 * those of dir's own device; "unknown" if none.
 */
static void fs_type(const char *dir, dev_t dev, char *type, size_t len)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	char *line = NULL;
	size_t cap = 0, best_len = 0;
	int best_dev = 0;

	snprintf(type, len, "unknown");
	if (!f)
		return;
	while (getline(&line, &cap, f) > 0) {
		unsigned maj, min;
		char mp[PATH_MAX], fstype[64];
		char *sep = strstr(line, " - ");
		int same_dev;
		size_t n;

		if (!sep || sscanf(line, "%*s %*s %u:%u %*s %4095s", &maj, &min, mp) != 3 ||
		    sscanf(sep + 3, "%63s", fstype) != 1)
			continue;
		unescape(mp);
		if (!under(mp, dir))
			continue;
		same_dev = makedev(maj, min) == dev;
		n = strlen(mp);
		/* later lines are mounted over earlier ones: >= */
		if (same_dev > best_dev || (same_dev == best_dev && n >= best_len)) {
			best_dev = same_dev;
			best_len = n;
			snprintf(type, len, "%s", fstype);
		}
	}
	free(line);
	fclose(f);
}

static void check_fs(const char *dir)
{
	struct statvfs sv;
	struct stat st;
	char type[64];
	double avail;

	if (statvfs(dir, &sv) || stat(dir, &st)) {
		report(0, "fs", "%s: %s; its free space is unknown", dir, strerror(errno));
		return;
	}
	fs_type(dir, st.st_dev, type, sizeof(type));
	/* what an unprivileged writer may use (root may use f_bfree) */
	avail = (double)sv.f_bavail * (double)sv.f_frsize;
	if (avail >= 1024.0 * 1024 * 1024)
		report(1, "fs", "%s: %s, %.1f GiB free", dir, type, avail / (1024.0 * 1024 * 1024));
	else
		report(1, "fs", "%s: %s, %.1f MiB free", dir, type, avail / (1024.0 * 1024));
}

/* An image file in dir as the writer opens one: unnamed where the file
 * system allows, then a second descriptor with O_DIRECT and one aligned
 * page written through it.  The file is never linked, or is removed. */
static void check_image_file(const char *dir)
{
	struct commit_file f;
	uint64_t nonce = 0;
	void *page;
	int fd, dfd, rc;

	if (getrandom(&nonce, sizeof(nonce), 0) != sizeof(nonce))
		nonce = (uint64_t)getpid() << 32 ^ (uint64_t)time(NULL);
	fd = commit_open(&f, dir, PROG, nonce, 1);
	if (fd < 0) {
		report(0, "O_TMPFILE", "not tried: no file can be created in %s (%s); no image "
		       "can be written there", dir, errname(fd));
		report(0, "O_DIRECT", "not tried: no file can be created in %s (%s); no image "
		       "can be written there", dir, errname(fd));
		return;
	}
	if (!f.named)
		report(1, "O_TMPFILE", "images are written into unnamed files: a checkpoint "
		       "killed half-way leaves nothing");
	else
		report(0, "O_TMPFILE",
		       "unnamed files (O_TMPFILE) are refused here; images are written as named "
		       ".PROG.*.mtcp.tmp files: a checkpoint killed half-way leaves one, until "
		       "the library starts again with this directory");

	dfd = commit_reopen(&f, O_WRONLY | O_DIRECT | O_CLOEXEC);
	if (dfd < 0) {
		rc = dfd;
	} else {
		page = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1,
			    0);
		if (page == MAP_FAILED) {
			rc = -errno;
		} else {
			rc = io_pwrite_all(dfd, page, PAGE, 0);
			munmap(page, PAGE);
		}
		close(dfd);
	}
	commit_abort(&f);
	if (!rc)
		report(1, "O_DIRECT", "raw extents go from the program's memory straight to the "
		       "disk (MTCP_DIRECT=auto: from 256 MiB resident)");
	else
		report(0, "O_DIRECT",
		       "%s with O_DIRECT fails here (%s); images are written through the page "
		       "cache: checkpoints of 256 MiB resident or more copy every page once more, "
		       "and restarts read them buffered",
		       dfd < 0 ? "opening an image" : "writing an aligned page", errname(rc));
}

/* What the namespace probe's child found (0, -errno; 1: not tried). */
struct ns_found {
	int proc_rc, set_tid_rc;
};

/*
 * mtcp_restart's steps for a user (mtcp_restart.c, userns.c): clone3 with
 * CLONE_NEWUSER | CLONE_NEWPID; from outside, the same uid and gid mapped
 * inside; in the child a mount namespace with its own /proc, then a
 * process created with clone3 set_tid = our pid (free in the new pid
 * namespace, as the old pid is).  0 once the namespaces are made and
 * mapped, with what the child found in *found; or -errno, with why in err.
 */
static int probe_userns(struct ns_found *found, char *err, size_t errlen)
{
	int mapped[2], result[2], rc;
	pid_t want = getpid(), child;
	struct pollfd pfd;

	found->proc_rc = found->set_tid_rc = 1;
	if (pipe2(mapped, O_CLOEXEC)) {
		rc = -errno;
		snprintf(err, errlen, "pipe: %s", errname(rc));
		return rc;
	}
	if (pipe2(result, O_CLOEXEC)) {
		rc = -errno;
		snprintf(err, errlen, "pipe: %s", errname(rc));
		goto out_mapped;
	}
	fflush(NULL);
	child = userns_clone3(0, CLONE_NEWUSER | CLONE_NEWPID);
	if (child == 0) {
		struct ns_found out = { 1, 1 };
		char go = 0, ignored[160];

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		close(mapped[1]);
		close(result[0]);
		/* nothing before the parent has mapped our ids */
		if (read(mapped[0], &go, 1) != 1 || go != 'M')
			_exit(1);
		out.proc_rc = userns_mount_proc(ignored, sizeof(ignored));
		if (!out.proc_rc) {
			pid_t grandchild = userns_clone3(want, 0);
			int status = 0;

			if (grandchild == 0)
				_exit(getpid() == want ? 0 : 1);
			if (grandchild < 0)
				out.set_tid_rc = -errno;
			else if (waitpid(grandchild, &status, 0) != grandchild ||
				 !WIFEXITED(status) || WEXITSTATUS(status))
				out.set_tid_rc = -ESRCH;
			else
				out.set_tid_rc = 0;
		}
		_exit(write(result[1], &out, sizeof(out)) == (ssize_t)sizeof(out) ? 0 : 1);
	}
	close(mapped[0]);
	mapped[0] = -1;
	close(result[1]);
	result[1] = -1;
	if (child < 0) {
		rc = -errno;
		snprintf(err, errlen, "clone3(CLONE_NEWUSER | CLONE_NEWPID) fails with %s%s",
			 errname(rc),
			 rc == -ENOSPC ? " (user.max_user_namespaces or user.max_pid_namespaces "
					 "reached, or 0)"
			 : rc == -EPERM || rc == -EACCES
				 ? " (user namespaces refused to users: a sysctl, an LSM or a "
				   "seccomp filter)"
				 : "");
		goto out_result;
	}
	rc = userns_map(child, err, errlen);
	if (!rc && write(mapped[1], "M", 1) != 1) {
		rc = -EPIPE;
		snprintf(err, errlen, "the namespace's first process is gone");
	}
	if (!rc) {
		pfd.fd = result[0];
		pfd.events = POLLIN;
		if (poll(&pfd, 1, NS_PROBE_TIMEOUT_MS) != 1 ||
		    read(result[0], found, sizeof(*found)) != (ssize_t)sizeof(*found)) {
			rc = -ETIMEDOUT;
			snprintf(err, errlen, "the namespace's first process did not answer");
		}
	}
	if (rc)
		kill(child, SIGKILL);
	while (waitpid(child, NULL, 0) < 0 && errno == EINTR)
		;
out_result:
	close(result[0]);
	if (result[1] >= 0)
		close(result[1]);
out_mapped:
	if (mapped[0] >= 0)
		close(mapped[0]);
	close(mapped[1]);
	return rc;
}

/* As root, mtcp_restart picks the pid in this pid namespace: clone3 with
 * set_tid = a free pid, the child checks it got it.  0 or -errno. */
static int probe_set_tid_here(void)
{
	long pid_max = 32768;

	read_long("/proc/sys/kernel/pid_max", &pid_max);
	if (pid_max < 1000)
		pid_max = 1000;
	for (int attempt = 0; attempt < 16; attempt++) {
		uint32_t r = 0;
		pid_t want, child;
		int status = 0;

		if (getrandom(&r, sizeof(r), 0) != sizeof(r))
			r = (uint32_t)getpid() * 2654435761u + (uint32_t)attempt;
		/* above the pids the kernel keeps for its own threads */
		want = (pid_t)(300 + r % (uint32_t)(pid_max - 300));
		if (!kill(want, 0) || errno != ESRCH)
			continue;
		fflush(NULL);
		child = userns_clone3(want, 0);
		if (child == 0)
			_exit(getpid() == want ? 0 : 1);
		if (child < 0) {
			if (errno == EEXIST)
				continue; /* a thread's id, or taken meanwhile */
			return -errno;
		}
		while (waitpid(child, &status, 0) < 0 && errno == EINTR)
			;
		return child == want && WIFEXITED(status) && !WEXITSTATUS(status) ? 0 : -ESRCH;
	}
	return -EEXIST;
}

static void check_namespaces(void)
{
	struct ns_found found;
	char err[256];
	int rc;

	if (!userns_needed()) {
		report(1, "userns", "not needed: as root, mtcp_restart gives the program its old "
		       "pid in this pid namespace (set_tid below); run mtcp_check as a user to "
		       "see that user's restarts");
		rc = probe_set_tid_here();
		if (rc)
			report(0, "set_tid", "clone3 set_tid fails in this pid namespace (%s); "
			       "mtcp_restart warns, and " COST_NEW_PIDS, errname(rc));
		else
			report(1, "set_tid", "clone3 set_tid gives the restored program and its "
			       "threads their old pid and tids");
		return;
	}
	rc = probe_userns(&found, err, sizeof(err));
	if (rc) {
		report(0, "userns", "cannot make a user and pid namespace: %s; mtcp_restart "
		       "warns, and " COST_NEW_PIDS " (root restarts keep them)", err);
		report(0, "set_tid", "not tried: a user picks pids only in a pid namespace of "
		       "their own (userns above); " COST_NEW_PIDS);
		return;
	}
	if (found.proc_rc) {
		report(0, "userns", "a user and pid namespace can be made, but /proc cannot be "
		       "mounted in it (%s); mtcp_restart fails (exit 1) unless --no-same-pid, "
		       "with which " COST_NEW_PIDS,
		       found.proc_rc < 0 ? errname(found.proc_rc) : "not tried");
		report(0, "set_tid", "not tried: /proc cannot be mounted in the new namespace "
		       "(userns above); mtcp_restart fails unless --no-same-pid");
		return;
	}
	report(1, "userns", "a user, pid and mount namespace with its own /proc, as "
	       "mtcp_restart makes for a user: the restored program keeps its pid inside it "
	       "(other processes see another)");
	if (found.set_tid_rc)
		report(0, "set_tid", "clone3 set_tid fails in the new pid namespace (%s); "
		       "mtcp_restart fails (exit 1) unless --no-same-pid, with which "
		       COST_NEW_PIDS,
		       found.set_tid_rc < 0 ? errname(found.set_tid_rc) : "not tried");
	else
		report(1, "set_tid", "clone3 set_tid gives the restored program and its threads "
		       "their old pid and tids in that namespace");
}


int main(int argc, char **argv)
{
	const char *dir_arg = ".";
	char dir[PATH_MAX];
	struct stat st;
	int opt;

	opterr = 0; /* getopt's messages would start with argv[0], not PROG */
	while ((opt = getopt_long(argc, argv, ":h", long_options, NULL)) != -1) {
		switch (opt) {
		case OPT_DIR:
			dir_arg = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case OPT_VERSION:
			printf(PROG " (libmtcp-fast) " MTCP_VERSION_STRING "\n");
			return 0;
		case ':':
			die(EXIT_USAGE, "option '%s' needs a value (see --help)", cli_bad_option(argv));
		default:
			die(EXIT_USAGE, "invalid option '%s' (see --help)", cli_bad_option(argv));
		}
	}
	if (optind < argc)
		die(EXIT_USAGE, "unexpected argument '%s' (see --help)", argv[optind]);
	if (!*dir_arg)
		die(EXIT_USAGE, "--dir: an empty name");
	if (!realpath(dir_arg, dir))
		die(EXIT_USAGE, "--dir %s: %s", dir_arg, strerror(errno));
	if (stat(dir, &st) || !S_ISDIR(st.st_mode))
		die(EXIT_USAGE, "--dir %s: %s", dir_arg, strerror(ENOTDIR));

	check_kernel();
	check_pagemap_scan();
	check_userfaultfd();
	check_io_uring();
	check_imgdir(dir);
	check_fs(dir);
	check_image_file(dir);
	check_namespaces();
	if (fflush(stdout) || ferror(stdout))
		die(EXIT_FALLBACK, "cannot write to standard output: %s", strerror(errno));
	return nfallback ? EXIT_FALLBACK : 0;
}
