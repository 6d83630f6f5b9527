import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { renderDefinitions } from "../scripts/definitions-writer.mjs";
import { corpusRepo, definitionsFor, EXACT_FLOWS } from "./helpers/corpus-repo.js";
import { checkJson, checkJsonWith, gitRepo, PER_PROCESS_COMPILER, runCli, snapshotTree, tempDir, writeFiles, PROJECT } from "./helpers/repo.js";

function edit(root: string, file: string, from: string, to: string): void {
  const full = path.join(root, file);
  const text = readFileSync(full, "utf8");
  expect(text).toContain(from);
  writeFileSync(full, text.replace(from, to));
}

describe("mfdag check on definitions generated on another machine", () => {
  it("finds every flow up to date and exits 0", async () => {
    const root = corpusRepo();
    const { exitCode, report } = await checkJson(root);
    const statuses = Object.fromEntries(report.flows.map((f: { flowFile: string; status: string }) => [f.flowFile, f.status]));
    expect(statuses).toEqual(Object.fromEntries(EXACT_FLOWS.map((f) => [`flows/${f}`, "up-to-date"])));
    expect(report.summary).toMatchObject({ flows: EXACT_FLOWS.length, upToDate: EXACT_FLOWS.length, drift: 0, typeChanges: 0, errors: 0 });
    expect(report).toMatchObject({ schemaVersion: 1, failed: false, failOn: "type-change" });
    expect(exitCode).toBe(0);
  });

  it("reports a default changed from 3 to 3.5 as a type change and exits 1", async () => {
    const root = corpusRepo();
    edit(root, "flows/ordering_flow.py", 'Parameter("mid", default=3)', 'Parameter("mid", default=3.5)');
    const { exitCode, report, stdout } = await checkJson(root);
    const flow = report.flows.find((f: { flowFile: string }) => f.flowFile === "flows/ordering_flow.py");
    expect(flow.status).toBe("drift");
    expect(flow.changes).toEqual([
      expect.objectContaining({ parameter: "mid", kind: "type-changed", severity: "breaking", committed: { type: "int", default: "3", help: "" }, current: { type: "float", default: "3.5", help: "" }, declaredIn: "flows/ordering_flow.py", flowLine: 8 }),
    ]);
    expect(flow.configDiff).toContain("-    mid: int = 3\n+    mid: float = 3.5");
    expect(flow.regenerate).toBe("cd flows && python ordering_flow.py dagster create ../dagster/ordering_flow_dagster.py");
    expect(report.summary).toMatchObject({ drift: 1, typeChanges: 1 });
    expect(report.failed).toBe(true);
    expect(exitCode).toBe(1);
    expect(stdout).not.toBe("");
  });

  it("reports an edited help text as help-changed and exits 0", async () => {
    const root = corpusRepo();
    edit(root, "flows/ordering_flow.py", 'help="Sorted by attribute zeta"', 'help="First, by attribute"');
    const { exitCode, report } = await checkJson(root);
    const flow = report.flows.find((f: { flowFile: string }) => f.flowFile === "flows/ordering_flow.py");
    expect(flow.status).toBe("drift");
    expect(flow.changes.map((c: { kind: string; parameter: string; severity: string }) => [c.kind, c.parameter, c.severity])).toEqual([["help-changed", "aaa_first_by_name", "non-breaking"]]);
    expect(exitCode).toBe(0);
  });

  it("fails under fail-on drift for the same help edit, and never fails under fail-on never", async () => {
    const root = corpusRepo();
    edit(root, "flows/ordering_flow.py", 'help="Sorted by attribute zeta"', 'help="First"');
    expect((await runCli(["check", "--root", root, "--fail-on", "drift"])).exitCode).toBe(1);
    expect((await runCli(["check", "--root", root, "--fail-on", "never"])).exitCode).toBe(0);
  });

  it("reports lints at the Parameter's line", async () => {
    const root = corpusRepo();
    const { report } = await checkJson(root);
    const warnings = report.flows.flatMap((f: { warnings: unknown[] }) => f.warnings);
    expect(warnings).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ lint: "dropped-parameter", file: "flows/scalars_flow.py", line: 18, parameter: "name" }),
        expect.objectContaining({ lint: "declared-type-mismatch", file: "flows/scalars_flow.py", line: 10, parameter: "ratio" }),
        expect.objectContaining({ lint: "invalid-python", file: "flows/broken_names_flow.py", line: 6, parameter: "max-rows" }),
        expect.objectContaining({ lint: "invalid-python", file: "flows/broken_names_flow.py", line: 7, parameter: "notes" }),
      ]),
    );
  });

  it("writes nothing inside the checked repo", async () => {
    const root = corpusRepo();
    edit(root, "flows/ordering_flow.py", "default=3)", "default=3.5)");
    const before = snapshotTree(root);
    await runCli(["check", "--root", root]);
    await runCli(["list", "--root", root]);
    await runCli(["config", path.join(root, "flows/scalars_flow.py")]);
    expect(snapshotTree(root)).toEqual(before);
  });
});

