// The benchmark (`npm run bench`; not a test): synthetic repos of N flows in two shapes ("params":
// linear flows with many parameters; "graphs": foreach/switch graphs, step decorators, --tag/--name),
// measured against
//   - the limit:            Node start + one Python reading every .py file and ast.parse-ing every flow
// and checked by
//   - the static compiler:  node dist/cli.js check --compiler static
//   - the exact compiler:   node dist/cli.js check --compiler metaflow
//   - the fork server:      src/io/fork-server.ts driven directly (compile + compare only)
//   - the naive baseline:   `python3 flow.py dagster create OUT` per flow, sequentially, + parse + diff
// The last three need metaflow-dagster importable by the Python; without it their rows are skipped
// and the table says why. Prints a table and writes bench-results/bench.json. A check that does
// not report exactly the flows made stale gets no time: its row and the notes say WRONG RESULT, exit code 1.
//
//   node scripts/bench.mjs [--sizes 10,100,1000,10000] [--shapes params,graphs] [--quick] [--sample 20]
//                          [--exact-max 100] [--fork-max 1000] [--repeat 3] [--cli dist/cli.js]
//                          [--python python3] [--keep]
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { gnuTimeAvailable, measure } from "./bench/measure.mjs";
import { SHAPES, writeSyntheticRepo } from "./bench/synth.mjs";

const PROJECT = path.resolve(fileURLToPath(import.meta.url), "../..");
const { values: opts } = parseArgs({
  options: {
    sizes: { type: "string" },
    shapes: { type: "string" },
    quick: { type: "boolean", default: false },
    sample: { type: "string" },
    "exact-max": { type: "string" },
    "fork-max": { type: "string" },
    repeat: { type: "string" },
    cli: { type: "string", default: path.join(PROJECT, "dist/cli.js") },
    python: { type: "string", default: "python3" },
    keep: { type: "boolean", default: false },
  },
});
const sizes = (opts.sizes ?? (opts.quick ? "10,100" : "10,100,1000,10000")).split(",").map((s) => Number(s.trim()));
if (sizes.some((n) => !Number.isInteger(n) || n < 1)) fail(`--sizes: expected positive integers separated by commas, got '${opts.sizes}'`);
const shapes = (opts.shapes ?? SHAPES.join(",")).split(",").map((s) => s.trim());
if (shapes.some((shape) => !SHAPES.includes(shape))) fail(`--shapes: expected some of ${SHAPES.join(", ")} separated by commas, got '${opts.shapes}'`);
const sampleSize = Number(opts.sample ?? (opts.quick ? 5 : 20));
const exactMax = Number(opts["exact-max"] ?? 100);
const forkMax = Number(opts["fork-max"] ?? (opts.quick ? 100 : 1000));
// Static checks take seconds, and one run on a shared machine can be off by a third: the row is
// the median of several (the memory columns their maximum); the limit is measured as often.
const repeat = Number(opts.repeat ?? (opts.quick ? 1 : 3));
if (!Number.isInteger(repeat) || repeat < 1) fail(`--repeat: expected a positive integer, got '${opts.repeat}'`);
const python = opts.python;
const cli = path.resolve(opts.cli);
const cpus = os.availableParallelism?.() ?? os.cpus().length;

function fail(message) {
  process.stderr.write(`bench: ${message}\n`);
  process.exit(2);
}

/** A measurement that gave a wrong result (or none): its row says so instead of a time, and the run ends with exit code 1. */
class WrongResult extends Error {}
function wrong(message) {
  throw new WrongResult(message);
}

if (!existsSync(cli)) fail(`${cli} does not exist: run \`npm run build\` first (npm run bench does)`);

// The same environment the CLI's metaflow compiler gives each `dagster create`.
const compileEnv = (datastore) => ({ ...process.env, METAFLOW_DATASTORE_SYSROOT_LOCAL: datastore, PYTHONDONTWRITEBYTECODE: "1", PYTHONHASHSEED: "0", USER: process.env.USER || "mfdag" });

