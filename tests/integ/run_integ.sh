#!/bin/bash
# SPDX-License-Identifier: MIT
#
# run_integ.sh - runs one integration scenario: a test program (built with
# tests/integ/mt_test.c) is checkpointed, maybe killed and restarted, then
# told to go on (SIGUSR1) and must print PASS and exit 0.
#
#   run_integ.sh --mode restart|continue|chain|selfckpt [--rounds N]
#                [--checkpoints N] [--interval S] [--linked] [--as-user UID]
#                [--stdout file|pipe|null] [--pty] [--expect-ckpt WORD]
#                [--split N [--flatten]]
#                --program PATH [-- ARGS...]
#
#   restart   ready -> checkpoint(s) -> kill -9 -> mtcp_restart IMAGE ->
#             "woke" from the restored program -> SIGUSR1 -> PASS, exit 0
#   continue  ready -> checkpoint(s) -> "woke" -> SIGUSR1 -> the original
#             process passes
#   chain     like restart, --rounds times: each restored process is
#             checkpointed again (by its pid, then by mtcp_restart's pid,
#             alternately), killed, and restarted from the new image
#   selfckpt  a linked program calls mtcp_checkpoint() itself and sends
#             "image PATH" then "ready"; it is killed and restarted, and the
#             restored program must pass on its own
#
# --expect-ckpt complete|degraded: what every checkpoint must say on
# mtcp_checkpoint's stderr.
#
# --split N (restart and chain modes): before each restart, the image is
# made into a chain of N increments by tests/integ/split_image
# (MTCP_SPLIT), which --verify and --list must show, and the newest is
# restarted: the restorer reads memory from every image of the chain.
# With --flatten, mtcp_restart --flatten makes one full image of that
# chain, and that is verified and restarted instead.
#
# Tools come from the environment: MTCP_LAUNCH, MTCP_CHECKPOINT,
# MTCP_RESTART (and MT_PTY_RUN for --pty).  The program learns the FIFO
# (MT_READY_FIFO), the run directory (MT_TMPDIR) and the file that says
# whether the restart changed pid and thread ids (MT_EXPECT_FILE).
#
# Every wait is bounded (MT_WAIT_S seconds, default 30): a hang is a
# failure, never a stuck run.  Exit status: 0 pass, 1 fail, 77 skip, 99
# error in the runner's own use (meson's protocol).
set -u

MODE=restart
ROUNDS=
CHECKPOINTS=1
INTERVAL=
LINKED=0
AS_USER=
STDOUT="file"
PTY=0
PROGRAM=
EXPECT_CKPT=
SPLIT=0
FLATTEN=0
ARGS=()
WAIT_S=${MT_WAIT_S:-30}

say() { printf 'runner: %s\n' "$*"; }
usage_error() { printf 'run_integ.sh: %s\n' "$*" >&2; exit 99; }

while (($#)); do
	case $1 in
	--mode) MODE=${2-}; shift 2 || usage_error "--mode needs a value" ;;
	--rounds) ROUNDS=${2-}; shift 2 || usage_error "--rounds needs a value" ;;
	--checkpoints) CHECKPOINTS=${2-}; shift 2 || usage_error "--checkpoints needs a value" ;;
	--interval) INTERVAL=${2-}; shift 2 || usage_error "--interval needs a value" ;;
	--linked) LINKED=1; shift ;;
	--as-user) AS_USER=${2-}; shift 2 || usage_error "--as-user needs a value" ;;
	--stdout) STDOUT=${2-}; shift 2 || usage_error "--stdout needs a value" ;;
	--pty) PTY=1; shift ;;
	--program) PROGRAM=${2-}; shift 2 || usage_error "--program needs a value" ;;
	--expect-ckpt) EXPECT_CKPT=${2-}; shift 2 || usage_error "--expect-ckpt needs a value" ;;
	--split) SPLIT=${2-}; shift 2 || usage_error "--split needs a value" ;;
	--flatten) FLATTEN=1; shift ;;
	--) shift; ARGS=("$@"); break ;;
	*) usage_error "unknown argument '$1'" ;;
	esac
done

