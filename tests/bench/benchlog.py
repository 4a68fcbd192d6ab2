"""benchlog: every figure a benchmark, the fleet, the chaos runs or a long
fuzz run prints also goes, with the date, the commit, the machine and
where it came from, into tests/bench/RESULTS.md as one table row
(append-only, kept in git), so figures can be compared across changes."""
import datetime
import sys
import os
import platform
import subprocess

LOG = os.environ.get("PXPD_BENCH_LOG",
                     os.path.join(os.path.dirname(os.path.abspath(__file__)), "RESULTS.md"))


def _commit():
    try:
        r = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                           text=True, cwd=os.path.dirname(os.path.abspath(__file__)))
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True,
                               cwd=os.path.dirname(os.path.abspath(__file__))).stdout.strip()
        return r.stdout.strip() + ("+" if dirty else "") if r.returncode == 0 else "unknown"
    except OSError:
        return "unknown"


_PREFIX = None


def _source():
    """bench, fleet, chaos or fuzz: the folder of the script running."""
    main = os.path.abspath(sys.argv[0]) if sys.argv and sys.argv[0] else ""
    return os.path.basename(os.path.dirname(main)) or "bench"


def report(line, source=None):
    """Prints line and appends it to the results log as a table row."""
    global _PREFIX
    print(line, flush=True)
    if _PREFIX is None:
        _PREFIX = "| %s | %s | %s/%dcpu |" % (
            datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
            _commit(), platform.machine(), os.cpu_count() or 0)
    cell = " ".join(line.split()).replace("|", "\\|")
    with open(LOG, "a") as f:
        f.write("%s %s | %s |\n" % (_PREFIX, source or _source(), cell))
