#!/usr/bin/env python3
"""Static compiler for the Config class that metaflow-dagster writes.

`python flow.py dagster create OUT.py` (metaflow 2.19.38, metaflow-dagster 0.3.7)
imports the flow file, so compiling runs user code.  This script reproduces the
part of its output that depends on flow parameters -- the pydantic
`class <Flow>Config(Config):` block, the Dagster job name, and the error the
real compiler stops with -- WITHOUT importing or executing anything: it only
parses files with `ast` and evaluates a safe subset of expressions itself.
Standard library only, Python >= 3.9.

Protocol
--------
`python3 -I -S -B python/mfdag_static.py` reads ONE JSON request on stdin and writes
ONE JSON object on stdout (nothing else; diagnostics go to stderr).  Run it
isolated (-I -S, working directory outside the checked repo): the repo's files
are read only as text by the loader below, never imported, so a `json.py` or
`sitecustomize.py` in it must not be on sys.path.  Nothing here depends on
PYTHONHASHSEED (which -I ignores): values whose order comes from hashing
strings are reported as not exact.

Request::

    {"root": "/abs/repo/root",                  # required; every path is inside it
     "scan": ["rel/a.py", ...],                 # optional
     "compile": [{"flowFile": "rel/a.py",       # optional
                  "flowClass": null | "Name",   # null: the class run under __main__
                  "jobName": null | "custom"}], # like `dagster create --name`
     "maxFileBytes": 2000000,                   # optional
     "progress": false}                         # optional, --serve only: see below

Response::

    {"protocol": 1,
     "files": [            # one per "scan" entry, same order
       {"file", "error", "errorLine",
        "flowClasses": [{"name", "line"}],  # classes deriving from metaflow.FlowSpec
        "mainClass", "mainLine",            # FlowSpec subclass called under __main__
        "isFlowFile"}],                     # mainClass is not null
     "results": [          # one per "compile" entry, same order
       {"flowFile", "flowClass", "job", "exact", "reason",
        "error", "errorLine",               # the real compiler's last output line
        "configClass": null | [lines],      # null when no parameters or on error
        "parameters": [{"attribute", "name", "kind", "file", "line",
                        "declaredType", "annotation", "value", "help",
                        "dropped", "exact", "reason"}]}]}

Fields: `errorLine` is a line of the flow file (null when the error is in
another file); `flowClass` in a result is the class actually compiled;
`parameters` lists every Parameter/IncludeFile/Config class attribute found in
the MRO -- the rendered ones in Config-class order, then the `dropped` ones
(attributes starting with `_` or in FlowSpec._NON_PARAMETERS), which never
reach Dagster.  `declaredType` is the source text of `type=`; `value` is the
repr the Config class shows; `help` the comment text (null when none).

`exact: true` means the real compiler, run with cwd = the flow's directory,
default Metaflow configuration (local datastore, no METAFLOW_* overrides) and
PYTHONHASHSEED=0, prints exactly `error` as its last line, or writes exactly
`configClass` (and names the job `job`).  When something cannot be known
statically the result says `exact: false` with a `reason`, and the
configClass is a best effort in which unknown parts read `<unknown>`.
Errors that are not the real compiler's (unreadable file, no flow class...)
always come with `exact: false`.

`python3 -B python/mfdag_static.py --serve` first writes one line,
`{"protocol": 1, "ready": true, "executable": sys.executable}`, so the caller can
start more servers with the interpreter itself instead of a wrapper such as a
pyenv shim; then it answers one request per line (JSON lines in, JSON lines out)
until stdin closes, keeping parsed modules between requests; a malformed
request gets `{"protocol": 1, "requestError": "..."}`.  With "progress": true it
also writes `{"protocol": 1, "progress": N}` lines (N entries done, at most one
a second) before the answer, so the caller can tell a busy server from a hung one.

Bounds: every value the evaluator builds is bounded (MAX_SEQ_LEN, MAX_INT_BITS,
format widths), calls are allow-listed down to their arguments where the cost
depends on them (codecs, search lengths, sorted()), and each flow or scanned
file has one budget of steps, seconds and total value weight (FlowBudget);
running out makes that flow not exact, and the next one starts afresh.

Exit status 0 even when files are bad (errors are reported per file / flow);
exit 2 with a message on stderr only when the request itself is malformed.

How the real compiler is reproduced (all checked against its source and by
running it): the flow's parameters are `FlowSpec._get_parameters()` -- dir()
order (sorted attribute names) over the MRO, first definition wins; each is
rendered by DagsterCompiler._render_config_class as
`    <name>: <type(default).__name__> = <repr(default)>  # <help>`, where the
default is what `deploy_time_eval` returns.  Stages run in the real order, so
the first error wins: module import (syntax errors in imported repository
modules, Config() constructor errors), config defaults, Parameter.init()
(reserved names, separator), @project validation, `--name` validation,
missing defaults, deploy-time evaluation (IncludeFile upload descriptor,
deploy-time functions).  Values are computed by a small evaluator over the
AST (constants, containers, arithmetic, f-strings/format/%, names resolved
through repository modules, a few pure builtins, str methods, os.path and
json helpers), and then Python's own type()/repr() gives the exact text.
Deploy-time functions (a lambda or module-level def whose body is a single
return of such an expression, reading only ctx.flow_name/ctx.parameter_name)
are evaluated too, with DeployTimeField's type check; anything else that
runs at deploy time makes the result inexact.

Assumptions (documented, not verified per flow):
  * The flow's graph passes Metaflow's lint; only the presence of steps named
    start and end is checked.
  * Module search path is [flow directory, root] (sys.path[0] of
    `python flow.py`, then the root as if it were on PYTHONPATH); any other
    module is an installed (external) module, assumed importable.
  * IncludeFile values embed a datastore URL.  The real compiler writes
    `local://$METAFLOW_DATASTORE_SYSROOT_LOCAL/data/<Flow>/<sha1>`; this script
    writes the literal placeholder `<SYSROOT>` in place of the value of
    METAFLOW_DATASTORE_SYSROOT_LOCAL (when that variable is unset, metaflow uses
    the nearest `.metaflow` directory instead, which `<SYSROOT>` then stands for).
  * A SyntaxError message is the one of the Python running this script (they
    differ between versions); run it with the real compiler's Python.
  * configClass is the rendered block split on "\\n" only; a help text that
    would put an empty line inside the block makes the result inexact.
"""

import ast
import builtins
import encodings
import encodings.aliases
import gc
import hashlib
import io
import json
import os
import re
import string
import sys
import time
import tokenize
import traceback
import warnings

PROTOCOL = 1
DEFAULT_MAX_FILE_BYTES = 2_000_000
MAX_CLASS_DEPTH = 100  # inheritance chain length bound
MAX_EVAL_DEPTH = 150  # expression nesting bound
MAX_EVAL_STEPS = 200_000  # evaluation work bound per binding / parameter
MAX_SEQ_LEN = 1_000_000  # longest str/bytes/container the evaluator builds (weight(), below)
# Python >= 3.11 refuses to convert ints of more than 4300 digits to str (int_max_str_digits);
# older ones do it in quadratic time.  A little above that limit (4515 digits) keeps every
# int <-> str conversion cheap and still lets the real limit show as the real compiler's error.
MAX_INT_BITS = 15_000
MAX_INT_DIGITS = 5_000  # longest digit string int()/float()/json.loads() may parse
MAX_FORMAT_WIDTH = 10_000
# One flow (or one scanned file), whatever it reads: a hostile repo can write thousands of
# defaults or module-level values that are each under the bounds above.  Exceeding one of these
# makes the flow inexact, names the budget, and the next flow starts with a fresh one.
MAX_FLOW_STEPS = 1_000_000  # evaluator steps, summed over every binding the flow evaluates
# Wall clock, from the start of the flow (reading the files it imports included): the safety
# net for steps that are slow but allowed.  Healthy flows take milliseconds; this leaves room
# for a large one on a loaded two-core runner.
MAX_FLOW_SECONDS = 10.0
MAX_FLOW_WEIGHT = 4 * MAX_SEQ_LEN  # sum of the weights of the values built or read
# Module-level values stay cached for the whole check (every flow reads the same modules); past
# this total a binding's value is recomputed when read instead of kept, so memory stays bounded
# however many flows each fill their own budget.
MAX_CACHED_WEIGHT = 4 * MAX_SEQ_LEN
# Syntax trees are large next to their source: up to about 0.93 KB per token (measured on
# Python 3.9-3.13 with `a\n`, `a;`, `lambda:0`, calls, slices... repeated), so one 2 MB file of
# small expressions parses to ~1.9 GB, and parsed files stay cached for the whole check.  What a
# file may cost is estimated before it is parsed, from its tokens counted by TOKEN_RE (words,
# other symbols and line breaks, in strings and comments too: an over-count, so however strings
# and f-strings nest, a file cannot hide tokens from it) plus its characters (its text and
# constants) at 1/64 of a token each.  Real code has 3.3-3.7 bytes per token (2 for generated
# tables), so a real file under the 2 MB byte limit stays under MAX_FILE_TOKENS; the benchmark's
# 1000 flows are 240,000 tokens together, a quarter of MAX_HELD_TOKENS.
MAX_FILE_TOKENS = 1_000_000  # a file over this is refused before it is parsed
# What all the cached files of one process may weigh together (~0.9 GB of trees at worst, half
# that for real code).  Past it the cache is emptied between two flows (a flow's modules are
# never mixed with modules parsed before the reset); a flow that needs more than this on its
# own is not exact, naming the limit.
MAX_HELD_TOKENS = 1_000_000
TOKEN_RE = re.compile(r"\w+|[^\w\s]|\n", re.ASCII)
# Python < 3.12 parses an f-string in time (its replacement fields) x (the length of its
# literal): for each field it searches and scans the whole literal again to place the field's
# line and column (measured on 3.9-3.11: up to 0.25 ns per field x character; 40,000 `{a}` in
# one literal take 0.9 s, 10,000 fields in a 1 MB literal 1.6 s, one 2 MB literal of `{a}`
# minutes, in one C call that holds the GIL: no budget or progress line can interrupt it).
# Separate literals, even implicitly concatenated, cost each their own length.  So before it is
# parsed, a file is refused when one f-string has more than MAX_FSTRING_FIELDS fields, or when
# its f-strings have more than MAX_FSTRING_WORK fields x characters together (0.25 s at worst).
# Real f-strings have a few fields in a few hundred characters (a 1,000-field template of
# 100 KB is 10^8).  Refused on every version, though 3.12+ is near-linear: the same file gets
# the same result whatever Python runs the check.
MAX_FSTRING_FIELDS = 10_000
MAX_FSTRING_WORK = 1_000_000_000
# Comments and string literals as Python <= 3.11 tokenizes them (a string ends at the first
# unescaped quote of its kind, even in an f-string's expression; a one-quote string at an
# unescaped line end, where the tokenizer stops with an error, and a three-quote one at the end
# of the file), each in one match: whatever their content, a quote or `#` inside a comment or a
# string never starts anything, so the scan cannot be desynchronized on the versions where the
# cost is quadratic.  (3.12+ f-strings may nest the same quote: the scan then cuts them into
# pieces, which only moves `{` between literals.)  Group `f` is an f-string prefix that starts
# a token: not preceded by an ASCII letter or `_` (those make it the end of a longer name).  A
# non-ASCII letter or a digit before it makes the string counted as an f-string even where
# Python reads a name (`éf"..."`) or a number: an over-count, which is safe.  Every alternative
# starts with a distinct character and each loop's branches are disjoint, so the regex never
# backtracks: one linear pass.
FSTRING_SCAN_RE = re.compile(r"""
    \#[^\r\n]*
  | (?P<f>(?<![A-Za-z_])(?:[fF][rR]?|[rR][fF]))?
    (?: \'\'\'[^'\\]*(?:(?:\\[\s\S]|'(?!''))[^'\\]*)*(?:\'\'\'|\Z)
      | \"\"\"[^"\\]*(?:(?:\\[\s\S]|"(?!""))[^"\\]*)*(?:\"\"\"|\Z)
      | '[^'\\\r\n]*(?:\\(?:\r\n|[\s\S])[^'\\\r\n]*)*'?
      | "[^"\\\r\n]*(?:\\(?:\r\n|[\s\S])[^"\\\r\n]*)*"?
    )""", re.VERBOSE)
