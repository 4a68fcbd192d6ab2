"""tests/fleet/run.sh N: N pxpd agents against one test broker, then a
broker restart. Prints the figures, appends the summary line to the
benchmarks' results log (tests/bench/RESULTS.md, via benchlog) and exits 1 when issue 8's reconnect goal is not
met (all back within 15 s of the broker being up, at most 15% in any one
second), 2 when the fleet never connected in the first place."""
import argparse
import os
import signal
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fleet  # noqa: E402

sys.path.insert(0, os.path.join(fleet.TOP, "tests", "bench"))
import benchlog  # noqa: E402


def _terminate(signum, frame):
    # SIGTERM/SIGHUP end the run like Ctrl-C: through the finally below.
    raise KeyboardInterrupt("signal %d" % signum)


def main():
    ap = argparse.ArgumentParser(prog="tests/fleet/run.sh")
    ap.add_argument("n", type=int, help="number of agents")
    ap.add_argument("--pcp-version", type=int, choices=(1, 2), default=1)
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                    help="extra pxpd config (JSON value or string), e.g. --set connection-timeout=1")
    ap.add_argument("--down", type=float, default=3.0, help="seconds the broker stays down (3)")
    ap.add_argument("--connect-timeout", type=float, default=0,
                    help="seconds to wait for the first connections (60 + N/10)")
    ap.add_argument("--reconnect-timeout", type=float, default=90.0,
                    help="seconds to wait for reconnections after the restart (90)")
    ap.add_argument("--idle", type=float, default=10.0,
                    help="seconds of idle CPU measurement before the restart (10; 0: skip)")
    ap.add_argument("--goal-seconds", type=float, default=15.0)
    ap.add_argument("--goal-share", type=float, default=0.15)
    ap.add_argument("--results", default=benchlog.LOG,
                    help="results log to append the summary to (%(default)s; '' for none)")
    ap.add_argument("--loglevel", default="info", help="pxpd loglevel (info)")
    ap.add_argument("--keep", action="store_true", help="keep the work dir (agent logs)")
    args = ap.parse_args()

    config = {}
    for kv in args.set:
        k, _, v = kv.partition("=")
        try:
            config[k] = fleet.json.loads(v)
        except ValueError:
            config[k] = v
    signal.signal(signal.SIGTERM, _terminate)
    signal.signal(signal.SIGHUP, _terminate)

    f = fleet.Fleet(args.n, version=args.pcp_version, loglevel=args.loglevel, keep=args.keep)
    try:
        fig = fleet.scenario(f, connect_timeout=args.connect_timeout or 60 + args.n / 10.0,
                             idle=args.idle, down=args.down,
                             reconnect_timeout=args.reconnect_timeout, config=config,
                             say=lambda s: print(s, flush=True))
    except RuntimeError as e:
        print("fleet: %s" % e, file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("fleet: interrupted; stopping every process", file=sys.stderr)
        return 130
    finally:
        f.close()
        if args.keep:
            print("work dir kept: %s" % f.dir)

    print(fleet.report_text(fig))
    bad = fleet.goal_check(fig, args.goal_seconds, args.goal_share)
    line = fleet.summary_line(fig, bad)
    line += " [tests/fleet/run.sh %s]" % " ".join(sys.argv[1:])
    if args.results:
        benchlog.LOG = args.results
        benchlog.report(line)
        print("appended to %s" % args.results)
    else:
        print(line)
    for b in bad:
        print("GOAL NOT MET: %s" % b)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
