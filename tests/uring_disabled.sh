#!/bin/bash
# SPDX-License-Identifier: MIT
# uring_disabled.sh RUN_INTEG CLASSES_PROGRAM [MTCP_CHECK]: with io_uring
# switched off for the whole machine (sysctl kernel.io_uring_disabled=2), a
# checkpoint under the default MTCP_WRITE=auto falls back to pwrite() by
# itself (the image says so), MTCP_WRITE=uring fails with a clear message,
# and the restorer, which reads through io_uring too, falls back to plain
# reads.  With MTCP_CHECK, mtcp_check says io_uring is disabled, and why,
# and exits 1.
# The sysctl is put back on every way out.  Needs root and a kernel with
# the sysctl (6.6+); skipped (77) otherwise, saying why.
set -u
run_integ=$1
prog=$2
check=${3:-}
knob=/proc/sys/kernel/io_uring_disabled

[ "$(id -u)" = 0 ] || { echo "skip: needs root to set $knob"; exit 77; }
[ -w "$knob" ] || { echo "skip: this kernel has no $knob"; exit 77; }
old=$(cat "$knob")
trap 'echo "$old" > "$knob"' EXIT
trap 'exit 1' INT TERM
echo 2 > "$knob" || { echo "skip: cannot write $knob"; exit 77; }
echo "# $knob: $old -> 2"

if [ -n "$check" ]; then
	out=$("$check" --dir /tmp)
	rc=$?
	line=$(grep '^no    io_uring: disabled by kernel.io_uring_disabled=2 (io_uring_setup: EPERM); ' <<<"$out")
	if [ $rc != 1 ] || [ -z "$line" ]; then
		echo "FAIL: mtcp_check with io_uring disabled: exit $rc:"
		echo "$out"
		exit 1
	fi
	echo "# mtcp_check: $line"
fi

MT_EXPECT_WRITTEN_WITH=pwrite "$run_integ" --program "$prog" --mode restart || exit 1
echo "# auto fell back to pwrite; the restart read without io_uring"

out=$(MTCP_WRITE=uring "$run_integ" --program "$prog" --mode restart 2>&1)
rc=$?
if [ $rc = 0 ]; then
	echo "FAIL: MTCP_WRITE=uring checkpointed with io_uring disabled"
	exit 1
fi
if ! grep -q "MTCP_WRITE=uring, but io_uring is not available" <<<"$out"; then
	echo "FAIL: MTCP_WRITE=uring failed without saying why:"
	echo "$out" | tail -20
	exit 1
fi
echo "# MTCP_WRITE=uring refused: $(grep -m1 -o 'MTCP_WRITE=uring, but[^(]*' <<<"$out")"
exit 0
