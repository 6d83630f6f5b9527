// Writes Dagster definitions files in the documented metaflow-dagster layout (section 1 of the shared
// metaflow-dagster-definitions.md: header docstring, constants, helpers, Config class, one op per
// step, compound ops, the job, the schedule, the sensors, Definitions) for tests, the example repo
// and the benchmark. Generated files are never committed: they embed metaflow-dagster's template
// code. So the helper bodies and the op bodies here are our own short stand-ins; what the file says
// about the flow (every key of the structural model extract.py reads back) is exactly what the real
// compiler writes, and the constant and helper names imitate the chosen version's, so a reader sees
// the same model and the same version markers (not the same template_sha: that hashes their text).
import { createHash } from "node:crypto";

/**
 * The names each metaflow-dagster version writes in its preamble, in order: `template_constants` and
 * `template_helpers` of the corpus' expected models (`expected/0.3.7/`, `expected/main-af05540/`).
 */
export const GENERATORS = {
  "0.3.7": {
    constants: ["FLOW_FILE", "FLOW_NAME", "ORIGIN_RUN_ID", "METAFLOW_TOP_ARGS", "METAFLOW_STEP_ENV", "STEP_DECORATOR_SPECS", "STEP_WITH_DECORATORS", "STEP_CONDA_ENV_IDS"],
    helpers: ["_bootstrap_conda_envs", "_get_conda_interpreter", "_make_run_id", "_build_env", "_communicate", "_run_cmd", "_run_init", "_get_ds_root", "_ensure_code_package", "_run_step", "_get_foreach_splits", "_get_condition_branch", "_add_step_metadata"],
  },
  main: {
    constants: ["FLOW_FILE", "FLOW_NAME", "ORIGIN_RUN_ID", "METAFLOW_TOP_ARGS", "METAFLOW_STEP_ENV", "STEP_WITH_DECORATORS", "STEP_CONDA_ENV_IDS"],
    helpers: ["_bootstrap_conda_envs", "_get_conda_interpreter", "_make_run_id", "_build_env", "_communicate", "_run_cmd", "_run_init", "_get_ds_root", "_run_step", "_get_foreach_splits", "_get_condition_branch", "_add_step_metadata"],
  },
};

/** The top-level options metaflow-dagster embeds for a flow compiled with the default configuration. */
const DEFAULT_TOP_ARGS = ["--quiet", "--no-pylint", "--metadata=local", "--environment=local", "--datastore=local", "--datastore-root=<DATASTORE_ROOT>", "--event-logger=nullSidecarLogger", "--monitor=nullSidecarMonitor"];

/**
 * @param {import("./definitions-writer.d.mts").DefinitionsSpec} spec
 *   Either the old spec (`flow`, `job`, `source`, `configClass`, `steps`: a decorator-free linear
 *   flow as metaflow-dagster 0.3.7 writes it) or `model` (the expected-file shape) with an optional
 *   `source`, `configClass` (the class lines, instead of the model's) and `generator`.
 * @returns {string}
 */
export function renderDefinitions(spec) {
  const model = spec.model ?? linearModel(spec);
  const generator = spec.generator ?? (spec.model && model.step_decorator_specs === undefined ? "main" : "0.3.7");
  // Another version's names (a recorded model's template_constants / template_helpers) make a file of that version.
  const names = spec.names ?? GENERATORS[generator === "main" || generator.startsWith("main") ? "main" : "0.3.7"];
  const source = spec.source ?? `/home/dev/project/flows/${model.header?.source_basename ?? model.header?.regenerate?.flow_file ?? "flow.py"}`;
  const flowsDir = source.replace(/[\\/][^\\/]*$/, "") || "/";
  const datastoreRoot = spec.datastoreRoot ?? `${flowsDir}/.metaflow`;
  const configLines = spec.configClass !== undefined && (spec.model === undefined || spec.configClass !== null) ? spec.configClass : configClassLines(model.config_class);

  const parts = [
    preamble(model, names, generator, source, flowsDir, datastoreRoot),
    ...(configLines ? [configLines.join("\n")] : []),
    ...model.ops.map(renderOp),
    ...(model.job ? [renderJob(model.job)] : []),
    ...(model.schedule ? [renderSchedule(model.schedule)] : []),
    ...model.sensors.map(renderSensor),
    ...(model.definitions ? [renderDefinitionsCall(model.definitions)] : []),
  ];
  return parts.join("\n\n\n") + "\n";
}

