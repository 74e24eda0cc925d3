/* SPDX-License-Identifier: MIT */
/*
 * files_prog.c - the program of tests/files_back.sh: files it writes, and
 * a file it maps shared.  It talks in lines appended to the file named by
 * FILES_PROG_MSG (stdout without it) and
 * goes on at each SIGUSR1; every other wake-up in its wait (a checkpoint,
 * the return from a restart) prints "woke".
 *
 *   files_prog written FILE      writes "before" into FILE (kept open,
 *                                O_WRONLY); ready; at SIGUSR1 writes
 *                                "after", says done
 *   files_prog save FILE [BIG]   appends lines 1..100 to FILE (O_APPEND,
 *                                a second fd reads it); ready; at SIGUSR1
 *                                lines 101..200, makes FILE-journal (O_EXCL)
 *                                and says phase2; at the next lines
 *                                201..300, removes FILE-journal, then reads
 *                                FILE back: pass if it is exactly lines
 *                                1..300.  BIG: a sparse
 *                                file of 1 GiB + 4 KiB held open too.
 *                                WONLY: a file held open write-only and
 *                                locked (fcntl), and FILE locked too
 *   files_prog shmap FILE SIZE   creates FILE (mode 0640, SIZE bytes), maps
 *                                it MAP_SHARED, fills it through the
 *                                mapping, closes it; ready; at SIGUSR1
 *                                checks the mapping, the file's contents
 *                                and mode, writes to the mapping and
 *                                deletes FILE (as a JVM does with its
 *                                hsperfdata file at exit): pass
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static volatile sig_atomic_t go;

static void on_usr1(int sig)
{
	(void)sig;
	go = 1;
}

static void say(const char *fmt, ...)
{
	char line[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if (n > (int)sizeof(line) - 2)
		n = (int)sizeof(line) - 2;
	line[n++] = '\n';
	/* FILES_PROG_MSG: a file opened for each line, never held open (an fd
	 * held at a checkpoint would be one more thing to restore and to
	 * check); else stdout */
	const char *msg = getenv("FILES_PROG_MSG");
	int fd = msg ? open(msg, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644) : 1;
	if (fd < 0)
		_exit(3);
	(void)!write(fd, line, (size_t)n);
	if (fd != 1)
		close(fd);
}

