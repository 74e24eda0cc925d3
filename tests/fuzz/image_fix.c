/* SPDX-License-Identifier: MIT */
/* image_fix.c - recompute an image's checksums in memory (image_fix.h). */
#include "image_fix.h"
#include "image-format.h"
#include "crc32c.h"

#include <string.h>

#define REC_HDR sizeof(struct mtcp_rec)

static uint32_t get32(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, sizeof(v));
	return v;
}

static uint64_t get64(const uint8_t *p)
{
	uint64_t v;
	memcpy(&v, p, sizeof(v));
	return v;
}

static void put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, sizeof(v));
}

static void put64(uint8_t *p, uint64_t v)
{
	memcpy(p, &v, sizeof(v));
}

size_t imgfix_header_size(const uint8_t *p, size_t len)
{
	if (len < sizeof(struct mtcp_img_header) || memcmp(p, MTCP_IMG_MAGIC, 8))
		return 0;
	return get32(p + 8) >= 3 ? sizeof(struct mtcp_img_header_v3)
				 : sizeof(struct mtcp_img_header);
}

size_t imgfix_records(const uint8_t *p, size_t len, struct imgfix_rec *out, size_t max)
{
	size_t off = imgfix_header_size(p, len), n = 0;

	if (!off)
		return 0;
	while (off <= len && len - off >= REC_HDR) {
		uint32_t type = get32(p + off);
		uint64_t rlen = get64(p + off + 8);
		if (rlen > len - off - REC_HDR)
			break;
		if (n < max) {
			out[n].off = off;
			out[n].type = type;
			out[n].len = rlen;
		}
		n++;
		if (type == MTCP_REC_END)
			break;
		off += REC_HDR + rlen;
	}
	return n;
}

static uint32_t fix_header(uint8_t *p, size_t hsize)
{
	size_t at = hsize - sizeof(uint32_t);
	uint32_t crc = crc32c(0, p, at);

	put32(p + at, crc);
	return crc;
}

/* The payload checksum of the record at off. */
static void fix_payload(uint8_t *p, size_t off, uint32_t type, uint64_t rlen)
{
	uint8_t *pl = p + off + REC_HDR;
	uint32_t crc;

	if (type == MTCP_REC_EXTENT && rlen >= sizeof(struct mtcp_rec_extent)) {
		uint32_t pad = get32(pl + offsetof(struct mtcp_rec_extent, pad));
		size_t skip = sizeof(struct mtcp_rec_extent) + pad;
		put32(pl + offsetof(struct mtcp_rec_extent, desc_crc),
		      crc32c(0, pl, offsetof(struct mtcp_rec_extent, desc_crc)));
		if (skip > rlen)
			return; /* a descriptor that lies: nothing to cover */
		crc = crc32c(0, pl + skip, (size_t)(rlen - skip));
	} else {
		crc = crc32c(0, pl, (size_t)rlen);
	}
	put32(p + off + offsetof(struct mtcp_rec, payload_crc), crc);
}

static uint32_t fix_rec_header(uint8_t *p, size_t off)
{
	uint32_t crc = crc32c(0, p + off, offsetof(struct mtcp_rec, header_crc));

	put32(p + off + offsetof(struct mtcp_rec, header_crc), crc);
	return crc;
}

void imgfix_all(uint8_t *p, size_t len, unsigned flags)
{
	size_t hsize = imgfix_header_size(p, len), off = hsize;
	uint64_t sum, nrec = 0;
	int v3;

	if (!hsize || hsize > len)
		return;
	v3 = hsize == sizeof(struct mtcp_img_header_v3);
	sum = mtcp_sum_term(0, fix_header(p, hsize));
	while (len - off >= REC_HDR) {
		uint32_t type = get32(p + off);
		uint64_t rlen = get64(p + off + 8);
		if (rlen > len - off - REC_HDR)
			break;
		if (type == MTCP_REC_END) {
			uint8_t *pl = p + off + REC_HDR;
			if (!(flags & IMGFIX_KEEP_END) && rlen >= sizeof(struct mtcp_rec_end)) {
				put64(pl, nrec);
				put64(pl + 8, off + REC_HDR + rlen);
			}
			if (v3 && !(flags & IMGFIX_KEEP_SUM) && rlen >= sizeof(struct mtcp_rec_end_v3))
				put64(pl + 16, sum);
			fix_payload(p, off, type, rlen);
			fix_rec_header(p, off);
			return;
		}
		fix_payload(p, off, type, rlen);
		sum += mtcp_sum_term(off, fix_rec_header(p, off));
		nrec++;
		off += REC_HDR + rlen;
	}
}
