#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""man_options.py: the man pages (docs/man/*.scd) must not drift from the tools.

    man_options.py --man-dir DIR --src DIR [--tool NAME=PATH]... [--built PAGE]...
    man_options.py --self-test

For each --tool, the options `PATH --help` lists and the options the OPTIONS
section of DIR/NAME.1.scd lists must be the same set; each option in one but
not the other is named.  Options are long (--name) and short (-x) words:

  --help:   every option word of the usage block (the line that starts with
            "usage:", any case, and the lines after it that are indented or
            start "WORD: [", like mtcp-bench's "COMMON: [--runs N] ..."), and
            the one or two leading option words of every other line that
            starts (after blanks) with one and goes on like a definition: a
            column gap, an argument (N, FILE.csv, N|NAME), ':', '(', '[', ','
            ("  -h, --help  ...", "  --dir D  ...", "  --kind: random ...").
            Option words elsewhere in prose are mentions, not definitions,
            also one a line break put first ("  --flatten of the chain").
  man page: every option word of the term lines of "# OPTIONS" (lines that
            start with "*-", not indented), up to the next "# " heading.

Then every MTCP_* variable the sources under --src read, taken as each C
string literal that is exactly "MTCP_NAME" (getenv, secure_getenv, the
library's env(), the *_ENV macros), MTCP_TEST_* hooks aside, must be a term
of "# ENVIRONMENT" in DIR/libmtcp-fast.3.scd.  Names on the page that no
source reads are reported as notes (a variable read through a name built at
run time would be missed by the grep), not failures.

Each --built PAGE (a page scdoc made) must render without a warning
(`groff -man -ww -z`; skipped without groff).

A normal run first runs the self-test: doctored help texts and pages (also
the real ones, with an option added or removed) must be caught, or the test
fails.  Exit 0 when everything agrees, 1 otherwise, naming each difference.
"""
import argparse
import os
import re
import shutil
import subprocess
import sys

OPT = re.compile(r"(?<![\w-])(--[A-Za-z][A-Za-z0-9-]*|-[A-Za-z])(?![\w])")
LEADING = re.compile(r"^\s*(--?[A-Za-z][A-Za-z0-9-]*)(?:\[?=[^\s,|]*\]?)?"
                     r"(?:\s*[,|]\s*(--?[A-Za-z][A-Za-z0-9-]*))?")
# what follows the leading option word(s) of a line that defines them: the
# end, a separator, a column gap, an argument (N, FILE.csv, N|NAME, stw|cow),
# or one word and a gap ("--compare criu  also ..."); not prose ("--flatten
# of the chain", a mention that a line break put first)
DEFINES = re.compile(r"\s*$|\s*[:(\[=,|]|\s{2,}|\s+[A-Z]|\s+\S*\||\s+\S+(\s{2,}|$)")
ENV_LITERAL = re.compile(r'"(MTCP_[A-Z0-9_]+)"')
ENV_NAME = re.compile(r"MTCP_[A-Z0-9_]+")


def help_options(text):
    """The option words `--help` defines (see the module comment)."""
    opts = set()
    in_usage = False
    for line in text.splitlines():
        if re.match(r"\s*usage:", line, re.I):
            in_usage = True
        elif in_usage and not re.match(r"\s+\S|[A-Z]+: \[", line):
            in_usage = False  # neither indented nor "COMMON: [..."
        if in_usage:
            opts.update(OPT.findall(line))
            continue
        m = LEADING.match(line)
        if m and DEFINES.match(line, m.end()):
            opts.update(o for o in m.groups() if o)
    return opts


def section(text, name):
    """The lines of scdoc section "# NAME", up to the next "# " heading."""
    out, inside = [], False
    for line in text.splitlines():
        if line.startswith("# "):
            inside = line[2:].strip() == name
            continue
        if inside:
            out.append(line)
    return out


def man_options(text):
    """The option words of the OPTIONS term lines of an scdoc page."""
    opts = set()
    for line in section(text, "OPTIONS"):
        if line.startswith("*-"):
            opts.update(OPT.findall(line.replace("*", " ").replace("_", " ")))
    return opts


def man_env(text):
    """The MTCP_* names of the ENVIRONMENT term lines of an scdoc page."""
    names = set()
    for line in section(text, "ENVIRONMENT"):
        if line.startswith("*MTCP_"):
            names.update(ENV_NAME.findall(line.replace("\\", "")))
    return names


def source_env(src):
    """MTCP_* names the C sources under src read (string literals), less MTCP_TEST_*."""
    names = set()
    for root, _, files in os.walk(src):
        for f in files:
            if f.endswith((".c", ".h")):
                with open(os.path.join(root, f), errors="replace") as fh:
                    names.update(ENV_LITERAL.findall(fh.read()))
    return {n for n in names if not n.startswith("MTCP_TEST_")}


def option_diffs(tool, help_text, man_text):
    """One message per option in one list but not the other."""
    h, m = help_options(help_text), man_options(man_text)
    return ([f"{tool}: {o} is in --help, not in the man page's OPTIONS" for o in sorted(h - m)] +
            [f"{tool}: {o} is in the man page's OPTIONS, not in --help" for o in sorted(m - h)])


def env_diffs(page_names, source_names):
    return [f"libmtcp-fast(3): {n} is read by the sources, not in ENVIRONMENT"
            for n in sorted(source_names - page_names)]


def run_help(path):
    p = subprocess.run([path, "--help"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       stdin=subprocess.DEVNULL, text=True, timeout=30)
    if p.returncode != 0:
        raise RuntimeError(f"{path} --help exited {p.returncode}: {p.stderr.strip()[:200]}")
    return p.stdout


FAKE_HELP = """\
Usage: t [--alpha] [--beta N] FILE
Does t.  See also other --wait (a mention, not an option of t).

  --alpha        a
  --beta N       b, unlike
                 --gamma as a mention that a line break put first
  --on[=SIG]     c
  -h, --help     this text
      --version  the version
"""

FAKE_MAN = """\
t(1)

# SYNOPSIS

*t* [*--zeta*] (the synopsis does not count)

# OPTIONS

*--alpha*
	a; *--omega* in a description does not count

*--beta* _N_
	b

*--on*[=_SIG_]
	c

*-h*, *--help*
	this text

*--version*
	the version

# ENVIRONMENT

*MTCP_A*=_X_
	a

*MTCP_B*, *MTCP_C\\_D*
	b, c; *MTCP_E* in a description does not count
"""


def self_test(real=()):
    """Doctored inputs must give exactly the expected messages.  real: (tool,
    help, man) of the tools at hand, doctored the same way."""
    bad = []

    def expect(what, got, want):
        if got != want:
            bad.append(f"self-test: {what}: got {got}, expected {want}")

    expect("fake help options", help_options(FAKE_HELP),
           {"--alpha", "--beta", "--on", "-h", "--help", "--version"})
    expect("fake man options", man_options(FAKE_MAN),
           {"--alpha", "--beta", "--on", "-h", "--help", "--version"})
    expect("fake pages agree", option_diffs("t", FAKE_HELP, FAKE_MAN), [])
    expect("option added to --help", option_diffs("t", FAKE_HELP + "  --gamma X  g\n", FAKE_MAN),
           ["t: --gamma is in --help, not in the man page's OPTIONS"])
    expect("option only in usage", option_diffs("t", FAKE_HELP.replace("[--beta N]", "[--beta N] [-q]"),
                                                FAKE_MAN),
           ["t: -q is in --help, not in the man page's OPTIONS"])
    expect("option dropped from the page",
           option_diffs("t", FAKE_HELP, FAKE_MAN.replace("*--on*[=_SIG_]", "*--off*")),
           ["t: --on is in --help, not in the man page's OPTIONS",
            "t: --off is in the man page's OPTIONS, not in --help"])
    expect("fake man env", man_env(FAKE_MAN), {"MTCP_A", "MTCP_B", "MTCP_C_D"})
    expect("env complete", env_diffs(man_env(FAKE_MAN), {"MTCP_A", "MTCP_C_D"}), [])
    expect("env missing", env_diffs(man_env(FAKE_MAN), {"MTCP_A", "MTCP_Z"}),
           ["libmtcp-fast(3): MTCP_Z is read by the sources, not in ENVIRONMENT"])
    for tool, help_text, man_text in real:
        expect(f"{tool}: --help with --bogus-option added",
               sorted(option_diffs(tool, help_text + "  --bogus-option  x\n", man_text)),
               sorted([f"{tool}: --bogus-option is in --help, not in the man page's OPTIONS"]
                      + option_diffs(tool, help_text, man_text)))
        terms = [l for l in section(man_text, "OPTIONS") if l.startswith("*-")]
        if terms:
            gone = set(OPT.findall(terms[0].replace("*", " ").replace("_", " ")))
            doctored = man_text.replace(terms[0] + "\n", "", 1)
            got = option_diffs(tool, help_text, doctored)
            for o in gone:
                msg = f"{tool}: {o} is in --help, not in the man page's OPTIONS"
                if o in help_options(help_text) and msg not in got:
                    bad.append(f"self-test: {tool}: the page without {o} was not caught")
    return bad


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--man-dir")
    ap.add_argument("--src")
    ap.add_argument("--tool", action="append", default=[], metavar="NAME=PATH")
    ap.add_argument("--built", action="append", default=[], metavar="PAGE")
    ap.add_argument("--self-test", action="store_true", help="only the self-test")
    a = ap.parse_args()
    if a.self_test:
        bad = self_test()
        print("\n".join(bad) if bad else "ok: self-test")
        return 1 if bad else 0
    if not a.man_dir or not a.src:
        ap.error("--man-dir and --src are needed")

    fails, real = [], []
    for spec in a.tool:
        name, _, path = spec.partition("=")
        page = os.path.join(a.man_dir, name + ".1.scd")
        try:
            with open(page) as fh:
                man_text = fh.read()
        except OSError as e:
            fails.append(f"{name}: no man page: {e}")
            continue
        if not os.access(path, os.X_OK):
            fails.append(f"{name}: no program {path}, so its page cannot be checked")
            continue
        try:
            help_text = run_help(path)
        except (OSError, RuntimeError, subprocess.TimeoutExpired) as e:
            fails.append(f"{name}: {e}")
            continue
        real.append((name, help_text, man_text))
        d = option_diffs(name, help_text, man_text)
        fails += d
        if not d:
            print(f"ok: {name}: {len(help_options(help_text))} options, the same in --help "
                  f"and {name}.1.scd")

    bad = self_test(real)
    fails = bad + fails
    if not bad:
        print(f"ok: self-test (doctored help texts and pages are caught; {len(real)} real ones)")

    with open(os.path.join(a.man_dir, "libmtcp-fast.3.scd")) as fh:
        page_env = man_env(fh.read())
    src_env = source_env(a.src)
    d = env_diffs(page_env, src_env)
    fails += d
    if not d:
        print(f"ok: libmtcp-fast(3): all {len(src_env)} MTCP_* variables the sources read "
              "are in ENVIRONMENT")
    for n in sorted(page_env - src_env):
        print(f"note: libmtcp-fast(3): {n} is in ENVIRONMENT, but no source under {a.src} "
              "names it as a string")

    groff = shutil.which("groff")
    for page in a.built:
        if not groff:
            print(f"note: no groff, {os.path.basename(page)} not rendered")
            continue
        p = subprocess.run([groff, "-man", "-ww", "-z", page], stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True)
        if p.returncode or p.stdout.strip():
            fails.append(f"{os.path.basename(page)}: groff -man -ww: {p.stdout.strip()}")
        else:
            print(f"ok: {os.path.basename(page)} renders without warnings")

    for f in fails:
        print("FAIL: " + f)
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
