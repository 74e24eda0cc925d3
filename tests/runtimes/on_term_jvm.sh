#!/bin/bash
# SPDX-License-Identifier: MIT
# on_term_jvm.sh: OpenJDK 17 with a shutdown hook (TermHook.java) under
# mtcp_launch --on-term.  SIGTERM from here: the final image is durable
# before the JVM sees the signal (its hook counts 1 image), the JVM runs its
# hook and exits 143 (128+SIGTERM, as it does without the checkpointer);
# the final image restarts, the JVM goes on without being told again (no
# hook until the end), its memory is whole, and it ends by the stop file.
# shellcheck source=rt_lib.sh
. "$(dirname "$0")/rt_lib.sh"

JH=${RT_JAVA_HOME:-/usr/lib/jvm/java-17-openjdk-amd64}
for t in java javac; do
	[[ -x $JH/bin/$t ]] || skip "$JH/bin/$t not found (Debian package openjdk-17-jdk-headless)"
done
CLS=$TMP/classes
mkdir -p "$CLS" || failed "mkdir $CLS"
"$JH/bin/javac" -d "$CLS" "$RT_DIR/TermHook.java" >"$TMP/javac.out" 2>&1 ||
	failed "javac: $(cat "$TMP/javac.out")"
LOG=$TMP/jvm.log
RT_LAUNCH_ENV=(MTCP_ON_TERM=1)
# the heap's size fixed: the image does not depend on the machine's memory
launch jvm "$JH/bin/java" -Xms64m -Xmx64m -XX:+UseSerialGC -cp "$CLS" TermHook "$LOG" "$STOP" "$IMGDIR"
RT_PROG_PID=$PID
wait_progress "started" "$LOG" 0 20
kill -TERM "$PID"
wait_exit "$WAITPID" "$WAIT_S"
((EXIT_RC == 143)) || failed "after SIGTERM: $(status_text "$EXIT_RC"), expected 143 (the JVM's own exit on SIGTERM)"
grep -q '^hook images=1 stop=false$' "$LOG" || failed "the hook did not see the final image: $(grep hook "$LOG")"
grep -q "^mtcp: SIGTERM: final checkpoint $IMGDIR/.*\.mtcp is durable" "$TMP/jvm.err" ||
	failed "no final checkpoint line on stderr"
img=$(ls "$IMGDIR"/*.mtcp)
say "final image: $(basename "$img")"

LOG_OFF=$(fsize "$LOG")
restart restart1 "$img"
wait_progress "restarted" "$LOG" "$LOG_OFF" $(($(progress "$LOG" 0) + 10))
tail -c +$((LOG_OFF + 1)) "$LOG" | grep -q '^hook' && failed "the restarted JVM was told again"
: > "$STOP"
wait_exit "$WAITPID" "$WAIT_S"
((EXIT_RC == 0)) || failed "the restarted JVM: $(status_text "$EXIT_RC")"
after=$(tail -c +$((LOG_OFF + 1)) "$LOG")
grep -q '^DONE .* memory=ok$' <<<"$after" || failed "after the restart: $(grep DONE <<<"$after")"
[[ $(grep '^hook' <<<"$after") == "hook images=1 stop=true" ]] ||
	failed "after the restart the hook ran other than once at the end: $(grep hook <<<"$after" | tr '\n' ' ')"
say "ok: $(grep DONE <<<"$after")"
pass
