/* SPDX-License-Identifier: MIT */
/*
 * test_chunk.c - chunk_encode on crafted chunks (zero, random, text, mixed
 * runs, sparse bytes, alternating pages), with every flag combination that
 * matters.  Each result is checked against the memory it encodes: pieces
 * are exactly the non-zero page runs, in order; every stored record parses
 * (header and descriptor crcs, type, lengths, encoding, pad), its payload
 * crc is that of the stored bytes, lz4 pieces decode (with our own decoder)
 * to the memory and raw pieces are the memory; the lz4/raw choice is the
 * one liblz4 itself gives on the sample and on the whole run; direct
 * pieces get a header from chunk_fill_header with a pad.  The output
 * buffer is malloc'd at exactly CHUNK_OUT_CAP, so under ASan a write past
 * it stops the test.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lz4.h>

#include "chunk.h"
#include "crc32c.h"
#include "image-format.h"
#include "lz4_block.h"

#define PG 4096u
#define MIB (1u << 20)
#define SAMPLE CHUNK_LZ4_SAMPLE /* chunk.c's sample: the first bytes of a run */

#include "test_rng.h"

/*-************************************
 *  Fixture: memory, job, output, state
 **************************************/

struct fx {
	unsigned char *mem;  /* MIB, page aligned: the chunk's memory */
	struct chunk_job *job;
	char *out;           /* exactly CHUNK_OUT_CAP bytes */
	void *lz4_state;     /* CHUNK_LZ4_STATE, 8-byte aligned */
	unsigned char *dec;  /* MIB: lz4 decoding */
};

static int fx_setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	f->mem = aligned_alloc(PG, MIB);
	f->job = calloc(1, sizeof(*f->job));
	f->out = malloc(CHUNK_OUT_CAP);
	f->lz4_state = aligned_alloc(64, CHUNK_LZ4_STATE);
	f->dec = malloc(MIB);
	if (!f->mem || !f->job || !f->out || !f->lz4_state || !f->dec)
		return -1;
	memset(f->mem, 0, MIB);
	*state = f;
	return 0;
}

static int fx_teardown(void **state)
{
	struct fx *f = *state;

	free(f->mem);
	free(f->job);
	free(f->out);
	free(f->lz4_state);
	free(f->dec);
	free(f);
	return 0;
}

/*-************************************
 *  Memory contents
 **************************************/

static void fill_random(unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i += 8) {
		uint64_t v = rnd();
		memcpy(p + i, &v, n - i < 8 ? n - i : 8);
	}
}

/* English-like words: compresses to well under 7/8 with lz4 */
static void fill_text(unsigned char *p, size_t n)
{
	static const char *const words[] = {
		"checkpoint ", "restart ", "memory ", "region ", "thread ", "the ", "of ",
		"extent ", "image ", "page ", "zero ", "and ", "lz4 ", "crc ", "signal ",
	};
	size_t i = 0;

	while (i < n) {
		const char *w = words[rnd() % (sizeof(words) / sizeof(words[0]))];
		size_t l = strlen(w);
		if (l > n - i)
			l = n - i;
		memcpy(p + i, w, l);
		i += l;
	}
	/* a non-zero first byte per page, whatever the words */
	for (size_t k = 0; k < n; k += PG)
		p[k] = 'T';
}

enum kind { Z = 0, R, T }; /* zero page, random page, text page */

static void fill_pages(unsigned char *base, const enum kind *k, size_t npages)
{
	for (size_t i = 0; i < npages; i++) {
		unsigned char *p = base + i * PG;
		if (k[i] == Z)
			memset(p, 0, PG);
		else if (k[i] == R)
			fill_random(p, PG);
		else
			fill_text(p, PG);
	}
}

static int page_is_zero(const unsigned char *p)
{
	for (unsigned i = 0; i < PG; i++)
		if (p[i])
			return 0;
	return 1;
}

/*-************************************
 *  The reference and the checks
 **************************************/

#define LZ4_PAYS(in, out) ((out) != 0 && (out) <= (in) - (in) / 8u)
#define SAMPLE_HOPELESS(in, out) ((out) == 0 || (out) > (in) - (in) / 64u)

/* The encoding chunk.c must pick for a run, from liblz4 itself: the sample
 * must shrink by 1/64 at least, then the whole run must pay (1/8).  *clen:
 * the compressed size if LZ4. */
