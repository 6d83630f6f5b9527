// Synthetic repositories for the benchmark, in two shapes, each with its committed definitions
// files and a few stale flows:
//   - "params": N linear flows with 6–10 parameters of mixed types (some inherited from shared base
//     flows and a mixin); stale: a default whose type changed since the definitions were generated.
//   - "graphs": N flows with foreach, join and switch graphs and step decorators (@retry, @timeout,
//     @resources), some generated with `--tag` or `--name`; stale: a type change as above, or a step
//     added to the flow but not to the committed file. Their definitions files are the recorded real
//     models of graph-templates.json with the names substituted, so they are what the real compiler
//     writes, structurally.
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { renderDefinitions } from "../definitions-writer.mjs";

export const SHAPES = ["params", "graphs"];

const BASES = 5;
const OWN_NAMES = ["alpha", "batch_size", "cutoff", "dataset", "epochs", "features", "gamma", "horizon", "input_table", "jitter", "keep_top", "learning_rate", "max_rows", "notify", "output_prefix", "patience", "quantile", "retrain", "sample_rate", "threshold", "use_cache", "window"];
const KINDS = ["int", "float", "str", "bool", "list", "dict"];

/** Deterministic pseudo-random numbers (mulberry32). */
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Python's repr for the values generated here. */
function pyRepr(value, kind) {
  if (kind === "float") return Number.isInteger(value) ? value.toFixed(1) : String(value);
  if (kind === "bool") return value ? "True" : "False";
  if (kind === "str") return `'${value}'`;
  if (kind === "list") return `[${value.map((v) => (typeof v === "string" ? `'${v}'` : String(v))).join(", ")}]`;
  if (kind === "dict") return `{${Object.entries(value).map(([k, v]) => `'${k}': ${typeof v === "string" ? `'${v}'` : String(v)}`).join(", ")}}`;
  return String(value);
}

/** The Python source of a default (the same as repr for these values). */
const pySource = pyRepr;

function makeParam(name, kind, random, withHelp) {
  const n = Math.floor(random() * 50) + 1;
  const value = {
    int: n,
    float: n + [0.25, 0.5, 0.75][n % 3],
    str: `v${n}_${name}`,
    bool: n % 2 === 0,
    list: n % 2 ? [n, n + 1, n + 2] : [`a${n}`, `b${n}`],
    dict: { depth: n, mode: `m${n % 4}` },
  }[kind];
  return { attribute: name, name, kind, value, help: withHelp ? `${name.replace(/_/g, " ")} (${kind})` : null, declaredType: kind === "int" && n % 3 === 0 ? "int" : null };
}

function paramSource(p, kind = p.kind, value = p.value) {
  const args = [JSON.stringify(p.name), `default=${pySource(value, kind)}`];
  if (p.declaredType) args.push(`type=${p.declaredType}`);
  if (p.help) args.push(`help=${JSON.stringify(p.help)}`);
  return `    ${p.attribute} = Parameter(${args.join(", ")})`;
}

function configLine(p, kind = p.kind, value = p.value) {
  return `    ${p.name}: ${kind} = ${pyRepr(value, kind)}${p.help ? `  # ${p.help}` : ""}`;
}

export function isStale(i) {
  return i % 37 === 5;
}

function baseParams(j) {
  return [
    { attribute: `base${j}_region`, name: `base${j}_region`, kind: "str", value: `eu-west-${j}`, help: "Cloud region", declaredType: null },
    { attribute: `base${j}_retries`, name: `base${j}_retries`, kind: "int", value: j + 2, help: null, declaredType: null },
  ];
}
const MIXIN_PARAM = { attribute: "tracking_enabled", name: "tracking_enabled", kind: "bool", value: true, help: "Send metrics", declaredType: null };

/**
 * Writes the repo under `root` (a git repo, committed) and returns what a correct check reports:
 * the flow files, the stale ones (`stale`), and of those the ones whose Config class changed
 * (`staleConfig`, what a Config-only comparison finds) and whose job changed (`staleJob`).
 */
