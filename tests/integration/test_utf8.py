"""Every string pxpd sends is valid UTF-8 (issue 8), over v1 and v2: an
action's output in status answers, progress messages and final results,
stderr, echo, external module errors and error descriptions quoting a
name. Ill-formed sequences become one U+FFFD per maximal subpart, NUL
becomes U+FFFD. Over v2 the test broker, like pcp-broker, closes a
connection that sends a text frame that is not UTF-8 (1007), so a
regression shows as a lost answer and a reconnect."""
import json
import os

from pxpdtest import PxpdTestCase, main, wait_for

R = "\ufffd"

BAD_MODULE = r'''#!/usr/bin/env python3
import json, sys
if sys.argv[1] == "metadata":
    print(json.dumps({"description": "bad output", "actions": [{"name": "go",
          "input": {"type": "object"}, "results": {"type": "object"}}]}))
    sys.exit(0)
req = json.load(sys.stdin)
out, err = b"not json\n", b"e\xe2\x82x\x00y\xff\n"
of = req.get("output_files")
if of:
    open(of["stdout"], "wb").write(out)
    open(of["stderr"], "wb").write(err)
    open(of["exitcode"], "w").write("0")
else:
    sys.stdout.buffer.write(out)
    sys.stderr.buffer.write(err)
'''


