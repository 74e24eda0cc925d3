#!/bin/bash
# SPDX-License-Identifier: MIT
# sort_o.sh: `sort -o FILE` keeps its output file across restarts.  GNU sort
# opens FILE and dup2's it onto fd 1 before it reads its input, so its fd 1
# is a regular file the whole time.  Its stdin is a shell pipeline
# (`cat PART HOLD | mtcp_launch -- sort -o FILE`), which a restart replaces
# by mtcp_restart's stdin (`cat PART HOLD | mtcp_restart IMAGE`): the input
# is given in three parts, one per process.  HOLD is a FIFO this driver
# keeps open, so that cat keeps the pipe open after its part.
#   part 1 to the launched sort; when sort has read all of it (the pipe is
#   empty and sort waits in read(0)), checkpoint, kill -9; restart with
#   part 2 on stdin, the same again; restart with part 3 and end of file.
# Then sort writes its result: FILE must be sort(part1 part2 part3), and
# mtcp_restart's stdout (a file of its own) must stay empty.
# shellcheck source=rt_lib.sh
. "$(dirname "$0")/rt_lib.sh"

PY=${RT_PYTHON:-/usr/bin/python3}
[[ -x $PY ]] || skip "$PY not found (Debian package python3)"
SORT=$(command -v sort) || skip "sort not found"
say "sort: $SORT ($("$SORT" --version | head -n1))"
export LC_ALL=C
OUT=$TMP/sorted.txt
for p in 1 2 3; do
	awk -v p="$p" 'BEGIN { srand(p); for (i = 0; i < 20000; i++) printf "%08x part%d line%d\n", int(rand() * 4294967295), p, i }' >"$TMP/part$p.txt"
done
sort "$TMP"/part[123].txt >"$TMP/expected.txt"

# sort_waits_for_input: sort has taken every byte out of its stdin pipe
# and waits in read(0) for more (its main thread's system call; FIONREAD
# on the pipe, opened through /proc/PID/fd/0: 0)
sort_waits_for_input() {
	local deadline=$((SECONDS + WAIT_S)) sc n
	while :; do
		sc=$(cat "/proc/$PID/syscall" 2>/dev/null)
		n=$("$PY" -c 'import os, fcntl, termios, struct, sys
fd = os.open(sys.argv[1], os.O_RDONLY | os.O_NONBLOCK)
b = bytearray(4); fcntl.ioctl(fd, termios.FIONREAD, b); print(struct.unpack("i", b)[0])' "/proc/$PID/fd/0" 2>&1)
		[[ $sc == "0 0x0 "* && $n == 0 ]] && return 0
		alive "$WAITPID" || { wait "$WAITPID"; failed "sort ended with $(status_text $?) before reading all its input"; }
		((SECONDS < deadline)) || failed "sort did not read its input within $WAIT_S s (syscall: $sc; in the pipe: $n)"
		sleep 0.05
	done
}

# feed NAME PART CMD...: `cat PART HOLD | CMD` in the background (HOLD:
# $TMP/hold.NAME, or nothing for the last part); sets WAITPID to CMD's pid.
# The pipe is made by a process substitution, not `|`: bash waits for a
# pipeline's last command only together with the others, and cat ends
# only when this driver lets it.
feed() {
	local name=$1 part=$2 hold=
	shift 2
	if [[ $name != last ]]; then
		hold=$TMP/hold.$name
		mkfifo "$hold" || failed "mkfifo $hold"
		# held open here read-write: cat's open does not wait
		exec 5<>"$hold"
	fi
	# bash leaves the substitution's own fd (63) open beside fd 0: the
	# program gets fds 0-2 only
	(
		for f in /proc/"$BASHPID"/fd/*; do
			f=${f##*/}
			((f > 2)) && eval "exec $f<&-" 2>/dev/null
		done
		exec "$@"
	) < <(exec 5>&- 2>"$TMP/cat.$name.err"; exec cat "$part" ${hold:+"$hold"}) \
		>"$TMP/$name.out" 2>"$TMP/$name.err" &
	WAITPID=$!
	STARTED+=("$WAITPID")
}

feed prog "$TMP/part1.txt" "$MTCP_LAUNCH" --dir "$IMGDIR" -- "$SORT" -o "$OUT"
PID=$WAITPID
RT_PROG_PID=$PID
say "started: cat part1 HOLD | mtcp_launch -- sort -o $OUT (pid $PID)"
for round in 1 2; do
	sort_waits_for_input
	say "sort has read part $round"
	checkpoint "$PID"
	kill9 "$PID"
	exec 5>&- # cat ends
	if ((round == 1)); then
		feed restart1 "$TMP/part2.txt" "$MTCP_RESTART" "$IMG"
	else
		feed last "$TMP/part3.txt" "$MTCP_RESTART" "$IMG"
	fi
	say "mtcp_restart $(basename "$IMG") with part $((round + 1)) on stdin: pid $WAITPID"
done
wait_exit "$WAITPID" "$WAIT_S"
((EXIT_RC == 0)) || failed "the restored sort ended with $(status_text "$EXIT_RC")"
for f in "$TMP"/restart1.out "$TMP"/last.out; do
	[[ -s $f ]] && failed "sort's output went to mtcp_restart's stdout ($(basename "$f"): $(fsize "$f") bytes), and $OUT has $(fsize "$OUT") bytes"
done
cmp -s "$OUT" "$TMP/expected.txt" ||
	failed "$OUT ($(fsize "$OUT") bytes) is not the sorted input ($(fsize "$TMP/expected.txt") bytes)"
say "$OUT is the sorted input of all three processes ($(wc -l <"$OUT") lines); mtcp_restart's stdout stayed empty"
pass
