"""pxpd under valgrind: a connected session with echo, ping, bad input,
a non-blocking command and a status query, then SIGTERM. Valgrind must
report no errors and no definite or indirect leaks."""
import os
import re
import signal

from pxpdtest import PxpdTestCase, main


class Valgrind(PxpdTestCase):
    def test_session_is_valgrind_clean(self):
        b = self.env.broker()
        vlog = os.path.join(self.env.dir, "valgrind.log")
        conf = self.env.config([b.uri(1)], version=1)
        agent = self.env.pxpd(conf, wrap="valgrind --error-exitcode=99 --leak-check=full "
                              "--show-leak-kinds=definite,indirect --errors-for-leak-kinds=definite,indirect "
                              "--log-file=%s" % vlog)
        self.env.wait_log("associated with", timeout=60)
        rc, lines, _ = self.env.controller(b, params={"argument": "under valgrind"}, timeout_ms=30000)
        self.assertEqual(lines[0]["data"]["results"]["outcome"], "under valgrind")
        rc, lines, _ = self.env.controller(b, module="ping", action="ping", params={}, timeout_ms=30000)
        self.assertEqual(lines[0]["message_type"], "rpc_blocking_response")
        for raw in ["not json", '{"module":1}']:
            rc, lines, _ = self.env.controller(b, extra=["--raw-data", raw], timeout_ms=30000)
            self.assertEqual(lines[0]["message_type"], "error_message")
        rc, lines, _ = self.env.controller(b, module="nope", action="x", params={}, timeout_ms=30000)
        self.assertEqual(lines[0]["message_type"], "rpc_error_message")
        rc, lines, _ = self.env.controller(b, module="command", action="run",
                                           params={"command": "echo hello"},
                                           extra=["--non-blocking", "--transaction-id", "vg-1"],
                                           timeout_ms=60000)
        self.assertEqual(lines[-1]["message_type"], "rpc_non_blocking_response")
        rc, lines, _ = self.env.controller(b, module="status", action="query",
                                           params={"transaction_id": "vg-1"}, timeout_ms=30000)
        self.assertEqual(lines[0]["data"]["results"]["status"], "success")
        b.kill(signal.SIGUSR1)     # a reconnect too
        self.env.wait_log("associated with", count=2, timeout=60)
        self.assertEqual(agent.stop(signal.SIGTERM, timeout=60), 0)
        text = open(vlog).read()
        self.assertRegex(text, r"ERROR SUMMARY: 0 errors")
        self.assertIsNone(re.search(r"(definitely|indirectly) lost: [1-9]", text), text[-3000:])


if __name__ == "__main__":
    main()
