#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""chain_check.py IMAGE DUMP: does the chain ending at IMAGE hold, page for
page, the memory incr_prog dumped (its "dump PATH" command) right after
that checkpoint?  Reads the images as docs/format.md says ("Incremental
images (v5)": extents, INHERIT runs followed to the parents, other pages
zero or the file's), independently of mtcp_restart: a difference here is
the writer's, not the restorer's.  Checks no checksum (mtcp_restart
--verify does).  Prints one line per differing page (the first 20), then a
summary; exit 0 when every page matches, 1 when some differ, 2 when an
image cannot be read.
"""
import bisect
import os
import struct
import sys

PAGE = 4096
REC_REGION, REC_EXTENT, REC_PREV, REC_INHERIT, REC_END = 5, 6, 19, 20, 0x7FFFFFFF
KIND_ANON, KIND_PRIVFILE = 1, 2


def lz4_block(src, size):
    out = bytearray()
    i = 0
    n = len(src)
    while i < n:
        tok = src[i]
        i += 1
        lit = tok >> 4
        if lit == 15:
            while True:
                b = src[i]
                i += 1
                lit += b
                if b != 255:
                    break
        out += src[i:i + lit]
        i += lit
        if i >= n:
            break
        off = src[i] | src[i + 1] << 8
        i += 2
        ml = tok & 15
        if ml == 15:
            while True:
                b = src[i]
                i += 1
                ml += b
                if b != 255:
                    break
        ml += 4
        start = len(out) - off
        if off <= 0 or start < 0:
            raise ValueError("lz4: bad offset")
        for k in range(ml):
            out.append(out[start + k])
    if len(out) != size:
        raise ValueError("lz4: %d bytes, not %d" % (len(out), size))
    return bytes(out)


class Image:
    def __init__(self, path):
        self.path = path
        self.f = open(path, "rb")
        hdr = self.f.read(256)
        if hdr[:8] != b"MTCPFAST":
            raise ValueError("%s: not an image" % path)
        self.version, = struct.unpack_from("<I", hdr, 8)
        self.flags, = struct.unpack_from("<Q", hdr, 24)
        self.prev = None
        self.regions = []
        off = 256
        size = os.path.getsize(path)
        region = None
        while off < size:
            self.f.seek(off)
            rh = self.f.read(24)
            typ, _fl, ln = struct.unpack_from("<IIQ", rh, 0)
            pay = off + 24
            if typ == REC_PREV:
                p = self.read(pay, 48)
                name_len, = struct.unpack_from("<I", p, 36)
                depth, = struct.unpack_from("<I", p, 32)
                self.prev = (self.read(pay + 48, name_len).decode(), depth)
            elif typ == REC_REGION:
                r = self.read(pay, 80)
                start, end, prot, kind, rfl, next_, foff = struct.unpack_from("<QQIIIIQ", r, 0)
                path_len, ninh = struct.unpack_from("<II", r, 72)
                rpath = self.read(pay + 80, path_len).decode(errors="replace")
                region = dict(start=start, end=end, kind=kind, flags=rfl, foff=foff,
                              path=rpath, extents=[], inherit=[])
                self.regions.append(region)
            elif typ == REC_EXTENT:
                d = self.read(pay, 32)
                addr, eln, enc, pad, dlen = struct.unpack_from("<QQIII", d, 0)
                region["extents"].append((addr, eln, enc, pay + 32 + pad, dlen))
            elif typ == REC_INHERIT:
                d = self.read(pay, 16)
                rstart, nruns = struct.unpack_from("<QI", d, 0)
                if rstart != region["start"]:
                    raise ValueError("%s: INHERIT for %#x after REGION %#x" %
                                     (path, rstart, region["start"]))
                runs = self.read(pay + 16, 16 * nruns)
                for k in range(nruns):
                    region["inherit"].append(struct.unpack_from("<QQ", runs, 16 * k))
            elif typ == REC_END:
                break
            off = pay + ln
        self.cache = {}
        self.regions.sort(key=lambda r: r["start"])
        self.reg_starts = [r["start"] for r in self.regions]
        self.exts = sorted(e for r in self.regions for e in r["extents"])
        self.ext_starts = [e[0] for e in self.exts]
        self.inh = sorted(run for r in self.regions for run in r["inherit"])
        self.inh_starts = [run[0] for run in self.inh]

    def read(self, off, n):
        self.f.seek(off)
        b = self.f.read(n)
        if len(b) != n:
            raise ValueError("%s: short read at %d" % (self.path, off))
        return b

    def region_at(self, addr):
        i = bisect.bisect_right(self.reg_starts, addr) - 1
        if i >= 0 and addr < self.regions[i]["end"]:
            return self.regions[i]
        return None

    def extent_page(self, r, addr):
        i = bisect.bisect_right(self.ext_starts, addr) - 1
        if i < 0:
            return None
        a, ln, enc, doff, dlen = self.exts[i]
        if not a <= addr < a + ln or not r["start"] <= a < r["end"]:
            return None
        key = (a, doff)
        if key not in self.cache:
            raw = self.read(doff, dlen)
            self.cache = {key: raw if enc == 1 else lz4_block(raw, ln)}
        data = self.cache[key]
        return data[addr - a:addr - a + PAGE]

    def inherited(self, r, addr):
        i = bisect.bisect_right(self.inh_starts, addr) - 1
        return i >= 0 and self.inh[i][0] <= addr < self.inh[i][1] and r["start"] <= addr < r["end"]


class Chain:
    def __init__(self, path):
        self.images = []
        d = os.path.dirname(path)
        while True:
            im = Image(path)
            self.images.append(im)
            if not im.prev:
                break
            path = os.path.join(d, im.prev[0])
        self.files = {}

    def page(self, addr, level=0):
        """(bytes, which image) of the page at addr as the chain holds it."""
        im = self.images[level]
        r = im.region_at(addr)
        if r is None:
            return None, "no region in %s" % os.path.basename(im.path)
        b = im.extent_page(r, addr)
        if b is not None:
            return b, os.path.basename(im.path)
        if im.inherited(r, addr):
            if level + 1 >= len(self.images):
                return None, "inherited, but %s has no parent" % os.path.basename(im.path)
            pb, who = self.page(addr, level + 1)
            if pb is None and who.startswith("no region"):
                return None, "inherited by %s from %s" % (os.path.basename(im.path), who)
            return pb, who
        if r["kind"] == KIND_PRIVFILE and not (r["flags"] & 12):
            fp = r["path"]
            if fp not in self.files:
                self.files[fp] = open(fp, "rb")
            f = self.files[fp]
            f.seek(r["foff"] + addr - r["start"])
            b = f.read(PAGE)
            return b + bytes(PAGE - len(b)), "the file"
        return bytes(PAGE), "zero"


def main():
    if len(sys.argv) != 3:
        print("usage: chain_check.py IMAGE DUMP", file=sys.stderr)
        return 2
    try:
        chain = Chain(sys.argv[1])
    except (OSError, ValueError, struct.error) as e:
        print("chain_check: %s" % e)
        return 2
    names = [os.path.basename(i.path) for i in chain.images]
    bad = pages = 0
    with open(sys.argv[2], "rb") as dump:
        nareas, = struct.unpack("<Q", dump.read(8))
        for _ in range(nareas):
            name, base, npages = struct.unpack("<16sQQ", dump.read(32))
            name = name.rstrip(b"\0").decode()
            for p in range(npages):
                want = dump.read(PAGE)
                addr = base + p * PAGE
                got, who = chain.page(addr)
                pages += 1
                if got != want:
                    bad += 1
                    if bad <= 20:
                        print("chain_check: %s page %d (%#x): the chain gives %s (%s), the program "
                              "had %s" % (name, p, addr,
                                          "nothing" if got is None else
                                          "zeros" if got == bytes(PAGE) else "other bytes",
                                          who, "zeros" if want == bytes(PAGE) else "data"))
    print("chain_check: %s (chain of %d: %s): %d of %d pages differ" %
          (names[0], len(names), " <- ".join(names), bad, pages))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
