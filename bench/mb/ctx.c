/* SPDX-License-Identifier: MIT */
/*
 * ctx.c: output shared by the modes: stdout lines, failed checks, rows.
 */
#include "ctx.h"

#include "csv.h"
#include "log.h"

#include <errno.h>
#include <ftw.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>

void mb_say(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

int mb_launch_argv(struct mb_ctx *c, char **argv)
{
	int k = 0;

	argv[k++] = c->tools.path[T_LAUNCH];
	argv[k++] = "--dir";
	argv[k++] = c->work;
	argv[k++] = "--keep";
	argv[k++] = "1";
	argv[k++] = "--interval";
	argv[k++] = "0";
	argv[k++] = "--";
	return k;
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

void mb_rm_tree(const char *dir)
{
	nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

int mb_work_file(const struct mb_ctx *c, const char *name, char *buf, size_t n)
{
	int w = snprintf(buf, n, "%s/%s", c->work, name);

	return w < 0 || (size_t)w >= n ? -ENAMETOOLONG : 0;
}

void mb_fail_check(struct mb_ctx *c, const char *fmt, ...)
{
	char why[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof why, fmt, ap);
	va_end(ap);
	mb_err("check failed: %s", why);
	if (!c->failed++)
		snprintf(c->first_failure, sizeof c->first_failure, "%s", why);
}

static int flushed(FILE *f, const char *path, int rc)
{
	if (rc || fflush(f)) {
		mb_err("cannot write %s: %s", path, strerror(errno ? errno : EIO));
		return -EIO;
	}
	return 0;
}

int mb_emit_run(struct mb_ctx *c, const struct mb_key *k, const struct mb_run *r)
{
	return flushed(c->runs_csv, c->runs_path, mb_csv_run_row(c->runs_csv, k, r));
}

int mb_emit_point(struct mb_ctx *c, const struct mb_key *k, const struct mb_point *p)
{
	mb_table_add(&c->table, k, p);
	return flushed(c->csv, c->csv_path, mb_csv_point_row(c->csv, k, p));
}
