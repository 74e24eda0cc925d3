/* SPDX-License-Identifier: MIT */
/* shim.c - the C side of the micro-benchmarks (see shim.h). */
#include "shim.h"
#include "crc32c.h"
#include "lz4_block.h"
#include "sink.h"

#include <errno.h>
#include <fcntl.h>
#include <lz4.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define PG 4096ul
#define SCAN_SCRATCH (8u << 20) /* the engine's SCRATCH_PAGEMAP_LEN */

static char errbuf[4400];

const char *shim_error(void)
{
	return errbuf;
}

/* Keeps "what: strerror(err)" for shim_error(); returns -err. */
static int set_error(const char *what, int err)
{
	snprintf(errbuf, sizeof(errbuf), "%s: %s", what, strerror(err));
	return -err;
}

const char *shim_micro_dir(void)
{
	const char *d = getenv("MICRO_DIR");
	return d && *d ? d : "/var/tmp";
}

char *shim_alloc(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED) {
		set_error("mmap", errno);
		return NULL;
	}
	memset(p, 0, len); /* every page faulted in: a private page, not the zero page */
	return p;
}

/*-- data -------------------------------------------------------------------*/

static uint64_t rng_next(uint64_t *s)
{
	/* xorshift64* */
	uint64_t x = *s;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 0x2545F4914F6CDD1Dull;
}

static void fill_random(char *p, size_t len, uint64_t seed)
{
	uint64_t s = seed | 1;

	for (size_t i = 0; i + 8 <= len; i += 8) {
		uint64_t v = rng_next(&s);
		memcpy(p + i, &v, 8);
	}
}

static const char *const words[32] = {
	"the", "of", "and", "to", "in", "is", "for", "that", "with", "on", "as", "by",
	"error", "file", "user", "value", "name", "path", "request", "status", "config", "buffer",
	"server", "client", "thread", "memory", "result", "default", "string", "object", "index",
	"session",
};

/* One 64-byte object of heap-like data (see shim.h). */
static void heap_object(char *o, uint64_t *s)
{
	unsigned pick = (unsigned)(rng_next(s) % 100);
	uint64_t w[8];

	if (pick < 35) {
		for (int i = 0; i < 8; i++)
			w[i] = rng_next(s) % 1024;
	} else if (pick < 60) {
		for (int i = 0; i < 8; i++)
			w[i] = 0x555555a00000ull + (rng_next(s) % (256ull << 20) & ~15ull);
	} else if (pick < 75) {
		memset(w, 0, sizeof(w));
	} else {
		char *t = (char *)w;
		size_t n = 0;
		while (n < sizeof(w)) {
			const char *wd = words[rng_next(s) % 32];
			size_t l = strlen(wd);
			for (size_t k = 0; k < l && n < sizeof(w); k++)
				t[n++] = wd[k];
			if (n < sizeof(w))
				t[n++] = ' ';
		}
	}
	memcpy(o, w, sizeof(w));
}

static void fill_heap(char *p, size_t len, uint64_t seed)
{
	uint64_t s = seed | 1;

	for (size_t pg = 0; pg + PG <= len; pg += PG) {
		if (rng_next(&s) % 16 == 0) {
			memset(p + pg, 0, PG);
			continue;
		}
		for (size_t o = 0; o < PG; o += 64)
			heap_object(p + pg + o, &s);
	}
}

static int fill_libs(char *p, size_t len)
{
	const char *path = getenv("MICRO_LIB");
	size_t have = 0;
	int fd;

	if (!path || !*path)
		path = "/usr/lib/x86_64-linux-gnu/libc.so.6";
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		set_error(path, errno);
		return -1;
	}
	/* first copy read from the file, then repeated */
	while (have < len) {
		ssize_t n = read(fd, p + have, len - have);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			set_error(path, errno);
			close(fd);
			return -1;
		}
		if (n == 0)
			break;
		have += (size_t)n;
	}
	close(fd);
	if (!have) {
		snprintf(errbuf, sizeof(errbuf), "%s: empty", path);
		return -1;
	}
	for (size_t off = have; off < len; off += have)
		memcpy(p + off, p, len - off < have ? len - off : have);
	return 0;
}

