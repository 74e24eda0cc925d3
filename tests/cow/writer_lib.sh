# SPDX-License-Identifier: MIT
# writer_lib.sh - sourced by the copy-on-write tests about the writer
# process and its fallbacks (inv_program.sh, writer_props.sh,
# writer_modes.sh, fallback_nproc.sh, fallback_memory.sh).  They drive
# inv_prog (its commands are in inv_prog.c) and look at the writer with
# writer_probe; every wait has a deadline (FIFO reads, pidfds, inotify).
#
# From the environment (tests/cow/meson.build): MTCP_CHECKPOINT,
# MTCP_RESTART, INV_PROG, WRITER_PROBE.
#
# The gate (MTCP_TEST_WRITER_GATE, docs: a test hook): the writer process
# opens the FIFO $GATE read-only and reads one byte before it writes any
# memory.  This script holds $GATE open for reading and writing on fd 5 for
# its whole run, so the writer's open never blocks and its read waits for
# `release` (one byte).  A checkpoint that is not to be held gets its byte
# in advance (`release` before the request).
set -u

WAIT_S=${COW_WAIT_S:-15}
say() { printf '%s: %s\n' "$NAME" "$*"; }

for v in MTCP_CHECKPOINT MTCP_RESTART INV_PROG WRITER_PROBE; do
	[[ -n ${!v-} && -x ${!v} ]] || { echo "$v is not set to an executable"; exit 99; }
done

# The programs get stdin, stdout and stderr only.
for f in /proc/"$$"/fd/*; do
	f=${f##*/}
	((f > 2)) && eval "exec $f>&-" 2>/dev/null
done

TMP=$(mktemp -d "${TMPDIR:-/tmp}/mtcp-cowi.XXXXXX") || exit 99
chmod 0711 "$TMP"
STARTED=()
WD=
# shellcheck source=../integ/proc_lib.sh
. "$(dirname "$0")/../integ/proc_lib.sh"

GATE=$TMP/gate
REPLY=$TMP/reply.fifo
mkfifo -m 0600 "$TMP/watchdog.fifo" "$REPLY" "$GATE" || exit 99
exec 3<>"$REPLY" 5<>"$GATE"
RUNAS=()
AS_UID=
NCK=0
LOGS=()

show_logs() {
	local f
	for f in "${LOGS[@]}"; do
		[[ -s $f ]] || continue
		echo "----- ${f#"$TMP"/} -----"
		tail -n 40 "$f"
	done
}

fail() {
	say "FAIL: $*"
	show_logs
	exit 1
}

skip() {
	say "SKIP: $*"
	exit 77
}

# as_user UID: what follows runs as UID (programs, mtcp_checkpoint,
# mtcp_restart).  Root only.
as_user() {
	command -v setpriv >/dev/null || skip "setpriv not found"
	AS_UID=$1
	RUNAS=(setpriv "--reuid=$1" "--regid=$1" --clear-groups)
	chown "$1:$1" "$TMP" "$REPLY" || exit 99
	chmod 0700 "$TMP"
}

# log_file VAR NAME: VAR=$TMP/NAME, an empty file the run's user may
# write, shown when the test fails.
log_file() {
	printf -v "$1" '%s' "$TMP/$2"
	: >"$TMP/$2"
	[[ -n $AS_UID ]] && chown "$AS_UID:$AS_UID" "$TMP/$2"
	LOGS+=("$TMP/$2")
}

