/* SPDX-License-Identifier: MIT */
/*
 * bench_workload.h: the memory and threads bench_prog holds while it is
 * checkpointed, and the check that they are intact after a restart.
 */
#ifndef BENCH_WORKLOAD_H
#define BENCH_WORKLOAD_H

#include <stddef.h>
#include <stdint.h>

/*
 * Builds the workload argv names (argv[0] is the workload's name):
 *   random MIB          MIB MiB of xorshift output (write_baseline's bytes)
 *   zero MIB            MIB MiB written with zeros (resident)
 *   heap MIB            MIB MiB of malloc'd objects of varied sizes holding
 *                       small integers, pointers into the heap, zero runs
 *                       and ASCII words (deterministic; bench_workload.c)
 *   sparse MIB STRIDE   a MIB MiB mapping, one byte written in every
 *                       STRIDE-th page
 *   libs MIB            MIB MiB of the bytes of the shared libraries in
 *                       /usr/lib/x86_64-linux-gnu, cycled
 *   rewrite MIB         random's MIB MiB, and one thread that writes the
 *                       first word of every page, round and round, as fast
 *                       as it can (every page is copied on write while a
 *                       copy-on-write image is written); verify parks it
 *                       and checks every word against its round and page
 *   threads N           N idle threads with default stacks
 *   empty               nothing
 * 0 on success; -1 after printing why on stderr.
 */
int workload_init(int argc, char **argv);

/*
 * The random workload only (mtcp-bench memory --incremental): rewrites pct
 * percent of its pages (pct > 0, at most 100; the count rounded, at least
 * one page) with new random bytes, whole pages, then takes the checksum
 * again (verify checks against it from then on). window 0: pages chosen
 * at random, each equally likely (selection sampling: exactly that many);
 * window 1: one contiguous run of that many pages at a random place. The
 * pages rewritten in *pages.
 * 0; -1 with why (not the random workload, or a bad pct).
 */
int workload_rewrite(double pct, int window, size_t *pages, char *why, size_t n);

/* The bytes of data the workload holds (what an image should contain). */
size_t workload_bytes(void);

/* The checksum taken when the workload was built. */
uint64_t workload_sum(void);

/*
 * Checks the workload again: 0 if it is as built; -1 with a description of
 * the first difference in why (at most n bytes).
 */
int workload_verify(char *why, size_t n);

#endif
