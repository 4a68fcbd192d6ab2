#!/usr/bin/env python3
"""check-layout.py: the arrows of agent/README.md, checked on the includes.

Reads every .c and .h under agent/ and modules/ (python3 stdlib only, no
build needed) and fails when
  * a file includes a header of a part it may not call (the ARROWS table
    below: pcp stays pure, nothing below calls up);
  * a part includes another part's private header (<part>/*_int.h), or a
    platform folder's header (os/posix/..., os/linux/..., os/win/...)
    from outside os/;
  * shared code (agent/ outside agent/os/ and agent/main.c,
    modules/builtin, modules/extmod) includes a POSIX header or tests a
    platform macro (#ifdef _WIN32, __linux__ ...): that goes through os/;
  * a file lies outside the part folders (a new part is a row of ARROWS).
Exceptions that are known and being fixed are listed in
tests/layout-allow.txt, one "file -> header  # why" a line; each one found
is printed, and an entry that no longer matches anything is reported as
stale (an error with --strict). Exit 0 when nothing but allowed
exceptions is found, 1 otherwise, 2 on a usage or allow-list error.

Usage: check-layout.py [--root DIR] [--allow FILE] [--strict] [--quiet]
"""
import argparse
import os
import re
import sys

# Who may include whom, beyond its own part. Every part may use base/
# (log, util, jsonutil) and config/ (the settings it is handed), except
# pcp, which is pure (it is fuzzed alone: codec, pxp and base/jsonutil),
# and base itself. os/ is the door to the platform; its files are the
# platform halves of exec and spool, so they may include those parts'
# (private) headers.
ARROWS = {
    "entry":   {"config", "conn", "engine", "base", "os",
                "exec",       # the wrapper mode is a second entry, and
                              # entry makes the actions' exec environment
                "fetch",      # entry makes the shared fetch service
                "health"},    # and reports figures to the status file
    "conn":    {"pcp", "net", "config", "base", "os"},
    # engine -> exec: the engine owns the jobs it runs (start, adoption at
    # start-up, cancel, abandon at stop); behind module operations each of
    # these calls would only be forwarded.
    "engine":  {"pcp", "modules", "spool", "exec", "config", "base", "os"},
    "modules": {"exec", "fetch", "spool", "config", "base", "os"},
    "fetch":   {"net", "config", "base", "os"},
    # net: what conn and fetch share of talking to a peer: the lws client
    # context, name resolution off the loop, the peer certificate checks.
    "net":     {"config", "base", "os"},
    "exec":    {"config", "base", "os"},
    "spool":   {"config", "base", "os"},
    "config":  {"base", "os"},
    # health: the status file, the metrics and --status, from figures
    # entry gathers; it calls no part that runs anything.
    "health":  {"config", "base", "os"},
    "base":    {"os"},
    "pcp":     {"base"},
    "os":      {"exec", "spool", "config", "base"},
    "puppet":  set(),         # pxp-module-puppet: a program of its own
}
AGENT_PARTS = ("base", "config", "pcp", "net", "conn", "engine", "spool",
               "fetch", "exec", "health", "os")
MODULE_PARTS = {"builtin": "modules", "extmod": "modules",
                "puppet": "puppet"}
# What an include's first folder names.
HEADER_PARTS = dict({p: p for p in AGENT_PARTS}, builtin="modules",
                    extmod="modules")
PLATFORM_DIRS = ("os/posix/", "os/linux/", "os/win/")

POSIX_HEADERS = re.compile(
    r"^(unistd|fcntl|signal|dirent|syslog|pwd|grp|pthread|ftw|poll|"
    r"langinfo|netdb|termios|dlfcn|spawn|libgen|fnmatch|glob|wordexp)\.h$"
    r"|^(sys|netinet|arpa)/")
PLATFORM_MACROS = re.compile(
    r"\b(_WIN32|_WIN64|__linux__|__linux|__APPLE__|__MACH__|__unix__|"
    r"__unix|__FreeBSD__|__OpenBSD__|__NetBSD__|__sun|_MSC_VER|"
    r"__CYGWIN__|__MINGW32__|__MINGW64__)\b")
INCLUDE = re.compile(r'^\s*#\s*include\s*([<"])([^">]+)[">]')
CONDITIONAL = re.compile(r"^\s*#\s*(if|ifdef|ifndef|elif)\b(.*)$")


def strip_comments(text):
    """text with comments blanked (newlines kept), strings left alone."""
    out, i, n = [], 0, len(text)
    while i < n:
        c = text[i]
        if c in "\"'":
            j = i + 1
            while j < n and text[j] != c and text[j] != "\n":
                j += 2 if text[j] == "\\" else 1
            out.append(text[i:j + 1])
            i = j + 1
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append(re.sub(r"[^\n]", " ", text[i:j]))
            i = j
        elif text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            out.append(" " * (j - i))
            i = j
        else:
            out.append(c)
            i += 1
    return "".join(out)


def part_of(rel):
    """The part a file (path relative to the root) belongs to, or None."""
    parts = rel.split("/")
    if parts[0] == "agent":
        if rel == "agent/main.c":
            return "entry"
        if len(parts) > 2 and parts[1] in AGENT_PARTS:
            return parts[1]
    elif parts[0] == "modules":
        if rel == "modules/module.h":
            return "modules"
        if len(parts) > 2 and parts[1] in MODULE_PARTS:
            return MODULE_PARTS[parts[1]]
    return None


