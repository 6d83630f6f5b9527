#!/usr/bin/env python3
"""Runs both compilers over folders of flows and says, per flow, how the static one did.

    PYTHONPATH=/path/to/metaflow:/path/to/metaflow-dagster \
        python3 scripts/differential.py [--json] [--markdown] [--jobs N] FOLDER...

Every `.py` file under a FOLDER with a `__main__` block is a flow. `NAME.args` next to it holds the
words after `dagster create OUT.py`, `NAME.topargs` metaflow's top-level options (as in
`__tests__/fixtures/corpus-definitions/flows/`). A folder below FOLDER that holds a
`pyproject.toml`, a `setup.cfg` or a `metaflow_extensions/` package is a repository of its own:
its flows are compiled with it as the root, and with the package folders its `pyproject.toml` /
`setup.cfg` declare (`src/`) as import roots (on PYTHONPATH for the real compiler, as
`pip install -e .` would do in CI; sent as `importRoots` to the static compiler).

- The static compiler: `python/mfdag_static.py` (its JSON protocol), one request per root.
- The real compiler: `python3 FLOW [TOPARGS] dagster create OUT [ARGS]`, run from the flow's
  folder in a copy of FOLDER (a flow may write files), with its datastore in a temporary folder
  and PYTHONHASHSEED=0. Its file is read back with the corpus' extract.py; the Config class
  lines are read from the file. Its error is the last line of its output.

Two verdicts per flow, one for the Config class (with the job name) and one for the job model:

    exact            the static compiler says exact, and equals what the real compiler wrote
    error-match      both refuse the flow, with the same message
    honest fallback  the static compiler says not exact, with its reason
    silent mismatch  the static compiler says exact, and differs from the real output
    missed refusal   the static compiler predicts an output, the real one refuses the flow
    false refusal    the static compiler refuses the flow, the real one compiles it

A static refusal marked exact is final (mfdag reports it); one marked not exact is an honest
fallback: `auto` then asks the real compiler (src/core/check.ts, needsMetaflow). The job model is
compared as python/tests/job_support.py compares it (the corpus README's keys left out), and
also without `config_class` (the first verdict measures it); a difference in a part the static
compiler listed in `jobInexact` is covered (honest fallback), any other is a silent mismatch.

Standard library only. Exit status 0 when it ran (whatever the verdicts), 2 on a usage error, 3
when the real compiler cannot be imported.
"""

import argparse
import ast
import concurrent.futures
import importlib.util
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
from collections import Counter, OrderedDict

PROJECT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
STATIC = os.path.join(PROJECT, "python", "mfdag_static.py")
EXTRACT = os.path.join(PROJECT, "__tests__", "fixtures", "corpus-definitions", "extract.py")

sys.dont_write_bytecode = True  # nothing written into the project (python/ and python/tests/ are imported)
sys.path.insert(0, os.path.join(PROJECT, "python"))
sys.path.insert(0, os.path.join(PROJECT, "python", "tests"))
from job_support import comparable, covered, differences  # noqa: E402  (the unit tests' comparison)

VERDICTS = ("exact", "error-match", "honest fallback", "silent mismatch", "missed refusal", "false refusal")
SKIP_DIRS = {"__pycache__", ".metaflow", ".git", "node_modules", "metaflow_extensions"}
REPO_MARKERS = ("pyproject.toml", "setup.cfg")
MAIN_RE = re.compile(r"""^if\s+__name__\s*==\s*['"]__main__['"]\s*:""", re.M)
CONFIG_START = re.compile(r"^class \w+Config\(Config\):$")
SYSROOT = "<SYSROOT>"