case $MODE in
restart|continue|selfckpt) ROUNDS=${ROUNDS:-1} ;;
chain) ROUNDS=${ROUNDS:-3} ;;
*) usage_error "unknown mode '$MODE'" ;;
esac
[[ $ROUNDS =~ ^[1-9][0-9]*$ ]] || usage_error "bad --rounds '$ROUNDS'"
[[ $CHECKPOINTS =~ ^[1-9][0-9]*$ ]] || usage_error "bad --checkpoints '$CHECKPOINTS'"
[[ $STDOUT =~ ^(file|pipe|null)$ ]] || usage_error "bad --stdout '$STDOUT'"
[[ -z $AS_USER || $AS_USER =~ ^[0-9]+$ ]] || usage_error "bad --as-user '$AS_USER'"
[[ -z $EXPECT_CKPT || $EXPECT_CKPT =~ ^(complete|degraded)$ ]] ||
	usage_error "bad --expect-ckpt '$EXPECT_CKPT'"
[[ -n $PROGRAM && -x $PROGRAM ]] || usage_error "--program '$PROGRAM' is not executable"
for v in MTCP_LAUNCH MTCP_CHECKPOINT MTCP_RESTART; do
	[[ -n ${!v-} && -x ${!v} ]] || usage_error "$v is not set to an executable"
done
((PTY == 0)) || [[ -n ${MT_PTY_RUN-} && -x $MT_PTY_RUN ]] || usage_error "MT_PTY_RUN is not set"

RUNAS=()
if [[ -n $AS_USER ]]; then
	if ((EUID != 0)); then
		echo "SKIP: --as-user needs root"
		exit 77
	fi
	command -v setpriv >/dev/null || { echo "SKIP: setpriv not found"; exit 77; }
	RUNAS=(setpriv "--reuid=$AS_USER" "--regid=$AS_USER" --clear-groups)
fi
PREFIX=()
((PTY)) && PREFIX=("$MT_PTY_RUN")

# The programs get stdin, stdout and stderr only: close whatever else we
# inherited (the FIFO below is kept from them too, with 3>&-).
for f in /proc/"$$"/fd/*; do
	f=${f##*/}
	((f > 2)) && eval "exec $f>&-" 2>/dev/null
done

TMP=$(mktemp -d "${TMPDIR:-/tmp}/mtcp-integ.XXXXXX") || exit 99
STARTED=()   # every pid this runner started or learned of, killed on exit
WD=          # the running watchdog

# shellcheck source=proc_lib.sh
. "$(dirname "$0")/proc_lib.sh"

FIFO=$TMP/ready.fifo
mkfifo -m 0600 "$FIFO" "$TMP/watchdog.fifo" || exit 99
if [[ -n $AS_USER ]]; then
	chown "$AS_USER:$AS_USER" "$TMP" "$FIFO" || exit 99
fi
# Held open for reading and writing: the program's open and write never
# block, and our reads never see end-of-file.
exec 3<>"$FIFO"
EXPECT_FILE=$TMP/expect_new_ids
echo 0 >"$EXPECT_FILE"
chmod 0644 "$EXPECT_FILE"
export MT_READY_FIFO=$FIFO MT_TMPDIR=$TMP MT_EXPECT_FILE=$EXPECT_FILE
IMGDIR=$TMP/images
mkdir "$IMGDIR" || exit 99
[[ -n $AS_USER ]] && chown "$AS_USER:$AS_USER" "$IMGDIR"

NRUN=0
LOGS=()

show_logs() {
	local f
	for f in "${LOGS[@]}" "$TMP/runner.fifo.log"; do
		[[ -e $f ]] || continue
		echo "----- $(basename "$f") -----"
		cat "$f"
	done
	echo "----- images -----"
	ls -l "$IMGDIR" 2>&1
}

failed() {
	say "FAIL: $*"
	show_logs
	exit 1
}

