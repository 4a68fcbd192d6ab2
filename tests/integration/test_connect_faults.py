"""integration_connect_faults: issue 8 item 5, pxpd never stops trying.

Invariant under test: whenever pxpd is not connected and not stopping,
exactly one next attempt is scheduled, and a timed-out attempt is closed.
Hostile listeners on loopback (python, below) stand where the broker
should be, one per state an attempt can hang in:
  noaccept       never accepts: its listen queue is full, SYNs go
                 unanswered (a broker overwhelmed by a fleet);
  silent         accepts TCP and never answers TLS;
  late           answers only after 6 s (then relays to the real broker);
  hangup         reads the ClientHello and closes;
  tls-noupgrade  completes TLS with the broker's certificate and never
                 answers the websocket upgrade.
With connection-timeout 1 s, reconnect-spread 2 s and reconnect-backoff-cap
4 s (so every wait is short: the test stays bounded), pxpd must keep
coming back to each listener (attempts counted by the listener: no gap
longer than the cap plus the timeout plus slack, up to the end of the
window), close every attempt it gave up on, and connect once the listener
relays to the real broker, or when the broker is next in broker-ws-uris.
Last, 100 agents started at once with connection-timeout 1 s must all end
up connected, against an idle broker and against one that is stopped and
resumed in short slices for 10 s (a broker busy with handshakes).
"""
import os
import random
import re
import signal
import socket
import ssl
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fleet"))
import fleet  # noqa: E402

SLOW = fleet.SLOW
TIMEOUT_S = 1           # connection-timeout of the agents
SPREAD_S = 2            # reconnect-spread of the agents (pxpd >= 3fe7db9)
CAP_S = 4               # reconnect-backoff-cap of the agents
LATE_S = 6.0            # how long the "late" listener waits before answering
WINDOW_S = 30.0         # how long each listener is watched
# Longest acceptable time between two attempts: the attempt's own timeout,
# the longest wait (backoff cap, or the spread +5% when that is larger),
# and slack for a loaded machine.
GAP_MAX_S = TIMEOUT_S + max(CAP_S, SPREAD_S * 1.05) + 3.0 * SLOW
# A given-up attempt must be closed within its timeout plus slack.
CLOSE_MAX_S = TIMEOUT_S + 3.0 * SLOW
MODES = ("silent", "late", "hangup", "tls-noupgrade", "noaccept")


