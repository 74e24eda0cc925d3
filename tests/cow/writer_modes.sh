#!/bin/bash
# SPDX-License-Identifier: MIT
# writer_modes.sh (test cow_modes): MTCP_COW=0|1|auto and what each says.
#  - MTCP_COW=0: no writer process (none ever opens the gate, which would
#    hold it), MTCP_VERBOSE's "mtcp: stop-the-world PATH: pause X ms,
#    durable Y ms" line;
#  - MTCP_COW=1 and unset (auto): a writer process; the program answers
#    while it is held (it is not paused by the write); "mtcp: copy-on-write
#    PATH: pause ..., writer W" naming that writer;
#  - each: mtcp_checkpoint --wait prints the path alone on stdout and
#    "paused X.XXX ms" before "complete"/"degraded" on stderr; no
#    "copy-on-write not used" line;
#  - MTCP_COW=2: mtcp_init() fails, and says why naming MTCP_COW.
NAME=cow_modes
# shellcheck source=writer_lib.sh
. "$(dirname "$0")/writer_lib.sh"

num='[0-9]+\.[0-9]{3}'

for mode in 0 1 auto-unset; do
	vars=(MTCP_TEST_WRITER_GATE="$GATE" MTCP_VERBOSE=1)
	[[ $mode == auto-unset ]] || vars+=(MTCP_COW="$mode")
	start_prog "cow-$mode" 16 "${vars[@]}"
	ckpt_bg "cow-$mode" "$PID"
	if [[ $mode == 0 ]]; then
		if find_writer "$PID" "$CK_PID"; then
			release
			fail "MTCP_COW=0: a writer process $W opened the gate"
		fi
	else
		find_writer "$PID" "$CK_PID" ||
			fail "MTCP_COW=$mode: the checkpoint ended before a writer process was held at the gate: $(cat "$CK_ERR"; grep '^mtcp:' "$P_ERR")"
		# the program runs while its image is written
		tell "$PID" ping
		pong_clean "MTCP_COW=$mode, the writer held"
		alive "$CK_PID" || fail "MTCP_COW=$mode: the checkpoint ended while its writer was held"
		release
	fi
	ckpt_wait
	ckpt_ok "MTCP_COW=$mode"
	gate_empty "MTCP_COW=$mode"
	img=$CK_IMG
	pause=$(head -n1 "$CK_ERR")
	grep -q "^mtcp: checkpoint $img: " "$P_ERR" ||
		fail "MTCP_COW=$mode: no 'mtcp: checkpoint $img:' line with MTCP_VERBOSE=1"
	[[ $(lines_in "$P_ERR" '^mtcp: copy-on-write not used') == 0 ]] ||
		fail "MTCP_COW=$mode: a fallback line: $(grep 'copy-on-write not used' "$P_ERR")"
	if [[ $mode == 0 ]]; then
		grep -qE "^mtcp: stop-the-world $img: pause $num ms, durable $num ms" "$P_ERR" ||
			fail "MTCP_COW=0: no 'mtcp: stop-the-world $img: pause X ms, durable Y ms' line: $(grep '^mtcp:' "$P_ERR")"
		cow_lines "$P_ERR" >/dev/null &&
			fail "MTCP_COW=0: a copy-on-write line: $(cow_lines "$P_ERR")"
	else
		grep -qE "^mtcp: copy-on-write $img: pause $num ms, durable $num ms, extra memory [0-9]+ KiB, copied [0-9]+ KiB, writer $W\$" "$P_ERR" ||
			fail "MTCP_COW=$mode: no 'mtcp: copy-on-write $img: pause X ms, durable Y ms, extra memory N KiB, copied M KiB, writer $W' line: $(grep '^mtcp:' "$P_ERR")"
		grep -q '^mtcp: stop-the-world ' "$P_ERR" &&
			fail "MTCP_COW=$mode: a stop-the-world line: $(grep '^mtcp: stop-the-world ' "$P_ERR")"
	fi
	prog_exit "MTCP_COW=$mode"
	say "MTCP_COW=$mode: $pause, $(grep -oE '^mtcp: (copy-on-write|stop-the-world) ' "$P_ERR")"
done

# a bad value: mtcp_init() fails and names the variable
IMGDIR=$TMP/bad.img
mkdir -m 0700 "$IMGDIR"
log_file out bad.out
log_file err bad.err
MTCP_COW=2 MTCP_DIR=$IMGDIR "$INV_PROG" init >"$out" 2>"$err" 3>&- 5>&-
rc=$?
((rc == 3)) || fail "MTCP_COW=2: inv_prog init exited $rc, not 3 (mtcp_init() failed): $(cat "$out" "$err")"
grep -qE '^init -[0-9]+$' "$out" || fail "MTCP_COW=2: mtcp_init() did not return a negative errno: $(cat "$out")"
grep -qE '^mtcp: .*MTCP_COW' "$err" || fail "MTCP_COW=2: no 'mtcp: ...' line naming MTCP_COW: $(cat "$err")"
[[ -z $(images "$IMGDIR") ]] || fail "MTCP_COW=2: images were written"
say "MTCP_COW=2: $(cat "$out"): $(cat "$err")"
say PASS
