"""Modules as Python would import them: name bindings, namespaces, scopes, classes and the loader.

Bindings are evaluated lazily by the evaluator, which in turn looks names up in these scopes and
imports modules through the loader: the two modules recurse, and import each other at their end."""

import ast
import os
import re
import sys

from .facts import (
    MAX_EXTENSION_ENTRIES,
    METAFLOW_FLOW_DECORATORS,
    METAFLOW_STEP_DECORATORS,
    METAFLOW_TOPLEVEL_NAMES,
    STEP_DECORATOR_TASK_HOOKS,
)
from .outcomes import Inexact, OutcomeKind
from .values import (
    BuiltinRef,
    ClassRef,
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
)
from .bounds import BUDGET, EvalCtx, MAX_CACHED_WEIGHT, MAX_CLASS_DEPTH, cacheable_failure, measure


class Binding:
    """One assignment of a name in a module or class body, evaluated lazily once."""

    def __init__(self, index, line):
        self.index = index
        self.line = line
        self._state = 0  # 0 new, 1 evaluating, 2 done
        self._result = None

    # Total weight of the values all bindings keep (see MAX_CACHED_WEIGHT).
    cached_weight = 0

    def get(self, ctx):
        if self._state == 1:
            raise Inexact("circular reference (import cycle?) at line %d" % self.line, OutcomeKind.UNRESOLVED_NAME)
        if self._state == 2:
            if isinstance(self._result, Inexact):
                raise self._result.with_traceback(None)
            # Read again by this flow: it counts toward this flow's budget too, so a flow
            # cannot read more cached values than it could have built.
            BUDGET.charge(self._weight)
            ctx.tainted |= self._result[1]
            return self._result[0]
        self._state = 1
        sub = EvalCtx()
        try:
            value = self.compute(sub)
        except Inexact as exc:
            result = exc
        except RecursionError:
            result = Inexact("nesting too deep at line %d" % self.line, OutcomeKind.LIMIT)
        except BaseException:
            self._state = 0  # an internal error: do not cache a half result
            raise
        else:
            result = (value, sub.tainted)
        if isinstance(result, Inexact):
            self._state = 2 if cacheable_failure() else 0
            self._result = result
            raise result
        weight = measure(value)
        BUDGET.charge(weight)
        if Binding.cached_weight + weight > MAX_CACHED_WEIGHT:
            self._state = 0  # computed again when read again, instead of kept
        else:
            Binding.cached_weight += weight
            self._state = 2
            self._result = result
            self._weight = weight
        ctx.tainted |= result[1]
        return value

    def compute(self, ctx):
        raise NotImplementedError


class ValueBinding(Binding):
    def __init__(self, index, line, node, scope):
        super().__init__(index, line)
        self.node = node
        self.scope = scope  # scope the expression is evaluated in

    def compute(self, ctx):
        return evaluate(self.node, self.scope, ctx)


class UnpackBinding(Binding):
    """`A, B = 1, 2`: element `position` of a same-length display."""

    def __init__(self, index, line, node, scope, position, count):
        super().__init__(index, line)
        self.node = node
        self.scope = scope
        self.position = position
        self.count = count

    def compute(self, ctx):
        value = evaluate(self.node, self.scope, ctx)
        if not isinstance(value, (tuple, list)) or len(value) != self.count:
            raise Inexact("tuple unpacking at line %d cannot be evaluated" % self.line, OutcomeKind.UNSUPPORTED)
        return value[self.position]


class AugBinding(Binding):
    """`X += 1`: the previous binding combined with the new value."""

    def __init__(self, index, line, name, op, node, scope):
        super().__init__(index, line)
        self.name = name
        self.op = op
        self.node = node
        self.scope = scope

    def compute(self, ctx):
        left = self.scope.lookup_before(self.name, self.index, ctx)
        right = evaluate(self.node, self.scope, ctx)
        return binop(self.op, left, right, ctx)


class ImportBinding(Binding):
    """`import a.b` (binds a) / `import a.b as x` (binds a.b)."""

    def __init__(self, index, line, module, dotted, bind_top):
        super().__init__(index, line)
        self.module = module
        self.dotted = dotted
        self.bind_top = bind_top

    def compute(self, ctx):
        loader = self.module.loader
        target = loader.import_module(self.dotted, self.module)
        if self.bind_top:
            return loader.import_module(self.dotted.split(".")[0], self.module)
        return target


class ImportFromBinding(Binding):
    def __init__(self, index, line, module, dotted, level, name):
        super().__init__(index, line)
        self.module = module
        self.dotted = dotted
        self.level = level
        self.name = name

    def compute(self, ctx):
        loader = self.module.loader
        base = loader.import_module(self.dotted, self.module, self.level)
        if isinstance(base, ModuleRef) and base.module is self.module:
            # `from . import x` inside a package's __init__: only names bound
            # before this statement exist yet, otherwise x is a submodule.
            value = ModuleScope(self.module, self.index).lookup(self.name, ctx, builtins_fallback=False)
            if value is not UNSET:
                return value
            sub = submodule_of(self.module, self.name)
            if sub is None:
                raise Inexact("cannot import name %r from %s" % (self.name, self.module.qualname), OutcomeKind.UNRESOLVED_NAME)
            return sub if isinstance(sub, Opaque) else ModuleRef(sub)
        return getattr_value(base, self.name, ctx)