static uint32_t expect_enc(const void *src, uint64_t len, uint32_t flags, int accel, int *clen)
{
	static char tmp[LZ4_COMPRESSBOUND(MIB)];
	uint32_t sample = len < SAMPLE ? (uint32_t)len : SAMPLE;
	int s;

	*clen = 0;
	if (!(flags & CHUNK_F_LZ4))
		return MTCP_EXT_RAW;
	s = LZ4_compress_fast(src, tmp, (int)sample, (int)sizeof(tmp), accel);
	if (SAMPLE_HOPELESS(sample, (uint32_t)s))
		return MTCP_EXT_RAW;
	s = LZ4_compress_fast(src, tmp, (int)len, (int)sizeof(tmp), accel);
	if (!LZ4_PAYS((uint32_t)len, (uint32_t)s))
		return MTCP_EXT_RAW;
	*clen = s;
	return MTCP_EXT_LZ4;
}

/* Parses a record header + extent descriptor and checks every field. */
static void check_header(const void *hdr, const struct chunk_piece *p, uint32_t pad,
			 uint32_t payload_crc)
{
	struct mtcp_rec r;
	struct mtcp_rec_extent e;

	memcpy(&r, hdr, sizeof(r));
	memcpy(&e, (const char *)hdr + sizeof(r), sizeof(e));
	assert_int_equal(r.type, MTCP_REC_EXTENT);
	assert_int_equal(r.flags, 0);
	assert_int_equal(r.len, sizeof(e) + pad + p->data_len);
	assert_int_equal(r.header_crc, crc32c(0, &r, 20));
	assert_int_equal(r.payload_crc, payload_crc);
	assert_int_equal(e.addr, p->addr);
	assert_int_equal(e.len, p->len);
	assert_int_equal(e.encoding, p->enc);
	assert_int_equal(e.pad, pad);
	assert_int_equal(e.data_len, p->data_len);
	assert_int_equal(e.desc_crc, crc32c(0, &e, 28));
}

/* Runs of non-zero pages of [addr, addr + len): what the pieces must be. */
struct run {
	uint64_t addr, len;
};

static size_t data_runs(uint64_t addr, uint64_t len, struct run *runs, size_t max)
{
	size_t n = 0;

	for (uint64_t a = addr; a < addr + len; a += PG) {
		if (page_is_zero((const unsigned char *)(uintptr_t)a))
			continue;
		if (n && runs[n - 1].addr + runs[n - 1].len == a) {
			runs[n - 1].len += PG;
		} else {
			assert_true(n < max);
			runs[n++] = (struct run){ a, PG };
		}
	}
	return n;
}

/*
 * Encodes [p, p + len) with flags and checks the result completely.
 * Returns the job (in the fixture) for checks of the case itself.
 */
