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
`python3 -I -S -B python/mfdag_static.py` (the launcher of this package) reads ONE JSON request on stdin and writes
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
     "importRoots": [".", "src"],              # optional: PYTHONPATH after the flow's dir
     "discover": false,                         # optional: "scan" lists every file of the repo
                                                #   that is not a definitions file: see below
     "progress": false}                         # optional, --serve only: see below

Response::

    {"protocol": 1,
     "files": [            # one per "scan" entry, same order
       {"file", "error", "errorKind", "errorLine",  # errorKind only with an error
        "flowClasses": [{"name", "line"}],  # classes deriving from metaflow.FlowSpec
        "mainClass", "mainLine",            # FlowSpec subclass called under __main__
        "isFlowFile",                       # mainClass is not null
        "skipped", "textError"}],           # with "discover" only, see below
     "results": [          # one per "compile" entry, same order
       {"flowFile", "flowClass", "job", "exact", "reason", "reasonKind",
        "error", "errorKind", "errorLine",  # the real compiler's last output line
        "configClass": null | [lines],      # null when no parameters or on error
        "parameters": [{"attribute", "name", "kind", "file", "line",
                        "declaredType", "annotation", "value", "help",
                        "dropped", "exact", "reason", "reasonKind"}]}]}

With `"discover": true` each file is read once, here, and scanned only when it could be a flow
(UTF-8 text that mentions FlowSpec or __main__): any other file's entry has `"skipped": true`, and
one that looks like a flow or a definitions file but is cut at maxFileBytes, holds NUL bytes or is
not UTF-8 has `"textError": true` with mfdag's message in `error` (server.discovery_verdict).

Fields: `reasonKind` / `errorKind` name the kind (outcomes.OutcomeKind: "budget", "limit",
"unsupported"...) of the first reason / of the error, null when there is none.  `errorLine` is a line of the flow file (null when the error is in
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
  * configClass is the rendered block split on "\n" only; a help text that
    would put an empty line inside the block makes the result inexact.

Layout (each module imports only the ones above it; loader and evaluator import each other)
------
  facts      what metaflow / metaflow-dagster do: reserved names, decorators, public names
  outcomes   OutcomeKind, and the exceptions that carry an outcome (Inexact, FlowError...)
  values     the value model (ModuleRef, ClassRef, FunctionRef, ConfigExpr...)
  bounds     limits, the per-flow budget (FlowBudget) and value weights
  sources    SourceCache: files read, pre-scanned (tokens, f-strings) and parsed once
  loader     bindings, namespaces, scopes, classes, module resolution   } one cycle:
  evaluator  expressions, calls, deploy-time functions, ParamSpec         } they recurse
  scan       flow classes and the __main__ class of a file
  checks     FlowChecks: class/decorator/@project/lint/job-name stages of FlowCompiler
  flows      FlowCompiler: parameters, Config values, defaults, rendering
  server     StaticCompiler, the request/response protocol, main()
"""
