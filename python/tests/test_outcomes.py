"""Every OutcomeKind is a name the protocol can rely on: each is produced somewhere, and the ones
not shown by the other test modules are shown here."""

import io
import os
import re
from unittest import mock

from mfstatic import flows
from mfstatic.outcomes import OutcomeKind

from .support import StaticTestCase, flow

PACKAGE = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "mfstatic")


def read(name):
    with open(os.path.join(PACKAGE, name), encoding="utf-8") as fh:
        return fh.read()


class Kinds(StaticTestCase):
    def test_each_kind_is_used_by_the_package(self):
        text = "".join(read(f) for f in os.listdir(PACKAGE) if f.endswith(".py") and f != "outcomes.py")
        used = set(re.findall(r"OutcomeKind\.([A-Z_]+)", text))
        outcomes = read("outcomes.py").split("class Inexact")[1]
        used |= set(re.findall(r"OutcomeKind\.([A-Z_]+)", outcomes))
        self.assertEqual(sorted(used), sorted(k.name for k in OutcomeKind))

    def test_values_are_distinct_lowercase_names(self):
        values = [k.value for k in OutcomeKind]
        self.assertEqual(len(values), len(set(values)))
        for value in values:
            self.assertRegex(value, r"^[a-z]+(-[a-z]+)*$")

    def test_not_reproduced_when_a_single_step_is_not_named_start_and_end(self):
        # metaflow's lint accepts a lone step; metaflow-dagster then fails with KeyError: 'start'.
        source = flow("pass").replace("def start(self):\n        self.next(self.end)", "def only(self):\n        pass")
        source = source.replace("    @step\n    def end(self):\n        pass\n", "")
        self.inexact(source, OutcomeKind.NOT_REPRODUCED, "no steps named start and end (a single-step flow)")

    def test_io_when_a_flow_file_is_binary(self):
        self.refused(None, "file contains NUL bytes", kind=OutcomeKind.IO, files={"flow.py": b"x = 1\x00"})

    def test_syntax_error_in_the_flow_file_is_exact(self):
        result = self.refused("class (:\n", "SyntaxError", kind=OutcomeKind.SYNTAX)
        self.assertEqual((result["exact"], result["reasonKind"]), (True, None))

    def test_decorator_depending_on_the_environment(self):
        # @conda_base is an exact refusal without --environment now (test_fallbacks.py).
        self.inexact(flow("pass", head="from metaflow import exit_hook", decorators="@exit_hook"), OutcomeKind.DECORATOR, "@exit_hook is rejected")

    def test_unsupported_class_keywords(self):
        self.inexact(flow("pass", head="class Meta(type):\n    pass",
                          bases="FlowSpec, metaclass=Meta"), OutcomeKind.UNSUPPORTED,
                     "class MyFlow uses class keywords (metaclass=...)")

    def test_compiler_error_is_reported_not_raised(self):
        with mock.patch.object(flows.FlowCompiler, "run", side_effect=RuntimeError("boom")), \
                mock.patch("sys.stderr", io.StringIO()):  # the traceback the compiler prints
            result = self.refused(flow("pass"), "internal error in the static compiler: RuntimeError: boom",
                                  kind=OutcomeKind.COMPILER_ERROR)
        self.assertEqual(result["reasonKind"], "compiler-error")
