#!/bin/bash
# SPDX-License-Identifier: MIT
#
# multiuser.sh [SUBTEST...]: issue 8 from the outside, with two throwaway
# users ("alice" and "bob", created here with unique names and removed with
# everything they own on every exit). Needs root, useradd and setpriv;
# exits 77 (skipped) without them. Sub-tests (all by default):
#
#   a  the impostor socket: bob makes /tmp/mtcp-<alice's uid>/ first and
#      binds the names alice's next program will use (in his directory,
#      and the abstract name used before issue 8). Alice's program must
#      refuse the directory with a message naming bob; `mtcp_checkpoint
#      --wait PID` run by alice and by root must exit non-zero and print
#      none of bob's answers.
#   b  root restarts alice's image: every thread of the restored program
#      has alice's uids, gids and groups (as the original had) and no
#      capability, and it cannot open /etc/shadow. A copy of the image that
#      root chowned to bob is refused; bob restarting alice's image (made
#      readable to him) is refused. A file the image had open that alice
#      can no longer read (root's now, 0600) is not opened for her when
#      root restarts the image (the restart fails, or runs without it).
#   c  a shared sticky (1777) directory where bob planted symlinks and
#      files at every name he can guess: alice's checkpoints there keep
#      succeeding, and nothing of bob's is written or replaced. A 0777
#      (not sticky) directory is refused at launch with a message.
#   d  a setuid-root program linked with the library, run by bob with
#      MTCP_DIR, MTCP_INTERVAL and MTCP_KEEP of his own: the image goes to
#      the directory given to mtcp_init(), the environment is ignored;
#      bob's mtcp_checkpoint is refused, root's served. A copy that calls
#      mtcp_init() without a directory refuses to checkpoint, with a
#      message, and writes nothing to bob's directory (its cwd).
#   e  a process alice restored herself (unprivileged: in a user
#      namespace): bob's mtcp_checkpoint is refused, by its pid and by
#      mtcp_restart's; root's and alice's are served.
#   f  the same with a process restored by `nobody` (uid 65534, the uid
#      other users' requests show as inside a user namespace).
#
# Each sub-test prints one line "PASS x: ..." or "FAIL x: ..." (then, for a
# failure, what was expected and what happened, and the programs' stderr),
# or "SKIP x: why". Exit status: 1 if any failed, 0 if all that ran
# passed, 77 if none ran.
#
# From the environment (meson sets them): MTCP_LAUNCH, MTCP_CHECKPOINT,
# MTCP_RESTART, MTCP_LIB (the library file), SEC_IDS_PROG, SEC_FAKE_SERVER,
# SEC_SETUID_SRC (setuid_linked.c), SEC_INCLUDE (the public headers'
# directory) and SEC_CC (the C compiler: the setuid program is compiled
# here with an absolute run path, which the loader honours in a setuid
# program where it ignores $ORIGIN). Everything the users run is copied
# into a root-owned 0755 temporary directory first. Every wait is bounded
# by MT_WAIT_S seconds (default 30).
set -u

WAIT_S=${MT_WAIT_S:-30}
say() { printf '%s\n' "$*"; }

if ((EUID != 0)); then
	say "SKIP: needs root (it creates two users)"
	exit 77
fi
for c in useradd userdel groupadd groupdel setpriv getent; do
	command -v "$c" >/dev/null || { say "SKIP: $c not found"; exit 77; }
done
for v in MTCP_LAUNCH MTCP_CHECKPOINT MTCP_RESTART MTCP_LIB SEC_IDS_PROG SEC_FAKE_SERVER MT_PTY_RUN; do
	if [[ -z ${!v-} || ! -f ${!v} ]]; then
		say "multiuser.sh: $v is not set to a file (run it through meson test)" >&2
		exit 99
	fi
done

