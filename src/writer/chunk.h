/* SPDX-License-Identifier: MIT */
/*
 * chunk.h - turns one chunk of memory (up to CHUNK_MAX bytes of one
 * region) into EXTENT records: zero pages dropped, each run of non-zero
 * pages lz4-compressed where that pays and kept raw where it does not,
 * each with its crc32c.  Pure: no system call, no lock, no allocation, so
 * the writer's helper threads run it while the program is parked.
 *
 * The output buffer holds, for each piece in address order, its record
 * header and extent descriptor (CHUNK_HDR_LEN bytes), then its data unless
 * the piece is "direct": a direct piece's bytes go to the file straight
 * from memory (O_DIRECT, page-aligned in the file), so its padding, and so
 * its header, is filled by the writer once the file offset is known
 * (chunk_fill_header).
 */
#ifndef MTCP_CHUNK_H
#define MTCP_CHUNK_H

#include <stddef.h>
#include <stdint.h>

#define CHUNK_MAX (1u << 20)
#define CHUNK_MAX_RUNS 64u /* separate runs of memory one job may gather */
/* each run gives pieces split by zero pages: at most (pages + runs) / 2 + 1 */
#define CHUNK_MAX_PIECES ((CHUNK_MAX / 4096u + CHUNK_MAX_RUNS) / 2u + 1u)
#define CHUNK_HDR_LEN 56u  /* struct mtcp_rec + struct mtcp_rec_extent */
#define CHUNK_DIRECT_MIN (64u << 10) /* smaller raw runs are copied */
#define CHUNK_LZ4_SAMPLE (16u << 10) /* lz4 is tried on this much of a run first */
#define CHUNK_OUT_CAP (CHUNK_MAX + CHUNK_MAX / 255u + 64u + CHUNK_MAX_PIECES * CHUNK_HDR_LEN)
#define CHUNK_LZ4_STATE 32768u /* LZ4_sizeofState() is 16416 in lz4 1.9: checked at start */

/* Job flags. */
#define CHUNK_F_LZ4 (1u << 0)    /* try lz4 */
#define CHUNK_F_COPY (1u << 1)   /* memory may change while written: copy it */
#define CHUNK_F_DIRECT (1u << 2) /* raw runs >= CHUNK_DIRECT_MIN may go direct */
#define CHUNK_F_ZERO (1u << 3)   /* drop all-zero pages */
#define CHUNK_F_STAGED (1u << 4) /* the runs' bytes were read into `bounce`,
				    one after another (wk_stage): everything
				    is read from there, and direct pieces
				    are written from there.  A copy-on-write
				    writer reads the program's memory so
				    (docs/architecture.md) */
#define CHUNK_F_SRC (1u << 5)    /* with STAGED: each run is read at its src
				    offset of stage_fd (a copy of the memory
				    taken earlier), never from the memory
				    itself; a failed read fails the job */
#define CHUNK_F_FAILED (1u << 6) /* set by wk_stage: the staged read failed */

struct chunk_piece {
	uint64_t addr, len;  /* memory covered */
	uint32_t enc;        /* MTCP_EXT_RAW or MTCP_EXT_LZ4 */
	uint32_t data_len;   /* stored bytes */
	uint32_t crc;        /* crc32c of the stored bytes */
	uint32_t direct;     /* 1: raw bytes written from memory at addr (or,
	                        CHUNK_F_STAGED, from bounce + bounce_off) */
	uint32_t bounce_off;
	uint32_t out_off;    /* its header in the output buffer */
	uint32_t out_len;    /* header + data in the output buffer (header only if direct) */
};

struct chunk_run {
	uint64_t addr, len;
	uint64_t src;        /* CHUNK_F_SRC: where wk_stage reads it in stage_fd */
};

struct chunk_job {
	/* in: one run (addr, len; nruns 0), or nruns runs in address order;
	 * page aligned, CHUNK_MAX bytes in all at most.  Gathering many small
	 * runs (a sparse mapping) in one job makes one write of them. */
	uint64_t addr, len;
	uint32_t nruns;
	struct chunk_run runs[CHUNK_MAX_RUNS];
	uint32_t flags;      /* CHUNK_F_* */
	int lz4_accel;       /* LZ4 acceleration, >= 1 */
	char *out;           /* CHUNK_OUT_CAP bytes */
	char *bounce;        /* CHUNK_F_STAGED: CHUNK_MAX bytes, page aligned */
	int stage_fd;        /* CHUNK_F_STAGED: /proc/self/mem, read by wk_stage */
	/* out */
	uint32_t npieces;
	uint32_t out_used;
	uint64_t zero_bytes; /* bytes dropped as zero pages */
	uint64_t lz4_in, lz4_out; /* bytes compressed, and what they became */
	struct chunk_piece pieces[CHUNK_MAX_PIECES];
};

/* lz4_state: CHUNK_LZ4_STATE bytes, 8-byte aligned, private to the caller. */
void chunk_encode(struct chunk_job *j, void *lz4_state);

/* Writes the record header and extent descriptor of an extent to hdr
 * (CHUNK_HDR_LEN bytes). */
void chunk_fill_header(void *hdr, uint64_t addr, uint64_t len, uint32_t enc, uint32_t pad,
		       uint32_t data_len, uint32_t data_crc);

/* Size of lz4's state, to check CHUNK_LZ4_STATE once at start-up. */
int chunk_lz4_state_size(void);

#endif