class ClassBinding(Binding):
    def __init__(self, index, line, info):
        super().__init__(index, line)
        self.info = info

    def compute(self, ctx):
        # Class decorators are checked by FlowCompiler.check_classes: an unknown
        # decorator makes a flow inexact but must not hide the class itself.
        return ClassRef(self.info)


TRANSPARENT_FUNCTION_DECORATORS = frozenset(["property", "staticmethod", "classmethod"])


class FunctionBinding(Binding):
    def __init__(self, index, line, node, module, scope, nested=False):
        super().__init__(index, line)
        self.node = node
        self.module = module
        self.scope = scope
        self.nested = nested

    def compute(self, ctx):
        if not self.node.decorator_list:
            return FunctionRef(self.node, self.module, self.nested, self.scope)
        # Metaflow step decorators and property/staticmethod/classmethod never
        # turn a function into a Parameter; anything else might.
        for deco in self.node.decorator_list:
            try:
                value = evaluate(deco, self.scope, EvalCtx())
            except Inexact:
                value = None
            name = value.name if isinstance(value, (MetaflowRef, DecoratorCall)) else None
            known = (name in METAFLOW_STEP_DECORATORS
                     or (isinstance(value, BuiltinRef) and value.name in TRANSPARENT_FUNCTION_DECORATORS))
            # A user step decorator that provably returns the function or a functools.wraps
            # wrapper of it (evaluator.transparent_step_decorator) cannot make a Parameter either.
            known = known or extension_step_decorator(deco, self.scope) is not None  # returns the function
            if not known and (name is not None or transparent_step_decorator(deco, self.scope) is not None):
                return DecoratedFunction(self.node, self.module)
        return DecoratedFunction(self.node, self.module, harmless=True)


class UnknownBinding(Binding):
    def __init__(self, index, line, reason):
        super().__init__(index, line)
        self.reason = reason

    def compute(self, ctx):
        raise Inexact(self.reason, OutcomeKind.UNSUPPORTED)


class StarImport:
    def __init__(self, index, line, module, dotted, level):
        self.index = index
        self.line = line
        self.module = module
        self.dotted = dotted
        self.level = level

    def lookup(self, name, ctx):
        """Value of `name` from the star-imported module, or UNSET."""
        target = self.module.loader.import_module(self.dotted, self.module, self.level)
        if isinstance(target, MetaflowModuleRef):
            if target.dotted != "metaflow":
                raise Inexact("`from %s import *` is not understood" % target.dotted, OutcomeKind.UNSUPPORTED)
            if name.startswith("_") or name not in METAFLOW_TOPLEVEL_NAMES:
                return UNSET  # metaflow has no __all__: every public name
            if name in ("os", "sys"):
                return ExternalRef(name)
            return MetaflowRef(name)
        if isinstance(target, ModuleRef):
            module = target.module
            if module.problem is not None:
                raise module_problem(module)
            exported = module.explicit_all()
            if exported is not None:
                return module_attribute(module, name, ctx) if name in exported else UNSET
            if name.startswith("_"):
                return UNSET
            return ModuleScope(module, None).lookup(name, ctx, builtins_fallback=False)
        raise Inexact("name %r may come from `from %s import *` (outside the repository)"
                      % (name, self.dotted), OutcomeKind.UNRESOLVED_NAME)


def child_nodes(node):
    """list(ast.iter_child_nodes(node)), without its two generators."""
    children = []
    for field in node._fields:
        try:
            value = getattr(node, field)
        except AttributeError:
            continue
        if isinstance(value, ast.AST):
            children.append(value)
        elif isinstance(value, list):
            children.extend([item for item in value if isinstance(item, ast.AST)])
    return children


def walk_nodes(node):
    """The nodes of ast.walk(node), in its order (breadth first, fields in order), as a list:
    without its three generators per node."""
    nodes = [node]
    for current in nodes:  # appended to while read: each node's children go after the queue
        nodes.extend(child_nodes(current))
    return nodes


# The pattern nodes of `match` that bind a name (Python 3.10+; none before).
MATCH_CAPTURES = tuple(getattr(ast, name) for name in ("MatchAs", "MatchStar") if hasattr(ast, name))
MATCH_MAPPING = getattr(ast, "MatchMapping", None)


def bound_names(node):
    """Names a statement binds in its own scope (not inside nested functions/classes)."""
    names = []

    def visit(n):
        if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.append(n.name)
            for d in n.decorator_list:
                visit(d)
            return
        if isinstance(n, ast.Lambda):
            return
        if isinstance(n, ast.Name) and isinstance(n.ctx, (ast.Store, ast.Del)):
            names.append(n.id)
        elif isinstance(n, (ast.Import, ast.ImportFrom)):
            for alias in n.names:
                if alias.name != "*":
                    names.append(alias.asname or alias.name.split(".")[0])
        elif isinstance(n, ast.NamedExpr):
            names.append(n.target.id)
        elif MATCH_CAPTURES and isinstance(n, MATCH_CAPTURES) and n.name:
            names.append(n.name)
        elif MATCH_MAPPING is not None and isinstance(n, MATCH_MAPPING) and n.rest:
            names.append(n.rest)
        elif isinstance(n, ast.ExceptHandler) and n.name:
            names.append(n.name)
        for child in child_nodes(n):
            visit(child)

    visit(node)
    return names


def has_named_expr(module, node):
    # No `:=` in the file, no assignment expression anywhere in it: no need to walk the tree.
    return module.source.mentions(":=") and any(isinstance(n, ast.NamedExpr) for n in ast.walk(node))


