// The benchmark (`npm run bench`; not a test): synthetic repos of N flows, checked by
//   - the static compiler:  node dist/cli.js check --compiler static
//   - the exact compiler:   node dist/cli.js check --compiler metaflow
//   - the fork server:      src/io/fork-server.ts driven directly (compile + compare only)
//   - the naive baseline:   `python3 flow.py dagster create OUT` per flow, sequentially, + parse + diff
// The last three need metaflow-dagster importable by the Python; without it their rows are skipped
// and the table says why. Prints a table and writes bench-results/bench.json. Aborts when a check
// does not report exactly the flows made stale.
//
//   node scripts/bench.mjs [--sizes 10,100,1000] [--quick] [--sample 20] [--exact-max 100]
//                          [--fork-max 1000] [--repeat 3] [--cli dist/cli.js] [--python python3] [--keep]
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { gnuTimeAvailable, measure } from "./bench/measure.mjs";
import { writeSyntheticRepo } from "./bench/synth.mjs";

const PROJECT = path.resolve(fileURLToPath(import.meta.url), "../..");
const { values: opts } = parseArgs({
  options: {
    sizes: { type: "string" },
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
const sizes = (opts.sizes ?? (opts.quick ? "10,100" : "10,100,1000")).split(",").map((s) => Number(s.trim()));
if (sizes.some((n) => !Number.isInteger(n) || n < 1)) fail(`--sizes: expected positive integers separated by commas, got '${opts.sizes}'`);
const sampleSize = Number(opts.sample ?? (opts.quick ? 5 : 20));
const exactMax = Number(opts["exact-max"] ?? 100);
const forkMax = Number(opts["fork-max"] ?? (opts.quick ? 100 : 1000));
// Static checks take seconds, and one run on a shared machine can be off by a third: the row is
// the median of several (the memory columns their maximum).
const repeat = Number(opts.repeat ?? (opts.quick ? 1 : 3));
if (!Number.isInteger(repeat) || repeat < 1) fail(`--repeat: expected a positive integer, got '${opts.repeat}'`);
const python = opts.python;
const cli = path.resolve(opts.cli);
const cpus = os.availableParallelism?.() ?? os.cpus().length;

function fail(message) {
  process.stderr.write(`bench: ${message}\n`);
  process.exit(2);
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
const loadBefore = os.loadavg();

/** What a correct check reports: the stale flows drifted with a type change, nothing else. */
function verifyReport(report, expected, label) {
  const drifted = report.flows.filter((f) => f.status !== "up-to-date");
  const wrong = drifted.filter((f) => !(f.status === "drift" && expected.stale.includes(f.flowFile) && f.changes.some((c) => c.kind === "type-changed")));
  const missed = expected.stale.filter((file) => !drifted.some((f) => f.flowFile === file));
  if (report.summary.flows !== expected.flows.length || wrong.length || missed.length) {
    const detail = wrong.slice(0, 5).map((f) => `${f.flowFile}: ${f.status}${f.error ? ` (${f.error})` : ""}`);
    fail(`${label}: wrong check result (${report.summary.flows} flows, expected ${expected.flows.length}; unexpected: ${detail.join("; ") || "none"}; stale flows not reported: ${missed.join(", ") || "none"})`);
  }
}

async function runCheck(root, compiler, expected, label) {
  const run = await measure(process.execPath, [cli, "check", "--root", root, "--compiler", compiler, "--format", "json", "--python", python], { env: { ...process.env, NO_COLOR: "1" } });
  if (run.exitCode !== 1) fail(`${label}: expected exit code 1 (the stale flows fail the type-change policy), got ${run.exitCode}: ${run.stderr.trim().slice(-2000)}`);
  verifyReport(JSON.parse(run.stdout), expected, label);
  return run;
}

async function runCheckMedian(root, compiler, expected, label) {
  const runs = [];
  for (let i = 0; i < repeat; i++) runs.push(await runCheck(root, compiler, expected, label));
  const walls = runs.map((run) => run.wallMs).sort((a, b) => a - b);
  const max = (key) => Math.max(...runs.map((run) => run[key] ?? 0)) || null;
  return { ...runs[0], wallMs: walls[Math.floor(walls.length / 2)], maxRssKb: max("maxRssKb"), treePssKb: max("treePssKb") };
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
      const run = await measure(python, ["-B", flowPath, "dagster", "create", out], { cwd: path.dirname(flowPath), env: compileEnv(path.join(temp, `ds${i}`)) });
      if (run.exitCode !== 0) fail(`baseline: ${flow.flowFile} failed: ${(run.stdout + run.stderr).trim().split("\n").pop()}`);
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
  const expectedDrift = sample.filter((f) => expected.stale.includes(f.flowFile)).map((f) => f.flowFile);
  if (JSON.stringify(drift) !== JSON.stringify(expectedDrift)) fail(`baseline: reported ${drift.join(", ") || "nothing"} as stale, expected ${expectedDrift.join(", ") || "nothing"}`);
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
  if (run.exitCode !== 0) fail(`fork server: exit ${run.exitCode}: ${run.stderr.trim().slice(-2000)}`);
  const result = JSON.parse(run.stdout);
  if (result.errors.length) fail(`fork server: ${result.errors.length} flows failed, e.g. ${result.errors[0].flowFile}: ${result.errors[0].error}`);
  if (JSON.stringify(result.drift) !== JSON.stringify([...expected.stale].sort())) fail(`fork server: reported ${result.drift.join(", ")} as stale, expected ${expected.stale.join(", ")}`);
  return run;
}

function row(compiler, n, run, extra = {}) {
  return {
    compiler,
    n,
    wallMs: run ? Math.round(run.wallMs) : null,
    perFlowMs: run ? +(run.wallMs / (extra.measuredFlows ?? n)).toFixed(2) : null,
    peakRssMb: run?.maxRssKb ? +(run.maxRssKb / 1024).toFixed(1) : null,
    peakTreePssMb: run?.treePssKb ? +(run.treePssKb / 1024).toFixed(1) : null,
    ...extra,
  };
}

for (const n of sizes) {
  const root = mkdtempSync(path.join(os.tmpdir(), `mfdag-bench-${n}-`));
  process.stderr.write(`bench: N=${n}: writing the synthetic repo in ${root}\n`);
  const expected = writeSyntheticRepo(root, n);
  const params = expected.flows.map((f) => f.parameters);
  process.stderr.write(`bench: N=${n}: ${expected.flows.length} flows (${Math.min(...params)}–${Math.max(...params)} parameters), ${expected.stale.length} stale\n`);

  process.stderr.write(`bench: N=${n}: static\n`);
  rows.push(row("static (CLI)", n, await runCheckMedian(root, "static", expected, `static N=${n}`), repeat > 1 ? { note: `median of ${repeat} runs` } : {}));

  if (!realAvailable) {
    for (const compiler of ["metaflow (CLI)", "fork server (direct)", "baseline"]) rows.push(row(compiler, n, null, { skipped: `metaflow-dagster is not importable by ${python} (${realWhy})` }));
  } else {
    process.stderr.write(`bench: N=${n}: baseline (${Math.min(n, sampleSize)} flows, sequential)\n`);
    const base = await baseline(root, expected);
    const baseRow = row("baseline", n, { wallMs: (base.wallMs / base.sampled) * n, maxRssKb: base.maxRssKb, treePssKb: base.treePssKb });
    if (base.sampled < n) baseRow.note = `measured on ${base.sampled} flows (${Math.round(base.wallMs)} ms), extrapolated`;
    rows.push(baseRow);

    if (n <= exactMax) {
      process.stderr.write(`bench: N=${n}: metaflow (CLI)\n`);
      rows.push(row("metaflow (CLI)", n, await runCheck(root, "metaflow", expected, `metaflow N=${n}`)));
    } else {
      rows.push(row("metaflow (CLI)", n, null, { skipped: `N > --exact-max ${exactMax}` }));
    }
    if (n <= forkMax) {
      process.stderr.write(`bench: N=${n}: fork server (direct)\n`);
      rows.push(row("fork server (direct)", n, await forkDirect(root, expected), { note: "compile + compare only, no discovery/static pass" }));
    } else {
      rows.push(row("fork server (direct)", n, null, { skipped: `N > --fork-max ${forkMax}` }));
    }
  }
  if (!opts.keep) rmSync(root, { recursive: true, force: true });
}

// Speed relative to the baseline of the same N.
for (const r of rows) {
  const base = rows.find((b) => b.compiler === "baseline" && b.n === r.n && b.perFlowMs);
  r.speedup = base && r.perFlowMs ? +(base.perFlowMs / r.perFlowMs).toFixed(1) : null;
}

const find = (compiler, n) => rows.find((r) => r.compiler === compiler && r.n === n && r.wallMs !== null);
const targets = [];
const target = (name, value, ok) => targets.push({ target: name, value, met: ok });
const maxN = Math.max(...sizes);
const staticMax = find("static (CLI)", maxN);
if (staticMax && maxN >= 1000) target(`static ${maxN} flows < 3 s wall`, `${(staticMax.wallMs / 1000).toFixed(2)} s`, staticMax.wallMs < 3000);
for (const n of sizes) {
  const s = find("static (CLI)", n);
  if (s?.speedup != null) target(`static ≥ 50× faster per flow than baseline (N=${n})`, `${s.speedup}×`, s.speedup >= 50);
}
for (const name of ["metaflow (CLI)", "fork server (direct)"]) {
  const e = find(name, 100);
  if (e?.speedup != null) target(`${name} ≥ 5× faster than baseline on 100 flows`, `${e.speedup}×`, e.speedup >= 5);
}
for (const r of rows.filter((r) => r.n >= 1000 && r.wallMs !== null && r.compiler !== "baseline")) {
  const mb = Math.max(r.peakRssMb ?? 0, r.peakTreePssMb ?? 0);
  target(`${r.compiler} peak memory < 300 MB at N=${r.n}`, `${mb} MB`, mb < 300);
}
for (const name of ["static (CLI)", "fork server (direct)", "metaflow (CLI)"]) {
  const a = find(name, 100);
  const b = find(name, 1000);
  if (a && b) target(`${name} per-flow cost flat 100→1000 (within 1.5×)`, `${a.perFlowMs} → ${b.perFlowMs} ms (${(b.perFlowMs / a.perFlowMs).toFixed(2)}×)`, b.perFlowMs / a.perFlowMs <= 1.5);
}
if (!realAvailable) notes.push(`exact and baseline rows skipped: metaflow-dagster is not importable by ${python} (${realWhy}); put metaflow and metaflow-dagster on PYTHONPATH (DEVELOPERS.md) to run them`);
if (pythonIsShim) notes.push(`${python} is ${pythonPath}, a shell-script shim (pyenv?): every process the per-process compiler and the baseline start pays for it`);
if (!gnuTimeAvailable()) notes.push("GNU time (/usr/bin/time) is not available: peak RSS of the largest process is not measured");
notes.push(`baseline: sequential, the CLI's compile environment (PYTHONHASHSEED=0, no bytecode, datastore in a temp dir); exact rows run ${cpus} compiles at once on ${cpus} CPUs`);

// The table.
const header = ["compiler", "N", "wall", "per flow", "peak RSS", "tree PSS", "vs baseline", "note"];
const lines = rows.map((r) =>
  r.wallMs === null
    ? [r.compiler, String(r.n), "–", "–", "–", "–", "–", `skipped: ${r.skipped}`]
    : [
        r.compiler,
        String(r.n),
        `${(r.wallMs / 1000).toFixed(2)} s`,
        `${r.perFlowMs.toFixed(1)} ms`,
        r.peakRssMb ? `${r.peakRssMb} MB` : "–",
        r.peakTreePssMb ? `${r.peakTreePssMb} MB` : "–",
        r.speedup ? `${r.speedup}×` : "–",
        r.note ?? "",
      ],
);
const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
const fmt = (cells) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]))).join("  ").trimEnd();
process.stdout.write(`\n${fmt(header)}\n${fmt(widths.map((w) => "-".repeat(w)))}\n${lines.map(fmt).join("\n")}\n`);
process.stdout.write("\nwall: whole command; per flow: wall / N; peak RSS: largest single process (GNU time %M); tree PSS: peak summed PSS of the process tree (sampled every 100 ms)\n");
if (targets.length) process.stdout.write(`\ntargets (reported, not asserted):\n${targets.map((t) => `  ${t.met ? "✓" : "✗"} ${t.target}: ${t.value}`).join("\n")}\n`);
if (notes.length) process.stdout.write(`\nnotes:\n${notes.map((n) => `  - ${n}`).join("\n")}\n`);

const results = path.join(PROJECT, "bench-results");
mkdirSync(results, { recursive: true });
writeFileSync(
  path.join(results, "bench.json"),
  JSON.stringify({ date: new Date().toISOString(), node: process.version, python: { command: python, path: pythonPath, shim: pythonIsShim, metaflowDagster: realAvailable }, cpus, loadAverage: { before: loadBefore, after: os.loadavg() }, sampleSize, rows, targets, notes }, null, 2) + "\n",
);
process.stdout.write(`\nwritten: ${path.relative(process.cwd(), path.join(results, "bench.json")) || "bench-results/bench.json"}\n`);
