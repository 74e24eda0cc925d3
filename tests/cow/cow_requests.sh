#!/bin/bash
# SPDX-License-Identifier: MIT
#
# cow_requests.sh PROGRAM socket|api: one checkpoint at a time (issue 10).
# A request that arrives while an image is being written is served by a
# new snapshot, taken once that image is done: its answer never comes from
# a snapshot taken before it asked.
#
# PROGRAM is cow_requests (cow_requests.c), with MTCP_COW=1 and the writer
# gate (MTCP_TEST_WRITER_GATE).
#   1. marker 1; `mtcp_checkpoint --wait` (the first request); its writer
#      is held at the gate;
#   2. the second request: `mtcp_checkpoint --wait` (socket: it has sent
#      its request once it waits in poll() for the answer) or
#      mtcp_checkpoint() from a program thread (api: that thread sleeps in
#      a futex inside it);
#   3. marker 2, only now; neither request is answered yet;
#   4. the gate opens: the first answer is image 1;
#   5. the second request's writer comes to the gate (the first writer is
#      gone by then), and nothing answers while it is held.  api: the
#      thread in mtcp_checkpoint() waits while the counting thread counts
#      on; once the gate opens mtcp_checkpoint() returns MTCP_CHECKPOINTED,
#      and its image verifies (mtcp_restart --verify) at once;
#   6. image 2 is another, newer image of the same lineage;
#   7. restarted, image 1 holds marker 1 and image 2 marker 2.  api: the
#      thread restored in mtcp_checkpoint() sees MTCP_RESTARTED, and the
#      count of image 2 is below the count seen while it was written,
#      itself below the count when mtcp_checkpoint() returned.
set -u

PROG=${1-}
MODE=${2-}
[[ -x $PROG && $MODE =~ ^(socket|api)$ ]] ||
	{ echo "usage: cow_requests.sh PROGRAM socket|api" >&2; exit 99; }

# shellcheck source=cow_lib.sh
. "$(dirname "$0")/cow_lib.sh"

# request_sent PID: mtcp_checkpoint PID has sent its request: it sleeps in
# poll() for the answer (it polls for POLLIN only after sending; connect()
# on a unix socket does not poll).  Fails after WAIT_S or if it ends.
request_sent() {
	local pid=$1 deadline=$((SECONDS + WAIT_S)) sc
	while :; do
		read -r sc _ 2>/dev/null <"/proc/$pid/syscall"
		# x86_64 poll 7, ppoll 271; aarch64 ppoll 73
		case "$(uname -m):${sc-}" in
		x86_64:7 | x86_64:271 | aarch64:73) return 0 ;;
		esac
		alive "$pid" || failed "the second mtcp_checkpoint ended before it sent its request: $(cat "$TMP/ckpt.2.err")"
		((SECONDS < deadline)) || failed "the second mtcp_checkpoint did not wait for an answer within $WAIT_S s (system call '${sc-}')"
		pace
	done
}

# status_is STATE WHAT: the program thread's mtcp_checkpoint() state.
status_is() {
	send status
	expect status
	read -r _ st _ rc <<<"$LINE"
	[[ $st == "$1" ]] || failed "$2 (the program thread's state is $st, rc $rc)"
}

cd "$TMP" || exit 99
ENV=("MTCP_DIR=$IMGDIR" "MTCP_COW=1" "MTCP_VERBOSE=1" "MTCP_KEEP=4"
     "MTCP_TEST_WRITER_GATE=$GATE")
prog_start cow_requests env "${ENV[@]}" "$PROG"
expect ready
read -r _ PID _ <<<"$LINE"
WAITPID=$P_PID

# 1. the first request, held at the gate
send "marker 1"
expect marker
gate_hold
ckpt_start "$PID" 1
CK1=$CK_PID
gate_wait_open "the first checkpoint" "$CK1"
writer_check "$PID" "the first checkpoint"
W1=$WRITER
say "first request: writer $W1 held at the gate"

# 2. the second request
CK2=
if [[ $MODE == socket ]]; then
	ckpt_start "$PID" 2
	CK2=$CK_PID
	request_sent "$CK2"
	say "second request sent by mtcp_checkpoint $CK2"
else
	send ckpt
	expect requesting
	send inreq
	expect inreq
	[[ $LINE == "inreq yes" ]] || failed "mtcp_checkpoint() in a program thread: $LINE"
	say "second request: a program thread waits in mtcp_checkpoint()"
fi

# 3. only now
send "marker 2"
expect marker
alive "$CK1" || failed "the first request was answered while its writer was held at the gate: $(cat "$TMP/ckpt.1.err")"
if [[ -n $CK2 ]]; then
	alive "$CK2" || failed "the second request was answered while the first image was still held at the gate: $(cat "$TMP/ckpt.2.out" "$TMP/ckpt.2.err")"
else
	status_is 1 "mtcp_checkpoint() in a program thread returned while the first image was still held at the gate"
fi

# 4. the first image
gate_release
ckpt_finish "$CK1" 1
IMG1=$IMG
check_ckpt_err 1

