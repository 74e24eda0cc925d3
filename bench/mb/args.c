/* SPDX-License-Identifier: MIT */
/*
 * args.c: mtcp-bench's command line and its usage text.
 */
#include "args.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define M_MEMORY (1u << MB_MEMORY)
#define M_THREADS (1u << MB_THREADS)
#define M_NPB (1u << MB_NPB)
#define M_TARGETS (1u << MB_TARGETS)
#define M_ALL (M_MEMORY | M_THREADS | M_NPB | M_TARGETS)

static const char *const mode_names[MB_MODES] = { "memory", "threads", "npb", "targets" };
static const char *const kind_names[] = { "random", "zero", "heap", "sparse" };
static const char *const target_names[TG_COUNT] = { "random", "zero",    "sparse", "threads",
						    "libs",   "rewrite", "empty",  "growth" };

const char *mb_mode_name(enum mb_mode m)
{
	return mode_names[m];
}

const char *mb_kind_name(enum mb_kind k)
{
	return kind_names[k];
}

const char *mb_target_name(enum mb_target t)
{
	return target_names[t];
}

__attribute__((format(printf, 3, 4))) static int bad(char *err, size_t n, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, n, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* a strict decimal integer in [min, max] */
static int parse_long(const char *s, long min, long max, long *out)
{
	char *end;
	long v;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

/* seconds: digits with at most one '.', more than 0, at most max */
static int parse_secs(const char *s, double max, double *out)
{
	int digits = 0, dots = 0;
	char *end;

	for (const char *p = s; *p; p++) {
		if (*p == '.')
			dots++;
		else if (*p >= '0' && *p <= '9')
			digits++;
		else
			return -EINVAL;
	}
	if (!digits || dots > 1)
		return -EINVAL;
	*out = strtod(s, &end);
	return *end || *out <= 0 || *out > max ? -EINVAL : 0;
}

/* "S,W,A,B" (any case, each once) -> "SWAB" */
static int parse_classes(const char *s, char out[MB_CLASSES_MAX + 1])
{
	size_t n = 0;

	out[0] = 0;
	for (const char *p = s;; p++) {
		char c = *p >= 'a' && *p <= 'z' ? (char)(*p - 'a' + 'A') : *p;

		if (!c || !strchr(MB_CLASSES, c) || strchr(out, c) || n == MB_CLASSES_MAX)
			return -EINVAL;
		out[n++] = c;
		out[n] = 0;
		if (p[1] == 0)
			return 0;
		if (p[1] != ',' || p[2] == 0)
			return -EINVAL;
		p++;
	}
}

/* "random,empty" -> a mask of 1u << TG_*, each name at most once */
static int parse_only(const char *s, unsigned *out)
{
	*out = 0;
	for (const char *p = s;;) {
		size_t len = strcspn(p, ","), t;

		for (t = 0; t < TG_COUNT; t++)
			if (strlen(target_names[t]) == len && !strncmp(p, target_names[t], len))
				break;
		if (t == TG_COUNT || (*out & (1u << t)))
			return -EINVAL;
		*out |= 1u << t;
		if (!p[len])
			return 0;
		p += len + 1;
	}
}

/* "256,1024" -> increasing MiB, each 1..MB_MIB_MAX, at most MB_GROWTH_MAX */
static int parse_sizes(const char *s, long *out, size_t *n)
{
	char buf[32];

	*n = 0;
	for (const char *p = s;;) {
		size_t len = strcspn(p, ",");
		long v;

		if (len == 0 || len >= sizeof buf || *n == MB_GROWTH_MAX)
			return -EINVAL;
		memcpy(buf, p, len);
		buf[len] = 0;
		if (parse_long(buf, 1, MB_MIB_MAX, &v) || (*n && v <= out[*n - 1]))
			return -EINVAL;
		out[(*n)++] = v;
		if (!p[len])
			return 0;
		p += len + 1;
	}
}

/* "0.1,1,10,50" -> increasing percentages, each above 0 and at most 100, at most MB_INCR_MAX */
static int parse_pcts(const char *s, double *out, size_t *n)
{
	char buf[32];

	*n = 0;
	for (const char *p = s;;) {
		size_t len = strcspn(p, ",");
		double v;

		if (len == 0 || len >= sizeof buf || *n == MB_INCR_MAX)
			return -EINVAL;
		memcpy(buf, p, len);
		buf[len] = 0;
		if (parse_secs(buf, 100.0, &v) || (*n && v <= out[*n - 1]))
			return -EINVAL;
		out[(*n)++] = v;
		if (!p[len])
			return 0;
		p += len + 1;
	}
}

enum opt_id { O_FROM, O_TO, O_KIND, O_RUNS, O_DIR, O_OUT, O_COMPARE, O_TOOLS, O_CLASS,
	      O_BINARY, O_DELAY, O_COW, O_ONLY, O_SIZE, O_THREADS, O_GROWTH, O_INTERVAL,
	      O_INCR, O_SCAN, O_INCREMENTS, O_ON_TERM, O_GRACE };

static const struct {
	const char *name;
	unsigned modes;
} opts[] = {
	[O_FROM] = { "--from", M_MEMORY | M_THREADS },
	[O_TO] = { "--to", M_MEMORY | M_THREADS },
	[O_KIND] = { "--kind", M_MEMORY },
	[O_RUNS] = { "--runs", M_ALL },
	[O_DIR] = { "--dir", M_ALL },
	[O_OUT] = { "--out", M_ALL },
	[O_COMPARE] = { "--compare", M_ALL },
	[O_TOOLS] = { "--tools", M_ALL },
	[O_CLASS] = { "--class", M_NPB },
	[O_BINARY] = { "--binary", M_NPB },
	[O_DELAY] = { "--delay", M_NPB },
	[O_COW] = { "--cow", M_MEMORY | M_THREADS | M_TARGETS | M_NPB },
	[O_ONLY] = { "--only", M_TARGETS },
	[O_SIZE] = { "--size-mb", M_TARGETS | M_MEMORY },
	[O_THREADS] = { "--threads", M_TARGETS },
	[O_GROWTH] = { "--growth-sizes", M_TARGETS },
	[O_INTERVAL] = { "--interval", M_NPB },
	[O_INCR] = { "--incremental", M_MEMORY },
	[O_SCAN] = { "--scan-mb", M_MEMORY },
	[O_INCREMENTS] = { "--increments", M_MEMORY },
	[O_ON_TERM] = { "--on-term", M_MEMORY },
	[O_GRACE] = { "--grace", M_MEMORY },
};
#define NOPTS (sizeof opts / sizeof opts[0])

static int set_opt(struct mb_opts *o, enum opt_id id, const char *v, int *given, char *err,
		   size_t n)
{
	long l;

	switch (id) {
	case O_FROM:
	case O_TO: {
		long max = o->mode == MB_MEMORY ? MB_MIB_MAX : MB_THREADS_MAX;

		if (parse_long(v, 1, max, &l))
			return bad(err, n, "invalid %s '%s' (%s, 1 to %ld)", opts[id].name, v,
				   o->mode == MB_MEMORY ? "MiB" : "threads", max);
		*(id == O_FROM ? &o->from : &o->to) = l;
		break;
	}
	case O_KIND: {
		size_t k;

		for (k = 0; k < sizeof kind_names / sizeof kind_names[0]; k++)
			if (!strcmp(v, kind_names[k]))
				break;
		if (k == sizeof kind_names / sizeof kind_names[0])
			return bad(err, n, "invalid --kind '%s' (random, zero, heap or sparse)", v);
		o->kind = (enum mb_kind)k;
		break;
	}
	case O_RUNS:
		if (parse_long(v, 1, MB_RUNS_MAX, &l))
			return bad(err, n, "invalid --runs '%s' (a count from 1 to %u)", v,
				   MB_RUNS_MAX);
		o->runs = (unsigned)l;
		break;
	case O_DIR:
	case O_OUT:
	case O_TOOLS:
	case O_BINARY:
		if (!*v)
			return bad(err, n, "%s needs a value (--help for usage)", opts[id].name);
		*(id == O_DIR ? &o->dir : id == O_OUT ? &o->out : id == O_TOOLS ? &o->tools :
		  &o->binary) = v;
		break;
	case O_COMPARE:
		if (strcmp(v, "criu"))
			return bad(err, n, "invalid --compare '%s' (only: criu)", v);
		o->criu = 1;
		break;
	case O_CLASS:
		if (parse_classes(v, o->classes))
			return bad(err, n, "invalid --class '%s' (a comma-separated list of S, W, A,"
				   " B, each at most once)", v);
		break;
	case O_DELAY:
		if (parse_secs(v, MB_DELAY_MAX, &o->delay))
			return bad(err, n, "invalid --delay '%s' (seconds, more than 0, at most %.0f)",
				   v, MB_DELAY_MAX);
		break;
	case O_INTERVAL:
		if (parse_secs(v, MB_INTERVAL_MAX, &o->interval))
			return bad(err, n, "invalid --interval '%s' (seconds, more than 0, at most %.0f)",
				   v, MB_INTERVAL_MAX);
		break;
	case O_COW:
		if (!strcmp(v, "stw"))
			o->cow = MB_COW_STW;
		else if (!strcmp(v, "cow"))
			o->cow = MB_COW_COW;
		else if (!strcmp(v, "both"))
			o->cow = MB_COW_BOTH;
		else
			return bad(err, n, "invalid --cow '%s' (stw, cow or both)", v);
		break;
	case O_ONLY:
		if (parse_only(v, &o->only))
			return bad(err, n, "invalid --only '%s' (a comma-separated list of random, zero,"
				   " sparse, threads, libs, rewrite, empty, growth, each at most"
				   " once)", v);
		break;
	case O_SIZE:
		if (parse_long(v, 1, MB_SIZE_MAX, &l))
			return bad(err, n, "invalid --size-mb '%s' (MiB, 1 to %ld)", v, MB_SIZE_MAX);
		o->size_mb = l;
		break;
	case O_THREADS:
		if (parse_long(v, 1, MB_THREADS_MAX, &l))
			return bad(err, n, "invalid --threads '%s' (1 to %ld)", v, MB_THREADS_MAX);
		o->threads = l;
		break;
	case O_INCR:
		if (parse_pcts(v, o->incr_pct, &o->nincr))
			return bad(err, n, "invalid --incremental '%s' (a comma-separated list of"
				   " percentages, increasing, each above 0 and at most 100, at most"
				   " %d)", v, MB_INCR_MAX);
		o->incremental = 1;
		break;
	case O_SCAN:
		if (parse_long(v, 0, MB_SIZE_MAX, &l))
			return bad(err, n, "invalid --scan-mb '%s' (MiB, 0 to %ld; 0: no scan rows)", v,
				   MB_SIZE_MAX);
		o->scan_mb = l;
		break;
	case O_INCREMENTS:
		if (parse_long(v, 1, MB_INCREMENTS_MAX, &l))
			return bad(err, n, "invalid --increments '%s' (1 to %d)", v, MB_INCREMENTS_MAX);
		o->increments = (unsigned)l;
		break;
	case O_ON_TERM:
		if (parse_pcts(v, o->term_pct, &o->nterm))
			return bad(err, n, "invalid --on-term '%s' (a comma-separated list of"
				   " percentages, increasing, each above 0 and at most 100, at most"
				   " %d)", v, MB_INCR_MAX);
		o->on_term = 1;
		break;
	case O_GRACE:
		if (parse_secs(v, MB_GRACE_MAX, &o->grace))
			return bad(err, n, "invalid --grace '%s' (seconds, more than 0, at most %.0f)",
				   v, MB_GRACE_MAX);
		break;
	case O_GROWTH:
		if (parse_sizes(v, o->growth, &o->ngrowth))
			return bad(err, n, "invalid --growth-sizes '%s' (a comma-separated list of"
				   " MiB, increasing, each 1 to %ld, at most %d)", v, MB_MIB_MAX,
				   MB_GROWTH_MAX);
		break;
	}
	given[id] = 1;
	return 0;
}

int mb_args_parse(int argc, char **argv, struct mb_opts *o, char *err, size_t n)
{
	int given[NOPTS] = { 0 };
	int m, rc;

	memset(o, 0, sizeof *o);
	o->runs = MB_RUNS;
	o->dir = MB_DIR;
	o->delay = -1;
	memcpy(o->classes, MB_CLASSES, sizeof MB_CLASSES);
	{
		static const long sizes[] = MB_GROWTH_SIZES;

		o->ngrowth = sizeof sizes / sizeof sizes[0];
		memcpy(o->growth, sizes, sizeof sizes);
	}
	o->size_mb = MB_TARGET_SIZE;
	o->threads = MB_TARGET_THREADS;
	o->scan_mb = MB_INCR_SCAN_MB;
	o->increments = MB_INCREMENTS;
	o->grace = MB_GRACE;
	o->only = (1u << TG_COUNT) - 1;
	*err = 0;
	if (argc < 2)
		return bad(err, n, "no mode given: memory, threads, npb or targets (--help for usage)");
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		o->help = 1;
		o->mode = (enum mb_mode)-1;
		return 0;
	}
	for (m = 0; m < MB_MODES && strcmp(argv[1], mode_names[m]); m++)
		;
	if (m == MB_MODES)
		return bad(err, n, "unknown mode '%s' (memory, threads, npb or targets; --help for"
			   " usage)", argv[1]);
	o->mode = (enum mb_mode)m;
	for (int i = 2; i < argc; i++) {
		const char *a = argv[i], *eq, *v;
		size_t len, id;

		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			o->help = 1;
			continue;
		}
		if (!strcmp(a, "--")) {
			if (!given[O_BINARY])
				return bad(err, n, "'--' comes only after --binary PATH (ARGS of"
					   " the program)");
			o->bin_args = argv + i + 1;
			o->bin_nargs = argc - i - 1;
			break;
		}
		if (strncmp(a, "--", 2))
			return bad(err, n, "unexpected argument '%s' (--help for usage)", a);
		eq = strchr(a, '=');
		len = eq ? (size_t)(eq - a) : strlen(a);
		for (id = 0; id < NOPTS; id++)
			if (strlen(opts[id].name) == len && !strncmp(a, opts[id].name, len))
				break;
		if (id == NOPTS)
			return bad(err, n, "unknown option '%.*s' (--help for usage)", (int)len, a);
		if (!(opts[id].modes & (1u << m)))
			return bad(err, n, "%s is not an option of %s (--help for usage)",
				   opts[id].name, mode_names[m]);
		if (eq) {
			v = eq + 1;
		} else if (id == O_INCR && (i + 1 == argc || !strncmp(argv[i + 1], "--", 2))) {
			v = MB_INCR_POINTS; /* --incremental alone: the default points */
		} else if (id == O_ON_TERM && (i + 1 == argc || !strncmp(argv[i + 1], "--", 2))) {
			v = MB_TERM_POINTS; /* --on-term alone: the default increments */
		} else if (i + 1 < argc) {
			v = argv[++i];
		} else {
			return bad(err, n, "%s needs a value (--help for usage)", opts[id].name);
		}
		rc = set_opt(o, (enum opt_id)id, v, given, err, n);
		if (rc)
			return rc;
	}
	if (o->help)
		return 0;
	if (o->mode == MB_MEMORY || o->mode == MB_THREADS) {
		long dfrom = o->mode == MB_MEMORY ? MB_MEMORY_FROM : MB_THREADS_FROM;
		long dto = o->mode == MB_MEMORY ? MB_MEMORY_TO : MB_THREADS_TO;

		if (!given[O_FROM])
			o->from = dfrom;
		if (!given[O_TO])
			o->to = given[O_FROM] && o->from > dto ? o->from : dto;
		if (o->from > o->to)
			return bad(err, n, "--from %ld is above --to %ld", o->from, o->to);
	}
	if (o->mode == MB_TARGETS && !given[O_COW])
		o->cow = MB_COW_BOTH;
	if (o->mode == MB_MEMORY && o->incremental && o->on_term)
		return bad(err, n, "--incremental and --on-term exclude each other");
	if (o->mode == MB_MEMORY && !o->on_term && given[O_GRACE])
		return bad(err, n, "--grace in memory goes with --on-term");
	if (o->mode == MB_MEMORY && o->on_term) {
		static const enum opt_id not_term[] = { O_FROM, O_TO, O_KIND, O_SCAN, O_INCREMENTS };

		for (size_t k = 0; k < sizeof not_term / sizeof not_term[0]; k++)
			if (given[not_term[k]])
				return bad(err, n, "%s does not go with --on-term (--size-mb gives"
					   " the program's MiB; the kinds are random and heap)",
					   opts[not_term[k]].name);
		if (o->criu)
			return bad(err, n, "--compare criu does not go with --on-term");
		if (!given[O_SIZE])
			o->size_mb = MB_TERM_SIZE;
		if (!given[O_COW])
			o->cow = MB_COW_BOTH;
	}
	if (o->mode == MB_MEMORY && !o->incremental && !o->on_term) {
		static const enum opt_id only_incr[] = { O_SIZE, O_SCAN, O_INCREMENTS };

		for (size_t k = 0; k < sizeof only_incr / sizeof only_incr[0]; k++)
			if (given[only_incr[k]])
				return bad(err, n, "%s in memory goes with --incremental%s",
					   opts[only_incr[k]].name,
					   only_incr[k] == O_SIZE ? " or --on-term" : "");
	}
	if (o->mode == MB_MEMORY && o->incremental) {
		static const enum opt_id not_incr[] = { O_FROM, O_TO, O_KIND };

		for (size_t k = 0; k < sizeof not_incr / sizeof not_incr[0]; k++)
			if (given[not_incr[k]])
				return bad(err, n, "%s does not go with --incremental (--size-mb gives"
					   " the program's MiB)", opts[not_incr[k]].name);
		if (o->criu)
			return bad(err, n, "--compare criu does not go with --incremental");
		if (!given[O_SIZE])
			o->size_mb = MB_INCR_SIZE;
		if (!given[O_COW])
			o->cow = MB_COW_BOTH;
	}
	if (o->mode == MB_NPB) {
		if (given[O_BINARY] && given[O_CLASS])
			return bad(err, n, "--class and --binary exclude each other");
		if (given[O_COW] && !given[O_INTERVAL])
			return bad(err, n, "--cow in npb goes with --interval (the checkpoint and restart"
				   " runs leave MTCP_COW as the environment has it)");
		if (given[O_INTERVAL]) {
			if (given[O_BINARY])
				return bad(err, n, "--interval and --binary exclude each other");
			if (given[O_DELAY])
				return bad(err, n, "--interval and --delay exclude each other");
			if (o->criu)
				return bad(err, n, "--compare criu does not go with --interval");
			if (!given[O_COW])
				o->cow = MB_COW_BOTH;
		}
		if (given[O_BINARY]) {
			o->classes[0] = 0;
			if (o->delay < 0)
				o->delay = MB_BINARY_DELAY;
		}
	}
	return 0;
}