const probe = spawnSync(python, ["-B", "-c", "import metaflow, metaflow_extensions.dagster"], { encoding: "utf8", env: { ...process.env, USER: process.env.USER || "mfdag" } });
const realAvailable = probe.status === 0;
const realWhy = realAvailable ? null : (probe.error ? `${python} not found` : (probe.stderr.trim().split("\n").pop() ?? `exit ${probe.status}`));
const pythonPath = (() => {
  try {
    return execFileSync("sh", ["-c", `command -v ${python}`], { encoding: "utf8" }).trim();
  } catch {
    return python;
  }
})();
const pythonIsShim = (() => {
  try {
    return readFileSync(pythonPath, "utf8").slice(0, 2) === "#!";
  } catch {
    return false;
  }
})();

const rows = [];
const notes = [];
const wrongResults = [];
const loadBefore = os.loadavg();

/**
 * Why a flow's result is not what a correct check reports, or null: a type-stale flow drifted with
 * type changes only, a graph-stale flow with the added step (and the edge it rewired) only, every
 * other flow up to date, nothing unchecked. With the real compiler the committed files, written by
 * our fixture writer with stand-in helper bodies, also differ from the real template's text: that
 * (`template-changed`, reported only when nothing else differs) is all it may add.
 */
function wrongResult(flow, expected, compiler) {
  const jobKinds = flow.jobChanges.map((c) => c.kind);
  if (flow.unchecked.length) return `unchecked: ${flow.unchecked.map((u) => `${u.part} (${u.reason})`).join("; ")}`;
  if (expected.staleConfig.includes(flow.flowFile)) {
    if (flow.status === "drift" && flow.changes.length && flow.changes.every((c) => c.kind === "type-changed") && !jobKinds.length) return null;
    return `expected a type change only, got ${flow.status}: ${[...flow.changes.map((c) => c.kind), ...jobKinds].join(", ") || flow.error || "nothing"}`;
  }
  if (expected.staleJob.includes(flow.flowFile)) {
    const added = flow.jobChanges.some((c) => c.kind === "step-added" && c.step === "added_check");
    if (flow.status === "drift" && !flow.changes.length && added && jobKinds.every((k) => k === "step-added" || k === "edge-changed")) return null;
    return `expected the added step only, got ${flow.status}: ${[...flow.changes.map((c) => c.kind), ...flow.jobChanges.map((c) => `${c.kind} ${c.step ?? ""}`)].join(", ") || flow.error || "nothing"}`;
  }
  if (flow.status === "up-to-date") return null;
  if (compiler === "metaflow" && flow.status === "drift" && !flow.changes.length && jobKinds.length === 1 && jobKinds[0] === "template-changed") return null;
  return `expected up to date, got ${flow.status}: ${[...flow.changes.map((c) => c.kind), ...jobKinds].join(", ") || flow.error || ""}`;
}

/** Aborts unless the check reported exactly the stale flows, each with exactly what made it stale. */
function verifyReport(report, expected, compiler, label) {
  const byFile = new Map(report.flows.map((f) => [f.flowFile, f]));
  const problems = [];
  for (const flow of expected.flows) {
    const got = byFile.get(flow.flowFile);
    const why = got ? wrongResult(got, expected, compiler) : "not reported";
    if (why) problems.push(`${flow.flowFile}: ${why}`);
  }
  if (report.summary.flows !== expected.flows.length || report.summary.unchecked || report.summary.errors || problems.length) {
    wrong(`${label}: wrong check result (${report.summary.flows} flows, expected ${expected.flows.length}; ${report.summary.unchecked} unchecked, ${report.summary.errors} errors; ${problems.length} wrong: ${problems.slice(0, 5).join("; ") || "none"})`);
  }
}

async function runCheck(root, compiler, expected, label) {
  const run = await measure(process.execPath, [cli, "check", "--root", root, "--compiler", compiler, "--format", "json", "--python", python], { env: { ...process.env, NO_COLOR: "1" } });
  const exit = expected.stale.length ? 1 : 0;
  if (run.exitCode !== exit) wrong(`${label}: expected exit code ${exit} (stale flows fail the default policy), got ${run.exitCode}: ${run.stderr.trim().slice(-2000)}`);
  let report;
  try {
    report = JSON.parse(run.stdout);
  } catch {
    wrong(`${label}: the report is not JSON: ${run.stdout.slice(0, 200)}`);
  }
  verifyReport(report, expected, compiler, label);
  return run;
}