static struct chunk_job *encode_check(struct fx *f, const void *p, uint64_t len, uint32_t flags,
				      int accel)
{
	struct chunk_job *j = f->job;
	struct run runs[CHUNK_MAX_PIECES + 1];
	size_t nruns;
	uint64_t zero = 0, lz4_in = 0, lz4_out = 0;
	uint32_t off = 0;

	/* junk everywhere the encoder must write */
	memset(j, 0xa5, sizeof(*j));
	memset(f->out, 0x5a, CHUNK_OUT_CAP);
	j->addr = (uint64_t)(uintptr_t)p;
	j->nruns = 0; /* one run: addr, len */
	j->len = len;
	j->flags = flags;
	j->lz4_accel = accel;
	j->out = f->out;
	chunk_encode(j, f->lz4_state);

	if (flags & CHUNK_F_ZERO) {
		nruns = data_runs(j->addr, len, runs, CHUNK_MAX_PIECES + 1);
	} else {
		runs[0] = (struct run){ j->addr, len };
		nruns = 1;
	}
	assert_int_equal(j->npieces, nruns);
	assert_true(j->npieces <= CHUNK_MAX_PIECES);
	for (uint32_t i = 0; i < j->npieces; i++) {
		const struct chunk_piece *pc = &j->pieces[i];
		const unsigned char *src = (const unsigned char *)(uintptr_t)pc->addr;
		int clen;
		uint32_t enc = expect_enc(src, pc->len, flags, accel, &clen);
		int direct;

		/* the run, in address order */
		assert_int_equal(pc->addr, runs[i].addr);
		assert_int_equal(pc->len, runs[i].len);
		zero += pc->len;
		/* the encoding liblz4 says, and what goes direct */
		assert_int_equal(pc->enc, enc);
		direct = enc == MTCP_EXT_RAW && (flags & CHUNK_F_DIRECT) && !(flags & CHUNK_F_COPY) &&
			 pc->len >= CHUNK_DIRECT_MIN;
		assert_int_equal(pc->direct, direct);
		/* the output is packed, in piece order */
		assert_int_equal(pc->out_off, off);
		if (direct) {
			char hdr[CHUNK_HDR_LEN];

			assert_int_equal(pc->out_len, CHUNK_HDR_LEN);
			assert_int_equal(pc->data_len, pc->len);
			assert_int_equal(pc->crc, crc32c(0, src, pc->len));
			/* the writer fills the header once it knows the pad */
			chunk_fill_header(f->out + pc->out_off, pc->addr, pc->len, MTCP_EXT_RAW,
					  4096 - CHUNK_HDR_LEN, pc->data_len, pc->crc);
			check_header(f->out + pc->out_off, pc, 4096 - CHUNK_HDR_LEN, pc->crc);
			chunk_fill_header(hdr, pc->addr, pc->len, MTCP_EXT_RAW, 17, pc->data_len,
					  pc->crc);
			check_header(hdr, pc, 17, crc32c(0, src, pc->len));
		} else {
			const char *data = f->out + pc->out_off + CHUNK_HDR_LEN;

			assert_int_equal(pc->out_len, CHUNK_HDR_LEN + pc->data_len);
			assert_int_equal(pc->crc, crc32c(0, data, pc->data_len));
			check_header(f->out + pc->out_off, pc, 0, crc32c(0, data, pc->data_len));
			if (enc == MTCP_EXT_LZ4) {
				assert_int_equal(pc->data_len, (uint32_t)clen);
				assert_true(pc->data_len <= pc->len - pc->len / 8);
				memset(f->dec, 0xee, MIB);
				assert_int_equal(lz4_block_decode(data, pc->data_len, f->dec, MIB),
						 (long)pc->len);
				assert_memory_equal(f->dec, src, pc->len);
				lz4_in += pc->len;
				lz4_out += pc->data_len;
			} else {
				assert_int_equal(pc->data_len, pc->len);
				assert_memory_equal(data, src, pc->len);
			}
		}
		off += pc->out_len;
	}
	assert_int_equal(j->out_used, off);
	assert_true(j->out_used <= CHUNK_OUT_CAP);
	assert_int_equal(j->zero_bytes, len - zero);
	assert_int_equal(j->lz4_in, lz4_in);
	assert_int_equal(j->lz4_out, lz4_out);
	return j;
}

#define ALL (CHUNK_F_LZ4 | CHUNK_F_ZERO | CHUNK_F_DIRECT)

static const uint64_t sizes[] = { MIB, 256u << 10, 64u << 10, 60u << 10, 8192, PG };

/*-************************************
 *  Cases
 **************************************/

static void lz4_state_fits(void **state)
{
	(void)state;
	assert_true(chunk_lz4_state_size() > 0);
	assert_true(chunk_lz4_state_size() <= (int)CHUNK_LZ4_STATE);
}

static void all_zero(void **state)
{
	struct fx *f = *state;

	memset(f->mem, 0, MIB);
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		struct chunk_job *j = encode_check(f, f->mem, sizes[i], ALL, 1);
		assert_int_equal(j->npieces, 0);
		assert_int_equal(j->out_used, 0);
		assert_int_equal(j->zero_bytes, sizes[i]);
		j = encode_check(f, f->mem, sizes[i], ALL | CHUNK_F_COPY, 1);
		assert_int_equal(j->npieces, 0);
	}
	/* a zero chunk at the end of the memory, not at its start */
	assert_int_equal(encode_check(f, f->mem + MIB - PG, PG, ALL, 1)->npieces, 0);
}

