"""benchlog: every figure a benchmark prints also goes, with the date, the
commit and the machine, into tests/bench/results.log (append-only, kept in
git), so figures can be compared across changes."""
import datetime
import os
import platform
import subprocess

LOG = os.environ.get("PXPD_BENCH_LOG",
                     os.path.join(os.path.dirname(os.path.abspath(__file__)), "results.log"))


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


def report(line):
    """Prints line and appends it to the results log."""
    global _PREFIX
    print(line, flush=True)
    if _PREFIX is None:
        _PREFIX = "%s %s %s/%dcpu" % (
            datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
            _commit(), platform.machine(), os.cpu_count() or 0)
    with open(LOG, "a") as f:
        f.write("%s %s\n" % (_PREFIX, line))
