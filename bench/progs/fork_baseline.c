/* SPDX-License-Identifier: MIT */
/*
 * fork_baseline.c MIB: what a bare fork of MIB MiB of resident memory
 * costs, the baseline the pause of a copy-on-write checkpoint is compared
 * with (mtcp-bench targets, the growth rows; issue 10).
 *
 * Maps MIB MiB as `bench_prog random MIB` does (private anonymous, no
 * madvise: the same pages, huge or not, as the checkpointed program),
 * fills it with the same xorshift bytes, then times one raw clone() with
 * no exit signal (flags 0, the child runs on a copy of the stack, as after
 * fork()), which is how the checkpoint makes its writer. The child _exits
 * at once; the parent reaps it with waitpid(__WCLONE), after the clock
 * stopped. Prints the seconds the clone() call took in the parent.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define SEED 88172645463325252ull /* bench_prog's, write_baseline's */
#define MIB_MAX (1ul << 22)	  /* 4 TiB: bench_prog's limit */

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	unsigned long mib;
	uint64_t *p, x = SEED;
	size_t n;
	char *end;
	double t0, t1;
	long pid;
	int st;

	if (argc != 2 || argv[1][0] < '0' || argv[1][0] > '9') {
		fprintf(stderr, "usage: fork_baseline MIB\n");
		return 2;
	}
	errno = 0;
	mib = strtoul(argv[1], &end, 10);
	if (errno || *end || mib == 0 || mib > MIB_MAX) {
		fprintf(stderr, "fork_baseline: invalid MIB '%s' (1 to %lu)\n", argv[1], MIB_MAX);
		return 2;
	}
	n = (size_t)mib << 20;
	p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		fprintf(stderr, "fork_baseline: mmap of %zu bytes: %s\n", n, strerror(errno));
		return 1;
	}
	for (size_t i = 0; i < n / 8; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		p[i] = x;
	}
	t0 = now();
	pid = syscall(SYS_clone, 0, 0, 0, 0, 0);
	if (pid == 0)
		_exit(0);
	t1 = now();
	if (pid < 0) {
		fprintf(stderr, "fork_baseline: clone: %s\n", strerror(errno));
		return 1;
	}
	while (waitpid((pid_t)pid, &st, __WCLONE) < 0) {
		if (errno != EINTR) {
			fprintf(stderr, "fork_baseline: waitpid %ld: %s\n", pid, strerror(errno));
			return 1;
		}
	}
	if (!WIFEXITED(st) || WEXITSTATUS(st)) {
		fprintf(stderr, "fork_baseline: the clone child ended with status 0x%x\n", st);
		return 1;
	}
	printf("%.6f\n", t1 - t0);
	return 0;
}
