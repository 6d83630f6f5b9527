"""Expression evaluation: a safe, bounded subset of Python over the AST, including calls of
repository functions and of deploy-time functions.

See loader.py for the import cycle between the two modules."""

import ast
import builtins
import encodings
import encodings.aliases
import json
import os
import re
import string

from .facts import (
    CONFIG_OBJECT_ATTRIBUTES,
    DELAY_EVALUATOR_ATTRIBUTES,
    FLOWSPEC_ATTRIBUTES,
    METAFLOW_EXPORTS,
    METAFLOW_FLOW_DECORATORS,
    METAFLOW_STEP_DECORATORS,
    METAFLOW_SUBMODULE_EXPORTS,
    PARAM_SIGNATURES,
    USER_STEP_DECORATOR_HOOKS,
)
from .outcomes import ImportProblem, Inexact, OutcomeKind
from .values import (
    BoundMethod,
    BuiltinRef,
    ClassRef,
    ConfigExpr,
    CtxRef,
    DecoratedFunction,
    DecoratorCall,
    ExternalRef,
    FLOWSPEC,
    FunctionRef,
    MetaflowModuleRef,
    MetaflowRef,
    ModuleRef,
    OBJECT,
    Opaque,
    UNSET,
    describe,
    hash_order_dependent,
    is_constant,
)
from .bounds import (
    BUDGET,
    EvalCtx,
    MAX_EVAL_DEPTH,
    MAX_EVAL_STEPS,
    MAX_FORMAT_WIDTH,
    MAX_INT_BITS,
    MAX_INT_DIGITS,
    MAX_SEARCH_WORK,
    MAX_SEQ_LEN,
    MAX_SORT_ITEMS,
    cacheable_failure,
    check_size,
    weight,
)


# Builtins the evaluator may call with constant arguments.
SAFE_BUILTINS = {
    "int": int, "float": float, "str": str, "bool": bool, "complex": complex,
    "list": list, "tuple": tuple, "dict": dict, "set": set, "frozenset": frozenset,
    "len": len, "min": min, "max": max, "abs": abs, "round": round, "sorted": sorted,
    "sum": sum, "repr": repr, "any": any, "all": all, "range": range, "format": format,
    "reversed": reversed, "bytes": bytes, "ord": ord, "chr": chr,
}


OTHER_BUILTINS = frozenset(dir(builtins))


SAFE_METHODS = {
    str: frozenset(["lower", "upper", "title", "capitalize", "casefold", "swapcase",
                    "strip", "lstrip", "rstrip", "replace", "split", "rsplit", "join",
                    "format", "startswith", "endswith", "zfill", "center", "ljust",
                    "rjust", "removeprefix", "removesuffix", "partition", "rpartition",
                    "splitlines", "count", "find", "rfind", "isdigit", "isalpha",
                    "isalnum", "islower", "isupper", "encode"]),
    bytes: frozenset(["decode", "lower", "upper", "strip", "split", "replace", "join"]),
    dict: frozenset(["get", "keys", "values", "items", "copy"]),
    list: frozenset(["index", "count", "copy"]),
    tuple: frozenset(["index", "count"]),
}


# External (installed / stdlib) callables the evaluator understands.
EXTERNAL_FUNCTIONS = frozenset(
    ["os.path.join", "os.path.dirname", "os.path.basename", "os.path.abspath",
     "os.path.realpath", "os.path.normpath", "os.getcwd", "json.dumps", "json.loads"]
)


# Codecs str.encode/bytes.decode/str()/bytes() may use, by the module name Python's lookup
# ends at: linear ones.  Others are not (punycode and idna are quadratic in the length).
SAFE_CODECS = frozenset(
    ["utf_8", "utf_8_sig", "ascii", "latin_1", "iso8859_15", "cp1252", "utf_16", "utf_16_le",
     "utf_16_be", "utf_32", "utf_32_le", "utf_32_be"]
)


# Error handlers, with how many characters one bad character can become.
SAFE_CODEC_ERRORS = {"strict": 1, "ignore": 1, "replace": 1, "surrogateescape": 1,
                     "surrogatepass": 1, "backslashreplace": 10, "xmlcharrefreplace": 10}


# Methods that search `obj` for their first argument (Python 3.9's search is O(n*m)).
SEARCH_METHODS = frozenset(["find", "rfind", "count", "index", "split", "rsplit", "partition",
                            "rpartition", "replace", "strip", "lstrip", "rstrip"])


class ParamSpec(Opaque):
    """A `Parameter(...)`, `IncludeFile(...)` or `Config(...)` call."""

    def __init__(self, kind, call, scope, module):
        self.kind = kind
        self.call = call
        self.scope = scope
        self.module = module
        self._args = None
        self._values = {}

    def describe(self):
        return "metaflow.%s" % self.kind

    def arg_nodes(self):
        """Map argument name -> AST node (or ("value", v) for unpacked constants)."""
        if self._args is None:
            self._args = self._bind_args()
        return self._args

    def _bind_args(self):
        signature = PARAM_SIGNATURES[self.kind]
        bound = {}
        positional = []
        for arg in self.call.args:
            if isinstance(arg, ast.Starred):
                values = evaluate(arg.value, self.scope, EvalCtx())
                if not isinstance(values, (list, tuple)):
                    raise Inexact("*args of %s() cannot be evaluated" % self.kind, OutcomeKind.UNSUPPORTED)
                positional.extend(("value", v) for v in values)
            else:
                positional.append(arg)
        if len(positional) > len(signature):
            raise Inexact("%s() is called with too many positional arguments" % self.kind, OutcomeKind.PYTHON_ERROR)
        for name, node in zip(signature, positional):
            bound[name] = node
        for kw in self.call.keywords:
            if kw.arg is None:
                values = evaluate(kw.value, self.scope, EvalCtx())
                if not isinstance(values, dict) or not all(isinstance(k, str) for k in values):
                    raise Inexact("**kwargs of %s() cannot be evaluated" % self.kind, OutcomeKind.UNSUPPORTED)
                items = [(k, ("value", v)) for k, v in values.items()]
            else:
                items = [(kw.arg, kw.value)]
            for name, node in items:
                if name in bound:
                    raise Inexact("%s() gets argument %r twice (TypeError at import)" % (self.kind, name), OutcomeKind.PYTHON_ERROR)
                bound[name] = node
        if "name" not in bound:
            raise Inexact("%s() is called without a name (TypeError at import)" % self.kind, OutcomeKind.PYTHON_ERROR)
        return bound

    def value(self, name, default=None, ctx=None):
        """Evaluated argument `name` (cached), `default` if not passed."""
        nodes = self._args if self._args is not None else self.arg_nodes()
        if name not in nodes:
            return default
        if name not in self._values:
            node = nodes[name]
            sub = EvalCtx()
            try:
                if isinstance(node, tuple):
                    result = (node[1], False)
                else:
                    result = (evaluate(node, self.scope, sub), sub.tainted)
            except Inexact as exc:
                if not cacheable_failure():
                    raise
                result = exc
            self._values[name] = result
        result = self._values[name]
        if isinstance(result, Inexact):
            raise result.with_traceback(None)
        if ctx is not None:
            ctx.tainted |= result[1]
        return result[0]

    def source(self, name):
        node = self.arg_nodes().get(name)
        if node is None:
            return None
        if isinstance(node, tuple):
            return repr(node[1])
        return self.module.source.segment(node) or ast.unparse(node)

    def name(self):
        value = self.value("name")
        if not isinstance(value, str):
            raise Inexact("the name of a %s is not a string" % self.kind, OutcomeKind.UNSUPPORTED)
        return value


def builtin_value(name, module, ctx):
    if name == "__file__":
        ctx.tainted = True
        return module.path
    if name == "__name__":
        return module.qualname
    if name in SAFE_BUILTINS or name in OTHER_BUILTINS:
        return BuiltinRef(name)
    raise Inexact("name %r is not defined in %s (NameError at import?)" % (name, module.rel), OutcomeKind.UNRESOLVED_NAME)


def python_error(exc, what):
    return Inexact("%s raises %s: %s" % (what, type(exc).__name__, exc), OutcomeKind.PYTHON_ERROR)


