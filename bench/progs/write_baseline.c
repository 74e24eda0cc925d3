/* SPDX-License-Identifier: MIT */
/*
 * write_baseline.c [--keep] FILE [MIB]: the physical limit a checkpoint is
 * compared with: MIB MiB (default 1024) of random bytes (already in memory;
 * the same bytes as randmem and `bench_prog random`) written with plain
 * write() in 1 MiB chunks into a new FILE, then fsync.  Prints the seconds
 * the writes and the fsync took.  FILE is removed afterwards unless --keep
 * (readback_baseline then reads the same bytes back).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int fail(const char *what, const char *path)
{
	fprintf(stderr, "write_baseline: %s %s: %s\n", what, path, strerror(errno));
	return 1;
}

int main(int argc, char **argv)
{
	int keep = argc > 1 && !strcmp(argv[1], "--keep");
	const char *path = argc > 1 + keep ? argv[1 + keep] : NULL;
	const char *mib = argc > 2 + keep ? argv[2 + keep] : "1024";
	char *end;
	size_t n = strtoul(mib, &end, 10) << 20;
	uint64_t *p, x = 88172645463325252ull;
	double t0;
	int fd;

	if (!path || *path == '-' || argc > 3 + keep || *end || n == 0) {
		fprintf(stderr, "usage: write_baseline [--keep] FILE [MIB]\n");
		return 2;
	}
	p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return fail("mmap for", path);
	for (size_t i = 0; i < n / 8; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		p[i] = x;
	}
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return fail("open", path);
	t0 = now();
	for (size_t off = 0; off < n; off += 1 << 20)
		if (write(fd, (char *)p + off, 1 << 20) != 1 << 20)
			return fail("write", path);
	if (fsync(fd))
		return fail("fsync", path);
	printf("%.6f\n", now() - t0);
	close(fd);
	if (!keep)
		unlink(path);
	return 0;
}
