"""chaos: pxpd under faults, with one audit at the end of every run
(issue 13). The real pxpd, test broker, controller and HTTPS file server on
loopback; faults injected from outside:

  pxpd_kills    SIGKILL pxpd at random moments while mixed non-blocking
                actions (commands that succeed, fail, print to stderr,
                tasks from the file server, some long) run; restart it
                each time
  broker_kills  kill the broker and start it again during the actions;
                SIGSTOP it for longer than the keepalive allows
  stall         a TCP proxy between pxpd and the broker that stops
                forwarding without closing (no FIN, no RST): keepalive
                notices within its bound and pxpd reconnects; then one
                that cuts the connection in the middle of a frame
  enospc        the spool on a small tmpfs that fills up mid-run
  clock         the wall clock jumps back and forth (libfaketime)

The audit (Run.audit): every accepted transaction has exactly one final
status in the spool, matching the exit code its command was written to
end with; its final response reached the controller exactly once when the
controller stayed connected (at most once, and a status query tells the
rest, when the broker went away under it); nothing of the run is still
running; no metadata file is empty or invalid.

tests/chaos/run.sh is the command; test_chaos.py the short form in the
test command."""
import json
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
from fileserver import FileServer  # noqa: E402
import pxpdtest  # noqa: E402
from pxpdtest import SLOW, wait_for  # noqa: E402

FINAL = "rpc_non_blocking_response"


def of_type(lines, t):
    return [l for l in lines if l.get("message_type") == t]


class Kind:
    """One sort of action: its params, how many, and what it must end as."""

    def __init__(self, name, module, params, exitcode, count):
        self.name, self.module, self.params = name, module, params
        self.exitcode, self.count = exitcode, count


