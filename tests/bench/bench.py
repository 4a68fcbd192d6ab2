"""pxpd benchmarks: prints figures, asserts nothing.

Idle memory of a connected pxpd, time from exec to connected, echo round
trips through the test broker (sequential and pipelined, v1 and v2), and
the size of the binaries. Run with tests/bench/run.sh.
"""
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "integration"))
import pxpdtest  # noqa: E402
from benchlog import report  # noqa: E402


def status_kb(pid, key):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return -1


def connect_time(env, broker, version):
    conf = env.config([broker.uri(version)], version=version, loglevel="info")
    log = os.path.join(env.dir, "pxpd.log")
    if os.path.exists(log):
        os.unlink(log)
    marker = "associated with" if version == 1 else "connected to"
    t0 = time.monotonic()
    p = env.pxpd(conf)
    while marker not in env.pxpd_log():
        if time.monotonic() - t0 > 20:
            raise SystemExit("pxpd did not connect")
        time.sleep(0.0005)
    t = (time.monotonic() - t0) * 1000
    return p, t


def echo_bench(env, broker, version, count, pipeline):
    extra = ["--count", str(count), "--latency"]
    if pipeline:
        extra.append("--pipeline")
    t0 = time.monotonic()
    rc, lines, _ = env.controller(broker, version=version, params={"argument": "bench"},
                                  extra=extra, timeout_ms=120000)
    wall = time.monotonic() - t0
    summary = [l for l in lines if "p50_ms" in l]
    return summary[0] if summary else {"wall_s": wall}


def main():
    env = pxpdtest.Env("bench")
    try:
        b = env.broker()
        for version in (1, 2):
            times = []
            for _ in range(5):
                p, t = connect_time(env, b, version)
                times.append(t)
                p.stop()
            times.sort()
            report("exec to connected, PCP v%d: median %.1f ms (min %.1f, max %.1f, 5 runs)"
                  % (version, times[2], times[0], times[-1]))
        static = os.environ.get("PXPD_STATIC_BIN")
        if static and os.path.exists(static):
            default_bin = pxpdtest.PXPD
            pxpdtest.PXPD = static
            ps, _ = connect_time(env, b, 2)
            time.sleep(10)
            report("idle connected pxpd (full-static build) after 10 s: VmRSS %d kB, VmHWM %d kB"
                  % (status_kb(ps.p.pid, "VmRSS"), status_kb(ps.p.pid, "VmHWM")))
            ps.stop()
            pxpdtest.PXPD = default_bin
        p, _ = connect_time(env, b, 2)
        time.sleep(10)
        report("idle connected pxpd (default build, glibc shared) after 10 s: VmRSS %d kB, VmHWM %d kB"
              % (status_kb(p.p.pid, "VmRSS"), status_kb(p.p.pid, "VmHWM")))
        for version in (2,):
            for pipeline in (False, True):
                s = echo_bench(env, b, version, 1000, pipeline)
                report("echo x1000 %s (agent v2, controller v%d): %s" % (
                    "pipelined" if pipeline else "sequential", version,
                    ", ".join("%s=%s" % kv for kv in sorted(s.items()))))
        report("pxpd RSS after the echo runs: VmRSS %d kB, VmHWM %d kB"
              % (status_kb(p.p.pid, "VmRSS"), status_kb(p.p.pid, "VmHWM")))
        # A non-blocking action writing 50 MB to stdout: the wrapper streams
        # it to the spool file, pxpd does not buffer it while it runs.
        peak_run = 0
        ctl = env.controller_bg(b, version=2, module="command", action="run",
                                params={"command": "head -c 52428800 /dev/zero | tr '\\0' x; sleep 1"},
                                extra=["--non-blocking", "--notify-outcome", "false",
                                       "--transaction-id", "big-out"], timeout_ms=60000)
        out = os.path.join(env.dir, "spool", "big-out", "stdout")
        t0 = time.monotonic()
        while time.monotonic() - t0 < 30:
            peak_run = max(peak_run, status_kb(p.p.pid, "VmRSS"))
            if os.path.exists(os.path.join(env.dir, "spool", "big-out", "exitcode")):
                break
            time.sleep(0.01)
        env.controller_wait(ctl)
        time.sleep(0.5)
        report("50 MB stdout action: spool stdout %d bytes; pxpd VmRSS while it ran <= %d kB, "
              "VmRSS after %d kB, VmHWM %d kB (the end reads the output once to build its results)"
              % (os.path.getsize(out) if os.path.exists(out) else -1, peak_run,
                 status_kb(p.p.pid, "VmRSS"), status_kb(p.p.pid, "VmHWM")))
        p.stop()
        p, _ = connect_time(env, b, 1)
        for pipeline in (False, True):
            s = echo_bench(env, b, 1, 1000, pipeline)
            report("echo x1000 %s (agent v1, controller v1): %s" % (
                "pipelined" if pipeline else "sequential",
                ", ".join("%s=%s" % kv for kv in sorted(s.items()))))
        p.stop()
        for label, path in (("default build", os.environ.get("PXPD_BIN")),
                            ("full-static build", os.environ.get("PXPD_STATIC_BIN"))):
            if path and os.path.exists(path):
                st = subprocess.run(["strip", "-o", path + ".stripped", path])
                size = os.path.getsize(path + ".stripped") if st.returncode == 0 else -1
                report("binary size, %s: %d bytes stripped (%d unstripped)"
                      % (label, size, os.path.getsize(path)))
    finally:
        env.cleanup()


if __name__ == "__main__":
    main()