def getattr_value(obj, attr, ctx):
    """`obj.attr` for the values the evaluator knows."""
    if isinstance(obj, ModuleRef):
        return module_attribute(obj.module, attr, ctx)
    if isinstance(obj, NamespacePackage):
        sub = obj.submodule(attr)
        if sub is None:
            raise Inexact("namespace package %s has no module %r" % (obj.qualname, attr), OutcomeKind.UNRESOLVED_NAME)
        return sub if isinstance(sub, Opaque) else ModuleRef(sub)
    if isinstance(obj, MetaflowModuleRef):
        if obj.dotted == "metaflow":
            if attr in METAFLOW_EXPORTS:
                return MetaflowRef(attr)
            extension = getattr(obj, "extension", None)  # loader.Extension: a repo-root extension's names
            if extension is not None and attr in extension.names():
                return extension_value(extension, attr, ctx)
            sub = "metaflow." + attr
            if sub in METAFLOW_SUBMODULE_EXPORTS:
                return MetaflowModuleRef(sub)
            raise Inexact("metaflow.%s is not understood by the static compiler" % attr, OutcomeKind.UNSUPPORTED)
        exports = METAFLOW_SUBMODULE_EXPORTS.get(obj.dotted, {})
        if attr in exports:
            return MetaflowRef(exports[attr])
        if (obj.dotted + "." + attr) in METAFLOW_SUBMODULE_EXPORTS:
            return MetaflowModuleRef(obj.dotted + "." + attr)
        raise Inexact("%s.%s is not understood by the static compiler" % (obj.dotted, attr), OutcomeKind.UNSUPPORTED)
    if isinstance(obj, ExternalRef):
        return ExternalRef(obj.dotted + "." + attr)
    if isinstance(obj, ClassRef):
        return class_attribute(obj.info, attr, ctx)
    if isinstance(obj, ParamSpec) and obj.kind == "Config":
        if attr == "name":
            return obj.name()
        if attr in CONFIG_OBJECT_ATTRIBUTES or attr.startswith("_"):
            raise Inexact("Config.%s is not evaluated statically" % attr, OutcomeKind.CONFIG)
        return ConfigExpr(obj, [attr])
    if isinstance(obj, ConfigExpr):
        if attr in DELAY_EVALUATOR_ATTRIBUTES or attr.startswith("_"):
            raise Inexact("config expression .%s is not evaluated statically" % attr, OutcomeKind.CONFIG)
        return ConfigExpr(obj.spec, obj.path + [attr])
    if isinstance(obj, CtxRef):
        if attr == "flow_name":
            return obj.flow_name
        if attr == "parameter_name":
            return obj.parameter_name
        raise Inexact("deploy-time function reads ctx.%s, which depends on the deploy environment" % attr, OutcomeKind.ENVIRONMENT)
    if is_constant(obj):
        methods = SAFE_METHODS.get(type(obj))
        if methods and attr in methods:
            return BoundMethod(obj, attr)
        if isinstance(obj, complex) and attr in ("real", "imag"):
            return getattr(obj, attr)
    raise Inexact("attribute %r of %s cannot be evaluated statically" % (attr, describe(obj)), OutcomeKind.UNSUPPORTED)


def module_attribute(module, attr, ctx):
    """`module.attr` after the module ran: its final bindings, else a submodule."""
    if module.problem is not None:
        raise module_problem(module)
    value = ModuleScope(module, None).lookup(attr, ctx, builtins_fallback=False)
    if value is not UNSET:
        return value
    sub = submodule_of(module, attr)
    if sub is not None:
        return sub if isinstance(sub, Opaque) else ModuleRef(sub)
    if attr in ("__file__", "__name__"):
        return builtin_value(attr, module, ctx)
    raise Inexact("%s has no attribute %r (ImportError/AttributeError?)" % (module.qualname, attr), OutcomeKind.UNRESOLVED_NAME)


def module_problem(module):
    problem = module.problem
    if problem.python_error:
        return ImportProblem(problem.message, module)
    return Inexact("module %s cannot be read: %s" % (module.rel, problem.message), problem.kind)


def class_attribute(info, attr, ctx):
    for klass in info.mro():
        if klass is FLOWSPEC:
            if attr in FLOWSPEC_ATTRIBUTES:
                raise Inexact("FlowSpec.%s cannot be evaluated statically" % attr, OutcomeKind.UNSUPPORTED)
            continue
        if klass is OBJECT:
            break
        binding = klass.namespace.latest(attr, None)
        if binding is not None:
            return binding.get(ctx)
    raise Inexact("class %s has no attribute %r" % (info.name, attr), OutcomeKind.UNRESOLVED_NAME)


def check_format_spec(spec):
    """Largest width/precision in a format spec; Inexact when it is too large."""
    widest = 0
    for number in re.findall(r"\d+", spec):
        # len() first: int() of a long digit string is itself quadratic before Python 3.11.
        if len(number) > 6 or int(number) > MAX_FORMAT_WIDTH:
            raise Inexact("format width is too large", OutcomeKind.LIMIT)
        widest = max(widest, int(number))
    return widest


def check_star_width(value):
    """A `*` width or precision of %-formatting, taken from the arguments."""
    if isinstance(value, int) and abs(value) > MAX_FORMAT_WIDTH:
        raise Inexact("format width is too large", OutcomeKind.LIMIT)
    return abs(value) if isinstance(value, int) else 0


def check_output_bound(fields, args, widest):
    """A template with `fields` fields formatting `args` stays small enough."""
    largest = max([weight(a) for a in args] + [0])
    if fields * (largest + widest) > MAX_SEQ_LEN:
        raise Inexact("formatted string would be too large to evaluate statically", OutcomeKind.LIMIT)


def check_format_template(template, args):
    """str.format: no attribute/index access in fields, bounded output."""
    fields = widest = 0
    try:
        for _, field, spec, _conv in string.Formatter().parse(template):
            if field is None:
                continue
            fields += 1
            if any(ch in field for ch in ".["):
                raise Inexact("format field with attribute/index access", OutcomeKind.UNSUPPORTED)
            if spec:
                if "{" in spec:
                    raise Inexact("nested format fields", OutcomeKind.UNSUPPORTED)
                widest = max(widest, check_format_spec(spec))
    except ValueError as exc:
        raise python_error(exc, "str.format")
    check_output_bound(fields, args, widest)


def check_percent_format(template, right):
    """`template % right`: every width and precision bounded, `*` ones (taken from the
    arguments) included, and the output as a whole.  Walks the conversions like Python's
    own parser (keys with nested parentheses, flags, width, precision, length modifier)."""
    text = template if isinstance(template, str) else template.decode("latin-1")
    args = list(right) if isinstance(right, tuple) else [right]
    fields = widest = 0
    next_arg = 0
    i, n = 0, len(text)
    while True:
        i = text.find("%", i)
        if i < 0:
            break
        i += 1
        if i < n and text[i] == "(":
            depth = 0
            while i < n:
                depth += {"(": 1, ")": -1}.get(text[i], 0)
                i += 1
                if depth == 0:
                    break
        while i < n and text[i] in "-+ #0":
            i += 1
        for part in ("width", "precision"):
            if part == "precision":
                if i >= n or text[i] != ".":
                    break
                i += 1
            if i < n and text[i] == "*":
                i += 1
                if next_arg < len(args):
                    widest = max(widest, check_star_width(args[next_arg]))
                next_arg += 1
            else:
                start = i
                while i < n and text[i].isdigit():
                    i += 1
                widest = max(widest, check_format_spec(text[start:i]))
        while i < n and text[i] in "hlL":
            i += 1
        if i < n and text[i] != "%":
            fields += 1
            next_arg += 1
        i += 1
    values = list(right.values()) if isinstance(right, dict) else args
    check_output_bound(max(fields, 1), values, widest)


