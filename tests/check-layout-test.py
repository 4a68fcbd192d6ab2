#!/usr/bin/env python3
"""check-layout-test.py: tests/check-layout.py fails on planted violations.

Builds a small tree in a temp dir (a copy of the real agent/pcp and
base/jsonutil, which are pure, plus a few made-up files that use every
allowed arrow), checks that it passes, then plants one violation at a time
and checks that the script fails and names it. Also: comments are not
includes, the allow-list lets a listed break pass and reports entries it no
longer finds, and a malformed allow-list is an error. python3 stdlib only.
"""
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
SCRIPT = os.path.join(HERE, "check-layout.py")

# A clean tree: each file uses arrows the layout allows.
CLEAN = {
    "agent/main.c": '#include <signal.h>\n#include "config/config.h"\n'
                    '#include "conn/conn.h"\n#include "engine/engine.h"\n'
                    '#include "exec/exec.h"\n#include "os/daemon.h"\n',
    "agent/config/config.h": '#include "base/util.h"\n',
    "agent/base/util.h": "",
    "agent/conn/conn.h": '#include "pcp/codec.h"\n#include "config/config.h"\n',
    "agent/conn/conn.c": '#include "conn/conn.h"\n#include "base/log.h"\n',
    "agent/engine/engine.h": '#include "pcp/codec.h"\n#include "module.h"\n',
    "agent/engine/engine.c": '#include "engine/engine.h"\n'
                             '#include "spool/spool.h"\n'
                             '#include "builtin/tasklike.h"\n',
    "agent/spool/spool.h": "",
    "agent/spool/spool_int.h": '#include "spool/spool.h"\n',
    "agent/spool/spool.c": '#include "spool/spool_int.h"\n#include "os/fs.h"\n',
    "agent/exec/exec.h": "",
    "agent/exec/exec_int.h": '#include "exec/exec.h"\n',
    "agent/fetch/fetch.h": '#include "config/config.h"\n',
    "agent/os/fs.h": "",
    "agent/os/daemon.h": "",
    "agent/os/posix/exec.c": '#include <unistd.h>\n#include <sys/wait.h>\n'
                             '#include "exec/exec_int.h"\n'
                             '#include "spool/spool_int.h"\n'
                             '#ifdef __linux__\n#endif\n',
    "modules/module.h": "",
    "modules/builtin/tasklike.h": '#include "module.h"\n',
    "modules/builtin/echo.c": '#include "module.h"\n#include "exec/exec.h"\n'
                              '#include "fetch/fetch.h"\n'
                              '#include "spool/spool.h"\n',
    "modules/extmod/extmod.c": '#include "module.h"\n#include "exec/exec.h"\n',
    "modules/puppet/main.c": '#include <unistd.h>\n#include "run.h"\n',
    "modules/puppet/run.h": "",
}
# Real files copied in: pure, so they must pass as they are.
COPIED = ["agent/pcp", "agent/base/jsonutil.c", "agent/base/jsonutil.h"]


