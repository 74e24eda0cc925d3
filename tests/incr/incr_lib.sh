# SPDX-License-Identifier: MIT
# shellcheck shell=bash
# incr_lib.sh - shared by the drivers in tests/incr: incr_prog (its
# commands are in incr_prog.c) on a pair of pipes, its checkpoints, digests
# and restarts, and what an image's header and the verbose lines say about
# the chain.  Sourced, never run.  Built on ../cow/cow_lib.sh (the program's
# pipes, expect, the writer gate, failed/check_failed/finish) and
# ../integ/proc_lib.sh (everything started is killed on exit; watchdogs).
# Every wait is bounded and waits for something a process says or does.
#
# From the environment (tests/incr/meson.build): MTCP_CHECKPOINT,
# MTCP_RESTART, INCR_PROG, INCR_NOUFFD.
set -u

for v in INCR_PROG INCR_NOUFFD; do
	[[ -n ${!v-} && -x ${!v} ]] || { echo "$(basename "$0" .sh): $v is not set to an executable" >&2; exit 99; }
done
INCR_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../cow/cow_lib.sh
. "$INCR_DIR/../cow/cow_lib.sh"

# finish TEXT: as cow_lib.sh's, but the failed checks come again after
# the logs, last (meson shows only the last lines of a test's output).
finish() {
	local f
	if ((${#CHECKS_FAILED[@]})); then
		for f in "${CHECKS_FAILED[@]}"; do say "FAIL: $f"; done
		show_logs
		for f in "${CHECKS_FAILED[@]}"; do say "FAIL: $f"; done
		exit 1
	fi
	say "PASS: $*"
	exit 0
}

RUNAS=()  # a prefix for the programs, mtcp_restart (as_user)
AS_UID=
WORK=$TMP/work # the program's directory (its private file mapping's file)
mkdir "$WORK" || exit 99

skip() {
	say "SKIP: $*"
	exit 77
}

# re_quote TEXT: TEXT as an extended regular expression matching itself.
re_quote() { sed 's/[][\.*^$+?(){}|/]/\\&/g' <<<"$1"; }

# as_user UID: the programs and mtcp_restart run as UID from now on (root
# only; setpriv).
as_user() {
	((EUID == 0)) || skip "needs root, to run as uid $1"
	command -v setpriv >/dev/null || skip "setpriv not found"
	AS_UID=$1
	RUNAS=(setpriv "--reuid=$1" "--regid=$1" --clear-groups)
	chown "$1:$1" "$TMP" "$IMGDIR" "$WORK" "$GATE" || exit 99
	chmod 0700 "$TMP"
}

# user_dir DIR: a new directory the run's user owns.
user_dir() {
	mkdir -m 0700 "$1" || exit 99
	[[ -n $AS_UID ]] && chown "$AS_UID:$AS_UID" "$1"
	return 0
}

# ---- the program ---------------------------------------------------------

# incr_start LABEL MIB [VAR=VALUE...]: incr_prog with MIB MiB in $WORK,
# the variables in its environment, PREFIX (an array, may be unset) before
# it; waits for "ready".  Sets PID (its pid), PID_OUT (the same: as kill and
# /proc see it), WAITPID (our child whose end is the program's), NPAGES.
incr_start() {
	local label=$1 mib=$2
	shift 2
	prog_start "$label" ${RUNAS[@]+"${RUNAS[@]}"} env "$@" ${PREFIX[@]+"${PREFIX[@]}"} \
		"$INCR_PROG" "$WORK" "$mib"
	expect ready
	# shellcheck disable=SC2034 # NPAGES: read by the drivers
	read -r _ PID _ _ NPAGES _ r0 <<<"$LINE"
	[[ $r0 == 0 ]] || check_failed "mtcp_restart_count() is '$r0' in a launched program, not 0"
	PID_OUT=$PID
	WAITPID=$P_PID
}

# step K [PCT]: the program's step K (PCT% rewritten, default 1; drops,
# moves, grows...).
step() {
	send "step $*"
	expect stepped
}

# ckpt [WHAT]: mtcp_checkpoint() in the program; it must succeed.  Sets
# IMG (the image path, in $IMGDIR or the program's MTCP_DIR).
ckpt() {
	ckpt_try
	[[ $LINE == "ckpt /"* ]] || failed "${1:-a checkpoint}: the program says '$LINE'$(lib_says)"
	IMG=${LINE#ckpt }
	[[ -f $IMG ]] || failed "${1:-a checkpoint}: the image $IMG is not there"
}

# ckpt_try: mtcp_checkpoint() in the program; LINE is its answer ("ckpt
# PATH" or "ckpt-fail RC WHY").
ckpt_try() {
	send ckpt
	expect ckpt
}

# ---- the writer gate, held open here ------------------------------------
# MTCP_TEST_WRITER_GATE=$GATE: the writer process of a copy-on-write
# checkpoint opens the FIFO read-only and reads one byte before it writes
# any memory.  gate_rw holds the FIFO open for reading and writing on fd 8
# (cow_lib.sh's "go" FIFO, not used here: prog_start and run_bounded close
# fd 8 for what they start), so the writer's open never blocks, and its
# read waits for a byte.  Increments are mostly written without a writer
# process (copies made while parked), so whether a checkpoint will have one
# is not known in advance: a byte is given before each checkpoint not to
# be held, and taken back after it if nobody read it.  (A copy-on-write
# increment without a writer process waits at the gate in the program
# itself, its control thread, before it writes the image from its copies.)
gate_rw() { exec 8<>"$GATE"; }

# gate_drain: takes back the bytes nobody read; sets GATE_LEFT.
gate_drain() {
	GATE_LEFT=0
	while read -r -t 0 -u 8; do
		IFS= read -r -N 1 -t 1 -u 8 _ || break
		GATE_LEFT=$((GATE_LEFT + 1))
	done
}

# ckpt_through WHAT: a checkpoint that is not held; sets IMG and
# WRITER_USED (1: a writer process took the byte).
ckpt_through() {
	printf g >&8
	ckpt "$1"
	gate_drain
	# shellcheck disable=SC2034 # read by the drivers
	WRITER_USED=$((GATE_LEFT == 0))
}

# ckpt_held WHAT [self]: sends "ckpt" with no byte at the gate, and waits
# until a child of the program holds the gate open: its writer process,
# held there (sets WRITER); with "self", until the program itself holds it
# (a copy-on-write increment without a writer process: its control thread
# waits there before it writes the image from the copies).  Fails if the
# program answers first.
ckpt_held() {
	local what=$1 self=${2-} deadline=$((SECONDS + WAIT_S)) c f comm
	gate_drain
	send ckpt
	WRITER=
	while :; do
		if [[ -n $self ]]; then
			for f in /proc/"$PID_OUT"/fd/*; do
				[[ $(readlink "$f" 2>/dev/null) == "$GATE" ]] && WRITER=$PID_OUT
			done
		else
			for c in $(task_children "$PID_OUT"); do
				for f in /proc/"$c"/fd/*; do
					[[ $(readlink "$f" 2>/dev/null) == "$GATE" ]] && WRITER=$c
				done
			done
		fi
		if [[ -n $WRITER ]]; then
			if [[ -z $self ]]; then
				read -r comm 2>/dev/null <"/proc/$WRITER/comm"
				[[ $comm == mtcp-writer ]] ||
					check_failed "$what: the process at the gate ($WRITER) is named '$comm', not mtcp-writer"
				say "$what: writer process $WRITER held at the gate"
			else
				say "$what: the program $WRITER itself held at the gate"
			fi
			return 0
		fi
		read -r -t 0 -u 20 &&
			failed "$what: the program answered before ${self:+it}${self:-any writer process} opened the gate$(lib_says)"
		alive "$PID_OUT" || failed "$what: the program $PID_OUT ended"
		((SECONDS < deadline)) ||
			failed "$what: ${self:+the program}${self:-no writer process} opened the gate $GATE within $WAIT_S s$(lib_says)"
		pace
	done
}

# digest WHAT: the program's digest; sets DIGEST (all after "digest ").
# The program's own checks (pages as its model says, dropped pages zero)
# must hold.
digest() {
	send digest
	expect digest
	DIGEST=${LINE#digest }
	[[ $DIGEST =~ zerobad\ 0\ bad\ 0$ ]] ||
		check_failed "$1: the program's memory is not what it wrote: $LINE"
}

# spin_start: the program's spinner thread starts rewriting its 4 MiB.
spin_start() {
	send spin
	expect spin
	[[ $LINE == "spin started "* ]] || failed "the spinner: $LINE"
}

# spin_check WHAT: in a restarted program, the spinner's pages are as at
# the pause, though it wrote on through the checkpoint.
spin_check() {
	send spin
	expect spin
	[[ $LINE == "spin OK "* ]] || check_failed "$1: the spinner's pages: $LINE"
}

# digest_is WHAT WANT [AT]: the digest just taken (DIGEST) is WANT, the
# one taken at checkpoint AT (a word for the messages).
digest_is() {
	if [[ $DIGEST == "$2" ]]; then
		say "$1: digest as at ${3:-its checkpoint}"
	else
		check_failed "$1: digest '$DIGEST', at ${3:-its checkpoint} it was '$2'"
	fi
}

# kill_current: SIGKILL to the program now running (launched or restored),
# reaped.
kill_current() {
	kill -KILL "$PID_OUT" 2>/dev/null
	wait_exit "$WAITPID" "$WAIT_S"
}

# restart_img LABEL IMG [RESTARTS]: mtcp_restart IMG (the program now
# running must be gone), until the restored program says "restarted";
# mtcp_restart_count() there must be RESTARTS (default 1).  Sets RST,
# PID_OUT, WAITPID.
restart_img() {
	local label=$1 img=$2 want=${3:-1} rpid rcount
	prog_start "$label" ${RUNAS[@]+"${RUNAS[@]}"} "$MTCP_RESTART" "$img"
	RST=$P_PID
	WAITPID=$RST
	expect restarted "$RST"
	read -r _ rpid _ rcount <<<"$LINE"
	[[ $rcount == "$want" ]] ||
		check_failed "$label: mtcp_restart_count() is '$rcount' in the restored program, not $want"
	PID_OUT=$(outside_pid "$RST" "$rpid")
}


# quit_current WHAT: "quit" to the program now running; it says "bye", and
# it (or the mtcp_restart it runs under) exits 0.
quit_current() {
	send quit
	expect bye "$WAITPID"
	wait_exit "$WAITPID" "$WAIT_S"
	((EXIT_RC == 0)) || check_failed "$1: exit status $EXIT_RC after 'quit', not 0"
}

# ---- images -------------------------------------------------------------

# chain_check K IMG: (image K) the program's memory now (a dump) is what the chain
# ending at IMG holds, page for page, as chain_check.py reads the images
# (docs/format.md), whatever mtcp_restart does: a difference here is the
# writer's.
chain_check() {
	local k=$1 img=$2
	if ! command -v python3 >/dev/null; then
		say "image $k: no python3, chain_check.py not run"
		return 0
	fi
	send "dump $TMP/dump.$k"
	expect dump
	[[ $LINE == "dumped $TMP/dump.$k" ]] || { check_failed "image $k: $LINE"; return 0; }
	run_bounded "$TMP/check.$k.out" "$TMP/check.$k.err" python3 "$INCR_DIR/chain_check.py" \
		"$img" "$TMP/dump.$k"
	if ((RC == 0)); then
		say "image $k: $(tail -n 1 "$TMP/check.$k.out")"
	else
		check_failed "image $k: the chain does not hold the program's memory (chain_check.py, exit $RC, independent of mtcp_restart): $(tail -n 4 "$TMP/check.$k.out" | tr '\n' ' ')$(head -c 300 "$TMP/check.$k.err")"
	fi
	rm -f "$TMP/dump.$k"
}


# img_flags IMG: the header's flags (u64 at offset 24).
img_flags() { od -An -t u8 -j 24 -N 8 "$1" | tr -d ' '; }

# is_incr IMG: header flag 10 (an increment: it has a PREV record).
is_incr() {
	local f
	f=$(img_flags "$1")
	[[ -n $f ]] || failed "cannot read the header of $1"
	(((f >> 10) & 1))
}

# check_full WHAT IMG: a full image: no flag 10, and (MTCP_VERBOSE=1,
# unless NO_LINE is set) "mtcp: full IMG..." from the library.
check_full() {
	local q
	is_incr "$2" && check_failed "$1: $(basename "$2") has flag 10 (an increment); it should be full"
	[[ -n ${NO_LINE-} ]] && return 0
	q=$(re_quote "$2")
	wait_err_line "^mtcp: full $q(: [^;]*)?; tracking " "$1: the verbose line of a full image"
	grep -qE "^mtcp: incremental $q: " "$TMP/prog.err" &&
		check_failed "$1: the library calls $(basename "$2") incremental: $(grep -E "^mtcp: incremental $q: " "$TMP/prog.err")"
	return 0
}

# check_incr WHAT IMG DEPTH PARENT: an increment of depth DEPTH whose parent
# is PARENT: flag 10, and "mtcp: incremental IMG: depth DEPTH after
# basename(PARENT); written ..." from the library.
check_incr() {
	local q
	is_incr "$2" || check_failed "$1: $(basename "$2") has no flag 10; it should be an increment after $(basename "$4")"
	q=$(re_quote "$2")
	wait_err_line "^mtcp: incremental $q: depth $3 after $(re_quote "$(basename "$4")"); written [0-9]+ KiB" \
		"$1: the verbose line of an increment of depth $3 after $(basename "$4")"
}

# run_bounded OUT ERR CMD...: CMD with stdin /dev/null, stdout to OUT and
# stderr to ERR, at most 2 WAIT_S seconds; sets RC (137: killed by the
# watchdog: then TIMED_OUT=1).
run_bounded() {
	local out=$1 err=$2 pid
	shift 2
	"$@" </dev/null >"$out" 2>"$err" 6>&- 7>&- 8>&- 20<&- 21>&- &
	pid=$!
	STARTED+=("$pid")
	start_watchdog $((WAIT_S * 2)) "$pid"
	wait "$pid" 2>/dev/null
	RC=$?
	stop_watchdog
	# shellcheck disable=SC2034 # read by the drivers
	TIMED_OUT=$([[ -e $TMP/timeout.$pid ]] && echo 1 || echo 0)
	return 0
}

# images DIR: the names of the files there (also temporaries), sorted.
dir_files() { (cd "$1" && LC_ALL=C ls -A); }
