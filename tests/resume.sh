#!/bin/bash
# SPDX-License-Identifier: MIT
# resume.sh LAUNCH CHECKPOINT RESTART PROGRAM: mtcp_launch --resume and
# --on-term (docs/tools.md, "Resuming: --resume", "--on-term").
#
# PROGRAM is tests/resume_prog: it answers each line on stdin with
# "count N pid PID tag TAG ...", N the lines answered so far, so the first
# answer of a restarted copy tells which image it came from.  It is driven
# through two FIFOs (a pipe to outside the program: a restarted copy gets
# the new mtcp_launch's stdin and stdout), and every wait is a blocking
# read with a timeout or a bounded poll.
#
#  1. --resume on an empty directory starts PROGRAM (tag A); three
#     checkpoints at N = 1, 2, 3 (a full image, then two increments), a
#     SIGKILL.  Another program's image (newer), a file of another user, a
#     non-image, a file with a broken header and a stale temporary go into
#     the directory too.
#  2. From a copy of that directory each time, --resume with other ARGS:
#     plain (image 3: N goes on at 4, tag A, the same pid; checkpointed
#     through mtcp_launch's pid, the restart's image has the same launch
#     and wins next time; SIGTERM to that pid ends the job with 143);
#     image 3 corrupted (image 2); image 2 deleted, so 3's chain is broken
#     (image 1); all three corrupted (exit 3, each named, nothing runs);
#     MTCP_DIR and the current directory instead of --dir.
#  3. --on-term sets MTCP_ON_TERM; bad values are usage errors.
#
# With a fifth argument "as-user" it runs as uid 65534 (started as root):
# restarts then go through a user and pid namespace.
set -u
launch=$1 ckpt=$2 restart=$3 prog=$4
if [ "${5:-}" = as-user ]; then
	[ "$(id -u)" = 0 ] || { echo "skip: needs root to run as another user"; exit 77; }
	command -v setpriv > /dev/null || { echo "skip: setpriv not found"; exit 77; }
	exec setpriv --reuid=65534 --regid=65534 --clear-groups env HOME=/tmp "$0" "${@:1:4}"
fi
export MTCP_FULL_EVERY=8 # the second image of a launch is an increment
unset MTCP_DIR MTCP_SIGNAL MTCP_ON_TERM MTCP_RESTART
trap '' PIPE # a write to a program that is gone fails instead
tmp=$(mktemp -d /tmp/mtcp-resume.XXXXXX)
job=
cleanup() {
	[ -n "$job" ] && kill -9 "$job" 2> /dev/null
	wait 2> /dev/null
	[ -n "${KEEP_TMP:-}" ] || rm -rf "$tmp"
}
trap cleanup EXIT
progreal=$(realpath "$prog")