CLOCK_EVERY_STEPS = 64  # time.monotonic() every N steps: cheap next to the steps themselves
MAX_SORT_ITEMS = 100_000  # sorted() is n log n
MAX_SEARCH_WORK = 100_000_000  # len(text) * len(needle): substring search is O(n*m) on Python 3.9
SYSROOT_PLACEHOLDER = "<SYSROOT>"
MAX_INCLUDE_BYTES = 512 * 1024 * 1024  # IncludeFile defaults are hashed (sha1) like the upload

# metaflow/flowspec.py: FlowSpec._NON_PARAMETERS -- skipped by _get_parameters.
NON_PARAMETERS = frozenset(["cmd", "foreach_stack", "index", "input", "script_name", "name"])
# Public attributes of metaflow.FlowSpec (dir(FlowSpec) in 2.19.38).  A mixin that
# comes after FlowSpec in the MRO cannot override these.
FLOWSPEC_ATTRIBUTES = frozenset(
    ["cmd", "foreach_stack", "index", "input", "merge_artifacts", "next", "script_name"]
)
# metaflow/parameters.py: Parameter.init() reserved_params (+ dash->underscore variants).
_RESERVED_PARAMS = [
    "params", "with", "tag", "namespace", "obj", "tags", "decospecs", "run-id-file",
    "max-num-splits", "max-workers", "max-log-size", "user-namespace", "run-id",
    "task-id", "runner-attribute-file",
]
RESERVED_PARAM_NAMES = frozenset(_RESERVED_PARAMS + [p.replace("-", "_") for p in _RESERVED_PARAMS])
# metaflow_extensions/dagster/plugins/dagster/dagster_cli.py: VALID_NAME_CHARS
VALID_JOB_NAME_CHARS = frozenset(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_"
)
# metaflow/plugins/project_decorator.py
PROJECT_INVALID_RE = re.compile("[^a-z0-9_]")
PROJECT_MAX_LEN = 128

# Positional signatures of the Metaflow constructors (all also take **kwargs).
PARAM_SIGNATURES = {
    "Parameter": ("name", "default", "type", "help", "required", "show_default"),
    "IncludeFile": ("name", "required", "is_text", "encoding", "help", "parser"),
    "Config": ("name", "default", "default_value", "help", "required", "parser", "plain"),
}
# Flow decorators that do not change parameters and do not fail with the
# default configuration (checked with the real compiler).
HARMLESS_FLOW_DECORATORS = frozenset(["project", "schedule", "trigger", "trigger_on_finish"])
# Flow decorators whose effect depends on the deploy environment or that fail.
ENV_FLOW_DECORATORS = {
    "conda_base": "@conda_base requires --environment=conda/pypi (fails by default)",
    "pypi_base": "@pypi_base requires --environment=conda/pypi (fails by default)",
    "exit_hook": "@exit_hook is rejected by metaflow-dagster or by its own validation",
}
HARMLESS_STEP_DECORATORS = frozenset(
    ["step", "retry", "resources", "card", "catch", "timeout", "environment", "secrets"]
)
ENV_STEP_DECORATORS = frozenset(["conda", "pypi", "batch", "kubernetes"])
METAFLOW_STEP_DECORATORS = frozenset(
    ["parallel", "pytorch_parallel", "airflow_internal", "argo_workflows_internal",
     "step_functions_internal", "unbounded_test_foreach_internal"]
) | HARMLESS_STEP_DECORATORS | ENV_STEP_DECORATORS
METAFLOW_FLOW_DECORATORS = HARMLESS_FLOW_DECORATORS | frozenset(ENV_FLOW_DECORATORS)
METAFLOW_OTHER_NAMES = frozenset(
    ["JSONTypeClass", "ConfigValue", "config_expr", "current", "FlowMutator", "StepMutator",
     "user_step_decorator", "UserStepDecorator", "S3", "Flow", "Run", "Step", "Task",
     "DataArtifact", "Metaflow", "namespace", "get_namespace", "default_namespace",
     "Runner", "NBRunner", "Deployer", "NBDeployer", "DeployedFlow", "profile",
     "parallel_map", "parallel_imap_unordered", "USER_SKIP_STEP"]
)
# Names importable from `metaflow` (top level) that this script knows about.
METAFLOW_EXPORTS = (
    frozenset(["FlowSpec", "Parameter", "IncludeFile", "Config", "JSONType"])
    | METAFLOW_STEP_DECORATORS | METAFLOW_FLOW_DECORATORS | METAFLOW_OTHER_NAMES
)
# Every public name of the `metaflow` package in 2.19.38 (dir(metaflow)): importing
# anything else fails (ImportError) in the real compiler.
METAFLOW_TOPLEVEL_NAMES = frozenset("""
Config ConfigValue DataArtifact DeployedFlow Deployer EXT_PKG Flow FlowMutator FlowSpec
IncludeFile JSONType JSONTypeClass Metaflow NBDeployer NBRunner Parameter R Run Runner S3
Step StepMutator Task USER_SKIP_STEP UserStepDecorator airflow_external_task_sensor
airflow_internal airflow_s3_key_sensor argo_workflows_internal batch card cards catch
cli_args client cmd_with_io conda conda_base conda_environment_yml_parser config_expr
current datastore debug decorators default_metadata default_namespace environment
event_logger events exception exit_hook extension_support flowspec get_metadata
get_namespace graph includefile inspect_spin kubernetes meta_files metadata
metadata_provider metaflow_config metaflow_config_funcs metaflow_current
metaflow_environment metaflow_git metaflow_profile metaflow_version mflog monitor
multicore_utils namespace namespaced_event_name os package packaging_sys parallel
parallel_imap_unordered parallel_map parameters plugins profile project pypi pypi_base
pyproject_toml_parser pytorch_parallel requirements_txt_parser resources retry runner
schedule secrets sidecar step step_functions_internal sys system_context tagging_util
timeout tracing trigger trigger_on_finish tuple_util unbounded_foreach
unbounded_test_foreach_internal user_configs user_decorators user_step_decorator util
version yaml_parser
""".split())
# Metaflow submodules that define the same objects.
METAFLOW_SUBMODULE_EXPORTS = {
    "metaflow.flowspec": {"FlowSpec": "FlowSpec"},
    "metaflow.parameters": {"Parameter": "Parameter", "JSONType": "JSONType",
                            "JSONTypeClass": "JSONTypeClass"},
    "metaflow.includefile": {"IncludeFile": "IncludeFile"},
    "metaflow.user_configs.config_parameters": {"Config": "Config",
                                                "ConfigValue": "ConfigValue",
                                                "config_expr": "config_expr"},
    "metaflow.decorators": {"step": "step"},
}

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
# Real attributes of a metaflow Config object / of a DelayEvaluator: attribute
# access finds these instead of a config key (`cfg.name` is the Config's name).
CONFIG_OBJECT_ATTRIBUTES = frozenset(
    ["IS_CONFIG_PARAMETER", "get", "init", "is_string_type", "items", "keys", "kwargs",
     "load_parameter", "name", "option_kwargs", "parser", "separator", "values"]
)
DELAY_EVALUATOR_ATTRIBUTES = frozenset(["get", "items", "keys", "values"])


# ---------------------------------------------------------------------------
# Outcomes
# ---------------------------------------------------------------------------

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


# ---------------------------------------------------------------------------
# Reading files (each file read and parsed at most once)
# ---------------------------------------------------------------------------

class SourceFile:
    def __init__(self, path, rel):
        self.path = path  # absolute, real path
        self.rel = rel  # POSIX path relative to root
        self.tree = None
        self.text = None  # decoded source, kept for source segments
        self.problem = None  # FileProblem
        self._lines = None
        self._mentions = {}

    def mentions(self, word):
        """`word in self.text`, searched once: asked per statement and per name lookup, a
        search of the whole text each time made a 2 MB file with many parameters quadratic."""
        found = self._mentions.get(word)
        if found is None:
            found = self._mentions[word] = word in self.text
        return found

    def segment(self, node):
        """ast.get_source_segment(self.text, node), with the text split into lines once
        (the ast module splits the whole file again, character by character, on every call)."""
        if getattr(node, "end_lineno", None) is None or getattr(node, "end_col_offset", None) is None:
            return None
        if self._lines is None:
            # Lines as ast splits them: on \r\n, \r and \n only (not form feeds), ends kept.
            self._lines = LINE_RE.findall(self.text)
        first, last = node.lineno - 1, node.end_lineno - 1
        if first == last:
            return self._lines[first].encode()[node.col_offset:node.end_col_offset].decode()
        return "".join(
            [self._lines[first].encode()[node.col_offset:].decode()]
            + self._lines[first + 1:last]
            + [self._lines[last].encode()[:node.end_col_offset].decode()]
        )


LINE_RE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z")


def _within(path, root):
    if os.name != "nt":
        # Both are real, normalized absolute paths: a prefix test says the same as commonpath,
        # without splitting both paths on every call.
        return path == root or path.startswith(root if root.endswith(os.sep) else root + os.sep)
    try:
        return os.path.commonpath([path, root]) == root
    except ValueError:
        return False


class CacheFull(BaseException):
    """The next file would take the cached trees over MAX_HELD_TOKENS while the cache still
    holds files of earlier flows: the current flow (or scan) is run again on an empty cache.
    A BaseException, so that no `except Exception` on the way turns it into a result."""


def file_tokens(text):
    """What parsing `text` may cost, in tokens (see MAX_FILE_TOKENS): a C-speed count, about
    a sixth of the time the file takes to parse and compile."""
    return TOKEN_RE.subn("", text)[1] + len(text) // 64