function median(runs) {
  const walls = runs.map((run) => run.wallMs).sort((a, b) => a - b);
  const max = (key) => Math.max(...runs.map((run) => run[key] ?? 0)) || null;
  return { ...runs[0], wallMs: walls[Math.floor(walls.length / 2)], maxRssKb: max("maxRssKb"), treePssKb: max("treePssKb") };
}

async function runCheckMedian(root, compiler, expected, label) {
  const runs = [];
  for (let i = 0; i < repeat; i++) runs.push(await runCheck(root, compiler, expected, label));
  return median(runs);
}

/** The limit (scripts/bench/limit.mjs) on the files git lists, as often as the static check runs. */
async function limit(root, expected) {
  const files = execFileSync("git", ["ls-files", "-z", "--", "*.py"], { cwd: root, encoding: "utf8", maxBuffer: 1 << 28 }).split("\0").filter(Boolean);
  const flows = new Set(expected.flows.map((f) => f.flowFile));
  const dir = mkdtempSync(path.join(os.tmpdir(), "mfdag-bench-limit-"));
  const list = path.join(dir, "files");
  writeFileSync(list, [root, ...files.map((file) => `${flows.has(file) ? "P" : "R"} ${file}`)].join("\n") + "\n");
  const runs = [];
  try {
    for (let i = 0; i < repeat; i++) {
      const run = await measure(process.execPath, [path.join(PROJECT, "scripts/bench/limit.mjs"), python, list]);
      if (run.exitCode !== 0) wrong(`limit: exit ${run.exitCode}: ${run.stderr.trim().slice(-2000)}`);
      if (run.stdout.trim() !== `${files.length} ${flows.size}`) wrong(`limit: read and parsed ${run.stdout.trim()}, expected ${files.length} ${flows.size}`);
      runs.push(run);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return { ...median(runs), files: files.length };
}

function configBlock(text) {
  const lines = text.split("\n");
  const start = lines.findIndex((line) => /^class \w+Config\(Config\):/.test(line));
  if (start < 0) return null;
  const end = lines.indexOf("", start);
  return lines.slice(start, end < 0 ? undefined : end).join("\n");
}

/** The naive way: one `python3 flow.py dagster create` per flow, in sequence, then compare the Config class. */
async function baseline(root, expected) {
  const step = Math.max(1, Math.floor(expected.flows.length / sampleSize));
  const sample = expected.flows.filter((_, i) => i % step === 0).slice(0, sampleSize);
  const temp = mkdtempSync(path.join(os.tmpdir(), "mfdag-bench-baseline-"));
  let maxRssKb = 0;
  let peakPss = 0;
  const drift = [];
  const started = process.hrtime.bigint();
  try {
    for (const [i, flow] of sample.entries()) {
      const out = path.join(temp, `${i}.py`);
      const flowPath = path.join(root, flow.flowFile);
      const args = [...(flow.jobName ? ["--name", flow.jobName] : []), ...flow.args];
      const run = await measure(python, ["-B", flowPath, "dagster", "create", out, ...args], { cwd: path.dirname(flowPath), env: compileEnv(path.join(temp, `ds${i}`)) });
      if (run.exitCode !== 0) wrong(`baseline: ${flow.flowFile} failed: ${(run.stdout + run.stderr).trim().split("\n").pop()}`);
      maxRssKb = Math.max(maxRssKb, run.maxRssKb ?? 0);
      peakPss = Math.max(peakPss, run.treePssKb ?? 0);
      const current = configBlock(readFileSync(out, "utf8"));
      const committed = configBlock(readFileSync(path.join(root, flow.definitionsFile), "utf8"));
      if (current !== committed) drift.push(flow.flowFile);
    }
  } finally {
    rmSync(temp, { recursive: true, force: true });
  }
  const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
  // It compares the Config class only: a graph change is not its to find.
  const expectedDrift = sample.filter((f) => expected.staleConfig.includes(f.flowFile)).map((f) => f.flowFile);
  if (JSON.stringify(drift) !== JSON.stringify(expectedDrift)) wrong(`baseline: reported ${drift.join(", ") || "nothing"} as stale, expected ${expectedDrift.join(", ") || "nothing"}`);
  return { wallMs, maxRssKb: maxRssKb || null, treePssKb: peakPss || null, sampled: sample.length };
}

let forkBundle = null;
async function buildForkBundle() {
  const { build } = await import("esbuild");
  // Inside the project, so that the bundle finds python/ the way dist/ does (bench-results/ is gitignored).
  const outfile = path.join(PROJECT, "bench-results/.build/fork-bench.mjs");
  await build({
    stdin: { contents: 'export { createForkServerCompiler } from "./src/io/fork-server.ts";\nexport { parseDefinitionsFile } from "./src/core/definitions.ts";\nexport { permitMetaflow } from "./src/core/settings.ts";\n', resolveDir: PROJECT, loader: "ts" },
    bundle: true,
    platform: "node",
    target: "node20",
    format: "esm",
    outfile,
    logLevel: "warning",
    banner: { js: "import { createRequire as __benchCreateRequire } from 'node:module';\nconst require = __benchCreateRequire(import.meta.url);" },
  });
  return outfile;
}

async function forkDirect(root, expected) {
  forkBundle ??= await buildForkBundle();
  const jobs = path.join(mkdtempSync(path.join(os.tmpdir(), "mfdag-bench-jobs-")), "jobs.json");
  writeFileSync(jobs, JSON.stringify({ root, python, timeoutMs: 120_000, concurrency: cpus, flows: expected.flows }));
  const run = await measure(process.execPath, [path.join(PROJECT, "scripts/bench/fork-direct.mjs"), forkBundle, jobs]);
  rmSync(path.dirname(jobs), { recursive: true, force: true });
  if (run.exitCode !== 0) wrong(`fork server: exit ${run.exitCode}: ${run.stderr.trim().slice(-2000)}`);
  const result = JSON.parse(run.stdout);
  if (result.errors.length) wrong(`fork server: ${result.errors.length} flows failed, e.g. ${result.errors[0].flowFile}: ${result.errors[0].error}`);
  // It compares the Config class only: a graph change is not its to find.
  if (JSON.stringify(result.drift) !== JSON.stringify([...expected.staleConfig].sort())) wrong(`fork server: reported ${result.drift.join(", ")} as stale, expected ${expected.staleConfig.join(", ")}`);
  return run;
}

function row(shape, compiler, n, run, extra = {}) {
  return {
    shape,
    compiler,
    n,
    wallMs: run ? Math.round(run.wallMs) : null,
    perFlowMs: run ? +(run.wallMs / (extra.measuredFlows ?? n)).toFixed(2) : null,
    peakRssMb: run?.maxRssKb ? +(run.maxRssKb / 1024).toFixed(1) : null,
    peakTreePssMb: run?.treePssKb ? +(run.treePssKb / 1024).toFixed(1) : null,
    ...extra,
  };
}

for (const shape of shapes) {
  for (const n of sizes) {
    const at = `${shape} N=${n}`;
    const root = mkdtempSync(path.join(os.tmpdir(), `mfdag-bench-${shape}-${n}-`));
    process.stderr.write(`bench: ${at}: writing the synthetic repo in ${root}\n`);
    const expected = writeSyntheticRepo(root, n, { shape });
    const params = expected.flows.map((f) => f.parameters);
    process.stderr.write(`bench: ${at}: ${expected.flows.length} flows (${Math.min(...params)}–${Math.max(...params)} parameters), ${expected.staleConfig.length} stale by a type change, ${expected.staleJob.length} by a graph change\n`);
    const median = repeat > 1 ? { note: `median of ${repeat} runs` } : {};

    // One wrong result spoils its row, not the hours of the others.
    const measureRow = async (compiler, measurement) => {
      process.stderr.write(`bench: ${at}: ${compiler}\n`);
      try {
        rows.push(await measurement());
      } catch (error) {
        if (!(error instanceof WrongResult)) throw error;
        process.stderr.write(`bench: ${error.message}\n`);
        wrongResults.push(error.message);
        rows.push(row(shape, compiler, n, null, { skipped: "WRONG RESULT (see the notes)" }));
      }
    };

    await measureRow("limit", async () => {
      const bound = await limit(root, expected);
      return row(shape, "limit", n, bound, { note: `Node start + one Python reading ${bound.files} .py files, parsing ${n} flows${repeat > 1 ? `; median of ${repeat} runs` : ""}` });
    });
    await measureRow("static (CLI)", async () => row(shape, "static (CLI)", n, await runCheckMedian(root, "static", expected, `static ${at}`), median));

    if (!realAvailable) {
      for (const compiler of ["metaflow (CLI)", "fork server (direct)", "baseline"]) rows.push(row(shape, compiler, n, null, { skipped: `metaflow-dagster is not importable by ${python} (${realWhy})` }));
    } else {
      await measureRow("baseline", async () => {
        const base = await baseline(root, expected);
        const baseRow = row(shape, "baseline", n, { wallMs: (base.wallMs / base.sampled) * n, maxRssKb: base.maxRssKb, treePssKb: base.treePssKb });
        if (base.sampled < n) baseRow.note = `measured on ${base.sampled} flows (${Math.round(base.wallMs)} ms), extrapolated`;
        return baseRow;
      });
      if (n <= exactMax) {
        await measureRow("metaflow (CLI)", async () => row(shape, "metaflow (CLI)", n, await runCheck(root, "metaflow", expected, `metaflow ${at}`)));
      } else {
        rows.push(row(shape, "metaflow (CLI)", n, null, { skipped: `N > --exact-max ${exactMax}` }));
      }
      if (n <= forkMax) {
        await measureRow("fork server (direct)", async () => row(shape, "fork server (direct)", n, await forkDirect(root, expected), { note: "compile + compare only, no discovery/static pass" }));
      } else {
        rows.push(row(shape, "fork server (direct)", n, null, { skipped: `N > --fork-max ${forkMax}` }));
      }
    }
    if (!opts.keep) rmSync(root, { recursive: true, force: true });
  }
}

// Speed relative to the baseline, and cost relative to the limit, of the same shape and N.
const find = (shape, compiler, n) => rows.find((r) => r.shape === shape && r.compiler === compiler && r.n === n && r.wallMs !== null);
for (const r of rows) {
  const base = find(r.shape, "baseline", r.n);
  r.speedup = base && r.perFlowMs ? +(base.perFlowMs / r.perFlowMs).toFixed(1) : null;
  const bound = find(r.shape, "limit", r.n);
  r.vsLimit = bound && r.wallMs !== null && r.compiler !== "limit" ? +(r.wallMs / bound.wallMs).toFixed(2) : null;
}

// Issue 14's targets, per shape.
const targets = [];
const target = (name, value, ok) => targets.push({ target: name, value, met: ok });
const repeatNote = repeat === 3 ? "median of 3" : `median of ${repeat}, the target says 3`;
for (const shape of shapes) {
  const s1000 = find(shape, "static (CLI)", 1000);
  if (s1000?.vsLimit != null) target(`${shape}: static ≤ 2.0× the limit at 1000 flows (${repeatNote})`, `${s1000.vsLimit}× (${(s1000.wallMs / 1000).toFixed(2)} s vs ${(find(shape, "limit", 1000).wallMs / 1000).toFixed(2)} s)`, s1000.vsLimit <= 2.0);
  const s10k = find(shape, "static (CLI)", 10_000);
  // "Flat": within the noise of a median of three on a shared machine (10%).
  if (s1000 && s10k) target(`${shape}: static per-flow cost flat or falling 1000→10,000 (within 10%)`, `${s1000.perFlowMs} → ${s10k.perFlowMs} ms (${(s10k.perFlowMs / s1000.perFlowMs).toFixed(2)}×)`, s10k.perFlowMs <= s1000.perFlowMs * 1.1);
  for (const name of ["fork server (direct)", "metaflow (CLI)"]) {
    const e = find(shape, name, 100);
    if (e?.speedup != null) target(`${shape}: ${name} ≥ 10× the naive baseline at 100 flows`, `${e.speedup}×`, e.speedup >= 10);
  }
  for (const [n, mb] of [[1000, 300], [10_000, 1024]]) {
    for (const r of rows.filter((r) => r.shape === shape && r.n === n && r.wallMs !== null && r.compiler !== "baseline" && r.compiler !== "limit")) {
      const peak = Math.max(r.peakRssMb ?? 0, r.peakTreePssMb ?? 0);
      target(`${shape}: ${r.compiler} peak memory of the process tree < ${mb >= 1024 ? "1 GB" : `${mb} MB`} at ${n} flows`, `${peak} MB`, peak < mb);
    }
  }
}
for (const message of wrongResults) notes.push(`WRONG RESULT: ${message}`);
if (!realAvailable) notes.push(`exact and baseline rows skipped: metaflow-dagster is not importable by ${python} (${realWhy}); put metaflow and metaflow-dagster on PYTHONPATH (DEVELOPERS.md) to run them`);
if (pythonIsShim) notes.push(`${python} is ${pythonPath}, a shell-script shim (pyenv?): every process the per-process compiler and the baseline start pays for it`);
if (!gnuTimeAvailable()) notes.push("GNU time (/usr/bin/time) is not available: peak RSS of the largest process is not measured");
notes.push(`baseline: sequential, the CLI's compile environment (PYTHONHASHSEED=0, no bytecode, datastore in a temp dir), each flow's --name/--tag; exact rows run ${cpus} compiles at once on ${cpus} CPUs`);
notes.push(`load average (1 min) ${loadBefore[0].toFixed(1)} before, ${os.loadavg()[0].toFixed(1)} after, on ${cpus} CPUs: above ${cpus} the machine was shared and the times are inflated`);
notes.push("limit: listing the files (git ls-files) is done before and not timed; the checks list them themselves");
notes.push("baseline and fork server compare the Config class only (a graph change is not theirs to find); the CLI rows are verified on every flow: the stale ones report exactly their type change or added step, the others are up to date (the real compiler may add template-changed: the committed files' helper bodies are stand-ins), nothing unchecked");

// The table.
const header = ["shape", "compiler", "N", "wall", "per flow", "peak RSS", "tree PSS", "vs limit", "vs baseline", "note"];
const lines = rows.map((r) =>
  r.wallMs === null
    ? [r.shape, r.compiler, String(r.n), "–", "–", "–", "–", "–", "–", `skipped: ${r.skipped}`]
    : [
        r.shape,
        r.compiler,
        String(r.n),
        `${(r.wallMs / 1000).toFixed(2)} s`,
        `${r.perFlowMs.toFixed(1)} ms`,
        r.peakRssMb ? `${r.peakRssMb} MB` : "–",
        r.peakTreePssMb ? `${r.peakTreePssMb} MB` : "–",
        r.vsLimit ? `${r.vsLimit.toFixed(2)}×` : "–",
        r.speedup ? `${r.speedup}×` : "–",
        r.note ?? "",
      ],
);
const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
const fmt = (cells) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]))).join("  ").trimEnd();
process.stdout.write(`\n${fmt(header)}\n${fmt(widths.map((w) => "-".repeat(w)))}\n${lines.map(fmt).join("\n")}\n`);
process.stdout.write("\nwall: whole command; per flow: wall / N; peak RSS: largest single process (GNU time %M); tree PSS: peak summed PSS of the process tree (sampled every 100 ms); vs limit: wall / the limit's wall (same shape and N; lower is better); vs baseline: the baseline's per-flow time / this row's (higher is better)\n");
if (targets.length) process.stdout.write(`\ntargets (reported, not asserted):\n${targets.map((t) => `  ${t.met ? "✓" : "✗"} ${t.target}: ${t.value}`).join("\n")}\n`);
if (notes.length) process.stdout.write(`\nnotes:\n${notes.map((n) => `  - ${n}`).join("\n")}\n`);

const results = path.join(PROJECT, "bench-results");
mkdirSync(results, { recursive: true });
writeFileSync(
  path.join(results, "bench.json"),
  JSON.stringify({ date: new Date().toISOString(), node: process.version, python: { command: python, path: pythonPath, shim: pythonIsShim, metaflowDagster: realAvailable }, cpus, loadAverage: { before: loadBefore, after: os.loadavg() }, shapes, sizes, repeat, sampleSize, rows, targets, notes, wrongResults }, null, 2) + "\n",
);
process.stdout.write(`\nwritten: ${path.relative(process.cwd(), path.join(results, "bench.json")) || "bench-results/bench.json"}\n`);
if (wrongResults.length) process.exitCode = 1;
