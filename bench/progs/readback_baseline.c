/* SPDX-License-Identifier: MIT */
/*
 * readback_baseline.c: the physical limit a restart is compared with, and
 * the page-cache dropper the benchmarks need (there is no vmtouch or
 * drop_caches for one file).
 *   readback_baseline FILE        drops FILE from the page cache, then reads
 *                                 it with read() in 1 MiB chunks into freshly
 *                                 mapped memory; prints the seconds the read
 *                                 took (the drop is not counted)
 *   readback_baseline --drop FILE...
 *                                 drops each FILE from the page cache
 * Dropping is fdatasync (dirty pages cannot be dropped) and then
 * posix_fadvise(POSIX_FADV_DONTNEED); a file that keeps more than 1% of its
 * pages cached afterwards (mapped or locked by someone) is named on stderr.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define CHUNK (1u << 20)

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* the pages of fd (size bytes) still in the page cache */
static size_t cached_pages(int fd, size_t size)
{
	size_t pg = (size_t)sysconf(_SC_PAGESIZE), n = (size + pg - 1) / pg, c = 0;
	unsigned char *vec;
	void *m;

	if (n == 0)
		return 0;
	m = mmap(NULL, size, PROT_READ, MAP_SHARED, fd, 0);
	vec = malloc(n);
	if (m != MAP_FAILED && vec && mincore(m, size, vec) == 0)
		for (size_t i = 0; i < n; i++)
			c += vec[i] & 1;
	if (m != MAP_FAILED)
		munmap(m, size);
	free(vec);
	return c;
}

/* drops fd's pages from the cache; 0, or -1 after a message */
static int drop(int fd, const char *path, size_t size)
{
	size_t pg = (size_t)sysconf(_SC_PAGESIZE), left;
	int err;

	if (fdatasync(fd)) {
		fprintf(stderr, "readback_baseline: fdatasync %s: %s\n", path, strerror(errno));
		return -1;
	}
	if ((err = posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED))) {
		fprintf(stderr, "readback_baseline: fadvise %s: %s\n", path, strerror(err));
		return -1;
	}
	left = cached_pages(fd, size);
	if (left * 100 > (size + pg - 1) / pg)
		fprintf(stderr, "readback_baseline: %s: %zu pages still cached after the drop\n",
			path, left);
	return 0;
}

static int open_file(const char *path, size_t *size)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || fstat(fd, &st)) {
		fprintf(stderr, "readback_baseline: %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		fprintf(stderr, "readback_baseline: %s: not a regular file\n", path);
		close(fd);
		return -1;
	}
	*size = (size_t)st.st_size;
	return fd;
}

int main(int argc, char **argv)
{
	size_t size, got = 0;
	char *p;
	double t0;
	int fd, rc = 0;

	if (argc >= 2 && !strcmp(argv[1], "--drop")) {
		for (int i = 2; i < argc; i++) {
			if ((fd = open_file(argv[i], &size)) < 0) {
				rc = 1;
				continue;
			}
			rc |= drop(fd, argv[i], size) != 0;
			close(fd);
		}
		return rc;
	}
	if (argc != 2 || argv[1][0] == '-') {
		fprintf(stderr, "usage: readback_baseline FILE | readback_baseline --drop FILE...\n");
		return 2;
	}
	if ((fd = open_file(argv[1], &size)) < 0 || drop(fd, argv[1], size))
		return 1;
	t0 = now();
	/* fresh memory: its pages are faulted in by the copy, as a restart's are */
	p = mmap(NULL, size ? size : 1, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		fprintf(stderr, "readback_baseline: mmap of %zu bytes: %s\n", size, strerror(errno));
		return 1;
	}
	while (got < size) {
		size_t want = size - got < CHUNK ? size - got : CHUNK;
		ssize_t r = read(fd, p + got, want);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			fprintf(stderr, "readback_baseline: read %s: %s\n", argv[1],
				r ? strerror(errno) : "unexpected end of file");
			return 1;
		}
		got += (size_t)r;
	}
	printf("%.6f\n", now() - t0);
	close(fd);
	return 0;
}
