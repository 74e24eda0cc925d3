#!/bin/bash
# SPDX-License-Identifier: MIT
#
# incr_nouffd.sh: where userfaultfd(2) is refused (seccomp, as in Docker's
# default profile) every image is full (issue 11, "Tracking").  incr_prog
# with 32 MiB runs under incr_nouffd (incr_nouffd.c: a seccomp filter that
# makes userfaultfd(2) fail with EPERM), MTCP_VERBOSE=1, MTCP_FULL_EVERY
# left at 8:
#   - 4 checkpoints with steps between: every image has no header flag 10,
#     no "mtcp: incremental IMG" or "mtcp: full IMG" line (no tracking);
#   - exactly one "mtcp: incremental images not used: WHY; every image is
#     full" line for all of them;
#   - the program killed, mtcp_restart (under the filter too) of images 4
#     and 1: the digests are as at those checkpoints.
set -u

# shellcheck source=incr_lib.sh
. "$(dirname "$0")/incr_lib.sh"
cd "$TMP" || exit 99

PREFIX=("$INCR_NOUFFD")
incr_start nouffd 32 MTCP_DIR="$IMGDIR" MTCP_VERBOSE=1 MTCP_KEEP=20
declare -A IMGS DIG
for k in 1 2 3 4; do
	step "$k"
	ckpt "checkpoint $k"
	IMGS[$k]=$IMG
	digest "at checkpoint $k"
	DIG[$k]=$DIGEST
	is_incr "$IMG" && check_failed "image $k has flag 10 (an increment) though userfaultfd is refused"
done
wait_err_line '^mtcp: incremental images not used: .*; every image is full$' "userfaultfd refused"
n=$(grep -c '^mtcp: incremental images not used: ' "$TMP/prog.err")
((n == 1)) || check_failed "$n 'mtcp: incremental images not used:' lines for 4 checkpoints, not 1"
grep -qE '^mtcp: (incremental|full) /' "$TMP/prog.err" &&
	check_failed "a tracking line though userfaultfd is refused: $(grep -E '^mtcp: (incremental|full) /' "$TMP/prog.err" | head -n 2)"
say "$(grep -m 1 '^mtcp: incremental images not used: ' "$TMP/prog.err")"
kill_current
RUNAS=("$INCR_NOUFFD")
for k in 4 1; do
	((k == 4)) || kill_current
	restart_img "restart $k" "${IMGS[$k]}"
	digest "restarted from image $k"
	digest_is "restarted from image $k" "${DIG[$k]}" "checkpoint $k"
done
quit_current "the program restored from image 1"
finish "userfaultfd refused: 4 full images, one verbose line, restarts exact"
