/* SPDX-License-Identifier: MIT */
/*
 * test_sink.c - the writer's sink on a real file (in /var/tmp: a disk file
 * system, where O_DIRECT means something), once through io_uring and once
 * with pwrite(): hundreds of writes at explicit offsets out of order, some
 * from slot buffers whose in-flight counters say when they may be reused;
 * O_DIRECT writes mixed with buffered ones; the fall back to the page
 * cache when O_DIRECT refuses a write (EINVAL); a sticky first error; the
 * ring's mappings.  The file's bytes are compared with an image built in
 * memory after every case.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sink.h"

#define PG 4096u
#define KIB 1024u
#define MIB (1u << 20)
#define NSLOTS 6
#define SLOT_LEN (512u * KIB)
#define TMP_DIR "/var/tmp"

#include "test_rng.h"

static void fill_random(void *p, size_t n)
{
	unsigned char *c = p;

	for (size_t i = 0; i < n; i += 8) {
		uint64_t v = rnd();
		memcpy(c + i, &v, n - i < 8 ? n - i : 8);
	}
}

/*-************************************
 *  Fixture: a temporary file, two modes
 **************************************/

struct mode {
	int uring;
};
static struct mode m_uring = { 1 }, m_plain = { 0 };

struct fx {
	const struct mode *m;
	char dir[64], path[96];
	int fd, dfd;            /* buffered and O_DIRECT, both read-write */
	char *slots[NSLOTS];    /* SLOT_LEN each, page aligned */
	struct iovec iov[NSLOTS];
	int32_t inflight[NSLOTS];
	struct sink s;
};

static int fx_setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	f->m = *state;
	snprintf(f->dir, sizeof(f->dir), "%s/test_sink.XXXXXX", TMP_DIR);
	if (!mkdtemp(f->dir))
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/image", f->dir);
	f->fd = open(f->path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	f->dfd = open(f->path, O_RDWR | O_DIRECT | O_CLOEXEC);
	if (f->fd < 0 || f->dfd < 0)
		return -1;
	for (int i = 0; i < NSLOTS; i++) {
		f->slots[i] = aligned_alloc(PG, SLOT_LEN);
		if (!f->slots[i])
			return -1;
		memset(f->slots[i], 0, SLOT_LEN);
		f->iov[i] = (struct iovec){ f->slots[i], SLOT_LEN };
	}
	*state = f;
	return 0;
}

static int fx_teardown(void **state)
{
	struct fx *f = *state;

	if (f->fd >= 0)
		close(f->fd);
	if (f->dfd >= 0)
		close(f->dfd);
	unlink(f->path);
	rmdir(f->dir);
	for (int i = 0; i < NSLOTS; i++)
		free(f->slots[i]);
	free(f);
	return 0;
}

/* 1 if io_uring must work here: kernel.io_uring_disabled is 0 */
static int uring_expected(void)
{
	FILE *p = fopen("/proc/sys/kernel/io_uring_disabled", "r");
	int v = -1;

	if (p) {
		if (fscanf(p, "%d", &v) != 1)
			v = -1;
		fclose(p);
	}
	if (v != 0)
		print_message("kernel.io_uring_disabled is %d: sink.uring not asserted\n", v);
	return v == 0;
}

static void open_sink(struct fx *f, int fd, int dfd)
{
	sink_open(&f->s, fd, dfd, f->m->uring, f->iov, NSLOTS, f->inflight);
	if (!f->m->uring)
		assert_int_equal(f->s.uring, 0);
	else if (uring_expected())
		assert_int_equal(f->s.uring, 1);
	assert_int_equal(f->s.err, 0);
	assert_int_equal(f->s.inflight, 0);
}

/* Waits until slot k's buffer may be written again. */
static void slot_wait(struct fx *f, int k)
{
	while (f->inflight[k]) {
		if (!f->s.inflight)
			fail_msg("slot %d counts %d writes, the sink has none in flight", k,
				 f->inflight[k]);
		assert_int_equal(sink_submit(&f->s), 0);
		assert_int_equal(sink_reap(&f->s, 1), 0);
	}
}

/* The file is exactly img (size and bytes). */
static void check_file(int fd, const unsigned char *img, size_t len)
{
	struct stat st;
	unsigned char *b = malloc(len ? len : 1);
	size_t got = 0;

	assert_non_null(b);
	assert_int_equal(fstat(fd, &st), 0);
	assert_int_equal((uint64_t)st.st_size, len);
	while (got < len) {
		ssize_t n = pread(fd, b + got, len - got, (off_t)got);
		assert_true(n > 0);
		got += (size_t)n;
	}
	for (size_t i = 0; i < len; i++)
		if (b[i] != img[i])
			fail_msg("file byte %zu is %#x, expected %#x", i, b[i], img[i]);
	free(b);
}

