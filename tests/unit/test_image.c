/* SPDX-License-Identifier: MIT */
/*
 * test_image.c - the image writer and reader agree, and the reader (with
 * its data check) rejects every single flipped byte and every truncation.
 */
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
#include "crc32c.h"

static char path[] = "/tmp/mtcp-test-image-XXXXXX";
static unsigned char *region;
static size_t image_size;

static void write_image(void)
{
	struct img_writer w;
	static char buf[4096];
	struct mtcp_rec_proc proc;
	struct mtcp_rec_sigact sa[MTCP_NSIG];
	struct mtcp_rec_thread t[2];
	struct mtcp_rec_fd fd;
	struct mtcp_rec_region rg;
	uint64_t proc_off, rg_off;
	int f = mkstemp(path);

	assert_true(f >= 0);
	region = mmap(NULL, 3 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(region != MAP_FAILED);
	for (int i = 0; i < 3 * 4096; i++)
		region[i] = (unsigned char)(i * 7 + 3);

	iw_init(&w, f, buf, sizeof(buf));
	assert_int_equal(iw_header(&w, 1234, 0, 1, NULL, NULL), 0);
	memset(&proc, 0, sizeof(proc));
	proc.pid = 1234;
	proc.nthreads = 2;
	proc.nfds = 1;
	proc.nregions = 1;
	proc.cwd_len = 1;
	proc.exe_len = 6;
	assert_int_equal(iw_reserve(&w, sizeof(proc) + 7, &proc_off), 0);
	memset(sa, 0, sizeof(sa));
	sa[1].handler = 0x1234;
	assert_int_equal(iw_record(&w, MTCP_REC_SIGACT, sa, sizeof(sa), NULL, 0), 0);
	memset(t, 0, sizeof(t));
	t[0].tid = 1234;
	t[0].flags = MTCP_THREADF_MAIN;
	t[1].tid = 1235;
	t[1].flags = MTCP_THREADF_CTL;
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

	memset(&rg, 0, sizeof(rg));
	rg.start = (uint64_t)(uintptr_t)region;
	rg.end = rg.start + 3 * 4096;
	rg.prot = PROT_READ | PROT_WRITE;
	rg.kind = MTCP_RGN_ANON;
	assert_int_equal(iw_reserve(&w, sizeof(rg), &rg_off), 0);
	assert_int_equal(iw_extent(&w, rg.start, 4096), 0);
	assert_int_equal(iw_extent(&w, rg.start + 2 * 4096, 4096), 0);
	rg.nextents = 2;
	assert_int_equal(iw_record_at(&w, rg_off, MTCP_REC_REGION, &rg, sizeof(rg), NULL, 0), 0);
	/* cwd "/" then exe "/bin/x" */
	assert_int_equal(iw_record_at(&w, proc_off, MTCP_REC_PROC, &proc, sizeof(proc), "//bin/x", 7),
			 0);
	assert_int_equal(iw_finish(&w), 0);
	close(f);
}

static int load_and_check(char *err, size_t errlen)
{
	struct image img;
	int rc = image_load(path, &img, err, errlen);
	if (rc)
		return rc;
	rc = image_verify_data(&img, err, errlen);
	image_free(&img);
	return rc;
}

static void round_trip(void **state)
{
	struct image img;
	char err[512] = "";
	(void)state;

	assert_int_equal(image_load(path, &img, err, sizeof(err)), 0);
	assert_int_equal(img.proc.pid, 1234);
	assert_string_equal(img.cwd, "/");
	assert_string_equal(img.exe, "/bin/x");
	assert_int_equal(img.nthreads, 2);
	assert_int_equal(img.nfds, 1);
	assert_string_equal(img.fds[0].path, "/tmp");
	assert_int_equal(img.fds[0].rec.data_len, 3);
	assert_int_equal(img.nregions, 1);
	assert_int_equal(img.nextents, 2);
	assert_true(img.extents[1].addr == (uint64_t)(uintptr_t)region + 2 * 4096);
	assert_true(img.data_bytes == 2 * 4096);
	assert_true(img.sigact[1].handler == 0x1234);
	assert_int_equal(image_verify_data(&img, err, sizeof(err)), 0);
	image_free(&img);
}

static void flipped_bytes(void **state)
{
	char err[512];
	int fd = open(path, O_RDWR);
	struct stat st;
	(void)state;

	assert_true(fd >= 0 && fstat(fd, &st) == 0);
	image_size = (size_t)st.st_size;
	/* every byte of the image, flipped one at a time */
	for (size_t off = 0; off < image_size; off++) {
		unsigned char b, x;
		assert_int_equal(pread(fd, &b, 1, (off_t)off), 1);
		x = b ^ 0x20;
		assert_int_equal(pwrite(fd, &x, 1, (off_t)off), 1);
		err[0] = '\0';
		if (load_and_check(err, sizeof(err)) >= 0)
			fail_msg("a flipped byte at offset %zu went unnoticed", off);
		assert_true(err[0] != '\0');
		assert_int_equal(pwrite(fd, &b, 1, (off_t)off), 1);
	}
	close(fd);
	assert_int_equal(load_and_check(err, sizeof(err)), 0);
}

static void truncated(void **state)
{
	char err[512];
	(void)state;
	for (size_t len = 0; len < image_size; len += (len < 200 ? 1 : 97)) {
		assert_int_equal(truncate(path, (off_t)len), 0);
		err[0] = '\0';
		if (load_and_check(err, sizeof(err)) >= 0)
			fail_msg("an image cut to %zu bytes was accepted", len);
		assert_true(err[0] != '\0');
	}
}

static void garbage_after_end(void **state)
{
	char err[512];
	int fd;
	(void)state;
	unlink(path);
	strcpy(path, "/tmp/mtcp-test-image-XXXXXX");
	write_image();
	fd = open(path, O_WRONLY | O_APPEND);
	assert_int_equal(write(fd, "x", 1), 1);
	close(fd);
	assert_true(load_and_check(err, sizeof(err)) < 0);
	assert_non_null(strstr(err, "after the END"));
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

static int setup(void **state)
{
	(void)state;
	if (!crc32c_supported())
		return -1;
	write_image();
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	unlink(path);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(round_trip),
		cmocka_unit_test(flipped_bytes),
		cmocka_unit_test(truncated),
		cmocka_unit_test(garbage_after_end),
		cmocka_unit_test(not_an_image),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