def binop(op, left, right, ctx):
    if not (is_constant(left) and is_constant(right)):
        raise Inexact("operator %s on %s and %s" % (type(op).__name__, describe(left), describe(right)), OutcomeKind.UNSUPPORTED)
    ctx.tick()
    seq_types = (str, bytes, list, tuple)
    if isinstance(op, ast.Pow) and isinstance(left, int) and isinstance(right, int):
        if abs(left) > 1 and right > 0 and left.bit_length() * right > MAX_INT_BITS:
            raise Inexact("power is too large to evaluate statically", OutcomeKind.LIMIT)
    if isinstance(op, ast.Mult):
        for a, b in ((left, right), (right, left)):
            if isinstance(a, seq_types) and isinstance(b, int) and len(a) * max(b, 0) > MAX_SEQ_LEN:
                raise Inexact("repeated sequence is too large to evaluate statically", OutcomeKind.LIMIT)
    if isinstance(op, ast.LShift) and isinstance(right, int) and right > MAX_INT_BITS:
        raise Inexact("shift is too large to evaluate statically", OutcomeKind.LIMIT)
    if isinstance(op, ast.Mod) and isinstance(left, (str, bytes)):
        check_order_free([right], "%-formatting")
        check_percent_format(left, right)
    operators = {
        ast.Add: lambda a, b: a + b, ast.Sub: lambda a, b: a - b,
        ast.Mult: lambda a, b: a * b, ast.Div: lambda a, b: a / b,
        ast.FloorDiv: lambda a, b: a // b, ast.Mod: lambda a, b: a % b,
        ast.Pow: lambda a, b: a ** b, ast.LShift: lambda a, b: a << b,
        ast.RShift: lambda a, b: a >> b, ast.BitOr: lambda a, b: a | b,
        ast.BitXor: lambda a, b: a ^ b, ast.BitAnd: lambda a, b: a & b,
    }
    fn = operators.get(type(op))
    if fn is None:
        raise Inexact("operator %s is not supported" % type(op).__name__, OutcomeKind.UNSUPPORTED)
    try:
        result = fn(left, right)
    except Exception as exc:  # the real import would fail with this error
        raise python_error(exc, "expression")
    return check_size(result)


def evaluate(node, scope, ctx):
    ctx.depth += 1
    try:
        if ctx.depth > MAX_EVAL_DEPTH:
            raise Inexact("expression nesting is too deep", OutcomeKind.LIMIT)
        # ctx.tick(), inlined: the evaluator's most frequent call.
        ctx.steps += 1
        if ctx.steps > MAX_EVAL_STEPS:
            raise Inexact("expression is too expensive to evaluate statically", OutcomeKind.LIMIT)
        budget = BUDGET
        budget.steps += 1
        if budget.steps >= budget.next_check:
            budget.check()
        method = _EVALUATORS.get(type(node))
        if method is None:
            raise Inexact("%s expressions are not evaluated statically (line %d)"
                          % (type(node).__name__, getattr(node, "lineno", 0)), OutcomeKind.UNSUPPORTED)
        return method(node, scope, ctx)
    finally:
        ctx.depth -= 1


def _eval_constant(node, scope, ctx):
    return node.value


def _eval_name(node, scope, ctx):
    return scope.lookup(node.id, ctx)


def _eval_attribute(node, scope, ctx):
    return getattr_value(evaluate(node.value, scope, ctx), node.attr, ctx)


def _constant_args(values, what):
    for v in values:
        if not is_constant(v):
            raise Inexact("%s gets %s, which is not a constant" % (what, describe(v)), OutcomeKind.UNSUPPORTED)
    return values


def _eval_joined_str(node, scope, ctx):
    parts = []
    length = 0
    for value in node.values:
        if length > MAX_SEQ_LEN:
            raise Inexact("f-string is too large to evaluate statically", OutcomeKind.LIMIT)
        if isinstance(value, ast.Constant):
            parts.append(value.value)
            length += len(value.value)
            continue
        inner = evaluate(value.value, scope, ctx)
        _constant_args([inner], "f-string")
        check_order_free([inner], "f-string")
        if value.conversion == ord("r"):
            inner = repr(inner)
        elif value.conversion == ord("s"):
            inner = str(inner)
        elif value.conversion == ord("a"):
            inner = ascii(inner)
        spec = ""
        if value.format_spec is not None:
            spec = evaluate(value.format_spec, scope, ctx)
            check_format_spec(spec)
        try:
            parts.append(format(inner, spec))
        except Exception as exc:
            raise python_error(exc, "f-string")
        length += len(parts[-1])
    return check_size("".join(parts))


def _eval_binop(node, scope, ctx):
    return binop(node.op, evaluate(node.left, scope, ctx), evaluate(node.right, scope, ctx), ctx)


def _eval_unaryop(node, scope, ctx):
    operand = evaluate(node.operand, scope, ctx)
    if isinstance(node.op, ast.Not):
        if not is_constant(operand):
            raise Inexact("`not` on %s" % describe(operand), OutcomeKind.UNSUPPORTED)
        return not operand
    _constant_args([operand], "unary operator")
    try:
        if isinstance(node.op, ast.USub):
            return -operand
        if isinstance(node.op, ast.UAdd):
            return +operand
        return ~operand
    except Exception as exc:
        raise python_error(exc, "unary operator")


def _eval_boolop(node, scope, ctx):
    result = None
    for value_node in node.values:
        result = evaluate(value_node, scope, ctx)
        _constant_args([result], "and/or")
        if isinstance(node.op, ast.And) and not result:
            return result
        if isinstance(node.op, ast.Or) and result:
            return result
    return result


def _eval_compare(node, scope, ctx):
    left = evaluate(node.left, scope, ctx)
    for op, comp in zip(node.ops, node.comparators):
        right = evaluate(comp, scope, ctx)
        _constant_args([left, right], "comparison")
        if isinstance(op, (ast.In, ast.NotIn)):
            check_search(right, left, "`in`")
        ops = {
            ast.Eq: lambda a, b: a == b, ast.NotEq: lambda a, b: a != b,
            ast.Lt: lambda a, b: a < b, ast.LtE: lambda a, b: a <= b,
            ast.Gt: lambda a, b: a > b, ast.GtE: lambda a, b: a >= b,
            ast.In: lambda a, b: a in b, ast.NotIn: lambda a, b: a not in b,
            ast.Is: lambda a, b: a is b, ast.IsNot: lambda a, b: a is not b,
        }
        try:
            ok = ops[type(op)](left, right)
        except Exception as exc:
            raise python_error(exc, "comparison")
        if not ok:
            return False
        left = right
    return True


def _eval_ifexp(node, scope, ctx):
    test = evaluate(node.test, scope, ctx)
    _constant_args([test], "conditional expression")
    return evaluate(node.body if test else node.orelse, scope, ctx)


def _eval_elements(elts, scope, ctx):
    out = []
    for elt in elts:
        if isinstance(elt, ast.Starred):
            value = evaluate(elt.value, scope, ctx)
            _constant_args([value], "*unpacking")
            check_order_free([value], "*unpacking")
            try:
                out.extend(value)
            except Exception as exc:
                raise python_error(exc, "*unpacking")
        else:
            out.append(evaluate(elt, scope, ctx))
    return check_size(out)


def _eval_tuple(node, scope, ctx):
    return tuple(_eval_elements(node.elts, scope, ctx))


def _eval_list(node, scope, ctx):
    return _eval_elements(node.elts, scope, ctx)


def _eval_set(node, scope, ctx):
    values = _constant_args(_eval_elements(node.elts, scope, ctx), "set display")
    try:
        return set(values)
    except Exception as exc:
        raise python_error(exc, "set display")


def _eval_dict(node, scope, ctx):
    out = {}
    for key_node, value_node in zip(node.keys, node.values):
        if key_node is None:
            value = evaluate(value_node, scope, ctx)
            if not isinstance(value, dict):
                raise Inexact("**unpacking of %s" % describe(value), OutcomeKind.UNSUPPORTED)
            out.update(value)
            continue
        key = evaluate(key_node, scope, ctx)
        _constant_args([key], "dict key")
        try:
            out[key] = evaluate(value_node, scope, ctx)
        except TypeError as exc:
            raise python_error(exc, "dict display")
    return check_size(out)


def _eval_subscript(node, scope, ctx):
    value = evaluate(node.value, scope, ctx)
    index = evaluate(node.slice, scope, ctx)
    if isinstance(value, ParamSpec) and value.kind == "Config":
        return ConfigExpr(value, [index])
    if isinstance(value, ConfigExpr):
        return ConfigExpr(value.spec, value.path + [index])
    _constant_args([value, index], "subscript")
    try:
        return value[index]
    except Exception as exc:
        raise python_error(exc, "subscript")


def _eval_slice(node, scope, ctx):
    parts = [None if n is None else evaluate(n, scope, ctx) for n in (node.lower, node.upper, node.step)]
    _constant_args(parts, "slice")
    return slice(*parts)


def _eval_index(node, scope, ctx):  # Python 3.8 compatibility node
    return evaluate(node.value, scope, ctx)


def _eval_lambda(node, scope, ctx):
    nested = isinstance(scope, LocalScope)
    return FunctionRef(node, scope.module, nested, scope)


