"""Crash consistency of the spool (issue 10 item 6), through the real
pxpd, test broker, controller and file system.

The test binary pxpd-crashpoints (agent/base/crash.h: armed from its
environment, never installed) names every step of every spool write
sequence: a transaction's creation (spool.dir_made, metadata.written,
.synced, .renamed, .dir_synced, spool.dir_synced), the pid file, the
wrapper's output and exitcode (wrapper.output_synced, exitcode.*), the end
(owed.*, finish.owed_recorded, metadata.* again, finish.metadata_final) and
the delivery (owed.sent, owed.cleared). A first run traces the steps of one
non-blocking action; then, for each step, a fresh pxpd dies right after it
(pxpd itself, or the wrapper for the wrapper's steps) in "power" mode: what
a power cut could take with it is undone before the restart (every file
renamed without fsync is left empty, as XFS shows it; every directory made
without an fsync of its parent is removed). A restarted plain pxpd must
then end the transaction with exactly one final status and exactly one
delivered final response (or, when the crash came before the transaction
was committed, none, and the id is free again), and no metadata file in the
spool may be empty or half-written.

Before the fsyncs (the durable metadata, the spool directory synced after
a transaction's mkdir), the metadata.renamed and spool.dir_made /
metadata.* steps of the creation leave an empty metadata file or a lost
directory of an accepted transaction, and this test fails."""
import json
import os
import shutil
import signal
import sys
import time

from pxpdtest import PXPD, SLOW, BrokerTestCase, Proc, main, wait_for

CRASH_BIN = os.environ.get("PXPD_CRASH_BIN",
                           os.path.join(os.path.dirname(PXPD), "pxpd-crashpoints"))
FINAL_TYPES = ("rpc_non_blocking_response", "rpc_error_message")
REQUIRED = ("requester", "module", "action", "request_params", "transaction_id",
            "request_id", "start", "status")


