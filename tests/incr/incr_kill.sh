#!/bin/bash
# SPDX-License-Identifier: MIT
#
# incr_kill.sh: a kill in the middle of an incremental checkpoint leaves
# the chain restartable from its last complete image (issue 11, "Tests").
# incr_prog with 96 MiB, MTCP_COW=1 and the writer gate
# (MTCP_TEST_WRITER_GATE, held open here: incr_lib.sh, gate_rw).  Small
# increments are written without a writer process (their pages are copied
# while the program is parked); an increment that rewrote more than
# max(64 MiB, resident/8) has one, which the gate can hold: "step K 80"
# rewrites 80% of the pages (77 MiB).  The program's spinner thread
# rewrites 4 MiB all the time; restarted, those pages must be as at the
# pause.
#
#  A. The program killed.  Images 1 (full), 2 and 3 (increments); then the
#     writer of increment 4 (after "step 4 80") is held at the gate and the
#     program gets SIGKILL.  The writer goes too; no image 4 appears and
#     no temporary is left (nothing but images 1..3 in the directory);
#     increment 3 verifies, and restarted it has the digest it had.
#  A2. The same for a small increment, which has no writer process: after
#     images 1 and 2, increment 3 (1%) is held at the gate by the program's
#     own control thread (with its copies, before it writes the image),
#     and the program gets SIGKILL: nothing but images 1 and 2 remains,
#     increment 2 verifies and restarts exactly.
#  B. The writer alone killed.  Images 1 (full) and 2 (an increment); the
#     writer of increment 3 (after "step 3 80") is held and gets SIGKILL:
#     mtcp_checkpoint() fails in the program, which runs on; no image 3.
#     That checkpoint's scan forgot the writes image 3 would have held, so
#     the next checkpoint must be full ("mtcp: full ...", no flag 10) and
#     the one after it an increment of depth 1 after it.  Restarted from
#     that increment and from the full image, the digests are as at their
#     checkpoints.
set -u

# shellcheck source=incr_lib.sh
. "$(dirname "$0")/incr_lib.sh"
cd "$TMP" || exit 99
gate_rw
ENV=(MTCP_COW=1 MTCP_VERBOSE=1 MTCP_KEEP=20 "MTCP_TEST_WRITER_GATE=$GATE")
MIB=96

# ---- A. the program killed -------------------------------------------------
incr_start killprog "$MIB" MTCP_DIR="$IMGDIR" "${ENV[@]}"
spin_start
declare -A IMGS DIG
used=
for k in 1 2 3; do
	step "$k"
	ckpt_through "A: checkpoint $k"
	IMGS[$k]=$IMG
	used+=" $k:$WRITER_USED"
	digest "A: at checkpoint $k"
	DIG[$k]=$DIGEST
done
say "A: the gate's byte taken (a writer process or the program at the gate; checkpoint:1/0):$used"
check_full "A: image 1" "${IMGS[1]}"
check_incr "A: image 2" "${IMGS[2]}" 1 "${IMGS[1]}"
check_incr "A: image 3" "${IMGS[3]}" 2 "${IMGS[2]}"
before=$(dir_files "$IMGDIR")
step 4 80
ckpt_held "A: checkpoint 4 (an increment of 80%)"
kill -KILL "$PID_OUT"
wait_exit "$WAITPID" "$WAIT_S"
((EXIT_RC == 137)) || check_failed "A: the killed program's status is $EXIT_RC, not 137"
# the writer goes with the program (a pidfd, cow.c): bounded wait
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
spin_check "A: restarted from image 3"
digest_is "A: restarted from image 3" "${DIG[3]}" "checkpoint 3"
quit_current "A: the program restored from image 3"
say "A: killed while increment 4 was written: no trace of it; increment 3 verifies and restarts exactly"

