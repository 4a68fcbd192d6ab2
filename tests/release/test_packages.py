"""test_packages: the .deb and .rpm of a release build (tests/release/run.sh).

* contents: every path, its mode and owner (dpkg-deb -c, rpm -qlvp), the
  conffiles and %config files, the maintainer scripts;
* lintian: no error or warning beyond packaging/deb/lintian-overrides;
* the .deb's life in a throwaway root that holds nothing but Debian's
  busybox-static (no C library, no systemd, no NSS): installed with
  dpkg --root, the packaged pxpd run chrooted in it with its packaged
  config (only the broker and the certificates changed), connecting to the
  test broker by a name only that root's /etc/hosts knows; upgraded to a
  newer package over the running pxpd with an action in flight, restarted
  by the postinst's try-restart (SIGTERM to pxpd alone, then the new
  binary started), the action adopted and its result delivered once; then
  removed (conffile kept) and purged (all gone);
* the .rpm's scriptlets in a throwaway root too: install, upgrade, erase;
* in both roots a stand-in for systemctl and deb-systemd-invoke (and
  /run/systemd/system) records what the maintainer scripts ask of systemd:
  a daemon-reload only on a first install, try-restart once the new binary
  is in place on an upgrade (with pxpd still running through the unpack),
  stop on removal. Its try-restart sends pxpd the SIGTERM systemd sends
  under KillMode=process; the test starts the new pxpd.

Env: RELEASE_DIR (a -DPXPD_RELEASE=ON build), BROKER_BIN, CONTROLLER_BIN,
CA_SCRIPT (as for tests/integration).
"""
import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
import pxpdtest  # noqa: E402
from pxpdtest import Env, Proc, wait_for  # noqa: E402

RELEASE = os.path.abspath(os.environ.get("RELEASE_DIR", "build-release"))
SRC = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
BUSYBOX = "/bin/busybox"
BROKER_NAME = "broker.example"   # a SAN of the test broker's certificate

# path: (type and mode as ls shows it, owner); directories end in '/'.
# A file not listed here, or listed and missing, fails the test.
DEB_CONTENTS = {
    "./etc/": ("drwxr-xr-x", "root/root"),
    "./etc/default/": ("drwxr-xr-x", "root/root"),
    "./etc/default/pxpd": ("-rw-r--r--", "root/root"),
    "./etc/logrotate.d/": ("drwxr-xr-x", "root/root"),
    "./etc/logrotate.d/pxpd": ("-rw-r--r--", "root/root"),
    "./etc/pxpd/": ("drwxr-xr-x", "root/root"),
    "./etc/pxpd/modules/": ("drwxr-xr-x", "root/root"),
    "./etc/pxpd/pxpd.conf": ("-rw-r--r--", "root/root"),
    "./usr/": ("drwxr-xr-x", "root/root"),
    "./usr/lib/": ("drwxr-xr-x", "root/root"),
    "./usr/lib/pxpd/": ("drwxr-xr-x", "root/root"),
    "./usr/lib/pxpd/modules/": ("drwxr-xr-x", "root/root"),
    "./usr/lib/pxpd/modules/pxp-module-puppet": ("-rwxr-xr-x", "root/root"),
    "./usr/lib/systemd/": ("drwxr-xr-x", "root/root"),
    "./usr/lib/systemd/system/": ("drwxr-xr-x", "root/root"),
    "./usr/lib/systemd/system/pxpd.service": ("-rw-r--r--", "root/root"),
    "./usr/lib/tmpfiles.d/": ("drwxr-xr-x", "root/root"),
    "./usr/lib/tmpfiles.d/pxpd.conf": ("-rw-r--r--", "root/root"),
    "./usr/sbin/": ("drwxr-xr-x", "root/root"),
    "./usr/sbin/pxpd": ("-rwxr-xr-x", "root/root"),
    "./usr/share/": ("drwxr-xr-x", "root/root"),
    "./usr/share/doc/": ("drwxr-xr-x", "root/root"),
    "./usr/share/doc/pxpd/": ("drwxr-xr-x", "root/root"),
    "./usr/share/doc/pxpd/README.md": ("-rw-r--r--", "root/root"),
    "./usr/share/doc/pxpd/changelog.Debian.gz": ("-rw-r--r--", "root/root"),
    "./usr/share/doc/pxpd/copyright": ("-rw-r--r--", "root/root"),
    "./usr/share/doc/pxpd/examples/": ("drwxr-xr-x", "root/root"),
    "./usr/share/doc/pxpd/examples/pxpd.conf": ("-rw-r--r--", "root/root"),
    "./usr/share/lintian/": ("drwxr-xr-x", "root/root"),
    "./usr/share/lintian/overrides/": ("drwxr-xr-x", "root/root"),
    "./usr/share/lintian/overrides/pxpd": ("-rw-r--r--", "root/root"),
    "./usr/share/man/": ("drwxr-xr-x", "root/root"),
    "./usr/share/man/man8/": ("drwxr-xr-x", "root/root"),
    "./usr/share/man/man8/pxpd.8.gz": ("-rw-r--r--", "root/root"),
    "./var/": ("drwxr-xr-x", "root/root"),
    "./var/lib/": ("drwxr-xr-x", "root/root"),
    "./var/lib/pxpd/": ("drwx------", "root/root"),
    "./var/log/": ("drwxr-xr-x", "root/root"),
    "./var/log/pxpd/": ("drwxr-x---", "root/root"),
}
CONFFILES = ["/etc/default/pxpd", "/etc/logrotate.d/pxpd", "/etc/pxpd/pxpd.conf"]
# What the .rpm owns: the .deb's files and directories less those the
# system's own packages own (filesystem, systemd, man-db, lintian).
RPM_NOT_OWNED = {"/etc", "/etc/default", "/etc/logrotate.d", "/usr", "/usr/lib",
                 "/usr/lib/systemd", "/usr/lib/systemd/system", "/usr/lib/tmpfiles.d",
                 "/usr/sbin", "/usr/share", "/usr/share/doc", "/usr/share/lintian",
                 "/usr/share/lintian/overrides", "/usr/share/man", "/usr/share/man/man8",
                 "/var", "/var/lib", "/var/log"}


