"""integration_chaos: the short form of tests/chaos (issue 13): a few
kills of pxpd during 40 mixed actions, one broker restart, one stall and
one cut through a proxy, the spool filling up; each ends with chaos.py's
audit (exactly one final status per accepted transaction, matching its
exit code; its final response delivered once; nothing left running; no
empty or invalid metadata). The long form: tests/chaos/run.sh --long."""
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import chaos  # noqa: E402

KEEP = bool(os.environ.get("PXPD_KEEP"))


class Chaos(unittest.TestCase):
    def check(self, fig):
        sys.stderr.write("%s\n" % {k: v for k, v in fig.items() if k != "bad"})
        self.assertEqual(fig["bad"], [], "\n".join(fig["bad"]))

    def test_pxpd_killed_three_times(self):
        self.check(chaos.pxpd_kills(n_actions=40, kills=3, long_s=0, keep=KEEP))

    def test_broker_restarted(self):
        self.check(chaos.broker_kills(n_actions=40, kills=1, keep=KEEP))

    def test_stall_and_cut(self):
        self.check(chaos.stall(keep=KEEP))

    def test_spool_fills_up(self):
        self.check(chaos.enospc(keep=KEEP))

    def test_wall_clock_jumps(self):
        self.check(chaos.clock(keep=KEEP))


if __name__ == "__main__":
    unittest.main(verbosity=2)
