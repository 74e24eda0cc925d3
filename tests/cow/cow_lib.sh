# SPDX-License-Identifier: MIT
# shellcheck shell=bash
# cow_lib.sh - shared by the drivers in tests/cow: a program on a pair of
# pipes (its stdin and stdout; after a restart they are mtcp_restart's),
# checkpoints in the background, and the writer gate.  Sourced, never run.
#
# The writer gate (MTCP_TEST_WRITER_GATE, docs/tools.md): the writer
# process of a copy-on-write checkpoint opens the FIFO read-only once it has
# closed its fds, and reads one byte before it writes any memory.  The
# snapshot is taken by then and the program runs again.  gate_hold starts a
# holder that opens the FIFO for writing (the open returns when the writer
# opens its end) and says so; gate_release makes it write the byte.
#
# Every wait is bounded (COW_WAIT_S seconds, default 15) and waits for
# something a process says or does; a hang fails the test.  Process
# bookkeeping (everything started is killed on exit, watchdogs) is
# tests/integ/proc_lib.sh.
set -u

COW_NAME=$(basename "$0" .sh)
COW_DIR=$(cd "$(dirname "$0")" && pwd)
WAIT_S=${COW_WAIT_S:-15}

say() { printf '%s: %s\n' "$COW_NAME" "$*"; }

for v in MTCP_CHECKPOINT MTCP_RESTART; do
	[[ -n ${!v-} && -x ${!v} ]] || { echo "$COW_NAME: $v is not set to an executable" >&2; exit 99; }
done

# only stdin, stdout and stderr from whoever started us
for f in /proc/"$$"/fd/*; do
	f=${f##*/}
	((f > 2)) && eval "exec $f>&-" 2>/dev/null
done
# a write to a program that died is reported by the reads, not by SIGPIPE
trap '' PIPE

TMP=$(mktemp -d "${TMPDIR:-/tmp}/mtcp-cow.XXXXXX") || exit 99
TMP=$(cd "$TMP" && pwd -P) || exit 99 # as /proc/PID/fd shows it
STARTED=()
WD=
# shellcheck source=../integ/proc_lib.sh
. "$COW_DIR/../integ/proc_lib.sh"
mkfifo -m 0600 "$TMP/watchdog.fifo" "$TMP/pace.fifo" "$TMP/gate" "$TMP/gate.ev" "$TMP/gate.go" ||
	exit 99
GATE=$TMP/gate
IMGDIR=$TMP/images
mkdir "$IMGDIR" || exit 99
# Driver fds: 6 a FIFO nobody writes (pace: the interval of a bounded
# poll), 7 the holder's "open", 8 its "go"; 20 and 21 the program's
# stdout and stdin.  The programs get none of them.
exec 6<>"$TMP/pace.fifo" 7<>"$TMP/gate.ev" 8<>"$TMP/gate.go"

CHECKS_FAILED=()
LINE= # the line expect() found

