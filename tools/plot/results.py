# SPDX-License-Identifier: MIT
"""Reading mtcp-bench's per-point CSV files (bench/mb/README.md).

Only the columns the figures use are required; any other column is
ignored, so the writer may add columns. Fields that do not apply are
empty; empty reads as None.
"""

import csv
import math

MODES = ("memory", "threads", "npb", "incremental")
# Rows of other mtcp-bench modes that no figure draws: skipped quietly.
OTHER_MODES = ("targets",)
# npb rows of other experiments that no figure draws: skipped quietly
# (lu-interval: npb --interval, the slowdown with a checkpoint every S s).
OTHER_NPB_KINDS = ("lu-interval",)
# The --cow side of a row (its cow column; empty or absent: not set), and
# how a legend names it.
COW_LABELS = {"stw": "stop-the-world", "cow": "copy-on-write", "auto": "MTCP_COW=auto"}
COW_ORDER = ("", "stw", "cow", "auto")

# Needed by every figure.
REQUIRED = (
    "mode", "kind", "point", "unit", "runs",
    "pause_med_s", "pause_min_s", "pause_max_s",
    "todisk_med_s", "todisk_min_s", "todisk_max_s",
    "image_bytes",
    "restart_med_s", "restart_min_s", "restart_max_s",
    "ok",
)
# Needed only when the file holds npb rows.
REQUIRED_NPB = ("class", "run_time_s", "residual_ok")
# Drawn when present and filled.
OPTIONAL_NUMBERS = (
    "data_bytes", "write_base_med_s", "read_base_med_s", "base_bytes",
    "criu_pause_s", "criu_todisk_s", "criu_image_bytes", "criu_restart_s",
    "reported_pause_med_s", "fork_base_med_s",
    # mtcp-bench memory --incremental (mode incremental, its own columns)
    "increments", "rewritten_bytes", "image_limit_bytes", "image_min_bytes", "image_max_bytes",
    "scan_med_s", "scan_min_s", "scan_max_s", "tracked_bytes", "written_bytes",
    "full_pause_med_s", "protect_med_s", "protected_bytes", "depth",
    "restart_full_med_s", "restart_full_min_s", "restart_full_max_s",
)
NUMBERS = (
    "runs", "pause_med_s", "pause_min_s", "pause_max_s",
    "todisk_med_s", "todisk_min_s", "todisk_max_s", "image_bytes",
    "restart_med_s", "restart_min_s", "restart_max_s", "run_time_s",
) + OPTIONAL_NUMBERS

# unit of `point` for each mode; None: a label (class letter, program).
NUMERIC_UNIT = {"memory": "MiB", "threads": "threads", "incremental": "%"}
LABEL_UNITS = ("class", "program")


class ResultsError(Exception):
    """A file that cannot be used: the message says which and why."""


class Row:
    """One point of one file."""

    def __init__(self, path, line, fields):
        self.path = path
        self.line = line
        self.mode = fields["mode"]
        self.kind = fields["kind"] or "-"
        self.cow = fields.get("cow", "") or ""
        if self.cow and self.cow not in COW_LABELS:
            raise ResultsError("%s:%d: column cow: %r, expected %s or empty"
                               % (path, line, self.cow, ", ".join(sorted(COW_LABELS))))
        # what a figure draws as one series: the kind, and the side when there is one
        self.series = self.kind + (", " + COW_LABELS[self.cow] if self.cow else "")
        self.unit = fields["unit"]
        self.label = fields["point"]
        self.point = None          # a number for memory and threads
        self.v = {}                # numeric column -> float or None
        self.ok = fields["ok"] == "1"
        self.cls = fields.get("class", "") or ""
        r = fields.get("residual_ok", "")
        self.residual_ok = None if r in ("", None) else (r == "1")

    def get(self, col):
        return self.v.get(col)

    def where(self):
        return "%s:%d" % (self.path, self.line)


