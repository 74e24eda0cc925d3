/* SPDX-License-Identifier: MIT */
/*
 * memory.h - writes the REGION and EXTENT records of the calling process:
 * every mapping of /proc/self/maps less the excluded ranges; for each,
 * only the pages that hold data (page_scan.h says which were touched,
 * chunk.h drops the all-zero ones and compresses the rest where that
 * pays), encoded by the helper threads (workers.h) and streamed through
 * the sink (sink.h) in order.
 */
#ifndef MTCP_WRITER_MEMORY_H
#define MTCP_WRITER_MEMORY_H

#include <stddef.h>
#include <stdint.h>

struct workers;
struct sink;

struct mem_range {
	uint64_t start, end;
};

/* Settings. */
#define MEM_F_LZ4 (1u << 0)           /* compress where it pays */
#define MEM_F_ZERO (1u << 1)          /* drop all-zero pages */
#define MEM_F_FILE_PAGES (1u << 2)    /* private file mappings saved whole */
#define MEM_F_FORCE_PAGEMAP (1u << 3) /* /proc/self/pagemap even where PAGEMAP_SCAN exists */
#define MEM_F_STAGE (1u << 4)         /* memory read through stage_fd
                                         (/proc/self/mem): chunk.h, CHUNK_F_STAGED */
#define MEM_F_NO_SWAP (1u << 5)       /* no page of the process is in swap: what the
                                         page map calls swapped are userfaultfd
                                         markers (no data): not saved.  Only where
                                         the page map is read in the tracked
                                         process itself, parked, and checked again
                                         after (checkpoint.c) */

struct mem_stats {
	uint64_t inherited_bytes; /* an increment: memory left to the parent (INHERIT) */
	uint64_t inherit_records;
	uint64_t mem_bytes;    /* memory covered by extents */
	uint64_t stored_bytes; /* bytes of extent data in the image */
	uint64_t zero_bytes;   /* resident all-zero memory dropped */
	uint64_t lz4_in, lz4_out;
	uint64_t extents;
	int backend;           /* enum ps_backend used */
};

/*
 * A plan: the regions and runs of one image, taken while the program is
 * parked, with the bytes of every data run copied into copy_fd (a memfd,
 * one run after another), and written later from there while the
 * program runs (a copy-on-write increment without a writer process: only
 * the written pages are copied, no page table is).
 */
enum { MEM_PLAN_REGION = 1, MEM_PLAN_DATA = 2, MEM_PLAN_INHERIT = 3 };
struct mem_plan_ent {
	uint64_t start, end;     /* DATA, INHERIT: the run; REGION: start = its index */
	uint64_t src;            /* DATA: the offset of its copy in copy_fd */
	uint32_t kind;
	uint32_t reserved;
};
struct mem_plan {
	struct mem_plan_ent *ent;
	uint32_t n, max;
	void *regions;           /* mem_plan_region_size() bytes each */
	uint32_t nregions, max_regions;
	int copy_fd;
	char *copy_map;          /* copy_fd mapped shared, limit bytes: the copies are
	                            made with memcpy (a write() into a memfd costs
	                            about 10 us a page here, memcpy under 1) */
	int taking;              /* 1: mem_write_regions takes the plan (no sink, no
	                            workers); 0: it writes the image from it */
	uint64_t copied;         /* bytes copied into copy_fd, from offset 0 */
	uint64_t limit;          /* taking fails with -E2BIG beyond this */
};
size_t mem_plan_region_size(void);

struct mem_ctx {
	/* in */
	const struct mem_range *excluded; /* never saved (the library's own) */
	int nexcluded;
	const struct mem_range *volatile_ranges; /* change while we write (our own
	                                    stack and data): copied before use */
	int nvolatile;
	char *maps_buf;                   /* for /proc/self/maps */
	size_t maps_len;
	const char *maps_text;            /* non-NULL: this text of /proc/self/maps,
	                                     read earlier, instead (a copy-on-write
	                                     writer describes its parent's memory) */
	size_t maps_text_len;
	void *scan_buf;                   /* for page_scan */
	size_t scan_len;
	uint32_t flags;                   /* MEM_F_* */
	int lz4_accel;
	int stage_fd;                     /* MEM_F_STAGE: /proc/self/mem, read-only */
	uint64_t resident;                /* resident bytes of the process: the
	                                     image is preallocated to this */
	/* An increment (NULL: a full image): in `tracked` mappings, the pages
	 * outside the `written` runs are the parent's and become INHERIT runs
	 * (docs/format.md, "Incremental images"); both lists ascend.
	 * inherit_buf (inherit_max runs) holds one region's runs. */
	const struct mem_range *tracked, *written;
	uint32_t ntracked, nwritten;
	struct mem_range *inherit_buf;
	uint32_t inherit_max;
	struct mem_plan *plan;            /* non-NULL: take or write a plan (above) */
	int plan_backend;                 /* the page map's back end when it was taken */
	struct workers *wk;               /* started by the caller */
	struct sink *sink;                /* opened by the caller */
	/* in: file offset of the first REGION record; out: end of the last */
	uint64_t off;
	/* out */
	uint32_t nregions;
	uint64_t nrecords;                /* REGION and EXTENT records written */
	uint64_t sum;                     /* their image_sum terms, added up
	                                     (image-format.h, mtcp_sum_term) */
	struct mem_stats st;
};

int mem_write_regions(struct mem_ctx *m, char *err, size_t errlen);

struct maps_entry;
/* What mem_write_regions saves of a mapping: MEM_SAVE_NONE (nothing: the
 * kernel's, or a file that holds its pages), MEM_SAVE_TOUCHED (present or
 * swapped pages), MEM_SAVE_COW (pages copied on write), MEM_SAVE_ALL (every
 * page up to *all_end).  A copy-on-write snapshot copies the shared
 * mappings whose rule is not MEM_SAVE_NONE during the pause. */
enum { MEM_SAVE_NONE, MEM_SAVE_TOUCHED, MEM_SAVE_COW, MEM_SAVE_ALL };
int mem_save_rule(const struct maps_entry *e, uint32_t flags, uint64_t *all_end);
/* 1 if a page with page_scan flags f is saved under rule. */
int mem_page_wanted(int rule, uint32_t f);

/* Exposed for the unit tests: pieces of [start, end) outside the excluded
 * ranges, at most `max`; returns their count. */
int mem_subtract(uint64_t start, uint64_t end, const struct mem_range *ex, int nex,
		 struct mem_range *out, int max);

#endif
