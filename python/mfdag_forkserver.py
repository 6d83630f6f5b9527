"""
mfdag fork server: `dagster create` for many flows with one `import metaflow`.

    PYTHONHASHSEED=0 PYTHONDONTWRITEBYTECODE=1 python3 -B mfdag_forkserver.py [--concurrency N] [--preload metaflow|none|MOD,MOD]

Standard library only. The server imports metaflow, its CLI and the metaflow-dagster extension
once (never a user module: its working directory is empty and sys.path[0] is this directory), then
runs each request in a child made with os.fork: the child chdirs to the request's cwd, points the
local datastore at the request's directory, re-reads Metaflow's configuration there, redirects its
stdout/stderr to pipes, and executes the flow file as `__main__` with
sys.argv = [FLOW, *topArgs, "dagster", "create", OUT, *args] -- what `python FLOW dagster create OUT` does,
minus the imports. Each child is its own process group, killed as a whole on timeout.

What every compile would repeat the same way is done once: the imports (with the plugin CLI
modules that read nothing of the flow), metaflow's version (`git describe` on its own files), the
patterns inspect compiles; and a flow directory's git information (five `git` runs), which the
first child compiling there reads before its flow runs and reports on a pipe of its own, is given
to the later children there (not when a request changes the environment).

Containment (Linux): the server and each child are child subreapers (prctl, see mfdag_contain.py).
What a flow starts and orphans, even after double-forking and calling setsid, is re-parented to
its own child while that runs, so concurrent compiles never see each other's processes; once the
child has exited (or was killed at the timeout), all of it is re-parented to the server. So any
child of the server that is not a running compile is a leftover, and the server SIGKILLs it, with
everything below it, before it reports the compile. The kill is the server's, not the flow's own
code: a flow cannot skip it by exiting abruptly. It costs one read of the server's child list per
compile, and a walk of /proc only when something was left. Where there is no subreaper (macOS),
only the child's process group is killed.

Protocol, JSON lines. First line out: {"event": "ready", "contained", ...}, or {"event": "fatal", "error",
"missing"} (then exit 3) when the preload fails: `missing` names the module that could not be
imported (install it), null for any other failure (compile in fresh processes instead). In: one request per line,
    {"id", "flowPath", "cwd", "out", "args", "topArgs"?, "datastore", "timeoutMs", "env"?, "importRoots"?}
`importRoots` (absolute directories) go on sys.path and PYTHONPATH right after the flow's directory.
Out: {"event": "started", "id", "pid"} when its child starts, then one result per request:
    {"event": "result", "id", "exitCode", "signal", "timedOut", "stdout", "stderr", "all",
     "durationMs", "fallback", "error"}
`fallback` (a reason) means the flow cannot be compiled faithfully in a fork (a module next to it
shadows a preloaded one, or its directory has its own Metaflow configuration): run it in a fresh
process. `error` is a problem of the server (bad request, fork failed), not of the flow.
End of input: the server finishes the requests it has, then exits. SIGTERM: it kills the running
children (their process groups) and exits at once.
"""

import sys

# Modules a fresh `python flow.py` has before running the flow: anything the server imports beyond
# these could be shadowed by a same-named file next to a flow (see _shadowed_modules).
_STARTUP_MODULES = frozenset(sys.modules)
_STARTUP_CWD = __import__("os").getcwd()

import builtins
import importlib
import importlib.machinery
import json
import os
import selectors
import signal
import time
import traceback
import types
from collections import deque

import mfdag_contain

TAIL_BYTES = 64 * 1024
# Once a child has exited, how long its pipes may stay open (held by a process it started that
# left its process group) before the result is sent without the rest of the output.
DRAIN_SECONDS = 0.5
SERVER_PID = os.getpid()
SERVER_FILE = os.path.abspath(__file__)
FALLBACK_EXIT = 213
FALLBACK_MARK = "mfdag-forkserver-fallback-%d-%s:" % (SERVER_PID, os.urandom(6).hex())

# Metaflow configuration values that legitimately differ between the server and a child (the
# request's datastore, the child's cwd); any other difference means the flow's directory has its
# own Metaflow config, which this server does not re-apply: such flows fall back to a fresh process.
PATCHABLE_CONFIG = frozenset({"DATASTORE_SYSROOT_LOCAL", "DATATOOLS_LOCALROOT", "ARTIFACT_LOCALROOT"})

_metaflow_loaded = False


def emit(obj):
    data = (json.dumps(obj, ensure_ascii=False) + "\n").encode("utf-8")
    while data:
        written = os.write(1, data)
        data = data[written:]


# --- preload -------------------------------------------------------------------------------------


class _FlowDependentImport(Exception):
    pass