static void random_raw(void **state)
{
	struct fx *f = *state;

	rng_state = 1;
	fill_random(f->mem, MIB);
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		uint64_t len = sizes[i];
		struct chunk_job *j;

		/* direct: only the header is in out, the data stays in memory */
		j = encode_check(f, f->mem, len, ALL, 1);
		assert_int_equal(j->npieces, 1);
		assert_int_equal(j->pieces[0].enc, MTCP_EXT_RAW);
		assert_int_equal(j->pieces[0].direct, len >= CHUNK_DIRECT_MIN);
		if (len >= CHUNK_DIRECT_MIN) {
			assert_int_equal(j->out_used, CHUNK_HDR_LEN);
			assert_int_equal(j->pieces[0].out_len, CHUNK_HDR_LEN);
		} else {
			assert_int_equal(j->out_used, CHUNK_HDR_LEN + len);
		}
		assert_int_equal(j->lz4_in, 0);
		assert_int_equal(j->zero_bytes, 0);

		/* copied: the memory may change while it is written */
		j = encode_check(f, f->mem, len, ALL | CHUNK_F_COPY, 1);
		assert_int_equal(j->npieces, 1);
		assert_int_equal(j->pieces[0].direct, 0);
		assert_int_equal(j->out_used, CHUNK_HDR_LEN + len);

		/* without CHUNK_F_DIRECT: copied too */
		j = encode_check(f, f->mem, len, CHUNK_F_LZ4 | CHUNK_F_ZERO, 1);
		assert_int_equal(j->pieces[0].direct, 0);
		assert_int_equal(j->out_used, CHUNK_HDR_LEN + len);

		/* without lz4 either, and at a high acceleration */
		encode_check(f, f->mem, len, CHUNK_F_ZERO | CHUNK_F_DIRECT, 1);
		encode_check(f, f->mem + MIB - len, len, ALL, 65537);
	}
}

static void text_lz4(void **state)
{
	struct fx *f = *state;

	rng_state = 2;
	fill_text(f->mem, MIB);
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		uint64_t len = sizes[i];
		for (int copy = 0; copy < 2; copy++) {
			struct chunk_job *j =
				encode_check(f, f->mem, len, ALL | (copy ? CHUNK_F_COPY : 0), 1);

			assert_int_equal(j->npieces, 1);
			assert_int_equal(j->pieces[0].enc, MTCP_EXT_LZ4);
			assert_int_equal(j->pieces[0].direct, 0);
			assert_true(j->pieces[0].data_len < len * 7 / 8);
			assert_int_equal(j->lz4_in, len);
			assert_int_equal(j->lz4_out, j->pieces[0].data_len);
		}
		encode_check(f, f->mem, len, ALL, 8);
	}
}

/* Builds the pages from a run-length layout; returns the page count. */
struct seg {
	enum kind k;
	int n;
};

static size_t build(unsigned char *base, const struct seg *l, size_t nl)
{
	static enum kind k[256];
	size_t i = 0;

	for (size_t s = 0; s < nl; s++)
		for (int n = 0; n < l[s].n; n++) {
			assert_true(i < 256);
			k[i++] = l[s].k;
		}
	fill_pages(base, k, i);
	return i;
}

/* Zero pages split runs: the pieces are the runs, whatever is in them. */
static void mixed_runs(void **state)
{
	struct fx *f = *state;
	static const struct seg layout[] = {
		{ Z, 2 }, { R, 20 },                       /* direct raw, pages 2..21 */
		{ Z, 1 }, { T, 5 },                        /* lz4, 23..27 */
		{ Z, 3 }, { R, 3 }, { T, 17 }, { R, 16 },  /* one run, 31..66 */
		{ Z, 1 }, { R, 16 }, { T, 40 },            /* one run, 68..123: the 64 KiB
		                                              sample is random: raw */
		{ Z, 76 }, { R, 56 },                      /* 200..255: up to the end */
	};
	uint64_t base = (uint64_t)(uintptr_t)f->mem;
	struct chunk_job *j;

	rng_state = 3;
	assert_int_equal(build(f->mem, layout, sizeof(layout) / sizeof(layout[0])), 256);
	j = encode_check(f, f->mem, MIB, ALL, 1);
	assert_int_equal(j->npieces, 5);
	assert_int_equal(j->pieces[0].addr, base + 2 * PG);
	assert_int_equal(j->pieces[0].len, 20 * PG);
	assert_int_equal(j->pieces[0].enc, MTCP_EXT_RAW);
	assert_int_equal(j->pieces[0].direct, 1);
	assert_int_equal(j->pieces[1].addr, base + 23 * PG);
	assert_int_equal(j->pieces[1].len, 5 * PG);
	assert_int_equal(j->pieces[1].enc, MTCP_EXT_LZ4);
	assert_int_equal(j->pieces[2].addr, base + 31 * PG);
	assert_int_equal(j->pieces[2].len, 36 * PG);
	assert_int_equal(j->pieces[3].addr, base + 68 * PG);
	assert_int_equal(j->pieces[3].len, 56 * PG);
	assert_int_equal(j->pieces[3].enc, MTCP_EXT_RAW);
	assert_int_equal(j->pieces[3].direct, 1);
	assert_int_equal(j->pieces[4].addr, base + 200 * PG);
	assert_int_equal(j->pieces[4].len, 56 * PG);
	assert_int_equal(j->zero_bytes, (2 + 1 + 3 + 1 + 76) * PG);

	/* copied, and a chunk starting inside the layout (at page 20) */
	encode_check(f, f->mem, MIB, ALL | CHUNK_F_COPY, 1);
	j = encode_check(f, f->mem + 20 * PG, 200 * PG, ALL, 1);
	assert_int_equal(j->npieces, 5);
	assert_int_equal(j->pieces[0].len, 2 * PG);
	assert_int_equal(j->pieces[0].direct, 0);
	assert_int_equal(j->pieces[4].len, 20 * PG);
}

