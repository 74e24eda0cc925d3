/* SPDX-License-Identifier: MIT */
/*
 * incr_prog.c - the program the incremental-image tests drive (issue 11;
 * tests/incr/README.md).
 *
 *   incr_prog DIR MIB
 *
 * Links libmtcp-fast and calls mtcp_init() (MTCP_* from the environment).
 * About MIB MiB of data (at least 16) in areas of several kinds, in this
 * order (the page numbers j of the 1% rewrites run over them all):
 *
 *   anon     7MIB/16 mmap(MAP_PRIVATE | MAP_ANONYMOUS); its last 1/16 is
 *                    left untouched at the start (pages never present)
 *   huge     MIB/16  private anonymous, 2 MiB aligned, MADV_HUGEPAGE
 *                    (transparent huge pages where the kernel has them)
 *   heap0..  MIB/8   malloc() from the brk heap, blocks of at most 16 MiB
 *   file     MIB/8   DIR/incr_prog.file mapped MAP_PRIVATE; every third
 *                    page written at the start (copied on write), the
 *                    others the file's
 *   zap      MIB/16  private anonymous: parts dropped (MADV_DONTNEED)
 *   remap    MIB/16  private anonymous: munmap + mmap of a part at the same
 *                    place
 *   move     MIB/16  private anonymous: mremap away and back, mremap to a
 *                    new place
 *   prot     MIB/32  private anonymous: made PROT_NONE, or its first half
 *                    PROT_READ, for one step, then read-write again
 *   grow     MIB/16  private anonymous, inside a PROT_NONE reservation of
 *                    MIB/8: grows by MIB/256 (mremap in place, or a new
 *                    mapping right after it), up to the reservation
 *   heapgK   1 MiB   malloc()'d at step K = 7, 17...: the brk heap grows
 *
 * The anonymous areas lie between PROT_NONE guard pages, so that each is
 * a mapping of its own (the kernel merges neighbours alike).
 *
 * Every page has a model value: GEN_ZERO (it must read as zero: never
 * written, dropped, or written with zeros), GEN_FILE (the file's bytes), or
 * the generation g >= 1 that last wrote it: 512 words derived from g, the
 * area and the page in the area.  The model lives in the program's memory,
 * so a restarted program checks itself against the model of its image.
 *
 * Commands on stdin (one a line), answers on stdout (one line each):
 *   step K [PCT] -> "stepped K ..." rewrites PCT% (default 1) of the pages,
 *                                 whole pages, with generation K (a
 *                                 different known set each K; the first 4
 *                                 with zeros; pages not writable now are
 *                                 left); and by K mod 10: drops, munmap +
 *                                 mmap, mremap away and back or to a new
 *                                 place, grows, mprotect
 *   ckpt     -> "ckpt PATH"        mtcp_checkpoint() returned
 *                                 MTCP_CHECKPOINTED; PATH: mtcp_last_image()
 *               "ckpt-fail RC"     it failed (RC: -errno)
 *               "restarted PID PPID RESTARTS"  in a process restarted from
 *                                 that image (the program goes on)
 *   digest   -> "digest DATA LAYOUT pages N zero Z zerobad B bad M"
 *                                 DATA: a hash of every byte of every area;
 *                                 LAYOUT: of each area's address and size;
 *                                 Z pages the model says are zero, B of
 *                                 them not zero; M pages (B included) that
 *                                 differ from the model ("FAIL ..." lines
 *                                 before the answer name the first ones)
 *   uffd     -> "uffd ok START LEN IOCTLS" | "uffd-fail WHY"
 *                                 a userfaultfd of the program's own
 *                                 (UFFDIO_API, then UFFDIO_REGISTER of the
 *                                 first half of "anon" with MODE_WP through
 *                                 glibc's ioctl()); nothing is ever
 *                                 write-protected, so no fault ever waits
 *   dump P   -> "dumped P"          writes every area to the file P: the
 *                                 number of areas (u64), then for each its
 *                                 name (16 bytes), address and pages (u64),
 *                                 and its bytes (for chain_check.py)
 *   spin     -> "spin started N" | "spin running D P" | "spin OK D P" |
 *               "spin FAIL ..."   the spinner: a thread that rewrites the N
 *                                 pages of an area of its own (4 MiB, not
 *                                 one of the areas above) page after page,
 *                                 16 pages a millisecond, as cow_rewrite
 *                                 does: after D pages written, page j holds
 *                                 generation D > j ? (D - j - 1) / N + 1 : 0.
 *                                 The first "spin" starts it.  In a restarted
 *                                 process it finishes the page it was in
 *                                 and stops; "spin" then checks every page
 *                                 against its D (the memory of the pause,
 *                                 though the thread wrote on through the
 *                                 checkpoint): OK or FAIL, with P passes
 *   quit     -> "bye"              exits 0
 * At start: "ready PID PPID npages N restarts R".
 */
