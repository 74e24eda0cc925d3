/* SPDX-License-Identifier: MIT */
/*
 * chain.h - a v5 chain of images (docs/format.md, "Incremental images"):
 * the newest image, its parent, named by its PREV record and looked up in
 * the newest's directory, and so on down to a full image; each validated
 * on its own (image_load) and each link checked against what the child
 * recorded (the parent's image_id, END image_sum and size, and depth).
 * Then what the restorer reads: the newest image's extents, and for the
 * pages it inherits, the extents of the nearest ancestor that holds them,
 * whole or in part.
 */
#ifndef MTCP_RST_CHAIN_H
#define MTCP_RST_CHAIN_H

#include <stddef.h>
#include <stdint.h>
#include "image_reader.h"

struct chain {
	uint32_t n;                 /* images loaded, the newest first */
	struct image *img;          /* img[MTCP_MAX_CHAIN]; img[0] is the newest */
	char *path[MTCP_MAX_CHAIN]; /* each as opened (the newest's as given) */
	/* chain_resolve: what the restorer reads, sorted by image and file
	 * offset (each image is read in file order) */
	struct rst_extent *reads;
	uint32_t nreads;
	uint32_t lz4_max;           /* largest LZ4 data_len among the reads */
	uint64_t scratch_len;       /* largest len among the reads in part */
	uint64_t inherited_bytes;   /* memory the ancestors' reads fill */
};

/* The newest image alone, with the full validator (image_load): 0, or
 * -errno with the reason in err (without the path, as image_load), and c
 * freed. */
int chain_load_newest(const char *path, struct chain *c, char *err, size_t errlen);
/* Its ancestors, while the last one loaded is an increment: each one
 * validated and checked against its child's PREV record.  0, or -errno
 * with one line in err naming the parent and its child ("parent image P
 * of C is missing" ...).  Run after the restart took the writer's file
 * system ids (privilege.h): the parents are opened with them. */
int chain_load_parents(struct chain *c, char *err, size_t errlen);
/* Both of the above; on failure c is freed (chain_load_parents leaves it
 * to the caller's chain_free). */
int chain_load(const char *path, struct chain *c, char *err, size_t errlen);
/* Fills c->reads (see struct chain).  An inherited page must lie, in the
 * ancestor that holds it, in a region of kind ANON or FILE_PRIVATE. */
int chain_resolve(struct chain *c, char *err, size_t errlen);
/* image_verify_data on every image (--verify); a parent's failure names
 * it and its child. */
int chain_verify_data(const struct chain *c, char *err, size_t errlen);
/* The file name part of c->path[k] (for messages and --list). */
const char *chain_name(const struct chain *c, uint32_t k);
/* Depth of image k: 0 for a full image. */
uint32_t chain_depth(const struct chain *c, uint32_t k);
void chain_free(struct chain *c);

#endif
