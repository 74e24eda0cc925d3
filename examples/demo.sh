#!/bin/bash
# SPDX-License-Identifier: MIT
# demo.sh [BUILD_DIR]: runs examples/demo under the checkpointer, takes a
# checkpoint from outside, kills the program with SIGKILL, restarts it from
# the image and shows it going on where it was.
set -eu
build=$(cd "${1:-build}" && pwd)
tools=$build/src/tools
restart=$build/src/restart/mtcp_restart
demo=$build/examples/demo
dir=$(mktemp -d /tmp/mtcp-demo.XXXXXX)
out=$dir/demo.out
trap 'kill -9 $pid $rpid 2>/dev/null || true; rm -rf "$dir"' EXIT
pid= rpid=

wait_lines() { # FILE N: until FILE has N lines "second", at most 30 s
	for _ in $(seq 300); do
		[ "$(grep -c second "$1" 2>/dev/null || true)" -ge "$2" ] && return 0
		sleep 0.1
	done
	echo "demo: the program did not get going" >&2; exit 1
}

# fds this script inherited (a terminal emulator's, a CI runner's) would
# be the program's too, and a pipe to outside is a degraded object
for fd in $(ls /proc/$$/fd); do
	[ "$fd" -gt 2 ] && eval "exec $fd>&-" 2>/dev/null
done

echo "== 1. start the demo under mtcp_launch (images go to $dir)"
# its output through a pipe, as in "demo | less": a pipe to outside the
# program becomes mtcp_restart's stdout after the restart (a file would
# be reopened, and the restored program would go on writing there)
exec 3> >(cat > "$out")
"$tools/mtcp_launch" --dir "$dir" -- "$demo" >&3 2>&1 3>&- &
pid=$!
wait_lines "$out" 2
cat "$out"

echo "== 2. checkpoint it from outside: mtcp_checkpoint --wait $pid"
image=$("$tools/mtcp_checkpoint" --wait "$pid")
ls -l "$image"
"$restart" --verify "$image"

echo "== 3. kill it with SIGKILL"
kill -9 "$pid"; wait "$pid" 2>/dev/null || true
last=$(grep second "$out" | tail -1)
echo "last words before the kill: $last"

echo "== 4. restart it: mtcp_restart $image"
"$restart" "$image" > "$out.2" 2>&1 &
rpid=$!
wait_lines "$out.2" 3
kill -TERM "$rpid"; wait "$rpid" 2>/dev/null || true
cat "$out.2"
if grep -q CORRUPT "$out.2" || ! grep -q consistent "$out.2"; then
	echo "== demo FAILED"; exit 1
fi
echo "== the restarted program went on with the same pid and intact memory: demo OK"
