"""The protocol: one JSON request in, one JSON response out (one-shot or --serve), see __init__.py."""

import gc
import json
import os
import sys
import time
import traceback

from .facts import GENERATORS
from .outcomes import CacheFull, FileProblem, FlowProblem, Inexact, OutcomeKind
from .values import ClassRef
from .bounds import BUDGET, DEFAULT_MAX_FILE_BYTES, EvalCtx
from .sources import SourceCache
from .loader import Loader, ModuleScope
from .scan import find_main_call, flow_classes
from .flows import FlowCompiler
from .job import DeployOptions


PROTOCOL = 1


class RequestError(Exception):
    pass


class StaticCompiler:
    def __init__(self, root, max_bytes, import_roots=(".",)):
        self.root = os.path.realpath(root)
        self.max_bytes = max_bytes
        # Repo-relative (validated by parse_request) to absolute, in order.
        self.import_roots = tuple(os.path.normpath(os.path.join(self.root, rel)) for rel in import_roots)
        self.sources = SourceCache(self.root, max_bytes)
        self.loader = Loader(self.sources, self.import_roots)
        self.loader.current_flow_dir = self.root

    def reset(self):
        """Forget every parsed file and module (what a file's path resolves to stays known).
        All at once, never one module: cached values of one module refer to others (ModuleRef,
        ClassRef), and a module parsed again next to them would be a second copy of the same
        classes."""
        self.sources = SourceCache(self.root, self.max_bytes, self.sources._real)
        self.loader = Loader(self.sources, self.import_roots)
        self.loader.current_flow_dir = self.root
        # Modules refer to their bindings and back, and the server runs without the cycle
        # collector: without this the trees would never be freed.
        gc.collect()

    def _entry(self, run, arg):
        """`run(arg)` (one scan or compile) with the cached trees under MAX_HELD_TOKENS: when a
        file it needs does not fit next to those of earlier entries, it runs again on an empty
        cache, with a fresh step budget and the same deadline, moved by the time the emptying took
        (so its result does not depend on what ran before it in this process)."""
        BUDGET.start()
        self.sources.begin()
        try:
            return run(arg)
        except CacheFull:
            pass
        deadline = BUDGET.deadline
        emptied = time.monotonic()
        self.reset()
        BUDGET.start()
        # Emptying the cache frees the trees of every earlier flow (seconds for thousands, more on
        # a busy machine): that time is not this flow's, so its deadline moves by as much.
        BUDGET.deadline = deadline + (time.monotonic() - emptied)
        self.sources.begin()
        return run(arg)  # no CacheFull on an empty cache: its own files exhaust the budget

    def scan(self, rel):
        return self._entry(self._scan, rel)

    def discover(self, rel):
        """A file of the repo's listing that is not a definitions file (mfdag's discovery read its
        first bytes): read it once, here, and scan it when it could be a flow.  Which files count
        and what an unreadable one is told are mfdag's rules (src/core/discovery.ts), applied to
        the same bytes, so moving the read into this process changes no result."""
        try:
            real = self.flow_path(rel)
            with open(real, "rb") as fh:
                size = os.fstat(fh.fileno()).st_size
                data = fh.read(self.max_bytes)
        except (OSError, FileProblem):
            # Not readable after all: the scan says why, the way it always did.
            return self.scan(rel)
        verdict = discovery_verdict(rel, data, size, self.max_bytes)
        if verdict is not None:
            return dict(_not_a_flow(rel), **verdict)
        # The bytes are the file's: the scan parses them without reading the file again.
        sources = self.sources
        sources.prime(real, data)
        try:
            return self.scan(rel)
        finally:
            sources.unprime(real)  # taken by the scan, unless it stopped before reading

    def compile(self, request):
        return self._entry(self._compile, request)

    def flow_path(self, rel):
        """Absolute real path of a request path; FileProblem if outside root."""
        if os.path.isabs(rel):
            raise FileProblem("path must be relative to root", kind=OutcomeKind.IO)
        full = os.path.join(self.root, rel)
        real = self.sources.inside(full)
        if real is None:
            raise FileProblem("path is outside the root (or a symlink leading out of it)", kind=OutcomeKind.IO)
        return real

    def main_module(self, rel):
        module = self.loader.main_module(self.flow_path(rel))
        if module.problem is not None:
            raise module.problem
        return module

    def _scan(self, rel):
        entry = _not_a_flow(rel)
        kind = None
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
            kind = problem.kind.value
            entry["errorLine"] = problem.line
        except RecursionError:
            entry["error"] = "internal error in the static compiler: nesting too deep"
            kind = OutcomeKind.COMPILER_ERROR.value
        except Exception as exc:  # one bad file never stops the others
            entry["error"] = "internal error in the static compiler: %s: %s" % (type(exc).__name__, exc)
            kind = OutcomeKind.COMPILER_ERROR.value
        if BUDGET.exhausted is not None and entry["error"] is None:
            # What was found may be incomplete (a class base that was not resolved...).
            entry["error"] = BUDGET.exhausted.reason
            kind = OutcomeKind.BUDGET.value
        if kind is not None:
            # Only next to an error: an entry without one keeps exactly its old fields.
            entry = dict(entry, errorKind=kind)
        return entry

    def _compile(self, request):
        rel = request["flowFile"]
        result = {"flowFile": rel, "flowClass": request.get("flowClass"), "job": None,
                  "exact": False, "reason": None, "reasonKind": None, "error": None, "errorKind": None,
                  "errorLine": None,
                  "configClass": None, "parameters": [],
                  "jobModel": None, "jobInexact": [], "jobLints": [], "jobSources": None}
        compiler = None
        try:
            module = self.main_module(rel)
            self.loader.current_flow_dir = os.path.dirname(module.path)
            info = self.select_class(module, request.get("flowClass"))
            result["flowClass"] = info.name
            options = DeployOptions(request.get("generator") or "0.3.7", request.get("topArgs") or [],
                                    request.get("args") or [], request.get("jobName"))
            compiler = FlowCompiler(self.loader, info, request.get("jobName"), options)
            compiler.main_module = module  # the flow file: its __main__ block runs (checks.check_main_block)
            error = compiler.run()
            self.finish(result, compiler, error)
            self.finish_job(result, compiler, error)
        except FlowProblem as problem:
            result["error"] = problem.message
            result["errorKind"] = result["reasonKind"] = problem.kind.value
            result["reason"] = "not a real compiler message: " + problem.message
        except FileProblem as problem:
            result["error"] = problem.message
            result["errorKind"] = problem.kind.value
            result["errorLine"] = problem.line
            result["exact"] = problem.python_error
            if not problem.python_error:
                result["reason"] = "the real compiler's message for this file is not reproduced"
                result["reasonKind"] = OutcomeKind.NOT_REPRODUCED.value
        except Inexact as exc:
            result["reason"] = exc.reason
            result["reasonKind"] = exc.kind.value
            result["exact"] = False
            result["jobInexact"] = [{"part": "graph", "step": None, "reason": exc.reason}]
            if compiler is not None:
                result["parameters"] = [p.to_json() for p in compiler.params + compiler.dropped]
        except RecursionError:
            result["error"] = "internal error in the static compiler: nesting too deep"
            result["reason"] = result["error"]
            result["errorKind"] = result["reasonKind"] = OutcomeKind.COMPILER_ERROR.value
        except Exception as exc:
            result["error"] = "internal error in the static compiler: %s: %s" % (type(exc).__name__, exc)
            result["reason"] = result["error"]
            result["errorKind"] = result["reasonKind"] = OutcomeKind.COMPILER_ERROR.value
            traceback.print_exc(file=sys.stderr)
        if compiler is not None:
            # The compiler and its job analysis refer to each other, and the server runs without
            # the cycle collector: without this, every flow's analysis would stay for the check.
            compiler.analysis = None
        budget = BUDGET.exhausted
        if budget is not None:
            # A stage that treats "unknown" as "not there" may have swallowed it: never exact.
            result["exact"] = False
            if budget.reason not in (result["reason"] or ""):
                result["reason"] = "; ".join(r for r in (result["reason"], budget.reason) if r)
                result["reasonKind"] = result["reasonKind"] or OutcomeKind.BUDGET.value
        return result

    def finish_job(self, result, compiler, error):
        """The job model (jobModel, jobInexact, jobLints, jobSources) after the Config class: none
        when the flow is refused (the error is the answer)."""
        analysis = compiler.analysis
        if analysis is None:
            if error is None:
                result["jobInexact"] = [{"part": "graph", "step": None, "reason": "the flow was not analysed"}]
            return
        if analysis.steps:
            result["jobSources"] = analysis.sources()
        if error is not None:
            return
        try:
            model = analysis.build()
        except Inexact as exc:
            model = None
            analysis.unsure("graph", None, exc.reason)
        if model is not None and BUDGET.exhausted is not None:
            model = None
            analysis.unsure("graph", None, BUDGET.exhausted.reason)
        result["jobModel"] = model
        result["jobInexact"] = analysis.inexact
        result["jobLints"] = analysis.lints

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
            result["errorKind"] = error.kind.value
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
            pairs = compiler.reasons.items() if param is None else zip(param.reasons, param.kinds)
            for reason, kind in pairs:
                if param is not None and repr(param.name) not in reason:
                    reason = "parameter %r: %s" % (param.name if param.name is not None else param.attribute, reason)
                reasons.setdefault(reason, kind)
        result["exact"] = not reasons
        result["reason"] = "; ".join(reasons) if reasons else None
        result["reasonKind"] = next(iter(reasons.values())).value if reasons else None
        result["parameters"] = [p.to_json() for p in compiler.params + compiler.dropped]


