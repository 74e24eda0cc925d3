/* SPDX-License-Identifier: MIT */
/*
 * bench_workload.c: the workloads of bench_workload.h. Each keeps a
 * checksum of its data taken when it was built, so that a restarted copy
 * can prove its memory is intact; the threads workload wakes every thread
 * and has it check a pattern on its own stack; the rewrite workload parks
 * its writing thread and checks every word against what it must hold.
 */
#include "bench_workload.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define PAGE 4096u
#define SEED 88172645463325252ull /* the seed of randmem and write_baseline */
#define LIBDIR "/usr/lib/x86_64-linux-gnu"
#define CANARY_WORDS 32

static enum { W_RANDOM, W_ZERO, W_HEAP, W_SPARSE, W_LIBS, W_REWRITE, W_THREADS, W_EMPTY } kind;
static unsigned char *mem;  /* random, zero, sparse, libs, rewrite */
static size_t mem_len, stride, data_bytes;
static uint64_t sum0;
static unsigned rewrites; /* random: workload_rewrite calls (verify then knows the bytes moved) */

static uint64_t xorshift(uint64_t x)
{
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return x;
}

#define P1 0x9e3779b185ebca87ull
#define P2 0xc2b2ae3d27d4eb4full
#define P3 0x165667b19e3779f9ull
#define P4 0x85ebca77c2b2ae63ull

static uint64_t rotl(uint64_t x, int r)
{
	return (x << r) | (x >> (64 - r));
}

static uint64_t round1(uint64_t acc, uint64_t in)
{
	return rotl(acc + in * P2, 31) * P1;
}

static uint64_t merge(uint64_t h, uint64_t v)
{
	return (h ^ round1(0, v)) * P1 + P4;
}

/*
 * A checksum of len bytes (a multiple of 8), seeded with h: XXH64's rounds
 * and mixing on 8-byte words (not bit-compatible with XXH64). Four lanes
 * keep the multiplier's latency off the critical path; a round is a
 * bijection of its lane, so one changed word changes its lane for good.
 */
static uint64_t hash(const void *p, size_t len, uint64_t h)
{
	const uint64_t *w = p;
	uint64_t a = h + P1 + P2, b = h + P2, c = h, d = h - P1;
	size_t n = len / 8, i = 0;

	for (; i + 4 <= n; i += 4) {
		a = round1(a, w[i]);
		b = round1(b, w[i + 1]);
		c = round1(c, w[i + 2]);
		d = round1(d, w[i + 3]);
	}
	h = rotl(a, 1) + rotl(b, 7) + rotl(c, 12) + rotl(d, 18);
	h = merge(merge(merge(merge(h, a), b), c), d) + len;
	for (size_t t = 0; t < n % 4; t++) /* the last n % 4 words */
		h = rotl(h ^ round1(0, w[i + t]), 27) * P1 + P4;
	h ^= h >> 33;
	h *= P2;
	h ^= h >> 29;
	h *= P3;
	return h ^ (h >> 32);
}

/* a strict decimal count, 1..max */
static int count(const char *s, size_t max, size_t *out)
{
	char *end;
	unsigned long long v;

	if (!s || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || v == 0 || v > max)
		return -1;
	*out = (size_t)v;
	return 0;
}

static int map(size_t len, int flags)
{
	mem = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | flags, -1, 0);
	if (mem == MAP_FAILED) {
		fprintf(stderr, "bench_prog: mmap of %zu bytes: %s\n", len, strerror(errno));
		return -1;
	}
	mem_len = len;
	return 0;
}

static uint64_t sparse_sum(void)
{
	uint64_t h = 0;

	for (size_t off = 0; off < mem_len; off += stride * PAGE)
		h = hash(mem + off, PAGE, h);
	return h;
}

