/**
 * The drift check's decisions, with in-memory ports (helpers/in-memory-ports.ts): which compiler
 * answers for which flow, the time budget, orphaned and claimed definitions files, the empty root,
 * and the warning for flows that do not compile. No process and no file is involved.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { renderDefinitions } from "../scripts/definitions-writer.mjs";
import { check } from "../src/core/check.js";
import { readJob } from "../src/core/definitions.js";
import { discover } from "../src/core/discovery.js";
import { EMPTY_REPO_CONFIG } from "../src/core/config-file.js";
import { ConfigurationError } from "../src/core/errors.js";
import type { CompiledConfig, FlowResult } from "../src/core/types.js";
import { exact, flowText, inexact, memoryPorts, METAFLOW_MISSING, parameter, type MemoryCheck } from "./helpers/in-memory-ports.js";

type Options = Parameters<typeof check>[0];

const A_LINES = ["class AFlowConfig(Config):", "    alpha: int = 1  # Alpha"];
const A_CHANGED = ["class AFlowConfig(Config):", "    alpha: float = 1.5  # Alpha"];
const B_LINES = ["class BFlowConfig(Config):", "    beta: str = 'b'  # Beta"];

/** A committed definitions file generated on another machine from `flowFile`. */
function definitions(flow: string, flowFile: string, configClass: string[] | null): string {
  return renderDefinitions({ flow, source: `/home/ci/repo/${flowFile}`, configClass });
}

/** Two flows with committed definitions (a, b) and one without (c). */
function shop(compile: { a?: Partial<CompiledConfig>; b?: Partial<CompiledConfig>; c?: Partial<CompiledConfig> }, metaflow: MemoryCheck["metaflow"] = {}) {
  return memoryPorts({
    files: {
      "flows/a.py": flowText("AFlow"),
      "flows/b.py": flowText("BFlow"),
      "flows/c.py": flowText("CFlow"),
      "dagster/a_dagster.py": definitions("AFlow", "flows/a.py", A_LINES),
      "dagster/b_dagster.py": definitions("BFlow", "flows/b.py", B_LINES),
      "README.md": "not python",
    },
    static: {
      "flows/a.py": { scan: { flowClass: "AFlow" }, compile: compile.a ?? exact(A_LINES) },
      "flows/b.py": { scan: { flowClass: "BFlow" }, compile: compile.b ?? exact(B_LINES) },
      "flows/c.py": { scan: { flowClass: "CFlow" }, compile: compile.c ?? exact(null) },
    },
    metaflow,
  });
}

function options(overrides: Partial<Options> = {}): Options {
  return { compiler: "auto", failOn: "type-change", concurrency: 2, maxFileBytes: 1_000_000, config: EMPTY_REPO_CONFIG, ...overrides };
}

function flow(report: { flows: FlowResult[] }, flowFile: string): FlowResult {
  const found = report.flows.find((result) => result.flowFile === flowFile);
  if (!found) throw new Error(`no result for ${flowFile} in ${report.flows.map((result) => result.flowFile).join(", ")}`);
  return found;
}

