#!/bin/bash
# SPDX-License-Identifier: MIT
# on_term_python.sh: CPython with a SIGTERM handler (term_handler.py)
# under mtcp_launch --on-term.  SIGTERM from here: the final image is
# written and durable before the Python handler runs (it counts the
# images: 1), the handler ends the program with 42; the final image
# restarts, the program goes on without being told again, its memory is
# whole, and it ends by the stop file with handled=0.
# shellcheck source=rt_lib.sh
. "$(dirname "$0")/rt_lib.sh"

PY=${RT_PYTHON:-/usr/bin/python3}
[[ -x $PY ]] || skip "$PY not found (Debian package python3)"
LOG=$TMP/py.log
RT_LAUNCH_ENV=(MTCP_ON_TERM=1)
launch py "$PY" "$RT_DIR/term_handler.py" "$LOG" "$STOP" "$IMGDIR"
RT_PROG_PID=$PID
wait_progress "started" "$LOG" 0 20
kill -TERM "$PID"
wait_exit "$WAITPID" "$WAIT_S"
((EXIT_RC == 42)) || failed "after SIGTERM: $(status_text "$EXIT_RC"), expected 42 from the handler"
grep -q '^handler images=1$' "$LOG" || failed "the handler did not see the final image: $(grep handler "$LOG")"
grep -q "^mtcp: SIGTERM: final checkpoint $IMGDIR/.*\.mtcp is durable" "$TMP/py.err" ||
	failed "no final checkpoint line on stderr"
img=$(ls "$IMGDIR"/*.mtcp)
say "final image: $(basename "$img"); $(grep -c '^handler' "$LOG") handler run"

LOG_OFF=$(fsize "$LOG")
restart restart1 "$img"
wait_progress "restarted" "$LOG" "$LOG_OFF" $(($(progress "$LOG" 0) + 10))
: > "$STOP"
wait_exit "$WAITPID" "$WAIT_S"
((EXIT_RC == 0)) || failed "the restarted program: $(status_text "$EXIT_RC")"
done_line=$(tail -c +$((LOG_OFF + 1)) "$LOG" | grep '^DONE')
[[ $done_line == *" handled=0 memory=ok" ]] || failed "after the restart: '$done_line'"
tail -c +$((LOG_OFF + 1)) "$LOG" | grep -q '^handler' && failed "the restarted program was told again"
say "ok: $done_line"
pass
