/* SPDX-License-Identifier: MIT */
/*
 * memory.c - the memory part of an image.
 *
 * Which pages are written, per kind of mapping (docs/format.md):
 *   private anonymous, shared anonymous: present or swapped pages;
 *   private file mapping: pages that were copied on write (present and
 *     not a file page, or swapped); the clean ones come from the file;
 *   private mapping of a deleted or replaced file: every page;
 *   shared file mapping: none, the file holds them;
 *   [vdso], [vvar], [vvar_vclock]: none, the kernel's own; [vsyscall]: skipped.
 * Never-touched pages are not present in /proc/self/pagemap and so are
 * never read nor written.  mincore is not used: it reports swapped-out
 * anonymous pages as absent.
 */
#include "memory.h"
#include "image_writer.h"
#include "image-format.h"
#include "maps.h"
#include "syscall.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>

#define PAGE 4096ull
#define MAX_PIECES_PER_MAP 20
#define PM_PRESENT (1ull << 63)
#define PM_SWAPPED (1ull << 62)
#define PM_FILE (1ull << 61)

enum save_rule { SAVE_NONE, SAVE_TOUCHED, SAVE_COW, SAVE_ALL };

int mem_subtract(uint64_t start, uint64_t end, const struct mem_range *ex, int nex,
		 struct mem_range *out, int max)
{
	int n = 0;
	uint64_t cur = start;

	while (cur < end) {
		/* the excluded range that starts first at or after cur, or covers cur */
		uint64_t next_ex = end, ex_end = 0;
		for (int i = 0; i < nex; i++) {
			if (ex[i].end <= cur || ex[i].start >= end)
				continue;
			uint64_t s = ex[i].start > cur ? ex[i].start : cur;
			if (s < next_ex || (s == next_ex && ex[i].end > ex_end)) {
				next_ex = s;
				ex_end = ex[i].end;
			}
		}
		if (next_ex > cur) {
			if (n == max)
				return n;
			out[n].start = cur;
			out[n].end = next_ex;
			n++;
		}
		if (next_ex >= end)
			break;
		cur = ex_end;
	}
	return n;
}

static long read_proc(const char *path, char *buf, size_t len)
{
	long fd = raw_syscall4(SYS_openat, AT_FDCWD, (long)path, O_RDONLY | O_CLOEXEC, 0);
	size_t got = 0;

	if (fd < 0)
		return fd;
	for (;;) {
		long n = raw_syscall3(SYS_read, fd, (long)(buf + got), (long)(len - got));
		if (n == -EINTR)
			continue;
		if (n <= 0) {
			raw_syscall1(SYS_close, fd);
			if (n < 0)
				return n;
			break;
		}
		got += (size_t)n;
		if (got == len) {
			raw_syscall1(SYS_close, fd);
			return -EFBIG;
		}
	}
	return (long)got;
}

struct region_job {
	struct mtcp_rec_region rec;
	const char *path;
	enum save_rule rule;
	int unreadable; /* must be made readable to be read */
};

static int page_wanted(enum save_rule rule, uint64_t pm)
{
	switch (rule) {
	case SAVE_ALL:
		return 1;
	case SAVE_TOUCHED:
		return (pm & (PM_PRESENT | PM_SWAPPED)) != 0;
	case SAVE_COW:
		return (pm & PM_SWAPPED) || ((pm & PM_PRESENT) && !(pm & PM_FILE));
	default:
		return 0;
	}
}

static int is_volatile(const struct mem_ctx *m, uint64_t start, uint64_t end)
{
	for (int i = 0; i < m->nvolatile; i++)
		if (start < m->volatile_ranges[i].end && end > m->volatile_ranges[i].start)
			return 1;
	return 0;
}

