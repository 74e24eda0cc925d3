/* SPDX-License-Identifier: MIT */
/*
 * ctl_path.h - where control sockets live, and the checks that make their
 * names impossible for another user to take (docs/security.md, "The
 * control channel").
 *
 * The control socket of a process is
 *
 *     <base>/mtcp-<euid>/ctl.<pid>
 *
 * <base> is /tmp, or $MTCP_CTL_DIR (tests) unless the process runs with
 * AT_SECURE (setuid, setgid, file capabilities): then the environment is
 * the invoker's and is ignored.  <euid> is the effective uid of the process
 * that serves the socket, <pid> a pid others see it by.
 *
 * The directory must belong to <euid>, have mode 0700 exactly and not be a
 * symbolic link.  It is checked with lstat(), then opened with O_DIRECTORY
 * | O_NOFOLLOW and checked again with fstat() (the same inode as lstat saw):
 * a swap between the check and the use is caught.  Sockets are then bound
 * and connected through /proc/self/fd/<that fd>/ctl.<pid>, so the
 * directory used is the one checked.
 *
 * Used by the library (control thread), mtcp_checkpoint and mtcp_restart's
 * broker.  Not for the parked path: it uses libc (snprintf, getpwuid_r for
 * the names in messages).  Functions return 0 (or an fd) or -errno, and on
 * error put one line, without a trailing newline, in err.
 */
#ifndef MTCP_CTL_PATH_H
#define MTCP_CTL_PATH_H

#include <stddef.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/un.h>

#define CTL_DIR_ENV "MTCP_CTL_DIR"
#define CTL_BASE_DEFAULT "/tmp"
/* PATH_MAX would do too; 512 keeps the structs below small. */
#define CTL_PATH_MAX 512

/* The base directory (see above).  Never NULL. */
const char *ctl_base_dir(void);

/* "<base>/mtcp-<uid>" into buf: 0, or -ENAMETOOLONG. */
int ctl_dir_path(uid_t uid, char *buf, size_t len);

/*
 * Opens the directory of uid, checked as above, and returns its fd
 * (O_RDONLY | O_DIRECTORY | O_CLOEXEC), or -errno:
 *   -ENOENT   it does not exist (create == 0), or the base does not
 *   -EACCES   we may not open it (another user's, and we are not root)
 *   -EPERM    wrong owner, mode or a symbolic link: err names the owner
 *             ("... belongs to user bob (1001), not to you: ...")
 * create: make it (mode 0700) if it is missing; only for uid == geteuid().
 */
int ctl_dir_open(uid_t uid, int create, char *err, size_t errlen);

/* The address of "ctl.<pid>" in the directory open as dirfd (through
 * /proc/self/fd).  0, or -ENAMETOOLONG. */
int ctl_sock_addr(int dirfd, pid_t pid, struct sockaddr_un *a, socklen_t *len);

/* A name this process has bound: the real path (for unlink at exit) and
 * the inode it had, so that we never remove a file that is not ours. */
struct ctl_name {
	char path[CTL_PATH_MAX];
	dev_t dev;
	ino_t ino;
	pid_t bound_by;           /* getpid() of the binder (0: slot unused) */
};

/*
 * Binds "ctl.<pid>" in the directory open as dirfd (dirpath is its path,
 * for messages and *name), listens, and returns the listening socket
 * (SOCK_CLOEXEC | SOCK_NONBLOCK) with *name filled, or -errno:
 *   -EADDRINUSE  the name is served by a live process (left alone)
 *   -EEXIST      the name is something else than a socket of uid
 * A stale socket (nobody listens: connect() is refused) owned by uid is
 * removed and the name bound again.
 */
int ctl_listen_at(int dirfd, const char *dirpath, pid_t pid, uid_t uid, struct ctl_name *name,
		  char *err, size_t errlen);

/* Removes name's socket file if it is still the one bound (same inode),
 * and marks the slot unused.  For the process that bound it only. */
void ctl_unlink_name(struct ctl_name *name);

/* 1 if path is a socket nobody listens on any more (connect() refused),
 * owned by uid; 0 otherwise (live, missing, or not ours). */
int ctl_name_is_stale(const char *path, uid_t uid);

/* Removes, from the directory open as dirfd (of uid), the sockets
 * "ctl.<pid>" left by killed processes: pid does not exist and nobody
 * listens.  Looks at most at `max` entries.  Returns how many it removed. */
int ctl_sweep_stale(int dirfd, uid_t uid, int max);

/* "user bob (1001)" or "uid 1001" into buf; returns buf. */
const char *ctl_user_desc(uid_t uid, char *buf, size_t len);

/* 1 if this process is in the initial user namespace (its uid_map maps
 * every uid to itself in one line): SO_PEERCRED here is in the host's
 * terms, and the overflow uid is a real user (nobody). */
int ctl_in_initial_userns(void);

#endif