def _not_a_flow(rel):
    """A scan entry that found nothing (yet)."""
    return {"file": rel, "error": None, "errorLine": None, "flowClasses": [],
            "mainClass": None, "mainLine": None, "isFlowFile": False}


# What mfdag's discovery (src/core/discovery.ts) looks for, and how it tells a file that looks like
# a flow or a definitions file but cannot be read as text.
_DEFINITIONS_HEADER = "Dagster definitions generated by metaflow-dagster."
# JavaScript's String.prototype.trimStart() within Latin-1 (str.lstrip() also strips \x1c-\x1f, \x85).
_JS_SPACE = "\t\n\x0b\x0c\r \xa0"


def _looks_like_flow(text):
    return "__main__" in text or "FlowSpec" in text


def _looks_like_definitions(loose):
    """isDefinitionsText (src/core/definitions.ts) of a file's bytes read as Latin-1, which holds
    no BOM character: only blank space comes before the header."""
    start = loose.lstrip(_JS_SPACE)
    return start.startswith('"""') and start[3:].lstrip(_JS_SPACE).startswith(_DEFINITIONS_HEADER)


def discovery_verdict(rel, data, size, max_bytes):
    """None when the file is to be scanned (UTF-8 text that mentions FlowSpec or __main__), else
    the scan entry's extra fields: `skipped` for any other file, or the `error` (`textError`) of a
    file that looks like a flow or a definitions file but is cut at the byte limit, holds NUL bytes
    or is not UTF-8 (mfdag's own messages: its reader checked these before a file reached here)."""
    text = None
    if size <= len(data) and b"\0" not in data:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            text = None
    if text is not None:
        return None if _looks_like_flow(text) else {"skipped": True}
    loose = data.decode("latin-1")
    if not _looks_like_flow(loose) and not _looks_like_definitions(loose):
        return {"skipped": True}
    if size > len(data):
        error = "%s is %d bytes, over the %d-byte limit (raise maxFileBytes in the config file to check it)" % (rel, size, max_bytes)
    elif b"\0" in data:
        error = "%s contains NUL bytes: it is not a Python source file" % rel
    else:
        error = "%s is not valid UTF-8: save it as UTF-8 so Python and mfdag can read it" % rel
    return {"error": error, "textError": True}


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
        for key in ("args", "topArgs"):
            words = entry.get(key)
            if words is not None and not (isinstance(words, list) and all(isinstance(w, str) for w in words)):
                raise RequestError("%s must be a list of strings" % key)
        if entry.get("generator") is not None and entry.get("generator") not in GENERATORS:
            raise RequestError("generator must be one of %s" % ", ".join(GENERATORS))
    max_bytes = request.get("maxFileBytes", DEFAULT_MAX_FILE_BYTES)
    if not isinstance(max_bytes, int) or isinstance(max_bytes, bool) or max_bytes <= 0:
        raise RequestError("maxFileBytes must be a positive integer")
    return root, scan, compile_list, max_bytes, import_roots_of(request), request.get("progress") is True, request.get("discover") is True


