/* SPDX-License-Identifier: MIT */
/*
 * bprog.h: the two sides of a run of bench_prog (bench/progs/bench_prog.c), the
 * program the memory and threads modes checkpoint.
 */
#ifndef MB_BPROG_H
#define MB_BPROG_H

#include "cow.h"
#include "proc.h"

#include <limits.h>
#include <stddef.h>
#include <sys/types.h>

struct mb_ctx;
struct mb_run;

/* Timeouts (s): building a workload or writing an image of a few GiB is slow
 * on a loaded machine, but not this slow. */
#define BPROG_TIMEOUT 1200.0
#define BPROG_ANSWER_TIMEOUT 60.0

/*
 * bench_prog ARGS under mtcp_launch (images to c->work), with MTCP_COW as
 * side says (cow.h): waits for "ready", resets the stall meter, times
 * `mtcp_checkpoint --wait PID` (its "paused X ms" line, if any, read from
 * its stderr), reads the longest stall, verifies the data, quits. Sets
 * r->data_bytes, pause_s, reported_pause_s, todisk_s, image_bytes (r->ok = 0
 * if the data changed); the image's path in img. verbose: a copy-on-write
 * side runs with MTCP_VERBOSE=1 as well. On a copy-on-write side,
 * r->extra_bytes is the "extra memory" of the library's line on the
 * program's stderr, if it printed one (ckptout.h).
 * @return 0; -EIO after saying why; -EINTR.
 */
int bprog_checkpoint(struct mb_ctx *c, char *const args[], enum mb_side side, int verbose,
		     struct mb_run *r, char *img, size_t n);

/*
 * Drops the image's page cache, writes "ping" into a fresh stdin pipe and
 * times from starting `mtcp_restart IMAGE` until "pong" comes back; then
 * verifies, quits and removes the image. Sets r->restart_s (r->ok = 0 if
 * the data changed).
 */
int bprog_restart(struct mb_ctx *c, const char *img, struct mb_run *r);

/*
 * The same without the cache drop and without removing the image: the
 * seconds to "pong" in *secs; *ok = 0 if the data changed.
 */
int bprog_restart_timed(struct mb_ctx *c, const char *img, double *secs, int *ok);

/*
 * The parts of a conversation with bench_prog (stdin/stdout on ch), for
 * the modes that drive it themselves (mode_incremental.c, mode_on_term.c).
 * bprog_expect: the program's next line must be word or start with
 * "word "; it is left in line. 0; -EBADMSG for a FAIL line (recorded as a
 * failed check); -EIO after saying why; -EINTR.
 * bprog_ask: cmd, then bprog_expect.
 * bprog_verify: "verify"; a FAIL sets *ok = 0 and *expect_status = 1 (the
 * program then exits 1 by itself), and returns 0.
 * bprog_quit: "quit" (unless expect_status is 1: the program already
 * ends), then its exit status must be expect_status.
 */
int bprog_expect(struct mb_ctx *c, struct mb_chan *ch, const char *word, double timeout,
		 char *line, size_t n);
int bprog_ask(struct mb_ctx *c, struct mb_chan *ch, const char *cmd, const char *word,
	      double timeout, char *line, size_t n);
int bprog_verify(struct mb_ctx *c, struct mb_chan *ch, int *ok, int *expect_status);
int bprog_quit(struct mb_ctx *c, struct mb_chan *ch, pid_t pid, int expect_status);

/*
 * A bench_prog a mode drives itself (memory --incremental, memory
 * --on-term): bench_prog WORKLOAD... under `mtcp_launch --dir DIR --keep 2
 * --interval 0`, DIR a directory of its own in the work directory (kept
 * until the mode removes it), with an environment of its own.
 */
struct bprog_own {
	pid_t pid; /* -1: not running (or ended and reaped) */
	struct mb_chan ch;
	char dir[PATH_MAX];
	char **env;
	int status; /* the exit status quit expects (1 after a FAIL) */
};

/*
 * Makes c->work/name and starts bench_prog with the words of work (NULL-
 * terminated) there, its environment ours with the nforce "NAME=VALUE"
 * entries of force in place of ours; reads "ready" (the bytes it holds in
 * *data_bytes). p is set up first whatever happens: bprog_own_end() it.
 * @return 0; -EIO after saying why; -EINTR.
 */
int bprog_own_start(struct mb_ctx *c, struct bprog_own *p, const char *name,
		    const char *const *force, size_t nforce, char *const work[],
		    long long *data_bytes);

/*
 * Unless failed or it has ended (pid -1): verify (ok = 0 if the data
 * changed) and quit. Then kills it if it still runs, closes the pipes and
 * frees the environment. @return 0; -EIO; -EINTR.
 */
int bprog_own_end(struct mb_ctx *c, struct bprog_own *p, int failed, int *ok);

/* "rewrite PCT [window]": the bytes rewritten in *bytes. 0; -EIO; -EINTR. */
int bprog_rewrite(struct mb_ctx *c, struct mb_chan *ch, double pct, int window,
		  long long *bytes);

/*
 * `mtcp_checkpoint --wait --timeout 1200 PID`, timed from start to exit
 * (*secs: the image is durable); its "paused X ms" in *paused (NAN: none);
 * the image it printed in img, which must be a regular file (its size in
 * *bytes). @return 0; -EIO after saying why; -EINTR.
 */
int bprog_ckpt_wait(struct mb_ctx *c, pid_t pid, double *secs, double *paused, char *img,
		    size_t n, long long *bytes);

/* Shared with criu.c: bench_prog's "stall NS ..." line -> seconds, NAN if not one. */
double bprog_stall_secs(const char *line);

/* "bytes=B" of a ready line, or -1. */
long long bprog_ready_bytes(const char *line);

#endif
