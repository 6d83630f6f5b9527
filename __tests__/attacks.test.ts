/**
 * End-to-end attacks on the guarantees of SECURITY.md ("What a PR author can never do through
 * mfdag"), through the built CLI (dist/cli.js) and the built action (dist/index.js). Each describe
 * is one guarantee and each test title names the attack and the defense: scripts/attack-table.mjs
 * turns them into the README's "Attacks tested" table.
 *
 * Unit-level attacks live next to the code they attack (static-compiler.test.ts, injection.test.ts,
 * pairing.test.ts, definitions.test.ts, github*.test.ts); these are the whole-program versions.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { execaSync } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { annotationsFor } from "../src/core/annotations.js";
import type { CheckReport, FlowResult } from "../src/core/types.js";
import { renderDefinitions } from "../scripts/definitions-writer.mjs";
import { pullRequestPayload, runAction, type ActionRun } from "./helpers/action-runner.js";
import { fault, start, type FakeGitHub } from "./helpers/fake-github.js";
import { flowSource, gitRepo, runCli, shopRepo, snapshotTree, tempDir, writeFiles } from "./helpers/repo.js";
import { listener } from "./helpers/listener.js";

// ---------------------------------------------------------------------------------------------
// Helpers

const HEALTHY_FLOW = flowSource("HealthyFlow", ['    alpha = Parameter("alpha", default=1, help="Alpha value")', '    beta = Parameter("beta", default="b", help="Beta  # not a comment")'].join("\n"));

/** Where the committed definitions say they were generated: another machine. */
const OTHER_MACHINE = "/home/alice/elsewhere";

/** The Config class `mfdag config FILE --format json` prints for a flow of `root`. */
async function configLines(root: string, flowFile: string): Promise<string[]> {
  const { exitCode, stdout, stderr } = await runCli(["config", path.join(root, flowFile), "--root", root, "--format", "json", "--compiler", "static"]);
  if (exitCode !== 0) throw new Error(`mfdag config ${flowFile} failed: ${stderr}`);
  const result = JSON.parse(stdout) as { exact: boolean; configClass: string[] | null };
  if (!result.exact || !result.configClass) throw new Error(`mfdag config ${flowFile} is not exact: ${stdout}`);
  return result.configClass;
}

/** A committed definitions file for `flowFile` (as if generated on another machine) with `configClass`. */
function definitionsText(flow: string, flowFile: string, configClass: string[] | null): string {
  return renderDefinitions({ flow, source: `${OTHER_MACHINE}/${flowFile}`, configClass });
}

async function checkReport(root: string, ...extra: string[]): Promise<{ exitCode: number | undefined; stderr: string; report: CheckReport }> {
  const { exitCode, stdout, stderr } = await runCli(["check", "--root", root, "--format", "json", ...extra]);
  if (exitCode === 2) throw new Error(`mfdag could not check ${root}: ${stderr}`);
  return { exitCode, stderr, report: JSON.parse(stdout) as CheckReport };
}

function resultFor(report: CheckReport, flowFile: string): FlowResult | undefined {
  return report.flows.find((flow) => flow.flowFile === flowFile);
}

/** Every path under `root` (not following symlinks), for "nothing like this appeared" assertions. */
function allPaths(root: string, dir = root): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    const relative = path.relative(root, full);
    return entry.isDirectory() ? [relative, ...allPaths(root, full)] : [relative];
  });
}

/** Python code that, if it ever ran, would leave a trace: a file `marker` and a connection to `port`. */
function sideEffects(marker: string, port: number): string {
  return [
    "import os, socket, time",
    `open(${JSON.stringify(marker)}, "a").write(__name__ + "\\n")`,
    "try:",
    `    socket.create_connection(("127.0.0.1", ${port}), timeout=2).close()`,
    "except OSError:",
    "    pass",
  ].join("\n");
}

// ---------------------------------------------------------------------------------------------

