/* SPDX-License-Identifier: MIT */
/*
 * image_writer.h - appends records to an image file: small records through
 * a buffer, every record with its crc32c.  (Memory goes through memory.h's
 * stream; iw_extent writes a plain RAW extent, for tests and tools.)  Raw system calls only: it runs while the
 * program's threads are parked.
 */
#ifndef MTCP_IMAGE_WRITER_H
#define MTCP_IMAGE_WRITER_H

#include <stddef.h>
#include <stdint.h>
#include "image-format.h"

struct img_writer {
	int fd;
	uint64_t off;      /* file offset of the next appended byte */
	char *buf;         /* pending bytes, written at off - used */
	size_t cap, used;
	uint64_t nrecords;
	uint64_t data_bytes; /* bytes of page data written by iw_extent */
	/* the record being streamed by iw_begin/iw_append/iw_end */
	uint64_t rec_off;
	uint32_t rec_type;
	uint64_t rec_len;
	uint32_t rec_crc;
	/* v3: the header as last written (iw_header, iw_rewrite_header), and
	 * the sum of mtcp_sum_term(offset, header_crc) over every record
	 * written so far (END adds the header's term) */
	struct mtcp_img_header_v3 hdr;
	uint64_t sum;
	uint64_t image_sum;   /* after iw_finish: the END record's image_sum */
};

void iw_init(struct img_writer *w, int fd, char *buf, size_t cap);
/* The writer's settings, recorded in the header. */
struct iw_settings {
	uint32_t helpers, chunk_kib, lz4_accel;
	uint32_t ndegraded;   /* v4: DEGRADED records in the image */
};
/* Who wrote the image and which lineage it belongs to (v3 header and its
 * GROUPS record).  uids and gids as the initial user namespace sees them. */
#define IW_MAX_GROUPS 65536
struct iw_identity {
	uint32_t uid[3], gid[3]; /* real, effective, saved */
	uint32_t fsuid, fsgid;
	uint32_t dumpable;
	uint32_t ngroups;
	uint32_t groups[IW_MAX_GROUPS];
	uint8_t image_id[16], lineage_id[16], parent_id[16], launch_id[16];
	uint64_t seq;
	uint32_t outer_pid;
	/* the writing thread's capability sets (low, high 32 bits) */
	uint32_t caps_valid;
	uint32_t cap_eff[2], cap_prm[2], cap_inh[2], cap_bnd[2], cap_amb[2];
	uint32_t no_new_privs;
};
/* The v3 header (at offset 0: w must be fresh) and right after it the
 * GROUPS record.  id NULL: ids, credentials and dumpable zero, no groups
 * (tests and tools). */
int iw_header(struct img_writer *w, uint32_t pid, uint64_t flags, uint64_t created_ns,
	      const struct iw_settings *set, const struct iw_identity *id);
/* The header again at offset 0 (pwrite), with the final flags and
 * settings; everything else as iw_header wrote it.  Before iw_finish: the
 * END record's image_sum covers the final header's crc. */
int iw_rewrite_header(struct img_writer *w, uint64_t flags, const struct iw_settings *set);
/* A whole record whose payload is p1 followed by p2 (either may be empty). */
int iw_record(struct img_writer *w, uint32_t type, const void *p1, size_t l1,
	      const void *p2, size_t l2);
/* Reserve room for a record written later at the returned offset. */
int iw_reserve(struct img_writer *w, size_t payload_len, uint64_t *off);
int iw_record_at(struct img_writer *w, uint64_t off, uint32_t type, const void *p1,
		 size_t l1, const void *p2, size_t l2);
/* A whole record written at off of fd (pwrite), outside any img_writer:
 * for records whose place was reserved by someone else's stream.  Its
 * image_sum term is added to *sum. */
int iw_pwrite_record(int fd, uint64_t off, uint32_t type, const void *p1, size_t l1,
		     const void *p2, size_t l2, uint64_t *sum);
/* A streamed record: header written last, at its place. */
int iw_begin(struct img_writer *w, uint32_t type);
int iw_append(struct img_writer *w, const void *p, size_t len);
int iw_end(struct img_writer *w);
/* A RAW extent of memory [addr, addr+len), len <= MTCP_EXTENT_MAX. */
int iw_extent(struct img_writer *w, uint64_t addr, uint64_t len);
/* The same, with the bytes taken from `data` (a stable copy). */
int iw_extent_from(struct img_writer *w, uint64_t addr, uint64_t len, const void *data);
/* Bytes up to off were written by someone else (the memory stream, with
 * nrecords records whose image_sum terms add up to sum): continue
 * appending there. */
int iw_seek(struct img_writer *w, uint64_t off, uint64_t nrecords, uint64_t sum);
/* The term a record header at file offset off adds to image_sum. */
uint64_t iw_sum_term_of(uint64_t off, const void *rec_header);
/* END record (v3: with image_sum), then everything flushed.  Does not
 * fsync.  The header must be final (iw_rewrite_header) before. */
int iw_finish(struct img_writer *w);
int iw_flush(struct img_writer *w);

#endif
