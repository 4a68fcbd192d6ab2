#!/usr/bin/env python3
"""test_broker.py: the test PCP broker (tests/broker) and controller
(tests/controller) against broker-observed.md, on loopback with real TLS.

Only python3's stdlib. Environment: BROKER_BIN, CONTROLLER_BIN, CA_SCRIPT
(set by ctest). Each test starts its own broker on a free port (--port 0,
--ready-file) and drives it with pcp-controller processes, which print one
JSON line per received message; a few tests speak raw websocket over
python's ssl to see what a client library would hide (HTTP 101, close
frames, pong)."""

import base64
import hashlib
import json
import os
import signal
import socket
import ssl
import struct
import subprocess
import sys
import tempfile
import time
import unittest

BROKER = os.environ.get("BROKER_BIN", "pcp-broker")
CONTROLLER = os.environ.get("CONTROLLER_BIN", "pcp-controller")
CA_SCRIPT = os.environ.get("CA_SCRIPT", "make-ca.sh")
SLOW = float(os.environ.get("PXPD_TEST_SLOW", "1"))

CA_DIR = None


def setUpModule():
    global CA_DIR
    CA_DIR = tempfile.mkdtemp(prefix="pxpd-broker-ca-")
    subprocess.run(["sh", CA_SCRIPT, CA_DIR], check=True)


def wait_for(pred, timeout=10.0, what="condition"):
    end = time.time() + timeout * SLOW
    while time.time() < end:
        if pred():
            return True
        time.sleep(0.05)
    raise AssertionError("timed out waiting for " + what)


def pem(name):
    return os.path.join(CA_DIR, name + ".pem"), os.path.join(CA_DIR, name + "_key.pem")


class Broker:
    def __init__(self, tmp, cert="broker", extra=()):
        self.ready = os.path.join(tmp, "ready")
        self.events_file = os.path.join(tmp, "events.log")
        self.stderr = open(os.path.join(tmp, "broker.stderr"), "w+")
        c, k = pem(cert)
        args = [BROKER, "--port", "0", "--cert", c, "--key", k,
                "--ca", os.path.join(CA_DIR, "ca.pem"),
                "--crl", os.path.join(CA_DIR, "crl.pem"),
                "--ready-file", self.ready, "--log-file", self.events_file] + list(extra)
        self.p = subprocess.Popen(args, stderr=self.stderr)
        wait_for(lambda: os.path.exists(self.ready) or self.p.poll() is not None,
                 what="broker ready file")
        if self.p.poll() is not None:
            raise AssertionError("broker exited %d" % self.p.returncode)
        with open(self.ready) as f:
            self.port = int(f.read())

    def events(self):
        with open(self.events_file) as f:
            return f.read().splitlines()

    def wait_event(self, text, count=1):
        wait_for(lambda: sum(text in l for l in self.events()) >= count,
                 what="%r in broker events:\n%s" % (text, "\n".join(self.events())))

    def stop(self):
        if self.p.poll() is None:
            self.p.send_signal(signal.SIGTERM)
            try:
                self.p.wait(10 * SLOW)
            except subprocess.TimeoutExpired:
                self.p.kill()
                self.p.wait()
        self.stderr.close()
        return self.p.returncode


def controller_args(broker, cert="controller", version=1, host="127.0.0.1", args=()):
    a = [CONTROLLER, "--broker", "wss://%s:%d" % (host, broker.port),
         "--ca", os.path.join(CA_DIR, "ca.pem"), "--pcp-version", str(version)]
    if cert is not None:
        c, k = pem(cert)
        a += ["--cert", c, "--key", k]
    else:
        a += ["--no-client-cert"]
    return a + list(args)


def parse_lines(out):
    return [json.loads(l) for l in out.splitlines() if l.startswith("{")]


def ctl(broker, *args, cert="controller", version=1, host="127.0.0.1", timeout_ms=5000):
    """Runs pcp-controller to completion: (exit code, JSON lines, stderr)."""
    a = controller_args(broker, cert, version, host,
                        list(args) + ["--timeout-ms", str(int(timeout_ms * SLOW))])
    r = subprocess.run(a, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=timeout_ms * SLOW / 1000 + 30)
    return r.returncode, parse_lines(r.stdout.decode()), r.stderr.decode()


