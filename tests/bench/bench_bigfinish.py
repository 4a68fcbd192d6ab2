"""Echo latency while a 50 MB-output action finishes (issue 10 item 8).

An open-loop controller sends one echo every INTERVAL ms through the test
broker (each round trip timed on its own, --interval-ms --latency) while a
non-blocking `command run` writes 50 MB to stdout and ends: pxpd reads the
output, makes the results, records the owed response and the final
metadata (fsync'd), and sends the 50 MB response. Prints p50/p99/max of
the echoes in three windows, placed with pxpd's log and the spool:
"finishing" (from the action's end, its exitcode file, to the response
handed to the send queue: the work item 8 moved off the loop), "sending"
(until the 50 MB frame is written: every reply waits behind it, as a
websocket cannot interleave messages, and max-send-queue answers requests
busy meanwhile) and "all" (a second either side), with the baseline of no
action; appends them to RESULTS.md. Asserts nothing
(tests/integration/test_bigfinish.py bounds the finishing p99).

    PXPD_BIN=... BROKER_BIN=... CONTROLLER_BIN=... CA_SCRIPT=... \\
        python3 tests/bench/bench_bigfinish.py [--runs N]
"""
import datetime
import json
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "integration"))
import pxpdtest  # noqa: E402
from benchlog import report  # noqa: E402

INTERVAL_MS = 5
SIZE = 50 * 1000 * 1000
# BENCH_LABEL=" (before)" names figures of another binary (PXPD_BIN).
LABEL = os.environ.get("BENCH_LABEL", "")


def pct(v, p):
    v = sorted(v)
    return v[min(len(v) - 1, int(len(v) * p / 100.0))] if v else float("nan")


def echo_stream(env, broker, seconds):
    n = int(seconds * 1000 / INTERVAL_MS)
    args = env.controller_args(broker, version=2, params={"argument": "x"},
                               timeout_ms=int((seconds + 4) * 1000),
                               extra=["--count", str(n), "--interval-ms", str(INTERVAL_MS),
                                      "--latency", "--client-type", "echoer"])
    # A file, not a pipe: a pipe nobody reads until the end would stop the
    # controller (and its sends) once 64 KiB of lines wait in it.
    out = tempfile.TemporaryFile(dir=env.dir)
    p = subprocess.Popen(args, stdout=out, stderr=subprocess.DEVNULL)
    p.out = out
    return p


def latencies(p):
    """(wall time sent, round trip ms) of each echo; one never answered
    counts as infinitely late."""
    p.wait(timeout=300)
    p.out.seek(0)
    samples = []
    for line in p.out.read().decode(errors="replace").splitlines():
        if line.startswith("{") and "sent_unix_ms" in line:
            d = json.loads(line)
            samples.append((d["sent_unix_ms"] / 1000.0,
                            float("inf") if d.get("unanswered") else d["latency_ms"]))
    p.out.close()
    return sorted(samples)


def log_time(line):
    stamp = line.split(" ", 1)[0].rstrip("Z")
    return datetime.datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S.%f").replace(
        tzinfo=datetime.timezone.utc).timestamp()


def windows(env, tid):
    """From the spool and pxpd's log: the action's end (its exitcode
    file), "finished" (the end recorded, the response handed to the send
    queue), and the send queue drained (the 50 MB frame written)."""
    t_end = os.stat(os.path.join(env.dir, "spool", tid, "exitcode")).st_mtime
    t_fin = t_drained = None
    for line in env.pxpd_log().splitlines():
        if t_fin is None and "[%s] finished:" % tid in line:
            t_fin = log_time(line)
        elif t_fin is not None and t_drained is None and "send queue drained" in line:
            t_drained = log_time(line)
    return t_end, t_fin, t_drained


def stats(v):
    lost = sum(1 for x in v if x == float("inf"))
    return "n=%d p50_ms=%.2f p99_ms=%.2f max_ms=%.2f lost=%d" % (
        len(v), pct(v, 50), pct(v, 99), max(v), lost) if v else "n=0"


def big_run(env, b, tid):
    """The echoes of each window: finishing (action end -> response queued),
    sending (-> the 50 MB frame written), and all of it (1 s either side)."""
    echo = echo_stream(env, b, 10)
    time.sleep(1.5)
    ctl = env.controller_bg(b, version=2, module="command", action="run",
                            params={"command": "head -c %d /dev/zero | tr '\\0' a" % SIZE},
                            timeout_ms=120000,
                            extra=["--non-blocking", "--notify-outcome", "true",
                                   "--transaction-id", tid, "--client-type", "big-" + tid,
                                   "--expect", "2", "--data-digest"])
    rc, lines = env.controller_wait(ctl, timeout=120)
    if not [l for l in lines if l.get("message_type") == "rpc_non_blocking_response"]:
        raise SystemExit("no final response: %s" % lines[-3:])
    samples = latencies(echo)
    t_end, t_fin, t_drained = windows(env, tid)
    t_drained = t_drained or t_fin

    def sel(a, z):
        # sent in [a, z], or sent before a and still waiting at a
        return [lat for (t, lat) in samples if a <= t <= z or (t < a and t + lat / 1000 > a)]
    return (sel(t_end, t_fin), sel(t_fin, t_drained), sel(t_end - 1, t_drained + 1),
            (t_fin - t_end) * 1000, (t_drained - t_fin) * 1000)


def main():
    runs = 3
    if "--runs" in sys.argv:
        runs = int(sys.argv[sys.argv.index("--runs") + 1])
    env = pxpdtest.Env("bench-bigfinish")
    try:
        b = env.broker()
        conf = env.config([b.uri(2)], version=2,
                          loglevel=os.environ.get("BENCH_LOGLEVEL", "info"))
        env.pxpd(conf)
        env.wait_log("connected to", timeout=20)
        echo = echo_stream(env, b, 5)
        base = [lat for (t, lat) in latencies(echo)][200:]
        report("echo every %d ms, no action (v2)%s: %s" % (INTERVAL_MS, LABEL, stats(base)))
        for i in range(runs):
            fin, send, whole, fin_ms, send_ms = big_run(env, b, "big-%d" % i)
            report("echo every %d ms while a 50 MB-output action finishes (v2)%s, run %d: "
                   "finishing (%.0f ms, action end to response queued): %s; "
                   "sending (%.0f ms, the 50 MB frame written): %s; "
                   "all (+-1 s): %s" % (INTERVAL_MS, LABEL, i + 1, fin_ms, stats(fin),
                                        send_ms, stats(send), stats(whole)))
    finally:
        if os.environ.get("BENCH_KEEP"):
            print("kept", env.dir)
        env.cleanup(keep=bool(os.environ.get("BENCH_KEEP")))


if __name__ == "__main__":
    main()
