#!/bin/bash
# SPDX-License-Identifier: MIT
#
# incr_chain.sh --cow 0|1 [--user UID] [--mib MIB]: a chain of incremental
# images restarts from any of its images with every byte as it was (issue
# 11, "Tests"), and --verify, --list and --flatten of a chain.
#
# incr_prog (incr_prog.c) holds MIB MiB (default 256) of private anonymous
# memory, heap, a private file mapping and areas that are dropped, remapped,
# moved, protected and grown; its spinner thread rewrites 4 MiB more all the
# time, also while checkpoints are taken.  MTCP_KEEP=20, MTCP_FULL_EVERY unset (8), MTCP_COW=0|1,
# MTCP_VERBOSE=1.
#
#  1. 20 times: "step k" (1% of the pages rewritten with generation k, and
#     by k: MADV_DONTNEED, munmap + mmap, mremap away and back or to a new
#     place, growth), then "ckpt" (mtcp_checkpoint() in the program), then
#     "digest" at once: D[k] is the memory of image k.
#     Images 1, 9 and 17 are full (no header flag 10, "mtcp: full ..."),
#     every other image k an increment of depth (k - 1) mod 8 after image
#     k - 1 (flag 10, "mtcp: incremental ...: depth D after NAME").  All 20
#     are kept; increments are smaller than a quarter of a full image.
#     For images 5, 8 and 20 the program also dumps its memory, and
#     chain_check.py (which reads the chain as docs/format.md says, not
#     through mtcp_restart) must find every page there.
#  2. mtcp_restart --verify and --list of image 20 succeed and show its
#     chain: "chain I NAME depth D ..." for images 20, 19, 18, 17 (depths
#     3..0), and no other.
#  3. The program is killed; mtcp_restart image k for k = 1, 5, 8, 9, 20,
#     one after the other (each restored program killed before the next):
#     the restored program's digest is D[k] (and its own model checks: the
#     dropped pages read as zero), and the spinner's pages are as at the
#     pause.
#  4. The process restored from image 20 checkpoints on: its first image is
#     full (chain.h: a restarted process starts with no parent), the next
#     an increment after it; restarted from that increment, its digest.
#  5. mtcp_restart --flatten image8 OUT: OUT is mode 0600, without flag 10,
#     verifies on its own; images 1..7 deleted (image 8 now refuses,
#     naming image 7), OUT restarts with digest D[8].
# --user UID: everything but this script runs as UID (root only; skipped
# otherwise).
set -u

COW=
USER_ID=
MIB=256
while (($#)); do
	case $1 in
	--cow) COW=${2-}; shift 2 || exit 99 ;;
	--user) USER_ID=${2-}; shift 2 || exit 99 ;;
	--mib) MIB=${2-}; shift 2 || exit 99 ;;
	*) echo "incr_chain.sh: unknown argument '$1'" >&2; exit 99 ;;
	esac
done
[[ $COW =~ ^[01]$ && $MIB =~ ^[0-9]+$ && $USER_ID =~ ^[0-9]*$ ]] ||
	{ echo "usage: incr_chain.sh --cow 0|1 [--user UID] [--mib MIB]" >&2; exit 99; }

# shellcheck source=incr_lib.sh
. "$(dirname "$0")/incr_lib.sh"
COW_NAME=incr_chain_$( ((COW)) && echo cow || echo stw)${USER_ID:+_uid$USER_ID}
[[ -n $USER_ID ]] && as_user "$USER_ID"
cd "$TMP" || exit 99

N=20
FULL=" 1 9 17 "
incr_start chain "$MIB" MTCP_DIR="$IMGDIR" MTCP_COW="$COW" MTCP_VERBOSE=1 MTCP_KEEP=$N
say "incr_prog: pid $PID, $NPAGES pages, MTCP_COW=$COW${AS_UID:+, uid $AS_UID}"
spin_start

# ---- 1. the chain ----------------------------------------------------------
declare -A IMGS DIG
for ((k = 1; k <= N; k++)); do
	step "$k"
	ckpt "checkpoint $k"
	IMGS[$k]=$IMG
	digest "at checkpoint $k"
	DIG[$k]=$DIGEST
	((k == 5 || k == 8 || k == 20)) && chain_check "$k" "$IMG"
	if [[ $FULL == *" $k "* ]]; then
		check_full "image $k" "$IMG"
	else
		check_incr "image $k" "$IMG" $(((k - 1) % 8)) "${IMGS[$((k - 1))]}"
	fi
done
((COW)) && ! grep -q '^mtcp: copy-on-write /' "$TMP/prog.err" &&
	check_failed "MTCP_COW=1, yet no copy-on-write checkpoint: $(grep -m 3 '^mtcp: ' "$TMP/prog.err")"
grep -q '^mtcp: incremental images not used' "$TMP/prog.err" &&
	check_failed "$(grep '^mtcp: incremental images not used' "$TMP/prog.err")"

# all 20 kept (MTCP_KEEP=20 counts chains: 3 here)
have=$(dir_files "$IMGDIR")
want=$(for ((k = 1; k <= N; k++)); do basename "${IMGS[$k]}"; done | LC_ALL=C sort)
[[ $have == "$want" ]] || check_failed "the image directory holds '${have//$'\n'/ }', not the 20 images"
fullsize=$(stat -c %s "${IMGS[1]}")
sizes=
for ((k = 1; k <= N; k++)); do
	s=$(stat -c %s "${IMGS[$k]}")
	sizes+=" $k:$((s >> 10))K"
	if [[ $FULL != *" $k "* ]] && ((s * 4 > fullsize)); then
		check_failed "increment $k is $s bytes, more than a quarter of the full image 1 ($fullsize)"
	fi
