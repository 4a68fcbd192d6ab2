"""actions.py: actions on Windows, under Wine: pxpd.exe against the
Linux test broker on loopback over mutual TLS (PCP v1 and v2), running
real processes through its wrapper (`pxpd.exe --exec-wrapper`) in a Job
Object per action: blocking and non-blocking `command run` (cmd.exe: Wine
has no Windows PowerShell, so shell.c falls back to cmd.exe /d /c), a
.bat task fetched from the HTTPS file server, status queries, a cancel
that must end a whole tree of processes, a timeout, and an action that
outlives a pxpd restart, is adopted and delivered once.

Wine runs each Windows process as a Linux process whose command line is
the Windows one, so the test looks for leftovers in /proc. Everything
polls for states (Wine's stop commands do not wait). tests/win/run.sh
sets the environment (see smoke.py).
"""
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
sys.path.insert(0, HERE)
import pxpdtest  # noqa: E402
from fileserver import FileServer  # noqa: E402
from smoke import PUPPET_EXE, PXPD_EXE, WINE, WinEnv, winpath  # noqa: E402
from test_puppet_module import REPORT_TEMPLATE  # noqa: E402

CONTROLLER_URI = "pcp://controller.example/controller"


def of_type(lines, t):
    return [l for l in lines if l.get("message_type") == t]


def procs_with(marker):
    """Linux pids of the (Wine) processes whose command line has marker."""
    found = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open("/proc/%s/cmdline" % pid, "rb") as f:
                cmd = f.read().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if marker in cmd:
            found.append((int(pid), cmd))
    return found


class WinBase(pxpdtest.PxpdTestCase):
    """pxpd.exe, the test broker, and helpers."""

    def setUp(self):
        self.env = WinEnv(self.id().split(".")[-1])
        self.b = self.env.broker()

    def tearDown(self):
        super().tearDown()
        for pid, _ in procs_with(" -w %d " % (10000 + os.getpid() % 50000)):
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass

    def agent(self, version=2, **cfg):
        conf = self.env.config([self.b.uri(version)], version=version, **cfg)
        a = self.env.pxpd(conf)
        self.env.wait_log("associated with" if version == 1 else "connected to",
                          timeout=60, count=self.starts + 1)
        self.starts += 1
        return a

    starts = 0

    def spool(self, tid, name=None):
        p = os.path.join(self.env.dir, "spool", tid)
        return os.path.join(p, name) if name else p

    def run_cmd(self, cmd, version=2, **kw):
        _, lines, _ = self.env.controller(
            self.b, version=version, module="command", action="run",
            params={"command": cmd}, timeout_ms=60000, **kw)
        lines = [l for l in lines if l["message_type"] != "rpc_provisional_response"]
        self.assertEqual(len(lines), 1, lines)
        self.assertIn(lines[0]["message_type"],
                      ("rpc_blocking_response", "rpc_non_blocking_response"),
                      "%s\n%s" % (lines, self.env.pxpd_log()[-3000:]))
        return lines[0]["data"]["results"]

    def command_bg(self, tid, cmd, version=2):
        return self.env.controller_bg(
            self.b, version=version, module="command", action="run",
            params={"command": cmd}, timeout_ms=180000,
            extra=["--non-blocking", "--transaction-id", tid,
                   "--client-type", "ctl-" + tid])

    def status(self, tid, action="query", cert="agent02", extra=()):
        _, lines, _ = self.env.controller(
            self.b, version=2, module="status", action=action, cert=cert,
            params={"transaction_id": tid}, check=False, timeout_ms=30000,
            extra=list(extra))
        return lines[0]

    def marker(self, n):
        # `ping -n <N> -w <unique>` names the test's processes (the reply
        # timeout is moot on loopback), distinct from any other run's.
        return "-n %d -w %d " % (n, 10000 + os.getpid() % 50000)


