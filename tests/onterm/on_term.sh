#!/bin/bash
# SPDX-License-Identifier: MIT
# on_term.sh LAUNCH CHECKPOINT RESTART PROG CASE: MTCP_ON_TERM (a final checkpoint on
# the termination signal, then the program's own disposition acts).
# term_prog (term_prog.c) runs 64 MiB under mtcp_launch; this shell sends
# it the signal (so si_pid is $$), and checks:
#   - the final image was there when the program saw the signal (images=1)
#     and verifies; stderr says "final checkpoint ... is durable";
#   - the program's disposition acted: the default ends the process by the
#     signal, a handler ran once with the sender's siginfo, SIG_IGN went on,
#     sigwait()/sigtimedwait() in a program that blocks it returned it;
#   - a restart of the final image is not told again (got=0) and its memory
#     is whole (term_prog checks every word);
# CASE: dfl handler reset ignore sigwait sigtimedwait blocked late api usr1 twice fails.
#   late:  a handler, the signal blocked in every program thread; the
#          final image is held at the gate while a second signal waits,
#          pending; the library's own signal merges into it; when the
#          program unblocks, its handler runs once (the program must get
#          the signal it is owed, whichever instance carries it);
#   api:   MTCP_ON_TERM=0; the program asks for it with mtcp_init()
#          (MTCP_OPT_ON_TERM), as one linked with the library would.
#   blocked: the program blocks the signal and never waits for it: it stays
#          pending after the final image; a second image taken then holds
#          no pending signal (a restart of it shows pending=0).
#   twice: with copy-on-write and the writer held at the test gate, two
#          more signals while the final image is written are absorbed
#          (the handler runs once);
#   fails: the image directory is a 1 MiB tmpfs (root only): the checkpoint
#          fails, stderr says so, and the program still ends by the signal.
set -u
launch=$1 ckpt=$2 restart=$3 prog=$4 case=$5
WAIT_S=60
D=$(mktemp -d /tmp/mtcp-onterm.XXXXXX)
pid= rpid= holder=
cleanup() {
	for p in $pid $rpid $holder; do kill -9 "$p" 2>/dev/null; done
	wait 2>/dev/null
	umount "$D/fs" 2>/dev/null
	rm -rf "$D"
}
trap cleanup EXIT
fail() {
	echo "FAIL ($case): $*"
	for f in out err rout; do [ -s "$D/$f" ] && { echo "--- $f"; tail -n 20 "$D/$f"; }; done
	exit 1
}
# wait_for WHAT CMD...: polls CMD every 20 ms for WAIT_S seconds
wait_for() {
	local what=$1 deadline=$((SECONDS + WAIT_S))
	shift
	until "$@"; do
		((SECONDS < deadline)) || fail "timed out waiting for $what"
		sleep 0.02
	done
}
alive() { kill -0 "$1" 2>/dev/null; }
# ended PID: gone, or a zombie waiting for us
ended() { [ ! -e "/proc/$1" ] || [ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" = Z ]; }
term_pending() {
	local shd
	shd=$(awk '/^ShdPnd:/ {print $2}' "/proc/$pid/status")
	(( (16#$shd >> 14) & 1 ))
}
images() { find "$D/img" -maxdepth 1 -name '*.mtcp' | sort; }
progress_past() { local a b; read -r a b < "$D/progress" 2>/dev/null && ((a > $1 && b > $2)); }

mode=$case sig=TERM spec=1 num=15 imgdir=$D/img
mkdir "$D/img"
case $case in
usr1) mode=dfl sig=USR1 spec=USR1 num=10 ;;
twice) mode=handler ;;
api)
	# MTCP_ON_TERM off; the program turns it on with mtcp_init()
	mode=handler spec=0
	export TERM_PROG_API=1 ;;
fails)
	[ "$(id -u)" = 0 ] || { echo "skip: needs root to mount a small tmpfs"; exit 77; }
	mode=dfl
	mkdir "$D/fs"
	mount -t tmpfs -o size=1m,mode=0700 tmpfs "$D/fs" || { echo "skip: cannot mount tmpfs"; exit 77; }
	imgdir=$D/fs
	# uncompressed: 64 MiB of a repeated word would fit in 1 MiB
	export MTCP_COMPRESS=none ;;
dfl|handler|reset|ignore|sigwait|sigtimedwait|blocked|late) ;;
*) echo "unknown case $case"; exit 2 ;;
esac

extra=()
if [ "$case" = twice ] || [ "$case" = late ]; then
	mkfifo "$D/gate"
	extra=(MTCP_COW=1 MTCP_FULL_EVERY=1 MTCP_TEST_WRITER_GATE="$D/gate")
fi
# term_prog counts the images in its DIR argument: the image directory
env MTCP_ON_TERM=$spec "${extra[@]}" "$launch" --dir "$imgdir" -- \
	"$prog" "$mode" 64 "$imgdir" "$sig" > "$D/out" 2> "$D/err" &
pid=$!
wait_for "ready" grep -q '^ready' "$D/out"
# the progress file is in the image directory too
progress=$imgdir/progress
ln -s "$progress" "$D/progress"

