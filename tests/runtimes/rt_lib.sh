# SPDX-License-Identifier: MIT
# shellcheck shell=bash
# rt_lib.sh - shared by the drivers in tests/runtimes: start a real program
# under mtcp_launch, checkpoint it, SIGKILL it, restart it, and follow its
# progress through what it writes itself.  Sourced, never run.
#
# The tools come from MTCP_LAUNCH, MTCP_CHECKPOINT and MTCP_RESTART (meson
# sets them, as for tests/integ).  Process bookkeeping (every process
# started is killed on exit, watchdogs) is tests/integ/proc_lib.sh.
#
# A program reports to a log file of its own (opened by path, appended to,
# so not one of fds 0-2):
#     progress N ...   N grows in an uninterrupted run
#     FAIL reason      it found something wrong, and exits 1
#     DONE ...         it finished after seeing the stop file
# After a restart the program goes on from the checkpoint, so the log holds
# what the killed process wrote after the checkpoint, then what the
# restored one writes: a driver looks at the lines after an offset (the
# log's size when the restart began).
#
# Every wait is bounded (RT_WAIT_S seconds, default 30) and waits for a
# state the program reports; sleeps are only poll intervals.
set -u

RT_NAME=$(basename "$0" .sh)
RT_DIR=$(cd "$(dirname "$0")" && pwd)
RT_T0=$(date +%s.%N)
WAIT_S=${RT_WAIT_S:-30}

say() { printf '%s: %s\n' "$RT_NAME" "$*"; }
skip() { say "SKIP: $*"; exit 77; }

for v in MTCP_LAUNCH MTCP_CHECKPOINT MTCP_RESTART; do
	[[ -n ${!v-} && -x ${!v} ]] || { echo "$RT_NAME: $v is not set to an executable" >&2; exit 99; }
done

# the programs get stdin, stdout and stderr only (meson may pass more)
for f in /proc/"$$"/fd/*; do
	f=${f##*/}
	((f > 2)) && eval "exec $f>&-" 2>/dev/null
done

TMP=$(mktemp -d "${TMPDIR:-/tmp}/mtcp-rt.XXXXXX") || exit 99
STARTED=()
WD=
# shellcheck source=../integ/proc_lib.sh
. "$RT_DIR/../integ/proc_lib.sh"
mkfifo -m 0600 "$TMP/watchdog.fifo" || exit 99
IMGDIR=$TMP/images
mkdir "$IMGDIR" || exit 99
# the programs' working directory: what they leave there (a JVM's
# hs_err_pid*.log, .attach_pid files) is shown on failure and removed
cd "$TMP" || exit 99
STOP=$TMP/stop

elapsed() { echo "$(date +%s.%N) $RT_T0" | awk '{printf "%.1f", $1 - $2}'; }