def _eval_comprehension(node, scope, ctx):
    if len(node.generators) != 1:
        raise Inexact("comprehension with several `for` clauses", OutcomeKind.UNSUPPORTED)
    gen = node.generators[0]
    if gen.is_async or not isinstance(gen.target, (ast.Name, ast.Tuple)):
        raise Inexact("comprehension target is not supported", OutcomeKind.UNSUPPORTED)
    iterable = evaluate(gen.iter, scope, ctx)  # evaluated in the enclosing scope
    _constant_args([iterable], "comprehension")
    if not isinstance(node, ast.SetComp):
        check_order_free([iterable], "comprehension")
    try:
        items = list(iterable)
    except Exception as exc:
        raise python_error(exc, "comprehension")
    if len(items) > 10_000:
        raise Inexact("comprehension is too long to evaluate statically", OutcomeKind.LIMIT)
    parent = scope.function_parent()
    results = []
    for item in items:
        values = {}
        if isinstance(gen.target, ast.Name):
            values[gen.target.id] = item
        else:
            names = gen.target.elts
            if not all(isinstance(n, ast.Name) for n in names):
                raise Inexact("comprehension target is not supported", OutcomeKind.UNSUPPORTED)
            try:
                unpacked = list(item)
            except Exception as exc:
                raise python_error(exc, "comprehension")
            if len(unpacked) != len(names):
                raise Inexact("comprehension unpacking fails (ValueError)", OutcomeKind.PYTHON_ERROR)
            for n, v in zip(names, unpacked):
                values[n.id] = v
        local = LocalScope(values, parent)
        keep = True
        for cond in gen.ifs:
            test = evaluate(cond, local, ctx)
            _constant_args([test], "comprehension condition")
            if not test:
                keep = False
                break
        if not keep:
            continue
        if isinstance(node, ast.DictComp):
            results.append((evaluate(node.key, local, ctx), evaluate(node.value, local, ctx)))
        else:
            results.append(evaluate(node.elt, local, ctx))
    try:
        if isinstance(node, ast.ListComp):
            return check_size(results)
        if isinstance(node, ast.SetComp):
            return check_size(set(_constant_args(results, "set comprehension")))
        if isinstance(node, ast.DictComp):
            return check_size(dict(results))
    except TypeError as exc:
        raise python_error(exc, "comprehension")
    raise Inexact("generator expressions are not evaluated statically", OutcomeKind.UNSUPPORTED)


def _eval_call(node, scope, ctx):
    func = evaluate(node.func, scope, ctx)
    if isinstance(func, MetaflowRef):
        if func.name in PARAM_SIGNATURES:
            return ParamSpec(func.name, node, scope, scope.module)
        if func.name in METAFLOW_FLOW_DECORATORS or func.name in METAFLOW_STEP_DECORATORS:
            return DecoratorCall(func.name, node, scope)
        raise Inexact("call to metaflow.%s is not evaluated statically" % func.name, OutcomeKind.UNSUPPORTED)
    args = []
    for arg in node.args:
        if isinstance(arg, ast.Starred):
            value = evaluate(arg.value, scope, ctx)
            _constant_args([value], "*args")
            check_order_free([value], "*args")
            args.extend(value)
        else:
            args.append(evaluate(arg, scope, ctx))
    kwargs = {}
    for kw in node.keywords:
        value = evaluate(kw.value, scope, ctx)
        if kw.arg is None:
            if not isinstance(value, dict):
                raise Inexact("**kwargs of %s" % describe(value), OutcomeKind.UNSUPPORTED)
            kwargs.update(value)
        else:
            kwargs[kw.arg] = value
    return call_value(func, args, kwargs, scope, ctx)


def check_order_free(values, what):
    """Python's own iteration order of a set of strings changes with PYTHONHASHSEED (which the
    static compiler's isolated interpreter does not take), so what is built from it is not known."""
    for value in values:
        if hash_order_dependent(value):
            raise Inexact("%s iterates a set of strings (or other per-run hashed values), whose "
                          "order depends on PYTHONHASHSEED" % what, OutcomeKind.ENVIRONMENT)


def check_codec(encoding, errors, length):
    """str.encode/bytes.decode/str(b, enc)/bytes(s, enc): allow-listed codecs and error handlers."""
    if isinstance(encoding, str):
        # Python's lookup: lower case, non-alphanumerics to "_", then the alias table.
        norm = encodings.normalize_encoding(encoding).lower()
        aliases = encodings.aliases.aliases
        if aliases.get(norm, aliases.get(norm.replace(".", "_"), norm)) not in SAFE_CODECS:
            raise Inexact("codec %r is not evaluated statically (UTF-8/16/32, ASCII and "
                          "Latin-1 ones are)" % encoding[:40], OutcomeKind.UNSUPPORTED)
    if isinstance(errors, str):
        if errors not in SAFE_CODEC_ERRORS:
            raise Inexact("error handler %r is not evaluated statically" % errors[:40], OutcomeKind.UNSUPPORTED)
        if length * SAFE_CODEC_ERRORS[errors] > 4 * MAX_SEQ_LEN:
            raise Inexact("error handler %r could make the result too large" % errors, OutcomeKind.LIMIT)


def check_search(text, needle, what):
    if isinstance(text, (str, bytes)) and isinstance(needle, (str, bytes)):
        if len(text) * len(needle) > MAX_SEARCH_WORK:
            raise Inexact("%s of a %d-character string in a %d-character one is too expensive "
                          "to evaluate statically" % (what, len(needle), len(text)), OutcomeKind.LIMIT)


def check_builtin_call(name, args, kwargs):
    """Bounds of SAFE_BUILTINS calls whose cost is not linear in their arguments' weight."""
    if name in ("sorted", "min", "max") and "key" in kwargs:
        raise Inexact("%s() with key=" % name, OutcomeKind.UNSUPPORTED)
    first = args[0] if args else None
    if name == "bytes" and isinstance(first, int) and first > MAX_SEQ_LEN:
        raise Inexact("bytes() is too large", OutcomeKind.LIMIT)
    if name == "range":
        try:
            if len(range(*args)) > MAX_SEQ_LEN:
                raise Inexact("range() is too large", OutcomeKind.LIMIT)
        except (TypeError, ValueError, OverflowError) as exc:
            raise python_error(exc, "range()")
    if name in ("int", "float", "complex") and isinstance(first, (str, bytes)) and len(first) > MAX_INT_DIGITS:
        # int(): quadratic before Python 3.11 (and refused after 4300 digits since).
        raise Inexact("%s() of a string of more than %d characters" % (name, MAX_INT_DIGITS), OutcomeKind.LIMIT)
    if name in ("str", "bytes") and (len(args) > 1 or kwargs) and isinstance(first, (str, bytes)):
        check_codec(args[1] if len(args) > 1 else kwargs.get("encoding"),
                    args[2] if len(args) > 2 else kwargs.get("errors"), len(first))
    if name == "sorted" and first is not None:
        try:
            count = len(first)
        except TypeError:
            count = 0
        if count > MAX_SORT_ITEMS:
            raise Inexact("sorted() of more than %d items" % MAX_SORT_ITEMS, OutcomeKind.LIMIT)
    if name == "format" and len(args) > 1 and isinstance(args[1], str):
        check_format_spec(args[1])
    if name == "round" and len(args) > 1 and isinstance(args[1], int) and abs(args[1]) > 1000:
        raise Inexact("round() precision is too large", OutcomeKind.LIMIT)
    if name == "sum" and not all(isinstance(v, (int, float, complex))
                                 for v in list(first if first is not None else []) + list(args[1:2])):
        raise Inexact("sum() of non-numbers is not evaluated statically", OutcomeKind.UNSUPPORTED)
    if name in ("str", "repr", "format", "list", "tuple", "dict"):
        check_order_free(args, "%s()" % name)


