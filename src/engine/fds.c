/* SPDX-License-Identifier: MIT */
/*
 * fds.c - the FD records: every open file descriptor of the program (not
 * the library's own), with what it takes to reopen it at restart.
 * Regular files and directories are reopened by path at their offset,
 * deleted-but-open files are saved whole, terminals reopen the controlling
 * terminal, and anything else (pipes, sockets, eventfds...) is named in a
 * warning and becomes /dev/null after restart (docs/architecture.md).
 */
#include "engine.h"
#include "image_writer.h"
#include "syscall.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <asm/termbits.h>
#include <asm/ioctls.h>

#define WARNED_FDS 4096
static unsigned char warned[WARNED_FDS / 8];

int fds_is_library_fd(int fd)
{
	struct engine *e = &mtcp_engine;

	for (int i = 0; i < e->nlisten; i++)
		if (e->listen_fd[i] == fd)
			return 1;
	return ctl_owns_fd(fd);
}

static int is_tty(int fd)
{
	char t[64]; /* struct termios of the kernel: 36 bytes */
	return raw_syscall3(SYS_ioctl, fd, TCGETS, (long)t) == 0;
}

static void warn_once(int fd, const char *what)
{
	if (fd < WARNED_FDS) {
		if (warned[fd / 8] & (1u << (fd % 8)))
			return;
		warned[fd / 8] |= (unsigned char)(1u << (fd % 8));
	}
	util_log("warning: fd %d (%s) cannot be checkpointed; after a restart it reads "
		 "as /dev/null", fd, what);
}

/* Errors name the image when writing it failed (ENOSPC, EIO, EFBIG...),
 * and the fd when reading the fd's own file did. */
static int write_fd(struct img_writer *w, const char *image, int fd, char *err, size_t errlen)
{
	struct engine *e = &mtcp_engine;
	char link[64], path[MTCP_MAX_PATH];
	struct mtcp_rec_fd r;
	struct stat st;
	long n;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = raw_syscall4(SYS_readlinkat, AT_FDCWD, (long)link, (long)path, sizeof(path) - 1);
	if (n < 0)
		return n == -ENOENT ? 0 : (int)n; /* closed meanwhile (by us) */
	path[n] = '\0';
	if (raw_syscall2(SYS_fstat, fd, (long)&st))
		return 0;
	memset(&r, 0, sizeof(r));
	r.fd = (uint32_t)fd;
	r.open_flags = (uint32_t)raw_syscall2(SYS_fcntl, fd, F_GETFL);
	r.fd_flags = (uint32_t)raw_syscall2(SYS_fcntl, fd, F_GETFD);
	n = raw_syscall3(SYS_lseek, fd, 0, SEEK_CUR);
	r.offset = n > 0 ? (uint64_t)n : 0;
	r.dev = st.st_dev;
	r.ino = st.st_ino;
	r.size = (uint64_t)st.st_size;
	r.mtime_ns = (uint64_t)st.st_mtim.tv_sec * 1000000000ull + (uint64_t)st.st_mtim.tv_nsec;

	if (S_ISREG(st.st_mode)) {
		size_t pl = strlen(path);
		static const char del[] = " (deleted)";
		int deleted = st.st_nlink == 0 ||
			      (pl > sizeof(del) - 1 && !strcmp(path + pl - (sizeof(del) - 1), del));
		if (!deleted) {
			r.kind = MTCP_FD_REGULAR;
		} else {
			r.kind = MTCP_FD_DELETED;
			if (pl > sizeof(del) - 1 && !strcmp(path + pl - (sizeof(del) - 1), del))
				path[pl - (sizeof(del) - 1)] = '\0';
			if (r.size > MTCP_MAX_FILEDATA) {
				snprintf(err, errlen, "deleted file on fd %d is too large", fd);
				return -EFBIG;
			}
			r.data_len = r.size;
		}
	} else if (S_ISDIR(st.st_mode)) {
		r.kind = MTCP_FD_DIR;
	} else if (S_ISCHR(st.st_mode) && is_tty(fd)) {
		r.kind = MTCP_FD_TTY;
	} else if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) {
		r.kind = MTCP_FD_DEVICE;
	} else {
		r.kind = MTCP_FD_OTHER;
		warn_once(fd, path);
	}
	r.path_len = (uint32_t)strlen(path);

	int rc = iw_begin(w, MTCP_REC_FD), read_rc = 0;
	if (!rc)
		rc = iw_append(w, &r, sizeof(r));
	if (!rc)
		rc = iw_append(w, path, r.path_len);
	if (!rc && r.kind == MTCP_FD_DELETED) {
		char *buf = e->scratch + (28u << 20);
		const size_t chunk = 2u << 20;
		uint64_t off = 0;
		while (!rc && off < r.data_len) {
			size_t want = r.data_len - off < chunk ? (size_t)(r.data_len - off) : chunk;
			long got = raw_syscall4(SYS_pread64, fd, (long)buf, (long)want, (long)off);
			if (got == -EINTR)
				continue;
			if (got < 0) {
				rc = read_rc = (int)got;
				break;
			}
			if (got == 0) { /* shrank meanwhile: keep the recorded size */
				memset(buf, 0, want);
				got = (long)want;
			}
			rc = iw_append(w, buf, (size_t)got);
			off += (uint64_t)got;
		}
	}
	if (!rc)
		rc = iw_end(w);
	if (read_rc)
		snprintf(err, errlen, "cannot save fd %d (%s) into %s: reading it: %s", fd, path,
			 image, strerror(-rc));
	else if (rc)
		snprintf(err, errlen, "cannot write %s: %s (while saving fd %d)", image,
			 strerror(-rc), fd);
	return rc;
}

int fds_write_all(struct img_writer *w, const char *image, uint32_t *nfds, char *err,
		  size_t errlen)
{
	char buf[4096];
	long dfd = raw_syscall4(SYS_openat, AT_FDCWD, (long)"/proc/self/fd",
				O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
	int rc = 0;

	*nfds = 0;
	if (dfd < 0) {
		snprintf(err, errlen, "cannot list /proc/self/fd: %s", strerror((int)-dfd));
		return (int)dfd;
	}
	for (;;) {
		long got = raw_syscall3(SYS_getdents64, dfd, (long)buf, sizeof(buf));
		if (got <= 0) {
			if (got < 0)
				rc = (int)got;
			break;
		}
		for (long off = 0; off < got && !rc;) {
			const char *name = buf + off + 19;
			unsigned short reclen;
			int fd = 0;
			memcpy(&reclen, buf + off + 16, sizeof(reclen));
			off += reclen;
			if (name[0] < '0' || name[0] > '9')
				continue;
			for (const char *c = name; *c; c++)
				fd = fd * 10 + (*c - '0');
			if (fd == (int)dfd || fds_is_library_fd(fd) || fd == w->fd || checkpoint_owns_fd(fd))
				continue;
			rc = write_fd(w, image, fd, err, errlen);
			if (!rc)
				(*nfds)++;
		}
		if (rc)
			break;
	}
	raw_syscall1(SYS_close, dfd);
	return rc;
}
