#!/bin/bash
# SPDX-License-Identifier: MIT
# kill_loop.sh BUILD_DIR [--kills N] [--mem-mb M] [--interval S]
#              [--max-delay S] [--seed N] [--dir DIR] [--keep-leaks]
#
# SIGKILL in the middle of checkpoints, again and again (issue 8, items 6
# and 7). Each round starts bench/progs/randmem (M MiB of random bytes, default
# 300) under mtcp_launch with a checkpoint every S seconds (default 0.2),
# waits until its memory is filled, waits a random delay of 0 to
# --max-delay seconds (default 1.0), and kills it with SIGKILL. Then:
#   - every file in the image directory whose name does not end in .mtcp
#     is a leak (a temporary file left behind, named like the old
#     .PROG.PID.SEQ.mtcp.tmp or like the fallback .PROG.PID.L.R.mtcp.tmp,
#     or anything else); it is counted, its size added up, and removed
#     (left in place with --keep-leaks: the next launch may clean it up;
#     each leaked file is counted once);
#   - the newest *.mtcp (by modification time) must pass
#     `mtcp_restart --verify`; one that does not is an unrestartable
#     newest image (a round killed before its first image has none: it is
#     counted apart, as "no image yet");
#   - the images are removed, and the file system's used blocks (df) are
#     compared with the start: an unnamed temporary file (O_TMPFILE) that
#     outlived its writer would show there only. df is shared with
#     everything else on the machine: the growth is shown, not judged.
#     The leaked bytes are the leaks' allocated blocks (du).
# Delays come from splitmix64 seeded by --seed (default: the time); the
# seed and every delay are printed, so a run can be replayed.
# Image names: PROG.PID.LLLLLLLL.SEQ.mtcp (issue 8) and the older
# PROG.PID.SEQ.mtcp are both images; only the .mtcp suffix is looked at.
#
# At the end: kills, leaked files (target 0), leaked bytes, unrestartable
# newest images (target 0). Exit 0 when both targets are met, 1 otherwise,
# 2 on a usage error. DIR (default /var/tmp) should be a disk file system;
# a private directory is made in it and removed at the end. Needs
# about 3 x M MiB free there (M x 2 with --keep-leaks and leaks).
# The environment is passed through (MTCP_WRITE, MTCP_FSYNC, ...).
set -uo pipefail

me=kill_loop.sh
bad() { # a usage error
	printf '%s: %s\n' "$me" "$*" >&2
	exit 2
}
die() {
	printf '%s: %s\n' "$me" "$*" >&2
	exit 1
}

# --- arguments ----------------------------------------------------------------
build='' kills=100 mem_mb=300 interval=0.2 max_delay=1.0 seed='' dir=/var/tmp keep_leaks=0
need_val() { [[ $# -ge 2 && -n $2 ]] || bad "$1 needs a value (--help for usage)"; }
is_count() { [[ $1 =~ ^[1-9][0-9]{0,6}$ ]]; }
is_secs() { [[ $1 =~ ^([0-9]{1,6}(\.[0-9]{0,3})?|\.[0-9]{1,3})$ ]]; }
while [[ $# -gt 0 ]]; do
	case $1 in
	--kills) need_val "$@"; kills=$2; shift 2 ;;
	--mem-mb) need_val "$@"; mem_mb=$2; shift 2 ;;
	--interval) need_val "$@"; interval=$2; shift 2 ;;
	--max-delay) need_val "$@"; max_delay=$2; shift 2 ;;
	--seed) need_val "$@"; seed=$2; shift 2 ;;
	--dir) need_val "$@"; dir=$2; shift 2 ;;
	--keep-leaks) keep_leaks=1; shift ;;
	--kills=* | --mem-mb=* | --interval=* | --max-delay=* | --seed=* | --dir=*)
		set -- "${1%%=*}" "${1#*=}" "${@:2}" ;;
	-h | --help) sed -n '3,/^set -uo/{/^set/d;s/^# \{0,1\}//;p}' "$0"; exit 0 ;;
	-*) bad "unknown option '$1' (--help for usage)" ;;
	*) [[ -z $build ]] || bad "one BUILD_DIR only: '$build' and '$1'"; build=$1; shift ;;
	esac
done
[[ -n $build ]] || bad "no BUILD_DIR given (--help for usage)"
is_count "$kills" || bad "invalid --kills '$kills' (a count from 1)"
is_count "$mem_mb" || bad "invalid --mem-mb '$mem_mb' (MiB, from 1)"
is_secs "$interval" && [[ $interval =~ [1-9] ]] ||
	bad "invalid --interval '$interval' (seconds, more than 0, at most 3 decimals)"
is_secs "$max_delay" || bad "invalid --max-delay '$max_delay' (seconds, at most 3 decimals)"
if [[ -z $seed ]]; then
	seed=$(date +%s%N)
fi
[[ $seed =~ ^[0-9]{1,18}$ ]] || bad "invalid --seed '$seed' (a decimal number, up to 18 digits)"
[[ -d $dir && -w $dir ]] || bad "--dir '$dir' is not a writable directory"

launch=$build/src/tools/mtcp_launch
restart=$build/src/restart/mtcp_restart
prog=$build/bench/progs/randmem
for f in "$launch" "$restart" "$prog"; do
	[[ -x $f ]] || die "$f is missing: build first (ninja -C $build)"
done

