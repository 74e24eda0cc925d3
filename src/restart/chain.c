/* SPDX-License-Identifier: MIT */
/*
 * chain.c - load a chain of images and work out what the restorer reads
 * (chain.h).  Everything here runs before the point of no return.
 *
 * Resolution, from the newest image down: the newest's extents are read
 * whole; its INHERIT runs are the pages still needed.  In each ancestor,
 * the needed pages that one of its extents holds are read from that
 * extent (whole if every page of it is needed, else only those parts);
 * the needed pages in its own INHERIT runs stay needed for the next
 * ancestor; the rest are dropped: the ancestor held nothing there, so
 * they stay as mapped (zero, or the file's contents).
 */
#include "chain.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ULL(x) ((unsigned long long)(x))

struct ranges {
	struct mtcp_inherit_run *r;
	uint32_t n, cap;
};

static int ranges_add(struct ranges *s, uint64_t start, uint64_t end)
{
	if (s->n && s->r[s->n - 1].end == start) {
		s->r[s->n - 1].end = end; /* adjacent runs of two regions: one range */
		return 0;
	}
	if (s->n == s->cap) {
		uint32_t cap = s->cap ? 2 * s->cap : 64;
		void *p = realloc(s->r, cap * sizeof(*s->r));
		if (!p)
			return -ENOMEM;
		s->r = p;
		s->cap = cap;
	}
	s->r[s->n].start = start;
	s->r[s->n].end = end;
	s->n++;
	return 0;
}

const char *chain_name(const struct chain *c, uint32_t k)
{
	const char *s = strrchr(c->path[k], '/');
	return s ? s + 1 : c->path[k];
}

uint32_t chain_depth(const struct chain *c, uint32_t k)
{
	return c->img[k].incremental ? c->img[k].prev.depth : 0;
}

