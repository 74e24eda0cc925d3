#!/bin/bash
# SPDX-License-Identifier: MIT
# fallback_memory.sh: MTCP_COW=auto with memory short.  inv_prog (200 MiB
# of data) runs in a memory cgroup of its own (v2, or v1); once it is resident, the
# cgroup's limit is set so that limit - usage is half
# its resident size: short for copy-on-write (issue 10 "Memory"), enough
# to run and to write an image stop-the-world.
#  - MTCP_COW=auto: two checkpoints succeed stop-the-world (no writer
#    process opens the gate), exactly one "mtcp: copy-on-write not used:
#    REASON; ..." line naming memory, and the image restarts;
#  - MTCP_COW=1 in the same set-up: copy-on-write anyway (its verbose line,
#    no fallback line).
# Root and a memory cgroup controller (v2, or v1's memory.limit_in_bytes);
# skipped otherwise.
NAME=fallback_memory
# shellcheck source=writer_lib.sh
. "$(dirname "$0")/writer_lib.sh"

((EUID == 0)) || skip "needs root, to make a cgroup"
# cgroup v2 with the memory controller, or else v1's memory hierarchy (the
# library reads either: cow.c, cgroup_room)
MNT=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/self/mounts)
if [[ -n $MNT ]] && grep -qw memory "$MNT/cgroup.controllers" 2>/dev/null &&
	{ grep -qw memory "$MNT/cgroup.subtree_control" ||
		echo +memory >"$MNT/cgroup.subtree_control" 2>/dev/null; }; then
	V=2 LIMIT=memory.max USAGE=memory.current UNLIMITED=max
else
	MNT=$(awk '$3 == "cgroup" && $4 ~ /(^|,)memory(,|$)/ { print $2; exit }' /proc/self/mounts)
	[[ -n $MNT ]] || skip "no memory cgroup controller, v2 or v1"
	V=1 LIMIT=memory.limit_in_bytes USAGE=memory.usage_in_bytes UNLIMITED=-1
fi
CG=$MNT/mtcp-cow-fallback.$$
mkdir "$CG" || skip "cannot make a cgroup under $MNT"
[[ -e $CG/$LIMIT ]] || { rmdir "$CG"; skip "no $LIMIT in a new cgroup under $MNT"; }
say "cgroup v$V: $CG"

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
[[ -e $CG/memory.swappiness ]] && echo 0 >"$CG/memory.swappiness"

# the program joins the cgroup before it allocates: charges stay where
# they were made
PREFIX=(sh -c 'echo $$ >"$0" && exec "$@"' "$CG/cgroup.procs")
MIB=200

# memory_short: limit - usage = resident / 2
memory_short() {
	local rss cur max
	echo "$UNLIMITED" >"$CG/$LIMIT"
	rss=$(awk '/^VmRSS:/ { print $2 * 1024 }' "/proc/$PID/status")
	cur=$(cat "$CG/$USAGE")
	((rss > MIB * 1024 * 1024)) || fail "the program is resident for $rss bytes only"
	max=$(((cur + rss / 2) / 4096 * 4096))
	echo "$max" >"$CG/$LIMIT" || fail "cannot set $LIMIT $max"
	cur=$(cat "$CG/$USAGE")
	((max - cur < rss)) ||
		fail "set-up: $LIMIT $max - $USAGE $cur is not below the resident size $rss"
	say "resident $((rss >> 20)) MiB, $LIMIT $((max >> 20)) MiB, $USAGE $((cur >> 20)) MiB"
}

# ---- MTCP_COW=auto -------------------------------------------------------
start_prog auto $MIB MTCP_TEST_WRITER_GATE="$GATE" MTCP_VERBOSE=1
if ((V == 2)); then
	grep -q "^0::/${CG#"$MNT"/}\$" "/proc/$PID/cgroup" || fail "the program is not in $CG"
else
	grep -qE "^[0-9]+:([^:]*,)?memory(,[^:]*)?:/${CG#"$MNT"/}\$" "/proc/$PID/cgroup" ||
		fail "the program is not in $CG: $(cat "/proc/$PID/cgroup")"
fi
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