fail() {
	echo "FAIL: $*"
	for f in "$tmp"/*.err; do [ -s "$f" ] && { echo "----- $f"; cat "$f"; }; done
	exit 1
}
ok() { echo "ok: $*"; }

# start NAME COMMAND...: runs COMMAND in the background with its stdin and
# stdout on FIFOs (fd 3 writes to it, fd 4 reads from it), stderr in
# NAME.err; job is its pid
start() {
	local name=$1
	shift
	exec 3>&- 4<&-
	rm -f "$tmp/$name.in" "$tmp/$name.out"
	mkfifo "$tmp/$name.in" "$tmp/$name.out"
	"$@" < "$tmp/$name.in" > "$tmp/$name.out" 2> "$tmp/$name.err" &
	job=$!
	exec 3> "$tmp/$name.in" 4< "$tmp/$name.out"
}

# tick: one line to the program; its answer in $answer (fails after 30 s)
tick() {
	answer=
	echo tick >&3 2> /dev/null || return 1
	read -r -t 30 answer <&4
}

# expect_count N TAG: the answer to the next tick is "count N pid $pid1 tag TAG"
expect_count() {
	tick || fail "no answer from the program (expected count $1): $answer"
	[[ $answer == "count $1 pid $pid1 tag $2 "* ]] ||
		fail "answer '$answer', expected 'count $1 pid $pid1 tag $2 ...'"
}

# stop SIG: sends SIG to the job (mtcp_launch's pid: the program, or the
# mtcp_restart that passes SIG on to the restarted program and reaps it),
# SIGKILL if it is still there after 10 s; its exit status in $status,
# and the original pid free again
stop() {
	local end=$((SECONDS + 10))
	kill -"$1" "$job" 2> /dev/null
	while kill -0 "$job" 2> /dev/null && ((SECONDS < end)); do sleep 0.05; done
	kill -9 "$job" 2> /dev/null
	wait "$job" 2> /dev/null
	status=$?
	job=
	exec 3>&- 4<&-
	end=$((SECONDS + 10))
	while [ -e "/proc/$pid1" ] && ((SECONDS < end)); do sleep 0.05; done
}
# stop_restarted: SIGTERM through mtcp_restart; the program's death is the
# job's status (128 + 15)
stop_restarted() {
	stop TERM
	[ "$status" = 143 ] || fail "a restarted job killed by SIGTERM exits $status, not 143"
}

# flip FILE OFFSET: inverts one byte
flip() {
	local b
	b=$(od -An -tu1 -j "$2" -N1 "$1" | tr -d ' ')
	# shellcheck disable=SC2059 # the format is the byte
	printf "$(printf '\\%03o' $((b ^ 0xff)))" |
		dd of="$1" bs=1 seek="$2" conv=notrunc status=none
}
# corrupt FILE: one byte in the middle, past the header (its payload)
corrupt() { flip "$1" $(($(stat -c %s "$1") / 2)); }

# no_mention NAME.err: the files to be ignored are not named on stderr
no_mention() {
	local f
	for f in notes.txt junk.mtcp zz-foreign.mtcp "$(basename "$other_img")" .stale.mtcp.tmp; do
		grep -qF "$f" "$tmp/$1.err" && fail "$1: stderr names $f, which is to be ignored"
	done
	grep -q "broken-header.mtcp: corrupt: header checksum mismatch; cannot tell which program" \
		"$tmp/$1.err" || fail "$1: no note on the image with a broken header"
}

# ---- 1. an empty directory: PROGRAM starts ---------------------------------
d=$tmp/img
mkdir -m 0700 "$d"
start run1 "$launch" --dir "$d" --resume -- "$prog" A
tick || fail "the program did not start"
pid1=$(echo "$answer" | awk '{print $4}')
expect_line="mtcp_launch: no image of $progreal in $d; starting it"
grep -qxF "$expect_line" "$tmp/run1.err" || fail "run1: no line '$expect_line'"
[[ $answer == "count 1 pid $pid1 tag A "* ]] || fail "first answer: $answer"
[ "$pid1" = "$job" ] || fail "the program runs as pid $pid1, mtcp_launch was $job"
ok "empty directory: $expect_line"
imgs=()
for n in 1 2 3; do
	img=$("$ckpt" --wait --timeout 60 "$pid1" 2> "$tmp/ckpt.err") ||
		fail "checkpoint $n: $(cat "$tmp/ckpt.err")"
	imgs+=("$img")
	expect_count $((n + 1)) A
done
stop KILL
chain=$("$restart" --verify "${imgs[2]}" | grep -c '^chain ')
[ "$chain" = 3 ] || fail "image 3 is not an increment on 2 and 1 ($chain chain lines)"
ok "three images, the last two increments: ${imgs[*]##*/}"
names=("${imgs[@]##*/}")
launch_id=$(echo "${names[0]}" | cut -d. -f3)

