#!/bin/bash
# SPDX-License-Identifier: MIT
# asyncio_stream.sh: a Python asyncio program (asyncio_stream.py: tasks,
# asyncio.sleep, an asyncio.Queue, a socketpair-based stream between two
# coroutines, always with lines in flight) checkpointed, killed and
# restarted twice.  After each restart the sequence goes on: every line
# arrives once, in order (the receiver checks each), and at the end the
# count received equals the count sent.
#
# The python is /usr/bin/python3 (Debian's python3, which ./setup.sh test
# installs), not a pyenv or virtualenv python3 earlier on PATH.
# shellcheck source=rt_lib.sh
. "$(dirname "$0")/rt_lib.sh"

PY=${RT_PYTHON:-/usr/bin/python3}
[[ -x $PY ]] || skip "$PY not found (Debian package python3)"
say "python: $PY $("$PY" -c 'import sys; print(sys.version.split()[0])')"

LOG=$TMP/asyncio.log
RT_FIRST=200
two_restarts "$LOG" "$PY" "$RT_DIR/asyncio_stream.py" "$LOG" "$STOP"
pass
