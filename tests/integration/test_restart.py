"""Restart and reboot (issue 10 items 1-5): what a restarted pxpd makes of
the spool an earlier one left, through the real pxpd, test broker and
controller: a pid that is no longer the wrapper it names is neither
adopted nor signalled; the queue moves on, in order, when an adopted
action ends; queued and starting actions survive kill -9; actions keep
starting after the binary was replaced or deleted (and no environment
variable chooses the wrapper); an adopted action's end is noticed at once
and a status query never says "running" once its exitcode exists."""
import json
import os
import shutil
import signal
import subprocess
import threading
import time

from fileserver import FileServer
from pxpdtest import PXPD, SLOW, BrokerTestCase, Proc, main, pid_file_text, wait_for

CONTROLLER_URI = "pcp://controller.example/controller"


def of_type(lines, t):
    return [l for l in lines if l["message_type"] == t]


class LineReader:
    """A controller whose output lines are stamped with the time they came."""

    def __init__(self, args):
        self.p = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        self.lines = []
        self.t = threading.Thread(target=self._read, daemon=True)
        self.t.start()

    def _read(self):
        for raw in self.p.stdout:
            now = time.time()
            text = raw.decode(errors="replace").strip()
            if text.startswith("{"):
                self.lines.append((now, json.loads(text)))

    def wait(self, timeout):
        self.p.wait(timeout)
        self.t.join(5)
        return self.p.returncode

    def kill(self):
        if self.p.poll() is None:
            self.p.kill()
            self.p.wait()


