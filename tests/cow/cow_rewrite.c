/* SPDX-License-Identifier: MIT */
/*
 * cow_rewrite.c - the proof that an image holds the memory of the pause
 * instant (issue 10, "Consistency is the point").  Driven by cow_rewrite.sh.
 *
 *   cow_rewrite DIR [MIB]
 *
 * Links libmtcp-fast and calls mtcp_init() (MTCP_* from the environment).
 * Seven areas of memory, MIB MiB each (default 14; the main thread's stack
 * 2 MiB), 86 MiB in all by default:
 *
 *   private-anon   mmap(MAP_PRIVATE | MAP_ANONYMOUS)
 *   heap           malloc() from the brk heap (mallopt: no mmap for it)
 *   thread-stack   an array on the rewriter thread's stack
 *   main-stack     an array on the main thread's stack ([stack])
 *   shared-anon    mmap(MAP_SHARED | MAP_ANONYMOUS)
 *   memfd          a memfd mapped MAP_SHARED (the fd stays open)
 *   private-file   DIR/cow_rewrite.file mapped MAP_PRIVATE: every page is
 *                  copied on write by the first pass
 *
 * Together they are N pages of 4 KiB, numbered j = 0..N-1 in that order.
 * One rewriter thread writes page after page, as fast as it can, forever:
 * after `done` pages written, page j holds generation
 *
 *     gen(done, j) = done > j ? (done - j - 1) / N + 1 : 0
 *
 * (generation 0 is what the setup wrote).  Generation g of page j is 512
 * words w[k] = (g << 32 | area << 28 | page in area) ^ mix[k]: every word
 * says which page and which pass wrote it.  After each whole page the
 * rewriter publishes `done` (release).  Before each page it calls
 * mtcp_restart_count(); when that changed, it starts no other page and
 * hands over to the verifier thread.
 *
 * A checkpoint parks the rewriter anywhere, also in the middle of a page.
 * The restarted rewriter goes on from there: it finishes that page with
 * the generation it was writing, publishes done, and stops.  So in a
 * restarted process, with D the final done, every page must hold exactly
 * gen(D, j): pages before the progress point the pass of the pause, pages
 * after it the pass before.  A page of a later pass is memory written after
 * the pause (the program ran on while the image was written, and the image
 * took it); an earlier pass or another page's words are lost data.  The
 * verifier names the area and page of each difference.
 *
 * Commands on stdin (one a line), answers on stdout:
 *   pass        -> "pass D P"          D pages done, P whole passes
 *   wait P      -> "pass D P'"         once P' >= P (or "timeout D P'"
 *                                      after 20 s)
 *   quit        -> "bye STATUS"        exits 0, or 1 after a failed check
 * At start: "ready PID PPID npages N restarts R".  After each restart,
 * from the verifier: "restarted PID PPID restarts R", then one line per
 * area ("OK AREA: ..." or "FAIL AREA ..."), then "verified OK done D
 * passes P" or "verified FAIL done D: K of N pages differ".  Then the
 * rewriter goes on (a chain of restarts checks every restart).
 */
#include <mtcp.h>

#include "cow_out.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define PAGE 4096u
#define WORDS (PAGE / 8u)
#define MSTACK_BYTES (2u << 20)
#define WAIT_S 20

enum { A_ANON, A_HEAP, A_TSTACK, A_MSTACK, A_SHANON, A_MEMFD, A_FILE, NAREA };

static const char *const area_name[NAREA] = {
	"private-anon", "heap", "thread-stack", "main-stack", "shared-anon", "memfd", "private-file",
};

struct area {
	unsigned char *base;
	size_t npages;
	size_t first; /* j of its first page */
};

static struct area areas[NAREA];
static size_t npages;            /* N */
static size_t area_bytes;        /* each area but main-stack */
static unsigned char **page_ptr; /* [N] */
static uint32_t *page_tag;       /* [N]: area << 28 | page in area */
static uint64_t mix[WORDS];

