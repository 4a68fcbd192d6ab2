#!/bin/sh
# run.sh: the chaos runs of issue 13 against the default build (build/).
#   sh tests/chaos/run.sh          the short form (as integration_chaos)
#   sh tests/chaos/run.sh --long   20 kills of pxpd during 200 mixed
#       actions (some of 30 s), 5 broker restarts during 200 actions and
#       a SIGSTOP longer than the keepalive, the stall and the cut, the
#       spool filling up, the wall clock jumping by a day each way.
# Each scenario's figures go to tests/bench/RESULTS.md; exit 1 when an
# audit failed.
set -eu
cd "$(dirname "$0")/../.."
b=${PXPD_BUILD:-build}
export PXPD_BIN=$b/agent/pxpd BROKER_BIN=$b/tests/broker/pcp-broker \
	CONTROLLER_BIN=$b/tests/controller/pcp-controller \
	CA_SCRIPT=$PWD/tests/ca/make-ca.sh PYTHONDONTWRITEBYTECODE=1
[ -x "$PXPD_BIN" ] || { echo "run.sh: build first (README: cmake --build $b)" >&2; exit 2; }
if [ "${1:-}" != "--long" ]; then
	exec python3 tests/chaos/test_chaos.py
fi
exec python3 - <<'PY'
import sys
sys.path.insert(0, "tests/chaos")
sys.path.insert(0, "tests/bench")
import benchlog
import chaos

runs = [
    lambda: chaos.pxpd_kills(n_actions=200, kills=20, long_s=30),
    lambda: chaos.broker_kills(n_actions=200, kills=5, stop_s=25),
    lambda: chaos.stall(),
    lambda: chaos.enospc(n_actions=40),
    lambda: chaos.clock(n_actions=20, jump="+1d"),
]
failed = 0
for run in runs:
    fig = run()
    bad = fig.pop("bad")
    failed += bool(bad)
    benchlog.report("chaos %s: %s; audit: %s [tests/chaos/run.sh --long]" % (
        fig.pop("scenario"), ", ".join("%s=%s" % kv for kv in sorted(fig.items())),
        "clean" if not bad else "%d failures, first: %s" % (len(bad), bad[0])), source="chaos")
    for b in bad[:20]:
        print("  " + b)
sys.exit(1 if failed else 0)
PY