describe("mfdag check with bad input", () => {
  it("reports each bad file on its own and still checks the rest", async () => {
    const root = corpusRepo();
    writeFiles(root, {
      "flows/binary_flow.py": Buffer.from([0x66, 0x72, 0x6f, 0x6d, 0x20, 0x00, 0xff, 0xfe, ...Buffer.from("FlowSpec")]),
      "flows/latin1_flow.py": Buffer.concat([Buffer.from("from metaflow import FlowSpec\n# caf"), Buffer.from([0xe9]), Buffer.from("\n")]),
      "flows/syntax_error_flow.py": readFileSync(path.join(PROJECT, "__tests__/fixtures/corpus/flows/syntax_error_flow.py")),
      "dagster/truncated_dagster.py": definitionsFor("ordering_flow.py")[1].slice(0, 600),
    });
    const { report, exitCode } = await checkJson(root);
    const byFile = (file: string) => report.flows.filter((f: { flowFile: string }) => f.flowFile === file);
    expect(byFile("flows/binary_flow.py")[0]).toMatchObject({ status: "error", error: expect.stringContaining("NUL") });
    expect(byFile("flows/latin1_flow.py")[0]).toMatchObject({ status: "error", error: expect.stringContaining("UTF-8") });
    expect(byFile("flows/syntax_error_flow.py")[0]).toMatchObject({ status: "error", error: expect.stringMatching(/syntax_error_flow\.py:\d+: SyntaxError: '\(' was never closed/) });
    const truncated = report.flows.find((f: { definitionsFile: string | null }) => f.definitionsFile === "dagster/truncated_dagster.py");
    expect(truncated).toMatchObject({ status: "error", error: expect.stringContaining("truncated") });
    // The healthy flows are all still checked.
    expect(report.flows.filter((f: { status: string }) => f.status === "up-to-date").length).toBeGreaterThanOrEqual(EXACT_FLOWS.length - 1);
    expect(exitCode).toBe(1);
  });

  it("keeps two flows with one class name apart", async () => {
    const flow = (size: number) => `from metaflow import FlowSpec, Parameter, step\n\n\nclass TrainFlow(FlowSpec):\n    size = Parameter("size", default=${size})\n\n    @step\n    def start(self):\n        self.next(self.end)\n\n    @step\n    def end(self):\n        pass\n\n\nif __name__ == "__main__":\n    TrainFlow()\n`;
    const defs = (dir: string, size: number) =>
      renderDefinitions({ flow: "TrainFlow", source: `/ci/work/${dir}/train.py`, configClass: ["class TrainFlowConfig(Config):", `    size: int = ${size}`] });
    const root = gitRepo({ "a/train.py": flow(1), "b/train.py": flow(2.5), "a/train_dagster.py": defs("a", 1), "b/train_dagster.py": defs("b", 2) });
    const { report } = await checkJson(root);
    expect(report.flows.map((f: { flowFile: string; definitionsFile: string; status: string }) => [f.flowFile, f.definitionsFile, f.status])).toEqual([
      ["a/train.py", "a/train_dagster.py", "up-to-date"],
      ["b/train.py", "b/train_dagster.py", "drift"],
    ]);
  });

  it("exits 2 with a clear message when the Python interpreter does not exist", async () => {
    const root = corpusRepo();
    const { exitCode, stderr, stdout } = await runCli(["check", "--root", root, "--python", "/nonexistent/python3"]);
    expect(exitCode).toBe(2);
    expect(stderr).toContain("Python interpreter '/nonexistent/python3' was not found");
    expect(stdout).toBe("");
  });

  it("exits 2 naming the option and the allowed values for a bad argument", async () => {
    const { exitCode, stderr } = await runCli(["check", "--compiler", "magic"]);
    expect(exitCode).toBe(2);
    expect(stderr).toContain("--compiler: 'magic' is not one of auto, static, metaflow");
  });

  it("exits 2 naming the key of a bad config file", async () => {
    const root = corpusRepo();
    writeFiles(root, { ".mfdag.yml": "flows:\n  - flow: flows/ordering_flow.py\n    args: --tag\n" });
    const { exitCode, stderr } = await runCli(["check", "--root", root]);
    expect(exitCode).toBe(2);
    expect(stderr).toMatch(/\.mfdag\.yml: flows\.0\.args:/);
  });

  it("stops a hung compile at the timeout and checks the other flows", async () => {
    // A stand-in interpreter: real python3 for everything, except that `dagster create` hangs the
    // way a flow that blocks at import time would, with a grandchild holding the pipes open.
    // (The real compiler cannot be installed here; the hang is what is under test.)
    const bin = tempDir();
    const fake = path.join(bin, "python-hangs");
    writeFileSync(fake, `#!/bin/sh\ncase "$*" in\n  *"dagster create"*) sleep 300 & sleep 300 ;;\n  *"import metaflow"*) exit 0 ;;\n  *) exec python3 "$@" ;;\nesac\n`, { mode: 0o755 });
    const root = corpusRepo();
    const started = Date.now();
    const { report, exitCode } = await checkJsonWith(PER_PROCESS_COMPILER, root, "--compiler", "metaflow", "--python", fake, "--timeout", "2", "--concurrency", "4");
    expect(Date.now() - started).toBeLessThan(50_000);
    expect(report.flows).toHaveLength(EXACT_FLOWS.length);
    for (const flow of report.flows) expect(flow).toMatchObject({ status: "error", error: expect.stringContaining("did not finish within 2 s") });
    expect(exitCode).toBe(1);
  });
});