show_logs() {
	local f
	for f in "$TMP"/*.log "$TMP"/*.err "$TMP"/*.out; do
		[[ -f $f ]] || continue
		echo "----- $(basename "$f") ($(stat -c %s "$f") bytes, last 40 lines) -----"
		tail -n 40 "$f"
	done
	echo "----- images -----"
	ls -l "$IMGDIR"
}

failed() {
	say "FAIL: $*"
	((${#CHECKS_FAILED[@]})) && printf '%s: also failed: %s\n' "$COW_NAME" "${CHECKS_FAILED[@]}"
	show_logs
	say "FAIL: $*"
	exit 1
}

# check_failed TEXT: a failed check that does not stop the run (the test
# fails at the end, with every such check named).
check_failed() {
	say "FAIL (going on): $*"
	CHECKS_FAILED+=("$*")
}

finish() {
	if ((${#CHECKS_FAILED[@]})); then
		printf '%s: FAIL: %s\n' "$COW_NAME" "${CHECKS_FAILED[@]}"
		show_logs
		exit 1
	fi
	say "PASS: $*"
	exit 0
}

# pace: waits 20 ms (a read on a FIFO nobody writes); only the interval
# of a poll that has its own deadline.
pace() { read -r -t 0.02 -u 6 _; :; }

# wait_exit PID SECONDS: waits for our child PID; sets EXIT_RC.
wait_exit() {
	start_watchdog "$2" "$1"
	wait "$1" 2>/dev/null
	EXIT_RC=$?
	stop_watchdog
	[[ -e $TMP/timeout.$1 ]] && failed "process $1 did not exit within $2 s"
	return 0
}

# prog_start NAME CMD...: CMD with its stdin and stdout on pipes to us
# (fds 21 and 20) and its stderr appended to $TMP/prog.err (appended: a
# restarted program writes at the end, after what its killed original
# wrote).  Sets P_PID (CMD's pid).  One at a time: the previous one must
# have been waited for.
prog_start() {
	local name=$1
	shift
	coproc COWP { exec "$@" 2>>"$TMP/prog.err" 6>&- 7>&- 8>&-; }
	P_PID=$COWP_PID
	# (closed first: bash would keep the old pipes on 20 and 21)
	exec 20<&- 21>&-
	exec 20<&"${COWP[0]}" 21>&"${COWP[1]}"
	STARTED+=("$P_PID")
	say "started $name: pid $P_PID"
	echo "== $name (pid $P_PID): $*" >>"$TMP/prog.log"
}

# send LINE: a command to the program.
send() {
	echo "> $*" >>"$TMP/prog.log"
	printf '%s\n' "$*" >&21
}

EXPECT_PARTIAL=
# expect WORD [WATCH]: reads the program's lines until one starts with
# WORD; sets LINE.  Every line goes to prog.log; a "FAIL" line is a failed
# check.  Fails the test when WATCH (default P_PID) ends or after WAIT_S.
expect() {
	local want=$1 watch=${2:-$P_PID} deadline=$((SECONDS + WAIT_S)) line chunk rc
	while :; do
		# a read that times out mid-line keeps those bytes in chunk only:
		# they start the next line (EXPECT_PARTIAL)
		read -r -t 1 -u 20 chunk
		rc=$?
		if ((rc > 128)); then
			EXPECT_PARTIAL+=$chunk
		else
			line=$EXPECT_PARTIAL$chunk
			EXPECT_PARTIAL=
		fi
		if ((rc == 0)); then
			echo "$line" >>"$TMP/prog.log"
			[[ $line == FAIL* ]] && check_failed "the program says: $line"
			if [[ $line == "$want"* ]]; then
				# shellcheck disable=SC2034 # read by the drivers
				LINE=$line
				return 0
			fi
			continue
		fi
		alive "$watch" || failed "process $watch ended while we waited for '$want'"
		((rc > 128)) || failed "the program's stdout was closed while we waited for '$want'"
		((SECONDS < deadline)) || failed "no '$want' from the program within $WAIT_S s"
	done
}

# ckpt_start TARGET TAG: mtcp_checkpoint --wait TARGET in the background,
# stdout to $TMP/ckpt.TAG.out, stderr to $TMP/ckpt.TAG.err.  Sets CK_PID.
ckpt_start() {
	"$MTCP_CHECKPOINT" --wait --timeout "$((WAIT_S * 2))" "$1" \
		>"$TMP/ckpt.$2.out" 2>"$TMP/ckpt.$2.err" </dev/null 6>&- 7>&- 8>&- &
	CK_PID=$!
	STARTED+=("$CK_PID")
}

# ckpt_finish PID TAG: waits for that mtcp_checkpoint; it must exit 0 with
# one line on stdout, an image of ours; sets IMG and CK_ERR (its stderr).
ckpt_finish() {
	local pid=$1 tag=$2
	wait_exit "$pid" "$((WAIT_S * 2))"
	CK_ERR=$(cat "$TMP/ckpt.$tag.err")
	((EXIT_RC == 0)) || failed "mtcp_checkpoint --wait ($tag) exited $EXIT_RC: $CK_ERR"
	[[ $(wc -l <"$TMP/ckpt.$tag.out") == 1 ]] ||
		failed "mtcp_checkpoint --wait ($tag): stdout is not one line: $(head -c 300 "$TMP/ckpt.$tag.out")"
	IMG=$(cat "$TMP/ckpt.$tag.out")
	[[ $IMG == "$IMGDIR"/*.mtcp && -f $IMG ]] ||
		failed "mtcp_checkpoint --wait ($tag): '$IMG' is not an image in $IMGDIR"
	say "checkpoint $tag: $(basename "$IMG")"
}

# check_ckpt_err TAG: mtcp_checkpoint's stderr is "paused X.XXX ms", then
# "complete" (docs/tools.md; issue 10).
check_ckpt_err() {
	local tag=$1 err
	err=$(cat "$TMP/ckpt.$tag.err")
	[[ $err =~ (^|$'\n')paused\ [0-9]+\.[0-9]{3}\ ms($'\n'|$) ]] ||
		check_failed "checkpoint $tag: mtcp_checkpoint's stderr has no 'paused X.XXX ms' line: '$err'"
	[[ $err =~ (^|$'\n')complete$ ]] ||
		check_failed "checkpoint $tag: mtcp_checkpoint's stderr does not end with 'complete': '$err'"
	[[ $err =~ paused.*complete || ! $err =~ paused || ! $err =~ complete ]] ||
		check_failed "checkpoint $tag: 'paused' does not come before 'complete': '$err'"
}

# wait_err_line REGEX WHAT: until the programs' stderr ($TMP/prog.err) has
# a line matching the extended REGEX (the library prints its lines once
# the image is durable, maybe after the answer).  Returns 1 (a failed
# check) after 5 s.
wait_err_line() {
	local deadline=$((SECONDS + 5))
	until grep -Eq -- "$1" "$TMP/prog.err"; do
		if ((SECONDS >= deadline)); then
			check_failed "no line '$1' in the program's stderr ($2)"
			return 1
		fi
		pace
	done
	return 0
}

# image_seq IMG: the SEQ of NAME.PID.LINEAGE.SEQ.mtcp; image_lineage IMG.
image_seq() { [[ $1 =~ \.([0-9a-f]{8})\.([0-9]+)\.mtcp$ ]] && echo "$((10#${BASH_REMATCH[2]}))"; }
image_lineage() { [[ $1 =~ \.([0-9a-f]{8})\.([0-9]+)\.mtcp$ ]] && echo "${BASH_REMATCH[1]}"; }

# ---- the gate -----------------------------------------------------------

# gate_hold: a holder that opens the gate for writing (blocks until the
# writer process opens it), says "open" on fd 7, waits for "go" on fd 8,
# then writes the one byte the writer waits for.  Sets GH_PID.
gate_hold() {
	(
		exec 9>"$GATE" || exit 2
		echo open >&7
		read -r _ <&8 || exit 3
		printf g >&9 || exit 4
	) 6>&- 20<&- 21>&- </dev/null >/dev/null 2>>"$TMP/gate.err" &
	GH_PID=$!
	STARTED+=("$GH_PID")
}

# gate_wait_open WHAT CKPID: until the writer process has opened the gate.
# Fails the test if it does not within WAIT_S, or if mtcp_checkpoint CKPID
# (if given) ends first.
gate_wait_open() {
	local what=$1 ck=${2-} deadline=$((SECONDS + WAIT_S)) chunk partial=
	while :; do
		if read -r -t 0.2 -u 7 chunk; then
			[[ $partial$chunk == open ]] && break
			partial=
			continue
		fi
		partial+=$chunk
		if [[ -n $ck ]] && ! alive "$ck"; then
			failed "$what: mtcp_checkpoint $ck ended (its answers: $(cat "$TMP"/ckpt.*.out "$TMP"/ckpt.*.err 2>/dev/null | tr '\n' ' ')) and no writer process opened the gate $GATE (MTCP_COW=1, MTCP_TEST_WRITER_GATE)$(lib_says)"
		fi
		((SECONDS < deadline)) ||
			failed "$what: no writer process opened the gate $GATE within $WAIT_S s (MTCP_COW=1, MTCP_TEST_WRITER_GATE)$(lib_says)"
	done
}

# lib_says: the library's last lines on the program's stderr, if any.
lib_says() {
	local l
	l=$(grep '^mtcp: ' "$TMP/prog.err" 2>/dev/null | tail -n 3 | tr '\n' ' ')
	[[ -n $l ]] && printf '; the library said: %s' "$l"
}

# gate_release: the holder writes the byte and ends.
gate_release() {
	echo go >&8
	wait_exit "$GH_PID" "$WAIT_S"
	((EXIT_RC == 0)) || failed "the gate holder could not write the byte (status $EXIT_RC): the writer stopped reading the gate"
}

# task_children PID: the children of every thread of PID (the writer is
# made by the control thread); children_of (proc_lib.sh) looks at every
# process's PPid where the kernel has no children files.
task_children() {
	if [[ -r /proc/$1/task/$1/children ]]; then
		cat /proc/"$1"/task/*/children 2>/dev/null
	else
		children_of "$1"
	fi
}

