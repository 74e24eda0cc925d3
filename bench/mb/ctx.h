/* SPDX-License-Identifier: MIT */
/*
 * ctx.h: what every part of one mtcp-bench run shares.
 */
#ifndef MB_CTX_H
#define MB_CTX_H

#include "args.h"
#include "progress.h"
#include "tools.h"

#include <limits.h>
#include <stdio.h>

struct mb_key;
struct mb_run;
struct mb_point;

struct mb_ctx {
	const struct mb_opts *o;
	struct mb_tools tools;
	char work[PATH_MAX];   /* private directory in --dir, removed at the end */
	char errlog[PATH_MAX]; /* the children's stderr */
	FILE *csv, *runs_csv;
	char csv_path[PATH_MAX], runs_path[PATH_MAX];
	struct mb_progress progress;
	struct mb_table table;
	const char *criu; /* criu's path while the comparison is on, else NULL */
	unsigned failed;  /* runs whose check failed */
	char first_failure[512];
	char where[256]; /* "memory random 64 MiB run 2/5": for messages */
};

/* The start of every command line that runs a program under the library:
 * mtcp_launch with the work directory, one image kept, no interval, "--".
 * @return the number of entries written to argv (MB_LAUNCH_ARGS). */
#define MB_LAUNCH_ARGS 8
int mb_launch_argv(struct mb_ctx *c, char **argv);

/* Removes dir and everything below it (errors ignored: cleanup). */
void mb_rm_tree(const char *dir);

/* c->work/name in buf. @return 0; -ENAMETOOLONG (not with --dir's limit). */
int mb_work_file(const struct mb_ctx *c, const char *name, char *buf, size_t n);

/* Records a run whose check failed (the first reason is kept). */
__attribute__((format(printf, 2, 3))) void mb_fail_check(struct mb_ctx *c, const char *fmt, ...);

/* Writes a run's row (flushed). 0 or -EIO (reported). */
int mb_emit_run(struct mb_ctx *c, const struct mb_key *k, const struct mb_run *r);

/* Writes a point's row (flushed) and adds it to the table. 0 or -EIO. */
int mb_emit_point(struct mb_ctx *c, const struct mb_key *k, const struct mb_point *p);

#endif