static uint64_t done;            /* pages written: published after each page */
static uint32_t passes;          /* done / N, futex word: woken at each pass end */
static uint32_t tstack_ready;    /* futex word: the thread stack holds generation 0 */
static uint32_t stopped;         /* futex word: 1 while the rewriter waits for the verifier */
static uint64_t stopped_done;
static unsigned long stopped_restarts;
static int verify_failures;

static long futex(uint32_t *uaddr, int op, uint32_t val, const struct timespec *ts)
{
	return syscall(SYS_futex, uaddr, op, val, ts, NULL, 0);
}

static void futex_wake_all(uint32_t *w)
{
	futex(w, FUTEX_WAKE_PRIVATE, INT32_MAX, NULL);
}



static uint64_t gen_of(uint64_t d, size_t j)
{
	return d > j ? (d - j - 1) / npages + 1 : 0;
}

static void fill_page(uint64_t *w, uint32_t tag, uint64_t g)
{
	uint64_t base = g << 32 | tag;

	for (unsigned k = 0; k < WORDS; k++)
		w[k] = base ^ mix[k];
}

static void fill_area(int a, uint64_t g)
{
	for (size_t p = 0; p < areas[a].npages; p++)
		fill_page((uint64_t *)(void *)(areas[a].base + p * PAGE), (uint32_t)(a << 28 | p), g);
}

static void *map_or_die(size_t len, int flags, int fd, const char *what)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, flags, fd, 0);

	if (p == MAP_FAILED)
		die("mmap of %s (%zu bytes): %s", what, len, strerror(errno));
	return p;
}

/* ---- the rewriter ---------------------------------------------------- */

/* After a restart: hand the final done to the verifier, wait until it has
 * looked at every page. */
static void stop_for_verifier(uint64_t d, unsigned long restarts)
{
	stopped_done = d;
	stopped_restarts = restarts;
	__atomic_store_n(&stopped, 1, __ATOMIC_RELEASE);
	futex_wake_all(&stopped);
	while (__atomic_load_n(&stopped, __ATOMIC_ACQUIRE) == 1)
		futex(&stopped, FUTEX_WAIT_PRIVATE, 1, NULL);
}

static void *rewriter_main(void *arg)
{
	unsigned char tstack[area_bytes] __attribute__((aligned(PAGE)));
	unsigned long seen;
	uint64_t d = 0;

	(void)arg;
	areas[A_TSTACK].base = tstack;
	for (size_t p = 0; p < areas[A_TSTACK].npages; p++) {
		page_ptr[areas[A_TSTACK].first + p] = tstack + p * PAGE;
	}
	fill_area(A_TSTACK, 0);
	__atomic_store_n(&tstack_ready, 1, __ATOMIC_RELEASE);
	futex_wake_all(&tstack_ready);

	seen = mtcp_restart_count();
	for (;;) {
		unsigned long r = mtcp_restart_count();
		size_t j;

		if (r != seen) {
			stop_for_verifier(d, r);
			seen = r;
		}
		j = (size_t)(d % npages);
		fill_page((uint64_t *)(void *)page_ptr[j], page_tag[j], d / npages + 1);
		d++;
		__atomic_store_n(&done, d, __ATOMIC_RELEASE);
		if (d % npages == 0) {
			__atomic_store_n(&passes, (uint32_t)(d / npages), __ATOMIC_RELEASE);
			futex_wake_all(&passes);
		}
	}
	return NULL;
}

/* ---- the verifier ---------------------------------------------------- */