class Listener:
    """A TCP listener on 127.0.0.1 that misbehaves as `mode` says, until
    relay() makes it relay every new connection to the broker. Records
    each connection attempt: when it was accepted (or, for "noaccept",
    first seen in SYN_SENT) and when the client closed it."""

    def __init__(self, mode, broker_port, ca):
        self.mode = mode
        self.broker_port = broker_port
        self.conns = []
        self.lock = threading.Lock()
        self.stopping = False
        self.open_socks = []
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.tls = None
        if mode == "tls-noupgrade":
            self.tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            self.tls.load_cert_chain(os.path.join(ca, "broker.pem"), os.path.join(ca, "broker_key.pem"))
        self.t = None
        if mode == "noaccept":
            self._fill_backlog()
        else:
            self._start_accepting(128)

    def uri(self):
        return "wss://localhost:%d/pcp/" % self.port

    def attempts(self):
        with self.lock:
            return [dict(c) for c in self.conns]

    def relay(self):
        """From now on, new connections go through to the broker."""
        if self.mode == "noaccept":
            self.mode = "relay"
            self.watching = False
            self.watch_t.join(2)
            for f in self.fillers:
                f.close()
            self._start_accepting(128)
        self.mode = "relay"

    def close(self):
        self.stopping = True
        self.watching = False
        if self.t is not None:
            self.t.join(2)
        self.sock.close()
        with self.lock:
            for s in self.open_socks + getattr(self, "fillers", []):
                try:
                    s.close()
                except OSError:
                    pass

    # ---- a full accept queue: SYNs go unanswered ------------------------
    def _fill_backlog(self):
        # listen(0) and a few connections of our own that are never
        # accepted: the kernel then drops further SYNs, as it does for a
        # broker whose accept queue overflows. The client's attempts are
        # seen as SYN_SENT sockets towards our port in /proc/net/tcp.
        self.sock.listen(0)
        self.fillers = []
        for _ in range(4):
            f = socket.socket()
            f.setblocking(False)
            try:
                f.connect(("127.0.0.1", self.port))
            except BlockingIOError:
                pass
            self.fillers.append(f)
        time.sleep(0.3)
        self.filler_ports = {f.getsockname()[1] for f in self.fillers}
        if not any(st == "02" for _, st in self._sockets_to_us().items()):
            raise unittest.SkipTest("cannot fill a listen queue here: SYNs are still answered")
        self.watching = True
        self.watch_t = threading.Thread(target=self._watch_syn_sent, daemon=True)
        self.watch_t.start()

    def _sockets_to_us(self):
        """local port -> TCP state (hex) of every socket towards our port."""
        out = {}
        for name in ("/proc/net/tcp", "/proc/net/tcp6"):
            try:
                with open(name) as f:
                    next(f)
                    for line in f:
                        parts = line.split()
                        if int(parts[2].rsplit(":", 1)[1], 16) == self.port:
                            out[int(parts[1].rsplit(":", 1)[1], 16)] = parts[3]
            except (OSError, StopIteration, IndexError, ValueError):
                pass
        return out

    def _watch_syn_sent(self):
        active = {}
        while self.watching and not self.stopping:
            now = time.monotonic()
            seen = {p for p, st in self._sockets_to_us().items()
                    if st == "02" and p not in self.filler_ports}
            for p in seen - set(active):
                rec = {"accepted": now, "closed_by_peer": None, "mode": "noaccept"}
                active[p] = rec
                with self.lock:
                    self.conns.append(rec)
            for p in set(active) - seen:
                active.pop(p)["closed_by_peer"] = now
            time.sleep(0.1)

    # ---- accepting listeners -------------------------------------------
    def _start_accepting(self, backlog):
        self.sock.listen(backlog)
        self.sock.settimeout(0.2)
        self.t = threading.Thread(target=self._accept_loop, daemon=True)
        self.t.start()

    def _accept_loop(self):
        while not self.stopping:
            try:
                c, _ = self.sock.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            rec = {"accepted": time.monotonic(), "closed_by_peer": None, "mode": self.mode}
            with self.lock:
                self.conns.append(rec)
                self.open_socks.append(c)
            threading.Thread(target=self._serve, args=(c, rec, self.mode), daemon=True).start()

    def _read_until_eof(self, c, rec, until=None, keep=None):
        """Reads (keeping the bytes in keep) until the peer closes (True)
        or until the monotonic time `until` (False)."""
        while not self.stopping:
            wait = 0.2 if until is None else min(0.2, until - time.monotonic())
            if wait <= 0:
                return False
            c.settimeout(wait)
            try:
                data = c.recv(65536)
            except socket.timeout:
                continue
            except OSError:
                data = b""
            if not data:
                rec["closed_by_peer"] = time.monotonic()
                return True
            if keep is not None:
                keep.extend(data)
        return True

    def _serve(self, c, rec, mode):
        try:
            if mode == "silent":
                self._read_until_eof(c, rec)
            elif mode == "hangup":
                self._hangup(c, rec)
            elif mode == "late":
                buf = bytearray()
                if not self._read_until_eof(c, rec, until=rec["accepted"] + LATE_S, keep=buf):
                    self._relay(c, rec, bytes(buf))
            elif mode == "tls-noupgrade":
                self._tls_noupgrade(c, rec)
            else:
                self._relay(c, rec, b"")
        finally:
            with self.lock:
                if c in self.open_socks:
                    self.open_socks.remove(c)
            c.close()

    def _tls_noupgrade(self, c, rec):
        # The broker's own certificate, so the handshake succeeds; then
        # the websocket upgrade request is read and never answered.
        c.settimeout(5.0 * SLOW)
        try:
            sc = self.tls.wrap_socket(c, server_side=True)
        except (OSError, ssl.SSLError):
            rec["closed_by_peer"] = time.monotonic()
            return
        rec["tls"] = True
        try:
            self._read_until_eof(sc, rec)
        finally:
            sc.close()

    def _hangup(self, c, rec):
        # One whole TLS record (the ClientHello: 5-byte header, then its
        # length), then close in the middle of the handshake.
        buf = bytearray()
        c.settimeout(5.0 * SLOW)
        try:
            while len(buf) < 5 or len(buf) < 5 + int.from_bytes(buf[3:5], "big"):
                data = c.recv(65536)
                if not data:
                    rec["closed_by_peer"] = time.monotonic()
                    return
                buf.extend(data)
        except OSError:
            return
        rec["hello"] = buf[0] == 0x16

    def _relay(self, c, rec, first):
        try:
            up = socket.create_connection(("127.0.0.1", self.broker_port), 5)
        except OSError:
            return
        rec["relayed"] = True
        with self.lock:
            self.open_socks.append(up)
        try:
            if first:
                up.sendall(first)
            t = threading.Thread(target=self._pump, args=(up, c), daemon=True)
            t.start()
            self._pump(c, up)
            t.join(5)
        finally:
            with self.lock:
                if up in self.open_socks:
                    self.open_socks.remove(up)
            up.close()

    def _pump(self, src, dst):
        src.settimeout(None)
        try:
            while not self.stopping:
                data = src.recv(65536)
                if not data:
                    break
                dst.sendall(data)
        except OSError:
            pass
        for s in (dst, src):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def attempt_problems(attempts, start, end):
    """What is wrong with the attempts one listener saw between start and
    end (monotonic): too few, a gap too long (pxpd stopped trying), an
    attempt given up but never closed. Returns a list of strings."""
    bad = []
    times = [a["accepted"] for a in attempts]
    if len(times) < 4:
        bad.append("only %d attempts in %.0f s" % (len(times), end - start))
    edges = [start] + times + [end]
    gaps = [b - a for a, b in zip(edges, edges[1:])]
    if gaps and max(gaps) > GAP_MAX_S:
        i = gaps.index(max(gaps))
        bad.append("no attempt for %.1f s (from %.1f s to %.1f s of the window; at most %.1f s allowed)" % (
            max(gaps), edges[i] - start, edges[i + 1] - start, GAP_MAX_S))
    unclosed = []
    for a in attempts:
        if a["mode"] == "hangup":
            continue
        due = a["accepted"] + CLOSE_MAX_S
        if due > end:
            continue
        if a["closed_by_peer"] is None or a["closed_by_peer"] > due:
            unclosed.append("%.1f" % (a["accepted"] - start))
    if unclosed:
        bad.append("%d given-up attempts not closed by pxpd within %.0f s (started at %s s)" % (
            len(unclosed), CLOSE_MAX_S, ", ".join(unclosed)))
    return bad


