#!/bin/bash
# SPDX-License-Identifier: MIT
# inv_program.sh: the program does not notice a copy-on-write checkpoint's
# writer process (issue 10, "the program must not notice it").
#
# inv_prog (a linked program, mtcp_init()) counts SIGCHLD and its atfork
# handlers, and holds a file fd at a known offset, a pipe, a flock()ed
# file and a socketpair.  Its checkpoint's writer is held at the gate
# (MTCP_TEST_WRITER_GATE) while the program, running, checks
# (inv_prog.c, "held"): waitpid(-1, WNOHANG) and wait() give ECHILD,
# /proc/self/task holds only its own threads, no SIGCHLD, no atfork
# handler, the offset unchanged; it closes the pipe's write end, a
# socketpair end and the locked file, and the read end and the peer see
# EOF at once and the lock is free (for another process too: flock(1)
# here), so the writer holds no copy of them.  After the checkpoint
# ("after"): the same, and no child left.  Restarted from that image
# ("restored"): everything as it was at the pause.
NAME=inv_program
# shellcheck source=writer_lib.sh
. "$(dirname "$0")/writer_lib.sh"

start_prog inv 8 MTCP_TEST_WRITER_GATE="$GATE" MTCP_VERBOSE=1
tell "$PID" ping
pong_clean "before the checkpoint"

ckpt_bg inv "$PID"
find_writer "$PID" "$CK_PID" ||
	fail "the checkpoint ended before a writer process was held at the gate: $(cat "$CK_ERR"; grep '^mtcp:' "$P_ERR")"
say "writer $W held at the gate"

tell "$PID" "held $W"
flock --nonblock --exclusive "$PDIR/lock" true 3>&- 5>&- ||
	fail "another process cannot take the lock of the file the program closed: the writer holds it"
# all of that while the writer was still held: the checkpoint not done
if ! alive "$W" || ! alive "$CK_PID"; then
	fail "the writer or the checkpoint ended while the writer should be held at the gate"
fi
say "nothing noticed while the writer is held"

release
ckpt_wait
ckpt_ok "the checkpoint"
IMG=$CK_IMG
gone "$W" 5000 || fail "the writer $W still runs after its checkpoint completed"
tell "$PID" after
tell "$PID" ping
pong_clean "after the checkpoint"
say "nothing noticed after the checkpoint: $IMG"

kill_prog
restart inv "$IMG"
tell "$RPID" restored
finish_restored "the restored program"
say "restarted: everything as at the pause"
say PASS