def check_method_call(obj, name, args, kwargs):
    """Bounds of SAFE_METHODS calls whose cost or result is not linear in their arguments."""
    if name == "format" and isinstance(obj, str):
        check_order_free(args + list(kwargs.values()), "str.format()")
        check_format_template(obj, args + list(kwargs.values()))
    if name == "join" and args:
        check_order_free(args[:1], "join()")
        try:
            count = len(args[0])
        except TypeError as exc:
            raise python_error(exc, "join()")
        if len(obj) * count > MAX_SEQ_LEN:
            raise Inexact("join() result is too large", OutcomeKind.LIMIT)
    if name == "replace" and len(args) > 1 and isinstance(args[1], (str, bytes)):
        if (len(obj) + 1) * max(1, len(args[1])) > MAX_SEQ_LEN:
            raise Inexact("replace() result may be too large", OutcomeKind.LIMIT)
    if name in ("center", "ljust", "rjust", "zfill") and args and isinstance(args[0], int) and args[0] > MAX_FORMAT_WIDTH:
        raise Inexact("str.%s width is too large" % name, OutcomeKind.LIMIT)
    if name in SEARCH_METHODS:
        needle = args[0] if args else kwargs.get("sep", kwargs.get("chars"))
        check_search(obj, needle, "%s()" % name)
    if name in ("encode", "decode"):
        check_codec(args[0] if args else kwargs.get("encoding"),
                    args[1] if len(args) > 1 else kwargs.get("errors"), len(obj))


def call_value(func, args, kwargs, scope, ctx):
    what = describe(func)
    if isinstance(func, BuiltinRef) and func.name in SAFE_BUILTINS:
        _constant_args(args + list(kwargs.values()), what)
        check_builtin_call(func.name, args, kwargs)
        try:
            result = SAFE_BUILTINS[func.name](*args, **kwargs)
        except Exception as exc:
            raise python_error(exc, "%s()" % func.name)
        if func.name in ("reversed",):
            result = list(result)
        BUDGET.check()  # a call can take long next to a step: look at the clock now
        return check_size(result)
    if isinstance(func, BoundMethod):
        _constant_args(args + list(kwargs.values()), what)
        obj, name = func.obj, func.name
        check_method_call(obj, name, args, kwargs)
        try:
            result = getattr(obj, name)(*args, **kwargs)
        except Exception as exc:
            raise python_error(exc, "%s.%s()" % (type(obj).__name__, name))
        if isinstance(result, (type({}.keys()), type({}.values()), type({}.items()))):
            result = list(result)
        BUDGET.check()
        return check_size(result)
    if isinstance(func, ExternalRef) and func.dotted in EXTERNAL_FUNCTIONS:
        return call_external(func.dotted, args, kwargs, scope, ctx)
    if isinstance(func, ExternalRef) and func.dotted in ("os.environ.get", "os.getenv"):
        raise Inexact("value depends on an environment variable (%s)" % func.dotted, OutcomeKind.ENVIRONMENT)
    if isinstance(func, FunctionRef):
        try:
            return call_function(func, args, kwargs, scope, ctx)
        except Inexact as exc:
            raise Inexact("call to %s: %s" % (what, exc.reason), exc.kind)
    raise Inexact("call to %s is not evaluated statically" % what, OutcomeKind.UNSUPPORTED)


def call_external(dotted, args, kwargs, scope, ctx):
    _constant_args(args + list(kwargs.values()), dotted)
    if dotted == "os.getcwd":
        # The real compiler runs with cwd = the flow's directory.
        ctx.tainted = True
        return scope.module.loader.current_flow_dir
    if dotted in ("json.dumps", "json.loads"):
        allowed = {"indent", "sort_keys", "separators", "ensure_ascii"} if dotted == "json.dumps" else set()
        if set(kwargs) - allowed:
            raise Inexact("%s() with unsupported keyword arguments" % dotted, OutcomeKind.UNSUPPORTED)
        indent = kwargs.get("indent")
        if (isinstance(indent, int) and indent > 100) or (isinstance(indent, str) and len(indent) > 100):
            raise Inexact("json.dumps() indent is too large", OutcomeKind.LIMIT)
        separators = kwargs.get("separators")
        if separators is not None and weight(separators) > 200:
            raise Inexact("json.dumps() separators are too large", OutcomeKind.LIMIT)
        if dotted == "json.dumps" and args:
            check_json_output(args[0], indent, separators)
        if dotted == "json.loads" and args and isinstance(args[0], (str, bytes)):
            digits = re.search(rb"[0-9]{%d}" % (MAX_INT_DIGITS + 1) if isinstance(args[0], bytes)
                               else r"[0-9]{%d}" % (MAX_INT_DIGITS + 1), args[0])
            if digits:
                raise Inexact("json.loads() of a number of more than %d digits" % MAX_INT_DIGITS, OutcomeKind.LIMIT)
        fn = json.dumps if dotted == "json.dumps" else json.loads
    else:
        if kwargs:
            raise Inexact("%s() with keyword arguments" % dotted, OutcomeKind.UNSUPPORTED)
        if not all(isinstance(a, str) for a in args):
            raise Inexact("%s() with non-string arguments" % dotted, OutcomeKind.UNSUPPORTED)
        if dotted in ("os.path.abspath", "os.path.realpath"):
            ctx.tainted = True
            base = scope.module.loader.current_flow_dir

            def fn(p):
                return os.path.normpath(os.path.join(base, p))
        else:
            fn = {"os.path.join": os.path.join, "os.path.dirname": os.path.dirname,
                  "os.path.basename": os.path.basename, "os.path.normpath": os.path.normpath}[dotted]
    try:
        result = fn(*args, **kwargs)
    except Exception as exc:
        raise python_error(exc, "%s()" % dotted)
    BUDGET.check()
    return check_size(result)


def check_json_output(value, indent, separators):
    """json.dumps output is about the value's weight, times \\uXXXX escapes (up to 12
    characters for one), separators and indentation (once per nesting level on each line)."""
    size = weight(value)
    depth, stack = 0, [(value, 1)]
    while stack:
        v, level = stack.pop()
        if isinstance(v, (list, tuple, dict)):
            depth = max(depth, level)
            stack.extend((item, level + 1) for item in (v.values() if isinstance(v, dict) else v))
    per_item = 12
    if separators is not None:
        per_item += sum(len(s) for s in separators if isinstance(s, str))
    if isinstance(indent, int):
        per_item += max(indent, 0) * depth
    elif isinstance(indent, str):
        per_item += len(indent) * depth
    if size * per_item > 4 * MAX_SEQ_LEN:
        raise Inexact("json.dumps() output would be too large to evaluate statically", OutcomeKind.LIMIT)


_EVALUATORS = {
    ast.Constant: _eval_constant,
    ast.Name: _eval_name,
    ast.Attribute: _eval_attribute,
    ast.JoinedStr: _eval_joined_str,
    ast.BinOp: _eval_binop,
    ast.UnaryOp: _eval_unaryop,
    ast.BoolOp: _eval_boolop,
    ast.Compare: _eval_compare,
    ast.IfExp: _eval_ifexp,
    ast.Tuple: _eval_tuple,
    ast.List: _eval_list,
    ast.Set: _eval_set,
    ast.Dict: _eval_dict,
    ast.Subscript: _eval_subscript,
    ast.Slice: _eval_slice,
    ast.Lambda: _eval_lambda,
    ast.ListComp: _eval_comprehension,
    ast.SetComp: _eval_comprehension,
    ast.DictComp: _eval_comprehension,
    ast.GeneratorExp: _eval_comprehension,
    ast.Call: _eval_call,
}


if hasattr(ast, "Index"):  # Python < 3.9 wraps subscripts
    _EVALUATORS[ast.Index] = _eval_index


def position(scope):
    """(module, statement index) of the code being evaluated (index None: after import)."""
    while isinstance(scope, LocalScope):
        scope = scope.parent
    if isinstance(scope, ClassScope):
        scope = scope.info.outer_scope
        return position(scope)
    return scope.module, scope.before


def bind_arguments(func, args, kwargs, ctx):
    """Parameter name -> value for a call of `func`, like Python (no *args/**kwargs)."""
    a = func.node.args
    if a.vararg or a.kwarg:
        raise Inexact("%s takes *args/**kwargs" % func.describe(), OutcomeKind.UNSUPPORTED)
    positional = list(getattr(a, "posonlyargs", [])) + list(a.args)
    if len(args) > len(positional):
        raise Inexact("%s gets too many positional arguments (TypeError)" % func.describe(), OutcomeKind.PYTHON_ERROR)
    values = {}
    for param, value in zip(positional, args):
        values[param.arg] = value
    posonly = {p.arg for p in getattr(a, "posonlyargs", [])}
    allowed = {p.arg for p in positional} | {p.arg for p in a.kwonlyargs}
    for name, value in kwargs.items():
        if name in values or name not in allowed or name in posonly:
            raise Inexact("%s gets an unexpected or repeated argument %r (TypeError)" % (func.describe(), name), OutcomeKind.PYTHON_ERROR)
        values[name] = value
    # Defaults were evaluated where the function was defined.
    defaults = dict(zip([p.arg for p in positional][len(positional) - len(a.defaults):], a.defaults))
    defaults.update({p.arg: d for p, d in zip(a.kwonlyargs, a.kw_defaults) if d is not None})
    for param in positional + list(a.kwonlyargs):
        if param.arg not in values:
            if param.arg not in defaults:
                raise Inexact("%s misses argument %r (TypeError)" % (func.describe(), param.arg), OutcomeKind.PYTHON_ERROR)
            values[param.arg] = evaluate(defaults[param.arg], func.scope, ctx)
    return values


