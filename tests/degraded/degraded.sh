#!/bin/bash
# SPDX-License-Identifier: MIT
# degraded.sh LAUNCH CHECKPOINT RESTART HOLDER: no silent "ok" (issue 9).
#  - a checkpoint says "complete" or "degraded: N objects" on stderr, the
#    image path alone on stdout; --verify says which objects;
#  - the warning is printed once per object: not again for the same
#    object, again for a new object on the same fd number, and again in a
#    restarted process;
#  - MTCP_STRICT (mtcp_launch --strict) makes a degraded checkpoint fail
#    and keeps the previous image whole.
set -u
launch=$1 ckpt=$2 restart=$3 holder=$4
dir=$(mktemp -d /tmp/mtcp-degraded.XXXXXX)
pids=()
cleanup() {
	for p in "${pids[@]}" $(awk '/^child/ {print $2}' "$dir"/*.out 2>/dev/null); do
		kill -9 "$p" 2>/dev/null
	done
	pkill -9 -P "$$" 2>/dev/null
	wait 2>/dev/null
	rm -rf "$dir"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; for f in "$dir"/*.out "$dir"/*.err; do echo "--- $f"; cat "$f"; done; exit 1; }

# wait_for FILE PATTERN [COUNT]: until FILE has COUNT lines matching (10 s)
wait_for() {
	local want=${3-1}
	for _ in $(seq 200); do
		[ "$(grep -c -- "$2" "$1" 2>/dev/null)" -ge "$want" ] && return 0
		sleep 0.05
	done
	fail "no '$2' (x$want) in $1"
}
warnings() { grep -c "warning: fd 10 (anon_inode:\[pidfd\])" "$1"; }

mkdir "$dir/img" "$dir/strict"
# stderr appends: a restarted program writes at the offset its fd had at
# the checkpoint, which O_APPEND makes the end
"$launch" --dir "$dir/img" --keep 10 -- "$holder" >>"$dir/prog.out" 2>>"$dir/prog.err" &
pids+=($!)
wait_for "$dir/prog.out" '^ready'
pid=$(awk '/^ready/ {print $2; exit}' "$dir/prog.out")

# mtcp_checkpoint --wait's stderr: how long the program was paused, then
# the verdict, and nothing else
verdict() {
	grep -qE '^paused [0-9]+\.[0-9]{3} ms$' "$1" || echo "no 'paused N ms' line"
	grep -vE '^paused [0-9]+\.[0-9]{3} ms$' "$1"
}

# 1. nothing unsaveable: complete
img1=$("$ckpt" --wait "$pid" 2>"$dir/c1.err") || fail "checkpoint 1"
[ "$(verdict "$dir/c1.err")" = complete ] || fail "checkpoint 1 did not say complete: $(cat "$dir/c1.err")"
"$restart" --verify "$img1" >"$dir/v1.out" || fail "verify 1"
grep -q '; complete$' "$dir/v1.out" || fail "--verify does not say complete"

# 2. a pidfd: degraded, named, warned once
kill -USR1 "$pid"; wait_for "$dir/prog.out" '^opened 10'
img2=$("$ckpt" --wait "$pid" 2>"$dir/c2.err") || fail "checkpoint 2"
[ "$(printf '%s\n' "$img2" | wc -l)" = 1 ] && [ -f "$img2" ] || fail "stdout is not the image path alone: $img2"
grep -qx 'degraded: 1 object (mtcp_restart --verify lists them)' "$dir/c2.err" ||
	fail "checkpoint 2 did not say degraded: $(cat "$dir/c2.err")"
"$restart" --verify "$img2" >"$dir/v2.out" || fail "verify 2"
grep -q '; degraded: 1 object$' "$dir/v2.out" || fail "--verify does not say degraded"
grep -q '^degraded: fd 10 (anon_inode:\[pidfd\]) cannot be checkpointed' "$dir/v2.out" ||
	fail "--verify does not name fd 10"
[ "$(warnings "$dir/prog.err")" = 1 ] || fail "not one warning after checkpoint 2"

# 3. the same object again: no new warning, still degraded
img3=$("$ckpt" --wait "$pid" 2>"$dir/c3.err") || fail "checkpoint 3"
grep -q '^degraded: 1 object' "$dir/c3.err" || fail "checkpoint 3 not degraded"
[ "$(warnings "$dir/prog.err")" = 1 ] || fail "the same object was warned about again"

# 4. a new object on the same fd number: warned
kill -USR2 "$pid"; wait_for "$dir/prog.out" '^replaced 10'
img4=$("$ckpt" --wait "$pid" 2>/dev/null) || fail "checkpoint 4"
[ "$(warnings "$dir/prog.err")" = 2 ] || fail "a new object on fd 10 was not warned about"

# 5. restarted: the image says it is degraded; its fd 10 is /dev/null now.
# The restored program opens a pidfd of the same child again: the same
# object as before the restart, warned about again in the new process
kill -9 "$pid"
"$restart" "$img4" >"$dir/r.out" 2>"$dir/r.err" &
pids+=($!)
grep -q "warning: degraded image: 1 object will not come back as it was" "$dir/r.err" ||
	wait_for "$dir/r.err" "warning: degraded image: 1 object"
ticks=$(grep -c '^tick' "$dir/prog.out")
wait_for "$dir/prog.out" '^tick' $((ticks + 1)) # the restored program goes on, in prog.out
"$ckpt" --wait "$pid" >/dev/null 2>"$dir/c5.err" || fail "checkpoint of the restarted program"
[ "$(verdict "$dir/c5.err")" = complete ] || fail "fd 10 is /dev/null after the restart, yet: $(cat "$dir/c5.err")"
kill -HUP "$pid"; wait_for "$dir/prog.out" '^reopened 10'
"$ckpt" --wait "$pid" >/dev/null 2>&1 || fail "checkpoint 6"
[ "$(warnings "$dir/prog.err")" = 3 ] || fail "no warning again after the restart"
kill -9 "$pid"

# 6. strict: a degraded checkpoint fails, the previous image stays
"$launch" --strict --dir "$dir/strict" -- "$holder" >"$dir/s.out" 2>"$dir/s.err" &
pids+=($!)
wait_for "$dir/s.out" '^ready'
spid=$(awk '/^ready/ {print $2; exit}' "$dir/s.out")
simg=$("$ckpt" --wait "$spid" 2>/dev/null) || fail "strict: the complete checkpoint failed"
kill -USR1 "$spid"; wait_for "$dir/s.out" '^opened 10'
if out=$("$ckpt" --wait "$spid" 2>&1); then fail "strict: a degraded checkpoint succeeded: $out"; fi
[[ $out == *"MTCP_STRICT is set"*"fd 10 (anon_inode:[pidfd])"*"previous image is kept"* ]] ||
	fail "strict: the refusal does not say why: $out"
[ "$(ls "$dir/strict")" = "$(basename "$simg")" ] || fail "strict: files in the directory: $(ls -a "$dir/strict")"
"$restart" --verify "$simg" >/dev/null || fail "strict: the previous image does not verify"
kill -0 "$spid" || fail "strict: the program died"
kill -9 "$spid"

# 7. a socket option no record keeps is named, not dropped silently
"$launch" --dir "$dir/img" -- "$holder" sockopt >"$dir/o.out" 2>"$dir/o.err" &
pids+=($!)
wait_for "$dir/o.out" '^ready'
opid=$(awk '/^ready/ {print $2; exit}' "$dir/o.out")
oimg=$("$ckpt" --wait "$opid" 2>"$dir/co.err") || fail "sockopt: checkpoint"
grep -qx 'degraded: 1 object (mtcp_restart --verify lists them)' "$dir/co.err" ||
	fail "sockopt: not degraded: $(cat "$dir/co.err")"
"$restart" --verify "$oimg" | grep -q 'its SO_RCVTIMEO (1.500000 s) is not kept' ||
	fail "sockopt: --verify does not name SO_RCVTIMEO"
echo "PASS"