class Namespace:
    """Bindings of one module body or class body, in statement order."""

    def __init__(self):
        self.bindings = {}  # name -> [Binding] in statement order
        self.stars = []  # [StarImport]

    def add(self, name, binding):
        self.bindings.setdefault(name, []).append(binding)

    def latest(self, name, before):
        """The last binding of `name` in a statement before index `before` (None: final)."""
        bindings = self.bindings.get(name)
        if not bindings:
            return None
        if before is None:
            return bindings[-1]
        best = None
        for binding in bindings:
            if binding.index < before:
                best = binding
        return best

    def collect(self, body, owner, scope, nested_functions=False):
        """Record the bindings of a sequence of statements (module or class body)."""
        for index, stmt in enumerate(body):
            self.collect_statement(index, stmt, owner, scope, nested_functions)

    def collect_statement(self, index, stmt, owner, scope, nested_functions):
        line = stmt.lineno
        scope = scope.at(index)  # a statement sees only the names bound before it
        module = owner if isinstance(owner, Module) else owner.module
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
            if isinstance(stmt, ast.AsyncFunctionDef):
                self.add(stmt.name, UnknownBinding(index, line, "async function %s" % stmt.name))
            else:
                self.add(stmt.name, FunctionBinding(index, line, stmt, module, scope, nested_functions))
        elif isinstance(stmt, ast.ClassDef):
            info = module.loader.class_info(module, stmt, index, scope)
            self.add(stmt.name, ClassBinding(index, line, info))
        elif isinstance(stmt, ast.Assign):
            if has_named_expr(module, stmt.value):
                self._unknown(index, stmt, "assignment expression")
                return
            for target in stmt.targets:
                self._assign(index, line, target, stmt.value, scope)
        elif isinstance(stmt, ast.AnnAssign):
            if stmt.value is not None and isinstance(stmt.target, ast.Name):
                self.add(stmt.target.id, ValueBinding(index, line, stmt.value, scope))
        elif isinstance(stmt, ast.AugAssign):
            if isinstance(stmt.target, ast.Name):
                self.add(stmt.target.id, AugBinding(index, line, stmt.target.id, stmt.op, stmt.value, scope))
        elif isinstance(stmt, ast.Import):
            for alias in stmt.names:
                if alias.asname:
                    self.add(alias.asname, ImportBinding(index, line, module, alias.name, False))
                else:
                    self.add(alias.name.split(".")[0], ImportBinding(index, line, module, alias.name, True))
        elif isinstance(stmt, ast.ImportFrom):
            for alias in stmt.names:
                if alias.name == "*":
                    self.stars.append(StarImport(index, line, module, stmt.module or "", stmt.level))
                else:
                    self.add(alias.asname or alias.name,
                             ImportFromBinding(index, line, module, stmt.module or "", stmt.level, alias.name))
        elif isinstance(stmt, (ast.Expr, ast.Pass, ast.Global, ast.Nonlocal, ast.Assert, ast.Raise)):
            if isinstance(stmt, ast.Expr) and has_named_expr(module, stmt):
                self._unknown(index, stmt, "assignment expression")
        else:
            # if/for/while/try/with/match/del: whatever they bind is conditional.
            self._unknown(index, stmt, "it is assigned in a %s statement at line %d"
                          % (type(stmt).__name__.lower(), line))

    def _unknown(self, index, stmt, reason):
        for name in bound_names(stmt):
            self.add(name, UnknownBinding(index, stmt.lineno, "the value of %r is not static: %s" % (name, reason)))

    def _assign(self, index, line, target, value, scope):
        if isinstance(target, ast.Name):
            self.add(target.id, ValueBinding(index, line, value, scope))
        elif isinstance(target, (ast.Tuple, ast.List)):
            elts = target.elts
            if all(isinstance(e, ast.Name) for e in elts):
                for position, elt in enumerate(elts):
                    self.add(elt.id, UnpackBinding(index, line, value, scope, position, len(elts)))
            else:
                for name in bound_names(target):
                    self.add(name, UnknownBinding(index, line, "complex unpacking at line %d" % line))


MUTATING_METHODS = frozenset(
    ["append", "extend", "insert", "remove", "pop", "clear", "update", "setdefault",
     "popitem", "add", "discard", "sort", "reverse", "__setitem__", "__delitem__",
     "difference_update", "intersection_update", "symmetric_difference_update"]
)


def mutated_names(tree):
    """(in_place, rebound): names whose object may be changed in place anywhere
    in the module (`X[k] = v`, `X.a = v`, `X.append(v)`, setattr(X, ...)) and
    names a function rebinds through `global X`.  Over-approximates: a local
    variable of the same name also counts."""
    names = set()
    rebound = set()
    aliases = []  # (a, b) for `a = b`
    for node in walk_nodes(tree):
        base = None
        if isinstance(node, ast.Assign):
            if len(node.targets) == 1 and isinstance(node.targets[0], ast.Name) \
                    and isinstance(node.value, ast.Name):
                aliases.append((node.targets[0].id, node.value.id))
        elif isinstance(node, (ast.Subscript, ast.Attribute)) and isinstance(node.ctx, (ast.Store, ast.Del)):
            base = node.value
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                and node.func.attr in MUTATING_METHODS:
            base = node.func.value
        elif isinstance(node, ast.Global):
            rebound.update(node.names)
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) \
                and node.func.id in ("setattr", "delattr") and node.args:
            base = node.args[0]
        while isinstance(base, (ast.Subscript, ast.Attribute)):
            base = base.value
        if isinstance(base, ast.Name):
            names.add(base.id)
    # `self`/`cls` mutations are instance state at run time, never module constants.
    names.discard("self")
    names.discard("cls")
    # `B = A; B.append(1)` changes A too: follow plain-name aliases both ways.
    changed = True
    while changed:
        changed = False
        for a, b in aliases:
            if (a in names) != (b in names):
                names.update((a, b))
                changed = True
    return names, rebound


