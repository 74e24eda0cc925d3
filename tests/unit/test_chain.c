/* SPDX-License-Identifier: MIT */
/*
 * test_chain.c - v5 chains of images (src/restart/chain.c, flatten.c and
 * the reader's PREV and INHERIT checks), on chains made by hand with the
 * image writer: a full image F0, its increment I1, and I1's increment
 * I2, in one directory.  A data region D of 16 pages:
 *
 *   page      0  1  2  3  4 5  6  7  8 9 10 11 12 13 14 15
 *   F0 ext    [  0  0  0  0]   [ 0  0]     [ 0  0]
 *   I1 ext       [1]
 *   I1 runs   [r]   [r  r]     [r  r]            [r  r]
 *   I2 ext             [2]
 *   I2 runs   [r  r  r]        [r]               [r]
 *
 * so restarting I2 must read page 3 from I2, page 1 from I1 (its extent
 * whole), pages 0, 2 and 6 from F0 (three parts of two extents), and
 * nothing for page 12 (inherited all the way, but F0 holds nothing there:
 * zero).  Then every validator rule for PREV and INHERIT, one image each
 * (checksums recomputed: tests/fuzz/image_fix.h), and broken links:
 * missing, swapped, truncated parent, wrong depth.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "image_writer.h"
#include "image_reader.h"
#include "chain.h"
#include "flatten.h"
#include "image_fix.h"
#include "img_edit.h"
#include "crc32c.h"

#define PAGE 4096ull
#define A_START 0x10000000ull /* rw- anonymous: the threads' state */
#define A_END (A_START + 8 * PAGE)
#define B_START 0x20000000ull /* r-x anonymous: code */
#define B_END (B_START + 2 * PAGE)
#define D_START 0x40000000ull /* the data region */
#define D_PAGES 16
#define D_END (D_START + D_PAGES * PAGE)
#define P(n) (D_START + (n) * PAGE)

static char dir[] = "/tmp/mtcp-test-chain-XXXXXX";

struct ext {
	uint64_t start, end;
};

/* One image of the chain. */
struct spec {
	const char *name;
	uint8_t id;          /* image_id: 16 times this byte */
	uint8_t tag;         /* its extents' pages hold tag * 16 + page + 1 */
	const char *parent;  /* NULL: a full image */
	uint32_t depth;
	uint32_t d_kind;     /* kind of region D */
	struct ext ext[4];
	int next;
	struct mtcp_inherit_run run[4];
	int nrun;
};

static const struct spec F0 = { "F0", 0x11, 0, NULL, 0, MTCP_RGN_ANON,
	{ { P(0), P(4) }, { P(6), P(8) }, { P(10), P(12) } }, 3, { { 0, 0 } }, 0 };
static const struct spec I1 = { "I1", 0x22, 1, "F0", 1, MTCP_RGN_ANON,
	{ { P(1), P(2) } }, 1,
	{ { P(0), P(1) }, { P(2), P(4) }, { P(6), P(8) }, { P(12), P(14) } }, 4 };
static const struct spec I2 = { "I2", 0x33, 2, "I1", 2, MTCP_RGN_ANON,
	{ { P(3), P(4) } }, 1, { { P(0), P(3) }, { P(6), P(7) }, { P(12), P(13) } }, 3 };

static uint8_t page_byte(uint8_t tag, uint64_t addr)
{
	return (uint8_t)(tag * 16 + (addr - D_START) / PAGE + 1);
}

static char *in_dir(const char *name)
{
	static char buf[4][256];
	static int i;
	i = (i + 1) % 4;
	snprintf(buf[i], sizeof(buf[i]), "%s/%s", dir, name);
	return buf[i];
}