// ── the old spec: a linear flow without decorators ────────────────────────────────────────────

/** The model metaflow-dagster 0.3.7 writes for a linear `start → … → end` flow without decorators. */
function linearModel(spec) {
  const job = spec.job ?? spec.flow;
  const steps = spec.steps ?? ["start", "end"];
  const base = spec.source.split("/").pop();
  const configName = spec.configClass ? `${spec.flow}Config` : null;
  // The start op passes every Config field, in class order.
  const parameters = {};
  for (const line of (spec.configClass ?? []).slice(1)) {
    const field = /^ {4}([^:\s][^:]*?): \w+ = /.exec(line);
    if (field) parameters[field[1]] = `config.${field[1]}`;
  }
  const run = (step) => ({ step, max_user_code_retries: 0, tags: [], extra_env: null, split_index: false });
  const ops = steps.map((step, i) => {
    const previous = steps[i - 1];
    const last = i === steps.length - 1 && i > 0;
    const op = {
      name: `op_${step}`,
      steps: [step],
      ins: i === 0 ? null : { [previous]: "In(str)" },
      out: last ? null : "Out(str)",
      out_names: null,
      params: i === 0 ? (configName ? ["config"] : []) : [previous],
      config: i === 0 ? configName : null,
      returns: last ? "None" : "str",
      retry_policy: null,
      tags: null,
      timeout: null,
      decorator_keys: i === 0 ? ["out"] : last ? ["ins"] : ["ins", "out"],
      runs: [run(step)],
      yields: [],
      init: i === 0,
      reads_foreach_splits: false,
      reads_condition_branch: false,
    };
    if (i === 0) op.parameters = parameters;
    op.kind = i === 0 ? "start" : last ? "end" : "linear";
    return op;
  });
  const body = steps.map((step, i) => (i === 0 ? `r_${step} = op_${step}()` : i === steps.length - 1 ? `op_${step}(r_${steps[i - 1]})` : `r_${step} = op_${step}(r_${steps[i - 1]})`));
  return {
    header: { flow: spec.flow, job, regenerate: { flow_file: base, output: "<output.py>" } },
    flow_name: spec.flow,
    job_name: job,
    config_class: null,
    origin_run_id: null,
    top_args: DEFAULT_TOP_ARGS,
    flow_config_value: null,
    step_with_decorators: Object.fromEntries(steps.map((s) => [s, []])),
    step_decorator_specs: Object.fromEntries(steps.map((s) => [s, []])),
    step_conda_env_ids: Object.fromEntries(steps.map((s) => [s, null])),
    ops,
    job: { name: job, tags: null, body },
    schedule: null,
    sensors: [],
    definitions: { jobs: [job], schedules: [], sensors: [] },
  };
}

// ── preamble ──────────────────────────────────────────────────────────────────────────────────

