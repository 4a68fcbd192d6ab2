"""pxpd task benchmark: 100 and 1,000 concurrent short tasks (files
already cached) through the test broker: wall time, tasks/s, and peak RSS
of pxpd and of its whole process tree (pxpd + wrappers + tasks), sampled
from /proc every 50 ms (the sampler itself costs CPU). Prints figures."""
import json
import os
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "integration"))
import pxpdtest  # noqa: E402
from benchlog import report  # noqa: E402
from fileserver import FileServer  # noqa: E402

TASK = b"#!/bin/sh\necho '{\"ok\":true}'\n"


def tree_rss_kb(root):
    """RSS of root and all its descendants (wrappers are detached, so
    they are found through their own pids' parents chain at sample time)."""
    kids = {}
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % pid) as f:
                fields = f.read().rsplit(")", 1)[1].split()
            ppid, pgrp = int(fields[1]), int(fields[2])
            with open("/proc/%s/status" % pid) as f:
                rss = next((int(l.split()[1]) for l in f if l.startswith("VmRSS:")), 0)
            with open("/proc/%s/cmdline" % pid, "rb") as f:
                cmd = f.read()
        except (OSError, StopIteration, IndexError):
            continue
        kids.setdefault(ppid, []).append((int(pid), rss, cmd))
    total, own = 0, 0
    stack = [root]
    seen = set()
    while stack:
        p = stack.pop()
        for c, rss, cmd in kids.get(p, []):
            if c not in seen:
                seen.add(c)
                total += rss
                stack.append(c)
    # detached wrappers are re-parented: count every pxpd --exec-wrapper too
    for lst in kids.values():
        for c, rss, cmd in lst:
            if b"--exec-wrapper" in cmd and c not in seen:
                seen.add(c)
                total += rss
                stack = [c]
                while stack:
                    p = stack.pop()
                    for g, r2, _ in kids.get(p, []):
                        if g not in seen:
                            seen.add(g)
                            total += r2
                            stack.append(g)
    try:
        with open("/proc/%d/status" % root) as f:
            own = next(int(l.split()[1]) for l in f if l.startswith("VmRSS:"))
    except OSError:
        pass
    return own, own + total


def main():
    env = pxpdtest.Env("bench-tasks")
    fs = FileServer(env)
    try:
        b = env.broker()
        conf = env.config([b.uri(2)], version=2, loglevel="info",
                          **{"master-uris": [fs.uri], "max-concurrent-actions": 1024,
                             "max-queued-actions": 10000})
        agent = env.pxpd(conf)
        env.wait_log("connected to", timeout=20)
        fobj = fs.file_obj("init.sh", "tasks/bench/init.sh", TASK)
        params = {"task": "bench", "input": {"x": 1}, "files": [fobj]}
        # warm the cache
        env.controller(b, version=2, module="task", action="run", params=params, timeout_ms=30000)
        pf = os.path.join(env.dir, "params.json")
        with open(pf, "w") as f:
            json.dump(params, f)
        for n in (100, 1000):
            peak = [0, 0]
            stop = threading.Event()

            def sample():
                while not stop.is_set():
                    own, tree = tree_rss_kb(agent.p.pid)
                    peak[0] = max(peak[0], own)
                    peak[1] = max(peak[1], tree)
                    time.sleep(0.05)
            t = threading.Thread(target=sample)
            t.start()
            t0 = time.monotonic()
            rc, lines, _ = env.controller(b, version=2, module="task", action="run",
                                          extra=["--params-file", pf, "--non-blocking", "--count", str(n),
                                                 "--pipeline"],
                                          timeout_ms=600000, check=False)
            wall = time.monotonic() - t0
            stop.set()
            t.join()
            ok = sum(1 for l in lines if l.get("message_type") == "rpc_non_blocking_response"
                     and l["data"]["results"].get("exitcode") == 0)
            report("%d concurrent cached tasks: %d ok, wall %.2f s, %.0f tasks/s, "
                  "peak RSS pxpd %d kB, process tree %d kB"
                  % (n, ok, wall, n / wall, peak[0], peak[1]))
        agent.stop()
    finally:
        fs.stop()
        env.cleanup()


if __name__ == "__main__":
    main()