class _Return(Exception):
    def __init__(self, value):
        super().__init__()
        self.value = value


def call_function(func, args, kwargs, caller_scope, ctx):
    """Run a repository function whose body is straight-line code (assignments,
    if/else on constants, return).  Globals are seen as they are at the time of
    the call: a call during import sees only what is bound so far."""
    if not isinstance(func, FunctionRef):
        raise Inexact("call to %s is not evaluated statically" % describe(func), OutcomeKind.UNSUPPORTED)
    if func.nested:
        raise Inexact("%s is not a module-level function" % func.describe(), OutcomeKind.UNSUPPORTED)
    if ctx.depth > MAX_EVAL_DEPTH // 2:
        raise Inexact("calls nest too deeply (recursion?)", OutcomeKind.LIMIT)
    module, before = position(caller_scope)
    globals_scope = ModuleScope(func.module, before if module is func.module else None)
    values = bind_arguments(func, args, kwargs, ctx)
    node = func.node
    if isinstance(node, ast.Lambda):
        return evaluate(node.body, LocalScope(values, globals_scope), ctx)
    local_names = set(values)
    for stmt in node.body:
        local_names.update(bound_names(stmt))
    scope = FunctionScope(values, local_names, globals_scope)
    try:
        run_statements(node.body, scope, ctx)
    except _Return as result:
        return result.value
    return None


def run_statements(body, scope, ctx):
    for index, stmt in enumerate(body):
        ctx.tick()
        if isinstance(stmt, ast.Return):
            raise _Return(None if stmt.value is None else evaluate(stmt.value, scope, ctx))
        if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant):
            continue  # docstring or bare constant
        if isinstance(stmt, ast.Pass):
            continue
        if isinstance(stmt, ast.Assign) and all(isinstance(t, ast.Name) for t in stmt.targets):
            value = evaluate(stmt.value, scope, ctx)
            for target in stmt.targets:
                scope.values[target.id] = value
        elif isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
            if stmt.value is not None:
                scope.values[stmt.target.id] = evaluate(stmt.value, scope, ctx)
        elif isinstance(stmt, ast.AugAssign) and isinstance(stmt.target, ast.Name):
            left = scope.lookup(stmt.target.id, ctx)
            scope.values[stmt.target.id] = binop(stmt.op, left, evaluate(stmt.value, scope, ctx), ctx)
        elif isinstance(stmt, ast.If):
            test = evaluate(stmt.test, scope, ctx)
            _constant_args([test], "if condition")
            run_statements(stmt.body if test else stmt.orelse, scope, ctx)
        elif isinstance(stmt, (ast.Import, ast.ImportFrom)):
            run_import(stmt, scope, ctx)
        else:
            raise Inexact("function body uses a %s statement (line %d), not evaluated statically"
                          % (type(stmt).__name__.lower(), stmt.lineno), OutcomeKind.UNSUPPORTED)


def run_import(stmt, scope, ctx):
    """An import statement inside a function binds local names."""
    module = scope.module
    loader = module.loader
    for alias in stmt.names:
        if isinstance(stmt, ast.Import):
            if alias.asname:
                value = loader.import_module(alias.name, module)
            else:
                loader.import_module(alias.name, module)
                value = loader.import_module(alias.name.split(".")[0], module)
            scope.values[alias.asname or alias.name.split(".")[0]] = value
        elif alias.name == "*":
            raise Inexact("`import *` inside a function", OutcomeKind.UNSUPPORTED)
        else:
            base = loader.import_module(stmt.module or "", module, stmt.level)
            scope.values[alias.asname or alias.name] = getattr_value(base, alias.name, ctx)


def call_deploy_time_function(func, flow_name, param_name):
    """Evaluate a deploy-time function the way DeployTimeField.__call__ does:
    fun(ctx, True), falling back to fun(ctx) on TypeError.  It runs after the
    flow module was imported, so it sees the final globals."""
    if not isinstance(func, FunctionRef):
        raise Inexact("default of %r is %s, evaluated at deploy time" % (param_name, describe(func)), OutcomeKind.DEPLOY_TIME)
    label = "a lambda" if isinstance(func.node, ast.Lambda) else "%s" % func.describe()
    why = "default of %r is %s evaluated at deploy time" % (param_name, label)
    a = func.node.args
    positional = list(getattr(a, "posonlyargs", [])) + list(a.args)
    required = len(positional) - len(a.defaults)
    ctx_value = CtxRef(flow_name, param_name)
    # fun(ctx, True) works if it takes a second positional argument.
    if a.vararg or len(positional) >= 2:
        args = [ctx_value, True]
    elif required <= 1 and positional:
        args = [ctx_value]
    else:
        raise Inexact(why + " (it cannot be called with the context: TypeError)", OutcomeKind.PYTHON_ERROR)
    ctx = EvalCtx()
    try:
        value = call_function(func, args, {}, ModuleScope(func.module, None), ctx)
    except Inexact as exc:
        raise Inexact(why + " (%s)" % exc.reason, exc.kind)
    if not is_constant(value):
        raise Inexact(why + " (returns %s)" % describe(value), OutcomeKind.DEPLOY_TIME)
    if ctx.tainted:
        raise Inexact(why + " (depends on the machine's file paths)", OutcomeKind.ENVIRONMENT)
    return value


# -- Config parsers (ConfigInput._call_parser): run on the default's text ------------------------

class ParserRaised(Exception):
    """A Config parser raised a builtin exception: `line` is the traceback's last line
    ("ValueError: message"), as Python prints it."""

    def __init__(self, line):
        super().__init__(line)
        self.line = line


# Builtin exceptions whose str() is their one str argument (KeyError's is its repr: not listed).
PARSER_EXCEPTIONS = ("Exception", "ValueError", "TypeError", "RuntimeError", "NotImplementedError",
                     "AssertionError", "LookupError", "ArithmeticError")
MAX_PARSER_ITERATIONS = 100_000


class _Break(Exception):
    pass


class _Continue(Exception):
    pass


def call_config_parser(func, text):
    """parser(text) as ConfigInput._call_parser calls it while compiling. The function's body may use
    what run_statements runs plus `for` loops over constants (with break/continue), tuple unpacking,
    item assignment into a dict/list the function itself built, and `raise Builtin("message")`
    (ParserRaised). Anything else raises Inexact: the parser is never executed."""
    if not isinstance(func, FunctionRef) or func.nested:
        raise Inexact("the parser is %s, not a module-level function" % describe(func), OutcomeKind.UNSUPPORTED)
    ctx = EvalCtx()
    if isinstance(func.node, ast.Lambda):
        value = call_function(func, [text], {}, ModuleScope(func.module, None), ctx)
        if ctx.tainted:
            raise Inexact("the parser depends on the machine's file paths", OutcomeKind.ENVIRONMENT)
        return value
    values = bind_arguments(func, [text], {}, ctx)
    local_names = set(values)
    for stmt in func.node.body:
        local_names.update(bound_names(stmt))
    scope = FunctionScope(values, local_names, ModuleScope(func.module, None))
    fresh = set()  # ids of the containers this call built (only those are assigned into)
    try:
        _run_parser_body(func.node.body, scope, ctx, fresh, loop=False)
    except _Return as result:
        value = result.value
    else:
        value = None
    if ctx.tainted:
        raise Inexact("the parser depends on the machine's file paths", OutcomeKind.ENVIRONMENT)
    return value


