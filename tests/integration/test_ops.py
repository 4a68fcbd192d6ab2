"""pxpd in production, without systemd running: its notifications on a
real datagram socket standing in for systemd's $NOTIFY_SOCKET (READY once
connected or after a first failure, STATUS, the watchdog, RELOADING,
STOPPING), reload on SIGHUP (a rotated certificate, a broken config, a
CRL that revokes the broker, a new broker list), the status file, the
Prometheus textfile metrics and `pxpd --status`, and the warning before
the agent's certificate expires."""
import hashlib
import json
import os
import shutil
import signal
import socket
import ssl
import subprocess
import time

from pxpdtest import PXPD, PxpdTestCase, free_port, main, wait_for


def fingerprint(pem_path):
    """What the test broker logs of a client certificate: sha256 of its
    DER, first 8 bytes in hex."""
    with open(pem_path) as f:
        der = ssl.PEM_cert_to_DER_cert(f.read())
    return hashlib.sha256(der).hexdigest()[:16]


class Notify:
    """An abstract datagram socket, systemd's side of sd_notify."""

    def __init__(self):
        self.name = "@pxpd-test-notify-%d-%d" % (os.getpid(), free_port())
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.s.bind("\0" + self.name[1:])
        self.s.settimeout(0.2)
        self.got = []

    def drain(self):
        while True:
            try:
                self.got.append(self.s.recv(4096).decode())
            except socket.timeout:
                return

    def wait(self, text, timeout=15):
        def seen():
            self.drain()
            return any(text in m for m in self.got)
        wait_for(seen, timeout=timeout, what="%r among %r" % (text, self.got))
        return [m for m in self.got if text in m]

    def close(self):
        self.s.close()


class Service(PxpdTestCase):
    def agent(self, brokers, env=None, version=2, **cfg):
        conf = self.env.config(brokers, version=version, **cfg)
        return self.env.pxpd(conf, env=env)

    def test_notify_ready_watchdog_reload_stopping(self):
        n = Notify()
        self.addCleanup(n.close)
        b = self.env.broker()
        a = self.agent([b.uri(2)], env={"NOTIFY_SOCKET": n.name, "WATCHDOG_USEC": "400000"})
        ready = n.wait("READY=1")
        self.assertIn("STATUS=connected to %s" % b.uri(2), ready[0])
        n.wait("WATCHDOG=1")
        pings = len([m for m in n.got if m == "WATCHDOG=1"])
        time.sleep(1.0)
        n.drain()
        self.assertGreater(len([m for m in n.got if m == "WATCHDOG=1"]), pings)
        a.kill(signal.SIGHUP)
        n.wait("RELOADING=1")
        self.assertGreaterEqual(len(n.wait("READY=1")), 2)
        self.assertEqual(a.stop(signal.SIGTERM), 0)
        n.wait("STOPPING=1")

    def test_ready_after_a_first_failure(self):
        """A broker that is down must not hold up boot: READY=1 comes
        with the first retry, saying why."""
        n = Notify()
        self.addCleanup(n.close)
        dead = free_port()
        self.agent(["wss://localhost:%d/pcp2/" % dead], env={"NOTIFY_SOCKET": n.name})
        ready = n.wait("READY=1")
        self.assertIn("STATUS=reconnecting in", ready[0])
        self.assertIn("cannot connect to wss://localhost:%d/pcp2/" % dead, ready[0])


