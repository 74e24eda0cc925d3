/* SPDX-License-Identifier: MIT */
/*
 * randmem.c MIB: fills MIB MiB with random bytes (xorshift), prints
 * "ready", then every 100 ms checks a few words against the generator and
 * prints "alive N" (so a restarted copy shows it runs with intact memory).
 * The memory a checkpoint benchmark writes.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

static uint64_t next(uint64_t x)
{
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return x;
}

int main(int argc, char **argv)
{
	size_t mib = argc > 1 ? strtoul(argv[1], NULL, 10) : 1024;
	size_t n = mib << 20;
	uint64_t *p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint64_t x = 88172645463325252ull;

	if (p == MAP_FAILED)
		return 1;
	for (size_t i = 0; i < n / 8; i++)
		p[i] = x = next(x);
	printf("ready\n");
	fflush(stdout);
	for (unsigned s = 0;; s++) {
		struct timespec ts = { 0, 100 * 1000 * 1000 };
		uint64_t y = 88172645463325252ull;
		/* the first 4096 words follow the generator */
		for (size_t i = 0; i < 4096 && i < n / 8; i++) {
			y = next(y);
			if (p[i] != y) {
				printf("CORRUPT at word %zu\n", i);
				return 1;
			}
		}
		nanosleep(&ts, NULL);
		printf("alive %u\n", s);
		fflush(stdout);
	}
}
