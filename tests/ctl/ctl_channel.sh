#!/bin/bash
# SPDX-License-Identifier: MIT
# ctl_channel.sh BUILD_ROOT [TOOLS_BUILD_ROOT]: the control channel (issue 8,
# items 3-5), as one user (the multi-user versions are in the multi-user
# test): the control directory's checks on both sides, a name taken by a
# live impostor, the client refusing an impostor server, names removed at
# exit, the idle timeout and "too many clients", and mtcp_restart's broker.
# TOOLS_BUILD_ROOT (default BUILD_ROOT) is where mtcp_launch,
# mtcp_checkpoint and randmem come from (to run these tests on old tools).
# Every test uses its own MTCP_CTL_DIR under a private directory.
set -u
build=$1
tools=${2:-$1}
launch=$tools/src/tools/mtcp_launch ckpt=$tools/src/tools/mtcp_checkpoint prog=$tools/bench/progs/randmem
[ -x "$prog" ] || prog=$tools/bench/randmem # a tools tree from before bench/progs
peer=$build/tests/ctl/ctl_peer broker=$build/tests/ctl/test_broker
tmp=$(mktemp -d /tmp/mtcp-ctltest.XXXXXX)
chmod 0755 "$tmp"
pids=()
trap 'for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; done; wait 2>/dev/null; rm -rf "$tmp"' EXIT
mkdir "$tmp/img"
fails=0
me=$(id -u)

ok() { echo "ok: $*"; }
bad() { echo "FAIL: $*"; fails=$((fails + 1)); }

# wait_for FILE PATTERN: bounded polling (10 s) for a line in a file
wait_for() {
	local _
	for _ in $(seq 200); do
		grep -q -- "$2" "$1" 2>/dev/null && return 0
		sleep 0.05
	done
	return 1
}

# start_prog BASE OUT: randmem under the library, control directory under
# BASE; sets P
start_prog() {
	MTCP_CTL_DIR=$1 "$launch" --dir "$tmp/img" -- "$prog" 8 >"$2" 2>&1 &
	P=$!
	pids+=("$P")
	wait_for "$2" ready || bad "the program did not start: $(cat "$2")"
}

# ask BASE PID: mtcp_checkpoint --wait with control directories under BASE;
# sets RC, and OUT and ERR (files)
ask() {
	MTCP_CTL_DIR=$1 "$ckpt" --wait --timeout 20 "$2" >"$tmp/ask.out" 2>"$tmp/ask.err"
	RC=$?
	OUT=$tmp/ask.out ERR=$tmp/ask.err
}

user_desc() {
	local name
	name=$(getent passwd "$1" | cut -d: -f1)
	if [ -n "$name" ]; then echo "user $name ($1)"; else echo "uid $1"; fi
}

# ---- 1. a control directory someone else could have made or can write --
for kind in mode symlink owner; do
	base=$tmp/base-$kind
	mkdir -p "$base"
	case $kind in
	mode)
		mkdir -m 0755 "$base/mtcp-$me"
		want="has mode 0755, not 0700" ;;
	symlink)
		mkdir -m 0700 "$base/real"
		ln -s real "$base/mtcp-$me"
		want="is a symbolic link" ;;
	owner)
		if [ "$me" != 0 ]; then
			echo "skip: a directory of another owner needs root to make"
			continue
		fi
		mkdir -m 0700 "$base/mtcp-$me"
		chown 65534 "$base/mtcp-$me"
		want="$base/mtcp-$me belongs to $(user_desc 65534), not to you: someone may be impersonating your processes; remove it" ;;
	esac
	start_prog "$base" "$tmp/out-$kind"
	if grep -qF -- "$want" "$tmp/out-$kind"; then
		ok "the library refuses a control directory that $kind: $(grep -F -- "$want" "$tmp/out-$kind")"
	else
		bad "the library did not refuse a control directory ($kind); its output: $(cat "$tmp/out-$kind")"
	fi
	[ -e "$base/mtcp-$me/ctl.$P" ] && bad "a socket was bound in the refused directory ($kind)"
	ask "$base" "$P"
	if [ "$RC" = 1 ] && grep -q -- "${want%%,*}" "$ERR"; then
		ok "mtcp_checkpoint refuses it too (exit 1): $(cat "$ERR")"
	else
		bad "mtcp_checkpoint with a bad control directory ($kind): exit $RC: $(cat "$ERR")"
	fi
	kill -9 "$P"
	wait "$P" 2>/dev/null
