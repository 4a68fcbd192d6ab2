"""pxp-module-puppet: the built module binary driven the way pxpd drives an
external module (argv action, JSON on stdin, optional output_files), with
a fake `puppet` (a /bin/sh script written here) that answers --configprint
with paths in a temp dir and, for a run, writes a Puppet 7 style
last_run_report.yaml and exits with a code the test picks.

Binary from PUPPET_MODULE_BIN (set by tests/integration/CMakeLists.txt).
"""
import json
import os
import pwd
import shutil
import stat
import subprocess
import tempfile
import threading
import time
import unittest

MODULE = os.environ.get("PUPPET_MODULE_BIN", "pxp-module-puppet")
SLOW = float(os.environ.get("PXPD_TEST_SLOW", "1"))

# The top of a real Puppet 7 last_run_report.yaml (Report#to_data_hash as
# Psych writes it), trimmed; @STATUS@ is filled in by the fake puppet.
REPORT_TEMPLATE = """\
--- !ruby/object:Puppet::Transaction::Report
host: agent01.example.com
time: '2024-05-01T10:00:00.123456789+00:00'
configuration_version: 1714557600
transaction_uuid: 6f1c2b7e-8d4a-4b7e-9a51-3c2d1e0f9a88
report_format: 12
puppet_version: 7.30.0
status: @STATUS@
transaction_completed: true
noop: false
noop_pending: false
environment: production
logs:
- level: info
  message: Using environment 'production'
  source: Puppet
  tags:
  - info
  time: '2024-05-01T10:00:00.200000000+00:00'
  file:
  line:
- level: notice
  message: "defined 'message' as 'hello: a long message that Psych folds onto
    the next line because it is wider than eighty columns'"
  source: "/Stage[main]/Main/Notify[hello]/message"
  tags:
  - notice
  - notify
  time: '2024-05-01T10:00:00.300000000+00:00'
  file: "/etc/puppetlabs/code/environments/production/manifests/site.pp"
  line: 1
metrics:
  resources:
    name: resources
    label: Resources
    values:
    - - total
      - Total
      - 12
    - - skipped
      - Skipped
      - 0
    - - failed
      - Failed
      - 0
    - - failed_to_restart
      - Failed to restart
      - 0
    - - restarted
      - Restarted
      - 0
    - - changed
      - Changed
      - 1
    - - out_of_sync
      - Out of sync
      - 1
    - - scheduled
      - Scheduled
      - 0
    - - corrective_change
      - Corrective change
      - 0
  time:
    name: time
    label: Time
    values:
    - - notify
      - Notify
      - 0.000512
    - - config_retrieval
      - Config retrieval
      - 0.351234
    - - total
      - Total
      - 1.206334
  changes:
    name: changes
    label: Changes
    values:
    - - total
      - Total
      - 1
  events:
    name: events
    label: Events
    values:
    - - failure
      - Failure
      - 0
    - - success
      - Success
      - 1
    - - total
      - Total
      - 1
resource_statuses:
  Notify[hello]:
    title: hello
    file: "/etc/puppetlabs/code/environments/production/manifests/site.pp"
    line: 1
    resource: Notify[hello]
    resource_type: Notify
    provider_used:
    containment_path:
    - Stage[main]
    - Main
    - Notify[hello]
    evaluation_time: 0.000512
    tags:
    - notify
    - hello
    - class
    time: '2024-05-01T10:00:00.290000000+00:00'
    failed: false
    failed_to_restart: false
    changed: true
    out_of_sync: true
    skipped: false
    change_count: 1
    out_of_sync_count: 1
    events:
    - audited: false
      property: message
      previous_value: absent
      desired_value: hello
      historical_value:
      message: defined 'message' as 'hello'
      name: message_changed
      status: success
      time: '2024-05-01T10:00:00.295000000+00:00'
      redacted:
      corrective_change: false
    corrective_change: false
corrective_change: false
catalog_uuid: 0b2e9f4c-6f0d-4d25-8d54-2d7f4a1c9e11
cached_catalog_status: not_used
server_used: puppet.example.com:8140
"""