def fstring_problem(text):
    """Why Python < 3.12 would take too long to parse the f-strings of `text` (see
    MAX_FSTRING_WORK), or None.  Every `{` counts as a field, `{{` too: in a format spec
    (`f"{a:{{b}}{{b}}}"`) each `{{` does start one.  One match per comment or string: at most
    one per two tokens, and the file is under MAX_FILE_TOKENS."""
    work = most = most_at = 0
    for match in FSTRING_SCAN_RE.finditer(text):
        if match.group("f") is not None:
            start, end = match.span()
            fields = text.count("{", start, end)
            work += fields * (end - start)
            if fields > most:
                most, most_at = fields, start
    if most > MAX_FSTRING_FIELDS:
        return FileProblem("an f-string has %d replacement fields, over the static compiler's limit "
                           "of %d per f-string: Python before 3.12 parses it in quadratic time"
                           % (most, MAX_FSTRING_FIELDS), text.count("\n", 0, most_at) + 1)
    if work > MAX_FSTRING_WORK:
        return FileProblem("the file's f-strings have %d replacement fields x characters, over the "
                           "static compiler's limit of %d per file: Python before 3.12 parses each "
                           "in time (its fields) x (its length)" % (work, MAX_FSTRING_WORK))
    return None


class SourceCache:
    def __init__(self, root, max_bytes, realpaths=None):
        self.root = root
        self.max_bytes = max_bytes
        self._files = {}
        # realpath() is a syscall per path component; imports ask for the same paths many times.
        self._real = {} if realpaths is None else realpaths
        self.held = 0  # file_tokens() of the cached files that have a tree
        self.held_before = 0  # of those, what earlier flows (or scans) loaded

    def begin(self):
        """A flow (or scan) starts: what the cache holds now belongs to earlier ones."""
        self.held_before = self.held

    def realpath(self, path):
        real = self._real.get(path)
        if real is None:
            head, tail = os.path.split(path)
            if os.name != "nt" and head and head != path and tail not in ("", ".", ".."):
                # The directory's real path is cached (a repo's files share a few directories);
                # then only the last component can be a link. os.path.realpath would lstat every
                # component of every file again.
                candidate = os.path.join(self.realpath(head), tail)
                real = os.path.realpath(candidate) if os.path.islink(candidate) else candidate
            else:
                real = os.path.realpath(path)
            self._real[path] = real
        return real

    def rel(self, path):
        return os.path.relpath(path, self.root).replace(os.sep, "/")

    def inside(self, path):
        """Real path of `path` if it stays inside root (symlinks resolved), else None."""
        real = self.realpath(path)
        return real if _within(real, self.root) else None

    def load(self, path):
        real = self.realpath(path)
        cached = self._files.get(real)
        if cached is not None:
            return cached
        # Parsing a large file is slow and no evaluator step: a flow that imports many of
        # them is held to its time budget here (nothing is cached before this point).
        BUDGET.check()
        src = SourceFile(real, self.rel(real))
        try:
            text = self._read(real)
            tokens = file_tokens(text)
            if tokens > MAX_FILE_TOKENS:
                # Refused before parsing: parsing it would cost up to ~1 KB per token at once,
                # even if the tree were dropped right after.
                raise FileProblem("file has %d tokens (words, symbols and line breaks; 1 per 64 "
                                  "characters), over the static compiler's limit of %d per file: "
                                  "its syntax tree could take ~%d MB"
                                  % (tokens, MAX_FILE_TOKENS, tokens >> 10))
            problem = fstring_problem(text)
            if problem is not None:
                raise problem
            if self.held + tokens > MAX_HELD_TOKENS:
                if self.held_before:
                    raise CacheFull()
                # Everything cached was loaded for this flow: it needs too much on its own.  Not
                # cached, and the flow is never exact (a budget that ran out).
                BUDGET.exhaust("the files it reads have more than %d tokens together, the most "
                               "syntax trees the static compiler holds at once; %s is not parsed"
                               % (MAX_HELD_TOKENS, src.rel))
            src.text, src.tree = text, self._parse(text, real)
            self.held += tokens
        except FileProblem as problem:
            src.problem = problem
        self._files[real] = src
        return src

    def _read(self, path):
        try:
            size = os.path.getsize(path)
            if size > self.max_bytes:
                raise FileProblem("file is %d bytes, over the %d-byte limit" % (size, self.max_bytes))
            with open(path, "rb") as fh:
                data = fh.read(self.max_bytes + 1)
        except OSError as exc:
            raise FileProblem("cannot read file: %s" % (exc.strerror or exc))
        if len(data) > self.max_bytes:
            raise FileProblem("file is over the %d-byte limit" % self.max_bytes)
        if b"\x00" in data:
            raise FileProblem("file contains NUL bytes (binary file?)", data[: data.index(b"\x00")].count(b"\n") + 1)
        try:
            # UTF-8 unless a PEP 263 coding cookie (or a BOM) says otherwise, like Python.
            encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
        except SyntaxError as exc:
            try:
                data.decode("utf-8")
            except UnicodeDecodeError:
                encoding = "utf-8"  # the first lines are not UTF-8: reported below
            else:
                raise FileProblem("invalid encoding declaration: %s" % exc.msg, exc.lineno)
        try:
            text = data.decode(encoding)
        except (UnicodeDecodeError, LookupError) as exc:
            line = data[: exc.start].count(b"\n") + 1 if isinstance(exc, UnicodeDecodeError) else None
            name = "UTF-8" if encoding in ("utf-8", "utf-8-sig") else encoding
            reason = exc.reason if isinstance(exc, UnicodeDecodeError) else str(exc)
            raise FileProblem("file is not valid %s: %s" % (name, reason), line)
        if text.startswith("\ufeff"):
            text = text[1:]
        return text

    def _parse(self, text, path):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # SyntaxWarnings would go to stderr only
            try:
                tree = compile(text, path, "exec", ast.PyCF_ONLY_AST, dont_inherit=True)
                # Also run the compiler proper: Python reports some errors
                # ('return' outside function, ...) only there, before running anything.
                compile(tree, path, "exec", dont_inherit=True)
            except SyntaxError as exc:
                last = traceback.format_exception_only(type(exc), exc)[-1].rstrip("\n")
                raise FileProblem(last, exc.lineno, python_error=True)
            except (RecursionError, MemoryError, ValueError) as exc:
                raise FileProblem("cannot parse file: %s: %s" % (type(exc).__name__, exc))
        return tree


# ---------------------------------------------------------------------------
# Values produced by the evaluator besides plain constants
# ---------------------------------------------------------------------------

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
                    raise Inexact("*args of %s() cannot be evaluated" % self.kind)
                positional.extend(("value", v) for v in values)
            else:
                positional.append(arg)
        if len(positional) > len(signature):
            raise Inexact("%s() is called with too many positional arguments" % self.kind)
        for name, node in zip(signature, positional):
            bound[name] = node
        for kw in self.call.keywords:
            if kw.arg is None:
                values = evaluate(kw.value, self.scope, EvalCtx())
                if not isinstance(values, dict) or not all(isinstance(k, str) for k in values):
                    raise Inexact("**kwargs of %s() cannot be evaluated" % self.kind)
                items = [(k, ("value", v)) for k, v in values.items()]
            else:
                items = [(kw.arg, kw.value)]
            for name, node in items:
                if name in bound:
                    raise Inexact("%s() gets argument %r twice (TypeError at import)" % (self.kind, name))
                bound[name] = node
        if "name" not in bound:
            raise Inexact("%s() is called without a name (TypeError at import)" % self.kind)
        return bound

    def value(self, name, default=None, ctx=None):
        """Evaluated argument `name` (cached), `default` if not passed."""
        nodes = self.arg_nodes()
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
            raise Inexact("the name of a %s is not a string" % self.kind)
        return value


def is_constant(value):
    return not isinstance(value, Opaque)


# ---------------------------------------------------------------------------
# Modules and name bindings
# ---------------------------------------------------------------------------

UNSET = object()


class BudgetExceeded(Inexact):
    """The current flow's budget (FlowBudget) ran out."""


# Cached Inexact objects are raised again and again (`.with_traceback(None)` at each raise):
# raising the same exception object again prepends to its traceback, which then grows with
# every reader (thousands of parameters reading one failed binding).


class FlowBudget:
    """What one flow (or one scanned file) may spend, however many bindings it evaluates:
    steps, wall-clock time and the total weight of the values it builds or reads.  The server
    is single-threaded and evaluates one flow at a time, so there is one, reset per flow."""

    def __init__(self):
        self.start()

    def start(self):
        self.steps = 0
        self.weight = 0
        self.deadline = time.monotonic() + MAX_FLOW_SECONDS
        self.next_check = CLOCK_EVERY_STEPS
        self.exhausted = None  # the BudgetExceeded, once it ran out: it stays out for this flow

    def check(self):
        """Raises BudgetExceeded when out of steps or time; EvalCtx.tick calls it every
        CLOCK_EVERY_STEPS steps, heavy calls after each call."""
        if self.exhausted is None:
            if self.steps > MAX_FLOW_STEPS:
                self.exhaust("more than %d evaluation steps" % MAX_FLOW_STEPS)
            elif time.monotonic() > self.deadline:
                self.exhaust("more than %g s on this flow, reading and evaluating its files" % MAX_FLOW_SECONDS)
            else:
                self.next_check = self.steps + CLOCK_EVERY_STEPS
                return
        raise self.exhausted.with_traceback(None)

    def charge(self, weight):
        """A value of `weight` was built or read for this flow."""
        self.weight += weight
        if self.weight > MAX_FLOW_WEIGHT:
            self.exhaust("values of a total weight over %d (about characters plus elements)" % MAX_FLOW_WEIGHT)
        if weight >= 10_000:
            self.check()  # building it took a while

    def exhaust(self, what):
        if self.exhausted is None:
            self.exhausted = BudgetExceeded(
                "the static compiler's budget for one flow ran out (%s); "
                "not evaluated further" % what)
            # Every later step raises at once.
            self.next_check = 0
        raise self.exhausted.with_traceback(None)


BUDGET = FlowBudget()


def cacheable_failure():
    """Whether an Inexact may be cached (module bindings, class bases...): not once the flow's
    budget ran out, since that failure belongs to this flow, not to the code evaluated, and
    the same code is read again by the next flow with a budget of its own."""
    return BUDGET.exhausted is None