class WinActions(WinBase):
    def test_v1_blocking_and_non_blocking_command(self):
        self.agent(version=1)
        r = self.run_cmd("echo hello from cmd& echo to-stderr 1>&2& exit /b 3",
                         version=1)
        self.assertEqual(r["exitcode"], 3, r)
        self.assertEqual(r["stdout"].strip(), "hello from cmd")
        self.assertEqual(r["stderr"].strip(), "to-stderr")
        r = self.run_cmd("echo non-blocking %PXPD_NOTHING%", version=1,
                         extra=["--non-blocking", "--transaction-id", "nb-v1"])
        self.assertEqual(r["exitcode"], 0, r)
        self.assertEqual(r["stdout"].strip(), "non-blocking %PXPD_NOTHING%")
        with open(self.spool("nb-v1", "exitcode")) as f:
            self.assertEqual(f.read().strip(), "0")
        with open(self.spool("nb-v1", "pid")) as f:
            pid = int(f.read().split()[0])
        self.assertGreater(pid, 0)

    def test_v2_commands_status_timeout(self):
        self.agent(version=2)
        r = self.run_cmd("echo a b  c& ver")
        self.assertEqual(r["exitcode"], 0, r)
        self.assertTrue(r["stdout"].startswith("a b  c"), r)
        self.assertIn("Microsoft Windows", r["stdout"])  # cmd's `ver`
        # a program that does not exist: cmd's own exit code
        r = self.run_cmd("no-such-program-here")
        self.assertNotEqual(r["exitcode"], 0, r)
        # status of a finished, a running and an unknown transaction
        self.run_cmd("exit /b 5", extra=["--non-blocking", "--transaction-id", "st-fail"])
        self.assertEqual(self.status("st-fail")["data"]["results"]["status"], "failure")
        self.assertEqual(self.status("st-none")["data"]["results"]["status"], "unknown")
        p = self.command_bg("st-run", "ping %s127.0.0.1 >nul" % self.marker(6))
        pxpdtest.wait_for(lambda: os.path.exists(self.spool("st-run", "pid")), 30,
                          what="st-run started")
        self.assertEqual(self.status("st-run")["data"]["results"]["status"], "running")
        rc, lines = self.env.controller_wait(p)
        fin = of_type(lines, "rpc_non_blocking_response")
        self.assertEqual(len(fin), 1, lines)
        self.assertEqual(fin[0]["data"]["results"]["exitcode"], 0)
        self.assertEqual(self.status("st-run")["data"]["results"]["status"], "success")

    def test_timeout_kills_tree(self):
        self.agent(version=2, **{"action-timeout": 3})
        t0 = time.monotonic()
        r = self.run_cmd("cmd /d /c ping %s127.0.0.1" % self.marker(311))
        self.assertLess(time.monotonic() - t0, 60)
        self.assertNotEqual(r["exitcode"], 0, r)
        pxpdtest.wait_for(lambda: not procs_with(self.marker(311)), 15,
                          what="the timed-out tree gone: %s" % procs_with(self.marker(311)))

    def test_non_blocking_output_cap_and_timeout_notes(self):
        """The wrapper copies a non-blocking action's output into the
        result files up to action-output-cap and notes the rest and the
        timeout, as on POSIX."""
        self.agent(version=2, **{"action-output-cap": 4096, "action-timeout": 3})
        p = self.command_bg("cap-1", "for /l %%i in (1,1,600) do @echo 0123456789& "
                            "ping %s127.0.0.1 >nul" % self.marker(317))
        pxpdtest.wait_for(lambda: os.path.exists(self.spool("cap-1", "exitcode")), 60,
                          0.2, "cap-1 ended")
        self.env.controller_wait(p)
        with open(self.spool("cap-1", "stdout"), "rb") as f:
            out = f.read()
        self.assertTrue(out.startswith(b"0123456789\r\n" * 300), out[:100])
        self.assertTrue(out.endswith(b"\n[pxpd: output truncated after 4096 bytes]\n"), out[-100:])
        self.assertEqual(len(out), 4096 + len(b"\n[pxpd: output truncated after 4096 bytes]\n"))
        with open(self.spool("cap-1", "stderr"), "rb") as f:
            self.assertIn(b"[pxpd: timed out after 3 s", f.read())
        self.assertTrue(os.path.exists(self.spool("cap-1", "timed_out")))
        self.assertFalse(procs_with(self.marker(317)))

    def test_bat_task(self):
        fs = FileServer(self.env)
        self.addCleanup(fs.stop)
        self.agent(version=2, **{"master-uris": [fs.uri]})
        bat = ("@echo off\r\necho message=%PT_message%\r\necho task=%PT__task%\r\n"
               "set /p line=\r\necho stdin=%line%\r\nexit /b 4\r\n")
        f = fs.file_obj("init.bat", "tasks/wintask/init.bat", bat.encode())
        _, lines, _ = self.env.controller(
            self.b, version=2, module="task", action="run", timeout_ms=60000,
            params={"task": "wintask", "input": {"message": "hi there"}, "files": [f]})
        lines = [l for l in lines if l["message_type"] != "rpc_provisional_response"]
        self.assertEqual(lines[0]["message_type"], "rpc_blocking_response",
                         "%s\n%s" % (lines, self.env.pxpd_log()[-3000:]))
        r = lines[0]["data"]["results"]
        self.assertEqual(r["exitcode"], 4, r)
        out = dict(l.split("=", 1) for l in r["stdout"].splitlines() if "=" in l)
        self.assertEqual(out["message"], "hi there", r)
        self.assertEqual(out["task"], "wintask", r)
        # both: the params JSON on stdin too
        self.assertTrue(out["stdin"].startswith('{"message":"hi there"'), r)

    def test_puppet_module_exe(self):
        """pxp-module-puppet.exe in modules-dir is loaded as module
        pxp-module-puppet (Windows: .exe/.bat module files) and runs as an
        action through the wrapper, blocking and non-blocking (where it
        writes its own output files), against a fake puppet.bat."""
        mods = os.path.join(self.env.dir, "modules")
        os.makedirs(mods, exist_ok=True)
        shutil.copy(PUPPET_EXE, os.path.join(mods, "pxp-module-puppet.exe"))
        with open(os.path.join(mods, "notes.txt"), "w") as f:
            f.write("not a module\n")
        state = os.path.join(self.env.dir, "state")
        os.mkdir(state)
        template = os.path.join(self.env.dir, "report.yaml")
        with open(template, "w") as f:
            f.write(REPORT_TEMPLATE.replace("@STATUS@", "changed"))
        report = winpath(os.path.join(state, "last_run_report.yaml"))
        bat = os.path.join(self.env.dir, "puppet.bat")
        lines = [
            "@echo off",
            'if "%2"=="--configprint" (',
            "  echo lastrunreport = " + report,
            "  echo agent_disabled_lockfile = " + winpath(os.path.join(state, "disabled.lock")),
            "  echo agent_catalog_run_lockfile = " + winpath(os.path.join(state, "run.lock")),
            "  exit /b 0",
            ")",
            'type "%s" > "%s"' % (winpath(template), report),
            "exit /b 0",
        ]
        with open(bat, "w", newline="\r\n") as f:
            f.write("\n".join(lines) + "\n")
        confdir = os.path.join(self.env.dir, "modules-config")
        os.makedirs(confdir, exist_ok=True)
        with open(os.path.join(confdir, "pxp-module-puppet.conf"), "w") as f:
            json.dump({"puppet_bin": winpath(bat)}, f)
        self.agent(version=2)
        self.env.wait_log("module pxp-module-puppet loaded", timeout=60)
        for nb in (False, True):
            # The module sees whole-second mtimes on Windows (compat.c):
            # a report rewritten within the second is "not written".
            if os.path.exists(os.path.join(state, "last_run_report.yaml")):
                os.unlink(os.path.join(state, "last_run_report.yaml"))
            extra = ["--non-blocking", "--transaction-id", "pup-nb"] if nb else []
            _, lines, _ = self.env.controller(
                self.b, version=2, module="pxp-module-puppet", action="run",
                params={"flags": ["--noop"]}, extra=extra, timeout_ms=60000)
            lines = [l for l in lines if l["message_type"] != "rpc_provisional_response"]
            self.assertEqual(len(lines), 1, lines)
            self.assertIn(lines[0]["message_type"],
                          ("rpc_blocking_response", "rpc_non_blocking_response"),
                          "%s\n%s" % (lines, self.env.pxpd_log()[-3000:]))
            r = lines[0]["data"]["results"]
            self.assertEqual(r["status"], "changed", r)
            self.assertEqual(r["exitcode"], 0, r)
        self.assertTrue(os.path.exists(self.spool("pup-nb", "exitcode.module")))

    def test_cancel_kills_process_tree(self):
        self.agent(version=2)
        m = self.marker(313)
        p = self.command_bg("can-1", "cmd /d /c ping %s127.0.0.1" % m)
        pxpdtest.wait_for(lambda: len(procs_with(m)) >= 3, 60,
                          what="cmd and ping of can-1 running")
        self.assertEqual(self.status("can-1")["data"]["results"]["status"], "running")
        # by its requester (the client type command_bg gave it)
        line = self.status("can-1", action="cancel", cert="controller",
                           extra=["--client-type", "ctl-can-1"])
        self.assertEqual(line["message_type"], "rpc_blocking_response", line)
        self.assertTrue(line["data"]["results"]["cancelled"], line)
        pxpdtest.wait_for(lambda: not procs_with(m), 15,
                          what="the cancelled tree gone: %s" % procs_with(m))
        pxpdtest.wait_for(lambda: self.status("can-1")["data"]["results"]["status"] == "failure",
                          30, 0.5, "can-1 failure")
        # The cancel came from the requester's URI, so the broker closed
        # the listening connection ("superseded"): the outcome is read
        # from the spool (the Job Object's exit code) and the log.
        self.env.controller_wait(p)
        with open(self.spool("can-1", "exitcode")) as f:
            self.assertEqual(f.read().strip(), "137")
        self.assertIn("[can-1] finished: failure: the action was cancelled",
                      self.env.pxpd_log())

    def test_restart_adopts_running_action(self):
        a = self.agent(version=2)
        m = self.marker(9)
        p = self.command_bg("adopt-1", "ping %s127.0.0.1 >nul& echo adopted-done" % m)
        pxpdtest.wait_for(lambda: os.path.exists(self.spool("adopt-1", "pid")), 60,
                          what="adopt-1 started")
        # Ctrl-C (Wine turns SIGINT into it); the action stays in its job.
        a.kill(signal.SIGINT)
        pxpdtest.wait_for(lambda: not a.alive(), 30, 0.2, "pxpd stopped")
        self.assertIn("pxpd stopped", self.env.pxpd_log())
        self.assertFalse(os.path.exists(self.spool("adopt-1", "exitcode")))
        self.assertTrue(procs_with(m), "the action died with pxpd")
        self.env.pxpd(os.path.join(self.env.dir, "pxpd.conf"))
        self.env.wait_log("connected to", timeout=60, count=2)
        self.env.wait_log("[adopt-1] adopted running action", timeout=30)
        rc, lines = self.env.controller_wait(p)
        fin = of_type(lines, "rpc_non_blocking_response")
        self.assertEqual(len(fin), 1, lines)
        self.assertEqual(fin[0]["data"]["results"]["exitcode"], 0, fin)
        self.assertEqual(fin[0]["data"]["results"]["stdout"].strip(), "adopted-done")
        self.assertEqual(self.status("adopt-1")["data"]["results"]["status"], "success")
        time.sleep(2)
        self.assertEqual(self.env.pxpd_log().count("[adopt-1] adopted running action"), 1)


