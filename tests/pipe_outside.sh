#!/bin/bash
# SPDX-License-Identifier: MIT
#
# pipe_outside.sh PROGRAM: pipes whose other end is outside the program
# (docs/format.md "PIPE", docs/tools.md "mtcp_restart").  PROGRAM is
# integ_objects_pipes, run as `PROGRAM outside`: its stdin, stdout, stderr
# and fds 7 (read end) and 9 (write end) are pipes to processes of this
# script; fd 8 is a pipe whose writer it closed itself; a FIFO (OBJS_FIFO)
# is open for reading and writing, with bytes in it, and removed before
# the first restart.
#
#   checkpoint: warnings name fds 7 and 9 (and only them: fds 0-2 are
#               reconnected, fd 8's writer is gone everywhere)
#   restart 2:  --fd 7=FILE --fd 9=FILE2: fd 7 reads FILE, fd 9 appends to
#               FILE2; stdin, stdout are mtcp_restart's; fd 8 reads its
#               bytes, then end of file; the FIFO is made again (0600)
#   restart 3:  no --fd: fd 7 reads the bytes that were in flight, then
#               EOF; a write to fd 9 fails with EPIPE
#   --fd 42=... refused: the image has no fd 42
#
# Tools from MTCP_LAUNCH, MTCP_CHECKPOINT, MTCP_RESTART.  Every wait is
# bounded (30 s).  Exit 0 pass, 1 fail.
set -u
prog=$1
for v in MTCP_LAUNCH MTCP_CHECKPOINT MTCP_RESTART; do
	[[ -x ${!v-} ]] || { echo "$v is not set to an executable"; exit 99; }
done
tmp=$(mktemp -d /tmp/mtcp-pipe-outside.XXXXXX) || exit 99
kids=()
cleanup() {
	local p
	for p in "${kids[@]}"; do kill -9 "$p" 2>/dev/null; done
	wait 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
mkdir "$tmp/img"

failed() {
	local f
	echo "FAIL: $*"
	for f in "$tmp"/*.out "$tmp"/*.err; do
		[[ -e $f ]] && { echo "----- ${f##*/}"; cat "$f"; }
	done
	exit 1
}

# wait_line FILE REGEX: until FILE has a line matching REGEX (at most 30 s)
wait_line() {
	local end=$((SECONDS + 30))
	until grep -qE "$2" "$1" 2>/dev/null; do
		((SECONDS < end)) || failed "no line '$2' in ${1##*/} within 30 s"
		sleep 0.05
	done
}

# wait_exit PID: its status in RC, at most 30 s
wait_exit() {
	local end=$((SECONDS + 30))
	while kill -0 "$1" 2>/dev/null && [[ $(ps -o stat= -p "$1") != Z* ]]; do
		((SECONDS < end)) || failed "process $1 did not exit within 30 s"
		sleep 0.05
	done
	wait "$1"
	RC=$?
}

# restart N ARGS...: mtcp_restart ARGS IMG with stdin "restart-stdin", its
# stdout and stderr in N.out and N.err; SIGUSR1 once the program woke
restart() {
	local n=$1
	shift
	printf 'restart-stdin' >"$tmp/$n.in"
	"$MTCP_RESTART" "$@" "$img" <"$tmp/$n.in" >"$tmp/$n.out" 2>"$tmp/$n.err" &
	local rpid=$!
	kids+=("$rpid")
	wait_line "$tmp/$n.out" '^woke '
	kill -USR1 "$rpid"
	wait_exit "$rpid"
	((RC == 0)) || failed "restart $n: mtcp_restart exit $RC"
	grep -q '^PASS' "$tmp/$n.out" || failed "restart $n: no PASS"
}

