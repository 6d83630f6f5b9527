#!/usr/bin/env node
// Compares everything two builds of mfdag show people, byte for byte: the outputs of the CLI
// (check in every format and fail-on level, list, config, merge) and of the action (outputs, job
// summary, report and SARIF files, annotations and log lines) on the example shop, the corpus
// flows with their definitions, hostile names, and a synthetic repo of many flows. For a
// restructuring that must not change behaviour: a difference is printed with both versions.
//
//   node scripts/same-output.mjs OLD_PROJECT NEW_PROJECT [--flows 1000]
//
// Each PROJECT is a checkout with its dist/ built (dist/cli.js and dist/index.js find python/ and
// templates/ beside them, so each build runs with its own). Exit 0 when everything is identical.
import { execFileSync, spawnSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { renderDefinitions } from "./definitions-writer.mjs";
import { writeSyntheticRepo } from "./bench/synth.mjs";

const PROJECT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const args = process.argv.slice(2);
const flowsAt = args.indexOf("--flows");
const syntheticFlows = flowsAt >= 0 ? Number(args.splice(flowsAt, 2)[1]) : 1000;
if (args.length !== 2 || !Number.isInteger(syntheticFlows) || syntheticFlows < 0) {
  process.stderr.write("usage: node scripts/same-output.mjs OLD_PROJECT NEW_PROJECT [--flows N]\n");
  process.exit(2);
}
const [oldProject, newProject] = args.map((p) => path.resolve(p));

const temp = mkdtempSync(path.join(os.tmpdir(), "mfdag-same-"));

function gitRepo(dir) {
  execFileSync("git", ["init", "-q", dir]);
  execFileSync("git", ["-C", dir, "add", "-A"]);
  execFileSync("git", ["-C", dir, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "x", "--allow-empty"]);
  return dir;
}

function writeFiles(root, files) {
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    writeFileSync(path.join(root, file), text);
  }
}

/** The repos every build is run on. */
function repos() {
  const out = {};
  const shop = path.join(temp, "shop");
  cpSync(path.join(PROJECT, "examples/shop"), shop, { recursive: true });
  out.shop = gitRepo(shop);

  // The corpus flows, each with definitions written from the real compiler's recorded output.
  const corpus = path.join(temp, "corpus");
  cpSync(path.join(PROJECT, "__tests__/fixtures/corpus/flows"), path.join(corpus, "flows"), { recursive: true });
  const expectedDir = path.join(PROJECT, "__tests__/fixtures/corpus/expected");
  for (const name of readdirSync(expectedDir).filter((f) => f.endsWith(".json"))) {
    const expected = JSON.parse(readFileSync(path.join(expectedDir, name), "utf8"));
    if (!expected.flow || !expected.job) continue;
    const configClass = expected.config_class?.map((line) => line.replace("<SYSROOT>", "/home/alice/elsewhere/flows/.metaflow")) ?? null;
    writeFiles(corpus, {
      [`dagster/${expected.flow_file.replace(/\.py$/, "_dagster.py")}`]: renderDefinitions({ flow: expected.flow, job: expected.job, source: `/home/alice/elsewhere/flows/${expected.flow_file}`, configClass }),
    });
  }
  out.corpus = gitRepo(corpus);

  // Names and texts that every escaping layer has to handle.
  const hostile = path.join(temp, "hostile");
  const help = 'Help with `ticks`, | pipes |, <b>html</b>, @org/team, ![img](x), \\r\\n::error::x and "quotes"';
  writeFiles(hostile, {
    "flows/odd name's_flow.py": `from metaflow import FlowSpec, Parameter, step\n\n\nclass OddFlow(FlowSpec):\n    a = Parameter("a", default=1, help=${JSON.stringify(help)})\n    b = Parameter("b-dash", default="x  # y")\n\n    @step\n    def start(self):\n        self.next(self.end)\n\n    @step\n    def end(self):\n        pass\n\n\nif __name__ == "__main__":\n    OddFlow()\n`,
    "dagster/odd_dagster.py": renderDefinitions({ flow: "OddFlow", source: "/home/alice/elsewhere/flows/odd name's_flow.py", configClass: ["class OddFlowConfig(Config):", "    a: float = 1.5  # old help"] }),
    "dagster/orphan_dagster.py": renderDefinitions({ flow: "GoneFlow", source: "/home/alice/elsewhere/flows/gone_flow.py", configClass: null }),
    "flows/-cbroken.py": "from metaflow import FlowSpec\nclass BrokenFlow(FlowSpec:\n",
  });
  out.hostile = gitRepo(hostile);

  if (syntheticFlows > 0) {
    const synthetic = path.join(temp, "synthetic");
    mkdirSync(synthetic, { recursive: true });
    writeSyntheticRepo(synthetic, syntheticFlows);
    out.synthetic = gitRepo(synthetic);
  }
  return out;
}

