/* SPDX-License-Identifier: MIT */
/*
 * incrout.h: what the library says about an incremental checkpoint with
 * MTCP_VERBOSE=1 (src/engine/checkpoint.c), for `mtcp-bench memory
 * --incremental` (pure: no file is read). Per checkpoint, on the program's
 * stderr, after the image is committed:
 *   mtcp: full PATH[: WHY]; tracking T MiB from now on: scan S ms, protect P ms
 *     (N new mappings, M MiB)
 * or
 *   mtcp: incremental PATH: depth D after NAME; written W KiB in R runs of T MiB
 *     tracked, I KiB inherited; scan S ms, protect P ms (N new mappings, M MiB)
 * (one line each), then
 *   mtcp: stop-the-world PATH: pause X ms, durable Y ms
 * or
 *   mtcp: copy-on-write PATH: pause X ms, durable Y ms, ...
 * and, when the tracking cannot be had, once:
 *   mtcp: incremental images not used: WHY; every image is full
 */
#ifndef MB_INCROUT_H
#define MB_INCROUT_H

#include <stddef.h>

enum { MB_IC_NONE, MB_IC_FULL, MB_IC_INCR }; /* what the image was */
enum { MB_IC_WAY_NONE, MB_IC_STW, MB_IC_COW };	/* how it was taken */

struct mb_incr_ckpt {
	int type;	       /* MB_IC_*: the full/incremental line was seen */
	int way;	       /* MB_IC_WAY_*: the stop-the-world/copy-on-write line was seen */
	unsigned depth;	       /* incremental: its depth (1: right after a full image) */
	long long written_kib; /* incremental: pages written since the parent */
	long long runs;	       /* incremental: in that many runs */
	long long tracked_mib; /* the memory tracked (a full image: before it; incremental: scanned) */
	long long inherited_kib;
	double scan_ms, protect_ms;
	long long new_maps, new_mib; /* mappings registered and protected at this checkpoint */
	double pause_ms, durable_ms; /* the library's own (suspension to release; to durable) */
	char full_why[128];	     /* a full image: why it is full ("" for the first) */
	char not_used[256];	     /* "incremental images not used: WHY": WHY, if seen */
};

/*
 * The lines of text (NUL-terminated, lines split on '\n') about the image
 * path (as mtcp_checkpoint printed it) into out (cleared first); the last
 * line of each kind counts. A "not used" line is taken whatever its image.
 * @return 0 when both lines (full/incremental, and the way) were found;
 * -1 otherwise (what was found is in out).
 */
int mb_incr_parse(const char *text, const char *path, struct mb_incr_ckpt *out);

#endif
