/* SPDX-License-Identifier: MIT */
/* flatten.h - `mtcp_restart --flatten IMAGE OUT`: a chain as one full image. */
#ifndef MTCP_FLATTEN_H
#define MTCP_FLATTEN_H

#include <stddef.h>

struct chain;

/*
 * Writes the process of c (loaded and resolved: chain_resolve) as one
 * full image at out: the newest image's header (ids kept, flag 10
 * cleared) and records without PREV; each REGION with ninherit 0 and the
 * extents that hold its pages, its own and its ancestors' (copied as they
 * are when used whole and inside the region, else re-encoded RAW); END
 * with its counts and sum.  Every data checksum is checked on the way.
 * out must not exist; it is written under a temporary name in its
 * directory (O_CREAT|O_EXCL, mode 0600) and renamed into place when
 * complete, so a failure leaves nothing.  0, or -errno with one line in
 * err.
 */
int chain_flatten(const struct chain *c, const char *out, char *err, size_t errlen);

#endif
