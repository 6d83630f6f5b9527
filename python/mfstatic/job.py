"""The job model: what `dagster create` writes beyond the Config class (ops, job wiring, decorators,
schedule, sensors, top-level arguments), predicted from the flow's source for one metaflow-dagster
version, in the shape of the documented structural model (the expected files of
__tests__/fixtures/corpus-definitions, section 8 of the shared metaflow-dagster-definitions.md).

JobAnalysis runs inside FlowCompiler's stages, so the real compiler's first error wins:
  flow_decorator_errors   @trigger / @trigger_on_finish flow_init (CLI start, with @project)
  step_decorator_errors   step decorators' step_init (retry, timeout, catch, conda, kubernetes...)
  graph_errors            metaflow's graph checks (`obj.check` of the dagster command group)
  workflow_errors         _validate_workflow after the Parameter defaults (@parallel, @exit_hook)
then build() predicts the model. Whatever it cannot know it names per part (MODEL_PARTS of
src/core/job-model.ts) instead of guessing; every other part is claimed exact."""

import ast
import json
import keyword
import os
import re

from .facts import (
    DATASTORE_ROOT_PLACEHOLDER,
    DEFAULT_TOP_OPTIONS,
    EXIT_HOOK_ERROR,
    GENERATOR_MAIN,
    GENERATOR_RELEASE,
    GENERATORS,
    KNOWN_DATASTORES,
    KNOWN_ENVIRONMENTS,
    KNOWN_METADATA,
    MACHINE_STEP_DECORATORS,
    MAX_ATTEMPTS,
    METAFLOW_STEP_DECORATORS,
    MULTIPLE_STEP_DECORATORS,
    PARALLEL_ERROR,
    RETRY_LIMIT_ERROR,
    SCHEDULE_CRONS,
    SCHEDULE_DEFAULTS,
    SKIP_WITH_DECORATORS,
    STEP_DECORATOR_DATASTORES,
    STEP_DECORATOR_DEFAULTS,
    STEP_DECORATOR_ENVIRONMENT_ERRORS,
    STEP_TYPE_ERRORS,
    TIMEOUT_ZERO_ERROR,
    VIRTUAL_ENVIRONMENTS,
    VIRTUAL_ENV_FLOW_DECORATORS,
)
from .outcomes import FlowError, Inexact, OutcomeKind
from .values import UNSET, ConfigExpr, DecoratorCall, MetaflowRef, describe, is_callable_value, is_constant
from .bounds import EvalCtx
from .loader import FunctionBinding
from .evaluator import evaluate, extension_step_decorator, transparent_below_step, transparent_step_decorator
from .graph import DagsterShapes, FlowGraph, StepSource, lint, printed

# The parts of a model a prediction can be unsure of (src/core/job-model.ts MODEL_PARTS), and
# the keys of the model each covers (what a comparison skips for an inexact part; `step` narrows
# it to that step's ops, runs and per-step entries).
PART_KEYS = {
    "graph": "the op list (which ops, their order) and the job's body, edges and ops_called",
    "ops": "one op entirely (ins, out, params, returns, yields, kind...)",
    "retry": "ops[].retry_policy, ops[].decorator_keys, runs[].max_user_code_retries",
    "timeout": "ops[].tags, ops[].timeout, ops[].decorator_keys",
    "env": "runs[].extra_env",
    "decorators": "step_with_decorators, step_decorator_specs, step_conda_env_ids",
    "schedule": "schedule, definitions.schedules",
    "sensors": "sensors, definitions.sensors",
    "job-tags": "job.tags, workflow_timeout",
    "run-tags": "run_tags, runs[].tags",
    "top-args": "top_args, top_options",
    "config-value": "flow_config_value",
    "job-name": "job_name, header.job, job.name, definitions.jobs, job_name_not_identifier",
}
MODEL_PARTS = tuple(PART_KEYS)

# Parts a decorator the prediction cannot read may change on its step.
DECORATOR_PARTS = {
    "retry": ("retry", "decorators"),
    "timeout": ("timeout", "decorators"),
    "environment": ("env", "decorators"),
}
UNKNOWN_DECORATOR_PARTS = ("retry", "timeout", "env", "decorators")


# -- arguments -------------------------------------------------------------------------------------
class DeployOptions:
    """metaflow's top-level options (between FLOW.py and `dagster`) and `dagster create`'s own,
    as shell words. What is not modelled is kept as (part, reason)."""

    def __init__(self, generator=GENERATOR_RELEASE, top_args=(), args=(), job_name=None):
        self.generator = generator if generator in GENERATORS else GENERATOR_RELEASE
        self.unsure = []  # (part, reason)
        self.environment = DEFAULT_TOP_OPTIONS["environment"]
        self.datastore = DEFAULT_TOP_OPTIONS["datastore"]
        self.metadata = DEFAULT_TOP_OPTIONS["metadata"]
        self.event_logger = DEFAULT_TOP_OPTIONS["event-logger"]
        self.monitor = DEFAULT_TOP_OPTIONS["monitor"]
        self.top_with = []
        self.branch = None
        self.production = False
        self.config_values = False
        self.name = None
        self.tags = []
        self.with_decorators = []
        self.namespace = None
        self.workflow_timeout = None
        self._parse_top(list(top_args or []))
        words = (["--name", job_name] if job_name else []) + list(args or [])
        self._parse_create(words)

    def _options(self, words, takes_value, flags):
        """(option, value) pairs of click-style words: `--opt value` or `--opt=value`."""
        i = 0
        while i < len(words):
            word = words[i]
            i += 1
            if not isinstance(word, str):
                continue
            name, eq, value = word.partition("=")
            if name in takes_value:
                if not eq:
                    if i >= len(words):
                        self.unsure.append(("top-args", "option %s has no value (click fails)" % name))
                        return
                    value = words[i]
                    i += 1
                yield name, value
            elif word in flags:
                yield word, True
            else:
                yield word, None

    def _parse_top(self, words):
        values = ("--environment", "--datastore", "--datastore-root", "--metadata", "--with", "--branch",
                  "--event-logger", "--monitor", "--config", "--config-value", "--profile")
        flags = ("--production", "--quiet", "--no-pylint", "--pylint")
        pairs = list(self._options(words, values, flags))
        for name, value in pairs:
            if name == "--environment":
                self.environment = value
                if value not in KNOWN_ENVIRONMENTS:
                    self.unsure.append(("top-args", "--environment=%s is not modelled" % value))
            elif name == "--datastore":
                self.datastore = value
                if value not in KNOWN_DATASTORES:
                    self.unsure.append(("top-args", "--datastore=%s is not modelled" % value))
            elif name == "--metadata":
                self.metadata = value
                if value not in KNOWN_METADATA:
                    self.unsure.append(("top-args", "--metadata=%s is not modelled" % value))
            elif name == "--event-logger":
                self.event_logger = value
            elif name == "--monitor":
                self.monitor = value
            elif name == "--with":
                self.top_with.append(value)
            elif name == "--branch":
                self.branch = value
            elif name == "--production":
                self.production = True
            elif name in ("--config", "--config-value"):
                self.config_values = True
            elif name in ("--datastore-root", "--quiet", "--no-pylint", "--pylint"):
                pass  # the root is a placeholder in the model; the others are always written
            else:
                self.unsure.append(("top-args", "top-level option %r is not modelled" % name))

    def _parse_create(self, words):
        values = ("--name", "--tag", "--with", "--namespace", "--workflow-timeout", "--deployer-attribute-file")
        positional = 0
        for name, value in self._options(words, values, ()):
            if name == "--name":
                self.name = value
            elif name == "--tag":
                self.tags.append(value)
            elif name == "--with":
                self.with_decorators.append(value)
            elif name == "--namespace":
                self.namespace = value
            elif name == "--workflow-timeout":
                try:
                    self.workflow_timeout = int(value)
                except ValueError:
                    self.unsure.append(("job-tags", "--workflow-timeout %r is not an integer (click fails)" % value))
            elif name == "--deployer-attribute-file":
                pass
            elif value is None and not name.startswith("-") and positional == 0:
                positional += 1  # the output file: never recorded
            else:
                self.unsure.append(("graph", "dagster create argument %r is not modelled" % name))


