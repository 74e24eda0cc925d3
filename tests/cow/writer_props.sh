#!/bin/bash
# SPDX-License-Identifier: MIT
# writer_props.sh: the writer process of a copy-on-write checkpoint, held at
# the gate (MTCP_TEST_WRITER_GATE):
#  - it is a child of the program, named mtcp-writer, oom_score_adj 1000,
#    and holds only the image's fds (and the gate's);
#  - SIGKILL to the program takes the writer too, at once (a pidfd); no
#    image name of that checkpoint appears, no temporary is left (or a
#    named one is removed at the next start, docs/format.md "Commit"), and
#    the previous image verifies and restarts;
#  - SIGKILL to the writer: mtcp_checkpoint --wait fails with an ERR about
#    the writer, the previous image stays whole and the only one, the
#    program runs on unaware, and its next checkpoint succeeds.
#
# With COW_WRAP=PATH (tests/no_tmpfile) the programs run as on a file system
# without O_TMPFILE: the killed writer must leave its named temporary
# (.PROG.PID.LINEAGE.RANDOM.mtcp.tmp), and the restart must remove it.
NAME=writer_props${COW_WRAP:+_no_tmpfile}
# shellcheck source=writer_lib.sh
. "$(dirname "$0")/writer_lib.sh"
if [[ -n ${COW_WRAP-} ]]; then
	[[ -x $COW_WRAP ]] || { echo "COW_WRAP=$COW_WRAP is not executable"; exit 99; }
	PREFIX=("$COW_WRAP")
fi

# ---- 1. the writer's properties; the program killed -----------------------
start_prog props 32 MTCP_TEST_WRITER_GATE="$GATE"
checkpoint "first checkpoint" "$PID"
IMG1=$CK_IMG

ckpt_bg second "$PID"
find_writer "$PID" "$CK_PID" ||
	fail "the second checkpoint ended before a writer process was held at the gate: $(cat "$CK_ERR")"
say "writer $W held at the gate"
# shellcheck disable=SC2046 # the fields after the name
set -- $(sed 's/.*) //' "/proc/$W/stat")
[[ $2 == "$PID" ]] || fail "the writer's parent is $2, not the program $PID"
comm=$(cat "/proc/$W/comm")
[[ $comm == mtcp-writer ]] || fail "the writer's comm is '$comm', not mtcp-writer"
adj=$(cat "/proc/$W/oom_score_adj")
[[ $adj == 1000 ]] || fail "the writer's oom_score_adj is $adj, not 1000"
bad=
nimg=0
for f in /proc/"$W"/fd/*; do
	t=$(readlink "$f") || continue
	if [[ $t == "$GATE" ]]; then
		continue
	elif [[ $t == "$IMGDIR"/* ]]; then
		nimg=$((nimg + 1))
	else
		bad+=" ${f##*/}->$t"
	fi
done
[[ -z $bad ]] || fail "the writer holds fds other than the image's and the gate's:$bad"
((nimg > 0)) || fail "the writer holds no fd of the image (in $IMGDIR)"
say "writer $W: parent $PID, comm $comm, oom_score_adj $adj, fds: $nimg of the image and the gate"

out=$("$WRITER_PROBE" killwait "$PID" "$W" 5000 2>&1 3>&- 5>&-) ||
	fail "SIGKILL to the program: $out"
say "$out"
start_watchdog "$WAIT_S" "$P_TOP"
wait "$P_TOP" 2>/dev/null
stop_watchdog
ckpt_wait
((CK_RC != 0)) || fail "mtcp_checkpoint --wait succeeded though the program was killed"
# the writer is gone: nothing can link a name any more
now=$(images "$IMGDIR")
[[ $now == "$IMG1" ]] ||
	fail "after the kill the images are '${now//$'\n'/ }', not only the first checkpoint's $IMG1"
tmps=$(find "$IMGDIR" -maxdepth 1 -name '.*.mtcp.tmp')
if [[ -n ${COW_WRAP-} ]]; then
	[[ $tmps =~ /\.inv_prog\.$PID\.[0-9a-f]{8}\.[0-9a-f]{16}\.mtcp\.tmp$ ]] ||
		fail "without O_TMPFILE the killed writer left no named temporary: '$tmps'"
	say "the killed writer left its named temporary ${tmps##*/}"
elif [[ -n $tmps ]]; then
	say "a named temporary was left: $tmps"
fi
verify "$IMG1" "the previous image after the kill"
restart props "$IMG1"
tell "$RPID" ping
pong_clean "the previous image restarted"
left=$(find "$IMGDIR" -maxdepth 1 -name '.*.mtcp.tmp')
[[ -z $left ]] || fail "a temporary is still there after the restart (the next start): $left"
[[ -n $tmps ]] && say "the restart removed it"
finish_restored "the previous image restarted"
say "the program killed: the writer went too, no new name, $IMG1 whole and restartable"

# ---- 2. the writer killed ------------------------------------------------
start_prog killw 32 MTCP_TEST_WRITER_GATE="$GATE"
checkpoint "first checkpoint" "$PID"
IMG1=$CK_IMG
ckpt_bg second "$PID"
find_writer "$PID" "$CK_PID" ||
	fail "the second checkpoint ended before a writer process was held at the gate: $(cat "$CK_ERR")"
say "writer $W held at the gate; SIGKILL to it"
kill -KILL "$W"
ckpt_wait
((CK_RC != 0)) || fail "mtcp_checkpoint --wait succeeded though its writer was killed: $(cat "$CK_OUT")"
grep -qi 'writer process.*signal 9' "$CK_ERR" ||
	fail "mtcp_checkpoint's error does not name the writer killed by signal 9: $(cat "$CK_ERR")"
[[ -s $CK_OUT ]] && fail "a failed checkpoint printed a path: $(cat "$CK_OUT")"
why=$(cat "$CK_ERR")
gone "$W" 5000 || fail "the killed writer $W is still there"
now=$(images "$IMGDIR")
[[ $now == "$IMG1" ]] || fail "after the failed checkpoint the images are '${now//$'\n'/ }', not only $IMG1"
verify "$IMG1" "the previous image after the writer was killed"
tell "$PID" ping
pong_clean "the program after its writer was killed"
checkpoint "the next checkpoint" "$PID"
[[ $CK_IMG != "$IMG1" ]] || fail "the next checkpoint gave the old image's name"
now=$(images "$IMGDIR")
[[ $now == "$(printf '%s\n' "$IMG1" "$CK_IMG" | sort)" ]] ||
	fail "images after the next checkpoint: '${now//$'\n'/ }'"
say "the writer killed: '$why'; next checkpoint $CK_IMG"
prog_exit "after the checkpoints"
say PASS
