/* SPDX-License-Identifier: MIT */
/*
 * image_fix.h - for tests that make bad images on purpose (the unit test
 * test_image.c and the fuzz target): walk the records of an image held
 * in memory, and recompute every checksum after a change (the header's,
 * each record header's, each payload's, each extent descriptor's, END's
 * counts and, v3, its whole-image sum), so that what the reader is given
 * differs only in its structure.
 */
#ifndef MTCP_IMAGE_FIX_H
#define MTCP_IMAGE_FIX_H

#include <stddef.h>
#include <stdint.h>

struct imgfix_rec {
	size_t off;    /* of the record header */
	uint32_t type;
	uint64_t len;  /* payload bytes */
};

/* 64 (v1, v2) or 256 (v3 and later), by the version field; 0 if p is too
 * short or lacks the magic. */
size_t imgfix_header_size(const uint8_t *p, size_t len);

/* The records that lie whole inside p, in order, up to END (included) or
 * the first that runs past the end; at most max are stored.  Returns how
 * many there are. */
size_t imgfix_records(const uint8_t *p, size_t len, struct imgfix_rec *out, size_t max);

/* Flags of imgfix_all. */
#define IMGFIX_KEEP_SUM (1u << 0)  /* leave END's image_sum as it is */
#define IMGFIX_KEEP_END (1u << 1)  /* leave END's counts as they are */

/* Recomputes every checksum, in place. */
void imgfix_all(uint8_t *p, size_t len, unsigned flags);

#endif