# -- decorators ------------------------------------------------------------------------------------
class StepDeco:
    """One step decorator as metaflow holds it: attributes in its `defaults` order, or None when
    they are not known here (then `why` says why and `parts` what it may change)."""

    def __init__(self, name, attrs, line=None, static=True, why=None, parts=()):
        self.name = name
        self.attrs = attrs
        self.line = line
        self.static = static
        self.why = why
        self.parts = parts

    def spec(self):
        """Decorator.make_decorator_spec()."""
        pairs = []
        for key, value in self.attrs.items():
            if value is None:
                continue
            if isinstance(value, (int, float, str)):
                pairs.append("%s=%s" % (key, str(value)))
            else:
                pairs.append("%s=%s" % (key, json.dumps(value).replace('"', '\\"')))
        return "%s:%s" % (self.name, ",".join(pairs)) if pairs else self.name

    def retry_count(self):
        """step_task_retry_count()[0]: @retry's times, 0 for the others."""
        if self.name == "retry":
            return int(self.attrs["times"])
        return 0


def parse_decospec(spec):
    """extract_step_decorator_from_decospec for a known decorator: (name, attributes) or Inexact."""
    name, _, rest = spec.partition(":")
    name = name.strip()
    if name not in STEP_DECORATOR_DEFAULTS:
        raise Inexact("--with %s: decorator @%s is not modelled" % (spec, name), OutcomeKind.DECORATOR)
    attrs = dict(STEP_DECORATOR_DEFAULTS[name])
    if rest:
        for part in re.split(r""",(?=[\s\w]+=)""", rest):
            key, eq, raw = part.partition("=")
            if not eq:
                raise Inexact("--with %s cannot be parsed" % spec, OutcomeKind.DECORATOR)
            try:
                value = json.loads(raw.strip().replace('\\"', '"'))
            except ValueError:
                try:
                    value = int(raw.strip())
                except ValueError:
                    try:
                        value = float(raw.strip())
                    except ValueError:
                        value = raw.strip()
            key = key.strip()
            if key not in attrs:
                raise Inexact("--with %s: @%s has no attribute %r (metaflow fails)" % (spec, name, key), OutcomeKind.DECORATOR)
            attrs[key] = value
    return name, attrs


# Patterns read per parameter of every flow, compiled once (re.match(str) looks its cache up).
START_PARAMETER_RE = re.compile(r'"((?:[^"\\]|\\.)*)": (config\.[^,}]+)')
DASHED_NAME_RE = re.compile(r"^[\w-]+$")
CONFIG_FIELD_RE = re.compile(r"^    ([^:\s][^:]*?): (\w+) = (.*?)(?:  # (.*))?$")


