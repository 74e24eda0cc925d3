/* SPDX-License-Identifier: MIT */
/*
 * test_commit.c - the image's file (src/writer/commit.c) in a fresh
 * directory under /tmp, both ways it can be made: unnamed (O_TMPFILE)
 * and, as where a file system has no O_TMPFILE, named and locked.  A
 * commit never replaces an existing file or follows a symlink; an abort
 * or an unfinished file leaves nothing behind (or, named, something the
 * start-up cleaning removes: only unlocked temporaries of our own).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "commit.h"

static char dir[64];
static char final[PATH_MAX];

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/mtcp-commit.XXXXXX");
	assert_non_null(mkdtemp(dir));
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];
	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) != 0;
}

/* The names in dir, sorted, space separated. */
static const char *listing(void)
{
	static char out[4096];
	struct dirent **ents;
	int n = scandir(dir, &ents, NULL, alphasort);
	size_t o = 0;

	assert_true(n >= 0);
	out[0] = '\0';
	for (int i = 0; i < n; i++) {
		if (strcmp(ents[i]->d_name, ".") && strcmp(ents[i]->d_name, ".."))
			o += (size_t)snprintf(out + o, sizeof(out) - o, "%s%s", o ? " " : "",
					      ents[i]->d_name);
		free(ents[i]);
	}
	free(ents);
	return out;
}

static void write_str(int fd, const char *s)
{
	assert_int_equal(write(fd, s, strlen(s)), (ssize_t)strlen(s));
}

static void assert_content(const char *path, const char *want)
{
	char buf[256];
	int fd = open(path, O_RDONLY);
	ssize_t n;

	assert_true(fd >= 0);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	assert_true(n >= 0);
	buf[n] = '\0';
	assert_string_equal(buf, want);
}

static void plant(const char *name, const char *content)
{
	char path[PATH_MAX];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	assert_true(fd >= 0);
	write_str(fd, content);
	close(fd);
}

static void test_name(void **state)
{
	char small[16];
	(void)state;
	assert_int_equal(commit_name(final, sizeof(final), "/d", "p.7.0a1b2c3d", 12), 0);
	assert_string_equal(final, "/d/p.7.0a1b2c3d.12.mtcp");
	assert_int_equal(commit_name(small, sizeof(small), "/d", "p.7.0a1b2c3d", 12),
			 -ENAMETOOLONG);
}

static void open_file(struct commit_file *f, int tmpfile)
{
	assert_true(commit_open(f, dir, "p.7.0a1b2c3d", 0x1234, tmpfile) >= 0);
	assert_int_equal(f->named, !tmpfile);
	commit_name(final, sizeof(final), dir, "p.7.0a1b2c3d", 1);
}

