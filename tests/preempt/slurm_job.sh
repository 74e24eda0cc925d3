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

# run_job: one run of the batch script, in the background (JPID)
run_job() {
	bash "$job" >> "$OUT" 2>> "$ERR" &
	JPID=$!
	STARTED+=("$JPID")
}
# term_job FROM: once the run after line FROM printed 20 steps, SIGTERM to
# the batch shell; it must end with 143 after a final image
term_job() {
	local rc images_before
	wait_for "20 steps" steps_after "$1" 20
	images_before=$(grep -c 'final checkpoint .* is durable' "$ERR")
	kill -TERM "$JPID"
	wait "$JPID"; rc=$?
	((rc == 143)) || fail "the job ended with status $rc, expected 143 (SIGTERM after the final image)"
	(($(grep -c 'final checkpoint .* is durable' "$ERR") == images_before + 1)) ||
		fail "no (single) 'final checkpoint ... is durable' line for this SIGTERM"
	grep -q 'the program ended with status 143 (SIGTERM received: 1)' "$ERR" ||
		fail "job.sh did not report the SIGTERM"
}

say "run 1: a fresh start"
run_job
wait_for "the program to start" grep -q '^start pid' "$OUT"
pid=$(grep -m1 '^start pid' "$OUT" | awk '{print $3}')
term_job 0
ls "$D/img"/*.mtcp > /dev/null 2>&1 || fail "no image in $D/img"

say "run 2: resumes from the final image"
from=$(wc -l < "$OUT")
run_job
term_job "$from"
check_resumed "$from" "$pid"

say "run 3: resumes again, and finishes"
from=$(wc -l < "$OUT")
run_job
wait "$JPID"; rc=$?
((rc == 0)) || fail "the last run ended with status $rc"
check_resumed "$from" "$pid"
grep -q '^done steps=300$' "$OUT" || fail "the program did not finish"
(($(grep -c '^start' "$OUT") == 1)) || fail "the program started more than once"
say "ok: 3 runs, 2 final images, one start, finished"