# start_prog LABEL MIB [VAR=VALUE...]: starts inv_prog with MIB MiB of
# data, its own image directory IMGDIR ($TMP/LABEL.img) and work directory
# ($TMP/LABEL.d), and waits for its "ready".  Sets PID, P_OUT, P_ERR, IMGDIR,
# PDIR.  PREFIX (an array, may be unset) goes before the command.
start_prog() {
	local label=$1 mib=$2
	shift 2
	IMGDIR=$TMP/$label.img
	PDIR=$TMP/$label.d
	mkdir -m 0700 "$IMGDIR" "$PDIR" || exit 99
	[[ -n $AS_UID ]] && chown "$AS_UID:$AS_UID" "$IMGDIR" "$PDIR"
	log_file P_OUT "$label.out"
	log_file P_ERR "$label.err"
	# stdout and stderr append: a restored program writes on at the end
	"${RUNAS[@]}" env INV_DIR="$PDIR" INV_REPLY="$REPLY" INV_CMD="$TMP/cmd" \
		MTCP_DIR="$IMGDIR" "$@" ${PREFIX[@]+"${PREFIX[@]}"} "$INV_PROG" "$mib" \
		</dev/null >>"$P_OUT" 2>>"$P_ERR" 3>&- 5>&- &
	P_TOP=$!
	STARTED+=("$P_TOP")
	read_reply ready "$P_TOP"
	PID=$R_A
	STARTED+=("$PID")
	say "$label: inv_prog pid $PID (${*:-no variables})"
}

# read_line: one reply line into the caller's `line`, waiting at most 1 s.
# A read that times out keeps what it had read of a line (bash saves
# partial input): that is kept in PARTIAL for the next call, or the line's
# first bytes would be lost.
PARTIAL=
read_line() {
	if read -r -t 1 -u 3 line; then
		line=$PARTIAL$line
		PARTIAL=
		return 0
	fi
	PARTIAL+=$line
	return 1
}

# read_reply WORD WATCH [ACCEPT]: reads reply lines until one whose first
# word is WORD (and, given ACCEPT, `ACCEPT A B` succeeds); sets R_LINE, R_A
# (second word), R_B (third), R_REST (all after WORD).  Fails if WATCH
# ends first, on a "fatal" line, or after WAIT_S seconds.
read_reply() {
	local want=$1 watch=$2 accept=${3-} deadline=$((SECONDS + WAIT_S)) line w a b
	while :; do
		if read_line; then
			read -r w a b <<<"$line"
			[[ $w == fatal ]] && fail "the program: $line"
			if [[ $w == "$want" ]] && { [[ -z $accept ]] || $accept "$a" "${b-}"; }; then
				R_LINE=$line R_A=$a R_B=${b-} R_REST=${line#"$w"}
				R_REST=${R_REST# }
				return 0
			fi
			continue
		fi
		alive "$watch" || fail "process $watch ended while we waited for '$want'"
		((SECONDS < deadline)) || fail "no '$want' within $WAIT_S s"
	done
}

# tell PID CMD: tells inv_prog PID to run CMD and waits for its answer
# "CMD-ok" (returns) or "CMD-fail WHY" (fails the test).  "ping" answers
# "pong ..." (R_REST).
tell() {
	local pid=$1 cmd=$2 word=${2%% *}
	printf '%s\n' "$cmd" >"$TMP/cmd.new" && chmod 0644 "$TMP/cmd.new" &&
		mv "$TMP/cmd.new" "$TMP/cmd" || exit 99
	kill -USR1 "$pid" || fail "cannot signal process $pid"
	if [[ $cmd == ping ]]; then
		read_reply pong "$pid"
		return 0
	fi
	while :; do
		read_reply_any "$pid"
		case $R_W in
		"$word-ok") return 0 ;;
		"$word-fail") fail "$cmd: $R_REST" ;;
		esac
	done
}

read_reply_any() {
	local deadline=$((SECONDS + WAIT_S)) line
	while :; do
		if read_line; then
			read -r R_W R_REST <<<"$line"
			[[ $R_W == fatal ]] && fail "the program: $line"
			return 0
		fi
		alive "$1" || fail "process $1 ended while we waited for its answer"
		((SECONDS < deadline)) || fail "no answer within $WAIT_S s"
	done
}

# pong_clean: the last ping's answer says no SIGCHLD, no atfork handler
# and the data file's offset as set up.
pong_clean() {
	[[ $R_REST =~ sigchld=0\ prepare=0\ parent=0\ child=0\ offset=4321$ ]] ||
		fail "$1: the program noticed something: $R_REST"
}

