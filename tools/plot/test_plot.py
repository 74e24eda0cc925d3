#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Tests of tools/plot: synthetic mtcp-bench CSV files in a temporary
directory, the plot command run on them, its PNG files and exit statuses
checked, and the 2006 reference numbers compared with the paper's.

    python3 tools/plot/test_plot.py          # exit 77 (skipped) without matplotlib
"""

import csv
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.dont_write_bytecode = True  # nothing written into the source tree

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
PLOT = os.path.join(HERE, "mtcp_plot.py")
DEBIAN_PYTHON = "/usr/bin/python3"

import paper2006  # noqa: E402

# The per-point header before the --cow axis (files of that time must still plot).
HEADER = ("mode,kind,point,unit,runs,data_bytes,pause_med_s,pause_min_s,pause_max_s,todisk_med_s,"
          "todisk_min_s,todisk_max_s,image_bytes,restart_med_s,restart_min_s,restart_max_s,"
          "write_base_med_s,read_base_med_s,base_bytes,pause_ratio,todisk_ratio,restart_ratio,"
          "criu_pause_s,criu_todisk_s,criu_image_bytes,criu_restart_s,class,run_time_s,residual_ok,ok").split(",")
# bench/mb/README.md: today's per-point header, exactly.
HEADER_COW = ("mode,kind,point,unit,cow,runs,data_bytes,pause_med_s,pause_min_s,pause_max_s,"
              "reported_pause_med_s,todisk_med_s,todisk_min_s,todisk_max_s,image_bytes,"
              "restart_med_s,restart_min_s,restart_max_s,write_base_med_s,read_base_med_s,"
              "fork_base_med_s,base_bytes,pause_ratio,todisk_ratio,restart_ratio,criu_pause_s,"
              "criu_todisk_s,criu_image_bytes,criu_restart_s,extra_mem_med_bytes,"
              "extra_mem_min_bytes,extra_mem_max_bytes,class,run_time_s,residual_ok,ok,interval_s,"
              "ckpts_med,wall_med_s,wall_min_s,wall_max_s,slowdown_med,slowdown_min,slowdown_max,"
              "mean_pause_s,max_pause_s").split(",")

# The paper's numbers as the brief of this tool states them (the paper's text).
PAPER_2006 = {
    "checkpoint s per MB (0.3 s per 100 MB)": (paper2006.CHECKPOINT_S_PER_MB, 0.003),
    "restart MB/s": (paper2006.RESTART_MB_PER_S, 25.0),
    "image MB per idle thread": (paper2006.IMAGE_MB_PER_IDLE_THREAD, 8.0),
    "LU W checkpoint s": (paper2006.LU_OPENMP["W"][0], 0.07),
    "LU W restart s": (paper2006.LU_OPENMP["W"][1], 0.07),
    "LU A checkpoint s": (paper2006.LU_OPENMP["A"][0], 0.19),
    "LU A restart s": (paper2006.LU_OPENMP["A"][1], 0.17),
    "LU B checkpoint s": (paper2006.LU_OPENMP["B"][0], 0.95),
    "LU B restart s": (paper2006.LU_OPENMP["B"][1], 0.51),
    "MG W image MB": (paper2006.MG_JAVA_KAFFE["W"][0], 175.0),
    "MG W checkpoint s": (paper2006.MG_JAVA_KAFFE["W"][1], 0.7),
    "MG W restart s": (paper2006.MG_JAVA_KAFFE["W"][2], 0.6),
    "MG A image MB": (paper2006.MG_JAVA_KAFFE["A"][0], 632.0),
    "MG A checkpoint s": (paper2006.MG_JAVA_KAFFE["A"][1], 12.0),
    "MG A restart s": (paper2006.MG_JAVA_KAFFE["A"][2], 19.7),
}

MIB = 1 << 20

# bench/mb/README.md: memory --incremental's per-point header, exactly.
HEADER_INCR = ("mode,kind,point,unit,cow,runs,data_bytes,increments,policy_fulls,rewritten_bytes,"
               "image_limit_bytes,image_bytes,image_min_bytes,image_max_bytes,image_ratio,pause_med_s,"
               "pause_min_s,pause_max_s,reported_pause_med_s,todisk_med_s,todisk_min_s,todisk_max_s,"
               "scan_med_s,scan_min_s,scan_max_s,tracked_bytes,written_bytes,inherited_bytes,"
               "full_pause_med_s,full_pause_min_s,full_pause_max_s,full_todisk_med_s,full_image_bytes,"
               "protect_med_s,protect_min_s,protect_max_s,protected_bytes,depth,restart_med_s,"
               "restart_min_s,restart_max_s,restart_full_med_s,restart_full_min_s,restart_full_max_s,"
               "restart_ratio,flatten_med_s,restart_flat_med_s,restart_flat_min_s,restart_flat_max_s,ok").split(",")


def _row(**kw):
    r = {h: "" for h in HEADER_COW}
    for k, v in kw.items():
        assert k in r, k
        r[k] = v if isinstance(v, str) else ("%d" % v if isinstance(v, int) else "%.6f" % v)
    return r


def _spread(med, rel=0.08):
    return dict(med=med, lo=med * (1 - rel), hi=med * (1 + rel * 1.5))


def memory_rows(failed_point=512):
    rows = []
    per_mib = {"random": (0.0024, 0.0027, 0.00078), "heap": (0.0032, 0.0034, 0.0009),
               "zero": (0.00007, 0.00009, 0.00003), "sparse": (0.00003, 0.00004, 0.00006)}
    for kind, (p, d, r) in per_mib.items():
        mib = 64
        while mib <= 2048:
            pa, td, rs = _spread(0.005 + p * mib), _spread(0.008 + d * mib), _spread(0.003 + r * mib)
            wb, rb = 0.0026 * mib, 0.0007 * mib
            ok = 0 if (kind == "random" and mib == failed_point) else 1
            rows.append(_row(mode="memory", kind=kind, point=mib, unit="MiB", runs=5, data_bytes=mib * MIB,
                             pause_med_s=pa["med"], pause_min_s=pa["lo"], pause_max_s=pa["hi"],
                             todisk_med_s=td["med"], todisk_min_s=td["lo"], todisk_max_s=td["hi"],
                             image_bytes=int(mib * MIB * (1.004 if kind == "random" else 0.45 if kind == "heap"
                                                          else 0.0001) + 54000),
                             restart_med_s=rs["med"], restart_min_s=rs["lo"], restart_max_s=rs["hi"],
                             write_base_med_s=wb, read_base_med_s=rb, base_bytes=mib * MIB,
                             pause_ratio="%.4f" % (pa["med"] / wb), todisk_ratio="%.4f" % (td["med"] / wb),
                             restart_ratio="%.4f" % (rs["med"] / rb), ok=ok))
            mib *= 2
    return rows


def cow_rows():
    """memory rows of random data on both sides of --cow (mtcp-bench memory
    --cow both), and a targets row (drawn by no figure)."""
    rows = []
    for side, pause_per_mib, base in (("stw", 0.0024, 0.005), ("cow", 0.00005, 0.002)):
        mib = 64
        while mib <= 2048:
            pa, td, rs = _spread(base + pause_per_mib * mib), _spread(0.008 + 0.0027 * mib), _spread(0.003 + 0.0008 * mib)
            rows.append(_row(mode="memory", kind="random", point=mib, unit="MiB", cow=side, runs=5,
                             data_bytes=mib * MIB, pause_med_s=pa["med"], pause_min_s=pa["lo"],
                             pause_max_s=pa["hi"], reported_pause_med_s=pa["med"] * 0.9,
                             todisk_med_s=td["med"], todisk_min_s=td["lo"], todisk_max_s=td["hi"],
                             image_bytes=int(mib * MIB * 1.004), restart_med_s=rs["med"],
                             restart_min_s=rs["lo"], restart_max_s=rs["hi"], write_base_med_s=0.0026 * mib,
                             read_base_med_s=0.0007 * mib, base_bytes=mib * MIB, ok=1))
            mib *= 2
    rows.append(_row(mode="targets", kind="growth", point=1024, unit="MiB", cow="cow", runs=5,
                     pause_med_s=0.05, fork_base_med_s=0.045, ok=1))
    return rows


def threads_rows():
    rows = []
    for n in (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000):
        pa, td, rs = _spread(0.006 + 0.000055 * n), _spread(0.012 + 0.00007 * n), _spread(0.003 + 0.000034 * n)
        img = 53740 + 1456 * n
        rows.append(_row(mode="threads", kind="idle", point=n, unit="threads", runs=5, data_bytes=0,
                         pause_med_s=pa["med"], pause_min_s=pa["lo"], pause_max_s=pa["hi"],
                         todisk_med_s=td["med"], todisk_min_s=td["lo"], todisk_max_s=td["hi"],
                         image_bytes=img, restart_med_s=rs["med"], restart_min_s=rs["lo"],
                         restart_max_s=rs["hi"], write_base_med_s=0.004, read_base_med_s=0.002,
                         base_bytes=MIB * ((img + MIB - 1) // MIB), ok=1))
    return rows


def npb_rows():
    rows = []
    for cls, mem, run, ck, rs in (("S", 12, 0.08, 0.012, 0.006), ("W", 28, 2.1, 0.03, 0.016),
                                  ("A", 190, 31.0, 0.31, 0.14), ("B", 760, 140.0, 1.25, 0.55)):
        t, r = _spread(ck), _spread(rs)
        rows.append(_row(mode="npb", kind="lu", point=cls, unit="class", runs=3, data_bytes=mem * MIB,
                         todisk_med_s=t["med"], todisk_min_s=t["lo"], todisk_max_s=t["hi"],
                         image_bytes=int(mem * MIB * 1.02), restart_med_s=r["med"], restart_min_s=r["lo"],
                         restart_max_s=r["hi"], write_base_med_s=ck * 0.9, read_base_med_s=rs * 0.8,
                         base_bytes=(mem + 1) * MIB, todisk_ratio="1.1111", restart_ratio="1.2500",
                         **{"class": cls}, run_time_s=run, residual_ok=1, ok=1))
    return rows


def incremental_rows(failed=None):
    """mtcp-bench memory --incremental: 1 GiB, 0.1/1/10/50% rewritten, both
    sides, then the two scan rows of 4 GiB."""
    rows = []
    for pct in ("0.1", "1", "10", "50"):
        rw = int(float(pct) / 100 * 262144 + 0.5) * 4096
        for side, base, per_mib in (("stw", 0.006, 0.0024), ("cow", 0.004, 0.00025)):
            r = {h: "" for h in HEADER_INCR}
            img = rw * 1.02 + 30000
            pa = _spread(base + per_mib * rw / MIB)
            r.update(mode="incremental", kind="random", point=pct, unit="%", cow=side, runs="5",
                     data_bytes="%d" % (1024 * MIB), increments="7", policy_fulls="0",
                     rewritten_bytes="%d" % rw, image_limit_bytes="%d" % (1.1 * rw + 262144),
                     image_bytes="%d" % img, image_min_bytes="%d" % (img * 0.99),
                     image_max_bytes="%d" % (img * 1.01), pause_med_s="%.6f" % pa["med"],
                     pause_min_s="%.6f" % pa["lo"], pause_max_s="%.6f" % pa["hi"],
                     todisk_med_s="%.6f" % (pa["med"] * 2), todisk_min_s="%.6f" % (pa["lo"] * 2),
                     todisk_max_s="%.6f" % (pa["hi"] * 2), scan_med_s="0.030000", tracked_bytes="%d" % (1036 * MIB),
                     restart_med_s="1.100000", restart_min_s="1.000000", restart_max_s="1.200000",
                     restart_full_med_s="1.000000", ok="0" if (failed == (pct, side)) else "1")
            rows.append(r)
    for kind, scan in (("scan-random", 0.110), ("scan-window", 0.004)):
        r = {h: "" for h in HEADER_INCR}
        r.update(mode="incremental", kind=kind, point="1", unit="%", cow="stw", runs="5",
                 data_bytes="%d" % (4096 * MIB), increments="1", rewritten_bytes="%d" % (41 * MIB),
                 image_bytes="%d" % (42 * MIB), pause_med_s="0.050000", pause_min_s="0.040000",
                 pause_max_s="0.060000", todisk_med_s="0.100000", todisk_min_s="0.090000",
                 todisk_max_s="0.110000", scan_med_s="%.6f" % scan, tracked_bytes="%d" % (4108 * MIB), ok="1")
        rows.append(r)
    return rows


def write_csv(path, rows, header=HEADER_COW):
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=header, extrasaction="ignore", lineterminator="\n")
        w.writeheader()
        for r in rows:
            w.writerow(r)
    return path


def is_png(path):
    with open(path, "rb") as f:
        head = f.read(24)
    if head[:8] != b"\x89PNG\r\n\x1a\n" or head[12:16] != b"IHDR":
        return None
    return int.from_bytes(head[16:20], "big"), int.from_bytes(head[20:24], "big")


def run_plot(*args):
    env = dict(os.environ, MPLCONFIGDIR=os.environ.get("MPLCONFIGDIR") or tempfile.gettempdir())
    return subprocess.run([sys.executable, PLOT] + list(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          universal_newlines=True, env=env, timeout=300)


ALL = ("fig2_memory_checkpoint.png", "fig6_memory_restart.png", "fig3_threads.png", "fig4_npb_table.png")
INCR = "fig_incremental.png"


def have_matplotlib():
    try:
        import matplotlib  # noqa: F401
        return True
    except ImportError:
        return False


@unittest.skipUnless(have_matplotlib(), "matplotlib is not importable (python3-matplotlib)")
class PlotTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="mtcp-plot-test.")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir, ignore_errors=True)

    def path(self, name):
        return os.path.join(self.dir, name)

    def check_pngs(self, out, names):
        for name in names:
            p = os.path.join(out, name)
            self.assertTrue(os.path.exists(p), p)
            size = is_png(p)
            self.assertIsNotNone(size, "%s is not a PNG file" % p)
            self.assertGreater(size[0], 600, p)
            self.assertGreater(size[1], 300, p)
            self.assertGreater(os.path.getsize(p), 20000, "%s: a nearly empty picture" % p)

    def test_all_modes_one_file(self):
        csvp = write_csv(self.path("all.csv"), memory_rows() + threads_rows() + npb_rows())
        out = self.path("out-all")
        r = run_plot(csvp, "--out", out, "--machine", "test machine, 2 cores")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.check_pngs(out, ALL)
        for name in ALL:
            self.assertIn(os.path.join(out, name), r.stdout)
        # the point with ok=0 is named in a warning
        self.assertIn("ok=0", r.stderr)
        self.assertNotIn("Traceback", r.stderr)

    def test_one_file_per_mode(self):
        files = [write_csv(self.path("memory.csv"), memory_rows(failed_point=None)),
                 write_csv(self.path("threads.csv"), threads_rows()),
                 write_csv(self.path("npb.csv"), npb_rows())]
        out = self.path("out-split")
        r = run_plot(*files, "--out", out, "--scale", "linear")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.check_pngs(out, ALL)
        self.assertNotIn("warning", r.stderr)

    def test_old_header(self):
        # a file from before the --cow axis (no cow column): plotted as before
        csvp = write_csv(self.path("old.csv"), memory_rows(failed_point=None) + threads_rows(), header=HEADER)
        out = self.path("out-old")
        r = run_plot(csvp, "--out", out)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.check_pngs(out, ALL[:3])
        self.assertNotIn("warning", r.stderr)

    def test_cow_sides(self):
        # stop-the-world and copy-on-write rows of the same points: two series, no
        # "given again" warning; the targets row is skipped without a word
        csvp = write_csv(self.path("cow.csv"), cow_rows())
        out = self.path("out-cow")
        r = run_plot(csvp, "--out", out)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.check_pngs(out, ALL[:2])
        self.assertNotIn("warning", r.stderr)
        self.assertNotIn("targets", r.stderr)
        rows = cow_rows()
        rows[0]["cow"] = "sometimes"
        r = run_plot(write_csv(self.path("badcow.csv"), rows), "--out", self.path("out-badcow"))
        self.assert_fails(r, 1, ["badcow.csv:2", "column cow"])

    def test_without_npb(self):
        csvp = write_csv(self.path("nonpb.csv"), memory_rows() + threads_rows())
        out = self.path("out-nonpb")
        r = run_plot(csvp, "--out", out)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.check_pngs(out, ALL[:3])
        self.assertFalse(os.path.exists(os.path.join(out, "fig4_npb_table.png")))
        self.assertIn("no npb rows", r.stderr)

    def test_only_npb(self):
        csvp = write_csv(self.path("onlynpb.csv"), npb_rows())
        out = self.path("out-onlynpb")
        r = run_plot(csvp, "--out", out)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.check_pngs(out, ALL[3:])
        self.assertIn("no memory rows", r.stderr)

    def test_interval_rows(self):
        # npb --interval's rows (kind lu-interval: the slowdown runs) are in no
        # figure: skipped without a word, figure 4 drawn from the others
        import results
        extra = [_row(mode="npb", kind="lu-interval", point="B", unit="class", cow=side, runs=3,
                      data_bytes=140 * MIB, image_bytes=141 * MIB, **{"class": "B"}, run_time_s=300.0,
                      residual_ok=1, ok=1) for side in ("stw", "cow")]
        csvp = write_csv(self.path("interval.csv"), npb_rows() + extra)
        rows = results.read_file(csvp, self.fail)
        self.assertEqual(len(rows), len(npb_rows()))
        self.assertNotIn("lu-interval", [r.kind for r in rows])
        out = self.path("out-interval")
        r = run_plot(csvp, "--out", out)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.check_pngs(out, ALL[3:])
        self.assertNotIn("warning", r.stderr)
        self.assertNotIn("lu-interval", r.stderr)

    def test_incremental(self):
        # memory --incremental's own columns: its figure alone; with a memory
        # file, the memory figures too; a failed point is named and drawn hollow
        csvp = write_csv(self.path("incr.csv"), incremental_rows(), header=HEADER_INCR)
        out = self.path("out-incr")
        r = run_plot(csvp, "--out", out)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.check_pngs(out, [INCR])
        self.assertNotIn("warning", r.stderr)
        self.assertIn("no memory rows", r.stderr)
        for name in ALL:
            self.assertFalse(os.path.exists(os.path.join(out, name)), name)
        mem = write_csv(self.path("incr-mem.csv"), memory_rows(failed_point=None))
        bad = write_csv(self.path("incr-bad.csv"), incremental_rows(failed=("1", "cow")), header=HEADER_INCR)
        out = self.path("out-incr-mem")
        r = run_plot(mem, bad, "--out", out)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.check_pngs(out, ALL[:2] + (INCR,))
        self.assertIn("ok=0", r.stderr)
        self.assertIn("incr-bad.csv:5", r.stderr)
        # the scan rows alone: no figure to draw from them
        scan = write_csv(self.path("incr-scan.csv"), incremental_rows()[-2:], header=HEADER_INCR)
        r = run_plot(scan, "--out", self.path("out-incr-scan"))
        self.assert_fails(r, 1, ["none of kind random"])

    def assert_fails(self, r, status, words):
        self.assertEqual(r.returncode, status, r.stdout + r.stderr)
        self.assertNotIn("Traceback", r.stderr)
        self.assertTrue(r.stderr.strip(), "no message")
        for w in words:
            self.assertIn(w, r.stderr)

    def test_wrong_columns(self):
        p = self.path("wrong.csv")
        with open(p, "w") as f:
            f.write("name,value\nfoo,1\n")
        r = run_plot(p, "--out", self.path("out-wrong"))
        self.assert_fails(r, 1, ["wrong.csv", "missing column"])
        self.assertEqual(len(r.stderr.strip().splitlines()), 1, r.stderr)

    def test_malformed_rows(self):
        rows = threads_rows()
        rows[2]["pause_med_s"] = "fast"
        r = run_plot(write_csv(self.path("nan.csv"), rows), "--out", self.path("out-nan"))
        self.assert_fails(r, 1, ["nan.csv:4", "pause_med_s", "not a number"])
        p = self.path("short.csv")
        with open(p, "w") as f:
            f.write(",".join(HEADER) + "\nmemory,random,64,MiB,5\n")
        r = run_plot(p, "--out", self.path("out-short"))
        self.assert_fails(r, 1, ["short.csv:2", "fields"])
        for name, text in (("empty.csv", ""), ("header-only.csv", ",".join(HEADER) + "\n")):
            p = self.path(name)
            with open(p, "w") as f:
                f.write(text)
            r = run_plot(p, "--out", self.path("out-empty"))
            self.assert_fails(r, 1, [name])
        p = self.path("x-runs.csv")
        with open(p, "w") as f:
            f.write("mode,kind,point,unit,run,order,data_bytes,pause_s,todisk_s,image_bytes,restart_s,ok\n")
        self.assert_fails(run_plot(p, "--out", self.path("out-runs")), 1, ["per-run"])

    def test_missing_file_and_usage(self):
        r = run_plot(self.path("no-such.csv"), "--out", self.path("out-missing"))
        self.assert_fails(r, 1, ["no-such.csv"])
        self.assertEqual(len(r.stderr.strip().splitlines()), 1, r.stderr)
        self.assert_fails(run_plot(), 2, ["usage"])
        self.assert_fails(run_plot(self.path("x.csv")), 2, ["--out"])
        self.assert_fails(run_plot("--bogus", "x.csv", "--out", "d"), 2, ["usage"])


class ReferenceTest(unittest.TestCase):

    def test_paper_numbers(self):
        for what, (code, paper) in PAPER_2006.items():
            self.assertEqual(code, paper, what)
        self.assertEqual(sorted(paper2006.LU_OPENMP), ["A", "B", "W"])
        self.assertEqual(sorted(paper2006.MG_JAVA_KAFFE), ["A", "W"])

    def test_paper_lines(self):
        # MB read as MiB: 0.3 s at 100, 1 s of restart per 25, 8 per thread
        self.assertEqual(paper2006.MIB_PER_PAPER_MB, 1.0)
        self.assertAlmostEqual(paper2006.checkpoint_s(100), 0.3)
        self.assertAlmostEqual(paper2006.restart_s(25), 1.0)
        self.assertAlmostEqual(paper2006.thread_image_mib(10), 80.0)

    def test_machine_line(self):
        import mtcp_plot
        line = mtcp_plot.machine_line()
        self.assertIn(os.uname().release, line)
        self.assertIn("core", line)


if __name__ == "__main__":
    if not have_matplotlib():
        # Debian's python3-matplotlib belongs to /usr/bin/python3; the
        # python3 on PATH may be another one (pyenv, venv).
        if (os.environ.get("MTCP_PLOT_REEXEC") != "1" and os.path.exists(DEBIAN_PYTHON)
                and os.path.realpath(sys.executable) != os.path.realpath(DEBIAN_PYTHON)):
            os.environ["MTCP_PLOT_REEXEC"] = "1"
            os.execv(DEBIAN_PYTHON, [DEBIAN_PYTHON, os.path.abspath(__file__)] + sys.argv[1:])
        print("test_plot: matplotlib is not importable by %s: skipped" % sys.executable)
        sys.exit(77)
    unittest.main(verbosity=2)