# -- the analysis ----------------------------------------------------------------------------------
class JobAnalysis:
    def __init__(self, compiler, options):
        self.compiler = compiler
        self.options = options
        self.generator = options.generator
        self.inexact = []  # {"part", "step", "reason"}
        self.lints = []
        self.steps = {}  # name -> (StepSource, [StepDeco], decorator lines)
        self.graph = None
        self.unavailable = None  # why no model can be predicted
        self.unavailable_kind = None  # its OutcomeKind, when it also makes the flow's outcome doubtful
        self.flow_decos = {}  # name -> (DecoratorCall, klass)
        self.mutators = []
        for part, reason in options.unsure:
            self.unsure(part, None, reason)

    def unsure(self, part, step, reason):
        entry = {"part": part, "step": step, "reason": reason}
        if entry not in self.inexact:
            self.inexact.append(entry)

    def lint(self, name, message, line):
        file = self.compiler.info.module.rel
        self.lints.append({"lint": name, "message": message, "file": file, "line": line})

    # -- collecting -----------------------------------------------------------------------------
    def collect(self):
        """Steps (first definition in the MRO wins) and their decorators; flow decorators."""
        try:
            self._collect_flow_decorators()
            self._collect_steps()
            # Built even without steps named start and end: metaflow's lint names what is missing
            # (graph_errors); a graph that passes it without them is not modelled.
            self.graph = FlowGraph([source for source, _, _ in self.steps.values()])
        except Inexact as exc:
            self.unavailable, self.unavailable_kind = exc.reason, exc.kind
            self.graph = None

    def _collect_flow_decorators(self):
        for klass in self.compiler.mro:
            for node in klass.node.decorator_list:
                try:
                    klass.decorator(node)
                except Inexact as exc:
                    self.mutators.append((klass, node, exc.reason))
        for klass, deco in self.compiler.decorators:
            # The most derived class's decorator is the one metaflow keeps.
            self.flow_decos.setdefault(deco.name, (deco, klass))
        for klass, node, reason in self.mutators:
            what = "class decorator @%s on %s (a FlowMutator or user decorator)" % (ast.unparse(node), klass.name)
            for part in ("retry", "timeout", "env", "decorators", "schedule", "sensors", "job-name", "top-args", "config-value"):
                self.unsure(part, None, "%s may change it at deploy time" % what)
            # A FlowMutator can add Parameters: the start op takes the Config class and passes them on.
            self.unsure("ops", "start", "%s may add Parameters, which the start op takes" % what)


    def _collect_steps(self):
        names = []
        for klass in self.compiler.mro:
            for stmt in klass.node.body:
                if isinstance(stmt, ast.FunctionDef) and stmt.name not in names:
                    names.append(stmt.name)
        for name in names:
            for klass in self.compiler.mro:
                binding = klass.namespace.latest(name, None)
                if binding is None:
                    continue
                if isinstance(binding, FunctionBinding) and isinstance(binding.node, ast.FunctionDef):
                    self._add_step(klass, binding.node)
                break

    def _add_step(self, klass, fn):
        values = []
        for node in fn.decorator_list:
            try:
                values.append(evaluate(node, klass.scope(), EvalCtx()))
            except Inexact:
                values.append(None)
        names = [v.name if isinstance(v, (MetaflowRef, DecoratorCall)) else None for v in values]
        if "step" not in names:
            return
        position = names.index("step")
        step_value = values[position]
        if isinstance(step_value, DecoratorCall) and step_value.call is not None and \
                (step_value.call.args or step_value.call.keywords):
            raise Inexact("@step(...) with arguments on %s (start/end annotations) is not modelled" % fn.name, OutcomeKind.UNSUPPORTED)
        for node, name in zip(fn.decorator_list[position + 1:], names[position + 1:]):
            below = "a Metaflow decorator" if name is not None else transparent_below_step(node, klass.scope())
            if below is not None:
                raise Inexact("decorator @%s below @step on %s: %s (metaflow may fail at import)"
                              % (ast.unparse(node), fn.name, below), OutcomeKind.NOT_REPRODUCED)
        decos, lines, users = [], {}, []
        for node, value, name in reversed(list(zip(fn.decorator_list[:position], values[:position], names[:position]))):
            lines.setdefault(name or ast.unparse(node), node.lineno)
            if name is None and transparent_step_decorator(node, klass.scope()) is None:
                # Measured: such a decorator is in neither STEP_WITH_DECORATORS nor
                # STEP_DECORATOR_SPECS and leaves the op unchanged.
                users.append(ast.unparse(node.func if isinstance(node, ast.Call) else node))
                continue
            decos.append(self._step_deco(fn.name, node, value, name, klass.scope()))
        for user in dict.fromkeys(users):
            if users.count(user) > 1:
                # UserStepDecorator.add_or_raise may refuse a second one: not modelled.
                raise Inexact("step %s has @%s twice" % (fn.name, user), OutcomeKind.NOT_REPRODUCED)
        seen = [d.name for d in decos]
        for name in dict.fromkeys(seen):
            if seen.count(name) > 1 and name not in MULTIPLE_STEP_DECORATORS and name is not None:
                raise Inexact("step %s has @%s twice (metaflow fails at import)" % (fn.name, name), OutcomeKind.NOT_REPRODUCED)
        module = klass.module
        source = StepSource(fn.name, fn, module.rel, module is self.compiler.info.module,
                            parallel_step=any(d.name == "parallel" for d in decos))
        self.steps[fn.name] = (source, decos, lines)

    def _step_deco(self, step, node, value, name, scope=None):
        line = node.lineno
        extension = extension_step_decorator(node, scope) if name is None and scope is not None else None
        if extension is not None:
            return self._extension_deco(step, line, scope, *extension)
        if name is None:
            why = "step %s has decorator @%s, not a Metaflow step decorator (a StepMutator or user decorator)" % (step, ast.unparse(node))
            return StepDeco(None, None, line, why=why, parts=UNKNOWN_DECORATOR_PARTS)
        if name in MACHINE_STEP_DECORATORS:
            return StepDeco(name, None, line, why="@%s's forwarded spec carries the compiling machine's configuration "
                            "(defaults, image, python version, environment ids)" % name, parts=("decorators",))
        if name not in STEP_DECORATOR_DEFAULTS:
            if name in METAFLOW_STEP_DECORATORS:
                return StepDeco(name, None, line, why="@%s is not modelled" % name, parts=UNKNOWN_DECORATOR_PARTS)
            return StepDeco(name, None, line, why="@%s is not modelled" % name, parts=UNKNOWN_DECORATOR_PARTS)
        parts = DECORATOR_PARTS.get(name, ("decorators",))
        try:
            attrs = self._attributes(name, value)
        except Inexact as exc:
            return StepDeco(name, None, line, why="@%s on %s: %s" % (name, step, exc.reason), parts=parts)
        return StepDeco(name, attrs, line)

    def _extension_deco(self, step, line, scope, deco, call):
        """A step decorator of the repository's metaflow_extensions (loader.Extension): its spec is
        make_decorator_spec() of the class's `defaults`, overridden by the arguments."""
        if deco.defaults is None:
            return StepDeco(deco.name, None, line, why="@%s on %s: %s" % (deco.name, step, deco.why),
                            parts=UNKNOWN_DECORATOR_PARTS)
        attrs = dict(deco.defaults)
        try:
            if call is not None:
                if call.args:
                    raise Inexact("positional arguments", OutcomeKind.DECORATOR)
                for kw in call.keywords:
                    if kw.arg is None:
                        raise Inexact("**kwargs in the arguments", OutcomeKind.DECORATOR)
                    if kw.arg not in attrs:
                        raise Inexact("attribute %r is not one of @%s's (metaflow fails at import)"
                                      % (kw.arg, deco.name), OutcomeKind.NOT_REPRODUCED)
                    attrs[kw.arg] = self.argument(kw.value, scope)
        except Inexact as exc:
            return StepDeco(deco.name, None, line, why="@%s on %s: %s" % (deco.name, step, exc.reason),
                            parts=("decorators",))
        return StepDeco(deco.name, attrs, line)

    def _attributes(self, name, value):
        attrs = dict(STEP_DECORATOR_DEFAULTS[name])
        call = value.call if isinstance(value, DecoratorCall) else None
        if call is None:
            return attrs
        if call.args:
            raise Inexact("positional arguments", OutcomeKind.DECORATOR)
        for kw in call.keywords:
            if kw.arg is None:
                raise Inexact("**kwargs in the arguments", OutcomeKind.DECORATOR)
            if kw.arg not in attrs:
                raise Inexact("attribute %r is not one of @%s's (metaflow fails at import)" % (kw.arg, name), OutcomeKind.NOT_REPRODUCED)
            attrs[kw.arg] = self.argument(kw.value, value.scope)
        return attrs

    def argument(self, node, scope):
        """A decorator argument's value: a constant, a Config expression or config_expr("...")."""
        value = self.compiler.decorator_argument(node, scope)
        if not is_constant(value):
            raise Inexact("an argument is %s" % describe(value), OutcomeKind.DECORATOR)
        return value

    # -- decorators after the top-level --with and the environment ------------------------------------
    def node_decorators(self, step):
        """node.decorators after `_attach_decorators`: the static ones, then top-level --with ones
        the step does not have yet (the static one wins)."""
        _, decos, _ = self.steps[step]
        result = list(decos)
        for spec in self.options.top_with:
            try:
                name, attrs = parse_decospec(spec)
            except Inexact as exc:
                for part in UNKNOWN_DECORATOR_PARTS:
                    self.unsure(part, None, exc.reason)
                continue
            if name not in [d.name for d in result] or name in MULTIPLE_STEP_DECORATORS:
                result.append(StepDeco(name, attrs, None, static=False))
        return result

    # -- stages -----------------------------------------------------------------------------------
    def flow_decorator_errors(self):
        """The errors of @trigger / @trigger_on_finish / @conda_base / @pypi_base flow_init (CLI
        start), by decorator name: the caller picks the first in flow_init_order()."""
        self.triggers = None
        self.finishes = None
        errors = {}
        for name, parse in (("trigger", self._triggers), ("trigger_on_finish", self._finishes)):
            if name not in self.flow_decos:
                continue
            try:
                value = parse(*self.flow_decos[name])
            except FlowError as error:
                errors[name] = error
                value = None
            except Inexact as exc:
                self._doubt_flow_decorator(name, exc)
                value = None
            if name == "trigger":
                self.triggers = value
            else:
                self.finishes = value
        for name, step_deco in VIRTUAL_ENV_FLOW_DECORATORS.items():
            if name in self.flow_decos and self.options.environment not in VIRTUAL_ENVIRONMENTS:
                _, klass = self.flow_decos[name]
                line = klass.line if klass.module is self.compiler.info.module else None
                errors[name] = FlowError(STEP_DECORATOR_ENVIRONMENT_ERRORS[step_deco], line)
        return errors

    def flow_init_order(self):
        """The order _init_flow_decorators runs flow_init: the flow's _flow_state merges the base
        classes' decorators first (FlowSpecMeta._init_attrs, MRO order) and then the class's own,
        each class's in the order they were applied (bottom up)."""
        order = []
        for klass in self.compiler.mro[1:] + self.compiler.mro[:1]:
            for node in reversed(klass.node.decorator_list):
                try:
                    name = klass.decorator(node).name
                except Inexact:
                    continue
                if name not in order:
                    order.append(name)
        return order

    def _flow_attrs(self, deco, defaults):
        attrs = dict(defaults)
        if deco.call is None:
            return attrs
        if deco.call.args:
            raise Inexact("positional arguments", OutcomeKind.DECORATOR)
        for kw in deco.call.keywords:
            if kw.arg is None:
                raise Inexact("**kwargs in the arguments", OutcomeKind.DECORATOR)
            if kw.arg not in attrs:
                raise Inexact("attribute %r is not modelled" % kw.arg, OutcomeKind.DECORATOR)
            attrs[kw.arg] = self._flow_argument(kw.value, deco.scope)
        return attrs

    def _flow_argument(self, node, scope):
        """Like argument(), but a function (a deploy-time value) is kept as the marker CALLABLE."""
        try:
            value = self.argument(node, scope)
        except Inexact:
            value = evaluate(node, scope, EvalCtx())
            if is_callable_value(value):
                return CALLABLE
            if not isinstance(value, (list, tuple, dict)):
                raise
        # A container's items may be functions even when the container counts as a constant.
        return _deep(value, scope, self) if isinstance(value, (list, tuple, dict)) else value

    def _doubt_flow_decorator(self, name, exc):
        """An argument not known statically: flow_init may refuse it (measured: an unknown attribute,
        a positional argument, a value of the wrong type all stop the real compiler), so the flow's
        outcome is doubted, not only its sensors."""
        reason = "@%s: %s (its validation at the CLI's start may fail)" % (name, exc.reason)
        self.unsure("sensors", None, reason)
        self.compiler.fail(reason, exc.kind)

    def _triggers(self, deco, klass):
        line = klass.line if klass.module is self.compiler.info.module else None
        attrs = self._flow_attrs(deco, {"event": None, "events": [], "options": {}})
        fail = lambda m: FlowError(printed(m), line)  # noqa: E731
        event, events = attrs["event"], attrs["events"]
        if event and events:
            raise fail("Specify only one of *event* or *events* attributes in *@trigger* decorator.")
        raw = []
        if event:
            raw = [event]
        elif events:
            if events is CALLABLE:
                self.unsure("sensors", None, "@trigger events are computed at deploy time")
                return None
            if not isinstance(events, list):
                raise fail("Incorrect format for *events* attribute in *@trigger* decorator. Supported format is "
                           "list - \n@trigger(events=[{'name': 'foo', 'parameters': {'alpha': 'beta'}}, "
                           "{'name': 'bar', 'parameters': {'gamma': 'kappa'}}])")
            raw = list(events)
        if not raw:
            raise fail("No event(s) specified in *@trigger* decorator.")
        triggers = []
        for item in raw:
            if isinstance(item, bytes):
                # is_stringish: the event is named str(item), a name metaflow-dagster keeps as is.
                self.unsure("sensors", None, "a @trigger event is given as bytes")
                triggers.append({"name": str(item), "parameters": {}})
            elif isinstance(item, str):
                triggers.append({"name": item, "parameters": {}})
            elif isinstance(item, dict):
                if "name" not in item:
                    raise fail("The *event* attribute for *@trigger* is missing the *name* key.")
                name = item["name"]
                params = item.get("parameters", {})
                if params is CALLABLE:
                    self.unsure("sensors", None, "@trigger parameters of %r are computed at deploy time" % (name,))
                    params = {}
                triggers.append({"name": name, "parameters": self._trigger_parameters(params, name, fail)})
            elif item is CALLABLE:
                self.unsure("sensors", None, "a @trigger event is computed at deploy time")
                triggers.append({"name": CALLABLE, "parameters": {}})
            else:
                raise fail("Incorrect format for *event* attribute in *@trigger* decorator. Supported formats are "
                           "string and dictionary - \n@trigger(event='foo') or @trigger(event={'name': 'foo', "
                           "'parameters': {'alpha': 'beta'}})")
        names = [t["name"] for t in triggers if t["name"] is not CALLABLE]
        try:
            distinct = len(set(names))
        except TypeError:
            raise Inexact("an event name is not hashable (metaflow fails with a TypeError)",
                          OutcomeKind.NOT_REPRODUCED)
        if len(names) != distinct:
            raise fail("Duplicate event names defined in *@trigger* decorator.")
        return triggers

    def _trigger_parameters(self, params, event_name, fail):
        def invalid(message):
            if event_name is CALLABLE and "%s" in message:
                # metaflow names the function by its repr, which holds its memory address.
                raise Inexact("the parameters of an event named by a deploy-time function are invalid: "
                              "metaflow's message shows the function's address", OutcomeKind.NOT_REPRODUCED)
            return fail(message % (event_name,) if "%s" in message else message)

        if _has_bytes(params):
            self.unsure("sensors", None, "@trigger parameters of %r are given as bytes" % (event_name,))
        stringish = (str, bytes)  # metaflow's is_stringish
        result = {}
        if isinstance(params, list):
            for mapping in params:
                if isinstance(mapping, stringish):
                    result[mapping] = mapping
                elif isinstance(mapping, tuple) and len(mapping) == 2:
                    if not isinstance(mapping[0], stringish) or not isinstance(mapping[1], stringish):
                        raise invalid("The *parameters* attribute for event %s is invalid. It should be a list/tuple "
                                      "of strings and lists/tuples of size 2.")
                    result[mapping[0]] = mapping[1]
                else:
                    raise invalid("The *parameters* attribute for event is invalid. It should be a list/tuple of "
                                  "strings and lists/tuples of size 2")
        elif isinstance(params, dict):
            for key, value in params.items():
                if not isinstance(key, stringish) or not isinstance(value, stringish):
                    raise invalid("The *parameters* attribute for event %s is invalid. It should be a dictionary of "
                                  "string keys and string values.")
                result[key] = value
        return result

    def _finishes(self, deco, klass):
        line = klass.line if klass.module is self.compiler.info.module else None
        attrs = self._flow_attrs(deco, {"flow": None, "flows": [], "options": {}})
        fail = lambda m: FlowError(printed(m), line)  # noqa: E731
        flow, flows = attrs["flow"], attrs["flows"]
        if flow and flows:
            raise fail("Specify only one of *flow* or *flows* attributes in *@trigger_on_finish* decorator.")
        if flow is CALLABLE or flows is CALLABLE:
            self.unsure("sensors", None, "@trigger_on_finish flows are computed at deploy time")
            return None
        if flow:
            items = [flow]
        elif flows:
            if not isinstance(flows, list):
                raise fail("Incorrect type for *flows* attribute in *@trigger_on_finish* decorator. Supported type "
                           "is list - \n@trigger_on_finish(flows=['FooFlow', 'BarFlow']")
            items = list(flows)
        else:
            raise fail("No flow(s) specified in *@trigger_on_finish* decorator.")
        if _has_bytes(items):
            raise Inexact("a flow is given as bytes (metaflow fails with a TypeError or "
                          "keeps it)", OutcomeKind.NOT_REPRODUCED)
        result = []
        for item in items:
            if isinstance(item, str):
                fq_name = item
            elif isinstance(item, dict):
                if "name" not in item:
                    if len(items) > 1:
                        raise fail("One or more flows in the *flows* attribute for *@trigger_on_finish* is missing "
                                   "the *name* key.")
                    raise fail("The *flow* attribute for *@trigger_on_finish* is missing the *name* key.")
                fq_name = item["name"]
                if not isinstance(fq_name, str) or "." in fq_name:
                    raise fail("The *name* attribute of the *flow* %s is not a valid string" % (fq_name,))
                for key in ("project", "project_branch"):
                    if key in item and not isinstance(item[key], str):
                        raise fail("The *%s* attribute of the *flow* %s is not a string" % (key, fq_name))
            else:
                if len(items) > 1:
                    raise fail("One or more flows in the *flows* attribute for *@trigger_on_finish* decorator have "
                               "an incorrect type. Supported type is string or Dict[str, str]- \n"
                               "@trigger_on_finish(flows=['FooFlow', 'BarFlow']")
                raise fail("Incorrect type for *flow* attribute in *@trigger_on_finish*  decorator. Supported type "
                           "is string or Dict[str, str] - \n@trigger_on_finish(flow='FooFlow') or "
                           "@trigger_on_finish(flow={'name':'FooFlow', 'project_branch': 'branch'})")
            result.append(fq_name)
        flows_out = []
        for fq_name in result:
            dots = fq_name.count(".")
            if dots == 0:
                name = fq_name
            elif dots >= 2:
                name = fq_name.rsplit(".", 1)[1]
            else:
                raise fail("Incorrect format for *flow* in *@trigger_on_finish* decorator. Specify either just the "
                           "*flow_name* or a fully qualified name like *project_name.branch_name.flow_name*.")
            if not re.match(r"^[A-Za-z0-9_]+$", name):
                raise fail("Invalid flow name *%s* in *@trigger_on_finish* decorator. Only alphanumeric characters "
                           "and underscores(_) are allowed." % name)
            flows_out.append(name)
        return flows_out

    def step_decorator_errors(self):
        """step_init of every step's decorators, steps in name order (FlowSpec._steps)."""
        if self.graph is None:
            return None
        environment, datastore = self.options.environment, self.options.datastore
        for name in sorted(self.steps):
            source = self.steps[name][0]
            node = self.graph[name]
            for deco in self.node_decorators(name):
                line = deco.line if source.is_flow_file else None
                if deco.name in STEP_DECORATOR_ENVIRONMENT_ERRORS and environment not in VIRTUAL_ENVIRONMENTS:
                    return FlowError(STEP_DECORATOR_ENVIRONMENT_ERRORS[deco.name], line)
                if deco.name in STEP_DECORATOR_DATASTORES:
                    allowed, message = STEP_DECORATOR_DATASTORES[deco.name]
                    if datastore not in allowed:
                        return FlowError(message, line)
                # The node-type checks of step_init do not read the attributes.
                if deco.name in STEP_TYPE_ERRORS and node.type in STEP_TYPE_ERRORS[deco.name]:
                    return FlowError(STEP_TYPE_ERRORS[deco.name][node.type] % name, line)
                if deco.attrs is None:
                    continue
                try:
                    if deco.name == "retry" and int(deco.attrs["times"]) + 2 > MAX_ATTEMPTS:
                        return FlowError(RETRY_LIMIT_ERROR, line)
                    if deco.name == "timeout" and not _timeout_seconds(deco.attrs):
                        return FlowError(TIMEOUT_ZERO_ERROR, line)
                except (TypeError, ValueError):
                    self.unsure("retry" if deco.name == "retry" else "timeout", name,
                                "@%s on %s has a value int() rejects (metaflow fails)" % (deco.name, name))
                    continue
        return None

    def graph_errors(self):
        if self.graph is None:
            return None
        try:
            error = lint(self.graph)
        except Inexact as exc:
            self.unavailable, self.unavailable_kind = exc.reason, exc.kind
            self.graph = None
            return None
        if error is None and ("start" not in self.steps or "end" not in self.steps):
            # A single step is both start and end for metaflow, but metaflow-dagster looks the
            # steps up by name and types (KeyError: 'start', or NotImplementedError for a lone
            # `start`: measured, an internal error, not reproduced).
            self.unavailable = ("no steps named start and end (a single-step flow): metaflow-dagster fails with "
                                "an internal error (not reproduced)")
            self.unavailable_kind = OutcomeKind.NOT_REPRODUCED
            self.graph = None
        return error

    def workflow_errors(self):
        """_validate_workflow after the Parameter defaults: @parallel, then @exit_hook."""
        if self.graph is not None:
            for node in self.graph:
                if node.parallel_foreach:
                    return FlowError(PARALLEL_ERROR, None)
        if "exit_hook" in self.flow_decos:
            return FlowError(EXIT_HOOK_ERROR, None)
        return None

    # -- the model --------------------------------------------------------------------------------
    def sources(self):
        steps = {}
        for name, (source, decos, lines) in self.steps.items():
            next_line = None
            if self.graph is not None and self.graph[name].has_tail_next:
                next_line = self.graph[name].tail_next_lineno
            steps[name] = {"file": source.file, "line": source.fn.lineno, "nextLine": next_line,
                           "decorators": dict(lines)}
        flow = {}
        for name, (deco, klass) in self.flow_decos.items():
            node = next((d for d in klass.node.decorator_list if _deco_node_name(d) == name), None)
            flow[name] = node.lineno if node is not None else klass.line
        return {"steps": steps, "flowDecorators": flow}

    def build(self):
        """The model, or None (then `inexact` says why)."""
        # Checked at CLI start (checks.py), after the decorators were collected: an unreadable
        # @project name leaves the job's name unknown too.
        project_unknown = getattr(self.compiler, "project_unknown", None)
        if project_unknown and not self.compiler.job_name_arg:
            self.unsure("job-name", None, "%s, and the job is named after the project" % project_unknown)
        if self.graph is None:
            self.unsure("graph", None, self.unavailable or "the flow's steps could not be read")
            return None
        return ModelBuilder(self).build()