def socket_fds(pid):
    """How many sockets pid holds open now (-1 when it is gone)."""
    n = 0
    try:
        for fd in os.listdir("/proc/%d/fd" % pid):
            try:
                if os.readlink("/proc/%d/fd/%s" % (pid, fd)).startswith("socket:"):
                    n += 1
            except OSError:
                pass
    except OSError:
        return -1
    return n


# At most one attempt in flight, and one being closed: more means given-up
# attempts that were never closed (a leak that ends in EMFILE).
SOCKETS_MAX = 2


def log_counts(agent):
    """Rough counts of pxpd's connection log lines, for the test output
    (the wording differs between pxpd versions; nothing asserts on it)."""
    text = agent.log_tail(10 ** 7)
    return {
        "attempts": len(re.findall(r"\[conn\] connecting to \S+.*\(PCP v", text)),
        "failed": text.count("cannot connect"),
        "timeouts": text.count("timed out") + text.count("within connection-timeout"),
        "connected": text.count("[conn] connected to"),
    }


class ConnectFaults(unittest.TestCase):
    def setUp(self):
        self.fleet = None
        self.listeners = []

    def tearDown(self):
        for l in self.listeners:
            l.close()
        if self.fleet is not None:
            self.fleet.close()

    def make_fleet(self, n):
        self.fleet = fleet.Fleet(n, loglevel="debug", keep=bool(os.environ.get("PXPD_KEEP")))
        return self.fleet.broker()

    def listener(self, mode, broker):
        l = Listener(mode, broker.port, self.fleet.ca)
        self.listeners.append(l)
        return l

    def agent(self, i, uris, **cfg):
        conf = {"connection-timeout": TIMEOUT_S, "connect-splay": 0,
                "reconnect-spread": SPREAD_S, "reconnect-backoff-cap": CAP_S}
        conf.update(cfg)
        (a,) = self.fleet.prepare(uris, first=i, count=1, **conf)
        self.fleet.start_agents([a])
        return a

    def test_hostile_listeners_keep_retrying(self):
        broker = self.make_fleet(len(MODES))
        ls = {m: self.listener(m, broker) for m in MODES}
        agents = {m: self.agent(i + 1, [ls[m].uri()]) for i, m in enumerate(MODES)}
        start = time.monotonic()
        time.sleep(WINDOW_S)
        end = time.monotonic()
        bad = []
        for m in MODES:
            a = agents[m]
            att = [x for x in ls[m].attempts() if x["accepted"] <= end]
            probs = attempt_problems(att, start, end)
            if a.p.poll() is not None:
                probs.append("pxpd exited with %d" % a.p.returncode)
            socks = socket_fds(a.p.pid)
            if socks > SOCKETS_MAX:
                probs.append("pxpd holds %d sockets after %.0f s (at most %d: given-up attempts "
                             "are not closed)" % (socks, end - start, SOCKETS_MAX))
            if m == "hangup" and not any(x.get("hello") for x in att):
                probs.append("never sent a ClientHello")
            if m == "tls-noupgrade" and not any(x.get("tls") for x in att):
                probs.append("never completed a TLS handshake")
            sys.stderr.write("%-13s listener: %d attempts in %.0f s, at %s; pxpd: %d sockets, log %s\n" % (
                m, len(att), end - start, " ".join("%.1f" % (x["accepted"] - start) for x in att),
                socks, log_counts(a)))
            if probs:
                bad.append("%s listener: %s\n  pxpd log (connection lines):\n%s" % (m, "; ".join(probs), a.conn_log_tail()))

        # The same listeners now relay to the broker: every agent must
        # get through on one of its next attempts.
        for l in ls.values():
            l.relay()
        cns = {agents[m].cn: m for m in MODES}
        got = self.fleet.wait_connected(cns, GAP_MAX_S + 5 * SLOW)
        for cn, m in sorted(cns.items()):
            if cn not in got:
                bad.append("%s listener: not connected within %.0f s of relaying to the broker\n"
                           "  pxpd log (connection lines):\n%s" % (m, GAP_MAX_S + 5 * SLOW, agents[m].conn_log_tail()))
        if bad:
            self.fail("\n".join(bad))

    def test_failover_past_hostile_listener(self):
        # broker-ws-uris lists the bad listener first, the broker second.
        broker = self.make_fleet(len(MODES))
        ls = {m: self.listener(m, broker) for m in MODES}
        t0 = fleet.now_ms()
        agents = {m: self.agent(i + 1, [ls[m].uri(), broker.uri()], **{"connection-timeout": 2})
                  for i, m in enumerate(MODES)}
        bound = 2 + max(CAP_S, SPREAD_S) + 5 * SLOW
        got = self.fleet.wait_connected({a.cn for a in agents.values()}, bound, since_ms=t0)
        bad = []
        for m, a in sorted(agents.items()):
            if not ls[m].attempts():
                bad.append("%s: pxpd never tried the first URI" % m)
            if a.cn not in got:
                bad.append("%s: not connected to the second URI within %.0f s\n  pxpd log (connection lines):\n%s" % (
                    m, bound, a.conn_log_tail()))
        if bad:
            self.fail("\n".join(bad))

    def hundred_at_once(self, stall_s=0.0, **cfg):
        """Starts 100 agents at once with connection-timeout 1 s; for the
        first stall_s seconds the broker is stopped and resumed in short
        random slices (SIGSTOP/SIGCONT), so attempts time out in every
        state: SYN queued, mid-TLS, upgrade sent but unanswered. Then
        every agent must end up connected."""
        n = 100
        broker = self.make_fleet(n)
        self.fleet.loglevel = "info"
        conf = {"connection-timeout": 1, "connect-splay": 0, "reconnect-spread": SPREAD_S}
        conf.update(cfg)
        self.fleet.prepare([broker.uri()], **conf)
        cns = {a.cn for a in self.fleet.agents}
        rnd = random.Random(int(os.environ.get("PXPD_TEST_SEED", "0")) or None)
        t0 = self.fleet.start_agents()
        end = time.monotonic() + stall_s
        try:
            while time.monotonic() < end:
                broker.p.send_signal(signal.SIGSTOP)
                time.sleep(rnd.uniform(1.0, 1.6))
                broker.p.send_signal(signal.SIGCONT)
                time.sleep(rnd.uniform(0.05, 0.5))
        finally:
            broker.p.send_signal(signal.SIGCONT)
        # After the stall: the timeout, the longest backoff and slack.
        bound = stall_s + 1 + max(conf.get("reconnect-backoff-cap", 60), SPREAD_S) + 15 * SLOW
        got = self.fleet.wait_connected(cns, bound, since_ms=t0)
        timeouts = sum(log_counts(a)["timeouts"] for a in self.fleet.agents)
        hist = fleet.histogram(list(got.values()), t0)
        sys.stderr.write("%d/%d connected, last after %.1f s; %d connection timeouts logged\n%s\n" % (
            len(got), n, (max(got.values()) - t0) / 1000.0 if got else -1, timeouts,
            fleet.histogram_text(hist, n)))
        missing = sorted(cns - set(got))
        if missing:
            self.fail("%d of %d agents not connected within %.0f s (times from the first start):\n%s" % (
                len(missing), n, bound, self.fleet.missing_report(missing, t0)))

    def test_hundred_agents_at_once_short_timeout(self):
        # A cap of 8 s rather than the default 60 s keeps the test short
        # when it fails; a working agent is connected within seconds.
        self.hundred_at_once(**{"reconnect-backoff-cap": 8})

    def test_hundred_agents_busy_broker_short_timeout(self):
        self.hundred_at_once(stall_s=10.0, **{"reconnect-backoff-cap": CAP_S})


if __name__ == "__main__":
    unittest.main(verbosity=2)
