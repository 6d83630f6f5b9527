"""The job model the static compiler predicts (mfstatic/job.py, graph.py), against what the real
compiler wrote: the whole-definitions corpus (__tests__/fixtures/corpus-definitions, both
generator versions) and the flows of fixtures/job-flows (models recorded from the real compiler
with record_job_flows.py); then focused tests of the quirks, refusals, lints, arguments and the
protocol."""

import json
import os
import shlex
import unittest

from mfstatic.job import MODEL_PARTS, DeployOptions
from mfstatic.server import StaticCompiler, parse_request, RequestError

from tests.job_support import (
    comparable,
    compile_corpus_flow,
    corpus_flows,
    covered,
    differences,
    expected,
)
from tests.support import GENERATORS, StaticTestCase

HERE = os.path.dirname(os.path.abspath(__file__))
JOB_FLOWS = os.path.join(HERE, "fixtures", "job-flows")

# The corpus flows whose model is not all predictable, and the parts named for them.
EXPECTED_INEXACT = {"d14_conda_env": {"decorators"}, "d16_kubernetes_s3": {"decorators"},
                    "m01_flow_mutator": {"retry", "timeout", "env", "decorators", "schedule", "sensors", "job-name",
                                         "top-args", "config-value", "ops"}}


def verdict(test, name, generator, result, recorded):
    """'error', 'exact' or 'covered' after asserting the prediction against a recorded model."""
    if "error" in recorded:
        test.assertEqual(result["error"], recorded["error"], "%s@%s: %s" % (name, generator, result["reason"]))
        test.assertEqual(result["errorKind"], "flow-error")
        test.assertIsNone(result["jobModel"])
        return "error"
    test.assertIsNone(result["error"], "%s@%s" % (name, generator))
    test.assertIsNotNone(result["jobModel"], "%s@%s: %s" % (name, generator, result["jobInexact"]))
    for entry in result["jobInexact"]:
        test.assertIn(entry["part"], MODEL_PARTS)
        test.assertTrue(entry["reason"])
    predicted = comparable(result["jobModel"])
    diffs = differences(predicted, comparable(recorded))
    uncovered = [d for d in diffs if covered(d, predicted, result["jobInexact"]) is None]
    test.assertEqual(uncovered, [], "%s@%s differs where it claims to be exact" % (name, generator))
    return "covered" if diffs else "exact"


class CorpusModels(unittest.TestCase):
    def test_every_corpus_flow_is_predicted_exactly_or_refused_with_the_real_message(self):
        counts = {"error": 0, "exact": 0, "covered": 0}
        inexact = {}
        for generator in GENERATORS:
            for name in corpus_flows():
                with self.subTest(flow=name, generator=generator):
                    result = compile_corpus_flow(name, generator)
                    kind = verdict(self, name, generator, result, expected(name, generator))
                    counts[kind] += 1
                    if result["jobInexact"]:
                        inexact[name] = {e["part"] for e in result["jobInexact"]}
        print("\ncorpus job models (2 versions x %d flows): %s" % (len(corpus_flows()), counts))
        self.assertEqual(counts, {"error": 12, "exact": 78, "covered": 6})
        self.assertEqual(inexact, EXPECTED_INEXACT)

    def test_the_reasons_name_what_cannot_be_known(self):
        reasons = " ".join(e["reason"] for e in compile_corpus_flow("d14_conda_env", "main")["jobInexact"])
        self.assertIn("python version", reasons)
        reasons = " ".join(e["reason"] for e in compile_corpus_flow("d16_kubernetes_s3", "0.3.7")["jobInexact"])
        self.assertIn("compiling machine's configuration", reasons)
        reasons = " ".join(e["reason"] for e in compile_corpus_flow("m01_flow_mutator", "0.3.7")["jobInexact"])
        self.assertIn("FlowMutator", reasons)


