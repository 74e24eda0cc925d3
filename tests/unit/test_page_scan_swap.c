/* SPDX-License-Identifier: MIT */
/*
 * test_page_scan_swap.c - page_scan on anonymous pages really swapped out:
 * every one must come back as PS_SWAPPED, from both back ends, although
 * mincore calls some of them "not resident" (why page_scan never uses
 * mincore); then the memory must read back intact.  Also the private
 * (copy on write) pages of a file mapping, swapped out.
 *
 * Run by tests/swap_classify.sh, which enables a swap file.  Alone it
 * skips when nothing goes to swap.  TAP on stdout; exit 0 (pass), 1
 * (fail), 77 (skip: the reason is printed), 99 (cannot set up).
 */
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/statfs.h>
#include <time.h>
#include <unistd.h>
#include <linux/magic.h>

#include "page_scan.h"

#define PG 4096ul
#define NPAGES 4096u /* 16 MiB */
#define FILE_PAGES 64u
#define SCAN_BUF (64u << 10)
#define PAGEOUT_TRIES 20

#define PM_PRESENT (1ull << 63)
#define PM_SWAPPED (1ull << 62)
#define PM_FILE (1ull << 61)

static int ntest, nfail;

static void ok(int cond, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void ok(int cond, const char *fmt, ...)
{
	va_list ap;

	printf("%sok %d - ", cond ? "" : "not ", ++ntest);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	if (!cond)
		nfail++;
	fflush(stdout);
}

static void skip_all(const char *why)
{
	printf("1..0 # SKIP %s\n", why);
	exit(77);
}

static void bail(const char *what)
{
	printf("Bail out! %s: %s\n", what, strerror(errno));
	exit(99);
}

static uint64_t pattern(size_t page, size_t word)
{
	return 0x9e3779b97f4a7c15ull * (page + 1) ^ ((uint64_t)word << 40) ^ 0x5a5a;
}

static void fill(char *m, size_t npages)
{
	for (size_t i = 0; i < npages; i++) {
		uint64_t *w = (uint64_t *)(void *)(m + i * PG);
		for (size_t k = 0; k < PG / 8; k++)
			w[k] = pattern(i, k);
	}
}

static size_t bad_pages(const char *m, size_t npages)
{
	size_t bad = 0;

	for (size_t i = 0; i < npages; i++) {
		const uint64_t *w = (const uint64_t *)(const void *)(m + i * PG);
		for (size_t k = 0; k < PG / 8; k++)
			if (w[k] != pattern(i, k)) {
				bad++;
				break;
			}
	}
	return bad;
}

/* The raw pagemap entries of [m, m + npages pages): the ground truth. */
static void read_pagemap(int fd, const char *m, size_t npages, uint64_t *ent)
{
	off_t off = (off_t)((uintptr_t)m / PG * 8);

	if (pread(fd, ent, npages * 8, off) != (ssize_t)(npages * 8))
		bail("pread /proc/self/pagemap");
}

static size_t count_swapped(int fd, const char *m, size_t npages, uint64_t *ent)
{
	size_t n = 0;

	read_pagemap(fd, m, npages, ent);
	for (size_t i = 0; i < npages; i++)
		n += (ent[i] & PM_SWAPPED) != 0;
	return n;
}

/* Blocks of BLOCK pages; with keep, every fourth stays in memory. */
#define BLOCK 16u
static int kept(size_t page, int keep)
{
	return keep && (page / BLOCK) % 4 == 3;
}

/* MADV_PAGEOUT until every page (but those kept) is in swap, or
 * PAGEOUT_TRIES times: one call skips a page that is busy.  Returns the
 * number of pages in swap. */
static size_t page_out(int pmfd, char *m, size_t npages, uint64_t *ent, int keep)
{
	size_t n = 0, want = 0;

	for (size_t i = 0; i < npages; i++)
		want += !kept(i, keep);
	for (int t = 0; t < PAGEOUT_TRIES; t++) {
		struct timespec ts = { 0, 50 * 1000 * 1000 };

		for (size_t i = 0; i < npages; i += BLOCK) {
			size_t len = npages - i < BLOCK ? npages - i : BLOCK;

			if (kept(i, keep))
				continue;
			if (madvise(m + i * PG, len * PG, MADV_PAGEOUT) == 0)
				continue;
			if (errno == EINVAL)
				skip_all("MADV_PAGEOUT is not supported (Linux 5.4+)");
			bail("madvise(MADV_PAGEOUT)");
		}
		n = count_swapped(pmfd, m, npages, ent);
		if (n >= want)
			break;
		nanosleep(&ts, NULL);
	}
	return n;
}

static int swap_enabled(void)
{
	FILE *f = fopen("/proc/swaps", "r");
	char line[512];
	int n = 0;

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		n++;
	fclose(f);
	return n > 1; /* a header line, then one line per swap area */
}

struct page_flags {
	uint64_t base;
	uint32_t *flags; /* per page, 0: not reported */
	size_t npages, runs, outside;
};

static int record(void *arg, const struct ps_run *r)
{
	struct page_flags *pf = arg;

	pf->runs++;
	for (uint64_t a = r->start; a < r->end; a += PG) {
		if (a < pf->base || a >= pf->base + pf->npages * PG) {
			pf->outside++;
			continue;
		}
		pf->flags[(a - pf->base) / PG] |= r->flags;
	}
	return 0;
}

/*
 * Scans m with back end force_pagemap and checks each page against the
 * pagemap entries read just before and just after (a page may move in
 * between; only pages that stayed put are held to their exact flags):
 * every page is reported (written pages never look untouched); a page
 * swapped both times is exactly PS_SWAPPED (plus PS_FILE if pagemap says
 * so), a page present both times exactly PS_PRESENT; if no page moved,
 * there are as many runs as pagemap shows (maximal: equal neighbours are
 * merged, however the back end batched them).
 */
static void scan_and_check(const char *what, int pmfd, int force_pagemap, void *buf,
			   const char *m, size_t npages, uint64_t *before, uint64_t *after)
{
	struct page_scan ps;
	struct page_flags pf = { (uint64_t)(uintptr_t)m, calloc(npages, 4), npages, 0, 0 };
	size_t missing = 0, wrong_swapped = 0, wrong_present = 0, swapped = 0, stable = 0;
	size_t nruns = 0;
	const char *be;
	int rc;

	if (!pf.flags)
		bail("calloc");
	if (ps_open(&ps, force_pagemap, buf, SCAN_BUF) != 0)
		bail("ps_open");
	be = ps.backend == PS_BACKEND_SCAN_IOCTL ? "ioctl" : "pagemap";
	read_pagemap(pmfd, m, npages, before);
	rc = ps_scan(&ps, pf.base, pf.base + npages * PG, record, &pf);
	read_pagemap(pmfd, m, npages, after);
	ps_close(&ps);
	ok(rc == 0 && pf.outside == 0, "%s, %s: scan returns 0 (%d), runs in range", what, be, rc);
	for (size_t i = 0; i < npages; i++) {
		uint32_t f = pf.flags[i];
		uint32_t file = (before[i] & PM_FILE) ? PS_FILE : 0;
		uint64_t kind = before[i] & (PM_SWAPPED | PM_PRESENT | PM_FILE);

		if ((kind & (PM_SWAPPED | PM_PRESENT)) &&
		    (i == 0 || kind != (before[i - 1] & (PM_SWAPPED | PM_PRESENT | PM_FILE))))
			nruns++;

		if (!f) {
			missing++;
			continue;
		}
		swapped += (f & PS_SWAPPED) != 0;
		if ((before[i] ^ after[i]) & (PM_SWAPPED | PM_PRESENT | PM_FILE))
			continue;
		stable++;
		if ((before[i] & PM_SWAPPED) && f != (PS_SWAPPED | file))
			wrong_swapped++;
		if ((before[i] & PM_PRESENT) && f != (PS_PRESENT | file))
			wrong_present++;
	}
	ok(missing == 0, "%s, %s: every written page is reported (%zu missing)", what, be,
	   missing);
	ok(wrong_swapped == 0, "%s, %s: every swapped page is PS_SWAPPED (%zu wrong)", what, be,
	   wrong_swapped);
	ok(wrong_present == 0, "%s, %s: every present page is PS_PRESENT (%zu wrong)", what, be,
	   wrong_present);
	printf("# %s, %s: %zu pages, %zu runs, %zu reported swapped, %zu stable during the scan\n",
	       what, be, npages, pf.runs, swapped, stable);
	if (stable == npages)
		ok(pf.runs == nruns, "%s, %s: the %zu runs pagemap shows (%zu)", what, be, nruns,
		   pf.runs);
	free(pf.flags);
}

/* Swapped pages that mincore calls not resident: those a mincore-based
 * scan would lose. */
static size_t mincore_would_lose(const char *m, size_t npages, const uint64_t *ent)
{
	unsigned char *vec = malloc(npages);
	size_t n = 0;

	if (!vec || mincore((void *)(uintptr_t)m, npages * PG, vec) != 0)
		bail("mincore");
	for (size_t i = 0; i < npages; i++)
		n += (ent[i] & PM_SWAPPED) && !(vec[i] & 1);
	free(vec);
	return n;
}

/* The private, written pages of a file mapping are anonymous: swapped,
 * they must be PS_SWAPPED without PS_FILE. */
static void file_cow(int pmfd, void *buf, uint64_t *before, uint64_t *after)
{
	char dir[] = "/var/tmp/mtcp-pss.XXXXXX", path[64];
	struct statfs sf;
	size_t half = FILE_PAGES / 2, n;
	char *m, *page;
	int fd;

	if (!mkdtemp(dir) || statfs(dir, &sf) != 0) {
		printf("ok %d # SKIP file COW: no directory in /var/tmp\n", ++ntest);
		return;
	}
	snprintf(path, sizeof(path), "%s/f", dir);
	fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	page = malloc(PG);
	if (fd < 0 || !page)
		bail("file for the COW case");
	memset(page, 0x77, PG);
	for (size_t i = 0; i < FILE_PAGES; i++)
		if (pwrite(fd, page, PG, (off_t)(i * PG)) != (ssize_t)PG)
			bail("pwrite");
	free(page);
	m = mmap(NULL, FILE_PAGES * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	if (m == MAP_FAILED)
		bail("mmap file");
	unlink(path);
	rmdir(dir);
	/* the second half written: private anonymous copies */
	fill(m + half * PG, half);
	n = page_out(pmfd, m + half * PG, half, before, 0);
	if (!n) {
		printf("ok %d # SKIP file COW: no private page of the file mapping went to swap\n",
		       ++ntest);
	} else {
		printf("# file COW: %zu of %zu private pages swapped (fs type %#lx)\n", n, half,
		       (unsigned long)sf.f_type);
		scan_and_check("file COW", pmfd, 0, buf, m + half * PG, half, before, after);
		scan_and_check("file COW", pmfd, 1, buf, m + half * PG, half, before, after);
		ok(bad_pages(m + half * PG, half) == 0, "file COW: the private pages read back");
	}
	ok(m[0] == 0x77 && m[FILE_PAGES / 2 * PG - 1] == 0x77, "file COW: the file pages read back");
	munmap(m, FILE_PAGES * PG);
	close(fd);
}

int main(void)
{
	uint64_t *before = malloc(NPAGES * 8), *after = malloc(NPAGES * 8);
	void *buf = aligned_alloc(4096, SCAN_BUF);
	size_t n, lost;
	int pmfd;
	char *m;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!before || !after || !buf)
		bail("malloc");
	pmfd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	if (pmfd < 0)
		bail("open /proc/self/pagemap");
	m = mmap(NULL, NPAGES * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED)
		bail("mmap");
	/* 4 KiB pages: the zero page and huge pages are not what this tests */
	if (madvise(m, NPAGES * PG, MADV_NOHUGEPAGE) != 0)
		bail("madvise(MADV_NOHUGEPAGE)");
	fill(m, NPAGES);

	n = page_out(pmfd, m, NPAGES, before, 0);
	if (n == 0)
		skip_all(swap_enabled() ? "swap is enabled but MADV_PAGEOUT swapped nothing out"
					: "no swap enabled (run by tests/swap_classify.sh)");
	printf("# %zu of %u pages in swap after MADV_PAGEOUT\n", n, NPAGES);
	/* The scans read the page tables only: nothing is swapped back in. */
	scan_and_check("anonymous, in swap cache", pmfd, 0, buf, m, NPAGES, before, after);
	scan_and_check("anonymous, in swap cache", pmfd, 1, buf, m, NPAGES, before, after);
	n = count_swapped(pmfd, m, NPAGES, before);
	printf("# mincore: %zu of the %zu swapped pages not resident\n",
	       mincore_would_lose(m, NPAGES, before), n);

	/*
	 * The first page-out leaves the pages in the swap cache (the write to
	 * a swap file is asynchronous, reclaim keeps a folio under
	 * writeback), where mincore still calls them resident.  Read back
	 * (clean, the swap slot kept: swap is not half full) and paged out
	 * again, they are freed at once: now mincore says "not resident".
	 * Every fourth block of 16 pages stays in memory this time: runs of
	 * swapped and present pages alternate.
	 */
	ok(bad_pages(m, NPAGES) == 0, "anonymous: every page reads back from the swap cache");
	n = page_out(pmfd, m, NPAGES, before, 1);
	printf("# %zu of %u pages in swap after a second MADV_PAGEOUT (3 blocks in 4)\n", n,
	       NPAGES);
	scan_and_check("anonymous, swapped out", pmfd, 0, buf, m, NPAGES, before, after);
	scan_and_check("anonymous, swapped out", pmfd, 1, buf, m, NPAGES, before, after);
	n = count_swapped(pmfd, m, NPAGES, before);
	lost = mincore_would_lose(m, NPAGES, before);
	printf("# mincore: %zu of the %zu swapped pages not resident\n", lost, n);
	ok(lost > 0, "mincore calls some swapped pages not resident (%zu): the case it would lose",
	   lost);

	ok(bad_pages(m, NPAGES) == 0, "anonymous: every page reads back from swap intact");
	/* and now all present again */
	scan_and_check("anonymous, read back", pmfd, 0, buf, m, NPAGES, before, after);
	munmap(m, NPAGES * PG);

	file_cow(pmfd, buf, before, after);

	close(pmfd);
	free(before);
	free(after);
	free(buf);
	printf("1..%d\n", ntest);
	return nfail ? 1 : 0;
}
