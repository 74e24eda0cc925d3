#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""mtcp_plot: the MTCP paper's figures redrawn from mtcp-bench results.

    python3 tools/plot/mtcp_plot.py RESULTS.csv [MORE.csv...] --out DIR

Reads mtcp-bench's per-point CSV files (bench/mb/README.md) and writes, for
what the files hold:

    fig2_memory_checkpoint.png  pause and time to disk against memory size
    fig6_memory_restart.png     restart time against memory size
    fig3_threads.png            pause, time to disk and image size against threads
    fig4_npb_table.png          NAS LU by class, beside the paper's table

each with the 2006 paper's numbers (paper2006.py) drawn beside today's,
and, from mtcp-bench memory --incremental (issue 11; no 2006 counterpart):

    fig_incremental.png         increment size and pause against the fraction rewritten

Exit status: 0 figures written, 1 an unusable file or nothing to plot,
2 usage.
"""

import argparse
import os
import sys
import textwrap

sys.dont_write_bytecode = True  # nothing written into the source tree

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import paper2006 as P  # noqa: E402
from results import COW_LABELS, COW_ORDER, ResultsError, read_results  # noqa: E402

PROG = "mtcp_plot"
MIB = 1024.0 * 1024.0
DEBIAN_PYTHON = "/usr/bin/python3"

FIGURES = {
    "fig2": "fig2_memory_checkpoint.png",
    "fig6": "fig6_memory_restart.png",
    "fig3": "fig3_threads.png",
    "fig4": "fig4_npb_table.png",
    "incr": "fig_incremental.png",
}

PAPER_LABEL = "2006 paper (rate)"
TODAY_LABEL = "today (this machine)"
PAPER_STYLE = dict(color="black", linestyle=(0, (7, 3)), linewidth=2.2, zorder=2)
BASELINE_COLOR = "0.45"
KIND_ORDER = ("random", "heap", "zero", "sparse", "idle", "lu", "binary")
COLORS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#17becf", "#e377c2")
NPB_CLASSES = "SWABCDEF"


class PlotError(Exception):
    pass


def warn(msg):
    print("%s: warning: %s" % (PROG, msg), file=sys.stderr)


def note(msg):
    print("%s: %s" % (PROG, msg), file=sys.stderr)


# ---------------------------------------------------------------- setup

def load_matplotlib(may_reexec):
    """Imports matplotlib with the Agg backend. Debian's python3-matplotlib
    belongs to /usr/bin/python3: if the python3 found first on PATH (a
    pyenv, a venv) lacks it, the script runs itself again under that one."""
    try:
        import matplotlib
    except ImportError:
        if (may_reexec and os.environ.get("MTCP_PLOT_REEXEC") != "1" and os.path.exists(DEBIAN_PYTHON)
                and os.path.realpath(sys.executable) != os.path.realpath(DEBIAN_PYTHON)):
            os.environ["MTCP_PLOT_REEXEC"] = "1"
            sys.stdout.flush()
            sys.stderr.flush()
            os.execv(DEBIAN_PYTHON, [DEBIAN_PYTHON, os.path.abspath(__file__)] + sys.argv[1:])
        raise PlotError("matplotlib is not importable by %s (Debian: apt-get install python3-matplotlib)"
                        % sys.executable)
    matplotlib.use("Agg")
    return matplotlib


def machine_line():
    """CPU model, cores, kernel of this machine."""
    model = None
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cores = os.cpu_count() or 0
    u = os.uname()
    return "%s, %d core%s, %s %s" % (model or u.machine, cores, "" if cores == 1 else "s", u.sysname, u.release)


# ---------------------------------------------------------------- helpers

def kinds_of(rows):
    """The series of rows (a kind, and its --cow side when there is one), in
    KIND_ORDER, each kind's sides in COW_ORDER."""
    def key(series):
        r = next(x for x in rows if x.series == series)
        k = KIND_ORDER.index(r.kind) if r.kind in KIND_ORDER else len(KIND_ORDER)
        return (k, r.kind, COW_ORDER.index(r.cow) if r.cow in COW_ORDER else len(COW_ORDER), r.cow)
    return sorted({r.series for r in rows}, key=key)


def sides_text(rows):
    """The footnote's sentence on the --cow sides, or ''."""
    if not any(r.cow for r in rows):
        return ""
    return ("Sides (mtcp-bench --cow): stop-the-world is MTCP_COW=0, copy-on-write MTCP_COW=1, "
            "measured in the same runs, the order alternating run by run. ")