def _number(path, line, col, text):
    if text == "":
        return None
    try:
        x = float(text)
    except ValueError:
        raise ResultsError("%s:%d: column %s: %r is not a number" % (path, line, col, text))
    if not math.isfinite(x):
        raise ResultsError("%s:%d: column %s: %r is not a finite number" % (path, line, col, text))
    return x


def read_file(path, warn):
    try:
        f = open(path, newline="", encoding="utf-8-sig")
    except OSError as e:
        raise ResultsError("%s: cannot open: %s" % (path, e.strerror or e))
    rows = []
    with f:
        try:
            reader = csv.reader(f)
            header = next(reader, None)
            if header is None:
                raise ResultsError("%s: empty file (no header line)" % path)
            header = [h.strip() for h in header]
            if "run" in header and "order" in header and "pause_med_s" not in header:
                raise ResultsError("%s: this is a per-run file (FILE-runs.csv); give the per-point FILE.csv" % path)
            missing = [c for c in REQUIRED if c not in header]
            if missing:
                raise ResultsError("%s: not an mtcp-bench results file: missing column%s %s (see bench/mb/README.md)"
                                   % (path, "s" if len(missing) > 1 else "", ", ".join(missing)))
            dup = sorted({h for h in header if header.count(h) > 1})
            if dup:
                raise ResultsError("%s: column%s %s twice in the header" % (path, "s" if len(dup) > 1 else "", ", ".join(dup)))
            for rec in reader:
                line = reader.line_num
                if not any(x.strip() for x in rec):
                    continue
                if len(rec) != len(header):
                    raise ResultsError("%s:%d: %d fields, the header has %d" % (path, line, len(rec), len(header)))
                fields = {h: x.strip() for h, x in zip(header, rec)}
                mode = fields["mode"]
                if mode in OTHER_MODES or (mode == "npb" and fields["kind"] in OTHER_NPB_KINDS):
                    continue
                if mode not in MODES:
                    warn("%s:%d: mode %r is not one of %s: row skipped" % (path, line, mode, ", ".join(MODES)))
                    continue
                if mode == "npb":
                    missing = [c for c in REQUIRED_NPB if c not in header]
                    if missing:
                        raise ResultsError("%s:%d: an npb row, but the header lacks %s" % (path, line, ", ".join(missing)))
                if fields["ok"] not in ("0", "1"):
                    raise ResultsError("%s:%d: column ok: %r, expected 0 or 1" % (path, line, fields["ok"]))
                row = Row(path, line, fields)
                for col in NUMBERS:
                    if col in fields:
                        row.v[col] = _number(path, line, col, fields[col])
                if mode in NUMERIC_UNIT:
                    if row.unit != NUMERIC_UNIT[mode]:
                        raise ResultsError("%s:%d: a %s row with unit %r, expected %s"
                                           % (path, line, mode, row.unit, NUMERIC_UNIT[mode]))
                    row.point = _number(path, line, "point", row.label)
                    if row.point is None:
                        raise ResultsError("%s:%d: column point is empty" % (path, line))
                elif not row.label:
                    raise ResultsError("%s:%d: column point is empty" % (path, line))
                rows.append(row)
        except csv.Error as e:
            raise ResultsError("%s:%d: not a valid CSV file: %s" % (path, reader.line_num, e))
        except UnicodeDecodeError:
            raise ResultsError("%s: not a text file (not UTF-8)" % path)
    return rows


def read_results(paths, warn):
    """All rows of all files; a point given twice: the later file's row."""
    by_key = {}
    for path in paths:
        rows = read_file(path, warn)
        if not rows:
            warn("%s: no result rows" % path)
        for row in rows:
            key = (row.mode, row.kind, row.cow, row.label)
            if key in by_key:
                warn("%s: %s %s point %s given again (first at %s): this row is used"
                     % (row.where(), row.mode, row.series, row.label, by_key[key].where()))
            by_key[key] = row
    return list(by_key.values())
