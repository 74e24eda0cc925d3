/* SPDX-License-Identifier: MIT */
/*
 * identity.h - who writes an image, and which lineage it belongs to
 * (docs/format.md, "Lineages and names").
 *
 * A lineage is one launch or one restart.  At library init: lineage_id =
 * launch_id = 16 random bytes, parent_id = 0.  After a restart: a new
 * lineage_id, parent_id = the image restarted from (filled in by the
 * restorer), launch_id carried on (it lives in the saved memory).  Each
 * image gets a fresh image_id; seq counts the images of one lineage and
 * starts again at 1 after a restart (the new lineage's names differ, so
 * nothing can collide, and `--keep` counts this lineage's images only).
 *
 * Everything after identity_init() uses raw system calls only: it runs
 * while the program's threads are parked, or in a just restored process.
 */
#ifndef MTCP_ENGINE_IDENTITY_H
#define MTCP_ENGINE_IDENTITY_H

#include <stddef.h>
#include <stdint.h>

struct iw_identity;

/* A new launch: fresh lineage and launch ids. */
void identity_init(void);
/* A restart from the image whose image_id is parent (16 bytes). */
void identity_new_lineage(const uint8_t *parent);
/* The first 4 bytes of the lineage id in hex (8 digits and a NUL): the
 * part of the image name that tells lineages apart. */
void identity_lineage_hex(char out[9]);
/*
 * The writer's credentials (as the initial user namespace sees them), its
 * groups, PR_GET_DUMPABLE, the lineage's ids, a fresh image id, seq and
 * the pid in the initial pid namespace (0: unknown).
 */
void identity_fill(struct iw_identity *id, uint64_t seq);
/* len random bytes (getrandom; /dev/urandom, then the clock if that fails). */
void identity_random(void *buf, size_t len);

/* Exposed for the unit tests: id translated through the text of a
 * /proc/PID/uid_map or gid_map; 65534 (the overflow id) if unmapped. */
uint32_t identity_map_id(const char *map, uint32_t id);

#endif
