"""User-defined step decorators and a repository-root metaflow extension: UserStepDecorator
subclasses, plain decorators below @step, and metaflow_extensions/ORG/{toplevel,plugins}. The
expected values were written by the real compiler (metaflow 2.19 + metaflow-dagster 0.3.7, the
differential kit's u02_user_decorator_class.py, u03_plain_decorator.py and repos/ext_pkg/)."""

import unittest

from mfstatic.outcomes import OutcomeKind

from tests.support import StaticTestCase

AUDIT = '''from metaflow import UserStepDecorator


class audit(UserStepDecorator):
    def init(self, *args, **kwargs):
        self.level = kwargs.get("level", "info")

    def pre_step(self, step_name, flow, inputs=None):
        flow.audit_level = self.level

    def post_step(self, step_name, flow, exception=None):
        return exception, None
'''

AUDITED_FLOW = '''from metaflow import FlowSpec, Parameter, retry, step

from decos import audit


class AuditedFlow(FlowSpec):
    owner = Parameter("owner", default="data-team")

    @audit(level="debug")
    @retry(times=1)
    @step
    def start(self):
        self.next(self.end)

    @audit
    @step
    def end(self):
        pass


if __name__ == "__main__":
    AuditedFlow()
'''

LOGGED_FLOW = '''import functools
from metaflow import FlowSpec, Parameter, step


def log_calls(func):
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        return func(*args, **kwargs)

    return wrapper


class LoggedFlow(FlowSpec):
    level = Parameter("level", default="info")

    @step
    @log_calls
    def start(self):
        self.next(self.end)

    @step
    def end(self):
        pass


if __name__ == "__main__":
    LoggedFlow()
'''

EXT = "metaflow_extensions/acme/"
EXTENSION = {
    EXT + "toplevel/mfextinit_acme.py": 'toplevel = "acme_toplevel"\n',
    EXT + "toplevel/acme_toplevel.py": 'ACME_REGION = "eu-central-1"\n\n\ndef acme_bucket(name):\n'
                                       '    return "s3://acme-%s/%s" % (ACME_REGION, name)\n',
    EXT + "plugins/mfextinit_acme.py": 'STEP_DECORATORS_DESC = [("tracker", ".tracker_decorator.TrackerDecorator")]\n',
    EXT + "plugins/tracker_decorator.py": '''from metaflow.decorators import StepDecorator


class TrackerDecorator(StepDecorator):
    """Records step timings."""

    name = "tracker"
    defaults = {"project": "default", "sample_rate": 1.0}

    def task_pre_step(self, step_name, task_datastore, metadata, run_id, task_id, flow, graph,
                      retry_count, max_user_code_retries, ubf_context, inputs):
        pass
''',
}

TRACKED_FLOW = '''from metaflow import FlowSpec, Parameter, step, tracker


class TrackedFlow(FlowSpec):
    batch = Parameter("batch", default=32)

    @tracker(project="churn")
    @step
    def start(self):
        self.next(self.end)

    @tracker
    @step
    def end(self):
        pass


if __name__ == "__main__":
    TrackedFlow()
'''

TOPLEVEL_FLOW = '''from metaflow import ACME_REGION, FlowSpec, Parameter, acme_bucket, step


class AcmeRegionFlow(FlowSpec):
    region = Parameter("region", default=ACME_REGION)
    bucket = Parameter("bucket", default=acme_bucket("features"))

    @step
    def start(self):
        self.next(self.end)

    @step
    def end(self):
        pass


if __name__ == "__main__":
    AcmeRegionFlow()
'''


class UserDecoratorTestCase(StaticTestCase):
    def job(self, source, files=None):
        return self.compile(source, files, generator="0.3.7", args=[], top_args=[])

    def exact_job(self, source, files=None):
        result = self.job(source, files)
        self.assertTrue(result["exact"], result["reason"])
        self.assertEqual(result["jobInexact"], [], result["jobInexact"])
        return result["jobModel"]


