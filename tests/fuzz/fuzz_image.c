/* SPDX-License-Identifier: MIT */
/*
 * fuzz_image.c - libFuzzer target for the image validator
 * (src/restart/image_reader.h): each input is written to a memfd and
 * given to image_load, then, if it loads, to image_verify_data and
 * image_check_files (which only stat()s the paths it names), as
 * `mtcp_restart --verify` does.  A crash, a sanitizer report, a leak, a
 * hang, a refusal without a one-line reason, or a loaded image whose
 * tables contradict themselves is a finding.
 *
 * The custom mutator works on the structure: it edits fields of the
 * header and of records (with values that matter to the checks: region
 * boundaries, addresses of other records, zero, all ones, the top of user
 * space), deletes, duplicates, moves and retypes records, resizes them,
 * drops extents, and then recomputes every checksum (image_fix.h), so
 * that inputs get past the checksums to the checks behind them.  Now and
 * then it leaves the checksums alone, so those checks are fuzzed too.
 * tests/fuzz/README.md says how to run it.
 */
#include "image_reader.h"
#include "image_fix.h"
#include "crc32c.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t max_size);

#define MAX_RECS 4096
#define REC_HDR sizeof(struct mtcp_rec)

static void check(int ok, const char *what, const char *err)
{
	if (!ok) {
		fprintf(stderr, "fuzz_image: %s (%s)\n", what, err);
		__builtin_trap();
	}
}

/* What a loaded image promises to its users (mtcp_restart --list, the
 * restorer's tables). */
static void check_loaded(const struct image *img)
{
	for (uint32_t i = 0; i < img->nregions; i++) {
		const struct img_region *g = &img->regions[i];
		uint32_t last = i + 1 < img->nregions ? img->regions[i + 1].first_extent
						      : img->nextents;
		check(g->first_extent <= last && last - g->first_extent == g->rec.nextents,
		      "a region's extent count does not match its extents", g->path);
		for (uint32_t x = g->first_extent; x < last; x++) {
			const struct rst_extent *e = &img->extents[x];
			check(e->addr >= g->rec.start && e->addr < g->rec.end &&
			      e->len <= g->rec.end - e->addr,
			      "an extent lies outside its region", g->path);
		}
		check(g->rec.end <= 0x800000000000ull && g->rec.start < g->rec.end,
		      "a region outside user space", g->path);
		/* v5: its INHERIT runs inside it, ascending, off its extents */
		check(g->first_run + (uint64_t)g->nruns <= img->nruns &&
		      (!g->nruns || g->rec.ninherit),
		      "a region's runs are not in the table", g->path);
		for (uint32_t k = 0; k < g->nruns; k++) {
			const struct mtcp_inherit_run *r = &img->runs[g->first_run + k];
			check(r->start >= g->rec.start && r->end <= g->rec.end && r->start < r->end &&
			      (!k || r->start >= r[-1].end),
			      "an INHERIT run outside its region or out of order", g->path);
			for (uint32_t x = g->first_extent; x < last; x++)
				check(img->extents[x].addr >= r->end ||
				      img->extents[x].addr + img->extents[x].len <= r->start,
				      "an INHERIT run over an extent", g->path);
		}
	}
	check(!img->incremental || (img->prev_name && img->prev.depth >= 1 &&
				    img->prev.depth < MTCP_MAX_CHAIN && !strchr(img->prev_name, '/')),
	      "an increment without a good PREV record", "");
	check(img->nthreads == img->proc.nthreads && img->nthreads > 0, "thread count", "");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int fd = -1;
	static char path[64];
	struct image img;
	char err[1024];
	int rc;

	if (fd < 0) {
		if (!crc32c_supported())
			abort();
		fd = memfd_create("fuzz-image", MFD_CLOEXEC);
		if (fd < 0)
			abort();
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	}
	if (ftruncate(fd, 0) || (size && pwrite(fd, data, size, 0) != (ssize_t)size))
		abort();
	err[0] = '\0';
	rc = image_load(path, &img, err, sizeof(err));
	if (!rc) {
		check_loaded(&img);
		rc = image_verify_data(&img, err, sizeof(err));
		if (!rc)
			rc = image_check_files(&img, err, sizeof(err));
		image_free(&img);
	}
	if (rc) {
		check(err[0] != '\0', "refused without a reason", "");
		check(!strchr(err, '\n'), "a reason of more than one line", err);
	}
	return 0;
}

