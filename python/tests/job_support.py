"""Comparing a predicted job model with a recorded one: the differences as paths, and which part
of the model (job.PART_KEYS) each belongs to, so a test can say whether the prediction's inexact
parts cover them."""

import json
import os
import shlex

from mfstatic.server import StaticCompiler

CORPUS = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                      "__tests__", "fixtures", "corpus-definitions")
FLOWS = os.path.join(CORPUS, "flows")
EXPECTED = {"0.3.7": os.path.join(CORPUS, "expected", "0.3.7"),
            "main": os.path.join(CORPUS, "expected", "main-af05540")}

# Keys of a recorded model that are not part of the job model (the reader's diagnostics, the
# machine, the template's own text).
NOT_COMPARED = {"schema", "python_valid", "python_error", "parse_errors", "step_env_keys", "template_sha",
                "template_constants", "template_helpers"}


def corpus_flows():
    return sorted(f[:-3] for f in os.listdir(FLOWS) if f.endswith(".py"))


def words(name, ext):
    path = os.path.join(FLOWS, name + ext)
    if not os.path.exists(path):
        return []
    with open(path, encoding="utf-8") as fh:
        return shlex.split(fh.read())


def expected(name, generator):
    with open(os.path.join(EXPECTED[generator], name + ".json"), encoding="utf-8") as fh:
        return json.load(fh)


def compile_corpus_flow(name, generator):
    compiler = StaticCompiler(FLOWS, 2_000_000)
    return compiler.compile({"flowFile": name + ".py", "flowClass": None, "jobName": None, "generator": generator,
                             "args": words(name, ".args"), "topArgs": words(name, ".topargs")})


def comparable(model):
    model = json.loads(json.dumps(model))  # what crosses the protocol
    for key in NOT_COMPARED:
        model.pop(key, None)
    model.get("header", {}).pop("source_basename", None)
    return model


def differences(predicted, recorded, path=()):
    """Paths (tuples of keys and indexes) where two JSON values differ."""
    if isinstance(predicted, dict) and isinstance(recorded, dict):
        out = []
        for key in list(predicted) + [k for k in recorded if k not in predicted]:
            if key not in predicted or key not in recorded:
                out.append(path + (key,))
            else:
                out += differences(predicted[key], recorded[key], path + (key,))
        return out
    if isinstance(predicted, list) and isinstance(recorded, list) and path and path[-1] == "ops":
        if [o.get("name") for o in predicted] != [o.get("name") for o in recorded]:
            return [path]
        out = []
        for i, (a, b) in enumerate(zip(predicted, recorded)):
            out += differences(a, b, path + (i,))
        return out
    if isinstance(predicted, list) and isinstance(recorded, list) and path and path[-1] == "runs" \
            and len(predicted) == len(recorded):
        out = []
        for i, (a, b) in enumerate(zip(predicted, recorded)):
            out += differences(a, b, path + (i,))
        return out
    return [] if predicted == recorded else [path]


def part_of(path, model):
    """(part, steps) a difference at `path` belongs to; steps None = the whole flow."""
    head = path[0]
    simple = {"top_args": "top-args", "top_options": "top-args", "flow_config_value": "config-value",
              "schedule": "schedule", "sensors": "sensors", "workflow_timeout": "job-tags", "run_tags": "run-tags",
              "job_name": "job-name", "job_name_not_identifier": "job-name"}
    if head in simple:
        return simple[head], None
    if head in ("step_with_decorators", "step_decorator_specs", "step_conda_env_ids"):
        return "decorators", (path[1],) if len(path) > 1 else None
    if head == "definitions":
        key = path[1] if len(path) > 1 else None
        return {"schedules": "schedule", "sensors": "sensors", "jobs": "job-name"}.get(key, "graph"), None
    if head == "header":
        return ("job-name" if len(path) > 1 and path[1] == "job" else "graph"), None
    if head == "job":
        key = path[1] if len(path) > 1 else None
        return {"tags": "job-tags", "name": "job-name"}.get(key, "graph"), None
    if head == "ops":
        if len(path) == 1:
            return "graph", None
        op = model["ops"][path[1]]
        steps = tuple(op["steps"])
        key = path[2] if len(path) > 2 else None
        if key == "runs" and len(path) > 4:
            run_key = path[4]
            step = (op["runs"][path[3]]["step"],)
            return {"max_user_code_retries": "retry", "extra_env": "env", "tags": "run-tags"}.get(run_key, "ops"), step
        return {"retry_policy": "retry", "tags": "timeout", "timeout": "timeout",
                "decorator_keys": ("retry", "timeout")}.get(key, "ops"), steps
    return "graph", None


def covered(path, model, inexact):
    part, steps = part_of(path, model)
    parts = part if isinstance(part, tuple) else (part,)
    for entry in inexact:
        if entry["part"] in parts and (entry["step"] is None or steps is None or entry["step"] in steps):
            return entry
    return None
