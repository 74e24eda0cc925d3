#!/bin/bash
# SPDX-License-Identifier: MIT
# targets.sh BUILD_DIR [--runs N] [--size-mb M] [--dir DIR] [--only NAME[,NAME...]]
#            [--threads N] [--compare criu]
#
# Measures the checkpoint targets of libmtcp-fast and prints one table:
# target, measured median [min..max], baseline, ratio, limit, PASS/MISS.
#   random   M MiB of random data: pause <= 1.0 x write()+fsync of the same
#            bytes; restart to running <= 1.25 x reading them back
#   zero     M MiB of resident zero pages: image < 1 MiB, pause < 0.15 s
#   sparse   a 4M MiB mapping, one byte in every 64th page: image < 2 MiB,
#            pause < 0.1 s
#   threads  N idle threads (default 1000) with default stacks: image < 8 MiB,
#            pause < 0.25 s, restart < 0.25 s
#   libs     M MiB of the bytes of /usr/lib/x86_64-linux-gnu/*.so*: image
#            <= 0.5 x the bytes, pause <= random's pause
#   empty    the library and libc only: image < 1 MiB, pause < 10 ms
# M is --size-mb (default 1024: the issue's sizes; smaller for smoke runs,
# the limits stay the issue's). Each figure is the median of --runs runs
# (default 5). DIR (default /var/tmp) must be on a disk file system, not
# tmpfs; a private directory is made in it and removed at the end.
#
# Pause: the longest gap between the 1 ms wake-ups of bench_prog's stall
# meter thread, reset just before `mtcp_checkpoint --wait PID` and read
# just after it. Restart: from starting `mtcp_restart IMAGE`, its page
# cache dropped first, until the restored program answers a "ping" that
# was waiting on its stdin. Baselines: bench/write_baseline (write() in
# 1 MiB chunks + fsync, the same bytes, same directory) and
# bench/readback_baseline (that file, cache dropped, read() into fresh
# memory). Checkpoint and baseline alternate run by run. Every restarted
# program checks its data and fails the script if it changed.
#
# The environment is passed through (MTCP_WRITE, MTCP_SCAN, MTCP_COMPRESS,
# MTCP_FSYNC, ... reach the library). --compare criu also runs `criu dump
# --leave-running` / `criu restore` on the same program (as root) and
# prints libmtcp-fast's figures against CRIU's; if criu is missing or
# fails, one line says why and the rest goes on.
set -euo pipefail

me=targets.sh
die() {
	printf '%s: %s\n' "$me" "$*" >&2
	exit 1
}
bad() { # a usage error
	printf '%s: %s\n' "$me" "$*" >&2
	exit 2
}

# --- arguments ----------------------------------------------------------------
build='' runs=5 size_mb=1024 dir=/var/tmp only='' compare='' nthreads=1000
need_val() { [[ $# -ge 2 && -n $2 ]] || bad "$1 needs a value (--help for usage)"; }
is_count() { [[ $1 =~ ^[1-9][0-9]{0,6}$ ]]; }
while [[ $# -gt 0 ]]; do
	case $1 in
	--runs) need_val "$@"; runs=$2; shift 2 ;;
	--size-mb) need_val "$@"; size_mb=$2; shift 2 ;;
	--dir) need_val "$@"; dir=$2; shift 2 ;;
	--only) need_val "$@"; only=$2; shift 2 ;;
	--threads) need_val "$@"; nthreads=$2; shift 2 ;;
	--compare) need_val "$@"; compare=$2; shift 2 ;;
	--runs=* | --size-mb=* | --dir=* | --only=* | --threads=* | --compare=*)
		set -- "${1%%=*}" "${1#*=}" "${@:2}" ;;
	-h | --help) sed -n '3,/^set -euo/{/^set/d;s/^# \{0,1\}//;p}' "$0"; exit 0 ;;
	-*) bad "unknown option '$1' (--help for usage)" ;;
	*) [[ -z $build ]] || bad "one BUILD_DIR only: '$build' and '$1'"; build=$1; shift ;;
	esac
done
[[ -n $build ]] || bad "no BUILD_DIR given (--help for usage)"
is_count "$runs" || bad "invalid --runs '$runs' (a count from 1)"
is_count "$size_mb" || bad "invalid --size-mb '$size_mb' (MiB, from 1)"
if ! is_count "$nthreads" || ((nthreads > 16000)); then
	bad "invalid --threads '$nthreads' (1..16000)"
