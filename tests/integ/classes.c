/* SPDX-License-Identifier: MIT */
/*
 * classes.c - one region per class of page the writer tells apart, checked
 * three ways after a restart:
 *   1. nothing was faulted in that the original never had resident: the
 *      untouched, read-only (zero page) and zero-written regions have no
 *      present page (/proc/self/pagemap), and VmRSS is not above the
 *      original's plus a small constant;
 *   2. every byte is what it was;
 *   3. the image (mtcp_restart --list, --verify) holds no bytes for what
 *      needs none, lz4 for the compressible data, raw for the random data,
 *      and says it was written the way MTCP_WRITE, MTCP_SCAN,
 *      MTCP_COMPRESS and MTCP_FILE_PAGES asked.
 * With the argument "swap", the random region is pushed to swap
 * (MADV_PAGEOUT) before the checkpoint; the run is skipped if it does not
 * go there (no swap enabled: tests/swap_classify.sh enables some).
 */
#include "mt_test.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef MADV_PAGEOUT
#define MADV_PAGEOUT 21
#endif

const char *test_doc =
	"untouched, read-only, zero-written, random, compressible, sparse, file-backed "
	"(clean and copied-on-write), shared-file and shared-anonymous memory come back "
	"byte for byte; the image holds no bytes for what needs none and restart faults "
	"in nothing the original did not have.";

#define PAGE 4096ul
#define MIB (1ul << 20)

enum { UNTOUCHED, READZERO, WZERO, DATA, TEXT, SPARSE, FILEP, SHFILE, SHANON, NREG };
static const char *const names[NREG] = { "untouched", "read-zero", "written-zero", "random",
					  "compressible", "sparse", "file-private",
					  "file-shared", "shared-anon" };
static const size_t sizes[NREG] = { 64 * MIB, 16 * MIB, 16 * MIB, 8 * MIB, 8 * MIB,
				    256 * MIB, 2 * MIB, 2 * MIB, 4 * MIB };
#define SPARSE_STRIDE 64          /* one byte in every 64th page */
#define SHANON_DATA (1 * MIB)     /* written part of the shared anonymous region */
static const size_t cow_pages[] = { 3, 7 };

static unsigned char *reg[NREG];
static uint32_t crc_before[NREG];
static uint64_t seed = 0x9e3779b97f4a7c15ull;

static uint64_t next_rand(void)
{
	seed ^= seed << 13;
	seed ^= seed >> 7;
	seed ^= seed << 17;
	return seed;
}

static unsigned char file_byte(size_t off)
{
	return (unsigned char)(((off * 2654435761u) >> 11) | 1);
}

static unsigned char *map_anon(size_t len, int shared)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       (shared ? MAP_SHARED : MAP_PRIVATE) | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		fail("mmap %zu: %s", len, strerror(errno));
	/* 4 KiB pages, so that a read maps the 4 KiB zero page */
	madvise(p, len, MADV_NOHUGEPAGE);
	return p;
}

static void fill_text(unsigned char *p, size_t len)
{
	static const char *const words[] = { "checkpoint ", "restart ", "thread ", "memory ",
					     "page ", "zero ", "lz4 ", "kernel ", "signal ",
					     "futex ", "mapping ", "the ", "of ", "and " };
	size_t o = 0;

	while (o < len) {
		const char *w = words[next_rand() % (sizeof(words) / sizeof(words[0]))];
		for (; *w && o < len; w++)
			p[o++] = (unsigned char)*w;
	}
}

