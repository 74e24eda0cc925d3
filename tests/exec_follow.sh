#!/bin/bash
# SPDX-License-Identifier: MIT
# exec_follow.sh BUILD_ROOT PROG LINKED: mtcp_launch follows exec in the
# launched process, and only there (docs/tools.md, "mtcp_launch").
#
#   a  a #! wrapper (which waits until it serves its control socket, so
#      the name is left stale by its exec) execs PROG (exec_follow_prog):
#      PROG is checkpointed by the launched pid, killed, restarted, goes
#      on counting from where it was, and is checkpointed again; the POSIX
#      timer warning comes once per process for two checkpoints, and again
#      from the restarted process (the "warned" state is saved memory)
#   b  the child PROG starts (sh -c 'exec PROG child') has no library, no
#      LD_PRELOAD, and mtcp_checkpoint says it is not under libmtcp-fast
#   c  with --inherit the same child is checkpointed
#   d  a program that links the library, started by the launched shell as
#      a child, still starts it with mtcp_init() (LINKED: integ_linked init)
set -u
build=$1 prog=$2 linked=$3
launch=$build/src/tools/mtcp_launch ckpt=$build/src/tools/mtcp_checkpoint
restart=$build/src/restart/mtcp_restart
tmp=$(mktemp -d /tmp/mtcp-exec.XXXXXX)
pids=()
trap 'for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; done; wait 2>/dev/null; rm -rf "$tmp"' EXIT
fails=0
ok() { echo "ok: $*"; }
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
WAIT_S=${MT_WAIT_S:-30}

# control sockets of this test only
export MTCP_CTL_DIR=$tmp/ctl
mkdir "$tmp/ctl" "$tmp/img"
export SOCK_DIR=$MTCP_CTL_DIR/mtcp-$(id -u)

# what pyenv shims and Rscript do: a shell runs first, then execs the
# program.  It waits (bounded) until its own library serves ctl.<pid>, so
# the program after the exec finds that name bound by a process image that
# is gone, and must bind it again.
cat > "$tmp/wrap.sh" <<'EOF'
#!/bin/sh
i=0
while [ ! -S "$SOCK_DIR/ctl.$$" ] && [ $i -lt 1500 ]; do sleep 0.02; i=$((i + 1)); done
[ -S "$SOCK_DIR/ctl.$$" ] && echo "wrapper $$ served" > "$WRAP_STATE"
FOLLOW_WRAPPED=1 exec "$PROG" "$@"
EOF
chmod +x "$tmp/wrap.sh"
export PROG=$prog WRAP_STATE=$tmp/wrap.state

# wait_for FILE ERE: until a line of FILE matches, at most WAIT_S seconds
wait_for() {
	local deadline=$((SECONDS + WAIT_S))
	until grep -Eq "$2" "$1" 2>/dev/null; do
		((SECONDS < deadline)) || return 1
		sleep 0.02
	done
}
# counts FILE: the numbers of the "count N" lines
counts() { sed -n 's/^count \([0-9]*\)$/\1/p' "$1"; }
# wait_counts FILE N: until FILE has N more count lines than now
wait_counts() {
	local want=$(($(counts "$1" | wc -l) + $2)) deadline=$((SECONDS + WAIT_S))
	until (($(counts "$1" | wc -l) >= want)); do
		((SECONDS < deadline)) || return 1
		sleep 0.02
	done
}
# consecutive FILE: the count lines go up by one
consecutive() { counts "$1" | awk 'NR > 1 && $1 != prev + 1 { bad = 1 } { prev = $1 } END { exit bad }'; }
# start_launched NAME ARGS...: mtcp_launch ARGS with stdout and stderr
# into a pipe, read into $tmp/NAME.out (a pipe to outside becomes
# mtcp_restart's stdout and stderr after a restart; a file would be the
# same file again); sets LPID
start_launched() {
	local name=$1
	shift
	mkfifo "$tmp/$name.fifo"
	cat "$tmp/$name.fifo" > "$tmp/$name.out" &
	CATPID=$!
	pids+=("$CATPID")
	"$launch" "$@" > "$tmp/$name.fifo" 2>&1 < /dev/null &
	LPID=$!
	pids+=("$LPID")
}
# child_of NAME: the "child PID" PROG printed, once that child runs PROG
child_of() {
	local c deadline=$((SECONDS + WAIT_S))
	wait_for "$tmp/$1.out" '^child [0-9]+$' || return 1
	c=$(sed -n 's/^child //p' "$tmp/$1.out")
	until [ "$(readlink "/proc/$c/exe" 2>/dev/null)" = "$(readlink -f "$prog")" ]; do
		((SECONDS < deadline)) || return 1
		sleep 0.02
	done
	pids+=("$c")
	echo "$c"
}
# ckpt PID: mtcp_checkpoint --wait PID, the image path on stdout.  The
# control thread binds its socket a moment after the program starts (and
# after an exec the name is the previous image's until then): "not
# running" is asked again, for at most WAIT_S seconds.
ckpt() {
	local deadline=$((SECONDS + WAIT_S))
	until "$ckpt" --wait --timeout "$WAIT_S" "$1" 2> "$tmp/ckpt.err"; do
		grep -q "is not running under libmtcp-fast" "$tmp/ckpt.err" && ((SECONDS < deadline)) ||
			return 1
		sleep 0.05
	done
}
timer_warnings() { grep -c 'POSIX timers (timer_create) are not checkpointed' "$1"; }