const char *shim_data(int kind)
{
	static char *bufs[SHIM_NDATA];
	char *p;

	if (kind < 0 || kind >= SHIM_NDATA) {
		snprintf(errbuf, sizeof(errbuf), "no data kind %d", kind);
		return NULL;
	}
	if (bufs[kind])
		return bufs[kind];
	if (!(p = shim_alloc(SHIM_BUF_LEN)))
		return NULL;
	switch (kind) {
	case SHIM_ZERO:
		break; /* shim_alloc wrote every page with zeros */
	case SHIM_RANDOM:
		fill_random(p, SHIM_BUF_LEN, 0x6d74637066617374ull);
		break;
	case SHIM_HEAP:
		fill_heap(p, SHIM_BUF_LEN, 0x68656170ull);
		break;
	case SHIM_LIBS:
		if (fill_libs(p, SHIM_BUF_LEN)) {
			munmap(p, SHIM_BUF_LEN);
			return NULL;
		}
		break;
	}
	return bufs[kind] = p;
}

/*-- page classification ------------------------------------------------------*/

char *shim_sparse_map(size_t len, size_t every)
{
	static char *base;
	static size_t base_len, base_every;
	char *p;

	if (base && base_len == len && base_every == every)
		return base;
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
		 -1, 0);
	if (p == MAP_FAILED) {
		set_error("mmap", errno);
		return NULL;
	}
	/* a huge page would make a whole 2 MiB present */
	madvise(p, len, MADV_NOHUGEPAGE);
	for (size_t off = 0; off < len; off += every * PG)
		p[off] = 1;
	if (base)
		munmap(base, base_len);
	base = p;
	base_len = len;
	base_every = every;
	return p;
}

int shim_scan_open(struct page_scan *ps, int force_pagemap)
{
	static void *scratch;
	int rc;

	if (!scratch && !(scratch = shim_alloc(SCAN_SCRATCH)))
		return -ENOMEM;
	rc = ps_open(ps, force_pagemap, scratch, SCAN_SCRATCH);
	if (rc)
		return set_error("ps_open", -rc);
	if (!force_pagemap && ps->backend != PS_BACKEND_SCAN_IOCTL) {
		ps_close(ps);
		snprintf(errbuf, sizeof(errbuf), "no PAGEMAP_SCAN ioctl in this kernel (6.7+)");
		return -ENOSYS;
	}
	return 0;
}

void shim_scan_close(struct page_scan *ps)
{
	ps_close(ps);
}

const char *shim_scan_backend_name(void)
{
	struct page_scan ps;
	static char page[64 << 10] __attribute__((aligned(8)));
	const char *name = "none";

	if (ps_open(&ps, 0, page, sizeof(page)) == 0) {
		name = ps.backend == PS_BACKEND_SCAN_IOCTL ? "PAGEMAP_SCAN ioctl"
							   : "/proc/self/pagemap";
		ps_close(&ps);
	}
	return name;
}

int shim_count_run(void *arg, const struct ps_run *run)
{
	struct shim_scan_count *c = arg;

	c->runs++;
	c->pages += (run->end - run->start) / PG;
	return 0;
}

/*-- chunk encoding -----------------------------------------------------------*/

int shim_chunk_new(struct shim_chunk *c)
{
	memset(c, 0, sizeof(*c));
	if (chunk_lz4_state_size() > (int)CHUNK_LZ4_STATE) {
		snprintf(errbuf, sizeof(errbuf), "LZ4_sizeofState() %d > CHUNK_LZ4_STATE",
			 chunk_lz4_state_size());
		return -EOVERFLOW;
	}
	c->job = (struct chunk_job *)shim_alloc(sizeof(*c->job));
	c->lz4_state = shim_alloc(CHUNK_LZ4_STATE);
	if (c->job)
		c->job->out = shim_alloc(CHUNK_OUT_CAP);
	if (!c->job || !c->lz4_state || !c->job->out) {
		shim_chunk_free(c);
		return -ENOMEM;
	}
	return 0;
}

void shim_chunk_free(struct shim_chunk *c)
{
	if (c->job && c->job->out)
		munmap(c->job->out, CHUNK_OUT_CAP);
	if (c->job)
		munmap(c->job, sizeof(*c->job));
	if (c->lz4_state)
		munmap(c->lz4_state, CHUNK_LZ4_STATE);
	memset(c, 0, sizeof(*c));
}

uint32_t shim_chunk_flags(void)
{
	return CHUNK_F_DIRECT | CHUNK_F_LZ4 | CHUNK_F_ZERO;
}