class Run:
    """One chaos run: a test dir, a broker, pxpd, controllers, an audit."""

    def __init__(self, name, say=None, proxy=False, spool_dir=None, pxpd_env=None, **cfg):
        self.env = pxpdtest.Env("chaos-" + name)
        self.say = say or (lambda s: sys.stderr.write(s + "\n"))
        self.marker = "chaos%d" % os.getpid()
        self.b = self.env.broker()
        self.proxy = Proxy(self.b.port) if proxy else None
        uri = "wss://localhost:%d/pcp2/" % (self.proxy.port if proxy else self.b.port)
        self.fs = FileServer(self.env)
        conf = {"master-uris": [self.fs.uri], "reconnect-backoff-cap": 1,
                "max-concurrent-actions": 8, "max-queued-actions": 1000}
        if spool_dir:
            conf["spool-dir"] = spool_dir
        conf.update(cfg)
        self.conf = self.env.config([uri], version=2, **conf)
        with open(self.conf) as f:
            self.spool_dir = json.load(f)["spool-dir"]
        self.pxpd_env = pxpd_env
        self.agent = None
        self.batches = []       # (controller process, [tids], kind)
        self.n_connected = 0
        self.start_pxpd()

    # ---- processes ---------------------------------------------------
    def start_pxpd(self):
        self.agent = self.env.pxpd(self.conf, env=self.pxpd_env)
        self.n_connected += 1
        self.env.wait_log("connected to", timeout=30 * SLOW, count=self.n_connected)

    def kill_pxpd(self):
        self.agent.stop(signal.SIGKILL)

    def restart_broker(self, down=1.0):
        self.b.stop(signal.SIGKILL)
        time.sleep(down)
        port = self.b.port
        self.b = self.env.broker(port=port)

    def close(self, keep=False):
        if self.proxy:
            self.proxy.close()
        self.fs.stop()
        self.env.cleanup(keep=keep)

    # ---- actions -----------------------------------------------------
    def kinds(self, n, long_s=0):
        """n actions in a mix of kinds; long_s > 0 adds a few that run
        that long."""
        m = self.marker
        task = self.fs.file_obj("chaos.sh", "chaosmod/chaos.sh",
                                "#!/bin/sh\n# %s\nsleep 0.3\necho task-ran\nexit 0\n" % m)
        ks = [
            Kind("ok", "command", {"command": "sleep 0.4; echo ok # %s" % m}, 0, 0),
            Kind("fail", "command", {"command": "sleep 0.2; echo no >&2; exit 3 # %s" % m}, 3, 0),
            Kind("out", "command", {"command": "i=0; while [ $i -lt 200 ]; do echo line $i; i=$((i+1)); done; sleep 0.3 # %s" % m}, 0, 0),
            Kind("task", "task", {"task": "chaosmod::chaos", "input": {"who": m}, "files": [task]}, 0, 0),
        ]
        if long_s:
            ks.append(Kind("long", "command", {"command": "sleep %d; echo long # %s" % (long_s, m)}, 0, 0))
        per = n // len(ks)
        for k in ks:
            k.count = per
        ks[0].count += n - per * len(ks)
        if long_s:
            ks[-1].count = max(1, n // 40)
            ks[0].count += per - ks[-1].count
        return ks

    def send(self, kinds, batch, timeout_s):
        """Starts one pipelining controller per kind (each its own client
        type, so its own URI); returns the transaction ids sent."""
        sent = []
        for k in kinds:
            if k.count == 0:
                continue
            prefix = "%s-%s-%d" % (self.marker, k.name, batch)
            # (the controller numbers ids only when it sends several)
            tids = ["%s-%d" % (prefix, i) for i in range(k.count)] if k.count > 1 else [prefix]
            p = self.env.controller_bg(
                self.b, version=2, module=k.module, action="run", params=k.params,
                timeout_ms=int(timeout_s * 1000),
                extra=["--non-blocking", "--count", str(k.count), "--pipeline",
                       "--transaction-id", prefix, "--notify-outcome", "true",
                       "--client-type", "ctl%s%d" % (k.name, batch)])
            self.batches.append((p, tids, k))
            sent += tids
        return sent

    def accepted(self, tids):
        """How many of tids pxpd has taken (a spool entry)."""
        return sum(os.path.isdir(os.path.join(self.spool_dir, t)) for t in tids)

    def finals(self, timeout_s):
        """Waits for the controllers; tid -> [final responses], and the
        error replies."""
        got, errors = {}, []
        end = time.monotonic() + timeout_s
        for p, tids, k in self.batches:
            left = max(1.0, end - time.monotonic())
            try:
                rc, lines = self.env.controller_wait(p, timeout=left / SLOW)
            except subprocess.TimeoutExpired:
                p.kill()
                rc, lines = self.env.controller_wait(p)
            for t in tids:
                got.setdefault(t, [])
            for l in of_type(lines, FINAL):
                got.setdefault(l["data"]["transaction_id"], []).append(l)
            errors += of_type(lines, "rpc_error_message")
        return got, errors

    def status_query(self, tid):
        rc, lines, _ = self.env.controller(
            self.b, version=2, module="status", action="query",
            params={"transaction_id": tid}, check=False, timeout_ms=10000)
        r = [l for l in lines if l.get("message_type") == "rpc_blocking_response"]
        return r[0]["data"]["results"] if r else None

    def echo_ok(self):
        rc, lines, _ = self.env.controller(self.b, version=2, params={"argument": "alive"},
                                           check=False, timeout_ms=15000)
        return rc == 0 and any(l.get("message_type") == "rpc_blocking_response" for l in lines)

    # ---- the audit ---------------------------------------------------
    def audit(self, got, errors, delivery="exactly"):
        """The checks every run ends with; returns a list of failures.
        delivery "exactly": each final response reached the controller
        once; "at-most": never twice, and a status query answers the
        missing ones with the right outcome."""
        bad = []
        kind_of = {}
        for p, tids, k in self.batches:
            for t in tids:
                kind_of[t] = k
        for t, k in sorted(kind_of.items()):
            d = os.path.join(self.spool_dir, t)
            if not os.path.isdir(d):
                bad.append("%s: accepted but not in the spool" % t)
                continue
            meta = self._json(os.path.join(d, "metadata"), bad, t)
            if meta is None:
                continue
            if meta.get("status") not in ("success", "failure"):
                bad.append("%s: final status %r in the spool" % (t, meta.get("status")))
            ec = self._read(os.path.join(d, "exitcode"))
            if ec is None or ec.strip() != str(k.exitcode):
                bad.append("%s: exitcode file %r, its command ends with %d" % (t, ec, k.exitcode))
            if os.path.exists(os.path.join(d, "queued")):
                bad.append("%s: still marked queued" % t)
            n = len(got.get(t, []))
            if n > 1:
                bad.append("%s: %d final responses reached the controller" % (t, n))
            elif n == 1:
                res = got[t][0]["data"].get("results") or {}
                if res.get("exitcode") != k.exitcode:
                    bad.append("%s: final response exitcode %r, expected %d" % (t, res.get("exitcode"), k.exitcode))
            elif delivery == "exactly":
                bad.append("%s: no final response reached the controller" % t)
            else:
                q = self.status_query(t)
                if not q or q.get("status") not in ("success", "failure") or q.get("exitcode") != k.exitcode:
                    bad.append("%s: no final response, and status query says %r" % (t, q))
        for e in errors:
            bad.append("error reply: %s" % json.dumps(e.get("data"))[:300])
        # no metadata file anywhere is empty or invalid
        for t in os.listdir(self.spool_dir) if os.path.isdir(self.spool_dir) else []:
            m = os.path.join(self.spool_dir, t, "metadata")
            if os.path.exists(m) and t not in kind_of:
                self._json(m, bad, t)
        # nothing of the run is still running
        left = self.running()
        if left:
            bad.append("still running: %s" % "; ".join(left[:5]))
        return bad

    def running(self):
        left = []
        for pid in os.listdir("/proc"):
            if not pid.isdigit():
                continue
            try:
                with open("/proc/%s/cmdline" % pid, "rb") as f:
                    cmd = f.read().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            if self.marker in cmd and "chaos.py" not in cmd and "run.sh" not in cmd:
                left.append("%s %s" % (pid, cmd[:120]))
        return left

    @staticmethod
    def _read(path):
        try:
            with open(path, errors="replace") as f:
                return f.read()
        except OSError:
            return None

    def _json(self, path, bad, t):
        text = self._read(path)
        if text is None:
            bad.append("%s: no metadata file" % t)
            return None
        if not text.strip():
            bad.append("%s: empty metadata file" % t)
            return None
        try:
            return json.loads(text)
        except ValueError:
            bad.append("%s: invalid metadata file: %r" % (t, text[:120]))
            return None


# ---- a TCP proxy that can stall or cut --------------------------------
class Proxy:
    """localhost:port -> 127.0.0.1:target. mode "pass" forwards; "stall"
    stops forwarding on every open connection and keeps it open (no FIN,
    no RST); "cut" forwards at most cut_after more bytes from the broker
    to pxpd, then closes both sides. New connections always pass."""

    def __init__(self, target):
        self.target = target
        self.ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.port = pxpdtest.free_port()
        self.ls.bind(("127.0.0.1", self.port))
        self.ls.listen(64)
        self.lock = threading.Lock()
        self.conns = []         # [client, upstream, state dict]
        self.closed = False
        self.accepted = 0
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while not self.closed:
            try:
                c, _ = self.ls.accept()
            except OSError:
                return
            try:
                u = socket.create_connection(("127.0.0.1", self.target))
            except OSError:
                c.close()
                continue
            st = {"mode": "pass", "budget": 0}
            with self.lock:
                self.conns.append((c, u, st))
                self.accepted += 1
            threading.Thread(target=self._pump, args=(c, u, st, False), daemon=True).start()
            threading.Thread(target=self._pump, args=(u, c, st, True), daemon=True).start()

    def _pump(self, src, dst, st, downstream):
        while True:
            try:
                data = src.recv(65536)
            except OSError:
                data = b""
            while st["mode"] == "stall" and not self.closed:
                time.sleep(0.05)
            if not data:
                self._shut(src, dst)
                return
            if st["mode"] == "cut" and downstream:
                part = data[:st["budget"]]
                st["budget"] -= len(part)
                try:
                    dst.sendall(part)
                except OSError:
                    pass
                if st["budget"] <= 0:
                    self._shut(src, dst)
                    return
                continue
            try:
                dst.sendall(data)
            except OSError:
                self._shut(src, dst)
                return

    @staticmethod
    def _shut(a, b):
        for s in (a, b):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            try:
                s.close()
            except OSError:
                pass

    def set_mode(self, mode, cut_after=0):
        with self.lock:
            for c, u, st in self.conns:
                st["budget"] = cut_after
                st["mode"] = mode

    def close(self):
        self.closed = True
        self.set_mode("pass")
        try:
            self.ls.close()
        except OSError:
            pass
        with self.lock:
            for c, u, st in self.conns:
                self._shut(c, u)


# ---- the scenarios -------------------------------------------------------
def pxpd_kills(n_actions=200, kills=20, long_s=30, seed=None, say=None, keep=False):
    """SIGKILL pxpd `kills` times at random moments while n_actions mixed
    non-blocking actions run (sent in `kills` batches); every final
    response reaches the controller exactly once."""
    rnd = random.Random(seed)
    r = Run("pxpd-kills", say=say)
    try:
        kinds_all = r.kinds(n_actions, long_s)
        per_batch = max(1, kills)
        sent = []
        for b in range(per_batch):
            ks = []
            for k in kinds_all:
                c = k.count // per_batch + (1 if b < k.count % per_batch else 0)
                ks.append(Kind(k.name, k.module, k.params, k.exitcode, c))
            tids = r.send(ks, b, timeout_s=(120 + 3 * long_s + 15 * kills) * SLOW)
            sent += tids
            # all of this batch taken (else a kill could drop a request
            # that was never accepted, which the audit cannot tell)
            wait_for(lambda: r.accepted(tids) == len(tids), 30 * SLOW,
                     what="batch %d accepted" % b)
            time.sleep(rnd.uniform(0.0, 1.5))
            r.kill_pxpd()
            r.say("  kill %d/%d: %d of %d actions sent" % (b + 1, kills, len(sent), n_actions))
            r.start_pxpd()
        got, errors = r.finals((90 + 2 * long_s) * SLOW)
        bad = r.audit(got, errors, delivery="exactly")
        if not r.echo_ok():
            bad.append("no echo answer at the end")
        return {"scenario": "pxpd_kills", "actions": len(sent), "kills": kills,
                "finals": sum(len(v) for v in got.values()), "bad": bad}
    finally:
        r.close(keep)


def broker_kills(n_actions=200, kills=5, stop_s=0, seed=None, say=None, keep=False):
    """Kills and restarts the broker `kills` times while the actions run
    (controllers lose their connection with it: a final response reaches
    them at most once, and a status query answers for the rest); then,
    when stop_s > 0, SIGSTOPs the broker for stop_s seconds (beyond the
    keepalive bound) and checks that pxpd comes back."""
    rnd = random.Random(seed)
    r = Run("broker-kills", say=say, **{"ping-interval": 6, "allowed-keepalive-timeouts": 1})
    try:
        kinds = r.kinds(n_actions)
        tids = r.send(kinds, 0, timeout_s=60 * SLOW)
        wait_for(lambda: r.accepted(tids) == len(tids), 30 * SLOW, what="all accepted")
        for i in range(kills):
            time.sleep(rnd.uniform(0.2, 1.5))
            r.restart_broker(down=rnd.uniform(0.2, 2.0))
            r.say("  broker restart %d/%d" % (i + 1, kills))
        wait_for(lambda: all(os.path.exists(os.path.join(r.spool_dir, t, "exitcode")) for t in tids),
                 90 * SLOW, what="every action ended")
        wait_for(r.echo_ok, 30 * SLOW, step=0.5, what="pxpd answers after the broker restarts")
        fig = {"scenario": "broker_kills", "actions": len(tids), "kills": kills}
        if stop_s:
            before = r.env.pxpd_log().count("connected to")
            r.b.kill(signal.SIGSTOP)
            time.sleep(stop_s)
            r.b.kill(signal.SIGCONT)
            t0 = time.monotonic()
            wait_for(r.echo_ok, 60 * SLOW, step=0.5, what="pxpd answers after the broker was stopped")
            fig["stop_s"] = stop_s
            fig["reconnected_after_stop"] = r.env.pxpd_log().count("connected to") > before
            fig["answer_after_cont_s"] = round(time.monotonic() - t0, 1)
        got, errors = r.finals(30 * SLOW)
        fig["finals"] = sum(len(v) for v in got.values())
        fig["bad"] = r.audit(got, [e for e in errors if "not connected" not in json.dumps(e)],
                             delivery="at-most")
        return fig
    finally:
        r.close(keep)


def stall(ping=6, timeouts=1, say=None, keep=False):
    """Through a proxy: stall (no FIN, no RST) and see keepalive end the
    connection within its bound, then a cut mid-frame; pxpd reconnects
    and answers each time."""
    r = Run("stall", proxy=True, say=say,
            **{"ping-interval": ping, "allowed-keepalive-timeouts": timeouts})
    try:
        # The last ping before the stall can be up to one interval old;
        # timeouts + 1 pings then go unanswered (5 s each), the close
        # frame gets 2 s, the reconnect waits up to reconnect-spread (1 s).
        bound = ping * (timeouts + 1) + 5 + 2 + 1 + 2
        bad = []
        if not r.echo_ok():
            bad.append("no echo through the proxy")
        n0 = r.proxy.accepted
        t0 = time.monotonic()
        r.proxy.set_mode("stall")
        try:
            wait_for(lambda: r.proxy.accepted > n0, bound * SLOW, step=0.2,
                     what="a new connection after the stall")
            noticed = time.monotonic() - t0
        except AssertionError:
            noticed = None
            bad.append("pxpd did not reconnect within %d s of a stalled connection" % bound)
        if noticed is not None:
            wait_for(lambda: r.env.pxpd_log().count("connected to") >= 2, 15 * SLOW,
                     what="connected again after the stall")
            if not r.echo_ok():
                bad.append("no echo after the stall")
        # cut mid-frame: a 64 KiB echo whose reply the proxy cuts after
        # 1000 bytes
        n1 = r.proxy.accepted
        r.proxy.set_mode("cut", cut_after=1000)
        r.env.controller(r.b, version=2, params={"argument": "x" * 65536},
                         check=False, timeout_ms=5000)
        r.proxy.set_mode("pass")
        try:
            wait_for(lambda: r.proxy.accepted > n1, 30 * SLOW, step=0.2,
                     what="a new connection after the cut")
        except AssertionError:
            bad.append("pxpd did not reconnect after a cut mid-frame")
        wait_for(r.echo_ok, 30 * SLOW, step=0.5, what="an echo after the cut")
        if r.agent.p.poll() is not None:
            bad.append("pxpd exited")
        return {"scenario": "stall", "keepalive_bound_s": bound,
                "stall_noticed_s": round(noticed, 1) if noticed is not None else None, "bad": bad}
    finally:
        r.close(keep)


def enospc(n_actions=20, size_kb=1024, say=None, keep=False):
    """The spool on a tmpfs of size_kb that a filler file fills up while
    actions run, then frees: pxpd stays up, every request gets an answer
    (a clear error while the disk is full), nothing in the spool is
    corrupt, and once there is room again actions run as before."""
    say = say or (lambda s: sys.stderr.write(s + "\n"))
    env_dir = pxpdtest.tempfile.mkdtemp(prefix="pxpd-chaos-tmpfs-")
    mnt = os.path.join(env_dir, "fs")
    os.makedirs(mnt)
    rc = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=%dk,mode=0700" % size_kb,
                         "tmpfs", mnt], capture_output=True, text=True)
    if rc.returncode != 0:
        raise RuntimeError("enospc: cannot mount a tmpfs (%s); this scenario needs root"
                           % rc.stderr.strip())
    r = None
    try:
        r = Run("enospc", say=say, spool_dir=os.path.join(mnt, "spool"))
        bad = []
        m = r.marker
        # room: a first batch runs as usual
        ok1 = r.send([Kind("before", "command", {"command": "echo before # %s" % m}, 0, n_actions // 2)],
                     0, timeout_s=60 * SLOW)
        got, errors = r.finals(60 * SLOW)
        bad += ["before: %s" % b for b in r.audit(got, errors)]
        r.batches = []
        # full
        filler = os.path.join(mnt, "filler")
        with open(filler, "wb") as f:
            try:
                while True:
                    f.write(b"\0" * 65536)
                    f.flush()
            except OSError:
                pass
        full = r.send([Kind("full", "command",
                            {"command": "i=0; while [ $i -lt 2000 ]; do echo full $i; i=$((i+1)); done # %s" % m},
                            0, n_actions)], 1, timeout_s=30 * SLOW)
        p, tids, k = r.batches[0]
        rc_, lines = r.env.controller_wait(p, timeout=60)
        answered = {l["data"].get("transaction_id") for l in lines if isinstance(l.get("data"), dict)}
        errs = [l for l in lines if "error" in l.get("message_type", "")]
        say("  full: %d requests, %d answered, %d errors, first: %s" % (
            len(tids), len(answered), len(errs), json.dumps(errs[0]["data"])[:200] if errs else "-"))
        if r.agent.p.poll() is not None:
            bad.append("pxpd exited while the spool was full: %s" % r.env.pxpd_log()[-1500:])
            return {"scenario": "enospc", "bad": bad}
        if not r.echo_ok():
            bad.append("no echo answer while the spool is full")
        log = r.env.pxpd_log()
        if "No space left on device" not in log:
            bad.append("no log line says the disk is full")
        # every spool entry is whole (or absent)
        for t in os.listdir(r.spool_dir):
            mp = os.path.join(r.spool_dir, t, "metadata")
            if os.path.exists(mp):
                r._json(mp, bad, t)
        # filled up mid-run: accepted with room, the disk fills while
        # they write their output; each still ends with one final answer
        os.unlink(filler)
        r.batches = []
        mid = r.send([Kind("mid", "command",
                           {"command": "sleep 1; i=0; while [ $i -lt 3000 ]; do echo mid $i; i=$((i+1)); done # %s" % m},
                           0, n_actions // 2)], 3, timeout_s=60 * SLOW)
        wait_for(lambda: r.accepted(mid) == len(mid), 30 * SLOW, what="mid batch accepted")
        with open(filler, "wb") as f:
            try:
                while True:
                    f.write(b"\0" * 65536)
                    f.flush()
            except OSError:
                pass
        got, errors = r.finals(60 * SLOW)
        n_final = sum(1 for t in mid if len(got.get(t, [])) == 1)
        dup = [t for t in mid if len(got.get(t, [])) > 1]
        say("  mid: %d accepted, %d with one final response, %d error replies, first: %s" % (
            len(mid), n_final, len(errors), json.dumps(errors[0]["data"])[:200] if errors else "-"))
        finals_by = {t: got.get(t, []) for t in mid}
        for t in mid:
            if len(finals_by[t]) + sum(1 for e in errors if e["data"].get("transaction_id") == t) != 1:
                bad.append("mid: %s got %d final responses and %d errors" % (
                    t, len(finals_by[t]), sum(1 for e in errors if e["data"].get("transaction_id") == t)))
        if dup:
            bad.append("mid: duplicates for %s" % dup[:3])
        for t in os.listdir(r.spool_dir):
            mp = os.path.join(r.spool_dir, t, "metadata")
            if os.path.exists(mp):
                r._json(mp, bad, t)
        if r.agent.p.poll() is not None:
            bad.append("pxpd exited when the spool filled up mid-run")
        # room again
        os.unlink(filler)
        r.batches = []
        ok2 = r.send([Kind("after", "command", {"command": "echo after # %s" % m}, 0, n_actions // 2)],
                     2, timeout_s=60 * SLOW)
        got, errors = r.finals(60 * SLOW)
        bad += ["after: %s" % b for b in r.audit(got, errors)]
        return {"scenario": "enospc", "before": len(ok1), "full": len(full),
                "full_answered": len(answered), "full_errors": len(errs), "mid": len(mid),
                "mid_finals": n_final, "after": len(ok2), "bad": bad}
    finally:
        if r is not None:
            r.close(keep)
        subprocess.run(["umount", "-l", mnt])
        if not keep:
            pxpdtest.shutil.rmtree(env_dir, ignore_errors=True)


FAKETIME_LIBS = ["/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1",
                 "/usr/lib/aarch64-linux-gnu/faketime/libfaketime.so.1"]


def clock(n_actions=8, jump="+1d", say=None, keep=False):
    """The wall clock of pxpd (and of what it runs) jumps forward by
    `jump`, then back by as much, while actions run (libfaketime, with
    the monotonic clock left alone): the actions end as they should,
    nothing times out or waits for the wall clock, keepalive does not
    drop the connection, and a broker restart after each jump is
    followed by a reconnect as quick as without one. The certificates
    stay valid: the jumps never go before now."""
    say = say or (lambda s: sys.stderr.write(s + "\n"))
    lib = next((l for l in FAKETIME_LIBS if os.path.exists(l)), None)
    if lib is None:
        raise RuntimeError("clock: libfaketime is not installed (tests/setup-deps.sh installs it)")
    tsdir = pxpdtest.tempfile.mkdtemp(prefix="pxpd-chaos-clock-")
    tsfile = os.path.join(tsdir, "faketime")
    with open(tsfile, "w") as f:
        f.write("+0\n")
    env = {"LD_PRELOAD": lib, "FAKETIME_TIMESTAMP_FILE": tsfile, "FAKETIME_NO_CACHE": "1",
           "FAKETIME_DONT_FAKE_MONOTONIC": "1", "FAKETIME_DONT_RESET": "1",
           # the ASan build: libfaketime comes before ASan's runtime
           "ASAN_OPTIONS": ":".join(filter(None, [os.environ.get("ASAN_OPTIONS"),
                                                  "verify_asan_link_order=0"]))}
    if os.environ.get("PXPD_WRAP"):
        raise RuntimeError("clock: not under a wrapper (valgrind and libfaketime both preload)")
    r = Run("clock", say=say, pxpd_env=env, **{"ping-interval": 6, "allowed-keepalive-timeouts": 0})
    bad = []
    figs = {}
    try:
        m = r.marker
        for step, offset in enumerate([jump, "+0"]):
            r.batches = []
            tids = r.send([Kind("clk", "command", {"command": "sleep 2; echo clk # %s" % m}, 0, n_actions)],
                          step, timeout_s=60 * SLOW)
            wait_for(lambda: r.accepted(tids) == len(tids), 30 * SLOW, what="accepted")
            time.sleep(0.5)
            with open(tsfile, "w") as f:
                f.write(offset + "\n")
            t0 = time.monotonic()
            got, errors = r.finals(60 * SLOW)
            took = time.monotonic() - t0
            bad += ["jump %s: %s" % (offset, b) for b in r.audit(got, errors)]
            if took > 6 * SLOW:
                bad.append("jump %s: 2 s actions took %.1f s more to end" % (offset, took))
            # a keepalive interval and more with the jumped clock: still
            # the same connection
            n = r.env.pxpd_log().count("connected to")
            time.sleep(7)
            if r.env.pxpd_log().count("connected to") != n or not r.echo_ok():
                bad.append("jump %s: the connection was dropped or does not answer" % offset)
            # the broker restarts: reconnect within the usual bound
            r.restart_broker(down=0.5)
            t1 = time.monotonic()
            try:
                wait_for(r.echo_ok, 20 * SLOW, step=0.3, what="reconnect")
                figs["reconnect_s_after_%s" % offset] = round(time.monotonic() - t1, 1)
            except AssertionError:
                bad.append("jump %s: no answer within 20 s of a broker restart" % offset)
        if r.agent.p.poll() is not None:
            bad.append("pxpd exited")
        figs.update({"scenario": "clock", "jump": jump, "bad": bad})
        return figs
    finally:
        r.close(keep)
        if not keep:
            pxpdtest.shutil.rmtree(tsdir, ignore_errors=True)
