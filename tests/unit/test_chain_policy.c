/* SPDX-License-Identifier: MIT */
/*
 * test_chain_policy.c - when a checkpoint is an increment (src/engine/
 * chain.c): never without tracking or a parent, the chain's length
 * (MTCP_FULL_EVERY) and its size (twice the resident memory) end it, a
 * break makes the next image full, the PREV record names the parent by
 * its file name, id, sum, size and depth; and --keep N counts chains:
 * pruning removes exactly the files older than the N-th newest full image.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../src/engine/chain.h"

#define MIB (1ull << 20)

static const uint8_t id_a[MTCP_ID_LEN] = { 1, 2, 3 };

/* commits an image; returns whether it was an increment */
static int step(int tracking, int full_every, uint64_t resident, uint64_t size, const char *path,
		struct chain_prev *prev)
{
	const char *why;
	int incr = chain_decide(tracking, full_every, resident, prev, &why);

	chain_committed(path, id_a, 0x1234, size, incr, tracking);
	return incr;
}

static void test_first_and_every(void **state)
{
	struct chain_prev p;
	char path[64];
	(void)state;

	chain_reset();
	/* a full image, then 7 increments, then full again: FULL_EVERY 8 */
	for (int k = 1; k <= 17; k++) {
		snprintf(path, sizeof(path), "/d/img.%d.mtcp", k);
		int incr = step(1, 8, 1024 * MIB, MIB, path, &p);
		assert_int_equal(incr, (k - 1) % 8 != 0);
		if (incr) {
			char want[64];
			snprintf(want, sizeof(want), "img.%d.mtcp", k - 1);
			assert_string_equal(p.name, want);
			assert_int_equal(p.rec.name_len, strlen(want));
			assert_int_equal(p.rec.depth, (uint32_t)(k - 1) % 8);
			assert_memory_equal(p.rec.image_id, id_a, MTCP_ID_LEN);
			assert_int_equal(p.rec.image_sum, 0x1234);
			assert_int_equal(p.rec.file_size, MIB);
		}
	}
}

static void test_no_tracking_or_parent(void **state)
{
	struct chain_prev p;
	(void)state;

	chain_reset();
	/* no tracking at the first: the second has no parent to build on */
	assert_false(step(0, 8, 1024 * MIB, MIB, "/d/a", &p));
	assert_false(step(1, 8, 1024 * MIB, MIB, "/d/b", &p));
	assert_true(step(1, 8, 1024 * MIB, MIB, "/d/c", &p));
	/* tracking lost now: this one is full, and so is the next */
	assert_false(step(0, 8, 1024 * MIB, MIB, "/d/d", &p));
	assert_false(step(1, 8, 1024 * MIB, MIB, "/d/e", &p));
	assert_true(step(1, 8, 1024 * MIB, MIB, "/d/f", &p));
	/* a failed checkpoint after its scan */
	chain_broken();
	assert_false(step(1, 8, 1024 * MIB, MIB, "/d/g", &p));
	/* FULL_EVERY 1: never */
	assert_false(step(1, 1, 1024 * MIB, MIB, "/d/h", &p));
	assert_false(step(1, 1, 1024 * MIB, MIB, "/d/i", &p));
	/* a name too long for a PREV record: no increment after it (this
	 * one follows /d/i, a full image taken with tracking) */
	char longname[400];
	memset(longname, 'x', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	assert_true(step(1, 8, 1024 * MIB, MIB, longname, &p));
	assert_false(step(1, 8, 1024 * MIB, MIB, "/d/j", &p));
}

static void test_chain_size(void **state)
{
	struct chain_prev p;
	const char *why;
	(void)state;

	chain_reset();
	/* resident 100 MiB: a 150 MiB full image, then 40 MiB increments:
	 * 150 + 40 = 190 <= 200, then 230 > 200 ends the chain */
	assert_false(step(1, 64, 100 * MIB, 150 * MIB, "/d/1", &p));
	assert_true(step(1, 64, 100 * MIB, 40 * MIB, "/d/2", &p));
	assert_true(step(1, 64, 100 * MIB, 40 * MIB, "/d/3", &p));
	assert_false(chain_decide(1, 64, 100 * MIB, &p, &why));
	assert_non_null(why);
	assert_non_null(strstr(why, "twice"));
}

static void make(const char *dir, const char *name, char (*kept)[MTCP_MAX_PATH], int *n)
{
	int fd;

	snprintf(kept[*n], MTCP_MAX_PATH, "%s/%s", dir, name);
	fd = open(kept[*n], O_CREAT | O_WRONLY | O_EXCL, 0600);
	assert_true(fd >= 0);
	close(fd);
	(*n)++;
}

static int exists(const char *dir, const char *name)
{
	char p[MTCP_MAX_PATH];
	struct stat st;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	return stat(p, &st) == 0;
}

static void test_prune_counts_chains(void **state)
{
	static char kept[32][MTCP_MAX_PATH];
	uint8_t full[32];
	char dir[] = "/tmp/mtcp-chainprune.XXXXXX";
	const char *names[] = { "f1", "i2", "i3", "f4", "i5", "f6", "i7", "i8" };
	const uint8_t isfull[] = { 1, 0, 0, 1, 0, 1, 0, 0 };
	int n = 0;
	(void)state;

	assert_non_null(mkdtemp(dir));
	for (int i = 0; i < 8; i++) {
		make(dir, names[i], kept, &n);
		full[i] = isfull[i];
	}
	/* keep 3 chains: everything stays (3 full images) */
	chain_prune(kept, full, &n, 3);
	assert_int_equal(n, 8);
	/* keep 2: the chain f1 i2 i3 goes, files and names */
	chain_prune(kept, full, &n, 2);
	assert_int_equal(n, 5);
	assert_false(exists(dir, "f1") || exists(dir, "i2") || exists(dir, "i3"));
	assert_true(exists(dir, "f4") && exists(dir, "i5") && exists(dir, "f6"));
	assert_non_null(strstr(kept[0], "/f4"));
	assert_int_equal(full[0], 1);
	assert_int_equal(full[2], 1);
	/* keep 1: only f6 i7 i8 stay */
	chain_prune(kept, full, &n, 1);
	assert_int_equal(n, 3);
	assert_false(exists(dir, "f4") || exists(dir, "i5"));
	assert_true(exists(dir, "f6") && exists(dir, "i7") && exists(dir, "i8"));
	/* no full image among the names (cannot happen, but never prune an
	 * increment's parent): nothing goes */
	full[0] = 0;
	chain_prune(kept, full, &n, 1);
	assert_int_equal(n, 3);
	for (int i = 0; i < n; i++)
		unlink(kept[i]);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_first_and_every),
		cmocka_unit_test(test_no_tracking_or_parent),
		cmocka_unit_test(test_chain_size),
		cmocka_unit_test(test_prune_counts_chains),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
