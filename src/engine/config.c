/* SPDX-License-Identifier: MIT */
/*
 * config.c - the checkpointer's settings: defaults, then the environment
 * (MTCP_DIR, MTCP_INTERVAL, MTCP_SIGNAL, MTCP_KEEP, MTCP_SAVE_FILES), then
 * the options given to mtcp_init(), each overriding the one before.
 * The writer's settings come from the environment only (docs/tools.md):
 * MTCP_WRITE, MTCP_SCAN, MTCP_COMPRESS, MTCP_LZ4_ACCEL, MTCP_HELPERS,
 * MTCP_FILE_PAGES, MTCP_FSYNC, MTCP_DIRECT; MTCP_STRICT comes from the
 * environment or from mtcp_init() (MTCP_OPT_STRICT).
 *
 * In a setuid or setgid program (AT_SECURE) the environment belongs to
 * whoever ran it: every MTCP_* variable is ignored (secure_getenv), and
 * the image directory must come from mtcp_init() (the invoker's current
 * directory is no default there either).
 */
#include "engine.h"
#include "imgdir.h"
#include "options.h"
#include "mtcp.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/stat.h>
#include <unistd.h>

/* NULL for every variable in a setuid or setgid program. */
static const char *env(const char *name)
{
	return secure_getenv(name);
}

static int set_dir(struct mtcp_config *cfg, const char *dir, const char *what,
		   char *err, size_t errlen)
{
	char buf[PATH_MAX];
	struct stat st;

	if (!dir || !*dir) {
		snprintf(err, errlen, "%s: empty directory", what);
		return -EINVAL;
	}
	if (!realpath(dir, buf)) {
		int e = errno;
		snprintf(err, errlen, "%s=%s: %s", what, dir, strerror(e));
		return -e;
	}
	if (stat(buf, &st) || !S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "%s=%s: not a directory", what, dir);
		return -ENOTDIR;
	}
	if (strlen(buf) >= sizeof(cfg->dir) - 64) {
		snprintf(err, errlen, "%s=%s: path too long", what, dir);
		return -ENAMETOOLONG;
	}
	strcpy(cfg->dir, buf);
	return 0;
}

static int env_word(const char *name, const char *const *words, int *out, const char *expect,
		    char *err, size_t errlen)
{
	const char *v = env(name);

	if (v && *v && opt_parse_word(v, words, out)) {
		snprintf(err, errlen, "%s=%s: expected %s", name, v, expect);
		return -EINVAL;
	}
	return 0;
}

static int env_int(const char *name, int lo, int hi, int *out, char *err, size_t errlen)
{
	const char *v = env(name);

	if (v && *v && opt_parse_int(v, lo, hi, out)) {
		snprintf(err, errlen, "%s=%s: not an integer from %d to %d", name, v, lo, hi);
		return -EINVAL;
	}
	return 0;
}