/* Unnamed: nothing in the directory until the commit, then the image. */
static void test_tmpfile_commit(void **state)
{
	struct commit_file f;
	struct stat st;
	int fd2;
	(void)state;

	open_file(&f, 1);
	assert_string_equal(listing(), "");
	write_str(f.fd, "whole");
	/* the O_DIRECT way in: the same file */
	fd2 = commit_reopen(&f, O_RDONLY | O_CLOEXEC);
	assert_true(fd2 >= 0);
	close(fd2);
	assert_int_equal(commit_finish(&f, final, sizeof(final), dir), 0);
	assert_int_equal(f.fd, -1);
	assert_string_equal(listing(), "p.7.0a1b2c3d.1.mtcp");
	assert_content(final, "whole");
	assert_int_equal(stat(final, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(st.st_nlink, 1);
}

/* A file, or a symlink, under the final name stays as it is; the image
 * takes a random name beside it ("p.7.0a1b2c3d.1.<16 hex>.mtcp"). */
static void check_alt_name(const char *wanted)
{
	size_t n = strlen(wanted) - 5;

	assert_int_equal(strlen(final), n + 17 + 5);
	assert_memory_equal(final, wanted, n);
	assert_int_equal(final[n], '.');
	for (size_t i = n + 1; i < n + 17; i++)
		assert_non_null(strchr("0123456789abcdef", final[i]));
	assert_string_equal(final + n + 17, ".mtcp");
}

static void test_never_replaces(void **state)
{
	char target[PATH_MAX], wanted[PATH_MAX];
	struct commit_file f;
	(void)state;

	for (int tmpfile = 1; tmpfile >= 0; tmpfile--) {
		open_file(&f, tmpfile);
		snprintf(wanted, sizeof(wanted), "%s", final);
		plant("p.7.0a1b2c3d.1.mtcp", "old");
		write_str(f.fd, "new");
		assert_int_equal(commit_finish(&f, final, sizeof(final), dir), 0);
		assert_int_equal(f.fd, -1);
		check_alt_name(wanted);
		assert_content(wanted, "old");
		assert_content(final, "new");
		unlink(final);
		unlink(wanted);

		open_file(&f, tmpfile);
		snprintf(wanted, sizeof(wanted), "%s", final);
		snprintf(target, sizeof(target), "%s/target", dir);
		assert_int_equal(symlink(target, final), 0);
		write_str(f.fd, "new");
		assert_int_equal(commit_link_first(&f, final, sizeof(final)), 0);
		assert_int_equal(commit_settle(&f, dir), 0);
		check_alt_name(wanted);
		assert_int_equal(access(target, F_OK), -1);
		assert_content(final, "new");
		unlink(final);
		unlink(wanted);
	}
	assert_string_equal(listing(), "");
}

/* The random names are made from the usual one; a name that is not an
 * image's is refused. */
static void test_alt_name(void **state)
{
	char name[64] = "/d/p.1.0a1b2c3d.2.mtcp";
	(void)state;

	assert_int_equal(commit_alt_name(name, sizeof(name), 0x0123456789abcdefull), 0);
	assert_string_equal(name, "/d/p.1.0a1b2c3d.2.0123456789abcdef.mtcp");
	snprintf(name, sizeof(name), "/d/p.tmp");
	assert_int_equal(commit_alt_name(name, sizeof(name), 1), -ENAMETOOLONG);
	snprintf(name, sizeof(name), "/d/p.1.mtcp");
	assert_int_equal(commit_alt_name(name, 20, 1), -ENAMETOOLONG);
}

/* Named: ".STEM.NONCE.mtcp.tmp", locked while written, renamed. */
static void test_named_commit(void **state)
{
	struct commit_file f;
	int fd2;
	(void)state;

	open_file(&f, 0);
	assert_string_equal(listing(), ".p.7.0a1b2c3d.0000000000001234.mtcp.tmp");
	/* locked: the start-up cleaning of another process leaves it */
	fd2 = open(f.tmp, O_RDONLY);
	assert_true(fd2 >= 0);
	assert_int_equal(flock(fd2, LOCK_EX | LOCK_NB), -1);
	assert_int_equal(errno, EWOULDBLOCK);
	close(fd2);
	assert_int_equal(commit_clean_stale(dir), 0);
	write_str(f.fd, "named");
	assert_int_equal(commit_link_first(&f, final, sizeof(final)), 0);
	assert_int_equal(commit_settle(&f, dir), 0);
	assert_string_equal(listing(), "p.7.0a1b2c3d.1.mtcp");
	assert_content(final, "named");
}

/* A planted file or symlink under the temporary name is not used. */
static void test_named_planted(void **state)
{
	struct commit_file f;
	char path[PATH_MAX];
	(void)state;

	snprintf(path, sizeof(path), "%s/.p.7.0a1b2c3d.0000000000001234.mtcp.tmp", dir);
	assert_int_equal(symlink("/nonexistent/x", path), 0);
	assert_int_equal(commit_open(&f, dir, "p.7.0a1b2c3d", 0x1234, 0), -EEXIST);
	assert_true(commit_open(&f, dir, "p.7.0a1b2c3d", 0x5678, 0) >= 0);
	commit_abort(&f);
	assert_string_equal(listing(), ".p.7.0a1b2c3d.0000000000001234.mtcp.tmp");
}

static void test_abort(void **state)
{
	struct commit_file f;
	(void)state;

	for (int tmpfile = 1; tmpfile >= 0; tmpfile--) {
		open_file(&f, tmpfile);
		write_str(f.fd, "partial");
		commit_abort(&f);
		assert_int_equal(f.fd, -1);
		assert_string_equal(listing(), "");
	}
}

/* Only our own unlocked regular ".*.mtcp.tmp" files go. */
static void test_clean_stale(void **state)
{
	char path[PATH_MAX];
	int held;
	(void)state;

	plant(".dead.1.0a1b2c3d.00000000000000aa.mtcp.tmp", "left by a dead writer");
	plant(".old.1.3.mtcp.tmp", "an old version's name");
	plant(".live.2.0a1b2c3d.00000000000000bb.mtcp.tmp", "being written");
	plant("p.1.0a1b2c3d.1.mtcp", "an image");
	plant(".hidden", "not ours to judge");
	snprintf(path, sizeof(path), "%s/.live.2.0a1b2c3d.00000000000000bb.mtcp.tmp", dir);
	held = open(path, O_RDONLY);
	assert_true(held >= 0);
	assert_int_equal(flock(held, LOCK_EX), 0);
	snprintf(path, sizeof(path), "%s/.link.mtcp.tmp", dir);
	assert_int_equal(symlink("p.1.0a1b2c3d.1.mtcp", path), 0);
	snprintf(path, sizeof(path), "%s/.dir.mtcp.tmp", dir);
	assert_int_equal(mkdir(path, 0700), 0);
	if (geteuid() == 0) {
		plant(".other.3.0a1b2c3d.00000000000000cc.mtcp.tmp", "another user's");
		snprintf(path, sizeof(path), "%s/.other.3.0a1b2c3d.00000000000000cc.mtcp.tmp", dir);
		assert_int_equal(chown(path, 65534, 65534), 0);
	}

	assert_int_equal(commit_clean_stale(dir), 2);
	assert_string_equal(listing(),
			    geteuid() == 0
				    ? ".dir.mtcp.tmp .hidden .link.mtcp.tmp "
				      ".live.2.0a1b2c3d.00000000000000bb.mtcp.tmp "
				      ".other.3.0a1b2c3d.00000000000000cc.mtcp.tmp p.1.0a1b2c3d.1.mtcp"
				    : ".dir.mtcp.tmp .hidden .link.mtcp.tmp "
				      ".live.2.0a1b2c3d.00000000000000bb.mtcp.tmp p.1.0a1b2c3d.1.mtcp");
	close(held);
	assert_int_equal(commit_clean_stale("/nonexistent/dir"), -ENOENT);
}

static void test_prune(void **state)
{
	static char ring[5][COMMIT_PATH_MAX];
	int n = 0;
	(void)state;

	for (int i = 1; i <= 5; i++) {
		snprintf(ring[n++], COMMIT_PATH_MAX, "%s/p.1.0a1b2c3d.%d.mtcp", dir, i);
		plant(strrchr(ring[n - 1], '/') + 1, "x");
	}
	commit_prune(ring, &n, 2);
	assert_int_equal(n, 2);
	assert_string_equal(listing(), "p.1.0a1b2c3d.4.mtcp p.1.0a1b2c3d.5.mtcp");
	assert_string_equal(strrchr(ring[0], '/') + 1, "p.1.0a1b2c3d.4.mtcp");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_name),
		cmocka_unit_test(test_alt_name),
		cmocka_unit_test_setup_teardown(test_tmpfile_commit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_never_replaces, setup, teardown),
		cmocka_unit_test_setup_teardown(test_named_commit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_named_planted, setup, teardown),
		cmocka_unit_test_setup_teardown(test_abort, setup, teardown),
		cmocka_unit_test_setup_teardown(test_clean_stale, setup, teardown),
		cmocka_unit_test_setup_teardown(test_prune, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