# --- splitmix64 (as tests/unit/test_rng.h); bash arithmetic wraps mod 2^64 -------
rng=$seed
# logical right shift of a 64-bit value
shr() { echo $((($1 >> $2) & ((1 << (64 - $2)) - 1))); }
RND=0
rnd() {
	local z
	rng=$((rng + 0x9e3779b97f4a7c15))
	z=$rng
	z=$(((z ^ $(shr "$z" 30)) * 0xbf58476d1ce4e5b9))
	z=$(((z ^ $(shr "$z" 27)) * 0x94d049bb133111eb))
	RND=$((z ^ $(shr "$z" 31)))
}
# milliseconds from "S.mmm"
to_ms() {
	local s=$1 i f
	i=${s%%.*} f=
	[[ $s == *.* ]] && f=${s#*.}
	f=${f}000
	echo $((10#${i:-0} * 1000 + 10#${f:0:3}))
}
max_delay_ms=$(to_ms "$max_delay")

# --- the run ----------------------------------------------------------------------
work=$(mktemp -d "$dir/mtcp-kill-loop.XXXXXX") || die "cannot make a directory in $dir"
imgdir=$work/images
logdir=$work/logs
mkdir -m 0700 "$imgdir" "$logdir" || die "cannot make $imgdir"
pid=
cleanup() {
	if [[ -n $pid ]]; then
		kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	fi
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

used_kib() { df -P -k "$1" | awk 'NR == 2 { print $3 }'; }
shopt -s dotglob nullglob

df0=$(used_kib "$imgdir")
printf '%s: %d kills, %d MiB, interval %s s, delays 0..%s s after ready, seed %s\n' \
	"$me" "$kills" "$mem_mb" "$interval" "$max_delay" "$seed"
printf '%s: images in %s (%s)\n' "$me" "$imgdir" "$(df -P -T "$imgdir" | awk 'NR == 2 { print $2 }')"

n_leaks=0 leak_bytes=0 n_bad=0 n_noimg=0 n_ok=0 max_df=0
declare -A seen_leak
t_start=$SECONDS

for ((k = 1; k <= kills; k++)); do
	rnd
	delay_ms=$(($(shr "$RND" 1) % (max_delay_ms + 1)))
	delay=$(printf '%d.%03d' $((delay_ms / 1000)) $((delay_ms % 1000)))
	out=$logdir/out.$k err=$logdir/err.$k
	"$launch" --dir "$imgdir" --interval "$interval" -- "$prog" "$mem_mb" >"$out" 2>"$err" &
	pid=$!
	# bounded wait for "ready" (the memory is filled)
	ready=0
	for ((w = 0; w < 6000; w++)); do
		if grep -q '^ready' "$out" 2>/dev/null; then
			ready=1
			break
		fi
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.01
	done
	if ((!ready)); then
		kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
		pid=
		cat "$err" >&2
		die "round $k: randmem did not get ready within 60 s (its stderr is above)"
	fi
	sleep "$delay"
	kill -KILL "$pid"
	wait "$pid" 2>/dev/null
	pid=

	# what is left in the directory
	images=() leaks_now=()
	for f in "$imgdir"/*; do
		name=${f##*/}
		if [[ $name == *.mtcp && -f $f && ! -L $f ]]; then
			images+=("$f")
		else
			leaks_now+=("$f")
		fi
	done
	leak_note=
	for f in "${leaks_now[@]}"; do
		id=$(stat -c '%d:%i' "$f" 2>/dev/null) || continue
		if [[ -n ${seen_leak[$id]-} ]]; then
			continue
		fi
		seen_leak[$id]=1
		sz=$(stat -c '%b*%B' "$f")
		sz=$((sz))
		n_leaks=$((n_leaks + 1))
		leak_bytes=$((leak_bytes + sz))
		leak_note+=" ${f##*/} ($((sz >> 20)) MiB)"
	done
	newest=
	if ((${#images[@]})); then
		newest=$(ls -t -- "${images[@]}" | head -n 1)
	fi
	if [[ -z $newest ]]; then
		verdict="no image yet"
		n_noimg=$((n_noimg + 1))
	elif "$restart" --verify "$newest" >"$logdir/verify.$k" 2>&1; then
		verdict="newest ${newest##*/} verifies"
		n_ok=$((n_ok + 1))
	else
		verdict="newest ${newest##*/} DOES NOT VERIFY: $(head -n 1 "$logdir/verify.$k")"
		n_bad=$((n_bad + 1))
	fi
	printf 'kill %d/%d: %s s after ready; %d image(s), %s; leaked:%s\n' "$k" "$kills" \
		"$delay" "${#images[@]}" "$verdict" "${leak_note:- none}"

	# clean up for the next round, then see what the directory still uses
	rm -f -- "${images[@]}"
	((keep_leaks)) || rm -rf -- "${leaks_now[@]}"
	rm -f "$out" "$err" "$logdir/verify.$k"
	df_now=$(($(used_kib "$imgdir") - df0))
	((df_now > max_df)) && max_df=$df_now
done

printf '\n%s: seed %s, %d kills in %d s\n' "$me" "$seed" "$kills" $((SECONDS - t_start))
printf '  newest image verifies:        %d\n' "$n_ok"
printf '  no image yet:                 %d\n' "$n_noimg"
printf '  unrestartable newest images:  %d (target 0)\n' "$n_bad"
printf '  leaked files:                 %d (target 0), %d MiB\n' "$n_leaks" $((leak_bytes >> 20))
df_end=$(($(used_kib "$imgdir") - df0))
printf '  file system used after cleanup: %d MiB more than at the start, at most %d MiB%s\n' \
	$((df_end >> 10)) $((max_df >> 10)) "$( ((keep_leaks)) && echo ' (leaks kept)')"
printf '                                (df is shared with the machine: informative)\n'
if ((n_bad == 0 && n_leaks == 0)); then
	echo "PASS"
	exit 0
fi
echo "FAIL"
exit 1
