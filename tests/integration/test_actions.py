"""Action engine integration: non-blocking actions through an external
module, status queries, duplicate transaction ids, the concurrency cap,
surviving SIGKILL of pxpd and broker outages without losing a result,
spool purge, audit log and local policy."""
import hashlib
import hmac
import json
import os
import signal
import stat
import subprocess
import time

from pxpdtest import PxpdTestCase, main, pid_file_text, wait_for

TEST_MODULE = r'''#!/usr/bin/env python3
import json, os, sys, time
META = {"description": "pxpd test module",
        "actions": [
          {"name": "sleep", "input": {"type": "object", "properties": {"seconds": {"type": "number"},
                                      "code": {"type": "integer"}}, "required": ["seconds"]},
           "results": {"type": "object", "required": ["slept"]}},
          {"name": "badjson", "input": {"type": "object"}, "results": {"type": "object"}},
          {"name": "exits", "input": {"type": "object"}, "results": {"type": "object"}},
          {"name": "bigout", "input": {"type": "object"}, "results": {"type": "object"}}]}
if sys.argv[1] == "metadata":
    print(json.dumps(META)); sys.exit(0)
req = json.load(sys.stdin)
inp = req["input"]
code = 0
written = None
if sys.argv[1] == "exits":
    # results.exitcode, the exitcode file and the process's exit code
    # may all differ (pxp-module-puppet: Puppet's 2 in results, exit 0)
    code = inp.get("exit", 0)
    written = inp.get("written", code)
    out = json.dumps({"status": "changed", "exitcode": inp.get("results", code)})
elif sys.argv[1] == "sleep":
    time.sleep(inp["seconds"])
    out = json.dumps({"slept": inp["seconds"], "pid": os.getpid()})
    code = inp.get("code", 0)
elif sys.argv[1] == "badjson":
    out = "this is not json"
else:
    out = json.dumps({"blob": "x" * (50 * 1024 * 1024)})
of = req.get("output_files")
if of:
    with open(of["stdout"], "w") as f: f.write(out)
    with open(of["stderr"], "w") as f: f.write("log line\n")
    with open(of["exitcode"], "w") as f: f.write("%d\n" % (code if written is None else written))
else:
    sys.stdout.write(out); sys.stderr.write("log line\n")
sys.exit(code)
'''


def finals(lines):
    return [l for l in lines if l["message_type"] in
            ("rpc_non_blocking_response", "rpc_blocking_response", "rpc_error_message", "error_message")]


def of_type(lines, t):
    return [l for l in lines if l["message_type"] == t]


