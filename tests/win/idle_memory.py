"""idle_memory.py: pxpd.exe's idle memory under Wine, for the record
(tests/bench/RESULTS.md via benchlog, source "win"): pxpd.exe (PXPD_EXE,
the MSI's stripped one by default) connected to the Linux test broker
(PCP v2, mutual TLS), idle 10 s; then the Linux VmRSS of the Wine
process that runs it (/proc: it includes Wine's own ntdll/kernel32 and
the wineserver-side mappings Wine keeps in the process, so it is Wine's
figure, not Windows') and the Windows working set pxpd itself reports
in its status file (rss_bytes: libuv's uv_resident_set_memory, which is
GetProcessMemoryInfo's WorkingSetSize on Windows; Wine computes it
from the same Linux RSS, so it is not an independent figure).
Not a test: run by hand, with tests/win/run.sh's environment:

  WINEPREFIX=... WINE=wine64 PXPD_EXE=build-mingw/msi-stage-0.1.0/pxpd.exe \\
  BROKER_BIN=... CONTROLLER_BIN=... CA_SCRIPT=... python3 tests/win/idle_memory.py
"""
import json
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
sys.path.insert(0, os.path.join(HERE, "..", "bench"))
sys.path.insert(0, HERE)
import benchlog  # noqa: E402
from actions import procs_with  # noqa: E402
from smoke import PXPD_EXE, WinEnv  # noqa: E402


def status_kb(pid):
    out = {}
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            k, _, v = line.partition(":")
            if k in ("VmRSS", "RssAnon", "RssFile", "RssShmem"):
                out[k] = int(v.split()[0])
    return out


def main():
    env = WinEnv("idle_memory")
    ok = False
    try:
        b = env.broker()
        conf = env.config([b.uri(2)], version=2)
        env.pxpd(conf)
        env.wait_log("connected to", timeout=60)
        time.sleep(10)
        exe = os.path.basename(PXPD_EXE)
        procs = [p for p, cmd in procs_with(exe) if "--config-file" in cmd]
        assert len(procs) == 1, procs_with(exe)
        kb = status_kb(procs[0])
        # the status file is rewritten every 5 s
        time.sleep(6)
        with open(os.path.join(env.dir, "pxpd-status.json")) as f:
            st = json.load(f)
        ws = st.get("rss_bytes") or st.get("process", {}).get("rss_bytes")
        benchlog.report(
            "pxpd.exe idle under Wine 8.0 (%s, %d bytes; PCP v2 to the test broker, "
            "idle 10 s): Linux VmRSS of its Wine process %d kB (RssAnon %d kB, "
            "RssFile %d kB; includes Wine's own DLLs and loader, not a Windows "
            "figure); working set pxpd reports %s kB (GetProcessMemoryInfo, "
            "which Wine computes from that same Linux RSS: not independent)" % (
                PXPD_EXE, os.path.getsize(PXPD_EXE), kb["VmRSS"], kb.get("RssAnon", 0),
                kb.get("RssFile", 0), "%d" % (ws // 1024) if ws else "n/a"),
            source="win")
        ok = True
    finally:
        env.cleanup(keep=not ok)


if __name__ == "__main__":
    main()