def color_of(kind, kinds):
    return COLORS[kinds.index(kind) % len(COLORS)]


def runs_text(rows):
    rs = sorted({int(r.get("runs")) for r in rows if r.get("runs") is not None})
    if not rs:
        return "Runs per point unknown"
    if len(rs) == 1:
        return "Median of %d run%s per point" % (rs[0], "" if rs[0] == 1 else "s")
    return "Median of %d-%d runs per point" % (rs[0], rs[-1])


def files_text(rows):
    seen = []
    for r in rows:
        b = os.path.basename(r.path)
        if b not in seen:
            seen.append(b)
    return ", ".join(seen)


def footnote(fig, lines):
    # about 17 characters of 7.2 pt type per inch of figure
    width = int(fig.get_figwidth() * 17)
    text = "\n".join(textwrap.fill(l, width) for l in lines)
    fig.text(0.012, 0.012, text, ha="left", va="bottom", fontsize=7.2, color="0.2")
    return text.count("\n") + 1


def draw_series(ax, rows, med, lo, hi, color, marker, linestyle, scale_y=1.0, logy=False, what=""):
    """One median series with min-max bars; points with ok=0 hollow.
    Returns a legend handle, or None if nothing was drawn."""
    from matplotlib.lines import Line2D
    pts = []
    for r in sorted(rows, key=lambda r: r.point):
        y = r.get(med)
        if y is None:
            continue
        y *= scale_y
        if logy and y <= 0:
            warn("%s: %s %s = %g cannot be drawn on a log axis: point left out" % (r.where(), what, med, y))
            continue
        ylo = r.get(lo) * scale_y if lo and r.get(lo) is not None else y
        yhi = r.get(hi) * scale_y if hi and r.get(hi) is not None else y
        pts.append((r.point, y, max(0.0, y - ylo), max(0.0, yhi - y), r.ok))
    if not pts:
        return None
    xs = [p[0] for p in pts]
    ys = [p[1] for p in pts]
    ax.plot(xs, ys, color=color, linestyle=linestyle, linewidth=1.5, zorder=3)
    if lo or hi:
        ax.errorbar(xs, ys, yerr=[[p[2] for p in pts], [p[3] for p in pts]], fmt="none",
                    ecolor=color, elinewidth=1.0, capsize=3, zorder=3)
    good = [p for p in pts if p[4]]
    bad = [p for p in pts if not p[4]]
    if good:
        ax.plot([p[0] for p in good], [p[1] for p in good], linestyle="none", marker=marker,
                color=color, markersize=6, zorder=4)
    if bad:
        ax.plot([p[0] for p in bad], [p[1] for p in bad], linestyle="none", marker=marker,
                markerfacecolor="white", markeredgecolor=color, markeredgewidth=1.5, markersize=7, zorder=5)
    return Line2D([], [], color=color, linestyle=linestyle, marker=marker, linewidth=1.5)


def hollow_handle():
    from matplotlib.lines import Line2D
    return Line2D([], [], linestyle="none", marker="o", markerfacecolor="white",
                  markeredgecolor="0.3", markeredgewidth=1.5)


def x_ticks_at_points(ax, xs):
    from matplotlib.ticker import FixedLocator, FuncFormatter, NullFormatter, NullLocator
    xs = sorted(set(xs))
    if 1 <= len(xs) <= 12:
        ax.xaxis.set_major_locator(FixedLocator(xs))
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: "%g" % v))
        ax.xaxis.set_minor_locator(NullLocator())
        ax.xaxis.set_minor_formatter(NullFormatter())


def plain_log_y(ax):
    from matplotlib.ticker import FuncFormatter
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: "%g" % v))


def use_log(values, scale, threshold):
    vals = [v for v in values if v is not None and v > 0]
    if scale == "log":
        return True
    if scale == "linear" or len(vals) < 2:
        return False
    return max(vals) / min(vals) >= threshold


def paper_xs(xmin, xmax, logx):
    if logx:
        lo, hi = xmin / 1.25, xmax * 1.25
        n = 60
        return [lo * (hi / lo) ** (i / (n - 1)) for i in range(n)]
    return [0.0, xmax * 1.05]