static const char usage_head[] =
	"usage: mtcp-bench memory  [--from MIB] [--to MIB] [--kind random|zero|heap|sparse]\n"
	"                          [--cow stw|cow|both] COMMON\n"
	"       mtcp-bench memory  --incremental [PCT,...] [--size-mb M] [--scan-mb M]\n"
	"                          [--increments N] [--cow stw|cow|both] COMMON\n"
	"       mtcp-bench memory  --on-term [PCT,...] [--size-mb M] [--grace S]\n"
	"                          [--cow stw|cow|both] COMMON\n"
	"       mtcp-bench threads [--from N] [--to N] [--cow stw|cow|both] COMMON\n"
	"       mtcp-bench npb     [--class S,W,A,B | --binary PATH [-- ARGS]] [--delay S] COMMON\n"
	"       mtcp-bench npb     [--class S,W,A,B] --interval S [--cow stw|cow|both] COMMON\n"
	"       mtcp-bench targets [--only NAME,...] [--size-mb M] [--threads N]\n"
	"                          [--growth-sizes MIB,...] [--cow stw|cow|both] COMMON\n"
	"       mtcp-bench [MODE] --help\n"
	"COMMON: [--runs N] [--dir DIR] [--out FILE.csv] [--compare criu] [--tools DIR]\n"
	"\n"
	"memory, threads, npb: redo one experiment of the MTCP paper (Rieker, Ansel,\n"
	"Cooperman, 2006) with libmtcp-fast. targets: the project's checkpoint targets,\n"
	"one table with PASS/MISS. Progress and a summary go to stdout, results to a\n"
	"CSV file.\n";

