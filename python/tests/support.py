"""The pyflakes-style harness of the static compiler's tests: in-process, on a temporary
directory, without starting the --serve process.

    self.compiles(flow(...), config_class=[...])     exact, no error, this Config block
    self.inexact(flow(...), kind=..., reason=...)    not exact, this OutcomeKind, this text
    self.refused(flow(...), kind=..., error=...)     stops with this error (of this kind)
"""

import os
import shutil
import tempfile
import textwrap
import unittest

from mfstatic.outcomes import OutcomeKind
from mfstatic.server import StaticCompiler

# The metaflow-dagster versions the real compiler was measured with: the release and main@af05540.
# Spelled out, not taken from mfstatic, so that the tests name what was measured.
GENERATORS = ("0.3.7", "main")

FLOW_TEMPLATE = '''from metaflow import FlowSpec, Parameter, IncludeFile, Config, JSONType, step, project
import os
import json
{head}

{decorators}class {name}({bases}):
{body}

    @step
    def start(self):
        self.next(self.end)

    @step
    def end(self):
        pass


if __name__ == "__main__":
    {name}()
'''


def flow(body="pass", head="", name="MyFlow", bases="FlowSpec", decorators=""):
    """A flow file: `body` (class attributes, dedented) in a FlowSpec subclass with start/end steps."""
    return FLOW_TEMPLATE.format(
        head=textwrap.dedent(head), name=name, bases=bases,
        decorators="".join(d + "\n" for d in decorators.split("\n") if d.strip()),
        body=textwrap.indent(textwrap.dedent(body).strip("\n"), "    "))


class StaticTestCase(unittest.TestCase):
    max_bytes = 2_000_000

    def setUp(self):
        self.root = os.path.realpath(tempfile.mkdtemp(prefix="mfstatic-test-"))
        self.addCleanup(shutil.rmtree, self.root, True)

    def write(self, files):
        for rel, content in files.items():
            path = os.path.join(self.root, rel)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "wb" if isinstance(content, bytes) else "w") as fh:
                fh.write(content)

    def compiler(self):
        return StaticCompiler(self.root, self.max_bytes)

    def compile(self, source=None, files=None, flow_file="flow.py", flow_class=None, job_name=None,
                generator=None, args=None, top_args=None):
        """One compile entry of the protocol, answered in-process; `source` is the flow file.
        generator, args and top_args (`dagster create`'s and metaflow's top-level words) go in the
        request only when given: without them the server deploys with generator 0.3.7 and no words
        (server.py's _compile)."""
        self.write(dict(files or {}, **({flow_file: source} if source is not None else {})))
        request = {"flowFile": flow_file, "flowClass": flow_class, "jobName": job_name}
        if generator is not None:
            request["generator"] = generator
        # Lists, as a request decoded from JSON has them (callers may pass tuples).
        if args is not None:
            request["args"] = list(args)
        if top_args is not None:
            request["topArgs"] = list(top_args)
        return self.compiler().compile(request)

    def scan(self, source=None, files=None, flow_file="flow.py"):
        self.write(dict(files or {}, **({flow_file: source} if source is not None else {})))
        return self.compiler().scan(flow_file)

    def compiles(self, source, config_class=None, job=None, **kwargs):
        result = self.compile(source, **kwargs)
        self.assertEqual((result["error"], result["reason"]), (None, None), result)
        self.assertTrue(result["exact"], result)
        self.assertIsNone(result["reasonKind"])
        if config_class is not None:
            self.assertEqual(result["configClass"], config_class)
        if job is not None:
            self.assertEqual(result["job"], job)
        return result

    def inexact(self, source, kind, reason, **kwargs):
        """Not exact, the first reason of `kind` (an OutcomeKind) and `reason` part of the text."""
        result = self.compile(source, **kwargs)
        self.assertFalse(result["exact"], result)
        self.assertIsInstance(kind, OutcomeKind)
        self.assertEqual(result["reasonKind"], kind.value, result["reason"])
        self.assertIn(reason, result["reason"] or "")
        return result

    def refused(self, source, error, kind=OutcomeKind.FLOW_ERROR, **kwargs):
        """Stops with an error containing `error`, of `kind` (the real compiler's, by default)."""
        result = self.compile(source, **kwargs)
        self.assertEqual(result["errorKind"], kind.value, result)
        self.assertIn(error, result["error"] or "")
        self.assertIsNone(result["configClass"])
        return result

    def parameter(self, result, name):
        return next(p for p in result["parameters"] if p["name"] == name)
