#!/bin/bash
# SPDX-License-Identifier: MIT
#
# incr_kill.sh: a kill in the middle of an incremental checkpoint leaves
# the chain restartable from its last complete image (issue 11, "Tests").
# MTCP_COW=1 and the writer gate (MTCP_TEST_WRITER_GATE): each writer
# process waits at the gate until let through; incr_prog with 48 MiB.
#
#  A. The program killed.  Images 1 (full), 2 and 3 (increments); then the
#     writer of increment 4 is held at the gate (a child of the program
#     named mtcp-writer) and the program gets SIGKILL.  No image 4 appears,
#     no temporary is left in the image directory (nothing but images 1..3
#     is there), image 3 verifies, and restarted it has the digest it had.
#  B. The writer alone killed.  Images 1 (full) and 2 (increment); the
#     writer of increment 3 is held and gets SIGKILL: mtcp_checkpoint()
#     fails in the program, which runs on; no image 3.  The scan of that
#     checkpoint forgot the writes image 3 would have held, so the next
#     checkpoint must be full ("mtcp: full ...", no flag 10) and the one
#     after it an increment of depth 1 after it.  Restarted from that
#     increment and from the full one, the digests are as at their
#     checkpoints.
set -u

# shellcheck source=incr_lib.sh
. "$(dirname "$0")/incr_lib.sh"
cd "$TMP" || exit 99
ENV=(MTCP_COW=1 MTCP_VERBOSE=1 MTCP_KEEP=20 "MTCP_TEST_WRITER_GATE=$GATE")

# held_ckpt WHAT: a checkpoint whose writer is held at the gate: "ckpt" is
# sent, the writer has opened the gate; sets WRITER.  GH_PID holds the gate.
held_ckpt() {
	gate_hold
	send ckpt
	gate_wait_open "$1" ""
	writer_check "$PID_OUT" "$1"
	say "$1: writer $WRITER held at the gate"
}

# drop_holder: the gate holder ends without writing (its writer is gone).
drop_holder() {
	kill -KILL "$GH_PID" 2>/dev/null
	wait "$GH_PID" 2>/dev/null
}

# ---- A. the program killed -------------------------------------------------
incr_start killprog 48 MTCP_DIR="$IMGDIR" "${ENV[@]}"
declare -A IMGS DIG
for k in 1 2 3; do
	step "$k"
	gated_ckpt "A: checkpoint $k"
	IMGS[$k]=$IMG
	digest "A: at checkpoint $k"
	DIG[$k]=$DIGEST
done
check_full "A: image 1" "${IMGS[1]}"
check_incr "A: image 2" "${IMGS[2]}" 1 "${IMGS[1]}"
check_incr "A: image 3" "${IMGS[3]}" 2 "${IMGS[2]}"
before=$(dir_files "$IMGDIR")
step 4
held_ckpt "A: checkpoint 4"
kill -KILL "$PID_OUT"
wait_exit "$WAITPID" "$WAIT_S"
((EXIT_RC == 137)) || check_failed "A: the killed program's status is $EXIT_RC, not 137"
drop_holder
# the writer goes with the program (a pidfd, cow.c); bounded wait for it
deadline=$((SECONDS + WAIT_S))
while alive "$WRITER"; do
	((SECONDS < deadline)) || failed "A: the writer $WRITER outlived the killed program by $WAIT_S s"
	pace
done
after=$(dir_files "$IMGDIR")
[[ $after == "$before" ]] ||
	check_failed "A: after the kill mid-increment the image directory holds '${after//$'\n'/ }', not only '${before//$'\n'/ }'"
run_bounded "$TMP/verify.A3.out" "$TMP/verify.A3.err" "$MTCP_RESTART" --verify "${IMGS[3]}"
((RC == 0)) || check_failed "A: mtcp_restart --verify image 3 (the last complete one, an increment) exited $RC: $(head -c 600 "$TMP/verify.A3.err")"
restart_img "A: restart 3" "${IMGS[3]}"
digest "A: restarted from image 3"
[[ $DIGEST == "${DIG[3]}" ]] ||
	check_failed "A: restarted from image 3: digest '$DIGEST', at checkpoint 3 it was '${DIG[3]}'"
quit_current "A: the program restored from image 3"
say "A: killed while increment 4 was written: no trace of it; increment 3 verifies and restarts exactly"

# ---- B. the writer killed --------------------------------------------------
IMGB=$TMP/imagesB
user_dir "$IMGB"
incr_start killwriter 48 MTCP_DIR="$IMGB" "${ENV[@]}"
unset IMGS DIG
declare -A IMGS DIG
for k in 1 2; do
	step "$k"
	gated_ckpt "B: checkpoint $k"
	IMGS[$k]=$IMG
	digest "B: at checkpoint $k"
	DIG[$k]=$DIGEST
done
check_full "B: image 1" "${IMGS[1]}"
check_incr "B: image 2" "${IMGS[2]}" 1 "${IMGS[1]}"
before=$(dir_files "$IMGB")
step 3
held_ckpt "B: checkpoint 3"
kill -KILL "$WRITER"
expect ckpt
[[ $LINE == ckpt-fail* ]] || failed "B: the writer was killed, yet mtcp_checkpoint() says '$LINE'"
say "B: writer killed: the program says '$LINE'"
drop_holder
after=$(dir_files "$IMGB")
[[ $after == "$before" ]] ||
	check_failed "B: after the writer was killed the image directory holds '${after//$'\n'/ }', not only '${before//$'\n'/ }'"
step 4
gated_ckpt "B: checkpoint 4, after the broken one"
IMGS[4]=$IMG
digest "B: at checkpoint 4"
DIG[4]=$DIGEST
check_full "B: image 4, the first after a failed checkpoint" "$IMG"
step 5
gated_ckpt "B: checkpoint 5"
IMGS[5]=$IMG
digest "B: at checkpoint 5"
DIG[5]=$DIGEST
check_incr "B: image 5" "$IMG" 1 "${IMGS[4]}"
kill_current
for k in 5 4; do
	((k == 5)) || kill_current
	restart_img "B: restart $k" "${IMGS[$k]}"
	digest "B: restarted from image $k"
	[[ $DIGEST == "${DIG[$k]}" ]] ||
		check_failed "B: restarted from image $k: digest '$DIGEST', at checkpoint $k it was '${DIG[$k]}'"
done
quit_current "B: the program restored from image 4"
say "B: the writer of increment 3 killed: image 4 full, 5 an increment after it, both restart exactly"

finish "a kill mid-increment leaves the chain restartable; a killed writer breaks the chain (next image full)"