CALLABLE = type("DeployTimeValue", (), {"__repr__": lambda self: "<deploy-time function>"})()


def _deep(value, scope, analysis):
    """A list/dict/tuple argument whose items may be deploy-time functions: those become CALLABLE."""
    if isinstance(value, (list, tuple)):
        items = [CALLABLE if is_callable_value(v) else _deep(v, scope, analysis) for v in value]
        return items if isinstance(value, list) else tuple(items)
    if isinstance(value, dict):
        return {k: (CALLABLE if is_callable_value(v) else _deep(v, scope, analysis)) for k, v in value.items()}
    if isinstance(value, ConfigExpr):
        return analysis.compiler.config_lookup(value)
    if not is_constant(value):
        raise Inexact("an argument is %s" % describe(value), OutcomeKind.DECORATOR)
    return value


def _has_bytes(value):
    if isinstance(value, bytes):
        return True
    if isinstance(value, (list, tuple)):
        return any(_has_bytes(v) for v in value)
    if isinstance(value, dict):
        return any(_has_bytes(k) or _has_bytes(v) for k, v in value.items())
    return False


def _deco_node_name(node):
    func = node.func if isinstance(node, ast.Call) else node
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None


def _timeout_seconds(attrs):
    return int(attrs["hours"]) * 3600 + int(attrs["minutes"]) * 60 + int(attrs["seconds"])


