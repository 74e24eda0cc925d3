/* SPDX-License-Identifier: MIT */
/*
 * memory.h - writes the REGION and EXTENT records of the calling process:
 * every mapping of /proc/self/maps less the excluded ranges, and for each
 * only the pages that were ever touched (/proc/self/pagemap).
 */
#ifndef MTCP_WRITER_MEMORY_H
#define MTCP_WRITER_MEMORY_H

#include <stddef.h>
#include <stdint.h>

struct img_writer;

struct mem_range {
	uint64_t start, end;
};

struct mem_ctx {
	const struct mem_range *excluded; /* never saved (the library's own) */
	int nexcluded;
	const struct mem_range *volatile_ranges; /* change while we write (our own
	                                    stack and data): copied before use */
	int nvolatile;
	char *bounce;                     /* MTCP_EXTENT_MAX bytes for those */
	char *maps_buf;                   /* for /proc/self/maps */
	size_t maps_len;
	uint64_t *pagemap_buf;            /* for /proc/self/pagemap entries */
	size_t pagemap_entries;
	uint32_t nregions;                /* out: REGION records written */
};

int mem_write_regions(struct img_writer *w, struct mem_ctx *m, char *err, size_t errlen);

/* Exposed for the unit tests: pieces of [start, end) outside the excluded
 * ranges, at most `max`; returns their count. */
int mem_subtract(uint64_t start, uint64_t end, const struct mem_range *ex, int nex,
		 struct mem_range *out, int max);

#endif