static void setup(const char *dir, int swap)
{
	char path[PATH_MAX];
	unsigned char *buf;
	int fd;

	reg[UNTOUCHED] = map_anon(sizes[UNTOUCHED], 0);
	reg[READZERO] = map_anon(sizes[READZERO], 0);
	for (size_t o = 0; o < sizes[READZERO]; o += PAGE)
		(void)*(volatile unsigned char *)(reg[READZERO] + o);
	reg[WZERO] = map_anon(sizes[WZERO], 0);
	for (size_t o = 0; o < sizes[WZERO]; o += PAGE)
		*(volatile unsigned char *)(reg[WZERO] + o) = 0;
	reg[DATA] = map_anon(sizes[DATA], 0);
	for (size_t o = 0; o < sizes[DATA]; o += 8) {
		uint64_t r = next_rand();
		memcpy(reg[DATA] + o, &r, 8);
	}
	reg[TEXT] = map_anon(sizes[TEXT], 0);
	fill_text(reg[TEXT], sizes[TEXT]);
	reg[SPARSE] = map_anon(sizes[SPARSE], 0);
	for (size_t o = 0; o < sizes[SPARSE]; o += SPARSE_STRIDE * PAGE)
		reg[SPARSE][o + (o / PAGE) % PAGE] = (unsigned char)(o / PAGE / SPARSE_STRIDE % 255 + 1);

	snprintf(path, sizeof(path), "%s/classes.data", dir);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		fail("create %s: %s", path, strerror(errno));
	buf = malloc(sizes[FILEP]);
	if (!buf)
		fail("out of memory");
	for (size_t o = 0; o < sizes[FILEP]; o++)
		buf[o] = file_byte(o);
	if (write(fd, buf, sizes[FILEP]) != (ssize_t)sizes[FILEP] || fsync(fd))
		fail("write %s: %s", path, strerror(errno));
	free(buf);
	reg[FILEP] = mmap(NULL, sizes[FILEP], PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	reg[SHFILE] = mmap(NULL, sizes[SHFILE], PROT_READ, MAP_SHARED, fd, 0);
	if (reg[FILEP] == MAP_FAILED || reg[SHFILE] == MAP_FAILED)
		fail("mmap %s: %s", path, strerror(errno));
	close(fd);
	for (size_t o = 0; o < sizes[FILEP]; o += PAGE) {
		(void)*(volatile unsigned char *)(reg[FILEP] + o);
		(void)*(volatile unsigned char *)(reg[SHFILE] + o);
	}
	for (size_t i = 0; i < sizeof(cow_pages) / sizeof(cow_pages[0]); i++)
		reg[FILEP][cow_pages[i] * PAGE + 5] ^= 0x5a;

	reg[SHANON] = map_anon(sizes[SHANON], 1);
	fill_text(reg[SHANON], SHANON_DATA);

	for (int r = 0; r < NREG; r++)
		crc_before[r] = mt_crc32(0, reg[r], sizes[r]);
	/* reading the untouched and zero regions above mapped the zero page
	 * into them: unmap and map again, so that they are really untouched
	 * (and the written-zero region, written again) */
	munmap(reg[UNTOUCHED], sizes[UNTOUCHED]);
	reg[UNTOUCHED] = map_anon(sizes[UNTOUCHED], 0);
	if (swap) {
		int fdp = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
		uint64_t e;
		size_t swapped = 0;
		for (int tries = 0; tries < 5 && swapped < sizes[DATA] / PAGE / 2; tries++) {
			madvise(reg[DATA], sizes[DATA], MADV_PAGEOUT);
			swapped = 0;
			for (size_t o = 0; o < sizes[DATA]; o += PAGE)
				if (pread(fdp, &e, 8, (off_t)(((uintptr_t)reg[DATA] + o) / PAGE * 8)) == 8 &&
				    (e >> 62 & 1))
					swapped++;
		}
		close(fdp);
		if (swapped < sizes[DATA] / PAGE / 2)
			skip("only %zu of %lu pages went to swap (is swap enabled?)", swapped,
			     sizes[DATA] / PAGE);
		mt_note("%zu pages of the random region are in swap at the checkpoint", swapped);
	}
}

static long vm_rss_kib(void)
{
	char buf[4096];
	FILE *f = fopen("/proc/self/status", "re");
	long kib = -1;

	if (!f)
		return -1;
	while (fgets(buf, sizeof(buf), f))
		if (sscanf(buf, "VmRSS: %ld kB", &kib) == 1)
			break;
	fclose(f);
	return kib;
}

static size_t present_pages(const unsigned char *p, size_t len)
{
	int fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	size_t n = 0;
	uint64_t e;

	if (fd < 0)
		fail("open pagemap: %s", strerror(errno));
	for (size_t o = 0; o < len; o += PAGE)
		if (pread(fd, &e, 8, (off_t)(((uintptr_t)p + o) / PAGE * 8)) == 8 && (e >> 63))
			n++;
	close(fd);
	return n;
}

/* The newest image of this process in MTCP_DIR (PROG.PID.LINEAGE.SEQ.mtcp):
 * the last one written, whatever its lineage (a chain of restarts leaves
 * one lineage per round, each counting from 1). */
static void find_image(char *out, size_t len)
{
	const char *dir = getenv("MTCP_DIR");
	char pat[64], path[PATH_MAX];
	struct dirent *d;
	struct stat st;
	long long best = -1;
	DIR *dp;

	if (!dir)
		fail("MTCP_DIR is not set");
	dp = opendir(dir);
	if (!dp)
		fail("opendir %s: %s", dir, strerror(errno));
	snprintf(pat, sizeof(pat), ".%d.", (int)mt_pid0);
	while ((d = readdir(dp))) {
		const char *p = strstr(d->d_name, pat);
		size_t l = strlen(d->d_name);
		if (d->d_name[0] == '.' || !p || l < 5 || strcmp(d->d_name + l - 5, ".mtcp"))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, d->d_name);
		if (stat(path, &st))
			continue;
		long long t = (long long)st.st_mtim.tv_sec * 1000000000ll + st.st_mtim.tv_nsec;
		if (t > best) {
			best = t;
			snprintf(out, len, "%s", path);
		}
	}
	closedir(dp);
	if (best < 0)
		fail("no image of pid %d in %s", (int)mt_pid0, dir);
}

