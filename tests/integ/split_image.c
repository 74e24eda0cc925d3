/* SPDX-License-Identifier: MIT */
/*
 * split_image.c - makes an increment out of an image, for tests of the
 * restart side of chains (run_integ.sh --split N) before the library
 * writes increments itself:
 *
 *   split_image IMAGE OUT
 *
 * OUT (new, in IMAGE's directory) is an increment whose parent is IMAGE:
 * the same records, with a PREV record naming IMAGE, and in each
 * anonymous or private file region, of IMAGE's extents taken in turn:
 * one kept (re-encoded RAW), one inherited whole (an INHERIT run), one
 * inherited for its first half only with the second half kept, so that
 * the restorer reads IMAGE's extents whole and in part.  IMAGE's own
 * INHERIT runs (it may be an increment itself) stay inherited: they are
 * then its parent's pages, read from the grandparent.  OUT restores to
 * exactly the process IMAGE does.  Exit status 0, or 1 with a message.
 */
#include "chain.h"
#include "image_writer.h"
#include "crc32c.h"
#include "lz4_block.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PAGE 4096ull
#define MAX_RUNS_PER_REC 65535u

static void die(const char *what, const char *why)
{
	fprintf(stderr, "split_image: %s: %s\n", what, why);
	exit(1);
}

static void read_at(int fd, void *p, size_t len, uint64_t off)
{
	if (pread(fd, p, len, (off_t)off) != (ssize_t)len)
		die("read", strerror(errno ? errno : EIO));
}

/* What becomes of an extent of the source: 0 kept, 1 inherited whole,
 * 2 first half inherited (whole if one page). */
static unsigned mode_of(uint32_t n)
{
	return n % 3;
}

static int cmp_run(const void *a, const void *b)
{
	const struct mtcp_inherit_run *x = a, *y = b;
	return x->start < y->start ? -1 : x->start > y->start;
}