static void check_drained(struct fx *f, uint64_t bytes)
{
	assert_int_equal(sink_drain(&f->s), 0);
	assert_int_equal(f->s.err, 0);
	assert_int_equal(f->s.inflight, 0);
	assert_int_equal(f->s.nfree, SINK_DEPTH);
	for (int k = 0; k < NSLOTS; k++)
		assert_int_equal(f->inflight[k], 0);
	assert_int_equal(f->s.bytes, bytes);
}

/*-************************************
 *  Cases
 **************************************/

/* 200 writes of 1 B .. 300 KiB at explicit offsets, in random order, some
 * from slot buffers reused as soon as their counter is back to 0, holes
 * left unwritten. */
static void scatter(void **state)
{
	struct fx *f = *state;
	enum { NSEG = 200 };
	uint64_t off[NSEG], len[NSEG], total = 0, bytes = 0;
	int order[NSEG], hole[NSEG];
	unsigned char *img;
	int max_inflight = 0;

	rng_state = 11 + (uint64_t)f->m->uring;
	for (int i = 0; i < NSEG; i++) {
		len[i] = 1 + rnd() % (rnd() % 2 ? 300 * KIB : 4 * KIB);
		off[i] = total;
		total += len[i];
		hole[i] = i != NSEG - 1 && rnd() % 10 == 0;
		order[i] = i;
	}
	for (int i = NSEG - 1; i > 0; i--) {
		int k = (int)(rnd() % (uint64_t)(i + 1)), t = order[i];
		order[i] = order[k];
		order[k] = t;
	}
	img = malloc(total);
	assert_non_null(img);
	fill_random(img, total);
	for (int i = 0; i < NSEG; i++)
		if (hole[i])
			memset(img + off[i], 0, len[i]);

	open_sink(f, f->fd, -1);
	if (f->s.uring && geteuid() == 0)
		assert_int_equal(f->s.fixed, 1); /* root: no RLIMIT_MEMLOCK charge */
	assert_int_equal(sink_write(&f->s, 0, img, 0, 12345, -1), 0); /* nothing */
	for (int n = 0; n < NSEG; n++) {
		int i = order[n];

		if (hole[i])
			continue;
		if (rnd() % 3 == 0) {
			int k = (int)(rnd() % NSLOTS);
			uint64_t o = rnd() % (SLOT_LEN - len[i] + 1);

			slot_wait(f, k);
			/* the old contents must not reach the file any more */
			memset(f->slots[k], 0xee, SLOT_LEN);
			memcpy(f->slots[k] + o, img + off[i], len[i]);
			assert_int_equal(sink_write(&f->s, 0, f->slots[k] + o, len[i], off[i], k), 0);
			/* counted until reaped (never, plainly: done at once) */
			assert_int_equal(f->inflight[k], f->s.uring ? 1 : 0);
		} else {
			assert_int_equal(sink_write(&f->s, 0, img + off[i], len[i], off[i], -1), 0);
		}
		bytes += len[i];
		if (f->s.inflight > max_inflight)
			max_inflight = f->s.inflight;
		if (rnd() % 8 == 0)
			assert_int_equal(sink_submit(&f->s), 0);
		if (rnd() % 16 == 0)
			assert_int_equal(sink_reap(&f->s, 0), 0);
		assert_true(f->s.inflight <= SINK_DEPTH);
	}
	if (f->s.uring)
		assert_true(max_inflight > 1);
	else
		assert_int_equal(max_inflight, 0);
	check_drained(f, bytes);
	assert_int_equal(sink_close(&f->s), 0);
	assert_int_equal(f->s.uring, 0);
	check_file(f->fd, img, total);
	free(img);
}

/* The pages of a file that are in the page cache, from mincore. */
static void resident_pages(int fd, size_t len, unsigned char *vec)
{
	void *p = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0);

	assert_true(p != MAP_FAILED);
	assert_int_equal(mincore(p, len, vec), 0);
	munmap(p, len);
}

/* O_DIRECT writes of whole pages (from memory and from registered slot
 * buffers) mixed with buffered writes of odd sizes to the other pages. */