/* The sample compresses, the whole run does not: raw, and direct. */
static void sample_pays_run_does_not(void **state)
{
	struct fx *f = *state;
	static const struct seg layout[] = { { T, 16 }, { R, 200 }, { Z, 40 } };
	struct chunk_job *j;

	rng_state = 4;
	build(f->mem, layout, 3);
	j = encode_check(f, f->mem, MIB, ALL, 1);
	assert_int_equal(j->npieces, 1);
	assert_int_equal(j->pieces[0].len, 216 * PG);
	assert_int_equal(j->pieces[0].enc, MTCP_EXT_RAW);
	assert_int_equal(j->pieces[0].direct, 1);
	assert_int_equal(j->out_used, CHUNK_HDR_LEN);
	assert_int_equal(j->lz4_in, 0);
	j = encode_check(f, f->mem, MIB, ALL | CHUNK_F_COPY, 1);
	assert_int_equal(j->pieces[0].enc, MTCP_EXT_RAW);
	assert_int_equal(j->out_used, CHUNK_HDR_LEN + 216 * PG);
}

/* One non-zero byte in every 64th page: one-page pieces, at the right
 * pages, whichever byte of the page it is. */
static void sparse_bytes(void **state)
{
	struct fx *f = *state;
	uint64_t base = (uint64_t)(uintptr_t)f->mem;
	static const unsigned offs[] = { 4095, 0, 2048, 1, 63, 64, 4032, 4094 };

	for (unsigned first = 0; first < 64; first += 63) {
		struct chunk_job *j;

		memset(f->mem, 0, MIB);
		for (unsigned pg = first, n = 0; pg < 256; pg += 64, n++)
			f->mem[pg * PG + offs[n + (first ? 4 : 0)]] = (unsigned char)(0x80 | pg);
		j = encode_check(f, f->mem, MIB, ALL, 1);
		assert_int_equal(j->npieces, 4);
		for (unsigned n = 0; n < 4; n++) {
			assert_int_equal(j->pieces[n].addr, base + (first + 64 * n) * PG);
			assert_int_equal(j->pieces[n].len, PG);
			assert_int_equal(j->pieces[n].enc, MTCP_EXT_LZ4);
		}
		assert_int_equal(j->zero_bytes, 252 * PG);
		j = encode_check(f, f->mem, MIB, CHUNK_F_ZERO, 1);
		assert_int_equal(j->npieces, 4);
		assert_int_equal(j->pieces[3].enc, MTCP_EXT_RAW);
	}
	/* every byte position of a page, one at a time, in a two-page chunk */
	for (unsigned o = 0; o < PG; o += 7) {
		struct chunk_job *j;

		memset(f->mem, 0, 2 * PG);
		f->mem[PG + o] = 1;
		j = encode_check(f, f->mem, 2 * PG, ALL, 1);
		assert_int_equal(j->npieces, 1);
		assert_int_equal(j->pieces[0].addr, base + PG);
		f->mem[PG + o] = 0;
	}
	f->mem[2 * PG - 1] = 1;
	assert_int_equal(encode_check(f, f->mem, 2 * PG, ALL, 1)->npieces, 1);
}

