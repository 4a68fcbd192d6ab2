"""Sandbox integration: the limits and isolation of every action, end to
end through pxpd: action-timeout and cancel take down the whole process
tree (checked with ps), the agent's environment stays out of actions,
run-as user, umask, no_new_privs and the rlimits come from the config,
and the cgroup v2 decision is logged once at startup."""
import os
import stat
import subprocess

from pxpdtest import BrokerTestCase, main, wait_for

# The action prints its shell's pid (leader of its process group) and a
# background child's, then waits: both must be gone afterwards.
TREE = "sleep 100 & echo $$ $!; sleep 100"


def alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def group_members(pgid):
    out = subprocess.run(["ps", "-eo", "pid=,pgid=,args="], stdout=subprocess.PIPE,
                         check=True).stdout.decode()
    rows = [l.split(None, 2) for l in out.splitlines() if l.strip()]
    return [r for r in rows if len(r) >= 2 and r[1] == str(pgid)]


class Sandbox(BrokerTestCase):
    def command(self, cmd, **kw):
        rc, lines, _ = self.env.controller(self.b, version=2, module="command", action="run",
                                           params={"command": cmd}, **kw)
        return lines

    def spool(self, tid, name=None):
        p = os.path.join(self.env.dir, "spool", tid)
        return os.path.join(p, name) if name else p

    def assert_tree_gone(self, leader, bg):
        wait_for(lambda: not alive(leader) and not alive(bg), timeout=10,
                 what="the action's processes to end")
        wait_for(lambda: not group_members(leader), timeout=10,
                 what="no process left in group %d" % leader)

    def test_timeout_kills_whole_tree(self):
        self.agent(**{"action-timeout": 2})
        lines = self.command(TREE, timeout_ms=30000)
        self.assertEqual(lines[0]["message_type"], "rpc_blocking_response", lines)
        res = lines[0]["data"]["results"]
        self.assertEqual(res["exitcode"], 143, res)
        self.assertIn("timed out and was killed", self.env.pxpd_log())
        leader, bg = (int(x) for x in res["stdout"].split())
        self.assert_tree_gone(leader, bg)

    def test_cancel_kills_tree_and_reports_cancelled(self):
        # The requester listens for the outcome: agent02 cancels, as the
        # policy lets it.
        self.agent(**{"policy-file": self.env.policy_cancel_by_agent02()})
        tid = "sbx-cancel-1"
        p = self.env.controller_bg(self.b, version=2, module="command", action="run",
                                   params={"command": TREE},
                                   extra=["--non-blocking", "--transaction-id", tid])
        out = self.spool(tid, "stdout")
        wait_for(lambda: os.path.exists(out) and open(out).read().endswith("\n"),
                 what="the action's pids")
        leader, bg = (int(x) for x in open(out).read().split())
        self.assertTrue(alive(leader) and alive(bg))
        rc, lines, _ = self.env.controller(self.b, version=2, module="status", action="cancel",
                                           cert="agent02", params={"transaction_id": tid})
        self.assertEqual(lines[0]["message_type"], "rpc_blocking_response", lines)
        self.assertTrue(lines[0]["data"]["results"]["cancelled"])
        rc, lines = self.env.controller_wait(p)
        finals = [l for l in lines if l["message_type"] in
                  ("rpc_non_blocking_response", "rpc_error_message")]
        self.assertEqual(len(finals), 1, lines)
        self.assertEqual(finals[0]["message_type"], "rpc_error_message", finals)
        self.assertIn("cancelled", finals[0]["data"]["description"])
        self.assert_tree_gone(leader, bg)

    def test_environment_allow_list(self):
        os.environ["SECRET_TOKEN"] = "hunter2"
        try:
            self.agent()
        finally:
            del os.environ["SECRET_TOKEN"]
        lines = self.command("env")
        out = lines[0]["data"]["results"]["stdout"]
        self.assertNotIn("SECRET_TOKEN", out)
        self.assertNotIn("hunter2", out)
        self.assertIn("PATH=%s\n" % os.environ["PATH"], out)

    def test_cgroup_decision_logged_once(self):
        self.agent(**{"action-memory-max": 100 << 20})
        self.command("true")
        log = self.env.pxpd_log()
        said = log.count("cgroup v2 not available") + log.count("sandbox: actions run in cgroups")
        self.assertEqual(said, 1, log[-3000:])
        if "cgroup v2 not available" in log:
            self.assertIn("falling back to rlimits", log)

    def test_config_limits_and_run_as(self):
        if os.geteuid() != 0:
            self.skipTest("run-as needs root")
        self.agent(**{"action-user": "nobody", "action-memory-max": 100 << 20,
                      "action-pids-max": 50, "action-cgroup": "off"})
        lines = self.command("id -u; umask; grep NoNewPrivs /proc/self/status; "
                             "grep -E 'Max (address space|processes)' /proc/self/limits")
        out = lines[0]["data"]["results"]["stdout"].splitlines()
        self.assertEqual(out[0], "65534")
        self.assertEqual(out[1], "0077")
        self.assertEqual(out[2], "NoNewPrivs:\t1")
        self.assertEqual(out[3].split()[2:4], ["50", "50"])
        self.assertEqual(out[4].split()[3:5], ["104857600", "104857600"])
        self.assertIn("action-cgroup is \"off\"", self.env.pxpd_log())
        # non-blocking: the spool files stay the agent's
        tid = "sbx-nobody-1"
        self.env.controller(self.b, version=2, module="command", action="run",
                            params={"command": "id -un"},
                            extra=["--non-blocking", "--transaction-id", tid])
        for name in ("stdout", "stderr", "exitcode", "pid"):
            st = os.stat(self.spool(tid, name))
            self.assertEqual(st.st_uid, os.geteuid(), name)
            self.assertEqual(stat.S_IMODE(st.st_mode), 0o600, name)
        self.assertEqual(open(self.spool(tid, "stdout")).read(), "nobody\n")

    def test_unknown_user_refused(self):
        self.agent(**{"action-user": "pxpd-no-such-user"})
        lines = self.command("echo ran")
        res = lines[0]["data"]["results"]
        self.assertEqual(res["exitcode"], 127, res)
        self.assertIn("no such user", res["stderr"])
        self.assertEqual(res.get("stdout", ""), "")


if __name__ == "__main__":
    main()
