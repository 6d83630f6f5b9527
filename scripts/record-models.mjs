#!/usr/bin/env node
// Re-records, with the real compiler, the job models the fixtures are written from:
//   __tests__/fixtures/corpus/models/NAME.json  the corpus flows that compile (metaflow-dagster 0.3.7)
//   examples/shop/dagster/*_dagster.py          rewritten by the fixture writer from the shop's models
// A model is what the corpus' extract.py reads back from the file `dagster create` wrote; the
// generated file itself is never kept (it embeds metaflow-dagster's template code).
//
//   MFDAG_MFD_037=/path/to/metaflow:/path/to/metaflow-dagster-0.3.7 node scripts/record-models.mjs
//
// The shop's `train_dagster.py` keeps its stale `epochs` field (the README's first command must
// find that drift): its Config class lines are kept from the committed file.
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { renderDefinitions } from "./definitions-writer.mjs";

const PROJECT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
export const EXTRACT = path.join(PROJECT, "__tests__/fixtures/corpus-definitions/extract.py");

/** Shell words of a `.args`/`.topargs` file (quotes and backslashes as a POSIX shell reads them). */
export function shellWords(text) {
  const words = [];
  let word = null;
  let quote = null;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quote) {
      if (ch === quote) quote = null;
      else if (ch === "\\" && quote === '"' && i + 1 < text.length) word += text[++i];
      else word += ch;
    } else if (ch === "'" || ch === '"') {
      quote = ch;
      word ??= "";
    } else if (ch === "\\" && i + 1 < text.length) word = (word ?? "") + text[++i];
    else if (/\s/.test(ch)) {
      if (word !== null) words.push(word);
      word = null;
    } else word = (word ?? "") + ch;
  }
  if (word !== null) words.push(word);
  return words;
}

/**
 * Runs `python3 FLOW [topArgs] dagster create OUT [args]` with the real compiler on `pythonPath`
 * and returns the generated text, or `{ error }` with the last lines of its output.
 */
export function compileWithRealCompiler(flowFile, { pythonPath, topArgs = [], args = [] }) {
  const temp = mkdtempSync(path.join(os.tmpdir(), "mfdag-record-"));
  const out = path.join(temp, "out.py");
  try {
    execFileSync("python3", [path.basename(flowFile), ...topArgs, "dagster", "create", out, ...args], {
      cwd: path.dirname(flowFile),
      env: { ...process.env, PYTHONPATH: pythonPath, USER: process.env.USER || "mfdag", METAFLOW_DATASTORE_SYSROOT_LOCAL: temp, PYTHONHASHSEED: "0" },
      stdio: ["ignore", "pipe", "pipe"],
      timeout: 120_000,
    });
    return { text: readFileSync(out, "utf8"), sysroot: temp };
  } catch (error) {
    const output = `${error.stdout ?? ""}\n${error.stderr ?? ""}`.trim().split("\n");
    return { error: output.slice(-2).join("\n") };
  } finally {
    rmSync(temp, { recursive: true, force: true });
  }
}

/** extract.py's models of `texts`, in one Python process. */
export function extractModels(texts) {
  const program = `import json, sys\nsys.path.insert(0, ${JSON.stringify(path.dirname(EXTRACT))})\nimport extract\nprint(json.dumps([extract.extract(t) for t in json.load(sys.stdin)]))`;
  return JSON.parse(execFileSync("python3", ["-B", "-c", program], { input: JSON.stringify(texts), encoding: "utf8", maxBuffer: 1 << 28 }));
}

/** True when `pythonPath` imports metaflow and metaflow-dagster. */
export function realCompilerOn(pythonPath) {
  if (!pythonPath) return false;
  try {
    execFileSync("python3", ["-B", "-c", "import metaflow, metaflow_extensions.dagster"], { env: { ...process.env, PYTHONPATH: pythonPath, USER: process.env.USER || "mfdag" }, stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

function main() {
  const pythonPath = process.env.MFDAG_MFD_037 ?? process.env.PYTHONPATH;
  if (!realCompilerOn(pythonPath)) {
    console.error("record-models: set MFDAG_MFD_037 to a PYTHONPATH with metaflow and metaflow-dagster 0.3.7 (see DEVELOPERS.md)");
    process.exit(2);
  }
  const corpus = path.join(PROJECT, "__tests__/fixtures/corpus");
  const models = path.join(corpus, "models");
  mkdirSync(models, { recursive: true });
  const jobs = [];
  for (const file of readdirSync(path.join(corpus, "flows")).filter((f) => f.endsWith(".py")).sort()) {
    const expected = JSON.parse(readFileSync(path.join(corpus, "expected", file.replace(/\.py$/, ".json")), "utf8"));
    if (expected.exit_code !== 0) continue;
    jobs.push({ flow: path.join(corpus, "flows", file), out: path.join(models, file.replace(/\.py$/, ".json")) });
  }
  const shop = path.join(PROJECT, "examples/shop");
  const shopFlows = readdirSync(path.join(shop, "flows")).filter((f) => f.endsWith("_flow.py")).sort();
  for (const file of shopFlows) jobs.push({ flow: path.join(shop, "flows", file), shop: file });

  const compiled = jobs.map((job) => ({ job, ...compileWithRealCompiler(job.flow, { pythonPath }) }));
  const failed = compiled.filter((c) => c.error);
  for (const c of failed) console.error(`record-models: ${path.relative(PROJECT, c.job.flow)}: ${c.error}`);
  const ok = compiled.filter((c) => !c.error);
  const extracted = extractModels(ok.map((c) => c.text));
  ok.forEach((c, i) => {
    // The datastore root of this run is machine-specific (an IncludeFile default embeds it).
    const model = JSON.parse(JSON.stringify(extracted[i]).split(c.sysroot).join("<SYSROOT>"));
    if (c.job.out) {
      writeFileSync(c.job.out, JSON.stringify(model, null, 2) + "\n");
      console.log(`recorded ${path.relative(PROJECT, c.job.out)}`);
    } else {
      const target = path.join(shop, "dagster", c.job.shop.replace(/_flow\.py$/, "_dagster.py"));
      // The committed Config class is kept: the example's stale field is on purpose.
      const committed = readFileSync(target, "utf8").split("\n");
      const start = committed.findIndex((line) => /^class \w+\(Config\):/.test(line));
      const configClass = start === -1 ? null : committed.slice(start, committed.indexOf("", start));
      writeFileSync(target, renderDefinitions({ model, source: `/home/alice/shop/flows/${c.job.shop}`, ...(configClass ? { configClass } : {}) }));
      console.log(`rewrote ${path.relative(PROJECT, target)}`);
    }
  });
  process.exit(failed.length > 0 ? 1 : 0);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