/* Alternating data and zero pages: the most pieces a chunk can have. */
static void alternating(void **state)
{
	struct fx *f = *state;
	enum kind k[256];

	rng_state = 5;
	for (int phase = 0; phase < 2; phase++) {
		for (int kind = R; kind <= T; kind++) {
			struct chunk_job *j;

			for (int i = 0; i < 256; i++)
				k[i] = (i & 1) == phase ? (enum kind)kind : Z;
			fill_pages(f->mem, k, 256);
			j = encode_check(f, f->mem, MIB, ALL, 1);
			assert_int_equal(j->npieces, 128);
			assert_true(j->npieces <= CHUNK_MAX_PIECES);
			assert_int_equal(j->zero_bytes, MIB / 2);
			for (int i = 0; i < 128; i++) {
				assert_int_equal(j->pieces[i].addr,
						 (uint64_t)(uintptr_t)f->mem + (2 * i + phase) * PG);
				assert_int_equal(j->pieces[i].enc,
						 kind == R ? MTCP_EXT_RAW : MTCP_EXT_LZ4);
				assert_int_equal(j->pieces[i].direct, 0); /* 4 KiB: copied */
			}
			if (kind == R)
				assert_int_equal(j->out_used, 128 * (CHUNK_HDR_LEN + PG));
			/* without lz4: the largest output of a chunk made of pieces */
			j = encode_check(f, f->mem, MIB, CHUNK_F_ZERO | CHUNK_F_DIRECT, 1);
			assert_int_equal(j->npieces, 128);
			assert_int_equal(j->out_used, 128 * (CHUNK_HDR_LEN + PG));
		}
	}
	/* the worst case for the output: one raw piece of the whole chunk */
	fill_random(f->mem, MIB);
	assert_int_equal(encode_check(f, f->mem, MIB, CHUNK_F_ZERO | CHUNK_F_COPY, 1)->out_used,
			 CHUNK_HDR_LEN + MIB);
}

/* Without CHUNK_F_ZERO: one piece over everything, zero pages included. */
static void without_zero(void **state)
{
	struct fx *f = *state;
	static const struct seg layout[] = { { Z, 3 }, { R, 30 }, { Z, 100 }, { T, 20 }, { Z, 103 } };
	struct chunk_job *j;

	rng_state = 6;
	build(f->mem, layout, 5);
	j = encode_check(f, f->mem, MIB, CHUNK_F_LZ4 | CHUNK_F_DIRECT, 1);
	assert_int_equal(j->npieces, 1);
	assert_int_equal(j->pieces[0].addr, (uint64_t)(uintptr_t)f->mem);
	assert_int_equal(j->pieces[0].len, MIB);
	assert_int_equal(j->pieces[0].enc, MTCP_EXT_LZ4);
	assert_int_equal(j->zero_bytes, 0);
	j = encode_check(f, f->mem, MIB, CHUNK_F_DIRECT, 1);
	assert_int_equal(j->npieces, 1);
	assert_int_equal(j->pieces[0].enc, MTCP_EXT_RAW);
	assert_int_equal(j->pieces[0].direct, 1);
	/* all zero: still one piece */
	memset(f->mem, 0, MIB);
	j = encode_check(f, f->mem, PG, CHUNK_F_LZ4, 1);
	assert_int_equal(j->npieces, 1);
	assert_int_equal(j->pieces[0].enc, MTCP_EXT_LZ4);
	j = encode_check(f, f->mem, MIB, CHUNK_F_COPY | CHUNK_F_DIRECT, 1);
	assert_int_equal(j->npieces, 1);
	assert_int_equal(j->pieces[0].enc, MTCP_EXT_RAW);
	assert_int_equal(j->pieces[0].direct, 0);
}

