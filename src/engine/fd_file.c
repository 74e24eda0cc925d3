/* SPDX-License-Identifier: MIT */
/*
 * fd_file.c - save half of the fds that name a file: regular files and
 * directories (reopened by path at their offset), devices and terminals,
 * deleted-but-open files and memfds (their contents saved whole).
 */
#include "engine.h"
#include "fd_save.h"
#include "image_writer.h"
#include "syscall.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>

#ifndef F_GET_SEALS
#define F_GET_SEALS 1034
#endif

/* The contents of fd, streamed after the FD record's path (a write-only
 * description is read through a read-only one opened for the purpose). */
static int append_contents(struct fd_save *s, uint64_t len, int *read_rc)
{
	struct engine *e = &mtcp_engine;
	char *buf = e->scratch + SCRATCH_FD_DATA_OFF;
	const size_t chunk = 2u << 20;
	uint64_t off = 0;
	int rc = 0;
	long rfd = s->e->fd;

	if ((s->e->open_flags & O_ACCMODE) == O_WRONLY) {
		char proc[64];
		snprintf(proc, sizeof(proc), "/proc/self/fd/%d", s->e->fd);
		rfd = raw_syscall4(SYS_openat, AT_FDCWD, (long)proc, O_RDONLY | O_CLOEXEC, 0);
		if (rfd < 0)
			return *read_rc = (int)rfd;
	}
	while (!rc && off < len) {
		size_t want = len - off < chunk ? (size_t)(len - off) : chunk;
		long got = raw_syscall4(SYS_pread64, rfd, (long)buf, (long)want, (long)off);
		if (got == -EINTR)
			continue;
		if (got < 0) {
			rc = *read_rc = (int)got;
			break;
		}
		if (got == 0) { /* shrank meanwhile: keep the recorded size */
			memset(buf, 0, want);
			got = (long)want;
		}
		rc = iw_append(s->w, buf, (size_t)got);
		off += (uint64_t)got;
	}
	if (rfd != s->e->fd)
		raw_syscall1(SYS_close, rfd);
	return rc;
}

/* Another open file description of the same deleted file or memfd, with
 * a lower number: its record has the contents, this one shares them. */
static int has_earlier_description(const struct fd_save *s)
{
	for (int i = 0; i < s->all->n && s->all->v[i].fd < s->e->fd; i++)
		if (s->all->v[i].ino == s->e->ino && s->all->v[i].dev == s->e->dev &&
		    s->all->v[i].same_as < 0 && s->all->v[i].kind == s->rec.kind)
			return 1;
	return 0;
}

int fdk_file_save(struct fd_save *s)
{
	static char path[MTCP_MAX_PATH];
	static const char del[] = " (deleted)";
	struct mtcp_rec_memfd mf = { 0, 0 };
	const char *name = "";
	size_t pl;
	int rc, read_rc = 0;
	long n;

	snprintf(path, sizeof(path), "%s", s->link);
	pl = strlen(path);
	if (s->rec.kind == MTCP_FD_REGULAR || s->rec.kind == MTCP_FD_DELETED ||
	    s->rec.kind == MTCP_FD_MEMFD) {
		n = raw_syscall3(SYS_lseek, s->e->fd, 0, SEEK_CUR);
		s->rec.offset = n > 0 ? (uint64_t)n : 0;
	}
	if (s->rec.kind != MTCP_FD_DELETED && s->rec.kind != MTCP_FD_MEMFD)
		return fd_emit(s, path, 0, NULL, 0, NULL, 0);

	if (pl > sizeof(del) - 1 && !strcmp(path + pl - (sizeof(del) - 1), del))
		path[pl - (sizeof(del) - 1)] = '\0';
	if (s->rec.size > MTCP_MAX_FILEDATA) {
		snprintf(s->err, s->errlen, "deleted file on fd %d is too large", s->e->fd);
		return -EFBIG;
	}
	s->rec.data_len = has_earlier_description(s) ? 0 : s->rec.size;
	if (s->rec.kind == MTCP_FD_MEMFD) {
		n = raw_syscall2(SYS_fcntl, s->e->fd, F_GET_SEALS);
		mf.seals = n > 0 ? (uint32_t)n : 0;
		name = path + strlen("/memfd:");
		mf.name_len = (uint32_t)strlen(name);
		if (mf.name_len > 249)
			mf.name_len = 249;
	}
	rc = fd_record_start(s, path);
	if (!rc)
		rc = append_contents(s, s->rec.data_len, &read_rc);
	if (!rc)
		rc = iw_end(s->w);
	if (!rc && s->rec.kind == MTCP_FD_MEMFD)
		rc = iw_record(s->w, MTCP_REC_MEMFD, &mf, sizeof(mf), name, mf.name_len);
	if (read_rc)
		snprintf(s->err, s->errlen, "cannot save fd %d (%s) into %s: reading it: %s",
			 s->e->fd, path, s->image, strerror(-read_rc));
	else if (rc)
		snprintf(s->err, s->errlen, "cannot write %s: %s (while saving fd %d)", s->image,
			 strerror(-rc), s->e->fd);
	return rc;
}
