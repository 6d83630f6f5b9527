"""Refusals: every check metaflow's linter, the step and flow decorators' init and metaflow-dagster's
dagster_cli run before writing, with the message the real compiler prints last (measured with
metaflow 2.19.38 and metaflow-dagster 0.3.7 and main@af05540, PYTHONHASHSEED=0), for both generator
versions; a refused flow has no Config class and no job model. Then the __main__ block."""

from mfstatic.outcomes import OutcomeKind

from tests.support import GENERATORS, StaticTestCase, flow

HEAD = "from metaflow import FlowSpec, Parameter, step, catch, parallel, trigger, trigger_on_finish\n"
END = '''
    @step
    def end(self):
        pass
'''


def steps(body, decorators="", head=""):
    return "%s%s\n\n%sclass F(FlowSpec):\n%s\n\nif __name__ == \"__main__\":\n    F()\n" % (
        HEAD, head, decorators, body)


def linear(decorators="", head=""):
    return steps('''    @step
    def start(self):
        self.next(self.end)
''' + END, decorators, head)


class RefusalCase(StaticTestCase):
    def refuses(self, source, message, **kwargs):
        """Both generators stop with exactly `message` (exact, the real compiler's kind), no Config
        class, no job model."""
        for generator in GENERATORS:
            with self.subTest(generator=generator):
                result = self.compile(source, generator=generator, **kwargs)
                self.assertEqual((result["error"], result["errorKind"]), (message, "flow-error"), result["reason"])
                self.assertTrue(result["exact"], result["reason"])
                self.assertIsNone(result["configClass"])
                self.assertIsNone(result["jobModel"])

    def doubts(self, source, kind, reason):
        for generator in GENERATORS:
            with self.subTest(generator=generator):
                result = self.compile(source, generator=generator)
                self.assertFalse(result["exact"], result)
                self.assertEqual(result["reasonKind"], kind.value, result["reason"])
                self.assertIn(reason, result["reason"])


class StepDecoratorsOnTheGraph(RefusalCase):
    def test_catch_on_a_switch_step(self):
        self.refuses(steps('''    @catch(var="e")
    @step
    def start(self):
        self.x = "a"
        self.next({"a": self.a, "b": self.b}, condition="x")

    @step
    def a(self):
        self.next(self.end)

    @step
    def b(self):
        self.next(self.end)
''' + END), "@catch is defined for the step start but @catch is not supported in conditional switch steps.")

    def test_parallel_on_a_switch_step_fails_before_the_lint(self):
        # The lint would name the switch leading straight to a join; step_init runs first.
        self.refuses(steps('''    @step
    def start(self):
        self.next(self.p, num_parallel=2)

    @parallel
    @step
    def p(self):
        self.x = "a"
        self.next({"a": self.j, "b": self.j2}, condition="x")

    @step
    def j(self, inputs):
        self.next(self.end)

    @step
    def j2(self, inputs):
        self.next(self.end)
''' + END), "A @parallel step can not be a conditional switch step. Please add a join step after p")

    def test_a_parallel_step_not_called_with_num_parallel_is_refused_exactly(self):
        self.refuses(steps('''    @step
    def start(self):
        self.next(self.p)

    @parallel
    @step
    def p(self):
        self.next(self.j)

    @step
    def j(self, inputs):
        self.next(self.end)
''' + END), "Step j seems like a join step (it takes an extra input argument) but it is not preceded by a split. "
            "Ensure that there is a matching split for every join.")

    def test_num_parallel_without_a_parallel_step(self):
        self.refuses(steps('''    @step
    def start(self):
        self.next(self.p, num_parallel=2)

    @step
    def p(self):
        self.next(self.j)

    @step
    def j(self, inputs):
        self.next(self.end)
''' + END), "Step start is called as a parallel step with self.next(num_parallel=..) but does not have a @parallel "
            "decorator.")