class EvalCtx:
    """Per-evaluation bookkeeping: work bound, nesting depth, machine taint."""

    def __init__(self):
        self.steps = 0
        self.depth = 0
        # True once the value depends on the absolute location of a file
        # (__file__, os.getcwd()), which differs between machines.
        self.tainted = False

    def tick(self):
        self.steps += 1
        if self.steps > MAX_EVAL_STEPS:
            raise Inexact("expression is too expensive to evaluate statically")
        budget = BUDGET
        budget.steps += 1
        if budget.steps >= budget.next_check:
            budget.check()


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
            raise Inexact("circular reference (import cycle?) at line %d" % self.line)
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
            result = Inexact("nesting too deep at line %d" % self.line)
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
            raise Inexact("tuple unpacking at line %d cannot be evaluated" % self.line)
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
                raise Inexact("cannot import name %r from %s" % (self.name, self.module.qualname))
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
                return DecoratedFunction(self.node, self.module)
            name = value.name if isinstance(value, (MetaflowRef, DecoratorCall)) else None
            known = (name in METAFLOW_STEP_DECORATORS
                     or (isinstance(value, BuiltinRef) and value.name in TRANSPARENT_FUNCTION_DECORATORS))
            if not known:
                return DecoratedFunction(self.node, self.module)
        return DecoratedFunction(self.node, self.module, harmless=True)


class DecoratedFunction(Opaque):
    def __init__(self, node, module, harmless=False):
        self.node = node
        self.module = module
        self.harmless = harmless  # decorated only by known, non-Parameter decorators

    def describe(self):
        return "decorated function %s()" % self.node.name


class UnknownBinding(Binding):
    def __init__(self, index, line, reason):
        super().__init__(index, line)
        self.reason = reason

    def compute(self, ctx):
        raise Inexact(self.reason)


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
                raise Inexact("`from %s import *` is not understood" % target.dotted)
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
                      % (name, self.dotted))


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
        elif hasattr(ast, "MatchAs") and isinstance(n, (ast.MatchAs, ast.MatchStar)) and n.name:
            names.append(n.name)
        elif hasattr(ast, "MatchMapping") and isinstance(n, ast.MatchMapping) and n.rest:
            names.append(n.rest)
        elif isinstance(n, ast.ExceptHandler) and n.name:
            names.append(n.name)
        for child in ast.iter_child_nodes(n):
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
        best = None
        for binding in self.bindings.get(name, ()):
            if before is None or binding.index < before:
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
        # Attribute / subscript targets are mutations, handled by find_monkeypatching.


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
    for node in ast.walk(tree):
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
            raise Inexact("__all__ of %s is not static" % self.qualname)
        return set(value)


# ---------------------------------------------------------------------------
# Scopes
# ---------------------------------------------------------------------------

def guard_mutation(module, name, value):
    """A mutable constant (or Parameter object) changed in place somewhere in the
    module cannot be trusted.  Classes changed at import are caught by
    FlowCompiler.check_monkeypatching; modules are not constants."""
    if isinstance(value, (list, dict, set, ParamSpec)) and name in module.mutated:
        raise Inexact("%r is modified in place in %s, which is not evaluated statically"
                      % (name, module.rel))
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
            raise Inexact("%r is rebound by a function (global %s) in %s" % (name, name, self.module.rel))
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
            raise Inexact("star import inside class %s" % self.info.name)
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


def builtin_value(name, module, ctx):
    if name == "__file__":
        ctx.tainted = True
        return module.path
    if name == "__name__":
        return module.qualname
    if name in SAFE_BUILTINS or name in OTHER_BUILTINS:
        return BuiltinRef(name)
    raise Inexact("name %r is not defined in %s (NameError at import?)" % (name, module.rel))


# ---------------------------------------------------------------------------
# Classes
# ---------------------------------------------------------------------------

FLOWSPEC = MetaflowRef("FlowSpec")
OBJECT = BuiltinRef("object")


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
                self._bases = Inexact("class %s uses class keywords (metaclass=...)" % self.name)
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
                                          % (ast.unparse(base), self.name, describe(value)))
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
                raise Inexact("inheritance cycle involving class %s" % self.name)
            if depth > MAX_CLASS_DEPTH:
                raise Inexact("inheritance chain is longer than %d classes" % MAX_CLASS_DEPTH)
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
                              "(TypeError at import)" % self.name)
            result.append(head)
            for s in sequences:
                if s[0] is head:
                    del s[0]
        if len(result) > MAX_CLASS_DEPTH:
            raise Inexact("inheritance chain of %s is longer than %d classes" % (self.name, MAX_CLASS_DEPTH))
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
                      "(it could be a FlowMutator)" % (ast.unparse(node), self.name))


def describe(value):
    if isinstance(value, Opaque):
        return value.describe()
    return "a %s value" % type(value).__name__


# ---------------------------------------------------------------------------
# Module loading / import resolution
# ---------------------------------------------------------------------------

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
    def __init__(self, sources):
        self.sources = sources
        self.root = sources.root
        self._modules = {}  # (path, qualname, search_paths) -> Module
        self._found = {}  # (name, dirs) -> what _find_in found: every flow imports the same names
        self._classes = {}  # id(ClassDef) per module -> ClassInfo

    def search_paths_for(self, flow_path):
        paths = [os.path.dirname(flow_path)]
        if self.root not in paths:
            paths.append(self.root)
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
                raise Inexact("relative import in %s, which is not in a package" % importer.rel)
            parts = package.split(".")
            if level - 1 > len(parts) - 1:
                raise Inexact("relative import beyond the top-level package in %s" % importer.rel)
            base = parts[: len(parts) - (level - 1)]
            dotted = ".".join(base + ([dotted] if dotted else []))
        top = dotted.split(".")[0]
        if top == "metaflow":
            return MetaflowModuleRef(dotted)
        return self._find(dotted, importer.search_paths)

    def _find(self, dotted, search_paths):
        parts = dotted.split(".")
        found = self._find_top(parts[0], search_paths)
        if found is None or (found[0] == "namespace" and parts[0] in STDLIB):
            # A namespace directory never wins over a regular (stdlib) package.
            return ExternalRef(dotted)
        if parts[0] in STDLIB:
            raise Inexact("repository module %s shadows the standard library module" % parts[0])
        qualname = parts[0]
        current = found
        for part in parts[1:]:
            kind, location = current
            if kind == "module":
                raise Inexact("%s is a module, not a package (cannot import %s)" % (qualname, dotted))
            dirs = location[1] if kind == "package" else location
            nxt = self._find_in(part, dirs)
            qualname += "." + part
            if nxt is None:
                raise Inexact("module %s not found in the repository" % qualname)
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
                    raise Inexact("package %s resolves outside the repository root" % name)
                return ("package", (real, [os.path.dirname(real)]))
            mod = os.path.join(d, name + ".py")
            if os.path.isfile(mod):
                real = self.sources.inside(mod)
                if real is None:
                    raise Inexact("module %s resolves outside the repository root" % name)
                return ("module", real)
            if os.path.isdir(pkg):
                real = self.sources.inside(pkg)
                if real is None:
                    raise Inexact("package %s resolves outside the repository root" % name)
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


# ---------------------------------------------------------------------------
# Expression evaluation (a safe subset of Python)
# ---------------------------------------------------------------------------

def weight(value, cap=MAX_SEQ_LEN, strict=True):
    """Roughly the size of repr(value): elements plus characters, counted through
    shared references (repr follows them too).  Raises Inexact above `cap`, so
    every value the evaluator builds stays small enough to print and compare;
    with strict=False it stops counting there instead."""
    total = 0
    stack = [value]
    while stack:
        v = stack.pop()
        total += 1
        if isinstance(v, (str, bytes)):
            total += len(v)
        elif isinstance(v, dict):
            # A hash table entry costs several list slots.
            total += 2 * len(v)
            stack.extend(v.keys())
            stack.extend(v.values())
        elif isinstance(v, (set, frozenset)):
            total += 2 * len(v)
            stack.extend(v)
        elif isinstance(v, (list, tuple)):
            stack.extend(v)
        elif isinstance(v, int) and not isinstance(v, bool):
            bits = v.bit_length()
            if bits > MAX_INT_BITS and strict:
                raise Inexact("integer is too large to evaluate statically")
            total += bits // 3
        elif isinstance(v, slice):
            stack.extend((v.start, v.stop, v.step))
        elif isinstance(v, BoundMethod):  # `'x' * N .upper` keeps its string
            stack.append(v.obj)
        elif isinstance(v, ConfigExpr):
            stack.extend(v.path)
        if total > cap:
            if not strict:
                return total
            raise Inexact("value is too large to evaluate statically")
    return total


def measure(value):
    """weight() of a value that is already there (a literal of a 2 MB file can be over
    MAX_SEQ_LEN): counted up to the flow's budget, never refused here."""
    return weight(value, MAX_FLOW_WEIGHT, strict=False)


def check_size(value):
    """Every value the evaluator builds passes here: bounded alone, and charged to the flow."""
    BUDGET.charge(weight(value))
    return value


def python_error(exc, what):
    return Inexact("%s raises %s: %s" % (what, type(exc).__name__, exc))


def getattr_value(obj, attr, ctx):
    """`obj.attr` for the values the evaluator knows."""
    if isinstance(obj, ModuleRef):
        return module_attribute(obj.module, attr, ctx)
    if isinstance(obj, NamespacePackage):
        sub = obj.submodule(attr)
        if sub is None:
            raise Inexact("namespace package %s has no module %r" % (obj.qualname, attr))
        return sub if isinstance(sub, Opaque) else ModuleRef(sub)
    if isinstance(obj, MetaflowModuleRef):
        if obj.dotted == "metaflow":
            if attr in METAFLOW_EXPORTS:
                return MetaflowRef(attr)
            sub = "metaflow." + attr
            if sub in METAFLOW_SUBMODULE_EXPORTS:
                return MetaflowModuleRef(sub)
            raise Inexact("metaflow.%s is not understood by the static compiler" % attr)
        exports = METAFLOW_SUBMODULE_EXPORTS.get(obj.dotted, {})
        if attr in exports:
            return MetaflowRef(exports[attr])
        if (obj.dotted + "." + attr) in METAFLOW_SUBMODULE_EXPORTS:
            return MetaflowModuleRef(obj.dotted + "." + attr)
        raise Inexact("%s.%s is not understood by the static compiler" % (obj.dotted, attr))
    if isinstance(obj, ExternalRef):
        return ExternalRef(obj.dotted + "." + attr)
    if isinstance(obj, ClassRef):
        return class_attribute(obj.info, attr, ctx)
    if isinstance(obj, ParamSpec) and obj.kind == "Config":
        if attr == "name":
            return obj.name()
        if attr in CONFIG_OBJECT_ATTRIBUTES or attr.startswith("_"):
            raise Inexact("Config.%s is not evaluated statically" % attr)
        return ConfigExpr(obj, [attr])
    if isinstance(obj, ConfigExpr):
        if attr in DELAY_EVALUATOR_ATTRIBUTES or attr.startswith("_"):
            raise Inexact("config expression .%s is not evaluated statically" % attr)
        return ConfigExpr(obj.spec, obj.path + [attr])
    if isinstance(obj, CtxRef):
        if attr == "flow_name":
            return obj.flow_name
        if attr == "parameter_name":
            return obj.parameter_name
        raise Inexact("deploy-time function reads ctx.%s, which depends on the deploy environment" % attr)
    if is_constant(obj):
        methods = SAFE_METHODS.get(type(obj))
        if methods and attr in methods:
            return BoundMethod(obj, attr)
        if isinstance(obj, complex) and attr in ("real", "imag"):
            return getattr(obj, attr)
    raise Inexact("attribute %r of %s cannot be evaluated statically" % (attr, describe(obj)))


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
    raise Inexact("%s has no attribute %r (ImportError/AttributeError?)" % (module.qualname, attr))


