#!/bin/bash
# SPDX-License-Identifier: MIT
# check.sh MTCP_CHECK INCR_NOUFFD NO_TMPFILE: mtcp_check (docs/tools.md,
# "mtcp_check").  Every run: each documented item on exactly one line of the
# documented format, every "no" line with its cost, the exit status 0 or 1
# as the lines say, nothing on stderr, nothing left in the directory.  Then
# probes made to fail and seen failing: userfaultfd refused by a seccomp
# filter (incr_nouffd), O_TMPFILE refused (no_tmpfile), a directory others
# can write, and, where user namespaces can be made, set_tid refused to a
# root that does not own the pid namespace; as root also uid 65534, whose
# userns line must agree with unshare(1) doing the same, and uid 65534
# where no user namespace may be made.  Usage errors: exit 2, one line.
set -u
check=$1 nouffd=$2 notmp=$3
items="kernel PAGEMAP_SCAN userfaultfd WP_ASYNC io_uring imgdir fs O_TMPFILE O_DIRECT userns set_tid"
nitems=$(wc -w <<< "$items")
tmp=$(mktemp -d /tmp/mtcp-check.XXXXXX)
ns_pid=
trap '[ -n "$ns_pid" ] && kill "$ns_pid" 2>/dev/null; rm -rf "$tmp"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
as_nobody=(setpriv --reuid 65534 --regid 65534 --clear-groups)

# run NAME COMMAND...: output in $tmp/NAME.out and .err, status in $rc
run() {
	local name=$1
	shift
	"$@" > "$tmp/$name.out" 2> "$tmp/$name.err" < /dev/null
	rc=$?
}

# line NAME ITEM: that item's line of run NAME
line() { grep -E "^(ok|no)    $2: " "$tmp/$1.out"; }

# lines_ok NAME: the lines and the status of run NAME are as documented
lines_ok() {
	local name=$1 out=$tmp/$1.out n want
	for i in $items; do
		n=$(grep -cE "^(ok|no)    $i: " "$out")
		[ "$n" = 1 ] || fail "$name: item $i is on $n lines, not 1"
	done
	n=$(wc -l < "$out")
	[ "$n" = "$nitems" ] || fail "$name: $n lines, expected $nitems"
	if grep -vqE '^(ok|no)    [A-Za-z_]+: .' "$out"; then
		fail "$name: a line not in the documented format: $(grep -vE '^(ok|no)    [A-Za-z_]+: .' "$out" | head -1)"
	fi
	if grep -E '^no ' "$out" | grep -vq ';'; then
		fail "$name: a no line that does not say what it costs: $(grep -E '^no ' "$out" | grep -v ';' | head -1)"
	fi
	if grep -q '^no ' "$out"; then want=1; else want=0; fi
	[ "$rc" = "$want" ] || fail "$name: exit $rc, but its lines call for $want"
	[ -s "$tmp/$name.err" ] && fail "$name: stderr: $(head -3 "$tmp/$name.err")"
	echo "ok: $name: $nitems lines, exit $rc$(grep '^no ' "$out" | awk '{ printf " [no %s]", $2 }')"
}

# expect_no NAME ITEM WORDS: the item's line says no, and WORDS (a regex)
expect_no() {
	local l
	l=$(line "$1" "$2")
	if [[ "$l" != no* ]] || ! grep -qE "$3" <<< "$l"; then
		fail "$1: expected 'no $2: ...$3...', got: $l"
	fi
}

# usage STATUS DESCRIPTION ARGS...: the status, nothing on stdout, one line on stderr
usage() {
	local want=$1 what=$2
	shift 2
	run usage "$check" "$@"
	if [ "$rc" != "$want" ] || [ -s "$tmp/usage.out" ] || [ "$(wc -l < "$tmp/usage.err")" != 1 ]; then
		fail "$what: exit $rc (expected $want), stdout $(wc -l < "$tmp/usage.out") lines, stderr: $(cat "$tmp/usage.err")"
	else
		echo "ok: $what: exit $rc: $(cat "$tmp/usage.err")"
	fi
}

# empty DIR: the probes left nothing in it
empty() { [ -z "$(ls -A "$1")" ] || fail "files left in $1: $(ls -A "$1")"; }

mkdir -m 0700 "$tmp/own"

# --- this machine, as the caller is; the current directory by default
start=$(date +%s%N)
run plain sh -c 'cd "$1" && exec "$2"' sh "$tmp/own" "$check"
ms=$((($(date +%s%N) - start) / 1000000))
lines_ok plain
empty "$tmp/own"
line plain imgdir | grep -q "$tmp/own" || fail "plain: the imgdir line does not name the current directory"
echo "# took $ms ms"
[ "$ms" -lt 3000 ] || fail "plain: took $ms ms"
cat "$tmp/plain.out"

run own "$check" --dir "$tmp/own"
lines_ok own
empty "$tmp/own"

# --- the image-directory rule: writable by others and not sticky fails,
# sticky passes (imgdir_check, as mtcp_launch and the library apply it)
mkdir "$tmp/open" && chmod 0777 "$tmp/open"
run open "$check" --dir "$tmp/open"
lines_ok open
expect_no open imgdir "writable by other users \(mode 0777\) and not sticky"
[ "$rc" = 1 ] || fail "open: exit $rc, expected 1"
chmod 1777 "$tmp/open"
run sticky "$check" --dir "$tmp/open"
lines_ok sticky
[[ "$(line sticky imgdir)" == ok* ]] || fail "sticky: $(line sticky imgdir)"
empty "$tmp/open"