static int writer_from_env(struct mtcp_config *cfg, char *err, size_t errlen)
{
	static const char *const write_w[] = { "auto", "uring", "plain", NULL };
	static const char *const scan_w[] = { "auto", "pagemap", NULL };
	static const char *const compress_w[] = { "none", "lz4", NULL };
	static const char *const bool_w[] = { "0", "1", NULL };
	static const char *const fsync_w[] = { "sync", "async", NULL };
	static const char *const direct_w[] = { "auto", "always", "never", NULL };
	static const char *const cow_w[] = { "auto", "1", "0", NULL }; /* enum cow_mode */
	const char *gate = env("MTCP_TEST_WRITER_GATE");
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	int rc;

	cfg->write_mode = CFG_WRITE_AUTO;
	cfg->scan_pagemap = 0;
	cfg->compress = 1;
	cfg->lz4_accel = 1;
	/* the control thread encodes too: one helper per other core */
	cfg->helpers = ncpu > 1 ? (int)(ncpu - 1 < 8 ? ncpu - 1 : 8) : 0;
	cfg->file_pages = 0;
	cfg->fsync_async = 0;
	cfg->direct = CFG_DIRECT_AUTO;
	cfg->strict = 0;
	cfg->cow = 0;
	cfg->full_every = MTCP_DEFAULT_FULL_EVERY;
	snprintf(cfg->writer_gate, sizeof(cfg->writer_gate), "%s", gate ? gate : "");
	if ((rc = env_word("MTCP_STRICT", bool_w, &cfg->strict, "0 or 1", err, errlen)) ||
	    (rc = env_word("MTCP_WRITE", write_w, &cfg->write_mode, "auto, uring or plain", err,
			   errlen)) ||
	    (rc = env_word("MTCP_SCAN", scan_w, &cfg->scan_pagemap, "auto or pagemap", err,
			   errlen)) ||
	    (rc = env_word("MTCP_COMPRESS", compress_w, &cfg->compress, "lz4 or none", err,
			   errlen)) ||
	    (rc = env_word("MTCP_COW", cow_w, &cfg->cow, "auto, 1 or 0", err, errlen)) ||
	    (rc = env_word("MTCP_FILE_PAGES", bool_w, &cfg->file_pages, "0 or 1", err, errlen)) ||
	    (rc = env_word("MTCP_FSYNC", fsync_w, &cfg->fsync_async, "sync or async", err,
			   errlen)) ||
	    (rc = env_word("MTCP_DIRECT", direct_w, &cfg->direct, "auto, always or never", err,
			   errlen)) ||
	    (rc = env_int("MTCP_LZ4_ACCEL", 1, 65537, &cfg->lz4_accel, err, errlen)) ||
	    (rc = env_int("MTCP_HELPERS", 0, 8, &cfg->helpers, err, errlen)) ||
	    (rc = env_int("MTCP_FULL_EVERY", 1, MTCP_MAX_CHAIN, &cfg->full_every, err, errlen)))
		return rc;
	return 0;
}

int config_from_env(struct mtcp_config *cfg, char *err, size_t errlen)
{
	const char *v;
	int rc;

	memset(cfg, 0, sizeof(*cfg));
	cfg->interval = 0;
	cfg->signal = MTCP_DEFAULT_SIGNAL;
	cfg->keep = MTCP_DEFAULT_KEEP;
	/* a setuid program gets no default: config_check_dir() says so */
	v = env("MTCP_DIR");
	if (!getauxval(AT_SECURE)) {
		rc = set_dir(cfg, v && *v ? v : ".", "MTCP_DIR", err, errlen);
		if (rc)
			return rc;
	}
	v = env("MTCP_INTERVAL");
	if (v && *v && opt_parse_interval(v, &cfg->interval)) {
		snprintf(err, errlen, "MTCP_INTERVAL=%s: not a number of seconds >= 0", v);
		return -EINVAL;
	}
	v = env("MTCP_SIGNAL");
	if (v && *v && opt_parse_signal(v, &cfg->signal)) {
		snprintf(err, errlen, "MTCP_SIGNAL=%s: not a usable signal", v);
		return -EINVAL;
	}
	v = env("MTCP_ON_TERM");
	if (v && opt_parse_on_term(v, &cfg->on_term)) {
		snprintf(err, errlen, "MTCP_ON_TERM=%s: expected 1 (SIGTERM), 0, or a signal name "
			 "such as USR1 that ends a program (not KILL STOP TSTP TTIN TTOU URG WINCH "
			 "SEGV BUS ILL FPE ABRT TRAP CHLD CONT)", v);
		return -EINVAL;
	}
	v = env("MTCP_SAVE_FILES");
	if (v && strlen(v) >= sizeof(cfg->save_files)) {
		snprintf(err, errlen, "MTCP_SAVE_FILES: longer than %zu bytes",
			 sizeof(cfg->save_files) - 1);
		return -ENAMETOOLONG;
	}
	if (v)
		strcpy(cfg->save_files, v);
	v = env("MTCP_KEEP");
	if (v && *v && opt_parse_keep(v, &cfg->keep)) {
		snprintf(err, errlen, "MTCP_KEEP=%s: not an integer from 1 to 1000", v);
		return -EINVAL;
	}
	rc = writer_from_env(cfg, err, errlen);
	if (!rc)
		rc = config_check_on_term(cfg, err, errlen);
	return rc;
}

