"""Outcomes: the named kinds of a result that is not exact, and the exceptions that carry them."""


class Inexact(Exception):
    """Something the static compiler cannot determine exactly."""

    def __init__(self, reason):
        super().__init__(reason)
        self.reason = reason


class FlowError(Exception):
    """An error the real compiler stops with; `message` is its last output line."""

    def __init__(self, message, line=None):
        super().__init__(message)
        self.message = message
        self.line = line


class FileProblem(Exception):
    """A file that cannot be read or parsed."""

    def __init__(self, message, line=None, python_error=False):
        super().__init__(message)
        self.message = message
        self.line = line
        # True when `message` is exactly what Python prints (SyntaxError).
        self.python_error = python_error


class CacheFull(BaseException):
    """The next file would take the cached trees over MAX_HELD_TOKENS while the cache still
    holds files of earlier flows: the current flow (or scan) is run again on an empty cache.
    A BaseException, so that no `except Exception` on the way turns it into a result."""


class BudgetExceeded(Inexact):
    """The current flow's budget (FlowBudget) ran out."""


class ImportProblem(Inexact):
    """An imported module has a syntax error: the import fails with that error."""

    def __init__(self, message, module):
        super().__init__("module %s has an error: %s" % (module.rel, message))
        self.message = message
        self.module = module


class FlowProblem(FileProblem):
    """A per-flow problem (no main class, unknown class): not a real compiler message."""
