#!/bin/bash
# SPDX-License-Identifier: MIT
# setup.sh demo|test: installs what a fresh Debian 12 machine lacks (as
# root), builds, and runs the demo or the whole test suite.
#   demo: build/ (optimised), then examples/demo.sh
#   test: build-test/ with AddressSanitizer and UBSan on the unit tests and
#         the tools (the preloaded library, the restorer and the programs
#         run under the checkpointer are built without them), build-fuzz/
#         (clang-14, -Dfuzz=true: the image validator's libFuzzer target,
#         which the test fuzz-image runs for 60 s), then every test; the
#         last line says "N passed, N failed".
set -eu
cd "$(dirname "$0")"
what=${1:-}
case "$what" in demo|test) ;; *) echo "usage: $0 demo|test" >&2; exit 2 ;; esac

# nodejs, openjdk-17-jdk-headless (and python3, coreutils): the real
# programs of tests/runtimes, which skip only when their runtime is absent;
# tini: pid 1 of examples/k8s, run by tests/preempt;
# scdoc: the man pages (docs/man; built when it is there, -Dman=auto)
packages="meson ninja-build gcc g++ pkg-config libc6-dev binutils python3 libcmocka-dev util-linux liburing-dev liblz4-dev libbenchmark-dev python3-matplotlib clang-14 libclang-rt-14-dev nodejs openjdk-17-jdk-headless tini scdoc"
missing=
for p in $packages; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
	if [ "$(id -u)" != 0 ]; then
		echo "setup.sh: missing Debian packages:$missing (run as root to install them)" >&2
		exit 1
	fi
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null
fi

if [ "$what" = demo ]; then
	[ -d build ] || meson setup build >/dev/null
	ninja -C build >/dev/null
	exec examples/demo.sh build
fi

[ -d build-test ] || meson setup build-test -Db_sanitize=address,undefined >/dev/null
ninja -C build-test >/dev/null
# the fuzz target: its own build directory (tests/fuzz/README.md); the
# test fuzz-image fails, not skips, without it (MTCP_FUZZ_REQUIRED)
[ -d build-fuzz ] || CC=clang-14 meson setup build-fuzz -Dfuzz=true >/dev/null
ninja -C build-fuzz >/dev/null
set +e
ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 MTCP_FUZZ_REQUIRED=1 \
	meson test -C build-test --print-errorlogs --num-processes 1
rc=$?
set -e
python3 - build-test/meson-logs/testlog.json <<'PY'
import json, sys
passed = failed = skipped = 0
for line in open(sys.argv[1]):
    r = json.loads(line)["result"]
    if r in ("OK", "EXPECTEDFAIL"): passed += 1
    elif r == "SKIP": skipped += 1
    else: failed += 1
print(f"{passed} passed, {failed} failed, {skipped} skipped")
PY
exit $rc