class RecordedJobFlows(unittest.TestCase):
    """Constructs the corpus does not cover, recorded from the real compiler (both versions)."""

    def test_each_flow_matches_what_the_real_compiler_wrote(self):
        with open(os.path.join(JOB_FLOWS, "expected.json"), encoding="utf-8") as fh:
            recorded = json.load(fh)
        counts = {"error": 0, "exact": 0, "covered": 0}
        for name in sorted(recorded):
            for generator in GENERATORS:
                with self.subTest(flow=name, generator=generator):
                    args = _words(name, ".args")
                    top = _words(name, ".topargs")
                    result = StaticCompiler(JOB_FLOWS, 2_000_000).compile(
                        {"flowFile": name + ".py", "flowClass": None, "jobName": None, "generator": generator,
                         "args": args, "topArgs": top})
                    counts[verdict(self, name, generator, result, recorded[name][generator])] += 1
        print("\nrecorded job flows: %s" % counts)
        self.assertEqual(counts, {"error": 18, "exact": 22, "covered": 0})


def _words(name, ext):
    path = os.path.join(JOB_FLOWS, name + ext)
    if not os.path.exists(path):
        return []
    with open(path, encoding="utf-8") as fh:
        return shlex.split(fh.read())


def steps_flow(steps, head="", decorators="", name="MyFlow"):
    """A flow file whose class body is `steps` (already indented by four spaces)."""
    return ("from metaflow import FlowSpec, Parameter, step, retry, timeout, environment, resources, catch, "
            "secrets, card, schedule, trigger, trigger_on_finish, project, conda, kubernetes\n%s\n\n%sclass %s(FlowSpec):\n%s\n\n"
            "if __name__ == \"__main__\":\n    %s()\n" % (head, decorators, name, steps, name))


LINEAR = '''    @step
    def start(self):
        self.next(self.end)

    @step
    def end(self):
        pass
'''


class JobTestCase(StaticTestCase):
    def job(self, source, generator="0.3.7", args=(), top_args=(), job_name=None):
        return self.compile(source, job_name=job_name, generator=generator, args=args, top_args=top_args)

    def model(self, source, **kwargs):
        result = self.job(source, **kwargs)
        self.assertIsNone(result["error"], result)
        self.assertIsNotNone(result["jobModel"], result["jobInexact"])
        return result["jobModel"], result

    def op(self, model, name):
        return next(op for op in model["ops"] if op["name"] == name)

    def lints(self, result):
        return [lint["lint"] for lint in result["jobLints"]]