/* Says what page j holds instead of generation want (into why). */
static void explain(size_t j, uint64_t want, uint64_t d, char *why, size_t len)
{
	const uint64_t *w = (const uint64_t *)(const void *)page_ptr[j];
	uint64_t glo = UINT64_MAX, ghi = 0;
	unsigned bad = 0, zero = 0, first_bad = WORDS;

	for (unsigned k = 0; k < WORDS; k++) {
		uint64_t x = w[k] ^ mix[k];
		if ((uint32_t)x != page_tag[j]) {
			if (first_bad == WORDS)
				first_bad = k;
			bad++;
			zero += !w[k];
			continue;
		}
		if (x >> 32 < glo)
			glo = x >> 32;
		if (x >> 32 > ghi)
			ghi = x >> 32;
	}
	if (bad && zero == bad) {
		snprintf(why, len, "%u of %u words are zero%s; expected generation %llu", bad, WORDS,
			 bad == WORDS ? " (the whole page)" : "", (unsigned long long)want);
	} else if (bad) {
		uint64_t x = w[first_bad] ^ mix[first_bad];
		snprintf(why, len, "%u of %u words are not this page's (word %u is 0x%016llx: "
			 "generation %llu of area %u page %u); expected generation %llu",
			 bad, WORDS, first_bad, (unsigned long long)w[first_bad],
			 (unsigned long long)(x >> 32), (unsigned)((uint32_t)x >> 28),
			 (unsigned)((uint32_t)x & 0x0fffffffu), (unsigned long long)want);
	} else if (glo != ghi) {
		snprintf(why, len, "torn: words of generations %llu..%llu, expected all %llu",
			 (unsigned long long)glo, (unsigned long long)ghi, (unsigned long long)want);
	} else if (glo > want) {
		snprintf(why, len, "generation %llu, from a later pass than the pause (expected %llu, "
			 "the pause was %llu pages into pass %llu): memory written after the pause "
			 "is in the image", (unsigned long long)glo, (unsigned long long)want,
			 (unsigned long long)(d % npages), (unsigned long long)(d / npages + 1));
	} else {
		snprintf(why, len, "generation %llu, from an earlier pass than the pause (expected "
			 "%llu): a write made before the pause is missing",
			 (unsigned long long)glo, (unsigned long long)want);
	}
}

static size_t verify(uint64_t d)
{
	size_t total_bad = 0;

	for (int a = 0; a < NAREA; a++) {
		const struct area *ar = &areas[a];
		uint64_t glo = UINT64_MAX, ghi = 0;
		size_t bad = 0;

		for (size_t p = 0; p < ar->npages; p++) {
			size_t j = ar->first + p;
			uint64_t want = gen_of(d, j);
			const uint64_t *w = (const uint64_t *)(const void *)page_ptr[j];
			uint64_t base = want << 32 | page_tag[j];
			int ok = 1;

			for (unsigned k = 0; k < WORDS; k++) {
				if (w[k] != (base ^ mix[k])) {
					ok = 0;
					break;
				}
			}
			if (want < glo)
				glo = want;
			if (want > ghi)
				ghi = want;
			if (ok)
				continue;
			if (bad < 4) {
				char why[400];
				explain(j, want, d, why, sizeof(why));
				out("FAIL %s page %zu of %zu: %s", area_name[a], p, ar->npages, why);
			}
			bad++;
		}
		if (bad)
			out("FAIL %s: %zu of %zu pages differ from the pause instant", area_name[a],
			    bad, ar->npages);
		else
			out("OK %s: %zu pages, generations %llu..%llu as at the pause", area_name[a],
			    ar->npages, (unsigned long long)glo, (unsigned long long)ghi);
		total_bad += bad;
	}
	return total_bad;
}

static void *verifier_main(void *arg)
{
	(void)arg;
	for (;;) {
		uint64_t d;
		size_t bad;

		while (__atomic_load_n(&stopped, __ATOMIC_ACQUIRE) != 1)
			futex(&stopped, FUTEX_WAIT_PRIVATE, 0, NULL);
		d = stopped_done;
		out("restarted %d %d restarts %lu", (int)getpid(), (int)getppid(), stopped_restarts);
		bad = verify(d);
		if (__atomic_load_n(&done, __ATOMIC_ACQUIRE) != d) {
			out("FAIL the rewriter wrote on while stopped: done %llu, was %llu",
			    (unsigned long long)__atomic_load_n(&done, __ATOMIC_ACQUIRE),
			    (unsigned long long)d);
			bad++;
		}
		if (bad) {
			__atomic_fetch_add(&verify_failures, 1, __ATOMIC_RELAXED);
			out("verified FAIL done %llu: %zu of %zu pages differ", (unsigned long long)d,
			    bad, npages);
		} else {
			out("verified OK done %llu passes %llu", (unsigned long long)d,
			    (unsigned long long)(d / npages));
		}
		__atomic_store_n(&stopped, 0, __ATOMIC_RELEASE);
		futex_wake_all(&stopped);
	}
	return NULL;
}

