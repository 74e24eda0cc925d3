#!/bin/bash
# SPDX-License-Identifier: MIT
# ckpt_kill.sh LAUNCH CHECKPOINT RESTART PROGRAM [ROUNDS]: a SIGKILL in the
# middle of a checkpoint leaves no temporary file and no partial image,
# and gives back the space the unfinished image took (it was never named:
# O_TMPFILE).  Each round starts PROGRAM (bench/randmem, 384 MiB), takes
# one whole checkpoint, starts a second and kills the program once the
# image's file is open (seen in /proc/PID/fd), at once or a moment later.
# Then the directory holds whole images only (`mtcp_restart --verify`),
# and the file system's used space is theirs only.  Needs root (a private
# tmpfs, whose used space is exact); skipped otherwise.
set -u
launch=$1 ckpt=$2 restart=$3 prog=$4 rounds=${5:-3}
[ "$(id -u)" = 0 ] || { echo "skip: needs root to mount a tmpfs"; exit 77; }
tmp=$(mktemp -d /tmp/mtcp-kill.XXXXXX)
pid=
cleanup() {
	[ -n "$pid" ] && kill -9 "$pid" 2> /dev/null
	wait 2> /dev/null
	umount "$tmp/fs" 2> /dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
mkdir -m 0700 "$tmp/fs"
mount -t tmpfs -o size=2g,mode=0700 tmpfs "$tmp/fs" || { echo "skip: cannot mount tmpfs"; exit 77; }
dir=$tmp/fs

fail() {
	echo "FAIL: $*"
	cat "$tmp/out" 2> /dev/null
	ls -la "$dir"
	exit 1
}

used() { df -B1 --output=used "$dir" | tail -1 | tr -d ' '; }

# the image's file is open in the program: any fd into the image directory
writing() { [ -n "$(find "/proc/$pid/fd" -lname "$dir/*" 2> /dev/null | head -1)" ]; }

base_used=$(used)
for round in $(seq "$rounds"); do
	# one helper thread at most: the checkpoint takes long enough to be
	# caught in the middle
	MTCP_HELPERS=0 "$launch" --dir "$dir" --keep 100 -- "$prog" 384 > "$tmp/out" 2>&1 &
	pid=$!
	for _ in $(seq 600); do grep -q ready "$tmp/out" && break; sleep 0.05; done
	grep -q ready "$tmp/out" || fail "round $round: the program did not start"
	"$ckpt" --wait --timeout 60 "$pid" > /dev/null || fail "round $round: first checkpoint"
	"$ckpt" "$pid" > /dev/null || fail "round $round: cannot ask for a second checkpoint"
	for _ in $(seq 2000); do writing && break; done
	writing || fail "round $round: the second checkpoint was not seen writing"
	# round 1 at once, the others a moment later
	((round > 1)) && sleep "0.0$((RANDOM % 10))"
	kill -9 "$pid"
	wait "$pid" 2> /dev/null
	pid=
	# only whole images, each restartable
	n=0
	for f in "$dir"/* "$dir"/.[!.]*; do
		[ -e "$f" ] || continue
		[[ ${f##*/} =~ ^[A-Za-z0-9_-]+\.[0-9]+\.[0-9a-f]{8}\.[0-9]+\.mtcp$ ]] ||
			fail "round $round: not an image: $f"
		"$restart" --verify "$f" > /dev/null || fail "round $round: $f does not verify"
		n=$((n + 1))
	done
	# and the space of the one that was cut short is free again (the
	# kernel may release the file a moment after the process is gone)
	images=$(du -s -B1 "$dir" | cut -f1)
	for _ in $(seq 200); do
		[ $(($(used) - base_used - images)) -le $((1 << 20)) ] && break
		sleep 0.05
	done
	leak=$(($(used) - base_used - images))
	[ "$leak" -le $((1 << 20)) ] || fail "round $round: $leak bytes in use beyond the images"
	echo "ok: round $round: $n whole images, no temporary file, nothing leaked"
done
echo PASS
