"""TLS and addressing against real servers on loopback: brokers and file
servers named by IP address (IPv4 and IPv6 literals must match an
iPAddress SAN, never a dNSName spelled like them nor the CN), TLS 1.3
with the test broker, TLS 1.2 with servers that offer nothing newer
(openssl s_server and nginx, RSA keys: they sign with rsa_pss_rsae),
and names resolved through the system resolver, address by address."""
import os
import shutil
import subprocess

from fileserver import FileServer
from pxpdtest import PxpdTestCase, free_port, main, wait_for

TASK = "#!/bin/sh\necho task-ran\n"


def ready_text(version):
    return "associated with" if version == 1 else "connected to"


class BrokerByAddress(PxpdTestCase):
    """Each case: the broker's certificate, how the agent names the broker,
    whether the connection must be made."""

    CASES = [
        # certificate     host          version  connects
        ("broker_iponly", "127.0.0.1", 1, True),
        ("broker_iponly", "127.0.0.1", 2, True),
        ("broker", "127.0.0.1", 2, True),          # DNS and IP SANs
        ("broker_dnsonly", "127.0.0.1", 1, False),
        ("broker_dnsonly", "127.0.0.1", 2, False),
        ("broker_dnsip", "127.0.0.1", 2, False),   # "DNS:127.0.0.1"
        ("broker_cnip", "127.0.0.1", 2, False),    # CN=127.0.0.1, no SAN
        ("broker_wrongip", "127.0.0.1", 1, False),
        ("broker_wrongip", "127.0.0.1", 2, False),
        ("broker_iponly", "localhost", 2, False),  # a name never matches an IP SAN
        ("broker_dnsonly", "localhost", 2, True),
    ]

    def check(self, cert, host, version, connects, broker_host="127.0.0.1", uri_host=None):
        b = self.env.broker(cert=cert, host=broker_host)
        uri = b.uri(version, host=uri_host or host)
        before = self.env.pxpd_log().count(ready_text(version))
        refused = self.env.pxpd_log().count("cannot connect to " + uri)
        agent = self.start_agent([uri], version=version, wait_ready=False)
        what = "%s as %s over v%d" % (cert, uri, version)
        if connects:
            self.env.wait_log(ready_text(version), count=before + 1, timeout=15)
            wait_for(lambda: "connect pcp://agent01.example/agent" in b.events(),
                     what="the broker to see " + what)
        else:
            self.env.wait_log("cannot connect to " + uri, count=refused + 1, timeout=15)
            log = self.env.pxpd_log()
            self.assertEqual(log.count(ready_text(version)), before, what + "\n" + log[-3000:])
            self.assertNotIn("connect pcp://agent01.example/agent", b.events(), what)
        self.assertEqual(agent.stop(), 0)
        b.stop()
        return self.env.pxpd_log()

    def test_ip_literal_matches_only_ip_sans(self):
        for cert, host, version, connects in self.CASES:
            with self.subTest(cert=cert, host=host, version=version):
                self.check(cert, host, version, connects)
        log = self.env.pxpd_log()
        self.assertIn("has no IP address SAN 127.0.0.1", log)

    def test_ipv6_literal(self):
        log = self.check("broker_iponly", "[::1]", 2, True, broker_host="::1")
        self.assertIn("connecting to wss://[::1]:", log)
        self.check("broker_dnsip", "[::1]", 2, False, broker_host="::1")
        self.check("broker_wrongip", "[::1]", 1, False, broker_host="::1")
        self.assertIn("has no IP address SAN ::1", self.env.pxpd_log())

    def test_tls13_with_the_test_broker(self):
        b = self.env.broker()
        self.start_agent([b.uri(2)], version=2)
        self.assertRegex(self.env.pxpd_log(), r"TLS to wss://localhost:\d+/pcp2/: TLSv1\.3 TLS1-3-")