function preamble(model, names, generator, source, flowsDir, datastoreRoot) {
  const header = model.header ?? {};
  const doc = ['"""', "Dagster definitions generated by metaflow-dagster."];
  if (header.flow != null) doc.push(`Flow   : ${header.flow}`);
  if (header.job != null) doc.push(`Job    : ${header.job}`);
  doc.push(`Source : ${source}`, "", "DO NOT EDIT — re-generate with:");
  if (header.regenerate) doc.push(`    python ${header.regenerate.flow_file} dagster create ${header.regenerate.output}`);
  doc.push('"""');
  const is037 = names === GENERATORS["0.3.7"];
  const imports = [
    ...(is037 ? ["import atexit"] : []),
    "import hashlib",
    "import os",
    "import subprocess",
    "import sys",
    "from typing import Dict, List, Optional",
    "",
    "from dagster import (",
    "    Config, DefaultSensorStatus, Definitions, DynamicOut, DynamicOutput, In, OpExecutionContext, Out,",
    "    Output, RetryPolicy, RunRequest, ScheduleDefinition, SensorEvaluationContext, job, op, sensor,",
    ")",
    ...(is037 ? ["from metaflow.decorators import extract_step_decorator_from_decospec"] : []),
    "from metaflow.util import compress_list",
  ];
  const stepEnv = { METAFLOW_DATASTORE_SYSROOT_LOCAL: flowsDir };
  if (model.flow_config_value != null) stepEnv.METAFLOW_FLOW_CONFIG_VALUE = pyJsonDumps(model.flow_config_value);
  const values = {
    FLOW_FILE: ["", source],
    FLOW_NAME: ["", model.flow_name],
    ORIGIN_RUN_ID: [": Optional[str]", model.origin_run_id ?? null],
    METAFLOW_TOP_ARGS: [": List[str]", model.top_args?.map((a) => a.replace("<DATASTORE_ROOT>", datastoreRoot))],
    METAFLOW_STEP_ENV: [": Dict[str, str]", stepEnv],
    STEP_DECORATOR_SPECS: [": Dict[str, List[str]]", model.step_decorator_specs],
    STEP_WITH_DECORATORS: [": Dict[str, List[str]]", model.step_with_decorators],
    STEP_CONDA_ENV_IDS: [": Dict[str, Optional[str]]", model.step_conda_env_ids && envIds(model.step_conda_env_ids)],
  };
  const constants = [];
  for (const name of names.constants) {
    const [annotation, value] = values[name];
    if (value === undefined || (value === null && name !== "ORIGIN_RUN_ID")) continue;
    constants.push(`${name}${annotation} = ${pyLiteral(value)}`);
  }
  const helpers = names.helpers.map(
    (helper) => `def ${helper}(*args, **kwargs):\n    # A stand-in written by mfdag's fixture writer (${generator}); not metaflow-dagster's code.\n    raise NotImplementedError(${JSON.stringify(helper)})`,
  );
  return [doc.join("\n"), imports.join("\n"), constants.join("\n"), ...helpers].join("\n\n");
}

/** Made-up conda environment ids: 15 hex digits per label, the same for the same label. */
function envIds(labels) {
  return Object.fromEntries(Object.entries(labels).map(([step, label]) => [step, label === null ? null : createHash("sha256").update(String(label)).digest("hex").slice(0, 15)]));
}