# 5. the second request's own snapshot, held in turn
if [[ -n $CK2 ]] && ! alive "$CK2"; then
	[[ $(cat "$TMP/ckpt.2.out") == "$IMG1" ]] &&
		failed "the second request was answered with the first image, $IMG1, whose snapshot was taken before it was made"
fi
gate_hold
gate_wait_open "the second request (if it was answered with the first image, prog.log or ckpt.2.out shows it)" "$CK2"
writer_check "$PID" "the second request"
W2=$WRITER
[[ $W1 != "$W2" ]] && alive "$W1" && failed "the second request's writer $W2 is at the gate while the first one, $W1, still runs"
say "second request: its own writer $W2 held at the gate"
if [[ -n $CK2 ]]; then
	alive "$CK2" || failed "the second request was answered while its image was held at the gate: $(cat "$TMP/ckpt.2.out" "$TMP/ckpt.2.err")"
else
	status_is 1 "mtcp_checkpoint() in a program thread returned while its image was held at the gate"
	send count
	expect count
	read -r _ CA <<<"$LINE"
	send "waitcount $((CA + 1000000))"
	expect count
	read -r _ CB <<<"$LINE"
	status_is 1 "mtcp_checkpoint() in a program thread returned while its image was held at the gate"
	say "while the image was held, mtcp_checkpoint() waited and the counting thread went from $CA to $CB"
fi
gate_release
if [[ -n $CK2 ]]; then
	ckpt_finish "$CK2" 2
	check_ckpt_err 2
else
	expect selfckpt
	read -r _ _ RC _ CRET _ IMG <<<"$LINE"
	[[ $RC == 1 ]] || failed "mtcp_checkpoint() in a program thread returned $RC, not MTCP_CHECKPOINTED (1)"
	[[ $IMG == "$IMGDIR"/*.mtcp && -f $IMG ]] ||
		failed "mtcp_checkpoint() returned, and mtcp_last_image() says '$IMG': not an image in $IMGDIR"
	# durable when it returned: whole, under its final name, right away
	"$MTCP_RESTART" --verify "$IMG" >"$TMP/verify.2.out" 2>&1 6>&- 7>&- 8>&- ||
		failed "the image mtcp_checkpoint() returned does not verify: $(cat "$TMP/verify.2.out")"
	((CRET > CB)) || failed "the count when mtcp_checkpoint() returned, $CRET, is not above the $CB seen while its image was held"
fi
IMG2=$IMG

# 6. another, newer image of the lineage
[[ $IMG2 != "$IMG1" ]] || failed "both requests were answered with the same image $IMG1"
[[ $(image_lineage "$IMG2") == "$(image_lineage "$IMG1")" ]] ||
	failed "the images are of two lineages: $IMG1, $IMG2"
(($(image_seq "$IMG2") > $(image_seq "$IMG1"))) ||
	failed "the second answer $IMG2 is not newer than the first, $IMG1"
for i in "$IMG1" "$IMG2"; do
	wait_err_line "^mtcp: copy-on-write $(sed 's/[][\.*^$+?(){}|/]/\\&/g' <<<"$i"): " "checkpoint $(basename "$i"), MTCP_VERBOSE=1"
done

kill -KILL "$PID"
wait_exit "$WAITPID" "$WAIT_S"

# 7. what each image holds
restart_show() {
	local img=$1 want=$2
	prog_start "mtcp_restart $(basename "$img")" "$MTCP_RESTART" "$img"
	WAITPID=$P_PID
	if [[ $MODE == api && $img == "$IMG2" ]]; then
		expect selfckpt
		read -r _ _ RC _ <<<"$LINE"
		[[ $RC == 2 ]] || check_failed "restored inside mtcp_checkpoint(), the program thread got $RC, not MTCP_RESTARTED (2)"
	fi
	send show
	expect show
	read -r _ _ M _ R _ CSNAP <<<"$LINE"
	[[ $M == "$want" ]] ||
		failed "$(basename "$img") holds marker $M, not $want (marker 2 was set after the second request was made)"
	[[ $R == 1 ]] || check_failed "mtcp_restart_count() is '$R' after one restart"
	say "$(basename "$img"): marker $M"
}
restart_show "$IMG1" 1
rpid=$PID
((EUID == 0)) || rpid=$WAITPID
kill -KILL "$rpid"
wait_exit "$WAITPID" "$WAIT_S"
restart_show "$IMG2" 2
if [[ $MODE == api ]]; then
	# the snapshot came before the driver's count CA (its writer was at the
	# gate then); mtcp_checkpoint() returned after CB: the counting thread
	# ran while the image was written
	((CSNAP <= CA + 1)) || check_failed "image 2 holds count $CSNAP, above the $CA counted after its writer was at the gate"
	say "counts: image 2 $CSNAP, while held $CA..$CB, at the return $CRET"
fi
send quit
expect bye
wait_exit "$WAITPID" "$WAIT_S"
((EXIT_RC == 0)) || check_failed "mtcp_restart exited $EXIT_RC after 'quit'"
finish "the second request ($MODE) got its own snapshot, taken after it was made"