export function writeSyntheticRepo(root, count, { generatingRoot = "/home/ci/bench", shape = "params" } = {}) {
  if (!SHAPES.includes(shape)) throw new Error(`unknown repo shape '${shape}' (${SHAPES.join(", ")})`);
  const repo = shape === "graphs" ? graphsRepo(count, generatingRoot) : paramsRepo(count, generatingRoot);
  for (const [file, text] of Object.entries(repo.files)) {
    mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    writeFileSync(path.join(root, file), text);
  }
  writeFileSync(path.join(root, ".gitignore"), ".metaflow/\n__pycache__/\n");
  const git = (...args) => execFileSync("git", ["-c", "user.name=mfdag bench", "-c", "user.email=bench@example.invalid", "-c", "init.defaultBranch=main", ...args], { cwd: root, stdio: "ignore" });
  git("init", "-q");
  git("add", "-A");
  git("commit", "-q", "-m", "synthetic repo");
  return { flows: repo.flows, stale: [...repo.staleConfig, ...repo.staleJob].sort(), staleConfig: repo.staleConfig, staleJob: repo.staleJob };
}

function paramsRepo(count, generatingRoot) {
  const files = {};
  files["flows/shared/__init__.py"] = "";
  for (let j = 0; j < BASES; j++) {
    files[`flows/shared/base_${j}.py`] = `from metaflow import FlowSpec, Parameter\n\n\nclass Base${j}(FlowSpec):\n${baseParams(j).map((p) => paramSource(p)).join("\n")}\n`;
  }
  files["flows/shared/mixins.py"] = `from metaflow import Parameter\n\n\nclass TrackingMixin:\n${paramSource(MIXIN_PARAM)}\n`;

  const flows = [];
  const stale = [];
  const width = String(count - 1).length;
  for (let i = 0; i < count; i++) {
    const random = rng(i + 1);
    const id = String(i).padStart(width, "0");
    const flowClass = `Synth${id}Flow`;
    const flowFile = `flows/flow_${id}.py`;
    const defsFile = `dagster/flow_${id}_dagster.py`;
    const inherits = i % 3 !== 0;
    const mixin = i % 4 === 1;
    const inherited = [...(inherits ? baseParams(i % BASES) : []), ...(mixin ? [MIXIN_PARAM] : [])];
    const ownCount = Math.max(2, 6 + Math.floor(random() * 5) - inherited.length);
    const names = [...OWN_NAMES].sort(() => random() - 0.5).slice(0, ownCount);
    const own = names.map((name, k) => makeParam(name, KINDS[(i + k) % KINDS.length], random, random() < 0.6));
    // The stale flow: its first int parameter now has a float default; the committed file still says int.
    const changed = isStale(i) ? own.find((p) => p.kind === "int") : null;
    const ownSource = own.map((p) => (p === changed ? paramSource(p, "float", p.value + 0.5) : paramSource(p)));
    const bases = [inherits ? `Base${i % BASES}` : "FlowSpec", ...(mixin ? ["TrackingMixin"] : [])];
    files[flowFile] = [
      `"""Synthetic flow ${i} for the mfdag benchmark."""`,
      `from metaflow import FlowSpec, Parameter, step`,
      ...(inherits ? [`from shared.base_${i % BASES} import Base${i % BASES}`] : []),
      ...(mixin ? ["from shared.mixins import TrackingMixin"] : []),
      "",
      "",
      `class ${flowClass}(${bases.join(", ")}):`,
      ...ownSource,
      "",
      "    @step",
      "    def start(self):",
      "        self.next(self.end)",
      "",
      "    @step",
      "    def end(self):",
      "        pass",
      "",
      "",
      'if __name__ == "__main__":',
      `    ${flowClass}()`,
      "",
    ].join("\n");
    const all = [...own, ...inherited].sort((a, b) => (a.attribute < b.attribute ? -1 : a.attribute > b.attribute ? 1 : 0));
    const configClass = [`class ${flowClass}Config(Config):`, ...all.map((p) => configLine(p))];
    files[defsFile] = renderDefinitions({ flow: flowClass, source: path.posix.join(generatingRoot, flowFile), configClass });
    flows.push({ flowFile, definitionsFile: defsFile, flowClass, parameters: all.length, jobName: null, args: [] });
    if (changed) stale.push(flowFile);
  }
  return { files, flows, staleConfig: stale, staleJob: [] };
}

// ── the "graphs" shape ────────────────────────────────────────────────────────────────────────

let graphTemplates = null;
function templates() {
  graphTemplates ??= JSON.parse(readFileSync(new URL("./graph-templates.json", import.meta.url), "utf8")).templates;
  return graphTemplates;
}

export function graphVariant(i) {
  return Object.keys(templates())[i % 3];
}

