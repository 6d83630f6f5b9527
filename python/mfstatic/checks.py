"""Flow checks: the stages of FlowCompiler that check classes, decorators and names, stopping
with the real compiler's error or making the flow inexact."""

import ast

from .facts import (
    DEFERRED_STEP_DECORATORS,
    ENV_FLOW_DECORATORS,
    ENV_STEP_DECORATORS,
    HARMLESS_STEP_DECORATORS,
    PROJECT_INVALID_RE,
    PROJECT_MAX_LEN,
    RESERVED_PARAM_NAMES,
    VALID_JOB_NAME_CHARS,
)
from .outcomes import FlowError, Inexact, OutcomeKind
from .values import (
    ClassRef,
    DecoratorCall,
    MetaflowRef,
    describe,
    is_callable_value,
    is_constant,
)
from .bounds import EvalCtx
from .loader import ModuleScope
from .evaluator import evaluate, extension_step_decorator, transparent_step_decorator
from .scan import main_block_doubt


def click_option_name(parameter_name):
    """The name click gives the option metaflow makes for a Parameter (`click.Option(("--" + name,))`
    in metaflow/parameters.py), or None where click can raise "Could not determine name for option"
    (metaflow/_vendor/click/core.py, Option._parse_decls): the long option's text after its dashes,
    up to a `/`, with `-` as `_`, lowercased, must be an identifier."""
    decl = "--" + parameter_name
    if "/" in decl:
        decl = decl.split("/", 1)[0].rstrip()
        if not decl:
            return None
    first = decl[:1]
    if first.isalnum():
        rest = decl
    elif decl[1:2] == first:
        rest = decl[2:]
    else:
        rest = decl[1:]
    name = rest.replace("-", "_").lower()
    return name if name.isidentifier() else None


def strip_stars(message):
    """Metaflow's echo renders *x* as bold x; the printed text has no stars."""
    return message.replace("*", "")