def new_figure(w, h):
    from matplotlib.figure import Figure
    fig = Figure(figsize=(w, h), dpi=110)
    return fig


def save(fig, out, name):
    path = os.path.join(out, name)
    fig.savefig(path, dpi=110)
    print("wrote %s" % path)
    return path


# ---------------------------------------------------------------- figures 2 and 6

def fig_memory(rows, out, machine, scale, which):
    """which: 'checkpoint' (figure 2) or 'restart' (figure 6)."""
    kinds = kinds_of(rows)
    xs = [r.point for r in rows]
    logx = use_log(xs, scale, 16)
    logy = logx
    fig = new_figure(12.5, 6.4)
    ax = fig.add_axes([0.07, 0.17, 0.55, 0.73])
    handles, labels = [], []

    x0, x1 = min(xs), max(xs)
    pxs = paper_xs(x0, x1, logx)
    if which == "checkpoint":
        ax.plot(pxs, [P.checkpoint_s(x) for x in pxs], **PAPER_STYLE)
        paper_what = "checkpoint 0.3 s per 100 MB"
    else:
        ax.plot(pxs, [P.restart_s(x) for x in pxs], **PAPER_STYLE)
        paper_what = "restart at 25 MB/s"
    from matplotlib.lines import Line2D
    handles.append(Line2D([], [], **{k: v for k, v in PAPER_STYLE.items() if k != "zorder"}))
    labels.append("%s: %s" % (PAPER_LABEL, paper_what))

    for kind in kinds:
        kr = [r for r in rows if r.series == kind]
        c = color_of(kind, kinds)
        if which == "checkpoint":
            series = (("pause", "pause_med_s", "pause_min_s", "pause_max_s", "o", "-"),
                      ("to disk", "todisk_med_s", "todisk_min_s", "todisk_max_s", "s", (0, (4, 2))))
        else:
            series = (("restart", "restart_med_s", "restart_min_s", "restart_max_s", "o", "-"),)
        for name, med, lo, hi, marker, ls in series:
            h = draw_series(ax, kr, med, lo, hi, c, marker, ls, logy=logy, what=kind)
            if h:
                handles.append(h)
                labels.append("%s: %s, %s" % (TODAY_LABEL, kind, name))
        criu = "criu_pause_s" if which == "checkpoint" else "criu_restart_s"
        h = draw_series(ax, kr, criu, None, None, c, "D", ":", logy=logy, what=kind)
        if h:
            handles.append(h)
            labels.append("today: CRIU, %s, %s" % (kind, "dump pause" if which == "checkpoint" else "restore"))

    # The baseline writes or reads N MiB of random bytes, whatever the kind:
    # one series, from the random rows when there are several.
    base = "write_base_med_s" if which == "checkpoint" else "read_base_med_s"
    with_base = [k for k in kinds if any(r.get(base) is not None for r in rows if r.series == k)]
    if with_base:
        rnd = [k for k in with_base if any(r.kind == "random" for r in rows if r.series == k)]
        k = (rnd or with_base)[0]
        h = draw_series(ax, [r for r in rows if r.series == k], base, None, None, BASELINE_COLOR, "x", ":", logy=logy)
        if h:
            handles.append(h)
            labels.append("today: baseline, " + ("write()+fsync of as many random bytes"
                                                 if which == "checkpoint"
                                                 else "read() of them, cache dropped"))
    if any(not r.ok for r in rows):
        handles.append(hollow_handle())
        labels.append("hollow: a run of that point failed its check")

    if logx:
        ax.set_xscale("log")
        ax.set_yscale("log")
        x_ticks_at_points(ax, xs)
        plain_log_y(ax)
    else:
        ax.set_xlim(left=0)
        ax.set_ylim(bottom=0)
    ax.grid(True, which="major", color="0.88")
    ax.set_xlabel("memory held by the program (MiB)")
    if which == "checkpoint":
        ax.set_ylabel("time (s)")
        fig.suptitle("Checkpoint time against memory size (the paper's figure 2, redrawn)%s"
                     % (": stop-the-world and copy-on-write" if sides_text(rows) else ""), fontsize=13)
    else:
        ax.set_ylabel("restart time (s)")
        fig.suptitle("Restart time against memory size (the paper's figure 6, redrawn)", fontsize=13)
    ax.legend(handles, labels, loc="upper left", bbox_to_anchor=(1.02, 1.0), fontsize=8.2,
              frameon=False, borderaxespad=0.0)

    if which == "checkpoint":
        what = ("pause: the longest stall a thread of the program saw across the checkpoint; "
                "to disk: mtcp_checkpoint --wait, from the request until the image is on disk.")
    else:
        what = ("restart: the image's page cache dropped, from starting mtcp_restart until the program "
                "answers again.")
    footnote(fig, [
        "today: %s. %s, bars min-max. %s%s" % (machine, runs_text(rows), sides_text(rows), what),
        "2006 paper: the rate its text states (its plotted points are not available); its MB read as MiB "
        "(2^20 bytes; read as 10^6 bytes the line moves 4.9%%). %s axes. Data: %s."
        % ("Log-log" if logx else "Linear", files_text(rows)),
    ])
    return save(fig, out, FIGURES["fig2" if which == "checkpoint" else "fig6"])