/** A flow generated with `--tag` (every fifth from 1) or `--name` (every fifth from 3, some also with tags). */
export function createArgs(i, id) {
  const tags = i % 5 === 1 || i % 10 === 3 ? [`team:t${i % 7}`, "env:ci"] : [];
  const name = i % 5 === 3 ? `nightly_${id}` : null;
  return { tags, name };
}

export function isGraphStale(i) {
  return i % 37 === 18;
}

/** The step a stale graphs flow gains after its template's `after` step, before the step that followed it. */
const ADDED_STEP = "added_check";

/**
 * The template model with the flow's names put in: what `dagster create` writes for the flow (the
 * recorded model's flow class and file replaced, `--name` renaming the job, `--tag`s on every run,
 * the start op passing the flow's parameters).
 */
function graphModel(template, flowClass, basename, parameterNames, { tags, name }) {
  const text = JSON.stringify(template.model).replaceAll(template.flowClass, flowClass).replaceAll(template.flowFile, basename);
  const model = JSON.parse(text);
  if (name) {
    model.header.job = name;
    model.job_name = name;
    model.job.name = name;
    model.definitions.jobs = model.definitions.jobs.map((job) => (job === flowClass ? name : job));
  }
  model.run_tags = [tags];
  for (const op of model.ops) {
    for (const run of op.runs) run.tags = tags;
    if (op.parameters !== undefined) op.parameters = Object.fromEntries(parameterNames.map((p) => [p, `config.${p}`]));
  }
  return model;
}

/** The template flow's source with the flow's class and parameters, and for a stale graph a step added. */
function graphFlowSource(template, flowClass, paramLines, staleGraph) {
  const lines = template.flow.replaceAll(template.flowClass, flowClass).split("\n");
  const at = lines.findIndex((line) => /^ {4}\w+ = Parameter\(/.test(line));
  lines.splice(at, 1, ...paramLines);
  if (staleGraph) {
    // The last step before `end` now goes to a new step, which goes to `end`.
    const last = lines.lastIndexOf("        self.next(self.end)");
    lines[last] = `        self.next(self.${ADDED_STEP})`;
    const main = lines.indexOf('if __name__ == "__main__":');
    lines.splice(main - 2, 0, "", "    @step", `    def ${ADDED_STEP}(self):`, "        self.next(self.end)");
  }
  return lines.join("\n");
}

function graphsRepo(count, generatingRoot) {
  const files = {};
  const flows = [];
  const staleConfig = [];
  const staleJob = [];
  const width = String(count - 1).length;
  for (let i = 0; i < count; i++) {
    const random = rng(i + 1);
    const id = String(i).padStart(width, "0");
    const variant = graphVariant(i);
    const template = templates()[variant];
    const flowClass = `Graph${id}Flow`;
    const basename = `graph_${id}.py`;
    const flowFile = `flows/${basename}`;
    const defsFile = `dagster/graph_${id}_dagster.py`;
    const names = [...OWN_NAMES].sort(() => random() - 0.5).slice(0, 3 + Math.floor(random() * 4));
    const own = names.map((name, k) => makeParam(name, KINDS[(i + k) % KINDS.length], random, random() < 0.6));
    const changed = isStale(i) ? own.find((p) => p.kind === "int") : null;
    const staleGraph = isGraphStale(i);
    const paramLines = own.map((p) => (p === changed ? paramSource(p, "float", p.value + 0.5) : paramSource(p)));
    files[flowFile] = `"""Synthetic ${variant} flow ${i} for the mfdag benchmark."""\n` + graphFlowSource(template, flowClass, paramLines, staleGraph);
    const all = [...own].sort((a, b) => (a.attribute < b.attribute ? -1 : a.attribute > b.attribute ? 1 : 0));
    const configClass = [`class ${flowClass}Config(Config):`, ...all.map((p) => configLine(p))];
    const args = createArgs(i, id);
    const model = graphModel(template, flowClass, basename, all.map((p) => p.name), args);
    files[defsFile] = renderDefinitions({ model, generator: "0.3.7", source: path.posix.join(generatingRoot, flowFile), configClass });
    // `dagster create` arguments: `jobName` (--name) and `args` (the --tags), as a CompileRequest takes them.
    flows.push({ flowFile, definitionsFile: defsFile, flowClass, parameters: all.length, variant, jobName: args.name, args: args.tags.flatMap((t) => ["--tag", t]) });
    if (changed) staleConfig.push(flowFile);
    if (staleGraph) staleJob.push(flowFile);
  }
  return { files, flows, staleConfig, staleJob };
}