static const char usage_memory[] =
	"\n"
	"memory (figures 2 and 6): bench_prog holds N MiB (one thread that computes, plus\n"
	"  its stall meter) under mtcp_launch; N doubles from --from to --to (default\n"
	"  64..2048; --to is added when the doubling misses it). Per run: the pause the\n"
	"  program sees (its 1 ms stall meter), the time for the image to be on disk (wall\n"
	"  time of mtcp_checkpoint --wait, which returns after fsync), the image size, the\n"
	"  restart to running (image cache dropped; until the program answers a ping), and\n"
	"  a check of every byte after the checkpoint and after the restart.\n"
	"  --kind: random (xorshift bytes, default), zero (resident zero pages), heap\n"
	"  (malloc'd objects: small integers, pointers, zero runs, ASCII words) or sparse\n"
	"  (a byte in every 64th page of N MiB).\n"
	"  --cow stw|cow|both: the program runs with MTCP_COW=0 (stop-the-world), =1\n"
	"  (copy-on-write) or each in turn in every run, the order alternating run by\n"
	"  run; the cow column of the CSV says which. Without --cow, MTCP_COW is left\n"
	"  as the environment has it (the cow column is empty).\n"
	"  --incremental [PCT,...] (issue 11; default 0.1,1,10,50): incremental images.\n"
	"  bench_prog holds --size-mb M MiB (default 1024) of random bytes under\n"
	"  mtcp_launch with MTCP_VERBOSE=1 and MTCP_FULL_EVERY=N+1; per point and side\n"
	"  (--cow, default both), each run takes a full checkpoint, then N (--increments,\n"
	"  default 7) incremental ones, each after PCT% of the pages (random whole\n"
	"  pages) got new random bytes; then one more, full, of the same memory. Per\n"
	"  increment: the image against the bytes rewritten (<= 1.1 x + 256 KiB), the\n"
	"  pause (stall meter; at 1%: <= 20 ms copy-on-write, <= 60 ms stop-the-world),\n"
	"  the library's scan time, durable; the full image's pause and first\n"
	"  protection; the restart from the last increment (the chain, depth N) against\n"
	"  the restart from the full image after it (<= 1.3 x), and (info) mtcp_restart\n"
	"  --flatten of the chain and the restart from its output. Then --scan-mb M MiB\n"
	"  (default 4096; 0: none) with 1% rewritten, random pages and one contiguous\n"
	"  window: the scan and re-protect (<= 15 ms). One table with PASS/MISS; its\n"
	"  own CSV columns (bench/mb/README.md).\n"
	"  --on-term [PCT,...] (issue 12; default 1,10): SIGTERM to a durable image.\n"
	"  bench_prog holds --size-mb M MiB (default 1024) under mtcp_launch with\n"
	"  MTCP_ON_TERM=1 (MTCP_FULL_EVERY=8, MTCP_VERBOSE=0); the driver sends it\n"
	"  SIGTERM and times until it has exited (waitpid): the library takes a final\n"
	"  checkpoint, makes it durable, says so on stderr (\"final checkpoint PATH is\n"
	"  durable (paused X ms)\") and only then passes the signal on. Rows: a full\n"
	"  image of random bytes and of heap objects (the first image of the launch),\n"
	"  and increments of random bytes: one checkpoint first (mtcp_checkpoint\n"
	"  --wait), then PCT% of the pages rewritten, then SIGTERM. Per row and side\n"
	"  (--cow, default both): SIGTERM to exit median [min..max] against --grace S\n"
	"  (default 30: Slurm's KillWait, Kubernetes' terminationGracePeriodSeconds),\n"
	"  the library's pause, the image, write()+fsync of the image's bytes in the\n"
	"  same run, and the memory that would fit in S at the rate measured (a linear\n"
	"  extrapolation). Afterwards (not timed) mtcp_restart --verify of the final\n"
	"  image (full or increment, as expected) and a restart from it (cache\n"
	"  dropped) that checks every byte. Its own CSV columns (bench/mb/README.md).\n";

