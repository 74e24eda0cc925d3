/* SPDX-License-Identifier: MIT */
/*
 * chain.h - when a checkpoint is an increment, and what it names as its
 * parent (docs/architecture.md, "Incremental images"; docs/format.md).
 *
 * A checkpoint is an increment when the written-page tracking has run
 * without a break since the lineage's last committed image (the parent),
 * the chain is shorter than MTCP_FULL_EVERY images, and the chain's images
 * together hold at most twice the resident memory.  Otherwise it is full
 * and starts a new chain.  A checkpoint that fails after the tracking
 * scan breaks the chain (the scan forgot the writes the lost image held):
 * the next one is full.  A restarted process starts with no parent.
 */
#ifndef MTCP_CHAIN_H
#define MTCP_CHAIN_H

#include <stdint.h>

#include "image-format.h"

struct chain_prev {
	struct mtcp_rec_prev rec;
	char name[MTCP_MAX_PREV_NAME + 1]; /* rec.name_len bytes, NUL-terminated */
};

/* At init and after a restart: no parent. */
void chain_reset(void);

/*
 * Whether this checkpoint is an increment (1, *prev filled) or full (0).
 * tracking: the scan of this checkpoint ran.  *why: NULL, or why a full
 * image is written where an increment could have been (for the verbose
 * output).
 */
int chain_decide(int tracking, int full_every, uint64_t resident, struct chain_prev *prev,
		 const char **why);

/* The image at `path` is committed: it is the parent of the next one.
 * tracked: its checkpoint ran the tracking scan (else no increment may
 * follow it). */
void chain_committed(const char *path, const uint8_t id[MTCP_ID_LEN], uint64_t image_sum,
		     uint64_t size, int incremental, int tracked);

/* A checkpoint failed after its tracking scan: the next one is full. */
void chain_broken(void);

/*
 * --keep N counts chains: the lineage's committed images, oldest first,
 * kept[0..*n) (full[i]: 1 for a full image): removes every image older
 * than the N-th newest full one (an increment needs all of its chain).
 */
void chain_prune(char (*kept)[MTCP_MAX_PATH], uint8_t *full, int *n, int keep);

#endif
