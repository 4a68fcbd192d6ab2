"""fleet: many pxpd processes against one test broker, on loopback.

Used by tests/fleet/run.sh (the figures of issue 13's fleet section) and by
the integration tests test_fleet_reconnect.py and test_connect_faults.py.
Owns a work directory with one sub-directory per agent (config, spool,
logs) and every process it starts; Fleet.close() kills them all, and each
child also gets SIGKILL from the kernel if this process dies first
(PR_SET_PDEATHSIG), so no pxpd outlives a killed runner.

The broker's --connections-log (JSON lines, wall-clock ms) is the one
source of timing: when an agent counts as connected is when the broker
saw its PCP session, as issue 8 item 4 measures it.
"""
import ctypes
import datetime
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.normpath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(TOP, "tests", "integration"))
os.environ.setdefault("CA_SCRIPT", os.path.join(TOP, "tests", "ca", "make-ca.sh"))
import pxpdtest  # noqa: E402

pxpdtest.CA_SCRIPT = os.environ["CA_SCRIPT"]
ISSUE_SCRIPT = os.path.join(TOP, "tests", "ca", "issue-agents.sh")
SLOW = pxpdtest.SLOW

_libc = ctypes.CDLL(None, use_errno=True)
_PR_SET_PDEATHSIG = 1


def _die_with_parent():
    # Runs in the child between fork and exec.
    _libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


def now_ms():
    return time.time() * 1000.0


def agent_name(i):
    return "agent%04d" % i