class StatusAndMetrics(PxpdTestCase):
    def status_cmd(self):
        conf = os.path.join(self.env.dir, "pxpd.conf")
        return subprocess.run([PXPD, "--config-file", conf, "--status"],
                              capture_output=True, text=True, timeout=30)

    def test_status_file_metrics_and_status_command(self):
        b = self.env.broker()
        a = self.start_agent([b.uri(2)], version=2)
        rc, lines, _ = self.env.controller(b, version=2, params={"argument": "x"})
        path = os.path.join(self.env.dir, "pxpd-status.json")

        def status():
            try:
                with open(path) as f:
                    return json.load(f)
            except (OSError, ValueError):
                return None
        wait_for(lambda: (status() or {}).get("messages_in", 0) >= 1,
                 timeout=20, what="the status file to count the echo")
        st = status()
        self.assertEqual(st["state"], "connected")
        self.assertEqual(st["broker"], b.uri(2))
        self.assertEqual(st["pid"], a.p.pid)
        self.assertRegex(st["tls"], r"^TLSv1\.3 ")
        self.assertGreater(st["rss_bytes"], 100000)
        self.assertRegex(st["cert_not_after"], r"^\d{4}-\d\d-\d\dT")
        for k in ("running", "queued", "succeeded", "failed", "cancelled"):
            self.assertIn(k, st["actions"])
        with open(os.path.join(self.env.dir, "pxpd.prom")) as f:
            prom = f.read()
        self.assertIn("# TYPE pxpd_connected gauge\npxpd_connected 1\n", prom)
        self.assertIn("# TYPE pxpd_messages_received_total counter\n", prom)
        self.assertIn('pxpd_actions_total{outcome="success"}', prom)
        for line in prom.splitlines():     # every sample: name, value
            if not line.startswith("#"):
                self.assertRegex(line, r'^pxpd_[a-z_]+(\{[^}]*\})? -?[0-9.e+]+$')
        r = self.status_cmd()
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("connected to %s for" % b.uri(2), r.stdout)
        self.assertIn("certificate   expires", r.stdout)
        # The broker goes: state and exit code follow within a round.
        b.stop()
        wait_for(lambda: (status() or {}).get("state") == "reconnecting",
                 timeout=20, what="reconnecting in the status file")
        r = self.status_cmd()
        self.assertEqual(r.returncode, 1, r.stdout)
        self.assertIn("reconnecting", r.stdout)
        self.assertEqual(a.stop(), 0)
        r = self.status_cmd()
        self.assertEqual(r.returncode, 3, r.stdout)
        self.assertIn("not running", r.stdout)

    def test_certificate_expiry_warning(self):
        b = self.env.broker()
        self.start_agent([b.uri(2)], version=2, cert="agent_expiring")
        self.env.wait_log("ssl-cert", timeout=15)
        self.assertRegex(self.env.pxpd_log(),
                         r"ssl-cert \S+agent_expiring\.pem expires on \S+ \(in [0-9] days\): renew it")