/* ---- setup and commands ---------------------------------------------- */

static void in_heap_or_die(const void *p, size_t len)
{
	char line[512];
	FILE *f = fopen("/proc/self/maps", "r");
	int found = 0;

	if (!f)
		die("/proc/self/maps: %s", strerror(errno));
	while (fgets(line, sizeof(line), f)) {
		unsigned long lo, hi;
		if (sscanf(line, "%lx-%lx", &lo, &hi) == 2 && strstr(line, "[heap]") &&
		    (uintptr_t)p >= lo && (uintptr_t)p + len <= hi)
			found = 1;
	}
	fclose(f);
	if (!found)
		die("the heap area %p (+%zu) is not inside [heap]", p, len);
}

static void setup_file(const char *dir)
{
	char path[4096];
	unsigned char *buf;
	int fd;

	snprintf(path, sizeof(path), "%s/cow_rewrite.file", dir);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		die("open %s: %s", path, strerror(errno));
	/* generation 0 goes into the file; the mapping's pages start clean */
	buf = map_or_die(area_bytes, MAP_PRIVATE | MAP_ANONYMOUS, -1, "a buffer");
	areas[A_FILE].base = buf;
	fill_area(A_FILE, 0);
	for (size_t off = 0; off < area_bytes;) {
		ssize_t w = write(fd, buf + off, area_bytes - off);
		if (w <= 0)
			die("write %s: %s", path, w < 0 ? strerror(errno) : "short");
		off += (size_t)w;
	}
	munmap(buf, area_bytes);
	areas[A_FILE].base = map_or_die(area_bytes, MAP_PRIVATE, fd, path);
	close(fd);
}

static void wait_flag(uint32_t *w, const char *what)
{
	uint64_t dl = now_ns() + (uint64_t)WAIT_S * 1000000000ull;

	while (!__atomic_load_n(w, __ATOMIC_ACQUIRE)) {
		struct timespec ts = { 0, 100000000 };
		if (now_ns() > dl)
			die("%s did not happen within %d s", what, WAIT_S);
		futex(w, FUTEX_WAIT_PRIVATE, 0, &ts);
	}
}

/* "wait P": until P whole passes are done. */
static void wait_passes(uint32_t want)
{
	uint64_t dl = now_ns() + (uint64_t)WAIT_S * 1000000000ull;
	uint32_t p;

	while ((p = __atomic_load_n(&passes, __ATOMIC_ACQUIRE)) < want) {
		struct timespec ts = { 0, 100000000 };
		if (now_ns() > dl) {
			out("timeout %llu %u", (unsigned long long)__atomic_load_n(&done, __ATOMIC_ACQUIRE),
			    p);
			return;
		}
		futex(&passes, FUTEX_WAIT_PRIVATE, p, &ts);
	}
	out("pass %llu %u", (unsigned long long)__atomic_load_n(&done, __ATOMIC_ACQUIRE),
	    __atomic_load_n(&passes, __ATOMIC_ACQUIRE));
}

static void command(const char *line)
{
	unsigned long v;

	if (!strcmp(line, "pass")) {
		out("pass %llu %u", (unsigned long long)__atomic_load_n(&done, __ATOMIC_ACQUIRE),
		    __atomic_load_n(&passes, __ATOMIC_ACQUIRE));
	} else if (sscanf(line, "wait %lu", &v) == 1) {
		wait_passes((uint32_t)v);
	} else if (!strcmp(line, "quit")) {
		int failed = __atomic_load_n(&verify_failures, __ATOMIC_RELAXED) != 0;
		out("bye %s", failed ? "FAIL" : "OK");
		exit(failed);
	} else {
		out("unknown command '%.100s'", line);
	}
}

