# SPDX-License-Identifier: MIT
# term_handler.py LOG STOP IMGDIR: a CPython program with a SIGTERM handler
# (signal.signal), two threads filling 32 MiB, under MTCP_ON_TERM
# (on_term_python.sh).  It writes to LOG:
#   ready PID                at start
#   progress N               every 10 ms (N grows; a restart goes on)
#   handler images=K         when its handler runs: K the *.mtcp in IMGDIR
#                            then (the final image is there before)
#   DONE n=N handled=H memory=ok|BAD  after STOP appears: H handler runs,
#                            and whether each thread's buffer is whole
# After its handler ran, the program ends with status 42.
import os
import signal
import sys
import threading
import time

log = open(sys.argv[1], "a", buffering=1)
stop, imgdir = sys.argv[2], sys.argv[3]
handled = 0
images_seen = None

def on_term(sig, frame):
    # counts the images now; writes in the main loop (a write from a
    # handler could land inside the loop's own write to the same file)
    global handled, images_seen
    handled += 1
    images_seen = len([f for f in os.listdir(imgdir) if f.endswith(".mtcp")])

signal.signal(signal.SIGTERM, on_term)
data = [bytearray(16 << 20), bytearray(16 << 20)]
rounds = [0, 0]

def worker(k):
    buf = data[k]
    while True:
        r = (rounds[k] + 1) & 255
        buf[:] = bytes([r]) * len(buf)
        rounds[k] += 1

for k in (0, 1):
    threading.Thread(target=worker, args=(k,), daemon=True).start()
log.write(f"ready {os.getpid()}\n")
n = 0
while not os.path.exists(stop):
    if handled:
        log.write(f"handler images={images_seen}\n")
        sys.exit(42)
    n += 1
    log.write(f"progress {n}\n")
    time.sleep(0.01)
ok = all(buf.count(buf[0]) == len(buf) for buf in data)
log.write(f"DONE n={n} handled={handled} memory={'ok' if ok else 'BAD'}\n")