# writer_check PROGPID WHAT: the gate is open in a child of the program
# named mtcp-writer (docs: the writer process).  Sets WRITER.
writer_check() {
	local prog=$1 what=$2 c comm f
	WRITER=
	for c in $(task_children "$prog"); do
		read -r comm 2>/dev/null <"/proc/$c/comm" || continue
		for f in /proc/"$c"/fd/*; do
			if [[ $(readlink "$f" 2>/dev/null) == "$GATE" ]]; then
				WRITER=$c
				[[ $comm == mtcp-writer ]] ||
					check_failed "$what: the process at the gate ($c, a child of $prog) is named '$comm', not mtcp-writer"
				break 2
			fi
		done
	done
	[[ -n $WRITER ]] || failed "$what: the gate is open, but in no child of the program $prog (children: $(task_children "$prog" | tr '\n' ' '))"
}

# outside_pid RST PID: the restored program's pid as we see it (as root it
# is PID, the pid it had; without root it is in a pid namespace under
# mtcp_restart RST).
outside_pid() {
	local p k v
	if [[ $(parent_of_pid "$2") == "$1" ]]; then
		echo "$2"
		return
	fi
	for p in $(descendants "$1"); do
		while read -r k v; do
			[[ $k == NSpid: && ${v##*[[:space:]]} == "$2" && $p != "$2" ]] && { echo "$p"; return; }
		done 2>/dev/null <"/proc/$p/status"
	done
	echo "$1"
}
parent_of_pid() {
	local k v
	while read -r k v; do
		[[ $k == PPid: ]] && { echo "$v"; return; }
	done 2>/dev/null <"/proc/$1/status"
}
