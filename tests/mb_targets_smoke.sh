#!/bin/bash
# SPDX-License-Identifier: MIT
# mb_targets_smoke.sh MTCP_BENCH: `mtcp-bench targets --runs 1 --size-mb 16
# --only random,empty --cow both` (a few seconds): exit 0, the table has the
# rows of both sides (stop-the-world and copy-on-write; empty's
# copy-on-write side is MTCP_COW=auto) and issue 10's rows, each with a
# verdict, and the CSV files hold a row per workload and side with ok = 1.
# No timing is judged (with a library that does not know MTCP_COW both
# sides run stop-the-world). Also: the rewrite workload (a thread rewrites
# every page during the write; its data is checked after the checkpoint and
# the restart) with the extra memory of the copy-on-write side, the growth
# rows on tiny sizes, and bad options exit 2.
set -u
bench=$1
dir=/var/tmp
case $(stat -f -c %T "$dir" 2>/dev/null) in
tmpfs | ramfs) dir=$PWD ;; # mtcp-bench refuses tmpfs
esac
tmp=$(mktemp -d "$dir/mb-targets-smoke.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT
fails=0
fail() {
	echo "FAIL: $*"
	fails=$((fails + 1))
}

# run NAME ARGS...: mtcp-bench targets ARGS, exit 0 expected, stdout in NAME.out
run() {
	local name=$1 rc
	shift
	"$bench" targets "$@" --dir "$tmp" --out "$tmp/$name.csv" >"$tmp/$name.out" 2>&1 </dev/null
	rc=$?
	if [[ $rc != 0 ]]; then
		fail "$name: mtcp-bench targets $* exited $rc:"
		tail -n 20 "$tmp/$name.out"
		return 1
	fi
	echo "ok: mtcp-bench targets $*"
}

# row NAME LABEL [VERDICTS]: the table of NAME has a row LABEL with a verdict
# (default PASS, MISS or info)
row() {
	grep -qE "^$2 +.* (${3:-PASS|MISS|info}) " "$tmp/$1.out" ||
		fail "$1: no row '$2' with a verdict in the table"
}

# csv NAME "KIND,POINT,COW ..." RUNS: the rows of NAME.csv, in order, and RUNS
# rows of each in NAME-runs.csv; ok = 1 everywhere
csv() {
	local got want='' w r
	got=$(tail -n +2 "$tmp/$1.csv" | cut -d, -f2,3,5 | tr '\n' ' ')
	[[ $got == "$2 " ]] || fail "$1: rows '$got', expected '$2 '"
	got=$(tail -n +2 "$tmp/$1-runs.csv" | cut -d, -f2,3,5 | sort | tr '\n' ' ')
	for w in $2; do for ((r = 0; r < $3; r++)); do want+="$w"$'\n'; done; done
	want=$(printf '%s' "$want" | sort | tr '\n' ' ')
	[[ $got == "$want" ]] || fail "$1: run rows '$got', expected '$want'"
	# 46 and 32 fields; ok is the 36th (26th in the runs)
	awk -F, 'NR > 1 && (NF != 46 || $1 != "targets" || $36 != 1) { print "bad row: " $0; bad = 1 }
		END { exit bad }' "$tmp/$1.csv" || fail "$1: $tmp/$1.csv"
	awk -F, 'NR > 1 && (NF != 32 || $1 != "targets" || $26 != 1) { print "bad row: " $0; bad = 1 }
		END { exit bad }' "$tmp/$1-runs.csv" || fail "$1: $tmp/$1-runs.csv"
}

# extra NAME KIND: KIND's copy-on-write rows of NAME have the library's
# extra memory (MTCP_VERBOSE=1; > 0 bytes), its stop-the-world rows none
extra() {
	awk -F, -v k="$2" '$2 == k && ($5 == "cow" && !($30 > 0 && $31 > 0 && $32 > 0) ||
		$5 == "stw" && $30 $31 $32 != "") { print "bad row: " $0; bad = 1 } END { exit bad }' \
		"$tmp/$1.csv" || fail "$1: extra_mem_*_bytes of $2 missing, or where they should not be"
	awk -F, -v k="$2" '$2 == k && ($5 == "cow" && !($22 > 0) || $5 == "stw" && $22 != "") {
		print "bad run row: " $0; bad = 1 } END { exit bad }' "$tmp/$1-runs.csv" ||
		fail "$1: extra_mem_bytes of $2 missing, or where it should not be"
}

