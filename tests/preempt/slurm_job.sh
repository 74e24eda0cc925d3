#!/bin/bash
# SPDX-License-Identifier: MIT
# slurm_job.sh TOOLS_DIR RESTART_DIR JOB_PROG JOB_SH: examples/slurm/job.sh
# without Slurm, as a requeued job lives: start it; SIGTERM to the batch
# shell (what --signal=B:TERM does) makes the program write a final image
# and end by SIGTERM; the second run resumes from it (same pid, steps go
# on, no fresh start); SIGTERM again (now through mtcp_restart); the third
# run resumes again and the program finishes its 300 steps.
NAME=slurm_job
. "$(dirname "$0")/preempt_lib.sh"
tools=$1 restartdir=$2 prog=$3 job=$4
export PATH="$tools:$restartdir:$PATH"
export MTCP_JOB_DIR=$D/img MTCP_JOB_PROGRAM="$prog --steps 300"
unset SLURM_JOB_ID

# one run of the batch script, in the background
start_run() {
	bash "$job" >> "$OUT" 2>> "$ERR" &
	RUN_PID=$!
	STARTED+=("$RUN_PID")
}
# SIGTERM to the batch shell, as --signal=B:TERM does
stop_run() {
	sigterm_run "$1" "$RUN_PID" 1
	grep -q 'the program ended with status 143 (SIGTERM received: 1)' "$ERR" ||
		fail "job.sh did not report the SIGTERM"
}

three_runs run
ls "$D/img"/*.mtcp > /dev/null || fail "no image in $D/img"
say "ok: 3 runs, 2 final images, one start, same pid $PROG_PID, finished"
