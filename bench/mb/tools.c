/* SPDX-License-Identifier: MIT */
/*
 * tools.c: the paths of the programs mtcp-bench runs.
 */
#include "tools.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Where `meson install` puts the programs mtcp-bench runs (bench/meson.build),
 * relative to the directory it installs mtcp-bench in; "" when the
 * configured directories do not allow a relative path. */
#ifndef MB_INSTALL_TOOLS_REL
#define MB_INSTALL_TOOLS_REL ""
#endif

static const struct {
	const char *name;
	const char *in_build; /* relative to the build root */
	const char *alt;      /* another place, if the first has none */
} tools[T_COUNT] = {
	[T_LAUNCH] = { "mtcp_launch", "src/tools" },
	[T_CHECKPOINT] = { "mtcp_checkpoint", "src/tools" },
	[T_RESTART] = { "mtcp_restart", "src/restart" },
	[T_PROG] = { "bench_prog", "bench/progs" },
	[T_WBASE] = { "write_baseline", "bench/progs" },
	[T_RBASE] = { "readback_baseline", "bench/progs" },
	[T_FORK] = { "fork_baseline", "bench/progs" },
	[T_NPB] = { "npb_lu", "bench/progs", "bench/progs/npb" },
};

const char *mb_tool_name(enum mb_tool t)
{
	return tools[t].name;
}

/* dirname in place: "/a/b/c" -> "/a/b"; "/a" -> "/" */
static void cut_last(char *p)
{
	char *s = strrchr(p, '/');

	if (!s)
		strcpy(p, ".");
	else if (s == p)
		p[1] = 0;
	else
		*s = 0;
}

int mb_tools_find(struct mb_tools *t, const char *dir, const char *exe, char *err, size_t n)
{
	char root[PATH_MAX];
	int flat = 1;

	if (!dir) {
		const char *e = getenv(MB_TOOLS_ENV);

		dir = e && *e ? e : NULL;
	}
	if (dir) {
		if (strlen(dir) >= sizeof root) {
			snprintf(err, n, "tools directory '%.64s...' is too long", dir);
			return -ENAMETOOLONG;
		}
		strcpy(root, dir);
	} else if (exe) {
		if (strlen(exe) >= sizeof root) {
			snprintf(err, n, "path '%.64s...' is too long", exe);
			return -ENAMETOOLONG;
		}
		strcpy(root, exe);
		flat = 0;
	} else {
		ssize_t len = readlink("/proc/self/exe", root, sizeof root - 1);

		if (len < 0) {
			snprintf(err, n, "cannot read /proc/self/exe: %s", strerror(errno));
			return -errno;
		}
		root[len] = 0;
		flat = 0;
	}
	if (!flat) {
		struct stat st;
		char inst[PATH_MAX];
		int w;

		cut_last(root); /* the directory mtcp-bench is in */
		/* installed: PREFIX/bin/mtcp-bench, the rest in one directory,
		 * PREFIX/libexec/libmtcp-fast (MB_INSTALL_TOOLS_REL from bin) */
		w = snprintf(inst, sizeof inst, "%s/%s", root, MB_INSTALL_TOOLS_REL);
		if (MB_INSTALL_TOOLS_REL[0] && w > 0 && (size_t)w < sizeof inst &&
		    !stat(inst, &st) && S_ISDIR(st.st_mode)) {
			strcpy(root, inst);
			flat = 1;
		} else { /* BUILD/bench/mb -> BUILD */
			cut_last(root);
			cut_last(root);
		}
	}
	for (int i = 0; i < T_COUNT; i++) {
		int w = flat ? snprintf(t->path[i], sizeof t->path[i], "%s/%s", root, tools[i].name) :
			       snprintf(t->path[i], sizeof t->path[i], "%s/%s/%s", root,
					tools[i].in_build, tools[i].name);

		if (w < 0 || (size_t)w >= sizeof t->path[i]) {
			snprintf(err, n, "the path of %s in '%.64s' is too long", tools[i].name, root);
			return -ENAMETOOLONG;
		}
		if (!flat && tools[i].alt && access(t->path[i], X_OK)) {
			char alt[PATH_MAX];

			w = snprintf(alt, sizeof alt, "%s/%s/%s", root, tools[i].alt, tools[i].name);
			if (w > 0 && (size_t)w < sizeof alt && !access(alt, X_OK))
				strcpy(t->path[i], alt);
		}
	}
	return 0;
}

int mb_tools_check(const struct mb_tools *t, unsigned mask, char *err, size_t n)
{
	for (int i = 0; i < T_COUNT; i++) {
		struct stat st;

		if (!(mask & (1u << i)))
			continue;
		if (stat(t->path[i], &st) || !S_ISREG(st.st_mode) || access(t->path[i], X_OK)) {
			snprintf(err, n, "%s is missing: %s is not an executable file (build it, or"
				 " name a directory that has it with --tools DIR or %s=DIR)",
				 tools[i].name, t->path[i], MB_TOOLS_ENV);
			return -ENOENT;
		}
	}
	return 0;
}
