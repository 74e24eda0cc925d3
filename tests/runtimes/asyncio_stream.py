# SPDX-License-Identifier: MIT
"""asyncio_stream.py LOG STOP: an asyncio event loop (epoll, its self-pipe
socketpair) with four tasks, for tests/runtimes/asyncio_stream.sh:

  producer   puts 1, 2, 3 ... into an asyncio.Queue (maxsize 64)
  sender     takes them from the queue and writes "N payload(N)" lines to a
             StreamWriter on one end of a socket.socketpair()
             (asyncio.open_connection(sock=...)), awaiting drain()
  receiver   reads the lines from a StreamReader on the other end, slowly
             (asyncio.sleep every 8 lines), so the queue is full and the
             socket holds bytes at any moment (the streams' own buffers
             are kept small: 4 KiB); each line must be the next number
             with its payload
  ticker     asyncio.sleep(0.05) in a loop: logs "progress RECEIVED ..." and
             looks for the stop file

When STOP exists the producer ends the stream with "END count"; the
receiver must have received exactly count lines, each once, in order.
Then "DONE ..." and exit 0; any mismatch is "FAIL ..." and exit 1.
"""
import asyncio
import os
import socket
import sys
import zlib

LOG, STOP = sys.argv[1], sys.argv[2]
logf = open(LOG, "a", buffering=1)


def log(s):
    logf.write(s + "\n")


def fail(s):
    log("FAIL " + s)
    os._exit(1)


def payload(n):
    return "%08x" % zlib.crc32(b"%d" % n) + "y" * (n % 53)


class State:
    produced = 0
    sent = 0
    received = 0
    ticks = 0
    stopping = False


st = State()


async def producer(q):
    n = 0
    while not st.stopping:
        n += 1
        await q.put(n)
        st.produced = n
    await q.put(None)


async def sender(q, w):
    while True:
        n = await q.get()
        if n is None:
            w.write(b"END %d\n" % st.sent)
            await w.drain()
            w.close()
            await w.wait_closed()
            return
        w.write(("%d %s\n" % (n, payload(n))).encode())
        await w.drain()
        st.sent = n


async def receiver(r):
    want = 1
    while True:
        line = await r.readline()
        if not line:
            fail("end of stream after %d lines, with no END line" % st.received)
        parts = line.decode(errors="replace").split()
        if parts and parts[0] == "END":
            if len(parts) != 2 or int(parts[1]) != st.received:
                fail("'%s' after %d lines received" % (line.strip(), st.received))
            if await r.read():
                fail("bytes after END")
            return
        if len(parts) != 2 or parts[0] != str(want) or parts[1] != payload(want):
            fail("expected line %d, got %r" % (want, line[:80]))
        st.received = want
        want += 1
        if want % 8 == 0:
            await asyncio.sleep(0.002)


async def ticker():
    while not st.stopping:
        await asyncio.sleep(0.05)
        st.ticks += 1
        log("progress %d ticks=%d produced=%d sent=%d" %
            (st.received, st.ticks, st.produced, st.sent))
        if os.path.exists(STOP):
            st.stopping = True


async def main():
    a, b = socket.socketpair()
    for s in (a, b):
        # small buffers: what is in flight drains quickly at the end
        s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 16384)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16384)
    # small buffers in the streams too, so that what is in flight is
    # mostly in the socket, not in the program's memory
    _, w = await asyncio.open_connection(sock=a)
    w.transport.set_write_buffer_limits(high=4096)
    r, _ = await asyncio.open_connection(sock=b, limit=4096)
    q = asyncio.Queue(maxsize=64)
    log("started pid=%d python=%s" % (os.getpid(), sys.version.split()[0]))
    tasks = [asyncio.create_task(c) for c in
             (producer(q), sender(q, w), receiver(r), ticker())]
    await asyncio.gather(*tasks)
    if st.received != st.sent or st.sent != st.produced:
        fail("produced %d, sent %d, received %d" % (st.produced, st.sent, st.received))
    log("DONE received=%d ticks=%d pid=%d" % (st.received, st.ticks, os.getpid()))


asyncio.run(main())