int config_check_on_term(const struct mtcp_config *cfg, char *err, size_t errlen)
{
	char name[32];

	if (cfg->on_term && cfg->on_term == cfg->signal) {
		snprintf(err, errlen, "MTCP_ON_TERM: %s is also the checkpoint signal "
			 "(MTCP_SIGNAL); pick another", opt_signal_name(cfg->signal, name,
									 sizeof(name)));
		return -EINVAL;
	}
	return 0;
}

int config_apply_options(struct mtcp_config *cfg, const void *opts_, char *err, size_t errlen)
{
	const struct mtcp_options *o = opts_;
	struct mtcp_config n = *cfg;
	char num[32];
	int rc;

	if (!o)
		return 0;
	for (unsigned i = 0; i < sizeof(o->reserved) / sizeof(o->reserved[0]); i++)
		if (o->reserved[i]) {
			snprintf(err, errlen, "mtcp_options.reserved must be zero");
			return -EINVAL;
		}
	if (o->set & ~(MTCP_OPT_DIR | MTCP_OPT_INTERVAL | MTCP_OPT_SIGNAL | MTCP_OPT_KEEP |
		       MTCP_OPT_STRICT | MTCP_OPT_ON_TERM)) {
		snprintf(err, errlen, "mtcp_options.set has unknown bits 0x%x", o->set);
		return -EINVAL;
	}
	if (o->set & MTCP_OPT_STRICT) {
		if (o->strict != 0 && o->strict != 1) {
			snprintf(err, errlen, "mtcp_options.strict is %d, not 0 or 1", o->strict);
			return -EINVAL;
		}
		n.strict = o->strict;
	}
	if (o->set & MTCP_OPT_DIR) {
		rc = set_dir(&n, o->dir, "dir", err, errlen);
		if (rc)
			return rc;
	}
	if (o->set & MTCP_OPT_INTERVAL) {
		snprintf(num, sizeof(num), "%.9g", o->interval);
		if (!(o->interval >= 0 && o->interval <= 31536000) ||
		    opt_parse_interval(num, &n.interval)) {
			snprintf(err, errlen, "interval %g out of range (0 to 31536000 s)", o->interval);
			return -EINVAL;
		}
		n.interval = o->interval;
	}
	if (o->set & MTCP_OPT_SIGNAL) {
		snprintf(num, sizeof(num), "%d", o->signal);
		if (opt_parse_signal(num, &n.signal)) {
			snprintf(err, errlen, "signal %d is not usable for checkpoints", o->signal);
			return -EINVAL;
		}
	}
	if (o->set & MTCP_OPT_ON_TERM) {
		if (o->on_term && opt_check_term_signal(o->on_term)) {
			snprintf(err, errlen, "on_term %d is not a signal that ends a program, or "
				 "cannot be used (not KILL STOP TSTP TTIN TTOU URG WINCH SEGV BUS ILL "
				 "FPE ABRT TRAP CHLD CONT)", o->on_term);
			return -EINVAL;
		}
		n.on_term = o->on_term;
	}
	if (o->set & MTCP_OPT_KEEP) {
		snprintf(num, sizeof(num), "%d", o->keep);
		if (opt_parse_keep(num, &n.keep)) {
			snprintf(err, errlen, "keep %d out of range (1 to 1000)", o->keep);
			return -EINVAL;
		}
	}
	rc = config_check_on_term(&n, err, errlen);
	if (rc)
		return rc;
	*cfg = n;
	return 0;
}

int config_check_dir(struct mtcp_config *cfg, char *err, size_t errlen)
{
	if (!cfg->dir[0]) {
		snprintf(err, errlen, "this program runs setuid or setgid, so MTCP_* environment "
			 "variables are ignored and it must name its image directory in "
			 "mtcp_init() (mtcp_options.dir)");
		return -EINVAL;
	}
	return imgdir_check(cfg->dir, &cfg->dir_tmpfile, err, errlen);
}