# another program's image, newer than all of PROGRAM's
other=$tmp/other_prog
cp "$prog" "$other"
start other "$launch" --dir "$d" -- "$other" X
tick || fail "the other program did not start"
other_img=$("$ckpt" --wait --timeout 60 "$job" 2> "$tmp/ckpt.err") ||
	fail "checkpoint of the other program: $(cat "$tmp/ckpt.err")"
stop KILL
echo "some notes" > "$d/notes.txt"
head -c 9000 /dev/urandom > "$d/junk.mtcp"
head -c 300 "${imgs[0]}" > "$d/broken-header.mtcp"
flip "$d/broken-header.mtcp" 100
head -c 5000 "${imgs[2]}" > "$d/.stale.mtcp.tmp"
if [ "$(id -u)" = 0 ]; then
	# another user's copy of image 3, corrupted: named if it were looked at
	cp "${imgs[2]}" "$d/zz-foreign.mtcp"
	corrupt "$d/zz-foreign.mtcp"
	chown 65534:65534 "$d/zz-foreign.mtcp"
else
	echo "note: not root: no file of another user in the directory"
fi
cp -a "$d" "$tmp/base"

# fresh DIR: a copy of the base directory
fresh() {
	rm -rf "${tmp:?}/$1"
	cp -a "$tmp/base" "$tmp/$1"
}

# ---- 2. restarts --------------------------------------------------------------
# resumed NAME.err DIR IMAGE SEQ: the line that says which image
resumed() {
	local want="mtcp_launch: resuming from $2/$3 (launch $launch_id, seq $4)"
	grep -qxF "$want" "$tmp/$1.err" || fail "$1: no line '$want'"
}

fresh plain
start plain "$launch" --dir "$tmp/plain" --resume -- "$prog" B --other-args
expect_count 4 A
resumed plain "$tmp/plain" "${names[2]}" 3
no_mention plain
[ "$(grep '^mtcp_launch: ' "$tmp/plain.err" | grep -vc 'cannot tell')" = 1 ] ||
	fail "plain: mtcp_launch said more than one thing"
ok "resumed from the newest image: count 4, pid $pid1, tag A (ARGS B ignored)"
# the restart checkpoints into the directory of the launch, as the same
# launch: the next --resume takes its image
rimg=$("$ckpt" --wait --timeout 60 "$job" 2> "$tmp/ckpt.err") ||
	fail "checkpoint of the restarted program: $(cat "$tmp/ckpt.err")"
[ "$(dirname "$rimg")" = "$d" ] || fail "the restart's image is $rimg, not in $d"
stop_restarted
start again "$launch" --dir "$d" --resume -- "$prog" C
expect_count 5 A
resumed again "$d" "$(basename "$rimg")" 1
stop_restarted
ok "the restart's own image (another lineage, same launch) is resumed next: count 5; SIGTERM to mtcp_launch's pid ends the job with 143"

fresh newest-bad
corrupt "$tmp/newest-bad/${names[2]}"
start newest-bad "$launch" --dir "$tmp/newest-bad" --resume -- "$prog"
expect_count 3 A
grep -q "^mtcp_launch: skipping $tmp/newest-bad/${names[2]}: " "$tmp/newest-bad.err" ||
	fail "newest-bad: image 3 is not named as skipped"
resumed newest-bad "$tmp/newest-bad" "${names[1]}" 2
no_mention newest-bad
stop_restarted
ok "newest image corrupted: $(grep skipping "$tmp/newest-bad.err")"

fresh chain
rm "$tmp/chain/${names[1]}"
start chain "$launch" --dir "$tmp/chain" --resume -- "$prog"
expect_count 2 A
grep -q "^mtcp_launch: skipping $tmp/chain/${names[2]}: .*missing" "$tmp/chain.err" ||
	fail "chain: image 3 is not named with its missing parent"
resumed chain "$tmp/chain" "${names[0]}" 1
stop_restarted
ok "broken chain: $(grep skipping "$tmp/chain.err")"