# ---------------------------------------------------------------- figure 3

def fig_threads(rows, out, machine, scale):
    from matplotlib.lines import Line2D
    kinds = kinds_of(rows)
    xs = [r.point for r in rows]
    fig = new_figure(12.5, 8.4)
    ax1 = fig.add_axes([0.07, 0.545, 0.55, 0.375])
    ax2 = fig.add_axes([0.07, 0.115, 0.55, 0.375], sharex=ax1)
    h1, l1, h2, l2 = [], [], [], []

    times = [r.get(c) for r in rows for c in ("pause_med_s", "todisk_med_s")]
    logy1 = use_log(times, scale, 30)
    for kind in kinds:
        kr = [r for r in rows if r.series == kind]
        c = color_of(kind, kinds)
        for name, med, lo, hi, marker, ls in (
                ("pause", "pause_med_s", "pause_min_s", "pause_max_s", "o", "-"),
                ("to disk", "todisk_med_s", "todisk_min_s", "todisk_max_s", "s", (0, (4, 2)))):
            h = draw_series(ax1, kr, med, lo, hi, c, marker, ls, logy=logy1, what=kind)
            if h:
                h1.append(h)
                l1.append("%s: %s threads, %s" % (TODAY_LABEL, kind, name))
        h = draw_series(ax1, kr, "criu_pause_s", None, None, c, "D", ":", logy=logy1, what=kind)
        if h:
            h1.append(h)
            l1.append("today: CRIU, %s threads, dump pause" % kind)
        h = draw_series(ax2, kr, "image_bytes", None, None, c, "o", "-", scale_y=1.0 / MIB, logy=True, what=kind)
        if h:
            h2.append(h)
            l2.append("%s: %s threads, image size" % (TODAY_LABEL, kind))
        h = draw_series(ax2, kr, "criu_image_bytes", None, None, c, "D", ":", scale_y=1.0 / MIB, logy=True,
                        what=kind)
        if h:
            h2.append(h)
            l2.append("today: CRIU, %s threads, image size" % kind)

    logx = min(xs) > 0 and (scale != "linear")
    pos = [x for x in xs if x > 0]
    pxs = paper_xs(min(pos) if pos else 1, max(xs), True) if logx else [0.0, max(xs) * 1.05]
    pxs = [x for x in pxs if x > 0] if logx else pxs
    ax2.plot(pxs, [P.thread_image_mib(x) for x in pxs], **PAPER_STYLE)
    h2.insert(0, Line2D([], [], **{k: v for k, v in PAPER_STYLE.items() if k != "zorder"}))
    l2.insert(0, "%s: about 8 MB of image per idle thread\n(its growth only: 8 MB x threads)" % PAPER_LABEL)

    h1.insert(0, Line2D([], [], linestyle="none"))
    l1.insert(0, "2006 paper: no checkpoint time per thread count given")
    if any(not r.ok for r in rows):
        h1.append(hollow_handle())
        l1.append("hollow: a run of that point failed its check")

    if logx:
        ax1.set_xscale("log")
    elif min(xs) <= 0 and scale != "linear":
        ax1.set_xscale("symlog", linthresh=1.0)
    x_ticks_at_points(ax1, xs)
    if logy1:
        ax1.set_yscale("log")
        plain_log_y(ax1)
    else:
        ax1.set_ylim(bottom=0)
    ax2.set_yscale("log")
    plain_log_y(ax2)
    for ax in (ax1, ax2):
        ax.grid(True, which="major", color="0.88")
    ax1.tick_params(which="both", labelbottom=False)
    ax1.set_ylabel("time (s)")
    ax2.set_ylabel("image size (MiB)")
    ax2.set_xlabel("threads (idle, default 8 MiB stacks)")
    ax1.legend(h1, l1, loc="upper left", bbox_to_anchor=(1.02, 1.0), fontsize=8.2, frameon=False,
               borderaxespad=0.0)
    ax2.legend(h2, l2, loc="upper left", bbox_to_anchor=(1.02, 1.0), fontsize=8.2, frameon=False,
               borderaxespad=0.0)
    fig.suptitle("Checkpoint time and image size against threads (the paper's figure 3, redrawn)", fontsize=13)
    footnote(fig, [
        "today: %s. %s, bars min-max. %spause: the longest stall a thread of the program saw across the "
        "checkpoint; to disk: mtcp_checkpoint --wait until the image is on disk; image: the file's size."
        % (machine, runs_text(rows), sides_text(rows)),
        "2006 paper: the image growth its text states, about 8 MB per idle thread (its stack; MB read as MiB); "
        "its plotted points and checkpoint times per thread count are not available. Data: %s." % files_text(rows),
    ])
    return save(fig, out, FIGURES["fig3"])