METRICS = {"total": 12, "skipped": 0, "failed": 0, "failed_to_restart": 0,
           "restarted": 0, "changed": 1, "out_of_sync": 1, "scheduled": 0,
           "corrective_change": 0}

# Puppet 4 wrote the report object by object: tagged metrics and logs, the
# metrics first and an unquoted time (pxp-agent's own spec fixture shape).
OLD_REPORT = """\
--- !ruby/object:Puppet::Transaction::Report
metrics:
  resources: !ruby/object:Puppet::Util::Metric
    name: resources
    label: Resources
    values:
    - - total
      - Total
      - 183
    - - changed
      - Changed
      - 1
  time: !ruby/object:Puppet::Util::Metric
    name: time
    label: Time
    values:
    - - total
      - Total
      - 16.157279
logs:
- !ruby/object:Puppet::Util::Log
  level: :info
  tags: !ruby/object:Puppet::Util::TagSet
    hash:
      info: true
  message: Using configured environment 'production'
  source: Puppet
  time: 2016-02-24 23:07:22.179068000 +00:00
host: win2012r2-agent
time: 2016-02-24 23:07:21.827530000 +00:00
kind: apply
report_format: 5
puppet_version: 4.3.2
configuration_version: 1456354776
transaction_uuid: "5a8a8b1e-e5b4-4a71-bd20-2c8cce14fcd8"
environment: 'production'
status: changed
"""

FAKE_PUPPET = r"""#!/bin/sh
# Fake puppet for pxp-module-puppet's tests.
D='@DIR@'
S="$D/state"
printf '%s\n' "$*" >> "$D/calls"
if [ "$1" = agent ] && [ "$2" = --configprint ]; then
    if [ -n "$FAKE_CONFIGPRINT_FAIL" ]; then
        echo "Error: could not parse configuration" >&2
        exit 1
    fi
    echo "lastrunreport = $S/last_run_report.yaml"
    echo "agent_disabled_lockfile = $S/agent_disabled.lock"
    echo "agent_catalog_run_lockfile = $S/agent_catalog_run.lock"
    exit 0
fi
env > "$D/env"
echo run >> "$D/runs"
# Puppet talks a lot; none of it may reach the module's stdout.
echo "Info: Using environment 'production'"
echo "Warning: fake puppet on stderr" >&2
if [ -e "$S/agent_disabled.lock" ]; then
    echo "Notice: Skipping run of Puppet configuration client; administratively disabled (Reason: 'maintenance');"
    echo "Use 'puppet agent --enable' to re-enable."
    exit 1
fi
if [ -e "$S/agent_catalog_run.lock" ]; then
    echo "Notice: Run of Puppet configuration client already in progress; skipping  ($S/agent_catalog_run.lock exists)"
    exit 1
fi
case "${FAKE_REPORT:-write}" in
write)
    sed -e "s/@STATUS@/${FAKE_STATUS:-changed}/" "$D/report.template" > "$S/report.tmp" &&
        mv "$S/report.tmp" "$S/last_run_report.yaml" ;;
file:*)
    cp "${FAKE_REPORT#file:}" "$S/last_run_report.yaml" ;;
stale:*)
    cp "${FAKE_REPORT#stale:}" "$S/last_run_report.yaml" &&
        touch -d "@$FAKE_MTIME" "$S/last_run_report.yaml" ;;
none) ;;
esac
exit "${FAKE_EXIT:-0}"
"""


class PuppetModuleTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="pxp-puppet-")
        self.addCleanup(shutil.rmtree, self.dir, True)
        self.state = os.path.join(self.dir, "state")
        os.mkdir(self.state)
        self.report = os.path.join(self.state, "last_run_report.yaml")
        self.disabled_lock = os.path.join(self.state, "agent_disabled.lock")
        self.run_lock = os.path.join(self.state, "agent_catalog_run.lock")
        with open(os.path.join(self.dir, "report.template"), "w") as f:
            f.write(REPORT_TEMPLATE)
        self.puppet = os.path.join(self.dir, "puppet")
        with open(self.puppet, "w") as f:
            f.write(FAKE_PUPPET.replace("@DIR@", self.dir))
        os.chmod(self.puppet, 0o755)

    # -- helpers ---------------------------------------------------------

    def request(self, flags=None, config=None, **input_extra):
        inp = {"flags": ["--noop"] if flags is None else flags}
        inp.update(input_extra)
        conf = {"puppet_bin": self.puppet}
        conf.update(config or {})
        return {"input": inp, "configuration": conf}

    def run_module(self, req, env=None, raw=None, action="run", wrapper=None):
        e = dict(os.environ)
        e.update(env or {})
        data = raw if raw is not None else json.dumps(req)
        cmd = (wrapper or []) + [MODULE, action]
        p = subprocess.run(cmd, input=data.encode(), stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, env=e, timeout=120 * SLOW)
        return p.returncode, p.stdout.decode(), p.stderr.decode()

    def run_json(self, req, env=None, **kw):
        rc, out, err = self.run_module(req, env, **kw)
        try:
            res = json.loads(out)
        except ValueError:
            self.fail("stdout is not JSON: %r (stderr %r)" % (out, err))
        return rc, res, err

    def calls(self):
        path = os.path.join(self.dir, "calls")
        if not os.path.exists(path):
            return []
        with open(path) as f:
            return f.read().splitlines()

    def runs(self):
        return len([c for c in self.calls() if "--configprint" not in c])

    def child_env(self):
        with open(os.path.join(self.dir, "env")) as f:
            return dict(l.split("=", 1) for l in f.read().splitlines() if "=" in l)

    def assert_error(self, res, rc, error_type, exitcode=-1):
        self.assertEqual(rc, 1, res)
        self.assertEqual(res["error_type"], error_type, res)
        self.assertIsInstance(res["error"], str)
        self.assertEqual(res["exitcode"], exitcode, res)
        self.assertEqual(res["version"], 1)
        for k in ("time", "transaction_uuid", "environment", "status"):
            self.assertEqual(res[k], "unknown", res)
        self.assertEqual(res["metrics"], {})

    def assert_from_report(self, res, status="changed"):
        self.assertEqual(res["time"], "2024-05-01T10:00:00.123456789+00:00")
        self.assertEqual(res["transaction_uuid"], "6f1c2b7e-8d4a-4b7e-9a51-3c2d1e0f9a88")
        self.assertEqual(res["environment"], "production")
        self.assertEqual(res["status"], status)
        self.assertEqual(res["metrics"], METRICS)
        self.assertEqual(res["version"], 1)

    # -- metadata --------------------------------------------------------

    def test_metadata(self):
        rc, out, _ = self.run_module(None, raw="", action="metadata")
        self.assertEqual(rc, 0)
        md = json.loads(out)
        self.assertEqual(md["description"], "PXP Puppet module")
        self.assertEqual([a["name"] for a in md["actions"]], ["run"])
        run = md["actions"][0]
        self.assertEqual(run["input"]["type"], "object")
        self.assertEqual(run["input"]["required"], ["flags"])
        props = run["input"]["properties"]
        self.assertEqual(props["flags"], {"type": "array", "items": {"type": "string"}})
        self.assertEqual(props["job"], {"type": "string"})
        self.assertEqual(props["env"], {"type": "array"})
        results = run["results"]
        self.assertEqual(sorted(results["required"]),
                         sorted(["time", "transaction_uuid", "environment", "status",
                                 "exitcode", "version"]))
        for k in ("time", "transaction_uuid", "environment", "status", "error_type", "error"):
            self.assertEqual(results["properties"][k], {"type": "string"})
        self.assertEqual(results["properties"]["metrics"], {"type": "object"})
        self.assertEqual(results["properties"]["exitcode"], {"type": "number"})
        self.assertEqual(md["configuration"]["properties"]["puppet_bin"], {"type": "string"})
        # No action argument means metadata, as pxp-agent's module does.
        p = subprocess.run([MODULE], stdout=subprocess.PIPE, stdin=subprocess.DEVNULL)
        self.assertEqual(json.loads(p.stdout), md)

    def test_unknown_action(self):
        rc, out, err = self.run_module(None, raw="", action="frobnicate")
        self.assertEqual(rc, 2)
        self.assertEqual(out, "")
        self.assertIn("usage", err)

    # -- runs --------------------------------------------------------------

    def test_success(self):
        rc, res, err = self.run_json(self.request(["--noop"], env=["A=b"]))
        self.assertEqual(rc, 0, (res, err))
        self.assert_from_report(res)
        self.assertEqual(res["exitcode"], 0)
        self.assertNotIn("error", res)
        self.assertNotIn("error_type", res)
        self.assertEqual(self.calls(), [
            "agent --configprint lastrunreport,agent_disabled_lockfile,agent_catalog_run_lockfile",
            "agent --noop --onetime --no-daemonize --verbose"])
        self.assertEqual(err, "")

    def test_changed_with_detailed_exitcodes(self):
        rc, res, _ = self.run_json(self.request(["--detailed-exitcodes"]),
                                   env={"FAKE_EXIT": "2"})
        self.assertEqual(rc, 0, res)
        self.assert_from_report(res)
        self.assertEqual(res["exitcode"], 2)
        self.assertNotIn("error", res)
        self.assertEqual(self.calls()[1],
                         "agent --detailed-exitcodes --onetime --no-daemonize --verbose")

    def test_exit_2_without_detailed_exitcodes_is_failure(self):
        rc, res, _ = self.run_json(self.request(), env={"FAKE_EXIT": "2"})
        self.assertEqual(rc, 1)
        self.assertEqual(res["error_type"], "agent_exit_non_zero")
        self.assertEqual(res["exitcode"], 2)

    def test_failure_with_report(self):
        for code in ("1", "4", "6"):
            with self.subTest(exit=code):
                flags = ["--detailed-exitcodes"] if code != "1" else []
                rc, res, err = self.run_json(self.request(flags),
                                             env={"FAKE_EXIT": code, "FAKE_STATUS": "failed"})
                self.assertEqual(rc, 1)
                self.assertEqual(res["error_type"], "agent_exit_non_zero")
                self.assertEqual(res["error"], "Puppet agent exited with a non 0 exitcode")
                self.assertEqual(res["exitcode"], int(code))
                self.assert_from_report(res, status="failed")
                self.assertIn("agent_exit_non_zero", err)

    def test_job_id_and_defaults(self):
        rc, res, _ = self.run_json(self.request(["--verbose", " --onetime ", "--environment",
                                                 "production", "--no-noop", "--tags",
                                                 "a::b,c"], job="42"))
        self.assertEqual(rc, 0, res)
        self.assertEqual(self.calls()[1],
                         "agent --verbose --onetime --environment production --no-noop "
                         "--tags a::b,c --no-daemonize --job-id 42")

    def test_old_style_report(self):
        path = os.path.join(self.dir, "old.yaml")
        with open(path, "w") as f:
            f.write(OLD_REPORT)
        rc, res, _ = self.run_json(self.request(), env={"FAKE_REPORT": "file:" + path})
        self.assertEqual(rc, 0, res)
        self.assertEqual(res["time"], "2016-02-24 23:07:21.827530000 +00:00")
        self.assertEqual(res["transaction_uuid"], "5a8a8b1e-e5b4-4a71-bd20-2c8cce14fcd8")
        self.assertEqual(res["environment"], "production")
        self.assertEqual(res["status"], "changed")
        self.assertEqual(res["metrics"], {"total": 183, "changed": 1})

    def test_report_without_resources_metric(self):
        path = os.path.join(self.dir, "nometrics.yaml")
        with open(path, "w") as f:
            f.write(REPORT_TEMPLATE.replace("@STATUS@", "failed")
                    .replace("metrics:\n  resources:\n", "metrics:\n  resources_x:\n"))
        rc, res, _ = self.run_json(self.request(), env={"FAKE_REPORT": "file:" + path,
                                                        "FAKE_EXIT": "1"})
        self.assertEqual(res["error_type"], "agent_exit_non_zero")
        self.assertEqual(res["metrics"], {})
        self.assertEqual(res["status"], "failed")

    def test_puppet_environment(self):
        env = {"LANG": "C", "LC_ALL": "", "LC_CTYPE": "", "RUBYOPT": ""}
        rc, res, _ = self.run_json(self.request(), env=env)
        self.assertEqual(rc, 0, res)
        child = self.child_env()
        self.assertEqual(child.get("RUBYOPT"), "-EUTF-8")
        if os.geteuid() == 0:
            for k in ("HOME", "USER", "LOGNAME"):
                self.assertNotIn(k, child)
        else:
            pw = pwd.getpwuid(os.geteuid())
            self.assertEqual(child["HOME"], pw.pw_dir)
            self.assertEqual(child["USER"], pw.pw_name)
        # A UTF-8 locale needs no help; an existing RUBYOPT is kept.
        utf8 = next((l for l in ("C.UTF-8", "C.utf8", "en_US.UTF-8")
                     if subprocess.run(["locale"], env={"LC_ALL": l}, stdout=subprocess.DEVNULL,
                                       stderr=subprocess.PIPE).stderr == b""), None)
        if utf8:
            self.run_json(self.request(), env={"LC_ALL": utf8, "RUBYOPT": "-W0"})
            self.assertEqual(self.child_env().get("RUBYOPT"), "-W0")
        self.run_json(self.request(), env={"LC_ALL": "POSIX", "RUBYOPT": "-W0"})
        self.assertEqual(self.child_env().get("RUBYOPT"), "-W0 -EUTF-8")

    # -- errors --------------------------------------------------------------

    def test_no_puppet_bin(self):
        rc, res, _ = self.run_json(self.request(config={"puppet_bin": self.dir + "/nope"}))
        self.assert_error(res, rc, "no_puppet_bin")
        self.assertIn(self.dir + "/nope", res["error"])
        plain = os.path.join(self.dir, "not-executable")
        with open(plain, "w") as f:
            f.write("#!/bin/sh\n")
        os.chmod(plain, 0o644)
        if os.geteuid() != 0:   # root may execute anything with an x bit only
            rc, res, _ = self.run_json(self.request(config={"puppet_bin": plain}))
            self.assert_error(res, rc, "no_puppet_bin")
        self.assertEqual(self.calls(), [])

    def test_default_puppet_bin(self):
        if os.path.exists("/opt/puppetlabs/bin/puppet"):
            self.skipTest("a real puppet is installed")
        for conf in ({}, {"puppet_bin": ""}):
            with self.subTest(conf=conf):
                req = {"input": {"flags": []}}
                if conf:
                    req["configuration"] = conf
                rc, res, _ = self.run_json(req)
                self.assert_error(res, rc, "no_puppet_bin")
                self.assertIn("/opt/puppetlabs/bin/puppet", res["error"])

    def test_invalid_flags(self):
        bad = {
            "equals sign": ["--environment=production"],
            "shell characters": ["--tags", "a;id"],
            "space inside": ["--tags", "a b"],
            "empty flag": [""],
            "only spaces": ["   "],
            "newline inside": ["--noop\n--server"],
            "non-ascii": ["--environment", "prod\u00e9"],
            "no-onetime": ["--no-onetime"],
            "daemonize": ["--daemonize"],
            "no-verbose": ["--no-verbose"],
            "onetime override": ["--onetime", "--no-onetime"],
            "not allowed": ["--server", "evil.example.com"],
            "not allowed no-": ["--no-splayx"],
            "bare double dash": ["--"],
            "bare no-": ["--no-"],
            "not a string": ["--noop", 5],
            "null flag": [None],
        }
        for name, flags in bad.items():
            with self.subTest(name=name):
                rc, res, _ = self.run_json(self.request(flags))
                self.assert_error(res, rc, "invalid_json")
        shapes = {
            "flags missing": {"input": {}},
            "flags not array": {"input": {"flags": "--noop"}},
            "input missing": {},
            "input not object": {"input": ["--noop"]},
            "job not string": {"input": {"flags": [], "job": 42}},
            "configuration not object": {"input": {"flags": []}, "configuration": "x"},
            "puppet_bin not string": {"input": {"flags": []}, "configuration": {"puppet_bin": 1}},
            "lock_wait_seconds negative": {"input": {"flags": []},
                                           "configuration": {"lock_wait_seconds": -1}},
        }
        for name, req in shapes.items():
            with self.subTest(name=name):
                if "configuration" not in req:
                    req["configuration"] = {"puppet_bin": self.puppet}
                rc, res, _ = self.run_json(req)
                self.assert_error(res, rc, "invalid_json")
        for name, raw in {"not json": "{nope", "empty": "", "array": "[1]"}.items():
            with self.subTest(name=name):
                rc, res, _ = self.run_json(None, raw=raw)
                self.assert_error(res, rc, "invalid_json")
        self.assertEqual(self.calls(), [], "puppet must not run for a rejected request")

    def test_invalid_flag_messages(self):
        rc, res, _ = self.run_json(self.request(["--no-daemonize", "--daemonize"]))
        self.assertEqual(res["error"],
                         "The json received on STDIN overrides a default setting with: --daemonize")
        rc, res, _ = self.run_json(self.request(["--server"]))
        self.assertEqual(res["error"],
                         "The json received on STDIN included a non-permitted flag: --server")

    def test_disabled(self):
        with open(self.disabled_lock, "w") as f:
            f.write('{"disabled_message":"maintenance"}')
        rc, res, _ = self.run_json(self.request())
        self.assert_error(res, rc, "agent_disabled", exitcode=1)
        self.assertEqual(res["error"], "Puppet agent is disabled")
        self.assertEqual(self.runs(), 1)

    def test_locked_then_unlocked(self):
        open(self.run_lock, "w").close()
        timer = threading.Timer(0.5, os.unlink, [self.run_lock])
        timer.start()
        self.addCleanup(timer.cancel)
        start = time.monotonic()
        rc, res, _ = self.run_json(self.request(config={"lock_wait_seconds": 30}))
        self.assertEqual(rc, 0, res)
        self.assert_from_report(res)
        self.assertEqual(self.runs(), 2)
        self.assertLess(time.monotonic() - start, 10 * SLOW)

    def test_locked_forever(self):
        open(self.run_lock, "w").close()
        start = time.monotonic()
        rc, res, _ = self.run_json(self.request(config={"lock_wait_seconds": 1}))
        elapsed = time.monotonic() - start
        self.assert_error(res, rc, "agent_locked", exitcode=1)
        self.assertEqual(self.runs(), 1)
        self.assertGreaterEqual(elapsed, 1.0)
        self.assertLess(elapsed, 10 * SLOW)

    def test_report_not_rewritten(self):
        with open(self.report, "w") as f:
            f.write(REPORT_TEMPLATE.replace("@STATUS@", "unchanged"))
        old = time.time() - 3600
        os.utime(self.report, (old, old))
        rc, res, _ = self.run_json(self.request(), env={"FAKE_REPORT": "none"})
        self.assert_error(res, rc, "no_last_run_report", exitcode=0)
        self.assertEqual(res["error"], self.report + " was not written")

    def test_report_written_with_old_mtime(self):
        """A report whose mtime is from before the run is not this run's."""
        path = os.path.join(self.dir, "stale.yaml")
        with open(path, "w") as f:
            f.write(REPORT_TEMPLATE.replace("@STATUS@", "unchanged"))
        rc, res, _ = self.run_json(self.request(), env={
            "FAKE_REPORT": "stale:" + path, "FAKE_MTIME": str(int(time.time()) - 3600)})
        self.assert_error(res, rc, "no_last_run_report", exitcode=0)
        self.assertEqual(res["error"], self.report + " was not written")

    def test_report_missing(self):
        rc, res, _ = self.run_json(self.request(), env={"FAKE_REPORT": "none", "FAKE_EXIT": "1"})
        self.assert_error(res, rc, "no_last_run_report", exitcode=1)
        self.assertEqual(res["error"], self.report + " doesn't exist")

    def test_invalid_report(self):
        truncated = REPORT_TEMPLATE.replace("@STATUS@", "changed")
        cases = {
            "binary": b"\x00\x01\x02garbage\xff",
            "not yaml": b"this is not a report\n",
            "other object": b"--- !ruby/object:Puppet::Transaction::Summary\nstatus: x\n",
            "no header": REPORT_TEMPLATE.replace("@STATUS@", "changed").split("\n", 1)[1].encode(),
            "no status": truncated.replace("status: changed\n", "").encode(),
            "cut in metrics": truncated[:truncated.index("      - Changed")].encode(),
            "flow in metrics": truncated.replace("    - - total\n      - Total\n      - 12\n",
                                                 "    - [total, Total, 12]\n").encode(),
            "bad triple": truncated.replace("      - 12\n", "      - twelve\n").encode(),
            "unterminated quote": truncated.replace(
                "time: '2024-05-01T10:00:00.123456789+00:00'", "time: '2024-05-01").encode(),
            "flow mapping": truncated.replace("status: changed", "status: {a: b}").encode(),
            "bad indentation": truncated.replace("    label: Resources\n",
                                                 "      label: Resources\n").encode(),
            "huge line": b"--- !ruby/object:Puppet::Transaction::Report\nstatus: "
                         + b"x" * 100000 + b"\n",
            "empty": b"",
        }
        for name, data in cases.items():
            with self.subTest(name=name):
                path = os.path.join(self.dir, "bad.yaml")
                with open(path, "wb") as f:
                    f.write(data)
                rc, res, _ = self.run_json(self.request(), env={"FAKE_REPORT": "file:" + path})
                self.assert_error(res, rc, "invalid_last_run_report", exitcode=0)
                self.assertTrue(res["error"].startswith(self.report + " could not be loaded: "),
                                res["error"])
                if os.environ.get("SHOW_ERRORS"):
                    print(name, "->", res["error"][len(self.report):])

    def test_failed_to_start(self):
        broken = os.path.join(self.dir, "broken-puppet")
        with open(broken, "w") as f:
            f.write("#!/nonexistent/interpreter\n")
        os.chmod(broken, 0o755)
        rc, res, _ = self.run_json(self.request(config={"puppet_bin": broken}))
        self.assert_error(res, rc, "agent_failed_to_start")

    def test_configprint_failure(self):
        rc, res, _ = self.run_json(self.request(), env={"FAKE_CONFIGPRINT_FAIL": "1"})
        self.assert_error(res, rc, "no_last_run_report")
        self.assertEqual(self.runs(), 0)

    # -- output_files (non-blocking mode) -----------------------------------

    def output_files(self, where=None):
        where = where or os.path.join(self.dir, "spool")
        return {k: os.path.join(where, k) for k in ("stdout", "stderr", "exitcode")}

    def test_output_files_success(self):
        spool = os.path.join(self.dir, "spool")
        os.mkdir(spool)
        req = self.request()
        req["output_files"] = self.output_files()
        rc, out, err = self.run_module(req)
        self.assertEqual(rc, 0)
        self.assertEqual(out, "")
        self.assertEqual(err, "")
        of = req["output_files"]
        with open(of["stdout"]) as f:
            res = json.load(f)
        self.assert_from_report(res)
        with open(of["stderr"]) as f:
            self.assertEqual(f.read(), "")
        with open(of["exitcode"]) as f:
            self.assertEqual(f.read(), "0\n")
        # The exit code file is the completion marker: written last.
        self.assertGreaterEqual(os.stat(of["exitcode"]).st_mtime_ns,
                                os.stat(of["stdout"]).st_mtime_ns)
        self.assertGreaterEqual(os.stat(of["exitcode"]).st_mtime_ns,
                                os.stat(of["stderr"]).st_mtime_ns)

    def test_output_files_error(self):
        spool = os.path.join(self.dir, "spool")
        os.mkdir(spool)
        req = self.request(["--server"])
        req["output_files"] = self.output_files()
        rc, out, _ = self.run_module(req)
        self.assertEqual(rc, 1)
        self.assertEqual(out, "")
        of = req["output_files"]
        with open(of["stdout"]) as f:
            res = json.load(f)
        self.assert_error(res, 1, "invalid_json")
        with open(of["stderr"]) as f:
            self.assertIn("non-permitted flag: --server", f.read())
        with open(of["exitcode"]) as f:
            self.assertEqual(f.read(), "1\n")

    def test_output_files_unwritable(self):
        for name, of in {"missing dir": self.output_files(os.path.join(self.dir, "no", "such")),
                         "missing key": {"stdout": os.path.join(self.dir, "o")},
                         "not object": "x"}.items():
            with self.subTest(name=name):
                req = self.request()
                req["output_files"] = of
                rc, out, _ = self.run_module(req)
                self.assertEqual(rc, 5)
                res = json.loads(out)
                self.assertEqual(res["exitcode"], -1)
                self.assertIn("Could not open output files", res["error"])
        self.assertEqual(self.calls(), [])
        self.assertFalse(os.path.exists(os.path.join(self.dir, "no")))

    def test_output_files_exitcode_unwritable(self):
        spool = os.path.join(self.dir, "spool")
        os.mkdir(spool)
        req = self.request()
        req["output_files"] = self.output_files()
        req["output_files"]["exitcode"] = os.path.join(self.dir, "gone", "exitcode")
        rc, _, _ = self.run_module(req)
        self.assertEqual(rc, 5)

    # -- memory --------------------------------------------------------------

    def test_valgrind_clean(self):
        vg = shutil.which("valgrind")
        if vg is None:
            self.skipTest("valgrind not installed")
        with open(shutil.which(MODULE) or MODULE, "rb") as f:
            if b"__asan_init" in f.read():
                self.skipTest("sanitizer build (ASan checks it instead)")
        wrapper = [vg, "-q", "--error-exitcode=99", "--leak-check=full",
                   "--errors-for-leak-kinds=definite,indirect,possible",
                   "--show-leak-kinds=definite,indirect,possible"]
        path = os.path.join(self.dir, "bad.yaml")
        with open(path, "w") as f:
            f.write(REPORT_TEMPLATE.replace("      - 12\n", "      - twelve\n"))
        for name, req, env, want in (
                ("success", self.request(), {}, 0),
                ("bad flag", self.request(["--server"]), {}, 1),
                ("bad report", self.request(), {"FAKE_REPORT": "file:" + path}, 1)):
            with self.subTest(name=name):
                rc, out, err = self.run_module(req, env, wrapper=wrapper)
                self.assertEqual(rc, want, err)
                json.loads(out)
        rc, out, err = self.run_module(None, raw="", action="metadata", wrapper=wrapper)
        self.assertEqual(rc, 0, err)


if __name__ == "__main__":
    unittest.main(verbosity=2)