# ---- a: the wrapper's exec is followed; restart; warnings ------------------
start_launched a --dir "$tmp/img" -- "$tmp/wrap.sh" --timer --spawn
P=$LPID
if ! wait_for "$tmp/a.out" '^start ' || ! wait_counts "$tmp/a.out" 3; then
	fail "a: the wrapped program did not start counting"; cat "$tmp/a.out"
else
	if grep -qx "start $P wrapped=1" "$tmp/a.out"; then
		ok "a: mtcp_launch -- wrap.sh ran PROG through the wrapper as pid $P"
	else
		fail "a: expected 'start $P wrapped=1', got '$(grep '^start' "$tmp/a.out")'"
	fi
	if grep -qx "wrapper $P served" "$tmp/wrap.state" 2>/dev/null; then
		ok "a: the wrapper shell served ctl.$P itself before its exec"
	else
		fail "a: the wrapper shell never served ctl.$P (the library did not start in it)"
	fi
	for i in 1 2; do
		before=$(counts "$tmp/a.out" | tail -1)
		if img=$(ckpt "$P"); then
			ok "a: checkpoint $i of the exec'd program: $img"
		else
			fail "a: checkpoint $i of pid $P: $(cat "$tmp/ckpt.err")"
		fi
	done
	case ${img##*/} in
	"$(basename "$prog").$P."*) ok "a: the image is the exec'd program's" ;;
	*) fail "a: image ${img##*/} is not $(basename "$prog").$P.*" ;;
	esac
	n=$(timer_warnings "$tmp/a.out")
	[ "$n" = 1 ] && ok "a: the timer warning came once for two checkpoints" ||
		fail "a: $n timer warnings for two checkpoints, expected 1"

	# ---- b: the child the program started is not under the library ----
	if ! C=$(child_of a); then
		fail "b: the child of PROG did not start"
	else
		if "$ckpt" --wait --timeout 5 "$C" > /dev/null 2> "$tmp/b.err"; then
			fail "b: the child $C was checkpointed without --inherit"
		elif grep -q "process $C is not running under libmtcp-fast" "$tmp/b.err"; then
			ok "b: mtcp_checkpoint of the child: $(cat "$tmp/b.err")"
		else
			fail "b: mtcp_checkpoint of the child $C: unexpected '$(cat "$tmp/b.err")'"
		fi
		grep -q libmtcp-fast "/proc/$C/maps" &&
			fail "b: the library is mapped in the child $C" || ok "b: no library in the child $C"
		tr '\0' '\n' < "/proc/$C/environ" | grep -q '^LD_PRELOAD=.*libmtcp-fast' &&
			fail "b: the child $C was executed with the library in LD_PRELOAD" ||
			ok "b: the child's environment has no libmtcp-fast in LD_PRELOAD"
		[ -e "$SOCK_DIR/ctl.$C" ] && fail "b: the child bound ctl.$C"
	fi

	# kill, restart, go on (once the pipe's reader has everything)
	kill -9 "$P" ${C:+"$C"}
	wait "$P" "$CATPID" 2> /dev/null
	last=$(counts "$tmp/a.out" | tail -1)
	"$restart" "$img" > "$tmp/r.out" 2>&1 < /dev/null &
	R=$!
	pids+=("$R")
	if ! wait_counts "$tmp/r.out" 5; then
		fail "a: the restarted program does not count: $(cat "$tmp/r.out")"
	else
		first=$(counts "$tmp/r.out" | head -1)
		if ((first > before && first <= last + 1)) && consecutive "$tmp/r.out"; then
			ok "a: restarted, it goes on counting from $first (checkpointed after $before, killed at $last)"
		else
			fail "a: after the restart it counts from $first (checkpointed after $before, killed at $last): $(counts "$tmp/r.out" | head -5 | tr '\n' ' ')"
		fi
		for i in 3 4; do
			if ckpt "$R" > /dev/null; then
				ok "a: checkpoint $i, of the restarted program"
			else
				fail "a: checkpoint $i, through mtcp_restart $R: $(cat "$tmp/ckpt.err")"
			fi
		done
		n=$(timer_warnings "$tmp/r.out")
		[ "$n" = 1 ] && ok "a: the restarted process warned about its timer again, once" ||
			fail "a: $n timer warnings from the restarted process for two checkpoints, expected 1"
	fi
	kill -9 "$R"
	wait "$R" 2> /dev/null
fi

# ---- c: with --inherit the child is checkpointed ---------------------------
start_launched c --inherit --dir "$tmp/img" -- "$tmp/wrap.sh" --spawn
if ! C=$(child_of c); then
	fail "c: the child of PROG did not start"; cat "$tmp/c.out"
elif out=$(ckpt "$C"); then
	ok "c: with --inherit the child is checkpointed: $out"
else
	fail "c: with --inherit, mtcp_checkpoint of the child $C: $(cat "$tmp/ckpt.err")"
fi
kill -9 "$LPID"
wait "$LPID" 2> /dev/null

# ---- d: a linked program started by the launched shell ---------------------
if "$launch" --dir "$tmp/img" -- /bin/sh -c '"$0" init "$1"; exit $?' "$linked" "$tmp/img" \
	> "$tmp/d.out" 2> "$tmp/d.err" < /dev/null; then
	ok "d: a child that links the library starts it with mtcp_init() and checkpoints"
else
	fail "d: integ_linked init in a child of the launched shell: $(cat "$tmp/d.err" "$tmp/d.out")"
fi

[ "$fails" = 0 ] && echo PASS && exit 0
echo "$fails failures"
exit 1