class _Tripwire(type):
    """A stand-in flow class: a module that reads the current flow while it is being imported
    (Metaflow's CLI decorators do) raises instead of being loaded without the flow."""

    def __getattribute__(cls, name):
        if name.startswith("__"):
            return type.__getattribute__(cls, name)
        raise _FlowDependentImport(name)


class _FlowRead(BaseException):
    """Not an Exception: a module's `except Exception` around reading the flow cannot hide it."""


class _StrictTripwire(type):
    """A stand-in flow class for the CLI modules tried in the server: any attribute read
    (dunders too: a module could name something after the flow) raises, and is remembered in
    case the module catches even that."""

    touched = []

    def __getattribute__(cls, name):
        _StrictTripwire.touched.append(name)
        raise _FlowRead(name)


def _module_level_imports(module_name, source, is_package):
    """Absolute names of the modules a source imports at module level (not inside functions)."""
    import ast

    package = module_name if is_package else module_name.rpartition(".")[0]
    names = []

    def visit(body):
        for node in body:
            if isinstance(node, ast.Import):
                names.extend(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    parts = package.split(".")
                    anchor = ".".join(parts[: len(parts) - node.level + 1])
                    base = anchor + ("." + base if base else "")
                names.append(base)
                names.extend(base + "." + alias.name for alias in node.names if alias.name != "*")
            elif isinstance(node, (ast.If, ast.Try, ast.With)):
                for field in ("body", "orelse", "finalbody"):
                    visit(getattr(node, field, []) or [])
                for handler in getattr(node, "handlers", []) or []:
                    visit(handler.body)

    visit(ast.parse(source).body)
    return names


CODE_CACHE = {}  # source path -> code object, for the CLI modules the children import


def preload_metaflow():
    """Import what `python flow.py dagster create` imports, except what depends on the flow.

    The flow's module imports metaflow; FlowSpec.__init__ then imports metaflow.cli *inside the
    flow's context* (its decorators add the flow's parameters, configs and decorator options to
    the command line), and the `start` group loads the plugin CLI modules (some of those decorate
    with the flow's parameters too). So the server imports metaflow and the modules those CLI
    modules import, then each plugin CLI module that reads nothing of the flow while it is
    imported (tried with a stand-in flow that raises on any read; one that reads it is rolled
    back). The other CLI modules, metaflow.cli always among them, are not imported: the server
    compiles their code once, and each child executes it in its flow's context.
    """
    global _metaflow_loaded
    # A value only the server has, so that copies of it can be found (see _index_config_copies).
    os.environ.setdefault("METAFLOW_DATASTORE_SYSROOT_LOCAL", os.path.join(os.getcwd(), "mfdag-forkserver-datastore"))
    import metaflow  # noqa: F401
    import metaflow.extension_support  # noqa: F401
    import metaflow.parameters as parameters
    from metaflow.plugins import get_plugin_cli_path

    loaded = ["metaflow"]
    cli_modules = ["metaflow.cli"]
    found = False
    # All of them, not only those before `dagster`: the child lists every command.
    for name, class_path in get_plugin_cli_path().items():
        cli_modules.append(class_path.rsplit(".", 1)[0])
        found = found or name == "dagster"
    if not found:
        raise ImportError("metaflow imports, but no Metaflow CLI plugin is called `dagster`: metaflow-dagster is not installed for this interpreter", name="metaflow_extensions.dagster")

    import importlib.util

    queue = list(cli_modules)
    seen = set()
    sources = {}  # CLI module name -> (source path, source)
    dependencies = []
    while queue:
        name = queue.pop(0)
        if name in seen:
            continue
        seen.add(name)
        spec = importlib.util.find_spec(name)
        if spec is None or spec.origin is None or not spec.origin.endswith(".py"):
            continue
        with open(spec.origin, "rb") as handle:
            source = handle.read()
        sources[name] = (spec.origin, source)
        for target in _module_level_imports(name, source, spec.submodule_search_locations is not None):
            if target and target not in cli_modules and target not in dependencies:
                dependencies.append(target)

    class _NoFlow(metaclass=_Tripwire):
        pass

    with parameters.flow_context(_NoFlow):
        for name in dependencies:
            if name in sys.modules:
                continue
            try:
                if importlib.util.find_spec(name) is None:
                    continue  # `from package import attribute`: not a module
                importlib.import_module(name)
                loaded.append(name)
            except _FlowDependentImport:
                pass  # it needs the flow: the child imports it
            except Exception:
                pass  # the child will meet the same problem and report it
    flow_dependent = ["metaflow.cli"] + _preload_flow_independent_cli(cli_modules[1:], parameters)
    loaded.extend(name for name in cli_modules if name not in flow_dependent)
    # Compiled only now: the server's own imports compiled the others.
    for name in flow_dependent:
        if name in sources:
            origin, source = sources[name]
            CODE_CACHE[origin] = compile(source, origin, "exec", dont_inherit=True)
    del sources
    # The child reloads the configuration module (see _reconfigure_metaflow): compile it once here.
    config_file = getattr(sys.modules.get("metaflow.metaflow_config"), "__file__", None)
    if config_file and config_file.endswith(".py"):
        with open(config_file, "rb") as handle:
            CODE_CACHE[config_file] = compile(handle.read(), config_file, "exec", dont_inherit=True)
    for name in flow_dependent:
        if name in sys.modules:
            raise ImportError("the fork server imported %s, which needs the flow" % name)
    _prime_flow_independent_caches()
    _metaflow_loaded = True
    return loaded


_UNPRIME = []  # callables that put a cache primed by the server back as it was before priming


def _prime_flow_independent_caches():
    """Fill, once in the server, caches every compile fills the same way whatever the flow.

    Metaflow's version (get_version runs `git describe` on metaflow's and each extension's own
    files, and records each extension's version in its package info) depends only on where they
    are installed and on the environment; a child whose request changes the environment gets
    them back unfilled (see _unprime). The patterns inspect.getsourcelines compiles on first use
    (metaflow reads each step's source to build the graph) are pure caches: primed by reading a
    function of this file, which is then dropped from linecache again.
    """
    version = sys.modules.get("metaflow.metaflow_version")
    extensions = sys.modules.get("metaflow.extension_support")
    cache = getattr(version, "_version_cache", None)
    packages = getattr(extensions, "_all_packages", None)
    if isinstance(cache, dict) and isinstance(packages, dict) and callable(getattr(version, "get_version", None)):
        cache_before = dict(cache)
        keys_before = {name: set(info) for name, info in packages.items() if isinstance(info, dict)}
        try:
            version.get_version()
        except Exception:
            pass  # the child meets the same problem in get_version itself

        def unprime_version():
            cache.clear()
            cache.update(cache_before)
            for name, info in packages.items():
                if isinstance(info, dict):
                    for key in set(info) - keys_before.get(name, set()):
                        del info[key]

        _UNPRIME.append(unprime_version)
    inspect = sys.modules.get("inspect")
    linecache = sys.modules.get("linecache")
    if inspect is not None and linecache is not None:
        cached = set(linecache.cache)
        try:
            inspect.getsourcelines(_prime_flow_independent_caches)
        except Exception:
            pass
        for name in set(linecache.cache) - cached:
            linecache.cache.pop(name, None)


def _unprime():
    for unprime in _UNPRIME:
        unprime()


def _preload_flow_independent_cli(names, parameters):
    """Imports, in order, each plugin CLI module that reads nothing of the flow while it is
    imported; returns the others (not imported: each child runs them with its flow)."""
    flow_dependent = []

    class _NoFlowAtAll(metaclass=_StrictTripwire):
        pass

    for name in names:
        if name in sys.modules:
            continue
        del _StrictTripwire.touched[:]
        before = set(sys.modules)
        try:
            with parameters.flow_context(_NoFlowAtAll):
                importlib.import_module(name)
        except (_FlowRead, Exception):
            pass
        if name in sys.modules and not _StrictTripwire.touched:
            continue
        flow_dependent.append(name)
        # Roll back what this attempt left: the module, if it hid the read; a CLI module it
        # imported; and, when the flow was read, every module imported meanwhile (one of them
        # may have read it). The child imports them with its flow.
        for added in set(sys.modules) - before:
            if added in names or added == name or _StrictTripwire.touched:
                sys.modules.pop(added, None)
                parent, _, child = added.rpartition(".")
                if parent in sys.modules and getattr(sys.modules[parent], child, None) is not None:
                    try:
                        delattr(sys.modules[parent], child)
                    except AttributeError:
                        pass
    return flow_dependent


def preload(spec):
    if spec == "metaflow":
        return preload_metaflow()
    loaded = []
    for name in [part.strip() for part in spec.split(",") if part.strip() and part.strip() != "none"]:
        importlib.import_module(name)
        loaded.append(name)
    return loaded


# --- the child -----------------------------------------------------------------------------------


def _fallback(reason):
    try:
        os.write(2, (FALLBACK_MARK + reason + "\n").encode("utf-8", "replace"))
    finally:
        os._exit(FALLBACK_EXIT)


_CONFIG_COPIES = []  # (holder, key, config name): where the server's patchable config values were copied


def _index_config_copies():
    """In the server, after the preload: every module global named like a patchable config value
    and holding that very object (`from metaflow.metaflow_config import X`), and every class
    attribute holding one of those strings (LocalStorage.SYSROOT_VAR). Done once here so that a
    child does not walk (and copy, page by page) the whole heap."""
    config = sys.modules.get("metaflow.metaflow_config")
    if config is None:
        return
    values = {name: getattr(config, name, None) for name in PATCHABLE_CONFIG}
    strings = {id(value): name for name, value in values.items() if isinstance(value, str) and value}
    for module_name, module in list(sys.modules.items()):
        if module is None or module is config or not module_name.startswith(("metaflow", "metaflow_extensions")):
            continue
        namespace = getattr(module, "__dict__", None)
        if not isinstance(namespace, dict):
            continue
        for name, value in values.items():
            if name in namespace and namespace[name] is value:
                _CONFIG_COPIES.append((namespace, name, name))
        for value in list(namespace.values()):
            if isinstance(value, type) and value.__module__ == module_name:
                for attribute, current in list(vars(value).items()):
                    if isinstance(current, str) and id(current) in strings:
                        _CONFIG_COPIES.append((value, attribute, strings[id(current)]))


def _reconfigure_metaflow():
    """Re-read Metaflow's configuration with the child's environment and cwd.

    metaflow_config is evaluated at `import metaflow` from os.environ and from a `.metaflow/`
    directory above the cwd; in a fresh process that happens in the flow's cwd with the request's
    datastore. Reloading re-evaluates it; the copies indexed by _index_config_copies are rebound.
    Any other difference falls back to a fresh process.
    """
    funcs = sys.modules.get("metaflow.metaflow_config_funcs")
    config = sys.modules.get("metaflow.metaflow_config")
    if funcs is None or config is None:
        return
    old = dict(config.__dict__)
    funcs.METAFLOW_CONFIG = None
    funcs.METAFLOW_LOCAL_CONFIG = None
    importlib.reload(config)
    changed = {}
    for name, value in config.__dict__.items():
        if not name.isupper() or name not in old:
            continue
        try:
            same = old[name] == value
        except Exception:
            same = old[name] is value
        if not same:
            changed[name] = (old[name], value)
    unexpected = sorted(set(changed) - PATCHABLE_CONFIG)
    if unexpected:
        _fallback("Metaflow configuration in %s differs from the fork server's (%s)" % (os.getcwd(), ", ".join(unexpected[:5])))
    for holder, key, name in _CONFIG_COPIES:
        if name not in changed:
            continue
        old_value, new_value = changed[name]
        if isinstance(holder, dict):
            if holder.get(key) is old_value:
                holder[key] = new_value
        elif getattr(holder, key, None) is old_value:
            setattr(holder, key, new_value)


def _use_code_cache():
    """Imports of the CLI modules compiled by the server run their code without compiling it again."""
    if not CODE_CACHE:
        return
    loader_class = importlib.machinery.SourceFileLoader
    original = loader_class.get_code

    def get_code(self, fullname):
        code = CODE_CACHE.pop(getattr(self, "path", None), None)
        return code if code is not None else original(self, fullname)

    loader_class.get_code = get_code


_PRELOADED_TOP_LEVEL = frozenset()


def _relative_pythonpath():
    """Relative PYTHONPATH entries ("" is the cwd): the interpreter made them absolute against the
    server's cwd at startup; a fresh `python flow.py` makes them absolute against the flow's cwd.
    Returns (entry as the server has it on sys.path, entry as written)."""
    found = []
    for entry in os.environ.get("PYTHONPATH", "").split(os.pathsep):
        if not os.path.isabs(entry):
            found.append((os.path.abspath(os.path.join(_STARTUP_CWD, entry)), entry))
    return found


_RELATIVE_PYTHONPATH = _relative_pythonpath()


def _rebase_relative_pythonpath():
    """In the child, after chdir: the directories a fresh process would have for those entries."""
    dirs = []
    for server_entry, entry in _RELATIVE_PYTHONPATH:
        child_entry = os.path.abspath(entry)
        sys.path[:] = [child_entry if item == server_entry else item for item in sys.path]
        dirs.append(child_entry)
    return dirs


def _shadowed_modules(flow_dir):
    """Preloaded top-level modules that a file in the flow's directory would replace in a fresh process."""
    try:
        entries = os.listdir(flow_dir)
    except OSError:
        return []
    local = set()
    for entry in entries:
        if entry.endswith(".py"):
            local.add(entry[:-3])
        elif "." not in entry:
            local.add(entry)
        elif entry.endswith((".so", ".pyd")):
            local.add(entry.split(".", 1)[0])
    return sorted(local & _PRELOADED_TOP_LEVEL)


def _print_exception(exc):
    """What the interpreter prints for an uncaught exception, without this server's frames."""
    tb = exc.__traceback__
    while tb is not None and tb.tb_frame.f_code.co_filename == SERVER_FILE:
        tb = tb.tb_next
    exc.__traceback__ = tb  # the hook prints the exception's own traceback when given none
    try:
        sys.excepthook(type(exc), exc, tb)
    except Exception:
        traceback.print_exception(type(exc), exc, tb)


def _exit_code(exc):
    """The interpreter's handling of SystemExit (after printing a non-int code, as it does)."""
    code = exc.code
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    try:
        sys.stderr.write(str(code) + "\n")
    except Exception:
        pass
    return 1


def child_exit(code):
    """End the child as the interpreter would, minus tearing down the heap it shares with the
    server (that alone takes longer than a compile): wait for non-daemon threads, run the atexit
    handlers (weakref.finalize callbacks included), flush stdio, exit."""
    try:
        threading = sys.modules.get("threading")
        if threading is not None and hasattr(threading, "_shutdown"):
            threading._shutdown()
    except BaseException:
        pass
    try:
        import atexit

        atexit._run_exitfuncs()
    except BaseException:
        pass
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except BaseException:
            pass
    os._exit(code)


# Git information of flow directories (metaflow_git.get_repository_info, five `git` runs), as the
# first child compiling a flow there reported it: the other compiles there start with it.
_REPOSITORY_INFO = {}
REPORT_BYTES = 64 * 1024


def repository_key(request):
    """The directory whose git information the compile reads (metaflow_environment asks about
    the directory of sys.argv[0]), or None when it is not shared with other compiles: the request
    changes the environment git runs in, or its flow path is relative (the child's cwd decides)."""
    flow_path = request["flowPath"]
    if not _metaflow_loaded or request.get("env") or not os.path.isabs(flow_path):
        return None
    return os.path.dirname(os.path.normpath(flow_path))


def _repository_info(key, known, report_fd):
    """In the child, before the flow runs: start metaflow_git with the git information a child
    already read for this directory (`known`); or read it (the same call metaflow makes later,
    in the same environment) and report it on `report_fd` for the next compiles there."""
    try:
        git = sys.modules.get("metaflow.metaflow_git")
        if key is None or git is None or getattr(git, "_git_info_cache", False) is not None:
            return
        if os.path.dirname(os.path.abspath(sys.argv[0])) != key or not callable(getattr(git, "get_repository_info", None)):
            return
        if known is not None:
            git._git_info_cache = dict(known)
        elif report_fd is not None:
            info = git.get_repository_info(key)
            data = json.dumps(info).encode("utf-8")
            while data:
                data = data[os.write(report_fd, data):]
    except Exception:
        pass  # metaflow reads it itself when the flow runs
    finally:
        if report_fd is not None:
            os.close(report_fd)


def _remember_repository_info(key, data):
    """In the server: what a child reported, if it is the git information metaflow_git returns
    (a dict of strings, booleans or None)."""
    try:
        info = json.loads(bytes(data).decode("utf-8"))
    except ValueError:
        return
    if isinstance(info, dict) and all(isinstance(name, str) and (value is None or isinstance(value, (str, bool))) for name, value in info.items()):
        _REPOSITORY_INFO[key] = info


def run_child(request, close_fds, out_w, err_w, contain=False, repository=(None, None, None)):
    """In the forked child: set it up like a fresh `python FLOW dagster create OUT`, run the flow
    file as __main__, and return the exit code the interpreter would have exited with. `contain`:
    hold what the flow orphans (see the module's docstring). `repository`: see _repository_info."""
    try:
        try:
            os.setpgid(0, 0)
        except OSError:
            pass
        if contain:
            mfdag_contain.become_subreaper()
        sys.modules.pop("mfdag_contain", None)  # the server's, not something a fresh process has
        signal.set_wakeup_fd(-1)
        for signum, handler in ((signal.SIGCHLD, signal.SIG_DFL), (signal.SIGTERM, signal.SIG_DFL), (signal.SIGINT, signal.default_int_handler), (signal.SIGPIPE, signal.SIG_IGN)):
            signal.signal(signum, handler)
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.dup2(out_w, 1)
        os.dup2(err_w, 2)
        for fd in set(close_fds) | {null, out_w, err_w}:
            if fd > 2:
                try:
                    os.close(fd)
                except OSError:
                    pass
        os.environ["METAFLOW_DATASTORE_SYSROOT_LOCAL"] = request["datastore"]
        for key, value in (request.get("env") or {}).items():
            os.environ[str(key)] = str(value)
        try:
            os.chdir(request["cwd"])
        except OSError as error:
            os.write(2, ("cannot change to the working directory %s: %s\n" % (request["cwd"], error.strerror)).encode())
            os._exit(1)
        flow_path = request["flowPath"]
        # Python makes the main script's path absolute (with the real cwd) and puts the real
        # directory of the script first on sys.path.
        main_file = flow_path if os.path.isabs(flow_path) else os.path.join(os.getcwd(), flow_path)
        flow_dir = os.path.dirname(os.path.realpath(main_file))
        import_roots = [str(root) for root in request.get("importRoots") or []]
        if import_roots:
            # A fresh process gets them first on PYTHONPATH: on sys.path right after the flow's
            # directory, and in the environment of what the flow starts.
            inherited = os.environ.get("PYTHONPATH")
            os.environ["PYTHONPATH"] = os.pathsep.join(import_roots + ([inherited] if inherited else []))
        for directory in [flow_dir, *import_roots, *_rebase_relative_pythonpath()]:
            shadowed = _shadowed_modules(directory)
            if shadowed:
                _fallback("%s has modules that shadow ones the fork server preloaded (%s)" % (directory, ", ".join(shadowed[:5])))
        if _metaflow_loaded:
            if request.get("env"):
                _unprime()
            _use_code_cache()
            _reconfigure_metaflow()
        top_args = [str(arg) for arg in request.get("topArgs") or []]
        sys.argv = [flow_path, *top_args, "dagster", "create", request["out"], *[str(arg) for arg in request.get("args") or []]]
        if hasattr(sys, "orig_argv"):
            sys.orig_argv = [sys.orig_argv[0] if sys.orig_argv else sys.executable, "-B", *sys.argv]
        sys.path[0] = flow_dir
        sys.path[1:1] = import_roots
        sys.stdin = open(0, "r", closefd=False)
        _repository_info(*repository)
        main = types.ModuleType("__main__")
        main.__file__ = main_file
        main.__cached__ = None
        main.__loader__ = importlib.machinery.SourceFileLoader("__main__", main_file)
        main.__spec__ = None
        main.__package__ = None
        main.__builtins__ = builtins
        sys.modules["__main__"] = main
    except SystemExit:
        raise
    except BaseException as exc:  # a server bug: say so on the child's stderr
        try:
            os.write(2, ("mfdag fork server: cannot set up the compile: %r\n" % (exc,)).encode("utf-8", "replace"))
        finally:
            os._exit(1)

    try:
        with open(main_file, "rb") as handle:
            source = handle.read()
        code = compile(source, main_file, "exec", dont_inherit=True)
        del source
        exec(code, main.__dict__)
        return 0
    except SystemExit as exc:
        return _exit_code(exc)
    except BaseException as exc:
        _print_exception(exc)
        return 1


# --- the server ----------------------------------------------------------------------------------


class Child:
    def __init__(self, request, pid, out_r, err_r):
        self.request = request
        self.pid = pid
        self.started = time.monotonic()
        self.deadline = self.started + max(0.001, float(request.get("timeoutMs") or 120_000) / 1000.0)
        self.open = {out_r: "stdout", err_r: "stderr"}
        self.data = {"stdout": bytearray(), "stderr": bytearray(), "all": bytearray()}
        self.status = None
        self.timed_out = False
        self.drain_deadline = None


def _tail(buffer):
    return bytes(buffer[-TAIL_BYTES:]).decode("utf-8", "replace")


def _killpg(pid):
    try:
        os.killpg(pid, signal.SIGKILL)
    except OSError:
        pass


REQUIRED = ("id", "flowPath", "cwd", "out", "datastore")


def parse_request(line):
    try:
        request = json.loads(line)
    except ValueError as error:
        return None, {"event": "result", "id": None, "error": "bad request (not JSON): %s" % error}
    if not isinstance(request, dict):
        return None, {"event": "result", "id": None, "error": "bad request: expected a JSON object"}
    missing = [key for key in REQUIRED if not isinstance(request.get(key), (str, int)) or request.get(key) == ""]
    if missing or not isinstance(request.get("args", []), list) or not isinstance(request.get("topArgs", []) or [], list) or not isinstance(request.get("env", {}) or {}, dict):
        return None, {"event": "result", "id": request.get("id"), "error": "bad request: missing or invalid %s" % ", ".join(missing or ["args/env"])}
    roots = request.get("importRoots") or []
    if not isinstance(roots, list) or not all(isinstance(root, str) and os.path.isabs(root) for root in roots):
        return None, {"event": "result", "id": request.get("id"), "error": "bad request: importRoots must be a list of absolute paths"}
    return request, None


def serve(concurrency, contain=False):
    """The server's loop, until its input ends. (A child never returns from start().) `contain`:
    this server and its children are subreapers (see the module's docstring)."""
    selector = selectors.DefaultSelector()
    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_r, False)
    os.set_blocking(wake_w, False)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    signal.set_wakeup_fd(wake_w, warn_on_full_buffer=False)
    selector.register(0, selectors.EVENT_READ, "stdin")
    selector.register(wake_r, selectors.EVENT_READ, "wake")

    queue = deque()
    running = {}  # pid -> Child
    by_fd = {}  # pipe fd -> Child
    reports = {}  # pipe fd -> (repository key, bytes so far): git information a child reports
    pending = bytearray()
    eof = False

    def reap():
        """Reaps every process of ours that exited; a child's status is kept, and what it left
        behind in its process group is killed. True when anything was reaped."""
        reaped = False
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                break
            if pid == 0:
                break
            reaped = True
            child = running.get(pid)
            if child is None or child.status is not None:
                continue  # a leftover that kill_leftovers killed
            child.status = status
            child.drain_deadline = time.monotonic() + DRAIN_SECONDS
            _killpg(pid)
        return reaped

    signalled = set()  # leftovers already sent SIGKILL (or that refused it: a setuid program)

    def kill_leftovers():
        """Kills every child of the server that is not a running compile, with everything below
        it. Killing a process re-parents its children here, and a process can fork between the
        walk and the kill: so it walks again until every process found has been sent SIGKILL
        (it runs no more code from then on), bounded. The dead are reaped by the next reap()."""
        compiles = {pid for pid, child in running.items() if child.status is None}
        if all(pid in compiles for pid in mfdag_contain.direct_children()):
            signalled.clear()
            return
        deadline = time.monotonic() + 1.0
        while True:
            found = mfdag_contain.descendants(SERVER_PID, skip=compiles)
            signalled.intersection_update(found)
            new = [pid for pid in found if pid not in signalled]
            if not new or time.monotonic() >= deadline:
                return
            for pid in new:
                signalled.add(pid)
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass  # exited meanwhile, or not ours to signal

    def finish(child):
        for fd in list(child.open):
            selector.unregister(fd)
            by_fd.pop(fd, None)
            os.close(fd)
        child.open.clear()
        running.pop(child.pid, None)
        status = child.status
        exit_code = None
        signal_name = None
        if status is not None:
            code = os.waitstatus_to_exitcode(status)
            if code < 0:
                try:
                    signal_name = signal.Signals(-code).name
                except ValueError:
                    signal_name = str(-code)
            else:
                exit_code = code
        stderr = _tail(child.data["stderr"])
        fallback = None
        if exit_code == FALLBACK_EXIT and FALLBACK_MARK in stderr:
            fallback = stderr.split(FALLBACK_MARK, 1)[1].strip()
        emit({
            "event": "result",
            "id": child.request["id"],
            "exitCode": exit_code,
            "signal": signal_name,
            "timedOut": child.timed_out,
            "stdout": _tail(child.data["stdout"]),
            "stderr": stderr,
            "all": _tail(child.data["all"]),
            "durationMs": round((time.monotonic() - child.started) * 1000),
            "fallback": fallback,
            "error": None,
        })

    def start(request):
        sys.stdout.flush()
        sys.stderr.flush()
        key = repository_key(request)
        known = _REPOSITORY_INFO.get(key) if key is not None else None
        report_r = report_w = None
        out_r, out_w = os.pipe()
        err_r, err_w = os.pipe()
        if key is not None and known is None:
            report_r, report_w = os.pipe()
        try:
            pid = os.fork()
        except OSError as error:
            for fd in (out_r, out_w, err_r, err_w, report_r, report_w):
                if fd is not None:
                    os.close(fd)
            emit({"event": "result", "id": request["id"], "error": "fork failed: %s" % error})
            return None
        if pid == 0:
            close = [wake_r, wake_w, out_r, err_r, *by_fd.keys(), *reports.keys()] + ([report_r] if report_r is not None else [])
            try:
                selector.close()
            except Exception:
                pass
            child_exit(run_child(request, close, out_w, err_w, contain, (key, known, report_w)))
        try:
            os.setpgid(pid, pid)
        except OSError:
            pass  # the child did it first, or already exited
        os.close(out_w)
        os.close(err_w)
        if report_r is not None:
            os.close(report_w)
            os.set_blocking(report_r, False)
            reports[report_r] = (key, bytearray())
            selector.register(report_r, selectors.EVENT_READ, "report")
        child = Child(request, pid, out_r, err_r)
        running[pid] = child
        for fd in (out_r, err_r):
            os.set_blocking(fd, False)
            by_fd[fd] = child
            selector.register(fd, selectors.EVENT_READ, "child")
        emit({"event": "started", "id": request["id"], "pid": pid})
        return None

    try:
        while True:
            while queue and len(running) < concurrency:
                start(queue.popleft())
            if eof and not queue and not running:
                return
            now = time.monotonic()
            deadlines = [c.drain_deadline if c.status is not None else c.deadline for c in running.values()]
            timeout = max(0.0, min(deadlines) - now) if deadlines else None
            for key, _ in selector.select(timeout):
                fd = key.fd
                if key.data == "stdin":
                    chunk = os.read(0, 1 << 16)
                    if not chunk:
                        eof = True  # finish what was asked, then exit
                        selector.unregister(0)
                        continue
                    pending.extend(chunk)
                    while b"\n" in pending:
                        line, _, rest = bytes(pending).partition(b"\n")
                        pending[:] = rest
                        if not line.strip():
                            continue
                        request, problem = parse_request(line.decode("utf-8", "replace"))
                        if problem:
                            emit(problem)
                        else:
                            queue.append(request)
                elif key.data == "report":
                    repository, data = reports[fd]
                    try:
                        chunk = os.read(fd, REPORT_BYTES)
                    except BlockingIOError:
                        continue
                    data.extend(chunk)
                    if chunk and len(data) <= REPORT_BYTES:
                        continue
                    selector.unregister(fd)
                    del reports[fd]
                    os.close(fd)
                    if not chunk:
                        _remember_repository_info(repository, data)
                elif key.data == "wake":
                    try:
                        while os.read(wake_r, 512):
                            pass
                    except BlockingIOError:
                        pass
                else:
                    child = by_fd.get(fd)
                    if child is None:
                        continue
                    try:
                        chunk = os.read(fd, 1 << 16)
                    except BlockingIOError:
                        continue
                    if chunk:
                        stream = child.data[child.open[fd]]
                        stream.extend(chunk)
                        child.data["all"].extend(chunk)
                        for buffer in (stream, child.data["all"]):
                            if len(buffer) > 4 * TAIL_BYTES:
                                del buffer[:-TAIL_BYTES]
                    else:
                        selector.unregister(fd)
                        by_fd.pop(fd, None)
                        del child.open[fd]
                        os.close(fd)
            # Reap every child that exited, then kill what it left behind: in its process group,
            # and (contained) anywhere below it. Before its result is sent, so nothing a flow
            # started runs once its compile is reported.
            if reap() and contain:
                kill_leftovers()
            now = time.monotonic()
            for child in list(running.values()):
                if child.status is None and now >= child.deadline and not child.timed_out:
                    child.timed_out = True
                    _killpg(child.pid)
                    child.deadline = now + 5  # wait for the kill to be reaped
                if child.status is not None and (not child.open or now >= child.drain_deadline):
                    finish(child)
    finally:
        if os.getpid() == SERVER_PID:
            for child in list(running.values()):
                _killpg(child.pid)
            if contain:
                # What the killed children held came to the server; the caller waits about 2 s
                # before it SIGKILLs the server.
                mfdag_contain.sweep(time.monotonic() + 1.5)


