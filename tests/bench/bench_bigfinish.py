"""Echo latency while a 50 MB-output action finishes (issue 10 item 8).

An open-loop controller sends one echo every INTERVAL ms through the test
broker (each round trip timed on its own, --interval-ms --latency) while a
non-blocking `command run` writes 50 MB to stdout and ends: pxpd reads the
output, makes the results, records the owed response and the final
metadata (fsync'd), and sends the 50 MB response. Prints p50/p99/max of
the echoes sent from the action's start to 3 s after its final response
arrived, and the same figures with no action (the baseline), and appends
them to results.log. Asserts nothing (tests/integration/test_ops.py
bounds the p99 loosely).

    PXPD_BIN=... BROKER_BIN=... CONTROLLER_BIN=... CA_SCRIPT=... \\
        python3 tests/bench/bench_bigfinish.py [--runs N]
"""
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "integration"))
import pxpdtest  # noqa: E402
from benchlog import report  # noqa: E402

INTERVAL_MS = 5
SIZE = 50 * 1000 * 1000


def pct(v, p):
    v = sorted(v)
    return v[min(len(v) - 1, int(len(v) * p / 100.0))] if v else float("nan")


def echo_stream(env, broker, seconds):
    n = int(seconds * 1000 / INTERVAL_MS)
    args = env.controller_args(broker, version=2, params={"argument": "x"},
                               timeout_ms=int((seconds + 60) * 1000),
                               extra=["--count", str(n), "--interval-ms", str(INTERVAL_MS),
                                      "--latency", "--client-type", "echoer"])
    return subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)


def latencies(p, t0_wall):
    out, _ = p.communicate(timeout=300)
    samples = []
    for line in out.decode(errors="replace").splitlines():
        if line.startswith("{") and "latency_ms" in line:
            d = json.loads(line)
            if "sent_at_ms" in d:
                samples.append((t0_wall + d["sent_at_ms"] / 1000.0, d["latency_ms"]))
    return samples


def one_run(env, b, big):
    t_start = time.time()
    echo = echo_stream(env, b, 12 if big else 6)
    time.sleep(1.5)
    window = None
    if big:
        t_action = time.time()
        ctl = env.controller_bg(b, version=2, module="command", action="run",
                                params={"command": "head -c %d /dev/zero | tr '\\0' a" % SIZE},
                                timeout_ms=120000,
                                extra=["--non-blocking", "--notify-outcome", "true",
                                       "--client-type", "big", "--expect", "2",
                                       "--data-digest"])
        rc, lines = env.controller_wait(ctl, timeout=120)
        t_final = time.time()
        window = (t_action, t_final + 3)
        got = [l for l in lines if l.get("message_type") == "rpc_non_blocking_response"]
        if not got:
            raise SystemExit("no final response: %s" % lines[-3:])
    samples = latencies(echo, t_start)
    if window:
        sel = [lat for (t, lat) in samples if window[0] <= t <= window[1]]
        worst = max((lat, t) for (t, lat) in samples if window[0] <= t <= window[1])
        print("  final after %.2f s; worst echo %.1f ms sent at +%.2f s; %d over 50 ms" % (
            window[1] - 3 - window[0], worst[0], worst[1] - window[0],
            sum(1 for x in sel if x > 50)), flush=True)
    else:
        sel = [lat for (t, lat) in samples][len(samples) // 4:]
    return sel


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
        base = one_run(env, b, False)
        report("echo every %d ms, no action (v2): n=%d p50_ms=%.2f p99_ms=%.2f max_ms=%.2f" % (
            INTERVAL_MS, len(base), pct(base, 50), pct(base, 99), max(base)))
        for i in range(runs):
            sel = one_run(env, b, True)
            report("echo every %d ms while a 50 MB-output action finishes (v2), run %d: "
                   "n=%d p50_ms=%.2f p99_ms=%.2f max_ms=%.2f" % (
                       INTERVAL_MS, i + 1, len(sel), pct(sel, 50), pct(sel, 99), max(sel)))
    finally:
        if os.environ.get("BENCH_KEEP"):
            print("kept", env.dir)
        env.cleanup(keep=bool(os.environ.get("BENCH_KEEP")))


if __name__ == "__main__":
    main()