static int flush_run(struct img_writer *w, const struct mem_ctx *m, uint64_t start,
		     uint64_t end, uint32_t *next)
{
	while (start < end) {
		uint64_t len = end - start;
		int rc;
		if (len > MTCP_EXTENT_MAX)
			len = MTCP_EXTENT_MAX;
		if (is_volatile(m, start, start + len)) {
			/* a snapshot, so that checksum and bytes agree */
			memcpy(m->bounce, (const void *)(uintptr_t)start, len);
			rc = iw_extent_from(w, start, len, m->bounce);
		} else {
			rc = iw_extent(w, start, len);
		}
		if (rc)
			return rc;
		(*next)++;
		start += len;
	}
	return 0;
}

static int write_extents(struct img_writer *w, struct mem_ctx *m, int pm_fd,
			 struct region_job *j, char *err, size_t errlen)
{
	uint64_t run_start = 0, run_end = 0;
	uint64_t a = j->rec.start;
	int rc = 0;

	if (j->unreadable)
		raw_syscall3(SYS_mprotect, (long)j->rec.start, (long)(j->rec.end - j->rec.start),
			     (long)(j->rec.prot | PROT_READ));
	while (a < j->rec.end && !rc) {
		size_t n = (size_t)((j->rec.end - a) / PAGE);
		if (n > m->pagemap_entries)
			n = m->pagemap_entries;
		if (j->rule != SAVE_ALL) {
			long got = raw_syscall4(SYS_pread64, pm_fd, (long)m->pagemap_buf,
						(long)(n * 8), (long)(a / PAGE * 8));
			if (got < (long)(n * 8)) {
				snprintf(err, errlen, "cannot read /proc/self/pagemap at %llx: %s",
					 (unsigned long long)a,
					 got < 0 ? strerror((int)-got) : "short read");
				rc = got < 0 ? (int)got : -EIO;
				break;
			}
		}
		for (size_t i = 0; i < n; i++, a += PAGE) {
			int want = j->rule == SAVE_ALL || page_wanted(j->rule, m->pagemap_buf[i]);
			if (want) {
				if (run_end != a) {
					rc = flush_run(w, m, run_start, run_end, &j->rec.nextents);
					if (rc)
						break;
					run_start = a;
				}
				run_end = a + PAGE;
			}
		}
	}
	if (!rc)
		rc = flush_run(w, m, run_start, run_end, &j->rec.nextents);
	if (j->unreadable)
		raw_syscall3(SYS_mprotect, (long)j->rec.start, (long)(j->rec.end - j->rec.start),
			     (long)j->rec.prot);
	if (rc && !*err)
		snprintf(err, errlen, "cannot write memory %llx-%llx: %s",
			 (unsigned long long)j->rec.start, (unsigned long long)j->rec.end,
			 strerror(-rc));
	return rc;
}

/* Sets kind, flags, file identity and the save rule of a mapping. */
static void classify(const struct maps_entry *e, struct region_job *j)
{
	struct mtcp_rec_region *r = &j->rec;
	char path[MTCP_MAX_PATH];
	struct stat st;

	j->rule = SAVE_TOUCHED;
	j->path = "";
	r->path_len = 0;
	if (maps_path_is(e, "[vdso]")) {
		r->kind = MTCP_RGN_VDSO;
		j->rule = SAVE_NONE;
		return;
	}
	if (maps_path_is(e, "[vvar]")) {
		r->kind = MTCP_RGN_VVAR;
		j->rule = SAVE_NONE;
		return;
	}
	if (maps_path_is(e, "[vvar_vclock]")) {
		r->kind = MTCP_RGN_VVAR_VCLOCK;
		j->rule = SAVE_NONE;
		return;
	}
	if (maps_path_is(e, "[stack]"))
		r->flags |= MTCP_RGNF_STACK;
	if (maps_path_is(e, "[heap]"))
		r->flags |= MTCP_RGNF_HEAP;
	if (e->path_len == 0 || e->path[0] != '/' || e->path_len >= sizeof(path)) {
		r->kind = e->shared ? MTCP_RGN_SHARED_ANON : MTCP_RGN_ANON;
		return;
	}
	memcpy(path, e->path, e->path_len);
	path[e->path_len] = '\0';
	j->path = e->path;
	r->path_len = (uint32_t)e->path_len;
	if (e->shared) {
		/* /dev/zero, SysV shm and memfd mappings: memory, not a file */
		if (e->deleted || !strncmp(path, "/dev/zero", 9) || !strncmp(path, "/SYSV", 5)) {
			r->kind = MTCP_RGN_SHARED_ANON;
			return;
		}
		r->kind = MTCP_RGN_FILE_SHARED;
		j->rule = SAVE_NONE;
	} else {
		r->kind = MTCP_RGN_FILE_PRIVATE;
		j->rule = SAVE_COW;
	}
	if (e->deleted || raw_syscall2(SYS_stat, (long)path, (long)&st) ||
	    (uint64_t)st.st_ino != e->inode ||
	    st.st_dev != makedev(e->dev_major, e->dev_minor)) {
		/* the file is gone or was replaced: keep every page */
		r->kind = e->shared ? MTCP_RGN_SHARED_ANON : MTCP_RGN_ANON;
		r->flags |= MTCP_RGNF_DELETED;
		j->rule = SAVE_ALL;
		return;
	}
	r->dev = st.st_dev;
	r->ino = st.st_ino;
	r->file_size = (uint64_t)st.st_size;
	r->mtime_ns = (uint64_t)st.st_mtim.tv_sec * 1000000000ull + (uint64_t)st.st_mtim.tv_nsec;
}