static void __attribute__((noreturn)) fail(const char *fmt, ...)
{
	char msg[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	say("fail: %s", msg);
	exit(1);
}

/* Until SIGUSR1; "woke" at every other return of sigsuspend. */
static void wait_usr1(void)
{
	sigset_t none;

	sigemptyset(&none);
	while (!go) {
		sigsuspend(&none);
		if (!go)
			say("woke");
	}
	go = 0;
}

static void write_all(int fd, const char *p, size_t len, const char *what)
{
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

static void lines(int fd, int from, int to, const char *what)
{
	char buf[32];
	for (int i = from; i <= to; i++) {
		int n = snprintf(buf, sizeof(buf), "%d\n", i);
		write_all(fd, buf, (size_t)n, what);
	}
}

static int written(const char *file)
{
	int fd = open(file, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	if (fd < 0)
		fail("creating %s: %s", file, strerror(errno));
	write_all(fd, "before\n", 7, file);
	say("ready %d", getpid());
	wait_usr1();
	write_all(fd, "after\n", 6, file);
	close(fd);
	say("done");
	return 0;
}

/* A POSIX write lock on the whole file (tests/files_back.sh probes it). */
static void lock_file(int fd, const char *what)
{
	struct flock fl;

	memset(&fl, 0, sizeof(fl));
	fl.l_type = F_WRLCK;
	fl.l_whence = SEEK_SET;
	if (fcntl(fd, F_SETLK, &fl))
		fail("locking %s: %s", what, strerror(errno));
}

static int save(const char *file, const char *big, const char *wonly)
{
	static char got[8192], want[8192], journal[4200];
	size_t wl = 0;
	ssize_t n;
	int jfd;
	int fd = open(file, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0640);
	int rfd = open(file, O_RDONLY);

	if (fd < 0 || rfd < 0)
		fail("opening %s: %s", file, strerror(errno));
	if (big) {
		int bfd = open(big, O_RDWR | O_CREAT | O_TRUNC, 0600);
		if (bfd < 0 || ftruncate(bfd, (1l << 30) + 4096))
			fail("making %s: %s", big, strerror(errno));
		close(bfd);
		if (open(big, O_RDONLY) < 0)
			fail("opening %s: %s", big, strerror(errno));
	}
	if (wonly) {
		int wfd = open(wonly, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		if (wfd < 0)
			fail("creating %s: %s", wonly, strerror(errno));
		write_all(wfd, "write-only\n", 11, wonly);
		lock_file(wfd, wonly);
		lock_file(fd, file);
	}
	lines(fd, 1, 100, file);
	say("ready %d", getpid());
	wait_usr1();
	lines(fd, 101, 200, file);
	/* a journal made after the checkpoint, as SQLite makes one for a
	 * transaction: a restart must remove it (O_EXCL fails otherwise) */
	snprintf(journal, sizeof(journal), "%s-journal", file);
	jfd = open(journal, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (jfd < 0)
		fail("creating %s: %s", journal, strerror(errno));
	write_all(jfd, "journal\n", 8, journal);
	close(jfd);
	say("phase2");
	wait_usr1();
	lines(fd, 201, 300, file);
	if (unlink(journal))
		fail("removing %s: %s", journal, strerror(errno));
	n = pread(rfd, got, sizeof(got), 0);
	for (int i = 1; i <= 300; i++)
		wl += (size_t)snprintf(want + wl, sizeof(want) - wl, "%d\n", i);
	if (n < 0)
		fail("reading %s back: %s", file, strerror(errno));
	if ((size_t)n != wl || memcmp(got, want, wl)) {
		int line = 1;
		for (ssize_t i = 0; i < n && i < (ssize_t)wl && got[i] == want[i]; i++)
			line += got[i] == '\n';
		fail("%s holds %zd bytes, not the %zu of lines 1..300; it differs from line %d",
		     file, n, wl, line);
	}
	say("pass");
	return 0;
}

static unsigned char pattern(size_t i)
{
	return (unsigned char)((i * 2654435761u) >> 13);
}

static int shmap(const char *file, size_t size)
{
	unsigned char *p, *buf;
	struct stat st;
	int fd;

	umask(022);
	fd = open(file, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || fchmod(fd, 0640) || ftruncate(fd, (off_t)size))
		fail("creating %s: %s", file, strerror(errno));
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		fail("mapping %s: %s", file, strerror(errno));
	close(fd);
	for (size_t i = 0; i < size; i++)
		p[i] = pattern(i);
	say("ready %d", getpid());
	wait_usr1();
	for (size_t i = 0; i < size; i++)
		if (p[i] != pattern(i))
			fail("the mapping of %s differs at byte %zu", file, i);
	buf = malloc(size);
	fd = open(file, O_RDONLY);
	if (!buf || fd < 0 || fstat(fd, &st))
		fail("opening %s: %s", file, strerror(errno));
	if ((size_t)st.st_size != size || (st.st_mode & 07777) != 0640)
		fail("%s has %lld bytes and mode %04o, not %zu and 0640", file,
		     (long long)st.st_size, (unsigned)(st.st_mode & 07777), size);
	if (pread(fd, buf, size, 0) != (ssize_t)size || memcmp(buf, p, size))
		fail("the file %s differs from its mapping", file);
	/* the mapping is the file's: a write shows in the file */
	p[size / 2] ^= 0xff;
	if (pread(fd, buf, size, 0) != (ssize_t)size || buf[size / 2] != p[size / 2])
		fail("a write to the mapping of %s does not show in the file", file);
	close(fd);
	free(buf);
	if (unlink(file))
		fail("deleting %s: %s", file, strerror(errno));
	say("pass");
	return 0;
}

int main(int argc, char **argv)
{
	struct sigaction sa;
	sigset_t usr1;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_usr1;
	sigaction(SIGUSR1, &sa, NULL);
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	sigprocmask(SIG_BLOCK, &usr1, NULL);
	if (argc >= 3 && !strcmp(argv[1], "written"))
		return written(argv[2]);
	if (argc >= 3 && !strcmp(argv[1], "save"))
		return save(argv[2], argc > 3 ? argv[3] : NULL, argc > 4 ? argv[4] : NULL);
	if (argc >= 4 && !strcmp(argv[1], "shmap"))
		return shmap(argv[2], (size_t)strtoul(argv[3], NULL, 0));
	fprintf(stderr, "usage: files_prog written FILE | save FILE [BIG [WONLY]] | "
		"shmap FILE SIZE\n");
	return 2;
}