struct tally {
	uint64_t mem, stored, lz4_mem, lz4_stored, raw_mem;
	char kind[32];
	unsigned flags;
};

static void check_image(int file_pages, int compress)
{
	const char *restart = getenv("MTCP_RESTART");
	const char *want_write = getenv("MTCP_WRITE"), *want_scan = getenv("MTCP_SCAN");
	struct tally t[NREG];
	char img[PATH_MAX], cmd[PATH_MAX + 64], line[PATH_MAX + 128];
	FILE *f;

	if (!restart)
		fail("MTCP_RESTART is not set");
	find_image(img, sizeof(img));
	memset(t, 0, sizeof(t));
	snprintf(cmd, sizeof(cmd), "'%s' --list '%s'", restart, img);
	f = popen(cmd, "r");
	if (!f)
		fail("popen %s: %s", cmd, strerror(errno));
	while (fgets(line, sizeof(line), f)) {
		unsigned long long a, b, len;
		unsigned flags, prot, stored;
		char kind[32], enc[8];
		if (sscanf(line, "region %llx %llx %31s %x %x", &a, &b, kind, &flags, &prot) == 5) {
			for (int r = 0; r < NREG; r++)
				if (a <= (uintptr_t)reg[r] && (uintptr_t)reg[r] + sizes[r] <= b) {
					snprintf(t[r].kind, sizeof(t[r].kind), "%s", kind);
					t[r].flags = flags;
				}
		} else if (sscanf(line, "extent %llx %llu %7s %u", &a, &len, enc, &stored) == 4) {
			for (int r = 0; r < NREG; r++) {
				uintptr_t s = (uintptr_t)reg[r], e = s + sizes[r];
				if (a >= e || a + len <= s)
					continue;
				if (a < s || a + len > e)
					fail("extent %llx+%llu straddles region %s", a, len, names[r]);
				t[r].mem += len;
				t[r].stored += stored;
				if (!strcmp(enc, "lz4")) {
					t[r].lz4_mem += len;
					t[r].lz4_stored += stored;
				} else {
					t[r].raw_mem += len;
				}
			}
		}
	}
	if (pclose(f))
		fail("%s failed", cmd);
	for (int r = 0; r < NREG; r++)
		mt_note("%-13s %-12s flags %x: %" PRIu64 " bytes of memory, %" PRIu64
			" stored (lz4 %" PRIu64 " -> %" PRIu64 ")",
			names[r], t[r].kind, t[r].flags, t[r].mem, t[r].stored, t[r].lz4_mem,
			t[r].lz4_stored);

	/* no bytes for what needs none */
	if (t[UNTOUCHED].mem || t[READZERO].mem || t[WZERO].mem)
		fail("the image holds bytes for untouched (%" PRIu64 "), read-only (%" PRIu64
		     ") or zero-written (%" PRIu64 ") memory",
		     t[UNTOUCHED].mem, t[READZERO].mem, t[WZERO].mem);
	if (strcmp(t[SHFILE].kind, "file-shared") || t[SHFILE].mem)
		fail("the shared file mapping is %s with %" PRIu64 " bytes, not a reference",
		     t[SHFILE].kind, t[SHFILE].mem);
	if (file_pages) {
		if (strcmp(t[FILEP].kind, "anon") || !(t[FILEP].flags & 8) ||
		    t[FILEP].mem != sizes[FILEP])
			fail("MTCP_FILE_PAGES=1: the private file mapping is %s (flags %x) with %" PRIu64
			     " bytes, not a copy of all %zu",
			     t[FILEP].kind, t[FILEP].flags, t[FILEP].mem, sizes[FILEP]);
	} else if (strcmp(t[FILEP].kind, "file-private") ||
		   t[FILEP].mem != sizeof(cow_pages) / sizeof(cow_pages[0]) * PAGE) {
		fail("the private file mapping is %s with %" PRIu64 " bytes, expected only its "
		     "%zu copied-on-write pages",
		     t[FILEP].kind, t[FILEP].mem, sizeof(cow_pages) / sizeof(cow_pages[0]));
	}
	/* the data, and only the data */
	if (t[DATA].mem != sizes[DATA] || t[DATA].raw_mem != sizes[DATA])
		fail("random data: %" PRIu64 " bytes, %" PRIu64 " raw; expected all %zu raw",
		     t[DATA].mem, t[DATA].raw_mem, sizes[DATA]);
	if (t[TEXT].mem != sizes[TEXT])
		fail("compressible data: %" PRIu64 " of %zu bytes", t[TEXT].mem, sizes[TEXT]);
	if (compress && (t[TEXT].lz4_mem != sizes[TEXT] || t[TEXT].stored > sizes[TEXT] / 2))
		fail("compressible data: %" PRIu64 " bytes as lz4, stored in %" PRIu64
		     "; expected all, in at most half",
		     t[TEXT].lz4_mem, t[TEXT].stored);
	if (!compress && (t[TEXT].lz4_mem || t[SPARSE].lz4_mem))
		fail("MTCP_COMPRESS=none, yet lz4 extents");
	if (t[SPARSE].mem != sizes[SPARSE] / SPARSE_STRIDE)
		fail("sparse: %" PRIu64 " bytes of memory, expected %zu (one page in %d)",
		     t[SPARSE].mem, sizes[SPARSE] / SPARSE_STRIDE, SPARSE_STRIDE);
	if (compress && t[SPARSE].stored > t[SPARSE].mem / 32)
		fail("sparse: %" PRIu64 " bytes stored for %" PRIu64 " of nearly empty pages",
		     t[SPARSE].stored, t[SPARSE].mem);
	if (t[SHANON].mem != SHANON_DATA)
		fail("shared anonymous: %" PRIu64 " bytes of memory, expected the %zu written",
		     t[SHANON].mem, (size_t)SHANON_DATA);

	/* and the header says how it was written */
	snprintf(cmd, sizeof(cmd), "'%s' --verify '%s'", restart, img);
	f = popen(cmd, "r");
	if (!f || !fgets(line, sizeof(line), f))
		fail("%s printed nothing", cmd);
	if (pclose(f))
		fail("%s: %s", cmd, line);
	mt_note("%s", line);
	if (want_write && !strcmp(want_write, "plain") && !strstr(line, "written with pwrite"))
		fail("MTCP_WRITE=plain, but: %s", line);
	if (want_write && !strcmp(want_write, "uring") && !strstr(line, "written with io_uring"))
		fail("MTCP_WRITE=uring, but: %s", line);
	if (want_scan && !strcmp(want_scan, "pagemap") && !strstr(line, ", pagemap"))
		fail("MTCP_SCAN=pagemap, but: %s", line);
	if (file_pages && !strstr(line, "file pages"))
		fail("MTCP_FILE_PAGES=1, but: %s", line);
	const char *want_direct = getenv("MTCP_DIRECT");
	if (want_direct && !strcmp(want_direct, "always") && !strstr(line, "+O_DIRECT"))
		fail("MTCP_DIRECT=always, but: %s", line);
	if (want_direct && !strcmp(want_direct, "never") && strstr(line, "+O_DIRECT"))
		fail("MTCP_DIRECT=never, but: %s", line);
	/* what the runner expects the writer to have fallen back to */
	const char *expect = getenv("MT_EXPECT_WRITTEN_WITH");
	if (expect) {
		char want[64];
		snprintf(want, sizeof(want), "written with %s", expect);
		if (!strstr(line, want))
			fail("expected an image %s, but: %s", want, line);
	}
}

