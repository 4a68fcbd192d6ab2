"""A broker that stops reading (issue 10 item 7): pxpd's send queue is
capped by max-send-queue. The test broker's SIGUSR2 makes it stop
reading from agents while it still forwards to them (SIGSTOP would stop
the forwarding too, so nothing would reach pxpd to fill its queue); a
controller pipelines 10,000 echoes, and pxpd's memory must stay bounded:
beyond the cap requests get the busy error (beyond twice it none), and
once the broker reads again everything queued goes out and a later echo
works. Owed responses replayed after a reconnection wait for room the
same way. Peak RSS figures go to the test output."""
import json
import os
import re
import signal
import sys
import time

from pxpdtest import PxpdTestCase, main, wait_for, SLOW

MiB = 1024 * 1024


def proc_status(pid, key):
    """A /proc/<pid>/status figure in bytes (VmRSS, VmHWM: peak RSS)."""
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1]) * 1024
    raise AssertionError("no %s for pid %d" % (key, pid))


def instrumented(pid):
    """Under ASan (or valgrind) RSS measures the tool's own heap and
    quarantine, not pxpd's queue."""
    with open("/proc/%d/maps" % pid) as f:
        maps = f.read()
    return "libasan" in maps or "vgpreload" in maps or "valgrind" in maps