describe("check() with --compiler auto", () => {
  it("uses the static result of an exactly reproduced flow and never asks for the metaflow compiler", async () => {
    const ports = shop({});
    const report = await check(options(), ports);
    expect(report.flows.map((result) => [result.flowFile, result.status, result.compiler])).toEqual([
      ["flows/a.py", "up-to-date", "static"],
      ["flows/b.py", "up-to-date", "static"],
      ["flows/c.py", "missing-definitions", "static"],
    ]);
    expect(ports.metaflow.availabilityChecks).toBe(0);
    expect(ports.metaflow.compiled).toEqual([]);
    expect(report.failed).toBe(false);
    // Two requests to the static compiler: the scan of the candidates (not the definitions files), then one compile of all three flows.
    expect(ports.analyzer.scans).toEqual([["flows/a.py", "flows/b.py", "flows/c.py"], []]);
    expect(ports.analyzer.compiles.map((requests) => requests.map((request) => request.flowFile))).toEqual([[], ["flows/a.py", "flows/b.py", "flows/c.py"]]);
  });

  it("asks the metaflow compiler about a refusal the static compiler is not sure of, and says so without it", async () => {
    const unsure = { error: "IncludeFile: could not open file 'data.csv' for reading", errorLine: 3, exact: false, reason: "the __main__ block writes files first" };
    const asked = shop({ a: unsure }, { flows: { "flows/a.py": exact(A_LINES) } });
    const report = await check(options(), asked);
    expect(asked.metaflow.compiled).toEqual(["flows/a.py"]);
    expect(flow(report, "flows/a.py")).toMatchObject({ status: "up-to-date", compiler: "metaflow", error: null });

    const alone = await check(options({ compiler: "static" }), shop({ a: unsure }, { available: false }));
    expect(flow(alone, "flows/a.py")).toMatchObject({ status: "error" });
    expect(flow(alone, "flows/a.py").error).toContain("the static compiler cannot decide this flow: it would refuse it (IncludeFile: could not open file 'data.csv' for reading), but the __main__ block writes files first");
  });

  it("compiles an inexact flow with the metaflow compiler when it is available, and compares what it writes", async () => {
    const dropped = parameter("gamma", { file: "flows/a.py", line: 5, dropped: "its name is reserved" });
    const ports = shop({ a: inexact("a computed default", { parameters: [dropped] }) }, { flows: { "flows/a.py": exact(A_CHANGED) } });
    const report = await check(options(), ports);
    expect(ports.metaflow.compiled).toEqual(["flows/a.py"]);
    const a = flow(report, "flows/a.py");
    expect(a).toMatchObject({ status: "drift", compiler: "metaflow", error: null, currentConfig: A_CHANGED });
    expect(a.changes).toMatchObject([{ parameter: "alpha", kind: "type-changed", severity: "breaking" }]);
    // The lints still read the static analysis's parameters.
    expect(a.warnings).toMatchObject([{ lint: "dropped-parameter", file: "flows/a.py", line: 5, parameter: "gamma" }]);
    expect(flow(report, "flows/b.py")).toMatchObject({ status: "up-to-date", compiler: "static" });
    expect(report.failed).toBe(true);
  });

  it("reports an inexact flow as an error that says it needs the metaflow compiler when this Python cannot import it", async () => {
    const ports = shop({ a: inexact("a computed default") }, { available: false });
    const report = await check(options(), ports);
    expect(flow(report, "flows/a.py")).toMatchObject({
      status: "error",
      compiler: "static",
      error: "needs the metaflow compiler: a computed default. Install metaflow-dagster for the Python given with --python (python input).",
    });
    expect(flow(report, "flows/b.py").status).toBe("up-to-date");
    expect(ports.metaflow.compiled).toEqual([]);
    expect(ports.logger.entries).toContainEqual({ level: "info", message: "1 flow(s) need the metaflow compiler, which this Python cannot import" });
    expect(report.failed).toBe(true);
  });

  it("does not ask for the metaflow compiler for an inexact flow without definitions, nor for one the static compiler rejects", async () => {
    // The static compiler answers a refusal it reproduces with `exact: true` (python/mfstatic/server.py).
    const ports = shop({ b: { error: "invalid syntax", errorLine: 4, exact: true }, c: inexact("a computed default") }, { available: false });
    const report = await check(options(), ports);
    expect(ports.metaflow.availabilityChecks).toBe(0);
    expect(flow(report, "flows/b.py")).toMatchObject({ status: "error", error: "flows/b.py:4: invalid syntax" });
    // A flow without definitions is compiled only for its lints: an inexact result is no error there.
    expect(flow(report, "flows/c.py")).toMatchObject({ status: "missing-definitions", error: null, warnings: [], currentConfig: null });
  });
});

