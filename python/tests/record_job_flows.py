"""Records what the real compiler writes for the flows in fixtures/job-flows/ (not a test).

    MFDAG_METAFLOW=/path/to/metaflow MFDAG_DAGSTER_037=/path/to/metaflow-dagster-v0.3.7 \\
    MFDAG_DAGSTER_MAIN=/path/to/metaflow-dagster-af05540 python3 python/tests/record_job_flows.py

For each flow and each generator version it runs `python FLOW.py [TOPARGS] dagster create OUT.py
[ARGS]` (metaflow 2.19.38), reads the file back with the corpus's reference reader
(__tests__/fixtures/corpus-definitions/extract.py) and keeps only the model, or the printed error:
fixtures/job-flows/expected.json. The generated files themselves are never kept (they embed
metaflow-dagster's template code)."""

import json
import os
import shlex
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
FLOWS = os.path.join(HERE, "fixtures", "job-flows")
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(HERE)), "__tests__", "fixtures", "corpus-definitions"))
import extract  # noqa: E402

NOT_KEPT = ("schema", "python_error", "parse_errors", "step_env_keys", "template_sha", "template_constants",
            "template_helpers")


def words(name, ext):
    path = os.path.join(FLOWS, name + ext)
    return shlex.split(open(path, encoding="utf-8").read()) if os.path.exists(path) else []


def record(metaflow, generators):
    expected = {}
    for entry in sorted(os.listdir(FLOWS)):
        if not entry.endswith(".py") or entry.endswith("_base.py"):
            continue
        name = entry[:-3]
        expected[name] = {}
        for generator, path in generators.items():
            tmp = tempfile.mkdtemp()
            env = dict(os.environ, PYTHONPATH=metaflow + os.pathsep + path, USER="me", PYTHONHASHSEED="0",
                       METAFLOW_DATASTORE_SYSROOT_LOCAL=tmp)
            out = os.path.join(tmp, "out.py")
            run = subprocess.run([sys.executable, entry] + words(name, ".topargs") + ["dagster", "create", out]
                                 + words(name, ".args"), cwd=FLOWS, env=env, capture_output=True, text=True)
            if run.returncode != 0:
                lines = [line.strip() for line in run.stderr.strip().splitlines() if line.strip()]
                expected[name][generator] = {"error": lines[-1] if lines else None}
                continue
            with open(out, encoding="utf-8") as fh:
                model = extract.extract(fh.read())
            for key in NOT_KEPT:
                model.pop(key, None)
            model["header"].pop("source_basename", None)
            expected[name][generator] = model
    return expected


if __name__ == "__main__":
    generators = {"0.3.7": os.environ["MFDAG_DAGSTER_037"], "main": os.environ["MFDAG_DAGSTER_MAIN"]}
    result = record(os.environ["MFDAG_METAFLOW"], generators)
    with open(os.path.join(FLOWS, "expected.json"), "w", encoding="utf-8") as fh:
        json.dump(result, fh, indent=1, sort_keys=True)
        fh.write("\n")