def agent_certs(n):
    """(ca_dir, agents_dir) with at least n agent certificates, made once
    per CA and kept beside the integration tests' cached CA."""
    import fcntl
    ca = pxpdtest.make_ca()
    agents = ca.rstrip("/") + "-agents"
    last = os.path.join(agents, agent_name(n) + ".pem")
    if not os.path.exists(last):
        with open(agents + ".lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if not os.path.exists(last):
                subprocess.run(["sh", ISSUE_SCRIPT, ca, agents, str(n)], check=True)
    return ca, agents


def proc_status_kb(pid, key):
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def proc_pss_kb(pid):
    try:
        with open("/proc/%d/smaps_rollup" % pid) as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def proc_cpu_s(pid):
    """utime + stime of pid, in seconds (0 when it is gone)."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


def listen_port():
    """A free port below the ephemeral range. The broker is killed and
    started again on its port while agents keep dialling it; a port from
    the ephemeral range could meanwhile be the source port of one of
    their attempts (even a self-connected one) and the restart would fail
    with EADDRINUSE."""
    import random
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            low = int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        low = 32768
    low = min(low, 32768)
    for _ in range(200):
        port = random.randint(max(1024, low // 2), low - 1)
        s = socket.socket()
        try:
            s.bind(("127.0.0.1", port))
            return port
        except OSError:
            continue
        finally:
            s.close()
    return pxpdtest.free_port()


def spawn(args, out_path):
    """Starts args with stdout/stderr to out_path; the parent keeps no fd
    of it (1,000 agents would otherwise cost 1,000 fds here)."""
    with open(out_path, "ab") as out:
        return subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, close_fds=True,
                                preexec_fn=_die_with_parent)


class ConnLog:
    """Reads the broker's --connections-log incrementally."""

    def __init__(self, path):
        self.path = path
        self.off = 0
        self.partial = b""
        self.events = []

    def poll(self):
        try:
            with open(self.path, "rb") as f:
                f.seek(self.off)
                data = f.read()
        except FileNotFoundError:
            return []
        self.off += len(data)
        data = self.partial + data
        lines = data.split(b"\n")
        self.partial = lines.pop()
        new = [json.loads(l) for l in lines if l.strip()]
        self.events.extend(new)
        return new


class BrokerExited(RuntimeError):
    pass


class Broker:
    """The test broker with a connections log; start() again after kill()
    reuses the same port."""

    def __init__(self, fleet, port=None, extra=()):
        self.fleet = fleet
        self.port = port or listen_port()
        self.extra = list(extra)
        self.p = None
        self.up_t = None        # broker's own "listening" time (ms)

    def start(self, timeout=10.0, tries=5):
        """Starts the broker and waits for its "listening" line; a broker
        that exits at once (its port still busy) is tried again."""
        for i in range(tries):
            try:
                return self._start(timeout)
            except BrokerExited:
                if i == tries - 1:
                    raise
                time.sleep(0.5)

    def _start(self, timeout):
        f = self.fleet
        args = [f.broker_bin, "--port", str(self.port), "--host", "127.0.0.1",
                "--cert", os.path.join(f.ca, "broker.pem"),
                "--key", os.path.join(f.ca, "broker_key.pem"),
                "--ca", os.path.join(f.ca, "ca.pem"),
                "--crl", os.path.join(f.ca, "crl.pem"),
                "--log-level", "0",
                "--connections-log", f.conn_log.path] + self.extra
        self.p = spawn(args, os.path.join(f.dir, "broker.out"))
        end = time.monotonic() + timeout * SLOW
        while time.monotonic() < end:
            for ev in f.poll():
                if ev.get("event") == "listening" and ev.get("pid") == self.p.pid:
                    self.up_t = ev["t"]
                    self.fd_limit = ev.get("fd_limit")
                    return self
            if self.p.poll() is not None:
                raise BrokerExited("broker exited %d:\n%s" % (self.p.returncode, f.tail("broker.out")))
            time.sleep(0.02)
        raise RuntimeError("broker did not start listening on %d" % self.port)

    def kill(self, sig=signal.SIGKILL):
        if self.p is not None and self.p.poll() is None:
            self.p.send_signal(sig)
            self.p.wait()

    def alive(self):
        return self.p is not None and self.p.poll() is None

    def uri(self, version=1):
        return "wss://localhost:%d/%s/" % (self.port, "pcp" if version == 1 else "pcp2")


class Agent:
    def __init__(self, fleet, i, dirname):
        self.i = i
        self.name = agent_name(i)
        self.cn = self.name + ".example"
        self.dir = dirname
        self.conf = os.path.join(dirname, "pxpd.conf")
        self.log = os.path.join(dirname, "pxpd.log")
        self.p = None

    def log_tail(self, n=2000):
        try:
            with open(self.log, errors="replace") as f:
                return f.read()[-n:]
        except FileNotFoundError:
            return ""

    def attempt_before(self, t_ms):
        """Wall-clock time (ms) of this agent's last connection attempt
        started at or before t_ms (its "connecting to ... at <address>"
        log line): when the connection that succeeded reached the
        broker's listen queue. None when the log has no such line."""
        best = None
        for line in self.log_tail(10 ** 7).splitlines():
            if "[conn] connecting to " not in line or " at " not in line.split("[conn]", 1)[1]:
                continue
            try:
                ts = datetime.datetime.strptime(line.split(" ", 1)[0], "%Y-%m-%dT%H:%M:%S.%fZ")
            except ValueError:
                continue
            ms = ts.replace(tzinfo=datetime.timezone.utc).timestamp() * 1000.0
            if ms <= t_ms + 1.0:
                best = ms
        return best

    def conn_log_tail(self, lines=12):
        """The last lines about the connection (and any error): what a
        failure message needs to show why an agent is not connected."""
        keep = [l for l in self.log_tail(10 ** 7).splitlines()
                if "[conn]" in l or " ERROR " in l or " FATAL " in l]
        return "\n".join("    " + l for l in keep[-lines:])


class Fleet:
    """n agents (agent0001..) with their own dirs under one work dir."""

    def __init__(self, n, workdir=None, pxpd=None, broker_bin=None, version=1,
                 loglevel="info", keep=False):
        self.n = n
        self.ca, self.agents_dir = agent_certs(n)
        self.pxpd = pxpd or pxpdtest.PXPD
        self.broker_bin = broker_bin or pxpdtest.BROKER
        self.version = version
        self.loglevel = loglevel
        self.keep = keep
        self.dir = workdir or tempfile.mkdtemp(prefix="pxpd-fleet-")
        os.makedirs(self.dir, exist_ok=True)
        self.modules = os.path.join(self.dir, "modules")
        os.makedirs(self.modules, exist_ok=True)
        self.conn_log = ConnLog(os.path.join(self.dir, "connections.log"))
        self.brokers = []
        self.agents = []
        self.connected = {}     # uri -> count of open sessions (broker view)

    # ---- processes ---------------------------------------------------
    def broker(self, **kw):
        b = Broker(self, **kw)
        self.brokers.append(b)
        return b.start()

    def agent_config(self, a, uris, **extra):
        cert = os.path.join(self.agents_dir, a.name + ".pem")
        key = os.path.join(self.agents_dir, a.name + "_key.pem")
        cfg = {
            "broker-ws-uris": uris,
            "pcp-version": str(self.version),
            "ssl-ca-cert": os.path.join(self.ca, "ca.pem"),
            "ssl-cert": cert,
            "ssl-key": key,
            "ssl-crl": os.path.join(self.ca, "crl.pem"),
            "logfile": a.log,
            "loglevel": self.loglevel,
            "spool-dir": os.path.join(a.dir, "spool"),
            "task-cache-dir": os.path.join(a.dir, "tasks-cache"),
            "modules-dir": self.modules,
            "modules-config-dir": os.path.join(a.dir, "modules-config"),
            "pidfile": os.path.join(a.dir, "pxpd.pid"),
        }
        cfg.update(extra)
        with open(a.conf, "w") as f:
            json.dump(cfg, f, indent=1)

    def prepare(self, uris, first=1, count=None, **extra):
        """Writes the configs of agents first..first+count-1 (default: all
        n); extra keys override the defaults (e.g. connection-timeout)."""
        count = self.n if count is None else count
        made = []
        for i in range(first, first + count):
            d = os.path.join(self.dir, agent_name(i))
            os.makedirs(d, exist_ok=True)
            a = Agent(self, i, d)
            self.agent_config(a, uris, **extra)
            self.agents.append(a)
            made.append(a)
        return made

    def start_agents(self, agents=None):
        """Starts the agents (all prepared ones by default); returns the
        wall-clock ms before the first one was started."""
        agents = self.agents if agents is None else agents
        t0 = now_ms()
        for a in agents:
            a.p = spawn([self.pxpd, "--config-file", a.conf, "--foreground"],
                        os.path.join(a.dir, "pxpd.out"))
        return t0

    def pids(self):
        return [a.p.pid for a in self.agents if a.p is not None and a.p.poll() is None]

    def dead_agents(self):
        return [a for a in self.agents if a.p is not None and a.p.poll() is not None]

    def close(self):
        """Kills every process started here (idempotent), then removes the
        work dir unless keep."""
        for a in self.agents:
            if a.p is not None and a.p.poll() is None:
                a.p.kill()
        for b in self.brokers:
            b.kill()
        for a in self.agents:
            if a.p is not None:
                try:
                    a.p.wait(10)
                except subprocess.TimeoutExpired:
                    pass
        if not self.keep:
            shutil.rmtree(self.dir, ignore_errors=True)

    # ---- the broker's view -------------------------------------------
    def poll(self):
        new = self.conn_log.poll()
        for ev in new:
            e = ev.get("event")
            if e == "connected":
                self.connected[ev["uri"]] = self.connected.get(ev["uri"], 0) + 1
            elif e == "closed":
                if self.connected.get(ev["uri"], 0) > 0:
                    self.connected[ev["uri"]] -= 1
            elif e == "listening":
                # A new broker: whatever the old one had is gone.
                self.connected = {}
        return new

    def connected_cns(self):
        pre = "pcp://"
        return {u[len(pre):].split("/", 1)[0] for u, c in self.connected.items()
                if c > 0 and u.startswith(pre) and u.endswith("/agent")}

    def first_connects(self, since_ms, cns=None):
        """cn -> time (ms) of its first "connected" at or after since_ms."""
        first = {}
        for ev in self.conn_log.events:
            if ev.get("event") != "connected" or ev["t"] < since_ms:
                continue
            if cns is not None and ev["cn"] not in cns:
                continue
            first.setdefault(ev["cn"], ev["t"])
        return first

    def wait_connected(self, cns, timeout, since_ms=0.0, progress=None):
        """Waits until every cn in cns has connected at or after since_ms
        and is still connected, or until timeout seconds have passed.
        Returns cn -> time (ms) of its first connect since since_ms, for
        the cns connected now (one that connected and was dropped again
        is missing from it: see why_missing)."""
        cns = set(cns)
        end = time.monotonic() + timeout
        last_report = time.monotonic()
        while True:
            self.poll()
            first = self.first_connects(since_ms, cns)
            now = self.connected_cns()
            got = {cn: t for cn, t in first.items() if cn in now}
            if len(got) == len(cns) or time.monotonic() >= end:
                return got
            if progress and time.monotonic() - last_report >= 5:
                last_report = time.monotonic()
                progress(len(got), len(cns))
            time.sleep(0.05)

    def why_missing(self, cn, since_ms=0.0):
        """What the broker saw of cn since since_ms, for failure messages."""
        seen = ["%s at %+.1f s%s" % (ev["event"], (ev["t"] - since_ms) / 1000.0,
                                     " (%s)" % ev["code"] if "code" in ev else "")
                for ev in self.conn_log.events
                if ev.get("cn") == cn and ev["t"] >= since_ms]
        return "; ".join(seen) if seen else "never seen by the broker"

    def requests_to_all(self, broker, timeout):
        """One echo and one non-blocking `command run` to every agent
        through the broker (two pipelining controllers, one request per
        agent each): how many were answered, the wall time and the
        broker's routed messages per second over it."""
        targets = os.path.join(self.dir, "targets")
        with open(targets, "w") as f:
            for a in self.agents:
                f.write("pcp://%s/agent\n" % a.cn)
        c, k = os.path.join(self.ca, "controller.pem"), os.path.join(self.ca, "controller_key.pem")
        base = [pxpdtest.CONTROLLER, "--broker", "wss://localhost:%d" % broker.port,
                "--cert", c, "--key", k, "--ca", os.path.join(self.ca, "ca.pem"),
                "--pcp-version", str(self.version), "--targets-file", targets,
                "--count", str(self.n), "--pipeline", "--quiet", "--latency",
                "--timeout-ms", str(int(timeout * 1000))]
        runs = [("echo", base + ["--client-type", "fleetecho", "--module", "echo",
                                 "--action", "echo", "--params", '{"argument":"fleet"}']),
                ("command", base + ["--client-type", "fleetcmd", "--module", "command",
                                    "--action", "run", "--params", '{"command":"echo fleet"}',
                                    "--non-blocking", "--transaction-id", "fleet-%d" % os.getpid()])]
        t0 = time.monotonic()
        procs = [(name, subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE))
                 for name, args in runs]
        out = {}
        for name, p in procs:
            so, se = p.communicate(timeout=timeout + 30)
            summary = [json.loads(l) for l in so.decode(errors="replace").splitlines()
                       if l.startswith("{") and '"p50_ms"' in l]
            out[name] = {"rc": p.returncode, "summary": summary[-1] if summary else None,
                         "stderr": se.decode(errors="replace")[-500:]}
        wall = time.monotonic() - t0
        answered = sum((o["summary"] or {}).get("count", 0) for o in out.values())
        # echo: request + response; command: request, provisional, final
        routed = self.n * 2 + self.n * 3
        return {"answered": answered, "sent": 2 * self.n, "wall_s": wall,
                "routed_per_s": routed / wall if wall > 0 else 0.0, "detail": out}

    def memory(self):
        pids = self.pids()
        rss = sum(proc_status_kb(p, "VmRSS") for p in pids)
        pss = sum(proc_pss_kb(p) for p in pids)
        return {"agents": len(pids), "rss_kb": rss, "pss_kb": pss}

    def agent_by_cn(self, cn):
        return next((a for a in self.agents if a.cn == cn), None)

    def missing_report(self, missing, since_ms, detail=2):
        """Per missing cn what the broker saw; the connection log lines of
        the first `detail` of them."""
        out = ["  %s: %s" % (cn, self.why_missing(cn, since_ms)) for cn in missing[:20]]
        if len(missing) > 20:
            out.append("  ... and %d more" % (len(missing) - 20))
        for cn in missing[:detail]:
            a = self.agent_by_cn(cn)
            if a is not None:
                out.append("  pxpd log of %s (connection lines):\n%s" % (a.name, a.conn_log_tail()))
        return "\n".join(out)

    def tail(self, name, n=3000):
        try:
            with open(os.path.join(self.dir, name), errors="replace") as f:
                return f.read()[-n:]
        except FileNotFoundError:
            return ""


