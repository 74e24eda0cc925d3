#!/bin/bash
# SPDX-License-Identifier: MIT
# wrapper_exec.sh: a program started through a `#!/bin/sh` wrapper that
# execs it (as Debian's Rscript, pyenv and virtualenv shims do) is
# checkpointed by default, without --inherit: mtcp_launch keeps the preload
# across an exec of the same process.  mtcp_launch -- wrapper.sh numbered
# file OUT STOP: the wrapper sets a variable and execs numbered (numbered.c)
# in its own pid; numbered writes "%08u\n" lines to OUT (its own fd, not
# 0-2).  Checkpoint, kill -9, restart, twice, as in stdout_file.sh; OUT must
# end as 1..n and END n.
# shellcheck source=rt_lib.sh
. "$(dirname "$0")/rt_lib.sh"

[[ -x ${RT_NUMBERED-} ]] || { echo "RT_NUMBERED is not set" >&2; exit 99; }
OUT=$TMP/out.txt
WRAP=$TMP/wrapper.sh
cat >"$WRAP" <<'WRAPPER'
#!/bin/sh
# a wrapper as shims are: set things up, then exec the real program
RT_WRAPPED=1
export RT_WRAPPED
exec "$@"
WRAPPER
chmod 0755 "$WRAP"

rt_progress() { echo $(($(fsize "$OUT") / 9)); }

# before the first checkpoint: the pid mtcp_launch started is numbered now
rt_before_checkpoint() {
	[[ $PID == "$RT_PROG_PID" ]] || return 0
	local exe
	exe=$(readlink "/proc/$PID/exe")
	[[ $exe == "$(readlink -f "$RT_NUMBERED")" ]] ||
		failed "pid $PID runs $exe, not numbered: the wrapper did not exec it in place"
	tr '\0' '\n' <"/proc/$PID/environ" | grep -qx RT_WRAPPED=1 ||
		failed "pid $PID was not started through the wrapper"
	((checked++)) || say "pid $PID: the wrapper /bin/sh exec'ed $(basename "$exe") in place"
}
checked=0

RT_DONE_RE='^END'
# 50 lines (50 ms or more) between each checkpoint and its kill, written
# twice: by the killed process and again by the restored one
RT_MORE=50
two_restarts "$OUT" "$WRAP" "$RT_NUMBERED" file "$OUT" "$STOP"
n=${DONE_LINE#END }
n=$((10#$n))
want=$(awk -v n="$n" 'BEGIN { for (i = 1; i <= n; i++) printf "%08d\n", i; printf "END %08d\n", n }' | md5sum)
[[ $(md5sum <"$OUT") == "$want" ]] || failed "$OUT is not the lines 1..$n and END: $(grep -c . "$OUT") lines, first $(head -n1 "$OUT"), last $(tail -n1 "$OUT")"
say "$OUT holds 1..$n once each, in order, and END"
pass