# ---- A2. the program killed while a small increment is held ---------------
# (no writer process: the program's control thread waits at the gate with
# the increment's copies, before it writes the image)
IMGA2=$TMP/imagesA2
user_dir "$IMGA2"
incr_start killprog2 "$MIB" MTCP_DIR="$IMGA2" "${ENV[@]}"
spin_start
unset IMGS DIG
declare -A IMGS DIG
for k in 1 2; do
	step "$k"
	ckpt_through "A2: checkpoint $k"
	IMGS[$k]=$IMG
	digest "A2: at checkpoint $k"
	DIG[$k]=$DIGEST
done
check_incr "A2: image 2" "${IMGS[2]}" 1 "${IMGS[1]}"
before=$(dir_files "$IMGA2")
step 3
ckpt_held "A2: checkpoint 3 (an increment of 1%)" self
kill -KILL "$PID_OUT"
wait_exit "$WAITPID" "$WAIT_S"
((EXIT_RC == 137)) || check_failed "A2: the killed program's status is $EXIT_RC, not 137"
after=$(dir_files "$IMGA2")
[[ $after == "$before" ]] ||
	check_failed "A2: after the kill mid-increment the image directory holds '${after//$'\n'/ }', not only '${before//$'\n'/ }'"
run_bounded "$TMP/verify.A2.out" "$TMP/verify.A2.err" "$MTCP_RESTART" --verify "${IMGS[2]}"
((RC == 0)) || check_failed "A2: mtcp_restart --verify image 2 exited $RC: $(head -c 600 "$TMP/verify.A2.err")"
restart_img "A2: restart 2" "${IMGS[2]}"
digest "A2: restarted from image 2"
digest_is "A2: restarted from image 2" "${DIG[2]}" "checkpoint 2"
spin_check "A2: restarted from image 2"
quit_current "A2: the program restored from image 2"
say "A2: killed while increment 3 (no writer process) was held: no trace of it; increment 2 restarts exactly"

# ---- B. the writer killed --------------------------------------------------
IMGB=$TMP/imagesB
user_dir "$IMGB"
incr_start killwriter "$MIB" MTCP_DIR="$IMGB" "${ENV[@]}"
spin_start
unset IMGS DIG
declare -A IMGS DIG
for k in 1 2; do
	step "$k"
	ckpt_through "B: checkpoint $k"
	IMGS[$k]=$IMG
	digest "B: at checkpoint $k"
	DIG[$k]=$DIGEST
done
check_full "B: image 1" "${IMGS[1]}"
check_incr "B: image 2" "${IMGS[2]}" 1 "${IMGS[1]}"
before=$(dir_files "$IMGB")
step 3 80
ckpt_held "B: checkpoint 3 (an increment of 80%)"
kill -KILL "$WRITER"
expect ckpt
[[ $LINE == ckpt-fail* ]] || failed "B: the writer was killed, yet mtcp_checkpoint() says '$LINE'"
say "B: writer killed: the program says '$LINE'"
after=$(dir_files "$IMGB")
[[ $after == "$before" ]] ||
	check_failed "B: after the writer was killed the image directory holds '${after//$'\n'/ }', not only '${before//$'\n'/ }'"
step 4
ckpt_through "B: checkpoint 4, after the failed one"
IMGS[4]=$IMG
digest "B: at checkpoint 4"
DIG[4]=$DIGEST
check_full "B: image 4, the first after a failed checkpoint" "$IMG"
step 5
ckpt_through "B: checkpoint 5"
IMGS[5]=$IMG
digest "B: at checkpoint 5"
DIG[5]=$DIGEST
check_incr "B: image 5" "$IMG" 1 "${IMGS[4]}"
kill_current
for k in 5 4; do
	((k == 5)) || kill_current
	restart_img "B: restart $k" "${IMGS[$k]}"
	digest "B: restarted from image $k"
	spin_check "B: restarted from image $k"
	digest_is "B: restarted from image $k" "${DIG[$k]}" "checkpoint $k"
done
quit_current "B: the program restored from image 4"
say "B: the writer of increment 3 killed: image 4 full, 5 an increment after it, both restart exactly"

finish "a kill mid-increment leaves the chain restartable; a killed writer breaks the chain (next image full)"