describe("check never writes inside the checked repo", () => {
  it("flows that write files, .metaflow and __pycache__ at import leave the tree byte-identical through check, list and config", async () => {
    const writes = [
      "import os",
      "HERE = os.path.dirname(os.path.abspath(__file__))",
      'open(os.path.join(HERE, "PWNED_AT_IMPORT"), "w").write("x")',
      'os.makedirs(os.path.join(HERE, ".metaflow", "WriterFlow"), exist_ok=True)',
      'os.makedirs(os.path.join(HERE, "__pycache__"), exist_ok=True)',
      'open(os.path.join(HERE, "..", "dagster", "writer_flow_dagster.py"), "w").write("overwritten")',
    ].join("\n");
    const writer = flowSource("WriterFlow", '    x = Parameter("x", default=helper.VALUE, help="from a repo module")', {
      // Importing flows.helper for real would also write flows/__pycache__.
      header: `${writes}\nfrom metaflow import FlowSpec, Parameter, step\nfrom flows import helper`,
    });
    const drifted = flowSource("DriftFlow", '    n = Parameter("n", default=2.5)', { header: `${writes}\nfrom metaflow import FlowSpec, Parameter, step` });
    const root = gitRepo({
      "flows/__init__.py": "",
      "flows/helper.py": `${writes}\nVALUE = 3\n`,
      "flows/writer_flow.py": writer,
      "flows/drift_flow.py": drifted,
      "dagster/writer_flow_dagster.py": definitionsText("WriterFlow", "flows/writer_flow.py", ["class WriterFlowConfig(Config):", "    x: int = 3  # from a repo module"]),
      "dagster/drift_flow_dagster.py": definitionsText("DriftFlow", "flows/drift_flow.py", ["class DriftFlowConfig(Config):", "    n: int = 2"]),
    });
    const before = snapshotTree(root);
    const runs = await Promise.all([
      runCli(["check", "--root", root]),
      runCli(["check", "--root", root, "--format", "json"]),
      runCli(["check", "--root", root, "--format", "markdown", "--fail-on", "drift"]),
      runCli(["list", "--root", root]),
      runCli(["config", path.join(root, "flows/writer_flow.py")]),
    ]);
    // The runs did check something: the drift was found, the writer flow is up to date.
    expect(runs.map((r) => r.exitCode)).toEqual([1, 1, 1, 0, 0]);
    const report = JSON.parse(runs[1]!.stdout) as CheckReport;
    expect(report.flows.map((f) => [f.flowFile, f.status])).toEqual([
      ["flows/drift_flow.py", "drift"],
      ["flows/writer_flow.py", "up-to-date"],
    ]);
    expect(snapshotTree(root)).toEqual(before);
    expect(allPaths(root).filter((p) => /(^|\/)(\.metaflow|__pycache__|PWNED_AT_IMPORT)$/.test(p))).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------

describe("the static compiler never executes user code", () => {
  let server: Awaited<ReturnType<typeof listener>>;
  let root: string;
  let marker: string;
  let elapsedMs = 0;
  let runs: Awaited<ReturnType<typeof runCli>>[] = [];

  beforeAll(async () => {
    server = await listener();
    root = gitRepo();
    marker = path.join(tempDir(), "EXECUTED");
    const effects = sideEffects(marker, server.port);
    writeFiles(root, {
      // Runs at import: a marker file, a connection to our listener, then a 30 s sleep.
      "flows/evil_flow.py": flowSource("EvilFlow", ['    x = Parameter("x", default=1)', '    y = Parameter("y", default=phone_home())'].join("\n"), {
        header: [effects, "time.sleep(30)", "from metaflow import FlowSpec, Parameter, step", "", "", "def phone_home():", `    ${effects.split("\n").join("\n    ")}`, "    return 2"].join("\n"),
      }),
      // Only its module-level code is hostile; its parameters are exact, so it is up to date.
      "flows/quiet_flow.py": flowSource("QuietFlow", '    x = Parameter("x", default=1)', { header: `${effects}\ntime.sleep(30)\nfrom metaflow import FlowSpec, Parameter, step` }),
      "dagster/evil_dagster.py": definitionsText("EvilFlow", "flows/evil_flow.py", ["class EvilFlowConfig(Config):", "    x: int = 1", "    y: int = 2"]),
      "dagster/quiet_dagster.py": definitionsText("QuietFlow", "flows/quiet_flow.py", ["class QuietFlowConfig(Config):", "    x: int = 1"]),
      // Modules that would shadow the standard library (or run at interpreter start) if the repo
      // root or the flows' directory were on sys.path.
      ...Object.fromEntries(["json.py", "ast.py", "typing.py", "sitecustomize.py", "usercustomize.py", "flows/json.py", "flows/ast.py"].map((file) => [file, `${effects}\n`])),
    });
    const started = Date.now();
    runs = await Promise.all([
      runCli(["check", "--root", root, "--compiler", "static", "--format", "json"]),
      runCli(["list", "--root", root, "--format", "json"]),
      runCli(["config", path.join(root, "flows/evil_flow.py"), "--compiler", "static", "--format", "json"]),
    ]);
    elapsedMs = Date.now() - started;
  });
  afterAll(async () => {
    await server?.close();
  });

  it("a flow that writes a file at import (and in a parameter default) is parsed without writing it", () => {
    expect(existsSync(marker)).toBe(false);
    const report = JSON.parse(runs[0]!.stdout) as CheckReport;
    expect(resultFor(report, "flows/quiet_flow.py")).toMatchObject({ status: "up-to-date", compiler: "static" });
    // y's default needs phone_home() to run: the static compiler says so instead of running it.
    expect(resultFor(report, "flows/evil_flow.py")).toMatchObject({ status: "error", error: expect.stringMatching(/cannot reproduce this flow exactly: .*phone_home\(\)/) });
  });

  it("a flow that opens a socket at import is parsed without connecting", () => {
    expect(server.connections()).toBe(0);
    const listing = JSON.parse(runs[1]!.stdout) as { flows: { path: string; flowClass: string }[] };
    expect(listing.flows.map((f) => [f.path, f.flowClass])).toEqual([
      ["flows/evil_flow.py", "EvilFlow"],
      ["flows/quiet_flow.py", "QuietFlow"],
    ]);
  });

  it("a flow that sleeps 30 s at import does not slow check, list or config down", () => {
    expect(runs.map((r) => r.exitCode)).toEqual([1, 0, 0]);
    expect(elapsedMs).toBeLessThan(20_000);
    expect(JSON.parse(runs[2]!.stdout)).toMatchObject({ flowClass: "EvilFlow", compiler: "static", exact: false, reason: expect.stringContaining("phone_home()") });
  });

  it("json.py, ast.py, typing.py and sitecustomize.py in the repo do not shadow the compiler's own imports", () => {
    // Had any of them been imported, the marker would exist and the listener would have a connection.
    expect(existsSync(marker)).toBe(false);
    expect(server.connections()).toBe(0);
    expect(JSON.parse(runs[0]!.stdout).summary).toMatchObject({ flows: 2, upToDate: 1, errors: 1 });
  });
});

// ---------------------------------------------------------------------------------------------

/** Python files that attack size, encoding and recursion limits, and a healthy flow next to them. */
function hostileFiles(): Record<string, string | Buffer> {
  const files: Record<string, string | Buffer> = {
    "flows/__init__.py": "",
    "flows/healthy_flow.py": HEALTHY_FLOW,
    // 3 MB: over the 2 MB default of maxFileBytes.
    "flows/big_flow.py": flowSource("BigFlow", '    x = Parameter("x", default=1)') + `# ${"x".repeat(98)}\n`.repeat(30_000),
    "flows/binary_flow.py": Buffer.concat([Buffer.from("from metaflow import FlowSpec\n"), Buffer.from([0x00, 0x01, 0xff, 0xfe, 0x0a])]),
    // "café" in Latin-1: a lone 0xE9 byte.
    "flows/latin1_flow.py": Buffer.from(flowSource("Latin1Flow", '    x = Parameter("x", default="caf\u00e9")'), "latin1"),
    "flows/many_flow.py": flowSource("ManyFlow", Array.from({ length: 5000 }, (_, i) => `    p${i} = Parameter("p${i}", default=${i}, help="parameter ${i}")`).join("\n")),
    // Each module's class derives from the previous module's: 300 classes deep across 300 files.
    "chain/__init__.py": "",
    "chain/m0.py": "from metaflow import FlowSpec, Parameter\n\n\nclass C0(FlowSpec):\n    p0 = Parameter('p0', default=0)\n",
    "flows/deep_flow.py": flowSource("DeepFlow", "    pass", { header: "from metaflow import step\nfrom chain.m299 import C299", bases: "C299" }),
    // CycleFlow derives from Base, which derives from CycleFlow.
    "flows/cycle_flow.py": flowSource("CycleFlow", '    x = Parameter("x", default=1)', { header: "from metaflow import Parameter, step\nfrom flows.cycle_base import Base", bases: "Base" }),
    "flows/cycle_base.py": "from flows.cycle_flow import CycleFlow\n\n\nclass Base(CycleFlow):\n    pass\n",
    // lib.a imports lib.b, which imports a name lib.a has not bound yet.
    "lib/__init__.py": "",
    "lib/a.py": "from lib.b import B\nVALUE = 1\n",
    "lib/b.py": "from lib.a import VALUE\n\n\nclass B:\n    pass\n",
    "flows/import_cycle_flow.py": flowSource("ImportCycleFlow", '    x = Parameter("x", default=VALUE)', { header: "from metaflow import FlowSpec, Parameter, step\nfrom lib.a import VALUE" }),
  };
  for (let i = 1; i < 300; i++) files[`chain/m${i}.py`] = `from metaflow import Parameter\nfrom chain.m${i - 1} import C${i - 1}\n\n\nclass C${i}(C${i - 1}):\n    p${i} = Parameter('p${i}', default=${i})\n`;
  // Committed definitions for the flows that cannot be compiled, so each gets a paired result.
  for (const [flow, file] of [
    ["BigFlow", "flows/big_flow.py"],
    ["DeepFlow", "flows/deep_flow.py"],
    ["CycleFlow", "flows/cycle_flow.py"],
    ["ImportCycleFlow", "flows/import_cycle_flow.py"],
  ] as const) {
    files[`dagster/${path.posix.basename(file, ".py")}_dagster.py`] = definitionsText(flow, file, [`class ${flow}Config(Config):`, "    x: int = 1"]);
  }
  return files;
}

/** Symlinks that loop: a.py → b.py → a.py, a directory link to its own parent, and a link to itself. */
function addSymlinkLoops(root: string): void {
  symlinkSync("b.py", path.join(root, "flows/a.py"));
  symlinkSync("a.py", path.join(root, "flows/b.py"));
  symlinkSync("self_flow.py", path.join(root, "flows/self_flow.py"));
  mkdirSync(path.join(root, "loop"));
  symlinkSync(".", path.join(root, "loop/here"));
  symlinkSync("..", path.join(root, "loop/up"));
}

/**
 * Python with at most 256 MB of address space: a compiler that read a whole oversized file or
 * recursed without bound would fail instead of passing.
 */
function boundedPython(): string {
  const file = path.join(tempDir(), "python-bounded");
  writeFileSync(file, '#!/bin/sh\nulimit -v 262144\nexec python3 "$@"\n', { mode: 0o755 });
  return file;
}

describe("bounded size: every bad file gets its own result and the run goes on", () => {
  let gitRoot: string;
  let plainRoot: string;
  let git: Awaited<ReturnType<typeof checkReport>>;
  let plain: Awaited<ReturnType<typeof checkReport>>;
  let elapsedMs = 0;

  beforeAll(async () => {
    const files = hostileFiles();
    gitRoot = gitRepo(files);
    plainRoot = tempDir("mfdag-plain-");
    writeFiles(plainRoot, files);
    // The healthy flow's definitions hold exactly what `mfdag config` prints for it.
    const lines = await configLines(plainRoot, "flows/healthy_flow.py");
    for (const root of [gitRoot, plainRoot]) {
      writeFiles(root, { "dagster/healthy_dagster.py": definitionsText("HealthyFlow", "flows/healthy_flow.py", lines) });
      // Untracked in the git repo, which mfdag lists too (git would track them).
      addSymlinkLoops(root);
    }
    const python = boundedPython();
    // A small JS heap too: the CLI must not hold more than the capped bytes of any file.
    const started = Date.now();
    const boundedCheck = async (root: string) => {
      const { exitCode, stdout, stderr } = await runCli(["check", "--root", root, "--format", "json", "--compiler", "static", "--python", python], { env: { NODE_OPTIONS: "--max-old-space-size=64" } });
      if (exitCode === 2) throw new Error(`mfdag could not check ${root}: ${stderr}`);
      return { exitCode, stderr, report: JSON.parse(stdout) as CheckReport };
    };
    [git, plain] = await Promise.all([boundedCheck(gitRoot), boundedCheck(plainRoot)]);
    elapsedMs = Date.now() - started;
  });

  it("the healthy flow next to all the attacks is still up to date, in a git repo and in a plain directory", () => {
    for (const { report } of [git, plain]) expect(resultFor(report, "flows/healthy_flow.py")).toMatchObject({ status: "up-to-date", definitionsFile: "dagster/healthy_dagster.py", error: null });
    expect(git.exitCode).toBe(1);
    expect(plain.exitCode).toBe(1);
    expect(elapsedMs).toBeLessThan(45_000);
  });

  it("a 3 MB flow file over the 2 MB default is not read and gets an error naming it and the limit", () => {
    for (const { report } of [git, plain]) {
      expect(resultFor(report, "flows/big_flow.py")).toMatchObject({
        status: "error",
        definitionsFile: "dagster/big_flow_dagster.py",
        error: `flows/big_flow.py is ${statSync(path.join(gitRoot, "flows/big_flow.py")).size} bytes, over the 2000000-byte limit (raise maxFileBytes in the config file to check it)`,
      });
    }
  });

  it("a binary .py with NUL bytes is an error result naming the file", () => {
    for (const { report } of [git, plain]) expect(resultFor(report, "flows/binary_flow.py")).toMatchObject({ status: "error", error: "flows/binary_flow.py contains NUL bytes: it is not a Python source file" });
  });

  it("a flow that is not valid UTF-8 is an error result naming the file", () => {
    for (const { report } of [git, plain]) expect(resultFor(report, "flows/latin1_flow.py")).toMatchObject({ status: "error", error: expect.stringContaining("flows/latin1_flow.py is not valid UTF-8") });
  });

  it("a flow with 5000 parameters completes and reports all 5000 fields", () => {
    for (const { report } of [git, plain]) {
      const many = resultFor(report, "flows/many_flow.py")!;
      expect(many).toMatchObject({ status: "missing-definitions", compiler: "static", error: null });
      expect(many.currentConfig).toHaveLength(5001);
      expect(many.currentConfig![0]).toBe("class ManyFlowConfig(Config):");
      // Attribute-name order (dir() sorts): p0, p1, p10, p100, ...
      const names = many.currentConfig!.slice(1).map((line) => /^ {4}(\w+): int = (\d+)  # parameter \d+$/.exec(line)?.[1]);
      expect(new Set(names)).toEqual(new Set(Array.from({ length: 5000 }, (_, i) => `p${i}`)));
      expect(names.slice(0, 4)).toEqual(["p0", "p1", "p10", "p100"]);
    }
  });

  it("a 300-deep inheritance chain across 300 modules is refused for that flow only", () => {
    for (const { report } of [git, plain]) expect(resultFor(report, "flows/deep_flow.py")).toMatchObject({ status: "error", error: expect.stringContaining("inheritance chain is longer than 100 classes") });
  });

  it("an inheritance cycle across two modules is refused for that flow only", () => {
    for (const { report } of [git, plain]) expect(resultFor(report, "flows/cycle_flow.py")).toMatchObject({ status: "error", error: expect.stringContaining("inheritance cycle involving class Base") });
  });

  it("an import cycle is reported as the circular import Python would raise, for that flow only", () => {
    for (const { report } of [git, plain]) {
      expect(resultFor(report, "flows/import_cycle_flow.py")).toMatchObject({ status: "error", error: expect.stringContaining("lib/b.py:1: cannot import name 'VALUE' from lib.a (circular import)") });
    }
  });

  it("a symlink loop (a.py → b.py → a.py, self_flow.py → itself) gives an error result per link, in a git repo and in a plain directory", () => {
    for (const { report } of [git, plain]) {
      for (const link of ["flows/a.py", "flows/b.py", "flows/self_flow.py"]) {
        expect(resultFor(report, link)).toMatchObject({ status: "error", error: `${link} cannot be read: ELOOP` });
      }
    }
  });

  it("a symlink to a directory that contains itself is not followed, in a git repo and in a plain directory", () => {
    for (const { report } of [git, plain]) {
      expect(report.flows.filter((f) => f.flowFile.startsWith("loop/") || f.flowFile.includes("/loop/"))).toEqual([]);
      // Each flow is reported once: nothing was found again through loop/here or loop/up.
      const files = report.flows.map((f) => `${f.flowFile} ${f.definitionsFile}`);
      expect(new Set(files).size).toBe(files.length);
    }
  });

  it("every other file still gets exactly one result, with the healthy flow the only one up to date", () => {
    const statuses = (report: CheckReport) => Object.fromEntries(report.flows.map((f) => [f.flowFile, f.status]));
    const expected = {
      "flows/big_flow.py": "error",
      "flows/binary_flow.py": "error",
      "flows/cycle_flow.py": "error",
      "flows/deep_flow.py": "error",
      "flows/healthy_flow.py": "up-to-date",
      "flows/import_cycle_flow.py": "error",
      "flows/latin1_flow.py": "error",
      "flows/many_flow.py": "missing-definitions",
    };
    const links = { "flows/a.py": "error", "flows/b.py": "error", "flows/self_flow.py": "error" };
    expect(statuses(git.report)).toEqual({ ...expected, ...links });
    expect(statuses(plain.report)).toEqual({ ...expected, ...links });
    expect(git.report.summary).toMatchObject({ flows: 11, upToDate: 1, errors: 9, missing: 1, orphaned: 0 });
  });

  it("a FIFO named like a flow does not block the check: an error result names it, in a plain directory", async () => {
    const root = tempDir("mfdag-plain-");
    writeFiles(root, { "flows/healthy_flow.py": HEALTHY_FLOW });
    execaSync("mkfifo", [path.join(root, "flows/pipe_flow.py")]);
    // Opening a FIFO for reading waits for a writer that never comes: a hang is killed, and fails here.
    const { exitCode, stdout } = await runCli(["check", "--root", root, "--format", "json", "--compiler", "static"], { timeout: 30_000 });
    expect(exitCode).toBe(1);
    const report = JSON.parse(stdout) as CheckReport;
    expect(resultFor(report, "flows/pipe_flow.py")).toMatchObject({ status: "error", error: "flows/pipe_flow.py is not a regular file" });
    expect(resultFor(report, "flows/healthy_flow.py")).toMatchObject({ status: "missing-definitions" });
  });

  it("raising maxFileBytes in the config file makes the 3 MB flow checked", async () => {
    writeFiles(plainRoot, { ".mfdag.yml": "maxFileBytes: 4000000\n" });
    const { report } = await checkReport(plainRoot, "--compiler", "static");
    // Now read and compiled: its committed `x: int = 1` matches.
    expect(resultFor(report, "flows/big_flow.py")).toMatchObject({ status: "up-to-date", error: null, currentConfig: ["class BigFlowConfig(Config):", "    x: int = 1"] });
    expect(resultFor(report, "flows/healthy_flow.py")).toMatchObject({ status: "up-to-date" });
  });
});

// ---------------------------------------------------------------------------------------------

describe("paths stay inside the root", () => {
  it("config entries with ../, absolute and Windows paths exit 2 naming each entry", async () => {
    const root = gitRepo({ "flows/healthy_flow.py": HEALTHY_FLOW });
    writeFiles(root, {
      ".mfdag.yml": [
        "flows:",
        "  - flow: ../outside/a_flow.py",
        "  - flow: /etc/passwd",
        "  - flow: flows/healthy_flow.py",
        "    definitions: flows/../../../etc/x.py",
        "    cwd: /tmp",
        "  - flow: ..\\evil\\b_flow.py",
        "  - flow: C:\\Windows\\c_flow.py",
        "",
      ].join("\n"),
    });
    const runs = await Promise.all(["text", "json"].map((format) => runCli(["check", "--root", root, "--format", format])));
    for (const { exitCode, stdout, stderr } of runs) {
      expect(exitCode).toBe(2);
      expect(stdout).toBe("");
      const lines = stderr.trim().split("\n");
      expect(lines[0]).toMatch(/^mfdag: /);
      expect(lines.map((line) => line.replace(/^mfdag: /, "").replace(/^.*\.mfdag\.yml: /, ""))).toEqual([
        "flows.0.flow: must stay inside the repo root",
        "flows.1.flow: must be a path relative to the repo root",
        "flows.2.definitions: must stay inside the repo root",
        "flows.2.cwd: must be a path relative to the repo root",
        "flows.3.flow: must stay inside the repo root",
        "flows.4.flow: must be a path relative to the repo root",
      ]);
    }
  });

  it("mfdag config on a flow outside --root exits 2 naming the file, without reading it", async () => {
    const outside = tempDir();
    writeFiles(outside, { "other_flow.py": flowSource("OtherFlow", '    x = Parameter("x", default=1)') });
    const root = gitRepo({ "flows/healthy_flow.py": HEALTHY_FLOW });
    const { exitCode, stdout, stderr } = await runCli(["config", path.join(outside, "other_flow.py"), "--root", root, "--format", "json"]);
    expect(exitCode).toBe(2);
    expect(stdout).toBe("");
    expect(stderr).toContain(`${path.join(outside, "other_flow.py")} is outside the root ${root}`);
  });

  it("a definitions header whose Source climbs out with .. gives an error result naming the file and the Source", async () => {
    const source = "/home/alice/repo/../../etc/flows/healthy_flow.py";
    const root = gitRepo({
      "flows/healthy_flow.py": HEALTHY_FLOW,
      "dagster/healthy_dagster.py": renderDefinitions({ flow: "HealthyFlow", source, configClass: ["class HealthyFlowConfig(Config):", "    alpha: int = 1  # Alpha value"] }),
    });
    const { exitCode, report } = await checkReport(root);
    expect(report.flows).toEqual([
      expect.objectContaining({
        flowFile: "flows/healthy_flow.py",
        definitionsFile: "dagster/healthy_dagster.py",
        status: "error",
        error: expect.stringContaining(`dagster/healthy_dagster.py: its header's Source (${source}) contains '.' or '..' segments`),
      }),
    ]);
    expect(exitCode).toBe(1);
  });

  it("a symlink to a flow file outside the root is not read: an error result names the link, in a git repo and in a plain directory", async () => {
    const outside = tempDir();
    // Were it read, OtherFlow and its parameter would show up in the report.
    writeFiles(outside, { "other_flow.py": flowSource("OtherFlow", '    secret = Parameter("secret", default="outside the root")') });
    const gitRoot = gitRepo({ "flows/healthy_flow.py": HEALTHY_FLOW });
    const plainRoot = tempDir("mfdag-plain-");
    writeFiles(plainRoot, { "flows/healthy_flow.py": HEALTHY_FLOW });
    for (const root of [gitRoot, plainRoot]) symlinkSync(path.join(outside, "other_flow.py"), path.join(root, "flows/linked_flow.py"));

    const [git, plain, listing] = await Promise.all([
      runCli(["check", "--root", gitRoot, "--format", "json"]),
      runCli(["check", "--root", plainRoot, "--format", "json"]),
      runCli(["list", "--root", plainRoot, "--format", "json"]),
    ]);
    for (const report of [JSON.parse(git.stdout) as CheckReport, JSON.parse(plain.stdout) as CheckReport]) {
      expect(resultFor(report, "flows/linked_flow.py")).toMatchObject({ status: "error", error: "flows/linked_flow.py is a link to a file outside the repo root; it is not checked" });
      expect(resultFor(report, "flows/healthy_flow.py")).toMatchObject({ status: "missing-definitions" });
    }

    for (const output of [git.stdout, plain.stdout, listing.stdout]) {
      expect(output).not.toContain("OtherFlow");
      expect(output).not.toContain("outside the root'");
    }
  });
});

// ---------------------------------------------------------------------------------------------

/** One workflow command line `::name k=v,k=v::data`, split but not yet unescaped. */
interface WorkflowCommand {
  name: string;
  properties: Record<string, string>;
  data: string;
  line: string;
}

function parseWorkflowCommand(line: string): WorkflowCommand | null {
  const match = /^::([a-z-]+)(?: ([^:]*))?::(.*)$/.exec(line);
  if (!match) return null;
  const properties: Record<string, string> = {};
  for (const pair of match[2] ? match[2].split(",") : []) {
    const eq = pair.indexOf("=");
    properties[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return { name: match[1]!, properties, data: match[3]!, line };
}

/** Undoes @actions/core's escapeProperty / escapeData, in one pass (as a runner reads them). */
const ESCAPES: Record<string, string> = { "%25": "%", "%0D": "\r", "%0A": "\n", "%3A": ":", "%2C": "," };
const unescapeProperty = (text: string) => text.replace(/%(?:25|0D|0A|3A|2C)/g, (code) => ESCAPES[code]!);
const unescapeData = (text: string) => text.replace(/%(?:25|0D|0A)/g, (code) => ESCAPES[code]!);

const HOSTILE_TEXT = "100% sure: a,b\r\n::error::injected%0A";

describe("no workflow-command injection through annotations", () => {
  let github: FakeGitHub;
  let run: ActionRun;
  let report: CheckReport;
  const driftFile = "flows/50%,off:now::error::x.py";
  const lintFile = "flows/new\nline\r::warning file=x.py::y.py";
  const brokenFile = "flows/cr\r%0D::error::z.py";
  const driftParameter = "rate%2C,50%";

  beforeAll(async () => {
    github = await start();
    const help = "50% off: a,b ::error::injected";
    const root = gitRepo({
      // A drifted parameter: errors at the Parameter and at the definitions line, with the hostile
      // file name in `file`, the hostile parameter name in `title` and the regenerate command in the message.
      // A parameter name click cannot make an option of (the real compiler fails on it under most
      // hash seeds) can still stand in a committed file: it is reported removed.
      [driftFile]: flowSource("DriftFlow", `    rate = Parameter("rate", default=1.5, help=${JSON.stringify(help)})`),
      "dagster/drift_dagster.py": definitionsText("DriftFlow", driftFile, ["class DriftFlowConfig(Config):", `    rate: int = 1  # ${help}`, `    ${driftParameter}: int = 1  # ${help}`]),
      // Lint warnings whose messages carry a parameter name with CR, LF and a command.
      [lintFile]: flowSource("LintFlow", `    bad = Parameter(${JSON.stringify(`bad${HOSTILE_TEXT},:`)}, default=1, type=float, help=${JSON.stringify(HOSTILE_TEXT)})`),
      // A compile error whose message starts with the hostile file name.
      [brokenFile]: "from metaflow import FlowSpec\n\n\nclass Broken(FlowSpec:\n    pass\n",
    });
    run = await runAction({ workspace: root, apiUrl: github.url, inputs: { "fail-on": "type-change" } });
    report = JSON.parse(readFileSync(run.outputs.report!, "utf8")) as CheckReport;
  });
  afterAll(async () => {
    await github?.close();
  });

  it("hostile file names, parameter names and help texts reach the report intact", () => {
    expect(run.exitCode).toBe(1);
    expect(report.flows.map((f) => [f.flowFile, f.status])).toEqual([
      [driftFile, "drift"],
      [brokenFile, "error"],
      [lintFile, "missing-definitions"],
    ]);
    expect(report.flows[0]!.changes).toEqual([expect.objectContaining({ parameter: "rate", kind: "type-changed" }), expect.objectContaining({ parameter: driftParameter, kind: "removed" })]);
    // Not a name click can make an option of, so its type is not vouched for (no declared-type
    // lint); what the name and help make the generated file is still linted, hostile text and all.
    expect(report.flows[2]!.warnings.map((w) => w.lint).sort()).toEqual(["invalid-python", "invalid-python"]);
  });

  it("every ::error and ::warning is one line with %, CR, LF, : and , escaped in its properties and %, CR, LF in its data", () => {
    const commands = run.stdout.split("\n").filter((line) => /^::(error|warning)/.test(line));
    expect(commands.length).toBeGreaterThanOrEqual(6);
    for (const line of commands) {
      const command = parseWorkflowCommand(line);
      expect(command, line).not.toBeNull();
      for (const value of Object.values(command!.properties)) expect(value, line).toMatch(/^(?:[^%\r\n:,]|%25|%0D|%0A|%3A|%2C)*$/);
      expect(command!.data, line).toMatch(/^(?:[^%\r\n]|%25|%0D|%0A)*$/);
    }
  });

  it("the annotations decode to exactly the report's annotations, hostile characters included", () => {
    const decoded = run.stdout
      .split("\n")
      .map(parseWorkflowCommand)
      .filter((c): c is WorkflowCommand => c !== null && (c.name === "error" || c.name === "warning") && "title" in c.properties)
      .map((c) => ({
        level: c.name,
        title: unescapeProperty(c.properties.title!),
        file: unescapeProperty(c.properties.file ?? ""),
        line: c.properties.line === undefined ? null : Number(c.properties.line),
        message: unescapeData(c.data),
      }));
    const expected = annotationsFor(report)
      .filter((a) => a.level !== "notice")
      .map((a) => ({ level: a.level, title: a.title, file: a.file, line: a.line, message: a.message }));
    expect(decoded).toEqual(expected);
    // The hostile parts really went through the escaping.
    expect(decoded.map((a) => a.file)).toEqual(expect.arrayContaining([driftFile, lintFile, brokenFile]));
    expect(decoded.some((a) => a.title === `mfdag: removed ${driftParameter}`)).toBe(true);
    expect(decoded.some((a) => a.message.includes(`'bad${HOSTILE_TEXT},:'`))).toBe(true);
  });

  it("no injected command starts a line of the step's output", () => {
    const starts = run.stdout.split("\n").filter((line) => line.startsWith("::"));
    // Only what mfdag itself writes: annotations, groups, debug lines and the final failure.
    for (const line of starts) expect(line).toMatch(/^::(error|warning|notice|debug|group|endgroup)[ :]/);
    expect(starts.filter((line) => /^::(error|warning)::/.test(line))).toEqual([expect.stringMatching(/^::error::mfdag: the committed definitions violate fail-on type-change/)]);
    for (const line of run.stdout.split(/\r\n|\r|\n/)) expect(line).not.toMatch(/^::(error|warning) ?file=x\.py::|^::(error|warning)::(injected|pwned|second|y\.py)/);
  });
});

// ---------------------------------------------------------------------------------------------


describe("a failing GitHub API never changes the verdict", () => {
  const PR = { number: 7, baseSha: "b".repeat(40), headSha: "d".repeat(40) };
  const COMMENTS = "GET /repos/acme/shop/issues/7/comments";
  let github: FakeGitHub;
  beforeAll(async () => {
    github = await start();
    github.setPullFiles("acme/shop", 7, []);
  });
  afterAll(async () => {
    await github?.close();
  });

  // Scope: only the comment listing fails, with 500 on every attempt. With every endpoint failing
  // a step takes about 55 s, because the retry plugin backs off 1 s, 4 s, 9 s per request and its
  // retry count leaks between requests (see the report that came with this test).
  it("a comment API that answers 500 to every retry still gives exit code and verdict by fail-on, the summary, and one warning about the comment", async () => {
    github.script(COMMENTS, ...Array.from({ length: 8 }, () => fault.status(500, "Internal Server Error")));
    const repo = shopRepo();
    const event = { name: "pull_request", payload: pullRequestPayload(PR) };
    // Both at once: each waits out the retry plugin's backoff.
    const [never, typeChange] = await Promise.all([
      runAction({ workspace: repo, apiUrl: github.url, event, inputs: { "fail-on": "never" } }),
      runAction({ workspace: repo, apiUrl: github.url, event, inputs: { "fail-on": "type-change" } }),
    ]);
    expect([never.exitCode, never.outputs.verdict, never.outputs.failed]).toEqual([0, "pass", "false"]);
    expect([typeChange.exitCode, typeChange.outputs.verdict, typeChange.outputs.failed]).toEqual([1, "fail", "true"]);
    for (const run of [never, typeChange]) {
      expect(run.outputs).toMatchObject({ drift: "true", "type-changes": "1", "stale-files": "dagster/train_dagster.py" });
      // The summary has the whole report, and says why there is no comment.
      expect(run.summary).toContain("| <code>flows/train_flow.py</code> (TrainFlow) | <code>dagster/train_dagster.py</code> | drift | type-changed epochs |");
      expect(run.summary).toContain("-    epochs: int = 10  # Training epochs");
      expect(run.summary).toContain("mfdag could not publish to the pull request: Internal Server Error");
      const warnings = run.stdout.split("\n").filter((line) => line.startsWith("::warning"));
      expect(warnings).toEqual(["::warning::mfdag could not publish to the pull request: Internal Server Error"]);
      expect(run.stdout).not.toContain("internal error");
    }
    // 1 + 3 retries per run, and nothing was posted.
    expect(github.requestsTo(COMMENTS)).toHaveLength(8);
    expect(github.requestsTo("POST /repos/acme/shop/issues/7/comments")).toHaveLength(0);
  });
});

// ---------------------------------------------------------------------------------------------

describe("clear verdicts: tool failure (exit 2) vs policy failure (exit 1)", () => {
  let root: string;
  beforeAll(() => {
    root = gitRepo({
      "flows/healthy_flow.py": HEALTHY_FLOW.replace('default=1, help="Alpha value"', 'default=1.5, help="Alpha value"'),
      "dagster/healthy_dagster.py": definitionsText("HealthyFlow", "flows/healthy_flow.py", ["class HealthyFlowConfig(Config):", "    alpha: int = 1  # Alpha value", "    beta: str = 'b'  # Beta  # not a comment"]),
    });
  });

  it("drift is a policy failure: exit 1, a JSON report with failed: true, and FAILED in the text", async () => {
    const [json, text, never] = await Promise.all([
      runCli(["check", "--root", root, "--format", "json"]),
      runCli(["check", "--root", root]),
      runCli(["check", "--root", root, "--fail-on", "never", "--format", "json"]),
    ]);
    expect(json.exitCode).toBe(1);
    expect(JSON.parse(json.stdout)).toMatchObject({ schemaVersion: 1, failed: true, failOn: "type-change", summary: { typeChanges: 1, errors: 0 } });
    expect(json.stderr).toBe("");
    expect(text.exitCode).toBe(1);
    expect(text.stdout).toContain("FAILED (fail-on type-change)");
    // The same drift under fail-on never: reported, not failing.
    expect(never.exitCode).toBe(0);
    expect(JSON.parse(never.stdout)).toMatchObject({ failed: false, summary: { typeChanges: 1 } });
  });

  it("a missing Python is a tool failure: exit 2, nothing on stdout (no report to mistake for a verdict), the cause on stderr", async () => {
    const runs = await Promise.all(["json", "text"].map((format) => runCli(["check", "--root", root, "--format", format, "--python", "/nonexistent/python3"])));
    for (const { exitCode, stdout, stderr } of runs) {
      expect(exitCode).toBe(2);
      expect(stdout).toBe("");
      expect(stderr).toMatch(/^mfdag: Python interpreter '\/nonexistent\/python3' was not found/);
      expect(stderr).not.toContain("FAILED");
    }
  });

  it("a bad config file is a tool failure: exit 2 naming the file and key, even with fail-on never", async () => {
    const bad = gitRepo({ ...Object.fromEntries(["flows/healthy_flow.py", "dagster/healthy_dagster.py"].map((f) => [f, readFileSync(path.join(root, f))])), ".mfdag.yml": "failOn: sometimes\n" });
    const runs = await Promise.all(["json", "text"].map((format) => runCli(["check", "--root", bad, "--format", format, "--fail-on", "never"])));
    for (const { exitCode, stdout, stderr } of runs) {
      expect(exitCode).toBe(2);
      expect(stdout).toBe("");
      expect(stderr).toMatch(/^mfdag: .*\.mfdag\.yml: failOn: /);
    }
  });

  it("a config file that is not YAML is a tool failure, not drift: exit 2", async () => {
    const bad = gitRepo({ "flows/healthy_flow.py": HEALTHY_FLOW, ".mfdag.yml": "flows: [\n" });
    const { exitCode, stdout, stderr } = await runCli(["check", "--root", bad, "--format", "json"]);
    expect([exitCode, stdout]).toEqual([2, ""]);
    expect(stderr).toMatch(/\.mfdag\.yml: not valid YAML/);
  });
});
