# SPDX-License-Identifier: MIT
"""sqlite_commit.py DB LOG STOP: commits one row per transaction into the
SQLite database DB (python3's sqlite3 module), ids 1, 2, 3 ..., for
tests/runtimes/sqlite.sh.  After each commit it logs "progress ID".  When
STOP exists it stops after the current row and checks the table holds
exactly the rows 1..ID, each with its value, and that the database is
sound (PRAGMA integrity_check); then "DONE rows=ID ..." and exit 0.  A
failed insert (a UNIQUE constraint, when the database is ahead of the
program) or a wrong table is "FAIL ..." and exit 1.
"""
import os
import sqlite3
import sys
import time
import zlib

DB, LOG, STOP = sys.argv[1:4]


def log(s):
    # opened for each line: the database is the only file the program
    # holds open for writing between two lines (sqlite.sh changed)
    with open(LOG, "a") as f:
        f.write(s + "\n")


def fail(s):
    log("FAIL " + s)
    os._exit(1)


def value(i):
    return "row %d %08x" % (i, zlib.crc32(b"%d" % i))


# autocommit mode: the transactions are this program's own BEGIN / COMMIT
con = sqlite3.connect(DB, isolation_level=None)
con.execute("CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, v TEXT NOT NULL)")
log("started pid=%d sqlite=%s journal=%s" %
    (os.getpid(), sqlite3.sqlite_version, con.execute("PRAGMA journal_mode").fetchone()[0]))
i = 0
while not os.path.exists(STOP):
    i += 1
    try:
        con.execute("BEGIN")
        con.execute("INSERT INTO t (id, v) VALUES (?, ?)", (i, value(i)))
        con.execute("COMMIT")
    except sqlite3.Error as e:
        fail("row %d: %s: %s" % (i, type(e).__name__, e))
    log("progress %d" % i)
    time.sleep(0.002)

n, lo, hi = con.execute("SELECT count(*), min(id), max(id) FROM t").fetchone()
if (n, lo, hi) != (i, 1, i):
    fail("the table has %s rows, ids %s..%s; expected %d rows, 1..%d" % (n, lo, hi, i, i))
for rid, v in con.execute("SELECT id, v FROM t ORDER BY id"):
    if v != value(rid):
        fail("row %d holds %r" % (rid, v))
ok = con.execute("PRAGMA integrity_check").fetchone()[0]
if ok != "ok":
    fail("integrity_check: " + ok)
con.close()
log("DONE rows=%d pid=%d" % (i, os.getpid()))