# parent_of PID: prints the parent pid.
parent_of() {
	local s
	read -r s 2>/dev/null <"/proc/$1/stat" || return 1
	s=${s##*) }
	# shellcheck disable=SC2086 # the fields after the name
	set -- $s
	echo "$2"
}

# Watchdog: SIGKILL to $2 after $1 seconds, unless stopped first; it
# leaves $TMP/timeout.$2 behind when it fired.

# wait_exit PID SECONDS: waits for our child PID, at most SECONDS; sets
# EXIT_RC.  Fails the test on a timeout.
wait_exit() {
	start_watchdog "$2" "$1"
	wait "$1" 2>/dev/null # (no "Killed" notice for the programs we kill)
	EXIT_RC=$?
	stop_watchdog
	[[ -e $TMP/timeout.$1 ]] && failed "process $1 did not exit within $2 s"
	return 0
}

# start_bg NAME CMD...: starts CMD in the background with stdin from
# /dev/null, stdout as --stdout says (always a file with --pty: pty_run
# copies the terminal's output there) and stderr to a file; sets BG_PID,
# BG_OUT (stdout file) and BG_ERR.
CATS=()
start_bg() {
	local name=$1 pipe
	shift
	NRUN=$((NRUN + 1))
	BG_OUT=$TMP/$NRUN.$name.out
	BG_ERR=$TMP/$NRUN.$name.err
	LOGS+=("$BG_OUT" "$BG_ERR")
	: >"$BG_OUT"
	: >"$BG_ERR"
	# the program's own output files, as a user's shell would have made
	# them (a restart reopens them as the program's user)
	[[ -n $AS_USER ]] && chown "$AS_USER:$AS_USER" "$BG_OUT" "$BG_ERR"
	if ((PTY)) || [[ $STDOUT == file ]]; then
		"$@" </dev/null >"$BG_OUT" 2>"$BG_ERR" 3>&- &
		BG_PID=$!
	elif [[ $STDOUT == null ]]; then
		"$@" </dev/null >/dev/null 2>"$BG_ERR" 3>&- &
		BG_PID=$!
	else
		# "PROGRAM | cat > file", keeping PROGRAM's pid
		pipe=$TMP/$NRUN.$name.pipe
		mkfifo "$pipe" || failed "mkfifo $pipe"
		cat "$pipe" >"$BG_OUT" 3>&- &
		CATS+=($!)
		STARTED+=($!)
		"$@" </dev/null >"$pipe" 2>"$BG_ERR" 3>&- &
		BG_PID=$!
	fi
	STARTED+=("$BG_PID")
}

# The pipe readers end when the program and mtcp_restart are gone.
drain_cats() {
	local c
	for c in "${CATS[@]}"; do
		wait_exit "$c" "$WAIT_S"
	done
	CATS=()
}

# read_msg WORD WATCH ACCEPT: reads FIFO lines until one is "WORD A B" and
# `ACCEPT A B` succeeds; sets MSG_A, MSG_B.  Fails if WATCH dies first or
# after WAIT_S seconds.
read_msg() {
	local want=$1 watch=$2 accept=$3 deadline=$((SECONDS + WAIT_S)) line w a b chunk rc
	local partial=
	while :; do
		# a read that times out in the middle of a line keeps what it
		# read in chunk, and those bytes are gone from the FIFO: keep them
		if read -r -t 1 -u 3 chunk; then
			line=$partial$chunk
			partial=
			echo "$line" >>"$TMP/runner.fifo.log"
			read -r w a b <<<"$line"
			if [[ $w == "$want" ]] && $accept "$a" "${b-}"; then
				MSG_A=$a
				MSG_B=${b-}
				return 0
			fi
			[[ $w == fail ]] && say "the program reported a failure (pid $a)"
			continue
		else
			rc=$?
			((rc > 128)) && partial+=$chunk
		fi
		if ! alive "$watch"; then
			# our child: its status says why (77: the program skipped)
			wait "$watch" 2>/dev/null
			EXIT_RC=$?
			if ((EXIT_RC == 77)); then
				show_logs
				say "SKIP"
				exit 77
			fi
			failed "process $watch ended (status $EXIT_RC) while waiting for '$want'"
		fi
		((SECONDS < deadline)) || failed "no '$want' within $WAIT_S s"
	done
}

# innermost_pid PID: its pid in its own pid namespace (NSpid's last field).
innermost_pid() {
	local k v
	while read -r k v; do
		[[ $k == NSpid: ]] && { echo "${v##*[[:space:]]}"; return; }
	done 2>/dev/null <"/proc/$1/status"
}

drain_fifo() {
	local line
	while read -r -t 0 -u 3; do
		read -r -u 3 line || break
		echo "$line (stale)" >>"$TMP/runner.fifo.log"
	done
}

accept_any() { return 0; }
accept_orig_parent() { [[ $2 == "$PPID0" ]]; }
# "woke PID PPID" from the process mtcp_restart restored: PPID is
# mtcp_restart (MR_PID; with --pty, the child of pty_run), or 1 when
# mtcp_restart made a pid namespace (without root): then the program is
# the child of the namespace's init, itself mtcp_restart's child.  Sets
# PID_OUT: the program's pid as this runner sees it.
accept_restart_parent() {
	local init c
	if ((PTY)); then
		MR_PID=$(children_of "$RST_PID")
		MR_PID=${MR_PID%% *}
	else
		MR_PID=$RST_PID
	fi
	if [[ $2 == "$MR_PID" ]]; then
		PID_OUT=$1
		return 0
	fi
	[[ $2 == 1 ]] || return 1
	for init in $(children_of "$MR_PID"); do
		for c in $(children_of "$init"); do
			if [[ $(innermost_pid "$c") == "$1" && $c != "$1" ]]; then
				PID_OUT=$c
				return 0
			fi
		done
	done
	return 1
}

LAST_SEQ=0
LAST_LINEAGE=
OLD_LINEAGES=" "
# checkpoint PID: takes CHECKPOINTS checkpoints with mtcp_checkpoint
# --wait; sets IMG to the last one and checks it.  Names are
# PROG.PID.LINEAGE.SEQ.mtcp: a restart starts a new lineage (never one
# seen before) whose SEQ counts from 1 again.
checkpoint() {
	local target=$1 i out rc seq lineage
	for ((i = 1; i <= CHECKPOINTS; i++)); do
		out=$("${RUNAS[@]}" "$MTCP_CHECKPOINT" --wait --timeout "$WAIT_S" "$target" \
			2>"$TMP/ckpt.err" 3>&-)
		rc=$?
		((rc == 0)) || failed "mtcp_checkpoint --wait $target: exit $rc: $(cat "$TMP/ckpt.err")"
		if [[ -n $EXPECT_CKPT ]] && ! grep -q "^$EXPECT_CKPT" "$TMP/ckpt.err"; then
			failed "mtcp_checkpoint did not say '$EXPECT_CKPT': $(cat "$TMP/ckpt.err")"
		fi
	done
	IMG=$out
	[[ -f $IMG ]] || failed "image '$IMG' does not exist"
	[[ $(stat -c %a "$IMG") == 600 ]] || failed "image $IMG has mode $(stat -c %a "$IMG"), not 0600"
	if [[ -n $AS_USER ]]; then
		[[ $(stat -c %u "$IMG") == "$AS_USER" ]] || failed "image $IMG is not owned by uid $AS_USER"
	fi
	[[ $IMG =~ \.([0-9]+)\.([0-9a-f]{8})\.([0-9]+)\.mtcp$ ]] ||
		failed "image name '$IMG' is not NAME.PID.LINEAGE.SEQ.mtcp"
	lineage=${BASH_REMATCH[2]}
	seq=$((10#${BASH_REMATCH[3]}))
	if [[ $lineage != "$LAST_LINEAGE" ]]; then
		[[ $OLD_LINEAGES != *" $lineage "* ]] || failed "lineage $lineage written again after a restart"
		[[ -z $LAST_LINEAGE ]] || say "new lineage $lineage (was $LAST_LINEAGE)"
		OLD_LINEAGES+="$lineage "
		LAST_LINEAGE=$lineage
		LAST_SEQ=0
	fi
	((seq > LAST_SEQ)) || failed "image sequence $seq does not follow $LAST_SEQ"
	if ((LAST_SEQ == 0)) && ((seq < CHECKPOINTS)); then
		failed "image sequence $seq after $CHECKPOINTS checkpoints"
	fi
	LAST_SEQ=$seq
	say "checkpoint of $target ($CHECKPOINTS x): $IMG"
}

# split_chain: with --split N, IMG becomes the newest of N increments
# made from it (or, with --flatten, the full image made of them).
split_chain() {
	local i base=$IMG out
	((SPLIT)) || return 0
	for ((i = 1; i <= SPLIT; i++)); do
		out=$("${RUNAS[@]}" "$MTCP_SPLIT" "$IMG" "$base.inc$i" 2>&1) ||
			failed "split_image $IMG: $out"
		IMG=$base.inc$i
	done
	"${RUNAS[@]}" "$MTCP_RESTART" --verify "$IMG" >"$TMP/verify.out" 2>&1 ||
		failed "mtcp_restart --verify $IMG: $(cat "$TMP/verify.out")"
	grep -q "^chain $SPLIT $(basename "$base") depth 0 " "$TMP/verify.out" ||
		failed "--verify does not end the chain with $base: $(cat "$TMP/verify.out")"
	"${RUNAS[@]}" "$MTCP_RESTART" --list "$IMG" >"$TMP/list.out" 2>&1 ||
		failed "mtcp_restart --list $IMG: $(head -c 300 "$TMP/list.out")"
	grep -q '^read .* part ' "$TMP/list.out" ||
		failed "--list $IMG shows no extent of an ancestor read in part"
	say "chain of $SPLIT increments: $IMG ($(grep -c '^read ' "$TMP/list.out") reads from ancestors)"
	if ((FLATTEN)); then
		out=$("${RUNAS[@]}" "$MTCP_RESTART" --flatten "$IMG" "$base.flat" 2>&1) ||
			failed "mtcp_restart --flatten $IMG: $out"
		"${RUNAS[@]}" "$MTCP_RESTART" --verify "$base.flat" >"$TMP/verify.out" 2>&1 ||
			failed "mtcp_restart --verify $base.flat: $(cat "$TMP/verify.out")"
		grep -q '^chain ' "$TMP/verify.out" && failed "the flat image still has a chain"
		IMG=$base.flat
		say "flattened: $IMG"
	fi
}

# restart: starts mtcp_restart IMG, waits for the restored program's
# "woke", records whether the pid and tids changed.  Sets RST_PID, PID.
restart() {
	# every process of the previous run is gone: what is left in the FIFO
	# is stale (a "woke" written after the last checkpoint)
	drain_fifo
	start_bg restart "${PREFIX[@]}" "${RUNAS[@]}" "$MTCP_RESTART" "$IMG"
	RST_PID=$BG_PID
	RST_OUT=$BG_OUT
	RST_ERR=$BG_ERR
	say "mtcp_restart $IMG: pid $RST_PID"
	# the restored program says it is live: "woke" from the wait in
	# mt_test_ready(), or "restored" from a linked program's own
	# mtcp_checkpoint() returning MTCP_RESTARTED
	if [[ $MODE == selfckpt ]]; then
		read_msg restored "$RST_PID" accept_restart_parent
	else
		read_msg woke "$RST_PID" accept_restart_parent
	fi
	STARTED+=("$PID_OUT")
	[[ $PID_OUT != "$MSG_A" ]] &&
		say "the restored program is pid $MSG_A in its own pid namespace, $PID_OUT here"
	if grep -qs 'new pid and thread ids' "$RST_ERR" "$RST_OUT"; then
		say "mtcp_restart gave new pid and thread ids: $(head -n1 "$RST_ERR")"
		echo 1 >"$EXPECT_FILE"
	else
		echo 0 >"$EXPECT_FILE"
		[[ $MSG_A == "$PID" ]] || failed "restored pid $MSG_A, was $PID, and mtcp_restart gave no warning"
	fi
	PID=$MSG_A
	# the restorer read the images of the chain: none is left open in
	# the restored program
	if ((SPLIT)); then
		local held
		held=$(ls -l "/proc/$PID_OUT/fd/" 2>/dev/null | grep -F "$IMGDIR/")
		[[ -z $held ]] || failed "the restored program holds an image open: $held"
	fi
}

# finish PID WAITFOR: SIGUSR1 to PID (unless empty), waits for WAITFOR and
# judges its status and output.
finish() {
	local go=$1 waitfor=$2 out=$3 line w a
	if [[ -n $go ]]; then
		kill -USR1 "$go" || failed "kill -USR1 $go"
	fi
	wait_exit "$waitfor" "$WAIT_S"
	drain_cats
	if ((EXIT_RC == 77)); then
		cat "$out"
		say "SKIP"
		exit 77
	fi
	((EXIT_RC == 0)) || failed "exit status $EXIT_RC"
	grep -q '^FAIL' "$out" && failed "the program printed FAIL"
	if [[ $STDOUT == null ]] && ((PTY == 0)); then
		# stdout is /dev/null: the program's last FIFO line says it
		while read -r -t 1 -u 3 line; do
			echo "$line" >>"$TMP/runner.fifo.log"
			read -r w a <<<"$line"
			[[ $w == pass ]] && return 0
		done
		failed "no 'pass' line from the program"
	fi
	grep -q '^PASS' "$out" || failed "no PASS in the output"
}

# The restored program's stdout: a regular file at the checkpoint is the
# same file after a restart (it goes on where it was, and mtcp_restart's
# own stdout stays empty); a pipe or a terminal is mtcp_restart's.
restored_out() {
	if [[ $STDOUT == file ]] && ((PTY == 0)); then
		[[ -s $RST_OUT ]] && failed "the program's stdout was a file, yet mtcp_restart's stdout got: $(head -c 200 "$RST_OUT")"
		echo "$PROG_OUT"
	else
		echo "$RST_OUT"
	fi
}

# ---- the original program ------------------------------------------------
if ((LINKED)); then
	CMD=(env "MTCP_DIR=$IMGDIR")
	[[ -n $INTERVAL ]] && CMD+=("MTCP_INTERVAL=$INTERVAL")
	CMD+=("$PROGRAM" "${ARGS[@]}")
else
	CMD=("$MTCP_LAUNCH" --dir "$IMGDIR")
	[[ -n $INTERVAL ]] && CMD+=(--interval "$INTERVAL")
	CMD+=(-- "$PROGRAM" "${ARGS[@]}")
fi
start_bg prog "${PREFIX[@]}" "${RUNAS[@]}" "${CMD[@]}"
TOP_PID=$BG_PID
PROG_OUT=$BG_OUT
say "started $(basename "$PROGRAM") (mode $MODE): pid $TOP_PID"

if [[ $MODE == selfckpt ]]; then
	read_msg image "$TOP_PID" accept_any
	IMG=$MSG_A
	[[ -f $IMG ]] || failed "image '$IMG' does not exist"
	[[ $(stat -c %a "$IMG") == 600 ]] || failed "image $IMG is not mode 0600"
fi
read_msg ready "$TOP_PID" accept_any
PID=$MSG_A      # the program's pid as it sees it
PID_OUT=$PID    # the same as this runner sees it (differs in a pid namespace)
PPID0=$MSG_B
STARTED+=("$PID")
say "ready: pid $PID ppid $PPID0"

case $MODE in
continue)
	checkpoint "$PID_OUT"
	read_msg woke "$TOP_PID" accept_orig_parent
	[[ $MSG_A == "$PID" ]] || failed "woke from pid $MSG_A, expected $PID"
	finish "$PID_OUT" "$TOP_PID" "$PROG_OUT"
	;;
selfckpt)
	kill -KILL "$PID_OUT"
	wait_exit "$TOP_PID" "$WAIT_S"
	restart
	finish "" "$RST_PID" "$(restored_out)"
	;;
restart|chain)
	checkpoint "$PID_OUT"
	kill -KILL "$PID_OUT"
	wait_exit "$TOP_PID" "$WAIT_S"
	split_chain
	restart
	for ((r = 2; r <= ROUNDS; r++)); do
		# alternately by the program's pid and by mtcp_restart's pid
		if ((r % 2 == 0)); then
			checkpoint "$PID_OUT"
		else
			checkpoint "$MR_PID"
		fi
		kill -KILL "$PID_OUT"
		wait_exit "$RST_PID" "$WAIT_S"
		if ((EXIT_RC != 137)); then
			failed "mtcp_restart exited $EXIT_RC after its program was killed by SIGKILL, not 137"
		fi
		split_chain
		restart
		say "round $r restored"
	done
	finish "$PID_OUT" "$RST_PID" "$(restored_out)"
	;;
esac

say "PASS"
if [[ ${MT_VERBOSE-0} == 1 ]]; then
	show_logs
fi
exit 0
