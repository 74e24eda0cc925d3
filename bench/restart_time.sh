#!/bin/bash
# SPDX-License-Identifier: MIT
# restart_time.sh [BUILD_DIR] [MIB] [RUNS] [DIR]: checkpoints bench/randmem MIB once, then
# restarts the image RUNS times with the page cache warm and dropped in turn
# (dropping needs root), timing mtcp_restart's start to the program's first
# "alive" line (printed within 0.1 s of it running), beside `cat IMAGE`.
set -eu
build=$(cd "${1:-build}" && pwd)
mib=${2:-1024} runs=${3:-4} dir=${4:-$(pwd)/bench-tmp}
mkdir -p "$dir"
now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.3f", b - a}'; }
drop() { [ "$(id -u)" = 0 ] && sync && echo 3 > /proc/sys/vm/drop_caches; }
"$build/src/tools/mtcp_launch" --dir "$dir" -- "$build/bench/randmem" "$mib" > "$dir/out" 2>&1 &
pid=$!
for _ in $(seq 600); do grep -q ready "$dir/out" 2>/dev/null && break; sleep 0.1; done
img=$("$build/src/tools/mtcp_checkpoint" --wait "$pid")
kill -9 "$pid"; wait "$pid" 2>/dev/null || true
for r in $(seq "$runs"); do
	mode=warm; [ $((r % 2)) = 0 ] && mode=cold && drop
	t0=$(now)
	"$build/src/restart/mtcp_restart" "$img" > "$dir/out2" 2>&1 &
	rpid=$!
	for _ in $(seq 6000); do grep -q alive "$dir/out2" && break; sleep 0.005; done
	t1=$(now)
	kill "$rpid"; wait "$rpid" 2>/dev/null || true
	[ "$mode" = cold ] && drop
	t2=$(now); cat "$img" > /dev/null; t3=$(now)
	echo "run $r ($mode cache): restart to running $(secs "$t0" "$t1") s, cat of the image $(secs "$t2" "$t3") s"
done
rm -rf "$dir"