# ---- figures -------------------------------------------------------------
def histogram(times_ms, origin_ms):
    """Per-second counts of times relative to origin: [(second, count)],
    every second from 0 to the last one present."""
    if not times_ms:
        return []
    secs = [max(0, int((t - origin_ms) // 1000)) for t in times_ms]
    counts = [0] * (max(secs) + 1)
    for s in secs:
        counts[s] += 1
    return list(enumerate(counts))


def histogram_text(hist, total, width=50):
    lines = []
    top = max((c for _, c in hist), default=0)
    for s, c in hist:
        bar = "#" * (int(round(c * width / top)) if top else 0)
        lines.append("  %7s s %5d %5.1f%% %s" % ("%d-%d" % (s, s + 1), c, 100.0 * c / total if total else 0, bar))
    return "\n".join(lines)


def reconnect_figures(first, n, up_ms):
    """From cn -> reconnect time: how many came back, when the last did
    (s after the broker was up), the per-second histogram and the largest
    share of n in one second."""
    hist = histogram(list(first.values()), up_ms)
    top = max((c for _, c in hist), default=0)
    return {
        "back": len(first),
        "n": n,
        "all_back_s": (max(first.values()) - up_ms) / 1000.0 if len(first) == n and first else None,
        "last_s": (max(first.values()) - up_ms) / 1000.0 if first else None,
        "first_s": (min(first.values()) - up_ms) / 1000.0 if first else None,
        "hist": hist,
        "max_share": top / float(n) if n else 0.0,
        "max_share_second": max(hist, key=lambda sc: sc[1])[0] if hist else None,
    }


# ---- the scenario of tests/fleet/run.sh and test_fleet_reconnect.py -----
def scenario(fleet, connect_timeout=120.0, idle=0.0, down=3.0, reconnect_timeout=90.0,
             config=None, say=print, requests=True):
    """Starts a broker and fleet.n agents, waits until the broker has all
    of them, measures memory, then SIGKILLs the broker, starts it again on
    the same port after `down` seconds and times the reconnections.
    Returns the figures as a dict; raises RuntimeError when the first
    connection does not complete (nothing to measure then)."""
    n = fleet.n
    fig = {"n": n}
    b = fleet.broker()
    fig["broker_fd_limit"] = b.fd_limit
    fleet.prepare([b.uri(fleet.version)], **(config or {}))
    cns = {a.cn for a in fleet.agents}
    say("starting %d pxpd processes (%s)" % (n, fleet.dir))
    t0 = fleet.start_agents()
    fig["spawn_s"] = (now_ms() - t0) / 1000.0
    first = fleet.wait_connected(cns, connect_timeout, since_ms=t0,
                                 progress=lambda k, m: say("  %d/%d connected" % (k, m)))
    if len(first) < n:
        missing = sorted(cns - set(first))
        dead = fleet.dead_agents()
        raise RuntimeError("only %d of %d agents connected within %.0f s (missing: %s%s)%s\n%s" % (
            len(first), n, connect_timeout, ", ".join(missing[:10]), "..." if len(missing) > 10 else "",
            "; %d agents exited" % len(dead) if dead else "",
            fleet.missing_report(missing, t0)))
    fig["all_connected_s"] = (max(first.values()) - t0) / 1000.0
    fig["first_connect_hist"] = histogram(list(first.values()), t0)

    time.sleep(1.0)     # let the last ones settle before measuring
    mem = fleet.memory()
    fig.update({"rss_kb": mem["rss_kb"], "pss_kb": mem["pss_kb"]})
    fig["broker_rss_kb"] = proc_status_kb(b.p.pid, "VmRSS")
    fig["broker_cpu_s"] = proc_cpu_s(b.p.pid)
    if idle > 0:
        pids = fleet.pids()
        c0 = sum(proc_cpu_s(p) for p in pids)
        time.sleep(idle)
        c1 = sum(proc_cpu_s(p) for p in pids)
        # CPU seconds per agent per hour, extrapolated from the window.
        fig["idle_cpu_s_per_agent_hour"] = (c1 - c0) / len(pids) * 3600.0 / idle
        # One clock tick over the whole fleet: below that, nothing shows.
        fig["idle_cpu_resolution"] = 1.0 / os.sysconf("SC_CLK_TCK") / len(pids) * 3600.0 / idle

    if requests:
        say("an echo and a non-blocking command run to each of the %d agents" % n)
        fig["requests"] = fleet.requests_to_all(b, timeout=60 + n / 5.0)

    say("killing the broker (SIGKILL), restarting it in %.0f s" % down)
    b.kill(signal.SIGKILL)
    time.sleep(down)
    b.start()
    up = b.up_t
    back = fleet.wait_connected(cns, reconnect_timeout, since_ms=up,
                                progress=lambda k, m: say("  %d/%d back" % (k, m)))
    fig["reconnect"] = reconnect_figures(back, n, up)
    # The same arrivals as the agents started them: the load the policy
    # offers, free of the broker's own scheduling on a busy machine.
    offered = {}
    for cn, t in back.items():
        a = fleet.agent_by_cn(cn)
        s = a.attempt_before(t) if a else None
        offered[cn] = max(s, up) if s is not None else t
    fig["offered"] = reconnect_figures(offered, n, up)
    if back:
        last = max(back, key=back.get)
        fig["slowest"] = "%s, back at %+.1f s; its connection log:\n%s" % (
            last, (back[last] - up) / 1000.0, fleet.agent_by_cn(last).conn_log_tail(8))
    # The restarted broker's CPU: how much of the wait was TLS work.
    fig["broker_restart_cpu_s"] = proc_cpu_s(b.p.pid)
    fig["broker_restart_wall_s"] = (now_ms() - up) / 1000.0
    fig["missing"] = sorted(cns - set(back))
    fig["missing_report"] = fleet.missing_report(fig["missing"], up) if fig["missing"] else ""
    fig["dead"] = [a.name for a in fleet.dead_agents()]
    fig["reconnect_timeout_s"] = reconnect_timeout
    return fig


def goal_check(fig, goal_s=15.0, goal_share=0.15, broker_slack=0.05):
    """Issue 8 item 4's goal: every agent back within goal_s of the broker
    being up, no second carrying more than goal_share of them. The share
    is judged on the arrivals as the agents started them (the load their
    reconnect policy offers); as the broker saw them, a stall of the
    broker on this 2-core machine bunches up what waited in its listen
    queue, so that view gets broker_slack on top. Returns a list of the
    failures (empty when met)."""
    r = fig["reconnect"]
    o = fig.get("offered", r)
    bad = []
    if r["all_back_s"] is None:
        bad.append("%d of %d agents not back within %.0f s" % (r["n"] - r["back"], r["n"], fig["reconnect_timeout_s"]))
    elif r["all_back_s"] > goal_s:
        bad.append("all back only after %.1f s (goal: %.0f s)" % (r["all_back_s"], goal_s))
    if o["max_share"] > goal_share:
        bad.append("%.0f%% of the agents started the connection that got them back in one second "
                   "(%d-%d s; goal: at most %.0f%%)" % (
                       100 * o["max_share"], o["max_share_second"], o["max_share_second"] + 1, 100 * goal_share))
    if r["max_share"] > goal_share + broker_slack:
        bad.append("the broker saw %.0f%% of the agents come back in one second (%d-%d s; at most %.0f%%)" % (
            100 * r["max_share"], r["max_share_second"], r["max_share_second"] + 1,
            100 * (goal_share + broker_slack)))
    q = fig.get("requests")
    if q and q["answered"] != q["sent"]:
        bad.append("only %d of %d requests to the agents were answered" % (q["answered"], q["sent"]))
    if fig.get("dead"):
        bad.append("%d agents exited: %s" % (len(fig["dead"]), ", ".join(fig["dead"][:10])))
    return bad


def report_text(fig):
    n = fig["n"]
    r = fig["reconnect"]
    out = []
    out.append("agents: %d (broker fd limit %s)" % (n, fig.get("broker_fd_limit")))
    out.append("started in %.2f s; all connected %.2f s after the first start" % (fig["spawn_s"], fig["all_connected_s"]))
    out.append("first connections per second after the first start:")
    out.append(histogram_text(fig["first_connect_hist"], n))
    out.append("memory: sum VmRSS %.1f MB (%.2f MB per agent), sum Pss %.1f MB (%.2f MB per agent)" % (
        fig["rss_kb"] / 1024.0, fig["rss_kb"] / 1024.0 / n, fig["pss_kb"] / 1024.0, fig["pss_kb"] / 1024.0 / n))
    out.append("broker: VmRSS %.1f MB, CPU %.2f s so far" % (fig["broker_rss_kb"] / 1024.0, fig["broker_cpu_s"]))
    if "idle_cpu_s_per_agent_hour" in fig:
        if fig["idle_cpu_s_per_agent_hour"] > 0:
            out.append("idle pxpd CPU: %.3f s per agent per hour" % fig["idle_cpu_s_per_agent_hour"])
        else:
            out.append("idle pxpd CPU: below %.3f s per agent per hour (no clock tick in the window)"
                       % fig["idle_cpu_resolution"])
    if fig.get("requests"):
        q = fig["requests"]
        out.append("requests: %d of %d answered (an echo and a non-blocking command run to each agent) "
                   "in %.2f s; the broker routed %.0f messages/s" % (
                       q["answered"], q["sent"], q["wall_s"], q["routed_per_s"]))
        for name, o in sorted(q["detail"].items()):
            if o["summary"]:
                out.append("  %s: p50 %.1f ms, p99 %.1f ms" % (name, o["summary"].get("p50_ms", 0),
                                                             o["summary"].get("p99_ms", 0)))
            if o["rc"] != 0:
                out.append("  %s: controller exit %d: %s" % (name, o["rc"], o["stderr"]))
    out.append("reconnections per second after the broker was up again (as the broker saw them):")
    out.append(histogram_text(r["hist"], n))
    if r["all_back_s"] is not None:
        out.append("all %d back %.2f s after the broker was up" % (n, r["all_back_s"]))
    else:
        out.append("%d of %d back within %.0f s (last at %s s); missing: %s" % (
            r["back"], n, fig["reconnect_timeout_s"],
            "%.2f" % r["last_s"] if r["last_s"] is not None else "-", ", ".join(fig["missing"][:20])))
        out.append(fig["missing_report"])
    out.append("largest share in one second: %.1f%% (second %s)" % (100 * r["max_share"], r["max_share_second"]))
    if "offered" in fig:
        o = fig["offered"]
        out.append("the same reconnections as the agents started them:")
        out.append(histogram_text(o["hist"], n))
        out.append("largest share in one second, as started: %.1f%% (second %s)" % (
            100 * o["max_share"], o["max_share_second"]))
    if fig.get("slowest"):
        out.append("slowest agent: " + fig["slowest"])
    out.append("restarted broker: CPU %.2f s in its first %.1f s" % (fig["broker_restart_cpu_s"], fig["broker_restart_wall_s"]))
    return "\n".join(out)


def summary_line(fig, goal_failures):
    r = fig["reconnect"]
    n = fig["n"]
    q = fig.get("requests")
    if "idle_cpu_s_per_agent_hour" in fig:
        idle = ("; idle CPU %.3f s/agent/hour" % fig["idle_cpu_s_per_agent_hour"]
                if fig["idle_cpu_s_per_agent_hour"] > 0 else
                "; idle CPU below %.3f s/agent/hour" % fig["idle_cpu_resolution"])
    else:
        idle = ""
    req = idle + (("; %d/%d requests answered in %.1f s (%.0f msg/s through the broker)" % (
        q["answered"], q["sent"], q["wall_s"], q["routed_per_s"])) if q else "")
    return ("fleet N=%d: all connected %.1f s%s; VmRSS sum %.0f MB (%.2f MB/agent), Pss sum %.0f MB (%.2f MB/agent); "
            "broker RSS %.0f MB; broker restart: %s, max %.0f%% in one second (%.0f%% as started); goal 15 s / 15%%: %s" % (
                n, fig["all_connected_s"], req, fig["rss_kb"] / 1024.0, fig["rss_kb"] / 1024.0 / n,
                fig["pss_kb"] / 1024.0, fig["pss_kb"] / 1024.0 / n, fig["broker_rss_kb"] / 1024.0,
                ("first back at %.1f s, " % r["first_s"] if r["first_s"] is not None else "") +
                ("all back in %.1f s" % r["all_back_s"] if r["all_back_s"] is not None
                 else "%d/%d back in %.0f s" % (r["back"], n, fig["reconnect_timeout_s"])),
                100 * r["max_share"], 100 * fig.get("offered", r)["max_share"],
                "met" if not goal_failures else "NOT met"))