class GraphLint(RefusalCase):
    def test_a_switch_back_to_start(self):
        self.refuses(steps('''    @step
    def start(self):
        self.next(self.a)

    @step
    def a(self):
        self.x = "a"
        self.next({"a": self.start, "b": self.end}, condition="x")
''' + END), "The start step start has incoming transitions from a. A start step must have no incoming transitions.")

    def test_an_unknown_transition(self):
        self.refuses(steps('''    @step
    def start(self):
        self.next(self.nowhere)
''' + END), "Step start specifies a self.next() transition to an unknown step, nowhere.")

    def test_one_orphan_is_named_and_several_are_inexact(self):
        orphan = '''
    @step
    def %s(self):
        self.next(self.end)
'''
        body = '''    @step
    def start(self):
        self.next(self.end)
''' + END
        self.refuses(steps(body + orphan % "lonely"), "Step lonely is unreachable from the entry step start. Add "
                                                       "self.next(lonely) in another step or remove lonely.")
        # metaflow names list(frozenset)[0]: the hash seed decides.
        self.doubts(steps(body + orphan % "lonely" + orphan % "lonely2"), OutcomeKind.NOT_REPRODUCED,
                    "several steps are unreachable from start")

    def test_end_unreachable_behind_a_loop(self):
        self.refuses(steps('''    @step
    def start(self):
        self.next(self.a)

    @step
    def a(self):
        self.x = "a"
        self.next({"a": self.a, "b": self.b}, condition="x")

    @step
    def b(self):
        self.next(self.a)
''' + END), "There is a loop in your flow: b->a->b. Break the loop by fixing self.next() transitions.")

    def test_a_foreach_without_a_join(self):
        self.refuses(steps('''    @step
    def start(self):
        self.items = [1, 2]
        self.next(self.work, foreach="items")

    @step
    def work(self):
        self.next(self.end)
''' + END), "The terminal step end was reached before a split started at step(s) work were joined. Add a join "
            "step before end.")

    def test_nested_splits_with_mismatched_joins_list_a_set(self):
        # Measured: "... incorrect number of steps (a1, b, a2) lead to it ...": a set's order.
        self.doubts(steps('''    @step
    def start(self):
        self.next(self.a, self.b)

    @step
    def a(self):
        self.next(self.a1, self.a2)

    @step
    def a1(self):
        self.next(self.join)

    @step
    def a2(self):
        self.next(self.join)

    @step
    def b(self):
        self.next(self.join)

    @step
    def join(self, inputs):
        self.next(self.end)
''' + END), OutcomeKind.NOT_REPRODUCED, "order depends on PYTHONHASHSEED")

    def test_multi_line_messages_end_with_their_last_line(self):
        # What the real compiler prints last (mfdag reads the last line of its output).
        self.refuses(steps('''    @step
    def start(self):
        self.next(self.a, self.b)

    @step
    def a(self):
        self.x = "a"
        self.next({"a": self.j, "b": self.c}, condition="x")

    @step
    def c(self):
        self.next(self.j)

    @step
    def b(self):
        self.next(self.j)

    @step
    def j(self, inputs):
        self.next(self.end)
''' + END), "As a workaround, please introduce an intermediate, unconditional step on that specific path before "
            "joining.")
        self.refuses(steps('''    @step
    def start(self):
        self.next(self.end, foo="x")
''' + END), "For switch statements, keys must be string literals, numbers or config expressions "
            "(self.config.key_name), not variables.")

    def test_missing_start_or_end(self):
        self.refuses(steps('''    @step
    def begin(self):
        self.next(self.end)
''' + END), "Your flow must have exactly one start step. Either name a step 'start' or use @step(start=True).")
        self.refuses(steps('''    @step
    def start(self):
        self.next(self.fin)

    @step
    def fin(self):
        pass
'''), "Your flow must have exactly one end step. Either name a step 'end' or use @step(end=True).")
        self.refuses(steps("    x = 1\n"), "Your flow must have exactly one start step. Either name a step 'start' "
                                           "or use @step(start=True).")

    def test_smaller_lint_checks(self):
        self.refuses(steps('''    @step
    def start(self):
        self.next(self.Bad)

    @step
    def Bad(self):
        self.next(self.end)
''' + END), "Step Bad has an invalid name. Only lowercase ascii characters, underscores, and digits are allowed.")
        self.refuses(steps('''    @step
    def start(self, a, b):
        self.next(self.end)
''' + END), "Step start has too many arguments. Normal steps take only 'self' as an argument. Join steps take "
            "'self' and 'inputs'.")
        self.refuses(steps('''    @step
    def start(self):
        self.x = "a"
        self.next({"a": self.end}, condition="x")
''' + END), "Step start is a switch split but defines 1 transitions. Switch splits must define at least 2 "
            "transitions.")
        self.refuses(steps('''    @step
    def start(self):
        self.next(self.end)

    @step
    def end(self, inputs):
        pass
'''), "The terminal step end should not be a join step (it gets an extra argument). Add a join step before it.")


