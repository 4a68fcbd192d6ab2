"""pxpdtest: real processes on loopback for pxpd's integration tests.

Starts the test CA script, the test broker (tests/broker), pxpd and the
controller (tests/controller) as subprocesses; nothing is mocked. Every
process started here is killed when the test ends.
Binaries come from the environment (set by tests/integration/CMakeLists.txt):
PXPD_BIN, BROKER_BIN, CONTROLLER_BIN, CA_SCRIPT.
"""
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest

PXPD = os.environ.get("PXPD_BIN", "pxpd")
BROKER = os.environ.get("BROKER_BIN", "pcp-broker")
CONTROLLER = os.environ.get("CONTROLLER_BIN", "pcp-controller")
CA_SCRIPT = os.environ.get("CA_SCRIPT", "make-ca.sh")
# Under valgrind or sanitizers everything is slower.
SLOW = float(os.environ.get("PXPD_TEST_SLOW", "1"))
_CA_CACHE = os.environ.get("PXPD_TEST_CA", os.path.join(tempfile.gettempdir(), "pxpd-test-ca-%d" % os.getuid()))


_PORTS = os.path.join(tempfile.gettempdir(), "pxpd-test-ports-%d" % os.getuid())
_PORT_HOLD_S = 900


def free_port():
    """A loopback port that no test of this machine has used in the last
    15 minutes. Tests stop a broker and start it again on its port; with
    bind(0) alone another suite running in parallel (ctest -j2) may be
    given that port meanwhile, and an agent then reconnects to a stranger
    broker of the same test CA. A locked registry shared by every test
    process prevents it."""
    import fcntl
    import random
    with open(_PORTS + ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        now = time.time()
        used = {}
        try:
            with open(_PORTS) as f:
                for line in f:
                    port, _, t = line.partition(" ")
                    if port.isdigit() and now - float(t or 0) < _PORT_HOLD_S:
                        used[int(port)] = float(t)
        except (OSError, ValueError):
            pass
        for _ in range(1000):
            # Below the kernel's ephemeral range (32768-60999 on Linux), so
            # no outgoing connection takes the port of a stopped broker.
            port = random.randint(20000, 32000)
            if port in used:
                continue
            s = socket.socket()
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            finally:
                s.close()
            used[port] = now
            with open(_PORTS + ".tmp", "w") as f:
                f.writelines("%d %f\n" % kv for kv in used.items())
            os.replace(_PORTS + ".tmp", _PORTS)
            return port
    raise AssertionError("no free loopback port")


def make_ca():
    """The test CA is made once per machine, user and version of the CA
    script, and reused. Parallel tests (ctest -j) take a lock and the CA
    appears by an atomic rename, so no test sees half of one."""
    import fcntl
    import hashlib
    with open(CA_SCRIPT, "rb") as f:
        tag = hashlib.sha256(f.read()).hexdigest()[:12]
    target = os.environ.get("PXPD_TEST_CA", "%s-%s" % (_CA_CACHE, tag))
    if os.path.exists(os.path.join(target, "crl.pem")):
        return target
    with open(target + ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not os.path.exists(os.path.join(target, "crl.pem")):
            tmp = tempfile.mkdtemp(prefix="pxpd-ca-", dir=os.path.dirname(target))
            subprocess.run(["sh", CA_SCRIPT, tmp], check=True, stdout=subprocess.DEVNULL)
            os.rename(tmp, target)
    return target


def wait_for(pred, timeout=10.0, step=0.05, what="condition"):
    end = time.time() + timeout * SLOW
    while time.time() < end:
        v = pred()
        if v:
            return v
        time.sleep(step)
    raise AssertionError("timed out waiting for %s" % what)


def pid_file_text(pid, start_delta=0, boot_id=None):
    """A spool pid file for process pid as pxpd writes it: the pid, then
    the boot id and the process's start time (/proc/<pid>/stat field 22),
    which is what makes a live pid count as the wrapper it names.
    start_delta/boot_id forge one that names another process."""
    with open("/proc/sys/kernel/random/boot_id") as f:
        boot = f.read().strip()
    with open("/proc/%d/stat" % pid) as f:
        start = int(f.read().rsplit(")", 1)[1].split()[19])
    return "%d\n%s %d\n" % (pid, boot_id or boot, start + start_delta)


class Proc:
    def __init__(self, args, log_path, env=None):
        self.args = args
        self.log_path = log_path
        self.logf = open(log_path, "ab")
        self.p = subprocess.Popen(args, stdout=self.logf, stderr=subprocess.STDOUT,
                                  stdin=subprocess.DEVNULL, env=env)

    def log(self):
        with open(self.log_path, "r", errors="replace") as f:
            return f.read()

    def alive(self):
        return self.p.poll() is None

    def kill(self, sig):
        if self.alive():
            self.p.send_signal(sig)

    def stop(self, sig=signal.SIGTERM, timeout=10):
        if self.alive():
            self.p.send_signal(sig)
            try:
                self.p.wait(timeout * SLOW)
            except subprocess.TimeoutExpired:
                self.p.kill()
                self.p.wait()
        self.logf.close()
        return self.p.returncode


class Broker(Proc):
    def __init__(self, env, port=None, cert="broker", extra=(), host="127.0.0.1"):
        self.port = port or free_port()
        self.host = host
        ca = env.ca
        self.event_log = os.path.join(env.dir, "broker-%d-events.log" % self.port)
        args = [BROKER, "--port", str(self.port), "--host", host,
                "--cert", os.path.join(ca, cert + ".pem"),
                "--key", os.path.join(ca, cert + "_key.pem"),
                "--ca", os.path.join(ca, "ca.pem"),
                "--crl", os.path.join(ca, "crl.pem"),
                "--log-file", self.event_log] + list(extra)
        super().__init__(args, os.path.join(env.dir, "broker-%d.log" % self.port))
        wait_for(self._listening, what="broker on port %d" % self.port)

    def _listening(self):
        if not self.alive():
            raise AssertionError("broker exited:\n" + self.log())
        try:
            socket.create_connection((self.host, self.port), 0.2).close()
            return True
        except OSError:
            return False

    def events(self):
        try:
            with open(self.event_log) as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def uri(self, version=1, host="localhost"):
        """host: how the agent names the broker ("127.0.0.1", "[::1]", ...)."""
        return "wss://%s:%d/%s/" % (host, self.port, "pcp" if version == 1 else "pcp2")


class Env:
    """A temp dir with a CA, config files and the processes of one test."""

    def __init__(self, name):
        self.ca = make_ca()
        self.dir = tempfile.mkdtemp(prefix="pxpd-%s-" % name)
        self.procs = []

    def cleanup(self, keep=False):
        for p in self.procs:
            p.stop(signal.SIGKILL) if p.alive() else p.stop()
        if not keep:
            shutil.rmtree(self.dir, ignore_errors=True)

    def cert(self, name):
        return os.path.join(self.ca, name + ".pem"), os.path.join(self.ca, name + "_key.pem")

    def broker(self, **kw):
        b = Broker(self, **kw)
        self.procs.append(b)
        return b

    def config(self, brokers, version=1, cert="agent01", **extra):
        c, k = self.cert(cert)
        cfg = {
            "broker-ws-uris": brokers,
            "pcp-version": str(version),
            "ssl-ca-cert": os.path.join(self.ca, "ca.pem"),
            "ssl-cert": c,
            "ssl-key": k,
            "ssl-crl": os.path.join(self.ca, "crl.pem"),
            "logfile": os.path.join(self.dir, "pxpd.log"),
            "loglevel": "debug",
            "spool-dir": os.path.join(self.dir, "spool"),
            "task-cache-dir": os.path.join(self.dir, "tasks-cache"),
            "modules-dir": os.path.join(self.dir, "modules"),
            "modules-config-dir": os.path.join(self.dir, "modules-config"),
            "pidfile": os.path.join(self.dir, "pxpd.pid"),
            "connect-splay": 0,
            # Fleet spreading is tested on its own; one agent reconnects fast.
            "reconnect-spread": 1,
        }
        os.makedirs(cfg["modules-dir"], exist_ok=True)
        cfg.update(extra)
        path = os.path.join(self.dir, "pxpd.conf")
        with open(path, "w") as f:
            json.dump(cfg, f, indent=1)
        return path

    def policy(self, rules):
        """Writes a policy-file; returns its path."""
        path = os.path.join(self.dir, "policy.json")
        with open(path, "w") as f:
            json.dump({"rules": rules}, f)
        return path

    def policy_cancel_by_agent02(self):
        """Everything allowed, and agent02 (the tests' second identity) may
        cancel anyone's transaction (README "Local policy")."""
        return self.policy([{"module": "*"},
                            {"sender": "pcp://agent02.example/*", "module": "status",
                             "action": "cancel", "requester": "*"}])

    def pxpd(self, conf, extra=(), wrap=None, env=None):
        """env: variables added to pxpd's environment."""
        args = [PXPD, "--config-file", conf, "--foreground"] + list(extra)
        wrap = wrap if wrap is not None else os.environ.get("PXPD_WRAP", "")
        if wrap:
            args = wrap.split() + args
        p = Proc(args, os.path.join(self.dir, "pxpd.out"),
                 env=dict(os.environ, **env) if env else None)
        self.procs.append(p)
        return p

    def pxpd_log(self):
        try:
            with open(os.path.join(self.dir, "pxpd.log"), errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def wait_log(self, text, timeout=10.0, count=1):
        return wait_for(lambda: self.pxpd_log().count(text) >= count, timeout,
                        what="%r in pxpd.log:\n%s" % (text, self.pxpd_log()[-3000:]))

    def controller_args(self, broker, version=1, cert="controller", target="pcp://agent01.example/agent",
                        module="echo", action="echo", params=None, timeout_ms=10000, extra=()):
        c, k = self.cert(cert)
        args = [CONTROLLER, "--broker", "wss://localhost:%d" % broker.port,
                "--cert", c, "--key", k, "--ca", os.path.join(self.ca, "ca.pem"),
                "--pcp-version", str(version), "--target", target,
                "--module", module, "--action", action,
                "--timeout-ms", str(int(timeout_ms * SLOW))]
        if params is not None:
            args += ["--params", json.dumps(params)]
        return args + list(extra)

    @staticmethod
    def parse_lines(out):
        lines = [json.loads(l) for l in out.splitlines() if l.strip().startswith("{")]
        return [l for l in lines if l.get("message_type") != "associate_response"]

    def controller(self, broker, check=True, timeout_ms=10000, **kw):
        args = self.controller_args(broker, timeout_ms=timeout_ms, **kw)
        r = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=timeout_ms * SLOW / 1000 + 30)
        lines = self.parse_lines(r.stdout.decode())
        if check and r.returncode != 0:
            raise AssertionError("controller exit %d: %s\nstdout: %s\npxpd.log tail:\n%s" % (
                r.returncode, r.stderr.decode(), r.stdout.decode()[-3000:], self.pxpd_log()[-3000:]))
        return r.returncode, lines, r.stderr.decode()

    def controller_bg(self, broker, timeout_ms=60000, **kw):
        """Starts a controller that keeps listening; finish with controller_wait."""
        out = open(os.path.join(self.dir, "ctl-%d.out" % time.monotonic_ns()), "w+b")
        p = subprocess.Popen(self.controller_args(broker, timeout_ms=timeout_ms, **kw),
                             stdout=out, stderr=subprocess.STDOUT)
        p.out = out
        return p

    def controller_wait(self, p, timeout=120):
        p.wait(timeout * SLOW)
        p.out.seek(0)
        text = p.out.read().decode(errors="replace")
        p.out.close()
        return p.returncode, self.parse_lines(text)


class PxpdTestCase(unittest.TestCase):
    def setUp(self):
        self.env = Env(self.id().split(".")[-1])

    def tearDown(self):
        keep = bool(os.environ.get("PXPD_KEEP"))
        self.env.cleanup(keep=keep)
        if keep:
            sys.stderr.write("kept test dir %s\n" % self.env.dir)

    def start_agent(self, brokers, version=1, wait_ready=True, **cfg):
        conf = self.env.config(brokers, version=version, **cfg)
        agent = self.env.pxpd(conf)
        if wait_ready:
            self.env.wait_log("associated with" if version == 1 else "connected to", timeout=15)
        return agent


class BrokerTestCase(PxpdTestCase):
    """One test broker per test (self.b) and agent(): pxpd on PCP v2,
    reconnecting within a second."""

    def setUp(self):
        super().setUp()
        self.b = self.env.broker()

    def agent(self, **cfg):
        cfg.setdefault("reconnect-backoff-cap", 1)
        return self.start_agent([self.b.uri(2)], version=2, **cfg)


def main():
    unittest.main(verbosity=2)
