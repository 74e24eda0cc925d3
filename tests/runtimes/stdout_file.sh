#!/bin/bash
# SPDX-License-Identifier: MIT
# stdout_file.sh stdout|dup2: a program whose fd 1 is a regular file keeps
# writing into that file after a restart, not into mtcp_restart's stdout.
#   stdout  the shell gave it the file: mtcp_launch -- numbered > out.txt
#   dup2    it opened the file and dup2'ed it onto fd 1 itself (as
#           `sort -o FILE` does; sort_o.sh runs sort itself)
# numbered (numbered.c) writes "%08u\n" lines, 1, 2, 3 ..., until the stop
# file appears, then "END n".  Checkpoint, kill -9, restart (its stdout a
# file of its own, which must stay empty), twice; out.txt must then be
# exactly 1..n and END n: fd 1 came back as out.txt at the checkpoint's
# offset (the lines written between the checkpoint and the kill are
# written again, the same bytes at the same place).
# shellcheck source=rt_lib.sh
. "$(dirname "$0")/rt_lib.sh"

MODE=${1:-stdout}
[[ $MODE == stdout || $MODE == dup2 ]] || { echo "usage: $0 stdout|dup2" >&2; exit 99; }
RT_NAME=stdout_$MODE
[[ -x ${RT_NUMBERED-} ]] || { echo "RT_NUMBERED is not set" >&2; exit 99; }
OUT=$TMP/out.txt

# progress: lines in out.txt (9 bytes each)
rt_progress() { echo $(($(fsize "$OUT") / 9)); }
# lines that go to mtcp_restart's stdout instead: fail at once, and say so
rt_check() {
	local f
	for f in "$TMP"/restart*.out; do
		[[ -s $f ]] || continue
		failed "the restored program writes its fd 1 into mtcp_restart's stdout ($(basename "$f"): $(fsize "$f") bytes, starting '$(head -c 9 "$f" | tr -d '\n')') instead of $OUT, which stays at $(fsize "$OUT") bytes"
	done
}

# 50 lines (50 ms or more) between each checkpoint and its kill, written
# twice: by the killed process and again by the restored one
RT_MORE=50
if [[ $MODE == stdout ]]; then
	RT_LAUNCH_OUT=$OUT
	RT_DONE_RE='^END'
	two_restarts "$OUT" "$RT_NUMBERED" stdout - "$STOP"
else
	RT_DONE_RE='^END'
	two_restarts "$OUT" "$RT_NUMBERED" dup2 "$OUT" "$STOP"
fi

rt_check
n=${DONE_LINE#END }
n=$((10#$n))
want=$(awk -v n="$n" 'BEGIN { for (i = 1; i <= n; i++) printf "%08d\n", i; printf "END %08d\n", n }' | md5sum)
[[ $(md5sum <"$OUT") == "$want" ]] || failed "$OUT is not the lines 1..$n and END: $(grep -c . "$OUT") lines, first $(head -n1 "$OUT"), last $(tail -n1 "$OUT")"
say "$OUT holds 1..$n once each, in order, and END; mtcp_restart's stdout stayed empty"
pass