class FlowChecks:
    """The checks of FlowCompiler that stop or doubt a flow: its classes and decorators,
    Parameter.init(), @project, the graph lint and the job name.  A base class of FlowCompiler
    (flows.py), whose state they read: mro, params, fail(), config_lookup(), _is_string_type()."""

    # -- class-level checks -------------------------------------------------
    def check_classes(self):
        self.decorators = []
        self.env_step_decorators = []
        for klass in self.mro:
            try:
                decos = klass.check_decorators(EvalCtx())
            except Inexact as exc:
                self.fail(exc.reason, exc.kind)
                continue
            if decos and not klass.is_flowspec():
                self.fail("flow decorator on %s, which is not a FlowSpec (error at import)" % klass.name, OutcomeKind.DECORATOR)
            for deco in decos:
                self.decorators.append((klass, deco))
                if deco.name in ENV_FLOW_DECORATORS:
                    self.fail(ENV_FLOW_DECORATORS[deco.name], OutcomeKind.DECORATOR)
            if klass.nested:
                self.fail("class %s is not defined at module level" % klass.name, OutcomeKind.UNSUPPORTED)
            if klass.namespace.latest("__init_subclass__", None) is not None:
                self.fail("class %s defines __init_subclass__" % klass.name, OutcomeKind.UNSUPPORTED)
            self.check_class_body(klass)
        names = [d.name for _, d in self.decorators]
        for name in dict.fromkeys(names):  # in order: the reasons must not depend on the hash seed
            if names.count(name) > 1:
                self.fail("@%s is applied more than once in the class hierarchy" % name, OutcomeKind.DECORATOR)
        self.check_monkeypatching()
        self.check_main_block()


    def check_main_block(self):
        """What the flow file's __main__ block runs before the flow (scan.main_block_doubt). The
        flow file is the module the request named (set by the server), or the class's own."""
        module = getattr(self, "main_module", None) or self.info.module
        if module.qualname != "__main__":
            return
        reason = main_block_doubt(module)
        if reason:
            self.fail(reason, OutcomeKind.UNSUPPORTED)


    def check_class_body(self, klass):
        for stmt in klass.node.body:
            if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call):
                func = stmt.value.func
                if isinstance(func, ast.Name) and func.id in ("locals", "vars", "exec", "eval", "setattr", "globals"):
                    self.fail("class body of %s calls %s()" % (klass.name, func.id), OutcomeKind.UNSUPPORTED)
            if isinstance(stmt, ast.FunctionDef):
                self.check_step_decorators(klass, stmt)


    def check_step_decorators(self, klass, fn):
        values = []
        for deco in fn.decorator_list:
            try:
                values.append(evaluate(deco, klass.scope(), EvalCtx()))
            except Inexact:
                values.append(None)
        names = [v.name if isinstance(v, (MetaflowRef, DecoratorCall)) else None for v in values]
        if "step" not in names:
            return
        for deco, name in zip(fn.decorator_list, names):
            why = transparent_step_decorator(deco, klass.scope()) if name is None else None
            if name is None and why is None:
                continue  # a user decorator that provably changes nothing (job.py reads it the same way)
            extension = extension_step_decorator(deco, klass.scope()) if name is None else None
            if extension is not None:
                if extension[0].why is not None:
                    self.fail("step %s uses @%s from the repository's metaflow_extensions: %s"
                              % (fn.name, extension[0].name, extension[0].why), OutcomeKind.DECORATOR)
                continue  # only task-time hooks: job.py writes its spec
            if name is None:
                self.fail("step %s has decorator @%s, which is not a known Metaflow step decorator "
                          "(it could be a StepMutator: %s)" % (fn.name, ast.unparse(deco), why), OutcomeKind.DECORATOR)
            elif name in ENV_STEP_DECORATORS or name in DEFERRED_STEP_DECORATORS:
                # The job model's stages decide from the top-level options (the real error, or the
                # decorator's parts named inexact); without a graph they doubt the flow instead.
                self.env_step_decorators.append(
                    ("step %s uses @%s, which depends on the deploy environment (fails with the default local "
                     "configuration)" if name in ENV_STEP_DECORATORS else "step %s uses @%s, not reproduced "
                     "statically") % (fn.name, name))
            elif name not in HARMLESS_STEP_DECORATORS:
                self.fail("step %s uses @%s, not reproduced statically" % (fn.name, name), OutcomeKind.DECORATOR)


    def check_monkeypatching(self):
        """Module code that assigns attributes of a class in the MRO changes it."""
        modules = {id(c.module): c.module for c in self.mro}
        modules[id(self.info.module)] = self.info.module
        classes = {id(c) for c in self.mro}
        for module in modules.values():
            for name, line in module.changed_at_import():
                try:
                    value = ModuleScope(module, None).lookup(name, EvalCtx())
                except Inexact:
                    continue
                if isinstance(value, ClassRef) and id(value.info) in classes:
                    self.fail("%s:%d modifies class %s at import"
                              % (module.rel, line, value.info.name), OutcomeKind.NOT_REPRODUCED)


    # -- stage: Parameter.init() at CLI start -------------------------------
    def parameter_init_errors(self):
        for param in self.params:
            if param.reasons or param.kind == "Config":
                continue
            spec = param.spec
            name = param.name
            try:
                if name in RESERVED_PARAM_NAMES:
                    return FlowError("Parameter name '%s' is a reserved word. Please use a different "
                                     "name for your parameter." % name, param.line)
                if click_option_name(name) is None or "/" in name:
                    # Measured with the real compiler: such a name fails with click's TypeError
                    # ("Could not determine name for option", or a secondary option for a `/`)
                    # under most hash seeds and passes under others, so no answer is exact.
                    param.fail("click cannot make an option of the parameter name %r: dagster create fails "
                               "with a TypeError or not, depending on PYTHONHASHSEED" % name, OutcomeKind.NOT_REPRODUCED)
                    continue
                for field in ("show_default", "separator", "required"):
                    if is_callable_value(spec.value(field)):
                        return FlowError("Parameter %s: Field '%s' cannot have a function as its value"
                                         % (name, field), param.line)
                separator = spec.value("separator")
                if separator and not self._is_string_type(param):
                    return FlowError(strip_stars("Parameter *%s*: Separator is only allowed for string "
                                                 "parameters." % name), param.line)
            except Inexact as exc:
                param.fail(exc.reason, exc.kind)
        return None


    # -- stage: flow decorators initialised at CLI start ----------------------
    def flow_decorator_errors(self):
        for klass, deco in self.decorators:
            if deco.name != "project":
                continue
            try:
                attrs = self._decorator_attributes(deco)
            except Inexact as exc:
                self.fail("@project: %s" % exc.reason, exc.kind)
                # The job is named after the project: the job model cannot name it either.
                self.project_unknown = "@project: %s" % exc.reason
                continue
            unknown = set(attrs) - {"name", "branch", "production"}
            if unknown:
                self.fail("@project gets unsupported attributes %s (error at import)" % sorted(unknown), OutcomeKind.DECORATOR)
                continue
            name = attrs.get("name")
            line = klass.line
            if not name:
                return FlowError("@project needs a name. Try @project(name='some_name')", line)
            if not isinstance(name, str):
                self.fail("@project name is not a string", OutcomeKind.DECORATOR)
                self.project_unknown = "@project name is not a string"
                continue
            if PROJECT_INVALID_RE.search(name):
                return FlowError("The @project name must contain only lowercase alphanumeric "
                                 "characters and underscores.", line)
            if len(name) > PROJECT_MAX_LEN:
                return FlowError("The @project name must be shorter than %d characters." % PROJECT_MAX_LEN, line)
            branch = attrs.get("branch")
            if branch:
                if not isinstance(branch, str):
                    self.fail("@project branch is not a string", OutcomeKind.DECORATOR)
                elif PROJECT_INVALID_RE.search(branch):
                    return FlowError("The branch name must contain only lowercase alphanumeric "
                                     "characters and underscores.", line)
                elif len(branch) > PROJECT_MAX_LEN:
                    return FlowError("Branch name is too long. The maximum is %d characters."
                                     % PROJECT_MAX_LEN, line)
            self.project_name = name
        return None


    def _decorator_attributes(self, deco):
        if deco.call is None:
            return {}
        if deco.call.args:
            raise Inexact("positional decorator arguments", OutcomeKind.DECORATOR)
        attrs = {}
        for kw in deco.call.keywords:
            if kw.arg is None:
                raise Inexact("**kwargs in decorator arguments", OutcomeKind.DECORATOR)
            # config_expr(...) and Config attribute expressions are resolved before @project reads them.
            value = self.decorator_argument(kw.value, deco.scope)
            if not is_constant(value):
                raise Inexact("decorator argument %s is %s" % (kw.arg, describe(value)), OutcomeKind.DECORATOR)
            attrs[kw.arg] = value
        return attrs


    # -- stage: graph lint -----------------------------------------------------
    def lint_checks(self):
        """Metaflow's graph lint runs in the job analysis (job_graph_errors, graph.lint) whenever
        the steps could be read; without them only the start/end requirement is checked here:
        metaflow-dagster looks the steps up by name (a step named otherwise fails there)."""
        analysis = getattr(self, "analysis", None)
        if analysis is not None and analysis.graph is not None:
            return None
        steps = set()
        for klass in self.mro:
            for stmt in klass.node.body:
                if isinstance(stmt, ast.FunctionDef) and self._is_step(klass, stmt):
                    steps.add(stmt.name)
        for name in ("start", "end"):
            if name not in steps:
                self.fail("no @step named %r: the real compiler's graph validation "
                          "fails (not reproduced)" % name, OutcomeKind.NOT_REPRODUCED)
        return None


    @staticmethod
    def _is_step(klass, fn):
        for deco in fn.decorator_list:
            try:
                value = evaluate(deco, klass.scope(), EvalCtx())
            except Inexact:
                continue
            if isinstance(value, (MetaflowRef, DecoratorCall)) and value.name == "step":
                return True
        return False


    # -- stage: dagster create: job name ------------------------------------
    def job_name(self):
        if self.job_name_arg:
            if not all(c in VALID_JOB_NAME_CHARS for c in self.job_name_arg):
                return FlowError("Job name %r contains invalid characters. Use only letters, digits "
                                 "and underscores." % self.job_name_arg)
            self.job = self.job_name_arg
        elif getattr(self, "project_name", None):
            self.job = "%s_%s" % (self.project_name, self.flow_name)
        else:
            self.job = self.flow_name
        return None
