/* SPDX-License-Identifier: MIT */
/*
 * mapfile.c - a small program with a private file mapping (badimage.sh
 * checkpoints it: its image refers to the mapped file).
 */
#include "mt_test.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

const char *test_doc =
	"a MAP_PRIVATE file mapping with one page changed in memory survives a "
	"restart: the unchanged pages come from the file, the changed one from "
	"the image.";

#define PAGES 4
#define PAGE 4096
#define CHANGED 1

static unsigned char file_byte(size_t off)
{
	return (unsigned char)((off * 131u + 7u) >> 3);
}

static void *idle_main(void *arg)
{
	return arg;
}

int main(int argc, char **argv)
{
	static unsigned char want[PAGES * PAGE];
	char path[PATH_MAX];
	unsigned char *map;
	const char *dir;
	pthread_t th;
	int fd;

	mt_test_init(argc, argv);
	dir = mt_tmpdir();
	if (!dir)
		skip("MT_TMPDIR is not set");

	/* setup */
	snprintf(path, sizeof(path), "%s/mapped.dat", dir);
	for (size_t i = 0; i < sizeof(want); i++)
		want[i] = file_byte(i);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || write(fd, want, sizeof(want)) != (ssize_t)sizeof(want))
		fail("writing %s: %s", path, strerror(errno));
	map = mmap(NULL, sizeof(want), PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	if (map == MAP_FAILED)
		fail("mmap %s: %s", path, strerror(errno));
	close(fd);
	memset(map + CHANGED * PAGE, 0xA5, PAGE);
	memset(want + CHANGED * PAGE, 0xA5, PAGE);
	if (pthread_create(&th, NULL, idle_main, NULL) || pthread_join(th, NULL))
		fail("a thread did not run");

	mt_test_ready();

	/* verify */
	for (size_t i = 0; i < sizeof(want); i++)
		if (map[i] != want[i])
			fail("mapping byte %zu is %02x, expected %02x", i, map[i], want[i]);
	pass();
}