def nxt_version():
    """tests/win/run.sh's "newer" ProductVersion: the last part one up."""
    with open(os.path.join(HERE, "..", "..", "CMakeLists.txt")) as f:
        for line in f:
            if line.startswith("project(pxpd VERSION "):
                v = line.split()[2].split(".")
                return ".".join(v[:-1] + [str(int(v[-1]) + 1)])
    raise AssertionError("no version in CMakeLists.txt")


def wine(*args, timeout=120):
    r = subprocess.run([WINE] + list(args), stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                       timeout=timeout)
    return r.returncode, r.stdout.decode(errors="replace")


def service_state(name):
    _, out = wine("sc", "query", name)
    for line in out.splitlines():
        if "STATE" in line:
            return line.split()[-1]
    return None


class WinService(WinBase):
    """pxpd.exe --install-service: the SCM runs it (automatic start),
    an action outlives a service stop and is adopted by the next start
    and delivered once; --uninstall-service leaves nothing registered."""

    def test_install_stop_start_adopt_uninstall(self):
        conf = self.env.config([self.b.uri(2)], version=2)
        rc, out = wine(PXPD_EXE, "--install-service", "--config-file", winpath(conf))
        self.addCleanup(wine, PXPD_EXE, "--uninstall-service")
        self.assertEqual(rc, 0, out)
        self.assertIn("service pxpd installed (automatic start, restart on failure)", out)
        _, reg = wine("reg", "query", r"HKLM\System\CurrentControlSet\Services\pxpd")
        self.assertRegex(reg, r"Start\s+REG_DWORD\s+0x2\b")
        self.assertIn("--config-file " + winpath(conf), reg)
        self.assertNotIn("--foreground", reg)
        # twice: an update of the same service, not an error
        rc, out = wine(PXPD_EXE, "--install-service", "--config-file", winpath(conf))
        self.assertEqual(rc, 0, out)
        self.assertIn("service pxpd updated", out)

        wine("net", "start", "pxpd")
        pxpdtest.wait_for(lambda: service_state("pxpd") == "RUNNING", 60, 0.5,
                          "service RUNNING")
        self.env.wait_log("connected to", timeout=60)
        r = self.run_cmd("echo from the service")
        self.assertEqual(r["stdout"].strip(), "from the service")

        m = self.marker(9)
        p = self.command_bg("svc-1", "ping %s127.0.0.1 >nul& echo svc-done" % m)
        pxpdtest.wait_for(lambda: len(procs_with(m)) >= 1, 60, what="svc-1 running")
        wine("net", "stop", "pxpd")  # does not wait under Wine: poll
        pxpdtest.wait_for(lambda: service_state("pxpd") == "STOPPED", 60, 0.5,
                          "service STOPPED")
        self.assertIn("service stop: stopping", self.env.pxpd_log())
        self.assertTrue(procs_with(m), "the action died with the service")
        self.assertFalse(os.path.exists(self.spool("svc-1", "exitcode")))
        wine("net", "start", "pxpd")
        pxpdtest.wait_for(lambda: service_state("pxpd") == "RUNNING", 60, 0.5,
                          "service RUNNING again")
        self.env.wait_log("[svc-1] adopted running action", timeout=60)
        rc, lines = self.env.controller_wait(p)
        fin = of_type(lines, "rpc_non_blocking_response")
        self.assertEqual(len(fin), 1, lines)
        self.assertEqual(fin[0]["data"]["results"]["stdout"].strip(), "svc-done")

        rc, out = wine(PXPD_EXE, "--uninstall-service")
        self.assertEqual(rc, 0, out)
        self.assertIn("service pxpd removed", out)
        pxpdtest.wait_for(lambda: service_state("pxpd") is None, 30, 0.5,
                          "service gone")
        self.assertIn("pxpd stopped (exit code 0)", self.env.pxpd_log())
        rc, reg = wine("reg", "query", r"HKLM\System\CurrentControlSet\Services\pxpd")
        self.assertNotEqual(rc, 0, reg)


