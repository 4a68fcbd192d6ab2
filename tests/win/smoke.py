"""smoke.py: the first Windows smoke test: pxpd.exe under Wine against the
Linux test broker on loopback, over mutual TLS, PCP v1 and v2.

Same style and helpers as tests/integration (pxpdtest.py): real
processes, nothing mocked. pxpd.exe gets a config whose paths are Windows
paths (Z:\\tmp\\...: a drive letter and backslashes) for the same files.
tests/win/run.sh sets the environment: WINE, PXPD_EXE, PUPPET_MODULE_EXE,
BROKER_BIN, CONTROLLER_BIN, CA_SCRIPT, and a WINEPREFIX kept up with
wineserver -p.
"""
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "integration"))
import pxpdtest  # noqa: E402
from test_puppet_module import REPORT_TEMPLATE  # noqa: E402

WINE = os.environ.get("WINE", "wine64")
PXPD_EXE = os.environ.get("PXPD_EXE", "pxpd.exe")
PUPPET_EXE = os.environ.get("PUPPET_MODULE_EXE", "pxp-module-puppet.exe")


def winpath(p):
    """The Windows name of a Linux path: Wine's Z: drive is /."""
    return "Z:" + os.path.abspath(p).replace("/", "\\")


class WinEnv(pxpdtest.Env):
    def config(self, brokers, version=1, cert="agent01", **extra):
        path = super().config(brokers, version=version, cert=cert, **extra)
        with open(path) as f:
            cfg = json.load(f)
        for k, v in cfg.items():
            if isinstance(v, str) and v.startswith("/"):
                cfg[k] = winpath(v)
        with open(path, "w") as f:
            json.dump(cfg, f, indent=1)
        return path

    def pxpd(self, conf, extra=(), wrap=None):
        args = [WINE, PXPD_EXE, "--config-file", winpath(conf),
                "--foreground"] + list(extra)
        p = pxpdtest.Proc(args, os.path.join(self.dir, "pxpd.out"))
        self.procs.append(p)
        return p


class WinSmoke(pxpdtest.PxpdTestCase):
    def setUp(self):
        self.env = WinEnv(self.id().split(".")[-1])

    def start_agent(self, brokers, version=1, **cfg):
        conf = self.env.config(brokers, version=version, **cfg)
        agent = self.env.pxpd(conf)
        # The first Windows process of a prefix is slow to start.
        self.env.wait_log("associated with" if version == 1 else
                          "connected to", timeout=60)
        return agent

    def echo_and_ping(self, broker, version):
        _, lines, _ = self.env.controller(
            broker, version=version, module="echo", action="echo",
            params={"argument": "hello from Windows v%d" % version})
        self.assertEqual(lines[-1]["message_type"], "rpc_blocking_response")
        self.assertEqual(lines[-1]["data"]["results"]["outcome"],
                         "hello from Windows v%d" % version)
        _, lines, _ = self.env.controller(
            broker, version=version, module="ping", action="ping",
            params={"sender_timestamp": "2026-01-01T00:00:00.000Z"})
        self.assertEqual(lines[-1]["message_type"], "rpc_blocking_response")
        self.assertIn("request_hops", lines[-1]["data"]["results"])

    def test_version(self):
        r = subprocess.run([WINE, PXPD_EXE, "--version"], stdout=subprocess.PIPE,
                           stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL,
                           timeout=60)
        self.assertEqual(r.returncode, 0)
        self.assertEqual(r.stdout.decode().strip(), "pxpd 0.1.0")

    def test_v1_echo_ping(self):
        b = self.env.broker()
        self.start_agent([b.uri(1)], version=1)
        self.assertRegex(self.env.pxpd_log(), r"TLS to wss://localhost:\d+/pcp/: TLSv1\.[23]")
        self.echo_and_ping(b, 1)

    def test_v2_echo_ping_and_stop(self):
        b = self.env.broker()
        agent = self.start_agent([b.uri(2)], version=2)
        self.echo_and_ping(b, 2)
        # An action runs (actions.py tests them in depth).
        _, lines, _ = self.env.controller(
            b, version=2, module="command", action="run",
            params={"command": "echo hi"}, timeout_ms=60000)
        self.assertEqual(lines[-1]["data"]["results"],
                         {"exitcode": 0, "stdout": "hi\r\n"}, lines)
        # A second pxpd on the same pidfile is refused.
        second = self.env.pxpd(os.path.join(self.env.dir, "pxpd.conf"))
        second.p.wait(60)
        self.assertNotEqual(second.p.returncode, 0)
        self.env.wait_log("Already running with PID=")
        # Wine turns SIGINT into the console's Ctrl-C event.
        agent.kill(signal.SIGINT)
        agent.p.wait(30)
        self.assertEqual(agent.p.returncode, 0)
        log = self.env.pxpd_log()
        self.assertIn("Ctrl-C: stopping", log)
        self.assertIn("pxpd stopped (exit code 0)", log)

    def sc(self, *args):
        r = subprocess.run([WINE, "sc"] + list(args), stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                           timeout=60)
        return r.stdout.decode(errors="replace")

    def service_state(self, name):
        for line in self.sc("query", name).splitlines():
            if "STATE" in line:
                return line.split()[-1]
        return None

    def test_service_start_stop(self):
        """pxpd.exe run by the service control manager (no --foreground):
        it reports RUNNING, answers, and stops on the SCM's stop. The
        install and the MSI are phase 2's; sc does it by hand here."""
        b = self.env.broker()
        conf = self.env.config([b.uri(1)], version=1)
        name = "pxpd-smoke-%d" % os.getpid()
        self.sc("create", name, "binPath=", "%s --config-file %s" % (
            winpath(PXPD_EXE), winpath(conf)))
        try:
            self.assertEqual(self.service_state(name), "STOPPED")
            subprocess.run([WINE, "net", "start", name], stdin=subprocess.DEVNULL,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                           timeout=60)
            pxpdtest.wait_for(lambda: self.service_state(name) == "RUNNING",
                              30, 0.5, "service RUNNING")
            self.env.wait_log("associated with", timeout=30)
            self.echo_and_ping(b, 1)
            # net stop does not wait for STOPPED under Wine: poll.
            subprocess.run([WINE, "net", "stop", name], stdin=subprocess.DEVNULL,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                           timeout=60)
            pxpdtest.wait_for(lambda: self.service_state(name) == "STOPPED",
                              30, 0.5, "service STOPPED")
            log = self.env.pxpd_log()
            self.assertIn("service stop: stopping", log)
            self.assertIn("pxpd stopped (exit code 0)", log)
        finally:
            self.sc("delete", name)


