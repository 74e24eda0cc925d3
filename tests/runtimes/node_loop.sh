#!/bin/bash
# SPDX-License-Identifier: MIT
# node_loop.sh: Node.js (libuv: epoll, eventfd, the thread pool, timers, a
# unix socket listener and a connection to itself) checkpointed, killed and
# restarted twice; it must go on: timers fire, the promise chain and the
# fs.promises loop continue, and messages still flow both ways over the
# self-connection (restored as a connected pair), and the listener still
# accepts.  The program checks itself (node_loop.js); this driver checks the
# data file again at the end.
#
# The node is /usr/bin/node from the dpkg package `nodejs` (Debian's, which
# ./setup.sh test installs; a node elsewhere on PATH, from nvm or a
# tarball, is not used).  RT_NODE overrides it.
# shellcheck source=rt_lib.sh
. "$(dirname "$0")/rt_lib.sh"

NODE=${RT_NODE:-/usr/bin/node}
[[ -x $NODE ]] || skip "$NODE not found (Debian package nodejs)"
say "node: $NODE $("$NODE" --version) (dpkg nodejs $(dpkg-query -W -f='${Version}' nodejs 2>/dev/null || echo '?'))"

LOG=$TMP/node.log
DATA=$TMP/data.txt
two_restarts "$LOG" "$NODE" "$RT_DIR/node_loop.js" "$LOG" "$DATA" "$TMP/node.sock" "$STOP"

# the file loop's lines, each once, in order, as many as DONE says
lines=$(sed -n 's/.* lines=\([0-9]*\).*/\1/p' <<<"$DONE_LINE")
[[ $lines =~ ^[0-9]+$ ]] || failed "no lines= in '$DONE_LINE'"
want=$(awk -v n="$lines" 'BEGIN { for (i = 0; i < n; i++) printf "line %010d\n", i }' | md5sum)
have=$(md5sum <"$DATA")
[[ $want == "$have" ]] || failed "$DATA is not lines 0..$((lines - 1))"
say "the data file holds lines 0..$((lines - 1)), once each, in order"
pass