def module_problem(module):
    problem = module.problem
    if problem.python_error:
        return ImportProblem(problem.message, module)
    return Inexact("module %s cannot be read: %s" % (module.rel, problem.message))


class ImportProblem(Inexact):
    """An imported module has a syntax error: the import fails with that error."""

    def __init__(self, message, module):
        super().__init__("module %s has an error: %s" % (module.rel, message))
        self.message = message
        self.module = module


def class_attribute(info, attr, ctx):
    for klass in info.mro():
        if klass is FLOWSPEC:
            if attr in FLOWSPEC_ATTRIBUTES:
                raise Inexact("FlowSpec.%s cannot be evaluated statically" % attr)
            continue
        if klass is OBJECT:
            break
        binding = klass.namespace.latest(attr, None)
        if binding is not None:
            return binding.get(ctx)
    raise Inexact("class %s has no attribute %r" % (info.name, attr))


def check_format_spec(spec):
    """Largest width/precision in a format spec; Inexact when it is too large."""
    widest = 0
    for number in re.findall(r"\d+", spec):
        # len() first: int() of a long digit string is itself quadratic before Python 3.11.
        if len(number) > 6 or int(number) > MAX_FORMAT_WIDTH:
            raise Inexact("format width is too large")
        widest = max(widest, int(number))
    return widest


def check_star_width(value):
    """A `*` width or precision of %-formatting, taken from the arguments."""
    if isinstance(value, int) and abs(value) > MAX_FORMAT_WIDTH:
        raise Inexact("format width is too large")
    return abs(value) if isinstance(value, int) else 0


def check_output_bound(fields, args, widest):
    """A template with `fields` fields formatting `args` stays small enough."""
    largest = max([weight(a) for a in args] + [0])
    if fields * (largest + widest) > MAX_SEQ_LEN:
        raise Inexact("formatted string would be too large to evaluate statically")


def check_format_template(template, args):
    """str.format: no attribute/index access in fields, bounded output."""
    fields = widest = 0
    try:
        for _, field, spec, _conv in string.Formatter().parse(template):
            if field is None:
                continue
            fields += 1
            if any(ch in field for ch in ".["):
                raise Inexact("format field with attribute/index access")
            if spec:
                if "{" in spec:
                    raise Inexact("nested format fields")
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
        raise Inexact("operator %s on %s and %s" % (type(op).__name__, describe(left), describe(right)))
    ctx.tick()
    seq_types = (str, bytes, list, tuple)
    if isinstance(op, ast.Pow) and isinstance(left, int) and isinstance(right, int):
        if abs(left) > 1 and right > 0 and left.bit_length() * right > MAX_INT_BITS:
            raise Inexact("power is too large to evaluate statically")
    if isinstance(op, ast.Mult):
        for a, b in ((left, right), (right, left)):
            if isinstance(a, seq_types) and isinstance(b, int) and len(a) * max(b, 0) > MAX_SEQ_LEN:
                raise Inexact("repeated sequence is too large to evaluate statically")
    if isinstance(op, ast.LShift) and isinstance(right, int) and right > MAX_INT_BITS:
        raise Inexact("shift is too large to evaluate statically")
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
        raise Inexact("operator %s is not supported" % type(op).__name__)
    try:
        result = fn(left, right)
    except Exception as exc:  # the real import would fail with this error
        raise python_error(exc, "expression")
    return check_size(result)


def evaluate(node, scope, ctx):
    ctx.depth += 1
    try:
        if ctx.depth > MAX_EVAL_DEPTH:
            raise Inexact("expression nesting is too deep")
        ctx.tick()
        method = _EVALUATORS.get(type(node))
        if method is None:
            raise Inexact("%s expressions are not evaluated statically (line %d)"
                          % (type(node).__name__, getattr(node, "lineno", 0)))
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
            raise Inexact("%s gets %s, which is not a constant" % (what, describe(v)))
    return values


def _eval_joined_str(node, scope, ctx):
    parts = []
    length = 0
    for value in node.values:
        if length > MAX_SEQ_LEN:
            raise Inexact("f-string is too large to evaluate statically")
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
            raise Inexact("`not` on %s" % describe(operand))
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
                raise Inexact("**unpacking of %s" % describe(value))
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
        raise Inexact("comprehension with several `for` clauses")
    gen = node.generators[0]
    if gen.is_async or not isinstance(gen.target, (ast.Name, ast.Tuple)):
        raise Inexact("comprehension target is not supported")
    iterable = evaluate(gen.iter, scope, ctx)  # evaluated in the enclosing scope
    _constant_args([iterable], "comprehension")
    if not isinstance(node, ast.SetComp):
        check_order_free([iterable], "comprehension")
    try:
        items = list(iterable)
    except Exception as exc:
        raise python_error(exc, "comprehension")
    if len(items) > 10_000:
        raise Inexact("comprehension is too long to evaluate statically")
    parent = scope.function_parent()
    results = []
    for item in items:
        values = {}
        if isinstance(gen.target, ast.Name):
            values[gen.target.id] = item
        else:
            names = gen.target.elts
            if not all(isinstance(n, ast.Name) for n in names):
                raise Inexact("comprehension target is not supported")
            try:
                unpacked = list(item)
            except Exception as exc:
                raise python_error(exc, "comprehension")
            if len(unpacked) != len(names):
                raise Inexact("comprehension unpacking fails (ValueError)")
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
    raise Inexact("generator expressions are not evaluated statically")


def _eval_call(node, scope, ctx):
    func = evaluate(node.func, scope, ctx)
    if isinstance(func, MetaflowRef):
        if func.name in PARAM_SIGNATURES:
            return ParamSpec(func.name, node, scope, scope.module)
        if func.name in METAFLOW_FLOW_DECORATORS or func.name in METAFLOW_STEP_DECORATORS:
            return DecoratorCall(func.name, node, scope)
        raise Inexact("call to metaflow.%s is not evaluated statically" % func.name)
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
                raise Inexact("**kwargs of %s" % describe(value))
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
                          "order depends on PYTHONHASHSEED" % what)


def check_codec(encoding, errors, length):
    """str.encode/bytes.decode/str(b, enc)/bytes(s, enc): allow-listed codecs and error handlers."""
    if isinstance(encoding, str):
        # Python's lookup: lower case, non-alphanumerics to "_", then the alias table.
        norm = encodings.normalize_encoding(encoding).lower()
        aliases = encodings.aliases.aliases
        if aliases.get(norm, aliases.get(norm.replace(".", "_"), norm)) not in SAFE_CODECS:
            raise Inexact("codec %r is not evaluated statically (UTF-8/16/32, ASCII and "
                          "Latin-1 ones are)" % encoding[:40])
    if isinstance(errors, str):
        if errors not in SAFE_CODEC_ERRORS:
            raise Inexact("error handler %r is not evaluated statically" % errors[:40])
        if length * SAFE_CODEC_ERRORS[errors] > 4 * MAX_SEQ_LEN:
            raise Inexact("error handler %r could make the result too large" % errors)


def check_search(text, needle, what):
    if isinstance(text, (str, bytes)) and isinstance(needle, (str, bytes)):
        if len(text) * len(needle) > MAX_SEARCH_WORK:
            raise Inexact("%s of a %d-character string in a %d-character one is too expensive "
                          "to evaluate statically" % (what, len(needle), len(text)))


def check_builtin_call(name, args, kwargs):
    """Bounds of SAFE_BUILTINS calls whose cost is not linear in their arguments' weight."""
    if name in ("sorted", "min", "max") and "key" in kwargs:
        raise Inexact("%s() with key=" % name)
    first = args[0] if args else None
    if name == "bytes" and isinstance(first, int) and first > MAX_SEQ_LEN:
        raise Inexact("bytes() is too large")
    if name == "range":
        try:
            if len(range(*args)) > MAX_SEQ_LEN:
                raise Inexact("range() is too large")
        except (TypeError, ValueError, OverflowError) as exc:
            raise python_error(exc, "range()")
    if name in ("int", "float", "complex") and isinstance(first, (str, bytes)) and len(first) > MAX_INT_DIGITS:
        # int(): quadratic before Python 3.11 (and refused after 4300 digits since).
        raise Inexact("%s() of a string of more than %d characters" % (name, MAX_INT_DIGITS))
    if name in ("str", "bytes") and (len(args) > 1 or kwargs) and isinstance(first, (str, bytes)):
        check_codec(args[1] if len(args) > 1 else kwargs.get("encoding"),
                    args[2] if len(args) > 2 else kwargs.get("errors"), len(first))
    if name == "sorted" and first is not None:
        try:
            count = len(first)
        except TypeError:
            count = 0
        if count > MAX_SORT_ITEMS:
            raise Inexact("sorted() of more than %d items" % MAX_SORT_ITEMS)
    if name == "format" and len(args) > 1 and isinstance(args[1], str):
        check_format_spec(args[1])
    if name == "round" and len(args) > 1 and isinstance(args[1], int) and abs(args[1]) > 1000:
        raise Inexact("round() precision is too large")
    if name == "sum" and not all(isinstance(v, (int, float, complex))
                                 for v in list(first if first is not None else []) + list(args[1:2])):
        raise Inexact("sum() of non-numbers is not evaluated statically")
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
            raise Inexact("join() result is too large")
    if name == "replace" and len(args) > 1 and isinstance(args[1], (str, bytes)):
        if (len(obj) + 1) * max(1, len(args[1])) > MAX_SEQ_LEN:
            raise Inexact("replace() result may be too large")
    if name in ("center", "ljust", "rjust", "zfill") and args and isinstance(args[0], int) and args[0] > MAX_FORMAT_WIDTH:
        raise Inexact("str.%s width is too large" % name)
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
        raise Inexact("value depends on an environment variable (%s)" % func.dotted)
    if isinstance(func, FunctionRef):
        try:
            return call_function(func, args, kwargs, scope, ctx)
        except Inexact as exc:
            raise Inexact("call to %s: %s" % (what, exc.reason))
    raise Inexact("call to %s is not evaluated statically" % what)