def _run_parser_body(body, scope, ctx, fresh, loop):
    for stmt in body:
        ctx.tick()
        if isinstance(stmt, ast.If):
            test = evaluate(stmt.test, scope, ctx)
            _constant_args([test], "if condition")
            _run_parser_body(stmt.body if test else stmt.orelse, scope, ctx, fresh, loop)
        elif isinstance(stmt, ast.For) and not stmt.orelse:
            iterable = evaluate(stmt.iter, scope, ctx)
            _constant_args([iterable], "for loop")
            check_order_free([iterable], "for loop")
            try:
                items = list(iterable)
            except Exception as exc:
                raise python_error(exc, "for loop")
            if len(items) > MAX_PARSER_ITERATIONS:
                raise Inexact("a for loop is too long to evaluate statically", OutcomeKind.LIMIT)
            for item in items:
                _bind_target(stmt.target, item, scope)
                try:
                    _run_parser_body(stmt.body, scope, ctx, fresh, loop=True)
                except _Continue:
                    continue
                except _Break:
                    break
        elif isinstance(stmt, ast.Continue) and loop:
            raise _Continue()
        elif isinstance(stmt, ast.Break) and loop:
            raise _Break()
        elif isinstance(stmt, ast.Raise):
            raise ParserRaised(_raised_line(stmt, scope, ctx))
        elif isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Tuple):
            _bind_target(stmt.targets[0], evaluate(stmt.value, scope, ctx), scope)
        elif isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Subscript):
            target = stmt.targets[0]
            container = evaluate(target.value, scope, ctx)
            if id(container) not in fresh or not isinstance(container, (dict, list)):
                raise Inexact("the parser assigns into a container it did not build (line %d)" % stmt.lineno,
                              OutcomeKind.UNSUPPORTED)
            key = evaluate(target.slice, scope, ctx)
            value = evaluate(stmt.value, scope, ctx)
            _constant_args([key, value], "item assignment")
            try:
                container[key] = value
            except Exception as exc:
                raise python_error(exc, "item assignment")
        else:
            run_statements([stmt], scope, ctx)
            if isinstance(stmt, ast.Assign) and isinstance(stmt.value, (ast.Dict, ast.List, ast.DictComp, ast.ListComp)):
                fresh.add(id(scope.values[stmt.targets[0].id]))


def _bind_target(target, value, scope):
    if isinstance(target, ast.Name):
        scope.values[target.id] = value
        return
    if not isinstance(target, ast.Tuple) or not all(isinstance(n, ast.Name) for n in target.elts):
        raise Inexact("an assignment target is not supported", OutcomeKind.UNSUPPORTED)
    _constant_args([value], "unpacking")
    try:
        items = list(value)
    except Exception as exc:
        raise python_error(exc, "unpacking")
    if len(items) != len(target.elts):
        raise Inexact("unpacking %d values into %d names (ValueError)" % (len(items), len(target.elts)),
                      OutcomeKind.PYTHON_ERROR)
    for name, item in zip(target.elts, items):
        scope.values[name.id] = item


def _raised_line(stmt, scope, ctx):
    """`raise ValueError("text")` as the traceback's last line; anything else is not reproduced."""
    exc = stmt.exc
    if stmt.cause is not None or not isinstance(exc, ast.Call) or exc.keywords or len(exc.args) > 1:
        raise Inexact("the parser raises an exception that is not reproduced (line %d)" % stmt.lineno,
                      OutcomeKind.NOT_REPRODUCED)
    cls = evaluate(exc.func, scope, ctx)
    if not isinstance(cls, BuiltinRef) or cls.name not in PARSER_EXCEPTIONS:
        raise Inexact("the parser raises %s, not reproduced (line %d)" % (describe(cls), stmt.lineno),
                      OutcomeKind.NOT_REPRODUCED)
    if not exc.args:
        return cls.name
    message = evaluate(exc.args[0], scope, ctx)
    if not isinstance(message, str):
        raise Inexact("the parser raises %s with a non-string message (line %d)" % (cls.name, stmt.lineno),
                      OutcomeKind.NOT_REPRODUCED)
    return "%s: %s" % (cls.name, message) if message else cls.name


# The cycle with loader.py: imported last, so that either module can be imported first.
from .loader import (
    ClassScope,
    FunctionScope,
    LocalScope,
    ModuleScope,
    NamespacePackage,
    bound_names,
    submodule_of,
)


# -- user-defined step decorators --------------------------------------------------------------------
def transparent_step_decorator(node, scope):
    """Whether a step decorator that is not Metaflow's provably changes nothing `dagster create`
    sees: None when it cannot change the parameters, the graph or the decorators metaflow holds
    (and, measured with the real compiler, appears in neither STEP_WITH_DECORATORS nor
    STEP_DECORATOR_SPECS), else the reason it may. Provable shapes, read from the repository:
      * a function of one argument returning it, or returning a wrapper made with
        functools.wraps(it) (wraps copies the step's attributes, is_step and decorators included);
      * a factory called with arguments the evaluator can read, whose body only defines such a
        function and returns it;
      * a generator function decorated with metaflow's @user_step_decorator (it only wraps the
        step's execution), used bare or with keyword arguments the evaluator can read."""
    ctx = EvalCtx()
    call = node if isinstance(node, ast.Call) else None
    try:
        target = evaluate(call.func if call is not None else node, scope, ctx)
        if call is not None:
            for arg in list(call.args) + [kw.value for kw in call.keywords]:
                if isinstance(arg, ast.Starred):
                    return "its arguments are unpacked"
                evaluate(arg, scope, ctx)
    except Inexact as exc:
        return "it is not read statically (%s)" % exc.reason
    if isinstance(target, ClassRef):
        return _user_step_class_reason(target.info, call)
    fn = getattr(target, "node", None)
    if isinstance(target, DecoratedFunction) and isinstance(fn, ast.FunctionDef):
        return _user_step_decorator_reason(fn, target.module, call)
    if not (isinstance(target, FunctionRef) and isinstance(fn, ast.FunctionDef)) or target.nested:
        return "it is %s, not a function defined at module level" % describe(target)
    if call is None:
        return _wrapper_reason(fn, target.scope, ())
    # A factory: def factory(...): def deco(f): ...; return deco
    body = _without_docstring(fn.body)
    if len(body) != 2 or not isinstance(body[0], ast.FunctionDef) or not isinstance(body[1], ast.Return) \
            or not _is_name(body[1].value, body[0].name):
        return "%s() does more than define a decorator and return it" % fn.name
    if call.keywords and any(kw.arg is None for kw in call.keywords):
        return "its arguments are unpacked"
    locals_ = tuple(_arg_names(fn)) + (body[0].name,)
    return _wrapper_reason(body[0], target.scope, locals_)


def _without_docstring(body):
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
            and isinstance(body[0].value.value, str):
        return body[1:]
    return body


def _is_name(node, name):
    return isinstance(node, ast.Name) and node.id == name


def _arg_names(fn):
    args = fn.args
    return [a.arg for a in getattr(args, "posonlyargs", []) + args.args + args.kwonlyargs] + \
        [a.arg for a in (args.vararg, args.kwarg) if a is not None]


def _wrapper_reason(fn, scope, outer_locals):
    """A decorator function `fn`: returns its one argument, or a functools.wraps wrapper of it."""
    args = fn.args
    if fn.decorator_list or len(args.args) + len(getattr(args, "posonlyargs", [])) != 1 or args.vararg \
            or args.kwarg or args.kwonlyargs or args.defaults:
        return "%s() is not a function of the step function alone" % fn.name
    param = (getattr(args, "posonlyargs", []) + args.args)[0].arg
    body = _without_docstring(fn.body)
    if len(body) == 1 and isinstance(body[0], ast.Return) and _is_name(body[0].value, param):
        return None
    if len(body) == 2 and isinstance(body[0], ast.FunctionDef) and isinstance(body[1], ast.Return) \
            and _is_name(body[1].value, body[0].name):
        wrapper = body[0]
        shadowed = set(outer_locals) | {param, wrapper.name}
        decos = wrapper.decorator_list
        if len(decos) == 1 and isinstance(decos[0], ast.Call) and len(decos[0].args) == 1 \
                and not decos[0].keywords and _is_name(decos[0].args[0], param):
            func = decos[0].func
            head = func
            while isinstance(head, ast.Attribute):
                head = head.value
            if not (isinstance(head, ast.Name) and head.id in shadowed):
                try:
                    wraps = evaluate(func, scope, EvalCtx())
                except Inexact:
                    wraps = None
                if isinstance(wraps, ExternalRef) and wraps.dotted == "functools.wraps":
                    return None
        return "%s() returns a wrapper not made with functools.wraps(%s): metaflow may no longer see " \
               "the step's attributes" % (fn.name, param)
    return "%s() does more than return the step function or a functools.wraps wrapper" % fn.name


