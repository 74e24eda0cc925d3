/* SPDX-License-Identifier: MIT */
/* mtcp_launch.c - run a program under the checkpointer by preloading it. */
#include "cli.h"
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "imgdir.h"
#include "mtcp.h"
#include "options.h"
#include "resume.h"

/* Meson passes these; the fallbacks only serve a standalone compile. */
#ifndef MTCP_LIBDIR_REL
#define MTCP_LIBDIR_REL ""
#endif
#ifndef MTCP_LIBDIR_ABS
#define MTCP_LIBDIR_ABS ""
#endif
#ifndef MTCP_BINDIR_ABS
#define MTCP_BINDIR_ABS ""
#endif
#ifndef MTCP_VERSION_STRING
#define MTCP_VERSION_STRING "unknown"
#endif

#define PROG "mtcp_launch"
#define LIB_NAME "libmtcp-fast.so"
#define RESTART_NAME "mtcp_restart"

#define EXIT_REFUSED_DIR 1
#define EXIT_USAGE 2
/* --resume: images of PROGRAM exist, none verifies.  Neither mtcp_launch
 * nor mtcp_restart (1, 2) exits with it for anything else. */
#define EXIT_NO_IMAGE_VERIFIES 3
#define EXIT_CANNOT_EXEC 126
#define EXIT_NOT_FOUND 127

/* glibc's execvp() searches this when PATH is unset. */
#define DEFAULT_PATH "/bin:/usr/bin"

enum {
	OPT_DIR = 256,
	OPT_INTERVAL,
	OPT_SIGNAL,
	OPT_KEEP,
	OPT_INHERIT,
	OPT_STRICT,
	OPT_RESUME,
	OPT_ON_TERM,
	OPT_VERSION,
};

static const struct option long_options[] = {
	{ "dir", required_argument, NULL, OPT_DIR },
	{ "interval", required_argument, NULL, OPT_INTERVAL },
	{ "signal", required_argument, NULL, OPT_SIGNAL },
	{ "keep", required_argument, NULL, OPT_KEEP },
	{ "inherit", no_argument, NULL, OPT_INHERIT },
	{ "strict", no_argument, NULL, OPT_STRICT },
	{ "resume", no_argument, NULL, OPT_RESUME },
	{ "on-term", optional_argument, NULL, OPT_ON_TERM },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ NULL, 0, NULL, 0 },
};

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: " PROG " [OPTION]... [--] PROGRAM [ARGS]...\n"
		"Run PROGRAM with libmtcp-fast preloaded, so that it can be checkpointed.\n"
		"\n"
		"  --dir D            write images into directory D (MTCP_DIR)\n"
		"  --interval SECONDS checkpoint every SECONDS, may be fractional;\n"
		"                     0: only on demand (MTCP_INTERVAL)\n"
		"  --signal N|NAME    checkpoint signal, e.g. 62, USR2, RTMIN+3 (MTCP_SIGNAL)\n"
		"  --keep N           keep the last N images, 1..1000 (MTCP_KEEP)\n"
		"  --inherit          checkpoint the processes PROGRAM starts too: they\n"
		"                     get the library as well (MTCP_INHERIT=1)\n"
		"  --strict           a checkpoint that would be degraded (something would\n"
		"                     not come back as it was) fails, and the previous image\n"
		"                     is kept (MTCP_STRICT=1)\n"
		"  --on-term[=SIG]    on SIG (default TERM) take a final checkpoint, then let SIG act (MTCP_ON_TERM)\n"
		"  --resume           if the image directory holds images of PROGRAM,\n"
		"                     restart the newest that verifies (mtcp_restart IMAGE,\n"
		"                     in this process) instead of starting PROGRAM; ARGS\n"
		"                     and the other options are then ignored: the restarted\n"
		"                     program keeps the settings it had (MTCP_RESTART names\n"
		"                     mtcp_restart)\n"
		"  -h, --help         show this help and exit\n"
		"      --version      show the version and exit\n"
		"\n"
		"Options not given leave the environment variable alone.  PROGRAM stays\n"
		"checkpointable when it executes another program in its place (a #!\n"
		"wrapper that ends in exec); the processes it starts do not get the\n"
		"library, unless --inherit.  The image directory is --dir, else MTCP_DIR,\n"
		"else the current directory; --resume looks there too.  An image is of\n"
		"PROGRAM when the executable it recorded is PROGRAM's real path.\n"
		"Exit status: PROGRAM's own, or after a restart the restarted program's\n"
		"(mtcp_restart's: 1 if the restart itself fails); 1 if the image directory\n"
		"is refused (writable by other users and not sticky, or no file can be\n"
		"created in it) or cannot be read, 2 for a usage error, 3 with --resume if\n"
		"images of PROGRAM exist but none verifies (PROGRAM is not started), 126 if\n"
		"PROGRAM cannot be run under the checkpointer, 127 if it is not found.\n");
}

