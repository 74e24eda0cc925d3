/* SPDX-License-Identifier: MIT */
/*
 * flatten.c - a chain written out as one full image (flatten.h).
 *
 * Records keep their header_crc wherever they go (it covers type, flags,
 * length and payload crc, not the offset), so the state records are
 * copied byte for byte and only image_sum, which mixes in each record's
 * offset, is summed again.  An extent's payload_crc covers only its data,
 * so an extent copied whole keeps it too: only its padding is chosen
 * anew, to start the data page-aligned in the new file (O_DIRECT reads),
 * with the descriptor's crc and the record header redone.
 */
#include "flatten.h"
#include "chain.h"
#include "crc32c.h"
#include "lz4_block.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#define ULL(x) ((unsigned long long)(x))
#define COPY_CHUNK (1u << 20)

#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE 1
#endif

struct out {
	int fd;
	uint64_t off;      /* next byte */
	uint64_t sum;      /* image_sum so far, the header's term included */
	uint64_t nrecords; /* records written, END not counted */
	uint8_t *buf;      /* COPY_CHUNK bytes for copies; MTCP_EXTENT_MAX for decoding */
	uint8_t *plain;
	char *err;
	size_t errlen;
};

static int fail(struct out *o, int rc, const char *fmt, unsigned long long a)
{
	snprintf(o->err, o->errlen, fmt, a, strerror(rc < 0 ? -rc : rc));
	return rc < 0 ? rc : -rc;
}