/* ---- the structure-aware mutator ------------------------------------------ */

static uint64_t rng_state;

static uint64_t rnd(void)
{
	/* splitmix64 */
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static uint64_t below(uint64_t n)
{
	return n ? rnd() % n : 0;
}

static uint64_t get64(const uint8_t *p)
{
	uint64_t v;
	memcpy(&v, p, sizeof(v));
	return v;
}

/* A value worth trying in an address, length, count or flags field. */
static uint64_t interesting(const uint8_t *data, const struct imgfix_rec *r, size_t n,
			    uint64_t old)
{
	switch (below(12)) {
	case 0: return 0;
	case 1: return 1;
	case 2: return ~0ull;
	case 3: return 0x800000000000ull - 4096 * below(3);
	case 4: return 0xfffffffffffff000ull;
	case 5: return old + 1 + below(8);
	case 6: return old - 1 - below(8);
	case 7: return old ^ (1ull << below(64));
	case 8: return old + 4096 * (below(16) + 1);
	case 9: return (uint64_t)1 << below(64);
	default: {
		/* a region boundary of this image, a little off or not */
		for (int tries = 0; tries < 8 && n; tries++) {
			const struct imgfix_rec *g = &r[below(n)];
			if (g->type == MTCP_REC_REGION && g->len >= 16) {
				uint64_t v = get64(data + g->off + REC_HDR + 8 * below(2));
				return v - 8 * below(3);
			}
		}
		return old;
	}
	}
}

/* Overwrites a 1, 2, 4 or 8-byte field at p (aligned within its struct). */
static void set_field(uint8_t *p, size_t room, uint64_t v)
{
	static const size_t widths[] = { 8, 4, 4, 2, 1 };
	size_t w = widths[below(5)];

	if (w > room)
		w = room;
	memcpy(p, &v, w);
}

static size_t do_delete(uint8_t *data, size_t size, const struct imgfix_rec *r)
{
	size_t n = REC_HDR + (size_t)r->len;
	memmove(data + r->off, data + r->off + n, size - r->off - n);
	return size - n;
}

/* Copies record r to the record boundary `at`. */
static size_t do_copy(uint8_t *data, size_t size, size_t max_size, const struct imgfix_rec *r,
		      size_t at, int move)
{
	size_t n = REC_HDR + (size_t)r->len;
	uint8_t *save;

	if (!move && size + n > max_size)
		return size;
	save = malloc(n);
	if (!save)
		return size;
	memcpy(save, data + r->off, n);
	if (move) {
		size = do_delete(data, size, r);
		if (at > r->off)
			at -= n;
	}
	memmove(data + at + n, data + at, size - at);
	memcpy(data + at, save, n);
	free(save);
	return size + n;
}

/* Grows or shrinks record r's payload by delta bytes at its end, and its
 * length with it. */
static size_t do_resize(uint8_t *data, size_t size, size_t max_size, const struct imgfix_rec *r,
			long delta)
{
	size_t end = r->off + REC_HDR + (size_t)r->len;
	uint64_t len;

	if (delta < 0 && (uint64_t)-delta > r->len)
		delta = -(long)r->len;
	if (delta > 0 && size + (size_t)delta > max_size)
		return size;
	if (delta > 0) {
		memmove(data + end + delta, data + end, size - end);
		memset(data + end, (int)below(2) * 0xff, (size_t)delta);
	} else {
		memmove(data + end + delta, data + end, size - end);
	}
	len = r->len + (uint64_t)delta;
	memcpy(data + r->off + 8, &len, sizeof(len));
	return size + (size_t)delta;
}

/* Removes an extent record and lowers its region's count: a smaller
 * image that is still valid. */
static size_t drop_extent(uint8_t *data, size_t size, const struct imgfix_rec *r, size_t n)
{
	for (int tries = 0; tries < 8; tries++) {
		size_t i = below(n);
		if (r[i].type != MTCP_REC_EXTENT)
			continue;
		for (size_t j = i; j-- > 0;) {
			if (r[j].type != MTCP_REC_REGION)
				continue;
			if (r[j].len >= sizeof(struct mtcp_rec_region)) {
				uint8_t *cnt = data + r[j].off + REC_HDR +
					       offsetof(struct mtcp_rec_region, nextents);
				uint32_t c;
				memcpy(&c, cnt, sizeof(c));
				c--;
				memcpy(cnt, &c, sizeof(c));
			}
			break;
		}
		return do_delete(data, size, &r[i]);
	}
	return size;
}

size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned int seed)
{
	static struct imgfix_rec r[MAX_RECS];
	size_t hsize = imgfix_header_size(data, size), n;
	unsigned fix = 0;

	rng_state = seed * 0x2545f4914f6cdd1dull + 1;
	if (!hsize || hsize > size) {
		/* not an image (yet): bytes, then checksums where there are any */
		size = LLVMFuzzerMutate(data, size, max_size);
		imgfix_all(data, size, 0);
		return size;
	}
	n = imgfix_records(data, size, r, MAX_RECS);
	if (n > MAX_RECS)
		n = MAX_RECS;
	for (int rounds = 1 + (int)below(3); rounds-- > 0;) {
		const struct imgfix_rec *p = n ? &r[below(n)] : NULL;
		switch (p ? below(16) : 0) {
		case 0: { /* a header field */
			size_t at = 8 * below(hsize / 8 - 1);
			set_field(data + at, 8, interesting(data, r, n, get64(data + at)));
			break;
		}
		case 1: case 2: case 3: case 4: { /* a field of a record's struct part */
			size_t room = p->len < 256 ? (size_t)p->len : 256;
			if (room < 8)
				break;
			size_t at = p->off + REC_HDR + 4 * below(room / 4 - 1);
			set_field(data + at, size - at, interesting(data, r, n, get64(data + at)));
			break;
		}
		case 5: { /* bytes inside a payload */
			size_t len = (size_t)p->len;
			if (len)
				LLVMFuzzerMutate(data + p->off + REC_HDR, len, len);
			break;
		}
		case 6: /* the record header's type, flags or length */
			set_field(data + p->off + 4 * below(4), 4,
				  below(2) ? 1 + below(7) : interesting(data, r, n, p->len));
			break;
		case 7:
			size = do_delete(data, size, p);
			goto done;
		case 8:
			size = do_copy(data, size, max_size, p, r[below(n)].off, 0);
			goto done;
		case 9:
			size = do_copy(data, size, max_size, p, r[below(n)].off, 1);
			goto done;
		case 10:
			size = do_resize(data, size, max_size, p, (long)below(64) - 32);
			goto done;
		case 11: case 12:
			size = drop_extent(data, size, r, n);
			goto done;
		case 13: /* the whole image, at the end */
			if (below(2) && size > hsize)
				size -= 1 + below(size - hsize < 64 ? size - hsize : 64);
			else if (size < max_size)
				data[size++] = (uint8_t)rnd();
			goto done;
		default: /* plain bytes anywhere */
			size = LLVMFuzzerMutate(data, size, max_size);
			goto done;
		}
	}
done:
	switch (below(16)) {
	case 0: return size;                    /* checksums as they are */
	case 1: fix = IMGFIX_KEEP_SUM; break;   /* all but the image sum */
	case 2: fix = IMGFIX_KEEP_END; break;   /* END's counts as they are */
	default: break;
	}
	imgfix_all(data, size, fix);
	return size;
}

