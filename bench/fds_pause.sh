#!/bin/bash
# SPDX-License-Identifier: MIT
# fds_pause.sh BUILD_DIR [N] [RUNS]: what saving kernel objects costs the
# pause.  bench/progs/fds_prog holds N pipes (4 KiB in flight), N socket pairs
# (4 KiB queued each way), N eventfds, N timerfds and an epoll set
# watching all 4N (default N 250: 1501 fds); each of RUNS (default 5)
# checkpoints is timed by the library (MTCP_VERBOSE=1: "state" is the fd
# pass and the rest of the process state, "suspend" the parking). Prints
# the median and range of each, and of the same program's empty twin
# (N = 0), measured in the same run.  A build that cannot save these
# objects (before issue 9) still lists them: it is the baseline of what
# listing alone costs.
set -u
build=${1:?usage: fds_pause.sh BUILD_DIR [N] [RUNS]}
n=${2:-250} runs=${3:-5}
prog=$build/bench/progs/fds_prog
[ -x "$prog" ] || prog=$build/bench/fds_prog # a build from before bench/progs
dir=$(mktemp -d /var/tmp/mtcp-fds.XXXXXX)
trap 'kill -9 $pid 2>/dev/null; wait 2>/dev/null; rm -rf "$dir"' EXIT
ulimit -n 65536 2>/dev/null
median() { sort -g | awk '{a[NR]=$1} END {printf "%.2f [%.2f..%.2f]", a[int((NR+1)/2)], a[1], a[NR]}'; }
for count in 0 "$n"; do
	MTCP_VERBOSE=1 "$build/src/tools/mtcp_launch" --dir "$dir" --keep 1 -- "$prog" "$count" \
		>"$dir/out" 2>"$dir/err" &
	pid=$!
	for _ in $(seq 200); do grep -q ready "$dir/out" && break; sleep 0.05; done
	grep -q ready "$dir/out" || { echo "fds_prog did not start: $(cat "$dir/err")"; exit 1; }
	for _ in $(seq "$runs"); do
		"$build/src/tools/mtcp_checkpoint" --wait "$pid" >/dev/null 2>&1 ||
			{ echo "checkpoint failed"; exit 1; }
	done
	kill -9 "$pid"; wait "$pid" 2>/dev/null
	state=$(grep -o 'state [0-9.]* ms' "$dir/err" | awk '{print $2}' | median)
	susp=$(grep -o 'suspend [0-9.]* ms' "$dir/err" | awk '{print $2}' | median)
	nfd=$(grep -o '[0-9]* fds' "$dir/err" | head -n 1)
	echo "N=$count: state $state ms, suspend $susp ms ($(ls "$dir" | grep -c mtcp) image)"
	rm -f "$dir"/*.mtcp "$dir/err" "$dir/out"
done
