#!/bin/bash
# SPDX-License-Identifier: MIT
#
# incr_parents.sh: fuzzed parent references are refused clearly (issue
# 11, "Tests"; docs/format.md, "Incremental images").  incr_prog with 32
# MiB takes 5 checkpoints (image 1 full, 2..5 increments), and is killed.
# Each case works on a copy of the image directory (a chain is moved or
# copied as a whole):
#
#   intact     the copy as it is: --verify succeeds, and image 5 restarts
#              with its digest (the copy is a chain of its own);
#   missing    image 4, the parent of 5, removed;
#   swapped    image 3 copied over image 4's name (another image of the
#              chain in its place);
#   truncated  image 2, a grand-parent of 5, cut short by 4 KiB;
#   foreign    image 4 replaced by image 4 of another run's chain (same
#              name, another id).
#
# For each broken case, `mtcp_restart --verify image5` and `mtcp_restart
# image5` exit non-zero (no signal, no timeout) with one line on stderr
# that names the file at fault, and nothing is restarted (the restored
# program would say "restarted" on stdout).
set -u

# shellcheck source=incr_lib.sh
. "$(dirname "$0")/incr_lib.sh"
cd "$TMP" || exit 99

# chain DIR: 5 checkpoints of a new incr_prog into DIR; sets IMGS, DIG.
declare -A IMGS DIG
chain() {
	local k
	incr_start "chain in $(basename "$1")" 32 MTCP_DIR="$1" MTCP_COW=1 MTCP_VERBOSE=1 MTCP_KEEP=20
	for k in 1 2 3 4 5; do
		step "$k"
		ckpt "checkpoint $k"
		IMGS[$k]=$IMG
		digest "at checkpoint $k"
		DIG[$k]=$DIGEST
	done
	check_full "image 1" "${IMGS[1]}"
	for k in 2 3 4 5; do
		check_incr "image $k" "${IMGS[$k]}" $((k - 1)) "${IMGS[$((k - 1))]}"
	done
	kill_current
}

# another chain first, for "foreign": the same names (the pid and lineage
# are in the names, so its image 4 is renamed)
OTHER=$TMP/other
mkdir "$OTHER"
chain "$OTHER"
OTHER4=${IMGS[4]}
chain "$IMGDIR"
N5=$(basename "${IMGS[5]}")

# case_dir NAME: a fresh copy of the chain's directory; sets CD.
case_dir() {
	CD=$TMP/case.$1
	cp -a "$IMGDIR" "$CD" || exit 99
}

# refused CASE CULPRIT: --verify and a restart of image 5 in $CD are
# refused with one line naming CULPRIT (a file name).
refused() {
	local c=$1 culprit=$2 mode err lines
	for mode in --verify restart; do
		if [[ $mode == restart ]]; then
			run_bounded "$TMP/$c.$mode.out" "$TMP/$c.$mode.err" "$MTCP_RESTART" "$CD/$N5"
		else
			run_bounded "$TMP/$c.$mode.out" "$TMP/$c.$mode.err" "$MTCP_RESTART" "$mode" "$CD/$N5"
		fi
		err=$(cat "$TMP/$c.$mode.err")
		if ((TIMED_OUT)); then
			check_failed "$c: mtcp_restart $mode image 5 did not end within $((WAIT_S * 2)) s"
			continue
		fi
		((RC != 0)) || check_failed "$c: mtcp_restart $mode image 5 exited 0"
		((RC < 128)) || check_failed "$c: mtcp_restart $mode image 5 died of signal $((RC - 128)): $err"
		grep -q '^restarted' "$TMP/$c.$mode.out" &&
			check_failed "$c: mtcp_restart $mode image 5 restarted the program"
		lines=$(grep -c '' <<<"$err")
		[[ -n $err && $lines == 1 ]] ||
			check_failed "$c: mtcp_restart $mode image 5 says $lines lines, not one: '$err'"
		grep -qF -- "$culprit" <<<"$err" ||
			check_failed "$c: mtcp_restart $mode image 5 does not name $culprit: '$err'"
		say "$c: mtcp_restart $mode image 5: exit $RC: $err"
	done
}

# ---- intact ----------------------------------------------------------------
case_dir intact
run_bounded "$TMP/intact.out" "$TMP/intact.err" "$MTCP_RESTART" --verify "$CD/$N5"
((RC == 0)) || check_failed "intact copy: mtcp_restart --verify image 5 exited $RC: $(head -c 600 "$TMP/intact.err")"
restart_img "intact copy: restart 5" "$CD/$N5"
digest "the intact copy of image 5 restarted"
digest_is "the intact copy of image 5 restarted" "${DIG[5]}" "checkpoint 5"
kill_current

# ---- missing -----------------------------------------------------------------
case_dir missing
rm "$CD/$(basename "${IMGS[4]}")"
refused missing "$(basename "${IMGS[4]}")"

# ---- swapped -----------------------------------------------------------------
case_dir swapped
cp "$CD/$(basename "${IMGS[3]}")" "$CD/$(basename "${IMGS[4]}")"
refused swapped "$(basename "${IMGS[4]}")"

# ---- truncated -----------------------------------------------------------------
case_dir truncated
sz=$(stat -c %s "$CD/$(basename "${IMGS[2]}")")
truncate -s $((sz - 4096)) "$CD/$(basename "${IMGS[2]}")"
refused truncated "$(basename "${IMGS[2]}")"

# ---- foreign -----------------------------------------------------------------
case_dir foreign
cp "$OTHER4" "$CD/$(basename "${IMGS[4]}")"
refused foreign "$(basename "${IMGS[4]}")"

finish "a missing, swapped, truncated or foreign parent: one line naming it, non-zero exit, nothing restarted"