fi
[[ -z $compare || $compare == criu ]] || bad "invalid --compare '$compare' (only: criu)"
ALL=(random zero sparse threads libs empty)
TARGETS=()
if [[ -z $only ]]; then
	TARGETS=("${ALL[@]}")
else
	for t in "${ALL[@]}"; do [[ ,$only, == *,$t,* ]] && TARGETS+=("$t"); done
	for t in ${only//,/ }; do
		[[ " ${ALL[*]} " == *" $t "* ]] || bad "invalid --only '$t' (one of: ${ALL[*]})"
	done
fi
declare -A ARGS=([random]="random $size_mb" [zero]="zero $size_mb"
	[sparse]="sparse $((4 * size_mb)) 64" [threads]="threads $nthreads"
	[libs]="libs $size_mb" [empty]=empty)

abs=$(cd "$build" 2>/dev/null && pwd) || bad "BUILD_DIR '$build' is not a directory"
build=$abs
LAUNCH=$build/src/tools/mtcp_launch CKPT=$build/src/tools/mtcp_checkpoint
RESTART=$build/src/restart/mtcp_restart PROG=$build/bench/bench_prog
WB=$build/bench/write_baseline RB=$build/bench/readback_baseline
for x in "$LAUNCH" "$CKPT" "$RESTART" "$PROG" "$WB" "$RB"; do
	[[ -x $x ]] || die "$x is missing: build it first (ninja -C $build)"
done
[[ -d $dir && -w $dir ]] || bad "--dir '$dir' is not a writable directory"
fstype=$(stat -f -c %T "$dir")
case $fstype in
tmpfs | ramfs) bad "--dir '$dir' is on $fstype: the images must go to a disk (e.g. --dir /var/tmp)" ;;
esac