static unsigned char sparse_byte(size_t off)
{
	return (unsigned char)((off / PAGE) * 131 + 7) | 1; /* never 0 */
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* fills mem with the bytes of LIBDIR's shared libraries, in name order, cycled */
static int fill_libs(void)
{
	DIR *d = opendir(LIBDIR);
	struct dirent *e;
	char **names = NULL, path[4096];
	size_t n = 0, cap = 0, got = 0, pass_bytes;
	int dfd;

	if (!d) {
		fprintf(stderr, "bench_prog: %s: %s\n", LIBDIR, strerror(errno));
		return -1;
	}
	dfd = dirfd(d);
	while ((e = readdir(d))) {
		struct stat st;

		if (!strstr(e->d_name, ".so") || fstatat(dfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) ||
		    !S_ISREG(st.st_mode) || st.st_size == 0)
			continue;
		if (n == cap && !(names = realloc(names, (cap = cap * 2 + 64) * sizeof *names)))
			abort();
		if (!(names[n++] = strdup(e->d_name)))
			abort();
	}
	closedir(d);
	qsort(names, n, sizeof *names, cmp_names);
	while (got < mem_len) {
		pass_bytes = 0;
		for (size_t i = 0; i < n && got < mem_len; i++) {
			int fd;
			ssize_t r;

			snprintf(path, sizeof path, "%s/%s", LIBDIR, names[i]);
			if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
				continue;
			while (got < mem_len && (r = read(fd, mem + got, mem_len - got)) > 0) {
				got += (size_t)r;
				pass_bytes += (size_t)r;
			}
			close(fd);
		}
		if (pass_bytes == 0) {
			fprintf(stderr, "bench_prog: no readable shared library in %s\n", LIBDIR);
			return -1;
		}
	}
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return 0;
}

/* the threads workload: idle threads that check their stacks when asked */
static pthread_mutex_t tlock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t tgo = PTHREAD_COND_INITIALIZER, tdone = PTHREAD_COND_INITIALIZER;
static size_t nthreads, tstarted, tanswered, tbad;
static unsigned tgen;

static void *idle_thread(void *arg)
{
	uint64_t id = (uintptr_t)arg;
	volatile uint64_t canary[CANARY_WORDS];
	unsigned seen;

	for (unsigned k = 0; k < CANARY_WORDS; k++)
		canary[k] = xorshift(SEED + id * CANARY_WORDS + k);
	pthread_mutex_lock(&tlock);
	seen = tgen;
	tstarted++;
	pthread_cond_signal(&tdone);
	for (;;) {
		int ok = 1;

		while (tgen == seen)
			pthread_cond_wait(&tgo, &tlock);
		seen = tgen;
		pthread_mutex_unlock(&tlock);
		for (unsigned k = 0; k < CANARY_WORDS; k++)
			ok &= canary[k] == xorshift(SEED + id * CANARY_WORDS + k);
		pthread_mutex_lock(&tlock);
		tanswered++;
		tbad += !ok;
		pthread_cond_signal(&tdone);
	}
	return NULL;
}

static int start_threads(void)
{
	for (size_t i = 0; i < nthreads; i++) {
		pthread_t t;
		int err = pthread_create(&t, NULL, idle_thread, (void *)(uintptr_t)i);

		if (err) {
			fprintf(stderr, "bench_prog: thread %zu of %zu: %s\n", i + 1, nthreads,
				strerror(err));
			return -1;
		}
		pthread_detach(t);
	}
	pthread_mutex_lock(&tlock);
	while (tstarted < nthreads)
		pthread_cond_wait(&tdone, &tlock);
	pthread_mutex_unlock(&tlock);
	return 0;
}

static int verify_threads(char *why, size_t n)
{
	struct timespec dl;
	int err = 0;

	clock_gettime(CLOCK_REALTIME, &dl);
	dl.tv_sec += 10;
	pthread_mutex_lock(&tlock);
	tanswered = tbad = 0;
	tgen++;
	pthread_cond_broadcast(&tgo);
	while (tanswered < nthreads && err != ETIMEDOUT)
		err = pthread_cond_timedwait(&tdone, &tlock, &dl);
	if (tanswered < nthreads)
		snprintf(why, n, "only %zu of %zu threads answered within 10 s", tanswered, nthreads);
	else if (tbad)
		snprintf(why, n, "%zu of %zu threads found their stack changed", tbad, nthreads);
	err = tanswered < nthreads || tbad;
	pthread_mutex_unlock(&tlock);
	return err ? -1 : 0;
}

/*
 * The rewrite workload: random's bytes, and one thread that writes the
 * first word of every page, page after page, round after round, as fast as
 * it can: while an image is written in the background, every page is
 * copied on write (issue 10's worst case). In round R (1, 2, ...) page I's
 * first word becomes rw_word(I, R). The thread looks at rw_hold before each
 * page; verify sets it, and the thread then parks and says where it is
 * (round and page) until verify is done: every first word must then be of
 * this round (pages before the one it writes next), of the previous round
 * (the rest), or still random's (round 1), and every other word random's.
 * The round and the page live in the thread's registers and stack, so a
 * restarted copy carries on from where the image froze them.
 */
#define RW_WORDS (PAGE / 8) /* 8-byte words per page */

static pthread_mutex_t rlock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t rcond = PTHREAD_COND_INITIALIZER;
static int rw_hold;   /* verify wants the thread parked (read by it without the lock) */
static int rw_parked; /* it is, at round rw_round, about to write page rw_page */
static uint64_t rw_round;
static size_t rw_page;

static uint64_t rw_word(size_t page, uint64_t round)
{
	return rotl((uint64_t)page * P1 + round * P3, 29) ^ P4;
}

static void rw_park(uint64_t round, size_t page)
{
	pthread_mutex_lock(&rlock);
	rw_round = round;
	rw_page = page;
	rw_parked = 1;
	pthread_cond_broadcast(&rcond);
	while (__atomic_load_n(&rw_hold, __ATOMIC_RELAXED))
		pthread_cond_wait(&rcond, &rlock);
	rw_parked = 0;
	pthread_mutex_unlock(&rlock);
}

static void *rewriter(void *arg)
{
	uint64_t *w = (uint64_t *)mem;
	size_t pages = mem_len / PAGE;

	(void)arg;
	for (uint64_t round = 1;; round++)
		for (size_t i = 0; i < pages; i++) {
			if (__atomic_load_n(&rw_hold, __ATOMIC_ACQUIRE))
				rw_park(round, i);
			w[i * RW_WORDS] = rw_word(i, round);
		}
	return NULL;
}

static int start_rewriter(void)
{
	pthread_t t;
	int err = pthread_create(&t, NULL, rewriter, NULL);

	if (err) {
		fprintf(stderr, "bench_prog: rewrite thread: %s\n", strerror(err));
		return -1;
	}
	pthread_detach(t);
	return 0;
}

/* every word, the thread parked; the first difference in why */
static int rw_check(uint64_t round, size_t page, char *why, size_t n)
{
	const uint64_t *p = (const uint64_t *)mem;
	uint64_t x = SEED;

	for (size_t i = 0; i < mem_len / 8; i++) {
		uint64_t want = x = xorshift(x);
		size_t pg = i / RW_WORDS;

		if (i % RW_WORDS == 0 && (pg < page || round > 1))
			want = rw_word(pg, pg < page ? round : round - 1);
		if (p[i] != want) {
			snprintf(why, n, "word at offset %zu is %016llx, expected %016llx (the"
				 " writing thread is at page %zu of round %llu)", i * 8,
				 (unsigned long long)p[i], (unsigned long long)want, page,
				 (unsigned long long)round);
			return -1;
		}
	}
	return 0;
}

static int verify_rewrite(char *why, size_t n)
{
	struct timespec dl;
	int err = 0, rc = -1;

	clock_gettime(CLOCK_REALTIME, &dl);
	dl.tv_sec += 10;
	pthread_mutex_lock(&rlock);
	__atomic_store_n(&rw_hold, 1, __ATOMIC_RELEASE);
	while (!rw_parked && err != ETIMEDOUT)
		err = pthread_cond_timedwait(&rcond, &rlock, &dl);
	if (rw_parked)
		rc = rw_check(rw_round, rw_page, why, n);
	else
		snprintf(why, n, "the writing thread did not stop within 10 s");
	__atomic_store_n(&rw_hold, 0, __ATOMIC_RELAXED);
	pthread_cond_broadcast(&rcond);
	pthread_mutex_unlock(&rlock);
	return rc;
}

/*
 * The heap workload: what a program's malloc heap holds, made from the
 * xorshift stream seeded with SEED. Objects are malloc'd one after the
 * other until their sizes add up to MIB MiB exactly:
 *   sizes    70% 16..256 B, 27% 256 B..4 KiB, 3% 4..64 KiB (multiples of
 *            8; malloc adds its chunk headers between them, and glibc puts
 *            them all in the brk heap, below its mmap threshold)
 *   content  chosen per object:
 *            40% records: 8-byte fields, half small integers (0..999), 30%
 *                pointers into an earlier object (its address plus a small
 *                offset), 20% zero
 *            25% text: ASCII words from a short list, separated by spaces
 *                and now and then a newline, NUL-padded to the end
 *            15% zeroed (calloc), a length word at the start: zero runs
 *            20% arrays of 32-bit values 0..255, with runs of zeros
 * Each object's size, kind and content seed are three steps of the main
 * stream, so the same MIB always gives the same objects; only the pointer
 * values change from run to run (where malloc put the objects: ASLR), never
 * within one process. The checksum covers every object in allocation
 * order; verify replays the stream to find the first object that differs.
 */
#define HEAP_SMALL 70
#define HEAP_MEDIUM 97 /* cumulative percentages of the size classes */

struct heap_obj {
	size_t size;
	unsigned type; /* 0..99: the content, see above */
	uint64_t seed;
};

static const char *const heap_words[] = {
	"the",	  "of",	    "and",    "object",	 "value", "index", "buffer", "name",
	"thread", "memory", "page",   "restart", "file",  "error", "count",  "node",
	"list",	  "key",    "string", "table",	 "size",  "next",  "data",   "state",
};
#define HEAP_NWORDS (sizeof heap_words / sizeof heap_words[0])

static void **hobjs; /* the objects, in allocation order */
static size_t hcount;

/* the next object of the stream x, at most left bytes */
static void heap_plan(uint64_t *x, size_t left, struct heap_obj *o)
{
	uint64_t r = *x = xorshift(*x);
	unsigned cls = (unsigned)(r % 100);
	size_t size;

	*x = xorshift(*x);
	if (cls < HEAP_SMALL)
		size = 16 + *x % 241;
	else if (cls < HEAP_MEDIUM)
		size = 256 + *x % 3841;
	else
		size = 4096 + *x % 61441;
	size &= ~(size_t)7;
	o->size = size < left ? size : left;
	o->type = (unsigned)((r >> 32) % 100);
	o->seed = *x = xorshift(*x);
}

/* the content of object i (whose plan is o) into p */
static void heap_fill(unsigned char *p, const struct heap_obj *o, size_t i)
{
	uint64_t s = o->seed, *w = (uint64_t *)p;
	size_t n = o->size, k = 0;

	if (o->type < 40) {
		for (k = 0; k < n / 8; k++) {
			unsigned c;

			s = xorshift(s);
			c = (unsigned)(s % 10);
			if (c < 5)
				w[k] = (s >> 8) % 1000;
			else if (c < 8 && i)
				w[k] = (uint64_t)(uintptr_t)hobjs[(s >> 8) % i] + ((s >> 40) % 8) * 8;
			else
				w[k] = 0;
		}
	} else if (o->type < 65) {
		while (k + 1 < n) {
			const char *word;

			s = xorshift(s);
			word = heap_words[s % HEAP_NWORDS];
			while (*word && k + 1 < n)
				p[k++] = (unsigned char)*word++;
			if (k + 1 < n)
				p[k++] = (s >> 32) % 8 ? ' ' : '\n';
		}
		memset(p + k, 0, n - k);
	} else if (o->type < 80) {
		memset(p, 0, n);
		w[0] = n;
	} else {
		uint32_t *v = (uint32_t *)p;
		unsigned zeros = 0;

		for (k = 0; k < n / 4; k++) {
			if (zeros) {
				zeros--;
				v[k] = 0;
				continue;
			}
			s = xorshift(s);
			if (s % 16 == 0)
				zeros = (unsigned)((s >> 8) % 64);
			v[k] = (uint32_t)((s >> 16) % 256);
		}
	}
}

static int heap_build(size_t len)
{
	uint64_t x = SEED;
	size_t cap = 0, left = len;

	while (left) {
		struct heap_obj o;
		unsigned char *p;

		heap_plan(&x, left, &o);
		if (hcount == cap) {
			void **n = realloc(hobjs, (cap = cap * 2 + 4096) * sizeof *hobjs);

			if (!n)
				goto nomem;
			hobjs = n;
		}
		p = o.type >= 65 && o.type < 80 ? calloc(1, o.size) : malloc(o.size);
		if (!p)
			goto nomem;
		heap_fill(p, &o, hcount);
		hobjs[hcount++] = p;
		left -= o.size;
	}
	data_bytes = len;
	return 0;
nomem:
	fprintf(stderr, "bench_prog: heap: out of memory after %zu objects\n", hcount);
	return -1;
}

static uint64_t heap_sum(void)
{
	uint64_t x = SEED, h = 0;
	size_t left = data_bytes;

	for (size_t i = 0; i < hcount; i++) {
		struct heap_obj o;

		heap_plan(&x, left, &o);
		h = hash(hobjs[i], o.size, h);
		left -= o.size;
	}
	return h;
}

/* the first object that is not as built, in why */
static void heap_diff(char *why, size_t n)
{
	static unsigned char want[65536];
	uint64_t x = SEED;
	size_t left = data_bytes;

	for (size_t i = 0; i < hcount; i++) {
		struct heap_obj o;
		const unsigned char *p = hobjs[i];

		heap_plan(&x, left, &o);
		left -= o.size;
		heap_fill(want, &o, i);
		for (size_t k = 0; k < o.size; k++)
			if (p[k] != want[k]) {
				snprintf(why, n, "heap object %zu of %zu (%zu bytes at %p): byte %zu is %u,"
					 " expected %u", i, hcount, o.size, (const void *)p, k, p[k], want[k]);
				return;
			}
	}
}

int workload_init(int argc, char **argv)
{
	const char *w = argc > 0 ? argv[0] : "";
	size_t mib = 0;

	if (!strcmp(w, "empty") && argc == 1) {
		kind = W_EMPTY;
		return 0;
	}
	if (!strcmp(w, "threads") && argc == 2 && !count(argv[1], 16000, &nthreads)) {
		kind = W_THREADS;
		data_bytes = nthreads * CANARY_WORDS * 8;
		sum0 = nthreads;
		return start_threads();
	}
	if (argc < 2 || count(argv[1], (size_t)1 << 22, &mib)) {
		fprintf(stderr, "bench_prog: bad workload (random MIB | zero MIB | heap MIB"
				" | sparse MIB STRIDE | libs MIB | rewrite MIB | threads N | empty)\n");
		return -1;
	}
	if ((!strcmp(w, "random") || !strcmp(w, "rewrite")) && argc == 2) {
		uint64_t *p, x = SEED;

		kind = strcmp(w, "random") ? W_REWRITE : W_RANDOM;
		if (map(mib << 20, 0))
			return -1;
		p = (uint64_t *)mem;
		for (size_t i = 0; i < mem_len / 8; i++)
			p[i] = x = xorshift(x);
		data_bytes = mem_len;
		if (kind == W_REWRITE) {
			sum0 = hash(mem, mem_len, 0); /* as built: the thread is not started yet */
			return start_rewriter();
		}
	} else if (!strcmp(w, "zero") && argc == 2) {
		kind = W_ZERO;
		if (map(mib << 20, 0))
			return -1;
		memset(mem, 0, mem_len); /* written, so every page is resident */
		data_bytes = mem_len;
	} else if (!strcmp(w, "heap") && argc == 2) {
		kind = W_HEAP;
		if (heap_build(mib << 20))
			return -1;
		sum0 = heap_sum();
		return 0;
	} else if (!strcmp(w, "sparse") && argc == 3 && !count(argv[2], (size_t)1 << 30, &stride)) {
		kind = W_SPARSE;
		if (map(mib << 20, MAP_NORESERVE))
			return -1;
		for (size_t off = 0; off < mem_len; off += stride * PAGE)
			mem[off] = sparse_byte(off);
		data_bytes = (mem_len / PAGE + stride - 1) / stride;
		sum0 = sparse_sum();
		return 0;
	} else if (!strcmp(w, "libs") && argc == 2) {
		kind = W_LIBS;
		if (map(mib << 20, 0) || fill_libs())
			return -1;
		data_bytes = mem_len;
	} else {
		fprintf(stderr, "bench_prog: bad workload (random MIB | zero MIB | heap MIB"
				" | sparse MIB STRIDE | libs MIB | rewrite MIB | threads N | empty)\n");
		return -1;
	}
	sum0 = hash(mem, mem_len, 0);
	return 0;
}

/* a seed that differs from one call to the next and from run to run */
static uint64_t fresh_seed(void)
{
	struct timespec ts;
	uint64_t x;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	x = (uint64_t)ts.tv_nsec * P1 ^ (uint64_t)ts.tv_sec * P3 ^ (uint64_t)getpid() * P2 ^
	    (uint64_t)(rewrites + 1) * P4;
	return x ? x : SEED;
}

/* page i gets new random bytes from the stream x */
static void new_page(size_t i, uint64_t *x)
{
	uint64_t *w = (uint64_t *)(mem + i * PAGE);

	for (size_t k = 0; k < PAGE / 8; k++)
		w[k] = *x = xorshift(*x);
}

int workload_rewrite(double pct, int window, size_t *pages, char *why, size_t n)
{
	size_t total = mem_len / PAGE, want, done = 0;
	uint64_t x = fresh_seed(), y;

	if (kind != W_RANDOM) {
		snprintf(why, n, "rewrite: only the random workload rewrites pages");
		return -1;
	}
	if (!(pct > 0 && pct <= 100)) {
		snprintf(why, n, "rewrite: a percentage above 0 and at most 100");
		return -1;
	}
	want = (size_t)((double)total * pct / 100 + 0.5);
	if (want < 1)
		want = 1;
	if (want > total)
		want = total;
	y = xorshift(x ^ P1);
	if (window) {
		size_t first = total == want ? 0 : (size_t)((y = xorshift(y)) % (total - want + 1));

		for (size_t i = first; i < first + want; i++)
			new_page(i, &x);
		done = want;
	} else {
		/* Knuth's selection sampling: page i with chance (left to pick) / (left to see) */
		for (size_t i = 0; i < total && done < want; i++) {
			y = xorshift(y);
			if ((double)(y >> 11) * (1.0 / 9007199254740992.0) * (double)(total - i) <
			    (double)(want - done)) {
				new_page(i, &x);
				done++;
			}
		}
	}
	rewrites++;
	sum0 = hash(mem, mem_len, 0);
	*pages = done;
	return 0;
}

size_t workload_bytes(void)
{
	return data_bytes;
}

uint64_t workload_sum(void)
{
	return sum0;
}

int workload_verify(char *why, size_t n)
{
	uint64_t s, x = SEED;
	const uint64_t *p = (const uint64_t *)mem;

	switch (kind) {
	case W_EMPTY:
		return 0;
	case W_THREADS:
		return verify_threads(why, n);
	case W_REWRITE:
		return verify_rewrite(why, n);
	case W_HEAP:
		if ((s = heap_sum()) == sum0)
			return 0;
		snprintf(why, n, "checksum %016llx, expected %016llx (every object as built)",
			 (unsigned long long)s, (unsigned long long)sum0);
		heap_diff(why, n);
		return -1;
	case W_SPARSE:
		if ((s = sparse_sum()) == sum0)
			return 0;
		for (size_t off = 0; off < mem_len; off += stride * PAGE)
			for (size_t i = 0; i < PAGE; i++)
				if (mem[off + i] != (i ? 0 : sparse_byte(off))) {
					snprintf(why, n, "byte at offset %zu is %u", off + i, mem[off + i]);
					return -1;
				}
		break;
	default:
		if ((s = hash(mem, mem_len, 0)) == sum0)
			return 0;
		if (rewrites) /* the bytes are not random's stream any more: the sum alone */
			break;
		for (size_t i = 0; i < mem_len / 8; i++) {
			x = xorshift(x);
			if ((kind == W_RANDOM && p[i] != x) || (kind == W_ZERO && p[i])) {
				snprintf(why, n, "word at offset %zu is %016llx", i * 8,
					 (unsigned long long)p[i]);
				return -1;
			}
		}
		break;
	}
	snprintf(why, n, "checksum %016llx, expected %016llx", (unsigned long long)s,
		 (unsigned long long)sum0);
	return -1;
}