class Reload(PxpdTestCase):
    def copy_identity(self, name, cert_name="agent01"):
        """The agent's cert and key as files of this test, so they can be
        rotated in place."""
        dst_cert = os.path.join(self.env.dir, "agent.pem")
        dst_key = os.path.join(self.env.dir, "agent_key.pem")
        shutil.copy(os.path.join(self.env.ca, name + ".pem"), dst_cert)
        shutil.copy(os.path.join(self.env.ca, name + "_key.pem"), dst_key)
        os.chmod(dst_key, 0o600)
        return dst_cert, dst_key

    def test_rotated_certificate_used_after_sighup(self):
        cert, key = self.copy_identity("agent01")
        b = self.env.broker()
        a = self.start_agent([b.uri(2)], version=2, **{"ssl-cert": cert, "ssl-key": key})
        old, new = fingerprint(cert), fingerprint(os.path.join(self.env.ca, "agent01_rotated.pem"))
        b.wait_event("cert=" + old) if hasattr(b, "wait_event") else \
            wait_for(lambda: "cert=" + old in b.events(), what="first cert")
        self.copy_identity("agent01_rotated")
        a.kill(signal.SIGHUP)
        wait_for(lambda: "cert=" + new in b.events(), timeout=20,
                 what="the rotated certificate at the broker:\n" + b.events())
        rc, lines, _ = self.env.controller(b, version=2, params={"argument": "after"})
        self.assertEqual(lines[0]["data"]["results"]["outcome"], "after")

    def test_broken_config_refused_old_one_stays(self):
        b = self.env.broker()
        a = self.start_agent([b.uri(2)], version=2)
        conf = os.path.join(self.env.dir, "pxpd.conf")
        with open(conf) as f:
            good = f.read()
        with open(conf, "w") as f:
            f.write(good.rstrip().rstrip("}") + ', "ping-interval": 1 }')
        a.kill(signal.SIGHUP)
        self.env.wait_log("reload refused, the running configuration stays")
        self.assertEqual(self.env.pxpd_log().count("connected to %s" % b.uri(2)), 1)
        rc, lines, _ = self.env.controller(b, version=2, params={"argument": "still"})
        self.assertEqual(lines[0]["data"]["results"]["outcome"], "still")
        self.assertEqual(len([l for l in b.events().splitlines()
                              if l.startswith("connect pcp://agent01.example/agent")]), 1)

    def test_crl_update_drops_the_revoked_broker(self):
        crl = os.path.join(self.env.dir, "crl.pem")
        shutil.copy(os.path.join(self.env.ca, "crl_before.pem"), crl)
        b = self.env.broker(cert="broker_revoked")
        a = self.start_agent([b.uri(2)], version=2, **{"ssl-crl": crl})
        shutil.copy(os.path.join(self.env.ca, "crl.pem"), crl)
        a.kill(signal.SIGHUP)
        self.env.wait_log("certificate CN=broker.example (chain depth 0) is revoked by ssl-crl",
                          timeout=20)
        self.assertTrue(a.alive())

    def test_new_broker_list(self):
        b1, b2 = self.env.broker(), self.env.broker()
        a = self.start_agent([b1.uri(2)], version=2)
        conf = os.path.join(self.env.dir, "pxpd.conf")
        with open(conf) as f:
            c = json.load(f)
        c["broker-ws-uris"] = [b2.uri(2)]
        with open(conf, "w") as f:
            json.dump(c, f)
        a.kill(signal.SIGHUP)
        self.env.wait_log("connected to %s" % b2.uri(2), timeout=20)
        rc, lines, _ = self.env.controller(b2, version=2, params={"argument": "moved"})
        self.assertEqual(lines[0]["data"]["results"]["outcome"], "moved")


class Unit(PxpdTestCase):
    def test_systemd_unit_verifies(self):
        """systemd-analyze verify on the shipped unit, its ExecStart
        pointed at the built pxpd; systemd 252 (Debian 12) does not know
        DelegateSubgroup= (254+) and says so: the only line allowed."""
        sa = shutil.which("systemd-analyze")
        self.assertIsNotNone(sa, "systemd-analyze (Debian's systemd package) is needed")
        src = os.path.join(os.path.dirname(__file__), "..", "..", "packaging", "systemd",
                           "pxpd.service")
        with open(src) as f:
            unit = f.read().replace("/usr/sbin/pxpd", os.path.abspath(PXPD))
        self.assertIn("Type=notify", unit)
        self.assertIn("WatchdogSec=", unit)
        self.assertIn("ExecReload=/bin/kill -HUP $MAINPID", unit)
        self.assertIn("KillMode=process", unit)
        d = os.path.join(self.env.dir, "unit")
        os.makedirs(d)
        path = os.path.join(d, "pxpd.service")
        with open(path, "w") as f:
            f.write(unit)
        r = subprocess.run([sa, "verify", path], capture_output=True, text=True, timeout=60)
        lines = [l for l in (r.stdout + r.stderr).splitlines() if l.strip()]
        bad = [l for l in lines if "Unknown key 'DelegateSubgroup'" not in l]
        self.assertEqual(bad, [], "\n".join(lines))
        self.assertEqual(r.returncode, 0, "\n".join(lines))


if __name__ == "__main__":
    main()