/* Writes spec s as dir/s->name (its parent, if any, already there). */
static void write_spec(const struct spec *s)
{
	static char buf[4096];
	static struct iw_identity id;
	static uint8_t data[D_PAGES * PAGE];
	struct img_writer w;
	struct mtcp_rec_proc proc;
	struct mtcp_rec_sigact sa[MTCP_NSIG];
	struct mtcp_rec_thread t[2];
	struct mtcp_rec_region rg;
	int f = open(in_dir(s->name), O_WRONLY | O_CREAT | O_TRUNC, 0600);

	assert_true(f >= 0);
	memset(&id, 0, sizeof(id));
	memset(id.image_id, s->id, MTCP_ID_LEN);
	memset(id.lineage_id, 0x77, MTCP_ID_LEN);
	id.seq = s->depth + 1;
	iw_init(&w, f, buf, sizeof(buf));
	assert_int_equal(iw_header(&w, 1234, s->parent ? MTCP_IMGF_INCREMENTAL : 0, 1, NULL, &id),
			 0);
	if (s->parent) {
		struct image par;
		struct mtcp_rec_prev p;
		char err[512];
		assert_int_equal(image_load(in_dir(s->parent), &par, err, sizeof(err)), 0);
		memset(&p, 0, sizeof(p));
		memcpy(p.image_id, par.hdr.image_id, MTCP_ID_LEN);
		p.image_sum = par.image_sum;
		p.file_size = par.size;
		p.depth = s->depth;
		p.name_len = (uint32_t)strlen(s->parent);
		image_free(&par);
		assert_int_equal(iw_record(&w, MTCP_REC_PREV, &p, sizeof(p), s->parent, p.name_len),
				 0);
	}
	memset(&proc, 0, sizeof(proc));
	proc.pid = 1234;
	proc.nthreads = 2;
	proc.nregions = 3;
	proc.cwd_len = 1;
	proc.exe_len = 6;
	proc.restart_info = A_START + 0x100;
	proc.resume_stub = B_START + 0x10;
	assert_int_equal(iw_record(&w, MTCP_REC_PROC, &proc, sizeof(proc), "//bin/x", 7), 0);
	memset(sa, 0, sizeof(sa));
	assert_int_equal(iw_record(&w, MTCP_REC_SIGACT, sa, sizeof(sa), NULL, 0), 0);
	memset(t, 0, sizeof(t));
	t[0].tid = 1234;
	t[0].flags = MTCP_THREADF_MAIN;
	t[0].resume_addr = A_START + 0x1000;
	t[0].fs_base = A_START + 0x2000;
	t[1].tid = 1235;
	t[1].flags = MTCP_THREADF_CTL;
	t[1].resume_addr = A_START + 0x3000;
	t[1].fs_base = A_START + 0x3800;
	assert_int_equal(iw_record(&w, MTCP_REC_THREAD, &t[0], sizeof(t[0]), NULL, 0), 0);
	assert_int_equal(iw_record(&w, MTCP_REC_THREAD, &t[1], sizeof(t[1]), NULL, 0), 0);

	memset(&rg, 0, sizeof(rg));
	rg.start = A_START;
	rg.end = A_END;
	rg.prot = PROT_READ | PROT_WRITE;
	rg.kind = MTCP_RGN_ANON;
	assert_int_equal(iw_record(&w, MTCP_REC_REGION, &rg, sizeof(rg), NULL, 0), 0);
	rg.start = B_START;
	rg.end = B_END;
	rg.prot = PROT_READ | PROT_EXEC;
	assert_int_equal(iw_record(&w, MTCP_REC_REGION, &rg, sizeof(rg), NULL, 0), 0);

	rg.start = D_START;
	rg.end = D_END;
	rg.prot = PROT_READ | PROT_WRITE;
	rg.kind = s->d_kind;
	rg.nextents = (uint32_t)s->next;
	rg.ninherit = s->nrun ? 1 : 0;
	assert_int_equal(iw_record(&w, MTCP_REC_REGION, &rg, sizeof(rg), NULL, 0), 0);
	for (uint64_t a = D_START; a < D_END; a += PAGE)
		memset(data + (a - D_START), page_byte(s->tag, a), PAGE);
	for (int i = 0; i < s->next; i++)
		assert_int_equal(iw_extent_from(&w, s->ext[i].start, s->ext[i].end - s->ext[i].start,
						data + (s->ext[i].start - D_START)), 0);
	if (s->nrun) {
		struct mtcp_rec_inherit h = { D_START, (uint32_t)s->nrun, 0 };
		assert_int_equal(iw_record(&w, MTCP_REC_INHERIT, &h, sizeof(h), s->run,
					   (size_t)s->nrun * sizeof(s->run[0])), 0);
	}
	assert_int_equal(iw_finish(&w), 0);
	close(f);
}