class FlowDecorators(RefusalCase):
    HEAD = "def fn(ctx):\n    return 'x'\nimport random\n"

    def test_trigger_parameters_mapped_to_functions(self):
        self.refuses(linear('@trigger(event={"name": "e", "parameters": {"a": fn}})\n', self.HEAD),
                     "The parameters attribute for event e is invalid. It should be a dictionary of string keys and "
                     "string values.")
        self.refuses(linear('@trigger(event={"name": "e", "parameters": ["a", fn]})\n', self.HEAD),
                     "The parameters attribute for event is invalid. It should be a list/tuple of strings and "
                     "lists/tuples of size 2")
        self.refuses(linear('@trigger(event={"name": "e", "parameters": [("a", fn)]})\n', self.HEAD),
                     "The parameters attribute for event e is invalid. It should be a list/tuple of strings and "
                     "lists/tuples of size 2.")

    def test_trigger_formats(self):
        self.refuses(linear('@trigger(event=1)\n'),
                     "@trigger(event='foo') or @trigger(event={'name': 'foo', 'parameters': {'alpha': 'beta'}})")
        self.refuses(linear('@trigger(events="x")\n'),
                     "@trigger(events=[{'name': 'foo', 'parameters': {'alpha': 'beta'}}, {'name': 'bar', "
                     "'parameters': {'gamma': 'kappa'}}])")
        self.refuses(linear('@trigger(event={"parameters": {}})\n'),
                     "The event attribute for @trigger is missing the name key.")
        self.refuses(linear('@trigger(event="a", events=["b"])\n'),
                     "Specify only one of event or events attributes in @trigger decorator.")
        self.refuses(linear('@trigger\n'), "No event(s) specified in @trigger decorator.")
        self.refuses(linear('@trigger(events=[{"name": "a"}, "a"])\n'),
                     "Duplicate event names defined in @trigger decorator.")

    def test_trigger_values_metaflow_accepts(self):
        # A function among the events is evaluated at deploy time; bytes are strings to metaflow.
        for deco in ('@trigger(events=[fn, "a"])', '@trigger(event=b"x")'):
            with self.subTest(deco=deco):
                result = self.compile(linear(deco + "\n", self.HEAD))
                self.assertIsNone(result["error"], result)
                self.assertTrue(result["exact"], result["reason"])

    def test_trigger_arguments_not_known_statically_doubt_the_flow(self):
        # Measured: each of these stops the real compiler.
        self.doubts(linear('@trigger(evnt="x")\n'), OutcomeKind.DECORATOR, "attribute 'evnt'")
        self.doubts(linear('@trigger("x")\n'), OutcomeKind.DECORATOR, "positional arguments")
        self.doubts(linear('@trigger(event=random.choice([1]))\n', self.HEAD), OutcomeKind.UNSUPPORTED,
                    "random.choice")
        self.doubts(linear('@trigger_on_finish(flw="A")\n'), OutcomeKind.DECORATOR, "attribute 'flw'")
        # The message shows the function's address.
        self.doubts(linear('@trigger(event={"name": fn, "parameters": {"a": 1}})\n', self.HEAD),
                    OutcomeKind.NOT_REPRODUCED, "named by a deploy-time function")

    def test_trigger_on_finish_arguments(self):
        cases = {
            '@trigger_on_finish(flow=1)': "@trigger_on_finish(flow='FooFlow') or @trigger_on_finish(flow={'name':"
                                          "'FooFlow', 'project_branch': 'branch'})",
            '@trigger_on_finish(flows="A")': "@trigger_on_finish(flows=['FooFlow', 'BarFlow']",
            '@trigger_on_finish(flows=["A", 1])': "@trigger_on_finish(flows=['FooFlow', 'BarFlow']",
            '@trigger_on_finish(flow={"project": "p"})': "The flow attribute for @trigger_on_finish is missing the "
                                                         "name key.",
            '@trigger_on_finish(flows=[{"project": "p"}, "B"])': "One or more flows in the flows attribute for "
                                                                 "@trigger_on_finish is missing the name key.",
            '@trigger_on_finish(flow={"name": "a.b"})': "The name attribute of the flow a.b is not a valid string",
            '@trigger_on_finish(flow={"name": 3})': "The name attribute of the flow 3 is not a valid string",
            '@trigger_on_finish(flow="a.b")': "Incorrect format for flow in @trigger_on_finish decorator. Specify "
                                              "either just the flow_name or a fully qualified name like "
                                              "project_name.branch_name.flow_name.",
            '@trigger_on_finish(flow="bad-name")': "Invalid flow name bad-name in @trigger_on_finish decorator. Only "
                                                   "alphanumeric characters and underscores(_) are allowed.",
            '@trigger_on_finish(flow={"name": "A", "project": 1})': "The project attribute of the flow A is not a "
                                                                    "string",
            '@trigger_on_finish(flow={"name": "A", "project_branch": 1})': "The project_branch attribute of the flow "
                                                                           "A is not a string",
            '@trigger_on_finish': "No flow(s) specified in @trigger_on_finish decorator.",
            '@trigger_on_finish(flow="A", flows=["B"])': "Specify only one of flow or flows attributes in "
                                                         "@trigger_on_finish decorator.",
        }
        for deco, message in cases.items():
            with self.subTest(deco=deco):
                self.refuses(linear(deco + "\n"), message)