class Revocation(PxpdTestCase):
    """ssl-crl covers every certificate of the peer's chain (Puppet 6+ CAs
    have an intermediate) and a CRL past its nextUpdate refuses the peer,
    for the broker and for the file server. The check runs after TLS and
    before the upgrade or request leaves."""

    def crl(self, name):
        return os.path.join(self.env.ca, name)

    def refused(self, b, text, **cfg):
        self.start_agent([b.uri(2)], version=2, wait_ready=False, **cfg)
        self.env.wait_log(text, timeout=15)
        self.assertNotIn("connected to", self.env.pxpd_log())
        self.assertNotIn("upgrade-request", b.events())

    def bundle(self):
        # The intermediates reach the agent through its CA bundle, as
        # Puppet's ca.pem carries them.
        return {"ssl-crl": self.crl("crl_all.pem"), "ssl-ca-cert": self.crl("ca_bundle.pem")}

    def test_intermediate_chain_connects(self):
        b = self.env.broker(cert="broker_int")
        self.start_agent([b.uri(2)], version=2, **self.bundle())

    def test_revoked_intermediate_refused(self):
        b = self.env.broker(cert="broker_int2")
        self.refused(b, "certificate CN=pxpd revoked intermediate (chain depth 1) is "
                     "revoked by ssl-crl", **self.bundle())

    def test_revoked_leaf_refused(self):
        b = self.env.broker(cert="broker_revoked")
        self.refused(b, "certificate CN=broker.example (chain depth 0) is revoked by ssl-crl",
                     **{"ssl-crl": self.crl("crl_all.pem")})

    def test_expired_crl_refused(self):
        b = self.env.broker()
        self.refused(b, "the CRL of CN=pxpd test CA in ssl-crl expired on",
                     **{"ssl-crl": self.crl("crl_expired.pem")})

    def test_expired_crl_within_grace(self):
        b = self.env.broker()
        self.start_agent([b.uri(2)], version=2, **{"ssl-crl": self.crl("crl_expired.pem"),
                                                   "crl-expiry-grace": 3 * 86400})

    def test_file_server_revoked_refused(self):
        b = self.env.broker()
        for n, cert in enumerate(("broker_revoked", "broker_int2")):
            fs = FileServer(self.env, cert=cert)
            try:
                obj = fs.file_obj("init.sh", "tasks/revmod/init.sh", TASK)
                agent = self.start_agent([b.uri(2)], version=2, wait_ready=False,
                                         **dict(self.bundle(), **{"master-uris": [fs.uri]}))
                # The log is shared by both agents: wait for this one's line.
                self.env.wait_log("connected to", count=n + 1, timeout=15)
                rc, lines, _ = self.env.controller(
                    b, version=2, module="task", action="run",
                    params={"task": "revmod", "input": {}, "files": [obj],
                            "metadata": {"input_method": "stdin"}}, timeout_ms=30000)
                l = [x for x in lines if x["message_type"] != "rpc_provisional_response"][-1]
                self.assertEqual(l["message_type"], "rpc_error_message", l)
                self.assertIn("is revoked by ssl-crl", l["data"]["description"])
                self.assertEqual(fs.requests("GET"), [])
                self.assertEqual(agent.stop(), 0)
            finally:
                fs.stop()


class Resolver(PxpdTestCase):
    def test_name_resolved_then_addresses_in_order(self):
        """A name the system resolver knows (/etc/hosts: localhost) is
        resolved off the loop and connected to by address."""
        b = self.env.broker()
        self.start_agent([b.uri(2, host="localhost")], version=2)
        self.assertIn("connected to wss://localhost:%d/pcp2/" % b.port, self.env.pxpd_log())

    def test_unknown_name_is_retried(self):
        self.start_agent(["wss://no-such-broker.invalid:8142/pcp2/"], version=2,
                         wait_ready=False)
        self.env.wait_log("cannot resolve no-such-broker.invalid", timeout=15)
        self.env.wait_log("connecting to wss://no-such-broker.invalid", timeout=15)

    def test_next_broker_after_a_refusing_address(self):
        dead = free_port()
        b = self.env.broker()
        self.start_agent(["wss://127.0.0.1:%d/pcp2/" % dead, b.uri(2)], version=2)
        log = self.env.pxpd_log()
        self.assertIn("cannot connect to wss://127.0.0.1:%d/pcp2/" % dead, log)