# show_logs: every output of the run (the last 60 lines of each).
show_logs() {
	local f
	for f in "$TMP"/*.log "$TMP"/*.out "$TMP"/*.err; do
		[[ -f $f ]] || continue
		echo "----- $(basename "$f") ($(stat -c %s "$f") bytes, last 60 lines) -----"
		tail -n 60 "$f"
	done
	echo "----- images -----"
	ls -l "$IMGDIR"
}

failed() {
	say "FAIL: $*"
	show_logs
	say "FAIL after $(elapsed) s: $*"
	exit 1
}

# wait_exit PID SECONDS: waits for our child PID; sets EXIT_RC.  A hang
# fails the test.
wait_exit() {
	start_watchdog "$2" "$1"
	wait "$1" 2>/dev/null
	EXIT_RC=$?
	stop_watchdog
	[[ -e $TMP/timeout.$1 ]] && failed "process $1 did not exit within $2 s"
	return 0
}

# status_text RC: "exit N" or "killed by SIGNAME".
status_text() {
	if (($1 > 128)); then
		echo "status $1 (killed by SIG$(kill -l $(($1 - 128)) 2>/dev/null || echo $(($1 - 128))))"
	else
		echo "exit status $1"
	fi
}

# start_bg NAME CMD...: CMD in the background, stdin from RT_IN (default
# /dev/null), stdout to RT_OUT (default $TMP/NAME.out), stderr to
# $TMP/NAME.err; fds 5-9 (a driver's own) closed.  Sets BG_PID.
start_bg() {
	local name=$1
	shift
	"$@" <"${RT_IN:-/dev/null}" >"${RT_OUT:-$TMP/$name.out}" 2>"$TMP/$name.err" \
		5>&- 6>&- 7>&- 8>&- 9>&- &
	BG_PID=$!
	STARTED+=("$BG_PID")
}

# launch NAME CMD...: CMD under mtcp_launch (which execs it: the pid is
# the program's).  Extra mtcp_launch options in RT_LAUNCH_OPTS (an array).
# Variables for mtcp_launch's environment only (the library reads them when
# the program starts) in RT_LAUNCH_ENV (an array of NAME=VALUE).  Sets PID
# (the program) and WAITPID (the child to wait for).
RT_LAUNCH_OPTS=()
RT_LAUNCH_ENV=()
launch() {
	local name=$1
	shift
	start_bg "$name" env "${RT_LAUNCH_ENV[@]}" "$MTCP_LAUNCH" --dir "$IMGDIR" "${RT_LAUNCH_OPTS[@]}" -- "$@"
	PID=$BG_PID
	WAITPID=$BG_PID
	say "started under mtcp_launch: $* (pid $PID)"
}

# restart NAME IMAGE [OPTIONS...]: mtcp_restart [OPTIONS] IMAGE in the
# background.  Sets WAITPID (mtcp_restart) and PID: the program's pid as we
# see it.  As root it is the pid it had; otherwise the program lives in a
# pid namespace and is reached through mtcp_restart (mtcp_checkpoint
# accepts its pid, and a SIGKILL to it kills the program).
restart() {
	local name=$1 img=$2
	shift 2
	start_bg "$name" "$MTCP_RESTART" "$@" "$img"
	WAITPID=$BG_PID
	if ((EUID == 0)); then
		PID=$RT_PROG_PID
	else
		PID=$BG_PID
	fi
	say "mtcp_restart $* $(basename "$img"): pid $WAITPID"
}

# checkpoint PID: mtcp_checkpoint --wait; sets IMG.  A checkpoint that says
# it is degraded fails the test: every object of these programs must come
# back (the image's degraded notes, from mtcp_restart --list, are shown).
# Only degraded objects whose note matches the extended regular expression
# RT_DEGRADED_OK are accepted (and named).
checkpoint() {
	local out rc bad
	out=$("$MTCP_CHECKPOINT" --wait --timeout "$WAIT_S" "$1" 2>"$TMP/ckpt.err")
	rc=$?
	((rc == 0)) || failed "mtcp_checkpoint --wait $1: exit $rc: $(cat "$TMP/ckpt.err")"
	[[ -f $out ]] || failed "mtcp_checkpoint printed '$out', which is not a file"
	IMG=$out
	if grep -qi degraded "$TMP/ckpt.err"; then
		"$MTCP_RESTART" --list "$IMG" 2>&1 | grep -E '^degraded |^mtcp_restart' >"$TMP/degraded.out"
		bad=$(grep -v '^degraded ' "$TMP/degraded.out"
			grep '^degraded ' "$TMP/degraded.out" | grep -Ev "${RT_DEGRADED_OK:-^$}")
		if [[ -n $bad || -z ${RT_DEGRADED_OK-} ]] || ! grep -q '^degraded ' "$TMP/degraded.out"; then
			failed "the checkpoint of pid $1 is degraded: $(cat "$TMP/ckpt.err")"
		fi
		say "accepted: $(tr '\n' ' ' <"$TMP/degraded.out")"
	fi
	say "checkpoint of $1: $(basename "$IMG") $(tr '\n' ' ' <"$TMP/ckpt.err")"
}

# kill9 PID: SIGKILL, and wait for WAITPID.  When WAITPID is mtcp_restart
# it must exit 137 (its program was killed by SIGKILL).
kill9() {
	kill -KILL "$1" 2>/dev/null
	wait_exit "$WAITPID" "$WAIT_S"
	((EXIT_RC == 137)) || failed "after kill -9 $1, process $WAITPID ended with $(status_text "$EXIT_RC"), not 137"
}

fsize() { stat -c %s "$1" 2>/dev/null || echo 0; }

# progress LOG OFFSET: the highest N of "progress N" lines after byte
# OFFSET (0 when there is none).  A driver may define rt_progress LOG
# OFFSET instead (a program that reports otherwise).
progress() {
	if declare -F rt_progress >/dev/null; then
		rt_progress "$@"
		return
	fi
	tail -c +$(($2 + 1)) "$1" 2>/dev/null |
		awk '$1 == "progress" && $2 + 0 > m { m = $2 + 0 } END { print m + 0 }'
}

# check_log LOG OFFSET: fails the test on a FAIL line after OFFSET.
check_log() {
	local f
	[[ -f $1 ]] || return 0
	f=$(tail -c +$(($2 + 1)) "$1" | grep -m1 '^FAIL' || true)
	[[ -z $f ]] || failed "the program reports: $f"
}

# wait_progress WHAT LOG OFFSET MIN: waits until the program reports
# progress MIN or more after OFFSET; sets NOW.  Fails when it reports a
# failure, when WAITPID ends, or after WAIT_S seconds.  A driver may define
# rt_check, called at each poll, to fail early with a better reason.
wait_progress() {
	local what=$1 log=$2 off=$3 min=$4 deadline=$((SECONDS + WAIT_S))
	while :; do
		check_log "$log" "$off"
		if declare -F rt_check >/dev/null; then rt_check; fi
		NOW=$(progress "$log" "$off")
		((NOW >= min)) && return 0
		if ! alive "$WAITPID"; then
			wait "$WAITPID" 2>/dev/null
			EXIT_RC=$?
			check_log "$log" "$off"
			failed "$what: process $WAITPID ended with $(status_text "$EXIT_RC") at progress $NOW, before reaching $min"
		fi
		((SECONDS < deadline)) || failed "$what: progress $NOW after $WAIT_S s, expected $min (the program is stuck)"
		sleep 0.05
	done
}

# run_on WHAT LOG OFFSET: after a checkpoint, the process goes on: its
# progress grows by RT_MORE (default 2), and it runs RT_RUN_ON_S seconds
# (default 0) or more after the checkpoint.
run_on() {
	local t0 deadline=$((SECONDS + WAIT_S))
	t0=$(date +%s.%N)
	wait_progress "$1" "$2" "$3" $((NOW + ${RT_MORE:-2}))
	while awk -v a="$t0" -v b="$(date +%s.%N)" -v s="${RT_RUN_ON_S:-0}" 'BEGIN { exit !(b - a < s) }'; do
		check_log "$2" "$3"
		alive "$WAITPID" || failed "$1: the process ended"
		((SECONDS < deadline)) || failed "$1: still not ${RT_RUN_ON_S} s after the checkpoint"
		sleep 0.05
	done
	NOW=$(progress "$2" "$3")
}

# two_restarts LOG CMD...: the common scenario.  CMD is launched; once it
# reports progress RT_FIRST (default 5) it is checkpointed and goes on; it
# is killed with SIGKILL and restarted from the image, and must get past
# where the killed process had got; the restored process is checkpointed,
# killed and restarted again, and must get past that too.  Then the stop
# file appears, and the program must finish with status 0 and a DONE line
# (RT_DONE_RE: another pattern).  A driver may define rt_before_checkpoint,
# run before each checkpoint (to wait for a state worth checkpointing).  RT_LAUNCH_OUT: the launched program's
# stdout (mtcp_restart's is always $TMP/restartN.out).  Sets DONE_LINE and
# LOG_OFF (where the last restart began in LOG).
two_restarts() {
	local log=$1 round hi
	shift
	RT_OUT=${RT_LAUNCH_OUT-} launch prog "$@"
	RT_PROG_PID=$PID
	wait_progress "start" "$log" 0 "${RT_FIRST:-5}"
	LOG_OFF=0
	for round in 1 2; do
		if declare -F rt_before_checkpoint >/dev/null; then rt_before_checkpoint; fi
		checkpoint "$PID"
		# the checkpointed process goes on
		run_on "after checkpoint $round" "$log" "$LOG_OFF"
		kill9 "$PID"
		hi=$(progress "$log" "$LOG_OFF")
		LOG_OFF=$(fsize "$log")
		restart "restart$round" "$IMG"
		# past where the killed process had got: it went on from the
		# checkpoint and did everything again that came after it
		wait_progress "after restart $round (the killed process had got to $hi)" \
			"$log" "$LOG_OFF" $((hi + 2))
		say "round $round: killed at progress $hi; the restored process got to $NOW"
	done
	: >"$STOP"
	wait_exit "$WAITPID" "$WAIT_S"
	check_log "$log" "$LOG_OFF"
	((EXIT_RC == 0)) || failed "after the stop file the restored program ended with $(status_text "$EXIT_RC")"
	DONE_LINE=$(tail -c +$((LOG_OFF + 1)) "$log" | grep "${RT_DONE_RE:-^DONE}" | tail -n1)
	[[ -n $DONE_LINE ]] || failed "the restored program exited 0 with no '${RT_DONE_RE:-^DONE}' line"
	say "$DONE_LINE"
}

pass() {
	say "PASS in $(elapsed) s"
	[[ ${RT_VERBOSE-0} == 1 ]] && show_logs
	exit 0
}
