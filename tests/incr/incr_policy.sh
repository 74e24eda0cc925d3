#!/bin/bash
# SPDX-License-Identifier: MIT
#
# incr_policy.sh: when an image is full, and what --keep keeps (issue 11,
# "Policy"; docs/tools.md, MTCP_KEEP and MTCP_FULL_EVERY).  incr_prog with
# 32 MiB.
#
#  keep    MTCP_KEEP=2 MTCP_FULL_EVERY=3, 10 checkpoints (a 1% step before
#          each): images 1, 4, 7, 10 are full, the others increments
#          after the image before.  After each checkpoint the directory
#          holds exactly the images of the 2 newest chains (everything from
#          the second newest full image on): an increment's parents are
#          never pruned before it.  The program killed, image 9 (depth 2)
#          restarts with its digest.
#  size    MTCP_FULL_EVERY=64, MTCP_COW=0, 60% of the pages rewritten
#          before each checkpoint: the chain's images soon hold more than
#          twice the resident memory, and a full image follows by
#          checkpoint 6, with the reason in its verbose line.  (Stop-the-
#          world: with copy-on-write the resident memory the rule compares
#          with includes the library's copies of the last increment, so it
#          comes later.)
#  every1  MTCP_FULL_EVERY=1: 3 checkpoints, every image full, nothing
#          tracked (no "mtcp: incremental" or "mtcp: full ...; tracking"
#          line).
set -u

# shellcheck source=incr_lib.sh
. "$(dirname "$0")/incr_lib.sh"
cd "$TMP" || exit 99

# ---- keep ------------------------------------------------------------------
D=$TMP/keep
user_dir "$D"
incr_start keep 32 MTCP_DIR="$D" MTCP_VERBOSE=1 MTCP_KEEP=2 MTCP_FULL_EVERY=3
declare -A IMGS DIG
FULLS=()
for k in $(seq 1 10); do
	step "$k"
	ckpt "keep: checkpoint $k"
	IMGS[$k]=$IMG
	digest "keep: at checkpoint $k"
	DIG[$k]=$DIGEST
	if (((k - 1) % 3 == 0)); then
		check_full "keep: image $k" "$IMG"
		FULLS+=("$k")
	else
		check_incr "keep: image $k" "$IMG" $(((k - 1) % 3)) "${IMGS[$((k - 1))]}"
	fi
	# from the second newest full image on
	first=1
	((${#FULLS[@]} >= 2)) && first=${FULLS[-2]}
	want=$(for ((i = first; i <= k; i++)); do basename "${IMGS[$i]}"; done | LC_ALL=C sort)
	have=$(dir_files "$D")
	[[ $have == "$want" ]] ||
		check_failed "keep: after checkpoint $k the directory holds '${have//$'\n'/ }', not images $first..$k ('${want//$'\n'/ }')"
done
say "keep: MTCP_KEEP=2, MTCP_FULL_EVERY=3: after each of 10 checkpoints, the images of the 2 newest chains"
kill_current
restart_img "keep: restart 9" "${IMGS[9]}"
digest "keep: restarted from image 9"
digest_is "keep: restarted from image 9" "${DIG[9]}" "checkpoint 9"
quit_current "keep: the program restored from image 9"

# ---- size ------------------------------------------------------------------
D=$TMP/size
user_dir "$D"
incr_start size 32 MTCP_DIR="$D" MTCP_VERBOSE=1 MTCP_KEEP=100 MTCP_FULL_EVERY=64 MTCP_COW=0
reason=
for k in 1 2 3 4 5 6; do
	step "$k" 60
	ckpt "size: checkpoint $k"
	q=$(re_quote "$IMG")
	if ((k == 1)); then
		check_full "size: image 1" "$IMG"
	elif ! is_incr "$IMG"; then
		wait_err_line "^mtcp: full $q: [^;]*; tracking " "size: the verbose line of full image $k"
		reason=$(grep -E "^mtcp: full $q: " "$TMP/prog.err" | sed -E 's/^mtcp: full [^:]*: ([^;]*);.*/\1/')
		say "size: image $k is full: $reason"
		break
	fi
done
[[ -n $reason ]] || check_failed "size: 6 checkpoints of 60% rewrites, and no full image after the first"
grep -qi 'twice the resident' <<<"$reason" ||
	check_failed "size: a full image for another reason than the chain's size: '$reason'"
quit_current "size"

# ---- every1 ----------------------------------------------------------------
D=$TMP/every1
user_dir "$D"
incr_start every1 32 MTCP_DIR="$D" MTCP_VERBOSE=1 MTCP_KEEP=100 MTCP_FULL_EVERY=1
for k in 1 2 3; do
	step "$k"
	ckpt "every1: checkpoint $k"
	is_incr "$IMG" && check_failed "every1: image $k has flag 10 with MTCP_FULL_EVERY=1"
	grep -qE "^mtcp: (incremental|full) $(re_quote "$IMG")" "$TMP/prog.err" &&
		check_failed "every1: a tracking line with MTCP_FULL_EVERY=1: $(grep -E "^mtcp: (incremental|full) $(re_quote "$IMG")" "$TMP/prog.err")"
done
quit_current "every1"

finish "--keep keeps whole chains; the 2x-resident rule and MTCP_FULL_EVERY=1 make full images"