describe("check() with --compiler static", () => {
  it("turns an inexact result into an error naming the reason and the other compilers, without the metaflow compiler", async () => {
    const ports = shop({ a: inexact("a computed default") }, { available: false });
    const report = await check(options({ compiler: "static" }), ports);
    expect(flow(report, "flows/a.py")).toMatchObject({
      status: "error",
      compiler: "static",
      error: "the static compiler cannot reproduce this flow exactly: a computed default. Use --compiler metaflow or auto.",
    });
    expect(ports.metaflow.availabilityChecks).toBe(0);
  });
});

describe("check() with --compiler metaflow", () => {
  it("fails with a ConfigurationError when the metaflow compiler is unavailable, before compiling anything", async () => {
    const ports = shop({}, { available: false });
    const run = check(options({ compiler: "metaflow" }), ports);
    await expect(run).rejects.toBeInstanceOf(ConfigurationError);
    await expect(run).rejects.toThrow(METAFLOW_MISSING);
    expect(ports.metaflow.compiled).toEqual([]);
  });

  it("compiles every flow with definitions with the metaflow compiler, exact or not", async () => {
    const ports = shop({}, { flows: { "flows/a.py": exact(A_CHANGED), "flows/b.py": exact(B_LINES) } });
    const report = await check(options({ compiler: "metaflow" }), ports);
    expect(ports.metaflow.compiled.sort()).toEqual(["flows/a.py", "flows/b.py"]);
    expect(flow(report, "flows/a.py")).toMatchObject({ status: "drift", compiler: "metaflow" });
    expect(flow(report, "flows/b.py")).toMatchObject({ status: "up-to-date", compiler: "metaflow" });
  });
});

describe("check() under a time budget (deadline)", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("reports the flows not reached before the deadline as not checked, and keeps the ones compiled", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(1_000_000);
    // The first compile takes the clock past the deadline; with one compile at a time, b is not reached.
    const ports = shop({}, { flows: { "flows/a.py": exact(A_LINES) }, onCompile: () => vi.setSystemTime(2_000_000) });
    const report = await check(options({ compiler: "metaflow", concurrency: 1, deadline: 1_500_000 }), ports);
    expect(ports.metaflow.compiled).toEqual(["flows/a.py"]);
    expect(flow(report, "flows/a.py")).toMatchObject({ status: "up-to-date", compiler: "metaflow" });
    expect(flow(report, "flows/b.py")).toMatchObject({
      status: "error",
      compiler: "metaflow",
      error: "not checked: the time budget ran out before this flow's turn (raise the budget, or shard the check)",
    });
    expect(report.failed).toBe(true);
  });

  it("compiles nothing with the metaflow compiler once the deadline has passed", async () => {
    const ports = shop({ a: inexact("a computed default") });
    const report = await check(options({ deadline: Date.now() - 1 }), ports);
    expect(ports.metaflow.compiled).toEqual([]);
    expect(flow(report, "flows/a.py").error).toMatch(/^not checked: the time budget ran out/);
    // Flows the static compiler reproduced exactly are not held to the budget.
    expect(flow(report, "flows/b.py").status).toBe("up-to-date");
  });
});