/** Runs `node SCRIPT ...args` and returns everything it shows. */
function run(script, argv, options = {}) {
  const result = spawnSync(process.execPath, [script, ...argv], { encoding: "utf8", env: { ...process.env, NO_COLOR: "1", ...options.env }, cwd: options.cwd ?? temp, maxBuffer: 1 << 30, timeout: 600_000 });
  // The text report's summary line ends with the check's wall time ("· 12 flows checked in 0.2 s"): not an output to compare.
  const stdout = result.stdout.replace(/^(.* checked in )\d+(?:\.\d+)? s$/gm, "$1<SECONDS> s");
  return `exit ${result.status}\n--- stdout\n${stdout}\n--- stderr\n${result.stderr}`;
}

/** Every CLI command worth comparing on `root`. */
function cliRuns(project, name, root) {
  const cli = path.join(project, "dist/cli.js");
  const out = {};
  for (const format of ["text", "json", "markdown"]) {
    for (const failOn of ["type-change", "drift"]) out[`${name}: check --format ${format} --fail-on ${failOn}`] = run(cli, ["check", "--root", root, "--compiler", "static", "--format", format, "--fail-on", failOn]);
  }
  out[`${name}: check --compiler auto (no metaflow)`] = run(cli, ["check", "--root", root, "--format", "json"], { env: { PYTHONPATH: "" } });
  for (const format of ["text", "json"]) out[`${name}: list --format ${format}`] = run(cli, ["list", "--root", root, "--format", format]);
  const flows = execFileSync("git", ["-C", root, "ls-files", "flows"], { encoding: "utf8" })
    .split("\n")
    .filter((f) => f.endsWith("_flow.py") || f.endsWith("flow.py") || f.includes("broken"))
    .slice(0, 12);
  for (const flow of flows) for (const format of ["text", "json"]) out[`${name}: config ${flow} --format ${format}`] = run(cli, ["config", path.join(root, flow), "--compiler", "static", "--format", format]);
  // Shards and their merge.
  const shardFiles = [1, 2].map((k) => {
    const file = path.join(temp, `${name}-shard-${k}.json`);
    const shown = run(cli, ["check", "--root", root, "--compiler", "static", "--format", "json", "--shard", `${k}/2`]);
    writeFileSync(file, shown.split("--- stdout\n")[1].split("\n--- stderr\n")[0]);
    out[`${name}: check --shard ${k}/2`] = shown;
    return file;
  });
  out[`${name}: merge`] = run(cli, ["merge", ...shardFiles, "--format", "markdown"]);
  return out;
}

/** The action on `root` (push event, no GitHub calls): what the runner would show and keep. */
function actionRun(project, name, root) {
  const runner = mkdtempSync(path.join(temp, `runner-${name}-`));
  const files = { event: path.join(runner, "event.json"), output: path.join(runner, "output"), summary: path.join(runner, "summary.md") };
  writeFileSync(files.event, "{}");
  writeFileSync(files.output, "");
  writeFileSync(files.summary, "");
  const env = {
    GITHUB_ACTIONS: "true",
    GITHUB_EVENT_NAME: "push",
    GITHUB_EVENT_PATH: files.event,
    GITHUB_REPOSITORY: "acme/shop",
    GITHUB_WORKSPACE: root,
    GITHUB_OUTPUT: files.output,
    GITHUB_STEP_SUMMARY: files.summary,
    GITHUB_SERVER_URL: "https://github.example",
    GITHUB_RUN_ID: "4242",
    RUNNER_TEMP: runner,
    "INPUT_FAIL-ON": "drift",
    INPUT_COMPILER: "static",
    INPUT_ANNOTATIONS: "true",
  };
  const shown = run(path.join(project, "dist/index.js"), [], { env, cwd: root });
  const read = (file) => {
    try {
      return readFileSync(file, "utf8");
    } catch {
      return "(none)";
    }
  };
  // The runner's temp path differs per run: it is the only thing allowed to.
  const normalize = (text) => text.split(runner).join("<RUNNER_TEMP>");
  return {
    [`${name}: action log`]: normalize(shown),
    [`${name}: action outputs`]: normalize(read(files.output).replace(/ghadelimiter_[0-9a-f-]+/g, "<DELIMITER>")),
    [`${name}: action summary`]: normalize(read(files.summary)),
    [`${name}: action report`]: normalize(read(path.join(runner, "mfdag-report.json"))),
    [`${name}: action sarif`]: normalize(read(path.join(runner, "mfdag.sarif"))),
  };
}

function everything(project, all) {
  const out = {};
  for (const [name, root] of Object.entries(all)) Object.assign(out, cliRuns(project, name, root), actionRun(project, name, root));
  return out;
}

try {
  const all = repos();
  const before = everything(oldProject, all);
  const after = everything(newProject, all);
  let differences = 0;
  for (const key of Object.keys(before)) {
    if (before[key] === after[key]) continue;
    differences++;
    process.stdout.write(`DIFFERENT: ${key}\n--- old\n${before[key].slice(0, 4000)}\n--- new\n${after[key].slice(0, 4000)}\n\n`);
  }
  const extra = Object.keys(after).filter((key) => !(key in before));
  process.stdout.write(`${Object.keys(before).length} outputs compared on ${Object.keys(all).join(", ")}: ${differences} different${extra.length ? `, ${extra.length} only in the new build` : ""}.\n`);
  process.exitCode = differences > 0 ? 1 : 0;
} finally {
  rmSync(temp, { recursive: true, force: true });
}
