/* SPDX-License-Identifier: MIT */
/*
 * randmem.c MIB: fills MIB MiB with random bytes (xorshift), prints
 * "ready" and then idles, checking nothing.  The memory a checkpoint
 * benchmark writes.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	size_t mib = argc > 1 ? strtoul(argv[1], NULL, 10) : 1024;
	size_t n = mib << 20;
	uint64_t *p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint64_t x = 88172645463325252ull;

	if (p == MAP_FAILED)
		return 1;
	for (size_t i = 0; i < n / 8; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		p[i] = x;
	}
	printf("ready\n");
	fflush(stdout);
	for (;;)
		pause();
}
