/* SPDX-License-Identifier: MIT */
/*
 * userns.c - see userns.h.  An unprivileged user may not choose pids in
 * the pid namespace it runs in, but it may create a user namespace, and in
 * a pid namespace that user namespace owns it may (clone3 set_tid).  The
 * new mount namespace gets its own /proc, so that /proc/self and
 * /proc/self/task show the restored program its own (old) pid and tids.
 */
#include "userns.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <unistd.h>

pid_t userns_clone3(pid_t want, uint64_t flags)
{
	struct clone_args ca;
	uint64_t tid = (uint64_t)want;

	memset(&ca, 0, sizeof(ca));
	ca.flags = flags;
	ca.exit_signal = SIGCHLD;
	if (want > 0) {
		ca.set_tid = (uint64_t)(uintptr_t)&tid;
		ca.set_tid_size = 1;
	}
	return (pid_t)syscall(SYS_clone3, &ca, sizeof(ca));
}

int userns_needed(void)
{
	return geteuid() != 0;
}

static int write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, text, strlen(text));
	close(fd);
	return n == (ssize_t)strlen(text) ? 0 : n < 0 ? -errno : -EIO;
}

int userns_map(pid_t child, char *err, size_t errlen)
{
	char path[64], map[64];
	int rc;

	/* the same uid and gid inside: files keep their owners */
	snprintf(path, sizeof(path), "/proc/%d/setgroups", (int)child);
	rc = write_file(path, "deny");
	snprintf(path, sizeof(path), "/proc/%d/uid_map", (int)child);
	snprintf(map, sizeof(map), "%u %u 1", (unsigned)geteuid(), (unsigned)geteuid());
	if (!rc)
		rc = write_file(path, map);
	snprintf(path, sizeof(path), "/proc/%d/gid_map", (int)child);
	snprintf(map, sizeof(map), "%u %u 1", (unsigned)getegid(), (unsigned)getegid());
	if (!rc)
		rc = write_file(path, map);
	if (rc)
		snprintf(err, errlen, "cannot set up the user namespace's id maps (%s)",
			 strerror(-rc));
	return rc;
}

int userns_mount_proc(char *err, size_t errlen)
{
	/* a mount namespace of its own: mtcp_restart outside keeps the
	 * /proc it knows (it looks up the program's outside pid there) */
	if (unshare(CLONE_NEWNS) ||
	    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) ||
	    mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL)) {
		snprintf(err, errlen, "cannot mount /proc for the new pid namespace (%s)",
			 strerror(errno));
		return -errno;
	}
	return 0;
}