class Actions(PxpdTestCase):
    def setUp(self):
        super().setUp()
        self.b = self.env.broker()

    def agent(self, **cfg):
        mdir = os.path.join(self.env.dir, "modules")
        os.makedirs(mdir, exist_ok=True)
        path = os.path.join(mdir, "testmod")
        with open(path, "w") as f:
            f.write(TEST_MODULE)
        os.chmod(path, 0o755)
        cfg.setdefault("reconnect-backoff-cap", 1)
        self.cfg = cfg
        a = self.start_agent([self.b.uri(2)], version=2, **cfg)
        self.env.wait_log("module testmod loaded")
        return a

    def sleep_req(self, tid, seconds, notify=True, code=0, extra=(), **kw):
        return self.env.controller(self.b, version=2, module="testmod", action="sleep",
                                   params={"seconds": seconds, "code": code},
                                   extra=["--non-blocking", "--notify-outcome", "true" if notify else "false",
                                          "--transaction-id", tid] + list(extra), **kw)

    def status(self, tid):
        # Another identity: the broker lets a newer connection of the same
        # URI push out a listening controller.
        rc, lines, _ = self.env.controller(self.b, version=2, module="status", action="query", cert="agent02",
                                           params={"transaction_id": tid})
        self.assertEqual(lines[0]["message_type"], "rpc_blocking_response", lines)
        return lines[0]["data"]["results"]

    def spool(self, tid, name=None):
        p = os.path.join(self.env.dir, "spool", tid)
        return os.path.join(p, name) if name else p

    def test_non_blocking_provisional_then_final(self):
        self.agent()
        rc, lines, _ = self.sleep_req("nb-1", 0.3)
        self.assertEqual([l["message_type"] for l in lines],
                         ["rpc_provisional_response", "rpc_non_blocking_response"])
        self.assertEqual(lines[0]["data"], {"transaction_id": "nb-1"})
        self.assertEqual(lines[1]["data"]["transaction_id"], "nb-1")
        self.assertEqual(lines[1]["data"]["results"]["slept"], 0.3)
        meta = json.load(open(self.spool("nb-1", "metadata")))
        self.assertEqual(meta["status"], "success")
        self.assertEqual(meta["request_params"], "{}")
        self.assertTrue(meta["results_are_valid"])
        self.assertEqual(stat.S_IMODE(os.stat(self.spool("nb-1")).st_mode), 0o700)
        self.assertEqual(stat.S_IMODE(os.stat(self.spool("nb-1", "metadata")).st_mode), 0o600)
        # cleared once pxpd has written the frame, which may be just
        # after the controller read it
        wait_for(lambda: not os.path.exists(self.spool("nb-1", "owed")), what="owed cleared")

    def test_blocking_external_module(self):
        self.agent()
        rc, lines, _ = self.env.controller(self.b, version=2, module="testmod", action="sleep",
                                           params={"seconds": 0.1})
        self.assertEqual(lines[0]["message_type"], "rpc_blocking_response")
        self.assertEqual(lines[0]["data"]["results"]["slept"], 0.1)
        self.assertFalse(os.path.exists(self.spool(lines[0]["data"]["transaction_id"])))

    def test_invalid_results_and_input(self):
        self.agent()
        rc, lines, _ = self.env.controller(self.b, version=2, module="testmod", action="badjson",
                                           params={})
        self.assertEqual(lines[0]["message_type"], "rpc_error_message")
        self.assertIn("invalid JSON", lines[0]["data"]["description"])
        rc, lines, _ = self.env.controller(self.b, version=2, module="testmod", action="sleep",
                                           params={"seconds": "soon"})
        self.assertEqual(lines[0]["message_type"], "rpc_error_message")
        self.assertIn("invalid input for blocking 'testmod sleep'", lines[0]["data"]["description"])

    def test_status_running_success_failure_unknown(self):
        self.agent()
        p = self.env.controller_bg(self.b, version=2, module="testmod", action="sleep",
                                   params={"seconds": 1.5},
                                   extra=["--non-blocking", "--transaction-id", "st-run"])
        wait_for(lambda: os.path.exists(self.spool("st-run", "pid")), what="pid file")
        r = self.status("st-run")
        self.assertEqual(r["status"], "running")
        self.assertEqual(r["transaction_id"], "st-run")
        self.controller_done(p)
        r = self.status("st-run")
        self.assertEqual(r["status"], "success")
        self.assertEqual(r["exitcode"], 0)
        self.assertEqual(json.loads(r["stdout"])["slept"], 1.5)
        self.assertEqual(r["stderr"], "log line\n")
        self.sleep_req("st-fail", 0.1, code=3)
        r = self.status("st-fail")
        self.assertEqual(r["status"], "failure")
        self.assertEqual(r["exitcode"], 3)
        r = self.status("st-none")
        self.assertEqual(r["status"], "unknown")
        self.assertIn("found no results directory", r["stdout"])

    def controller_done(self, p):
        rc, lines = self.env.controller_wait(p)
        self.assertEqual(rc, 0, lines)
        return lines

    def test_duplicate_transaction_id(self):
        self.agent()
        p = self.env.controller_bg(self.b, version=2, module="testmod", action="sleep",
                                   params={"seconds": 1.0},
                                   extra=["--non-blocking", "--transaction-id", "dup-1"])
        wait_for(lambda: os.path.exists(self.spool("dup-1", "pid")), what="pid file")
        pid1 = open(self.spool("dup-1", "pid")).read()
        rc, lines, _ = self.sleep_req("dup-1", 0.1, notify=True, timeout_ms=2500, check=False,
                                      cert="agent02")
        self.assertEqual([l["message_type"] for l in lines], ["rpc_provisional_response"])
        lines = self.controller_done(p)
        self.assertEqual(len(of_type(lines, "rpc_non_blocking_response")), 1)
        # after it finished: still only a provisional, and the action did not run again
        rc, lines, _ = self.sleep_req("dup-1", 0.1, timeout_ms=2000, check=False, cert="agent02")
        self.assertEqual([l["message_type"] for l in lines], ["rpc_provisional_response"])
        self.assertEqual(open(self.spool("dup-1", "pid")).read(), pid1)
        self.assertEqual(self.env.pxpd_log().count("[dup-1] finished"), 1)

    def test_bad_transaction_ids_refused(self):
        self.agent()
        outside = os.path.join(self.env.dir, "escaped")
        for tid in ["../escaped", "../../escaped", "a/b", ".hidden", "x" * 200]:
            rc, lines, _ = self.sleep_req(tid, 0, timeout_ms=3000, check=False)
            self.assertEqual(lines[0]["message_type"], "rpc_error_message", (tid, lines))
            self.assertIn("transaction_id", lines[0]["data"]["description"])
        self.assertFalse(os.path.exists(outside))

    def test_status_of_ids_pxpd_never_creates(self):
        # issue 8 item 7: "unknown" like any id never seen, decided before a
        # path is built: a finished transaction planted where "../x" would
        # lead is not found, and neither is the spool itself ("", "/").
        self.agent()
        planted = os.path.join(self.env.dir, "x")
        os.makedirs(planted)
        with open(os.path.join(planted, "metadata"), "w") as f:
            json.dump({"requester": "pcp://ctl/controller", "module": "testmod", "action": "sleep",
                       "request_params": "{}", "transaction_id": "x", "request_id": "r",
                       "notify_outcome": False, "start": "2026-01-01T00:00:00.000000Z",
                       "status": "success", "results": {"slept": 0}}, f)
        for tid in ["../x", "", "/", ".", "../spool", "x" * 100000]:
            r = self.status(tid)
            self.assertEqual((r["status"], r["transaction_id"]), ("unknown", tid))
            self.assertNotIn("exitcode", r)
            self.assertIn("found no results directory", json.loads(r["stdout"])["_error"]["msg"])

    def test_concurrency_cap_queue_and_busy(self):
        self.agent(**{"max-concurrent-actions": 8, "max-queued-actions": 10})
        rc, lines, _ = self.env.controller(
            self.b, version=2, module="testmod", action="sleep", params={"seconds": 1.0},
            extra=["--non-blocking", "--count", "50", "--pipeline", "--transaction-id", "cc"],
            timeout_ms=30000, check=False)
        busy = [l for l in of_type(lines, "rpc_error_message") if "busy" in l["data"]["description"]]
        done = of_type(lines, "rpc_non_blocking_response")
        self.assertEqual(len(busy), 32, lines[:5])
        self.assertEqual(len(done), 18)
        self.assertEqual(len(of_type(lines, "rpc_provisional_response")), 18)
        log = self.env.pxpd_log()
        self.assertIn("queued (8 running, 10 queued)", log)
        self.assertNotIn("queued (9 running", log)

    def test_sigkill_and_restart_delivers_everything_once(self):
        agent = self.agent()
        n = 20
        p = self.env.controller_bg(self.b, version=2, module="testmod", action="sleep",
                                   params={"seconds": 2.0}, timeout_ms=60000,
                                   extra=["--non-blocking", "--count", str(n), "--pipeline",
                                          "--transaction-id", "kill", "--expect", str(n)])
        wait_for(lambda: all(os.path.exists(self.spool("kill-%d" % i, "pid")) for i in range(n)),
                 what="20 actions running")
        agent.stop(signal.SIGKILL)
        time.sleep(0.2)
        self.env.pxpd(os.path.join(self.env.dir, "pxpd.conf"))
        lines = self.controller_done(p)
        fin = of_type(lines, "rpc_non_blocking_response")
        self.assertEqual(sorted(l["data"]["transaction_id"] for l in fin),
                         sorted("kill-%d" % i for i in range(n)))
        self.assertEqual(len(of_type(lines, "rpc_error_message")), 0)
        for i in range(n):
            r = self.status("kill-%d" % i)
            self.assertEqual(r["status"], "success")
            self.assertFalse(os.path.exists(self.spool("kill-%d" % i, "owed")))
        self.assertIn("adopted running action", self.env.pxpd_log())
        # nothing is sent twice: a listener for a while sees nothing more
        rc, extra_lines, _ = self.env.controller(self.b, version=2, extra=["--listen"],
                                                 timeout_ms=1500, check=False)
        self.assertEqual(of_type(extra_lines, "rpc_non_blocking_response"), [])

    def test_finished_while_agent_down(self):
        agent = self.agent()
        p = self.env.controller_bg(self.b, version=2, module="testmod", action="sleep",
                                   params={"seconds": 0.5}, timeout_ms=30000,
                                   extra=["--non-blocking", "--transaction-id", "down-1"])
        wait_for(lambda: os.path.exists(self.spool("down-1", "pid")), what="pid")
        agent.stop(signal.SIGKILL)
        wait_for(lambda: os.path.exists(self.spool("down-1", "exitcode")), what="exitcode")
        self.env.pxpd(os.path.join(self.env.dir, "pxpd.conf"))
        lines = self.controller_done(p)
        self.assertEqual(len(of_type(lines, "rpc_non_blocking_response")), 1)
        self.assertIn("ended while pxpd was down", self.env.pxpd_log())

    def test_broker_outage_owed_responses(self):
        agent = self.agent()
        port = self.b.port
        # The actions outlast the controller's wait for the provisional
        # responses; the broker goes away before any of them ends.
        slow = float(os.environ.get("PXPD_TEST_SLOW", "1"))
        rc, lines, _ = self.env.controller(
            self.b, version=2, module="testmod", action="sleep", params={"seconds": 3.0 * slow},
            extra=["--non-blocking", "--count", "3", "--pipeline", "--transaction-id", "owe",
                   "--notify-outcome", "true"], timeout_ms=1500, check=False)
        self.assertEqual(len(of_type(lines, "rpc_provisional_response")), 3, lines)
        self.assertEqual(of_type(lines, "rpc_non_blocking_response"), [])
        self.b.stop()
        wait_for(lambda: all(os.path.exists(self.spool("owe-%d" % i, "owed")) for i in range(3)),
                 what="owed files", timeout=20)
        # Hold pxpd still until the listener is connected to the new broker:
        # a response to a controller that is not connected is lost.
        agent.kill(signal.SIGSTOP)
        # (the new broker appends to the same event log: only a new line
        # of the listener counts)
        seen = self.b.events().count("controller.example/controller")
        self.b = self.env.broker(port=port)
        # The listener ends once the three have come (--expect), or after a
        # bound that scales with the build's slowness.
        p = self.env.controller_bg(self.b, version=2, extra=["--listen", "--expect", "3"],
                                   timeout_ms=int(20000 * slow))
        wait_for(lambda: self.b.events().count("controller.example/controller") > seen,
                 what="listener")
        agent.kill(signal.SIGCONT)
        lines = self.env.controller_wait(p)[1]
        fin = of_type(lines, "rpc_non_blocking_response")
        self.assertEqual(sorted(l["data"]["transaction_id"] for l in fin), ["owe-0", "owe-1", "owe-2"],
                         "pxpd.log:\n" + self.env.pxpd_log()[-6000:] + "\nbroker:\n" + self.b.events())
        for i in range(3):
            self.assertFalse(os.path.exists(self.spool("owe-%d" % i, "owed")))

    def test_spool_purge(self):
        spool = os.path.join(self.env.dir, "spool")
        old = {"requester": "pcp://c/controller", "module": "testmod", "action": "sleep",
               "request_params": "{}", "request_id": "r", "notify_outcome": False,
               "start": "2020-01-01T00:00:00.000000Z"}
        for tid, status in (("old-done", "success"), ("old-running", "running")):
            os.makedirs(os.path.join(spool, tid))
            with open(os.path.join(spool, tid, "metadata"), "w") as f:
                json.dump(dict(old, transaction_id=tid, status=status), f)
        # "running" for real: its pid file names a live process, with that
        # process's own identity (boot id, start time), as pxpd writes it
        runner = subprocess.Popen(["sleep", "60"])
        self.addCleanup(runner.wait)
        self.addCleanup(runner.kill)
        with open(os.path.join(spool, "old-running", "pid"), "w") as f:
            f.write(pid_file_text(runner.pid))
        self.agent(**{"spool-dir-purge-ttl": "1d"})
        wait_for(lambda: not os.path.exists(os.path.join(spool, "old-done")), what="purge")
        self.assertTrue(os.path.exists(os.path.join(spool, "old-running")))
        self.assertEqual(self.status("old-running")["status"], "running")
        self.sleep_req("young", 0.1)
        self.assertTrue(os.path.exists(os.path.join(spool, "young")))

    def test_audit_log_and_policy(self):
        policy = os.path.join(self.env.dir, "policy.json")
        with open(policy, "w") as f:
            json.dump({"rules": [{"sender": "pcp://controller.example/*", "module": "echo"},
                                 {"sender": "pcp://controller.example/*", "module": "status"}]}, f)
        audit = os.path.join(self.env.dir, "audit.log")
        agent = self.agent(**{"policy-file": policy, "audit-logfile": audit})
        rc, lines, _ = self.env.controller(self.b, version=2, params={"argument": "s3cret-value"})
        self.assertEqual(lines[0]["message_type"], "rpc_blocking_response")
        rc, lines, _ = self.sleep_req("pol-1", 0.1, timeout_ms=3000, check=False)
        self.assertEqual(lines[0]["message_type"], "rpc_error_message")
        self.assertIn("refused by the local policy", lines[0]["data"]["description"])
        self.assertFalse(os.path.exists(self.spool("pol-1")))
        text = open(audit).read()
        self.assertEqual(stat.S_IMODE(os.stat(audit).st_mode), 0o600)
        self.assertNotIn("s3cret-value", text)
        self.assertNotIn("s3cret-value", self.env.pxpd_log())
        events = [json.loads(l) for l in text.splitlines()]
        self.assertEqual([e["event"] for e in events], ["request", "outcome", "refused"])
        self.assertEqual(events[1]["status"], "success")
        self.assertIn("duration_ms", events[1])
        self.assertEqual(events[2]["transaction_id"], "pol-1")

        # issue 10 item 13: the params digest is an HMAC under a key of
        # this host, next to the spool (0600), not a bare sha256 a short
        # secret could be guessed from
        keyfile = os.path.join(self.env.dir, "audit.key")
        self.assertEqual(stat.S_IMODE(os.stat(keyfile).st_mode), 0o600)
        with open(keyfile) as f:
            key = bytes.fromhex(f.read().strip())
        self.assertEqual(len(key), 32)
        params = json.dumps({"argument": "s3cret-value"}, separators=(",", ":")).encode()
        self.assertNotIn("params_sha256", events[0])
        self.assertEqual(events[0]["params_hmac_sha256"], hmac.new(key, params, hashlib.sha256).hexdigest())
        self.assertNotEqual(events[0]["params_hmac_sha256"], hashlib.sha256(params).hexdigest())
        # the next start reuses the key
        self.assertEqual(agent.stop(), 0)
        self.env.pxpd(os.path.join(self.env.dir, "pxpd.conf"))
        self.env.wait_log("connected to", count=2)
        self.env.controller(self.b, version=2, params={"argument": "s3cret-value"})
        with open(keyfile) as f:
            self.assertEqual(bytes.fromhex(f.read().strip()), key)
        with open(audit) as f:
            events = [json.loads(l) for l in f.read().splitlines()]
        self.assertEqual(events[-2]["params_hmac_sha256"], hmac.new(key, params, hashlib.sha256).hexdigest())

    def cancel(self, tid, cert):
        rc, lines, _ = self.env.controller(self.b, version=2, module="status", action="cancel",
                                           cert=cert, params={"transaction_id": tid})
        return lines[0]

    def test_cancel_only_by_requester_or_policy(self):
        # issue 10 item 11: status cancel from anyone cancelled anything
        agent = self.agent()
        self.sleep_req("can-1", 60, extra=["--expect", "0"])
        wait_for(lambda: os.path.exists(self.spool("can-1", "pid")), what="can-1 running")
        line = self.cancel("can-1", "agent02")
        self.assertEqual(line["message_type"], "rpc_error_message", line)
        self.assertIn("pcp://agent02.example/controller may not cancel transaction can-1",
                      line["data"]["description"])
        self.assertIn("cancel by pcp://agent02.example/controller refused", self.env.pxpd_log())
        self.assertEqual(self.status("can-1")["status"], "running")
        # the requester (the URI its metadata records) may
        with open(self.spool("can-1", "metadata")) as f:
            meta = json.load(f)
        self.assertEqual(meta["requester"], "pcp://controller.example/controller")
        line = self.cancel("can-1", "controller")
        self.assertEqual(line["message_type"], "rpc_blocking_response", line)
        self.assertTrue(line["data"]["results"]["cancelled"])
        wait_for(lambda: self.status("can-1")["status"] == "failure", what="can-1 cancelled")

        # a policy rule for status cancel with "requester" lets agent02
        self.assertEqual(agent.stop(), 0)
        rules = [{"module": "*"},
                 {"sender": "pcp://agent02.example/*", "module": "status", "action": "cancel",
                  "requester": "pcp://controller.example/*"}]
        self.agent(**{"policy-file": self.env.policy(rules)})
        self.env.wait_log("connected to", count=2)
        self.sleep_req("can-2", 60, extra=["--expect", "0"])
        wait_for(lambda: os.path.exists(self.spool("can-2", "pid")), what="can-2 running")
        line = self.cancel("can-2", "agent02")
        self.assertEqual(line["message_type"], "rpc_blocking_response", line)
        self.assertTrue(line["data"]["results"]["cancelled"])
        wait_for(lambda: self.status("can-2")["status"] == "failure", what="can-2 cancelled")
        # ... but only for the requesters it names: agent02's own is
        # agent02's, and controller may not cancel it
        self.env.controller(self.b, version=2, module="testmod", action="sleep", cert="agent02",
                            params={"seconds": 60},
                            extra=["--non-blocking", "--transaction-id", "can-3", "--expect", "0"])
        wait_for(lambda: os.path.exists(self.spool("can-3", "pid")), what="can-3 running")
        line = self.cancel("can-3", "controller")
        self.assertEqual(line["message_type"], "rpc_error_message", line)
        self.assertEqual(self.status("can-3")["status"], "running")
        line = self.cancel("can-3", "agent02")
        self.assertTrue(line["data"]["results"]["cancelled"])

    def test_streaming_progress_opt_in(self):
        self.agent()
        cmd = "for i in 1 2 3; do echo line$i; sleep 0.7; done; echo done >&2"
        data = {"transaction_id": "stream-1", "notify_outcome": True, "module": "command",
                "action": "run", "params": {"command": cmd}, "stream_output": True}
        rc, lines, _ = self.env.controller(self.b, version=2, module="command", action="run",
                                           extra=["--non-blocking", "--transaction-id", "stream-1",
                                                  "--data", json.dumps(data)], timeout_ms=15000)
        progress = [l for l in lines if l["message_type"].endswith("rpc_progress_message")]
        self.assertGreaterEqual(len(progress), 2, lines)
        self.assertEqual("".join(p["data"]["stdout"] for p in progress)[:12], "line1\nline2\n")
        self.assertEqual(progress[-1]["data"]["transaction_id"], "stream-1")
        final = of_type(lines, "rpc_non_blocking_response")
        self.assertEqual(final[0]["data"]["results"]["stdout"], "line1\nline2\nline3\n")
        self.assertLess(lines.index(progress[-1]), lines.index(final[0]))
        # without the flag: exactly pxp-agent's messages
        rc, lines, _ = self.env.controller(self.b, version=2, module="command", action="run",
                                           params={"command": "echo a; sleep 1.5; echo b"},
                                           extra=["--non-blocking"], timeout_ms=15000)
        self.assertEqual([l["message_type"] for l in lines],
                         ["rpc_provisional_response", "rpc_non_blocking_response"])

    def test_output_over_max_message_size_is_cut_not_lost(self):
        self.agent(**{"max-message-size": 8192})
        rc, lines, _ = self.env.controller(
            self.b, version=2, module="command", action="run",
            params={"command": "head -c 30000 /dev/zero | tr '\\0' y"},
            extra=["--non-blocking", "--transaction-id", "big-1"], timeout_ms=15000)
        final = of_type(lines, "rpc_non_blocking_response")[0]
        out = final["data"]["results"]["stdout"]
        self.assertLess(len(json.dumps(final["data"])), 8192)
        self.assertIn("[pxpd: output truncated", out)
        self.assertTrue(out.startswith("y" * 1000))
        with open(self.spool("big-1", "stdout")) as f:
            self.assertEqual(f.read(), "y" * 30000)

    def exits(self, tid, **inp):
        rc, lines, _ = self.env.controller(self.b, version=2, module="testmod", action="exits",
                                           params=inp, extra=["--non-blocking", "--transaction-id", tid])
        self.assertEqual(lines[0]["message_type"], "rpc_provisional_response")
        return lines[1]

    def test_status_exitcode_is_the_process_not_the_results(self):
        # issue 8 item 6: a Puppet run with --detailed-exitcodes and
        # changes: results.exitcode 2, the module exits 0 -> success, 0
        self.agent()
        final = self.exits("ex-puppet", results=2, exit=0)
        self.assertEqual(final["data"]["results"]["exitcode"], 2)
        r = self.status("ex-puppet")
        self.assertEqual((r["status"], r["exitcode"]), ("success", 0))

    def test_nonblocking_module_exit_code_is_the_process(self):
        # issue 8 item 8 (modules.md §1): what the module writes in its
        # exitcode file does not count, the process's exit code does
        self.agent()
        final = self.exits("ex-3", written=0, exit=3)
        self.assertEqual(final["message_type"], "rpc_non_blocking_response")
        r = self.status("ex-3")
        self.assertEqual((r["status"], r["exitcode"]), ("failure", 3))
        with open(self.spool("ex-3", "exitcode")) as f:
            self.assertEqual(f.read().strip(), "3")
        # exit code 5 is reserved for "could not write the output files":
        # the process's, not the file's
        final = self.exits("ex-w5", written=5, exit=0)
        self.assertEqual(final["message_type"], "rpc_non_blocking_response")
        final = self.exits("ex-x5", written=0, exit=5)
        self.assertEqual(final["message_type"], "rpc_error_message")
        self.assertIn("failed to write output on file", final["data"]["description"])

    def test_status_shows_output_of_running_action(self):
        self.agent()
        p = self.env.controller_bg(self.b, version=2, module="command", action="run",
                                   params={"command": "echo started; sleep 2; echo end"},
                                   extra=["--non-blocking", "--transaction-id", "live-1"])
        wait_for(lambda: os.path.exists(self.spool("live-1", "stdout")) and
                 os.path.getsize(self.spool("live-1", "stdout")) > 0, what="output")
        r = self.status("live-1")
        self.assertEqual(r["status"], "running")
        self.assertEqual(r["stdout"], "started\n")
        self.controller_done(p)


if __name__ == "__main__":
    main()
