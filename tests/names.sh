#!/bin/bash
# SPDX-License-Identifier: MIT
# names.sh LAUNCH CHECKPOINT RESTART PROGRAM: image names no one else can
# take (docs/format.md, "Lineages and names").
#
# 1. One pid, three processes, one directory: a program, and its image
#    restarted twice at once by an unprivileged user (each restart runs in
#    its own pid namespace with the old pid).  All three checkpoint every
#    0.1 s with --keep 2: each writes its own lineage's names, none fails
#    a checkpoint, and each prunes only its own images.
# 2. A shared sticky directory where another user planted files and
#    symlinks under the old predictable temporary names, and a file under
#    a future image name: no checkpoint is blocked; the image whose name
#    was taken gets a random name beside it, and the planted file stays.
#
# PROGRAM is bench/progs/randmem.  Needs root, to run as two other users.
set -u
launch=$1 ckpt=$2 restart=$3 prog=$4
[ "$(id -u)" = 0 ] || { echo "skip: needs root to run as other users"; exit 77; }
command -v setpriv > /dev/null || { echo "skip: setpriv not found"; exit 77; }
tmp=$(mktemp -d /tmp/mtcp-names.XXXXXX)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill -9 "$p" 2> /dev/null; done
	wait 2> /dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
chmod 0711 "$tmp"
as_a=(setpriv --reuid=65534 --regid=65534 --clear-groups)
as_b=(setpriv --reuid=65533 --regid=65533 --clear-groups)
base=$(basename "$prog")

fail() {
	echo "FAIL: $*"
	for f in "$tmp"/*.out; do echo "----- $f"; cat "$f"; done
	echo "----- images"; ls -la "$tmp"/*/ 2> /dev/null
	exit 1
}

# wait_for SECONDS COMMAND...: polls COMMAND every 50 ms until it succeeds
wait_for() {
	local end=$((SECONDS + $1))
	shift
	until "$@"; do
		((SECONDS < end)) || return 1
		sleep 0.05
	done
}

# lineages DIR PID: "LINEAGE MAXSEQ COUNT SEQS..." per lineage of PID's
# images in DIR; fails on any name that is not PROG.PID.LINEAGE.SEQ.mtcp
lineages() {
	local f n re="^$base\.$2\.([0-9a-f]{8})\.([0-9]+)\.mtcp$"
	declare -A seqs=()
	for f in "$1"/*; do
		[ -e "$f" ] || continue
		n=${f##*/}
		[[ $n =~ $re ]] || { echo "BAD $n"; return; }
		seqs[${BASH_REMATCH[1]}]+=" ${BASH_REMATCH[2]}"
	done
	for n in "${!seqs[@]}"; do
		# shellcheck disable=SC2086 # a list of numbers
		set -- $(printf '%s\n' ${seqs[$n]} | sort -n)
		echo "$n ${*: -1} $# $*"
	done
}

# at_least DIR PID N SEQ: N lineages, each with an image SEQ or later
at_least() {
	local out
	out=$(lineages "$1" "$2")
	[[ $out == *BAD* ]] && fail "unexpected file in $1: $out"
	[ "$(echo "$out" | awk -v s="$4" 'NF && $2 >= s' | wc -l)" -ge "$3" ]
}

# ---- 1. one pid, three lineages ------------------------------------------
mkdir -m 0700 "$tmp/img" "$tmp/copy"
chown 65534:65534 "$tmp/img" "$tmp/copy"
# the restored copies reopen the program's stdout and stderr by path, as
# that user, and append there too
: > "$tmp/orig.out"
chown 65534:65534 "$tmp/orig.out"
"${as_a[@]}" "$launch" --dir "$tmp/img" --interval 0.1 --keep 2 -- "$prog" 8 \
	>> "$tmp/orig.out" 2>&1 &
