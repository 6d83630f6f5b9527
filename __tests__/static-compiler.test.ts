/**
 * python/mfdag_static.py: the static compiler that reproduces metaflow-dagster's Config class
 * without running user code. Checked against the recorded corpus and, when metaflow and
 * metaflow-dagster are importable, against the real compiler on extra flows.
 */
import { staticResponseSchema, type StaticResponse } from "../src/core/static-protocol.js";
import { CORPUS, corpusExpected, FLOW_STEPS, flowSource as sharedFlowSource, PROJECT, REAL_COMPILER_SKIP_REASON, realCompilerAvailable, snapshotTree, tempDir, writeFiles } from "./helpers/repo.js";
import { readFileSync, statSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { execa } from "execa";
import { describe, expect, it } from "vitest";

const SCRIPT = path.join(PROJECT, "python", "mfdag_static.py");
const CORPUS_FLOWS = path.join(CORPUS, "flows");

/** Corpus flows the static compiler reproduces exactly today: fewer is a regression. */
const MIN_EXACT_CORPUS_FLOWS = 12;

// ---------------------------------------------------------------------------------------------
// Helpers

// The protocol's shapes, as the engine validates them.
type Response = StaticResponse;
type CompileResult = StaticResponse["results"][number];
type Parameter = CompileResult["parameters"][number];

interface Request {
  root: string;
  scan?: string[];
  compile?: { flowFile: string; flowClass?: string | null; jobName?: string | null }[];
  maxFileBytes?: number;
}

async function runRaw(input: string) {
  const child = await execa("python3", ["-B", SCRIPT], {
    input,
    reject: false,
    cwd: os.tmpdir(),
    env: { PYTHONDONTWRITEBYTECODE: "1" },
  });
  return { exitCode: child.exitCode, stdout: child.stdout, stderr: child.stderr };
}

async function runStatic(request: Request): Promise<Response> {
  const { exitCode, stdout, stderr } = await runRaw(JSON.stringify(request));
  if (exitCode !== 0) throw new Error(`static compiler exited with ${exitCode}: ${stderr}`);
  return JSON.parse(stdout) as Response;
}

async function compileOne(root: string, flowFile: string, extra: { flowClass?: string; jobName?: string } = {}): Promise<CompileResult> {
  const response = await runStatic({ root, compile: [{ flowFile, ...extra }] });
  return response.results[0]!;
}

/** `compute` runs once, on first use (inside a test, so a failure is that test's failure). */
function lazy<T>(compute: () => Promise<T>): () => Promise<T> {
  let cached: Promise<T> | undefined;
  return () => (cached ??= compute());
}

/** Runs at most `concurrency` tasks at a time (the real compiler takes ~1 s and a CPU each). */
function limiter(concurrency: number) {
  let active = 0;
  const waiting: (() => void)[] = [];
  return async <R>(task: () => Promise<R>): Promise<R> => {
    while (active >= concurrency) await new Promise<void>((resolve) => waiting.push(resolve));
    active++;
    try {
      return await task();
    } finally {
      active--;
      waiting.shift()?.();
    }
  };
}


/** A test flow that imports every metaflow name the tests use. */
function flowSource(name: string, body: string, options: { header?: string; bases?: string; decorator?: string } = {}): string {
  return sharedFlowSource(name, body, { header: "from metaflow import FlowSpec, Parameter, IncludeFile, Config, JSONType, project, step", ...options });
}

// ---------------------------------------------------------------------------------------------
// The recorded corpus

describe("static compiler on the recorded corpus", () => {
  const expectations = corpusExpected();
  const corpus = lazy(() => runStatic({ root: CORPUS_FLOWS, compile: expectations.map((e) => ({ flowFile: e.flow_file, flowClass: null, jobName: null })) }));

  for (const [index, expected] of expectations.entries()) {
    it(`reproduces ${expected.flow_file} exactly or says why not`, async () => {
      const result = (await corpus()).results[index]!;
      expect(result.flowFile).toBe(expected.flow_file);
      if (!result.exact) {
        expect(result.reason).toBeTruthy();
        return;
      }
      expect(result.reason).toBeNull();
      if (expected.exit_code === 0) {
        expect(result.error).toBeNull();
        expect(result.flowClass).toBe(expected.flow);
        expect(result.job).toBe(expected.job);
        // include_flow's expected value keeps the <SYSROOT> placeholder, as the script writes it.
        expect(result.configClass).toEqual(expected.config_class ?? null);
      } else {
        expect(result.configClass).toBeNull();
        expect(result.error).toBe(expected.error_tail![expected.error_tail!.length - 1]);
      }
    });
  }

  it(`reproduces at least ${MIN_EXACT_CORPUS_FLOWS} corpus flows exactly`, async () => {
    const exact = (await corpus()).results.filter((r) => r.exact).map((r) => r.flowFile);
    console.log(`static compiler: ${exact.length}/${expectations.length} corpus flows exact`);
    expect(exact.length).toBeGreaterThanOrEqual(MIN_EXACT_CORPUS_FLOWS);
  });

  it("reports the syntax error line of a file that does not parse", async () => {
    const result = (await corpus()).results.find((r) => r.flowFile === "syntax_error_flow.py")!;
    expect(result.error).toBe("SyntaxError: '(' was never closed");
    expect(result.errorLine).toBe(5);
  });

  it("lists every Parameter-like attribute, with dropped ones last and the reason they are dropped", async () => {
    const result = (await corpus()).results.find((r) => r.flowFile === "scalars_flow.py")!;
    const last = result.parameters[result.parameters.length - 1]!;
    expect(last).toMatchObject({ attribute: "name", name: "name", kind: "Parameter", file: "scalars_flow.py", line: 18 });
    expect(last.dropped).toMatch(/reserved/);
    const ratio = result.parameters.find((p) => p.attribute === "ratio")!;
    expect(ratio).toMatchObject({ declaredType: "float", annotation: "int", value: "2", help: "Declared float, int default", dropped: null, exact: true });
    const inherited = (await corpus()).results.find((r) => r.flowFile === "inherited_flow.py")!;
    expect(inherited.parameters.find((p) => p.attribute === "region")).toMatchObject({ file: "pkg/base.py", line: 5 });
  });

  it("uses the job name given like --name and validates it like metaflow-dagster", async () => {
    const named = await compileOne(CORPUS_FLOWS, "two_flows.py", { jobName: "nightly_job" });
    expect(named).toMatchObject({ exact: true, job: "nightly_job", flowClass: "MainFlow" });
    const bad = await compileOne(CORPUS_FLOWS, "two_flows.py", { jobName: "bad-name" });
    expect(bad.error).toBe("Job name 'bad-name' contains invalid characters. Use only letters, digits and underscores.");
  });

  it("compiles a class other than the __main__ one when asked", async () => {
    const helper = await compileOne(CORPUS_FLOWS, "two_flows.py", { flowClass: "HelperFlow" });
    expect(helper).toMatchObject({ exact: true, flowClass: "HelperFlow", job: "HelperFlow", configClass: ["class HelperFlowConfig(Config):", "    unused: int = 0"] });
  });
});

// ---------------------------------------------------------------------------------------------
// Scan

describe("static compiler scan", () => {
  it("finds the flow classes and the one run under __main__", async () => {
    const { files } = await runStatic({ root: CORPUS_FLOWS, scan: ["two_flows.py", "inherited_flow.py", "pkg/base.py", "pkg/settings.py"] });
    expect(files[0]).toEqual({
      file: "two_flows.py",
      error: null,
      errorLine: null,
      flowClasses: [
        { name: "HelperFlow", line: 5 },
        { name: "MainFlow", line: 17 },
      ],
      mainClass: "MainFlow",
      mainLine: 30,
      isFlowFile: true,
    });
    // The mixin is not a FlowSpec; the base class from pkg/base.py makes InheritedFlow one.
    expect(files[1]).toMatchObject({ flowClasses: [{ name: "InheritedFlow", line: 11 }], mainClass: "InheritedFlow", mainLine: 24, isFlowFile: true });
    // A module defining a base flow is not a flow file.
    expect(files[2]).toMatchObject({ error: null, flowClasses: [{ name: "SharedParams", line: 4 }], mainClass: null, mainLine: null, isFlowFile: false });
    expect(files[3]).toMatchObject({ error: null, flowClasses: [], mainClass: null, isFlowFile: false });
  });

  it("recognizes a reversed __main__ comparison and an assigned flow instance", async () => {
    const root = tempDir();
    writeFiles(root, {
      "reversed.py": flowSource("ReversedFlow", '    x = Parameter("x", default=1)').replace('if __name__ == "__main__":\n    ReversedFlow()', "if '__main__' == __name__:\n    flow = ReversedFlow()"),
    });
    const { files, results } = await runStatic({ root, scan: ["reversed.py"], compile: [{ flowFile: "reversed.py" }] });
    expect(files[0]).toMatchObject({ mainClass: "ReversedFlow", isFlowFile: true });
    expect(results[0]).toMatchObject({ exact: true, configClass: ["class ReversedFlowConfig(Config):", "    x: int = 1"] });
  });

  it("answers with a per-flow error when no flow is run under __main__", async () => {
    const result = await compileOne(CORPUS_FLOWS, "pkg/base.py");
    expect(result).toMatchObject({ exact: false, error: 'no FlowSpec subclass is run under if __name__ == "__main__"', configClass: null });
    expect(result.reason).toBeTruthy();
  });
});

// ---------------------------------------------------------------------------------------------
// Safety and robustness

describe("static compiler safety", () => {
  it("never executes the flow file: no file written, no sleep, no socket opened", async () => {
    const connections: number[] = [];
    const server = net.createServer((socket) => {
      connections.push(1);
      socket.destroy();
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const port = (server.address() as net.AddressInfo).port;
    try {
      const root = tempDir();
      const marker = path.join(root, "SIDE_EFFECT");
      writeFiles(root, {
        "evil_flow.py": flowSource(
          "EvilFlow",
          ['    x = Parameter("x", default=1)', "    y = Parameter(\"y\", default=touch())"].join("\n"),
          {
            header: [
              "import os, socket, time",
              "from metaflow import FlowSpec, Parameter, step",
              `socket.create_connection(("127.0.0.1", ${port})).close()`,
              `open(${JSON.stringify(marker)}, "w").write("executed")`,
              "time.sleep(30)",
              "",
              "def touch():",
              `    open(${JSON.stringify(marker)}, "w").write("default evaluated")`,
              "    return 2",
            ].join("\n"),
          },
        ),
      });
      const started = Date.now();
      const result = await compileOne(root, "evil_flow.py");
      expect(Date.now() - started).toBeLessThan(20_000);
      expect(() => statSync(marker)).toThrow();
      expect(connections).toEqual([]);
      // x is known; y would need touch() to run, so the result says it is not exact.
      expect(result.exact).toBe(false);
      expect(result.reason).toMatch(/touch\(\)/);
      expect(result.parameters.find((p) => p.attribute === "x")).toMatchObject({ annotation: "int", value: "1", exact: true });
    } finally {
      server.close();
    }
  });

  it("writes nothing into the repository it reads", async () => {
    const root = tempDir();
    writeFiles(root, { "a_flow.py": flowSource("AFlow", '    x = Parameter("x", default=1)'), "lib/__init__.py": "", "lib/base.py": "X = 1\n" });
    const before = snapshotTree(root);
    await runStatic({ root, scan: ["a_flow.py"], compile: [{ flowFile: "a_flow.py" }] });
    expect(snapshotTree(root)).toEqual(before);
  });

  it("reports a binary file and invalid UTF-8 per file while another file still compiles", async () => {
    const root = tempDir();
    writeFiles(root, {
      "binary.py": Buffer.from([0x00, 0x01, 0x02, 0xff, 0x0a]),
      "latin1.py": Buffer.from('x = "caf\xe9"\n', "latin1"),
      "good_flow.py": flowSource("GoodFlow", '    x = Parameter("x", default=1)'),
    });
    const files = ["binary.py", "latin1.py", "good_flow.py"];
    const { files: scanned, results } = await runStatic({ root, scan: files, compile: files.map((flowFile) => ({ flowFile })) });
    expect(scanned[0]!.error).toMatch(/NUL bytes/);
    expect(scanned[1]!.error).toMatch(/not valid UTF-8/);
    expect(scanned[1]!.errorLine).toBe(1);
    expect(scanned[2]).toMatchObject({ error: null, mainClass: "GoodFlow" });
    expect(results[0]).toMatchObject({ exact: false, configClass: null });
    expect(results[0]!.error).toMatch(/NUL bytes/);
    expect(results[1]!.error).toMatch(/not valid UTF-8/);
    expect(results[2]).toMatchObject({ exact: true, configClass: ["class GoodFlowConfig(Config):", "    x: int = 1"] });
  });

  it("refuses a file over maxFileBytes without stopping the others", async () => {
    const root = tempDir();
    const big = flowSource("BigFlow", '    x = Parameter("x", default=1)') + "#".repeat(5000) + "\n";
    writeFiles(root, { "big_flow.py": big, "small_flow.py": flowSource("SmallFlow", '    x = Parameter("x", default=1)') });
    const size = Buffer.byteLength(big);
    const { files, results } = await runStatic({ root, scan: ["big_flow.py"], compile: [{ flowFile: "big_flow.py" }, { flowFile: "small_flow.py" }], maxFileBytes: 2000 });
    expect(files[0]!.error).toBe(`file is ${size} bytes, over the 2000-byte limit`);
    expect(results[0]!.error).toBe(`file is ${size} bytes, over the 2000-byte limit`);
    expect(results[1]).toMatchObject({ exact: true, job: "SmallFlow" });
  });

  it("gives a per-flow answer for an inheritance cycle, an import cycle and a too-deep hierarchy", async () => {
    const root = tempDir();
    const chain = ["from metaflow import FlowSpec, Parameter, step", "class C0(FlowSpec):", "    p0 = Parameter('p0', default=0)"];
    for (let i = 1; i <= 150; i++) chain.push(`class C${i}(C${i - 1}):`, `    p${i} = Parameter('p${i}', default=${i})`);
    writeFiles(root, {
      // cycle_flow (as module "cycle_flow") -> cycle_base -> cycle_flow: each class derives from the other.
      "cycle_flow.py": flowSource("CycleFlow", '    x = Parameter("x", default=1)', { header: "from metaflow import Parameter, step\nfrom cycle_base import Base", bases: "Base" }),
      "cycle_base.py": "from cycle_flow import CycleFlow\n\n\nclass Base(CycleFlow):\n    pass\n",
      // lib.a imports lib.b, which imports a name lib.a has not bound yet.
      "lib/__init__.py": "",
      "lib/a.py": "from lib.b import B\nVALUE = 1\n",
      "lib/b.py": "from lib.a import VALUE\n\n\nclass B:\n    pass\n",
      "import_cycle_flow.py": flowSource("ImportCycleFlow", '    x = Parameter("x", default=VALUE)', { header: "from metaflow import FlowSpec, Parameter, step\nfrom lib.a import VALUE" }),
      "deep_flow.py": `${chain.join("\n")}\n\n\nclass DeepFlow(C150):\n${FLOW_STEPS}\n\nif __name__ == "__main__":\n    DeepFlow()\n`,
      "fine_flow.py": flowSource("FineFlow", '    x = Parameter("x", default=1)'),
    });
    const flows = ["cycle_flow.py", "import_cycle_flow.py", "deep_flow.py", "fine_flow.py"];
    const { files, results } = await runStatic({ root, scan: flows, compile: flows.map((flowFile) => ({ flowFile })) });
    expect(files.map((f) => f.error)).toEqual([null, null, null, null]);
    expect(results[0]).toMatchObject({ exact: false });
    expect(results[0]!.reason).toMatch(/cycle/);
    expect(results[1]).toMatchObject({ exact: false });
    expect(results[1]!.reason).toMatch(/circular import/);
    expect(results[2]).toMatchObject({ exact: false });
    expect(results[2]!.reason).toMatch(/longer than 100/);
    expect(results[3]).toMatchObject({ exact: true });
  });

  it("never resolves an import outside the root, even through a symlink", async () => {
    const outside = tempDir();
    writeFiles(outside, { "secret_consts.py": "VALUE = 42\n" });
    const root = tempDir();
    writeFiles(root, { "link_flow.py": flowSource("LinkFlow", '    x = Parameter("x", default=VALUE)', { header: "from metaflow import FlowSpec, Parameter, step\nfrom secret_consts import VALUE" }) });
    const { symlinkSync } = await import("node:fs");
    symlinkSync(path.join(outside, "secret_consts.py"), path.join(root, "secret_consts.py"));
    const result = await compileOne(root, "link_flow.py");
    expect(result.exact).toBe(false);
    expect(result.reason).toMatch(/outside the repository root/);
    const escaping = await runStatic({ root, scan: ["../x.py"] });
    expect(escaping.files[0]!.error).toMatch(/outside the root/);
  });

  it("rejects a malformed request with exit code 2 and nothing on stdout", async () => {
    for (const input of ["not json", "[]", JSON.stringify({ scan: [] }), JSON.stringify({ root: "relative/path" }), JSON.stringify({ root: "/", compile: [{}] })]) {
      const { exitCode, stdout, stderr } = await runRaw(input);
      expect(exitCode).toBe(2);
      expect(stdout).toBe("");
      expect(stderr).toMatch(/mfdag_static/);
    }
  });
});

// ---------------------------------------------------------------------------------------------
// Static rules that need no real compiler

describe("static compiler rules", () => {
  it("marks what it cannot know as inexact, with the reason", async () => {
    const root = tempDir();
    writeFiles(root, {
      "env_flow.py": flowSource("EnvFlow", '    x = Parameter("x", default=os.environ.get("X", "d"))', { header: "import os\nfrom metaflow import FlowSpec, Parameter, step" }),
      "mutator_flow.py": flowSource("MutatorFlow", '    x = Parameter("x", default=1)', { header: "from metaflow import FlowSpec, Parameter, step\nfrom company.mutators import add_params", decorator: "@add_params" }),
      "set_flow.py": flowSource("SetFlow", '    x = Parameter("x", default={"b", "a", "c"})'),
      "user_flow.py": flowSource("UserFlow", '    x = Parameter("x", default=lambda ctx: ctx.user_name)'),
    });
    const flows = ["env_flow.py", "mutator_flow.py", "set_flow.py", "user_flow.py"];
    const { results } = await runStatic({ root, compile: flows.map((flowFile) => ({ flowFile })) });
    expect(results.map((r) => r.exact)).toEqual([false, false, false, false]);
    expect(results[0]!.reason).toMatch(/environment variable/);
    expect(results[1]!.reason).toMatch(/FlowMutator/);
    expect(results[2]!.reason).toMatch(/PYTHONHASHSEED/);
    expect(results[3]!.reason).toMatch(/user_name/);
    // Each reason has its named kind, which the TypeScript side validates (static-protocol.ts).
    const parsed = staticResponseSchema.parse({ protocol: 1, files: [], results });
    expect(parsed.results.map((r) => r.reasonKind)).toEqual(["environment", "decorator", "environment", "environment"]);
    expect(parsed.results.map((r) => r.errorKind)).toEqual([null, null, null, null]);
    // A best-effort class is still given; unknown parts are marked.
    expect(results[3]!.configClass).toEqual(["class UserFlowConfig(Config):", "    x: str = <unknown>"]);
  });
});

// ---------------------------------------------------------------------------------------------
// Against the real compiler

const realAvailable = realCompilerAvailable();
const realTitle = realAvailable ? "static compiler agrees with the real compiler" : `static compiler vs real compiler: SKIPPED, ${REAL_COMPILER_SKIP_REASON}`;

/** Extra flows covering the tricky rules; every one is expected to be exact. */
function trickyFlows(): Record<string, string | Buffer> {
  const header = "from metaflow import FlowSpec, Parameter, IncludeFile, Config, JSONType, project, step";
  return {
    "data/table.csv": "id,name\n1,ünï\n",
    "data/blob.bin": Buffer.from([0, 1, 2, 254, 255]),
    "shared/__init__.py": "from .consts import REGION as DEFAULT_REGION\n",
    "shared/consts.py": "REGION = 'eu-' + 'west-' + str(1)\nSIZES = (1, 2, 3)\n",
    "shared/base.py": [
      "from metaflow import FlowSpec, Parameter",
      "from . import consts",
      "",
      "",
      "class BaseFlow(FlowSpec):",
      '    region = Parameter("region", default=consts.REGION, help="From the base")',
      '    overridden = Parameter("overridden", default=1, help="base")',
      '    shadowed = Parameter("shadowed", default=1)',
      '    by_method = Parameter("by_method", default=1)',
      "",
      "",
      "class Mixin:",
      '    next = Parameter("next_param", default=1)  # FlowSpec.next wins when FlowSpec comes first',
      '    from_mixin = Parameter("from-mixin", default=list(consts.SIZES))',
      "",
    ].join("\n"),
    "inherit_flow.py": flowSource(
      "InheritFlow",
      ['    overridden = Parameter("overridden", default=2.5, help="child")', '    shadowed = "a constant now"', "", "    def by_method(self):", "        return 1"].join("\n"),
      { header: `${header}\nfrom shared.base import BaseFlow, Mixin`, bases: "BaseFlow, FlowSpec, Mixin" },
    ),
    "numbers_flow.py": flowSource(
      "NumbersFlow",
      [
        '    declared_float = Parameter("declared_float", default=3, type=float)',
        '    declared_int = Parameter("declared_int", default="3", type=int)',
        '    negative = Parameter("negative", default=-0.5)',
        '    neg_zero = Parameter("neg_zero", default=-0.0)',
        '    exp_small = Parameter("exp_small", default=1.5e-7)',
        '    exp_big = Parameter("exp_big", default=6.02e23)',
        '    hexa = Parameter("hexa", default=0xFF + 0o17 + 0b1)',
        '    big = Parameter("big", default=2 ** 80)',
        '    third = Parameter("third", default=1 / 3)',
        '    cplx = Parameter("cplx", default=1 + 2j)',
        '    flag = Parameter("flag", default=False, type=bool)',
        '    underscored = Parameter("underscored", default=1_000_000)',
      ].join("\n"),
    ),
    "containers_flow.py": flowSource(
      "NestedFlow",
      [
        '    nested = Parameter("nested", default={"a": [1, (2, None)], 3: {"deep": {4: 5.0}}})',
        '    frozen = Parameter("frozen", default=frozenset([3, 1, 2]))',
        '    comp = Parameter("comp", default=[i * i for i in range(4)])',
        '    merged = Parameter("merged", default={**{"x": 1}, "y": [*"ab"]})',
        '    raw = Parameter("raw", default=b"\\x00bytes")',
        '    single = Parameter("single", default=(1,))',
      ].join("\n"),
    ),
    "strings_flow.py": flowSource(
      "StringsFlow",
      [
        '    unicode = Parameter("unicode", default="naïve café 😀", help="Ünïcode help 😀")',
        '    escapes = Parameter("escapes", default="tab\\there \'single\' \\"double\\"")',
        '    fstring = Parameter("fstring", default=f"{PREFIX}-{3.14159:.2f}-{7:03d}-{PREFIX!r}")',
        '    formatted = Parameter("formatted", default="{}/{}".format(PREFIX, "%s-%02d" % ("v", 3)))',
        '    implicit = Parameter("implicit", default="con" "cat" + "enated".upper())',
        '    newline = Parameter("newline", default="a\\nb")',
        "    LOCAL = 5",
        '    class_scope = Parameter("class_scope", default=LOCAL * 2)',
        '    late = Parameter("late", default=LATE)',
        '    late_lambda = Parameter("late_lambda", default=lambda ctx: LATE)',
      ].join("\n"),
      { header: `${header}\n\nPREFIX = "run"\nLATE = "before"` },
    ).replace('\n\nif __name__', '\n\nLATE = "after"\n\nif __name__'),
    "help_flow.py": flowSource(
      "HelpFlow",
      [
        '    none_help = Parameter("none_help", default=1, help=None)',
        '    empty_help = Parameter("empty_help", default=1, help="")',
        '    number_help = Parameter("number_help", default=1, help=2.5)',
        '    hash_help = Parameter("hash_help", default=1, help="has # inside")',
        '    spaced_help = Parameter("spaced_help", default=1, help="  padded  ")',
        '    multi_help = Parameter("multi_help", default=1, help="first\\nsecond")',
        '    dashed = Parameter("dashed-name", default=1, help="invalid annotation")',
      ].join("\n"),
    ),
    "project_flow.py": flowSource("ProjectFlow", '    x = Parameter("x", default=1)', { header: `${header}\n\nTEAM = "forecast"`, decorator: '@project(name=TEAM + "_team")' }),
    "json_flow.py": flowSource(
      "JsonFlow",
      [
        '    spec = Parameter("spec", default=\'{"k": [1, 2]}\', type=JSONType, help="JSON string")',
        '    spec_dict = Parameter("spec_dict", default={"k": [1, 2]}, type=JSONType)',
        '    dumped = Parameter("dumped", default=json.dumps({"a": 1}), type=JSONType)',
        '    keys = Parameter("keys", default="a;b", separator=";", help="separated")',
      ].join("\n"),
      { header: `import json\n${header}` },
    ),
    "include_flow.py": flowSource(
      "IncludeTextFlow",
      [
        '    table = IncludeFile("table", default="data/table.csv", help="text file")',
        '    blob = IncludeFile("blob", default=os.path.join(os.path.dirname(__file__), "data", "blob.bin"), is_text=False)',
        '    latin = IncludeFile("latin", default="data/table.csv", encoding="latin-1")',
      ].join("\n"),
      { header: `import os\n${header}` },
    ),
    "config_flow.py": flowSource(
      "ConfigFlow",
      [
        '    settings = Config("settings", default_value={"lr": 0.1, "layers": (1, 2), "name": "n"}, help="Settings")',
        '    lr = Parameter("lr", default=settings.lr, help=settings.name)',
        '    layers = Parameter("layers", default=settings["layers"])',
      ].join("\n"),
    ),
    "deploy_time_flow.py": flowSource(
      "DeployTimeFlow",
      [
        '    bucket = Parameter("bucket", default=bucket_name, help="deploy-time function")',
        '    scale = Parameter("scale", default=lambda ctx: 3, type=int)',
        '    both = Parameter("both", default=lambda ctx, deploy_time: [ctx.parameter_name, deploy_time])',
      ].join("\n"),
      { header: `${header}\n\n\ndef bucket_name(ctx):\n    """Named after the flow."""\n    return "bucket-" + ctx.flow_name.lower()` },
    ),
    "helpers_flow.py": flowSource(
      "HelpersFlow",
      [
        '    table = IncludeFile("table", default=script_path("data/table.csv"))',
        '    small = int_param("small", 3)',
        '    large = int_param("large", 4, help="from a factory")',
        "    at_import = Parameter(\"at_import\", default=current())",
        "    at_deploy = Parameter(\"at_deploy\", default=lambda ctx: current())",
        '    branch = Parameter("branch", default=pick(True))',
      ].join("\n"),
      {
        header: [
          header,
          "",
          "",
          "def script_path(filename):",
          '    """Like metaflow\'s tutorials: a path next to this file."""',
          "    import os",
          "    here = os.path.dirname(__file__)",
          "    return os.path.join(here, filename)",
          "",
          "",
          "def int_param(name, default, help=None):",
          "    return Parameter(name, default=default, type=int, help=help)",
          "",
          "",
          "def current():",
          "    return STAGE",
          "",
          "",
          "def pick(flag, base=10):",
          "    value = base * 2",
          "    if flag:",
          "        value += 1",
          "    return value",
          "",
          "",
          'STAGE = "import time"',
        ].join("\n"),
      },
    ).replace('\n\nif __name__', '\n\nSTAGE = "deploy time"\n\nif __name__'),
    "err_reserved_flow.py": flowSource("ReservedDashFlow", '    x = Parameter("run-id", default=1)'),
    "err_none_flow.py": flowSource("NoneDefaultFlow", '    x = Parameter("x", default=NOTHING)', { header: `${header}\n\nNOTHING = None` }),
    "err_project_flow.py": flowSource("BadProjectFlow", '    x = Parameter("x", default=1)', { decorator: '@project(name="Bad-Name")' }),
    "err_type_flow.py": flowSource("TypeMismatchFlow", '    x = Parameter("x", default=lambda ctx: "text", type=int)'),
    "err_include_flow.py": flowSource("MissingIncludeFlow", '    x = IncludeFile("x", default="data/missing.csv")'),
  };
}

interface RealOutcome {
  error: string | null;
  job: string | null;
  configClass: string[] | null;
}

async function runReal(root: string, flowFile: string): Promise<RealOutcome> {
  try {
    return await runRealUnchecked(root, flowFile);
  } catch (error) {
    return { error: `running the real compiler failed: ${String(error)}`, job: null, configClass: null };
  }
}

async function runRealUnchecked(root: string, flowFile: string): Promise<RealOutcome> {
  const flowPath = path.join(root, flowFile);
  const sysroot = tempDir("mfdag-sysroot-");
  const out = path.join(tempDir("mfdag-out-"), "definitions.py");
  const child = await execa("python3", [flowPath, "dagster", "create", out], {
    cwd: path.dirname(flowPath),
    reject: false,
    timeout: 120_000,
    env: { METAFLOW_DATASTORE_SYSROOT_LOCAL: sysroot, PYTHONHASHSEED: "0", PYTHONDONTWRITEBYTECODE: "1", USER: process.env.USER ?? "mfdag-tests" },
  });
  if (child.exitCode !== 0) {
    const lines = `${child.stdout}\n${child.stderr}`.split("\n").map((l) => l.trim()).filter((l) => l !== "");
    return { error: lines[lines.length - 1] ?? "", job: null, configClass: null };
  }
  const text = readFileSync(out, "utf8").split("\n");
  const job = text.find((l) => l.startsWith("Job    :"))?.slice("Job    :".length).trim() ?? null;
  const start = text.findIndex((l) => /^class \w+Config\(Config\):$/.test(l));
  if (start < 0) return { error: null, job, configClass: null };
  const end = text.indexOf("", start);
  return { error: null, job, configClass: text.slice(start, end).map((l) => l.split(sysroot).join("<SYSROOT>")) };
}

describe.skipIf(!realAvailable)(realTitle, () => {
  const files = trickyFlows();
  const flows = Object.keys(files).filter((f) => f.endsWith("_flow.py"));
  // Set up on first use only: the factory also runs when the suite is skipped.
  const setup = lazy(async () => {
    const root = tempDir("mfdag-tricky-");
    writeFiles(root, files);
    const limit = limiter(3);
    // All real compiles start at once (3 at a time); each test awaits its own.
    const real = flows.map((flowFile) => limit(() => runReal(root, flowFile)));
    return { real, static: await runStatic({ root, compile: flows.map((flowFile) => ({ flowFile })) }) };
  });

  for (const [index, flowFile] of flows.entries()) {
    it(`gives the same answer as the real compiler for ${flowFile}`, { timeout: 180_000 }, async () => {
      const { real: realRuns, static: staticResponse } = await setup();
      const result = staticResponse.results[index]!;
      const real = await realRuns[index]!;
      expect(result.reason).toBeNull();
      expect(result.exact).toBe(true);
      expect({ error: result.error, job: result.job, configClass: result.configClass }).toEqual(real);
    });
  }
});
