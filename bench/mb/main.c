/* SPDX-License-Identifier: MIT */
/*
 * main.c: mtcp-bench MODE [OPTIONS]: the MTCP paper's experiments redone
 * with libmtcp-fast (usage: args.c; CSV columns: bench/mb/README.md).
 * Sets up the private work directory, the error log, the CSV files and
 * the cleanup that runs on every exit, then runs the mode.
 */
#include "args.h"
#include "criu.h"
#include "csv.h"
#include "ctx.h"
#include "incr.h"
#include "log.h"
#include "modes.h"
#include "proc.h"
#include "term.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

/* --dir's length: the paths made in it stay far below PATH_MAX */
#define DIR_MAX 1024

static struct mb_ctx ctx;
static pid_t main_pid;


/* every exit path: children killed, work directory removed, CSV files closed */
static void cleanup(void)
{
	if (getpid() != main_pid)
		return;
	proc_kill_all();
	if (ctx.work[0])
		mb_rm_tree(ctx.work);
	ctx.work[0] = 0;
	if (ctx.csv)
		fclose(ctx.csv);
	if (ctx.runs_csv)
		fclose(ctx.runs_csv);
	ctx.csv = ctx.runs_csv = NULL;
}

/* --dir: a writable directory on a disk file system (2 if not) */
static int check_dir(const char *dir)
{
	struct statfs fs;
	struct stat sb;

	if (strlen(dir) > DIR_MAX) {
		mb_err("--dir '%.32s...' is longer than %d bytes", dir, DIR_MAX);
		return -EINVAL;
	}
	if (stat(dir, &sb) || !S_ISDIR(sb.st_mode) || access(dir, W_OK | X_OK)) {
		mb_err("--dir '%s' is not a writable directory", dir);
		return -EINVAL;
	}
	if (!statfs(dir, &fs) && (fs.f_type == TMPFS_MAGIC || fs.f_type == RAMFS_MAGIC)) {
		mb_err("--dir '%s' is on %s: the images must go to a disk (e.g. --dir /var/tmp)",
		       dir, fs.f_type == TMPFS_MAGIC ? "tmpfs" : "ramfs");
		return -EINVAL;
	}
	return 0;
}

/* --binary's PATH as given */
static const char *argv_binary(int argc, char **argv)
{
	for (int i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "--"))
			break;
		if (!strcmp(argv[i], "--binary") && i + 1 < argc)
			return argv[i + 1];
		if (!strncmp(argv[i], "--binary=", 9))
			return argv[i] + 9;
	}
	return "";
}

/* name as execvp would find it (a name with a '/' as it is), or NULL */
static const char *find_program(const char *name)
{
	static char path[PATH_MAX];
	const char *p = getenv("PATH");

	if (strchr(name, '/'))
		return access(name, X_OK) ? NULL : name;
	for (p = p ? p : "/bin:/usr/bin"; p;) {
		const char *colon = strchr(p, ':');
		int len = colon ? (int)(colon - p) : (int)strlen(p);
		struct stat sb;

		if (snprintf(path, sizeof path, "%.*s%s%s", len, p, len ? "/" : "", name) <
			    (int)sizeof path &&
		    !stat(path, &sb) && S_ISREG(sb.st_mode) && !access(path, X_OK))
			return path;
		p = colon ? colon + 1 : NULL;
	}
	return NULL;
}

static unsigned tools_needed(const struct mb_opts *o)
{
	unsigned m = 1u << T_LAUNCH | 1u << T_CHECKPOINT | 1u << T_RESTART | 1u << T_WBASE |
		     1u << T_RBASE;

	if (o->mode == MB_NPB && o->interval > 0) /* the slowdown runs: launch only */
		return 1u << T_LAUNCH | 1u << T_NPB;
	if (o->mode != MB_NPB)
		m |= 1u << T_PROG;
	else if (!o->binary)
		m |= 1u << T_NPB;
	if (o->mode == MB_TARGETS && (o->only & (1u << TG_GROWTH)))
		m |= 1u << T_FORK;
	return m;
}

static int open_outputs(struct mb_ctx *c)
{
	const struct mb_opts *o = c->o;

	if (o->out)
		snprintf(c->csv_path, sizeof c->csv_path, "%s", o->out);
	else
		snprintf(c->csv_path, sizeof c->csv_path, "mtcp-bench-%s.csv",
			 o->incremental ? "incremental" : o->on_term ? "on-term" :
			 mb_mode_name(o->mode));
	if (mb_csv_runs_path(c->csv_path, c->runs_path, sizeof c->runs_path)) {
		mb_err("--out '%s' is too long", c->csv_path);
		return -EINVAL;
	}
	if (!(c->csv = fopen(c->csv_path, "w")) || !(c->runs_csv = fopen(c->runs_path, "w"))) {
		mb_err("cannot create %s: %s", c->csv ? c->runs_path : c->csv_path, strerror(errno));
		return -EINVAL;
	}
	/* memory --incremental and --on-term have columns of their own */
	fprintf(c->csv, "%s\n", o->incremental ? mb_incr_point_header :
		o->on_term ? mb_term_point_header : mb_csv_point_header);
	fprintf(c->runs_csv, "%s\n", o->incremental ? mb_incr_run_header :
		o->on_term ? mb_term_run_header : mb_csv_run_header);
	fflush(c->csv);
	fflush(c->runs_csv);
	return 0;
}