class Quirks(JobTestCase):
    SWITCH_LONG = '''    @step
    def start(self):
        self.x = "a"
        self.next({"a": self.a1, "b": self.b1}, condition="x")

    @step
    def a1(self):
        self.next(self.a2)

    @step
    def a2(self):
        self.next(self.merge)

    @step
    def b1(self):
        self.next(self.merge)

    @step
    def merge(self):
        self.next(self.end)

    @step
    def end(self):
        pass
'''

    def test_a_switch_merge_behind_a_long_branch_is_wired_to_one_branch_and_linted(self):
        model, result = self.model(steps_flow(self.SWITCH_LONG))
        self.assertEqual(self.op(model, "op_merge")["kind"], "linear")
        self.assertIn("r_merge = op_merge(r_a2)", model["job"]["body"])
        self.assertIn("switch-merge-not-recognised", self.lints(result))

    def test_a_self_looping_switch_drops_the_rest_of_the_job_on_main_only(self):
        source = steps_flow('''    @step
    def start(self):
        self.next(self.poll)

    @step
    def poll(self):
        self.s = "again"
        self.next({"again": self.poll, "done": self.end}, condition="s")

    @step
    def end(self):
        pass
''')
        main, result = self.model(source, generator="main")
        self.assertEqual([op["name"] for op in main["ops"]], ["op_start"])
        self.assertEqual(list(main["step_with_decorators"]), ["start"])
        self.assertIn("switch-self-loop-drops-steps", self.lints(result))
        release, result = self.model(source, generator="0.3.7")
        self.assertEqual([op["name"] for op in release["ops"]], ["op_start", "op_poll", "op_end"])
        self.assertNotIn("switch-self-loop-drops-steps", self.lints(result))

    def test_two_cases_to_one_step_keep_the_duplicated_output_name(self):
        model, result = self.model(steps_flow('''    @step
    def start(self):
        self.next(self.pick)

    @step
    def pick(self):
        self.s = "x"
        self.next({"x": self.go, "y": self.go, "z": self.other}, condition="s")

    @step
    def go(self):
        self.next(self.end)

    @step
    def other(self):
        self.next(self.end)

    @step
    def end(self):
        pass
'''))
        pick = self.op(model, "op_pick")
        self.assertEqual(pick["out_names"], ["go", "go", "other"])
        self.assertEqual(list(pick["out"]), ["go", "other"])
        self.assertIn("switch-duplicate-target", self.lints(result))

    def test_multibody_foreach_is_one_compound_op_on_main_and_separate_ops_on_0_3_7(self):
        source = steps_flow('''    @step
    def start(self):
        self.items = [1]
        self.next(self.fetch, foreach="items")

    @retry(times=2)
    @timeout(seconds=5)
    @step
    def fetch(self):
        self.next(self.parse)

    @step
    def parse(self):
        self.next(self.join)

    @step
    def join(self, inputs):
        self.next(self.end)

    @step
    def end(self):
        pass
''')
        main, result = self.model(source, generator="main")
        body = self.op(main, "op_start__body")
        self.assertEqual((body["kind"], body["steps"]), ("compound-multibody-foreach", ["fetch", "parse"]))
        self.assertEqual([r["split_index"] for r in body["runs"]], [True, False])
        self.assertEqual(body["runs"][0]["max_user_code_retries"], 2)
        self.assertIsNone(body["retry_policy"])
        self.assertIn("compound-op-drops-decorators", self.lints(result))
        self.assertEqual(main["job"]["body"], ["r_start = op_start()", "r_start__body = r_start.map(op_start__body)",
                                               "r_join = op_join(r_start__body.collect())", "op_end(r_join)"])
        release, result = self.model(source, generator="0.3.7")
        self.assertEqual([op["name"] for op in release["ops"]], ["op_start", "op_fetch", "op_parse", "op_join", "op_end"])
        self.assertEqual(self.op(release, "op_fetch")["retry_policy"], {"max_retries": 2, "delay": 120})
        self.assertEqual(self.op(release, "op_fetch")["timeout"], 5)
        self.assertNotIn("compound-op-drops-decorators", self.lints(result))

    def test_a_split_after_a_linear_step_is_unreadable_in_0_3_7_with_the_op_before_it(self):
        source = steps_flow('''    @step
    def start(self):
        self.next(self.prep)

    @step
    def prep(self):
        self.next(self.a, self.b)

    @step
    def a(self):
        self.next(self.j)

    @step
    def b(self):
        self.next(self.j)

    @step
    def j(self, inputs):
        self.next(self.end)

    @step
    def end(self):
        pass
''')
        release, result = self.model(source)
        self.assertEqual([op["name"] for op in release["ops"]], ["op_a", "op_b", "op_j", "op_end"])
        self.assertIn("split-op-misindented", self.lints(result))
        main, result = self.model(source, generator="main")
        self.assertEqual(self.op(main, "op_prep")["kind"], "split")
        self.assertNotIn("split-op-misindented", self.lints(result))

    def test_0_3_7_orders_ops_breadth_first_and_main_topologically(self):
        source = steps_flow('''    @step
    def start(self):
        self.next(self.left, self.right)

    @step
    def left(self):
        self.next(self.left_a, self.left_b)

    @step
    def left_a(self):
        self.next(self.left_join)

    @step
    def left_b(self):
        self.next(self.left_join)

    @step
    def left_join(self, inputs):
        self.next(self.root_join)

    @step
    def right(self):
        self.next(self.root_join)

    @step
    def root_join(self, inputs):
        self.next(self.end)

    @step
    def end(self):
        pass
''')
        release, _ = self.model(source)
        self.assertEqual(list(release["step_with_decorators"]),
                         ["start", "left", "right", "left_a", "left_b", "root_join", "left_join", "end"])
        self.assertIn("r_root_join = op_root_join(left_join, r_right)", release["job"]["body"])
        main, _ = self.model(source, generator="main")
        self.assertEqual(list(main["step_with_decorators"]),
                         ["start", "left", "right", "left_a", "left_b", "left_join", "root_join", "end"])