def is_main_guard(test):
    """`__name__ == "__main__"` (either order)."""
    if not (isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], ast.Eq)):
        return False
    sides = [test.left, test.comparators[0]]
    names = [s for s in sides if isinstance(s, ast.Name) and s.id == "__name__"]
    consts = [s for s in sides if isinstance(s, ast.Constant) and s.value == "__main__"]
    return len(names) == 1 and len(consts) == 1


class Module:
    """A repository module as Python would import it under a given search path."""

    def __init__(self, loader, source, qualname, search_paths, is_package):
        self.loader = loader
        self.source = source
        self.qualname = qualname
        self.search_paths = search_paths
        self.is_package = is_package
        self.path = source.path
        self.rel = source.rel
        self.tree = source.tree
        self.problem = source.problem
        self.namespace = Namespace()
        self.classes = []  # top-level ClassInfo in order
        self.main_block = None  # (index, ast.If)
        self._mutations = None  # (mutated, rebound), computed when first needed
        self._changed_at_import = None  # changed_at_import(), computed when first needed
        if self.tree is not None:
            self.namespace.collect(self.tree.body, self, ModuleScope(self, None))
            for index, stmt in enumerate(self.tree.body):
                if isinstance(stmt, ast.ClassDef):
                    self.classes.append(self.namespace.latest(stmt.name, index + 1).info)
                if isinstance(stmt, ast.If) and is_main_guard(stmt.test) and self.main_block is None:
                    self.main_block = (index, stmt)

    @property
    def mutated(self):
        return self._mutation_sets()[0]

    @property
    def rebound(self):
        # Every name lookup asks; without the word `global` in the file nothing is rebound, and
        # the tree walk below is left to the rarer question of in-place changes.
        if self.tree is None or not self.source.mentions("global"):
            return frozenset()
        return self._mutation_sets()[1]

    def _mutation_sets(self):
        # A second walk over the whole tree: discovery rarely needs it, so only on demand.
        if self._mutations is None:
            self._mutations = mutated_names(self.tree) if self.tree is not None else (set(), set())
        return self._mutations

    def changed_at_import(self):
        """(name, line) of each `name.a = ...`, `name[k] = ...` (or `del`), `setattr(name, ...)`
        and `delattr(name, ...)` the module's top-level code runs (not in a def or class), in
        ast.walk order: what FlowChecks.check_monkeypatching looks up.  Walked once per module:
        the flows of a repository share their base modules."""
        if self._changed_at_import is None:
            found = []
            for stmt in self.tree.body:
                if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                    continue
                for node in walk_nodes(stmt):
                    target = None
                    if isinstance(node, (ast.Attribute, ast.Subscript)) and isinstance(node.ctx, (ast.Store, ast.Del)):
                        target = node.value
                    elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) \
                            and node.func.id in ("setattr", "delattr") and node.args:
                        target = node.args[0]
                    if isinstance(target, ast.Name):
                        found.append((target.id, node.lineno))
            self._changed_at_import = found
        return self._changed_at_import

    @property
    def package(self):
        if self.is_package:
            return self.qualname
        return self.qualname.rpartition(".")[0]

    def explicit_all(self):
        """The names in `__all__` (what `from module import *` binds), None without one."""
        binding = self.namespace.latest("__all__", None)
        if binding is None:
            return None
        try:
            value = binding.get(EvalCtx())
        except Inexact:
            value = None
        if not (isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value)):
            raise Inexact("__all__ of %s is not static" % self.qualname, OutcomeKind.UNSUPPORTED)
        return set(value)


def guard_mutation(module, name, value):
    """A mutable constant (or Parameter object) changed in place somewhere in the
    module cannot be trusted.  Classes changed at import are caught by
    FlowCompiler.check_monkeypatching; modules are not constants."""
    if isinstance(value, (list, dict, set, ParamSpec)) and name in module.mutated:
        raise Inexact("%r is modified in place in %s, which is not evaluated statically"
                      % (name, module.rel), OutcomeKind.UNSUPPORTED)
    return value


class ModuleScope:
    """Module globals as they are when statement `before` runs (None: after import)."""

    def __init__(self, module, before):
        self.module = module
        self.before = before

    def at(self, before):
        return ModuleScope(self.module, before)

    def function_parent(self):
        return ModuleScope(self.module, None)

    def lookup_before(self, name, index, ctx):
        return ModuleScope(self.module, index).lookup(name, ctx)

    def lookup(self, name, ctx, builtins_fallback=True):
        ns = self.module.namespace
        if name in self.module.rebound:
            raise Inexact("%r is rebound by a function (global %s) in %s" % (name, name, self.module.rel), OutcomeKind.UNSUPPORTED)
        binding = ns.latest(name, self.before)
        for star in reversed(ns.stars):
            if self.before is not None and star.index >= self.before:
                continue
            if binding is not None and star.index <= binding.index:
                break
            value = star.lookup(name, ctx)
            if value is not UNSET:
                return value
        if binding is not None:
            return guard_mutation(self.module, name, binding.get(ctx))
        if not builtins_fallback:
            return UNSET
        return builtin_value(name, self.module, ctx)


