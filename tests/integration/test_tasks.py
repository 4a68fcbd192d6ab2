"""Built-in task, script and file modules against a real HTTPS file
server (nginx with mutual TLS, fileserver.py) standing in for
puppetserver: input methods and PT_* variables, implementation choice,
multi-file tasks and _installdir, the task cache, download failures,
path traversal, script arguments, file/directory/symlink downloads and
non-blocking runs with status queries."""
import json
import os
import shutil
import stat

from fileserver import PREFIX, FileServer, sha256
from pxpdtest import PxpdTestCase, main, wait_for, free_port

ENV_TASK = r'''#!/bin/sh
# Prints what it got: stdin first, then the PT_ variables it knows.
printf 'stdin=%s\n' "$(cat)"
for v in PT_message PT__task PT_count PT_list PT_obj PT_nothing PT_flag PT__installdir; do
  eval "val=\${$v-<unset>}"
  printf '%s=%s\n' "$v" "$val"
done
'''

PY_TASK = r'''#!/usr/bin/env python3
import json, sys
args = json.load(sys.stdin)
print(json.dumps({"sum": args["a"] + args["b"], "task": args["_task"]}))
'''

SERVICE_LINUX = r'''#!/bin/sh
. "$PT__installdir/service/files/common.sh"
common_hello
echo "linux.sh action=$PT_action name=$PT_name"
printf 'stdin=%s\n' "$(cat)"
'''

SERVICE_COMMON = "common_hello() { echo 'common.sh loaded'; }\n"

SERVICE_INIT_RB = "#!/bin/sh\necho init.rb ran\n"

# pxp-agent's lib/tests/resources/tasks-cache/<NULL_BYTE_SHA>/null_byte
NULL_BYTE_TASK = '#!/bin/sh\n\nprintf "foo\\0bar"\n'
NULL_BYTE_SHA = "b26e34bc50c88ca5ee2bfcbcaff5c23b0124db9479e66390539f2715b675b7e7"


def read(path):
    with open(path) as f:
        return f.read()


def kv(stdout):
    out = {}
    for line in stdout.splitlines():
        k, _, v = line.partition("=")
        out[k] = v
    return out