static void direct_mixed(void **state)
{
	struct fx *f = *state;
	enum { NPG = 1024, MAXW = 2048 };
	struct w {
		uint64_t off, len;
		int direct;
	} w[MAXW];
	int nw = 0;
	unsigned char *img = aligned_alloc(PG, (size_t)NPG * PG), vec[NPG];
	static int is_direct[NPG];
	uint64_t bytes = 0;

	assert_non_null(img);
	rng_state = 21 + (uint64_t)f->m->uring;
	fill_random(img, (size_t)NPG * PG);
	/* runs of 1..64 pages, direct or buffered */
	for (int pg = 0; pg < NPG;) {
		int n = 1 + (int)(rnd() % 64), d = (int)(rnd() % 2);
		if (n > NPG - pg)
			n = NPG - pg;
		for (int i = 0; i < n; i++)
			is_direct[pg + i] = d;
		if (d) {
			w[nw++] = (struct w){ (uint64_t)pg * PG, (uint64_t)n * PG, 1 };
		} else {
			/* in pieces of any size */
			uint64_t a = (uint64_t)pg * PG, end = a + (uint64_t)n * PG;
			while (a < end) {
				uint64_t l = 1 + rnd() % (3 * PG);
				if (l > end - a)
					l = end - a;
				w[nw++] = (struct w){ a, l, 0 };
				a += l;
			}
		}
		pg += n;
	}
	assert_true(nw <= MAXW);
	for (int i = nw - 1; i > 0; i--) {
		int k = (int)(rnd() % (uint64_t)(i + 1));
		struct w t = w[i];
		w[i] = w[k];
		w[k] = t;
	}

	open_sink(f, f->fd, f->dfd);
	for (int i = 0; i < nw; i++) {
		const unsigned char *src = img + w[i].off;

		if (w[i].direct && w[i].len <= SLOT_LEN && rnd() % 2) {
			int k = (int)(rnd() % NSLOTS);
			slot_wait(f, k);
			memcpy(f->slots[k], src, w[i].len);
			assert_int_equal(sink_write(&f->s, 1, f->slots[k], w[i].len, w[i].off, k), 0);
		} else {
			assert_int_equal(sink_write(&f->s, w[i].direct, src, w[i].len, w[i].off, -1),
					 0);
		}
		bytes += w[i].len;
	}
	check_drained(f, bytes);
	/* nothing was refused: O_DIRECT is still in use */
	assert_int_equal(f->s.dfd, f->dfd);
	assert_int_equal(sink_close(&f->s), 0);
	/* direct pages never went through the page cache (looked at before
	 * anything reads the file) */
	resident_pages(f->fd, (size_t)NPG * PG, vec);
	for (int pg = 0; pg < NPG; pg++)
		if (is_direct[pg] && (vec[pg] & 1))
			fail_msg("page %d was written direct but is in the page cache", pg);
	check_file(f->fd, img, (size_t)NPG * PG);
	free(img);
}

/* 1 if O_DIRECT refuses a write from buf (misaligned) with EINVAL. */
static int direct_refuses(struct fx *f, const void *buf)
{
	ssize_t n = pwrite(f->dfd, buf, PG, 0);

	if (n >= 0 || errno != EINVAL) {
		print_message("O_DIRECT took a misaligned buffer here (%zd, errno %d): skipped\n",
			      n, n < 0 ? errno : 0);
		return 0;
	}
	return 1;
}

/* A misaligned buffer given as direct: O_DIRECT refuses it, the bytes
 * still land (through the page cache) and dfd becomes -1; later direct
 * writes go through the page cache. */
static void einval_fallback(void **state)
{
	struct fx *f = *state;
	unsigned char *img = aligned_alloc(PG, 8 * PG), *odd = aligned_alloc(PG, 2 * PG);
	uint64_t bytes = 0;

	assert_non_null(img);
	assert_non_null(odd);
	rng_state = 31;
	fill_random(img, 8 * PG);
	if (!direct_refuses(f, odd + 1)) {
		free(img);
		free(odd);
		skip();
	}
	open_sink(f, f->fd, f->dfd);
	/* aligned and direct: goes direct */
	assert_int_equal(sink_write(&f->s, 1, img, 2 * PG, 0, -1), 0);
	bytes += 2 * PG;
	/* misaligned buffer */
	memcpy(odd + 1, img + 2 * PG, PG);
	assert_int_equal(sink_write(&f->s, 1, odd + 1, PG, 2 * PG, 0), 0);
	bytes += PG;
	check_drained(f, bytes);
	assert_int_equal(f->s.dfd, -1);
	/* direct asked, page cache used */
	assert_int_equal(sink_write(&f->s, 1, img + 3 * PG, 5 * PG, 3 * PG, -1), 0);
	bytes += 5 * PG;
	check_drained(f, bytes);
	assert_int_equal(sink_close(&f->s), 0);
	check_file(f->fd, img, 8 * PG);
	free(img);
	free(odd);
}