describe("discovery", () => {
  const flowText = (cls: string) => `from metaflow import FlowSpec, step\n\nclass ${cls}(FlowSpec):\n    @step\n    def start(self):\n        self.next(self.end)\n\n    @step\n    def end(self):\n        pass\n\nif __name__ == "__main__":\n    ${cls}()\n`;

  it("respects .gitignore and skips virtualenvs, node_modules and library base classes", async () => {
    const root = gitRepo({
      ".gitignore": "build/\n",
      "flows/a.py": flowText("AFlow"),
      "lib/base.py": "from metaflow import FlowSpec\n\nclass Base(FlowSpec):\n    pass\n",
      "node_modules/x/flow.py": flowText("NodeFlow"),
      "env/pyvenv.cfg": "home = /usr/bin\n",
      "env/lib/flow.py": flowText("VenvFlow"),
      ".venv/flow.py": flowText("DotVenvFlow"),
    });
    writeFiles(root, { "build/flow.py": flowText("BuildFlow"), "flows/untracked.py": flowText("UntrackedFlow") });
    const { stdout, exitCode } = await runCli(["list", "--root", root, "--format", "json"]);
    expect(exitCode).toBe(0);
    const listing = JSON.parse(stdout);
    expect(listing.flows.map((f: { path: string; flowClass: string }) => [f.path, f.flowClass])).toEqual([
      ["flows/a.py", "AFlow"],
      ["flows/untracked.py", "UntrackedFlow"],
    ]);
  });

  it("works in a directory that is not a git repo", async () => {
    const root = tempDir();
    writeFiles(root, { "a.py": flowText("AFlow"), "node_modules/b.py": flowText("BFlow"), "venv/pyvenv.cfg": "", "venv/c.py": flowText("CFlow") });
    const { stdout } = await runCli(["list", "--root", root, "--format", "json"]);
    expect(JSON.parse(stdout).flows.map((f: { path: string }) => f.path)).toEqual(["a.py"]);
  });
});

describe("the bundled example", () => {
  it("finds the one stale definitions file", async () => {
    const { report, exitCode } = await checkJson(path.join(PROJECT, "examples/shop"));
    expect(report.flows.map((f: { flowFile: string; status: string }) => [f.flowFile, f.status])).toEqual([
      ["flows/etl_flow.py", "up-to-date"],
      ["flows/report_flow.py", "up-to-date"],
      ["flows/train_flow.py", "drift"],
    ]);
    expect(report.flows[2].changes.map((c: { kind: string; parameter: string }) => [c.kind, c.parameter])).toEqual([["type-changed", "epochs"]]);
    expect(exitCode).toBe(1);
  });

});

