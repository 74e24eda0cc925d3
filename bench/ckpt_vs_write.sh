#!/bin/bash
# SPDX-License-Identifier: MIT
# ckpt_vs_write.sh [BUILD_DIR] [MIB] [RUNS] [DIR]: the time to checkpoint MIB MiB of
# random data (mtcp_checkpoint --wait, wall clock, which includes asking
# and answering) against plain write() of the same number of bytes in
# 1 MiB chunks plus fsync, into the same directory, alternating the two
# run by run; prints each run and the medians.
set -eu
build=$(cd "${1:-build}" && pwd)
mib=${2:-1024} runs=${3:-5} dir=${4:-$(pwd)/bench-tmp}
mkdir -p "$dir"
tools=$build/src/tools
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
ck=() wr=()
for r in $(seq "$runs"); do
	"$tools/mtcp_launch" --dir "$dir" --keep 1 -- "$build/bench/randmem" "$mib" > "$dir/out" &
	pid=$!
	for _ in $(seq 600); do grep -q ready "$dir/out" 2>/dev/null && break; sleep 0.1; done
	t0=$(date +%s.%N)
	img=$("$tools/mtcp_checkpoint" --wait "$pid")
	t1=$(date +%s.%N)
	size=$(stat -c %s "$img")
	kill -9 "$pid"; wait "$pid" 2>/dev/null || true
	rm -f "$img"
	c=$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.3f", b - a}')
	w=$("$build/bench/write_baseline" "$dir/baseline" "$mib")
	ck+=("$c") wr+=("$w")
	printf 'run %d: checkpoint %.3f s (image %d bytes), write+fsync %.3f s\n' "$r" "$c" "$size" "$w"
done
cm=$(printf '%s\n' "${ck[@]}" | median) wm=$(printf '%s\n' "${wr[@]}" | median)
printf 'median of %d: checkpoint %.3f s, write+fsync %.3f s, ratio %.2f\n' "$runs" "$cm" "$wm" \
	"$(awk -v a="$cm" -v b="$wm" 'BEGIN {print a / b}')"
rm -rf "$dir"
