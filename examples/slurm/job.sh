#!/bin/bash
# SPDX-License-Identifier: MIT
#
# A Slurm batch script that survives preemption and time limits: the job
# is checkpointed when Slurm tells it to go, requeued, and resumes from its
# last image on the next node.  Submit with `sbatch examples/slurm/job.sh`.
#
#SBATCH --job-name=mtcp-job
#SBATCH --requeue
#SBATCH --open-mode=append
# SIGTERM to this batch shell (B:) 60 s before the time limit; preemption
# sends SIGTERM too, KillWait (30 s by default) before SIGKILL.
#SBATCH --signal=B:TERM@60
#
# What it does:
#   - mtcp_launch --resume restarts the newest image of the program in
#     $MTCP_JOB_DIR that verifies, or starts the program if there is none;
#   - --on-term: when SIGTERM reaches the program, the library writes a
#     final image, makes it durable, and then lets SIGTERM end it;
#   - `B:` signals only this shell, which is blocked in `wait`: the trap
#     forwards the signal to the program and waits for it to finish;
#   - then the job asks to be requeued (scontrol), unless the program
#     ended by itself.
# Outside Slurm (SLURM_JOB_ID unset) it runs the same way, without the
# requeue: the test suite runs it so (tests/preempt/slurm_job.sh).
#
# Settings (environment):
#   MTCP_JOB_PROGRAM   the program and its arguments (word-split); ARGS are
#                      ignored when it resumes
#   MTCP_JOB_DIR       image directory, the same for every requeue of the job
#                      (default: $HOME/mtcp-images/$SLURM_JOB_ID), on a file
#                      system every node sees
#   MTCP_JOB_INTERVAL  seconds between periodic images as well (default 0:
#                      only the final one)
set -u
program=${MTCP_JOB_PROGRAM:-./my_simulation --steps 1000000}
dir=${MTCP_JOB_DIR:-$HOME/mtcp-images/${SLURM_JOB_ID:-local}}
interval=${MTCP_JOB_INTERVAL:-0}

mkdir -p "$dir" && chmod 0700 "$dir" || exit 1

terms=0 child=
trap 'terms=$((terms + 1)); [ -n "$child" ] && kill -TERM "$child" 2>/dev/null' TERM
# shellcheck disable=SC2086 # the program's words
mtcp_launch --dir "$dir" --resume --on-term --interval "$interval" -- $program &
child=$!
# a signal that came before $child was known
[ "$terms" != 0 ] && kill -TERM "$child" 2>/dev/null

# `wait` returns early when the trapped signal arrives: wait again until
# the program (and its final checkpoint) is done
while :; do
	seen=$terms
	wait "$child"
	rc=$?
	[ "$seen" = "$terms" ] && break
done
got_term=$((terms > 0))
echo "mtcp job: the program ended with status $rc (SIGTERM received: $got_term)" >&2

if [ "$got_term" = 1 ] && [ -n "${SLURM_JOB_ID:-}" ] && command -v scontrol >/dev/null; then
	# back into the queue; the next run resumes from the final image
	scontrol requeue "$SLURM_JOB_ID"
fi
exit "$rc"
