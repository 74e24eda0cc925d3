#!/bin/bash
# SPDX-License-Identifier: MIT
# files_back.sh LAUNCH CHECKPOINT RESTART FILES_PROG SCENARIO: files at a
# restart (docs/tools.md, "Files"), with tests/files_prog.c.
#
#   changed  a file the program writes is changed after the checkpoint:
#            mtcp_restart warns naming it and the program goes on;
#            --refuse-changed exits 1 with one line naming it, and the
#            program does not run (the file stays as it was); unchanged,
#            neither says a word
#   save     MTCP_SAVE_FILES='*.nomatch:*.db*': the program appends rows,
#            is checkpointed, appends more, makes a journal beside its file
#            (as SQLite does) and is killed; restarted (twice, from the same
#            image) it finds its file as at the checkpoint and no journal,
#            and ends with exactly rows 1..300; a matching file it never
#            opened and a file that does not match are left alone.  Without
#            MTCP_SAVE_FILES the same run finds the journal, or without it
#            ends with the wrong rows (and a warning): the test can fail.
#            A matching file over 1 GiB (sparse) is named as not saved, a
#            write-only locked one too (the program keeps its locks), and a
#            symbolic link at the file or on its path is refused
#   shmap    a 64 KiB file under /tmp mapped MAP_SHARED, which the restored
#            program deletes at its end (as a JVM does): the same image
#            restarts three times; the file is recreated with its contents
#            and mode, and its directory too when that is gone
#   shmap-big  the same with 2 MiB, over the limit: not saved, so the
#            second restart is refused, naming the file
set -u
launch=$1 ckpt=$2 restart=$3 prog=$4 scenario=$5
# the program gets stdin, stdout and stderr only (a caller may pass more,
# such as a lock's fd, which the checkpoint would name as degraded)
for f in /proc/"$$"/fd/*; do
	f=${f##*/}
	((f > 2)) && eval "exec $f>&-" 2> /dev/null
done
tmp=$(mktemp -d /tmp/mtcp-files.XXXXXX)
chmod 0755 "$tmp"
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill -9 "$p" 2> /dev/null; done
	wait 2> /dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
mkdir "$tmp/img" "$tmp/data"
n=0

fail() {
	echo "FAIL: $scenario: $*"
	for f in "$tmp"/msg.* "$tmp"/progerr.* "$tmp"/ckpt.* "$tmp"/err.* "$tmp"/rout.*; do
		[ -s "$f" ] && { echo "--- ${f##*/}:"; cat "$f"; }
	done
	exit 1
}

# wait_for FILE PATTERN [COUNT]: until FILE has COUNT lines matching (bounded)
wait_for() {
	local want=${3:-1}
	for _ in $(seq 600); do
		[ "$(grep -c -- "$2" "$1" 2> /dev/null)" -ge "$want" ] && return 0
		sleep 0.05
	done
	fail "no '$2' (x$want) in ${1##*/} after 30 s"
}

# start [ENV...] -- ARGS: the program under mtcp_launch; it says its lines
# in msg.N (a file it opens for each line), its stdin and stdout are
# /dev/null, its stderr (the library's warnings) progerr.N; sets pid, out
start() {
	local env=()
	while [ "$1" != -- ]; do env+=("$1"); shift; done
	shift
	n=$((n + 1))
	out=$tmp/msg.$n progerr=$tmp/progerr.$n
	: > "$out"
	env FILES_PROG_MSG="$out" "${env[@]}" "$launch" --dir "$tmp/img" -- "$prog" "$@" \
		< /dev/null > /dev/null 2> "$progerr" &
	pid=$!
	pids+=("$pid")
	wait_for "$out" '^ready'
}

checkpoint() {
	img=$("$ckpt" --wait --timeout 60 "$pid" 2> "$tmp/ckpt.$n") || fail "checkpoint of $pid"
	wait_for "$out" '^woke'
}

# restart_bg [OPTIONS]: mtcp_restart IMAGE in the background, its stderr
# into err.N; the restored program says its lines in the same msg file as
# before, emptied first; sets rpid, err
restart_bg() {
	n=$((n + 1))
	err=$tmp/err.$n
	: > "$out"
	"$restart" "$@" "$img" < /dev/null > "$tmp/rout.$n" 2> "$err" &
	rpid=$!
	pids+=("$rpid")
}

# finish: waits for mtcp_restart; sets rc
finish() {
	wait "$rpid"
	rc=$?
}

