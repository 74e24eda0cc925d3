# SPDX-License-Identifier: MIT
# preempt_lib.sh: what the drivers of tests/preempt share.  The program is
# job_prog (job_prog.c): "start pid P" once per fresh start, "step S pid P"
# every 10 ms, "done steps=N" at the end, all on one output file opened
# for appending (as Slurm's --open-mode=append): a resumed program writes
# on into the file it had.  Set before sourcing: NAME.
set -u
WAIT_S=60
D=$(mktemp -d /tmp/mtcp-preempt.XXXXXX)
OUT=$D/job.out ERR=$D/job.err
: > "$OUT"
: > "$ERR"
STARTED=()
cleanup() {
	local p
	for p in "${STARTED[@]}"; do kill -9 "$p" 2>/dev/null; done
	# a restored program lives in a pid namespace of its own, perhaps:
	# whatever still writes into $OUT goes too
	for p in /proc/[0-9]*; do
		[ "$(readlink "$p/fd/1" 2>/dev/null)" = "$OUT" ] && kill -9 "${p#/proc/}" 2>/dev/null
	done
	wait 2>/dev/null
	rm -rf "$D"
}
trap cleanup EXIT
fail() {
	echo "FAIL ($NAME): $*"
	echo "--- job output (last lines)"; tail -n 8 "$OUT"
	echo "--- job stderr"; tail -n 30 "$ERR"
	exit 1
}
say() { echo "$NAME: $*"; }
wait_for() {
	local what=$1 deadline=$((SECONDS + WAIT_S))
	shift
	until "$@"; do
		((SECONDS < deadline)) || fail "timed out waiting for $what"
		sleep 0.02
	done
}
# lines of $OUT after line $1 (a count taken before a run)
lines_after() { tail -n +"$(($1 + 1))" "$OUT"; }
# steps_after FROM N: the run that began after line FROM printed N steps
steps_after() { (($(lines_after "$1" | grep -c '^step ') >= $2)); }
last_step() { grep '^step ' "$OUT" | tail -n 1 | awk '{print $2}'; }
# check_resumed FROM PID: the run after line FROM resumed the program (no
# "start", its first step follows one printed before, the same pid)
check_resumed() {
	local from=$1 pid=$2 first before
	lines_after "$from" | grep -q '^start' && fail "the program started afresh instead of resuming"
	first=$(lines_after "$from" | grep -m1 '^step ' | awk '{print $2}')
	before=$(head -n "$from" "$OUT" | grep '^step ' | tail -n 1 | awk '{print $2}')
	[ -n "$first" ] && [ -n "$before" ] || fail "no steps to compare (before: '$before', after: '$first')"
	# from the final image: the step after the last one it had, at most
	# the step after the last one printed
	((first >= 2 && first <= before + 1)) ||
		fail "resumed at step $first; the run before ended at step $before"
	lines_after "$from" | grep '^step ' | grep -qv " pid $pid\$" &&
		fail "the resumed program's pid is not $pid: $(lines_after "$from" | grep -m1 '^step ')"
	say "resumed at step $first (the run before printed up to $before), pid $pid"
}

# sigterm_run FROM TARGET FINAL: once the run after line FROM printed 20
# steps, SIGTERM to TARGET (the batch shell, the pod's pid 1, $MAINPID);
# the run (RUN_PID) must end with 143; FINAL=1: after exactly one more
# "final checkpoint ... is durable" line (--on-term)
sigterm_run() {
	local n rc
	wait_for "20 steps" steps_after "$1" 20
	n=$(grep -c 'final checkpoint .* is durable' "$ERR")
	kill -TERM "$2"
	wait "$RUN_PID"; rc=$?
	((rc == 143)) || fail "the run ended with status $rc, expected 143 (SIGTERM)"
	(($3 == 0 || $(grep -c 'final checkpoint .* is durable' "$ERR") == n + 1)) ||
		fail "no (single) 'final checkpoint ... is durable' line for this SIGTERM"
}

# three_runs WHAT: the scenario of every driver, which defines start_run
# (one run in the background; sets RUN_PID, the process to wait for) and
# stop_run FROM (stops the run that began after line FROM of $OUT).  A
# fresh start, stopped; a run that resumes, stopped; a run that resumes
# and finishes its 300 steps.  Sets PROG_PID (the program's pid).
three_runs() {
	local what=$1 from rc
	say "$what 1: a fresh start"
	start_run
	wait_for "the program to start" grep -q '^start pid' "$OUT"
	PROG_PID=$(grep -m1 '^start pid' "$OUT" | awk '{print $3}')
	stop_run 0
	say "$what 2: resumes"
	from=$(wc -l < "$OUT")
	start_run
	stop_run "$from"
	check_resumed "$from" "$PROG_PID"
	say "$what 3: resumes and finishes"
	from=$(wc -l < "$OUT")
	start_run
	wait "$RUN_PID"; rc=$?
	((rc == 0)) || fail "the last $what ended with status $rc"
	check_resumed "$from" "$PROG_PID"
	grep -q '^done steps=300$' "$OUT" || fail "the program did not finish"
	(($(grep -c '^start' "$OUT") == 1)) || fail "the program started more than once"
}