function configClassLines(config) {
  if (!config) return null;
  const fields = config.fields.map((f) => `    ${f.name}: ${f.type} = ${f.default}${f.help === null || f.help === undefined ? "" : `  # ${f.help}`}`);
  return [`class ${config.name}(Config):`, ...fields, ...config.stray_lines];
}

// ── ops ───────────────────────────────────────────────────────────────────────────────────────

const PARAM_TYPES = { join: "", "switch-merge": "", "foreach-join": ": list" };

function renderOp(op) {
  const keywords = [];
  for (const key of op.decorator_keys) {
    if (key === "ins" && op.ins != null) keywords.push(`ins=${outText(op.ins, null)}`);
    else if (key === "out" && op.out != null) keywords.push(`out=${outText(op.out, op.out_names)}`);
    else if (key === "retry_policy" && op.retry_policy) {
      const args = [];
      if (op.retry_policy.max_retries != null) args.push(`max_retries=${op.retry_policy.max_retries}`);
      if (op.retry_policy.delay != null) args.push(`delay=${op.retry_policy.delay}`);
      keywords.push(`retry_policy=RetryPolicy(${args.join(", ")})`);
    } else if (key === "tags" && op.tags) keywords.push(`tags=${dqDict(op.tags)}`);
  }
  const decorator = keywords.length > 0 ? `@op(${keywords.join(", ")})` : "@op";
  const annotation = PARAM_TYPES[op.kind] ?? ": str";
  const params = op.params.map((p) => (p === "config" && op.config ? `config: ${op.config}` : `${p}${annotation}`));
  const returns = op.returns != null ? ` -> ${op.returns}` : "";
  const lines = [`def ${op.name}(${["context: OpExecutionContext", ...params].join(", ")})${returns}:`];
  const input = op.params.find((p) => p !== "config");
  lines.push(op.init || !input ? "    run_id = _make_run_id(context.run_id)" : `    run_id = str(${input}).split("/")[0]`);
  if (op.parameters !== undefined) lines.push(`    parameters = {${Object.entries(op.parameters).map(([k, v]) => `"${k}": ${v}`).join(", ")}}`);
  if (op.init) lines.push(`    params_path = _run_init(context, run_id, "params", ${op.parameters !== undefined ? "parameters" : "{}"})`);
  for (const run of op.runs) {
    const args = ["context", run.step === null ? "step_name" : JSON.stringify(run.step), "run_id", op.init ? "params_path" : input ?? "run_id", '"1"'];
    if (run.max_user_code_retries != null) args.push(`max_user_code_retries=${run.max_user_code_retries}`);
    if (run.tags != null) args.push(`tags=${pyLiteral(run.tags)}`);
    if (run.split_index) args.push("split_index=split_index");
    args.push(`extra_env=${pyLiteral(run.extra_env ?? null)}`);
    lines.push(`    task_path = _run_step(${args.join(", ")})`);
  }
  const step = JSON.stringify(op.steps[0] ?? op.name.replace(/^op_/, ""));
  if (op.reads_foreach_splits) lines.push(`    num_splits = _get_foreach_splits(run_id, ${step}, "1")`);
  if (op.reads_condition_branch) lines.push(`    _branch = _get_condition_branch(run_id, ${step}, "1")`);
  const single = op.yields.length === 1 && op.yields[0].type === "DynamicOutput" && op.yields[0].output_name === null;
  if (single) lines.push("    for _i in range(num_splits):", '        yield DynamicOutput(f"{task_path}//_i={_i}", mapping_key=str(_i))');
  else {
    for (const y of op.yields) {
      const name = y.output_name === null ? "" : y.output_name.startsWith("<") && y.output_name.endsWith(">") ? `, output_name=${y.output_name.slice(1, -1)}` : `, output_name=${JSON.stringify(y.output_name)}`;
      lines.push(`    yield ${y.type === null ? "dagster.Output" : y.type}(task_path${name})`);
    }
  }
  if (op.returns != null && op.returns !== "None") lines.push("    return task_path");
  return [decorator, ...lines].join("\n");
}

/** `ins=`/`out=` text: the dict of named outputs in `out_names` order (duplicates kept), or the text as it is. */
function outText(value, order) {
  if (typeof value === "string") return value;
  const keys = order ?? Object.keys(value);
  return `{${keys.map((k) => `${JSON.stringify(k)}: ${value[k]}`).join(", ")}}`;
}

function dqDict(dict) {
  return `{${Object.entries(dict).map(([k, v]) => `${JSON.stringify(k)}: ${JSON.stringify(v)}`).join(", ")}}`;
}

// ── job, schedule, sensors, Definitions ──────────────────────────────────────────────────────

function renderJob(job) {
  const decorator = job.tags ? `@job(tags=${dqDict(job.tags)})` : "@job";
  const body = job.body.length > 0 ? job.body.map((s) => `    ${s}`) : ["    pass"];
  return [decorator, `def ${job.name}():`, ...body].join("\n");
}

function renderSchedule(schedule) {
  const args = [];
  if (schedule.job != null) args.push(`    job=${schedule.job},`);
  if (schedule.cron != null) args.push(`    cron_schedule=${pyRepr(schedule.cron)},`);
  return [`${schedule.name ?? "schedule"} = ScheduleDefinition(`, ...args, ")"].join("\n");
}

/**
 * A sensor. The real compiler's event-sensor template fails to dedent, so every event sensor is
 * indented (by `indent`) with its `yield` at column 0: written the same way, so the file is as
 * invalid as the real one.
 */
function renderSensor(sensor) {
  const pad = " ".repeat(sensor.indent);
  const status = sensor.default_status ? `, default_status=${sensor.default_status}` : "";
  const lines = [`${pad}@sensor(job=${sensor.job}, name=${pyRepr(sensor.name)}${status})`];
  if (sensor.function) lines.push(`${pad}def ${sensor.function}(context: SensorEvaluationContext):`);
  if (sensor.kind === "event") {
    lines.push(`${pad}    """Fire ${sensor.job} when the '${sensor.event}' event is detected."""`, `${pad}    event_detected = False  # a stand-in: Dagster has no event bus`, `${pad}    if event_detected:`);
    const mapping = Object.entries(sensor.parameter_map ?? {}).map(([param, field]) => `        ${pyRepr(param)}: context.cursor or "",  # mapped from event field ${pyRepr(field)}`);
    if (sensor.run_config_op) lines.push(`${pad}        run_config = {`, `    "ops": {"${sensor.run_config_op}": {"config": {`, ...mapping, "    }}}", "}");
    else if (mapping.length > 0) lines.push(`${pad}        run_config = {`, ...mapping, "}");
    else lines.push(`${pad}        run_config = {}`);
    lines.push(`${sensor.indent > 0 ? "" : pad + "        "}yield RunRequest(run_key=context.cursor, run_config=run_config)`);
  } else {
    lines.push(`${pad}    """Fire ${sensor.job} when an upstream Dagster job completes successfully."""`, `${pad}    from dagster import DagsterRunStatus, RunsFilter`);
    if (sensor.kind === "finish" && sensor.upstream_job != null) {
      lines.push(
        `${pad}    runs = context.instance.get_runs(`,
        `${pad}        filters=RunsFilter(`,
        `${pad}            job_name=${pyRepr(sensor.upstream_job)},`,
        `${pad}            statuses=[DagsterRunStatus.SUCCESS],`,
        `${pad}        ),`,
        `${pad}        limit=50,`,
        `${pad}    )`,
      );
    } else lines.push(`${pad}    runs = []`);
    lines.push(`${pad}    for run in runs:`, `${pad}        if run.run_id > (context.cursor or "0"):`, `${pad}            context.update_cursor(run.run_id)`, `${pad}            yield RunRequest(run_key=run.run_id)`);
  }
  return lines.join("\n");
}

function renderDefinitionsCall(definitions) {
  const args = Object.entries(definitions).map(([k, v]) => `    ${k}=${Array.isArray(v) ? `[${v.join(", ")}]` : v},`);
  return ["defs = Definitions(", ...args, ")"].join("\n");
}

// ── Python literals ───────────────────────────────────────────────────────────────────────────

/** `repr()` of a JSON value as Python writes it. */
function pyLiteral(value) {
  if (value === null || value === undefined) return "None";
  if (value === true) return "True";
  if (value === false) return "False";
  if (typeof value === "number") return String(value);
  if (typeof value === "string") return pyRepr(value);
  if (Array.isArray(value)) return `[${value.map(pyLiteral).join(", ")}]`;
  return `{${Object.entries(value).map(([k, v]) => `${pyRepr(k)}: ${pyLiteral(v)}`).join(", ")}}`;
}

/** Python's `repr(str)`: single quotes unless the text has one and no double quote. */
function pyRepr(text) {
  const quote = text.includes("'") && !text.includes('"') ? '"' : "'";
  let out = quote;
  for (const ch of text) {
    if (ch === quote || ch === "\\") out += "\\" + ch;
    else if (ch === "\n") out += "\\n";
    else if (ch === "\r") out += "\\r";
    else if (ch === "\t") out += "\\t";
    else if (ch !== " " && /[\p{C}\p{Z}]/u.test(ch)) {
      const code = ch.codePointAt(0);
      out += code < 0x100 ? "\\x" + code.toString(16).padStart(2, "0") : code < 0x10000 ? "\\u" + code.toString(16).padStart(4, "0") : "\\U" + code.toString(16).padStart(8, "0");
    } else out += ch;
  }
  return out + quote;
}

/** `json.dumps(value)` with Python's default separators (metaflow writes the flow config value this way). */
function pyJsonDumps(value) {
  if (value === null || value === undefined) return "null";
  if (typeof value === "string") return JSON.stringify(value).replace(/[\u007f-\uffff]/g, (ch) => "\\u" + ch.charCodeAt(0).toString(16).padStart(4, "0"));
  if (typeof value !== "object") return String(value);
  if (Array.isArray(value)) return `[${value.map(pyJsonDumps).join(", ")}]`;
  return `{${Object.entries(value).map(([k, v]) => `${pyJsonDumps(k)}: ${pyJsonDumps(v)}`).join(", ")}}`;
}
