"""python/mfdag_static.py, the launcher Node runs: the package it runs is always ours."""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

LAUNCHER = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "mfdag_static.py")


class Launcher(unittest.TestCase):
    def setUp(self):
        self.root = os.path.realpath(tempfile.mkdtemp(prefix="mfstatic-launcher-"))
        self.addCleanup(shutil.rmtree, self.root, True)

    def test_a_repository_package_named_like_ours_never_shadows_it(self):
        # The repository is the working directory, and has its own `mfstatic` and `json`: the
        # launcher must still run the real package, as Node runs it (-I: even with the repository
        # on PYTHONPATH) and as the one-shot tests run it (-B).
        os.makedirs(os.path.join(self.root, "mfstatic"))
        for rel in ("mfstatic/__init__.py", "mfstatic/server.py", "json.py"):
            with open(os.path.join(self.root, rel), "w") as fh:
                fh.write("raise SystemExit('shadowed: %s')\n" % rel)
        request = json.dumps({"root": self.root, "scan": ["json.py"]})
        for flags, env in ((["-I", "-S", "-B"], dict(os.environ, PYTHONPATH=self.root)), (["-B"], None)):
            with self.subTest(flags=flags):
                done = subprocess.run([sys.executable] + flags + [LAUNCHER], input=request, cwd=self.root,
                                      env=env, capture_output=True, text=True, timeout=60)
                self.assertEqual(done.returncode, 0, done.stderr)
                answer = json.loads(done.stdout)
                self.assertEqual(answer["protocol"], 1)
                self.assertEqual(answer["files"][0]["file"], "json.py")

    def test_serve_says_ready_then_answers_one_line_per_request(self):
        with open(os.path.join(self.root, "a.py"), "w") as fh:
            fh.write("x = 1\n")
        request = json.dumps({"root": self.root, "scan": ["a.py"]}) + "\n"
        done = subprocess.run([sys.executable, "-I", "-S", "-B", LAUNCHER, "--serve"], input=request * 2,
                              capture_output=True, text=True, timeout=60)
        lines = [json.loads(line) for line in done.stdout.splitlines()]
        self.assertEqual(lines[0]["ready"], True)
        self.assertEqual([line["files"][0]["isFlowFile"] for line in lines[1:]], [False, False])