int main(int argc, char **argv)
{
	static char wbuf[1 << 16];
	static uint8_t enc[MTCP_EXTENT_MAX + MTCP_EXTENT_MAX / 255 + 16], plain[MTCP_EXTENT_MAX];
	struct chain c;
	struct img_writer w;
	struct mtcp_img_header_v3 h;
	struct mtcp_rec_prev prev;
	const struct image *img;
	const char *name;
	char err[1024];
	uint64_t off;
	uint32_t nth = 0;
	int fd;

	if (argc != 3) {
		fprintf(stderr, "usage: split_image IMAGE OUT\n");
		return 2;
	}
	if (chain_load(argv[1], &c, err, sizeof(err)))
		die(argv[1], err);
	img = &c.img[0];
	if (img->hdr.version < 5)
		die(argv[1], "not a version 5 image");
	fd = open(argv[2], O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		die(argv[2], strerror(errno));

	h = img->hdr;
	h.flags |= MTCP_IMGF_INCREMENTAL;
	for (int i = 0; i < MTCP_ID_LEN; i++)
		h.image_id[i] ^= 0x5a; /* another image of the same lineage */
	h.seq++;
	h.header_crc = crc32c(0, &h, offsetof(struct mtcp_img_header_v3, header_crc));
	if (pwrite(fd, &h, sizeof(h), 0) != (ssize_t)sizeof(h))
		die(argv[2], strerror(errno));
	iw_init(&w, fd, wbuf, sizeof(wbuf));
	w.hdr = h;
	if (iw_seek(&w, sizeof(h), 0, 0))
		die(argv[2], "seek");

	name = strrchr(argv[1], '/');
	name = name ? name + 1 : argv[1];
	memset(&prev, 0, sizeof(prev));
	memcpy(prev.image_id, img->hdr.image_id, MTCP_ID_LEN);
	prev.image_sum = img->image_sum;
	prev.file_size = img->size;
	prev.depth = chain_depth(&c, 0) + 1;
	prev.name_len = (uint32_t)strlen(name);

	/* the state records as they are (GROUPS, then our PREV), up to the
	 * first REGION */
	for (off = img->hdr.header_size;;) {
		struct mtcp_rec r;
		void *p;
		read_at(img->fd, &r, sizeof(r), off);
		if (r.type == MTCP_REC_REGION || r.type == MTCP_REC_END)
			break;
		if (r.type != MTCP_REC_PREV) {
			p = malloc(r.len ? r.len : 1);
			if (!p)
				die("copy", "out of memory");
			read_at(img->fd, p, r.len, off + sizeof(r));
			if (iw_record(&w, r.type, p, r.len, NULL, 0))
				die(argv[2], "write");
			free(p);
		}
		if (r.type == MTCP_REC_GROUPS &&
		    iw_record(&w, MTCP_REC_PREV, &prev, sizeof(prev), name, prev.name_len))
			die(argv[2], "write");
		off += sizeof(r) + r.len;
	}

	for (uint32_t i = 0; i < img->nregions; i++) {
		const struct img_region *g = &img->regions[i];
		struct mtcp_rec_region rr = g->rec;
		int inh = g->rec.kind == MTCP_RGN_ANON || g->rec.kind == MTCP_RGN_FILE_PRIVATE;
		struct mtcp_inherit_run *runs;
		uint32_t nruns = 0, next = 0, first = nth;

		runs = malloc((g->nruns + g->rec.nextents + 1) * sizeof(*runs));
		if (!runs)
			die("plan", "out of memory");
		for (uint32_t k = 0; k < g->nruns; k++)
			runs[nruns++] = img->runs[g->first_run + k];
		/* the plan: runs and the number of extents kept */
		for (uint32_t x = 0; x < g->rec.nextents; x++, nth++) {
			const struct rst_extent *e = &img->extents[g->first_extent + x];
			unsigned m = inh ? mode_of(nth) : 0;
			if (m == 0) {
				next++;
			} else if (m == 1 || e->len < 2 * PAGE) {
				runs[nruns++] = (struct mtcp_inherit_run){ e->addr, e->addr + e->len };
			} else {
				uint64_t half = e->len / PAGE / 2 * PAGE;
				runs[nruns++] = (struct mtcp_inherit_run){ e->addr, e->addr + half };
				next++;
			}
		}
		qsort(runs, nruns, sizeof(*runs), cmp_run);
		rr.nextents = next;
		rr.ninherit = (nruns + MAX_RUNS_PER_REC - 1) / MAX_RUNS_PER_REC;
		if (iw_record(&w, MTCP_REC_REGION, &rr, sizeof(rr), g->path, rr.path_len))
			die(argv[2], "write");
		nth = first;
		for (uint32_t x = 0; x < g->rec.nextents; x++, nth++) {
			const struct rst_extent *e = &img->extents[g->first_extent + x];
			unsigned m = inh ? mode_of(nth) : 0;
			uint64_t skip = 0;
			if (m == 1 || (m == 2 && e->len < 2 * PAGE))
				continue;
			if (m == 2)
				skip = e->len / PAGE / 2 * PAGE;
			read_at(img->fd, e->enc == MTCP_EXT_LZ4 ? enc : plain, e->data_len, e->file_off);
			if (e->enc == MTCP_EXT_LZ4 &&
			    lz4_block_decode(enc, e->data_len, plain, e->len) != (long)e->len)
				die(argv[1], "lz4 data does not decode");
			if (iw_extent_from(&w, e->addr + skip, e->len - skip, plain + skip))
				die(argv[2], "write");
		}
		for (uint32_t k = 0; k < nruns; k += MAX_RUNS_PER_REC) {
			uint32_t n = nruns - k < MAX_RUNS_PER_REC ? nruns - k : MAX_RUNS_PER_REC;
			struct mtcp_rec_inherit ih = { g->rec.start, n, 0 };
			if (iw_record(&w, MTCP_REC_INHERIT, &ih, sizeof(ih), runs + k,
				      n * sizeof(*runs)))
				die(argv[2], "write");
		}
		free(runs);
	}
	if (iw_finish(&w) || fsync(fd) || close(fd))
		die(argv[2], "write");
	chain_free(&c);
	return 0;
}