# --- userfaultfd refused by a seccomp filter (as Docker's profile does)
run nouffd "$nouffd" "$check" --dir "$tmp/own"
lines_ok nouffd
expect_no nouffd userfaultfd "fails with EPERM, under this process's seccomp filter"
expect_no nouffd WP_ASYNC "not usable without userfaultfd; no incremental images"
[ "$rc" = 1 ] || fail "nouffd: exit $rc, expected 1"
# the filter is not blamed for what it does not block
[ "$(line nouffd io_uring | cut -c1-2)" = "$(line plain io_uring | cut -c1-2)" ] ||
	fail "nouffd: io_uring differs under a filter that does not block it: $(line nouffd io_uring)"

# --- O_TMPFILE refused (a seccomp filter, as on a file system without it)
run notmp "$notmp" "$check" --dir "$tmp/own"
lines_ok notmp
expect_no notmp O_TMPFILE "refused here; images are written as named"
[ "$rc" = 1 ] || fail "notmp: exit $rc, expected 1"
empty "$tmp/own"

# --- root of a user namespace that does not own the pid namespace: the
# kernel refuses set_tid (CAP_SYS_ADMIN over the pid namespace is needed)
if unshare --user --map-root-user true 2> /dev/null; then
	run rootns unshare --user --map-root-user "$check" --dir "$tmp/own"
	lines_ok rootns
	[[ "$(line rootns userns)" == "ok    userns: not needed"* ]] || fail "rootns: $(line rootns userns)"
	expect_no rootns set_tid "fails in this pid namespace \(EPERM\)"
else
	echo "# skipped: user namespaces cannot be made here"
fi

# --- usage
usage 2 "a --dir that does not exist" --dir "$tmp/nonexistent"
usage 2 "a --dir that is a file" --dir "$tmp/plain.out"
usage 2 "--dir without a value" --dir
usage 2 "an extra argument" --dir "$tmp/own" extra
usage 2 "an unknown option" --no-such-option
usage 2 "an unknown short option" -x
run help "$check" --help
[ "$rc" = 0 ] || fail "--help: exit $rc"
for w in --dir -h --help --version $items; do
	grep -qw -- "$w" "$tmp/help.out" || fail "--help does not list $w"
done
run version "$check" --version
[ "$rc" = 0 ] && grep -q '^mtcp_check (libmtcp-fast) ' "$tmp/version.out" || fail "--version: exit $rc: $(cat "$tmp/version.out")"

# --- as uid 65534 (root only): a user's restart, in a user and pid namespace
if [ "$(id -u)" = 0 ] && grep -qE '^ +0 +0 +4294967295$' /proc/self/uid_map; then
	chmod 0711 "$tmp"
	mkdir -m 0700 "$tmp/nobody" && chown 65534:65534 "$tmp/nobody"
	run nobody "${as_nobody[@]}" "$check" --dir "$tmp/nobody"
	lines_ok nobody
	empty "$tmp/nobody"
	# unshare(1) makes what mtcp_restart makes: user, pid and mount
	# namespaces, our ids mapped, a /proc of the new pid namespace
	if "${as_nobody[@]}" unshare --user --map-current-user --pid --fork --mount --mount-proc true 2> /dev/null; then
		direct=ok
	else
		direct=no
	fi
	[ "$(line nobody userns | cut -c1-2)" = "$direct" ] ||
		fail "nobody: unshare says $direct, mtcp_check says: $(line nobody userns)"
	[ "$direct" = no ] || [[ "$(line nobody set_tid)" == ok* ]] ||
		fail "nobody: $(line nobody set_tid)"
	echo "# as 65534: $(line nobody userns | cut -c1-60)... (unshare: $direct)"

	# no user namespace may be made below this one: user.max_user_namespaces
	# is 0 in a user namespace of our own (ids 0-65535 mapped as they are)
	unshare --user sleep 60 &
	ns_pid=$!
	for _ in $(seq 100); do
		[ "$(readlink /proc/$ns_pid/ns/user)" != "$(readlink /proc/self/ns/user)" ] && break
		sleep 0.02
	done
	if echo '0 0 65536' > /proc/$ns_pid/uid_map && echo '0 0 65536' > /proc/$ns_pid/gid_map &&
	   nsenter --user --target "$ns_pid" sh -c 'echo 0 > /proc/sys/user/max_user_namespaces'; then
		run nousers nsenter --user --target "$ns_pid" "${as_nobody[@]}" "$check" --dir "$tmp/nobody"
		lines_ok nousers
		expect_no nousers userns "cannot make a user and pid namespace: .*ENOSPC.*new pid and thread ids"
		expect_no nousers set_tid "not tried"
		nsenter --user --target "$ns_pid" "${as_nobody[@]}" unshare --user --map-current-user --pid --fork true 2> /dev/null &&
			fail "nousers: unshare(1) made a user namespace where mtcp_check could not"
	else
		echo "# skipped: cannot limit user namespaces in a namespace of our own"
	fi
	kill "$ns_pid" 2> /dev/null
	wait "$ns_pid" 2> /dev/null
	ns_pid=
else
	echo "# skipped as uid 65534: needs root in the initial user namespace"
fi

[ "$fails" = 0 ] && echo PASS && exit 0
echo "$fails failures"
exit 1