def run(args, **kw):
    kw.setdefault("check", True)
    return subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          universal_newlines=True, **kw)


def cpack(generator, out, release):
    var = "CPACK_DEBIAN_PACKAGE_RELEASE" if generator == "DEB" else "CPACK_RPM_PACKAGE_RELEASE"
    os.makedirs(out, exist_ok=True)
    run(["cpack", "-G", generator, "-B", out, "-D", "%s=%d" % (var, release)], cwd=RELEASE)
    ext = ".deb" if generator == "DEB" else ".rpm"
    found = [f for f in os.listdir(out) if f.endswith(ext)]
    assert len(found) == 1, found
    return os.path.join(out, found[0])


def busybox_root(path):
    """A root with Debian's busybox-static and nothing else: no C library,
    no systemd, no nsswitch.conf; /dev/null, /dev/urandom and the dirs a
    system has."""
    for d in ("bin", "dev", "etc", "proc", "run", "tmp"):
        os.makedirs(os.path.join(path, d), exist_ok=True)
    os.chmod(os.path.join(path, "tmp"), 0o1777)
    shutil.copy2(BUSYBOX, os.path.join(path, "bin", "busybox"))
    run(["chroot", path, "/bin/busybox", "--install", "-s", "/bin"])
    # what every Linux system has in /dev (libwebsockets reads urandom)
    for name, minor in (("null", 3), ("urandom", 9)):
        os.mknod(os.path.join(path, "dev", name), 0o666 | stat.S_IFCHR, os.makedev(1, minor))
        os.chmod(os.path.join(path, "dev", name), 0o666)


# A stand-in for systemd's tools in a throwaway root, so the maintainer
# scripts take their systemd branch (/run/systemd/system exists): each call
# is recorded with whether pxpd (its pid file) was running and the inode of
# /usr/sbin/pxpd at that moment; `try-restart` and `stop` of pxpd.service
# do what systemd does to a running pxpd under the unit's KillMode=process:
# SIGTERM to pxpd alone (the start half of a try-restart is the test's).
FAKE_SYSTEMD = r"""#!/bin/sh
name=${0##*/}
pid=$(cat /run/pxpd/pxpd.pid 2>/dev/null)
running=no
[ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && running=yes
ino=$(stat -c %i /usr/sbin/pxpd 2>/dev/null || echo none)
echo "$name $* | running=$running binary=$ino" >>/tmp/systemd.calls
case "$name $*" in
*"try-restart pxpd.service" | *"stop pxpd.service")
	[ $running = no ] || kill -TERM "$pid" ;;
esac
exit 0
"""