int chain_load_newest(const char *path, struct chain *c, char *err, size_t errlen)
{
	int rc;

	memset(c, 0, sizeof(*c));
	c->img = calloc(MTCP_MAX_CHAIN, sizeof(*c->img));
	c->path[0] = strdup(path);
	if (!c->img || !c->path[0]) {
		chain_free(c);
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	for (uint32_t k = 0; k < MTCP_MAX_CHAIN; k++)
		c->img[k].fd = -1;
	rc = image_load(path, &c->img[0], err, errlen);
	if (rc) {
		chain_free(c);
		return rc;
	}
	c->n = 1;
	return 0;
}

/* The parent of image k-1, by name, in the newest image's directory. */
static char *parent_path(const struct chain *c, uint32_t k)
{
	const char *dir_end = strrchr(c->path[0], '/');
	size_t dl = dir_end ? (size_t)(dir_end - c->path[0]) + 1 : 0;
	const char *name = c->img[k - 1].prev_name;
	char *p = malloc(dl + strlen(name) + 1);

	if (p) {
		memcpy(p, c->path[0], dl);
		strcpy(p + dl, name);
	}
	return p;
}

int chain_load_parents(struct chain *c, char *err, size_t errlen)
{
	char why[768];

	while (c->img[c->n - 1].incremental) {
		uint32_t k = c->n;
		const struct image *child = &c->img[k - 1];
		const char *cp = c->path[k - 1];
		struct image *p = &c->img[k];
		int rc;

		/* depths fall by one at each link, from at most 63: no cycle,
		 * and never more than MTCP_MAX_CHAIN images */
		if (k >= MTCP_MAX_CHAIN) {
			snprintf(err, errlen, "the chain of %s is longer than %u images", c->path[0],
				 MTCP_MAX_CHAIN);
			return -ELOOP;
		}
		c->path[k] = parent_path(c, k);
		if (!c->path[k]) {
			snprintf(err, errlen, "out of memory");
			return -ENOMEM;
		}
		rc = image_load(c->path[k], p, why, sizeof(why));
		if (rc == -ENOENT) {
			snprintf(err, errlen, "parent image %s of %s is missing", c->path[k], cp);
			return rc;
		}
		if (rc) {
			snprintf(err, errlen, "parent image %s of %s: %s", c->path[k], cp, why);
			return rc;
		}
		c->n++;
		/* the stored values are compared: the parent's data is not
		 * read again to compute them */
		if (memcmp(p->hdr.image_id, child->prev.image_id, MTCP_ID_LEN) ||
		    p->image_sum != child->prev.image_sum || p->size != child->prev.file_size ||
		    p->hdr.version < 3) {
			snprintf(err, errlen, "parent image %s of %s is not the image %s was written "
				 "after (its id, checksum or size differ: replaced or rewritten)",
				 c->path[k], cp, chain_name(c, k - 1));
			return -ESTALE;
		}
		if (chain_depth(c, k) + 1 != child->prev.depth) {
			snprintf(err, errlen, "parent image %s of %s is at depth %u of its chain, not "
				 "%u as %s says", c->path[k], cp, chain_depth(c, k),
				 child->prev.depth - 1, chain_name(c, k - 1));
			return -ESTALE;
		}
	}
	return 0;
}

int chain_load(const char *path, struct chain *c, char *err, size_t errlen)
{
	int rc = chain_load_newest(path, c, err, errlen);
	if (!rc)
		rc = chain_load_parents(c, err, errlen);
	if (rc && c->img)
		chain_free(c);
	return rc;
}

static int add_read(struct chain *c, const struct rst_extent *e, uint32_t k, uint64_t ps,
		    uint64_t pe, uint32_t *cap)
{
	struct rst_extent *x;

	if (c->nreads == *cap) {
		uint32_t n = *cap ? 2 * *cap : 64;
		void *p = realloc(c->reads, n * sizeof(*c->reads));
		if (!p)
			return -ENOMEM;
		c->reads = p;
		*cap = n;
	}
	x = &c->reads[c->nreads++];
	*x = *e;
	x->img = k;
	x->pad = 0;
	x->pad2 = 0;
	if (ps == e->addr && pe == e->addr + e->len) {
		x->part_start = x->part_end = 0;
	} else {
		x->part_start = ps;
		x->part_end = pe;
		if (e->len > c->scratch_len)
			c->scratch_len = e->len;
	}
	if (e->enc == MTCP_EXT_LZ4 && e->data_len > c->lz4_max)
		c->lz4_max = e->data_len;
	if (k)
		c->inherited_bytes += pe - ps;
	return 0;
}

/* Every needed page lies in a region of p of kind ANON or FILE_PRIVATE
 * (adjacent regions may share a range). */
static int check_in_private(const struct chain *c, uint32_t k, const struct ranges *need,
			    char *err, size_t errlen)
{
	const struct image *p = &c->img[k];
	uint32_t g = 0;

	for (uint32_t i = 0; i < need->n; i++) {
		uint64_t cur = need->r[i].start;
		while (cur < need->r[i].end) {
			while (g < p->nregions && p->regions[g].rec.end <= cur)
				g++;
			if (g == p->nregions || p->regions[g].rec.start > cur ||
			    (p->regions[g].rec.kind != MTCP_RGN_ANON &&
			     p->regions[g].rec.kind != MTCP_RGN_FILE_PRIVATE)) {
				snprintf(err, errlen, "corrupt: %s inherits page %llx from %s, where it "
					 "lies in no anonymous or private file region",
					 chain_name(c, k - 1), ULL(cur), c->path[k]);
				return -EINVAL;
			}
			cur = p->regions[g].rec.end < need->r[i].end ? p->regions[g].rec.end
								     : need->r[i].end;
		}
	}
	return 0;
}

static int cmp_read(const void *a, const void *b)
{
	const struct rst_extent *x = a, *y = b;
	if (x->img != y->img)
		return x->img < y->img ? -1 : 1;
	return x->file_off < y->file_off ? -1 : x->file_off > y->file_off;
}

int chain_resolve(struct chain *c, char *err, size_t errlen)
{
	struct ranges need = { NULL, 0, 0 }, next = { NULL, 0, 0 };
	const struct image *top = &c->img[0];
	uint32_t cap = 0;
	int rc = 0;

	free(c->reads);
	c->reads = NULL;
	c->nreads = 0;
	c->lz4_max = 0;
	c->scratch_len = 0;
	c->inherited_bytes = 0;
	for (uint32_t i = 0; i < top->nextents && !rc; i++)
		rc = add_read(c, &top->extents[i], 0, top->extents[i].addr,
			      top->extents[i].addr + top->extents[i].len, &cap);
	for (uint32_t i = 0; i < top->nruns && !rc; i++)
		rc = ranges_add(&need, top->runs[i].start, top->runs[i].end);
	for (uint32_t k = 1; k < c->n && need.n && !rc; k++) {
		const struct image *p = &c->img[k];
		uint32_t j = 0;

		rc = check_in_private(c, k, &need, err, errlen);
		if (rc)
			break;
		/* its extents, ascending, against the needed ranges, ascending */
		for (uint32_t x = 0; x < p->nextents && !rc; x++) {
			const struct rst_extent *e = &p->extents[x];
			uint64_t end = e->addr + e->len;
			while (j < need.n && need.r[j].end <= e->addr)
				j++;
			for (uint32_t i = j; i < need.n && need.r[i].start < end && !rc; i++) {
				uint64_t s = need.r[i].start > e->addr ? need.r[i].start : e->addr;
				uint64_t t = need.r[i].end < end ? need.r[i].end : end;
				rc = add_read(c, e, k, s, t, &cap);
			}
		}
		/* what is still needed: the needed pages in its own runs */
		next.n = 0;
		j = 0;
		for (uint32_t i = 0; i < p->nruns && !rc; i++) {
			const struct mtcp_inherit_run *r = &p->runs[i];
			while (j < need.n && need.r[j].end <= r->start)
				j++;
			for (uint32_t q = j; q < need.n && need.r[q].start < r->end && !rc; q++) {
				uint64_t s = need.r[q].start > r->start ? need.r[q].start : r->start;
				uint64_t t = need.r[q].end < r->end ? need.r[q].end : r->end;
				rc = ranges_add(&next, s, t);
			}
		}
		struct ranges tmp = need;
		need = next;
		next = tmp;
	}
	if (rc == -ENOMEM)
		snprintf(err, errlen, "out of memory");
	if (!rc && c->nreads > 1)
		qsort(c->reads, c->nreads, sizeof(*c->reads), cmp_read);
	free(need.r);
	free(next.r);
	return rc;
}

int chain_verify_data(const struct chain *c, char *err, size_t errlen)
{
	char why[768];

	for (uint32_t k = 0; k < c->n; k++) {
		int rc = image_verify_data(&c->img[k], k ? why : err, k ? sizeof(why) : errlen);
		if (rc && k)
			snprintf(err, errlen, "parent image %s of %s: %s", c->path[k],
				 c->path[k - 1], why);
		if (rc)
			return rc;
	}
	return 0;
}

void chain_free(struct chain *c)
{
	if (c->img) {
		for (uint32_t k = 0; k < MTCP_MAX_CHAIN; k++)
			if (k < c->n || c->img[k].fd >= 0)
				image_free(&c->img[k]);
		free(c->img);
	}
	for (uint32_t k = 0; k < MTCP_MAX_CHAIN; k++)
		free(c->path[k]);
	free(c->reads);
	memset(c, 0, sizeof(*c));
}