uint64_t shim_chunk_stored(const struct chunk_job *j)
{
	uint64_t n = 0;

	for (uint32_t i = 0; i < j->npieces; i++)
		n += j->pieces[i].data_len;
	return n;
}

uint32_t shim_crc32c(const void *buf, size_t len)
{
	return crc32c(0, buf, len);
}

/*-- the sink -----------------------------------------------------------------*/

static void sink_close_files(struct shim_sink_bench *b)
{
	if (b->dfd >= 0)
		close(b->dfd);
	if (b->fd >= 0)
		close(b->fd);
	b->fd = b->dfd = -1;
}

int shim_sink_reset(struct shim_sink_bench *b)
{
	sink_close_files(b);
	unlink(b->path);
	/* as commit_open_tmp: a new file each checkpoint */
	b->fd = open(b->path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (b->fd < 0) {
		return set_error(b->path, errno);
	}
	if (b->direct) {
		b->dfd = open(b->path, O_WRONLY | O_DIRECT | O_CLOEXEC);
		if (b->dfd < 0) {
			return set_error("O_DIRECT open", errno);
		}
	}
	return 0;
}

int shim_sink_setup(struct shim_sink_bench *b)
{
	b->fd = b->dfd = -1;
	if (!b->total)
		b->total = SHIM_BUF_LEN;
	if (!b->wlen)
		b->wlen = SHIM_CHUNK;
	snprintf(b->path, sizeof(b->path), "%s/mtcp-micro.%d.sink", shim_micro_dir(), (int)getpid());
	if (!(b->src = shim_data(SHIM_RANDOM)))
		return -ENOMEM;
	if (!(b->s = calloc(1, sizeof(*b->s)))) {
		return set_error("calloc", ENOMEM);
	}
	return shim_sink_reset(b);
}

int shim_sink_run(struct shim_sink_bench *b)
{
	struct sink *s = b->s;
	int rc;

	if (b->prealloc && fallocate(b->fd, 0, 0, (off_t)b->total) && errno != EOPNOTSUPP) {
		return set_error("fallocate", errno);
	}
	sink_open(s, b->fd, b->dfd, b->want_uring, NULL, 0, NULL);
	b->uring_used = s->uring;
	for (size_t off = 0; off < b->total; off += b->wlen) {
		if ((rc = sink_write(s, b->direct, b->src + off, b->wlen, off, -1)))
			break;
		sink_submit(s);
	}
	rc = sink_close(s);
	b->direct_used = b->direct && s->dfd >= 0;
	if (rc)
		return set_error("sink", -rc);
	if (b->fsync_end && fsync(b->fd)) {
		return set_error("fsync", errno);
	}
	return 0;
}

void shim_sink_teardown(struct shim_sink_bench *b)
{
	sink_close_files(b);
	unlink(b->path);
	free(b->s);
	b->s = NULL;
}

/*-- lz4 blocks ---------------------------------------------------------------*/

const struct shim_lz4_set *shim_lz4_blocks(int kind)
{
	static struct shim_lz4_set *sets[SHIM_NDATA];
	const char *data;
	struct shim_lz4_set *set;
	char *check;
	int cap = LZ4_compressBound((int)SHIM_CHUNK);

	if (kind < 0 || kind >= SHIM_NDATA)
		return NULL;
	if (sets[kind])
		return sets[kind];
	if (!(data = shim_data(kind)))
		return NULL;
	if (!(set = calloc(1, sizeof(*set))) || !(check = malloc(SHIM_CHUNK))) {
		free(set);
		set_error("malloc", ENOMEM);
		return NULL;
	}
	for (size_t off = 0; off < SHIM_BUF_LEN; off += SHIM_CHUNK) {
		char *c = malloc((size_t)cap);
		int n = c ? LZ4_compress_default(data + off, c, (int)SHIM_CHUNK, cap) : 0;

		if (n <= 0 || lz4_block_decode(c, (size_t)n, check, SHIM_CHUNK) != (long)SHIM_CHUNK ||
		    memcmp(check, data + off, SHIM_CHUNK)) {
			snprintf(errbuf, sizeof(errbuf), "lz4 block at %zu: compress or decode failed",
				 off);
			free(c);
			free(check);
			return NULL; /* the set leaks: a failure ends the benchmark */
		}
		set->comp[set->n] = c;
		set->clen[set->n++] = n;
		set->in_bytes += SHIM_CHUNK;
		set->out_bytes += (uint64_t)n;
	}
	free(check);
	return sets[kind] = set;
}