/* More refused direct writes than the ring holds, queued back to back:
 * the refusals are reaped while later direct writes are being queued. */
static void einval_fallback_many(void **state)
{
	struct fx *f = *state;
	enum { N = 3 * SINK_DEPTH };
	unsigned char *img = aligned_alloc(PG, (size_t)N * PG);
	unsigned char *odd = aligned_alloc(PG, (size_t)N * PG + PG);
	uint64_t bytes = 0;

	assert_non_null(img);
	assert_non_null(odd);
	rng_state = 41;
	fill_random(img, (size_t)N * PG);
	memcpy(odd + 1, img, (size_t)N * PG);
	if (!direct_refuses(f, odd + 1)) {
		free(img);
		free(odd);
		skip();
	}
	open_sink(f, f->fd, f->dfd);
	for (int i = 0; i < N; i++) {
		uint64_t o = (uint64_t)i * PG;
		/* every third one aligned, the others misaligned */
		const unsigned char *src = i % 3 == 0 ? img + o : odd + 1 + o;
		int rc = sink_write(&f->s, 1, src, PG, o, -1);
		if (rc)
			fail_msg("write %d of %d: %d (%s)", i, N, rc, strerror(-rc));
		bytes += PG;
	}
	check_drained(f, bytes);
	assert_int_equal(f->s.dfd, -1);
	assert_int_equal(sink_close(&f->s), 0);
	check_file(f->fd, img, (size_t)N * PG);
	free(img);
	free(odd);
}

/* Writes after an error: every call returns the first error, nothing more
 * is queued or written, the slot counters still come back to 0. */
static void sticky_error(void **state)
{
	struct fx *f = *state;
	int rofd = open(f->path, O_RDONLY | O_CLOEXEC);
	static char buf[8 * PG];
	uint64_t bytes;
	struct stat st;

	assert_true(rofd >= 0);
	memset(buf, 'x', sizeof(buf));
	sink_open(&f->s, rofd, -1, f->m->uring, f->iov, NSLOTS, f->inflight);
	for (int i = 0; i < 10; i++) {
		memset(f->slots[0], 'y', PG);
		int rc = sink_write(&f->s, 0, f->slots[0], PG, (uint64_t)i * PG, 0);
		if (!f->s.uring) {
			assert_int_equal(rc, -EBADF);
			break;
		}
		/* queued: the error comes with the completion */
		if (rc) {
			assert_int_equal(rc, -EBADF);
			break;
		}
	}
	assert_int_equal(sink_drain(&f->s), -EBADF);
	assert_int_equal(f->s.err, -EBADF);
	assert_int_equal(f->s.inflight, 0);
	assert_int_equal(f->inflight[0], 0);
	bytes = f->s.bytes;
	/* every later call says so, and does nothing */
	assert_int_equal(sink_write(&f->s, 0, buf, sizeof(buf), 0, 1), -EBADF);
	assert_int_equal(f->s.inflight, 0);
	assert_int_equal(f->inflight[1], 0);
	assert_int_equal(f->s.bytes, bytes);
	assert_int_equal(sink_submit(&f->s), -EBADF);
	assert_int_equal(sink_reap(&f->s, 0), -EBADF);
	assert_int_equal(sink_drain(&f->s), -EBADF);
	assert_int_equal(sink_close(&f->s), -EBADF);
	close(rofd);

	/* a failing O_DIRECT descriptor (EBADF, not EINVAL) is an error, not a
	 * fall back; the buffered writes after it are not done */
	rofd = open(f->path, O_RDONLY | O_DIRECT | O_CLOEXEC);
	assert_true(rofd >= 0);
	sink_open(&f->s, f->fd, rofd, f->m->uring, f->iov, NSLOTS, f->inflight);
	assert_int_equal(sink_write(&f->s, 0, buf, PG, 0, -1), 0);
	sink_write(&f->s, 1, f->slots[2], PG, PG, 2);
	assert_int_equal(sink_drain(&f->s), -EBADF);
	assert_int_equal(f->s.dfd, rofd);
	assert_int_equal(f->inflight[2], 0);
	assert_int_equal(sink_write(&f->s, 0, buf, PG, 4 * PG, -1), -EBADF);
	assert_int_equal(sink_close(&f->s), -EBADF);
	assert_int_equal(fstat(f->fd, &st), 0);
	assert_int_equal(st.st_size, PG); /* only the write before the error */
	close(rofd);
}