class Refusals(JobTestCase):
    def refused(self, source, message, line=None, **kwargs):
        result = self.job(source, **kwargs)
        self.assertEqual((result["error"], result["errorKind"]), (message, "flow-error"), result["reason"])
        if line is not None:
            self.assertEqual(result["errorLine"], line)
        self.assertIsNone(result["jobModel"])
        return result

    def test_retry_more_than_four_times(self):
        source = steps_flow(LINEAR.replace("    @step\n    def end", "    @retry(times=5)\n    @step\n    def end"))
        self.refused(source, "The maximum number of retries is @retry(times=4).", line=source.splitlines().index("    @retry(times=5)") + 1)

    def test_retry_more_than_four_times_from_the_top_level_with(self):
        self.refused(steps_flow(LINEAR), "The maximum number of retries is @retry(times=4).", top_args=["--with", "retry:times=7"])

    def test_timeout_of_zero(self):
        self.refused(steps_flow(LINEAR.replace("    @step\n    def end", "    @timeout(minutes=0)\n    @step\n    def end")),
                     "Specify a duration for @timeout.")

    def test_catch_on_a_foreach_split(self):
        self.refused(steps_flow('''    @catch(var="e")
    @step
    def start(self):
        self.items = [1]
        self.next(self.work, foreach="items")

    @step
    def work(self):
        self.next(self.join)

    @step
    def join(self, inputs):
        self.next(self.end)

    @step
    def end(self):
        pass
'''), "@catch is defined for the step start but @catch is not supported in foreach split steps.")

    def test_conda_and_kubernetes_need_their_top_level_options(self):
        conda = steps_flow(LINEAR.replace("    @step\n    def end", "    @conda(python=\"3.11\")\n    @step\n    def end"))
        self.refused(conda, "@conda decorator requires --environment=conda or --environment=pypi or --environment=fast-bakery")
        model, result = self.model(conda, top_args=["--environment=conda"])
        self.assertEqual({(e["part"], e["step"]) for e in result["jobInexact"]}, {("decorators", "start"), ("decorators", "end")})
        self.assertEqual(model["top_options"]["environment"], "conda")
        k8s = steps_flow(LINEAR.replace("    @step\n    def end", "    @kubernetes(cpu=2)\n    @step\n    def end"))
        self.refused(k8s, "The @kubernetes decorator requires --datastore=s3 or --datastore=azure or --datastore=gs at the moment.")
        _, result = self.model(k8s, top_args=["--datastore", "gs"])
        self.assertEqual({(e["part"], e["step"]) for e in result["jobInexact"]}, {("decorators", "end")})

    def test_a_join_that_is_also_a_split(self):
        self.refused(steps_flow('''    @step
    def start(self):
        self.next(self.a, self.b)

    @step
    def a(self):
        self.next(self.j)

    @step
    def b(self):
        self.next(self.j)

    @step
    def j(self, inputs):
        self.next(self.c, self.d)

    @step
    def c(self):
        self.next(self.end)

    @step
    def d(self):
        self.next(self.end)

    @step
    def end(self):
        pass
'''), "Step j is both a join step (it takes an extra argument) and a split step (it transitions to multiple steps). "
      "This is not allowed. Add a new step so that split and join become separate steps.")

    def test_reserved_step_names_and_a_loop(self):
        self.refused(steps_flow(LINEAR.replace("self.next(self.end)", "self.next(self.index)") + '''
    @step
    def index(self):
        self.next(self.end)
'''), "Step name index is a reserved word. Choose another name for the step.")
        self.refused(steps_flow(LINEAR.replace("self.next(self.end)", "self.next(self.a)") + '''
    @step
    def a(self):
        self.next(self.b)

    @step
    def b(self):
        self.next(self.a)
'''), "There is a loop in your flow: b->a->b. Break the loop by fixing self.next() transitions.")  # as the real compiler prints it: the walk starts at a, unseen

    def test_parallel_and_exit_hook(self):
        self.refused(steps_flow('''    @step
    def start(self):
        self.next(self.train, num_parallel=2)

    @parallel
    @step
    def train(self):
        self.next(self.join)

    @step
    def join(self, inputs):
        self.next(self.end)

    @step
    def end(self):
        pass
''', head="from metaflow import parallel"), "Deploying flows with @parallel decorator to Dagster is not supported.")
        self.refused(steps_flow(LINEAR, head="from metaflow import exit_hook\ndef hook():\n    pass\n",
                                decorators="@exit_hook(on_success=[hook])\n"),
                     "@exit_hook is not supported with Dagster deployments.")

    def test_bad_job_name_from_the_arguments(self):
        self.refused(steps_flow(LINEAR), "Job name 'bad-name' contains invalid characters. Use only letters, digits "
                                         "and underscores.", args=["--name=bad-name"])

    def test_trigger_parameters_must_be_strings(self):
        self.refused(steps_flow(LINEAR, decorators='@trigger(event={"name": "e", "parameters": {"a": 1}})\n'),
                     "The parameters attribute for event e is invalid. It should be a dictionary of string keys and "
                     "string values.")
        self.refused(steps_flow(LINEAR, decorators='@trigger(events=["a", "a"])\n'),
                     "Duplicate event names defined in @trigger decorator.")