# ---------------------------------------------------------------- figure 4

def fmt_paper(x):
    """A number of the paper as it wrote it: 0.07, 12.0, 19.7."""
    t = "%g" % x
    return t if "." in t or "e" in t else t + ".0"


def fmt_s(x):
    if x is None:
        return "-"
    return "%.3f" % x if x < 10 else "%.1f" % x


def fmt_range(r, med, lo, hi):
    m = r.get(med)
    if m is None:
        return "-"
    a, b = r.get(lo), r.get(hi)
    if a is None or b is None or r.get("runs") in (None, 1.0):
        return fmt_s(m)
    return "%s  [%s-%s]" % (fmt_s(m), fmt_s(a), fmt_s(b))


def class_key(c):
    return (NPB_CLASSES.index(c) if c in NPB_CLASSES and c else len(NPB_CLASSES), c)


def fig_npb(rows, out, machine):
    from matplotlib.patches import Patch
    today_bg, lu_bg, mg_bg = "white", "#dce9f7", "#ececec"
    header = ["source", "program", "class", "image (MiB)", "run time (s)",
              "checkpoint (s)", "restart (s)", "runs", "check"]
    cells, colors, styles = [], [], []

    def today_row(r):
        cls = r.cls or (r.label if r.unit == "class" else "-")
        prog = "LU-shaped (npb_lu)" if r.kind == "lu" else (r.label if r.unit == "program" else r.kind)
        img = "%.1f" % (r.get("image_bytes") / MIB) if r.get("image_bytes") is not None else "-"
        if r.ok:
            check = "ok"
        else:
            check = "FAILED" + (" (residuals differ)" if r.residual_ok is False else "")
        cells.append([TODAY_LABEL, prog, cls, img, fmt_s(r.get("run_time_s")),
                      fmt_range(r, "todisk_med_s", "todisk_min_s", "todisk_max_s"),
                      fmt_range(r, "restart_med_s", "restart_min_s", "restart_max_s"),
                      "%d" % r.get("runs") if r.get("runs") is not None else "-", check])
        colors.append(today_bg)
        styles.append("fail" if not r.ok else "today")

    def lu_row(c):
        ck, rs = P.LU_OPENMP[c]
        cells.append(["2006 paper", "LU (C/OpenMP)", c, "-", "-", fmt_paper(ck), fmt_paper(rs), "-", "-"])
        colors.append(lu_bg)
        styles.append("paper")

    lu = [r for r in rows if r.kind == "lu"]
    other = [r for r in rows if r.kind != "lu"]

    def cls_of(r):
        return r.cls or r.label

    classes = sorted({cls_of(r) for r in lu} | set(P.LU_OPENMP), key=class_key)
    for c in classes:
        for r in sorted([r for r in lu if cls_of(r) == c], key=lambda r: r.kind):
            today_row(r)
        if c in P.LU_OPENMP:
            lu_row(c)
    for r in sorted(other, key=lambda r: (r.kind, r.label)):
        today_row(r)
    for c in sorted(P.MG_JAVA_KAFFE, key=class_key):
        img, ck, rs = P.MG_JAVA_KAFFE[c]
        cells.append(["2006 paper, another program", "MG (Java on Kaffe)", c, "%g" % (img * P.MIB_PER_PAPER_MB),
                      "-", fmt_paper(ck), fmt_paper(rs), "-", "-"])
        colors.append(mg_bg)
        styles.append("mg")

    n = len(cells) + 1
    row_h = 0.30
    top, legend_h, foot_h = 0.75, 0.45, 0.95
    H = top + legend_h + n * row_h + foot_h
    fig = new_figure(12.5, H)
    ax = fig.add_axes([0.02, foot_h / H, 0.96, n * row_h / H])
    ax.axis("off")
    table = ax.table(cellText=cells, colLabels=header, cellLoc="center", loc="center", bbox=[0, 0, 1, 1])
    table.auto_set_font_size(False)
    table.set_fontsize(8.8)
    table.auto_set_column_width(list(range(len(header))))
    for (i, j), cell in table.get_celld().items():
        cell.set_edgecolor("0.75")
        if i == 0:
            cell.set_facecolor("0.30")
            cell.get_text().set_color("white")
            cell.get_text().set_fontweight("bold")
            continue
        cell.set_facecolor(colors[i - 1])
        st = styles[i - 1]
        if st == "mg":
            cell.get_text().set_color("0.35")
            cell.get_text().set_fontstyle("italic")
        elif st == "fail" and j == len(header) - 1:
            cell.get_text().set_color("#c00000")
            cell.get_text().set_fontweight("bold")
    fig.legend([Patch(facecolor=today_bg, edgecolor="0.6"), Patch(facecolor=lu_bg, edgecolor="0.6"),
                Patch(facecolor=mg_bg, edgecolor="0.6")],
               ["%s: npb_lu (our LU-shaped solver), median [min-max]" % TODAY_LABEL,
                "2006 paper: LU, C/OpenMP (its table)",
                "2006 paper: MG, Java on Kaffe (a different program, for context)"],
               loc="upper center", bbox_to_anchor=(0.5, 1 - top / H + 0.02), ncol=3, fontsize=8.5, frameon=False)
    fig.suptitle("NAS benchmarks by class: checkpoint and restart (the paper's figure 4, redrawn)", fontsize=13,
                 y=1 - 0.18 / H)
    footnote(fig, [
        "today: %s. %s. checkpoint: mtcp_checkpoint --wait, from the request until the image is on disk; "
        "restart: the image's page cache dropped, from starting mtcp_restart until the solver prints its next "
        "iteration; run time: the run without a checkpoint; check: the restarted run's final residuals equal "
        "the uninterrupted run's (1e-12 relative)." % (machine, runs_text(rows)),
        "2006 paper: the times its table gives (its checkpoint time: writing the image, the program stopped); "
        "LU's image sizes and run times are not given ('-'); MG's image sizes are its MB, read as MiB. "
        "Data: %s." % files_text(rows),
    ])
    return save(fig, out, FIGURES["fig4"])


