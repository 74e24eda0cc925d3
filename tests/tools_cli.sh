#!/bin/bash
# SPDX-License-Identifier: MIT
# tools_cli.sh BUILD_ROOT: what a user meets at the command line: --help,
# one-line errors with the documented exit statuses, refusals, and the
# tools working after `meson install` (into a DESTDIR) as from the build tree.
set -u
build=$1
launch=$build/src/tools/mtcp_launch ckpt=$build/src/tools/mtcp_checkpoint
check=$build/src/tools/mtcp_check
restart=$build/src/restart/mtcp_restart prog=$build/bench/progs/randmem
tmp=$(mktemp -d /tmp/mtcp-cli.XXXXXX)
pids=()
trap 'for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; done; wait 2>/dev/null; rm -rf "$tmp"' EXIT
fails=0

# expect STATUS DESCRIPTION COMMAND...: exit status and, for errors, one line on stderr
expect() {
	local want=$1 what=$2
	shift 2
	"$@" > "$tmp/out" 2> "$tmp/err" < /dev/null
	local got=$? lines
	lines=$(wc -l < "$tmp/err")
	if [ "$got" != "$want" ]; then
		echo "FAIL: $what: exit $got, expected $want; stderr: $(cat "$tmp/err")"; fails=$((fails + 1))
	elif [ "$want" != 0 ] && [ -z "${QUIET_OK:-}" ] && [ "$lines" != 1 ]; then
		echo "FAIL: $what: $lines lines on stderr, expected one:"; cat "$tmp/err"; fails=$((fails + 1))
	else
		echo "ok: $what (exit $got) $(head -c 150 "$tmp/err")"
	fi
}

for t in "$launch" "$ckpt" "$restart" "$check"; do
	expect 0 "$(basename "$t") --help" "$t" --help
	grep -qi usage "$tmp/out" || { echo "FAIL: $(basename "$t") --help prints no usage"; fails=$((fails + 1)); }
	expect 2 "$(basename "$t") with a bad option" "$t" --no-such-option
done
expect 2 "mtcp_launch --interval -1" "$launch" --interval -1 -- /bin/true
expect 2 "mtcp_launch --signal SIGKILL" "$launch" --signal SIGKILL -- /bin/true
expect 2 "mtcp_launch --keep 0" "$launch" --keep 0 -- /bin/true
expect 2 "mtcp_launch --dir that does not exist" "$launch" --dir /nonexistent/dir -- /bin/true
expect 127 "mtcp_launch of a program that does not exist" "$launch" -- no-such-program-xyz
if [ -x /usr/sbin/ldconfig ] && ! readelf -l /usr/sbin/ldconfig | grep -q INTERP; then
	expect 126 "mtcp_launch of a static program" "$launch" -- /usr/sbin/ldconfig
fi
cp /bin/true "$tmp/suid-true" && chmod u+s "$tmp/suid-true"
expect 126 "mtcp_launch of a setuid program" "$launch" -- "$tmp/suid-true"
expect 0 "mtcp_launch runs a program and passes its status" "$launch" -- /bin/true
QUIET_OK=1 expect 3 "mtcp_launch passes a non-zero status" "$launch" -- /bin/sh -c 'exit 3'
expect 1 "mtcp_checkpoint of a pid that does not exist" "$ckpt" 4194300
sleep 30 & pids+=($!)
expect 1 "mtcp_checkpoint of a process without the library" "$ckpt" --wait "$!"
expect 2 "mtcp_checkpoint without a pid" "$ckpt"
expect 2 "mtcp_restart without an image" "$restart"
expect 2 "mtcp_check --dir that does not exist" "$check" --dir /nonexistent/dir
expect 2 "mtcp_check with an argument" "$check" extra
expect 2 "mtcp_restart --fd without a value" "$restart" img --fd
expect 2 "mtcp_restart --fd without =PATH" "$restart" --fd 7 img
expect 2 "mtcp_restart --fd with an empty PATH" "$restart" --fd 7= img
expect 2 "mtcp_restart --fd with a name for N" "$restart" --fd x=/dev/null img
expect 2 "mtcp_restart --fd N above 1048575" "$restart" --fd 1048576=/dev/null img
expect 2 "mtcp_restart --fd -1" "$restart" --fd -1=/dev/null img
expect 2 "mtcp_restart --fd twice for one fd" "$restart" --fd 7=/a --fd 7=/b img

# after meson install, into a DESTDIR: the installed tools find the installed library
if meson install --no-rebuild -C "$build" --destdir "$tmp/root" > "$tmp/install.log" 2>&1; then
	bin=$(find "$tmp/root" -name mtcp_launch -type f | head -1)
	bindir=$(dirname "$bin")
	[ -n "$bin" ] && ls "$tmp/root" > /dev/null
	[ -x "$bindir/mtcp_check" ] || { echo "FAIL: mtcp_check not installed beside mtcp_launch"; fails=$((fails + 1)); }
	[ -f "$(find "$tmp/root" -name mtcp.h | head -1)" ] || { echo "FAIL: mtcp.h not installed"; fails=$((fails + 1)); }
	[ -f "$(find "$tmp/root" -name libmtcp-fast.pc | head -1)" ] || { echo "FAIL: pkg-config file not installed"; fails=$((fails + 1)); }
	mkdir "$tmp/img"
	MTCP_LIBRARY= "$bindir/mtcp_launch" --dir "$tmp/img" -- "$prog" 8 > "$tmp/prog.out" 2>&1 &
	pid=$!; pids+=("$pid")
	for _ in $(seq 600); do grep -q ready "$tmp/prog.out" 2>/dev/null && break; sleep 0.05; done
	if img=$("$bindir/mtcp_checkpoint" --wait --timeout 30 "$pid") && "$bindir/mtcp_restart" --verify "$img" > /dev/null; then
		echo "ok: installed mtcp_launch, mtcp_checkpoint and mtcp_restart work ($img)"
	else
		echo "FAIL: installed tools"; cat "$tmp/prog.out"; fails=$((fails + 1))
	fi
	grep -q "$tmp/root" /proc/"$pid"/maps || { echo "FAIL: the installed library was not the one preloaded"; fails=$((fails + 1)); }
else
	echo "FAIL: meson install"; cat "$tmp/install.log"; fails=$((fails + 1))
fi
[ "$fails" = 0 ] && echo PASS && exit 0
echo "$fails failures"; exit 1