class Bounds(JobTestCase):
    def test_a_lattice_of_splits_is_doubted_within_the_walk_budget_not_walked_path_by_path(self):
        # Metaflow's traversals visit every path: 2**25 here. The prediction stops early and
        # names the graph (and doubts the flow), in well under a second.
        parts = ["    @step\n    def start(self):\n        self.next(self.s0)\n"]
        for i in range(25):
            following = "self.s%d" % (i + 1) if i < 24 else "self.end"
            parts.append("    @step\n    def s%d(self):\n        self.next(self.a%d, self.b%d)\n" % (i, i, i))
            parts.append("    @step\n    def a%d(self):\n        self.next(self.j%d)\n" % (i, i))
            parts.append("    @step\n    def b%d(self):\n        self.next(self.j%d)\n" % (i, i))
            parts.append("    @step\n    def j%d(self, inputs):\n        self.next(%s)\n" % (i, following))
        parts.append("    @step\n    def end(self):\n        pass\n")
        result = self.job(steps_flow("\n".join(parts)))
        self.assertIsNone(result["error"])
        self.assertIsNone(result["jobModel"])
        self.assertIn("too many paths", result["jobInexact"][0]["reason"])
        self.assertFalse(result["exact"])
        self.assertEqual(result["reasonKind"], "limit")


