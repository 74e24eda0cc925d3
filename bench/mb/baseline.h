/* SPDX-License-Identifier: MIT */
/*
 * baseline.h: the physical limits a checkpoint and a restart are compared
 * with (bench/progs/write_baseline.c, readback_baseline.c,
 * fork_baseline.c), and dropping a file from the page cache.
 */
#ifndef MB_BASELINE_H
#define MB_BASELINE_H

struct mb_ctx;

/* bytes rounded up to whole MiB, at least 1 MiB */
long long mb_base_bytes(long long bytes);

/*
 * write_baseline --keep WORK/baseline MIB: plain write() of bytes (rounded
 * up to MiB) in 1 MiB chunks + fsync; the seconds it took in *secs.
 * 0, or -EIO after saying why.
 */
int mb_base_write(struct mb_ctx *c, long long bytes, double *secs);

/* Removes WORK/baseline without reading it back (memory --on-term). */
void mb_base_remove(struct mb_ctx *c);

/* readback_baseline WORK/baseline (cache dropped first), then removes it. */
int mb_base_read(struct mb_ctx *c, double *secs);

/*
 * fork_baseline MIB: bytes (rounded up to MiB) of random bytes, resident,
 * then one raw clone() with no exit signal; the seconds the clone() took.
 */
int mb_base_fork(struct mb_ctx *c, long long bytes, double *secs);

/* readback_baseline --drop path: the file's pages leave the page cache. */
int mb_drop_cache(struct mb_ctx *c, const char *path);

/* The same for every *.mtcp file directly in dir. 0, or -EIO after saying why. */
int mb_drop_dir(struct mb_ctx *c, const char *dir);

#endif