class CrashPoints(BrokerTestCase):
    def setUp(self):
        super().setUp()
        self.n = 0

    # ---- one pxpd of a case ---------------------------------------------

    def case_dir(self):
        self.n += 1
        d = os.path.join(self.env.dir, "case%02d" % self.n)
        os.makedirs(d)
        return d

    def start(self, d, binary, env=None, queued=False):
        extra = {"max-concurrent-actions": 1} if queued else {}
        conf = self.env.config([self.b.uri(2)], version=2, **extra, **{
            "reconnect-backoff-cap": 1,
            "spool-dir": os.path.join(d, "spool"),
            "logfile": os.path.join(d, "pxpd.log"),
            "pidfile": os.path.join(d, "pxpd.pid"),
        })
        n_before = self.log(d).count("connected to")
        args = [binary, "--config-file", conf, "--foreground"]
        wrap = os.environ.get("PXPD_WRAP", "")
        if wrap:
            args = wrap.split() + args
        p = Proc(args, os.path.join(d, "pxpd.out"), env=dict(os.environ, **(env or {})))
        self.env.procs.append(p)
        wait_for(lambda: self.log(d).count("connected to") > n_before, 20 * SLOW,
                 what="pxpd connected (%s)" % d)
        return p

    @staticmethod
    def log(d):
        try:
            with open(os.path.join(d, "pxpd.log"), errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def request(self, tid, sleep=0):
        return self.env.controller_bg(
            self.b, version=2, module="command", action="run",
            params={"command": "%secho out-%s; echo err >&2" % (
                "sleep %g; " % sleep if sleep else "", tid)},
            timeout_ms=int(120000 * SLOW),
            extra=["--non-blocking", "--transaction-id", tid, "--notify-outcome", "true",
                   "--client-type", "ctl-" + tid, "--expect", "3"])

    @staticmethod
    def lines(p):
        p.out.flush()
        with open(p.out.name, errors="replace") as f:
            text = f.read()
        out = []
        for l in text.splitlines():
            if l.strip().startswith("{"):
                try:
                    out.append(json.loads(l))
                except ValueError:
                    pass
        return out

    def finals(self, p, tid):
        return [l for l in self.lines(p) if l.get("message_type") in FINAL_TYPES and
                isinstance(l.get("data"), dict) and l["data"].get("transaction_id") == tid]

    def provisional(self, p, tid):
        return [l for l in self.lines(p)
                if l.get("message_type") == "rpc_provisional_response" and
                isinstance(l.get("data"), dict) and l["data"].get("transaction_id") == tid]

    def status(self, tid):
        rc, lines, _ = self.env.controller(self.b, version=2, module="status", action="query",
                                           cert="agent02", params={"transaction_id": tid},
                                           check=False)
        return lines[0]["data"]["results"]["status"] if lines and \
            lines[0]["message_type"] == "rpc_blocking_response" else None

    def check_spool(self, spool):
        """No metadata empty or half-written, every one valid."""
        for tid in os.listdir(spool):
            path = os.path.join(spool, tid, "metadata")
            if not os.path.isdir(os.path.join(spool, tid)) or not os.path.exists(path):
                continue
            with open(path, "rb") as f:
                raw = f.read()
            self.assertNotEqual(raw, b"", "%s is empty" % path)
            m = json.loads(raw)
            for k in REQUIRED:
                self.assertIsInstance(m.get(k), str, "%s: %s" % (path, k))

    @staticmethod
    def power_cut(journal):
        """Undoes what a power cut would have taken (the journal of the
        process that died)."""
        with open(journal) as f:
            for line in f:
                kind, _, path = line.rstrip("\n").partition(" ")
                if kind == "unsynced" and os.path.exists(path):
                    open(path, "w").close()
                elif kind == "newdir":
                    shutil.rmtree(path, ignore_errors=True)

    # ---- the trace -------------------------------------------------------

    def submit(self, d, prefix, queued):
        """One transaction, or (queued) two with max-concurrent-actions 1:
        the second waits in the queue (its `queued` file) for the first."""
        if not queued:
            return {prefix: self.request(prefix)}
        a, b = prefix + "a", prefix + "b"
        ctls = {a: self.request(a, sleep=0.5)}
        wait_for(lambda: self.provisional(ctls[a], a) or self.finals(ctls[a], a) or
                 self.crashed(d), 20 * SLOW, what="the first one accepted")
        ctls[b] = self.request(b)
        return ctls

    @staticmethod
    def crashed(d):
        try:
            with open(os.path.join(d, "journal")) as f:
                return "crashed " in f.read()
        except FileNotFoundError:
            return False

    def trace(self, queued):
        d = self.case_dir()
        journal = os.path.join(d, "journal")
        a = self.start(d, CRASH_BIN, env={"PXPD_CRASH_TRACE": "1",
                                          "PXPD_CRASH_JOURNAL": journal},
                       queued=queued)
        ctls = self.submit(d, "trace", queued)
        for tid, p in ctls.items():
            wait_for(lambda: self.finals(p, tid), 30 * SLOW, what="the traced final response")
            wait_for(lambda: not os.path.exists(os.path.join(d, "spool", tid, "owed")),
                     10 * SLOW, what="the owed response cleared")
        time.sleep(0.3)
        for p in ctls.values():
            p.kill()
            self.env.controller_wait(p)
        a.stop()
        # Each process counts its own passes (pid): a wrapper's steps are
        # named as that wrapper counts them, once.
        steps, seen = [], {}
        with open(journal) as f:
            for line in f:
                kind, _, rest = line.rstrip("\n").partition(" ")
                if kind != "point":
                    continue
                name, _, pid = rest.rpartition(" ")
                seen[(name, pid)] = seen.get((name, pid), 0) + 1
                step = "%s:%d" % (name, seen[(name, pid)])
                if step not in steps:
                    steps.append(step)
        return steps

    # ---- one crash -------------------------------------------------------

    def crash_case(self, step, queued):
        d = self.case_dir()
        journal = os.path.join(d, "journal")
        spool = os.path.join(d, "spool")
        a = self.start(d, CRASH_BIN, env={"PXPD_CRASH_AT": step, "PXPD_CRASH_MODE": "power",
                                          "PXPD_CRASH_JOURNAL": journal}, queued=queued)
        ctls = self.submit(d, "t%02d" % self.n, queued)
        wait_for(lambda: self.crashed(d), 30 * SLOW, what="the crash at %s" % step)
        # pxpd died there, or its wrapper did: pxpd is killed now either
        # way (a kill -9 right after the wrapper's step), then restarted
        # after the power cut.
        time.sleep(0.2)
        a.stop(signal.SIGKILL)
        self.power_cut(journal)
        self.check_spool(spool)
        accepted = {tid: bool(self.provisional(p, tid)) or bool(self.finals(p, tid))
                    for tid, p in ctls.items()}
        self.start(d, PXPD, queued=queued)
        for tid, p in ctls.items():
            self.check_one(step, spool, tid, p, accepted[tid])
        self.check_spool(spool)
        for p in ctls.values():
            p.kill()
            self.env.controller_wait(p)
        for q in list(self.env.procs):
            if q is not self.b and q.alive():
                q.stop()

    def check_one(self, step, spool, tid, p, accepted_before):
        step = "%s (%s)" % (step, tid)
        committed = os.path.exists(os.path.join(spool, tid, "metadata"))
        if accepted_before:
            # What was acknowledged survives the power cut.
            self.assertTrue(committed, "%s: an accepted transaction was lost" % step)
        if committed:
            wait_for(lambda: self.finals(p, tid), 30 * SLOW,
                     what="%s: the final response after the restart" % step)
            wait_for(lambda: not os.path.exists(os.path.join(spool, tid, "owed")), 10 * SLOW,
                     what="%s: the owed response cleared" % step)
            with open(os.path.join(spool, tid, "metadata")) as f:
                stored = json.load(f)["status"]
            self.assertIn(stored, ("success", "failure", "undetermined"), step)
            st = self.status(tid)
            # pxp-agent answers "unknown" for an undetermined one.
            self.assertEqual(st, {"undetermined": "unknown"}.get(stored, stored), step)
            time.sleep(1.0)     # a second copy would come now
            finals = self.finals(p, tid)
            # One final response: a crash after its frame was written and
            # before its owed file was cleared (owed.sent) resends it, as
            # the same message (the same id), which is all a sender can do
            # without an acknowledgement from the receiver.
            ids = {l["id"] for l in finals}
            self.assertEqual(len(ids), 1, "%s: %s" % (step, finals))
            if not step.startswith("owed.sent"):
                self.assertEqual(len(finals), 1, "%s: %s" % (step, finals))
            if stored == "success":
                self.assertEqual(finals[0]["message_type"], "rpc_non_blocking_response", step)
                self.assertEqual(finals[0]["data"]["results"]["stdout"], "out-%s\n" % tid, step)
            else:
                self.assertEqual(finals[0]["message_type"], "rpc_error_message", step)
        else:
            # Never committed: no final response, the id answers unknown
            # and is free again.
            time.sleep(1.0)
            self.assertEqual(self.finals(p, tid), [], step)
            self.assertEqual(self.status(tid), "unknown", step)
            self.assertFalse(os.path.exists(os.path.join(spool, tid)), step)

    def every_step(self, queued, must):
        steps = self.trace(queued)
        names = {s.rsplit(":", 1)[0] for s in steps}
        # The sequences the trace must cover (else a step was not named).
        for m in must:
            self.assertIn(m, names, steps)
        sys.stderr.write("%d steps: %s\n" % (len(steps), " ".join(steps)))
        only = os.environ.get("PXPD_CRASH_ONLY")
        done = 0
        for step in steps:
            if only and step not in only.split(","):
                continue
            with self.subTest(step=step):
                self.crash_case(step, queued)
                done += 1
        self.assertGreaterEqual(done, 1 if not only else 0)

    def test_every_step_of_every_spool_write(self):
        """One non-blocking action: its creation, start, end, delivery."""
        self.every_step(False, (
            "spool.dir_made", "metadata.renamed", "spool.dir_synced", "exitcode.renamed",
            "wrapper.output_synced", "owed.renamed", "finish.owed_recorded",
            "finish.metadata_final", "owed.sent", "owed.cleared"))

    def test_every_step_with_a_queued_action(self):
        """Two, the second queued behind the first (max-concurrent-actions
        1): its `queued` file too."""
        self.every_step(True, ("queued.synced", "queued.renamed", "queued.dir_synced",
                               "metadata.renamed", "owed.renamed"))


if __name__ == "__main__":
    main()