class UserStepDecoratorClassTest(UserDecoratorTestCase):
    def test_a_user_step_decorator_class_is_in_neither_decorator_list(self):
        model = self.exact_job(AUDITED_FLOW, {"decos.py": AUDIT})
        # Recorded from the real compiler (u02_user_decorator_class.py).
        self.assertEqual(model["step_decorator_specs"], {"start": ["retry:times=1,minutes_between_retries=2"], "end": []})
        self.assertEqual(model["step_with_decorators"], {"start": [], "end": []})

    def test_a_step_mutator_is_not_exact(self):
        decos = AUDIT.replace("UserStepDecorator", "StepMutator")
        self.inexact(AUDITED_FLOW, OutcomeKind.DECORATOR, "not metaflow's UserStepDecorator", files={"decos.py": decos})

    def test_an_init_that_does_more_than_store_is_not_exact(self):
        decos = AUDIT.replace('self.level = kwargs.get("level", "info")', 'self.level = open("x").read()')
        self.inexact(AUDITED_FLOW, OutcomeKind.DECORATOR, "init does more than store its arguments",
                     files={"decos.py": decos})

    def test_another_hook_is_not_exact(self):
        decos = AUDIT + "\n    def mutate(self, mutable_step):\n        pass\n"
        self.inexact(AUDITED_FLOW, OutcomeKind.DECORATOR, "defines more than the hooks", files={"decos.py": decos})

    def test_arguments_without_init_are_not_exact(self):
        decos = AUDIT.replace("    def init(self, *args, **kwargs):\n        self.level = kwargs.get(\"level\", \"info\")\n\n", "")
        self.inexact(AUDITED_FLOW, OutcomeKind.DECORATOR, "does not implement init", files={"decos.py": decos})


class BelowStepTest(UserDecoratorTestCase):
    def test_a_wraps_decorator_below_step_is_exact(self):
        model = self.exact_job(LOGGED_FLOW)
        # Recorded from the real compiler (u03_plain_decorator.py): the job is as without it.
        self.assertEqual(model["step_decorator_specs"], {"start": [], "end": []})
        self.assertEqual([op["name"] for op in model["ops"]], ["op_start", "op_end"])

    def test_a_wrapper_without_wraps_below_step_is_not_exact(self):
        source = LOGGED_FLOW.replace("    @functools.wraps(func)\n", "")
        result = self.job(source)
        self.assertFalse(result["exact"])
        self.assertIn("below @step on start", result["reason"])

    def test_a_metaflow_decorator_below_step_is_not_exact(self):
        source = LOGGED_FLOW.replace("    @log_calls\n", "    @retry\n").replace("import FlowSpec,", "import FlowSpec, retry,")
        result = self.job(source)
        self.assertFalse(result["exact"])
        self.assertIn("below @step on start", result["reason"])


class ExtensionTest(UserDecoratorTestCase):
    def test_an_extension_step_decorator_spec_comes_from_its_defaults(self):
        model = self.exact_job(TRACKED_FLOW, EXTENSION)
        # Recorded from the real compiler (repos/ext_pkg/tracked_flow.py).
        self.assertEqual(model["step_decorator_specs"], {"start": ["tracker:project=churn,sample_rate=1.0"],
                                                         "end": ["tracker:project=default,sample_rate=1.0"]})
        self.assertEqual(model["step_with_decorators"], {"start": [], "end": []})

    def test_toplevel_names_are_evaluated_in_the_extension_module(self):
        result = self.job(TOPLEVEL_FLOW, EXTENSION)
        self.assertTrue(result["exact"], result["reason"])
        # Recorded from the real compiler (repos/ext_pkg/toplevel_flow.py).
        self.assertIn("    bucket: str = 's3://acme-eu-central-1/features'", result["configClass"])
        self.assertIn("    region: str = 'eu-central-1'", result["configClass"])

    def test_a_decorator_class_with_deploy_time_hooks_is_not_exact(self):
        files = dict(EXTENSION)
        files[EXT + "plugins/tracker_decorator.py"] += "\n    def step_init(self, *args):\n        pass\n"
        result = self.job(TRACKED_FLOW, files)
        self.assertFalse(result["exact"])
        self.assertIn("defines more than name, defaults and task-time hooks", result["reason"])

    def test_an_unknown_attribute_is_not_exact(self):
        result = self.job(TRACKED_FLOW.replace('project="churn"', 'team="churn"'), EXTENSION)
        self.assertFalse(result["exact"] and not result["jobInexact"])

    def test_an_extension_redefining_a_metaflow_name_is_not_read(self):
        files = dict(EXTENSION)
        files[EXT + "toplevel/acme_toplevel.py"] += "\n\ndef step(f):\n    return f\n"
        self.inexact(TOPLEVEL_FLOW, OutcomeKind.UNSUPPORTED, "extensions are not read statically", files=files)

    def test_other_extension_points_leave_it_unread(self):
        files = dict(EXTENSION, **{EXT + "config/mfextinit_acme.py": "DEFAULT_DATASTORE = 's3'\n"})
        self.inexact(TOPLEVEL_FLOW, OutcomeKind.UNSUPPORTED, "extensions are not read statically", files=files)


if __name__ == "__main__":
    unittest.main()