fresh all-bad
for n in "${names[@]}"; do corrupt "$tmp/all-bad/$n"; done
ls -A "$tmp/all-bad" > "$tmp/all-bad.before"
start all-bad "$launch" --dir "$tmp/all-bad" --resume -- "$prog"
tick && fail "all-bad: something answered: $answer"
wait "$job"
status=$?
job=
exec 3>&- 4<&-
[ "$status" = 3 ] || fail "all-bad: exit status $status, expected 3"
for n in "${names[@]}"; do
	grep -q "^mtcp_launch: skipping $tmp/all-bad/$n: " "$tmp/all-bad.err" ||
		fail "all-bad: $n is not named"
done
grep -q "^mtcp_launch: no image of $progreal in $tmp/all-bad verifies (3 of launch $launch_id tried" \
	"$tmp/all-bad.err" || fail "all-bad: no final line"
no_mention all-bad
ls -A "$tmp/all-bad" | cmp -s - "$tmp/all-bad.before" || fail "all-bad: the directory changed"
ok "no image verifies: exit 3, $(tail -1 "$tmp/all-bad.err")"

fresh env
ln -s "$prog" "$tmp/link-to-prog"
MTCP_DIR=$tmp/env start env "$launch" --resume -- "$tmp/link-to-prog"
expect_count 4 A
resumed env "$tmp/env" "${names[2]}" 3
stop_restarted
fresh cwd
(cd "$tmp/cwd" && start cwd "$launch" --resume -- "$prog" && expect_count 4 A && stop_restarted) || exit 1
resumed cwd "$tmp/cwd" "${names[2]}" 3
ok "MTCP_DIR (PROGRAM named through a symbolic link), then the current directory, without --dir"

# ---- 3. --on-term ---------------------------------------------------------
mkdir -m 0700 "$tmp/t"
on_term() {
	# shellcheck disable=SC2016 # the shell of the program expands it
	"$launch" --dir "$tmp/t" "$@" -- /bin/sh -c 'echo "[$MTCP_ON_TERM]"'
}
for c in "--on-term:[1]" "--on-term=USR1:[SIGUSR1]" "--on-term=15:[SIGTERM]" \
	"--on-term=sigterm:[SIGTERM]" "--on-term=RTMIN+2:[SIGRTMIN+2]"; do
	out=$(on_term "${c%%:*}")
	[ "$out" = "${c#*:}" ] || fail "${c%%:*} gives MTCP_ON_TERM '$out', expected ${c#*:}"
done
ok "--on-term sets MTCP_ON_TERM=1, SIGUSR1, SIGTERM, SIGRTMIN+2"
bad() {
	local st lines
	"$@" > /dev/null 2> "$tmp/bad.err" < /dev/null
	st=$?
	lines=$(wc -l < "$tmp/bad.err")
	{ [ "$st" = 2 ] && [ "$lines" = 1 ]; } ||
		fail "'$*': exit $st and $lines lines on stderr, expected 2 and one: $(cat "$tmp/bad.err")"
	echo "ok: ${*:2}: $(cat "$tmp/bad.err")"
}
bad on_term --on-term=KILL
bad on_term --on-term=WINCH
bad on_term --on-term=
bad on_term --on-term=0
bad on_term --on-term=USR2 --signal USR2
bad on_term --signal 10 --on-term=USR1
bad on_term --on-term=RTMAX-2
MTCP_SIGNAL=USR1 bad on_term --on-term=SIGUSR1
printf '#!/bin/sh\nexec true\n' > "$tmp/script.sh"
chmod +x "$tmp/script.sh"
bad "$launch" --dir "$tmp/t" --resume -- "$tmp/script.sh"

# the sanitizers (build-test) found nothing in mtcp_launch and mtcp_restart
grep -l "runtime error\|AddressSanitizer\|LeakSanitizer" "$tmp"/*.err && fail "sanitizer reports"
echo PASS