class Peer:
    """A pcp-controller kept running in the background (a fake agent or a
    listener); collect() waits for it and returns its JSON lines."""

    def __init__(self, broker, *args, cert="agent01", version=1, path_type="agent",
                 timeout_ms=8000, wait_connect=True):
        a = controller_args(broker, cert, version, args=list(args) + [
            "--client-type", path_type, "--timeout-ms", str(int(timeout_ms * SLOW))])
        self.p = subprocess.Popen(a, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        if wait_connect:
            cn = cert + ".example" if cert != "other_agent" else "agent01.example"
            uri = "pcp://%s/%s" % (cn, path_type)
            broker.wait_event("connect %s v%d" % (uri, version))
            if version == 1:
                broker.wait_event("associate %s ok" % uri)

    def collect(self, timeout=30):
        out, err = self.p.communicate(timeout=timeout * SLOW)
        self.err = err.decode()
        return self.p.returncode, parse_lines(out.decode())

    def kill(self):
        if self.p.poll() is None:
            self.p.kill()
            self.p.communicate()


def ws_frame(opcode, payload, fin=True):
    mask = os.urandom(4)
    b0 = (0x80 if fin else 0) | opcode
    n = len(payload)
    if n < 126:
        head = struct.pack("!BB", b0, 0x80 | n)
    elif n < 65536:
        head = struct.pack("!BBH", b0, 0x80 | 126, n)
    else:
        head = struct.pack("!BBQ", b0, 0x80 | 127, n)
    return head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


class RawWs:
    """Just enough websocket over TLS to look at the handshake and frames."""

    def __init__(self, port, cert=None, path="/pcp/agent"):
        ctx = ssl.create_default_context(cafile=os.path.join(CA_DIR, "ca.pem"))
        ctx.maximum_version = ssl.TLSVersion.TLSv1_2
        if cert:
            ctx.load_cert_chain(*pem(cert))
        raw = socket.create_connection(("127.0.0.1", port), 5)
        self.s = ctx.wrap_socket(raw, server_hostname="localhost")
        self.s.settimeout(5 * SLOW)
        key = base64.b64encode(os.urandom(16)).decode()
        self.s.sendall(("GET %s HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\n"
                        "Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\n"
                        "Sec-WebSocket-Version: 13\r\n\r\n" % (path, key)).encode())
        self.buf = b""
        while b"\r\n\r\n" not in self.buf:
            chunk = self.s.recv(4096)
            if not chunk:
                break
            self.buf += chunk
        head, _, self.buf = self.buf.partition(b"\r\n\r\n")
        self.status = head.split(b"\r\n")[0].decode(errors="replace")

    def _need(self, n):
        while len(self.buf) < n:
            chunk = self.s.recv(65536)
            if not chunk:
                raise EOFError("connection closed")
            self.buf += chunk
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def read_frame(self):
        b0, b1 = self._need(2)
        n = b1 & 0x7F
        if n == 126:
            n = struct.unpack("!H", self._need(2))[0]
        elif n == 127:
            n = struct.unpack("!Q", self._need(8))[0]
        return b0 & 0x0F, self._need(n)

    def send(self, opcode, payload):
        self.s.sendall(ws_frame(opcode, payload))

    def close(self):
        self.s.close()


def v1_message(envelope, data=None):
    env = json.dumps(envelope).encode()
    out = b"\x01\x01" + struct.pack(">I", len(env)) + env
    if data is not None:
        out += b"\x02" + struct.pack(">I", len(data)) + data
    return out


class BrokerBase(unittest.TestCase):
    extra = ()

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="pxpd-broker-")
        self.broker = Broker(self.tmp, extra=self.extra)
        self.peers = []

    def tearDown(self):
        for p in self.peers:
            p.kill()
        rc = self.broker.stop()
        self.assertEqual(rc, 0, "SIGTERM must end the broker with 0")

    def peer(self, *args, **kw):
        p = Peer(self.broker, *args, **kw)
        self.peers.append(p)
        return p