def call_external(dotted, args, kwargs, scope, ctx):
    _constant_args(args + list(kwargs.values()), dotted)
    if dotted == "os.getcwd":
        # The real compiler runs with cwd = the flow's directory.
        ctx.tainted = True
        return scope.module.loader.current_flow_dir
    if dotted in ("json.dumps", "json.loads"):
        allowed = {"indent", "sort_keys", "separators", "ensure_ascii"} if dotted == "json.dumps" else set()
        if set(kwargs) - allowed:
            raise Inexact("%s() with unsupported keyword arguments" % dotted)
        indent = kwargs.get("indent")
        if (isinstance(indent, int) and indent > 100) or (isinstance(indent, str) and len(indent) > 100):
            raise Inexact("json.dumps() indent is too large")
        separators = kwargs.get("separators")
        if separators is not None and weight(separators) > 200:
            raise Inexact("json.dumps() separators are too large")
        if dotted == "json.dumps" and args:
            check_json_output(args[0], indent, separators)
        if dotted == "json.loads" and args and isinstance(args[0], (str, bytes)):
            digits = re.search(rb"[0-9]{%d}" % (MAX_INT_DIGITS + 1) if isinstance(args[0], bytes)
                               else r"[0-9]{%d}" % (MAX_INT_DIGITS + 1), args[0])
            if digits:
                raise Inexact("json.loads() of a number of more than %d digits" % MAX_INT_DIGITS)
        fn = json.dumps if dotted == "json.dumps" else json.loads
    else:
        if kwargs:
            raise Inexact("%s() with keyword arguments" % dotted)
        if not all(isinstance(a, str) for a in args):
            raise Inexact("%s() with non-string arguments" % dotted)
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
        raise Inexact("json.dumps() output would be too large to evaluate statically")


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


def is_callable_value(value):
    return isinstance(value, (FunctionRef, ClassRef, BuiltinRef, MetaflowRef, BoundMethod,
                              DecoratedFunction, ExternalRef))


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
            raise Inexact("local variable %r is read before assignment (UnboundLocalError)" % name)
        return self.parent.lookup(name, ctx)


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
        raise Inexact("%s takes *args/**kwargs" % func.describe())
    positional = list(getattr(a, "posonlyargs", [])) + list(a.args)
    if len(args) > len(positional):
        raise Inexact("%s gets too many positional arguments (TypeError)" % func.describe())
    values = {}
    for param, value in zip(positional, args):
        values[param.arg] = value
    posonly = {p.arg for p in getattr(a, "posonlyargs", [])}
    allowed = {p.arg for p in positional} | {p.arg for p in a.kwonlyargs}
    for name, value in kwargs.items():
        if name in values or name not in allowed or name in posonly:
            raise Inexact("%s gets an unexpected or repeated argument %r (TypeError)" % (func.describe(), name))
        values[name] = value
    # Defaults were evaluated where the function was defined.
    defaults = dict(zip([p.arg for p in positional][len(positional) - len(a.defaults):], a.defaults))
    defaults.update({p.arg: d for p, d in zip(a.kwonlyargs, a.kw_defaults) if d is not None})
    for param in positional + list(a.kwonlyargs):
        if param.arg not in values:
            if param.arg not in defaults:
                raise Inexact("%s misses argument %r (TypeError)" % (func.describe(), param.arg))
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
        raise Inexact("call to %s is not evaluated statically" % describe(func))
    if func.nested:
        raise Inexact("%s is not a module-level function" % func.describe())
    if ctx.depth > MAX_EVAL_DEPTH // 2:
        raise Inexact("calls nest too deeply (recursion?)")
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
                          % (type(stmt).__name__.lower(), stmt.lineno))


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
            raise Inexact("`import *` inside a function")
        else:
            base = loader.import_module(stmt.module or "", module, stmt.level)
            scope.values[alias.asname or alias.name] = getattr_value(base, alias.name, ctx)


def call_deploy_time_function(func, flow_name, param_name):
    """Evaluate a deploy-time function the way DeployTimeField.__call__ does:
    fun(ctx, True), falling back to fun(ctx) on TypeError.  It runs after the
    flow module was imported, so it sees the final globals."""
    if not isinstance(func, FunctionRef):
        raise Inexact("default of %r is %s, evaluated at deploy time" % (param_name, describe(func)))
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
        raise Inexact(why + " (it cannot be called with the context: TypeError)")
    ctx = EvalCtx()
    try:
        value = call_function(func, args, {}, ModuleScope(func.module, None), ctx)
    except Inexact as exc:
        raise Inexact(why + " (%s)" % exc.reason)
    if not is_constant(value):
        raise Inexact(why + " (returns %s)" % describe(value))
    if ctx.tainted:
        raise Inexact(why + " (depends on the machine's file paths)")
    return value


# ---------------------------------------------------------------------------
# Flow analysis
# ---------------------------------------------------------------------------

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


def strip_stars(message):
    """Metaflow's echo renders *x* as bold x; the printed text has no stars."""
    return message.replace("*", "")


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
            self.fail(exc.reason)
        self.annotation = None
        self.value = None
        self.help = None
        self.dropped = None
        self.reasons = []
        self.default = UNSET  # deploy-time default as the real compiler sees it

    def fail(self, reason):
        if reason not in self.reasons:
            self.reasons.append(reason)

    def to_json(self):
        return {
            "attribute": self.attribute,
            "name": self.name if self.name is not None else "<unknown>",
            "kind": self.kind,
            "file": self.file, "line": self.line, "declaredType": self.declared_type,
            "annotation": self.annotation, "value": self.value, "help": self.help,
            "dropped": self.dropped, "exact": not self.reasons,
            "reason": "; ".join(self.reasons) if self.reasons else None,
        }


class _ImportFailed(Exception):
    def __init__(self, error):
        super().__init__(error.message)
        self.error = error


