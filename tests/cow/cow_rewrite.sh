#!/bin/bash
# SPDX-License-Identifier: MIT
#
# cow_rewrite.sh PROGRAM --cow 0|1 [--rounds N]: an image holds the memory
# of the pause instant, every byte (issue 10, "Consistency is the point").
#
# PROGRAM is cow_rewrite (cow_rewrite.c): a thread rewrites 86 MiB of
# private anonymous memory, heap, two stacks, shared anonymous memory, a
# memfd and a private file mapping, page after page, forever; after a
# restart it finishes the page it was in and stops, and a verifier checks
# that every page holds what it held at the pause.
#
# Each round:
#   1. the program has written everything twice (2 passes);
#   2. `mtcp_checkpoint --wait` in the background;
#   --cow 1 (MTCP_COW=1): the writer process is held at the gate
#      (MTCP_TEST_WRITER_GATE).  Once it has opened the gate the snapshot
#      is taken; the program's answer to "pass" after that comes after the
#      pause.  The program must then do 3 more whole passes (every page
#      rewritten 3 times after the pause) while mtcp_checkpoint still waits;
#      then the gate opens and the image is written;
#   --cow 0 (MTCP_COW=0): stop-the-world, no gate;
#   3. mtcp_checkpoint's stderr says "paused X.XXX ms" then "complete"; the
#      program's (MTCP_VERBOSE=1) "mtcp: copy-on-write IMG: ..." or
#      "mtcp: stop-the-world IMG: ...";
#   4. SIGKILL, mtcp_restart IMG: the restored program says
#      mtcp_restart_count() is the round's number, verifies every page
#      ("verified OK"), and its progress point lies between what it said
#      before the request and what it said after the pause; it goes on.
# --rounds N checkpoints the restarted process again, N times in all (the
# "cow_chain" test: copy-on-write checkpoints of restarted processes).
set -u

PROG=${1-}
shift || true
COW=1
ROUNDS=1
while (($#)); do
	case $1 in
	--cow) COW=${2-}; shift 2 || exit 99 ;;
	--rounds) ROUNDS=${2-}; shift 2 || exit 99 ;;
	*) echo "cow_rewrite.sh: unknown argument '$1'" >&2; exit 99 ;;
	esac
done
[[ -x $PROG && $COW =~ ^[01]$ && $ROUNDS =~ ^[1-9][0-9]*$ ]] ||
	{ echo "usage: cow_rewrite.sh PROGRAM --cow 0|1 [--rounds N]" >&2; exit 99; }

# shellcheck source=cow_lib.sh
. "$(dirname "$0")/cow_lib.sh"

# re_quote TEXT: TEXT as an extended regular expression matching itself.
re_quote() { sed 's/[][\.*^$+?(){}|/]/\\&/g' <<<"$1"; }


ENV=("MTCP_DIR=$IMGDIR" "MTCP_COW=$COW" "MTCP_VERBOSE=1")
((COW)) && ENV+=("MTCP_TEST_WRITER_GATE=$GATE")
cd "$TMP" || exit 99

prog_start cow_rewrite env "${ENV[@]}" "$PROG" "$TMP"
expect ready
read -r _ PID _ _ NPAGES _ R0 <<<"$LINE"
[[ $R0 == 0 ]] || check_failed "mtcp_restart_count() is '$R0' in a launched process, not 0"
PID_OUT=$PID  # the program, as /proc and kill see it
WAITPID=$P_PID # our child whose status says how the program ended
say "cow_rewrite: pid $PID, $NPAGES pages of 4 KiB, MTCP_COW=$COW, $ROUNDS round(s)"