class WinMsi(WinBase):
    """The MSI (packaging/windows, built by wixl) under Wine's msiexec:
    files under Program Files, the service registered and started with
    the administrator's pxp-agent.conf (written first, as on a real
    node), an action through it; then the MSI removed: the service gone,
    the files gone, the configuration kept."""

    def upgrade_keeps_action(self, msi, pf, bindir, v1_copy):
        """A major upgrade (a newer ProductVersion, a marked pxpd.exe)
        while a ~10 s non-blocking action runs: the new pxpd.exe is in
        Program Files at once (no wrapper holds it, so nothing is left
        for a reboot), the service comes back, adopts the action and
        delivers its result once. Returns the MSI now installed."""
        nxt = os.environ.get("PXPD_MSI_NEXT")
        self.assertTrue(nxt and os.path.exists(nxt), "PXPD_MSI_NEXT=%r" % nxt)
        self.addCleanup(wine, "msiexec", "/x", winpath(nxt), "/qn", timeout=300)
        with open(os.path.join(os.path.dirname(nxt), "msi-stage-%s" %
                               nxt_version(), "pxpd.exe"), "rb") as f:
            v2_exe = f.read()
        m = self.marker(11)
        p = self.command_bg("upg-1", "ping %s127.0.0.1 >nul& echo upgraded-done" % m)
        pxpdtest.wait_for(lambda: os.path.exists(self.spool("upg-1", "pid")) and
                          procs_with(m), 60, 0.2, "upg-1 running")
        wrappers = procs_with(" --exec-wrapper")
        self.assertTrue(wrappers)
        for _, cmd in wrappers:
            self.assertIn(v1_copy, cmd)
            self.assertNotIn("Program Files", cmd)
        t0 = time.monotonic()
        rc, out = wine("msiexec", "/i", winpath(nxt), "/qn", timeout=300)
        upgrade_s = time.monotonic() - t0
        self.assertEqual(rc, 0, out)
        self.assertTrue(procs_with(m), "the action died in the upgrade")
        self.assertFalse(os.path.exists(self.spool("upg-1", "exitcode")),
                         "the upgrade took longer than the action")
        with open(os.path.join(pf, "pxpd.exe"), "rb") as f:
            self.assertEqual(f.read(), v2_exe, "the new pxpd.exe is not in place")
        _, sm = wine("reg", "query",
                     r"HKLM\System\CurrentControlSet\Control\Session Manager",
                     "/v", "PendingFileRenameOperations")
        self.assertNotIn("pxpd", sm.lower())
        _, prods = wine("reg", "query",
                        r"HKLM\Software\Microsoft\Windows\CurrentVersion\Uninstall",
                        "/s")
        self.assertEqual(prods.count("DisplayName    REG_SZ    pxpd"), 1, prods)
        pxpdtest.wait_for(lambda: service_state("pxpd") == "RUNNING", 60, 0.5,
                          "the upgraded service RUNNING")
        self.env.wait_log("[upg-1] adopted running action", timeout=60)
        rc, lines = self.env.controller_wait(p)
        fin = of_type(lines, "rpc_non_blocking_response")
        self.assertEqual(len(fin), 1, lines)
        self.assertEqual(fin[0]["data"]["results"]["stdout"].strip(), "upgraded-done")
        self.assertEqual(self.status("upg-1")["data"]["results"]["status"], "success")
        time.sleep(2)
        log = self.env.pxpd_log()
        self.assertEqual(log.count("[upg-1] adopted running action"), 1)
        self.assertEqual(log.count("[upg-1] finished"), 1, log[-3000:])
        # the new build's copy; the old one is removed once no wrapper
        # runs it (at the next start)
        self.assertTrue(any(n != v1_copy and n.startswith("pxpd-")
                            for n in os.listdir(bindir)), os.listdir(bindir))
        sys.stderr.write("upgrade: msiexec %.1f s with an action running\n" % upgrade_s)
        return nxt

    def test_msi_install_run_uninstall(self):
        msi = os.environ.get("PXPD_MSI")
        self.assertTrue(msi and os.path.exists(msi), "PXPD_MSI=%r (run.sh builds it)" % msi)
        drive_c = os.path.join(os.environ["WINEPREFIX"], "drive_c")
        etc = os.path.join(drive_c, "ProgramData", "PuppetLabs", "pxp-agent", "etc")
        conf = os.path.join(etc, "pxp-agent.conf")
        os.makedirs(etc, exist_ok=True)
        with open(self.env.config([self.b.uri(2)], version=2)) as f:
            text = f.read()
        with open(conf, "w") as f:
            f.write(text)
        self.addCleanup(lambda: os.path.exists(conf) and os.unlink(conf))
        self.addCleanup(wine, "msiexec", "/x", winpath(msi), "/qn", timeout=300)

        rc, out = wine("msiexec", "/i", winpath(msi), "/qn", timeout=300)
        self.assertEqual(rc, 0, out)
        pf = os.path.join(drive_c, "Program Files", "pxpd")
        self.assertTrue(os.path.exists(os.path.join(pf, "pxpd.exe")))
        self.assertTrue(os.path.exists(os.path.join(pf, "modules", "pxp-module-puppet.exe")))
        self.assertTrue(os.path.exists(os.path.join(pf, "pxp-agent.conf.example")))
        self.assertTrue(os.path.exists(os.path.join(pf, "PowershellShim.ps1")))
        pxpdtest.wait_for(lambda: service_state("pxpd") == "RUNNING", 60, 0.5,
                          "the MSI's service RUNNING")
        _, reg = wine("reg", "query", r"HKLM\System\CurrentControlSet\Services\pxpd")
        self.assertRegex(reg, r"Start\s+REG_DWORD\s+0x2\b")
        # the MSI's custom action (pxpd.exe --install-service) quoted the
        # path, which Wine's msi writes unquoted
        self.assertIn('ImagePath    REG_SZ    "C:\\Program Files\\pxpd\\pxpd.exe"', reg)
        self.env.wait_log("connected to", timeout=60)
        r = self.run_cmd("echo from the msi")
        self.assertEqual(r["stdout"].strip(), "from the msi")

        # The wrappers run from pxpd's copy of itself, not Program Files.
        bindir = os.path.join(self.env.dir, "bin")
        v1_copies = [n for n in os.listdir(bindir) if n.startswith("pxpd-")]
        self.assertEqual(len(v1_copies), 1, v1_copies)
        with open(os.path.join(bindir, v1_copies[0]), "rb") as f, \
                open(os.path.join(pf, "pxpd.exe"), "rb") as g:
            self.assertEqual(f.read(), g.read())
        msi = self.upgrade_keeps_action(msi, pf, bindir, v1_copies[0])

        # Wine's msiexec does not wait for STOPPED before removing files
        # (notes pitfall 4): pxpd.exe, still running, would stay behind
        # until a reboot. Stop it first and poll, as Windows' StopServices
        # does by itself.
        wine("net", "stop", "pxpd")
        pxpdtest.wait_for(lambda: service_state("pxpd") == "STOPPED", 60, 0.5,
                          "service STOPPED before the uninstall")
        rc, out = wine("msiexec", "/x", winpath(msi), "/qn", timeout=300)
        self.assertEqual(rc, 0, out)
        pxpdtest.wait_for(lambda: service_state("pxpd") is None, 60, 0.5, "service gone")
        pxpdtest.wait_for(lambda: "pxpd stopped (exit code 0)" in self.env.pxpd_log(), 30,
                          0.5, "the service's pxpd stopped")
        self.assertFalse(os.path.exists(os.path.join(pf, "pxpd.exe")))
        rc, reg = wine("reg", "query", r"HKLM\System\CurrentControlSet\Services\pxpd")
        self.assertNotEqual(rc, 0, reg)
        with open(conf) as f:
            self.assertEqual(f.read(), text)


if __name__ == "__main__":
    start = time.monotonic()
    try:
        pxpdtest.main()
    finally:
        sys.stderr.write("actions: %.1f s\n" % (time.monotonic() - start))
