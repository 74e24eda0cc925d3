#!/bin/bash
# SPDX-License-Identifier: MIT
# sqlite.sh save|changed: a python3 program (sqlite_commit.py) commits one
# row per transaction into an SQLite database, ids 1, 2, 3 ...  It is
# checkpointed, keeps committing for a second, and is killed with SIGKILL.
#
#   save     launched with MTCP_SAVE_FILES='*.db*': the image holds the
#            database (and its journal, when the checkpoint fell inside a
#            transaction) as they were at the checkpoint, and mtcp_restart
#            puts them back.  Restarted, it must go on where it was, and a
#            second checkpoint, kill and restart follow; at the stop file it
#            must finish with exactly the rows 1..N, each with its value (no
#            UNIQUE constraint failure, no duplicate, no gap, an intact
#            database); this driver checks the table again.
#   changed  launched without MTCP_SAVE_FILES: the database changed after
#            the checkpoint, and mtcp_restart must say so, naming the file,
#            on stderr; `mtcp_restart --refuse-changed` must refuse the
#            image, naming the file, and start nothing.
#
# The python is /usr/bin/python3 (Debian's python3 with its sqlite3
# module, which ./setup.sh test installs), not a pyenv python3 on PATH.
# shellcheck source=rt_lib.sh
. "$(dirname "$0")/rt_lib.sh"

MODE=${1:-save}
[[ $MODE == save || $MODE == changed ]] || { echo "usage: $0 save|changed" >&2; exit 99; }
RT_NAME=sqlite_$MODE
PY=${RT_PYTHON:-/usr/bin/python3}
[[ -x $PY ]] || skip "$PY not found (Debian package python3)"
"$PY" -c 'import sqlite3' 2>/dev/null || skip "$PY has no sqlite3 module"
say "python: $PY $("$PY" -c 'import sys, sqlite3; print(sys.version.split()[0], "sqlite", sqlite3.sqlite_version)')"

DB=$TMP/test.db
LOG=$TMP/sqlite.log
PROG=("$PY" "$RT_DIR/sqlite_commit.py" "$DB" "$LOG" "$STOP")
# a checkpoint between two transactions or inside one, then a second of
# commits before the kill
RT_FIRST=50
RT_MORE=100
RT_RUN_ON_S=1
# a checkpoint inside a transaction finds SQLite's fcntl lock on the
# database, which is not held after a restart (docs/architecture.md): no
# other process uses this database, so that is the one thing accepted
RT_DEGRADED_OK='holds a file lock'

if [[ $MODE == save ]]; then
	RT_LAUNCH_ENV=('MTCP_SAVE_FILES=*.db*')
	two_restarts "$LOG" "${PROG[@]}"
	rows=$(sed -n 's/^DONE rows=\([0-9]*\).*/\1/p' <<<"$DONE_LINE")
	got=$("$PY" - "$DB" <<'PY'
import sqlite3, sys, zlib
con = sqlite3.connect(sys.argv[1])
rows = con.execute("SELECT id, v FROM t ORDER BY id").fetchall()
bad = [r for r in rows if r[1] != "row %d %08x" % (r[0], zlib.crc32(b"%d" % r[0]))]
ids = [r[0] for r in rows]
print(len(rows), ids == list(range(1, len(rows) + 1)), len(bad),
      con.execute("PRAGMA integrity_check").fetchone()[0])
PY
)
	[[ $got == "$rows True 0 ok" ]] ||
		failed "the database after the run: '$got' (rows, ids 1..N, bad values, integrity); expected '$rows True 0 ok'"
	say "the database holds exactly the rows 1..$rows, each with its value"
	pass
fi

# changed: one checkpoint between two transactions, a second of commits,
# the kill.  A checkpoint inside a transaction finds SQLite's lock (it says
# degraded) and its journal open (which the restart would find gone): it
# is taken again until one says complete.
launch prog "${PROG[@]}"
RT_PROG_PID=$PID
wait_progress "start" "$LOG" 0 "$RT_FIRST"
for try in $(seq 20); do
	checkpoint "$PID"
	grep -qx complete "$TMP/ckpt.err" && break
	((try < 20)) || failed "20 checkpoints, none between two transactions (complete)"
done
CK=$NOW
run_on "after the checkpoint" "$LOG" 0
kill9 "$PID"
say "checkpointed at row $CK or later, killed at row $(progress "$LOG" 0)"
problems=()

# a plain restart warns, naming the database
LOG_OFF=$(fsize "$LOG")
restart restart "$IMG"
deadline=$((SECONDS + WAIT_S))
while alive "$WAITPID" && (($(progress "$LOG" "$LOG_OFF") == 0)) && ! grep -q FAIL <(tail -c +$((LOG_OFF + 1)) "$LOG"); do
	((SECONDS < deadline)) || failed "the restored program neither ran nor ended within $WAIT_S s"
	sleep 0.05
done
warning=$(grep -F "$DB" "$TMP/restart.err" | grep -vF "$DB-" | grep -i chang | head -n1)
if [[ -n $warning ]]; then
	say "mtcp_restart warned: $warning"
else
	problems+=("mtcp_restart printed no warning naming $DB, which changed after the checkpoint (its stderr: $(head -c 300 "$TMP/restart.err" | tr '\n' ' '))")
fi
what=$(tail -c +$((LOG_OFF + 1)) "$LOG" | grep -m1 '^FAIL' || true)
say "the restored program, with the database ahead of it: ${what:-no failure reported yet}"
kill -KILL "$PID" 2>/dev/null
wait_exit "$WAITPID" "$WAIT_S"

# --refuse-changed refuses, naming the database, and starts nothing
LOG_OFF=$(fsize "$LOG")
"$MTCP_RESTART" --refuse-changed "$IMG" </dev/null >"$TMP/refuse.out" 2>"$TMP/refuse.err" 5>&- 6>&- 7>&- 8>&- 9>&- &
rpid=$!
STARTED+=("$rpid")
wait_exit "$rpid" "$WAIT_S"
if ((EXIT_RC == 0)); then
	problems+=("mtcp_restart --refuse-changed exited 0")
elif ! grep -F "$DB" "$TMP/refuse.err" | grep -qvF "$DB-"; then
	problems+=("mtcp_restart --refuse-changed: $(status_text "$EXIT_RC"), but its message does not name $DB: $(head -c 300 "$TMP/refuse.err" | tr '\n' ' ')")
else
	say "mtcp_restart --refuse-changed: $(status_text "$EXIT_RC"): $(grep -F "$DB" "$TMP/refuse.err" | head -n1)"
fi
(($(fsize "$LOG") == LOG_OFF)) || problems+=("mtcp_restart --refuse-changed let the program run: $(tail -c +$((LOG_OFF + 1)) "$LOG" | head -n2 | tr '\n' ' ')")

((${#problems[@]} == 0)) || failed "$(printf '%s; ' "${problems[@]}")"
pass
