"""Flow analysis: FlowCompiler reproduces `dagster create` for one flow class, stage by stage, in
the order the real compiler runs them, and renders the Config class."""

import ast
import hashlib
import json
import os
import re

from .facts import (
    FLOWSPEC_ATTRIBUTES,
    METAFLOW_TOPLEVEL_NAMES,
    NON_PARAMETERS,
    RESERVED_PARAM_NAMES,
    SYSROOT_PLACEHOLDER,
)
from .outcomes import FlowError, Inexact, OutcomeKind
from .values import (
    BuiltinRef,
    ConfigExpr,
    DecoratedFunction,
    ExternalRef,
    FLOWSPEC,
    MetaflowModuleRef,
    MetaflowRef,
    ModuleRef,
    OBJECT,
    UNSET,
    describe,
    hash_order_dependent,
    is_callable_value,
    is_constant,
)
from .bounds import EvalCtx, MAX_INCLUDE_BYTES
from .loader import (
    ClassBinding,
    ClassInfo,
    ClassScope,
    FunctionBinding,
    Module,
    ModuleScope,
    NamespacePackage,
    STDLIB,
    ValueBinding,
    submodule_of,
)
from .evaluator import ParamSpec, ParserRaised, call_config_parser, call_deploy_time_function, evaluate, getattr_value
from .checks import FlowChecks
from .job import DeployOptions, JobAnalysis


class ParamInfo:
    def __init__(self, attribute, spec):
        self.attribute = attribute
        self.spec = spec
        self.kind = spec.kind
        self.file = spec.module.rel
        self.line = spec.call.lineno
        self.name = None
        try:
            self.declared_type = spec.source("type") if spec.kind == "Parameter" else None
        except Inexact as exc:
            self.declared_type = None
            self.fail(exc.reason, exc.kind)
        self.annotation = None
        self.value = None
        self.help = None
        self.dropped = None
        self.reasons = []  # messages, in order
        self.kinds = []  # the OutcomeKind of each
        self.default = UNSET  # deploy-time default as the real compiler sees it

    def fail(self, reason, kind):
        if reason not in self.reasons:
            self.reasons.append(reason)
            self.kinds.append(kind)

    def to_json(self):
        return {
            "attribute": self.attribute,
            "name": self.name if self.name is not None else "<unknown>",
            "kind": self.kind,
            "file": self.file, "line": self.line, "declaredType": self.declared_type,
            "annotation": self.annotation, "value": self.value, "help": self.help,
            "dropped": self.dropped, "exact": not self.reasons,
            "reason": "; ".join(self.reasons) if self.reasons else None,
            "reasonKind": self.kinds[0].value if self.kinds else None,
        }


def describe_parser(parser):
    """A Config's parser= as its source reads: a dotted name string, or a function's name."""
    if isinstance(parser, str):
        return repr(parser)
    node = getattr(parser, "node", None)
    if node is not None and getattr(node, "name", None):
        return node.name
    dotted = getattr(parser, "dotted", None) or getattr(parser, "name", None)
    return dotted if isinstance(dotted, str) else describe(parser)


def _json_plain(value, depth=0):
    """dict (str keys), list, str, int, finite float, bool, None: what json.dumps writes back unchanged."""
    if depth > 50:
        return False
    if value is None or isinstance(value, (str, bool, int)):
        return True
    if isinstance(value, float):
        return value == value and value not in (float("inf"), float("-inf"))
    if isinstance(value, list):
        return all(_json_plain(v, depth + 1) for v in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and _json_plain(v, depth + 1) for k, v in value.items())
    return False


class _ImportFailed(Exception):
    def __init__(self, error):
        super().__init__(error.message)
        self.error = error