def _is_identifier(name):
    return name.isidentifier() and not keyword.iskeyword(name)


class ModelBuilder:
    """DagsterCompiler.compile() as a structural model (what the expected files record)."""

    def __init__(self, analysis):
        self.a = analysis
        self.options = analysis.options
        self.compiler = analysis.compiler
        self.graph = analysis.graph
        self.generator = analysis.generator
        self.shapes = DagsterShapes(self.graph, self.generator)
        self.job = self.compiler.job
        self.tags = list(self.options.tags)
        self.decorators = {name: analysis.node_decorators(name) for name in analysis.steps}
        self.params = [p for p in self.compiler.params]

    # -- per-step decorator facts ---------------------------------------------------------------
    def _known(self, step, parts):
        """Mark the step's parts that an unreadable decorator may change."""
        for deco in self.decorators[step]:
            if deco.attrs is None:
                for part in deco.parts:
                    if part in parts:
                        self.a.unsure(part, step, deco.why)

    def retry_info(self, step):
        self._known(step, ("retry",))
        retries, delay = 0, None
        for deco in self.decorators[step]:
            if deco.attrs is None:
                continue
            try:
                retries = max(retries, deco.retry_count())
            except (TypeError, ValueError):
                pass
            if deco.name == "retry" and delay is None:
                minutes = deco.attrs.get("minutes_between_retries", 0)
                if minutes:
                    try:
                        delay = int(minutes) * 60
                    except (TypeError, ValueError):
                        self.a.unsure("retry", step, "@retry minutes_between_retries %r is not an integer" % (minutes,))
        return retries, delay

    def timeout(self, step):
        self._known(step, ("timeout",))
        for deco in self.decorators[step]:
            if deco.name == "timeout" and deco.attrs is not None:
                total = _timeout_seconds(deco.attrs)
                if total > 0:
                    return total
        return None

    def extra_env(self, step):
        self._known(step, ("env",))
        for deco in self.decorators[step]:
            if deco.name == "environment" and deco.attrs is not None:
                env = deco.attrs.get("vars") or {}
                if not env:
                    return None
                try:
                    # What the file holds is repr(); read back with literal_eval, then as JSON.
                    return json.loads(json.dumps(ast.literal_eval(repr(env))))
                except (ValueError, TypeError, SyntaxError):
                    self.a.unsure("env", step, "@environment vars of %s do not read back as a literal" % step)
                    return None
        return None

    def run(self, step, split_index):
        return {"step": step, "max_user_code_retries": self.retry_info(step)[0], "tags": list(self.tags),
                "extra_env": self.extra_env(step), "split_index": split_index}

    # -- ops -------------------------------------------------------------------------------------
    def op(self, node, ins, out, params, returns, yields=(), split_index=False, init=False,
           foreach_splits=False, condition=False, config=None, parameters=None):
        name = node.name
        retries, delay = self.retry_info(name)
        timeout = self.timeout(name)
        keys = []
        if ins is not None:
            keys.append("ins")
        if out is not None:
            keys.append("out")
        retry_policy = None
        if retries > 0:
            keys.append("retry_policy")
            retry_policy = {"max_retries": retries, "delay": delay if delay else None}
        tags = None
        if timeout:
            keys.append("tags")
            tags = {"dagster/op_execution_timeout": str(timeout)}
        op = {
            "name": "op_" + name,
            "steps": [name],
            "ins": ins,
            "out": _out(out),
            "out_names": list(out[1]) if isinstance(out, tuple) else None,
            "params": params,
            "config": config,
            "returns": returns,
            "retry_policy": retry_policy,
            "tags": tags,
            "timeout": timeout,
            "decorator_keys": keys,
            "runs": [self.run(name, split_index)],
            "yields": list(yields),
            "init": init,
            "reads_foreach_splits": foreach_splits,
            "reads_condition_branch": condition,
        }
        if parameters is not None:
            op["parameters"] = parameters
        op["kind"] = op_kind(op)
        return op

    def start_op(self, node):
        config = ("%sConfig" % self.compiler.flow_name) if self.params else None
        params = ["config"] if self.params else []
        parameters = self._start_parameters()
        common = dict(init=True, config=config, parameters=parameters)
        if node.type == "split":
            out = ({b: "Out(str)" for b in node.out_funcs}, node.out_funcs)
            yields = [{"type": "Output", "output_name": b} for b in node.out_funcs]
            return self.op(node, None, out, params, None, yields, **common)
        if node.type == "foreach":
            return self.op(node, None, "DynamicOut(str)", params, None,
                           [{"type": "DynamicOutput", "output_name": None}], foreach_splits=True, **common)
        if node.type == "split-switch":
            out = ({b: "Out(str, is_required=False)" for b in node.out_funcs}, node.out_funcs)
            return self.op(node, None, out, params, None, [{"type": "Output", "output_name": "<_branch>"}],
                           condition=True, **common)
        if node.type in ("start", "linear"):
            return self.op(node, None, "Out(str)", params, "str", **common)
        raise Inexact("the start step is of type %s (metaflow-dagster fails)" % node.type, OutcomeKind.NOT_REPRODUCED)

    def _start_parameters(self):
        """`parameters = {...}` of the start op, read back like the reference reader: from the
        line's text, so a dashed name gives `config.max-items`."""
        names = [p.name for p in self.params]
        line = "    parameters = {" + ", ".join('"%s": config.%s' % (n, n) for n in names) + "}"
        pairs = START_PARAMETER_RE.findall(line)
        if len(pairs) != len(names) or any(not DASHED_NAME_RE.match(n) for n in names):
            if names:
                self.a.unsure("ops", "start", "a parameter name with quotes, commas or braces is not read back reliably")
        return {k: v for k, v in pairs}

    def step_op(self, node):
        graph = self.graph
        name = node.name
        parent = node.in_funcs[0] if node.in_funcs else "upstream"
        ins_one = {parent: "In(str)"}
        if node.type == "end":
            return self.op(node, ins_one, None, [parent], "None")
        if node.type == "linear":
            if self.shapes.is_condition_merge(node):
                ins = {p: "In(Optional[str], default_value=None)" for p in node.in_funcs}
                return self.op(node, ins, "Out(str)", list(node.in_funcs), "str")
            foreach_parent = any(graph[p].type == "foreach" for p in node.in_funcs)
            return self.op(node, ins_one, "Out(str)", [parent], "str", split_index=foreach_parent)
        if node.type == "join":
            if self.shapes.is_foreach_join(node):
                return self.op(node, {"foreach_results": "In(list)"}, "Out(str)", ["foreach_results"], "str")
            return self.op(node, {p: "In(str)" for p in node.in_funcs}, "Out(str)", list(node.in_funcs), "str")
        if node.type == "split":
            out = ({b: "Out(str)" for b in node.out_funcs}, node.out_funcs)
            yields = [{"type": "Output", "output_name": b} for b in node.out_funcs]
            return self.op(node, ins_one, out, [parent], None, yields)
        if node.type == "foreach":
            return self.op(node, ins_one, "DynamicOut(str)", [parent], None,
                           [{"type": "DynamicOutput", "output_name": None}], foreach_splits=True)
        if node.type == "split-switch":
            out = ({b: "Out(str, is_required=False)" for b in node.out_funcs}, node.out_funcs)
            return self.op(node, ins_one, out, [parent], None, [{"type": "Output", "output_name": "<_branch>"}],
                           condition=True)
        raise Inexact("step %s is of type %s (metaflow-dagster fails)" % (name, node.type), OutcomeKind.NOT_REPRODUCED)

    def compound_op(self, outer, runs, kind_nested):
        op = {
            "name": "op_%s__body" % outer,
            "steps": [r["step"] for r in runs],
            "ins": {outer: "In(str)"},
            "out": "Out(str)",
            "out_names": None,
            "params": [outer],
            "config": None,
            "returns": "str",
            "retry_policy": None,
            "tags": None,
            "timeout": None,
            "decorator_keys": ["ins", "out"],
            "runs": runs,
            "yields": [],
            "init": False,
            "reads_foreach_splits": kind_nested,
            "reads_condition_branch": False,
        }
        op["kind"] = op_kind(op)
        return op

    def nested_runs(self, chain):
        runs = []

        def emit(depth):
            foreach, body, join = chain[1:][depth]
            runs.append(self.run(foreach, True))
            if depth == len(chain) - 2:
                runs.append(self.run(body, True))
            else:
                emit(depth + 1)
            runs.append(self.run(join, False))

        emit(0)
        return runs

    # -- the job body ---------------------------------------------------------------------------
    def job_body(self):
        lines, var_map = [], {}
        chains, in_compound = self.shapes.chains, self.shapes.in_compound

        def compound_after(name):
            chain = chains.get(name)
            if not chain:
                return
            if len(chain) > 1:
                lines.append("r_%s__body = r_%s.map(op_%s__body)" % (name, name, name))
                var_map[chain[0][1]] = "r_%s__body" % name
            elif self.shapes.multibody(chain):
                lines.append("r_%s__body = r_%s.map(op_%s__body)" % (name, name, name))
                var_map[chain[0][1]] = "r_%s__body" % name

        def resolve(node):
            if not node.in_funcs:
                return "None"
            key = "_branch_" + node.name
            if key in var_map:
                return var_map[key]
            return var_map.get(node.in_funcs[0], node.in_funcs[0])

        for node in self.shapes.order:
            if node.name in in_compound:
                continue
            op, var = "op_" + node.name, "r_" + node.name
            if node.name == "start":
                lines.append("r_start = op_start()")
                var_map["start"] = "r_start"
                if node.type in ("split", "split-switch"):
                    for branch in node.out_funcs:
                        var_map["_branch_" + branch] = "r_start." + branch
                elif node.type == "foreach":
                    compound_after("start")
            elif node.type == "end":
                lines.append("%s(%s)" % (op, resolve(node)))
                var_map[node.name] = "_end"
            elif node.type == "linear":
                foreach_parent = next((p for p in node.in_funcs if self.graph[p].type == "foreach"), None)
                if foreach_parent is not None:
                    lines.append("%s = %s.map(%s)" % (var, var_map.get(foreach_parent, foreach_parent), op))
                elif self.shapes.is_condition_merge(node):
                    kwargs = ", ".join("%s=%s" % (p, var_map.get(p, p)) for p in node.in_funcs)
                    lines.append("%s = %s(%s)" % (var, op, kwargs))
                else:
                    lines.append("%s = %s(%s)" % (var, op, resolve(node)))
                var_map[node.name] = var
            elif node.type in ("split", "split-switch"):
                lines.append("%s = %s(%s)" % (var, op, resolve(node)))
                var_map[node.name] = var
                for branch in node.out_funcs:
                    var_map["_branch_" + branch] = "%s.%s" % (var, branch)
            elif node.type == "foreach":
                lines.append("%s = %s(%s)" % (var, op, resolve(node)))
                var_map[node.name] = var
                compound_after(node.name)
            elif node.type == "join":
                if self.shapes.is_foreach_join(node):
                    body = node.in_funcs[0]
                    if body in in_compound:
                        outer = node.split_parents[-1]
                        if outer not in chains:
                            raise Inexact("join %s collects a compound op metaflow-dagster does not write (KeyError)"
                                          % node.name, OutcomeKind.NOT_REPRODUCED)
                        source = var_map.get(chains[outer][0][1])
                    else:
                        source = var_map.get(body)
                    if source is None:
                        raise Inexact("join %s collects a step not wired yet (metaflow-dagster fails with KeyError)"
                                      % node.name, OutcomeKind.NOT_REPRODUCED)
                    lines.append("%s = %s(%s.collect())" % (var, op, source))
                else:
                    lines.append("%s = %s(%s)" % (var, op, ", ".join(var_map.get(p, p) for p in node.in_funcs)))
                var_map[node.name] = var
        return lines or ["pass"]

    # -- assembly -----------------------------------------------------------------------------------
    def build(self):
        a, options = self.a, self.options
        for name in self.graph.nodes:
            if not _is_identifier(name):
                a.unsure("graph", name, "step name %r is not a Python identifier: the generated file is not valid "
                         "Python, and what is read back of it depends on the reader" % name)
        ops = []
        for node in self.shapes.order:
            if node.name in self.shapes.in_compound:
                continue
            ops.append(self.start_op(node) if node.name == "start" else self.step_op(node))
        for outer, chain in self.shapes.chains.items():
            if len(chain) > 1:
                ops.append(self.compound_op(outer, self.nested_runs(chain), True))
            else:
                interior = self.shapes.multibody(chain)
                if interior:
                    runs = [self.run(step, i == 0) for i, step in enumerate(interior)]
                    ops.append(self.compound_op(outer, runs, False))
        ops = self.misindented_split_ops(ops)
        body = self.job_body()
        ops_by_name = {op["name"]: op for op in ops}
        edges, ops_called = job_edges(body, ops_by_name)
        wt = options.workflow_timeout
        job_tags = {"dagster/max_runtime": str(wt)} if wt else None
        schedule = self.schedule()
        sensors = self.sensors()
        model = {
            "header": {"flow": self.compiler.flow_name, "job": self.job,
                       "regenerate": {"flow_file": os.path.basename(self.compiler.info.module.path),
                                      "output": "<output.py>"}},
            "flow_name": self.compiler.flow_name,
            "job_name": self.job,
            "config_class": self.config_class(),
            "origin_run_id": None,
            "top_args": None,
            "top_options": None,
            "flow_config_value": self.flow_config_value(),
            "step_with_decorators": None,
            "step_conda_env_ids": None,
            "run_tags": [list(self.tags)] if any(op["runs"] for op in ops) else [],
            "workflow_timeout": int(job_tags["dagster/max_runtime"]) if job_tags else None,
            "ops": ops,
            "job": {"name": self.job, "tags": job_tags, "body": body, "edges": edges, "ops_called": ops_called},
            "schedule": schedule,
            "sensors": sensors,
            "definitions": {"jobs": [self.job],
                            "schedules": ["%s_schedule" % self.job] if schedule else [],
                            "sensors": [s["name"] for s in sensors]},
        }
        model["top_args"], model["top_options"] = self.top_args()
        self.step_decorator_lists(model)
        if not _is_identifier(self.job):
            model["job_name_not_identifier"] = True
            a.lint("job-name-not-identifier", "the job name %r is not a Python identifier: metaflow-dagster writes "
                   "`def %s():`, which is not valid Python" % (self.job, self.job), self._flow_line("project"))
        self.quirks(ops)
        return model

    def misindented_split_ops(self, ops):
        """0.3.7 writes the op of a split that is not the start step mis-indented (its `yield`
        lines joined with a 4-space separator inside dedent): the op sits 8 spaces deep and its
        later yields at column 0, so the file is not valid Python. The documented model is what
        a tolerant reading recovers: after a foreach op (whose last line is 8 spaces deep, in its
        loop) the split op parses as a function nested in that op, which then also runs the split's
        step; after any other op, neither that op nor the split can be read."""
        if self.generator != GENERATOR_RELEASE:
            return ops
        result, tail = [], None  # tail: how the text before the next op ends
        for op in ops:
            if op["kind"] != "split":
                result.append(op)
                tail = "loop" if op["kind"] in ("foreach", "start-foreach") else "body"
                continue
            previous = result[-1] if result else None
            self.a.lint("split-op-misindented", "metaflow-dagster 0.3.7 writes the op of split %s mis-indented: the "
                        "definitions file is not valid Python" % op["steps"][0], self._step_line(op["steps"][0]))
            if previous is not None and tail == "loop":
                merged = dict(previous, steps=previous["steps"] + op["steps"], runs=previous["runs"] + op["runs"],
                              yields=previous["yields"] + op["yields"][:1])
                merged["kind"] = op_kind(merged)
                result[-1] = merged
            elif previous is not None and tail == "body":
                result.pop()
            tail = "module"
        return result

    def config_class(self):
        if not self.params:
            return None
        lines = self.compiler.render()
        fields, stray = [], []
        for line in lines[1:]:
            if not line.strip():
                continue
            match = CONFIG_FIELD_RE.match(line)
            if match:
                fields.append({"name": match.group(1), "type": match.group(2), "default": match.group(3),
                               "help": match.group(4)})
            else:
                stray.append(line)
        return {"name": "%sConfig" % self.compiler.flow_name, "fields": fields, "stray_lines": stray}

    def flow_config_value(self):
        if self.options.config_values:
            self.a.unsure("config-value", None, "--config/--config-value on the command line are not modelled")
        values = {}
        for param in self.compiler.params + self.compiler.dropped:
            if param.kind != "Config":
                continue
            if param.reasons:
                self.a.unsure("config-value", None, "Config %r: %s" % (param.name, "; ".join(param.reasons)))
                continue
            if getattr(param, "value_unknown", None):
                self.a.unsure("config-value", None, param.value_unknown)
                continue
            value = getattr(param, "config_value", UNSET)
            if value is not None and value is not UNSET:  # UNSET: no default, not required
                values[param.name] = value
        if not values:
            return None
        try:
            return json.loads(json.dumps(values))
        except (TypeError, ValueError):
            self.a.unsure("config-value", None, "a Config value is not JSON")
            return None

    def top_args(self):
        options = self.options
        project = "project" in self.a.flow_decos
        head = []
        if options.production or options.branch is not None:
            if not project:
                self.a.unsure("top-args", None, "--branch/--production without @project (click fails: no such option)")
            else:
                if options.production:
                    head.append("--production")
                if options.branch is not None:
                    head += ["--branch", options.branch]
                if options.production and options.branch is not None:
                    self.a.unsure("top-args", None, "--branch together with --production is not modelled")
        args = head + ["--quiet", "--no-pylint", "--metadata=%s" % options.metadata,
                       "--environment=%s" % options.environment, "--datastore=%s" % options.datastore,
                       "--datastore-root=%s" % DATASTORE_ROOT_PLACEHOLDER,
                       "--event-logger=%s" % options.event_logger, "--monitor=%s" % options.monitor]
        if options.namespace:
            args.append("--namespace=%s" % options.namespace)
        top = {"project_and_flow_options": head, "namespace": options.namespace or None,
               "metadata": options.metadata, "environment": options.environment, "datastore": options.datastore,
               "event_logger": options.event_logger, "monitor": options.monitor}
        return args, top

    def step_decorator_lists(self, model):
        with_decorators = list(self.options.with_decorators)
        withs, specs, env_ids = {}, {}, {}
        virtual = self.options.environment in ("conda", "pypi")
        for node in self.shapes.order:
            step = node.name
            decos = self.decorators[step]
            unknown = [d for d in decos if d.attrs is None]
            for deco in unknown:
                if "decorators" in deco.parts:
                    self.a.unsure("decorators", step, deco.why)
            if virtual:
                self.a.unsure("decorators", step, "--environment=%s adds @%s to every step; its spec carries the "
                              "compiling machine's python version and its environment id hashes the machine's "
                              "platform and datastore" % (self.options.environment, self.options.environment))
            resources = self._resources_spec(decos)
            row = list(with_decorators)
            if self.generator == GENERATOR_MAIN:
                for deco in decos:
                    if deco.name in SKIP_WITH_DECORATORS or deco.attrs is None:
                        continue
                    row.append(deco.spec())
            if resources:
                row.append(resources)
            withs[step] = row
            specs[step] = [d.spec() if d.attrs is not None else "<%s>" % d.name for d in decos] + with_decorators
            env_ids[step] = None
        model["step_with_decorators"] = withs
        model["step_conda_env_ids"] = env_ids
        if self.generator == GENERATOR_RELEASE:
            model["step_decorator_specs"] = specs

    @staticmethod
    def _resources_spec(decos):
        for deco in decos:
            if deco.name == "resources" and deco.attrs is not None:
                parts = ["%s=%s" % (k, deco.attrs[k]) for k in ("cpu", "memory", "gpu") if deco.attrs.get(k) is not None]
                if parts:
                    return "resources:" + ",".join(parts)
        return None

    def schedule(self):
        entry = self.a.flow_decos.get("schedule")
        if entry is None:
            return None
        deco, klass = entry
        try:
            attrs = self.a._flow_attrs(deco, SCHEDULE_DEFAULTS)
        except Inexact as exc:
            self.a.unsure("schedule", None, "@schedule: %s" % exc.reason)
            return None
        cron = attrs["cron"] if attrs["cron"] else None
        if cron is None:
            for key, value in SCHEDULE_CRONS:
                if attrs.get(key):
                    cron = value
                    break
        if cron is None:
            return None
        if not attrs["cron"] and attrs["daily"] and (attrs["weekly"] or attrs["hourly"]):
            self.a.lint("schedule-daily-wins", "@schedule(%s=True) without daily=False: metaflow-dagster writes the "
                        "daily cron '0 0 * * *' (daily defaults to True and wins)"
                        % ("weekly" if attrs["weekly"] else "hourly"), self._flow_line("schedule"))
        if not isinstance(cron, str):
            self.a.unsure("schedule", None, "@schedule cron is not a string")
        return {"name": "%s_schedule" % self.job, "job": self.job, "cron": cron}

    def sensors(self):
        sensors = []
        triggers = getattr(self.a, "triggers", None) or []
        kept = []
        for trigger in triggers:
            if not isinstance(trigger["name"], str) or not trigger["name"]:
                self.a.lint("trigger-event-dropped", "a @trigger event whose name is computed at deploy time is "
                            "silently dropped by metaflow-dagster (no sensor)", self._flow_line("trigger"))
                continue
            kept.append(trigger)
        for i, trigger in enumerate(kept):
            name = "%s_on_event_%d" % (self.job, i)
            if "\n" in trigger["name"] or any("\n" in k + v for k, v in trigger["parameters"].items()):
                self.a.unsure("sensors", None, "a @trigger event or parameter spans lines: the sensor is not read back reliably")
            sensors.append({"name": name, "job": self.job, "default_status": "DefaultSensorStatus.RUNNING",
                            "function": name, "indent": 4, "kind": "event", "event": trigger["name"],
                            "parameter_map": dict(trigger["parameters"]),
                            "run_config_op": "start" if trigger["parameters"] else None})
        if kept:
            self.a.lint("trigger-sensor-invalid-python", "metaflow-dagster writes @trigger's event sensor mis-indented "
                        "(into the job function, with a module-level yield): the definitions file is not valid Python",
                        self._flow_line("trigger"))
        for i, upstream in enumerate(getattr(self.a, "finishes", None) or []):
            name = "%s_on_finish_%d" % (self.job, i)
            sensors.append({"name": name, "job": self.job, "default_status": "DefaultSensorStatus.RUNNING",
                            "function": name, "indent": 0, "kind": "finish", "upstream_job": upstream})
        return sensors

    def _flow_line(self, name):
        entry = self.a.flow_decos.get(name)
        klass = entry[1] if entry else self.compiler.info
        if klass.module is not self.compiler.info.module:
            return self.compiler.info.line
        if entry:
            node = next((d for d in klass.node.decorator_list if _deco_node_name(d) == name), None)
            if node is not None:
                return node.lineno
        return klass.line

    def _step_line(self, step):
        source = self.a.steps[step][0]
        return source.fn.lineno if source.is_flow_file else self.compiler.info.line

    def quirks(self, ops):
        """Lints for what metaflow-dagster writes wrongly, and the reader-dependent parts."""
        a, graph, shapes = self.a, self.graph, self.shapes
        order = [n.name for n in shapes.order]
        dropped = [n for n in graph.nodes if n not in order]
        if dropped:
            a.lint("switch-self-loop-drops-steps", "a step loops back to itself: metaflow-dagster leaves out %s "
                   "(no op, no wiring)" % ", ".join(sorted(dropped)), self._step_line(dropped[0]) if dropped[0] in a.steps else None)
        for node in shapes.order:
            if node.type == "linear" and len(node.in_funcs) >= 2 and not shapes.is_condition_merge(node):
                a.lint("switch-merge-not-recognised", "step %s merges branches that do not all come straight from "
                       "one switch: metaflow-dagster wires only %s into it; the other branches' outputs are dropped"
                       % (node.name, node.in_funcs[0]), self._step_line(node.name))
            if node.type == "split-switch" and len(set(node.out_funcs)) != len(node.out_funcs):
                a.lint("switch-duplicate-target", "two cases of switch %s go to the same step: metaflow-dagster writes "
                       "a duplicated key in out={...}" % node.name, self._step_line(node.name))
            if node.type == "split" and any(graph[p].type == "foreach" for p in node.split_parents):
                a.lint("split-in-foreach", "split %s inside a foreach: metaflow-dagster calls its op on a dynamic output "
                       "without .map() and collects a non-dynamic output" % node.name, self._step_line(node.name))
        for step in sorted(shapes.in_compound):
            lost = []
            if self.timeout(step):
                lost.append("@timeout")
            if self.retry_info(step)[0] > 0:
                lost.append("@retry's RetryPolicy")
            if lost:
                a.lint("compound-op-drops-decorators", "step %s runs inside a compound op: metaflow-dagster drops its "
                       "%s" % (step, " and ".join(lost)), self._step_line(step))