static void write_chain(void)
{
	write_spec(&F0);
	write_spec(&I1);
	write_spec(&I2);
}

/* The memory of region D after the reads of c, as the restorer makes it
 * (the whole extent read and checked, only the part copied). */
static void simulate(const struct chain *c, uint8_t *mem)
{
	static uint8_t buf[MTCP_EXTENT_MAX];

	memset(mem, 0, D_PAGES * PAGE);
	for (uint32_t i = 0; i < c->nreads; i++) {
		const struct rst_extent *r = &c->reads[i];
		uint64_t s = r->part_end ? r->part_start : r->addr;
		uint64_t e = r->part_end ? r->part_end : r->addr + r->len;
		assert_int_equal(r->enc, MTCP_EXT_RAW);
		assert_true(r->img < c->n);
		assert_int_equal(pread(c->img[r->img].fd, buf, r->len, (off_t)r->file_off),
				 (ssize_t)r->len);
		assert_int_equal(crc32c(0, buf, r->len), r->crc);
		if (r->addr < D_START || r->addr >= D_END)
			continue;
		memcpy(mem + (s - D_START), buf + (s - r->addr), e - s);
	}
}

/* What I2 holds, page by page. */
static void check_i2_memory(const uint8_t *mem)
{
	for (int p = 0; p < D_PAGES; p++) {
		uint8_t want = 0;
		if (p == 0 || p == 2 || p == 6)
			want = page_byte(0, P(p));
		else if (p == 1)
			want = page_byte(1, P(p));
		else if (p == 3)
			want = page_byte(2, P(p));
		for (uint64_t b = 0; b < PAGE; b += 512)
			if (mem[p * PAGE + b] != want)
				fail_msg("page %d byte %llu: %#x, expected %#x", p,
					 (unsigned long long)b, mem[p * PAGE + b], want);
	}
}

static int setup(void **state)
{
	(void)state;
	if (!crc32c_supported() || !mkdtemp(dir))
		return -1;
	return 0;
}

static int teardown(void **state)
{
	static const char *names[] = { "F0", "I1", "I2", "X", "flat", "flat2" };
	(void)state;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		unlink(in_dir(names[i]));
	rmdir(dir);
	return 0;
}

/* ---- the good chain ------------------------------------------------------ */