#include "mtcp.h"

#include "../cow/cow_out.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <linux/futex.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define PAGE 4096ul
#define WORDS (PAGE / 8u)
#define MAX_AREAS 16
#define HEAP_BLOCK (16ul << 20)
#define HEAP_GROW (1ul << 20)       /* a block the heap grows by at step 7, 17... */
#define GEN_FILE 0u
#define GEN_ZERO 0xffffffffu
#ifndef UFFD_USER_MODE_ONLY
#define UFFD_USER_MODE_ONLY 1
#endif

enum kind { K_ANON, K_HUGE, K_HEAP, K_FILE, K_ZAP, K_REMAP, K_MOVE, K_PROT, K_GROW };

struct area {
	char name[16];
	enum kind kind;
	unsigned char *base;
	size_t npages;
	size_t cap;     /* pages the model has room for */
	uint32_t *gen;  /* [cap] */
	size_t locked;  /* its first pages are locked_prot (PROT_NONE or
			   PROT_READ) now, not read-write */
	int locked_prot;
};

static struct area areas[MAX_AREAS];
static int nareas;
static uint64_t mix[WORDS];
static size_t grow_max;           /* the grow area's reservation, pages */
static int uffd = -1;


static uint64_t splitmix(uint64_t z)
{
	z += 0x9e3779b97f4a7c15ull;
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* the seed of page p of area a in generation g (g = GEN_FILE: the file's) */
static uint64_t page_seed(int a, size_t p, uint32_t g)
{
	return splitmix((uint64_t)g << 40 ^ (uint64_t)a << 32 ^ p);
}

static void fill_page(unsigned char *dst, int a, size_t p, uint32_t g)
{
	uint64_t *w = (uint64_t *)(void *)dst;

	if (g == GEN_ZERO) {
		memset(dst, 0, PAGE);
		return;
	}
	uint64_t s = page_seed(a, p, g);
	for (unsigned k = 0; k < WORDS; k++)
		w[k] = s ^ mix[k];
}

static void write_page(int a, size_t p, uint32_t g)
{
	fill_page(areas[a].base + p * PAGE, a, p, g);
	areas[a].gen[p] = g;
}

static void *map_or_die(void *addr, size_t len, int prot, int flags, int fd, const char *what)
{
	void *p = mmap(addr, len, prot, flags, fd, 0);

	if (p == MAP_FAILED)
		die("mmap of %s (%zu bytes at %p): %s", what, len, addr, strerror(errno));
	if (addr && (flags & (MAP_FIXED | MAP_FIXED_NOREPLACE)) && p != addr)
		die("mmap of %s: at %p, not %p", what, p, addr);
	return p;
}

/* len bytes of private anonymous memory between two PROT_NONE guard
 * pages, inside a PROT_NONE reservation of room bytes (>= len) */
static unsigned char *map_guarded(size_t len, size_t room, const char *what)
{
	unsigned char *res = map_or_die(NULL, room + 2 * PAGE, PROT_NONE,
					MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, what);

	return map_or_die(res + PAGE, len, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, what);
}

static int add_area(const char *name, enum kind kind, unsigned char *base, size_t npages,
		    size_t cap)
{
	struct area *ar = &areas[nareas];

	if (nareas == MAX_AREAS)
		die("too many areas");
	snprintf(ar->name, sizeof(ar->name), "%s", name);
	ar->kind = kind;
	ar->base = base;
	ar->npages = npages;
	ar->cap = cap;
	ar->locked_prot = PROT_READ | PROT_WRITE;
	ar->gen = map_or_die(NULL, (cap * sizeof(uint32_t) + PAGE - 1) & ~(PAGE - 1),
			     PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, "a model");
	for (size_t p = 0; p < cap; p++)
		ar->gen[p] = GEN_ZERO;
	return nareas++;
}

static int find_area(enum kind kind)
{
	for (int a = 0; a < nareas; a++)
		if (areas[a].kind == kind)
			return a;
	die("no area of kind %d", kind);
}

static void in_heap_or_die(const void *p, size_t len)
{
	char line[512];
	FILE *f = fopen("/proc/self/maps", "r");
	uintptr_t s = (uintptr_t)p, e = s + len;
	size_t covered = 0;

	if (!f)
		die("/proc/self/maps: %s", strerror(errno));
	/* the heap may be several mappings (the part brk added since a
	 * checkpoint is not merged with a tracked one): all say [heap] */
	while (fgets(line, sizeof(line), f)) {
		unsigned long lo, hi;
		if (sscanf(line, "%lx-%lx", &lo, &hi) == 2 && strstr(line, "[heap]") && hi > s &&
		    lo < e)
			covered += (hi < e ? hi : e) - (lo > s ? lo : s);
	}
	fclose(f);
	if (covered != len)
		die("the heap block %p (+%zu) is not inside [heap]", p, len);
}

/* ---- setup ----------------------------------------------------------- */

static void setup(const char *dir, unsigned long mib)
{
	size_t anon = (mib << 20) / 16 * 7, heap = (mib << 20) / 8, file = (mib << 20) / 8;
	size_t small = (mib << 20) / 16;
	char path[4096];
	unsigned char *buf;
	int a, fd;

	for (unsigned k = 0; k < WORDS; k++)
		mix[k] = splitmix(k + 0x1234567ull);

	/* anon: the last 1/16 never touched at the start */
	a = add_area("anon", K_ANON,
		     map_guarded(anon, anon, "anon"),
		     anon / PAGE, anon / PAGE);
	for (size_t p = 0; p < areas[a].npages - areas[a].npages / 16; p++)
		write_page(a, p, 1);

	/* huge: 2 MiB aligned, in a reservation 2 MiB larger */
	{
		size_t hp = 2ul << 20;
		unsigned char *res = map_or_die(NULL, small + hp, PROT_NONE,
						MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1,
						"huge's reservation");
		unsigned char *at = (unsigned char *)(((uintptr_t)res + hp - 1) & ~(uintptr_t)(hp - 1));

		at = map_or_die(at, small, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, "huge");
		madvise(at, small, MADV_HUGEPAGE); /* a hint: EINVAL without THP */
		a = add_area("huge", K_HUGE, at, small / PAGE, small / PAGE);
		for (size_t p = 0; p < areas[a].npages; p++)
			write_page(a, p, 1);
	}

	/* heap: malloc'd blocks from brk */
	if (!mallopt(M_MMAP_THRESHOLD, 32 << 20))
		die("mallopt(M_MMAP_THRESHOLD) refused");
	for (int i = 0; heap > 0; i++) {
		size_t len = heap < HEAP_BLOCK ? heap : HEAP_BLOCK;
		unsigned char *m = malloc(len + PAGE), *base;
		char name[16];

		if (!m)
			die("malloc(%zu) failed", len + PAGE);
		base = (unsigned char *)(((uintptr_t)m + PAGE - 1) & ~(uintptr_t)(PAGE - 1));
		in_heap_or_die(base, len);
		snprintf(name, sizeof(name), "heap%d", i);
		a = add_area(name, K_HEAP, base, len / PAGE, len / PAGE);
		for (size_t p = 0; p < areas[a].npages; p++)
			write_page(a, p, 1);
		heap -= len;
	}

	/* file: the file's pages are generation GEN_FILE; every third page
	 * of the mapping written (a private copy) */
	snprintf(path, sizeof(path), "%s/incr_prog.file", dir);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		die("open %s: %s", path, strerror(errno));
	buf = map_or_die(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1,
			 "a buffer");
	a = nareas; /* the file area's number, for the file's page contents */
	for (size_t p = 0; p < file / PAGE; p++) {
		fill_page(buf, a, p, GEN_FILE);
		if (pwrite(fd, buf, PAGE, (off_t)(p * PAGE)) != (ssize_t)PAGE)
			die("write %s: %s", path, strerror(errno));
	}
	munmap(buf, PAGE);
	a = add_area("file", K_FILE,
		     map_or_die(NULL, file, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, path),
		     file / PAGE, file / PAGE);
	close(fd);
	for (size_t p = 0; p < areas[a].npages; p++) {
		if (p % 3 == 0)
			write_page(a, p, 1);
		else
			areas[a].gen[p] = GEN_FILE;
	}

	a = add_area("zap", K_ZAP, map_guarded(small, small, "zap"), small / PAGE, small / PAGE);
	for (size_t p = 0; p < areas[a].npages; p++)
		write_page(a, p, 1);
	a = add_area("remap", K_REMAP, map_guarded(small, small, "remap"), small / PAGE,
		     small / PAGE);
	for (size_t p = 0; p < areas[a].npages; p++)
		write_page(a, p, 1);
	a = add_area("move", K_MOVE, map_guarded(small, small, "move"), small / PAGE, small / PAGE);
	for (size_t p = 0; p < areas[a].npages; p++)
		write_page(a, p, 1);

	a = add_area("prot", K_PROT, map_guarded(small / 2, small / 2, "prot"), small / 2 / PAGE,
		     small / 2 / PAGE);
	for (size_t p = 0; p < areas[a].npages; p++)
		write_page(a, p, 1);

	/* grow: in a reservation twice its size; after it only the heap's
	 * later blocks (step 7, 17...) */
	grow_max = 2 * small / PAGE;
	a = add_area("grow", K_GROW, map_guarded(small, 2 * small, "grow"), small / PAGE, grow_max);
	for (size_t p = 0; p < areas[a].npages; p++)
		write_page(a, p, 1);
}

/* ---- step K ------------------------------------------------------------ */

static size_t total_pages(void)
{
	size_t n = 0;

	for (int a = 0; a < nareas; a++)
		n += areas[a].npages;
	return n;
}

static void page_of(size_t j, int *a, size_t *p)
{
	for (int i = 0; i < nareas; i++) {
		if (j < areas[i].npages) {
			*a = i;
			*p = j;
			return;
		}
		j -= areas[i].npages;
	}
	die("page %zu beyond the areas", j);
}

/* MADV_DONTNEED pages [p, p + n) of area a: zero (the file's bytes in a
 * private file mapping) */
static void drop(int a, size_t p, size_t n)
{
	struct area *ar = &areas[a];

	if (p + n > ar->npages)
		n = ar->npages - p;
	if (madvise(ar->base + p * PAGE, n * PAGE, MADV_DONTNEED))
		die("madvise(%s + %zu pages, %zu pages, MADV_DONTNEED): %s", ar->name, p, n,
		    strerror(errno));
	for (size_t i = p; i < p + n; i++)
		ar->gen[i] = ar->kind == K_FILE ? GEN_FILE : GEN_ZERO;
}

/* munmap + mmap of pages [p, p + n) of area a at the same place; the
 * first half of them written again with generation g */
static void unmap_map(int a, size_t p, size_t n, uint32_t g)
{
	struct area *ar = &areas[a];
	unsigned char *at = ar->base + p * PAGE;

	if (munmap(at, n * PAGE))
		die("munmap(%s + %zu pages): %s", ar->name, p, strerror(errno));
	map_or_die(at, n * PAGE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, "the same place again");
	for (size_t i = p; i < p + n; i++)
		ar->gen[i] = GEN_ZERO;
	for (size_t i = p; i < p + n / 2; i++)
		write_page(a, i, g);
}

/* mremap area a elsewhere; back to where it was unless `stay` */
static void move_area(int a, int stay)
{
	struct area *ar = &areas[a];
	size_t len = ar->npages * PAGE;
	unsigned char *to, *old = ar->base;

	/* a place for it: reserved, then replaced by the move */
	to = map_or_die(NULL, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1,
			"a place to move to");
	if (mremap(old, len, len, MREMAP_MAYMOVE | MREMAP_FIXED, to) != to)
		die("mremap(%s, to %p): %s", ar->name, to, strerror(errno));
	ar->base = to;
	if (stay)
		return;
	if (mremap(to, len, len, MREMAP_MAYMOVE | MREMAP_FIXED, old) != old)
		die("mremap(%s, back to %p): %s", ar->name, old, strerror(errno));
	ar->base = old;
}

/* the grow area by n pages: mremap in place, or a new mapping right after
 * it; the first half of the new pages written with generation g */
static void grow(int a, size_t n, int by_mremap, uint32_t g)
{
	struct area *ar = &areas[a];
	size_t old = ar->npages;
	unsigned char *end = ar->base + old * PAGE;

	if (old + n > grow_max)
		n = grow_max - old;
	if (!n)
		return;
	if (by_mremap) {
		/* its last page, the end of its last mapping (it may be several
		 * since an earlier grow), made longer in place */
		if (munmap(end, n * PAGE))
			die("munmap of the reservation after grow: %s", strerror(errno));
		if (mremap(end - PAGE, PAGE, (1 + n) * PAGE, 0) != end - PAGE)
			die("mremap(grow's last page, 1 -> %zu pages) in place: %s", 1 + n,
			    strerror(errno));
	} else {
		map_or_die(end, n * PAGE, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, "grow's new part");
	}
	ar->npages = old + n;
	for (size_t i = old; i < old + n; i++)
		ar->gen[i] = GEN_ZERO;
	for (size_t i = old; i < old + n / 2; i++)
		write_page(a, i, g);
}

/* the first n pages of area a get prot (PROT_NONE, PROT_READ, or
 * read-write again with n = 0) */
static void lock_area(int a, size_t n, int prot)
{
	struct area *ar = &areas[a];
	size_t len = (n ? n : ar->locked) * PAGE;

	if (len && mprotect(ar->base, len, n ? prot : PROT_READ | PROT_WRITE))
		die("mprotect(%s, %zu pages): %s", ar->name, len / PAGE, strerror(errno));
	ar->locked = n;
	ar->locked_prot = n ? prot : PROT_READ | PROT_WRITE;
}

static void step(unsigned long k, unsigned pct)
{
	uint32_t g = (uint32_t)k + 1; /* generation 1 is the setup's */
	int zap = find_area(K_ZAP), rem = find_area(K_REMAP), mv = find_area(K_MOVE);
	int gr = find_area(K_GROW), pr = find_area(K_PROT);
	int an = find_area(K_ANON), hp = find_area(K_HEAP), fl = find_area(K_FILE);
	char what[200] = "";
	size_t n, cnt, done = 0;

	if (g == GEN_ZERO || g == GEN_FILE)
		die("step %lu: no such generation", k);
	switch (k % 10) {
	case 1:
	case 6: /* drops: zap (an eighth), anon */
		n = areas[zap].npages / 8;
		drop(zap, (k / 5 % 8) * n, n);
		drop(an, (k * 64) % (areas[an].npages - 64), 64);
		snprintf(what, sizeof(what), " dropped");
		break;
	case 2:
	case 7: /* munmap + mmap of an eighth of remap */
		n = areas[rem].npages / 8;
		unmap_map(rem, (k / 5 % 8) * n, n, g);
		snprintf(what, sizeof(what), " unmapped-mapped");
		if (k % 10 == 7 && nareas < MAX_AREAS) {
			/* the brk heap grows: a new block, a new area (last) */
			unsigned char *m = malloc(HEAP_GROW + PAGE), *base;
			char name[16];
			int a;

			if (!m)
				die("malloc(%lu) failed", HEAP_GROW + PAGE);
			base = (unsigned char *)(((uintptr_t)m + PAGE - 1) & ~(uintptr_t)(PAGE - 1));
			in_heap_or_die(base, HEAP_GROW);
			snprintf(name, sizeof(name), "heapg%u", (unsigned)(k % 1000));
			a = add_area(name, K_HEAP, base, HEAP_GROW / PAGE, HEAP_GROW / PAGE);
			for (size_t p = 0; p < areas[a].npages; p++)
				write_page(a, p, g);
			snprintf(what + strlen(what), sizeof(what) - strlen(what), " heap-grown");
		}
		break;
	case 3: /* remap away and back */
		move_area(mv, 0);
		snprintf(what, sizeof(what), " moved-back");
		break;
	case 8: /* remap to a new place */
		move_area(mv, 1);
		snprintf(what, sizeof(what), " moved %p", (void *)areas[mv].base);
		break;
	case 4:
	case 9: /* grow */
		grow(gr, areas[gr].cap / 32, k % 10 == 4, g); /* MIB/256 */
		snprintf(what, sizeof(what), " grown %zu", areas[gr].npages);
		break;
	case 5: /* drops in the heap and the file */
		drop(hp, (k * 32) % (areas[hp].npages - 32), 32);
		drop(fl, (k * 16) % (areas[fl].npages - 16), 16);
		lock_area(pr, areas[pr].npages / 2, PROT_READ);
		snprintf(what, sizeof(what), " heap-file-dropped half-read-only");
		break;
	case 0: /* drops in the file (its bytes again) */
		drop(fl, (k * 16) % (areas[fl].npages - 16), 16);
		lock_area(pr, areas[pr].npages, PROT_NONE);
		snprintf(what, sizeof(what), " file-dropped prot-none");
		break;
	default:
		break;
	}
	/* what was locked one step ago is read-write again */
	if (k % 10 == 1 || k % 10 == 6) {
		lock_area(pr, 0, 0);
		snprintf(what + strlen(what), sizeof(what) - strlen(what), " unlocked");
	}

	/* pct% of the pages, whole pages: j = ((k * cnt + i) * 101) mod N,
	 * a different run of i each k; the first 4 written with zeros */
	n = total_pages();
	cnt = n * pct / 100;
	for (size_t i = 0; i < cnt; i++) {
		size_t j = ((k * cnt + i) * 101) % n, p;
		int a;

		page_of(j, &a, &p);
		if (p < areas[a].locked)
			continue;
		write_page(a, p, i < 4 ? GEN_ZERO : g);
		done++;
	}
	out("stepped %lu pages %zu written %zu%s", k, n, done, what);
}

/* ---- digest ------------------------------------------------------------ */

static uint64_t hash_words(uint64_t h, const uint64_t *w, size_t n)
{
	for (size_t i = 0; i < n; i++)
		h = (h ^ w[i]) * 0x100000001b3ull + (h >> 29);
	return h;
}

static void digest(void)
{
	uint64_t data = 0xcbf29ce484222325ull, layout = 0x84222325cbf29ce4ull;
	size_t npages = 0, zero = 0, zerobad = 0, bad = 0;
	static unsigned char want[PAGE] __attribute__((aligned(64)));

	for (int a = 0; a < nareas; a++) {
		const struct area *ar = &areas[a];
		uint64_t l[5] = { (uint64_t)a, (uint64_t)(uintptr_t)ar->base, ar->npages, ar->locked,
				  (uint64_t)ar->locked_prot };

		layout = hash_words(layout, l, 5);
		for (size_t p = 0; p < ar->npages; p++) {
			const unsigned char *pg = ar->base + p * PAGE;
			uint32_t g = ar->gen[p];

			if (p < ar->locked && ar->locked_prot == PROT_NONE)
				continue; /* unreadable now: checked once read-write again */
			data = hash_words(data, (const uint64_t *)(const void *)pg, WORDS);
			fill_page(want, a, p, g);
			if (g == GEN_ZERO)
				zero++;
			if (memcmp(pg, want, PAGE)) {
				if (bad < 6) {
					const uint64_t *w = (const uint64_t *)(const void *)pg;
					out("FAIL %s page %zu (at %p): want %s%s, word 0 is %#llx", ar->name,
					    p, (const void *)pg,
					    g == GEN_ZERO ? "zeros" : g == GEN_FILE ? "the file's" : "gen",
					    g == GEN_ZERO || g == GEN_FILE ? "" : " (see the model)",
					    (unsigned long long)w[0]);
				}
				bad++;
				if (g == GEN_ZERO)
					zerobad++;
			}
		}
		npages += ar->npages;
	}
	out("digest %016llx %016llx pages %zu zero %zu zerobad %zu bad %zu",
	    (unsigned long long)data, (unsigned long long)layout, npages, zero, zerobad, bad);
}

/* ---- uffd ---------------------------------------------------------------- */

static void own_uffd(void)
{
	int an = find_area(K_ANON);
	struct uffdio_api api = { .api = UFFD_API, .features = 0 };
	struct uffdio_register reg;

	if (uffd < 0) {
		uffd = (int)syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK | UFFD_USER_MODE_ONLY);
		if (uffd < 0) {
			out("uffd-fail userfaultfd: %s", strerror(errno));
			return;
		}
		if (ioctl(uffd, UFFDIO_API, &api)) {
			out("uffd-fail UFFDIO_API: %s", strerror(errno));
			return;
		}
	}
	memset(&reg, 0, sizeof(reg));
	reg.range.start = (uint64_t)(uintptr_t)areas[an].base;
	reg.range.len = areas[an].npages / 2 * PAGE;
	reg.mode = UFFDIO_REGISTER_MODE_WP;
	if (ioctl(uffd, UFFDIO_REGISTER, &reg)) {
		out("uffd-fail UFFDIO_REGISTER(%#llx, %llu bytes, MODE_WP): %s",
		    (unsigned long long)reg.range.start, (unsigned long long)reg.range.len,
		    strerror(errno));
		return;
	}
	out("uffd ok %#llx %llu %#llx", (unsigned long long)reg.range.start,
	    (unsigned long long)reg.range.len, (unsigned long long)reg.ioctls);
}

/* ---- dump ---------------------------------------------------------------- */

static int write_all(int fd, const void *buf, size_t len)
{
	const unsigned char *p = buf;

	while (len) {
		ssize_t w = write(fd, p, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

static void dump(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	uint64_t n = (uint64_t)nareas;
	int rc;

	if (fd < 0) {
		out("dump-fail %s: %s", path, strerror(errno));
		return;
	}
	rc = write_all(fd, &n, 8);
	for (int a = 0; !rc && a < nareas; a++) {
		char name[16] = { 0 };
		uint64_t h[2] = { (uint64_t)(uintptr_t)areas[a].base, areas[a].npages };

		memcpy(name, areas[a].name, strnlen(areas[a].name, sizeof(name)));
		if (areas[a].locked && areas[a].locked_prot == PROT_NONE)
			mprotect(areas[a].base, areas[a].locked * PAGE, PROT_READ);
		rc = write_all(fd, name, 16) || write_all(fd, h, 16) ||
		     write_all(fd, areas[a].base, areas[a].npages * PAGE);
		if (areas[a].locked && areas[a].locked_prot == PROT_NONE)
			mprotect(areas[a].base, areas[a].locked * PAGE, PROT_NONE);
	}
	if (close(fd) || rc)
		out("dump-fail %s: %s", path, strerror(errno));
	else
		out("dumped %s", path);
}

/* ---- the spinner --------------------------------------------------------- */

#define SPIN_PAGES 1024u
#define SPIN_TAG 0x5f000000u
static unsigned char *spin_base;
static uint64_t spin_done;      /* pages written, published after each */
static uint32_t spin_stopped;   /* futex word: 1 once it stopped after a restart */
static int spin_on;

static uint64_t spin_gen(uint64_t d, size_t j)
{
	return d > j ? (d - j - 1) / SPIN_PAGES + 1 : 0;
}

static void spin_fill(size_t j, uint64_t g)
{
	uint64_t *w = (uint64_t *)(void *)(spin_base + j * PAGE);
	uint64_t s = splitmix(g << 32 ^ SPIN_TAG ^ j);

	for (unsigned k = 0; k < WORDS; k++)
		w[k] = s ^ mix[k];
}

static void *spinner(void *arg)
{
	unsigned long seen = mtcp_restart_count();
	uint64_t d = 0;

	(void)arg;
	for (;;) {
		for (int i = 0; i < 16; i++) {
			if (mtcp_restart_count() != seen) {
				/* restarted: the page in flight was finished; stop */
				__atomic_store_n(&spin_stopped, 1, __ATOMIC_RELEASE);
				syscall(SYS_futex, &spin_stopped, FUTEX_WAKE_PRIVATE, INT32_MAX, NULL, NULL, 0);
				for (;;)
					pause();
			}
			spin_fill((size_t)(d % SPIN_PAGES), d / SPIN_PAGES + 1);
			d++;
			__atomic_store_n(&spin_done, d, __ATOMIC_RELEASE);
		}
		/* pacing only (not a synchronisation): a few % of a core */
		struct timespec ts = { 0, 1000000 };
		nanosleep(&ts, NULL);
	}
	return NULL;
}

static void spin(void)
{
	uint64_t d, bad = 0;

	if (!spin_on) {
		pthread_t t;
		int rc;

		spin_base = map_guarded(SPIN_PAGES * PAGE, SPIN_PAGES * PAGE, "spin");
		for (size_t j = 0; j < SPIN_PAGES; j++)
			spin_fill(j, 0);
		if ((rc = pthread_create(&t, NULL, spinner, NULL))) {
			out("spin FAIL pthread_create: %s", strerror(rc));
			return;
		}
		spin_on = 1;
		out("spin started %u", SPIN_PAGES);
		return;
	}
	if (!__atomic_load_n(&spin_stopped, __ATOMIC_ACQUIRE)) {
		if (mtcp_restart_count() == 0) {
			d = __atomic_load_n(&spin_done, __ATOMIC_ACQUIRE);
			out("spin running %llu %llu", (unsigned long long)d,
			    (unsigned long long)(d / SPIN_PAGES));
			return;
		}
		/* restarted: it stops at its next page (bounded wait) */
		struct timespec ts = { 10, 0 };
		syscall(SYS_futex, &spin_stopped, FUTEX_WAIT_PRIVATE, 0, &ts, NULL, 0);
		if (!__atomic_load_n(&spin_stopped, __ATOMIC_ACQUIRE)) {
			out("spin FAIL the spinner did not stop within 10 s of the restart");
			return;
		}
	}
	d = __atomic_load_n(&spin_done, __ATOMIC_ACQUIRE);
	for (size_t j = 0; j < SPIN_PAGES; j++) {
		uint64_t g = spin_gen(d, j), s = splitmix(g << 32 ^ SPIN_TAG ^ j);
		const uint64_t *w = (const uint64_t *)(const void *)(spin_base + j * PAGE);
		unsigned k;

		for (k = 0; k < WORDS && w[k] == (s ^ mix[k]); k++)
			;
		if (k == WORDS)
			continue;
		if (bad++ < 4) {
			/* which generation it holds, if any near */
			long found = -1;
			for (uint64_t h = g > 3 ? g - 3 : 0; h <= g + 3 && found < 0; h++)
				if (w[0] == (splitmix(h << 32 ^ SPIN_TAG ^ j) ^ mix[0]))
					found = (long)h;
			out("FAIL spin page %zu: generation %llu expected (done %llu), it holds %s%ld", j,
			    (unsigned long long)g, (unsigned long long)d,
			    found < 0 ? "no generation near: " : "generation ", found);
		}
	}
	if (bad)
		out("spin FAIL %llu of %u pages differ from the pause, done %llu",
		    (unsigned long long)bad, SPIN_PAGES, (unsigned long long)d);
	else
		out("spin OK %llu %llu", (unsigned long long)d, (unsigned long long)(d / SPIN_PAGES));
}

/* ---- commands -------------------------------------------------------- */

static void command(const char *line)
{
	unsigned long v;
	unsigned pct;

	if (sscanf(line, "step %lu %u", &v, &pct) == 2 && pct >= 1 && pct <= 100) {
		step(v, pct);
	} else if (sscanf(line, "step %lu", &v) == 1) {
		step(v, 1);
	} else if (!strcmp(line, "ckpt")) {
		char path[4096];
		int rc = mtcp_checkpoint();

		if (rc == MTCP_CHECKPOINTED) {
			if (mtcp_last_image(path, sizeof(path)) < 0)
				out("ckpt-fail mtcp_last_image");
			else
				out("ckpt %s", path);
		} else if (rc == MTCP_RESTARTED) {
			out("restarted %d %d %lu", (int)getpid(), (int)getppid(),
			    mtcp_restart_count());
		} else {
			out("ckpt-fail %d %s", rc, rc < 0 ? strerror(-rc) : "?");
		}
	} else if (!strcmp(line, "digest")) {
		digest();
	} else if (!strncmp(line, "dump ", 5)) {
		dump(line + 5);
	} else if (!strcmp(line, "spin")) {
		spin();
	} else if (!strcmp(line, "uffd")) {
		own_uffd();
	} else if (!strcmp(line, "quit")) {
		out("bye");
		exit(0);
	} else {
		out("unknown command '%.100s'", line);
	}
}

int main(int argc, char **argv)
{
	unsigned long mib = 0;
	int rc;

	if (argc != 3 || (mib = strtoul(argv[2], NULL, 10)) < 16 || mib > 4096) {
		fprintf(stderr, "usage: incr_prog DIR MIB (16..4096)\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	if ((rc = mtcp_init(NULL)))
		die("mtcp_init: %s", strerror(-rc));
	setup(argv[1], mib);
	out("ready %d %d npages %zu restarts %lu", (int)getpid(), (int)getppid(), total_pages(),
	    mtcp_restart_count());
	return command_loop(command);
}
