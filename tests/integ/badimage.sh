#!/bin/bash
# SPDX-License-Identifier: MIT
#
# badimage.sh MAPFILE_PROGRAM - mtcp_restart on broken images.
#
# Makes a real image by checkpointing MAPFILE_PROGRAM (tests/integ/
# mapfile.c, which maps a file of the run directory MAP_PRIVATE), then
# damages copies of it.  For each, mtcp_restart must exit non-zero with one
# line "mtcp_restart: ..." on stderr and no crash (status below 128):
# missing file, not an image, truncated images, single flipped bytes
# (header, record header, metadata, page data near the end: that one is
# found only once the restorer runs), version 6 and machine 183 with a
# correct header checksum, a region announcing a million extents with
# every checksum recomputed (restart and --list), a FIFO given to
# --verify (refused, not blocking), and a mapped file deleted before the
# restart.
# `mtcp_restart --verify` passes on the good image and the good image
# restarts.
#
# Tools from the environment (MTCP_LAUNCH, MTCP_CHECKPOINT, MTCP_RESTART),
# as set by meson.  Every wait is bounded.  Exit: 0 pass, 1 fail, 99 error.
set -u

PROG=${1-}
WAIT_S=${MT_WAIT_S:-30}
[[ -n $PROG && -x $PROG ]] || { echo "usage: badimage.sh MAPFILE_PROGRAM" >&2; exit 99; }
for v in MTCP_LAUNCH MTCP_CHECKPOINT MTCP_RESTART; do
	[[ -n ${!v-} && -x ${!v} ]] || { echo "badimage.sh: $v is not set" >&2; exit 99; }
done
command -v python3 >/dev/null || { echo "SKIP: python3 not found"; exit 77; }

# the programs get stdin, stdout and stderr only
for f in /proc/"$$"/fd/*; do
	f=${f##*/}
	((f > 2)) && eval "exec $f>&-" 2>/dev/null
done

TMP=$(mktemp -d "${TMPDIR:-/tmp}/mtcp-badimage.XXXXXX") || exit 99
STARTED=()
WD=
# shellcheck source=proc_lib.sh
. "$(dirname "$0")/proc_lib.sh"