done

# ---- 2. the name is taken first by a live impostor ------------------------
base=$tmp/base-taken
mkdir "$base"
MTCP_CTL_DIR=$base sh -c 'kill -STOP $$; exec "$@"' sh "$launch" --dir "$tmp/img" -- "$prog" 8 \
	>"$tmp/out-taken" 2>&1 &
P=$!
pids+=("$P")
for _ in $(seq 200); do
	[[ $(cut -d' ' -f3 "/proc/$P/stat" 2>/dev/null) == T ]] && break
	sleep 0.05
done
MTCP_CTL_DIR=$base "$peer" serve "$P" >"$tmp/peer-taken.out" 2>&1 &
pids+=("$!")
wait_for "$tmp/peer-taken.out" listening || bad "the impostor did not start: $(cat "$tmp/peer-taken.out")"
kill -CONT "$P"
wait_for "$tmp/out-taken" ready || bad "the program did not start: $(cat "$tmp/out-taken")"
if grep -q "ctl.$P is taken by a running process; left alone" "$tmp/out-taken"; then
	ok "the library leaves a live name alone and says so: $(grep 'taken' "$tmp/out-taken")"
else
	bad "no warning that ctl.$P is taken: $(cat "$tmp/out-taken")"
fi
ask "$base" "$P"
if [ "$RC" = 1 ] && grep -q "^mtcp_checkpoint: impostor: .* served by process [0-9]*, which is neither $P" "$ERR" &&
	! grep -q fake "$OUT"; then
	ok "mtcp_checkpoint refuses the impostor (exit 1): $(cat "$ERR")"
else
	bad "mtcp_checkpoint and the impostor of $P: exit $RC, stdout '$(cat "$OUT")', stderr '$(cat "$ERR")'"
fi
kill -9 "$P"
wait "$P" 2>/dev/null

# ---- 3. an impostor for a process without the library ---------------------
base=$tmp/base-plain
mkdir "$base"
sleep 60 &
S=$!
pids+=("$S")
MTCP_CTL_DIR=$base "$peer" serve "$S" >"$tmp/peer-plain.out" 2>&1 &
pids+=("$!")
wait_for "$tmp/peer-plain.out" listening || bad "the impostor did not start: $(cat "$tmp/peer-plain.out")"
ask "$base" "$S"
if [ "$RC" = 1 ] && grep -q "impostor" "$ERR" && ! grep -q fake "$OUT"; then
	ok "mtcp_checkpoint refuses an impostor of a plain process: $(cat "$ERR")"
else
	bad "mtcp_checkpoint and the impostor of plain $S: exit $RC, stdout '$(cat "$OUT")', stderr '$(cat "$ERR")'"
fi

# ---- 4. (root) a server of the wrong uid in the target's directory --------
if [ "$me" = 0 ] && command -v setpriv >/dev/null; then
	base=$tmp/base-uid
	mkdir -p "$base"
	mkdir -m 0700 "$base/mtcp-65534"
	chown 65534 "$base/mtcp-65534"
	setpriv --reuid=65534 --regid=65534 --clear-groups sleep 60 &
	S=$!
	pids+=("$S")
	# root binds in nobody's directory (only root can): what the uid check is for
	MTCP_CTL_DIR=$base "$peer" serve "$S" 65534 >"$tmp/peer-uid.out" 2>&1 &
	pids+=("$!")
	wait_for "$tmp/peer-uid.out" listening || bad "the impostor did not start: $(cat "$tmp/peer-uid.out")"
	ask "$base" "$S"
	if [ "$RC" = 1 ] && grep -q "impostor: .* served by user root (0), not by the process's owner, $(user_desc 65534)" "$ERR"; then
		ok "mtcp_checkpoint refuses a server of the wrong uid: $(cat "$ERR")"
	else
		bad "mtcp_checkpoint and a server of the wrong uid: exit $RC, stderr '$(cat "$ERR")'"
	fi
fi