def load_extract():
    spec = importlib.util.spec_from_file_location("mfdag_extract", EXTRACT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# -- finding flows -------------------------------------------------------------------------------

def words(path):
    if not os.path.exists(path):
        return []
    with open(path, encoding="utf-8") as fh:
        return shlex.split(fh.read())


def is_repo_root(folder):
    return any(os.path.isfile(os.path.join(folder, m)) for m in REPO_MARKERS) or \
        os.path.isdir(os.path.join(folder, "metaflow_extensions"))


def declared_package_dirs(root):
    """Package folders pyproject.toml / setup.cfg declare (`where = ["src"]`, `package-dir =
    {"" = "src"}`, setup.cfg's `package_dir = =src` / `where = src`), relative to root. A few
    regular expressions, not a TOML parser: enough for the layouts the kit and corpora hold."""
    found = []
    for name, patterns in (
        ("pyproject.toml", (r"^\s*where\s*=\s*\[([^\]]*)\]", r"^\s*package-dir\s*=\s*\{[^}]*[\"']{2}\s*=\s*[\"']([^\"']+)[\"']")),
        ("setup.cfg", (r"^\s*where\s*=\s*(\S+)\s*$", r"^\s*=\s*(\S+)\s*$")),
    ):
        path = os.path.join(root, name)
        if not os.path.isfile(path):
            continue
        with open(path, encoding="utf-8") as fh:
            text = fh.read(200_000)
        for pattern in patterns:
            for match in re.finditer(pattern, text, re.M):
                for item in re.findall(r"[\"']([^\"']+)[\"']", match.group(1)) or [match.group(1)]:
                    item = item.strip().strip("/") or "."
                    if item not in found and os.path.isdir(os.path.join(root, item)):
                        found.append(item)
    return found


def parses(text):
    try:
        ast.parse(text)
        return True
    except (SyntaxError, ValueError):
        return False


def find_flows(folder):
    """[(repo root, flow path relative to it)] under folder, sorted: the files with a __main__
    block, and those that mention FlowSpec but do not parse (a flow with a syntax error)."""
    folder = os.path.abspath(folder)
    flows = []
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS and not d.startswith("."))
        for name in sorted(filenames):
            if not name.endswith(".py"):
                continue
            path = os.path.join(dirpath, name)
            with open(path, encoding="utf-8", errors="replace") as fh:
                text = fh.read(1_000_000)
            if not (MAIN_RE.search(text) or ("FlowSpec" in text and not parses(text))):
                continue
            root = folder
            probe = dirpath
            while probe.startswith(folder + os.sep):
                if is_repo_root(probe):
                    root = probe
                    break
                probe = os.path.dirname(probe)
            flows.append((root, os.path.relpath(path, root)))
    return flows


# -- the static compiler ----------------------------------------------------------------------------

def run_static(root, entries, python, generator, import_roots):
    request = {"root": root, "importRoots": import_roots, "compile": [
        {"flowFile": e["rel"], "flowClass": None, "jobName": None, "generator": generator,
         "args": e["args"], "topArgs": e["topArgs"]} for e in entries]}
    child = subprocess.run([python, "-I", "-S", "-B", STATIC], input=json.dumps(request), capture_output=True,
                           text=True, timeout=600, cwd=os.path.dirname(STATIC))
    if child.returncode != 0:
        raise SystemExit("static compiler failed on %s: %s" % (root, child.stderr.strip()[-2000:]))
    return json.loads(child.stdout)["results"]


# -- the real compiler ------------------------------------------------------------------------------

def real_env(import_roots_abs):
    env = dict(os.environ)
    paths = list(import_roots_abs) + [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]
    env.update(PYTHONPATH=os.pathsep.join(paths), PYTHONHASHSEED="0", PYTHONDONTWRITEBYTECODE="1",
               USER=env.get("USER") or "mfdag")
    return env


def probe_real(python):
    """(ok, generator or why): which metaflow-dagster the real compiler is (0.3.7 writes
    STEP_DECORATOR_SPECS, main does not)."""
    code = ("import inspect, metaflow_extensions.dagster.plugins.dagster.dagster_compiler as c; "
            "print('STEP_DECORATOR_SPECS' in inspect.getsource(c))")
    with tempfile.TemporaryDirectory(prefix="mfdag-probe-") as cwd:
        child = subprocess.run([python, "-B", "-c", code], capture_output=True, text=True, cwd=cwd, env=real_env([]))
    if child.returncode != 0:
        lines = [l for l in child.stderr.splitlines() if l.strip()]
        return False, lines[-1] if lines else "exit %d" % child.returncode
    return True, "0.3.7" if child.stdout.strip() == "True" else "main"


def last_line(text):
    lines = [l.strip() for l in text.splitlines() if l.strip()]
    return lines[-1] if lines else ""