class Backpressure(PxpdTestCase):
    def setUp(self):
        super().setUp()
        self.b = self.env.broker()

    def stall(self, on):
        """The broker stops (on) or resumes reading from agents."""
        n = self.b.events().count("stall-agents")
        self.b.kill(signal.SIGUSR2)
        wait_for(lambda: self.b.events().count("stall-agents") > n, what="broker stall toggle")
        last = [l for l in self.b.events().splitlines() if l.startswith("stall-agents")][-1]
        self.assertEqual(last, "stall-agents %s" % ("on" if on else "off"))

    @staticmethod
    def count_lines(path):
        with open(path) as f:
            return f.read().count('"message_type"')

    def drained(self, count=1):
        """pxpd's line that ends a full period: (peak, busy, dropped)."""
        self.env.wait_log("send queue drained", timeout=60, count=count)
        m = re.findall(r"send queue drained \(peak (\d+) bytes\): (\d+) requests were answered "
                       r"busy, (\d+) dropped", self.env.pxpd_log())
        return tuple(int(x) for x in m[count - 1])

    def test_flood_while_broker_does_not_read(self):
        agent = self.start_agent([self.b.uri(2)], version=2)
        pid = agent.p.pid
        cap = 4 * MiB                      # the default max-send-queue
        rc, lines, _ = self.env.controller(self.b, version=2, params={"argument": "warm"})
        self.assertEqual(lines[0]["data"]["results"]["outcome"], "warm")
        base = proc_status(pid, "VmRSS")

        self.stall(True)
        n, arg = 10000, "x" * 8192           # ~80 MB of answers in all
        p = self.env.controller_bg(self.b, version=2, params={"argument": arg}, timeout_ms=300000,
                                   extra=["--count", str(n), "--pipeline", "--data-digest"])
        # every request has reached pxpd: answered (logged at info) or
        # dropped unparsed (debug)
        wait_for(lambda: self.env.pxpd_log().count("request echo echo from") +
                 self.env.pxpd_log().count("dropped: the send queue is full") >= n + 1,
                 timeout=120, step=0.5, what="pxpd to take all %d requests" % n)
        peak_rss = proc_status(pid, "VmHWM")
        sys.stderr.write("\nmax-send-queue %d: pxpd RSS %.1f MiB before, peak %.1f MiB during "
                         "the flood\n" % (cap, base / MiB, peak_rss / MiB))
        if not instrumented(pid):
            # the queue holds at most twice the cap (busy answers), plus
            # the allocator's slack; without the cap it held ~80 MB
            self.assertLess(peak_rss - base, 4 * cap, "peak RSS %d, before %d" % (peak_rss, base))
        self.assertIn("send queue full", self.env.pxpd_log())

        self.stall(False)
        peak, busy, dropped = self.drained()
        sys.stderr.write("send queue peak %d bytes; %d busy, %d dropped\n" % (peak, busy, dropped))
        self.assertLess(peak, 2 * cap + 64 * 1024)
        self.assertGreater(busy, 0)
        # everything not dropped is answered, each once
        answers = n - dropped
        out = p.out.name
        wait_for(lambda: self.count_lines(out) >= answers, timeout=120, step=0.5,
                 what="%d answers" % answers)
        if dropped:
            p.kill()
        rc, got = self.env.controller_wait(p)
        kinds = [l["message_type"] for l in got]
        self.assertEqual(len(kinds), answers)
        self.assertEqual(kinds.count("rpc_error_message"), busy)
        self.assertEqual(kinds.count("rpc_blocking_response"), answers - busy)
        self.assertGreater(answers - busy, 0)
        # the busy answer names the cap (seen without --data-digest)
        self.stall(True)
        q = self.env.controller_bg(self.b, version=2, params={"argument": arg}, timeout_ms=300000,
                                   extra=["--count", "3000", "--pipeline"])
        self.env.wait_log("send queue full", count=2, timeout=60)
        self.stall(False)
        rc, got = self.env.controller_wait(q)
        errs = [l["data"]["description"] for l in got if l["message_type"] == "rpc_error_message"]
        self.assertTrue(errs, got[-3:])
        self.assertRegex(errs[0], r"^the agent is busy: \d+ bytes wait to be sent to the broker "
                                  r"\(max-send-queue 4194304\); try again later$")
        self.drained(count=2)

        # recovered: a later echo works, on the same connection, also
        # after the broker was stopped outright (SIGSTOP) and went on
        rc, lines, _ = self.env.controller(self.b, version=2, params={"argument": "after"})
        self.assertEqual(lines[0]["data"]["results"]["outcome"], "after")
        self.b.kill(signal.SIGSTOP)
        p = self.env.controller_bg(self.b, version=2, params={"argument": "after stop"},
                                   timeout_ms=60000)
        time.sleep(0.5 * SLOW)
        self.b.kill(signal.SIGCONT)
        rc, got = self.env.controller_wait(p)
        self.assertEqual([l["data"]["results"]["outcome"] for l in got], ["after stop"])
        self.assertEqual(self.env.pxpd_log().count("connected to"), 1)
        self.assertTrue(agent.alive())

    def test_owed_replay_waits_for_room(self):
        # 80 owed responses of 512 KiB (40 MiB) in the spool; a 1 MiB
        # cap; the broker does not read when pxpd connects
        spool = os.path.join(self.env.dir, "spool")
        blob = "y" * (512 * 1024)
        n = 80
        for i in range(n):
            tid = "owe-%02d" % i
            os.makedirs(os.path.join(spool, tid), mode=0o700)
            owed = {"seq": 1000 + i, "message_type": "http://puppetlabs.com/rpc_non_blocking_response",
                    "target": "pcp://controller.example/controller",
                    "data": {"transaction_id": tid, "results": {"blob": blob}}}
            with open(os.path.join(spool, tid, "owed"), "w") as f:
                json.dump(owed, f)
        listener = self.env.controller_bg(self.b, version=2, timeout_ms=300000,
                                          extra=["--listen", "--expect", str(n)])
        wait_for(lambda: "connect pcp://controller.example/controller" in self.b.events(),
                 what="listener")
        self.stall(True)
        agent = self.start_agent([self.b.uri(2)], version=2, **{"max-send-queue": MiB})
        wait_for(lambda: "send queue full" in self.env.pxpd_log() or
                 self.env.pxpd_log().count("sending owed") >= n, timeout=30, what="the replay")
        # the pump waits for room: pxpd holds far less than the 40 MiB
        time.sleep(0.5 * SLOW)
        sent = self.env.pxpd_log().count("sending owed")
        peak_rss = proc_status(agent.p.pid, "VmHWM")
        sys.stderr.write("\nowed replay, max-send-queue 1 MiB: %d of %d owed sent while the "
                         "broker does not read; pxpd peak RSS %.1f MiB\n" % (sent, n, peak_rss / MiB))
        if not instrumented(agent.p.pid):
            self.assertLess(peak_rss, 32 * MiB)
        self.assertLess(sent, n)
        self.assertIn("%d owed response(s) to send" % n, self.env.pxpd_log())

        self.stall(False)
        rc, got = self.env.controller_wait(listener)
        # in the order they were recorded, each once, whole
        self.assertEqual([l["data"]["transaction_id"] for l in got], ["owe-%02d" % i for i in range(n)])
        self.assertTrue(all(l["data"]["results"]["blob"] == blob for l in got))
        wait_for(lambda: not any(os.path.exists(os.path.join(spool, "owe-%02d" % i, "owed"))
                                 for i in range(n)), what="owed files cleared")
        self.assertEqual(self.env.pxpd_log().count("sending owed"), n)
        self.assertTrue(agent.alive())


if __name__ == "__main__":
    main()