class Restart(BrokerTestCase):
    def restart(self, old):
        old.stop(signal.SIGKILL)
        a = self.env.pxpd(os.path.join(self.env.dir, "pxpd.conf"))
        self.env.wait_log("connected to", timeout=15, count=2)
        return a

    def spool(self, tid, name=None):
        p = os.path.join(self.env.dir, "spool", tid)
        return os.path.join(p, name) if name else p

    def command(self, tid, cmd, notify=True, **kw):
        # A client type of its own: the broker lets a newer connection of
        # the same URI push out one still listening.
        return self.env.controller_bg(self.b, version=2, module="command", action="run",
                                      params={"command": cmd},
                                      extra=["--non-blocking", "--transaction-id", tid,
                                             "--notify-outcome", "true" if notify else "false",
                                             "--client-type", "ctl-" + tid], **kw)

    def status(self, tid, action="query"):
        rc, lines, _ = self.env.controller(self.b, version=2, module="status", action=action,
                                           cert="agent02", params={"transaction_id": tid},
                                           check=False)
        return lines[0]

    @staticmethod
    def kill_quietly(pid):
        """Ends a wrapper the test stopped, should the test fail first."""
        for sig in (signal.SIGCONT, signal.SIGKILL):
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                pass

    def mtime_ns(self, tid, name):
        return os.stat(self.spool(tid, name)).st_mtime_ns

    # ---- item 1 --------------------------------------------------------

    def test_stranger_pid_not_adopted_nor_signalled(self):
        """A spool whose pid belongs to another live process (a reused pid,
        a pid from before a reboot) is reported lost, never adopted, and a
        cancel does not reach that process."""
        stranger = subprocess.Popen(["sleep", "120"], start_new_session=True)
        self.addCleanup(stranger.wait)
        self.addCleanup(stranger.kill)
        pid = stranger.pid
        files = {
            "st-legacy": "%d\n" % pid,                      # an older pxpd's: pid alone
            "st-reused": pid_file_text(pid, start_delta=5),  # started at another time
            "st-reboot": pid_file_text(pid, boot_id="0" * 8 + "-0000-0000-0000-" + "0" * 12),
        }
        for tid, text in files.items():
            os.makedirs(self.spool(tid))
            with open(self.spool(tid, "metadata"), "w") as f:
                json.dump({"requester": CONTROLLER_URI, "module": "command", "action": "run",
                           "request_params": "{}", "transaction_id": tid, "request_id": "r-" + tid,
                           "notify_outcome": True, "start": "2026-01-01T00:00:00.000000Z",
                           "status": "running"}, f)
            with open(self.spool(tid, "pid"), "w") as f:
                f.write(text)
        self.agent()
        for tid in files:
            r = self.status(tid)
            self.assertEqual(r["message_type"], "rpc_blocking_response", r)
            self.assertEqual(r["data"]["results"]["status"], "unknown", (tid, r))
            with open(self.spool(tid, "metadata")) as f:
                self.assertEqual(json.load(f)["status"], "undetermined")
            # as its requester would: nothing of pxpd's runs under that pid
            rc, lines, _ = self.env.controller(self.b, version=2, module="status", action="cancel",
                                               params={"transaction_id": tid}, check=False)
            self.assertEqual(lines[0]["message_type"], "rpc_error_message", lines)
        time.sleep(0.3)
        self.assertIsNone(stranger.poll(), "pxpd signalled a process that is not its wrapper")
        self.assertNotIn("adopted running action", self.env.pxpd_log())

    # ---- item 2 --------------------------------------------------------

    def test_queue_moves_on_after_adopted_action_ends_in_order(self):
        """max-concurrent-actions 1: an adopted action holds the slot; the
        request queued behind it starts as soon as it ends, and one that
        comes later waits behind it."""
        a = self.agent(**{"max-concurrent-actions": 1})
        p_a = self.command("qa", "sleep %d" % (3 * SLOW))
        wait_for(lambda: os.path.exists(self.spool("qa", "pid")), what="qa running")
        a = self.restart(a)
        self.env.wait_log("[qa] adopted running action")
        p_b = self.command("qb", "sleep %d" % (2 * SLOW))
        self.env.wait_log("[qb] queued")
        wait_for(lambda: os.path.exists(self.spool("qa", "exitcode")), timeout=10, what="qa ended")
        # qb takes the slot qa gave back, at once
        wait_for(lambda: os.path.exists(self.spool("qb", "pid")), timeout=3,
                 what="qb started after the adopted qa ended:\n" + self.env.pxpd_log()[-2000:])
        self.assertLess(self.mtime_ns("qb", "pid") - self.mtime_ns("qa", "exitcode"), 1e9 * SLOW)
        p_c = self.command("qc", "true")
        wait_for(lambda: os.path.exists(self.spool("qc", "exitcode")), timeout=20, what="qc ended")
        # qc did not jump the queue: it started once qb was over
        self.assertTrue(os.path.exists(self.spool("qb", "exitcode")))
        self.assertGreaterEqual(self.mtime_ns("qc", "pid"), self.mtime_ns("qb", "exitcode"))
        for p in (p_a, p_b, p_c):
            rc, lines = self.env.controller_wait(p)
            self.assertEqual(len(of_type(lines, "rpc_non_blocking_response")), 1, lines)

    # ---- item 3 --------------------------------------------------------

    def test_kill9_with_running_and_queued_loses_nothing(self):
        """kill -9 with 5 running and 20 queued (max-concurrent-actions 5):
        after the restart all 25 end, each with exactly one final response,
        and the queued ones start in the order they came."""
        a = self.agent(**{"max-concurrent-actions": 5, "max-queued-actions": 30})
        n = 25
        dur = 3 * SLOW
        p = self.env.controller_bg(self.b, version=2, module="command", action="run",
                                   params={"command": "sleep %d" % dur}, timeout_ms=int(120000 * SLOW),
                                   extra=["--non-blocking", "--count", str(n), "--pipeline",
                                          "--transaction-id", "k", "--notify-outcome", "true",
                                          "--expect", str(n)])
        tids = ["k-%d" % i for i in range(n)]
        wait_for(lambda: sum(os.path.exists(self.spool(t, "pid")) for t in tids) == 5 and
                 self.env.pxpd_log().count("] queued (") == 20, what="5 running and 20 queued")
        running = [t for t in tids if os.path.exists(self.spool(t, "pid"))]
        self.assertEqual(running, tids[:5])
        self.restart(a)
        rc, lines = self.env.controller_wait(p, timeout=150)
        finals = of_type(lines, "rpc_non_blocking_response")
        errors = of_type(lines, "rpc_error_message")
        self.assertEqual(errors, [], "%d errors, the first: %s" % (len(errors), errors[:1]))
        self.assertEqual(sorted(l["data"]["transaction_id"] for l in finals), sorted(tids))
        for l in finals:
            self.assertEqual(l["data"]["results"]["exitcode"], 0)
        for t in tids:
            self.assertFalse(os.path.exists(self.spool(t, "queued")), t)
            with open(self.spool(t, "metadata")) as f:
                self.assertEqual(json.load(f)["status"], "success")
        # the queued ones started in the order they came
        starts = [self.mtime_ns(t, "pid") for t in tids[5:]]
        self.assertEqual(starts, sorted(starts))
        log = self.env.pxpd_log()
        # (on a very slow machine one of the five may end during the restart)
        self.assertEqual(log.count("adopted running action") +
                         log.count("ended while pxpd was down"), 5)
        self.assertEqual(log.count("queued again"), 20)
        # nothing is sent twice
        rc, extra, _ = self.env.controller(self.b, version=2, extra=["--listen"],
                                           timeout_ms=1500, check=False)
        self.assertEqual(of_type(extra, "rpc_non_blocking_response"), [])

    def test_kill9_while_task_files_download(self):
        """A task still downloading its files holds no pid yet: killed then,
        the restarted pxpd downloads them again and runs it, once."""
        fs = FileServer(self.env)
        self.addCleanup(fs.stop)
        a = self.agent(**{"master-uris": [fs.uri]})
        # 12 KiB at 4 KiB/s: about 3 s of download
        body = "#!/bin/sh\necho ran\n" + "#" * (12 * 1024) + "\n"
        task = fs.file_obj("slow.sh", "slow/slow.sh", body)
        p = self.env.controller_bg(self.b, version=2, module="task", action="run",
                                   params={"task": "mymod::slow", "input": {}, "files": [task]},
                                   timeout_ms=int(60000 * SLOW),
                                   extra=["--non-blocking", "--transaction-id", "dl-1",
                                          "--notify-outcome", "true"])
        self.env.wait_log("downloading https://localhost:%d" % fs.port)
        self.assertFalse(os.path.exists(self.spool("dl-1", "pid")))
        self.restart(a)
        rc, lines = self.env.controller_wait(p)
        self.assertEqual(of_type(lines, "rpc_error_message"), [])
        final = of_type(lines, "rpc_non_blocking_response")
        self.assertEqual(len(final), 1, lines)
        self.assertEqual(final[0]["data"]["results"], {"exitcode": 0, "stdout": "ran\n"})
        self.assertIn("[dl-1] queued again", self.env.pxpd_log())
        self.assertFalse(os.path.exists(self.spool("dl-1", "queued")))

    # ---- item 4 --------------------------------------------------------

    def run_echo(self, tid):
        rc, lines, _ = self.env.controller(self.b, version=2, module="command", action="run",
                                           params={"command": "echo started-%s" % tid},
                                           extra=["--transaction-id", tid], check=False)
        return lines[0]

    def start_copy(self, env=None):
        """pxpd started from a copy of its binary, as a package installs it."""
        bindir = os.path.join(self.env.dir, "bin")
        os.makedirs(bindir, exist_ok=True)
        exe = os.path.join(bindir, "pxpd")
        shutil.copy2(PXPD, exe)
        conf = self.env.config([self.b.uri(2)], version=2)
        args = [exe, "--config-file", conf, "--foreground"]
        wrap = os.environ.get("PXPD_WRAP", "")
        proc = Proc(wrap.split() + args if wrap else args, os.path.join(self.env.dir, "pxpd.out"),
                    env=env)
        self.env.procs.append(proc)
        self.env.wait_log("connected to", timeout=15)
        return exe

    def assert_echo_runs(self, tid):
        r = self.run_echo(tid)
        self.assertEqual(r["message_type"], "rpc_blocking_response", r)
        self.assertEqual(r["data"]["results"].get("stdout"), "started-%s\n" % tid, r)

    def test_binary_replaced_or_deleted_actions_still_start(self):
        """A package upgrade replaces pxpd's file under the running service:
        actions keep starting (through the binary pxpd opened at start)
        until it restarts."""
        exe = self.start_copy()
        self.assert_echo_runs("before")
        # the upgrade: a new file renamed over the old one (dpkg, rpm)
        with open(exe + ".new", "w") as f:
            f.write("#!/bin/sh\necho not-the-pxpd-that-runs >&2\nexit 98\n")
        os.chmod(exe + ".new", 0o755)
        os.rename(exe + ".new", exe)
        self.assert_echo_runs("replaced")
        # and the file gone altogether
        os.unlink(exe)
        self.assert_echo_runs("deleted")
        p = self.command("nb-deleted", "echo detached")
        rc, lines = self.env.controller_wait(p)
        final = of_type(lines, "rpc_non_blocking_response")
        self.assertEqual(final[0]["data"]["results"]["stdout"], "detached\n", lines)

    def test_wrapper_not_chosen_by_environment(self):
        """PXPD_WRAPPER_BIN in pxpd's environment chooses nothing: the
        wrapper runs as root."""
        marker = os.path.join(self.env.dir, "evil-ran")
        evil = os.path.join(self.env.dir, "evil.sh")
        with open(evil, "w") as f:
            f.write("#!/bin/sh\ntouch %s\nexit 99\n" % marker)
        os.chmod(evil, 0o755)
        self.start_copy(env=dict(os.environ, PXPD_WRAPPER_BIN=evil))
        self.assert_echo_runs("env")
        self.assertFalse(os.path.exists(marker), "an environment variable chose the wrapper")

    # ---- item 5 --------------------------------------------------------

    def test_adopted_end_noticed_at_once(self):
        """kill -9 during a task, restart (adopted): the final response goes
        out within 100 ms of the task's end, and a status query 1.5 s after
        the end says success with the output."""
        a = self.agent()
        dur = 3 * SLOW + 2
        ctl = LineReader(self.env.controller_args(
            self.b, version=2, module="command", action="run",
            params={"command": "sleep %d; date +%%s.%%N" % dur}, timeout_ms=int((dur + 30) * 1000 * SLOW),
            extra=["--non-blocking", "--transaction-id", "fast-1", "--notify-outcome", "true"]))
        self.addCleanup(ctl.kill)
        wait_for(lambda: os.path.exists(self.spool("fast-1", "pid")), what="task running")
        self.restart(a)
        self.env.wait_log("[fast-1] adopted running action")
        self.assertFalse(os.path.exists(self.spool("fast-1", "exitcode")), "the task ended too soon")
        self.assertEqual(ctl.wait(dur * 2 + 30), 0, ctl.lines)
        arrived, final = [(t, l) for t, l in ctl.lines
                          if l["message_type"] == "rpc_non_blocking_response"][0]
        end = float(final["data"]["results"]["stdout"])
        noticed_ms = (arrived - end) * 1000
        print("adopted action: final response %.1f ms after the task ended" % noticed_ms)
        self.assertLess(noticed_ms, 100 * SLOW)
        time.sleep(max(0.0, end + 1.5 - time.time()))
        r = self.status("fast-1")["data"]["results"]
        self.assertEqual(r["status"], "success", r)
        self.assertEqual(r["exitcode"], 0)
        self.assertEqual(float(r["stdout"]), end)

    def test_status_query_finalizes_once_exitcode_exists(self):
        """While pxpd still watches an action whose exitcode file exists
        (its wrapper has not exited yet: here it is stopped), a status query
        decides from the file: success with the output, the final response
        goes out then, once, and no query says "running" after it."""
        self.agent()
        ctl = LineReader(self.env.controller_args(
            self.b, version=2, module="command", action="run", params={"command": "sleep 5"},
            timeout_ms=int(60000 * SLOW),
            extra=["--non-blocking", "--transaction-id", "ex-1", "--notify-outcome", "true"]))
        self.addCleanup(ctl.kill)
        wait_for(lambda: os.path.exists(self.spool("ex-1", "pid")), what="task running")
        with open(self.spool("ex-1", "pid")) as f:
            wrapper = int(f.readline())
        os.kill(wrapper, signal.SIGSTOP)
        self.addCleanup(self.kill_quietly, wrapper)
        # what a wrapper leaves at the end: output, then exitcode last
        with open(self.spool("ex-1", "stdout"), "w") as f:
            f.write("the output\n")
        with open(self.spool("ex-1", "exitcode.tmp"), "w") as f:
            f.write("0")
        os.rename(self.spool("ex-1", "exitcode.tmp"), self.spool("ex-1", "exitcode"))
        r = self.status("ex-1")["data"]["results"]
        self.assertEqual((r["status"], r.get("exitcode"), r.get("stdout")), ("success", 0, "the output\n"), r)
        wait_for(lambda: of_type([l for _, l in ctl.lines], "rpc_non_blocking_response"),
                 what="the final response")
        # the wrapper resumes and ends (killed): no second final, and the
        # status stays final
        os.kill(wrapper, signal.SIGCONT)
        os.kill(wrapper, signal.SIGKILL)
        self.assertEqual(ctl.wait(30 * SLOW), 0)
        wait_for(lambda: not os.path.exists("/proc/%d" % wrapper), what="the wrapper reaped")
        self.assertEqual(self.status("ex-1")["data"]["results"]["status"], "success")
        log = self.env.pxpd_log()
        self.assertEqual(log.count("[ex-1] finished"), 1)
        self.assertNotIn("finished twice", log)


if __name__ == "__main__":
    main()
