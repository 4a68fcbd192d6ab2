"""Core integration: echo and ping over PCP v1 and v2 through the test
broker, bad requests, reconnect, failover and TLS refusals."""
import os
import signal
import time

from pxpdtest import PxpdTestCase, main, wait_for


def finals(lines):
    return [l for l in lines if l["message_type"] != "rpc_provisional_response"]


class EchoPing(PxpdTestCase):
    def roundtrip(self, agent_v, ctl_v):
        b = self.env.broker()
        self.start_agent([b.uri(agent_v)], version=agent_v)
        rc, lines, _ = self.env.controller(b, version=ctl_v, params={"argument": "hello \u00e9 \"q\""},
                                           extra=["--transaction-id", "t-echo"])
        self.assertEqual(len(lines), 1, lines)
        self.assertEqual(lines[0]["message_type"], "rpc_blocking_response")
        self.assertEqual(lines[0]["sender"], "pcp://agent01.example/agent")
        self.assertEqual(lines[0]["data"], {"transaction_id": "t-echo",
                                            "results": {"outcome": "hello \u00e9 \"q\""}})
        rc, lines, _ = self.env.controller(b, version=ctl_v, module="ping", action="ping",
                                           params={"sender_timestamp": "1"})
        self.assertEqual(lines[0]["message_type"], "rpc_blocking_response")
        self.assertEqual(lines[0]["data"]["results"], {"request_hops": []})

    def test_v1_agent_v1_controller(self):
        self.roundtrip(1, 1)

    def test_v2_agent_v2_controller(self):
        self.roundtrip(2, 2)

    def test_v1_agent_v2_controller(self):
        self.roundtrip(1, 2)

    def test_v2_agent_v1_controller(self):
        self.roundtrip(2, 1)

    def test_many_sequential_and_pipelined(self):
        b = self.env.broker()
        self.start_agent([b.uri(2)], version=2)
        rc, lines, _ = self.env.controller(b, version=2, params={"argument": "x"},
                                           extra=["--count", "50", "--pipeline"])
        self.assertEqual(len(finals(lines)), 50)
        self.assertEqual({l["data"]["transaction_id"] for l in lines}.__len__(), 50)

    def test_large_message_roundtrip(self):
        """A 20 MB echo goes through whole (pxp-agent's stack drops >32 MB)."""
        b = self.env.broker()
        self.start_agent([b.uri(1)], version=1)
        arg = "z" * (20 * 1024 * 1024)
        pf = os.path.join(self.env.dir, "params.json")
        with open(pf, "w") as f:
            f.write('{"argument":"%s"}' % arg)
        rc, lines, _ = self.env.controller(b, version=1, timeout_ms=60000, extra=["--params-file", pf])
        self.assertEqual(lines[0]["message_type"], "rpc_blocking_response")
        self.assertEqual(len(lines[0]["data"]["results"]["outcome"]), len(arg))

    def test_incoming_over_max_message_size_dropped(self):
        b = self.env.broker()
        self.start_agent([b.uri(2)], version=2, **{"max-message-size": 4096})
        rc, lines, _ = self.env.controller(b, version=2, params={"argument": "y" * 3000})
        self.assertEqual(lines[0]["message_type"], "rpc_blocking_response")
        rc, lines, _ = self.env.controller(b, version=2, params={"argument": "y" * 5000},
                                           timeout_ms=2000, check=False)
        self.assertEqual(lines, [])
        self.env.wait_log("over max-message-size")
        rc, lines, _ = self.env.controller(b, version=2, params={"argument": "ok"})
        self.assertEqual(lines[0]["data"]["results"]["outcome"], "ok")


