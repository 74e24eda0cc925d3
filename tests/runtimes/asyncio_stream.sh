#!/bin/bash
# SPDX-License-Identifier: MIT
# asyncio_stream.sh: a Python asyncio program (asyncio_stream.py: tasks,
# asyncio.sleep, an asyncio.Queue, a socketpair-based stream between two
# coroutines, always with lines in flight) checkpointed, killed and
# restarted twice.  Each checkpoint is taken when the program has just
# reported 100 lines or more in flight.  After each restart the sequence
# goes on: every line arrives once, in order (the receiver checks each),
# and at the end the count received equals the count sent.
#
# The python is /usr/bin/python3 (Debian's python3, which ./setup.sh test
# installs), not a pyenv or virtualenv python3 earlier on PATH.
# shellcheck source=rt_lib.sh
. "$(dirname "$0")/rt_lib.sh"

PY=${RT_PYTHON:-/usr/bin/python3}
[[ -x $PY ]] || skip "$PY not found (Debian package python3)"
say "python: $PY $("$PY" -c 'import sys; print(sys.version.split()[0])')"

LOG=$TMP/asyncio.log
# before each checkpoint: 100 lines or more sent and not yet received (in
# the socket, and in the streams' small buffers)
rt_before_checkpoint() {
	local deadline=$((SECONDS + WAIT_S)) last
	while :; do
		last=$(tail -c +$((LOG_OFF + 1)) "$LOG" | grep '^progress' | tail -n1)
		[[ $last =~ ^progress\ ([0-9]+).*\ sent=([0-9]+) ]] &&
			((BASH_REMATCH[2] - BASH_REMATCH[1] >= 100)) && break
		check_log "$LOG" "$LOG_OFF"
		alive "$WAITPID" || failed "the program ended while waiting for lines in flight"
		((SECONDS < deadline)) || failed "never 100 lines in flight in $WAIT_S s: $last"
		sleep 0.02
	done
	say "before the checkpoint: $last"
}
RT_FIRST=200
two_restarts "$LOG" "$PY" "$RT_DIR/asyncio_stream.py" "$LOG" "$STOP"
pass