def op_kind(op):
    """The documented op kinds, from the op's features (as the reference reader classifies them)."""
    out = op["out"]
    ins = op["ins"] or {}
    if op["name"].endswith("__body"):
        return "compound-nested-foreach" if op["reads_foreach_splits"] else "compound-multibody-foreach"
    if op["init"]:
        if out == "DynamicOut(str)":
            return "start-foreach"
        if isinstance(out, dict):
            return "start-switch" if op["reads_condition_branch"] else "start-split"
        return "start"
    if op["returns"] == "None" and out is None:
        return "end"
    if out == "DynamicOut(str)":
        return "foreach"
    if op["reads_condition_branch"]:
        return "switch"
    if isinstance(out, dict):
        return "split"
    if any(v and v.startswith("In(list") for v in ins.values()):
        return "foreach-join"
    if any(v and "Optional" in v for v in ins.values()):
        return "switch-merge"
    if len(ins) > 1:
        return "join"
    if any(r["split_index"] for r in op["runs"]):
        return "foreach-body"
    return "linear"


def _out(out):
    if isinstance(out, tuple):
        return dict(out[0])
    return out


def job_edges(body, ops_by_name):
    """Edges and called ops of the job body's statements (the model's `job.edges`)."""
    producer, edges = {}, []

    def param_names(op_name):
        op = ops_by_name.get(op_name)
        return [p for p in op["params"] if p != "config"] if op else []

    def source_of(expr):
        if isinstance(expr, ast.Name):
            return producer.get(expr.id, "?" + expr.id), None, "direct"
        if isinstance(expr, ast.Attribute) and isinstance(expr.value, ast.Name):
            return producer.get(expr.value.id, "?" + expr.value.id), expr.attr, "output"
        if isinstance(expr, ast.Call) and isinstance(expr.func, ast.Attribute) and expr.func.attr == "collect" \
                and isinstance(expr.func.value, ast.Name):
            return producer.get(expr.func.value.id, "?" + expr.func.value.id), None, "collect"
        return ast.unparse(expr), None, "expr"

    for text in body:
        try:
            statement = ast.parse(text).body[0]
        except SyntaxError:
            continue
        target, call = None, None
        if isinstance(statement, ast.Assign) and len(statement.targets) == 1 and isinstance(statement.targets[0], ast.Name):
            target, call = statement.targets[0].id, statement.value
        elif isinstance(statement, ast.Expr):
            call = statement.value
        if not isinstance(call, ast.Call):
            continue
        func = call.func
        if isinstance(func, ast.Attribute) and func.attr == "map" and isinstance(func.value, ast.Name):
            dst = call.args[0].id
            names = param_names(dst)
            edges.append({"from": producer.get(func.value.id, "?" + func.value.id), "output": None, "to": dst,
                          "input": names[0] if names else None, "how": "map"})
            if target:
                producer[target] = dst
            continue
        if isinstance(func, ast.Name):
            dst = func.id
            names = param_names(dst)
            for i, arg in enumerate(call.args):
                origin, output, how = source_of(arg)
                edges.append({"from": origin, "output": output, "to": dst,
                              "input": names[i] if i < len(names) else "#%d" % i, "how": how})
            for kw in call.keywords:
                origin, output, how = source_of(kw.value)
                edges.append({"from": origin, "output": output, "to": dst, "input": kw.arg, "how": how})
            if target:
                producer[target] = dst
    return edges, sorted({e["to"] for e in edges} | set(producer.values()))


__all__ = ["DeployOptions", "JobAnalysis", "MODEL_PARTS", "PART_KEYS", "op_kind", "job_edges"]
