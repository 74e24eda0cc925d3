/* SPDX-License-Identifier: MIT */
/*
 * forkflags.c - memory a clone does not carry comes back whole: the
 * copy-on-write writer is a clone, and MADV_DONTFORK regions are missing
 * in it, MADV_WIPEONFORK ones zero.  The writer finds them, the checkpoint
 * takes a second snapshot that copies them, and every later one copies
 * them at once (docs/architecture.md, "Copy-on-write checkpoints").
 */
#include "mt_test.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

const char *test_doc =
	"a private MADV_DONTFORK region, a private MADV_WIPEONFORK region and a "
	"shared MADV_DONTFORK region, each with its own byte in every page, and an "
	"untouched page in each, come back with every byte after a restart (a "
	"copy-on-write writer lacks the first and third and sees the second as "
	"zeros); so does a region with neither advice next to them.";

#define PAGE 4096
#define NPAGES 48

struct area {
	const char *name;
	int flags, advice;
	unsigned char *p;
	unsigned char seed;
};

static struct area areas[] = {
	{ "dontfork", MAP_PRIVATE, MADV_DONTFORK, NULL, 0x10 },
	{ "wipeonfork", MAP_PRIVATE, MADV_WIPEONFORK, NULL, 0x50 },
	{ "shared dontfork", MAP_SHARED, MADV_DONTFORK, NULL, 0x90 },
	{ "plain", MAP_PRIVATE, -1, NULL, 0xd0 },
};

/* page i of an area holds seed + i in every byte; page 7 stays untouched */
static unsigned char value(const struct area *a, int i)
{
	return i == 7 ? 0 : (unsigned char)(a->seed + i);
}

int main(int argc, char **argv)
{
	mt_test_init(argc, argv);

	for (size_t k = 0; k < sizeof(areas) / sizeof(areas[0]); k++) {
		struct area *a = &areas[k];
		a->p = mmap(NULL, NPAGES * PAGE, PROT_READ | PROT_WRITE, a->flags | MAP_ANONYMOUS,
			    -1, 0);
		if (a->p == MAP_FAILED)
			fail("mmap %s: %s", a->name, strerror(errno));
		if (a->advice >= 0 && madvise(a->p, NPAGES * PAGE, a->advice))
			fail("madvise %s: %s", a->name, strerror(errno));
		for (int i = 0; i < NPAGES; i++)
			if (i != 7)
				memset(a->p + (size_t)i * PAGE, value(a, i), PAGE);
	}

	mt_test_ready();

	for (size_t k = 0; k < sizeof(areas) / sizeof(areas[0]); k++) {
		const struct area *a = &areas[k];
		for (int i = 0; i < NPAGES; i++)
			for (int b = 0; b < PAGE; b++)
				if (a->p[(size_t)i * PAGE + b] != value(a, i))
					fail("%s: page %d byte %d is %02x, expected %02x", a->name, i, b,
					     a->p[(size_t)i * PAGE + b], value(a, i));
	}
	pass();
}