static const char usage_threads[] =
	"\n"
	"threads (figure 3): bench_prog with N idle threads with default stacks; N from\n"
	"  --from to --to (default 1..1000) along 1, 2, 5, 10, 20, 50, ... (--from and\n"
	"  --to always included). The same figures as memory; every thread checks its\n"
	"  stack after the restart.\n";

static const char usage_npb[] =
	"\n"
	"npb (figure 4): for each --class (default S,W,A,B), each run: npb_lu CLASS to\n"
	"  its end without the library (its run time; the first run's final residuals\n"
	"  are the reference, later ones must equal them), then npb_lu CLASS under\n"
	"  mtcp_launch, checkpointed after half of its iterations (held there: its stdout\n"
	"  pipe fills up at that iter line), killed, restarted (cache dropped), run to its\n"
	"  end; its residuals must equal the reference to 1e-12 relative (lu_compare).\n"
	"  Checkpoint time: wall time of mtcp_checkpoint --wait (todisk); restart: from\n"
	"  starting mtcp_restart to its next iter line. --delay S: checkpoint S seconds\n"
	"  after the start instead.\n"
	"  --binary PATH [-- ARGS]: any program instead (PATH searched like execvp): run\n"
	"  to its end (twice in the first run: the output is checked only if it was the\n"
	"  same both times), then checkpointed after --delay seconds (default 1), killed,\n"
	"  restarted: it must exit with the same status and complete the same output.\n"
	"  A full default run (S, W, A, B; 5 runs, each an uninterrupted and a\n"
	"  checkpointed one) takes the better part of an hour on 2 cores, class B\n"
	"  most of it; --class S --runs 1 takes under a second.\n"
	"  --interval S (the slowdown runs, issue 10): each run instead times npb_lu\n"
	"  CLASS to its end three ways: without the library (plain), and under\n"
	"  mtcp_launch --interval S (a checkpoint every S seconds, MTCP_VERBOSE=1) with\n"
	"  MTCP_COW=0 (stw) and with MTCP_COW=1 (cow); --cow stw|cow|both (default both)\n"
	"  picks the sides. OMP_NUM_THREADS=2 unless the environment sets it. Odd runs\n"
	"  go stw, cow, plain; even runs plain, cow, stw. Every run's residuals must\n"
	"  equal the first plain run's. Per side: wall time median [min..max], the\n"
	"  slowdown (wall time / the plain run of the same run), the checkpoints taken\n"
	"  (the library's \"pause X ms\" lines on stderr) and their mean and longest\n"
	"  pause. --class B --interval 10 --runs 3: nine runs of about 2 min on 2 cores.\n";