class BrokerTest(BrokerBase):
    # ---- forwarding and translation ----

    def test_v2_controller_to_v1_agent_and_back(self):
        agent = self.peer("--listen", "--reply", "--expect", "1", version=1)
        rc, lines, err = ctl(self.broker, "--target", "pcp://agent01.example/agent",
                             "--params", '{"argument":"hello"}', "--transaction-id", "t-1",
                             version=2)
        self.assertEqual(rc, 0, err)
        self.assertEqual(len(lines), 1)
        reply = lines[0]
        self.assertEqual(reply["message_type"], "rpc_blocking_response")
        self.assertEqual(reply["sender"], "pcp://agent01.example/agent")
        self.assertEqual(reply["data"], {"transaction_id": "t-1",
                                         "results": {"outcome": "hello"}})
        self.assertNotIn("expires", reply, "v2 output has no expires")
        rc, got = agent.collect()
        self.assertEqual(rc, 0, agent.err)
        req = [l for l in got if l["message_type"] == "rpc_blocking_request"][0]
        self.assertEqual(req["sender"], "pcp://controller.example/controller")
        self.assertEqual(req["target"], "pcp://agent01.example/agent")
        self.assertEqual(req["expires"], "1970-01-01T00:00:00.000Z")
        self.assertEqual(req["data"]["params"], {"argument": "hello"})
        self.broker.wait_event("forward rpc_blocking_request pcp://controller.example/"
                               "controller -> pcp://agent01.example/agent")

    def test_in_reply_to_translated_both_ways(self):
        # v2 in_reply_to -> v1 in-reply-to
        v1 = self.peer("--listen", "--expect", "1", cert="controller",
                       path_type="controller", version=1)
        rc, _, err = ctl(self.broker, "--target", "pcp://controller.example/controller",
                         "--message-type", "rpc_blocking_response", "--in-reply-to", "req-1",
                         "--data", '{"transaction_id":"x","results":{}}',
                         "--expect", "0", "--client-type", "agent", cert="agent01",
                         version=2)
        self.assertEqual(rc, 0, err)
        rc, got = v1.collect()
        self.assertEqual(got[-1]["message_type"], "rpc_blocking_response")
        self.assertEqual(got[-1]["in_reply_to"], "req-1")
        self.assertEqual(got[-1]["expires"], "1970-01-01T00:00:00.000Z")
        self.assertEqual(got[-1]["sender"], "pcp://agent01.example/agent")
        # v1 in-reply-to -> v2 in_reply_to; v1 targets -> v2 target
        v2 = self.peer("--listen", "--expect", "1", cert="controller",
                       path_type="controller", version=2)
        rc, _, err = ctl(self.broker, "--target", "pcp://controller.example/controller",
                         "--message-type", "rpc_blocking_response", "--in-reply-to", "req-2",
                         "--data", '{"transaction_id":"y","results":{}}',
                         "--expect", "0", "--client-type", "agent", cert="agent01",
                         version=1)
        self.assertEqual(rc, 0, err)
        rc, got = v2.collect()
        self.assertEqual(got[-1]["in_reply_to"], "req-2")
        self.assertEqual(got[-1]["target"], "pcp://controller.example/controller")
        self.assertNotIn("expires", got[-1])

    def test_debug_chunks_and_destination_report_not_forwarded(self):
        agent = self.peer("--listen", "--expect", "1", version=1)
        rc, _, err = ctl(self.broker, "--target", "pcp://agent01.example/agent",
                         "--debug", '{"hops":[{"server":"pcp://b/server",'
                         '"time":"2020-01-01T00:00:00.000Z"}]}',
                         "--destination-report", "--expect", "0")
        self.assertEqual(rc, 0, err)
        rc, got = agent.collect()
        req = [l for l in got if l["message_type"] == "rpc_blocking_request"][0]
        self.assertNotIn("debug", req)
        self.assertNotIn("destination_report", req)

    def test_not_connected(self):
        rc, lines, _ = ctl(self.broker, "--target", "pcp://agent02.example/agent", version=2)
        self.assertEqual(rc, 0)
        self.assertEqual(lines[0]["message_type"], "error_message")
        self.assertEqual(lines[0]["data"], "Not connected.")
        self.assertIn("in_reply_to", lines[0])
        rc, lines, _ = ctl(self.broker, "--target", "pcp://agent02.example/agent", version=1)
        self.assertEqual(rc, 0)
        err = [l for l in lines if l["message_type"] == "error_message"][0]
        self.assertEqual(err["data"]["description"], "Not connected.")
        self.assertEqual(err["data"]["id"], err["in_reply_to"])
        self.assertEqual(err["sender"], "pcp:///server")
        self.assertEqual(err["expires"], "1970-01-01T00:00:00.000Z")

    def test_multiple_recipients_refused(self):
        rc, lines, _ = ctl(self.broker, "--target", "pcp://*/agent", version=2)
        self.assertEqual(rc, 0)
        self.assertEqual(lines[0]["data"], "Multiple recipients no longer supported.")
        msg = v1_message({"id": "m-2", "message_type": "http://puppetlabs.com/rpc_blocking_request",
                          "expires": "2030-01-01T00:00:00.000Z",
                          "targets": ["pcp://a.example/agent", "pcp://b.example/agent"],
                          "sender": "pcp://controller.example/controller"}, b"{}")
        rc, lines, _ = ctl(self.broker, "--raw-message-hex", msg.hex(), "--expect", "1")
        self.assertEqual(rc, 0)
        err = [l for l in lines if l["message_type"] == "error_message"][0]
        self.assertEqual(err["data"], {"description": "Multiple recipients no longer supported.",
                                       "id": "m-2"})

    def test_sender_must_match_certificate(self):
        rc, lines, _ = ctl(self.broker, "--target", "pcp://agent01.example/agent",
                           "--sender", "pcp://agent02.example/controller", version=2)
        self.assertEqual(rc, 0)
        self.assertEqual(lines[0]["message_type"], "error_message")
        self.assertEqual(lines[0]["data"], "Message not authenticated.")
        # Without a sender the broker fills it in from the certificate.
        agent = self.peer("--listen", "--expect", "1", version=2)
        rc, _, err = ctl(self.broker, "--target", "pcp://agent01.example/agent",
                         "--no-sender", "--expect", "0", version=2)
        self.assertEqual(rc, 0, err)
        rc, got = agent.collect()
        self.assertEqual(got[0]["sender"], "pcp://controller.example/controller")

    # ---- broker messages ----

    def test_explicit_association(self):
        rc, lines, _ = ctl(self.broker, "--count", "0", version=1)
        self.assertEqual(rc, 0)
        resp = lines[0]
        self.assertEqual(resp["message_type"], "associate_response")
        self.assertEqual(resp["sender"], "pcp:///server")
        self.assertEqual(resp["expires"], "1970-01-01T00:00:00.000Z")
        self.assertEqual(resp["data"]["success"], True)
        self.assertEqual(resp["data"]["id"], resp["in_reply_to"])

    def test_association_as_other_type_denied_4002(self):
        rc, lines, _ = ctl(self.broker, "--sender", "pcp://controller.example/agent",
                           "--count", "0", version=1)
        self.assertEqual(rc, 3)
        self.assertEqual(lines[0]["data"]["success"], False)
        self.assertEqual(lines[0]["data"]["reason"], "Session already associated.")
        self.assertEqual(lines[-1], {"event": "close", "code": 4002,
                                     "reason": "Association unsuccessful."})

    def test_server_type_refused_4002(self):
        rc, lines, _ = ctl(self.broker, "--client-type", "server", "--listen", version=2)
        self.assertEqual(rc, 3)
        self.assertEqual(lines[-1]["code"], 4002)

    def test_inventory_and_subscription(self):
        self.peer("--listen", version=1)
        rc, lines, _ = ctl(self.broker, "--message-type", "inventory_request",
                           "--data", '{"query":["pcp://*/agent"],"subscribe":false}', version=2)
        self.assertEqual(rc, 0)
        self.assertEqual(lines[0]["message_type"], "inventory_response")
        self.assertEqual(lines[0]["data"], {"uris": ["pcp://agent01.example/agent"]})
        sub = self.peer("--message-type", "inventory_request", "--data",
                        '{"query":["pcp://*/agent"],"subscribe":true}', "--expect", "3",
                        cert="controller", path_type="controller", version=2)
        self.broker.wait_event("inventory pcp://controller.example/controller subscribe=true")
        rc, _, err = ctl(self.broker, "--listen", "--client-type", "agent",
                         cert="agent02", version=2, timeout_ms=300)
        rc, got = sub.collect()
        self.assertEqual(rc, 0, sub.err)
        updates = [l["data"]["changes"] for l in got if l["message_type"] == "inventory_update"]
        self.assertEqual(updates, [[{"client": "pcp://agent02.example/agent", "change": 1}],
                                   [{"client": "pcp://agent02.example/agent", "change": -1}]])

    # ---- connections ----

    def test_newer_connection_wins(self):
        old = self.peer("--listen", version=1)
        new = self.peer("--listen", "--reply", version=2, wait_connect=False)
        self.broker.wait_event("superseded pcp://agent01.example/agent")
        rc, got = old.collect()
        self.assertEqual(rc, 3)
        self.assertEqual(got[-1]["event"], "close")
        self.assertEqual(got[-1]["code"], 4000)
        rc, lines, err = ctl(self.broker, "--target", "pcp://agent01.example/agent", version=2)
        self.assertEqual(rc, 0, err)
        self.assertEqual(lines[0]["message_type"], "rpc_blocking_response")

    def test_no_client_certificate_upgrades_then_4003(self):
        ws = RawWs(self.broker.port, cert=None)
        self.assertIn(" 101 ", ws.status)
        op, payload = ws.read_frame()
        self.assertEqual(op, 8)
        self.assertEqual(struct.unpack("!H", payload[:2])[0], 4003)
        self.assertEqual(payload[2:], b"No client certificate.")
        ws.close()
        rc, lines, _ = ctl(self.broker, "--listen", cert=None)
        self.assertEqual((rc, lines[-1]["code"]), (3, 4003))

    def test_revoked_or_foreign_certificate_refused(self):
        for cert in ("revoked", "other_agent"):
            try:
                ws = RawWs(self.broker.port, cert=cert)
                status = ws.status
                ws.close()
            except (OSError, ssl.SSLError):
                status = "handshake failed"
            self.assertNotIn(" 101 ", status, cert)
            rc, lines, _ = ctl(self.broker, "--listen", cert=cert)
            self.assertEqual(rc, 3, cert)
        self.broker.wait_event("refuse bad-certificate", count=4)
        self.assertFalse([l for l in self.broker.events() if l.startswith("connect ")])

    def test_ping_gets_pong(self):
        ws = RawWs(self.broker.port, cert="agent02", path="/pcp2/agent")
        self.assertIn(" 101 ", ws.status)
        ws.send(9, b"hi")
        self.assertEqual(ws.read_frame(), (10, b"hi"))
        ws.close()

    def test_malformed_message_closes_1011(self):
        rc, lines, _ = ctl(self.broker, "--raw-message", "{not json", version=2)
        self.assertEqual((rc, lines[-1]["code"]), (3, 1011))
        rc, lines, _ = ctl(self.broker, "--raw-message-hex", "01010000000a7b7d", version=1)
        self.assertEqual((rc, lines[-1]["code"]), (3, 1011))

    def test_invalid_utf8_text_frame_closes_1007(self):
        # Jetty refuses a text frame that is not UTF-8 before pcp-broker
        # sees it; binary (v1) frames are not checked.
        msg = ('{"id":"u-1","message_type":"http://puppetlabs.com/inventory_request",'
               '"data":{"query":["pcp://*/ok\xff"],"subscribe":false}}').encode("latin-1")
        rc, lines, _ = ctl(self.broker, "--raw-message-hex", msg.hex(), version=2)
        self.assertEqual((rc, lines[-1]["code"], lines[-1]["reason"]), (3, 1007, "Not valid UTF8"))
        self.assertIn("bad-utf8 pcp://controller.example/controller", self.broker.events())
        # well-formed multi-byte text passes
        msg = ('{"id":"u-2","message_type":"http://puppetlabs.com/inventory_request",'
               '"data":{"query":["pcp://*/caf\u00e9"],"subscribe":false}}').encode("utf-8")
        rc, lines, _ = ctl(self.broker, "--raw-message-hex", msg.hex(), "--expect", "1", version=2)
        self.assertEqual(rc, 0, lines)
        self.assertEqual(lines[-1]["message_type"], "inventory_response")

    def test_sigusr1_drops_everyone_with_1011(self):
        agent = self.peer("--listen", version=1)
        ctlr = self.peer("--listen", cert="controller", path_type="controller", version=2)
        self.broker.p.send_signal(signal.SIGUSR1)
        for p in (agent, ctlr):
            rc, got = p.collect()
            self.assertEqual(rc, 3)
            self.assertEqual(got[-1], {"event": "close", "code": 1011,
                                       "reason": "Broker is not running."})
        rc, lines, _ = ctl(self.broker, "--target", "pcp://agent01.example/agent", version=2)
        self.assertEqual(lines[0]["data"], "Not connected.", "broker still serves")

    def test_broker_certificate_checked_by_controller(self):
        rc, _, err = ctl(self.broker, "--listen", host="localhost", timeout_ms=1000)
        self.assertEqual(rc, 0, err)