for ((r = 1; r <= ROUNDS; r++)); do
	# every page written twice: all are the rewriter's, the file's all copied
	send pass
	expect pass
	read -r _ _ P <<<"$LINE"
	send "wait $((P + 2))"
	expect pass
	read -r _ D0 _ <<<"$LINE"

	if ((COW)); then
		gate_hold
		ckpt_start "$PID_OUT" "$r"
		CK=$CK_PID
		gate_wait_open "checkpoint $r" "$CK"
		writer_check "$PID_OUT" "checkpoint $r"
		# the writer exists: the snapshot was taken while every thread was
		# parked, so this answer comes after the pause
		send pass
		expect pass
		read -r _ D1 P1 <<<"$LINE"
		send "wait $((P1 + 4))"
		expect pass
		read -r _ D2 P2 <<<"$LINE"
		alive "$CK" || failed "checkpoint $r: mtcp_checkpoint --wait returned while its writer was held at the gate: $(cat "$TMP/ckpt.$r.err")"
		alive "$WRITER" || failed "checkpoint $r: the writer process $WRITER is gone while held at the gate"
		say "checkpoint $r: writer $WRITER held at the gate while the program rewrote $((D2 - D1)) pages ($((P2 - P1)) passes) after the pause"
		gate_release
		ckpt_finish "$CK" "$r"
	else
		ckpt_start "$PID_OUT" "$r"
		ckpt_finish "$CK_PID" "$r"
		send pass
		expect pass
		read -r _ D1 P1 <<<"$LINE"
	fi
	check_ckpt_err "$r"
	qimg=$(re_quote "$IMG")
	if ((COW)); then
		if wait_err_line "^mtcp: copy-on-write $qimg: pause [0-9]+\.[0-9]{3} ms, durable [0-9]+\.[0-9]{3} ms, extra memory [0-9]+ KiB, copied [0-9]+ KiB, writer [0-9]+$" "checkpoint $r, MTCP_VERBOSE=1"; then
			w=$(grep -E "^mtcp: copy-on-write $qimg: " "$TMP/prog.err" | sed 's/.*, writer //')
			if ((EUID == 0)) && [[ $w != "$WRITER" ]]; then
				check_failed "checkpoint $r: the verbose line names writer $w; the gate was held by $WRITER"
			fi
		fi
		if grep -q 'copy-on-write not used' "$TMP/prog.err"; then
			check_failed "checkpoint $r: $(grep 'copy-on-write not used' "$TMP/prog.err" | head -n 1)"
		fi
	else
		wait_err_line "^mtcp: stop-the-world $qimg: pause [0-9]+\.[0-9]{3} ms, durable [0-9]+\.[0-9]{3} ms$" \
			"checkpoint $r, MTCP_VERBOSE=1, MTCP_COW=0"
		grep -q '^mtcp: copy-on-write ' "$TMP/prog.err" &&
			check_failed "MTCP_COW=0, yet a copy-on-write checkpoint: $(grep '^mtcp: copy-on-write ' "$TMP/prog.err")"
	fi

	kill -KILL "$PID_OUT"
	wait_exit "$WAITPID" "$WAIT_S"
	((EXIT_RC == 137)) || failed "after the SIGKILL of the program, status $EXIT_RC (not 137) from $WAITPID"

	prog_start "mtcp_restart $(basename "$IMG")" "$MTCP_RESTART" "$IMG"
	RST=$P_PID
	WAITPID=$RST
	expect restarted "$RST"
	read -r _ RPID _ _ RCOUNT <<<"$LINE"
	[[ $RCOUNT == "$r" ]] ||
		check_failed "restart $r: mtcp_restart_count() is '$RCOUNT' in the restored program, not $r"
	expect verified "$RST"
	read -r _ verdict _ DSTOP _ <<<"$LINE"
	[[ $verdict == OK ]] || failed "restart $r: the memory is not that of the pause instant: $LINE"
	# the pause lies between "pass" before the request and "pass" after
	# the pause (plus the page in flight, finished after the restart)
	((DSTOP >= D0)) || check_failed "restart $r: the image is of $DSTOP pages written, fewer than the $D0 written before the checkpoint was asked for"
	((DSTOP <= D1 + 1)) || check_failed "restart $r: the image is of $DSTOP pages written, more than the $D1 written when the program answered after the pause: the snapshot is from after the pause"
	PID_OUT=$(outside_pid "$RST" "$RPID")
	# the restored program goes on
	send "wait $((DSTOP / NPAGES + 2))"
	expect pass "$RST"
	say "restart $r: every page as at the pause ($DSTOP pages written, pass $((DSTOP / NPAGES + 1))); the program goes on (pid $RPID, $PID_OUT here)"
done

send quit
expect bye "$WAITPID"
[[ $LINE == "bye OK" ]] || check_failed "the program ended with '$LINE'"
wait_exit "$WAITPID" "$WAIT_S"
((EXIT_RC == 0)) || check_failed "mtcp_restart exited $EXIT_RC after 'quit', not 0"
finish "$ROUNDS restart(s) with MTCP_COW=$COW: every page of 7 kinds of memory as at the pause"