done
say "20 images, KiB:$sizes"

# ---- 2. --verify and --list of image 20 show the chain --------------------
for mode in verify list; do
	run_bounded "$TMP/$mode.20.txt" "$TMP/$mode.20.err" ${RUNAS[@]+"${RUNAS[@]}"} \
		"$MTCP_RESTART" "--$mode" "${IMGS[20]}"
	if ((RC != 0)); then
		check_failed "mtcp_restart --$mode image 20 exited $RC: $(head -c 600 "$TMP/$mode.20.err")"
		continue
	fi
	# "chain I NAME depth D ...", newest first (mtcp_restart --verify, --list)
	for i in 0 1 2 3; do
		k=$((20 - i))
		grep -qE "^chain $i $(re_quote "$(basename "${IMGS[$k]}")") depth $((3 - i)) " "$TMP/$mode.20.txt" ||
			check_failed "mtcp_restart --$mode image 20 has no line 'chain $i $(basename "${IMGS[$k]}") depth $((3 - i)) ...': $(grep '^chain' "$TMP/$mode.20.txt" | tr '\n' ' ')"
	done
	n=$(grep -c '^chain ' "$TMP/$mode.20.txt")
	((n == 4)) || check_failed "mtcp_restart --$mode image 20 shows $n images in its chain, not 4 (20, 19, 18, 17)"
done

# ---- 3. restarts -----------------------------------------------------------
kill_current
for k in 1 5 8 9 20; do
	((k == 1)) || kill_current
	restart_img "restart $k" "${IMGS[$k]}"
	digest "restarted from image $k"
	spin_check "restarted from image $k"
	digest_is "restarted from image $k" "${DIG[$k]}" "checkpoint $k"
done

# ---- 4. the restored program checkpoints on --------------------------------
step 21
ckpt "checkpoint 21, the first after the restart"
IMGS[21]=$IMG
digest "at checkpoint 21"
DIG[21]=$DIGEST
check_full "image 21, the first after a restart" "$IMG"
step 22
ckpt "checkpoint 22"
IMGS[22]=$IMG
digest "at checkpoint 22"
DIG[22]=$DIGEST
check_incr "image 22" "$IMG" 1 "${IMGS[21]}"
kill_current
restart_img "restart 22" "${IMGS[22]}" 2
digest "restarted from image 22"
spin_check "restarted from image 22"
digest_is "restarted from image 22" "${DIG[22]}" "checkpoint 22"

# ---- 5. --flatten ----------------------------------------------------------
FLAT=$TMP/flat/flat8.mtcp
user_dir "$TMP/flat"
run_bounded "$TMP/flatten.out" "$TMP/flatten.err" ${RUNAS[@]+"${RUNAS[@]}"} \
	"$MTCP_RESTART" --flatten "${IMGS[8]}" "$FLAT"
((RC == 0)) || failed "mtcp_restart --flatten image 8 exited $RC: $(head -c 600 "$TMP/flatten.err")"
[[ -f $FLAT ]] || failed "mtcp_restart --flatten exited 0 and wrote no $FLAT"
mode=$(stat -c %a "$FLAT")
[[ $mode == 600 ]] || check_failed "the flattened image is mode $mode, not 600"
check_full_flat() { NO_LINE=1 check_full "$@"; }
check_full_flat "the flattened image" "$FLAT"
owner=$(stat -c %u "$FLAT")
[[ $owner == "${AS_UID:-$EUID}" ]] || check_failed "the flattened image belongs to uid $owner"
for ((k = 1; k <= 7; k++)); do
	rm -f "${IMGS[$k]}"
done
run_bounded "$TMP/verify.flat.out" "$TMP/verify.flat.err" ${RUNAS[@]+"${RUNAS[@]}"} \
	"$MTCP_RESTART" --verify "$FLAT"
((RC == 0)) || check_failed "mtcp_restart --verify of the flattened image (images 1..7 deleted) exited $RC: $(head -c 600 "$TMP/verify.flat.err")"
run_bounded "$TMP/verify.8.out" "$TMP/verify.8.err" ${RUNAS[@]+"${RUNAS[@]}"} \
	"$MTCP_RESTART" --verify "${IMGS[8]}"
((RC != 0 && RC < 128)) ||
	check_failed "mtcp_restart --verify image 8 without its parents exited $RC: $(head -c 600 "$TMP/verify.8.out")"
grep -qF -- "$(basename "${IMGS[7]}")" "$TMP/verify.8.err" ||
	check_failed "mtcp_restart --verify image 8 without its parents does not name image 7: $(head -c 600 "$TMP/verify.8.err")"
kill_current
restart_img "restart flat8" "$FLAT"
digest "restarted from the flattened image 8"
digest_is "restarted from the flattened image 8" "${DIG[8]}" "checkpoint 8"
say "--flatten image 8: $(($(stat -c %s "$FLAT") >> 10)) KiB, mode $mode"
quit_current "the program restored from the flattened image"

finish "20 checkpoints (full 1, 9, 17), restarts from 1, 5, 8, 9, 20, 22 and a flattened 8: every byte as at its checkpoint (MTCP_COW=$COW${AS_UID:+, uid $AS_UID})"
