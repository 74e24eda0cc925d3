/* SPDX-License-Identifier: MIT */
/* imgdir.c - the image directory's checks (imgdir.h). */
#include "imgdir.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

static int probe_named(const char *dir)
{
	char path[4200];
	unsigned long long nonce = 0;
	int fd;

	if (getrandom(&nonce, sizeof(nonce), 0) != sizeof(nonce))
		nonce ^= (unsigned long long)getpid() << 20 ^ (unsigned long long)(size_t)&nonce;
	snprintf(path, sizeof(path), "%s/.mtcp-probe.%d.%016llx.mtcp.tmp", dir, (int)getpid(),
		 nonce);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	unlink(path);
	close(fd);
	return 0;
}

int imgdir_check(const char *dir, int *tmpfile_ok, char *err, size_t errlen)
{
	struct stat st;
	int fd, rc;

	*tmpfile_ok = 0;
	if (stat(dir, &st)) {
		rc = -errno;
		snprintf(err, errlen, "image directory %s: %s", dir, strerror(-rc));
		return rc;
	}
	if (!S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "image directory %s: %s", dir, strerror(ENOTDIR));
		return -ENOTDIR;
	}
	if ((st.st_mode & (S_IWGRP | S_IWOTH)) && !(st.st_mode & S_ISVTX)) {
		snprintf(err, errlen,
			 "image directory %s is writable by other users (mode %04o) and not sticky: "
			 "they could remove or replace its images; use a directory only you can "
			 "write (chmod go-w), or set its sticky bit (chmod +t)",
			 dir, (unsigned)(st.st_mode & 07777));
		return -EPERM;
	}
	fd = open(dir, O_TMPFILE | O_WRONLY | O_CLOEXEC, 0600);
	if (fd >= 0) {
		close(fd);
		*tmpfile_ok = 1;
		return 0;
	}
	rc = -errno;
	/* EISDIR: a kernel without O_TMPFILE; EOPNOTSUPP: a file system */
	if (rc == -EOPNOTSUPP || rc == -EISDIR || rc == -EINVAL)
		rc = probe_named(dir);
	if (rc)
		snprintf(err, errlen, "cannot create files in image directory %s: %s", dir,
			 strerror(-rc));
	return rc;
}