/* Until the ring holds n completions not yet reaped (bounded: 10 s). */
static void wait_cqes(struct sink *s, unsigned n)
{
	for (int i = 0; io_uring_cq_ready(&s->ring) < n; i++) {
		if (i == 10000)
			fail_msg("no completion after 10 s");
		usleep(1000);
	}
}

/* Two failing writes: the error kept is that of the first to complete. */
static void first_error_kept(void **state)
{
	struct fx *f = *state;
	static char buf[PG];
	void *bad = mmap(NULL, PG, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	const uint64_t far = 1ull << 50; /* past ext4's largest file: EFBIG */

	assert_true(bad != MAP_FAILED);
	for (int first = 0; first < 2; first++) {
		int e1 = first ? -EFAULT : -EFBIG, e2 = first ? -EFBIG : -EFAULT;

		open_sink(f, f->fd, -1);
		assert_int_equal(sink_write(&f->s, 0, first ? bad : buf, PG, first ? 0 : far, -1),
				 f->s.uring ? 0 : e1);
		if (f->s.uring) {
			/* the second is queued once the first has completed, and
			 * both completions are reaped together, in order */
			assert_int_equal(sink_submit(&f->s), 0);
			wait_cqes(&f->s, 1);
			assert_int_equal(sink_write(&f->s, 0, first ? buf : bad, PG,
						    first ? far : 0, -1), 0);
			assert_int_equal(sink_submit(&f->s), 0);
			wait_cqes(&f->s, 2);
		} else {
			assert_int_equal(sink_write(&f->s, 0, first ? buf : bad, PG,
						    first ? far : 0, -1), e1);
		}
		assert_int_equal(sink_drain(&f->s), e1);
		assert_int_equal(f->s.err, e1);
		assert_true(e1 != e2);
		assert_int_equal(sink_close(&f->s), e1);
	}
	munmap(bad, PG);
}

/* The ring's mappings: 2 or 3 non-empty ranges, each inside a mapping of
 * /proc/self/maps; none on the plain path. */
static void mappings(void **state)
{
	struct fx *f = *state;
	uint64_t r[3][2];
	int n;

	open_sink(f, f->fd, -1);
	n = sink_mappings(&f->s, r);
	if (!f->s.uring) {
		assert_int_equal(n, 0);
		assert_int_equal(sink_close(&f->s), 0);
		return;
	}
	assert_true(n == 2 || n == 3);
	for (int i = 0; i < n; i++) {
		FILE *maps = fopen("/proc/self/maps", "r");
		char line[512];
		int inside = 0;

		assert_non_null(maps);
		assert_true(r[i][0] < r[i][1]);
		assert_int_equal(r[i][0] % PG, 0);
		for (int k = 0; k < i; k++)
			assert_true(r[i][1] <= r[k][0] || r[i][0] >= r[k][1]);
		while (fgets(line, sizeof(line), maps)) {
			unsigned long long a, b;
			if (sscanf(line, "%llx-%llx", &a, &b) == 2 && r[i][0] >= a && r[i][1] <= b)
				inside = 1;
		}
		fclose(maps);
		if (!inside)
			fail_msg("range %d %#llx-%#llx is not mapped", i, (unsigned long long)r[i][0],
				 (unsigned long long)r[i][1]);
	}
	assert_int_equal(sink_close(&f->s), 0);
	assert_int_equal(sink_mappings(&f->s, r), 0);
}

/* each case once per path, named after it */
#define BOTH(fn)                                                 \
	{ #fn " (io_uring)", fn, fx_setup, fx_teardown, &m_uring }, \
	{ #fn " (pwrite)", fn, fx_setup, fx_teardown, &m_plain }

int main(void)
{
	const struct CMUnitTest tests[] = {
		BOTH(scatter),
		BOTH(direct_mixed),
		BOTH(einval_fallback),
		BOTH(einval_fallback_many),
		BOTH(sticky_error),
		BOTH(first_error_kept),
		BOTH(mappings),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
