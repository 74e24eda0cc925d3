#!/bin/bash
# SPDX-License-Identifier: MIT
#
# incr_uffd.sh: the program's own userfaultfd (issue 11, "Tracking": a
# program that registers memory the library tracks gets the range, which
# is saved whole from then on).  incr_prog with 64 MiB, MTCP_COW=1,
# MTCP_VERBOSE=1:
#   1. images 1 (full) and 2 (an increment): "anon" is tracked;
#   2. "uffd": the program opens a userfaultfd (UFFD_USER_MODE_ONLY),
#      UFFDIO_API, and UFFDIO_REGISTER of the first half of "anon" with
#      UFFDIO_REGISTER_MODE_WP through glibc's ioctl(): it must succeed (the
#      library's interposed ioctl gives the range up; without that, EBUSY);
#      nothing is ever write-protected by the program, so no write waits
#      for a fault handler (a write that did would hang "step": a bounded
#      wait fails the test);
#   3. steps and checkpoints 3, 4, 5 succeed; they are increments (after 2,
#      3, 4); the writes go on into the registered range; chain_check.py
#      finds the program's memory in each of these chains;
#   4. the program is killed; restarted from image 5 and from image 3, the
#      digests are as at those checkpoints (the registered range's pages
#      included: saved whole, they do not come from a parent).
set -u

# shellcheck source=incr_lib.sh
. "$(dirname "$0")/incr_lib.sh"
cd "$TMP" || exit 99

incr_start uffd 64 MTCP_DIR="$IMGDIR" MTCP_COW=1 MTCP_VERBOSE=1 MTCP_KEEP=20
declare -A IMGS DIG
for k in 1 2 3 4 5; do
	if ((k == 3)); then
		send uffd
		expect uffd
		[[ $LINE == "uffd ok "* ]] ||
			failed "the program could not register its tracked memory with its own userfaultfd: $LINE$(lib_says)"
		say "after 2 checkpoints: $LINE"
	fi
	step "$k"
	ckpt "checkpoint $k"
	IMGS[$k]=$IMG
	digest "at checkpoint $k"
	DIG[$k]=$DIGEST
	((k >= 3)) && chain_check "$k" "$IMG"
	if ((k == 1)); then
		check_full "image 1" "$IMG"
	else
		check_incr "image $k" "$IMG" $((k - 1)) "${IMGS[$((k - 1))]}"
	fi
done
kill_current
for k in 5 3; do
	((k == 5)) || kill_current
	restart_img "restart $k" "${IMGS[$k]}"
	digest "restarted from image $k"
	digest_is "restarted from image $k" "${DIG[$k]}" "checkpoint $k"
done
quit_current "the program restored from image 3"
finish "the program's own userfaultfd registration succeeds; increments 3..5 restart exactly"
