#!/bin/bash
# SPDX-License-Identifier: MIT
# swap_classify.sh PROGRAM [-- COMMAND...]: page_scan on pages really swapped
# out (PROGRAM is test_page_scan_swap); then, with the swap still on,
# COMMAND (the integration runner on classes.c "swap": a program whose
# pages are in swap at the checkpoint comes back whole).  Needs root: makes a 64 MiB swap file on a disk
# file system, enables it at the highest priority, runs PROGRAM, and turns
# the swap file off and removes it on every way out: the EXIT trap (INT and
# TERM exit through it), and a watchdog in a session of its own for when
# this script is killed outright (meson sends SIGKILL to the test's process
# group 0.5 s after its SIGTERM; swapoff may take longer than that).
# Skipped (77), saying why, where swap cannot be enabled.
set -u
prog=$1
shift
[ "${1:-}" = -- ] && shift
size_mb=64

[ "$(id -u)" = 0 ] || { echo "skip: needs root to enable a swap file"; exit 77; }
for t in mkswap swapon swapoff setsid; do
	command -v "$t" >/dev/null || { echo "skip: $t not found"; exit 77; }
done
[ -r /proc/swaps ] || { echo "skip: the kernel has no swap (no /proc/swaps)"; exit 77; }

# A disk file system with room: the kernel refuses swap files on tmpfs and
# overlayfs.
dir=
for base in /var/tmp "$PWD"; do
	case $(stat -f -c %T "$base" 2>/dev/null) in
	tmpfs | ramfs | overlayfs | "") continue ;;
	esac
	avail=$(df -Pk "$base" 2>/dev/null | awk 'NR == 2 { print $4 }')
	[ "${avail:-0}" -ge $(((size_mb + 64) * 1024)) ] || continue
	dir=$(mktemp -d "$base/mtcp-swap.XXXXXX") && break
done
[ -n "$dir" ] || { echo "skip: no disk file system with $size_mb MiB free for a swap file"; exit 77; }
swapfile=$dir/swap
child=

swap_is_ours() { grep -q "^$swapfile[[:space:]]" /proc/swaps; }

cleanup() {
	local rc=$?
	trap - EXIT INT TERM
	if [ -n "$child" ]; then
		kill -9 "$child" 2>/dev/null
		wait "$child" 2>/dev/null
	fi
	if swap_is_ours; then
		swapoff "$swapfile" || { echo "FAIL: swapoff $swapfile"; rc=1; }
	fi
	if swap_is_ours; then
		echo "FAIL: $swapfile is still enabled"
		rc=1
	else
		rm -rf "$dir"
	fi
	exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# The watchdog: once this script is gone, however it went, swap off.
setsid bash -c 'while kill -0 "$1" 2>/dev/null; do sleep 0.2; done
	grep -q "^$2[[:space:]]" /proc/swaps && swapoff "$2"
	grep -q "^$2[[:space:]]" /proc/swaps || rm -rf "$3"' \
	swap-watchdog $$ "$swapfile" "$dir" </dev/null >/dev/null 2>&1 &

if ! dd if=/dev/zero of="$swapfile" bs=1M count=$size_mb status=none 2>"$dir/err"; then
	echo "skip: cannot write a $size_mb MiB swap file in $dir: $(tr '\n' ' ' <"$dir/err")"
	exit 77
fi
chmod 600 "$swapfile"
if ! mkswap "$swapfile" >"$dir/err" 2>&1; then
	echo "skip: mkswap $swapfile failed: $(tr '\n' ' ' <"$dir/err")"
	exit 77
fi
if ! swapon -p 32767 "$swapfile" 2>"$dir/err"; then
	echo "skip: swapon $swapfile refused ($(stat -f -c %T "$dir") file system):" \
		"$(tr '\n' ' ' <"$dir/err")"
	exit 77
fi
echo "# swap on: $(grep "^$swapfile[[:space:]]" /proc/swaps)"

"$prog" &
child=$!
wait "$child"
rc=$?
child=
if [ $rc -gt 128 ] && [ $rc -le 192 ]; then
	echo "FAIL: $prog killed by signal $((rc - 128))"
	exit 1
fi
[ $rc = 0 ] && [ $# -gt 0 ] || exit $rc
echo "# then, swap still on: $*"
"$@" &
child=$!
wait "$child"
rc=$?
child=
exit $rc