if [ "$case" = twice ] || [ "$case" = late ]; then
	( exec 9>"$D/gate"; : > "$D/gate.opened"
	  while [ ! -e "$D/go" ]; do sleep 0.02; done; printf g >&9 ) &
	holder=$!
fi

kill -"$sig" "$pid" || fail "cannot signal $pid"

if [ "$case" = twice ]; then
	wait_for "the writer at the gate" test -e "$D/gate.opened"
	read -r a b < "$D/progress"
	kill -TERM "$pid"; kill -TERM "$pid"
	# the program runs meanwhile (copy-on-write) and its handler has not run
	wait_for "the program to go on while the image is held" progress_past "$a" "$b"
	alive "$pid" || fail "the program ended while its final image was held at the gate"
	grep -q verified "$D/out" && fail "the handler ran before the final image was written"
	: > "$D/go"
fi

if [ "$case" = late ]; then
	wait_for "the writer at the gate" test -e "$D/gate.opened"
	kill -TERM "$pid"
	# every thread blocks it, the control thread too while it works
	wait_for "the second SIGTERM pending" term_pending
	: > "$D/go"
	wait_for "the final checkpoint line" grep -q 'final checkpoint .* is durable' "$D/err"
	alive "$pid" || fail "the program ended while it blocked the signal"
	: > "$imgdir/unblock"
fi

if [ "$case" = blocked ]; then
	wait_for "the final checkpoint line" grep -q 'final checkpoint .* is durable' "$D/err"
	# passed on: pending now, blocked; the next image must not hold it
	wait_for "SIGTERM pending in the program after the final checkpoint" term_pending
	second=$("$ckpt" --wait "$pid") || fail "a second checkpoint with the signal pending"
	echo "second image, taken with SIGTERM pending: $second"
fi

if [ "$case" = ignore ] || [ "$case" = blocked ]; then
	wait_for "the final checkpoint line" grep -q 'final checkpoint .* is durable' "$D/err"
	read -r a b < "$D/progress"
	wait_for "the program to go on" progress_past "$a" "$b"
	alive "$pid" || fail "$case: the program ended"
	: > "$imgdir/stop"
fi

# bounded: a signal the program never gets must fail the test, not hang it
wait_for "the program to end" ended "$pid"
wait "$pid"; rc=$?
pid=
echo "program ended with status $rc"
cat "$D/err"
case $case in
dfl|usr1|fails) want=$((128 + num)) ;;
handler|reset|twice|api|late) want=42 ;;
sigwait|sigtimedwait) want=43 ;;
ignore|blocked) want=0 ;;
esac
[ "$rc" = "$want" ] || fail "status $rc, expected $want"

if [ "$case" = fails ]; then
	grep -q "SIGTERM: the final checkpoint failed: .*No space left on device.*; SIGTERM goes to the program now" "$D/err" ||
		fail "stderr does not say that the final checkpoint failed"
	[ -z "$(images)" ] || fail "an image after a failed checkpoint: $(images)"
	echo "ok: failed final checkpoint said so, and the signal still ended the program"
	exit 0
fi

signame=SIG$sig
grep -q "^mtcp: $signame: final checkpoint $imgdir/.*\.mtcp is durable (paused [0-9.]* ms); $signame goes to the program now$" "$D/err" ||
	fail "no 'final checkpoint ... is durable' line on stderr"
n=$(images | wc -l)
if [ "$case" = blocked ]; then
	[ "$n" = 2 ] || fail "$n images, expected the final one and the second"
	img=$second
else
	[ "$n" = 1 ] || fail "$n images, expected the final one only"
	img=$(images)
fi

line=$(grep '^verified' "$D/out" | tail -n 1)
case $case in
handler|twice|sigtimedwait|api|late)
	[[ $line == *" got=1 from=$$ code=0 images=1 "* ]] ||
		fail "the program saw '$line', expected got=1 from=$$ (this shell) code=0 (SI_USER) images=1" ;;
reset|sigwait)
	# no siginfo: a plain handler, sigwait()
	[[ $line == *" got=1 from=-1 code=-99 images=1 "* ]] ||
		fail "the program saw '$line', expected got=1 images=1" ;;
ignore)
	[[ $line == *" got=0 "* ]] || fail "SIG_IGN: the program saw the signal: '$line'" ;;
blocked)
	[[ $line == *" got=0 "*" pending=1 "* ]] ||
		fail "blocked: expected the signal pending in the program: '$line'" ;;
esac

"$restart" --verify "$img" > "$D/verify" 2>&1 || { cat "$D/verify"; fail "the final image does not verify"; }

# the restart: not told again, memory whole, it goes on and stops on $D/stop
rm -f "$imgdir/stop"
"$restart" "$img" > "$D/rout" 2>&1 &
rpid=$!
read -r a b < "$D/progress"
wait_for "the restarted program to run" progress_past "$a" "$b"
: > "$imgdir/stop"
wait_for "the restarted program to end" ended "$rpid"
wait "$rpid"; rc=$?
rpid=
[ "$rc" = 0 ] || fail "the restart ended with status $rc (a signal delivered again is 128+$num)"
line=$(grep '^verified' "$D/out" | tail -n 1)
[[ $line == *" got=0 "*" pending=0 status=0" ]] || fail "after the restart: '$line'"
echo "ok ($case): $line"
