# SPDX-License-Identifier: MIT
# proc_lib.sh - process bookkeeping shared by run_integ.sh, badimage.sh and
# tests/runtimes/rt_lib.sh:
# every process a script starts (STARTED), and what it leaves behind, is
# killed on exit; watchdogs bound every wait.  The sourcing script sets TMP
# (a private directory with a FIFO named watchdog.fifo), STARTED=() and WD=.

# alive PID: the process exists and is not a zombie.
alive() {
	local s
	read -r s 2>/dev/null <"/proc/$1/stat" || return 1
	s=${s##*) }
	[[ ${s:0:1} != Z ]]
}

# children_of PID: the pids of its children.
children_of() {
	local f k v
	if [[ -r /proc/$1/task/$1/children ]]; then
		cat "/proc/$1/task/$1/children" 2>/dev/null
		return
	fi
	for f in /proc/[0-9]*/status; do
		while read -r k v; do
			[[ $k == PPid: ]] || continue
			[[ $v == "$1" ]] && { f=${f%/status}; echo "${f#/proc/}"; }
			break
		done 2>/dev/null <"$f"
	done
}

# descendants PID: its children, grandchildren..., deepest first.
descendants() {
	local c
	for c in $(children_of "$1"); do
		descendants "$c"
		echo "$c"
	done
}

cleanup() {
	local p
	# only this shell: a subshell that gets a fatal signal right
	# after its fork may run the EXIT trap it inherited
	[[ $BASHPID == "$$" ]] || return 0
	exec 2>/dev/null # no "Killed" notices for what we kill here
	[[ -n $WD ]] && kill -KILL "$WD" 2>/dev/null
	# with their descendants: a restored program may live in a pid
	# namespace under mtcp_restart, and outlives it
	for p in "${STARTED[@]}"; do
		# shellcheck disable=SC2046 # a list of pids
		kill -KILL $(descendants "$p") "$p" 2>/dev/null
	done
	exec 3>&-
	rm -rf "$TMP"
}
trap cleanup EXIT

# start_watchdog SECONDS PID: kills PID after SECONDS unless stopped.
start_watchdog() {
	local secs=$1 target=$2
	# a subshell with no child: `read -t` on a FIFO nobody writes to is its
	# timer, so SIGKILL stops it whole (no trap, no stray sleep)
	(
		read -r -t "$secs" -u 4 _
		: >"$TMP/timeout.$target"
		kill -KILL "$target" 2>/dev/null
	) 4<>"$TMP/watchdog.fifo" </dev/null >/dev/null 2>&1 3>&- &
	WD=$!
}

stop_watchdog() {
	[[ -n $WD ]] || return 0
	kill -KILL "$WD" 2>/dev/null
	wait "$WD" 2>/dev/null
	WD=
}