class FlowCompiler:
    """Reproduces `dagster create` for one flow class, stage by stage, in the
    order the real compiler runs them, so that the first error wins."""

    def __init__(self, loader, info, job_name_arg):
        self.loader = loader
        self.info = info
        self.flow_name = info.name
        self.job_name_arg = job_name_arg
        # A dict used as an ordered set: a flow can have a reason per attribute, and a list's
        # `in` made tens of thousands of them quadratic.
        self.reasons = {}
        self.params = []  # rendered candidates, in _get_parameters order
        self.dropped = []
        self.job = None

    def fail(self, reason):
        self.reasons[reason] = None

    def run(self):
        """Returns (error FlowError or None)."""
        info = self.info
        error = self.import_time_errors()
        if error:
            return error
        mro = info.mro()
        if FLOWSPEC not in mro:
            raise Inexact("class %s does not derive from metaflow.FlowSpec" % info.name)
        self.mro = [c for c in mro if isinstance(c, ClassInfo)]
        self.check_classes()
        self.collect_parameters()
        for stage in (self.config_errors, self.parameter_init_errors, self.flow_decorator_errors,
                      self.lint_checks, self.job_name, self.missing_defaults, self.deploy_time_values):
            error = stage()
            if error:
                return error
        return None

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
                return FlowError(module.problem.message, None)
            self.fail("module %s cannot be read: %s" % (module.rel, module.problem.message))
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
            self.fail("relative import in %s, which is not in a package" % module.rel)
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
                self.fail("%s:%d: %s" % (module.rel, stmt.lineno, exc.reason))
                continue
            if isinstance(ref, ModuleRef) and names:
                for name in names:
                    error = self._check_from_import(ref.module, name, module, stmt, visited)
                    if error:
                        return error
            if isinstance(ref, MetaflowModuleRef) and ref.dotted == "metaflow" and names:
                for name in names:
                    if name != "*" and name not in METAFLOW_TOPLEVEL_NAMES:
                        self.fail("%s:%d: metaflow has no name %r (ImportError at import)"
                                  % (module.rel, stmt.lineno, name))
        return None

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
            self.fail(exc.reason)
            return None
        if sub is None:
            cycle = " (circular import)" if partial is not None else ""
            self.fail("%s:%d: cannot import name %r from %s%s (ImportError at import)"
                      % (module.rel, stmt.lineno, name, target.qualname, cycle))
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
            self.fail("Config at %s:%d: %s" % (module.rel, stmt.lineno, exc.reason))
        return None

    # -- class-level checks -------------------------------------------------
    def check_classes(self):
        self.decorators = []
        for klass in self.mro:
            try:
                decos = klass.check_decorators(EvalCtx())
            except Inexact as exc:
                self.fail(exc.reason)
                continue
            if decos and not klass.is_flowspec():
                self.fail("flow decorator on %s, which is not a FlowSpec (error at import)" % klass.name)
            for deco in decos:
                self.decorators.append((klass, deco))
                if deco.name in ENV_FLOW_DECORATORS:
                    self.fail(ENV_FLOW_DECORATORS[deco.name])
            if klass.nested:
                self.fail("class %s is not defined at module level" % klass.name)
            if klass.namespace.latest("__init_subclass__", None) is not None:
                self.fail("class %s defines __init_subclass__" % klass.name)
            self.check_class_body(klass)
        names = [d.name for _, d in self.decorators]
        for name in dict.fromkeys(names):  # in order: the reasons must not depend on the hash seed
            if names.count(name) > 1:
                self.fail("@%s is applied more than once in the class hierarchy" % name)
        self.check_monkeypatching()

    def check_class_body(self, klass):
        for stmt in klass.node.body:
            if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call):
                func = stmt.value.func
                if isinstance(func, ast.Name) and func.id in ("locals", "vars", "exec", "eval", "setattr", "globals"):
                    self.fail("class body of %s calls %s()" % (klass.name, func.id))
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
            if name is None:
                self.fail("step %s has decorator @%s, which is not a known Metaflow step decorator "
                          "(it could be a StepMutator)" % (fn.name, ast.unparse(deco)))
            elif name in ENV_STEP_DECORATORS:
                self.fail("step %s uses @%s, which depends on the deploy environment "
                          "(fails with the default local configuration)" % (fn.name, name))
            elif name not in HARMLESS_STEP_DECORATORS:
                self.fail("step %s uses @%s, not reproduced statically" % (fn.name, name))

    def check_monkeypatching(self):
        """Module code that assigns attributes of a class in the MRO changes it."""
        modules = {id(c.module): c.module for c in self.mro}
        modules[id(self.info.module)] = self.info.module
        classes = {id(c) for c in self.mro}
        for module in modules.values():
            for stmt in module.tree.body:
                if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                    continue
                for node in ast.walk(stmt):
                    target = None
                    if isinstance(node, (ast.Attribute, ast.Subscript)) and isinstance(node.ctx, (ast.Store, ast.Del)):
                        target = node.value
                    elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) \
                            and node.func.id in ("setattr", "delattr") and node.args:
                        target = node.args[0]
                    if isinstance(target, ast.Name):
                        try:
                            value = ModuleScope(module, None).lookup(target.id, EvalCtx())
                        except Inexact:
                            continue
                        if isinstance(value, ClassRef) and id(value.info) in classes:
                            self.fail("%s:%d modifies class %s at import"
                                      % (module.rel, node.lineno, value.info.name))

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
                    self.fail("attribute %r of %s: %s" % (attr, klass.name, exc.reason))
                continue
            if isinstance(value, DecoratedFunction) and value.harmless:
                continue
            if isinstance(value, ExternalRef) and value.dotted.split(".")[0] in STDLIB:
                continue  # a standard-library object is never a metaflow Parameter
            if isinstance(value, (ExternalRef, DecoratedFunction)) and skipped is None:
                self.fail("attribute %r of %s is %s, which could be a Parameter"
                          % (attr, klass.name, describe(value)))
                continue
            if not isinstance(value, ParamSpec):
                continue
            param = ParamInfo(attr, value)
            try:
                param.name = value.name()
            except Inexact as exc:
                param.fail(exc.reason)
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
        # Only configs _get_parameters yields are processed (not dropped ones).
        for param in self.params:
            if param.kind != "Config" or param.reasons:
                continue
            try:
                message = self._config_value(param)
            except Inexact as exc:
                param.fail(exc.reason)
                continue
            if message:
                messages.append((param, message))
        if len(messages) == 1:
            param, message = messages[0]
            return FlowError("Error: Bad values passed for configuration options: " + message, param.line)
        if messages:
            for param, _ in messages:
                param.fail("several Config values are invalid; the real message order is not reproduced")
        return None

    def _config_value(self, param):
        """Load the Config value like ConfigInput.process_configs; returns an error
        message or None, and stores the parsed value on the param."""
        spec = param.spec
        name = param.name
        default = spec.value("default")
        default_value = spec.value("default_value")
        plain = spec.value("plain", False)
        if spec.value("parser") is not None:
            raise Inexact("Config %r uses a parser" % name)
        if is_callable_value(default) or is_callable_value(default_value):
            raise Inexact("Config %r has a default computed by a function" % name)
        param.config_value = UNSET
        if default is not None:
            if not isinstance(default, str):
                raise Inexact("Config %r default path is not a string" % name)
            path = self.resolve_path(default, "Config %r default file" % name)
            # The file is a pull request's: parsed JSON takes many times its size in memory, so
            # it is held to the same limit as every source file (maxFileBytes).
            limit = self.loader.sources.max_bytes
            try:
                if os.path.isfile(path) and os.path.getsize(path) > limit:
                    raise Inexact("Config %r default file is over the %d-byte limit (maxFileBytes)" % (name, limit))
                with open(path, "r", encoding="utf-8") as fh:
                    text = fh.read(limit + 1)
                if len(text) > limit:
                    raise Inexact("Config %r default file is over the %d-byte limit (maxFileBytes)" % (name, limit))
            except OSError:
                return "default configuration file '%s' could not be read for '%s'" % (default, name)
            except UnicodeDecodeError:
                raise Inexact("Config %r file is not UTF-8" % name)
        elif default_value is not None:
            if isinstance(default_value, dict):
                try:
                    text = json.dumps(default_value)
                except (TypeError, ValueError):
                    raise Inexact("Config %r default is not JSON-serializable" % name)
            elif isinstance(default_value, str):
                text = default_value
            else:
                raise Inexact("Config %r default_value is %s" % (name, describe(default_value)))
        else:
            if spec.value("required"):
                return "missing configuration for '%s'" % name
            return None
        if plain:
            param.config_value = text
            return None
        try:
            parsed = json.loads(text)
        except json.JSONDecodeError as exc:
            return "configuration value for '%s' is not valid JSON: %s" % (name, exc)
        if not isinstance(parsed, dict):
            raise Inexact("Config %r value is not a JSON object" % name)
        param.config_value = parsed
        return None

    def resolve_path(self, path, what):
        """A file path as the real compiler opens it (cwd = the flow's directory)."""
        if path.startswith("~"):
            raise Inexact("%s %r depends on the home directory" % (what, path))
        full = path if os.path.isabs(path) else os.path.join(os.path.dirname(self.info.module.path), path)
        real = self.loader.sources.inside(full)
        if real is None:
            raise Inexact("%s %r is outside the repository root" % (what, path))
        return real

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
                for field in ("show_default", "separator", "required"):
                    if is_callable_value(spec.value(field)):
                        return FlowError("Parameter %s: Field '%s' cannot have a function as its value"
                                         % (name, field), param.line)
                separator = spec.value("separator")
                if separator and not self._is_string_type(param):
                    return FlowError(strip_stars("Parameter *%s*: Separator is only allowed for string "
                                                 "parameters." % name), param.line)
            except Inexact as exc:
                param.fail(exc.reason)
        return None

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
            raise Inexact("%s of %r is a %s object" % (field, param.name, value.kind))
        return value

    def config_lookup(self, expr):
        spec = expr.spec
        config = None
        for candidate in self.params + self.dropped:
            if candidate.spec is spec:
                config = candidate
        if config is None:
            raise Inexact("Config expression refers to a Config that is not part of the flow")
        value = getattr(config, "config_value", UNSET)
        if value is UNSET or isinstance(value, str):
            raise Inexact("Config expression on Config %r, whose value is not known" % config.name)
        for key in expr.path:
            if isinstance(value, dict) and key in value:
                value = value[key]
            else:
                raise Inexact("Config expression %s.%s cannot be resolved"
                              % (config.name, ".".join(map(str, expr.path))))
        return value  # already plain JSON types: ConfigValue.to_dict() gives the same

    # -- stage: flow decorators initialised at CLI start ----------------------
    def flow_decorator_errors(self):
        for klass, deco in self.decorators:
            if deco.name != "project":
                continue
            try:
                attrs = self._decorator_attributes(deco)
            except Inexact as exc:
                self.fail("@project: %s" % exc.reason)
                continue
            unknown = set(attrs) - {"name", "branch", "production"}
            if unknown:
                self.fail("@project gets unsupported attributes %s (error at import)" % sorted(unknown))
                continue
            name = attrs.get("name")
            line = klass.line
            if not name:
                return FlowError("@project needs a name. Try @project(name='some_name')", line)
            if not isinstance(name, str):
                self.fail("@project name is not a string")
                continue
            if PROJECT_INVALID_RE.search(name):
                return FlowError("The @project name must contain only lowercase alphanumeric "
                                 "characters and underscores.", line)
            if len(name) > PROJECT_MAX_LEN:
                return FlowError("The @project name must be shorter than %d characters." % PROJECT_MAX_LEN, line)
            branch = attrs.get("branch")
            if branch:
                if not isinstance(branch, str):
                    self.fail("@project branch is not a string")
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
            raise Inexact("positional decorator arguments")
        attrs = {}
        for kw in deco.call.keywords:
            if kw.arg is None:
                raise Inexact("**kwargs in decorator arguments")
            value = evaluate(kw.value, deco.scope, EvalCtx())
            if isinstance(value, ConfigExpr):
                value = self.config_lookup(value)
            elif not is_constant(value):
                raise Inexact("decorator argument %s is %s" % (kw.arg, describe(value)))
            attrs[kw.arg] = value
        return attrs

    # -- stage: graph lint (only the start/end requirement) -------------------
    def lint_checks(self):
        """Only the start/end requirement of Metaflow's graph lint is checked.
        metaflow-dagster looks the steps up by name: @step(start=True) on a
        step with another name fails there (KeyError: 'start')."""
        steps = set()
        for klass in self.mro:
            for stmt in klass.node.body:
                if isinstance(stmt, ast.FunctionDef) and self._is_step(klass, stmt):
                    steps.add(stmt.name)
        for name in ("start", "end"):
            if name not in steps:
                self.fail("no @step named %r: the real compiler's graph validation "
                          "fails (not reproduced)" % name)
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
                param.fail(exc.reason)
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
                param.fail(exc.reason)
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
                          % (param.name, describe(default)))
        if is_callable_value(default):
            # DeployTimeField returns str(...) or JSON: best effort until evaluated.
            param.annotation = "str"
            value = call_deploy_time_function(default, self.flow_name, param.name)
            return self._check_deploy_time_type(param, value)
        if not is_constant(default):
            raise Inexact("default of %r is %s" % (param.name, describe(default)))
        if ctx.tainted:
            raise Inexact("default of %r depends on the machine's file paths" % param.name)
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
                raise Inexact("deploy-time default of %r is not JSON-serializable" % param.name)
        param.default = value
        return None

    def _include_file(self, param, default):
        """IncludeFile: the default file is uploaded and rendered as its descriptor."""
        name = param.name
        if is_callable_value(default):
            raise Inexact("IncludeFile %r default is computed by a function at deploy time" % name)
        if not isinstance(default, str):
            raise Inexact("IncludeFile %r default is %s" % (name, describe(default)))
        if default.startswith("{") or default.startswith('"{'):
            raise Inexact("IncludeFile %r default is an upload descriptor" % name)
        if default.find("://") > 0:
            raise Inexact("IncludeFile %r default is a URL (rejected by Metaflow)" % name)
        path = self.resolve_path(default, "IncludeFile %r default" % name)
        if not os.path.exists(path) or os.path.isdir(path):
            return FlowError("metaflow._vendor.click.exceptions.BadParameter: IncludeFile: could not "
                             "open file '%s' for reading" % default, param.line)
        if not os.path.isfile(path) or not os.access(path, os.R_OK):
            raise Inexact("IncludeFile %r default is not a readable regular file" % name)
        if os.path.getsize(path) > MAX_INCLUDE_BYTES:
            raise Inexact("IncludeFile %r default is too large to hash here" % name)
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
            raise Inexact("IncludeFile %r is_text/encoding are not JSON-serializable" % name)
        return None

    # -- rendering (DagsterCompiler._render_config_class) ----------------------
    def render(self):
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
                      "delimited by the first empty line")
        return text.split("\n")

    def _render_param(self, param):
        try:
            help_value = param.spec.value("help")
            if isinstance(help_value, ConfigExpr):
                help_value = self.config_lookup(help_value)
            if not is_constant(help_value):
                raise Inexact("help of %r is %s" % (param.name, describe(help_value)))
            # f"  # {p['help']}" -> format(help, "")
            param.help = format(help_value, "") if help_value else None
        except Inexact as exc:
            param.fail(exc.reason)
            param.help = "<unknown>"
        default = param.default
        if default is UNSET:
            return
        if hash_order_dependent(default):
            param.fail("default of %r is a set of strings; its order depends on PYTHONHASHSEED" % param.name)
        annotation = type(default).__name__ if default is not None else "str"
        value = default if annotation != "str" else (str(default) if default is not None else "")
        param.annotation = annotation
        try:
            param.value = repr(value)
        except ValueError as exc:  # e.g. int too large to print
            param.fail("repr() of the default fails: %s" % exc)


# ---------------------------------------------------------------------------
# Scan: flow classes and the __main__ class of a file
# ---------------------------------------------------------------------------

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


# ---------------------------------------------------------------------------
# Protocol
# ---------------------------------------------------------------------------

class RequestError(Exception):
    pass


