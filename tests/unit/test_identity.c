/* SPDX-License-Identifier: MIT */
/*
 * test_identity.c - what identity.c records of the writer: ids translated
 * through a user namespace's map, its credentials in this process and in
 * a child inside a user namespace (root only), and the lineage's ids
 * across a launch and a restart.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "image_writer.h"
#include "../../src/engine/engine.h"
#include "../../src/engine/identity.h"

/* What identity.c takes from the rest of the engine. */
struct mtcp_restart_info mtcp_restart_info;

long util_read_file(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	return n;
}

uint64_t util_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static struct iw_identity id, id2;

static void test_map(void **state)
{
	const char *map = "         0       1000          1\n"
			  "         1     100000      65536\n";
	(void)state;
	assert_int_equal(identity_map_id(map, 0), 1000);
	assert_int_equal(identity_map_id(map, 1), 100000);
	assert_int_equal(identity_map_id(map, 65536), 165535);
	assert_int_equal(identity_map_id(map, 65537), 65534);
	assert_int_equal(identity_map_id("0 0 4294967295\n", 4294967294u), 4294967294u);
	assert_int_equal(identity_map_id("", 5), 65534);
	assert_int_equal(identity_map_id("garbage\n7 8 1", 7), 8);
}

static void test_self(void **state)
{
	uid_t r, e, s;
	gid_t gr, ge, gs, groups[64];
	int n = getgroups(64, groups);
	(void)state;

	identity_init();
	identity_fill(&id, 3);
	getresuid(&r, &e, &s);
	getresgid(&gr, &ge, &gs);
	/* this runs in the initial user namespace: the ids as they are */
	assert_int_equal(id.uid[0], r);
	assert_int_equal(id.uid[1], e);
	assert_int_equal(id.uid[2], s);
	assert_int_equal(id.gid[0], gr);
	assert_int_equal(id.gid[1], ge);
	assert_int_equal(id.gid[2], gs);
	assert_int_equal(id.fsuid, e);
	assert_int_equal(id.fsgid, ge);
	assert_int_equal(id.dumpable, prctl(PR_GET_DUMPABLE));
	assert_true(n >= 0 && n <= 64);
	assert_int_equal(id.ngroups, n);
	for (int i = 0; i < n; i++)
		assert_int_equal(id.groups[i], groups[i]);
	assert_int_equal(id.seq, 3);
	assert_int_equal(id.outer_pid, getpid());
}

static int zero16(const uint8_t *p)
{
	static const uint8_t z[16];
	return !memcmp(p, z, 16);
}

static void test_lineage(void **state)
{
	uint8_t parent[16];
	char hex[9], hex2[9];
	(void)state;

	identity_init();
	identity_fill(&id, 1);
	identity_fill(&id2, 2);
	/* a launch: lineage = launch, no parent; each image its own id */
	assert_memory_equal(id.lineage_id, id.launch_id, 16);
	assert_true(zero16(id.parent_id));
	assert_false(zero16(id.lineage_id));
	assert_memory_equal(id.lineage_id, id2.lineage_id, 16);
	assert_memory_not_equal(id.image_id, id2.image_id, 16);
	identity_lineage_hex(hex);
	assert_int_equal(strlen(hex), 8);
	for (int i = 0; i < 4; i++) {
		char b[3];
		snprintf(b, sizeof(b), "%02x", id.lineage_id[i]);
		assert_memory_equal(hex + 2 * i, b, 2);
	}
	/* a restart from image id2: a new lineage of the same launch */
	memcpy(parent, id2.image_id, 16);
	identity_new_lineage(parent);
	identity_fill(&id2, 1);
	identity_lineage_hex(hex2);
	assert_memory_not_equal(id2.lineage_id, id.lineage_id, 16);
	assert_string_not_equal(hex, hex2);
	assert_memory_equal(id2.parent_id, parent, 16);
	assert_memory_equal(id2.launch_id, id.launch_id, 16);
}

static int write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = write(fd, text, strlen(text));
	close(fd);
	return n == (ssize_t)strlen(text) ? 0 : -1;
}

/* A child as uid/gid 1000 moves into a new user namespace, where the
 * parent maps it as 5/7: the record says 1000, as the host sees it. */
static void test_userns(void **state)
{
	int go[2], ready[2], status;
	char path[64], c;
	pid_t child;
	(void)state;

	if (geteuid() != 0)
		skip();
	assert_int_equal(pipe(go), 0);
	assert_int_equal(pipe(ready), 0);
	child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		int bad = 0;
		close(go[1]);
		close(ready[0]);
		if (setgroups(0, NULL) || setresgid(1000, 1000, 1000) || setresuid(1000, 1000, 1000))
			_exit(3);
		if (unshare(CLONE_NEWUSER))
			_exit(4); /* user namespaces off here */
		c = 'u';
		if (write(ready[1], &c, 1) != 1 || read(go[0], &c, 1) != 1 || c != 'm')
			_exit(5);
		identity_fill(&id, 1);
		if (getuid() != 5 || getgid() != 7)
			_exit(6);
		bad |= id.uid[0] != 1000 || id.uid[1] != 1000 || id.uid[2] != 1000;
		bad |= id.gid[0] != 1000 || id.gid[1] != 1000 || id.gid[2] != 1000;
		bad |= id.fsuid != 1000 || id.fsgid != 1000 || id.ngroups != 0;
		_exit(bad ? 7 : 0);
	}
	close(go[0]);
	close(ready[1]);
	if (read(ready[0], &c, 1) == 1) {
		snprintf(path, sizeof(path), "/proc/%d/uid_map", (int)child);
		assert_int_equal(write_file(path, "5 1000 1\n"), 0);
		snprintf(path, sizeof(path), "/proc/%d/gid_map", (int)child);
		assert_int_equal(write_file(path, "7 1000 1\n"), 0);
		c = 'm';
		assert_int_equal(write(go[1], &c, 1), 1);
	}
	close(go[1]);
	close(ready[0]);
	assert_int_equal(waitpid(child, &status, 0), child);
	assert_true(WIFEXITED(status));
	if (WEXITSTATUS(status) == 4)
		skip();
	assert_int_equal(WEXITSTATUS(status), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_map),
		cmocka_unit_test(test_self),
		cmocka_unit_test(test_lineage),
		cmocka_unit_test(test_userns),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
