/* SPDX-License-Identifier: MIT */
/*
 * baseline.c: running write_baseline and readback_baseline.
 */
#include "baseline.h"

#include "ctx.h"
#include "log.h"
#include "proc.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MIB 1048576LL
#define BASE_TIMEOUT 3600.0

long long mb_base_bytes(long long bytes)
{
	long long mib = (bytes + MIB - 1) / MIB;

	return (mib < 1 ? 1 : mib) * MIB;
}

/* runs argv, which prints seconds; *secs */
static int timed_tool(struct mb_ctx *c, char *const argv[], double *secs)
{
	char out[256], tail[512], *end;
	double wall;
	int st, rc;

	rc = proc_capture(argv, BASE_TIMEOUT, out, sizeof out, &st, &wall);
	if (rc == -EINTR)
		return rc;
	if (rc || proc_code(st)) {
		proc_errtail(tail, sizeof tail);
		if (rc)
			mb_err("%s: %s did not end within %.0f s (stderr: %s)", c->where, argv[0],
			       BASE_TIMEOUT, tail);
		else
			mb_err("%s: %s failed with status %d (stderr: %s)", c->where, argv[0],
			       proc_code(st), tail);
		return -EIO;
	}
	*secs = strtod(out, &end);
	if (end == out || *secs < 0) {
		mb_err("%s: %s printed '%s', not seconds", c->where, argv[0], out);
		return -EIO;
	}
	return 0;
}

static void base_path(struct mb_ctx *c, char *buf, size_t n)
{
	if (mb_work_file(c, "baseline", buf, n))
		*buf = 0; /* cannot happen: --dir is at most DIR_MAX bytes */
}

int mb_base_write(struct mb_ctx *c, long long bytes, double *secs)
{
	char path[PATH_MAX], mib[32];
	char *argv[] = { c->tools.path[T_WBASE], "--keep", path, mib, NULL };

	base_path(c, path, sizeof path);
	snprintf(mib, sizeof mib, "%lld", mb_base_bytes(bytes) / MIB);
	return timed_tool(c, argv, secs);
}

void mb_base_remove(struct mb_ctx *c)
{
	char path[PATH_MAX];

	base_path(c, path, sizeof path);
	unlink(path);
}

int mb_base_read(struct mb_ctx *c, double *secs)
{
	char path[PATH_MAX];
	char *argv[] = { c->tools.path[T_RBASE], path, NULL };
	int rc;

	base_path(c, path, sizeof path);
	rc = timed_tool(c, argv, secs);
	unlink(path);
	return rc;
}

int mb_base_fork(struct mb_ctx *c, long long bytes, double *secs)
{
	char mib[32];
	char *argv[] = { c->tools.path[T_FORK], mib, NULL };

	snprintf(mib, sizeof mib, "%lld", mb_base_bytes(bytes) / MIB);
	return timed_tool(c, argv, secs);
}

int mb_drop_cache(struct mb_ctx *c, const char *path)
{
	char *argv[] = { c->tools.path[T_RBASE], "--drop", (char *)path, NULL };
	char out[64], tail[512];
	double wall;
	int st, rc;

	rc = proc_capture(argv, BASE_TIMEOUT, out, sizeof out, &st, &wall);
	if (rc == -EINTR)
		return rc;
	if (rc || proc_code(st)) {
		proc_errtail(tail, sizeof tail);
		mb_err("%s: cannot drop the page cache of %s (stderr: %s)", c->where, path, tail);
		return -EIO;
	}
	return 0;
}

int mb_drop_dir(struct mb_ctx *c, const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char path[PATH_MAX];
	int rc = 0;

	if (!d) {
		mb_err("%s: %s: %s", c->where, dir, strerror(errno));
		return -EIO;
	}
	while (!rc && (e = readdir(d))) {
		size_t len = strlen(e->d_name);

		if (len < 5 || strcmp(e->d_name + len - 5, ".mtcp"))
			continue;
		if (snprintf(path, sizeof path, "%s/%s", dir, e->d_name) < (int)sizeof path)
			rc = mb_drop_cache(c, path);
	}
	closedir(d);
	return rc;
}
