#!/bin/bash
# SPDX-License-Identifier: MIT
# owned_fds.sh BUILD_ROOT PROG: the library's own fds are never saved
# (src/engine/owned.h).  PROG (exec_follow_prog) has fds 0, 1 and 2 only;
# it is checkpointed by several clients at once (the control thread's
# listening socket and its clients are open), with io_uring and O_DIRECT
# (the ring and the image's second fd are open) and helper threads; each
# image must hold exactly 3 fds, and every checkpoint must say "complete".
# Then the same after a restart, where the library's fds are new ones
# (two listening sockets: the program's pid and mtcp_restart's).
set -u
build=$1 prog=$2
launch=$build/src/tools/mtcp_launch ckpt=$build/src/tools/mtcp_checkpoint
restart=$build/src/restart/mtcp_restart
tmp=$(mktemp -d /tmp/mtcp-owned.XXXXXX)
pids=()
trap 'for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; done; wait 2>/dev/null; rm -rf "$tmp"' EXIT
fails=0
ok() { echo "ok: $*"; }
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
WAIT_S=${MT_WAIT_S:-30}
export MTCP_CTL_DIR=$tmp/ctl MTCP_WRITE=uring MTCP_DIRECT=always MTCP_HELPERS=2
mkdir "$tmp/ctl" "$tmp/img"

# PROG gets stdin, stdout and stderr only
for f in /proc/$$/fd/*; do
	f=${f##*/}
	((f > 2)) && eval "exec $f>&-" 2> /dev/null
done

wait_lines() {
	local deadline=$((SECONDS + WAIT_S))
	until (($(grep -c '^count' "$1" 2> /dev/null) >= $2)); do
		((SECONDS < deadline)) || return 1
		sleep 0.02
	done
}

# round NAME PID: 4 checkpoints asked at once; every image holds 3 fds
round() {
	local name=$1 pid=$2 i n img deadline=$((SECONDS + WAIT_S))
	# the control socket is bound a moment after the start
	until "$ckpt" --wait --timeout "$WAIT_S" "$pid" > "$tmp/$name.first" 2> "$tmp/$name.first.err"; do
		grep -q "not running under" "$tmp/$name.first.err" && ((SECONDS < deadline)) ||
			{ fail "$name: mtcp_checkpoint $pid: $(cat "$tmp/$name.first.err")"; return; }
		sleep 0.05
	done
	for i in 1 2 3 4; do
		"$ckpt" --wait --timeout "$WAIT_S" "$pid" > "$tmp/$name.$i" 2> "$tmp/$name.$i.err" &
		pids+=($!)
	done
	wait "${pids[@]: -4}"
	for i in first 1 2 3 4; do
		img=$(cat "$tmp/$name.$i")
		if [ ! -f "$img" ]; then
			fail "$name: checkpoint $i: no image: $(cat "$tmp/$name.$i.err")"
			continue
		fi
		grep -qx complete "$tmp/$name.$i.err" ||
			fail "$name: checkpoint $i is not complete: $(cat "$tmp/$name.$i.err")"
		if ! "$restart" --verify "$img" > "$tmp/verify" 2>&1; then
			fail "$name: --verify $img: $(cat "$tmp/verify")"
			continue
		fi
		n=$(grep -o '[0-9]* fds,' "$tmp/verify")
		if [ "$n" = "3 fds," ]; then
			ok "$name: checkpoint $i: ${img##*/}: 3 fds, written with $(grep -o 'io_uring[^,]*' "$tmp/verify" | head -1)"
		else
			fail "$name: checkpoint $i: ${img##*/} holds $n (expected 3: 0, 1, 2)"
		fi
	done
	LAST_IMG=$(cat "$tmp/$name.4")
}

"$launch" --dir "$tmp/img" --keep 100 -- "$prog" > "$tmp/p.out" 2> "$tmp/p.err" < /dev/null &
P=$!
pids+=("$P")
if ! wait_lines "$tmp/p.out" 2; then
	fail "the program did not start: $(cat "$tmp/p.err")"
else
	round launched "$P"
	kill -9 "$P"
	wait "$P" 2> /dev/null
	"$restart" "$LAST_IMG" > "$tmp/r.out" 2> "$tmp/r.err" < /dev/null &
	R=$!
	pids+=("$R")
	round restarted "$R"
	kill -9 "$R"
	wait "$R" 2> /dev/null
fi

[ "$fails" = 0 ] && echo PASS && exit 0
echo "$fails failures"
exit 1