class WinPuppetModule(unittest.TestCase):
    """pxp-module-puppet.exe run by hand under Wine (pxpd cannot start
    actions on Windows yet): metadata, a missing puppet_bin, and one run
    against a fake puppet.bat (through cmd.exe) that writes a report."""

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="pxpd-win-puppet-")
        self.addCleanup(shutil.rmtree, self.dir, True)

    def module(self, action, req):
        r = subprocess.run([WINE, PUPPET_EXE, action],
                           input=json.dumps(req).encode() if req else b"",
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=120)
        return r.returncode, r.stdout.decode(), r.stderr.decode()

    def test_metadata_and_runs(self):
        rc, out, _ = self.module("metadata", None)
        self.assertEqual(rc, 0)
        self.assertIn("run", json.loads(out)["actions"][0]["name"])

        missing = winpath(os.path.join(self.dir, "no", "puppet.bat"))
        rc, out, _ = self.module("run", {"input": {"flags": ["--noop"]},
                                         "configuration": {"puppet_bin": missing}})
        self.assertEqual(rc, 1)
        self.assertEqual(json.loads(out)["error_type"], "no_puppet_bin")

        state = os.path.join(self.dir, "state")
        os.mkdir(state)
        template = os.path.join(self.dir, "report.yaml")
        with open(template, "w") as f:
            f.write(REPORT_TEMPLATE.replace("@STATUS@", "changed"))
        report = winpath(os.path.join(state, "last_run_report.yaml"))
        bat = os.path.join(self.dir, "puppet.bat")
        lines = [
            "@echo off",
            'if "%2"=="--configprint" (',
            "  echo lastrunreport = " + report,
            "  echo agent_disabled_lockfile = " + winpath(os.path.join(state, "disabled.lock")),
            "  echo agent_catalog_run_lockfile = " + winpath(os.path.join(state, "run.lock")),
            "  exit /b 0",
            ")",
            # type, not copy: the report must get a new mtime.
            'type "%s" > "%s"' % (winpath(template), report),
            "exit /b 0",
        ]
        with open(bat, "w", newline="\r\n") as f:
            f.write("\n".join(lines) + "\n")
        rc, out, err = self.module("run", {"input": {"flags": ["--noop"]},
                                           "configuration": {"puppet_bin": winpath(bat)}})
        res = json.loads(out)
        self.assertEqual(rc, 0, (res, err))
        self.assertEqual(res["status"], "changed")
        self.assertEqual(res["environment"], "production")
        self.assertEqual(res["exitcode"], 0)


if __name__ == "__main__":
    start = time.monotonic()
    try:
        pxpdtest.main()
    finally:
        sys.stderr.write("smoke: %.1f s\n" % (time.monotonic() - start))