class BadRequests(PxpdTestCase):
    def setUp(self):
        super().setUp()
        self.b = self.env.broker()
        self.agent = self.start_agent([self.b.uri(1)], version=1)

    def rpc(self, **kw):
        rc, lines, _ = self.env.controller(self.b, **kw)
        self.assertEqual(len(lines), 1, lines)
        return lines[0]

    def test_unknown_module(self):
        l = self.rpc(module="nope", action="x", params={}, extra=["--transaction-id", "t1"])
        self.assertEqual(l["message_type"], "rpc_error_message")
        self.assertEqual(l["data"]["transaction_id"], "t1")
        self.assertEqual(l["data"]["description"], "unknown module: nope")
        self.assertIn("id", l["data"])

    def test_unknown_action(self):
        l = self.rpc(module="echo", action="shout", params={"argument": "a"})
        self.assertEqual(l["data"]["description"], "unknown action 'shout' for module 'echo'")

    def test_bad_params(self):
        l = self.rpc(module="echo", action="echo", params={"argument": 5}, extra=["--transaction-id", "t9"])
        self.assertEqual(l["message_type"], "rpc_error_message")
        self.assertTrue(l["data"]["description"].startswith(
            "invalid input for blocking 'echo echo' request (transaction t9)"), l)

    def test_non_blocking_to_blocking_only_module(self):
        l = self.rpc(module="echo", action="echo", params={"argument": "a"}, extra=["--non-blocking"])
        self.assertEqual(l["message_type"], "rpc_error_message")
        self.assertEqual(l["data"]["description"], "the module 'echo' supports only blocking PXP requests")

    def test_data_not_json_is_pcp_error(self):
        l = self.rpc(extra=["--raw-data", "this is { not json"])
        self.assertEqual(l["message_type"], "error_message")
        self.assertEqual(l["data"]["description"], "data is not in JSON format")

    def test_schema_violation_is_pcp_error(self):
        l = self.rpc(extra=["--raw-data", '{"module":"echo","action":"echo"}'])
        self.assertEqual(l["message_type"], "error_message")
        self.assertIn("invalid data", l["data"]["description"])

    def test_agent_survives_all_of_them(self):
        for raw in ["", "[]", "null", '{"transaction_id":1}', "\x01\x02garbage", "{" * 5000]:
            self.env.controller(self.b, extra=["--raw-data", raw], check=False, timeout_ms=3000)
        l = self.rpc(params={"argument": "still here"})
        self.assertEqual(l["data"]["results"]["outcome"], "still here")
        self.assertTrue(self.agent.alive())


