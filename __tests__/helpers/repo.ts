/** Real temporary repos and the built CLI run as a child process, for end-to-end tests. */
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { execa, execaSync } from "execa";
import { afterAll } from "vitest";

export const PROJECT = path.resolve(fileURLToPath(import.meta.url), "../../..");
export const CORPUS = path.join(PROJECT, "__tests__/fixtures/corpus");
export const CLI = path.join(PROJECT, "dist/cli.js");

const made: string[] = [];
afterAll(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

export function tempDir(prefix = "mfdag-test-"): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  made.push(dir);
  return dir;
}

export function writeFiles(root: string, files: Record<string, string | Buffer>): void {
  for (const [file, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    writeFileSync(path.join(root, file), content);
  }
}

/** A git repo with `files` committed. */
export function gitRepo(files: Record<string, string | Buffer> = {}): string {
  const root = tempDir("mfdag-repo-");
  writeFiles(root, files);
  const git = (...args: string[]) => execaSync("git", ["-c", "user.name=mfdag tests", "-c", "user.email=tests@example.invalid", "-c", "init.defaultBranch=main", ...args], { cwd: root });
  git("init", "-q");
  git("add", "-A");
  git("commit", "-q", "--allow-empty", "-m", "initial");
  return root;
}

/** Copies the corpus flows (with pkg/ and data.csv) to `dir/flows`. */
export function copyCorpusFlows(dir: string, sub = "flows"): void {
  cpSync(path.join(CORPUS, "flows"), path.join(dir, sub), { recursive: true });
}

export interface CorpusExpectation {
  flow_file: string;
  exit_code: number;
  flow?: string;
  job?: string;
  config_class?: string[] | null;
  error_tail?: string[];
}

export function corpusExpected(): CorpusExpectation[] {
  const dir = path.join(CORPUS, "expected");
  return readdirSync(dir)
    .filter((f) => f.endsWith(".json"))
    .sort()
    .map((f) => JSON.parse(readFileSync(path.join(dir, f), "utf8")) as CorpusExpectation);
}

/** `timeout` (ms) kills a CLI that hangs: the test then fails on its exit code instead of stalling the run. */
export async function runCli(args: string[], options: { cwd?: string; env?: Record<string, string>; timeout?: number } = {}) {
  const child = await execa(process.execPath, [CLI, ...args], { cwd: options.cwd ?? PROJECT, reject: false, env: { NO_COLOR: "1", ...options.env }, ...(options.timeout ? { timeout: options.timeout } : {}) });
  return { exitCode: child.exitCode, stdout: child.stdout, stderr: child.stderr };
}

/** For stand-in interpreters: they fake `dagster create`, not the fork server's preload. */
export const PER_PROCESS_COMPILER = { MFDAG_NO_FORK_SERVER: "1" };

export async function checkJson(root: string, ...extra: string[]) {
  return checkJsonWith({}, root, ...extra);
}

export async function checkJsonWith(env: Record<string, string>, root: string, ...extra: string[]) {
  const result = await runCli(["check", "--root", root, "--format", "json", ...extra], { env });
  if (result.exitCode === 2) throw new Error(`mfdag could not check: ${result.stderr}`);
  return { ...result, report: JSON.parse(result.stdout) };
}

/** Every file under `root` with its size and mtime, for "nothing was written" assertions. */
export function snapshotTree(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      const full = path.join(dir, name);
      const info = statSync(full);
      out.push(`${path.relative(root, full)} ${info.isDirectory() ? "dir" : `${info.size} ${info.mtimeMs}`}`);
      if (info.isDirectory()) walk(full);
    }
  };
  walk(root);
  return out;
}

/** Whether this machine's python3 can import the real compiler (it is not installable here). */
export function realCompilerAvailable(): boolean {
  try {
    execaSync("python3", ["-B", "-c", "import metaflow, metaflow_extensions.dagster"], { env: { USER: process.env.USER || "mfdag" } });
    return true;
  } catch {
    return false;
  }
}

/**
 * Which metaflow-dagster python3 imports: the 0.3.7 release, whose compiler writes
 * STEP_DECORATOR_SPECS (src/core/generators.ts), or its main branch, which does not; `null` without one.
 * The recorded fixtures are the release's: with main installed, every committed file is another
 * version's.
 */
