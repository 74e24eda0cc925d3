#!/bin/bash
# SPDX-License-Identifier: MIT
# mb_smoke.sh MTCP_BENCH: the paper's modes of mtcp-bench (bench/mb) on
# their smallest sizes, one run each (memory also with --cow both; npb also
# with --interval, the slowdown runs, on both sides; memory --incremental,
# issue 11's rows; memory --on-term, issue 12's): exit 0, and the CSV
# files hold the header and the rows expected, every one with ok = 1. No
# timing is checked. Also: --help exits 0 and a bad option exits 2. (The
# targets mode: mb_targets_smoke.sh.)
set -u
bench=$1
dir=/var/tmp
case $(stat -f -c %T "$dir" 2>/dev/null) in
tmpfs | ramfs) dir=$PWD ;; # mtcp-bench refuses tmpfs
esac
tmp=$(mktemp -d "$dir/mb-smoke.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT
fails=0
fail() {
	echo "FAIL: $*"
	fails=$((fails + 1))
}

HEAD='mode,kind,point,unit,cow,runs,data_bytes,pause_med_s,pause_min_s,pause_max_s,reported_pause_med_s,todisk_med_s,todisk_min_s,todisk_max_s,image_bytes,restart_med_s,restart_min_s,restart_max_s,write_base_med_s,read_base_med_s,fork_base_med_s,base_bytes,pause_ratio,todisk_ratio,restart_ratio,criu_pause_s,criu_todisk_s,criu_image_bytes,criu_restart_s,extra_mem_med_bytes,extra_mem_min_bytes,extra_mem_max_bytes,class,run_time_s,residual_ok,ok,interval_s,ckpts_med,wall_med_s,wall_min_s,wall_max_s,slowdown_med,slowdown_min,slowdown_max,mean_pause_s,max_pause_s'
RHEAD='mode,kind,point,unit,cow,run,order,data_bytes,pause_s,reported_pause_s,todisk_s,image_bytes,restart_s,write_base_s,read_base_s,fork_base_s,base_bytes,criu_pause_s,criu_todisk_s,criu_image_bytes,criu_restart_s,extra_mem_bytes,class,run_time_s,residual_ok,ok,interval_s,ckpts,wall_s,slowdown,mean_pause_s,max_pause_s'

# check NAME MODE KIND "POINTS" [RESIDUAL_OK [COW...]]: NAME.csv and NAME-runs.csv;
# with COW values, each point has a row per value, in that order (the cow column)
check() {
	local name=$1 mode=$2 kind=$3 points=$4 res=${5:-} f=$tmp/$1.csv r=$tmp/$1-runs.csv
	local got want p w
	local cows=("${@:6}")
	[[ ${#cows[@]} -gt 0 ]] || cows=('')
	[[ $(head -n 1 "$f") == "$HEAD" ]] || fail "$name: header of $f: $(head -n 1 "$f")"
	[[ $(head -n 1 "$r") == "$RHEAD" ]] || fail "$name: header of $r: $(head -n 1 "$r")"
	got=$(tail -n +2 "$f" | cut -d, -f1-3,5 | tr '\n' ' ')
	want=$(for p in $points; do
		for w in "${cows[@]}"; do printf '%s,%s,%s,%s ' "$mode" "$kind" "$p" "$w"; done
	done)
	[[ $got == "$want" ]] || fail "$name: rows '$got', expected '$want'"
	got=$(tail -n +2 "$r" | cut -d, -f1-3,5 | tr '\n' ' ')
	[[ $got == "$want" ]] || fail "$name: run rows '$got', expected '$want'"
	# 46 and 32 fields; ok (the 36th, 26th in the runs) is 1; residual_ok (the
	# one before) where given
	awk -F, -v res="$res" 'NR > 1 && (NF != 46 || $36 != 1 || (res != "" && $35 != res)) {
		print "bad row: " $0; bad = 1 } END { exit bad }' "$f" || fail "$name: $f"
	awk -F, 'NR > 1 && (NF != 32 || $26 != 1) { print "bad row: " $0; bad = 1 } END { exit bad }' \
		"$r" || fail "$name: $r"
}

# run NAME ARGS...: mtcp-bench ARGS, exit 0 expected
run() {
	local name=$1 rc
	shift
	"$bench" "$@" --dir "$tmp" --out "$tmp/$name.csv" >"$tmp/$name.out" 2>&1 </dev/null
	rc=$?
	if [[ $rc != 0 ]]; then
		fail "$name: mtcp-bench $* exited $rc:"
		tail -n 20 "$tmp/$name.out"
		return 1
	fi
	echo "ok: mtcp-bench $* ($(grep -cE ' run [0-9]+/' "$tmp/$name.out") run line(s))"
}

run memory memory --from 4 --to 8 --runs 1 && check memory memory random "4 8"
run heap memory --from 4 --to 4 --runs 1 --kind heap && check heap memory heap "4"
# both sides of --cow: a row per side; the run's order names them
run cow memory --from 4 --to 4 --runs 1 --cow both && check cow memory random "4" "" stw cow &&
	{ grep -q ',stw-cow-base,' "$tmp/cow-runs.csv" || fail "cow: order stw-cow-base not in $tmp/cow-runs.csv"; }
run threads threads --from 1 --to 4 --runs 1 && check threads threads idle "1 2 4"
run npb npb --class S --runs 1 && check npb npb lu "S" 1
# the slowdown runs: a row per side, in both files; the order alternates
# (one run: stw-cow-plain); each run has its wall time, its slowdown, its
# run without the library and a checkpoint count. Class S computes for a
# few tens of ms: the stop-the-world side, checkpointed every 5 ms, takes
# one at least (with its pauses); a copy-on-write image takes longer to
# write than the program lives (the writer dies with it): 0 or more.
if run interval npb --class S --interval 0.005 --runs 1; then
	check interval npb lu-interval "S" 1 stw cow
	grep -q ',stw-cow-plain,' "$tmp/interval-runs.csv" ||
		fail "interval: order stw-cow-plain not in $tmp/interval-runs.csv"
	# runs: 24 run_time_s, 27 interval_s, 28 ckpts, 29 wall_s, 30 slowdown, 31 mean_pause_s
	awk -F, 'NR > 1 && ($24 == "" || $27 != "0.005000" || $28 == "" || $29 == "" || $30 == "" ||
		$5 == "stw" && ($28 < 1 || $31 == "")) { print "bad row: " $0; bad = 1 }
		END { exit bad }' "$tmp/interval-runs.csv" || fail "interval: a run row lacks its figures"
	# points: 34 run_time_s, 38 ckpts_med, 39 wall_med_s, 42 slowdown_med, 45 mean_pause_s
	awk -F, 'NR > 1 && ($34 == "" || $38 == "" || $39 == "" || $42 == "" ||
		$5 == "stw" && ($38 < 1 || $45 == "")) { print "bad row: " $0; bad = 1 }
		END { exit bad }' "$tmp/interval.csv" || fail "interval: a point row lacks its figures"
	grep -qE '^S +stw .* yes$' "$tmp/interval.out" && grep -qE '^S +cow .* yes$' "$tmp/interval.out" ||
		fail "interval: the summary lacks a side"
fi

# memory --incremental (issue 11): its own columns; a row per point and side,
# then the two scan rows; every increment measured, its scan and the first
# full image's protection there, and the restarts from the chain, the full
# image and the flattened chain.
IHEAD='mode,kind,point,unit,cow,runs,data_bytes,increments,policy_fulls,rewritten_bytes,image_limit_bytes,image_bytes,image_min_bytes,image_max_bytes,image_ratio,pause_med_s,pause_min_s,pause_max_s,reported_pause_med_s,todisk_med_s,todisk_min_s,todisk_max_s,scan_med_s,scan_min_s,scan_max_s,tracked_bytes,written_bytes,inherited_bytes,full_pause_med_s,full_pause_min_s,full_pause_max_s,full_todisk_med_s,full_image_bytes,protect_med_s,protect_min_s,protect_max_s,protected_bytes,depth,restart_med_s,restart_min_s,restart_max_s,restart_full_med_s,restart_full_min_s,restart_full_max_s,restart_ratio,flatten_med_s,restart_flat_med_s,restart_flat_min_s,restart_flat_max_s,ok'
"$bench" memory --incremental 1,10 --size-mb 8 --scan-mb 16 --increments 2 --runs 1 --dir "$tmp" \
	--out "$tmp/incr.csv" >"$tmp/incr.out" 2>&1 </dev/null
rc=$?
if [[ $rc != 0 ]]; then
	fail "incr: mtcp-bench memory --incremental exited $rc:"
	tail -n 20 "$tmp/incr.out"
else
	[[ $(head -n 1 "$tmp/incr.csv") == "$IHEAD" ]] || fail "incr: header of incr.csv: $(head -n 1 "$tmp/incr.csv")"
	got=$(tail -n +2 "$tmp/incr.csv" | cut -d, -f1-5 | tr '\n' ' ')
	want='incremental,random,1,%,stw incremental,random,1,%,cow incremental,random,10,%,stw incremental,random,10,%,cow incremental,scan-random,1,%,stw incremental,scan-window,1,%,stw '
	[[ $got == "$want" ]] || fail "incr: rows '$got', expected '$want'"
	# 50 fields, ok (50) 1; increments (8) 2 (1 for the scan rows); image (12), pause (16),
	# scan (23), the first full image's protection (34); random: the depth (38) and the
	# restarts from the chain (39), the full image (42) and the flattened chain (47)
	awk -F, 'NR > 1 && (NF != 50 || $50 != 1 || $8 != ($2 == "random" ? 2 : 1) || $12 == "" ||
		$16 == "" || $23 == "" || $34 == "" ||
		$2 == "random" && ($38 != 2 || $39 == "" || $42 == "" || $47 == "")) {
		print "bad row: " $0; bad = 1 } END { exit bad }' \
		"$tmp/incr.csv" || fail "incr: a row of incr.csv lacks its figures"
	[[ $(tail -n +2 "$tmp/incr-runs.csv" | wc -l) == 6 ]] || fail "incr: incr-runs.csv has not 6 rows"
	grep -qE '^1% \[cow\]: pause .*(PASS|MISS)' "$tmp/incr.out" || fail "incr: no judged pause row"
	grep -qE '^scan 16 MiB, one window \[stw\]' "$tmp/incr.out" || fail "incr: no scan row"
	echo "ok: mtcp-bench memory --incremental 1,10 --size-mb 8 --scan-mb 16 --increments 2"