# --- processes and cleanup --------------------------------------------------
STARTED=() # our children not reaped yet
FOREIGN=() # programs criu restored (not our children)
WORK='' PIN='' POUT='' NAPFD='' FIN='' FOUT='' PID='' CUR=''
descendants() {
	local c
	# shellcheck disable=SC2013 # one line of pids
	for c in $(cat "/proc/$1/task/$1/children" 2>/dev/null); do
		descendants "$c"
		echo "$c"
	done
}
cleanup() {
	local rc=$? p i all=()
	[[ $BASHPID == "$$" ]] || return 0 # a subshell inherits the trap
	trap - EXIT INT TERM
	# jobs -p too: a signal may come between a `&` and STARTED+=
	for p in "${STARTED[@]}" "${FOREIGN[@]}" $(jobs -p); do
		# shellcheck disable=SC2207 # pids
		all+=($(descendants "$p") "$p")
	done
	if [[ ${#all[@]} -gt 0 ]]; then
		kill -KILL "${all[@]}" 2>/dev/null || true
		wait 2>/dev/null || true
		# grandchildren (a restored program under mtcp_restart) end soon after
		for p in "${all[@]}"; do
			for ((i = 0; i < 100; i++)); do alive "$p" || break; nap; done
		done
	fi
	[[ -n $WORK ]] && rm -rf "$WORK"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

WORK=$(mktemp -d "$dir/mtcp-targets.XXXXXX") || die "cannot create a directory in '$dir'"
ERRLOG=$WORK/stderr.log
: >"$ERRLOG"
mkfifo -m 0600 "$WORK/nap"
exec {NAPFD}<>"$WORK/nap"
# a 10 ms pause without a process: nobody ever writes to this FIFO
nap() { read -r -t 0.01 -u "$NAPFD" _ || true; }
now() { T=${EPOCHREALTIME/./}; } # microseconds, in T
tail_err() { tail -n 3 "$ERRLOG" | tr '\n' '|' | sed 's/|$//; s/|/ | /g'; }

# alive PID: the process exists and is not a zombie
alive() {
	local s
	s=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	s=${s##*) }
	[[ -n $s && ${s%% *} != Z ]]
}
forget() {
	local p keep=()
	for p in "${STARTED[@]}"; do [[ $p == "$1" ]] || keep+=("$p"); done
	STARTED=("${keep[@]}")
}
# reap PID: waits (at most 60 s, then SIGKILL) for our child PID to end;
# its status in STATUS
reap() {
	local i
	for ((i = 0; i < 6000; i++)); do alive "$1" || break; nap; done
	# shellcheck disable=SC2046
	alive "$1" && kill -KILL $(descendants "$1") "$1" 2>/dev/null
	STATUS=0
	wait "$1" 2>/dev/null || STATUS=$?
	forget "$1"
}
# fresh FIFOs for the program's stdin (we write PIN) and stdout (we read POUT);
# both are held open read-write here, so no open blocks and no read sees EOF
close_fifos() {
	if [[ -n $PIN ]]; then exec {PIN}>&-; fi
	if [[ -n $POUT ]]; then exec {POUT}>&-; fi
	PIN='' POUT=''
	rm -f "$WORK"/in.* "$WORK"/out.*
}
NFIFO=0
open_fifos() {
	close_fifos
	NFIFO=$((NFIFO + 1))
	FIN=$WORK/in.$NFIFO FOUT=$WORK/out.$NFIFO
	mkfifo -m 0600 "$FIN" "$FOUT"
	exec {PIN}<>"$FIN" {POUT}<>"$FOUT"
}
send() { printf '%s\n' "$1" >&"$PIN"; }
# expect WORD SECS: the program's next line must start with WORD; it is left in LINE
expect() {
	local i
	for ((i = 0; i < $2; i++)); do
		if read -r -t 1 -u "$POUT" LINE; then
			case $LINE in
			"$1" | "$1 "*) return 0 ;;
			FAIL*) die "$CUR: the program found its data changed: $LINE" ;;
			*) die "$CUR: expected '$1' from the program, got '$LINE'" ;;
			esac
		fi
		alive "$PID" || die "$CUR: the program ended before answering '$1' (stderr: $(tail_err))"
	done
	die "$CUR: no '$1' from the program within $2 s"
}
# field NAME: the value of NAME=VALUE in LINE
field() {
	local f
	for f in $LINE; do [[ $f == "$1="* ]] && { echo "${f#*=}"; return; }; done
	echo 0
}

declare -A R # "target.metric" -> values, space-separated (µs, or bytes)
add() { R[$1]="${R[$1]:-}$2 "; }
last() { local a; read -ra a <<<"${R[$1]:-0}"; echo "${a[-1]}"; } # the latest value
ms() { awk -v u="$1" 'BEGIN { if (u < 1e6) printf "%.1f ms", u / 1e3; else printf "%.3f s", u / 1e6 }'; }

# --- one run of one target ----------------------------------------------------
# checkpoint side: launch, reset the meter, checkpoint, read the pause; sets IMG
checkpoint_run() {
	local t=$1 ns t0
	open_fifos
	# shellcheck disable=SC2086 # the workload's words
	"$LAUNCH" --dir "$WORK" --keep 1 --interval 0 -- "$PROG" ${ARGS[$t]} \
		<"$FIN" >"$FOUT" 2>>"$ERRLOG" {PIN}>&- {POUT}>&- {NAPFD}>&- &
	PID=$!
	STARTED+=("$PID")
	expect ready 1200
	add "$t.bytes" "$(field bytes)"
	send reset
	expect reset 60
	now; t0=$T
	IMG=$("$CKPT" --wait --timeout 1200 "$PID" 2>>"$ERRLOG") ||
		die "$CUR: mtcp_checkpoint --wait $PID failed (stderr: $(tail_err))"
	now
	add "$t.wall" $((T - t0))
	send report
	expect stall 60
	ns=${LINE#stall }
	ns=${ns%% *}
	add "$t.pause" $((ns / 1000))
	send verify
	expect ok 1200
	send quit # not SIGKILL: bash would print a "Killed" notice
	reap "$PID"
	[[ $STATUS == 0 ]] || die "$CUR: the program exited with status $STATUS after the checkpoint (stderr: $(tail_err))"
	[[ -f $IMG ]] || die "$CUR: mtcp_checkpoint printed '$IMG', which is not a file"
	add "$t.image" "$(stat -c %s "$IMG")"
}
# restart side: drop the image's cache, restart, wait for the answer to ping
restart_run() {
	local t=$1 t0
	"$RB" --drop "$IMG" 2>>"$ERRLOG" || die "$CUR: cannot drop the page cache of $IMG"
	open_fifos
	send ping # waits in the FIFO until the restored program reads it
	now; t0=$T
	"$RESTART" "$IMG" <"$FIN" >"$FOUT" 2>>"$ERRLOG" {PIN}>&- {POUT}>&- {NAPFD}>&- &
	PID=$!
	STARTED+=("$PID")
	expect pong 1200
	now
	add "$t.restart" $((T - t0))
	send verify
	expect ok 1200
	send quit
	reap "$PID"
	[[ $STATUS == 0 ]] || die "$CUR: the restarted program exited with status $STATUS (stderr: $(tail_err))"
	close_fifos
	rm -f "$IMG"
}
baseline_write() {
	local s
	s=$("$WB" --keep "$WORK/baseline" "$size_mb" 2>>"$ERRLOG") || die "write_baseline failed: $(tail_err)"
	add base.write "$(awk -v s="$s" 'BEGIN { printf "%d", s * 1e6 }')"
}
baseline_read() {
	local s
	s=$("$RB" "$WORK/baseline" 2>>"$ERRLOG") || die "readback_baseline failed: $(tail_err)"
	add base.read "$(awk -v s="$s" 'BEGIN { printf "%d", s * 1e6 }')"
	rm -f "$WORK/baseline"
}

# --- CRIU ---------------------------------------------------------------------
CRIU=
if [[ $compare == criu ]]; then
	if ! command -v criu >/dev/null; then
		echo "criu comparison skipped: no criu on PATH"
	elif [[ $(id -u) != 0 ]]; then
		echo "criu comparison skipped: criu dump and restore need root"
	else
		CRIU=$(command -v criu)
	fi
fi
criu_off() {
	echo "criu comparison skipped: $*"
	CRIU=
}
# criu_error LOG: criu's first error of its own (not a helper's exit status)
criu_error() {
	local e
	e=$(cat "$1" "${1%/*}/criu.stderr" 2>/dev/null | grep -v 'exited, status=' |
		grep -m1 -E 'Error|error' | sed -E 's/^\([ 0-9.]*\) *//; s/^Error \([^)]*\): *//') || true
	echo "${e:-criu gave no error message}"
}
# wait_lines FILE REGEX COUNT SECS: until COUNT lines of FILE match (10 ms polls:
# a program under criu keeps no pipe, so it answers into a file)
wait_lines() {
	local i n
	for ((i = 0; i < $4 * 100; i++)); do
		n=$(grep -c -- "$2" "$1" || true)
		((n >= $3)) && return 0
		grep -q '^FAIL' "$1" && die "$CUR (criu): the program found its data changed: $(grep '^FAIL' "$1")"
		nap
	done
	return 1
}
criu_run() {
	local t=$1 out=$WORK/criu.out img=$WORK/criu-img cw=$WORK/criu-work pid n t0 ns
	rm -rf "$img" && mkdir -p "$img" "$cw" && : >"$out"
	# signals instead of commands: stdin at its end
	# shellcheck disable=SC2086
	"$PROG" ${ARGS[$t]} </dev/null >>"$out" 2>>"$ERRLOG" {NAPFD}>&- &
	pid=$!
	STARTED+=("$pid")
	wait_lines "$out" '^ready' 1 1200 || die "$CUR (criu): the program did not start: $(tail_err)"
	kill -USR1 "$pid"
	wait_lines "$out" '^reset' 1 60 || die "$CUR (criu): no answer to SIGUSR1"
	now; t0=$T
	if ! "$CRIU" dump -t "$pid" -D "$img" -W "$cw" -o dump.log --shell-job --leave-running \
		>/dev/null 2>"$cw/criu.stderr"; then
		criu_off "criu dump failed: $(criu_error "$cw/dump.log")"
		kill -TERM "$pid"; reap "$pid" # bench_prog exits 0 on SIGTERM
		return 0
	fi
	now
	add "$t.criu_wall" $((T - t0))
	kill -USR2 "$pid"
	wait_lines "$out" '^ok' 1 1200 || die "$CUR (criu): no answer to SIGUSR2"
	ns=$(grep '^stall' "$out" | tail -n 1 | cut -d' ' -f2)
	add "$t.criu_pause" $((ns / 1000))
	kill -TERM "$pid"; reap "$pid"
	add "$t.criu_image" "$(du -sb "$img" | cut -f1)"
	"$RB" --drop "$img"/* 2>>"$ERRLOG" || true
	n=$(grep -c '^reset' "$out" || true)
	now; t0=$T
	if ! "$CRIU" restore -D "$img" -W "$cw" -o restore.log --shell-job -d \
		>/dev/null 2>"$cw/criu.stderr"; then
		criu_off "criu restore failed: $(criu_error "$cw/restore.log")"
		return 0
	fi
	FOREIGN+=("$pid")
	kill -USR1 "$pid"
	wait_lines "$out" '^reset' $((n + 1)) 1200 || die "$CUR (criu): the restored program does not answer"
	now
	add "$t.criu_restart" $((T - t0))
	kill -USR2 "$pid"
	wait_lines "$out" '^ok' 2 1200 || die "$CUR (criu): the restored program did not verify"
	kill -KILL "$pid" 2>/dev/null || true
	for ((n = 0; n < 3000; n++)); do alive "$pid" || break; nap; done
	FOREIGN=()
	rm -rf "$img"
}

# --- the runs -----------------------------------------------------------------
echo "libmtcp-fast targets: $(date '+%F %T'), $(uname -n), kernel $(uname -r)"
echo "build $build; images in $WORK ($fstype); $runs run(s) per figure: median [min..max]"
echo "sizes: random, zero, libs $size_mb MiB; sparse $((4 * size_mb)) MiB, a byte in every 64th page;" \
	"threads $nthreads; empty"
if ((size_mb != 1024 || nthreads != 1000)); then
	echo "note: smaller than the issue's sizes; the limits below are the issue's, for its sizes"
fi
mtcp_env=$(env | grep '^MTCP_' | sort | tr '\n' ' ' || true)
echo "environment: ${mtcp_env:-no MTCP_* variable set}"
echo "order: odd runs go checkpoint, write+fsync baseline, restart, read-back baseline;" \
	"even runs go write+fsync baseline, checkpoint, read-back baseline, restart: freed memory" \
	"goes back to the host, so the side that runs right after a large free gets cold memory," \
	"and alternating which side goes first shares that out"
echo
for t in "${TARGETS[@]}"; do
	for ((r = 1; r <= runs; r++)); do
		CUR="$t run $r"
		# which side goes first alternates run by run: the side that runs
		# right after a large free gets cold memory (see the header)
		if [[ $t == random ]] && ((r % 2 == 0)); then
			baseline_write
			checkpoint_run "$t"
			baseline_read
			restart_run "$t"
		else
			checkpoint_run "$t"
			if [[ $t == random ]]; then baseline_write; fi
			restart_run "$t"
			if [[ $t == random ]]; then baseline_read; fi
		fi
		line="$t run $r/$runs: pause $(ms "$(last "$t.pause")")"
		line+=", checkpoint $(ms "$(last "$t.wall")") (mtcp_checkpoint --wait)"
		line+=", image $(last "$t.image") B, restart $(ms "$(last "$t.restart")")"
		if [[ $t == random ]]; then
			line+="; write+fsync $(ms "$(last base.write)"), read-back $(ms "$(last base.read)")"
		fi
		echo "$line"
		if [[ -n $CRIU ]]; then
			criu_run "$t"
			if [[ -n $CRIU ]]; then
				echo "$t run $r/$runs, criu: pause $(ms "$(last "$t.criu_pause")")," \
					"image $(last "$t.criu_image") B, restore $(ms "$(last "$t.criu_restart")")"
			fi
		fi
	done
done

# --- the table ----------------------------------------------------------------
# row LABEL UNIT(t|b) VALUES BASE_LABEL BASE_VALUES KIND(abs|rel|info) LIMIT LIMIT_TEXT
row() {
	awk -v label="$1" -v unit="$2" -v v="$3" -v blabel="$4" -v b="$5" -v kind="$6" \
		-v lim="$7" -v ltext="$8" '
	function sortn(a, n,   i, j, x) {
		for (i = 2; i <= n; i++) {
			x = a[i]
			for (j = i - 1; j >= 1 && a[j] > x; j--) a[j + 1] = a[j]
			a[j + 1] = x
		}
	}
	function median(a, n) { return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2 }
	function fmt(x) {
		if (unit == "b") return sprintf("%d B", x)
		return x < 1e6 ? sprintf("%.1f ms", x / 1e3) : sprintf("%.3f s", x / 1e6)
	}
	BEGIN {
		n = split(v, a, " "); sortn(a, n)
		meas = "no data"; verdict = "-"; ratio = "-"; base = "-"
		if (n) {
			m = median(a, n)
			meas = fmt(m) (n > 1 ? " [" fmt(a[1]) ".." fmt(a[n]) "]" : "")
		}
		k = split(b, c, " ")
		if (k) {
			sortn(c, k); bm = median(c, k)
			base = blabel " " fmt(bm)
			if (n && bm > 0) ratio = sprintf("%.2f", m / bm)
		} else if (blabel != "") {
			base = blabel " not run"
		}
		if (n && kind == "abs") verdict = m < lim ? "PASS" : "MISS"
		if (kind == "rel" && ratio != "-") verdict = m / bm <= lim ? "PASS" : "MISS" # unrounded
		if (kind == "info") verdict = "info"
		printf "%-17s %-38s %-28s %6s  %-20s %s\n", label, meas, base, ratio, ltext, verdict
	}'
}
MiB=1048576
echo
printf '%-17s %-38s %-28s %6s  %-20s %s\n' target "measured median [min..max]" baseline ratio limit verdict
for t in "${TARGETS[@]}"; do
	case $t in
	random)
		row "random: pause" t "${R[random.pause]:-}" write+fsync "${R[base.write]:-}" rel 1.00 "<= 1.00 x baseline"
		row "random: restart" t "${R[random.restart]:-}" read-back "${R[base.read]:-}" rel 1.25 "<= 1.25 x baseline"
		row "random: image" b "${R[random.image]:-}" data "${R[random.bytes]:-}" info 0 "-" ;;
	zero)
		row "zero: image" b "${R[zero.image]:-}" "" "" abs $MiB "< 1 MiB"
		row "zero: pause" t "${R[zero.pause]:-}" "" "" abs 150000 "< 0.15 s"
		row "zero: restart" t "${R[zero.restart]:-}" "" "" info 0 "-" ;;
	sparse)
		row "sparse: image" b "${R[sparse.image]:-}" "" "" abs $((2 * MiB)) "< 2 MiB"
		row "sparse: pause" t "${R[sparse.pause]:-}" "" "" abs 100000 "< 0.1 s"
		row "sparse: restart" t "${R[sparse.restart]:-}" "" "" info 0 "-" ;;
	threads)
		row "threads: image" b "${R[threads.image]:-}" "" "" abs $((8 * MiB)) "< 8 MiB"
		row "threads: pause" t "${R[threads.pause]:-}" "" "" abs 250000 "< 0.25 s"
		row "threads: restart" t "${R[threads.restart]:-}" "" "" abs 250000 "< 0.25 s" ;;
	libs)
		row "libs: image" b "${R[libs.image]:-}" data "${R[libs.bytes]:-}" rel 0.50 "<= 0.50 x data"
		row "libs: pause" t "${R[libs.pause]:-}" "random pause" "${R[random.pause]:-}" rel 1.00 "<= 1.00 x random"
		row "libs: restart" t "${R[libs.restart]:-}" "" "" info 0 "-" ;;
	empty)
		row "empty: image" b "${R[empty.image]:-}" "" "" abs $MiB "< 1 MiB"
		row "empty: pause" t "${R[empty.pause]:-}" "" "" abs 10000 "< 10 ms"
		row "empty: restart" t "${R[empty.restart]:-}" "" "" info 0 "-" ;;
	esac
done
for t in "${TARGETS[@]}"; do
	[[ -n ${R[$t.criu_pause]:-} ]] || continue
	row "$t: pause" t "${R[$t.pause]}" criu "${R[$t.criu_pause]}" info 0 "vs criu dump"
	row "$t: image" b "${R[$t.image]}" criu "${R[$t.criu_image]}" info 0 "vs criu dump"
	row "$t: restart" t "${R[$t.restart]}" criu "${R[$t.criu_restart]:-}" info 0 "vs criu restore"
done
if [[ -s $ERRLOG ]]; then
	echo
	echo "stderr of the programs and tools (count, line; the warnings about fds 0 and 1, the"
	echo "driver's FIFOs, which mtcp_restart replaces with its own, are expected):"
	sed -E "s#$WORK/(in|out)\.[0-9]+#\1-FIFO#; s/pipe:\[[0-9]+\]/pipe/" "$ERRLOG" |
		sort | uniq -c | sort -rn | head -n 8
fi