static const char usage_targets[] =
	"\n"
	"targets: bench_prog under mtcp_launch on each workload, --runs runs each, then\n"
	"  one table: target, median [min..max], baseline, ratio, limit, PASS/MISS, and\n"
	"  the pause mtcp_checkpoint --wait reported (its \"paused X ms\" line), if any.\n"
	"  Workloads (--only, default all; they run in this order):\n"
	"    random   M MiB of random bytes: pause <= write()+fsync of the same bytes,\n"
	"             restart <= 1.25 x reading them back (baselines taken every run)\n"
	"    zero     M MiB of resident zero pages: image < 1 MiB, pause < 0.15 s\n"
	"    sparse   a 4M MiB mapping, a byte in every 64th page: image < 2 MiB,\n"
	"             pause < 0.1 s\n"
	"    threads  N idle threads (--threads, default 1000): image < 8 MiB, pause and\n"
	"             restart < 0.25 s\n"
	"    libs     M MiB of the bytes of /usr/lib/x86_64-linux-gnu/*.so*: image <= 0.5\n"
	"             x the bytes, pause <= random's pause\n"
	"    rewrite  M MiB of random bytes and a thread that writes a word in every\n"
	"             page, round and round: pause and durable against random's, and\n"
	"             (copy-on-write) the extra memory the writer held (info)\n"
	"    empty    the library and libc only: image < 1 MiB, pause < 10 ms\n"
	"    growth   random data of each --growth-sizes MiB (default 256,1024,4096,8192):\n"
	"             the pause against a bare fork of as much memory (fork_baseline),\n"
	"             per size; the copy-on-write pause grows no faster than the fork\n"
	"  M is --size-mb (default 1024; the limits stay the issue's for smaller sizes).\n"
	"  --cow (default both): each workload runs stop-the-world (MTCP_COW=0) and\n"
	"  copy-on-write in every run, the order alternating run by run; the\n"
	"  copy-on-write side is MTCP_COW=1 for random, libs, rewrite and growth and\n"
	"  MTCP_COW=auto (the default) for zero, sparse, threads and empty. With both\n"
	"  sides the table adds issue 10's rows: copy-on-write pause <= 60 ms and <= 0.1\n"
	"  x stop-the-world's, durable (mtcp_checkpoint --wait) <= 1.2 x stop-the-world's,\n"
	"  the growth slopes, and auto against stop-the-world for zero, sparse, threads\n"
	"  and empty: image <= stw + 4 KiB, pause <= 1.1 x. The copy-on-write side of\n"
	"  random and rewrite runs with MTCP_VERBOSE=1: the library's \"extra memory\"\n"
	"  (pages rewritten during the write exist twice) is shown against the data.\n";