class Decorators(JobTestCase):
    def test_retry_timeout_environment_resources_and_forwarded_specs(self):
        model, result = self.model(steps_flow('''    @environment(vars={"A": 1})
    @timeout(hours=1, seconds=3)
    @retry(times=2, minutes_between_retries=0)
    @step
    def start(self):
        self.next(self.end)

    @secrets(sources=["s"])
    @resources(memory=100, disk=5)
    @catch
    @step
    def end(self):
        pass
'''), generator="main")
        start, end = self.op(model, "op_start"), self.op(model, "op_end")
        self.assertEqual(start["retry_policy"], {"max_retries": 2, "delay": None})
        self.assertEqual((start["tags"], start["timeout"]), ({"dagster/op_execution_timeout": "3603"}, 3603))
        self.assertEqual(start["decorator_keys"], ["out", "retry_policy", "tags"])
        self.assertEqual(start["runs"][0]["extra_env"], {"A": 1})
        self.assertEqual(model["step_with_decorators"]["end"],
                         ["catch:print_exception=True", 'secrets:sources=[\\"s\\"],allow_override=False',
                          "resources:cpu=1,memory=100"])
        self.assertIsNone(end["retry_policy"])
        self.assertEqual(result["jobInexact"], [])

    def test_release_specs_carry_every_decorator_in_node_order_then_the_with_arguments(self):
        model, _ = self.model(steps_flow('''    @card
    @retry
    @step
    def start(self):
        self.next(self.end)

    @step
    def end(self):
        pass
'''), args=["--with", "sandbox"], top_args=["--with", "timeout:seconds=9"])
        self.assertEqual(model["step_decorator_specs"]["start"],
                         ["retry:times=3,minutes_between_retries=2",
                          "card:type=default,options={},scope=task,timeout=45,save_errors=True,customize=False,refresh_interval=5",
                          "timeout:seconds=9,minutes=0,hours=0", "sandbox"])
        self.assertEqual(model["step_with_decorators"]["start"], ["sandbox"])
        self.assertEqual(self.op(model, "op_start")["retry_policy"], {"max_retries": 3, "delay": 120})
        self.assertEqual(self.op(model, "op_end")["timeout"], 9)

    def test_an_unknown_step_decorator_makes_its_step_parts_inexact(self):
        _, result = self.model(steps_flow(LINEAR.replace("    @step\n    def end", "    @my_deco\n    @step\n    def end"),
                                          head="def my_deco(f):\n    f.extra = 1\n    return f\n"))
        # (an identity decorator is provably harmless: test_fallbacks.py)
        self.assertEqual({(e["part"], e["step"]) for e in result["jobInexact"]},
                         {("retry", "end"), ("timeout", "end"), ("env", "end"), ("decorators", "end")})

    def test_a_project_name_from_a_config_names_the_job(self):
        # Measured (fixtures/differential/k11): the real job is `<project>_<Flow>`.
        source = (steps_flow(LINEAR, head="from metaflow import Config, config_expr\n",
                             decorators="@project(name=config_expr(\"cfg.project\"))\n")
                  .replace("class MyFlow(FlowSpec):\n", "class MyFlow(FlowSpec):\n    cfg = Config(\"cfg\", default=\"cfg.json\")\n\n"))
        result = self.compile(source, files={"cfg.json": '{"project": "recsys"}'}, generator="0.3.7", args=[],
                              top_args=[])
        self.assertIsNone(result["error"], result)
        self.assertEqual((result["job"], result["jobModel"]["job_name"]), ("recsys_MyFlow", "recsys_MyFlow"))
        self.assertNotIn(("job-name", None), {(e["part"], e["step"]) for e in result["jobInexact"]})

    def test_a_flow_mutator_leaves_the_start_op_unknown(self):
        # Measured (fixtures/differential/u06): a mutator that adds a Parameter changes the start op.
        result = self.job(steps_flow(LINEAR, head="from metaflow import FlowMutator\n\nclass Seeded(FlowMutator):\n    pass\n",
                                     decorators="@Seeded\n"))
        parts = {(e["part"], e["step"]) for e in result["jobInexact"]}
        self.assertIn(("ops", "start"), parts)
        self.assertIn(("config-value", None), parts)

    def test_config_values_reach_decorators_and_the_step_env(self):
        model, result = self.model(steps_flow(LINEAR.replace("    @step\n    def end", "    @retry(times=cfg.n)\n    @step\n    def end"),
                                              head="from metaflow import Config\n")
                                   .replace("class MyFlow(FlowSpec):\n", "class MyFlow(FlowSpec):\n    cfg = Config(\"cfg\", default_value={\"n\": 1})\n\n"))
        self.assertEqual(self.op(model, "op_end")["retry_policy"], {"max_retries": 1, "delay": 120})
        self.assertEqual(model["flow_config_value"], {"cfg": {"n": 1}})


