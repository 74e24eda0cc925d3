/* SPDX-License-Identifier: MIT */
/* chunk.c - zero check, lz4 and crc32c of one chunk (see chunk.h). */
#include "chunk.h"
#include "image-format.h"
#include "crc32c.h"
#include "zero_check.h"

#include <lz4.h>
#include <string.h>

#define PAGE 4096u

_Static_assert(sizeof(struct mtcp_rec) + sizeof(struct mtcp_rec_extent) == CHUNK_HDR_LEN,
	       "chunk header length");

/* Compression must save at least 1/8 of the bytes to be kept: below that
 * the restart's decompression costs more than reading the bytes. */
#define LZ4_PAYS(in, out) ((out) != 0 && (out) <= (in) - (in) / 8u)
/* Runs are sampled first: a run whose first SAMPLE bytes lz4 cannot shrink
 * by even 1/64 (random data, compressed media) is stored raw without
 * compressing the rest; any other run is compressed whole and kept if that
 * pays (a sample is too small to judge mixed data by). */
#define SAMPLE_HOPELESS(in, out) ((out) == 0 || (out) > (in) - (in) / 64u)
#define SAMPLE CHUNK_LZ4_SAMPLE

int chunk_lz4_state_size(void)
{
	return LZ4_sizeofState();
}

void chunk_fill_header(void *hdr, uint64_t addr, uint64_t len, uint32_t enc, uint32_t pad,
		       uint32_t data_len, uint32_t data_crc)
{
	struct {
		struct mtcp_rec r;
		struct mtcp_rec_extent e;
	} h;

	memset(&h, 0, sizeof(h));
	h.e.addr = addr;
	h.e.len = len;
	h.e.encoding = enc;
	h.e.pad = pad;
	h.e.data_len = data_len;
	h.e.desc_crc = crc32c(0, &h.e, offsetof(struct mtcp_rec_extent, desc_crc));
	h.r.type = MTCP_REC_EXTENT;
	h.r.len = sizeof(h.e) + pad + data_len;
	h.r.payload_crc = data_crc;
	h.r.header_crc = crc32c(0, &h.r, offsetof(struct mtcp_rec, header_crc));
	memcpy(hdr, &h, sizeof(h));
}

/* The bytes of memory at addr are read at addr + delta (delta is 0, or
 * leads into the staged copy). */
static void emit(struct chunk_job *j, void *lz4_state, uint64_t addr, uint64_t len,
		 uint64_t delta)
{
	struct chunk_piece *p = &j->pieces[j->npieces++];
	const char *src = (const char *)(uintptr_t)(addr + delta);
	char *hdr = j->out + j->out_used;
	char *data = hdr + CHUNK_HDR_LEN;
	uint32_t room = CHUNK_OUT_CAP - j->out_used - CHUNK_HDR_LEN;
	int clen = 0;

	p->addr = addr;
	p->len = len;
	p->direct = 0;
	p->out_off = j->out_used;
	if (j->flags & CHUNK_F_LZ4) {
		uint32_t sample = len < SAMPLE ? (uint32_t)len : SAMPLE;
		int s = LZ4_compress_fast_extState(lz4_state, src, data, (int)sample, (int)room,
						   j->lz4_accel);
		if (!SAMPLE_HOPELESS(sample, (uint32_t)s))
			clen = sample == len ? s :
			       LZ4_compress_fast_extState(lz4_state, src, data, (int)len, (int)room,
							  j->lz4_accel);
		if (!LZ4_PAYS(len, (uint32_t)clen))
			clen = 0;
	}
	if (clen) {
		p->enc = MTCP_EXT_LZ4;
		p->data_len = (uint32_t)clen;
		j->lz4_in += len;
		j->lz4_out += (uint32_t)clen;
	} else {
		p->enc = MTCP_EXT_RAW;
		p->data_len = (uint32_t)len;
		p->direct = (j->flags & CHUNK_F_DIRECT) && !(j->flags & CHUNK_F_COPY) &&
			    len >= CHUNK_DIRECT_MIN;
		if (!p->direct)
			memcpy(data, src, len);
		else if (j->flags & CHUNK_F_STAGED)
			p->bounce_off = (uint32_t)(src - j->bounce);
	}
	p->crc = crc32c(0, p->enc == MTCP_EXT_LZ4 || !p->direct ? data : src, p->data_len);
	if (p->direct) {
		p->out_len = CHUNK_HDR_LEN; /* the header is filled by the writer */
	} else {
		p->out_len = CHUNK_HDR_LEN + p->data_len;
		chunk_fill_header(hdr, addr, len, p->enc, 0, p->data_len, p->crc);
	}
	j->out_used += p->out_len;
}

static void encode_run(struct chunk_job *j, void *lz4_state, uint64_t a, uint64_t len,
		       uint64_t delta)
{
	uint64_t end = a + len;

	/* the zero check goes by whole pages */
	if (!(j->flags & CHUNK_F_ZERO) || (len & (PAGE - 1))) {
		if (len)
			emit(j, lz4_state, a, len, delta);
		return;
	}
	while (a < end) {
		size_t left = (size_t)((end - a) / PAGE);
		size_t z = zc_zero_run((const void *)(uintptr_t)(a + delta), left), d;

		j->zero_bytes += z * PAGE;
		a += z * PAGE;
		if (a >= end)
			break;
		d = zc_data_run((const void *)(uintptr_t)(a + delta), (size_t)((end - a) / PAGE));
		emit(j, lz4_state, a, d * PAGE, delta);
		a += d * PAGE;
	}
}

void chunk_encode(struct chunk_job *j, void *lz4_state)
{
	uint64_t staged = (uint64_t)(uintptr_t)j->bounce;
	int st = !!(j->flags & CHUNK_F_STAGED);

	j->npieces = 0;
	j->out_used = 0;
	j->zero_bytes = j->lz4_in = j->lz4_out = 0;
	if (j->flags & CHUNK_F_FAILED)
		return; /* its copy could not be read: the writer fails it */
	if (!j->nruns) {
		encode_run(j, lz4_state, j->addr, j->len, st ? staged - j->addr : 0);
		return;
	}
	for (uint32_t i = 0; i < j->nruns && i < CHUNK_MAX_RUNS; i++) {
		encode_run(j, lz4_state, j->runs[i].addr, j->runs[i].len,
			   st ? staged - j->runs[i].addr : 0);
		staged += j->runs[i].len;
	}
}