class StaticCompiler:
    def __init__(self, root, max_bytes):
        self.root = os.path.realpath(root)
        self.max_bytes = max_bytes
        self.sources = SourceCache(self.root, max_bytes)
        self.loader = Loader(self.sources)
        self.loader.current_flow_dir = self.root

    def reset(self):
        """Forget every parsed file and module (what a file's path resolves to stays known).
        All at once, never one module: cached values of one module refer to others (ModuleRef,
        ClassRef), and a module parsed again next to them would be a second copy of the same
        classes."""
        self.sources = SourceCache(self.root, self.max_bytes, self.sources._real)
        self.loader = Loader(self.sources)
        self.loader.current_flow_dir = self.root
        # Modules refer to their bindings and back, and the server runs without the cycle
        # collector: without this the trees would never be freed.
        gc.collect()

    def _entry(self, run, arg):
        """`run(arg)` (one scan or compile) with the cached trees under MAX_HELD_TOKENS: when a
        file it needs does not fit next to those of earlier entries, it runs again on an empty
        cache, with a fresh step budget and the same deadline (so its result does not depend on
        what ran before it in this process)."""
        BUDGET.start()
        self.sources.begin()
        try:
            return run(arg)
        except CacheFull:
            pass
        deadline = BUDGET.deadline
        self.reset()
        BUDGET.start()
        BUDGET.deadline = deadline
        self.sources.begin()
        return run(arg)  # no CacheFull on an empty cache: its own files exhaust the budget

    def scan(self, rel):
        return self._entry(self._scan, rel)

    def compile(self, request):
        return self._entry(self._compile, request)

    def flow_path(self, rel):
        """Absolute real path of a request path; FileProblem if outside root."""
        if os.path.isabs(rel):
            raise FileProblem("path must be relative to root")
        full = os.path.join(self.root, rel)
        real = self.sources.inside(full)
        if real is None:
            raise FileProblem("path is outside the root (or a symlink leading out of it)")
        return real

    def main_module(self, rel):
        module = self.loader.main_module(self.flow_path(rel))
        if module.problem is not None:
            raise module.problem
        return module

    def _scan(self, rel):
        entry = {"file": rel, "error": None, "errorLine": None, "flowClasses": [],
                 "mainClass": None, "mainLine": None, "isFlowFile": False}
        try:
            module = self.main_module(rel)
            self.loader.current_flow_dir = os.path.dirname(module.path)
            entry["flowClasses"] = flow_classes(module)
            info, line, _doubt = find_main_call(module)
            if info is not None:
                entry["mainClass"] = info.name
                entry["mainLine"] = line
                entry["isFlowFile"] = True
        except FileProblem as problem:
            entry["error"] = problem.message
            entry["errorLine"] = problem.line
        except RecursionError:
            entry["error"] = "internal error in the static compiler: nesting too deep"
        except Exception as exc:  # one bad file never stops the others
            entry["error"] = "internal error in the static compiler: %s: %s" % (type(exc).__name__, exc)
        if BUDGET.exhausted is not None and entry["error"] is None:
            # What was found may be incomplete (a class base that was not resolved...).
            entry["error"] = BUDGET.exhausted.reason
        return entry

    def _compile(self, request):
        rel = request["flowFile"]
        result = {"flowFile": rel, "flowClass": request.get("flowClass"), "job": None,
                  "exact": False, "reason": None, "error": None, "errorLine": None,
                  "configClass": None, "parameters": []}
        compiler = None
        try:
            module = self.main_module(rel)
            self.loader.current_flow_dir = os.path.dirname(module.path)
            info = self.select_class(module, request.get("flowClass"))
            result["flowClass"] = info.name
            compiler = FlowCompiler(self.loader, info, request.get("jobName"))
            error = compiler.run()
            self.finish(result, compiler, error)
        except FlowProblem as problem:
            result["error"] = problem.message
            result["reason"] = "not a real compiler message: " + problem.message
        except FileProblem as problem:
            result["error"] = problem.message
            result["errorLine"] = problem.line
            result["exact"] = problem.python_error
            if not problem.python_error:
                result["reason"] = "the real compiler's message for this file is not reproduced"
        except Inexact as exc:
            result["reason"] = exc.reason
            result["exact"] = False
            if compiler is not None:
                result["parameters"] = [p.to_json() for p in compiler.params + compiler.dropped]
        except RecursionError:
            result["error"] = "internal error in the static compiler: nesting too deep"
            result["reason"] = result["error"]
        except Exception as exc:
            result["error"] = "internal error in the static compiler: %s: %s" % (type(exc).__name__, exc)
            result["reason"] = result["error"]
            traceback.print_exc(file=sys.stderr)
        budget = BUDGET.exhausted
        if budget is not None:
            # A stage that treats "unknown" as "not there" may have swallowed it: never exact.
            result["exact"] = False
            if budget.reason not in (result["reason"] or ""):
                result["reason"] = "; ".join(r for r in (result["reason"], budget.reason) if r)
        return result

    def select_class(self, module, name):
        if name is None:
            info, _, _doubt = find_main_call(module)
            if info is None:
                raise FlowProblem('no FlowSpec subclass is run under if __name__ == "__main__"')
            return info
        try:
            value = ModuleScope(module, None).lookup(name, EvalCtx())
        except Inexact as exc:
            raise FlowProblem("class %s not found in %s: %s" % (name, module.rel, exc.reason))
        if not isinstance(value, ClassRef):
            raise FlowProblem("%s in %s is not a class" % (name, module.rel))
        return value.info

    def finish(self, result, compiler, error):
        if error is not None:
            result["error"] = error.message
            result["errorLine"] = error.line
        else:
            result["job"] = compiler.job
            if compiler.params:
                result["configClass"] = compiler.render()
        # Dropped parameters never reach the output, so only rendered ones count.
        # On an error, an inexact parameter could still have failed first in the
        # real compiler: count them too (conservative).
        reasons = {}  # a dict, in order: a list's `in` made thousands of reasons quadratic
        for param in [None] + compiler.params:
            for reason in compiler.reasons if param is None else param.reasons:
                if param is not None and repr(param.name) not in reason:
                    reason = "parameter %r: %s" % (param.name if param.name is not None else param.attribute, reason)
                reasons[reason] = None
        result["exact"] = not reasons
        result["reason"] = "; ".join(reasons) if reasons else None
        result["parameters"] = [p.to_json() for p in compiler.params + compiler.dropped]


class FlowProblem(FileProblem):
    """A per-flow problem (no main class, unknown class): not a real compiler message."""


def parse_request(raw):
    try:
        request = json.loads(raw)
    except ValueError as exc:
        raise RequestError("request is not valid JSON: %s" % exc)
    if not isinstance(request, dict):
        raise RequestError("request must be a JSON object")
    root = request.get("root")
    if not isinstance(root, str) or not os.path.isabs(root):
        raise RequestError("root must be an absolute path")
    if not os.path.isdir(root):
        raise RequestError("root is not a directory: %s" % root)
    scan = request.get("scan", [])
    if not isinstance(scan, list) or not all(isinstance(s, str) for s in scan):
        raise RequestError("scan must be a list of paths")
    compile_list = request.get("compile", [])
    if not isinstance(compile_list, list):
        raise RequestError("compile must be a list")
    for entry in compile_list:
        if not isinstance(entry, dict) or not isinstance(entry.get("flowFile"), str):
            raise RequestError("each compile entry needs a flowFile string")
        for key in ("flowClass", "jobName"):
            if entry.get(key) is not None and not isinstance(entry.get(key), str):
                raise RequestError("%s must be a string or null" % key)
    max_bytes = request.get("maxFileBytes", DEFAULT_MAX_FILE_BYTES)
    if not isinstance(max_bytes, int) or isinstance(max_bytes, bool) or max_bytes <= 0:
        raise RequestError("maxFileBytes must be a positive integer")
    return root, scan, compile_list, max_bytes, request.get("progress") is True


class Progress:
    """`{"protocol": 1, "progress": <entries done>}` lines, at most one a second, while a
    --serve request runs: the caller's deadline is then one for the next sign of life (every
    entry has its own bounded budget), not one for the whole request."""

    def __init__(self, out):
        self.out = out
        self.done = 0
        self.last = time.monotonic()

    def __call__(self):
        self.done += 1
        now = time.monotonic()
        if now - self.last >= 1.0:
            self.last = now
            self.out.write(json.dumps({"protocol": PROTOCOL, "progress": self.done}) + "\n")
            self.out.flush()


def answer(compiler_for, text, out=None):
    """One request in, one response object out (see the module docstring); progress lines go
    to `out` when the request asks for them."""
    root, scan, compile_list, max_bytes, wants_progress = parse_request(text)
    compiler = compiler_for(root, max_bytes)
    progress = Progress(out) if wants_progress and out is not None else (lambda: None)
    files = []
    for rel in scan:
        files.append(compiler.scan(rel))
        progress()
    results = []
    for entry in compile_list:
        results.append(compiler.compile(entry))
        progress()
    return {"protocol": PROTOCOL, "files": files, "results": results}


def main(argv):
    if sys.version_info < (3, 9):
        # Older versions parse this file but lack parts of ast it needs; say so once, instead of
        # an internal error per flow.
        sys.stderr.write("mfdag_static needs Python 3.9 or newer; %s is Python %d.%d\n"
                         % (sys.executable, sys.version_info[0], sys.version_info[1]))
        return 2
    # Deep (but bounded) hierarchies and import chains recurse; stay well below
    # what the C stack allows.
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))
    compilers = {}

    def compiler_for(root, max_bytes):
        # --serve keeps one compiler per root, so a file parsed for discovery is
        # not read and parsed again when the same process compiles it.
        key = (root, max_bytes)
        if key not in compilers:
            compilers[key] = StaticCompiler(root, max_bytes)
        return compilers[key]

    if "--serve" in argv:
        # One JSON request per line in, one JSON response per line out, until EOF.
        # No cycle collection in a server: it lives for one check, and a request builds
        # thousands of syntax trees that stay cached, which every full collection walked again
        # (a third of a 1000-flow request's time, and half a second per collection after it).
        # The trees hold no cycles; the little cyclic garbage there is goes with the process.
        gc.disable()
        sys.stdout.write(json.dumps({"protocol": PROTOCOL, "ready": True, "executable": sys.executable or None}) + "\n")
        sys.stdout.flush()
        for line in sys.stdin:
            if not line.strip():
                continue
            try:
                response = answer(compiler_for, line, sys.stdout)
            except RequestError as exc:
                response = {"protocol": PROTOCOL, "requestError": str(exc)}
            sys.stdout.write(json.dumps(response, ensure_ascii=True) + "\n")
            sys.stdout.flush()
        # Tearing down the cached trees one object at a time takes longer than a request; the
        # answers are written and flushed, and nothing else is open.
        sys.stderr.flush()
        os._exit(0)
    try:
        response = answer(compiler_for, sys.stdin.read())
    except RequestError as exc:
        sys.stderr.write("mfdag_static: %s\n" % exc)
        return 2
    sys.stdout.write(json.dumps(response, ensure_ascii=True))
    sys.stdout.write("\n")
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
