/* SPDX-License-Identifier: MIT */
/*
 * shmobj.c - shared memory objects mapped more than once stay one object
 * after a restart: a memfd mapped twice (overlapping) and still open as an
 * fd, and a memfd mapped twice whose fd was closed.
 */
#include "mt_test.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

const char *test_doc =
	"a memfd mapped twice (the second mapping overlapping the first at an "
	"offset) and still open as an fd, and another mapped twice after its fd "
	"was closed, keep their contents and stay one object after a restart: "
	"a write through one mapping shows through the other and through the fd, "
	"and a write to the fd shows in the mappings.";

#define PAGE 4096

static void expect(const unsigned char *p, unsigned char v, const char *what)
{
	for (int i = 0; i < PAGE; i++)
		if (p[i] != v)
			fail("%s: byte %d is %02x, expected %02x", what, i, p[i], v);
}

int main(int argc, char **argv)
{
	unsigned char *a1, *a2, *b1, *b2, page[PAGE];
	int fd, fdb;

	mt_test_init(argc, argv);

	/* setup: memfd "held", 3 pages 0x11 0x22 0x33, mapped at 0 (3 pages)
	 * and at page 1 (2 pages); fd kept */
	fd = memfd_create("held", MFD_CLOEXEC);
	if (fd < 0 || ftruncate(fd, 3 * PAGE))
		fail("memfd_create: %s", strerror(errno));
	a1 = mmap(NULL, 3 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	a2 = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, PAGE);
	if (a1 == MAP_FAILED || a2 == MAP_FAILED)
		fail("mmap: %s", strerror(errno));
	for (int i = 0; i < 3; i++)
		memset(a1 + i * PAGE, 0x11 * (i + 1), PAGE);
	/* memfd "closed": 2 pages, mapped twice, fd closed */
	fdb = memfd_create("closed", 0);
	if (fdb < 0 || ftruncate(fdb, 2 * PAGE))
		fail("memfd_create: %s", strerror(errno));
	b1 = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fdb, 0);
	b2 = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fdb, 0);
	if (b1 == MAP_FAILED || b2 == MAP_FAILED)
		fail("mmap: %s", strerror(errno));
	close(fdb);
	memset(b1, 0x44, PAGE);
	memset(b2 + PAGE, 0x55, PAGE);

	mt_test_ready();

	/* verify: the contents */
	expect(a1, 0x11, "held mapping 1 page 0");
	expect(a1 + PAGE, 0x22, "held mapping 1 page 1");
	expect(a2, 0x22, "held mapping 2 page 0");
	expect(a2 + PAGE, 0x33, "held mapping 2 page 1");
	expect(b1, 0x44, "closed mapping 1 page 0");
	expect(b2 + PAGE, 0x55, "closed mapping 2 page 1");
	/* still one object: mapping -> mapping, mapping -> fd, fd -> mapping */
	memset(a1 + PAGE, 0x66, PAGE);
	expect(a2, 0x66, "held mapping 2 after a write to mapping 1");
	if (pread(fd, page, PAGE, PAGE) != PAGE)
		fail("pread: %s", strerror(errno));
	expect(page, 0x66, "the held fd after a write to mapping 1");
	memset(page, 0x77, PAGE);
	if (pwrite(fd, page, PAGE, 2 * PAGE) != PAGE)
		fail("pwrite: %s", strerror(errno));
	expect(a1 + 2 * PAGE, 0x77, "held mapping 1 after a write to the fd");
	expect(a2 + PAGE, 0x77, "held mapping 2 after a write to the fd");
	memset(b2, 0x88, PAGE);
	expect(b1, 0x88, "closed mapping 1 after a write to mapping 2");
	pass();
}