class WrongNameBrokerTest(unittest.TestCase):
    def test_hostname_mismatch_and_foreign_ca(self):
        for cert in ("wrongname", "other_broker"):
            tmp = tempfile.mkdtemp(prefix="pxpd-broker-")
            b = Broker(tmp, cert=cert)
            try:
                rc, lines, err = ctl(b, "--listen", timeout_ms=2000)
                self.assertEqual(rc, 3, cert)
                self.assertIn("connection failed", err)
            finally:
                self.assertEqual(b.stop(), 0)


class SmallLimitTest(BrokerBase):
    extra = ("--max-message-size", "4096")

    def test_oversized_message_closes_1009(self):
        rc, lines, _ = ctl(self.broker, "--target", "pcp://agent01.example/agent",
                           "--params", json.dumps({"argument": "x" * 5000}), version=2)
        self.assertEqual((rc, lines[-1]["code"]), (3, 1009))


class BigMessageTest(BrokerBase):
    def test_60_mib_message_forwarded_both_ways(self):
        size = 60 * 1024 * 1024
        arg = "x" * size
        params = os.path.join(self.tmp, "params.json")
        with open(params, "w") as f:
            json.dump({"argument": arg}, f)
        agent = self.peer("--listen", "--reply", "--data-digest", "--expect", "1",
                          version=1, timeout_ms=60000)
        rc, lines, err = ctl(self.broker, "--target", "pcp://agent01.example/agent",
                             "--params-file", params, "--transaction-id", "big",
                             "--data-digest", version=2, timeout_ms=60000)
        self.assertEqual(rc, 0, err)
        sent = json.dumps({"transaction_id": "big", "module": "echo", "action": "echo",
                           "params": {"argument": arg}}, separators=(",", ":")).encode()
        back = json.dumps({"transaction_id": "big", "results": {"outcome": arg}},
                          separators=(",", ":")).encode()
        self.assertEqual(lines[0]["data_len"], len(back))
        self.assertEqual(lines[0]["data_sha256"], hashlib.sha256(back).hexdigest())
        rc, got = agent.collect(timeout=60)
        req = [l for l in got if l["message_type"] == "rpc_blocking_request"][0]
        self.assertEqual(req["data_len"], len(sent))
        self.assertEqual(req["data_sha256"], hashlib.sha256(sent).hexdigest())


if __name__ == "__main__":
    unittest.main(verbosity=2)