#define die(status, ...) cli_die(PROG, status, __VA_ARGS__)

/* realpath() of a regular file: 0, or -errno. */
static int resolve_file(const char *path, char *out)
{
	struct stat st;

	if (!realpath(path, out))
		return -errno;
	if (stat(out, &st))
		return -errno;
	if (!S_ISREG(st.st_mode))
		return S_ISDIR(st.st_mode) ? -EISDIR : -EINVAL;
	return 0;
}

/* Tries dir + "/" + rel; 0 with the real path in out, or -errno. */
static int try_file(const char *dir, const char *rel, char *out)
{
	char path[PATH_MAX];
	int n = snprintf(path, sizeof(path), "%s/%s", dir, rel);

	if (n < 0 || (size_t)n >= sizeof(path))
		return -ENAMETOOLONG;
	return resolve_file(path, out);
}

/* The directory this program is in, in dir (PATH_MAX): 0, or -ENOENT. */
static int own_dir(char *dir)
{
	ssize_t n = readlink("/proc/self/exe", dir, PATH_MAX - 1);
	char *slash;

	if (n <= 0)
		return -ENOENT;
	dir[n] = '\0';
	slash = strrchr(dir, '/');
	if (!slash)
		return -ENOENT;
	*slash = '\0';
	return 0;
}

/* The first of these that is a file (and executable, if exec): each REL
 * of rels[] relative to this program's directory, then abs_dir/name.
 * 0, or -ENOENT. */
static int find_near(const char *const *rels, const char *abs_dir, const char *name, int exec,
		     char *out)
{
	char dir[PATH_MAX];

	if (!own_dir(dir))
		for (; *rels; rels++)
			if (**rels && !try_file(dir, *rels, out) && (!exec || !access(out, X_OK)))
				return 0;
	if (abs_dir[0] && !try_file(abs_dir, name, out) && (!exec || !access(out, X_OK)))
		return 0;
	return -ENOENT;
}

/* Finds the library: next to this program in the build tree, then in the
 * installed layout relative to it (so a relocated install works), then
 * at the configured absolute path.  0, or -ENOENT.  (An absolute libdir
 * is outside the prefix: no relative candidate.) */
static int find_library(char *out)
{
	const char *const rels[] = {
		"../engine/" LIB_NAME,
		MTCP_LIBDIR_REL[0] && MTCP_LIBDIR_REL[0] != '/' ? "../" MTCP_LIBDIR_REL "/" LIB_NAME
								   : "",
		NULL
	};

	return find_near(rels, MTCP_LIBDIR_ABS, LIB_NAME, 0, out);
}

/* Finds mtcp_restart as find_library() finds the library: next to this
 * program's directory in the build tree (../restart/), beside it (an
 * install: both go to bindir), then in the configured bindir.  0, or
 * -ENOENT. */
static int find_restart(char *out)
{
	static const char *const rels[] = { "../restart/" RESTART_NAME, RESTART_NAME, NULL };

	return find_near(rels, MTCP_BINDIR_ABS, RESTART_NAME, 1, out);
}

/* What execve() would say about this candidate: 0, -EACCES, -EISDIR,
 * -ENOENT, ... */
static int check_executable(const char *path)
{
	struct stat st;

	if (stat(path, &st))
		return -errno;
	if (S_ISDIR(st.st_mode))
		return -EISDIR;
	if (!S_ISREG(st.st_mode))
		return -EACCES;
	if (faccessat(AT_FDCWD, path, X_OK, AT_EACCESS))
		return -errno;
	return 0;
}

/* Finds the file execvp() would run: a name with a '/' as it is, else the
 * first executable one along PATH.  Like execvp(), a match that cannot be
 * executed is skipped but turns the final "not found" into -EACCES.
 * 0 with the path in out, or -errno. */