class OpenSslTls12(PxpdTestCase):
    """openssl s_server limited to TLS 1.2 with an RSA key: it signs its key
    exchange with rsa_pss_rsae_sha256, which unpatched mbedTLS 3.6.6
    refuses (-0x6600). s_server answers HTTP, not a websocket upgrade, so
    the attempt fails after TLS: the log line of the handshake is what
    counts."""

    def test_tls12_rsa_pss_server(self):
        if not shutil.which("openssl"):
            self.fail("openssl is needed (tests/setup-deps.sh installs it)")
        port = free_port()
        ca = self.env.ca
        out = open(os.path.join(self.env.dir, "s_server.log"), "wb")
        p = subprocess.Popen(["openssl", "s_server", "-accept", "127.0.0.1:%d" % port,
                              "-tls1_2", "-cert", os.path.join(ca, "broker_rsa.pem"),
                              "-key", os.path.join(ca, "broker_rsa_key.pem"),
                              "-CAfile", os.path.join(ca, "ca.pem"), "-Verify", "1",
                              "-www", "-trace"],
                             stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        self.addCleanup(lambda: (p.kill(), p.wait(), out.close()))
        log = os.path.join(self.env.dir, "s_server.log")

        def text():
            with open(log, errors="replace") as f:
                return f.read()
        wait_for(lambda: "ACCEPT" in text(), what="openssl s_server")
        self.start_agent(["wss://localhost:%d/pcp2/" % port], version=2, wait_ready=False)
        self.env.wait_log("TLS to wss://localhost:%d/pcp2/: TLSv1.2" % port, timeout=15)
        self.assertIn("rsa_pss_rsae", text())
        self.assertNotIn("connected to", self.env.pxpd_log())


class FileServerByAddress(PxpdTestCase):
    def run_task(self, fs, master):
        b = self.env.broker()
        obj = fs.file_obj("init.sh", "tasks/ipmod/init.sh", TASK)
        self.start_agent([b.uri(2)], version=2, **{"master-uris": [master]})
        rc, lines, _ = self.env.controller(b, version=2, module="task", action="run",
                                           params={"task": "ipmod", "input": {},
                                                   "metadata": {"input_method": "stdin"},
                                                   "files": [obj]}, timeout_ms=30000)
        lines = [l for l in lines if l["message_type"] != "rpc_provisional_response"]
        self.assertEqual(len(lines), 1, lines)
        return lines[0]

    def fileserver(self, **kw):
        fs = FileServer(self.env, **kw)
        self.addCleanup(fs.stop)
        return fs

    def test_ipv4_literal_with_ip_san(self):
        fs = self.fileserver(cert="broker_iponly")
        l = self.run_task(fs, "https://127.0.0.1:%d" % fs.port)
        self.assertEqual(l["data"]["results"].get("stdout"), "task-ran\n", l)

    def test_ipv6_literal_with_ip_san(self):
        fs = self.fileserver(cert="broker_iponly", host="::1")
        l = self.run_task(fs, "https://[::1]:%d" % fs.port)
        self.assertEqual(l["data"]["results"].get("stdout"), "task-ran\n", l)

    def test_ip_literal_without_ip_san_refused(self):
        fs = self.fileserver(cert="broker_dnsip")
        l = self.run_task(fs, "https://127.0.0.1:%d" % fs.port)
        self.assertEqual(l["message_type"], "rpc_error_message", l)
        self.assertIn("has no IP address SAN 127.0.0.1", l["data"]["description"])
        self.assertEqual(fs.requests("GET"), [])   # nothing was asked of it

    def test_tls12_only_server(self):
        fs = self.fileserver(cert="broker_rsa", protocols="TLSv1.2")
        l = self.run_task(fs, fs.uri)
        self.assertEqual(l["data"]["results"].get("stdout"), "task-ran\n", l)
        self.assertRegex(self.env.pxpd_log(), r"TLS to https://localhost:\d+/\S+: TLSv1\.2 ")

    def test_tls13_server(self):
        fs = self.fileserver()
        self.run_task(fs, fs.uri)
        self.assertRegex(self.env.pxpd_log(), r"TLS to https://localhost:\d+/\S+: TLSv1\.3 ")


if __name__ == "__main__":
    main()