export function installedGenerator(): "0.3.7" | "main" | null {
  if (!realCompilerAvailable()) return null;
  const probe = "import inspect, metaflow_extensions.dagster.plugins.dagster.dagster_compiler as c; print('STEP_DECORATOR_SPECS' in inspect.getsource(c))";
  const { stdout } = execaSync("python3", ["-B", "-c", probe], { env: { USER: process.env.USER || "mfdag" } });
  return stdout.trim() === "True" ? "0.3.7" : "main";
}

export const REAL_COMPILER_SKIP_REASON =
  "real compiler not importable by python3: put the metaflow and metaflow-dagster sources on PYTHONPATH (see DEVELOPERS.md) to run these tests";

/** The steps every test flow needs, indented for a class body. */
export const FLOW_STEPS = `
    @step
    def start(self):
        self.next(self.end)

    @step
    def end(self):
        pass
`;

/** A flow file: `header` lines, an optional class decorator, `class name(bases)` with `body` (indented), then the main block. */
export function flowSource(name: string, body: string, options: { header?: string; bases?: string; decorator?: string } = {}): string {
  const header = options.header ?? "from metaflow import FlowSpec, Parameter, step";
  return `${header}\n\n\n${options.decorator ? `${options.decorator}\n` : ""}class ${name}(${options.bases ?? "FlowSpec"}):\n${body}\n${FLOW_STEPS}\n\nif __name__ == "__main__":\n    ${name}()\n`;
}

/** Every file under `dir`, as POSIX paths relative to it. */
function listFiles(dir: string, prefix = ""): string[] {
  return readdirSync(dir).flatMap((name) => (statSync(path.join(dir, name)).isDirectory() ? listFiles(path.join(dir, name), `${prefix}${name}/`) : [`${prefix}${name}`]));
}

/** The example shop repo as a fresh git work tree: train_dagster.py is stale (epochs int → float). */
export function shopRepo(): string {
  const shop = path.join(PROJECT, "examples/shop");
  return gitRepo(Object.fromEntries(listFiles(shop).map((file) => [file, readFileSync(path.join(shop, file))])));
}

/**
 * A stand-in for `python flow.py dagster create OUT` where the real compiler cannot be installed:
 * it writes the whole documented file, with our own fixture writer, from our static compiler's job model. It makes
 * the --patch plumbing testable everywhere; the real compiler is exercised in the block below.
 */
export function standInCompiler(root: string): string {
  const file = path.join(tempDir(), "python-standin");
  writeFileSync(
    file,
    `#!/usr/bin/env python3
import json, os, subprocess, sys
args = sys.argv[1:]
if args[:1] == ["-B"]:
    args = args[1:]
if args[:1] == ["-c"]:
    sys.exit(0)
if args[1:3] != ["dagster", "create"]:
    os.execvp(sys.executable, [sys.executable, "-B", *args])
flow, out = os.path.abspath(args[0]), args[3]
rel = os.path.relpath(flow, ${JSON.stringify(root)})
request = json.dumps({"root": ${JSON.stringify(root)}, "compile": [{"flowFile": rel, "flowClass": None, "jobName": None}]})
answer = subprocess.run([sys.executable, "-B", ${JSON.stringify(path.join(PROJECT, "python/mfdag_static.py"))}], input=request, capture_output=True, text=True)
result = json.loads(answer.stdout)["results"][0]
if result["error"]:
    sys.exit(result["error"])
# The whole file, as our own fixture writer writes it from the static compiler's job model.
spec = json.dumps({"model": result["jobModel"], "source": flow, "configClass": result["configClass"], "generator": "0.3.7"})
render = "import(" + json.dumps(${JSON.stringify(path.join(PROJECT, "scripts/definitions-writer.mjs"))}) + ").then((w) => process.stdout.write(w.renderDefinitions(JSON.parse(require('fs').readFileSync(0, 'utf8')))))"
written = subprocess.run(["node", "-e", render], input=spec, capture_output=True, text=True, check=True)
open(out, "w").write(written.stdout)
`,
    { mode: 0o755 },
  );
  return file;
}

/** An interpreter that cannot import metaflow, whatever PYTHONPATH the test runs with. */
export function pythonWithoutMetaflow(): string {
  const file = path.join(tempDir(), "python-plain");
  writeFileSync(file, '#!/bin/sh\nunset PYTHONPATH\nexec python3 "$@"\n', { mode: 0o755 });
  return file;
}