class FlowCompiler(FlowChecks):
    """Reproduces `dagster create` for one flow class, stage by stage, in the
    order the real compiler runs them, so that the first error wins."""


    def __init__(self, loader, info, job_name_arg, options=None):
        self.loader = loader
        self.info = info
        self.flow_name = info.name
        # What `dagster create` and metaflow's top-level options say (generator version, --name,
        # --tag, --with, --environment...): the job model's inputs. `--name` in the arguments
        # comes after the request's jobName, as on the real command line.
        self.options = options if options is not None else DeployOptions(job_name=job_name_arg)
        self.job_name_arg = self.options.name
        self.analysis = None
        # Reason -> its OutcomeKind, in order (a dict: a flow can have a reason per attribute, and
        # a list's `in` made tens of thousands of them quadratic).
        self.reasons = {}
        self.params = []  # rendered candidates, in _get_parameters order
        self.dropped = []
        self.job = None
        self._rendered = None  # render()'s lines


    def fail(self, reason, kind):
        self.reasons.setdefault(reason, kind)


    def run(self):
        """Returns (error FlowError or None)."""
        info = self.info
        error = self.import_time_errors()
        if error:
            return error
        mro = info.mro()
        if FLOWSPEC not in mro:
            raise Inexact("class %s does not derive from metaflow.FlowSpec" % info.name, OutcomeKind.NO_FLOW)
        self.mro = [c for c in mro if isinstance(c, ClassInfo)]
        self.check_classes()
        self.collect_parameters()
        for stage in (self.config_errors, self.job_collect, self.parameter_init_errors, self.flow_init_errors,
                      self.job_step_decorator_errors, self.lint_checks,
                      self.job_graph_errors, self.job_name, self.missing_defaults, self.job_workflow_errors,
                      self.deploy_time_values):
            error = stage()
            if error:
                return error
        return None


    # -- the job model's stages (job.py), in the real compiler's order -------------
    def job_collect(self):
        """The steps, their decorators and the flow decorators (after the Config values are known:
        decorator arguments may be Config expressions)."""
        self.analysis = JobAnalysis(self, self.options)
        self.analysis.collect()
        if self.analysis.graph is None:
            # Without the graph nothing decides whether the graph checks or these decorators fail:
            # doubt the flow (a missing start/end step is doubted by lint_checks already).
            if self.analysis.unavailable_kind is not None:
                self.fail(self.analysis.unavailable, self.analysis.unavailable_kind)
            for reason in getattr(self, "env_step_decorators", []):
                self.fail(reason, OutcomeKind.DECORATOR)
        return None

    def flow_init_errors(self):
        """Flow decorators' flow_init at CLI start, in metaflow's order: the first error wins
        (@project's checks in checks.py, the others in job.py)."""
        errors = self.analysis.flow_decorator_errors()
        project = self.flow_decorator_errors()
        if project is not None:
            errors["project"] = project
        for name in self.analysis.flow_init_order():
            if name in errors:
                return errors[name]
        return next(iter(errors.values()), None)

    def job_step_decorator_errors(self):
        return self.analysis.step_decorator_errors()

    def job_graph_errors(self):
        error = self.analysis.graph_errors()
        if error is None and self.analysis.unavailable_kind is not None and self.analysis.graph is None:
            self.fail(self.analysis.unavailable, self.analysis.unavailable_kind)
        return error

    def job_workflow_errors(self):
        return self.analysis.workflow_errors()


    # -- stage: module import --------------------------------------------
    def import_time_errors(self):
        """Syntax errors in imported repository modules and Config() errors raised
        while class bodies execute, in execution order."""
        visited = set()
        self._executing = {}  # id(module) -> index of the statement it is running
        return self._walk_module(self.info.module, visited)


    def _walk_module(self, module, visited):
        if id(module) in visited:
            # Already imported, or being imported (a cycle: Python hands out the
            # partially initialized module; _check_from_import checks names).
            return None
        visited.add(id(module))
        self._executing[id(module)] = 0
        try:
            return self._execute_module(module, visited)
        finally:
            del self._executing[id(module)]


    def _execute_module(self, module, visited):
        if module.problem is not None:
            if module.problem.python_error:
                # errorLine is a line of the flow file; this error is in another file.
                return FlowError(module.problem.message, None, OutcomeKind.SYNTAX)
            self.fail("module %s cannot be read: %s" % (module.rel, module.problem.message), module.problem.kind)
            return None
        for index, stmt in enumerate(module.tree.body):
            self._executing[id(module)] = index
            if module.main_block and index == module.main_block[0]:
                if module.qualname == "__main__":
                    break  # the flow runs (and exits) from here
                continue  # an imported module's main block does not run
            error = None
            if isinstance(stmt, (ast.Import, ast.ImportFrom)):
                error = self._walk_import(module, stmt, visited)
            elif isinstance(stmt, ast.ClassDef):
                error = self._class_body_errors(module, stmt, index)
            elif isinstance(stmt, ast.Assign):
                error = self._config_constructor_error(module, stmt, ModuleScope(module, index))
            if error:
                return error
        return None


    def _walk_import(self, module, stmt, visited):
        """Run an import statement: execute repository modules it loads (in order)
        and check that the imported names exist, as Python would."""
        level = getattr(stmt, "level", 0) or 0
        if level and not module.package:
            if module.qualname == "__main__":
                return FlowError("ImportError: attempted relative import with no known parent package",
                                 stmt.lineno)
            self.fail("relative import in %s, which is not in a package" % module.rel, OutcomeKind.PYTHON_ERROR)
            return None
        if isinstance(stmt, ast.Import):
            targets = [(a.name, None) for a in stmt.names]
        else:
            targets = [(stmt.module or "", [a.name for a in stmt.names])]
        for dotted, names in targets:
            try:
                ref = self._run_import_chain(module, dotted, level, visited)
            except _ImportFailed as failed:
                return failed.error
            except Inexact as exc:
                self.fail("%s:%d: %s" % (module.rel, stmt.lineno, exc.reason), exc.kind)
                continue
            if isinstance(ref, ModuleRef) and names:
                for name in names:
                    error = self._check_from_import(ref.module, name, module, stmt, visited)
                    if error:
                        return error
            if isinstance(ref, MetaflowModuleRef) and ref.dotted == "metaflow" and names:
                for name in names:
                    if name == "*" or name in METAFLOW_TOPLEVEL_NAMES:
                        continue  # metaflow's own name, or a star import (which names none)
                    if self._extension_provides(name):
                        continue  # read statically (loader.Extension); evaluating it decides the rest
                    if self._has_extensions():
                        # metaflow.extension_support loads every metaflow_extensions package on
                        # the path and exports its `toplevel` names and decorators from `metaflow`.
                        self.fail("%s:%d: %r is not one of metaflow's names; the repository's "
                                  "metaflow_extensions package may provide it (extensions are not read "
                                  "statically)" % (module.rel, stmt.lineno, name), OutcomeKind.UNSUPPORTED)
                    else:
                        self.fail("%s:%d: metaflow has no name %r (ImportError at import)"
                                  % (module.rel, stmt.lineno, name), OutcomeKind.UNRESOLVED_NAME)
        return None


    def _flow_dir_extensions(self):
        """A metaflow_extensions package in the flow's directory, when that is not the root (whose
        package loader.Extension reads). Cached: both checks below ask, for each name imported."""
        if not hasattr(self, "_flow_dir_has_extensions"):
            flow_dir = os.path.dirname(self.info.module.path)
            self._flow_dir_has_extensions = (flow_dir != self.loader.root and
                                             os.path.isdir(os.path.join(flow_dir, "metaflow_extensions")))
        return self._flow_dir_has_extensions

    def _extension_provides(self, name):
        """The repo-root metaflow_extensions package, read statically, exports `name` (and no other
        metaflow_extensions package sits next to the flow)."""
        return not self._flow_dir_extensions() and name in self.loader.extension().names()

    def _has_extensions(self):
        """A metaflow_extensions package in the flow's directory or at the root (sys.path)."""
        return self._flow_dir_extensions() or self.loader.extension().present


    def _run_import_chain(self, module, dotted, level, visited):
        """Import `dotted` and its parent packages; returns the last reference."""
        ref = None
        parts = dotted.split(".") if dotted else []
        prefixes = [".".join(parts[:i]) for i in range(1, len(parts) + 1)] or [""]
        for prefix in prefixes:
            ref = self.loader.import_module(prefix, module, level)
            if isinstance(ref, ModuleRef):
                error = self._walk_module(ref.module, visited)
                if error:
                    raise _ImportFailed(error)
            elif not isinstance(ref, NamespacePackage):
                # metaflow or an installed module: the whole dotted name is outside.
                return self.loader.import_module(dotted, module, level)
        return ref


    def _check_from_import(self, target, name, module, stmt, visited):
        if name == "*":
            return None
        partial = self._executing.get(id(target))  # None unless in an import cycle
        if target.namespace.latest(name, partial) is not None or target.namespace.stars:
            return None
        try:
            sub = submodule_of(target, name)
        except Inexact as exc:
            self.fail(exc.reason, exc.kind)
            return None
        if sub is None:
            cycle = " (circular import)" if partial is not None else ""
            self.fail("%s:%d: cannot import name %r from %s%s (ImportError at import)"
                      % (module.rel, stmt.lineno, name, target.qualname, cycle), OutcomeKind.UNRESOLVED_NAME)
        elif isinstance(sub, Module):
            return self._walk_module(sub, visited)
        return None


    def _class_body_errors(self, module, stmt, index):
        """Config(...) validates itself in its constructor, i.e. while the class
        body runs at import."""
        info = self.loader.class_info(module, stmt, index, ModuleScope(module, None))
        for body_index, body_stmt in enumerate(stmt.body):
            error = self._config_constructor_error(module, body_stmt, ClassScope(info, body_index))
            if error:
                return error
        return None


    def _config_constructor_error(self, module, stmt, scope):
        if not isinstance(stmt, ast.Assign) or not isinstance(stmt.value, ast.Call):
            return None
        try:
            value = evaluate(stmt.value, scope, EvalCtx())
        except Inexact:
            return None  # not a Config call we can see; other stages judge the value
        if not (isinstance(value, ParamSpec) and value.kind == "Config"):
            return None
        line = stmt.lineno if module is self.info.module else None
        try:
            name = value.name()
            if value.value("default") is not None and value.value("default_value") is not None:
                return FlowError("metaflow.exception.MetaflowException: For config '%s', you can "
                                 "only specify default or default_value, not both" % name, line)
            if name in RESERVED_PARAM_NAMES:
                return FlowError("metaflow.exception.MetaflowException: Parameter name '%s' is a "
                                 "reserved word. Please use a different name for your parameter."
                                 % name, line)
        except Inexact as exc:
            self.fail("Config at %s:%d: %s" % (module.rel, stmt.lineno, exc.reason), exc.kind)
        return None


    # -- parameters -------------------------------------------------------
    def collect_parameters(self):
        """`FlowSpec._get_parameters`: dir(cls) order, first definition in the MRO wins."""
        owners = {}
        mro = self.info.mro()
        names = set()
        for klass in self.mro:
            names.update(klass.namespace.bindings)
        for attr in sorted(names):
            for klass in mro:
                if klass is FLOWSPEC:
                    if attr in FLOWSPEC_ATTRIBUTES:
                        break
                    continue
                if klass is OBJECT:
                    break
                binding = klass.namespace.latest(attr, None)
                if binding is not None:
                    owners[attr] = (klass, binding)
                    break
        for attr in sorted(owners):
            klass, binding = owners[attr]
            skipped = None
            if attr.startswith("_"):
                skipped = "attribute starts with '_'"
            elif attr in NON_PARAMETERS:
                skipped = "attribute %r is reserved by Metaflow (FlowSpec._NON_PARAMETERS)" % attr
            try:
                value = binding.get(EvalCtx())
            except Inexact as exc:
                if skipped is None and not self._cannot_be_parameter(binding):
                    self.fail("attribute %r of %s: %s" % (attr, klass.name, exc.reason), exc.kind)
                continue
            if isinstance(value, DecoratedFunction) and value.harmless:
                continue
            if isinstance(value, ExternalRef) and value.dotted.split(".")[0] in STDLIB:
                continue  # a standard-library object is never a metaflow Parameter
            if isinstance(value, (ExternalRef, DecoratedFunction)) and skipped is None:
                self.fail("attribute %r of %s is %s, which could be a Parameter"
                          % (attr, klass.name, describe(value)), OutcomeKind.UNSUPPORTED)
                continue
            if not isinstance(value, ParamSpec):
                continue
            param = ParamInfo(attr, value)
            try:
                param.name = value.name()
            except Inexact as exc:
                param.fail(exc.reason, exc.kind)
            if skipped:
                param.dropped = skipped
                self.dropped.append(param)
            else:
                self.params.append(param)


    @staticmethod
    def _cannot_be_parameter(binding):
        """Expressions that can never evaluate to a Parameter object."""
        if not isinstance(binding, ValueBinding):
            return isinstance(binding, (FunctionBinding, ClassBinding))
        node = binding.node
        if isinstance(node, (ast.Constant, ast.JoinedStr, ast.List, ast.Tuple, ast.Set,
                             ast.Dict, ast.ListComp, ast.SetComp, ast.DictComp,
                             ast.GeneratorExp, ast.Lambda, ast.Compare, ast.BinOp,
                             ast.UnaryOp)):
            return True
        if isinstance(node, ast.Call):
            # A standard-library call (logging.getLogger(...), datetime.date(...))
            # cannot create a metaflow Parameter unless it is handed one.
            try:
                func = evaluate(node.func, binding.scope, EvalCtx())
            except Inexact:
                return False
            if not (isinstance(func, ExternalRef) and func.dotted.split(".")[0] in STDLIB):
                return False
            for arg in list(node.args) + [kw.value for kw in node.keywords]:
                try:
                    value = evaluate(arg, binding.scope, EvalCtx())
                except Inexact:
                    return False
                if not is_constant(value):
                    return False
            return True
        return False


    # -- stage: --config / Config defaults (click option processing) -------
    def config_errors(self):
        messages = []
        raised = []
        # Only configs _get_parameters yields are processed (not dropped ones).
        for param in self.params:
            if param.kind != "Config" or param.reasons:
                continue
            try:
                message = self._config_value(param)
            except Inexact as exc:
                param.fail(exc.reason, exc.kind)
                continue
            except ParserRaised as exc:
                raised.append((param, exc.line))
                continue
            if message:
                messages.append((param, message))
        if raised:
            # The parser's exception leaves process_configs at once (the messages are collected
            # and reported after the loop): the traceback's last line is the error. With several
            # Configs the loop's order decides which one runs first: not reproduced.
            configs = [p for p in self.params if p.kind == "Config"]
            if len(configs) == 1:
                param, line = raised[0]
                return FlowError(line, param.line)
            for param, _ in raised:
                param.fail("its parser raises, and several Configs are processed in an order not "
                           "reproduced", OutcomeKind.NOT_REPRODUCED)
            self.fail("a Config parser raises while compiling, among several Configs", OutcomeKind.NOT_REPRODUCED)
            return None
        if len(messages) == 1:
            param, message = messages[0]
            return FlowError("Error: Bad values passed for configuration options: " + message, param.line)
        if messages:
            for param, _ in messages:
                param.fail("several Config values are invalid; the real message order is not reproduced", OutcomeKind.NOT_REPRODUCED)
        return None


    def _config_value(self, param):
        """Load the Config value like ConfigInput.process_configs; returns an error
        message or None, and stores the parsed value on the param."""
        spec = param.spec
        name = param.name
        default = spec.value("default")
        default_value = spec.value("default_value")
        plain = spec.value("plain", False)
        parser = spec.value("parser")
        if is_callable_value(default) or is_callable_value(default_value):
            raise Inexact("Config %r has a default computed by a function" % name, OutcomeKind.CONFIG)
        param.config_value = UNSET
        if default is not None:
            if not isinstance(default, str):
                raise Inexact("Config %r default path is not a string" % name, OutcomeKind.CONFIG)
            path = self.resolve_path(default, "Config %r default file" % name)
            # The file is a pull request's: parsed JSON takes many times its size in memory, so
            # it is held to the same limit as every source file (maxFileBytes).
            limit = self.loader.sources.max_bytes
            try:
                if os.path.isfile(path) and os.path.getsize(path) > limit:
                    raise Inexact("Config %r default file is over the %d-byte limit (maxFileBytes)" % (name, limit), OutcomeKind.LIMIT)
                with open(path, "r", encoding="utf-8") as fh:
                    text = fh.read(limit + 1)
                if len(text) > limit:
                    raise Inexact("Config %r default file is over the %d-byte limit (maxFileBytes)" % (name, limit), OutcomeKind.LIMIT)
            except OSError:
                return "default configuration file '%s' could not be read for '%s'" % (default, name)
            except UnicodeDecodeError:
                raise Inexact("Config %r file is not UTF-8" % name, OutcomeKind.IO)
        elif default_value is not None:
            if isinstance(default_value, dict):
                try:
                    text = json.dumps(default_value)
                except (TypeError, ValueError):
                    raise Inexact("Config %r default is not JSON-serializable" % name, OutcomeKind.CONFIG)
            elif isinstance(default_value, str):
                text = default_value
            else:
                raise Inexact("Config %r default_value is %s" % (name, describe(default_value)), OutcomeKind.CONFIG)
        else:
            if spec.value("required"):
                return "missing configuration for '%s'" % name
            return None
        if isinstance(parser, str) and parser == "json.loads":
            parser = ExternalRef("json.loads")  # _call_parser imports json and takes loads: the same function
        if isinstance(parser, ExternalRef) and parser.dotted == "json.loads" and not plain:
            # The same as no parser for a JSON object; anything else fails differently
            # (json.loads's own exception, or "Parser ... returned a value that is not a mapping").
            try:
                parsed = json.loads(text)
            except json.JSONDecodeError:
                raise Inexact("Config %r: parser=json.loads fails on its default (the traceback is not "
                              "reproduced)" % name, OutcomeKind.CONFIG)
            if not isinstance(parsed, dict):
                raise Inexact("Config %r: parser=json.loads does not return a mapping (the message is not "
                              "reproduced)" % name, OutcomeKind.CONFIG)
            param.config_value = parsed
            return None
        if parser is not None:
            # ConfigInput._call_parser runs the parser on the text while compiling: its result is
            # the Config's value (and decides whether compiling succeeds), but the Config class
            # shows the default path or value whatever it returns (measured). A repository function
            # of straight-line code is evaluated (never executed); otherwise both stay unknown.
            try:
                parsed = self._run_parser(parser, text, plain, name)
            except Inexact as exc:
                param.config_value = UNSET
                param.value_unknown = "Config %r: its parser gives the value" % name
                self.fail("Config %r has parser=%s, which runs while compiling: whether compiling succeeds, "
                          "and the Config's value (flow_config_value, decorator arguments and defaults read "
                          "from it), are not known statically (%s)" % (name, describe_parser(parser), exc.reason),
                          OutcomeKind.CONFIG)
                return None
            param.config_value = parsed
            return None
        if plain:
            param.config_value = text
            return None
        try:
            parsed = json.loads(text)
        except json.JSONDecodeError as exc:
            return "configuration value for '%s' is not valid JSON: %s" % (name, exc)
        if not isinstance(parsed, dict):
            raise Inexact("Config %r value is not a JSON object" % name, OutcomeKind.CONFIG)
        param.config_value = parsed
        return None


    def _run_parser(self, parser, text, plain, name):
        """parser(text) as ConfigInput._call_parser runs it; ParserRaised when it raises."""
        if isinstance(parser, str):
            # _call_parser imports the module named before the last dot and takes the attribute.
            if parser.startswith(".") or "." not in parser:
                raise Inexact("the parser is named by %r (a metaflow module or no module)" % parser, OutcomeKind.CONFIG)
            path, attr = parser.rsplit(".", 1)
            module = self.loader.import_module(path, self.info.module)
            parser = getattr_value(module, attr, EvalCtx())
        parsed = call_config_parser(parser, text)
        if not plain and not isinstance(parsed, dict):
            # "Parser <function ... at 0x...> returned a value that is not a mapping": an address.
            raise Inexact("the parser returns %s, not a mapping (the message names a memory address)"
                          % describe(parsed), OutcomeKind.CONFIG)
        if not _json_plain(parsed):
            raise Inexact("the parser returns a value that is not plain JSON data", OutcomeKind.CONFIG)
        return parsed


    def resolve_path(self, path, what):
        """A file path as the real compiler opens it (cwd = the flow's directory)."""
        if path.startswith("~"):
            raise Inexact("%s %r depends on the home directory" % (what, path), OutcomeKind.ENVIRONMENT)
        full = path if os.path.isabs(path) else os.path.join(os.path.dirname(self.info.module.path), path)
        real = self.loader.sources.inside(full)
        if real is None:
            raise Inexact("%s %r is outside the repository root" % (what, path), OutcomeKind.IO)
        return real


    def _is_string_type(self, param):
        """Parameter.is_string_type, evaluated after init() wrapped callables."""
        default = self._resolved("default", param)
        return self._param_type(param) == "str" and (default is None or isinstance(default, str))


    def _param_type(self, param):
        """kwargs['type'] after Parameter._get_type, as a name ('str', 'int', ...)."""
        spec = param.spec
        if spec.kind == "IncludeFile":
            return "FilePath"
        if spec.kind == "Config":
            return "str"
        declared = spec.value("type")
        if declared is not None:
            if isinstance(declared, BuiltinRef):
                return declared.name
            if isinstance(declared, MetaflowRef):
                return declared.name
            return "other"
        default = self._resolved("default", param)
        if default is None or is_callable_value(default):
            return "str"
        return type(default).__name__


    def _resolved(self, field, param):
        """An argument after resolve_delayed_evaluator (Config expressions resolved)."""
        value = param.spec.value(field)
        if isinstance(value, ConfigExpr):
            return self.config_lookup(value)
        if isinstance(value, ParamSpec):
            raise Inexact("%s of %r is a %s object" % (field, param.name, value.kind), OutcomeKind.UNSUPPORTED)
        return value


    def config_lookup(self, expr):
        spec = expr.spec
        config = None
        for candidate in self.params + self.dropped:
            if candidate.spec is spec:
                config = candidate
        if config is None:
            raise Inexact("Config expression refers to a Config that is not part of the flow", OutcomeKind.CONFIG)
        value = getattr(config, "config_value", UNSET)
        if value is UNSET or isinstance(value, str):
            raise Inexact("Config expression on Config %r, whose value is not known" % config.name, OutcomeKind.CONFIG)
        for key in expr.path:
            if isinstance(value, dict) and key in value:
                value = value[key]
            else:
                raise Inexact("Config expression %s.%s cannot be resolved"
                              % (config.name, ".".join(map(str, expr.path))), OutcomeKind.CONFIG)
        return value  # already plain JSON types: ConfigValue.to_dict() gives the same


    def decorator_argument(self, node, scope):
        """A decorator argument as metaflow resolves it before the decorator reads it
        (resolve_delayed_evaluator): config_expr("...") and Config attribute expressions become the
        Config's value; anything else is evaluated as it is. Raises Inexact when the Config's value
        is not known. Used for step and flow decorators alike (@retry, @project, @schedule, ...)."""
        if isinstance(node, ast.Call) and len(node.args) == 1 and not node.keywords:
            func = evaluate(node.func, scope, EvalCtx())
            if isinstance(func, MetaflowRef) and func.name == "config_expr":
                return self.config_expr_lookup(evaluate(node.args[0], scope, EvalCtx()))
        value = evaluate(node, scope, EvalCtx())
        if isinstance(value, ConfigExpr):
            return self.config_lookup(value)
        return value


    def config_expr_lookup(self, text):
        """config_expr("name.key.key"): DelayEvaluator evaluates the text with the Configs as local
        variables named by their Config name (the first argument of Config(), not the class
        attribute); only a dotted path is evaluated here."""
        if not isinstance(text, str) or not re.match(r"^[A-Za-z_]\w*(\.[A-Za-z_]\w*)*$", text):
            raise Inexact("config_expr(%r) is not a dotted path" % (text,), OutcomeKind.CONFIG)
        head, *path = text.split(".")
        for param in self.params + self.dropped:
            if param.kind == "Config" and head == param.name:
                return self.config_lookup(ConfigExpr(param.spec, path))
        raise Inexact("config_expr(%r) names no Config of the flow" % text, OutcomeKind.CONFIG)


    # -- stage: _validate_workflow: every parameter needs a default ------------
    def missing_defaults(self):
        for param in self.params:
            if param.reasons:
                continue
            spec = param.spec
            try:
                if spec.kind == "Config":
                    default = spec.value("default")
                    if default is None:
                        default = spec.value("default_value")
                else:
                    default = self._resolved("default", param)
            except Inexact as exc:
                param.fail(exc.reason, exc.kind)
                continue
            if default is None:
                return FlowError("Parameter %s does not have a default value. A default value is "
                                 "required when deploying to Dagster." % param.name, param.line)
        return None


    # -- stage: DagsterCompiler._extract_parameters (deploy_time_eval) ---------
    def deploy_time_values(self):
        for param in self.params:
            if param.reasons:
                continue
            try:
                error = self._deploy_time_value(param)
            except Inexact as exc:
                param.fail(exc.reason, exc.kind)
                continue
            if error:
                return error
        return None


    def _deploy_time_value(self, param):
        spec = param.spec
        ctx = EvalCtx()
        if spec.kind == "IncludeFile":
            default = spec.value("default", None, ctx)
            if isinstance(default, ConfigExpr):
                default = self.config_lookup(default)
            return self._include_file(param, default)
        if spec.kind == "Config":
            default = spec.value("default", None, ctx)
            if default is None:
                default = spec.value("default_value", None, ctx)
        else:
            default = spec.value("default", None, ctx)
            if isinstance(default, ConfigExpr):
                default = self.config_lookup(default)
        if isinstance(default, ExternalRef):
            raise Inexact("default of %r is %s, which is not evaluated statically"
                          % (param.name, describe(default)), OutcomeKind.UNSUPPORTED)
        if is_callable_value(default):
            # DeployTimeField returns str(...) or JSON: best effort until evaluated.
            param.annotation = "str"
            value = call_deploy_time_function(default, self.flow_name, param.name)
            return self._check_deploy_time_type(param, value)
        if not is_constant(default):
            raise Inexact("default of %r is %s" % (param.name, describe(default)), OutcomeKind.UNSUPPORTED)
        if ctx.tainted:
            raise Inexact("default of %r depends on the machine's file paths" % param.name, OutcomeKind.ENVIRONMENT)
        param.default = default
        return None


    def _check_deploy_time_type(self, param, value):
        """DeployTimeField._check_type with deploy_time=True, return_str=True."""
        types = {"bool": bool, "int": int, "float": float, "list": list, "dict": dict}
        ptype = self._param_type(param)
        if ptype in types:
            if type(value) != types[ptype]:
                return FlowError("The value returned by the deploy-time function for the parameter %s "
                                 "field default has a wrong type. Expected a %s." % (param.name, ptype),
                                 param.line)
            param.default = str(value)
            return None
        if not isinstance(value, (str, bytes)):
            try:
                value = json.dumps(value)
            except (TypeError, ValueError):
                raise Inexact("deploy-time default of %r is not JSON-serializable" % param.name, OutcomeKind.DEPLOY_TIME)
        param.default = value
        return None


    def _include_file(self, param, default):
        """IncludeFile: the default file is uploaded and rendered as its descriptor."""
        name = param.name
        if is_callable_value(default):
            raise Inexact("IncludeFile %r default is computed by a function at deploy time" % name, OutcomeKind.DEPLOY_TIME)
        if not isinstance(default, str):
            raise Inexact("IncludeFile %r default is %s" % (name, describe(default)), OutcomeKind.UNSUPPORTED)
        if default.startswith("{") or default.startswith('"{'):
            raise Inexact("IncludeFile %r default is an upload descriptor" % name, OutcomeKind.DEPLOY_TIME)
        if default.find("://") > 0:
            raise Inexact("IncludeFile %r default is a URL (rejected by Metaflow)" % name, OutcomeKind.UNSUPPORTED)
        path = self.resolve_path(default, "IncludeFile %r default" % name)
        if not os.path.exists(path) or os.path.isdir(path):
            return FlowError("metaflow._vendor.click.exceptions.BadParameter: IncludeFile: could not "
                             "open file '%s' for reading" % default, param.line)
        if not os.path.isfile(path) or not os.access(path, os.R_OK):
            raise Inexact("IncludeFile %r default is not a readable regular file" % name, OutcomeKind.IO)
        if os.path.getsize(path) > MAX_INCLUDE_BYTES:
            raise Inexact("IncludeFile %r default is too large to hash here" % name, OutcomeKind.LIMIT)
        is_text = param.spec.value("is_text")
        encoding = param.spec.value("encoding")
        digest = hashlib.sha1()
        with open(path, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                digest.update(chunk)
        descriptor = {
            # UploaderV1.encode_url, then the UploaderV2 additions (key order matters).
            "type": "uploader-v2",
            "url": "local://%s/data/%s/%s" % (SYSROOT_PLACEHOLDER, self.flow_name, digest.hexdigest()),
            "is_text": True if is_text is None else is_text,
            "encoding": "utf-8" if encoding is None else encoding,
            "note": "Internal representation of IncludeFile",
            "sub-type": "uploaded",
            "size": os.stat(path).st_size,
        }
        try:
            param.default = json.dumps(descriptor)
        except (TypeError, ValueError):
            raise Inexact("IncludeFile %r is_text/encoding are not JSON-serializable" % name, OutcomeKind.UNSUPPORTED)
        return None


    # -- rendering (DagsterCompiler._render_config_class) ----------------------
    def render(self):
        """The Config class's lines, rendered once: the server reads them for configClass, then
        the job model (job.config_class) again.  A second rendering would find the same values
        (every argument is cached on its ParamSpec) and add no reason: a reason it could add only
        comes from a budget that ran out, which drops the job model anyway."""
        if self._rendered is None:
            self._rendered = self._render()
        return self._rendered

    def _render(self):
        lines = ["class %sConfig(Config):" % self.flow_name]
        for param in self.params:
            self._render_param(param)
            comment = "  # %s" % param.help if param.help else ""
            lines.append("    %s: %s = %s%s" % (param.name if param.name is not None else "<unknown>",
                                                 param.annotation or "<unknown>",
                                                 param.value or "<unknown>", comment))
        text = "\n".join(lines)
        if "\n\n" in text:
            self.fail("a help text contains an empty line, so the Config block cannot be "
                      "delimited by the first empty line", OutcomeKind.NOT_REPRODUCED)
        return text.split("\n")


    def _render_param(self, param):
        try:
            help_value = param.spec.value("help")
            if isinstance(help_value, ConfigExpr):
                help_value = self.config_lookup(help_value)
            if not is_constant(help_value):
                raise Inexact("help of %r is %s" % (param.name, describe(help_value)), OutcomeKind.UNSUPPORTED)
            # f"  # {p['help']}" -> format(help, "")
            param.help = format(help_value, "") if help_value else None
        except Inexact as exc:
            param.fail(exc.reason, exc.kind)
            param.help = "<unknown>"
        default = param.default
        if default is UNSET:
            return
        if hash_order_dependent(default):
            param.fail("default of %r is a set of strings; its order depends on PYTHONHASHSEED" % param.name, OutcomeKind.ENVIRONMENT)
        annotation = type(default).__name__ if default is not None else "str"
        value = default if annotation != "str" else (str(default) if default is not None else "")
        param.annotation = annotation
        try:
            param.value = repr(value)
        except ValueError as exc:  # e.g. int too large to print
            param.fail("repr() of the default fails: %s" % exc, OutcomeKind.PYTHON_ERROR)
