/* SPDX-License-Identifier: MIT */
/*
 * shim.h - the C side of the micro-benchmarks (bench/micro/micro.cc).
 *
 * Everything that is not the measured call itself lives here, in plain C:
 * the test data, the sparse mapping, the chunk job, the sink's files, the
 * lz4 blocks.  micro.cc keeps only benchmark registration and loops, and
 * calls the project's functions (zc_page_is_zero, ps_scan, chunk_encode,
 * lz4_block_decode) directly where one call is the thing measured; the
 * sink's write sequence (open, 64 writes, drain, close) is one shim call.
 *
 * Test data (64 MiB each, page aligned, made on first use and kept; every
 * page written, so none is the kernel's shared zero page):
 *   SHIM_ZERO    all zero.
 *   SHIM_RANDOM  xorshift64* output, seed fixed: incompressible.
 *   SHIM_HEAP    "heap-like": 1 page in 16 left all zero (a heap's untouched
 *                tail, cleared objects); the other pages are made of
 *                64-byte objects, each picked at random:
 *                  35%  small integers: eight 8-byte words < 1024
 *                       (counts, lengths, enums, sizes);
 *                  25%  pointer-like: eight 8-byte words 0x5555_5xxx_xxx0,
 *                       16-byte aligned, within a 256 MiB heap window;
 *                  15%  zeros (64 bytes);
 *                  25%  ASCII text: words of a 32-word list, space separated.
 *                The mix is a guess at an ordinary C/C++ heap, not a measure
 *                of one; lz4 stores it in about 1/2.3 (the ratio counter).
 *   SHIM_LIBS    the bytes of /usr/lib/x86_64-linux-gnu/libc.so.6 (env
 *                MICRO_LIB overrides), repeated back to back, so that the
 *                1 MiB chunks start at different offsets of the file.
 */
#ifndef MTCP_MICRO_SHIM_H
#define MTCP_MICRO_SHIM_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The project's headers have no extern "C" of their own. */
#include "page_scan.h"
#include "chunk.h"

#define SHIM_BUF_LEN (64ul << 20)
#define SHIM_CHUNK (1ul << 20) /* CHUNK_MAX */

enum shim_data { SHIM_ZERO = 0, SHIM_RANDOM, SHIM_HEAP, SHIM_LIBS, SHIM_NDATA };

/* The SHIM_BUF_LEN buffer of that kind, made on first call; NULL on error
 * (shim_error() says why). */
const char *shim_data(int kind);
const char *shim_error(void);

/* MICRO_DIR, default /var/tmp. */
const char *shim_micro_dir(void);
/* "PAGEMAP_SCAN ioctl" or "/proc/self/pagemap": what ps_open picks here. */
const char *shim_scan_backend_name(void);

/*-- page classification --------------------------------------------------*/

/* An anonymous mapping of len bytes (MADV_NOHUGEPAGE, so that it stays
 * sparse) with one byte written in each page of every `every` pages.
 * Made once per (len, every); NULL on error. */
char *shim_sparse_map(size_t len, size_t every);

/* A scanner with the engine's 8 MiB scratch (SCRATCH_PAGEMAP_LEN); 0 or
 * -errno.  PS_BACKEND_SCAN_IOCTL wanted but missing: -ENOSYS. */
int shim_scan_open(struct page_scan *ps, int force_pagemap);
void shim_scan_close(struct page_scan *ps);

struct shim_scan_count {
	uint64_t runs, pages;
};
/* ps_run_cb: counts runs and pages into a struct shim_scan_count. */
int shim_count_run(void *arg, const struct ps_run *run);

/*-- chunk encoding -------------------------------------------------------*/

struct shim_chunk {
	struct chunk_job *job; /* out: CHUNK_OUT_CAP bytes */
	void *lz4_state;       /* CHUNK_LZ4_STATE */
};
/* 0 or -errno (-EOVERFLOW: lz4's state is larger than CHUNK_LZ4_STATE). */
int shim_chunk_new(struct shim_chunk *c);
void shim_chunk_free(struct shim_chunk *c);
/* The job flags memory.c sets by default (MTCP_COMPRESS on, zero check on,
 * a region that is not volatile): CHUNK_F_DIRECT | CHUNK_F_LZ4 | CHUNK_F_ZERO. */
uint32_t shim_chunk_flags(void);
/* Bytes the image stores for the last encoded job: data of each piece
 * (0 for dropped zero pages, headers not counted). */
uint64_t shim_chunk_stored(const struct chunk_job *j);

/* crc32c.h does not compile as C++: crc32c(0, buf, len) through here. */
uint32_t shim_crc32c(const void *buf, size_t len);

/*-- the sink -------------------------------------------------------------*/

struct sink;
struct shim_sink_bench {
	/* in */
	int want_uring;  /* sink_open want_uring */
	int direct;      /* a second fd opened O_DIRECT, writes marked direct */
	int prealloc;    /* fallocate the whole length first, as memory.c does */
	int fsync_end;   /* fsync once the last write completed */
	size_t total;    /* bytes per run (SHIM_BUF_LEN) */
	size_t wlen;     /* bytes per write (SHIM_CHUNK) */
	/* state */
	char path[4096];
	int fd, dfd;
	const char *src; /* page aligned, random */
	struct sink *s;
	/* out, after a run */
	int uring_used;  /* 1 if io_uring was used */
	int direct_used; /* 1 if O_DIRECT stayed accepted */
};
/* Opens the first file in shim_micro_dir(); 0 or -errno. */
int shim_sink_setup(struct shim_sink_bench *b);
/* Not timed: unlinks the file, creates it again (and the O_DIRECT fd). */
int shim_sink_reset(struct shim_sink_bench *b);
/* Timed: [fallocate], sink_open, total/wlen writes of wlen bytes (one
 * sink_submit after each, as the writer submits after each chunk),
 * sink_close (which waits for all), [fsync].  0 or -errno. */
int shim_sink_run(struct shim_sink_bench *b);
/* Closes and unlinks. */
void shim_sink_teardown(struct shim_sink_bench *b);

/*-- lz4 blocks for the restorer's decoder --------------------------------*/

struct shim_lz4_set {
	int n;                /* blocks: one per 1 MiB chunk of the data */
	char *comp[SHIM_BUF_LEN / SHIM_CHUNK];
	int clen[SHIM_BUF_LEN / SHIM_CHUNK];
	uint64_t in_bytes, out_bytes;
};
/* The chunks of shim_data(kind), each compressed with LZ4_compress_default;
 * checks that lz4_block_decode gives them back.  Made once per kind; NULL
 * on error. */
const struct shim_lz4_set *shim_lz4_blocks(int kind);

/* A page-aligned, written buffer of len bytes (freed at exit); NULL on error. */
char *shim_alloc(size_t len);

#ifdef __cplusplus
}
#endif

#endif