static int find_program(const char *name, char *out, size_t len)
{
	const char *path, *p;
	int rc, seen_denied = 0;

	if (!*name)
		return -ENOENT;
	if (strchr(name, '/')) {
		if (strlen(name) >= len)
			return -ENAMETOOLONG;
		strcpy(out, name);
		return check_executable(out);
	}
	path = getenv("PATH");
	if (!path)
		path = DEFAULT_PATH;
	for (p = path;; p++) {
		const char *end = strchrnul(p, ':');
		size_t dlen = (size_t)(end - p);
		/* An empty element means the current directory. */
		const char *dir = dlen ? p : ".";
		int n = snprintf(out, len, "%.*s/%s", dlen ? (int)dlen : 1, dir, name);

		if (n >= 0 && (size_t)n < len) {
			rc = check_executable(out);
			if (!rc)
				return 0;
			if (rc == -EACCES || rc == -EISDIR)
				seen_denied = 1;
		}
		p = end;
		if (!*p)
			break;
	}
	return seen_denied ? -EACCES : -ENOENT;
}

/* Refuses what the checkpointer cannot enter through LD_PRELOAD: 0 if the
 * program may run, -ENOEXEC with *why set if not, or -errno. */
static int check_program(const char *path, const char **why)
{
	union {
		unsigned char ident[EI_NIDENT];
		Elf64_Ehdr eh;
	} h;
	static Elf64_Phdr ph[65536 / sizeof(Elf64_Phdr)];
	struct stat st;
	ssize_t n;
	size_t i, size;
	int fd;

	if (stat(path, &st))
		return -errno;
	/* The loader runs these in secure mode, which ignores LD_PRELOAD
	 * paths with a '/'. */
	if (st.st_mode & S_ISUID) {
		*why = "is setuid; the dynamic loader ignores LD_PRELOAD for it";
		return -ENOEXEC;
	}
	/* Without group execute, the setgid bit means mandatory locking. */
	if ((st.st_mode & S_ISGID) && (st.st_mode & S_IXGRP)) {
		*why = "is setgid; the dynamic loader ignores LD_PRELOAD for it";
		return -ENOEXEC;
	}
	if (getxattr(path, "security.capability", NULL, 0) > 0) {
		*why = "has file capabilities; the dynamic loader ignores LD_PRELOAD for it";
		return -ENOEXEC;
	}

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0; /* execute-only: cannot look inside, let execve() judge */
	n = pread(fd, &h, sizeof(h), 0);
	if (n < 0) {
		int err = -errno;
		close(fd);
		return err;
	}
	/* Scripts (#!) and anything not ELF go to execve() as they are. */
	if ((size_t)n < SELFMAG || memcmp(h.ident, ELFMAG, SELFMAG)) {
		close(fd);
		return 0;
	}
	if ((size_t)n < EI_NIDENT || h.ident[EI_CLASS] != ELFCLASS64) {
		close(fd);
		*why = "is not an x86_64 program (32-bit ELF); libmtcp-fast is x86_64 only";
		return -ENOEXEC;
	}
	if ((size_t)n < sizeof(h.eh) || h.ident[EI_DATA] != ELFDATA2LSB ||
	    h.eh.e_machine != EM_X86_64) {
		close(fd);
		*why = "is not an x86_64 program; libmtcp-fast is x86_64 only";
		return -ENOEXEC;
	}
	/* The kernel refuses more than 64 KiB of program headers too. */
	if (h.eh.e_phentsize != sizeof(Elf64_Phdr) || h.eh.e_phnum == 0 ||
	    h.eh.e_phnum > sizeof(ph) / sizeof(ph[0])) {
		close(fd);
		*why = "has malformed ELF program headers";
		return -ENOEXEC;
	}
	size = (size_t)h.eh.e_phnum * sizeof(Elf64_Phdr);
	n = pread(fd, ph, size, (off_t)h.eh.e_phoff);
	close(fd);
	if (n < 0)
		return -errno;
	if ((size_t)n != size) {
		*why = "has malformed ELF program headers";
		return -ENOEXEC;
	}
	for (i = 0; i < h.eh.e_phnum; i++)
		if (ph[i].p_type == PT_INTERP)
			return 0;
	*why = "is statically linked (no ELF interpreter), so LD_PRELOAD cannot load "
	       "libmtcp-fast into it";
	return -ENOEXEC;
}