# ---- 4b. (root) PID runs as root, its child as a user serves ctl.PID ------
# (root's mtcp_restart PID restoring a user's image: the program serves
# ctl.<PID> in the user's directory; the client looks there too)
if [ "$me" = 0 ] && command -v setpriv >/dev/null; then
	base=$tmp/base-child
	mkdir -m 1777 "$base"
	MTCP_CTL_DIR=$base sh -c 'setpriv --reuid=65534 --regid=65534 --clear-groups "$1" serve $$ 65534 & wait' \
		sh "$peer" >"$tmp/peer-child.out" 2>&1 &
	S=$!
	pids+=("$S")
	wait_for "$tmp/peer-child.out" listening || bad "the child server did not start: $(cat "$tmp/peer-child.out")"
	ask "$base" "$S"
	if [ "$RC" = 0 ] && [ "$(cat "$OUT")" = /fake/impostor.mtcp ]; then
		ok "mtcp_checkpoint finds ctl.PID of a root PID in its user child's directory"
	else
		bad "ctl.PID served by a child of another uid: exit $RC, stdout '$(cat "$OUT")', stderr '$(cat "$ERR")'"
	fi
	kill -9 $(cat "/proc/$S/task/$S/children" 2>/dev/null) "$S" 2>/dev/null
	wait "$S" 2>/dev/null
fi

# ---- 5. names are removed when the process exits normally -----------------
base=$tmp/base-exit
mkdir "$base"
mkfifo "$tmp/in"
MTCP_CTL_DIR=$base "$launch" --dir "$tmp/img" -- head -n1 <"$tmp/in" >"$tmp/out-exit" 2>&1 &
P=$!
pids+=("$P")
exec 6>"$tmp/in"
for _ in $(seq 200); do [ -S "$base/mtcp-$me/ctl.$P" ] && break; sleep 0.05; done
if [ -S "$base/mtcp-$me/ctl.$P" ]; then
	echo line >&6
	exec 6>&-
	wait "$P"
	if [ -e "$base/mtcp-$me/ctl.$P" ]; then
		bad "ctl.$P is still there after the process exited"
	else
		ok "ctl.$P existed while the process ran and was removed when it exited"
	fi
else
	exec 6>&-
	bad "no socket $base/mtcp-$me/ctl.$P while the process runs: $(cat "$tmp/out-exit")"
fi

# ---- 6. idle connections: dropped after 3 s; the 65th: too many clients ----
base=$tmp/base-flood
mkdir "$base"
start_prog "$base" "$tmp/out-flood"
MTCP_CTL_DIR=$base "$peer" flood "$P" 64 >"$tmp/flood.out" 2>&1 &
F=$!
pids+=("$F")
if wait_for "$tmp/flood.out" '^busy'; then
	ok "with 64 idle connections, the 65th is answered 'ERR too many clients'"
	# while the 64 idle ones still hold every slot
	ask "$base" "$P"
	if [ "$RC" = 0 ] && [ -f "$(cat "$OUT")" ]; then
		ok "mtcp_checkpoint --wait succeeds once the idle ones time out: $(cat "$OUT")"
	else
		bad "mtcp_checkpoint --wait behind 64 idle connections: exit $RC: $(cat "$ERR")"
	fi
else
	bad "flood: $(cat "$tmp/flood.out")"
fi
wait "$F"
frc=$?
if [ "$frc" = 0 ] && grep -q '^dropped 64' "$tmp/flood.out"; then
	ok "each idle connection got 'ERR timeout' and was closed"
else
	bad "idle connections: exit $frc: $(cat "$tmp/flood.out")"
fi
kill -9 "$P"
wait "$P" 2>/dev/null

# ---- 7. mtcp_restart's broker, driven by a stand-in program ---------------
mkdir "$tmp/base-broker"
MTCP_CTL_DIR=$tmp/base-broker "$broker" "$ckpt" >"$tmp/broker.out" 2>&1
brc=$?
if [ "$brc" = 0 ]; then
	sed 's/^/  broker: /' "$tmp/broker.out"
	ok "the broker"
else
	bad "the broker (exit $brc):"
	cat "$tmp/broker.out"
fi

[ "$fails" = 0 ] && echo PASS && exit 0
echo "$fails failures"
exit 1