describe("check() and definitions files without a flow", () => {
  it("reports a definitions file whose Source matches no flow as orphaned, with what to do", async () => {
    const ports = memoryPorts({
      files: { "flows/a.py": flowText("AFlow"), "dagster/a_dagster.py": definitions("AFlow", "flows/a.py", A_LINES), "dagster/old_dagster.py": definitions("OldFlow", "flows/old.py", B_LINES) },
      static: { "flows/a.py": { compile: exact(A_LINES), scan: { flowClass: "AFlow" } } },
    });
    const report = await check(options(), ports);
    expect(flow(report, "/home/ci/repo/flows/old.py")).toEqual({
      flowFile: "/home/ci/repo/flows/old.py",
      flowClass: "OldFlow",
      definitionsFile: "dagster/old_dagster.py",
      status: "orphaned-definitions",
      compiler: null,
      error: "no flow file in the repo runs OldFlow and matches its Source /home/ci/repo/flows/old.py: delete dagster/old_dagster.py, or map it in the config file",
      changes: [],
      jobChange: null,
      configDiff: null,
      jobChanges: [],
      jobGraph: null,
      unchecked: [],
      regenerate: "",
      dagsterCreate: null,
      warnings: [],
      currentConfig: null,
    });
    expect(report.summary).toMatchObject({ flows: 2, upToDate: 1, orphaned: 1 });
  });

  it("gives a definitions file whose flow cannot be parsed to that flow's error, not to the orphans", async () => {
    const ports = memoryPorts({
      files: {
        "flows/broken.py": "from metaflow import FlowSpec\nclass BrokenFlow(FlowSpec:\n",
        "dagster/broken_dagster.py": definitions("BrokenFlow", "flows/broken.py", A_LINES),
        "dagster/broken_old_dagster.py": definitions("BrokenFlow", "flows/broken.py", A_LINES),
      },
      static: { "flows/broken.py": { scan: { error: "'(' was never closed", line: 2 } } },
    });
    const report = await check(options(), ports);
    expect(flow(report, "flows/broken.py")).toMatchObject({
      flowClass: "BrokenFlow",
      definitionsFile: "dagster/broken_dagster.py",
      status: "error",
      compiler: null,
      error: "flows/broken.py:2: '(' was never closed",
    });
    expect(flow(report, "flows/broken.py").regenerate).toContain("dagster/broken_dagster.py");
    // Only one file is claimed by the broken flow; the second is still an orphan.
    expect(report.flows.filter((result) => result.status === "orphaned-definitions").map((result) => result.definitionsFile)).toEqual(["dagster/broken_old_dagster.py"]);
  });

  it("reports a flow file the reader cannot read as an error of its own, claiming its definitions file", async () => {
    const ports = memoryPorts({
      files: { "flows/locked.py": { error: "flows/locked.py: permission denied" }, "dagster/locked_dagster.py": definitions("LockedFlow", "flows/locked.py", A_LINES) },
      static: {},
    });
    const report = await check(options(), ports);
    expect(report.flows).toHaveLength(1);
    expect(report.flows[0]).toMatchObject({ flowFile: "flows/locked.py", flowClass: "LockedFlow", definitionsFile: "dagster/locked_dagster.py", status: "error", error: "flows/locked.py: permission denied" });
  });
});

describe("check() on an empty root", () => {
  const empty = () => memoryPorts({ files: { "setup.py": "import setuptools\n", "notes.txt": "" }, static: {} });

  it("is a ConfigurationError that names the root and how many Python files were looked at", async () => {
    const run = check(options(), empty());
    await expect(run).rejects.toBeInstanceOf(ConfigurationError);
    await expect(run).rejects.toThrow(/^No flow file and no definitions file under \/repo \(1 Python file\(s\) looked at\), so nothing was checked\. .*--allow-empty/);
  });

  it("is an empty, passing report with allowEmpty", async () => {
    const report = await check(options({ allowEmpty: true }), empty());
    expect(report).toMatchObject({ root: "/repo", failed: false, flows: [], summary: { flows: 0, errors: 0 } });
  });

  it("is not empty when the only flow file cannot be read", async () => {
    const ports = memoryPorts({ files: { "flows/locked.py": { error: "flows/locked.py: permission denied" } }, static: {} });
    const report = await check(options(), ports);
    expect(report.flows.map((result) => result.status)).toEqual(["error"]);
  });
});

describe("check() on a flow without definitions that does not compile", () => {
  it("warns at the static compiler's line that no definitions file can be generated", async () => {
    const ports = shop({ c: { exact: true, error: "name 'undefined_name' is not defined", errorLine: 9 } });
    const report = await check(options(), ports);
    expect(flow(report, "flows/c.py")).toMatchObject({ status: "missing-definitions", error: null, currentConfig: null });
    expect(flow(report, "flows/c.py").warnings).toEqual([
      {
        lint: "compile-error",
        message: "this flow does not compile, so no definitions file can be generated for it: name 'undefined_name' is not defined",
        file: "flows/c.py",
        line: 9,
        parameter: null,
      },
    ]);
    expect(report.summary.warnings).toBe(1);
  });

  it("does not count the static compiler's \"cannot reproduce exactly\" as a compile failure", async () => {
    const report = await check(options({ compiler: "static" }), shop({ c: inexact("a computed default") }));
    expect(flow(report, "flows/c.py")).toMatchObject({ status: "missing-definitions", warnings: [], currentConfig: null });
  });

  it("gives the current Config class of an exact flow without definitions", async () => {
    const report = await check(options(), shop({ c: exact(["class CFlowConfig(Config):", "    x: int = 1"]) }));
    expect(flow(report, "flows/c.py").currentConfig).toEqual(["class CFlowConfig(Config):", "    x: int = 1"]);
  });
});