pids+=($!)
orig=$!
wait_for 30 grep -q ready "$tmp/orig.out" || fail "the program did not start"
# its first image, copied before --keep removes it: the one restarted twice
wait_for 30 at_least "$tmp/img" "$orig" 1 1 || fail "no image from the program"
for _ in $(seq 100); do
	img=$(ls "$tmp/img"/*.mtcp 2> /dev/null | tail -1)
	[ -n "$img" ] && "${as_a[@]}" cp "$img" "$tmp/copy/img.mtcp" 2> /dev/null && break
done
[ -s "$tmp/copy/img.mtcp" ] || fail "cannot copy an image of the program"
for r in 1 2; do
	"${as_a[@]}" "$restart" "$tmp/copy/img.mtcp" > "$tmp/restart$r.out" 2>&1 &
	pids+=($!)
done
# each of the three is past its sixth image
wait_for 60 at_least "$tmp/img" "$orig" 3 6 ||
	fail "not three lineages past their sixth image: $(lineages "$tmp/img" "$orig")"
for p in "${pids[@]}"; do kill -9 "$p" 2> /dev/null; done
for p in "${pids[@]}"; do wait "$p" 2> /dev/null; done
pids=()
grep -H "checkpoint failed" "$tmp"/*.out && fail "a checkpoint failed"
out=$(lineages "$tmp/img" "$orig")
echo "lineages (id, newest, count, seqs):"
echo "$out"
[ "$(echo "$out" | wc -l)" = 3 ] || fail "not three lineages"
# --keep 2 in each: its two newest, or three when the kill came between
# linking an image and pruning the oldest
echo "$out" | while read -r id max count seqs; do
	want=$(seq $((max - count + 1)) "$max" | tr '\n' ' ')
	{ [ "$count" -ge 2 ] && [ "$count" -le 3 ] && [ "$seqs " = "$want" ]; } ||
		{ echo "lineage $id keeps images $seqs, not its $count newest up to $max"; exit 1; }
	"${as_a[@]}" "$restart" --verify "$tmp/img/$base.$orig.$id.$max.mtcp" > /dev/null ||
		{ echo "the newest image of lineage $id does not verify"; exit 1; }
done || fail "--keep pruned what it should not have"
ls -A "$tmp/img" | grep -q '\.tmp$' && fail "a temporary file is left"
echo "ok: one pid, three lineages, each kept its own"

# ---- 2. planted names in a shared sticky directory ------------------------
mkdir -m 1777 "$tmp/shared"
"${as_a[@]}" "$launch" --dir "$tmp/shared" --keep 10 -- "$prog" 8 > "$tmp/shared.out" 2>&1 &
pids+=($!)
pid=$!
wait_for 30 grep -q ready "$tmp/shared.out" || fail "the program did not start"
# the old names: .PROG.PID.SEQ.mtcp.tmp, and PROG.PID.SEQ.mtcp
for s in $(seq 1 8); do
	if ((s % 2)); then
		"${as_b[@]}" ln -s "/nonexistent/$s" "$tmp/shared/.$base.$pid.$s.mtcp.tmp"
	else
		"${as_b[@]}" sh -c 'echo planted > "$1"' sh "$tmp/shared/.$base.$pid.$s.mtcp.tmp"
	fi
	"${as_b[@]}" ln -s "/nonexistent/$s" "$tmp/shared/$base.$pid.$s.mtcp"
done
ckpt_a() { "${as_a[@]}" "$ckpt" --wait --timeout 30 "$pid"; }
img1=$(ckpt_a) || fail "a checkpoint was blocked by the planted names"
[[ ${img1##*/} =~ ^$base\.$pid\.([0-9a-f]{8})\.1\.mtcp$ ]] || fail "first image named $img1"
lineage=${BASH_REMATCH[1]}
# a file planted under the next name blocks nothing: that image takes a
# random name beside it, and the planted file stays as it is
"${as_b[@]}" sh -c 'echo planted > "$1"' sh "$tmp/shared/$base.$pid.$lineage.2.mtcp"
img2=$("${as_a[@]}" "$ckpt" --wait --timeout 30 "$pid" 2>"$tmp/ckpt2.err") ||
	fail "the checkpoint whose name was planted failed: $(cat "$tmp/ckpt2.err")"
echo "the planted name's image: $img2"
[[ ${img2##*/} =~ ^$base\.$pid\.$lineage\.2\.[0-9a-f]{16}\.mtcp$ ]] ||
	fail "the image whose name was planted is named $img2"
[ "$(cat "$tmp/shared/$base.$pid.$lineage.2.mtcp")" = planted ] || fail "the planted file changed"
img3=$(ckpt_a) || fail "the checkpoint after the planted name failed"
[ "$img3" = "$tmp/shared/$base.$pid.$lineage.3.mtcp" ] || fail "third image named $img3"
for i in "$img1" "$img2" "$img3"; do
	[ "$(stat -c '%u %a' "$i")" = "65534 600" ] || fail "$i: owner and mode $(stat -c '%u %a' "$i")"
	"${as_a[@]}" "$restart" --verify "$i" > /dev/null || fail "$i does not verify"
done
[ "$(find "$tmp/shared" -user 65534 -name '*.tmp' | wc -l)" = 0 ] || fail "a temporary file is left"
echo "ok: planted names block no checkpoint"
echo PASS
