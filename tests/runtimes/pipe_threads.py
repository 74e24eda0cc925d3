# SPDX-License-Identifier: MIT
"""pipe_threads.py LOG STOP: two Python threads talking through os.pipe(),
for tests/runtimes/pipe_threads.sh.

The pipe is made 128 KiB (F_SETPIPE_SZ).  The writer thread writes
numbered 32-byte records as fast as the pipe takes them (128 records, one
4 KiB write, at a time); the reader thread reads 4 KiB at a time and sleeps
2 ms after each read, so the pipe is full nearly all the time: a checkpoint
finds bytes in flight.  The reader checks that every record is the next
number with its checksum.  The main thread logs "progress RECEIVED
inflight=BYTES pipesz=BYTES" every 50 ms (FIONREAD, F_GETPIPE_SZ) and
checks the pipe is still 128 KiB.  When STOP exists the writer writes an END
record with the count it wrote and closes its end; the reader must have
received exactly that many, then see end-of-file.  Then "DONE ..." and exit
0; any mismatch is "FAIL ..." and exit 1.
"""
import fcntl
import os
import struct
import sys
import termios
import threading
import time
import zlib

LOG, STOP = sys.argv[1], sys.argv[2]
REC = 32
BATCH = 128
PIPESZ = 128 * 1024
logf = open(LOG, "a", buffering=1)
lock = threading.Lock()


def log(s):
    with lock:
        logf.write(s + "\n")


def fail(s):
    log("FAIL " + s)
    os._exit(1)


def record(n):
    r = b"%012d %08x" % (n, zlib.crc32(b"%d" % n))
    return r + b"." * (REC - 1 - len(r)) + b"\n"


class State:
    written = 0
    received = 0
    end = None


st = State()
r, w = os.pipe()
fcntl.fcntl(w, fcntl.F_SETPIPE_SZ, PIPESZ)
if fcntl.fcntl(r, fcntl.F_GETPIPE_SZ) != PIPESZ:
    fail("F_SETPIPE_SZ did not take")


def writer():
    n = 0
    while not os.path.exists(STOP):
        buf = b"".join(record(n + i + 1) for i in range(BATCH))
        if os.write(w, buf) != len(buf):  # <= 4096 bytes: all or nothing
            fail("short write to the pipe")
        n += BATCH
        st.written = n
    end = b"END %012d" % n
    os.write(w, end + b" " * (REC - 1 - len(end)) + b"\n")
    os.close(w)


def reader():
    want = 1
    pending = b""
    while True:
        data = os.read(r, 4096)
        if not data:
            break
        pending += data
        whole = len(pending) - len(pending) % REC
        for off in range(0, whole, REC):
            rec = pending[off:off + REC]
            if st.end is not None:
                fail("a record after END: %r" % rec)
            if rec.startswith(b"END "):
                st.end = int(rec.split()[1])
                continue
            if rec != record(want):
                fail("expected record %d, got %r" % (want, rec))
            st.received = want
            want += 1
        pending = pending[whole:]
        time.sleep(0.002)
    if st.end is None:
        fail("end of file after %d records, with no END record" % st.received)
    if pending:
        fail("%d bytes after the last whole record" % len(pending))


threads = [threading.Thread(target=writer, name="writer"),
           threading.Thread(target=reader, name="reader")]
for t in threads:
    t.start()
log("started pid=%d python=%s" % (os.getpid(), sys.version.split()[0]))
buf = bytearray(4)
while threads[1].is_alive():
    try:
        fcntl.ioctl(r, termios.FIONREAD, buf)
        inflight = struct.unpack("i", buf)[0]
        size = fcntl.fcntl(r, fcntl.F_GETPIPE_SZ)
    except OSError as e:
        fail("the pipe's read end (fd %d): %s" % (r, e))
    if size != PIPESZ:
        fail("the pipe is %d bytes, was %d" % (size, PIPESZ))
    log("progress %d inflight=%d pipesz=%d written=%d" %
        (st.received, inflight, size, st.written))
    threads[1].join(0.05)
for t in threads:
    t.join()
if st.end != st.written or st.received != st.written:
    fail("written %d, END says %s, received %d" % (st.written, st.end, st.received))
log("DONE received=%d bytes=%d pid=%d" % (st.received, st.received * REC, os.getpid()))