/* Crossing two images over at record boundaries: the head of one, the
 * tail of the other, checksums recomputed. */
size_t LLVMFuzzerCustomCrossOver(const uint8_t *d1, size_t s1, const uint8_t *d2, size_t s2,
				 uint8_t *out, size_t max_out, unsigned int seed)
{
	static struct imgfix_rec r1[MAX_RECS], r2[MAX_RECS];
	size_t n1 = imgfix_records(d1, s1, r1, MAX_RECS), n2 = imgfix_records(d2, s2, r2, MAX_RECS);
	size_t cut1, cut2, len;

	rng_state = seed * 0x9e3779b97f4a7c15ull + 7;
	if (n1 > MAX_RECS)
		n1 = MAX_RECS;
	if (n2 > MAX_RECS)
		n2 = MAX_RECS;
	if (!n1 || !n2 || imgfix_header_size(d1, s1) != imgfix_header_size(d2, s2))
		return 0;
	cut1 = r1[below(n1)].off;
	cut2 = r2[below(n2)].off;
	len = cut1 + (s2 - cut2);
	if (len > max_out)
		return 0;
	memcpy(out, d1, cut1);
	memcpy(out + cut1, d2 + cut2, s2 - cut2);
	imgfix_all(out, len, 0);
	return len;
}
