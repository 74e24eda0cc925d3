/* SPDX-License-Identifier: MIT */
/*
 * tools.h: where the programs mtcp-bench runs are.
 *
 * --tools DIR, else the environment variable MTCP_BENCH_TOOLS=DIR: every
 * program by its name in DIR (a flat directory: an install's bin, or
 * symbolic links). Else the build tree mtcp-bench was built in, found from
 * /proc/self/exe (BUILD/bench/mb/mtcp-bench): BUILD/src/tools/mtcp_launch,
 * BUILD/src/tools/mtcp_checkpoint, BUILD/src/restart/mtcp_restart, and the
 * programs of bench/progs in BUILD/bench/progs: bench_prog, write_baseline,
 * readback_baseline, fork_baseline, npb_lu (or BUILD/bench/progs/npb/npb_lu).
 * Installed (PREFIX/bin/mtcp-bench): every program by its name in
 * PREFIX/libexec/libmtcp-fast, where `meson install` puts the bench programs
 * and symbolic links to the three tools, found relative to mtcp-bench's own
 * directory (bin/../libexec/libmtcp-fast), so a moved install works too.
 */
#ifndef MB_TOOLS_H
#define MB_TOOLS_H

#include <limits.h>
#include <stddef.h>

enum mb_tool { T_LAUNCH, T_CHECKPOINT, T_RESTART, T_PROG, T_WBASE, T_RBASE, T_FORK, T_NPB,
	       T_COUNT };

#define MB_TOOLS_ENV "MTCP_BENCH_TOOLS"

struct mb_tools {
	char path[T_COUNT][PATH_MAX];
};

/* "mtcp_launch", ... */
const char *mb_tool_name(enum mb_tool t);

/*
 * Fills t: from dir (--tools; NULL: MTCP_BENCH_TOOLS if set and not
 * empty) or from exe, the path of mtcp-bench itself (NULL:
 * /proc/self/exe). Nothing is checked here but the length.
 * @return 0; -ENAMETOOLONG or -errno of readlink, with the reason in err.
 */
int mb_tools_find(struct mb_tools *t, const char *dir, const char *exe, char *err, size_t n);

/*
 * Checks that each tool of the mask (1u << T_...) is an executable file.
 * @return 0; -ENOENT with the first missing one named in err.
 */
int mb_tools_check(const struct mb_tools *t, unsigned mask, char *err, size_t n);

#endif