/* A "#!" script?  (An execute-only file cannot be read: no.) */
static int is_script(const char *path)
{
	char head[2];
	int fd = open(path, O_RDONLY | O_CLOEXEC), is;

	if (fd < 0)
		return 0;
	is = pread(fd, head, 2, 0) == 2 && head[0] == '#' && head[1] == '!';
	close(fd);
	return is;
}

/* The library first, then whatever the user preloads already. */
static void set_preload(const char *lib)
{
	const char *old = getenv("LD_PRELOAD");
	char *value;

	if (old && *old) {
		size_t len = strlen(lib) + 1 + strlen(old) + 1;
		value = malloc(len);
		if (!value)
			die(EXIT_USAGE, "out of memory");
		snprintf(value, len, "%s:%s", lib, old);
	} else {
		value = strdup(lib);
		if (!value)
			die(EXIT_USAGE, "out of memory");
	}
	if (setenv("LD_PRELOAD", value, 1))
		die(EXIT_USAGE, "cannot set LD_PRELOAD: %s", strerror(errno));
	free(value);
}

static void set_env(const char *name, const char *value)
{
	if (setenv(name, value, 1))
		die(EXIT_USAGE, "cannot set %s: %s", name, strerror(errno));
}

/* The absolute path of a writable directory, or a usage error. */
static void check_dir(const char *dir, char *out)
{
	struct stat st;

	if (!realpath(dir, out))
		die(EXIT_USAGE, "--dir %s: %s", dir, strerror(errno));
	if (stat(out, &st))
		die(EXIT_USAGE, "--dir %s: %s", dir, strerror(errno));
	if (!S_ISDIR(st.st_mode))
		die(EXIT_USAGE, "--dir %s: %s", dir, strerror(ENOTDIR));
	if (faccessat(AT_FDCWD, out, W_OK | X_OK, AT_EACCESS))
		die(EXIT_USAGE, "--dir %s: not writable: %s", dir, strerror(errno));
}

/* The directory the library will write into (--dir, else MTCP_DIR, else
 * the current one) passes the library's own checks now, or the program
 * does not run: the same line the library would print at start-up.  Its
 * absolute path goes to out (PATH_MAX bytes). */
static void check_image_dir(const char *dir, char *out)
{
	char err[PATH_MAX + 256];
	int tmpfile_ok;

	if (!dir) {
		const char *env = getenv("MTCP_DIR");
		const char *d = env && *env ? env : ".";
		if (!realpath(d, out))
			die(EXIT_REFUSED_DIR, "image directory %s: %s", d, strerror(errno));
	} else {
		snprintf(out, PATH_MAX, "%s", dir);
	}
	if (imgdir_check(out, &tmpfile_ok, err, sizeof(err)))
		die(EXIT_REFUSED_DIR, "%s", err);
}

/* --on-term[=SIG]: MTCP_ON_TERM's value ("1", or the signal's name: the
 * variable takes names only), or a usage error.  ckpt_sig: the checkpoint
 * signal the library will use, which cannot be this one too. */
static void on_term_value(const char *arg, int ckpt_sig, char *out, unsigned len)
{
	char name[32];
	int sig;

	if (!arg) {
		snprintf(out, len, "1");
		sig = SIGTERM;
	} else if (opt_parse_signal(arg, &sig) || opt_check_term_signal(sig)) {
		die(EXIT_USAGE, "invalid --on-term '%s' (a signal that ends the program, as a "
		    "number or a name such as TERM, USR1 or RTMIN+3; not KILL STOP SEGV BUS ILL "
		    "FPE ABRT TRAP CHLD CONT TSTP TTIN TTOU URG WINCH)", arg);
	} else {
		opt_signal_name(sig, out, len);
	}
	if (sig == ckpt_sig)
		die(EXIT_USAGE, "--on-term%s%s: %s is the checkpoint signal (--signal, MTCP_SIGNAL "
		    "or the default); choose another", arg ? "=" : "", arg ? arg : "",
		    opt_signal_name(sig, name, sizeof(name)));
}

/* The checkpoint signal the library will use: --signal, else MTCP_SIGNAL
 * if the library can read it, else the default. */
static int checkpoint_signal(int sig)
{
	const char *env = getenv("MTCP_SIGNAL");

	if (sig)
		return sig;
	if (env && *env && !opt_parse_signal(env, &sig))
		return sig;
	return MTCP_DEFAULT_SIGNAL;
}

/*
 * --resume: restarts (by executing mtcp_restart IMAGE in this process,
 * which keeps mtcp_launch's pid) the newest image of the program in `dir`
 * that verifies; returns only when `dir` holds no image of it.
 */
