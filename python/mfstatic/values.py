"""The value model: what the evaluator produces besides plain constants (modules, classes,
functions, Metaflow objects...), and questions asked of any value."""

import ast


class Opaque:
    """A non-constant value: a module, class, function, Metaflow object..."""

    def describe(self):
        return type(self).__name__


class ModuleRef(Opaque):
    def __init__(self, module):
        self.module = module

    def describe(self):
        return "module %s" % self.module.qualname


class MetaflowModuleRef(Opaque):
    def __init__(self, dotted):
        self.dotted = dotted

    def describe(self):
        return "module %s" % self.dotted


class MetaflowRef(Opaque):
    """A symbol exported by metaflow (FlowSpec, Parameter, project, step, ...)."""

    def __init__(self, name):
        self.name = name

    def describe(self):
        return "metaflow.%s" % self.name


class ExternalRef(Opaque):
    """A module or object outside the repository (stdlib or installed)."""

    def __init__(self, dotted):
        self.dotted = dotted

    def describe(self):
        return "external %s" % self.dotted


class BuiltinRef(Opaque):
    def __init__(self, name):
        self.name = name

    def describe(self):
        return "builtin %s" % self.name


class ClassRef(Opaque):
    def __init__(self, info):
        self.info = info

    def describe(self):
        return "class %s" % self.info.name


class FunctionRef(Opaque):
    """A lambda or def; `module` is where its globals live, `scope` is where it
    was defined (its default argument values are evaluated there)."""

    def __init__(self, node, module, nested, scope):
        self.node = node
        self.module = module
        self.nested = nested  # defined inside a function/class: may need more than globals
        self.scope = scope

    def describe(self):
        if isinstance(self.node, ast.Lambda):
            return "a lambda"
        return "function %s()" % self.node.name


class BoundMethod(Opaque):
    def __init__(self, obj, name):
        self.obj = obj
        self.name = name


class DecoratorCall(Opaque):
    """`@project(name=...)`: a Metaflow decorator with its call arguments."""

    def __init__(self, name, call, scope):
        self.name = name
        self.call = call
        self.scope = scope


class ConfigExpr(Opaque):
    """`cfg.key` / `cfg["key"]` on a Metaflow Config: resolved at deploy time."""

    def __init__(self, spec, path):
        self.spec = spec
        self.path = path


class CtxRef(Opaque):
    """The ParameterContext passed to deploy-time functions."""

    def __init__(self, flow_name, parameter_name):
        self.flow_name = flow_name
        self.parameter_name = parameter_name


def is_constant(value):
    return not isinstance(value, Opaque)


UNSET = object()


class DecoratedFunction(Opaque):
    def __init__(self, node, module, harmless=False):
        self.node = node
        self.module = module
        self.harmless = harmless  # decorated only by known, non-Parameter decorators

    def describe(self):
        return "decorated function %s()" % self.node.name


FLOWSPEC = MetaflowRef("FlowSpec")


OBJECT = BuiltinRef("object")


def describe(value):
    if isinstance(value, Opaque):
        return value.describe()
    return "a %s value" % type(value).__name__


def is_callable_value(value):
    return isinstance(value, (FunctionRef, ClassRef, BuiltinRef, MetaflowRef, BoundMethod,
                              DecoratedFunction, ExternalRef))


def _stable_hash(value):
    """Objects whose hash is the same in every interpreter run."""
    if isinstance(value, (int, float, complex)):  # includes bool
        return True
    if isinstance(value, (tuple, frozenset)):
        return all(_stable_hash(v) for v in value)
    return False  # str/bytes (PYTHONHASHSEED), None/Ellipsis (address in 3.11), ...


def hash_order_dependent(value):
    """True if repr(value) may differ between runs (set iteration order)."""
    if isinstance(value, (set, frozenset)):
        if len(value) > 1 and not all(_stable_hash(v) for v in value):
            return True
        return any(hash_order_dependent(v) for v in value)
    if isinstance(value, (list, tuple)):
        return any(hash_order_dependent(v) for v in value)
    if isinstance(value, dict):
        return any(hash_order_dependent(v) for v in value.values())
    return False
