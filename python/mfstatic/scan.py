"""Scan: the flow classes of a file and the class run under `if __name__ == "__main__":`, and
whether that block runs anything before it that could change what the real compiler sees."""

import ast

from .facts import HARMLESS_MAIN_ATTRIBUTE, HARMLESS_MAIN_CALLS
from .outcomes import Inexact
from .values import ClassRef, ExternalRef
from .bounds import EvalCtx
from .loader import ModuleScope
from .evaluator import evaluate

# How much of a statement a reason quotes.
MAX_QUOTED_STATEMENT = 80


def _main_call(module):
    """(ClassInfo, call, position of its statement in the block, doubt): see find_main_call."""
    if module.main_block is None:
        return None, None, None, None
    index, stmt = module.main_block
    for position, body_stmt in enumerate(stmt.body):
        call = None
        if isinstance(body_stmt, (ast.Expr, ast.Assign, ast.AnnAssign)) and isinstance(body_stmt.value, ast.Call):
            call = body_stmt.value
        if call is None or call.args or call.keywords:
            continue
        try:
            value = evaluate(call.func, ModuleScope(module, index), EvalCtx())
        except Inexact:
            continue
        if not isinstance(value, ClassRef):
            continue
        try:
            if value.info.is_flowspec():
                return value.info, call, position, None
        except Inexact as exc:
            return value.info, call, position, exc.reason
    return None, None, None, None


def find_main_call(module):
    """(ClassInfo, line, doubt) for the class called under `if __name__ == "__main__":`.

    The first no-argument call of a class that derives from FlowSpec wins (the
    flow's CLI exits the process).  A called class whose hierarchy cannot be
    resolved (cycle, chain too long, unknown base) still counts, with `doubt`
    saying why, so that the file is not silently ignored."""
    info, call, _, doubt = _main_call(module)
    return info, (call.lineno if call is not None else None), doubt


def main_block_doubt(module):
    """Why what the `__main__` block runs before the flow's call (the whole block when it calls
    none) may change what the real compiler sees, or None: the first statement that is not one of
    facts.HARMLESS_MAIN_CALLS' forms."""
    if module.main_block is None:
        return None
    index, stmt = module.main_block
    info, call, position, _ = _main_call(module)
    before = stmt.body[:position] if call is not None else stmt.body
    scope = ModuleScope(module, index)
    for body_stmt in before:
        if not _harmless(body_stmt, scope):
            text = ast.unparse(body_stmt).splitlines()[0]
            if len(text) > MAX_QUOTED_STATEMENT:
                text = text[:MAX_QUOTED_STATEMENT] + "..."
            where = "before %s()" % info.name if info is not None else "instead of calling a flow"
            return ("the __main__ block of %s runs `%s` (line %d) %s: code the static compiler does not run, "
                    "which may change what the real compiler sees (files, environment variables, sys.path)"
                    % (module.rel, text, body_stmt.lineno, where))
    return None


def _harmless(stmt, scope):
    if isinstance(stmt, ast.Pass):
        return True
    if not isinstance(stmt, ast.Expr):
        return False
    if isinstance(stmt.value, ast.Constant):
        return True
    call = stmt.value
    if not isinstance(call, ast.Call) or call.args:
        return False
    try:
        func = evaluate(call.func, scope, EvalCtx())
    except Inexact:
        return False
    # ExternalRef: the module is not one of the repository's (a repo's own `logging.py` is a ModuleRef).
    if not isinstance(func, ExternalRef) or func.dotted not in HARMLESS_MAIN_CALLS:
        return False
    allowed = HARMLESS_MAIN_CALLS[func.dotted]
    for keyword in call.keywords:
        if keyword.arg not in allowed:
            return False
        if isinstance(keyword.value, ast.Constant):
            continue
        try:
            value = evaluate(keyword.value, scope, EvalCtx())
        except Inexact:
            return False
        if not (isinstance(value, ExternalRef) and HARMLESS_MAIN_ATTRIBUTE.match(value.dotted)):
            return False
    return True


def flow_classes(module):
    out = []
    for info in module.classes:
        try:
            if info.is_flowspec():
                out.append({"name": info.name, "line": info.line})
        except Inexact:
            continue
    return out