describe("an interpreter that is not a working Python 3", () => {
  it("exits 2 naming the interpreter, not as an internal error", async () => {
    const root = gitRepo({ "a.py": "from metaflow import FlowSpec\n" });
    const echo = path.join(tempDir(), "not-python");
    writeFileSync(echo, "#!/bin/sh\necho hello\n", { mode: 0o755 });
    for (const python of ["/bin/false", echo]) {
      const { exitCode, stderr } = await runCli(["check", "--root", root, "--python", python]);
      expect(exitCode, python).toBe(2);
      expect(stderr, python).toContain(`'${python}'`);
      expect(stderr, python).not.toContain("internal error");
    }
  });
});

describe("a Python older than 3.9", () => {
  it("exits 2 saying which version it found and which it needs, not an error per flow", async () => {
    const root = gitRepo({ "flows/a_flow.py": "from metaflow import FlowSpec\n" });
    // A stand-in: python3 that reports itself as 3.7 to the script it runs (options before the script are dropped).
    const old = path.join(tempDir(), "python3.7");
    writeFileSync(
      old,
      `#!/bin/sh\nwhile [ "\${1#-}" != "$1" ]; do shift; done\nexec python3 -c 'import runpy, sys; sys.version_info = (3, 7, 16, "final", 0); sys.argv = sys.argv[1:]; runpy.run_path(sys.argv[0], run_name="__main__")' "$@"\n`,
      { mode: 0o755 },
    );
    const { exitCode, stderr, stdout } = await runCli(["check", "--root", root, "--python", old, "--compiler", "static"]);
    expect(exitCode).toBe(2);
    expect(stdout).toBe("");
    expect(stderr).toMatch(new RegExp(`^mfdag: '${old}' cannot run the static compiler: mfdag_static needs Python 3.9 or newer; \\S+ is Python 3\\.7\\. Pass --python \\(action input: python\\) with a Python 3\\.9 or newer\\.$`));
  });
});

describe("sharding", () => {
  it("splits the flows over shards that merge back into the unsharded report", async () => {
    const root = corpusRepo();
    edit(root, "flows/ordering_flow.py", 'Parameter("mid", default=3)', 'Parameter("mid", default=3.5)');
    writeFiles(root, { "dagster/orphan_dagster.py": renderDefinitions({ flow: "GoneFlow", source: "/x/flows/gone.py", configClass: null }) });
    const whole = await checkJson(root);
    const dir = tempDir();
    const files: string[] = [];
    for (const k of [1, 2, 3]) {
      const { stdout } = await runCli(["check", "--root", root, "--format", "json", "--shard", `${k}/3`]);
      files.push(path.join(dir, `shard-${k}.json`));
      writeFileSync(files.at(-1)!, stdout);
    }
    const sizes = files.map((file) => JSON.parse(readFileSync(file, "utf8")).flows.length);
    expect(sizes.filter((n) => n > 0).length).toBeGreaterThan(1);
    expect(files.map((file) => JSON.parse(readFileSync(file, "utf8")).shard)).toEqual([1, 2, 3].map((index) => ({ index, count: 3 })));
    const lost = await runCli(["merge", files[0]!, files[2]!]);
    expect(lost.exitCode).toBe(2);
    expect(lost.stderr).toContain("no report for shard 2/3: every shard's report is needed");
    const merged = await runCli(["merge", ...files, "--format", "json"]);
    expect(merged.exitCode).toBe(whole.exitCode);
    const report = JSON.parse(merged.stdout);
    expect(report.flows).toEqual(whole.report.flows);
    expect(report.summary).toEqual(whole.report.summary);
    expect(report.failed).toBe(true);
  });

  it("refuses a bad --shard and a shard's report given twice", async () => {
    const root = corpusRepo();
    expect((await runCli(["check", "--root", root, "--shard", "3/2"])).stderr).toContain("--shard: expected k/n with 1 ≤ k ≤ n, got '3/2'");
    const file = path.join(tempDir(), "r.json");
    writeFileSync(file, (await runCli(["check", "--root", root, "--format", "json", "--shard", "1/1"])).stdout);
    const { exitCode, stderr } = await runCli(["merge", file, file]);
    expect(exitCode).toBe(2);
    // The report says which shard it is, so a report given twice is named before its flows overlap.
    expect(stderr).toContain(`${file} and ${file} are both shard 1/1`);
  });
});
