/* SPDX-License-Identifier: MIT */
/*
 * test_owned.c - the library's own fds and threads (src/engine/owned.c):
 * what is added is owned until deleted, twice is once, the set has its
 * bound, an added fd becomes close-on-exec, and owned_forget() empties
 * both sets.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "../../src/engine/owned.h"

static void test_fds(void **state)
{
	(void)state;
	owned_forget();
	assert_false(owned_fd_is(5));
	assert_int_equal(owned_fd_add(5), 0);
	assert_int_equal(owned_fd_add(0), 0);
	assert_true(owned_fd_is(5));
	assert_true(owned_fd_is(0));
	assert_false(owned_fd_is(6));
	assert_false(owned_fd_is(-1));
	assert_int_equal(owned_fd_add(-1), -EBADF);
	/* twice is one entry: one delete frees it */
	assert_int_equal(owned_fd_add(5), 0);
	owned_fd_del(5);
	assert_false(owned_fd_is(5));
	assert_true(owned_fd_is(0));
	owned_fd_del(5); /* not owned: nothing happens */
	owned_fd_del(0);
	assert_false(owned_fd_is(0));
}

static void test_fd_bound(void **state)
{
	(void)state;
	owned_forget();
	for (int i = 0; i < OWNED_MAX_FDS; i++)
		assert_int_equal(owned_fd_add(1000 + i), 0);
	assert_int_equal(owned_fd_add(999), -ENOSPC);
	assert_false(owned_fd_is(999));
	/* an fd owned already still fits */
	assert_int_equal(owned_fd_add(1000), 0);
	owned_fd_del(1000 + 17);
	assert_int_equal(owned_fd_add(999), 0);
	assert_true(owned_fd_is(999));
	for (int i = 0; i < OWNED_MAX_FDS; i++)
		assert_int_equal(owned_fd_is(1000 + i), i != 17);
	owned_forget();
	for (int i = 0; i < OWNED_MAX_FDS; i++)
		assert_false(owned_fd_is(1000 + i));
	assert_false(owned_fd_is(999));
}

static void test_cloexec(void **state)
{
	int p[2];

	(void)state;
	owned_forget();
	assert_int_equal(pipe(p), 0);
	assert_int_equal(fcntl(p[0], F_GETFD) & FD_CLOEXEC, 0);
	assert_int_equal(owned_fd_add(p[0]), 0);
	assert_int_equal(fcntl(p[0], F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
	assert_int_equal(fcntl(p[1], F_GETFD) & FD_CLOEXEC, 0);
	owned_forget();
	close(p[0]);
	close(p[1]);
}

static void test_tids(void **state)
{
	(void)state;
	owned_forget();
	assert_int_equal(owned_tid_add(4242), 0);
	assert_int_equal(owned_tid_add(0), -ESRCH);
	assert_true(owned_tid_is(4242));
	assert_false(owned_tid_is(4243));
	assert_false(owned_tid_is(0));
	/* fds and tids are apart */
	assert_false(owned_fd_is(4242));
	for (int i = 1; i < OWNED_MAX_TIDS; i++)
		assert_int_equal(owned_tid_add(5000 + i), 0);
	assert_int_equal(owned_tid_add(6000), -ENOSPC);
	owned_tid_del(4242);
	assert_false(owned_tid_is(4242));
	assert_int_equal(owned_tid_add(6000), 0);
	owned_forget();
	assert_false(owned_tid_is(6000));
	assert_false(owned_tid_is(5001));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fds),
		cmocka_unit_test(test_fd_bound),
		cmocka_unit_test(test_cloexec),
		cmocka_unit_test(test_tids),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
