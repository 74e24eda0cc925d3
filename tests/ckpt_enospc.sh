#!/bin/bash
# SPDX-License-Identifier: MIT
# ckpt_enospc.sh LAUNCH CHECKPOINT RESTART PROGRAM: a checkpoint that fails
# half-way (the file system fills up) leaves the earlier images whole and
# restartable, says why, naming the image it could not write, and the
# program goes on.  Twice: the memory does not fit, then not even the
# first records (a file fills the rest).  Needs root (a small tmpfs);
# skipped otherwise.
set -u
launch=$1 ckpt=$2 restart=$3 prog=$4
[ "$(id -u)" = 0 ] || { echo "skip: needs root to mount a small tmpfs"; exit 77; }
dir=$(mktemp -d /tmp/mtcp-enospc.XXXXXX)
pid= rpid= progpid=
cleanup() {
	[ -n "$progpid" ] && kill -9 "$progpid" 2>/dev/null
	[ -n "$pid" ] && kill -9 "$pid" 2>/dev/null
	[ -n "$rpid" ] && kill -9 "$rpid" 2>/dev/null
	wait 2>/dev/null
	umount "$dir/fs" 2>/dev/null
	rm -rf "$dir"
}
trap cleanup EXIT
mkdir "$dir/fs"
mount -t tmpfs -o size=100m,mode=0700 tmpfs "$dir/fs" || { echo "skip: cannot mount tmpfs"; exit 77; }

# 40 MiB of memory: two images fit in 100 MiB, a third does not
"$launch" --dir "$dir/fs" --keep 3 -- "$prog" 40 > "$dir/out" 2>&1 &
pid=$!
for _ in $(seq 600); do grep -q ready "$dir/out" 2>/dev/null && break; sleep 0.05; done
grep -q ready "$dir/out" || { echo "FAIL: program not ready"; cat "$dir/out"; exit 1; }
img1=$("$ckpt" --wait --timeout 60 "$pid") || { echo "FAIL: first checkpoint"; exit 1; }
img2=$("$ckpt" --wait --timeout 60 "$pid") || { echo "FAIL: second checkpoint"; exit 1; }
if out=$("$ckpt" --wait --timeout 60 "$pid" 2>&1); then
	echo "FAIL: a third 40 MiB image fit in 100 MiB?"; exit 1
fi
echo "third checkpoint refused as it should be: $out"
case $out in *"No space left"*) ;; *) echo "FAIL: the reason is not ENOSPC"; exit 1 ;; esac
# the message names the image and what was being written
stem=${img2%.2.mtcp}
[[ $out == *"cannot write $stem.3.mtcp: No space left on device (while saving the memory map)"* ]] ||
	{ echo "FAIL: the message does not name $stem.3.mtcp and the memory map"; exit 1; }
# a file takes the rest: now the first records (before any memory) fail
dd if=/dev/zero of="$dir/fs/filler" bs=1M > /dev/null 2>&1
if out=$("$ckpt" --wait --timeout 60 "$pid" 2>&1); then
	echo "FAIL: a checkpoint fit in a full file system?"; exit 1
fi
echo "fourth checkpoint refused as it should be: $out"
[[ $out =~ "cannot write $stem.4.mtcp: No space left on device (while saving fd "[0-9]+")" ]] ||
	{ echo "FAIL: the message does not name $stem.4.mtcp and the fd being saved"; exit 1; }
rm -f "$dir/fs/filler"
grep -q "checkpoint failed" "$dir/out" || { echo "FAIL: no message on the program's stderr"; exit 1; }
if ls -a "$dir/fs" | grep -q '\.tmp$'; then echo "FAIL: temporary file left behind"; exit 1; fi
kill -0 "$pid" || { echo "FAIL: the program died"; exit 1; }
"$restart" --verify "$img1" >/dev/null || { echo "FAIL: first image damaged"; exit 1; }
"$restart" --verify "$img2" >/dev/null || { echo "FAIL: second image damaged"; exit 1; }
[ "$(stat -c %a "$img2")" = 600 ] || { echo "FAIL: image mode is not 0600"; exit 1; }
# and the last good image still restarts
progpid=$pid
kill -9 "$pid"; wait "$pid" 2>/dev/null; pid=
# the program's stdout and stderr were a file: the restored program goes
# on writing there, after what it wrote before the kill
before=$(grep -c alive "$dir/out")
"$restart" "$img2" > "$dir/out2" 2>&1 &
rpid=$!
for _ in $(seq 600); do [ "$(grep -c alive "$dir/out")" -gt "$before" ] && break; sleep 0.05; done
[ "$(grep -c alive "$dir/out")" -gt "$before" ] ||
	{ echo "FAIL: restart from the last good image"; cat "$dir/out2"; tail -n 3 "$dir/out"; exit 1; }
echo "PASS"