fi
"$bench" memory --incremental 0 >/dev/null 2>&1
[[ $? == 2 ]] || fail "--incremental 0 did not exit 2"

# memory --on-term (issue 12): its own columns; a row per kind and image and
# side; every run's SIGTERM timed, the library's final line read (its
# pause), the image full or an increment as the row says (mtcp_restart
# --verify), the program exited by its own handler (status 0), restarted from
# the image with every byte checked, the write baseline taken.
THEAD='mode,kind,image,rewrite_pct,cow,runs,data_bytes,rewritten_bytes,image_bytes,image_min_bytes,image_max_bytes,depth,term_med_s,term_min_s,term_max_s,paused_med_s,paused_min_s,paused_max_s,prior_todisk_med_s,restart_med_s,restart_min_s,restart_max_s,base_bytes,write_base_med_s,write_base_min_s,write_base_max_s,term_ratio,grace_s,grace_share,fit_gib,disk_fit_gib,ok'
TRHEAD='mode,kind,image,rewrite_pct,cow,run,order,data_bytes,rewritten_bytes,prior_todisk_s,prior_image_bytes,term_s,paused_s,image_bytes,depth,exit_status,restart_s,base_bytes,write_base_s,ok'
"$bench" memory --on-term 1 --size-mb 32 --runs 1 --dir "$tmp" --out "$tmp/term.csv" \
	>"$tmp/term.out" 2>&1 </dev/null