class ClassScope:
    """A class body while it executes: its own names first, then module globals."""

    def __init__(self, info, before):
        self.info = info
        self.before = before

    @property
    def module(self):
        return self.info.module

    def at(self, before):
        return ClassScope(self.info, before)

    def function_parent(self):
        # Functions and comprehensions defined in a class body do not see class names.
        return self.info.outer_scope.function_parent()

    def lookup_before(self, name, index, ctx):
        return ClassScope(self.info, index).lookup(name, ctx)

    def lookup(self, name, ctx):
        binding = self.info.namespace.latest(name, self.before)
        if binding is not None:
            return guard_mutation(self.info.module, name, binding.get(ctx))
        if self.info.namespace.stars:
            raise Inexact("star import inside class %s" % self.info.name, OutcomeKind.UNSUPPORTED)
        return self.info.outer_scope.lookup(name, ctx)


class LocalScope:
    """Function parameters or comprehension variables over a parent scope."""

    def __init__(self, values, parent):
        self.values = values
        self.parent = parent

    @property
    def module(self):
        return self.parent.module

    def function_parent(self):
        return self

    def lookup(self, name, ctx):
        if name in self.values:
            return self.values[name]
        return self.parent.lookup(name, ctx)


class ClassInfo:
    def __init__(self, module, node, index, outer_scope):
        self.module = module
        self.node = node
        self.index = index
        self.name = node.name
        self.line = node.lineno
        self.outer_scope = outer_scope.at(index) if hasattr(outer_scope, "at") else outer_scope
        self.nested = not isinstance(outer_scope, ModuleScope)
        self.namespace = Namespace()
        self.namespace.collect(node.body, self, ClassScope(self, None), nested_functions=True)
        self._bases = None
        self._mro = None
        self._busy = False

    def scope(self):
        return ClassScope(self, None)

    def bases(self):
        """Base classes: ClassRef, FLOWSPEC or OBJECT; Inexact otherwise."""
        if self._bases is None:
            if self.node.keywords:
                self._bases = Inexact("class %s uses class keywords (metaclass=...)" % self.name, OutcomeKind.UNSUPPORTED)
            else:
                result = []
                try:
                    for base in self.node.bases:
                        value = evaluate(base, self.outer_scope, EvalCtx())
                        if isinstance(value, ClassRef):
                            result.append(value)
                        elif isinstance(value, MetaflowRef) and value.name == "FlowSpec":
                            result.append(FLOWSPEC)
                        elif isinstance(value, BuiltinRef) and value.name == "object":
                            result.append(OBJECT)
                        else:
                            raise Inexact("base class %s of %s cannot be resolved (%s)"
                                          % (ast.unparse(base), self.name, describe(value)), OutcomeKind.UNRESOLVED_NAME)
                    self._bases = result
                except Inexact as exc:
                    if not cacheable_failure():
                        raise
                    self._bases = exc
        if isinstance(self._bases, Exception):
            raise self._bases.with_traceback(None)
        return self._bases

    def mro(self, depth=0):
        """C3 linearization: list of ClassInfo / FLOWSPEC / OBJECT."""
        if self._mro is None:
            if self._busy:
                raise Inexact("inheritance cycle involving class %s" % self.name, OutcomeKind.PYTHON_ERROR)
            if depth > MAX_CLASS_DEPTH:
                raise Inexact("inheritance chain is longer than %d classes" % MAX_CLASS_DEPTH, OutcomeKind.LIMIT)
            self._busy = True
            try:
                self._mro = self._linearize(depth)
            except Inexact as exc:
                if not cacheable_failure():
                    raise
                self._mro = exc
            finally:
                self._busy = False
        if isinstance(self._mro, Exception):
            raise self._mro.with_traceback(None)
        return self._mro

    def _linearize(self, depth):
        bases = [b.info if isinstance(b, ClassRef) else b for b in self.bases()]
        if not bases:
            bases = [OBJECT]
        sequences = []
        for base in bases:
            if base is FLOWSPEC:
                sequences.append([FLOWSPEC, OBJECT])
            elif base is OBJECT:
                sequences.append([OBJECT])
            else:
                sequences.append(list(base.mro(depth + 1)))
        sequences.append(list(bases))
        result = [self]
        while True:
            sequences = [s for s in sequences if s]
            if not sequences:
                break
            for seq in sequences:
                head = seq[0]
                if not any(head in s[1:] for s in sequences):
                    break
            else:
                raise Inexact("no consistent method resolution order for class %s "
                              "(TypeError at import)" % self.name, OutcomeKind.PYTHON_ERROR)
            result.append(head)
            for s in sequences:
                if s[0] is head:
                    del s[0]
        if len(result) > MAX_CLASS_DEPTH:
            raise Inexact("inheritance chain of %s is longer than %d classes" % (self.name, MAX_CLASS_DEPTH), OutcomeKind.LIMIT)
        return result

    def is_flowspec(self):
        return FLOWSPEC in self.mro()

    def check_decorators(self, ctx):
        """Evaluate class decorators; anything unknown may be a FlowMutator."""
        return [self.decorator(d) for d in self.node.decorator_list]

    def decorator(self, node):
        value = evaluate(node, self.outer_scope, EvalCtx())
        if isinstance(value, MetaflowRef) and value.name in METAFLOW_FLOW_DECORATORS:
            return DecoratorCall(value.name, None, self.outer_scope)
        if isinstance(value, DecoratorCall) and value.name in METAFLOW_FLOW_DECORATORS:
            return value
        raise Inexact("class decorator @%s on %s is not a known Metaflow flow decorator "
                      "(it could be a FlowMutator)" % (ast.unparse(node), self.name), OutcomeKind.DECORATOR)