static int put(struct out *o, const void *p, size_t len)
{
	const char *c = p;
	while (len) {
		ssize_t n = pwrite(o->fd, c, len, (off_t)o->off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return fail(o, n < 0 ? -errno : -EIO, "cannot write at offset %llu: %s",
				    ULL(o->off));
		c += n;
		len -= (size_t)n;
		o->off += (uint64_t)n;
	}
	return 0;
}

static int get(struct out *o, int fd, void *p, size_t len, uint64_t off)
{
	size_t got = 0;
	while (got < len) {
		ssize_t n = pread(fd, (char *)p + got, len - got, (off_t)(off + got));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return fail(o, n < 0 ? -errno : -ENODATA,
				    "cannot read an image at offset %llu: %s", ULL(off + got));
		got += (size_t)n;
	}
	return 0;
}

/* A record header for a payload of len bytes whose crc is pcrc, at o->off. */
static int put_rec_header(struct out *o, uint32_t type, uint64_t len, uint32_t pcrc, int count)
{
	struct mtcp_rec r = { type, 0, len, pcrc, 0 };

	r.header_crc = crc32c(0, &r, offsetof(struct mtcp_rec, header_crc));
	if (count) {
		o->sum += mtcp_sum_term(o->off, r.header_crc);
		o->nrecords++;
	}
	return put(o, &r, sizeof(r));
}

static int put_record(struct out *o, uint32_t type, const void *p1, size_t l1, const void *p2,
		      size_t l2)
{
	uint32_t crc = crc32c(crc32c(0, p1, l1), p2, l2);
	int rc = put_rec_header(o, type, l1 + l2, crc, 1);
	if (!rc)
		rc = put(o, p1, l1);
	if (!rc)
		rc = put(o, p2, l2);
	return rc;
}

/* The state records of the newest image (everything before its first
 * REGION but PREV), byte for byte; each payload's crc checked again. */
static int copy_state(struct out *o, const struct image *img)
{
	uint64_t off = img->hdr.header_size;
	int rc = 0;

	for (;;) {
		struct mtcp_rec r;
		uint32_t crc = 0;

		rc = get(o, img->fd, &r, sizeof(r), off);
		if (rc)
			return rc;
		if (r.type == MTCP_REC_REGION || r.type == MTCP_REC_END)
			return 0;
		if (r.type == MTCP_REC_PREV) {
			off += sizeof(r) + r.len;
			continue;
		}
		o->sum += mtcp_sum_term(o->off, r.header_crc);
		o->nrecords++;
		rc = put(o, &r, sizeof(r));
		for (uint64_t done = 0; !rc && done < r.len;) {
			size_t n = r.len - done < COPY_CHUNK ? (size_t)(r.len - done) : COPY_CHUNK;
			rc = get(o, img->fd, o->buf, n, off + sizeof(r) + done);
			if (!rc)
				rc = put(o, o->buf, n);
			crc = crc32c(crc, o->buf, n);
			done += n;
		}
		if (!rc && crc != r.payload_crc) {
			snprintf(o->err, o->errlen, "corrupt: checksum mismatch in the record at "
				 "offset %llu (changed since it was checked?)", ULL(off));
			return -EINVAL;
		}
		if (rc)
			return rc;
		off += sizeof(r) + r.len;
	}
}

/* An EXTENT record: descriptor, zero padding up to a page boundary, data.
 * The data is data_len bytes at src_off of src_fd, checked against crc
 * while copied, or, with src_fd -1, the bytes at mem. */
static int put_extent(struct out *o, uint64_t addr, uint64_t len, uint32_t enc,
		      uint32_t data_len, uint32_t crc, int src_fd, uint64_t src_off,
		      const uint8_t *mem)
{
	static const uint8_t zero[4096];
	struct mtcp_rec_extent x;
	uint64_t head = o->off + sizeof(struct mtcp_rec) + sizeof(x);
	uint32_t got = 0;
	int rc;

	x.addr = addr;
	x.len = len;
	x.encoding = enc;
	x.pad = (uint32_t)((4096 - head % 4096) % 4096);
	x.data_len = data_len;
	x.desc_crc = crc32c(0, &x, offsetof(struct mtcp_rec_extent, desc_crc));
	rc = put_rec_header(o, MTCP_REC_EXTENT, sizeof(x) + x.pad + data_len, crc, 1);
	if (!rc)
		rc = put(o, &x, sizeof(x));
	if (!rc)
		rc = put(o, zero, x.pad);
	if (!rc && src_fd < 0)
		return put(o, mem, data_len);
	for (uint64_t done = 0; !rc && done < data_len;) {
		size_t n = data_len - done < COPY_CHUNK ? (size_t)(data_len - done) : COPY_CHUNK;
		rc = get(o, src_fd, o->buf, n, src_off + done);
		if (!rc)
			rc = put(o, o->buf, n);
		got = crc32c(got, o->buf, n);
		done += n;
	}
	if (!rc && got != crc) {
		snprintf(o->err, o->errlen, "corrupt: checksum mismatch in memory data at %llx",
			 ULL(addr));
		return -EINVAL;
	}
	return rc;
}

/* Extent e of image fd, whole, decoded and checked, into o->plain. */
static int decode_whole(struct out *o, int fd, const struct rst_extent *e)
{
	uint8_t *dst = e->enc == MTCP_EXT_LZ4 ? o->buf : o->plain;
	int rc = get(o, fd, dst, e->data_len, e->file_off);

	if (rc)
		return rc;
	if (crc32c(0, dst, e->data_len) != e->crc) {
		snprintf(o->err, o->errlen, "corrupt: checksum mismatch in memory data at %llx",
			 ULL(e->addr));
		return -EINVAL;
	}
	if (e->enc == MTCP_EXT_LZ4 &&
	    lz4_block_decode(o->buf, e->data_len, o->plain, e->len) != (long)e->len) {
		snprintf(o->err, o->errlen, "corrupt: lz4 data at %llx does not decode",
			 ULL(e->addr));
		return -EINVAL;
	}
	return 0;
}

/* One extent of the flat image: [start, end) of read r (or, r NULL, the
 * newest image's extent own). */
struct piece {
	uint64_t start, end;
	const struct rst_extent *r;
	int whole;
};

static int cmp_piece(const void *a, const void *b)
{
	const struct piece *x = a, *y = b;
	return x->start < y->start ? -1 : x->start > y->start;
}

/* Every extent that fills region g: the newest's own, then whatever the
 * ancestors' reads hold inside g (a read that crosses into the next
 * region is cut there, re-encoded). */
static int region_pieces(const struct chain *c, const struct img_region *g,
			 const struct rst_extent **anc, uint32_t nanc, uint32_t *ai,
			 struct piece **pp, uint32_t *np)
{
	const struct image *top = &c->img[0];
	uint32_t n = 0, cap = g->rec.nextents + 8;
	struct piece *p = malloc(cap * sizeof(*p));

	if (!p)
		return -ENOMEM;
	for (uint32_t x = g->first_extent; x < g->first_extent + g->rec.nextents; x++) {
		const struct rst_extent *e = &top->extents[x];
		p[n++] = (struct piece){ e->addr, e->addr + e->len, e, 1 };
	}
	/* the ancestors' reads, ascending by the memory they fill */
	while (*ai < nanc) {
		const struct rst_extent *r = anc[*ai];
		uint64_t s = r->part_end ? r->part_start : r->addr;
		uint64_t e = r->part_end ? r->part_end : r->addr + r->len;
		if (s >= g->rec.end)
			break;
		if (s < g->rec.start)
			s = g->rec.start;
		if (e > g->rec.end)
			e = g->rec.end;
		if (s < e) {
			if (n == cap) {
				void *q = realloc(p, 2 * cap * sizeof(*p));
				if (!q) {
					free(p);
					return -ENOMEM;
				}
				p = q;
				cap *= 2;
			}
			p[n++] = (struct piece){ s, e, r, s == r->addr && e == r->addr + r->len };
		}
		/* the rest of it belongs to the next region */
		if ((r->part_end ? r->part_end : r->addr + r->len) > g->rec.end)
			break;
		(*ai)++;
	}
	qsort(p, n, sizeof(*p), cmp_piece);
	*pp = p;
	*np = n;
	return 0;
}

static uint64_t read_start(const struct rst_extent *r)
{
	return r->part_end ? r->part_start : r->addr;
}

static int cmp_anc(const void *a, const void *b)
{
	uint64_t x = read_start(*(const struct rst_extent *const *)a);
	uint64_t y = read_start(*(const struct rst_extent *const *)b);
	return x < y ? -1 : x > y;
}

static int write_memory(struct out *o, const struct chain *c)
{
	const struct image *top = &c->img[0];
	const struct rst_extent **anc = malloc((c->nreads + 1) * sizeof(*anc));
	uint32_t nanc = 0, ai = 0;
	int rc = 0;

	if (!anc)
		return -ENOMEM;
	for (uint32_t i = 0; i < c->nreads; i++)
		if (c->reads[i].img)
			anc[nanc++] = &c->reads[i];
	qsort(anc, nanc, sizeof(*anc), cmp_anc);
	for (uint32_t i = 0; i < top->nregions && !rc; i++) {
		const struct img_region *g = &top->regions[i];
		struct mtcp_rec_region rr = g->rec;
		struct piece *p = NULL;
		uint32_t np = 0;

		/* reads that lie before this region (none should) are skipped */
		while (ai < nanc && (anc[ai]->part_end ? anc[ai]->part_end
						       : anc[ai]->addr + anc[ai]->len) <= g->rec.start)
			ai++;
		rc = region_pieces(c, g, anc, nanc, &ai, &p, &np);
		if (rc)
			break;
		rr.nextents = np;
		rr.ninherit = 0;
		rc = put_record(o, MTCP_REC_REGION, &rr, sizeof(rr), g->path, rr.path_len);
		for (uint32_t k = 0; k < np && !rc; k++) {
			const struct rst_extent *r = p[k].r;
			int fd = c->img[r->img].fd;
			if (p[k].whole) {
				rc = put_extent(o, r->addr, r->len, r->enc, r->data_len, r->crc, fd,
						r->file_off, NULL);
				continue;
			}
			rc = decode_whole(o, fd, r);
			if (!rc)
				rc = put_extent(o, p[k].start, p[k].end - p[k].start, MTCP_EXT_RAW,
						(uint32_t)(p[k].end - p[k].start),
						crc32c(0, o->plain + (p[k].start - r->addr),
						       p[k].end - p[k].start),
						-1, 0, o->plain + (p[k].start - r->addr));
		}
		free(p);
	}
	free(anc);
	return rc;
}

/* The whole image into fd. */
static int write_flat(struct out *o, const struct chain *c)
{
	const struct image *top = &c->img[0];
	struct mtcp_img_header_v3 h = top->hdr;
	struct mtcp_rec_end_v3 end;
	int rc;

	h.flags &= ~(uint64_t)MTCP_IMGF_INCREMENTAL;
	h.header_crc = crc32c(0, &h, offsetof(struct mtcp_img_header_v3, header_crc));
	o->sum = mtcp_sum_term(0, h.header_crc);
	rc = put(o, &h, sizeof(h));
	if (!rc)
		rc = copy_state(o, top);
	if (!rc)
		rc = write_memory(o, c);
	if (rc)
		return rc;
	end.nrecords = o->nrecords;
	end.file_size = o->off + sizeof(struct mtcp_rec) + sizeof(end);
	end.image_sum = o->sum;
	/* END's own term is not in the sum it carries */
	rc = put_rec_header(o, MTCP_REC_END, sizeof(end), crc32c(0, &end, sizeof(end)), 0);
	if (!rc)
		rc = put(o, &end, sizeof(end));
	return rc;
}

int chain_flatten(const struct chain *c, const char *out, char *err, size_t errlen)
{
	struct out o;
	struct stat st;
	char *tmp = NULL;
	int rc;

	memset(&o, 0, sizeof(o));
	o.fd = -1;
	o.err = err;
	o.errlen = errlen;
	if (c->img[0].hdr.version < 3) {
		snprintf(err, errlen, "format %u: --flatten writes format 3 and later only",
			 c->img[0].hdr.version);
		return -EPROTO;
	}
	if (!lstat(out, &st)) {
		snprintf(err, errlen, "%s exists: not replaced", out);
		return -EEXIST;
	}
	o.buf = malloc(MTCP_EXTENT_MAX + MTCP_EXTENT_MAX / 255 + 16 + COPY_CHUNK);
	o.plain = malloc(MTCP_EXTENT_MAX);
	if (!o.buf || !o.plain || asprintf(&tmp, "%s.flatten-XXXXXX", out) < 0) {
		tmp = NULL;
		rc = -ENOMEM;
		snprintf(err, errlen, "out of memory");
		goto done;
	}
	/* O_CREAT | O_EXCL, mode 0600 */
	o.fd = mkostemp(tmp, O_CLOEXEC);
	if (o.fd < 0) {
		rc = -errno;
		snprintf(err, errlen, "cannot create %s: %s", tmp, strerror(errno));
		free(tmp);
		tmp = NULL;
		goto done;
	}
	rc = write_flat(&o, c);
	if (rc == -ENOMEM)
		snprintf(err, errlen, "out of memory");
	if (!rc && fsync(o.fd)) {
		rc = -errno;
		snprintf(err, errlen, "cannot write %s: %s", tmp, strerror(errno));
	}
	/* into place only if out is still not there */
	if (!rc && syscall(SYS_renameat2, AT_FDCWD, tmp, AT_FDCWD, out, RENAME_NOREPLACE)) {
		if (errno == EINVAL || errno == ENOSYS) {
			/* a file system without RENAME_NOREPLACE: link() refuses
			 * an existing name too */
			if (link(tmp, out))
				rc = -errno;
		} else {
			rc = -errno;
		}
		if (rc)
			snprintf(err, errlen, "cannot create %s: %s", out, strerror(-rc));
	}
done:
	if (o.fd >= 0)
		close(o.fd);
	if (tmp)
		unlink(tmp); /* after a rename: gone already; after link: the extra name */
	free(tmp);
	free(o.buf);
	free(o.plain);
	return rc;
}