static void resume(const char *dir, const char *prog_arg, const char *prog)
{
	char exe[PATH_MAX], restart[PATH_MAX], err[PATH_MAX + 256], id[9];
	const char *env = getenv("MTCP_RESTART");
	struct resume_set set;
	int rc, i;

	if (!realpath(prog, exe))
		die(EXIT_CANNOT_EXEC, "%s: %s", prog_arg, strerror(errno));
	rc = resume_scan(dir, exe, &set, err, sizeof(err));
	if (rc)
		die(rc == -ENOMEM ? EXIT_USAGE : EXIT_REFUSED_DIR, "%s", err);
	if (!set.n) {
		fprintf(stderr, PROG ": no image of %s in %s; starting it\n", exe, dir);
		return;
	}
	if (env && *env) {
		rc = resolve_file(env, restart);
		if (!rc && access(restart, X_OK))
			rc = -errno;
		if (rc)
			die(EXIT_USAGE, "MTCP_RESTART=%s: %s", env, strerror(-rc));
	} else if (find_restart(restart)) {
		die(EXIT_USAGE, "cannot find " RESTART_NAME " (set MTCP_RESTART)");
	}
	i = resume_try(dir, &set, restart);
	if (i == -2)
		exit(EXIT_CANNOT_EXEC);
	if (i < 0) {
		fprintf(stderr, PROG ": no image of %s in %s verifies (%u of launch %s tried, "
			"each named above", exe, dir, set.n, resume_id_hex(set.c[0].launch_id, id));
		if (set.older_launches)
			fprintf(stderr, "; %u of older launches not tried", set.older_launches);
		fprintf(stderr, "); not starting it\n");
		resume_free(&set);
		exit(EXIT_NO_IMAGE_VERIFIES);
	}
	snprintf(err, sizeof(err), "%s/%s", dir, set.c[i].name);
	fprintf(stderr, PROG ": resuming from %s (launch %s, seq %llu)\n", err,
		resume_id_hex(set.c[i].launch_id, id), (unsigned long long)set.c[i].seq);
	fflush(NULL);
	{
		char *argv[] = { restart, err, NULL };
		execv(restart, argv);
	}
	rc = errno;
	die(EXIT_CANNOT_EXEC, "%s: cannot execute: %s", restart, strerror(rc));
}