class Utf8Base:
    version = None

    def setUp(self):
        super().setUp()
        self.b = self.env.broker()

    def agent(self, **cfg):
        mdir = os.path.join(self.env.dir, "modules")
        os.makedirs(mdir, exist_ok=True)
        path = os.path.join(mdir, "badout")
        with open(path, "w") as f:
            f.write(BAD_MODULE)
        os.chmod(path, 0o755)
        cfg.setdefault("reconnect-backoff-cap", 1)
        a = self.start_agent([self.b.uri(self.version)], version=self.version, **cfg)
        self.env.wait_log("module badout loaded")
        return a

    def ctl(self, **kw):
        kw.setdefault("version", self.version)
        return self.env.controller(self.b, **kw)

    def raw_params(self, data):
        path = os.path.join(self.env.dir, "params-%d.json" % len(os.listdir(self.env.dir)))
        with open(path, "wb") as f:
            f.write(data)
        return ["--params-file", path]

    def status(self, tid):
        # Another identity than a listening controller's (the broker lets a
        # newer connection of the same URI push out the older one).
        rc, lines, _ = self.ctl(module="status", action="query", cert="agent02",
                                params={"transaction_id": tid})
        self.assertEqual(lines[0]["message_type"], "rpc_blocking_response", lines)
        return lines[0]["data"]["results"]

    def spool(self, tid, name):
        return os.path.join(self.env.dir, "spool", tid, name)

    def assert_connected_once(self):
        # No 1007 close, no reconnect: the connection stayed up.
        self.assertNotIn("bad-utf8", self.b.events())
        connect = "associated with" if self.version == 1 else "connected to"
        self.assertEqual(self.env.pxpd_log().count(connect), 1, self.env.pxpd_log()[-3000:])
        rc, lines, _ = self.ctl(params={"argument": "still here"}, cert="agent02")
        self.assertEqual(lines[0]["data"]["results"]["outcome"], "still here")

    def test_status_of_running_action_with_bad_bytes(self):
        # The scenario: raw bytes in the output of a running action,
        # then a status query while it runs.
        self.agent()
        p = self.env.controller_bg(self.b, version=self.version, module="command", action="run",
                                   params={"command": "printf 'ok\\377\\376bad\\n'; sleep 4"},
                                   extra=["--non-blocking", "--transaction-id", "u-run"])
        wait_for(lambda: os.path.exists(self.spool("u-run", "stdout")) and
                 os.path.getsize(self.spool("u-run", "stdout")) > 0, what="output")
        r = self.status("u-run")
        self.assertEqual(r["status"], "running")
        self.assertEqual(r["stdout"], "ok" + R + R + "bad\n")
        self.assert_connected_once()
        rc, lines = self.env.controller_wait(p)
        self.assertEqual([l["message_type"] for l in lines],
                         ["rpc_provisional_response", "rpc_error_message"], lines)
        self.assertEqual(lines[1]["data"]["description"],
                         "The task executed for the non-blocking 'command run' request "
                         "(transaction u-run) returned invalid UTF-8 on stdout")
        # finished: a failure, the output repaired the same way
        r = self.status("u-run")
        self.assertEqual((r["status"], r["exitcode"]), ("failure", 0))
        self.assertIn("invalid UTF-8 on stdout", json.loads(r["stdout"])["_error"]["msg"])
        self.assert_connected_once()

    def test_blocking_stderr_and_nul(self):
        self.agent()
        rc, lines, _ = self.ctl(module="command", action="run",
                                params={"command": "printf 'e\\342\\202x\\000y\\n' >&2; echo out"})
        res = lines[0]["data"]["results"]
        self.assertEqual(res["stdout"], "out\n")
        self.assertEqual(res["stderr"], "e" + R + "x" + R + "y\n")
        # NUL on stdout fails the action, as in pxp-agent
        rc, lines, _ = self.ctl(module="command", action="run", params={"command": "printf 'a\\000b'"})
        self.assertEqual(lines[0]["message_type"], "rpc_error_message")
        self.assertIn("invalid UTF-8 on stdout", lines[0]["data"]["description"])
        self.assert_connected_once()

    def test_progress_messages(self):
        self.agent()
        cmd = "printf 'a\\342\\202b\\000c\\n'; printf 'w\\377\\n' >&2; sleep 1.5; echo d"
        data = {"transaction_id": "u-stream", "notify_outcome": True, "module": "command",
                "action": "run", "params": {"command": cmd}, "stream_output": True}
        rc, lines, _ = self.ctl(module="command", action="run", timeout_ms=15000,
                                extra=["--non-blocking", "--transaction-id", "u-stream",
                                       "--data", json.dumps(data)])
        progress = [l["data"] for l in lines if l["message_type"].endswith("rpc_progress_message")]
        self.assertGreaterEqual(len(progress), 1, lines)
        self.assertTrue("".join(p["stdout"] for p in progress).startswith("a" + R + "b" + R + "c\n"))
        self.assertTrue("".join(p["stderr"] for p in progress).startswith("w" + R + "\n"))
        # offsets count the bytes as written
        self.assertGreaterEqual(progress[0]["stdout_offset"], 7)
        self.assert_connected_once()

    def test_external_module_error_quotes_stderr(self):
        self.agent()
        rc, lines, _ = self.ctl(module="badout", action="go", params={})
        self.assertEqual(lines[0]["message_type"], "rpc_error_message")
        self.assertTrue(lines[0]["data"]["description"].endswith(
            "returned invalid JSON on stdout - stderr:\ne" + R + "x" + R + "y" + R + "\n"),
            lines[0]["data"]["description"])
        # non-blocking: the status answer carries stderr from the spool
        rc, lines, _ = self.ctl(module="badout", action="go", params={},
                                extra=["--non-blocking", "--transaction-id", "u-mod"])
        self.assertEqual(lines[-1]["message_type"], "rpc_error_message")
        r = self.status("u-mod")
        self.assertEqual(r["status"], "failure")
        self.assertIn("e" + R + "x" + R + "y" + R, json.loads(r["stdout"])["_error"]["msg"])
        self.assert_connected_once()

    def test_status_output_fits_after_repair(self):
        # Every byte of this output grows to three once repaired.
        self.agent(**{"max-message-size": 8192})
        p = self.env.controller_bg(self.b, version=self.version, module="command", action="run",
                                   params={"command": "head -c 30000 /dev/zero | tr '\\0' '\\377'; "
                                                      "head -c 30000 /dev/zero | tr '\\0' '\\001' >&2; "
                                                      "sleep 3"},
                                   extra=["--non-blocking", "--transaction-id", "u-big"])
        wait_for(lambda: os.path.exists(self.spool("u-big", "stderr")) and
                 os.path.getsize(self.spool("u-big", "stderr")) >= 30000, what="output")
        rc, lines, _ = self.ctl(module="status", action="query", cert="agent02",
                                params={"transaction_id": "u-big"})
        self.assertEqual(lines[0]["message_type"], "rpc_blocking_response", lines)
        self.assertLess(len(json.dumps(lines[0]["data"], ensure_ascii=False,
                                        separators=(",", ":")).encode()), 8192 - 1024)
        r = lines[0]["data"]["results"]
        self.assertTrue(r["stdout"].startswith(R * 100))
        self.assertIn("[pxpd: output truncated", r["stdout"])
        self.assertTrue(r["stderr"].startswith("\x01" * 100))
        self.assert_connected_once()
        self.env.controller_wait(p)


class Utf8V2(Utf8Base, PxpdTestCase):
    version = 2


class Utf8V1(Utf8Base, PxpdTestCase):
    version = 1

    # v1 frames are binary: a controller can send what a v2 text frame
    # cannot carry.
    def test_echo_of_bad_bytes(self):
        self.agent()
        rc, lines, _ = self.ctl(extra=self.raw_params(b'{"argument":"ok\xe2\x82A\xff"}'))
        self.assertEqual(lines[0]["data"]["results"]["outcome"], "ok" + R + "A" + R)
        self.assert_connected_once()

    def test_error_description_quoting_a_bad_name(self):
        self.agent()
        rc, lines, _ = self.ctl(module="nope\udcff\udce2\udc82")
        self.assertEqual(lines[0]["message_type"], "rpc_error_message")
        self.assertEqual(lines[0]["data"]["description"], "unknown module: nope" + R + R)
        rc, lines, _ = self.ctl(module="echo", action="run\udce2\udc82",
                                params={"argument": "x"})
        self.assertEqual(lines[0]["data"]["description"],
                         "unknown action 'run" + R + "' for module 'echo'")
        self.assert_connected_once()


if __name__ == "__main__":
    main()