if run smoke --runs 1 --size-mb 16 --only random,empty --cow both; then
	for side in stw cow; do
		row smoke "random \[$side\]: pause"
		row smoke "random \[$side\]: restart"
		row smoke "random \[$side\]: image"
	done
	for side in stw auto; do
		row smoke "empty \[$side\]: pause"
		row smoke "empty \[$side\]: image"
	done
	row smoke "random: cow pause"
	row smoke "random: cow pause vs stw"
	row smoke "random: cow durable vs stw"
	row smoke "empty: auto image vs stw"
	row smoke "empty: auto pause vs stw"
	row smoke "random \[cow\]: extra memory" info
	csv smoke "random,16,stw random,16,cow empty,0,stw empty,0,auto" 1
	extra smoke random
	grep -q ',stw-cow-base,' "$tmp/smoke-runs.csv" || fail "smoke: order stw-cow-base not in the runs"
	# the write baseline is in random's rows, not in empty's
	awk -F, '$2 == "random" && $19 == "" || $2 == "empty" && $19 != "" { bad = 1 } END { exit bad }' \
		"$tmp/smoke.csv" || fail "smoke: write_base_med_s where it should not be, or missing"
fi

if run rewrite --only rewrite --size-mb 16 --runs 1 --cow both; then
	for side in stw cow; do
		row rewrite "rewrite \[$side\]: pause" info
		row rewrite "rewrite \[$side\]: durable" info
		row rewrite "rewrite \[$side\]: restart" info
		row rewrite "rewrite \[$side\]: image" info
	done
	row rewrite "rewrite \[cow\]: extra memory" info
	row rewrite "rewrite: cow pause vs stw" info
	row rewrite "rewrite: cow durable vs stw" info
	grep -q "^random " "$tmp/rewrite.out" && fail "rewrite: a random row with --only rewrite"
	csv rewrite "rewrite,16,stw rewrite,16,cow" 1
	extra rewrite rewrite
fi

if run growth --runs 2 --only growth --growth-sizes 4,8 --cow cow; then
	row growth "growth 4 MiB \[cow\]: pause"
	row growth "growth 8 MiB \[cow\]: pause"
	# tiny sizes: the fork's slope may come out 0 or less (noise): no verdict then
	row growth "growth \[cow\]: pause slope" "PASS|MISS|-"
	grep -q "growth .*\[stw\]" "$tmp/growth.out" && fail "growth: a stw row with --cow cow"
	csv growth "growth,4,cow growth,8,cow" 2
	# the bare fork's time is in every row
	awk -F, 'NR > 1 && $21 == "" { bad = 1 } END { exit bad }' "$tmp/growth.csv" ||
		fail "growth: fork_base_med_s missing"
	if ! grep -q ',cow-fork,' "$tmp/growth-runs.csv" || ! grep -q ',fork-cow,' "$tmp/growth-runs.csv"; then
		fail "growth: the order does not alternate: $(cut -d, -f7 "$tmp/growth-runs.csv" | tr '\n' ' ')"
	fi
fi

for bad in "--cow sometimes" "--only heap" "--only rewrite,rewrite" "--size-mb 0" "--growth-sizes 8,4" "--from 4"; do
	# shellcheck disable=SC2086 # the words of the option
	"$bench" targets $bad >/dev/null 2>&1
	[[ $? == 2 ]] || fail "targets $bad did not exit 2"
done
ls "$tmp" | grep -q '^mtcp-bench\.' && fail "a work directory was left behind: $(ls "$tmp")"

if ((fails)); then
	echo "$fails failure(s)"
	exit 1
fi
echo "PASS"