static const char usage_common[] =
	"\n"
	"COMMON options:\n"
	"  --runs N        runs per point (default 5, 1..1000): median, min and max. Each\n"
	"                  run also takes the baselines: write_baseline --keep (plain\n"
	"                  write() of the same number of bytes + fsync) and readback_baseline\n"
	"                  (reading them back, cache dropped); odd runs checkpoint first\n"
	"                  (the --cow sides as listed: stw, cow), even runs take the\n"
	"                  baselines first (then the sides in reverse): freed memory goes\n"
	"                  back to the host, whoever runs right after a big free gets cold\n"
	"                  memory, and alternating shares that out.\n"
	"  --dir DIR       where images and baseline files go, in a private directory\n"
	"                  removed at the end (default /var/tmp; not tmpfs)\n"
	"  --out FILE.csv  one row per point (default mtcp-bench-MODE.csv); one row per run\n"
	"                  goes to FILE-runs.csv\n"
	"  --compare criu  also criu dump / criu restore (criu from PATH, as root) where it\n"
	"                  works; if not, one line says why and the rest goes on\n"
	"  --tools DIR     where mtcp_launch, mtcp_checkpoint, mtcp_restart, bench_prog,\n"
	"                  write_baseline, readback_baseline, fork_baseline and npb_lu\n"
	"                  are, all in DIR (default: $MTCP_BENCH_TOOLS, else the build tree\n"
	"                  mtcp-bench is in: ../../src/tools, ../../src/restart and\n"
	"                  ../progs from it; installed: ../libexec/libmtcp-fast)\n"
	"\n"
	"CSV columns (bench/mb/README.md; empty where not applicable):\n"
	"  mode,kind,point,unit,cow,runs,data_bytes,pause_med_s,pause_min_s,pause_max_s,\n"
	"  reported_pause_med_s,todisk_med_s,todisk_min_s,todisk_max_s,image_bytes,\n"
	"  restart_med_s,restart_min_s,restart_max_s,write_base_med_s,read_base_med_s,\n"
	"  fork_base_med_s,base_bytes,pause_ratio,todisk_ratio,restart_ratio,criu_pause_s,\n"
	"  criu_todisk_s,criu_image_bytes,criu_restart_s,extra_mem_med_bytes,\n"
	"  extra_mem_min_bytes,extra_mem_max_bytes,class,run_time_s,residual_ok,ok,\n"
	"  interval_s,ckpts_med,wall_med_s,wall_min_s,wall_max_s,slowdown_med,\n"
	"  slowdown_min,slowdown_max,mean_pause_s,max_pause_s\n"
	"  FILE-runs.csv: mode,kind,point,unit,cow,run,order,data_bytes,pause_s,\n"
	"  reported_pause_s,todisk_s,image_bytes,restart_s,write_base_s,read_base_s,\n"
	"  fork_base_s,base_bytes,criu_pause_s,criu_todisk_s,criu_image_bytes,\n"
	"  criu_restart_s,extra_mem_bytes,class,run_time_s,residual_ok,ok,interval_s,\n"
	"  ckpts,wall_s,slowdown,mean_pause_s,max_pause_s\n"
	"\n"
	"Exit status: 0 done, every check passed; 1 a failure (the reason on stderr; the\n"
	"rows done so far stay in the CSV files); 2 a bad option.\n";

void mb_usage(FILE *f, int mode)
{
	fputs(usage_head, f);
	if (mode < 0 || mode == MB_MEMORY)
		fputs(usage_memory, f);
	if (mode < 0 || mode == MB_THREADS)
		fputs(usage_threads, f);
	if (mode < 0 || mode == MB_NPB)
		fputs(usage_npb, f);
	if (mode < 0 || mode == MB_TARGETS)
		fputs(usage_targets, f);
	fputs(usage_common, f);
}