MAX_IMPORT_ROOTS = 32  # as the config file allows (src/core/import-roots.ts)


def import_roots_of(request):
    """The request's `importRoots`: repo-relative directories that stay inside the root (lexically;
    symlinks are checked where a module is found). Default: the root."""
    roots = request.get("importRoots", ["."])
    if not isinstance(roots, list) or not roots or len(roots) > MAX_IMPORT_ROOTS:
        raise RequestError("importRoots must be a list of 1 to %d directories" % MAX_IMPORT_ROOTS)
    for rel in roots:
        if not isinstance(rel, str) or not rel or len(rel) > 4096 or "\0" in rel or os.path.isabs(rel):
            raise RequestError("importRoots must be directories relative to root")
        normal = os.path.normpath(rel)
        if normal == os.pardir or normal.startswith(os.pardir + os.sep):
            raise RequestError("importRoots must stay inside root: %s" % rel[:200])
    return tuple(roots)


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
    root, scan, compile_list, max_bytes, import_roots, wants_progress, discover = parse_request(text)
    compiler = compiler_for(root, max_bytes, import_roots)
    progress = Progress(out) if wants_progress and out is not None else (lambda: None)
    files = []
    for rel in scan:
        files.append(compiler.discover(rel) if discover else compiler.scan(rel))
        progress()
    results = []
    for entry in compile_list:
        results.append(compiler.compile(entry))
        progress()
    return {"protocol": PROTOCOL, "files": files, "results": results}


def main(argv):
    # Deep (but bounded) hierarchies and import chains recurse; stay well below
    # what the C stack allows.
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))
    compilers = {}

    def compiler_for(root, max_bytes, import_roots):
        # --serve keeps one compiler per root, so a file parsed for discovery is
        # not read and parsed again when the same process compiles it.
        key = (root, max_bytes, import_roots)
        if key not in compilers:
            compilers[key] = StaticCompiler(root, max_bytes, import_roots)
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
