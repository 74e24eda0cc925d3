#!/bin/bash
# SPDX-License-Identifier: MIT
# pipe_threads.sh: two Python threads talking through os.pipe()
# (pipe_threads.py), checkpointed while the pipe is full, killed and
# restarted twice.  Every byte arrives, once, in order: the reader checks
# each numbered record, and at the end the count it received equals the
# count the writer wrote.  The pipe's size (128 KiB, F_SETPIPE_SZ) must come
# back too.  Before each checkpoint the driver waits until the program
# reports 64 KiB or more in flight (FIONREAD), so the checkpoint has to
# carry the pipe's contents.
#
# The python is /usr/bin/python3 (Debian's python3, which ./setup.sh test
# installs), not a pyenv or virtualenv python3 earlier on PATH.
# shellcheck source=rt_lib.sh
. "$(dirname "$0")/rt_lib.sh"

PY=${RT_PYTHON:-/usr/bin/python3}
[[ -x $PY ]] || skip "$PY not found (Debian package python3)"
say "python: $PY $("$PY" -c 'import sys; print(sys.version.split()[0])')"

LOG=$TMP/pipe.log

# the last progress line after LOG_OFF says 64 KiB or more are in the pipe
rt_before_checkpoint() {
	local deadline=$((SECONDS + WAIT_S)) last
	while :; do
		last=$(tail -c +$((LOG_OFF + 1)) "$LOG" | grep '^progress' | tail -n1)
		[[ $last =~ inflight=([0-9]+) ]] && ((BASH_REMATCH[1] >= 65536)) && break
		check_log "$LOG" "$LOG_OFF"
		alive "$WAITPID" || failed "the program ended while waiting for a full pipe"
		((SECONDS < deadline)) || failed "the pipe never held 64 KiB in $WAIT_S s: $last"
		sleep 0.02
	done
	say "before the checkpoint: $last"
}

RT_FIRST=1000
two_restarts "$LOG" "$PY" "$RT_DIR/pipe_threads.py" "$LOG" "$STOP"
pass
