#!/bin/bash
# SPDX-License-Identifier: MIT
# systemd_unit.sh TOOLS_DIR RESTART_DIR JOB_PROG UNIT: the ExecStart and
# ExecStop lines of examples/systemd/mtcp-job@.service, run as systemd
# runs them at `systemctl start` and `systemctl stop`: ExecStart in the
# background ($MAINPID), ExecStop with $MAINPID, then KillSignal (SIGTERM)
# to $MAINPID.  Start, stop, start (resumes from the ExecStop image),
# stop (now through mtcp_restart), start: the program finishes.
NAME=systemd_unit
. "$(dirname "$0")/preempt_lib.sh"
tools=$1 restartdir=$2 prog=$3 unit=$4
export PATH="$tools:$restartdir:$PATH"
mkdir -m 0700 "$D/img"

# key=value of [Service], with this machine's paths
unit_line() {
	local v
	v=$(sed -n "s/^$1=//p" "$unit")
	[ "$(printf '%s\n' "$v" | wc -l)" = 1 ] && [ -n "$v" ] || fail "$unit: one $1= expected"
	v=${v//\/usr\/local\/bin\/mtcp_launch/$tools/mtcp_launch}
	v=${v//\/usr\/local\/bin\/mtcp_checkpoint/$tools/mtcp_checkpoint}
	v=${v//\/usr\/local\/bin\/my_simulation/$prog}
	v=${v//\/var\/lib\/mtcp-job\/%i/$D/img}
	v=${v//1000000/300}
	printf '%s\n' "$v"
}
start_cmd=$(unit_line ExecStart) stop_cmd=$(unit_line ExecStop)
[ "$(unit_line KillSignal)" = SIGTERM ] || fail "KillSignal is not SIGTERM"
say "ExecStart here: $start_cmd"
say "ExecStop here: $stop_cmd"

start_run() {
	# shellcheck disable=SC2086 # systemd splits the line into words
	$start_cmd >> "$OUT" 2>> "$ERR" &
	RUN_PID=$!
	STARTED+=("$RUN_PID")
}
# systemctl stop: ExecStop with $MAINPID, then KillSignal to $MAINPID
stop_run() {
	local img
	wait_for "20 steps" steps_after "$1" 20
	# shellcheck disable=SC2086
	img=$(${stop_cmd//\$MAINPID/$RUN_PID} 2>> "$ERR") || fail "ExecStop failed"
	[ -f "$img" ] || fail "ExecStop printed '$img', not an image"
	say "ExecStop wrote $img"
	sigterm_run "$1" "$RUN_PID" 0
}

three_runs start
say "ok: start, stop, resume, stop, resume to the end (same pid $PROG_PID)"