int main(int argc, char **argv)
{
	static char dir[PATH_MAX], img_dir[PATH_MAX], lib[PATH_MAX], prog[PATH_MAX];
	const char *dir_arg = NULL, *interval_arg = NULL, *on_term_arg = NULL, *why = NULL;
	char keep_str[16], signal_str[16], pid_str[16], on_term_str[32];
	int sig = 0, keep = 0, inherit = 0, strict = 0, do_resume = 0, on_term = 0, opt, rc;
	double interval;

	opterr = 0; /* getopt's messages would start with argv[0], not PROG */
	for (;;) {
		/* The word getopt looks at: "+" stops permuting, so on an error
		 * it holds the bad option. */
		int cur = optind;

		opt = getopt_long(argc, argv, "+:h", long_options, NULL);
		if (opt == -1)
			break;
		switch (opt) {
		case OPT_DIR:
			dir_arg = optarg;
			break;
		case OPT_INTERVAL:
			if (opt_parse_interval(optarg, &interval))
				die(EXIT_USAGE,
				    "invalid --interval '%s' (seconds, 0 to %.0f, e.g. 0.5)",
				    optarg, OPT_SECONDS_MAX);
			interval_arg = optarg;
			break;
		case OPT_SIGNAL:
			if (opt_parse_signal(optarg, &sig))
				die(EXIT_USAGE,
				    "invalid --signal '%s' (a number or name such as USR2 or "
				    "RTMIN+3; not KILL STOP SEGV BUS ILL FPE ABRT TRAP CHLD CONT)",
				    optarg);
			break;
		case OPT_KEEP:
			if (opt_parse_keep(optarg, &keep))
				die(EXIT_USAGE, "invalid --keep '%s' (1 to %d)", optarg,
				    OPT_KEEP_MAX);
			break;
		case OPT_INHERIT:
			inherit = 1;
			break;
		case OPT_STRICT:
			strict = 1;
			break;
		case OPT_RESUME:
			do_resume = 1;
			break;
		case OPT_ON_TERM:
			on_term = 1;
			on_term_arg = optarg; /* NULL: --on-term alone */
			break;
		case 'h':
			usage(stdout);
			return 0;
		case OPT_VERSION:
			printf(PROG " (libmtcp-fast) " MTCP_VERSION_STRING "\n");
			return 0;
		case ':':
			die(EXIT_USAGE, "option '%s' needs a value (see --help)",
			    cur < argc ? argv[cur] : "?");
		default:
			die(EXIT_USAGE, "invalid option '%s' (see --help)",
			    cur < argc ? argv[cur] : "?");
		}
	}
	if (on_term)
		on_term_value(on_term_arg, checkpoint_signal(sig), on_term_str,
			      sizeof(on_term_str));
	if (optind >= argc)
		die(EXIT_USAGE, "no PROGRAM given (see --help)");
	if (dir_arg)
		check_dir(dir_arg, dir);
	check_image_dir(dir_arg ? dir : NULL, img_dir);

	rc = find_program(argv[optind], prog, sizeof(prog));
	if (rc == -ENOENT && !strchr(argv[optind], '/'))
		die(EXIT_NOT_FOUND, "%s: command not found", argv[optind]);
	if (rc == -ENOENT || rc == -ENOTDIR)
		die(EXIT_NOT_FOUND, "%s: %s", argv[optind], strerror(-rc));
	if (rc)
		die(EXIT_CANNOT_EXEC, "%s: %s", argv[optind], strerror(-rc));
	rc = check_program(prog, &why);
	if (rc == -ENOEXEC)
		die(EXIT_CANNOT_EXEC, "%s %s", argv[optind], why);
	if (rc)
		die(EXIT_CANNOT_EXEC, "%s: %s", argv[optind], strerror(-rc));
	/* An image records the executable that ran at the checkpoint: a
	 * script's interpreter, or what the script executed, never the
	 * script.  --resume would start it afresh every time. */
	if (do_resume && is_script(prog))
		die(EXIT_USAGE, "--resume: %s is a #! script, and an image records the program "
		    "that ran at the checkpoint (the interpreter, or what the script executes), "
		    "never the script: give that program as PROGRAM", argv[optind]);
	/* returns only if there is no image of PROGRAM to restart */
	if (do_resume)
		resume(img_dir, argv[optind], prog);

	if (getenv("MTCP_LIBRARY") && *getenv("MTCP_LIBRARY")) {
		const char *env = getenv("MTCP_LIBRARY");
		rc = resolve_file(env, lib);
		if (rc)
			die(EXIT_USAGE, "MTCP_LIBRARY=%s: %s", env, strerror(-rc));
	} else if (find_library(lib)) {
		die(EXIT_USAGE, "cannot find " LIB_NAME " (set MTCP_LIBRARY)");
	}
	/* The loader splits LD_PRELOAD at both. */
	if (strpbrk(lib, ": "))
		die(EXIT_USAGE, "%s: a library path with ':' or ' ' cannot go into LD_PRELOAD",
		    lib);

	set_preload(lib);
	if (dir_arg)
		set_env("MTCP_DIR", dir);
	/* As given: the library parses it with the same parser. */
	if (interval_arg)
		set_env("MTCP_INTERVAL", interval_arg);
	if (sig) {
		snprintf(signal_str, sizeof(signal_str), "%d", sig);
		set_env("MTCP_SIGNAL", signal_str);
	}
	if (keep) {
		snprintf(keep_str, sizeof(keep_str), "%d", keep);
		set_env("MTCP_KEEP", keep_str);
	}
	if (inherit)
		set_env("MTCP_INHERIT", "1");
	if (strict)
		set_env("MTCP_STRICT", "1");
	if (on_term)
		set_env("MTCP_ON_TERM", on_term_str);
	/* PROGRAM runs as this process: the library starts in this pid, and
	 * again after an exec in it, and nowhere else (unless --inherit). */
	snprintf(pid_str, sizeof(pid_str), "%d", (int)getpid());
	set_env(MTCP_LAUNCH_PID_ENV, pid_str);

	execv(prog, &argv[optind]);
	rc = errno;
	/* The file was there a moment ago: ENOENT now is its interpreter. */
	die(rc == ENOENT ? EXIT_NOT_FOUND : EXIT_CANNOT_EXEC, "%s: cannot execute: %s",
	    argv[optind], strerror(rc));
}