# locked FILE: another process cannot take a POSIX write lock on FILE
locked() {
	python3 -c 'import fcntl, sys
f = open(sys.argv[1], "a")
try:
    fcntl.lockf(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
except OSError:
    sys.exit(0)
sys.exit(1)' "$1"
}

killprog() {
	kill -9 "$pid"
	wait "$pid" 2> /dev/null
}

case $scenario in
changed)
	file=$tmp/data/result.txt
	start -- written "$file"
	checkpoint
	killprog
	# unchanged: no word about it, even with --refuse-changed
	restart_bg --refuse-changed
	wait_for "$out" '^woke'
	grep -q "result.txt" "$err" && fail "the unchanged file is named: $(cat "$err")"
	kill -9 "$rpid"
	finish
	echo "ok: unchanged file: restarted without a word"

	echo modified >> "$file"
	restart_bg --refuse-changed
	finish
	[ "$rc" = 1 ] || fail "--refuse-changed: exit $rc, expected 1"
	[ "$(wc -l < "$err")" = 1 ] || fail "--refuse-changed: not one line on stderr"
	grep -q "refused (--refuse-changed): $file (fd [0-9]*, open for writing) changed" "$err" ||
		fail "--refuse-changed does not name the file: $(cat "$err")"
	grep -q . "$out" && fail "the program ran after --refuse-changed: $(cat "$out")"
	[ "$(cat "$file")" = "$(printf 'before\nmodified')" ] ||
		fail "the file changed after --refuse-changed"
	echo "ok: --refuse-changed: $(cat "$err")"

	restart_bg
	wait_for "$out" '^woke'
	grep -q "warning: $file (fd [0-9]*, open for writing) changed since the checkpoint: it has 16 bytes, 7 at the checkpoint" "$err" ||
		fail "no warning naming the changed file: $(cat "$err")"
	kill -USR1 "$rpid"
	wait_for "$out" '^done'
	finish
	[ "$rc" = 0 ] || fail "the restarted program exited $rc"
	echo "ok: changed file: warned, and the program went on: $(cat "$err")"
	;;
