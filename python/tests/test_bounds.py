"""Bounds: values, files and flows over the static compiler's limits are refused by name."""

from unittest import mock

from mfstatic import bounds
from mfstatic.outcomes import CacheFull, OutcomeKind
from mfstatic.server import StaticCompiler
from mfstatic.sources import fstring_problem

from .support import StaticTestCase, flow


class ValueLimits(StaticTestCase):
    def test_a_repeated_string_over_the_length_bound(self):
        self.inexact(flow('s = Parameter("s", default="x" * 10**7)'), OutcomeKind.LIMIT,
                     "repeated sequence is too large to evaluate statically")

    def test_a_power_over_the_integer_bound(self):
        self.inexact(flow('n = Parameter("n", default=7 ** 100000)'), OutcomeKind.LIMIT,
                     "power is too large to evaluate statically")

    def test_a_format_width_over_the_bound(self):
        self.inexact(flow('s = Parameter("s", default=format(1, "99999999d"))'), OutcomeKind.LIMIT,
                     "format width is too large")

    def test_deep_recursion_in_a_repository_function(self):
        self.inexact(flow('n = Parameter("n", default=f(1))', head="def f(x):\n    return f(x)"),
                     OutcomeKind.LIMIT, "calls nest too deeply (recursion?)")


class FileLimits(StaticTestCase):
    max_bytes = 1000

    def test_a_flow_file_over_max_file_bytes(self):
        result = self.refused(flow("pass") + "#" * 2000, "bytes, over the 1000-byte limit", kind=OutcomeKind.LIMIT)
        self.assertEqual(result["reasonKind"], "not-reproduced")

    def test_an_imported_module_over_max_file_bytes(self):
        self.inexact(flow("pass", head="import big"), OutcomeKind.LIMIT, "module big.py cannot be read: file is",
                     files={"big.py": "X = 1\n" + "#" * 2000})

    def test_too_many_fstring_fields(self):
        with mock.patch.object(bounds, "MAX_FSTRING_FIELDS", 3), mock.patch("mfstatic.sources.MAX_FSTRING_FIELDS", 3):
            self.refused(flow('s = Parameter("s", default=f"{1}{2}{3}{4}")'), "an f-string has 4 replacement fields",
                         kind=OutcomeKind.LIMIT)

    def test_fstring_fields_are_counted_behind_every_prefix(self):
        # The pre-check that skips files without f-strings must see each prefix Python accepts,
        # after a non-letter, including a two-letter one after a letter-free start of the file.
        with mock.patch("mfstatic.sources.MAX_FSTRING_FIELDS", 3):
            for prefix in ("f", "F", "rf", "fR", "Rf", "FR"):
                problem = fstring_problem('x = (%s"{1}{2}{3}{4}")' % prefix)
                self.assertIsNotNone(problem, prefix)
                self.assertIn("an f-string has 4 replacement fields", problem.message)
            self.assertIsNotNone(fstring_problem('rf"{1}{2}{3}{4}"'))

    def test_a_name_ending_in_f_or_rf_before_a_string_starts_no_fstring(self):
        with mock.patch("mfstatic.sources.MAX_FSTRING_FIELDS", 3):
            self.assertIsNone(fstring_problem('cutoff"{1}{2}{3}{4}" + xrf"{1}{2}{3}{4}" + _f"{1}{2}{3}{4}"'))


class FlowBudget(StaticTestCase):
    def test_running_out_of_steps_names_the_budget(self):
        with mock.patch.object(bounds, "MAX_FLOW_STEPS", 50):
            self.inexact(flow('n = Parameter("n", default=[i for i in range(100)])'), OutcomeKind.BUDGET,
                         "the static compiler's budget for one flow ran out (more than 50 evaluation steps)")

    def test_the_next_flow_gets_a_fresh_budget(self):
        compiler = StaticCompiler(self.root, self.max_bytes)
        self.write({"slow.py": flow('n = Parameter("n", default=[i for i in range(3000)])', name="SlowFlow"),
                    "fast.py": flow('n = Parameter("n", default=1)', name="FastFlow")})
        with mock.patch.object(bounds, "MAX_FLOW_STEPS", 1000):
            slow = compiler.compile({"flowFile": "slow.py", "flowClass": None, "jobName": None})
            fast = compiler.compile({"flowFile": "fast.py", "flowClass": None, "jobName": None})
        self.assertEqual((slow["exact"], slow["reasonKind"]), (False, "budget"))
        self.assertEqual((fast["exact"], fast["reasonKind"]), (True, None))

    def test_emptying_the_cache_before_a_flow_does_not_count_against_its_time(self):
        # The first try meets a full cache; emptying it (freeing thousands of trees) is slow.
        compiler = StaticCompiler(self.root, self.max_bytes)
        self.write({"a.py": flow('n = Parameter("n", default=1)', name="AFlow")})
        clock = [1000.0]
        tries = []

        def run(arg):
            tries.append(bounds.BUDGET.deadline - clock[0])
            if len(tries) == 1:
                raise CacheFull()
            return "done"

        def slow_reset():
            clock[0] += 3 * bounds.MAX_FLOW_SECONDS

        with mock.patch("time.monotonic", lambda: clock[0]), mock.patch.object(compiler, "reset", slow_reset):
            self.assertEqual(compiler._entry(run, None), "done")
        # The second try has the time the first left, not a deadline already past.
        self.assertEqual(tries, [bounds.MAX_FLOW_SECONDS, bounds.MAX_FLOW_SECONDS])

    def test_a_scan_that_runs_out_reports_the_budget_as_its_error(self):
        with mock.patch.object(bounds, "MAX_FLOW_STEPS", 1), mock.patch.object(bounds, "CLOCK_EVERY_STEPS", 1):
            entry = self.scan(flow("pass"))
        self.assertEqual(entry.get("errorKind"), "budget", entry)
        self.assertIn("the static compiler's budget for one flow ran out", entry["error"])
