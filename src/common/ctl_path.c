/* SPDX-License-Identifier: MIT */
/* ctl_path.c - see ctl_path.h. */
#include "ctl_path.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/stat.h>
#include <unistd.h>

const char *ctl_base_dir(void)
{
	/* Read once: in the library, later calls come from the control
	 * thread while the program may be changing its environment. */
	static char base[CTL_PATH_MAX];

	if (!base[0]) {
		/* secure_getenv() would do the same, but says nothing of why */
		const char *env = getauxval(AT_SECURE) ? NULL : getenv(CTL_DIR_ENV);
		if (!env || !*env || strlen(env) >= sizeof(base))
			env = CTL_BASE_DEFAULT;
		memcpy(base, env, strlen(env) + 1);
	}
	return base;
}

int ctl_dir_path(uid_t uid, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%s/mtcp-%u", ctl_base_dir(), (unsigned)uid);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

const char *ctl_user_desc(uid_t uid, char *buf, size_t len)
{
	struct passwd pw, *res = NULL;
	char tmp[2048];

	if (!getpwuid_r(uid, &pw, tmp, sizeof(tmp), &res) && res && res->pw_name)
		snprintf(buf, len, "user %s (%u)", res->pw_name, (unsigned)uid);
	else
		snprintf(buf, len, "uid %u", (unsigned)uid);
	return buf;
}

int ctl_in_initial_userns(void)
{
	unsigned long a, b, n;
	char map[256], *nl;
	ssize_t len;
	int fd = open("/proc/self/uid_map", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return 0;
	len = read(fd, map, sizeof(map) - 1);
	close(fd);
	if (len <= 0)
		return 0;
	map[len] = '\0';
	nl = strchr(map, '\n');
	return sscanf(map, "%lu %lu %lu", &a, &b, &n) == 3 && a == 0 && b == 0 &&
	       n == 4294967295ul && (!nl || !nl[1]);
}

/* "you" or "user alice (1000)": whom the directory should belong to. */
static const char *whom(uid_t uid, char *buf, size_t len)
{
	if (uid == geteuid()) {
		snprintf(buf, len, "you");
		return buf;
	}
	return ctl_user_desc(uid, buf, len);
}

/* The checks on what lstat() or fstat() saw: 0 or -EPERM with err set. */
static int check_stat(const char *path, const struct stat *st, uid_t uid, char *err,
		      size_t errlen)
{
	char owner[300], want[300];

	if (S_ISLNK(st->st_mode)) {
		snprintf(err, errlen, "%s is a symbolic link, not a directory: someone may be "
			 "impersonating %s processes; remove it", path,
			 uid == geteuid() ? "your" : "that user's");
		return -EPERM;
	}
	if (!S_ISDIR(st->st_mode)) {
		snprintf(err, errlen, "%s is not a directory: remove it", path);
		return -EPERM;
	}
	if (st->st_uid != uid) {
		snprintf(err, errlen, "%s belongs to %s, not to %s: someone may be impersonating "
			 "%s processes; remove it", path,
			 ctl_user_desc(st->st_uid, owner, sizeof(owner)), whom(uid, want, sizeof(want)),
			 uid == geteuid() ? "your" : "that user's");
		return -EPERM;
	}
	if ((st->st_mode & 07777) != 0700) {
		snprintf(err, errlen, "%s has mode %04o, not 0700: others could take the names of "
			 "%s processes; remove it", path, (unsigned)(st->st_mode & 07777),
			 uid == geteuid() ? "your" : "that user's");
		return -EPERM;
	}
	return 0;
}

int ctl_dir_open(uid_t uid, int create, char *err, size_t errlen)
{
	char path[CTL_PATH_MAX];
	struct stat lst, st;
	int fd, rc, made = 0;

	if (ctl_dir_path(uid, path, sizeof(path))) {
		snprintf(err, errlen, "%s/mtcp-%u: path too long", ctl_base_dir(), (unsigned)uid);
		return -ENAMETOOLONG;
	}
	if (lstat(path, &lst)) {
		rc = -errno;
		if (rc == -ENOENT && create && uid == geteuid()) {
			if (mkdir(path, 0700) == 0)
				made = 1;
			else if (errno != EEXIST) {
				rc = -errno;
				snprintf(err, errlen, "cannot create %s: %s", path, strerror(-rc));
				return rc;
			}
			rc = lstat(path, &lst) ? -errno : 0;
		}
		if (rc) {
			snprintf(err, errlen, "%s: %s", path, strerror(-rc));
			return rc;
		}
	}
	/* A directory we just made has the umask applied; one that was there
	 * is judged as it is. */
	if (!made && (rc = check_stat(path, &lst, uid, err, errlen)))
		return rc;
	fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		rc = -errno;
		if (rc == -ELOOP || rc == -ENOTDIR) {
			snprintf(err, errlen, "%s changed while it was checked: someone may be "
				 "impersonating processes; remove it", path);
			return -EPERM;
		}
		snprintf(err, errlen, "%s: %s", path, strerror(-rc));
		return rc;
	}
	if (fstat(fd, &st)) {
		rc = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(-rc));
		close(fd);
		return rc;
	}
	if (st.st_dev != lst.st_dev || st.st_ino != lst.st_ino) {
		snprintf(err, errlen, "%s changed while it was checked: someone may be "
			 "impersonating processes; remove it", path);
		close(fd);
		return -EPERM;
	}
	/* Ours and new: only now set the mode (fchmod on the fd, not the path). */
	if (made && st.st_uid == uid && (st.st_mode & 07777) != 0700) {
		if (fchmod(fd, 0700) == 0)
			st.st_mode = (st.st_mode & ~07777u) | 0700;
	}
	rc = check_stat(path, &st, uid, err, errlen);
	if (rc) {
		close(fd);
		return rc;
	}
	return fd;
}

