/* SPDX-License-Identifier: MIT */
/*
 * cow.c - the snapshot of a copy-on-write checkpoint and the writer
 * process's own steps (cow.h).  checkpoint.c puts them in order.
 */
#include "cow.h"
#include "engine.h"
#include "maps.h"
#include "page_scan.h"
#include "syscall.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#ifndef __WCLONE
#define __WCLONE 0x80000000
#endif
#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_close_range
#define SYS_close_range 436
#endif

#define ARENA_LEN (24u << 20)
#define ARENA_COPIES_LEN (64u << 10)
#define RESULT_LEN ((sizeof(struct cow_result) + 4095) & ~(size_t)4095)

static char *arena;
static struct cow_result *result;
static struct mem_range known[COW_MAX_KNOWN];
static int nknown;
static uint32_t warned;

static int map_own(void)
{
	void *a = mmap(NULL, ARENA_LEN, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	void *r;

	if (a == MAP_FAILED)
		return -ENOMEM;
	r = mmap(NULL, RESULT_LEN, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (r == MAP_FAILED) {
		munmap(a, ARENA_LEN);
		return -ENOMEM;
	}
	if (util_excluded_add((uint64_t)(uintptr_t)a, ARENA_LEN) ||
	    util_excluded_add((uint64_t)(uintptr_t)r, RESULT_LEN)) {
		munmap(a, ARENA_LEN);
		munmap(r, RESULT_LEN);
		return -ENOSPC;
	}
	arena = a;
	result = r;
	return 0;
}

int cow_init(void)
{
	return map_own();
}

int cow_after_restart(void)
{
	/* the restored process has neither (excluded), and the pointers
	 * name memory that is not there */
	arena = NULL;
	result = NULL;
	return map_own();
}

struct cow_result *cow_result(void)
{
	return result;
}

int cow_ready(void)
{
	return arena && result;
}

void cow_warn_once(int kind, const char *why)
{
	if (kind < 0 || kind >= COW_WHY_NKINDS || (warned & (1u << kind)))
		return;
	warned |= 1u << kind;
	util_log("copy-on-write not used: %s; this checkpoint stops the program until its "
		 "image is written", why);
}

static int overlaps_known(uint64_t start, uint64_t end)
{
	for (int i = 0; i < nknown; i++)
		if (start < known[i].end && end > known[i].start)
			return 1;
	return 0;
}

void cow_known_add(const struct cow_result *r)
{
	for (uint32_t i = 0; i < r->nmissed && nknown < COW_MAX_KNOWN; i++) {
		if (overlaps_known(r->missed[i].start, r->missed[i].end))
			continue;
		known[nknown++] = r->missed[i];
	}
}

struct copy_walk {
	int rule;
	uint64_t start, end; /* the piece */
	char *buf;
	uint64_t copied;
};

static int copy_run(void *arg, const struct ps_run *run)
{
	struct copy_walk *cw = arg;
	uint64_t s = run->start < cw->start ? cw->start : run->start;
	uint64_t e = run->end > cw->end ? cw->end : run->end;

	if (s >= e || !mem_page_wanted(cw->rule, run->flags))
		return 0;
	memcpy(cw->buf + (s - cw->start), (const void *)(uintptr_t)s, e - s);
	cw->copied += e - s;
	return 0;
}

/* Copies the pages of [start, end) the image would hold into a new
 * private mapping. */
static int copy_piece(struct cow_snapshot *s, struct page_scan *ps, const struct maps_entry *e,
		      int rule, uint64_t start, uint64_t end, uint64_t all_end)
{
	struct copy_walk cw = { rule, start, end, NULL, 0 };
	struct cow_copy *c;
	long p;
	int rc = 0;

	if (s->ncopies == COW_MAX_COPIES)
		return -ENOSPC;
	p = raw_syscall6(SYS_mmap, 0, (long)(end - start), PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p < 0 && p > -4096)
		return (int)p;
	cw.buf = (char *)p;
	if (!(e->prot & PROT_READ))
		raw_syscall3(SYS_mprotect, (long)start, (long)(end - start),
			     (long)(e->prot | PROT_READ));
	if (rule == MEM_SAVE_ALL) {
		uint64_t stop = all_end < end ? all_end : end;
		if (stop > start) {
			memcpy(cw.buf, (const void *)(uintptr_t)start, stop - start);
			cw.copied = stop - start;
		}
	} else {
		rc = ps_scan(ps, start, end, copy_run, &cw);
	}
	if (!(e->prot & PROT_READ))
		raw_syscall3(SYS_mprotect, (long)start, (long)(end - start), (long)e->prot);
	if (rc) {
		raw_syscall2(SYS_munmap, p, (long)(end - start));
		return rc < 0 ? rc : -EIO;
	}
	c = &s->copies[s->ncopies++];
	c->start = start;
	c->end = end;
	c->buf = cw.buf;
	s->copied += cw.copied;
	return 0;
}

int cow_snapshot(struct cow_snapshot *s, const struct mem_range *ex, int nex,
		 uint32_t memflags, void *scan_buf, size_t scan_len, char *err, size_t errlen)
{
	const char *pos, *line;
	struct page_scan ps;
	size_t ll;
	long len;
	int rc;

	memset(s, 0, sizeof(*s));
	if (!arena) {
		snprintf(err, errlen, "no snapshot memory");
		return -ENOMEM;
	}
	s->copies = (struct cow_copy *)(void *)arena;
	s->maps = arena + ARENA_COPIES_LEN;
	/* read before any copy is mapped: the copies are not the program's */
	len = util_read_file("/proc/self/maps", s->maps, ARENA_LEN - ARENA_COPIES_LEN);
	if (len < 0) {
		snprintf(err, errlen, "cannot read /proc/self/maps: %s", strerror((int)-len));
		return (int)len;
	}
	s->maps_len = (size_t)len;
	rc = ps_open(&ps, !!(memflags & MEM_F_FORCE_PAGEMAP), scan_buf, scan_len);
	if (rc) {
		snprintf(err, errlen, "cannot open /proc/self/pagemap: %s", strerror(-rc));
		return rc;
	}
	for (pos = s->maps; !rc && (line = maps_next_line(&pos, s->maps + len, &ll));) {
		struct mem_range pieces[20];
		struct maps_entry e;
		uint64_t all_end;
		int rule, np;

		if (maps_parse_line(line, ll, &e)) {
			rc = -EINVAL;
			snprintf(err, errlen, "cannot parse /proc/self/maps line: %.*s", (int)ll, line);
			break;
		}
		if (!e.shared && !overlaps_known(e.start, e.end))
			continue; /* the clone freezes it */
		rule = mem_save_rule(&e, memflags, &all_end);
		if (rule == MEM_SAVE_NONE)
			continue;
		np = mem_subtract(e.start, e.end, ex, nex, pieces, 20);
		for (int p = 0; p < np && !rc; p++)
			rc = copy_piece(s, &ps, &e, rule, pieces[p].start, pieces[p].end, all_end);
		if (rc)
			snprintf(err, errlen, "cannot copy %llx-%llx: %s",
				 (unsigned long long)e.start, (unsigned long long)e.end,
				 strerror(-rc));
	}
	ps_close(&ps);
	if (rc)
		cow_snapshot_drop(s);
	return rc;
}

void cow_snapshot_drop(struct cow_snapshot *s)
{
	for (int i = 0; i < s->ncopies; i++)
		raw_syscall2(SYS_munmap, (long)s->copies[i].buf,
			     (long)(s->copies[i].end - s->copies[i].start));
	s->ncopies = 0;
}

long cow_clone(void)
{
	/* no flags, no exit signal: like fork() without glibc's atfork
	 * handlers and without SIGCHLD; only __WCLONE waits see it */
	return raw_syscall5(SYS_clone, 0, 0, 0, 0, 0);
}

static void write_str(const char *path, const char *s)
{
	long fd = raw_syscall4(SYS_openat, AT_FDCWD, (long)path, O_WRONLY | O_CLOEXEC, 0);

	if (fd < 0)
		return;
	raw_syscall3(SYS_write, fd, (long)s, (long)strlen(s));
	raw_syscall1(SYS_close, fd);
}

static void close_all_but(int keep)
{
	if (keep > 0 && raw_syscall3(SYS_close_range, 0, keep - 1, 0) == -ENOSYS) {
		for (int fd = 0; fd < keep; fd++)
			raw_syscall1(SYS_close, fd);
	}
	if (raw_syscall3(SYS_close_range, keep + 1, ~0u, 0) == -ENOSYS) {
		struct rlimit rl = { 1024, 1024 };
		raw_syscall4(SYS_prlimit64, 0, RLIMIT_NOFILE, 0, (long)&rl);
		for (int fd = keep + 1; fd < (int)rl.rlim_cur; fd++)
			raw_syscall1(SYS_close, fd);
	}
}

int cow_writer_enter(pid_t parent, int keep_fd, const char *gate)
{
	/* with the program, whatever kills it; a program that died before
	 * this line ran is caught by the ppid check */
	raw_syscall2(SYS_prctl, PR_SET_PDEATHSIG, SIGKILL);
	if (raw_syscall0(SYS_getppid) != parent)
		return -ESRCH;
	raw_syscall2(SYS_prctl, PR_SET_NAME, (long)"mtcp-writer");
	/* a pipe's EOF, a socket's close, a lock's release are the
	 * program's business: none waits for this process */
	close_all_but(keep_fd);
	write_str("/proc/self/oom_score_adj", "1000");
	cow_gate_wait(gate);
	return 0;
}

void cow_gate_wait(const char *gate)
{
	char c;
	long fd;

	if (!gate || !gate[0])
		return;
	fd = raw_syscall4(SYS_openat, AT_FDCWD, (long)gate, O_RDONLY | O_CLOEXEC, 0);
	if (fd >= 0) {
		while (raw_syscall3(SYS_read, fd, (long)&c, 1) == -EINTR)
			;
		raw_syscall1(SYS_close, fd);
	}
}

int cow_apply(struct cow_snapshot *s)
{
	for (int i = 0; i < s->ncopies; i++) {
		struct cow_copy *c = &s->copies[i];
		long len = (long)(c->end - c->start);
		long p = raw_syscall5(SYS_mremap, (long)c->buf, len, len,
				      MREMAP_MAYMOVE | MREMAP_FIXED, (long)c->start);
		if (p != (long)c->start)
			return p < 0 ? (int)p : -EFAULT;
		c->buf = (char *)(uintptr_t)c->start;
	}
	return 0;
}

static int copied_over(const struct cow_snapshot *s, uint64_t start, uint64_t end)
{
	for (int i = 0; i < s->ncopies; i++)
		if (start >= s->copies[i].start && end <= s->copies[i].end)
			return 1;
	return 0;
}

/* Adds [start, end) to r->missed; -ENOSPC when full. */
static int add_missed(struct cow_result *r, uint64_t start, uint64_t end)
{
	if (r->nmissed == COW_MAX_KNOWN)
		return -ENOSPC;
	r->missed[r->nmissed].start = start;
	r->missed[r->nmissed++].end = end;
	return 0;
}

struct own_map {
	uint64_t start, end;
	int wiped; /* VmFlags has wf */
};

/* Our own smaps, folded in place into an array of mappings (each takes far
 * more text than its entry: the writes stay behind the reads). */
static int own_maps(char *buf, size_t buflen, struct own_map **out)
{
	long len = util_read_file("/proc/self/smaps", buf, buflen);
	struct own_map *m = (struct own_map *)(void *)buf;
	const char *pos = buf, *o;
	int n = 0, open_ = 0;
	size_t ol;

	if (len < 0)
		return (int)len;
	while ((o = maps_next_line(&pos, buf + len, &ol))) {
		struct maps_entry e;
		int hdr = ol && ((o[0] >= '0' && o[0] <= '9') || (o[0] >= 'a' && o[0] <= 'f'));

		if (hdr && !maps_parse_line(o, ol, &e)) {
			struct own_map cur = { e.start, e.end, 0 };
			if ((const char *)&m[n + 1] > o + ol)
				return -EFBIG; /* cannot happen: a header alone is longer */
			m[n++] = cur;
			open_ = 1;
		} else if (open_ && ol > 8 && !memcmp(o, "VmFlags:", 8)) {
			for (const char *f = o + 8; f + 2 < o + ol; f++)
				if (f[0] == ' ' && f[1] == 'w' && f[2] == 'f')
					m[n - 1].wiped = 1;
			open_ = 0;
		}
	}
	*out = m;
	return n;
}

int cow_find_missed(const struct cow_snapshot *s, const struct mem_range *ex, int nex,
		    uint32_t memflags, char *buf, size_t buflen, struct cow_result *r)
{
	struct own_map *own = NULL;
	int nown = own_maps(buf, buflen, &own), j = 0;

	const char *pos = s->maps, *line;
	size_t ll;

	r->nmissed = 0;
	if (nown < 0)
		return nown;
	while ((line = maps_next_line(&pos, s->maps + s->maps_len, &ll))) {
		struct mem_range pieces[20];
		struct maps_entry e;
		uint64_t all_end;
		int np;

		if (maps_parse_line(line, ll, &e))
			return -EINVAL;
		if (mem_save_rule(&e, memflags, &all_end) == MEM_SAVE_NONE)
			continue;
		np = mem_subtract(e.start, e.end, ex, nex, pieces, 20);
		for (int p = 0; p < np; p++) {
			uint64_t covered = pieces[p].start;
			int wiped = 0;

			if (copied_over(s, pieces[p].start, pieces[p].end))
				continue;
			/* both lists are in address order */
			while (j < nown && own[j].end <= pieces[p].start)
				j++;
			for (int k = j; k < nown && own[k].start <= covered && covered < pieces[p].end;
			     k++) {
				wiped |= own[k].wiped;
				covered = own[k].end;
			}
			if ((covered < pieces[p].end || wiped) &&
			    add_missed(r, pieces[p].start, pieces[p].end))
				return -ENOSPC;
		}
	}
	return (int)r->nmissed;
}

int cow_wait(pid_t pid, char *err, size_t errlen)
{
	long pidfd = raw_syscall2(SYS_pidfd_open, pid, 0);
	int status = 0;
	long rc;

	if (pidfd >= 0) {
		ctl_serve_until((int)pidfd);
		raw_syscall1(SYS_close, pidfd);
	}
	do
		rc = raw_syscall4(SYS_wait4, pid, (long)&status, __WCLONE, 0);
	while (rc == -EINTR);
	if (result->state == COW_DONE || result->state == COW_RETRY)
		return 0;
	if (result->state == COW_FAILED) {
		snprintf(err, errlen, "%s", result->err);
		return result->rc < 0 ? result->rc : -EIO;
	}
	if (rc < 0)
		snprintf(err, errlen, "the writer process %d was lost (%s) before it finished; "
			 "the previous image is kept", (int)pid, strerror((int)-rc));
	else if (WIFSIGNALED(status))
		snprintf(err, errlen, "the writer process %d was killed by signal %d (%s) before "
			 "the image was complete; the previous image is kept", (int)pid,
			 WTERMSIG(status), WTERMSIG(status) == SIGKILL ?
			 "the OOM killer takes it first: oom_score_adj 1000" : "not ours");
	else
		snprintf(err, errlen, "the writer process %d exited with %d before the image "
			 "was complete; the previous image is kept", (int)pid, WEXITSTATUS(status));
	return -EIO;
}