static void chain_resolves(void **state)
{
	static uint8_t mem[D_PAGES * PAGE];
	struct chain c;
	char err[1024] = "";
	int whole_i1 = 0, parts_f0 = 0;
	(void)state;

	write_chain();
	assert_int_equal(chain_load(in_dir("I2"), &c, err, sizeof(err)), 0);
	assert_int_equal(c.n, 3);
	assert_string_equal(chain_name(&c, 1), "I1");
	assert_string_equal(chain_name(&c, 2), "F0");
	assert_int_equal(chain_depth(&c, 0), 2);
	assert_int_equal(chain_depth(&c, 2), 0);
	assert_true(c.img[0].incremental && !c.img[2].incremental);
	assert_int_equal(c.img[0].nruns, 3);
	assert_int_equal(c.img[0].regions[2].nruns, 3);
	assert_int_equal(chain_resolve(&c, err, sizeof(err)), 0);
	/* I2's extent, I1's whole, three parts of F0's: none for page 12 */
	assert_int_equal(c.nreads, 5);
	for (uint32_t i = 0; i < c.nreads; i++) {
		const struct rst_extent *r = &c.reads[i];
		assert_true(i == 0 || r->img >= c.reads[i - 1].img); /* image by image */
		if (r->img == 1 && !r->part_end && r->addr == P(1))
			whole_i1++;
		if (r->img == 2) {
			assert_true(r->part_end != 0);
			assert_true(r->part_end - r->part_start == PAGE);
			assert_true(r->part_start == P(0) || r->part_start == P(2) ||
				    r->part_start == P(6));
			parts_f0++;
		}
		assert_false(r->addr <= P(12) && P(12) < r->addr + r->len);
	}
	assert_int_equal(whole_i1, 1);
	assert_int_equal(parts_f0, 3);
	assert_true(c.scratch_len == 4 * PAGE); /* F0's first extent */
	assert_true(c.inherited_bytes == 4 * PAGE);
	assert_int_equal(chain_verify_data(&c, err, sizeof(err)), 0);
	simulate(&c, mem);
	check_i2_memory(mem);
	chain_free(&c);

	/* I1 alone: F0's extent 0-4 in two parts, 6-8 whole, nothing at 12 */
	assert_int_equal(chain_load(in_dir("I1"), &c, err, sizeof(err)), 0);
	assert_int_equal(chain_resolve(&c, err, sizeof(err)), 0);
	assert_int_equal(c.nreads, 4);
	chain_free(&c);
}