SUBTESTS=("$@")
((${#SUBTESTS[@]})) || SUBTESTS=(a b c d e f g)
for s in "${SUBTESTS[@]}"; do
	[[ $s =~ ^[a-g]$ ]] || { say "multiuser.sh: unknown sub-test '$s' (a..g)" >&2; exit 99; }
done

# Only stdin, stdout and stderr go to the programs.
for f in /proc/"$$"/fd/*; do
	f=${f##*/}
	((f > 2)) && eval "exec $f>&-" 2>/dev/null
done

# ---- the workspace and the users -------------------------------------------------
T=$(mktemp -d /tmp/mtcp-sec.XXXXXX) || exit 99
chmod 0755 "$T"
cd "$T" || exit 99

suffix=$$
while getent passwd "mtcpalice$suffix" >/dev/null || getent passwd "mtcpbob$suffix" >/dev/null ||
	getent group "mtcpxg$suffix" >/dev/null; do
	suffix=$((suffix + 1))
done
ALICE=mtcpalice$suffix BOB=mtcpbob$suffix XG=mtcpxg$suffix
CREATED_USERS=() CREATED_GROUP=
AUID="" BUID=""
STARTED=() # "pid:starttime" of every process started or found here

starttime() {
	local s
	read -r s 2>/dev/null <"/proc/$1/stat" || return 1
	s=${s##*) }
	# shellcheck disable=SC2086 # the fields after the name
	set -- $s
	echo "${20}"
}
track() {
	local st
	st=$(starttime "$1") && STARTED+=("$1:$st")
}
# kill_tree PID: PID and every process below it
kill_tree() {
	local c
	for c in $(cat /proc/"$1"/task/*/children 2>/dev/null); do
		kill_tree "$c"
	done
	kill -KILL "$1" 2>/dev/null
}
# kills each tracked process (and what runs below it) if it is still the
# one we started
kill_tracked() {
	local e pid st
	for e in "${STARTED[@]}"; do
		pid=${e%%:*} st=${e#*:}
		[[ $(starttime "$pid" 2>/dev/null) == "$st" ]] && kill_tree "$pid"
	done
}
# user_pids: every process whose real or effective uid is one of the
# throwaway users (they were made by this script: whatever runs as them
# was started here)
user_pids() {
	local d k r e _ uid
	for d in /proc/[0-9]*; do
		while read -r k r e _; do
			if [[ $k == Uid: ]]; then
				for uid in $AUID $BUID; do
					[[ $r == "$uid" || $e == "$uid" ]] && echo "${d#/proc/}"
				done
				break
			fi
		done 2>/dev/null <"$d/status"
	done
}
# removes /tmp/mtcp-<uid>/ctl.<pid> sockets left by killed processes of
# ours in a directory others use too (root's, nobody's)
STALE_SOCKETS=()
cleanup() {
	local i s
	kill_tracked
	# bounded: the users' processes must be gone before userdel
	for ((i = 0; i < 100; i++)); do
		[[ -n $AUID$BUID ]] || break
		s=$(user_pids)
		[[ -n $s ]] || break
		# shellcheck disable=SC2086 # a list of pids
		kill -KILL $s 2>/dev/null
		sleep 0.05
	done
	wait 2>/dev/null
	for s in "${STALE_SOCKETS[@]}"; do
		[[ -S $s ]] && rm -f "$s"
	done
	[[ -n $AUID ]] && rm -rf "/tmp/mtcp-$AUID"
	[[ -n $BUID ]] && rm -rf "/tmp/mtcp-$BUID"
	for u in "${CREATED_USERS[@]}"; do
		userdel "$u" 2>/dev/null
		getent group "$u" >/dev/null && groupdel "$u" 2>/dev/null
	done
	[[ -n $CREATED_GROUP ]] && groupdel "$CREATED_GROUP" 2>/dev/null
	cd /
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

groupadd "$XG" || { say "SKIP: groupadd $XG failed"; exit 77; }
CREATED_GROUP=$XG
for u in "$ALICE" "$BOB"; do
	extra=()
	[[ $u == "$ALICE" ]] && extra=(--groups "$XG")
	if ! useradd --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin \
		--user-group "${extra[@]}" "$u"; then
		say "SKIP: useradd $u failed"
		exit 77
	fi
	CREATED_USERS+=("$u")
done
AUID=$(id -u "$ALICE")
BUID=$(id -u "$BOB")
# a directory of that name from an earlier user with the same uid
rm -rf "/tmp/mtcp-$AUID" "/tmp/mtcp-$BUID"
say "users: alice = $ALICE ($AUID, groups $(id -G "$ALICE")), bob = $BOB ($BUID)"

# ---- the programs, where the users can read them ---------------------------------------
mkdir -p "$T/src/tools" "$T/src/restart" "$T/src/engine" "$T/bin"
cp "$MTCP_LAUNCH" "$MTCP_CHECKPOINT" "$T/src/tools/" &&
	cp "$MTCP_RESTART" "$T/src/restart/" &&
	cp "$MTCP_LIB" "$T/src/engine/libmtcp-fast.so.0" &&
	ln -s libmtcp-fast.so.0 "$T/src/engine/libmtcp-fast.so" &&
	cp "$SEC_IDS_PROG" "$T/bin/ids_prog" &&
	cp "$SEC_FAKE_SERVER" "$T/bin/fake_ctl_server" || exit 99
chmod -R a+rX "$T"
LAUNCH=$T/src/tools/mtcp_launch
CKPT=$T/src/tools/mtcp_checkpoint
RESTART=$T/src/restart/mtcp_restart
IDS=$T/bin/ids_prog
FAKE=$T/bin/fake_ctl_server

# What every program gets: no MTCP_* from our environment.
BASE_ENV=(PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin LANG=C)
for v in ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS MSAN_OPTIONS; do
	[[ -n ${!v-} ]] && BASE_ENV+=("$v=${!v}")
done
# as USER CMD... runs CMD as USER (real, effective and saved ids, groups);
# asroot CMD... as root. Both are programs (they exec CMD), so that a
# background "as USER CMD &" has CMD's pid in $!.
AS=$T/bin/as ASROOT=$T/bin/asroot
{
	echo '#!/bin/sh'
	echo 'u=$1; shift'
	printf 'exec setpriv --reuid="$u" --regid="$(id -g "$u")" --init-groups -- env -i'
	printf ' %q' "${BASE_ENV[@]}"
	echo ' "$@"'
} >"$AS"
{
	echo '#!/bin/sh'
	printf 'exec env -i'
	printf ' %q' "${BASE_ENV[@]}"
	echo ' "$@"'
} >"$ASROOT"
chmod 0755 "$AS" "$ASROOT"
as() { "$AS" "$@"; }
asroot() { "$ASROOT" "$@"; }

# ---- helpers -------------------------------------------------------------------------------
PROBLEMS=()
problem() { PROBLEMS+=("$*"); }

# bg OUT ERR CMD...: starts CMD in the background; sets BG_PID
# stdout through a pipe (to a cat that writes OUT): a program's stdout that
# is a pipe to outside becomes its mtcp_restart's stdout after a restart,
# so each process's lines land in its own file (a file would be reopened)
bg() {
	local out=$1 err=$2
	shift 2
	"$@" </dev/null > >(cat >"$out") 2>"$err" &
	BG_PID=$!
	track "$BG_PID"
}
# state PID: the one-letter state (Z, T, ...), or nothing when gone
state() {
	local s
	read -r s 2>/dev/null <"/proc/$1/stat" || return 1
	s=${s##*) }
	echo "${s:0:1}"
}
alive() {
	local s
	s=$(state "$1") && [[ $s != Z ]]
}
# wait_line FILE REGEX PID [SECONDS]: until FILE has a line matching REGEX
# (0), or PID is gone (1), or SECONDS (default WAIT_S) passed (2)
wait_line() {
	local file=$1 re=$2 pid=$3 deadline=$((SECONDS + ${4:-$WAIT_S}))
	while ((SECONDS < deadline)); do
		grep -Eq -- "$re" "$file" 2>/dev/null && return 0
		if [[ -n $pid ]] && ! alive "$pid"; then
			grep -Eq -- "$re" "$file" 2>/dev/null && return 0
			return 1
		fi
		sleep 0.05
	done
	return 2
}
# wait_state PID LETTER: until the process is in that state (bounded)
wait_state() {
	local deadline=$((SECONDS + WAIT_S))
	while ((SECONDS < deadline)); do
		[[ $(state "$1") == "$2" ]] && return 0
		sleep 0.02
	done
	return 1
}
# reap PID: waits (bounded) for our child to end; sets RC (or kills it
# and sets RC=timeout)
reap() {
	local deadline=$((SECONDS + WAIT_S))
	while alive "$1" && ((SECONDS < deadline)); do
		sleep 0.05
	done
	if alive "$1"; then
		kill -KILL "$1" 2>/dev/null
		wait "$1" 2>/dev/null
		RC=timeout
		return 1
	fi
	wait "$1" 2>/dev/null
	RC=$?
	return 0
}
stop_kill() {
	local p
	for p in "$@"; do
		[[ -n $p ]] || continue
		kill -KILL "$p" 2>/dev/null
	done
}
# run_client WHO PID: `mtcp_checkpoint --wait --timeout 10 PID` as WHO
# (a user name or root); sets CL_RC, CL_OUT, CL_ERR
run_client() {
	local who=$1 pid=$2 t=${3:-10}
	if [[ $who == root ]]; then
		CL_OUT=$(asroot "$CKPT" --wait --timeout "$t" "$pid" 2>"$T/client.err")
	else
		CL_OUT=$(as "$who" "$CKPT" --wait --timeout "$t" "$pid" 2>"$T/client.err")
	fi
	CL_RC=$?
	CL_ERR=$(head -c 400 "$T/client.err")
}
# start_stopped OUT ERR USER CMD...: starts CMD as USER, stopped just
# before it executes CMD (so its pid is known before it runs); sets BG_PID
start_stopped() {
	local out=$1 err=$2 u=$3
	shift 3
	# shellcheck disable=SC2016 # $$ and $@ belong to the inner shell
	bg "$out" "$err" "$AS" "$u" sh -c 'kill -STOP $$; exec "$@"' sh "$@"
	wait_state "$BG_PID" T
}
# ids_of PID: the Uid/Gid/Groups/CapEff lines of each of its threads, one
# line per thread ("TID Uid... | Gid... | Groups... | CapEff...")
ids_of() {
	local t k v line
	for t in /proc/"$1"/task/*; do
		line=
		while IFS=: read -r k v; do
			case $k in
			Uid | Gid | Groups | CapEff) line+="$k:$(echo $v) | " ;;
			esac
		done 2>/dev/null <"$t/status"
		echo "${t##*/} ${line% | }"
	done
}
images_in() { find "$1" -maxdepth 1 -name '*.mtcp' 2>/dev/null | wc -l; }
logs() {
	local f
	for f in "$@"; do
		[[ -s $f ]] || continue
		echo "    --- ${f#"$T"/} ---"
		head -n 8 "$f" | sed 's/^/    /'
	done
}
# mkuserdir USER PATH [MODE]: a directory owned by USER
mkuserdir() {
	mkdir -p "$2" && chown "$1:$(id -g "$1")" "$2" && chmod "${3:-0700}" "$2"
}

# ---- a: the impostor socket -----------------------------------------------------------------
sub_a() {
	local w=$T/a d=/tmp/mtcp-$AUID fake_img=/tmp/FAKE-from-$BOB.mtcp P F msg who
	mkdir -p "$w"
	mkuserdir "$ALICE" "$w/img"
	# (alice's own, from an earlier sub-test: her processes are gone)
	rm -rf "$d"
	# bob's directory at the name alice's processes use, open to all
	as "$BOB" mkdir -m 0777 "$d" || { problem "setup: bob cannot create $d"; return 1; }
	start_stopped "$w/prog.out" "$w/prog.err" "$ALICE" "$LAUNCH" --dir "$w/img" -- "$IDS" 1 ||
		{ problem "setup: alice's program did not stop before its exec"; return 1; }
	P=$BG_PID
	STALE_SOCKETS+=("$d/ctl.$P")
	# bob binds the name alice's program will listen on: in his directory,
	# and the abstract name used before issue 8
	bg "$w/fake.out" "$w/fake.err" "$AS" "$BOB" "$FAKE" --image "$fake_img" \
		--path "$d/ctl.$P" --abstract "mtcp-fast.$P"
	F=$BG_PID
	wait_line "$w/fake.out" '^listening' "$F" ||
		{ problem "setup: bob's fake server did not listen: $(cat "$w/fake.out" "$w/fake.err")"; return 1; }
	kill -CONT "$P"
	# the program runs (ready) or the library stopped it: either way, then
	# its stderr must name bob
	wait_line "$w/prog.out" '^ready' "$P"
	# (the message may come from the control thread a little later)
	wait_line "$w/prog.err" "$BOB|uid $BUID|\($BUID\)" "$P" 5
	if grep -Eq "$BOB|uid $BUID|\($BUID\)" "$w/prog.err"; then
		msg=$(grep -E "$BOB|uid $BUID|\($BUID\)" "$w/prog.err" | head -n 1)
		say "  alice's program: $msg"
	else
		problem "alice's program must refuse $d (made by bob) with a message naming $BOB;" \
			"its stderr: $(head -c 300 "$w/prog.err" | tr '\n' ' ')"
	fi
	for who in "$ALICE" root; do
		run_client "$who" "$P"
		say "  mtcp_checkpoint --wait $P as ${who/$ALICE/alice}: exit $CL_RC, stdout '$CL_OUT', stderr '$CL_ERR'"
		if [[ $CL_OUT == *FAKE-from-* ]]; then
			problem "mtcp_checkpoint --wait $P run by ${who/$ALICE/alice} printed bob's image path" \
				"'$CL_OUT' (exit $CL_RC): it trusted bob's socket"
		elif ((CL_RC == 0)); then
			problem "mtcp_checkpoint --wait $P run by ${who/$ALICE/alice} must exit non-zero" \
				"(the control directory belongs to bob); it exited 0 printing '$CL_OUT'"
		fi
	done
	say "  bob's fake server answered $(grep -c '^served' "$w/fake.out") request(s)"
	stop_kill "$P" "$F"
	reap "$P"
	reap "$F"
	rm -rf "$d"
	((${#PROBLEMS[@]} == 0))
}

# ---- b: root restarts alice's image -------------------------------------------------------
# restart_refused WHO IMAGE LABEL: mtcp_restart IMAGE as WHO must exit
# non-zero without running the program
restart_refused() {
	local who=$1 img=$2 label=$3 w=$T/b R
	if [[ $who == root ]]; then
		bg "$w/$label.out" "$w/$label.err" "$ASROOT" "$RESTART" "$img"
	else
		bg "$w/$label.out" "$w/$label.err" "$AS" "$who" "$RESTART" "$img"
	fi
	R=$BG_PID
	if wait_line "$w/$label.out" '^tick' "$R"; then
		problem "$label: mtcp_restart run by ${who/$BOB/bob} must refuse $img; the program ran:" \
			"$(grep -m1 '^tick' "$w/$label.out")"
		kill_tree "$R"
		reap "$R"
		return
	fi
	reap "$R"
	if [[ $RC == 0 || $RC == timeout ]]; then
		problem "$label: mtcp_restart run by ${who/$BOB/bob} must exit non-zero; exit $RC"
	fi
	say "  $label: mtcp_restart by ${who/$BOB/bob}: exit $RC: $(head -n 1 "$w/$label.err")"
}
sub_b() {
	local w=$T/b P img R Q orig now t bad=0 line f
	mkdir -p "$w"
	mkuserdir "$ALICE" "$w/img"
	# a file alice's program keeps open (b4 takes it away from her);
	# readable to bob, so that only the image's owner can stop b3
	echo "alice's" >"$w/alice-file"
	chown "$ALICE:" "$w/alice-file"
	chmod 0644 "$w/alice-file"
	bg "$w/prog.out" "$w/prog.err" "$AS" "$ALICE" "$LAUNCH" --dir "$w/img" -- "$IDS" 3 "$w/alice-file"
	P=$BG_PID
	wait_line "$w/prog.out" '^ready' "$P" || { problem "setup: alice's program did not start"; logs "$w/prog.err"; return 1; }
	orig=$(ids_of "$P" | cut -d' ' -f2- | sort -u)
	say "  alice's program $P, every thread: $orig"
	[[ $(wc -l <<<"$orig") == 1 ]] || problem "setup: alice's threads differ in their ids: $orig"
	run_client "$ALICE" "$P" 60
	img=$CL_OUT
	if ((CL_RC != 0)) || [[ ! -f $img ]]; then
		problem "setup: alice's checkpoint failed: exit $CL_RC: $CL_ERR"
		stop_kill "$P"
		reap "$P"
		return 1
	fi
	stop_kill "$P"
	reap "$P"

	# b1: root restarts it
	bg "$w/root.out" "$w/root.err" "$ASROOT" "$RESTART" "$img"
	R=$BG_PID
	if ! wait_line "$w/root.out" '^tick' "$R"; then
		problem "root's restart of alice's image must run the program (as alice);" \
			"it did not: $(head -n 2 "$w/root.err")"
		kill_tree "$R"
		reap "$R"
	else
		Q=$(grep -m1 '^tick' "$w/root.out" | cut -d' ' -f2)
		track "$Q"
		now=$(ids_of "$Q")
		while read -r t line; do
			if [[ $line != "$orig" ]]; then
				problem "restored thread $t (restarted by root) must have alice's ids" \
					"'$orig'; it has '$line'"
				bad=1
			fi
		done <<<"$now"
		((bad)) || say "  restored by root: $(wc -l <<<"$now") threads, each with alice's ids"
		kill -USR1 "$Q"
		if wait_line "$w/root.out" '^report-end' "$Q"; then
			line=$(grep -m1 '^shadow:' "$w/root.out")
			say "  restored by root: $line"
			[[ $line == "shadow: refused (EACCES)" ]] ||
				problem "alice's program restarted by root must not open /etc/shadow" \
					"(expected 'shadow: refused (EACCES)'); it says '$line'"
		else
			problem "the restored program did not report its ids after SIGUSR1"
		fi
		kill -KILL "$Q"
		reap "$R"
	fi

	# b2: root chowned a copy of alice's image to bob
	cp -p "$img" "$w/chowned-to-bob.mtcp" && chown "$BOB:" "$w/chowned-to-bob.mtcp"
	restart_refused root "$w/chowned-to-bob.mtcp" "b2-chowned"

	# b3: bob restarts alice's image, made readable to him
	cp -p "$img" "$w/readable.mtcp" && chmod 0644 "$w/readable.mtcp"
	restart_refused "$BOB" "$w/readable.mtcp" "b3-bob"

	# b4: the file alice's program had open is root's now (as /etc/shadow
	# is): root's restart must open it as alice, that is, fail to
	chown root:root "$w/alice-file"
	chmod 0600 "$w/alice-file"
	bg "$w/b4.out" "$w/b4.err" "$ASROOT" "$RESTART" "$img"
	R=$BG_PID
	if wait_line "$w/b4.out" '^tick' "$R"; then
		Q=$(grep -m1 '^tick' "$w/b4.out" | cut -d' ' -f2)
		track "$Q"
		line="it runs without the file"
		for f in /proc/"$Q"/fd/*; do
			if [[ $(readlink "$f") == "$w/alice-file" ]]; then
				line="it holds the file as fd ${f##*/}"
				problem "b4: root restarted alice's image and opened $w/alice-file (root's, 0600)" \
					"for her program (fd ${f##*/}): the image's paths must be opened as alice"
			fi
		done
		kill -KILL "$Q"
		reap "$R"
		say "  b4: alice's file now root's 0600: root's restart ran the program; $line"
	else
		reap "$R"
		say "  b4: alice's file now root's 0600: root's restart: exit $RC: $(head -n 1 "$w/b4.err")"
	fi

	# b5: root restarts it from a terminal: refused, or alice's program
	# would hold root's terminal (and could type into it)
	bg "$w/b5.out" "$w/b5.err" "$ASROOT" "$MT_PTY_RUN" "$RESTART" "$img"
	R=$BG_PID
	if wait_line "$w/b5.out" '^tick' "$R"; then
		problem "b5: root's restart of alice's image on a terminal must be refused; it ran"
		kill_tree "$R"
		reap "$R"
	else
		reap "$R"
		line=$(grep -m1 'mtcp_restart' "$w/b5.out" "$w/b5.err" | head -n 1)
		say "  b5: on root's terminal: exit $RC: ${line#*:}"
		if [[ $RC == 0 || $RC == timeout ]] || [[ $line != *"is a terminal"* ]]; then
			problem "b5: expected a non-zero exit and a refusal naming the terminal;" \
				"exit $RC: '$line'"
		fi
	fi
	((${#PROBLEMS[@]} == 0)) || logs "$w/root.err"
	((${#PROBLEMS[@]} == 0))
}

# ---- c: the shared sticky directory ---------------------------------------------------
# bob_plant DIR PREFIX FROM TO TARGET: bob plants, for SEQ FROM..TO, a
# symlink to TARGET at .PREFIX.SEQ.mtcp.tmp and PREFIX.SEQ.mtcp.tmp, and
# a file of his at PREFIX.SEQ.mtcp (where he can: not over a file of
# alice's). What he planted is added to $T/c/planted.
bob_plant() {
	# shellcheck disable=SC2016 # the inner shell's variables
	as "$BOB" sh -c '
		d=$1 p=$2 s=$3 to=$4 target=$5
		while [ "$s" -le "$to" ]; do
			ln -s "$target" "$d/.$p.$s.mtcp.tmp" 2>/dev/null
			ln -s "$target" "$d/$p.$s.mtcp.tmp" 2>/dev/null
			[ -e "$d/$p.$s.mtcp" ] || echo bob >"$d/$p.$s.mtcp"
			s=$((s + 1))
		done' sh "$@"
	find "$1" -mindepth 1 -user "$BOB" >"$T/c/planted"
}
sub_c() {
	local w=$T/c S P i f n path bad=0 O P2 msg names lineage seq
	mkdir -p "$w"
	S=$w/shared
	mkdir -m 1777 "$S"
	# bob's file that a symlink would lead alice's writes into
	touch "$w/bob-target" && chown "$BOB:" "$w/bob-target" && chmod 0666 "$w/bob-target"
	start_stopped "$w/prog.out" "$w/prog.err" "$ALICE" "$LAUNCH" --dir "$S" -- "$IDS" 1 ||
		{ problem "setup: alice's program did not stop before its exec"; return 1; }
	P=$BG_PID
	# every name bob can guess before the first image: the temporary and
	# final names before issue 8 (PROG.PID.SEQ), for the first 64
	# checkpoints (the names of issue 8 carry a random lineage id)
	bob_plant "$S" "ids_prog.$P" 1 64 "$w/bob-target"
	say "  bob planted $(wc -l <"$w/planted") names in $S for pid $P"
	kill -CONT "$P"
	wait_line "$w/prog.out" '^ready' "$P" || { problem "setup: alice's program did not start: $(head -n 2 "$w/prog.err")"; return 1; }
	for ((i = 1; i <= 5; i++)); do
		if ((i == 2)); then
			# the first image shows alice's lineage to anyone who lists
			# the directory: bob plants her next 64 names
			names=$(as "$BOB" ls -A "$S")
			lineage=$(grep -Eo -m1 "^ids_prog\.$P\.[0-9a-f]{8}\.[0-9]+\.mtcp\$" <<<"$names")
			if [[ -n $lineage ]]; then
				seq=${lineage%.mtcp}
				seq=${seq##*.}
				bob_plant "$S" "$(cut -d. -f1-3 <<<"$lineage")" $((seq + 1)) $((seq + 64)) "$w/bob-target"
				say "  bob saw $lineage and planted its next 64 names ($(wc -l <"$w/planted") names in all)"
			fi
		fi
		run_client "$ALICE" "$P" 60
		path=$CL_OUT
		if ((CL_RC != 0)); then
			problem "alice's checkpoint $i in the sticky directory must succeed; exit $CL_RC: $CL_ERR"
			continue
		fi
		if [[ ${path%/*} != "$S" || -L $path || ! -f $path ]]; then
			problem "checkpoint $i: expected a regular file in $S, got '$path'"
			continue
		fi
		O=$(stat -c '%U %a' "$path")
		[[ $O == "$ALICE 600" ]] || problem "checkpoint $i: $path is '$O', expected '$ALICE 600'"
		as "$ALICE" "$RESTART" --verify "$path" >/dev/null 2>"$w/verify.err" ||
			problem "checkpoint $i: $path does not verify: $(head -n 1 "$w/verify.err")"
		say "  checkpoint $i: $path"
	done
	# nothing of bob's was written, removed or replaced
	[[ $(stat -c '%s %U' "$w/bob-target") == "0 $BOB" ]] ||
		problem "bob's target file behind the symlinks changed: $(stat -c '%s bytes, owner %U' "$w/bob-target")"
	n=0
	while read -r f; do
		n=$((n + 1))
		if [[ $f == *.tmp ]]; then
			[[ -L $f && $(stat -c %U "$f") == "$BOB" && $(readlink "$f") == "$w/bob-target" ]] ||
				bad=$((bad + 1))
		else
			[[ -f $f && ! -L $f && $(stat -c %U "$f") == "$BOB" && $(cat "$f") == bob ]] ||
				bad=$((bad + 1))
		fi
	done <"$w/planted"
	((bad)) && problem "$bad of bob's $n planted names were replaced or rewritten"
	stop_kill "$P"
	reap "$P"

	# c2: a directory everyone can write, without the sticky bit
	mkdir -m 0777 "$w/open"
	chmod 0777 "$w/open"
	bg "$w/open.out" "$w/open.err" "$AS" "$ALICE" "$LAUNCH" --dir "$w/open" -- "$IDS" 1
	P2=$BG_PID
	wait_line "$w/open.out" '^ready' "$P2"
	if alive "$P2"; then
		run_client "$ALICE" "$P2" 20
		say "  0777 directory: the program runs; alice's mtcp_checkpoint: exit $CL_RC '$CL_OUT' $CL_ERR"
	fi
	stop_kill "$P2"
	reap "$P2"
	msg=$(grep -F -m1 "$w/open" "$w/open.err")
	if [[ -z $msg ]]; then
		problem "launching with --dir $w/open (mode 0777, not sticky) must be refused with a" \
			"message naming the directory; stderr: '$(head -c 300 "$w/open.err" | tr '\n' ' ')'"
	else
		say "  0777 directory: $msg"
	fi
	(($(images_in "$w/open") == 0)) ||
		problem "no image may be written into $w/open (0777, not sticky); found: $(ls "$w/open")"
	((${#PROBLEMS[@]} == 0))
}

# ---- d: a setuid program linked with the library -------------------------------------------
sub_d() {
	local w=$T/d L prog P P3 line rc path n
	if [[ -z ${SEC_CC-} || -z ${SEC_SETUID_SRC-} || -z ${SEC_INCLUDE-} ]]; then
		SKIP_WHY="SEC_CC, SEC_SETUID_SRC or SEC_INCLUDE not set"
		return 77
	fi
	if findmnt -n -o OPTIONS -T "$T" | grep -qw nosuid; then
		SKIP_WHY="$T is on a nosuid file system"
		return 77
	fi
	mkdir -p "$w/lib"
	L=$w/lib
	cp "$MTCP_LIB" "$L/libmtcp-fast.so.0" && ln -s libmtcp-fast.so.0 "$L/libmtcp-fast.so"
	prog=$w/setuid_linked
	# shellcheck disable=SC2086 # SEC_CC may be a command with arguments
	if ! $SEC_CC -std=gnu11 -o "$prog" "$SEC_SETUID_SRC" -I"$SEC_INCLUDE" -L"$L" -lmtcp-fast \
		-Wl,-rpath,"$L" 2>"$w/cc.err"; then
		SKIP_WHY="cannot compile setuid_linked.c: $(head -n 2 "$w/cc.err")"
		return 77
	fi
	chown root:root "$prog"
	chmod 4755 "$prog"
	mkdir -m 0700 "$w/rootimg"
	mkuserdir "$BOB" "$w/bobdir"

	# d1: the dir from mtcp_init; bob's environment is not read
	bg "$w/d1.out" "$w/d1.err" "$AS" "$BOB" env MTCP_DIR="$w/bobdir" MTCP_INTERVAL=0.1 MTCP_KEEP=1000 \
		"$prog" --dir "$w/rootimg"
	P=$BG_PID
	if ! wait_line "$w/d1.out" '^ready' "$P"; then
		problem "the setuid program with a directory did not start: $(head -n 3 "$w/d1.err" | tr '\n' ' ')"
		stop_kill "$P"
		reap "$P"
	else
		STALE_SOCKETS+=("/tmp/mtcp-0/ctl.$P")
		line=$(awk '$1 == "Uid:" { print $2, $3, $4 }' "/proc/$P/status")
		if [[ $line != "$BUID 0 0" ]]; then
			SKIP_WHY="the setuid bit was not honoured (Uid: $line)"
			stop_kill "$P"
			reap "$P"
			return 77
		fi
		read -r _ rc path < <(grep -m1 '^checkpoint' "$w/d1.out")
		if [[ $rc != 1 || ${path%/*} != "$w/rootimg" ]]; then
			problem "the setuid program's own checkpoint must go to the directory given to" \
				"mtcp_init() ($w/rootimg); it says 'checkpoint $rc $path'"
		else
			say "  setuid program (ruid bob, euid 0): its image $path"
		fi
		# bob's MTCP_INTERVAL=0.1 must not start periodic checkpoints: one
		# second of polling for images that should not appear
		for ((n = 0; n < 20; n++)); do
			(($(images_in "$w/bobdir") == 0 && $(images_in "$w/rootimg") <= 1)) || break
			sleep 0.05
		done
		(($(images_in "$w/bobdir") == 0)) ||
			problem "images appeared in bob's MTCP_DIR $w/bobdir: $(ls "$w/bobdir")"
		(($(images_in "$w/rootimg") <= 1)) ||
			problem "bob's MTCP_INTERVAL=0.1 was obeyed: $(images_in "$w/rootimg") images in $w/rootimg after 1 s"
		# d2: bob asks for a checkpoint: refused; root: served
		n=$(images_in "$w/rootimg")
		run_client "$BOB" "$P"
		say "  bob's mtcp_checkpoint --wait $P: exit $CL_RC '$CL_OUT' $CL_ERR"
		if ((CL_RC == 0)); then
			problem "bob's mtcp_checkpoint of the setuid-root process must be refused" \
				"(it serves only uid 0); it was served: '$CL_OUT'"
		fi
		run_client root "$P" 30
		say "  root's mtcp_checkpoint --wait $P: exit $CL_RC '$CL_OUT' $CL_ERR"
		if ((CL_RC != 0)) || [[ ${CL_OUT%/*} != "$w/rootimg" ]]; then
			problem "root's mtcp_checkpoint of the setuid-root process must be served with an image" \
				"in $w/rootimg; exit $CL_RC '$CL_OUT' $CL_ERR"
		fi
		stop_kill "$P"
		reap "$P"
	fi

	# d3: no directory given to mtcp_init(): no checkpoint, a message; the
	# cwd (bob's) and bob's MTCP_DIR get nothing
	bg "$w/d3.out" "$w/d3.err" sh -c 'cd "$1" && shift && exec "$@"' sh "$w/bobdir" \
		"$AS" "$BOB" env MTCP_DIR="$w/bobdir" "$prog"
	P3=$BG_PID
	STALE_SOCKETS+=("/tmp/mtcp-0/ctl.$P3")
	wait_line "$w/d3.out" '^ready' "$P3"
	read -r _ rc path < <(grep -m1 '^checkpoint' "$w/d3.out")
	line=$(grep -m1 '^init' "$w/d3.out")
	say "  setuid program without a directory: '$line', 'checkpoint ${rc:-?} ${path:-?}'," \
		"stderr '$(head -n 1 "$w/d3.err")'"
	if [[ ${rc-} == 1 ]]; then
		problem "the setuid program without a directory from mtcp_init() must not checkpoint;" \
			"mtcp_checkpoint() returned MTCP_CHECKPOINTED ($path)"
	fi
	[[ -s $w/d3.err ]] ||
		problem "the setuid program without a directory must say why it does not checkpoint (stderr is empty)"
	(($(images_in "$w/bobdir") == 0)) ||
		problem "the setuid program wrote into bob's directory: $(ls "$w/bobdir")"
	stop_kill "$P3"
	reap "$P3"
	((${#PROBLEMS[@]} == 0))
}

# ---- e, f: a process restored in a user namespace ------------------------------------------
# descendant_with_nspid ROOT INNER: the pid (as we see it) of the process
# below ROOT whose innermost pid is INNER, in another pid namespace
descendant_with_nspid() {
	local top=$1 inner=$2 p c k v f
	for c in $(cat /proc/"$top"/task/*/children 2>/dev/null); do
		while read -r k v; do
			if [[ $k == NSpid: ]]; then
				read -r -a f <<<"$v"
				if ((${#f[@]} > 1)) && [[ ${f[-1]} == "$inner" ]]; then
					echo "$c"
					return 0
				fi
				break
			fi
		done 2>/dev/null <"/proc/$c/status"
		p=$(descendant_with_nspid "$c" "$inner") && { echo "$p"; return 0; }
	done
	return 1
}
sub_userns() {
	local owner=$1 label=$2 w=$T/$3 P img R Q inner who target
	mkdir -p "$w"
	mkuserdir "$owner" "$w/img"
	bg "$w/prog.out" "$w/prog.err" "$AS" "$owner" "$LAUNCH" --dir "$w/img" -- "$IDS" 2
	P=$BG_PID
	STALE_SOCKETS+=("/tmp/mtcp-$(id -u "$owner")/ctl.$P")
	wait_line "$w/prog.out" '^ready' "$P" || { problem "setup: $label's program did not start"; logs "$w/prog.err"; return 1; }
	run_client "$owner" "$P" 60
	img=$CL_OUT
	stop_kill "$P"
	reap "$P"
	if [[ ! -f $img ]]; then
		problem "setup: $label's checkpoint failed: exit $CL_RC: $CL_ERR"
		return 1
	fi
	bg "$w/restart.out" "$w/restart.err" "$AS" "$owner" "$RESTART" "$img"
	R=$BG_PID
	if ! wait_line "$w/restart.out" '^tick' "$R"; then
		problem "setup: $label's own restart did not run: $(head -n 2 "$w/restart.err")"
		kill_tree "$R"
		reap "$R"
		return 1
	fi
	inner=$(grep -m1 '^tick' "$w/restart.out" | cut -d' ' -f2)
	Q=$(descendant_with_nspid "$R" "$inner")
	if [[ -z $Q ]] || [[ $(readlink "/proc/$Q/ns/user") == $(readlink /proc/self/ns/user) ]]; then
		SKIP_WHY="$label's restart did not use a user and pid namespace"
		kill_tree "$R"
		reap "$R"
		return 77
	fi
	track "$Q"
	STALE_SOCKETS+=("/tmp/mtcp-$(id -u "$owner")/ctl.$Q" "/tmp/mtcp-$(id -u "$owner")/ctl.$R")
	say "  restored by $label in a user namespace: pid $Q here ($inner inside), mtcp_restart $R"
	for target in "$Q" "$R"; do
		run_client "$BOB" "$target"
		say "  bob's mtcp_checkpoint --wait $target: exit $CL_RC '$CL_OUT' $CL_ERR"
		((CL_RC != 0)) ||
			problem "bob's mtcp_checkpoint of $label's restored process (pid $target) must be refused;" \
				"it was served: '$CL_OUT'"
	done
	for who in root "$owner"; do
		for target in "$Q" "$R"; do
			run_client "$who" "$target" 60
			say "  ${who/$ALICE/alice}'s mtcp_checkpoint --wait $target: exit $CL_RC '$CL_OUT' $CL_ERR"
			if ((CL_RC != 0)) || [[ ! -f $CL_OUT ]]; then
				problem "${who/$ALICE/alice}'s mtcp_checkpoint of $label's restored process (pid $target)" \
					"must be served; exit $CL_RC '$CL_OUT' $CL_ERR"
			elif [[ $(stat -c %U "$CL_OUT") != "$owner" ]]; then
				problem "the image $CL_OUT must belong to $owner: $(stat -c %U "$CL_OUT")"
			fi
		done
	done
	kill_tree "$R"
	reap "$R"
	((${#PROBLEMS[@]} == 0))
}
sub_e() { sub_userns "$ALICE" alice e; }
sub_f() {
	getent passwd nobody >/dev/null || { SKIP_WHY="no user nobody"; return 77; }
	[[ $(id -u nobody) == 65534 ]] || { SKIP_WHY="nobody is not uid 65534"; return 77; }
	sub_userns nobody nobody f
}

# ---- the run ------------------------------------------------------------------------------------
# ---- g: capabilities ----------------------------------------------------------------------
# caps_of PID: "TID CapInh CapPrm CapEff CapBnd CapAmb" for each thread (/proc order)
caps_of() {
	local t
	for t in /proc/"$1"/task/*; do
		printf '%s ' "${t##*/}"
		awk '$1 ~ /^Cap(Eff|Prm|Inh|Bnd|Amb):$/ { printf "%s ", $2 }' "$t/status"
		echo
	done
}
sub_g() {
	local w=$T/g P img R Q want now t line bad=0
	mkdir -p "$w/img"
	chmod 0700 "$w/img"
	# root's program, left with CAP_NET_BIND_SERVICE (bit 10) alone by its exec
	bg "$w/prog.out" "$w/prog.err" "$ASROOT" setpriv --bounding-set=-all,+net_bind_service \
		--inh-caps=-all -- "$LAUNCH" --dir "$w/img" -- "$IDS" 3
	P=$BG_PID
	wait_line "$w/prog.out" '^ready' "$P" ||
		{ problem "setup: root's program did not start: $(head -n 2 "$w/prog.err")"; return 1; }
	want=$(caps_of "$P" | cut -d' ' -f2- | sort -u)
	say "  root's program $P, every thread (inh prm eff bnd amb): $want"
	if [[ $want != "0000000000000000 0000000000000400 0000000000000400 0000000000000400 0000000000000000 " ]]; then
		SKIP_WHY="setpriv did not leave the program CAP_NET_BIND_SERVICE alone: $want"
		stop_kill "$P"
		reap "$P"
		return 77
	fi
	run_client root "$P" 60
	img=$CL_OUT
	stop_kill "$P"
	reap "$P"
	if ((CL_RC != 0)) || [[ ! -f $img ]]; then
		problem "setup: the checkpoint failed: exit $CL_RC: $CL_ERR"
		return 1
	fi
	bg "$w/r.out" "$w/r.err" "$ASROOT" "$RESTART" "$img"
	R=$BG_PID
	if ! wait_line "$w/r.out" '^tick' "$R"; then
		problem "root's restart did not run the program: $(head -n 2 "$w/r.err")"
		kill_tree "$R"
		reap "$R"
		return 1
	fi
	Q=$(grep -m1 '^tick' "$w/r.out" | cut -d' ' -f2)
	track "$Q"
	now=$(caps_of "$Q")
	while read -r t line; do
		if [[ "$line " != "$want" ]]; then
			problem "restored thread $t must have the capabilities it had ('$want');" \
				"it has '$line'"
			bad=1
		fi
	done <<<"$now"
	((bad)) || say "  restored by root: $(wc -l <<<"$now") threads, each with only CAP_NET_BIND_SERVICE"
	kill -KILL "$Q"
	reap "$R"
	((${#PROBLEMS[@]} == 0))
}

declare -A TITLE=(
	[a]="the impostor control socket"
	[b]="root restarting alice's image"
	[c]="the shared sticky directory"
	[d]="a setuid program linked with the library"
	[e]="a process alice restored in a user namespace"
	[f]="a process nobody restored in a user namespace"
	[g]="root's program with fewer capabilities restarted by root"
)
npass=0 nfail=0 nskip=0
for s in "${SUBTESTS[@]}"; do
	say "--- $s: ${TITLE[$s]}"
	PROBLEMS=()
	SKIP_WHY=
	"sub_$s"
	rc=$?
	kill_tracked
	if ((rc == 77)); then
		say "SKIP $s: ${TITLE[$s]}: $SKIP_WHY"
		nskip=$((nskip + 1))
	elif ((rc == 0 && ${#PROBLEMS[@]} == 0)); then
		say "PASS $s: ${TITLE[$s]}"
		npass=$((npass + 1))
	else
		say "FAIL $s: ${TITLE[$s]}"
		for p in "${PROBLEMS[@]}"; do
			say "  - $p"
		done
		nfail=$((nfail + 1))
	fi
done
say "multiuser: $npass passed, $nfail failed, $nskip skipped"
((nfail)) && exit 1
((npass)) || exit 77
exit 0