class FlowDecoratorsAndArguments(JobTestCase):
    def test_schedule_weekly_gives_the_daily_cron_and_a_lint(self):
        model, result = self.model(steps_flow(LINEAR, decorators="@schedule(weekly=True)\n"))
        self.assertEqual(model["schedule"]["cron"], "0 0 * * *")
        lint = next(l for l in result["jobLints"] if l["lint"] == "schedule-daily-wins")
        self.assertEqual((lint["file"], lint["line"]), ("flow.py", 4))
        model, result = self.model(steps_flow(LINEAR, decorators="@schedule(weekly=True, daily=False)\n"))
        self.assertEqual(model["schedule"]["cron"], "0 0 * * 0")
        self.assertNotIn("schedule-daily-wins", self.lints(result))

    def test_trigger_sensor_with_a_parameter_list_and_a_lint(self):
        model, result = self.model(steps_flow(LINEAR, decorators='@trigger(event={"name": "e", "parameters": ["a", ("b", "c")]})\n'),
                                   job_name="jj")
        self.assertEqual(model["sensors"], [{"name": "jj_on_event_0", "job": "jj", "default_status": "DefaultSensorStatus.RUNNING",
                                             "function": "jj_on_event_0", "indent": 4, "kind": "event", "event": "e",
                                             "parameter_map": {"a": "a", "b": "c"}, "run_config_op": "start"}])
        self.assertIn("trigger-sensor-invalid-python", self.lints(result))

    def test_project_with_branch_and_dagster_arguments(self):
        model, _ = self.model(steps_flow(LINEAR, decorators='@project(name="p")\n'),
                              args=["--tag", "t1", "--tag=t 2", "--workflow-timeout", "30", "--namespace", "n"],
                              top_args=["--branch", "b1", "--metadata=service"])
        self.assertEqual(model["job_name"], "p_MyFlow")
        self.assertEqual(model["top_args"][:4], ["--branch", "b1", "--quiet", "--no-pylint"])
        self.assertEqual(model["top_options"]["metadata"], "service")
        self.assertEqual(model["top_args"][-1], "--namespace=n")
        self.assertEqual(model["run_tags"], [["t1", "t 2"]])
        self.assertEqual((model["workflow_timeout"], model["job"]["tags"]), (30, {"dagster/max_runtime": "30"}))

    def test_a_job_name_that_is_not_an_identifier(self):
        model, result = self.model(steps_flow(LINEAR), args=["--name", "2024_x"])
        self.assertTrue(model["job_name_not_identifier"])
        self.assertIn("job-name-not-identifier", self.lints(result))

    def test_unknown_arguments_are_named_not_guessed(self):
        _, result = self.model(steps_flow(LINEAR), args=["--frobnicate"], top_args=["--profile=x"])
        self.assertEqual({e["part"] for e in result["jobInexact"]}, {"graph", "top-args"})

    def test_deploy_options_take_click_forms(self):
        options = DeployOptions("main", ["--environment", "pypi", "--production"], ["out.py", "--with=a", "--with", "b"], "j")
        self.assertEqual((options.generator, options.environment, options.production, options.with_decorators, options.name),
                         ("main", "pypi", True, ["a", "b"], "j"))
        self.assertEqual(DeployOptions("other").generator, "0.3.7")


class Sources(JobTestCase):
    def test_lines_of_steps_nexts_and_decorators(self):
        source = steps_flow(LINEAR.replace("    @step\n    def end", "    @retry\n    @step\n    def end"),
                            decorators="@schedule(daily=True)\n")
        result = self.job(source)
        lines = source.splitlines()
        self.assertEqual(result["jobSources"]["steps"]["end"],
                         {"file": "flow.py", "line": lines.index("    def end(self):") + 1, "nextLine": None,
                          "decorators": {"retry": lines.index("    @retry") + 1}})
        self.assertEqual(result["jobSources"]["steps"]["start"]["nextLine"], lines.index("        self.next(self.end)") + 1)
        self.assertEqual(result["jobSources"]["flowDecorators"], {"schedule": lines.index("@schedule(daily=True)") + 1})


class Protocol(unittest.TestCase):
    def test_request_fields_are_checked(self):
        root = HERE
        entry = {"flowFile": "f.py"}
        for bad in ({"generator": "0.4"}, {"topArgs": "--x"}, {"args": [1]}):
            with self.subTest(bad=bad):
                with self.assertRaises(RequestError):
                    parse_request(json.dumps({"root": root, "compile": [dict(entry, **bad)]}))
        parse_request(json.dumps({"root": root, "compile": [dict(entry, generator="main", topArgs=["--with", "x"], args=[])]}))


if __name__ == "__main__":
    unittest.main()