rc=$?
if [[ $rc != 0 ]]; then
	fail "term: mtcp-bench memory --on-term exited $rc:"
	tail -n 20 "$tmp/term.out"
else
	[[ $(head -n 1 "$tmp/term.csv") == "$THEAD" ]] || fail "term: header of term.csv: $(head -n 1 "$tmp/term.csv")"
	[[ $(head -n 1 "$tmp/term-runs.csv") == "$TRHEAD" ]] ||
		fail "term: header of term-runs.csv: $(head -n 1 "$tmp/term-runs.csv")"
	want='on-term,random,full,,stw on-term,random,full,,cow on-term,heap,full,,stw on-term,heap,full,,cow on-term,random,incremental,1,stw on-term,random,incremental,1,cow '
	got=$(tail -n +2 "$tmp/term.csv" | cut -d, -f1-5 | tr '\n' ' ')
	[[ $got == "$want" ]] || fail "term: rows '$got', expected '$want'"
	got=$(tail -n +2 "$tmp/term-runs.csv" | cut -d, -f1-5 | tr '\n' ' ')
	[[ $got == "$want" ]] || fail "term: run rows '$got', expected '$want'"
	# 32 fields, ok (32) 1; image (9), depth (12) 0 for full, 1 or more for an
	# increment (with its checkpoint before, 19), SIGTERM to exit (13), the
	# library's pause (16), restart (20), write baseline (24), share (29)
	awk -F, 'NR > 1 && (NF != 32 || $32 != 1 || $9 <= 0 || $13 == "" || $16 == "" ||
		$20 == "" || $24 == "" || $29 == "" ||
		($3 == "full" ? $12 != 0 : $12 < 1 || $19 == "")) {
		print "bad row: " $0; bad = 1 } END { exit bad }' \
		"$tmp/term.csv" || fail "term: a row of term.csv lacks its figures"
	# runs: 20 fields, exit status (16) 0, ok (20) 1
	awk -F, 'NR > 1 && (NF != 20 || $16 != 0 || $20 != 1) { print "bad row: " $0; bad = 1 }
		END { exit bad }' "$tmp/term-runs.csv" || fail "term: a row of term-runs.csv"
	grep -qE '^random 1% incr \[cow\]: SIGTERM .*(PASS|MISS)' "$tmp/term.out" ||
		fail "term: no judged SIGTERM row"
	grep -qE '^  heap full \[stw\] .* of 30 s; at this rate' "$tmp/term.out" ||
		fail "term: no grace-period line"
	echo "ok: mtcp-bench memory --on-term 1 --size-mb 32 --runs 1"
fi
"$bench" memory --on-term --kind heap >/dev/null 2>&1
[[ $? == 2 ]] || fail "--on-term --kind heap did not exit 2"

"$bench" --help >/dev/null 2>&1 || fail "--help did not exit 0"
"$bench" memory --from 0 >/dev/null 2>&1
[[ $? == 2 ]] || fail "--from 0 did not exit 2"
"$bench" npb --interval 1 --binary /bin/true >/dev/null 2>&1
[[ $? == 2 ]] || fail "--interval with --binary did not exit 2"
ls "$tmp" | grep -q '^mtcp-bench\.' && fail "a work directory was left behind: $(ls "$tmp")"

if ((fails)); then
	echo "$fails failure(s)"
	exit 1
fi
echo "PASS"
