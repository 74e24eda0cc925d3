#!/bin/bash
# SPDX-License-Identifier: MIT
# fallback_memory.sh: MTCP_COW=auto with memory short.  inv_prog (200 MiB
# of data) runs in a cgroup v2 of its own; once it is resident, the
# cgroup's memory.max is set so that memory.max - memory.current is half
# its resident size: short for copy-on-write (issue 10 "Memory"), enough
# to run and to write an image stop-the-world.
#  - MTCP_COW=auto: two checkpoints succeed stop-the-world (no writer
#    process opens the gate), exactly one "mtcp: copy-on-write not used:
#    REASON; ..." line naming memory, and the image restarts;
#  - MTCP_COW=1 in the same set-up: copy-on-write anyway (its verbose line,
#    no fallback line).
# Root and cgroup v2 with the memory controller only; skipped otherwise.
NAME=fallback_memory
# shellcheck source=writer_lib.sh
. "$(dirname "$0")/writer_lib.sh"

((EUID == 0)) || skip "needs root, to make a cgroup"
MNT=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/self/mounts)
[[ -n $MNT ]] || skip "no cgroup v2 mounted"
grep -qw memory "$MNT/cgroup.controllers" 2>/dev/null ||
	skip "cgroup v2 at $MNT has no memory controller (it is on a v1 hierarchy here: $(awk '$3 == "cgroup" && $4 ~ /memory/ { print $2 }' /proc/self/mounts))"
grep -qw memory "$MNT/cgroup.subtree_control" ||
	echo +memory >"$MNT/cgroup.subtree_control" 2>/dev/null ||
	skip "cannot enable the memory controller for the children of $MNT"
CG=$MNT/mtcp-cow-fallback.$$
mkdir "$CG" || skip "cannot make a cgroup under $MNT"
[[ -e $CG/memory.max ]] || { rmdir "$CG"; skip "no memory.max in a new cgroup under $MNT"; }

cg_cleanup() {
	local p
	# the programs first (proc_lib's cleanup), then the empty cgroup
	for p in $(cat "$CG/cgroup.procs" 2>/dev/null); do
		kill -KILL "$p" 2>/dev/null
	done
	for p in $(cat "$CG/cgroup.procs" 2>/dev/null); do
		"$WRITER_PROBE" gone "$p" 5000
	done
	cleanup
	rmdir "$CG" 2>/dev/null
}
trap cg_cleanup EXIT
[[ -e $CG/memory.swap.max ]] && echo 0 >"$CG/memory.swap.max"

# the program joins the cgroup before it allocates: charges stay where
# they were made
PREFIX=(sh -c 'echo $$ >"$0" && exec "$@"' "$CG/cgroup.procs")
MIB=200

# memory_short: memory.max - memory.current = resident / 2
memory_short() {
	local rss cur max
	echo max >"$CG/memory.max"
	rss=$(awk '/^VmRSS:/ { print $2 * 1024 }' "/proc/$PID/status")
	cur=$(cat "$CG/memory.current")
	((rss > MIB * 1024 * 1024)) || fail "the program is resident for $rss bytes only"
	max=$(((cur + rss / 2) / 4096 * 4096))
	echo "$max" >"$CG/memory.max" || fail "cannot set memory.max $max"
	cur=$(cat "$CG/memory.current")
	((max - cur < rss)) ||
		fail "set-up: memory.max $max - memory.current $cur is not below the resident size $rss"
	say "resident $((rss >> 20)) MiB, memory.max $((max >> 20)) MiB, memory.current $((cur >> 20)) MiB"
}

# ---- MTCP_COW=auto -------------------------------------------------------
start_prog auto $MIB MTCP_TEST_WRITER_GATE="$GATE" MTCP_VERBOSE=1
grep -q "^0::/${CG#"$MNT"/}\$" "/proc/$PID/cgroup" || fail "the program is not in $CG"
memory_short
for n in 1 2; do
	ckpt_bg "auto-$n" "$PID"
	if find_writer "$PID" "$CK_PID"; then
		release
		fail "auto, checkpoint $n: a writer process $W with memory short"
	fi
	ckpt_wait
	ckpt_ok "auto, checkpoint $n"
	grep -q "^mtcp: stop-the-world $CK_IMG: " "$P_ERR" ||
		fail "auto, checkpoint $n: no 'mtcp: stop-the-world $CK_IMG:' line: $(grep '^mtcp:' "$P_ERR")"
done
IMG=$CK_IMG
n=$(lines_in "$P_ERR" '^mtcp: copy-on-write not used: ')
((n == 1)) || fail "auto: $n 'mtcp: copy-on-write not used:' lines for two checkpoints, not 1: $(grep '^mtcp:' "$P_ERR")"
line=$(grep '^mtcp: copy-on-write not used: ' "$P_ERR")
[[ $line =~ \;\ this\ checkpoint\ stops\ the\ program\ until\ its\ image\ is\ written$ ]] ||
	fail "the fallback line does not end as docs say: $line"
grep -qi 'memory' <<<"$line" || fail "the fallback line does not say memory is short: $line"
cow_lines "$P_ERR" >/dev/null &&
	fail "auto: a copy-on-write line: $(cow_lines "$P_ERR")"
say "$line"
tell "$PID" ping
pong_clean "auto, after the checkpoints"
kill_prog
"$WRITER_PROBE" gone "$PID" 5000 || fail "the killed program $PID is still there"
restart auto "$IMG"
tell "$RPID" ping
pong_clean "auto, restarted"
finish_restored "auto, restarted"

# ---- MTCP_COW=1 ----------------------------------------------------------
start_prog forced $MIB MTCP_TEST_WRITER_GATE="$GATE" MTCP_VERBOSE=1 MTCP_COW=1
memory_short
ckpt_bg forced "$PID"
find_writer "$PID" "$CK_PID" ||
	fail "MTCP_COW=1: no writer process with memory short: $(cat "$CK_ERR"; grep '^mtcp:' "$P_ERR")"
release
ckpt_wait
ckpt_ok "MTCP_COW=1"
grep -qE "^mtcp: copy-on-write $CK_IMG: pause .*, writer $W" "$P_ERR" ||
	fail "MTCP_COW=1: no 'mtcp: copy-on-write $CK_IMG: ... writer $W' line: $(grep '^mtcp:' "$P_ERR")"
n=$(lines_in "$P_ERR" '^mtcp: copy-on-write not used')
((n == 0)) || fail "MTCP_COW=1: a fallback line: $(grep 'copy-on-write not used' "$P_ERR")"
prog_exit "MTCP_COW=1"
say PASS