def is_shared(rel):
    return (rel.startswith("agent/") and not rel.startswith("agent/os/")
            and rel != "agent/main.c") or \
        rel.startswith(("modules/builtin/", "modules/extmod/")) or \
        rel == "modules/module.h"


def header_part(rel, target, root):
    """The part of a quoted include, or None for one outside the parts."""
    first = target.split("/")[0]
    if "/" in target and first in HEADER_PARTS:
        return HEADER_PARTS[first]
    if target == "module.h":
        return "modules"
    local = os.path.normpath(os.path.join(os.path.dirname(rel), target))
    if os.path.exists(os.path.join(root, local)):
        return part_of(local)
    return None


def findings(root, rel):
    """(line, what, reason) for every rule a file breaks."""
    with open(os.path.join(root, rel), encoding="utf-8",
              errors="replace") as f:
        lines = strip_comments(f.read()).split("\n")
    me = part_of(rel)
    if me is None:
        yield 0, "(file)", ("outside the part folders: move it into one, "
                            "or add its part to tests/check-layout.py")
        return
    for no, line in enumerate(lines, 1):
        m = CONDITIONAL.match(line)
        if m and is_shared(rel):
            for macro in PLATFORM_MACROS.findall(m.group(2)):
                yield no, "#if " + macro, (
                    "shared code tests a platform: the difference goes "
                    "into os/ (a sibling file per platform)")
        m = INCLUDE.match(line)
        if not m:
            continue
        quote, target = m.groups()
        if quote == "<" and target.split("/")[0] not in HEADER_PARTS:
            if is_shared(rel) and POSIX_HEADERS.search(target):
                yield no, target, ("POSIX header in shared code: go "
                                   "through os/")
            continue
        if target.startswith(PLATFORM_DIRS) and me != "os":
            yield no, target, ("a platform folder's header: include "
                               "os/*.h, the door, instead")
            continue
        hp = header_part(rel, target, root)
        if hp is None or hp == me:
            continue
        if hp not in ARROWS[me]:
            yield no, target, "%s may not call %s (arrow %s -> %s)" % (
                me, hp, me, hp)
        elif target.endswith("_int.h") and me != "os":
            yield no, target, ("%s's private header, included from %s" %
                               (hp, me))


def read_allow(path):
    allow, errors = {}, []
    if not os.path.exists(path):
        return allow, errors
    with open(path, encoding="utf-8") as f:
        for no, raw in enumerate(f, 1):
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            m = re.match(r"^(\S+)\s+->\s+(.+?)\s+#\s*(\S.*)$", line)
            if not m:
                errors.append("%s:%d: not 'file -> header  # why': %s" %
                              (path, no, line))
                continue
            key = (m.group(1), m.group(2))
            if key in allow:
                errors.append("%s:%d: listed twice: %s -> %s" %
                              ((path, no) + key))
            allow[key] = m.group(3)
    return allow, errors


def sources(root):
    for top in ("agent", "modules"):
        for d, dirs, files in os.walk(os.path.join(root, top)):
            dirs.sort()
            for name in sorted(files):
                if name.endswith((".c", ".h")):
                    yield os.path.relpath(os.path.join(d, name),
                                          root).replace(os.sep, "/")


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--root", default=os.path.dirname(here))
    ap.add_argument("--allow", default=None,
                    help="allow-list (default: ROOT/tests/layout-allow.txt)")
    ap.add_argument("--strict", action="store_true",
                    help="a stale allow-list entry is an error")
    ap.add_argument("--quiet", action="store_true",
                    help="print only violations and errors")
    a = ap.parse_args()
    allow_path = a.allow or os.path.join(a.root, "tests", "layout-allow.txt")
    allow, errors = read_allow(allow_path)
    for e in errors:
        print("layout: " + e)
    if errors:
        return 2

    used, bad, nfiles, nallowed = set(), 0, 0, 0
    for rel in sources(a.root):
        nfiles += 1
        for no, what, why in findings(a.root, rel):
            key = (rel, what)
            where = "%s:%d" % (rel, no) if no else rel
            if key in allow:
                used.add(key)
                nallowed += 1
                if not a.quiet:
                    print("allowed:   %s -> %s  # %s" % (where, what,
                                                         allow[key]))
            else:
                bad += 1
                print("VIOLATION: %s -> %s: %s" % (where, what, why))
    stale = sorted(set(allow) - used)
    for rel, what in stale:
        print("%s %s -> %s: found no more; remove it from %s" % (
            "STALE:    " if a.strict else "stale:    ", rel, what,
            os.path.relpath(allow_path, a.root)))
    print("layout: %d files, %d violations, %d allowed exceptions, "
          "%d stale allow-list entries" % (nfiles, bad, nallowed,
                                           len(stale)))
    if nfiles == 0:
        print("layout: no sources under %s" % a.root)
        return 2
    return 1 if bad or (a.strict and stale) else 0


if __name__ == "__main__":
    sys.exit(main())