class DagsterCli(RefusalCase):
    def test_job_name_default_and_exit_hook(self):
        self.refuses(linear(), "Job name 'bad-name' contains invalid characters. Use only letters, digits and "
                               "underscores.", args=["--name=bad-name"])
        self.refuses(steps('''    n = Parameter("n")

    @step
    def start(self):
        self.next(self.end)
''' + END), "Parameter n does not have a default value. A default value is required when deploying to Dagster.")
        # @exit_hook's own validation may fail first: the message is right, but not claimed exact.
        result = self.compile(linear("@exit_hook(on_success=[hook])\n", "from metaflow import exit_hook\n"
                                                                        "def hook():\n    pass\n"))
        self.assertEqual(result["error"], "@exit_hook is not supported with Dagster deployments.")
        self.assertFalse(result["exact"])


MAIN = '''from metaflow import FlowSpec, step
import logging
import os
import sys


class F(FlowSpec):
    @step
    def start(self):
        self.next(self.end)

    @step
    def end(self):
        pass


if __name__ == "__main__":
%s
'''


class MainBlock(StaticTestCase):
    def test_plain_and_harmless_main_blocks_stay_exact(self):
        for body in ("    F()", '    """Run it."""\n    pass\n    F()', "    flow = F()",
                     '    logging.basicConfig(level=logging.INFO, format="%(message)s")\n    F()',
                     '    F()\n    os.environ["X"] = "1"'):
            with self.subTest(body=body):
                self.compiles(MAIN % body)

    def test_code_before_the_flow_makes_it_not_exact(self):
        for body, quoted in (('    os.environ["X"] = "1"\n    F()', "os.environ['X'] = '1'"),
                             ('    sys.path.insert(0, "lib")\n    F()', "sys.path.insert(0, 'lib')"),
                             ('    open("data.txt", "w").write("x")\n    F()', "open('data.txt', 'w').write('x')"),
                             ("    import json\n    F()", "import json"),
                             ('    logging.basicConfig(filename="x.log")\n    F()', "logging.basicConfig(filename='x.log')")):
            with self.subTest(body=body):
                self.inexact(MAIN % body, OutcomeKind.UNSUPPORTED, "the __main__ block of flow.py runs `%s`" % quoted)

    def test_a_repository_module_named_logging_is_not_the_standard_one(self):
        result = self.compile(MAIN % "    logging.basicConfig(level=logging.INFO)\n    F()",
                              files={"logging.py": "def basicConfig(**kw):\n    pass\nINFO = 20\n"})
        self.assertFalse(result["exact"])
        self.assertIn("the __main__ block of flow.py runs `logging.basicConfig(level=logging.INFO)`", result["reason"])

    def test_the_flow_template_of_the_other_tests_is_exact(self):
        self.compiles(flow("pass"))