FIFO=$TMP/ready.fifo
mkfifo -m 0600 "$FIFO" "$TMP/watchdog.fifo" || exit 99
exec 3<>"$FIFO"
mkdir "$TMP/images" "$TMP/bad" || exit 99
export MT_READY_FIFO=$FIFO MT_TMPDIR=$TMP
NFAIL=0
say() { printf 'badimage: %s\n' "$*"; }
bad() { say "FAIL: $*"; NFAIL=$((NFAIL + 1)); }
fatal() {
	say "FAIL: $*"
	for f in "$TMP"/*.out "$TMP"/*.err; do
		[[ -e $f ]] && { echo "----- $(basename "$f") -----"; cat "$f"; }
	done
	exit 1
}

# The image tool: CRC-32C and the record walk, in a few lines of Python.
cat >"$TMP/img.py" <<'PY'
import struct, sys

def crc32c(data, crc=0):
    """CRC-32C (Castagnoli, reflected polynomial 0x82F63B78)."""
    crc ^= 0xFFFFFFFF
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 if crc & 1 else 0)
    return crc ^ 0xFFFFFFFF

def hsize(img):
    """64 for format 1 and 2, 256 from 3 on."""
    return 256 if struct.unpack_from('<I', img, 8)[0] >= 3 else 64

def records(img):
    """(offset, type, payload length) of each record."""
    off, out = hsize(img), []
    while off + 24 <= len(img):
        typ, _flags, length = struct.unpack_from('<IIQ', img, off)
        out.append((off, typ, length))
        if typ == 0x7FFFFFFF:
            break
        off += 24 + length
    return out

M64 = (1 << 64) - 1

def sum_term(off, crc):
    """image-format.h mtcp_sum_term: one record's share of END's image_sum."""
    z = (((off << 32) | (off >> 32)) & M64) ^ crc ^ 0x9E3779B97F4A7C15
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
    return z ^ (z >> 31)

def fix_header(img):
    at = hsize(img) - 4
    struct.pack_into('<I', img, at, crc32c(bytes(img[:at])))

def fix_record(img, off):
    """Payload and header checksums of a non-EXTENT, non-FD record."""
    length = struct.unpack_from('<Q', img, off + 8)[0]
    struct.pack_into('<I', img, off + 16, crc32c(bytes(img[off + 24:off + 24 + length])))
    struct.pack_into('<I', img, off + 20, crc32c(bytes(img[off:off + 20])))

def fix_end(img):
    """END's whole-image sum (v3), from the header and record header checksums."""
    recs = records(img)
    total = sum_term(0, struct.unpack_from('<I', img, hsize(img) - 4)[0])
    for off, typ, _ in recs[:-1]:
        total = (total + sum_term(off, struct.unpack_from('<I', img, off + 20)[0])) & M64
    end = recs[-1][0]
    if hsize(img) == 256:
        struct.pack_into('<Q', img, end + 24 + 16, total)
    fix_record(img, end)

cmd = sys.argv[1]
if cmd == 'selftest':
    print(hex(crc32c(b'123456789')))  # the standard check value: 0xe3069283
    sys.exit(0)
src = sys.argv[2]
img = bytearray(open(src, 'rb').read())
if cmd == 'offsets':
    recs = records(img)
    ext = [r for r in recs if r[1] == 6]
    proc = [r for r in recs if r[1] == 1][0]
    last = ext[-1]
    data = last[0] + 24 + 32
    print('header', 20)
    print('rechdr', proc[0] + 8)
    print('meta', proc[0] + 24 + 100)
    print('pagedata', data + last[2] - 32 - 100)
    print('size', len(img))
    sys.exit(0)
dst = sys.argv[3]
if cmd == 'flip':
    img[int(sys.argv[4])] ^= 0xFF
elif cmd == 'truncate':
    del img[int(sys.argv[4]):]
elif cmd in ('version', 'arch'):
    struct.pack_into('<I', img, 8 if cmd == 'version' else 12, int(sys.argv[4]))
    fix_header(img)
elif cmd == 'nextents':
    # the first REGION announces N extents; every checksum recomputed
    off = [r for r in records(img) if r[1] == 5][0][0]
    struct.pack_into('<I', img, off + 24 + 28, int(sys.argv[4]))  # nextents
    fix_record(img, off)
    fix_end(img)
open(dst, 'wb').write(img)
PY

# sanity check of the CRC-32C function: the standard check value
[[ $(python3 "$TMP/img.py" selftest) == 0xe3069283 ]] ||
	fatal "the CRC-32C helper is wrong"

wait_exit() {
	start_watchdog "$2" "$1"
	wait "$1" 2>/dev/null # (no "Killed" notice for the programs we kill)
	EXIT_RC=$?
	stop_watchdog
	[[ -e $TMP/timeout.$1 ]] && fatal "process $1 did not exit within $2 s"
	return 0
}
# read_msg WORD WATCH [PPID]: the next FIFO line "WORD A B" (B == PPID if given)
read_msg() {
	local deadline=$((SECONDS + WAIT_S)) line w a b chunk partial=
	while :; do
		# a read that times out mid-line keeps those bytes in chunk only
		if read -r -t 1 -u 3 chunk; then
			line=$partial$chunk
			partial=
			read -r w a b <<<"$line"
			if [[ $w == "$1" && ( -z ${3-} || ${b-} == "${3-}" ) ]]; then
				MSG_A=$a
				return 0
			fi
			continue
		fi
		partial+=$chunk
		alive "$2" || fatal "process $2 ended while waiting for '$1'"
		((SECONDS < deadline)) || fatal "no '$1' within $WAIT_S s"
	done
}

# ---- a good image ------------------------------------------------------------
"$MTCP_LAUNCH" --dir "$TMP/images" -- "$PROG" </dev/null >"$TMP/prog.out" 2>"$TMP/prog.err" 3>&- &
PID=$!
STARTED+=("$PID")
read_msg ready "$PID"
IMG=$("$MTCP_CHECKPOINT" --wait --timeout "$WAIT_S" "$PID" 2>"$TMP/ckpt.err" 3>&-) ||
	fatal "mtcp_checkpoint failed: $(cat "$TMP/ckpt.err")"
[[ -f $IMG ]] || fatal "no image '$IMG'"
kill -KILL "$PID"
wait_exit "$PID" "$WAIT_S"
say "image $IMG ($(stat -c %s "$IMG") bytes)"

out=$(timeout -k 5 "$WAIT_S" "$MTCP_RESTART" --verify "$IMG" 2>&1 3>&-)
rc=$?
((rc == 0)) || bad "mtcp_restart --verify on the good image: exit $rc: $out"
[[ $out == *": ok: "*"format 5"*"; writer uid "*", lineage "*", seq "* ]] ||
	bad "mtcp_restart --verify printed '$out'"

declare -A OFF
while read -r k v; do OFF[$k]=$v; done < <(python3 "$TMP/img.py" offsets "$IMG")
[[ -n ${OFF[size]-} ]] || fatal "cannot parse the image"
SIZE=${OFF[size]}

# expect_refused NAME FILE [PATTERN]: mtcp_restart FILE must fail cleanly,
# its one line of stderr matching PATTERN (an extended regex) if given.
expect_refused() {
	local name=$1 file=$2 pat=${3-} rc err nlines
	(cd "$TMP/bad" && exec timeout -k 5 "$WAIT_S" "$MTCP_RESTART" "$file") \
		</dev/null >"$TMP/bad.out" 2>"$TMP/bad.err" 3>&-
	rc=$?
	err=$(cat "$TMP/bad.err")
	nlines=$(grep -c '' "$TMP/bad.err")
	if ((rc == 0)); then
		bad "$name: mtcp_restart exited 0"
	elif ((rc == 124 || rc == 137)); then
		bad "$name: mtcp_restart did not end within $WAIT_S s"
	elif ((rc >= 128)); then
		bad "$name: mtcp_restart exited $rc (killed by a signal: a crash)"
	elif ((nlines != 1)); then
		bad "$name: exit $rc, $nlines lines on stderr, not one: $err"
	elif [[ $err != "mtcp_restart: "* ]]; then
		bad "$name: exit $rc, message does not start with 'mtcp_restart: ': $err"
	elif [[ -n $pat ]] && ! [[ $err =~ $pat ]]; then
		bad "$name: exit $rc, message does not match /$pat/: $err"
	else
		say "ok: $name: exit $rc: $err"
	fi
	if compgen -G "$TMP/bad/core*" >/dev/null; then
		bad "$name: a core file was left"
		rm -f "$TMP"/bad/core*
	fi
}

damage() { python3 "$TMP/img.py" "$1" "$IMG" "$TMP/bad/$2" "$3" || fatal "img.py $*"; }

expect_refused "missing file" "$TMP/bad/nosuch.mtcp" "No such file"
cp "$PROG" "$TMP/bad/notimage"
expect_refused "not an image (an ELF file)" "$TMP/bad/notimage" "not a libmtcp-fast image"
: >"$TMP/bad/empty"
expect_refused "empty file" "$TMP/bad/empty"
for n in 10 $((SIZE / 2)) $((SIZE - 1)); do
	damage truncate "trunc.$n" "$n"
	expect_refused "truncated to $n of $SIZE bytes" "$TMP/bad/trunc.$n"
done
for what in header rechdr meta pagedata; do
	damage flip "flip.$what" "${OFF[$what]}"
	expect_refused "byte flipped at ${OFF[$what]} ($what)" "$TMP/bad/flip.$what"
done
# --verify reads the page data too
out=$(timeout -k 5 "$WAIT_S" "$MTCP_RESTART" --verify "$TMP/bad/flip.pagedata" 2>&1 3>&-)
rc=$?
if ((rc == 0 || rc >= 124)) || [[ $out != "mtcp_restart: "*checksum* ]]; then
	bad "--verify on flipped page data: exit $rc: $out"
else
	say "ok: --verify on flipped page data: exit $rc: $out"
fi
damage version "version6" 6
expect_refused "format version 6" "$TMP/bad/version6" "version 6"
damage arch "arch183" 183
expect_refused "machine 183" "$TMP/bad/arch183" "machine.*183|183.*machine"

# a region announcing a million extents, every checksum (END's image sum
# included) recomputed: refused by restart and by --list, which used to
# read past its extent table
damage nextents "nextents" 1000000
expect_refused "a region announcing 1000000 extents" "$TMP/bad/nextents" \
	"announces 1000000 extents"
out=$(timeout -k 5 "$WAIT_S" "$MTCP_RESTART" --list "$TMP/bad/nextents" 2>&1 3>&-)
rc=$?
if ((rc != 1)) || [[ $out != "mtcp_restart: "*"announces 1000000 extents"* ]] ||
	(($(grep -c '' <<<"$out") != 1)); then
	bad "--list on a region announcing 1000000 extents: exit $rc: $out"
else
	say "ok: --list on a region announcing 1000000 extents: exit $rc: $out"
fi

# --verify of a FIFO: refused at once, not blocked in open()
mkfifo "$TMP/bad/fifo" || fatal "mkfifo"
out=$(timeout -k 5 10 "$MTCP_RESTART" --verify "$TMP/bad/fifo" 2>&1 3>&-)
rc=$?
if ((rc != 1)) || [[ $out != "mtcp_restart: "*"not a regular file"* ]]; then
	bad "--verify on a FIFO: exit $rc (124: it blocked): $out"
else
	say "ok: --verify on a FIFO: exit $rc: $out"
fi

# ---- the good image still restarts ------------------------------------------
# (its stdout was the file prog.out: the restored program goes on there)
"$MTCP_RESTART" "$IMG" </dev/null >"$TMP/restart.out" 2>"$TMP/restart.err" 3>&- &
RST=$!
STARTED+=("$RST")
read_msg woke "$RST" "$RST"
STARTED+=("$MSG_A")
kill -USR1 "$MSG_A"
wait_exit "$RST" "$WAIT_S"
if ((EXIT_RC != 0)) || ! grep -q '^PASS' "$TMP/prog.out" || [[ -s $TMP/restart.out ]]; then
	bad "the good image did not restart and pass in prog.out: exit $EXIT_RC:" \
		"$(cat "$TMP/prog.out" "$TMP/restart.out" "$TMP/restart.err")"
else
	say "ok: the good image restarts and passes"
fi

# ---- a mapped file deleted -----------------------------------------------------
rm -f "$TMP/mapped.dat"
expect_refused "mapped file deleted" "$IMG" "mapped\.dat"

if ((NFAIL)); then
	say "$NFAIL case(s) failed"
	exit 1
fi
say "PASS"
exit 0
