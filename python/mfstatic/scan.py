"""Scan: the flow classes of a file and the class run under `if __name__ == "__main__":`."""

import ast

from .outcomes import Inexact
from .values import ClassRef
from .bounds import EvalCtx
from .loader import ModuleScope
from .evaluator import evaluate


def find_main_call(module):
    """(ClassInfo, line, doubt) for the class called under `if __name__ == "__main__":`.

    The first no-argument call of a class that derives from FlowSpec wins (the
    flow's CLI exits the process).  A called class whose hierarchy cannot be
    resolved (cycle, chain too long, unknown base) still counts, with `doubt`
    saying why, so that the file is not silently ignored."""
    if module.main_block is None:
        return None, None, None
    index, stmt = module.main_block
    for body_stmt in stmt.body:
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
                return value.info, call.lineno, None
        except Inexact as exc:
            return value.info, call.lineno, exc.reason
    return None, None, None


def flow_classes(module):
    out = []
    for info in module.classes:
        try:
            if info.is_flowspec():
                out.append({"name": info.name, "line": info.line})
        except Inexact:
            continue
    return out