int mem_write_regions(struct img_writer *w, struct mem_ctx *m, char *err, size_t errlen)
{
	long len = read_proc("/proc/self/maps", m->maps_buf, m->maps_len);
	long pm_fd;
	int rc = 0;

	m->nregions = 0;
	if (len < 0) {
		snprintf(err, errlen, "cannot read /proc/self/maps: %s", strerror((int)-len));
		return (int)len;
	}
	pm_fd = raw_syscall4(SYS_openat, AT_FDCWD, (long)"/proc/self/pagemap",
			     O_RDONLY | O_CLOEXEC, 0);
	if (pm_fd < 0) {
		snprintf(err, errlen, "cannot open /proc/self/pagemap: %s", strerror((int)-pm_fd));
		return (int)pm_fd;
	}
	for (char *line = m->maps_buf; line < m->maps_buf + len && !rc;) {
		char *nl = memchr(line, '\n', (size_t)(m->maps_buf + len - line));
		size_t ll = nl ? (size_t)(nl - line) : (size_t)(m->maps_buf + len - line);
		struct maps_entry e;
		struct mem_range pieces[MAX_PIECES_PER_MAP];
		int np;

		if (maps_parse_line(line, ll, &e)) {
			snprintf(err, errlen, "cannot parse /proc/self/maps line: %.*s", (int)ll, line);
			rc = -EINVAL;
			break;
		}
		line += ll + 1;
		if (maps_path_is(&e, "[vsyscall]"))
			continue;
		np = mem_subtract(e.start, e.end, m->excluded, m->nexcluded, pieces,
				  MAX_PIECES_PER_MAP);
		for (int p = 0; p < np && !rc; p++) {
			struct region_job j;
			uint64_t off;

			memset(&j, 0, sizeof(j));
			j.rec.start = pieces[p].start;
			j.rec.end = pieces[p].end;
			j.rec.prot = e.prot;
			j.rec.file_offset = e.offset + (pieces[p].start - e.start);
			classify(&e, &j);
			j.unreadable = !(e.prot & PROT_READ) && j.rule != SAVE_NONE;
			rc = iw_reserve(w, sizeof(j.rec) + j.rec.path_len, &off);
			if (!rc && j.rule != SAVE_NONE)
				rc = write_extents(w, m, (int)pm_fd, &j, err, errlen);
			if (!rc)
				rc = iw_record_at(w, off, MTCP_REC_REGION, &j.rec, sizeof(j.rec),
						  j.path, j.rec.path_len);
			if (!rc)
				m->nregions++;
		}
	}
	raw_syscall1(SYS_close, pm_fd);
	if (rc && !*err)
		snprintf(err, errlen, "cannot write the memory map: %s", strerror(-rc));
	return rc;
}