# ---------------------------------------------------------------- incremental images (issue 11)

# issue 11's limits: an increment <= 1.1 x the bytes rewritten + 256 KiB; at 1%
# rewritten (of 1 GiB), the pause <= 20 ms copy-on-write, <= 60 ms stop-the-world;
# the scan of 4 GiB tracked with 1% written <= 15 ms
INCR_IMAGE_FACTOR = 1.1
INCR_IMAGE_SLACK = 256 * 1024
INCR_PAUSE_LIMIT_S = {"cow": 0.020, "auto": 0.020, "stw": 0.060}
INCR_SCAN_LIMIT_S = 0.015
INCR_SIDE_STYLE = {"stw": ("#d62728", "s"), "cow": ("#1f77b4", "o"), "auto": ("#2ca02c", "^"), "": ("#9467bd", "D")}


def fig_incremental(rows, out, machine):
    """Increment size (top) and pause (bottom) against the percentage of pages
    rewritten between checkpoints, one series per --cow side; the limits of
    issue 11 beside them. The scan rows (kinds scan-random, scan-window) are
    told in the footnote."""
    from matplotlib.lines import Line2D
    main = [r for r in rows if r.kind == "random"]
    scans = [r for r in rows if r.kind in ("scan-random", "scan-window")]
    if not main:
        raise PlotError("incremental rows, but none of kind random: %s skipped" % FIGURES["incr"])
    sides = sorted({r.cow for r in main}, key=lambda c: COW_ORDER.index(c) if c in COW_ORDER else 9)
    xs = sorted({r.point for r in main})
    fig = new_figure(12.5, 8.6)
    ax1 = fig.add_axes([0.08, 0.56, 0.54, 0.36])
    ax2 = fig.add_axes([0.08, 0.14, 0.54, 0.36], sharex=ax1)
    h1, l1, h2, l2 = [], [], [], []

    for side in sides:
        color, marker = INCR_SIDE_STYLE.get(side, INCR_SIDE_STYLE[""])
        sr = [r for r in main if r.cow == side]
        name = COW_LABELS.get(side, "side not set")
        h = draw_series(ax1, sr, "image_bytes", "image_min_bytes", "image_max_bytes", color, marker, "-",
                        scale_y=1.0 / MIB, logy=True, what=name)
        if h:
            h1.append(h)
            l1.append("%s: %s, increment image" % (TODAY_LABEL, name))
        h = draw_series(ax2, sr, "pause_med_s", "pause_min_s", "pause_max_s", color, marker, "-",
                        scale_y=1e3, logy=True, what=name)
        if h:
            h2.append(h)
            l2.append("%s: %s, pause" % (TODAY_LABEL, name))
        lim = INCR_PAUSE_LIMIT_S.get(side)
        if lim is not None and 1.0 in xs:
            ax2.plot([1.0], [lim * 1e3], linestyle="none", marker="_", markersize=26, markeredgewidth=2.4,
                     color=color, zorder=2)
            h2.append(Line2D([], [], linestyle="none", marker="_", markersize=14, markeredgewidth=2.4, color=color))
            l2.append("issue 11 limit at 1%%, %s: %g ms" % (name, lim * 1e3))

    # what was rewritten, and the limit drawn from it (the first side's rows: the same bytes)
    ref = [r for r in main if r.cow == sides[0] and r.get("rewritten_bytes") is not None]
    ref.sort(key=lambda r: r.point)
    if ref:
        px = [r.point for r in ref]
        rw = [r.get("rewritten_bytes") / MIB for r in ref]
        lim = [(INCR_IMAGE_FACTOR * r.get("rewritten_bytes") + INCR_IMAGE_SLACK) / MIB for r in ref]
        ax1.plot(px, rw, color=BASELINE_COLOR, linestyle=":", marker="x", linewidth=1.4, zorder=2)
        h1.append(Line2D([], [], color=BASELINE_COLOR, linestyle=":", marker="x", linewidth=1.4))
        l1.append("the bytes rewritten before each increment")
        ax1.plot(px, lim, **PAPER_STYLE)
        h1.append(Line2D([], [], **{k: v for k, v in PAPER_STYLE.items() if k != "zorder"}))
        l1.append("issue 11 limit: 1.1 x rewritten + 256 KiB")
    if any(not r.ok for r in main):
        h1.append(hollow_handle())
        l1.append("hollow: a run of that point failed its check")

    for ax in (ax1, ax2):
        ax.set_xscale("log")
        ax.set_yscale("log")
        plain_log_y(ax)
        ax.grid(True, which="major", color="0.88")
    x_ticks_at_points(ax1, xs)
    ax1.tick_params(which="both", labelbottom=False)
    ax1.set_ylabel("increment image (MiB)")
    ax2.set_ylabel("pause (ms)")
    ax2.set_xlabel("pages rewritten between two checkpoints (% of the program's memory)")
    ax1.legend(h1, l1, loc="upper left", bbox_to_anchor=(1.02, 1.0), fontsize=8.2, frameon=False,
               borderaxespad=0.0)
    ax2.legend(h2, l2, loc="upper left", bbox_to_anchor=(1.02, 1.0), fontsize=8.2, frameon=False,
               borderaxespad=0.0)
    sizes = sorted({r.get("data_bytes") for r in main if r.get("data_bytes") is not None})
    size = ("%g MiB" % (sizes[-1] / MIB)) if sizes else "the program's memory"
    fig.suptitle("Incremental images: increment size and pause against the fraction rewritten (%s of random data)"
                 % size, fontsize=12.5)
    scan_text = ""
    if scans:
        parts = []
        for r in sorted(scans, key=lambda r: r.kind):
            v = r.get("scan_med_s")
            tracked = r.get("tracked_bytes")
            parts.append("%s %s (%s tracked)" % (
                "random pages" if r.kind == "scan-random" else "one contiguous window",
                "%.1f ms" % (v * 1e3) if v is not None else "-",
                "%.0f MiB" % (tracked / MIB) if tracked is not None else "?"))
        scan_text = ("Scan and re-protect with 1%% written (the library's figure; issue 11 limit %g ms): %s. "
                     % (INCR_SCAN_LIMIT_S * 1e3, "; ".join(parts)))
    incs = sorted({int(r.get("increments")) for r in main if r.get("increments") is not None})
    footnote(fig, [
        "today: %s. %s, bars min-max; each run's figure is the median over its %s increment(s) after a full "
        "image, the pages rewritten (random whole pages, new random bytes) before each. %s"
        % (machine, runs_text(main), "/".join("%d" % i for i in incs) or "?", sides_text(main)),
        "image: the increment's file; pause: the longest stall a thread of the program saw across the checkpoint "
        "(1 ms meter). %sNo 2006 counterpart: MTCP had no incremental images. Data: %s."
        % (scan_text, files_text(rows)),
    ])
    return save(fig, out, FIGURES["incr"])