class Connection(PxpdTestCase):
    def test_broker_restart_reconnects(self):
        b = self.env.broker()
        port = b.port
        self.start_agent([b.uri(1)], version=1, **{"reconnect-backoff-cap": 2})
        b.stop()
        self.env.wait_log("disconnected from")
        b2 = self.env.broker(port=port)
        self.env.wait_log("associated with", count=2, timeout=20)
        rc, lines, _ = self.env.controller(b2, params={"argument": "back"})
        self.assertEqual(lines[0]["data"]["results"]["outcome"], "back")

    def test_broker_drops_connections(self):
        b = self.env.broker()
        self.start_agent([b.uri(2)], version=2, **{"reconnect-backoff-cap": 2})
        b.kill(signal.SIGUSR1)   # close every client with 1011
        self.env.wait_log("1011")
        self.env.wait_log("connected to", count=2, timeout=20)
        rc, lines, _ = self.env.controller(b, version=2, params={"argument": "again"})
        self.assertEqual(lines[0]["data"]["results"]["outcome"], "again")

    def test_failover_to_second_broker(self):
        dead = "wss://localhost:%d/pcp/" % __import__("pxpdtest").free_port()
        b = self.env.broker()
        self.start_agent([dead, b.uri(1)], version=1, **{"reconnect-backoff-cap": 2})
        self.assertIn("cannot connect to " + dead, self.env.pxpd_log())
        rc, lines, _ = self.env.controller(b, params={"argument": "second"})
        self.assertEqual(lines[0]["data"]["results"]["outcome"], "second")

    def test_wrong_ca_refused(self):
        b = self.env.broker(cert="other_broker") if os.path.exists(
            os.path.join(self.env.ca, "other_broker.pem")) else None
        if b is None:
            # The agent trusts another CA than the broker's.
            b = self.env.broker()
            self.start_agent([b.uri(1)], version=1, wait_ready=False,
                             **{"ssl-ca-cert": os.path.join(self.env.ca, "other-ca.pem")})
        else:
            self.start_agent([b.uri(1)], version=1, wait_ready=False)
        # The verification error itself, not any failure to connect.
        self.env.wait_log("X509_V_ERR = 24: CA is not trusted")
        time.sleep(0.5)
        self.assertNotIn("associated with", self.env.pxpd_log())
        self.assertNotIn("connect pcp://agent01.example/agent", b.events())

    def test_wrong_hostname_refused(self):
        b = self.env.broker(cert="wrongname")
        self.start_agent([b.uri(1)], version=1, wait_ready=False)
        self.env.wait_log("X509_V_ERR = 62: Hostname mismatch")
        self.assertNotIn("associated with", self.env.pxpd_log())
        self.assertNotIn("connect pcp://agent01.example/agent", b.events())

    def test_revoked_broker_refused(self):
        """A broker whose certificate ssl-crl revokes is refused after the
        handshake, before the websocket upgrade is sent."""
        b = self.env.broker(cert="broker_revoked")
        self.start_agent([b.uri(2)], version=2, wait_ready=False)
        self.env.wait_log("certificate CN=broker.example (chain depth 0) is revoked by ssl-crl")
        self.assertNotIn("connected to", self.env.pxpd_log())
        self.assertNotIn("upgrade-request", b.events())
        self.assertNotIn("connect pcp://agent01.example/agent", b.events())

    def test_revoked_agent_cert_refused(self):
        b = self.env.broker()
        self.start_agent([b.uri(1)], version=1, wait_ready=False, cert="revoked")
        self.env.wait_log("cannot connect to")
        self.assertNotIn("associated with", self.env.pxpd_log())

    def test_sigterm_stops_cleanly_and_removes_pidfile(self):
        b = self.env.broker()
        agent = self.start_agent([b.uri(1)], version=1)
        pidfile = os.path.join(self.env.dir, "pxpd.pid")
        with open(pidfile) as f:
            self.assertEqual(int(f.read()), agent.p.pid)
        self.assertEqual(agent.stop(signal.SIGTERM), 0)
        self.assertFalse(os.path.exists(pidfile))

    def test_second_instance_refused(self):
        b = self.env.broker()
        self.start_agent([b.uri(1)], version=1)
        conf = os.path.join(self.env.dir, "pxpd.conf")
        import subprocess
        r = subprocess.run([__import__("pxpdtest").PXPD, "--config-file", conf, "--foreground"],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=10)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn(b"Already running with PID=", r.stderr + r.stdout)

    def test_pcp_access_log(self):
        b = self.env.broker()
        access = os.path.join(self.env.dir, "logs", "pcp-access.log")
        self.start_agent([b.uri(1)], version=1,
                         **{"log-pcp-access": True, "pcp-access-logfile": access})
        rc, lines, _ = self.env.controller(b, params={"argument": "logged"})
        self.env.controller(b, extra=["--raw-message", "garbage"], check=False, timeout_ms=2000)
        with open(access) as f:
            text = f.read()
        req = [l for l in text.splitlines() if "rpc_blocking_request" in l]
        self.assertEqual(len(req), 1, text)
        self.assertRegex(req[0], r"^\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}\] AUTHORIZATION_SUCCESS "
                                 r"wss://localhost:%d/pcp/ pcp://controller.example/controller "
                                 r"http://puppetlabs.com/rpc_blocking_request [0-9a-f-]{36}$" % b.port)
        self.assertNotIn("logged", text)
        # A remote value with a newline and spaces cannot write a line or a
        # field of its own (issue 10 item 12).
        forged = "http://x/t\n[2026-01-01 00:00:00.000] AUTHORIZATION_SUCCESS forged"
        self.env.controller(b, extra=["--message-type", forged], check=False, timeout_ms=2000)
        wait_for(lambda: "forged" in open(access).read(), what="the forged type logged")
        with open(access) as f:
            text = f.read()
        self.assertFalse([l for l in text.splitlines() if l.startswith("[2026-01-01")], text)
        self.assertIn(r"http://x/t\x0a[2026-01-01\x2000:00:00.000]\x20AUTHORIZATION_SUCCESS"
                      r"\x20forged", text)

    def test_sigusr2_reopens_log(self):
        b = self.env.broker()
        agent = self.start_agent([b.uri(1)], version=1)
        log = os.path.join(self.env.dir, "pxpd.log")
        os.rename(log, log + ".1")
        agent.kill(signal.SIGUSR2)
        wait_for(lambda: os.path.exists(log), what="new log file")
        self.env.controller(b, params={"argument": "rotated"})
        self.env.wait_log("echo echo")

    def test_keepalive_missed_pongs_reconnect(self):
        """A broker that stops answering (SIGSTOP) is given up on after
        allowed-keepalive-timeouts + 1 missed pongs, then reconnected."""
        b = self.env.broker()
        self.start_agent([b.uri(2)], version=2, **{"ping-interval": 6, "allowed-keepalive-timeouts": 0,
                                                   "reconnect-backoff-cap": 1})
        b.kill(signal.SIGSTOP)
        try:
            self.env.wait_log("no pong from the broker", timeout=20)
            self.env.wait_log("disconnected from", timeout=20)
        finally:
            b.kill(signal.SIGCONT)
        self.env.wait_log("connected to", count=2, timeout=30)
        rc, lines, _ = self.env.controller(b, version=2, params={"argument": "alive"})
        self.assertEqual(lines[0]["data"]["results"]["outcome"], "alive")

    def test_broker_ws_proxy_http_connect(self):
        """broker-ws-proxy: the websocket goes through an HTTP CONNECT proxy."""
        import socket
        import threading
        b = self.env.broker()
        lsock = socket.socket()
        lsock.bind(("127.0.0.1", 0))
        lsock.listen(4)
        seen = []

        def pipe(a, c):
            try:
                while True:
                    d = a.recv(65536)
                    if not d:
                        break
                    c.sendall(d)
            except OSError:
                pass
            finally:
                for s in (a, c):
                    try:
                        s.shutdown(socket.SHUT_RDWR)
                    except OSError:
                        pass

        def serve():
            while True:
                try:
                    conn, _ = lsock.accept()
                except OSError:
                    return
                req = b""
                while b"\r\n\r\n" not in req:
                    chunk = conn.recv(4096)
                    if not chunk:
                        break
                    req += chunk
                line = req.split(b"\r\n")[0].decode()
                seen.append(line)
                host, port = line.split()[1].rsplit(":", 1)
                up = socket.create_connection(("127.0.0.1", int(port)))
                conn.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
                threading.Thread(target=pipe, args=(conn, up), daemon=True).start()
                threading.Thread(target=pipe, args=(up, conn), daemon=True).start()

        threading.Thread(target=serve, daemon=True).start()
        try:
            self.start_agent([b.uri(1)], version=1,
                             **{"broker-ws-proxy": "http://127.0.0.1:%d" % lsock.getsockname()[1]})
            self.assertTrue(any(l.startswith("CONNECT localhost:%d" % b.port) for l in seen), seen)
            rc, lines, _ = self.env.controller(b, params={"argument": "via proxy"})
            self.assertEqual(lines[0]["data"]["results"]["outcome"], "via proxy")
        finally:
            lsock.close()


if __name__ == "__main__":
    main()
