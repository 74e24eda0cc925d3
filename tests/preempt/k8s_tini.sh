#!/bin/bash
# SPDX-License-Identifier: MIT
# k8s_tini.sh TOOLS_DIR RESTART_DIR JOB_PROG POD_YAML: the container command
# of examples/k8s/pod.yaml, as the kubelet runs it and as often as the Job
# starts a pod: in a new pid and mount namespace (pid 1: tini), with the
# pod's environment.  SIGTERM goes to tini, as the kubelet sends it to
# pid 1; tini passes it to the program, which writes a final image and
# ends; the next "pod" resumes it with the same pid (2, as the program
# had, though mtcp_launch holds pid 2 then: mtcp_restart puts the program
# in a pid namespace of its own); a third runs it to its end.  Root only
# (unshare --pid), and tini must be installed (setup.sh installs it).
NAME=k8s_tini
. "$(dirname "$0")/preempt_lib.sh"
tools=$1 restartdir=$2 prog=$3 yaml=$4
[ "$(id -u)" = 0 ] || { echo "skip: needs root for a pid namespace"; exit 77; }
tini=$(command -v tini) || fail "tini is not installed (setup.sh installs it)"
export PATH="$tools:$restartdir:$PATH"
mkdir -m 0700 "$D/img"

# the command: one line of the YAML, a flow sequence of quoted strings,
# which is JSON; the paths of this machine put in
mapfile -t cmd < <(python3 - "$yaml" "$tini" "$tools/mtcp_launch" "$D/img" "$prog" <<'PY'
import json, sys
yaml, tini, launch, images, prog = sys.argv[1:]
lines = [l.strip() for l in open(yaml) if l.strip().startswith("command:")]
assert len(lines) == 1, "one command: line expected"
cmd = json.loads(lines[0][len("command:"):])
env = open(yaml).read()
assert "MTCP_FILE_PAGES" in env and "terminationGracePeriodSeconds" in env
subst = {"/usr/bin/tini": tini, "mtcp_launch": launch, "/images": images,
         "/app/my_simulation": prog, "1000000": "300"}
for w in cmd:
    print(subst.get(w, w))
PY
) || fail "cannot read the command of $yaml"
say "the pod's command here: ${cmd[*]}"
export MTCP_FILE_PAGES=1

start_run() {
	unshare --pid --fork --mount-proc "${cmd[@]}" >> "$OUT" 2>> "$ERR" &
	RUN_PID=$!
	STARTED+=("$RUN_PID")
	wait_for "tini to start" pid1_known
}
pid1_known() {
	TINI=$(cat "/proc/$RUN_PID/task/$RUN_PID/children" 2>/dev/null | awk '{print $1}')
	[ -n "$TINI" ] && [ "$(cat "/proc/$TINI/comm" 2>/dev/null)" = tini ]
}
# like the kubelet: SIGTERM to the container's pid 1
stop_run() { sigterm_run "$1" "$TINI" 1; }

three_runs pod
grep -q 'gets new pid' "$ERR" && fail "a restart lost the pid: $(grep 'gets new pid' "$ERR")"
say "ok: 3 pods, 2 final images, one start, same pid $PROG_PID, finished"
