#!/bin/bash
# SPDX-License-Identifier: MIT
# imgdir.sh LAUNCH LIBRARY LINKED: the image directory is checked before
# the program runs.  One that other users can write without the sticky
# bit is refused by mtcp_launch (exit 1) and by the library at init; one
# the user cannot create files in is refused at init, with one line, so
# that no checkpoint fails later for it.  LINKED is tests/integ's linked
# program (`init [DIR]`).  Needs root, to be a second user (setpriv).
set -u
launch=$1 lib=$2 linked=$3
[ "$(id -u)" = 0 ] || { echo "skip: needs root to run as another user"; exit 77; }
command -v setpriv > /dev/null || { echo "skip: setpriv not found"; exit 77; }
tmp=$(mktemp -d /tmp/mtcp-imgdir.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
chmod 0711 "$tmp"
nobody=(setpriv --reuid=65534 --regid=65534 --clear-groups)
fails=0

# expect STATUS PATTERN DESCRIPTION COMMAND...: the exit status; for a
# refusal, exactly one line on stderr, matching the extended regex PATTERN
expect() {
	local want=$1 pat=$2 what=$3
	shift 3
	"$@" > "$tmp/out" 2> "$tmp/err" < /dev/null
	local got=$? lines
	lines=$(wc -l < "$tmp/err")
	if [ "$got" != "$want" ]; then
		echo "FAIL: $what: exit $got, expected $want; stderr: $(cat "$tmp/err")"
		fails=$((fails + 1))
	elif [ "$want" != 0 ] && { [ "$lines" != 1 ] || ! grep -Eq -- "$pat" "$tmp/err"; }; then
		echo "FAIL: $what: expected one line matching '$pat' on stderr, got:"
		cat "$tmp/err"
		fails=$((fails + 1))
	else
		echo "ok: $what (exit $got) $(head -c 200 "$tmp/err")"
	fi
}

mkdir -m 0777 "$tmp/open"
mkdir -m 0775 "$tmp/group"
mkdir -m 1777 "$tmp/sticky"
mkdir -m 0755 "$tmp/root-only"
mkdir -m 0700 "$tmp/own"
chown 65534:65534 "$tmp/own"
others="image directory $tmp/open is writable by other users \(mode 0777\) and not sticky"
cannot="cannot create files in image directory $tmp/root-only: Permission denied"

# mtcp_launch, before the program runs
expect 1 "$others" "mtcp_launch --dir, writable by all" "$launch" --dir "$tmp/open" -- /bin/true
expect 1 "image directory $tmp/group is writable by other users \(mode 0775\)" \
	"mtcp_launch --dir, writable by the group" "$launch" --dir "$tmp/group" -- /bin/true
expect 1 "$others" "mtcp_launch, MTCP_DIR writable by all" \
	env MTCP_DIR="$tmp/open" "$launch" -- /bin/true
expect 1 "$others" "mtcp_launch in a current directory writable by all" \
	sh -c 'cd "$1" && exec "$2" -- /bin/true' sh "$tmp/open" "$launch"
expect 1 "$cannot" "mtcp_launch, MTCP_DIR the user cannot write" \
	"${nobody[@]}" env MTCP_DIR="$tmp/root-only" "$launch" -- /bin/true
expect 0 "" "mtcp_launch --dir, sticky and writable by all" "$launch" --dir "$tmp/sticky" -- /bin/true
expect 0 "" "mtcp_launch --dir, the user's own" "${nobody[@]}" "$launch" --dir "$tmp/own" -- /bin/true

# the library at init: preloaded without mtcp_launch, and linked
expect 2 "^mtcp: $others.*; the program was not run$" "preloaded, MTCP_DIR writable by all" \
	env LD_PRELOAD="$lib" MTCP_DIR="$tmp/open" /bin/true
expect 2 "^mtcp: $cannot; the program was not run$" "preloaded, MTCP_DIR the user cannot write" \
	"${nobody[@]}" env LD_PRELOAD="$lib" MTCP_DIR="$tmp/root-only" /bin/true
expect 1 "^mtcp: mtcp_init: $cannot$" "mtcp_init, a directory the user cannot write" \
	"${nobody[@]}" "$linked" init "$tmp/root-only"
expect 1 "^mtcp: mtcp_init: $others" "mtcp_init, a directory writable by all" \
	"$linked" init "$tmp/open"
for d in own sticky; do
	expect 0 "" "mtcp_init and a checkpoint, directory $d" "${nobody[@]}" "$linked" init "$tmp/$d"
	grep -Eq "^image $tmp/$d/integ_linked\.[0-9]+\.[0-9a-f]{8}\.1\.mtcp$" "$tmp/out" ||
		{ echo "FAIL: no image in $tmp/$d: $(cat "$tmp/out")"; fails=$((fails + 1)); }
done
[ -z "$(ls -A "$tmp/root-only")" ] || { echo "FAIL: files in $tmp/root-only"; fails=$((fails + 1)); }

[ "$fails" = 0 ] && echo PASS && exit 0
echo "$fails failures"
exit 1
