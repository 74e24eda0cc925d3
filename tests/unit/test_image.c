/* SPDX-License-Identifier: MIT */
/*
 * test_image.c - the image writer and reader agree on format v3 (and the
 * reader still reads v2); the reader, with its data and file checks,
 * rejects every single flipped byte and every truncation; and it rejects
 * each hand-crafted image of issue 8 (items 9-12) even though all its
 * checksums were recomputed (tests/fuzz/image_fix.h), so that what is
 * tested is the structure: one case per rule, each with the reason it
 * must give.  Cases that exist in v2 run on a v2 copy of the image too.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "image_writer.h"
#include "image_reader.h"
#include "image_fix.h"
#include "img_edit.h"
#include "crc32c.h"

#define PAGE 4096ull
/* The hand-made process: A rw- anonymous (data, stacks, TLS, the
 * library's globals), B r-x anonymous (code), C a private mapping of a
 * real 8 KiB file. */
#define A_START 0x10000000ull
#define A_END (A_START + 8 * PAGE)
#define B_START 0x20000000ull
#define B_END (B_START + 2 * PAGE)
#define C_START 0x30000000ull
#define C_END (C_START + 2 * PAGE)
#define PAD_LEN 100 /* zero padding put before the second extent's data */

static char path[] = "/tmp/mtcp-test-image-XXXXXX";
static char map_path[] = "/tmp/mtcp-test-map-XXXXXX";
static char case_path[] = "/tmp/mtcp-test-case-XXXXXX";
static struct img good, good2; /* v3 as written (plus padding), and a v2 copy */
static struct iw_identity ident;

/* ---- images in memory --------------------------------------------------- */

static size_t rec_size(const struct img *m, size_t off)
{
	uint64_t len;
	memcpy(&len, m->p + off + 8, sizeof(len));
	return sizeof(struct mtcp_rec) + (size_t)len;
}

static void rec_set_len(struct img *m, size_t off, uint64_t len)
{
	memcpy(m->p + off + 8, &len, sizeof(len));
}

/* n zero bytes at `at`. */
static void img_insert(struct img *m, size_t at, size_t n)
{
	m->p = realloc(m->p, m->len + n);
	assert_non_null(m->p);
	memmove(m->p + at + n, m->p + at, m->len - at);
	memset(m->p + at, 0, n);
	m->len += n;
}

static void img_cut(struct img *m, size_t at, size_t n)
{
	memmove(m->p + at, m->p + at + n, m->len - at - n);
	m->len -= n;
}

/* Moves the record at `from` so that it starts at `to` (in the image
 * without it). */
static void rec_move(struct img *m, size_t from, size_t to)
{
	size_t n = rec_size(m, from);
	uint8_t *save = malloc(n);

	assert_non_null(save);
	memcpy(save, m->p + from, n);
	img_cut(m, from, n);
	img_insert(m, to, n);
	memcpy(m->p + to, save, n);
	free(save);
}

/* Edit a record's payload as a struct: EDIT(m, type, nth, T, x, x.f = 1). */
#define EDIT_HDR(m, var, ...)                                          \
	do {                                                           \
		struct mtcp_img_header_v3 var;                         \
		memcpy(&var, (m)->p, sizeof(var));                     \
		__VA_ARGS__;                                           \
		memcpy((m)->p, &var, sizeof(var));                     \
	} while (0)

/* ---- the good image -------------------------------------------------------- */

static void fill_identity(void)
{
	ident.uid[0] = 1000, ident.uid[1] = 1001, ident.uid[2] = 1002;
	ident.gid[0] = 2000, ident.gid[1] = 2001, ident.gid[2] = 2002;
	ident.fsuid = 1001;
	ident.fsgid = 2001;
	ident.dumpable = 1;
	ident.ngroups = 3;
	ident.groups[0] = 10, ident.groups[1] = 20, ident.groups[2] = 30;
	for (int i = 0; i < 16; i++) {
		ident.image_id[i] = (uint8_t)(0xa0 + i);
		ident.lineage_id[i] = (uint8_t)(0xb0 + i);
		ident.parent_id[i] = (uint8_t)(0xc0 + i);
		ident.launch_id[i] = (uint8_t)(0xd0 + i);
	}
	ident.seq = 7;
	ident.outer_pid = 4321;
}

/* The v4 records (with_objects): fd 6, an eventfd with its EVENTFD record;
 * fd 7, a dup of it (same_as, no record of its own); a FILEDATA record; a
 * DEGRADED note, counted in the header. */
static int write_objects(struct img_writer *w)
{
	struct mtcp_rec_fd fd;
	struct mtcp_rec_eventfd ev = { 7, MTCP_EVENTFD_SEMAPHORE, 0 };
	struct mtcp_rec_filedata fdata;
	struct mtcp_rec_degraded d = { 9, 12 };
	int rc;

	memset(&fd, 0, sizeof(fd));
	fd.fd = 6;
	fd.kind = MTCP_FD_EVENTFD;
	fd.path_len = 20;
	rc = iw_record(w, MTCP_REC_FD, &fd, sizeof(fd), "anon_inode:[eventfd]", 20);
	rc = rc ? rc : iw_record(w, MTCP_REC_EVENTFD, &ev, sizeof(ev), NULL, 0);
	fd.fd = 7;
	fd.same_as = 7;
	rc = rc ? rc : iw_record(w, MTCP_REC_FD, &fd, sizeof(fd), "anon_inode:[eventfd]", 20);
	memset(&fdata, 0, sizeof(fdata));
	fdata.size = fdata.data_len = 5;
	fdata.mode = 0600;
	fdata.why = MTCP_FILEDATA_SAVE_FILES;
	fdata.path_len = 7;
	rc = rc ? rc : iw_record(w, MTCP_REC_FILEDATA, &fdata, sizeof(fdata), "/x/y.dbhello", 12);
	rc = rc ? rc : iw_record(w, MTCP_REC_DEGRADED, &d, sizeof(d), "fd 9 is gone", 12);
	return rc;
}