def _stdlib_names():
    names = getattr(sys, "stdlib_module_names", None)  # Python >= 3.10
    if names is None:  # Python 3.9: list the standard library directory
        import sysconfig
        names = set()
        try:
            for entry in os.listdir(sysconfig.get_paths()["stdlib"]):
                name, ext = os.path.splitext(entry)
                if ext == ".py" or (not ext and entry.isidentifier()):
                    names.add(name)
        except OSError:
            pass
    return frozenset(names) | frozenset(sys.builtin_module_names)


STDLIB = _stdlib_names()


class Loader:
    def __init__(self, sources, import_roots=None):
        self.sources = sources
        self.root = sources.root
        # The directories after the flow's own on sys.path, in order: the compiles' PYTHONPATH
        # (absolute, under root; what is found there is still checked to stay inside it).
        self.import_roots = tuple(import_roots) if import_roots else (self.root,)
        self._modules = {}  # (path, qualname, search_paths) -> Module
        self._found = {}  # (name, dirs) -> what _find_in found: every flow imports the same names
        self._classes = {}  # id(ClassDef) per module -> ClassInfo

    def search_paths_for(self, flow_path):
        """sys.path of `python flow.py` for the flow's imports: the script's directory, then
        PYTHONPATH (the import roots)."""
        paths = [os.path.dirname(flow_path)]
        for directory in self.import_roots:
            if directory not in paths:
                paths.append(directory)
        return tuple(paths)

    def main_module(self, path):
        return self.module_for(path, "__main__", self.search_paths_for(path), False)

    def module_for(self, path, qualname, search_paths, is_package):
        key = (path, qualname, search_paths)
        module = self._modules.get(key)
        if module is None:
            source = self.sources.load(path)
            module = Module(self, source, qualname, search_paths, is_package)
            self._modules[key] = module
        return module

    def extension(self):
        """The repository-root metaflow_extensions package, read statically (cached)."""
        if not hasattr(self, "_extension"):
            self._extension = Extension(self)
        return self._extension

    def class_info(self, module, node, index, scope):
        key = (id(module), id(node))
        info = self._classes.get(key)
        if info is None:
            info = ClassInfo(module, node, index, scope)
            self._classes[key] = info
        return info

    def import_module(self, dotted, importer, level=0):
        """Resolve an import made by module `importer`: ModuleRef, MetaflowModuleRef or ExternalRef."""
        if level:
            package = importer.package
            if not package:
                raise Inexact("relative import in %s, which is not in a package" % importer.rel, OutcomeKind.PYTHON_ERROR)
            parts = package.split(".")
            if level - 1 > len(parts) - 1:
                raise Inexact("relative import beyond the top-level package in %s" % importer.rel, OutcomeKind.PYTHON_ERROR)
            base = parts[: len(parts) - (level - 1)]
            dotted = ".".join(base + ([dotted] if dotted else []))
        top = dotted.split(".")[0]
        if top == "metaflow":
            ref = MetaflowModuleRef(dotted)
            if dotted == "metaflow":
                ref.extension = self.extension()  # the names a repo-root extension adds
            return ref
        return self._find(dotted, importer.search_paths)

    def _find(self, dotted, search_paths):
        parts = dotted.split(".")
        found = self._find_top(parts[0], search_paths)
        if found is None or (found[0] == "namespace" and parts[0] in STDLIB):
            # A namespace directory never wins over a regular (stdlib) package.
            return ExternalRef(dotted)
        if parts[0] in STDLIB:
            raise Inexact("repository module %s shadows the standard library module" % parts[0], OutcomeKind.NOT_REPRODUCED)
        qualname = parts[0]
        current = found
        for part in parts[1:]:
            kind, location = current
            if kind == "module":
                raise Inexact("%s is a module, not a package (cannot import %s)" % (qualname, dotted), OutcomeKind.UNRESOLVED_NAME)
            dirs = location[1] if kind == "package" else location
            nxt = self._find_in(part, dirs)
            qualname += "." + part
            if nxt is None:
                raise Inexact("module %s not found in the repository" % qualname, OutcomeKind.UNRESOLVED_NAME)
            current = nxt
        return ModuleRef(self._materialize(current, qualname, search_paths))

    def _materialize(self, found, qualname, search_paths):
        kind, location = found
        if kind == "module":
            return self.module_for(location, qualname, search_paths, False)
        if kind == "package":
            init_path, dirs = location
            module = self.module_for(init_path, qualname, search_paths, True)
            module.package_dirs = dirs
            return module
        # Namespace package: no code, only a __path__.
        return NamespacePackage(self, qualname, location, search_paths)

    def _find_top(self, name, search_paths):
        return self._find_in(name, search_paths)

    def _find_in(self, name, dirs):
        """Python's path finder: package dir > module file > namespace portions."""
        key = (name, tuple(dirs))
        if key not in self._found:
            self._found[key] = self._search(name, dirs)
        return self._found[key]

    def _search(self, name, dirs):
        portions = []
        for d in dirs:
            pkg = os.path.join(d, name)
            init = os.path.join(pkg, "__init__.py")
            if os.path.isfile(init):
                real = self.sources.inside(init)
                if real is None:
                    raise Inexact("package %s resolves outside the repository root" % name, OutcomeKind.IO)
                return ("package", (real, [os.path.dirname(real)]))
            mod = os.path.join(d, name + ".py")
            if os.path.isfile(mod):
                real = self.sources.inside(mod)
                if real is None:
                    raise Inexact("module %s resolves outside the repository root" % name, OutcomeKind.IO)
                return ("module", real)
            if os.path.isdir(pkg):
                real = self.sources.inside(pkg)
                if real is None:
                    raise Inexact("package %s resolves outside the repository root" % name, OutcomeKind.IO)
                portions.append(real)
        if portions:
            return ("namespace", portions)
        return None


