#!/bin/bash
# SPDX-License-Identifier: MIT
#
# run_fuzz.sh FUZZ_BUILD_DIR IMG_SEED OUT_DIR PROGRAM... - the image
# validator's fuzz test (tests/fuzz/README.md).
#
# 1. Brings FUZZ_BUILD_DIR (build-fuzz/, configured with -Dfuzz=true) up
#    to date and finds its fuzz_image (or takes MTCP_FUZZ_BIN).
# 2. Makes the seed corpus from real images: each PROGRAM (an integration
#    test program) runs under mtcp_launch, is checkpointed twice (as
#    configured, then raw with O_DIRECT, so that extents carry padding),
#    and each image is cut down by IMG_SEED into OUT_DIR/seeds/ and must
#    still pass `mtcp_restart --list`; with MTCP_SPLIT (tests/integ/
#    split_image), an increment of each image is cut down too.
# 3. Runs the fuzzer for MTCP_FUZZ_SECONDS (60) seconds.  Any finding (a
#    crash, a sanitizer report, a leak, a timeout of 10 s, more than
#    2 GiB) fails the test; its input is kept in OUT_DIR/artifacts/ and
#    the fuzzer's log in OUT_DIR/fuzz.log.
#
# Without FUZZ_BUILD_DIR the test is skipped (exit 77), unless
# MTCP_FUZZ_REQUIRED=1 (setup.sh test), where that is a failure.  Tools
# from the environment (MTCP_LAUNCH, MTCP_CHECKPOINT, MTCP_RESTART), as
# set by meson.  Every wait is bounded.  Exit: 0 pass, 1 fail, 77 skip.
set -u
FUZZ_DIR=${1-} SEED=${2-} OUT=${3-}
shift 3 || { echo "usage: run_fuzz.sh FUZZ_BUILD_DIR IMG_SEED OUT_DIR PROGRAM..." >&2; exit 1; }
SECS=${MTCP_FUZZ_SECONDS:-60}
WAIT_S=${MT_WAIT_S:-30}
BIN=${MTCP_FUZZ_BIN:-$FUZZ_DIR/tests/fuzz/fuzz_image}

if [[ -z ${MTCP_FUZZ_BIN-} && ! -f $FUZZ_DIR/build.ninja ]]; then
	if [[ ${MTCP_FUZZ_REQUIRED-} == 1 ]]; then
		echo "FAIL: no fuzz build in $FUZZ_DIR (setup.sh test makes it: CC=clang-14 meson setup build-fuzz -Dfuzz=true)"
		exit 1
	fi
	echo "SKIP: no fuzz build in $FUZZ_DIR (see tests/fuzz/README.md)"
	exit 77
fi
if [[ -z ${MTCP_FUZZ_BIN-} ]]; then
	ninja -C "$FUZZ_DIR" >"$OUT.ninja.log" 2>&1 ||
		{ echo "FAIL: cannot build $FUZZ_DIR:"; cat "$OUT.ninja.log"; exit 1; }
	rm -f "$OUT.ninja.log"
fi
[[ -x $BIN ]] || { echo "FAIL: no fuzzer at $BIN"; exit 1; }
for v in MTCP_LAUNCH MTCP_CHECKPOINT MTCP_RESTART; do
	[[ -n ${!v-} && -x ${!v} ]] || { echo "FAIL: $v is not set"; exit 1; }
done

rm -rf "$OUT"
mkdir -p "$OUT/artifacts" "$OUT/images" "$OUT/seeds" || exit 1
TMP=$(mktemp -d "${TMPDIR:-/tmp}/mtcp-fuzz.XXXXXX") || exit 1
PIDS=()
cleanup() {
	for p in "${PIDS[@]}"; do kill -KILL "$p" 2>/dev/null; done
	wait 2>/dev/null
	rm -rf "$TMP" "$OUT/images"
}
trap cleanup EXIT
mkdir "$TMP/corpus"

# seed PROGRAM N [VAR=VALUE...]: one checkpoint of PROGRAM, cut down
seed() {
	local prog=$1 n=$2 pid img i
	shift 2
	mkdir -p "$TMP/run.$n" "$OUT/images/$n"
	env "$@" MT_TMPDIR="$TMP/run.$n" "$MTCP_LAUNCH" --dir "$OUT/images/$n" -- "$prog" \
		</dev/null >"$TMP/out.$n" 2>&1 &
	pid=$!
	PIDS+=("$pid")
	for ((i = 0; i < WAIT_S * 20; i++)); do
		grep -q '^ready' "$TMP/out.$n" && break
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
	done
	grep -q '^ready' "$TMP/out.$n" ||
		{ echo "FAIL: $prog did not get ready:"; cat "$TMP/out.$n"; exit 1; }
	img=$("$MTCP_CHECKPOINT" --wait --timeout "$WAIT_S" "$pid" 2>"$TMP/ckpt.$n") ||
		{ echo "FAIL: checkpoint of $prog: $(cat "$TMP/ckpt.$n")"; exit 1; }
	kill -KILL "$pid"
	wait "$pid" 2>/dev/null
	"$SEED" "$img" "$OUT/seeds/seed-$n" || { echo "FAIL: img_seed $img"; exit 1; }
	"$MTCP_RESTART" --list "$OUT/seeds/seed-$n" >/dev/null 2>"$TMP/list.$n" ||
		{ echo "FAIL: seed $n of $prog does not load: $(cat "$TMP/list.$n")"; exit 1; }
	echo "seed $n: $(basename "$prog") $*: $(stat -c %s "$img") bytes -> $(stat -c %s "$OUT/seeds/seed-$n")"
	# and an increment of it (v5 PREV and INHERIT records, tests/integ/
	# split_image.c), cut down next to its parent, where --list finds it
	if [[ -n ${MTCP_SPLIT-} ]]; then
		{ "$MTCP_SPLIT" "$img" "$img.inc" && "$SEED" "$img.inc" "$img.inc.seed" &&
			"$MTCP_RESTART" --list "$img.inc.seed" >/dev/null 2>"$TMP/list.$n" &&
			cp "$img.inc.seed" "$OUT/seeds/seed-$n-inc"; } ||
			{ echo "FAIL: increment seed $n of $prog: $(cat "$TMP/list.$n")"; exit 1; }
	fi
}
n=0
for prog in "$@"; do
	seed "$prog" $((n++))
	seed "$prog" $((n++)) MTCP_DIRECT=always MTCP_COMPRESS=none
done

echo "fuzzing for $SECS s: $BIN"
"$BIN" -max_total_time="$SECS" -timeout=10 -rss_limit_mb=2048 -error_exitcode=1 \
	-timeout_exitcode=1 -print_final_stats=1 -artifact_prefix="$OUT/artifacts/" \
	"$TMP/corpus" "$OUT/seeds" >"$OUT/fuzz.log" 2>&1
rc=$?
grep -E '^#[0-9]+[[:space:]]+(DONE|INITED)|stat::number_of_executed_units|stat::new_units_added' \
	"$OUT/fuzz.log"
if ((rc != 0)) || compgen -G "$OUT/artifacts/*" >/dev/null; then
	echo "FAIL: the fuzzer found something (exit $rc); its log: $OUT/fuzz.log"
	tail -n 60 "$OUT/fuzz.log"
	ls -l "$OUT/artifacts"
	echo "reproduce: $BIN $OUT/artifacts/<file>"
	exit 1
fi
echo "PASS"
exit 0