static void write_image(const char *file, int with_objects)
{
	static char buf[4096];
	static unsigned char data[4 * PAGE];
	struct img_writer w;
	struct iw_settings set = { 2, 1024, 1 };
	struct mtcp_rec_proc proc;
	struct mtcp_rec_sigact sa[MTCP_NSIG];
	struct mtcp_rec_thread t[2];
	struct mtcp_rec_fd fd;
	struct mtcp_rec_region rg;
	struct stat st;
	uint64_t proc_off, rg_off;
	int f = open(file, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	assert_true(f >= 0);
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (unsigned char)(i * 7 + 3);
	iw_init(&w, f, buf, sizeof(buf));
	assert_int_equal(iw_header(&w, 1234, 0, 1, NULL, &ident), 0);
	memset(&proc, 0, sizeof(proc));
	proc.pid = 1234;
	proc.nthreads = 2;
	proc.nfds = with_objects ? 3 : 1;
	proc.nregions = 3;
	proc.cwd_len = 1;
	proc.exe_len = 6;
	proc.restart_info = A_START + 0x100;
	proc.resume_stub = B_START + 0x10;
	assert_int_equal(iw_reserve(&w, sizeof(proc) + 7, &proc_off), 0);
	memset(sa, 0, sizeof(sa));
	sa[1].handler = B_START + 0x100;
	sa[1].flags = 0x04000000; /* SA_RESTORER */
	sa[1].restorer = B_START + 0x200;
	sa[2].handler = 1; /* SIG_IGN */
	assert_int_equal(iw_record(&w, MTCP_REC_SIGACT, sa, sizeof(sa), NULL, 0), 0);
	memset(t, 0, sizeof(t));
	t[0].tid = 1234;
	t[0].flags = MTCP_THREADF_MAIN;
	t[0].resume_addr = A_START + 0x1000;
	t[0].fs_base = A_START + 0x2000;
	t[0].clear_tid = A_START + 0x2010;
	t[0].robust_head = A_START + 0x2020;
	t[0].robust_len = 24;
	t[0].rseq_addr = A_START + 0x2100;
	t[0].rseq_len = 32;
	t[0].pending = 1ull << (10 - 1); /* SIGUSR1 */
	t[1].tid = 1235;
	t[1].flags = MTCP_THREADF_CTL;
	t[1].resume_addr = A_START + 0x3000;
	t[1].fs_base = A_START + 0x3800;
	assert_int_equal(iw_record(&w, MTCP_REC_THREAD, &t[0], sizeof(t[0]), NULL, 0), 0);
	assert_int_equal(iw_record(&w, MTCP_REC_THREAD, &t[1], sizeof(t[1]), NULL, 0), 0);
	memset(&fd, 0, sizeof(fd));
	fd.fd = 5;
	fd.kind = MTCP_FD_DELETED;
	fd.path_len = 4;
	fd.data_len = 3;
	assert_int_equal(iw_begin(&w, MTCP_REC_FD), 0);
	assert_int_equal(iw_append(&w, &fd, sizeof(fd)), 0);
	assert_int_equal(iw_append(&w, "/tmp", 4), 0);
	assert_int_equal(iw_append(&w, "abc", 3), 0);
	assert_int_equal(iw_end(&w), 0);
	if (with_objects)
		assert_int_equal(write_objects(&w), 0);

	/* A: three extents, written behind their reserved REGION */
	memset(&rg, 0, sizeof(rg));
	rg.start = A_START;
	rg.end = A_END;
	rg.prot = PROT_READ | PROT_WRITE;
	rg.kind = MTCP_RGN_ANON;
	rg.nextents = 3;
	assert_int_equal(iw_reserve(&w, sizeof(rg), &rg_off), 0);
	assert_int_equal(iw_extent_from(&w, A_START, PAGE, data), 0);
	assert_int_equal(iw_extent_from(&w, A_START + 2 * PAGE, PAGE, data + PAGE), 0);
	assert_int_equal(iw_extent_from(&w, A_START + 4 * PAGE, 2 * PAGE, data + 2 * PAGE), 0);
	assert_int_equal(iw_record_at(&w, rg_off, MTCP_REC_REGION, &rg, sizeof(rg), NULL, 0), 0);
	/* B: code, no extent */
	memset(&rg, 0, sizeof(rg));
	rg.start = B_START;
	rg.end = B_END;
	rg.prot = PROT_READ | PROT_EXEC;
	rg.kind = MTCP_RGN_ANON;
	assert_int_equal(iw_record(&w, MTCP_REC_REGION, &rg, sizeof(rg), NULL, 0), 0);
	/* C: the whole 8 KiB file, mapped privately */
	assert_int_equal(stat(map_path, &st), 0);
	memset(&rg, 0, sizeof(rg));
	rg.start = C_START;
	rg.end = C_END;
	rg.prot = PROT_READ;
	rg.kind = MTCP_RGN_FILE_PRIVATE;
	rg.dev = st.st_dev;
	rg.ino = st.st_ino;
	rg.file_size = (uint64_t)st.st_size;
	rg.mtime_ns = (uint64_t)st.st_mtim.tv_sec * 1000000000ull + (uint64_t)st.st_mtim.tv_nsec;
	rg.path_len = (uint32_t)strlen(map_path);
	assert_int_equal(iw_record(&w, MTCP_REC_REGION, &rg, sizeof(rg), map_path, rg.path_len),
			 0);
	/* cwd "/" then exe "/bin/x" */
	assert_int_equal(iw_record_at(&w, proc_off, MTCP_REC_PROC, &proc, sizeof(proc), "//bin/x", 7),
			 0);
	/* the final header before END, as the engine does */
	set.ndegraded = with_objects ? 1 : 0;
	assert_int_equal(iw_rewrite_header(&w, MTCP_IMGF_ZERO | MTCP_IMGF_LZ4 |
					       (with_objects ? MTCP_IMGF_DEGRADED : 0), &set), 0);
	assert_int_equal(iw_finish(&w), 0);
	close(f);
}

/* Zero bytes between the second extent's descriptor and its data, as
 * the O_DIRECT path writes them. */
static void add_padding(struct img *m)
{
	size_t off = rec_at(m, MTCP_REC_EXTENT, 1);
	size_t desc = off + sizeof(struct mtcp_rec);

	img_insert(m, desc + sizeof(struct mtcp_rec_extent), PAD_LEN);
	rec_set_len(m, off, rec_size(m, off) - sizeof(struct mtcp_rec) + PAD_LEN);
	EDIT(m, MTCP_REC_EXTENT, 1, struct mtcp_rec_extent, x, x.pad = PAD_LEN);
	imgfix_all(m->p, m->len, 0);
}

/* The same image in format 2: the 64-byte header, no GROUPS, the 16-byte END. */
static struct img to_v2(const struct img *g)
{
	struct img m = img_copy(g);
	size_t groups = rec_at(&m, MTCP_REC_GROUPS, 0), end;
	struct mtcp_img_header h;

	img_cut(&m, groups, rec_size(&m, groups));
	memcpy(&h, m.p, sizeof(h));
	h.version = 2;
	h.header_size = sizeof(h);
	h.reserved2 = 0;
	img_cut(&m, sizeof(h), sizeof(struct mtcp_img_header_v3) - sizeof(h));
	memcpy(m.p, &h, sizeof(h));
	end = rec_at(&m, MTCP_REC_END, 0);
	rec_set_len(&m, end, sizeof(struct mtcp_rec_end));
	m.len -= sizeof(struct mtcp_rec_end_v3) - sizeof(struct mtcp_rec_end);
	imgfix_all(m.p, m.len, 0);
	return m;
}

/* image_load, image_verify_data, image_check_files: what mtcp_restart
 * --verify runs. */
static int load_and_check(const char *file, char *err, size_t errlen)
{
	struct image img;
	int rc = image_load(file, &img, err, errlen);
	if (rc)
		return rc;
	rc = image_verify_data(&img, err, errlen);
	if (!rc)
		rc = image_check_files(&img, err, errlen);
	image_free(&img);
	return rc;
}

/* ---- the good images -------------------------------------------------------- */

static void v3_round_trip(void **state)
{
	struct image img;
	char err[512] = "";
	(void)state;

	assert_int_equal(image_load(path, &img, err, sizeof(err)), 0);
	assert_int_equal(img.hdr.version, MTCP_IMG_VERSION);
	assert_true(img.restartable);
	assert_int_equal(img.hdr.flags, MTCP_IMGF_ZERO | MTCP_IMGF_LZ4); /* the rewritten header */
	assert_int_equal(img.hdr.helpers, 2);
	assert_int_equal(img.proc.pid, 1234);
	assert_string_equal(img.cwd, "/");
	assert_string_equal(img.exe, "/bin/x");
	assert_int_equal(img.nthreads, 2);
	assert_int_equal(img.nfds, 1);
	assert_string_equal(img.fds[0].path, "/tmp");
	assert_int_equal(img.fds[0].rec.data_len, 3);
	assert_int_equal(img.nregions, 3);
	assert_int_equal(img.nextents, 3);
	assert_int_equal(img.regions[1].first_extent, 3);
	assert_string_equal(img.regions[2].path, map_path);
	assert_true(img.extents[1].addr == A_START + 2 * PAGE);
	assert_true(img.data_bytes == 4 * PAGE);
	assert_true(img.sigact[1].handler == B_START + 0x100);
	/* the writer's identity */
	assert_int_equal(img.hdr.uid[0], 1000);
	assert_int_equal(img.hdr.uid[2], 1002);
	assert_int_equal(img.hdr.gid[1], 2001);
	assert_int_equal(img.hdr.fsuid, 1001);
	assert_int_equal(img.hdr.fsgid, 2001);
	assert_int_equal(img.hdr.dumpable, 1);
	assert_int_equal(img.hdr.ngroups, 3);
	assert_int_equal(img.groups[2], 30);
	assert_memory_equal(img.hdr.image_id, ident.image_id, MTCP_ID_LEN);
	assert_memory_equal(img.hdr.lineage_id, ident.lineage_id, MTCP_ID_LEN);
	assert_memory_equal(img.hdr.parent_id, ident.parent_id, MTCP_ID_LEN);
	assert_memory_equal(img.hdr.launch_id, ident.launch_id, MTCP_ID_LEN);
	assert_int_equal(img.hdr.seq, 7);
	assert_int_equal(img.hdr.outer_pid, 4321);
	assert_int_equal(image_verify_data(&img, err, sizeof(err)), 0);
	assert_int_equal(image_check_files(&img, err, sizeof(err)), 0);
	image_free(&img);
}

/* What the writer wrote, before the padding was added: also good. */
static void v3_as_written(void **state)
{
	char err[512] = "", file[] = "/tmp/mtcp-test-written-XXXXXX";
	int fd = mkstemp(file);
	(void)state;

	assert_true(fd >= 0);
	close(fd);
	write_image(file, 0);
	if (load_and_check(file, err, sizeof(err)))
		fail_msg("the writer's own image: %s", err);
	unlink(file);
}

static void v2_still_read(void **state)
{
	struct image img;
	char err[512] = "";
	(void)state;

	img_write(&good2, case_path);
	if (image_load(case_path, &img, err, sizeof(err)))
		fail_msg("v2: %s", err);
	assert_int_equal(img.hdr.version, 2);
	assert_false(img.restartable);
	assert_int_equal(img.hdr.ngroups, 0);
	assert_int_equal(img.hdr.uid[0], 0);
	assert_int_equal(img.nextents, 3);
	assert_int_equal(image_verify_data(&img, err, sizeof(err)), 0);
	image_free(&img);
}

static void no_identity(void **state)
{
	static char buf[4096];
	struct img_writer w;
	struct img m;
	char file[] = "/tmp/mtcp-test-noid-XXXXXX";
	int fd = mkstemp(file);
	(void)state;

	/* NULL: zero ids and credentials, an empty GROUPS record */
	iw_init(&w, fd, buf, sizeof(buf));
	assert_int_equal(iw_header(&w, 1, 0, 1, NULL, NULL), 0);
	assert_int_equal(iw_flush(&w), 0);
	close(fd);
	m = img_read(file);
	unlink(file);
	assert_int_equal(m.len, sizeof(struct mtcp_img_header_v3) + sizeof(struct mtcp_rec));
	assert_int_equal(imgfix_records(m.p, m.len, NULL, 0), 1);
	assert_int_equal(rec_size(&m, sizeof(struct mtcp_img_header_v3)), sizeof(struct mtcp_rec));
	for (size_t i = 56; i < 252; i++)
		assert_int_equal(m.p[i], 0);
	free(m.p);
}

static void flipped_bytes(void **state)
{
	char err[512];
	struct img m = img_copy(&good);
	(void)state;

	/* every byte of the image (its zero padding included), flipped one at
	 * a time: some check must notice */
	for (size_t off = 0; off < m.len; off++) {
		m.p[off] ^= 0x20;
		img_write(&m, case_path);
		err[0] = '\0';
		if (load_and_check(case_path, err, sizeof(err)) >= 0)
			fail_msg("a flipped byte at offset %zu went unnoticed", off);
		assert_true(err[0] != '\0');
		m.p[off] ^= 0x20;
	}
	img_write(&m, case_path);
	assert_int_equal(load_and_check(case_path, err, sizeof(err)), 0);
	free(m.p);
}

static void truncated(void **state)
{
	char err[512];
	struct img m = img_copy(&good);
	(void)state;

	for (size_t len = 0; len < good.len; len += (len < 300 ? 1 : 97)) {
		m.len = len;
		img_write(&m, case_path);
		err[0] = '\0';
		if (load_and_check(case_path, err, sizeof(err)) >= 0)
			fail_msg("an image cut to %zu bytes was accepted", len);
		assert_true(err[0] != '\0');
	}
	free(m.p);
}

static void garbage_after_end(void **state)
{
	char err[512];
	struct img m = img_copy(&good);
	(void)state;

	img_insert(&m, m.len, 1);
	img_write(&m, case_path);
	assert_true(load_and_check(case_path, err, sizeof(err)) < 0);
	assert_non_null(strstr(err, "after the END"));
	free(m.p);
}

static void not_an_image(void **state)
{
	struct image img;
	char err[512];
	(void)state;
	assert_int_equal(image_load("/nonexistent/image", &img, err, sizeof(err)), -2);
	assert_true(image_load("/etc/passwd", &img, err, sizeof(err)) < 0);
	assert_non_null(strstr(err, "not a libmtcp-fast image"));
}

static void future_version(void **state)
{
	char err[512];
	struct img m = img_copy(&good);
	(void)state;

	EDIT_HDR(&m, h, h.version = MTCP_IMG_VERSION + 1);
	imgfix_all(m.p, m.len, 0);
	img_write(&m, case_path);
	assert_true(load_and_check(case_path, err, sizeof(err)) < 0);
	{
		char want[32];
		snprintf(want, sizeof(want), "version %u;", MTCP_IMG_VERSION + 1);
		assert_non_null(strstr(err, want));
	}
	free(m.p);
}

/* Item 12: a FIFO is refused at once (the old reader blocked in open()). */
static void fifo_does_not_block(void **state)
{
	char dir[] = "/tmp/mtcp-test-fifo-XXXXXX", fifo[64];
	struct image img;
	char err[512] = "";
	(void)state;

	assert_non_null(mkdtemp(dir));
	snprintf(fifo, sizeof(fifo), "%s/f", dir);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	alarm(10); /* a hang ends the test (SIGALRM) instead of the suite's timeout */
	assert_true(image_load(fifo, &img, err, sizeof(err)) < 0);
	alarm(0);
	assert_non_null(strstr(err, "not a regular file"));
	unlink(fifo);
	rmdir(dir);
}

/* ---- hand-crafted images, checksums recomputed ------------------------------- */

static void m_nextents_large(struct img *m)
{
	EDIT(m, MTCP_REC_REGION, 0, struct mtcp_rec_region, r, r.nextents = 1000000);
}
static void m_nextents_small(struct img *m)
{
	EDIT(m, MTCP_REC_REGION, 0, struct mtcp_rec_region, r, r.nextents = 2);
}
static void m_nextents_none(struct img *m)
{
	EDIT(m, MTCP_REC_REGION, 1, struct mtcp_rec_region, r, r.nextents = 1);
}
static void m_extent_wraps(struct img *m)
{
	EDIT(m, MTCP_REC_EXTENT, 0, struct mtcp_rec_extent, x, x.addr = 0xfffffffffffff000ull);
}
static void m_extent_vvar(struct img *m)
{
	EDIT(m, MTCP_REC_REGION, 0, struct mtcp_rec_region, r, r.kind = MTCP_RGN_VVAR);
}
static void m_extents_unordered(struct img *m)
{
	rec_move(m, rec_at(m, MTCP_REC_EXTENT, 1), rec_at(m, MTCP_REC_EXTENT, 0));
}
static void m_padding(struct img *m)
{
	m->p[rec_at(m, MTCP_REC_EXTENT, 1) + sizeof(struct mtcp_rec) +
	     sizeof(struct mtcp_rec_extent) + PAD_LEN / 2] = 1;
}
static void m_ri_outside(struct img *m)
{
	EDIT(m, MTCP_REC_PROC, 0, struct mtcp_rec_proc, p, p.restart_info = 0x50000000);
}
static void m_ri_code(struct img *m)
{
	EDIT(m, MTCP_REC_PROC, 0, struct mtcp_rec_proc, p, p.restart_info = B_START);
}
static void m_ri_straddles(struct img *m)
{
	EDIT(m, MTCP_REC_PROC, 0, struct mtcp_rec_proc, p, p.restart_info = A_END - 16);
}
static void m_stub_data(struct img *m)
{
	EDIT(m, MTCP_REC_PROC, 0, struct mtcp_rec_proc, p, p.resume_stub = A_START + 0x40);
}
static void m_stub_outside(struct img *m)
{
	EDIT(m, MTCP_REC_PROC, 0, struct mtcp_rec_proc, p, p.resume_stub = 0x7fffffffe000ull);
}
static void m_resume_outside(struct img *m)
{
	EDIT(m, MTCP_REC_THREAD, 0, struct mtcp_rec_thread, t, t.resume_addr = 0x40000000);
}
static void m_resume_ctl_code(struct img *m)
{
	EDIT(m, MTCP_REC_THREAD, 1, struct mtcp_rec_thread, t, t.resume_addr = B_START + 64);
}
static void m_resume_no_room(struct img *m)
{
	EDIT(m, MTCP_REC_THREAD, 0, struct mtcp_rec_thread, t, t.resume_addr = A_END - 100);
}
static void m_fs_outside(struct img *m)
{
	EDIT(m, MTCP_REC_THREAD, 1, struct mtcp_rec_thread, t, t.fs_base = 0xdead0000);
}
static void m_clear_tid(struct img *m)
{
	EDIT(m, MTCP_REC_THREAD, 0, struct mtcp_rec_thread, t, t.clear_tid = B_START + 8);
}
static void m_robust(struct img *m)
{
	EDIT(m, MTCP_REC_THREAD, 0, struct mtcp_rec_thread, t, t.robust_head = C_START);
}
static void m_rseq(struct img *m)
{
	EDIT(m, MTCP_REC_THREAD, 0, struct mtcp_rec_thread, t, t.rseq_addr = 0x1000);
}
static void m_file_offset(struct img *m)
{
	EDIT(m, MTCP_REC_REGION, 2, struct mtcp_rec_region, r, r.file_offset = 100);
}
static void m_file_past_end(struct img *m)
{
	EDIT(m, MTCP_REC_REGION, 2, struct mtcp_rec_region, r, r.file_offset = PAGE);
}
#define PENDING_CASE(name, field, nth, sig)                                        \
	static void name(struct img *m)                                            \
	{                                                                          \
		EDIT(m, MTCP_REC_THREAD, nth, struct mtcp_rec_thread, t,           \
		     t.field |= 1ull << ((sig) - 1));                              \
	}
PENDING_CASE(m_pending_stop, pending, 0, SIGSTOP)
PENDING_CASE(m_pending_kill, pending, 1, SIGKILL)
PENDING_CASE(m_pending_tstp, pending, 0, SIGTSTP)
PENDING_CASE(m_pending_ttin, pending, 0, SIGTTIN)
PENDING_CASE(m_pending_ttou, pending, 1, SIGTTOU)
static void m_pending_shared(struct img *m)
{
	EDIT(m, MTCP_REC_PROC, 0, struct mtcp_rec_proc, p, p.pending_shared = 1ull << (SIGSTOP - 1));
}
static void m_rec_flags(struct img *m)
{
	size_t off = rec_at(m, MTCP_REC_THREAD, 1);
	m->p[off + offsetof(struct mtcp_rec, flags)] = 1;
}
static void m_rec_flags_extent(struct img *m)
{
	size_t off = rec_at(m, MTCP_REC_EXTENT, 2);
	m->p[off + offsetof(struct mtcp_rec, flags) + 3] = 0x80;
}
static void m_fd_reserved(struct img *m)
{
	EDIT(m, MTCP_REC_FD, 0, struct mtcp_rec_fd, f, f.same_as = 1);
}
static void m_region_reserved(struct img *m)
{
	EDIT(m, MTCP_REC_REGION, 1, struct mtcp_rec_region, r, r.ninherit = 1);
}
static void m_pending_count(struct img *m)
{
	EDIT(m, MTCP_REC_THREAD, 0, struct mtcp_rec_thread, t, t.pending_count = 1);
}
static void m_region_flags(struct img *m)
{
	EDIT(m, MTCP_REC_REGION, 0, struct mtcp_rec_region, r, r.flags = 0x100);
}
static void m_thread_flags(struct img *m)
{
	EDIT(m, MTCP_REC_THREAD, 0, struct mtcp_rec_thread, t, t.flags |= 0x10);
}
static void m_hdr_reserved_v3(struct img *m)
{
	EDIT_HDR(m, h, h.reserved[6] = 1);
}
static void m_hdr_reserved_v2(struct img *m)
{
	m->p[offsetof(struct mtcp_img_header, reserved2)] = 1;
}
struct sigacts {
	struct mtcp_rec_sigact s[MTCP_NSIG];
};
static void m_handler_data(struct img *m)
{
	EDIT(m, MTCP_REC_SIGACT, 0, struct sigacts, a, a.s[1].handler = A_START);
}
static void m_handler_outside(struct img *m)
{
	EDIT(m, MTCP_REC_SIGACT, 0, struct sigacts, a, a.s[20].handler = 0x123456789000ull);
}
static void m_sa_restorer(struct img *m)
{
	EDIT(m, MTCP_REC_SIGACT, 0, struct sigacts, a, a.s[1].restorer = 8);
}
static void m_cwd_long(struct img *m)
{
	size_t off = rec_at(m, MTCP_REC_PROC, 0);
	size_t add = MTCP_MAX_PATH + 10;

	img_insert(m, off + sizeof(struct mtcp_rec) + sizeof(struct mtcp_rec_proc), add);
	memset(m->p + off + sizeof(struct mtcp_rec) + sizeof(struct mtcp_rec_proc), 'a', add);
	rec_set_len(m, off, rec_size(m, off) - sizeof(struct mtcp_rec) + add);
	EDIT(m, MTCP_REC_PROC, 0, struct mtcp_rec_proc, p, p.cwd_len += (uint32_t)add);
}
static void m_exe_nul(struct img *m)
{
	size_t off = rec_at(m, MTCP_REC_PROC, 0);
	/* "//bin/x": cwd "/", exe "/bin/x" -> "/bin\0x" */
	m->p[off + sizeof(struct mtcp_rec) + sizeof(struct mtcp_rec_proc) + 5] = 0;
}
static void m_region_path_nul(struct img *m)
{
	size_t off = rec_at(m, MTCP_REC_REGION, 2);
	m->p[off + sizeof(struct mtcp_rec) + sizeof(struct mtcp_rec_region) + 4] = 0;
}
static void m_fd_path_nul(struct img *m)
{
	size_t off = rec_at(m, MTCP_REC_FD, 0);
	m->p[off + sizeof(struct mtcp_rec) + sizeof(struct mtcp_rec_fd) + 1] = 0;
}
static void m_fd_len_wraps(struct img *m)
{
	size_t off = rec_at(m, MTCP_REC_FD, 0);

	/* a record of just the struct; 72 + 4 + (2^64 - 4) wraps to 72 */
	img_cut(m, off + sizeof(struct mtcp_rec) + sizeof(struct mtcp_rec_fd), 7);
	rec_set_len(m, off, sizeof(struct mtcp_rec_fd));
	EDIT(m, MTCP_REC_FD, 0, struct mtcp_rec_fd, f, f.data_len = (uint64_t)-4);
}
static void m_fd_kind(struct img *m)
{
	EDIT(m, MTCP_REC_FD, 0, struct mtcp_rec_fd, f, f.kind = 9);
}
static void m_fd_data_not_deleted(struct img *m)
{
	EDIT(m, MTCP_REC_FD, 0, struct mtcp_rec_fd, f, f.kind = MTCP_FD_REGULAR);
}
static void m_dup_tid(struct img *m)
{
	EDIT(m, MTCP_REC_THREAD, 1, struct mtcp_rec_thread, t, t.tid = 1234);
}
static void m_tid_zero(struct img *m)
{
	EDIT(m, MTCP_REC_THREAD, 1, struct mtcp_rec_thread, t, t.tid = 0);
}
static void m_no_threads(struct img *m)
{
	size_t t0 = rec_at(m, MTCP_REC_THREAD, 0);
	img_cut(m, t0, 2 * rec_size(m, t0));
	EDIT(m, MTCP_REC_PROC, 0, struct mtcp_rec_proc, p, p.nthreads = 0);
}
static void m_state_after_memory(struct img *m)
{
	size_t fd = rec_at(m, MTCP_REC_FD, 0), n = rec_size(m, fd);
	rec_move(m, fd, rec_at(m, MTCP_REC_END, 0) - n);
}
static void m_groups_missing(struct img *m)
{
	size_t g = rec_at(m, MTCP_REC_GROUPS, 0);
	img_cut(m, g, rec_size(m, g));
}
static void m_groups_twice(struct img *m)
{
	size_t g = rec_at(m, MTCP_REC_GROUPS, 0), n = rec_size(m, g);
	img_insert(m, g + n, n);
	memcpy(m->p + g + n, m->p + g, n);
}
static void m_ngroups_large(struct img *m)
{
	EDIT_HDR(m, h, h.ngroups = 65537);
}
static void m_ngroups_mismatch(struct img *m)
{
	EDIT_HDR(m, h, h.ngroups = 2);
}
static void m_dumpable(struct img *m)
{
	EDIT_HDR(m, h, h.dumpable = 3);
}
static void m_end_short(struct img *m)
{
	size_t end = rec_at(m, MTCP_REC_END, 0);
	rec_set_len(m, end, sizeof(struct mtcp_rec_end));
	m->len -= sizeof(struct mtcp_rec_end_v3) - sizeof(struct mtcp_rec_end);
}
static void m_sum_wrong(struct img *m)
{
	EDIT(m, MTCP_REC_END, 0, struct mtcp_rec_end_v3, e, e.image_sum ^= 1);
}
/* Two records of the same size swapped, every crc right: only the sum
 * (which weighs each record's crc by its offset) tells. */
static void m_records_swapped(struct img *m)
{
	rec_move(m, rec_at(m, MTCP_REC_THREAD, 1), rec_at(m, MTCP_REC_THREAD, 0));
}

/* The FD record (a deleted file's, 3 bytes of contents) made a pipe's
 * read end, followed by its PIPE record: `data` bytes in flight in a pipe
 * of `size` bytes. */
static void to_pipe(struct img *m, uint32_t size, uint64_t data)
{
	size_t off = rec_at(m, MTCP_REC_FD, 0), n = rec_size(m, off) - 3;
	struct mtcp_rec_pipe pr = { 77, size, 0, data };
	struct mtcp_rec h = { MTCP_REC_PIPE, 0, sizeof(pr) + data, 0, 0 };

	img_cut(m, off + n, 3);
	rec_set_len(m, off, n - sizeof(struct mtcp_rec));
	EDIT(m, MTCP_REC_FD, 0, struct mtcp_rec_fd, f, f.kind = MTCP_FD_PIPE; f.data_len = 0);
	img_insert(m, off + n, sizeof(h) + sizeof(pr) + data);
	memcpy(m->p + off + n, &h, sizeof(h));
	memcpy(m->p + off + n + sizeof(h), &pr, sizeof(pr));
	memset(m->p + off + n + sizeof(h) + sizeof(pr), 'p', data);
}
static void m_pipe_data_too_long(struct img *m)
{
	to_pipe(m, 4096, 4097);
}

#define BOTH 0
#define V3 1
#define V2 2

struct bad_case {
	const char *name;
	void (*mutate)(struct img *m);
	const char *reason;    /* what the one-line message must contain */
	int only;              /* BOTH, V3 or V2 */
	unsigned fix_flags;    /* IMGFIX_*: what imgfix_all leaves alone */
};

static const struct bad_case cases[] = {
	/* item 9 */
	{ "region announces more extents than follow", m_nextents_large, "announces", BOTH, 0 },
	{ "region announces fewer extents than follow", m_nextents_small, "announces", BOTH, 0 },
	{ "region without extents announces one", m_nextents_none, "announces", BOTH, 0 },
	/* item 10 */
	{ "extent address + length wraps", m_extent_wraps, "bad extent", BOTH, 0 },
	{ "extent in a vvar region", m_extent_vvar, "holds no data", BOTH, 0 },
	{ "extents out of order", m_extents_unordered, "precedes", BOTH, 0 },
	/* item 11 */
	{ "extent padding not zero", m_padding, "padding", BOTH, 0 },
	{ "restart_info outside every region", m_ri_outside, "restart_info", BOTH, 0 },
	{ "restart_info in a read-only region", m_ri_code, "restart_info", BOTH, 0 },
	{ "restart_info runs past its region", m_ri_straddles, "restart_info", BOTH, 0 },
	{ "resume stub in a data region", m_stub_data, "resume stub", BOTH, 0 },
	{ "resume stub outside every region", m_stub_outside, "resume stub", BOTH, 0 },
	{ "thread resume address outside", m_resume_outside, "resume address", BOTH, 0 },
	{ "control thread's context in code", m_resume_ctl_code, "resume address", BOTH, 0 },
	{ "ucontext runs past its region", m_resume_no_room, "resume address", BOTH, 0 },
	{ "fs base outside", m_fs_outside, "fs base", BOTH, 0 },
	{ "clear_child_tid in code", m_clear_tid, "clear_child_tid", BOTH, 0 },
	{ "robust list head in a read-only file mapping", m_robust, "robust list", BOTH, 0 },
	{ "rseq area outside", m_rseq, "rseq", BOTH, 0 },
	{ "file offset not page aligned", m_file_offset, "file offset", BOTH, 0 },
	{ "private file mapping past the file's end", m_file_past_end, "past the end", BOTH, 0 },
	{ "thread pending SIGSTOP", m_pending_stop, "pending signals", BOTH, 0 },
	{ "thread pending SIGKILL", m_pending_kill, "pending signals", BOTH, 0 },
	{ "process pending SIGSTOP", m_pending_shared, "pending signals", BOTH, 0 },
	{ "record header flags", m_rec_flags, "must be zero", BOTH, 0 },
	{ "extent record header flags", m_rec_flags_extent, "must be zero", BOTH, 0 },
	{ "fd shares a description with no earlier fd", m_fd_reserved, "not an earlier fd", V3, 0 },
	{ "fd reserved field", m_fd_reserved, "reserved field", V2, 0 },
	{ "region reserved field", m_region_reserved, "reserved field", V2, 0 },
	{ "ninherit in a full image", m_region_reserved, "INHERIT records in a full image", V3, 0 },
	{ "thread pending_count", m_pending_count, "pending_count", BOTH, 0 },
	{ "unknown region flag", m_region_flags, "unknown flags", BOTH, 0 },
	{ "unknown thread flag", m_thread_flags, "bad flags", BOTH, 0 },
	{ "v3 header reserved bytes", m_hdr_reserved_v3, "reserved bytes", V3, 0 },
	{ "v2 header reserved field", m_hdr_reserved_v2, "reserved field", V2, 0 },
	{ "signal handler in a data region", m_handler_data, "handler", BOTH, 0 },
	{ "signal handler outside", m_handler_outside, "handler", BOTH, 0 },
	{ "sa_restorer outside", m_sa_restorer, "sa_restorer", BOTH, 0 },
	{ "cwd longer than PATH_MAX", m_cwd_long, "cwd", BOTH, 0 },
	{ "executable path with a NUL", m_exe_nul, "executable path", BOTH, 0 },
	{ "region path with a NUL", m_region_path_nul, "bad region record", BOTH, 0 },
	{ "fd path with a NUL", m_fd_path_nul, "NUL", BOTH, 0 },
	{ "fd data length wraps the record length", m_fd_len_wraps, "bad fd record", BOTH, 0 },
	{ "fd kind unknown", m_fd_kind, "kind", BOTH, 0 },
	{ "fd data on a regular file", m_fd_data_not_deleted, "kind", BOTH, 0 },
	{ "two threads with one tid", m_dup_tid, "twice", BOTH, 0 },
	{ "thread id 0", m_tid_zero, "thread id", BOTH, 0 },
	{ "no thread at all", m_no_threads, "0 threads", BOTH, 0 },
	{ "fd record after the memory records", m_state_after_memory, "after the memory", BOTH,
	  0 },
	/* v3's own */
	{ "GROUPS missing", m_groups_missing, "not GROUPS", V3, 0 },
	{ "GROUPS twice", m_groups_twice, "misplaced GROUPS", V3, 0 },
	{ "65537 groups", m_ngroups_large, "supplementary groups", V3, 0 },
	{ "GROUPS shorter than ngroups", m_ngroups_mismatch, "GROUPS record has", V3, 0 },
	{ "dumpable 3", m_dumpable, "dumpable", V3, 0 },
	{ "v3 END of 16 bytes", m_end_short, "END record", V3, 0 },
	{ "END's sum wrong", m_sum_wrong, "sum", V3, IMGFIX_KEEP_SUM },
	/* v4 */
	{ "PIPE record with more bytes than its pipe holds", m_pipe_data_too_long,
	  "bad PIPE record", V3, 0 },
	{ "two records swapped", m_records_swapped, "sum", V3, IMGFIX_KEEP_SUM },
};
#define NCASES (sizeof(cases) / sizeof(cases[0]))

struct run {
	const struct bad_case *c;
	int v2;
};

static void run_case(void **state)
{
	const struct run *r = *state;
	struct img m = img_copy(r->v2 ? &good2 : &good);
	char err[512] = "";
	int rc;

	/* the good image passes: what fails is the change */
	img_write(&m, case_path);
	if (load_and_check(case_path, err, sizeof(err)))
		fail_msg("the good image failed: %s", err);
	r->c->mutate(&m);
	imgfix_all(m.p, m.len, r->c->fix_flags);
	img_write(&m, case_path);
	err[0] = '\0';
	rc = load_and_check(case_path, err, sizeof(err));
	free(m.p);
	if (rc >= 0)
		fail_msg("accepted");
	if (!strstr(err, r->c->reason))
		fail_msg("refused, but the reason lacks '%s': %s", r->c->reason, err);
	if (strchr(err, '\n'))
		fail_msg("the reason is more than one line: %s", err);
	print_message("# %s\n", err);
}

/* A terminal stop signal may be blocked and pending at a checkpoint: the
 * image keeps it (the program gets it when it unblocks it), and loads. */
static void pending_blocked_stop_signal_loads(void **state)
{
	void (*const edits[])(struct img *) = { m_pending_tstp, m_pending_ttin, m_pending_ttou };
	char err[512] = "";

	(void)state;
	for (size_t i = 0; i < sizeof(edits) / sizeof(edits[0]); i++) {
		struct img m = img_copy(&good);
		edits[i](&m);
		imgfix_all(m.p, m.len, 0);
		img_write(&m, case_path);
		free(m.p);
		if (load_and_check(case_path, err, sizeof(err)))
			fail_msg("refused: %s", err);
	}
}

/* A pipe's read end with a full pipe's bytes in flight loads, its PIPE
 * record whole (the control for m_pipe_data_too_long). */
static void pipe_record_loads(void **state)
{
	struct img m = img_copy(&good);
	struct image img;
	struct mtcp_rec_pipe pr;
	char err[512] = "";

	(void)state;
	to_pipe(&m, 4096, 4096);
	imgfix_all(m.p, m.len, 0);
	img_write(&m, case_path);
	free(m.p);
	if (load_and_check(case_path, err, sizeof(err)))
		fail_msg("refused: %s", err);
	assert_int_equal(image_load(case_path, &img, err, sizeof(err)), 0);
	assert_int_equal(img.fds[0].rec.kind, MTCP_FD_PIPE);
	assert_int_equal(img.fds[0].obj_type, MTCP_REC_PIPE);
	assert_int_equal(img.fds[0].obj_len, sizeof(pr) + 4096);
	memcpy(&pr, img.fds[0].obj, sizeof(pr));
	assert_int_equal(pr.pipe_ino, 77);
	assert_int_equal(pr.data_len, 4096);
	assert_int_equal(((const char *)img.fds[0].obj)[sizeof(pr) + 4095], 'p');
	image_free(&img);
}

static int setup(void **state)
{
	int fd;
	char block[2 * PAGE];
	(void)state;

	if (!crc32c_supported())
		return -1;
	fd = mkstemp(map_path);
	memset(block, 'm', sizeof(block));
	if (fd < 0 || write(fd, block, sizeof(block)) != (ssize_t)sizeof(block))
		return -1;
	close(fd);
	fd = mkstemp(case_path);
	if (fd < 0)
		return -1;
	close(fd);
	fd = mkstemp(path);
	if (fd < 0)
		return -1;
	close(fd);
	fill_identity();
	write_image(path, 0);
	good = img_read(path);
	add_padding(&good);
	img_write(&good, path);
	good2 = to_v2(&good);
	return 0;
}

/* ---- version 4: kernel objects, dups, file data, degraded notes ---------- */

static struct img objects_image(void)
{
	write_image(case_path, 1);
	return img_read(case_path);
}

/* The image `m`, once its checksums are made right again, is refused
 * with `why` in the reason. */
static void refused_v4(struct img *m, const char *why)
{
	char err[512] = "";
	imgfix_all(m->p, m->len, 0);
	img_write(m, case_path);
	assert_true(load_and_check(case_path, err, sizeof(err)) < 0);
	if (!strstr(err, why))
		fail_msg("refused, but the reason lacks '%s': %s", why, err);
	free(m->p);
}

static void v4_objects_round_trip(void **state)
{
	struct img m = objects_image();
	struct image img;
	char err[512] = "";
	struct mtcp_rec_eventfd ev;
	(void)state;

	assert_int_equal(image_load(case_path, &img, err, sizeof(err)), 0);
	assert_int_equal(img.hdr.version, MTCP_IMG_VERSION);
	assert_int_equal(img.nfds, 3);
	assert_int_equal(img.fds[1].rec.kind, MTCP_FD_EVENTFD);
	assert_int_equal(img.fds[1].obj_type, MTCP_REC_EVENTFD);
	assert_int_equal(img.fds[1].obj_len, sizeof(ev));
	memcpy(&ev, img.fds[1].obj, sizeof(ev));
	assert_int_equal(ev.count, 7);
	assert_int_equal(img.fds[2].rec.same_as, 7);
	assert_null(img.fds[2].obj);
	assert_int_equal(img.nfiles, 1);
	assert_string_equal(img.files[0].path, "/x/y.db");
	assert_int_equal(img.nnotes, 1);
	assert_int_equal(img.hdr.ndegraded, 1);
	assert_true(img.hdr.flags & MTCP_IMGF_DEGRADED);
	assert_int_equal(img.notes[0].fd, 9);
	assert_string_equal(img.notes[0].text, "fd 9 is gone");
	image_free(&img);
	free(m.p);
}

static void v4_object_record_missing(void **state)
{
	struct img m = objects_image();
	size_t ev = rec_at(&m, MTCP_REC_EVENTFD, 0);
	(void)state;
	img_cut(&m, ev, rec_size(&m, ev));
	refused_v4(&m, "EVENTFD record is missing");
}

static void v4_object_record_for_a_dup(void **state)
{
	/* the dup (fd 7) with an object record of its own */
	struct img m = objects_image();
	size_t ev = rec_at(&m, MTCP_REC_EVENTFD, 0), n = rec_size(&m, ev);
	size_t fd7 = rec_at(&m, MTCP_REC_FD, 2);
	(void)state;
	img_insert(&m, fd7 + rec_size(&m, fd7), n);
	ev = rec_at(&m, MTCP_REC_EVENTFD, 0);
	memcpy(m.p + fd7 + rec_size(&m, fd7), m.p + ev, n);
	refused_v4(&m, "misplaced EVENTFD record");
}

static void v4_bad_eventfd(void **state)
{
	struct img m = objects_image();
	(void)state;
	EDIT(&m, MTCP_REC_EVENTFD, 0, struct mtcp_rec_eventfd, e, e.reserved = 1);
	refused_v4(&m, "bad EVENTFD record");
}

static void v4_dup_of_nothing(void **state)
{
	struct img m = objects_image();
	(void)state;
	EDIT(&m, MTCP_REC_FD, 2, struct mtcp_rec_fd, f, f.same_as = 100);
	refused_v4(&m, "not an earlier fd");
}

static void v4_dup_other_kind(void **state)
{
	struct img m = objects_image();
	(void)state;
	EDIT(&m, MTCP_REC_FD, 2, struct mtcp_rec_fd, f, f.kind = MTCP_FD_PIPE);
	refused_v4(&m, "not an earlier fd of its kind");
}

static void v4_fd_twice(void **state)
{
	struct img m = objects_image();
	size_t off = rec_at(&m, MTCP_REC_FD, 2) + sizeof(struct mtcp_rec);
	uint32_t six = 6;
	(void)state;
	memcpy(m.p + off + offsetof(struct mtcp_rec_fd, fd), &six, sizeof(six));
	refused_v4(&m, "two records for fd 6");
}

static void v4_degraded_count(void **state)
{
	struct img m = objects_image();
	(void)state;
	EDIT_HDR(&m, h, h.ndegraded = 2);
	refused_v4(&m, "degraded objects");
}

static void v4_degraded_flag(void **state)
{
	struct img m = objects_image();
	(void)state;
	EDIT_HDR(&m, h, h.flags &= ~(uint64_t)MTCP_IMGF_DEGRADED);
	refused_v4(&m, "degraded objects");
}

static void v4_degraded_text_nul(void **state)
{
	struct img m = objects_image();
	size_t off = rec_at(&m, MTCP_REC_DEGRADED, 0);
	(void)state;
	m.p[off + sizeof(struct mtcp_rec) + sizeof(struct mtcp_rec_degraded) + 3] = 0;
	refused_v4(&m, "bad DEGRADED record");
}

static void v4_filedata_relative(void **state)
{
	struct img m = objects_image();
	size_t off = rec_at(&m, MTCP_REC_FILEDATA, 0);
	(void)state;
	m.p[off + sizeof(struct mtcp_rec) + sizeof(struct mtcp_rec_filedata)] = 'x';
	refused_v4(&m, "bad path");
}

static void v4_filedata_size(void **state)
{
	struct img m = objects_image();
	(void)state;
	EDIT(&m, MTCP_REC_FILEDATA, 0, struct mtcp_rec_filedata, f, f.size = 6);
	refused_v4(&m, "bad file data record");
}

static void v4_filedata_why(void **state)
{
	struct img m = objects_image();
	(void)state;
	EDIT(&m, MTCP_REC_FILEDATA, 0, struct mtcp_rec_filedata, f, f.why = 4);
	refused_v4(&m, "bad file data record");
}

/* why 3 (SAVE_DIR): its contents must be patterns, a NUL, then names each
 * ended by a NUL; "hello" has no NUL */
static void v4_filedata_dir_contents(void **state)
{
	struct img m = objects_image();
	(void)state;
	EDIT(&m, MTCP_REC_FILEDATA, 0, struct mtcp_rec_filedata, f, f.why = MTCP_FILEDATA_SAVE_DIR);
	refused_v4(&m, "directory record at offset");
}

static void v4_records_in_v3(void **state)
{
	/* an eventfd kind in a version 3 image */
	struct img m = objects_image();
	(void)state;
	EDIT_HDR(&m, h, (h.version = 3, h.ndegraded = 0, h.flags &= ~(uint64_t)MTCP_IMGF_DEGRADED));
	refused_v4(&m, "fd 6 of kind 9");
}

static int teardown(void **state)
{
	(void)state;
	unlink(path);
	unlink(map_path);
	unlink(case_path);
	free(good.p);
	free(good2.p);
	return 0;
}

int main(void)
{
	static const struct CMUnitTest fixed[] = {
		cmocka_unit_test(v3_round_trip),
		cmocka_unit_test(v3_as_written),
		cmocka_unit_test(v2_still_read),
		cmocka_unit_test(no_identity),
		cmocka_unit_test(flipped_bytes),
		cmocka_unit_test(truncated),
		cmocka_unit_test(garbage_after_end),
		cmocka_unit_test(not_an_image),
		cmocka_unit_test(future_version),
		cmocka_unit_test(v4_objects_round_trip),
		cmocka_unit_test(v4_object_record_missing),
		cmocka_unit_test(v4_object_record_for_a_dup),
		cmocka_unit_test(v4_bad_eventfd),
		cmocka_unit_test(v4_dup_of_nothing),
		cmocka_unit_test(v4_dup_other_kind),
		cmocka_unit_test(v4_fd_twice),
		cmocka_unit_test(v4_degraded_count),
		cmocka_unit_test(v4_degraded_flag),
		cmocka_unit_test(v4_degraded_text_nul),
		cmocka_unit_test(v4_filedata_relative),
		cmocka_unit_test(v4_filedata_size),
		cmocka_unit_test(v4_filedata_why),
		cmocka_unit_test(v4_filedata_dir_contents),
		cmocka_unit_test(v4_records_in_v3),
		cmocka_unit_test(fifo_does_not_block),
		cmocka_unit_test(pending_blocked_stop_signal_loads),
		cmocka_unit_test(pipe_record_loads),
	};
	static struct CMUnitTest tests[sizeof(fixed) / sizeof(fixed[0]) + 2 * NCASES];
	static struct run runs[2 * NCASES];
	static char names[2 * NCASES][96];
	size_t n = 0;

	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
		tests[n++] = fixed[i];
	for (size_t i = 0, k = 0; i < NCASES; i++) {
		for (int v2 = 0; v2 < 2; v2++) {
			if ((v2 && cases[i].only == V3) || (!v2 && cases[i].only == V2))
				continue;
			runs[k].c = &cases[i];
			runs[k].v2 = v2;
			snprintf(names[k], sizeof(names[k]), "%s (v%d)", cases[i].name, v2 ? 2 : 3);
			tests[n].name = names[k];
			tests[n].test_func = run_case;
			tests[n].setup_func = NULL;
			tests[n].teardown_func = NULL;
			tests[n].initial_state = &runs[k];
			n++, k++;
		}
	}
	return _cmocka_run_group_tests("image", tests, n, setup, teardown);
}
