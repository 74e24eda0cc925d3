/* SPDX-License-Identifier: MIT */
/*
 * incr_nouffd.c - `incr_nouffd COMMAND [ARGS...]` runs COMMAND where
 * userfaultfd(2) fails with EPERM, as in Docker's default seccomp profile
 * (and as /dev/userfaultfd does for a user without access to it: the
 * library only uses the system call).  PR_SET_NO_NEW_PRIVS, then a seccomp
 * filter, inherited by everything COMMAND runs.  It checks that the call
 * fails before the exec.  For tests/incr/incr_nouffd.sh.
 */
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef SYS_userfaultfd
#define SYS_userfaultfd 323
#endif

#define LD(field) BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, field))
#define RET(v) BPF_STMT(BPF_RET | BPF_K, (v))

int main(int argc, char **argv)
{
	struct sock_filter code[] = {
		/* 0 */ LD(arch),
		/* 1 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 0, 2),
		/* 2 */ LD(nr),
		/* 3 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_userfaultfd, 1, 0),
		/* 4 */ RET(SECCOMP_RET_ALLOW),
		/* 5 */ RET(SECCOMP_RET_ERRNO | EPERM),
	};
	struct sock_fprog prog = { sizeof(code) / sizeof(code[0]), code };
	long fd;

	if (argc < 2) {
		fprintf(stderr, "usage: incr_nouffd COMMAND [ARGS...]\n");
		return 2;
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) ||
	    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog)) {
		fprintf(stderr, "incr_nouffd: cannot install the filter: %s\n", strerror(errno));
		return 77;
	}
	fd = syscall(SYS_userfaultfd, 0);
	if (fd >= 0 || errno != EPERM) {
		fprintf(stderr, "incr_nouffd: userfaultfd() still works under the filter (%ld, %s)\n",
			fd, fd < 0 ? strerror(errno) : "an fd");
		return 99;
	}
	execvp(argv[1], argv + 1);
	fprintf(stderr, "incr_nouffd: %s: %s\n", argv[1], strerror(errno));
	return 127;
}