int ctl_sock_addr(int dirfd, pid_t pid, struct sockaddr_un *a, socklen_t *len)
{
	int n;

	memset(a, 0, sizeof(*a));
	a->sun_family = AF_UNIX;
	n = snprintf(a->sun_path, sizeof(a->sun_path), "/proc/self/fd/%d/ctl.%d", dirfd, (int)pid);
	if (n < 0 || (size_t)n >= sizeof(a->sun_path))
		return -ENAMETOOLONG;
	*len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + (size_t)n + 1);
	return 0;
}

int ctl_name_is_stale(const char *path, uid_t uid)
{
	struct sockaddr_un a;
	struct stat st;
	int s, rc;

	if (lstat(path, &st) || !S_ISSOCK(st.st_mode) || st.st_uid != uid)
		return 0;
	if (strlen(path) >= sizeof(a.sun_path))
		return 0;
	memset(&a, 0, sizeof(a));
	a.sun_family = AF_UNIX;
	memcpy(a.sun_path, path, strlen(path));
	s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (s < 0)
		return 0;
	/* EAGAIN (a full backlog) means someone listens. */
	rc = connect(s, (struct sockaddr *)&a, sizeof(a)) ? errno : 0;
	close(s);
	return rc == ECONNREFUSED;
}

int ctl_listen_at(int dirfd, const char *dirpath, pid_t pid, uid_t uid, struct ctl_name *name,
		  char *err, size_t errlen)
{
	struct sockaddr_un a;
	socklen_t alen;
	struct stat st;
	char rel[32];
	int fd, rc, tries = 0;

	memset(name, 0, sizeof(*name));
	snprintf(rel, sizeof(rel), "ctl.%d", (int)pid);
	if ((size_t)snprintf(name->path, sizeof(name->path), "%s/%s", dirpath, rel) >=
		    sizeof(name->path) ||
	    ctl_sock_addr(dirfd, pid, &a, &alen)) {
		snprintf(err, errlen, "%s/%s: path too long", dirpath, rel);
		return -ENAMETOOLONG;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		rc = -errno;
		snprintf(err, errlen, "socket: %s", strerror(-rc));
		return rc;
	}
	while (bind(fd, (struct sockaddr *)&a, alen)) {
		rc = -errno;
		if (rc != -EADDRINUSE || tries++ > 2) {
			snprintf(err, errlen, "cannot bind %s: %s", name->path, strerror(-rc));
			goto fail;
		}
		/* Taken: by a dead process of ours (stale), a live one, or
		 * something that is not ours at all; or gone meanwhile. */
		if (fstatat(dirfd, rel, &st, AT_SYMLINK_NOFOLLOW))
			continue;
		if (!S_ISSOCK(st.st_mode) || st.st_uid != uid) {
			snprintf(err, errlen, "%s exists and is not a control socket of uid %u; "
				 "left alone", name->path, (unsigned)uid);
			rc = -EEXIST;
			goto fail;
		}
		if (!ctl_name_is_stale(name->path, uid)) {
			snprintf(err, errlen, "%s is taken by a running process; left alone",
				 name->path);
			rc = -EADDRINUSE;
			goto fail;
		}
		if (unlinkat(dirfd, rel, 0) && errno != ENOENT) {
			rc = -errno;
			snprintf(err, errlen, "cannot remove the stale %s: %s", name->path,
				 strerror(-rc));
			goto fail;
		}
	}
	if (listen(fd, 64)) {
		rc = -errno;
		snprintf(err, errlen, "cannot listen on %s: %s", name->path, strerror(-rc));
		unlinkat(dirfd, rel, 0);
		goto fail;
	}
	if (fstatat(dirfd, rel, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		name->dev = st.st_dev;
		name->ino = st.st_ino;
	}
	name->bound_by = getpid();
	return fd;
fail:
	close(fd);
	name->path[0] = '\0';
	return rc;
}

void ctl_unlink_name(struct ctl_name *name)
{
	struct stat st;

	if (!name->bound_by)
		return;
	if (name->bound_by == getpid() && name->path[0] && lstat(name->path, &st) == 0 &&
	    S_ISSOCK(st.st_mode) && st.st_dev == name->dev && st.st_ino == name->ino)
		unlink(name->path);
	name->bound_by = 0;
}

int ctl_sweep_stale(int dirfd, uid_t uid, int max)
{
	char dirpath[CTL_PATH_MAX], path[CTL_PATH_MAX + 288];
	struct dirent *d;
	int fd, removed = 0, seen = 0;
	DIR *dir;

	if (ctl_dir_path(uid, dirpath, sizeof(dirpath)))
		return 0;
	fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	dir = fdopendir(fd);
	if (!dir) {
		close(fd);
		return 0;
	}
	while ((d = readdir(dir)) && seen++ < max) {
		char *end;
		long pid;
		if (strncmp(d->d_name, "ctl.", 4))
			continue;
		pid = strtol(d->d_name + 4, &end, 10);
		if (*end || pid <= 0 || kill((pid_t)pid, 0) == 0 || errno != ESRCH)
			continue;
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", dirpath, d->d_name) >= sizeof(path))
			continue;
		/* the pid is gone; a socket still served under its name is an
		 * alias of a live process: connect() tells */
		if (ctl_name_is_stale(path, uid) && unlinkat(dirfd, d->d_name, 0) == 0)
			removed++;
	}
	closedir(dir);
	return removed;
}