# ---------------------------------------------------------------- main

def parse_args(argv):
    ap = argparse.ArgumentParser(
        prog="mtcp_plot.py",
        description="Draw the MTCP paper's figures 2, 3, 4 and 6 from mtcp-bench results (CSV), "
                    "with the 2006 paper's numbers beside today's, and the incremental images' figure "
                    "(mtcp-bench memory --incremental).")
    ap.add_argument("csv", nargs="+", metavar="RESULTS.csv", help="mtcp-bench per-point results (any modes)")
    ap.add_argument("--out", required=True, metavar="DIR", help="directory for the PNG files (created)")
    ap.add_argument("--machine", metavar="TEXT",
                    help="the machine line of the footnotes (default: CPU model, cores, kernel of this machine)")
    ap.add_argument("--scale", choices=("auto", "linear", "log"), default="auto",
                    help="axes of the memory figures (auto: log-log when the sizes span 16x or more)")
    return ap.parse_args(argv)


def run(args):
    rows = read_results(args.csv, warn)
    if not rows:
        raise PlotError("no result rows in %s: nothing to plot" % ", ".join(args.csv))
    load_matplotlib(False)
    try:
        os.makedirs(args.out, exist_ok=True)
    except OSError as e:
        raise PlotError("%s: cannot create the directory: %s" % (args.out, e.strerror or e))
    machine = args.machine if args.machine is not None else machine_line()
    for r in rows:
        if not r.ok:
            warn("%s: %s %s point %s %s: ok=0 (a run failed its check): %s" % (
                r.where(), r.mode, r.series, r.label, r.unit,
                "marked FAILED in the table" if r.mode == "npb" else "drawn hollow"))
    mem = [r for r in rows if r.mode == "memory"]
    thr = [r for r in rows if r.mode == "threads"]
    npb = [r for r in rows if r.mode == "npb"]
    inc = [r for r in rows if r.mode == "incremental"]
    written = []
    if mem:
        written.append(fig_memory(mem, args.out, machine, args.scale, "checkpoint"))
        written.append(fig_memory(mem, args.out, machine, args.scale, "restart"))
    else:
        note("no memory rows: %s and %s skipped" % (FIGURES["fig2"], FIGURES["fig6"]))
    if thr:
        written.append(fig_threads(thr, args.out, machine, args.scale))
    else:
        note("no threads rows: %s skipped" % FIGURES["fig3"])
    if npb:
        written.append(fig_npb(npb, args.out, machine))
    else:
        note("no npb rows: %s skipped" % FIGURES["fig4"])
    if inc:
        written.append(fig_incremental(inc, args.out, machine))
    else:
        note("no incremental rows: %s skipped" % FIGURES["incr"])
    return written


def main(argv=None, may_reexec=False):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    try:
        if may_reexec:
            load_matplotlib(True)
        run(args)
    except (ResultsError, PlotError) as e:
        print("%s: %s" % (PROG, e), file=sys.stderr)
        return 1
    except OSError as e:
        print("%s: %s" % (PROG, e), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(may_reexec=True))