printf 'from-file' >"$tmp/in"
mkfifo -m 0640 "$tmp/f.fifo"
export OBJS_FIFO=$tmp/f.fifo
# fd 7: "early" in flight, its writer (sleep) outside; stdin: a writer
# outside that never writes; stdout and stderr: readers outside (cat)
exec 7< <(printf early; exec sleep 120)
kids+=($!)
exec 6< <(exec sleep 120)
kids+=($!)
exec 4> >(exec cat >"$tmp/1.out")
kids+=($!)
exec 5> >(exec cat >"$tmp/1.err")
kids+=($!)
exec 9> >(exec cat >/dev/null)
kids+=($!)
"$MTCP_LAUNCH" --dir "$tmp/img" -- "$prog" outside <&6 >&4 2>&5 6<&- 4>&- 5>&- &
kids+=($!)
exec 4>&- 5>&- 6<&- 7<&- 9>&-
wait_line "$tmp/1.out" '^ready [0-9]+ '
pid=$(awk '/^ready /{print $2; exit}' "$tmp/1.out")
img=$("$MTCP_CHECKPOINT" --wait --timeout 30 "$pid" 2>"$tmp/ckpt.err") ||
	failed "mtcp_checkpoint --wait $pid: $(cat "$tmp/ckpt.err")"
echo "ok: checkpoint: $img"
wait_line "$tmp/1.out" '^woke '
for n in 7 9; do
	grep -q "warning: fd $n (pipe:\[[0-9]*\]): its other end is outside the process.*--fd $n=PATH" \
		"$tmp/1.err" || failed "no warning about fd $n"
done
grep -E 'warning: fd [0-68] ' "$tmp/1.err" && failed "a warning about another fd"
grep -qx 'degraded: 2 objects (mtcp_restart --verify lists them)' "$tmp/ckpt.err" ||
	failed "mtcp_checkpoint did not say 'degraded: 2 objects': $(cat "$tmp/ckpt.err")"
echo "ok: the checkpoint warned about fds 7 and 9 only, and said degraded: 2 objects"
kill -9 "$pid"
rm "$tmp/f.fifo"

printf 'before\n' >"$tmp/out9"
restart 2 --fd 7="$tmp/in" --fd 9="$tmp/out9"
grep -qx 'fifo: \[fifo-data\] mode 600' "$tmp/2.out" ||
	failed "restart 2: the FIFO that was gone did not come back, mode 0600, with its bytes"
grep -q "warning: fd [0-9]*: the FIFO $tmp/f.fifo was gone: made again, mode 0600" "$tmp/2.err" ||
	failed "restart 2: no warning that the FIFO was made again"
echo "ok: a FIFO that was gone is made again (mode 0600, a warning) and gets its bytes back"
grep -qx 'fd 7: \[from-file\]' "$tmp/2.out" || failed "restart 2: fd 7 did not read --fd's file"
grep -qx 'fd 0: \[restart-stdin\]' "$tmp/2.out" || failed "restart 2: stdin is not mtcp_restart's"
grep -qx 'fd 8: \[closed-writer\]' "$tmp/2.out" || failed "restart 2: fd 8 lost its bytes"
grep -qx 'fd 9: wrote' "$tmp/2.out" || failed "restart 2: the write to fd 9 failed"
[[ $(cat "$tmp/out9") == $'before\nwritten-after' ]] ||
	failed "restart 2: --fd 9's file holds '$(cat "$tmp/out9")', not before + written-after"
echo "ok: --fd 7=FILE reads it, --fd 9=FILE appends to it; stdin and stdout are mtcp_restart's;"\
	"fd 8 read its bytes, then EOF"

restart 3
grep -qx 'fd 7: \[early\]' "$tmp/3.out" || failed "restart 3: fd 7 did not read its saved bytes, then EOF"
grep -qx 'fd 8: \[closed-writer\]' "$tmp/3.out" || failed "restart 3: fd 8 lost its bytes"
grep -qx 'fd 9: EPIPE' "$tmp/3.out" || failed "restart 3: a write to fd 9 did not fail with EPIPE"
grep -qx 'fifo: \[fifo-data\] mode 600' "$tmp/3.out" || failed "restart 3: the FIFO lost its bytes"
grep -q 'FIFO' "$tmp/3.err" && failed "restart 3 warned about the FIFO: $(cat "$tmp/3.err")"
echo "ok: without --fd, fd 7 reads the bytes that were in flight, then EOF; fd 9 gets EPIPE"

timeout 30 "$MTCP_RESTART" --fd 42=/dev/null "$img" </dev/null >"$tmp/4.out" 2>"$tmp/4.err"
RC=$?
((RC == 2)) && grep -q 'the image has no fd 42' "$tmp/4.err" ||
	failed "--fd 42 (not in the image): exit $RC, $(cat "$tmp/4.err")"
echo "ok: --fd for an fd the image does not have is refused"
echo PASS