static int make_work(struct mb_ctx *c)
{
	int fd;

	snprintf(c->work, sizeof c->work, "%s/mtcp-bench.XXXXXX", c->o->dir);
	if (!mkdtemp(c->work)) {
		mb_err("cannot create a directory in '%s': %s", c->o->dir, strerror(errno));
		c->work[0] = 0;
		return -EIO;
	}
	if (mb_work_file(c, "stderr.log", c->errlog, sizeof c->errlog))
		return -EIO;
	fd = open(c->errlog, O_RDWR | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0600);
	if (fd < 0 || proc_setup(fd)) {
		mb_err("cannot set up %s: %s", c->errlog, strerror(errno));
		return -EIO;
	}
	return 0;
}

static void header(struct mb_ctx *c)
{
	char when[64], env[512] = "";
	time_t now = time(NULL);
	struct utsname u;
	extern char **environ;
	size_t len = 0;

	strftime(when, sizeof when, "%F %T", localtime(&now));
	uname(&u);
	for (char **e = environ; *e; e++)
		if (!strncmp(*e, "MTCP_", 5) && strncmp(*e, MB_TOOLS_ENV "=", sizeof MB_TOOLS_ENV) &&
		    len < sizeof env)
			len += (size_t)snprintf(env + len, sizeof env - len, "%s%s", len ? " " : "", *e);
	mb_say("mtcp-bench %s: %s, %s, kernel %s", mb_mode_name(c->o->mode), when, u.nodename,
	       u.release);
	mb_say("tools: %s (and next to it); images in %s; results: %s, %s",
	       c->tools.path[T_LAUNCH], c->work, c->csv_path, c->runs_path);
	mb_say("environment: %s", *env ? env : "no MTCP_* variable set");
	mb_say("each point: median [min..max] of %u run(s); odd runs checkpoint first, even runs"
	       " take the baselines first", c->o->runs);
	if (c->o->cow && c->o->mode != MB_TARGETS)
		mb_say("--cow %s: %s", c->o->cow == MB_COW_BOTH ? "both" :
		       c->o->cow == MB_COW_STW ? "stw" : "cow",
		       c->o->cow == MB_COW_BOTH ? "each run checkpoints with MTCP_COW=0 and with"
		       " MTCP_COW=1 (odd runs stw first, even runs cow first)" :
		       c->o->cow == MB_COW_STW ? "MTCP_COW=0 (stop-the-world)" :
		       "MTCP_COW=1 (copy-on-write)");
}

/* the last lines of the children's stderr, after a complete run */
static void stderr_note(struct mb_ctx *c)
{
	char tail[512];

	proc_errtail(tail, sizeof tail);
	if (*tail)
		mb_say("stderr of the programs and tools, last lines (warnings about fds 0 and 1,"
		       " the pipes mtcp_restart replaces with its own, are expected): %s", tail);
	(void)c;
}

int main(int argc, char **argv)
{
	struct mb_opts o;
	char err[512];
	int rc;

	main_pid = getpid();
	if (mb_args_parse(argc, argv, &o, err, sizeof err)) {
		mb_err("%s", err);
		return 2;
	}
	if (o.help) {
		mb_usage(stdout, (int)o.mode);
		return 0;
	}
	ctx.o = &o;
	if (check_dir(o.dir))
		return 2;
	if (mb_tools_find(&ctx.tools, o.tools, NULL, err, sizeof err) ||
	    mb_tools_check(&ctx.tools, tools_needed(&o), err, sizeof err)) {
		mb_err("%s", err);
		return 1;
	}
	if (o.binary && !(o.binary = find_program(o.binary))) {
		mb_err("--binary '%s': no such executable file%s", argv_binary(argc, argv),
		       strchr(argv_binary(argc, argv), '/') ? "" : " on PATH");
		return 2;
	}
	atexit(cleanup);
	if (open_outputs(&ctx))
		return 2;
	if (make_work(&ctx))
		return 1;
	header(&ctx);
	mb_criu_setup(&ctx);
	snprintf(ctx.where, sizeof ctx.where, "%s", mb_mode_name(o.mode));
	switch (o.mode) {
	case MB_MEMORY:
		rc = o.incremental ? mb_mode_incremental(&ctx) :
		     o.on_term ? mb_mode_on_term(&ctx) : mb_mode_memory(&ctx);
		break;
	case MB_THREADS:
		rc = mb_mode_threads(&ctx);
		break;
	case MB_NPB:
		rc = mb_mode_npb(&ctx);
		break;
	default:
		rc = mb_mode_targets(&ctx);
		break;
	}
	if (proc_signal()) {
		mb_err("stopped by signal %d (%s); children killed, %s removed", proc_signal(),
		       strsignal(proc_signal()), ctx.work);
		return 128 + proc_signal();
	}
	if (o.mode != MB_TARGETS && !o.incremental && !o.on_term) /* these print their own table */
		mb_table_print(&ctx.table);
	if (rc) {
		mb_err("stopped: %s failed (the reason is above); the rows done so far are in %s",
		       ctx.where, ctx.csv_path);
		return 1;
	}
	stderr_note(&ctx);
	mb_say("results: %s (one row per point), %s (one row per run)", ctx.csv_path,
	       ctx.runs_path);
	if (ctx.failed) {
		mb_err("%u check(s) failed; the first: %s", ctx.failed, ctx.first_failure);
		return 1;
	}
	return 0;
}