# release: one byte through the gate (a writer held there goes on; before
# a request, the next writer is not held).
release() { printf x >&5; }

# ckpt_bg LABEL PID: mtcp_checkpoint --wait PID in the background; sets
# CK_PID, CK_OUT, CK_ERR.
ckpt_bg() {
	NCK=$((NCK + 1))
	log_file CK_OUT "ckpt$NCK.${1// /_}.out"
	log_file CK_ERR "ckpt$NCK.${1// /_}.err"
	"${RUNAS[@]}" "$MTCP_CHECKPOINT" --wait --timeout "$WAIT_S" "$2" \
		</dev/null >"$CK_OUT" 2>"$CK_ERR" 3>&- 5>&- &
	CK_PID=$!
	STARTED+=("$CK_PID")
}

# ckpt_wait: waits for the background mtcp_checkpoint; sets CK_RC, CK_IMG.
ckpt_wait() {
	start_watchdog $((WAIT_S + 5)) "$CK_PID"
	wait "$CK_PID" 2>/dev/null
	CK_RC=$?
	stop_watchdog
	[[ -e $TMP/timeout.$CK_PID ]] && fail "mtcp_checkpoint did not end within $((WAIT_S + 5)) s"
	CK_IMG=$(cat "$CK_OUT")
}

# ckpt_ok: the checkpoint succeeded, its stdout is one existing path, its
# stderr "paused X.XXX ms" then "complete" or "degraded: ...".
ckpt_ok() {
	local lines
	((CK_RC == 0)) || fail "$1: mtcp_checkpoint --wait exit $CK_RC: $(cat "$CK_ERR")"
	[[ $(wc -l <"$CK_OUT") == 1 && -f $CK_IMG && $CK_IMG == "$IMGDIR"/*.mtcp ]] ||
		fail "$1: stdout is not one image path in $IMGDIR: '$(cat "$CK_OUT")'"
	mapfile -t lines <"$CK_ERR"
	[[ ${lines[0]-} =~ ^paused\ [0-9]+\.[0-9]{3}\ ms$ ]] ||
		fail "$1: mtcp_checkpoint's stderr does not start with 'paused X.XXX ms': $(cat "$CK_ERR")"
	[[ ${lines[1]-} =~ ^(complete$|degraded:\ ) ]] ||
		fail "$1: no 'complete' or 'degraded' after 'paused': $(cat "$CK_ERR")"
	((${#lines[@]} == 2)) || fail "$1: mtcp_checkpoint printed more on stderr: $(cat "$CK_ERR")"
	verify "$CK_IMG" "$1"
}

verify() {
	"$MTCP_RESTART" --verify "$1" >"$TMP/verify.out" 2>&1 ||
		fail "$2: mtcp_restart --verify $1: $(cat "$TMP/verify.out")"
}

# checkpoint LABEL PID: a checkpoint whose writer is not held; sets CK_IMG.
checkpoint() {
	release
	ckpt_bg "$1" "$2"
	ckpt_wait
	ckpt_ok "$1"
	gate_empty "$1"
}

# gate_empty WHAT: the byte given in advance was taken (by a writer).
gate_empty() {
	local b
	if read -r -t 0 -u 5 && IFS= read -r -N 1 -t 1 -u 5 b; then
		fail "$1: no writer took the gate's byte: the checkpoint had no writer process"
	fi
}

# find_writer PID [UNTIL]: the writer held at the gate, a child of PID;
# sets W (or fails).  With UNTIL (a pid) returns 3 when UNTIL ended with
# no writer seen.
find_writer() {
	local out rc
	out=$("$WRITER_PROBE" find "$GATE" "$1" $((WAIT_S * 1000)) "${2-0}" 2>"$TMP/probe.err" \
		3>&- 5>&-)
	rc=$?
	W=${out%%$'\n'*}
	case $rc in
	0) STARTED+=("$W"); return 0 ;;
	3) return 3 ;;
	5) STARTED+=("$W"); fail "the writer: $(cat "$TMP/probe.err")" ;;
	*) fail "no writer process held at the gate (probe exit $rc): $(cat "$TMP/probe.err")" ;;
	esac
}

# gone PID MS: PID ends within MS ms.
gone() { "$WRITER_PROBE" gone "$1" "$2" 3>&- 5>&-; }

# images DIR: the final image names there (*.mtcp), one a line, sorted.
images() { find "$1" -maxdepth 1 -name '*.mtcp' | sort; }

# innermost_pid PID: its pid in its own pid namespace.
innermost_pid() {
	local k v
	while read -r k v; do
		[[ $k == NSpid: ]] && { echo "${v##*[[:space:]]}"; return; }
	done 2>/dev/null <"/proc/$1/status"
}

# accept_restored PID PPID: "woke" from the process mtcp_restart ($RST)
# restored; sets RPID, its pid here (it differs in a pid namespace, where
# the program's parent is that namespace's init, mtcp_restart's child).
accept_restored() {
	local init c
	if [[ $2 == "$RST" ]]; then
		RPID=$1
		return 0
	fi
	[[ $2 == 1 ]] || return 1
	for init in $(children_of "$RST"); do
		for c in $(children_of "$init"); do
			if [[ $(innermost_pid "$c") == "$1" && $c != "$1" ]]; then
				RPID=$c
				return 0
			fi
		done
	done
	return 1
}

# restart LABEL IMG: mtcp_restart IMG in the background, until the restored
# program's "woke"; sets RST (mtcp_restart's pid) and RPID.
restart() {
	local out err
	log_file out "$1.restart.out"
	log_file err "$1.restart.err"
	"${RUNAS[@]}" "$MTCP_RESTART" "$2" </dev/null >"$out" 2>"$err" 3>&- 5>&- &
	RST=$!
	STARTED+=("$RST")
	read_reply woke "$RST" accept_restored
	STARTED+=("$RPID")
	say "$1: mtcp_restart $2: pid $RST, the program is $RPID"
}

# finish_restored: tells the restored program to exit; mtcp_restart must
# exit 0 with it.
finish_restored() {
	printf 'exit\n' >"$TMP/cmd.new" && chmod 0644 "$TMP/cmd.new" && mv "$TMP/cmd.new" "$TMP/cmd"
	kill -USR1 "$RPID" || fail "cannot signal the restored program $RPID"
	start_watchdog "$WAIT_S" "$RST"
	wait "$RST" 2>/dev/null
	local rc=$?
	stop_watchdog
	((rc == 0)) || fail "$1: mtcp_restart exited $rc, the restored program was told to exit 0"
}

# prog_exit WHAT: tells the program (PID, started as P_TOP) to exit; it
# must exit 0.
prog_exit() {
	local rc
	printf 'exit\n' >"$TMP/cmd.new" && chmod 0644 "$TMP/cmd.new" && mv "$TMP/cmd.new" "$TMP/cmd"
	kill -USR1 "$PID" || fail "cannot signal the program $PID"
	start_watchdog "$WAIT_S" "$P_TOP"
	wait "$P_TOP" 2>/dev/null
	rc=$?
	stop_watchdog
	((rc == 0)) || fail "$1: the program exited $rc when told to exit 0"
}

# kill_prog: SIGKILL to the program, reaped.
kill_prog() {
	kill -KILL "$PID" 2>/dev/null
	start_watchdog "$WAIT_S" "$P_TOP"
	wait "$P_TOP" 2>/dev/null
	stop_watchdog
}

# cow_lines FILE: MTCP_VERBOSE's copy-on-write lines (not the fallback's).
cow_lines() { grep '^mtcp: copy-on-write ' "$1" | grep -v '^mtcp: copy-on-write not used: '; }

# lines_in FILE REGEX: how many lines match (grep -E).
lines_in() { grep -cE -- "$2" "$1"; }
