#!/bin/bash
# SPDX-License-Identifier: MIT
# fallback_nproc.sh: RLIMIT_NPROC too low for the writer process.  inv_prog
# runs as uid 65534 and lowers its RLIMIT_NPROC to the number of that
# user's tasks (checked: it cannot make a thread any more).  Its
# checkpoints must still succeed, stop-the-world (no writer process ever
# opens the gate, which would hold it; MTCP_VERBOSE's stop-the-world
# lines), with exactly one "mtcp: copy-on-write not used: REASON; ..."
# line for both, naming the limit; the image restarts.  Root only (to be
# uid 65534); skipped otherwise.
NAME=fallback_nproc
# shellcheck source=writer_lib.sh
. "$(dirname "$0")/writer_lib.sh"

((EUID == 0)) || skip "needs root, to run the program as uid 65534"
as_user 65534
start_prog nproc 16 MTCP_TEST_WRITER_GATE="$GATE" MTCP_VERBOSE=1
tell "$PID" nproc
say "$R_W $R_REST"

for n in 1 2; do
	ckpt_bg "nproc-$n" "$PID"
	if find_writer "$PID" "$CK_PID"; then
		release
		fail "checkpoint $n: a writer process $W was made under RLIMIT_NPROC"
	fi
	ckpt_wait
	ckpt_ok "checkpoint $n under RLIMIT_NPROC"
	grep -q "^mtcp: stop-the-world $CK_IMG: " "$P_ERR" ||
		fail "checkpoint $n: no 'mtcp: stop-the-world $CK_IMG:' line: $(grep '^mtcp:' "$P_ERR")"
done
IMG=$CK_IMG
cow_lines "$P_ERR" >/dev/null &&
	fail "a copy-on-write line: $(cow_lines "$P_ERR")"
n=$(lines_in "$P_ERR" '^mtcp: copy-on-write not used: ')
((n == 1)) || fail "$n 'mtcp: copy-on-write not used:' lines for two checkpoints, not 1: $(grep '^mtcp:' "$P_ERR")"
line=$(grep '^mtcp: copy-on-write not used: ' "$P_ERR")
[[ $line =~ \;\ this\ checkpoint\ stops\ the\ program\ until\ its\ image\ is\ written$ ]] ||
	fail "the fallback line does not end as docs say: $line"
grep -qiE 'RLIMIT_NPROC|nproc|ulimit -u|process(es)? limit|limit on processes' <<<"$line" ||
	fail "the fallback line does not name the limit: $line"
say "$line"

tell "$PID" ping
pong_clean "after the checkpoints"
kill_prog
restart nproc "$IMG"
tell "$RPID" ping
pong_clean "restarted"
finish_restored "restarted"
say PASS
