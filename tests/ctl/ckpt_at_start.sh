#!/bin/bash
# SPDX-License-Identifier: MIT
# ckpt_at_start.sh PROGRAM: a checkpoint asked for in-process right after
# mtcp_init() is served (it was once counted as served while the control
# thread still bound its socket, and its caller waited forever). The
# control thread's start is made slow on purpose: MTCP_CTL_DIR points at a
# directory whose mtcp-<uid>/ holds 256 stale socket names of dead pids,
# which the control thread sweeps before it serves requests. 20 rounds.
set -u
prog=$1
tmp=$(mktemp -d /tmp/mtcp-ckpt-at-start.XXXXXX) || exit 99
trap 'rm -rf "$tmp"' EXIT
mkdir -m 0700 "$tmp/ctl" "$tmp/img" "$tmp/ctl/mtcp-$(id -u)"
make_stale() {
	python3 - "$tmp/ctl/mtcp-$(id -u)" <<'PY' || exit 99
import os, socket, sys
d = sys.argv[1]
for i in range(256):
    p = os.path.join(d, "ctl.%d" % (4190000 + i))  # pids above any in use
    if os.path.lexists(p):
        os.unlink(p)  # one the last round's sweep did not reach
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(p)
    s.close()
PY
}
for round in $(seq 1 20); do
	make_stale
	out=$(MTCP_CTL_DIR=$tmp/ctl "$prog" "$tmp/img" 2>&1)
	rc=$?
	if ((rc != 0)); then
		echo "FAIL: round $round: exit $rc: $out"
		exit 1
	fi
	rm -f "$tmp"/img/*.mtcp
done
echo "PASS: 20 in-process checkpoints right after mtcp_init(), each with 256 stale names to sweep"