int main(int argc, char **argv)
{
	const char *dir = mt_tmpdir();
	const char *cmp = getenv("MTCP_COMPRESS"), *fp = getenv("MTCP_FILE_PAGES");
	int swap = argc > 1 && !strcmp(argv[argc - 1], "swap");
	long rss_before, rss_after;
	size_t present;

	mt_test_init(argc, argv);
	setup(dir ? dir : ".", swap);
	rss_before = vm_rss_kib();
	mt_test_ready();

	/* 1. before anything is read: what did the restart fault in? */
	rss_after = vm_rss_kib();
	present = present_pages(reg[UNTOUCHED], sizes[UNTOUCHED]) +
		  present_pages(reg[READZERO], sizes[READZERO]) +
		  present_pages(reg[WZERO], sizes[WZERO]);
	mt_note("VmRSS %ld KiB before the checkpoint, %ld KiB after the restart", rss_before,
		rss_after);
	if (present)
		fail("%zu pages of the untouched, read-only and zero-written regions are "
		     "resident after the restart",
		     present);
	/* pages that were in swap are resident again, rightly */
	if (rss_after > rss_before + 4096 + (swap ? (long)(sizes[DATA] >> 10) : 0))
		fail("VmRSS %ld KiB after the restart, more than the %ld KiB before (+4 MiB)",
		     rss_after, rss_before);
	/* 2. every byte */
	for (int r = 0; r < NREG; r++)
		if (mt_crc32(0, reg[r], sizes[r]) != crc_before[r])
			fail("region %s changed across the restart", names[r]);
	for (size_t o = 0; o < sizes[FILEP]; o++) {
		unsigned char want = file_byte(o);
		if (o % PAGE == 5 && (o / PAGE == cow_pages[0] || o / PAGE == cow_pages[1]))
			want ^= 0x5a;
		if (reg[FILEP][o] != want || reg[SHFILE][o] != file_byte(o))
			fail("file mapping byte %zu differs", o);
	}
	/* 3. the image */
	check_image(fp && !strcmp(fp, "1"), !(cmp && !strcmp(cmp, "none")));
	pass();
}