int main(int argc, char **argv)
{
	unsigned char mstack[MSTACK_BYTES] __attribute__((aligned(PAGE)));
	unsigned long mib = 14;
	pthread_attr_t attr;
	pthread_t rw, vf;
	size_t j;
	unsigned char *heap;
	int rc, memfd;

	if (argc < 2 || argc > 3 || (argc == 3 && (mib = strtoul(argv[2], NULL, 10)) < 1)) {
		fprintf(stderr, "usage: cow_rewrite DIR [MIB]\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	if ((rc = mtcp_init(NULL)))
		die("mtcp_init: %s", strerror(-rc));
	area_bytes = mib << 20;

	for (unsigned k = 0; k < WORDS; k++) {
		/* splitmix64 of k: words that differ everywhere */
		uint64_t z = (k + 1) * 0x9e3779b97f4a7c15ull;
		z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
		z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
		mix[k] = z ^ (z >> 31);
	}

	/* where each area lives */
	areas[A_ANON].base = map_or_die(area_bytes, MAP_PRIVATE | MAP_ANONYMOUS, -1, "private-anon");
	if (!mallopt(M_MMAP_THRESHOLD, 32 << 20))
		die("mallopt(M_MMAP_THRESHOLD) refused");
	heap = malloc(area_bytes + PAGE);
	if (!heap)
		die("malloc(%zu) failed", area_bytes + PAGE);
	areas[A_HEAP].base = (unsigned char *)(((uintptr_t)heap + PAGE - 1) & ~(uintptr_t)(PAGE - 1));
	in_heap_or_die(areas[A_HEAP].base, area_bytes);
	areas[A_MSTACK].base = mstack;
	areas[A_SHANON].base = map_or_die(area_bytes, MAP_SHARED | MAP_ANONYMOUS, -1, "shared-anon");
	memfd = memfd_create("cow_rewrite", MFD_CLOEXEC);
	if (memfd < 0)
		die("memfd_create: %s", strerror(errno));
	if (ftruncate(memfd, (off_t)area_bytes))
		die("ftruncate(memfd): %s", strerror(errno));
	areas[A_MEMFD].base = map_or_die(area_bytes, MAP_SHARED, memfd, "memfd");
	setup_file(argv[1]);

	npages = 0;
	for (int a = 0; a < NAREA; a++) {
		areas[a].npages = (a == A_MSTACK ? MSTACK_BYTES : area_bytes) / PAGE;
		areas[a].first = npages;
		npages += areas[a].npages;
	}
	page_ptr = map_or_die(npages * sizeof(*page_ptr), MAP_PRIVATE | MAP_ANONYMOUS, -1, "page table");
	page_tag = map_or_die(npages * sizeof(*page_tag), MAP_PRIVATE | MAP_ANONYMOUS, -1, "page tags");
	for (int a = 0; a < NAREA; a++) {
		for (size_t p = 0; p < areas[a].npages; p++) {
			j = areas[a].first + p;
			page_tag[j] = (uint32_t)(a << 28 | p);
			if (a != A_TSTACK)
				page_ptr[j] = areas[a].base + p * PAGE;
		}
		if (a != A_TSTACK && a != A_FILE)
			fill_area(a, 0);
	}

	if ((rc = pthread_create(&vf, NULL, verifier_main, NULL)))
		die("pthread_create: %s", strerror(rc));
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, area_bytes + (2u << 20));
	if ((rc = pthread_create(&rw, &attr, rewriter_main, NULL)))
		die("pthread_create (stack %zu): %s", area_bytes + (2u << 20), strerror(rc));
	pthread_attr_destroy(&attr);
	wait_flag(&tstack_ready, "the rewriter's start");

	out("ready %d %d npages %zu restarts %lu", (int)getpid(), (int)getppid(), npages,
	    mtcp_restart_count());
	return command_loop(command);
}
