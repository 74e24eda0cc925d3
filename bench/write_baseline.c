/* SPDX-License-Identifier: MIT */
/*
 * write_baseline.c FILE MIB: the physical limit a checkpoint is compared
 * with: MIB MiB of random bytes (already in memory) written with plain
 * write() in 1 MiB chunks, then fsync.  Prints the seconds it took.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	size_t n = (argc > 2 ? strtoul(argv[2], NULL, 10) : 1024) << 20;
	uint64_t *p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint64_t x = 88172645463325252ull;
	double t0;
	int fd;

	if (argc < 2 || p == MAP_FAILED) {
		fprintf(stderr, "usage: write_baseline FILE [MIB]\n");
		return 2;
	}
	for (size_t i = 0; i < n / 8; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		p[i] = x;
	}
	fd = open(argv[1], O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0)
		return 1;
	t0 = now();
	for (size_t off = 0; off < n; off += 1 << 20)
		if (write(fd, (char *)p + off, 1 << 20) != 1 << 20)
			return 1;
	if (fsync(fd))
		return 1;
	printf("%.3f\n", now() - t0);
	close(fd);
	unlink(argv[1]);
	return 0;
}
