/* SPDX-License-Identifier: MIT */
/*
 * criu.h: --compare criu: the same program checkpointed and restored by
 * CRIU (criu from PATH, as root). CRIU keeps no pipes, so the program's
 * stdin is /dev/null and its stdout a file that is polled every 10 ms;
 * bench_prog then takes signals (SIGUSR1 reset, SIGUSR2 report + verify,
 * SIGTERM exit). The first failure of criu prints one line saying why and
 * turns the comparison off for the rest of the run (Debian 12's criu 3.17
 * stops on kernel 6.x with "vdso: Unexpected rt vDSO area bounds").
 */
#ifndef MB_CRIU_H
#define MB_CRIU_H

struct mb_buf;
struct mb_ctx;
struct mb_run;

/* With --compare criu: c->criu = criu's path, or one line why not. */
void mb_criu_setup(struct mb_ctx *c);

/*
 * bench_prog ARGS: `criu dump --leave-running` (r->criu_todisk_s, the
 * stall meter's pause in r->criu_pause_s, r->criu_image_bytes), then
 * `criu restore -d` timed to the restored program's answer
 * (r->criu_restart_s), then its data verified (r->ok = 0 if changed).
 * @return 0 (criu failing is not an error: the comparison stops); -EIO
 * when the program itself misbehaves; -EINTR.
 */
int mb_criu_bprog(struct mb_ctx *c, char *const args[], struct mb_run *r);

/*
 * argv (npb_lu CLASS, or --binary's program) with stdout to a file:
 * `criu dump` (no --leave-running: criu ends it) once the file holds an
 * "iter K/" line with K >= half (half > 0), or after delay seconds; then
 * `criu restore -d`, timed until it returns (r->criu_restart_s), and the
 * restored program waited for: its exit status in *status, the whole
 * output file in out. criu failing leaves r->criu_todisk_s NAN.
 * Same @return as mb_criu_bprog().
 */
int mb_criu_job(struct mb_ctx *c, char *const argv[], long half, double delay,
		struct mb_run *r, int *status, struct mb_buf *out);

#endif
