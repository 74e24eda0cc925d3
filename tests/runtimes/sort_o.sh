#!/bin/bash
# SPDX-License-Identifier: MIT
# sort_o.sh: `sort -o FILE` keeps its output file across restarts.  GNU sort
# opens FILE and dup2's it onto fd 1 before it reads its input, so its fd 1
# is a regular file the whole time.  Its stdin is a pipe from outside (a
# FIFO this driver writes), which a restart replaces by mtcp_restart's
# stdin: the input is given in three parts, one per process.
#   part 1 to the launched sort; when sort has read all of it (the FIFO is
#   empty and sort waits in read(0)), checkpoint, kill -9; restart with
#   part 2 on stdin, the same again; restart with part 3 and end of file.
# Then sort writes its result: FILE must be sort(part1 part2 part3), and
# mtcp_restart's stdout (a file of its own) must stay empty.
. "$(dirname "$0")/rt_lib.sh"

PY=${RT_PYTHON:-/usr/bin/python3}
[[ -x $PY ]] || skip "$PY not found (Debian package python3)"
SORT=$(command -v sort) || skip "sort not found"
say "sort: $SORT ($("$SORT" --version | head -n1))"
export LC_ALL=C
OUT=$TMP/sorted.txt
for p in 1 2 3; do
	awk -v p="$p" 'BEGIN { srand(p); for (i = 0; i < 20000; i++) printf "%08x part%d line%d\n", int(rand() * 4294967295), p, i }' >"$TMP/part$p.txt"
	mkfifo "$TMP/in$p"
done
sort "$TMP"/part[123].txt >"$TMP/expected.txt"

# sort_waits_for_input FIFO: sort has taken every byte out of FIFO and
# waits in read(0) for more (its main thread's system call, and FIONREAD
# on the FIFO: 0)
sort_waits_for_input() {
	local deadline=$((SECONDS + WAIT_S)) sc n
	while :; do
		read -r sc _ <"/proc/$PID/syscall" 2>/dev/null
		n=$("$PY" -c 'import os, fcntl, termios, struct, sys
fd = os.open(sys.argv[1], os.O_RDONLY | os.O_NONBLOCK)
b = bytearray(4); fcntl.ioctl(fd, termios.FIONREAD, b); print(struct.unpack("i", b)[0])' "$1")
		[[ $sc == 0 && $n == 0 ]] && grep -q '^0 0x0 ' "/proc/$PID/syscall" && return 0
		alive "$WAITPID" || { wait "$WAITPID"; failed "sort ended with $(status_text $?) before reading all its input"; }
		((SECONDS < deadline)) || failed "sort did not read its input within $WAIT_S s (syscall: $(cat "/proc/$PID/syscall"), $n bytes in the pipe)"
		sleep 0.05
	done
}

# each FIFO is opened here read-write (so that neither side's open waits),
# as fd 5, 6, 7; start_bg closes those in the programs
exec 5<>"$TMP/in1"
RT_IN=$TMP/in1 launch sort "$SORT" -o "$OUT"
RT_PROG_PID=$PID
for part in 1 2 3; do
	cat "$TMP/part$part.txt" >&$((part + 4)) || failed "writing part $part to sort"
	if ((part == 3)); then
		exec 7>&- # end of file
		break
	fi
	sort_waits_for_input "$TMP/in$part"
	say "sort has read part $part"
	checkpoint "$PID"
	kill9 "$PID"
	eval "exec $((part + 4))>&-"
	eval "exec $((part + 5))<>\"\$TMP/in$((part + 1))\""
	RT_IN=$TMP/in$((part + 1)) restart "restart$part" "$IMG"
done
wait_exit "$WAITPID" "$WAIT_S"
((EXIT_RC == 0)) || failed "the restored sort ended with $(status_text "$EXIT_RC"): $(cat "$TMP"/restart2.err)"
for f in "$TMP"/restart*.out; do
	[[ -s $f ]] && failed "sort's output went to mtcp_restart's stdout ($(basename "$f"): $(fsize "$f") bytes), and $OUT has $(fsize "$OUT") bytes"
done
cmp -s "$OUT" "$TMP/expected.txt" ||
	failed "$OUT ($(fsize "$OUT") bytes) is not the sorted input ($(fsize "$TMP/expected.txt") bytes)"
say "$OUT is the sorted input of all three processes ($(wc -l <"$OUT") lines); mtcp_restart's stdout stayed empty"
pass