class NamespacePackage(Opaque):
    def __init__(self, loader, qualname, dirs, search_paths):
        self.loader = loader
        self.qualname = qualname
        self.dirs = dirs
        self.search_paths = search_paths

    def describe(self):
        return "namespace package %s" % self.qualname

    def submodule(self, name):
        found = self.loader._find_in(name, self.dirs)
        if found is None:
            return None
        return self.loader._materialize(found, self.qualname + "." + name, self.search_paths)


def submodule_of(module, name):
    dirs = getattr(module, "package_dirs", None)
    if not module.is_package or not dirs:
        return None
    loader = module.loader
    found = loader._find_in(name, dirs)
    if found is None:
        return None
    return loader._materialize(found, module.qualname + "." + name, module.search_paths)


class FunctionScope(LocalScope):
    """A running function: names assigned anywhere in it are local (Python
    decides that statically), so reading one before assignment is an error."""

    def __init__(self, values, local_names, parent):
        super().__init__(values, parent)
        self.local_names = local_names

    def lookup(self, name, ctx):
        if name in self.values:
            return self.values[name]
        if name in self.local_names:
            raise Inexact("local variable %r is read before assignment (UnboundLocalError)" % name, OutcomeKind.PYTHON_ERROR)
        return self.parent.lookup(name, ctx)


