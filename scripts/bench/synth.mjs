// Synthetic repositories for the benchmark: N flows with 6–10 parameters of mixed types (some
// inherited from shared base flows and a mixin), their committed definitions files, and a few
// stale ones (a default whose type changed since the definitions were generated).
import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { renderDefinitions } from "../definitions-writer.mjs";

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
 * the flow files and the stale ones.
 */
export function writeSyntheticRepo(root, count, { generatingRoot = "/home/ci/bench" } = {}) {
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
    flows.push({ flowFile, definitionsFile: defsFile, flowClass, parameters: all.length });
    if (changed) stale.push(flowFile);
  }
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    writeFileSync(path.join(root, file), text);
  }
  writeFileSync(path.join(root, ".gitignore"), ".metaflow/\n__pycache__/\n");
  const git = (...args) => execFileSync("git", ["-c", "user.name=mfdag bench", "-c", "user.email=bench@example.invalid", "-c", "init.defaultBranch=main", ...args], { cwd: root, stdio: "ignore" });
  git("init", "-q");
  git("add", "-A");
  git("commit", "-q", "-m", "synthetic repo");
  return { flows, stale };
}