save)
	file=$tmp/data/test.db
	# a matching file the program does not open: left alone
	echo old > "$tmp/data/old.db"
	wonly=$tmp/data/wonly.db
	start MTCP_SAVE_FILES='*.nomatch:*.db*' -- save "$file" "$tmp/data/big.db" "$wonly"
	{ locked "$file" && locked "$wonly"; } || fail "the program's locks are not seen"
	checkpoint
	wait_for "$progerr" "big.db): 1073745920 bytes, more than the 1 GiB MTCP_SAVE_FILES saves"
	# saving reads through the program's own fd, or not at all: another fd,
	# once closed, would have dropped the program's POSIX locks
	wait_for "$progerr" "wonly.db): cannot read it to save it (MTCP_SAVE_FILES): open for writing only, and locked"
	{ locked "$file" && locked "$wonly"; } || fail "the checkpoint dropped the program's locks"
	kill -USR1 "$pid"
	wait_for "$out" '^phase2'
	killprog
	[ "$(wc -l < "$file")" = 200 ] || fail "the file should hold 200 rows before the restart"
	[ -e "$file-journal" ] || fail "no journal before the restart"
	# made after the checkpoint, but not matching: left alone
	echo notes > "$tmp/data/notes.txt"
	"$restart" --verify "$img" > "$tmp/verify" 2>&1 || fail "--verify: $(cat "$tmp/verify")"
	# saved once (two fds), rows 1..100: 9 x 2 + 90 x 3 + 4 bytes; big.db not saved
	# and its directory, which held test.db, big.db, wonly.db and old.db (they match)
	"$restart" --list "$img" | grep '^file' > "$tmp/list"
	[ "$(cat "$tmp/list")" = "$(printf 'filedata %s 292\nfiledir %s 4' "$file" "$tmp/data")" ] ||
		fail "--list: $(cat "$tmp/list")"
	for round in 1 2; do
		restart_bg
		wait_for "$out" '^woke'
		kill -USR1 "$rpid"
		wait_for "$out" '^phase2'
		kill -USR1 "$rpid"
		finish
		{ grep -q '^pass' "$out" && [ "$rc" = 0 ]; } ||
			fail "restart $round: exit $rc, $(grep -v woke "$out")"
		grep "test.db" "$err" | grep -v "removed $file-journal: it matches MTCP_SAVE_FILES and was made after the checkpoint" &&
			fail "restart $round: mtcp_restart names the file: $(cat "$err")"
		if [ "$round" = 1 ]; then
			grep -q "removed $file-journal" "$err" || fail "the journal's removal is not said"
		fi
		[ "$(seq 300)" = "$(cat "$file")" ] || fail "restart $round: the file is not rows 1..300"
		[ "$(cat "$tmp/data/old.db" "$tmp/data/notes.txt")" = "$(printf 'old\nnotes')" ] ||
			fail "restart $round: old.db or notes.txt was touched"
		echo "ok: restart $round: the file was put back, the program ended with rows 1..300"
	done

	# never through a symbolic link: not at the file, not on its path
	echo target > "$tmp/target"
	mv "$file" "$tmp/moved" && ln -s "$tmp/target" "$file"
	restart_bg
	finish
	{ [ "$rc" = 1 ] && grep -q "cannot put back $file from the image: .*(a symbolic link: not followed)" "$err"; } ||
		fail "the file a symbolic link: exit $rc, $(cat "$err")"
	rm "$file" && mv "$tmp/moved" "$file"
	mv "$tmp/data" "$tmp/data.real" && ln -s "$tmp/data.real" "$tmp/data"
	restart_bg
	finish
	{ [ "$rc" = 1 ] && grep -q "cannot put back $file from the image: .*(a directory on its path is a symbolic link" "$err"; } ||
		fail "its directory a symbolic link: exit $rc, $(cat "$err")"
	rm "$tmp/data" && mv "$tmp/data.real" "$tmp/data"
	{ [ "$(cat "$tmp/target")" = target ] && [ "$(seq 300)" = "$(cat "$file")" ]; } ||
		fail "a file was written through a symbolic link"
	echo "ok: a symbolic link at the file or on its path: refused, nothing written"

	# the same without MTCP_SAVE_FILES: the rows after the checkpoint stay
	start -- save "$file"
	checkpoint
	kill -USR1 "$pid"
	wait_for "$out" '^phase2'
	killprog
	restart_bg
	wait_for "$out" '^woke'
	kill -USR1 "$rpid"
	finish
	{ grep -q "^fail: creating $file-journal: File exists" "$out" && [ "$rc" = 1 ]; } ||
		fail "without MTCP_SAVE_FILES, with the journal: exit $rc, $(grep -v woke "$out")"
	grep -q "warning: $file (fd [0-9]*, open for writing) changed since the checkpoint" "$err" ||
		fail "without MTCP_SAVE_FILES: no warning: $(cat "$err")"
	# and without the journal, the rows after the checkpoint are there twice
	rm "$file-journal"
	restart_bg
	wait_for "$out" '^woke'
	kill -USR1 "$rpid"
	wait_for "$out" '^phase2'
	kill -USR1 "$rpid"
	finish
	{ grep -q "^fail: .*differs from line 201" "$out" && [ "$rc" = 1 ]; } ||
		fail "without MTCP_SAVE_FILES: exit $rc, $(grep -v woke "$out")"
	echo "ok: without MTCP_SAVE_FILES the program finds its journal, or ends with the wrong rows, and is warned"
	;;
shmap | shmap-big)
	size=65536
	[ "$scenario" = shmap-big ] && size=$((2 << 20))
	file=$tmp/data/hsperf/shared.dat
	mkdir "$tmp/data/hsperf"
	start -- shmap "$file" "$size"
	checkpoint
	killprog
	saved=$("$restart" --list "$img" | grep '^filedata')
	if [ "$scenario" = shmap ]; then
		[ "$saved" = "filedata $file 65536" ] || fail "--list: $saved"
	else
		[ -z "$saved" ] || fail "--list: $saved"
	fi
	for round in 1 2 3; do
		[ -e "$file" ] && state=there || state=gone
		[ "$round" = 3 ] && rm -rf "$tmp/data/hsperf" && state="gone with its directory"
		restart_bg
		if [ "$scenario" = shmap-big ] && [ "$round" = 2 ]; then
			finish
			{ [ "$rc" = 1 ] && grep -q "file $file (mapped at [0-9a-f]*) is gone" "$err"; } ||
				fail "2 MiB: exit $rc: $(cat "$err")"
			echo "ok: a 2 MiB mapped file is not saved: $(cat "$err")"
			break
		fi
		wait_for "$out" '^woke'
		kill -USR1 "$rpid"
		finish
		{ grep -q '^pass' "$out" && [ "$rc" = 0 ]; } ||
			fail "restart $round (file $state): exit $rc, $(grep -v woke "$out")"
		[ -e "$file" ] && fail "restart $round: the program did not delete the file"
		echo "ok: restart $round, the file $state at the start: the program saw its data"
	done
	;;
*)
	echo "unknown scenario $scenario"
	exit 99
	;;
esac
echo PASS