/* Without CHUNK_F_LZ4: all raw, even text. */
static void without_lz4(void **state)
{
	struct fx *f = *state;
	static const struct seg layout[] = { { T, 40 }, { Z, 1 }, { T, 3 }, { Z, 2 }, { R, 10 },
					     { T, 200 } };
	struct chunk_job *j;

	rng_state = 7;
	build(f->mem, layout, 6);
	j = encode_check(f, f->mem, MIB, CHUNK_F_ZERO | CHUNK_F_DIRECT, 1);
	assert_int_equal(j->npieces, 3);
	for (uint32_t i = 0; i < j->npieces; i++)
		assert_int_equal(j->pieces[i].enc, MTCP_EXT_RAW);
	assert_int_equal(j->pieces[0].direct, 1);
	assert_int_equal(j->pieces[1].direct, 0);
	assert_int_equal(j->pieces[2].direct, 1);
	assert_int_equal(j->lz4_in, 0);
	assert_int_equal(j->lz4_out, 0);
	assert_int_equal(j->zero_bytes, 3 * PG);
}

/* Random layouts, sizes and flags: every invariant of encode_check. */
static void random_layouts(void **state)
{
	struct fx *f = *state;
	enum kind k[256];

	rng_state = 8;
	for (int iter = 0; iter < 150; iter++) {
		size_t npages = 1 + rnd() % 256, first = rnd() % (257 - npages);
		size_t i = 0;

		while (i < 256) {
			enum kind kind = (enum kind)(rnd() % 3);
			size_t n = 1 + (rnd() % 4 == 0 ? rnd() % 64 : rnd() % 4);
			while (n-- && i < 256)
				k[i++] = kind;
		}
		fill_pages(f->mem, k, 256);
		encode_check(f, f->mem + first * PG, npages * PG, (uint32_t)(rnd() % 16),
			     1 + (int)(rnd() % 4));
	}
}

/*
 * A job that gathers several runs (memory.c does so for sparse mappings)
 * gives the pieces, stats and output bytes of one job per run, one after
 * the other.  CHUNK_MAX_RUNS runs of one page each, some all zero, some
 * random, some text, spread over the 1 MiB.
 */
static void gathered_runs(void **state)
{
	struct fx *f = *state;
	struct chunk_job *one = calloc(1, sizeof(*one));
	char *out1 = malloc(CHUNK_OUT_CAP);
	uint32_t npieces = 0, out_used = 0;
	uint64_t zero = 0, lz4_in = 0, lz4_out = 0;
	struct chunk_job *j = f->job;

	assert_non_null(one);
	assert_non_null(out1);
	for (uint32_t r = 0; r < CHUNK_MAX_RUNS; r++) {
		unsigned char *p = f->mem + (size_t)r * 4 * PG;
		if (r % 3 == 1)
			memset(p, 0, PG);
		else
			for (size_t k = 0; k < PG; k++)
				p[k] = (unsigned char)(r % 3 ? k * 13 + r : (k * 2654435761u) >> 13);
	}
	memset(j, 0, sizeof(*j));
	j->nruns = CHUNK_MAX_RUNS;
	for (uint32_t r = 0; r < CHUNK_MAX_RUNS; r++) {
		j->runs[r].addr = (uint64_t)(uintptr_t)(f->mem + (size_t)r * 4 * PG);
		j->runs[r].len = PG;
	}
	j->flags = CHUNK_F_LZ4 | CHUNK_F_ZERO | CHUNK_F_DIRECT;
	j->lz4_accel = 1;
	j->out = f->out;
	chunk_encode(j, f->lz4_state);

	for (uint32_t r = 0; r < CHUNK_MAX_RUNS; r++) {
		memset(one, 0, sizeof(*one));
		one->addr = j->runs[r].addr;
		one->len = PG;
		one->flags = j->flags;
		one->lz4_accel = 1;
		one->out = out1;
		chunk_encode(one, f->lz4_state);
		for (uint32_t k = 0; k < one->npieces; k++) {
			const struct chunk_piece *a = &one->pieces[k], *b = &j->pieces[npieces + k];
			assert_true(npieces + k < j->npieces);
			assert_true(a->addr == b->addr && a->len == b->len && a->enc == b->enc &&
				    a->data_len == b->data_len && a->crc == b->crc);
			assert_int_equal(b->out_off, out_used + a->out_off);
		}
		assert_memory_equal(f->out + out_used, out1, one->out_used);
		npieces += one->npieces;
		out_used += one->out_used;
		zero += one->zero_bytes;
		lz4_in += one->lz4_in;
		lz4_out += one->lz4_out;
	}
	assert_int_equal(j->npieces, npieces);
	assert_int_equal(j->out_used, out_used);
	assert_true(j->zero_bytes == zero && zero == (CHUNK_MAX_RUNS + 1) / 3 * PG);
	assert_true(j->lz4_in == lz4_in && j->lz4_out == lz4_out);
	free(one);
	free(out1);
}