def _user_step_decorator_reason(fn, module, call):
    """@user_step_decorator on a generator function (metaflow/user_decorators/user_step_decorator.py:
    a generator of 3 or 4 arguments; with arguments of its own, keyword arguments and 4)."""
    if len(fn.decorator_list) != 1:
        return "%s has other decorators than @user_step_decorator" % fn.name
    scope_module = ModuleScope(module, None)
    try:
        deco = evaluate(fn.decorator_list[0], scope_module, EvalCtx())
    except Inexact as exc:
        return "its decorator is not read statically (%s)" % exc.reason
    if not (isinstance(deco, MetaflowRef) and deco.name == "user_step_decorator"):
        return "%s is decorated with %s, not metaflow's @user_step_decorator" % (fn.name, describe(deco))
    args = fn.args
    count = len(getattr(args, "posonlyargs", [])) + len(args.args)
    if args.vararg or args.kwarg or args.kwonlyargs or count not in (3, 4) or not _is_generator(fn):
        return "%s is not a generator function of 3 or 4 arguments (@user_step_decorator fails)" % fn.name
    if call is not None and (call.args or (call.keywords and count != 4)):
        return "@%s gets arguments it does not accept (metaflow fails)" % fn.name
    return None


def _is_generator(fn):
    todo = list(fn.body)
    while todo:
        node = todo.pop()
        if isinstance(node, (ast.Yield, ast.YieldFrom)):
            return True
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
            continue
        todo.extend(ast.iter_child_nodes(node))
    return False


# -- UserStepDecorator subclasses ---------------------------------------------------------------------
def _user_step_class_reason(info, call):
    """A class deriving directly from metaflow's UserStepDecorator (metaflow 2.19,
    metaflow/user_decorators/user_step_decorator.py): at `dagster create` only its `init` runs
    (external_init, with the decorator's keyword arguments); `pre_step` and `post_step` run in the
    task. It is harmless when its body holds only those hooks and `init` only stores what it is
    given on self. A StepMutator (whose `mutate` edits the step) or any other shape is not."""
    node = info.node
    if node.decorator_list or node.keywords or len(node.bases) != 1:
        return "class %s is not a plain subclass of UserStepDecorator" % info.name
    try:
        base = evaluate(node.bases[0], info.outer_scope, EvalCtx())
    except Inexact as exc:
        return "the base of class %s is not read statically (%s)" % (info.name, exc.reason)
    if not (isinstance(base, MetaflowRef) and base.name == "UserStepDecorator"):
        return "class %s derives from %s, not metaflow's UserStepDecorator (a StepMutator may change " \
               "the step)" % (info.name, describe(base))
    methods = {}
    for stmt in _without_docstring(node.body):
        if not isinstance(stmt, ast.FunctionDef) or stmt.name not in USER_STEP_DECORATOR_HOOKS \
                or stmt.decorator_list or stmt.name in methods:
            return "class %s defines more than the hooks %s" % (info.name, ", ".join(USER_STEP_DECORATOR_HOOKS))
        methods[stmt.name] = stmt
    if call is not None and call.args:
        return "@%s gets positional arguments (UserStepDecorator does not allow them: metaflow fails)" % info.name
    if call is not None and any(kw.arg is None for kw in call.keywords):
        return "its arguments are unpacked"
    init = methods.get("init")
    if init is None:
        if call is not None and call.keywords:
            return "@%s gets arguments but %s does not implement init (metaflow fails)" % (info.name, info.name)
        return None
    return _harmless_init_reason(info.name, init, [kw.arg for kw in call.keywords] if call is not None else [])


def _harmless_init_reason(cls, fn, keywords):
    """init(self, ...) binding the given keywords, whose statements only assign attributes of self
    from its arguments, constants and `.get(...)` of its **kwargs."""
    args = fn.args
    positional = getattr(args, "posonlyargs", []) + args.args
    if not positional or getattr(args, "posonlyargs", []):
        return "%s.init does not take self first" % cls
    named = [a.arg for a in positional[1:]] + [a.arg for a in args.kwonlyargs]
    required = [a.arg for a in positional[1:len(positional) - len(args.defaults)]] + \
        [a.arg for a, d in zip(args.kwonlyargs, args.kw_defaults) if d is None]
    if any(k not in named and args.kwarg is None for k in keywords) or any(r not in keywords for r in required):
        return "@%s's arguments do not bind to %s.init (metaflow fails)" % (cls, cls)
    self_name = positional[0].arg
    params = set(_arg_names(fn)) - {self_name}
    kwarg = args.kwarg.arg if args.kwarg is not None else None
    for stmt in _without_docstring(fn.body):
        if isinstance(stmt, ast.Pass):
            continue
        if not (isinstance(stmt, ast.Assign) and len(stmt.targets) == 1
                and isinstance(stmt.targets[0], ast.Attribute) and _is_name(stmt.targets[0].value, self_name)
                and _plain_expression(stmt.value, params, kwarg)):
            return "%s.init does more than store its arguments on self (line %d)" % (cls, stmt.lineno)
    return None


def _plain_expression(node, params, kwarg):
    """Constants, the init's own arguments, and kwargs.get(KEY[, DEFAULT]) of them: cannot raise."""
    todo = [node]
    while todo:
        item = todo.pop()
        if isinstance(item, ast.Constant) or (isinstance(item, ast.Name) and item.id in params):
            continue
        if isinstance(item, (ast.Tuple, ast.List)) and isinstance(getattr(item, "ctx", None), ast.Load):
            todo.extend(item.elts)
            continue
        if isinstance(item, ast.Call) and isinstance(item.func, ast.Attribute) and item.func.attr == "get" \
                and kwarg is not None and _is_name(item.func.value, kwarg) and not item.keywords \
                and 1 <= len(item.args) <= 2 and isinstance(item.args[0], ast.Constant) \
                and isinstance(item.args[0].value, str):
            todo.extend(item.args[1:])
            continue
        return False
    return True


def transparent_below_step(node, scope):
    """A decorator placed below @step (applied to the bare function before @step marks it): None
    when it is a plain function decorator transparent_step_decorator proves harmless (it returns
    the function or a functools.wraps wrapper, on which @step then sets is_step; measured with the
    real compiler on __tests__/fixtures/differential/u03_plain_decorator.py: the same job as
    without it), else why not. A UserStepDecorator or @user_step_decorator there needs a step
    ("can only be applied to a step function"), a Metaflow decorator raises
    BadStepDecoratorException: neither is modelled below @step."""
    try:
        target = evaluate(node.func if isinstance(node, ast.Call) else node, scope, EvalCtx())
    except Inexact as exc:
        return "it is not read statically (%s)" % exc.reason
    if not isinstance(target, FunctionRef):
        return "it is %s, not a plain function decorator" % describe(target)
    return transparent_step_decorator(node, scope)



# -- a repository-root metaflow extension (loader.Extension) -----------------------------------------
class ExtensionStepDecorator(Opaque):
    """A step decorator the repository's metaflow_extensions package adds (`from metaflow import
    NAME`): its class's `defaults` when they were read, else why not."""

    def __init__(self, name, defaults, why):
        self.name = name
        self.defaults = defaults
        self.why = why

    def describe(self):
        return "metaflow.%s (from the repository's metaflow_extensions)" % self.name


def extension_value(extension, attr, ctx):
    """metaflow.ATTR for a name the extension adds: its toplevel module's value, or its step decorator."""
    if attr in extension.step_decorators:
        defaults, why = extension.step_decorators[attr]
        return ExtensionStepDecorator(attr, defaults, why)
    module, exact = extension.toplevel[attr]
    if not exact:
        raise Inexact("metaflow.%s is imported by the extension's toplevel module, which metaflow "
                      "exports only when it is not a module" % attr, OutcomeKind.UNSUPPORTED)
    return module_attribute(module, attr, ctx)


def extension_step_decorator(node, scope):
    """(ExtensionStepDecorator, call or None) for `@name` / `@name(...)`, else None."""
    call = node if isinstance(node, ast.Call) else None
    try:
        target = evaluate(call.func if call is not None else node, scope, EvalCtx())
    except Inexact:
        return None
    if isinstance(target, ExtensionStepDecorator):
        return target, call
    return None