def fake_systemd(root):
    os.makedirs(os.path.join(root, "run/systemd/system"))
    os.makedirs(os.path.join(root, "usr/bin"), exist_ok=True)
    for name in ("systemctl", "deb-systemd-invoke"):
        path = os.path.join(root, "usr/bin", name)
        with open(path, "w") as f:
            f.write(FAKE_SYSTEMD)
        os.chmod(path, 0o755)
    calls = os.path.join(root, "tmp/systemd.calls")

    def take():
        """The calls since the last take: [(command, running, inode)]."""
        try:
            with open(calls) as f:
                lines = f.read().splitlines()
            os.unlink(calls)
        except FileNotFoundError:
            return []
        out = []
        for l in lines:
            cmd, _, rest = l.partition(" | ")
            kv = dict(x.split("=", 1) for x in rest.split())
            out.append((cmd, kv["running"], kv["binary"]))
        return out
    return take


class Packages(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        elf = run(["readelf", "-lW", BUSYBOX]).stdout
        assert "INTERP" not in elf, "%s is not static: apt-get install busybox-static" % BUSYBOX
        cls.tmp = tempfile.mkdtemp(prefix="pxpd-packages-")
        cls.deb1 = cpack("DEB", os.path.join(cls.tmp, "deb1"), 1)
        cls.deb2 = cpack("DEB", os.path.join(cls.tmp, "deb2"), 2)
        cls.rpm1 = cpack("RPM", os.path.join(cls.tmp, "rpm1"), 1)
        cls.rpm2 = cpack("RPM", os.path.join(cls.tmp, "rpm2"), 2)

    @classmethod
    def tearDownClass(cls):
        if os.environ.get("PXPD_KEEP"):
            sys.stderr.write("kept %s\n" % cls.tmp)
        else:
            shutil.rmtree(cls.tmp, ignore_errors=True)

    # ---- contents ----------------------------------------------------------
    def test_deb_contents_and_permissions(self):
        seen = {}
        for line in run(["dpkg-deb", "-c", self.deb1]).stdout.splitlines():
            mode, owner, _size, _date, _time, path = line.split(None, 5)
            seen[path] = (mode, owner)
        self.assertEqual(seen, DEB_CONTENTS)
        info = run(["dpkg-deb", "-f", self.deb1, "Package", "Version", "Architecture",
                    "Depends", "Section"]).stdout
        self.assertIn("Version: 0.1.0-1", info)
        self.assertNotIn("Depends:", info)      # static: depends on nothing
        ctl = os.path.join(self.tmp, "control")
        run(["dpkg-deb", "-e", self.deb1, ctl])
        with open(os.path.join(ctl, "conffiles")) as f:
            self.assertEqual(f.read().split(), CONFFILES)
        for script in ("postinst", "prerm", "postrm"):
            self.assertEqual(stat.S_IMODE(os.stat(os.path.join(ctl, script)).st_mode), 0o755)
        with open(os.path.join(ctl, "postinst")) as f:
            postinst = f.read()
        for what in ("systemd-tmpfiles --create pxpd.conf", "daemon-reload",
                     "deb-systemd-invoke try-restart pxpd.service", "/run/systemd/system"):
            self.assertIn(what, postinst)
        with open(os.path.join(ctl, "prerm")) as f:
            self.assertIn("deb-systemd-invoke stop pxpd.service", f.read())

    def test_deb_binary_is_the_release_binary(self):
        """The packaged pxpd is the build's stripped, static musl binary."""
        x = os.path.join(self.tmp, "x")
        run(["dpkg-deb", "-x", self.deb1, x])
        with open(os.path.join(x, "usr/sbin/pxpd"), "rb") as a, \
                open(os.path.join(RELEASE, "agent/pxpd.stripped"), "rb") as b:
            self.assertTrue(a.read() == b.read(), "usr/sbin/pxpd != agent/pxpd.stripped")
        out = run(["file", os.path.join(x, "usr/sbin/pxpd"),
                   os.path.join(x, "usr/lib/pxpd/modules/pxp-module-puppet")]).stdout
        self.assertEqual(out.count("statically linked"), 2, out)
        self.assertEqual(out.count(", stripped"), 2, out)
        with open(os.path.join(x, "etc/pxpd/pxpd.conf")) as f:
            conf = json.load(f)
        self.assertEqual(conf["spool-dir"], "/var/lib/pxpd/spool")
        self.assertEqual(conf["logfile"], "/var/log/pxpd/pxpd.log")

    def test_rpm_contents_and_permissions(self):
        seen = {}
        for line in run(["rpm", "-qlvp", self.rpm1]).stdout.splitlines():
            f = line.split()
            seen[f[-1]] = (f[0], "%s/%s" % (f[2], f[3]))
        want = {}
        for p, (mode, owner) in DEB_CONTENTS.items():
            p = p[1:].rstrip("/")
            if p not in RPM_NOT_OWNED and "/lintian" not in p:
                want[p] = (mode, owner)
        want["/usr/share/lintian/overrides/pxpd"] = ("-rw-r--r--", "root/root")
        self.maxDiff = None
        self.assertEqual(seen, want)
        self.assertEqual(sorted(run(["rpm", "-qcp", self.rpm1]).stdout.split()), CONFFILES)
        scripts = run(["rpm", "-qp", "--scripts", self.rpm1]).stdout
        for what in ("postinstall scriptlet", "preuninstall scriptlet", "postuninstall scriptlet",
                     "systemctl try-restart pxpd.service", "systemctl stop pxpd.service",
                     "systemd-tmpfiles --create pxpd.conf"):
            self.assertIn(what, scripts)

    # lintian's informational tags left as they are, each explained in
    # packaging/README.md ("lintian"); anything else it says fails the test
    LINTIAN_INFO = {"binary-has-unneeded-section", "spelling-error-in-binary",
                    "package-supports-alternative-init-but-no-init.d-script"}

    def test_lintian(self):
        r = run(["lintian", "--fail-on", "error,warning", "--pedantic", "--display-info",
                 self.deb1], check=False)
        lines = [l for l in r.stdout.splitlines() if "running with root" not in l]
        self.assertEqual(r.returncode, 0, "\n".join(lines))
        bad = [l for l in lines
               if not (l.startswith("I: pxpd: ") and l.split()[2] in self.LINTIAN_INFO)]
        self.assertEqual(bad, [])

    # ---- the .rpm in a throwaway root, its scriptlets' systemd calls ----------
    def test_rpm_install_upgrade_erase_scriptlets(self):
        root = os.path.join(self.tmp, "rpmroot")
        busybox_root(root)
        calls = fake_systemd(root)
        rpm = ["rpm", "--root", root, "--nodeps"]
        run(["rpm", "--root", root, "--initdb"])
        run(rpm + ["-i", self.rpm1])
        # a first install neither enables nor starts pxpd
        self.assertEqual([c[0] for c in calls()], ["systemctl --system daemon-reload"])
        self.assertEqual(stat.S_IMODE(os.stat(os.path.join(root, "var/lib/pxpd")).st_mode), 0o700)
        conf = os.path.join(root, "etc/pxpd/pxpd.conf")
        with open(conf, "a") as f:
            f.write("\n")                       # a local change to a %config file
        ino = os.stat(os.path.join(root, "usr/sbin/pxpd")).st_ino
        run(rpm + ["-U", self.rpm2])
        self.assertIn("pxpd-0.1.0-2", run(["rpm", "--root", root, "-qa"]).stdout)
        # the new %post restarts on the new binary; the old %preun does not
        # stop pxpd, the old %postun only reloads
        new_ino = str(os.stat(os.path.join(root, "usr/sbin/pxpd")).st_ino)
        self.assertNotEqual(new_ino, str(ino))
        self.assertEqual(calls(), [("systemctl --system daemon-reload", "no", new_ino),
                                   ("systemctl try-restart pxpd.service", "no", new_ino),
                                   ("systemctl --system daemon-reload", "no", new_ino)])
        with open(conf) as f:
            self.assertTrue(f.read().endswith("}\n\n"), "the local change was lost")
        r = run(rpm + ["-e", "pxpd"])
        self.assertNotIn("scriptlet failed", r.stdout)
        self.assertEqual([c[0] for c in calls()], ["systemctl stop pxpd.service",
                                                   "systemctl --system daemon-reload"])
        self.assertFalse(os.path.exists(os.path.join(root, "usr/sbin/pxpd")))
        self.assertTrue(os.path.exists(conf + ".rpmsave"))

    # ---- the .deb's life in a throwaway root -----------------------------------
    def test_deb_install_upgrade_with_action_in_flight_remove_purge(self):
        env = Env("deb-root")
        self.addCleanup(env.cleanup, bool(os.environ.get("PXPD_KEEP")))
        root = os.path.join(env.dir, "root")
        busybox_root(root)
        calls = fake_systemd(root)
        admin = os.path.join(root, "var/lib/dpkg")
        for d in ("info", "updates", "triggers"):
            os.makedirs(os.path.join(admin, d))
        for f in ("status", "available"):
            open(os.path.join(admin, f), "w").close()
        dpkg = ["dpkg", "--root", root]

        def installed_version():
            r = run(dpkg + ["-s", "pxpd"], check=False)
            st = [l for l in r.stdout.splitlines() if l.startswith(("Status:", "Version:"))]
            return " ".join(st)

        # install: no systemd, nothing but the files and directories
        out = run(dpkg + ["-i", self.deb1]).stdout
        self.assertNotIn("can't", out)
        self.assertIn("install ok installed Version: 0.1.0-1", installed_version())
        # a first install neither enables nor starts pxpd
        self.assertEqual([c[0] for c in calls()], ["systemctl --system daemon-reload"])
        for d, mode in (("var/lib/pxpd", 0o700), ("var/log/pxpd", 0o750)):
            self.assertEqual(stat.S_IMODE(os.stat(os.path.join(root, d)).st_mode), mode, d)

        # the packaged config with the broker and certificates of the test;
        # the broker by a name only this root's /etc/hosts knows
        broker = env.broker()
        ssl = os.path.join(root, "etc/pxpd/ssl")
        os.makedirs(ssl)
        for name in ("ca", "agent01", "agent01_key", "crl"):
            shutil.copy(os.path.join(env.ca, name + ".pem"), ssl)
        os.chmod(os.path.join(ssl, "agent01_key.pem"), 0o600)
        conf_path = os.path.join(root, "etc/pxpd/pxpd.conf")
        with open(conf_path) as f:
            conf = json.load(f)
        conf.update({"broker-ws-uris": ["wss://%s:%d/pcp/" % (BROKER_NAME, broker.port)],
                     "ssl-ca-cert": "/etc/pxpd/ssl/ca.pem",
                     "ssl-cert": "/etc/pxpd/ssl/agent01.pem",
                     "ssl-key": "/etc/pxpd/ssl/agent01_key.pem",
                     "ssl-crl": "/etc/pxpd/ssl/crl.pem",
                     "loglevel": "debug", "reconnect-spread": 1})
        local = json.dumps(conf, indent=1) + "\n"
        with open(conf_path, "w") as f:
            f.write(local)
        with open(os.path.join(root, "etc/hosts"), "w") as f:
            f.write("127.0.0.1 %s\n" % BROKER_NAME)
        with open("/etc/hosts") as f:
            self.assertNotIn(BROKER_NAME, f.read())   # only the root resolves it
        log = os.path.join(root, "var/log/pxpd/pxpd.log")

        def pxpd_log():
            try:
                with open(log, errors="replace") as f:
                    return f.read()
            except FileNotFoundError:
                return ""

        def start():
            # chrooted, with a /proc of its own mount namespace (pxpd finds
            # itself there to run the wrapper); the process is pxpd itself
            p = Proc(["unshare", "--mount", "--propagation", "private", "sh", "-c",
                      'mount -t proc proc "$0/proc" && exec chroot "$0" /usr/sbin/pxpd --foreground',
                      root], os.path.join(env.dir, "pxpd.out"),
                     env={"PATH": "/usr/sbin:/usr/bin:/sbin:/bin"})
            env.procs.append(p)
            return p

        env.pxpd_log = pxpd_log
        agent = start()
        wait_for(lambda: pxpd_log().count("associated with") >= 1, 20,
                 what="association:\n%s" % pxpd_log()[-3000:])
        rc, lines, _ = env.controller(broker, params={"argument": "hello from a root without libc"})
        self.assertEqual(lines[0]["data"]["results"], {"outcome": "hello from a root without libc"})

        # an action in flight across the upgrade: it ends only when the test
        # opens its gate (a file in the root), after the new pxpd is up
        tid = "upgrade-1"
        gate = os.path.join(root, "tmp/upgrade-gate")
        # a failing test still lets the action end (it outlives pxpd)
        self.addCleanup(lambda: os.path.isdir(os.path.dirname(gate)) and open(gate, "w").close())
        ctl = env.controller_bg(broker, module="command", action="run",
                                params={"command": "while [ ! -e /tmp/upgrade-gate ]; "
                                                   "do sleep 0.1; done; echo done"},
                                extra=["--non-blocking", "--transaction-id", tid])
        spool = os.path.join(root, "var/lib/pxpd/spool", tid)
        wait_for(lambda: os.path.exists(os.path.join(spool, "pid")), 15, what="the action's pid file")
        old_inode = os.stat(os.path.join(root, "usr/sbin/pxpd")).st_ino
        out = run(dpkg + ["-i", self.deb2]).stdout
        self.assertIn("install ok installed Version: 0.1.0-2", installed_version())
        self.assertNotIn("can't", out)
        self.assertNotEqual(os.stat(os.path.join(root, "usr/sbin/pxpd")).st_ino, old_inode)
        with open(conf_path) as f:
            self.assertEqual(f.read(), local, "the upgrade changed a modified conffile")
        self.assertFalse([f for f in os.listdir(os.path.dirname(conf_path)) if ".dpkg-" in f])
        # pxpd ran through the unpack (the old prerm leaves it); the new
        # postinst restarts it once the new binary is in place: the stop
        # half of that try-restart (SIGTERM to pxpd alone) was the stand-in
        # systemd's, the start half is below
        new_ino = str(os.stat(os.path.join(root, "usr/sbin/pxpd")).st_ino)
        self.assertEqual(calls(), [("systemctl --system daemon-reload", "yes", new_ino),
                                   ("deb-systemd-invoke try-restart pxpd.service", "yes",
                                    new_ino)])
        self.assertEqual(agent.p.wait(20 * pxpdtest.SLOW), 0)
        self.assertFalse(os.path.exists(os.path.join(spool, "exitcode")),
                         "the action ended before its gate opened")
        agent = start()
        wait_for(lambda: "adopted running action" in pxpd_log(), 20,
                 what="the new pxpd adopting the action:\n%s" % pxpd_log()[-3000:])
        self.assertFalse(os.path.exists(os.path.join(spool, "exitcode")))
        open(gate, "w").close()
        rc, lines = env.controller_wait(ctl, 60)
        finals = [l for l in lines if l["message_type"] == "rpc_non_blocking_response"]
        self.assertEqual(len(finals), 1, lines)
        self.assertEqual(finals[0]["data"]["transaction_id"], tid)
        self.assertEqual(finals[0]["data"]["results"]["stdout"], "done\n")
        self.assertFalse(os.path.exists(os.path.join(spool, "owed")))
        rc, lines, _ = env.controller(broker, module="status", action="query",
                                      params={"transaction_id": tid})
        self.assertEqual(lines[0]["data"]["results"]["status"], "success", lines)
        rc, extra, _ = env.controller(broker, extra=["--listen"], timeout_ms=1500, check=False)
        self.assertEqual([l for l in extra if l["message_type"] == "rpc_non_blocking_response"], [])
        self.assertEqual(agent.stop(signal.SIGTERM), 0)

        # remove: the conffile stays, so do the spool and the log
        run(dpkg + ["-r", "pxpd"])
        self.assertIn("deinstall ok config-files", installed_version())
        self.assertEqual([c[0] for c in calls()], ["deb-systemd-invoke stop pxpd.service",
                                                   "systemctl --system daemon-reload"])
        self.assertFalse(os.path.exists(os.path.join(root, "usr/sbin/pxpd")))
        self.assertFalse(os.path.exists(os.path.join(root, "usr/lib/systemd/system/pxpd.service")))
        with open(conf_path) as f:
            self.assertEqual(f.read(), local)
        self.assertTrue(os.path.isdir(spool))
        # purge: all gone (pxpd's log kept for a look first)
        shutil.copy(log, os.path.join(env.dir, "pxpd.log"))
        run(dpkg + ["--purge", "pxpd"])
        self.assertEqual(installed_version(), "")
        self.assertEqual([c[0] for c in calls()], ["systemctl --system daemon-reload"])
        for gone in ("etc/pxpd/pxpd.conf", "etc/default/pxpd", "etc/logrotate.d/pxpd",
                     "var/lib/pxpd", "var/log/pxpd"):
            self.assertFalse(os.path.exists(os.path.join(root, gone)), gone)


if __name__ == "__main__":
    pxpdtest.main()