class CheckLayoutTest(unittest.TestCase):
    def setUp(self):
        self.root = tempfile.mkdtemp(prefix="pxpd-layout-")
        for rel, text in CLEAN.items():
            self.write(rel, text)
        for rel in COPIED:
            src, dst = os.path.join(ROOT, rel), os.path.join(self.root, rel)
            if os.path.isdir(src):
                shutil.copytree(src, dst, dirs_exist_ok=True)
            else:
                shutil.copy(src, dst)
        self.allow = os.path.join(self.root, "allow.txt")
        self.write("allow.txt", "# nothing allowed\n")

    def tearDown(self):
        shutil.rmtree(self.root)

    def fresh(self):
        """A clean tree again, for the next subTest."""
        self.tearDown()
        self.setUp()

    def write(self, rel, text, mode="w"):
        path = os.path.join(self.root, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, mode) as f:
            f.write(text)

    def run_check(self, *extra):
        p = subprocess.run([sys.executable, SCRIPT, "--root", self.root,
                            "--allow", self.allow] + list(extra),
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           universal_newlines=True)
        return p.returncode, p.stdout

    def assert_passes(self, *extra):
        rc, out = self.run_check(*extra)
        self.assertEqual(rc, 0, out)
        self.assertNotIn("VIOLATION", out)
        return out

    def assert_fails(self, rel, text, *expect):
        """Appends text to rel; the check must fail naming rel and expect."""
        self.write(rel, text, "a")
        rc, out = self.run_check()
        self.assertEqual(rc, 1, out)
        self.assertIn("VIOLATION: " + rel + ":", out)
        for e in expect:
            self.assertIn(e, out)
        return out

    def test_clean_tree_passes(self):
        out = self.assert_passes()
        self.assertIn("0 violations", out)

    def test_pcp_includes_conn(self):
        self.assert_fails("agent/pcp/codec.c", '#include "conn/conn.h"\n',
                          "pcp may not call conn")

    def test_pcp_includes_engine_spool_fetch_exec_os(self):
        for h in ("engine/engine.h", "spool/spool.h", "fetch/fetch.h",
                  "exec/exec.h", "os/fs.h"):
            with self.subTest(header=h):
                self.fresh()
                self.assert_fails("agent/pcp/pxp.c", '#include "%s"\n' % h,
                                  "agent/pcp/pxp.c", h)

    def test_below_calls_up(self):
        cases = [("agent/spool/spool.c", "engine/engine.h", "spool -> engine"),
                 ("agent/spool/spool.c", "builtin/tasklike.h",
                  "spool -> modules"),
                 ("agent/exec/exec.h", "module.h", "exec -> modules"),
                 ("agent/fetch/fetch.h", "engine/engine.h", "fetch -> engine"),
                 ("agent/base/util.h", "config/config.h", "base -> config"),
                 ("agent/conn/conn.c", "engine/engine.h", "conn -> engine"),
                 ("modules/builtin/echo.c", "engine/engine.h",
                  "modules -> engine"),
                 ("modules/extmod/extmod.c", "pcp/codec.h", "modules -> pcp"),
                 ("agent/main.c", "spool/spool.h", "entry -> spool"),
                 ("modules/puppet/main.c", "base/util.h", "puppet -> base")]
        for rel, h, arrow in cases:
            with self.subTest(file=rel, header=h):
                self.fresh()
                self.assert_fails(rel, '#include "%s"\n' % h, arrow)

    def test_other_spellings_of_an_include(self):
        for text in ('#include <conn/conn.h>\n',
                     '#include "../conn/conn.h"\n',
                     '  #  include "conn/conn.h"\n'):
            with self.subTest(text=text):
                self.fresh()
                self.assert_fails("agent/pcp/codec.c", text,
                                  "pcp may not call conn")

    def test_posix_header_in_shared_code(self):
        for rel, h in (("agent/exec/exec.h", "unistd.h"),
                       ("agent/pcp/codec.c", "sys/stat.h"),
                       ("agent/base/jsonutil.c", "pthread.h"),
                       ("modules/extmod/extmod.c", "dirent.h"),
                       ("modules/builtin/echo.c", "signal.h"),
                       ("agent/engine/engine.c", "syslog.h")):
            with self.subTest(file=rel, header=h):
                self.fresh()
                self.assert_fails(rel, "#include <%s>\n" % h,
                                  "POSIX header in shared code")

    def test_platform_macro_in_shared_code(self):
        self.assert_fails("agent/spool/spool.c",
                          "#if defined(_WIN32) || defined(__linux__)\n#endif\n",
                          "#if _WIN32", "#if __linux__")

    def test_platform_folder_header_from_outside_os(self):
        self.assert_fails("agent/spool/spool.c", '#include "os/posix/fs.h"\n',
                          "include os/*.h, the door")

    def test_private_header_of_another_part(self):
        self.assert_fails("agent/engine/engine.c",
                          '#include "spool/spool_int.h"\n',
                          "spool's private header")

    def test_file_outside_the_parts(self):
        self.write("agent/stray.c", "")
        self.write("agent/newpart/x.c", "")
        rc, out = self.run_check()
        self.assertEqual(rc, 1, out)
        self.assertIn("VIOLATION: agent/stray.c", out)
        self.assertIn("VIOLATION: agent/newpart/x.c", out)

    def test_comments_are_not_includes(self):
        self.write("agent/pcp/codec.c", '/*\n#include "conn/conn.h"\n*/\n'
                   '// #include <unistd.h>\n'
                   'static const char *s = "pcp://*/x"; /* a glob */\n', "a")
        self.assert_passes()

    def test_allow_list(self):
        self.write("agent/pcp/codec.c", '#include "conn/conn.h"\n', "a")
        self.assertEqual(self.run_check()[0], 1)
        self.write("allow.txt", "agent/pcp/codec.c -> conn/conn.h  # planted\n"
                   "agent/gone.c -> unistd.h  # fixed meanwhile\n")
        out = self.assert_passes()
        self.assertIn("allowed:   agent/pcp/codec.c:", out)
        self.assertIn("# planted", out)
        self.assertIn("stale:     agent/gone.c -> unistd.h", out)
        rc, out = self.run_check("--strict")
        self.assertEqual(rc, 1, out)
        self.assertIn("STALE:", out)

    def test_allow_list_needs_a_reason(self):
        self.write("allow.txt", "agent/pcp/codec.c -> conn/conn.h\n")
        rc, out = self.run_check()
        self.assertEqual(rc, 2, out)
        self.assertIn("not 'file -> header  # why'", out)


if __name__ == "__main__":
    unittest.main(verbosity=2)