describe("discovery reads each file once, by one process", () => {
  // Longer than the first bytes discovery reads, so that a whole read shows.
  const padding = `# ${"x".repeat(2000)}\n`;

  it("reads only the first bytes of a file that is not a definitions file, and leaves the whole of it to the static analyzer", async () => {
    const ports = memoryPorts({
      files: {
        "flows/a.py": padding + flowText("AFlow"),
        "flows/util.py": padding + "X = 1\n",
        "dagster/a_dagster.py": definitions("AFlow", "flows/a.py", A_LINES),
      },
      static: { "flows/a.py": { scan: { flowClass: "AFlow" }, compile: exact(A_LINES) } },
    });
    const report = await check(options(), ports);
    expect(report.flows.map((result) => [result.flowFile, result.status])).toEqual([["flows/a.py", "up-to-date"]]);
    const limits = (file: string) => ports.repo.reads.flatMap((read, i) => (read === file ? [ports.repo.readLimits[i]!] : []));
    // One read of the first bytes each, never the whole file: the analyzer reads those (the scan request lists both).
    for (const file of ["flows/a.py", "flows/util.py"]) {
      expect(limits(file)).toHaveLength(1);
      expect(limits(file)[0]).toBeLessThan(padding.length);
    }
    expect(ports.analyzer.scans[0]).toEqual(["flows/a.py", "flows/util.py"]);
    // The definitions file: its first bytes tell what it is, then it is read whole (up to maxFileBytes).
    expect(limits("dagster/a_dagster.py")).toEqual([limits("flows/a.py")[0], 1_000_000]);
  });

  it("reads a file whole when its first bytes cannot tell (blank lines before the header), and still finds the definitions file", async () => {
    const blankFirst = "\n".repeat(2000) + definitions("AFlow", "flows/a.py", A_LINES);
    const ports = memoryPorts({
      files: { "flows/a.py": flowText("AFlow"), "dagster/a_dagster.py": blankFirst },
      static: { "flows/a.py": { scan: { flowClass: "AFlow" }, compile: exact(A_LINES) } },
    });
    const report = await check(options(), ports);
    expect(report.flows.map((result) => [result.flowFile, result.definitionsFile, result.status])).toEqual([["flows/a.py", "dagster/a_dagster.py", "up-to-date"]]);
    expect(ports.analyzer.scans[0]).toEqual(["flows/a.py"]);
  });

  it("does not read the job of a definitions file (a check reads it when it compares the file, mfdag list never), only its header and fingerprint", async () => {
    const ports = memoryPorts({
      files: { "flows/a.py": flowText("AFlow"), "dagster/a_dagster.py": definitions("AFlow", "flows/a.py", A_LINES) },
      static: { "flows/a.py": { scan: { flowClass: "AFlow" }, compile: exact(A_LINES) } },
    });
    const found = await discover(ports.repo, ports.analyzer, 1_000_000);
    expect(found.definitions).toHaveLength(1);
    expect(found.definitions[0]!.reading).toBeUndefined();
    // The fingerprint is read with the header: every file votes on the repo's metaflow-dagster version.
    expect(found.definitions[0]!.fingerprint?.templateSha).toMatch(/^[0-9a-f]{16}$/);
    expect(readJob(found.definitions[0]!).model?.flow_name).toBe("AFlow");
    expect(found.definitions[0]!.bytes).toBeUndefined();
  });
});