def main(argv):
    concurrency = os.cpu_count() or 2
    spec = "metaflow"
    args = list(argv)
    while args:
        flag = args.pop(0)
        if flag == "--concurrency" and args:
            concurrency = max(1, int(args.pop(0)))
        elif flag == "--preload" and args:
            spec = args.pop(0)
        else:
            emit({"event": "fatal", "error": "unknown argument %s" % flag, "missing": None})
            return 2
    if not hasattr(os, "fork"):
        emit({"event": "fatal", "error": "os.fork is not available on this platform", "missing": None})
        return 3
    # Never import a user module: nothing useful in the cwd (Metaflow also looks for `.metaflow/` there).
    started = time.monotonic()
    # Whatever the imports print goes to stderr: stdout carries the protocol.
    saved_stdout = os.dup(1)
    os.dup2(2, 1)
    try:
        loaded = preload(spec)
    except BaseException as exc:  # ImportError, or anything an extension raises at import
        missing = getattr(exc, "name", None) if isinstance(exc, ImportError) else None
        lines = traceback.format_exception_only(type(exc), exc)
        sys.stdout.flush()
        os.dup2(saved_stdout, 1)
        emit({"event": "fatal", "error": "".join(lines).strip().splitlines()[-1], "missing": missing})
        return 3
    sys.stdout.flush()
    os.dup2(saved_stdout, 1)
    os.close(saved_stdout)
    # Before the preloaded modules are listed: ctypes (for prctl) is one of them from here on.
    contain = mfdag_contain.become_subreaper()
    global _PRELOADED_TOP_LEVEL
    _PRELOADED_TOP_LEVEL = frozenset(name.split(".", 1)[0] for name in sys.modules) - _STARTUP_MODULES
    _index_config_copies()
    import gc

    gc.collect()
    gc.freeze()  # children share the preloaded objects' pages instead of copying them on the first GC
    emit({"event": "ready", "pid": SERVER_PID, "python": sys.version.split()[0], "preloaded": loaded, "concurrency": concurrency, "preloadMs": round((time.monotonic() - started) * 1000), "contained": contain})
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    serve(concurrency, contain=contain)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
