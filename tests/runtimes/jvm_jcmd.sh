#!/bin/bash
# SPDX-License-Identifier: MIT
# jvm_jcmd.sh: the JVM's attach listener and files in /tmp survive
# restarts.  RtTicker.java (3 worker threads and a ticker) is compiled with
# javac into the build directory and run under mtcp_launch.
#   1. `jcmd PID Thread.print` before the checkpoint: the attach listener
#      starts, listening on the unix socket /tmp/.java_pid<PID>.
#   2. checkpoint (image A), kill -9, restart A: the program goes on, and
#      jcmd must work (the listener was bound again and accepts).
#   3. the stop file: the restored JVM exits normally, which deletes
#      /tmp/hsperfdata_<user>/<PID> and /tmp/.java_pid<PID>.
#   4. restart A again, the same image: it must start (the perf-data file
#      it maps is recreated from the image) and jcmd must work again.
#   5. checkpoint that process (image B), kill -9, restart B, jcmd, stop:
#      exit 0, and the threads' counts add up (RtTicker checks).
# The pid is the same after each restart: root only (otherwise the JVM
# would live in a pid namespace, where jcmd's pid means something else).
#
# The JDK is Debian's openjdk-17-jdk-headless (java, javac, jcmd from
# /usr/lib/jvm/java-17-openjdk-amd64; RT_JAVA_HOME overrides it).
# shellcheck source=rt_lib.sh
. "$(dirname "$0")/rt_lib.sh"

JH=${RT_JAVA_HOME:-/usr/lib/jvm/java-17-openjdk-amd64}
for t in java javac jcmd; do
	[[ -x $JH/bin/$t ]] || skip "$JH/bin/$t not found (Debian package openjdk-17-jdk-headless)"
done
((EUID == 0)) || skip "needs root: jcmd must find the restored JVM under its own pid"
say "java: $JH ($("$JH/bin/java" -version 2>&1 | head -n1))"

CLS=${RT_BUILD_DIR:-$TMP}/jvm-classes
mkdir -p "$CLS" || failed "mkdir $CLS"
"$JH/bin/javac" -d "$CLS" "$RT_DIR/RtTicker.java" >"$TMP/javac.out" 2>&1 ||
	failed "javac: $(cat "$TMP/javac.out")"
LOG=$TMP/jvm.log
NJCMD=0

# jcmd_works WHEN: jcmd PID Thread.print succeeds and lists the threads
jcmd_works() {
	local out rc
	NJCMD=$((NJCMD + 1))
	out=$TMP/jcmd$NJCMD.out
	timeout 60 "$JH/bin/jcmd" "$PID" Thread.print >"$out" 2>&1
	rc=$?
	((rc == 0)) || failed "$1: jcmd $PID Thread.print: exit $rc: $(grep -v '^$' "$out" | head -n3 | tr '\n' ' ')"
	for t in rt-ticker rt-worker-1 rt-worker-2 rt-worker-3 'Attach Listener'; do
		grep -q "\"$t\"" "$out" || failed "$1: jcmd's thread dump has no thread \"$t\""
	done
	say "$1: jcmd Thread.print works ($(grep -c '^"' "$out") threads)"
}

# finish: the stop file; the JVM exits 0 with DONE
finish() {
	: >"$STOP"
	wait_exit "$WAITPID" "$WAIT_S"
	check_log "$LOG" "$LOG_OFF"
	((EXIT_RC == 0)) || failed "$1: after the stop file the JVM ended with $(status_text "$EXIT_RC")"
	DONE_LINE=$(tail -c +$((LOG_OFF + 1)) "$LOG" | grep '^DONE' | tail -n1)
	[[ -n $DONE_LINE ]] || failed "$1: the JVM exited 0 with no DONE line"
	say "$1: $DONE_LINE"
	rm -f "$STOP"
}

JAVA=("$JH/bin/java" -Xmx64m -cp "$CLS" RtTicker "$LOG" "$STOP")
launch jvm "${JAVA[@]}"
RT_PROG_PID=$PID
LOG_OFF=0
wait_progress "start" "$LOG" 0 5
jcmd_works "before the checkpoint"
checkpoint "$PID"
IMG_A=$IMG
CK=$NOW      # the ticks before the checkpoint: a restored JVM has as many
wait_progress "after the checkpoint" "$LOG" 0 $((NOW + 3))
kill9 "$PID"

hi=$(progress "$LOG" 0)
LOG_OFF=$(fsize "$LOG")
restart restart1 "$IMG_A"
wait_progress "after restart 1 (the killed JVM had got to $hi)" "$LOG" "$LOG_OFF" $((hi + 3))
jcmd_works "after restart 1"
finish "restart 1"
perf=/tmp/hsperfdata_$(id -un)/$PID
if [[ -e $perf ]]; then
	say "note: $perf is still there after the JVM's exit"
else
	say "the JVM's exit deleted $perf"
fi

LOG_OFF=$(fsize "$LOG")
restart restart2 "$IMG_A"
wait_progress "after restart 2 of the same image" "$LOG" "$LOG_OFF" $((CK + 3))
jcmd_works "after restart 2 of the same image"
checkpoint "$PID"
IMG_B=$IMG
wait_progress "after the checkpoint of restart 2" "$LOG" "$LOG_OFF" $((NOW + 3))
kill9 "$PID"

hi=$(progress "$LOG" "$LOG_OFF")
LOG_OFF=$(fsize "$LOG")
restart restart3 "$IMG_B"
wait_progress "after restart 3 (the killed JVM had got to $hi)" "$LOG" "$LOG_OFF" $((hi + 3))
jcmd_works "after restart 3"
finish "restart 3"
pass