static void flatten_chain(void **state)
{
	static uint8_t mem[D_PAGES * PAGE];
	struct chain c, f;
	char err[1024] = "";
	struct stat st;
	(void)state;

	write_chain();
	unlink(in_dir("flat"));
	assert_int_equal(chain_load(in_dir("I2"), &c, err, sizeof(err)), 0);
	assert_int_equal(chain_resolve(&c, err, sizeof(err)), 0);
	assert_int_equal(chain_flatten(&c, in_dir("flat"), err, sizeof(err)), 0);
	/* a second time: OUT exists, refused, left alone */
	assert_int_equal(chain_flatten(&c, in_dir("flat"), err, sizeof(err)), -EEXIST);
	assert_non_null(strstr(err, "exists"));

	assert_int_equal(stat(in_dir("flat"), &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(chain_load(in_dir("flat"), &f, err, sizeof(err)), 0);
	assert_int_equal(f.n, 1);
	assert_false(f.img[0].incremental);
	assert_false(f.img[0].hdr.flags & MTCP_IMGF_INCREMENTAL);
	assert_memory_equal(f.img[0].hdr.image_id, c.img[0].hdr.image_id, MTCP_ID_LEN);
	assert_memory_equal(f.img[0].hdr.lineage_id, c.img[0].hdr.lineage_id, MTCP_ID_LEN);
	assert_int_equal(f.img[0].nruns, 0);
	assert_int_equal(f.img[0].nregions, 3);
	assert_int_equal(f.img[0].nthreads, 2);
	assert_int_equal(chain_resolve(&f, err, sizeof(err)), 0);
	assert_int_equal(chain_verify_data(&f, err, sizeof(err)), 0);
	/* the pages of F0 in parts became RAW extents of their own */
	assert_int_equal(f.nreads, 5);
	for (uint32_t i = 0; i < f.nreads; i++)
		assert_true(!f.reads[i].part_end && !(f.reads[i].file_off & 4095));
	simulate(&f, mem);
	check_i2_memory(mem);
	chain_free(&f);
	chain_free(&c);
}

/* An extent of the parent that spans two regions of the child (the child
 * split it with mprotect): read whole at restart, cut in two by
 * --flatten. */
static void flatten_splits_extent(void **state)
{
	struct spec s1 = I1;
	struct chain c, f;
	char err[1024] = "";
	(void)state;

	write_spec(&F0);
	/* I1 inherits all of F0's extent 6-8 and nothing else */
	s1.next = 0;
	s1.nrun = 1;
	s1.run[0] = (struct mtcp_inherit_run){ P(6), P(8) };
	write_spec(&s1);
	assert_int_equal(chain_load(in_dir("I1"), &c, err, sizeof(err)), 0);
	assert_int_equal(chain_resolve(&c, err, sizeof(err)), 0);
	assert_int_equal(c.nreads, 1);
	assert_true(!c.reads[0].part_end && c.reads[0].img == 1);
	unlink(in_dir("flat2"));
	assert_int_equal(chain_flatten(&c, in_dir("flat2"), err, sizeof(err)), 0);
	assert_int_equal(chain_load(in_dir("flat2"), &f, err, sizeof(err)), 0);
	assert_int_equal(chain_resolve(&f, err, sizeof(err)), 0);
	assert_int_equal(f.nreads, 1);
	assert_true(f.reads[0].addr == P(6) && f.reads[0].len == 2 * PAGE);
	chain_free(&f);
	chain_free(&c);
}

/* ---- broken links -------------------------------------------------------- */

static void expect_chain_error(const char *newest, const char *want1, const char *want2)
{
	struct chain c;
	char err[1024] = "";
	int rc = chain_load(in_dir(newest), &c, err, sizeof(err));

	if (!rc) {
		rc = chain_resolve(&c, err, sizeof(err));
		chain_free(&c);
	}
	if (!rc || !strstr(err, want1) || (want2 && !strstr(err, want2)))
		fail_msg("expected an error with '%s' and '%s', got %d '%s'", want1,
			 want2 ? want2 : "", rc, err);
	assert_null(strchr(err, '\n'));
}

static void parent_missing(void **state)
{
	(void)state;
	write_chain();
	unlink(in_dir("I1"));
	expect_chain_error("I2", "is missing", in_dir("I1"));
	expect_chain_error("I2", "parent image", in_dir("I2"));
}

static void parent_swapped(void **state)
{
	struct spec other = I1;
	(void)state;

	write_chain();
	other.id = 0x44; /* another image under the parent's name */
	write_spec(&other);
	expect_chain_error("I2", "is not the image I2 was written after", in_dir("I1"));
}

static void parent_rewritten(void **state)
{
	struct spec same_id = I1;
	(void)state;

	write_chain();
	same_id.tag = 9; /* same id, other contents: another sum */
	write_spec(&same_id);
	expect_chain_error("I2", "is not the image", in_dir("I1"));
}

static void parent_truncated(void **state)
{
	struct stat st;
	(void)state;

	write_chain();
	assert_int_equal(stat(in_dir("F0"), &st), 0);
	assert_int_equal(truncate(in_dir("F0"), st.st_size - 100), 0);
	expect_chain_error("I2", "parent image", in_dir("F0"));
	expect_chain_error("I2", "truncated", NULL);
}

static void parent_wrong_depth(void **state)
{
	struct spec s1 = I1, s2 = I2;
	(void)state;

	write_spec(&F0);
	s1.depth = 2; /* F0 is full: I1 is at depth 1 */
	write_spec(&s1);
	s2.depth = 3;
	write_spec(&s2);
	expect_chain_error("I2", "depth", in_dir("F0"));
}

static void inherit_from_shared(void **state)
{
	struct spec f = F0;
	(void)state;

	f.d_kind = MTCP_RGN_SHARED_ANON; /* a parent region the child cannot inherit from */
	write_spec(&f);
	write_spec(&I1);
	write_spec(&I2);
	expect_chain_error("I2", "corrupt:", "no anonymous or private file region");
}

/* ---- the validator's rules for PREV and INHERIT ------------------------- */

/* The nth run of I2's INHERIT record. */
#define RUN(m, nth) ((m)->p + rec_at((m), MTCP_REC_INHERIT, 0) + sizeof(struct mtcp_rec) + \
		     sizeof(struct mtcp_rec_inherit) + (nth) * sizeof(struct mtcp_inherit_run))

static void set_run(struct img *m, int nth, uint64_t start, uint64_t end)
{
	struct mtcp_inherit_run r = { start, end };
	memcpy(RUN(m, nth), &r, sizeof(r));
}

static void m_depth0(struct img *m) { EDIT(m, MTCP_REC_PREV, 0, struct mtcp_rec_prev, p, p.depth = 0); }
static void m_depth64(struct img *m) { EDIT(m, MTCP_REC_PREV, 0, struct mtcp_rec_prev, p, p.depth = MTCP_MAX_CHAIN); }
static void m_prev_reserved(struct img *m) { EDIT(m, MTCP_REC_PREV, 0, struct mtcp_rec_prev, p, p.reserved = 1); }
static void m_prev_name_len(struct img *m) { EDIT(m, MTCP_REC_PREV, 0, struct mtcp_rec_prev, p, p.name_len = 3); }
static void m_prev_slash(struct img *m)
{
	m->p[rec_at(m, MTCP_REC_PREV, 0) + sizeof(struct mtcp_rec) + sizeof(struct mtcp_rec_prev)] = '/';
}
static void m_prev_dotdot(struct img *m)
{
	memcpy(m->p + rec_at(m, MTCP_REC_PREV, 0) + sizeof(struct mtcp_rec) +
	       sizeof(struct mtcp_rec_prev), "..", 2);
}
static void m_no_flag(struct img *m)
{
	struct mtcp_img_header_v3 h;
	memcpy(&h, m->p, sizeof(h));
	h.flags &= ~(uint64_t)MTCP_IMGF_INCREMENTAL;
	memcpy(m->p, &h, sizeof(h));
}
static void m_v4_flag(struct img *m)
{
	struct mtcp_img_header_v3 h;
	memcpy(&h, m->p, sizeof(h));
	h.version = 4;
	memcpy(m->p, &h, sizeof(h));
}
static void m_prev_gone(struct img *m)
{
	/* the PREV record retyped: something else follows GROUPS */
	size_t o = rec_at(m, MTCP_REC_PREV, 0);
	uint32_t t = MTCP_REC_SIGACT;
	memcpy(m->p + o, &t, sizeof(t));
}
static void m_inh_region(struct img *m) { EDIT(m, MTCP_REC_INHERIT, 0, struct mtcp_rec_inherit, h, h.region_start = A_START); }
static void m_inh_nruns(struct img *m) { EDIT(m, MTCP_REC_INHERIT, 0, struct mtcp_rec_inherit, h, h.nruns = 2); }
static void m_inh_reserved(struct img *m) { EDIT(m, MTCP_REC_INHERIT, 0, struct mtcp_rec_inherit, h, h.reserved = 1); }
static void m_run_unaligned(struct img *m) { set_run(m, 0, P(0) + 8, P(3)); }
static void m_run_empty(struct img *m) { set_run(m, 1, P(6), P(6)); }
static void m_run_outside(struct img *m) { set_run(m, 2, P(12), D_END + PAGE); }
static void m_run_order(struct img *m) { set_run(m, 1, P(1), P(2)); }
static void m_run_extent(struct img *m) { set_run(m, 0, P(0), P(4)); }
static void m_ninherit(struct img *m) { EDIT(m, MTCP_REC_REGION, 2, struct mtcp_rec_region, r, r.ninherit = 2); }
static void m_ninherit_shared(struct img *m) { EDIT(m, MTCP_REC_REGION, 2, struct mtcp_rec_region, r, r.kind = MTCP_RGN_SHARED_ANON); }
static void m_ninherit_zero(struct img *m) { EDIT(m, MTCP_REC_REGION, 2, struct mtcp_rec_region, r, r.ninherit = 0); }
static void m_inh_before_extent(struct img *m)
{
	/* the INHERIT record moved before the region's extent */
	size_t inh = rec_at(m, MTCP_REC_INHERIT, 0), ext = rec_at(m, MTCP_REC_EXTENT, 0);
	size_t n = sizeof(struct mtcp_rec) + sizeof(struct mtcp_rec_inherit) +
		   3 * sizeof(struct mtcp_inherit_run);
	uint8_t save[256];
	memcpy(save, m->p + inh, n);
	memmove(m->p + ext + n, m->p + ext, inh - ext);
	memcpy(m->p + ext, save, n);
}

struct rule {
	const char *name;
	void (*mutate)(struct img *m);
	const char *want;
};

static const struct rule rules[] = {
	{ "PREV depth 0", m_depth0, "depth 0" },
	{ "PREV depth 64", m_depth64, "depth 64" },
	{ "PREV reserved", m_prev_reserved, "reserved field" },
	{ "PREV name length", m_prev_name_len, "name length" },
	{ "PREV name with a slash", m_prev_slash, "plain file name" },
	{ "PREV name ..", m_prev_dotdot, "plain file name" },
	{ "PREV without flag 10", m_no_flag, "misplaced PREV" },
	{ "flag 10 in a v4 image", m_v4_flag, "version 4 image" },
	{ "flag 10 without PREV", m_prev_gone, "not PREV" },
	{ "INHERIT of another region", m_inh_region, "names region" },
	{ "INHERIT nruns and length", m_inh_nruns, "runs in" },
	{ "INHERIT reserved", m_inh_reserved, "reserved field" },
	{ "run not page aligned", m_run_unaligned, "not page aligned" },
	{ "run empty", m_run_empty, "empty" },
	{ "run outside the region", m_run_outside, "outside its region" },
	{ "runs not ascending", m_run_order, "precedes the run before" },
	{ "run over an extent", m_run_extent, "overlaps the extent" },
	{ "ninherit larger", m_ninherit, "announces 2 INHERIT records, 1 follow" },
	{ "ninherit 0 with an INHERIT record", m_ninherit_zero, "more follow" },
	{ "INHERIT in a shared region", m_ninherit_shared, "only kinds 1 and 2" },
	{ "INHERIT before the extents", m_inh_before_extent, "before the last" },
};
#define NRULES (sizeof(rules) / sizeof(rules[0]))

static void run_rule(void **state)
{
	const struct rule *r = *state;
	struct img m;
	struct image img;
	char err[1024] = "";
	const char *x = in_dir("X");
	int fd;

	write_chain();
	m = img_read(in_dir("I2"));
	r->mutate(&m);
	imgfix_all(m.p, m.len, 0);
	fd = open(x, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, m.p, m.len), (ssize_t)m.len);
	close(fd);
	free(m.p);
	if (!image_load(x, &img, err, sizeof(err))) {
		image_free(&img);
		fail_msg("%s: loaded", r->name);
	}
	if (!strstr(err, r->want) || strncmp(err, "corrupt: ", 9))
		fail_msg("%s: '%s', expected 'corrupt: ...%s...'", r->name, err, r->want);
}

int main(void)
{
	static const struct CMUnitTest fixed[] = {
		cmocka_unit_test(chain_resolves),
		cmocka_unit_test(flatten_chain),
		cmocka_unit_test(flatten_splits_extent),
		cmocka_unit_test(parent_missing),
		cmocka_unit_test(parent_swapped),
		cmocka_unit_test(parent_rewritten),
		cmocka_unit_test(parent_truncated),
		cmocka_unit_test(parent_wrong_depth),
		cmocka_unit_test(inherit_from_shared),
	};
	static struct CMUnitTest tests[sizeof(fixed) / sizeof(fixed[0]) + NRULES];
	size_t n = 0;

	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
		tests[n++] = fixed[i];
	for (size_t i = 0; i < NRULES; i++) {
		tests[n].name = rules[i].name;
		tests[n].test_func = run_rule;
		tests[n].setup_func = NULL;
		tests[n].teardown_func = NULL;
		tests[n].initial_state = (void *)&rules[i];
		n++;
	}
	return _cmocka_run_group_tests("chain", tests, n, setup, teardown);
}
