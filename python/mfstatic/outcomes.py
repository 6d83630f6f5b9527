"""Outcomes: the named kinds of a result that is not exact (or of an error), and the exceptions
that carry them.  A kind is what a caller may rely on; the message next to it is for people and
stays word for word what the static compiler has always written."""

import enum


class OutcomeKind(str, enum.Enum):
    """Why a result, parameter or file is not exact, or what its error is.  Written as
    `reasonKind` next to `reason` and `errorKind` next to `error` in the protocol."""

    # The flow's (or scanned file's) budget of steps, seconds, value weight or parsed files ran out.
    BUDGET = "budget"
    # A value, expression, call or file is over one of the static compiler's bounds.
    LIMIT = "limit"
    # Python the evaluator does not evaluate: a statement, expression, call, attribute or shape.
    UNSUPPORTED = "unsupported"
    # A name, module or attribute that cannot be found (NameError/ImportError/AttributeError).
    UNRESOLVED_NAME = "unresolved-name"
    # The code would raise at import (TypeError, ValueError...), with a message not reproduced.
    PYTHON_ERROR = "python-error"
    # A flow or step decorator that is unknown, depends on the environment or is misused.
    DECORATOR = "decorator"
    # A Config's value or a config expression that is not known statically.
    CONFIG = "config"
    # A value computed at deploy time that is not reproduced (deploy-time functions, uploads).
    DEPLOY_TIME = "deploy-time"
    # Depends on the machine: environment variables, file paths, home directory, hash seed.
    ENVIRONMENT = "environment"
    # A file that cannot be read as it should (unreadable, encoding, outside the root).
    IO = "io"
    # A file has a syntax error: Python's own message.
    SYNTAX = "syntax"
    # The real compiler fails or differs here, but what it prints is not reproduced.
    NOT_REPRODUCED = "not-reproduced"
    # The real compiler's error, reproduced exactly (errors only).
    FLOW_ERROR = "flow-error"
    # No flow to compile: no class run under __main__, no such class, not a FlowSpec.
    NO_FLOW = "no-flow"
    # A bug of the static compiler (an internal error).
    COMPILER_ERROR = "compiler-error"


class Inexact(Exception):
    """Something the static compiler cannot determine exactly, and its kind."""

    def __init__(self, reason, kind):
        super().__init__(reason)
        self.reason = reason
        self.kind = kind


class FlowError(Exception):
    """An error the real compiler stops with; `message` is its last output line."""

    def __init__(self, message, line=None, kind=OutcomeKind.FLOW_ERROR):
        super().__init__(message)
        self.message = message
        self.line = line
        self.kind = kind


class FileProblem(Exception):
    """A file that cannot be read or parsed."""

    def __init__(self, message, line=None, python_error=False, kind=OutcomeKind.IO):
        super().__init__(message)
        self.message = message
        self.line = line
        # True when `message` is exactly what Python prints (SyntaxError).
        self.python_error = python_error
        self.kind = kind


class CacheFull(BaseException):
    """The next file would take the cached trees over MAX_HELD_TOKENS while the cache still
    holds files of earlier flows: the current flow (or scan) is run again on an empty cache.
    A BaseException, so that no `except Exception` on the way turns it into a result."""


class BudgetExceeded(Inexact):
    """The current flow's budget (FlowBudget) ran out."""

    def __init__(self, reason):
        super().__init__(reason, OutcomeKind.BUDGET)


class ImportProblem(Inexact):
    """An imported module has a syntax error: the import fails with that error."""

    def __init__(self, message, module):
        super().__init__("module %s has an error: %s" % (module.rel, message), OutcomeKind.SYNTAX)
        self.message = message
        self.module = module


class FlowProblem(FileProblem):
    """A per-flow problem (no main class, unknown class): not a real compiler message."""

    def __init__(self, message):
        super().__init__(message, kind=OutcomeKind.NO_FLOW)