/*
 * CHUNK_F_STAGED: a job whose runs were read into its bounce buffer, one
 * after another, is encoded from there alone.  The memory is overwritten
 * after staging: any read of it would change the output.  Direct pieces
 * point into the bounce buffer; everything else is what encoding the
 * memory itself gave before it was overwritten.
 */
static void staged_runs(void **state)
{
	struct fx *f = *state;
	struct chunk_job *ref = calloc(1, sizeof(*ref));
	char *ref_out = malloc(CHUNK_OUT_CAP);
	unsigned char *bounce = aligned_alloc(PG, CHUNK_MAX);
	struct chunk_job *j = f->job;
	/* runs: 96 KiB of random (raw, direct), 8 KiB of zero, 64 KiB of text
	 * (lz4), 128 KiB of random with a zero page inside */
	static const uint32_t len[] = { 24 * PG, 2 * PG, 16 * PG, 32 * PG };
	uint64_t rng = 7, used = 0;
	size_t at = 0;

	assert_non_null(ref);
	assert_non_null(ref_out);
	assert_non_null(bounce);
	memset(j, 0, sizeof(*j));
	j->nruns = 4;
	for (uint32_t r = 0; r < 4; r++) {
		unsigned char *p = f->mem + at;
		for (size_t k = 0; k < len[r]; k++)
			p[k] = r == 1 ? 0 : r == 2 ? (unsigned char)("staged text "[k % 12]) :
			       (unsigned char)((rng = rng * 6364136223846793005ull + 1442695040888963407ull) >> 56);
		if (r == 3)
			memset(p + 5 * PG, 0, PG);
		j->runs[r].addr = (uint64_t)(uintptr_t)p;
		j->runs[r].len = len[r];
		at += len[r] + PG; /* a gap between runs */
	}
	j->flags = CHUNK_F_LZ4 | CHUNK_F_ZERO | CHUNK_F_DIRECT;
	j->lz4_accel = 1;
	/* the reference: the memory itself */
	*ref = *j;
	ref->out = ref_out;
	chunk_encode(ref, f->lz4_state);
	/* staged, then the memory changes under it */
	for (uint32_t r = 0; r < 4; r++) {
		memcpy(bounce + used, (const void *)(uintptr_t)j->runs[r].addr, len[r]);
		used += len[r];
	}
	memset(f->mem, 0xa5, at);
	j->flags |= CHUNK_F_STAGED;
	j->bounce = (char *)bounce;
	j->out = f->out;
	chunk_encode(j, f->lz4_state);

	assert_int_equal(j->npieces, ref->npieces);
	assert_int_equal(j->out_used, ref->out_used);
	assert_memory_equal(j->out, ref->out, ref->out_used);
	assert_int_equal(j->zero_bytes, 3 * PG);
	for (uint32_t i = 0, direct = 0; i < j->npieces; i++) {
		const struct chunk_piece *a = &ref->pieces[i], *b = &j->pieces[i];
		uint64_t in_bounce = 0;

		assert_true(a->addr == b->addr && a->len == b->len && a->enc == b->enc &&
			    a->data_len == b->data_len && a->crc == b->crc && a->direct == b->direct);
		if (!b->direct)
			continue;
		direct++;
		/* where the piece's bytes were staged */
		for (uint32_t r = 0, o = 0; r < 4; o += len[r], r++)
			if (b->addr >= j->runs[r].addr && b->addr < j->runs[r].addr + len[r])
				in_bounce = o + (b->addr - j->runs[r].addr);
		assert_int_equal(b->bounce_off, in_bounce);
		assert_int_equal(crc32c(0, bounce + b->bounce_off, b->len), b->crc);
		assert_true(direct <= 3);
	}
	free(ref);
	free(ref_out);
	free(bounce);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(lz4_state_fits),
		cmocka_unit_test_setup_teardown(all_zero, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(random_raw, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(text_lz4, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(mixed_runs, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(sample_pays_run_does_not, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(sparse_bytes, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(alternating, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(without_zero, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(without_lz4, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(random_layouts, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(gathered_runs, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(staged_runs, fx_setup, fx_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