def run_real(python, copy_root, rel, args, top_args, import_roots, timeout, extract):
    flow = os.path.join(copy_root, rel)
    temp = tempfile.mkdtemp(prefix="mfdag-diff-")
    try:
        out = os.path.join(temp, "definitions.py")
        env = real_env([os.path.join(copy_root, r) for r in import_roots])
        env["METAFLOW_DATASTORE_SYSROOT_LOCAL"] = os.path.join(temp, "datastore")
        try:
            child = subprocess.run([python, os.path.basename(flow)] + top_args + ["dagster", "create", out] + args,
                                   cwd=os.path.dirname(flow), env=env, capture_output=True, text=True, timeout=timeout,
                                   stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired:
            return {"error": "dagster create did not finish within %d s" % timeout, "timeout": True}
        if child.returncode != 0:
            return {"error": last_line(child.stdout + "\n" + child.stderr) or "exit %d" % child.returncode,
                    "exitCode": child.returncode}
        if not os.path.exists(out):
            return {"error": "dagster create exited 0 but wrote no file"}
        with open(out, encoding="utf-8") as fh:
            text = fh.read().replace(os.path.join(temp, "datastore"), SYSROOT).replace(temp, SYSROOT)
        lines = text.split("\n")
        job = next((l[len("Job    :"):].strip() for l in lines if l.startswith("Job    :")), None)
        start = next((i for i, l in enumerate(lines) if CONFIG_START.match(l)), None)
        config = None
        if start is not None:
            end = lines.index("", start) if "" in lines[start:] else len(lines)
            config = lines[start:end]
        return {"error": None, "job": job, "configClass": config, "model": extract.extract(text)}
    finally:
        shutil.rmtree(temp, ignore_errors=True)


# -- verdicts -----------------------------------------------------------------------------------

def refusal_verdict(static, real):
    """The verdict when at least one side refused, or None when both compiled."""
    if static["error"] is not None:
        if real["error"] is None:
            if not static["exact"]:
                return "honest fallback", None
            return "false refusal", "static refuses: %s" % static["error"]
        if static["error"] == real["error"]:
            return "error-match", None
        if static["exact"]:
            return "silent mismatch", "static: %r; real: %r" % (static["error"], real["error"])
        return "honest fallback", None
    if real["error"] is not None:
        return None, None
    return None, None


def config_verdict(static, real):
    verdict, detail = refusal_verdict(static, real)
    if verdict:
        return verdict, detail
    if real["error"] is not None:
        if static["exact"]:
            return "missed refusal", "real refuses: %s" % real["error"]
        return "honest fallback", None
    if not static["exact"]:
        return "honest fallback", None
    mine = {"job": static["job"], "configClass": static["configClass"]}
    theirs = {"job": real["job"], "configClass": real["configClass"]}
    if mine == theirs:
        return "exact", None
    return "silent mismatch", "static %s; real %s" % (json.dumps(mine), json.dumps(theirs))


def job_comparable(model):
    model = comparable(model)
    model.pop("config_class", None)
    return model


def job_verdict(static, real):
    verdict, detail = refusal_verdict(static, real)
    if verdict:
        return verdict, detail, []
    inexact = static.get("jobInexact") or []
    model = static.get("jobModel")
    if real["error"] is not None:
        if static["exact"] and model is not None and not inexact:
            return "missed refusal", "real refuses: %s" % real["error"], []
        return "honest fallback", None, []
    if model is None:
        return "honest fallback", None, []
    predicted = job_comparable(model)
    recorded = job_comparable(real["model"])
    diffs = differences(predicted, recorded)
    uncovered = [d for d in diffs if covered(d, predicted, inexact) is None]
    if uncovered:
        shown = []
        for path in uncovered[:6]:
            shown.append("%s: static %s, real %s" % ("/".join(map(str, path)), json.dumps(dig(predicted, path))[:160],
                                                     json.dumps(dig(recorded, path))[:160]))
        return "silent mismatch", "; ".join(shown) + (" (+%d more)" % (len(uncovered) - 6) if len(uncovered) > 6 else ""), \
            uncovered
    if inexact:
        return "honest fallback", None, []
    return "exact", None, []


def dig(value, path):
    for key in path:
        try:
            value = value[key]
        except (KeyError, IndexError, TypeError):
            return "<absent>"
    return value


QUOTED = re.compile(r"(?<!\w)'[^']{0,200}'|(?<!\w)\"[^\"]{0,200}\"")
DECORATOR = re.compile(r"\bdecorator @[A-Za-z_][\w.]*(\([^()]{0,300}\))?")
NAMED = re.compile(r"\b(?<!@)(?<!@step )(step|steps|attribute|function|class|of|on|external|base class|parameter) (?!decorator\b)[A-Za-z_][\w.]*")
CALL_ARGS = re.compile(r"(@[A-Za-z_][\w.]*)\([^()]{0,300}\)")
FILE_LINE = re.compile(r"^[^\s:]+\.py:\d+: ")


def reason_key(reason):
    """A reason without the names in it (steps, attributes, files, quoted values, decorator
    arguments), so the same cause on two flows or two steps counts once per flow."""
    reason = re.sub(r"^parameter '[^']*': ", "", FILE_LINE.sub("", reason.strip()))
    reason = DECORATOR.sub("decorator @…", reason)
    reason = QUOTED.sub("'…'", reason)
    reason = CALL_ARGS.sub(r"\1(…)", reason)
    return NAMED.sub(lambda m: m.group(1) + " …", reason)


def split_reasons(text):
    return [r for r in (text or "").split("; ") if r.strip()]


def config_reasons(static):
    if static["error"] is not None and not static["exact"]:
        return [reason_key(static["reason"] or "refusal not marked exact: " + static["error"])]
    return sorted({reason_key(r) for r in split_reasons(static["reason"])})


def job_reasons(static):
    """{reason: [parts]} of an honest job fallback."""
    if static["error"] is not None:
        return {r: [] for r in config_reasons(static)}
    inexact = static.get("jobInexact") or []
    if not inexact and static.get("jobModel") is None:
        return {reason_key(static["reason"] or "no job model"): []}
    out = {}
    for entry in inexact:
        parts = out.setdefault(reason_key(entry["reason"]), [])
        if entry["part"] not in parts:
            parts.append(entry["part"])
    return out


# -- the run ------------------------------------------------------------------------------------

def measure(folders, python, static_python, jobs, timeout, generator, only):
    extract = load_extract()
    records = []
    for folder in folders:
        folder = os.path.abspath(folder)
        flows = [f for f in find_flows(folder) if not only or only in f[1]]
        copy = tempfile.mkdtemp(prefix="mfdag-diff-copy-")
        try:
            copy_folder = os.path.join(copy, os.path.basename(folder))
            shutil.copytree(folder, copy_folder, symlinks=True,
                            ignore=shutil.ignore_patterns("__pycache__", ".metaflow", "*.pyc"))
            by_root = OrderedDict()
            for root, rel in flows:
                base = os.path.join(root, rel)[:-3]
                by_root.setdefault(root, []).append({"root": root, "rel": rel, "args": words(base + ".args"),
                                                     "topArgs": words(base + ".topargs")})
            pending = []
            with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as pool:
                for root, entries in by_root.items():
                    roots = ["."] + declared_package_dirs(root)
                    copy_root = os.path.join(copy_folder, os.path.relpath(root, folder))
                    futures = [pool.submit(run_real, python, copy_root, e["rel"], e["args"], e["topArgs"], roots,
                                           timeout, extract) for e in entries]
                    statics = run_static(root, entries, static_python, generator, roots)
                    pending.append((root, entries, statics, futures))
                for root, entries, statics, futures in pending:
                    for entry, static, future in zip(entries, statics, futures):
                        real = future.result()
                        records.append(record(folder, entry, static, real))
        finally:
            shutil.rmtree(copy, ignore_errors=True)
    return records


def record(folder, entry, static, real):
    config, config_detail = config_verdict(static, real)
    job, job_detail, _paths = job_verdict(static, real)
    return {
        "folder": folder,
        "flow": os.path.relpath(os.path.join(entry["root"], entry["rel"]), folder),
        "args": entry["args"], "topArgs": entry["topArgs"],
        "real": "refused" if real["error"] is not None else "compiled",
        "realError": real["error"],
        "staticExact": static["exact"], "staticError": static["error"], "staticReason": static["reason"],
        "jobInexact": static.get("jobInexact") or [],
        "config": config, "configDetail": config_detail,
        "configReasons": config_reasons(static) if config == "honest fallback" else [],
        "job": job, "jobDetail": job_detail,
        "jobReasons": job_reasons(static) if job == "honest fallback" else {},
    }


def summarize(records):
    summary = {}
    for dim in ("config", "job"):
        counts = Counter(r[dim] for r in records)
        reasons = Counter(reason for r in records for reason in r[dim + "Reasons"])
        parts = {}
        for r in records:
            if isinstance(r[dim + "Reasons"], dict):
                for reason, names in r[dim + "Reasons"].items():
                    parts.setdefault(reason, set()).update(names)
        summary[dim] = {"counts": {v: counts.get(v, 0) for v in VERDICTS},
                        "fallbackReasons": [dict({"reason": k, "flows": n}, **({"parts": sorted(parts[k])} if parts.get(k) else {}))
                                            for k, n in sorted(reasons.items(), key=lambda kv: (-kv[1], kv[0]))]}
    summary["flows"] = len(records)
    summary["compiled"] = sum(1 for r in records if r["real"] == "compiled")
    return summary


def text_report(records, summary, out):
    folders = OrderedDict()
    for r in records:
        folders.setdefault(r["folder"], []).append(r)
    for folder, rows in folders.items():
        out.write("\n== %s (%d flows)\n" % (folder, len(rows)))
        width = max(len(r["flow"]) for r in rows)
        out.write("%-*s  %-8s  %-15s  %-15s\n" % (width, "flow", "real", "config", "job"))
        for r in rows:
            out.write("%-*s  %-8s  %-15s  %-15s\n" % (width, r["flow"], r["real"], r["config"], r["job"]))
    out.write("\n== summary: %d flows (%d compiled by the real compiler)\n" % (summary["flows"], summary["compiled"]))
    out.write("%-16s %7s %7s\n" % ("verdict", "config", "job"))
    for v in VERDICTS:
        out.write("%-16s %7d %7d\n" % (v, summary["config"]["counts"][v], summary["job"]["counts"][v]))
    for dim in ("config", "job"):
        bad = [r for r in records if r[dim] in ("silent mismatch", "missed refusal", "false refusal")]
        out.write("\n== %s: silent mismatches, missed and false refusals (%d)\n" % (dim, len(bad)))
        for r in bad:
            out.write("- %s [%s]: %s\n" % (r["flow"], r[dim], r[dim + "Detail"]))
        out.write("\n== %s: fallback reasons, by flows\n" % dim)
        for item in summary[dim]["fallbackReasons"]:
            out.write("%4d  %s%s\n" % (item["flows"], item["reason"],
                                        " [%s]" % ", ".join(item["parts"]) if item.get("parts") else ""))


def markdown_report(summary, out):
    out.write("| verdict | Config class | job model |\n| --- | ---: | ---: |\n")
    for v in VERDICTS:
        out.write("| %s | %d | %d |\n" % (v, summary["config"]["counts"][v], summary["job"]["counts"][v]))
    out.write("| **flows** | %d | %d |\n" % (summary["flows"], summary["flows"]))
    for dim, title in (("config", "Config class"), ("job", "job model")):
        if summary[dim]["fallbackReasons"]:
            out.write("\n%s fallback reasons:\n\n| flows | reason |\n| ---: | --- |\n" % title)
            for item in summary[dim]["fallbackReasons"]:
                parts = " (%s)" % ", ".join(item["parts"]) if item.get("parts") else ""
                out.write("| %d | %s%s |\n" % (item["flows"], item["reason"].replace("|", "\\|"), parts))


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folders", nargs="+")
    parser.add_argument("--json", action="store_true", help="one JSON object (records and summary) on stdout")
    parser.add_argument("--markdown", action="store_true", help="the summary as Markdown tables")
    parser.add_argument("--python", default="python3", help="the interpreter that runs the real compiler")
    parser.add_argument("--static-python", default=sys.executable, help="the interpreter that runs the static one")
    parser.add_argument("--jobs", type=int, default=4)
    parser.add_argument("--timeout", type=int, default=180, help="seconds per real compile")
    parser.add_argument("--generator", choices=("auto", "0.3.7", "main"), default="auto",
                        help="the static compiler's profile (auto: the installed metaflow-dagster's)")
    parser.add_argument("--only", help="only flows whose path contains this")
    options = parser.parse_args(argv)
    for folder in options.folders:
        if not os.path.isdir(folder):
            parser.error("not a folder: %s" % folder)
    ok, generator = probe_real(options.python)
    if not ok:
        sys.stderr.write("differential: the real compiler cannot be imported by %s (%s); put metaflow and "
                         "metaflow-dagster on PYTHONPATH (see DEVELOPERS.md)\n" % (options.python, generator))
        return 3
    if options.generator != "auto":
        generator = options.generator
    records = measure(options.folders, options.python, options.static_python, max(1, options.jobs), options.timeout,
                      generator, options.only)
    summary = summarize(records)
    summary["generator"] = generator
    if options.json:
        json.dump({"generator": generator, "records": records, "summary": summary}, sys.stdout, indent=1)
        sys.stdout.write("\n")
    elif options.markdown:
        markdown_report(summary, sys.stdout)
    else:
        text_report(records, summary, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
