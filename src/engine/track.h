/* SPDX-License-Identifier: MIT */
/*
 * track.h - which pages the program wrote since the last checkpoint, for
 * incremental images (docs/architecture.md, "Incremental images").
 *
 * At every checkpoint, while the program is parked, track_take walks
 * /proc/self/maps once:
 *   - a mapping the library tracks (registered at an earlier checkpoint
 *     and still the same mapping: the kernel drops the registration of a
 *     mapping that is unmapped or moved) is scanned with PAGEMAP_SCAN:
 *     its written runs are collected and protected again in the same
 *     call (wp_track.h).  Its pages not written since are the parent
 *     image's.
 *   - any other mapping that can be tracked is registered and protected
 *     now, before its pages are read, so that the next checkpoint knows
 *     what changed after this one.  This checkpoint saves it whole.
 * What is never tracked, and so is saved whole every time: shared
 * mappings, the library's own memory and the memory that changes while
 * the image is written (its data, the control thread's stack), ranges the
 * program registered with its own userfaultfd, PROT_NONE mappings, and
 * large sparse mappings whose page tables the protection would fill.
 *
 * The lists live in an arena of the library's own (excluded from images,
 * inherited by the copy-on-write writer process, which reads them).
 */
#ifndef MTCP_TRACK_H
#define MTCP_TRACK_H

#include <stddef.h>
#include <stdint.h>

#include "memory.h"

struct trk_view {
	const struct mem_range *tracked; /* mappings whose writes are known, ascending */
	uint32_t ntracked;
	const struct mem_range *written; /* written runs inside them, ascending */
	uint32_t nwritten;
	uint64_t tracked_bytes, written_bytes;
	uint32_t nadded;                 /* mappings registered by this call */
	uint64_t added_bytes;
	uint64_t scan_ns, protect_ns;    /* scanning tracked ones; registering new ones */
	struct mem_range *spare;         /* the arena's room after the written runs */
	uint32_t nspare;
};

/* Once, at start (and after a restart): the arena.  The userfaultfd is
 * opened at the first checkpoint that wants it. */
int track_init(void);
int track_after_restart(void);

/*
 * Parked.  maps: /proc/self/maps now.  ex: the library's ranges; vol:
 * saved but changing while saved; memflags: memory.h's MEM_F_* (which
 * mappings hold pages).  Fills *v (in the arena) and returns 0, or
 * returns -errno when tracking is off (userfaultfd refused, kernel
 * without WP_ASYNC, the program holds an io_uring): then *why says so,
 * in words, and every checkpoint is full.
 */
int track_take(const char *maps, size_t len, const struct mem_range *ex, int nex,
	       const struct mem_range *vol, int nvol, uint32_t memflags, struct trk_view *v,
	       const char **why);

/* 1 if no page of the process is in swap now (VmSwap: 0 kB): then every
 * entry the page map calls swapped is a write-protect marker. */
int track_no_swap(void);

/* 1 if the userfaultfd is open (tracking since the last track_take). */
int track_active(void);

/*
 * The program is about to register [start, start + len) with a
 * userfaultfd of its own (the ioctl interposer): the library gives the
 * range up (a second registration would fail with EBUSY) and saves it
 * whole from then on.  Any thread, any time.
 */
void track_release(uint64_t start, uint64_t len);

#endif
