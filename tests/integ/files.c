/* SPDX-License-Identifier: MIT */
/*
 * files.c - open files, their positions and flags, a deleted-but-open
 * file, the working directory and the umask across a checkpoint.
 */
#include "mt_test.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

const char *test_doc =
	"a file read partway goes on at the right place, appends to an O_APPEND "
	"file land at its end, a deleted open file keeps its contents and "
	"position, and the cwd and umask are kept.";

#define READ_SIZE (1u << 20)
#define READ_FIRST 1000u
#define READ_NEXT 70000u
#define DEL_SIZE (300u * 1024 + 17)
#define DEL_POS 12345u

static unsigned char pattern_byte(uint64_t off, unsigned seed)
{
	uint64_t x = (off + 1) * 0x9E3779B97F4A7C15ull ^ seed;
	return (unsigned char)(x >> 29);
}

static void fill(unsigned char *b, size_t len, uint64_t off, unsigned seed)
{
	for (size_t i = 0; i < len; i++)
		b[i] = pattern_byte(off + i, seed);
}

static void write_all(int fd, const void *b, size_t len, const char *what)
{
	const char *p = b;
	while (len) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			fail("writing %s: %s", what, strerror(errno));
		p += n;
		len -= (size_t)n;
	}
}

static size_t read_full(int fd, void *b, size_t len, const char *what)
{
	char *p = b;
	size_t got = 0;
	while (got < len) {
		ssize_t n = read(fd, p + got, len - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			fail("reading %s: %s", what, strerror(errno));
		if (n == 0)
			break;
		got += (size_t)n;
	}
	return got;
}

static const char *lines_before = "line 1\nline 2\nline 3\n";
static const char *lines_after = "line 4 after\nline 5 after\n";

int main(int argc, char **argv)
{
	static unsigned char buf[READ_SIZE], want[READ_SIZE];
	char cwd_before[PATH_MAX], cwd_after[PATH_MAX], content[256];
	const char *dir;
	int rfd, afd, dfd, fd;
	mode_t um;
	struct stat st;
	off_t pos;
	size_t n;

	mt_test_init(argc, argv);
	dir = mt_tmpdir();
	if (!dir)
		skip("MT_TMPDIR is not set");

	/* setup: cwd and umask */
	if (chdir(dir))
		fail("chdir %s: %s", dir, strerror(errno));
	if (mkdir("work", 0755) && errno != EEXIST)
		fail("mkdir work: %s", strerror(errno));
	if (chdir("work"))
		fail("chdir work: %s", strerror(errno));
	if (!getcwd(cwd_before, sizeof(cwd_before)))
		fail("getcwd: %s", strerror(errno));
	umask(027);

	/* a file read partway */
	fill(want, READ_SIZE, 0, 1);
	fd = open("read.dat", O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		fail("creating read.dat: %s", strerror(errno));
	write_all(fd, want, READ_SIZE, "read.dat");
	close(fd);
	rfd = open("read.dat", O_RDONLY);
	if (rfd < 0)
		fail("opening read.dat: %s", strerror(errno));
	if (read_full(rfd, buf, READ_FIRST, "read.dat") != READ_FIRST ||
	    memcmp(buf, want, READ_FIRST))
		fail("read.dat: first read wrong");

	/* an O_APPEND file */
	afd = open("append.log", O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0640);
	if (afd < 0)
		fail("creating append.log: %s", strerror(errno));
	write_all(afd, lines_before, strlen(lines_before), "append.log");

	/* a file written, then deleted while open */
	dfd = open("deleted.dat", O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (dfd < 0)
		fail("creating deleted.dat: %s", strerror(errno));
	fill(buf, DEL_SIZE, 0, 2);
	write_all(dfd, buf, DEL_SIZE, "deleted.dat");
	if (lseek(dfd, DEL_POS, SEEK_SET) != DEL_POS)
		fail("lseek deleted.dat: %s", strerror(errno));
	if (unlink("deleted.dat"))
		fail("unlink deleted.dat: %s", strerror(errno));

	mt_test_ready();

	/* verify: cwd and umask */
	if (!getcwd(cwd_after, sizeof(cwd_after)))
		fail("getcwd after: %s", strerror(errno));
	if (strcmp(cwd_before, cwd_after))
		fail("cwd is %s, was %s", cwd_after, cwd_before);
	um = umask(0);
	umask(um);
	if (um != 027)
		fail("umask is %03o, was 027", (unsigned)um);

	/* the partly read file goes on at byte READ_FIRST */
	pos = lseek(rfd, 0, SEEK_CUR);
	if (pos != READ_FIRST)
		fail("read.dat: position %lld, was %u", (long long)pos, READ_FIRST);
	if (fcntl(rfd, F_GETFL) & O_ACCMODE)
		fail("read.dat is no longer read-only");
	n = read_full(rfd, buf, READ_NEXT, "read.dat");
	if (n != READ_NEXT || memcmp(buf, want + READ_FIRST, READ_NEXT))
		fail("read.dat: the read after the checkpoint got the wrong bytes (%zu)", n);

	/* appends land at the end */
	if (!(fcntl(afd, F_GETFL) & O_APPEND))
		fail("append.log lost O_APPEND");
	if (lseek(afd, 0, SEEK_SET) != 0) /* O_APPEND writes ignore the position */
		fail("lseek append.log: %s", strerror(errno));
	write_all(afd, lines_after, strlen(lines_after), "append.log");
	fd = open("append.log", O_RDONLY);
	if (fd < 0)
		fail("reopening append.log: %s", strerror(errno));
	n = read_full(fd, content, sizeof(content) - 1, "append.log");
	close(fd);
	content[n] = '\0';
	if (strncmp(content, lines_before, strlen(lines_before)) ||
	    strcmp(content + strlen(lines_before), lines_after))
		fail("append.log holds \"%s\"", content);
	if (stat("append.log", &st) || (st.st_mode & 0777) != 0640)
		fail("append.log mode %o", (unsigned)st.st_mode & 0777);

	/* the deleted file: same position, same contents */
	pos = lseek(dfd, 0, SEEK_CUR);
	if (pos != DEL_POS)
		fail("deleted.dat: position %lld, was %u", (long long)pos, DEL_POS);
	if (fstat(dfd, &st))
		fail("fstat deleted.dat: %s", strerror(errno));
	if (st.st_size != DEL_SIZE)
		fail("deleted.dat: size %lld, was %u", (long long)st.st_size, DEL_SIZE);
	if (st.st_nlink != 0)
		fail("deleted.dat has %lu links after the restart", (unsigned long)st.st_nlink);
	if ((fcntl(dfd, F_GETFL) & O_ACCMODE) != O_RDWR)
		fail("deleted.dat is no longer O_RDWR");
	memset(buf, 0, DEL_SIZE);
	if (pread(dfd, buf, DEL_SIZE, 0) != DEL_SIZE)
		fail("pread deleted.dat: %s", strerror(errno));
	fill(want, DEL_SIZE, 0, 2);
	if (memcmp(buf, want, DEL_SIZE))
		fail("deleted.dat: contents differ");
	/* still writable where it stands */
	write_all(dfd, "X", 1, "deleted.dat");
	if (pread(dfd, buf, 1, DEL_POS) != 1 || buf[0] != 'X')
		fail("deleted.dat: write at the kept position went elsewhere");
	if (access("deleted.dat", F_OK) == 0)
		fail("deleted.dat exists again under its name");
	pass();
}
