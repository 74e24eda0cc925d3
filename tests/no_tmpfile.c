/* SPDX-License-Identifier: MIT */
/*
 * no_tmpfile.c - `no_tmpfile COMMAND [ARGS...]` runs COMMAND as on a file
 * system without O_TMPFILE: open() and openat() asking for it fail with
 * EOPNOTSUPP, as NFS or an old overlayfs say (openat2(), whose flags a
 * seccomp filter cannot see, fails with ENOSYS).  The filter is inherited
 * by everything COMMAND runs.  For the tests of the named temporary files
 * (src/writer/commit.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

/* O_TMPFILE's own bit (glibc's O_TMPFILE and __O_TMPFILE add O_DIRECTORY) */
#define TMPFILE_BIT 020000000
#ifndef SYS_openat2
#define SYS_openat2 437
#endif

#define LD(field) BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, field))
#define RET(v) BPF_STMT(BPF_RET | BPF_K, (v))

int main(int argc, char **argv)
{
	/* jumps count instructions after the jump; ALLOW is 10, DENY 11,
	 * NOSYS 12 (flags: the low 32 bits of the argument) */
	struct sock_filter code[] = {
		/* 0 */ LD(arch),
		/* 1 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 0, 8),
		/* 2 */ LD(nr),
		/* 3 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_openat, 0, 2),
		/* 4 */ LD(args[2]),
		/* 5 */ BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, TMPFILE_BIT, 5, 4),
		/* 6 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_open, 0, 2),
		/* 7 */ LD(args[1]),
		/* 8 */ BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, TMPFILE_BIT, 2, 1),
		/* 9 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_openat2, 2, 0),
		/* 10 */ RET(SECCOMP_RET_ALLOW),
		/* 11 */ RET(SECCOMP_RET_ERRNO | EOPNOTSUPP),
		/* 12 */ RET(SECCOMP_RET_ERRNO | ENOSYS),
	};
	struct sock_fprog prog = { sizeof(code) / sizeof(code[0]), code };

	if (argc < 2) {
		fprintf(stderr, "usage: no_tmpfile COMMAND [ARGS...]\n");
		return 2;
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) ||
	    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog)) {
		fprintf(stderr, "no_tmpfile: cannot install the filter: %s\n", strerror(errno));
		return 77;
	}
	execvp(argv[1], argv + 1);
	fprintf(stderr, "no_tmpfile: %s: %s\n", argv[1], strerror(errno));
	return 127;
}