class Tasks(PxpdTestCase):
    def setUp(self):
        super().setUp()
        self.b = self.env.broker()
        self.fs = FileServer(self.env)
        self.addCleanup(self.fs.stop)
        self.cache = os.path.join(self.env.dir, "tasks-cache")
        self.spool = os.path.join(self.env.dir, "spool")

    def tearDown(self):
        # Every test ends with a clean stop: exit code 0, which under the
        # sanitizer build also means no leak and no memory error.
        a = getattr(self, "pxpd", None)
        if a is not None and a.alive():
            code = a.stop()
            out = a.log()
            super().tearDown()
            self.assertEqual(code, 0, out[-4000:])
        else:
            super().tearDown()

    def agent(self, masters=None, **cfg):
        cfg["master-uris"] = masters if masters is not None else [self.fs.uri]
        self.pxpd = self.start_agent([self.b.uri(2)], version=2, **cfg)
        return self.pxpd

    def request(self, module, action, params, tid=None, non_blocking=False, **kw):
        extra = []
        if non_blocking:
            extra += ["--non-blocking"]
        if tid:
            extra += ["--transaction-id", tid]
        rc, lines, _ = self.env.controller(self.b, version=2, module=module, action=action,
                                           params=params, extra=extra, timeout_ms=30000, **kw)
        return [l for l in lines if l["message_type"] != "rpc_provisional_response"]

    def run_task(self, params, **kw):
        lines = self.request("task", "run", params, **kw)
        self.assertEqual(len(lines), 1, lines)
        return lines[0]

    def results(self, line):
        self.assertIn(line["message_type"], ("rpc_blocking_response", "rpc_non_blocking_response"),
                      "%s\npxpd.log:\n%s" % (line, self.env.pxpd_log()[-3000:]))
        return line["data"]["results"]

    def error(self, line):
        self.assertEqual(line["message_type"], "rpc_error_message", line)
        return line["data"]["description"]

    def status(self, tid):
        rc, lines, _ = self.env.controller(self.b, version=2, module="status", action="query", cert="agent02",
                                           params={"transaction_id": tid})
        return lines[0]["data"]["results"]

    def env_task(self, name="init.sh", module="mymod"):
        return self.fs.file_obj(name, "tasks/%s/%s" % (module, name), ENV_TASK)

    # ---- input delivery ---------------------------------------------------

    def test_shell_task_input_methods_and_pt_vars(self):
        self.agent()
        f = self.env_task()
        inp = {"message": "hello world", "count": 3, "list": ["a", "b"], "obj": {"k": 1},
               "nothing": None, "flag": True}
        got = {}
        for method in ("stdin", "environment", "both", None):
            params = {"task": "mymod", "input": inp, "files": [f]}
            if method:
                params["metadata"] = {"input_method": method}
            got[method] = kv(self.results(self.run_task(params))["stdout"])
        # stdin: the params JSON (input + _task), no variables
        self.assertEqual(json.loads(got["stdin"]["stdin"]), dict(inp, _task="mymod"))
        self.assertEqual(got["stdin"]["PT_message"], "<unset>")
        # environment: no stdin, strings verbatim, the rest compact JSON
        env = got["environment"]
        self.assertEqual(env["stdin"], "")
        self.assertEqual(env["PT_message"], "hello world")
        self.assertEqual(env["PT__task"], "mymod")
        self.assertEqual(env["PT_count"], "3")
        self.assertEqual(env["PT_list"], '["a","b"]')
        self.assertEqual(env["PT_obj"], '{"k":1}')
        self.assertEqual(env["PT_nothing"], "null")
        self.assertEqual(env["PT_flag"], "true")
        self.assertEqual(env["PT__installdir"], "<unset>")
        # both, and the default for a non-.ps1 file: stdin and variables
        for m in ("both", None):
            self.assertEqual(json.loads(got[m]["stdin"])["_task"], "mymod")
            self.assertEqual(got[m]["PT_list"], '["a","b"]')
        # _task overrides a caller's _task; params.input_method works
        # without a metadata object
        r = self.results(self.run_task({"task": "mymod::other", "input": {"_task": "forged"},
                                        "files": [f], "input_method": "environment"}))
        out = kv(r["stdout"])
        self.assertEqual(out["PT__task"], "mymod::other")
        self.assertEqual(out["stdin"], "")

    def test_python_task_and_exit_code(self):
        self.agent()
        f = self.fs.file_obj("sum.py", "tasks/calc/sum.py", PY_TASK)
        r = self.results(self.run_task({"task": "calc::sum", "input": {"a": 2, "b": 40}, "files": [f],
                                        "metadata": {"input_method": "stdin"}}))
        self.assertEqual(r["exitcode"], 0)
        self.assertEqual(json.loads(r["stdout"]), {"sum": 42, "task": "calc::sum"})
        fail = self.fs.file_obj("fail.sh", "tasks/calc/fail.sh", "#!/bin/sh\necho oops >&2\nexit 3\n")
        r = self.results(self.run_task({"task": "calc::fail", "input": {}, "files": [fail]}))
        self.assertEqual(r, {"exitcode": 3, "stderr": "oops\n"})

    # ---- implementations and multi-file tasks --------------------------------

    def service_params(self, features=None):
        files = [self.fs.file_obj("init.rb", "tasks/service/init.rb", SERVICE_INIT_RB),
                 self.fs.file_obj("linux.sh", "tasks/service/linux.sh", SERVICE_LINUX),
                 self.fs.file_obj("service/files/common.sh", "modules/service/common.sh", SERVICE_COMMON)]
        meta = {"input_method": "stdin",
                "implementations": [
                    {"name": "init.rb", "requirements": ["puppet-agent"]},
                    {"name": "windows.ps1", "requirements": ["powershell"], "input_method": "powershell"},
                    {"name": "linux.sh", "requirements": ["shell"], "input_method": "environment",
                     "files": ["service/files/common.sh"]}],
                "parameters": {"action": {"type": "Enum[start, stop, restart, enable, disable, status]"},
                               "name": {"type": "String[1]"}}}
        if features is not None:
            meta["features"] = features
        return {"task": "service", "input": {"action": "status", "name": "cron"},
                "metadata": meta, "files": files}

    def test_service_task_picks_linux_sh_without_puppet_ruby(self):
        if os.access("/opt/puppetlabs/puppet/bin/ruby", os.X_OK) or shutil.which("pwsh"):
            self.skipTest("this machine has Puppet's Ruby or pwsh")
        self.agent()
        r = self.results(self.run_task(self.service_params()))
        self.assertEqual(r["exitcode"], 0, r)
        lines = r["stdout"].splitlines()
        self.assertEqual(lines, ["common.sh loaded", "linux.sh action=status name=cron", "stdin="])
        # init.rb was never fetched; the helper came from /file_content/modules/
        self.assertEqual(self.fs.requests("init.rb"), [])
        self.assertEqual(len(self.fs.requests(PREFIX + "/modules/service/common.sh?environment=production")), 1)
        self.assertIn("running task service", self.env.pxpd_log())
        # the blocking install dir (under task-cache-dir) is gone after the run
        self.assertEqual([d for d in os.listdir(self.cache) if d.startswith("temp_task_")], [])

    def test_metadata_features_and_no_matching_implementation(self):
        self.agent()
        # A controller-declared feature makes init.rb eligible first.
        r = self.results(self.run_task(self.service_params(features=["puppet-agent"])))
        self.assertEqual(r["stdout"], "init.rb ran\n")
        p = self.service_params()
        p["metadata"]["implementations"] = [{"name": "windows.ps1", "requirements": ["powershell", "x"]}]
        desc = self.error(self.run_task(p))
        self.assertIn("no implementations match supported features: ", desc)
        self.assertIn("shell", desc)
        p["metadata"]["implementations"] = [{"name": "missing.sh"}]
        self.assertIn("'missing.sh' file requested by implementation not found", self.error(self.run_task(p)))
        p = self.service_params()
        p["metadata"]["implementations"][2]["files"] = ["service/files/nope.sh"]
        self.assertIn("'service/files/nope.sh' file requested as additional task dependency not found",
                      self.error(self.run_task(p)))
        p = self.service_params()
        p["metadata"]["implementations"][2]["input_method"] = "carrier-pigeon"
        self.assertIn("unsupported task input method: carrier-pigeon", self.error(self.run_task(p)))

    def multi_params(self):
        run = r'''#!/bin/sh
here=$(dirname "$0")
. "$PT__installdir/mymod/lib/helper.sh"
helper
cat "$here/../../mymod/files/data/a.txt" "$PT__installdir/mymod/files/data/sub/b.txt"
echo "installdir=$PT__installdir"
echo "self=$0"
'''
        files = [self.fs.file_obj("run.sh", "tasks/mymod/run.sh", run),
                 self.fs.file_obj("mymod/lib/helper.sh", "modules/mymod/lib/helper.sh",
                                  "helper() { echo helper ok; }\n"),
                 self.fs.file_obj("mymod/files/data/a.txt", "modules/mymod/data/a.txt", "A\n"),
                 self.fs.file_obj("mymod/files/data/sub/b.txt", "modules/mymod/data/sub/b.txt", "B\n"),
                 self.fs.file_obj("mymod/files/other.txt", "modules/mymod/other.txt", "not wanted\n")]
        return {"task": "mymod::run", "input": {},
                "metadata": {"files": ["mymod/files/data/"],
                             "implementations": [{"name": "run.sh", "requirements": ["shell"],
                                                  "files": ["mymod/lib/helper.sh"]}]},
                "files": files}

    def test_multi_file_task_installdir(self):
        self.agent()
        r = self.results(self.run_task(self.multi_params()))
        self.assertEqual(r["exitcode"], 0, r)
        out = r["stdout"].splitlines()
        self.assertEqual(out[:3], ["helper ok", "A", "B"])
        inst = out[3].split("=", 1)[1]
        self.assertEqual(os.path.dirname(inst), self.cache)
        self.assertRegex(os.path.basename(inst), r"^temp_task_[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}$")
        self.assertEqual(out[4], "self=%s/mymod/tasks/run.sh" % inst)
        self.assertFalse(os.path.exists(inst), "blocking install dir left behind")
        # other.txt is not asked for by the metadata: never downloaded
        self.assertEqual(self.fs.requests("other.txt"), [])

        # non-blocking: the install dir lives in the transaction's spool dir
        line = self.run_task(self.multi_params(), tid="multi-nb", non_blocking=True)
        r = self.results(line)
        inst = r["stdout"].splitlines()[3].split("=", 1)[1]
        self.assertEqual(os.path.dirname(inst), os.path.join(self.spool, "multi-nb"))
        self.assertTrue(os.path.isfile(os.path.join(inst, "mymod/files/data/sub/b.txt")))
        self.assertEqual(stat.S_IMODE(os.stat(os.path.join(inst, "mymod/tasks/run.sh")).st_mode), 0o700)
        # copies, not links into the cache
        self.assertFalse(os.path.islink(os.path.join(inst, "mymod/lib/helper.sh")))
        self.assertEqual(os.stat(os.path.join(inst, "mymod/lib/helper.sh")).st_nlink, 1)

    # ---- the cache and download failures --------------------------------------

    def test_cache_hit_downloads_once(self):
        self.agent()
        f = self.env_task()
        for _ in range(2):
            r = self.results(self.run_task({"task": "mymod", "input": {"message": "x"}, "files": [f]}))
            self.assertEqual(kv(r["stdout"])["PT_message"], "x")
        self.assertEqual(len(self.fs.requests("/tasks/mymod/init.sh")), 1, self.fs.log())
        cached = os.path.join(self.cache, f["sha256"], "init.sh")
        self.assertTrue(os.path.isfile(cached))
        self.assertEqual(stat.S_IMODE(os.stat(cached).st_mode), 0o700)
        # requests carry the Accept header puppetserver insists on (a 400 otherwise)
        self.assertNotIn("400", " ".join(l.split()[0] for l in self.fs.requests()))

    def test_sha256_mismatch_leaves_nothing(self):
        self.agent()
        f = self.env_task()
        wrong = sha256(b"something else")
        f["sha256"] = wrong
        desc = self.error(self.run_task({"task": "mymod", "input": {}, "files": [f]}))
        self.assertIn("Failed to download task file", desc)
        self.assertIn("has a SHA that differs from the provided SHA", desc)
        self.assertFalse(os.path.exists(os.path.join(self.cache, wrong)))
        self.assertEqual(os.listdir(self.cache) if os.path.isdir(self.cache) else [], [])

    def test_404_names_url_and_status(self):
        self.agent()
        f = self.env_task()
        f["uri"]["path"] = PREFIX + "/tasks/mymod/missing.sh"
        desc = self.error(self.run_task({"task": "mymod", "input": {}, "files": [f]}))
        self.assertIn("Failed to download task file", desc)
        self.assertIn("https://localhost:%d%s/tasks/mymod/missing.sh?environment=production" %
                      (self.fs.port, PREFIX), desc)
        self.assertIn("404", desc)

    def test_master_uri_down_then_next(self):
        down = "https://localhost:%d" % free_port()
        self.agent(masters=[down, self.fs.uri])
        r = self.results(self.run_task({"task": "mymod", "input": {"message": "via second"},
                                        "files": [self.env_task()]}))
        self.assertEqual(kv(r["stdout"])["PT_message"], "via second")
        self.assertEqual(len(self.fs.requests("/tasks/mymod/init.sh")), 1)

    def test_path_traversal_refused(self):
        self.agent()
        good = self.env_task()
        outside = os.path.join(self.env.dir, "evil.sh")
        cases = []
        f = dict(good, filename="../../evil.sh")
        cases.append({"task": "mymod", "input": {}, "files": [f]})
        f = dict(good, filename="mymod/files/../../../../evil.sh")
        cases.append({"task": "mymod", "input": {}, "files": [good, f],
                      "metadata": {"files": ["mymod/files/../../../../evil.sh"]}})
        f = dict(good, sha256="../../../" + "a" * 55)
        cases.append({"task": "mymod", "input": {}, "files": [f]})
        cases.append({"task": "../../evil", "input": {}, "files": [good]})
        cases.append({"task": "mymod::../evil", "input": {}, "files": [good]})
        f = dict(good, filename="/tmp/evil.sh")
        cases.append({"task": "mymod", "input": {}, "files": [f]})
        for p in cases:
            desc = self.error(self.run_task(p))
            self.assertIn("invalid input", desc, p)
        self.assertFalse(os.path.exists(outside))
        self.assertFalse(os.path.exists("/tmp/evil.sh"))
        self.assertEqual(os.listdir(self.cache) if os.path.isdir(self.cache) else [], [])
        self.assertEqual(self.fs.requests(), [])

    # ---- NUL on stdout (issue 10 item 15) ---------------------------------------

    def test_nul_on_stdout_fails_as_in_pxp_agent(self):
        # pxp-agent's fixture tasks-cache/b26e34bc.../null_byte, byte for
        # byte; its task_test.cc expects exactly this execution_error.
        self.agent()
        f = self.fs.file_obj("null_byte", "tasks/mymod/null_byte", NULL_BYTE_TASK)
        self.assertEqual(f["sha256"], NULL_BYTE_SHA)
        task = {"task": "mymod::null_byte", "input": {"message": "hello"}, "files": [f]}
        want = "The task executed for the %s returned invalid UTF-8 on stdout"
        desc = self.error(self.run_task(task, tid="0632"))
        self.assertEqual(desc, want % "blocking 'task run' request (transaction 0632)")

        # non-blocking: a failure in the spool, the raw bytes kept there
        line = self.run_task(task, tid="nul-task", non_blocking=True)
        label = "non-blocking 'task run' request (transaction nul-task)"
        self.assertEqual(self.error(line), want % label)
        sp = os.path.join(self.spool, "nul-task")
        with open(sp + "/stdout", "rb") as fh:
            self.assertEqual(fh.read(), b"foo\0bar")
        meta = json.loads(read(sp + "/metadata"))
        self.assertEqual((meta["status"], meta["results_are_valid"], meta["execution_error"]),
                         ("failure", False, want % label))
        r = self.status("nul-task")
        self.assertEqual((r["status"], r["exitcode"]), ("failure", 0))
        self.assertEqual(json.loads(r["stdout"])["_error"]["msg"], want % label)

        # command run and script run take the same rule
        lines = self.request("command", "run", {"command": "printf 'foo\\000bar'"}, tid="nul-cmd")
        self.assertEqual(self.error(lines[0]),
                         want % "blocking 'command run' request (transaction nul-cmd)")
        s = self.fs.file_obj("null_byte", "modules/mymod/null_byte", NULL_BYTE_TASK)
        lines = self.request("script", "run", {"script": s, "arguments": []}, tid="nul-script")
        self.assertEqual(self.error(lines[0]),
                         want % "blocking 'script run' request (transaction nul-script)")
        # stdout without NUL still succeeds, with the NUL on stderr repaired
        r = self.results(self.request("command", "run", {"command": "printf 'a\\000b' >&2; echo ok"})[0])
        self.assertEqual(r, {"exitcode": 0, "stdout": "ok\n", "stderr": "a\ufffdb"})

    # ---- script and file modules ----------------------------------------------

    def test_script_run_with_arguments(self):
        self.agent()
        script = "#!/bin/sh\nfor a in \"$@\"; do echo \"arg=$a\"; done\nprintf 'stdin=%s\\n' \"$(cat)\"\n" \
                 "echo \"pt=$(env | grep -c '^PT_')\"\n"
        f = self.fs.file_obj("args.sh", "modules/mymod/args.sh", script)
        line = self.request("script", "run", {"script": f, "arguments": ["one two", "", "--three"]})[0]
        r = self.results(line)
        self.assertEqual(r["stdout"].splitlines(), ["arg=one two", "arg=", "arg=--three", "stdin=", "pt=0"])
        desc = self.error(self.request("script", "run", {"script": f})[0])
        self.assertIn("'arguments'", desc)
        desc = self.error(self.request("script", "run", {"script": f, "arguments": [1]})[0])
        self.assertIn("strings", desc)

    def test_file_download_kinds(self):
        self.agent()
        d = os.path.join(self.env.dir, "dl")
        content = b"uploaded content\n"
        f = self.fs.file_obj("x", "modules/mymod/a.txt", content)

        def item(kind, dest, link=""):
            return {"uri": f["uri"], "sha256": f["sha256"], "kind": kind,
                    "destination": dest, "link_source": link}
        params = {"files": [item("directory", d), item("file", d + "/a.txt"),
                            item("directory", d + "/sub/deeper"),
                            item("symlink", d + "/link", "a.txt")]}
        line = self.request("file", "download", params, tid="dl-1", non_blocking=True)[0]
        self.assertEqual(self.results(line), {"exitcode": 0, "stdout": "downloaded"})
        with open(d + "/a.txt", "rb") as fh:
            self.assertEqual(fh.read(), content)
        self.assertEqual(stat.S_IMODE(os.stat(d + "/a.txt").st_mode), 0o750)
        self.assertTrue(os.path.isdir(d + "/sub/deeper"))
        self.assertEqual(os.readlink(d + "/link"), "a.txt")
        sp = os.path.join(self.spool, "dl-1")
        self.assertEqual(read(sp + "/exitcode").strip(), "0")
        self.assertEqual(read(sp + "/stdout"), "downloaded")
        self.assertEqual(read(sp + "/stderr"), "")
        self.assertEqual(self.status("dl-1")["status"], "success")
        self.assertEqual(len(self.fs.requests("a.txt")), 1)

        # Again, blocking: the destination already holds the content, so
        # nothing is downloaded; an existing symlink and dir are fine.
        # (cached under the destination's basename)
        os.unlink(os.path.join(self.cache, f["sha256"], "a.txt"))
        r = self.results(self.request("file", "download", params)[0])
        self.assertEqual(r, {"exitcode": 0, "stdout": "downloaded"})
        self.assertEqual(len(self.fs.requests("a.txt")), 1)

        desc = self.error(self.request("file", "download", {"files": [item("socket", d + "/s")]})[0])
        self.assertIn("Not a valid file type! socket", desc)
        self.assertFalse(os.path.exists(d + "/s"))
        desc = self.error(self.request("file", "download", {"files": [item("directory", d + "/a.txt")]})[0])
        self.assertIn("already exists and is not a directory!", desc)
        desc = self.error(self.request("file", "download", {"files": [item("symlink", d + "/a.txt", "x")]})[0])
        self.assertIn("already exists and is not a symlink!", desc)
        # a failed item fails the whole action (non-blocking: spool says so)
        bad = dict(item("file", d + "/b.txt"), sha256=sha256(b"other"))
        line = self.request("file", "download", {"files": [item("directory", d + "/ok"), bad]},
                            tid="dl-bad", non_blocking=True)[0]
        desc = self.error(line)
        self.assertIn("Failed to download %s/b.txt" % d, desc)
        self.assertFalse(os.path.exists(d + "/b.txt"))
        self.assertEqual(self.status("dl-bad")["status"], "failure")
        self.assertEqual(read(os.path.join(self.spool, "dl-bad", "exitcode")).strip(), "1")

    def test_file_download_runs_as_action_user(self):
        # issue 10 item 10: the placing of files is an action like any
        # other: as action-user, in the sandbox, through the wrapper
        if os.geteuid() != 0:
            self.skipTest("run-as needs root")
        self.agent(**{"action-user": "nobody"})
        os.chmod(self.env.dir, 0o711)       # nobody may pass, not list
        rootonly = os.path.join(self.env.dir, "rootonly")
        shared = os.path.join(self.env.dir, "shared")
        os.mkdir(rootonly, 0o755)
        os.mkdir(shared)
        os.chmod(shared, 0o777)
        content = b"placed by nobody\n"
        f = self.fs.file_obj("x", "modules/mymod/n.txt", content)

        def item(kind, dest, link=""):
            return {"uri": f["uri"], "sha256": f["sha256"], "kind": kind,
                    "destination": dest, "link_source": link}
        # where only root may write: refused, as `cp` run by nobody would be
        for it in (item("file", rootonly + "/n.txt"), item("directory", rootonly + "/d"),
                   item("symlink", rootonly + "/l", "n.txt")):
            desc = self.error(self.request("file", "download", {"files": [it]})[0])
            self.assertIn("Permission denied", desc, it["kind"])
        self.assertEqual(os.listdir(rootonly), [])
        line = self.request("file", "download", {"files": [item("file", rootonly + "/n.txt")]},
                            tid="dl-root", non_blocking=True)[0]
        self.assertIn("Failed to download %s/n.txt; cannot write" % rootonly, self.error(line))
        self.assertEqual(self.status("dl-root")["status"], "failure")
        # where nobody may write: placed, owned by nobody, pxp-agent's modes
        params = {"files": [item("directory", shared + "/d"), item("file", shared + "/d/n.txt"),
                            item("symlink", shared + "/d/l", "n.txt")]}
        line = self.request("file", "download", params, tid="dl-nobody", non_blocking=True)[0]
        self.assertEqual(self.results(line), {"exitcode": 0, "stdout": "downloaded"})
        with open(shared + "/d/n.txt", "rb") as fh:
            self.assertEqual(fh.read(), content)
        for p in (shared + "/d", shared + "/d/n.txt"):
            st = os.stat(p)
            self.assertEqual((st.st_uid, stat.S_IMODE(st.st_mode)), (65534, 0o750), p)
        self.assertEqual(os.lstat(shared + "/d/l").st_uid, 65534)
        # the spool stays the agent's
        for name in ("stdout", "exitcode"):
            self.assertEqual(os.stat(os.path.join(self.spool, "dl-nobody", name)).st_uid, os.geteuid())
        # no_new_privs and the rest of the sandbox apply: the wrapper ran it
        self.assertIn("pxpd: place files", self.env.pxpd_log())

    # ---- non-blocking ---------------------------------------------------------

    def test_non_blocking_task_and_status(self):
        self.agent()
        slow = self.fs.file_obj("slow.sh", "tasks/mymod/slow.sh",
                                "#!/bin/sh\necho started\nsleep 1.5\necho \"done $PT_n\"\n")
        p = self.env.controller_bg(self.b, version=2, module="task", action="run",
                                   params={"task": "mymod::slow", "input": {"n": 7}, "files": [slow]},
                                   extra=["--non-blocking", "--transaction-id", "nb-task"])
        wait_for(lambda: os.path.exists(os.path.join(self.spool, "nb-task", "pid")), what="pid file")
        r = self.status("nb-task")
        self.assertEqual(r["status"], "running")
        rc, lines = self.env.controller_wait(p)
        final = [l for l in lines if l["message_type"] == "rpc_non_blocking_response"]
        self.assertEqual(len(final), 1, lines)
        self.assertEqual(final[0]["data"]["results"], {"exitcode": 0, "stdout": "started\ndone 7\n"})
        r = self.status("nb-task")
        self.assertEqual(r["status"], "success")
        self.assertEqual(r["stdout"], "started\ndone 7\n")
        meta = json.loads(read(os.path.join(self.spool, "nb-task", "metadata")))
        self.assertEqual(meta["status"], "success")
        self.assertEqual(meta["request_params"], "{}")

    def slow_task(self):
        # 256 KiB at 4 KiB/s: still downloading for a minute
        body = "#!/bin/sh\necho never\n" + "#" * (256 * 1024) + "\n"
        return self.fs.file_obj("big.sh", "slow/big.sh", body)

    def test_cancel_and_stop_while_downloading(self):
        # agent02 cancels the listening requester's task (policy grant)
        agent = self.agent(**{"policy-file": self.env.policy_cancel_by_agent02()})
        p = self.env.controller_bg(self.b, version=2, module="task", action="run",
                                   params={"task": "mymod::big", "input": {}, "files": [self.slow_task()]},
                                   extra=["--non-blocking", "--transaction-id", "dl-cancel"])
        self.env.wait_log("downloading https://localhost:%d" % self.fs.port)
        # downloading counts as running
        self.assertEqual(self.status("dl-cancel")["status"], "running")
        rc, lines, _ = self.env.controller(self.b, version=2, module="status", action="cancel", cert="agent02",
                                           params={"transaction_id": "dl-cancel"})
        self.assertEqual(lines[0]["data"]["results"]["cancelled"], True, lines)
        rc, lines = self.env.controller_wait(p)
        final = [l for l in lines if l["message_type"] == "rpc_error_message"]
        self.assertEqual(len(final), 1, lines)
        self.assertIn("cancelled", final[0]["data"]["description"])
        self.assertEqual(self.status("dl-cancel")["status"], "failure")
        self.env.wait_log("download of big.sh cancelled")
        # nothing half-downloaded is left in the cache
        self.assertEqual([n for n in os.listdir(self.cache) if os.listdir(os.path.join(self.cache, n))], [])

        # pxpd stops cleanly in the middle of a download (and, under ASan,
        # without leaks)
        p = self.env.controller_bg(self.b, version=2, module="task", action="run",
                                   params={"task": "mymod::big", "input": {}, "files": [self.slow_task()]},
                                   extra=["--non-blocking", "--transaction-id", "dl-stop"],
                                   timeout_ms=3000)
        self.env.wait_log("downloading https://localhost:%d" % self.fs.port, count=2)
        self.assertEqual(agent.stop(), 0, self.env.pxpd_log()[-3000:])
        self.env.controller_wait(p)


if __name__ == "__main__":
    main()