# -- a repository-root metaflow_extensions package -------------------------------------------------
class Extension:
    """What metaflow 2.19 loads from ROOT/metaflow_extensions/ORG/ (metaflow/__init__.py,
    metaflow/extension_support/, metaflow/plugins/__init__.py), read without running it:
      * toplevel/mfextinit_*.py's `toplevel = "MODULE"`: metaflow/__init__.py's load_globals copies
        every name of toplevel/MODULE.py not starting with "__" and not a module into `metaflow`;
      * plugins/mfextinit_*.py's STEP_DECORATORS_DESC = [("name", ".module.Class")]: step
        decorators exported from `metaflow` by name.
    Only that shape is read; anything else (module_overrides, config/, other *_DESC lists,
    __mf_promote_submodules__, names shadowing metaflow's) leaves `reason` set: not read."""

    def __init__(self, loader):
        self.loader = loader
        self.reason = None
        self.toplevel = {}  # name -> (Module, exact?)
        self.step_decorators = {}  # name -> (defaults dict, None) or (None, reason)
        base = os.path.join(loader.root, "metaflow_extensions")
        self.present = os.path.isdir(base)
        if self.present:
            try:
                self._read(base)
            except _NotRead as exc:
                self.reason = str(exc)

    def names(self):
        return set(self.toplevel) | set(self.step_decorators) if self.reason is None else set()

    def _read(self, base):
        if os.path.exists(os.path.join(base, "__init__.py")):
            raise _NotRead("metaflow_extensions/__init__.py exists (metaflow needs a namespace package)")
        for org in sorted(os.listdir(base))[:MAX_EXTENSION_ENTRIES]:
            folder = os.path.join(base, org)
            if org.startswith((".", "__")) or not os.path.isdir(folder):
                continue
            for part in sorted(os.listdir(folder))[:MAX_EXTENSION_ENTRIES]:
                if part.startswith((".", "__")) or part.endswith(".py") and part == "__init__.py":
                    continue
                if part not in ("toplevel", "plugins"):
                    raise _NotRead("metaflow_extensions/%s/%s is not read statically" % (org, part))
                for name in sorted(os.listdir(os.path.join(folder, part)))[:MAX_EXTENSION_ENTRIES]:
                    if name.startswith("mfextinit_") and name.endswith(".py"):
                        init = self._constants(os.path.join(folder, part, name))
                        if part == "toplevel":
                            self._toplevel(org, folder, init)
                        else:
                            self._plugins(org, folder, init)

    def _tree(self, path):
        source = self.loader.sources.load(path)
        if source.tree is None:
            raise _NotRead("%s cannot be read (%s)" % (source.rel, source.problem))
        return source

    def _constants(self, path):
        """An mfextinit file: only NAME = constant statements."""
        source = self._tree(path)
        values = {}
        for stmt in source.tree.body:
            if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant):
                continue
            if not (isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name)):
                raise _NotRead("%s holds more than constant assignments" % source.rel)
            try:
                values[stmt.targets[0].id] = ast.literal_eval(stmt.value)
            except ValueError:
                raise _NotRead("%s assigns %s a value that is not a constant" % (source.rel, stmt.targets[0].id))
        return values

    def _toplevel(self, org, folder, init):
        if set(init) - {"toplevel"} or not isinstance(init.get("toplevel"), str) \
                or not re.match(r"^[A-Za-z_]\w*$", init["toplevel"]):
            raise _NotRead("metaflow_extensions/%s/toplevel's mfextinit sets more than toplevel = \"MODULE\"" % org)
        path = os.path.join(folder, "toplevel", init["toplevel"] + ".py")
        if not os.path.isfile(path):
            raise _NotRead("metaflow_extensions/%s/toplevel/%s.py is not a module file" % (org, init["toplevel"]))
        qualname = "metaflow_extensions.%s.toplevel.%s" % (org, init["toplevel"])
        source = self._tree(path)
        module = self.loader.module_for(path, qualname, (self.loader.root,), False)
        for stmt in source.tree.body:
            exact, bound = True, []
            if isinstance(stmt, (ast.FunctionDef, ast.ClassDef)):
                bound = [stmt.name]
            elif isinstance(stmt, ast.Assign):
                bound = [t.id for t in stmt.targets if isinstance(t, ast.Name)]
                if len(bound) != len(stmt.targets):
                    raise _NotRead("%s assigns to more than names" % source.rel)
            elif isinstance(stmt, ast.ImportFrom):
                bound, exact = [a.asname or a.name for a in stmt.names], False  # may be a module: not exported
            elif isinstance(stmt, ast.Import):
                continue  # binds modules, which load_globals skips
            elif isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant):
                continue
            else:
                raise _NotRead("%s:%d is not a plain definition" % (source.rel, stmt.lineno))
            for name in bound:
                if name == "__mf_promote_submodules__":
                    raise _NotRead("%s promotes submodules (not read statically)" % source.rel)
                if name.startswith("__") or name == "*":
                    continue
                if name in METAFLOW_TOPLEVEL_NAMES or name in self.step_decorators:
                    raise _NotRead("%s redefines metaflow.%s" % (source.rel, name))
                self.toplevel[name] = (module, exact and self.toplevel.get(name, (None, True))[1])

    def _plugins(self, org, folder, init):
        descs = init.get("STEP_DECORATORS_DESC")
        if set(init) - {"STEP_DECORATORS_DESC"} or not isinstance(descs, list):
            raise _NotRead("metaflow_extensions/%s/plugins's mfextinit sets more than STEP_DECORATORS_DESC" % org)
        for desc in descs[:MAX_EXTENSION_ENTRIES]:
            if not (isinstance(desc, tuple) and len(desc) == 2 and all(isinstance(x, str) for x in desc)):
                raise _NotRead("metaflow_extensions/%s/plugins: STEP_DECORATORS_DESC entry %r" % (org, desc))
            name, where = desc
            if name in METAFLOW_TOPLEVEL_NAMES or name in self.toplevel or name in self.step_decorators:
                raise _NotRead("step decorator @%s of metaflow_extensions/%s shadows another name" % (name, org))
            match = re.match(r"^\.([A-Za-z_]\w*)\.([A-Za-z_]\w*)$", where)
            if not match:
                self.step_decorators[name] = (None, "@%s is at %r, not read statically" % (name, where))
                continue
            path = os.path.join(folder, "plugins", match.group(1) + ".py")
            self.step_decorators[name] = self._decorator_class(name, path, match.group(2))

    def _decorator_class(self, name, path, class_name):
        """A StepDecorator subclass whose defaults the spec shows: (defaults, None) when its module
        only imports StepDecorator and defines classes, and the class derives from it alone, sets
        `name` and `defaults` to constants and defines only task-time hooks (STEP_DECORATOR_TASK_HOOKS:
        they run in the task, never at `dagster create`); else (None, why)."""
        if not os.path.isfile(path):
            return None, "@%s's module is not a file of the repository" % name
        source = self._tree(path)
        found = None
        for stmt in source.tree.body:
            if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant):
                continue
            if isinstance(stmt, ast.ImportFrom) and stmt.module == "metaflow.decorators" and not stmt.level \
                    and [(a.name, a.asname) for a in stmt.names] == [("StepDecorator", None)]:
                continue
            if isinstance(stmt, ast.ClassDef):
                if stmt.name == class_name:
                    found = stmt
                continue
            return None, "%s:%d: the module of @%s does more than define classes" % (source.rel, stmt.lineno, name)
        if found is None:
            return None, "%s has no class %s" % (source.rel, class_name)
        if found.decorator_list or found.keywords or [ast.unparse(b) for b in found.bases] != ["StepDecorator"]:
            return None, "class %s does not derive from StepDecorator alone" % class_name
        attrs = {}
        for stmt in found.body:
            if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant):
                continue
            if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name) \
                    and stmt.targets[0].id in ("name", "defaults"):
                try:
                    attrs[stmt.targets[0].id] = ast.literal_eval(stmt.value)
                except ValueError:
                    return None, "%s.%s is not a constant" % (class_name, stmt.targets[0].id)
                continue
            if isinstance(stmt, ast.FunctionDef) and stmt.name in STEP_DECORATOR_TASK_HOOKS and not stmt.decorator_list:
                continue
            return None, "class %s (line %d) defines more than name, defaults and task-time hooks" % (class_name, stmt.lineno)
        if attrs.get("name") != name:
            return None, "class %s's name is %r, not %r" % (class_name, attrs.get("name"), name)
        defaults = attrs.get("defaults", {})
        if not isinstance(defaults, dict) or not all(isinstance(k, str) for k in defaults):
            return None, "%s.defaults is not a dict of names" % class_name
        return defaults, None


class _NotRead(Exception):
    pass


# The cycle with evaluator.py: imported last, so that either module can be imported first.
from .evaluator import (
    ParamSpec,
    binop,
    builtin_value,
    evaluate,
    extension_step_decorator,
    getattr_value,
    module_attribute,
    module_problem,
    transparent_step_decorator,
)
